"""The run as JUnit XML, for Azure Pipelines' ``PublishTestResults@2`` (and Jenkins, GitLab).

One ``<testsuite>`` per rule that ran, one ``<testcase>`` per rule and resource the rule
judged, passes included, so a dashboard shows pass rates and their trend:

- *failure*: the resource has findings of the rule that are not suppressed. A finding the
  baseline already knew is still a failure here: the resource still fails the control,
  and Azure DevOps tells "existing" from "new" failures itself across runs (the test
  names are stable). The baseline only changes the exit code (``--fail-on``); keep
  ``failTaskOnFailedTests`` off and gate on the exit code. The message says
  ``in baseline:`` when no failing finding is new.
- *error*: the rule could not judge the resource (or the whole estate) — never a pass.
- *skipped* (Azure DevOps: "Not executed"): every finding is an accepted risk
  (suppressed), with the entry, its expiry and the justification as the message.
- otherwise passed.

Azure DevOps reads only ``testcase/@name`` (title and test name) and ``@classname``
(storage) per result and names tests by the two, so the rule id leads the name; the
suite is only a grouping for other tools. Coverage gaps (inputs not read whole) add one
erroring case each, in a suite of their own: an incomplete scan is not a green run. A
suppression entry that matches every finding adds a failing case, in a suite of its own:
its skipped cases would otherwise look like a run of accepted risks.

A resource from source code (Terraform) is named by its address, its classname is
``terraform.<module path>.<type>``, and its case carries ``file`` and ``line`` attributes
(relative to the repository root): the failing finding's line, else the resource's block.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from .. import arm
from ..findings import Finding, NotEvaluated
from . import location, safe
from .view import ReportView, SubjectResult

MESSAGE_CHARS = 250  # the one-line "Error message" column
EVIDENCE_CHARS = 600  # per finding, in the body ("Stack trace")
BODY_CHARS = 4000  # Azure DevOps keeps about this much of a result's texts
# Azure DevOps fails to publish results with very long test names; a label this long is
# cut and keeps a hash of its id, so names stay short and distinct.
LABEL_CHARS = 200


def _short(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters; a long one loses its middle, not its end
    ("referenced by <ids> but not in the estate" keeps its point)."""
    s = " ".join(text.split())
    if len(s) <= limit:
        return s
    head = (limit - 1) * 2 // 3
    tail = limit - 1 - head
    return s[:head] + "…" + s[len(s) - tail :]


@dataclass
class _Case:
    name: str
    classname: str
    outcome: str  # "passed" | "failure" | "error" | "skipped"
    message: str = ""
    body: str = ""
    kind: str = ""  # the failure/error element's type attribute
    source: dict[str, Any] | None = None  # {"file", "line"}: where it sits in source code


def render(view: ReportView) -> str:
    labels: dict[str, tuple[str, str]] = {}  # resource key -> (name and place, classname)
    spelled: dict[str, tuple[str, str]] = {}  # the same by id as written (no arm.key each)
    timestamp = view.generated_at.removesuffix("Z")  # JUnit's XSD: no zone; read as UTC

    suites: list[tuple[str, list[_Case]]] = []
    for row in view.rule_rows:
        if row.reason is not None:
            cases = [
                _Case(
                    f"{row.rule_id} (whole estate)",
                    "mlops-audit.estate",
                    "error",
                    _short(f"not evaluated: {row.reason}", MESSAGE_CHARS),
                    f"{row.rule_id} was not evaluated on any resource: {row.reason}",
                    "not-evaluated",
                )
            ]
        else:
            cases = []
            for subject in view.subjects(row):
                names = spelled.get(subject.resource_id)
                if names is None:  # a resource is judged by many rules: name it once
                    key = arm.key(subject.resource_id)
                    names = labels.get(key)
                    if names is None:
                        names = labels[key] = _names(view, subject.resource_id)
                    spelled[subject.resource_id] = names
                block = view.declared(subject.resource_id)
                cases.append(_verdict(subject, names, block, view.source_root))
            _disambiguate(cases, list(row.judged))
            cases.sort(key=lambda c: (c.classname, c.name))
        suites.append((f"{row.rule_id} {row.title}".strip(), cases))
    gaps = view.coverage.gaps
    if gaps:
        cases = [
            _Case(
                _short(f"input {g.get('path')}", LABEL_CHARS),
                "mlops-audit.inputs",
                "error",
                _short(f"not read completely: {g.get('problem')}", MESSAGE_CHARS),
                f"{g.get('path')}: {g.get('problem')}\nPart of the estate was not seen: "
                "no rule judged it.",
                "coverage-gap",
            )
            for g in gaps
        ]
        _disambiguate(cases, [str(i) for i in range(len(cases))])
        suites.append(("coverage: inputs read completely", cases))
    broad = view.suppressions.match_all if view.suppressions else ()
    if broad:
        cases = [
            _Case(
                _short(f"suppression {e.get('entry')}", LABEL_CHARS),
                "mlops-audit.suppressions",
                "failure",
                "matches every finding (selectors only '*'): no finding it covers can fail "
                "the gate",
                f"{e.get('entry')}: {e.get('justification')}",
                "suppression-matches-all",
            )
            for e in broad
        ]
        suites.append(("suppressions: no entry matches every finding", cases))

    # Written as text, byte for byte what ElementTree's ``indent`` and ``tostring`` gave:
    # a tree of a million elements for a large estate cost seconds and a heap of its own.
    out: list[str] = []
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for name, cases in suites:
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.outcome == "failure"),
            "errors": sum(1 for c in cases if c.outcome == "error"),
            "skipped": sum(1 for c in cases if c.outcome == "skipped"),
        }
        for k, v in counts.items():
            totals[k] += v
        attrs = {"name": name, **{k: str(v) for k, v in counts.items()}}
        head = _open("testsuite", {**attrs, "time": "0", "timestamp": timestamp})
        if not cases:
            out.append(f"\n  {head} />")
            continue
        out.append(f"\n  {head}>")
        for c in cases:
            case = _open(
                "testcase",
                {"name": c.name, "classname": c.classname, "time": "0", **_place(view, c.source)},
            )
            if c.outcome == "passed":
                out.append(f"\n    {case} />")
                continue
            if c.outcome == "skipped":
                detail = _open("skipped", {"message": c.message}) + " />"
            else:
                detail = _open(c.outcome, {"message": c.message, "type": c.kind})
                text = _text(safe.xml(c.body))
                detail += f">{text}</{c.outcome}>" if text else " />"
            out.append(f"\n    {case}>\n      {detail}\n    </testcase>")
        out.append("\n  </testsuite>")
    root = _open("testsuites", {"name": "mlops-audit", **{k: str(v) for k, v in totals.items()}})
    root = root + ' time="0"'
    body = f"{root}>{''.join(out)}\n</testsuites>" if suites else f"{root} />"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _open(tag: str, attrs: dict[str, str]) -> str:
    """An element's start tag without its closing ``>``; every attribute goes through
    :func:`safe.xml` (the one choke point for attributes; element text is cleaned where it
    is written), then is escaped as ElementTree escapes an attribute."""
    return "<" + tag + "".join(f' {k}="{_attribute(v)}"' for k, v in attrs.items())


# what an attribute value must not hold as it is: XML-illegal characters (safe.xml), markup,
# the quote, and the line breaks and tab (see _attr); most names hold none of them
_ATTRIBUTE_WORK = re.compile(
    "[^\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def _attribute(value: str) -> str:
    """An attribute value as written: :func:`safe.xml`, then :func:`_attr`."""
    if _ATTRIBUTE_WORK.search(value) is None:
        return value
    return _attr(safe.xml(value))


def _text(text: str) -> str:
    """Element text escaped as ElementTree escapes it (``&``, ``<``, ``>``)."""
    return escape(text)


# what an attribute escapes beyond markup: the quote, and the line breaks and tab as
# character references (a parser would normalise them away)
_ATTRIBUTE_ENTITIES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _attr(text: str) -> str:
    """An attribute value escaped as ElementTree escapes it."""
    return escape(text, _ATTRIBUTE_ENTITIES)


def _place(view: ReportView, source: dict[str, Any] | None) -> dict[str, str]:
    """The ``file`` and ``line`` attributes of a case (none without a source location)."""
    got = location.of(source)
    if got is None:
        return {}
    place = {"file": location.source_path(got[0], view.source_root).path}
    if got[1] is not None:
        place["line"] = str(got[1])
    return place


# a Terraform address: module calls (with an index), "data.", then the type and the name
_ADDRESS = re.compile(
    r'^((?:module\.[A-Za-z0-9_-]+(?:\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\])?\.)*)'
    r"(?:data\.)?([A-Za-z0-9_-]+)\."
)
_INDEX = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\]')


def _terraform_names(rid: str) -> tuple[str, str]:
    """(label, classname) of a resource named by its Terraform address: the address, and
    ``terraform.<module path without indexes>.<type>``, so the Tests tab groups by module
    and type."""
    m = _ADDRESS.match(rid)
    if m is None:
        classname = "terraform.unknown"
    else:
        modules = _INDEX.sub("", m.group(1)).rstrip(".")
        classname = ".".join(p for p in ("terraform", modules, m.group(2)) if p).lower()
    label = " ".join(rid.split())
    if len(label) > LABEL_CHARS:
        label = f"{label[: LABEL_CHARS - 11]}… #{_digest(rid)}"
    if len(classname) > LABEL_CHARS:
        classname = f"{classname[: LABEL_CHARS - 11]}… #{_digest(classname)}"
    return label, classname


def _names(view: ReportView, rid: str) -> tuple[str, str]:
    """(label, classname) of a resource; its test name in a rule is ``rule id + label``.

    The label is the resource's name and where it lives (resource group and parent
    resources: two ``snet-pe`` subnets of different VNets differ); the classname
    ``subscription.resourcegroup.type`` groups the Tests tab (lower case: ARM spells the
    same group in both cases, and a group must not split in two)."""
    graph = view.graph
    key = arm.key(rid)
    if not graph.has_node(key) and view.addressed(rid):
        return _terraform_names(rid)
    if graph.has_node(key):
        name = graph.name(key)
        rtype = str(graph.row(key).get("type") or arm.arm_type(rid))
    else:
        name, rtype = arm.last_name(rid), arm.arm_type(rid)
    sub = arm.segment(rid, "subscriptions") or ""
    group = arm.segment(rid, "resourceGroups") or ""
    parts = rid.strip("/").split("/")
    providers = [i for i, p in enumerate(parts) if p.lower() == "providers"]
    chain = parts[providers[-1] + 1 :] if providers else []
    parents = chain[2:-1:2]  # namespace, type, name, type, name, ...: the names but the last
    where = "/".join(p for p in [group or sub, *parents] if p)
    label = " ".join((f"{name} ({where})" if where else name).split())  # one line
    classname = ".".join(
        "_".join(p.split()).replace(".", "_").lower()
        for p in (sub or "no-subscription", group or "no-resource-group", rtype or "unknown")
    )
    if len(label) > LABEL_CHARS:
        label = f"{label[: LABEL_CHARS - 11]}… #{_digest(key)}"
    if len(classname) > LABEL_CHARS:
        classname = f"{classname[: LABEL_CHARS - 11]}… #{_digest(classname)}"
    return label, classname


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _disambiguate(cases: list[_Case], keys: list[str]) -> None:
    """Give test cases that would share a (classname, name) a short hash of their own id,
    so no two results merge in a dashboard's history."""
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for c in cases:
        seen[(c.classname, c.name)] += 1
    for c, k in zip(cases, keys, strict=True):
        if seen[(c.classname, c.name)] > 1:
            c.name = f"{c.name} #{_digest(arm.key(k))}"


def _verdict(
    subject: SubjectResult, names: tuple[str, str], block: dict[str, Any] | None, root: Path
) -> _Case:
    """The subject's state as a test case: a failure (with the first failing finding, a
    baselined one last), an error (not evaluated), skipped (suppressed) or passed.
    ``block``: where the resource is declared in source code, if it is."""
    rule_id, found, unjudged = subject.rule_id, subject.findings, subject.unjudged
    name, classname = f"{rule_id} {names[0]}", names[1]
    state = subject.state
    if state == "pass":  # most cases: no text to write
        return _Case(name, classname, "passed", source=block)
    body = _body(
        [
            _finding_text(f, root)
            for f in sorted(found, key=lambda f: (*f.sort_key(), f.fingerprint))
        ]
        + [_unjudged_text(n) for n in unjudged]
    )
    if state == "fail":
        failing = sorted(
            (f for f in found if f.suppression is None),
            key=lambda f: (f.baseline == "unchanged", *f.sort_key(), f.fingerprint),
        )
        first = failing[0]
        prefix = "in baseline: " if all(f.baseline == "unchanged" for f in failing) else ""
        more = f" (+{len(failing) - 1} more)" if len(failing) > 1 else ""
        message = _short(prefix + first.message, MESSAGE_CHARS - len(more)) + more
        where = first.location if location.of(first.location) else block
        return _Case(name, classname, "failure", message, body, first.severity, where)
    if state == "not-evaluated":
        reasons = [r for n in unjudged for r in n.reasons] or ["unknown"]
        more = f" (+{len(unjudged) - 1} more)" if len(unjudged) > 1 else ""
        message = _short(f"not evaluated: {reasons[0]}", MESSAGE_CHARS - len(more)) + more
        return _Case(name, classname, "error", message, body, "not-evaluated", block)
    if state == "suppressed":
        s = min(found, key=lambda f: (*f.sort_key(), f.fingerprint)).suppression or {}
        until = f"until {s.get('expires')}" if s.get("expires") else "(no expiry)"
        more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
        text = f"suppressed by {s.get('entry')} {until}: {s.get('justification')}"
        shown = _short(text, MESSAGE_CHARS - len(more)) + more
        return _Case(name, classname, "skipped", shown, source=block)
    return _Case(name, classname, "passed", source=block)


def _body(parts: list[str]) -> str:
    """The parts that fit in BODY_CHARS (always the first), and how many did not."""
    kept: list[str] = []
    size = 0
    for part in parts:
        if kept and size + len(part) > BODY_CHARS:
            break
        kept.append(part)
        size += len(part) + 2
    rest = len(parts) - len(kept)
    if rest:
        kept.append(f"… and {rest} more on this resource: see the JSON report.")
    return "\n\n".join(kept)


def _finding_text(f: Finding, root: Path) -> str:
    """One finding in the failure body: what, where, the evidence and the fix."""
    lines = [f"[{f.severity}] {f.rule_id}: {f.message}", f"resource: {f.resource_id}"]
    where = location.where(f.location, root)
    if where is not None:
        lines.append(f"at: {where}")
    if f.related_id:
        lines.append(f"related: {f.related_id}")
    if f.evidence:
        evidence = json.dumps(f.evidence, ensure_ascii=False, sort_keys=True, default=str)
        lines.append(f"evidence: {_short(evidence, EVIDENCE_CHARS)}")
    fix = f.remediation.strip().splitlines()
    if fix:
        lines.append(f"fix: {fix[0]}")
        lines += [f"  {line}" for line in fix[1:]]
    if f.suppression:
        s = f.suppression
        until = f"until {s.get('expires')}" if s.get("expires") else "(no expiry)"
        lines.append(f"suppressed by {s.get('entry')} {until}: {s.get('justification')}")
    if f.baseline:
        lines.append("baseline: " + ("new" if f.baseline == "new" else "in baseline"))
    lines.append(f"fingerprint: {f.fingerprint}")
    return "\n".join(lines)


def _unjudged_text(n: NotEvaluated) -> str:
    what = f" ({n.related_id})" if n.related_id else ""
    return f"not evaluated{what}: " + "; ".join(n.reasons)
