"""Private DNS: which zones hold an endpoint's names, which zones its group ids need, and
which VNets must be linked to a zone for their clients to get the endpoint's private IP.

Evidence comes in two strengths: zone groups (ARM) name the endpoint's zones outright; A
records (Resource Graph dnsresources) are matched to endpoints here, by IP and — where
landing zones share an address plan — by name. Custom DNS servers move the need for a link
to the VNet that hosts the server.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..clouds import ANY_ZONE_OF, CLOUDS
from ..collections import DNS_RECORDS, ZONE_GROUPS
from .base import Answer, Item, Unknown, by_id, memoized, node_item, relation
from .dns_answer import (
    AZURE_DNS,
    NO_ZONE,
    _clean,
    _completed,
    _under,
    endpoint_clients,
    endpoint_names,
    resolve_cached,
)
from .dns_answer import (
    endpoint_vnet as endpoint_vnet,  # its home is dns_answer (the clients ask it per endpoint)
)

if TYPE_CHECKING:
    from ..graph import AuditGraph

PEERINGS = "virtualNetworkPeerings"  # the embedded list a VNet's peerings come from


# -- A records → endpoints ----------------------------------------------------------------
@dataclass
class RecordMatches:
    """Which endpoint each A record names, and what cannot be told apart."""

    endpoints_of: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # rec → (pe, ip)
    records_of: dict[str, list[str]] = field(default_factory=dict)  # pe → records
    ambiguous_endpoints: set[str] = field(default_factory=set)
    ambiguous_records: set[str] = field(default_factory=set)
    # (zone, record FQDN) → the records of that name: what a zone answers for a name
    by_fqdn: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def record_matches(g: AuditGraph) -> RecordMatches:
    """A record → the endpoint it names. Private IPs repeat across VNets (landing zones
    share address plans), so an IP alone decides only when one endpoint has it; else the
    record's name must be one of the endpoint's FQDNs. An endpoint whose IP is shared but
    whose names are unknown is ambiguous, and so is the record."""
    found: RecordMatches = memoized(g, ("record_matches",), lambda: _match_records(g))
    return found


def _match_records(g: AuditGraph) -> RecordMatches:
    """Linear in records and endpoints: a shared IP's endpoints are indexed once by the
    dot-prefixes of their names, so a record tries only the endpoints its label can name
    (landing zones on one address plan repeat each IP once per zone)."""
    out = RecordMatches()
    endpoints_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    records_of: dict[str, list[str]] = defaultdict(list)
    seen_pairs: set[tuple[str, str]] = set()  # (record, endpoint) already listed
    by_label: dict[str, dict[str, list[str]]] = {}  # shared IP → name prefix → endpoints
    unnamed: dict[str, list[str]] = {}  # shared IP → its endpoints whose names are unknown
    by_fqdn: dict[tuple[str, str], list[str]] = defaultdict(list)
    zone_names = _zone_names(g)
    for k in g.nodes_of_kind("dns_record"):
        label = g.name(k).lower()
        for zone, _ in g.out(k, "record_in"):
            zname = zone_names.get(zone)
            if zname is None:
                zname = zone_names[zone] = _clean(g.name(zone))
            by_fqdn[(zone, zname if label == "@" else f"{label}.{zname}")].append(k)
        props = g.row(k).get("properties")
        records = props.get("aRecords") if isinstance(props, dict) else None
        for rec in records if isinstance(records, list) else ():
            ip = rec.get("ipv4Address") if isinstance(rec, dict) else None
            candidates = g.endpoint_ips.get(str(ip), []) if ip else []
            if len(candidates) == 1:
                matched = list(candidates)
            elif len(candidates) > 1:
                key = str(ip)
                if key not in by_label:
                    by_label[key], unnamed[key] = _index_shared(g, candidates)
                    out.ambiguous_endpoints.update(unnamed[key])
                if unnamed[key]:
                    out.ambiguous_records.add(k)
                matched = by_label[key].get(label, [])
            else:
                matched = []
            for pe in matched:
                if (k, pe) not in seen_pairs:
                    seen_pairs.add((k, pe))
                    endpoints_of[k].append((pe, str(ip)))
                    records_of[pe].append(k)
    out.endpoints_of, out.records_of = dict(endpoints_of), dict(records_of)
    out.by_fqdn = dict(by_fqdn)
    return out


def _zone_names(g: AuditGraph) -> dict[str, str]:
    """Zone → its name as DNS compares it, cleaned once per zone in a scan (the records'
    pass and every endpoint's expected zones read it)."""
    found: dict[str, str] = memoized(g, ("dns_zone_names",), dict)
    return found


def _index_shared(g: AuditGraph, candidates: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """The endpoints sharing one IP, by every dot-prefix of their names (a record labelled
    L names an endpoint with a name starting "L."), in candidate order; and those whose
    names are unknown (ambiguous: no record can be matched to them)."""
    index: dict[str, list[str]] = defaultdict(list)
    unknown: list[str] = []
    for pe in candidates:
        names = g.endpoint_fqdns.get(pe)
        if not names:
            unknown.append(pe)
            continue
        prefixes = {n[:i] for n in names for i, c in enumerate(n) if c == "."}
        for prefix in sorted(prefixes):
            index[prefix].append(pe)
    return dict(index), unknown


def zones_of_record(g: AuditGraph, rec: str) -> list[str]:
    return [z for z, _ in g.out(rec, "record_in")]


# -- an endpoint's zones ------------------------------------------------------------------
def endpoint_zones(g: AuditGraph, pe: str) -> dict[str, str] | Unknown:
    """Zones that hold the endpoint's names → the evidence. Zone groups (ARM) are the
    authoritative source; A records pointing at the endpoint's IPs are the weaker one used
    when the estate has no zone groups. Two relations ask for it per endpoint: once."""
    found: dict[str, str] | Unknown = memoized(
        g, ("endpoint_zones", pe), lambda: _endpoint_zones(g, pe)
    )
    return found


def _endpoint_zones(g: AuditGraph, pe: str) -> dict[str, str] | Unknown:
    collections = g.estate.collections()
    zones: dict[str, str] = {}
    # zone groups are read per endpoint: only an endpoint whose own input holds them has
    # its zone groups in the estate (the others fall back to A records)
    if ZONE_GROUPS in collections and g.estate.holds(pe, ZONE_GROUPS):
        for group, _ in g.out(pe, "has_zone_group"):
            if bad := g.unreadable(group, "privateDnsZoneConfigs"):
                # which zones the group names is unknown (a Terraform dynamic block over a
                # collection without a value): not "no zone"
                return Unknown.of(*(str(u) for u in bad))
            for zone, attrs in g.out(group, "uses_zone"):
                zones.setdefault(zone, f"zone group {g.name(group)} config {attrs.get('config')}")
        return zones
    if DNS_RECORDS in collections:
        matches = record_matches(g)
        for rec in matches.records_of.get(pe, ()):
            for zone in zones_of_record(g, rec):
                zones.setdefault(zone, f"A record {g.name(rec)} points at the endpoint's IP")
        if not zones and pe in matches.ambiguous_endpoints:
            return Unknown.of(
                f"endpoint {g.name(pe)} shares its private IP with other endpoints and its "
                "FQDNs are unknown, so A records cannot be matched to it"
            )
        return zones
    return Unknown.of(
        "the estate has neither private DNS zone groups (ARM) nor private DNS records "
        "(Resource Graph dnsresources)"
    )


@relation("dns_zones", "private_endpoint", fields=("evidence",))
def dns_zones(g: AuditGraph, k: str) -> Answer:
    """Private DNS zones that hold the endpoint's names (extra: evidence): from its DNS
    zone group, or — when the estate has no zone groups — from A records at its IPs."""
    zones = endpoint_zones(g, k)
    if isinstance(zones, Unknown):
        return zones
    return by_id(node_item(g, z, evidence=why) for z, why in zones.items())


@relation(
    "expected_zones",
    "private_endpoint",
    fields=("group_id", "zone", "ok", "problem", "target"),
    node=False,
)
def expected_zones(g: AuditGraph, k: str) -> Answer:
    """One item per zone the endpoint's group ids need, and per zone it uses that none of
    them needs (extra: group_id, zone, ok, problem). Empty when the endpoint uses no zone
    at all: that is the question of another rule."""
    zones = endpoint_zones(g, k)
    if isinstance(zones, Unknown):
        return zones
    if not zones:
        return []
    clean = _zone_names(g)
    used: dict[str, str] = {}  # DNS name → the zone (the last of a name, as printed)
    for z in zones:
        low = clean.get(z)
        if low is None:
            low = clean[z] = _clean(g.name(z))
        used[low] = z
    items: list[Item] = []
    needed: set[str] = set()
    table = CLOUDS[g.estate.cloud].zones
    for target, attrs in g.out(k, "targets"):
        target_name = g.name(target)
        for gid in attrs.get("group_ids") or []:
            low_gid = gid.lower()
            if low_gid not in table:
                items.append(
                    Item(
                        key=f"{low_gid}:?",
                        unknown=(
                            f"group id {gid} is not one this tool knows the DNS zone names of "
                            f"in the {g.estate.cloud} cloud"
                        ),
                    )
                )
                continue
            zones = table[low_gid]
            needed.update(zones)
            if low_gid in ANY_ZONE_OF:  # alternatives: those in use, else one of them
                zones = tuple(z for z in zones if z in used) or (" or ".join(zones),)
            for zone in zones:
                ok = zone in used
                problem = "" if ok else f"group id {gid} needs zone {zone}, not configured"
                items.append(
                    Item(
                        key=f"{low_gid}:{zone}",
                        extra={
                            "group_id": gid,
                            "zone": zone,
                            "ok": ok,
                            "problem": problem,
                            "target": target_name,
                        },
                    )
                )
    unexpected = sorted(low for low in used if low not in needed) if needed else ()
    if unexpected:  # what the problem names, read only then
        targets = ", ".join(sorted({g.name(t) for t, _ in g.out(k, "targets")}))
        groups = ", ".join(
            sorted({gid for _, a in g.out(k, "targets") for gid in a.get("group_ids") or []})
        )
        for low in unexpected:
            name = g.name(used[low])
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


def _dns_servers(g: AuditGraph, node: str) -> list[str]:
    """The custom DNS servers a VNet or NIC names, in order ([] : Azure-provided DNS). A
    list of Azure DNS alone is Azure-provided DNS; in a list with other servers it stays,
    in its place: clients that ask it get Azure DNS's answer in their own VNet."""
    servers = sorted(g.out(node, "uses_dns_server"), key=lambda s: s[1].get("order", 0))
    if all(g.row(s)["ip"] == AZURE_DNS for s, _ in servers):
        return []
    return [s for s, _ in servers]


def resolver_configs(g: AuditGraph, vnet: str) -> list[tuple[str | None, list[str]]]:
    """The DNS set-ups clients in a VNet use: (None, the VNet's servers) — any client
    that does not override them, a new VM say — and (NIC name, its servers) for each
    NIC whose dnsSettings.dnsServers override its VNet's."""
    cache: dict[str, list[tuple[str | None, list[str]]]] = memoized(g, ("resolver_configs",), dict)
    found = cache.get(vnet)
    if found is None:
        overrides: dict[str, list[tuple[str, list[str]]]] = memoized(
            g, ("nic_dns_overrides",), lambda: _nic_overrides(g)
        )
        found = cache[vnet] = [(None, _dns_servers(g, vnet)), *overrides.get(vnet, ())]
    return found


def _nic_overrides(g: AuditGraph) -> dict[str, list[tuple[str, list[str]]]]:
    found: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for nic in g.nodes_of_kind("nic"):
        if g.first_out(nic, "uses_dns_server") is None:
            continue
        subnet = g.first_out(nic, "in_subnet")
        vnet = g.vnet_of_subnet.get(subnet) if subnet else None
        if vnet is not None:
            found[vnet].append((g.name(nic), _dns_servers(g, nic)))
    return dict(found)


@relation(
    "required_links",
    "private_dns_zone",
    fields=("linked", "via", "endpoints", "vnet_name", "cause", "answered_by"),
)
def required_links(g: AuditGraph, zone: str) -> Answer:
    """VNets that must be linked to this zone (extra: linked, via, endpoints, cause,
    answered_by).

    For every private endpoint registered in the zone (by zone group or A record): the
    endpoint's VNet and the VNets peered with it in state Connected must resolve its name.
    Each client's query is followed as Azure answers it (``dns_answer``): the VNet whose
    Azure DNS finally decides — the client's own, the one hosting its custom DNS server, a
    DNS Private Resolver or an Azure Firewall DNS proxy, after forwarding rulesets — needs
    the link. ``linked`` counts only a link in state Completed; ``cause`` says why that
    VNet's answer is what it is (no_zone, link_not_completed, …) and ``answered_by`` names
    another zone of the same name that answers there instead (then linking this zone is
    not possible). A chain that cannot be followed (a server on-premises, a VNet outside
    the estate, rules not collected) or an A record that several endpoints could own
    cannot be judged: the item is marked unknown."""
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
    matches = record_matches(g)
    endpoints_of, ambiguous = matches.endpoints_of, matches.ambiguous_records
    for rec, _ in g.into(zone, "record_in"):  # a shared zone holds thousands
        found = endpoints_of.get(rec)
        if found is not None:
            for pe, _ in found:
                endpoints.add(pe)
        if rec in ambiguous:
            undecided.append(rec)

    links: dict[str, bool] = {}

    def linked(target: str) -> bool:
        """A link to the target in state Completed: asked of the few targets the zone's
        clients need, not of every link of a zone linked to thousands of VNets; once each."""
        found = links.get(target)
        if found is None:
            attrs = g.edge(zone, target, "linked_to")
            found = links[target] = attrs is not None and _completed(attrs.get("state"))
        return found

    needs: dict[str, _Need] = {}  # target key → what the zone's clients need of it

    def need(target: str, label: str, why: tuple[str, ...], pe: str, unknown: str) -> None:
        entry = needs.get(target)
        if entry is None:
            entry = needs[target] = _Need(label)
        entry.via[" → ".join(why)] = None
        entry.endpoints.add(pe)
        if not linked(target):
            entry.unknown = unknown

    zone_name = g.name(zone).lower().rstrip(".")
    names_of = endpoint_names(g).names_of
    for pe in sorted(endpoints):
        pe_name = g.name(pe)
        clients = endpoint_clients(g, pe)
        # the endpoint's names in this zone: every client that can be judged asks each of
        # its names (a client with a problem asks none)
        mine = {n for n in names_of.get(pe, ()) if n and _under(n, zone_name)}
        routed: set[tuple[str, str | None]] = set()
        for c in clients:
            if c.problem:
                need(c.target, c.label, c.path, pe_name, c.problem)
                continue
            if mine and c.name not in mine:
                continue
            if not mine:  # the endpoint's names are unknown: route the zone's own name
                if (c.target, c.nic) in routed:
                    continue
                routed.add((c.target, c.nic))
                answers = resolve_cached(g, zone_name, c.target, _servers(g, c), c.who)
            else:
                answers = c.answers
            for a in answers:
                # a zone that answers but whose records are unknown still says the link
                if a.zone is None and a.unknown:
                    label = f"DNS server {a.server} of {c.label}" if a.server else c.label
                    need(
                        f"{a.server}@{c.target}" if a.server else f"{c.target}|{a.reason}",
                        label,
                        (*c.path, *a.chain),
                        pe_name,
                        f"{' → '.join(a.chain)}: {a.reason}",
                    )
                    continue
                asked = a.asked or c.target
                entry = needs.get(asked)
                if entry is None:
                    entry = needs[asked] = _Need(g.display_id(asked))
                entry.via[" → ".join((*c.path, *a.chain))] = None
                entry.endpoints.add(pe_name)
                cause = a.cause
                if cause and (not entry.cause or cause == NO_ZONE):
                    entry.cause = cause
                if not entry.answered_by and a.zone is not None and a.zone != zone:
                    entry.answered_by = g.display_id(a.zone)
    for rec in undecided:
        need(
            f"record:{rec}",
            g.display_id(rec),
            (f"A record {g.name(rec)}",),
            g.name(rec),
            f"A record {g.name(rec)} points at an IP that several endpoints share, "
            "and their FQDNs are unknown: which endpoint it serves, and so which "
            "VNets need the link, cannot be told",
        )
    items = []
    for target, entry in sorted(needs.items()):
        is_vnet = g.has_node(target) and g.kind(target) == "vnet"
        items.append(
            Item(
                key=entry.label,
                node=target if is_vnet else None,
                extra={
                    "linked": linked(target),
                    "via": list(entry.via),
                    "endpoints": sorted(entry.endpoints),
                    "vnet_name": g.name(target) if is_vnet else entry.label,
                    "cause": entry.cause or None,
                    "answered_by": entry.answered_by,
                },
                unknown=entry.unknown,
            )
        )
    return items


class _Need:
    """What the clients of a zone's endpoints need of one target (a VNet, or a placeholder
    for what cannot be judged): how it is printed, the paths (an ordered set), the
    endpoints, why unknown, the cause of its answer and another zone answering there."""

    __slots__ = ("answered_by", "cause", "endpoints", "label", "unknown", "via")

    def __init__(self, label: str) -> None:
        self.label = label
        self.via: dict[str, None] = {}
        self.endpoints: set[str] = set()
        self.unknown: str | None = None
        self.cause = ""
        self.answered_by: str | None = None


def _servers(g: AuditGraph, c: Any) -> list[str]:
    for nic, servers in resolver_configs(g, c.target):
        if nic == c.nic:
            return [g.row(s)["ip"] for s in servers]
    return []
