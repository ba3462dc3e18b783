"""The graph: built as networkx would build it, and only with the declared vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from auditor import graph, inputs
from auditor.model import EDGE_KINDS, NODE_KINDS

from .conftest import FIXTURES


def reference_graph() -> graph.AuditGraph:
    return graph.build(inputs.load([FIXTURES / "reference-good.json"]))


def test_fill_matches_networkx_public_calls() -> None:
    nodes = [("a", {"x": 1}), ("b", {}), ("c", {"y": 2}), ("a", {"z": 3})]
    edges = [
        ("a", "b", "k1", {"w": 1}),
        ("a", "b", "k2", {}),
        ("a", "b", "k1", {"v": 2}),
        ("c", "a", "k1", {}),
        ("b", "b", "self", {}),
    ]
    expected = nx.MultiDiGraph()
    expected.add_nodes_from(nodes)
    expected.add_edges_from(edges)
    got = nx.MultiDiGraph()
    graph.fill_multidigraph(got, nodes, edges)
    assert nx.utils.graphs_equal(got, expected)
    assert list(got.edges(keys=True, data=True)) == list(expected.edges(keys=True, data=True))
    assert dict(got.nodes(data=True)) == dict(expected.nodes(data=True))


def test_edges_connect_the_declared_kinds() -> None:
    g = reference_graph()
    used = set()
    for u, v, kind in g.g.edges(keys=True):
        assert kind in EDGE_KINDS, kind
        src, dst, _, _ = EDGE_KINDS[kind]
        used.add(kind)
        assert g.kind(u) in src, (kind, u)
        assert dst == "any" or g.kind(v) in dst, (kind, v)
    # the reference estate uses every kind but the custom-DNS ones (it uses Azure DNS)
    assert used == set(EDGE_KINDS) - {"uses_dns_server", "hosted_in"}


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
