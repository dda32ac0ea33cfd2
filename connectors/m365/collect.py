"""Collect a Microsoft 365 / Entra ID tenant: Graph, Exchange Online, Security & Compliance,
the Office 365 Management Activity API and ARM, in parallel, read-only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from auditor.connector import CollectContext
from auditor.snapshot import CollectionError, TenantSnapshot
from connectors.m365 import CLOUDS
from connectors.m365.arm import Arm
from connectors.m365.azure import collect_azure
from connectors.m365.exchange import (
    COMPLIANCE_PARTS,
    Exchange,
    compliance_parts,
)
from connectors.m365.graph import collect_graph
from connectors.m365.model import Subscription, SubscriptionList
from connectors.m365.permissions import NEEDS
from connectors.m365.transport import (
    ApiFailed,
    Http,
    Outcome,
    RememberingCredential,
    StaticToken,
    Tokens,
)

if TYPE_CHECKING:
    from connectors.m365 import M365Tenant

# Parts in the order they are written to the snapshot (deterministic whatever finishes first).
ORDER = ("m365.organization", "m365.licences", "m365.domains", "m365.admin_audit_config",
         "m365.organization_config", "m365.mailboxes", "m365.audit_bypass",
         "m365.ual_retention_policies", "m365.activity_subscriptions",
         "m365.entra_diagnostic_settings", "m365.entra_destination",
         "m365.entra_diagnostic_categories", "m365.azure_subscriptions",
         "m365.azure_activity_log", "m365.azure_key_vaults", "m365.azure_resource_diagnostics",
         "m365.user_licences", "m365.mailboxes_audit_disabled", "m365.protection_alerts")


def credential(target: M365Tenant, ctx: CollectContext) -> Any:
    """The azure-identity credential for ``target.auth`` (secrets only through
    ``ctx.secret``, which registers them for redaction)."""
    if target.auth == "token":
        if not target.token_env:
            raise ValueError("auth = \"token\" needs token_env")
        token = ctx.secret(target.token_env, None)
        if not token:
            raise ValueError(f"token_env {target.token_env} is empty")
        return StaticToken(token)
    import azure.identity as ai

    authority = CLOUDS[target.cloud].authority
    if target.auth == "client_secret":
        secret = ctx.secret(target.client_secret_env, target.client_secret_file)
        if not (secret and target.client_id):
            raise ValueError("auth = \"client_secret\" needs client_id and client_secret_env")
        return ai.ClientSecretCredential(target.tenant_id, target.client_id, secret,
                                         authority=authority)
    if target.auth == "certificate":
        if not (target.certificate_path and target.client_id):
            raise ValueError("auth = \"certificate\" needs client_id and certificate_path")
        password = ctx.secret(target.certificate_password_env, None)
        return ai.CertificateCredential(target.tenant_id, target.client_id,
                                        target.certificate_path,
                                        password=password.encode() if password else None,
                                        authority=authority)
    if target.auth == "managed_identity":
        return ai.ManagedIdentityCredential(client_id=target.client_id)
    if target.auth == "device_code":
        if target.client_id:
            return ai.DeviceCodeCredential(client_id=target.client_id,
                                           tenant_id=target.tenant_id, authority=authority)
        return ai.DeviceCodeCredential(tenant_id=target.tenant_id, authority=authority)
    if target.auth == "azure_cli":
        return ai.AzureCliCredential(tenant_id=target.tenant_id)
    return ai.DefaultAzureCredential(authority=authority,
                                     managed_identity_client_id=target.client_id)


def _subscriptions(http: Http, base: str, tenant: str, scope: str) -> Outcome:
    name = "m365.activity_subscriptions"
    url = f"{base}/api/v1.0/{tenant}/activity/feed/subscriptions/list"
    try:
        doc = http.json("management:subscriptions", scope, "GET", url, where=tenant,
                        permission=NEEDS["management"])
        if not isinstance(doc, list):
            raise ApiFailed(CollectionError(api="management:subscriptions", scope=tenant,
                                            code="MalformedResponse",
                                            reason="expected a JSON array"))
    except ApiFailed as exc:
        return Outcome(name, None, exc.error)
    subs = [Subscription(content_type=str(s.get("contentType") or "?"),
                         status=str(s.get("status") or ""), webhook=bool(s.get("webhook")))
            for s in doc if isinstance(s, dict)]
    return Outcome(name, SubscriptionList(subscriptions=subs).model_dump(), None)


def _guarded(fn: Callable[[], Outcome | list[Outcome]], names: tuple[str, ...],
             api: str, tenant: str) -> Callable[[], list[Outcome]]:
    """A job whose unexpected exception costs only its own parts."""

    def run() -> list[Outcome]:
        try:
            out = fn()
        except Exception as exc:
            error = CollectionError(api=api, scope=tenant, code=type(exc).__name__,
                                    reason=str(exc)[:300])
            return [Outcome(n, None, error) for n in names]
        return out if isinstance(out, list) else [out]

    return run


def collect(target: M365Tenant, ctx: CollectContext) -> TenantSnapshot:
    """One tenant; each API's failure is recorded on its own parts and the rest go on."""
    cloud = CLOUDS[target.cloud]
    tenant = target.tenant_id
    snap = TenantSnapshot(provider="m365", name=target.name, collected_at=ctx.now,
                          identity=f"app {target.client_id}" if target.client_id
                          else f"auth={target.auth}",
                          scope={"tenant_id": tenant, "cloud": target.cloud},
                          targets=[tenant])
    cred = RememberingCredential(credential(target, ctx), ctx.remember)
    http = Http(Tokens(cred), ctx, target.timeout)
    graph_calls: Counter[str] = Counter()
    exo = Exchange(http, target.url("exchange"), tenant, cloud.scope("exchange"))
    arm = Arm(http, target.url("arm"), cloud.scope("arm"), tenant)
    jobs = [
        _guarded(lambda: collect_graph(target.url("graph"), tenant, cred, cloud.scope("graph"),
                                       target.timeout, graph_calls),
                 ("m365.organization", "m365.licences", "m365.domains", "m365.user_licences"),
                 "graph", tenant),
        _guarded(lambda: exo.mailboxes(ctx.progress), ("m365.mailboxes",),
                 "exchange:Get-Mailbox", tenant),
        _guarded(exo.audit_disabled, ("m365.mailboxes_audit_disabled",),
                 "exchange:Get-Mailbox", tenant),
        _guarded(exo.audit_bypass, ("m365.audit_bypass",),
                 "exchange:Get-MailboxAuditBypassAssociation", tenant),
        _guarded(exo.admin_audit_config, ("m365.admin_audit_config",),
                 "exchange:Get-AdminAuditLogConfig", tenant),
        _guarded(exo.organization_config, ("m365.organization_config",),
                 "exchange:Get-OrganizationConfig", tenant),
        _guarded(lambda: compliance_parts(http, target.endpoints.compliance and
                                          target.url("compliance"),
                                          cloud.urls["compliance"], tenant,
                                          cloud.scope("compliance")),
                 tuple(COMPLIANCE_PARTS), "compliance", tenant),
        _guarded(lambda: _subscriptions(http, target.url("management"), tenant,
                                        cloud.scope("management")),
                 ("m365.activity_subscriptions",), "management", tenant),
        _guarded(arm.collect, ("m365.entra_diagnostic_categories",
                               "m365.entra_diagnostic_settings"), "arm", tenant),
        _guarded(lambda: collect_azure(http, target, cloud.scope("arm")),
                 ("m365.azure_subscriptions",), "arm:subscriptions", tenant),
    ]
    try:
        with ThreadPoolExecutor(max_workers=min(target.max_workers, ctx.max_workers),
                                thread_name_prefix=f"m365-{target.name}") as pool:
            outcomes = [o for fut in [pool.submit(j) for j in jobs] for o in fut.result()]
    finally:
        http.close()
    for o in sorted(outcomes, key=lambda o: (ORDER.index(o.name), o.scope)):
        snap.add(o.name, o.data, scope=o.scope, error=o.error)
    snap.api_calls = dict(sorted((http.calls + graph_calls).items()))
    return snap
