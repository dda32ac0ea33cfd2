"""Every installed connector is a ``Connector`` and declares a typed snapshot schema that
names only its own parts."""

from __future__ import annotations

import pytest

from auditor import registry
from auditor.connector import Connector
from auditor.observed import PartSchema
from auditor.snapshot import SCHEMA_VERSION

PROVIDERS = registry.names(registry.CONNECTORS)


def test_the_three_clouds_are_installed() -> None:
    assert {"aws", "gcp", "m365"} <= set(PROVIDERS)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_connector_meets_the_protocol_and_declares_its_parts(provider: str) -> None:
    conn = registry.connector(provider)
    assert isinstance(conn, Connector)
    schema = conn.schema()
    assert isinstance(schema, PartSchema)
    assert schema.provider == provider and schema.version == SCHEMA_VERSION
    assert schema.keys, provider
    for key in schema:
        assert key.name.startswith(f"{provider}."), key.name
        assert key.doc, f"{key.name} has no doc"
    assert registry.part_schemas()[provider] is schema


def test_a_rule_reads_only_parts_its_connector_declares() -> None:
    """``needs`` of every rule names declared parts: a typo would make it not_assessed forever."""
    from auditor.rule import meta_of

    schemas = registry.part_schemas()
    for fn in registry.all_rules():
        meta = meta_of(fn)
        if meta.provider not in schemas:
            continue
        declared = {k.name for k in schemas[meta.provider]}
        for need in meta.needs:
            for name in need.split("|"):
                assert name in declared, f"{meta.id} needs undeclared part {name!r}"
