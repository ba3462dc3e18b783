"""The NDJSON report (``--format ndjson``): one flat line per finding and per check not
evaluated, with exactly the columns and types docs/log-analytics.md documents, for a Log
Analytics custom table."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from auditor import report, triage
from auditor.report import ndjson

from .conftest import ROOT
from .test_junit_csv_markdown import (
    COMPUTE_TYPE,
    TERRAFORM,
    hostile_acr,
    json_report,
    make_run,
    terraform_rows,
    write_rows,
)
from .update_golden import GOLDEN, NDJSON_CASES, PINNED_TIME, run_cli, scan_fixture

# every character a splitter might end a line at, controls, a lone surrogate and markup
HOSTILE = 'cr\nevil\r\u2028x\u2029y\x85z\x1c\x1d\x1e\x0b\x0c\x1b[31m\x07\ud800"}{\\|=1'
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "dynamic": (list, dict, type(None)),
    "int": (int, type(None)),
    "datetime": (str,),
}
_DATETIME = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\Z")


def parse(text: str) -> list[dict[str, Any]]:
    """The records of an NDJSON text, asserting each line is a whole JSON object."""
    assert text == "" or text.endswith("\n")
    lines = text.split("\n")[:-1]
    assert text.splitlines() == lines, "a character inside a line ends it for splitlines()"
    return [json.loads(line) for line in lines]


def check_schema(records: list[dict[str, Any]]) -> None:
    """Exactly the documented columns, in order, each of its type."""
    for rec in records:
        assert list(rec) == list(ndjson.COLUMNS)
        for column, kind in ndjson.COLUMNS.items():
            value = rec[column]
            assert isinstance(value, _PYTHON_TYPES[kind]), (column, value)
            assert not isinstance(value, bool), column
        assert _DATETIME.match(rec["TimeGenerated"])
        kind = rec["RecordType"]
        assert kind in ndjson.RECORD_TYPES
        if kind == "run":
            assert rec["Status"] in ndjson.RUN_STATUSES
            assert isinstance(rec["Summary"], dict)
        else:
            assert rec["Summary"] is None
            assert rec["Status"] in (*ndjson.FINDING_STATUSES, "not_evaluated")
            assert (rec["Status"] == "not_evaluated") == (kind == "not_evaluated")
        assert isinstance(rec["Reasons"], list)
        assert all(isinstance(r, str) for r in rec["Reasons"])
        assert rec["Suppression"] is None or isinstance(rec["Suppression"], dict)


def test_golden_ndjson_matches_the_scan_byte_for_byte() -> None:
    for name in NDJSON_CASES:
        expected = (GOLDEN / f"{name}.ndjson").read_bytes()
        assert scan_fixture(name, "ndjson").encode("utf-8") == expected, (
            f"the NDJSON of fixtures/{name}.json differs from tests/golden/{name}.ndjson; "
            "if intended, run: python tests/update_golden.py"
        )


def test_golden_ndjson_is_the_json_reports_findings_in_order() -> None:
    records = parse((GOLDEN / "reference-terraform.ndjson").read_text(encoding="utf-8"))
    check_schema(records)
    golden = json.loads((GOLDEN / "reference-terraform.json").read_text(encoding="utf-8"))
    run, records = records[0], records[1:]
    assert run["RecordType"] == "run" and run["Summary"] == golden["summary"]
    assert run["Status"] == "ungated"  # --fail-on none, with findings
    assert run["TenantId"] == "df1a1a42-2083-5095-984c-24939fe74224"
    assert [(r["RuleId"], r["ResourceId"], r["Fingerprint"]) for r in records] == [
        (f["rule_id"], f["resource_id"], f["fingerprint"]) for f in golden["findings"]
    ]
    assert {r["TimeGenerated"] for r in (run, *records)} == {golden["generated_at"]}
    assert {r["RunId"] for r in records} == {run["RunId"]}
    acr = next(r for r in records if r["RuleId"] == "MLA-ACR-004")
    assert acr["TenantId"] == "df1a1a42-2083-5095-984c-24939fe74224"
    assert acr["SubscriptionId"] == "c85d5ae6-ac71-5beb-a6f4-ab7e1481e0e8"
    assert acr["ResourceGroup"] == "rg-aml"
    assert (acr["Severity"], acr["Category"], acr["Status"]) == ("high", "authentication", "open")
    assert acr["ResourceName"] == "crmlops00000"
    dns = [r for r in records if r["RelatedId"].endswith("/virtualNetworks/vnet-bastion")]
    assert dns and dns[0]["RuleId"] == "MLA-DNS-001"


def test_output_ndjson_file_and_stdout_and_alias_agree(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "r.ndjson"
    args = ("scan", "--snapshot", TERRAFORM, "--fail-on", "none")
    written = run_cli(*args, "--output", f"ndjson:{out}", "--quiet", env=PINNED_TIME)
    assert written.returncode == 0, written.stderr
    printed = run_cli(*args, "--format", "jsonl", env=PINNED_TIME)
    assert printed.returncode == 0, printed.stderr
    assert out.read_text(encoding="utf-8") == printed.stdout
    assert out.read_bytes() == (GOLDEN / "reference-terraform.ndjson").read_bytes()
    assert "ndjson" in run_cli("scan", "--help").stdout


def test_deterministic_bytes_and_run_id() -> None:
    first = scan_fixture("reference-terraform", "ndjson")
    assert scan_fixture("reference-terraform", "ndjson") == first
    later = run_cli(
        "scan",
        "--snapshot",
        TERRAFORM,
        "--format",
        "ndjson",
        "--fail-on",
        "none",
        env={"SOURCE_DATE_EPOCH": "1767312000"},
    )
    assert later.returncode == 0, later.stderr
    old, new = parse(first), parse(later.stdout)
    assert [r["Fingerprint"] for r in old] == [r["Fingerprint"] for r in new]
    assert old[0]["RunId"] != new[0]["RunId"]  # another run, another id
    assert new[0]["TimeGenerated"] == "2026-01-02T00:00:00Z"
    # another estate at the same time: another id
    good = run_cli(
        "scan",
        "--snapshot",
        "fixtures/reference-good.json",
        "--format",
        "ndjson",
        "--fail-on",
        "none",
        env=PINNED_TIME,
    )
    assert good.returncode == 0, good.stderr
    assert parse(good.stdout)[0]["RunId"] != old[0]["RunId"]
    view = report.build_view(make_run([TERRAFORM]))
    assert ndjson.run_id(view) == ndjson.run_id(view)
    assert re.fullmatch(r"[0-9a-f]{32}", ndjson.run_id(view))


def test_hostile_strings_stay_data_on_one_line(tmp_path: Path) -> None:
    estate = hostile_acr(tmp_path, HOSTILE)
    out = tmp_path / "r.ndjson"
    proc = run_cli(
        "scan",
        "--snapshot",
        str(estate),
        "--fail-on",
        "none",
        "--output",
        f"ndjson:{out}",
        "--format",
        "ndjson",
    )
    assert proc.returncode == 0, proc.stderr
    for text in (out.read_text(encoding="utf-8"), proc.stdout):
        for raw in ("\r", "\u2028", "\u2029", "\x85", "\x1c", "\x1b", "\x07", "\x0b"):
            assert raw not in text
        records = parse(text)
        check_schema(records)
        acr = [r for r in records if r["RuleId"] == "MLA-ACR-004"]
        assert len(acr) == 1
        # the name comes back whole (the lone surrogate as U+FFFD: UTF-8 cannot hold it)
        assert acr[0]["ResourceName"] == HOSTILE.replace("\ud800", "\ufffd")
        assert "\x07]]>&<b>\x1b" in acr[0]["ResourceId"]
    # in-process, too: the lines are the records, whatever is in them
    view = report.build_view(make_run([estate]))
    text = ndjson.render(view)
    assert parse(text) == json.loads(json.dumps(ndjson.records(view)))


def test_triage_marks_status_suppressed_and_baselined(tmp_path: Path) -> None:
    sup = tmp_path / "s.yaml"
    sup.write_text(
        "suppressions:\n  - rule: MLA-ACR-004\n    justification: legacy build\n"
        "    expires: 2999-12-31\n",
        encoding="utf-8",
    )
    records = ndjson.records(report.build_view(make_run([TERRAFORM], suppressions=sup)))[1:]
    check_schema(records)
    by_status = {r["RuleId"]: r["Status"] for r in records}
    assert by_status["MLA-ACR-004"] == "suppressed"
    assert {s for rule, s in by_status.items() if rule != "MLA-ACR-004"} == {"open"}
    acr = next(r for r in records if r["RuleId"] == "MLA-ACR-004")
    assert acr["Suppression"]["justification"] == "legacy build"

    # a baseline that knows all but one finding: that one is open and new, the rest
    # baselined and unchanged
    doc = report.to_json_dict(make_run([TERRAFORM]))
    doc["findings"] = doc["findings"][1:]
    base = triage.baseline_document(doc)
    records = ndjson.records(report.build_view(make_run([TERRAFORM], baseline=base)))[1:]
    check_schema(records)
    assert (records[0]["Status"], records[0]["BaselineState"]) == ("open", "new")
    assert {(r["Status"], r["BaselineState"]) for r in records[1:]} == {("baselined", "unchanged")}


def test_not_evaluated_checks_are_lines_with_reasons(tmp_path: Path) -> None:
    rows = [
        r
        for r in terraform_rows()
        if r["type"].lower() not in (COMPUTE_TYPE, "microsoft.containerregistry/registries")
    ]
    estate = write_rows(tmp_path / "partial.json", rows)
    rep = json_report("--snapshot", str(estate), "--fail-on", "none")
    proc = run_cli("scan", "--snapshot", str(estate), "--format", "ndjson", "--fail-on", "none")
    assert proc.returncode == 3, proc.stderr  # incomplete: never a pass
    records = parse(proc.stdout)
    check_schema(records)
    assert records[0]["Status"] == "incomplete"
    unknown = [r for r in records if r["Status"] == "not_evaluated"]
    assert [r["RecordType"] for r in records] == ["run"] + ["finding"] * len(rep["findings"]) + [
        "not_evaluated"
    ] * len(rep["not_evaluated"])
    assert [(r["RuleId"], r["ResourceId"] or None, r["Reasons"]) for r in unknown] == [
        (n["rule_id"], n["resource_id"], n["reasons"]) for n in rep["not_evaluated"]
    ]
    whole = [r for r in unknown if r["ResourceId"] == ""]
    assert whole and all(r["Reasons"] and r["Message"] for r in whole)
    registry = next(
        r for r in unknown if r["RuleId"] == "MLA-ACR-004" and r["ResourceName"] == "crmlops00000"
    )
    assert registry["ResourceGroup"] == "rg-aml"  # from the id: the row is not in the estate
    assert registry["Severity"] == "high" and registry["Title"]
    assert registry["Fingerprint"] == "" and registry["Suppression"] is None


def test_a_run_without_findings_or_unknowns_is_one_run_line() -> None:
    view = report.build_view(make_run([TERRAFORM]))
    empty = view.__class__(**{**view.__dict__, "findings": ()})
    object.__setattr__(
        empty,
        "coverage",
        view.coverage.__class__(**{**view.coverage.__dict__, "not_evaluated": ()}),
    )
    lines = parse(ndjson.render(empty))
    assert [r["RecordType"] for r in lines] == ["run"]  # a clean run is still seen


def test_documented_schema_is_the_code() -> None:
    doc = (ROOT / "docs" / "log-analytics.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| `(\w+)` \| `(\w+)` \|", doc, re.MULTILINE)
    assert table == list(ndjson.COLUMNS.items())
    # the data collection rule's stream declaration lists the same columns
    block = re.search(r"```json\n(\{.*?\n\})\n```", doc, re.DOTALL)
    assert block is not None
    stream = json.loads(block.group(1))
    columns = next(iter(stream["streamDeclarations"].values()))["columns"]
    assert [(c["name"], c["type"]) for c in columns] == list(ndjson.COLUMNS.items())


def test_dates_in_suppression_are_plain_json(tmp_path: Path) -> None:
    """A suppression's expiry reaches the line as text (the dynamic column stays JSON)."""
    sup = tmp_path / "s.yaml"
    sup.write_text(
        "suppressions:\n  - rule: MLA-*\n    justification: all\n    expires: 2999-12-31\n",
        encoding="utf-8",
    )
    run = make_run([TERRAFORM], suppressions=sup)
    assert dt.date(2999, 12, 31).isoformat() in ndjson.render(report.build_view(run))


def test_terraform_lines_name_the_file_and_line_and_the_rows_scope() -> None:
    """A Terraform finding's resource is its address; its subscription and group come from
    the row the reader made (an address spells neither), its file and line as CSV names them."""
    proc = run_cli(
        "scan", "--terraform", "fixtures/terraform/article", "--format", "ndjson",
        "--fail-on", "none", "--allow-partial",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    records = parse(proc.stdout)
    check_schema(records)
    acr = next(r for r in records if r["RuleId"] == "MLA-ACR-004")
    assert acr["ResourceId"] == "azurerm_container_registry.acr"
    assert (acr["SubscriptionId"], acr["ResourceGroup"]) == (
        "11111111-2222-3333-4444-555555555555",
        "my_resource_group",
    )
    assert acr["File"] == "fixtures/terraform/article/main.tf"
    assert isinstance(acr["Line"], int) and acr["Line"] > 0
