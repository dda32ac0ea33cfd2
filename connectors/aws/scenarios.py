"""Seeding the simulator: building blocks for tests, and the demo scenarios.

``storm-0558``: an Organization of four accounts (management, log-archive, prod, dev) in two
regions, misconfigured the way real ones are: the organisation trail has no log file
validation and no KMS key, its archive expires after a year, its log group and its Lake event
data store keep 90 days, only
two CIS alarms exist, a member has no flow logs, GuardDuty and Config only in one region, a
leftover regional trail writes into its own account, no SCP protects the trails, no Config
aggregator, no Insights, GuardDuty delegated in one region without S3 or EKS protection.
``hardened``: everything done right.
"""

from __future__ import annotations

from typing import Any

from connectors.aws.simulator import DEMO_ACCOUNT, SCENARIOS, MotoServer

Creds = dict[str, str]

# CIS AWS Foundations 4.x metric filter patterns, one per monitored item.
CIS_PATTERNS = {
    "4.1": '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    "4.2": '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
    "4.3": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
           '$.eventType != "AwsServiceEvent" }',
    "4.4": '{ ($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || '
           '($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || '
           '($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || '
           '($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || '
           '($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || '
           '($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || '
           '($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || '
           '($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy) }',
    "4.5": '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || '
           '($.eventName = DeleteTrail) || ($.eventName = StartLogging) || '
           '($.eventName = StopLogging) }',
    "4.6": '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    "4.7": '{ ($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey) || '
           '($.eventName=ScheduleKeyDeletion)) }',
    "4.8": '{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || '
           '($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || '
           '($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || '
           '($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || '
           '($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }',
    "4.9": '{ ($.eventSource = config.amazonaws.com) && '
           '(($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || '
           '($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder)) }',
    "4.10": '{ ($.eventName = AuthorizeSecurityGroupIngress) || '
            '($.eventName = AuthorizeSecurityGroupEgress) || '
            '($.eventName = RevokeSecurityGroupIngress) || '
            '($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) '
            '|| ($.eventName = DeleteSecurityGroup) }',
    "4.11": '{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || '
            '($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || '
            '($.eventName = ReplaceNetworkAclEntry) || '
            '($.eventName = ReplaceNetworkAclAssociation) }',
    "4.12": '{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) '
            '|| ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) '
            '|| ($.eventName = DeleteInternetGateway) || '
            '($.eventName = DetachInternetGateway) }',
    "4.13": '{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || '
            '($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || '
            '($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) '
            '|| ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }',
    "4.14": '{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || '
            '($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) '
            '|| ($.eventName = CreateVpcPeeringConnection) || '
            '($.eventName = DeleteVpcPeeringConnection) || '
            '($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) '
            '|| ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) '
            '|| ($.eventName = EnableVpcClassicLink) }',
    "4.15": '{ ($.eventSource = organizations.amazonaws.com) && '
            '(($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || '
            '($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || '
            '($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || '
            '($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") '
            '|| ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || '
            '($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || '
            '($.eventName = "InviteAccountToOrganization") || '
            '($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || '
            '($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") '
            '|| ($.eventName = "UpdateOrganizationalUnit")) }',
}


def organization(server: MotoServer, members: list[str]) -> dict[str, str]:
    """An Organization whose management account is the default one; ``{name: account id}``."""
    import urllib.request

    # moto draws organisation and member account ids from its own random generator; seeding
    # it (moto's documented /moto-api/seed) makes every run of a scenario give the same ids,
    # so two demo runs diff as "0 opened, 0 closed".
    urllib.request.urlopen(urllib.request.Request(f"{server.url}/moto-api/seed?a=14558",
                                                  method="POST"), timeout=10).read()
    org = server.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = {"management": DEMO_ACCOUNT}
    for name in members:
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")
        ids[name] = status["CreateAccountStatus"]["AccountId"]
    return ids


def archive_bucket(server: MotoServer, creds: Creds, name: str, *, hardened: bool,
                   expire_days: int | None) -> None:
    """A trail bucket; hardened: public access blocked, Object Lock, access logging."""
    s3 = server.client("s3", **creds)
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=hardened)
    if hardened:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1000}}})
        s3.create_bucket(Bucket=f"{name}-access")
        s3.put_bucket_acl(Bucket=f"{name}-access", ACL="log-delivery-write")
        s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": f"{name}-access", "TargetPrefix": "s3/"}})
    else:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if expire_days:
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [{
            "ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""},
            "Expiration": {"Days": expire_days},
            # A versioned bucket keeps expired versions until this (as AWS applies it).
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})


def log_group(server: MotoServer, creds: Creds, region: str, name: str,
              retention: int | None) -> str:
    logs = server.client("logs", region, **creds)
    logs.create_log_group(logGroupName=name)
    if retention:
        logs.put_retention_policy(logGroupName=name, retentionInDays=retention)
    account = server.client("sts", **creds).get_caller_identity()["Account"]
    return f"arn:aws:logs:{region}:{account}:log-group:{name}:*"


def cis_alarms(server: MotoServer, creds: Creds, region: str, group: str,
               items: list[str], *, subscribed: bool = True) -> None:
    """A metric filter, an alarm and an SNS topic (with a subscriber) per CIS item."""
    logs = server.client("logs", region, **creds)
    cw = server.client("cloudwatch", region, **creds)
    sns = server.client("sns", region, **creds)
    topic = sns.create_topic(Name="security-alarms")["TopicArn"]
    if subscribed:
        sqs = server.client("sqs", region, **creds)
        queue = sqs.create_queue(QueueName="soc-intake")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs",
                      Endpoint=arn["Attributes"]["QueueArn"])
    for item in items:
        metric = f"cis-{item.replace('.', '-')}"
        logs.put_metric_filter(logGroupName=group, filterName=metric,
                               filterPattern=CIS_PATTERNS[item], metricTransformations=[{
                                   "metricName": metric, "metricNamespace": "CISBenchmark",
                                   "metricValue": "1"}])
        cw.put_metric_alarm(AlarmName=metric, MetricName=metric, Namespace="CISBenchmark",
                            Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanOrEqualToThreshold",
                            AlarmActions=[topic])


def trail(server: MotoServer, creds: Creds, region: str, name: str, bucket: str,
          **params: Any) -> str:
    """A trail, logging; ``selectors``/``advanced`` replace the default event selector."""
    ct = server.client("cloudtrail", region, **creds)
    selectors, advanced = params.pop("selectors", None), params.pop("advanced", None)
    arn: str = ct.create_trail(Name=name, S3BucketName=bucket, **params)["TrailARN"]
    if selectors is not None:
        ct.put_event_selectors(TrailName=name, EventSelectors=selectors)
    if advanced is not None:
        ct.put_event_selectors(TrailName=name, AdvancedEventSelectors=advanced)
    ct.start_logging(Name=name)
    return arn


def regional_services(server: MotoServer, creds: Creds, region: str, *, config: bool,
                      flow_logs: bool, guardduty: bool, securityhub: bool) -> None:
    if config:
        cfg = server.client("config", region, **creds)
        cfg.put_configuration_recorder(ConfigurationRecorder={
            "name": "default", "roleARN": "arn:aws:iam::123456789012:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
        cfg.put_delivery_channel(DeliveryChannel={"name": "default",
                                                  "s3BucketName": "config-delivery"})
        cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    # read here even without flow logs: moto makes the default VPC (a random id) when an
    # account's region is first used, which must happen now, after the seed, not during the
    # audit's concurrent reads
    ec2 = server.client("ec2", region, **creds)
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    if flow_logs:
        ec2.create_flow_logs(ResourceIds=vpcs, ResourceType="VPC", TrafficType="ALL",
                             LogDestinationType="cloud-watch-logs", LogGroupName="vpc-flow",
                             DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow")
    if guardduty:
        server.client("guardduty", region, **creds).create_detector(Enable=True)
    if securityhub:
        server.client("securityhub", region, **creds).enable_security_hub()


def kms_key(server: MotoServer, creds: Creds, region: str, *, rotate: bool,
            usage: str = "ENCRYPT_DECRYPT", spec: str = "SYMMETRIC_DEFAULT") -> str:
    kms = server.client("kms", region, **creds)
    key = kms.create_key(KeyUsage=usage, KeySpec=spec)["KeyMetadata"]
    if rotate:
        kms.enable_key_rotation(KeyId=key["KeyId"])
    return str(key["Arn"])


PROTECT_TRAILS = {"Version": "2012-10-17", "Statement": [{
    "Sid": "ProtectTrails", "Effect": "Deny",
    "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",
               "cloudtrail:PutEventSelectors"],
    "Resource": "*",
    "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}}}]}


def trail_scp(server: MotoServer, document: dict[str, Any] | None = None,
              target: str | None = None) -> str:
    """An SCP (by default one denying the trail-changing actions to all but a break-glass
    role) attached to ``target`` (default: the root); returns its id."""
    import json

    org = server.client("organizations")
    target = target or org.list_roots()["Roots"][0]["Id"]
    pid: str = org.create_policy(Content=json.dumps(document or PROTECT_TRAILS),
                                 Description="protect the trails", Name="protect-trails",
                                 Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=pid, TargetId=target)
    return pid


def detection_admin(server: MotoServer, admin: str, region: str, *, members: str = "ALL",
                    s3: str = "ALL", eks: str = "ALL", securityhub: bool = True) -> None:
    """GuardDuty (and Security Hub) delegated to ``admin`` in ``region``, with GuardDuty's
    organisation configuration as given (served by the simulator's stub: moto lacks it)."""
    from connectors.aws.stubs import guardduty_org_configuration

    server.client("guardduty", region).enable_organization_admin_account(AdminAccountId=admin)
    server.extras.guardduty_org[(admin, region)] = guardduty_org_configuration(members, s3, eks)
    if securityhub:
        server.extras.securityhub_admins[(DEMO_ACCOUNT, region)] = [
            {"AccountId": admin, "Status": "ENABLED"}]


def org_aggregator(server: MotoServer, region: str, *, all_regions: bool = True) -> None:
    source: dict[str, Any] = {"RoleArn": f"arn:aws:iam::{DEMO_ACCOUNT}:role/aggregator"}
    source.update({"AllAwsRegions": True} if all_regions else {"AwsRegions": [region]})
    server.client("config", region).put_configuration_aggregator(
        ConfigurationAggregatorName="organization", OrganizationAggregationSource=source)


def seed(server: MotoServer, scenario: str, regions: tuple[str, ...]) -> dict[str, str]:
    """Seed ``scenario``; returns the account ids by name."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown AWS scenario {scenario!r} (expected one of {SCENARIOS})")
    good = scenario == "hardened"
    ids = organization(server, ["log-archive", "prod", "dev"])
    creds = {n: ({} if i == DEMO_ACCOUNT else server.assume(i)) for n, i in ids.items()}
    mgmt, home = creds["management"], regions[0]
    bucket = f"org-cloudtrail-{ids['log-archive']}"
    archive_bucket(server, creds["log-archive"], bucket, hardened=good,
                   expire_days=1000 if good else 365)
    group = log_group(server, mgmt, home, "org-trail", None if good else 90)
    params: dict[str, Any] = {"IsMultiRegionTrail": True, "IsOrganizationTrail": True,
                              "IncludeGlobalServiceEvents": True,
                              "EnableLogFileValidation": good, "CloudWatchLogsLogGroupArn": group,
                              "CloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/ct"}
    if good:
        params["KmsKeyId"] = kms_key(server, mgmt, home, rotate=True)
        params["advanced"] = [
            {"Name": "management", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]}]},
            {"Name": "s3-objects", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]}]
    trail(server, mgmt, home, "org-trail", bucket, **params)
    if good:
        server.client("cloudtrail", home).put_insight_selectors(
            TrailName="org-trail", InsightSelectors=[{"InsightType": "ApiCallRateInsight"},
                                                     {"InsightType": "ApiErrorRateInsight"}])
        trail_scp(server)
        org_aggregator(server, home)
    for i, region in enumerate(regions):
        # storm: GuardDuty delegated in the home region only, without S3 or EKS protection,
        # and no Security Hub administrator.
        if good or i == 0:
            detection_admin(server, ids["log-archive"], region, members="ALL" if good else "NEW",
                            s3="ALL" if good else "NONE", eks="ALL" if good else "NONE",
                            securityhub=good)
    if good:        # the SIEM's feed (CROSS-SIEM-001): every event of the log group to Kinesis
        kinesis = server.client("kinesis", home, **mgmt)
        kinesis.create_stream(StreamName="siem-feed", ShardCount=1)
        stream = kinesis.describe_stream(StreamName="siem-feed")["StreamDescription"]
        server.client("logs", home, **mgmt).put_subscription_filter(
            logGroupName="org-trail", filterName="to-siem", filterPattern="",
            destinationArn=stream["StreamARN"], roleArn="arn:aws:iam::123456789012:role/cwl")
        from connectors.aws import sim_siem  # and Security Lake ingesting CloudTrail
        for region in regions:
            sim_siem.enable(ids["management"], region,
                            [(i, "CLOUD_TRAIL_MGMT") for i in sorted(ids.values())])
    cis_alarms(server, mgmt, home, "org-trail", list(CIS_PATTERNS) if good else ["4.1", "4.3"])
    # A CloudTrail Lake store of the Organization's events (served by the simulator's stub):
    # seven years when hardened, a 90-day "investigation" store otherwise.
    server.extras.add_event_data_store(ids["management"], home, "org-lake",
                                       2557 if good else 90, ("Management", "Data"),
                                       organization=True)
    for name, cr in creds.items():
        for i, region in enumerate(regions):
            regional_services(server, cr, region, config=good or i == 0,
                              flow_logs=good or name != "prod", guardduty=good or i == 0,
                              securityhub=good)
    kms_key(server, creds["prod"], home, rotate=good)
    kms_key(server, creds["dev"], home, rotate=False, usage="SIGN_VERIFY", spec="RSA_2048")
    if not good:
        # A leftover regional trail writing into its own account, management writes only.
        own = "prod-legacy-trail"
        server.client("s3", **creds["prod"]).create_bucket(Bucket=own)
        trail(server, creds["prod"], regions[-1], "legacy-regional", own, selectors=[
            {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
    return ids
