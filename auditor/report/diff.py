"""The diff of two reports (``mlops-audit diff``) as a table, JSON or Markdown."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from ..findings import SEVERITY_RANK
from . import location, safe
from .markdown import MAX_BYTES, MAX_CELL, fit
from .safe import markdown as cell

SECTIONS = (
    ("new_findings", "New"),
    ("fixed_findings", "Fixed"),
    ("unverified_findings", "Not re-checked (not called fixed)"),
)  # unchanged findings are counted, not listed (the JSON diff has them)


def fails(diff: dict[str, Any], threshold: str) -> bool:
    """Whether a new, unsuppressed finding is at or above ``threshold`` (``none`` never
    fails). Severities were checked when the reports were read."""
    if threshold == "none":
        return False
    limit = SEVERITY_RANK[threshold]
    return any(
        SEVERITY_RANK[f["severity"]] <= limit
        for f in diff["new_findings"]
        if not f.get("suppression")
    )


def incomplete_note(diff: dict[str, Any]) -> str | None:
    """What to say when the newer report is incomplete: its gaps mean missing findings
    prove nothing and new ones may be missing too."""
    s = diff["summary"]
    if s["new_report_gaps"]:
        return (
            f"the newer report is incomplete ({s['new_report_gaps']} coverage gap(s)): part "
            "of its estate was not seen, so this comparison is not a clean bill"
        )
    if not s["new_report_complete"]:
        return "the newer report has checks that were not evaluated"
    return None


def render(diff: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(diff, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _markdown(diff)
    return _table(diff)


def _where(f: dict[str, Any], root: Path) -> str | None:
    """A finding's ``file:line`` (Terraform input; baseline entries carry none)."""
    return location.where(f.get("location"), root)


def _table(diff: dict[str, Any]) -> str:
    root = location.repository_root()
    out = io.StringIO()
    console = safe.console(out, width=140, no_color=True)
    s = diff["summary"]
    console.print(
        Text(
            f"{safe.terminal(diff['old'])} → {safe.terminal(diff['new'])}: {s['new']} new, "
            f"{s['fixed']} fixed, {s['unverified']} not re-checked, {s['unchanged']} unchanged"
        )
    )
    note = incomplete_note(diff)
    if note:
        console.print(f"WARNING: {note}.")
    for key, title in SECTIONS:
        rows = diff[key]
        if not rows:
            continue
        table = Table(
            title=f"{title} ({len(rows)})",
            title_justify="left",
            box=box.SIMPLE,
            show_header=False,
            expand=True,
        )
        table.add_column("severity", no_wrap=True)
        table.add_column("rule", no_wrap=True)
        table.add_column("finding", overflow="fold", ratio=1)
        for f in rows:
            t = safe.terminal
            cell = Text(t(f.get("resource_name") or f["resource_id"]), style="bold")
            cell.append(f"\n{t(f['resource_id'])}", style="dim")
            if where := _where(f, root):
                cell.append(f" at {t(where)}")
            cell.append("\n")
            cell.append(t(f.get("reason") or f.get("message") or ""))
            table.add_row(Text(t(f.get("severity") or "")), Text(t(f["rule_id"])), cell)
        console.print(table)
    return out.getvalue()


MAX_ROWS = 50  # per section of the Markdown diff (the JSON diff has them all)


def _markdown(diff: dict[str, Any], max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> str:
    """The diff for a PR comment or step summary: capped rows, under GitHub's 1 MiB."""
    s = diff["summary"]
    root = location.repository_root()
    lines = [
        "## mlops-audit: changes since the last report",
        "",
        f"{cell(diff['old'], code=True, in_table=False)} → "
        f"{cell(diff['new'], code=True, in_table=False)}",
        "",
        "| new | fixed | not re-checked | unchanged |",
        "|---:|---:|---:|---:|",
        f"| {s['new']} | {s['fixed']} | {s['unverified']} | {s['unchanged']} |",
    ]
    note = incomplete_note(diff)
    if note:
        lines += ["", f"> ⚠️ **Warning:** {cell(note, in_table=False)}."]
    for key, title in SECTIONS:
        rows = diff[key]
        if not rows:
            continue
        lines += ["", f"### {title} ({len(rows)})", "", "| severity | rule | resource | detail |"]
        lines.append("|---|---|---|---|")
        for f in rows[:max_rows]:
            detail = f.get("reason") or f.get("message") or ""
            if f.get("suppression"):
                detail = f"(suppressed) {detail}"
            resource = cell(f["resource_id"], code=True, limit=MAX_CELL)
            if where := _where(f, root):
                resource += f" at {cell(where, code=True, limit=160)}"
            lines.append(
                f"| {cell(f.get('severity'))} | {cell(f['rule_id'])} | {resource} | "
                f"{cell(detail, limit=MAX_CELL)} |"
            )
        if len(rows) > max_rows:
            lines += ["", f"… and {len(rows) - max_rows} more: `mlops-audit diff --format json`."]
    return fit("\n".join(lines) + "\n", max_bytes)
