"""Peering: which VNets a VNet's clients reach, and each peering entry as Azure records it.

Peering is one-directional per VNet (each side holds its own entry) and not transitive:
a VNet reaches only the VNets it is directly peered with, in state Connected, with VNet
access allowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import arm
from ..embedded import PEERINGS
from .base import Item, by_id, memoized, relation
from .hops import unreadable_items

if TYPE_CHECKING:
    from ..graph import AuditGraph


def connected_peers(g: AuditGraph, vnet: str) -> list[tuple[str, str]]:
    """VNets whose clients reach resources in ``vnet``: the VNet itself and every VNet
    peered with it in state Connected with VNet access allowed (one hop). → (vnet, why),
    sorted by key."""

    def compute() -> list[tuple[str, str]]:
        found: dict[str, str] = {vnet: f"{g.name(vnet)} hosts the endpoint"}
        for other, attrs in [*g.out(vnet, "peers_with"), *g.into(vnet, "peers_with")]:
            if other == vnet or str(attrs.get("state", "")).lower() != "connected":
                continue
            if attrs.get("allow_vnet_access") is False:
                continue
            found.setdefault(other, f"{g.name(other)} is peered with {g.name(vnet)} (Connected)")
        return sorted(found.items())

    result: list[tuple[str, str]] = memoized(g, ("connected_peers", vnet), compute)
    return result


@relation("peerings", "vnet", fields=("remote_seen", "reverse"), edge="peers_with")
def peerings(g: AuditGraph, k: str) -> list[Item]:
    """The VNet's own peering entries (edge: state, sync, flags; extra: remote_seen and
    reverse — whether the remote VNet has a peering back, None when it is not seen).

    An entry that cannot be read is an item marked unknown; so is a peering whose remote
    VNet has an entry that cannot be read and may be the one back."""
    items = []
    for remote, attrs in g.out(k, "peers_with"):
        seen = g.seen(remote)
        back = _unreadable_back(g, k, remote) if seen else []
        items.append(
            Item(
                key=str(attrs.get("id") or g.display_id(remote)),
                node=remote,
                edge=dict(attrs),
                extra={
                    "remote_seen": seen,
                    "reverse": g.has_edge(remote, k, "peers_with") if seen else None,
                },
                unknown=f"whether {g.name(remote)} peers back is unknown: {back[0]}"
                if back
                else None,
            )
        )
    broken = unreadable_items(g, k, (PEERINGS.field,), own=True)
    return by_id(items) + broken


def _unreadable_back(g: AuditGraph, vnet: str, remote: str) -> list[str]:
    """The remote VNet's unreadable peering entries that may point back at ``vnet``: those
    naming it, and those whose remote VNet could not be read."""
    if g.has_edge(remote, vnet, "peers_with"):
        return []
    return [
        str(u)
        for u in g.unreadable(vnet, PEERINGS.field) + g.unplaced(PEERINGS.field)
        if arm.key(u.owner_id) == remote
    ]
