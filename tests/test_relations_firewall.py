"""Firewall summaries: what a storage account's, key vault's or registry's network rules
admit, as the estate shows them — never "the listed ranges" when none are listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.relations import RELATIONS

from . import builders as b
from .conftest import graph_of, scan_rows


def admits(row: dict[str, Any], tmp_path: Path) -> str:
    g = graph_of([row], tmp_path)
    (item,) = RELATIONS["firewall"].fn(g, str(row["id"]).lower())  # type: ignore[misc]
    assert item.key == "" and item.node is None  # the finding concerns the resource itself
    return str(item.extra["admits"])


def test_a_storage_firewall_with_nothing_listed_says_so(tmp_path: Path) -> None:
    st = b.storage("st1")
    st["properties"]["networkAcls"] = {"defaultAction": "Deny", "bypass": "AzureServices"}
    assert admits(st, tmp_path) == (
        "it lists no IP ranges, virtual network rules or resource instance rules "
        "(bypass: AzureServices)"
    )


def test_the_first_few_exceptions_are_named_and_the_rest_counted(tmp_path: Path) -> None:
    st = b.storage("st2")
    subnet = b.rid("rg-net", "Microsoft.Network/virtualNetworks/vnet-a/subnets/snet-x")
    st["properties"]["networkAcls"] = {
        "defaultAction": "Deny",
        "bypass": "None",
        "ipRules": [{"value": f"203.0.113.{i}", "action": "Allow"} for i in range(5)],
        "virtualNetworkRules": [{"id": subnet, "action": "Allow"}],
        "resourceAccessRules": [
            {"tenantId": "t", "resourceId": b.rid("rg", "Microsoft.Synapse/workspaces/syn")}
        ],
    }
    assert admits(st, tmp_path) == (
        "it admits 5 IP ranges (203.0.113.0, 203.0.113.1, 203.0.113.2 and 2 more), "
        "1 virtual network rule (vnet-a/snet-x) and 1 resource instance rule (syn) "
        "(bypass: None)"
    )


def test_a_registry_names_its_bypass_option(tmp_path: Path) -> None:
    cr = {
        "id": b.rid("rg", "Microsoft.ContainerRegistry/registries/cr1"),
        "name": "cr1",
        "type": "microsoft.containerregistry/registries",
        "properties": {
            "publicNetworkAccess": "Enabled",
            "networkRuleBypassOptions": "AzureServices",
            "networkRuleSet": {"defaultAction": "Deny", "ipRules": []},
        },
    }
    assert admits(cr, tmp_path) == (
        "it lists no IP ranges or virtual network rules (networkRuleBypassOptions: AzureServices)"
    )
    (finding,) = scan_rows([cr], tmp_path, select=["MLA-ACR-002"]).findings
    assert "admit the listed" not in finding.message and finding.related_id is None
    assert "lists no IP ranges" in finding.message
