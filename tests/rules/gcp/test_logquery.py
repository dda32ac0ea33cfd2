"""The Logging query language parser and the three-valued "selects every audit log" decision:
direct tests (no simulator) and hypothesis properties (never crashes; a conjunct on another
field never turns a NO or UNKNOWN into a YES)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.gcp.sim_world import DEFAULT_FILTER, REQUIRED_FILTER
from rules.gcp.logquery import (
    And,
    Cmp,
    Func,
    Global,
    Not,
    Or,
    ParseError,
    Tri,
    parse,
    selects_all,
    selects_any,
)

ALL = 'logName:"cloudaudit.googleapis.com"'


def verdict(text: str, kinds: tuple[str, ...] | None = None) -> str:
    d = selects_all(text, "acme-prod", kinds) if kinds else selects_all(text, "acme-prod")
    return d.verdict.value


# ---------------------------------------------------------------- parsing
def test_precedence_is_not_then_or_then_and() -> None:
    # Google's reference: `"a" OR NOT "b" AND NOT "c" OR "d"` is
    # `("a" OR (NOT "b")) AND ((NOT "c") OR "d")`.
    tree = parse('"a" OR NOT "b" AND NOT "c" OR "d"')
    assert isinstance(tree, And) and len(tree.items) == 2
    left, right = tree.items
    assert isinstance(left, Or) and isinstance(left.items[1], Not)
    assert isinstance(right, Or) and isinstance(right.items[0], Not)


def test_juxtaposition_is_and_and_minus_is_not() -> None:
    assert parse('a="b" c="d" -e="f"') == parse('a="b" AND c="d" AND NOT e="f"')


def test_comparisons_paths_functions_and_comments() -> None:
    tree = parse('labels."compute.googleapis.com/resource_id" != "x" -- note\n'
                 'severity >= WARNING  LOG_ID("cloudaudit.googleapis.com/activity")')
    assert isinstance(tree, And)
    cmp_, sev, fn = tree.items
    assert cmp_ == Cmp("", "labels.compute.googleapis.com/resource_id", "!=", "x")
    assert sev == Cmp("", "severity", ">=", "WARNING")
    assert isinstance(fn, Func) and fn.name == "log_id"
    assert fn.args == ("cloudaudit.googleapis.com/activity",)
    # lower-case and/or/not are search terms, not operators
    assert parse("a and b") == And("", (Global("", "a"), Global("", "and"), Global("", "b")))


def test_parenthesised_value_distributes_the_field_and_operator() -> None:
    tree = parse('resource.type = ("gae_app" OR "gce_instance")')
    assert tree == Or("", (Cmp("", "resource.type", "=", "gae_app"),
                           Cmp("", "resource.type", "=", "gce_instance")))


@pytest.mark.parametrize("text", ["(((", 'logName:"x', "a AND", "a OR OR b", "a ! b", ")",
                                  "x=" + "(" * 200 + "a" + ")" * 200])
def test_malformed_raises_parse_error_and_decides_unknown(text: str) -> None:
    with pytest.raises(ParseError):
        parse(text)
    d = selects_all(text)
    assert d.verdict is Tri.UNKNOWN and d.error and not d.proven


# ---------------------------------------------------------------- the decision
@pytest.mark.parametrize("text", [
    "",
    ALL,
    'logName:"cloudaudit.googleapis.com%2F"',
    '"cloudaudit.googleapis.com"',                 # global restriction: logName has it
    'protoPayload.@type="type.googleapis.com/google.cloud.audit.AuditLog"',
    'protoPayload."@type":"google.cloud.audit.AuditLog"',
    'LOG_ID("cloudaudit.googleapis.com/activity") OR LOG_ID("cloudaudit.googleapis.com/'
    'data_access") OR LOG_ID("cloudaudit.googleapis.com/system_event") OR '
    'LOG_ID("cloudaudit.googleapis.com/policy")',
    'logName:("cloudaudit.googleapis.com%2Factivity" OR "cloudaudit.googleapis.com%2F'
    'data_access" OR "cloudaudit.googleapis.com%2Fsystem_event" OR '
    '"cloudaudit.googleapis.com%2Fpolicy")',
    'logName=~"cloudaudit\\.googleapis\\.com%2F(activity|data_access|system_event|policy)$"',
    f"{ALL} OR severity>=ERROR",                   # OR widens
    f'{ALL} AND NOT LOG_ID("cloudaudit.googleapis.com/access_transparency")',
    f"({ALL} OR resource.type=gce_instance) AND NOT logName:\"externalaudit\"",
    'logName:* ',
])
def test_provably_selects_every_audit_log(text: str) -> None:
    d = selects_all(text, "acme-prod")
    assert d.verdict is Tri.YES, d.explain()
    assert d.kinds == dict.fromkeys(("activity", "data_access", "system_event", "policy"),
                                    "yes")


@pytest.mark.parametrize(("text", "clause"), [
    (f"{ALL} AND severity>=WARNING", "severity>=WARNING"),
    (f'{ALL} protoPayload.serviceName="storage.googleapis.com"',
     'protoPayload.serviceName="storage.googleapis.com"'),
    (f'{ALL} AND resource.type=("gce_instance" OR "gcs_bucket")',
     'resource.type="gce_instance"'),
    ('resource.type="gce_instance"', 'resource.type="gce_instance"'),
    ('"GCE_OPERATION_DONE"', '"GCE_OPERATION_DONE"'),
    # Google stores logName with %2F; whether a query normalises "/" is undocumented.
    ('logName:"cloudaudit.googleapis.com/activity"', 'logName:"cloudaudit.googleapis.com/'
                                                      'activity"'),
    ("sample(insertId, 0.5)", "sample(insertId, 0.5)"),
])
def test_another_field_narrows_to_unknown_naming_the_clause(text: str, clause: str) -> None:
    d = selects_all(text, "acme-prod")
    assert d.verdict is Tri.UNKNOWN, d
    assert d.clause == clause
    assert clause in d.explain() and "cannot be proven" in d.explain()


@pytest.mark.parametrize(("text", "missing", "clause"), [
    (f'{ALL} AND NOT logName:"data_access"', ["data_access"], 'NOT logName:"data_access"'),
    ('logName:"cloudaudit.googleapis.com%2Factivity"',
     ["data_access", "policy", "system_event"], 'logName:"cloudaudit.googleapis.com%2Factivity"'),
    ('logName:"externalaudit.googleapis.com"', ["activity", "data_access", "policy",
                                                 "system_event"],
     'logName:"externalaudit.googleapis.com"'),
    (DEFAULT_FILTER, ["activity", "system_event"],
     'NOT LOG_ID("cloudaudit.googleapis.com/activity")'),
    (REQUIRED_FILTER, ["data_access", "policy"], REQUIRED_FILTER),
    ('source(folders/123)', ["activity", "data_access", "policy", "system_event"],
     "source(folders/123)"),
])
def test_provably_drops_some_kinds(text: str, missing: list[str], clause: str) -> None:
    d = selects_all(text, "acme-prod")
    assert d.verdict is Tri.NO, d
    assert sorted(k for k, v in d.kinds.items() if v == "no") == missing
    assert d.clause == " ".join(clause.split())


def test_project_specific_log_names() -> None:
    own = 'logName="projects/acme-prod/logs/cloudaudit.googleapis.com%2Fdata_access"'
    assert verdict(own, ("data_access",)) == "yes"
    assert verdict(own.replace("acme-prod", "other"), ("data_access",)) == "no"
    assert verdict("source(projects/acme-prod)") == "yes"


def test_kinds_asked_about() -> None:
    text = 'logName:"cloudaudit.googleapis.com%2Fdata_access"'
    assert verdict(text, ("data_access",)) == "yes"
    assert verdict(text, ("activity", "data_access")) == "no"


def test_selects_any_for_exclusions() -> None:
    assert selects_any('logName:"cloudaudit.googleapis.com%2Fdata_access" AND '
                       'protoPayload.serviceName="storage.googleapis.com"') is Tri.UNKNOWN
    assert selects_any(ALL) is Tri.YES
    assert selects_any('resource.type="k8s_container"') is Tri.UNKNOWN
    assert selects_any('logName:"syslog"') is Tri.NO
    assert selects_any('LOG_ID("cloudaudit.googleapis.com/policy")') is Tri.YES


# ---------------------------------------------------------------- properties
FIELDS = st.sampled_from(["logName", "severity", "resource.type", "protoPayload.serviceName",
                          "protoPayload.methodName", "labels.env", "protoPayload.@type"])
OPS = st.sampled_from(["=", "!=", ":", "<", ">=", "=~", "!~"])
VALUES = st.sampled_from(["cloudaudit.googleapis.com", "cloudaudit.googleapis.com%2Factivity",
                          "data_access", "ERROR", "gce_instance", "*", "acme", "(", "x\\\"y",
                          "google.cloud.audit.AuditLog", "cloudaudit.googleapis.com/policy"])


def _quote(v: str) -> str:
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


ATOMS = st.one_of(
    st.builds(lambda f, o, v: f"{f}{o}{_quote(v)}", FIELDS, OPS, VALUES),
    st.builds(lambda v: f'LOG_ID({_quote("cloudaudit.googleapis.com/" + v)})',
              st.sampled_from(["activity", "data_access", "system_event", "policy", "x"])),
    VALUES.map(_quote),
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda a, b: f"({a}) AND ({b})", children, children),
        st.builds(lambda a, b: f"{a} OR {b}", children, children),
        st.builds(lambda a, b: f"({a}) ({b})", children, children),
        children.map(lambda a: f"NOT ({a})"),
        children.map(lambda a: f"-({a})"),
    )


FILTERS = st.recursive(ATOMS, _combine, max_leaves=12)
NARROWING = st.builds(lambda f, o, v: f"{f}{o}{_quote(v)}",
                      st.sampled_from(["severity", "resource.type", "protoPayload.serviceName",
                                       "labels.env", "jsonPayload.x"]), OPS, VALUES)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text_is_decided_never_a_crash(text: str) -> None:
    d = selects_all(text)
    assert d.verdict in Tri
    if d.error:
        assert d.verdict is Tri.UNKNOWN
    selects_any(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FILTERS)
def test_generated_filters_parse(text: str) -> None:
    parse(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FILTERS, NARROWING)
def test_a_conjunct_on_another_field_never_makes_a_yes(text: str, conjunct: str) -> None:
    before = selects_all(text, "acme-prod").verdict
    for narrowed in (f"({text}) AND {conjunct}", f"({text})\n{conjunct}",
                     f"{conjunct} ({text})"):
        after = selects_all(narrowed, "acme-prod").verdict
        assert after is not Tri.YES, (narrowed, before)
        if before is Tri.NO:
            assert after is Tri.NO, narrowed


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FILTERS, FILTERS)
def test_or_never_loses_a_yes_and_and_never_gains_one(a: str, b: str) -> None:
    va = selects_all(a, "acme-prod").verdict
    vb = selects_all(b, "acme-prod").verdict
    wider = selects_all(f"({a}) OR ({b})", "acme-prod").verdict
    narrower = selects_all(f"({a}) AND ({b})", "acme-prod").verdict
    if Tri.YES in (va, vb):
        assert wider is Tri.YES
    if narrower is Tri.YES:
        assert va is Tri.YES and vb is Tri.YES


def test_clause_text_keeps_escaped_quotes() -> None:
    d = selects_all(f'{ALL} AND jsonPayload.msg="say \\"hi\\"" AND severity>=ERROR', "p")
    assert d.clause == 'jsonPayload.msg="say \\"hi\\""'
