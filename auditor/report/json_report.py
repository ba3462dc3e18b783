"""The JSON report: the source of truth the other formats agree with, and what baselines
and ``mlops-audit diff`` read back. Everything has a fixed order, so the same estate gives
the same bytes apart from ``generated_at``."""

from __future__ import annotations

import json
from typing import Any

from .view import ReportView

REPORT_VERSION = 1


def to_dict(view: ReportView) -> dict[str, Any]:
    """The report as plain data (docs/formats.md lists every key)."""
    return {
        "tool": {"name": "mlops-audit", "version": view.tool_version},
        "report_version": REPORT_VERSION,
        "generated_at": view.generated_at,
        "inputs": [i.as_dict() for i in view.inputs],
        "summary": view.summary.as_dict(),
        "coverage": {"gaps": list(view.coverage.gaps), "notes": list(view.coverage.notes)},
        "suppressions": view.suppressions.document if view.suppressions else None,
        "baseline": view.baseline.document if view.baseline else None,
        "findings": [f.to_dict() for f in view.findings],
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
    }


def render(view: ReportView) -> str:
    return json.dumps(to_dict(view), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
