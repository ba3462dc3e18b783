"""One-hop relations: the resources one edge away, declared as data.

A hop is an edge kind and a direction; its items are the nodes at the other end, with the
edge's attributes when the edge carries any, and — for every entry of the embedded lists
the edge is read from that could not be read — an item marked unknown that names the entry.
The few hops that need more (a filter, a computed value, an "unknown" when the row lacks
the list) are small functions below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .. import arm
from ..embedded import (
    ENDPOINT_CONNECTIONS,
    IP_CONFIGURATIONS,
    LINK_CONNECTIONS,
    MANUAL_LINK_CONNECTIONS,
    REGISTRY_CONNECTIONS,
)
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
    "aml_registry",
    "ampls",
    "other",
)
WORKSPACE_RESOURCES = ("storage_account", "key_vault", "container_registry", "app_insights")
CONNECTION_LISTS = (LINK_CONNECTIONS.field, MANUAL_LINK_CONNECTIONS.field)


def unreadable_items(
    g: AuditGraph, k: str, lists: tuple[str, ...], anywhere: bool = False, own: bool = False
) -> list[Item]:
    """An item marked unknown for each entry of these embedded lists that could not be read
    and concerns the node: in its own row (only those, with ``own``) or in another's that
    names it; with ``anywhere``, also each whose other end could not be read, which may be
    the node."""
    found = g.unreadable(k, *lists)
    if anywhere:
        found = found + g.unplaced(*lists)  # not in place: the graph's list is not ours
    if not found:
        return []
    if own:
        found = [u for u in found if arm.key(u.owner_id) == k]
    unique = {u.key: u for u in found}
    return [Item(key=key, unknown=str(u)) for key, u in sorted(unique.items())]


@dataclass(frozen=True)
class Hop:
    name: str
    kinds: tuple[str, ...]  # node kinds the relation applies to
    edge: str  # edge kind walked
    direction: Literal["out", "in"]  # out: subject → item; in: item → subject
    doc: str
    lists: tuple[str, ...] = ()  # embedded lists the edge is read from

    def __call__(self, g: AuditGraph, k: str) -> Answer:
        # asked of every subnet, NIC and NSG: the items are made inline (``node_item``'s)
        step = g.out if self.direction == "out" else g.into
        if EDGE_KINDS[self.edge].attributes:
            found = [
                Item(key=g.display_id(n), node=n, edge=dict(attrs))
                for n, attrs in step(k, self.edge)
            ]
        else:
            found = [Item(key=g.display_id(n), node=n) for n, _ in step(k, self.edge)]
        if len(found) > 1:
            found = by_id(found)
        if self.lists:
            hidden = unreadable_items(g, k, self.lists, anywhere=self.direction == "in")
            if hidden:
                found += hidden
        return found

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
        (*CONNECTION_LISTS, ENDPOINT_CONNECTIONS.field, REGISTRY_CONNECTIONS.field),
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
        ("networkSecurityGroup",),
    ),
)
for _hop in HOPS:
    register(_hop.relation())


@relation("connections", "private_endpoint", edge="targets")
def connections(g: AuditGraph, k: str) -> Answer:
    """The endpoint's private link connections and their targets (edge: connection,
    group_ids, status, manual)."""
    props = g.row(k).get("properties")
    broken = unreadable_items(g, k, CONNECTION_LISTS)
    if not broken and (
        not isinstance(props, dict)
        or not any(isinstance(props.get(f), list) for f in CONNECTION_LISTS)
    ):
        return Unknown.of(f"endpoint {g.name(k)} has no private link connections in its row")
    items = [
        Item(key=g.display_id(t), node=t, edge=dict(attrs)) for t, attrs in g.out(k, "targets")
    ]
    if len(items) > 1:
        items.sort(key=lambda i: (arm.key(i.key), str(i.edge and i.edge.get("connection"))))
    if broken:
        items += broken
    return items


@relation("public_ips", "nic", fields=("ip_address", "vm"))
def public_ips(g: AuditGraph, k: str) -> list[Item]:
    """Public IPs on the NIC's IP configurations (extra: ip_address, vm); an IP
    configuration that cannot be read is an item marked unknown."""
    vm = next((g.name(v) for v, _ in g.out(k, "attached_to") if g.kind(v) == "vm"), None)
    items = []
    for pip, _ in g.into(k, "attached_to"):
        if g.kind(pip) != "public_ip":
            continue
        props = g.row(pip).get("properties")
        address = props.get("ipAddress") if isinstance(props, dict) else None
        items.append(node_item(g, pip, ip_address=address, vm=vm))
    return by_id(items) + unreadable_items(g, k, (IP_CONFIGURATIONS.field,))
