"""The graph: built as networkx would build it, and only with the declared vocabulary."""

from __future__ import annotations

import json
import re
from pathlib import Path

from auditor import graph, inputs
from auditor.model import EDGE_KINDS, NODE_KINDS

from .conftest import FIXTURES


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
