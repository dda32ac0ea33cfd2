"""The read-only guard and the call counter, hooked into every boto3 client's events.

Any operation whose name is not a read is refused at ``before-call`` with the core's
``WriteRefused``: before the request is serialised, signed or sent. Operations are named
``botocore service:Operation`` (the keys of ``permissions.OPERATIONS``).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from auditor.collectkit import WriteRefused as WriteRefused  # re-exported: the guard's error

READ_PREFIXES = ("Describe", "Get", "List", "Lookup", "Search")
# Reads whose names do not start with a read verb.
READ_EXCEPTIONS = frozenset({"sts:AssumeRole", "iam:GenerateCredentialReport"})


def is_read(service: str, operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) or f"{service}:{operation}" in READ_EXCEPTIONS


class CallLog:
    """Counts operations per ``service:Operation`` across threads and refuses writes."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def attach(self, events: Any) -> None:
        events.register_first("before-call", self._before_call)

    def _before_call(self, model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        if not is_read(service, model.name):
            raise WriteRefused(f"read-only guard refused {service}:{model.name}")
        with self._lock:
            self.counts[f"{service}:{model.name}"] += 1
