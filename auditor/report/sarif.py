"""SARIF 2.1.0 for GitHub code scanning and the Azure DevOps SARIF viewers.

Findings are about Azure resources, not source files, yet GitHub rejects a whole file when
one result lacks a physical location. So every location here is a *pseudo-path*: the
lower-cased ARM id without its leading ``/``, each segment percent-encoded, at line 1; the id
as the input spelled it rides along as a logical location and in the result's properties.
Each result carries its own ``primaryLocationLineHash`` (the finding's fingerprint), so
upload-sarif never has to hash a file that does not exist, and two findings on one resource
never collapse into one alert.

A finding of source-code input (Terraform) has a real place instead: the file relative to
the repository root (``uriBaseId`` ``%SRCROOT%``, segments percent-encoded) at the line that
decides, so GitHub annotates that line of the pull request; its Terraform address is the
logical location. A file outside the repository root keeps the pseudo-path: GitHub rejects
a whole file with an absolute ``file:`` uri it cannot place under the checkout (the GH1006
rule of Microsoft's validator), and such a file cannot be annotated anyway; the result's
``properties.location`` still names it.

GitHub's limits are enforced here (results per run, gzip size, rule name and description
lengths, tags, locations): when results must go, the most severe stay and the file says
what is missing. Part of the estate that was not read or not judged is reported as tool
execution notifications, so a reader of the SARIF alone sees that silence is not a pass.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .. import arm
from ..findings import SEVERITIES, SEVERITY_RANK, Finding
from ..model import KIND_OF_TYPE
from . import location, safe
from .json_report import plain
from .view import MAX_FLAGS, ReportView

if TYPE_CHECKING:
    from ..findings import NotEvaluated
    from ..rules import Rule, RuleSpec

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"  # what GitHub's docs use
SARIF_VERSION = "2.1.0"
TOOL_NAME = "mlops-audit"
FINGERPRINT_KEY = "mlopsAuditFindingId/v1"  # versioned: a new identity recipe gets /v2

# GitHub code scanning's limits (docs: code-security/reference/code-scanning/sarif-files).
MAX_RESULTS = 25_000  # results per run; the file is rejected above it
# a result's alsoFlaggedBy entries (same checks first; the count says how many in all): a
# resource under a large initiative is flagged hundreds of times, and Azure's list must not
# cost this tool's results their place under the gzip budget (the JSON report has them all)
MAX_GZIP_BYTES = 10_000_000  # "10 MB" gzip-compressed, read as 10^7 (the stricter reading)
# What render() aims for: 5% under the limit, measured at zlib's default level 6 (what
# upload-sarif's Node zlib uses), so another compressor's few extra bytes cannot tip it over.
GZIP_BUDGET = 9_500_000
GZIP_LEVEL = 6
MAX_RULE_NAME = 255
MAX_SHORT_DESCRIPTION = 1024
MAX_TAGS = 10  # GitHub accepts 20 but shows only 10
MAX_LOCATIONS = 10  # GitHub uses the first; it recommends at most 10
# Per-item notifications (checks not evaluated, baseline findings not re-checked) listed one
# by one; the rest are counted in one summary notification (the JSON report lists them all).
MAX_LISTED = 1000

LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub's bands: >9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low (Trivy's values,
# never exactly 9.0). "info" gets none: 0.0 would mean "no security severity" anyway, and the
# alert then sorts by its level ("note").
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}

# Notification descriptors (tool.driver.notifications), always all of them so that their
# indexes do not depend on the run: (id, level, short description).
NOTIFICATIONS: tuple[tuple[str, str, str], ...] = (
    ("coverage-gap", "error", "Part of the estate was not read; it was not audited."),
    ("coverage-note", "warning", "A collection choice narrowed the evidence the rules had."),
    ("rule-not-evaluated", "warning", "A rule judged nothing: the data it needs is missing."),
    ("check-not-evaluated", "warning", "A rule could not judge a resource or item."),
    ("baseline-unverified", "warning", "A baseline finding could not be re-checked."),
    ("suppression-expired", "warning", "A suppression expired and no longer suppresses."),
    ("suppression-stale", "note", "A suppression matches no finding."),
    ("results-truncated", "error", "Findings were left out to stay within GitHub's limits."),
    ("suppression-matches-all", "warning", "A suppression matches every finding."),
)  # new descriptors go last: a descriptor's index must not change
_NOTE_INDEX = {n[0]: i for i, n in enumerate(NOTIFICATIONS)}
_NOTE_LEVEL = {n[0]: n[1] for n in NOTIFICATIONS}

_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_WORD = re.compile(r"[^\W_]+")
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s")


def render(
    view: ReportView,
    *,
    max_results: int = MAX_RESULTS,
    max_gzip_bytes: int = GZIP_BUDGET,
    max_listed: int = MAX_LISTED,
) -> str:
    """The run as one SARIF log (one run). Results beyond ``max_results``, or beyond what
    fits in ``max_gzip_bytes`` gzip-compressed, are left out, least severe first, and the
    log says how many and which severities."""
    findings = view.findings
    rules = sorted(view.rules, key=lambda r: r.id)
    rule_index = {r.id: i for i, r in enumerate(rules)}
    driver = _driver(rules, view.tool_version)
    places = _Places(view)
    notes = _execution_notifications(view, rule_index, max_listed, places)
    config_notes = _configuration_notifications(view)
    properties = _run_properties(view)
    results = [_result(f, rule_index, places) for f in findings]
    # which findings go first when some must: the most severe; within a severity the ones
    # that count toward --fail-on (not suppressed, not in the baseline) before the rest
    priority = sorted(
        range(len(findings)),
        key=lambda i: (SEVERITY_RANK[findings[i].severity], not findings[i].counts, i),
    )
    keep = min(len(findings), max(max_results, 0))
    while True:
        kept = sorted(priority[:keep])
        truncation = None
        if keep < len(findings):
            dropped = [findings[i] for i in priority[keep:]]
            truncation = _truncation(len(findings), dropped, max_results, max_gzip_bytes)
        doc = _log(
            view,
            driver,
            [results[i] for i in kept],
            notes + ([_truncation_note(truncation)] if truncation else []),
            config_notes,
            {**properties, **({"truncation": truncation} if truncation else {})},
        )
        text = _dump(doc)
        size = _gzip_size(text, max_gzip_bytes)
        if size <= max_gzip_bytes or keep == 0:
            return text
        # shrink in proportion to the overshoot (5% more), then measure again
        keep = min(keep - 1, int(keep * max_gzip_bytes / size * 0.95))


# -- the log ------------------------------------------------------------------------------
def _log(
    view: ReportView,
    driver: dict[str, Any],
    results: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    config_notes: list[dict[str, Any]],
    properties: dict[str, Any],
) -> dict[str, Any]:
    invocation: dict[str, Any] = {
        # the tool ran to its end; what it could not see is in the notifications
        "executionSuccessful": True,
        "startTimeUtc": view.generated_at,
        "endTimeUtc": view.generated_at,
    }
    if notes:
        invocation["toolExecutionNotifications"] = notes
    if config_notes:
        invocation["toolConfigurationNotifications"] = config_notes
    sarif_run: dict[str, Any] = {"tool": {"driver": driver}}
    category = (view.sarif_category or "").strip()
    if category:  # only when asked: its presence makes upload-sarif ignore `category:`
        sarif_run["automationDetails"] = {"id": category}
    sarif_run["invocations"] = [invocation]
    sarif_run["results"] = results
    sarif_run["properties"] = properties
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [sarif_run]}


def _dump(doc: dict[str, Any]) -> str:
    """The one place text leaves: JSON escapes quotes and controls; a lone surrogate (which
    JSON input can carry but UTF-8 cannot) becomes U+FFFD so the file can be written."""
    text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False, default=plain) + "\n"
    return safe.utf8(text)


def _gzip_size(text: str, budget: int) -> int:
    """The gzip-compressed size, or the raw size when that alone proves it fits (gzip adds
    at most ~5 bytes per 16 KiB block and an 18-byte frame to incompressible data)."""
    raw = text.encode("utf-8")
    if len(raw) + len(raw) // 1000 + 64 <= budget:
        return len(raw)
    return len(gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0))


# -- rules --------------------------------------------------------------------------------
def _driver(rules: list[Rule], version: str) -> dict[str, Any]:
    # No informationUri: the tool has no public home page, and a Microsoft article there
    # would pass for the tool's documentation. Each rule links its own references.
    return {
        "name": TOOL_NAME,
        "semanticVersion": version,
        "version": version,
        "rules": [_rule(r) for r in rules],
        "notifications": [
            {
                "id": note_id,
                "name": _camel(note_id),
                "shortDescription": {"text": text},
                "defaultConfiguration": {"level": level},
            }
            for note_id, level, text in NOTIFICATIONS
        ],
    }


def _rule(rule: Rule) -> dict[str, Any]:
    s = rule.spec
    properties: dict[str, Any] = {"tags": _tags(s), "precision": "high"}
    if s.mcsb:
        properties["mcsb"] = list(s.mcsb)
    if s.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[s.severity]
    else:
        properties["problem.severity"] = "recommendation"
    return {
        "id": s.id,
        "name": _camel(s.title)[:MAX_RULE_NAME] or s.id.replace("-", ""),
        "shortDescription": {"text": _clip(s.title.strip(), MAX_SHORT_DESCRIPTION)},
        "fullDescription": {"text": _unwrap(s.rationale)},
        "help": {"text": _help_text(s), "markdown": rule.markdown()},
        "helpUri": s.references[0].url,
        "defaultConfiguration": {"level": LEVEL[s.severity]},
        "properties": properties,
    }


def _camel(text: str) -> str:
    """``Private DNS zone is not linked`` → ``PrivateDNSZoneIsNotLinked`` (acronyms kept)."""
    return "".join(w[:1].upper() + w[1:] for w in _WORD.findall(text))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tags(spec: RuleSpec) -> list[str]:
    """Shown as chips on an alert and searchable (``tag:mcsb/NS-2``: a namespace as in
    CodeQL's ``external/cwe/cwe-079``; a space would split the search term)."""
    tags = ["security", "azure", "mlops", spec.category]
    tags += [f"mcsb/{control}" for control in spec.mcsb]
    tags += [KIND_OF_TYPE.get(t, t) for t in spec.resource_types]
    return list(dict.fromkeys(tags))[:MAX_TAGS]


def _unwrap(text: str) -> str:
    """Prose hard-wrapped in the rule file, as paragraphs of one line each (plain-text
    viewers keep line breaks where Markdown would not); list items keep their own line."""
    paragraphs = []
    for para in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in para.split("\n")]
        joined = lines[0]
        for line in lines[1:]:
            joined += ("\n" if _LIST_ITEM.match(line) else " ") + line
        paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _help_text(s: RuleSpec) -> str:
    lines = [
        _unwrap(s.rationale),
        "",
        f"Severity: {s.severity}. Category: {s.category}. Applies to: "
        + ", ".join(s.resource_types)
        + ".",
        "",
        "How to fix: " + s.remediation.summary.strip(),
        "",
        "Terraform (azurerm):",
        s.remediation.terraform.strip(),
        "",
        "Azure CLI:",
        s.remediation.cli.strip(),
        "",
        "References:",
    ]
    lines += [f"- {ref.title}: {ref.url}" for ref in s.references]
    if s.policy:
        lines += ["", "Azure Policy built-ins:"]
        lines += [f"- {p.name} ({p.id})" for p in s.policy]
    return "\n".join(lines) + "\n"


def _result(f: Finding, rule_index: dict[str, int], places: _Places) -> dict[str, Any]:
    if f.rule_id not in rule_index:
        raise ValueError(f"finding of rule {f.rule_id}, which is not among the run's rules")
    name = f.resource_name or arm.last_name(f.resource_id)
    physical = places.source(f.location)
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index[f.rule_id],
        "level": LEVEL[f.severity],
        "kind": "fail",
        "message": {"text": safe.sarif_message(_names_first(f.message, name))},
        "locations": [_location(f.resource_id, name, physical)][:MAX_LOCATIONS],
        "partialFingerprints": {"primaryLocationLineHash": f"{f.fingerprint}:1"},
        "fingerprints": {FINGERPRINT_KEY: f.fingerprint},
    }
    if f.related_id:
        result["relatedLocations"] = [_related(f, 1, physical, places)][:MAX_LOCATIONS]
    if f.suppression:
        s = f.suppression
        extra = {k: s[k] for k in ("entry", "expires", "owner") if s.get(k) is not None}
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": s["justification"],
                **({"properties": extra} if extra else {}),
            }
        ]
    if f.baseline:
        result["baselineState"] = f.baseline  # "new" | "unchanged"
    properties: dict[str, Any] = {
        "armId": f.resource_id,
        "resourceName": name,
        "resourceType": f.resource_type,
    }
    if f.related_id:
        properties["relatedId"] = f.related_id
    source = places.shown(f.location)
    if source is not None:
        properties["location"] = source
    properties |= {
        "category": f.category,
        "severity": f.severity,
        "title": f.title,
        "remediation": f.remediation,
        "evidence": f.evidence,
    }
    if f.baseline:
        properties["baselineState"] = f.baseline
    if f.also_flagged_by is not None:  # None: no Azure Policy or Defender data was read
        properties["alsoFlaggedBy"] = f.also_flagged_by[:MAX_FLAGS]
        properties["alsoFlaggedByCount"] = len(f.also_flagged_by)
    result["properties"] = properties
    return result


def _names_first(message: str, name: str) -> str:
    """The message, with the resource's name in its first sentence: GitHub shows only the
    first sentence where space is short. Rule messages start with it; make sure."""
    text = message.strip()
    at = text.find(name) if name else -1
    if at >= 0 and not _SENTENCE_END.search(text[:at]):
        return text
    return f"{name}: {text}" if text else name


def pseudo_path(resource_id: str) -> str:
    """The artifact uri of a resource: its lower-cased ARM id without the leading ``/``,
    each segment percent-encoded (a relative reference, one "file" per resource)."""
    segments = arm.key(resource_id).lstrip("/").split("/")
    # a segment of dots would be a dot-segment that URI normalisation folds away
    path = "/".join(
        "%2E" * len(s) if s and not s.strip(".") else quote(s, safe="", errors="replace")
        for s in segments
    )
    return path or "%2F"  # GitHub refuses an empty uri; an id is never empty, but be safe


def _physical(resource_id: str) -> dict[str, Any]:
    return {"artifactLocation": {"uri": pseudo_path(resource_id)}, "region": {"startLine": 1}}


class _Places:
    """Physical locations in the repository, for findings and resources that came from
    source code; the root is found once per render."""

    def __init__(self, view: ReportView) -> None:
        self.root = view.source_root
        self.view = view

    def source(self, where: dict[str, Any] | None) -> dict[str, Any] | None:
        """The file (relative to the repository root) and line of ``where`` (a finding's
        ``location``); None without one, or for a file outside the repository. A file
        without a known line is placed at line 1 (GitHub needs a start line)."""
        got = location.of(where)
        if got is None:
            return None
        file, line = got
        path = location.source_path(file, self.root)
        if not path.inside:
            return None
        return {
            "artifactLocation": {"uri": location.uri(path), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": line or 1},
        }

    def shown(self, where: dict[str, Any] | None) -> dict[str, Any] | None:
        """``{"file", "line"}`` as the other formats show it (for ``properties``)."""
        got = location.of(where)
        if got is None:
            return None
        return {"file": location.source_path(got[0], self.root).path, "line": got[1]}

    def block(self, rid: str) -> dict[str, Any] | None:
        """Where the resource a Terraform address names is declared, if that is known."""
        return self.source(self.view.declared(rid))


def _location(
    resource_id: str, name: str, physical: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A resource's location: its place in the source when known, else its pseudo-path;
    the logical location is its id (a Terraform address for source-code input)."""
    return {
        "physicalLocation": physical or _physical(resource_id),
        "logicalLocations": [{"name": name, "fullyQualifiedName": resource_id, "kind": "resource"}],
    }


def _related(
    f: Finding, location_id: int, physical: dict[str, Any] | None, places: _Places
) -> dict[str, Any]:
    """The related item as a location. An ARM id (a VNet, a peering) is its own pseudo-path,
    a Terraform address its block in the source; anything else (a port, a zone a group id
    needs) lives inside the finding's resource, so it gets that resource's place
    (``physical``, else its path): every location in the file has a physical one."""
    related = str(f.related_id)
    declared = places.block(related)
    is_resource = related.startswith("/") or places.view.addressed(related)
    name = arm.last_name(related) if related.startswith("/") else related
    if declared is None:
        declared = _physical(related) if is_resource else physical or _physical(f.resource_id)
    return {
        "id": location_id,
        "physicalLocation": declared,
        "logicalLocations": [
            {
                "name": name,
                "fullyQualifiedName": related,
                "kind": "resource" if is_resource else "value",
            }
        ],
        "message": {"text": safe.sarif_message(f"Related: {name}")},
    }


# -- what the run did not see or judge -----------------------------------------------------
def _note(
    note_id: str,
    text: str,
    *,
    rule: tuple[str, int] | None = None,
    location: dict[str, Any] | None = None,
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    note: dict[str, Any] = {
        "level": _NOTE_LEVEL[note_id],
        "message": {"text": safe.sarif_message(text)},
        "descriptor": {"id": note_id, "index": _NOTE_INDEX[note_id]},
    }
    if rule is not None:
        note["associatedRule"] = {"id": rule[0], "index": rule[1]}
    if location is not None:
        note["locations"] = [location]
    if properties:
        note["properties"] = properties
    return note


def _rule_ref(rule_id: str, rule_index: dict[str, int]) -> tuple[str, int] | None:
    return (rule_id, rule_index[rule_id]) if rule_id in rule_index else None


def _execution_notifications(
    view: ReportView, rule_index: dict[str, int], max_listed: int, places: _Places
) -> list[dict[str, Any]]:
    """Coverage gaps, narrowed evidence, rules and checks not evaluated, and baseline
    findings that could not be re-checked: fail closed, in the SARIF too."""
    coverage = view.coverage
    notes = [
        _note(
            "coverage-gap",
            _sentence(f"Part of the estate was not read ({gap['path']}): {gap['problem']}")
            + " Resources there were not audited; their absence from the results is not a pass.",
            properties={"path": gap["path"], "problem": gap["problem"]},
        )
        for gap in coverage.gaps
    ]
    notes += [
        _note(
            "coverage-note",
            _sentence(f"{n['path']}: {n['note']}"),
            properties={"path": n["path"], "note": n["note"]},
        )
        for n in coverage.notes
    ]
    for r in coverage.rules_not_evaluated:
        notes.append(
            _note(
                "rule-not-evaluated",
                _sentence(f"Rule {r.rule_id} was not evaluated: {r.reason}")
                + " Its lack of results is not a pass.",
                rule=_rule_ref(r.rule_id, rule_index),
            )
        )

    def check_note(n: NotEvaluated) -> dict[str, Any]:
        rid = str(n.resource_id)
        target = f"{rid} (item {n.related_id})" if n.related_id else rid
        return _note(
            "check-not-evaluated",
            _sentence(f"Rule {n.rule_id} could not judge {target}: {'; '.join(n.reasons)}"),
            rule=_rule_ref(n.rule_id, rule_index),
            location=_location(rid, arm.last_name(rid), places.block(rid)),
            properties={"armId": rid, **({"relatedId": n.related_id} if n.related_id else {})},
        )

    notes += _listed(
        list(coverage.checks),
        max_listed,
        check_note,
        lambda rest: _note(
            "check-not-evaluated",
            f"{len(rest)} more check(s) were not evaluated ({_per_rule(rest)}); "
            "the JSON report lists every one.",
            properties={"unlisted": len(rest)},
        ),
    )
    if view.baseline:

        def unverified_note(e: dict[str, Any]) -> dict[str, Any]:
            rid = str(e["resource_id"])
            return _note(
                "baseline-unverified",
                f"Baseline finding {e['rule_id']} on {e.get('resource_name') or rid} was not "
                f"re-checked ({e['reason']}); it is not reported as fixed.",
                rule=_rule_ref(str(e["rule_id"]), rule_index),
                location=_location(
                    rid, e.get("resource_name") or arm.last_name(rid), places.block(rid)
                ),
                properties={"fingerprint": e["fingerprint"], "armId": rid},
            )

        notes += _listed(
            list(view.baseline.unverified),
            max_listed,
            unverified_note,
            lambda rest: _note(
                "baseline-unverified",
                f"{len(rest)} more baseline finding(s) were not re-checked; the JSON report "
                "lists every one.",
                properties={"unlisted": len(rest)},
            ),
        )
    return notes


def _listed(
    items: list[Any],
    limit: int,
    one: Callable[[Any], dict[str, Any]],
    rest: Callable[[list[Any]], dict[str, Any]],
) -> list[dict[str, Any]]:
    """One notification per item up to ``limit``, then one that counts the rest."""
    limit = max(limit, 0)
    out = [one(i) for i in items[:limit]]
    if len(items) > limit:
        out.append(rest(items[limit:]))
    return out


def _per_rule(items: Iterable[NotEvaluated]) -> str:
    counts = Counter(n.rule_id for n in items)
    return ", ".join(f"{rule}: {counts[rule]}" for rule in sorted(counts))


def _configuration_notifications(view: ReportView) -> list[dict[str, Any]]:
    """Expired and stale suppression entries: the suppression file needs attention."""
    if not view.suppressions:
        return []
    s = view.suppressions
    notes = [
        _note(
            "suppression-expired",
            f"Suppression {e['entry']} expired on {e['expires']}; it no longer suppresses "
            f"{e['matches']} finding(s): {e['justification']}",
            properties={"entry": e["entry"], "expires": e["expires"], "matches": e["matches"]},
        )
        for e in s.expired
    ]
    notes += [
        _note(
            "suppression-stale",
            f"Suppression {e['entry']} matches no finding: {e['justification']}",
            properties={"entry": e["entry"]},
        )
        for e in s.stale
    ]
    notes += [
        _note(
            "suppression-matches-all",
            f"Suppression {e['entry']} matches every finding (its selectors are only '*'): "
            f"no finding it covers can fail the gate: {e['justification']}",
            properties={"entry": e["entry"]},
        )
        for e in s.match_all
    ]
    return notes


# -- run properties and truncation -----------------------------------------------------------
def _run_properties(view: ReportView) -> dict[str, Any]:
    """The JSON report's summary (the source of truth), and what triage did."""
    props: dict[str, Any] = {
        "summary": view.summary.as_dict(),
        "coverage": {
            "complete": view.coverage.complete,
            "gaps": len(view.coverage.gaps),
            "notes": len(view.coverage.notes),
        },
        "inputs": [{"path": i.path, "format": i.format, "rows": i.rows} for i in view.inputs],
    }
    if view.crossref is not None:
        # what Azure flags that no rule covers is counted here, not a result: it is not
        # this tool's finding (the JSON report lists it)
        x = view.crossref
        props["azureCrossReference"] = {
            "sources": {
                name: {"available": s.available, "reason": s.reason, "onAudited": s.on_audited}
                for name, s in x.sources.items()
            },
            "notCovered": len(x.not_covered),
        }
    if view.baseline:
        b = view.baseline
        props["baseline"] = {
            "path": b.path,
            "new": b.new,
            "unchanged": b.unchanged,
            # fixed findings are not emitted as "absent" results: GitHub would open an
            # alert for each; the JSON report and the diff command list them
            "fixed": len(b.fixed),
            "unverified": len(b.unverified),
        }
    if view.suppressions:
        s = view.suppressions
        props["suppressions"] = {
            "path": s.path,
            "as_of": s.as_of,
            "entries": s.entries,
            "suppressed": s.suppressed,
            "expired": len(s.expired),
            "stale": len(s.stale),
            "match_all": len(s.match_all),
        }
    return props


def _truncation(
    total: int, dropped: list[Finding], max_results: int, max_gzip_bytes: int
) -> dict[str, Any]:
    counts = Counter(f.severity for f in dropped)
    return {
        "findings": total,
        "included": total - len(dropped),
        "omitted": len(dropped),
        "omitted_by_severity": {s: counts.get(s, 0) for s in SEVERITIES},
        "max_results": max_results,
        "max_gzip_bytes": max_gzip_bytes,
    }


def _truncation_note(t: dict[str, Any]) -> dict[str, Any]:
    by = ", ".join(f"{n} {s}" for s, n in t["omitted_by_severity"].items() if n)
    return _note(
        "results-truncated",
        f"{t['omitted']} of {t['findings']} findings are not in this file ({by}): GitHub code "
        f"scanning takes at most {t['max_results']} results per run and "
        f"{t['max_gzip_bytes']} bytes gzip-compressed, so the most severe were kept. The "
        "JSON report lists every finding.",
        properties={k: t[k] for k in ("findings", "included", "omitted")},
    )
