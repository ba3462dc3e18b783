"""Tiny builders of Resource Graph rows, for tests that shape a topology by hand."""

from __future__ import annotations

from typing import Any

SUB = "00000000-0000-0000-0000-0000000000aa"


def rid(rg: str, provider_path: str, sub: str = SUB) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider_path}"


def vnet(
    name: str,
    prefix: str,
    subnets: dict[str, str],
    *,
    dns: list[str] | None = None,
    peerings: list[dict[str, Any]] | None = None,
    sub: str = SUB,
) -> dict[str, Any]:
    vid = rid("rg-net", f"Microsoft.Network/virtualNetworks/{name}", sub)
    return {
        "id": vid,
        "name": name,
        "type": "microsoft.network/virtualnetworks",
        "location": "westeurope",
        "resourceGroup": "rg-net",
        "subscriptionId": sub,
        "properties": {
            "addressSpace": {"addressPrefixes": [prefix]},
            "dhcpOptions": {"dnsServers": dns or []},
            "subnets": [
                {"id": f"{vid}/subnets/{s}", "name": s, "properties": {"addressPrefix": p}}
                for s, p in subnets.items()
            ],
            "virtualNetworkPeerings": peerings or [],
        },
    }


def peering(
    local: dict[str, Any], remote_id: str, state: str = "Connected", **flags: Any
) -> dict[str, Any]:
    name = f"to-{remote_id.rsplit('/', 1)[-1]}"
    entry = {
        "id": f"{local['id']}/virtualNetworkPeerings/{name}",
        "name": name,
        "properties": {
            "remoteVirtualNetwork": {"id": remote_id},
            "peeringState": state,
            "peeringSyncLevel": "FullyInSync",
            "allowVirtualNetworkAccess": True,
            **flags,
        },
    }
    local["properties"]["virtualNetworkPeerings"].append(entry)
    return entry


def peer(a: dict[str, Any], b: dict[str, Any], state: str = "Connected") -> None:
    peering(a, b["id"], state)
    peering(b, a["id"], state)


def storage(name: str, sub: str = SUB) -> dict[str, Any]:
    return {
        "id": rid("rg-data", f"Microsoft.Storage/storageAccounts/{name}", sub),
        "name": name,
        "type": "microsoft.storage/storageaccounts",
        "kind": "StorageV2",
        "properties": {"publicNetworkAccess": "Disabled", "allowBlobPublicAccess": False},
    }


def endpoint(
    name: str,
    subnet_id: str,
    target_id: str,
    group: str,
    ip: str,
    status: str = "Approved",
    *,
    fqdns: list[str] | None = None,
    sub: str = SUB,
) -> list[dict[str, Any]]:
    """A private endpoint and its NIC (with the FQDNs Azure puts on it, when given)."""
    pe_id = rid("rg-net", f"Microsoft.Network/privateEndpoints/{name}", sub)
    nic_id = rid("rg-net", f"Microsoft.Network/networkInterfaces/{name}.nic", sub)
    pe = {
        "id": pe_id,
        "name": name,
        "type": "microsoft.network/privateendpoints",
        "properties": {
            "subnet": {"id": subnet_id},
            "networkInterfaces": [{"id": nic_id}],
            "privateLinkServiceConnections": [
                {
                    "name": name,
                    "properties": {
                        "privateLinkServiceId": target_id,
                        "groupIds": [group],
                        "privateLinkServiceConnectionState": {"status": status},
                    },
                }
            ],
        },
    }
    nic = {
        "id": nic_id,
        "name": f"{name}.nic",
        "type": "microsoft.network/networkinterfaces",
        "properties": {
            "privateEndpoint": {"id": pe_id},
            "ipConfigurations": [
                {
                    "id": f"{nic_id}/ipConfigurations/c",
                    "name": "c",
                    "properties": {
                        "subnet": {"id": subnet_id},
                        "privateIPAddress": ip,
                        **(
                            {"privateLinkConnectionProperties": {"groupId": group, "fqdns": fqdns}}
                            if fqdns
                            else {}
                        ),
                    },
                }
            ],
        },
    }
    return [pe, nic]


def zone(name: str, sub: str = SUB) -> dict[str, Any]:
    return {
        "id": rid("rg-dns", f"Microsoft.Network/privateDnsZones/{name}", sub),
        "name": name,
        "type": "microsoft.network/privatednszones",
        "location": "global",
        "properties": {},
    }


def link(zone_row: dict[str, Any], vnet_id: str) -> dict[str, Any]:
    name = f"link-{vnet_id.rsplit('/', 1)[-1]}"
    return {
        "id": f"{zone_row['id']}/virtualNetworkLinks/{name}",
        "name": name,
        "type": "microsoft.network/privatednszones/virtualnetworklinks",
        "properties": {
            "virtualNetwork": {"id": vnet_id},
            "registrationEnabled": False,
            "virtualNetworkLinkState": "Completed",
        },
    }


def zone_group(pe_row: dict[str, Any], *zones: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{pe_row['id']}/privateDnsZoneGroups/default",
        "name": "default",
        "type": "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
        "properties": {
            "privateDnsZoneConfigs": [
                {"name": z["name"], "properties": {"privateDnsZoneId": z["id"]}} for z in zones
            ]
        },
    }


def a_record(zone_row: dict[str, Any], name: str, ip: str) -> dict[str, Any]:
    return {
        "id": f"{zone_row['id']}/A/{name}",
        "name": name,
        "type": "microsoft.network/privatednszones/a",
        "properties": {
            "fqdn": f"{name}.{zone_row['name']}.",
            "ttl": 10,
            "aRecords": [{"ipv4Address": ip}],
        },
    }
