"""azurerm mappers: network (see __init__.py).

Each mapper builds the row Resource Graph gives for the resource Azure would create: the
VNet row embeds its subnets and peerings, the NSG row its rules (Azure's six default rules
included), the NIC row its IP configurations. Separate Terraform resources fold into those
rows as ARM holds them (``azurerm_subnet`` into its VNet, an NSG association into the
subnet or NIC, ``azurerm_network_security_rule`` into its NSG, a peering into its local VNet,
load balancer rules and pools into the load balancer). What Azure fills in on one resource
from another (a public IP's ``ipConfiguration``, an NSG's ``subnets``, a peering's state)
is filled in when every phase is done.

A value the configuration cannot know stays an :class:`UnknownValue`: a dynamic private IP,
a public IP's address, a peering's state when the remote VNet is not in the configuration.
"""

from __future__ import annotations

import weakref
from typing import Any

from .... import arm
from ....unknown import UnknownValue, contains_unknown
from ..resources import TfResource
from . import MapContext, Row, finishes, maps
from . import defaults as _defaults

VNET = "microsoft.network/virtualnetworks"
SUBNET = "Microsoft.Network/virtualNetworks/subnets"
NSG = "microsoft.network/networksecuritygroups"
NIC = "microsoft.network/networkinterfaces"
PEERING = "microsoft.network/virtualnetworks/virtualnetworkpeerings"
PIP = "microsoft.network/publicipaddresses"
_ABSENT = object()


# -- what the mapping remembers between resources -------------------------------------------
class _State:
    """Per mapping run: embedded entries by key, and what Azure fills in at the end."""

    def __init__(self) -> None:
        self.subnets: dict[str, dict[str, Any]] = {}  # subnet key -> entry in its VNet row
        self.peerings: list[tuple[str, str, dict[str, Any]]] = []  # (local, remote, entry)
        self.pip_configs: list[tuple[str, str]] = []  # (public IP id, IP configuration id)
        self.backrefs: list[tuple[str, str, str]] = []  # (row id, list property, entry id)
        # inline lists a plan leaves unknown (azurerm computes them from the separate child
        # resources): (row, property, unknown, resource address); see ``_computed``
        self.computed: dict[tuple[str, str], tuple[Row, UnknownValue, str]] = {}
        # who set a subnet's NSG / route table / NAT gateway: subnet key -> property ->
        # [(address, value, whether a definition of the subnet rather than an
        # association)], and the subnets two resources define (see _subnet_conflicts)
        self.setters: dict[str, dict[str, list[tuple[str, Any, bool]]]] = {}
        self.defined_twice: dict[str, dict[str, Any]] = {}
        self.unknown_backrefs: list[tuple[str, str, UnknownValue]] = []  # (row, list, why)
        self.by_address: dict[str, str] | None = None  # Terraform address -> row id
        # NSG rules / routes given both inline and as separate resources (see _mixed_lists):
        # (row key, property) -> (parent address, [child addresses]); inline: the parents
        # with inline blocks
        self.inline: dict[tuple[str, str], str] = {}
        self.mixed: dict[tuple[str, str], tuple[Row, str, list[str]]] = {}


_STATES: weakref.WeakKeyDictionary[MapContext, _State] = weakref.WeakKeyDictionary()


def _state(ctx: MapContext) -> _State:
    found = _STATES.get(ctx)
    if found is None:
        found = _STATES[ctx] = _State()
    return found


# -- small helpers --------------------------------------------------------------------------
def _set(value: Any) -> bool:
    """Whether an attribute is set: plan JSON writes an unset string as "" and an unset
    list as []."""
    return value is not None and value != "" and value != []


def _flag(value: Any) -> Any:
    """A boolean property: an unknown stays unknown (``bool()`` of it would be True)."""
    return value if type(value) is UnknownValue else bool(value)


def _attr(r: TfResource, *paths: str) -> Any:
    """The first of ``paths`` that is set (the spellings of one attribute across azurerm
    majors), else None."""
    for path in paths:
        value = r.get(path)
        if _set(value):
            return value
    return None


def _first_path(r: TfResource, *paths: str) -> str:
    """The first of ``paths`` that is set, for its line; else the first."""
    for path in paths:
        if _set(r.get(path)):
            return path
    return paths[0]


def _default(r: TfResource, ctx: MapContext, key: str) -> Any:
    """The provider's default for ``key`` (a defaults.yaml entry) of ``r``'s type."""
    return _defaults.default(r.type, key, ctx.provider)


def _value(r: TfResource, ctx: MapContext, path: str, key: str | None = None) -> Any:
    """``path`` as configured, else the default under ``key`` (``path`` when not given)."""
    got = r.get(path)
    if _set(got):
        return got
    return _default(r, ctx, key or path)


def _strings(value: Any) -> Any:
    """A list attribute as ARM holds it; a list with an unknown element is unknown as a
    whole (a reader must not take the known part for all of it)."""
    if type(value) is UnknownValue:
        return value
    if not isinstance(value, list | tuple):  # no list (a misconfiguration): kept as data,
        return [] if value is None or value == "" else value  # the readers say unreadable
    if (hole := contains_unknown(value)) is not None:
        return hole
    return list(value)


def _ref(value: Any) -> dict[str, Any] | None:
    """An ARM reference ``{"id": …}``; None when unset (an unknown stays inside)."""
    return {"id": value} if _set(value) else None


def _refs(value: Any) -> Any:
    """A list of references; an unknown list stays unknown."""
    if type(value) is UnknownValue or not isinstance(value, list | tuple):
        return [] if value is None else value  # unknown, or no list: kept as data
    return [{"id": v} for v in value if _set(v)]


def _name(r: TfResource, rid: str) -> Any:
    name = r.get("name")
    return name if isinstance(name, str) and name else arm.last_name(rid)


def _location(value: Any) -> Any:
    """Resource Graph spells a location in lower case without spaces (``westeurope``)."""
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def _rg(r: TfResource) -> Any:
    rg = r.get("resource_group_name")
    return rg if _set(rg) else None


def _tags(r: TfResource) -> Any:
    tags = r.get("tags")
    return tags if isinstance(tags, dict) or type(tags) is UnknownValue else {}


def _base(r: TfResource, ctx: MapContext, rtype: str, **extra: Any) -> Row:
    """The fields every Resource Graph row has."""
    rid = ctx.id_of(r)
    row: Row = {
        "id": rid,
        "name": _name(r, rid),
        "type": rtype,
        "kind": None,
        "location": _location(r.get("location")),
        "resourceGroup": _rg(r),
        "subscriptionId": ctx.subscription(r),
        "sku": None,
        "identity": None,
        "tags": _tags(r),
        "properties": {},
    }
    row.update(extra)
    return row


def _blocks(r: TfResource, path: str) -> list[tuple[int, dict[str, Any]]]:
    """The nested blocks at ``path`` with their indexes (an unknown block list: none; the
    caller records it)."""
    value = r.get(path)
    if not isinstance(value, list):
        return []
    return [(i, b) for i, b in enumerate(value) if isinstance(b, dict)]


def _get(block: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = block.get(key)
        if _set(value):
            return value
    return None


def _child(parent_id: str, segment: str, name: Any, r: TfResource | str, what: str) -> str:
    """A child's id; a name the configuration cannot tell is ``{<address> <what>}``, as
    ids.py spells unknown parts (``r`` a resource, or the address to use)."""
    if not (isinstance(name, str) and name):
        address = r if isinstance(r, str) else r.address
        name = "{" + f"{address} {what}" + "}"
    return f"{parent_id}/{segment}/{name}"


def _gap(ctx: MapContext, r: TfResource, why: str) -> None:
    ctx.gaps.append(f"{r.address}: {why}")


def _computed(ctx: MapContext, r: TfResource, row: Row, field: str, unknown: UnknownValue) -> None:
    """An inline list a plan leaves unknown: azurerm computes ``subnet`` / ``security_rule``
    / ``route`` from the separate child resources when none is configured inline (the two
    ways are not to be mixed). The children that fold in make the list; when none does, the
    list stays unknown (``_unknown_lists``)."""
    _state(ctx).computed[(arm.key(row["id"]), field)] = (row, unknown, r.address)


def _children(
    ctx: MapContext, row: Row, field: str, child: TfResource | None = None
) -> list[Any] | None:
    """The list a separate child resource folds into (a computed list it now makes known)."""
    state = _state(ctx)
    key = (arm.key(row["id"]), field)
    state.computed.pop(key, None)
    if child is not None and key in state.inline:
        state.mixed.setdefault(key, (row, state.inline[key], []))[2].append(child.address)
    found = row["properties"].setdefault(field, [])
    return found if isinstance(found, list) else None


@finishes
def _unknown_lists(ctx: MapContext) -> None:
    """A computed inline list no separate child made known stays unknown (a gap says so)."""
    for (_, field), (row, unknown, address) in _state(ctx).computed.items():
        row["properties"][field] = unknown
        ctx.gaps.append(f"{address}: its {field} are unknown ({unknown.reason})")


def _unknown_blocks(r: TfResource, path: str) -> UnknownValue | None:
    """The blocks at ``path`` when they are unknown as a whole (a dynamic block over an
    unknown collection)."""
    value = r.get(path)
    if type(value) is UnknownValue:
        return value
    return None


def _parent_row(
    ctx: MapContext,
    r: TfResource,
    parent_id: Any,
    what: str,
    rtype: str,
    via: str | None = None,
) -> Row | None:
    """The row ``r`` folds into; a gap (its settings are not mapped) when the parent is
    not in the configuration or its id is unknown. ``via``: the attribute naming the parent
    (``virtual_network_name``): when the parent's id cannot be told (its name or resource
    group comes from a variable without a value) but that attribute is the name of one
    resource of the configuration (``azurerm_virtual_network.v.name``), that resource is
    the parent (Azure puts a child in its parent's resource group)."""
    row = ctx.row(parent_id)
    if row is not None and str(row.get("type", "")).lower() == rtype:
        return row
    if via is not None and (row := _referenced_row(ctx, r, via, rtype)) is not None:
        return row
    if type(parent_id) is UnknownValue:
        _gap(ctx, r, f"its {what} is unknown ({parent_id.reason}), so it is not mapped")
    elif isinstance(parent_id, str) and "{" in parent_id:
        _gap(ctx, r, f"its {what}'s name is unknown ({parent_id}), so it is not mapped")
    else:
        _gap(ctx, r, f"its {what} {parent_id} is not in the configuration, so it is not mapped")
    return None


def _referenced_row(ctx: MapContext, r: TfResource, attr: str, rtype: str) -> Row | None:
    """The row of the one resource whose attribute ``attr`` of ``r`` is
    (``virtual_network_name = azurerm_virtual_network.v.name``), if it is of ``rtype``."""
    refs = r.references.get(attr) or []
    if len(refs) != 1 or refs[0].startswith(("var.", "local.", "data.", "module.")):
        return None
    address = f"{r.module}.{refs[0]}" if r.module else refs[0]
    state = _state(ctx)
    if state.by_address is None:
        state.by_address = {o.address: rid for rid, o in ctx.origins.items()}
    row = ctx.row(state.by_address.get(address))
    if row is not None and str(row.get("type", "")).lower() == rtype:
        return row
    return None


# -- virtual networks and subnets -----------------------------------------------------------
def _prefixes(props: dict[str, Any], one: Any, many: Any) -> None:
    """ARM writes one prefix as ``addressPrefix`` and several as ``addressPrefixes``."""
    value = many if _set(many) else ([one] if _set(one) else None)
    value = contains_unknown(value) or value
    if type(value) is UnknownValue:
        props["addressPrefix"] = value
    elif isinstance(value, list) and len(value) == 1:
        props["addressPrefix"] = value[0]
    elif isinstance(value, list):
        props["addressPrefixes"] = list(value)
    elif value is not None:  # no list (a misconfiguration): kept as data, read as unreadable
        props["addressPrefix"] = value


def _policies(ctx: MapContext, block: dict[str, Any], tf_type: str, prefix: str) -> Any:
    """privateEndpointNetworkPolicies from the 4.x string, the 3.x boolean or the 2.x/3.x
    inverted ``enforce_…`` boolean; else the provider's default for the admitted majors
    (Enabled in 2.x/3.x, Disabled in 4.x)."""
    policies = block.get("private_endpoint_network_policies")
    if _set(policies):
        return policies
    enabled = block.get("private_endpoint_network_policies_enabled")
    if type(enabled) is UnknownValue:
        return enabled
    if isinstance(enabled, bool):
        return "Enabled" if enabled else "Disabled"
    enforce = block.get("enforce_private_link_endpoint_network_policies")
    if type(enforce) is UnknownValue:
        return enforce
    if isinstance(enforce, bool):
        return "Disabled" if enforce else "Enabled"  # true *disables* the policies
    return _defaults.default(tf_type, f"{prefix}private_endpoint_network_policies", ctx.provider)


def _link_policies(block: dict[str, Any]) -> Any:
    enabled = block.get("private_link_service_network_policies_enabled")
    if type(enabled) is UnknownValue:
        return enabled
    if isinstance(enabled, bool):
        return "Enabled" if enabled else "Disabled"
    enforce = block.get("enforce_private_link_service_network_policies")
    if type(enforce) is UnknownValue:
        return enforce
    if isinstance(enforce, bool):
        return "Disabled" if enforce else "Enabled"
    return "Enabled"  # every major: true (2.x/3.x: enforce false)


def _delegations(subnet_id: str, blocks: Any) -> Any:
    if type(blocks) is UnknownValue or not isinstance(blocks, list):
        return [] if blocks is None else blocks  # unknown, or no list: kept as data
    out = []
    for d in blocks:
        if not isinstance(d, dict):
            continue
        service = d.get("service_delegation")
        service = service[0] if isinstance(service, list) and service else service
        service = service if isinstance(service, dict) else {}
        out.append(
            {
                "id": _child(subnet_id, "delegations", d.get("name"), subnet_id, "delegation"),
                "name": d.get("name"),
                "properties": {
                    "serviceName": service.get("name"),
                    "actions": service.get("actions") or [],
                },
            }
        )
    return out


def _service_endpoints(value: Any, location: Any) -> Any:
    """``service_endpoints = ["Microsoft.Storage"]`` (2.x-4.x) or 4.x inline
    ``service_endpoint { service = … }`` blocks."""
    if type(value) is UnknownValue or not isinstance(value, list):
        return [] if value is None else value  # unknown, or no list: kept as data
    out = []
    for v in value:
        service = v.get("service") if isinstance(v, dict) else v
        if _set(service):
            entry: dict[str, Any] = {"service": service}
            if isinstance(location, str):
                entry["locations"] = [location]
            out.append(entry)
    return out


def _subnet_entry(
    r: TfResource, ctx: MapContext, sid: str, name: Any, block: dict[str, Any], location: Any
) -> dict[str, Any]:
    props: dict[str, Any] = {}
    _prefixes(props, block.get("address_prefix"), block.get("address_prefixes"))
    if _set(nsg := block.get("security_group") or block.get("network_security_group_id")):
        props["networkSecurityGroup"] = {"id": nsg}
        if isinstance(nsg, str):
            _state(ctx).backrefs.append((nsg, "subnets", sid))
    if _set(rt := block.get("route_table_id")):
        props["routeTable"] = {"id": rt}
        if isinstance(rt, str):
            _state(ctx).backrefs.append((rt, "subnets", sid))
    endpoints = block.get("service_endpoints")
    if not _set(endpoints):
        endpoints = block.get("service_endpoint")
    props["serviceEndpoints"] = _service_endpoints(endpoints, location)
    props["delegations"] = _delegations(sid, block.get("delegation"))
    inline = r.type == "azurerm_virtual_network"  # an inline subnet block's defaults
    props["privateEndpointNetworkPolicies"] = _policies(
        ctx, block, r.type, "subnet." if inline else ""
    )
    props["privateLinkServiceNetworkPolicies"] = _link_policies(block)
    outbound = block.get("default_outbound_access_enabled")
    if isinstance(outbound, bool) or type(outbound) is UnknownValue:
        props["defaultOutboundAccess"] = outbound
    setters = _state(ctx).setters.setdefault(arm.key(sid), {})
    for prop in _SUBNET_REFS:
        setters.setdefault(prop, []).append((r.address, (props.get(prop) or {}).get("id"), True))
    return {"id": sid, "name": name, "type": SUBNET, "properties": props}


_SUBNET_REFS = ("networkSecurityGroup", "routeTable", "natGateway")


_SUBNET_LINES = {
    "properties.addressPrefix": ("address_prefixes", "address_prefix"),
    "properties.addressPrefixes": ("address_prefixes",),
    "properties.networkSecurityGroup": ("security_group",),
    "properties.routeTable": ("route_table_id",),
    "properties.serviceEndpoints": ("service_endpoints", "service_endpoint"),
    "properties.delegations": ("delegation",),
    "properties.privateEndpointNetworkPolicies": (
        "private_endpoint_network_policies",
        "private_endpoint_network_policies_enabled",
        "enforce_private_link_endpoint_network_policies",
    ),
    "properties.defaultOutboundAccess": ("default_outbound_access_enabled",),
}


def _subnet_lines(r: TfResource, prefix: str) -> dict[str, str]:
    out = {}
    for arm_path, tf_paths in _SUBNET_LINES.items():
        for p in tf_paths:
            if f"{prefix}{p}" in r.lines:
                out[arm_path] = f"{prefix}{p}"
                break
    return out


@maps("azurerm_virtual_network")
def virtual_network(r: TfResource, ctx: MapContext) -> None:
    row = _base(r, ctx, VNET)
    vid = row["id"]
    props = row["properties"]
    props["addressSpace"] = {"addressPrefixes": _strings(r.get("address_space"))}
    props["dhcpOptions"] = {"dnsServers": _strings(r.get("dns_servers"))}
    if "dns_servers" in r.lines:  # written in the configuration (see security_rule)
        _state(ctx).inline[(arm.key(vid), "dnsServers")] = r.address
    props["subnets"] = []
    props["virtualNetworkPeerings"] = []
    props["enableDdosProtection"] = _flag(_attr(r, "ddos_protection_plan.0.enable"))
    lines = {
        "properties.addressSpace": "address_space",
        "properties.dhcpOptions": "dns_servers",
        "properties.enableDdosProtection": "ddos_protection_plan",
    }
    state = _state(ctx)
    inline = r.get("subnet")
    if type(inline) is UnknownValue:
        _computed(ctx, r, row, "subnets", inline)
    for i, block in _blocks(r, "subnet"):
        sid = _child(vid, "subnets", block.get("name"), r, f"subnet.{i}.name")
        entry = _subnet_entry(r, ctx, sid, block.get("name"), block, row["location"])
        props["subnets"].append(entry)
        state.subnets[arm.key(sid)] = entry
        ctx.add_embedded(r, sid, _subnet_lines(r, f"subnet.{i}."), block=f"subnet.{i}")
    ctx.add_row(r, row, lines)


@maps("azurerm_virtual_network_dns_servers", phase=2)
def virtual_network_dns_servers(r: TfResource, ctx: MapContext) -> None:
    vnet = _parent_row(ctx, r, r.get("virtual_network_id"), "virtual_network_id", VNET)
    if vnet is None:
        return
    inline = _state(ctx).inline.get((arm.key(vnet["id"]), "dnsServers"))
    if inline is not None:
        # the VNet's own dns_servers and this resource write over each other on apply
        why = UnknownValue(
            f"{inline} sets dns_servers and {r.address} sets them too; each apply of one"
            " overwrites the other"
        )
        vnet["properties"]["dhcpOptions"] = {"dnsServers": why}
        _gap(ctx, r, f"{why.reason}, so the VNet's DNS servers are unknown")
        return
    vnet["properties"]["dhcpOptions"] = {"dnsServers": _strings(r.get("dns_servers"))}
    ctx.note_lines(vnet["id"], r, {"properties.dhcpOptions": "dns_servers"})


@maps("azurerm_subnet", phase=2)
def subnet(r: TfResource, ctx: MapContext) -> None:
    """A subnet folds into its VNet row, where Resource Graph embeds it. A subnet of a VNet
    the configuration does not hold (an existing hub's, named by a variable or a data
    source) is a row of its own, as ``az network vnet subnet list`` gives it: the graph
    places it in that VNet (a placeholder), so its NSG and what sits in it are judged."""
    sid = ctx.id_of(r)
    key = arm.key(sid)
    state = _state(ctx)
    if key in state.subnets:
        _gap(ctx, r, f"a second resource defines subnet {sid}")
        _subnet_entry(r, ctx, sid, r.get("name"), r.values, None)  # records what it sets
        state.defined_twice[key] = state.subnets[key]
        return
    vnet = ctx.row(arm.parent(sid))
    if vnet is None and "{" not in arm.parent(sid):
        row = _subnet_entry(r, ctx, sid, r.get("name"), r.values, None)
        row.update(resourceGroup=_rg(r), subscriptionId=ctx.subscription(r))
        ctx.add_row(r, row, _subnet_lines(r, ""))
        state.subnets[key] = row
        return
    vnet = _parent_row(ctx, r, arm.parent(sid), "virtual network", VNET, "virtual_network_name")
    if vnet is None:
        return
    subnets = _children(ctx, vnet, "subnets")
    if subnets is None:
        _gap(ctx, r, "its VNet's subnets are no list, so it is not mapped")
        return
    entry = _subnet_entry(r, ctx, sid, r.get("name"), r.values, vnet.get("location"))
    subnets.append(entry)
    state.subnets[key] = entry
    ctx.add_embedded(r, sid, _subnet_lines(r, ""))


def _subnet_of(r: TfResource, ctx: MapContext) -> dict[str, Any] | None:
    sid = r.get("subnet_id")
    entry = _state(ctx).subnets.get(arm.key(sid)) if isinstance(sid, str) else None
    if entry is None:
        why = (
            f"its subnet_id is unknown ({sid.reason})"
            if type(sid) is UnknownValue
            else f"its subnet {sid} is not in the configuration"
        )
        _gap(ctx, r, f"{why}, so the association is not mapped")
    return entry


def _associate_subnet(
    r: TfResource, ctx: MapContext, attr: str, prop: str, rtype: str | None
) -> None:
    entry = _subnet_of(r, ctx)
    target = r.get(attr)
    if entry is None:
        _unplaced_attachment(r, ctx, target, "subnets", "subnet_id")
        return
    entry["properties"][prop] = {"id": target}
    setters = _state(ctx).setters.setdefault(arm.key(entry["id"]), {})
    setters.setdefault(prop, []).append((r.address, target, False))
    ctx.note_lines(entry["id"], r, {f"properties.{prop}": attr})
    if rtype is not None and isinstance(target, str):
        _state(ctx).backrefs.append((target, "subnets", entry["id"]))


def _unplaced_attachment(
    r: TfResource, ctx: MapContext, target: Any, field: str, attr: str
) -> None:
    """An association whose subnet (NIC) is not mapped still attaches its NSG (route
    table, NAT gateway) to something: the entry for it in the target's ``field`` is unknown,
    so the target is not judged "attached to nothing" (MLA-NSG-004)."""
    if isinstance(target, str):
        why = UnknownValue(
            f"{r.address} attaches it to {attr} {r.get(attr)!r}, which is not mapped"
        )
        _state(ctx).unknown_backrefs.append((target, field, why))


@maps("azurerm_subnet_network_security_group_association", phase=3)
def subnet_nsg_association(r: TfResource, ctx: MapContext) -> None:
    _associate_subnet(r, ctx, "network_security_group_id", "networkSecurityGroup", NSG)


@maps("azurerm_subnet_route_table_association", phase=3)
def subnet_route_table_association(r: TfResource, ctx: MapContext) -> None:
    _associate_subnet(r, ctx, "route_table_id", "routeTable", "routetable")


@maps("azurerm_subnet_nat_gateway_association", phase=3)
def subnet_nat_gateway_association(r: TfResource, ctx: MapContext) -> None:
    _associate_subnet(r, ctx, "nat_gateway_id", "natGateway", "natgateway")


# -- peerings -------------------------------------------------------------------------------
@maps("azurerm_virtual_network_peering", phase=2)
def virtual_network_peering(r: TfResource, ctx: MapContext) -> None:
    """A peering folds into its local VNet's ``virtualNetworkPeerings``; its state is
    decided when every peering is read (``_peering_states``)."""
    pid = ctx.id_of(r)
    vnet = ctx.row(arm.parent(pid))
    own_row = vnet is None and "{" not in arm.parent(pid)
    if not own_row:
        vnet = _parent_row(ctx, r, arm.parent(pid), "virtual network", VNET, "virtual_network_name")
        if vnet is None:
            return
    remote = r.get("remote_virtual_network_id")
    props: dict[str, Any] = {
        "remoteVirtualNetwork": {"id": remote},
        "allowVirtualNetworkAccess": _value(r, ctx, "allow_virtual_network_access"),
        "allowForwardedTraffic": _value(r, ctx, "allow_forwarded_traffic"),
        "allowGatewayTransit": _value(r, ctx, "allow_gateway_transit"),
        "useRemoteGateways": _value(r, ctx, "use_remote_gateways"),
    }
    complete = r.get("peer_complete_virtual_networks_enabled")
    if _set(complete):
        props["peerCompleteVnets"] = complete
    for attr, prop in (
        ("local_subnet_names", "localSubnetNames"),
        ("remote_subnet_names", "remoteSubnetNames"),
    ):
        if _set(names := r.get(attr)):
            props[prop] = names
    entry = {"id": pid, "name": _name(r, pid), "properties": props}
    remote_id = remote if isinstance(remote, str) else ""
    if own_row or vnet is None:  # the local VNet is not in the configuration: a row of its own
        entry.update(type=PEERING, resourceGroup=_rg(r), subscriptionId=ctx.subscription(r))
        ctx.add_row(
            r, entry, {"properties.allowVirtualNetworkAccess": "allow_virtual_network_access"}
        )
        _state(ctx).peerings.append((arm.parent(pid), remote_id, entry))
        return
    peerings = vnet["properties"].setdefault("virtualNetworkPeerings", [])
    peerings.append(entry)
    _state(ctx).peerings.append((vnet["id"], remote_id, entry))
    ctx.add_embedded(r, pid)  # a message naming the peering names its address
    ctx.note_lines(
        vnet["id"],
        r,
        {
            "properties.virtualNetworkPeerings": "remote_virtual_network_id",
            "properties.virtualNetworkPeerings.allowVirtualNetworkAccess": (
                "allow_virtual_network_access"
            ),
            "properties.virtualNetworkPeerings.useRemoteGateways": "use_remote_gateways",
            "properties.virtualNetworkPeerings.allowGatewayTransit": "allow_gateway_transit",
        },
    )


@finishes
def _mixed_lists(ctx: MapContext) -> None:
    """An NSG with inline ``security_rule`` blocks and separate
    ``azurerm_network_security_rule`` resources (a route table with inline ``route`` blocks
    and ``azurerm_route``): each apply of the parent writes its inline list and drops the
    others, each apply of a child adds it back (the provider's docs: "you cannot use ... in
    conjunction ... will overwrite rules"). Which rules Azure holds is unknown: a separate
    Deny may be gone, a separate Allow may be there."""
    for (_, field), (row, parent, children) in _state(ctx).mixed.items():
        why = UnknownValue(
            f"{parent} sets its {field} inline and {', '.join(children)} add to them;"
            " each apply of one overwrites the other"
        )
        row["properties"][field] = why
        ctx.gaps.append(
            f"{parent}: its {field} are set inline and by {', '.join(children)}, which"
            " overwrite each other, so they are unknown"
        )


@finishes
def _subnet_conflicts(ctx: MapContext) -> None:
    """A subnet whose NSG (route table, NAT gateway) two resources set differently: an
    inline ``subnet`` block and a separate ``azurerm_subnet`` of the same subnet, an inline
    ``security_group`` and an association, or two associations. Each apply writes its own,
    so which one Azure holds depends on the order of the last applies (the provider's
    docs: "will cause a conflict ... and will overwrite"): the reference is unknown, so
    nothing is judged on a guess of the winner."""
    state = _state(ctx)
    dropped: set[tuple[str, str]] = set()  # (target key, subnet key) back references
    for key, by_prop in state.setters.items():
        twice = key in state.defined_twice
        entry = state.subnets.get(key)
        if entry is None:
            continue
        for prop, setters in by_prop.items():
            # a definition's "none" counts only when another definition competes with it;
            # an association fills in a subnet defined once
            counted = [
                (address, value)
                for address, value, definition in setters
                if value is not None or (twice and definition)
            ]
            values = {repr(v) for _, v in counted}
            if len(values) < 2:
                continue
            spelled = ", ".join(
                f"{address}: {'none' if value is None else value}" for address, value in counted
            )
            entry["properties"][prop] = {
                "id": UnknownValue(
                    f"subnet {entry.get('name')}'s {prop} is set differently by {spelled}; "
                    "Azure keeps whichever was applied last"
                )
            }
            ctx.gaps.append(
                f"{entry['id']}: its {prop} is set differently by {spelled}, so it is unknown"
            )
            # each of them may or may not serve the subnet: its entry for it is unknown
            targets = {arm.key(v) for _, v in counted if isinstance(v, str)}
            dropped |= {(t, key) for t in targets}
            unknown = entry["properties"][prop]["id"]
            state.unknown_backrefs += [(t, "subnets", unknown) for t in sorted(targets)]
    if dropped:
        state.backrefs = [
            b for b in state.backrefs if (arm.key(b[0]), arm.key(b[2])) not in dropped
        ]


@finishes
def _peering_states(ctx: MapContext) -> None:
    """ARM's peeringState, from the configuration: Connected when the remote VNet peers
    back, Initiated when the remote VNet is in the configuration and does not; unknown
    when the remote VNet is not in the configuration (a peering back may exist there)."""
    state = _state(ctx)
    pairs = {(arm.key(local), arm.key(remote)) for local, remote, _ in state.peerings if remote}
    for local, remote, entry in state.peerings:
        props = entry["properties"]
        local_row = ctx.row(local)
        subnet_level = props.get("peerCompleteVnets") is False
        if local_row is not None:
            space = local_row["properties"].get("addressSpace")
            if isinstance(space, dict):
                props["localVirtualNetworkAddressSpace"] = space
                peered = _peered_space(local_row, props.get("localSubnetNames"))
                if not subnet_level:
                    props["localAddressSpace"] = space
                elif peered is not None:
                    props["localAddressSpace"] = peered
        remote_row = ctx.row(remote) if remote else None
        if remote_row is None and remote and (arm.key(remote), arm.key(local)) in pairs:
            # the remote VNet is not in the configuration, but its peering back is
            props["peeringState"], props["peeringSyncLevel"] = "Connected", "FullyInSync"
            continue
        if remote_row is None:
            what = remote if remote else "its remote_virtual_network_id"
            if not remote:
                rid = props["remoteVirtualNetwork"]["id"]
                what = f"its remote VNet ({rid!r})"
            props["peeringState"] = UnknownValue(
                f"peering {entry['name']}: {what} is not in the configuration, so whether it "
                "peers back (Connected) or not (Initiated) is known only in Azure"
            )
            props["peeringSyncLevel"] = UnknownValue(
                f"peering {entry['name']}: the remote VNet is not in the configuration"
            )
            continue
        back = (arm.key(remote), arm.key(local)) in pairs
        props["peeringState"] = "Connected" if back else "Initiated"
        props["peeringSyncLevel"] = "FullyInSync"
        space = remote_row["properties"].get("addressSpace")
        if isinstance(space, dict):
            props["remoteVirtualNetworkAddressSpace"] = space
            peered = _peered_space(remote_row, props.get("remoteSubnetNames"))
            if not subnet_level:
                props["remoteAddressSpace"] = space
            elif peered is not None:
                props["remoteAddressSpace"] = peered


def _peered_space(vnet: Row, names: Any) -> dict[str, Any] | None:
    """The prefixes of the named subnets (subnet-level peering), as ARM's local/remote
    address space gives them; None when a name or prefix is not known."""
    if not isinstance(names, list):
        return None
    listed = vnet["properties"].get("subnets")
    if not isinstance(listed, list):
        return None
    subnets = {s.get("name"): s for s in listed if isinstance(s, dict)}
    prefixes: list[Any] = []
    for name in names:
        props = subnets.get(name, {}).get("properties") or {}
        one, many = props.get("addressPrefix"), props.get("addressPrefixes")
        found = [one] if isinstance(one, str) else many
        if not isinstance(found, list) or not all(isinstance(p, str) for p in found):
            return None
        prefixes += found
    return {"addressPrefixes": prefixes}


# -- network security groups ------------------------------------------------------------------
_RULE_FIELDS = (
    # (ARM property, Terraform attribute, plural)
    ("sourceAddressPrefix", "source_address_prefix", False),
    ("sourceAddressPrefixes", "source_address_prefixes", True),
    ("sourcePortRange", "source_port_range", False),
    ("sourcePortRanges", "source_port_ranges", True),
    ("destinationAddressPrefix", "destination_address_prefix", False),
    ("destinationAddressPrefixes", "destination_address_prefixes", True),
    ("destinationPortRange", "destination_port_range", False),
    ("destinationPortRanges", "destination_port_ranges", True),
)


def _rule(nsg_id: str, rule_id: str | None, block: dict[str, Any]) -> dict[str, Any]:
    """One security rule as ARM holds it: the singular field when set, the plural lists
    always (empty when unset), application security groups as references."""
    name = block.get("name")
    props: dict[str, Any] = {
        "protocol": block.get("protocol"),
        "access": block.get("access"),
        "priority": block.get("priority"),
        "direction": block.get("direction"),
    }
    for prop, attr, plural in _RULE_FIELDS:
        value = block.get(attr)
        if plural:
            props[prop] = _strings(value)
        elif _set(value):
            props[prop] = value
    for prop, attr in (
        ("sourceApplicationSecurityGroups", "source_application_security_group_ids"),
        ("destinationApplicationSecurityGroups", "destination_application_security_group_ids"),
    ):
        if _set(ids := block.get(attr)):
            props[prop] = _refs(ids)
    if _set(block.get("description")):
        props["description"] = block["description"]
    rid = rule_id or _child(nsg_id, "securityRules", name, nsg_id, "rule name")
    return {
        "id": rid,
        "name": name,
        "type": "Microsoft.Network/networkSecurityGroups/securityRules",
        "properties": props,
    }


def _default_rules(nsg_id: str) -> list[dict[str, Any]]:
    """The six rules Azure puts on every NSG (Resource Graph lists them)."""
    rules = []
    for name, priority, direction, access, src, dst in (
        ("AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
        ("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"),
        ("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
        ("AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
        ("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet"),
        ("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
    ):
        rules.append(
            {
                "id": f"{nsg_id}/defaultSecurityRules/{name}",
                "name": name,
                "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
                "properties": {
                    "description": "Default rule",
                    "protocol": "*",
                    "sourcePortRange": "*",
                    "destinationPortRange": "*",
                    "sourceAddressPrefix": src,
                    "destinationAddressPrefix": dst,
                    "access": access,
                    "priority": priority,
                    "direction": direction,
                    "sourcePortRanges": [],
                    "destinationPortRanges": [],
                    "sourceAddressPrefixes": [],
                    "destinationAddressPrefixes": [],
                },
            }
        )
    return rules


@maps("azurerm_network_security_group")
def network_security_group(r: TfResource, ctx: MapContext) -> None:
    row = _base(r, ctx, NSG)
    nid = row["id"]
    props = row["properties"]
    inline = r.get("security_rule")
    if type(inline) is UnknownValue:
        props["securityRules"] = []
        _computed(ctx, r, row, "securityRules", inline)
    else:
        props["securityRules"] = [_rule(nid, None, b) for _, b in _blocks(r, "security_rule")]
        if props["securityRules"] and "security_rule" in r.lines:  # (a plan of an existing
            # NSG lists the separate rules as Azure holds them: not written inline)
            _state(ctx).inline[(arm.key(nid), "securityRules")] = r.address
    props["defaultSecurityRules"] = _default_rules(nid)
    props["subnets"] = []
    props["networkInterfaces"] = []
    ctx.add_row(r, row, {"properties.securityRules": "security_rule"})


@maps("azurerm_network_security_rule", phase=2)
def network_security_rule(r: TfResource, ctx: MapContext) -> None:
    """A rule folds into its NSG (named by network_security_group_name in the rule's
    resource group)."""
    rid = ctx.id_of(r)
    nsg = _parent_row(
        ctx, r, arm.parent(rid), "network security group", NSG, "network_security_group_name"
    )
    if nsg is None:
        return
    rules = _children(ctx, nsg, "securityRules", r)
    if rules is None:
        _gap(ctx, r, "its NSG's rules are no list, so it is not mapped")
        return
    rules.append(_rule(nsg["id"], rid, r.values))
    ctx.add_embedded(r, rid)
    ctx.note_lines(nsg["id"], r, {"properties.securityRules": "priority"})


@maps("azurerm_application_security_group")
def application_security_group(r: TfResource, ctx: MapContext) -> None:
    ctx.add_row(r, _base(r, ctx, "microsoft.network/applicationsecuritygroups"))


# -- network interfaces ---------------------------------------------------------------------
def _private_ip(r: TfResource, block: dict[str, Any], where: str) -> Any:
    """A static private IP as configured; a dynamic one is Azure's pick at apply (a plan
    of an existing NIC may know it)."""
    address = block.get("private_ip_address")
    if _set(address):
        return address
    return UnknownValue(
        f"{r.address} {where}: the private IP is assigned by Azure when it is applied"
    )


def _ip_configuration(
    r: TfResource, owner_id: str, segment: str, i: int, block: dict[str, Any], count: int
) -> dict[str, Any]:
    cid = _child(owner_id, segment, block.get("name"), r, f"ip_configuration.{i}.name")
    props: dict[str, Any] = {
        "privateIPAllocationMethod": block.get("private_ip_address_allocation") or "Dynamic",
        "privateIPAddress": _private_ip(r, block, f"ip_configuration {block.get('name')}"),
        "privateIPAddressVersion": block.get("private_ip_address_version") or "IPv4",
        "primary": block.get("primary") if _set(block.get("primary")) else i == 0,
    }
    if count == 1 and not _set(block.get("primary")):
        props["primary"] = True
    if _set(sid := block.get("subnet_id")):
        props["subnet"] = {"id": sid}
    if _set(pip := block.get("public_ip_address_id")):
        props["publicIPAddress"] = {"id": pip}
    return {"id": cid, "name": block.get("name"), "properties": props}


@maps("azurerm_network_interface")
def network_interface(r: TfResource, ctx: MapContext) -> None:
    row = _base(r, ctx, NIC)
    nid = row["id"]
    props = row["properties"]
    blocks = _blocks(r, "ip_configuration")
    if (unknown := _unknown_blocks(r, "ip_configuration")) is not None:
        props["ipConfigurations"] = unknown
    else:
        props["ipConfigurations"] = [
            _ip_configuration(r, nid, "ipConfigurations", i, b, len(blocks)) for i, b in blocks
        ]
    state = _state(ctx)
    for cfg in props["ipConfigurations"] if isinstance(props["ipConfigurations"], list) else ():
        pip = cfg["properties"].get("publicIPAddress")
        if pip and isinstance(pip["id"], str):
            state.pip_configs.append((pip["id"], cfg["id"]))
    forwarding = _attr(r, "ip_forwarding_enabled", "enable_ip_forwarding")
    accelerated = _attr(r, "accelerated_networking_enabled", "enable_accelerated_networking")
    props["enableIPForwarding"] = (
        forwarding if forwarding is not None else _default(r, ctx, "ip_forwarding_enabled")
    )
    props["enableAcceleratedNetworking"] = (
        accelerated
        if accelerated is not None
        else _default(r, ctx, "accelerated_networking_enabled")
    )
    props["dnsSettings"] = {"dnsServers": _strings(r.get("dns_servers"))}
    lines = {
        "properties.ipConfigurations": "ip_configuration",
        "properties.enableIPForwarding": _first_path(
            r, "ip_forwarding_enabled", "enable_ip_forwarding"
        ),
        "properties.dnsSettings": "dns_servers",
    }
    ctx.add_row(r, row, lines)


def _nic_row(ctx: MapContext, r: TfResource) -> Row | None:
    return _parent_row(ctx, r, r.get("network_interface_id"), "network_interface_id", NIC)


def _nic_configs(ctx: MapContext, r: TfResource, nic: Row) -> list[dict[str, Any]]:
    """The NIC's IP configurations the association names (``ip_configuration_name``; all
    when it names none, as the ASG association does)."""
    configs = nic["properties"].get("ipConfigurations")
    if not isinstance(configs, list):
        _gap(ctx, r, "its NIC's IP configurations are unknown, so it is not mapped")
        return []
    wanted = r.get("ip_configuration_name")
    if not _set(wanted):
        return configs
    found = [c for c in configs if c.get("name") == wanted]
    if not found:
        _gap(ctx, r, f"its NIC has no IP configuration {wanted!r}, so it is not mapped")
    return found


@maps("azurerm_network_interface_security_group_association", phase=2)
def nic_nsg_association(r: TfResource, ctx: MapContext) -> None:
    nic = _nic_row(ctx, r)
    nsg = r.get("network_security_group_id")
    if nic is None:
        _unplaced_attachment(r, ctx, nsg, "networkInterfaces", "network_interface_id")
        return
    nic["properties"]["networkSecurityGroup"] = {"id": nsg}
    ctx.note_lines(nic["id"], r, {"properties.networkSecurityGroup": "network_security_group_id"})
    if isinstance(nsg, str):
        _state(ctx).backrefs.append((nsg, "networkInterfaces", nic["id"]))


@maps("azurerm_network_interface_application_security_group_association", phase=2)
def nic_asg_association(r: TfResource, ctx: MapContext) -> None:
    nic = _nic_row(ctx, r)
    if nic is None:
        return
    for cfg in _nic_configs(ctx, r, nic):
        asgs = cfg["properties"].setdefault("applicationSecurityGroups", [])
        asgs.append({"id": r.get("application_security_group_id")})
    ctx.note_lines(nic["id"], r, {"properties.ipConfigurations": "application_security_group_id"})


@maps("azurerm_network_interface_backend_address_pool_association", phase=3)
def nic_pool_association(r: TfResource, ctx: MapContext) -> None:
    nic = _nic_row(ctx, r)
    if nic is None:
        return
    pool = r.get("backend_address_pool_id")
    for cfg in _nic_configs(ctx, r, nic):
        cfg["properties"].setdefault("loadBalancerBackendAddressPools", []).append({"id": pool})
        entry = _lb_entry(ctx, pool, "backendAddressPools")
        if entry is not None:
            entry["properties"].setdefault("backendIPConfigurations", []).append({"id": cfg["id"]})
    ctx.note_lines(nic["id"], r, {"properties.ipConfigurations": "backend_address_pool_id"})


@maps("azurerm_network_interface_nat_rule_association", phase=3)
def nic_nat_rule_association(r: TfResource, ctx: MapContext) -> None:
    nic = _nic_row(ctx, r)
    if nic is None:
        return
    rule = r.get("nat_rule_id")
    for cfg in _nic_configs(ctx, r, nic):
        cfg["properties"].setdefault("loadBalancerInboundNatRules", []).append({"id": rule})
        entry = _lb_entry(ctx, rule, "inboundNatRules")
        if entry is not None:
            entry["properties"]["backendIPConfiguration"] = {"id": cfg["id"]}
    ctx.note_lines(nic["id"], r, {"properties.ipConfigurations": "nat_rule_id"})


# -- public IPs, Bastion, NAT gateways, route tables --------------------------------------------
@maps("azurerm_public_ip")
def public_ip(r: TfResource, ctx: MapContext) -> None:
    sku = _value(r, ctx, "sku")
    row = _base(r, ctx, PIP, sku={"name": sku, "tier": r.get("sku_tier") or "Regional"})
    address = r.get("ip_address")
    props = row["properties"]
    props["publicIPAllocationMethod"] = r.get("allocation_method")
    props["publicIPAddressVersion"] = r.get("ip_version") or "IPv4"
    props["ipAddress"] = (
        address
        if _set(address)
        else UnknownValue(f"{r.address}: the public IP address is assigned when it is applied")
    )
    props["idleTimeoutInMinutes"] = r.get("idle_timeout_in_minutes") or 4
    if _set(label := r.get("domain_name_label")):
        props["dnsSettings"] = {"domainNameLabel": label}
    if _set(prefix := r.get("public_ip_prefix_id")):
        props["publicIPPrefix"] = {"id": prefix}
    if _set(zones := r.get("zones")):
        row["zones"] = zones
    ctx.add_row(r, row, {"sku": "sku", "properties.publicIPAllocationMethod": "allocation_method"})


@finishes
def _public_ip_configurations(ctx: MapContext) -> None:
    """Azure records on a public IP the IP configuration that holds it (a NIC's, a
    Bastion's, a load balancer frontend's, a firewall's, a gateway's)."""
    for pip, cfg in _state(ctx).pip_configs:
        row = ctx.row(pip)
        if row is not None and str(row.get("type", "")).lower() == PIP:
            row["properties"]["ipConfiguration"] = {"id": cfg}


@finishes
def _back_references(ctx: MapContext) -> None:
    """What an NSG, route table or NAT gateway lists of the subnets and NICs it serves."""
    seen: set[tuple[str, str, str]] = set()  # one NSG may serve thousands of subnets
    for target, field, entry_id in _state(ctx).backrefs:
        row = ctx.row(target)
        key = (arm.key(target), field, arm.key(entry_id))
        if row is None or key in seen:
            continue
        seen.add(key)
        listed = row["properties"].setdefault(field, [])
        if isinstance(listed, list):
            listed.append({"id": entry_id})
    for target, field, unknown in _state(ctx).unknown_backrefs:
        row = ctx.row(target)
        listed = row["properties"].setdefault(field, []) if row is not None else None
        if isinstance(listed, list):
            listed.append({"id": unknown})


def _gateway_configs(
    r: TfResource, ctx: MapContext, owner_id: str, segment: str, path: str = "ip_configuration"
) -> Any:
    """Bastion / firewall / gateway IP configurations: subnet, public IP; the private IP
    Azure assigns."""
    if (unknown := _unknown_blocks(r, path)) is not None:
        return unknown
    out = []
    state = _state(ctx)
    for i, block in _blocks(r, path):
        cid = _child(owner_id, segment, block.get("name") or "default", r, f"{path}.{i}.name")
        props: dict[str, Any] = {
            "privateIPAllocationMethod": block.get("private_ip_address_allocation") or "Dynamic"
        }
        if _set(sid := block.get("subnet_id")):
            props["subnet"] = {"id": sid}
        if _set(pip := block.get("public_ip_address_id")):
            props["publicIPAddress"] = {"id": pip}
            if isinstance(pip, str):
                state.pip_configs.append((pip, cid))
        out.append({"id": cid, "name": block.get("name") or "default", "properties": props})
    return out


@maps("azurerm_bastion_host")
def bastion_host(r: TfResource, ctx: MapContext) -> None:
    row = _base(r, ctx, "microsoft.network/bastionhosts", sku={"name": _value(r, ctx, "sku")})
    props = row["properties"]
    props["ipConfigurations"] = _gateway_configs(r, ctx, row["id"], "bastionHostIpConfigurations")
    for prop, attr in (
        ("enableTunneling", "tunneling_enabled"),
        ("enableIpConnect", "ip_connect_enabled"),
        ("enableShareableLink", "shareable_link_enabled"),
        ("enableFileCopy", "file_copy_enabled"),
    ):
        value = r.get(attr)
        props[prop] = _flag(value)
    copy = r.get("copy_paste_enabled")
    props["disableCopyPaste"] = (not copy) if isinstance(copy, bool) else False
    props["scaleUnits"] = r.get("scale_units") or 2
    if _set(vnet := r.get("virtual_network_id")):
        props["virtualNetwork"] = {"id": vnet}
    ctx.add_row(r, row, {"properties.ipConfigurations": "ip_configuration", "sku": "sku"})


@maps("azurerm_nat_gateway")
def nat_gateway(r: TfResource, ctx: MapContext) -> None:
    row = _base(
        r, ctx, "microsoft.network/natgateways", sku={"name": r.get("sku_name") or "Standard"}
    )
    row["properties"].update(
        {
            "idleTimeoutInMinutes": r.get("idle_timeout_in_minutes") or 4,
            "publicIpAddresses": [],
            "publicIpPrefixes": [],
        }
    )
    if _set(zones := r.get("zones")):
        row["zones"] = zones
    ctx.add_row(r, row)


@maps("azurerm_nat_gateway_public_ip_association", phase=2)
def nat_gateway_public_ip_association(r: TfResource, ctx: MapContext) -> None:
    gw = _parent_row(
        ctx, r, r.get("nat_gateway_id"), "nat_gateway_id", "microsoft.network/natgateways"
    )
    if gw is None:
        return
    gw["properties"]["publicIpAddresses"].append({"id": r.get("public_ip_address_id")})
    pip = ctx.row(r.get("public_ip_address_id"))
    if pip is not None and str(pip.get("type", "")).lower() == PIP:
        pip["properties"]["natGateway"] = {"id": gw["id"]}


def _route(route_id: str, block: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "addressPrefix": block.get("address_prefix"),
        "nextHopType": block.get("next_hop_type"),
    }
    if _set(hop := block.get("next_hop_in_ip_address")):
        props["nextHopIpAddress"] = hop
    return {"id": route_id, "name": block.get("name"), "properties": props}


@maps("azurerm_route_table")
def route_table(r: TfResource, ctx: MapContext) -> None:
    row = _base(r, ctx, "microsoft.network/routetables")
    rid = row["id"]
    props = row["properties"]
    if (unknown := _unknown_blocks(r, "route")) is not None:
        props["routes"] = []
        _computed(ctx, r, row, "routes", unknown)
    else:
        props["routes"] = [
            _route(_child(rid, "routes", b.get("name"), r, f"route.{i}.name"), b)
            for i, b in _blocks(r, "route")
        ]
        if props["routes"] and "route" in r.lines:  # written inline (see security_rule)
            _state(ctx).inline[(arm.key(rid), "routes")] = r.address
    propagation = r.get("bgp_route_propagation_enabled")  # 4.x (and late 3.x)
    disable = r.get("disable_bgp_route_propagation")  # 2.x / 3.x
    if isinstance(propagation, bool):
        props["disableBgpRoutePropagation"] = not propagation
    elif _set(disable):
        props["disableBgpRoutePropagation"] = disable
    else:
        props["disableBgpRoutePropagation"] = False
    props["subnets"] = []
    ctx.add_row(r, row, {"properties.routes": "route"})


@maps("azurerm_route", phase=2)
def route(r: TfResource, ctx: MapContext) -> None:
    route_id = ctx.id_of(r)
    table = _parent_row(
        ctx,
        r,
        arm.parent(route_id),
        "route table",
        "microsoft.network/routetables",
        "route_table_name",
    )
    if table is None:
        return
    routes = _children(ctx, table, "routes", r)
    if routes is None:
        _gap(ctx, r, "its route table's routes are no list, so it is not mapped")
        return
    routes.append(_route(route_id, r.values))
    ctx.note_lines(table["id"], r, {"properties.routes": "address_prefix"})


# -- load balancers -----------------------------------------------------------------------------
LB = "microsoft.network/loadbalancers"


def _lb_entry(ctx: MapContext, entry_id: Any, field: str) -> dict[str, Any] | None:
    """A load balancer's pool or rule entry by id (its row must be in the configuration)."""
    if not isinstance(entry_id, str):
        return None
    lb = ctx.row("/".join(entry_id.split("/")[:9]))
    entries = lb["properties"].get(field) if lb is not None else None
    for e in entries if isinstance(entries, list) else ():
        if isinstance(e, dict) and arm.key(str(e.get("id"))) == arm.key(entry_id):
            return e
    return None


@maps("azurerm_lb")
def load_balancer(r: TfResource, ctx: MapContext) -> None:
    sku = _value(r, ctx, "sku")
    row = _base(r, ctx, LB, sku={"name": sku, "tier": r.get("sku_tier") or "Regional"})
    lid = row["id"]
    frontends: Any = []
    if (unknown := _unknown_blocks(r, "frontend_ip_configuration")) is not None:
        frontends = unknown
    state = _state(ctx)
    for i, b in _blocks(r, "frontend_ip_configuration"):
        fid = _child(
            lid, "frontendIPConfigurations", b.get("name"), r, f"frontend_ip_configuration.{i}"
        )
        props: dict[str, Any] = {}
        if _set(pip := b.get("public_ip_address_id")):
            props["publicIPAddress"] = {"id": pip}
            if isinstance(pip, str):
                state.pip_configs.append((pip, fid))
        if _set(prefix := b.get("public_ip_prefix_id")):
            props["publicIPPrefix"] = {"id": prefix}
        if _set(sid := b.get("subnet_id")):
            props["subnet"] = {"id": sid}
            props["privateIPAllocationMethod"] = b.get("private_ip_address_allocation") or (
                "Dynamic"
            )
            props["privateIPAddress"] = _private_ip(r, b, f"frontend {b.get('name')}")
        frontends.append({"id": fid, "name": b.get("name"), "properties": props})
    row["properties"].update(
        {
            "frontendIPConfigurations": frontends,
            "backendAddressPools": [],
            "loadBalancingRules": [],
            "inboundNatRules": [],
            "inboundNatPools": [],
            "probes": [],
            "outboundRules": [],
        }
    )
    ctx.add_row(
        r,
        row,
        {"sku": "sku", "properties.frontendIPConfigurations": "frontend_ip_configuration"},
    )


def _lb_row(ctx: MapContext, r: TfResource) -> Row | None:
    return _parent_row(ctx, r, r.get("loadbalancer_id"), "loadbalancer_id", LB)


def _frontend_ref(lb: Row, r: TfResource) -> dict[str, Any]:
    name = r.get("frontend_ip_configuration_name")
    return {"id": _child(lb["id"], "frontendIPConfigurations", name, r, "frontend")}


@maps("azurerm_lb_backend_address_pool", phase=2)
def lb_backend_address_pool(r: TfResource, ctx: MapContext) -> None:
    lb = _lb_row(ctx, r)
    if lb is None:
        return
    lb["properties"]["backendAddressPools"].append(
        {
            "id": ctx.id_of(r),
            "name": r.get("name"),
            "properties": {"backendIPConfigurations": [], "loadBalancerBackendAddresses": []},
        }
    )


@maps("azurerm_lb_backend_address_pool_address", phase=3)
def lb_backend_address_pool_address(r: TfResource, ctx: MapContext) -> None:
    pool = _lb_entry(ctx, r.get("backend_address_pool_id"), "backendAddressPools")
    if pool is None:
        _gap(ctx, r, "its backend pool is not in the configuration, so it is not mapped")
        return
    props: dict[str, Any] = {"ipAddress": r.get("ip_address")}
    if _set(vnet := r.get("virtual_network_id")):
        props["virtualNetwork"] = {"id": vnet}
    pool["properties"].setdefault("loadBalancerBackendAddresses", []).append(
        {"name": r.get("name"), "properties": props}
    )


def _forward(r: TfResource, lb: Row) -> dict[str, Any]:
    props: dict[str, Any] = {
        "frontendIPConfiguration": _frontend_ref(lb, r),
        "protocol": r.get("protocol"),
        "backendPort": r.get("backend_port"),
        "enableFloatingIP": _flag(_attr(r, "floating_ip_enabled", "enable_floating_ip")),
        "idleTimeoutInMinutes": r.get("idle_timeout_in_minutes") or 4,
    }
    for prop, attr in (
        ("frontendPort", "frontend_port"),
        ("frontendPortRangeStart", "frontend_port_start"),
        ("frontendPortRangeEnd", "frontend_port_end"),
    ):
        if _set(value := r.get(attr)):
            props[prop] = value
    pools = r.get("backend_address_pool_ids")  # 3.x / 4.x
    if not _set(pools) and _set(one := r.get("backend_address_pool_id")):  # 2.x, NAT rules
        pools = [one]
    if type(pools) is UnknownValue:
        props["backendAddressPools"] = pools
    elif isinstance(pools, list) and pools:
        props["backendAddressPool"] = {"id": pools[0]}
        props["backendAddressPools"] = [{"id": p} for p in pools]
    if _set(probe := r.get("probe_id")):
        props["probe"] = {"id": probe}
    return {"id": None, "name": r.get("name"), "properties": props}


def _lb_forwarding(r: TfResource, ctx: MapContext, field: str) -> None:
    lb = _lb_row(ctx, r)
    if lb is None:
        return
    entry = _forward(r, lb)
    entry["id"] = ctx.id_of(r)
    lb["properties"][field].append(entry)
    ctx.note_lines(lb["id"], r, {f"properties.{field}": "frontend_port"})


@maps("azurerm_lb_rule", phase=2)
def lb_rule(r: TfResource, ctx: MapContext) -> None:
    _lb_forwarding(r, ctx, "loadBalancingRules")


@maps("azurerm_lb_nat_rule", phase=2)
def lb_nat_rule(r: TfResource, ctx: MapContext) -> None:
    _lb_forwarding(r, ctx, "inboundNatRules")


@maps("azurerm_lb_nat_pool", phase=2)
def lb_nat_pool(r: TfResource, ctx: MapContext) -> None:
    _lb_forwarding(r, ctx, "inboundNatPools")


@maps("azurerm_lb_probe", phase=2)
def lb_probe(r: TfResource, ctx: MapContext) -> None:
    lb = _lb_row(ctx, r)
    if lb is None:
        return
    lb["properties"]["probes"].append(
        {
            "id": ctx.id_of(r),
            "name": r.get("name"),
            "properties": {
                "protocol": r.get("protocol") or "Tcp",
                "port": r.get("port"),
                "requestPath": r.get("request_path"),
            },
        }
    )


# -- scale sets ---------------------------------------------------------------------------------
def _scale_set_nics(r: TfResource, blocks_path: str, ip_path: str, public_path: str) -> Any:
    """The scale set's NIC configurations as ``virtualMachineProfile.networkProfile``
    holds them; a public IP block gives every instance a public IP."""
    if type(r.get(blocks_path)) is UnknownValue:
        return r.get(blocks_path)
    nics: list[dict[str, Any]] = []
    for _, nic in _blocks(r, blocks_path):
        configs: Any = []
        ip_blocks = nic.get(ip_path)
        if type(ip_blocks) is UnknownValue:
            configs = ip_blocks
        for j, ip in enumerate(ip_blocks if isinstance(ip_blocks, list) else ()):
            if not isinstance(ip, dict):
                continue
            props: dict[str, Any] = {
                "primary": ip.get("primary") if _set(ip.get("primary")) else j == 0,
                "privateIPAddressVersion": ip.get("version") or "IPv4",
            }
            if _set(sid := ip.get("subnet_id")):
                props["subnet"] = {"id": sid}
            for prop, attr in (
                ("loadBalancerBackendAddressPools", "load_balancer_backend_address_pool_ids"),
                ("loadBalancerInboundNatPools", "load_balancer_inbound_nat_rules_ids"),
                ("applicationSecurityGroups", "application_security_group_ids"),
            ):
                if _set(ids := ip.get(attr)):
                    props[prop] = _refs(ids)
            public = ip.get(public_path)
            if type(public) is UnknownValue:
                props["publicIPAddressConfiguration"] = public
            elif isinstance(public, list) and public and isinstance(public[0], dict):
                pub = public[0]
                props["publicIPAddressConfiguration"] = {
                    "name": pub.get("name"),
                    "properties": {
                        "idleTimeoutInMinutes": pub.get("idle_timeout_in_minutes")
                        or pub.get("idle_timeout")
                        or 4
                    },
                }
                sku = pub.get("sku_name")  # orchestrated: Standard_Regional, Basic_Global, …
                if isinstance(sku, str) and "_" in sku:
                    name, tier = sku.split("_", 1)
                    props["publicIPAddressConfiguration"]["sku"] = {"name": name, "tier": tier}
                elif type(sku) is UnknownValue:
                    props["publicIPAddressConfiguration"]["sku"] = {"name": sku}
            configs.append({"name": ip.get("name"), "properties": props})
        nic_props: dict[str, Any] = {
            "primary": _flag(nic.get("primary")) or len(nics) == 0,
            "ipConfigurations": configs,
            "enableAcceleratedNetworking": _flag(
                _get(nic, "accelerated_networking_enabled", "enable_accelerated_networking")
            ),
            "enableIPForwarding": _flag(_get(nic, "ip_forwarding_enabled", "enable_ip_forwarding")),
        }
        if _set(nsg := nic.get("network_security_group_id")):
            nic_props["networkSecurityGroup"] = {"id": nsg}
        nics.append({"name": nic.get("name"), "properties": nic_props})
    return nics


@maps(
    "azurerm_linux_virtual_machine_scale_set",
    "azurerm_windows_virtual_machine_scale_set",
    "azurerm_orchestrated_virtual_machine_scale_set",
    "azurerm_virtual_machine_scale_set",
)
def scale_set(r: TfResource, ctx: MapContext) -> None:
    legacy = r.type == "azurerm_virtual_machine_scale_set"
    flexible = r.type == "azurerm_orchestrated_virtual_machine_scale_set"
    if legacy:
        sku_block = r.get("sku.0")
        sku_block = sku_block if isinstance(sku_block, dict) else {}
        sku = {"name": sku_block.get("name"), "capacity": sku_block.get("capacity")}
        nics = _scale_set_nics(
            r, "network_profile", "ip_configuration", "public_ip_address_configuration"
        )
        path = "network_profile"
    else:
        sku = {
            "name": r.get("sku_name") if flexible else r.get("sku"),
            "capacity": r.get("instances"),
        }
        nics = _scale_set_nics(r, "network_interface", "ip_configuration", "public_ip_address")
        path = "network_interface"
    row = _base(r, ctx, "microsoft.compute/virtualmachinescalesets", sku=sku)
    props = row["properties"]
    props["orchestrationMode"] = "Flexible" if flexible else "Uniform"
    if flexible and not _set(r.get(path)):
        ctx.add_row(r, row)  # flexible without a profile: its VMs' NICs are rows
        return
    props["virtualMachineProfile"] = {"networkProfile": {"networkInterfaceConfigurations": nics}}
    lines = {"properties.virtualMachineProfile.networkProfile": path}
    ctx.add_row(r, row, lines)


# -- firewalls and gateways ---------------------------------------------------------------------
@maps("azurerm_firewall")
def firewall(r: TfResource, ctx: MapContext) -> None:
    row = _base(r, ctx, "microsoft.network/azurefirewalls")
    props = row["properties"]
    props["sku"] = {"name": r.get("sku_name") or "AZFW_VNet", "tier": r.get("sku_tier")}
    configs = _gateway_configs(r, ctx, row["id"], "azureFirewallIpConfigurations")
    for cfg in configs if isinstance(configs, list) else ():
        cfg["properties"]["privateIPAddress"] = UnknownValue(
            f"{r.address}: the firewall's private IP is assigned when it is applied"
        )
    props["ipConfigurations"] = configs
    props["threatIntelMode"] = _value(r, ctx, "threat_intel_mode")
    if _set(policy := r.get("firewall_policy_id")):
        props["firewallPolicy"] = {"id": policy}
    servers = r.get("dns_servers")
    proxy = r.get("dns_proxy_enabled")
    extra: dict[str, Any] = {}
    if _set(servers):
        servers = _strings(servers)
        extra["Network.DNS.Servers"] = (
            ",".join(map(str, servers)) if isinstance(servers, list) else servers
        )
        if not _set(proxy):
            proxy = True  # the provider sets it when servers are given
    if type(proxy) is UnknownValue:
        extra["Network.DNS.EnableProxy"] = proxy
    elif proxy:
        extra["Network.DNS.EnableProxy"] = "true"
    props["additionalProperties"] = extra
    ctx.add_row(
        r,
        row,
        {
            "properties.firewallPolicy": "firewall_policy_id",
            "properties.additionalProperties": _first_path(r, "dns_proxy_enabled", "dns_servers"),
        },
    )


@maps("azurerm_firewall_policy")
def firewall_policy(r: TfResource, ctx: MapContext) -> None:
    row = _base(r, ctx, "microsoft.network/firewallpolicies")
    props = row["properties"]
    props["sku"] = {"tier": r.get("sku") or "Standard"}
    props["threatIntelMode"] = _value(r, ctx, "threat_intelligence_mode")
    if _set(base := r.get("base_policy_id")):
        props["basePolicy"] = {"id": base}
    dns = r.get("dns")
    if type(dns) is UnknownValue:
        props["dnsSettings"] = dns
    elif isinstance(dns, list) and dns and isinstance(dns[0], dict):
        servers = dns[0].get("servers")
        proxy = dns[0].get("proxy_enabled")
        props["dnsSettings"] = {
            "servers": _strings(servers),
            "enableProxy": proxy if _set(proxy) else _default(r, ctx, "dns.0.proxy_enabled"),
        }
    ctx.add_row(r, row, {"properties.dnsSettings": "dns"})


@maps("azurerm_virtual_network_gateway")
def virtual_network_gateway(r: TfResource, ctx: MapContext) -> None:
    row = _base(r, ctx, "microsoft.network/virtualnetworkgateways")
    props = row["properties"]
    sku = r.get("sku")
    props.update(
        {
            "gatewayType": r.get("type"),
            "vpnType": r.get("vpn_type") or "RouteBased",
            "sku": {"name": sku, "tier": sku},
            "activeActive": _flag(r.get("active_active")),
            "enableBgp": _flag(r.get("enable_bgp") or r.get("bgp_enabled")),
            "ipConfigurations": _gateway_configs(r, ctx, row["id"], "ipConfigurations"),
        }
    )
    ctx.add_row(r, row, {"properties.ipConfigurations": "ip_configuration"})


@maps("azurerm_route_server")
def route_server(r: TfResource, ctx: MapContext) -> None:
    """A Route Server is a virtual hub of kind RouteServer outside Virtual WAN: it serves
    the VNet its IP configuration's subnet (RouteServerSubnet) is in, where a peered spoke's
    useRemoteGateways finds it (MLA-NET-002)."""
    row = _base(r, ctx, "microsoft.network/virtualhubs", kind="RouteServer")
    rid = row["id"]
    cfg: dict[str, Any] = {"privateIPAllocationMethod": "Dynamic"}
    if _set(sid := r.get("subnet_id")):
        cfg["subnet"] = {"id": sid}
    if _set(pip := r.get("public_ip_address_id")):
        cfg["publicIPAddress"] = {"id": pip}
        if isinstance(pip, str):
            _state(ctx).pip_configs.append((pip, f"{rid}/ipConfigurations/ipconfig1"))
    row["properties"].update(
        {
            "sku": r.get("sku") or "Standard",
            "allowBranchToBranchTraffic": _flag(r.get("branch_to_branch_traffic_enabled")),
            "virtualRouterIps": UnknownValue(
                f"{r.address}: the router IPs are assigned when it is applied"
            ),
            "ipConfigurations": [
                {"id": f"{rid}/ipConfigurations/ipconfig1", "name": "ipconfig1", "properties": cfg}
            ],
        }
    )
    ctx.add_row(r, row, {"properties.ipConfigurations": "subnet_id"})
