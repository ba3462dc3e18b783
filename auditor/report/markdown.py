"""The run as a short Markdown summary: a pull-request comment, ``$GITHUB_STEP_SUMMARY`` or
Azure DevOps' ``##vso[task.uploadsummary]``.

It leads with the verdict and never says *pass* for a scan that did not see or judge
everything. Everything from the estate goes through :func:`cell`, the one escaping choke
point, and every list is capped: GitHub rejects a step summary over 1 MiB, so the size is
enforced here, not hoped for.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from .. import __version__, arm
from ..findings import SEVERITIES, SEVERITY_RANK, Finding
from . import gate_words, verdict

if TYPE_CHECKING:
    from . import Run

MAX_ROWS = 20  # rows of one table
MAX_CELL = 300  # characters of one cell of estate text
# GitHub's limit is 1 MiB per step; stay below it so a caller can add a line or two.
MAX_BYTES = 1_000_000
FULL_REPORT = "the JSON, CSV, SARIF or HTML report of this run (`scan --output FORMAT:PATH`)"

# Characters that must not reach a renderer as they are: C0/C1 controls (whitespace is
# collapsed before this), bidi overrides that reorder what a reader sees, lone surrogates
# (not encodable) and the two non-characters.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
# Markdown punctuation that could start a link, emphasis, code, strike-through or escape;
# CommonMark lets a backslash make any of them literal (and GFM tables need ``\|``).
_PUNCTUATION = {c: "\\" + c for c in "\\`*_[]~|!#"}
_PLAIN = str.maketrans(
    {**_PUNCTUATION, "&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "@\u2060"}  # no @mentions
)
_TICKS = re.compile("`+")
_WWW = re.compile(r"(?i)\b(www)\.")


def cell(text: Any, *, code: bool = False, limit: int | None = None, in_table: bool = True) -> str:
    """Untrusted text as one line of inert Markdown, safe inside a GFM table cell.

    Line breaks and runs of whitespace collapse to one space, controls and bidi overrides
    become U+FFFD, and ``limit`` cuts the text (before escaping, so no escape is split).
    Plain text gets every Markdown-significant character backslash-escaped and ``& < >``
    as entities, so a name like ``<img src=x onerror=...>`` or ``[x](http://...)`` stays
    text. ``code=True`` makes a code span (its content is literal; the fence is longer
    than any backtick run inside); in a table its pipes are ``\\|``, which GFM removes
    again before the span is read. Text that already holds ``\\|`` falls back to plain,
    the one spelling that reads the same in GitHub's and Azure DevOps' table parsers.
    """
    s = " ".join(str("" if text is None else text).split())
    if limit is not None and len(s) > limit:
        s = s[: max(limit - 1, 0)].rstrip() + "…"
    s = _UNSAFE.sub("\ufffd", s)
    if not s:
        return ""
    if code and not (in_table and "\\|" in s):
        if in_table:
            s = s.replace("|", "\\|")
        fence = "`" * (max((len(m) for m in _TICKS.findall(s)), default=0) + 1)
        pad = " " if s.startswith("`") or s.endswith("`") else ""
        return f"{fence}{pad}{s}{pad}{fence}"
    s = s.translate(_PLAIN)
    # GFM links bare www. names and scheme:// text on its own; an escape stops that
    return _WWW.sub(r"\1\\.", s).replace("://", "\\://")


def render(run: Run) -> str:
    return summary(run)


def summary(run: Run, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> str:
    """The summary with at most ``max_rows`` rows per table, cut to ``max_bytes`` (UTF-8)."""
    out: list[str] = []
    out += _heading(run)
    out += _severity_table(run)
    out += _top_findings(run, max_rows)
    if run.baseline:
        out += _baseline(run, max_rows)
    if run.suppressions:
        out += _suppressions(run, max_rows)
    out += _coverage(run, max_rows)
    out += [
        "",
        f"mlops-audit {cell(__version__)} · {len(run.rules)} rule(s) run · "
        f"generated {cell(run.generated_at)}",
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


def _heading(run: Run) -> list[str]:
    result, estate = run.result, run.graph.estate
    triaged = gate_words(run)
    word = verdict(run)
    gaps = len(estate.gaps)
    rules_out = sum(1 for o in result.outcomes if o.reason is not None)
    checks = sum(1 for n in result.not_evaluated if n.resource_id is not None)
    missing = []
    if gaps:
        missing.append(f"{gaps} coverage gap(s): part of the estate was not read")
    if rules_out:
        missing.append(f"{rules_out} rule(s) could not run")
    if checks:
        missing.append(f"{checks} check(s) could not be evaluated")
    lines = [f"## {_TITLE[word]}", ""]
    if word == "fail":
        lines.append(
            f"**{len(result.failing(run.fail_on))}{triaged} finding(s) at or above "
            f"{run.fail_on}** fail the gate."
        )
        if missing:
            lines += ["", f"The scan is also incomplete: {'; '.join(missing)}."]
    elif word == "incomplete":
        found = (
            f"No{triaged} finding at or above {run.fail_on} in what was judged"
            if run.fail_on != "none"
            else f"{len(result.findings)} finding(s) (not gated: `--fail-on none`)"
        )
        lines.append(f"**{found}, but {'; '.join(missing)}: this is not a pass.**")
    elif word == "ungated":
        lines.append(
            f"**{len(result.findings)} finding(s); `--fail-on none`: the gate does not "
            "depend on them.**"
        )
    else:
        above = f" at or above {run.fail_on}" if run.fail_on != "none" else ""
        lines.append(
            f"**No{triaged} finding{above}**; every input was read whole and every check "
            "was evaluated."
        )
    sources = estate.sources
    shown = ", ".join(cell(s.path, code=True, limit=120, in_table=False) for s in sources[:5])
    more = f" and {len(sources) - 5} more" if len(sources) > 5 else ""
    lines += [
        "",
        f"{len(estate.rows)} resource(s) from {estate.rows_read} row(s) in "
        f"{len(sources)} input(s) ({shown}{more}) · {len(run.rules)} rule(s) · "
        f"gate `--fail-on {run.fail_on}`",
    ]
    return lines


def _severity_table(run: Run) -> list[str]:
    findings = run.result.findings
    total = Counter(f.severity for f in findings)
    counted = Counter(f.severity for f in findings if f.counts)
    suppressed = Counter(f.severity for f in findings if f.suppression)
    known = Counter(f.severity for f in findings if f.baseline == "unchanged")
    new = Counter(f.severity for f in findings if f.baseline == "new")
    head = ["severity", "findings", "count toward the gate", "suppressed"]
    columns = [total, counted, suppressed]
    if run.baseline:
        head += ["new", "in baseline"]
        columns += [new, known]
    limit = SEVERITY_RANK.get(run.fail_on, -1)  # "none": no severity gates
    lines = ["", "### Findings by severity", "", "| " + " | ".join(head) + " |"]
    lines.append("|---" + "|---:" * (len(head) - 1) + "|")
    for sev in SEVERITIES:
        label = f"**{sev}** (gated)" if SEVERITY_RANK[sev] <= limit else sev
        lines.append(f"| {label} | " + " | ".join(str(c[sev]) for c in columns) + " |")
    lines.append("| total | " + " | ".join(str(sum(c.values())) for c in columns) + " |")
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


def _finding_rows(findings: list[Finding], triage: bool) -> list[str]:
    head = "| severity | rule | resource | finding |" + (" state |" if triage else "")
    lines = [head, "|---|---|---|---|" + ("---|" if triage else "")]
    for f in findings:
        row = (
            f"| {cell(f.severity)} | {cell(f.rule_id)} | "
            f"{_resource(f.resource_name, f.resource_id)} | {cell(f.message, limit=MAX_CELL)} |"
        )
        lines.append(row + (f" {_state(f)} |" if triage else ""))
    return lines


def _more(shown: int, total: int, what: str) -> list[str]:
    if total <= shown:
        return []
    return ["", f"… and {total - shown} more {what}: the full list is in {FULL_REPORT}."]


def _top_findings(run: Run, max_rows: int) -> list[str]:
    findings = run.result.findings
    if not findings:
        return []
    # what fails the gate first, then the most severe
    ordered = sorted(findings, key=lambda f: (not f.counts, *f.sort_key(), f.fingerprint))
    top = ordered[:max_rows]
    triage = bool(run.baseline or run.suppressions)
    title = f"### Top findings ({len(top)} of {len(findings)}"
    title += ", counted first)" if triage else ", most severe first)"
    lines = ["", title, ""]
    lines += _finding_rows(top, triage)
    return lines + _more(len(top), len(findings), "finding(s)")


def _entry_rows(entries: list[dict[str, Any]], detail: str) -> list[str]:
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


def _baseline(run: Run, max_rows: int) -> list[str]:
    b = run.baseline or {}
    fixed, unverified = b.get("fixed", []), b.get("unverified", [])
    new = [f for f in run.result.findings if f.baseline == "new"]
    lines = [
        "",
        "### Since the baseline",
        "",
        f"Baseline {cell(b.get('path'), code=True, limit=200, in_table=False)}: "
        f"**{b.get('new', len(new))} new**, {b.get('unchanged', 0)} unchanged, "
        f"{len(fixed)} fixed, {len(unverified)} not re-checked (not called fixed).",
    ]
    if new:
        lines += ["", f"#### New ({len(new)})", ""]
        lines += _finding_rows(new[:max_rows], bool(run.suppressions))
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


def _suppressions(run: Run, max_rows: int) -> list[str]:
    s = run.suppressions or {}
    expired, stale = s.get("expired", []), s.get("stale", [])
    lines = [
        "",
        "### Suppressions",
        "",
        f"{cell(s.get('path'), code=True, limit=200, in_table=False)} as of "
        f"{cell(s.get('as_of'))}: {s.get('entries', 0)} entries, "
        f"{s.get('suppressed', 0)} finding(s) suppressed, {len(expired)} expired, "
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
    return lines


def _coverage(run: Run, max_rows: int) -> list[str]:
    result, graph = run.result, run.graph
    gaps, notes = graph.estate.gaps, graph.estate.notes
    rules_out = [o for o in result.outcomes if o.reason is not None]
    checks = [n for n in result.not_evaluated if n.resource_id is not None]
    unseen = graph.placeholders()
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
        for o in rules_out[:max_rows]:
            lines.append(
                f"| {cell(o.rule_id)} | {cell(o.severity)} | {cell(o.reason, limit=MAX_CELL)} |"
            )
        lines += _more(min(len(rules_out), max_rows), len(rules_out), "rule(s)")
    if checks:
        resources = len({arm.key(n.resource_id or "") for n in checks})
        rules = len({n.rule_id for n in checks})
        lines += [
            "",
            f"#### ⚠️ Checks not evaluated ({len(checks)} on {resources} resource(s), "
            f"{rules} rule(s)): these are not passes",
            "",
            "| rule | resource | about | why |",
            "|---|---|---|---|",
        ]
        for n in checks[:max_rows]:
            rid = n.resource_id or ""
            key = arm.key(rid)
            name = graph.name(key) if key in graph.g else arm.last_name(rid)
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
