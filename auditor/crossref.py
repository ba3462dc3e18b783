"""The Azure-native cross-reference: what Azure Policy and Defender for Cloud say of the
audited resources, beside what the rules found.

Two collections (``collections.POLICY_STATES``, ``collections.ASSESSMENTS``) bring Azure
Policy's non-compliant states and Defender for Cloud's unhealthy assessments into the
estate, kept apart from its resources (``Estate.flags``). They never change a rule's
verdict. From them:

* each finding lists what also flags it (``Finding.also_flagged_by``): a flag on the
  finding's resource or on one of its ARM parents (a finding on a subnet or an NSG rule is
  also flagged by a state on its VNet or NSG; a state on a child never flags its parent).
  ``match`` says ``same-check`` when the flag's policy definition is one the rule names
  in its ``policy:`` list (the rule mirrors that built-in), else ``same-resource``;
* the report lists what they flag on audited resources (rows of the estate and their
  children: subnets, NSG rules) that no rule of the run names in
  its ``policy:`` list, grouped by definition (a Defender recommendation without a policy
  definition by its assessment key), with the resources.

Fail closed in its own sense: a source is *available* only when every input holds its
collection (a snapshot that made it, or a raw export holding its rows); otherwise the
report says "not available" and why, and a finding's ``also_flagged_by`` from it is never
read as "nothing flags this". A row whose fields are missing or of the wrong kind is
dropped and counted by reason.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import arm, collections
from .model import ASSESSMENT_TYPE, POLICY_STATE_TYPE

if TYPE_CHECKING:
    from .estate import Estate
    from .findings import Finding
    from .rules import Rule

POLICY, DEFENDER = "policy", "defender"
SOURCES = {POLICY: collections.POLICY_STATES, DEFENDER: collections.ASSESSMENTS}
WHAT = {
    POLICY: "Azure Policy states (Resource Graph policyresources)",
    DEFENDER: "Defender for Cloud assessments (Resource Graph securityresources)",
}
MAX_ID = 4096  # characters: longer is no ARM id (ARM's own limits are far below)
MAX_TEXT = 1024  # characters of a name or display name kept
# parents walked up from a resource: ARM's types nest a handful deep (a VNet's subnet, an NSG
# rule, a workspace's compute); an id of a thousand child segments is junk, and walking it
# whole for each of 100k rows would cost minutes
MAX_DEPTH = 16


@dataclass(frozen=True)
class Flag:
    """One thing Azure flags on one resource."""

    source: str  # POLICY | DEFENDER
    resource_key: str
    resource_id: str
    definition_id: str  # "" when the row names none (a Defender-only recommendation)
    group: str  # what it is grouped by: the definition's key, else the assessment key
    entry: dict[str, Any]  # what a finding lists

    @property
    def definition(self) -> str:
        """What the definition is known by (:func:`definition_key`); "" when none."""
        return definition_key(self.definition_id) if self.definition_id else ""


_BUILT_IN = "/providers/microsoft.authorization/policydefinitions/"


def definition_key(definition_id: str) -> str:
    """A built-in's GUID, lower case (how a rule's ``policy:`` names it); any other
    definition its whole id: a custom copy may keep a built-in's GUID as its name, not its
    conditions, so it is never the built-in a rule mirrors."""
    k = arm.key(definition_id)
    name = k[len(_BUILT_IN) :]
    return name if k.startswith(_BUILT_IN) and "/" not in name else k


@dataclass
class SourceState:
    """One source (Azure Policy, Defender): available or not, and what was read of it."""

    available: bool
    reason: str | None = None  # why not available
    rows: int = 0  # flag rows read
    on_audited: int = 0  # of them, on a resource of the estate
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "reason": self.reason,
            "rows": self.rows,
            "on_audited": self.on_audited,
            "dropped": [{"reason": r, "rows": n} for r, n in sorted(self.dropped.items())],
        }


@dataclass
class CrossReference:
    """The run's cross-reference: per source its state, and what no rule covers."""

    sources: dict[str, SourceState]
    not_covered: list[dict[str, Any]]  # groups, most resources first

    @property
    def available(self) -> bool:
        return any(s.available for s in self.sources.values())

    def as_dict(self) -> dict[str, Any]:
        """The JSON report's ``azure_cross_reference``."""
        return {
            "sources": {name: s.as_dict() for name, s in self.sources.items()},
            "not_covered": self.not_covered,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> CrossReference:
        sources = {
            name: SourceState(
                s["available"],
                s["reason"],
                s["rows"],
                s["on_audited"],
                {d["reason"]: d["rows"] for d in s["dropped"]},
            )
            for name, s in doc["sources"].items()
        }
        return cls(sources, list(doc["not_covered"]))


# -- reading the rows -----------------------------------------------------------------------
def _text(row: dict[str, Any], name: str, required: bool) -> tuple[str | None, str | None]:
    """(value, problem): a string field, cut to MAX_TEXT; a wrong kind is a problem."""
    value = row.get(name)
    if value is None or value == "":
        return None, (f"no {name}" if required else None)
    if not isinstance(value, str):
        return None, f"{name} is not a string"
    return value[:MAX_TEXT], None


def _arm_id(row: dict[str, Any], name: str, required: bool) -> tuple[str | None, str | None]:
    value, problem = _text(row, name, required)
    if problem or value is None:
        return None, problem
    full = row[name]
    if not full.startswith("/") or len(full) > MAX_ID:
        return None, f"{name} is not an ARM id"
    return full, None


def _policy(row: dict[str, Any]) -> tuple[Flag | None, str | None]:
    resource, p1 = _arm_id(row, "resourceId", True)
    state, p2 = _text(row, "complianceState", True)
    assignment, p3 = _arm_id(row, "policyAssignmentId", True)
    name, p4 = _text(row, "policyAssignmentName", False)
    definition, p5 = _arm_id(row, "policyDefinitionId", True)
    reference, p6 = _text(row, "policyDefinitionReferenceId", False)
    initiative, p7 = _arm_id(row, "policySetDefinitionId", False)
    problem = next((p for p in (p1, p2, p3, p4, p5, p6, p7) if p), None)
    if problem:
        return None, problem
    assert resource and assignment and definition and state
    if state.lower() != "noncompliant":
        return None, "complianceState is not NonCompliant"
    entry = {
        "source": POLICY,
        "resource_id": resource,
        "assignment_id": assignment,
        "assignment_name": name or arm.last_name(assignment),
        "definition_id": definition,
        "set_definition_id": initiative,
        "reference_id": reference,
    }
    key = definition_key(definition)
    return Flag(POLICY, arm.key(resource), resource, definition, key, entry), None


def _assessment(row: dict[str, Any]) -> tuple[Flag | None, str | None]:
    details = row.get("resourceDetails")
    if not isinstance(details, dict):
        return None, "resourceDetails is not an object"
    # Resource Graph spells the key Id, the REST API id; ResourceId for other sources
    ids = {str(k).lower(): k for k in details}
    found = next((ids[k] for k in ("id", "resourceid") if k in ids), None)
    resource, p1 = (None, "no resourceDetails.Id")
    if found is not None:  # read under the name the reasons give it, whatever its case
        resource, p1 = _arm_id({"resourceDetails.Id": details[found]}, "resourceDetails.Id", True)
    key, p2 = _text(row, "name", True)
    status, p3 = _text(row, "statusCode", True)
    display, p4 = _text(row, "displayName", False)
    definition, p5 = _arm_id(row, "policyDefinitionId", False)
    severity, p6 = _text(row, "severity", False)
    problem = next((p for p in (p1, p2, p3, p4, p5, p6) if p), None)
    if problem:
        return None, problem
    assert resource and key and status
    if status.lower() != "unhealthy":
        return None, "statusCode is not Unhealthy"
    entry = {
        "source": DEFENDER,
        "resource_id": resource,
        "assessment_key": key,
        "display_name": display,
        "definition_id": definition,
        "severity": severity,
    }
    group = definition_key(definition) if definition else key.lower()
    return Flag(DEFENDER, arm.key(resource), resource, definition or "", group, entry), None


_READERS = {POLICY_STATE_TYPE: (POLICY, _policy), ASSESSMENT_TYPE: (DEFENDER, _assessment)}


def flagged_key(row: dict[str, Any]) -> str | None:
    """The key of the resource a policy state or assessment row is about, if readable
    (``partition.py`` puts the row in that resource's part)."""
    reader = _READERS.get(str(row.get("type", "")).lower())
    flag = reader[1](row)[0] if reader else None
    return flag.resource_key if flag else None


def lineage(key: str) -> list[str]:
    """The key and its ARM parents' up to the top-level resource (never the group), at
    most MAX_DEPTH of them."""
    out = [key]
    _, sep, tail = key.rpartition("/providers/")
    # namespace/type/name is a top-level resource; each child adds type/name (one pass
    # over the id, however long: a hostile one must not cost a scan per level)
    levels = (tail.count("/") - 1) // 2 if sep else 0
    for _ in range(min(levels, MAX_DEPTH)):
        key = arm.parent(key)
        out.append(key)
    return out


def _availability(estate: Estate, src: str) -> SourceState:
    name = SOURCES[src]
    if not estate.sources:
        return SourceState(False, "no input")
    if all(name in s.holds for s in estate.sources):
        return SourceState(True)
    # the inputs are named in the report's inputs (with their collections); the reason is
    # the same words for a whole run and for its partitions, so their reports merge to it
    return SourceState(False, f"not collected: an input holds no {WHAT[src]}")


def build(estate: Estate, rules: Sequence[Rule], findings: Iterable[Finding]) -> CrossReference:
    """The cross-reference of a run; sets each finding's ``also_flagged_by`` (a list; None
    when no source is available)."""
    states = {src: _availability(estate, src) for src in SOURCES}
    audited = estate.rows
    by_key: dict[str, list[Flag]] = defaultdict(list)
    on_audited: dict[str, bool] = {}  # per resource key: its lineage walked once
    for row in estate.flags.values():
        src, reader = _READERS[str(row.get("type", "")).lower()]
        state = states[src]
        state.rows += 1
        flag, problem = reader(row)
        if flag is None:
            why = problem or "unreadable"
            state.dropped[why] = state.dropped.get(why, 0) + 1
            continue
        if not state.available:
            continue
        key = flag.resource_key
        by_key[key].append(flag)
        if key not in on_audited:
            on_audited[key] = _audited(key, audited)
        if on_audited[key]:
            state.on_audited += 1
    named_by = {r.id: {p.id.lower() for p in r.spec.policy} for r in rules}
    covered = set().union(*named_by.values())
    available = any(s.available for s in states.values())
    for f in findings:
        if not available:
            f.also_flagged_by = None
            continue
        mine = named_by.get(f.rule_id, set())
        entries = []
        for k in lineage(arm.key(f.resource_id)):
            for flag in by_key.get(k, ()):
                match = "same-check" if flag.definition in mine else "same-resource"
                entries.append({**flag.entry, "match": match})
        entries.sort(key=_entry_order)
        f.also_flagged_by = entries
    return CrossReference(states, _not_covered(by_key, on_audited, audited, covered))


def _audited(key: str, audited: dict[str, Any]) -> bool:
    """Whether the resource is audited: a row of the estate, or a child of one (a subnet
    or an NSG rule, which come embedded in their parent's row)."""
    return any(k in audited for k in lineage(key))


def _entry_order(e: dict[str, Any]) -> tuple[str, ...]:
    return (
        "1" if e["match"] != "same-check" else "0",
        e["source"],
        (e.get("definition_id") or "").lower(),
        (e.get("assignment_id") or e.get("assessment_key") or "").lower(),
        e["resource_id"].lower(),
        (e.get("reference_id") or "").lower(),
    )


def _not_covered(
    by_key: dict[str, list[Flag]],
    on_audited: dict[str, bool],
    audited: dict[str, Any],
    covered: set[str],
) -> list[dict[str, Any]]:
    """Flags on audited resources (``on_audited``, per key of ``by_key``) whose definition
    no rule names, grouped by definition."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    resources: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for k, flags in by_key.items():
        if not on_audited[k]:
            continue
        for flag in flags:
            if flag.definition and flag.definition in covered:
                continue
            g = (flag.source, flag.group)
            if g not in groups:
                e = flag.entry
                groups[g] = {
                    "source": flag.source,
                    "definition_id": flag.definition_id or None,
                    "assessment_key": e.get("assessment_key"),
                    "display_name": e.get("display_name"),
                    "assignments": set(),
                }
            if flag.source == POLICY:
                groups[g]["assignments"].add(flag.entry["assignment_name"])
            row = audited.get(k)  # the estate's spelling of its own resources' ids
            resources[g].setdefault(k, (row or {}).get("id") or flag.resource_id)
    out = []
    for g, d in groups.items():
        ids = sorted(resources[g].values(), key=str.lower)
        out.append(
            {
                **d,
                "assignments": sorted(d["assignments"]),
                "resource_count": len(ids),
                "resources": ids,
            }
        )
    out.sort(key=lambda d: (-d["resource_count"], d["source"], _group_key(d)))
    return out


def _group_key(d: dict[str, Any]) -> str:
    """A not-covered group's name within its source, for ordering and for joining reports'
    groups: its definition id, else its Defender assessment key, in lower case."""
    return (d.get("definition_id") or d.get("assessment_key") or "").lower()


# -- partitions' reports merged -------------------------------------------------------------
def merge(docs: Sequence[dict[str, Any] | None]) -> CrossReference | None:
    """One cross-reference of several reports' (``merge.py``): a source is available when
    it is in every report; the groups join by definition, their resources by id."""
    if not docs:
        return None
    parts = [CrossReference.from_dict(d) if d is not None else None for d in docs]
    sources: dict[str, SourceState] = {}
    for name in SOURCES:
        got = [p.sources.get(name) if p else None for p in parts]
        if any(s is None for s in got):
            sources[name] = SourceState(False, "not in every merged report")
            continue
        states = [s for s in got if s is not None]
        dropped: Counter[str] = Counter()
        for s in states:
            dropped.update(s.dropped)
        reasons = sorted({s.reason for s in states if s.reason})
        sources[name] = SourceState(
            all(s.available for s in states),
            "; ".join(reasons) or None,
            sum(s.rows for s in states),
            sum(s.on_audited for s in states),
            dict(dropped),
        )
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    assignments: dict[tuple[str, str], set[str]] = defaultdict(set)
    resources: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # key -> first id
    for p in parts:
        for d in p.not_covered if p else ():
            if not sources[d["source"]].available:  # as one scan of every input: none
                continue
            g = (d["source"], _group_key(d))
            groups.setdefault(g, d)
            assignments[g].update(d["assignments"])
            for r in d["resources"]:
                resources[g].setdefault(arm.key(r), r)
    out = []
    for g, d in groups.items():  # each group's resources sorted once, not once per report
        ids = sorted(resources[g].values(), key=str.lower)
        out.append(
            {
                **d,
                "assignments": sorted(assignments[g]),
                "resource_count": len(ids),
                "resources": ids,
            }
        )
    out.sort(key=lambda d: (-d["resource_count"], d["source"], _group_key(d)))
    return CrossReference(sources, out)


def restrict(findings: Iterable[Finding], merged: CrossReference | None) -> None:
    """Merged findings as one scan of every input would list them: only entries of the
    sources available in the whole; None when none is (a report that lacked them makes
    the whole "not available", so a part's empty list must not read "nothing flags this")."""
    if merged is None:
        return
    keep = {name for name, s in merged.sources.items() if s.available}
    for f in findings:
        if f.also_flagged_by is not None:
            f.also_flagged_by = (
                [e for e in f.also_flagged_by if e.get("source") in keep] if keep else None
            )
