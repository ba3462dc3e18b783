"""Stage 4b: what the findings mean for the team that owns the estate.

Suppressions are accepted risks (a YAML file: which findings, why, until when); a baseline is
the set of findings a team already knows, so that only new ones fail a gate; a diff compares
two reports. All three identify a finding by its fingerprint (``findings.fingerprint``), and
none of them hides anything: suppressed and known findings stay in every report, marked.

A finding the baseline knew but this scan did not report is *fixed* only when the scan could
have reported it: when its rule was not run or not evaluated there, or its resource was not
seen by an incomplete scan, it is *unverified* — fail closed.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import arm
from .files import InputError, read_json
from .findings import SEVERITY_RANK, AuditResult, Finding, Severity

if TYPE_CHECKING:  # validate reads suppressions and baselines without a graph (networkx)
    from .graph import AuditGraph

BASELINE_FORMAT = "mlops-audit-baseline"
BASELINE_VERSION = 1


# -- suppressions -------------------------------------------------------------------------
class _Entry(BaseModel):
    """One suppression: what it covers (at least one selector) and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str | None = Field(default=None, min_length=1)
    resource: str | None = Field(default=None, min_length=1)
    related: str | None = Field(default=None, min_length=1)
    tag: str | None = Field(default=None, min_length=1)
    justification: str = Field(min_length=1)
    expires: dt.date | None = None
    owner: str | None = None

    @model_validator(mode="after")
    def _selects_something(self) -> _Entry:
        if not (self.rule or self.resource or self.related or self.tag):
            raise ValueError("needs at least one of rule, resource, related, tag")
        for name in ("rule", "resource", "related", "tag", "justification"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                raise ValueError(f"{name} must not be blank")
        if self.tag is not None and not self.tag.partition("=")[0].strip():
            raise ValueError("tag needs a name: 'name=value' or 'name'")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(default=1, ge=1, le=1)
    suppressions: list[_Entry]


def _glob(pattern: str) -> re.Pattern[str]:
    """A case-insensitive glob (``*`` also crosses ``/``, so ``*/rg-build/*`` works),
    compared with ids the way ``arm.key`` normalises them. The pattern also matches its
    own text literally: a Terraform address's ``[0]`` or ``["pe"]`` would otherwise be a
    character class, and an entry copied from a report must select that resource."""
    key = arm.key(pattern)
    return re.compile(f"(?:{re.escape(key)}\\Z|{fnmatch.translate(key)})")


# ARM ids of every shape: a resource glob that matches them all matches any resource
_ANY_IDS = tuple(
    arm.key(i)
    for i in (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-a/providers/"
        "Microsoft.Storage/storageAccounts/st1",
        "/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/Z_9/providers/"
        "Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net/A/x",
        "/subscriptions/1",
        "/x",
    )
)


@dataclass
class Suppression:
    """A loaded suppression entry, ``label`` = ``file#n`` (its 1-based place in the file)."""

    label: str
    entry: _Entry
    rule: re.Pattern[str] | None
    resource: re.Pattern[str] | None
    related: re.Pattern[str] | None
    tag: tuple[str, str | None] | None
    matched: list[str] = field(default_factory=list)  # fingerprints

    def active(self, today: dt.date) -> bool:
        return self.entry.expires is None or today <= self.entry.expires

    def covers(self, finding: Finding, tags: dict[str, Any]) -> bool:
        if self.rule and not self.rule.match(finding.rule_id.lower()):
            return False
        if self.resource and not self.resource.match(arm.key(finding.resource_id)):
            return False
        if self.related and not (
            finding.related_id and self.related.match(arm.key(finding.related_id))
        ):
            return False
        if self.tag:
            name, value = self.tag
            found = [v for k, v in tags.items() if k.lower() == name]
            if not found or (value is not None and str(found[0]) != value):
                return False
        return True

    def matches_all(self, rule_ids: list[str]) -> bool:
        """The entry covers every finding: no related or tag selector, a rule glob that
        matches every rule the scan ran and a resource glob that matches any ARM id —
        judged by what the globs match, so ``?*``, ``MLA-*`` or ``/*`` count as ``*``.
        Accepted (a team may mean it), but every report and stderr warn, since no finding
        can then fail the gate."""
        if self.related or self.tag:
            return False
        if self.rule and not all(self.rule.match(r.lower()) for r in rule_ids):
            return False
        return self.resource is None or all(self.resource.match(p) for p in _ANY_IDS)

    def describe(self) -> dict[str, Any]:
        e = self.entry
        return {
            "entry": self.label,
            "rule": e.rule,
            "resource": e.resource,
            "related": e.related,
            "tag": e.tag,
            "justification": e.justification,
            "expires": e.expires.isoformat() if e.expires else None,
            "owner": e.owner,
            "matches": len(self.matched),
        }


def load_suppressions(path: str | Path) -> list[Suppression]:
    """Read a suppression file; a bad one raises InputError (one line, exit 2)."""
    from .rules import read_yaml

    f = Path(path)
    data = read_yaml(f, "suppression file ('suppressions:' with entries)")
    if data is None:
        raise InputError(f, "no entries (expected 'suppressions:' with entries)")
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        raise InputError(f, _problem(exc, "suppressions", "entry")) from None
    out = []
    for n, entry in enumerate(parsed.suppressions, 1):
        tag = None
        if entry.tag:
            name, sep, value = entry.tag.partition("=")
            tag = (name.strip().lower(), value.strip() if sep else None)
        out.append(
            Suppression(
                label=f"{path}#{n}",
                entry=entry,
                rule=_glob(entry.rule) if entry.rule else None,
                resource=_glob(entry.resource) if entry.resource else None,
                related=_glob(entry.related) if entry.related else None,
                tag=tag,
            )
        )
    return out


def _problem(exc: ValidationError, list_key: str, item: str) -> str:
    """The first validation error as 'entry 3.expires: …' (1-based, no class names)."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "file"
    where = re.sub(rf"^{list_key}\.(\d+)", lambda m: f"{item} {int(m[1]) + 1}", where)
    message = err["msg"]
    if err["type"] in ("model_type", "model_attributes_type", "dict_type"):
        message = "must be a mapping of fields"
    return f"{where}: {message}"


def apply_suppressions(
    result: AuditResult,
    graph: AuditGraph,
    entries: list[Suppression],
    path: str,
    today: dt.date,
    narrowed: bool = False,
) -> dict[str, Any]:
    """Mark each finding with the first active entry that covers it. An expired entry no
    longer suppresses and is reported; an active one that covers nothing is stale — when
    the scan could have matched it (complete inputs, its rules run and evaluated; with
    ``narrowed``, --select/--skip left rules out); otherwise it is listed as unchecked."""
    for finding in result.findings:
        # a Terraform address names its row's key through the estate's origins
        node = graph.estate.key_of(finding.resource_id, finding.resource_type)
        tags = graph.row(node).get("tags") if graph.has_node(node) else None
        tags = tags if isinstance(tags, dict) else {}
        for s in entries:
            if not s.covers(finding, tags):
                continue
            s.matched.append(finding.fingerprint)
            if finding.suppression is None and s.active(today):
                e = s.entry
                finding.suppression = {
                    "entry": s.label,
                    "justification": e.justification.strip(),
                    "expires": e.expires.isoformat() if e.expires else None,
                    "owner": e.owner,
                }
    evaluated = [o.rule_id.lower() for o in result.outcomes if o.reason is None]
    stale, unchecked = [], []
    for s in entries:
        if not s.active(today) or s.matched:
            continue
        if graph.estate.gaps:
            why = "the scan's inputs are incomplete"
        elif s.rule is not None and not any(s.rule.match(r) for r in evaluated):
            why = "no rule it selects was run and evaluated"
        elif s.rule is None and narrowed:
            why = "the scan ran only some rules (--select/--skip)"
        else:
            stale.append(s.describe())
            continue
        unchecked.append({**s.describe(), "reason": why})
    return {
        "path": path,
        "as_of": today.isoformat(),
        "entries": len(entries),
        "suppressed": sum(1 for f in result.findings if f.suppression),
        "expired": [s.describe() for s in entries if not s.active(today)],
        "stale": stale,
        "unchecked": unchecked,
        "match_all": [
            s.describe() for s in entries if s.matches_all([o.rule_id for o in result.outcomes])
        ],
    }


# -- baselines ----------------------------------------------------------------------------
def baseline_entry(f: dict[str, Any]) -> dict[str, Any]:
    """What a baseline keeps of a finding: its identity and enough to recognise it."""
    keys = (
        "fingerprint",
        "rule_id",
        "severity",
        "resource_id",
        "resource_name",
        "related_id",
        "title",
        "message",
    )
    return {k: f.get(k) for k in keys}


def baseline_document(report: dict[str, Any]) -> dict[str, Any]:
    """A baseline from a JSON report: its findings, sorted by fingerprint (stable diffs)."""
    # suppressed findings stay out: when their suppression expires they must count again
    kept = (baseline_entry(f) for f in report["findings"] if not f.get("suppression"))
    entries = sorted(kept, key=_by_fingerprint)
    return {
        "format": BASELINE_FORMAT,
        "version": BASELINE_VERSION,
        "tool": report["tool"],
        "generated_at": report.get("generated_at"),
        "inputs": [i["path"] for i in report.get("inputs", [])],
        "findings": entries,
    }


def _by_fingerprint(e: dict[str, Any]) -> str:
    return str(e["fingerprint"])


def _report_order(e: dict[str, Any]) -> tuple[int, str, str, str]:
    """Findings' report order: severity first, then rule, resource, related item."""
    rank = SEVERITY_RANK.get(str(e.get("severity")), len(SEVERITY_RANK))
    return (rank, e["rule_id"], arm.key(e["resource_id"]), arm.key(e.get("related_id") or ""))


def read_report_json(f: Path, what: str) -> Any:
    """A report file's JSON (no key read two ways); an NDJSON report, the format readers
    most often confuse with it, is refused saying so rather than as invalid JSON."""
    ndjson = (
        f"is an NDJSON report, not a mlops-audit {what}: expected the JSON report "
        "(--output json:FILE) or a baseline"
    )
    try:
        data = read_json(f, f"mlops-audit {what}", unique_keys=True)
    except InputError as exc:
        if "Extra data" in exc.problem and _starts_as_ndjson(f):
            raise InputError(f, ndjson) from None
        raise
    if isinstance(data, dict) and "RecordType" in data and "RunId" in data:  # its run line
        raise InputError(f, ndjson)
    return data


def _starts_as_ndjson(f: Path) -> bool:
    with f.open("rb") as stream:
        first = stream.readline(1 << 20)
    return b'"RecordType"' in first and b'"RunId"' in first


def read_report(path: str | Path, what: str = "report") -> dict[str, Any]:
    """A mlops-audit JSON report or baseline file, checked enough to use its findings."""
    f = Path(path)
    data = read_report_json(f, what)
    if not isinstance(data, dict) or not (
        data.get("format") == BASELINE_FORMAT
        or (isinstance(data.get("tool"), dict) and data["tool"].get("name") == "mlops-audit")
    ):
        raise InputError(
            f,
            f"not a mlops-audit {what}: expected a JSON report (scan --format json) or a baseline",
        )
    if data.get("format") == BASELINE_FORMAT and data.get("version") != BASELINE_VERSION:
        raise InputError(f, f"baseline version {data.get('version')!r} is not supported")
    if not isinstance(data.get("findings"), list):
        raise InputError(f, "has no 'findings' list")
    try:
        _KnownReport.model_validate(data)
    except ValidationError as exc:
        raise InputError(f, _problem(exc, "findings", "finding")) from None
    return data


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class _KnownFinding(_Loose):
    """What baselines, diffs and the gate read of an earlier finding."""

    fingerprint: str = Field(min_length=1)
    rule_id: str = Field(min_length=1)
    resource_id: str = Field(min_length=1)
    severity: Severity
    resource_name: str | None = None
    related_id: str | None = None
    title: str | None = None
    message: str | None = None
    suppression: dict[str, Any] | None = None


class _RuleRecord(_Loose):
    rule_id: str
    reason: str | None = None


class _NotEvaluatedRecord(_Loose):
    rule_id: str
    resource_id: str | None = None


class _Coverage(_Loose):
    gaps: list[Any] = []


class _Inventory(_Loose):
    subscriptions: list[str] | None = None


class _KnownReport(_Loose):
    findings: list[_KnownFinding]
    rules: list[_RuleRecord] = []
    not_evaluated: list[_NotEvaluatedRecord] = []
    coverage: _Coverage = _Coverage()
    inventory: _Inventory = _Inventory()


class Rechecked:
    """What a scan could have re-checked: used to tell fixed from unverified."""

    def __init__(
        self,
        rules: dict[str, str | None],
        not_evaluated: set[tuple[str, str]],
        incomplete: bool,
        subscriptions: list[str] | None,
        graph: AuditGraph | None = None,
    ) -> None:
        self.rules = rules  # rule id -> reason it was not evaluated (None: it was)
        self.not_evaluated = not_evaluated  # (rule id, resource key)
        self.incomplete = incomplete  # the scan had coverage gaps
        # subscriptions the scan held resources of (None: unknown, an older report)
        self.subscriptions = set(subscriptions) if subscriptions is not None else None
        self.graph = graph  # what the scan saw, when known (a report does not list it)

    @classmethod
    def of_run(cls, result: AuditResult, graph: AuditGraph) -> Rechecked:
        return cls(
            {o.rule_id: o.reason for o in result.outcomes},
            {(n.rule_id, arm.key(n.resource_id)) for n in result.not_evaluated if n.resource_id},
            bool(graph.estate.gaps),
            graph.estate.subscriptions(),
            graph,
        )

    @classmethod
    def of_report(cls, report: dict[str, Any]) -> Rechecked:
        return cls(
            {r["rule_id"]: r.get("reason") for r in report.get("rules", [])},
            {
                (n["rule_id"], arm.key(n["resource_id"]))
                for n in report.get("not_evaluated", [])
                if n.get("resource_id")
            },
            bool(report.get("coverage", {}).get("gaps")),
            report.get("inventory", {}).get("subscriptions"),
        )

    def why_unverified(self, entry: dict[str, Any]) -> str | None:
        """None when the scan would have reported the finding; else why it could not."""
        rule = entry["rule_id"]
        if rule not in self.rules:
            return f"rule {rule} was not run"
        if self.rules[rule] is not None:
            return f"rule {rule} was not evaluated: {self.rules[rule]}"
        key = arm.key(entry["resource_id"])
        if (rule, key) in self.not_evaluated:
            return f"rule {rule} could not judge the resource"
        graph = self.graph
        if graph is not None:  # a Terraform address names its row through the origins
            key = graph.estate.key_of(entry["resource_id"], entry.get("resource_type"))
        if graph is not None and graph.has_node(key) and graph.seen(key):
            return None  # judged again, and no finding
        if self.incomplete:
            return "the scan's inputs are incomplete and the resource was not seen"
        if graph is not None:
            # deleted, or outside a narrower export: this scan cannot tell which
            return "the resource is not in this scan's estate, so its rule did not judge it"
        if not key.startswith("/"):  # a Terraform address: a report lists no addresses
            return "the report does not list the Terraform resources its scan judged"
        # not in the estate: gone, if the scan covered the resource's subscription
        subscription = arm.segment(key, "subscriptions")
        if self.subscriptions is None:
            return "the report does not say which subscriptions the scan covered"
        if subscription not in self.subscriptions:
            return f"subscription {subscription} was not in the scan"
        return None


def split_missing(
    missing: list[dict[str, Any]], rechecked: Rechecked
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Known findings not reported now: (fixed, unverified with a reason)."""
    fixed, unverified = [], []
    for entry in sorted(missing, key=_report_order):
        reason = rechecked.why_unverified(entry)
        if reason is None:
            fixed.append(entry)
        else:
            unverified.append({**entry, "reason": reason})
    return fixed, unverified


def apply_baseline(
    result: AuditResult, graph: AuditGraph, baseline: dict[str, Any], path: str
) -> dict[str, Any]:
    """Mark findings new or unchanged; list the baseline's findings that are gone. A
    finding that was suppressed when the baseline was taken is not known: once its
    suppression ends it counts as new."""
    known = {e["fingerprint"]: e for e in baseline["findings"] if not e.get("suppression")}
    current = set()
    for f in result.findings:
        f.baseline = "unchanged" if f.fingerprint in known else "new"
        current.add(f.fingerprint)
    missing = [baseline_entry(e) for fp, e in known.items() if fp not in current]
    fixed, unverified = split_missing(missing, Rechecked.of_run(result, graph))
    return {
        "path": path,
        "new": sum(1 for f in result.findings if f.baseline == "new"),
        "unchanged": sum(1 for f in result.findings if f.baseline == "unchanged"),
        "fixed": fixed,
        "unverified": unverified,
    }


# -- diff of two reports --------------------------------------------------------------------
def diff_reports(
    old: dict[str, Any], new: dict[str, Any], old_path: str, new_path: str
) -> dict[str, Any]:
    """New, fixed, unverified and unchanged findings between two reports (or an old
    baseline and a new report). Lists are in the reports' own order (severity first)."""
    old_by_fp = {f["fingerprint"]: f for f in old["findings"]}
    new_fps = {f["fingerprint"] for f in new["findings"]}
    added = [f for f in new["findings"] if f["fingerprint"] not in old_by_fp]
    unchanged = [f for f in new["findings"] if f["fingerprint"] in old_by_fp]
    missing = [baseline_entry(f) for fp, f in old_by_fp.items() if fp not in new_fps]
    if new.get("format") == BASELINE_FORMAT:
        fixed, unverified = (
            [],
            [{**e, "reason": "the newer side is a baseline, not a scan"} for e in missing],
        )
    else:
        fixed, unverified = split_missing(missing, Rechecked.of_report(new))
    coverage = new.get("coverage", {})
    return {
        "old": old_path,
        "new": new_path,
        "summary": {
            "new": len(added),
            "fixed": len(fixed),
            "unverified": len(unverified),
            "unchanged": len(unchanged),
            "new_suppressed": sum(1 for f in added if f.get("suppression")),
            # the newer scan could not see part of its scope: not a clean bill
            "new_report_gaps": len(coverage.get("gaps", [])),
            "new_report_complete": bool(new.get("summary", {}).get("complete", False)),
        },
        "new_findings": added,
        "fixed_findings": fixed,
        "unverified_findings": unverified,
        "unchanged_findings": unchanged,
    }
