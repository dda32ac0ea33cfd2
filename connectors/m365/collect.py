"""Collect a Microsoft 365 / Entra ID tenant: Graph, Exchange Online, Security & Compliance,
the Office 365 Management Activity API and ARM, in parallel, read-only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from auditor.collectkit import Reader
from auditor.connector import CollectContext
from auditor.observed import CollectionError, Observed
from auditor.snapshot import TenantSnapshot
from connectors.m365 import CLOUDS, parts
from connectors.m365.arm import Arm
from connectors.m365.azure import collect_azure
from connectors.m365.exchange import (
    COMPLIANCE_PARTS,
    Exchange,
    compliance_parts,
)
from connectors.m365.graph import collect_graph
from connectors.m365.model import Subscription
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
ORDER = tuple(k.name for k in (
    parts.ORGANIZATION, parts.LICENCES, parts.DOMAINS, parts.ADMIN_AUDIT_CONFIG,
    parts.ORGANIZATION_CONFIG, parts.MAILBOXES, parts.AUDIT_BYPASS,
    parts.UAL_RETENTION_POLICIES, parts.ACTIVITY_SUBSCRIPTIONS,
    parts.ENTRA_DIAGNOSTIC_SETTINGS, parts.ENTRA_DESTINATION,
    parts.ENTRA_DIAGNOSTIC_CATEGORIES, parts.AZURE_SUBSCRIPTIONS, parts.AZURE_ACTIVITY_LOG,
    parts.AZURE_KEY_VAULTS, parts.AZURE_RESOURCE_DIAGNOSTICS, parts.USER_LICENCES,
    parts.MAILBOXES_AUDIT_DISABLED, parts.PROTECTION_ALERTS))


def classify(exc: BaseException, api: str, scope: str) -> CollectionError:
    """An API failure as the transport reported it; any other exception of a job costs only
    that job's parts (named by type and message), never the tenant."""
    if isinstance(exc, ApiFailed):
        return exc.error
    return CollectionError(api=api, scope=scope, code=type(exc).__name__,
                           reason=str(exc)[:300])


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


def _subscriptions(reader: Reader, http: Http, base: str, tenant: str, scope: str
                   ) -> Outcome:
    url = f"{base}/api/v1.0/{tenant}/activity/feed/subscriptions/list"

    def read() -> list[Subscription]:
        doc = http.json("management:subscriptions", scope, "GET", url, where=tenant,
                        permission=NEEDS["management"])
        if not isinstance(doc, list):
            raise ApiFailed(CollectionError(api="management:subscriptions", scope=tenant,
                                            code="MalformedResponse",
                                            reason="expected a JSON array"))
        return [Subscription(content_type=str(s.get("contentType") or "?"),
                             status=str(s.get("status") or ""), webhook=bool(s.get("webhook")))
                for s in doc if isinstance(s, dict)]

    got = reader.field("management:subscriptions", tenant, read)
    return Outcome(parts.ACTIVITY_SUBSCRIPTIONS.name, got.value, got.error)


def _guarded(reader: Reader, fn: Callable[[], Outcome | list[Outcome]],
             names: tuple[str, ...], api: str, tenant: str) -> Callable[[], list[Outcome]]:
    """A job whose unexpected exception costs only its own parts."""

    def run() -> list[Outcome]:
        got = reader.field(api, tenant, fn)
        if got.error is not None:
            return [Outcome(n, None, got.error) for n in names]
        out = got.get()
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
    reader = Reader(snap, classify)

    def guarded(fn: Callable[[], Outcome | list[Outcome]], names: tuple[str, ...],
                api: str) -> Callable[[], list[Outcome]]:
        return _guarded(reader, fn, names, api, tenant)

    jobs = [
        guarded(lambda: collect_graph(target.url("graph"), tenant, cred, cloud.scope("graph"),
                                      target.timeout, graph_calls),
                ("m365.organization", "m365.licences", "m365.domains", "m365.user_licences"),
                "graph"),
        guarded(lambda: exo.mailboxes(ctx.progress), ("m365.mailboxes",),
                "exchange:Get-Mailbox"),
        guarded(exo.audit_disabled, ("m365.mailboxes_audit_disabled",),
                "exchange:Get-Mailbox"),
        guarded(exo.audit_bypass, ("m365.audit_bypass",),
                "exchange:Get-MailboxAuditBypassAssociation"),
        guarded(exo.admin_audit_config, ("m365.admin_audit_config",),
                "exchange:Get-AdminAuditLogConfig"),
        guarded(exo.organization_config, ("m365.organization_config",),
                "exchange:Get-OrganizationConfig"),
        guarded(lambda: compliance_parts(http, target.endpoints.compliance and
                                         target.url("compliance"),
                                         cloud.urls["compliance"], tenant,
                                         cloud.scope("compliance")),
                tuple(COMPLIANCE_PARTS), "compliance"),
        guarded(lambda: _subscriptions(reader, http, target.url("management"), tenant,
                                       cloud.scope("management")),
                ("m365.activity_subscriptions",), "management"),
        guarded(arm.collect, ("m365.entra_diagnostic_categories",
                              "m365.entra_diagnostic_settings"), "arm"),
        guarded(lambda: collect_azure(http, target, cloud.scope("arm")),
                ("m365.azure_subscriptions",), "arm:subscriptions"),
    ]
    try:
        with ThreadPoolExecutor(max_workers=min(target.max_workers, ctx.max_workers),
                                thread_name_prefix=f"m365-{target.name}") as pool:
            outcomes = [o for fut in [pool.submit(j) for j in jobs] for o in fut.result()]
    finally:
        http.close()
    for o in sorted(outcomes, key=lambda o: (ORDER.index(o.name), o.scope)):
        key = parts.BY_NAME[o.name]
        # validated against the schema as it is written (a model passes as is)
        reader.put(key, o.scope, Observed[Any](error=o.error) if o.error is not None
                   else Observed[Any](value=key.validate(o.data)))
    snap.api_calls = dict(sorted((http.calls + graph_calls).items()))
    return snap
