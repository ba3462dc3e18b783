"""JUnit XML, CSV and the Markdown summary: counts that add up, verdicts that fail closed,
hostile estate text that stays inert, caps that hold, and the same bytes every time."""

from __future__ import annotations

import copy
import csv
import dataclasses
import datetime as dt
import io
import json
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from auditor import arm, inputs, report, triage
from auditor import graph as graph_stage
from auditor import rules as rules_stage
from auditor.findings import NotEvaluated
from auditor.report import csv_report, diff, junit, markdown, safe

from . import builders as b
from .conftest import FIXTURES, ROOT
from .update_golden import run_cli

TERRAFORM = "fixtures/reference-terraform.json"
GOOD = "fixtures/reference-good.json"
COMPUTE_TYPE = "microsoft.machinelearningservices/workspaces/computes"
# control characters, the end of a CDATA section, a lone surrogate, markup, a table pipe,
# a line break, a formula: everything a tenant could put in a name
HOSTILE = "cr\x07evil]]>\ud800<img src=x onerror=alert(1)>|x\n\x1b[31m"


# -- helpers --------------------------------------------------------------------------------
def cli_report(tmp_path: Path, fmt: str, *args: str, name: str = "out") -> bytes:
    """Bytes of one ``--output FORMAT:PATH`` written by the real CLI."""
    out = tmp_path / f"{name}.{fmt}"
    proc = run_cli("scan", *args, "--output", f"{fmt}:{out}")
    assert proc.returncode in (0, 1, 3), proc.stderr
    return out.read_bytes()


def json_report(*args: str) -> dict[str, Any]:
    proc = run_cli("scan", *args, "--format", "json")
    assert proc.returncode in (0, 1, 3), proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def make_run(
    paths: list[Path | str],
    fail_on: str = "high",
    *,
    suppressions: Path | None = None,
    baseline: dict[str, Any] | None = None,
) -> report.Run:
    """A Run built in-process the way the CLI builds it."""
    chosen = rules_stage.load_rules()
    estate = inputs.load([ROOT / p for p in paths])
    graph = graph_stage.build(estate)
    result = rules_stage.evaluate(chosen, graph)
    run = report.Run(graph, result, fail_on, chosen, report.timestamp())
    if suppressions is not None:
        entries = triage.load_suppressions(suppressions)
        today = dt.date(2026, 1, 1)
        run.suppressions = triage.apply_suppressions(
            result, graph, entries, str(suppressions), today
        )
    if baseline is not None:
        run.baseline = triage.apply_baseline(result, graph, baseline, "baseline.json")
    return run


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # ensure_ascii: a lone surrogate survives as a \ud800 escape, the way Azure sends it
    path.write_text(json.dumps(rows, ensure_ascii=True), encoding="utf-8")
    return path


def terraform_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((ROOT / TERRAFORM).read_text(encoding="utf-8"))
    return rows


def hostile_acr(tmp_path: Path, name: str = HOSTILE) -> Path:
    """fixtures/rules/MLA-ACR-004/fail.json with the failing registry renamed: ``name`` in
    the row's name, control characters and markup in its ARM id (a lone surrogate cannot
    be in an id: the fingerprint hashes the id's UTF-8)."""
    rows = json.loads((FIXTURES / "rules/MLA-ACR-004/fail.json").read_text(encoding="utf-8"))
    row = rows[0]
    row["id"] = row["id"].replace(row["name"], "cr\x07]]>&<b>\x1b")
    row["name"] = name
    return write_rows(tmp_path / "hostile" / "estate.json", rows)


def cases(root: ET.Element) -> list[ET.Element]:
    return list(root.iter("testcase"))


def outcome(case: ET.Element) -> str:
    for tag in ("failure", "error", "skipped"):
        if case.find(tag) is not None:
            return tag
    return "passed"


def judged_subjects(rep: dict[str, Any]) -> int:
    """Test cases the JSON report implies: every judged subject of every rule, plus one
    per rule that could not run at all."""
    return sum(
        r["subjects"] - r["not_applicable"] + (1 if r["reason"] is not None else 0)
        for r in rep["rules"]
    )


def check_counts(root: ET.Element) -> None:
    """Every tests/failures/errors/skipped attribute matches the elements below it."""
    totals = dict.fromkeys(("tests", "failure", "error", "skipped"), 0)
    for suite in root.iter("testsuite"):
        kinds = [outcome(c) for c in suite.iter("testcase")]
        assert int(suite.get("tests", "-1")) == len(kinds)
        for attr, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
            assert int(suite.get(attr, "-1")) == kinds.count(tag)
            totals[tag] += kinds.count(tag)
        totals["tests"] += len(kinds)
    assert root.get("tests") == str(totals["tests"])
    assert root.get("failures") == str(totals["failure"])
    assert root.get("errors") == str(totals["error"])
    assert root.get("skipped") == str(totals["skipped"])


# -- JUnit ----------------------------------------------------------------------------------
def test_junit_of_the_reference_estate_counts_every_verdict(tmp_path: Path) -> None:
    xml = cli_report(tmp_path, "junit", "--snapshot", TERRAFORM, "--fail-on", "none")
    rep = json_report("--snapshot", TERRAFORM, "--fail-on", "none")
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(xml)
    assert root.tag == "testsuites" and root.get("name") == "mlops-audit"
    check_counts(root)
    all_cases = cases(root)
    assert len(all_cases) == judged_subjects(rep) > 0
    # one suite per rule that ran, named by rule id and title
    suites = root.findall("testsuite")
    assert [s.get("name", "").split(" ")[0] for s in suites] == [r["rule_id"] for r in rep["rules"]]
    assert all(len(s.get("name", "").split(" ", 1)[1]) > 5 for s in suites)
    stamp = suites[0].get("timestamp", "")
    assert dt.datetime.fromisoformat(stamp).tzinfo is None  # XSD dateTime, read as UTC
    # failures: one per (rule, resource) with findings, each with message and remediation
    pairs = {(f["rule_id"], arm.key(f["resource_id"])) for f in rep["findings"]}
    failed = [c for c in all_cases if outcome(c) == "failure"]
    assert len(failed) == len(pairs) == 4
    for case in failed:
        failure = case.find("failure")
        assert failure is not None and failure.get("message") and failure.get("type") == "high"
        assert "\n" not in failure.get("message", "")
    for f in rep["findings"]:
        mine = [
            c
            for c in failed
            if c.get("name", "").startswith(f["rule_id"] + " ")
            and f["resource_id"] in (c.findtext("failure") or "")
        ]
        assert len(mine) == 1, f["rule_id"]
        body = mine[0].findtext("failure") or ""
        assert f["message"] in body and f["remediation"].splitlines()[0] in body
    # rule id, resource name, and where it lives: group, then parent resources
    assert sorted(c.get("name") for c in failed) == [
        "MLA-ACR-004 crmlops00000 (rg-aml)",
        "MLA-AML-001 mlw-mlops00000 (rg-aml)",
        "MLA-AML-003 cpu-cluster (rg-aml/mlw-mlops00000)",
        "MLA-DNS-001 privatelink.azurecr.io (rg-dns)",
    ]
    passed = [c for c in all_cases if outcome(c) == "passed"]
    assert len(passed) == len(all_cases) - 4 > 50
    # no two results share an identity (Azure DevOps keys tests by name + classname)
    ids = [(c.get("classname"), c.get("name")) for c in all_cases]
    assert len(set(ids)) == len(ids)
    assert all(c.get("classname", "").count(".") == 2 for c in all_cases)


def test_junit_keeps_hostile_names_well_formed(tmp_path: Path) -> None:
    estate = hostile_acr(tmp_path)
    xml = cli_report(tmp_path, "junit", "--snapshot", str(estate), "--fail-on", "none")
    root = ET.fromstring(xml)  # parses: no raw control character, no lone surrogate
    xml.decode("utf-8")  # strict UTF-8
    check_counts(root)
    suite = next(s for s in root.iter("testsuite") if s.get("name", "").startswith("MLA-ACR-004"))
    bad = next(c for c in suite.iter("testcase") if outcome(c) == "failure")
    name = bad.get("name", "")
    assert name.startswith("MLA-ACR-004 cr\ufffdevil]]>\ufffd<img src=x onerror=alert(1)>|x")
    assert "\x07" not in name and "\x1b" not in name and "\n" not in name  # one line
    failure = bad.find("failure")
    assert failure is not None
    body = failure.text or ""
    assert "registries/cr\ufffd]]>&<b>\ufffd" in body  # the id, escaped and parsed back
    assert "]]>" in (failure.get("message") or "")
    # the in-process renderer gives the same document
    assert junit.render(report.build_view(make_run([estate], "none"))).encode() == xml


@pytest.mark.parametrize(
    "value", ["plain", 'q"uote', "a&b<c>d", "line\nbreak\r\ttab", "]]>", "\ufffd\u202e", ""]
)
def test_junit_escapes_as_elementtree_does(value: str) -> None:
    # the writer builds no tree; ElementTree is the oracle for its escaping
    element = ET.Element("case", {"name": value, "n": "1"})
    assert junit._open("case", {"name": value, "n": "1"}) + " />" == ET.tostring(element, "unicode")
    element.text = value
    start = junit._open("case", {"name": value, "n": "1"})
    expected = f"{start}>{junit._text(value)}</case>" if value else f"{start} />"
    assert ET.tostring(element, "unicode") == expected


@pytest.mark.parametrize("which", ["reference", "hostile", "gaps"])
def test_junit_is_what_elementtree_writes_of_it(tmp_path: Path, which: str) -> None:
    # parsed and written again by ElementTree (indent included): the same text, so the
    # text writer's layout and escaping are ElementTree's
    if which == "reference":
        run = make_run([TERRAFORM], "none")
    elif which == "hostile":
        run = make_run([hostile_acr(tmp_path)], "none")
    else:
        run = make_run([TERRAFORM], "none")
        run.graph.estate.gaps.append({"path": 'a"<&>\tb', "problem": "line\nbreak"})
    text = junit.render(report.build_view(run))
    head, body = text.split("\n", 1)
    root = ET.fromstring(body)
    again = ET.tostring(root, "unicode")
    ET.indent(root, space="  ")
    assert ET.tostring(root, "unicode") == again  # already indented as ET indents
    assert text == head + "\n" + again + "\n"


def test_junit_skips_suppressed_and_fails_baselined_findings(tmp_path: Path) -> None:
    sup = tmp_path / "s.yaml"
    sup.write_text(
        "suppressions:\n"
        "  - rule: MLA-ACR-004\n"
        "    justification: legacy build\n"
        "    expires: 2999-12-31\n",
        encoding="utf-8",
    )
    run = make_run([TERRAFORM], suppressions=sup)
    root = ET.fromstring(junit.render(report.build_view(run)))
    check_counts(root)
    acr = next(s for s in root.iter("testsuite") if s.get("name", "").startswith("MLA-ACR-004"))
    assert (acr.get("failures"), acr.get("skipped")) == ("0", "1")
    skipped = next(acr.iter("testcase")).find("skipped")
    assert skipped is not None
    assert skipped.get("message") == f"suppressed by {sup}#1 until 2999-12-31: legacy build"
    assert root.get("failures") == "3" and root.get("skipped") == "1"

    # a baseline that knows every finding: still failures (the resources still fail the
    # controls), marked as known; the exit code no longer depends on them
    base = triage.baseline_document(report.to_json_dict(make_run([TERRAFORM])))
    known = make_run([TERRAFORM], baseline=base)
    assert not known.failed
    root = ET.fromstring(junit.render(report.build_view(known)))
    failed = [c.find("failure") for c in cases(root) if outcome(c) == "failure"]
    assert len(failed) == 4
    assert all(f is not None and f.get("message", "").startswith("in baseline: ") for f in failed)
    assert all("baseline: in baseline" in (f.text or "") for f in failed if f is not None)


def test_junit_reports_what_was_not_evaluated_as_errors(tmp_path: Path) -> None:
    """No compute rows (the rules that need them cannot run) and no registry row (the
    endpoint and workspace still reference it): errors, never passes."""
    rows = [
        r
        for r in terraform_rows()
        if r["type"].lower() not in (COMPUTE_TYPE, "microsoft.containerregistry/registries")
    ]
    estate = write_rows(tmp_path / "partial.json", rows)
    xml = cli_report(tmp_path, "junit", "--snapshot", str(estate), "--fail-on", "none")
    rep = json_report("--snapshot", str(estate), "--fail-on", "none")
    root = ET.fromstring(xml)
    check_counts(root)
    assert len(cases(root)) == judged_subjects(rep)
    whole = [r["rule_id"] for r in rep["rules"] if r["reason"] is not None]
    assert whole and {"MLA-AML-003", "MLA-AML-007"} <= set(whole)
    errors = {c.get("name"): c.find("error") for c in cases(root) if outcome(c) == "error"}
    for rule in whole:
        error = errors[f"{rule} (whole estate)"]
        assert error is not None
        assert error.get("message", "").startswith("not evaluated: the estate has no Azure ML")
    # the registry is referenced but not collected: each ACR rule errors on it
    for rule in ("MLA-ACR-001", "MLA-ACR-004"):
        error = errors[f"{rule} crmlops00000 (rg-aml)"]
        assert error is not None
        assert "not in the estate" in error.get("message", "")
    # an error per rule that could not run, and per (rule, resource) it could not judge
    # that has no finding to fail it
    unjudged = {
        (n["rule_id"], arm.key(n["resource_id"])) for n in rep["not_evaluated"] if n["resource_id"]
    }
    failing = {(f["rule_id"], arm.key(f["resource_id"])) for f in rep["findings"]}
    assert unjudged and int(root.get("errors", "0")) == len(whole) + len(unjudged - failing)


def test_junit_coverage_gaps_are_errors_and_names_stay_unique(tmp_path: Path) -> None:
    st_a = b.storage("stdata")
    st_b = copy.deepcopy(st_a)
    st_b["id"] = st_a["id"].replace("rg-data", "rg-other")
    twin = copy.deepcopy(st_a)  # same name and group, another id: needs the hash suffix
    twin["id"] = st_a["id"] + "x"
    doc = {"count": 3, "data": [st_a, st_b, twin], "skip_token": "ew0K"}
    path = tmp_path / "page.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    root = ET.fromstring(junit.render(report.build_view(make_run([path], "none"))))
    check_counts(root)
    inputs = [c for c in cases(root) if c.get("classname") == "mlops-audit.inputs"]
    assert len(inputs) == 1 and outcome(inputs[0]) == "error"
    assert "skip_token" in inputs[0].find("error").get("message", "")  # type: ignore[union-attr]
    names = [c.get("name", "") for c in cases(root) if c.get("name", "").startswith("MLA-STG-001")]
    assert "MLA-STG-001 stdata (rg-data)" not in names  # the twins got suffixes
    assert "MLA-STG-001 stdata (rg-other)" in names
    assert sum(1 for n in names if re.fullmatch(r"MLA-STG-001 stdata \(rg-data\) #[0-9a-f]{8}", n))
    ids = [(c.get("classname"), c.get("name")) for c in cases(root)]
    assert len(set(ids)) == len(ids)


def test_junit_bounds_names_and_bodies(tmp_path: Path) -> None:
    """Long names are cut (Azure DevOps fails on very long test names) but stay distinct;
    a resource with many findings of one rule keeps a bounded body that says what is left
    out."""
    run = make_run([hostile_acr(tmp_path, name="n" * 300)])
    seed = next(f for f in run.result.findings if f.rule_id == "MLA-ACR-004")
    run.result.findings += [
        dataclasses.replace(seed, related_id=f"{seed.resource_id}/x/{i}", fingerprint=f"{i:032x}")
        for i in range(199)
    ]
    root = ET.fromstring(junit.render(report.build_view(run)))
    check_counts(root)
    assert all(len(c.get("name", "")) <= 256 for c in cases(root))
    acr = next(c for c in cases(root) if c.get("name", "").startswith("MLA-ACR-004 n"))
    assert re.fullmatch(r"MLA-ACR-004 n{180,}… #[0-9a-f]{8}", acr.get("name", ""))
    failure = acr.find("failure")
    assert failure is not None and failure.get("message", "").endswith(" (+199 more)")
    body = failure.text or ""
    assert len(body) <= junit.BODY_CHARS + 1000
    kept = body.count("fingerprint: ")
    assert 1 < kept < 200
    assert body.endswith(f"… and {200 - kept} more on this resource: see the JSON report.")


# -- CSV ------------------------------------------------------------------------------------
def read_csv(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_has_one_row_per_finding(tmp_path: Path) -> None:
    data = cli_report(tmp_path, "csv", "--snapshot", TERRAFORM, "--fail-on", "none")
    rep = json_report("--snapshot", TERRAFORM, "--fail-on", "none")
    assert data.startswith(b"\xef\xbb\xbfseverity,rule_id,")  # BOM: Excel reads UTF-8
    assert data.count(b"\r\n") >= len(rep["findings"]) + 1  # RFC 4180 line ends
    rows = read_csv(data)
    assert list(rows[0]) == list(csv_report.COLUMNS)
    assert [(r["rule_id"], r["resource_id"], r["fingerprint"]) for r in rows] == [
        (f["rule_id"], f["resource_id"], f["fingerprint"]) for f in rep["findings"]
    ]
    for r, f in zip(rows, rep["findings"], strict=True):
        assert r["remediation"] == f["remediation"]  # multi-line, quoted, intact
        assert (r["suppressed"], r["counts_toward_fail_on"], r["baseline"]) == ("no", "yes", "")


def test_csv_defuses_formulas_from_the_estate(tmp_path: Path) -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe.csv(f"{start}1+1") == f"'{start}1+1"
    assert safe.csv("crmlops") == "crmlops" and safe.csv(None) == ""
    assert safe.csv("a\x00b\ud800") == "a\ufffdb\ufffd"
    estate = hostile_acr(tmp_path, name='=HYPERLINK("http://x","y")\ud800')
    sup = tmp_path / "s.yaml"
    sup.write_text(
        "suppressions:\n  - rule: MLA-ACR-004\n    justification: '@SUM(A1)'\n",
        encoding="utf-8",
    )
    text = csv_report.render(report.build_view(make_run([estate], suppressions=sup)))
    text.encode("utf-8")  # no lone surrogate left
    rows = read_csv(text.encode("utf-8"))
    acr = next(r for r in rows if r["rule_id"] == "MLA-ACR-004")
    assert acr["resource_name"] == '\'=HYPERLINK("http://x","y")\ufffd'
    assert acr["suppression_justification"] == "'@SUM(A1)"
    assert (acr["suppressed"], acr["counts_toward_fail_on"]) == ("yes", "no")
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


# -- Markdown -------------------------------------------------------------------------------
def tables(md: str) -> list[list[list[str]]]:
    """Every table of the summary as rendered by markdown-it (CommonMark + GFM tables):
    rows of cell texts, header first."""
    html = MarkdownIt("commonmark").enable("table").render(md)
    found = []
    for table in re.findall(r"<table>(.*?)</table>", html, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
        found.append([re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S) for r in rows])
    return found


def section(md: str, title: str) -> str:
    start = md.index(title)
    end = md.find("\n### ", start + 1)
    return md[start : end if end != -1 else len(md)]


def test_markdown_summary_of_the_reference_estate(tmp_path: Path) -> None:
    md = cli_report(tmp_path, "markdown", "--snapshot", TERRAFORM).decode("utf-8")
    assert md.startswith("## ❌ mlops-audit: FAIL\n")
    assert "**4 finding(s) at or above high** fail the gate." in md
    assert "| **high** (gated) | 4 | 4 | 0 |" in md and "| total | 4 | 4 | 0 |" in md
    top = section(md, "### Top findings (4 of 4")
    for rule in ("MLA-ACR-004", "MLA-AML-001", "MLA-AML-003", "MLA-DNS-001"):
        assert f"| high | {rule} |" in top
    assert "and 0 more" not in md and "… and" not in md
    assert "Complete: every input was read whole" in md
    for t in tables(md):
        assert all(len(row) == len(t[0]) for row in t)
    good = cli_report(tmp_path, "markdown", "--snapshot", GOOD, name="good").decode("utf-8")
    assert good.startswith("## ✅ mlops-audit: PASS\n")


def registries(n: int) -> list[dict[str, Any]]:
    """``n`` container registries with the admin user on (one MLA-ACR-004 finding each)."""
    rows = json.loads((FIXTURES / "rules/MLA-ACR-004/fail.json").read_text(encoding="utf-8"))
    out = []
    for i in range(n):
        row = copy.deepcopy(rows[0])
        row["id"] = row["id"].replace(row["name"], f"cr{i:04d}")
        row["name"] = f"cr{i:04d}"
        out.append(row)
    return out


def test_markdown_caps_the_findings_table(tmp_path: Path) -> None:
    estate = write_rows(tmp_path / "many.json", registries(57))
    run = make_run([estate])
    total = len(run.result.findings)
    assert total >= 57
    md = markdown.render(report.build_view(run))
    top = section(md, "### Top findings")
    assert f"### Top findings (20 of {total}, most severe first)" in top
    rows = [line for line in top.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 20  # header and 20 findings
    assert f"… and {total - 20} more finding(s): the full list is in the JSON" in top
    assert len(tables(markdown.summary(report.build_view(run), max_rows=5))[1]) == 1 + 5


def test_markdown_lists_what_changed_since_the_baseline(tmp_path: Path) -> None:
    partial = tmp_path / "aml.json"
    proc = run_cli(
        "baseline", "--snapshot", TERRAFORM, "--select", "MLA-AML", "--output", str(partial)
    )
    assert proc.returncode == 0, proc.stderr
    md = cli_report(
        tmp_path, "markdown", "--snapshot", TERRAFORM, "--baseline", str(partial), name="new"
    ).decode("utf-8")
    # a baseline without a suppression file: only new findings count
    assert "**2 new finding(s) at or above high** fail the gate." in md
    since = section(md, "### Since the baseline")
    assert "**2 new**, 2 unchanged, 0 fixed, 0 not re-checked" in since
    new = since[since.index("#### New (2)") :]
    assert "MLA-ACR-004" in new and "MLA-DNS-001" in new and "MLA-AML-001" not in new
    # findings, counted, suppressed, new, in baseline
    assert "| **high** (gated) | 4 | 2 | 0 | 2 | 2 |" in md

    full = tmp_path / "full.json"
    assert run_cli("baseline", "--snapshot", TERRAFORM, "--output", str(full)).returncode == 0
    md = cli_report(
        tmp_path, "markdown", "--snapshot", GOOD, "--baseline", str(full), name="fixed"
    ).decode("utf-8")
    assert md.startswith("## ✅ mlops-audit: PASS")
    fixed = section(md, "### Since the baseline")
    assert "#### Fixed (4)" in fixed and "MLA-ACR-004" in fixed
    md = cli_report(
        tmp_path,
        "markdown",
        "--snapshot",
        TERRAFORM,
        "--skip",
        "MLA-AML-003",
        "--baseline",
        str(full),
        name="unverified",
    ).decode("utf-8")
    since = section(md, "### Since the baseline")
    assert "#### Not re-checked (1): not called fixed" in since
    assert "| high | MLA-AML-003 |" in since and "rule MLA-AML-003 was not run" in since


def test_markdown_lists_expired_and_stale_suppressions(tmp_path: Path) -> None:
    sup = tmp_path / "s.yaml"
    sup.write_text(
        "suppressions:\n"
        "  - rule: MLA-ACR-004\n    justification: ok until 2025\n    expires: 2025-06-30\n"
        "  - rule: MLA-KV-*\n    justification: nothing to cover\n"
        "  - rule: MLA-DNS-001\n    justification: hub team\n    expires: 2999-01-01\n",
        encoding="utf-8",
    )
    md = markdown.render(report.build_view(make_run([TERRAFORM], suppressions=sup)))
    sec = section(md, "### Suppressions")
    assert "3 entries, 1 finding(s) suppressed, 1 expired, 1 stale." in sec
    assert "#### ⚠️ Expired (1)" in sec and "| 2025-06-30 | 1 |" in sec
    assert "#### Stale (1)" in sec and "nothing to cover" in sec
    top = section(md, "### Top findings")
    entry = safe.markdown(f"{sup}#3", code=True, limit=200)
    assert top.splitlines()[-1].endswith(f" | suppressed ({entry} until 2999-01-01) |")


@pytest.mark.parametrize("fail_on", ["high", "none"])
def test_markdown_never_passes_an_incomplete_scan(tmp_path: Path, fail_on: str) -> None:
    gap = {"count": 1, "data": [b.storage("stok")], "skip_token": "ew0K"}
    path = tmp_path / "page.json"
    path.write_text(json.dumps(gap), encoding="utf-8")
    md = markdown.render(report.build_view(make_run([path], fail_on)))
    assert report.build_view(make_run([path], fail_on)).gate.verdict == "incomplete"
    assert md.startswith("## ⚠️ mlops-audit: INCOMPLETE") and "PASS" not in md
    assert "1 coverage gap(s): part of the estate was not read: this is not a pass." in md
    assert "#### ⚠️ Inputs not read completely (1)" in md and "skip\\_token" in md

    rows = [r for r in terraform_rows() if r["type"].lower() != COMPUTE_TYPE]
    estate = write_rows(tmp_path / "nocompute.json", rows)
    run = make_run([estate], "critical" if fail_on == "high" else "none")
    view = report.build_view(run)
    md = markdown.render(view)
    assert not run.failed and view.gate.verdict == "incomplete" and "PASS" not in md
    # the rules that need the computes collection: MLA-AML-003..007, MLA-NSG-008..010 and
    # the inference ones, MLA-AKS-001/002
    assert "rule(s) could not run" in md and "#### ⚠️ Rules not evaluated (10)" in md


def test_markdown_escapes_hostile_names(tmp_path: Path) -> None:
    run = make_run([hostile_acr(tmp_path, name=HOSTILE + "`a``b` [l](http://x) @team www.x.io")])
    md = markdown.render(report.build_view(run))
    md.encode("utf-8")  # no lone surrogate
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f\u202e]", md)
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<img" not in html and "<b>" not in html and "<a " not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown, as text
    for t in tables(md):
        assert all(len(row) == len(t[0]) for row in t), t
    top = tables(md)[1]
    resource = top[1][2]
    assert resource.startswith("<code>cr\ufffdevil]]&gt;\ufffd&lt;img src=x onerror=alert(1)&gt;|x")
    assert "`a``b`" in resource  # backticks inside the code span, intact
    assert "@\u2060team" in md  # in the message: no @mention


def test_cell_escapes_one_choke_point() -> None:
    cell = safe.markdown
    assert cell("a|b\nc\r\n\td") == "a\\|b c d"
    assert cell("<script>&") == "&lt;script&gt;&amp;"
    assert cell("*x* _y_ [z](u) ~~s~~ \\") == "\\*x\\* \\_y\\_ \\[z\\](u) \\~\\~s\\~\\~ \\\\"
    assert cell("see www.x.io or https://x.io") == "see www\\.x.io or https\\://x.io"
    assert cell("a\u202eb\x00") == "a\ufffdb\ufffd"
    assert cell("x``y", code=True) == "```x``y```"
    assert cell("`x", code=True) == "`` `x ``"
    assert cell("a|b", code=True) == "`a\\|b`"
    assert cell("a|b", code=True, in_table=False) == "`a|b`"
    assert cell("a\\|b", code=True) == "a\\\\\\|b"  # plain: both parsers read a\|b
    assert cell("x" * 50, limit=10) == "xxxxxxxxx…" and cell(None) == "" == cell("", code=True)
    assert cell("ab<c>", limit=4) == "ab&lt;…"  # cut before escaping: no broken entity
    # the summary and the diff report use this very function: one choke point, no copy
    assert diff.cell is markdown.cell is safe.markdown and not hasattr(diff, "_cell")


def huge_run(tmp_path: Path, n: int) -> report.Run:
    """The reference run blown up: ``n`` findings, gaps, checks not evaluated, fixed and
    unverified baseline entries and expired suppressions, each with long hostile text."""
    run = make_run([TERRAFORM])
    long = (HOSTILE + "|`<>&* ") * 400  # ~15 kB of text that escaping makes longer
    seed = run.result.findings[0]
    run.result.findings = [
        dataclasses.replace(
            seed,
            resource_id=f"{seed.resource_id}{i}",
            resource_name=long,
            message=long,
            fingerprint=f"{i:032x}",
            baseline="new" if i % 2 else "unchanged",
        )
        for i in range(n)
    ]
    run.graph.estate.gaps = [{"path": long, "problem": long}] * n
    run.graph.estate.notes = [{"note": long}] * n
    run.result.not_evaluated = [
        NotEvaluated("MLA-ACR-001", f"/subscriptions/s/resourceGroups/rg/x/{i}", None, [long])
        for i in range(n)
    ]
    entry = {"rule_id": "MLA-X", "severity": "high", "resource_id": long, "message": long}
    run.baseline = {
        "path": long,
        "new": n // 2,
        "unchanged": n // 2,
        "fixed": [entry] * n,
        "unverified": [{**entry, "reason": long}] * n,
    }
    sup = {"entry": long, "expires": "2020-01-01", "matches": 1, "justification": long}
    run.suppressions = {
        "path": long,
        "as_of": "2026-01-01",
        "entries": n,
        "suppressed": 0,
        "expired": [sup] * n,
        "stale": [sup] * n,
    }
    return run


def test_markdown_stays_under_the_step_summary_limit(tmp_path: Path) -> None:
    run = huge_run(tmp_path, 100_000)
    started = time.perf_counter()
    md = markdown.render(report.build_view(run))
    elapsed = time.perf_counter() - started
    size = len(md.encode("utf-8"))
    assert size <= markdown.MAX_BYTES < 1024 * 1024
    assert elapsed < 20, elapsed  # linear: sorting 100k findings, not comparing pairs
    assert md.startswith("## ❌ mlops-audit: FAIL")
    assert "… and 99980 more finding(s)" in md
    for t in tables(md):
        assert len(t) <= 1 + markdown.MAX_ROWS and all(len(r) == len(t[0]) for r in t)
    # the byte cap itself: cut at a line, with a note, within the budget
    small = markdown.summary(report.build_view(run), max_bytes=6000)
    assert len(small.encode("utf-8")) <= 6000
    assert small.startswith("## ❌ mlops-audit: FAIL")
    assert small.rstrip().endswith(
        "the full list is in the JSON, CSV, SARIF or HTML report of "
        "this run (`scan --output FORMAT:PATH`)."
    )
    assert "**Truncated** to fit the 6,000-byte summary limit" in small


# -- determinism ----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["junit", "csv", "markdown"])
def test_same_run_same_bytes(tmp_path: Path, fmt: str) -> None:
    """Two runs give the same bytes, and so does the estate with its rows reversed
    (Resource Graph does not promise an order)."""
    rows = terraform_rows()
    write_rows(tmp_path / "a" / "estate.json", rows)
    write_rows(tmp_path / "b" / "estate.json", rows[::-1])
    outputs = []
    for folder in ("a", "a", "b"):
        proc = run_cli(
            "scan",
            "--snapshot",
            "estate.json",
            "--fail-on",
            "none",
            "--output",
            f"{fmt}:out",
            cwd=tmp_path / folder,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append((tmp_path / folder / "out").read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(outputs[0]) > 1000


def test_junit_escapes_text_and_attributes_as_elementtree_does() -> None:
    """The JUnit writer writes its XML without an element tree: its escaping must be the
    one ElementTree writes (checked through ElementTree's public API)."""
    import random
    import xml.etree.ElementTree as ET

    from auditor.report.junit import _attr, _text

    rng = random.Random(7)
    alphabet = "&<>\"'\r\n\tab\u2028é;#"
    for _ in range(3000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        element = ET.Element("x", {"a": s})
        element.text = s
        assert ET.tostring(element, encoding="unicode") == f'<x a="{_attr(s)}">{_text(s)}</x>'
