"""Suppressions, baselines, report diffs and the --output plumbing, through the real CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from auditor.findings import fingerprint

from .conftest import FIXTURES, ROOT
from .update_golden import console_script, run_cli

TERRAFORM = str(FIXTURES / "reference-terraform.json")
GOOD = str(FIXTURES / "reference-good.json")
TERRAFORM_RULES = {"MLA-ACR-004", "MLA-AML-001", "MLA-AML-003", "MLA-DNS-001"}


def scan(*args: str, code: int | None = None) -> tuple[dict[str, Any], str]:
    """(JSON report, stderr) of a scan."""
    proc = run_cli("scan", *args, "--format", "json")
    if code is not None:
        assert proc.returncode == code, (proc.returncode, proc.stderr)
    return json.loads(proc.stdout), proc.stderr


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def by_rule(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["rule_id"]: f for f in report["findings"]}


# -- suppressions ---------------------------------------------------------------------------
def test_an_active_suppression_marks_the_finding_and_takes_it_out_of_the_gate(
    tmp_path: Path,
) -> None:
    sup = write(
        tmp_path / "s.yaml",
        "suppressions:\n"
        "  - rule: MLA-ACR-004\n"
        "    justification: the legacy build needs the admin user until March\n"
        "    expires: 2999-12-31\n"
        "    owner: platform-team\n",
    )
    report, stderr = scan("--snapshot", TERRAFORM, "--suppressions", sup, "--select", "MLA-ACR")
    assert stderr == ""
    acr = by_rule(report)["MLA-ACR-004"]  # still reported, marked
    assert acr["suppression"] == {
        "entry": f"{sup}#1",
        "justification": "the legacy build needs the admin user until March",
        "expires": "2999-12-31",
        "owner": "platform-team",
    }
    assert report["summary"]["suppressed"] == 1
    assert report["summary"]["counted"] == 0
    assert report["summary"]["failed"] is False
    assert report["suppressions"]["expired"] == report["suppressions"]["stale"] == []
    # without the file the same scan fails the gate
    _, _ = scan("--snapshot", TERRAFORM, "--select", "MLA-ACR", code=1)
    scan("--snapshot", TERRAFORM, "--suppressions", sup, "--select", "MLA-ACR", code=0)


def test_an_expired_suppression_no_longer_suppresses_and_is_reported(tmp_path: Path) -> None:
    sup = write(
        tmp_path / "s.yaml",
        "suppressions:\n"
        "  - rule: MLA-ACR-004\n"
        "    justification: accepted for the 2025 audit\n"
        "    expires: 2000-01-31\n",
    )
    report, stderr = scan(
        "--snapshot", TERRAFORM, "--suppressions", sup, "--select", "MLA-ACR", code=1
    )
    assert by_rule(report)["MLA-ACR-004"]["suppression"] is None
    expired = report["suppressions"]["expired"]
    assert [(e["entry"], e["expires"], e["matches"]) for e in expired] == [
        (f"{sup}#1", "2000-01-31", 1)
    ]
    assert report["suppressions"]["stale"] == []
    assert f"suppression {sup}#1 expired on 2000-01-31" in stderr


def test_an_entry_that_matches_nothing_is_stale(tmp_path: Path) -> None:
    sup = write(
        tmp_path / "s.yaml",
        "suppressions:\n"
        "  - rule: MLA-KV-*\n"
        "    justification: key vault exception\n"
        "  - resource: '*/registries/crmlops00000'\n"
        "    justification: the registry\n",
    )
    report, stderr = scan("--snapshot", TERRAFORM, "--suppressions", sup)
    assert [e["entry"] for e in report["suppressions"]["stale"]] == [f"{sup}#1"]
    assert by_rule(report)["MLA-ACR-004"]["suppression"]["entry"] == f"{sup}#2"
    assert f"suppression {sup}#1 matches no finding (stale)" in stderr
    assert f"{sup}#2" not in stderr


def test_selectors_glob_case_insensitively_and_match_tags_and_related_items(
    tmp_path: Path,
) -> None:
    cases = {
        # resource glob in other letter case than the id
        "resource: '/SUBSCRIPTIONS/*/PROVIDERS/MICROSOFT.CONTAINERREGISTRY/REGISTRIES/CR*'": {
            "MLA-ACR-004"
        },
        "tag: workload=mlops\n    rule: MLA-ACR-*": {"MLA-ACR-004"},
        "tag: WORKLOAD": {"MLA-ACR-004", "MLA-AML-001"},  # tag names are case-insensitive
        "tag: workload=other": set(),  # values must match
        "related: '*/virtualnetworks/vnet-bastion'": {"MLA-DNS-001"},
        "related: '*/virtualnetworks/vnet-aml'": set(),
    }
    for selector, expected in cases.items():
        sup = write(
            tmp_path / "s.yaml",
            f"suppressions:\n  - {selector}\n    justification: test\n",
        )
        report, _ = scan("--snapshot", TERRAFORM, "--suppressions", sup)
        suppressed = {f["rule_id"] for f in report["findings"] if f["suppression"]}
        if selector.startswith("tag: WORKLOAD"):
            # the tag is on every resource of the estate that has findings of these rules
            assert expected <= suppressed, (selector, suppressed)
        else:
            assert suppressed == expected, (selector, suppressed)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("suppressions:\n  - rule: MLA-ACR-004\n", "entry 1.justification: Field required"),
        ("suppressions:\n  - justification: why\n", "entry 1: Value error, needs at least one"),
        (
            "suppressions:\n  - rule: X\n    justification: why\n    expires: someday\n",
            "entry 1.expires",
        ),
        ("suppressions:\n  - rule: X\n    justification: why\n    reason: y\n", "entry 1.reason"),
        ("suppressions:\n  - rule: X\n    justification: '  '\n", "justification must not be"),
        ("", "file is empty, expected suppression file"),
        ("# nothing\n", "no entries"),
        ("suppressions: [\n", "invalid YAML"),
        ("- rule: X\n", "file: must be a mapping of fields"),
        ("suppressions:\n  - just a string\n", "entry 1: must be a mapping of fields"),
        (
            "suppressions:\n  - rule: X\n    justification: why\n    expires: 2027-02-30\n",
            "invalid YAML value: day is out of range for month",
        ),
        ("suppressions: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ("suppressions:\n  - rule: ' '\n    justification: why\n", "rule must not be blank"),
        ("suppressions:\n  - tag: '='\n    justification: why\n", "tag needs a name"),
    ],
)
def test_a_bad_suppression_file_is_one_line_and_exit_2(
    tmp_path: Path, text: str, problem: str
) -> None:
    sup = write(tmp_path / "bad.yaml", text)
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--suppressions", sup)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith(f"mlops-audit: {sup}: "), proc.stderr
    assert problem in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_missing_suppression_file_is_one_line(tmp_path: Path) -> None:
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--suppressions", str(tmp_path / "no.yaml"))
    assert (proc.returncode, proc.stderr) == (2, f"mlops-audit: {tmp_path}/no.yaml: no such file\n")


# -- baselines ------------------------------------------------------------------------------
def make_baseline(tmp_path: Path, *args: str, name: str = "baseline.json") -> Path:
    out = tmp_path / name
    proc = run_cli("baseline", *args, "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def test_baseline_round_trip_reports_nothing_new_and_passes(tmp_path: Path) -> None:
    base = make_baseline(tmp_path, "--snapshot", TERRAFORM)
    doc = json.loads(base.read_text(encoding="utf-8"))
    assert doc["format"] == "mlops-audit-baseline" and doc["version"] == 1
    fps = [e["fingerprint"] for e in doc["findings"]]
    assert fps == sorted(fps) and len(fps) == 4
    assert {e["rule_id"] for e in doc["findings"]} == TERRAFORM_RULES
    # a baseline of the same estate: every finding unchanged, the gate passes
    report, _ = scan("--snapshot", TERRAFORM, "--baseline", str(base), code=0)
    assert {f["baseline"] for f in report["findings"]} == {"unchanged"}
    assert report["baseline"]["new"] == 0 and report["baseline"]["unchanged"] == 4
    assert report["baseline"]["fixed"] == report["baseline"]["unverified"] == []
    assert report["summary"]["new"] == 0 and report["summary"]["findings"] == 4
    # the baseline bytes are the same for the same estate (the run time is pinned here)
    again = make_baseline(tmp_path, "--snapshot", TERRAFORM, name="again.json")
    assert again.read_bytes() == base.read_bytes()


def test_only_new_findings_fail_the_gate(tmp_path: Path) -> None:
    base = make_baseline(tmp_path, "--snapshot", TERRAFORM, "--select", "MLA-AML")
    report, _ = scan("--snapshot", TERRAFORM, "--baseline", str(base), code=1)
    states = {f["rule_id"]: f["baseline"] for f in report["findings"]}
    assert states == {
        "MLA-ACR-004": "new",
        "MLA-AML-001": "unchanged",
        "MLA-AML-003": "unchanged",
        "MLA-DNS-001": "new",
    }
    assert report["summary"]["new"] == 2 and report["summary"]["counted"] == 2


def test_a_scan_json_report_serves_as_a_baseline(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    assert run_cli("scan", "--snapshot", TERRAFORM, "--output", f"json:{old}").returncode == 1
    scan("--snapshot", TERRAFORM, "--baseline", str(old), code=0)


def test_gone_findings_are_fixed_only_where_the_scan_could_see_them(tmp_path: Path) -> None:
    base = make_baseline(tmp_path, "--snapshot", TERRAFORM)
    # the good estate has the same resources, without the faults
    report, _ = scan("--snapshot", GOOD, "--baseline", str(base), "--fail-on", "none")
    assert {e["rule_id"] for e in report["baseline"]["fixed"]} == TERRAFORM_RULES
    # a scan that does not run the AML rules cannot call their findings fixed
    report, _ = scan("--snapshot", GOOD, "--baseline", str(base), "--select", "MLA-DNS,MLA-ACR")
    assert {e["rule_id"] for e in report["baseline"]["fixed"]} == {"MLA-ACR-004", "MLA-DNS-001"}
    unverified = {e["rule_id"]: e["reason"] for e in report["baseline"]["unverified"]}
    assert unverified == {
        "MLA-AML-001": "rule MLA-AML-001 was not run",
        "MLA-AML-003": "rule MLA-AML-003 was not run",
    }


def test_an_incomplete_scan_does_not_call_an_unseen_resource_fixed(tmp_path: Path) -> None:
    gone = (
        "/subscriptions/C85D5AE6-AC71-5BEB-A6F4-AB7E1481E0E8/resourceGroups/rg-old/providers/"
        "Microsoft.ContainerRegistry/registries/crold"
    )
    entry = {"fingerprint": "f" * 32, "rule_id": "MLA-ACR-004", "resource_id": gone}
    base = {"format": "mlops-audit-baseline", "version": 1, "findings": [entry]}
    entry["severity"] = "high"
    base_file = write(tmp_path / "b.json", json.dumps(base))
    rows = json.loads(Path(TERRAFORM).read_text(encoding="utf-8"))
    partial = {"count": len(rows), "data": rows, "skip_token": "ew0K", "total_records": 999}
    partial_file = write(tmp_path / "partial.json", json.dumps(partial))
    # a scan that saw part of the estate cannot say the registry's finding is gone
    report, _ = scan(
        "--snapshot",
        partial_file,
        "--baseline",
        base_file,
        "--select",
        "MLA-ACR",
        "--allow-partial",
    )
    assert report["baseline"]["fixed"] == []
    assert [(e["fingerprint"], e["reason"]) for e in report["baseline"]["unverified"]] == [
        ("f" * 32, "the scan's inputs are incomplete and the resource was not seen")
    ]
    # a complete scan of the registry's subscription without it: deleted, or left out of a
    # narrower export? The rule did not judge it again, so it is not called fixed
    not_judged = "the resource is not in this scan's estate, so its rule did not judge it"
    report, _ = scan("--snapshot", TERRAFORM, "--baseline", base_file, "--select", "MLA-ACR")
    assert report["baseline"]["fixed"] == []
    assert [e["reason"] for e in report["baseline"]["unverified"]] == [not_judged]
    # nor is one in a subscription the scan did not read
    entry["resource_id"] = gone.replace("C85D5AE6", "00000000")
    other = write(tmp_path / "other.json", json.dumps(base))
    report, _ = scan("--snapshot", TERRAFORM, "--baseline", other, "--select", "MLA-ACR")
    assert report["baseline"]["fixed"] == []
    assert [e["reason"] for e in report["baseline"]["unverified"]] == [not_judged]
    # a finding whose rule judged its resource again and found nothing is fixed
    registry_id = next(r["id"] for r in rows if "/registries/" in r["id"].lower())
    judged = {**entry, "fingerprint": fingerprint("MLA-ACR-001", registry_id, None)}
    judged.update(rule_id="MLA-ACR-001", resource_id=registry_id)
    again = write(tmp_path / "again.json", json.dumps({**base, "findings": [judged]}))
    report, _ = scan("--snapshot", TERRAFORM, "--baseline", again, "--select", "MLA-ACR")
    assert [e["fingerprint"] for e in report["baseline"]["fixed"]] == [judged["fingerprint"]]
    entry["resource_id"] = gone
    # a resource the scan references but could not judge is not fixed either
    registry = next(r for r in rows if "/registries/" in r["id"].lower())
    base["findings"][0]["resource_id"] = registry["id"].upper()
    base_file = write(tmp_path / "b.json", json.dumps(base))
    without = write(tmp_path / "without.json", json.dumps([r for r in rows if r is not registry]))
    report, _ = scan("--snapshot", without, "--baseline", base_file, "--select", "MLA-ACR")
    assert [e["reason"] for e in report["baseline"]["unverified"]] == [
        "rule MLA-ACR-004 could not judge the resource"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "truncated JSON at line 1"),
        ('{"findings": []}', "not a mlops-audit baseline"),
        ('{"format": "mlops-audit-baseline", "version": 7, "findings": []}', "version 7"),
        ('{"format": "mlops-audit-baseline", "version": 1}', "has no 'findings' list"),
        (
            '{"format": "mlops-audit-baseline", "version": 1, "findings": [{"rule_id": "X"}]}',
            "finding 1.fingerprint: Field required",
        ),
    ],
)
def test_a_bad_baseline_is_one_line_and_exit_2(tmp_path: Path, text: str, problem: str) -> None:
    bad = write(tmp_path / "b.json", text)
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--baseline", bad)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(f"mlops-audit: {bad}: ")
    assert problem in proc.stderr


# -- diff -----------------------------------------------------------------------------------
def test_diff_lists_new_fixed_and_unchanged(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    run_cli("scan", "--snapshot", TERRAFORM, "--select", "MLA-AML", "--output", f"json:{old}")
    run_cli("scan", "--snapshot", TERRAFORM, "--skip", "MLA-AML-003", "--output", f"json:{new}")
    proc = run_cli("diff", str(old), str(new), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    diff = json.loads(proc.stdout)
    rules = {k: sorted(f["rule_id"] for f in diff[k]) for k in diff if k.endswith("_findings")}
    assert rules == {
        "new_findings": ["MLA-ACR-004", "MLA-DNS-001"],
        "fixed_findings": [],
        # the newer scan skipped MLA-AML-003: not called fixed
        "unverified_findings": ["MLA-AML-003"],
        "unchanged_findings": ["MLA-AML-001"],
    }
    assert diff["summary"] == {
        "new": 2,
        "fixed": 0,
        "unverified": 1,
        "unchanged": 1,
        "new_suppressed": 0,
        "new_report_gaps": 0,
        "new_report_complete": True,
    }
    # the gate on the diff: new findings at or above high
    assert run_cli("diff", str(old), str(new), "--fail-on", "high").returncode == 1
    assert run_cli("diff", str(new), str(new), "--fail-on", "low").returncode == 0
    md = run_cli("diff", str(old), str(new), "--format", "markdown").stdout
    assert "| 2 | 0 | 1 | 1 |" in md
    assert "### New (2)" in md and "MLA-DNS-001" in md
    table = run_cli("diff", str(old), str(new), "--format", "table").stdout
    assert "2 new, 0 fixed, 1 not re-checked, 1 unchanged" in table


def test_diff_of_a_fixed_estate(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    run_cli("scan", "--snapshot", TERRAFORM, "--output", f"json:{old}")
    run_cli("scan", "--snapshot", GOOD, "--output", f"json:{new}")
    diff = json.loads(run_cli("diff", str(old), str(new), "--format", "json").stdout)
    counts = {k: diff["summary"][k] for k in ("new", "fixed", "unverified", "unchanged")}
    assert counts == {"new": 0, "fixed": 4, "unverified": 0, "unchanged": 0}
    out = tmp_path / "d" / "diff.md"
    assert (
        run_cli("diff", str(old), str(new), "--format", "markdown", "--output", str(out)).returncode
        == 0
    )
    assert "### Fixed (4)" in out.read_text(encoding="utf-8")


def test_diff_of_a_file_that_is_not_a_report(tmp_path: Path) -> None:
    proc = run_cli("diff", TERRAFORM, TERRAFORM)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"mlops-audit: {TERRAFORM}: not a mlops-audit report")


# -- outputs --------------------------------------------------------------------------------
def test_one_run_writes_every_named_output(tmp_path: Path) -> None:
    json_out, table_out = tmp_path / "r" / "r.json", tmp_path / "r.txt"
    proc = run_cli(
        "scan",
        "--snapshot",
        TERRAFORM,
        "--output",
        f"json:{json_out}",
        "--output",
        f"table:{table_out}",
        "--fail-on",
        "none",
    )
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    report = json.loads(json_out.read_text(encoding="utf-8"))
    assert report["summary"]["findings"] == 4
    text = table_out.read_text(encoding="utf-8")
    assert "MLA-DNS-001" in text and "\x1b[" not in text  # plain text, no colour codes


def test_format_alone_goes_to_stdout_and_a_plain_output_takes_it(tmp_path: Path) -> None:
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--format", "table", "--fail-on", "none")
    assert "MLA-ACR-004" in proc.stdout and not proc.stdout.lstrip().startswith("{")
    plain = tmp_path / "plain.txt"
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--format", "table", "--output", str(plain))
    assert proc.stdout == "" and "MLA-ACR-004" in plain.read_text(encoding="utf-8")
    # a path whose head is not a format name is a plain path (c:\..., ./json:x)
    odd = tmp_path / "notaformat:r.json"
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--output", str(odd), "--fail-on", "none")
    assert proc.returncode == 0 and json.loads(odd.read_text(encoding="utf-8"))["findings"]


def test_two_plain_outputs_and_unknown_formats_are_usage_errors(tmp_path: Path) -> None:
    proc = run_cli(
        "scan", "--snapshot", TERRAFORM, "--output", str(tmp_path / "a"), "--output", "b"
    )
    assert proc.returncode == 2 and "only one plain --output FILE" in proc.stderr
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--format", "pdf")
    assert proc.returncode == 2 and "invalid format 'pdf'" in proc.stderr


def test_an_unwritable_output_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--output", f"json:{blocker}/r.json")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"mlops-audit: {blocker}/r.json: cannot write the report")


def test_reports_differ_only_in_the_run_time() -> None:
    """Without a pinned time, two runs give the same bytes but for the generated_at line."""
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    texts = []
    for _ in range(2):
        proc = subprocess.run(
            [console_script(), "scan", "--snapshot", TERRAFORM, "--format", "json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        stamp = json.loads(proc.stdout)["generated_at"]
        assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
        assert stamp != "2026-01-01T00:00:00Z"  # not the pinned time
        texts.append(proc.stdout.replace(stamp, "<time>"))
    assert texts[0] == texts[1]


def test_a_lone_surrogate_in_the_estate_does_not_cost_a_report(tmp_path: Path) -> None:
    """JSON may carry a lone surrogate; UTF-8 cannot: every report is still written."""
    rows = json.loads(Path(TERRAFORM).read_text(encoding="utf-8"))
    registry = next(r for r in rows if "/registries/" in r["id"].lower())
    registry["name"] = "cr\ud800odd"
    registry["id"] = registry["id"] + "\udfff"
    estate = tmp_path / "odd.json"
    estate.write_text(json.dumps(rows), encoding="ascii")  # json.dumps escapes them
    outs = {fmt: tmp_path / f"r.{fmt}" for fmt in ("json", "sarif", "csv", "table")}
    args = [a for fmt, p in outs.items() for a in ("--output", f"{fmt}:{p}")]
    # the renamed registry leaves its endpoint's target unseen: those checks are not
    # evaluated (exit 3 without --allow-partial), the reports are written all the same
    proc = run_cli("scan", "--snapshot", str(estate), *args, "--fail-on", "none")
    assert proc.returncode == 3, proc.stderr
    report = json.loads(outs["json"].read_text(encoding="utf-8"))
    acr = by_rule(report)["MLA-ACR-004"]
    assert acr["resource_name"] == "cr\ufffdodd" and acr["resource_id"].endswith("\ufffd")
    for path in outs.values():
        assert "cr\ufffdodd" in path.read_text(encoding="utf-8"), path


def a_report(tmp_path: Path, name: str, *args: str) -> Path:
    out = tmp_path / name
    proc = run_cli("scan", "--snapshot", TERRAFORM, *args, "--output", f"json:{out}")
    assert proc.returncode in (0, 1), proc.stderr
    return out


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda r: r.update(coverage=None), "coverage: must be a mapping of fields"),
        (lambda r: r.update(rules=["x"]), "rules.0: must be a mapping of fields"),
        (lambda r: r.update(not_evaluated=[7]), "not_evaluated.0: must be a mapping"),
        (lambda r: r["findings"][0].update(related_id=5), "finding 1.related_id"),
        (lambda r: r["findings"][0].update(severity="HIGH"), "finding 1.severity"),
        (lambda r: r["findings"][0].pop("severity"), "finding 1.severity: Field required"),
        (lambda r: r["findings"][0].update(message=7), "finding 1.message"),
    ],
)
def test_a_malformed_report_is_refused_by_diff_and_baseline(
    tmp_path: Path, edit: Any, problem: str
) -> None:
    good = a_report(tmp_path, "good.json")
    report = json.loads(good.read_text(encoding="utf-8"))
    edit(report)
    bad = write(tmp_path / "bad.json", json.dumps(report))
    for args in (("diff", str(good), bad), ("scan", "--snapshot", TERRAFORM, "--baseline", bad)):
        proc = run_cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.startswith(f"mlops-audit: {bad}: ") and problem in proc.stderr
        assert proc.stderr.count("\n") == 1


def test_diff_gates_on_unsuppressed_new_findings_and_says_when_new_is_incomplete(
    tmp_path: Path,
) -> None:
    empty = write(
        tmp_path / "empty.json",
        json.dumps({"format": "mlops-audit-baseline", "version": 1, "findings": []}),
    )
    sup = write(tmp_path / "s.yaml", "suppressions:\n  - rule: MLA-*\n    justification: all\n")
    suppressed = a_report(tmp_path, "sup.json", "--suppressions", sup)
    assert run_cli("diff", empty, str(suppressed), "--fail-on", "high").returncode == 0
    plain = a_report(tmp_path, "plain.json")
    assert run_cli("diff", empty, str(plain), "--fail-on", "high").returncode == 1
    # a newer report with a coverage gap: exit 3 and a warning, unless --allow-partial
    rows = json.loads(Path(TERRAFORM).read_text(encoding="utf-8"))
    page = {"count": len(rows), "data": rows, "skip_token": "ew0K", "total_records": 999}
    partial = write(tmp_path / "partial.json", json.dumps(page))
    partial_report = tmp_path / "partial-report.json"
    run_cli("scan", "--snapshot", partial, "--output", f"json:{partial_report}")
    proc = run_cli("diff", str(plain), str(partial_report), "--format", "markdown")
    assert proc.returncode == 3
    assert "the newer report is incomplete (2 coverage gap(s))" in proc.stderr
    assert "⚠️ **Warning:** the newer report is incomplete" in proc.stdout
    assert run_cli("diff", str(plain), str(partial_report), "--allow-partial").returncode == 0


def test_the_markdown_diff_is_capped(tmp_path: Path) -> None:
    from auditor.report import diff as diff_report

    finding = {"severity": "high", "rule_id": "MLA-X-001", "resource_id": "/x" * 400}
    diff = {
        "old": "a",
        "new": "b",
        "summary": {
            "new": 5000,
            "fixed": 0,
            "unverified": 0,
            "unchanged": 0,
            "new_suppressed": 0,
            "new_report_gaps": 0,
            "new_report_complete": True,
        },
        "new_findings": [{**finding, "message": "m" * 5000}] * 5000,
        "fixed_findings": [],
        "unverified_findings": [],
        "unchanged_findings": [],
    }
    text = diff_report.render(diff, "markdown")
    assert len(text.encode("utf-8")) < 1_000_000
    assert "… and 4950 more" in text
    assert len(diff_report._markdown(diff, max_rows=5000, max_bytes=20_000).encode()) <= 20_000


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--output", f"json:{TERRAFORM}"), f"--output {TERRAFORM}: is also the input {TERRAFORM}"),
        (("--output", "sarif:r.out", "--output", "html:r.out"), "is also the output r.out"),
        (("--output", "sarif:"), "--output sarif:: needs a file path after 'sarif:'"),
        (("--output", "sarif:-"), "(for stdout use --format sarif)"),
        (("--output", "-"), "needs a file path (for stdout use --format)"),
        (("--output", ""), "needs a file path"),
    ],
)
def test_outputs_never_overwrite_inputs_or_each_other(
    tmp_path: Path, args: tuple[str, ...], problem: str
) -> None:
    before = Path(TERRAFORM).read_bytes()
    proc = run_cli("scan", "--snapshot", TERRAFORM, *args, cwd=tmp_path)
    assert proc.returncode == 2 and problem in proc.stderr, proc.stderr
    assert Path(TERRAFORM).read_bytes() == before
    assert list(tmp_path.iterdir()) == []


def test_baseline_and_diff_do_not_overwrite_their_inputs(tmp_path: Path) -> None:
    copy = write(tmp_path / "estate.json", Path(TERRAFORM).read_text(encoding="utf-8"))
    proc = run_cli("baseline", "--snapshot", copy, "--output", copy)
    assert proc.returncode == 2 and "is also the input" in proc.stderr
    report = a_report(tmp_path, "r.json")
    proc = run_cli("diff", str(report), str(report), "--output", str(report))
    assert proc.returncode == 2 and "is also the input" in proc.stderr
    assert json.loads(report.read_text(encoding="utf-8"))["findings"]


def test_a_suppressed_finding_stays_out_of_the_baseline(tmp_path: Path) -> None:
    """When its suppression ends, the finding must count as new, not as known."""
    sup = write(
        tmp_path / "s.yaml",
        "suppressions:\n  - rule: MLA-ACR-004\n    justification: j\n    expires: 2999-01-01\n",
    )
    report = a_report(tmp_path, "r.json", "--suppressions", sup)
    scan("--snapshot", TERRAFORM, "--baseline", str(report), "--suppressions", sup, code=0)
    expired = write(
        tmp_path / "x.yaml",
        "suppressions:\n  - rule: MLA-ACR-004\n    justification: j\n    expires: 2001-01-01\n",
    )
    out, _ = scan("--snapshot", TERRAFORM, "--baseline", str(report), "--suppressions", expired)
    assert by_rule(out)["MLA-ACR-004"]["baseline"] == "new" and out["summary"]["failed"]


def test_the_baseline_command_takes_suppressions(tmp_path: Path) -> None:
    """``baseline --suppressions``: the suppressed finding stays out of the baseline file,
    so once its suppression expires the gate counts it as new."""
    sup = write(
        tmp_path / "s.yaml",
        "suppressions:\n  - rule: MLA-ACR-004\n    justification: j\n    expires: 2999-01-01\n",
    )
    base = tmp_path / "baseline.json"
    proc = run_cli(
        "baseline", "--snapshot", TERRAFORM, "--suppressions", sup, "--output", str(base)
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(base.read_text(encoding="utf-8"))
    assert "MLA-ACR-004" not in {f["rule_id"] for f in doc["findings"]}
    assert {f["rule_id"] for f in doc["findings"]} == TERRAFORM_RULES - {"MLA-ACR-004"}
    scan("--snapshot", TERRAFORM, "--baseline", str(base), "--suppressions", sup, code=0)
    expired = write(
        tmp_path / "x.yaml",
        "suppressions:\n  - rule: MLA-ACR-004\n    justification: j\n    expires: 2001-01-01\n",
    )
    out, _ = scan("--snapshot", TERRAFORM, "--baseline", str(base), "--suppressions", expired)
    assert by_rule(out)["MLA-ACR-004"]["baseline"] == "new" and out["summary"]["failed"]
    same = run_cli("baseline", "--snapshot", TERRAFORM, "--suppressions", sup, "--output", sup)
    assert same.returncode == 2 and "must not overwrite it" in same.stderr


def test_stale_only_when_the_scan_could_have_matched(tmp_path: Path) -> None:
    sup = write(
        tmp_path / "s.yaml",
        "suppressions:\n"
        "  - rule: MLA-KV-*\n    justification: kv\n"
        "  - resource: '*/vaults/none'\n    justification: no such vault\n",
    )
    report, _ = scan("--snapshot", TERRAFORM, "--suppressions", sup, "--select", "MLA-ACR")
    assert report["suppressions"]["stale"] == []
    assert [(e["entry"], e["reason"]) for e in report["suppressions"]["unchecked"]] == [
        (f"{sup}#1", "no rule it selects was run and evaluated"),
        (f"{sup}#2", "the scan ran only some rules (--select/--skip)"),
    ]
    report, _ = scan("--snapshot", TERRAFORM, "--suppressions", sup)
    assert [e["entry"] for e in report["suppressions"]["stale"]] == [f"{sup}#1", f"{sup}#2"]


def test_expiry_is_judged_on_the_run_date_and_quiet_is_quiet(tmp_path: Path) -> None:
    sup = write(
        tmp_path / "s.yaml",
        "suppressions:\n  - rule: MLA-ACR-004\n    justification: j\n    expires: 2025-12-31\n",
    )
    # the tests pin the run time to 2026-01-01: the entry expired the day before
    report, stderr = scan("--snapshot", TERRAFORM, "--suppressions", sup)
    assert report["suppressions"]["as_of"] == "2026-01-01"
    assert [e["entry"] for e in report["suppressions"]["expired"]] == [f"{sup}#1"]
    assert "expired on 2025-12-31" in stderr
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--suppressions", sup, "--quiet")
    assert proc.returncode == 1 and proc.stdout == proc.stderr == ""
