"""The run as a short Markdown summary: a pull-request comment, ``$GITHUB_STEP_SUMMARY`` or
Azure DevOps' ``##vso[task.uploadsummary]``.

It leads with the verdict and never says *pass* for a scan that did not see or judge
everything. Everything from the estate goes through :func:`cell`, the one escaping choke
point, and every list is capped: GitHub rejects a step summary over 1 MiB, so the size is
enforced here, not hoped for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import arm
from ..findings import Finding
from .safe import markdown as cell
from .view import BaselineAccount, ReportView, SuppressionAccount

MAX_ROWS = 20  # rows of one table
MAX_CELL = 300  # characters of one cell of estate text
# GitHub's limit is 1 MiB per step; stay below it so a caller can add a line or two.
MAX_BYTES = 1_000_000
FULL_REPORT = "the JSON, CSV, SARIF or HTML report of this run (`scan --output FORMAT:PATH`)"


def render(view: ReportView) -> str:
    return summary(view)


def summary(view: ReportView, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> str:
    """The summary with at most ``max_rows`` rows per table, cut to ``max_bytes`` (UTF-8)."""
    out: list[str] = []
    out += _heading(view)
    out += _severity_table(view)
    out += _top_findings(view, max_rows)
    if view.baseline:
        out += _baseline(view, view.baseline, max_rows)
    if view.suppressions:
        out += _suppressions(view.suppressions, max_rows)
    out += _coverage(view, max_rows)
    out += _azure(view, max_rows)
    out += [
        "",
        f"mlops-audit {cell(view.tool_version)} · {len(view.rules)} rule(s) run · "
        f"generated {cell(view.generated_at)}",
    ]
    return fit("\n".join(out) + "\n", max_bytes)


def fit(text: str, max_bytes: int) -> str:
    """``text`` whole if it fits in ``max_bytes`` of UTF-8; else its first lines and a note.

    Cutting at a line keeps every kept table row and code span whole."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    note = (
        f"\n> **Truncated** to fit the {max_bytes:,}-byte summary limit; "
        f"the full list is in {FULL_REPORT}.\n"
    )
    budget = max_bytes - len(note.encode("utf-8"))
    kept: list[str] = []
    for line in text.splitlines(keepends=True):
        size = len(line.encode("utf-8"))
        if size > budget:
            break
        kept.append(line)
        budget -= size
    return "".join(kept) + note


# -- sections ----------------------------------------------------------------------------
_TITLE = {
    "fail": "❌ mlops-audit: FAIL",
    "incomplete": "⚠️ mlops-audit: INCOMPLETE",
    "ungated": "📋 mlops-audit: FINDINGS, NOT GATED",
    "pass": "✅ mlops-audit: PASS",
}


def _heading(view: ReportView) -> list[str]:
    gate, coverage, summary = view.gate, view.coverage, view.summary
    gaps = len(coverage.gaps)
    rules_out = len(coverage.rules_not_evaluated)
    checks = len(coverage.checks)
    missing = []
    if gaps:
        missing.append(f"{gaps} coverage gap(s): part of the estate was not read")
    if rules_out:
        missing.append(f"{rules_out} rule(s) could not run")
    if checks:
        missing.append(f"{checks} check(s) could not be evaluated")
    lines = [f"## {_TITLE[gate.verdict]}", ""]
    if gate.verdict == "fail":
        lines.append(
            f"**{gate.failing}{gate.words} finding(s) at or above {gate.fail_on}** fail the gate."
        )
        if missing:
            lines += ["", f"The scan is also incomplete: {'; '.join(missing)}."]
    elif gate.verdict == "incomplete":
        found = (
            f"No{gate.words} finding at or above {gate.fail_on} in what was judged"
            if gate.gated
            else f"{summary.findings} finding(s) (not gated: `--fail-on none`)"
        )
        lines.append(f"**{found}, but {'; '.join(missing)}: this is not a pass.**")
    elif gate.verdict == "ungated":
        lines.append(
            f"**{summary.findings} finding(s); `--fail-on none`: the gate does not "
            "depend on them.**"
        )
    else:
        above = f" at or above {gate.fail_on}" if gate.gated else ""
        lines.append(
            f"**No{gate.words} finding{above}**; every input was read whole and every check "
            "was evaluated."
        )
    inputs, inv = view.inputs, view.inventory
    shown = ", ".join(cell(i.path, code=True, limit=120, in_table=False) for i in inputs[:5])
    more = f" and {len(inputs) - 5} more" if len(inputs) > 5 else ""
    lines += [
        "",
        f"{inv.resources} resource(s) from {inv.rows_read} row(s) in "
        f"{len(inputs)} input(s) ({shown}{more}) · {len(view.rules)} rule(s) · "
        f"gate `--fail-on {gate.fail_on}`",
    ]
    return lines


def _severity_table(view: ReportView) -> list[str]:
    head = ["severity", "findings", "count toward the gate", "suppressed"]
    if view.baseline:
        head += ["new", "in baseline"]
    lines = ["", "### Findings by severity", "", "| " + " | ".join(head) + " |"]
    lines.append("|---" + "|---:" * (len(head) - 1) + "|")
    for sev in (*view.severities, view.severity_totals):
        counts = [sev.findings, sev.counted, sev.suppressed]
        if view.baseline:
            counts += [sev.new, sev.unchanged]
        label = f"**{sev.severity}** (gated)" if sev.gated else sev.severity
        lines.append(f"| {label} | " + " | ".join(str(c) for c in counts) + " |")
    return lines


def _state(f: Finding) -> str:
    parts = []
    if f.baseline == "new":
        parts.append("new")
    elif f.baseline == "unchanged":
        parts.append("in baseline")
    if f.suppression:
        s = f.suppression
        until = f" until {cell(s['expires'])}" if s.get("expires") else ""
        parts.append(f"suppressed ({cell(s['entry'], code=True, limit=200)}{until})")
    return ", ".join(parts) or "counts"


def _resource(name: Any, resource_id: str) -> str:
    """The resource's name as code, with its resource group (names repeat across groups)."""
    shown = cell(name or arm.last_name(resource_id), code=True, limit=120)
    group = arm.segment(resource_id, "resourceGroups")
    return f"{shown} ({cell(group, limit=90)})" if group else shown


def _finding_resource(view: ReportView, f: Finding) -> str:
    """The resource cell: for source-code input its address at ``file:line``."""
    where = view.where(f.location)
    if where is None:
        return _resource(f.resource_name, f.resource_id)
    return f"{cell(f.resource_id, code=True, limit=120)} at {cell(where, code=True, limit=160)}"


def _finding_rows(view: ReportView, findings: Sequence[Finding], triage: bool) -> list[str]:
    head = "| severity | rule | resource | finding |" + (" state |" if triage else "")
    lines = [head, "|---|---|---|---|" + ("---|" if triage else "")]
    for f in findings:
        row = (
            f"| {cell(f.severity)} | {cell(f.rule_id)} | "
            f"{_finding_resource(view, f)} | {cell(f.message, limit=MAX_CELL)} |"
        )
        lines.append(row + (f" {_state(f)} |" if triage else ""))
    return lines


def _more(shown: int, total: int, what: str) -> list[str]:
    if total <= shown:
        return []
    return ["", f"… and {total - shown} more {what}: the full list is in {FULL_REPORT}."]


def _top_findings(view: ReportView, max_rows: int) -> list[str]:
    findings = view.findings
    if not findings:
        return []
    # what fails the gate first, then the most severe
    ordered = sorted(findings, key=lambda f: (not f.counts, *f.sort_key(), f.fingerprint))
    top = ordered[:max_rows]
    triage = view.triaged
    title = f"### Top findings ({len(top)} of {len(findings)}"
    title += ", counted first)" if triage else ", most severe first)"
    lines = ["", title, ""]
    lines += _finding_rows(view, top, triage)
    return lines + _more(len(top), len(findings), "finding(s)")


def _entry_rows(entries: Sequence[dict[str, Any]], detail: str) -> list[str]:
    """Rows of baseline entries (plain dicts from a report or baseline file)."""
    lines = ["| severity | rule | resource | " + detail + " |", "|---|---|---|---|"]
    for e in entries:
        rid = str(e.get("resource_id") or "")
        text = e.get("reason") if detail == "why" else e.get("message") or e.get("title")
        lines.append(
            f"| {cell(e.get('severity'))} | {cell(e.get('rule_id'))} | "
            f"{_resource(e.get('resource_name'), rid)} | {cell(text, limit=MAX_CELL)} |"
        )
    return lines


def _baseline(view: ReportView, b: BaselineAccount, max_rows: int) -> list[str]:
    fixed, unverified, new = b.fixed, b.unverified, view.new_findings
    lines = [
        "",
        "### Since the baseline",
        "",
        f"Baseline {cell(b.path, code=True, limit=200, in_table=False)}: "
        f"**{b.new} new**, {b.unchanged} unchanged, "
        f"{len(fixed)} fixed, {len(unverified)} not re-checked (not called fixed).",
    ]
    if new:
        lines += ["", f"#### New ({len(new)})", ""]
        lines += _finding_rows(view, new[:max_rows], view.suppressions is not None)
        lines += _more(min(len(new), max_rows), len(new), "new finding(s)")
    if fixed:
        lines += ["", f"#### Fixed ({len(fixed)})", ""]
        lines += _entry_rows(fixed[:max_rows], "finding")
        lines += _more(min(len(fixed), max_rows), len(fixed), "fixed finding(s)")
    if unverified:
        lines += ["", f"#### Not re-checked ({len(unverified)}): not called fixed", ""]
        lines += _entry_rows(unverified[:max_rows], "why")
        lines += _more(min(len(unverified), max_rows), len(unverified), "finding(s)")
    return lines


def _selector(e: dict[str, Any]) -> str:
    parts = [f"{k}={e[k]}" for k in ("rule", "resource", "related", "tag") if e.get(k)]
    return cell(" ".join(parts), code=True, limit=200)


def _suppressions(s: SuppressionAccount, max_rows: int) -> list[str]:
    expired, stale = s.expired, s.stale
    lines = [
        "",
        "### Suppressions",
        "",
        f"{cell(s.path, code=True, limit=200, in_table=False)} as of "
        f"{cell(s.as_of)}: {s.entries} entries, "
        f"{s.suppressed} finding(s) suppressed, {len(expired)} expired, "
        f"{len(stale)} stale.",
    ]
    if expired:
        lines += [
            "",
            f"#### ⚠️ Expired ({len(expired)}): they no longer suppress; renew or fix",
            "",
            "| entry | expired | findings | selects | justification | owner |",
            "|---|---|---:|---|---|---|",
        ]
        for e in expired[:max_rows]:
            lines.append(
                f"| {cell(e.get('entry'), code=True, limit=200)} | {cell(e.get('expires'))} | "
                f"{e.get('matches', 0)} | {_selector(e)} | "
                f"{cell(e.get('justification'), limit=MAX_CELL)} | {cell(e.get('owner'))} |"
            )
        lines += _more(min(len(expired), max_rows), len(expired), "expired entries")
    if stale:
        lines += [
            "",
            f"#### Stale ({len(stale)}): they match no finding; remove them",
            "",
            "| entry | selects | justification | owner |",
            "|---|---|---|---|",
        ]
        for e in stale[:max_rows]:
            lines.append(
                f"| {cell(e.get('entry'), code=True, limit=200)} | {_selector(e)} | "
                f"{cell(e.get('justification'), limit=MAX_CELL)} | {cell(e.get('owner'))} |"
            )
        lines += _more(min(len(stale), max_rows), len(stale), "stale entries")
    if s.match_all:
        lines += [
            "",
            f"#### ⚠️ Matching every finding ({len(s.match_all)}): selectors only `*`, so no "
            "finding they cover can fail the gate; narrow them",
            "",
            "| entry | selects | justification | owner |",
            "|---|---|---|---|",
        ]
        for e in s.match_all[:max_rows]:
            lines.append(
                f"| {cell(e.get('entry'), code=True, limit=200)} | {_selector(e)} | "
                f"{cell(e.get('justification'), limit=MAX_CELL)} | {cell(e.get('owner'))} |"
            )
        lines += _more(min(len(s.match_all), max_rows), len(s.match_all), "entries")
    return lines


def _coverage(view: ReportView, max_rows: int) -> list[str]:
    coverage, graph = view.coverage, view.graph
    gaps, notes = coverage.gaps, coverage.notes
    rules_out, checks = coverage.rules_not_evaluated, coverage.checks
    unseen = view.inventory.referenced_not_seen
    lines = ["", "### Coverage"]
    if not (gaps or rules_out or checks):
        lines += ["", "Complete: every input was read whole and every check was evaluated."]
    if gaps:
        lines += [
            "",
            f"#### ⚠️ Inputs not read completely ({len(gaps)}): part of the estate was not seen",
            "",
            "| input | problem |",
            "|---|---|",
        ]
        for g in gaps[:max_rows]:
            lines.append(
                f"| {cell(g.get('path'), code=True, limit=200)} | "
                f"{cell(g.get('problem'), limit=MAX_CELL)} |"
            )
        lines += _more(min(len(gaps), max_rows), len(gaps), "gap(s)")
    if rules_out:
        lines += [
            "",
            f"#### ⚠️ Rules not evaluated ({len(rules_out)}): these are not passes",
            "",
            "| rule | severity | why |",
            "|---|---|---|",
        ]
        for r in rules_out[:max_rows]:
            lines.append(
                f"| {cell(r.rule_id)} | {cell(r.severity)} | {cell(r.reason, limit=MAX_CELL)} |"
            )
        lines += _more(min(len(rules_out), max_rows), len(rules_out), "rule(s)")
    if checks:
        lines += [
            "",
            f"#### ⚠️ Checks not evaluated ({len(checks)} on {coverage.check_resources} "
            f"resource(s), {coverage.check_rules} rule(s)): these are not passes",
            "",
            "| rule | resource | about | why |",
            "|---|---|---|---|",
        ]
        for n in checks[:max_rows]:
            rid = n.resource_id or ""
            key = arm.key(rid)
            name = graph.name(key) if graph.has_node(key) else arm.last_name(rid)
            about = cell(arm.last_name(n.related_id), code=True, limit=120) if n.related_id else ""
            lines.append(
                f"| {cell(n.rule_id)} | {_resource(name, rid)} | {about} | "
                f"{cell('; '.join(n.reasons), limit=MAX_CELL)} |"
            )
        lines += _more(min(len(checks), max_rows), len(checks), "check(s)")
    if unseen:
        lines += [
            "",
            f"{len(unseen)} referenced resource(s) are not in the estate (other subscriptions, "
            "or not collected); the JSON report lists them under "
            "`inventory.referenced_not_seen`.",
        ]
    if notes:
        lines.append("")
        lines += [f"- note: {cell(n.get('note'), limit=MAX_CELL)}" for n in notes[:max_rows]]
        lines += _more(min(len(notes), max_rows), len(notes), "note(s)")
    return lines


_SOURCE_NAMES = {"policy": "Azure Policy", "defender": "Defender for Cloud"}


def _azure(view: ReportView, max_rows: int) -> list[str]:
    """What Azure Policy and Defender for Cloud flag too, and what no rule here covers."""
    x = view.crossref
    if x is None:
        return []
    lines = ["", "### What Azure flags too", ""]
    for name, s in x.sources.items():
        label = _SOURCE_NAMES.get(name, name)
        if not s.available:
            lines.append(f"- {label}: not available ({cell(s.reason, limit=MAX_CELL)})")
            continue
        dropped = sum(s.dropped.values())
        extra = f"; {dropped} row(s) left out (the JSON report says why)" if dropped else ""
        lines.append(f"- {label}: {s.on_audited} flag(s) on audited resources{extra}")
    if not x.available:
        return lines
    flagged = [f for f in view.findings if f.also_flagged_by]
    same = sum(
        1 for f in flagged if any(e["match"] == "same-check" for e in f.also_flagged_by or ())
    )
    lines.append(
        f"- {len(flagged)} of {len(view.findings)} finding(s) also flagged by Azure, "
        f"{same} by the policy the rule mirrors (`also_flagged_by` in the JSON report)"
    )
    groups = x.not_covered
    if not groups:
        lines += ["", "Azure flags nothing on the audited resources that no rule here covers."]
        return lines
    lines += [
        "",
        f"#### Flagged by Azure, covered by no rule here ({len(groups)})",
        "",
        "| source | policy or recommendation | resources |",
        "|---|---|---|",
    ]
    for g in groups[:max_rows]:
        what = g.get("display_name") or g.get("definition_id") or g.get("assessment_key")
        assigned = ", ".join(g.get("assignments") or ())
        via = f" (assignment {cell(assigned, limit=120)})" if assigned else ""
        lines.append(
            f"| {_SOURCE_NAMES.get(g['source'], cell(g['source']))} | "
            f"{cell(what, code=not g.get('display_name'), limit=200)}{via} | "
            f"{g['resource_count']} |"
        )
    lines += _more(min(len(groups), max_rows), len(groups), "group(s)")
    return lines
