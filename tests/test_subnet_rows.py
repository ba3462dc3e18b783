"""A subnet given as its own row (``az network vnet subnet list``, an ARM export) keeps
what it says: its NSG protects it whether or not a VNet row embeds it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from . import builders as b
from .conftest import graph_of, scan_rows


def estate(*, embedded: bool) -> list[dict[str, Any]]:
    v = b.vnet("vnet-a", "10.1.0.0/16", {"snet-train": "10.1.1.0/24"})
    nsg_id = b.rid("rg-net", "Microsoft.Network/networkSecurityGroups/nsg-train")
    nsg = {
        "id": nsg_id,
        "name": "nsg-train",
        "type": "microsoft.network/networksecuritygroups",
        "properties": {"securityRules": []},
    }
    subnet = copy.deepcopy(v["properties"]["subnets"][0])
    subnet["type"] = "Microsoft.Network/virtualNetworks/subnets"
    subnet["properties"]["networkSecurityGroup"] = {"id": nsg_id}
    rows = [nsg, subnet]
    if embedded:
        rows.insert(0, v)  # the VNet row's embedded copy names no NSG
    return rows


def test_a_subnet_row_s_own_nsg_counts(tmp_path: Path) -> None:
    result = scan_rows(estate(embedded=True), tmp_path, select=["MLA-NSG-001"])
    assert result.findings == [] and result.not_evaluated == []
    assert [(o.rule_id, o.passed) for o in result.outcomes] == [("MLA-NSG-001", 1)]


def test_a_subnet_row_without_its_vnet_row_still_belongs_to_its_vnet(tmp_path: Path) -> None:
    rows = estate(embedded=False)
    g = graph_of(rows, tmp_path)
    subnet = rows[1]["id"].lower()
    vnet = g.vnet_of_subnet[subnet]
    assert vnet == subnet.rsplit("/subnets/", 1)[0] and not g.seen(vnet)
    assert [n for n, _ in g.into(subnet, "protects")] == [rows[0]["id"].lower()]
    assert g.row(subnet)["vnetName"] == "vnet-a"
    result = scan_rows(rows, tmp_path, select=["MLA-NSG-001"])
    assert result.findings == []
