"""The TOML config: read with tomllib, validated with pydantic; errors name file, key and need.

Tenant sections are validated by their connector's own config model, found by provider name.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import sys
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditor.errors import InputError
from auditor.files import read_bounded
from auditor.rule import PROFILES, Attestation, RetentionProfile
from auditor.secrets import ENV_NAME, Redactor, SecretError

__all__ = ["Config", "SecretError", "load_config", "parse_config", "resolve_secret"]

MAX_CONFIG_BYTES = 1_000_000
FAIL_ON = ("critical", "high", "medium", "low", "info", "none")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuditSection(_Strict):
    fail_on: Literal["critical", "high", "medium", "low", "info", "none"] = "high"
    retention_profile: Literal["m-26-14", "csrb", "m-21-31", "scuba-2026", "custom"] = "m-26-14"
    hot_days: int | None = Field(default=None, ge=1, le=36500)
    total_days: int | None = Field(default=None, ge=1, le=36500)
    timeout: float | None = Field(default=None, gt=0, allow_inf_nan=False)   # whole run, s
    max_workers: int = Field(default=8, ge=1, le=256)

    def retention(self) -> RetentionProfile:
        if self.retention_profile == "custom":
            if self.hot_days is None or self.total_days is None:
                raise ValueError("retention_profile = \"custom\" needs hot_days and total_days")
            return RetentionProfile("custom", self.hot_days, self.total_days)
        return PROFILES[self.retention_profile]


class Waiver(_Strict):
    rule: str
    resource: str = "*"
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date

    @field_validator("resource")
    @classmethod
    def _glob(cls, v: str) -> str:
        if not v:
            raise ValueError("an empty glob matches nothing; use \"*\" for every resource")
        fnmatch.translate(v)
        return v

    def covers(self, rule_id: str, resource: str) -> bool:
        return fnmatch.fnmatchcase(rule_id, self.rule) and fnmatch.fnmatchcase(resource,
                                                                               self.resource)


class AttestationEntry(_Strict):
    rule: str
    scope: str
    by: str = Field(min_length=1)
    date: date
    note: str = ""
    retention_days: int | None = Field(default=None, ge=1, le=36500)

    def to_attestation(self) -> Attestation:
        return Attestation(self.rule, self.scope, self.by, self.date, self.note,
                           self.retention_days)


class OutputSection(_Strict):
    format: str = "table"


class Config(_Strict):
    audit: AuditSection = Field(default_factory=AuditSection)
    tenants: list[dict[str, Any]] = Field(default_factory=list)
    waivers: list[Waiver] = Field(default_factory=list)
    attestations: list[AttestationEntry] = Field(default_factory=list)
    output: OutputSection = Field(default_factory=OutputSection)
    source: str = Field(default="", exclude=True)

    def retention(self) -> RetentionProfile:
        return self.audit.retention()


def _describe(exc: ValidationError, prefix: tuple[Any, ...] = ()) -> str:
    """The first pydantic error as ``key: expectation (got value)``."""
    err = exc.errors()[0]
    loc = [*prefix, *err["loc"]]
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "required key is missing"
    got = err.get("input")
    shown = "" if err["type"] in ("missing", "extra_forbidden") or isinstance(got, dict) \
        else f" (got {got!r:.60})"
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{key or '(top level)'}: {msg}{shown}{more}"


def parse_config(text: str, source: str = "<config>",
                 tenant_models: dict[str, type[BaseModel]] | None = None) -> Config:
    """Validate TOML text; tenants are checked against ``tenant_models`` by provider."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: not valid TOML: {exc}") from None
    try:
        cfg = Config.model_validate(raw)
        cfg.audit.retention()
    except ValidationError as exc:
        raise InputError(f"{source}: {_describe(exc)}") from None
    except ValueError as exc:
        raise InputError(f"{source}: audit.retention_profile: {exc}") from None
    cfg.source = source
    names: set[str] = set()
    for i, tenant in enumerate(cfg.tenants):
        provider = tenant.get("provider")
        models = tenant_models or {}
        if not isinstance(provider, str) or provider not in models:
            known = ", ".join(sorted(models)) or "none installed"
            raise InputError(f"{source}: tenants[{i}].provider: expected one of {known} "
                             f"(got {provider!r})")
        if not isinstance(tenant.get("name"), str) or not tenant["name"]:
            raise InputError(f"{source}: tenants[{i}].name: required non-empty string")
        if tenant["name"] in names:
            raise InputError(f"{source}: tenants[{i}].name: {tenant['name']!r} is used twice")
        names.add(tenant["name"])
        _check_env_names(tenant, f"{source}: tenants[{i}]")
        _check_key_files(tenant, f"{source}: tenants[{i}]")
        try:
            models[provider].model_validate(tenant)
        except ValidationError as exc:
            raise InputError(f"{source}: {_describe(exc, ('tenants', i))}") from None
        _check_endpoints(tenant, f"{source}: tenants[{i}]")
        for key, value in tenant.items():   # certificate_path, credentials_file, ...: now
            if key.endswith(("_path", "_file")) and isinstance(value, str) \
                    and not _is_file(value):
                raise InputError(f"{source}: tenants[{i}].{key}: no such file {value!r}")
    return cfg


def _is_file(name: str) -> bool:
    try:
        return Path(name).is_file()
    except (OSError, ValueError):     # a NUL byte, a name too long
        return False


def load_config(path: Path, tenant_models: dict[str, type[BaseModel]] | None = None) -> Config:
    try:
        text = read_bounded(path, MAX_CONFIG_BYTES, "config").decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: config is not UTF-8 text") from None
    return parse_config(text, str(path), tenant_models)


def _check_env_names(tenant: dict[str, Any], where: str) -> None:
    """A ``*_env`` key holds the NAME of an environment variable; anything else is most
    likely the secret pasted in by mistake, so it is refused without echoing the value."""
    for key, value in tenant.items():
        if key.endswith("_env") and value is not None and (
                not isinstance(value, str) or not ENV_NAME.match(value)):
            raise InputError(f"{where}.{key}: expected the name of an environment variable "
                             "(letters, digits and _, not starting with a digit); the value "
                             "is not shown in case it is the secret itself")


def _check_key_files(tenant: dict[str, Any], where: str) -> None:
    """A key, certificate or credentials file must be a regular file: ``/dev/zero`` would
    exhaust memory and a FIFO would hang the connector that reads it."""
    for key, value in tenant.items():
        if (key.endswith(("_path", "_file")) and isinstance(value, str) and value
                and os.path.exists(value) and not os.path.isfile(value)):
            raise InputError(f"{where}.{key}: {value!r:.200} is not a regular file")


def _is_loopback(host: str) -> bool:
    host = host.lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_endpoints(tenant: dict[str, Any], where: str) -> None:
    """Credentials never go in clear text to another machine: an ``http://`` endpoint (or a
    plaintext gRPC ``emulator_host``) must be loopback unless the tenant says
    ``allow_insecure_endpoints = true``, and then a warning is printed."""
    endpoints = tenant.get("endpoints")
    if not isinstance(endpoints, dict):
        return
    for key, value in sorted(endpoints.items()):
        if not isinstance(value, str):
            continue
        try:   # emulator_host is host:port for a plaintext gRPC channel
            parts = urlsplit(f"//{value}" if key == "emulator_host" else value)
            host = parts.hostname or ""
        except ValueError:
            continue   # malformed: the connector's own model says so
        plain = key == "emulator_host" or parts.scheme.lower() == "http"
        if not plain or _is_loopback(host):
            continue
        if tenant.get("allow_insecure_endpoints") is True:
            print(f"csrb-auditor: warning: {where}.endpoints.{key} is plain text to a "
                  "non-loopback host: credentials and data travel unencrypted "
                  "(allow_insecure_endpoints = true)", file=sys.stderr)
            continue
        raise InputError(f"{where}.endpoints.{key}: plain-text endpoint to a non-loopback "
                         "host would send credentials unencrypted; use https:// (or set "
                         "allow_insecure_endpoints = true on the tenant)")


def resolve_secret(env: str | None, file: str | None) -> str | None:
    """A secret named in config, read without remembering it anywhere (library and test
    use); a run resolves through its :class:`auditor.secrets.Redactor` instead."""
    return Redactor().resolve(env, file)
