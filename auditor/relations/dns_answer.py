"""The DNS answer a client gets: which resolver it asks, where the query goes from there,
and what the zone that finally answers returns — one home for these semantics.

A client (a VNet, or a NIC whose ``dnsSettings.dnsServers`` override its VNet's) asks its
DNS servers in order; none named means Azure DNS (168.63.129.16) in its own VNet. A server
IP is classified:

* a DNS Private Resolver inbound endpoint → Azure DNS in the resolver's VNet;
* an Azure Firewall with DNS proxy enabled (its policy's ``dnsSettings.enableProxy``, or a
  classic firewall's ``Network.DNS.EnableProxy``) → the firewall's DNS servers (default:
  Azure DNS in the firewall's VNet); without the proxy the firewall answers no DNS;
* another IP inside a VNet of the estate (a forwarder VM) → Azure DNS in that VNet — the
  assumption that a forwarder forwards to Azure DNS, stated in the chain;
* an IP in no VNet of the estate (on-premises) → unknown.

Azure DNS in VNet X first applies the forwarding rulesets linked to X (enabled rules, the
longest matching domain wins) and forwards to the rule's targets; else the private zone of
the longest matching name linked to X with a link in state Completed answers: its A record
(the endpoint's current IP → private, another IP → stale), no record → NXDOMAIN (unless the
link's resolutionPolicy is NxDomainRedirect → public); no zone → public (the public CNAME
chain, which for a private link name continues at ``<name>.privatelink.<suffix>``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .. import arm, embedded
from ..clouds import CLOUDS
from ..collections import DNS_RECORDS, FORWARDING_RULES, RULESET_LINKS
from ..unknown import UnknownValue, contains_unknown
from .base import Item, by_id, memoized, relation
from .peering import connected_peers

if TYPE_CHECKING:
    from ..graph import AuditGraph

AZURE_DNS = "168.63.129.16"
MAX_HOPS = 8  # resolver hops before a chain counts as a loop

PRIVATE, STALE, NXDOMAIN, PUBLIC, UNKNOWN = "private", "stale", "nxdomain", "public", "unknown"
# why the answer is what it is
RECORD = "record"  # the zone's A record is the endpoint's current IP
STALE_RECORD = "stale_record"
MISSING_RECORD = "missing_record"  # the zone the endpoint registers in lacks the record
NOT_REGISTERED = "not_registered"  # no endpoint that owns the name registers it in a zone
CONFLICTING_ZONE = "conflicting_zone"  # another zone of the same name answers NXDOMAIN
NXDOMAIN_REDIRECT = "nxdomain_redirect"
NO_ZONE = "no_zone"
LINK_NOT_COMPLETED = "link_not_completed"


@dataclass(slots=True)
class DnsAnswer:
    """What one resolution path returns, and the chain that leads there."""

    answer: str  # private | stale | nxdomain | public | unknown
    chain: tuple[str, ...]
    cause: str = ""
    address: str | None = None
    expected: tuple[str, ...] = ()  # the endpoint's current IPs (known ones)
    zone: str | None = None  # the zone that answered (or whose link is not Completed)
    record: str | None = None  # the A record set that answered
    asked: str | None = None  # the VNet whose Azure DNS decided
    reason: str | None = None  # why unknown
    server: str | None = None  # the client's DNS server this path starts at (None: Azure DNS)
    link: str | None = None  # the zone's link that decided (name and state)
    # the last step, what the deciding resolver or zone does: a string, or the parts of one
    # (strings the graph holds anyway), joined only when read — most answers are private and
    # no finding prints their last step, so a scan keeps parts, not a sentence per answer
    last: str | tuple[str, ...] = ""

    @property
    def verdict(self) -> str:
        last = self.last
        return last if type(last) is str else "".join(last)

    @property
    def steps(self) -> tuple[str, ...]:
        verdict = self.verdict
        return (*self.chain, verdict) if verdict else self.chain

    @property
    def unknown(self) -> bool:
        return self.answer == UNKNOWN


# -- names ----------------------------------------------------------------------------------
def _clean(name: str) -> str:
    """The name as DNS compares it; the very string given when it is clean already, so the
    memos keyed by names hold one copy of each, not one per cleaning."""
    clean = name.strip().lower().rstrip(".")
    return name if clean == name else clean


def _suffixes(g: AuditGraph) -> frozenset[str]:
    """The public suffixes of the cloud's private link zones (privatelink.X → X)."""

    def compute() -> frozenset[str]:
        found = set()
        for zones in CLOUDS[g.estate.cloud].zones.values():
            for z in zones:
                if z.startswith("privatelink."):
                    found.add(z[len("privatelink.") :])
        return frozenset(found)

    result: frozenset[str] = memoized(g, ("dns_suffixes",), compute)
    return result


def cname_chain(g: AuditGraph, name: str) -> tuple[str, ...]:
    """The names Azure DNS looks up for a query: the name, then — for a private link
    service name — the ``privatelink`` name its public CNAME points at."""
    memo: dict[str, tuple[str, ...]] = memoized(g, ("cname_chains",), dict)
    found = memo.get(name)
    if found is None:
        found = memo[name] = _cname_chain(g, name)
    return found


def _cname_chain(g: AuditGraph, name: str) -> tuple[str, ...]:
    return _chain(_clean(name), _suffixes(g))


def _chain(name: str, suffixes: frozenset[str]) -> tuple[str, ...]:
    """``cname_chain`` of a clean name, given the cloud's private link suffixes."""
    if name.startswith("privatelink.") or ".privatelink." in name:
        return (name,)
    i = name.find(".")  # the longest suffix first: the one after the leftmost dot
    while i >= 0:
        suffix = name[i + 1 :]
        if suffix in suffixes:
            return (name, f"{name[: i + 1]}privatelink.{suffix}")
        i = name.find(".", i + 1)
    return (name,)


def private_name(g: AuditGraph, name: str) -> str:
    return cname_chain(g, name)[-1]


def _under(name: str, domain: str) -> bool:
    """The name is the domain or below it; the root domain (a forwarding rule for ".")
    holds every name."""
    return not domain or name == domain or name.endswith("." + domain)


# -- endpoints: their names and current IPs -------------------------------------------------
@dataclass
class EndpointNames:
    """Sorted tuples, not sets: a scan holds one per endpoint and name, and an endpoint's
    names that share its NIC's IPs share one tuple."""

    by_name: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # name → pe → IPs
    names_of: dict[str, tuple[str, ...]] = field(default_factory=dict)  # pe → private names


def endpoint_names(g: AuditGraph) -> EndpointNames:
    """Every private endpoint's names (in their ``privatelink`` form) and, per name, the
    endpoint's current private IPs: its NIC's IP configuration for that name, else any of
    its NIC's IPs, else its customDnsConfigs."""
    found: EndpointNames = memoized(g, ("endpoint_names",), lambda: _endpoint_names(g))
    return found


def _endpoint_names(g: AuditGraph) -> EndpointNames:
    from .dns import record_matches

    matches = record_matches(g)
    suffixes = _suffixes(g)
    # a name → its private name, one string per name; the scan's own table, not
    # cname_chain's memo: no resolution asks the public names of endpoints again
    private: dict[str, str] = {}

    def private_name(name: str) -> str:
        found = private.get(name)
        if found is None:
            found = private[name] = _chain(_clean(name), suffixes)[-1]
        return found

    out = EndpointNames()
    by_name: dict[str, dict[str, tuple[str, ...]]] = defaultdict(dict)
    names_of: dict[str, tuple[str, ...]] = {}
    for pe in g.nodes_of_kind("private_endpoint"):
        named: dict[str, set[str]] = defaultdict(set)
        nic_ips: set[str] = set()
        for nic, _ in g.into(pe, "attached_to"):
            if g.kind(nic) != "nic" or not g.seen(nic):
                continue
            for ip, fqdns in _ip_configs(g.row(nic)):
                nic_ips.add(ip)
                for f in fqdns:
                    named[private_name(f)].add(ip)
        props = g.row(pe).get("properties")
        props = props if isinstance(props, dict) else {}
        nic_ips.update(ip for ip, _ in _ip_configs(g.row(pe)))
        custom, _ = embedded.read_list(props.get("customDnsConfigs"), embedded.CUSTOM_DNS_CONFIGS)
        custom_ips = {ip for c in custom for ip in c.ips}
        current = nic_ips or custom_ips
        for c in custom:
            if c.fqdn:
                named.setdefault(private_name(c.fqdn), set()).update(c.ips if not nic_ips else ())
        for name in g.endpoint_fqdns.get(pe, ()):  # zone group record sets among them
            named.setdefault(private_name(name), set())
        if not named:  # no FQDNs on the NIC or endpoint: the records it registers
            for group, _ in g.out(pe, "has_zone_group"):
                for zone, _ in g.out(group, "uses_zone"):
                    for rs_name in _zone_group_names(g, group, zone):
                        named.setdefault(rs_name, set())
            for rec in matches.records_of.get(pe, ()):
                for zone, _ in g.out(rec, "record_in"):
                    named.setdefault(_record_fqdn(g, rec, zone), set())
        if not named:
            continue
        shared = tuple(sorted(current))
        for name, ips in named.items():
            own = tuple(sorted(ips)) if ips else shared
            by_name[name][pe] = shared if own == shared else own
        names_of[pe] = tuple(sorted(named))
    out.by_name, out.names_of = dict(by_name), names_of
    return out


def _ip_configs(row: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(private IP, FQDNs) of a NIC's or endpoint's IP configurations, read leniently: the
    graph already recorded the entries it could not read."""
    props = row.get("properties")
    configs = props.get("ipConfigurations") if isinstance(props, dict) else None
    out = []
    for c in configs if isinstance(configs, list) else ():
        inner = c.get("properties") if isinstance(c, dict) else None
        if not isinstance(inner, dict):
            continue
        ip = inner.get("privateIPAddress")
        if not isinstance(ip, str) or not ip:
            continue
        link = inner.get("privateLinkConnectionProperties")
        fqdns = link.get("fqdns") if isinstance(link, dict) else None
        out.append(
            (ip, [f for f in fqdns if isinstance(f, str) and f] if isinstance(fqdns, list) else [])
        )
    return out


def _record_fqdn(g: AuditGraph, rec: str, zone: str) -> str:
    label = g.name(rec).lower()
    return _clean(g.name(zone)) if label == "@" else f"{label}.{_clean(g.name(zone))}"


def _zone_group_names(g: AuditGraph, group: str, zone: str) -> list[str]:
    """Names a zone group registers in a zone: its record sets' fqdn or recordSetName."""
    return [n for n, _ in _zone_group_records(g, group, zone)]


def _zone_group_records(
    g: AuditGraph, group: str, zone: str
) -> list[tuple[str, list[str] | UnknownValue]]:
    props = g.row(group).get("properties")
    configs, _ = embedded.read_list(
        props.get("privateDnsZoneConfigs") if isinstance(props, dict) else None,
        embedded.ZONE_CONFIGS,
    )
    zone_name = _clean(g.name(zone))
    out = []
    for cfg in configs:
        if arm.key(cfg.zone) != zone or not isinstance(cfg.record_sets, list):
            continue
        for rs in cfg.record_sets:
            if not isinstance(rs, dict) or str(rs.get("recordType", "A")).upper() != "A":
                continue
            fqdn, label = rs.get("fqdn"), rs.get("recordSetName")
            if isinstance(fqdn, str) and fqdn:
                name = _clean(fqdn)
            elif isinstance(label, str) and label:
                name = zone_name if label == "@" else f"{label.lower()}.{zone_name}"
            else:
                continue
            ips = rs.get("ipAddresses")
            if type(ips) is UnknownValue:  # written at apply (Terraform): kept unknown
                out.append((name, ips))
                continue
            out.append((name, [str(i) for i in ips] if isinstance(ips, list) else []))
    return out


# -- what a zone holds ----------------------------------------------------------------------
def _records_index(g: AuditGraph) -> dict[tuple[str, str], list[str]]:
    """(zone, record FQDN) → the zone's A record sets of that name: read in record_matches'
    pass over the records."""

    def compute() -> dict[tuple[str, str], list[str]]:
        from .dns import record_matches

        return record_matches(g).by_fqdn

    result: dict[tuple[str, str], list[str]] = memoized(g, ("dns_records_index",), compute)
    return result


CNAME_TYPE = "microsoft.network/privatednszones/cname"


def _cname_index(g: AuditGraph) -> dict[tuple[str, str], str]:
    """(zone, name) → the CNAME record set of a private zone (a type not modelled)."""

    def compute() -> dict[tuple[str, str], str]:
        index: dict[tuple[str, str], str] = {}
        for rec in g.nodes_of_type(CNAME_TYPE):
            zone = arm.key(arm.parent(g.display_id(rec)))
            index.setdefault((zone, _record_fqdn(g, rec, zone)), rec)
        return index

    result: dict[tuple[str, str], str] = memoized(g, ("dns_cname_index",), compute)
    return result


def _a_ips(g: AuditGraph, rec: str) -> list[str]:
    props = g.row(rec).get("properties")
    records = props.get("aRecords") if isinstance(props, dict) else None
    return [
        str(r["ipv4Address"])
        for r in (records if isinstance(records, list) else ())
        if isinstance(r, dict) and r.get("ipv4Address")
    ]


def _records_answer(g: AuditGraph, recs: list[str]) -> tuple[str | None, list[str]] | str:
    """The record rows' answer; unknown when one holds a value known only after apply
    (only rows from source code can: other estates skip the walk through each row)."""
    if g.has_unknown_values:
        for r in recs:
            hole = contains_unknown(g.row(r).get("properties"))
            if hole is not None:
                return f"A record {g.display_id(r)} holds a value known only after apply: {hole}"
    return g.display_id(recs[0]), [ip for r in recs for ip in _a_ips(g, r)]


# The address a record set holds when a zone group of a configuration (Terraform) writes
# it at apply: the endpoint's own private IP, allocated then. The record cannot be stale —
# Azure writes it from the endpoint — so the answer is private; only the digits are unknown.
AT_APPLY = "the endpoint's private IP (allocated at apply)"


def _planned_record(g: AuditGraph, zone: str, name: str) -> tuple[str, list[str]] | None:
    """The record set a zone group of a configuration (Terraform) writes for ``name`` at
    apply, with the endpoint's IP known only then (``AT_APPLY``); else None. It does not
    exist yet, whatever the estate says of the zone's records."""
    for group, _ in g.into(zone, "uses_zone"):
        for rs_name, ips in _zone_group_records(g, group, zone):
            if rs_name == name and type(ips) is UnknownValue:
                return f"{name} (zone group {g.display_id(group)}, written at apply)", [AT_APPLY]
    return None


def zone_lookup(g: AuditGraph, zone: str, name: str) -> tuple[str | None, list[str]] | str:
    """(record display id or None, its A IPs) for a name in a zone; ([]: no record). A
    string says why the zone's content is unknown."""
    if g.estate.holds(zone, DNS_RECORDS):
        recs = _records_index(g).get((zone, name), [])
        if not recs:
            planned = _planned_record(g, zone, name)
            if planned is not None:  # not written yet: the plan's zone group writes it
                return planned
            cname = _cname_index(g).get((zone, name))
            if cname is not None:  # the name is an alias: not followed here
                return (
                    f"zone {g.name(zone)} answers {name} with CNAME record "
                    f"{g.display_id(cname)}: aliases are not followed, so the address "
                    "clients get cannot be told"
                )
            return None, []
        return _records_answer(g, recs)
    # without the zone's records, the zone groups that write into it say what they wrote
    planned = _planned_record(g, zone, name)
    if planned is not None:
        return planned
    for group, _ in g.into(zone, "uses_zone"):
        for rs_name, ips in _zone_group_records(g, group, zone):
            if rs_name == name and type(ips) is not UnknownValue:
                return f"{name} (zone group {g.display_id(group)})", ips
    # records of the zone the input does hold (a Terraform configuration's own record
    # resources) answer for their names, though the zone's full list is not held
    recs = _records_index(g).get((zone, name), [])
    if recs:
        return _records_answer(g, recs)
    return (
        f"the records of zone {g.name(zone)} ({g.display_id(zone)}) are not in the estate "
        "(Resource Graph dnsresources), and no zone group registers the name there"
    )


# -- Azure DNS in a VNet ----------------------------------------------------------------------
def _completed(state: Any) -> bool:
    """A link counts once Azure reports it Completed (an absent state: as created). Any
    other value — InProgress, or one Azure does not define — is not yet a link."""
    return state is None or state == "Completed" or str(state).strip().lower() == "completed"


def _zones_by_name(g: AuditGraph) -> dict[str, list[str]]:
    def compute() -> dict[str, list[str]]:
        index: dict[str, list[str]] = defaultdict(list)
        for z in g.nodes_of_kind("private_dns_zone"):
            index[_clean(g.name(z))].append(z)
        for z in g.unseen_by_type.get("microsoft.network/privatednszones", ()):
            index[_clean(g.name(z))].append(z)
        return dict(index)

    result: dict[str, list[str]] = memoized(g, ("zones_by_name",), compute)
    return result


def _unreadable_links(g: AuditGraph) -> dict[str, list[str]]:
    """Zone name → the links of zones of that name whose VNet cannot be read."""

    def compute() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for zname, zones in _zones_by_name(g).items():
            bad = [str(u) for z in zones for u in g.unreadable(z, "virtualNetwork")]
            if bad:
                found[zname] = bad
        return found

    result: dict[str, list[str]] = memoized(g, ("unreadable_zone_links",), compute)
    return result


# zone name → (the first link not Completed, the Completed links) of the zones linked to a VNet
Decisions = dict[
    str, tuple[tuple[str, dict[str, Any]] | None, tuple[tuple[str, dict[str, Any]], ...]]
]


def _decisions(g: AuditGraph) -> dict[str, Decisions]:
    """VNet → its zone decisions, for every VNet a private zone is linked to: built in one
    pass over the zones' links (each link's (zone, attributes) pair held once, shared by
    the decision), so a resolution only looks names up."""

    def compute() -> dict[str, Decisions]:
        out: dict[str, Decisions] = {}
        for zname, zones in _zones_by_name(g).items():
            for z in zones:
                for v, attrs in g.out(z, "linked_to"):
                    table = out.get(v)
                    if table is None:
                        table = out[v] = {}
                    pending, done = table.get(zname, _UNDECIDED)
                    state = attrs.get("state")
                    if state == "Completed" or _completed(state):
                        done = (*done, (z, attrs))
                    elif pending is None:
                        pending = (z, attrs)
                    table[zname] = (pending, done)
        return out

    result: dict[str, Decisions] = memoized(g, ("dns_decisions",), compute)
    return result


_UNDECIDED: tuple[None, tuple[()]] = (None, ())


def _rulesets_without_links(g: AuditGraph) -> list[str]:
    def compute() -> list[str]:
        return [
            f"the virtual network links of forwarding ruleset {g.name(rs)} are not in the "
            "estate: whether it applies to this VNet cannot be told"
            for rs in g.nodes_of_kind("dns_forwarding_ruleset")
            if not g.estate.holds(rs, RULESET_LINKS)
        ]

    result: list[str] = memoized(g, ("rulesets_without_links",), compute)
    return result


def _rules_at(g: AuditGraph, vnet: str) -> list[tuple[str, str, list[str], str]] | str:
    """(domain, rule display id, target IPs, ruleset name) of the enabled forwarding rules
    of the rulesets linked to the VNet; a string says why they are unknown."""
    cache: dict[str, list[tuple[str, str, list[str], str]] | str] = memoized(
        g, ("dns_rules_at",), dict
    )
    found = cache.get(vnet)
    if found is None:
        found = cache[vnet] = _read_rules_at(g, vnet)
    return found


def _read_rules_at(g: AuditGraph, vnet: str) -> list[tuple[str, str, list[str], str]] | str:
    problems = []
    rules = []
    for rs, _ in g.into(vnet, "ruleset_linked_to"):
        if not g.seen(rs):
            problems.append(f"forwarding ruleset {g.display_id(rs)} is not in the estate")
            continue
        if not g.estate.holds(rs, FORWARDING_RULES):
            problems.append(
                f"the forwarding rules of ruleset {g.name(rs)} are not in the estate "
                "(read from ARM by 'mlops-audit collect')"
            )
            continue
        for rule, _ in g.into(rs, "rule_of"):
            props = g.row(rule).get("properties")
            props = props if isinstance(props, dict) else {}
            state = props.get("forwardingRuleState")
            plain = "enabled" if state is None else str(state).strip().lower()
            if plain == "disabled":
                continue
            if plain != "enabled":  # neither value Azure defines: it may forward or not
                problems.append(
                    f"forwarding rule {g.display_id(rule)} has state {str(state)[:40]!r}, "
                    "neither Enabled nor Disabled"
                )
                continue
            domain = props.get("domainName")
            if not isinstance(domain, str) or not domain.strip():
                problems.append(f"forwarding rule {g.display_id(rule)} has no domainName")
                continue
            targets = props.get("targetDnsServers")
            ips = [
                str(t["ipAddress"])
                for t in (targets if isinstance(targets, list) else ())
                if isinstance(t, dict) and t.get("ipAddress")
            ]
            rules.append((_clean(domain), g.display_id(rule), ips, g.name(rs)))
    problems.extend(_rulesets_without_links(g))  # they may apply to this VNet too
    for u in g.unreadable(vnet, "virtualNetwork"):
        problems.append(str(u))
    if problems:
        return "; ".join(sorted(set(problems)))
    return rules


def _no_zone(g: AuditGraph, vnet: str, names: tuple[str, ...], chain: tuple[str, ...]) -> DnsAnswer:
    return DnsAnswer(
        PUBLIC,
        chain,
        last=(
            "no private zone of ",
            names[-1],
            " is linked to VNet ",
            g.name(vnet),
            ": the public DNS answers",
        ),
        cause=NO_ZONE,
        asked=vnet,
    )


_NO_DECISIONS: Decisions = {}
# a client VNet's ARM id and its DNS set-ups: (NIC, who, server IPs, first step or None)
Setups = tuple[str, list[tuple[str | None, str, list[str], tuple[str] | None]]]


class _Context:
    """What every resolution in one graph shares, read once: the zone decisions per VNet,
    what each zone holds for a name, the record names, and the chain's first step per
    client."""

    # it never holds the graph: the context lives in the graph's memo, and a cycle would
    # keep a graph alive once the cyclic collector is off (as it is for a scan)
    def __init__(self, g: AuditGraph) -> None:
        self.bad = _unreadable_links(g)
        self.decisions = _decisions(g)
        # (zone, name) → what the zone holds for the name (``zone_lookup``); once the zone's
        # answer is known private, (record, address, expected IPs, the record's short name)
        # instead: that answer holds for every VNet that asks, its parts read once
        self._lookups: dict[tuple[str, str], Any] = {}
        self._by_name: dict[str, dict[str, tuple[str, ...]]] | None = None
        self._short: dict[str, str] = {}
        self._plain: dict[str, bool] = {}
        self._azure: dict[str, tuple[str]] = {}
        self._zone_head: dict[str, tuple[str, ...]] = {}
        self._setups: dict[str, Setups] = {}
        self._vnet_names: dict[str, str] = {}

    def setups(self, g: AuditGraph, vnet: str) -> Setups:
        """The DNS set-ups of a VNet's clients (``resolver_configs``), read once per VNet
        and shared by the endpoints it reaches: the VNet's ARM id, and per set-up (NIC or
        None, how the client is named, its server IPs, and — on Azure-provided DNS — its
        chain's first step, else None)."""
        found = self._setups.get(vnet)
        if found is None:
            from .dns import resolver_configs

            configs = []
            for nic, servers in resolver_configs(g, vnet):
                who = g.name(vnet) if nic is None else f"NIC {nic} in {g.name(vnet)}"
                ips = [g.row(s)["ip"] for s in servers]
                configs.append((nic, who, ips, None if ips else self.azure_chain(who)))
            found = self._setups[vnet] = (g.display_id(vnet), configs)
        return found

    def decisions_at(self, vnet: str) -> Decisions:
        return self.decisions.get(vnet, _NO_DECISIONS)

    def plain(self, g: AuditGraph, vnet: str) -> bool:
        """The VNet is in the estate and no forwarding ruleset applies: its zones decide."""
        found = self._plain.get(vnet)
        if found is None:
            found = self._plain[vnet] = g.seen(vnet) and _rules_at(g, vnet) == []
        return found

    def azure_chain(self, start: str) -> tuple[str]:
        """The first step of a client on Azure-provided DNS: one tuple per client, shared
        by the names it asks."""
        found = self._azure.get(start)
        if found is None:
            found = self._azure[start] = (f"{start} uses Azure-provided DNS",)
        return found

    def linked(self, g: AuditGraph, zone: str, vnet: str) -> tuple[str, ...]:
        """The parts of "zone Z (id) is linked to VNet V": strings the graph holds, the
        zone's read once per zone and the VNet's once per VNet."""
        return (*self.head(g, zone), self.vnet_name(g, vnet))

    def head(self, g: AuditGraph, zone: str) -> tuple[str, ...]:
        head = self._zone_head.get(zone)
        if head is None:
            head = self._zone_head[zone] = (
                "zone ",
                g.name(zone),
                " (",
                g.display_id(zone),
                ") is linked to VNet ",
            )
        return head

    def vnet_name(self, g: AuditGraph, vnet: str) -> str:
        found = self._vnet_names.get(vnet)
        if found is None:
            found = self._vnet_names[vnet] = g.name(vnet)
        return found

    def lookup(self, g: AuditGraph, zone: str, name: str) -> Any:
        """``zone_lookup``, or the private answer's parts (a 4-tuple) once known."""
        key = (zone, name)
        found = self._lookups.get(key)
        if found is None:
            found = self._lookups[key] = zone_lookup(g, zone, name)
        return found

    def private(self, zone: str, name: str, parts: tuple[str, str, tuple[str, ...], str]) -> None:
        self._lookups[(zone, name)] = parts

    def short(self, record: str) -> str:
        found = self._short.get(record)
        if found is None:
            found = self._short[record] = _short(record)
        return found

    def owners(self, g: AuditGraph, name: str) -> dict[str, tuple[str, ...]]:
        if self._by_name is None:
            self._by_name = endpoint_names(g).by_name
        return self._by_name.get(name, {})


def _context(g: AuditGraph) -> _Context:
    found: _Context | None = g.memo.get(_CONTEXT)
    if found is None:
        found = g.memo[_CONTEXT] = _Context(g)
    return found


_CONTEXT = ("dns_context",)


class _Resolver:
    """Walks one query through resolvers, with a loop guard."""

    def __init__(self, g: AuditGraph) -> None:
        self.g = g
        self.ctx = _context(g)
        self.asking: set[tuple[str, tuple[str, ...]]] = set()  # (VNet, names) on the stack

    # a server IP, asked from a VNet
    def server(
        self, ip: str, client: str | None, names: tuple[str, ...], chain: tuple[str, ...], hops: int
    ) -> list[DnsAnswer]:
        g = self.g
        if hops > MAX_HOPS:
            return [_unknown(chain, f"more than {MAX_HOPS} resolver hops: the chain loops")]
        if ip == AZURE_DNS:
            if client is None:
                return [_unknown(chain, "Azure DNS (168.63.129.16) asked from outside a VNet")]
            return self.azure_dns(
                client, names, (*chain, f"Azure DNS in VNet {g.name(client)}"), hops
            )
        where = _ip_owners(g).get(ip, [])
        inbound = [k for kind, k in where if kind == "dns_inbound_endpoint"]
        firewalls = [k for kind, k in where if kind == "azure_firewall"]
        if len(inbound) + len(firewalls) > 1:
            return [_unknown(chain, f"several resolvers of the estate have the IP {ip}")]
        if inbound:
            ep = inbound[0]
            resolver = g.first_out(ep, "inbound_of")
            vnet = g.first_out(resolver, "resolver_in") if resolver else None
            if vnet is None:
                return [
                    _unknown(chain, f"the VNet of the resolver of inbound endpoint {ip} is unknown")
                ]
            step = (
                f"DNS server {ip} is inbound endpoint {g.name(ep)} of DNS Private Resolver "
                f"{g.name(resolver) if resolver else '?'} → Azure DNS in VNet {g.name(vnet)}"
            )
            return self.azure_dns(vnet, names, (*chain, step), hops + 1)
        if firewalls:
            return self.firewall(firewalls[0], ip, names, chain, hops)
        hosts = _hosts(g, ip, client)
        if not hosts:
            where_ = "several VNets" if g.vnets_containing(ip) else "no VNet"
            return [
                _unknown(
                    (*chain, f"DNS server {ip} lies in {where_} of the estate"),
                    f"DNS server {ip} lies in {where_} of the estate (on-premises or "
                    "elsewhere): what it answers cannot be told",
                )
            ]
        host = hosts[0]
        where_ = (
            f"hosted in VNet {g.name(host)} (a forwarder, assumed to forward to Azure DNS there)"
        )
        if chain and chain[-1].endswith(f"DNS server {ip}"):
            chain = (*chain[:-1], f"{chain[-1]} {where_}")
        else:
            chain = (*chain, f"DNS server {ip} {where_}")
        return self.azure_dns(host, names, chain, hops + 1)

    def firewall(
        self, fw: str, ip: str, names: tuple[str, ...], chain: tuple[str, ...], hops: int
    ) -> list[DnsAnswer]:
        g = self.g
        settings = firewall_dns(g, fw)
        if isinstance(settings, str):
            return [_unknown(chain, settings)]
        enabled, servers = settings
        label = f"DNS server {ip} is Azure Firewall {g.name(fw)}"
        if not enabled:
            return [
                _unknown(
                    (*chain, f"{label}, DNS proxy disabled"),
                    f"Azure Firewall {g.name(fw)} ({ip}) does not proxy DNS (DNS proxy is not "
                    "enabled): queries sent to it get no answer",
                )
            ]
        vnet = _vnet_of_ipconfigs(g, fw)
        if not servers:
            if vnet is None:
                return [_unknown(chain, f"the VNet of Azure Firewall {g.name(fw)} is unknown")]
            step = f"{label} (DNS proxy) → Azure DNS in VNet {g.name(vnet)}"
            return self.azure_dns(vnet, names, (*chain, step), hops + 1)
        out: list[DnsAnswer] = []
        for server in servers[:1]:  # the proxy asks its first server
            step = f"{label} (DNS proxy to {', '.join(servers)})"
            out.extend(self.server(server, vnet, names, (*chain, step), hops + 1))
        return out

    def azure_dns(
        self, vnet: str, names: tuple[str, ...], chain: tuple[str, ...], hops: int
    ) -> list[DnsAnswer]:
        g = self.g
        if not g.seen(vnet):
            return [_unknown(chain, f"VNet {g.display_id(vnet)} is not in the estate")]
        key = (vnet, names)
        if key in self.asking:
            return [
                _unknown(
                    chain,
                    f"resolution loops: the query for {names[0]} comes back to Azure DNS in "
                    f"VNet {g.name(vnet)} (a ruleset linked there forwards it to a resolver "
                    "that asks the same VNet's Azure DNS)",
                )
            ]
        self.asking.add(key)
        try:
            return self._azure_dns(vnet, names, chain, hops)
        finally:
            self.asking.discard(key)

    def _azure_dns(
        self, vnet: str, names: tuple[str, ...], chain: tuple[str, ...], hops: int
    ) -> list[DnsAnswer]:
        g = self.g
        rules = _rules_at(g, vnet)
        for i, name in enumerate(names):
            if isinstance(rules, str):
                return [_unknown(chain, rules)]
            matching = [r for r in rules if _under(name, r[0])]
            if matching:
                longest = max(len(r[0]) for r in matching)
                best = sorted(r for r in matching if len(r[0]) == longest)
                domain, rule_id, targets, ruleset = best[0]
                step = (
                    f"ruleset {ruleset} linked to VNet {g.name(vnet)}: rule "
                    f"{arm.last_name(rule_id)} forwards {domain}. to "
                    f"{', '.join(targets) or 'nothing'}"
                )
                if not targets:
                    return [_unknown((*chain, step), f"forwarding rule {rule_id} has no target")]
                return self.server(targets[0], vnet, names[i:], (*chain, step), hops + 1)
            found = self.zones(vnet, name, chain)
            if found is not None:
                return [found]
        return [_no_zone(g, vnet, names, chain)]

    def zones(self, vnet: str, name: str, chain: tuple[str, ...]) -> DnsAnswer | None:
        return _zone_answer(self.g, self.ctx, vnet, name, chain)


def _zone_answer(
    g: AuditGraph, ctx: _Context, vnet: str, name: str, chain: tuple[str, ...]
) -> DnsAnswer | None:
    """The answer of the most specific private zone linked to the VNet for the name;
    None when no zone of the name is linked (the query leaves for public DNS)."""
    best: tuple[str, dict[str, Any]] | None = None
    pending: tuple[str, dict[str, Any]] | None = None
    unreadable: list[str] = []
    decisions = ctx.decisions_at(vnet)
    bad = ctx.bad
    if not decisions and not bad:
        return None
    i = 0  # the name, then each name above it ("a.b.c", "b.c", "c"): most specific first
    while i >= 0:
        suffix = name[i:] if i else name
        i = name.find(".", i) + 1 or -1
        if bad:
            unreadable.extend(bad.get(suffix, ()))
        decision = decisions.get(suffix)
        if decision is None:
            continue
        first_pending, done = decision
        pending = pending or first_pending
        if len(done) > 1 and len({z for z, _ in done}) > 1:  # Azure refuses this
            return _unknown(
                chain,
                f"several private zones named {suffix} are linked to VNet {g.name(vnet)} "
                f"({', '.join(sorted(g.display_id(z) for z, _ in done))}), which Azure "
                "does not allow: which one answers cannot be told",
            )
        if done:
            best = done[0]
            break
    if best is None:
        if unreadable:
            return _unknown(chain, "; ".join(sorted(unreadable)))
        if pending is not None:
            zone, attrs = pending
            return DnsAnswer(
                PUBLIC,
                chain,
                last=f"zone {g.name(zone)}'s link {attrs.get('link_name')} to VNet "
                f"{g.name(vnet)} is {attrs.get('state')}, not Completed: the public DNS "
                "answers",
                cause=LINK_NOT_COMPLETED,
                zone=zone,
                link=f"{attrs.get('link_name')} ({attrs.get('state')})",
                asked=vnet,
            )
        return None
    zone, attrs = best
    found = ctx.lookup(g, zone, name)
    if found.__class__ is tuple and len(found) == 4:  # the common answer, read before
        record, address, expected, short = found
        return DnsAnswer(
            PRIVATE,
            chain,
            RECORD,
            address,
            expected,
            zone,
            record,
            vnet,
            None,
            None,
            None,
            (
                *ctx.head(g, zone),
                ctx.vnet_name(g, vnet),
                ": A record ",
                short,
                " answers ",
                address,
            ),
        )
    linked = ctx.linked(g, zone, vnet)
    if isinstance(found, str):
        return replace(
            _unknown(chain, found, verdict="".join((*linked, ": ", found))), zone=zone, asked=vnet
        )
    record, ips = found
    if ips == [AT_APPLY]:  # the zone group writes the endpoint's own IP at apply
        return DnsAnswer(
            PRIVATE,
            chain,
            last=(
                *linked,
                f": its zone group writes {name} with the endpoint's private IP at apply",
            ),
            cause=RECORD,
            address=AT_APPLY,
            zone=zone,
            record=record,
            asked=vnet,
        )
    owners = ctx.owners(g, name)
    if len(owners) == 1:  # one endpoint owns the name: its IPs, sorted once, shared
        (expected,) = owners.values()
    else:
        expected = tuple(sorted({ip for ips_ in owners.values() for ip in ips_}))
    if record is None or not ips:
        if str(attrs.get("resolution_policy") or "").lower() == "nxdomainredirect":
            return DnsAnswer(
                PUBLIC,
                chain,
                last=(
                    *linked,
                    f" and has no record {name}; the link's resolutionPolicy is "
                    "NxDomainRedirect: the public DNS answers",
                ),
                cause=NXDOMAIN_REDIRECT,
                zone=zone,
                asked=vnet,
                expected=expected,
            )
        # conflicting: the endpoint registers its name in another zone of this name
        zname = _clean(g.name(zone))
        registered = {z for pe in owners for z in _endpoint_zone_keys(g, pe)}
        if zone in registered:
            cause = MISSING_RECORD
        elif any(_clean(g.name(z)) == zname for z in registered):
            cause = CONFLICTING_ZONE
        else:
            cause = NOT_REGISTERED
        return DnsAnswer(
            NXDOMAIN,
            chain,
            last=(*linked, f" and has no record {name}: NXDOMAIN"),
            cause=cause,
            zone=zone,
            asked=vnet,
            expected=expected,
        )
    if owners and not expected:
        return replace(
            _unknown(
                chain,
                f"the current private IP of endpoint "
                f"{', '.join(sorted(g.name(pe) for pe in owners))} is not in the estate "
                "(its NIC or the NIC's IP is missing): whether the record is stale cannot "
                "be told",
                verdict="".join(
                    (*linked, f": A record {ctx.short(record)} answers {', '.join(ips)}")
                ),
            ),
            zone=zone,
            record=record,
            asked=vnet,
        )
    stale = [ip for ip in ips if ip not in expected] if expected else []
    if stale:
        return DnsAnswer(
            STALE,
            chain,
            last=(
                *linked,
                f": A record {ctx.short(record)} answers {', '.join(ips)}, but the endpoint's "
                f"IP is {', '.join(expected)}",
            ),
            cause=STALE_RECORD,
            address=stale[0],
            expected=expected,
            zone=zone,
            record=record,
            asked=vnet,
        )
    address = ips[0]
    short = ctx.short(record)
    ctx.private(zone, name, (record, address, expected, short))
    return DnsAnswer(
        PRIVATE,
        chain,
        last=(*linked, ": A record ", short, " answers ", address),
        cause=RECORD,
        address=address,
        expected=expected,
        zone=zone,
        record=record,
        asked=vnet,
    )


def _short(record: str) -> str:
    """A record's name (the display id's last segment, or the zone group's record name)."""
    return arm.last_name(record.split(" ")[0]) if record.startswith("/") else record


def _unknown(chain: tuple[str, ...], reason: str, verdict: str = "") -> DnsAnswer:
    return DnsAnswer(UNKNOWN, chain, cause="unknown", reason=reason, last=verdict or reason)


def _endpoint_zone_keys(g: AuditGraph, pe: str) -> list[str]:
    from .dns import endpoint_zones

    zones = endpoint_zones(g, pe)
    return [] if not isinstance(zones, dict) else list(zones)


def _ip_owners(g: AuditGraph) -> dict[str, list[tuple[str, str]]]:
    """Private IP → (kind, node) of the resolvers that listen on it: inbound endpoints and
    Azure Firewalls."""

    def compute() -> dict[str, list[tuple[str, str]]]:
        index: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for kind in ("dns_inbound_endpoint", "azure_firewall"):
            for k in g.nodes_of_kind(kind):
                for ip in _ipconfig_ips(g, k):
                    index[ip].append((kind, k))
        return dict(index)

    result: dict[str, list[tuple[str, str]]] = memoized(g, ("dns_ip_owners",), compute)
    return result


def _ipconfigs(g: AuditGraph, k: str) -> list[dict[str, Any]]:
    props = g.row(k).get("properties")
    configs = props.get("ipConfigurations") if isinstance(props, dict) else None
    out = []
    for c in configs if isinstance(configs, list) else ():
        if isinstance(c, dict):
            inner = c.get("properties")
            out.append(inner if isinstance(inner, dict) else c)  # inbound endpoints: flat
    return out


def _ipconfig_ips(g: AuditGraph, k: str) -> list[str]:
    return [
        str(ip)
        for c in _ipconfigs(g, k)
        for ip in (c.get("privateIpAddress") or c.get("privateIPAddress"),)
        if isinstance(ip, str) and ip  # one Azure assigns at apply is no address yet
    ]


def _vnet_of_ipconfigs(g: AuditGraph, k: str) -> str | None:
    for c in _ipconfigs(g, k):
        sub = c.get("subnet")
        sid = sub.get("id") if isinstance(sub, dict) else None
        if isinstance(sid, str) and sid:
            sk = arm.key(sid)
            return g.vnet_of_subnet.get(sk) or arm.key(arm.parent(sid))
    return None


def firewall_dns(g: AuditGraph, fw: str) -> tuple[bool, list[str]] | str:
    """(DNS proxy enabled, its DNS servers) of an Azure Firewall: from its policy's
    dnsSettings, else (classic rules) its additionalProperties; a string: unknown, why."""
    policy = g.first_out(fw, "uses_policy")
    if policy is not None:
        if not g.seen(policy):
            return f"firewall policy {g.display_id(policy)} of {g.name(fw)} is not in the estate"
        props = g.row(policy).get("properties")
        dns = props.get("dnsSettings") if isinstance(props, dict) else None
        dns = dns if isinstance(dns, dict) else {}
        servers = dns.get("servers")
        if servers is not None and not isinstance(servers, list):
            return (
                f"the DNS servers of firewall policy {g.name(policy)} are not a list "
                f"({str(servers)[:60]!r}): where its DNS proxy forwards cannot be told"
            )
        enabled = dns.get("enableProxy")  # a boolean; the string "false" is not enabled
        if unknown := contains_unknown([enabled, servers]):
            return f"the DNS proxy of firewall policy {g.name(policy)} is unknown: {unknown.reason}"
        return enabled is True or str(enabled).strip().lower() == "true", [
            str(s).strip() for s in (servers or ()) if s
        ]
    props = g.row(fw).get("properties")
    extra = props.get("additionalProperties") if isinstance(props, dict) else None
    extra = {str(k).lower(): v for k, v in (extra.items() if isinstance(extra, dict) else ())}
    if unknown := contains_unknown(
        [extra.get("network.dns.enableproxy"), extra.get("network.dns.servers")]
    ):
        return f"the DNS proxy of firewall {g.name(fw)} is unknown: {unknown.reason}"
    enabled = str(extra.get("network.dns.enableproxy", "")).lower() == "true"
    servers = extra.get("network.dns.servers")
    return enabled, [s.strip() for s in str(servers or "").split(",") if s.strip()]


def _hosts(g: AuditGraph, ip: str, client: str | None) -> list[str]:
    """The VNet holding a DNS server IP: the client's own first, then its peers; several
    others cannot be told apart ([])."""
    hosts = sorted({v for v, _ in g.vnets_containing(ip)})
    if len(hosts) <= 1:
        return hosts
    if client in hosts:
        return [client]
    if client is not None:
        peers = {v for v, _ in connected_peers(g, client)}
        near = [h for h in hosts if h in peers]
        if len(near) == 1:
            return near
    return []


# -- the public questions -----------------------------------------------------------------------
def client_servers(g: AuditGraph, client: str) -> tuple[str | None, list[str]]:
    """(the VNet, the DNS server IPs) a VNet or NIC asks: a NIC's own dnsSettings first,
    else its VNet's dhcpOptions; [] means Azure DNS."""
    if g.kind(client) == "nic":
        subnet = g.first_out(client, "in_subnet")
        vnet = g.vnet_of_subnet.get(subnet) if subnet else None
        own = _server_ips(g, client)
        if own is not None:
            return vnet, own
        return vnet, (_server_ips(g, vnet) or []) if vnet else []
    return client, _server_ips(g, client) or []


def _server_ips(g: AuditGraph, node: str) -> list[str] | None:
    servers = sorted(g.out(node, "uses_dns_server"), key=lambda s: s[1].get("order", 0))
    if not servers:
        return None
    return [g.row(s)["ip"] for s, _ in servers]


def resolve(
    g: AuditGraph, fqdn: str, vnet: str | None, servers: list[str], start: str
) -> list[DnsAnswer]:
    """Every answer a client gets for a name, one per DNS server it may ask (in order)."""
    names = cname_chain(g, fqdn)
    if not servers:
        if vnet is None:
            return [_unknown((start,), "the client's VNet is not known")]
        ctx = _context(g)
        return list(_azure_answers(g, ctx, vnet, names, ctx.azure_chain(start)))
    resolver = _Resolver(g)
    out = []
    for ip in servers:
        found = resolver.server(ip, vnet, names, (f"{start} uses DNS server {ip}",), 0)
        out.extend(replace(a, server=ip) for a in found)
    return [replace(a, chain=_dedupe(a.chain)) for a in out]


def _azure_answers(
    g: AuditGraph, ctx: _Context, vnet: str, names: tuple[str, ...], chain: tuple[str, ...]
) -> tuple[DnsAnswer, ...]:
    """What a client on Azure-provided DNS in the VNet gets for the names of one query."""
    if ctx.plain(g, vnet):  # no ruleset: the zones decide
        for name in names:
            found = _zone_answer(g, ctx, vnet, name, chain)
            if found is not None:
                return (found,)
        return (_no_zone(g, vnet, names, chain),)
    return tuple(_Resolver(g).azure_dns(vnet, names, chain, 0))


def _dedupe(chain: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(chain))


def summary(answers: list[DnsAnswer]) -> DnsAnswer:
    """One answer for a client: the answer its servers agree on; unknown when they
    disagree or any is unknown."""
    if not answers:
        return _unknown((), "no resolution path")
    first = answers[0]
    unknown = [a for a in answers if a.unknown]
    if unknown:
        return unknown[0]
    if all((a.answer, a.address) == (first.answer, first.address) for a in answers):
        return first
    return _unknown(
        first.chain,
        "the client's DNS servers give different answers: "
        + "; ".join(f"{a.answer} {a.address or ''}".strip() for a in answers),
    )


def resolve_cached(
    g: AuditGraph, fqdn: str, vnet: str | None, servers: list[str], start: str
) -> tuple[DnsAnswer, ...]:
    """``resolve``, computed once per (client, servers, name) for a zone's name routed in
    place of an endpoint's unknown names: endpoint_clients and required_links both route
    it (the one tuple, not a copy each). An endpoint's own names are asked once a scan,
    without a memo entry."""
    key = ("dns_resolve", vnet, tuple(servers), _clean(fqdn), start)
    memo = g.memo
    found: tuple[DnsAnswer, ...] | None = memo.get(key)
    if found is None:
        found = memo[key] = tuple(resolve(g, fqdn, vnet, servers, start))
    return found


# -- the clients of an endpoint ------------------------------------------------------------------
@dataclass(slots=True)
class ClientAnswer:
    """The answers one client set-up (a VNet, or a NIC overriding its DNS servers) gets for
    one of an endpoint's names; ``problem`` instead when the client cannot be judged."""

    target: str  # the client's key (a VNet, or a placeholder key for a problem)
    label: str  # how the client is printed (its VNet's ARM id)
    who: str  # "vnet-a" or "NIC x in vnet-a"
    nic: str | None
    path: tuple[str, ...]  # how the client reaches the endpoint
    name: str = ""
    answers: tuple[DnsAnswer, ...] = ()
    problem: str | None = None


PEERINGS = "virtualNetworkPeerings"


def endpoint_clients(g: AuditGraph, pe: str) -> list[ClientAnswer]:
    """Every client that reaches the endpoint — its VNet and the VNets peered with it in
    state Connected (not transitive), each as the VNet's own DNS set-up and as each NIC
    that overrides it — and the answers it gets for each of the endpoint's names."""
    found: list[ClientAnswer] = memoized(
        g, ("endpoint_clients", pe), lambda: _endpoint_clients(g, pe)
    )
    return found


def endpoint_vnet(g: AuditGraph, pe: str) -> str | None:
    subnet = g.first_out(pe, "in_subnet")
    return g.vnet_of_subnet.get(subnet) if subnet else None


def _endpoint_clients(g: AuditGraph, pe: str) -> list[ClientAnswer]:
    pe_name = g.name(pe)
    home = endpoint_vnet(g, pe)
    if home is None:
        return [
            ClientAnswer(
                f"endpoint:{pe}",
                g.display_id(pe),
                pe_name,
                None,
                (f"endpoint {pe_name}",),
                problem=f"the subnet or VNet of endpoint {pe_name} is not in the estate",
            )
        ]
    out: list[ClientAnswer] = []
    start = f"endpoint {pe_name} in VNet {g.name(home)}"
    for bad in [*g.unreadable(home, PEERINGS), *g.unplaced(PEERINGS)]:
        out.append(
            ClientAnswer(
                f"peering:{bad.key}",
                f"{bad.owner_id} peering {bad.name or bad.index}",
                "",
                None,
                (start, str(bad)),
                problem=f"{bad}: whether it joins a VNet whose clients must resolve the "
                "endpoint's names cannot be told",
            )
        )
    names = endpoint_names(g).names_of.get(pe, ())
    zones_routed: list[str] = []
    if not names:  # the names of the zones it registers in stand for its own
        from .dns import endpoint_zones

        zones = endpoint_zones(g, pe)
        zones_routed = sorted({_clean(g.name(z)) for z in zones} if isinstance(zones, dict) else ())
    ctx = _context(g)
    # what Azure DNS looks up for each name, once per endpoint (each (client, name) is asked
    # once a scan: no memo entry per name)
    suffixes = _suffixes(g)
    asked = [(name, _chain(_clean(name), suffixes)) for name in names]
    for client, why in connected_peers(g, home):
        path = (start,) if client == home else (start, why)
        if not g.seen(client):
            out.append(
                ClientAnswer(
                    client,
                    g.display_id(client),
                    g.name(client),
                    None,
                    path,
                    problem=f"VNet {g.name(client)} is not in the estate: its DNS servers are "
                    "unknown",
                )
            )
            continue
        label, setups = ctx.setups(g, client)
        plain = ctx.plain(g, client)  # no ruleset: the zones linked to it decide
        for nic, who, ips, chain in setups:
            if not names:  # names unknown: route the names of the zones it registers in
                for zone_name in zones_routed:
                    answers = resolve_cached(g, zone_name, client, ips, who)
                    out.append(ClientAnswer(client, label, who, nic, path, "", answers))
                if not zones_routed:
                    out.append(ClientAnswer(client, label, who, nic, path))
            # each (client, name) is asked once in a scan: its answers are not memoized
            for name, looked_up in asked:
                if chain is None:
                    answers = tuple(resolve(g, name, client, ips, who))
                elif plain:  # _azure_answers' first path, inline: one call per answer less
                    for n in looked_up:
                        found = _zone_answer(g, ctx, client, n, chain)
                        if found is not None:
                            answers = (found,)
                            break
                    else:
                        answers = (_no_zone(g, client, looked_up, chain),)
                else:
                    answers = _azure_answers(g, ctx, client, looked_up, chain)
                out.append(ClientAnswer(client, label, who, nic, path, name, answers))
    return out


def answers_by_zone(
    g: AuditGraph, private: bool = True
) -> dict[str, list[tuple[str, ClientAnswer, DnsAnswer]]]:
    """zone → (endpoint, client, answer) for every answer a zone gave (or that a zone's
    link not yet Completed left public); with ``private`` False, all but the private ones:
    what wrong_answers judges, without indexing nearly every answer of an estate."""

    def compute() -> dict[str, list[tuple[str, ClientAnswer, DnsAnswer]]]:
        index: dict[str, list[tuple[str, ClientAnswer, DnsAnswer]]] = defaultdict(list)
        for pe in g.nodes_of_kind("private_endpoint"):
            for c in endpoint_clients(g, pe):
                for a in c.answers:
                    if a.zone is not None and (private or a.answer != PRIVATE):
                        index[a.zone].append((pe, c, a))
        return dict(index)

    result: dict[str, list[tuple[str, ClientAnswer, DnsAnswer]]] = memoized(
        g, ("answers_by_zone", private), compute
    )
    return result


def _problem(g: AuditGraph, zone: str, pe: str, name: str, a: DnsAnswer) -> str:
    """What is wrong with the answer, in the estate's terms."""
    if a.cause == STALE_RECORD:
        return (
            f"A record {_short(a.record or '?')} in zone {g.name(zone)} answers {a.address} for "
            f"{name}, but endpoint {g.name(pe)}'s current private IP is "
            f"{', '.join(a.expected) or 'unknown'}"
        )
    if a.cause == MISSING_RECORD:
        return (
            f"zone {g.name(zone)} has no A record for {name}, although endpoint {g.name(pe)} "
            f"registers its names there (its IP: {', '.join(a.expected) or 'unknown'}): NXDOMAIN"
        )
    return a.verdict


def _where(g: AuditGraph, zone: str) -> str:
    row, rid = g.row(zone), g.display_id(zone)
    rg = row.get("resourceGroup") or arm.segment(rid, "resourceGroups")
    sub = row.get("subscriptionId") or arm.segment(rid, "subscriptions")
    return f"{g.name(zone)} (resource group {rg}, subscription {sub})"


@relation(
    "wrong_answers",
    "private_dns_zone",
    fields=(
        "fqdn",
        "answer",
        "cause",
        "address",
        "expected",
        "record",
        "record_name",
        "link",
        "client",
        "vnet_name",
        "endpoint",
        "endpoint_zones",
        "via",
        "problem",
    ),
)
def wrong_answers(g: AuditGraph, zone: str) -> list[Item]:
    """The wrong answers this zone gives the clients of private endpoints (extra: fqdn,
    answer — stale, nxdomain, public —, cause, problem, address, expected, record, link,
    client, vnet_name, endpoint, endpoint_zones, via): one item per client and name whose
    query this zone answered with anything but the endpoint's current IP, or left public
    because its link there is not Completed. An item is unknown when the zone's records
    are not in the estate.

    Not memoized: only the rules ask it, once per zone (the engine shares one answer among
    a zone's rules), so a memo would only hold every zone's items to the end of the scan."""
    wrong = answers_by_zone(g, private=False).get(zone)
    if not wrong:  # nearly every zone of an estate
        return []
    from .dns import endpoint_zones

    items: dict[str, Item] = {}
    for pe, c, a in wrong:
        if not c.name and a.cause != LINK_NOT_COMPLETED:
            continue  # the endpoint's names are unknown: only the link itself can be judged
        name = c.name or f"the names of {g.name(pe)} in {g.name(zone)}"
        key = f"{name} from {c.label}" + (f" (NIC {c.nic})" if c.nic else "")
        zones = endpoint_zones(g, pe)
        own = sorted(_where(g, z) for z in zones) if isinstance(zones, dict) else []
        items[key] = Item(
            key=key,
            node=c.target if g.has_node(c.target) else None,
            extra={
                "fqdn": name,
                "answer": a.answer,
                "cause": a.cause,
                "address": a.address,
                "expected": ", ".join(a.expected) or "unknown",
                "record": a.record,
                "record_name": _short(a.record) if a.record else None,
                "link": a.link,
                "client": c.who,
                "vnet_name": g.name(c.target) if g.has_node(c.target) else c.label,
                "endpoint": g.name(pe),
                "endpoint_zones": ", ".join(own) or "no zone",
                "via": " → ".join((*c.path, *a.steps)),
                "problem": _problem(g, zone, pe, name, a),
            },
            unknown=a.reason if a.unknown else None,
        )
    return by_id(items.values())
