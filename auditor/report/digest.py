"""The answer before the detail, for every human format: what is missing per cloud, what to
fix first, and which tenants could not be reached at all.

One ranking for ``table``, ``markdown`` and ``html``: failing rules, flagship (★) rules first,
then by severity, then by CSRB weight (how many CSRB recommendations the rule serves), then
by how many resources fail; a rule failing on many resources is one entry with its count.
Remediation text is kept whole: rule docstrings are hard-wrapped at ~95 columns, often in the
middle of a command, so ``unwrap`` joins the lines again (inside a code span a line ending in
``,`` ``=`` ``?`` ``/`` ``&`` or ``:`` is joined without a space, as the command needs).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from auditor.model import Finding, Report, Severity, Status
from auditor.report import csrb_recommendations

SIGN_IN = {"aws": "aws configure (or aws sso login)", "m365": "az login",
           "gcp": "gcloud auth application-default login"}
CLOUD_NAMES = {"aws": "AWS", "m365": "Microsoft 365", "gcp": "Google Cloud",
               "cross": "Cross-cloud"}
_CODE = re.compile(r"`([^`]+)`")
_GLUE = ",=?/&:"   # a code line ending in one of these continues without a space


def unwrap(text: str) -> str:
    """The remediation as one line: hard line breaks become spaces, or nothing inside a code
    span after a character that cannot end a shell word (``NAME,\\nmetricNamespace``)."""
    out: list[str] = []
    in_code = False
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if i:
            out.append("" if in_code and lines[i - 1][-1:] in _GLUE else " ")
        out.append(line)
        in_code ^= line.count("`") % 2 == 1
    return "".join(out)


def code_spans(text: str) -> list[str]:
    """Every code span of the unwrapped remediation (commands, ids, JSON)."""
    return _CODE.findall(unwrap(text))


def is_command(span: str) -> bool:
    """A span a person would paste into a shell: several words, not an id like ``AWS::S3``."""
    return " " in span.strip() and len(span) >= 16


def commands(text: str) -> list[str]:
    return [s for s in code_spans(text) if is_command(s)]


@cache
def _installed_flagships() -> frozenset[str]:
    try:
        from auditor import registry
        from auditor.rule import meta_of

        return frozenset(meta_of(fn).id for fn in registry.all_rules() if meta_of(fn).flagship)
    except Exception:   # no rule pack installed: no stars, the ranking still holds
        return frozenset()


def flagships(ids: Iterable[str] | None = None) -> frozenset[str]:
    """The flagship rule ids: the given ones, else those of the installed rule packs."""
    return frozenset(ids) if ids is not None else _installed_flagships()


@dataclass
class Fix:
    """One failing rule, all its failing resources collapsed into a count."""

    rule_id: str
    title: str
    provider: str
    severity: Severity
    flagship: bool
    csrb: list[str]
    findings: list[Finding] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.findings)

    @property
    def tenants(self) -> list[str]:
        return sorted({f.tenant for f in self.findings})

    @property
    def fix(self) -> str:
        """The remediation as one line (commands whole)."""
        return unwrap(self.findings[0].remediation) if self.findings else ""

    @property
    def what(self) -> str:
        """What is missing, in a few words: the message, or the title with the count."""
        msgs = Counter(f.message for f in self.findings)
        if len(msgs) == 1:
            msg = next(iter(msgs))
            return msg if self.count == 1 else f"{msg} ({self.count} resources)"
        return f"{self.title}: not met on {self.count} resources"

    @property
    def star(self) -> str:
        return "★" if self.flagship else ""

    def sort_key(self) -> tuple[int, int, int, int, str]:
        return (not self.flagship, -self.severity.rank, -len(self.csrb), -self.count,
                self.rule_id)


def fix_first(findings: Iterable[Finding], flagship: Iterable[str] | None = None,
              limit: int | None = None) -> list[Fix]:
    """Failing rules in the order to fix them (see the module docstring)."""
    stars = flagships(flagship)
    by_rule: dict[str, Fix] = {}
    for f in findings:
        if f.status is not Status.FAIL:
            continue
        fix = by_rule.get(f.rule_id)
        if fix is None:
            fix = by_rule[f.rule_id] = Fix(
                rule_id=f.rule_id, title=f.title, provider=f.provider, severity=f.severity,
                flagship=f.rule_id in stars, csrb=csrb_recommendations(f))
        fix.findings.append(f)
    ranked = sorted(by_rule.values(), key=Fix.sort_key)
    return ranked if limit is None else ranked[:limit]


def not_recorded(report: Report) -> set[str]:
    """Rules that leave a playbook step blind (its events are not recorded): the missing logs
    an intruder would go unseen through."""
    return {d.rule_id for pb in report.playbooks for tv in pb.tenants for s in tv.steps
            for d in s.deciding if d.role == "recorded" and d.state == "fail"}


def missing_by_cloud(findings: Iterable[Finding], flagship: Iterable[str] | None = None,
                     per_cloud: int = 4, first: Iterable[str] = ()
                     ) -> dict[str, tuple[list[str], int]]:
    """Per provider (aws, m365, gcp, then cross): the top missing things in a few words (the
    ``first`` rules, e.g. ``not_recorded``, ahead of the fix-first order), and how many more
    failing rules there are."""
    lead = set(first)
    out: dict[str, list[Fix]] = {}
    for fix in sorted(fix_first(findings, flagship), key=lambda x: x.rule_id not in lead):
        out.setdefault(fix.provider, []).append(fix)
    order = sorted(out, key=lambda p: (p == "cross", list(CLOUD_NAMES).index(p)
                                       if p in CLOUD_NAMES else 9, p))
    return {p: ([clip(x.what, 110) for x in out[p][:per_cloud]],
                max(0, len(out[p]) - per_cloud)) for p in order}


def clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1].rstrip() + "…"


def cloud_name(provider: str) -> str:
    return CLOUD_NAMES.get(provider, provider)


@dataclass
class Unreachable:
    """A tenant of which nothing could be read: every finding of it is not_assessed."""

    provider: str
    tenant: str
    reason: str
    rules: int

    @property
    def sign_in(self) -> str:
        return SIGN_IN.get(self.provider, "check the tenant's credentials")


def unreachable(report: Report) -> list[Unreachable]:
    """Tenants whose every finding is not_assessed (credentials or the connector failed),
    with the most common reason; cross-cloud findings are never a tenant."""
    by_tenant: dict[tuple[str, str], list[Finding]] = {}
    for f in report.findings:
        if f.provider != "cross":
            by_tenant.setdefault((f.provider, f.tenant), []).append(f)
    out = []
    for (provider, tenant), fs in sorted(by_tenant.items()):
        if len(fs) < 2 or any(f.status is not Status.NOT_ASSESSED for f in fs):
            continue
        reason = Counter(f.message for f in fs).most_common(1)[0][0]
        out.append(Unreachable(provider, tenant, reason, len({f.rule_id for f in fs})))
    return out


def without_unreachable(findings: list[Finding], gone: list[Unreachable]) -> list[Finding]:
    skip = {(u.provider, u.tenant) for u in gone}
    return [f for f in findings if (f.provider, f.tenant) not in skip]


__all__ = ["SIGN_IN", "Fix", "Unreachable", "clip", "cloud_name", "code_spans", "commands",
           "fix_first", "flagships", "is_command", "missing_by_cloud", "not_recorded",
           "unreachable", "unwrap", "without_unreachable"]
