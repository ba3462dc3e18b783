"""The graph: built as networkx would build it, and only with the declared vocabulary."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from auditor import graph, inputs
from auditor.model import EDGE_KINDS, NODE_KINDS

from . import builders as b
from .conftest import FIXTURES, graph_of


def reference_graph() -> graph.AuditGraph:
    return graph.build(inputs.load([FIXTURES / "reference-good.json"]))


def test_indexes_agree_with_the_networkx_graph() -> None:
    """The graph is networkx's (built through its public API); the (node, edge kind)
    indexes the relations read are views of it, in networkx's own order."""
    g = reference_graph()
    from_nx: dict[tuple[str, str], list[str]] = {}
    for u, v, kind in g.g.edges(keys=True):
        from_nx.setdefault((u, kind), []).append(v)
    for (u, kind), targets in from_nx.items():
        assert [t for t, _ in g.out(u, kind)] == targets
        for t in targets:
            assert g.has_edge(u, t, kind)
            assert u in [s for s, _ in g.into(t, kind)]
    assert sum(len(t) for t in from_nx.values()) == g.g.number_of_edges()
    for k in g.estate.rows:
        assert g.g.nodes[k]["row"] is g.row(k)


def _assert_index_order(g: graph.AuditGraph) -> None:
    """Both indexes, list for list, in the order networkx's edges come (by source node,
    then neighbour, then kind): out by target, into by source."""
    outs: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
    ins: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
    for u, v, kind, attrs in g.g.edges(keys=True, data=True):
        outs.setdefault((u, kind), []).append((v, attrs))
        ins.setdefault((v, kind), []).append((u, attrs))
    kinds = {kind for _, kind in outs}
    for k in g.nodes():
        for kind in kinds:
            assert list(g.out(k, kind)) == outs.get((k, kind), [])
            assert list(g.into(k, kind)) == ins.get((k, kind), [])


def test_index_order_is_networkx_order() -> None:
    _assert_index_order(reference_graph())


def test_index_order_when_a_sources_edges_interleave_kinds() -> None:
    """Edges added out of networkx's order (a source's second kind of edge reaching a
    neighbour it met first by another kind; sources added after their targets') are
    listed in networkx's order all the same; a repeated edge merges its attributes."""
    g = reference_graph()
    a, b, c, d = list(g.nodes())[:4]
    g._edges.clear()
    for src, dst, kind, attrs in (
        (a, c, "x", {}),
        (a, b, "y", {}),
        (a, b, "x", {"n": 1}),
        (a, c, "y", {}),
        (d, b, "x", {}),
        (c, b, "x", {}),
        (a, b, "x", {"m": 2}),
        (c, b, "y", {"n": 3}),
    ):
        g._link(src, dst, kind, **attrs)
    g._nx = None
    g._index_edges()
    _assert_index_order(g)
    assert [t for t, _ in g.out(a, "x")] == [c, b]
    assert [t for t, _ in g.out(a, "y")] == [c, b]  # c met first (by an x edge)
    assert [s for s, _ in g.into(b, "x")] == [a, c, d]  # by source node
    assert g.edge(a, b, "x") == {"n": 1, "m": 2}
    assert g.edge(a, c, "x") == {} and g.edge(c, b, "y") == {"n": 3}


def test_incoming_edges_of_a_kind_no_relation_asks_are_indexed_on_the_first_ask() -> None:
    """An edge kind in ``_INTO_ON_ASK`` has no incoming index until ``into`` asks it; then
    it answers as the build's index would (networkx's order: by source node)."""
    g = reference_graph()
    a, b, c, d = list(g.nodes())[:4]
    lazy = sorted(graph._INTO_ON_ASK)
    g._edges.clear()
    for src, dst, kind, attrs in (
        (d, b, lazy[0], {}),
        (a, b, lazy[0], {"n": 1}),
        (c, b, lazy[0], {}),
        (a, c, lazy[0], {}),
        (c, b, "x", {}),
        (a, b, "x", {}),
    ):
        g._link(src, dst, kind, **attrs)
    g._nx = None
    g._index_edges()
    assert not set(lazy) & set(g._in)
    assert list(g.into(b, lazy[0])) == [(a, {"n": 1}), (c, {}), (d, {})]
    assert [s for s, _ in g.into(c, lazy[0])] == [a]
    assert list(g.into(a, lazy[0])) == [] and list(g.into(b, lazy[1])) == []
    assert [s for s, _ in g.into(b, "x")] == [a, c]
    _assert_index_order(g)
    reference = reference_graph()
    for kind in lazy:  # on the reference estate too, where it holds edges of these kinds
        assert kind not in reference._in
    _assert_index_order(reference)


def test_the_builder_uses_only_networkx_public_api() -> None:
    """networkx's private adjacency (``_succ``, ``_node``, ``_clear_cache``) changes
    between releases: the oldest networkx the package allows crashed on it."""
    source = (Path(graph.__file__)).read_text(encoding="utf-8")
    assert not re.search(r"\.g\._|nx\._|\._(succ|pred|node|adj)\b", source)


def test_edges_connect_the_declared_kinds() -> None:
    g = reference_graph()
    used = set()
    for u, v, kind in g.g.edges(keys=True):
        assert kind in EDGE_KINDS, kind
        edge = EDGE_KINDS[kind]
        used.add(kind)
        assert g.kind(u) in edge.sources, (kind, u)
        assert edge.targets == ("any",) or g.kind(v) in edge.targets, (kind, v)
    # the reference estate uses every kind but the custom-DNS ones (it uses Azure DNS, no
    # DNS Private Resolver, forwarding ruleset or Azure Firewall), the serving ones it has
    # nothing for (online endpoints, projects, inference clusters) and gateway_in (it has no
    # gateway: the peering fixtures and topologies do) and backend_of (it has no load balancer
    # backends; tests/test_exposure.py checks those edges), nor uses_variable (a Terraform
    # extension's variables; tests/test_tf_compute.py checks those)
    custom_dns = {"uses_dns_server", "hosted_in", "resolver_in", "inbound_of"}
    custom_dns |= {"ruleset_linked_to", "rule_of", "uses_policy"}
    serving = {"belongs_to", "in_hub", "runs_on"}
    terraform = {"uses_variable"}
    others = {"gateway_in", "backend_of"}
    assert used == set(EDGE_KINDS) - custom_dns - serving - terraform - others


def test_every_row_is_a_node_of_a_declared_kind() -> None:
    g = reference_graph()
    for k in g.estate.rows:
        assert g.kind(k) in NODE_KINDS and g.seen(k)
    subnets = g.nodes_of_type("microsoft.network/virtualnetworks/subnets")
    assert len(subnets) == 6
    assert g.placeholders() == []


def test_references_outside_the_estate_become_placeholders(tmp_path: Path) -> None:

    nic = {
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n",
        "type": "microsoft.network/networkinterfaces",
        "name": "n",
        "properties": {
            "ipConfigurations": [
                {
                    "properties": {
                        "subnet": {
                            "id": "/subscriptions/other/resourceGroups/rg/providers/"
                            "Microsoft.Network/virtualNetworks/v/subnets/s"
                        }
                    }
                }
            ]
        },
    }
    path = tmp_path / "e.json"
    path.write_text(json.dumps([nic]))
    g = graph.build(inputs.load([path]))
    (placeholder,) = g.placeholders()
    assert placeholder["type"] == "microsoft.network/virtualnetworks/subnets"
    assert placeholder["referenced_by"] == [nic["id"]]
    assert not g.seen(placeholder["id"].lower())


def test_placeholders_do_not_depend_on_row_order(tmp_path: Path) -> None:
    net = "/subscriptions/other/resourceGroups/rg/providers/Microsoft.Network"
    subnet = f"{net}/virtualNetworks/v/subnets/s"
    nics = [
        {
            "id": f"{net}/networkInterfaces/n{i}",
            "type": "microsoft.network/networkinterfaces",
            "properties": {
                "ipConfigurations": [
                    {"properties": {"subnet": {"id": subnet.upper() if i == 0 else subnet}}}
                ]
            },
        }
        for i in range(7)
    ]
    seen = []
    for order in (nics, nics[::-1]):
        path = tmp_path / "e.json"
        path.write_text(json.dumps(order))
        seen.append(graph.build(inputs.load([path])).placeholders())
    assert seen[0] == seen[1]
    assert seen[0][0]["referrers"] == 7 and len(seen[0][0]["referenced_by"]) == 5


# -- embedded entries: never dropped -----------------------------------------------------------
EMBEDDED = [  # (row type, path to the list, the list's name in the record)
    ("microsoft.network/virtualnetworks", ("virtualNetworkPeerings",), "virtualNetworkPeerings"),
    ("microsoft.network/networksecuritygroups", ("securityRules",), "securityRules"),
    ("microsoft.network/networksecuritygroups", ("defaultSecurityRules",), "defaultSecurityRules"),
    ("microsoft.network/networksecuritygroups", ("subnets",), "subnets"),
    ("microsoft.network/networkinterfaces", ("ipConfigurations",), "ipConfigurations"),
    ("microsoft.network/bastionhosts", ("ipConfigurations",), "ipConfigurations"),
    (
        "microsoft.compute/virtualmachines",
        ("networkProfile", "networkInterfaces"),
        "networkInterfaces",
    ),
    (
        "microsoft.network/privateendpoints",
        ("privateLinkServiceConnections",),
        "privateLinkServiceConnections",
    ),
    ("microsoft.network/privateendpoints", ("networkInterfaces",), "networkInterfaces"),
    ("microsoft.network/privateendpoints", ("customDnsConfigs",), "customDnsConfigs"),
    (
        "microsoft.network/privateendpoints/privatednszonegroups",
        ("privateDnsZoneConfigs",),
        "privateDnsZoneConfigs",
    ),
    (
        "microsoft.storage/storageaccounts",
        ("privateEndpointConnections",),
        "privateEndpointConnections",
    ),
    (
        "microsoft.machinelearningservices/workspaces",
        ("privateEndpointConnections",),
        "privateEndpointConnections",
    ),
]
ODD_ENTRIES = ["x", 7, None, True, ["x"], {}, {"name": "e", "properties": None}]


def test_every_embedded_list_of_the_reference_estate_is_covered() -> None:
    rows = json.loads((FIXTURES / "reference-good.json").read_text(encoding="utf-8"))
    for rtype, path, _ in EMBEDDED:
        row = next(r for r in rows if r["type"].lower() == rtype)
        value = row["properties"]
        for step in path:
            value = value[step]
        assert isinstance(value, list) and value, (rtype, path)


@pytest.mark.parametrize("odd", ODD_ENTRIES, ids=repr)
@pytest.mark.parametrize(("rtype", "path", "field"), EMBEDDED, ids=lambda v: str(v))
def test_an_entry_the_graph_cannot_read_is_recorded_never_dropped(
    rtype: str, path: tuple[str, ...], field: str, odd: Any, tmp_path: Path
) -> None:
    rows = json.loads((FIXTURES / "reference-good.json").read_text(encoding="utf-8"))
    row = next(r for r in rows if r["type"].lower() == rtype)
    holder = row["properties"]
    for step in path[:-1]:
        holder = holder[step]
    if field == "customDnsConfigs" and isinstance(odd, dict):
        odd = {"fqdn": 7}  # a flat entry: an object is read from its own keys
    holder[path[-1]] = [odd, *holder[path[-1]]]
    g = graph_of(rows, tmp_path)
    (found,) = g.unreadable(row["id"].lower(), field)
    assert found.index == 0 and str(found).startswith(f"{row['name']}: {field}[0]")


def test_a_list_that_is_no_list_is_recorded(tmp_path: Path) -> None:
    rows = json.loads((FIXTURES / "reference-good.json").read_text(encoding="utf-8"))
    vnet = next(r for r in rows if r["type"] == "microsoft.network/virtualnetworks")
    vnet["properties"]["virtualNetworkPeerings"] = {"to-hub": {}}
    g = graph_of(rows, tmp_path)
    (found,) = g.unreadable(vnet["id"].lower(), "virtualNetworkPeerings")
    assert (
        str(found)
        == f"{vnet['name']}: virtualNetworkPeerings cannot be read: it is an object, not a list"
    )


def test_an_entry_naming_another_resource_is_recorded_on_both_or_anywhere(
    tmp_path: Path,
) -> None:
    """A peering whose remote VNet can be read concerns that VNet too (does it peer back?);
    one whose remote cannot be read may concern any VNet."""
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    b.peering(a, c["id"], state=None)  # type: ignore[arg-type]
    a["properties"]["virtualNetworkPeerings"].append({"name": "lost", "properties": {}})
    g = graph_of([a, c], tmp_path)
    mine = g.unreadable(a["id"].lower(), "virtualNetworkPeerings")
    assert [u.name for u in mine] == ["to-vnet-c", "lost"]
    assert g.unreadable(c["id"].lower(), "virtualNetworkPeerings") == mine[:1]
    assert g.unplaced("virtualNetworkPeerings") == mine[1:]
    assert list(g.out(a["id"].lower(), "peers_with")) == []


def test_a_reference_to_the_wrong_kind_of_resource_makes_no_edge(tmp_path: Path) -> None:
    a = b.vnet("vnet-a", "10.1.0.0/16", {"s": "10.1.1.0/24"})
    st = b.storage("stdata")
    b.peering(a, st["id"])
    g = graph_of([a, st], tmp_path)
    assert list(g.out(a["id"].lower(), "peers_with")) == []
    (found,) = g.unreadable(a["id"].lower(), "virtualNetworkPeerings")
    assert "is not a microsoft.network/virtualnetworks" in found.why


def test_a_zone_link_without_its_vnet_is_recorded_on_the_zone(tmp_path: Path) -> None:
    zone = b.zone("privatelink.blob.core.windows.net")
    link = b.link(zone, "/unused")
    link["properties"]["virtualNetwork"] = None
    g = graph_of([zone, link], tmp_path)
    (found,) = g.unreadable(zone["id"].lower(), "virtualNetwork")
    assert str(found) == f"{link['name']}: virtualNetwork cannot be read: it has no virtualNetwork"


def test_flattened_nsg_rules_read_like_nested_ones(tmp_path: Path) -> None:
    rows = json.loads((FIXTURES / "reference-good.json").read_text(encoding="utf-8"))
    nested = graph_of(rows, tmp_path)
    for row in rows:
        if row["type"] == "microsoft.network/networksecuritygroups":
            for field in ("securityRules", "defaultSecurityRules"):
                row["properties"][field] = [
                    {"name": r["name"], "id": r.get("id"), **r["properties"]}
                    for r in row["properties"][field]
                ]
    flat = graph_of(rows, tmp_path)
    for k in nested.nodes_of_kind("nsg"):
        assert flat.security_rules(k) == nested.security_rules(k)
        assert not flat.unreadable(k, "securityRules", "defaultSecurityRules")
