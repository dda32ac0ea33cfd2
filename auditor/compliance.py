"""The standards the rules cite and the captions the reports show, read from one data file
(``auditor/data/compliance.toml``): a rule names ``"CSRB: Rec 10"``; this says what that is."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator

from auditor.model import Reference

DATA = "data/compliance.toml"


class Standard(BaseModel):
    """One source rules cite: its title, the ids cited and the captions shown beside some."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    title: str
    ids: tuple[str, ...]
    captions: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _captions_are_of_ids(self) -> Standard:
        stray = sorted(set(self.captions) - set(self.ids))
        if stray:
            raise ValueError(f"captions for ids not listed in ids: {stray}")
        return self


class Compliance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    sources: dict[str, Standard]


@cache
def standards() -> dict[str, Standard]:
    """Every source, by the name rules use (``"CSRB"``, ``"CIS AWS 5.0"``)."""
    text = resources.files("auditor").joinpath(DATA).read_text(encoding="utf-8")
    return Compliance.model_validate(tomllib.loads(text)).sources


def caption(source: str, ident: str) -> str:
    """The caption shown beside ``source`` ``ident`` (``""`` when it has none)."""
    std = standards().get(source)
    return std.captions.get(ident, "") if std else ""


def unresolved(refs: Iterable[Reference]) -> list[Reference]:
    """The references naming a source, or an id of it, that the data file does not list."""
    known = standards()
    return [r for r in refs if r.source not in known or r.id not in known[r.source].ids]
