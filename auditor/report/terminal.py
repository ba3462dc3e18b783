"""The terminal report: findings grouped by severity under a summary panel, then the triage
accounts, what was not seen or not judged, and the verdict line.

The same renderer writes the colour console on a terminal and, without colour at a fixed
width, the ``table`` format for files and pipeline logs, both on a :func:`safe.console`.
Estate text goes into Rich ``Text`` objects (literal) through :func:`safe.terminal`.
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..model import KIND_OF_TYPE
from . import safe
from .view import ReportView

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
WIDTH = 140  # of the plain-text report
MAX_CHECKS = 20  # per-resource checks not evaluated listed (the JSON report has all)


def render(view: ReportView) -> str:
    """The terminal report as plain text (for files and pipeline logs)."""
    out = io.StringIO()
    print_report(view, safe.console(out, width=WIDTH, no_color=True))
    return out.getvalue()


def print_report(view: ReportView, console: Console) -> None:
    """The report on ``console`` (a :func:`safe.console`: no markup, workflow commands
    defused)."""
    inv, gate, coverage = view.inventory, view.gate, view.coverage
    head = Text()
    head.append(
        f"{inv.resources} resources from {inv.rows_read} rows in "
        f"{len(view.inputs)} input(s); {len(view.rules)} rules\n"
    )
    for sev in view.severities:
        head.append(
            f"{sev.severity}: {sev.findings}  ",
            style=SEVERITY_STYLE[sev.severity] if sev.findings else "",
        )
    console.print(
        Panel(head, title="mlops-audit", subtitle=f"fail on {gate.fail_on}", box=box.ROUNDED)
    )
    for sev in view.severities:
        group = [f for f in view.findings if f.severity == sev.severity]
        if not group:
            continue
        style = SEVERITY_STYLE[sev.severity]
        table = Table(
            box=box.SIMPLE,
            show_header=False,
            expand=True,
            padding=(0, 1),
            title=f"{sev.severity.upper()} ({len(group)})",
            title_style=style,
            title_justify="left",
        )
        table.add_column("rule", no_wrap=True, style=style)
        table.add_column("finding", overflow="fold", ratio=1)
        for f in group:
            kind = KIND_OF_TYPE.get(f.resource_type, f.resource_type)
            cell = Text(safe.terminal(f.resource_name), style="bold")
            cell.append(f"  {safe.terminal(kind)}", style="dim")
            if f.baseline == "new":
                cell.append("  NEW", style="bold magenta")
            elif f.baseline == "unchanged":
                cell.append("  in baseline", style="dim")
            if f.suppression:
                entry = safe.terminal(f.suppression["entry"])
                cell.append(f"  suppressed ({entry})", style="dim")
            where = view.where(f.location)
            if where is not None:  # source-code input: the address and the line that decides
                cell.append(f"\n{safe.terminal(f.resource_id)} at {safe.terminal(where)}")
            cell.append("\n" + safe.terminal(f.message))
            if f.also_flagged_by:
                same = sum(1 for e in f.also_flagged_by if e.get("match") == "same-check")
                cell.append(
                    f"\nalso flagged by Azure: {len(f.also_flagged_by)}"
                    + (f" ({same} the same check)" if same else ""),
                    style="dim",
                )
            table.add_row(Text(safe.terminal(f.rule_id)), cell)
        console.print(table)
    _triage(view, console)
    if coverage.gaps:
        gaps = Text()
        for gap in coverage.gaps:
            gaps.append(f"{safe.terminal(gap['path'])}: ", style="bold red")
            gaps.append(f"{safe.terminal(gap['problem'])}\n")
        console.print(
            Panel(
                gaps,
                title="The inputs are incomplete — part of the estate was not seen",
                border_style="red",
            )
        )
    for note in coverage.notes:
        console.print(Text(f"note: {safe.terminal(note['note'])}", style="yellow"))
    if coverage.rules_not_evaluated or coverage.rules_incomplete or coverage.not_evaluated:
        lines = Text()
        for r in coverage.rules_not_evaluated:
            lines.append(f"{r.rule_id} not evaluated: ", style="bold yellow")
            lines.append(f"{safe.terminal(r.reason)}\n")
        for n in coverage.checks[:MAX_CHECKS]:
            target = n.related_id or n.resource_id
            lines.append(f"{n.rule_id} ", style="bold yellow")
            lines.append(f"{safe.terminal(target)}: {safe.terminal('; '.join(n.reasons))}\n")
        if len(coverage.checks) > MAX_CHECKS:
            lines.append(f"… and {len(coverage.checks) - MAX_CHECKS} more (see the JSON report)\n")
        console.print(
            Panel(lines, title="Not evaluated — these are not passes", border_style="yellow")
        )
    unseen = inv.referenced_not_seen
    if unseen:
        console.print(
            Text(
                f"{len(unseen)} referenced resource(s) are not in the estate "
                "(other subscriptions, or not collected); see inventory."
                "referenced_not_seen in the JSON report.",
                style="dim",
            )
        )
    _azure(view, console)
    console.print(_verdict_line(view))


def _azure(view: ReportView, console: Console) -> None:
    """What Azure Policy and Defender for Cloud flag too, in a line or two."""
    x = view.crossref
    if x is None:
        return
    if not x.available:
        console.print(
            Text(
                "Azure Policy and Defender for Cloud: not available (not collected); no "
                "finding is cross-referenced",
                style="dim",
            )
        )
        return
    names = {"policy": "Azure Policy", "defender": "Defender for Cloud"}
    for name, s in x.sources.items():
        state = f"{s.on_audited} flag(s)" if s.available else f"not available ({s.reason})"
        console.print(Text(f"{names.get(name, name)}: {safe.terminal(state)}", style="dim"))
    if x.not_covered:
        console.print(
            Text(
                f"Azure flags {len(x.not_covered)} polic(ies)/recommendation(s) on audited "
                "resources that no rule here covers: see azure_cross_reference.not_covered "
                "in the JSON report",
                style="dim",
            )
        )


def _verdict_line(view: ReportView) -> Text:
    """The last line. With ``--fail-on none`` it says the gate is off, whatever else."""
    gate, summary = view.gate, view.summary
    if not gate.gated:
        return Text(
            f"{summary.findings} finding(s); --fail-on none: the exit code "
            "does not depend on them.",
            style="bold",
        )
    if gate.verdict == "fail":
        return Text(
            f"FAIL: {gate.failing}{gate.words} finding(s) at or above {gate.fail_on}.",
            style="bold red",
        )
    if view.coverage.gaps:
        return Text(
            f"No finding at or above {gate.fail_on} in what was read, but the "
            "inputs are incomplete: this is not a pass.",
            style="bold red",
        )
    if gate.verdict == "incomplete":
        return Text(
            f"No finding at or above {gate.fail_on}, but "
            f"{summary.not_evaluated} check(s) were not evaluated: "
            "the estate was not fully judged.",
            style="bold yellow",
        )
    return Text(f"PASS: no{gate.words} finding at or above {gate.fail_on}.", style="bold green")


def _triage(view: ReportView, console: Console) -> None:
    """The baseline's and the suppression file's account, when the scan used them."""
    t = safe.terminal
    if view.baseline:
        b = view.baseline
        line = Text("baseline ", style="bold")
        line.append(f"{t(b.path)}: {b.new} new, {b.unchanged} unchanged, {len(b.fixed)} fixed")
        if b.unverified:
            line.append(f", {len(b.unverified)} not re-checked (not called fixed)", style="yellow")
        console.print(line)
    if view.suppressions:
        s = view.suppressions
        console.print(
            Text("suppressions ", style="bold")
            + Text(f"{t(s.path)}: {s.suppressed} finding(s) suppressed")
        )
        for e in s.expired:
            console.print(
                Text(
                    f"expired suppression {t(e['entry'])} (expired {t(e['expires'])}, "
                    f"{e['matches']} finding(s) no longer suppressed): {t(e['justification'])}",
                    style="bold yellow",
                )
            )
        for e in s.match_all:
            console.print(
                Text(
                    f"suppression {t(e['entry'])} matches every finding (its selectors are "
                    f"only '*'): no finding it covers can fail the gate",
                    style="bold yellow",
                )
            )
        for e in s.stale:
            console.print(
                Text(
                    f"stale suppression {t(e['entry'])} matches no finding: "
                    f"{t(e['justification'])}",
                    style="yellow",
                )
            )
        if s.unchecked:
            console.print(
                Text(
                    f"{len(s.unchecked)} suppression(s) not checked for staleness: "
                    + "; ".join(f"{t(e['entry'])} ({t(e['reason'])})" for e in s.unchecked[:5]),
                    style="dim",
                )
            )
