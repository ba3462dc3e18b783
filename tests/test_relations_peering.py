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


def test_connected_peers_outlive_the_per_node_answers(tmp_path: Path) -> None:
    """One estate-wide table, kept when the engine drops per-node answers between types:
    the NSG checks of other types ask the same VNets again."""
    from auditor.relations.base import forget_node_answers

    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    b.peer(a, c)
    g = graph_of([a, c], tmp_path)
    found = connected_peers(g, key(a))
    forget_node_answers(g)
    assert connected_peers(g, key(a)) is found
    assert names(g, connected_peers(g, key(c))) == ["vnet-a", "vnet-c"]
    assert dict(connected_peers(g, key(c)))[key(c)] == "vnet-c hosts the endpoint"


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


# -- beyond state: gateway transit, overlaps, VNet access, subnet-level peering -------------
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from auditor.relations.base import Unknown  # noqa: E402
from auditor.relations.peering import overlaps, reaches  # noqa: E402


def gateway(name: str, vnet: dict[str, Any]) -> dict[str, Any]:
    gid = b.rid("rg-net", f"Microsoft.Network/virtualNetworkGateways/{name}")
    return {
        "id": gid,
        "name": name,
        "type": "microsoft.network/virtualnetworkgateways",
        "properties": {
            "ipConfigurations": [
                {
                    "name": "default",
                    "properties": {"subnet": {"id": f"{vnet['id']}/subnets/GatewaySubnet"}},
                }
            ]
        },
    }


def hub_and_spoke(transit: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    hub = b.vnet("vnet-hub", "10.0.0.0/16", {"GatewaySubnet": "10.0.0.0/27"})
    spoke = b.vnet("vnet-spoke", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    b.peering(hub, spoke["id"], allowGatewayTransit=transit)
    b.peering(spoke, hub["id"], useRemoteGateways=True)
    return hub, spoke


def test_gateway_transit_is_fine_with_transit_and_a_gateway(tmp_path: Path) -> None:
    hub, spoke = hub_and_spoke()
    g = graph_of([hub, spoke, gateway("vgw", hub)], tmp_path)
    (item,) = RELATIONS["gateway_transit"].fn(g, key(spoke))  # type: ignore[misc]
    assert item.extra["fault"] is None and item.extra["gateways"] == ["vgw"]
    assert RELATIONS["gateway_transit"].fn(g, key(hub)) == []  # the hub uses no remote gateway


def test_gateway_transit_names_both_faults(tmp_path: Path) -> None:
    hub, spoke = hub_and_spoke(transit=False)
    other = b.vnet("vnet-other", "10.9.0.0/16", {"GatewaySubnet": "10.9.0.0/27"})
    g = graph_of([hub, spoke, other, gateway("vgw", other)], tmp_path)
    (item,) = RELATIONS["gateway_transit"].fn(g, key(spoke))  # type: ignore[misc]
    assert item.extra["fault"] == (
        "vnet-hub's peering back (to-vnet-spoke) does not set allowGatewayTransit; and "
        "vnet-hub has no virtual network gateway or Route Server"
    )


def test_no_gateway_rows_at_all_is_unknown_never_a_pass(tmp_path: Path) -> None:
    """An estate without the gateways collection cannot say the hub has no gateway."""
    hub, spoke = hub_and_spoke()
    g = graph_of([hub, spoke], tmp_path)
    (item,) = RELATIONS["gateway_transit"].fn(g, key(spoke))  # type: ignore[misc]
    assert item.unknown and "no virtual network gateway or Route Server rows" in item.unknown
    result = scan_rows([hub, spoke], tmp_path, select=["MLA-NET-002"])
    assert result.findings == [] and [n.resource_id for n in result.not_evaluated] == [spoke["id"]]


def test_a_route_server_serves_its_vnet_by_router_ip(tmp_path: Path) -> None:
    hub, spoke = hub_and_spoke()
    rs = {
        "id": b.rid("rg-net", "Microsoft.Network/virtualHubs/rs"),
        "name": "rs",
        "type": "microsoft.network/virtualhubs",
        "kind": "RouteServer",
        "properties": {"virtualRouterIps": ["10.0.0.68"]},
    }
    wan = {**rs, "id": b.rid("rg-net", "Microsoft.Network/virtualHubs/wan"), "name": "wan"}
    wan["properties"] = {"virtualWan": {"id": "/x"}, "virtualRouterIps": ["10.0.0.69"]}
    g = graph_of([hub, spoke, rs, wan], tmp_path)
    (item,) = RELATIONS["gateway_transit"].fn(g, key(spoke))  # type: ignore[misc]
    assert item.extra["gateways"] == ["rs"] and item.extra["fault"] is None


def test_gateway_transit_to_a_vnet_outside_the_estate_is_unknown(tmp_path: Path) -> None:
    spoke = b.vnet("vnet-spoke", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    b.peering(spoke, VNET_X, useRemoteGateways=True)
    g = graph_of([spoke], tmp_path)
    (item,) = RELATIONS["gateway_transit"].fn(g, key(spoke))  # type: ignore[misc]
    assert item.unknown == "x is not in the estate: whether it offers a gateway is unknown"


def brute(left: list[str], right: list[str]) -> list[tuple[str, str]]:
    import ipaddress

    return sorted(
        {
            (x, y)
            for x in left
            for y in right
            if ipaddress.ip_network(x, strict=False).overlaps(ipaddress.ip_network(y, strict=False))
        }
    )


def test_overlaps_ipv4_and_ipv6() -> None:
    assert overlaps(["10.0.0.0/16"], ["10.0.128.0/17"]) == [("10.0.0.0/16", "10.0.128.0/17")]
    assert overlaps(["10.0.0.0/17"], ["10.0.128.0/17"]) == []  # adjacent
    assert overlaps(["fd00:db8::/48", "10.0.0.0/8"], ["fd00:db8:0:1::/64"]) == [
        ("fd00:db8::/48", "fd00:db8:0:1::/64")
    ]
    assert overlaps(["10.0.0.0/8"], ["::a00:0/104"]) == []  # families apart


PREFIX = st.one_of(
    st.builds(lambda a, n: f"10.{a}.0.0/{n}", st.integers(0, 7), st.integers(8, 24)),
    st.builds(lambda a, n: f"fd00:{a:x}::/{n}", st.integers(0, 7), st.integers(16, 64)),
)


@given(st.lists(PREFIX, max_size=6), st.lists(PREFIX, max_size=6))
def test_overlaps_agrees_with_every_pair(left: list[str], right: list[str]) -> None:
    assert overlaps(left, right) == brute(left, right)


def test_overlap_is_one_item_per_pair_and_subnet_peering_compares_subnets(
    tmp_path: Path,
) -> None:
    a = b.vnet("vnet-a", "10.0.0.0/16", {"s": "10.0.1.0/24"})
    c = b.vnet("vnet-c", "10.0.128.0/17", {"s": "10.0.200.0/24"})
    b.peer(a, c)
    g = graph_of([a, c], tmp_path)
    (item,) = RELATIONS["peered_overlaps"].fn(g, key(a))  # type: ignore[misc]
    assert item.extra["overlaps"] == ["10.0.0.0/16 with 10.0.128.0/17"]
    assert RELATIONS["peered_overlaps"].fn(g, key(c)) == []  # reported on vnet-a's entry
    for local, remote, mine, theirs in ((a, c, "s", "s"), (c, a, "s", "s")):
        local["properties"]["virtualNetworkPeerings"] = []
        b.peering(
            local,
            remote["id"],
            peerCompleteVnets=False,
            localSubnetNames=[mine],
            remoteSubnetNames=[theirs],
        )
    g = graph_of([a, c], tmp_path)
    (item,) = RELATIONS["peered_overlaps"].fn(g, key(a))  # type: ignore[misc]
    assert item.extra["overlaps"] == [] and item.extra["remote_space"] == ["10.0.200.0/24"]


def test_an_address_space_that_cannot_be_read_leaves_the_entry_unreadable(
    tmp_path: Path,
) -> None:
    a = b.vnet("vnet-a", "10.0.0.0/16", {"s": "10.0.1.0/24"})
    b.peering(a, VNET_X, remoteAddressSpace={"addressPrefixes": ["10.1.0.0/33"]})
    g = graph_of([a], tmp_path)
    for rel in ("peerings", "peered_overlaps"):
        items = RELATIONS[rel].fn(g, key(a))
        assert isinstance(items, list)
        assert next(i.unknown or "" for i in items if i.unknown).endswith(
            "its remoteAddressSpace holds '10.1.0.0/33', which is no address prefix"
        )


def test_reaches_follows_state_access_and_subnets(tmp_path: Path) -> None:
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s1": "10.1.1.0/24", "s2": "10.1.2.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"t1": "10.3.1.0/24", "t2": "10.3.2.0/24"})
    d = b.vnet("vnet-d", "10.4.0.0/16", {"u": "10.4.1.0/24"})
    b.peering(
        a, c["id"], peerCompleteVnets=False, localSubnetNames=["s1"], remoteSubnetNames=["t1"]
    )
    b.peering(
        c, a["id"], peerCompleteVnets=False, localSubnetNames=["t1"], remoteSubnetNames=["s1"]
    )
    b.peering(a, d["id"], allowVirtualNetworkAccess=False)
    b.peering(d, a["id"])
    g = graph_of([a, c, d], tmp_path)
    sub = lambda v, s: f"{key(v)}/subnets/{s}"  # noqa: E731
    assert reaches(g, key(a), key(c))[0] is True
    assert reaches(g, key(a), key(c), sub(a, "s1"), sub(c, "t1"))[0] is True
    verdict, why = reaches(g, key(a), key(c), sub(a, "s1"), sub(c, "t2"))
    assert verdict is False and why.endswith("is subnet-level and leaves t2 out")
    assert reaches(g, key(a), key(d)) == (
        False,
        "vnet-a's peering to-vnet-d to vnet-d sets allowVirtualNetworkAccess false",
    )
    assert reaches(g, key(d), key(a))[0] is False  # the entry back blocks it too
    assert reaches(g, key(c), key(d))[0] is False  # not transitive
    b.peering(c, VNET_X)
    c["properties"]["virtualNetworkPeerings"][-1]["properties"]["peeringState"] = 3
    g = graph_of([a, c, d], tmp_path)
    verdict, _ = reaches(g, key(c), VNET_X.lower())
    assert isinstance(verdict, Unknown)


def test_subnet_gaps_name_the_subnet_and_what_it_holds(tmp_path: Path) -> None:
    aml = b.vnet("vnet-aml", "10.1.0.0/16", {"pe": "10.1.1.0/24", "cpu": "10.1.2.0/24"})
    hub = b.vnet("vnet-hub", "10.0.0.0/16", {"jump": "10.0.1.0/24"})
    b.peering(hub, aml["id"], peerCompleteVnets=False, remoteSubnetNames=["cpu"])
    b.peering(aml, hub["id"], peerCompleteVnets=False, localSubnetNames=["cpu"])
    rows = [
        aml,
        hub,
        b.storage("st"),
        *b.endpoint("pe-st", f"{aml['id']}/subnets/pe", b.storage("st")["id"], "blob", "10.1.1.4"),
    ]
    g = graph_of(rows, tmp_path)
    (item,) = RELATIONS["subnet_peering_gaps"].fn(g, key(hub))  # type: ignore[misc]
    assert item.key.endswith("/subnets/pe") and item.extra["held"] == "pe-st"
    assert item.extra["peer_name"] == "vnet-hub" and item.extra["peered"] == "cpu"
    # the aml side's entry names no remote subnets or space: the hub's side is unknown, but
    # the hub holds nothing that needs judging
    assert RELATIONS["subnet_peering_gaps"].fn(g, key(aml)) == []


def test_peerings_given_as_rows_of_their_own_are_read_like_embedded_ones(
    tmp_path: Path,
) -> None:
    """``az network vnet peering list`` prints each peering as a row (flattened, with its
    type); the VNet rows then embed none. Same edges, same verdicts; a row that cannot be
    read leaves its VNet's peering checks unknown."""
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    c = b.vnet("vnet-c", "10.1.128.0/17", {"s": "10.1.200.0/24"})
    b.peer(a, c)
    embedded_result = scan_rows([a, c], tmp_path, select=["MLA-NET"])
    rows: list[dict[str, Any]] = []
    for vnet in (a, c):
        for p in vnet["properties"]["virtualNetworkPeerings"]:
            rows.append(
                {
                    "id": p["id"],
                    "name": p["name"],
                    "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
                    "resourceGroup": "rg-net",
                    **p["properties"],
                }
            )
        vnet["properties"]["virtualNetworkPeerings"] = []
    own_rows = scan_rows([a, c, *rows], tmp_path, select=["MLA-NET"])
    assert [f.fingerprint for f in own_rows.findings] == [
        f.fingerprint for f in embedded_result.findings
    ]
    assert [f.rule_id for f in own_rows.findings] == ["MLA-NET-003"]
    rows[0]["peeringState"] = None
    broken = scan_rows([a, c, *rows], tmp_path, select=["MLA-NET-001"])
    assert broken.findings == []
    # vnet-a's entry, and whether vnet-a peers back to vnet-c, are unknown
    assert [n.resource_id for n in broken.not_evaluated] == [a["id"], c["id"]]
    assert all("it has no peeringState" in n.reasons[0] for n in broken.not_evaluated)


def test_reaches_is_unknown_where_the_estate_cannot_say(tmp_path: Path) -> None:
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    b.peering(a, c["id"])
    back = b.peering(c, a["id"])
    back["properties"]["allowVirtualNetworkAccess"] = "no"  # unreadable: may disable access
    b.peering(a, VNET_X)
    g = graph_of([a, c], tmp_path)
    verdict, why = reaches(g, key(a), key(c))
    assert isinstance(verdict, Unknown) and "allowVirtualNetworkAccess is a string" in why
    verdict, why = reaches(g, VNET_X.lower(), key(a))  # a VNet outside the estate
    assert isinstance(verdict, Unknown) and why == (
        "x is not in the estate: its peering entries are unknown"
    )


def test_an_overlap_only_the_peering_entries_record_is_still_an_overlap(tmp_path: Path) -> None:
    """The VNet rows do not overlap, but the remote space the entries record (as peered, or
    the remote VNet's current space) does: that space is routed, so the overlap counts."""
    a = b.vnet("vnet-a", "10.0.0.0/16", {"s": "10.0.1.0/24"})
    c = b.vnet("vnet-c", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    b.peering(a, c["id"], remoteAddressSpace={"addressPrefixes": ["10.0.128.0/17"]})
    b.peering(c, a["id"])
    g = graph_of([a, c], tmp_path)
    (item,) = RELATIONS["peered_overlaps"].fn(g, key(a))  # type: ignore[misc]
    assert item.extra["overlaps"] == ["10.0.0.0/16 with 10.0.128.0/17"]
    c["properties"]["virtualNetworkPeerings"][0]["properties"][
        "remoteVirtualNetworkAddressSpace"
    ] = {"addressPrefixes": ["10.1.0.0/16"]}  # vnet-c's entry back: vnet-a's space grew
    a["properties"]["virtualNetworkPeerings"] = []
    b.peering(a, c["id"])
    g = graph_of([a, c], tmp_path)
    (item,) = RELATIONS["peered_overlaps"].fn(g, key(a))  # type: ignore[misc]
    assert item.extra["overlaps"] == ["10.1.0.0/16 with 10.1.0.0/16"]


OCTET = st.one_of(st.integers(0, 300).map(str), st.sampled_from(["00", "01", "007", "010"]))


@given(
    st.tuples(OCTET, OCTET, OCTET, OCTET), st.sampled_from(["0", "00", "8", "08", "24", "32", "33"])
)
def test_the_fast_ipv4_reading_agrees_with_ipaddress(octets: tuple[str, ...], bits: str) -> None:
    import ipaddress

    from auditor.relations.peering import _interval

    text = f"{'.'.join(octets)}/{bits}"
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        assert _interval(text) is None
        return
    first = int(net.network_address)
    assert _interval(text) == (4, first, first + net.num_addresses - 1, text)


def test_a_gateway_outside_gateway_subnet_is_no_proof_of_transit(tmp_path: Path) -> None:
    """Azure puts a VNet gateway only in GatewaySubnet: one the estate places in another
    subnet leaves unknown whether the hub has a gateway, never a pass."""
    hub, spoke = hub_and_spoke()
    odd = gateway("vgw", hub)
    subnet = odd["properties"]["ipConfigurations"][0]["properties"]["subnet"]
    subnet["id"] = subnet["id"].replace("GatewaySubnet", "snet-workload")
    g = graph_of([hub, spoke, odd], tmp_path)
    (item,) = RELATIONS["gateway_transit"].fn(g, key(spoke))  # type: ignore[misc]
    assert item.unknown and "snet-workload, not GatewaySubnet" in item.unknown
    lower = gateway("vgw", hub)  # the subnet's name in any case is still GatewaySubnet
    sub = lower["properties"]["ipConfigurations"][0]["properties"]["subnet"]
    sub["id"] = sub["id"].replace("GatewaySubnet", "gatewaysubnet")
    g = graph_of([hub, spoke, lower], tmp_path)
    (item,) = RELATIONS["gateway_transit"].fn(g, key(spoke))  # type: ignore[misc]
    assert item.unknown is None and item.extra["fault"] is None


def test_an_overlap_whose_entry_back_cannot_be_read_does_not_call_it_absent(
    tmp_path: Path,
) -> None:
    a = b.vnet("vnet-a", "10.0.0.0/16", {"s": "10.0.1.0/24"})
    c = b.vnet("vnet-c", "10.0.128.0/17", {"s": "10.0.200.0/24"})
    b.peer(a, c)
    c["properties"]["virtualNetworkPeerings"][0]["properties"]["peeringState"] = 7
    g = graph_of([a, c], tmp_path)
    (item,) = RELATIONS["peered_overlaps"].fn(g, key(a))  # type: ignore[misc]
    assert item.extra["back_entry"] == "an entry that cannot be read"
    assert item.extra["overlaps"] == ["10.0.0.0/16 with 10.0.128.0/17"]
