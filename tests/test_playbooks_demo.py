"""The four playbooks judged on both demo scenarios: one `csrb-auditor demo` run per scenario
(about 15 s each; the session's ``storm_demo`` and ``hardened_demo``, shared with test_cli),
every output of interest taken from that one run."""

from __future__ import annotations

from tests.conftest import DemoRun
from tests.helpers import validate_report
from tests.test_playbooks_reports import validate_layer

PLAYBOOKS = {"storm-0558": "m365-demo", "midnight-blizzard-2024": "m365-demo",
             "aws-key-exfiltration": "aws-demo", "gcp-token-minting": "acme-gcp"}


def _demo(run: DemoRun) -> tuple[int, str, str, dict, dict, str]:
    return run.returncode, run.stdout, run.stderr, run.report, run.layer, run.html


def _verdicts(doc: dict) -> dict[str, dict[str, str]]:
    out = {}
    for pb in doc["playbooks"]:
        [tenant] = pb["tenants"]
        assert tenant["tenant"] == PLAYBOOKS[pb["playbook_id"]]
        out[pb["playbook_id"]] = {s["step_id"].split("/")[1]: s["verdict"]
                                  for s in tenant["steps"]}
    return out


def test_storm_0558_scenario_would_not_have_seen_it(storm_demo: DemoRun) -> None:
    code, stdout, stderr, doc, layer, page = _demo(storm_demo)
    # the first lines say so, and why
    first = stderr.splitlines()[0]
    assert first.startswith("Demo (storm-0558): the simulated organisation would NOT have seen "
                            "Storm-0558 on m365-demo. Forged tokens never appear in sign-in logs")
    assert "M365-MBX-003" in stderr and "ENTRA-DIAG-003" in stderr
    lines = stdout.splitlines()
    assert lines[0].startswith("Would we have seen it?")
    assert lines[1].startswith("✘ storm-0558 on m365-demo: would NOT have seen it: 0 of 3 steps")
    # the four playbooks, judged with the rules that exist today: meaningful, never unknown
    validate_report(doc)
    verdicts = _verdicts(doc)
    assert set(verdicts) == set(PLAYBOOKS)
    assert verdicts["storm-0558"] == {"forged-token-use": "blind", "mail-read": "blind",
                                      "mail-search-send": "blind"}
    assert verdicts["midnight-blizzard-2024"]["mail-read-as-app"] == "blind"
    assert verdicts["midnight-blizzard-2024"]["password-spray"] == "recorded_only"
    assert verdicts["aws-key-exfiltration"]["s3-read"] == "blind"
    assert verdicts["aws-key-exfiltration"]["trail-tampering"] == "recorded_only"
    assert verdicts["gcp-token-minting"]["logging-tampering"] == "recorded_only"
    assert all(v != "unknown" and v != "seen" for steps in verdicts.values()
               for v in steps.values())
    assert all(t["would_see"] is False and t["outlives"] is False
               for pb in doc["playbooks"] for t in pb["tenants"])
    assert code == 1 and "--fail-on-blind storm-0558: blind on m365-demo" in stderr
    # the run used the default --fail-on; with --fail-on none the blind flag alone says 1
    from auditor.engine import exit_code
    from auditor.model import Report

    assert exit_code(Report.model_validate(doc), "none") != 1
    assert all(t.get("score", 0) <= 50 for t in validate_layer(layer)["techniques"])
    assert page.index("id='playbooks'") < page.index('id="coverage"')


def test_hardened_scenario_would_have_seen_it(hardened_demo: DemoRun) -> None:
    code, stdout, stderr, doc, layer, _ = _demo(hardened_demo)
    assert stderr.splitlines()[0].startswith("Demo (hardened): the simulated organisation "
                                             "WOULD have seen Storm-0558 on m365-demo")
    assert stdout.splitlines()[1].startswith("✔ storm-0558 on m365-demo: would have seen it: "
                                             "3 of 3 steps seen")
    validate_report(doc)
    verdicts = _verdicts(doc)
    assert set(verdicts) == set(PLAYBOOKS)
    assert all(v == "seen" for steps in verdicts.values() for v in steps.values()), verdicts
    assert all(t["would_see"] and t["outlives"] for pb in doc["playbooks"]
               for t in pb["tenants"])
    assert code in (0, 3) and "--fail-on-blind" not in stderr
    assert all(t["score"] == 100 for t in validate_layer(layer)["techniques"])
