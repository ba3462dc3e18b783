"""One-hop relations: declared as data (edge kind + direction), each yields the nodes one
edge away, in id order, with the edge's attributes when the edge carries any."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.model import EDGE_KINDS
from auditor.relations import RELATIONS, Unknown
from auditor.relations.hops import HOPS

from . import builders as b
from .conftest import graph_of


def estate() -> dict[str, Any]:
    v = b.vnet("vnet-a", "10.1.0.0/16", {"snet-pe": "10.1.1.0/24"})
    st = b.storage("stdata")
    pes = [
        b.endpoint(f"pe-{n}", f"{v['id']}/subnets/snet-pe", st["id"], "blob", f"10.1.1.{n}")
        for n in (5, 4)
    ]
    nsg = {
        "id": b.rid("rg-net", "Microsoft.Network/networkSecurityGroups/nsg-a"),
        "name": "nsg-a",
        "type": "microsoft.network/networksecuritygroups",
        "properties": {"securityRules": [], "subnets": [{"id": f"{v['id']}/subnets/snet-pe"}]},
    }
    return {"vnet": v, "storage": st, "endpoints": pes, "nsg": nsg}


def rows(e: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["vnet"], e["storage"], e["nsg"], *(r for pair in e["endpoints"] for r in pair)]


def test_every_hop_walks_a_declared_edge_kind() -> None:
    for hop in HOPS:
        assert hop.edge in EDGE_KINDS and hop.direction in ("out", "in")
        rel = RELATIONS[hop.name]
        assert rel.fn is hop and rel.kinds == frozenset(hop.kinds)
        # an edge that carries attributes is offered as edge.*; one that carries none is not
        assert (rel.edge is not None) == bool(EDGE_KINDS[hop.edge].attributes)


def test_private_endpoints_of_a_target_in_id_order_with_the_connection(tmp_path: Path) -> None:
    e = estate()
    g = graph_of(rows(e), tmp_path)
    items = RELATIONS["private_endpoints"].fn(g, e["storage"]["id"].lower())
    assert isinstance(items, list)
    assert [g.name(i.node) for i in items] == ["pe-4", "pe-5"]
    assert items[0].edge == {
        "connection": "pe-4",
        "group_ids": ["blob"],
        "status": "Approved",
        "manual": False,
    }


def test_nsgs_of_a_subnet_carry_no_edge(tmp_path: Path) -> None:
    e = estate()
    g = graph_of(rows(e), tmp_path)
    (item,) = RELATIONS["nsgs"].fn(g, f"{e['vnet']['id']}/subnets/snet-pe".lower())  # type: ignore[misc]
    assert item.key == e["nsg"]["id"] and item.edge is None and item.extra == {}


def test_connections_of_an_endpoint_whose_row_lacks_them_are_unknown(tmp_path: Path) -> None:
    e = estate()
    pe, _nic = e["endpoints"][0]
    del pe["properties"]["privateLinkServiceConnections"]
    g = graph_of(rows(e), tmp_path)
    answer = RELATIONS["connections"].fn(g, pe["id"].lower())
    assert isinstance(answer, Unknown)
    assert "has no private link connections" in answer.reasons[0]


def test_public_ips_of_a_nic_name_the_vm(tmp_path: Path) -> None:
    nic_id = b.rid("rg-vm", "Microsoft.Network/networkInterfaces/vm1-nic")
    pip_id = b.rid("rg-vm", "Microsoft.Network/publicIPAddresses/vm1-pip")
    vm_id = b.rid("rg-vm", "Microsoft.Compute/virtualMachines/vm1")
    nic = {
        "id": nic_id,
        "name": "vm1-nic",
        "type": "microsoft.network/networkinterfaces",
        "properties": {
            "virtualMachine": {"id": vm_id},
            "ipConfigurations": [{"properties": {"publicIPAddress": {"id": pip_id}}}],
        },
    }
    pip = {
        "id": pip_id,
        "name": "vm1-pip",
        "type": "microsoft.network/publicipaddresses",
        "properties": {"ipAddress": "20.1.2.3"},
    }
    vm = {"id": vm_id, "name": "vm1", "type": "microsoft.compute/virtualmachines"}
    g = graph_of([nic, pip, vm], tmp_path)
    (item,) = RELATIONS["public_ips"].fn(g, nic_id.lower())  # type: ignore[misc]
    assert item.extra == {"ip_address": "20.1.2.3", "vm": "vm1"}
