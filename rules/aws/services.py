"""Regional services behind an investigation: AWS Config, VPC flow logs, KMS key rotation,
GuardDuty and Security Hub, judged in every audited account and region."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Result
from auditor.rule import RuleContext, failed, not_applicable, not_assessed, passed, rule
from auditor.snapshot import CollectionError, TenantSnapshot
from connectors.aws.model import ConfigRecorders, GuardDuty, KmsKeys, SecurityHub, VpcFlowLogs
from rules.aws._common import each


def _why(error: CollectionError | None) -> str:
    return error.describe() if error else "not collected"


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
    for scope, data, error in each(tenant, "aws.config", ConfigRecorders):
        if data is None:
            yield not_assessed(scope, _why(error))
            continue
        good = [r.name for r in data.recorders if r.all_supported and r.recording]
        ev = {"recorders": [r.model_dump() for r in data.recorders]}
        if good:
            yield passed(scope, f"recorder {good[0]} records all supported types", **ev)
        elif data.recorders:
            yield failed(scope, "the recorder is stopped or records only some types", **ev)
        else:
            yield failed(scope, "no configuration recorder", **ev)


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
    for scope, data, error in each(tenant, "aws.vpcs", VpcFlowLogs):
        if data is None:
            found = True
            yield not_assessed(scope, _why(error))
            continue
        for v in data.vpcs:
            found = True
            ev = {"flow_logs": v.flow_logs, "default_vpc": v.is_default}
            yield (passed(f"{scope}/{v.id}", "active flow log", **ev) if v.flow_logs
                   else failed(f"{scope}/{v.id}", "no active flow log", **ev))
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
    for scope, data, error in each(tenant, "aws.kms", KmsKeys):
        if data is None:
            found = True
            yield not_assessed(scope, _why(error))
            continue
        for k in data.keys:
            if k.error is not None:
                found = True
                yield not_assessed(k.arn, k.error.describe())
            elif k.rotation_enabled is not None:
                found = True
                ev = {"rotation_enabled": k.rotation_enabled, "created": k.created}
                yield (passed(k.arn, "rotation is on", **ev) if k.rotation_enabled
                       else failed(k.arn, "rotation is off", **ev))
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
    hubs = {s: (d, e) for s, d, e in each(tenant, "aws.securityhub", SecurityHub)}
    for scope, gd, gd_error in each(tenant, "aws.guardduty", GuardDuty):
        hub, hub_error = hubs.get(scope, (None, None))
        gd_on = None if gd is None else _guardduty_on(gd)
        hub_on = None if hub is None else hub.on()
        ev = {"guardduty_detectors": gd.detectors if gd else None, "security_hub": hub_on,
              "security_hub_cspm": hub.enabled if hub else None,
              "security_hub_unified": hub.unified if hub else None,
              "standards": hub.standards if hub else None,
              "standards_error": hub.standards_error.describe()
              if hub and hub.standards_error else None}
        off = [n for n, on in (("GuardDuty", gd_on), ("Security Hub", hub_on)) if on is False]
        if off:
            yield failed(scope, " and ".join(off) + " not enabled", **ev)
        elif gd_on is None or hub_on is None:
            errors = [_why(e) for e, d in ((gd_error, gd), (hub_error, hub)) if d is None]
            if gd is not None and gd_on is None:
                errors += [e.describe() for e in gd.errors]
            if hub is not None and hub_on is None:
                errors += [e.describe() for e in (hub.hub_error, hub.unified_error) if e]
            yield not_assessed(scope, "; ".join(errors), **ev)
        else:
            yield passed(scope, "GuardDuty and Security Hub enabled", **ev)


def _guardduty_on(gd: GuardDuty) -> bool | None:
    """An enabled detector: True; none, and every detector read: False; else unknown (a
    denied GetDetector is not "GuardDuty not enabled")."""
    if any(s == "ENABLED" for s in gd.detectors.values()):
        return True
    return None if gd.errors else False
