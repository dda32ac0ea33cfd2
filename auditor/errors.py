"""Errors the CLI turns into one line and exit code 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input (config, snapshot, flag): the message names the file, key and expectation."""
