"""The installed ``mlops-audit`` console script, run as a subprocess the way users run it."""

from __future__ import annotations

import itertools
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import builders as b
from .conftest import FIXTURES, ROOT
from .update_golden import run_cli

GOOD = str(FIXTURES / "reference-good.json")
TERRAFORM = str(FIXTURES / "reference-terraform.json")
RULE_FILES = sorted(ROOT.glob("rules/*.yaml"))
ALL_RULE_IDS = [p.stem for p in RULE_FILES]

TLS_RULE = """\
id: ORG-TST-001
title: Storage account accepts TLS versions older than 1.2
severity: medium
category: public-access
resource_types: [microsoft.storage/storageaccounts]
assert: {path: subject.properties.minimumTlsVersion, equals: TLS1_2}
message: Storage account {subject.name} accepts {subject.properties.minimumTlsVersion}.
rationale: TLS 1.0 and 1.1 have known weaknesses; Azure Storage retires them.
remediation:
  summary: Set the minimum TLS version of {subject.name} to TLS1_2.
  terraform: 'min_tls_version = "TLS1_2"'
  cli: az storage account update --name {subject.name} --min-tls-version TLS1_2
references:
  - title: Enforce a minimum TLS version for requests to a storage account
    url: https://learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version
"""


def scan_json(*args: str, code: int | None = None, cwd: Path = ROOT) -> dict[str, Any]:
    proc = run_cli("scan", *args, "--format", "json", cwd=cwd)
    if proc.returncode == 3:  # an incomplete run says so in one line
        assert proc.stderr.startswith("mlops-audit: incomplete: "), proc.stderr
    else:
        assert proc.stderr == "", proc.stderr
    if code is not None:
        assert proc.returncode == code, proc.returncode
    return json.loads(proc.stdout)


def rule_ids(report: dict[str, Any]) -> list[str]:
    return [r["rule_id"] for r in report["rules"]]


def write_rows(path: Path, rows: list[dict[str, Any]]) -> str:
    path.write_text(json.dumps(rows), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def terraform_run() -> Any:
    """One JSON scan of the Terraform estate with the default --fail-on (high)."""
    return run_cli("scan", "--snapshot", TERRAFORM, "--format", "json")


def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert re.fullmatch(r"mlops-audit \d+\.\d+\.\d+\S*\n", proc.stdout), proc.stdout


def test_good_estate_has_no_findings() -> None:
    report = scan_json("--snapshot", GOOD, code=0)
    assert report["findings"] == []
    assert report["summary"]["findings"] == 0
    assert rule_ids(report) == ALL_RULE_IDS


def test_terraform_estate_fails_on_high(terraform_run: Any) -> None:
    assert terraform_run.returncode == 1, terraform_run.stderr
    report = json.loads(terraform_run.stdout)
    assert report["summary"]["failed"] is True
    assert any(f["severity"] == "high" for f in report["findings"])


@pytest.mark.parametrize("fail_on", ["critical", "none"])
def test_terraform_estate_passes_below_its_worst_severity(fail_on: str) -> None:
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--format", "json", "--fail-on", fail_on)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["findings"] and report["summary"]["failed"] is False


def test_table_format_shows_rule_ids_and_summary(terraform_run: Any) -> None:
    findings = json.loads(terraform_run.stdout)["findings"]
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--format", "table")
    assert proc.returncode == 1
    for f in findings:
        assert f["rule_id"] in proc.stdout
    rows = len(json.loads(Path(TERRAFORM).read_text(encoding="utf-8")))
    assert f"from {rows} rows in 1 input(s)" in proc.stdout
    assert f"FAIL: {len(findings)} finding(s) at or above high." in proc.stdout


def test_output_writes_the_json_report_to_a_file(tmp_path: Path, terraform_run: Any) -> None:
    out = tmp_path / "report.json"
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--output", str(out))
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")
    assert out.read_text(encoding="utf-8") == terraform_run.stdout


@pytest.mark.parametrize(
    ("option", "wanted"),
    [
        (["--select", "MLA-ACR"], lambda spec: spec["id"].startswith("MLA-ACR-")),
        (["--select", "authentication"], lambda spec: spec["category"] == "authentication"),
        (["--skip", "MLA-ACR-004"], lambda spec: spec["id"] != "MLA-ACR-004"),
        (
            ["--select", "MLA-DNS,MLA-KV", "--skip", "MLA-DNS-002"],
            lambda spec: spec["id"][:7] in ("MLA-DNS", "MLA-KV-") and spec["id"] != "MLA-DNS-002",
        ),
    ],
    ids=["prefix", "category", "skip", "combined"],
)
def test_select_and_skip_choose_the_rules(option: list[str], wanted: Any) -> None:
    specs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in RULE_FILES]
    expected = [s["id"] for s in specs if wanted(s)]
    assert 0 < len(expected) < len(specs)
    report = scan_json("--snapshot", TERRAFORM, "--fail-on", "none", *option, code=0)
    assert rule_ids(report) == expected
    assert {f["rule_id"] for f in report["findings"]} <= set(expected)


def test_select_of_no_rule_is_a_usage_error() -> None:
    proc = run_cli("scan", "--snapshot", GOOD, "--select", "NOPE")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.count("\n") == 1 and "--select NOPE" in proc.stderr


def test_quiet_prints_nothing_but_keeps_the_exit_code() -> None:
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--quiet")
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")


def test_rules_list_lists_every_rule_file() -> None:
    proc = run_cli("rules", "list")
    assert proc.returncode == 0
    listed = re.findall(r"\bMLA-[A-Z]+-\d{3}\b", proc.stdout)
    assert listed == ALL_RULE_IDS


def test_rules_show_prints_rationale_and_references() -> None:
    spec = yaml.safe_load((ROOT / "rules" / "MLA-DNS-001.yaml").read_text(encoding="utf-8"))
    proc = run_cli("rules", "show", "MLA-DNS-001")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert " ".join(spec["rationale"].split()) in text
    for ref in spec["references"]:
        assert ref["title"] in text and ref["url"] in text


def test_rules_show_of_an_unknown_rule_is_exit_2() -> None:
    proc = run_cli("rules", "show", "ORG-XXX-999")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.count("\n") == 1 and "ORG-XXX-999" in proc.stderr


def test_extra_rules_directory_adds_a_rule(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "ORG-TST-001.yaml").write_text(TLS_RULE, encoding="utf-8")
    old = {**b.storage("stold"), "properties": {"minimumTlsVersion": "TLS1_0"}}
    new = {**b.storage("stnew"), "properties": {"minimumTlsVersion": "TLS1_2"}}
    estate = write_rows(tmp_path / "estate.json", [old, new])
    report = scan_json(
        "--snapshot", estate, "--rules", str(rules_dir), "--select", "ORG-TST", code=0
    )
    (outcome,) = report["rules"]
    assert (outcome["rule_id"], outcome["passed"], outcome["failed"]) == ("ORG-TST-001", 1, 1)
    assert [(f["rule_id"], f["resource_name"]) for f in report["findings"]] == [
        ("ORG-TST-001", "stold")
    ]
    listed = run_cli("rules", "list", "--rules", str(rules_dir)).stdout
    assert "ORG-TST-001" in listed


def test_compute_rules_are_not_evaluated_without_compute_rows(tmp_path: Path) -> None:
    rows = json.loads(Path(GOOD).read_text(encoding="utf-8"))
    workspace = [r for r in rows if r["type"] == "microsoft.machinelearningservices/workspaces"]
    assert len(workspace) == 1
    report = scan_json("--snapshot", write_rows(tmp_path / "ws.json", workspace), code=3)
    status = {r["rule_id"]: r for r in report["rules"]}
    not_evaluated = {n["rule_id"]: n for n in report["not_evaluated"]}
    for rule_id in ("MLA-AML-003", "MLA-AML-004", "MLA-AML-005", "MLA-AML-006"):
        assert status[rule_id]["status"] == "not-evaluated"
        assert status[rule_id]["passed"] == 0
        assert "compute" in status[rule_id]["reason"]
        assert not_evaluated[rule_id]["resource_id"] is None
        assert not_evaluated[rule_id]["reasons"] == [status[rule_id]["reason"]]
    assert report["summary"]["rules_not_evaluated"] >= 4


def test_runs_outside_the_checkout(tmp_path: Path) -> None:
    report = scan_json("--snapshot", GOOD, code=0, cwd=tmp_path)
    assert rule_ids(report) == ALL_RULE_IDS
    listed = run_cli("rules", "list", cwd=tmp_path)
    assert re.findall(r"\bMLA-[A-Z]+-\d{3}\b", listed.stdout) == ALL_RULE_IDS


def test_same_estate_gives_the_same_bytes(terraform_run: Any) -> None:
    again = run_cli("scan", "--snapshot", TERRAFORM, "--format", "json")
    assert again.stdout == terraform_run.stdout


def test_fingerprints_do_not_depend_on_row_order_or_id_case(
    tmp_path: Path, terraform_run: Any
) -> None:
    rows = json.loads(Path(TERRAFORM).read_text(encoding="utf-8"))
    random.Random(7).shuffle(rows)
    rows = [{**r, "id": r["id"].upper() if i % 2 else r["id"].lower()} for i, r in enumerate(rows)]
    report = scan_json("--snapshot", write_rows(tmp_path / "shuffled.json", rows), code=1)
    expected = json.loads(terraform_run.stdout)["findings"]
    assert expected
    assert sorted((f["rule_id"], f["fingerprint"]) for f in report["findings"]) == sorted(
        (f["rule_id"], f["fingerprint"]) for f in expected
    )


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("invalid-json", b"[{", "truncated JSON"),
        ("not-utf-8", b'[{"id": "\xe9"}]', "not UTF-8"),
        ("directory", None, "is a directory"),
    ],
)
def test_bad_input_through_the_console_script(
    name: str, content: bytes | None, words: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    proc = run_cli("scan", "--snapshot", str(path))
    assert "Traceback" not in proc.stderr
    assert (proc.returncode, proc.stdout) == (2, "")
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"mlops-audit: {path}: ") and words in lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["--snapshot", ""],
        ["--snapshot", GOOD, "--baseline", ""],
        ["--snapshot", GOOD, "--suppressions", " "],
        ["--snapshot", GOOD, "--rules", ""],
        ["--snapshot", GOOD, "--select", ""],
        ["--snapshot", GOOD, "--skip", " , "],
    ],
)
def test_an_empty_path_value_is_a_usage_error(args: list[str]) -> None:
    """An unset pipeline variable (``--baseline "$BASELINE"``) must not read as the
    current directory, nor silently as "no baseline"."""
    done = run_cli("scan", *args)
    option = next(a for a, v in itertools.pairwise(args) if not v.replace(",", "").strip())
    what = (
        "rule ids, id prefixes or categories"
        if option in ("--select", "--skip")
        else ("a file path")
    )
    assert done.returncode == 2
    assert done.stderr == f"mlops-audit: {option}: needs {what}, got an empty value\n"


def test_a_check_that_was_not_evaluated_is_not_a_pass(tmp_path: Path) -> None:
    """The gate never reads "not evaluated" as a pass: exit 3 unless --allow-partial, and
    the reports say which check and why."""
    rows = json.loads(Path(GOOD).read_text(encoding="utf-8"))
    rows = rows["rows"] if isinstance(rows, dict) else rows
    nsg = next(r for r in rows if r["type"] == "microsoft.network/networksecuritygroups")
    del nsg["properties"]["securityRules"]  # the NSG's rules cannot be judged
    estate = write_rows(tmp_path / "e.json", rows)
    out = tmp_path / "r.json"
    done = run_cli("scan", "--snapshot", estate, "--output", f"json:{out}")
    assert done.returncode == 3
    assert done.stderr.startswith("mlops-audit: incomplete: ") and "not a pass" in done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["summary"]["complete"] is False and report["not_evaluated"]
    assert all(n["reasons"] for n in report["not_evaluated"])
    assert run_cli("scan", "--snapshot", estate, "--allow-partial").returncode == 0
    assert run_cli("scan", "--snapshot", estate, "--quiet").stderr == ""


def test_no_rule_or_no_resource_is_not_a_pass(tmp_path: Path) -> None:
    done = run_cli("scan", "--snapshot", GOOD, "--skip", "MLA")
    assert done.returncode == 2
    assert done.stderr == "mlops-audit: --select/--skip leave no rule to run\n"
    empty = write_rows(tmp_path / "empty.json", [])
    done = run_cli("scan", "--snapshot", empty, "--format", "json")
    assert done.returncode == 3
    report = json.loads(done.stdout)
    assert report["coverage"]["gaps"] == [
        {"path": empty, "problem": "holds no resources: nothing was judged"}
    ]
    assert report["summary"]["complete"] is False


def test_diff_stops_when_the_newer_report_was_not_fully_evaluated(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    assert run_cli("scan", "--snapshot", GOOD, "--output", f"json:{old}").returncode == 0
    new = json.loads(old.read_text(encoding="utf-8"))
    new["summary"]["complete"] = False
    new["not_evaluated"] = [
        {"rule_id": "MLA-NSG-001", "resource_id": "/x", "related_id": None, "reasons": ["r"]}
    ]
    newer = tmp_path / "new.json"
    newer.write_text(json.dumps(new), encoding="utf-8")
    done = run_cli("diff", str(old), str(newer), "--format", "json")
    assert done.returncode == 3 and "not evaluated" in done.stderr
    assert run_cli("diff", str(old), str(newer), "--allow-partial").returncode == 0


@pytest.mark.parametrize("command", ["scan", "reach", "resolve"])
def test_ctrl_c_is_one_line_and_exit_130_not_a_traceback(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from auditor import cli

    def interrupted(*_: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, {"scan": "_scan"}.get(command, f"_{command}_command"), interrupted)
    snapshot = str(FIXTURES / "topologies" / "peer-overlap" / "estate.json")
    argv = {
        "scan": ["scan", "--snapshot", snapshot],
        "reach": [
            "reach",
            "--snapshot",
            snapshot,
            "--from",
            "Internet",
            "--to",
            "snet",
            "--port",
            "22",
        ],
        "resolve": ["resolve", "--snapshot", snapshot, "x.example.com", "--from", "vnet-a"],
    }[command]
    assert cli.main(argv) == 130
    err = capsys.readouterr().err
    assert err.strip() == "mlops-audit: interrupted" and "Traceback" not in err


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://auditor:s3cret@127.0.0.1:1",
        "https://:s3cret@127.0.0.1",
        "https://127.0.0.1:1/?s3cret=1",
        "https://127.0.0.1:1/#s3cret",
    ],
)
def test_an_arm_endpoint_with_credentials_or_a_query_is_refused_without_echoing_them(
    endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """user:password@ would make requests send Basic auth in place of the bearer token: the
    endpoint is refused before any sign-in, and its secret part is not printed."""
    from auditor import cli

    argv = ["scan", "--subscription", "00000000-0000-0000-0000-000000000000"]
    assert cli.main([*argv, "--arm-endpoint", endpoint, "--auth", "cli"]) == 2
    err = capsys.readouterr().err
    assert "s3cret" not in err and "--arm-endpoint https://127.0.0.1" in err
    assert len(err.strip().splitlines()) == 1
