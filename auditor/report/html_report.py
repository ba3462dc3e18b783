"""The HTML report: one self-contained page for people (``--output html:report.html``).

It opens offline from a pipeline artifact: no script, no fetch of any kind (no external
src/href, no fonts, no CDN), inline CSS only, and a CSP that forbids everything else, so
even a missed escape could not run. The findings table filters by severity and category
with checkboxes and CSS ``:has()`` — no JavaScript. The network picture is inline SVG from
``network.py``.

Every string from the estate (names, ids, messages, tags, file paths) goes through
``safe.html``, the one escape function. Ids and anchors are opaque (``n1``, ``f-`` +
fingerprint), never ARM ids. The page is a pure function of the view: the same run gives
the same bytes, apart from ``generated_at`` in the header.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..findings import CATEGORIES, SEVERITIES, Finding
from ..model import KIND_OF_TYPE
from .network import CSS as NETWORK_CSS
from .network import draw
from .safe import css_name
from .safe import html as esc
from .view import MAX_FLAGS, BaselineAccount, ReportView, SuppressionAccount

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
MAX_NOT_EVALUATED = 500  # per-resource not-evaluated entries listed (the JSON has all)
MAX_UNSEEN = 200  # referenced-but-not-seen resources listed

PAGE_CSS = """
:root{color-scheme:light}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:14px;
color:#1f2328;margin:0;padding:0 24px 48px;background:#fff;line-height:1.45}
h1{font-size:22px;margin:18px 0 4px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.meta{color:#57606a;margin:0 0 12px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:8px;border-radius:6px;
margin:4px 0}
code.id{word-break:break-all;color:#57606a;font-size:11px;display:block}
table{border-collapse:collapse;margin:6px 0 12px}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.num,th.num{text-align:right}
.verdict{display:inline-block;font-weight:700;font-size:16px;padding:6px 14px;border-radius:6px;
margin:6px 0}
.v-fail{background:#ffebe9;color:#a40e26;border:1px solid #cf222e}
.v-incomplete{background:#fff8c5;color:#7d4e00;border:1px solid #bf8700}
.v-pass{background:#dafbe1;color:#116329;border:1px solid #1a7f37}
.v-nogate{background:#ddf4ff;color:#0a3069;border:1px solid #0969da}
.sev{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;
color:#fff}
.sev.sev-critical{background:#82071e}.sev.sev-high{background:#cf222e}
.sev.sev-medium{background:#bc4c00}.sev.sev-low{background:#0969da}.sev.sev-info{background:#57606a}
.tag{display:inline-block;border:1px solid #d0d7de;border-radius:10px;padding:0 7px;
font-size:12px;margin:1px 2px 1px 0}
.tag.new{border-color:#8250df;color:#6639ba;font-weight:600}
.tag.supp{border-color:#57606a;color:#57606a}
.tag.counts{border-color:#cf222e;color:#a40e26}
.warn{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px;
margin:8px 0}
.bad{background:#ffebe9;border:1px solid #ff818266;border-radius:6px;padding:8px 12px;
margin:8px 0}
.figure{overflow:auto;border:1px solid #d0d7de;border-radius:6px;padding:4px;max-height:1200px}
.cols{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
.nowrap{white-space:nowrap}
ul.warn{padding:8px 12px 8px 32px}
.filters{border:1px solid #d0d7de;border-radius:6px;padding:6px 10px;margin:8px 0}
.filters span.h{font-weight:600;margin-right:6px}
.filters label{margin-right:12px;cursor:pointer}
.filters .row{margin:3px 0}
table.findings{width:100%}
table.findings td{font-size:13px}
table.findings td.msg{max-width:520px}
details summary{cursor:pointer;color:#0969da}
.muted{color:#57606a}
tr.finding:target{outline:3px solid #0969da}
"""


def render(view: ReportView) -> str:
    """The whole page."""
    picture = draw(view)
    sections = [
        _head(view),
        "<body>",
        _header(view),
        _summary(view),
        _coverage(view),
        _network(picture.svg, picture.notes, picture.counts),
        _findings(view),
        _suppressions(view.suppressions),
        _baseline(view.baseline),
        _azure(view),
        _rules(view),
        _inputs(view),
        f'<p class="muted">mlops-audit {esc(view.tool_version)} · report generated '
        f"{esc(view.generated_at)}</p>",
        "</body>",
        "</html>",
    ]
    return "\n".join(s for s in sections if s) + "\n"


# -- pieces ---------------------------------------------------------------------------------
def _filter_css(categories: list[str]) -> str:
    rules = [
        f"body:has(#f-sev-{s}:not(:checked)) tr.finding.sev-{s}{{display:none}}" for s in SEVERITIES
    ]
    rules += [
        f"body:has(#f-cat-{css_name(c)}:not(:checked)) tr.finding.cat-{css_name(c)}{{display:none}}"
        for c in categories
    ]
    return "\n".join(rules)


def _categories(view: ReportView) -> list[str]:
    """The fixed categories, then any other category a finding has."""
    return list(CATEGORIES) + sorted(set(view.findings_by_category) - set(CATEGORIES))


def _head(view: ReportView) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<title>mlops-audit report</title>",
            "<style>",
            PAGE_CSS.strip(),
            NETWORK_CSS.strip(),
            _filter_css(_categories(view)),
            "</style>",
            "</head>",
        ]
    )


def _header(view: ReportView) -> str:
    inputs = ", ".join(i.path for i in view.inputs)
    return (
        "<h1>mlops-audit report</h1>\n"
        f'<p class="meta">Generated {esc(view.generated_at)} · mlops-audit '
        f"{esc(view.tool_version)} · fail on <b>{esc(view.gate.fail_on)}</b> · inputs: "
        f"{esc(inputs) or 'none'}</p>"
    )


_VERDICT = {
    "fail": ("v-fail", "FAIL"),
    "incomplete": ("v-incomplete", "INCOMPLETE"),
    "ungated": ("v-nogate", "NOT GATED"),
    "pass": ("v-pass", "PASS"),
}


def _verdict(view: ReportView) -> tuple[str, str, str]:
    """(css class, word, sentence). Never "pass" while part of the estate was not seen or
    some check could not be evaluated."""
    gate, coverage = view.gate, view.coverage
    why = []
    if coverage.gaps:
        why.append(f"{len(coverage.gaps)} coverage gap(s) in the inputs")
    if coverage.not_evaluated:
        why.append(f"{len(coverage.not_evaluated)} check(s) not evaluated")
    cls, word = _VERDICT[gate.verdict]
    if gate.verdict == "fail":
        extra = f"; the audit is also incomplete: {', '.join(why)}" if why else ""
        sentence = f"{gate.failing}{gate.words} finding(s) at or above {gate.fail_on}{extra}."
    elif gate.verdict == "incomplete":
        sentence = (
            f"No{gate.words} finding at or above {gate.fail_on} in what was judged, but "
            f"{' and '.join(why)}: this is not a pass."
        )
    elif gate.verdict == "ungated":
        sentence = (
            f"{view.summary.findings} finding(s); --fail-on none: the exit code does not "
            "depend on them."
        )
    else:
        sentence = f"No{gate.words} finding at or above {gate.fail_on}."
    return cls, word, sentence


def _summary(view: ReportView) -> str:
    summary, inv, b = view.summary, view.inventory, view.baseline
    cls, word, sentence = _verdict(view)
    rows = [
        ("findings", summary.findings),
        (f"counting toward --fail-on {view.gate.fail_on}", summary.counted),
        ("suppressed", summary.suppressed),
    ]
    if b:
        rows.append(("new since the baseline", b.new))
        rows.append(("unchanged (in the baseline)", b.unchanged))
        rows.append(("fixed since the baseline", len(b.fixed)))
        rows.append(("not re-checked (not called fixed)", len(b.unverified)))
    rows += [
        ("checks not evaluated", summary.not_evaluated),
        ("rules run", summary.rules_run),
        ("rules failing", view.rule_statuses.get("fail", 0)),
        ("rules incomplete", summary.rules_incomplete),
        ("rules not evaluated", summary.rules_not_evaluated),
        ("resources", inv.resources),
        ("rows read", inv.rows_read),
        ("coverage gaps", len(view.coverage.gaps)),
    ]
    sev_cells = "".join(
        f'<td class="num"><span class="sev sev-{css_name(s.severity)}">{esc(s.severity)}</span> '
        f"{s.findings}</td>"
        for s in view.severities
    )
    cat_cells = "".join(
        f'<tr><td>{esc(c)}</td><td class="num">{n}</td></tr>'
        for c, n in view.findings_by_category.items()
    )
    totals = "".join(f'<tr><td>{esc(k)}</td><td class="num">{v}</td></tr>' for k, v in rows)
    return (
        '<section id="summary">\n<h2>Summary</h2>\n'
        f'<div class="verdict {cls}">{esc(word)}</div> <span>{esc(sentence)}</span>\n'
        f"<table><tr>{sev_cells}</tr></table>\n"
        '<div class="cols">'
        f"<table><tr><th>count</th><th class=num>n</th></tr>{totals}</table>"
        + (
            f"<table><tr><th>category</th><th class=num>findings</th></tr>{cat_cells}</table>"
            if cat_cells
            else ""
        )
        + "</div>\n</section>"
    )


def _coverage(view: ReportView) -> str:
    """Coverage gaps, notes, and every check that could not be judged: these are not
    passes, and the page says so before it shows anything else."""
    coverage = view.coverage
    gaps, notes, per_resource = coverage.gaps, coverage.notes, coverage.checks
    whole, incomplete = coverage.rules_not_evaluated, coverage.rules_incomplete
    if not (gaps or notes or whole or incomplete or per_resource):
        return ""
    out = ['<section id="coverage">', "<h2>Coverage: what was not seen or not judged</h2>"]
    if gaps:
        items = "".join(
            f"<li><code>{esc(g.get('path', ''))}</code>: {esc(g.get('problem', ''))}</li>"
            for g in gaps
        )
        out.append(
            '<div class="bad"><b>The inputs are incomplete — part of the estate was not '
            f"seen.</b><ul>{items}</ul></div>"
        )
    if notes:
        items = "".join(
            f"<li>{esc(n.get('note', ''))}"
            + (f" <span class=muted>({esc(n['path'])})</span>" if n.get("path") else "")
            + "</li>"
            for n in notes
        )
        out.append(f"<h3>Notes</h3><ul>{items}</ul>")
    if whole:
        items = "".join(f"<li><b>{esc(r.rule_id)}</b>: {esc(r.reason or '')}</li>" for r in whole)
        out.append(f'<div class="warn"><b>Rules not evaluated at all</b><ul>{items}</ul></div>')
    if incomplete:
        items = "".join(
            f"<li><b>{esc(r.rule_id)}</b>: {r.not_evaluated} subject(s) could not be judged "
            f"({r.passed} passed, {r.failed} failed)</li>"
            for r in incomplete
        )
        out.append(f'<div class="warn"><b>Rules judged only in part</b><ul>{items}</ul></div>')
    if per_resource:
        shown = per_resource[:MAX_NOT_EVALUATED]
        rows = "".join(
            "<tr>"
            f"<td>{esc(n.rule_id)}</td>"
            f'<td><code class="id">{esc(n.resource_id or "")}</code></td>'
            f'<td><code class="id">{esc(n.related_id or "")}</code></td>'
            f"<td>{esc('; '.join(n.reasons))}</td>"
            "</tr>"
            for n in shown
        )
        more = (
            f"<p class=muted>… and {len(per_resource) - len(shown)} more (see the JSON report).</p>"
            if len(per_resource) > len(shown)
            else ""
        )
        out.append(
            f"<details{' open' if len(per_resource) <= 20 else ''}><summary>"
            f"{len(per_resource)} check(s) not evaluated on a resource "
            "(not passes)</summary>"
            "<table><tr><th>rule</th><th>resource</th><th>related</th><th>why</th></tr>"
            f"{rows}</table>{more}</details>"
        )
    out.append("</section>")
    return "\n".join(out)


def _network(svg: str, notes: list[str], counts: dict[str, int]) -> str:
    drawn = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items() if n)
    notes_html = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return (
        '<section id="network">\n<h2>Network</h2>\n'
        "<p class=muted>VNets with their subnets and address spaces, peerings and their "
        "state, private endpoints in their subnets with the service and group id they reach, "
        "private DNS zones and their VNet links, public IPs and what they attach to, and "
        "workspaces. Red marks what has findings (click it for the finding); a dashed red "
        "edge is a DNS link that is missing; hover for details. Drawn: "
        f"{esc(drawn) or 'nothing'}.</p>\n"
        + (f'<ul class="warn">{notes_html}</ul>\n' if notes_html else "")
        + f'<div class="figure">\n{svg}</div>\n</section>'
    )


def _state(f: Finding) -> str:
    parts = []
    if f.suppression:
        s = f.suppression
        extra = []
        if s.get("expires"):
            extra.append(f"expires {s['expires']}")
        if s.get("owner"):
            extra.append(f"owner {s['owner']}")
        parts.append(
            f'<span class="tag supp">suppressed</span> {esc(s.get("justification", ""))}'
            + (f" <span class=muted>({esc(', '.join(extra))})</span>" if extra else "")
            + f" <span class=muted>{esc(s.get('entry', ''))}</span>"
        )
    if f.baseline == "new":
        parts.append('<span class="tag new">new</span>')
    elif f.baseline == "unchanged":
        parts.append('<span class="tag">unchanged (in baseline)</span>')
    if f.counts:
        parts.append('<span class="tag counts">counts</span>')
    return "<br>".join(parts)


def _evidence(f: Finding) -> str:
    if not f.evidence:
        return ""
    text = "\n".join(
        json.dumps(e, sort_keys=True, ensure_ascii=False, default=str) for e in f.evidence
    )
    return f"<details><summary>evidence</summary><pre>{esc(text, multiline=True)}</pre></details>"


def _flag_text(e: dict[str, Any]) -> str:
    """One thing Azure flags, as a line: the recommendation or the assignment, and the
    policy definition's last segment (a built-in's GUID)."""
    definition = str(e.get("definition_id") or "").rpartition("/")[2]
    if e.get("source") == "defender":
        what = f"Defender for Cloud: {e.get('display_name') or e.get('assessment_key')}"
    else:
        what = f"Azure Policy assignment {e.get('assignment_name')}"
    return what + (f" (policy {definition})" if definition else "")


def _also_flagged(f: Finding) -> str:
    if not f.also_flagged_by:
        return ""
    items = "".join(
        f"<li>{esc(_flag_text(e))}{' <b>same check</b>' if e.get('match') == 'same-check' else ''}"
        "</li>"
        for e in f.also_flagged_by[:MAX_FLAGS]
    )
    n = len(f.also_flagged_by)
    if n > MAX_FLAGS:
        items += f"<li class=muted>… and {n - MAX_FLAGS} more in the JSON report</li>"
    return f"<details><summary>also flagged by Azure ({n})</summary><ul>{items}</ul></details>"


def _finding_row(f: Finding, where: str | None) -> str:
    """One row; ``where`` is the finding's ``file:line`` (source-code input)."""
    kind = KIND_OF_TYPE.get(f.resource_type, f.resource_type)
    related = (
        f'<div class=muted>related: <code class="id">{esc(f.related_id)}</code></div>'
        if f.related_id
        else ""
    )
    if where is not None:
        related = f'<div class=muted>at <code class="src">{esc(where)}</code></div>' + related
    return (
        f'<tr id="f-{esc(f.fingerprint)}" class="finding sev-{css_name(f.severity)} '
        f'cat-{css_name(f.category)}">'
        f'<td><span class="sev sev-{css_name(f.severity)}">{esc(f.severity)}</span></td>'
        f'<td><b class="nowrap">{esc(f.rule_id)}</b><br>{esc(f.title)}'
        f"<div class=muted>{esc(f.category)}</div></td>"
        f'<td><b class="rname">{esc(f.resource_name)}</b> <span class=muted>{esc(kind)}</span>'
        f'<code class="id">{esc(f.resource_id)}</code>{related}</td>'
        f'<td class="msg">{esc(f.message)}{_evidence(f)}{_also_flagged(f)}</td>'
        f"<td><details><summary>how to fix</summary><pre>{esc(f.remediation, multiline=True)}"
        "</pre></details></td>"
        f"<td>{_state(f)}</td>"
        "</tr>"
    )


def _findings(view: ReportView) -> str:
    findings = view.findings
    cat_count = view.findings_by_category
    sev_boxes = "".join(
        f'<input type="checkbox" id="f-sev-{css_name(s.severity)}" checked>'
        f'<label for="f-sev-{css_name(s.severity)}"><span class="sev sev-{css_name(s.severity)}">'
        f"{esc(s.severity)}</span> ({s.findings})</label>"
        for s in view.severities
    )
    cat_boxes = "".join(
        f'<input type="checkbox" id="f-cat-{css_name(c)}" checked>'
        f'<label for="f-cat-{css_name(c)}">{esc(c)} ({cat_count.get(c, 0)})</label>'
        for c in _categories(view)
    )
    if not findings:
        table = "<p>No findings.</p>"
    else:
        rows = "\n".join(_finding_row(f, view.where(f.location)) for f in findings)
        table = (
            '<table class="findings" id="findings-table">\n'
            "<thead><tr><th>severity</th><th>rule</th><th>resource</th><th>message</th>"
            "<th>remediation</th><th>state</th></tr></thead>\n"
            f"<tbody>\n{rows}\n</tbody></table>"
        )
    return (
        f'<section id="findings">\n<h2>Findings ({len(findings)})</h2>\n' + '<div class="filters">'
        f'<div class="row"><span class="h">Severity</span>{sev_boxes}</div>'
        f'<div class="row"><span class="h">Category</span>{cat_boxes}</div></div>\n'
        f"{table}\n</section>"
    )


def _entry_rows(entries: Sequence[dict[str, Any]]) -> str:
    rows = []
    for e in entries:
        rows.append(
            "<tr>"
            f"<td>{esc(e.get('entry', ''))}</td>"
            f"<td>{esc(e.get('rule') or '')}</td>"
            f'<td><code class="id">{esc(e.get("resource") or "")}</code></td>'
            f'<td><code class="id">{esc(e.get("related") or "")}</code></td>'
            f"<td>{esc(e.get('tag') or '')}</td>"
            f"<td>{esc(e.get('justification', ''))}</td>"
            f"<td>{esc(e.get('expires') or '')}</td>"
            f"<td>{esc(e.get('owner') or '')}</td>"
            f'<td class="num">{esc(e.get("matches", ""))}</td>'
            "</tr>"
        )
    head = (
        "<tr><th>entry</th><th>rule</th><th>resource</th><th>related</th><th>tag</th>"
        "<th>justification</th><th>expires</th><th>owner</th><th>matches</th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _suppressions(s: SuppressionAccount | None) -> str:
    if not s:
        return ""
    out = [
        '<section id="suppressions">',
        "<h2>Suppressions</h2>",
        f"<p><code>{esc(s.path)}</code> as of {esc(s.as_of)}: "
        f"{esc(s.entries)} entr(ies), {esc(s.suppressed)} finding(s) "
        "suppressed.</p>",
    ]
    if s.expired:
        out.append(
            f'<div class="warn"><b>{len(s.expired)} expired entr(ies)</b>: they no longer '
            "suppress; the findings they matched count again.</div>"
        )
        out.append(_entry_rows(s.expired))
    if s.stale:
        out.append(
            f'<div class="warn"><b>{len(s.stale)} stale entr(ies)</b>: active, but they '
            "match no finding.</div>"
        )
        out.append(_entry_rows(s.stale))
    if s.match_all:
        out.append(
            f'<div class="warn"><b>{len(s.match_all)} entr(ies) match every finding</b> '
            "(selectors only <code>*</code>): no finding they cover can fail the gate.</div>"
        )
        out.append(_entry_rows(s.match_all))
    out.append("</section>")
    return "\n".join(out)


def _baseline_rows(entries: Sequence[dict[str, Any]], reason: bool) -> str:
    rows = []
    for e in entries:
        rows.append(
            "<tr>"
            f'<td><span class="sev sev-{css_name(str(e.get("severity") or "info"))}">'
            f"{esc(e.get('severity') or '')}</span></td>"
            f"<td><b>{esc(e.get('rule_id', ''))}</b><br>{esc(e.get('title') or '')}</td>"
            f"<td><b>{esc(e.get('resource_name') or '')}</b>"
            f'<code class="id">{esc(e.get("resource_id", ""))}</code>'
            + (
                f'<div class=muted>related: <code class="id">{esc(e["related_id"])}</code></div>'
                if e.get("related_id")
                else ""
            )
            + "</td>"
            + (f"<td>{esc(e.get('reason', ''))}</td>" if reason else "")
            + "</tr>"
        )
    head = "<tr><th>severity</th><th>rule</th><th>resource</th>" + (
        "<th>why not re-checked</th></tr>" if reason else "</tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _baseline(b: BaselineAccount | None) -> str:
    if not b:
        return ""
    out = [
        '<section id="baseline">',
        "<h2>Baseline changes</h2>",
        f"<p><code>{esc(b.path)}</code>: {esc(b.new)} new, "
        f"{esc(b.unchanged)} unchanged, {len(b.fixed)} fixed, "
        f"{len(b.unverified)} not re-checked.</p>",
    ]
    if b.fixed:
        out.append(f"<h3>Fixed ({len(b.fixed)})</h3>")
        out.append(_baseline_rows(b.fixed, reason=False))
    if b.unverified:
        out.append(
            f"<h3>Not re-checked ({len(b.unverified)})</h3>"
            "<p class=muted>Known findings this scan could not have reported: not called "
            "fixed.</p>"
        )
        out.append(_baseline_rows(b.unverified, reason=True))
    out.append("</section>")
    return "\n".join(out)


_STATUS_CLASS = {"fail": "bad", "incomplete": "warn", "not-evaluated": "warn"}


MAX_AZURE_ROWS = 200  # groups of "covered by no rule" shown; the JSON report has all
_SOURCE_NAMES = {"policy": "Azure Policy", "defender": "Defender for Cloud"}


def _azure(view: ReportView) -> str:
    """What Azure Policy and Defender for Cloud flag too, and what no rule covers."""
    x = view.crossref
    if x is None:
        return ""
    out = ['<section id="azure">', "<h2>What Azure flags too</h2>", "<ul>"]
    for name, s in x.sources.items():
        label = _SOURCE_NAMES.get(name, name)
        if s.available:
            out.append(f"<li>{esc(label)}: {s.on_audited} flag(s) on audited resources</li>")
        else:
            out.append(f"<li>{esc(label)}: <b>not available</b> ({esc(s.reason)})</li>")
    out.append("</ul>")
    groups = x.not_covered
    if x.available and groups:
        out.append(f"<h3>Flagged by Azure, covered by no rule here ({len(groups)})</h3>")
        out.append(
            "<table><tr><th>source</th><th>policy or recommendation</th><th>assignments</th>"
            "<th>resources</th></tr>"
        )
        for g in groups[:MAX_AZURE_ROWS]:
            what = g.get("display_name") or g.get("definition_id") or g.get("assessment_key")
            shown = "".join(f'<code class="id">{esc(r)}</code>' for r in g["resources"][:20])
            more = g["resource_count"] - min(len(g["resources"]), 20)
            out.append(
                f"<tr><td>{esc(_SOURCE_NAMES.get(g['source'], g['source']))}</td>"
                f"<td>{esc(what)}</td><td>{esc(', '.join(g.get('assignments') or ()))}</td>"
                f"<td>{g['resource_count']}<details><summary>which</summary>{shown}"
                f"{f'<div class=muted>and {more} more</div>' if more > 0 else ''}"
                "</details></td></tr>"
            )
        out.append("</table>")
        if len(groups) > MAX_AZURE_ROWS:
            out.append(
                f"<p class=muted>and {len(groups) - MAX_AZURE_ROWS} more: the JSON report "
                "lists them all (azure_cross_reference.not_covered)</p>"
            )
    elif x.available:
        out.append("<p>Azure flags nothing on the audited resources that no rule here covers.</p>")
    out.append("</section>")
    return "\n".join(out)


def _rules(view: ReportView) -> str:
    rows = []
    for r in view.rule_rows:
        rows.append(
            "<tr>"
            f'<td class="nowrap"><b>{esc(r.rule_id)}</b></td><td>{esc(r.title)}</td>'
            f'<td><span class="sev sev-{css_name(r.severity)}">{esc(r.severity)}</span></td>'
            f"<td>{esc(r.category)}</td>"
            f'<td class="{_STATUS_CLASS.get(r.status, "")}">{esc(r.status)}</td>'
            f'<td class="num">{r.subjects}</td><td class="num">{r.passed}</td>'
            f'<td class="num">{r.failed}</td><td class="num">{r.not_evaluated}</td>'
            f'<td class="num">{r.not_applicable}</td>'
            "</tr>"
        )
    return (
        '<section id="rules">\n<h2>Rules</h2>\n<table><tr><th>rule</th><th>title</th>'
        "<th>severity</th><th>category</th><th>status</th><th>subjects</th><th>passed</th>"
        "<th>failed</th><th>not evaluated</th><th>not applicable</th></tr>"
        + "".join(rows)
        + "</table>\n</section>"
    )


def _inputs(view: ReportView) -> str:
    inv = view.inventory
    sources = []
    for i in view.inputs:
        meta = (
            json.dumps(i.metadata, sort_keys=True, ensure_ascii=False, default=str)
            if i.metadata
            else ""
        )
        sources.append(
            "<tr>"
            f"<td><code>{esc(i.path)}</code></td><td>{esc(i.format)}</td>"
            f'<td class="num">{i.rows}</td>'
            f"<td>{esc(', '.join(i.collections or []))}</td>"
            f"<td><code>{esc(meta)}</code></td>"
            "</tr>"
        )
    by_type = "".join(
        f'<tr><td><code>{esc(t)}</code></td><td class="num">{n}</td></tr>'
        for t, n in inv.by_type.items()
    )
    unseen = inv.referenced_not_seen
    unseen_rows = "".join(
        f'<tr><td><code class="id">{esc(p["id"])}</code></td><td>{esc(p["type"])}</td>'
        f'<td class="num">{p["referrers"]}</td></tr>'
        for p in unseen[:MAX_UNSEEN]
    )
    more = (
        f"<p class=muted>… and {len(unseen) - MAX_UNSEEN} more (see the JSON report).</p>"
        if len(unseen) > MAX_UNSEEN
        else ""
    )
    return (
        '<section id="inputs">\n<h2>Inputs</h2>\n'
        "<table><tr><th>file</th><th>format</th><th>rows</th><th>collections</th>"
        f"<th>snapshot</th></tr>{''.join(sources)}</table>\n"
        f"<p>{inv.resources} resources from {inv.rows_read} rows "
        f"({inv.duplicates_merged} duplicates merged); collections: "
        f"{esc(', '.join(inv.collections)) or 'none'}.</p>\n"
        f"<details><summary>resources by type</summary><table>{by_type}</table></details>\n"
        + (
            f"<details><summary>{len(unseen)} referenced resource(s) not in the estate "
            "(other subscriptions, or not collected)</summary><table><tr><th>id</th>"
            f"<th>type</th><th>referenced by</th></tr>{unseen_rows}</table>{more}</details>\n"
            if unseen
            else ""
        )
        + "</section>"
    )
