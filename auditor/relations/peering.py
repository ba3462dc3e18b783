"""Peering: which VNets a VNet's clients reach, and each peering entry as Azure records it.

Peering is one-directional per VNet (each side holds its own entry) and not transitive:
a VNet reaches only the VNets it is directly peered with, in state Connected, with VNet
access allowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Item, by_id, memoized, relation

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
    reverse — whether the remote VNet has a peering back, None when it is not seen)."""
    items = []
    for remote, attrs in g.out(k, "peers_with"):
        seen = g.seen(remote)
        items.append(
            Item(
                key=str(attrs.get("id") or g.display_id(remote)),
                node=remote,
                edge=dict(attrs),
                extra={
                    "remote_seen": seen,
                    "reverse": g.has_edge(remote, k, "peers_with") if seen else None,
                },
            )
        )
    return by_id(items)
