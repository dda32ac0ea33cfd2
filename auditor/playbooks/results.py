"""The verdicts of the playbooks on one report (``Report.playbooks``): plain data, no logic."""

from __future__ import annotations

import enum

from pydantic import BaseModel, Field


class Verdict(enum.StrEnum):
    """What a tenant would have of one step of an intrusion."""

    SEEN = "seen"                     # recorded, and it reaches someone
    RECORDED_ONLY = "recorded_only"   # kept, but nobody is told
    BLIND = "blind"                   # not recorded
    UNKNOWN = "unknown"               # an input rule was not assessed or did not run

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Technique(BaseModel):
    id: str
    name: str
    tactic: str


class RuleInput(BaseModel):
    """One deciding rule, folded over its findings for the tenant."""

    rule_id: str
    role: str                          # recorded | reaches | retention
    state: str                         # pass | fail | unknown
    title: str = ""
    message: str = ""                  # why, from the finding that decided it
    waived: int = 0                    # waived findings counted as failing


class Fix(BaseModel):
    rule_id: str
    title: str = ""
    action: str                        # the rule's remediation, or what would make it assessable


class StepVerdict(BaseModel):
    step_id: str                       # "<playbook>/<step>", stable
    name: str
    cloud: str
    techniques: list[Technique]
    events: list[str]
    verdict: Verdict
    recorded: str                      # yes | no | unknown
    reaches: str                       # yes | no | unknown
    days: int | None                   # days the evidence can be investigated (None: unknown)
    days_source: str = ""
    why: str = ""
    deciding: list[RuleInput] = Field(default_factory=list)
    fix: list[Fix] = Field(default_factory=list)


class TenantVerdict(BaseModel):
    verdict_id: str                    # hash of playbook and tenant, stable
    tenant: str
    provider: str
    steps: list[StepVerdict]
    seen: int
    total: int
    required_days: int                 # dwell time + time to discovery
    outlives: bool | None              # every step's evidence kept >= required_days
    would_see: bool | None             # every step seen (None: some unknown, none blind)
    summary: str
    waived_rules: list[str] = Field(default_factory=list)


class PlaybookResult(BaseModel):
    playbook_id: str
    name: str
    attack_version: str
    dwell_days: int
    discovery_days: int
    clouds: list[str]
    tenants: list[TenantVerdict] = Field(default_factory=list)
    not_judged: str = ""               # why no tenant was judged (no tenant of its clouds)
