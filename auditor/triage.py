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
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import arm
from .findings import SEVERITY_RANK, AuditResult, Finding
from .graph import AuditGraph
from .snapshot import InputError, read_json

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
        if not self.justification.strip():
            raise ValueError("justification must not be blank")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(default=1, ge=1, le=1)
    suppressions: list[_Entry]


def _glob(pattern: str) -> re.Pattern[str]:
    """A case-insensitive glob (``*`` also crosses ``/``, so ``*/rg-build/*`` works)."""
    return re.compile(fnmatch.translate(pattern.strip().lower()))


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
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "file"
        where = re.sub(r"^suppressions\.(\d+)", lambda m: f"entry {int(m[1]) + 1}", where)
        raise InputError(f, f"{where}: {err['msg']}") from None
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


def apply_suppressions(
    result: AuditResult,
    graph: AuditGraph,
    entries: list[Suppression],
    path: str,
    today: dt.date,
) -> dict[str, Any]:
    """Mark each finding with the first active entry that covers it. An expired entry no
    longer suppresses and is reported; an active one that covers nothing is stale."""
    for finding in result.findings:
        node = arm.key(finding.resource_id)
        tags = graph.row(node).get("tags") if node in graph.g else None
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
    return {
        "path": path,
        "as_of": today.isoformat(),
        "entries": len(entries),
        "suppressed": sum(1 for f in result.findings if f.suppression),
        "expired": [s.describe() for s in entries if not s.active(today)],
        "stale": [s.describe() for s in entries if s.active(today) and not s.matched],
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
    entries = sorted((baseline_entry(f) for f in report["findings"]), key=_by_fingerprint)
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


def read_report(path: str | Path, what: str = "report") -> dict[str, Any]:
    """A mlops-audit JSON report or baseline file, checked enough to use its findings."""
    f = Path(path)
    data = read_json(f, f"mlops-audit {what}")
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
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise InputError(f, "has no 'findings' list")
    for n, item in enumerate(findings, 1):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("fingerprint"), str)
            and isinstance(item.get("rule_id"), str)
            and isinstance(item.get("resource_id"), str)
        ):
            raise InputError(f, f"finding {n} lacks a fingerprint, rule_id or resource_id")
    return data


class Rechecked:
    """What a scan could have re-checked: used to tell fixed from unverified."""

    def __init__(
        self,
        rules: dict[str, str | None],
        not_evaluated: set[tuple[str, str]],
        incomplete: bool,
        graph: AuditGraph | None = None,
    ) -> None:
        self.rules = rules  # rule id -> reason it was not evaluated (None: it was)
        self.not_evaluated = not_evaluated  # (rule id, resource key)
        self.incomplete = incomplete  # the scan had coverage gaps
        self.graph = graph  # what the scan saw, when known (a report does not list it)

    @classmethod
    def of_run(cls, result: AuditResult, graph: AuditGraph) -> Rechecked:
        return cls(
            {o.rule_id: o.reason for o in result.outcomes},
            {(n.rule_id, arm.key(n.resource_id)) for n in result.not_evaluated if n.resource_id},
            bool(graph.estate.gaps),
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
        if self.incomplete:
            graph = self.graph
            if graph is None or key not in graph.g or not graph.seen(key):
                return "the scan's inputs are incomplete and the resource was not seen"
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
    """Mark findings new or unchanged; list the baseline's findings that are gone."""
    known = {e["fingerprint"]: e for e in baseline["findings"]}
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
    return {
        "old": old_path,
        "new": new_path,
        "summary": {
            "new": len(added),
            "fixed": len(fixed),
            "unverified": len(unverified),
            "unchanged": len(unchanged),
        },
        "new_findings": added,
        "fixed_findings": fixed,
        "unverified_findings": unverified,
        "unchanged_findings": unchanged,
    }
