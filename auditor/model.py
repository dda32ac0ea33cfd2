"""The typed results of an audit: rule metadata, results, findings and the report."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from auditor.playbooks.results import PlaybookResult


class Severity(enum.StrEnum):
    """How much a gap matters; ordered from ``info`` (lowest) to ``critical``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls(text.strip().lower())


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class Status(enum.StrEnum):
    """The outcome of one rule on one resource."""

    PASS = "pass"
    FAIL = "fail"
    NOT_ASSESSED = "not_assessed"
    NOT_APPLICABLE = "not_applicable"
    WAIVED = "waived"


class Reference(BaseModel):
    """A pointer into a standard: ``{"source": "CIS AWS 5.0", "id": "3.1"}``."""

    model_config = ConfigDict(frozen=True)
    source: str
    id: str


class RuleMeta(BaseModel):
    """Everything known about a rule besides its body."""

    model_config = ConfigDict(frozen=True)
    id: str
    title: str
    severity: Severity
    provider: str
    references: tuple[Reference, ...] = ()
    needs: tuple[str, ...] = ()
    flagship: bool = False
    what: str = ""
    why: str = ""
    remediation: str = ""


class Location(BaseModel):
    """Where a judged resource lives, set by the rule from the data it read (never re-derived
    from a resource name by a reporter). Empty fields are unknown or do not apply."""

    model_config = ConfigDict(frozen=True)
    account: str = ""         # AWS account id
    region: str = ""          # AWS region, GCP location
    project: str = ""         # GCP projects/, folders/ or organizations/ resource name
    subscription: str = ""    # Azure subscription id

    def __bool__(self) -> bool:
        return bool(self.account or self.region or self.project or self.subscription)


class Result(BaseModel):
    """What a rule yields for one resource it judged."""

    model_config = ConfigDict(frozen=True)
    status: Status
    resource: str
    message: str
    scope: str = ""
    evidence: dict[str, Any] = Field(default_factory=dict)
    location: Location = Field(default_factory=Location)

    def at(self, location: Location) -> Result:
        """This result, located."""
        return self.model_copy(update={"location": location})


class Finding(BaseModel):
    """A result with the rule's metadata and the tenant added: one record of the report."""

    finding_id: str
    rule_id: str
    title: str
    provider: str
    tenant: str
    scope: str
    resource: str
    status: Status
    severity: Severity
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    references: list[Reference] = Field(default_factory=list)
    remediation: str = ""
    waiver: dict[str, Any] | None = None
    location: Location = Field(default_factory=Location)

    @staticmethod
    def make_id(rule_id: str, tenant: str, resource: str) -> str:
        """A stable id: the same rule, tenant and resource always give the same id (a lone
        surrogate in a name is hashed as is: it must not abort the report)."""
        key = f"{rule_id}\x1f{tenant}\x1f{resource}".encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(key).hexdigest()
        return digest[:32]


class Summary(BaseModel):
    """Counts by status and by severity of failing findings."""

    total: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)
    failed_by_severity: dict[str, int] = Field(default_factory=dict)
    tenants: int = 0
    rules: int = 0

    @classmethod
    def of(cls, findings: Iterable[Finding], tenants: int, rules: int) -> Summary:
        by_status = {s.value: 0 for s in Status}
        by_sev = {s.value: 0 for s in Severity}
        total = 0
        for f in findings:
            total += 1
            by_status[f.status.value] += 1
            if f.status is Status.FAIL:
                by_sev[f.severity.value] += 1
        return cls(total=total, by_status=by_status, failed_by_severity=by_sev,
                   tenants=tenants, rules=rules)


class ToolInfo(BaseModel):
    name: str = "csrb-auditor"
    version: str


class Report(BaseModel):
    """The JSON report contract (DESIGN.md): one document with every finding."""

    schema_version: str = "1"
    tool: ToolInfo
    generated_at: datetime
    snapshot_sha256: str
    retention_profile: str = ""
    summary: Summary
    findings: list[Finding]
    collection_errors: list[dict[str, Any]] = Field(default_factory=list)
    diff: dict[str, Any] | None = None
    playbooks: list[PlaybookResult] = Field(default_factory=list)   # auditor.playbooks.judge

    def worst_gap(self) -> Severity | None:
        worst: Severity | None = None
        for f in self.findings:
            if f.status is Status.FAIL and (worst is None or f.severity.rank > worst.rank):
                worst = f.severity
        return worst


RuleFn = Callable[..., Iterable[Result]]   # a rule: (tenant or snapshot, ctx) -> results
