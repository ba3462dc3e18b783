"""Hostile estates against the NSG evaluator, the exposure paths and ``reach``: data a
verdict needs but cannot be read, or that contradicts itself, gives unknown — never a pass
and never a confident "denied"."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor import audit, graph, inputs
from auditor.answers import reach

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "topologies"
NAT = json.loads((ROOT / "exp-lb-nat-ssh" / "estate.json").read_text())
RULES = ["MLA-EXP-001", "MLA-EXP-002", "MLA-PIP-001"]
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-exp/providers"


def _of(rows: list[dict[str, Any]], suffix: str) -> dict[str, Any]:
    return next(r for r in rows if r["type"].lower().endswith(suffix))


def _write(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    p = tmp_path / "estate.json"
    p.write_text(json.dumps(rows))
    return p


def _outcome(p: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    run = audit([p], select=RULES)
    name = lambda rid: rid.rsplit("/", 1)[-1]  # noqa: E731
    found = {(f.rule_id, name(f.resource_id)) for f in run.result.findings}
    unknown = {(n.rule_id, name(n.resource_id)) for n in run.result.not_evaluated}
    return found, unknown


def _reach(p: Path, source: str, target: str, port: str) -> reach.ReachAnswer:
    return reach.reach(graph.build(inputs.load([str(p)])), source, target, port)


def _nat(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return _of(rows, "loadbalancers")["properties"]["inboundNatRules"][0]["properties"]


def _backend_port_text(rows: list[dict[str, Any]]) -> None:
    _nat(rows)["backendPort"] = "22"


def _nat_list_broken(rows: list[dict[str, Any]]) -> None:
    _of(rows, "loadbalancers")["properties"]["inboundNatRules"] = "nat-ssh"


def _lb_props_null(rows: list[dict[str, Any]]) -> None:
    _of(rows, "loadbalancers")["properties"] = None


def _lb_missing(rows: list[dict[str, Any]]) -> None:
    rows.remove(_of(rows, "loadbalancers"))


@pytest.mark.parametrize(
    "mutate", [_backend_port_text, _nat_list_broken, _lb_props_null, _lb_missing]
)
def test_a_nat_path_that_cannot_be_read_is_unknown(
    tmp_path: Path, mutate: Callable[[list[dict[str, Any]]], None]
) -> None:
    """The NIC names an inbound NAT rule of a public load balancer (SSH from the internet);
    when the load balancer's side cannot be read, the NIC's exposure is unknown — not a pass,
    and reach does not answer "denied"."""
    rows = copy.deepcopy(NAT)
    mutate(rows)
    p = _write(tmp_path, rows)
    found, unknown = _outcome(p)
    assert ("MLA-EXP-001", "nic-vm1") in found | unknown
    answer = _reach(p, "Internet", "vm1", "22")
    assert answer.answer == "unknown", answer.summary


def test_reach_is_unknown_when_a_pool_member_is_an_address(tmp_path: Path) -> None:
    rows = json.loads((ROOT / "exp-lb-rule-https" / "estate.json").read_text())
    pool = _of(rows, "loadbalancers")["properties"]["backendAddressPools"][0]["properties"]
    pool.pop("backendIPConfigurations")
    pool["loadBalancerBackendAddresses"] = [{"name": "a", "properties": {"ipAddress": "10.2.1.5"}}]
    p = _write(tmp_path, rows)
    _found, unknown = _outcome(p)
    assert ("MLA-EXP-001", "pip-shop") in unknown
    assert _reach(p, "Internet", "vm-web2", "443").answer == "unknown"


def test_a_nic_in_two_subnets_is_not_judged_by_both_subnet_nsgs(tmp_path: Path) -> None:
    """A NIC's second IP configuration sits in a subnet without an NSG and holds a public
    IP: judging it by the first subnet's NSG (which denies) would be a false "denied"."""
    rows = copy.deepcopy(NAT)
    vnet = _of(rows, "virtualnetworks")
    sub2 = copy.deepcopy(vnet["properties"]["subnets"][0])
    sub2["id"] = sub2["id"].replace("snet-app", "snet-open")
    sub2["name"] = "snet-open"
    sub2["properties"] = {"addressPrefix": "10.1.2.0/24"}
    vnet["properties"]["subnets"].append(sub2)
    _of(rows, "networksecuritygroups")["properties"]["securityRules"] = []
    nic = _of(rows, "networkinterfaces")
    cfg = copy.deepcopy(nic["properties"]["ipConfigurations"][0])
    cfg["id"] = cfg["id"].replace("ipconfig1", "ipconfig2")
    cfg["name"] = "ipconfig2"
    pip_id = f"{SUB}/Microsoft.Network/publicIPAddresses/pip-2"
    cfg["properties"] = {
        "subnet": {"id": sub2["id"]},
        "privateIPAddress": "10.1.2.4",
        "publicIPAddress": {"id": pip_id},
    }
    nic["properties"]["ipConfigurations"].append(cfg)
    pip = copy.deepcopy(_of(rows, "publicipaddresses"))
    pip.update(id=pip_id, name="pip-2", sku={"name": "Basic"})
    pip["properties"] = {"ipAddress": "20.10.0.2", "ipConfiguration": {"id": cfg["id"]}}
    rows.append(pip)
    p = _write(tmp_path, rows)
    answer = _reach(p, "Internet", "vm1", "22")
    assert answer.answer in ("allowed", "unknown"), answer.summary
    found, unknown = _outcome(p)
    assert ("MLA-EXP-001", "nic-vm1") in found | unknown


VMSS = json.loads((ROOT / "exp-vmss-instance-pip" / "estate.json").read_text())


def _nic_config(rows: list[dict[str, Any]]) -> dict[str, Any]:
    profile = _of(rows, "virtualmachinescalesets")["properties"]["virtualMachineProfile"]
    return profile["networkProfile"]["networkInterfaceConfigurations"][0]["properties"]


def _nsg_ref_text(rows: list[dict[str, Any]]) -> None:
    _nic_config(rows)["networkSecurityGroup"] = "nsg-vmss"


def _ip_configs_null(rows: list[dict[str, Any]]) -> None:
    _nic_config(rows)["ipConfigurations"] = None


def _profile_null(rows: list[dict[str, Any]]) -> None:
    _of(rows, "virtualmachinescalesets")["properties"]["virtualMachineProfile"][
        "networkProfile"
    ] = None


@pytest.mark.parametrize("mutate", [_nsg_ref_text, _ip_configs_null, _profile_null])
def test_a_scale_set_that_cannot_be_read_is_unknown_to_reach(
    tmp_path: Path, mutate: Callable[[list[dict[str, Any]]], None]
) -> None:
    """The scale set's instances hold public IPs and an NSG that admits RDP; when its NIC
    configuration cannot be read, the scan does not judge it and reach does not say
    "denied"."""
    rows = copy.deepcopy(VMSS)
    mutate(rows)
    p = _write(tmp_path, rows)
    found, unknown = _outcome(p)
    assert ("MLA-EXP-001", "vmss-train") in found | unknown
    answer = _reach(p, "Internet", "vmss-train", "3389")
    assert answer.answer == "unknown", answer.summary


def test_a_nic_nsg_not_reached_is_not_called_none(tmp_path: Path) -> None:
    """The subnet NSG denies first; the scale set's NIC NSG exists but is not reached."""
    rows = copy.deepcopy(VMSS)
    extra = copy.deepcopy(_of(rows, "networksecuritygroups"))
    extra["id"] += "-subnet"
    extra["name"] += "-subnet"
    extra["properties"]["securityRules"] = []
    rows.append(extra)
    subnet = _of(rows, "virtualnetworks")["properties"]["subnets"][0]["properties"]
    subnet["networkSecurityGroup"] = {"id": extra["id"]}
    answer = _reach(_write(tmp_path, rows), "Internet", "vmss-train", "3389")
    assert answer.answer == "denied"
    assert "NIC NSG none" not in answer.summary
    assert "nsg-vmss" in answer.summary


def test_a_compute_in_a_subnet_not_in_the_estate_is_not_evaluated(tmp_path: Path) -> None:
    """The compute's subnet (and so its NSG) is outside the estate: whether the NSG blocks
    the flows Azure ML needs is unknown, not a pass."""
    rows = json.loads((ROOT / "nsg-aml-compute" / "estate.json").read_text())
    rows = [r for r in rows if r["name"] not in ("cluster-deny", "ci-public", "cluster-wide")]
    compute = next(r for r in rows if r["name"] == "cluster-exact")
    compute["properties"]["properties"]["subnet"]["id"] = (
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/"
        "Microsoft.Network/virtualNetworks/vnet-other/subnets/snet-train"
    )
    run = audit([_write(tmp_path, rows)], select=["MLA-NSG-008", "MLA-NSG-009", "MLA-NSG-010"])
    assert not run.result.findings
    unknown = {n.rule_id for n in run.result.not_evaluated}
    assert {"MLA-NSG-008", "MLA-NSG-010"} <= unknown, unknown
