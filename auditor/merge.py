"""``mlops-audit merge``: one report from the JSON reports of a partitioned scan.

A tenant larger than one machine is scanned in partitions, each a set of whole network
components (docs/scale.md); no rule crosses a component, so the partitions' findings,
unevaluated checks and rule counts add up to what one scan of the whole estate reports.
This module reads the partitions' JSON reports, refuses what cannot be merged soundly
(another tool version or rule set, another cloud, a report that is not one, or one shaped
wrong: exit 2), and builds the :class:`~auditor.report.view.ReportView` a single scan would
have built, so every renderer that needs only what the JSON report holds writes the merged
run (JSON, SARIF, Markdown, CSV, NDJSON, the terminal table; NDJSON's ``TenantId`` stays
empty: a JSON report does not hold each resource's tenant). JUnit needs the subjects each rule
judged (its passing test cases) and HTML the network graph; neither is in the JSON report,
so those two are not offered.

Fail closed: a finding two partitions report alike appears once (by fingerprint); two
copies that differ are both kept and the disagreement is a coverage gap, so the merged run
is incomplete rather than silently one-sided. An incomplete partition keeps the merged run
incomplete.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import __version__, arm, crossref
from .clouds import DEFAULT_CLOUD
from .files import InputError
from .findings import CATEGORIES, SEVERITIES, SEVERITY_RANK, Finding, NotEvaluated, fingerprint
from .report.view import (
    Coverage,
    Gate,
    InputFile,
    Inventory,
    ReportView,
    RuleRow,
    Summary,
    _severities,
    _verdict,
)
from .report.view import _baseline as _baseline_account
from .rules import Rule

# the formats whose view the JSON reports hold enough to rebuild (registry names)
FORMATS = ("table", "json", "sarif", "markdown", "csv", "ndjson")
WHY_NOT = {
    "junit": "JUnit's passing test cases need the resources each rule judged, which the "
    "JSON report does not list",
    "html": "the HTML network drawing needs the estate's graph, which the JSON report does "
    "not hold",
}


# -- what a JSON report must hold ---------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Tool(_Strict):
    name: Literal["mlops-audit"]
    version: str


class _Input(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)  # other metadata is carried as is
    path: str
    format: str
    rows: int = Field(ge=0)
    collections: list[str] | None = None
    snapshot: dict[str, Any] | None = None  # a snapshot's metadata, which every renderer reads


class _Gap(_Strict):
    path: str
    problem: str


class _Note(_Strict):
    path: str
    note: str


class _Summary(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)  # recomputed, only these read
    fail_on: Literal["critical", "high", "medium", "low", "none"]


class _Coverage(_Strict):
    gaps: list[_Gap]
    notes: list[_Note]


class _Flagged(_Strict):
    """One of a finding's ``also_flagged_by`` (crossref.py): a policy state's or a Defender
    assessment's fields, each a string or null; the report formats read them."""

    source: Literal["policy", "defender"]
    resource_id: str
    match: Literal["same-check", "same-resource"]
    assignment_id: str | None = None
    assignment_name: str | None = None
    definition_id: str | None = None
    set_definition_id: str | None = None
    reference_id: str | None = None
    assessment_key: str | None = None
    display_name: str | None = None
    severity: str | None = None


class _Finding(_Strict):
    rule_id: str = Field(min_length=1)
    title: str
    severity: Literal["critical", "high", "medium", "low", "info"]
    category: str
    resource_id: str = Field(min_length=1)
    resource_name: str
    resource_type: str
    message: str
    evidence: list[dict[str, Any]]
    remediation: str
    fingerprint: str = Field(min_length=1)
    related_id: str | None
    location: dict[str, Any] | None
    suppression: dict[str, Any] | None
    baseline: str | None
    also_flagged_by: list[_Flagged] | None = None  # reports before it lack the key


class _NotEvaluated(_Strict):
    rule_id: str = Field(min_length=1)
    resource_id: str | None
    related_id: str | None
    reasons: list[str]


class _Rule(_Strict):
    rule_id: str = Field(min_length=1)
    status: str
    severity: str
    category: str
    mcsb: list[str] = []  # absent in reports of versions before it (the rules supply it)
    subjects: int = Field(ge=0)
    passed: int = Field(ge=0)
    failed: int = Field(ge=0)
    not_applicable: int = Field(ge=0)
    not_evaluated: int = Field(ge=0)
    reason: str | None


class _Unseen(_Strict):
    id: str
    type: str
    referenced_by: list[str]
    referrers: int = Field(ge=0)


class _Inventory(_Strict):
    rows_read: int = Field(ge=0)
    resources: int = Field(ge=0)
    duplicates_merged: int = Field(ge=0)
    collections: list[str]
    subscriptions: list[str]
    by_type: dict[str, Annotated[int, Field(ge=0)]]
    unknown_types: dict[str, Annotated[int, Field(ge=0)]]
    referenced_not_seen: list[_Unseen]


class _Dropped(_Strict):
    reason: str
    rows: int = Field(ge=0)


class _Source(_Strict):
    available: bool
    reason: str | None
    rows: int = Field(ge=0)
    on_audited: int = Field(ge=0)
    dropped: list[_Dropped]


class _NotCovered(_Strict):
    source: Literal["policy", "defender"]
    definition_id: str | None
    assessment_key: str | None
    display_name: str | None
    assignments: list[str]
    resource_count: int = Field(ge=0)
    resources: list[str]


class _CrossReference(_Strict):
    sources: dict[Literal["policy", "defender"], _Source]
    not_covered: list[_NotCovered]


class _Report(_Strict):
    tool: _Tool
    report_version: Literal[1]
    generated_at: str = Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    inputs: list[_Input]
    summary: _Summary
    coverage: _Coverage
    suppressions: dict[str, Any] | None
    baseline: dict[str, Any] | None
    findings: list[_Finding]
    not_evaluated: list[_NotEvaluated]
    rules: list[_Rule]
    inventory: _Inventory
    azure_cross_reference: _CrossReference | None = None  # reports before it lack the key


def _is_mark(mark: Any) -> bool:
    """``partition``'s mark on a part: {"of": split id, "part": i, "parts": n}, 0 <= i < n."""
    if not isinstance(mark, dict) or set(mark) != {"of", "part", "parts"}:
        return False
    part, parts = mark["part"], mark["parts"]
    return (
        isinstance(mark["of"], str)
        and type(part) is int
        and type(parts) is int
        and 0 <= part < parts
    )


def read(path: str | Path) -> dict[str, Any]:
    """One partition's JSON report, checked whole: anything else is one InputError line."""
    f = Path(path)
    from .triage import read_report_json

    data = read_report_json(f, "JSON report")
    tool = data.get("tool") if isinstance(data, dict) else None
    if not (
        isinstance(tool, dict) and tool.get("name") == "mlops-audit" and "report_version" in data
    ):
        raise InputError(f, "not a mlops-audit JSON report (scan --format json)")
    try:
        _Report.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InputError(f, f"malformed report: {where}: {err['msg']}") from None
    rules = {r["rule_id"]: (r["severity"], r["category"]) for r in data["rules"]}
    if type(data["report_version"]) is not int:  # strict Literal[1] still takes True, 1.0
        raise InputError(f, "malformed report: report_version: Input should be 1")
    try:
        datetime.strptime(data["generated_at"], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise InputError(f, "malformed report: generated_at: not a UTC time") from None
    for i, d in enumerate(data["inputs"]):
        meta = d.get("snapshot")
        mark = meta.get("partition") if meta is not None else None
        if mark is not None and not _is_mark(mark):
            raise InputError(
                f, f"malformed report: inputs.{i}.snapshot.partition: not a part of a split"
            )
        if d["format"] == "snapshot" and (
            meta is None or not isinstance(meta.get("cloud", ""), str)
        ):
            raise InputError(
                f,
                f"malformed report: inputs.{i}: a snapshot input without its metadata "
                "or cloud name",
            )
    failed: Counter[str] = Counter()
    unjudged: Counter[str] = Counter()
    whole: set[str] = set()
    for i, d in enumerate(data["findings"]):
        if rules.get(d["rule_id"]) != (d["severity"], d["category"]):
            raise InputError(
                f,
                f"malformed report: findings.{i}: its rule, severity or category is not one "
                "of the report's rules",
            )
        if d["fingerprint"] != fingerprint(d["rule_id"], d["resource_id"], d["related_id"]):
            raise InputError(
                f,
                f"malformed report: findings.{i}: the fingerprint is not its rule's, "
                "resource's and related item's",
            )
        failed[d["rule_id"]] += 1
    for i, n in enumerate(data["not_evaluated"]):
        if n["rule_id"] not in rules:
            raise InputError(
                f, f"malformed report: not_evaluated.{i}: its rule is not one of the report's rules"
            )
        if n["resource_id"] is None:
            whole.add(n["rule_id"])
        else:
            unjudged[n["rule_id"]] += 1
    for i, r in enumerate(data["rules"]):
        rid = r["rule_id"]
        if (r["failed"], r["not_evaluated"], r["reason"] is not None) != (
            failed[rid],
            unjudged[rid],
            rid in whole,
        ):
            # the merged gate reads the findings and checks, the merged counts these: a
            # report whose two disagree (edited) would merge into a report at odds with itself
            raise InputError(
                f,
                f"malformed report: rules.{i}: its failed and not_evaluated counts or its "
                "reason do not match the report's findings and unevaluated checks",
            )
    return data


# -- what must agree ----------------------------------------------------------------------
def _signature(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["rule_id"], r["severity"], r["category"]) for r in report["rules"]]


def _clouds(report: dict[str, Any]) -> set[str]:
    """The clouds a report's snapshots say they came from (one naming none is of the
    default cloud, as the scan reads it). Other inputs name none, and the report does not
    record ``scan --cloud``: that cannot be checked here."""
    out = set()
    for i in report["inputs"]:
        meta = i.get("snapshot")
        if i["format"] == "snapshot" and isinstance(meta, dict):
            cloud = meta.get("cloud")
            out.add(cloud if isinstance(cloud, str) else DEFAULT_CLOUD)
    return out


def check(
    paths: Sequence[str],
    reports: Sequence[dict[str, Any]],
    rules: Sequence[Rule],
    fail_on: str | None,
) -> None:
    """Refuse (InputError naming the file) what cannot be merged into one sound report."""
    known = {r.id: r for r in rules}
    first, first_path = reports[0], paths[0]
    clouds: dict[str, str] = {}
    for path, rep in zip(paths, reports, strict=True):
        version = rep["tool"]["version"]
        if version != __version__:
            raise InputError(
                path,
                f"made by mlops-audit {version}; this is {__version__}: merge with the "
                "version that scanned",
            )
        if rep["suppressions"] is not None or rep["baseline"] is not None:
            raise InputError(
                path,
                "was triaged (--suppressions or --baseline): merge the untriaged "
                "partition reports and give merge the --baseline (a baseline or suppression "
                "judged per partition reads another partition's findings as fixed or stale)",
            )
        marked = next(
            (
                i
                for i, d in enumerate(rep["findings"])
                if d["suppression"] is not None or d["baseline"] is not None
            ),
            None,
        )
        if marked is not None:
            # a suppressed or baselined finding does not count toward the gate: in a report
            # that says it was not triaged, such a mark is an edit, and would pass the merge
            raise InputError(
                path,
                f"malformed report: findings.{marked} is marked suppressed or baselined, "
                "but the report says it was not triaged",
            )
        if _signature(rep) != _signature(first):
            raise InputError(
                path,
                f"ran another rule set than {first_path} (rule ids, severities or "
                "categories differ)",
            )
        if fail_on is None and rep["summary"]["fail_on"] != first["summary"]["fail_on"]:
            raise InputError(
                path,
                f"was gated at --fail-on {rep['summary']['fail_on']}, {first_path} at "
                f"{first['summary']['fail_on']}: give merge --fail-on",
            )
        for cloud in sorted(_clouds(rep)):
            other = next((c for c in clouds if c != cloud), None)
            if other is not None:
                raise InputError(
                    path,
                    f"is of the {cloud} cloud, {clouds[other]} of the {other} cloud: "
                    "a merged report is of one cloud",
                )
            clouds.setdefault(cloud, path)
    for i, rep in enumerate(reports):
        twin = next((j for j in range(i) if reports[j] == rep), None)
        if twin is not None:  # its findings would merge once, its counts twice
            raise InputError(paths[i], f"is the same report as {paths[twin]}: give each once")
    parts: dict[tuple[str, int], str] = {}
    counts: dict[str, int] = {}
    for path, rep in zip(paths, reports, strict=True):
        for i in rep["inputs"]:
            mark = (i.get("snapshot") or {}).get("partition")
            if mark is None:
                continue
            other = parts.setdefault((mark["of"], mark["part"]), path)
            if other != path:  # scanned twice: its findings would merge once, counts twice
                raise InputError(
                    path,
                    f"scanned part {mark['part']} of partition {mark['of']}, as {other} did: "
                    "give each part once",
                )
            if mark["parts"] != counts.setdefault(mark["of"], mark["parts"]):
                raise InputError(path, f"disagrees on how many parts partition {mark['of']} has")
    for rid, severity, category in _signature(first):
        rule = known.get(rid)
        if rule is None or (rule.spec.severity, rule.spec.category) != (severity, category):
            what = "is not among" if rule is None else "differs from"
            raise InputError(
                first_path,
                f"rule {rid} {what} this tool's rules (give merge the --rules DIR the scan had)",
            )


# -- the merge ----------------------------------------------------------------------------
def _canonical(d: Any) -> str:
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


def _findings(
    paths: Sequence[str], reports: Sequence[dict[str, Any]], gaps: list[dict[str, str]]
) -> list[Finding]:
    """Every distinct finding once, in report order. Two copies of one fingerprint that
    differ are both kept (never drop a failing finding) and named as a coverage gap."""
    copies: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}
    for path, rep in zip(paths, reports, strict=True):
        for d in rep["findings"]:
            seen = copies.setdefault(d["fingerprint"], {})
            text = _canonical(d)
            if text in seen:
                continue
            if seen:
                first_path = next(iter(seen.values()))[0]
                gaps.append(
                    {
                        "path": path,
                        "problem": f"finding {d['fingerprint']} ({d['rule_id']} on "
                        f"{d['resource_id']}) differs from its copy in {first_path}: the "
                        "partitions overlap and judged it apart; both copies are kept",
                    }
                )
            seen[text] = (path, d)
    out = [(Finding(**d), text) for group in copies.values() for text, (_, d) in group.items()]
    out.sort(key=lambda ft: (ft[0].sort_key(), ft[1]))
    return [f for f, _ in out]


def _overlap(
    paths: Sequence[str], reports: Sequence[dict[str, Any]], gaps: list[dict[str, str]]
) -> None:
    """A resource two partitions both judged (a finding or a check on it) means they
    overlap: each held the shared part of a component with only some of the rest, so
    either may have judged it wrongly, however alike their findings read. A coverage gap
    per pair of partitions, naming the first such resource."""
    owner: dict[str, int] = {}
    shared: dict[tuple[int, int], list[str]] = {}
    for i, rep in enumerate(reports):
        ids = {arm.key(d["resource_id"]): d["resource_id"] for d in rep["findings"]}
        for n in rep["not_evaluated"]:
            if n["resource_id"] is not None:
                ids.setdefault(arm.key(n["resource_id"]), n["resource_id"])
        for k in sorted(ids):
            j = owner.setdefault(k, i)
            if j != i:
                shared.setdefault((j, i), []).append(ids[k])
    for (j, i), both in sorted(shared.items()):
        gaps.append(
            {
                "path": paths[i],
                "problem": f"judged {len(both)} resource(s) {paths[j]} also judged (first "
                f"{both[0]}): the partitions overlap, so each judged a shared network "
                "component in part",
            }
        )


def _parts(
    paths: Sequence[str], reports: Sequence[dict[str, Any]], gaps: list[dict[str, str]]
) -> None:
    """The parts of each ``partition`` split the reports' snapshots say they are: one
    missing is a coverage gap (its rows were not scanned, so this is not a pass)."""
    held: dict[str, tuple[int, set[int], str]] = {}
    for path, rep in zip(paths, reports, strict=True):
        for i in rep["inputs"]:
            mark = (i.get("snapshot") or {}).get("partition")
            if mark is not None:
                n, got, first = held.setdefault(mark["of"], (mark["parts"], set(), path))
                got.add(mark["part"])
    for of, (n, got, first) in sorted(held.items()):
        missing = [str(p) for p in range(n) if p not in got]
        if missing:
            gaps.append(
                {
                    "path": first,
                    "problem": f"{len(missing)} of the {n} parts of partition {of} "
                    f"({', '.join(missing[:10])}{', ...' if len(missing) > 10 else ''}) are "
                    "not among the merged reports: their rows were not scanned",
                }
            )


def _not_evaluated(reports: Sequence[dict[str, Any]]) -> list[NotEvaluated]:
    seen: set[str] = set()
    out = []
    for rep in reports:
        for d in rep["not_evaluated"]:
            text = _canonical(d)
            if text not in seen:
                seen.add(text)
                out.append(NotEvaluated(**d))
    out.sort(key=NotEvaluated.sort_key)  # stable: ties keep the partitions' order
    return out


def _rule_rows(reports: Sequence[dict[str, Any]], rules: Sequence[Rule]) -> list[RuleRow]:
    """Counts summed per rule; ``fail`` if any partition failed, ``not-evaluated`` if no
    partition could run it, ``incomplete`` if some could not judge all or run it at all."""
    titles = {r.id: r.spec.title for r in rules}
    controls = {r.id: tuple(r.spec.mcsb) for r in rules}
    rows = []
    for n, base in enumerate(reports[0]["rules"]):
        parts = [rep["rules"][n] for rep in reports]
        total = {
            k: sum(p[k] for p in parts)
            for k in ("subjects", "passed", "failed", "not_applicable", "not_evaluated")
        }
        reasons = list(dict.fromkeys(p["reason"] for p in parts if p["reason"] is not None))
        if total["failed"]:
            status = "fail"
        elif all(p["reason"] is not None for p in parts):
            status = "not-evaluated"
        elif reasons or total["not_evaluated"]:
            status = "incomplete"
        elif total["passed"]:
            status = "pass"
        else:
            status = "not-applicable"
        rows.append(
            RuleRow(
                base["rule_id"],
                titles.get(base["rule_id"], ""),
                base["severity"],
                base["category"],
                status,
                total["subjects"],
                total["passed"],
                total["failed"],
                total["not_applicable"],
                total["not_evaluated"],
                "; ".join(reasons) if reasons else None,
                (),
                controls.get(base["rule_id"], ()),
            )
        )
    return rows


def _inventory(
    paths: Sequence[str], reports: Sequence[dict[str, Any]], gaps: list[dict[str, str]]
) -> Inventory:
    """Counts summed (partitions hold disjoint components), sets unioned. A resource one
    partition references but lacks, which another partition judged, means the partition
    cut a component: a coverage gap, and it is not listed as unseen."""
    invs = [rep["inventory"] for rep in reports]
    judged: list[set[str]] = [
        {arm.key(f["resource_id"]) for f in rep["findings"]}
        | {arm.key(n["resource_id"]) for n in rep["not_evaluated"] if n["resource_id"]}
        for rep in reports
    ]
    by_type: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    unseen: dict[str, dict[str, Any]] = {}
    for i, inv in enumerate(invs):
        by_type.update(inv["by_type"])
        unknown.update(inv["unknown_types"])
        for u in inv["referenced_not_seen"]:
            k = arm.key(u["id"])
            holder = next((j for j, ids in enumerate(judged) if j != i and k in ids), None)
            if holder is not None:
                gaps.append(
                    {
                        "path": paths[i],
                        "problem": f"references {u['id']}, which {paths[holder]} holds: the "
                        "partitions cut a network component, so rules judged part of it",
                    }
                )
                continue
            got = unseen.get(k)
            if got is None:
                unseen[k] = dict(u, referenced_by=list(u["referenced_by"]))
            else:
                refs = set(got["referenced_by"]) | set(u["referenced_by"])
                got["referenced_by"] = sorted(refs, key=lambda r: (r.lower(), r))[:5]
                got["referrers"] += u["referrers"]
    return Inventory(
        rows_read=sum(inv["rows_read"] for inv in invs),
        resources=sum(inv["resources"] for inv in invs),
        duplicates_merged=sum(inv["duplicates_merged"] for inv in invs),
        collections=sorted({c for inv in invs for c in inv["collections"]}),
        subscriptions=sorted({s for inv in invs for s in inv["subscriptions"]}),
        by_type={t: by_type[t] for t in sorted(by_type)},
        unknown_types={t: unknown[t] for t in sorted(unknown)},
        referenced_not_seen=[unseen[k] for k in sorted(unseen)],
    )


def _input_file(d: dict[str, Any]) -> InputFile:
    """The view's input entry that renders back to ``d``."""
    if d["format"] == "snapshot":
        return InputFile(d["path"], d["format"], d["rows"], d.get("collections"), d["snapshot"])
    meta = {"terraform": d["terraform"]} if "terraform" in d else {}
    return InputFile(d["path"], d["format"], d["rows"], d.get("collections"), meta)


def _unique(items: Sequence[dict[str, str]]) -> tuple[dict[str, str], ...]:
    return tuple({_canonical(i): i for i in items}.values())


def _generated_at(reports: Sequence[dict[str, Any]]) -> str:
    """``SOURCE_DATE_EPOCH`` when set (as scan), else the newest partition's time."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        from .core import timestamp

        return timestamp()
    return max(rep["generated_at"] for rep in reports)


def merge(
    paths: Sequence[str],
    reports: Sequence[dict[str, Any]],
    rules: Sequence[Rule],
    fail_on: str | None = None,
    sarif_category: str | None = None,
    baseline: tuple[str, dict[str, Any]] | None = None,
) -> ReportView:
    """The view of the whole run from its partitions' reports (already :func:`check`-ed),
    with ``baseline`` (its path and document, ``triage.read_report``) applied once, to the
    whole: per partition, another partition's known findings would read as fixed."""
    from .estate import Estate
    from .graph import build as build_graph  # an empty graph: the reports hold no topology

    fail_on = fail_on or reports[0]["summary"]["fail_on"]
    gaps = [g for rep in reports for g in rep["coverage"]["gaps"]]
    _parts(paths, reports, gaps)
    _overlap(paths, reports, gaps)
    findings = tuple(_findings(paths, reports, gaps))
    inventory = _inventory(paths, reports, gaps)
    gaps_t = _unique(gaps)
    notes = _unique([n for rep in reports for n in rep["coverage"]["notes"]])
    not_evaluated = tuple(_not_evaluated(reports))
    rows = tuple(_rule_rows(reports, rules))
    account = None
    if baseline is not None:
        account = _apply_baseline(findings, baseline, rows, not_evaluated, gaps_t, inventory)
    limit = SEVERITY_RANK.get(fail_on, -1)
    failing = sum(1 for f in findings if f.counts and SEVERITY_RANK[f.severity] <= limit)
    verdict = _verdict(failing, bool(gaps_t or not_evaluated), fail_on, bool(findings))
    gate = Gate(fail_on, verdict, " new" if account else "", failing)
    coverage = Coverage.of(gaps_t, notes, rows, not_evaluated)
    severity = Counter(f.severity for f in findings)
    category = Counter(f.category for f in findings)
    summary = Summary(
        findings=len(findings),
        by_severity={s: severity.get(s, 0) for s in SEVERITIES},
        by_category={c: category.get(c, 0) for c in CATEGORIES},
        not_evaluated=len(not_evaluated),
        rules_run=len(rows),
        rules_not_evaluated=len(coverage.rules_not_evaluated),
        rules_incomplete=len(coverage.rules_incomplete),
        suppressed=sum(1 for f in findings if f.suppression),
        new=account["new"] if account else None,
        counted=sum(1 for f in findings if f.counts),
        fail_on=fail_on,
        failed=gate.failed,
        complete=coverage.complete,
    )
    severities, totals = _severities(findings, fail_on)
    joined = crossref.merge([rep.get("azure_cross_reference") for rep in reports])
    crossref.restrict(findings, joined)
    ran = {r.rule_id for r in rows}
    return ReportView(
        tool_version=__version__,
        generated_at=_generated_at(reports),
        sarif_category=sarif_category,
        gate=gate,
        summary=summary,
        severities=severities,
        severity_totals=totals,
        findings_by_category=dict(sorted(category.items())),
        findings=findings,
        new_findings=tuple(f for f in findings if f.baseline == "new"),
        rule_rows=rows,
        rule_statuses=dict(Counter(r.status for r in rows)),
        coverage=coverage,
        baseline=_baseline_account(account),
        suppressions=None,
        inventory=inventory,
        inputs=tuple(_input_file(i) for rep in reports for i in rep["inputs"]),
        rules=tuple(r for r in rules if r.id in ran),
        graph=build_graph(Estate()),
        crossref=joined,
    )


def _apply_baseline(
    findings: Sequence[Finding],
    baseline: tuple[str, dict[str, Any]],
    rows: Sequence[RuleRow],
    not_evaluated: Sequence[NotEvaluated],
    gaps: Sequence[dict[str, str]],
    inventory: Inventory,
) -> dict[str, Any]:
    """``triage.apply_baseline`` over the merged run: findings marked new or unchanged,
    and the known findings gone, fixed or (with the reason) not re-checked, judged from
    the merged report as ``diff`` judges a report (no graph)."""
    from .triage import Rechecked, baseline_entry, split_missing

    path, doc = baseline
    known = {e["fingerprint"]: e for e in doc["findings"] if not e.get("suppression")}
    for f in findings:
        f.baseline = "unchanged" if f.fingerprint in known else "new"
    current = {f.fingerprint for f in findings}
    missing = [baseline_entry(e) for fp, e in known.items() if fp not in current]
    merged = {
        "rules": [r.as_dict() for r in rows],
        "not_evaluated": [
            {"rule_id": n.rule_id, "resource_id": n.resource_id} for n in not_evaluated
        ],
        "coverage": {"gaps": list(gaps)},
        "inventory": {"subscriptions": inventory.subscriptions},
    }
    fixed, unverified = split_missing(missing, Rechecked.of_report(merged))
    return {
        "path": path,
        "new": sum(1 for f in findings if f.baseline == "new"),
        "unchanged": sum(1 for f in findings if f.baseline == "unchanged"),
        "fixed": fixed,
        "unverified": unverified,
    }


def merge_files(
    paths: Sequence[str],
    rules: Sequence[Rule],
    fail_on: str | None = None,
    sarif_category: str | None = None,
    baseline: str | None = None,
) -> ReportView:
    """Read, check and merge the reports at ``paths``, then apply ``baseline`` (a baseline
    file or an earlier JSON report) to the whole (InputError on the first problem)."""
    blank = next((p for p in paths if not p.strip()), None)
    if blank is not None:  # an unset variable: not the current folder
        raise InputError(repr(blank), "needs a report file path, got an empty value")
    reports = [read(p) for p in paths]
    check(paths, reports, rules, fail_on)
    known = None
    if baseline is not None:
        from .triage import read_report

        known = (baseline, read_report(baseline, "baseline"))
    return merge(paths, reports, rules, fail_on, sarif_category, known)
