"""What a rule pack needs from the core: the ``@rule`` decorator and the context rules get.

A rule is a pure function ``(tenant, ctx) -> Iterable[Result]`` (cross-provider rules get the
whole ``Snapshot``). It does no I/O and reads no clock: ``ctx.now`` is the audit time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from auditor.model import Reference, Result, RuleFn, RuleMeta, Severity, Status

_HEADINGS = ("What it checks", "Why it matters", "Remediation")


def parse_refs(text: str) -> tuple[Reference, ...]:
    """``"CIS AWS 5.0: 3.1; CSRB: Rec 10"`` -> references (``;``-separated ``source: id``)."""
    refs = []
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        source, _, ident = item.rpartition(":")
        refs.append(Reference(source=source.strip(), id=ident.strip()))
    return tuple(refs)


def split_doc(doc: str) -> dict[str, str]:
    """The fixed docstring headings of a rule, each to its text."""
    out = {h: "" for h in _HEADINGS}
    pattern = re.compile(r"^\s*(" + "|".join(_HEADINGS) + r")\s*:?\s*$", re.M)
    pieces = pattern.split(doc or "")
    for i in range(1, len(pieces) - 1, 2):
        lines = [ln.strip() for ln in pieces[i + 1].strip("\n").splitlines()]
        out[pieces[i]] = "\n".join(lines).strip()
    return out


def rule(*, id: str, title: str, severity: str, provider: str, references: str,
         needs: Iterable[str] = (), flagship: bool = False
         ) -> Callable[[RuleFn], RuleFn]:
    """Attach a rule's metadata to its function (read from ``fn.meta``). ``needs`` names the
    snapshot parts the rule reads; ``"a|b"`` means either will do. When every part of a need
    is absent or failed, the engine reports ``not_assessed`` without running the rule."""

    def wrap(fn: RuleFn) -> RuleFn:
        doc = split_doc(fn.__doc__ or "")
        fn.meta = RuleMeta(  # type: ignore[attr-defined]
            id=id, title=title, severity=Severity.parse(severity), provider=provider,
            references=parse_refs(references), needs=tuple(needs), flagship=flagship,
            what=doc["What it checks"], why=doc["Why it matters"],
            remediation=doc["Remediation"])
        return fn

    return wrap


def meta_of(fn: Callable[..., Any]) -> RuleMeta:
    meta: RuleMeta = fn.meta  # type: ignore[attr-defined]
    return meta


# Shorthands so rule bodies stay short and read like the catalogue.
def passed(resource: str, message: str, **evidence: Any) -> Result:
    return Result(status=Status.PASS, resource=resource, message=message, evidence=evidence)


def failed(resource: str, message: str, **evidence: Any) -> Result:
    return Result(status=Status.FAIL, resource=resource, message=message, evidence=evidence)


def not_assessed(resource: str, message: str, **evidence: Any) -> Result:
    return Result(status=Status.NOT_ASSESSED, resource=resource, message=message,
                  evidence=evidence)


def not_applicable(resource: str, message: str, **evidence: Any) -> Result:
    return Result(status=Status.NOT_APPLICABLE, resource=resource, message=message,
                  evidence=evidence)


@dataclass(frozen=True)
class RetentionProfile:
    """Retention thresholds in days: ``hot`` (searchable) and ``total`` (kept at all)."""

    name: str
    hot_days: int
    total_days: int


PROFILES = {
    # OMB M-26-14 (22 May 2026) rescinded M-21-31: searchable 6 months, retrievable 12 months.
    "m-26-14": RetentionProfile("m-26-14", 180, 365),
    "csrb": RetentionProfile("csrb", 180, 180),
    # rescinded in May 2026; kept for agencies still reporting against it
    "m-21-31": RetentionProfile("m-21-31", 365, 913),
    "scuba-2026": RetentionProfile("scuba-2026", 90, 365),
}


@dataclass(frozen=True)
class Attestation:
    rule: str
    scope: str
    by: str
    date: date
    note: str = ""
    retention_days: int | None = None      # an attested kept copy (e.g. SIEM retention)


ATTESTATION_MAX_AGE = timedelta(days=365)


@dataclass
class RuleContext:
    """What the engine gives every rule: the audit time, the retention profile and the
    attestations. Never other rules' findings: a rule judges the snapshot."""

    now: datetime
    retention: RetentionProfile
    attestations: tuple[Attestation, ...] = ()

    def attestation(self, rule_id: str, scope: str) -> tuple[Attestation | None, str]:
        """The valid attestation for (rule, scope), or ``None`` and why not."""
        stale = None
        for a in self.attestations:
            if a.rule == rule_id and a.scope == scope:
                if self.now.date() - a.date > ATTESTATION_MAX_AGE:
                    stale = a
                    continue
                return a, ""
        if stale is not None:
            return None, (f"the attestation by {stale.by} of {stale.date.isoformat()} is older "
                          f"than 365 days and is ignored")
        return None, f"needs an attestation in config ([[attestations]] rule = \"{rule_id}\", " \
                     f"scope = \"{scope}\")"

