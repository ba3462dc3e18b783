"""Row builders for NSG evaluator tests: VNets with subnet NSGs, NICs with NIC NSGs and
application security groups, NSG rules in Azure's shape."""

from __future__ import annotations

from typing import Any

from . import builders as b


def rule(
    name: str,
    priority: int,
    access: str = "Allow",
    *,
    direction: str = "Inbound",
    protocol: str = "Tcp",
    src: str | list[str] = "*",
    dst: str | list[str] = "*",
    ports: str | list[str] = "*",
    sports: str | list[str] = "*",
    src_asgs: list[str] | None = None,
    dst_asgs: list[str] | None = None,
) -> dict[str, Any]:
    p: dict[str, Any] = {
        "direction": direction,
        "access": access,
        "priority": priority,
        "protocol": protocol,
    }
    for side, value, asgs in (("source", src, src_asgs), ("destination", dst, dst_asgs)):
        if asgs:
            p[f"{side}ApplicationSecurityGroups"] = [{"id": a} for a in asgs]
        elif isinstance(value, list):
            p[f"{side}AddressPrefixes"] = value
        else:
            p[f"{side}AddressPrefix"] = value
    p["sourcePortRanges" if isinstance(sports, list) else "sourcePortRange"] = sports
    p["destinationPortRanges" if isinstance(ports, list) else "destinationPortRange"] = ports
    return {"name": name, "properties": p}


def nsg_id(name: str) -> str:
    return b.rid("rg-net", f"Microsoft.Network/networkSecurityGroups/{name}")


def nsg(name: str, *rules: dict[str, Any], defaults: bool = False) -> dict[str, Any]:
    props: dict[str, Any] = {"securityRules": list(rules)}
    return {
        "id": nsg_id(name),
        "name": name,
        "type": "microsoft.network/networksecuritygroups",
        "location": "westeurope",
        "properties": props,
    }


def asg_id(name: str) -> str:
    return b.rid("rg-net", f"Microsoft.Network/applicationSecurityGroups/{name}")


def nic(
    name: str,
    subnet_id: str,
    ip: str | None = "10.0.1.4",
    *,
    nsg: str | None = None,
    asgs: list[str] | None = None,
) -> dict[str, Any]:
    nid = b.rid("rg-net", f"Microsoft.Network/networkInterfaces/{name}")
    cfg: dict[str, Any] = {"subnet": {"id": subnet_id}}
    if ip:
        cfg["privateIPAddress"] = ip
    if asgs:
        cfg["applicationSecurityGroups"] = [{"id": asg_id(a)} for a in asgs]
    props: dict[str, Any] = {
        "ipConfigurations": [{"id": f"{nid}/ipConfigurations/c", "name": "c", "properties": cfg}]
    }
    if nsg:
        props["networkSecurityGroup"] = {"id": nsg_id(nsg)}
    return {
        "id": nid,
        "name": name,
        "type": "microsoft.network/networkinterfaces",
        "location": "westeurope",
        "properties": props,
    }


def vnet(name: str, prefix: str, subnets: dict[str, tuple[str, str | None]]) -> dict[str, Any]:
    """A VNet whose subnets name (prefix, NSG name or None)."""
    row = b.vnet(name, prefix, {s: p for s, (p, _) in subnets.items()})
    for sub in row["properties"]["subnets"]:
        nsg_name = subnets[sub["name"]][1]
        if nsg_name:
            sub["properties"]["networkSecurityGroup"] = {"id": nsg_id(nsg_name)}
    return row
