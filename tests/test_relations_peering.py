"""Peering: which VNets reach a VNet (one hop, Connected, VNet access allowed) and each
side's peering entry with whether the other side peers back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.relations import RELATIONS
from auditor.relations.peering import connected_peers

from . import builders as b
from .conftest import graph_of, scan_rows


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


# -- entries that cannot be read, and the flattened az CLI shape ----------------------------
def test_a_peering_without_a_remote_vnet_is_an_unknown_item_not_a_pass(tmp_path: Path) -> None:
    """Used to be dropped: the VNet then passed MLA-NET-001 with a peering nobody read."""
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    b.peer(a, c)
    broken = b.peering(a, "/unused")
    del broken["properties"]["remoteVirtualNetwork"]
    g = graph_of([a, c], tmp_path)
    items = RELATIONS["peerings"].fn(g, key(a))
    assert isinstance(items, list)
    assert [i.unknown for i in items] == [
        None,
        "vnet-a: virtualNetworkPeerings[1] (to-unused) cannot be read: "
        "it has no remoteVirtualNetwork",
    ]
    result = scan_rows([a, c], tmp_path, select=["MLA-NET-001"])
    assert result.findings == []
    (record,) = result.not_evaluated
    assert record.resource_id == a["id"] and "to-unused" in record.reasons[0]
    (outcome,) = result.outcomes
    assert outcome.passed == 2 and outcome.not_evaluated == 1  # the readable ones judged


VNET_X = b.rid("rg-x", "Microsoft.Network/virtualNetworks/x")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"properties": None}, "its properties are null, not an object"),
        ({"properties": "Connected"}, "its properties are a string, not an object"),
        ({"properties": {"peeringState": "Connected"}}, "it has no remoteVirtualNetwork"),
        ({"properties": {"remoteVirtualNetwork": {"id": 7}}}, "is not a reference"),
        (
            {"properties": {"remoteVirtualNetwork": {"id": b.rid("r", "Microsoft.Storage/x/y")}}},
            "is not a microsoft.network/virtualnetworks",
        ),
        (
            {"properties": {"remoteVirtualNetwork": {"id": VNET_X}, "peeringState": 1}},
            "its peeringState is a number, not a string",
        ),
    ],
)
def test_peering_entries_that_cannot_be_read(
    change: dict[str, Any], why: str, tmp_path: Path
) -> None:
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    a["properties"]["virtualNetworkPeerings"] = [{"name": "p", **change}]
    g = graph_of([a], tmp_path)
    (item,) = RELATIONS["peerings"].fn(g, key(a))  # type: ignore[misc]
    assert item.unknown and item.unknown.startswith("vnet-a: virtualNetworkPeerings[0] (p)")
    assert why in item.unknown


def test_an_unreadable_peering_back_makes_reverse_unknown(tmp_path: Path) -> None:
    """vnet-c's entry to vnet-a cannot be read: whether vnet-c peers back is unknown, so
    vnet-a's peering is not reported as one-sided."""
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    b.peering(a, c["id"])
    back = b.peering(c, a["id"])
    back["properties"]["allowVirtualNetworkAccess"] = "yes"
    g = graph_of([a, c], tmp_path)
    (item,) = RELATIONS["peerings"].fn(g, key(a))  # type: ignore[misc]
    assert item.unknown == (
        "whether vnet-c peers back is unknown: vnet-c: virtualNetworkPeerings[0] (to-vnet-a) "
        "cannot be read: its allowVirtualNetworkAccess is a string, not true or false"
    )
    result = scan_rows([a, c], tmp_path, select=["MLA-NET-001"])
    assert result.findings == [] and len(result.not_evaluated) == 2


def test_the_flattened_az_cli_shape_is_read_like_the_nested_one(tmp_path: Path) -> None:
    """``az network vnet peering list`` prints each peering's properties at its top."""
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    b.peer(a, c)
    nested = RELATIONS["peerings"].fn(graph_of([a, c], tmp_path), key(a))
    for row in (a, c):
        row["properties"]["virtualNetworkPeerings"] = [
            {"name": p["name"], "id": p["id"], "resourceGroup": "rg-net", **p["properties"]}
            for p in row["properties"]["virtualNetworkPeerings"]
        ]
    flat = RELATIONS["peerings"].fn(graph_of([a, c], tmp_path), key(a))
    assert flat == nested and isinstance(flat, list) and flat[0].extra["reverse"] is True
