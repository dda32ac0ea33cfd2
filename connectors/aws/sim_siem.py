"""The simulator's SIEM paths: a stand-in for Amazon Security Lake (moto has none) and the
EventBridge flag moto leaves out of ``GetBucketNotificationConfiguration``.

Security Lake: a loopback stand-in.

It answers the two reads the connector makes, in the documented REST-JSON shapes (the
botocore service model ``securitylake/2018-05-10`` and the API reference):
- ``GET /v1/datalakes?regions=R`` -> ``{"dataLakes": [{"region", "createStatus",
  "dataLakeArn", ...}]}`` (https://docs.aws.amazon.com/security-lake/latest/APIReference/API_ListDataLakes.html);
- ``POST /v1/datalake/logsources/list`` ``{"regions", "nextToken"}`` -> ``{"sources":
  [{"account", "region", "sources": [{"awsLogSource": {"sourceName", "sourceVersion"}}]}],
  "nextToken"}`` (https://docs.aws.amazon.com/security-lake/latest/APIReference/API_ListLogSources.html).
State is per calling account (the delegated administrator's lake lists its members' sources)
and is seeded with ``enable``; ``reset`` clears it with the rest of the simulator.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

_LOCK = threading.Lock()
# account -> region -> (status, [(member account, source name)])
_LAKES: dict[str, dict[str, tuple[str, list[tuple[str, str]]]]] = {}
PAGE = 2        # small pages, so paging is exercised


def enable(account: str, region: str, sources: list[tuple[str, str]],
           status: str = "COMPLETED") -> None:
    """A data lake in ``account``/``region`` ingesting ``(member account, source)`` pairs."""
    with _LOCK:
        _LAKES.setdefault(account, {})[region] = (status, list(sources))


def reset() -> None:
    with _LOCK:
        _LAKES.clear()


def answer(environ: dict[str, Any], body: bytes, account: str,
           start_response: Callable[..., Any]) -> list[bytes]:
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
    with _LOCK:
        lakes = {r: (s, list(src)) for r, (s, src) in _LAKES.get(account, {}).items()}
    if method == "GET" and path == "/v1/datalakes":
        wanted = parse_qs(environ.get("QUERY_STRING", "")).get("regions") or list(lakes)
        doc: dict[str, Any] = {"dataLakes": [
            {"region": r, "createStatus": s,
             "dataLakeArn": f"arn:aws:securitylake:{r}:{account}:data-lake/default"}
            for r, (s, _) in sorted(lakes.items()) if r in wanted]}
    elif method == "POST" and path == "/v1/datalake/logsources/list":
        req = json.loads(body or b"{}")
        regions = req.get("regions") or list(lakes)
        rows = [{"account": member, "region": r,
                 "sources": [{"awsLogSource": {"sourceName": name, "sourceVersion": "2.0"}}]}
                for r, (_, src) in sorted(lakes.items()) if r in regions
                for member, name in src]
        start = int(req.get("nextToken") or 0)
        doc = {"sources": rows[start:start + PAGE]}
        if start + PAGE < len(rows):
            doc["nextToken"] = str(start + PAGE)
    else:
        doc = {"message": f"the Security Lake stand-in does not answer {method} {path}"}
        return _send(start_response, "404 Not Found", doc, "ResourceNotFoundException")
    return _send(start_response, "200 OK", doc)


def _send(start_response: Callable[..., Any], status: str, doc: dict[str, Any],
          error: str = "") -> list[bytes]:
    payload = json.dumps(doc).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    if error:
        headers.append(("x-amzn-ErrorType", error))
    start_response(status, headers)
    return [payload]


_PATCHED = False


def patch_notifications() -> None:
    """moto stores ``EventBridgeConfiguration`` but does not return it. S3 returns an empty
    ``<EventBridgeConfiguration/>`` element when delivery to EventBridge is on
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketNotificationConfiguration.html,
    "EventBridgeConfiguration: Enables delivery of events to Amazon EventBridge")."""
    global _PATCHED
    if _PATCHED:
        return
    _PATCHED = True
    from moto.s3.responses import S3Response

    original = S3Response.get_bucket_notification

    def get_bucket_notification(self: Any) -> Any:
        status, headers, body = original(self)
        conf = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if conf is not None and conf.event_bridge is not None and \
                isinstance(body, (bytes, str)):
            text = body.decode() if isinstance(body, bytes) else body
            end = "</NotificationConfiguration>"
            if "EventBridgeConfiguration" in text:
                pass
            elif end in text:
                text = text.replace(end, f"<EventBridgeConfiguration/>{end}")
            else:           # an empty configuration is written as one self-closing element
                text = re.sub(r"<NotificationConfiguration([^>]*)/>", "<NotificationConfiguration"
                              r"\1><EventBridgeConfiguration/></NotificationConfiguration>", text)
            body = text.encode() if isinstance(body, bytes) else text
            headers = {k: v for k, v in dict(headers).items() if k.lower() != "content-length"}
        return status, headers, body

    S3Response.get_bucket_notification = get_bucket_notification  # type: ignore[method-assign]
