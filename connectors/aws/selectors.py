"""Reduce classic and advanced CloudTrail event selectors to one ``EventSelection``.

Pure functions: the connector calls them at collection time; the raw selectors are kept too.

Which advanced fields narrow a data-event selector is read from the CloudTrail API reference,
``API_AdvancedEventSelector`` / ``API_AdvancedFieldSelector`` (2026-12): for data events the
fields are ``eventCategory`` and ``resources.type`` (required: they say *which* events),
``readOnly`` (reads or writes: judged separately), and ``eventName``, ``eventSource``,
``eventType``, ``resources.ARN``, ``sessionCredentialFromConsole``, ``userIdentity.arn``;
``errorCode`` (network activity events) too. Any operator on one of these (Equals,
StartsWith, EndsWith and their Not forms) keeps only some of the type's events.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.aws.model import DataEventScope, EventSelection

# "arn:aws:s3", "arn:aws:s3:::" or "arn:aws:lambda": every resource of the type, no narrowing.
_ALL_OF_TYPE = re.compile(r"^arn:[\w-]+:[\w-]+(:::?)?/?$")
# Fields that select a subset of one resource type's data events (see the module docstring).
NARROWING_FIELDS = ("resources.ARN", "eventName", "eventSource", "eventType",
                    "userIdentity.arn", "sessionCredentialFromConsole", "errorCode")


def from_classic(selectors: list[dict[str, Any]]) -> EventSelection:
    mgmt_read = mgmt_write = False
    data: list[DataEventScope] = []
    excluded: set[str] = set()
    for s in selectors:
        rw = s.get("ReadWriteType", "All")
        read, write = rw in ("All", "ReadOnly"), rw in ("All", "WriteOnly")
        if s.get("IncludeManagementEvents", True):
            mgmt_read |= read
            mgmt_write |= write
            excluded.update(s.get("ExcludeManagementEventSources") or [])
        for dr in s.get("DataResources") or []:
            values = list(dr.get("Values") or [])
            everything = any(_ALL_OF_TYPE.match(v) for v in values)
            # Classic DataResources name buckets (or bucket/prefix ARNs) one by one: unless a
            # value covers the whole type, only the listed buckets are logged.
            narrowed = {} if everything else {"DataResources.Values": values}
            data.append(DataEventScope(resource_type=dr.get("Type", ""), read=read,
                                       write=write, all_resources=everything,
                                       resources=values, narrowed_by=narrowed))
    return EventSelection(style="classic", raw=selectors, management_read=mgmt_read,
                          management_write=mgmt_write, excluded_sources=sorted(excluded),
                          data=data)


def _fields(selector: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for f in selector.get("FieldSelectors") or []:
        ops = {k: list(v) for k, v in f.items() if k != "Field" and isinstance(v, list)}
        out.setdefault(f["Field"], {}).update(ops)
    return out


def _read_write(fields: dict[str, dict[str, list[str]]]) -> tuple[bool, bool]:
    ro = fields.get("readOnly", {})
    values = {v.lower() for v in ro.get("Equals", [])}
    not_values = {v.lower() for v in ro.get("NotEquals", [])}
    read = (not values or "true" in values) and "true" not in not_values
    write = (not values or "false" in values) and "false" not in not_values
    return read, write


def _narrowing(fields: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    """``{"resources.ARN StartsWith": [...], ...}``: every condition that keeps only part of
    the selected resource type's events. ``resources.ARN StartsWith arn:aws:s3:::`` (the whole
    type) is no narrowing."""
    out: dict[str, list[str]] = {}
    for name in NARROWING_FIELDS:
        for op, values in sorted(fields.get(name, {}).items()):
            if name == "resources.ARN" and op == "StartsWith" and values and \
                    all(_ALL_OF_TYPE.match(v) for v in values):
                continue
            if values:
                out[f"{name} {op}"] = values
    return out


def from_advanced(selectors: list[dict[str, Any]]) -> EventSelection:
    mgmt_read = mgmt_write = False
    data: list[DataEventScope] = []
    excluded: set[str] = set()
    for s in selectors:
        fields = _fields(s)
        category = fields.get("eventCategory", {}).get("Equals", [])
        read, write = _read_write(fields)
        if "Management" in category:
            # A selector that keeps only some event sources narrows, one that drops some excludes.
            source = fields.get("eventSource", {})
            if source.get("Equals"):
                continue
            mgmt_read |= read
            mgmt_write |= write
            excluded.update(source.get("NotEquals", []))
        elif "Data" in category:
            narrowed = _narrowing(fields)
            arns = [v for vs in fields.get("resources.ARN", {}).values() for v in vs]
            for rtype in fields.get("resources.type", {}).get("Equals") or [""]:
                data.append(DataEventScope(resource_type=rtype, read=read, write=write,
                                           all_resources=not narrowed, resources=arns,
                                           narrowed_by=narrowed))
    return EventSelection(style="advanced", raw=selectors, management_read=mgmt_read,
                          management_write=mgmt_write, excluded_sources=sorted(excluded),
                          data=data)
