"""One-hop relations: the resources one edge away, declared as data.

A hop is an edge kind and a direction; its items are the nodes at the other end, with the
edge's attributes when the edge carries any. The few hops that need more (a filter, a
computed value, an "unknown" when the row lacks the list) are small functions below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .. import arm
from ..model import EDGE_KINDS
from .base import Answer, Item, Relation, Unknown, by_id, node_item, register, relation

if TYPE_CHECKING:
    from ..graph import AuditGraph

TARGETS_OF_ENDPOINTS = (
    "aml_workspace",
    "storage_account",
    "key_vault",
    "container_registry",
    "app_insights",
    "other",
)
WORKSPACE_RESOURCES = ("storage_account", "key_vault", "container_registry", "app_insights")


@dataclass(frozen=True)
class Hop:
    name: str
    kinds: tuple[str, ...]  # node kinds the relation applies to
    edge: str  # edge kind walked
    direction: Literal["out", "in"]  # out: subject → item; in: item → subject
    doc: str

    def __call__(self, g: AuditGraph, k: str) -> Answer:
        step = g.out if self.direction == "out" else g.into
        carry = bool(EDGE_KINDS[self.edge].attributes)
        return by_id(
            node_item(g, n, dict(attrs) if carry else None) for n, attrs in step(k, self.edge)
        )

    def relation(self) -> Relation:
        """The registry entry: items carry ``edge.*`` only when the edge kind has any."""
        carries = bool(EDGE_KINDS[self.edge].attributes)
        return Relation(
            self.name, frozenset(self.kinds), self.doc, self, edge=self.edge if carries else None
        )


HOPS = (
    Hop(
        "private_endpoints",
        TARGETS_OF_ENDPOINTS,
        "targets",
        "in",
        "Private endpoints that connect to this resource (edge: group_ids, status, manual).",
    ),
    Hop("workspace", ("aml_compute",), "compute_of", "out", "The workspace a compute belongs to."),
    Hop(
        "workspaces",
        WORKSPACE_RESOURCES,
        "uses",
        "in",
        "Workspaces that use this resource as storage, key vault, registry or App Insights "
        "(edge: role).",
    ),
    Hop(
        "nsgs",
        ("subnet", "nic"),
        "protects",
        "in",
        "Network security groups associated with this subnet or NIC.",
    ),
)
for _hop in HOPS:
    register(_hop.relation())


@relation("connections", "private_endpoint", edge="targets")
def connections(g: AuditGraph, k: str) -> Answer:
    """The endpoint's private link connections and their targets (edge: connection,
    group_ids, status, manual)."""
    props = g.row(k).get("properties")
    if not isinstance(props, dict) or not any(
        isinstance(props.get(f), list)
        for f in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")
    ):
        return Unknown.of(f"endpoint {g.name(k)} has no private link connections in its row")
    items = [node_item(g, t, dict(attrs)) for t, attrs in g.out(k, "targets")]
    return sorted(items, key=lambda i: (arm.key(i.key), str(i.edge and i.edge.get("connection"))))


@relation("public_ips", "nic", fields=("ip_address", "vm"))
def public_ips(g: AuditGraph, k: str) -> list[Item]:
    """Public IPs on the NIC's IP configurations (extra: ip_address, vm)."""
    vm = next((g.name(v) for v, _ in g.out(k, "attached_to") if g.kind(v) == "vm"), None)
    items = []
    for pip, _ in g.into(k, "attached_to"):
        if g.kind(pip) != "public_ip":
            continue
        props = g.row(pip).get("properties")
        address = props.get("ipAddress") if isinstance(props, dict) else None
        items.append(node_item(g, pip, ip_address=address, vm=vm))
    return by_id(items)
