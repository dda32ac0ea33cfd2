from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import parse_config, resolve_secret
from auditor.errors import InputError
from auditor.run import read_config, tenant_models
from auditor.secrets import Redactor

ROOT = Path(__file__).resolve().parents[1]

AWS = '[[tenants]]\nprovider = "aws"\nname = "prod"\n'


def _parse(text: str):
    return parse_config(text, "audit.toml", tenant_models())


def test_example_config_is_valid() -> None:
    cfg = read_config(ROOT / "config.example.toml")
    assert cfg.tenants and cfg.audit.fail_on == "high"
    assert cfg.retention().total_days == 365                  # m-26-14, the default
    aws = next(t for t in cfg.tenants if t["provider"] == "aws")
    assert aws["member_role"] != "OrganizationAccountAccessRole"   # administrator: never


@pytest.mark.parametrize(("text", "expected"), [
    ("[audit]\nfail_on = \"severe\"\n", "audit.fail_on: Input should be"),
    ("[audit]\nfailon = \"high\"\n", "audit.failon: unknown key"),
    ("[audit]\nretention_profile = \"custom\"\n", "needs hot_days and total_days"),
    ("[audit]\nmax_workers = \"many\"\n", "audit.max_workers: Input should be a valid integer"),
    ("[[waivers]]\nrule = \"X\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"soon\"\n",
     "waivers[0].expires"),
    ("[[waivers]]\nrule = \"X\"\nreason = \"r\"\nexpires = 2027-01-01\n",
     "waivers[0].owner: required key is missing"),
    ("[[tenants]]\nprovider = \"azure\"\nname = \"x\"\n", "tenants[0].provider: expected one of"),
    (AWS + "regions = \"us-east-1\"\n", "tenants[0].regions: Input should be a valid list"),
    (AWS + "colour = 1\n", "tenants[0].colour: unknown key"),
    (AWS + AWS, "tenants[1].name: 'prod' is used twice"),
    (AWS + "role_arn = \"not-an-arn\"\n", "tenants[0].role_arn: String should match"),
    ("[audit\n", "not valid TOML"),
    ('[[tenants]]\nprovider = "m365"\nname = "c"\ntenant_id = "t"\nauth = "certificate"\n'
     'certificate_path = "/nonexistent/auditor.pem"\n',
     "tenants[0].certificate_path: no such file '/nonexistent/auditor.pem'"),
    ('[[tenants]]\nprovider = "gcp"\nname = "g"\nprojects = ["p"]\n'
     'auth = "service_account_file"\ncredentials_file = "sa-typo.json"\n',
     "tenants[0].credentials_file: no such file 'sa-typo.json'"),
    ('[[tenants]]\nprovider = "m365"\nname = "c"\ntenant_id = "t"\nauth = "client_secret"\n'
     'client_secret_file = "/run/secrets/none"\n', "tenants[0].client_secret_file: no such"),
])
def test_bad_config_is_one_line_naming_file_and_key(text: str, expected: str) -> None:
    with pytest.raises(InputError) as info:
        _parse(text)
    message = str(info.value)
    assert message.startswith("audit.toml: ")
    assert expected in message
    assert "\n" not in message


def test_unreadable_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read config"):
        read_config(tmp_path / "absent.toml")
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 2_000_000)
    with pytest.raises(InputError, match="expected at most"):
        read_config(big)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="not UTF-8"):
        read_config(binary)


def test_secrets_come_by_reference_and_are_redacted(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANARY_SECRET", "canary-1f3a9c")
    redact = Redactor()
    assert redact.resolve("CANARY_SECRET", None) == "canary-1f3a9c"
    assert redact("token=canary-1f3a9c!") == "token=***!"
    secret_file = tmp_path / "secret"
    secret_file.write_text("file-canary-77\n")
    assert redact.resolve(None, str(secret_file)) == "file-canary-77"
    assert "file-canary-77" not in redact("x file-canary-77 y")
    with pytest.raises(InputError, match="NOT_SET_ANYWHERE is not set"):
        resolve_secret("NOT_SET_ANYWHERE", None)
