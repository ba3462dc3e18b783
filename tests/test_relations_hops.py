"""One-hop relations: declared as data (edge kind + direction), each yields the nodes one
edge away, in id order, with the edge's attributes when the edge carries any."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.model import EDGE_KINDS
from auditor.relations import RELATIONS, Unknown
from auditor.relations.hops import HOPS

from . import builders as b
from .conftest import graph_of, scan_rows


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


PIP_ID = b.rid("rg-vm", "Microsoft.Network/publicIPAddresses/vm1-pip")


def nic_with_public_ip(config: dict[str, Any]) -> list[dict[str, Any]]:
    nic_id = b.rid("rg-vm", "Microsoft.Network/networkInterfaces/vm1-nic")
    nic = {
        "id": nic_id,
        "name": "vm1-nic",
        "type": "microsoft.network/networkinterfaces",
        "properties": {"ipConfigurations": [config]},
    }
    pip = {
        "id": PIP_ID,
        "name": "vm1-pip",
        "type": "microsoft.network/publicipaddresses",
        "properties": {"ipAddress": "20.1.2.3"},
    }
    return [nic, pip]


def test_public_ips_of_a_nic_name_the_vm(tmp_path: Path) -> None:
    vm_id = b.rid("rg-vm", "Microsoft.Compute/virtualMachines/vm1")
    nic, pip = nic_with_public_ip({"properties": {"publicIPAddress": {"id": PIP_ID}}})
    nic["properties"]["virtualMachine"] = {"id": vm_id}
    vm = {"id": vm_id, "name": "vm1", "type": "microsoft.compute/virtualmachines"}
    g = graph_of([nic, pip, vm], tmp_path)
    (item,) = RELATIONS["public_ips"].fn(g, nic["id"].lower())  # type: ignore[misc]
    assert item.extra == {"ip_address": "20.1.2.3", "vm": "vm1"}


# -- entries that cannot be read, and the flattened az CLI shape ----------------------------
def workspace(name: str = "mlw") -> dict[str, Any]:
    return {
        "id": b.rid("rg-ml", f"Microsoft.MachineLearningServices/workspaces/{name}"),
        "name": name,
        "type": "microsoft.machinelearningservices/workspaces",
        "properties": {"publicNetworkAccess": "Disabled"},
    }


def test_a_connection_without_its_target_is_unknown_wherever_it_could_point(
    tmp_path: Path,
) -> None:
    """Used to be dropped: the endpoint passed MLA-PE-001 and every resource without
    another endpoint was reported as having none."""
    e = estate()
    ws = workspace()
    pe, _nic = e["endpoints"][0]
    del pe["properties"]["privateLinkServiceConnections"][0]["properties"]["privateLinkServiceId"]
    g = graph_of([*rows(e), ws], tmp_path)
    (item,) = RELATIONS["connections"].fn(g, pe["id"].lower())  # type: ignore[misc]
    assert item.unknown == (
        "pe-5: privateLinkServiceConnections[0] (pe-5) cannot be read: "
        "it has no privateLinkServiceId"
    )
    # the workspace may be its target: "no private endpoint" is unknown, not a finding
    (item,) = RELATIONS["private_endpoints"].fn(g, ws["id"].lower())  # type: ignore[misc]
    assert item.unknown and "it has no privateLinkServiceId" in item.unknown
    result = scan_rows([*rows(e), ws], tmp_path, select=["MLA-PE-001", "MLA-AML-002"])
    assert result.findings == []
    assert {(r.rule_id, r.resource_id) for r in result.not_evaluated} == {
        ("MLA-PE-001", pe["id"]),
        ("MLA-AML-002", ws["id"]),
    }
    assert all("privateLinkServiceConnections[0]" in r.reasons[0] for r in result.not_evaluated)


def test_a_connection_to_a_known_target_that_cannot_be_read_concerns_that_target(
    tmp_path: Path,
) -> None:
    e = estate()
    ws = workspace()
    pe, _nic = e["endpoints"][0]
    pe["properties"]["privateLinkServiceConnections"][0]["properties"]["groupIds"] = "blob"
    g = graph_of([*rows(e), ws], tmp_path)
    items = RELATIONS["private_endpoints"].fn(g, e["storage"]["id"].lower())
    assert isinstance(items, list)
    assert [g.name(i.node) if i.node else i.unknown for i in items] == [
        "pe-4",
        "pe-5: privateLinkServiceConnections[0] (pe-5) cannot be read: "
        "its groupIds is a string, not a list",
    ]
    assert RELATIONS["private_endpoints"].fn(g, ws["id"].lower()) == []


def test_a_targets_own_connection_list_that_cannot_be_read_is_unknown(tmp_path: Path) -> None:
    ws = workspace()
    ws["properties"]["privateEndpointConnections"] = [
        {"name": "c", "properties": {"privateEndpoint": None}}
    ]
    g = graph_of([ws], tmp_path)
    (item,) = RELATIONS["private_endpoints"].fn(g, ws["id"].lower())  # type: ignore[misc]
    assert item.unknown == (
        "mlw: privateEndpointConnections[0] (c) cannot be read: it has no privateEndpoint"
    )


def test_a_connection_without_a_status_is_not_judged_unapproved(tmp_path: Path) -> None:
    e = estate()
    pe, _nic = e["endpoints"][0]
    del pe["properties"]["privateLinkServiceConnections"][0]["properties"][
        "privateLinkServiceConnectionState"
    ]
    result = scan_rows(rows(e), tmp_path, select=["MLA-PE-001"])
    assert result.findings == []
    (record,) = result.not_evaluated
    assert record.resource_id == pe["id"] and "conn.edge.status is absent" in record.reasons[0]


@pytest.mark.parametrize(
    ("config", "why"),
    [
        ({"name": "c"}, "it has no properties"),
        ({"name": "c", "properties": None}, "its properties are null"),
        ("c", "it is a string, not an object"),
        ({"name": "c", "properties": {"publicIPAddress": PIP_ID}}, None),  # a bare id is read
        ({"name": "c", "properties": {"publicIPAddress": {"id": 7}}}, "is not a reference"),
        ({"name": "c", "properties": {"privateIPAddress": 10}}, "is a number, not a string"),
    ],
)
def test_ip_configurations_that_cannot_be_read(
    config: Any, why: str | None, tmp_path: Path
) -> None:
    """Used to be dropped: the NIC passed MLA-PIP-001 with a public IP nobody read."""
    nic, pip = nic_with_public_ip(config)
    result = scan_rows([nic, pip], tmp_path, select=["MLA-PIP-001"])
    if why is None:
        assert [f.related_id for f in result.findings] == [PIP_ID]
        return
    assert result.findings == []
    (record,) = result.not_evaluated
    assert record.reasons[0].startswith("vm1-nic: ipConfigurations[0]") and why in record.reasons[0]


def test_flattened_connections_and_ip_configurations_are_read(tmp_path: Path) -> None:
    """``az network private-endpoint show`` and ``az network nic show`` print the entries'
    properties at their top."""
    e = estate()
    nested = graph_of(rows(e), tmp_path)
    for pe, nic in e["endpoints"]:
        for entries in (
            pe["properties"]["privateLinkServiceConnections"],
            nic["properties"]["ipConfigurations"],
        ):
            entries[:] = [
                {k: v for k, v in x.items() if k != "properties"} | x["properties"] for x in entries
            ]
    flat = graph_of(rows(e), tmp_path)
    for pe, _nic in e["endpoints"]:
        k = pe["id"].lower()
        assert RELATIONS["connections"].fn(flat, k) == RELATIONS["connections"].fn(nested, k)
    assert flat.endpoint_ips == nested.endpoint_ips and flat.endpoint_ips
    nic, pip = nic_with_public_ip({"name": "c", "publicIPAddress": {"id": PIP_ID}})
    result = scan_rows([nic, pip], tmp_path, select=["MLA-PIP-001"])
    assert [f.related_id for f in result.findings] == [PIP_ID]
