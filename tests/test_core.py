"""The pipeline core, as a library: one call from inputs to the Run every report renders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor import audit, core, report
from auditor.files import InputError

from .conftest import FIXTURES

TERRAFORM = FIXTURES / "reference-terraform.json"


def test_the_library_gives_the_report_the_cli_writes(tmp_path: Path) -> None:
    run = audit([TERRAFORM], fail_on="none")
    out = tmp_path / "r.json"
    subprocess.run(
        [sys.executable, "-m", "auditor", "scan", "--snapshot", str(TERRAFORM), "--format",
         "json", "--output", str(out), "--fail-on", "none"],
        check=True,
    )  # fmt: skip
    assert report.render("json", run) == out.read_text(encoding="utf-8")


def test_the_run_says_what_a_gate_needs() -> None:
    run = audit([TERRAFORM])
    assert run.failed and not run.incomplete
    assert run.rules_run == sorted(run.rules_run) and len(run.rules_run) == len(run.rules)
    assert list(run.timings) == ["load", "graph", "rules", "triage"]
    assert all(t >= 0 for t in run.timings.values())


def test_selection_narrows_and_a_typo_is_refused() -> None:
    run = audit([TERRAFORM], select=["private-dns"], skip=["MLA-DNS-003"])
    assert {r.spec.category for r in run.rules} == {"private-dns"}
    assert "MLA-DNS-003" not in run.rules_run
    with pytest.raises(core.SelectionError, match="--select private-dsn: matches no rule"):
        audit([TERRAFORM], select=["private-dsn"])


def test_no_input_or_two_kinds_of_input_is_a_usage_error() -> None:
    with pytest.raises(core.UsageError, match="needs either snapshot inputs or a collect"):
        audit([])
    with pytest.raises(core.UsageError):
        audit([TERRAFORM], collect=lambda: ("live", {}))


def test_a_bad_triage_file_costs_no_collection(tmp_path: Path) -> None:
    """The triage files are read before the collect callable runs: a typo in a
    suppression file must not cost a tenant-wide collection first."""
    calls: list[int] = []

    def collect() -> tuple[str, dict[str, Any]]:
        calls.append(1)
        return "live:test", json.loads(TERRAFORM.read_text(encoding="utf-8"))

    with pytest.raises(InputError, match="no such file"):
        audit(collect=collect, suppressions=tmp_path / "missing.yaml")
    assert calls == []
    run = audit(collect=collect)
    assert calls == [1] and run.graph.estate.sources[0].path == "live:test"
    assert "collect" in run.timings


def test_the_cloud_option_picks_the_zone_names() -> None:
    assert audit([TERRAFORM], cloud="usgov").graph.estate.cloud == "usgov"
