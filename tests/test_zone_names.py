"""The private DNS zone names per cloud (clouds.CLOUDS, the one table) for the services the
architecture uses, and how MLA-DNS-002 reads them: an AI services account's zones are
alternatives (one per endpoint its workload uses), every other group id's are all needed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from auditor import core
from auditor.clouds import ANY_ZONE_OF, CLOUDS

from .conftest import FIXTURES

RG = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups"
ACCOUNT = f"{RG}/rg-ai/providers/Microsoft.CognitiveServices/accounts/ai-mlops"
REGISTRY = f"{RG}/rg-aml/providers/Microsoft.ContainerRegistry/registries/crmlops"


def test_the_table_has_the_zones_microsoft_lists() -> None:
    assert CLOUDS["public"].zones["account"] == (
        "privatelink.cognitiveservices.azure.com",
        "privatelink.openai.azure.com",
        "privatelink.services.ai.azure.com",
    )
    assert CLOUDS["usgov"].zones["account"] == (
        "privatelink.cognitiveservices.azure.us",
        "privatelink.openai.azure.us",
    )
    assert CLOUDS["china"].zones["registry"] == ("privatelink.azurecr.cn",)
    assert "azuremonitor" not in CLOUDS["china"].zones  # Microsoft lists none there
    assert {gid for cloud in CLOUDS.values() for gid in cloud.zones} >= ANY_ZONE_OF
    for cloud in CLOUDS.values():
        for zones in cloud.zones.values():
            assert zones and all(z == z.lower() and z.startswith("privatelink.") for z in zones)


def endpoint(group_id: str, target: str, zones: list[str]) -> list[dict[str, Any]]:
    """The fixture's Key Vault endpoint and its zone group, re-pointed at ``target``
    through ``group_id``, registering in ``zones``."""
    pe, group = copy.deepcopy(
        json.loads((FIXTURES / "rules/MLA-DNS-002/fail.json").read_text())[:2]
    )
    connection = pe["properties"]["privateLinkServiceConnections"][0]["properties"]
    connection.update(privateLinkServiceId=target, groupIds=[group_id])
    config = group["properties"]["privateDnsZoneConfigs"][0]
    dns = config["properties"]["privateDnsZoneId"].rsplit("/", 1)[0]
    group["properties"]["privateDnsZoneConfigs"] = [
        {
            **config,
            "name": z,
            "properties": {**config["properties"], "privateDnsZoneId": f"{dns}/{z}"},
        }
        for z in zones
    ]
    return [pe, group]


def problems(rows: list[dict[str, Any]], tmp_path: Path, cloud: str = "public") -> list[str]:
    path = tmp_path / "estate.json"
    doc = {"format": "mlops-audit-snapshot", "version": 1, "cloud": cloud, "rows": rows}
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = core.audit([path], select=["MLA-DNS-002"]).result
    assert result.not_evaluated == [], result.not_evaluated
    return [f.message for f in result.findings]


@pytest.mark.parametrize(
    "zones",
    [
        ["privatelink.openai.azure.com"],
        ["privatelink.cognitiveservices.azure.com"],
        [
            "privatelink.cognitiveservices.azure.com",
            "privatelink.openai.azure.com",
            "privatelink.services.ai.azure.com",
        ],
    ],
    ids=["openai", "cognitiveservices", "all-three"],
)
def test_an_ai_services_account_needs_the_zone_of_each_endpoint_in_use(
    tmp_path: Path, zones: list[str]
) -> None:
    assert problems(endpoint("account", ACCOUNT, zones), tmp_path) == []


def test_an_ai_services_account_in_none_of_its_zones_is_a_finding(tmp_path: Path) -> None:
    found = problems(endpoint("account", ACCOUNT, ["privatelink.blob.core.windows.net"]), tmp_path)
    assert len(found) == 2
    assert any(
        "group id account needs zone privatelink.cognitiveservices.azure.com or "
        "privatelink.openai.azure.com or privatelink.services.ai.azure.com, not configured" in m
        for m in found
    )


def test_a_china_registry_endpoint_is_judged(tmp_path: Path) -> None:
    assert (
        problems(endpoint("registry", REGISTRY, ["privatelink.azurecr.cn"]), tmp_path, "china")
        == []
    )
    wrong = problems(endpoint("registry", REGISTRY, ["privatelink.azurecr.io"]), tmp_path, "china")
    assert any("needs zone privatelink.azurecr.cn" in m for m in wrong)
