"""Reduce classic and advanced CloudTrail event selectors to one ``EventSelection``.

Pure functions: the connector calls them at collection time; the raw selectors are kept too.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.aws.model import DataEventScope, EventSelection

# "arn:aws:s3", "arn:aws:s3:::" or "arn:aws:lambda": every resource of the type, no narrowing.
_ALL_OF_TYPE = re.compile(r"^arn:[\w-]+:[\w-]+(:::?)?/?$")


def from_classic(selectors: list[dict[str, Any]]) -> EventSelection:
    sel = EventSelection(style="classic", raw=selectors)
    excluded: set[str] = set()
    for s in selectors:
        rw = s.get("ReadWriteType", "All")
        read, write = rw in ("All", "ReadOnly"), rw in ("All", "WriteOnly")
        if s.get("IncludeManagementEvents", True):
            sel.management_read |= read
            sel.management_write |= write
            excluded.update(s.get("ExcludeManagementEventSources") or [])
        for dr in s.get("DataResources") or []:
            values = list(dr.get("Values") or [])
            everything = any(_ALL_OF_TYPE.match(v) for v in values)
            sel.data.append(DataEventScope(resource_type=dr.get("Type", ""), read=read,
                                           write=write, all_resources=everything,
                                           resources=values))
    sel.excluded_sources = sorted(excluded)
    return sel


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


def from_advanced(selectors: list[dict[str, Any]]) -> EventSelection:
    sel = EventSelection(style="advanced", raw=selectors)
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
            sel.management_read |= read
            sel.management_write |= write
            excluded.update(source.get("NotEquals", []))
        elif "Data" in category:
            rtype = (fields.get("resources.type", {}).get("Equals") or [""])[0]
            arn_ops = fields.get("resources.ARN", {})
            narrowed = [v for op, vs in arn_ops.items() for v in vs]
            sel.data.append(DataEventScope(resource_type=rtype, read=read, write=write,
                                           all_resources=not narrowed, resources=narrowed))
    sel.excluded_sources = sorted(excluded)
    return sel
