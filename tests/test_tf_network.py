"""The azurerm network mappers: rows shaped as Resource Graph gives them, folds of separate
resources into their parents, provider defaults by major, unknowns kept unknown, and the
rules judging Terraform rows as they judge the live estate."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from auditor import arm
from auditor.collections import NAMES
from auditor.estate import Estate, Reading
from auditor.findings import AuditResult
from auditor.graph import build
from auditor.inputs.terraform.azurerm import to_rows
from auditor.inputs.terraform.resources import ProviderVersion, TfConfig, TfResource
from auditor.rules import evaluate, load_rules
from auditor.unknown import UnknownValue

from .terraform_harness import scan_tf

SUB = "00000000-0000-0000-0000-000000000000"
RG = f"/subscriptions/{SUB}/resourceGroups/rg"
NET = f"{RG}/providers/Microsoft.Network"
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"


def res(tf_type: str, name: str, values: dict[str, Any], line: int = 1, **kw: Any) -> TfResource:
    """A managed resource at main.tf ``line``; every attribute set on the lines after it."""
    values = {"resource_group_name": "rg", "location": "West Europe", **values}
    lines = {k: line + 1 + i for i, k in enumerate(values)}
    lines.update(kw.pop("lines", {}))
    return TfResource(
        address=f"{tf_type}.{name}",
        mode="managed",
        type=tf_type,
        name=name,
        values=values,
        file="main.tf",
        line=line,
        lines=lines,
        **kw,
    )


def config(*resources: TfResource, majors: tuple[int, ...] = (3,)) -> TfConfig:
    return TfConfig(list(resources), ProviderVersion(majors, f"test {majors}"))


def mapped(*resources: TfResource, majors: tuple[int, ...] = (3,)) -> dict[str, dict[str, Any]]:
    result = to_rows(config(*resources, majors=majors))
    return {arm.key(r["id"]): r for r in result.rows}


@cache
def _all_rules() -> tuple[Any, ...]:
    return tuple(load_rules([]))


def scan(
    *resources: TfResource, select: list[str] | None = None, majors: tuple[int, ...] = (3,)
) -> AuditResult:
    m = to_rows(config(*resources, majors=majors))
    estate = Estate()
    reading = Reading(
        m.rows,
        row_label="Terraform resource",
        gaps=list(m.gaps),
        collections=list(NAMES),
        origins=m.origins,
    )
    estate.add("tf", "terraform", reading)
    rules = [r for r in _all_rules() if not select or r.id in select]
    result = evaluate(rules, build(estate))
    result.relabel(estate.origins)
    return result


def vnet(name: str = "vnet", space: list[str] | None = None, **values: Any) -> TfResource:
    return res(
        "azurerm_virtual_network",
        name,
        {"name": name, "address_space": space or ["10.0.0.0/16"], **values},
    )


def subnet(name: str, prefix: str, vnet_name: str = "vnet", **values: Any) -> TfResource:
    return res(
        "azurerm_subnet",
        name,
        {
            "name": name,
            "virtual_network_name": vnet_name,
            "address_prefixes": [prefix],
            **values,
        },
        line=20,
    )


def sid(name: str, vnet_name: str = "vnet") -> str:
    return f"{NET}/virtualNetworks/{vnet_name}/subnets/{name}"


def rule(name: str, priority: int, port: str, source: str = "*", **kw: Any) -> dict[str, Any]:
    return {
        "name": name,
        "priority": priority,
        "direction": kw.get("direction", "Inbound"),
        "access": kw.get("access", "Allow"),
        "protocol": kw.get("protocol", "Tcp"),
        "source_port_range": "*",
        "destination_port_range": port,
        "source_address_prefix": source,
        "destination_address_prefix": "*",
        **{k: v for k, v in kw.items() if k not in ("direction", "access", "protocol")},
    }


def nsg(name: str, *rules: dict[str, Any], line: int = 40) -> TfResource:
    return res(
        "azurerm_network_security_group",
        name,
        {"name": name, "security_rule": list(rules)},
        line=line,
    )


def assoc(name: str, subnet_name: str, nsg_name: str) -> TfResource:
    return res(
        "azurerm_subnet_network_security_group_association",
        name,
        {
            "subnet_id": sid(subnet_name),
            "network_security_group_id": f"{NET}/networkSecurityGroups/{nsg_name}",
        },
        line=60,
    )


def nic(
    name: str,
    subnet_name: str,
    pip: str | None = None,
    nic_values: dict[str, Any] | None = None,
    **cfg: Any,
) -> TfResource:
    block = {
        "name": "ipconfig1",
        "subnet_id": sid(subnet_name),
        "private_ip_address_allocation": "Dynamic",
        **cfg,
    }
    if pip:
        block["public_ip_address_id"] = f"{NET}/publicIPAddresses/{pip}"
    return res(
        "azurerm_network_interface",
        name,
        {"name": name, "ip_configuration": [block], **(nic_values or {})},
        line=80,
        lines={"ip_configuration.0.public_ip_address_id": 85},
    )


def pip(name: str, **values: Any) -> TfResource:
    return res("azurerm_public_ip", name, {"name": name, "allocation_method": "Static", **values})


# -- rows ----------------------------------------------------------------------------------
def test_vnet_embeds_subnets_inline_and_separate() -> None:
    rows = mapped(
        vnet(
            subnet=[
                {"name": "inline", "address_prefix": "10.0.9.0/24", "security_group": "/x"},
            ],
            dns_servers=["10.0.0.4"],
        ),
        subnet("snet-a", "10.0.1.0/24", service_endpoints=["Microsoft.Storage"]),
        subnet("snet-b", "10.0.2.0/24", address_prefixes=["10.0.2.0/24", "10.0.3.0/24"]),
    )
    row = rows[arm.key(f"{NET}/virtualNetworks/vnet")]
    assert row["type"] == "microsoft.network/virtualnetworks"
    assert row["location"] == "westeurope"
    assert row["properties"]["dhcpOptions"] == {"dnsServers": ["10.0.0.4"]}
    subs = {s["name"]: s for s in row["properties"]["subnets"]}
    assert subs["inline"]["properties"]["addressPrefix"] == "10.0.9.0/24"
    assert subs["inline"]["properties"]["networkSecurityGroup"] == {"id": "/x"}
    assert subs["snet-a"]["id"] == sid("snet-a")
    assert subs["snet-a"]["properties"]["addressPrefix"] == "10.0.1.0/24"
    assert subs["snet-a"]["properties"]["serviceEndpoints"] == [
        {"service": "Microsoft.Storage", "locations": ["westeurope"]}
    ]
    assert subs["snet-b"]["properties"]["addressPrefixes"] == ["10.0.2.0/24", "10.0.3.0/24"]
    assert not any(arm.key(sid("snet-a")) == k for k in rows)  # no row of its own


@pytest.mark.parametrize(
    ("values", "majors", "expected"),
    [
        ({"enforce_private_link_endpoint_network_policies": True}, (2,), "Disabled"),
        ({"enforce_private_link_endpoint_network_policies": False}, (2,), "Enabled"),
        ({"private_endpoint_network_policies_enabled": False}, (3,), "Disabled"),
        ({"private_endpoint_network_policies": "NetworkSecurityGroupEnabled"}, (4,), "N"),
        ({}, (2,), "Enabled"),
        ({}, (3,), "Enabled"),
        ({}, (4,), "Disabled"),
    ],
)
def test_subnet_private_endpoint_policies_by_major(
    values: dict[str, Any], majors: tuple[int, ...], expected: str
) -> None:
    rows = mapped(vnet(), subnet("s", "10.0.1.0/24", **values), majors=majors)
    got = rows[arm.key(f"{NET}/virtualNetworks/vnet")]["properties"]["subnets"][0]
    policy = got["properties"]["privateEndpointNetworkPolicies"]
    assert policy == expected or (expected == "N" and policy == values[next(iter(values))])


def test_subnet_policy_default_unknown_when_majors_disagree() -> None:
    rows = mapped(vnet(), subnet("s", "10.0.1.0/24"), majors=(3, 4))
    got = rows[arm.key(f"{NET}/virtualNetworks/vnet")]["properties"]["subnets"][0]
    policy = got["properties"]["privateEndpointNetworkPolicies"]
    assert isinstance(policy, UnknownValue) and "3.x: 'Enabled', 4.x: 'Disabled'" in policy.reason


def test_public_ip_sku_default_differs_by_major() -> None:
    key = arm.key(f"{NET}/publicIPAddresses/p")
    assert mapped(pip("p"), majors=(3,))[key]["sku"]["name"] == "Basic"
    assert mapped(pip("p"), majors=(4,))[key]["sku"]["name"] == "Standard"
    assert isinstance(mapped(pip("p"), majors=(3, 4))[key]["sku"]["name"], UnknownValue)
    address = mapped(pip("p"))[key]["properties"]["ipAddress"]
    assert isinstance(address, UnknownValue) and "applied" in address.reason
    known = mapped(pip("p", ip_address="20.1.2.3"))[key]["properties"]["ipAddress"]
    assert known == "20.1.2.3"  # a plan of an existing public IP knows it


def test_nsg_rows_carry_rules_defaults_and_folded_rules() -> None:
    plural = rule("multi", 110, "", destination_port_ranges=["22", "443"])
    plural["destination_port_range"] = ""  # plan JSON: an unset string is ""
    sep = res(
        "azurerm_network_security_rule",
        "r",
        {
            **rule("sep", 120, "3389", source="Internet"),
            "network_security_group_name": "nsg",
        },
        line=70,
    )
    rows = mapped(nsg("nsg", rule("ssh", 100, "22")))
    props = rows[arm.key(f"{NET}/networkSecurityGroups/nsg")]["properties"]
    assert [r["name"] for r in props["securityRules"]] == ["ssh"]
    assert props["securityRules"][0]["properties"]["destinationPortRanges"] == []
    assert len(props["defaultSecurityRules"]) == 6
    rows = mapped(nsg("nsg"), sep)
    props = rows[arm.key(f"{NET}/networkSecurityGroups/nsg")]["properties"]
    assert [r["name"] for r in props["securityRules"]] == ["sep"]
    assert props["securityRules"][0]["id"] == f"{NET}/networkSecurityGroups/nsg/securityRules/sep"
    # inline rules and a separate rule overwrite each other on apply: unknown
    rows = mapped(nsg("nsg", rule("ssh", 100, "22")), sep)
    props = rows[arm.key(f"{NET}/networkSecurityGroups/nsg")]["properties"]
    assert isinstance(props["securityRules"], UnknownValue)
    rows = mapped(nsg("nsg", plural))
    props = rows[arm.key(f"{NET}/networkSecurityGroups/nsg")]["properties"]
    got = props["securityRules"][0]["properties"]
    assert "destinationPortRange" not in got and got["destinationPortRanges"] == ["22", "443"]


def test_nic_row_and_associations() -> None:
    n = nic("n", "s", pip="p", nic_values={"enable_ip_forwarding": True})
    asg = res("azurerm_application_security_group", "asg", {"name": "asg"})
    rows = mapped(
        vnet(),
        subnet("s", "10.0.1.0/24"),
        nsg("nsg"),
        pip("p"),
        n,
        asg,
        res(
            "azurerm_network_interface_security_group_association",
            "a",
            {
                "network_interface_id": f"{NET}/networkInterfaces/n",
                "network_security_group_id": f"{NET}/networkSecurityGroups/nsg",
            },
        ),
        res(
            "azurerm_network_interface_application_security_group_association",
            "b",
            {
                "network_interface_id": f"{NET}/networkInterfaces/n",
                "application_security_group_id": f"{NET}/applicationSecurityGroups/asg",
            },
        ),
        assoc("c", "s", "nsg"),
    )
    row = rows[arm.key(f"{NET}/networkInterfaces/n")]
    props = row["properties"]
    cfg = props["ipConfigurations"][0]
    assert cfg["id"] == f"{NET}/networkInterfaces/n/ipConfigurations/ipconfig1"
    assert cfg["properties"]["primary"] is True
    assert isinstance(cfg["properties"]["privateIPAddress"], UnknownValue)
    assert cfg["properties"]["applicationSecurityGroups"] == [
        {"id": f"{NET}/applicationSecurityGroups/asg"}
    ]
    assert props["enableIPForwarding"] is True
    assert props["networkSecurityGroup"] == {"id": f"{NET}/networkSecurityGroups/nsg"}
    pip_row = rows[arm.key(f"{NET}/publicIPAddresses/p")]
    assert pip_row["properties"]["ipConfiguration"] == {"id": cfg["id"]}
    nsg_row = rows[arm.key(f"{NET}/networkSecurityGroups/nsg")]["properties"]
    assert nsg_row["networkInterfaces"] == [{"id": f"{NET}/networkInterfaces/n"}]
    assert nsg_row["subnets"] == [{"id": sid("s")}]
    subnet_entry = rows[arm.key(f"{NET}/virtualNetworks/vnet")]["properties"]["subnets"][0]
    assert subnet_entry["properties"]["networkSecurityGroup"] == {
        "id": f"{NET}/networkSecurityGroups/nsg"
    }


def test_inline_subnet_nsg_is_listed_on_the_nsg() -> None:
    nsg_id = f"{NET}/networkSecurityGroups/nsg"
    rows = mapped(
        nsg("nsg"),
        vnet(subnet=[{"name": "a", "address_prefixes": ["10.0.1.0/24"], "security_group": nsg_id}]),
    )
    assert rows[arm.key(nsg_id)]["properties"]["subnets"] == [{"id": sid("a")}]


def test_static_private_ip_is_kept() -> None:
    n = nic("n", "s", private_ip_address_allocation="Static", private_ip_address="10.0.1.5")
    rows = mapped(vnet(), subnet("s", "10.0.1.0/24"), n)
    cfg = rows[arm.key(f"{NET}/networkInterfaces/n")]["properties"]["ipConfigurations"][0]
    assert cfg["properties"]["privateIPAddress"] == "10.0.1.5"
    assert cfg["properties"]["privateIPAllocationMethod"] == "Static"


def test_association_to_a_subnet_outside_the_configuration_is_a_gap() -> None:
    result = to_rows(config(nsg("nsg"), assoc("a", "elsewhere", "nsg")))
    assert any("azurerm_subnet_network_security_group_association.a" in g for g in result.gaps)


def peering(name: str, local: str, remote_id: str, **values: Any) -> TfResource:
    return res(
        "azurerm_virtual_network_peering",
        name,
        {
            "name": name,
            "virtual_network_name": local,
            "remote_virtual_network_id": remote_id,
            **values,
        },
        line=100,
    )


def _peerings(rows: dict[str, dict[str, Any]], name: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = rows[arm.key(f"{NET}/virtualNetworks/{name}")]["properties"][
        "virtualNetworkPeerings"
    ]
    return entries


def test_peering_state_from_the_configuration() -> None:
    hub, spoke = f"{NET}/virtualNetworks/hub", f"{NET}/virtualNetworks/spoke"
    both = mapped(
        vnet("hub", ["10.0.0.0/16"]),
        vnet("spoke", ["10.1.0.0/16"]),
        peering("h2s", "hub", spoke),
        peering("s2h", "spoke", hub),
    )
    entry = _peerings(both, "hub")[0]["properties"]
    assert entry["peeringState"] == "Connected"
    assert entry["allowVirtualNetworkAccess"] is True
    assert entry["allowForwardedTraffic"] is False
    assert entry["remoteAddressSpace"] == {"addressPrefixes": ["10.1.0.0/16"]}
    one = mapped(vnet("hub"), vnet("spoke", ["10.1.0.0/16"]), peering("h2s", "hub", spoke))
    assert _peerings(one, "hub")[0]["properties"]["peeringState"] == "Initiated"
    outside = mapped(vnet("hub"), peering("h2x", "hub", f"{RG}x/providers/x/virtualNetworks/x"))
    state = _peerings(outside, "hub")[0]["properties"]["peeringState"]
    assert isinstance(state, UnknownValue) and "not in the configuration" in state.reason


# -- the rules on Terraform rows -------------------------------------------------------------
def _failing(result: AuditResult, rule_id: str) -> list[tuple[str, Any]]:
    return sorted(
        (f.resource_id, (f.location or {}).get("line"))
        for f in result.findings
        if f.rule_id == rule_id
    )


def test_subnet_without_nsg_is_named_by_its_address() -> None:
    result = scan(
        vnet(),
        subnet("snet-a", "10.0.1.0/24"),
        subnet("snet-b", "10.0.2.0/24"),
        nsg("nsg"),
        assoc("a", "snet-b", "nsg"),
        select=["MLA-NSG-001"],
    )
    assert _failing(result, "MLA-NSG-001") == [("azurerm_subnet.snet-a", 20)]
    assert not result.not_evaluated


def test_ssh_from_the_internet_on_an_attached_nsg() -> None:
    result = scan(
        vnet(),
        subnet("s", "10.0.1.0/24"),
        nsg("nsg", rule("ssh", 100, "22")),
        assoc("a", "s", "nsg"),
        select=["MLA-NSG-002"],
    )
    assert [r for r, _ in _failing(result, "MLA-NSG-002")] == ["azurerm_network_security_group.nsg"]


def test_public_ip_on_a_nic_is_reported_with_its_nsg_verdict() -> None:
    resources = (
        vnet(),
        subnet("s", "10.0.1.0/24"),
        nsg("nsg", rule("ssh", 100, "22")),
        assoc("a", "s", "nsg"),
        pip("p"),
        nic("n", "s", pip="p"),
    )
    result = scan(*resources, select=["MLA-PIP-001", "MLA-EXP-001"])
    assert _failing(result, "MLA-PIP-001") == [("azurerm_network_interface.n", 80)]
    assert [r for r, _ in _failing(result, "MLA-EXP-001")] == ["azurerm_network_interface.n"]
    assert not result.not_evaluated, result.not_evaluated


def test_standard_public_ip_without_nsg_is_closed_basic_open() -> None:
    resources = (vnet(), subnet("s", "10.0.1.0/24"), nic("n", "s", pip="p"))
    basic = scan(*resources, pip("p"), select=["MLA-EXP-001"], majors=(3,))
    assert [r for r, _ in _failing(basic, "MLA-EXP-001")] == ["azurerm_network_interface.n"]
    standard = scan(*resources, pip("p"), select=["MLA-EXP-001"], majors=(4,))
    assert _failing(standard, "MLA-EXP-001") == []
    assert not standard.not_evaluated
    both = scan(*resources, pip("p"), select=["MLA-EXP-001"], majors=(3, 4))
    assert _failing(both, "MLA-EXP-001") == []
    assert both.not_evaluated  # the default SKU differs between the admitted majors


def test_unknown_nsg_reference_is_not_judged_as_no_nsg() -> None:
    a = assoc("a", "s", "nsg")
    a.values["network_security_group_id"] = UnknownValue("var.nsg_id has no value")
    result = scan(vnet(), subnet("s", "10.0.1.0/24"), nsg("nsg"), a, select=["MLA-NSG-001"])
    assert _failing(result, "MLA-NSG-001") == []
    reasons = " ".join(r for n in result.not_evaluated for r in n.reasons)
    assert "var.nsg_id has no value" in reasons


def test_unknown_rule_field_leaves_the_nsg_unknown_with_the_reason() -> None:
    bad = rule("ssh", 100, "22")
    bad["source_address_prefix"] = UnknownValue("var.admin_cidr has no value")
    result = scan(
        vnet(),
        subnet("s", "10.0.1.0/24"),
        nsg("nsg", bad),
        assoc("a", "s", "nsg"),
        select=["MLA-NSG-002"],
    )
    assert _failing(result, "MLA-NSG-002") == []
    reasons = " ".join(r for n in result.not_evaluated for r in n.reasons)
    assert "its sourceAddressPrefix is unknown: var.admin_cidr has no value" in reasons


def test_peering_rules_on_terraform_rows() -> None:
    hub, spoke = f"{NET}/virtualNetworks/hub", f"{NET}/virtualNetworks/spoke"
    half = scan(
        vnet("hub", ["10.0.0.0/16"]),
        vnet("spoke", ["10.1.0.0/16"]),
        peering("h2s", "hub", spoke),
        select=["MLA-NET-001"],
    )
    assert [r for r, _ in _failing(half, "MLA-NET-001")] == ["azurerm_virtual_network.hub"]
    overlap = scan(
        vnet("hub", ["10.0.0.0/16"]),
        vnet("spoke", ["10.0.128.0/17"]),
        peering("h2s", "hub", spoke),
        peering("s2h", "spoke", hub),
        select=["MLA-NET-001", "MLA-NET-003", "MLA-NET-004"],
    )
    assert _failing(overlap, "MLA-NET-001") == []
    assert _failing(overlap, "MLA-NET-003") == [("azurerm_virtual_network.hub", 1)]  # once
    no_access = scan(
        vnet("hub", ["10.0.0.0/16"]),
        vnet("spoke", ["10.1.0.0/16"]),
        peering("h2s", "hub", spoke, allow_virtual_network_access=False),
        peering("s2h", "spoke", hub),
        select=["MLA-NET-004"],
    )
    assert [r for r, _ in _failing(no_access, "MLA-NET-004")] == ["azurerm_virtual_network.hub"]


def lb(name: str = "lb", pip_name: str = "plb", **values: Any) -> TfResource:
    return res(
        "azurerm_lb",
        name,
        {
            "name": name,
            "frontend_ip_configuration": [
                {"name": "fe", "public_ip_address_id": f"{NET}/publicIPAddresses/{pip_name}"}
            ],
            **values,
        },
        line=120,
    )


LB_ID = f"{NET}/loadBalancers/lb"


def test_load_balancer_nat_rule_to_a_nic_is_an_exposure_path() -> None:
    nat = res(
        "azurerm_lb_nat_rule",
        "ssh",
        {
            "name": "nat-ssh",
            "loadbalancer_id": LB_ID,
            "frontend_ip_configuration_name": "fe",
            "protocol": "Tcp",
            "frontend_port": 50022,
            "backend_port": 22,
        },
        line=140,
    )
    link = res(
        "azurerm_network_interface_nat_rule_association",
        "ssh",
        {
            "network_interface_id": f"{NET}/networkInterfaces/n",
            "ip_configuration_name": "ipconfig1",
            "nat_rule_id": f"{LB_ID}/inboundNatRules/nat-ssh",
        },
        line=150,
    )
    resources = (
        vnet(),
        subnet("s", "10.0.1.0/24"),
        nsg("nsg", rule("ssh", 100, "22", source="Internet")),
        assoc("a", "s", "nsg"),
        pip("plb", sku="Standard"),
        lb(sku="Standard"),
        nat,
        link,
        nic("n", "s"),
    )
    rows = mapped(*resources)
    lb_row = rows[arm.key(LB_ID)]
    entry = lb_row["properties"]["inboundNatRules"][0]
    assert entry["properties"]["frontendIPConfiguration"] == {
        "id": f"{LB_ID}/frontendIPConfigurations/fe"
    }
    assert entry["properties"]["backendIPConfiguration"] == {
        "id": f"{NET}/networkInterfaces/n/ipConfigurations/ipconfig1"
    }
    assert rows[arm.key(f"{NET}/publicIPAddresses/plb")]["properties"]["ipConfiguration"] == {
        "id": f"{LB_ID}/frontendIPConfigurations/fe"
    }
    result = scan(*resources, select=["MLA-EXP-001"])
    assert [r for r, _ in _failing(result, "MLA-EXP-001")] == ["azurerm_network_interface.n"]
    assert not result.not_evaluated


def test_load_balancer_rule_and_pool_association_reach_the_nic() -> None:
    pool = res(
        "azurerm_lb_backend_address_pool", "pool", {"name": "pool", "loadbalancer_id": LB_ID}
    )
    web = res(
        "azurerm_lb_rule",
        "web",
        {
            "name": "web",
            "loadbalancer_id": LB_ID,
            "frontend_ip_configuration_name": "fe",
            "protocol": "Tcp",
            "frontend_port": 8080,
            "backend_port": 8080,
            "backend_address_pool_ids": [f"{LB_ID}/backendAddressPools/pool"],
        },
    )
    member = res(
        "azurerm_network_interface_backend_address_pool_association",
        "m",
        {
            "network_interface_id": f"{NET}/networkInterfaces/n",
            "ip_configuration_name": "ipconfig1",
            "backend_address_pool_id": f"{LB_ID}/backendAddressPools/pool",
        },
    )
    resources = (
        vnet(),
        subnet("s", "10.0.1.0/24"),
        nsg("nsg", rule("web", 100, "8080", source="Internet")),
        assoc("a", "s", "nsg"),
        pip("plb"),
        lb(),
        pool,
        web,
        member,
        nic("n", "s"),
    )
    rows = mapped(*resources)
    got = rows[arm.key(LB_ID)]["properties"]["backendAddressPools"][0]["properties"]
    assert got["backendIPConfigurations"] == [
        {"id": f"{NET}/networkInterfaces/n/ipConfigurations/ipconfig1"}
    ]
    result = scan(*resources, select=["MLA-EXP-002"])
    assert [r for r, _ in _failing(result, "MLA-EXP-002")] == ["azurerm_network_interface.n"]


@pytest.mark.parametrize(
    ("tf_type", "nic_attr", "public_attr"),
    [
        ("azurerm_linux_virtual_machine_scale_set", "network_interface", "public_ip_address"),
        ("azurerm_virtual_machine_scale_set", "network_profile", "public_ip_address_configuration"),
    ],
)
def test_scale_set_with_instance_public_ips(tf_type: str, nic_attr: str, public_attr: str) -> None:
    vmss = res(
        tf_type,
        "agents",
        {
            "name": "agents",
            "sku": "Standard_D2s_v3",
            nic_attr: [
                {
                    "name": "nic",
                    "primary": True,
                    "ip_configuration": [
                        {
                            "name": "ip",
                            "primary": True,
                            "subnet_id": sid("s"),
                            public_attr: [{"name": "pub"}],
                        }
                    ],
                }
            ],
        },
    )
    resources = (
        vnet(),
        subnet("s", "10.0.1.0/24"),
        nsg("nsg", rule("ssh", 100, "22")),
        assoc("a", "s", "nsg"),
        vmss,
    )
    row = mapped(*resources)[
        arm.key(f"{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/agents")
    ]
    cfgs = row["properties"]["virtualMachineProfile"]["networkProfile"][
        "networkInterfaceConfigurations"
    ]
    ip = cfgs[0]["properties"]["ipConfigurations"][0]["properties"]
    assert ip["subnet"] == {"id": sid("s")}
    assert ip["publicIPAddressConfiguration"]["name"] == "pub"
    result = scan(*resources, select=["MLA-PIP-001", "MLA-EXP-001"])
    assert [r for r, _ in _failing(result, "MLA-PIP-001")] == [f"{tf_type}.agents"]
    assert [r for r, _ in _failing(result, "MLA-EXP-001")] == [f"{tf_type}.agents"]


def test_bastion_public_ip_is_not_a_nic_public_ip() -> None:
    bastion = res(
        "azurerm_bastion_host",
        "bas",
        {
            "name": "bas",
            "ip_configuration": [
                {
                    "name": "IpConf",
                    "subnet_id": sid("AzureBastionSubnet"),
                    "public_ip_address_id": f"{NET}/publicIPAddresses/pbas",
                }
            ],
        },
    )
    resources = (
        vnet(),
        subnet("AzureBastionSubnet", "10.0.0.0/26"),
        pip("pbas", sku="Standard"),
        bastion,
    )
    rows = mapped(*resources)
    row = rows[arm.key(f"{NET}/bastionHosts/bas")]
    assert row["sku"] == {"name": "Basic"}
    cfg = row["properties"]["ipConfigurations"][0]
    assert cfg["id"] == f"{NET}/bastionHosts/bas/bastionHostIpConfigurations/IpConf"
    assert rows[arm.key(f"{NET}/publicIPAddresses/pbas")]["properties"]["ipConfiguration"] == {
        "id": cfg["id"]
    }
    result = scan(*resources, select=["MLA-PIP-001", "MLA-EXP-001"])
    assert result.findings == [] and not result.not_evaluated


def test_firewall_and_policy_dns_proxy() -> None:
    policy = res(
        "azurerm_firewall_policy", "pol", {"name": "pol", "dns": [{"proxy_enabled": True}]}
    )
    fw = res(
        "azurerm_firewall",
        "fw",
        {
            "name": "fw",
            "sku_name": "AZFW_VNet",
            "sku_tier": "Standard",
            "firewall_policy_id": f"{NET}/firewallPolicies/pol",
            "ip_configuration": [{"name": "cfg", "subnet_id": sid("AzureFirewallSubnet")}],
        },
    )
    classic = res(
        "azurerm_firewall",
        "old",
        {
            "name": "old",
            "sku_name": "AZFW_VNet",
            "sku_tier": "Standard",
            "dns_servers": ["1.1.1.1"],
        },
    )
    rows = mapped(policy, fw, classic)
    assert rows[arm.key(f"{NET}/firewallPolicies/pol")]["properties"]["dnsSettings"] == {
        "servers": [],
        "enableProxy": True,
    }
    fw_row = rows[arm.key(f"{NET}/azureFirewalls/fw")]["properties"]
    assert fw_row["firewallPolicy"] == {"id": f"{NET}/firewallPolicies/pol"}
    assert isinstance(fw_row["ipConfigurations"][0]["properties"]["privateIPAddress"], UnknownValue)
    old = rows[arm.key(f"{NET}/azureFirewalls/old")]["properties"]["additionalProperties"]
    assert old == {"Network.DNS.Servers": "1.1.1.1", "Network.DNS.EnableProxy": "true"}


def test_firewall_dns_reader_says_unknown_for_an_unknown_proxy_setting() -> None:
    from auditor.relations.dns_answer import firewall_dns

    policy = res(
        "azurerm_firewall_policy",
        "pol",
        {"name": "pol", "dns": [{"proxy_enabled": UnknownValue("var.proxy has no value")}]},
    )
    fw = res(
        "azurerm_firewall",
        "fw",
        {"name": "fw", "firewall_policy_id": f"{NET}/firewallPolicies/pol"},
    )
    m = to_rows(config(policy, fw))
    estate = Estate()
    estate.add("tf", "terraform", Reading(m.rows, collections=list(NAMES), origins=m.origins))
    g = build(estate)
    got = firewall_dns(g, arm.key(f"{NET}/azureFirewalls/fw"))
    assert isinstance(got, str) and "var.proxy has no value" in got


def test_route_table_nat_gateway_and_their_associations() -> None:
    rt = res(
        "azurerm_route_table",
        "rt",
        {
            "name": "rt",
            "route": [
                {
                    "name": "default",
                    "address_prefix": "0.0.0.0/0",
                    "next_hop_type": "VirtualAppliance",
                    "next_hop_in_ip_address": "10.0.0.4",
                }
            ],
            "disable_bgp_route_propagation": True,
        },
    )
    extra = res(
        "azurerm_route",
        "r2",
        {
            "name": "r2",
            "route_table_name": "rt",
            "address_prefix": "10.9.0.0/16",
            "next_hop_type": "None",
        },
    )
    natgw = res("azurerm_nat_gateway", "ng", {"name": "ng"})
    rows = mapped(
        vnet(),
        subnet("s", "10.0.1.0/24"),
        rt,
        extra,
        natgw,
        res(
            "azurerm_subnet_route_table_association",
            "a",
            {"subnet_id": sid("s"), "route_table_id": f"{NET}/routeTables/rt"},
        ),
        res(
            "azurerm_subnet_nat_gateway_association",
            "b",
            {"subnet_id": sid("s"), "nat_gateway_id": f"{NET}/natGateways/ng"},
        ),
    )
    table = rows[arm.key(f"{NET}/routeTables/rt")]["properties"]
    # inline routes and a separate azurerm_route overwrite each other on apply: unknown
    assert isinstance(table["routes"], UnknownValue)
    bare = res("azurerm_route_table", "rt", {"name": "rt"})
    routes = mapped(bare, extra)[arm.key(f"{NET}/routeTables/rt")]["properties"]["routes"]
    assert [r["name"] for r in routes] == ["r2"]
    assert table["disableBgpRoutePropagation"] is True
    assert table["subnets"] == [{"id": sid("s")}]
    sub = rows[arm.key(f"{NET}/virtualNetworks/vnet")]["properties"]["subnets"][0]["properties"]
    assert sub["routeTable"] == {"id": f"{NET}/routeTables/rt"}
    assert sub["natGateway"] == {"id": f"{NET}/natGateways/ng"}
    assert rows[arm.key(f"{NET}/natGateways/ng")]["properties"]["subnets"] == [{"id": sid("s")}]


def test_a_list_with_an_unknown_element_is_unknown_as_a_whole() -> None:
    hole = UnknownValue("var.extra_space has no value")
    rows = mapped(
        vnet(space=["10.0.0.0/16", hole], dns_servers=["10.0.0.4", hole]),  # type: ignore[list-item]
        subnet("s", "10.0.1.0/24", address_prefixes=["10.0.1.0/24", hole]),
    )
    props = rows[arm.key(f"{NET}/virtualNetworks/vnet")]["properties"]
    assert props["addressSpace"]["addressPrefixes"] == hole
    assert props["dhcpOptions"]["dnsServers"] == hole
    assert props["subnets"][0]["properties"]["addressPrefix"] == hole


def test_describe_names_an_unknown_value() -> None:
    from auditor.files import describe

    assert describe(UnknownValue("var.x has no value")) == "unknown (var.x has no value)"


# -- Terraform source: the HCL reader, the mapping, the rules ---------------------------------
DATA = Path(__file__).parent / "data" / "tf-network"
RULE_FIXTURES = Path(__file__).parent.parent / "fixtures" / "rules"
# the rules whose Terraform fixtures need only the network mappers (MLA-NSG-008/009/010 and
# MLA-NET-005 need the Azure ML and private endpoint mappers too: the shared rule test)
NETWORK_ONLY = [
    *(f"MLA-NSG-00{i}" for i in range(1, 8)),
    *(f"MLA-NET-00{i}" for i in range(1, 5)),
    "MLA-EXP-001",
    "MLA-EXP-002",
    "MLA-PIP-001",
]


@pytest.mark.parametrize("rule_id", NETWORK_ONLY)
def test_rule_terraform_fixture(rule_id: str) -> None:
    folder = RULE_FIXTURES / rule_id / "terraform"
    expect = json.loads((folder / "expect.json").read_text(encoding="utf-8"))
    failed = scan_tf(folder / "fail", select=[rule_id])
    got = sorted((f.resource_id, (f.location or {}).get("line")) for f in failed.findings)
    assert got == sorted((e["resource"], e["line"]) for e in expect["fail"])
    assert not failed.not_evaluated
    passed = scan_tf(folder / "pass", select=[rule_id])
    assert passed.findings == [] and passed.not_evaluated == []
    assert next(o for o in passed.outcomes if o.rule_id == rule_id).status == "pass"


def test_azurerm_2x_and_4x_spellings_map_to_the_same_rows_and_verdicts() -> None:
    from auditor.inputs.terraform.config import load_config

    rows = {}
    for major in ("azurerm2", "azurerm4"):
        config_ = load_config(DATA / major)
        rows[major] = to_rows(config_).rows
    assert rows["azurerm2"] == rows["azurerm4"]
    subnet_entry = next(r for r in rows["azurerm2"] if r["name"] == "vnet-jump")["properties"][
        "subnets"
    ][0]
    assert subnet_entry["properties"]["privateEndpointNetworkPolicies"] == "Disabled"
    assert subnet_entry["properties"]["addressPrefix"] == "10.0.1.0/24"
    verdicts = {}
    for major in ("azurerm2", "azurerm4"):
        result = scan_tf(DATA / major)
        verdicts[major] = sorted(
            (f.rule_id, f.resource_id, (f.location or {}).get("line")) for f in result.findings
        )
    assert verdicts["azurerm2"] == verdicts["azurerm4"]
    rules = {v[0] for v in verdicts["azurerm2"]}
    assert {"MLA-NSG-002", "MLA-PIP-001", "MLA-EXP-001", "MLA-NET-001"} <= rules


def test_subnet_and_peering_of_a_vnet_outside_the_configuration_are_rows() -> None:
    """An AML spoke's subnet and peering in a hub VNet created elsewhere: judged all the same."""
    hub_id = f"{NET}/virtualNetworks/hub"  # not in the configuration
    hub_subnet = subnet("pe", "10.9.1.0/24", vnet_name="hub")
    spoke_to_hub = peering("s2h", "spoke", hub_id)
    hub_to_spoke = peering("h2s", "hub", f"{NET}/virtualNetworks/spoke")
    resources = (vnet("spoke", ["10.1.0.0/16"]), hub_subnet, spoke_to_hub, hub_to_spoke)
    rows = mapped(*resources)
    row = rows[arm.key(sid("pe", "hub"))]
    assert row["type"] == SUBNET_TYPE and row["properties"]["addressPrefix"] == "10.9.1.0/24"
    own = rows[arm.key(f"{hub_id}/virtualNetworkPeerings/h2s")]
    assert own["type"] == "microsoft.network/virtualnetworks/virtualnetworkpeerings"
    assert own["properties"]["peeringState"] == "Connected"  # the spoke peers back
    assert _peerings(rows, "spoke")[0]["properties"]["peeringState"] == "Connected"
    result = scan(*resources, select=["MLA-NSG-001", "MLA-NET-001"])
    assert [r for r, _ in _failing(result, "MLA-NSG-001")] == ["azurerm_subnet.pe"]
    assert _failing(result, "MLA-NET-001") == []
    assert not to_rows(config(*resources)).gaps


NETWORK_RULES = [*NETWORK_ONLY, "MLA-NET-005"]


def _samples() -> list[TfResource]:
    """One resource of each network type, with its blocks."""
    peer = peering("p", "vnet", f"{NET}/virtualNetworks/other")
    lb_ = lb()
    vmss = res(
        "azurerm_linux_virtual_machine_scale_set",
        "ss",
        {
            "name": "ss",
            "sku": "B1",
            "network_interface": [
                {
                    "name": "n",
                    "ip_configuration": [
                        {"name": "i", "subnet_id": sid("s"), "public_ip_address": [{"name": "p"}]}
                    ],
                }
            ],
        },
    )
    return [
        vnet(subnet=[{"name": "in", "address_prefix": "10.0.9.0/24", "delegation": []}]),
        subnet(
            "s", "10.0.1.0/24", delegation=[{"name": "d", "service_delegation": [{"name": "x"}]}]
        ),
        nsg("nsg", rule("ssh", 100, "22")),
        assoc("a", "s", "nsg"),
        nic("n", "s", pip="p"),
        pip("p"),
        peer,
        lb_,
        vmss,
        res("azurerm_route_table", "rt", {"name": "rt", "route": [{"name": "r"}]}),
        res("azurerm_firewall_policy", "fp", {"name": "fp", "dns": [{"servers": ["1.1.1.1"]}]}),
        res("azurerm_bastion_host", "b", {"name": "b", "ip_configuration": [{"name": "c"}]}),
        res("azurerm_route_server", "rs", {"name": "rs", "subnet_id": sid("s")}),
        res(
            "azurerm_firewall",
            "fw",
            {"name": "fw", "dns_servers": ["1.1.1.1"], "ip_configuration": [{"name": "c"}]},
        ),
        res("azurerm_virtual_network_gateway", "gw", {"name": "gw", "ip_configuration": [{}]}),
    ]


def _paths(value: Any, prefix: str = "") -> list[str]:
    """Every attribute path of a resource's values, into the first of each nested block."""
    out = []
    for k, v in value.items():
        out.append(prefix + k)
        if isinstance(v, list) and v and isinstance(v[0], dict):
            out += _paths(v[0], f"{prefix}{k}.0.")
    return out


def _with(r: TfResource, path: str, odd: Any) -> TfResource:
    values = copy.deepcopy(r.values)
    *steps, last = path.split(".")
    target: Any = values
    for step in steps:
        target = target[int(step)] if step.isdigit() else target[step]
    target[last] = odd
    return TfResource(**{**r.__dict__, "values": values})


@pytest.mark.parametrize(
    "odd",
    [
        UnknownValue("var.x has no value"),
        None,
        7,
        "",
        [],
        {},
        [None, 3],
        [{"name": UnknownValue("u")}],
    ],
    ids=[
        "unknown",
        "null",
        "number",
        "empty",
        "empty-list",
        "object",
        "odd-list",
        "unknown-in-block",
    ],
)
def test_odd_values_anywhere_never_crash_the_mapping_or_the_rules(odd: Any) -> None:
    """Each attribute path (nested blocks too), in every sample that has it at once, set to an
    odd value: the mapping and the network rules run to the end (what cannot be read is a
    gap or not evaluated, never a crash)."""
    samples = _samples()
    paths = sorted({p for r in samples for p in _paths(r.values)})
    for path in paths:
        changed = [_with(r, path, odd) if path in _paths(r.values) else r for r in samples]
        scan(*changed, select=NETWORK_RULES)


def test_peering_to_a_vnet_outside_the_configuration_is_not_judged_with_the_reason() -> None:
    outside = "/subscriptions/1/resourceGroups/x/providers/Microsoft.Network/virtualNetworks/x"
    rules = [f"MLA-NET-00{i}" for i in range(1, 6)]
    result = scan(vnet("hub"), peering("h2x", "hub", outside), select=rules)
    assert result.findings == []
    assert sorted(n.rule_id for n in result.not_evaluated) == rules
    for n in result.not_evaluated:
        assert "its peeringState is unknown: peering h2x:" in " ".join(n.reasons)
        assert "known only in Azure" in " ".join(n.reasons)


def test_inline_lists_a_plan_leaves_unknown_are_made_by_the_separate_children() -> None:
    """A plan shows a VNet's ``subnet`` and an NSG's ``security_rule`` as known after apply
    when the configuration uses separate resources: those resources make the lists; with
    none, the list stays unknown (and a gap says so)."""
    later = UnknownValue("known after apply")
    v = vnet(subnet=later)
    n = nsg("nsg")
    n.values["security_rule"] = later
    sep = res(
        "azurerm_network_security_rule",
        "r",
        {**rule("sep", 120, "22", source="Internet"), "network_security_group_name": "nsg"},
    )
    resources = (v, subnet("s", "10.0.1.0/24"), n, sep, assoc("a", "s", "nsg"))
    m = to_rows(config(*resources))
    rows = {arm.key(r["id"]): r for r in m.rows}
    assert [
        s["name"] for s in rows[arm.key(f"{NET}/virtualNetworks/vnet")]["properties"]["subnets"]
    ] == ["s"]
    assert [
        r["name"]
        for r in rows[arm.key(f"{NET}/networkSecurityGroups/nsg")]["properties"]["securityRules"]
    ] == ["sep"]
    assert not m.gaps
    result = scan(*resources, select=["MLA-NSG-002"])
    assert [r for r, _ in _failing(result, "MLA-NSG-002")] == ["azurerm_network_security_group.nsg"]
    alone = to_rows(config(vnet(subnet=later), n))
    rows = {arm.key(r["id"]): r for r in alone.rows}
    assert rows[arm.key(f"{NET}/virtualNetworks/vnet")]["properties"]["subnets"] == later
    assert rows[arm.key(f"{NET}/networkSecurityGroups/nsg")]["properties"]["securityRules"] == later
    assert len(alone.gaps) == 2


def test_route_server_offers_the_hub_gateway() -> None:
    """A spoke using the hub's gateway passes MLA-NET-002 when the hub holds a Route Server."""
    hub, spoke = f"{NET}/virtualNetworks/hub", f"{NET}/virtualNetworks/spoke"
    rs = res(
        "azurerm_route_server",
        "rs",
        {
            "name": "rs-hub",
            "sku": "Standard",
            "subnet_id": sid("RouteServerSubnet", "hub"),
            "public_ip_address_id": f"{NET}/publicIPAddresses/prs",
        },
    )
    resources = (
        vnet("hub", ["10.0.0.0/16"]),
        vnet("spoke", ["10.1.0.0/16"]),
        subnet("RouteServerSubnet", "10.0.0.0/27", vnet_name="hub"),
        peering("h2s", "hub", spoke, allow_gateway_transit=True),
        peering("s2h", "spoke", hub, use_remote_gateways=True),
        pip("prs", sku="Standard"),
    )
    without = scan(*resources, select=["MLA-NET-002"])
    assert [r for r, _ in _failing(without, "MLA-NET-002")] == ["azurerm_virtual_network.spoke"]
    with_rs = scan(*resources, rs, select=["MLA-NET-002"])
    assert with_rs.findings == [] and with_rs.not_evaluated == []
    row = mapped(*resources, rs)[arm.key(f"{NET}/virtualHubs/rs-hub")]
    assert row["kind"] == "RouteServer" and isinstance(
        row["properties"]["virtualRouterIps"], UnknownValue
    )


def test_orchestrated_scale_set_public_ip_sku() -> None:
    """An orchestrated scale set's instance public IPs of Standard SKU are closed without an
    NSG; the default (no sku_name) is taken as Basic, open, as the graph takes Azure's."""

    def flex(sku: str | None) -> TfResource:
        public: dict[str, Any] = {"name": "pub"}
        if sku:
            public["sku_name"] = sku
        return res(
            "azurerm_orchestrated_virtual_machine_scale_set",
            "flex",
            {
                "name": "flex",
                "sku_name": "Standard_D2s_v3",
                "network_interface": [
                    {
                        "name": "nic",
                        "ip_configuration": [
                            {"name": "ip", "subnet_id": sid("s"), "public_ip_address": [public]}
                        ],
                    }
                ],
            },
        )

    base = (vnet(), subnet("s", "10.0.1.0/24"))
    standard = scan(*base, flex("Standard_Regional"), select=["MLA-EXP-001"])
    assert _failing(standard, "MLA-EXP-001") == [] and not standard.not_evaluated
    basic = scan(*base, flex(None), select=["MLA-EXP-001"])
    assert [r for r, _ in _failing(basic, "MLA-EXP-001")] == [
        "azurerm_orchestrated_virtual_machine_scale_set.flex"
    ]


def _network_view(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the network rules read of an estate, normalised (ids in lower case, singular and
    plural rule fields together): VNets with subnets and peerings, NSG rules, NIC subnets,
    Bastion configurations."""

    def ids(value: Any) -> str:
        return str(value.get("id") if isinstance(value, dict) else value).lower()

    def many(p: dict[str, Any], one: str, plural: str) -> list[str]:
        return sorted(([p[one]] if p.get(one) else []) + list(p.get(plural) or ()))

    view: dict[str, Any] = {}
    for r in rows:
        t, p, rid = str(r["type"]).lower(), r.get("properties") or {}, str(r["id"]).lower()
        if t == "microsoft.network/virtualnetworks":
            view[rid] = {
                "space": p["addressSpace"]["addressPrefixes"],
                "subnets": sorted(
                    (
                        ids(s),
                        s["properties"].get("addressPrefix"),
                        ids(s["properties"].get("networkSecurityGroup")),
                        s["properties"].get("privateEndpointNetworkPolicies"),
                    )
                    for s in p["subnets"]
                ),
                "peerings": sorted(
                    (
                        ids(e),
                        ids(e["properties"]["remoteVirtualNetwork"]),
                        e["properties"]["peeringState"],
                        e["properties"]["allowVirtualNetworkAccess"],
                        e["properties"]["allowForwardedTraffic"],
                    )
                    for e in p["virtualNetworkPeerings"]
                ),
            }
        elif t == "microsoft.network/networksecuritygroups":
            view[rid] = sorted(
                (
                    s["name"],
                    s["properties"]["priority"],
                    s["properties"]["direction"],
                    s["properties"]["access"],
                    s["properties"]["protocol"],
                    tuple(many(s["properties"], "sourceAddressPrefix", "sourceAddressPrefixes")),
                    tuple(
                        many(
                            s["properties"],
                            "destinationAddressPrefix",
                            "destinationAddressPrefixes",
                        )
                    ),
                    tuple(many(s["properties"], "destinationPortRange", "destinationPortRanges")),
                )
                for s in p["securityRules"]
            )
        elif (
            t in ("microsoft.network/networkinterfaces", "microsoft.network/bastionhosts")
            and "privateEndpoint" not in p
        ):
            view[rid] = sorted(
                (
                    ids(c["properties"].get("subnet")),
                    ids(c["properties"].get("publicIPAddress")),
                )
                for c in p["ipConfigurations"]
            )
    return view


def test_the_reference_network_as_terraform_matches_the_live_reference() -> None:
    """tests/data/tf-network/reference writes the network of fixtures/reference-terraform.json
    as a root module (for_each, count, a local module, dynamic blocks, 2.x/3.x spellings): the
    rows the network rules read are the live reference's, and the rules judge both alike."""
    from auditor.inputs.terraform.config import load_config

    live = json.loads((RULE_FIXTURES.parent / "reference-terraform.json").read_text("utf-8"))
    mapped_ = to_rows(load_config(DATA / "reference"))
    assert not mapped_.gaps
    tf_view, live_view = _network_view(mapped_.rows), _network_view(live)
    live_view = {k: v for k, v in live_view.items() if "/pe-" not in k}  # endpoints' NICs
    assert tf_view == live_view
    result = scan_tf(DATA / "reference", select=NETWORK_RULES)
    assert result.findings == [] and result.not_evaluated == []
    judged = {o.rule_id: o for o in result.outcomes}
    assert judged["MLA-NSG-001"].status == "pass" and judged["MLA-NET-001"].status == "pass"
