"""Stage 5: render an audit for people and for the tools of pipelines and compliance teams.

The JSON report (here) is the source of truth; the terminal report (here), SARIF, JUnit,
Markdown, HTML and CSV (one module each in this package) are derived from the same run.
Every renderer is a pure function of the run: the order of everything is fixed, so the same
estate gives the same bytes, apart from the run's timestamp.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .. import __version__
from ..findings import SEVERITIES, AuditResult
from ..graph import AuditGraph
from ..model import KIND_OF_TYPE

if TYPE_CHECKING:
    from ..rules import Rule

REPORT_VERSION = 1
# --format / --output FORMAT:PATH names -> the module of this package that renders them
FORMATS: dict[str, str | None] = {
    "table": None,  # here
    "json": None,  # here
    "sarif": "sarif",
    "junit": "junit",
    "markdown": "markdown",
    "html": "html_report",
    "csv": "csv_report",
}
FORMAT_ALIASES = {"md": "markdown", "xml": "junit", "text": "table"}
SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}


def timestamp() -> str:
    """The run's time, UTC, to the second; ``SOURCE_DATE_EPOCH`` pins it (reproducible
    reports)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = (
        dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        if epoch.isdigit()
        else dt.datetime.now(dt.UTC)
    )
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Run:
    """Everything a report shows: the graph (with its estate), the rules that ran and their
    results, and the triage (suppressions, baseline) applied to them."""

    graph: AuditGraph
    result: AuditResult
    fail_on: str
    rules: list[Rule]
    generated_at: str
    suppressions: dict[str, Any] | None = None  # triage.apply_suppressions' account
    baseline: dict[str, Any] | None = None  # triage.apply_baseline's account
    sarif_category: str | None = None  # SARIF runAutomationDetails.id, only when asked

    @property
    def rules_run(self) -> list[str]:
        return [r.id for r in self.rules]

    @property
    def failed(self) -> bool:
        return self.result.fails_at(self.fail_on)


def inventory(graph: AuditGraph) -> dict[str, Any]:
    estate = graph.estate
    counts = estate.type_counts()
    by_type = {t: counts[t] for t in sorted(counts)}
    unknown = {t: n for t, n in by_type.items() if t not in KIND_OF_TYPE}
    return {
        "rows_read": estate.rows_read,
        "resources": len(estate.rows),
        "duplicates_merged": estate.duplicates_merged,
        "collections": sorted(estate.collections()),
        "subscriptions": estate.subscriptions(),
        "by_type": by_type,
        "unknown_types": unknown,
        "referenced_not_seen": graph.placeholders(),
    }


def inputs(run: Run) -> list[dict[str, Any]]:
    """The input files as the report lists them."""
    return [
        {
            "path": s.path,
            "format": s.format,
            "rows": s.rows,
            **(
                {"collections": s.collections, "snapshot": s.metadata}
                if s.format == "snapshot"
                else {}
            ),
        }
        for s in run.graph.estate.sources
    ]


def summary(run: Run) -> dict[str, Any]:
    """The counts every format shows: findings, triage, the gate and completeness."""
    result = run.result
    outcomes = result.outcomes
    return {
        "findings": len(result.findings),
        "by_severity": result.counts_by_severity(),
        "by_category": result.counts_by_category(),
        "not_evaluated": len(result.not_evaluated),
        "rules_run": len(outcomes),
        "rules_not_evaluated": sum(1 for o in outcomes if o.status == "not-evaluated"),
        "rules_incomplete": sum(1 for o in outcomes if o.status == "incomplete"),
        "suppressed": sum(1 for f in result.findings if f.suppression),
        "new": (sum(1 for f in result.findings if f.baseline == "new") if run.baseline else None),
        "counted": sum(1 for f in result.findings if f.counts),
        "fail_on": run.fail_on,
        "failed": run.failed,
        "complete": not run.graph.estate.gaps and not result.not_evaluated,
    }


def to_json_dict(run: Run) -> dict[str, Any]:
    result = run.result
    outcomes = result.outcomes
    return {
        "tool": {"name": "mlops-audit", "version": __version__},
        "report_version": REPORT_VERSION,
        "generated_at": run.generated_at,
        "inputs": inputs(run),
        "summary": summary(run),
        "coverage": {"gaps": run.graph.estate.gaps, "notes": run.graph.estate.notes},
        "suppressions": run.suppressions,
        "baseline": run.baseline,
        "findings": [f.to_dict() for f in result.findings],
        "not_evaluated": [
            {
                "rule_id": n.rule_id,
                "resource_id": n.resource_id,
                "related_id": n.related_id,
                "reasons": n.reasons,
            }
            for n in result.not_evaluated
        ],
        "rules": [
            {
                "rule_id": o.rule_id,
                "status": o.status,
                "severity": o.severity,
                "category": o.category,
                "subjects": o.subjects,
                "passed": o.passed,
                "failed": o.failed,
                "not_applicable": o.not_applicable,
                "not_evaluated": o.not_evaluated,
                "reason": o.reason,
            }
            for o in outcomes
        ],
        "inventory": inventory(run.graph),
    }


def render_json(run: Run) -> str:
    return json.dumps(to_json_dict(run), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """Report text with lone surrogates (JSON input may carry them) as U+FFFD: UTF-8
    cannot encode them, and one odd resource name must not cost the whole report."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def renderer(fmt: str) -> Callable[[Run], str]:
    """The function that renders ``fmt`` (a FORMATS key) as text. Imported on demand: a
    scan that writes JSON does not load the HTML renderer."""
    if fmt == "json":
        return render_json
    if fmt == "table":
        return render_table_text
    from importlib import import_module

    module = import_module(f".{FORMATS[fmt]}", __name__)
    render: Callable[[Run], str] = module.render
    return render


def render_table_text(run: Run) -> str:
    """The terminal report as plain text (for files and pipeline logs)."""
    out = io.StringIO()
    render_terminal(run, Console(file=out, width=140, no_color=True))
    return out.getvalue()


def render_terminal(run: Run, console: Console) -> None:
    """Findings grouped by severity under a summary panel; then what was not evaluated."""
    result = run.result
    estate = run.graph.estate
    counts = result.counts_by_severity()
    summary = Text()
    summary.append(
        f"{len(estate.rows)} resources from {estate.rows_read} rows in "
        f"{len(estate.sources)} input(s); {len(run.rules_run)} rules\n"
    )
    for sev in SEVERITIES:
        summary.append(f"{sev}: {counts[sev]}  ", style=SEVERITY_STYLE[sev] if counts[sev] else "")
    not_eval_rules = [o for o in result.outcomes if o.status == "not-evaluated"]
    incomplete = [o for o in result.outcomes if o.status == "incomplete"]
    console.print(
        Panel(summary, title="mlops-audit", subtitle=f"fail on {run.fail_on}", box=box.ROUNDED)
    )
    for sev in SEVERITIES:
        group = [f for f in result.findings if f.severity == sev]
        if not group:
            continue
        table = Table(
            box=box.SIMPLE,
            show_header=False,
            expand=True,
            padding=(0, 1),
            title=f"{sev.upper()} ({len(group)})",
            title_style=SEVERITY_STYLE[sev],
            title_justify="left",
        )
        table.add_column("rule", no_wrap=True, style=SEVERITY_STYLE[sev])
        table.add_column("finding", overflow="fold", ratio=1)
        for f in group:
            kind = KIND_OF_TYPE.get(f.resource_type, f.resource_type)
            cell = Text(f.resource_name, style="bold") + Text(f"  {kind}", style="dim")
            if f.baseline == "new":
                cell.append("  NEW", style="bold magenta")
            elif f.baseline == "unchanged":
                cell.append("  in baseline", style="dim")
            if f.suppression:
                cell.append(f"  suppressed ({f.suppression['entry']})", style="dim")
            cell.append("\n" + f.message)
            table.add_row(f.rule_id, cell)
        console.print(table)
    _render_triage(run, console)
    if estate.gaps:
        gaps = Text()
        for gap in estate.gaps:
            gaps.append(f"{gap['path']}: ", style="bold red")
            gaps.append(f"{gap['problem']}\n")
        console.print(
            Panel(
                gaps,
                title="The inputs are incomplete — part of the estate was not seen",
                border_style="red",
            )
        )
    for note in estate.notes:
        console.print(Text(f"note: {note['note']}", style="yellow"))
    if not_eval_rules or incomplete or result.not_evaluated:
        lines = Text()
        for o in not_eval_rules:
            lines.append(f"{o.rule_id} not evaluated: ", style="bold yellow")
            lines.append(f"{o.reason}\n")
        per_resource = [n for n in result.not_evaluated if n.resource_id is not None]
        for n in per_resource[:20]:
            target = n.related_id or n.resource_id
            lines.append(f"{n.rule_id} ", style="bold yellow")
            lines.append(f"{target}: {'; '.join(n.reasons)}\n")
        if len(per_resource) > 20:
            lines.append(f"… and {len(per_resource) - 20} more (see the JSON report)\n")
        console.print(
            Panel(lines, title="Not evaluated — these are not passes", border_style="yellow")
        )
    unseen = run.graph.placeholders()
    if unseen:
        console.print(
            Text(
                f"{len(unseen)} referenced resource(s) are not in the estate "
                "(other subscriptions, or not collected); see inventory."
                "referenced_not_seen in the JSON report.",
                style="dim",
            )
        )
    at_or_above = len(result.failing(run.fail_on))
    if run.fail_on == "none":
        console.print(
            Text(
                f"{len(result.findings)} finding(s); --fail-on none: the exit code "
                "does not depend on them.",
                style="bold",
            )
        )
    elif run.failed:
        counted = gate_words(run)
        console.print(
            Text(
                f"FAIL: {at_or_above}{counted} finding(s) at or above {run.fail_on}.",
                style="bold red",
            )
        )
    elif estate.gaps:
        console.print(
            Text(
                f"No finding at or above {run.fail_on} in what was read, but the "
                "inputs are incomplete: this is not a pass.",
                style="bold red",
            )
        )
    elif not_eval_rules or result.not_evaluated:
        console.print(
            Text(
                f"No finding at or above {run.fail_on}, but "
                f"{len(result.not_evaluated)} check(s) were not evaluated: "
                "the estate was not fully judged.",
                style="bold yellow",
            )
        )
    else:
        counted = gate_words(run)
        console.print(
            Text(f"PASS: no{counted} finding at or above {run.fail_on}.", style="bold green")
        )


def verdict(run: Run) -> str:
    """fail, incomplete, pass, or ungated (``--fail-on none`` with findings): the one
    verdict every format shows. A scan with coverage gaps or checks it could not evaluate
    is never a pass."""
    if run.failed:
        return "fail"
    if run.graph.estate.gaps or run.result.not_evaluated:
        return "incomplete"
    if run.fail_on == "none" and run.result.findings:
        return "ungated"
    return "pass"


def gate_words(run: Run) -> str:
    """What the gate counts, for 'N{words} finding(s) at or above high': only new findings
    with a baseline, only unsuppressed ones with a suppression file."""
    words = [w for w, used in (("new", run.baseline), ("unsuppressed", run.suppressions)) if used]
    return " " + ", ".join(words) if words else ""


def _render_triage(run: Run, console: Console) -> None:
    """The baseline's and the suppression file's account, when the scan used them."""
    if run.baseline:
        b = run.baseline
        line = Text("baseline ", style="bold")
        line.append(
            f"{b['path']}: {b['new']} new, {b['unchanged']} unchanged, {len(b['fixed'])} fixed"
        )
        if b["unverified"]:
            line.append(
                f", {len(b['unverified'])} not re-checked (not called fixed)", style="yellow"
            )
        console.print(line)
    if run.suppressions:
        s = run.suppressions
        console.print(
            Text("suppressions ", style="bold")
            + Text(f"{s['path']}: {s['suppressed']} finding(s) suppressed")
        )
        for e in s["expired"]:
            console.print(
                Text(
                    f"expired suppression {e['entry']} (expired {e['expires']}, "
                    f"{e['matches']} finding(s) no longer suppressed): {e['justification']}",
                    style="bold yellow",
                )
            )
        for e in s["stale"]:
            console.print(
                Text(
                    f"stale suppression {e['entry']} matches no finding: {e['justification']}",
                    style="yellow",
                )
            )
        if s.get("unchecked"):
            console.print(
                Text(
                    f"{len(s['unchecked'])} suppression(s) not checked for staleness: "
                    + "; ".join(f"{e['entry']} ({e['reason']})" for e in s["unchecked"][:5]),
                    style="dim",
                )
            )
