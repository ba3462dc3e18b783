"""Collections, declared once: the kinds of data an estate can hold.

A rule that needs a collection the estate lacks is reported as not evaluated instead of
passing. Each declaration says how the live path collects it (a Resource Graph query, or an
ARM child list read per parent resource), which row types belong to it (so a raw file holds
it when any of them appears), when its absence matters, and the sentence that explains the
absence. The collector, the snapshot reader, the estate and the rules all ask these
declarations; a new collection is one more declaration (and its query text in
``queries.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from . import queries

if TYPE_CHECKING:
    from .graph import AuditGraph

RESOURCES = "resources"
DNS_RECORDS = "dnsresources"
COMPUTES = "computes"
ZONE_GROUPS = "privatednszonegroups"

WORKSPACE = "microsoft.machinelearningservices/workspaces"
PRIVATE_ENDPOINT = "microsoft.network/privateendpoints"
PRIVATE_DNS_ZONE = "microsoft.network/privatednszones"
_FROM_ARM = "Resource Graph does not hold them; they are read from ARM by 'mlops-audit collect'"


@dataclass(frozen=True)
class GraphQuery:
    """Collected by one Resource Graph query per scope (paged; see ``queries.py``)."""

    text: str


@dataclass(frozen=True)
class ArmList:
    """Collected by listing an ARM child collection under each resource of a parent type."""

    path: str  # a template whose one placeholder is the parent's id, e.g. "{workspace}/…"
    parent_type: str

    def path_for(self, parent_id: str) -> str:
        """The list's path under one parent."""
        return self.path.format_map(defaultdict(lambda: parent_id))


@dataclass(frozen=True)
class Declaration:
    """One collection: its name, how it is collected, its rows and its absence."""

    name: str
    source: GraphQuery | ArmList
    row_types: frozenset[str] | None  # lower case; None: every type no other one claims
    matters_with: str | None  # its absence matters only when the estate has this type
    absence: str  # why a rule that needs it was not evaluated
    skipped_note: str | None = None  # --skip-endpoint-reads skips it, noting this ({n} reads)

    def matters(self, graph: AuditGraph) -> bool:
        """Whether lacking it leaves something unjudged: no workspaces, no computes to miss."""
        return self.matters_with is None or bool(graph.nodes_of_type(self.matters_with))


DECLARATIONS: tuple[Declaration, ...] = (
    Declaration(
        RESOURCES,
        GraphQuery(queries.RESOURCES),
        row_types=None,
        matters_with=None,
        absence="the estate has no Resource Graph resources rows",
    ),
    Declaration(
        DNS_RECORDS,
        GraphQuery(queries.DNS_RECORDS),
        row_types=frozenset(
            f"{PRIVATE_DNS_ZONE}/{record}"
            for record in ("a", "aaaa", "cname", "mx", "ptr", "soa", "srv", "txt")
        ),
        matters_with=PRIVATE_DNS_ZONE,
        absence="the estate has no private DNS record rows (Resource Graph dnsresources)",
    ),
    Declaration(
        COMPUTES,
        ArmList(queries.COMPUTES_PATH, parent_type=WORKSPACE),
        row_types=frozenset({f"{WORKSPACE}/computes"}),
        matters_with=WORKSPACE,
        absence=f"the estate has no Azure ML compute rows ({_FROM_ARM})",
    ),
    Declaration(
        ZONE_GROUPS,
        ArmList(queries.ZONE_GROUPS_PATH, parent_type=PRIVATE_ENDPOINT),
        row_types=frozenset({f"{PRIVATE_ENDPOINT}/privatednszonegroups"}),
        matters_with=PRIVATE_ENDPOINT,
        absence=f"the estate has no private DNS zone group rows ({_FROM_ARM})",
        skipped_note="per-endpoint DNS zone group reads skipped ({n} endpoints): the DNS "
        "checks use A records in the private zones as evidence",
    ),
)
BY_NAME: dict[str, Declaration] = {c.name: c for c in DECLARATIONS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
_BY_TYPE = {t: c.name for c in DECLARATIONS for t in c.row_types or ()}
(_OTHERS,) = (c.name for c in DECLARATIONS if c.row_types is None)

if TYPE_CHECKING:
    Collection = str
else:  # what a rule file's ``needs`` may name; pydantic checks it against the declarations
    Collection = Literal[NAMES]


def holding(row_type: str) -> str:
    """The collection a row of this (lower-case) type belongs to."""
    return _BY_TYPE.get(row_type, _OTHERS)


def missing_collection(graph: AuditGraph, needed: Iterable[str]) -> str | None:
    """Why a rule that needs these collections cannot run on this estate, or None."""
    have = graph.estate.collections()
    for name in needed:
        declared = BY_NAME[name]
        if name not in have and declared.matters(graph):
            return declared.absence
    return None
