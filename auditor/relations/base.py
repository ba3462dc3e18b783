"""The relation registry and its types: what a rule may ask of the graph beyond one row.

A relation takes the graph and a subject node and returns a list of :class:`Item` — or an
:class:`Unknown` when the estate lacks the data to answer, so that the rule reports "not
evaluated" rather than a pass. Each relation declares the fields its items carry, so a
rule that reads a field no item has is refused when it loads (see ``rules.compile_rule``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import arm
from ..model import EDGE_KINDS

if TYPE_CHECKING:
    from ..graph import AuditGraph


@dataclass(frozen=True)
class Unknown:
    """The third truth value: the answer depends on data the estate does not hold."""

    reasons: tuple[str, ...]

    @staticmethod
    def of(*reasons: str) -> Unknown:
        return Unknown(tuple(reasons))


@dataclass(slots=True)
class Item:
    """One thing a relation yields: usually a node reached over an edge.

    Paths resolve ``edge.*`` against the edge attributes, names in ``extra`` against the
    computed values, and everything else against the node's row. ``key`` identifies the
    item in fingerprints; ``unknown`` marks an item whose verdict cannot be decided.
    Slotted: a scan makes one per judged resource and per related item (~200k at 100k
    rows), and rules read their fields for every verdict.
    """

    key: str
    node: str | None = None
    edge: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    unknown: str | None = None


Answer = list[Item] | Unknown
RelationFn = Callable[["AuditGraph", str], Answer]


@dataclass(frozen=True)
class Relation:
    """A named question rules can ask of a node of one of ``kinds``.

    ``fields`` are the computed values its items carry (``need.linked``); ``edge`` names
    the edge kind whose attributes they carry as ``edge.*``; ``node`` says whether items
    are resources whose row can be read (``pe.name``, ``pe.properties.…``)."""

    name: str
    kinds: frozenset[str]
    doc: str
    fn: RelationFn
    fields: frozenset[str] = frozenset()
    edge: str | None = None
    node: bool = True

    @property
    def edge_fields(self) -> tuple[str, ...]:
        return EDGE_KINDS[self.edge].attributes if self.edge else ()


RELATIONS: dict[str, Relation] = {}


def _first_paragraph(text: str | None) -> str:
    return " ".join((text or "").strip().split("\n\n")[0].split())


def register(rel: Relation) -> Relation:
    if rel.name in RELATIONS:
        raise ValueError(f"relation {rel.name} is declared twice")
    if rel.edge is not None and rel.edge not in EDGE_KINDS:
        raise ValueError(f"relation {rel.name}: unknown edge kind {rel.edge}")
    RELATIONS[rel.name] = rel
    return rel


def relation(
    name: str,
    *kinds: str,
    fields: Iterable[str] = (),
    edge: str | None = None,
    node: bool = True,
) -> Callable[[RelationFn], RelationFn]:
    """Register a function as a relation; its docstring's first paragraph documents it."""

    def add(fn: RelationFn) -> RelationFn:
        register(
            Relation(
                name,
                frozenset(kinds),
                _first_paragraph(fn.__doc__),
                fn,
                frozenset(fields),
                edge,
                node,
            )
        )
        return fn

    return add


def node_item(g: AuditGraph, node: str, edge: dict[str, Any] | None = None, **extra: Any) -> Item:
    return Item(key=g.display_id(node), node=node, edge=edge, extra=extra)


def by_id(items: Iterable[Item]) -> list[Item]:
    """Items in the order every report shows them: by ARM id, case-insensitively."""
    found = list(items)
    if len(found) > 1:  # most nodes have one NSG, one workspace: nothing to order
        found.sort(key=lambda i: (arm.key(i.key), i.key))
    return found


def memoized(g: AuditGraph, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """A per-graph answer several relations (or subjects) share, computed once. A key of
    one word (``("dns_decisions",)``) holds an index over the whole estate, kept for the
    scan; a longer key (``("endpoint_clients", pe)``) an answer about one node or value,
    which ``forget_node_answers`` may drop (it is computed again if asked)."""
    memo = g.memo
    found = memo.get(key, _MISSING)
    if found is _MISSING:  # one lookup on a hit: the key's tuple is hashed anew each time
        found = memo[key] = compute()
    return found


_MISSING = object()


def forget_node_answers(g: AuditGraph) -> None:
    """Drop the memoized answers about single nodes, keep the estate-wide indexes. The
    engine calls it between resource types: one type's subjects seldom ask another's
    per-node answers again, and holding all of them to the end of the rules stage was
    ~10 MB at 86k rows, at the scan's peak of memory."""
    memo = g.memo
    for key in [k for k in memo if k.__class__ is not tuple or len(k) > 1]:
        del memo[key]
