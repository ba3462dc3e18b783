"""The report view: everything a report shows, decided once from the run.

The verdict, the gate's words, the counts, the coverage, each rule's status and the triage
accounts used to be worked out by each renderer again, and copies drift: one format said
"pass" while another said "incomplete". :func:`build` decides them once; the renderers
(``json_report``, ``terminal``, ``sarif``, ``junit``, ``markdown``, ``html_report``,
``csv_report``, ``ndjson``) take a :class:`ReportView` and only format it.

A view is a snapshot: build it after triage has marked the findings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import __version__, arm
from ..findings import SEVERITIES, SEVERITY_RANK, Finding, NotEvaluated
from ..model import KIND_OF_TYPE

if TYPE_CHECKING:
    from ..core import Run
    from ..crossref import CrossReference
    from ..graph import AuditGraph
    from ..rules import Rule

Verdict = Literal["fail", "incomplete", "ungated", "pass"]
SubjectState = Literal["fail", "not-evaluated", "suppressed", "pass"]


# Entries of one finding's also_flagged_by that CSV, HTML, SARIF and NDJSON carry: a resource
# flagged thousands of times must not make a cell, a result or a line unreadable (the JSON
# report keeps every entry).
MAX_FLAGS = 20


def _as_dict(obj: Any) -> dict[str, Any]:
    """A flat dataclass as a dict in field order (no deep copy, unlike ``asdict``)."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


@dataclass(frozen=True)
class Gate:
    """What ``--fail-on`` decided, and the one verdict every format shows."""

    fail_on: str
    verdict: Verdict
    words: str  # what the gate counts, for "N{words} finding(s)": " new, unsuppressed"
    failing: int  # counting findings at or above fail_on

    @property
    def failed(self) -> bool:
        return self.verdict == "fail"

    @property
    def gated(self) -> bool:
        """False with ``--fail-on none``: no finding decides the exit code."""
        return self.fail_on != "none"


@dataclass(frozen=True)
class Summary:
    """The counts every format shows (the JSON report's ``summary``, in its order)."""

    findings: int
    by_severity: dict[str, int]
    by_category: dict[str, int]  # the fixed categories, zeros included
    not_evaluated: int
    rules_run: int
    rules_not_evaluated: int
    rules_incomplete: int
    suppressed: int
    new: int | None  # None without a baseline
    counted: int
    fail_on: str
    failed: bool
    complete: bool

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True)
class SeverityCount:
    """One severity's findings, split the way the triage sees them."""

    severity: str
    findings: int
    counted: int
    suppressed: int
    new: int
    unchanged: int
    gated: bool  # at or above --fail-on


_RULE_KEYS = (  # the JSON report's rule entry, in its order
    "rule_id",
    "status",
    "severity",
    "category",
    "mcsb",
    "subjects",
    "passed",
    "failed",
    "not_applicable",
    "not_evaluated",
    "reason",
)


@dataclass(frozen=True)
class RuleRow:
    """How one rule fared over the estate."""

    rule_id: str
    title: str  # "" for an outcome whose rule is not among the run's rules
    severity: str
    category: str
    status: str  # pass, fail, incomplete, not-evaluated, not-applicable
    subjects: int
    passed: int
    failed: int
    not_applicable: int
    not_evaluated: int
    reason: str | None  # why the whole rule was not evaluated
    judged: tuple[str, ...]  # ids of the subjects it judged, in estate order
    mcsb: tuple[str, ...] = ()  # the MCSB v1 controls the rule maps to

    def as_dict(self) -> dict[str, Any]:
        """The JSON report's entry."""
        out = {k: getattr(self, k) for k in _RULE_KEYS}
        out["mcsb"] = list(self.mcsb)
        return out


@dataclass(frozen=True)
class SubjectResult:
    """One rule's verdict on one resource it judged (JUnit's test case, for one)."""

    rule_id: str
    resource_id: str
    findings: tuple[Finding, ...]
    unjudged: tuple[NotEvaluated, ...]

    @property
    def state(self) -> SubjectState:
        """fail (a finding not suppressed), not-evaluated, suppressed (every finding an
        accepted risk) or pass. A baselined finding still fails: the resource still fails
        the control; the baseline only changes what the gate counts."""
        if any(f.suppression is None for f in self.findings):
            return "fail"
        if self.unjudged:
            return "not-evaluated"
        return "suppressed" if self.findings else "pass"


@dataclass(frozen=True)
class Coverage:
    """What was not seen or not judged: never a pass."""

    gaps: tuple[dict[str, str], ...]  # inputs not read whole: path, problem
    notes: tuple[dict[str, str], ...]  # collection choices that narrowed the evidence
    rules_not_evaluated: tuple[RuleRow, ...]  # rules that judged nothing, with the reason
    rules_incomplete: tuple[RuleRow, ...]  # rules that could not judge every subject
    not_evaluated: tuple[NotEvaluated, ...]  # every entry, whole-rule ones included
    checks: tuple[NotEvaluated, ...]  # the entries about one resource
    check_resources: int  # distinct resources among the checks
    check_rules: int  # distinct rules among the checks
    complete: bool  # every input read whole and every check evaluated

    @classmethod
    def of(
        cls,
        gaps: tuple[dict[str, str], ...],
        notes: tuple[dict[str, str], ...],
        rows: Sequence[RuleRow],
        not_evaluated: tuple[NotEvaluated, ...],
    ) -> Coverage:
        """The coverage a run's gaps, notes, rule rows and unevaluated checks make: one
        reckoning for a scan's view and for merged partition reports."""
        checks = tuple(n for n in not_evaluated if n.resource_id is not None)
        return cls(
            gaps,
            notes,
            tuple(r for r in rows if r.status == "not-evaluated"),
            tuple(r for r in rows if r.status == "incomplete"),
            not_evaluated,
            checks,
            len({arm.key(n.resource_id or "") for n in checks}),
            len({n.rule_id for n in checks}),
            not gaps and not not_evaluated,
        )


@dataclass(frozen=True)
class BaselineAccount:
    """What ``--baseline`` did (``triage.apply_baseline``'s account)."""

    path: str
    new: int
    unchanged: int
    fixed: tuple[dict[str, Any], ...]  # known findings re-checked and not found
    unverified: tuple[dict[str, Any], ...]  # known findings that could not be re-checked
    document: dict[str, Any]  # the account as triage wrote it: the JSON report's "baseline"


@dataclass(frozen=True)
class SuppressionAccount:
    """What ``--suppressions`` did (``triage.apply_suppressions``' account)."""

    path: str
    as_of: str  # the date expiry was judged on
    entries: int
    suppressed: int
    expired: tuple[dict[str, Any], ...]
    stale: tuple[dict[str, Any], ...]
    unchecked: tuple[dict[str, Any], ...]  # not checked for staleness, with the reason
    document: dict[str, Any]
    match_all: tuple[dict[str, Any], ...] = ()  # entries that cover every finding: warned


@dataclass(frozen=True)
class InputFile:
    """One input file as the report lists it."""

    path: str
    format: str
    rows: int
    collections: list[str] | None
    metadata: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The JSON report's entry: collections and metadata for a snapshot and a
        Terraform input (its provider version and what it did not model)."""
        out: dict[str, Any] = {"path": self.path, "format": self.format, "rows": self.rows}
        if self.format == "snapshot":
            out |= {"collections": self.collections, "snapshot": self.metadata}
        elif "terraform" in self.metadata:
            out |= {"collections": self.collections, "terraform": self.metadata["terraform"]}
        return out


@dataclass(frozen=True)
class Inventory:
    """What the estate holds (the JSON report's ``inventory``, in its order)."""

    rows_read: int
    resources: int
    duplicates_merged: int
    collections: list[str]
    subscriptions: list[str]
    by_type: dict[str, int]
    unknown_types: dict[str, int]
    referenced_not_seen: list[dict[str, Any]]  # ids the estate references but lacks

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True)
class ReportView:
    """Everything a report shows, decided once (:func:`build`). Renderers format it."""

    tool_version: str
    generated_at: str
    sarif_category: str | None
    gate: Gate
    summary: Summary
    severities: tuple[SeverityCount, ...]  # most severe first
    severity_totals: SeverityCount  # the columns' sums (severity "total")
    findings_by_category: dict[str, int]  # every category present, by name
    findings: tuple[Finding, ...]  # in the result's order (severity, rule, resource)
    new_findings: tuple[Finding, ...]  # with a baseline: the ones it did not know
    rule_rows: tuple[RuleRow, ...]  # by rule id
    rule_statuses: dict[str, int]  # status -> rules
    coverage: Coverage
    baseline: BaselineAccount | None
    suppressions: SuppressionAccount | None
    inventory: Inventory
    inputs: tuple[InputFile, ...]
    rules: tuple[Rule, ...]  # the rules that ran (their metadata: titles, help, links)
    graph: AuditGraph = field(repr=False)  # the topology, for the network drawing and names
    # what Azure Policy and Defender for Cloud flag too (crossref.py); None: not computed
    crossref: CrossReference | None = None

    @property
    def triaged(self) -> bool:
        """Whether a baseline or a suppression file shaped what counts."""
        return self.baseline is not None or self.suppressions is not None

    @cached_property
    def _by_subject(
        self,
    ) -> tuple[dict[tuple[str, str], list[Finding]], dict[tuple[str, str], list[NotEvaluated]]]:
        """Findings and checks by (rule, resource key); built on first use, so a view that
        no per-subject report (JUnit) renders does not pay for it."""
        found: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for f in self.findings:
            found[(f.rule_id, arm.key(f.resource_id))].append(f)
        unjudged: dict[tuple[str, str], list[NotEvaluated]] = defaultdict(list)
        for n in self.coverage.checks:
            unjudged[(n.rule_id, arm.key(n.resource_id or ""))].append(n)
        return found, unjudged

    @cached_property
    def _rules_with_subjects(self) -> frozenset[str]:
        """The rules with a finding or a check on some resource (``subjects`` need not
        look the others' resources up)."""
        found, unjudged = self._by_subject
        return frozenset(rule for rule, _ in (*found, *unjudged))

    @cached_property
    def source_root(self) -> Path:
        """The repository root source files are named from (found once per view)."""
        from .location import repository_root  # only the formats that show places

        return repository_root()

    def where(self, source: dict[str, Any] | None) -> str | None:
        """A finding's ``location`` as ``file:line`` relative to the repository root, or
        None (not source-code input). Plain text: the renderer escapes it."""
        from .location import where

        return where(source, self.source_root)

    def node(self, rid: str, rtype: str | None = None) -> str:
        """The graph key of the resource a report names by ``rid``: an ARM id, or a
        Terraform address (``Estate.key_of``)."""
        return self.graph.estate.key_of(rid, rtype)

    def source_of(self, k: str) -> str | None:
        """For the graph node ``k`` of a resource from source code: its Terraform address
        and ``file:line``; None for a resource read from Azure."""
        origin = self.graph.estate.origins.get(k)
        if origin is None:
            return None
        where = self.where({"file": origin.file, "line": origin.line})
        return f"{origin.address} at {where}" if where else origin.address

    def addressed(self, rid: str) -> bool:
        """Whether ``rid`` is the Terraform address of a resource of this estate."""
        if rid.startswith("/"):
            return False
        estate = self.graph.estate
        origin = estate.origins.get(estate.key_of(rid))
        return origin is not None and origin.address == rid

    def declared(self, rid: str) -> dict[str, Any] | None:
        """``{"file", "line"}`` of the block that declares the resource a Terraform address
        names (as the reader named the file); None for an ARM id or an unknown place (a
        plan holds no lines)."""
        if not self.addressed(rid):
            return None
        estate = self.graph.estate
        origin = estate.origins[estate.key_of(rid)]
        if origin.file is None:
            return None
        return {"file": origin.file, "line": origin.line}

    def scope_of(self, rid: str, rtype: str | None = None) -> tuple[str, str, str]:
        """Tenant, subscription and resource group of the resource a report names by
        ``rid``: its row's fields when the estate holds it, else what an ARM id spells ("" for
        what neither says: a Terraform address spells nothing)."""
        row = self.graph.estate.rows.get(self.node(rid, rtype)) or {}
        tenant = row.get("tenantId") or ""
        subscription = row.get("subscriptionId") or arm.segment(rid, "subscriptions") or ""
        group = row.get("resourceGroup") or arm.segment(rid, "resourceGroups") or ""
        return str(tenant), str(subscription), str(group)

    @cached_property
    def tenants(self) -> list[str]:
        """The tenants the estate's rows name, sorted."""
        rows = self.graph.estate.rows.values()
        return sorted({str(r["tenantId"]) for r in rows if r.get("tenantId")})

    def subjects(self, row: RuleRow) -> list[SubjectResult]:
        """The rule's verdict on each resource it judged, in estate order."""
        found, unjudged = self._by_subject
        if row.rule_id not in self._rules_with_subjects:  # no finding, no check: all pass
            return [SubjectResult(row.rule_id, rid, (), ()) for rid in row.judged]
        out = []
        for rid in row.judged:
            key = (row.rule_id, arm.key(rid))
            out.append(
                SubjectResult(
                    row.rule_id, rid, tuple(found.get(key, ())), tuple(unjudged.get(key, ()))
                )
            )
        return out


def build(run: Run) -> ReportView:
    """The view of a run (after triage). Linear in findings, checks and rules."""
    result, estate, graph = run.result, run.graph.estate, run.graph
    findings = tuple(result.findings)
    failing = len(result.failing(run.fail_on))
    gaps, notes = tuple(estate.gaps), tuple(estate.notes)
    not_evaluated = tuple(result.not_evaluated)
    verdict = _verdict(failing, bool(gaps or not_evaluated), run.fail_on, bool(findings))
    gate = Gate(run.fail_on, verdict, _words(run), failing)
    titles = {r.id: r.spec.title for r in run.rules}
    controls = {r.id: tuple(r.spec.mcsb) for r in run.rules}
    rows = tuple(
        RuleRow(
            o.rule_id,
            titles.get(o.rule_id, ""),
            o.severity,
            o.category,
            o.status,
            o.subjects,
            o.passed,
            o.failed,
            o.not_applicable,
            o.not_evaluated,
            o.reason,
            tuple(o.judged),
            controls.get(o.rule_id, ()),
        )
        for o in result.outcomes
    )
    new = tuple(f for f in findings if f.baseline == "new")
    severities, totals = _severities(findings, run.fail_on)
    coverage = Coverage.of(gaps, notes, rows, not_evaluated)
    summary = Summary(
        findings=len(findings),
        by_severity=result.counts_by_severity(),
        by_category=result.counts_by_category(),
        not_evaluated=len(not_evaluated),
        rules_run=len(rows),
        rules_not_evaluated=len(coverage.rules_not_evaluated),
        rules_incomplete=len(coverage.rules_incomplete),
        suppressed=sum(1 for f in findings if f.suppression),
        new=len(new) if run.baseline else None,
        counted=sum(1 for f in findings if f.counts),
        fail_on=run.fail_on,
        failed=gate.failed,
        complete=coverage.complete,
    )
    return ReportView(
        tool_version=__version__,
        generated_at=run.generated_at,
        sarif_category=run.sarif_category,
        gate=gate,
        summary=summary,
        severities=severities,
        severity_totals=totals,
        findings_by_category=dict(sorted(Counter(f.category for f in findings).items())),
        findings=findings,
        new_findings=new,
        rule_rows=rows,
        rule_statuses=dict(Counter(r.status for r in rows)),
        coverage=coverage,
        baseline=_baseline(run.baseline),
        suppressions=_suppressions(run.suppressions),
        inventory=_inventory(graph),
        inputs=tuple(
            InputFile(s.path, s.format, s.rows, s.collections, s.metadata) for s in estate.sources
        ),
        rules=tuple(run.rules),
        graph=graph,
        crossref=run.crossref,
    )


def _verdict(failing: int, incomplete: bool, fail_on: str, findings: bool) -> Verdict:
    """fail, incomplete, ungated (``--fail-on none`` with findings) or pass. A scan with
    coverage gaps or checks it could not evaluate is never a pass."""
    if failing:
        return "fail"
    if incomplete:
        return "incomplete"
    if fail_on == "none" and findings:
        return "ungated"
    return "pass"


def _words(run: Run) -> str:
    """What the gate counts: only new findings with a baseline, only unsuppressed ones
    with a suppression file."""
    words = [w for w, used in (("new", run.baseline), ("unsuppressed", run.suppressions)) if used]
    return " " + ", ".join(words) if words else ""


def _severities(
    findings: tuple[Finding, ...], fail_on: str
) -> tuple[tuple[SeverityCount, ...], SeverityCount]:
    """Each severity's counts (most severe first), and their totals."""
    total = Counter(f.severity for f in findings)
    counted = Counter(f.severity for f in findings if f.counts)
    suppressed = Counter(f.severity for f in findings if f.suppression)
    new = Counter(f.severity for f in findings if f.baseline == "new")
    unchanged = Counter(f.severity for f in findings if f.baseline == "unchanged")
    limit = SEVERITY_RANK.get(fail_on, -1)  # "none": no severity gates
    rows = tuple(
        SeverityCount(
            s, total[s], counted[s], suppressed[s], new[s], unchanged[s], SEVERITY_RANK[s] <= limit
        )
        for s in SEVERITIES
    )
    sums = SeverityCount(
        "total",
        total.total(),
        counted.total(),
        suppressed.total(),
        new.total(),
        unchanged.total(),
        False,
    )
    return rows, sums


def _baseline(b: dict[str, Any] | None) -> BaselineAccount | None:
    if b is None:
        return None
    return BaselineAccount(
        str(b.get("path", "")),
        int(b.get("new", 0)),
        int(b.get("unchanged", 0)),
        tuple(b.get("fixed", ())),
        tuple(b.get("unverified", ())),
        b,
    )


def _suppressions(s: dict[str, Any] | None) -> SuppressionAccount | None:
    if s is None:
        return None
    return SuppressionAccount(
        str(s.get("path", "")),
        str(s.get("as_of", "")),
        int(s.get("entries", 0)),
        int(s.get("suppressed", 0)),
        tuple(s.get("expired", ())),
        tuple(s.get("stale", ())),
        tuple(s.get("unchecked", ())),
        s,
        tuple(s.get("match_all", ())),
    )


def _inventory(graph: AuditGraph) -> Inventory:
    estate = graph.estate
    counts = estate.type_counts()
    by_type = {t: counts[t] for t in sorted(counts)}
    return Inventory(
        rows_read=estate.rows_read,
        resources=len(estate.rows),
        duplicates_merged=estate.duplicates_merged,
        collections=sorted(estate.collections()),
        subscriptions=estate.subscriptions(),
        by_type=by_type,
        unknown_types={t: n for t, n in by_type.items() if t not in KIND_OF_TYPE},
        referenced_not_seen=graph.placeholders(),
    )
