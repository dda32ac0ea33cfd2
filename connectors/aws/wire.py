"""The AWS wire protocols as the simulator's fault and stub layer needs them: which operation
a signed request is, and an AWS error in the service's own protocol."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

_S3_QUERY_OPS = {"logging": "GetBucketLogging", "publicAccessBlock": "GetPublicAccessBlock",
                 "policyStatus": "GetBucketPolicyStatus", "acl": "GetBucketAcl",
                 "versioning": "GetBucketVersioning", "object-lock": "GetObjectLockConfiguration",
                 "lifecycle": "GetBucketLifecycleConfiguration", "policy": "GetBucketPolicy",
                 "notification": "GetBucketNotificationConfiguration"}
_REST_OPS = {("guardduty", "GET", "/detector"): "ListDetectors",
             ("guardduty", "GET", "/admin"): "ListOrganizationAdminAccounts",
             ("securityhub", "GET", "/accounts"): "DescribeHub",
             ("securityhub", "GET", "/hubv2"): "DescribeSecurityHubV2",
             ("securityhub", "GET", "/organization/admin"): "ListOrganizationAdminAccounts",
             ("securityhub", "POST", "/standards/get"): "GetEnabledStandards",
             ("securitylake", "GET", "/v1/datalakes"): "ListDataLakes",
             ("securitylake", "POST", "/v1/datalake/logsources/list"): "ListLogSources"}


def identify(environ: dict[str, Any], body: bytes) -> tuple[str, str, str]:
    """(service, operation, access key) of a signed AWS request."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    service, akid = "", ""
    if "Credential=" in auth:
        cred = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        akid, service = cred[0], cred[3] if len(cred) > 3 else ""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
    if target:
        return service, target.rsplit(".", 1)[-1], akid
    if "/operation/" in path:               # smithy RPC v2 (CloudWatch)
        return service, path.rsplit("/", 1)[-1], akid
    form = parse_qs(body.decode("utf-8", "replace")) if body else {}
    if "Action" in form:
        return service, form["Action"][0], akid
    if service == "s3":
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        for key, s3op in _S3_QUERY_OPS.items():
            if key in query:
                return service, s3op if method == "GET" else f"{method}:{key}", akid
        return service, "ListBuckets" if path in ("", "/") else f"{method}:object", akid
    if service == "s3control" and path.endswith("/publicAccessBlock"):
        return service, "GetPublicAccessBlock" if method == "GET" else "PutPublicAccessBlock", \
            akid
    op = _REST_OPS.get((service, method, path))
    if op is None and service == "guardduty" and path.startswith("/detector/"):
        op = ("DescribeOrganizationConfiguration" if path.endswith("/admin") else
              "GetDetector") if method == "GET" else f"{method}:{path}"
    return service, op or f"{method}:{path}", akid


_PROTOCOLS: dict[str, str] = {}


def protocol(service: str) -> str:
    if service not in _PROTOCOLS:
        import botocore.session

        names = {"monitoring": "cloudwatch", "email": "ses"}
        try:
            model = botocore.session.get_session().get_service_model(names.get(service,
                                                                                service))
            # The protocol botocore actually speaks (CloudWatch: json, not CBOR).
            _PROTOCOLS[service] = getattr(model, "resolved_protocol", None) or model.protocol
        except Exception:
            _PROTOCOLS[service] = "json"
    return _PROTOCOLS[service]


def _cbor_text(s: str) -> bytes:
    data = s.encode()
    n = len(data)
    head = bytes([0x60 + n]) if n < 24 else bytes([0x78, n]) if n < 256 else \
        bytes([0x79]) + n.to_bytes(2, "big")
    return head + data


def error_response(service: str, status: int, code: str, message: str
                   ) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and body of an AWS error in the service's wire protocol."""
    proto = protocol(service)
    if proto == "ec2":
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
                f"</Error></Errors><RequestID>sim</RequestID></Response>")
        return [("Content-Type", "text/xml")], body.encode()
    if proto == "query":
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>"
                f"{message}</Message></Error><RequestId>sim</RequestId></ErrorResponse>")
        return [("Content-Type", "text/xml")], body.encode()
    if proto == "rest-xml":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        return [("Content-Type", "application/xml")], body.encode()
    if proto == "smithy-rpc-v2-cbor":
        payload = bytes([0xA2]) + _cbor_text("__type") + _cbor_text(code) + \
            _cbor_text("message") + _cbor_text(message)
        return [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")], \
            payload
    doc = json.dumps({"__type": code, "message": message, "Message": message}).encode()
    return [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)], doc
