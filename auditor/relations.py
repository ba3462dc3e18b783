"""Named relations: the Azure semantics too rich for rule conditions, computed once here.

A rule names a relation (``{relation: required_links}``) instead of re-deriving it. Each
relation takes the graph and a subject node and returns a list of :class:`Item` — or an
:class:`Unknown` when the estate lacks the data to answer, so that the rule reports "not
evaluated" rather than a pass. Every relation is tested on its own in ``tests/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import arm
from .collections import DNS_RECORDS, ZONE_GROUPS
from .graph import AuditGraph


@dataclass(frozen=True)
class Unknown:
    """The third truth value: the answer depends on data the estate does not hold."""

    reasons: tuple[str, ...]

    @staticmethod
    def of(*reasons: str) -> Unknown:
        return Unknown(tuple(reasons))


@dataclass
class Item:
    """One thing a relation yields: usually a node reached over an edge.

    Paths resolve ``edge.*`` against the edge attributes, names in ``extra`` against the
    computed values, and everything else against the node's row. ``key`` identifies the
    item in fingerprints; ``unknown`` marks an item whose verdict cannot be decided.
    """

    key: str
    node: str | None = None
    edge: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    unknown: str | None = None


@dataclass(frozen=True)
class Relation:
    name: str
    kinds: frozenset[str]  # node kinds it applies to
    doc: str
    fn: Callable[[AuditGraph, str], list[Item] | Unknown]


RELATIONS: dict[str, Relation] = {}


def relation(name: str, *kinds: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[[AuditGraph, str], list[Item] | Unknown]) -> Any:
        doc = " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())
        RELATIONS[name] = Relation(name, frozenset(kinds), doc, fn)
        return fn

    return register


# -- DNS zone names each private link group id needs, per cloud ------------------------
# Source: https://learn.microsoft.com/azure/private-link/private-endpoint-dns
_STORAGE = ("blob", "file", "queue", "table", "dfs", "web")


def _storage(suffix: str) -> dict[str, tuple[str, ...]]:
    zones = {g: (f"privatelink.{g}.{suffix}",) for g in _STORAGE}
    return {**zones, **{f"{g}_secondary": z for g, z in zones.items()}}


ZONES_BY_CLOUD: dict[str, dict[str, tuple[str, ...]]] = {
    "public": {
        "amlworkspace": ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
        "amlregistry": ("privatelink.api.azureml.ms",),
        **_storage("core.windows.net"),
        "vault": ("privatelink.vaultcore.azure.net",),
        "registry": ("privatelink.azurecr.io",),
        "azuremonitor": (
            "privatelink.monitor.azure.com",
            "privatelink.oms.opinsights.azure.com",
            "privatelink.ods.opinsights.azure.com",
            "privatelink.agentsvc.azure-automation.net",
            "privatelink.blob.core.windows.net",
        ),
    },
    "usgov": {
        "amlworkspace": ("privatelink.api.ml.azure.us", "privatelink.notebooks.usgovcloudapi.net"),
        **_storage("core.usgovcloudapi.net"),
        "vault": ("privatelink.vaultcore.usgovcloudapi.net",),
        "registry": ("privatelink.azurecr.us",),
        "azuremonitor": (
            "privatelink.monitor.azure.us",
            "privatelink.adx.monitor.azure.us",
            "privatelink.oms.opinsights.azure.us",
            "privatelink.ods.opinsights.azure.us",
            "privatelink.agentsvc.azure-automation.us",
            "privatelink.blob.core.usgovcloudapi.net",
        ),
    },
    "china": {
        "amlworkspace": ("privatelink.api.ml.azure.cn", "privatelink.notebooks.chinacloudapi.cn"),
        **_storage("core.chinacloudapi.cn"),
        "vault": ("privatelink.vaultcore.azure.cn",),
    },
}

AZURE_DNS = "168.63.129.16"
TCP_PORTS = (0, 65535)


def _node_item(g: AuditGraph, node: str, edge: dict[str, Any] | None = None, **extra: Any) -> Item:
    return Item(key=g.display_id(node), node=node, edge=edge, extra=extra)


# -- plain hops -------------------------------------------------------------------------
@relation(
    "private_endpoints",
    "aml_workspace",
    "storage_account",
    "key_vault",
    "container_registry",
    "app_insights",
    "other",
)
def private_endpoints(g: AuditGraph, k: str) -> list[Item]:
    """Private endpoints that connect to this resource (edge: group_ids, status, manual)."""
    items = [_node_item(g, pe, dict(attrs)) for pe, attrs in g.into(k, "targets")]
    return sorted(items, key=lambda i: arm.key(i.key))


@relation("connections", "private_endpoint")
def connections(g: AuditGraph, k: str) -> list[Item] | Unknown:
    """The endpoint's private link connections and their targets (edge: connection,
    group_ids, status, manual)."""
    props = g.row(k).get("properties")
    if not isinstance(props, dict) or not any(
        isinstance(props.get(f), list)
        for f in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")
    ):
        return Unknown.of(f"endpoint {g.name(k)} has no private link connections in its row")
    items = [_node_item(g, t, dict(attrs)) for t, attrs in g.out(k, "targets")]
    return sorted(items, key=lambda i: (arm.key(i.key), str(i.edge and i.edge.get("connection"))))


@relation("workspace", "aml_compute")
def workspace(g: AuditGraph, k: str) -> list[Item]:
    """The workspace a compute belongs to."""
    return [_node_item(g, w) for w, _ in g.out(k, "compute_of")]


@relation("workspaces", "storage_account", "key_vault", "container_registry", "app_insights")
def workspaces(g: AuditGraph, k: str) -> list[Item]:
    """Workspaces that use this resource as storage, key vault, registry or App Insights
    (edge: role)."""
    items = [_node_item(g, w, dict(attrs)) for w, attrs in g.into(k, "uses")]
    return sorted(items, key=lambda i: arm.key(i.key))


@relation("nsgs", "subnet", "nic")
def nsgs(g: AuditGraph, k: str) -> list[Item]:
    """Network security groups associated with this subnet or NIC."""
    return sorted((_node_item(g, n) for n, _ in g.into(k, "protects")), key=lambda i: i.key)


@relation("public_ips", "nic")
def public_ips(g: AuditGraph, k: str) -> list[Item]:
    """Public IPs on the NIC's IP configurations (extra: ip_address, vm)."""
    vm = next((g.name(v) for v, _ in g.out(k, "attached_to") if g.kind(v) == "vm"), None)
    items = []
    for pip, _ in g.into(k, "attached_to"):
        if g.kind(pip) != "public_ip":
            continue
        props = g.row(pip).get("properties")
        address = props.get("ipAddress") if isinstance(props, dict) else None
        items.append(_node_item(g, pip, ip_address=address, vm=vm))
    return sorted(items, key=lambda i: arm.key(i.key))


# -- private endpoints and DNS ----------------------------------------------------------
def endpoint_zones(g: AuditGraph, pe: str) -> dict[str, str] | Unknown:
    """Zones that hold the endpoint's names → the evidence. Zone groups (ARM) are the
    authoritative source; A records pointing at the endpoint's IPs are the weaker one used
    when the estate has no zone groups. Two relations ask for it per endpoint: once."""
    key = ("endpoint_zones", pe)
    if key not in g.memo:
        g.memo[key] = _endpoint_zones(g, pe)
    return g.memo[key]


def _endpoint_zones(g: AuditGraph, pe: str) -> dict[str, str] | Unknown:
    collections = g.estate.collections()
    zones: dict[str, str] = {}
    if ZONE_GROUPS in collections:
        for group, _ in g.out(pe, "has_zone_group"):
            for zone, attrs in g.out(group, "uses_zone"):
                zones.setdefault(zone, f"zone group {g.name(group)} config {attrs.get('config')}")
        return zones
    if DNS_RECORDS in collections:
        for rec, _ in g.into(pe, "resolves_to"):
            for zone, _ in g.out(rec, "record_in"):
                zones.setdefault(zone, f"A record {g.name(rec)} points at the endpoint's IP")
        if not zones and pe in g.pe_ambiguous:
            return Unknown.of(
                f"endpoint {g.name(pe)} shares its private IP with other endpoints and its "
                "FQDNs are unknown, so A records cannot be matched to it"
            )
        return zones
    return Unknown.of(
        "the estate has neither private DNS zone groups (ARM) nor private DNS records "
        "(Resource Graph dnsresources)"
    )


@relation("dns_zones", "private_endpoint")
def dns_zones(g: AuditGraph, k: str) -> list[Item] | Unknown:
    """Private DNS zones that hold the endpoint's names (extra: evidence): from its DNS
    zone group, or — when the estate has no zone groups — from A records at its IPs."""
    zones = endpoint_zones(g, k)
    if isinstance(zones, Unknown):
        return zones
    items = [_node_item(g, z, evidence=why) for z, why in zones.items()]
    return sorted(items, key=lambda i: arm.key(i.key))


@relation("expected_zones", "private_endpoint")
def expected_zones(g: AuditGraph, k: str) -> list[Item] | Unknown:
    """One item per zone the endpoint's group ids need, and per zone it uses that none of
    them needs (extra: group_id, zone, ok, problem). Empty when the endpoint uses no zone
    at all: that is the question of another rule."""
    zones = endpoint_zones(g, k)
    if isinstance(zones, Unknown):
        return zones
    if not zones:
        return []
    used = {g.name(z).lower(): g.name(z) for z in zones}
    items: list[Item] = []
    needed: set[str] = set()
    table = ZONES_BY_CLOUD[g.estate.cloud]
    for target, attrs in g.out(k, "targets"):
        for gid in attrs.get("group_ids") or []:
            if gid.lower() not in table:
                items.append(
                    Item(
                        key=f"{gid.lower()}:?",
                        unknown=(
                            f"group id {gid} is not one this tool knows the DNS zone names of "
                            f"in the {g.estate.cloud} cloud"
                        ),
                    )
                )
                continue
            for zone in table[gid.lower()]:
                needed.add(zone)
                ok = zone in used
                problem = "" if ok else f"group id {gid} needs zone {zone}, not configured"
                items.append(
                    Item(
                        key=f"{gid.lower()}:{zone}",
                        extra={
                            "group_id": gid,
                            "zone": zone,
                            "ok": ok,
                            "problem": problem,
                            "target": g.name(target),
                        },
                    )
                )
    if needed:
        targets = ", ".join(sorted({g.name(t) for t, _ in g.out(k, "targets")}))
        groups = ", ".join(
            sorted({gid for _, a in g.out(k, "targets") for gid in a.get("group_ids") or []})
        )
        for low, name in sorted(used.items()):
            if low not in needed:
                items.append(
                    Item(
                        key=f"unexpected:{low}",
                        extra={
                            "group_id": None,
                            "zone": name,
                            "ok": False,
                            "problem": f"zone {name} serves none of its group ids ({groups}); "
                            f"they need {', '.join(sorted(needed))}",
                            "target": targets,
                        },
                    )
                )
    unique = {i.key: i for i in items}
    return [unique[key] for key in sorted(unique)]


def endpoint_vnet(g: AuditGraph, pe: str) -> str | None:
    subnet = g.first_out(pe, "in_subnet")
    return g.vnet_of_subnet.get(subnet) if subnet else None


def resolving_vnets(g: AuditGraph, vnet: str) -> list[tuple[str, str]]:
    """VNets whose clients reach endpoints in ``vnet`` and so must resolve their names:
    the VNet itself and every VNet peered with it in state Connected with VNet access
    allowed. Peering is not transitive, so this is one hop. → (vnet, why)."""
    memo = g.memo.get(("resolving_vnets", vnet))
    if memo is not None:
        return memo
    found: dict[str, str] = {vnet: f"{g.name(vnet)} hosts the endpoint"}
    for other, attrs in [*g.out(vnet, "peers_with"), *g.into(vnet, "peers_with")]:
        if other == vnet or str(attrs.get("state", "")).lower() != "connected":
            continue
        if attrs.get("allow_vnet_access") is False:
            continue
        found.setdefault(other, f"{g.name(other)} is peered with {g.name(vnet)} (Connected)")
    result = g.memo[("resolving_vnets", vnet)] = sorted(found.items())
    return result


def _dns_servers(g: AuditGraph, vnet: str) -> list[str]:
    servers = sorted(g.out(vnet, "uses_dns_server"), key=lambda s: s[1].get("order", 0))
    return [s for s, _ in servers if g.row(s)["ip"] != AZURE_DNS]


def dns_server_hosts(g: AuditGraph, client: str, server: str) -> list[str]:
    """The VNet that hosts a custom DNS server a client VNet uses. Address spaces repeat
    across VNets, so when several hold the IP the client itself wins, then the VNets it
    is peered with; if that still leaves several (or none), the host is unknown: []."""
    hosts = [v for v, _ in g.out(server, "hosted_in")]
    if len(hosts) <= 1:
        return hosts
    if client in hosts:
        return [client]
    peers = {v for v, _ in resolving_vnets(g, client)}
    near = [h for h in hosts if h in peers]
    return near if len(near) == 1 else []


@relation("required_links", "private_dns_zone")
def required_links(g: AuditGraph, zone: str) -> list[Item] | Unknown:
    """VNets that must be linked to this zone (extra: linked, via, endpoints).

    For every private endpoint registered in the zone (by zone group or A record): the
    endpoint's VNet and the VNets peered with it in state Connected must resolve its name.
    A VNet that uses Azure DNS needs the link itself; a VNet whose dhcpOptions name custom
    DNS servers resolves through them, so the VNets hosting those servers need the link
    instead. A server in no VNet of the estate (or in several that cannot be told apart),
    a VNet outside the estate, or an A record that several endpoints could own cannot be
    judged: the item is marked unknown."""
    collections = g.estate.collections()
    if ZONE_GROUPS not in collections and DNS_RECORDS not in collections:
        return Unknown.of(
            "the estate has neither private DNS zone groups (ARM) nor private DNS records "
            "(Resource Graph dnsresources): which endpoints use the zone is unknown"
        )
    endpoints: set[str] = set()
    for group, _ in g.into(zone, "uses_zone"):
        endpoints.update(pe for pe, _ in g.into(group, "has_zone_group"))
    undecided = []
    for rec, _ in g.into(zone, "record_in"):
        endpoints.update(pe for pe, _ in g.out(rec, "resolves_to"))
        if rec in g.records_ambiguous:
            undecided.append(rec)
    linked = {v for v, _ in g.out(zone, "linked_to")}
    # target key -> label, via (ordered set), endpoints (set), unknown reason
    needs: dict[str, dict[str, Any]] = {}

    def need(target: str, label: str, why: list[str], pe: str, unknown: str | None = None) -> None:
        entry = needs.setdefault(
            target, {"label": label, "via": {}, "endpoints": set(), "unknown": None}
        )
        entry["via"][" → ".join(why)] = None
        entry["endpoints"].add(pe)
        if unknown and target not in linked:
            entry["unknown"] = unknown

    zone_name = g.name(zone)
    for pe in sorted(endpoints):
        pe_name = g.name(pe)
        home = endpoint_vnet(g, pe)
        if home is None:
            need(
                f"endpoint:{pe}",
                g.display_id(pe),
                [f"endpoint {pe_name}"],
                pe_name,
                unknown=f"the subnet or VNet of endpoint {pe_name} is not in the estate",
            )
            continue
        start = f"endpoint {pe_name} in VNet {g.name(home)}"
        for client, why in resolving_vnets(g, home):
            path = [start] if client == home else [start, why]
            label = g.display_id(client)
            if not g.seen(client):
                need(
                    client,
                    label,
                    path,
                    pe_name,
                    unknown=(
                        f"VNet {g.name(client)} is not in the estate: its DNS servers are unknown"
                    ),
                )
                continue
            servers = _dns_servers(g, client)
            if not servers:
                need(client, label, [*path, f"{g.name(client)} uses Azure-provided DNS"], pe_name)
                continue
            for server in servers:
                ip = g.row(server)["ip"]
                via = [*path, f"{g.name(client)} uses DNS server {ip}"]
                hosts = dns_server_hosts(g, client, server)
                if not hosts:
                    where = "several VNets" if g.first_out(server, "hosted_in") else "no VNet"
                    need(
                        f"{server}@{client}",
                        f"DNS server {ip} of {label}",
                        via,
                        pe_name,
                        unknown=(
                            f"VNet {g.name(client)} uses DNS server {ip}, which lies in "
                            f"{where} of the estate: cannot tell whether it resolves "
                            f"{zone_name}"
                        ),
                    )
                for host in hosts:
                    need(
                        host,
                        g.display_id(host),
                        [*via[:-1], f"{via[-1]} hosted in VNet {g.name(host)}"],
                        pe_name,
                    )
    for rec in undecided:
        need(
            f"record:{rec}",
            g.display_id(rec),
            [f"A record {g.name(rec)}"],
            g.name(rec),
            unknown=(
                f"A record {g.name(rec)} points at an IP that several endpoints share, "
                "and their FQDNs are unknown: which endpoint it serves, and so which "
                "VNets need the link, cannot be told"
            ),
        )
    items = []
    for target, entry in sorted(needs.items()):
        is_vnet = g.kind(target) == "vnet" if target in g.g else False
        items.append(
            Item(
                key=entry["label"],
                node=target if is_vnet else None,
                extra={
                    "linked": target in linked,
                    "via": list(entry["via"]),
                    "endpoints": sorted(entry["endpoints"]),
                    "vnet_name": g.name(target) if is_vnet else entry["label"],
                },
                unknown=entry["unknown"],
            )
        )
    return items


# -- peering ----------------------------------------------------------------------------
@relation("peerings", "vnet")
def peerings(g: AuditGraph, k: str) -> list[Item]:
    """The VNet's own peering entries (edge: state, sync, flags; extra: remote_seen and
    reverse — whether the remote VNet has a peering back, None when it is not seen)."""
    items = []
    for remote, attrs in g.out(k, "peers_with"):
        seen = g.seen(remote)
        reverse = "peers_with" in g.succ_of(remote).get(k, {}) if seen else None
        items.append(
            Item(
                key=str(attrs.get("id") or g.display_id(remote)),
                node=remote,
                edge=dict(attrs),
                extra={"remote_seen": seen, "reverse": reverse},
            )
        )
    return sorted(items, key=lambda i: arm.key(i.key))


# -- NSG evaluation ---------------------------------------------------------------------
INTERNET_SOURCES = frozenset({"*", "internet", "any", "0.0.0.0/0", "0.0.0.0", "::/0"})


ANY_DESTINATION = frozenset({"*", "any", "virtualnetwork", "0.0.0.0/0", "::/0"})
PORT = re.compile(r"[0-9]{1,5}")
# Azure's default inbound rules: present on every NSG, so a row that omits them still has them.
DEFAULT_INBOUND = (
    ("AllowVnetInBound", 65000, "Allow", "VirtualNetwork"),
    ("AllowAzureLoadBalancerInBound", 65001, "Allow", "AzureLoadBalancer"),
    ("DenyAllInBound", 65500, "Deny", "*"),
)


def _as_list(props: dict[str, Any], single: str, plural: str) -> list[str]:
    many = props.get(plural)
    values = [v for v in many if isinstance(v, str)] if isinstance(many, list) else []
    one = props.get(single)
    if isinstance(one, str) and one:
        values.append(one)
    return values


def _port_ranges(specs: list[str]) -> list[tuple[int, int]]:
    ranges = []
    for spec in specs:
        spec = spec.strip()
        lo, _, hi = spec.partition("-")
        if spec.lower() in ("*", "any"):
            ranges.append(TCP_PORTS)
        elif PORT.fullmatch(lo.strip()) and PORT.fullmatch((hi or lo).strip()):
            ranges.append((int(lo), int(hi or lo)))
    return ranges


@dataclass(frozen=True)
class NsgRule:
    name: str
    priority: int
    access: str
    ports: tuple[tuple[int, int], ...]
    sources: tuple[str, ...]
    default: bool


def _priority(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return 65535


def _applies_to_every_target(p: dict[str, Any]) -> bool:
    """A Deny only shuts a port for the whole NSG when it names no narrower destination
    and no source port: a Deny aimed at one host leaves later Allows open elsewhere."""
    if p.get("destinationApplicationSecurityGroups"):
        return False
    targets = _as_list(p, "destinationAddressPrefix", "destinationAddressPrefixes") or ["*"]
    source_ports = _as_list(p, "sourcePortRange", "sourcePortRanges") or ["*"]
    return any(t.strip().lower() in ANY_DESTINATION for t in targets) and any(
        sp.strip() == "*" or _port_ranges([sp]) == [TCP_PORTS] for sp in source_ports
    )


def nsg_rules(row: dict[str, Any]) -> list[tuple[bool, dict[str, Any]]] | None:
    """(is_default, rule properties with its name) of every rule, or None when the row
    lacks its rules. Azure's defaults stand in for a row that omits them."""
    props = row.get("properties")
    if not isinstance(props, dict) or not isinstance(props.get("securityRules"), list):
        return None

    def flat(rules: Any) -> list[dict[str, Any]]:
        return [
            {**r["properties"], "name": r.get("name")}
            for r in rules
            if isinstance(r, dict) and isinstance(r.get("properties"), dict)
        ]

    defaults = props.get("defaultSecurityRules")
    fixed = (
        flat(defaults)
        if isinstance(defaults, list) and defaults
        else [
            {
                "name": name,
                "priority": priority,
                "access": access,
                "direction": "Inbound",
                "protocol": "*",
                "sourceAddressPrefix": source,
                "sourcePortRange": "*",
                "destinationAddressPrefix": "*",
                "destinationPortRange": "*",
            }
            for name, priority, access, source in DEFAULT_INBOUND
        ]
    )
    return [(False, p) for p in flat(props["securityRules"])] + [(True, p) for p in fixed]


def internet_tcp_rules(row: dict[str, Any]) -> list[NsgRule]:
    """Inbound rules that decide TCP traffic from the internet at large, by priority
    (custom rules first, then the defaults). A Deny counts only when it covers every
    destination behind the NSG; an Allow counts whatever it targets."""
    rules = []
    for default, p in nsg_rules(row) or []:
        if str(p.get("direction", "")).lower() != "inbound":
            continue
        if str(p.get("protocol", "*")).lower() not in ("*", "tcp"):
            continue
        sources = _as_list(p, "sourceAddressPrefix", "sourceAddressPrefixes")
        internet = [
            src
            for src in sources
            if src.strip().lower() in INTERNET_SOURCES or src.strip().endswith("/0")
        ]
        if not internet or p.get("sourceApplicationSecurityGroups"):
            continue
        access = str(p.get("access", ""))
        if access.lower() != "allow" and not _applies_to_every_target(p):
            continue
        ports = _port_ranges(_as_list(p, "destinationPortRange", "destinationPortRanges"))
        rules.append(
            NsgRule(
                str(p.get("name")),
                _priority(p.get("priority")),
                access,
                tuple(ports),
                tuple(internet),
                default,
            )
        )
    rules.sort(key=lambda r: (r.default, r.priority))
    return rules


def decide(rules: list[NsgRule], port: int) -> NsgRule | None:
    """The first rule by priority that matches TCP ``port`` from the internet."""
    for rule in rules:
        if any(lo <= port <= hi for lo, hi in rule.ports):
            return rule
    return None


def allowed_ports(rules: list[NsgRule]) -> tuple[list[tuple[int, int]], list[NsgRule]]:
    """TCP port intervals the internet is admitted to (first match wins), and the Allow
    rules that decide at least one of those ports."""
    decided: list[tuple[int, int]] = []
    allowed: list[tuple[int, int]] = []
    openers: list[NsgRule] = []
    for rule in rules:
        for lo, hi in rule.ports:
            fresh = _subtract((lo, hi), decided)
            if fresh and rule.access.lower() == "allow":
                allowed.extend(fresh)
                if rule not in openers:
                    openers.append(rule)
            decided = _union([*decided, (lo, hi)])
    return _union(allowed), openers


def _union(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _subtract(rng: tuple[int, int], taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = [rng]
    for a, b in taken:
        nxt = []
        for lo, hi in pieces:
            if b < lo or a > hi:
                nxt.append((lo, hi))
                continue
            if lo < a:
                nxt.append((lo, a - 1))
            if hi > b:
                nxt.append((b + 1, hi))
        pieces = nxt
    return pieces


MANAGEMENT_PORTS = {22: "SSH", 3389: "RDP"}


@relation("internet_inbound", "nsg")
def internet_inbound(g: AuditGraph, k: str) -> list[Item] | Unknown:
    """What the NSG decides for TCP from the internet, evaluated like Azure (custom rules
    by priority, first match wins, then the defaults): one item per management port
    (extra: port, service, access, rule, priority, source) and one for all ports
    (port "all"; access Allow only when every port is admitted). extra.attached_to names
    the subnets and NICs the NSG protects."""
    if nsg_rules(g.row(k)) is None:
        return Unknown.of(f"NSG {g.name(k)} has no securityRules list in its row")
    rules = internet_tcp_rules(g.row(k))
    attached = sorted(g.name(t) for t, _ in g.out(k, "protects"))
    items = []
    for port, service in MANAGEMENT_PORTS.items():
        rule = decide(rules, port)
        items.append(
            Item(
                key=f"tcp/{port}",
                extra={
                    "port": port,
                    "service": service,
                    "access": rule.access if rule else "Deny",
                    "rule": rule.name if rule else "(no rule: denied)",
                    "priority": rule.priority if rule else None,
                    "source": ", ".join(rule.sources) if rule else None,
                    "attached_to": attached,
                },
            )
        )
    allowed, openers = allowed_ports(rules)
    everything = allowed in ([TCP_PORTS], [(1, 65535)])
    items.append(
        Item(
            key="tcp/all",
            extra={
                "port": "all",
                "service": "all ports",
                "access": "Allow" if everything else "Deny",
                "rule": ", ".join(r.name for r in openers) if everything else None,
                "priority": ", ".join(str(r.priority) for r in openers) if everything else None,
                "source": ", ".join(sorted({s for r in openers for s in r.sources}))
                if everything
                else None,
                "attached_to": attached,
            },
        )
    )
    return items
