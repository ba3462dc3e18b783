"""Azure ML and the PaaS services on Terraform: rows as Resource Graph gives them, the
provider's defaults by major version, and findings named by address on the deciding line."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.inputs.terraform.azurerm import defaults
from auditor.unknown import UnknownValue
from tests.tf_rows import FIXTURES, mapped, res, rid, row_of, scan

WS_ID = rid("rg-aml", "Microsoft.MachineLearningServices/workspaces/mlw")
SUBNET = rid("rg-aml", "Microsoft.Network/virtualNetworks/vnet-aml/subnets/snet-training")


def workspace(**values: Any) -> Any:
    return res(
        "azurerm_machine_learning_workspace",
        "aml",
        {"public_network_access_enabled": 9, "managed_network.0.isolation_mode": 14},
        name="mlw",
        resource_group_name="rg-aml",
        location="West Europe",
        application_insights_id=rid("rg-aml", "microsoft.insights/components/appi"),
        key_vault_id=rid("rg-aml", "Microsoft.KeyVault/vaults/kv"),
        storage_account_id=rid("rg-aml", "Microsoft.Storage/storageAccounts/st"),
        identity=[{"type": "SystemAssigned"}],
        **values,
    )


def cluster(**values: Any) -> Any:
    lines = {"node_public_ip_enabled": 31, "subnet_resource_id": 32}
    return res(
        "azurerm_machine_learning_compute_cluster",
        "cpu",
        {k: v for k, v in lines.items() if k in values},
        name="cpu-cluster",
        machine_learning_workspace_id=WS_ID,
        location="westeurope",
        vm_size="STANDARD_DS3_V2",
        vm_priority="Dedicated",
        scale_settings=[{"min_node_count": 0, "max_node_count": 4}],
        **values,
    )


def findings(resources: list[Any], rule: str, majors: tuple[int, ...] = (3,)) -> list[Any]:
    result = scan(resources, [rule], majors=majors)
    return result.findings


def not_evaluated(resources: list[Any], rule: str, majors: tuple[int, ...]) -> list[Any]:
    return scan(resources, [rule], majors=majors).not_evaluated


# -- defaults as data ------------------------------------------------------------------------
def test_every_default_names_its_majors_and_a_source() -> None:
    from importlib import resources

    import yaml

    text = resources.files(defaults.__package__).joinpath("defaults.yaml").read_text("utf-8")
    for tf_type, attrs in yaml.safe_load(text).items():
        for attr, entries in attrs.items():
            for e in entries:
                assert e["majors"] and set(e["majors"]) <= {2, 3, 4, 5}, (tf_type, attr)
                assert str(e["source"]).startswith("https://"), (tf_type, attr)
                assert ("default" in e) != ("unknown" in e), (tf_type, attr)


# -- Azure ML --------------------------------------------------------------------------------
def test_cluster_without_node_public_ip_enabled_gets_public_ips() -> None:
    """The article's drift: the provider defaults node_public_ip_enabled to true."""
    ws = workspace(public_network_access_enabled=False)
    row = row_of(mapped([ws, cluster()]), f"{WS_ID}/computes/cpu-cluster")
    assert row["type"] == "microsoft.machinelearningservices/workspaces/computes"
    props = row["properties"]
    assert props["computeType"] == "AmlCompute"
    assert props["properties"]["enableNodePublicIp"] is True
    assert props["properties"]["remoteLoginPortPublicAccess"] == "Disabled"
    assert props["disableLocalAuth"] is False
    (f,) = findings([ws, cluster()], "MLA-AML-003")
    assert f.resource_id == "azurerm_machine_learning_compute_cluster.cpu"
    assert f.location == {"file": "main.tf", "line": 1}  # the default: the block's line


@pytest.mark.parametrize("majors", [(2,), (3,), (4,), (5,), ()])
def test_cluster_public_ips_whatever_the_version(majors: tuple[int, ...]) -> None:
    """2.x had no attribute: nothing is sent and Azure's default (true) applies."""
    ws = workspace(public_network_access_enabled=False)
    got = findings([ws, cluster()], "MLA-AML-003", majors)
    assert [f.resource_id for f in got] == ["azurerm_machine_learning_compute_cluster.cpu"]


def test_cluster_without_public_ips_passes_and_a_set_attribute_is_the_line() -> None:
    ws = workspace(public_network_access_enabled=False)
    good = cluster(node_public_ip_enabled=False, subnet_resource_id=SUBNET)
    assert findings([ws, good], "MLA-AML-003") == []
    bad = cluster(node_public_ip_enabled=True, subnet_resource_id=SUBNET)
    (f,) = findings([ws, bad], "MLA-AML-003")
    assert f.location == {"file": "main.tf", "line": 31}


def test_compute_instance_ssh_block_opens_public_ssh() -> None:
    ws = workspace(public_network_access_enabled=False)
    ci = res(
        "azurerm_machine_learning_compute_instance",
        "ci",
        {"ssh": 40},
        name="ci-alice",
        machine_learning_workspace_id=WS_ID,
        virtual_machine_size="STANDARD_DS3_V2",
        subnet_resource_id=SUBNET,
        node_public_ip_enabled=False,
        ssh=[{"public_key": "ssh-rsa AAAA"}],
    )
    row = row_of(mapped([ws, ci]), f"{WS_ID}/computes/ci-alice")
    assert row["properties"]["properties"]["sshSettings"]["sshPublicAccess"] == "Enabled"
    assert row["location"] == "westeurope"  # the workspace's
    (f,) = findings([ws, ci], "MLA-AML-004")
    assert f.location == {"file": "main.tf", "line": 40}


@pytest.mark.parametrize(
    ("majors", "public", "behind"),
    [
        ((4,), "Enabled", None),
        ((5,), "Enabled", None),
        ((2,), "Enabled", False),  # 2.x never sent publicNetworkAccess: Azure's Enabled
    ],
)
def test_workspace_without_public_network_access_enabled(
    majors: tuple[int, ...], public: str | None, behind: bool | None
) -> None:
    row = row_of(mapped([workspace()], majors), WS_ID)
    assert row["properties"].get("publicNetworkAccess") == public
    assert row["properties"].get("allowPublicAccessWhenBehindVnet") == behind
    assert [f.resource_id for f in findings([workspace()], "MLA-AML-001", majors)] == [
        "azurerm_machine_learning_workspace.aml"
    ]


def test_workspace_default_inside_3x_is_unknown() -> None:
    """3.0-3.24 sent nothing (Enabled); 3.25+ sends Disabled: the major cannot tell."""
    row = row_of(mapped([workspace()], (3,)), WS_ID)
    assert isinstance(row["properties"]["publicNetworkAccess"], UnknownValue)
    (n,) = not_evaluated([workspace()], "MLA-AML-001", (3,))
    assert "3.25" in " ".join(n.reasons)


def test_workspace_2x_attribute_meant_behind_vnet() -> None:
    """In 2.x public_network_access_enabled set allowPublicAccessWhenBehindVnet."""
    row = row_of(mapped([workspace(public_network_access_enabled=True)], (2,)), WS_ID)
    assert row["properties"]["allowPublicAccessWhenBehindVnet"] is True
    assert row["properties"]["publicNetworkAccess"] == "Enabled"
    row = row_of(mapped([workspace(public_network_access_enabled=False)], (3, 4)), WS_ID)
    assert row["properties"]["publicNetworkAccess"] == "Disabled"
    mixed = row_of(mapped([workspace(public_network_access_enabled=False)], (2, 3)), WS_ID)
    assert isinstance(mixed["properties"]["publicNetworkAccess"], UnknownValue)


def test_workspace_private_passes_and_finding_is_on_the_attribute() -> None:
    assert findings([workspace(public_network_access_enabled=False)], "MLA-AML-001") == []
    (f,) = findings([workspace(public_network_access_enabled=True)], "MLA-AML-001", (4,))
    assert f.location == {"file": "main.tf", "line": 9}


def test_workspace_dependencies_and_managed_network() -> None:
    ws = workspace(
        container_registry_id=rid("rg-aml", "Microsoft.ContainerRegistry/registries/cr"),
        managed_network=[{"isolation_mode": "AllowInternetOutbound"}],
        high_business_impact=True,
        image_build_compute_name="cpu-cluster",
    )
    props = row_of(mapped([ws], (4,)), WS_ID)["properties"]
    assert props["containerRegistry"].endswith("/registries/cr")
    assert props["keyVault"].endswith("/vaults/kv")
    assert props["hbiWorkspace"] is True and props["imageBuildCompute"] == "cpu-cluster"
    assert props["v1LegacyMode"] is False
    (f,) = findings([ws], "MLA-AML-008", (4,))
    assert f.resource_id == "azurerm_machine_learning_workspace.aml"


def test_outbound_rules_fold_into_the_workspace() -> None:
    ws = workspace(
        public_network_access_enabled=False,
        managed_network=[{"isolation_mode": "AllowOnlyApprovedOutbound"}],
    )
    fqdn = res(
        "azurerm_machine_learning_workspace_network_outbound_rule_fqdn",
        "all",
        {"destination_fqdn": 50},
        name="everything",
        workspace_id=WS_ID,
        destination_fqdn="*",
    )
    tag = res(
        "azurerm_machine_learning_workspace_network_outbound_rule_service_tag",
        "tag",
        name="aml",
        workspace_id=WS_ID,
        service_tag="AzureMachineLearning",
        protocol="TCP",
        port_ranges="443",
    )
    rules = row_of(mapped([fqdn, ws, tag], (4,)), WS_ID)["properties"]["managedNetwork"][
        "outboundRules"
    ]
    assert rules["everything"] == {
        "type": "FQDN",
        "destination": "*",
        "category": "UserDefined",
    }
    assert rules["aml"]["destination"]["serviceTag"] == "AzureMachineLearning"
    (f,) = findings([ws, fqdn, tag], "MLA-AML-009", (4,))
    assert f.resource_id == "azurerm_machine_learning_workspace.aml"


def test_outbound_rule_of_a_workspace_outside_the_configuration_is_a_gap() -> None:
    rule = res(
        "azurerm_machine_learning_workspace_network_outbound_rule_fqdn",
        "x",
        name="x",
        workspace_id=WS_ID,
        destination_fqdn="pypi.org",
    )
    assert any("not in the configuration" in g for g in mapped([rule]).gaps)


# -- storage ---------------------------------------------------------------------------------
def account(**values: Any) -> Any:
    return res(
        "azurerm_storage_account",
        "st",
        {"allow_nested_items_to_be_public": 7, "allow_blob_public_access": 7},
        name="stmlops",
        resource_group_name="rg-aml",
        location="westeurope",
        account_tier="Standard",
        account_replication_type="LRS",
        **values,
    )


ST_ID = rid("rg-aml", "Microsoft.Storage/storageAccounts/stmlops")


@pytest.mark.parametrize(
    ("majors", "blob_public"), [((2,), False), ((3,), True), ((4,), True), ((5,), False)]
)
def test_storage_blob_public_access_default_by_major(
    majors: tuple[int, ...], blob_public: bool
) -> None:
    row = row_of(mapped([account()], majors), ST_ID)
    assert row["properties"]["allowBlobPublicAccess"] is blob_public
    assert row["sku"] == {"name": "Standard_LRS", "tier": "Standard"}
    assert row["kind"] == "StorageV2"
    got = findings([account()], "MLA-STG-003", majors)
    assert bool(got) is blob_public


def test_storage_2x_and_4x_spellings_of_the_same_account() -> None:
    """allow_blob_public_access (2.x) and allow_nested_items_to_be_public (3.x+) both set
    allowBlobPublicAccess."""
    old = row_of(mapped([account(allow_blob_public_access=True)], (2,)), ST_ID)
    new = row_of(mapped([account(allow_nested_items_to_be_public=True)], (4,)), ST_ID)
    assert old["properties"]["allowBlobPublicAccess"] is True
    assert new["properties"]["allowBlobPublicAccess"] is True
    (f,) = findings([account(allow_nested_items_to_be_public=True)], "MLA-STG-003", (4,))
    assert f.location == {"file": "main.tf", "line": 7}


def test_storage_default_unknown_when_the_version_is_not_declared() -> None:
    (n,) = not_evaluated([account()], "MLA-STG-003", ())
    assert "differs between the azurerm versions" in " ".join(n.reasons)


def test_storage_firewall_from_the_block_and_from_the_separate_resource() -> None:
    blocked = account(
        network_rules=[{"default_action": "Deny", "ip_rules": ["203.0.113.0/24"]}],
    )
    acls = row_of(mapped([blocked]), ST_ID)["properties"]["networkAcls"]
    assert acls["defaultAction"] == "Deny" and acls["bypass"] == "AzureServices"
    assert acls["ipRules"] == [{"value": "203.0.113.0/24", "action": "Allow"}]
    open_acls = row_of(mapped([account()]), ST_ID)["properties"]["networkAcls"]
    assert open_acls["defaultAction"] == "Allow"
    rules = res(
        "azurerm_storage_account_network_rules",
        "st",
        {"default_action": 60},
        storage_account_id=ST_ID,
        default_action="Deny",
        bypass=["AzureServices", "Logging"],
        virtual_network_subnet_ids=[SUBNET],
    )
    acls = row_of(mapped([rules, account()]), ST_ID)["properties"]["networkAcls"]
    assert acls["defaultAction"] == "Deny" and acls["bypass"] == "AzureServices, Logging"
    assert acls["virtualNetworkRules"] == [{"id": SUBNET, "action": "Allow"}]
    assert findings([account(), rules], "MLA-STG-001") == []
    (f,) = findings([account(), rules], "MLA-STG-002")  # public endpoint stays on
    assert f.resource_id == "azurerm_storage_account.st"
    rules_2x = res(
        "azurerm_storage_account_network_rules",
        "old",
        resource_group_name="rg-aml",
        storage_account_name="stmlops",
        default_action="Deny",
    )
    acls = row_of(mapped([account(), rules_2x], (2,)), ST_ID)["properties"]["networkAcls"]
    assert acls["defaultAction"] == "Deny"


# -- key vault, registry, monitoring, AKS ---------------------------------------------------
def test_key_vault_network_acls() -> None:
    kv = res(
        "azurerm_key_vault",
        "kv",
        name="kv-mlops",
        resource_group_name="rg-aml",
        location="westeurope",
        sku_name="standard",
        tenant_id="t",
        public_network_access_enabled=False,
        network_acls=[{"default_action": "Deny", "bypass": "AzureServices"}],
    )
    row = row_of(mapped([kv]), rid("rg-aml", "Microsoft.KeyVault/vaults/kv-mlops"))
    assert row["type"] == "microsoft.keyvault/vaults"
    assert row["properties"]["publicNetworkAccess"] == "Disabled"
    assert row["properties"]["networkAcls"]["defaultAction"] == "Deny"
    assert findings([kv], "MLA-KV-001") == findings([kv], "MLA-KV-002") == []
    bare = res("azurerm_key_vault", "kv", name="kv2", resource_group_name="rg-aml")
    assert len(findings([bare], "MLA-KV-001")) == 1


def test_container_registry_admin_user_and_network() -> None:
    cr = res(
        "azurerm_container_registry",
        "cr",
        {"admin_enabled": 5},
        name="crmlops",
        resource_group_name="rg-aml",
        location="westeurope",
        sku="Premium",
        admin_enabled=True,
    )
    row = row_of(mapped([cr]), rid("rg-aml", "Microsoft.ContainerRegistry/registries/crmlops"))
    assert row["sku"] == {"name": "Premium", "tier": "Premium"}
    assert row["properties"]["publicNetworkAccess"] == "Enabled"
    assert row["properties"]["networkRuleSet"] == {"defaultAction": "Allow", "ipRules": []}
    (f,) = findings([cr], "MLA-ACR-004")
    assert f.location == {"file": "main.tf", "line": 5}
    assert len(findings([cr], "MLA-ACR-001")) == 1


def test_app_insights_and_private_link_scope_defaults_are_open() -> None:
    appi = res(
        "azurerm_application_insights",
        "appi",
        name="appi",
        resource_group_name="rg-aml",
        location="westeurope",
        application_type="web",
    )
    row = row_of(mapped([appi]), rid("rg-aml", "Microsoft.Insights/components/appi"))
    assert row["properties"]["publicNetworkAccessForIngestion"] == "Enabled"
    assert row["properties"]["DisableLocalAuth"] is False
    assert len(findings([appi], "MLA-APPI-001")) == 1
    assert len(findings([appi], "MLA-APPI-002")) == 1
    scope = res(
        "azurerm_monitor_private_link_scope", "ampls", name="ampls", resource_group_name="rg-aml"
    )
    settings = row_of(mapped([scope]), rid("rg-aml", "microsoft.insights/privateLinkScopes/ampls"))
    assert settings["properties"]["accessModeSettings"]["ingestionAccessMode"] == "Open"
    assert len(findings([scope], "MLA-APPI-003")) == 1


def test_app_insights_in_a_scope_through_a_scoped_service() -> None:
    ws = workspace(public_network_access_enabled=False)
    appi = res(
        "azurerm_application_insights",
        "appi",
        name="appi",
        resource_group_name="rg-aml",
        location="westeurope",
        application_type="web",
    )
    scope = res(
        "azurerm_monitor_private_link_scope", "ampls", name="ampls", resource_group_name="rg-aml"
    )
    assert len(findings([ws, appi, scope], "MLA-APPI-004")) == 1
    scoped = res(
        "azurerm_monitor_private_link_scoped_service",
        "appi",
        name="appi",
        resource_group_name="rg-aml",
        scope_name="ampls",
        linked_resource_id=rid("rg-aml", "microsoft.insights/components/appi"),
    )
    assert findings([ws, appi, scope, scoped], "MLA-APPI-004") == []


@pytest.mark.parametrize(
    ("values", "open_"),
    [
        ({}, True),
        ({"private_cluster_enabled": True}, False),
        ({"api_server_authorized_ip_ranges": ["203.0.113.0/24"]}, False),  # 2.x spelling
        ({"api_server_access_profile": [{"authorized_ip_ranges": ["0.0.0.0/0"]}]}, True),
    ],
)
def test_aks_api_server_exposure(values: dict[str, Any], open_: bool) -> None:
    aks = res(
        "azurerm_kubernetes_cluster",
        "aks",
        name="aks",
        resource_group_name="rg-aml",
        location="westeurope",
        dns_prefix="aks",
        **values,
    )
    inference = res(
        "azurerm_machine_learning_inference_cluster",
        "inf",
        name="aks-inference",
        machine_learning_workspace_id=WS_ID,
        location="westeurope",
        kubernetes_cluster_id=rid("rg-aml", "Microsoft.ContainerService/managedClusters/aks"),
    )
    ws = workspace(public_network_access_enabled=False)
    got = findings([ws, aks, inference], "MLA-AKS-001")
    assert bool(got) is open_
    assert len(findings([ws, aks, inference], "MLA-AKS-002")) == 1  # no internal LB in azurerm


# -- the rule fixtures' Terraform forms ----------------------------------------------------
# MLA-DNS-001's form needs VNets and peerings (helper tf-net's mappers): the shared
# test_rule_terraform runs it; tests/test_tf_dns.py checks its verdicts with ARM VNet rows.
MINE = {"AML", "STG", "KV", "ACR", "APPI", "PE", "AKS", "DNS"}  # this helper's rule families


def _forms() -> list[str]:
    return sorted(
        p.parent.parent.name
        for p in FIXTURES.glob("MLA-*/terraform/expect.json")
        if p.parent.parent.name.split("-")[1] in MINE and p.parent.parent.name != "MLA-DNS-001"
    )


@pytest.mark.parametrize("rule_id", _forms())
def test_terraform_form_of_the_rule_fixture(rule_id: str) -> None:
    import json

    from tests.terraform_harness import scan_tf

    folder = FIXTURES / rule_id / "terraform"
    expect = json.loads((folder / "expect.json").read_text(encoding="utf-8"))
    failed = scan_tf(folder / "fail", select=[rule_id])
    got = sorted({(f.resource_id, f.location["line"]) for f in failed.findings})
    assert got == sorted((e["resource"], e["line"]) for e in expect["fail"])
    assert failed.not_evaluated == []
    if (folder / "pass").is_dir():
        passed = scan_tf(folder / "pass", select=[rule_id])
        assert passed.findings == [] and passed.not_evaluated == []
        assert next(o for o in passed.outcomes if o.rule_id == rule_id).status == "pass"


# -- hostile: unknowns everywhere -----------------------------------------------------------
def test_every_mapper_takes_unknowns_everywhere() -> None:
    """Every attribute a mapper reads known only after apply: rows are still made (ids
    keep the address in braces), and every rule runs without a crash; a compute whose
    every setting is unknown is not judged by a rule that reads one of them."""
    import re
    from pathlib import Path

    from auditor.inputs.terraform import azurerm
    from auditor.inputs.terraform.azurerm import dns, paas
    from auditor.rules import load_rules

    azurerm._load_mappers()
    attrs: set[str] = set()
    for module in (dns, paas):
        text = Path(module.__file__ or "").read_text(encoding="utf-8")
        attrs.update(re.findall(r'"([a-z][a-z0-9_]*_[a-z0-9_]+|name|location|sku|kind)"', text))
    mine = sorted(
        t for t, m in azurerm.MAPPERS.items() if m.fn.__module__ in {dns.__name__, paas.__name__}
    )
    resources = [
        res(t, f"u{i}", **{a: UnknownValue(f"{t}.{a} after apply") for a in sorted(attrs)})
        for i, t in enumerate(mine)
    ]
    result = mapped(resources, (4,))
    assert len(result.rows) >= len(mine) - len(paas._OUTBOUND) - 1  # folds add no row
    every = [r.id for r in load_rules([])]
    out = scan(resources, every, majors=(4,))
    prefix = "azurerm_machine_learning_compute_cluster.u"
    bad = [
        f for f in out.findings if f.resource_id.startswith(prefix) and f.rule_id == "MLA-AML-003"
    ]
    assert not bad, [(f.resource_id, f.message) for f in bad]
