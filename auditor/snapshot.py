"""The evidence snapshot: what every connector observed, or why it could not.

A snapshot is versioned canonical JSON (sorted keys, UTF-8) with a SHA-256 of its content, so
it can be stored, verified and checked again later without credentials.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Hashable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import BaseModel, Field, PrivateAttr, TypeAdapter, ValidationError

from auditor.errors import InputError
from auditor.files import read_bounded
from auditor.observed import CollectionError as CollectionError  # re-exported
from auditor.observed import NotCollected as NotCollected
from auditor.observed import Observed, PartKey, PartSchema
from auditor.secrets import Redactor

# 2: every read is an ``Observed`` (value or error) and parts are validated against the
# writing connector's ``PartSchema``; version 1 snapshots must be collected again.
SCHEMA_VERSION = "2"
MAX_SNAPSHOT_BYTES = 2 << 30

T = TypeVar("T")


class Part(BaseModel):
    """One collected part of a tenant: observed ``data``, or an ``error`` saying why not."""

    name: str
    scope: str = ""
    data: Any = None
    error: CollectionError | None = None
    _typed: dict[Any, Any] = PrivateAttr(default_factory=dict)

    @property
    def observed(self) -> bool:
        return self.error is None

    def as_(self, kind: type[T]) -> T:
        """The part's data validated as ``kind`` (a pydantic model or a type). Validated once
        per part and kind: rules share the result and must treat it as read-only."""
        if self.error is not None:
            raise NotCollected([self.error])
        typed = self._typed.get(kind)
        if typed is None:
            typed = self._typed[kind] = _adapter(kind).validate_python(self.data)
        return cast(T, typed)

    def typed(self, key: PartKey[T]) -> T:
        """The part's data validated by its key (once per part and key; read-only)."""
        if self.error is not None:
            raise NotCollected([self.error])
        typed = self._typed.get(key)
        if typed is None:
            typed = self._typed[key] = key.validate(self.data)
        return cast(T, typed)


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(kind: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


class TenantSnapshot(BaseModel):
    """Everything one connector collected from one tenant (account, organisation, project set)."""

    provider: str
    name: str
    scope: dict[str, Any] = Field(default_factory=dict)
    identity: str = ""
    collected_at: datetime | None = None
    parts: list[Part] = Field(default_factory=list)
    api_calls: dict[str, int] = Field(default_factory=dict)
    targets: list[str] = Field(default_factory=list)
    # (parts list id, length) -> parts by name and by (name, scope): a rule asks for parts
    # again and again, and an organisation has thousands of them
    _index: tuple[tuple[int, int], dict[str, list[Part]], dict[tuple[str, str], Part]] | None \
        = PrivateAttr(default=None)
    # values rules derive from the parts (``memo``), dropped whenever the index is rebuilt
    _memo: dict[Hashable, Any] = PrivateAttr(default_factory=dict)

    def _indexed(self) -> tuple[dict[str, list[Part]], dict[tuple[str, str], Part]]:
        stamp = (id(self.parts), len(self.parts))
        index = self._index
        if index is None or index[0] != stamp:
            by_name: dict[str, list[Part]] = {}
            by_scope: dict[tuple[str, str], Part] = {}
            for p in self.parts:
                by_name.setdefault(p.name, []).append(p)
                by_scope.setdefault((p.name, p.scope), p)     # the first one, as before
            index = self._index = (stamp, by_name, by_scope)
            self._memo = {}
        return index[1], index[2]

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """``make()`` once per ``key`` while the parts stay the same: a value several rules
        derive from the same parts (routing of a project, a map of records by scope)."""
        self._indexed()                                   # drops stale values
        if key not in self._memo:
            self._memo[key] = make()
        return cast(T, self._memo[key])

    def has(self, name: str, scope: str = "") -> bool:
        """Whether the snapshot has the part at all (observed or not)."""
        return (name, scope) in self._indexed()[1]

    def set_part(self, i: int, part: Part) -> None:
        """Replace the ``i``-th part (assign ``parts`` a new list, or use this: the index
        follows the list, not its items)."""
        self.parts[i] = part
        self._index = None

    def add(self, name: str, data: Any = None, *, scope: str = "",
            error: CollectionError | None = None) -> Part:
        part = Part(name=name, scope=scope, data=data, error=error)
        self.parts.append(part)
        return part

    def all(self, name: str) -> list[Part]:
        """Every part of that name, observed or not, in collection order."""
        return list(self._indexed()[0].get(name, ()))

    def part(self, key: PartKey[T], scope: str = "") -> T:
        """The data of the one part ``key`` at ``scope``, typed by the key; ``NotCollected``
        if it is absent or failed."""
        return self.get(key.name, scope).typed(key)

    def observed(self, key: PartKey[T], scope: str = "") -> Observed[T]:
        """The part ``key`` at ``scope`` as an ``Observed`` (an error when absent or failed);
        made once per part, as rules ask for the same parts again and again."""

        def make() -> Observed[T]:
            try:
                return Observed[T](value=self.part(key, scope))
            except NotCollected as exc:
                return Observed[T](error=exc.errors[0])

        return self.memo(("observed", key.name, scope), make)

    def each(self, key: PartKey[T]) -> Iterator[tuple[str, Observed[T]]]:
        """Every part ``key`` (scope, value or error), in collection order."""
        for p in self.all(key.name):
            if p.error is not None:
                yield p.scope, Observed[T](error=p.error)
            else:
                yield p.scope, Observed[T](value=p.typed(key))

    def get(self, name: str, scope: str = "") -> Part:
        """The one part of that name and scope; ``NotCollected`` if absent or failed."""
        p = self._indexed()[1].get((name, scope))
        if p is not None:
            if p.error is not None:
                raise NotCollected([p.error])
            return p
        raise NotCollected([CollectionError(api=name, scope=scope, code="Missing",
                                            reason="not in the snapshot")])

    def errors(self) -> Iterator[CollectionError]:
        for p in self.parts:
            if p.error is not None:
                yield p.error


class ToolStamp(BaseModel):
    name: str = "csrb-auditor"
    version: str


class Snapshot(BaseModel):
    """All tenants of one collection, with the schema version and content hash."""

    schema_version: str = SCHEMA_VERSION
    tool: ToolStamp
    created_at: datetime
    tenants: list[TenantSnapshot] = Field(default_factory=list)
    shard: str = ""                                   # "k/n" for `collect --shard k/n`
    merged_from: list[str] = Field(default_factory=list)   # sha256 of merged shard snapshots
    sha256: str = ""

    def content_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"sha256"})
        return hashlib.sha256(canonical_json(body)).hexdigest()

    def sealed(self) -> Snapshot:
        """A copy whose ``sha256`` matches its content."""
        return self.model_copy(update={"sha256": self.content_hash()})

    def to_bytes(self) -> bytes:
        return canonical_json(self.sealed().model_dump(mode="json"))

    def without_lone_surrogates(self) -> Snapshot:
        """This snapshot, or when some string holds a lone surrogate (an API returned a name
        that is not valid Unicode), a copy with each shown as U+FFFD, ``sha256`` kept: what
        the rules and reporters get, so one odd name never aborts a report."""
        body = self.model_dump(mode="json")
        text = json.dumps(body, ensure_ascii=False, default=str)
        if not _LONE_SURROGATE.search(text):
            return self
        return Snapshot.model_validate(_replace_surrogates(body))

    def redacted(self, redactor: Redactor) -> Snapshot:
        """A sealed copy with every known secret replaced by ``***`` in every string (error
        reasons echo tokens; a tenant's data may hold one): a snapshot is evidence that is
        stored and shared, so it never carries a credential."""
        return Snapshot.model_validate(redactor.scrub(self.model_dump(mode="json"))).sealed()


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _replace_surrogates(obj: Any) -> Any:
    if isinstance(obj, str):
        return _LONE_SURROGATE.sub("\ufffd", obj)
    if isinstance(obj, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_replace_surrogates(v) for v in obj]
    return obj


def canonical_json(obj: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: the same content gives the same bytes.

    A lone surrogate (an API returned a name that is not valid Unicode) cannot be UTF-8, so
    it is written as its JSON escape (``\\udc80``): the file stays valid JSON and reads back
    to the same string, and one odd mailbox name never costs the whole audit.
    """
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:   # only inside strings: json.dumps escapes nothing else there
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def load_snapshot(path: Path, *, verify: bool = True,
                  schemas: Mapping[str, PartSchema] | None = None) -> Snapshot:
    """Read a snapshot file; a corrupt, foreign-version or tampered file is an ``InputError``,
    and so (given the installed connectors' ``schemas``) is a part that does not match its
    connector's schema."""
    raw = read_bounded(path, MAX_SNAPSHOT_BYTES, "snapshot")
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a snapshot: invalid JSON ({exc})") from None
    if not isinstance(doc, dict) or "tenants" not in doc:
        raise InputError(f"{path}: not a snapshot: expected an object with 'schema_version' "
                         f"and 'tenants'") from None
    version = doc.get("schema_version")
    if version == "1":
        raise InputError(f"{path}: snapshot schema_version '1' was written by an older "
                         f"csrb-auditor; collect it again with this version (schema "
                         f"{SCHEMA_VERSION!r})") from None
    if version != SCHEMA_VERSION:
        raise InputError(f"{path}: snapshot schema_version {version!r} is not supported "
                         f"(expected {SCHEMA_VERSION!r})") from None
    try:
        snap = Snapshot.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise InputError(f"{path}: not a valid snapshot: {where}: {err['msg']}") from None
    if verify and snap.sha256 != snap.content_hash():
        raise InputError(f"{path}: snapshot sha256 does not match its content "
                         f"(recorded {snap.sha256[:12] or 'none'}…, computed "
                         f"{snap.content_hash()[:12]}…): it was modified or truncated") from None
    if schemas is not None:
        check_parts(snap, schemas, str(path))
    return snap


def check_parts(snap: Snapshot, schemas: Mapping[str, PartSchema], where: str) -> None:
    """Validate every observed part against its connector's ``PartSchema`` (the typed values
    are kept for the rules); an unknown part or data of the wrong shape is an ``InputError``
    naming it. Tenants of a provider with no installed connector are left alone."""
    for ti, tenant in enumerate(snap.tenants):
        schema = schemas.get(tenant.provider)
        if schema is None:
            continue
        for pi, part in enumerate(tenant.parts):
            at = f"{where}: tenants[{ti}].parts[{pi}] ({part.name!r}"
            at += f" at {part.scope!r})" if part.scope else ")"
            key = schema.key(part.name)
            if key is None:
                if part.name == "connector":     # the connector crashed: only an error
                    continue
                raise InputError(f"{at}: not a part of the {tenant.provider} snapshot schema "
                                 f"{schema.version}")
            if part.error is not None:
                if part.data is not None:
                    raise InputError(f"{at}: has both data and an error")
                continue
            try:
                part.typed(key)
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(x) for x in err["loc"])
                raise InputError(f"{at}: data{'.' + loc if loc else ''}: {err['msg']}"
                                 ) from None


# Signing: HMAC-SHA256 with a key the user holds (an environment variable), in a detached file
# beside the snapshot, so the snapshot's bytes never change. Why not sigstore: docs/ci.md.
SIGNATURE_ALG = "HMAC-SHA256"
DEFAULT_KEY_ENV = "CSRB_AUDITOR_SIGNING_KEY"
MIN_KEY_BYTES = 32


def signing_key(env: str) -> bytes:
    """The key from environment variable ``env``: at least 32 bytes, never printed."""
    import os

    value = os.environ.get(env)   # used only inside the HMAC: it reaches no output
    if not value:
        raise InputError(f"--key-env: environment variable {env} is not set (a signing key of "
                         f"at least {MIN_KEY_BYTES} bytes, e.g. `openssl rand -hex 32`)")
    if len(value.encode()) < MIN_KEY_BYTES:
        raise InputError(f"--key-env: the key in {env} is shorter than {MIN_KEY_BYTES} bytes")
    return value.encode()


def _mac(sha256: str, key: bytes) -> str:
    import hmac

    # domain-separated: a MAC of this tool's snapshot hash, not of any other 64 hex digits
    return hmac.new(key, f"csrb-auditor snapshot v{SCHEMA_VERSION}\n{sha256}".encode(),
                    hashlib.sha256).hexdigest()


def signature(snap: Snapshot, key: bytes) -> bytes:
    """The detached signature document of a verified snapshot."""
    doc = {"alg": SIGNATURE_ALG, "snapshot_sha256": snap.sha256, "mac": _mac(snap.sha256, key)}
    return canonical_json(doc) + b"\n"


def check_signature(snap: Snapshot, sig_path: Path, key: bytes) -> None:
    """``InputError`` unless ``sig_path`` is a valid signature of ``snap`` under ``key``."""
    import hmac

    try:
        doc = json.loads(sig_path.read_bytes())
    except OSError as exc:
        raise InputError(f"{sig_path}: cannot read signature ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{sig_path}: not a signature: invalid JSON") from None
    if not isinstance(doc, dict) or doc.get("alg") != SIGNATURE_ALG:
        raise InputError(f"{sig_path}: not a {SIGNATURE_ALG} signature of csrb-auditor")
    mac = doc.get("mac")
    if not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(snap.sha256, key)):
        raise SignatureMismatch(f"{sig_path}: signature does not match the snapshot under "
                                f"this key: the snapshot was modified, or signed by another key")


class SignatureMismatch(InputError):
    """A readable signature or expectation that the snapshot does not meet (exit 1)."""


def expected_hash(expect: str) -> str:
    """``--expect``: 64 hex digits, or a JSON report (its ``snapshot_sha256``) or a snapshot
    (its ``sha256``) recorded elsewhere."""
    import re

    if re.fullmatch(r"[0-9a-fA-F]{64}", expect):
        return expect.lower()
    path = Path(expect)
    try:
        doc = json.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"--expect {expect}: neither a SHA-256 (64 hex digits) nor a "
                         f"readable file ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"--expect {expect}: not JSON") from None
    value = doc.get("snapshot_sha256") or doc.get("sha256") if isinstance(doc, dict) else None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise InputError(f"--expect {expect}: no snapshot_sha256 (a JSON report) or sha256 "
                         f"(a snapshot) in it")
    return value


def verify(path: Path, expect: str | None = None, key_env: str | None = None,
           sig_path: Path | None = None) -> str:
    """What `verify` can say of the snapshot at ``path``: consistent with its own hash, and,
    when asked, the expected one or validly signed; ``SignatureMismatch`` when not."""
    snap = load_snapshot(path)
    said = [f"{path}: consistent with its own hash, sha256 {snap.sha256}, "
            f"{len(snap.tenants)} tenants, created {snap.created_at.isoformat()} by "
            f"csrb-auditor {snap.tool.version}"]
    if expect is not None:
        want = expected_hash(expect)
        if want != snap.sha256:
            raise SignatureMismatch(f"{path}: sha256 {snap.sha256} is not the expected {want}: "
                                    f"a different or modified snapshot")
        said.append("matches the expected sha256")
    if key_env is not None or sig_path is not None:
        env = key_env or DEFAULT_KEY_ENV
        sig = sig_path or path.with_name(path.name + ".sig")
        check_signature(snap, sig, signing_key(env))
        said.append(f"signature {sig} valid (HMAC-SHA256, key from {env})")
    if len(said) == 1:
        said.append("not proven unmodified: a re-sealed edit passes too; use --expect or "
                    "--key-env")
    return "; ".join(said)
