"""The findings as CSV, one row each, for spreadsheets and compliance trackers.

RFC 4180 (CRLF rows, quotes only where needed) with a UTF-8 byte-order mark, so Excel
reads non-ASCII names as UTF-8 (LibreOffice, Google Sheets and ``encoding="utf-8-sig"``
readers drop it). Resource names and tags come from the tenant, and file paths from the
repository, so every cell goes through :func:`safe.csv`, which defuses what a spreadsheet
would take for a formula. ``file`` and ``line`` (source-code input: where the finding
sits, relative to the repository root) came last, so older readers' columns keep their
place, and ``also_flagged_by`` after them: what Azure Policy and Defender for Cloud flag on
the resource too, "not available" when they were not read.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..findings import Finding
from . import location, safe
from .view import MAX_FLAGS, ReportView

COLUMNS = (
    "severity",
    "rule_id",
    "title",
    "category",
    "resource_name",
    "resource_type",
    "resource_id",
    "related_id",
    "message",
    "remediation",
    "fingerprint",
    "counts_toward_fail_on",
    "suppressed",
    "suppression_entry",
    "suppression_justification",
    "suppression_expires",
    "baseline",
    "file",
    "line",
    "also_flagged_by",
)
BOM = "\ufeff"
# entries named in a finding's also_flagged_by cell: each is at most ~1 KB (crossref.MAX_TEXT),
# so the cell stays within a spreadsheet's 32,767 characters; the JSON report has them all


def _flagged(entries: list[dict[str, object]] | None) -> str:
    """``policy <assignment> [same-check]; defender <recommendation>``, or "not available"."""
    if entries is None:
        return "not available"
    out = []
    for e in entries[:MAX_FLAGS]:
        if e.get("source") == "defender":
            what = f"defender {e.get('display_name') or e.get('assessment_key')}"
        else:
            what = f"policy {e.get('assignment_name')}"
        out.append(what + (" [same-check]" if e.get("match") == "same-check" else ""))
    if len(entries) > MAX_FLAGS:
        out.append(f"… and {len(entries) - MAX_FLAGS} more in the JSON report")
    return "; ".join(out)


def row(f: Finding, match_all: frozenset[str] = frozenset(), root: Path | None = None) -> list[str]:
    """A finding's cells; an entry in ``match_all`` (it covers every finding) says so.
    ``root``: the repository root its source file is named from (the working directory's)."""
    s = f.suppression or {}
    source = location.of(f.location)
    file = line = None
    if source is not None:
        file = location.source_path(source[0], root or location.repository_root()).path
        line = source[1]
    entry = s.get("entry")
    if entry in match_all:
        entry = f"{entry} (matches every finding)"
    values = (
        f.severity,
        f.rule_id,
        f.title,
        f.category,
        f.resource_name,
        f.resource_type,
        f.resource_id,
        f.related_id,
        f.message,
        f.remediation,
        f.fingerprint,
        "yes" if f.counts else "no",
        "yes" if f.suppression else "no",
        entry,
        s.get("justification"),
        s.get("expires"),
        f.baseline,
        file,
        line,
        _flagged(f.also_flagged_by),
    )
    return [safe.csv(v) for v in values]


def render(view: ReportView) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    broad = view.suppressions.match_all if view.suppressions else ()
    labels = frozenset(str(e["entry"]) for e in broad)
    for f in sorted(view.findings, key=lambda f: (*f.sort_key(), f.fingerprint)):
        writer.writerow(row(f, labels, view.source_root))
    return BOM + out.getvalue()
