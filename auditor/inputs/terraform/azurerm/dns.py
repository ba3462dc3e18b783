"""azurerm mappers: private DNS zones, their VNet links and records, private endpoints
(with their DNS zone groups) and the DNS Private Resolver family.

What Terraform cannot know before ``apply`` stays unknown, never invented:

* A private endpoint's private IP is allocated at apply unless an ``ip_configuration``
  block makes it static.
* A zone group writes its A records at apply. The zone group row (a separate
  ``privateDnsZoneGroups`` row, as Resource Graph / ARM give it) lists, per zone, the
  record sets it will write where their names follow from the target (a storage
  account's, key vault's or registry's name), each with the endpoint's static IP or an
  :class:`UnknownValue`. An AML workspace's names carry its GUID, known only after
  apply: its record sets are left out (the names are unknown).

So which VNets must be linked to a zone (MLA-DNS-001), which zone an endpoint's group
ids need (MLA-DNS-002) and whether it has a zone group at all (MLA-DNS-003) are judged
as on a live estate; what a zone answers (stale or missing records, MLA-DNS-005) is
unknown until apply. A Terraform input holds every collection a rule may need but
``dnsresources`` (:data:`TERRAFORM_COLLECTIONS`): the records a zone group writes are not
in the configuration, and the zone may hold records written outside it.

A VNet link Terraform creates is taken as Azure reports it once created,
``virtualNetworkLinkState: Completed``: the provider waits for the link's creation to
finish, so a plan that applies yields a completed link (MLA-DNS-006 has nothing to judge).
"""

from __future__ import annotations

from typing import Any

from .... import arm
from ....clouds import CLOUDS
from ....collections import DNS_RECORDS, NEEDABLE
from ....unknown import UnknownValue, is_unknown
from ..resources import TfResource
from . import MapContext, Row, maps
from .paas import base_row, blocks, enabled, known_str, prune, strings, unknown_blocks

# The collections a Terraform input holds completely (see the module docstring): never
# Azure's own verdicts (policy states, assessments), which no configuration holds.
TERRAFORM_COLLECTIONS: tuple[str, ...] = tuple(n for n in NEEDABLE if n != DNS_RECORDS)

ZONE = "microsoft.network/privatednszones"
ZONE_GROUP = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"


def _rg_row(ctx: MapContext, r: TfResource, arm_type: str, props: dict[str, Any]) -> Row:
    return base_row(ctx, r, arm_type, props, loc="global")


# -- zones, links, records ---------------------------------------------------------------
@maps("azurerm_private_dns_zone")
def zone(r: TfResource, ctx: MapContext) -> None:
    ctx.add_row(r, _rg_row(ctx, r, ZONE, {}))


@maps("azurerm_private_dns_zone_virtual_network_link")
def zone_link(r: TfResource, ctx: MapContext) -> None:
    props = prune(
        {
            "virtualNetwork": {"id": r.get("virtual_network_id")},
            "registrationEnabled": ctx.value(r, "registration_enabled"),
            "resolutionPolicy": r.get("resolution_policy"),
            # what Azure reports once the link exists; the provider waits for it
            "virtualNetworkLinkState": "Completed",
        }
    )
    ctx.add_row(
        r,
        _rg_row(ctx, r, f"{ZONE}/virtualnetworklinks", props),
        lines={
            "properties.virtualNetwork": "virtual_network_id",
            "properties.virtualNetwork.id": "virtual_network_id",
            "properties.registrationEnabled": "registration_enabled",
            "properties.resolutionPolicy": "resolution_policy",
        },
    )


def _fqdn(r: TfResource, zone_name: Any) -> str:
    name = r.get("name")
    label = str(name).lower() if known_str(name) else "{" + r.address + "}"
    z = str(zone_name).lower().rstrip(".") if known_str(zone_name) else "{zone}"
    return (z if label == "@" else f"{label}.{z}") + "."


@maps("azurerm_private_dns_a_record")
def a_record(r: TfResource, ctx: MapContext) -> None:
    props = {
        "fqdn": _fqdn(r, r.get("zone_name")),
        "ttl": r.get("ttl"),
        "aRecords": [{"ipv4Address": ip} for ip in strings(r.get("records"))],
    }
    ctx.add_row(r, _rg_row(ctx, r, f"{ZONE}/a", props), lines={"properties.aRecords": "records"})
    endpoints = [
        ref
        for ref in r.references.get("records", [])
        if ref.startswith("azurerm_private_endpoint.")
    ]
    if endpoints and any(is_unknown(ip) for ip in strings(r.get("records"))):
        # live, the record would be matched to the endpoint by its IP; before apply the IP
        # is unknown, and only zone groups say which zones an endpoint registers in
        ctx.gaps.append(
            f"{r.address}: an A record at the private IP of {', '.join(sorted(endpoints))}, "
            "known only after apply: the endpoint is not taken to register in zone "
            f"{r.get('zone_name')} (use a private_dns_zone_group), so the VNets that must "
            "resolve it are not judged from this record"
        )


@maps("azurerm_private_dns_aaaa_record")
def aaaa_record(r: TfResource, ctx: MapContext) -> None:
    props = {
        "fqdn": _fqdn(r, r.get("zone_name")),
        "ttl": r.get("ttl"),
        "aaaaRecords": [{"ipv6Address": ip} for ip in strings(r.get("records"))],
    }
    ctx.add_row(
        r, _rg_row(ctx, r, f"{ZONE}/aaaa", props), lines={"properties.aaaaRecords": "records"}
    )


@maps("azurerm_private_dns_cname_record")
def cname_record(r: TfResource, ctx: MapContext) -> None:
    props = {
        "fqdn": _fqdn(r, r.get("zone_name")),
        "ttl": r.get("ttl"),
        "cnameRecord": {"cname": r.get("record")},
    }
    ctx.add_row(
        r, _rg_row(ctx, r, f"{ZONE}/cname", props), lines={"properties.cnameRecord": "record"}
    )


# -- private endpoints and their zone groups ----------------------------------------------
def _zones_of(group_id: str) -> set[str]:
    """Every zone name a group id uses, in any cloud."""
    return {z for c in CLOUDS.values() for z in c.zones.get(group_id.lower(), ())}


def _record_labels(ctx: MapContext, target: Any, group_id: Any, zone_name: str) -> list[str]:
    """The record set names a zone group writes in ``zone_name`` for one target and group
    id, where they follow from the target's name; [] where they do not (an AML
    workspace's names carry its GUID, known only after apply) or the zone is not one the
    group id registers in."""
    if not (known_str(target) and known_str(group_id)) or "{" in target:
        return []
    gid = group_id.lower()
    if zone_name.lower().rstrip(".") not in _zones_of(gid):
        return []
    name = arm.last_name(target).lower()
    ttype = arm.arm_type(target)
    if ttype == "microsoft.storage/storageaccounts" and gid.removesuffix("_secondary") in (
        "blob",
        "file",
        "queue",
        "table",
        "dfs",
        "web",
    ):
        return [f"{name}-secondary" if gid.endswith("_secondary") else name]
    if ttype == "microsoft.keyvault/vaults" and gid == "vault":
        return [name]
    if ttype == "microsoft.containerregistry/registries" and gid == "registry":
        labels = [name]
        row = ctx.row(target)
        loc = row.get("location") if row else None
        if known_str(loc):  # the data endpoint of the registry's home region
            labels.append(f"{name}.{loc}.data")
        return labels
    return []


def _known_ips(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(known_str(v) for v in value)


def _static_ip(ip_configs: list[dict[str, Any]], group_id: Any, label: str) -> Any:
    """The static IP an ip_configuration gives the endpoint for this group id (and, for a
    registry's data endpoint, its member), else None."""
    matching = [c for c in ip_configs if str(c.get("subresource_name") or "") == str(group_id)]
    if len(matching) == 1:
        return matching[0].get("private_ip_address")
    for c in matching:
        member = str(c.get("member_name") or "")
        if member and (label.endswith(".data") == (member != group_id)):
            return c.get("private_ip_address")
    return None


@maps("azurerm_private_endpoint", phase=2)  # after the targets: a registry's region
def private_endpoint(r: TfResource, ctx: MapContext) -> None:
    pe_id = ctx.id_of(r)
    auto: list[dict[str, Any]] = []
    manual: list[dict[str, Any]] = []
    targets: list[tuple[Any, Any]] = []  # (target id, group id)
    for c in blocks(r, "private_service_connection"):
        is_manual = c.get("is_manual_connection")
        target = c.get("private_connection_resource_id")
        if target is None and c.get("private_connection_resource_alias") is not None:
            target = UnknownValue(
                f"{r.address}: the resource behind private link service alias "
                f"{c.get('private_connection_resource_alias')!r} is known only after apply"
            )
        groups = strings(c.get("subresource_names"))
        if is_unknown(is_manual):
            status: Any = is_manual
        else:
            # auto-approval: the apply fails unless the caller may approve, so an endpoint
            # that exists is Approved; a manual one waits for the owner
            status = "Pending" if is_manual else "Approved"
        name = c.get("name")
        segment = (
            "manualPrivateLinkServiceConnections" if is_manual else "privateLinkServiceConnections"
        )
        entry = {
            "id": f"{pe_id}/{segment}/{name if known_str(name) else '{connection}'}",
            "name": name,
            "properties": prune(
                {
                    "privateLinkServiceId": target,
                    "groupIds": groups,
                    "requestMessage": c.get("request_message"),
                    "privateLinkServiceConnectionState": {
                        "status": status,
                        "description": "Awaiting approval" if status == "Pending" else "",
                        "actionsRequired": "None",
                    },
                }
            ),
        }
        (manual if is_manual is True else auto).append(entry)
        targets.extend((target, g) for g in groups)
    ip_configs = blocks(r, "ip_configuration")
    # a dynamic connection block over a collection without a value: which connections
    # (and whether manual, Pending) is unknown, not none
    conns_unknown = unknown_blocks(r, "private_service_connection")
    props = prune(
        {
            "subnet": {"id": r.get("subnet_id")},
            "privateLinkServiceConnections": conns_unknown or auto,
            "manualPrivateLinkServiceConnections": conns_unknown or manual,
            "customNetworkInterfaceName": r.get("custom_network_interface_name"),
            # a plan's existing endpoint exports what Azure gave it (absent in HCL)
            "customDnsConfigs": [
                {"fqdn": c.get("fqdn"), "ipAddresses": c.get("ip_addresses")}
                for c in blocks(r, "custom_dns_configs")
                if known_str(c.get("fqdn")) and _known_ips(c.get("ip_addresses"))
            ]
            or None,
            "ipConfigurations": [
                {
                    "name": c.get("name"),
                    "properties": prune(
                        {
                            "groupId": c.get("subresource_name"),
                            "memberName": c.get("member_name") or c.get("subresource_name"),
                            "privateIPAddress": c.get("private_ip_address"),
                        }
                    ),
                }
                for c in ip_configs
            ]
            or None,
        }
    )
    ctx.add_row(
        r,
        base_row(ctx, r, "microsoft.network/privateendpoints", props),
        lines={
            "properties.subnet": "subnet_id",
            "properties.subnet.id": "subnet_id",
            "properties.privateLinkServiceConnections": "private_service_connection",
            "properties.manualPrivateLinkServiceConnections": "private_service_connection",
            "properties.ipConfigurations": "ip_configuration",
        },
    )
    exported = [c.get("private_ip_address") for c in blocks(r, "private_service_connection")]
    exported_ip = exported[0] if len(exported) == 1 and known_str(exported[0]) else None
    for group in blocks(r, "private_dns_zone_group"):
        _zone_group(ctx, r, pe_id, group, targets, ip_configs, exported_ip)
    if (unknown := unknown_blocks(r, "private_dns_zone_group")) is not None:
        # a dynamic zone group over a collection without a value: whether the endpoint has
        # one, and which zones it names, is unknown (not "no zone group", MLA-DNS-003)
        gid = f"{pe_id}/privateDnsZoneGroups/{{{r.address} private_dns_zone_group}}"
        _add_zone_group_row(ctx, r, gid, unknown, "private_dns_zone_group")


def _zone_group(
    ctx: MapContext,
    r: TfResource,
    pe_id: str,
    group: dict[str, Any],
    targets: list[tuple[Any, Any]],
    ip_configs: list[dict[str, Any]],
    exported_ip: Any,
) -> None:
    """The zone group as the separate row ARM lists under the endpoint."""
    name = group.get("name")
    gid = f"{pe_id}/privateDnsZoneGroups/{name if known_str(name) else '{zone group}'}"
    configs = []
    for zid in strings(group.get("private_dns_zone_ids")):
        zone_name = arm.last_name(zid) if known_str(zid) else None
        record_sets = []
        for target, group_id in targets if zone_name else ():
            for label in _record_labels(ctx, target, group_id, zone_name or ""):
                ip = _static_ip(ip_configs, group_id, label)
                if ip is None and len(targets) == 1 and not label.endswith(".data"):
                    ip = exported_ip  # a plan's existing endpoint: its current IP
                record_sets.append(
                    {
                        "recordType": "A",
                        "recordSetName": label,
                        "fqdn": f"{label}.{zone_name}",
                        "ttl": 10,
                        "ipAddresses": [ip]
                        if known_str(ip)
                        else UnknownValue(
                            f"{r.address}: the private IP Azure allocates to the endpoint "
                            "is known only after apply (no static ip_configuration)"
                        ),
                    }
                )
        configs.append(
            {
                "name": zone_name,  # the provider names each config after its zone
                "properties": prune({"privateDnsZoneId": zid, "recordSets": record_sets or None}),
            }
        )
    _add_zone_group_row(ctx, r, gid, configs, "private_dns_zone_group.0.private_dns_zone_ids")


def _add_zone_group_row(
    ctx: MapContext, r: TfResource, gid: str, configs: Any, attribute: str
) -> None:
    """The endpoint's zone group row as ARM lists it, its configs decided by ``attribute``."""
    row = {
        "id": gid,
        "name": arm.last_name(gid),
        "type": ZONE_GROUP,
        "resourceGroup": arm.segment(gid, "resourceGroups") or "",
        "subscriptionId": arm.segment(gid, "subscriptions") or ctx.subscription(r),
        "properties": {"privateDnsZoneConfigs": configs},
    }
    ctx.add_row(r, row, lines={"properties.privateDnsZoneConfigs": attribute})


# -- DNS Private Resolver ------------------------------------------------------------------
RESOLVER = "microsoft.network/dnsresolvers"
RULESET = "microsoft.network/dnsforwardingrulesets"


@maps("azurerm_private_dns_resolver")
def resolver(r: TfResource, ctx: MapContext) -> None:
    props = {"virtualNetwork": {"id": r.get("virtual_network_id")}}
    ctx.add_row(
        r,
        base_row(ctx, r, RESOLVER, props),
        lines={"properties.virtualNetwork": "virtual_network_id"},
    )


@maps("azurerm_private_dns_resolver_inbound_endpoint")
def inbound_endpoint(r: TfResource, ctx: MapContext) -> None:
    """An inbound endpoint's IP is the DNS server VNets name; a dynamic one is known only
    after apply and is left out (so no VNet's server is taken to be it)."""
    configs = []
    for c in blocks(r, "ip_configurations"):
        method = c.get("private_ip_allocation_method") or "Dynamic"
        configs.append(
            prune(
                {
                    "subnet": {"id": c.get("subnet_id")},
                    "privateIpAllocationMethod": method,
                    "privateIpAddress": c.get("private_ip_address") if method == "Static" else None,
                }
            )
        )
    ctx.add_row(
        r,
        base_row(ctx, r, f"{RESOLVER}/inboundendpoints", {"ipConfigurations": configs}),
        lines={"properties.ipConfigurations": "ip_configurations"},
    )


@maps("azurerm_private_dns_resolver_outbound_endpoint")
def outbound_endpoint(r: TfResource, ctx: MapContext) -> None:
    props = {"subnet": {"id": r.get("subnet_id")}}
    ctx.add_row(
        r,
        base_row(ctx, r, f"{RESOLVER}/outboundendpoints", props),
        lines={"properties.subnet": "subnet_id"},
    )


@maps("azurerm_private_dns_resolver_dns_forwarding_ruleset")
def forwarding_ruleset(r: TfResource, ctx: MapContext) -> None:
    props = {
        "dnsResolverOutboundEndpoints": [
            {"id": i} for i in strings(r.get("private_dns_resolver_outbound_endpoint_ids"))
        ]
    }
    ctx.add_row(r, base_row(ctx, r, RULESET, props))


@maps("azurerm_private_dns_resolver_forwarding_rule")
def forwarding_rule(r: TfResource, ctx: MapContext) -> None:
    state = r.get("enabled")
    props = prune(
        {
            "domainName": r.get("domain_name"),
            "forwardingRuleState": enabled(state if state is not None else True),
            "targetDnsServers": [
                prune({"ipAddress": t.get("ip_address"), "port": t.get("port") or 53})
                for t in blocks(r, "target_dns_servers")
            ],
        }
    )
    row = base_row(ctx, r, f"{RULESET}/forwardingrules", props)
    row.pop("location", None)
    ctx.add_row(
        r,
        row,
        lines={
            "properties.domainName": "domain_name",
            "properties.targetDnsServers": "target_dns_servers",
            "properties.forwardingRuleState": "enabled",
        },
    )


@maps("azurerm_private_dns_resolver_virtual_network_link")
def ruleset_link(r: TfResource, ctx: MapContext) -> None:
    props = {"virtualNetwork": {"id": r.get("virtual_network_id")}}
    row = base_row(ctx, r, f"{RULESET}/virtualnetworklinks", props)
    row.pop("location", None)
    ctx.add_row(r, row, lines={"properties.virtualNetwork": "virtual_network_id"})


__all__ = ["TERRAFORM_COLLECTIONS"]
