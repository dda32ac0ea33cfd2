"""The least-privilege grants for a GCP audit: predefined roles and the exact permissions the
connector uses, at organisation level (organisation mode) or on each project."""

from __future__ import annotations

from auditor.connector import Grant, Permissions

# permission -> (why, predefined role that carries it)
PERMISSIONS = {
    "resourcemanager.organizations.get": ("read the organisation", "roles/browser"),
    "resourcemanager.folders.get": ("SearchFolders / GetFolder: the folder hierarchy",
                                    "roles/browser"),
    "resourcemanager.folders.list": ("folder listing", "roles/browser"),
    "resourcemanager.projects.get": ("SearchProjects / GetProject: the projects in scope",
                                     "roles/browser"),
    "resourcemanager.projects.list": ("held on the organisation, proves every project is "
                                      "visible (CROSS-COV-001, testIamPermissions)",
                                      "roles/browser"),
    "resourcemanager.organizations.getIamPolicy": ("audit configs at organisation level",
                                                   "roles/iam.securityReviewer"),
    "resourcemanager.folders.getIamPolicy": ("audit configs at folder level",
                                             "roles/iam.securityReviewer"),
    "resourcemanager.projects.getIamPolicy": ("audit configs and sink-writer grants",
                                              "roles/iam.securityReviewer"),
    "logging.sinks.list": ("sinks at organisation, folder and project", "roles/logging.viewer"),
    "logging.buckets.list": ("log bucket retention and lock", "roles/logging.viewer"),
    "logging.buckets.get": ("central log buckets outside the audited projects",
                            "roles/logging.viewer"),
    "logging.exclusions.list": ("project exclusions", "roles/logging.viewer"),
    "logging.settings.get": ("organisation logging settings", "roles/logging.viewer"),
    "logging.logMetrics.list": ("log-based metrics for the CIS alerts", "roles/logging.viewer"),
    "monitoring.alertPolicies.list": ("alert policies", "roles/monitoring.viewer"),
    "monitoring.notificationChannels.list": ("notification channels",
                                             "roles/monitoring.viewer"),
    "compute.networks.list": ("VPC networks (DNS logging)", "roles/compute.networkViewer"),
    "compute.subnetworks.list": ("subnet flow logs", "roles/compute.networkViewer"),
    "compute.backendServices.list": ("load-balancer logging", "roles/compute.networkViewer"),
    "dns.policies.list": ("DNS server policies", "roles/dns.reader"),
    "networkmanagement.vpcflowlogsconfigs.list": (
        "VPC Flow Logs configs (Network Management API) at organisation and project",
        "roles/networkmanagement.viewer"),
    "serviceusage.services.get": ("whether Cloud Asset API is enabled",
                                  "roles/serviceusage.serviceUsageViewer"),
    "accessapproval.settings.get": ("Access Approval enrolment", "roles/accessapproval.viewer"),
    "securitycenter.eventthreatdetectionsettings.calculate": (
        "effective Event Threat Detection state", "roles/securitycenter.settingsViewer"),
    "cloudkms.locations.list": ("KMS locations (signing key age)", "roles/cloudkms.viewer"),
    "cloudkms.keyRings.list": ("KMS key rings", "roles/cloudkms.viewer"),
    "cloudkms.cryptoKeys.list": ("KMS keys: purpose and creation time", "roles/cloudkms.viewer"),
    "cloudsql.instances.list": ("Cloud SQL database flags and audit settings",
                                "roles/cloudsql.viewer"),
    "storage.buckets.get": ("export bucket retention policy, lock and lifecycle",
                            "roles/storage.bucketViewer"),
    "storage.buckets.getIamPolicy": ("export bucket grants to the sink writer",
                                     "roles/iam.securityReviewer"),
    "pubsub.topics.getIamPolicy": ("Pub/Sub export grants to the sink writer",
                                   "roles/iam.securityReviewer"),
    "bigquery.datasets.get": ("BigQuery export grants to the sink writer",
                              "roles/bigquery.metadataViewer"),
}


def permissions() -> Permissions:
    """Grant the roles at the organisation (organisation mode) or on each project; a custom
    role with exactly the permissions listed is the least-privilege alternative."""
    roles = sorted({role for _, role in PERMISSIONS.values()})
    grants = [Grant("gcp-role", r, "predefined role (organisation or each project)",
                    scope="organization|project") for r in roles]
    grants += [Grant("gcp-permission", p, why, scope="organization|project")
               for p, (why, _) in sorted(PERMISSIONS.items())]
    custom = {"title": "csrb-auditor", "stage": "GA",
              "description": "Read-only logging-configuration audit (csrb-auditor)",
              "includedPermissions": sorted(PERMISSIONS)}
    return Permissions(provider="gcp", grants=grants, document=custom)
