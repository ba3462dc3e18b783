"""The findings as newline-delimited JSON, one flat record a line, for Log Analytics and
Microsoft Sentinel (a custom table fed by the Logs Ingestion API or a data collection rule).

A dashboard wants rows, not a nested report: the run is one line first (``RecordType``
``run``: its verdict and the JSON report's summary, so a clean run is seen too and a trend
query knows the run happened), then each finding is one line with the run's id and
time, where the resource sits (tenant, subscription, resource group) and how triage marked
it (``Status``: open, suppressed or baselined); each check that could not be evaluated is a
line too (``Status`` ``not_evaluated``, with its reasons), so a workbook sees the unknowns
rather than a pass. :data:`COLUMNS` is the table schema docs/log-analytics.md documents.

Lines follow the JSON report's order: its summary, its findings, then its ``not_evaluated``.
Every line is plain JSON with every string escaped: a control character, CR, LF, NEL, U+2028
and U+2029 inside a resource name stay data and never end a line, whichever splitter reads
the file.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .. import arm
from ..findings import Finding, NotEvaluated
from . import location
from .view import MAX_FLAGS, ReportView

# Log Analytics custom-table column -> type (string, datetime, int, dynamic), in line order
COLUMNS: dict[str, str] = {
    "TimeGenerated": "datetime",
    "RunId": "string",
    "ToolVersion": "string",
    "RecordType": "string",
    "TenantId": "string",
    "SubscriptionId": "string",
    "ResourceGroup": "string",
    "ResourceId": "string",
    "ResourceName": "string",
    "ResourceType": "string",
    "RuleId": "string",
    "Title": "string",
    "Severity": "string",
    "Category": "string",
    "Status": "string",
    "BaselineState": "string",
    "Fingerprint": "string",
    "RelatedId": "string",
    "Message": "string",
    "Reasons": "dynamic",
    "Suppression": "dynamic",
    "Line": "int",
    "File": "string",
    "Summary": "dynamic",
    "AlsoFlaggedBy": "dynamic",
    "AlsoFlaggedByCount": "int",
}
RECORD_TYPES = ("run", "finding", "not_evaluated")
FINDING_STATUSES = ("open", "suppressed", "baselined")
RUN_STATUSES = ("fail", "incomplete", "ungated", "pass")  # the run line's: the verdict
# characters some line splitters end a line at (Python's str.splitlines, JavaScript's line
# terminators in older parsers) that json.dumps leaves raw with ensure_ascii=False
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_BREAKS = str.maketrans(_LINE_BREAKS)


def run_id(view: ReportView) -> str:
    """A deterministic id of the run: a SHA-256 of the run's time, the tool's version, its
    inputs as the report lists them and the findings' fingerprints, so the same estate
    scanned at the same ``SOURCE_DATE_EPOCH`` gets the same id and two runs differ."""
    digest = hashlib.sha256()
    basis = {
        "generated_at": view.generated_at,
        "tool": view.tool_version,
        "inputs": [i.as_dict() for i in view.inputs],
        "findings": [f.fingerprint for f in view.findings],
        "not_evaluated": [
            [n.rule_id, n.resource_id, n.related_id] for n in view.coverage.not_evaluated
        ],
    }
    digest.update(json.dumps(basis, sort_keys=True, ensure_ascii=True, default=str).encode())
    return digest.hexdigest()[:32]


def status(f: Finding) -> str:
    """How triage marked a finding: suppressed (an accepted risk) before baselined (a known
    one, ``baseline`` "unchanged"), else open — a new finding under a baseline is open."""
    if f.suppression is not None:
        return "suppressed"
    if f.baseline == "unchanged":
        return "baselined"
    return "open"


def _text(value: Any) -> str:
    """A string column's value: Log Analytics' strings are never null, so unknown is ""."""
    return "" if value is None else str(value)


def _base(view: ReportView, rid: str) -> dict[str, Any]:
    return {"TimeGenerated": view.generated_at, "RunId": rid, "ToolVersion": view.tool_version}


def finding_record(view: ReportView, run: str, f: Finding) -> dict[str, Any]:
    """A finding's line, its columns in :data:`COLUMNS` order."""
    tenant, subscription, group = view.scope_of(f.resource_id, f.resource_type)
    file, line = "", None
    source = location.of(f.location)
    if source is not None:  # as the CSV names it: relative to the repository root
        file = location.source_path(source[0], view.source_root).path
        line = source[1]
    flags = f.also_flagged_by  # None: not available; capped, with the whole count beside it
    return {
        **_base(view, run),
        "RecordType": "finding",
        "TenantId": tenant,
        "SubscriptionId": subscription,
        "ResourceGroup": group,
        "ResourceId": f.resource_id,
        "ResourceName": f.resource_name,
        "ResourceType": f.resource_type,
        "RuleId": f.rule_id,
        "Title": f.title,
        "Severity": f.severity,
        "Category": f.category,
        "Status": status(f),
        "BaselineState": _text(f.baseline),
        "Fingerprint": f.fingerprint,
        "RelatedId": _text(f.related_id),
        "Message": f.message,
        "Reasons": [],
        "Suppression": f.suppression,
        "Line": line,
        "File": file,
        "Summary": None,
        "AlsoFlaggedBy": None if flags is None else flags[:MAX_FLAGS],
        "AlsoFlaggedByCount": None if flags is None else len(flags),
    }


def check_record(
    view: ReportView, run: str, n: NotEvaluated, rules: dict[str, Any]
) -> dict[str, Any]:
    """A check that could not be evaluated: the rule's title, severity and category, the
    resource it was about (none for a whole-rule entry) and why."""
    tenant, subscription, group = view.scope_of(n.resource_id) if n.resource_id else ("", "", "")
    rule = rules.get(n.rule_id)
    rid = n.resource_id or ""
    return {
        **_base(view, run),
        "RecordType": "not_evaluated",
        "TenantId": tenant,
        "SubscriptionId": subscription,
        "ResourceGroup": group,
        "ResourceId": rid,
        "ResourceName": arm.last_name(rid) if rid else "",
        "ResourceType": arm.arm_type(rid) if rid.startswith("/") else "",
        "RuleId": n.rule_id,
        "Title": rule.title if rule else "",
        "Severity": rule.severity if rule else "",
        "Category": rule.category if rule else "",
        "Status": "not_evaluated",
        "BaselineState": "",
        "Fingerprint": "",
        "RelatedId": _text(n.related_id),
        "Message": "; ".join(n.reasons),
        "Reasons": list(n.reasons),
        "Suppression": None,
        "Line": None,
        "File": "",
        "Summary": None,
        "AlsoFlaggedBy": None,
        "AlsoFlaggedByCount": None,
    }


def run_record(view: ReportView, run: str) -> dict[str, Any]:
    """The run's own line: its verdict as ``Status`` and the JSON report's summary; the
    tenant and subscription when the estate holds exactly one."""
    tenants = view.tenants
    subscriptions = view.inventory.subscriptions
    s = view.summary
    return {
        **_base(view, run),
        "RecordType": "run",
        "TenantId": tenants[0] if len(tenants) == 1 else "",
        "SubscriptionId": subscriptions[0] if len(subscriptions) == 1 else "",
        "ResourceGroup": "",
        "ResourceId": "",
        "ResourceName": "",
        "ResourceType": "",
        "RuleId": "",
        "Title": "mlops-audit scan",
        "Severity": "",
        "Category": "",
        "Status": view.gate.verdict,
        "BaselineState": "",
        "Fingerprint": "",
        "RelatedId": "",
        "Message": (
            f"{view.gate.verdict}: {s.findings} finding(s) ({s.counted} neither suppressed "
            f"nor baselined), {s.not_evaluated} check(s) not evaluated"
        ),
        "Reasons": [],
        "Suppression": None,
        "Line": None,
        "File": "",
        "Summary": s.as_dict(),
        "AlsoFlaggedBy": None,
        "AlsoFlaggedByCount": None,
    }


def records(view: ReportView) -> list[dict[str, Any]]:
    """Every line's record, in the JSON report's order (the run, findings, not_evaluated)."""
    run = run_id(view)
    rules = {r.rule_id: r for r in view.rule_rows}
    out = [run_record(view, run)]
    out += [finding_record(view, run, f) for f in view.findings]
    out += [check_record(view, run, n, rules) for n in view.coverage.not_evaluated]
    return out


def line(record: dict[str, Any]) -> str:
    """One record as one line: JSON with no raw line break of any kind inside it."""
    text = json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.translate(_BREAKS) + "\n"


def render(view: ReportView) -> str:
    return "".join(line(r) for r in records(view))
