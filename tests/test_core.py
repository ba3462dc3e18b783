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
    assert run.failed and run.complete and not run.graph.estate.gaps
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
    for nothing in ([], (), iter([])):
        with pytest.raises(core.UsageError, match="needs snapshot inputs or a collect"):
            audit(nothing)
    with pytest.raises(core.UsageError, match="not both"):
        audit([TERRAFORM], collect=lambda: ("live", {}))


def test_a_lone_path_or_word_is_one_value_not_its_characters() -> None:
    for one in (str(TERRAFORM), TERRAFORM):
        assert (
            audit(one, select="MLA-DNS").rules_run
            == audit([TERRAFORM], select=["MLA-DNS"]).rules_run
        )


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"fail_on": "HIGH"}, "fail_on 'HIGH': choose from critical"),
        ({"cloud": "mars"}, "cloud 'mars': choose from public, usgov, china"),
        ({"generated_at": "yesterday"}, "generated_at 'yesterday': expected UTC"),
    ],
)
def test_a_wrong_value_is_refused_before_any_work(kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises(core.UsageError, match=words):
        audit([TERRAFORM], **kwargs)


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


def test_a_run_is_freed_without_the_cycle_collector() -> None:
    """The CLI switches the cyclic garbage collector off for a scan, and library callers
    may too: a run and its graph (after every format is rendered, the drawing included)
    must then be freed by reference counting alone, or each audit leaks an estate."""
    import gc
    import weakref

    was = gc.isenabled()
    gc.disable()
    try:
        run = audit([TERRAFORM])
        view = report.build_view(run)
        for fmt in report.format_names():
            report.render(fmt, view)
        refs = [weakref.ref(run.graph), weakref.ref(run.graph.g), weakref.ref(run.result)]
        del run, view
        assert [r() for r in refs] == [None, None, None]
    finally:
        if was:
            gc.enable()
