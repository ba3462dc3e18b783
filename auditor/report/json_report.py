"""The JSON report: the source of truth the other formats agree with, and what baselines
and ``mlops-audit diff`` read back. Everything has a fixed order, so the same estate gives
the same bytes apart from ``generated_at``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, fields, is_dataclass
from typing import Any

from ..findings import Finding
from .view import ReportView

REPORT_VERSION = 1


def to_dict(view: ReportView) -> dict[str, Any]:
    """The report as plain data (docs/formats.md lists every key); the findings are the
    caller's own copies (``Finding.to_dict``)."""
    return _document(view, Finding.to_dict)


_FINDING_FIELDS = tuple(f.name for f in fields(Finding))


def _shared(finding: Finding) -> dict[str, Any]:
    """A finding's fields in order, its evidence shared, not copied: ``render`` only reads
    them, and a deep copy of every finding's evidence is work a large report does not need."""
    return {name: getattr(finding, name) for name in _FINDING_FIELDS}


def _document(view: ReportView, finding: Callable[[Finding], dict[str, Any]]) -> dict[str, Any]:
    return {
        "tool": {"name": "mlops-audit", "version": view.tool_version},
        "report_version": REPORT_VERSION,
        "generated_at": view.generated_at,
        "inputs": [i.as_dict() for i in view.inputs],
        "summary": view.summary.as_dict(),
        "coverage": {"gaps": list(view.coverage.gaps), "notes": list(view.coverage.notes)},
        "suppressions": view.suppressions.document if view.suppressions else None,
        "baseline": view.baseline.document if view.baseline else None,
        "findings": [finding(f) for f in view.findings],
        "not_evaluated": [
            {
                "rule_id": n.rule_id,
                "resource_id": n.resource_id,
                "related_id": n.related_id,
                "reasons": n.reasons,
            }
            for n in view.coverage.not_evaluated
        ],
        "rules": [r.as_dict() for r in view.rule_rows],
        "inventory": view.inventory.as_dict(),
        "azure_cross_reference": view.crossref.as_dict() if view.crossref else None,
    }


def render(view: ReportView) -> str:
    doc = _document(view, _shared)
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False, default=plain) + "\n"


def plain(value: Any) -> Any:
    """What ``asdict`` makes of a dataclass in shared (uncopied) evidence, as ``to_dict``
    wrote it: an ``UnknownValue`` (an address known after apply) is ``{"reason": …}``."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")
