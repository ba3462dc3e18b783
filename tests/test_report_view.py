"""The report view and the format registry: the verdict, counts and statuses are decided
once, in the view; every format renders from one view; the CLI's format list and help are
the registry's; and text is made safe in one module."""

from __future__ import annotations

import ast
import contextlib
import gc
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor import cli, core, report
from auditor.report import safe
from auditor.report.view import ReportView

from .conftest import FIXTURES, ROOT

TERRAFORM = FIXTURES / "reference-terraform.json"
GOOD = FIXTURES / "reference-good.json"
SUPPRESSIONS = ROOT / "tests" / "data" / "suppressions-reference.yaml"


def audit(path: Path = TERRAFORM, **kw: Any) -> report.Run:
    run: report.Run = core.audit([path], **kw)
    return run


# -- the view decides -----------------------------------------------------------------------
def test_the_view_decides_verdict_gate_and_counts() -> None:
    view = report.build_view(audit())
    assert (view.gate.verdict, view.gate.words, view.gate.failing) == ("fail", "", 4)
    assert view.summary.findings == view.summary.counted == 4 and view.summary.complete
    assert [s.severity for s in view.severities if s.gated] == ["critical", "high"]
    assert [r.rule_id for r in view.rule_rows] == sorted(r.rule_id for r in view.rule_rows)
    assert {r.status for r in view.rule_rows} <= {"pass", "fail", "not-applicable"}
    assert report.build_view(audit(fail_on="none")).gate.verdict == "ungated"
    assert report.build_view(audit(GOOD)).gate.verdict == "pass"
    incomplete = audit(GOOD)
    incomplete.graph.estate.gaps.append({"path": "x.json", "problem": "cut short"})
    view = report.build_view(incomplete)
    assert view.gate.verdict == "incomplete" and not view.coverage.complete


def test_the_view_carries_the_triage_accounts(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert cli.main(["baseline", "--snapshot", str(GOOD), "--output", str(baseline)]) == 0
    gc.enable()  # the CLI turns the cyclic collector off for its one short process
    view = report.build_view(audit(baseline=baseline, suppressions=SUPPRESSIONS))
    assert view.gate.words == " new, unsuppressed"
    assert view.baseline is not None and view.suppressions is not None
    assert view.baseline.new == len(view.new_findings) == view.summary.new == 4
    assert view.suppressions.suppressed == view.summary.suppressed == 2
    assert view.gate.failing == 2  # the two that are new and not suppressed
    states = {
        s.resource_id.rsplit("/", 1)[-1]: s.state
        for row in view.rule_rows
        if row.rule_id in ("MLA-ACR-004", "MLA-AML-001")
        for s in view.subjects(row)
    }
    assert states == {"crmlops00000": "suppressed", "mlw-mlops00000": "fail"}


def test_renderers_take_the_view_and_never_the_run() -> None:
    """Every format's render function is annotated to take a ReportView, and no renderer
    reaches for the run's result, graph estate or the old recomputing helpers."""
    for fmt in report.REGISTRY:
        path = ROOT / "auditor" / "report" / f"{fmt.module}.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        render = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "render")
        assert ast.unparse(render.args.args[0].annotation or ast.Constant("")) == "ReportView"
    for path in sorted((ROOT / "auditor" / "report").rglob("*.py")):
        if path.name in ("__init__.py", "view.py"):
            continue
        text = path.read_text(encoding="utf-8")
        for copy in (
            r"\brun\.\w",  # the run's result, graph or triage: the view has them
            r"\.estate\.\w",
            r"\bgate_words\b|\bverdict\(",
            r"counts_by_|\.failing\(|fails_at",
            r"\bo\.status\b",
            r"placeholders\(|type_counts\(",
        ):
            assert not re.search(copy, text), f"{path.relative_to(ROOT)} recomputes: {copy}"


def test_every_format_renders_from_one_view(monkeypatch: pytest.MonkeyPatch) -> None:
    run = audit(baseline=None, suppressions=SUPPRESSIONS)
    view = report.build_view(run)
    monkeypatch.setattr(report, "build_view", _refuse)  # rendering must not build another
    pages = {f.name: report.render(f.name, view) for f in report.REGISTRY}
    assert set(pages) == set(report.format_names())
    doc = json.loads(pages["json"])
    sarif = json.loads(pages["sarif"])
    assert doc["summary"] == view.summary.as_dict() == sarif["runs"][0]["properties"]["summary"]
    assert pages["markdown"].startswith("## ❌ mlops-audit: FAIL")
    assert '<div class="verdict v-fail">FAIL</div>' in pages["html"]
    assert "FAIL: 2 unsuppressed finding(s) at or above high." in pages["table"]
    assert pages["csv"].count("\r\n") == 1 + view.summary.findings
    assert 'failures="2"' in pages["junit"] and 'skipped="2"' in pages["junit"]


def _refuse(run: Any) -> ReportView:
    raise AssertionError("a second view was built")


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[report.Run]:
    """The runs views are built of, from here on."""
    runs: list[report.Run] = []
    real = report.build_view

    def counting(run: report.Run) -> ReportView:
        runs.append(run)
        return real(run)

    monkeypatch.setattr(report, "build_view", counting)
    return runs


def test_a_view_renders_as_itself_and_a_run_through_a_fresh_view(
    built: list[report.Run],
) -> None:
    run = audit(GOOD)
    view = report.build_view(run)
    for fmt in report.format_names():
        report.render(fmt, view)
    assert report.view_of(view) is view and len(built) == 1
    run.graph.estate.gaps.append({"path": "late.json", "problem": "added after"})
    assert report.view_of(run).gate.verdict == "incomplete" and len(built) == 2


def test_the_cli_builds_one_view_for_every_output(tmp_path: Path, built: list[report.Run]) -> None:
    outputs = [a for f in report.REGISTRY for a in ("--output", f"{f.name}:{tmp_path / f.name}")]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = cli.main(["scan", "--snapshot", str(TERRAFORM), "--format", "table", *outputs])
    finally:
        gc.enable()
    assert code == 1
    assert len(built) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(report.format_names())
    assert (tmp_path / "table").read_text(encoding="utf-8") == out.getvalue()


# -- the registry is the CLI's format list ---------------------------------------------------
def _help(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        cli.build_parser().parse_args([*args, "--help"])
    return " ".join(out.getvalue().split())  # argparse wraps lines: compare as one line


def test_help_lists_exactly_the_registry_s_formats() -> None:
    text = _help("scan")
    start = text.index("--format FORMAT report format")
    listed = text[start : text.index("--output [FORMAT:]PATH", start)]
    assert re.findall(r"(?:: |; )([a-z]+) \(", listed) == report.format_names()
    for f in report.REGISTRY:
        assert f"{f.name} ({f.description})" in listed
    start = text.index("--output [FORMAT:]PATH write")
    examples = text[start : text.index("--fail-on", start)]
    named = re.findall(r"\b([a-z]+):[\w.]+", examples)
    assert named == [f.name for f in report.REGISTRY if f.example]
    assert ", ".join(report.format_names()) == cli.FORMAT_LIST


@pytest.mark.parametrize("value", ["md", "XML", "Text", "HTML"])
def test_aliases_and_case_name_a_registry_format(value: str) -> None:
    fmt = report.find_format(value)
    assert fmt is not None and cli._format_name(value) == fmt.name
    assert report.find_format("pdf") is None


def test_a_json_scan_loads_no_other_renderer(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code = (
        "import sys\nfrom auditor.cli import main\n"
        f"main(['scan', '--snapshot', {str(GOOD)!r}, '--output', 'json:' + {str(out)!r}, "
        "'--quiet'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('auditor.report')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1].replace("'", '"')))
    assert loaded == {
        "auditor.report",
        "auditor.report.json_report",
        "auditor.report.safe",
        "auditor.report.view",
    }
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["findings"] == 0


def test_the_registry_loads_without_the_pipeline() -> None:
    """``--help`` and ``rules list`` build the parser, which asks the registry: that must
    not import the pipeline core, the graph or a renderer."""
    code = (
        "import sys\nimport auditor.cli\n"
        "print(sorted(m for m in sys.modules if m.startswith(('auditor.', 'networkx', 'rich'))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = proc.stdout.strip().splitlines()[-1]
    for heavy in ("auditor.core", "auditor.graph", "networkx", "rich", "html_report"):
        assert heavy not in loaded


# -- one module makes text safe --------------------------------------------------------------
def test_no_report_module_sanitises_text_on_its_own() -> None:
    """Character classes, escapes and formula guards live in ``safe`` only."""
    signs = ("\\ud800", "\\x00", "html.escape", "markup.escape", "_FORMULA", 'replace("[",')
    for path in sorted((ROOT / "auditor" / "report").rglob("*.py")):
        if path.name == "safe.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert not [s for s in signs if s in text], path.relative_to(ROOT)


def test_terminal_text_is_literal_and_encodable() -> None:
    assert safe.terminal("a\ud800b") == "a\ufffdb"
    out = io.StringIO()
    safe.console(out, width=80, no_color=True).print("[bold]x[/bold] \\[y] :smile:")
    assert out.getvalue() == "[bold]x[/bold] \\[y] :smile:\n"
    assert safe.utf8("ok\udfff") == "ok\ufffd"
    assert safe.css_name('high" onmouseover="x') == "high--onmouseover--x"
    assert safe.sarif_message("see [x](1) \\") == "see \\[x\\](1) \\\\"


def test_rules_list_shows_markup_in_rule_files_as_text(tmp_path: Path) -> None:
    rule = (ROOT / "rules" / "MLA-ACR-001.yaml").read_text(encoding="utf-8")
    extra = tmp_path / "rules"
    extra.mkdir()
    rule = rule.replace("id: MLA-ACR-001", "id: ORG-XTR-001")
    rule = re.sub(r"(?m)^title: .*$", "title: Registry [bold]open[/bold] to all", rule)
    (extra / "ORG-XTR-001.yaml").write_text(rule, encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["rules", "list", "--rules", str(extra)]) == 0
    assert "[bold]open[/bold]" in " ".join(out.getvalue().split())


def test_the_json_report_shares_findings_and_to_dict_copies_them() -> None:
    # render reads the findings' evidence in place; to_dict hands out copies of its own
    from auditor.report import json_report

    view = report.build_view(audit(baseline=None, suppressions=SUPPRESSIONS))
    doc = json_report.to_dict(view)
    text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    assert json_report.render(view) == text
    first, finding = doc["findings"][0], view.findings[0]
    assert first["evidence"] == finding.evidence and first["evidence"] is not finding.evidence
    first["evidence"].append({"changed": True})
    assert {"changed": True} not in finding.evidence and json_report.render(view) == text


def test_inventory_subscriptions_read_each_key_as_arm_segment_does() -> None:
    """The inventory reads a key's subscription off its start when it opens with one; every
    key gives what ``arm.segment`` gives, odd ones included."""
    from auditor import arm
    from auditor.estate import Estate

    keys = [
        "/subscriptions/s1/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v",
        "/subscriptions/s2",
        "/subscriptions/s2/",
        "/subscriptions/",
        "/subscriptions//x",
        "/subscriptions",
        "/subscriptions/subscriptions/y",
        "/Subscriptions/Upper/x",
        "x/subscriptions/inner/y",
        "/providers/microsoft.management/managementgroups/mg/subscriptions/s3",
        "no-subscription-here",
    ]
    estate = Estate()
    for k in keys:
        estate.rows[k] = {}
    expected = sorted(s for s in {arm.segment(k, "subscriptions") for k in keys} if s)
    assert estate.subscriptions() == expected
    assert expected == ["Upper", "inner", "s1", "s2", "s3", "subscriptions"]
