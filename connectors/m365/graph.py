"""Microsoft Graph with msgraph-sdk: organization, subscribedSkus, domains, users' licences
(one asyncio.run)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any
from urllib.parse import urlparse

import httpx

from auditor.snapshot import CollectionError
from connectors.m365.guard import check_request_async
from connectors.m365.model import (
    Domain,
    Organization,
    Sku,
    UserLicences,
    licence_key,
)
from connectors.m365.permissions import NEEDS
from connectors.m365.transport import MAX_EMPTY_PAGES, MAX_PAGES, Outcome


def _error(api: str, where: str, exc: Exception) -> CollectionError:
    from kiota_abstractions.api_error import APIError

    status = getattr(exc, "response_status_code", None)
    if isinstance(exc, APIError) and status:
        err = getattr(exc, "error", None)
        code = getattr(err, "code", None) or ""
        message = getattr(err, "message", None) or exc.message or ""
        return CollectionError(
            api=f"graph:{api}", scope=where, code=f"HTTP {status} {code}".strip(),
            reason=str(message)[:300],
            permission=NEEDS[f"graph:{api}"] if status in (401, 403) else "")
    return CollectionError(api=f"graph:{api}", scope=where, code=type(exc).__name__,
                           reason=str(exc)[:300] or repr(exc)[:300])


class PagingLoop(RuntimeError):
    """A Graph collection whose nextLink never ends."""


async def _all(builder: Any) -> list[Any]:
    """Every item of a Graph collection, following ``@odata.nextLink``."""
    page = await builder.get()
    items = list(page.value or []) if page else []
    seen: set[str] = set()
    empty = 0
    while page is not None and page.odata_next_link:
        if page.odata_next_link in seen or empty > MAX_EMPTY_PAGES or len(seen) > MAX_PAGES:
            raise PagingLoop("@odata.nextLink never ends (a repeated link or empty pages)")
        seen.add(page.odata_next_link)
        page = await builder.with_url(page.odata_next_link).get()
        got = list(page.value or []) if page else []
        empty = 0 if got else empty + 1
        items += got
    return items


def _organization(items: list[Any], tenant_id: str) -> Organization:
    org = items[0] if items else None
    if org is None:
        return Organization(tenant_id=tenant_id)
    return Organization(tenant_id=org.id or tenant_id, display_name=org.display_name or "",
                        verified_domains=[d.name for d in org.verified_domains or [] if d.name])


def _sku(s: Any) -> Sku:
    plans = [p.service_plan_name for p in s.service_plans or []
             if p.service_plan_name and (p.provisioning_status or "Success") != "Disabled"]
    prepaid = s.prepaid_units
    ids = {p.service_plan_name: str(p.service_plan_id) for p in s.service_plans or []
           if p.service_plan_name and p.service_plan_id}
    return Sku(sku_part_number=s.sku_part_number or str(s.sku_id or "") or "?",
               applies_to=s.applies_to or "", capability_status=s.capability_status or "",
               consumed_units=s.consumed_units or 0,
               enabled_units=(prepaid.enabled or 0) if prepaid else 0, plans=sorted(plans),
               sku_id=str(s.sku_id or ""), plan_ids=dict(sorted(ids.items())))


USERS_PAGE = 999        # the largest $top Graph accepts for users


async def _user_licences(graph: Any, adapter: Any) -> UserLicences:
    """Every user's ``assignedLicenses``, page by page (``@odata.nextLink``), reduced to counts
    per licence combination as each page arrives: no page outlives its loop turn (Graph
    "List users", ``$select`` and ``$top``). The pages go through msgraph-sdk's request
    pipeline (auth, retries, errors as ``ODataError``) but are read as plain JSON: kiota's
    ``User`` model deserialisation costs tens of milliseconds per user, hours for 300,000."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from kiota_abstractions.method import Method
    from kiota_abstractions.request_information import RequestInformation
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder

    errors = {"XXX": ODataError}
    params = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
        select=["id", "assignedLicenses"], top=USERS_PAGE)
    request = graph.users.to_get_request_information(
        RequestConfiguration(query_parameters=params))
    by_licences: dict[str, int] = {}
    count = 0
    seen: set[str] = set()
    empty = 0
    while True:
        raw = await adapter.send_primitive_async(request, "bytes", errors)
        try:
            doc = json.loads(raw or b"{}")
            users = doc.get("value") or []
        except (ValueError, AttributeError) as exc:
            raise ValueError(f"users page is not a JSON object with 'value': {exc}") from None
        for user in users:
            key = licence_key((str(a.get("skuId") or ""), a.get("disabledPlans") or [])
                              for a in user.get("assignedLicenses") or [])
            by_licences[key] = by_licences.get(key, 0) + 1
        count += len(users)
        link = doc.get("@odata.nextLink")
        if not link:
            break
        empty = 0 if users else empty + 1
        if link in seen or empty > MAX_EMPTY_PAGES or len(seen) > MAX_PAGES:
            raise PagingLoop("@odata.nextLink never ends (a repeated link or empty pages)")
        seen.add(link)
        request = RequestInformation(Method.GET)
        request.url = link
        request.headers.try_add("Accept", "application/json")
    return UserLicences(users=count, by_licences=dict(sorted(by_licences.items())))


async def _collect(base: str, tenant_id: str, credential: Any, scope: str, timeout: float,
                   calls: Counter[str]) -> list[Outcome]:
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_service_client import GraphServiceClient
    from msgraph_core import GraphClientFactory

    async def count(request: httpx.Request) -> None:
        calls["graph:" + request.url.path.rsplit("/", 1)[-1]] += 1

    host = urlparse(base).hostname or ""
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[scope], allowed_hosts=[host])
    client = httpx.AsyncClient(timeout=timeout,
                               event_hooks={"request": [check_request_async, count]})
    http = GraphClientFactory.create_with_default_middleware(client=client)
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = f"{base}/v1.0"
    graph = GraphServiceClient(request_adapter=adapter)
    out: list[Outcome] = []
    try:
        jobs: dict[str, Any] = {"organization": _all(graph.organization),
                                "subscribedSkus": _all(graph.subscribed_skus),
                                "domains": _all(graph.domains),
                                "users": _user_licences(graph, adapter)}
        results: list[Any] = await asyncio.gather(*jobs.values(), return_exceptions=True)
        for api, res in zip(jobs, results, strict=True):
            part = {"organization": "m365.organization", "subscribedSkus": "m365.licences",
                    "domains": "m365.domains", "users": "m365.user_licences"}[api]
            if isinstance(res, BaseException):
                if not isinstance(res, Exception):
                    raise res
                out.append(Outcome(part, None, _error(api, tenant_id, res)))
            elif isinstance(res, UserLicences):
                out.append(Outcome(part, res, None))
            elif api == "organization":
                out.append(Outcome(part, _organization(res, tenant_id), None))
            elif api == "subscribedSkus":
                out.append(Outcome(part, [_sku(s) for s in res], None))
            else:
                out.append(Outcome(part, [
                    Domain(name=d.id or "?", authentication_type=d.authentication_type or
                           "Managed", verified=bool(d.is_verified)) for d in res], None))
    finally:
        await client.aclose()
    return out


def collect_graph(base: str, tenant_id: str, credential: Any, scope: str, timeout: float,
                  calls: Counter[str]) -> list[Outcome]:
    """One ``asyncio.run`` for the whole Graph part of a tenant (in a worker thread)."""
    return asyncio.run(_collect(base, tenant_id, credential, scope, timeout, calls))
