"""The TOML config: read with tomllib, validated with pydantic; errors name file, key and need.

Tenant sections are validated by their connector's own config model, found by provider name.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditor.errors import InputError
from auditor.rule import PROFILES, Attestation, RetentionProfile

MAX_CONFIG_BYTES = 1_000_000
FAIL_ON = ("critical", "high", "medium", "low", "info", "none")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuditSection(_Strict):
    fail_on: Literal["critical", "high", "medium", "low", "info", "none"] = "high"
    retention_profile: Literal["m-26-14", "csrb", "m-21-31", "scuba-2026", "custom"] = "m-26-14"
    hot_days: int | None = Field(default=None, ge=1, le=36500)
    total_days: int | None = Field(default=None, ge=1, le=36500)
    timeout: float | None = Field(default=None, gt=0)   # seconds for the whole run
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
        try:
            models[provider].model_validate(tenant)
        except ValidationError as exc:
            raise InputError(f"{source}: {_describe(exc, ('tenants', i))}") from None
    return cfg


def load_config(path: Path, tenant_models: dict[str, type[BaseModel]] | None = None) -> Config:
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise InputError(f"{path}: config is {size} bytes; expected at most "
                             f"{MAX_CONFIG_BYTES}")
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: config is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read config ({exc.strerror})") from None
    return parse_config(text, str(path), tenant_models)


class SecretError(InputError):
    pass


_SECRETS: set[str] = set()


def resolve_secret(env: str | None, file: str | None) -> str | None:
    """A secret from the environment variable or file named in config; remembered for
    redaction so it can never be printed."""
    value: str | None = None
    if env:
        value = os.environ.get(env)
        if value is None:
            raise SecretError(f"environment variable {env} is not set")
    elif file:
        try:
            value = Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretError(f"{file}: cannot read secret file ({exc.strerror})") from None
    if value:
        remember_secret(value)
    return value


def remember_secret(value: str) -> None:
    if len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """Replace every known secret in ``text`` with ``***``."""
    for s in _SECRETS:
        if s in text:
            text = text.replace(s, "***")
    return text
