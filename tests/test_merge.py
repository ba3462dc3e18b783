"""``mlops-audit partition`` and ``merge``: a partitioned scan reports what one scan reports.

A synthetic estate of several landing zones is split into snapshots of whole network
components (docs/scale.md), each is scanned alone, and the merged report must equal the
report of one scan — same findings, fingerprints and order, same counts. What cannot be
merged soundly is refused (exit 2, one line naming the file); an incomplete or
disagreeing partition keeps the merged run incomplete (exit 3).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor import __version__, cli, partition
from auditor.inputs import load

from .conftest import load_synth
from .sarif_profile import problems
from .test_sarif import schema_errors, validator  # noqa: F401  (a fixture)

ZONES_ROWS = 600  # about nine landing zones, each its own component


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    synth = load_synth()
    path = tmp_path_factory.mktemp("estate") / "estate.json"
    rows = synth.synthetic_estate(ZONES_ROWS, fault_share=0.6, seed=3)
    path.write_text(synth.render(rows, "snapshot"), encoding="utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def parts_of(estate: Path, n: int, out: Path, capsys: pytest.CaptureFixture[str]) -> list[Path]:
    code, _, err = run(["partition", str(estate), "--parts", str(n), "--out-dir", str(out)], capsys)
    assert code == 0, err
    return sorted(out.glob("part-*.json"))


def scan(paths: list[Path], out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Path:
    argv = ["scan", "--fail-on", "none", "--allow-partial", "--output", f"json:{out}"]
    for p in paths:
        argv += ["--snapshot", str(p)]
    code, _, err = run([*argv, *extra], capsys)
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def split(estate: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The estate in two partitions, each scanned, and the one scan of both."""
    tmp = tmp_path_factory.mktemp("split")
    capsys = _NoCapture()
    parts = parts_of(estate, 2, tmp / "parts", capsys)  # type: ignore[arg-type]
    reports = [scan([p], tmp / f"r{i}.json", capsys) for i, p in enumerate(parts)]  # type: ignore[arg-type]
    whole = scan(parts, tmp / "whole.json", capsys)  # type: ignore[arg-type]
    original = scan([estate], tmp / "original.json", capsys)  # type: ignore[arg-type]
    return {"tmp": tmp, "parts": parts, "reports": reports, "whole": whole, "original": original}


class _NoCapture:
    """capsys for a module-scoped fixture: output is not checked there."""

    def readouterr(self) -> tuple[str, str]:
        return "", ""


def doc(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- partition ----------------------------------------------------------------------------
def test_components_are_the_landing_zones(estate: Path) -> None:
    """Each synthetic landing zone is one subscription whose VNets form one component
    (a resource associated with nothing, such as an unattached NSG, is its own)."""
    comps = partition.components(load([estate]))
    subs = [{k.split("/")[2] for k in c} for c in comps]
    assert all(len(s) == 1 for s in subs)
    with_vnets = [
        next(iter(s))
        for s, c in zip(subs, comps, strict=True)
        if any("/microsoft.network/virtualnetworks/" in k for k in c)
    ]
    assert len(with_vnets) > 2 and len(with_vnets) == len(set(with_vnets))


@pytest.mark.parametrize("n", [1, 2, 3, 50])
def test_partition_keeps_every_row_once(
    estate: Path, n: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = doc(estate)["rows"]
    parts = parts_of(estate, n, tmp_path, capsys)
    assert 1 <= len(parts) <= n
    docs = [doc(p) for p in parts]
    got = [r for d in docs for r in d["rows"]]
    assert sorted(json.dumps(r, sort_keys=True) for r in got) == sorted(
        json.dumps(r, sort_keys=True) for r in rows
    )
    ids = [{r["id"].lower() for r in d["rows"]} for d in docs]
    assert all(a.isdisjoint(b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    own = ("rows", "collections", "partition")
    header = {k: v for k, v in doc(estate).items() if k not in own}
    assert all({k: v for k, v in d.items() if k not in own} == header for d in docs)
    marks = [d["partition"] for d in docs]  # which part of which split: merge checks them
    assert [(m["part"], m["parts"]) for m in marks] == [(i, len(docs)) for i in range(len(docs))]
    assert len({m["of"] for m in marks}) == 1
    # each part declares what the whole held (declared or evident from its rows): test_merge_hostile
    declared = set(doc(estate).get("collections", ()))
    assert all(declared <= set(d["collections"]) for d in docs)
    assert len({tuple(d["collections"]) for d in docs}) == 1


def test_partition_refuses_what_is_not_a_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path / "rows.json", [])  # type: ignore[arg-type]
    code, _, err = run(["partition", str(bad), "--parts", "2", "--out-dir", str(tmp_path)], capsys)
    assert code == 2 and "rows.json" in err and len(err.strip().splitlines()) == 1


# -- merge equals one scan ----------------------------------------------------------------
def test_merged_report_is_the_single_scans_byte_for_byte(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    merged = tmp_path / "merged.json"
    code, _, err = run(
        ["merge", *map(str, split["reports"]), "--fail-on", "none", "--output", f"json:{merged}"],
        capsys,
    )
    assert code == 0, err
    assert merged.read_bytes() == split["whole"].read_bytes()
    # and the same findings, fingerprints and order as the scan of the unsplit estate
    got, original = doc(merged), doc(split["original"])
    assert got["findings"], "the synthetic faults must give findings"
    assert [f["fingerprint"] for f in got["findings"]] == [
        f["fingerprint"] for f in original["findings"]
    ]
    for key in ("findings", "not_evaluated", "rules", "summary", "coverage", "inventory"):
        assert got[key] == original[key], key


def test_merge_gates_like_scan(split: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    reports = list(map(str, split["reports"]))
    code, out, _ = run(["merge", *reports, "--fail-on", "low", "--format", "json"], capsys)
    assert code == 1 and json.loads(out)["summary"]["failed"] is True
    code, out, _ = run(["merge", *reports, "--format", "json"], capsys)  # the partitions': none
    assert code == 0 and json.loads(out)["summary"]["fail_on"] == "none"


def test_merge_order_of_reports_changes_only_the_inputs(
    split: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = map(str, split["reports"])
    one = json.loads(run(["merge", a, b, "--format", "json"], capsys)[1])
    two = json.loads(run(["merge", b, a, "--format", "json"], capsys)[1])
    assert one["inputs"] == two["inputs"][::-1]
    assert {**one, "inputs": None} == {**two, "inputs": None}


def test_identical_copies_appear_once(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two partitions that both judged a resource alike: one copy, but they overlap, so
    each judged a shared component in part: a coverage gap (test_merge_hostile: the
    same report twice is refused)."""
    a = doc(split["reports"][0])
    a["inputs"][0]["path"] = "elsewhere.json"
    del a["inputs"][0]["snapshot"]["partition"]  # not marked as the same part (refused)
    code, out, _ = run(
        ["merge", str(split["reports"][0]), str(write(tmp_path / "a.json", a)), "--format", "json"],
        capsys,
    )
    merged = json.loads(out)
    assert [f["fingerprint"] for f in merged["findings"]] == [
        f["fingerprint"] for f in doc(split["reports"][0])["findings"]
    ]
    assert code == 3 and any("overlap" in g["problem"] for g in merged["coverage"]["gaps"])


def test_differing_copies_are_both_kept_and_a_gap(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = doc(split["reports"][0]), doc(split["reports"][1])
    copy = dict(a["findings"][0], message="judged apart")
    b["findings"].append(copy)
    next(r for r in b["rules"] if r["rule_id"] == copy["rule_id"])["failed"] += 1  # as a scan
    b_path = write(tmp_path / "b.json", b)
    code, out, err = run(
        ["merge", str(split["reports"][0]), str(b_path), "--format", "json"], capsys
    )
    merged = json.loads(out)
    same = [f for f in merged["findings"] if f["fingerprint"] == copy["fingerprint"]]
    assert len(same) == 2 and {f["message"] for f in same} == {
        a["findings"][0]["message"],
        "judged apart",
    }
    assert any(copy["fingerprint"] in g["problem"] for g in merged["coverage"]["gaps"])
    assert merged["summary"]["complete"] is False
    assert code == 3 and "incomplete" in err
    assert run(["merge", str(split["reports"][0]), str(b_path), "--allow-partial"], capsys)[0] == 0


def test_an_incomplete_partition_keeps_the_merge_incomplete(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    part = doc(split["parts"][1])
    part["failures"] = [{"scope": "subscription x", "what": "read access", "error": "denied"}]
    partial = scan([write(tmp_path / "p.json", part)], tmp_path / "r.json", capsys)
    code, out, _ = run(
        ["merge", str(split["reports"][0]), str(partial), "--format", "json"], capsys
    )
    merged = json.loads(out)
    assert code == 3 and merged["summary"]["complete"] is False
    assert merged["coverage"]["gaps"] == doc(partial)["coverage"]["gaps"]
    assert run(["merge", str(split["reports"][0]), str(partial), "--allow-partial"], capsys)[0] == 0


def test_a_cut_component_is_a_gap(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A resource one partition references but lacks, and another judged."""
    a, b = doc(split["reports"][0]), doc(split["reports"][1])
    held = b["findings"][0]["resource_id"]
    a["inventory"]["referenced_not_seen"] = [
        {"id": held, "type": "x", "referenced_by": ["/r"], "referrers": 1}
    ]
    code, out, _ = run(
        ["merge", str(write(tmp_path / "a.json", a)), str(split["reports"][1]), "--format", "json"],
        capsys,
    )
    merged = json.loads(out)
    assert code == 3 and merged["inventory"]["referenced_not_seen"] == []
    assert any("cut a network component" in g["problem"] for g in merged["coverage"]["gaps"])


def test_generated_at_is_the_newest_partitions_without_source_date_epoch(
    split: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = doc(split["reports"][0])
    a["generated_at"] = "2030-05-01T00:00:00Z"
    path = write(tmp_path / "a.json", a)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    out = run(["merge", str(path), str(split["reports"][1]), "--format", "json"], capsys)[1]
    assert json.loads(out)["generated_at"] == "2030-05-01T00:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    out = run(["merge", str(path), str(split["reports"][1]), "--format", "json"], capsys)[1]
    assert json.loads(out)["generated_at"] == "1970-01-01T00:00:00Z"


# -- the other formats --------------------------------------------------------------------
def test_merged_sarif_is_valid_and_matches_the_single_scans(
    split: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    validator: jsonschema.Draft4Validator,  # noqa: F811
) -> None:
    merged, whole = tmp_path / "m.sarif", tmp_path / "w.sarif"
    code, _, err = run(
        ["merge", *map(str, split["reports"]), "--output", f"sarif:{merged}"], capsys
    )
    assert code == 0, err
    log = json.loads(merged.read_text(encoding="utf-8"))
    assert schema_errors(validator, log) == []
    assert problems(log, merged.read_text(encoding="utf-8")) == []
    run(
        ["scan", "--fail-on", "none", "--output", f"sarif:{whole}"]
        + [a for p in split["parts"] for a in ("--snapshot", str(p))],
        capsys,
    )
    assert merged.read_bytes() == whole.read_bytes()


@pytest.mark.parametrize("fmt", ["markdown", "csv", "table"])
def test_merged_markdown_csv_and_table_match_the_single_scans(
    split: dict[str, Any], fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, merged, _ = run(["merge", *map(str, split["reports"]), "--format", fmt], capsys)
    snaps = [a for p in split["parts"] for a in ("--snapshot", str(p))]
    _, whole, _ = run(["scan", "--fail-on", "none", "--format", fmt, *snaps], capsys)
    assert merged and merged == whole


def test_merged_ndjson_is_the_single_scans_lines_but_the_tenant(
    split: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """The Log Analytics lines of a merged run: the whole scan's, in its order, but for the
    tenant (a JSON report does not hold each resource's), the run's id and time (another
    run: the newest partition's time)."""
    code, merged, err = run(["merge", *map(str, split["reports"]), "--format", "ndjson"], capsys)
    assert code == 0, err
    snaps = [a for p in split["parts"] for a in ("--snapshot", str(p))]
    _, whole, _ = run(["scan", "--fail-on", "none", "--format", "ndjson", *snaps], capsys)

    def lines(text: str) -> list[dict[str, Any]]:
        records = [json.loads(line) for line in text.splitlines()]
        assert len({r.pop("RunId") for r in records}) == 1
        assert len({r.pop("TimeGenerated") for r in records}) == 1
        for r in records:
            r.pop("TenantId")
        return records

    got, want = lines(merged), lines(whole)
    assert len(got) > 1 and got == want
    assert all(r["SubscriptionId"] and r["ResourceGroup"] for r in got[1:])
    first = [json.loads(line) for line in merged.splitlines()]
    assert not any(r["TenantId"] for r in first)
    newest = max(doc(p)["generated_at"] for p in split["reports"])
    assert {r["TimeGenerated"] for r in first} == {newest}


@pytest.mark.parametrize("fmt", ["junit", "html"])
def test_formats_the_json_report_cannot_rebuild_are_refused(
    split: dict[str, Any], fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x"
    code, _, err = run(["merge", *map(str, split["reports"]), "--output", f"{fmt}:{out}"], capsys)
    assert code == 2 and "merge cannot write" in err and not out.exists()


# -- refusals -----------------------------------------------------------------------------
def _refused(paths: list[Path | str], named: Path | str, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run(["merge", *map(str, paths), "--format", "json"], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and str(named) in err
    return err


def test_refuses_another_tool_version(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    b = doc(split["reports"][1])
    b["tool"]["version"] = "0.0.1"
    path = write(tmp_path / "b.json", b)
    assert __version__ in _refused([split["reports"][0], path], path, capsys)


def test_refuses_another_rule_set(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    narrow = scan([split["parts"][1]], tmp_path / "b.json", capsys, "--select", "MLA-DNS")
    assert "rule set" in _refused([split["reports"][0], narrow], narrow, capsys)
    b = doc(split["reports"][1])
    b["rules"][0]["severity"] = "info" if b["rules"][0]["severity"] != "info" else "low"
    path = write(tmp_path / "c.json", b)
    _refused([split["reports"][0], path], path, capsys)


def test_refuses_a_rule_this_tool_does_not_have(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = doc(split["reports"][0]), doc(split["reports"][1])
    for d in (a, b):
        d["rules"].append({**d["rules"][0], "rule_id": "CUSTOM-001"})
    pa, pb = write(tmp_path / "a.json", a), write(tmp_path / "b.json", b)
    assert "--rules" in _refused([pa, pb], pa, capsys)


def test_refuses_another_cloud(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    part = doc(split["parts"][1])
    part["cloud"] = "usgov"
    other = scan([write(tmp_path / "p.json", part)], tmp_path / "b.json", capsys)
    assert "cloud" in _refused([split["reports"][0], other], other, capsys)


def test_refuses_another_gate_unless_given(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    b = doc(split["reports"][1])
    b["summary"]["fail_on"] = "high"
    path = write(tmp_path / "b.json", b)
    assert "--fail-on" in _refused([split["reports"][0], path], path, capsys)
    code = run(["merge", str(split["reports"][0]), str(path), "--fail-on", "none"], capsys)[0]
    assert code == 0


def test_refuses_a_triaged_report(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    b = doc(split["reports"][1])
    b["baseline"] = {"path": "b", "new": 0, "unchanged": 0, "fixed": [], "unverified": []}
    path = write(tmp_path / "b.json", b)
    assert "triaged" in _refused([split["reports"][0], path], path, capsys)


def test_refuses_what_is_not_a_report(
    split: dict[str, Any], estate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _refused([split["reports"][0], estate], estate, capsys)  # a snapshot
    base = tmp_path / "baseline.json"
    assert run(["baseline", "--snapshot", str(split["parts"][0]), "--output", str(base)], capsys)[
        0
    ] in (0, 1)
    _refused([split["reports"][0], base], base, capsys)
    garbage = tmp_path / "g.json"
    garbage.write_text("{not json", encoding="utf-8")
    _refused([split["reports"][0], garbage], garbage, capsys)
    _refused([split["reports"][0], tmp_path / "missing.json"], tmp_path / "missing.json", capsys)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["findings"][0].update(severity="severe"),
        lambda d: d["findings"][0].update(fingerprint="0" * 32),
        lambda d: d["findings"][0].pop("evidence"),
        lambda d: d["rules"][0].update(failed=-1),
        lambda d: d["rules"][0].update(passed=True),
        lambda d: d["inventory"].update(by_type=[]),
        lambda d: d.update(generated_at="yesterday"),
        lambda d: d.update(extra=1),
        lambda d: d.update(report_version=2),
        lambda d: d["findings"][0].update(
            category="nsg" if d["findings"][0]["category"] != "nsg" else "peering"
        ),
    ],
    ids=[
        "severity",
        "fingerprint",
        "no-evidence",
        "negative-count",
        "bool-count",
        "by-type",
        "time",
        "extra-key",
        "report-version",
        "category",
    ],
)
def test_refuses_malformed_content(
    split: dict[str, Any], damage: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    b = doc(split["reports"][1])
    if not b["findings"]:
        b = doc(split["reports"][0])
    damage(b)
    path = write(tmp_path / "b.json", b)
    assert "malformed" in _refused([split["reports"][0], path], path, capsys)


def test_three_partitions_with_unevaluated_checks_merge_to_the_single_scan(
    estate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checks a partition could not evaluate (a collection it lacks) merge as one scan's:
    the same not_evaluated entries, rule statuses and exit 3."""
    narrow = doc(estate)
    narrow["collections"] = [c for c in narrow["collections"] if c != "vmextensions"]
    narrow["rows"] = [r for r in narrow["rows"] if "/extensions/" not in r["id"].lower()]
    source = write(tmp_path / "narrow.json", narrow)
    parts = parts_of(source, 3, tmp_path / "parts", capsys)
    assert len(parts) == 3
    reports = [scan([p], tmp_path / f"r{i}.json", capsys) for i, p in enumerate(parts)]
    whole = scan(parts, tmp_path / "whole.json", capsys)
    merged = tmp_path / "merged.json"
    code, _, err = run(["merge", *map(str, reports), "--output", str(merged)], capsys)
    assert code == 3 and "incomplete" in err
    assert doc(whole)["not_evaluated"], "the narrowed estate must leave checks unevaluated"
    assert merged.read_bytes() == whole.read_bytes()
    original = doc(scan([source], tmp_path / "original.json", capsys))
    for key in ("findings", "not_evaluated", "rules", "summary"):
        assert doc(merged)[key] == original[key], key
    snaps = [a for p in parts for a in ("--snapshot", str(p))]
    for fmt in ("markdown", "sarif", "csv"):
        got = run(["merge", *map(str, reports), "--format", fmt], capsys)[1]
        want = run(["scan", "--fail-on", "none", "--format", fmt, *snaps], capsys)[1]
        assert got == want, fmt


def test_merge_and_partition_usage_errors(
    split: dict[str, Any], estate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = map(str, split["reports"])
    code, _, err = run(["merge", a, b, "--output", a], capsys)  # over an input
    assert code == 2 and "must not overwrite" in err
    code, _, err = run(
        ["partition", str(estate), "--parts", "0", "--out-dir", str(tmp_path)], capsys
    )
    assert code == 2 and "--parts" in err and not list(tmp_path.iterdir())


def test_a_baseline_applies_once_to_the_merged_findings(
    split: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Known findings of one partition are unchanged, the other's new; the gate counts the
    new ones only. With the whole scan as baseline the merge is the scan's, byte for byte."""
    r0, r1 = split["reports"]
    known = tmp_path / "baseline.json"
    assert run(["baseline", "--snapshot", str(split["parts"][0]), "--output", str(known)], capsys)[
        0
    ] in (0, 1)
    code, out, _ = run(
        [
            "merge",
            str(r0),
            str(r1),
            "--baseline",
            str(known),
            "--fail-on",
            "low",
            "--format",
            "json",
        ],
        capsys,
    )
    merged = json.loads(out)
    new = {f["fingerprint"] for f in doc(r1)["findings"]}
    assert merged["summary"]["new"] == len(new) > 0
    assert {f["fingerprint"] for f in merged["findings"] if f["baseline"] == "new"} == new
    assert merged["baseline"]["fixed"] == [] and merged["baseline"]["unverified"] == []
    assert code == 1
    only_known = run(
        # one part of two: incomplete (test_merge_hostile), accepted here
        [
            "merge",
            str(r0),
            "--baseline",
            str(known),
            "--fail-on",
            "low",
            "--allow-partial",
            "--format",
            "json",
        ],
        capsys,
    )
    assert only_known[0] == 0 and json.loads(only_known[1])["summary"]["counted"] == 0
    merged_file = tmp_path / "m.json"
    run(
        [
            "merge",
            str(r0),
            str(r1),
            "--baseline",
            str(split["whole"]),
            "--output",
            str(merged_file),
        ],
        capsys,
    )
    scanned = tmp_path / "s.json"
    run(
        ["scan", "--fail-on", "none", "--baseline", str(split["whole"]), "--output", str(scanned)]
        + [a for p in split["parts"] for a in ("--snapshot", str(p))],
        capsys,
    )
    assert merged_file.read_bytes() == scanned.read_bytes()
