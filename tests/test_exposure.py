"""Exposure paths: load balancer and scale set reading, the paths, SKU defaults, and fail
closed on what the estate lacks (relations/exposure.py, graph.py's load balancer reader)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor import graph, inputs
from auditor.model import EDGE_KINDS
from auditor.relations import Unknown
from auditor.relations.exposure import internet_paths, public_ip_admits

TOPOLOGIES = Path(__file__).resolve().parent.parent / "fixtures" / "topologies"


def rows(name: str) -> list[dict[str, Any]]:
    return json.loads((TOPOLOGIES / name / "estate.json").read_text())


def build(data: list[dict[str, Any]], tmp_path: Path) -> graph.AuditGraph:
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(data))
    return graph.build(inputs.load([path]))


def node(g: graph.AuditGraph, name: str) -> str:
    return next(k for k in g.nodes() if g.seen(k) and g.name(k) == name)


def test_backend_edges_connect_declared_kinds() -> None:
    for d in sorted(TOPOLOGIES.glob("exp-*")):
        g = graph.build(inputs.load([d / "estate.json"]))
        for u, v, kind in g.g.edges(keys=True):
            edge = EDGE_KINDS[kind]
            assert g.kind(u) in edge.sources, (d.name, kind, u)
            assert edge.targets == ("any",) or g.kind(v) in edge.targets, (d.name, kind, v)


def test_a_nat_rule_maps_frontend_to_backend_port(tmp_path: Path) -> None:
    g = build(rows("exp-lb-nat-ssh"), tmp_path)
    (item,) = internet_paths(g, node(g, "nic-vm1"))
    assert item.extra["forwards"] == "TCP 50022→22"
    assert item.extra["management"] == "TCP 22"
    assert item.extra["other"] is None  # 443 is admitted, but no path carries it
    assert item.extra["deciding"][0]["rule"] == "allow-ssh"


def test_an_unreadable_nat_rule_is_recorded_not_dropped(tmp_path: Path) -> None:
    data = rows("exp-lb-nat-ssh")
    lb = next(r for r in data if r["name"] == "lb-web")
    lb["properties"]["inboundNatRules"][0]["properties"]["frontendPort"] = "fifty"
    g = build(data, tmp_path)
    bad = g.unreadable(node(g, "lb-web"), "inboundNatRules")
    assert bad and "frontendPort" in bad[0].why


def test_ha_ports_and_udp_rules(tmp_path: Path) -> None:
    data = rows("exp-lb-rule-https")
    lb = next(r for r in data if r["name"] == "lb-shop")
    rule = lb["properties"]["loadBalancingRules"][0]["properties"]
    rule.update(protocol="Udp", frontendPort=3389, backendPort=3389)
    nsg = next(r for r in data if r["name"] == "nsg-web1")
    nsg["properties"]["securityRules"][0]["properties"].update(
        protocol="*", destinationPortRange="3389"
    )
    g = build(data, tmp_path)
    (item,) = internet_paths(g, node(g, "nic-web1"))
    assert item.extra["management"] == "UDP 3389"  # RDP over UDP is a management port


def test_a_scale_set_with_an_unreadable_nic_configuration_is_unknown(tmp_path: Path) -> None:
    data = rows("exp-vmss-instance-pip")
    vmss = next(r for r in data if r["name"] == "vmss-train")
    profile = vmss["properties"]["virtualMachineProfile"]["networkProfile"]
    profile["networkInterfaceConfigurations"][0]["properties"]["ipConfigurations"] = [7]
    g = build(data, tmp_path)
    got = internet_paths(g, node(g, "vmss-train"))
    assert isinstance(got, Unknown) and "ipConfigurations[0]" in got.reasons[0]


def test_no_nsg_and_no_sku_is_unknown(tmp_path: Path) -> None:
    data = [r for r in rows("exp-pip-nsg-sku") if r["name"] != "pip-std"]
    g = build(data, tmp_path)  # the NIC names pip-std, whose row (and SKU) is missing
    (item,) = public_ip_admits(g, node(g, "nic-std"))  # the public IP is there all the same
    assert not item.unknown and item.extra["admits"].startswith("unknown (no NSG guards")
    (path,) = internet_paths(g, node(g, "nic-std"))  # what passes is unknown
    assert path.unknown and "SKU" in path.unknown


def test_a_missing_nsg_makes_the_path_unknown(tmp_path: Path) -> None:
    data = [r for r in rows("exp-lb-nat-ssh") if r["name"] != "nsg-app"]
    g = build(data, tmp_path)
    (item,) = internet_paths(g, node(g, "nic-vm1"))
    assert item.unknown and "nsg-app" in item.unknown


def test_a_pool_member_named_only_by_the_pool_is_a_backend(tmp_path: Path) -> None:
    g = build(rows("exp-lb-rule-https"), tmp_path)
    (item,) = internet_paths(g, node(g, "nic-web2"))
    assert item.extra["open"] == "none"


def test_an_instance_public_ip_row_belongs_to_its_scale_set(tmp_path: Path) -> None:
    data = rows("exp-vmss-instance-pip")
    vmss = next(r for r in data if r["name"] == "vmss-train")
    pip = json.loads(json.dumps(next(r for r in data if r["name"] == "pip-lb-vmss")))
    pip["id"] = pip["id"].replace("pip-lb-vmss", "pip-instance-0")
    pip["name"] = "pip-instance-0"
    pip["properties"]["ipConfiguration"] = {
        "id": vmss["id"]
        + "/virtualMachines/0/networkInterfaces/nic-train/ipConfigurations/ipconfig1"
    }
    g = build([*data, pip], tmp_path)
    assert g.has_edge(node(g, "pip-instance-0"), node(g, "vmss-train"), "attached_to")
    assert internet_paths(g, node(g, "pip-instance-0")) == []  # judged at the scale set


def test_a_nat_pool_no_scale_set_uses_is_not_evaluated(tmp_path: Path) -> None:
    data = [r for r in rows("exp-vmss-instance-pip") if r["name"] != "vmss-train"]
    g = build(data, tmp_path)
    (item,) = internet_paths(g, node(g, "pip-lb-vmss"))
    assert item.unknown and "natpool-ssh" in item.unknown


def test_a_scale_set_in_application_security_groups_is_unknown(tmp_path: Path) -> None:
    """ASG membership is read from NICs: a scale set's would be missed, never guessed."""
    data = rows("exp-vmss-instance-pip")
    vmss = next(r for r in data if r["name"] == "vmss-train")
    profile = vmss["properties"]["virtualMachineProfile"]["networkProfile"]
    cfg = profile["networkInterfaceConfigurations"][0]["properties"]["ipConfigurations"][0]
    asg = (
        vmss["id"].split("/providers/")[0]
        + "/providers/Microsoft.Network/applicationSecurityGroups/asg-web"
    )
    cfg["properties"]["applicationSecurityGroups"] = [{"id": asg}]
    g = build(data, tmp_path)
    items = internet_paths(g, node(g, "vmss-train"))
    assert items and all(i.unknown and "asg-web" in i.unknown for i in items)
