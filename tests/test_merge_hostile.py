"""``mlops-audit merge`` and ``partition`` against hostile input.

An edited, doubled or inconsistent partition report must be refused (exit 2, one line naming
the file) or keep the merged run failing or incomplete: never turn into a pass.
"""

# ruff: noqa: F811  (the fixtures imported from test_merge are parameters here)
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .test_merge import doc, estate, run, split, write  # noqa: F401  (fixtures)


def _merge(
    paths: list[Path | str], capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    return run(["merge", *map(str, paths), "--format", "json", *extra], capsys)


def _refused(code: int, err: str, named: Path) -> None:
    assert code == 2, err
    assert str(named) in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("mark", [("suppression", {"entry": "x"}), ("baseline", "unchanged")])
def test_a_finding_marked_triaged_in_an_untriaged_report_is_refused(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], mark: tuple[str, Any]
) -> None:
    """A suppressed or baselined finding does not count: marking every finding so in an
    untriaged report would pass the merged gate."""
    a = doc(split["reports"][0])
    assert a["findings"]
    for f in a["findings"]:
        f[mark[0]] = mark[1]
    path = write(tmp_path / "a.json", a)
    code, _, err = _merge([path, split["reports"][1]], capsys, "--fail-on", "low")
    _refused(code, err, path)


def test_rule_counts_at_odds_with_the_findings_are_refused(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = doc(split["reports"][0])
    row = next(r for r in a["rules"] if r["failed"])
    row["failed"] -= 1
    path = write(tmp_path / "a.json", a)
    _refused(*_merge([path, split["reports"][1]], capsys)[::2], path)


def test_dropped_unevaluated_checks_are_refused(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rule's count says a check was not evaluated but the checks list holds none: the
    merged coverage would read complete while the rule reads incomplete."""
    a = doc(split["reports"][0])
    row = next(r for r in a["rules"] if r["passed"] and not r["not_evaluated"])
    row["passed"] -= 1
    row["not_evaluated"] += 1
    path = write(tmp_path / "a.json", a)
    _refused(*_merge([path, split["reports"][1]], capsys)[::2], path)


def test_an_unevaluated_check_of_no_rule_is_refused(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = doc(split["reports"][0])
    a["not_evaluated"].append(
        {"rule_id": "NOPE", "resource_id": "/x", "related_id": None, "reasons": ["r"]}
    )
    path = write(tmp_path / "a.json", a)
    _refused(*_merge([path, split["reports"][1]], capsys)[::2], path)


@pytest.mark.parametrize("version", [True, 1.0])
def test_report_version_must_be_the_integer_1(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], version: Any
) -> None:
    a = doc(split["reports"][0])
    a["report_version"] = version
    path = write(tmp_path / "a.json", a)
    _refused(*_merge([path, split["reports"][1]], capsys)[::2], path)


def _edit_gap_path(d: dict[str, Any]) -> None:
    d["coverage"]["gaps"] = [{"problem": "x"}]


def _edit_gap_key(d: dict[str, Any]) -> None:
    d["coverage"]["gaps"] = [{"path": "p", "note": "x"}]


def _edit_note_key(d: dict[str, Any]) -> None:
    d["coverage"]["notes"] = [{"path": "p", "problem": "x"}]


def _edit_snapshot_meta(d: dict[str, Any]) -> None:
    del d["inputs"][0]["snapshot"]


def _edit_snapshot_str(d: dict[str, Any]) -> None:
    d["inputs"][0]["snapshot"] = "x"


def _edit_cloud(d: dict[str, Any]) -> None:
    d["inputs"][0]["snapshot"]["cloud"] = 5


def _edit_collections(d: dict[str, Any]) -> None:
    d["inputs"][0]["collections"] = 5


def _edit_time(d: dict[str, Any]) -> None:
    d["generated_at"] = "9999-99-99T99:99:99Z"


def _edit_count(d: dict[str, Any]) -> None:
    d["inventory"]["by_type"]["x"] = -5


@pytest.mark.parametrize(
    "edit",
    [
        _edit_gap_path,
        _edit_gap_key,
        _edit_note_key,
        _edit_snapshot_meta,
        _edit_snapshot_str,
        _edit_cloud,
        _edit_collections,
        _edit_time,
        _edit_count,
    ],
)
def test_misshapen_parts_the_renderers_read_are_refused_not_a_crash(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any
) -> None:
    """Each of these once reached a renderer (exit 4, KeyError) or the merged report as is."""
    a = doc(split["reports"][0])
    edit(a)
    path = write(tmp_path / "a.json", a)
    outputs = [
        arg
        for fmt in ("json", "sarif", "markdown", "csv")
        for arg in ("--output", f"{fmt}:{tmp_path / ('out.' + fmt)}")
    ]
    argv = ["merge", str(path), str(split["reports"][1]), "--format", "table", "--allow-partial"]
    code, _, err = run([*argv, *outputs], capsys)
    _refused(code, err, path)


def test_the_same_report_twice_is_refused(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """By path or as a byte-for-byte copy: its findings would merge once, its counts twice."""
    a = split["reports"][0]
    copy = tmp_path / "copy.json"
    copy.write_bytes(a.read_bytes())
    for second in (a, copy):
        _refused(*_merge([a, split["reports"][1], second], capsys)[::2], second)


def test_a_copy_with_one_finding_edited_is_refused_or_an_overlap(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Marked as the same part: refused. Unmarked (a hand-made split): an overlap gap."""
    a = doc(split["reports"][0])
    a["findings"][0]["message"] = "nothing to see"
    path = write(tmp_path / "a.json", a)
    _refused(*_merge([split["reports"][0], path], capsys)[::2], path)
    del a["inputs"][0]["snapshot"]["partition"]
    code, out, _ = _merge([split["reports"][0], write(path, a)], capsys)
    merged = json.loads(out)
    assert code == 3 and merged["summary"]["complete"] is False
    problems = [g["problem"] for g in merged["coverage"]["gaps"]]
    assert any("overlap" in p for p in problems) and any("differs" in p for p in problems)


def test_a_part_missing_is_a_gap_not_a_pass(
    split: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """Two parts, one merged: the other's rows would pass unscanned."""
    code, out, _ = _merge([split["reports"][1]], capsys, "--fail-on", "none")
    merged = json.loads(out)
    assert code == 3 and merged["summary"]["complete"] is False
    assert any("1 of the 2 parts of partition" in g["problem"] for g in merged["coverage"]["gaps"])


@pytest.mark.parametrize(
    "mark", ["x", {"of": "a", "part": 2, "parts": 2}, {"of": "a", "part": True, "parts": 2}]
)
def test_a_malformed_part_mark_is_refused(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], mark: Any
) -> None:
    a = doc(split["reports"][0])
    a["inputs"][0]["snapshot"]["partition"] = mark
    path = write(tmp_path / "a.json", a)
    _refused(*_merge([path, split["reports"][1]], capsys)[::2], path)


def test_parts_of_a_split_disagreeing_on_its_size_are_refused(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    b = doc(split["reports"][1])
    b["inputs"][0]["snapshot"]["partition"]["parts"] = 3
    path = write(tmp_path / "b.json", b)
    _refused(*_merge([split["reports"][0], path], capsys)[::2], path)


def test_partitions_sharing_a_judged_resource_are_a_gap(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A resource in two partitions (the shared hub of a cut component), judged alike by
    both: each saw only part of its component, so alike is not enough."""
    a, b = doc(split["reports"][0]), doc(split["reports"][1])
    shared = a["findings"][0]
    b["findings"].append(shared)
    next(r for r in b["rules"] if r["rule_id"] == shared["rule_id"])["failed"] += 1
    code, out, _ = _merge([split["reports"][0], write(tmp_path / "b.json", b)], capsys)
    merged = json.loads(out)
    assert code == 3 and merged["summary"]["complete"] is False
    assert [g for g in merged["coverage"]["gaps"] if shared["resource_id"] in g["problem"]]


# -- partition must not cut what a rule joins by address or by a name in properties --------
TOPOLOGIES = Path(__file__).resolve().parent.parent / "fixtures" / "topologies"
HEADER = {
    "format": "mlops-audit-snapshot",
    "version": 1,
    "tool_version": "test",
    "collected_at": "2026-01-01T00:00:00Z",
    "scopes": [],
    "collections": ["resources", "dnsresources", "computes", "privatednszonegroups"],
    "failures": [],
}


@pytest.mark.parametrize(
    "topology",
    [
        "dns-firewall-proxy",  # a VNet's DNS server is a firewall's IP (no edge)
        "serve-managed-vnet",  # an outbound rule names its private endpoint's target by id
        "peer-gateway-missing",  # gateway rows in another part read as "not collected"
        "dns-private-resolver",
        "peer-hub-spoke-clean",
        "serve-hub-project",
    ],
)
def test_partition_cuts_no_component_a_rule_reads(
    topology: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Split into as many parts as it will go, each scanned alone, merged: the one scan."""
    rows = json.loads((TOPOLOGIES / topology / "estate.json").read_text(encoding="utf-8"))
    snap = write(tmp_path / "snap.json", dict(HEADER, rows=rows))
    code, _, err = run(
        ["partition", str(snap), "--parts", "64", "--out-dir", str(tmp_path)], capsys
    )
    assert code == 0, err
    gate = ["--fail-on", "none", "--allow-partial", "--format", "json"]
    reports = []
    for i, part in enumerate(sorted(tmp_path.glob("part-*.json"))):
        out = tmp_path / f"r{i}.json"
        assert run(["scan", "--snapshot", str(part), *gate, "--output", str(out)], capsys)[0] == 0
        reports.append(str(out))
    whole = json.loads(run(["scan", "--snapshot", str(snap), *gate], capsys)[1])
    code, out, err = run(["merge", *reports, *gate], capsys)
    assert code == 0, err
    merged = json.loads(out)
    for key in ("findings", "not_evaluated", "rules", "summary", "coverage", "inventory"):
        assert merged[key] == whole[key], key


def test_partition_refuses_to_leave_stale_parts_beside_its_own(
    split: dict[str, Any], estate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second, smaller partition into the same folder would leave part files of the
    first that 'scan DIR/part-*.json' then reads twice."""
    argv = ["partition", str(estate), "--out-dir", str(tmp_path), "--parts"]
    assert run([*argv, "3"], capsys)[0] == 0
    stale = tmp_path / "part-002.json"
    before = stale.read_bytes()
    code, _, err = run([*argv, "2"], capsys)
    assert code == 2 and str(stale) in err and stale.read_bytes() == before
    assert run([*argv, "3"], capsys)[0] == 0  # the same split again overwrites its own


def test_an_empty_report_path_is_named_not_read_as_the_current_folder(
    split: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _merge(["", split["reports"][1]], capsys)
    assert code == 2 and "empty" in err and "directory" not in err


def test_a_snapshot_of_no_rows_is_one_part_that_keeps_its_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Everything denied: no rows, one failure. No part at all would leave nothing to scan,
    and a pipeline scanning DIR/part-*.json would pass."""
    failure = {"scope": "subscription x", "what": "read", "error": "denied"}
    snap = write(tmp_path / "snap.json", dict(HEADER, rows=[], failures=[failure]))
    out = tmp_path / "parts"
    code, _, err = run(["partition", str(snap), "--parts", "3", "--out-dir", str(out)], capsys)
    assert code == 0, err
    parts = sorted(out.glob("part-*.json"))
    assert len(parts) == 1 and doc(parts[0])["failures"] == [failure]
    report = tmp_path / "r.json"
    scan = ["scan", "--snapshot", str(parts[0]), "--fail-on", "none", "--allow-partial"]
    assert run([*scan, "--output", f"json:{report}"], capsys)[0] == 0
    assert run(["merge", str(report), "--fail-on", "none"], capsys)[0] == 3


def test_a_huge_parts_count_costs_no_more_than_the_components(
    estate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--parts 10**12 once built a list of that many bins (memory error or a long hang)."""
    from auditor import partition

    assert partition.pack([["a"], ["b"]], {}, 10**12) == [["a"], ["b"]]
    argv = ["partition", str(estate), "--parts", str(10**12), "--out-dir", str(tmp_path)]
    assert run(argv, capsys)[0] == 0


EVIL = (
    "\x1b[2J\x1b]8;;http://evil\x07click\x1b]8;;\x07 [bold red]RICH[/] <script>x</script> "
    "| `md` **b** \r\n=HYPERLINK(1)\u202e"
)


def test_hostile_strings_stay_data_in_every_format_merge_writes(
    split: dict[str, Any], tmp_path: Path
) -> None:
    """Terminal controls, Rich markup, HTML and Markdown in a partition's finding, note and
    input path: inert in each format, the table on a terminal included."""
    import io

    from auditor import merge, report
    from auditor.report import safe
    from auditor.rules import load_rules

    a = doc(split["reports"][0])
    for key in ("message", "title", "resource_name", "remediation"):
        a["findings"][0][key] = EVIL
    a["coverage"]["notes"] = [{"path": EVIL, "note": EVIL}]
    a["inputs"][0]["path"] = EVIL
    path = write(tmp_path / "a.json", a)
    view = merge.merge_files([str(path), str(split["reports"][1])], load_rules([]))
    for fmt in ("markdown", "csv", "table", "sarif", "json"):
        text = report.render(fmt, view)
        assert "\x1b" not in text and "\x07" not in text, fmt
    md = report.render("markdown", view)
    assert "&lt;script&gt;" in md  # escaped in table cells (code spans hold it inert)
    buf = io.StringIO()
    console = safe.console(buf, force_terminal=True, width=200)
    report.render_terminal(view, console)
    shown = buf.getvalue()
    for control in ("\x1b[2J", "\x1b]8", "\x07", "\u202e"):
        assert control not in shown
    assert "[bold red]RICH[/]" in shown  # markup printed as text, not applied


def test_an_ndjson_report_given_to_merge_is_named_for_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """merge (and --baseline, diff) read the JSON report; the NDJSON one is refused saying so,
    not as 'invalid JSON … Extra data'."""
    from .conftest import FIXTURES

    for sample, exit_code in (("reference-terraform", 1), ("reference-good", 0)):
        lines = tmp_path / f"{sample}.ndjson"  # findings: many lines; none: the run line alone
        argv = ["scan", "--snapshot", str(FIXTURES / f"{sample}.json")]
        code, _, err = run([*argv, "--output", f"ndjson:{lines}", "--quiet"], capsys)
        assert code == exit_code, err
        baseline = ["scan", "--snapshot", str(FIXTURES / "reference-good.json"), "--baseline"]
        for command in (["merge"], baseline):
            code, _, err = run([*command, str(lines), "--format", "json"], capsys)
            _refused(code, err, lines)
            assert "is an NDJSON report" in err and "--output json:FILE" in err, err
