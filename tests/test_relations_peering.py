"""Peering: which VNets reach a VNet (one hop, Connected, VNet access allowed) and each
side's peering entry with whether the other side peers back."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.relations import RELATIONS
from auditor.relations.peering import connected_peers

from . import builders as b
from .conftest import graph_of


def key(row: dict[str, object]) -> str:
    return str(row["id"]).lower()


def names(g: object, found: list[tuple[str, str]]) -> list[str]:
    return sorted(g.name(v) for v, _ in found)  # type: ignore[attr-defined]


def test_a_vnet_reaches_itself_and_its_connected_peers(tmp_path: Path) -> None:
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    b.peer(a, c)
    g = graph_of([a, c], tmp_path)
    found = connected_peers(g, key(a))
    assert names(g, found) == ["vnet-a", "vnet-c"]
    assert dict(found)[key(c)] == "vnet-c is peered with vnet-a (Connected)"


@pytest.mark.parametrize("state", ["Initiated", "Disconnected"])
def test_a_peering_that_is_not_connected_reaches_nothing(tmp_path: Path, state: str) -> None:
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    b.peering(c, a["id"], state)
    g = graph_of([a, c], tmp_path)
    assert names(g, connected_peers(g, key(a))) == ["vnet-a"]


def test_a_peering_without_vnet_access_reaches_nothing(tmp_path: Path) -> None:
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    b.peering(a, c["id"], allowVirtualNetworkAccess=False)
    b.peering(c, a["id"], allowVirtualNetworkAccess=False)
    g = graph_of([a, c], tmp_path)
    assert names(g, connected_peers(g, key(a))) == ["vnet-a"]


def test_peering_is_not_transitive(tmp_path: Path) -> None:
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    hub = b.vnet("vnet-hub", "10.0.0.0/16", {"s": "10.0.1.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    b.peer(a, hub)
    b.peer(hub, c)
    g = graph_of([a, hub, c], tmp_path)
    assert names(g, connected_peers(g, key(a))) == ["vnet-a", "vnet-hub"]
    assert names(g, connected_peers(g, key(hub))) == ["vnet-a", "vnet-c", "vnet-hub"]


def test_peerings_say_whether_the_other_side_peers_back(tmp_path: Path) -> None:
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    d = b.vnet("vnet-d", "10.4.0.0/16", {"s": "10.4.1.0/24"})
    b.peer(a, c)
    b.peering(a, d["id"])  # one-sided
    b.peering(a, b.rid("rg-x", "Microsoft.Network/virtualNetworks/elsewhere"))
    g = graph_of([a, c, d], tmp_path)
    items = RELATIONS["peerings"].fn(g, key(a))
    assert isinstance(items, list)
    got = {i.key.rsplit("/", 1)[-1]: (i.extra["remote_seen"], i.extra["reverse"]) for i in items}
    assert got == {
        "to-vnet-c": (True, True),
        "to-vnet-d": (True, False),
        "to-elsewhere": (False, None),
    }
    assert [i.key for i in items] == sorted((i.key for i in items), key=str.lower)
    assert all(i.edge and i.edge["state"] == "Connected" for i in items)
