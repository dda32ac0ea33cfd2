"""The four playbooks judged on both demo scenarios: one `csrb-auditor demo` run per scenario
(about 15 s each), every output of interest taken from that one run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import cli, validate_report
from tests.test_playbooks_reports import validate_layer

PLAYBOOKS = {"storm-0558": "m365-demo", "midnight-blizzard-2024": "m365-demo",
             "aws-key-exfiltration": "aws-demo", "gcp-token-minting": "acme-gcp"}


def _demo(tmp_path: Path, scenario: str) -> tuple[int, str, str, dict, dict, str]:
    out = {k: tmp_path / f"{scenario}.{k}" for k in ("json", "layer", "html")}
    proc = cli("demo", "--scenario", scenario, "--fail-on", "none", "--fail-on-blind",
               "storm-0558", "-f", "json", "-o", out["json"], "-f", "attack-layer", "-o",
               out["layer"], "-f", "html", "-o", out["html"], "-f", "table", timeout=600)
    return (proc.returncode, proc.stdout, proc.stderr, json.loads(out["json"].read_text()),
            json.loads(out["layer"].read_text()), out["html"].read_text())


def _verdicts(doc: dict) -> dict[str, dict[str, str]]:
    out = {}
    for pb in doc["playbooks"]:
        [tenant] = pb["tenants"]
        assert tenant["tenant"] == PLAYBOOKS[pb["playbook_id"]]
        out[pb["playbook_id"]] = {s["step_id"].split("/")[1]: s["verdict"]
                                  for s in tenant["steps"]}
    return out


def test_storm_0558_scenario_would_not_have_seen_it(tmp_path: Path) -> None:
    code, stdout, stderr, doc, layer, page = _demo(tmp_path, "storm-0558")
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
    assert all(t.get("score", 0) <= 50 for t in validate_layer(layer)["techniques"])
    assert page.index("id='playbooks'") < page.index('id="coverage"')


def test_hardened_scenario_would_have_seen_it(tmp_path: Path) -> None:
    code, stdout, stderr, doc, layer, _ = _demo(tmp_path, "hardened")
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
