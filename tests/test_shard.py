"""`collect --shard K/N` and `merge`: deterministic shares that join back into one audit.
The commands run through the console entry point in this interpreter (``run``): what is
tested is the sharding, not the process."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.connector import shard_of
from connectors.aws.simulator import MotoServer
from tests.helpers import run, seed_account


def test_every_id_lands_in_exactly_one_stable_shard() -> None:
    ids = [f"{n:012d}" for n in range(2000)]
    counts = [sum(1 for i in ids if shard_of(i, 8) == k) for k in range(1, 9)]
    assert sum(counts) == 2000 and min(counts) > 180        # roughly even
    assert [shard_of(i, 8) for i in ids] == [shard_of(i, 8) for i in ids]


def _config(tmp_path: Path, url: str, names: tuple[str, ...] = ("alpha", "beta", "gamma",
                                                                 "delta")) -> Path:
    text = "".join(f'[[tenants]]\nprovider = "aws"\nname = "{n}"\nregions = ["us-east-1"]\n'
                   f'[tenants.endpoints]\naws = "{url}"\n' for n in names)
    path = tmp_path / f"audit-{len(names)}.toml"
    path.write_text(text)
    return path


def _key(doc: dict) -> list[tuple[str, str]]:
    return sorted((f["finding_id"], f["status"]) for f in doc["findings"])


def test_shards_merge_into_the_full_audit(tmp_path: Path, moto: MotoServer) -> None:
    seed_account(moto)
    config = _config(tmp_path, moto.url)
    shards = []
    for k in (1, 2, 3):
        path = tmp_path / f"shard{k}.json"
        proc = run("collect", "-c", config, "-o", path, "--shard", f"{k}/3")
        assert proc.returncode == 0, proc.stderr
        shards.append(path)
    names = [{t["name"] for t in json.loads(p.read_text())["tenants"]} for p in shards]
    assert set().union(*names) == {"alpha", "beta", "gamma", "delta"}
    assert sum(len(n) for n in names) == 4                 # each tenant in one shard only
    merged = tmp_path / "all.json"
    assert run("merge", *shards, "-o", merged).returncode == 0
    assert run("verify", merged).returncode == 0
    whole = json.loads(run("audit", "-c", config, "-f", "json").stdout)
    joined = json.loads(run("check", merged, "-c", config, "-f", "json").stdout)
    assert _key(joined) == _key(whole)
    # refusals: the same shard twice, a different N, a snapshot that is not a shard
    again = run("merge", shards[0], shards[0], "-o", tmp_path / "x.json")
    assert again.returncode == 2 and "overlapping shards" in again.stderr
    # (the snapshots refused need no more than one tenant)
    one = _config(tmp_path, moto.url, ("alpha",))
    other = tmp_path / "other.json"
    assert run("collect", "-c", one, "-o", other, "--shard", "1/2").returncode == 0
    mixed = run("merge", shards[1], other, "-o", tmp_path / "x.json")
    assert mixed.returncode == 2 and "of 2 shards, the others of 3" in mixed.stderr
    plain = tmp_path / "plain.json"
    assert run("collect", "-c", one, "-o", plain).returncode == 0
    assert "not a shard snapshot" in run("merge", shards[0], plain, "-o", merged).stderr
    bad = run("collect", "-c", config, "-o", plain, "--shard", "4/3")
    assert bad.returncode == 2 and "--shard: expected K/N" in bad.stderr
    assert not (tmp_path / "x.json").exists()


def _split_and_merge(tmp_path: Path, config: Path) -> None:
    """Two shards of one organisation: disjoint targets that merge into the full audit."""
    shards = [tmp_path / f"s{k}.json" for k in (1, 2)]
    for k, path in enumerate(shards, 1):
        assert run("collect", "-c", config, "-o", path, "--shard", f"{k}/2").returncode == 0
    whole = json.loads(run("audit", "-c", config, "-f", "json").stdout)
    targets = [set(json.loads(p.read_text())["tenants"][0]["targets"]) for p in shards]
    assert targets[0] and targets[1] and not targets[0] & targets[1]
    merged = tmp_path / "all.json"
    assert run("merge", *shards, "-o", merged).returncode == 0
    joined = json.loads(run("check", merged, "-c", config, "-f", "json").stdout)
    assert _key(joined) == _key(whole)


def test_organisation_accounts_split_across_shards(tmp_path: Path) -> None:
    from connectors.aws.simulator import simulate

    # one region is enough: what is split is the organisation's accounts
    with simulate("storm-0558", regions=("us-east-1",)) as tenants:
        entry = tenants[0]
        config = tmp_path / "org.toml"
        regions = ", ".join(f'"{r}"' for r in entry["regions"])
        config.write_text(f'[[tenants]]\nprovider = "aws"\nname = "{entry["name"]}"\n'
                          f'organization = true\nregions = [{regions}]\n'
                          f'[tenants.endpoints]\naws = "{entry["endpoints"]["aws"]}"\n')
        _split_and_merge(tmp_path, config)


def test_gcp_projects_split_across_shards(tmp_path: Path) -> None:
    from connectors.gcp.simulator import simulate

    with simulate("storm-0558") as tenants:
        entry = tenants[0]
        config = tmp_path / "gcp.toml"
        config.write_text(
            f'[[tenants]]\nprovider = "gcp"\nname = "{entry["name"]}"\n'
            f'organization_id = "{entry["organization_id"]}"\nauth = "anonymous"\n'
            f'[tenants.endpoints]\nemulator_host = "{entry["endpoints"]["emulator_host"]}"\n'
            f'rest = "{entry["endpoints"]["rest"]}"\n')
        _split_and_merge(tmp_path, config)


def test_merge_requires_every_shard_unless_partial_is_allowed(tmp_path: Path,
                                                              moto: MotoServer) -> None:
    config = _config(tmp_path, moto.url)
    shards = [tmp_path / f"s{k}.json" for k in (1, 2, 3)]
    for k, path in enumerate(shards, 1):
        run("collect", "-c", config, "-o", path, "--shard", f"{k}/3")
    merged = tmp_path / "all.json"
    proc = run("merge", shards[0], shards[2], "-o", merged)
    assert proc.returncode == 2 and not merged.exists()
    assert "merge: shard 2/3 missing" in proc.stderr and "--allow-partial" in proc.stderr
    proc = run("merge", shards[0], shards[2], "-o", merged, "--allow-partial")
    assert proc.returncode == 0, proc.stderr
    assert "warning: merged without shard 2/3" in proc.stderr
    # the tenants of the missing shard are not lost silently: `check -c` names them
    report = json.loads(run("check", merged, "-c", config, "-f", "json").stdout)
    lost = {json.loads(p.read_text())["tenants"][0]["name"] for p in shards[1:2]
            if json.loads(p.read_text())["tenants"]}
    assert all(f["status"] == "not_assessed" for f in report["findings"]
               if f["tenant"] in lost)


def test_a_read_one_shard_could_make_leads_the_merged_record() -> None:
    """Two shards read one shared record (the organisation trail); one could not read its
    status. The merged record keeps the status that was read, in either order, and two seen
    values are merged, not replaced."""
    from auditor.merge import _merge_data

    seen = {"arn": "t", "status": {"value": {"is_logging": True}, "error": None}}
    lost = {"arn": "t", "status": {"value": None, "error": {"api": "GetTrailStatus"}}}
    assert _merge_data(lost, seen) == seen and _merge_data(seen, lost) == seen
    both = _merge_data({"arns": {"value": ["a"], "error": None}},
                       {"arns": {"value": ["b"], "error": None}})
    assert both == {"arns": {"value": ["a", "b"], "error": None}}
    dark = _merge_data(lost, lost)
    assert dark["status"]["error"] == {"api": "GetTrailStatus"}
