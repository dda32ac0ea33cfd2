"""The GCP connector's snapshot schema: every part it writes, typed by its record.

A scope is a resource name: ``organizations/N``, ``folders/N``, ``projects/P`` (the project
id), ``gs://BUCKET``, a log bucket's or an export destination's path. Rules read parts only
through these keys (``tenant.part(parts.HIERARCHY)``). Light: no SDK is imported here.
"""

from __future__ import annotations

from auditor.observed import PartKey, PartSchema, keys_of
from connectors.gcp.model import (
    AccessApproval,
    AlertPolicy,
    ArchiveBucket,
    BackendService,
    CryptoKeyList,
    DnsPolicy,
    FlowLogsConfig,
    Hierarchy,
    IamPolicy,
    LogBucket,
    LogExclusion,
    LoggingSettings,
    LogMetric,
    LogSink,
    Network,
    NotificationChannel,
    OrgVisibility,
    ServiceState,
    SqlInstance,
    Subnetwork,
    ThreatDetection,
)

NODE = "organizations/N | folders/N | projects/P"
PROJECT = "projects/P"

HIERARCHY = PartKey("gcp.hierarchy", Hierarchy, "",
                    "the organisation, folders and projects audited")
ANCESTRY = PartKey("gcp.ancestry", type(None), "projects/P | folders/N",
                   "only an error: a project's or folder's parent could not be read")
ORG_VISIBILITY = PartKey("gcp.org_visibility", OrgVisibility, "organizations/N",
                         "which visibility permissions the audit identity holds on the org")
IAM_POLICY = PartKey("gcp.iam_policy", IamPolicy, NODE,
                     "audit configs and the writer-role bindings of a node's IAM policy")
SINKS = PartKey("gcp.sinks", list[LogSink], NODE, "a node's log sinks")
SETTINGS = PartKey("gcp.settings", LoggingSettings, "organizations/N",
                   "the organisation's Cloud Logging settings")
LOG_BUCKETS = PartKey("gcp.log_buckets", list[LogBucket], PROJECT,
                      "a project's log buckets, every location")
LOG_BUCKET = PartKey("gcp.log_bucket", LogBucket, "projects/P/locations/L/buckets/B",
                     "one log bucket outside the audited projects that a sink routes to")
EXCLUSIONS = PartKey("gcp.exclusions", list[LogExclusion], PROJECT,
                     "a project's log exclusions")
LOG_METRICS = PartKey("gcp.log_metrics", list[LogMetric], PROJECT,
                      "a project's log-based metrics")
ALERT_POLICIES = PartKey("gcp.alert_policies", list[AlertPolicy], PROJECT,
                         "a project's Cloud Monitoring alert policies")
NOTIFICATION_CHANNELS = PartKey("gcp.notification_channels", list[NotificationChannel],
                                PROJECT, "a project's notification channels")
NETWORKS = PartKey("gcp.networks", list[Network], PROJECT, "a project's VPC networks")
SUBNETWORKS = PartKey("gcp.subnetworks", list[Subnetwork], PROJECT,
                      "a project's subnetworks, every region, with their flow-log switch")
FLOW_LOG_CONFIGS = PartKey("gcp.flow_log_configs", list[FlowLogsConfig],
                           "organizations/N | projects/P",
                           "Network Management VPC Flow Logs configs")
BACKEND_SERVICES = PartKey("gcp.backend_services", list[BackendService], PROJECT,
                           "a project's backend services and their request logging")
DNS_POLICIES = PartKey("gcp.dns_policies", list[DnsPolicy], PROJECT,
                       "a project's Cloud DNS server policies")
SERVICES = PartKey("gcp.services", ServiceState, PROJECT,
                   "the state of the Cloud Asset API in a project")
ACCESS_APPROVAL = PartKey("gcp.access_approval", AccessApproval,
                          "organizations/N | projects/P", "Access Approval settings")
THREAT_DETECTION = PartKey("gcp.threat_detection", ThreatDetection, PROJECT,
                           "Event Threat Detection's effective enablement")
KMS_KEYS = PartKey("gcp.kms_keys", CryptoKeyList, PROJECT,
                   "a project's Cloud KMS keys and the locations listed")
SQL_INSTANCES = PartKey("gcp.sql_instances", list[SqlInstance], PROJECT,
                        "a project's Cloud SQL instances and their database flags")
STORAGE_BUCKET = PartKey("gcp.storage_bucket", ArchiveBucket, "gs://BUCKET",
                         "an export bucket's retention, lock, lifecycle and IAM")
DESTINATION_IAM = PartKey("gcp.destination_iam", dict[str, list[str]],
                          "a sink destination (pubsub/bigquery)",
                          "writer role -> members granted on a topic or dataset")

SCHEMA = PartSchema(provider="gcp", version="2", keys=keys_of(globals().values()))
