"""The estate: every input's rows merged into one set, keyed by ARM id.

Rows from several inputs merge by ARM id, compared case-insensitively. Nothing is dropped:
rows of types the model does not know are kept and counted in the inventory. How an input
becomes a :class:`Reading` is the business of ``auditor.inputs``; this module only merges.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import arm, collections
from .clouds import DEFAULT_CLOUD
from .files import InputError, describe

# Row fields whose values repeat across a whole estate (a few types, regions, tenants,
# subscriptions and resource groups): the parser makes a str object per row, which the
# estate holds for the whole scan, so equal values are made one object.
_SHARED = ("location", "tenantId", "subscriptionId", "resourceGroup")  # and "type" (below)


@dataclass
class Origin:
    """Where a row came from when its input is source code (Terraform): the address a
    finding names it by, the file and line of its block, and the line (and file, when a
    separate resource folded into it) of the attribute behind each ARM property path."""

    address: str
    file: str | None = None
    line: int | None = None
    lines: dict[str, int] = field(default_factory=dict)  # "properties.x" -> line
    files: dict[str, str | None] = field(default_factory=dict)  # "properties.x" -> file

    def set_in_source(self, arm_paths: list[str]) -> dict[str, Any] | None:
        """The file and line of the first of ``arm_paths`` the source sets (a path's
        longest prefix that it sets counts), else None."""
        for path in arm_paths:
            probe = path
            while probe:
                if probe in self.lines:
                    return {"file": self.files.get(probe, self.file), "line": self.lines[probe]}
                probe = probe.rpartition(".")[0]
        return None

    def location(self, arm_paths: list[str]) -> dict[str, Any] | None:
        """The file and line that decide: the first of ``arm_paths`` set in the source,
        else the block."""
        found = self.set_in_source(arm_paths)
        if found is not None or self.file is None:
            return found
        return {"file": self.file, "line": self.line}


@dataclass
class Reading:
    """What one input holds, as its format read it: rows (not yet checked) and what the
    input says about itself."""

    rows: list[Any]
    row_label: str = "row"  # what messages call one of its rows
    gaps: list[str] = field(default_factory=list)  # what the input says it does not hold
    collections: list[str] | None = None  # the collections it declares it made, if it says
    metadata: dict[str, Any] = field(default_factory=dict)  # carried into the report
    cloud: str | None = None  # the Azure cloud it says it came from
    notes: list[str] = field(default_factory=list)  # choices that narrowed its evidence
    origins: dict[str, Origin] = field(default_factory=dict)  # by row id: source-code rows


@dataclass
class Source:
    """One input and what it contributed."""

    path: str
    format: str  # the input format's name: "az-graph" | "array" | "snapshot"
    rows: int
    collections: list[str] | None = None  # declared by a snapshot; None for raw files
    metadata: dict[str, Any] = field(default_factory=dict)
    # what it holds: what it declares, and what its own rows show
    holds: frozenset[str] = field(default=frozenset(), repr=False, compare=False)


@dataclass
class Estate:
    """The merged rows of every input, keyed by normalised ARM id, in first-seen order."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # key -> lower-case type
    sources: list[Source] = field(default_factory=list)
    rows_read: int = 0
    duplicates_merged: int = 0
    declared_collections: set[str] = field(default_factory=set)
    gaps: list[dict[str, str]] = field(default_factory=list)  # what the inputs say is missing
    notes: list[dict[str, str]] = field(default_factory=list)  # choices that narrowed evidence
    cloud: str = DEFAULT_CLOUD  # which Azure cloud's private DNS zone names apply
    origins: dict[str, Origin] = field(default_factory=dict)  # by key: source-code rows
    # Azure's own verdicts (policy states, Defender assessments: collections.ADVISORY_TYPES)
    # by key: kept apart from the resources, which the graph and the rules read
    flags: dict[str, dict[str, Any]] = field(default_factory=dict)
    _collections: set[str] | None = field(default=None, repr=False)
    # Which input each row came from (its first; ``_also`` for duplicates from others; a row
    # not in ``_origin`` came from the first input, which most scans read alone), and
    # what the raw files hold between them: collections are judged per source.
    _origin: dict[str, int] = field(default_factory=dict, repr=False)
    _also: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _raw_holds: set[str] = field(default_factory=set, repr=False)
    _by_address: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)
    # collection -> whether every input holds it (``holds``); reset by ``add``
    _held_everywhere: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)

    def add(self, path: str, fmt: str, reading: Reading) -> Source:
        """Merge one input's rows and what it says about itself; a row that cannot be keyed
        raises InputError naming the input (``path``) and the row."""
        named, where = Path(path), reading.row_label  # named as the file reader names it
        index = len(self.sources)
        # each type as read -> (the one str object rows get for it, its lower case): a type
        # seen before was checked then (types repeat: a few dozen in 100k rows)
        lowered: dict[str, tuple[str, str]] = {}
        shared: dict[str, str] = {}
        rows, types, key_of = self.rows, self.types, arm.key
        flags, advisory = self.flags, collections.ADVISORY_TYPES
        for i, r in enumerate(reading.rows):
            if not isinstance(r, dict):
                raise InputError(named, f"{where} {i} is {describe(r)}, expected an object")
            rid = r.get("id")
            rtype = r.get("type")
            # an id that opens with "/" is an ARM id (checked in full below otherwise)
            if rid.__class__ is not str or not rid.startswith("/"):
                if not isinstance(rid, str) or not rid.strip():
                    raise InputError(named, f"{where} {i} {_field_problem('id', rid)}")
                if not rid.startswith("/"):
                    raise InputError(
                        named, f"{where} {i} has an 'id' that is not an ARM resource id: {rid!r}"
                    )
            seen = lowered.get(rtype) if rtype.__class__ is str else None
            if seen is None:
                if not isinstance(rtype, str) or not rtype.strip():
                    raise InputError(named, f"{where} {i} ({rid}) {_field_problem('type', rtype)}")
                seen = lowered[rtype] = (rtype, rtype.lower())
            one, low = seen
            if one is not rtype:  # one str object per distinct value (see _SHARED)
                r["type"] = one
            for name in _SHARED:
                value = r.get(name)
                if value.__class__ is str:
                    one = shared.setdefault(value, value)
                    if one is not value:
                        r[name] = one
            k = key_of(rid)
            if low in advisory:  # not a resource: the cross-reference reads it
                flags.setdefault(k, r)
                continue
            existing = rows.get(k)
            if existing is None:
                rows[k] = r
                types[k] = low
                if index:  # the first input's rows are not listed (see ``_origin``)
                    self._origin[k] = index
            else:  # the first row's id keeps its casing: it is the one printed
                _merge(existing, {key: v for key, v in r.items() if key != "id"})
                self.duplicates_merged += 1
                if self._origin.get(k, 0) != index:
                    self._also.setdefault(k, []).append(index)
        self.rows_read += len(reading.rows)
        self._collections = None
        held = {collections.holding(low) for _, low in lowered.values()}
        if reading.collections is not None:  # a snapshot declares whether Azure's verdicts
            # were read whole: rows of one whose query failed in another scope are partial
            held -= collections.ADVISORY
        holds = frozenset(reading.collections or ()) | held
        if reading.collections is None:  # a raw file says nothing of its scope: it counts
            self._raw_holds |= holds  # for the whole estate, as before
        source = Source(path, fmt, len(reading.rows), reading.collections, reading.metadata, holds)
        if reading.collections:
            self.declared_collections.update(reading.collections)
        self.gaps += [{"path": path, "problem": g} for g in reading.gaps]
        if reading.cloud is not None:
            self.cloud = reading.cloud
        self.notes += [{"path": path, "note": n} for n in reading.notes]
        for rid, origin in reading.origins.items():
            self.origins.setdefault(arm.key(rid), origin)
        self._by_address = None
        self._held_everywhere.clear()
        self.sources.append(source)
        return source

    def key_of(self, rid: str, rtype: str | None = None) -> str:
        """The key of the resource a report names by ``rid``: an ARM id's own key, or, for
        a resource that came from source code and is named by its Terraform address, the
        key of the row made from it (of type ``rtype`` when one address made several, as a
        VNet's inline subnets; else the first). An id nothing matches keys as itself."""
        k = arm.key(rid)
        if k in self.origins or not self.origins:
            return k
        if self._by_address is None:
            self._by_address = {}
            for key, origin in self.origins.items():
                self._by_address.setdefault(origin.address, []).append(key)
        keys = self._by_address.get(rid.strip())
        if not keys:
            return k
        if rtype and len(keys) > 1:
            wanted = rtype.lower()
            for key in keys:
                if arm.arm_type(key) == wanted:
                    return key
        return keys[0]

    def collections(self) -> set[str]:
        """Collections this estate holds: declared by snapshots, or evident from its rows.
        Computed once (rules ask per resource); loading more rows resets it."""
        if self._collections is None:
            self._collections = set(self.declared_collections) | {
                collections.holding(t) for t in self.type_counts()
            }
            self._collections |= {c for s in self.sources for c in s.holds & collections.ADVISORY}
        return self._collections

    def holds(self, key: str, collection: str) -> bool:
        """Whether the estate holds ``collection`` for the resource ``key``: a snapshot's
        collections cover its own rows only (one snapshot with computes does not make
        another file's workspaces complete); raw files, which name no scope, count for
        the whole estate."""
        if collection in self._raw_holds:
            return True
        everywhere = self._held_everywhere.get(collection)
        if everywhere is None:  # once per collection (rules ask per resource, ~20k times)
            everywhere = self._held_everywhere[collection] = all(
                collection in s.holds for s in self.sources
            )
        if everywhere:  # every input holds it: any of the estate's rows is covered
            return key in self.rows
        origin = self._origin.get(key)
        if origin is None:
            if key not in self.rows:
                return False
            origin = 0
        if collection in self.sources[origin].holds:
            return True
        also = self._also.get(key)  # the inputs its duplicates came from
        return also is not None and any(collection in self.sources[i].holds for i in also)

    def type_counts(self) -> Counter[str]:
        return Counter(self.types.values())

    def subscriptions(self) -> list[str]:
        """The subscriptions (lower case) the estate holds resources of: where a resource
        that is not in the estate can be taken to be gone."""
        found: set[str | None] = set()
        prefix = "/subscriptions/"
        # "/subscriptions/<s>/" of a key before (none yet: no str opens with an empty tuple)
        last: str | tuple[str, ...] = ()
        for key in self.rows:
            # keys are lower case ARM ids: nearly all open with the subscription, and rows
            # of one subscription mostly follow each other: a key that opens as the one
            # before did names its subscription; others are read here without splitting the
            # whole id; anything else asks ``arm.segment`` as before
            if key.startswith(last):
                continue
            if key.startswith(prefix):
                sub, slash, _ = key[15:].partition("/")
                found.add(sub)
                if slash:
                    last = f"{prefix}{sub}/"
            else:
                found.add(arm.segment(key, "subscriptions"))
        return sorted(s for s in found if s)


def _field_problem(name: str, value: Any) -> str:
    if value is None:
        return f"has no '{name}'"
    if isinstance(value, str):
        return f"has an empty '{name}'"
    return f"has an '{name}' that is {describe(value)}, expected a string"


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    """Merge a duplicate row: objects merge key by key, other values from the later row win
    unless the later value is null."""
    for k, v in new.items():
        old = into.get(k)
        if isinstance(old, dict) and isinstance(v, dict):
            _merge(old, v)
        elif v is not None or k not in into:
            into[k] = v
