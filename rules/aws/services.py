"""Regional services behind an investigation: AWS Config, VPC flow logs, KMS key rotation,
GuardDuty and Security Hub, judged in every audited account and region."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.observed import Observed, first_error
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import TenantSnapshot
from connectors.aws import parts
from connectors.aws.model import GuardDuty, SecurityHub
from rules.aws._common import each, located, missing, why


@rule(id="AWS-CFG-001", title="AWS Config records in every enabled region", severity="medium",
      provider="aws", needs=["aws.config"], references="CIS AWS 5.0: 3.3")
def config_recording(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every audited account-region has an AWS Config recorder that records all supported
    resource types and is recording now.

    Why it matters:
    Config is the history of what each resource looked like and when it changed: without it
    an investigator cannot tell which security group or policy an intruder altered.

    Remediation:
    `aws configservice put-configuration-recorder --configuration-recorder
    name=default,roleARN=ROLE --recording-group allSupported=true,includeGlobalResourceTypes=true`,
    a delivery channel, then `aws configservice start-configuration-recorder`.
    """
    for scope, got in each(tenant, parts.CONFIG):
        recorders, where = got.value, located(scope)
        if recorders is None:
            yield not_assessed(scope, why(got)).at(where)
            continue
        good = [r.name for r in recorders if r.all_supported and r.recording]
        ev = {"recorders": [r.model_dump() for r in recorders]}
        if good:
            yield passed(scope, f"recorder {good[0]} records all supported types",
                         **ev).at(where)
        elif recorders:
            yield failed(scope, "the recorder is stopped or records only some types",
                         **ev).at(where)
        else:
            yield failed(scope, "no configuration recorder", **ev).at(where)


@rule(id="AWS-VPC-001", title="Every VPC has flow logs", severity="medium", provider="aws",
      needs=["aws.vpcs"], references="CIS AWS 5.0: 3.7; M-21-31: EL2")
def vpc_flow_logs(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every VPC in every audited account-region has at least one ACTIVE flow log.

    Why it matters:
    Flow logs are the record of which hosts talked to which, and how much data left: the
    network evidence of lateral movement and exfiltration.

    Remediation:
    `aws ec2 create-flow-logs --resource-type VPC --resource-ids VPC_ID --traffic-type ALL
    --log-destination-type s3 --log-destination arn:aws:s3:::FLOW_LOG_BUCKET`.
    """
    found = False
    for scope, got in each(tenant, parts.VPCS):
        where = located(scope)
        if got.value is None:
            found = True
            yield not_assessed(scope, why(got)).at(where)
            continue
        for v in got.value:
            found = True
            ev = {"flow_logs": v.flow_logs, "default_vpc": v.is_default}
            yield (passed(f"{scope}/{v.id}", "active flow log", **ev) if v.flow_logs
                   else failed(f"{scope}/{v.id}", "no active flow log", **ev)).at(where)
    if not found:
        yield not_applicable(tenant.name, "no VPCs in the audited regions")


@rule(id="AWS-KMS-001", title="Customer-managed keys rotate", severity="low", provider="aws",
      needs=["aws.kms"], references="CIS AWS 5.0: 3.6; CSRB: Rec 5")
def kms_rotation(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That automatic rotation is on for every enabled, customer-managed symmetric encryption
    key (the keys for which KMS supports rotation).

    Why it matters:
    Storm-0558 used a signing key that should long have been retired. Rotation bounds how
    much data one exposed key version protects.

    Remediation:
    `aws kms enable-key-rotation --key-id KEY_ID` (console: KMS > Customer managed keys >
    KEY > Key rotation).
    """
    found = False
    for scope, got in each(tenant, parts.KMS):
        where = located(scope)
        if got.value is None:
            found = True
            yield not_assessed(scope, why(got)).at(where)
            continue
        for k in got.value:
            rotation = k.rotation_enabled
            if rotation.error is not None:
                found = True
                yield not_assessed(k.arn, rotation.error.describe()).at(where)
            elif rotation.value is not None:
                found = True
                ev = {"rotation_enabled": rotation.value, "created": k.created}
                yield (passed(k.arn, "rotation is on", **ev) if rotation.value
                       else failed(k.arn, "rotation is off", **ev)).at(where)
    if not found:
        yield not_applicable(tenant.name, "no enabled customer-managed symmetric keys")


@rule(id="AWS-DET-001", title="GuardDuty and Security Hub are on in every region",
      severity="medium", provider="aws", needs=["aws.guardduty", "aws.securityhub"],
      references="CIS AWS 5.0: 4.16; BP: detection; CSRB: Rec 5")
def threat_detection(tenant: TenantSnapshot, ctx: RuleContext) -> Iterator[Result]:
    """
    What it checks:
    That every audited account-region has an enabled GuardDuty detector and Security Hub
    enabled: the Security Hub CSPM hub (`DescribeHub`) or the unified Security Hub
    (`DescribeSecurityHubV2`), which can run without it. A detector or hub that could not be
    read is not assessed, never "not enabled". Enabled Security Hub CSPM standards are shown
    as evidence when they can be read.

    Why it matters:
    GuardDuty turns CloudTrail, DNS and flow logs into detections (anomalous API use,
    credential exfiltration); Security Hub collects them where a SOC looks.

    Remediation:
    `aws guardduty create-detector --enable` and `aws securityhub enable-security-hub` in
    every region (or organisation-wide from the delegated administrator).
    """
    hubs = dict(each(tenant, parts.SECURITYHUB))
    for scope, gd_got in each(tenant, parts.GUARDDUTY):
        hub_got = hubs.get(scope, Observed[SecurityHub](error=missing(parts.SECURITYHUB.name,
                                                                        scope)))
        gd, hub, where = gd_got.value, hub_got.value, located(scope)
        gd_on = None if gd is None else _guardduty_on(gd)
        hub_on = None if hub is None else hub.on()
        ev = {"guardduty_detectors": {d: s.value for d, s in gd.detectors.items() if s.ok}
              if gd else None, "security_hub": hub_on,
              "security_hub_cspm": hub.enabled.value if hub else None,
              "security_hub_unified": hub.unified.value if hub else None,
              "standards": hub.standards.value if hub else None,
              "standards_error": hub.standards.error.describe()
              if hub and hub.standards.error else None}
        off = [n for n, on in (("GuardDuty", gd_on), ("Security Hub", hub_on)) if on is False]
        if off:
            yield failed(scope, " and ".join(off) + " not enabled", **ev).at(where)
        elif gd_on is None or hub_on is None:
            errors = [why(got) for got in (gd_got, hub_got) if got.value is None]
            if gd is not None and gd_on is None:
                errors += [e.describe() for e in first_error(*gd.detectors.values())]
            if hub is not None and hub_on is None:
                errors += [e.describe() for e in first_error(hub.enabled, hub.unified)]
            yield not_assessed(scope, "; ".join(errors), **ev).at(where)
        else:
            yield passed(scope, "GuardDuty and Security Hub enabled", **ev).at(where)


def _guardduty_on(gd: GuardDuty) -> bool | None:
    """An enabled detector: True; none, and every detector read: False; else unknown (a
    denied GetDetector is not "GuardDuty not enabled")."""
    if any(s.value == "ENABLED" for s in gd.detectors.values()):
        return True
    return None if first_error(*gd.detectors.values()) else False
