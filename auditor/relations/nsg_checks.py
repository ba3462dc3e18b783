"""What the NSG rules judge, asked of the evaluator (``nsg_eval``): each question here is a
flow or a port range, and each answer carries the deciding rule (NSG, rule, priority).

* ``internet_admits`` — the management ports and every TCP port, from the internet, where
  the NSG is attached: at each NIC it protects and each NIC in a subnet it protects (a
  subnet with no NIC in the estate is judged at the subnet), both NSG levels combined.
* ``unattached_internet`` — what an NSG attached to nothing would admit from the internet.
* ``shadowed_rules`` — rules no packet reaches (``nsg_shadow``).
* ``bastion_flows`` — the flows Azure Bastion needs through an AzureBastionSubnet's NSG.
* ``aml_outbound`` / ``aml_inbound`` / ``aml_internet_outbound`` — the flows a customer-VNet
  Azure ML compute needs through its subnet's NSG, and an explicit Allow of every port to
  the Internet.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .. import arm
from ..embedded import MAX_PORT, SecurityRule
from . import nsg as arith
from .base import Answer, Item, Unknown, memoized, register, relation
from .hops import Hop
from .nsg_eval import (
    INBOUND,
    OUTBOUND,
    Endpoint,
    InternetGate,
    NsgRules,
    OpenPorts,
    Step,
    Verdict,
    flow,
    is_virtual_network,
    level_surely_allows,
    may_name_internet,
    may_name_internet_alone,
    nsg_open_ports,
    nsg_rules,
    open_ports,
    open_ports_out,
    parse_prefix,
    surely_allowed,
    surely_rules,
    vnet_may_hold_internet,
    vnet_of,
)
from .nsg_shadow import shadowed
from .peering import connected_peers

if TYPE_CHECKING:
    from ..graph import AuditGraph

FEW_CLOSED = arith.FEW_CLOSED

_PROTECTED = Hop(
    "protected",
    ("nsg",),
    "protects",
    "out",
    "Subnets and NICs the NSG is associated with.",
    ("subnets", "networkInterfaces"),
)


# MLA-NSG-002, 003 and 004 each ask it of every NSG, as one subject: the engine keeps the
# answer while it judges the subject
register(_PROTECTED.relation())


def _ports(iv: tuple[tuple[int, int], ...]) -> str:
    return ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in iv)


def _attachments(g: AuditGraph, nsg: str) -> list[str]:
    """What an NSG is attached to (subnets, NICs), in key order."""
    found = [target for target, _ in g.out(nsg, "protects")]
    if len(found) > 1:
        found.sort()
    return found


def _places(g: AuditGraph, attachments: list[str]) -> list[tuple[str, list[str]]]:
    """Where an NSG is judged: (attachment, hosts) — a NIC is its own host; a subnet's hosts
    are its NICs in the estate, or the subnet itself when it has none."""
    out = []
    for target in attachments:
        if g.kind(target) == "subnet":
            nics = sorted({n for n, _ in g.into(target, "in_subnet") if g.kind(n) == "nic"})
            out.append((target, nics or [target]))
        else:
            out.append((target, [target]))
    return out


def _where(g: AuditGraph, attached: str, host: str) -> str:
    kind = "NIC" if g.kind(attached) == "nic" else "subnet"
    if host == attached:
        return f"{kind} {g.name(attached)}"
    return f"{kind} {g.name(attached)} (NIC {g.name(host)})"


def _own(steps: tuple[Step, ...], nsg_id: str) -> list[Step]:
    return [s for s in steps if arm.key(s.nsg) == arm.key(nsg_id)]


def _rule_names(steps: list[Step]) -> list[tuple[str, int]]:
    found: dict[str, int] = {}
    for s in steps:
        found.setdefault(s.rule, s.priority)
        for name, prio in s.also:
            found.setdefault(name, prio)
    return sorted(found.items(), key=lambda x: x[1])


def _internet_sources(g: AuditGraph, nsg: str, names: list[str]) -> str | None:
    rules = {r.name: r for r in nsg_rules(g, nsg, INBOUND).rules}
    srcs = [
        s
        for n in names
        if n in rules
        for s in rules[n].sources
        if any(arith.reach(s)) or s.lower() in ("*", "any", "internet")
    ]
    return ", ".join(dict.fromkeys(srcs)) or None


# -- MLA-NSG-002 / MLA-NSG-003 -------------------------------------------------------------------
MANAGEMENT = (
    ("ssh/22", 22, "SSH", ("Tcp",)),
    ("rdp/3389", 3389, "RDP", ("Tcp", "Udp")),
    ("winrm/5985", 5985, "WinRM", ("Tcp",)),
    ("winrm-https/5986", 5986, "WinRM over HTTPS", ("Tcp",)),
)


@relation(
    "internet_admits",
    "nsg",
    fields=(
        "port",
        "service",
        "protocols",
        "access",
        "rule",
        "priority",
        "source",
        "attached_to",
        "open_ports",
    ),
    node=False,
)
def internet_admits(g: AuditGraph, k: str) -> Answer:
    """What the NSG admits from the internet where it is attached, both NSG levels combined
    (inbound: subnet, then NIC): one item per management port (SSH 22, RDP 3389 over TCP
    and UDP, WinRM 5985/5986; extra: port, service, protocols, access, rule, priority,
    source, attached_to) and one for every TCP port (port "all": Allow when every port, or
    all but a few, is open; open_ports says which). ``attached_to`` names the subnets and
    NICs the admission reaches. A port (or all ports) that the NSG's Allow rules cannot
    open to the internet as a whole, whatever the rest, yields no item; nor does an NSG
    attached to nothing.

    An item is unknown when the verdict is (an NSG on the path not in the estate, a rule that
    cannot be read, rules sharing a priority) and no host is known to be reached."""
    # MLA-NSG-002 and MLA-NSG-003 both ask of one subject: the engine keeps its answer
    # while it judges the subject, so nothing is kept here
    attachments = _attachments(g, k)
    if not attachments:
        return []
    own = nsg_rules(g, k, INBOUND)
    if own.unknown:
        return Unknown(own.unknown)
    vnets = [v for v in (vnet_of(g, a) for a in attachments) if v]
    gate = InternetGate(g, own.rules, vnets, "source")
    if not gate():
        return []  # no flow from the internet passes this NSG: nothing to judge
    # the hosts behind each attachment (a subnet's NICs) only for an NSG past that gate:
    # most NSGs stop there, and listing a large subnet's NICs for them was wasted work
    places = _places(g, attachments)
    nsg_id = g.display_id(k)
    items = []
    for key, port, service, protocols in MANAGEMENT:
        if not any(gate(p, ((port, port),)) for p in protocols):
            continue  # closed to the internet: no item
        reached: list[str] = []
        steps: list[Step] = []
        opened: list[str] = []
        unknown: list[str] = []
        for attached, hosts in places:
            for host in hosts:
                for proto in protocols:
                    v = flow(g, Endpoint.internet(), Endpoint.node(host), proto, port)
                    mine = _own(v.steps, nsg_id)
                    if v.access == "Allow" and mine:
                        where = _where(g, attached, host)
                        if where not in reached:
                            reached.append(where)
                        steps += mine
                        if proto.upper() not in opened:
                            opened.append(proto.upper())
                    elif v.access == "Unknown":
                        unknown += v.reasons
        names = _rule_names(steps)
        extra: dict[str, Any] = {
            "port": port,
            "service": service,
            "protocols": " and ".join(p for p in ("TCP", "UDP") if p in opened) or None,
            "access": "Allow" if reached else "Deny",
            "rule": ", ".join(n for n, _ in names) or None,
            "priority": names[0][1] if len(names) == 1 else ", ".join(str(p) for _, p in names),
            "source": _internet_sources(g, k, [n for n, _ in names]),
            "attached_to": ", ".join(reached) or None,
            "open_ports": None,
        }
        why = None if reached or not unknown else "; ".join(dict.fromkeys(unknown))
        items.append(Item(key=key, extra=extra, unknown=why))
    if gate("Tcp", EVERY_TCP_PORT) and (
        _ports_named(own.rules, gate.vnet_may_hold_internet()) >= MAX_PORT - FEW_CLOSED
    ):
        items.append(_all_ports(g, k, places))
    return items


EVERY_TCP_PORT = ((1, MAX_PORT),)


@lru_cache(maxsize=4096)
def _ports_named(rules: tuple[SecurityRule, ...], vnet_public: bool) -> int:
    """How many of ports 1-65535 the TCP Allow rules that may admit internet addresses
    name at all (AzureLoadBalancer holds none of the internet; VirtualNetwork none unless
    ``vnet_public``: a VNet's space, or a peer's that is not known, may be public).
    Cached per rule content (NSGs share their rule tuples)."""
    inert = ("azureloadbalancer",) if vnet_public else ("virtualnetwork", "azureloadbalancer")
    got: tuple[tuple[int, int], ...] = ()
    for r in rules:
        if r.access != "Allow" or r.protocol not in ("*", "Tcp"):
            continue
        if r.source_asg_ids or any(s.lower() not in inert for s in r.sources):
            got = arith.union(got, r.ports)
    return sum(min(hi, MAX_PORT) - max(lo, 1) + 1 for lo, hi in got if hi >= 1)


def _all_ports(g: AuditGraph, k: str, places: list[tuple[str, list[str]]]) -> Item:
    nsg_id = g.display_id(k)
    reached: list[str] = []
    steps: list[Step] = []
    described: list[str] = []
    unknown: list[str] = []
    for attached, hosts in places:
        for host in hosts:
            got = open_ports(g, Endpoint.internet(), host, "Tcp")
            closed = _closed(got.intervals)
            text = _describe(got.intervals, closed)
            if text not in described:
                described.append(text)
            if sum(hi - lo + 1 for lo, hi in closed) <= FEW_CLOSED:
                # each run's steps once (first seen first): the names are all that is read
                runs = {id(ss): ss for _, _, ss in got.segments}.values()
                mine = [s for ss in dict.fromkeys(runs) for s in _own(ss, nsg_id)]
                if mine:
                    reached.append(_where(g, attached, host))
                    steps += mine
            elif got.unknown:
                unknown += got.unknown
    names = _rule_names(steps)
    extra = {
        "port": "all",
        "service": "all ports",
        "protocols": "TCP",
        "access": "Allow" if reached else "Deny",
        "rule": ", ".join(n for n, _ in names) or None,
        "priority": ", ".join(str(p) for _, p in names) or None,
        "source": _internet_sources(g, k, [n for n, _ in names]),
        "attached_to": ", ".join(reached) or None,
        "open_ports": "; ".join(described) or None,
    }
    why = None if reached or not unknown else "; ".join(dict.fromkeys(unknown))
    return Item(key="tcp/all", extra=extra, unknown=why)


def _closed(opened: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    """Ports 1-65535 that ``opened`` leaves out."""
    out, start = [], 1
    for lo, hi in opened:
        if lo > start:
            out.append((start, lo - 1))
        start = max(start, hi + 1)
    if start <= MAX_PORT:
        out.append((start, MAX_PORT))
    return tuple(out)


def _describe(opened: tuple[tuple[int, int], ...], closed: tuple[tuple[int, int], ...]) -> str:
    """Which TCP ports are open to the internet, in words."""
    if not closed:
        return "every TCP port"
    if not opened:
        return "no TCP port"
    if sum(hi - lo + 1 for lo, hi in closed) <= FEW_CLOSED:
        return f"TCP ports {_ports(opened)} (every port but {_ports(closed)})"
    return f"TCP ports {_ports(opened)}"


# -- MLA-NSG-004 ----------------------------------------------------------------------------------
@relation(
    "unattached_internet",
    "nsg",
    fields=("open_ports", "rule", "priority", "source"),
    node=False,
)
def unattached_internet(g: AuditGraph, k: str) -> Answer:
    """For an NSG attached to no subnet or NIC: one item when it admits traffic from the
    internet on some port and protocol (extra: open_ports, rule, priority, source); none when
    it admits nothing from the internet or is attached. Unknown when its rules cannot be
    read."""
    if any(True for _ in g.out(k, "protects")):
        return []
    own = nsg_rules(g, k, INBOUND)
    if not own.unknown and not may_name_internet_alone(own.rules):
        return []  # its Allow rules cannot name the internet as a whole: nothing opens
    got = nsg_open_ports(g, k, Endpoint.internet(), "*")
    if got.unknown and not got.intervals:
        return Unknown(got.unknown)
    if not got.intervals:
        return []
    steps = [s for _, _, ss in got.segments for s in ss]
    names = _rule_names(steps)
    return [
        Item(
            key="internet",
            extra={
                "open_ports": _ports(got.intervals),
                "rule": ", ".join(n for n, _ in names),
                "priority": ", ".join(str(p) for _, p in names),
                "source": _internet_sources(g, k, [n for n, _ in names]),
            },
        )
    ]


# -- MLA-NSG-005 / MLA-NSG-006 ----------------------------------------------------------------
@relation(
    "shadowed_rules",
    "nsg",
    fields=("rule", "priority", "access", "direction", "shadowed_by", "by_allow"),
    node=False,
)
def shadowed_rules(g: AuditGraph, k: str) -> Answer:
    """Custom rules no packet reaches: rules of higher priority and the same direction
    together match everything they match (extra: rule, priority, access, direction,
    shadowed_by — the higher rules that meet it, with priority and access — and by_allow:
    whether an Allow is among them). Exact where the rules name prefixes; a VirtualNetwork
    tag or an application security group is never taken to cover a prefix, so shadowing is
    not claimed where only context would show it. Unknown when a rule cannot be read or two
    rules of one direction share a priority."""
    got = (nsg_rules(g, k, INBOUND), nsg_rules(g, k, OUTBOUND))
    if got[0].unknown or got[1].unknown:
        return Unknown(tuple(dict.fromkeys((*got[0].unknown, *got[1].unknown))))
    # NSGs with the same rules share their NsgRules (``nsg_eval.nsg_rules``): the items
    # are made once per rule content, and the entry holds both, so their ids stay theirs
    table: dict[tuple[int, int], tuple[list[Item], NsgRules, NsgRules]] | None = g.memo.get(
        _SHADOWED
    )
    if table is None:
        table = g.memo[_SHADOWED] = {}
    key = (id(got[0]), id(got[1]))
    found = table.get(key)
    if found is None:
        custom = [r for rs in got for r in rs.rules if not r.default]
        found = table[key] = (_shadow_items(custom), got[0], got[1])
    return found[0]


_SHADOWED = ("nsg_checks.shadowed",)


def _shadow_items(custom: list[SecurityRule]) -> list[Item]:
    items = []
    for s in shadowed(custom):
        items.append(
            Item(
                key=s.rule.name,
                extra={
                    "rule": s.rule.name,
                    "priority": s.rule.priority,
                    "access": s.rule.access,
                    "direction": s.rule.direction,
                    "shadowed_by": ", ".join(_rule_text(r) for r in s.by),
                    "by_allow": s.by_allow,
                },
            )
        )
    return items


def _rule_text(r: SecurityRule) -> str:
    return f"{r.name} ({r.access} {r.priority})"


# -- flows through a subnet's NSG -----------------------------------------------------------------
@dataclass(frozen=True)
class Need:
    key: str
    direction: str
    peer: str  # a service tag, or "Internet"
    protocol: str
    port: int
    breaks: str


def _need_item(g: AuditGraph, subnet: str, need: Need, v: Verdict, **more: Any) -> Item:
    step = v.deciding()
    toward = "from" if need.direction == INBOUND else "to"
    what = f"{need.protocol.upper()} {need.port} {toward} {need.peer}"
    extra = {
        "flow": f"{need.direction.lower()} {what}",
        "direction": need.direction,
        "peer": need.peer,
        "protocol": need.protocol.upper(),
        "port": need.port,
        "access": v.access,
        "breaks": need.breaks,
        "nsg": arm.last_name(step.nsg) if step else None,
        "rule": step.rule if step else None,
        "priority": step.priority if step else None,
        "subnet": g.name(subnet),
        **more,
    }
    unknown = "; ".join(v.reasons) if v.access == "Unknown" else None
    return Item(key=need.key, extra=extra, unknown=unknown)


_ALLOWED = Verdict("Allow", ())


@lru_cache(maxsize=256)
def _peer(name: str) -> Endpoint:
    return Endpoint.internet() if name == "Internet" else Endpoint.tag(name)


def _ask(g: AuditGraph, subnet: str, need: Need) -> Verdict:
    """The evaluator's verdict on a needed flow; a flow the quick test shows allowed is
    Allow without its steps (only a denied flow is reported, with its deciding rule)."""
    peer = _peer(need.peer)
    if surely_allowed(g, subnet, peer, need.direction, need.protocol, need.port):
        return _ALLOWED
    here = Endpoint.node(subnet)
    if need.direction == INBOUND:
        return flow(g, peer, here, need.protocol, need.port)
    return flow(g, here, peer, need.protocol, need.port)


NEED_FIELDS = (
    "flow",
    "direction",
    "peer",
    "protocol",
    "port",
    "access",
    "breaks",
    "nsg",
    "rule",
    "priority",
    "subnet",
)

# -- MLA-NSG-007: Azure Bastion (learn.microsoft.com/azure/bastion/bastion-nsg) --------------
_DATA_PLANE = "Bastion's instances cannot talk to each other (data plane), so sessions fail"
BASTION_NEEDS = (
    Need(
        "Inbound/Internet/tcp/443",
        INBOUND,
        "Internet",
        "Tcp",
        443,
        "users cannot reach Bastion: the portal and the native client connect over HTTPS 443",
    ),
    Need(
        "Inbound/GatewayManager/tcp/443",
        INBOUND,
        "GatewayManager",
        "Tcp",
        443,
        "Azure's control plane (GatewayManager) cannot reach Bastion, so it cannot be "
        "deployed, updated or kept running",
    ),
    Need(
        "Inbound/AzureLoadBalancer/tcp/443",
        INBOUND,
        "AzureLoadBalancer",
        "Tcp",
        443,
        "Azure Load Balancer health probes fail, so Bastion is taken out of service",
    ),
    Need("Inbound/VirtualNetwork/tcp/8080", INBOUND, "VirtualNetwork", "Tcp", 8080, _DATA_PLANE),
    Need("Inbound/VirtualNetwork/tcp/5701", INBOUND, "VirtualNetwork", "Tcp", 5701, _DATA_PLANE),
    Need(
        "Outbound/VirtualNetwork/tcp/22",
        OUTBOUND,
        "VirtualNetwork",
        "Tcp",
        22,
        "Bastion cannot open SSH sessions to the VMs",
    ),
    Need(
        "Outbound/VirtualNetwork/tcp/3389",
        OUTBOUND,
        "VirtualNetwork",
        "Tcp",
        3389,
        "Bastion cannot open RDP sessions to the VMs",
    ),
    Need(
        "Outbound/AzureCloud/tcp/443",
        OUTBOUND,
        "AzureCloud",
        "Tcp",
        443,
        "Bastion cannot reach Azure's public endpoints (diagnostic logs, metering)",
    ),
    Need("Outbound/VirtualNetwork/tcp/8080", OUTBOUND, "VirtualNetwork", "Tcp", 8080, _DATA_PLANE),
    Need("Outbound/VirtualNetwork/tcp/5701", OUTBOUND, "VirtualNetwork", "Tcp", 5701, _DATA_PLANE),
    Need(
        "Outbound/Internet/tcp/80",
        OUTBOUND,
        "Internet",
        "Tcp",
        80,
        "Bastion cannot validate session and certificate information over HTTP 80",
    ),
)


@relation("bastion_flows", "subnet", fields=NEED_FIELDS, node=False)
def bastion_flows(g: AuditGraph, k: str) -> Answer:
    """For an AzureBastionSubnet with an NSG: one item per flow Azure Bastion needs that the
    NSG does not allow (denied, or unknown; an allowed flow yields none). The flows
    (learn.microsoft.com/azure/bastion/bastion-nsg) — inbound HTTPS from the Internet, from
    GatewayManager and from AzureLoadBalancer, 8080/5701 within the VirtualNetwork; outbound
    SSH/RDP and 8080/5701 to the VirtualNetwork, 443 to AzureCloud, 80 to the Internet —
    with the evaluator's verdict (extra: direction, peer, protocol, port, access, breaks, and
    the deciding nsg, rule, priority). HTTPS from the Internet counts as allowed when an Allow
    admits it from some public prefix (Bastion may be limited to known ranges). No items for
    another subnet or one without an NSG."""
    if g.name(k).lower() != "azurebastionsubnet" or not any(True for _ in g.into(k, "protects")):
        return []
    items = []
    for need, sure in zip(BASTION_NEEDS, _surely(g, k, BASTION_NEEDS), strict=True):
        if sure:
            continue
        v = _ask(g, k, need)
        if need.key == "Inbound/Internet/tcp/443" and v.access != "Allow":
            v = _from_some_public_prefix(g, k, need) or v
        if v.access != "Allow":
            items.append(_need_item(g, k, need, v))
    return items


def _from_some_public_prefix(g: AuditGraph, subnet: str, need: Need) -> Verdict | None:
    """An allowed verdict for the need from one public prefix an inbound Allow names."""
    for nsg, _ in g.into(subnet, "protects"):
        for r in nsg_rules(g, nsg, INBOUND).rules:
            if r.access != "Allow" or r.default:
                continue
            for s in r.sources:
                iv = parse_prefix(s)
                if iv is None or not any(arith.reach(s)):
                    continue
                v = flow(g, Endpoint.ip(s), Endpoint.node(subnet), need.protocol, need.port)
                if v.access == "Allow":
                    return v
    return None


def _custom_rules(got: list[NsgRules]) -> tuple[SecurityRule, ...]:
    """The custom rules of NSGs' rule lists, one tuple per list of shared lists (its hash,
    which keys ``nsg_eval``'s caches, taken once), not a new tuple hashed rule by rule."""
    if len(got) != 1:
        return tuple(r for rs in got for r in rs.rules if not r.default)
    return _custom_of(got[0].rules)


@lru_cache(maxsize=4096)
def _custom_of(rules: tuple[SecurityRule, ...]) -> tuple[SecurityRule, ...]:
    return tuple(r for r in rules if not r.default)


# -- MLA-NSG-008 / 009 / 010: Azure ML compute in a customer VNet ------------------------------
def _subnet_outside(g: AuditGraph, subnet: str) -> Unknown:
    """A compute's subnet that is not in the estate: its NSG (if any) is not known, so
    whether it blocks a flow is not either."""
    return Unknown.of(
        f"subnet {g.name(subnet)} is not in the estate: which NSG it has, and what that "
        "allows, cannot be known"
    )


def _compute_subnet(g: AuditGraph, k: str) -> str | None:
    return g.first_out(k, "in_subnet")


def _region(g: AuditGraph, k: str) -> str | None:
    row = g.row(k)
    props = row.get("properties") if isinstance(row.get("properties"), dict) else {}
    for value in (props.get("computeLocation"), row.get("location")):
        if isinstance(value, str) and value.strip():
            return value.strip().replace(" ", "").lower()
    ws = g.first_out(k, "compute_of")
    loc = g.row(ws).get("location") if ws else None
    return loc.replace(" ", "").lower() if isinstance(loc, str) and loc.strip() else None


def _workspace_flag(g: AuditGraph, k: str, flag: str) -> bool:
    ws = g.first_out(k, "compute_of")
    props = g.row(ws).get("properties") if ws else None
    return isinstance(props, dict) and props.get(flag) is True


def _endpoints_near(g: AuditGraph, subnet: str) -> bool:
    """Whether private endpoints sit in the subnet's VNet or a VNet directly peered with it."""
    vnet = g.vnet_of_subnet.get(subnet)
    if vnet is None:
        return False

    def compute() -> bool:
        # a hub's subnets are asked by every spoke: each subnet's members are walked once
        has: dict[str, bool] | None = g.memo.get(_HAS_ENDPOINT)
        if has is None:
            has = g.memo[_HAS_ENDPOINT] = {}
        for other, _ in connected_peers(g, vnet):
            for s, _ in g.out(other, "contains"):
                found = has.get(s)
                if found is None:
                    found = has[s] = any(
                        g.kind(n) == "private_endpoint" for n, _ in g.into(s, "in_subnet")
                    )
                if found:
                    return True
        return False

    found: bool = memoized(g, ("nsg_checks.endpoints_near", vnet), compute)
    return found


_HAS_ENDPOINT = ("nsg_checks.subnet_has_endpoint",)


def aml_needs(g: AuditGraph, k: str) -> tuple[Need, ...]:
    """The outbound flows a customer-VNet compute needs (azure-facts §5, Microsoft's
    "Configure inbound and outbound network traffic" for Azure ML): one shared tuple per
    region and workspace kind, not a list of Needs made per compute."""
    subnet = _compute_subnet(g, k)
    return _aml_needs(
        _region(g, k),
        bool(subnet and _endpoints_near(g, subnet)),
        _workspace_flag(g, k, "hbiWorkspace"),
    )


@lru_cache(maxsize=1024)
def _aml_needs(region: str | None, endpoints_near: bool, hbi: bool) -> tuple[Need, ...]:
    regional = f".{region}" if region else ""
    aad = "sign-in fails: the nodes cannot get tokens from Microsoft Entra ID"
    aml = "the nodes cannot talk to the Azure ML service, so jobs never start"
    needs = [
        Need(f"AzureActiveDirectory/tcp/{p}", OUTBOUND, "AzureActiveDirectory", "Tcp", p, aad)
        for p in (80, 443)
    ]
    needs += [
        Need(f"AzureMachineLearning/tcp/{p}", OUTBOUND, "AzureMachineLearning", "Tcp", p, aml)
        for p in (443, 8787, 18881)
    ]
    needs.append(
        Need("AzureMachineLearning/udp/5831", OUTBOUND, "AzureMachineLearning", "Udp", 5831, aml)
    )
    more = [
        (
            f"BatchNodeManagement{regional}",
            "the compute cannot reach Azure Batch, which allocates its nodes: the cluster never "
            "starts or scales",
        ),
        ("AzureResourceManager", "the nodes cannot call Azure Resource Manager"),
        (
            f"Storage{regional}",
            "the nodes cannot read or write the workspace's storage: code, data and outputs",
        ),
        ("AzureFrontDoor.FrontEnd", "the studio and compute instance endpoints cannot be reached"),
        ("MicrosoftContainerRegistry", "Microsoft's base images cannot be pulled"),
        ("AzureFrontDoor.FirstParty", "Microsoft's base images cannot be pulled"),
        ("AzureMonitor", "metrics and logs of the compute are lost"),
    ]
    if endpoints_near:
        more.append(
            (
                "VirtualNetwork",
                "the nodes cannot reach the private endpoints of the workspace and its "
                "dependencies",
            )
        )
    if hbi:
        more.append(
            (
                f"Keyvault{regional}",
                "the high-business-impact workspace's key vault cannot be reached",
            )
        )
    needs += [Need(f"{tag}/tcp/443", OUTBOUND, tag, "Tcp", 443, why) for tag, why in more]
    return tuple(needs)


@relation("aml_outbound", "aml_compute", fields=NEED_FIELDS, node=False)
def aml_outbound(g: AuditGraph, k: str) -> Answer:
    """For a compute in a customer VNet subnet: one item per outbound flow Azure ML needs
    that the subnet's NSG does not allow (denied, or unknown; an allowed flow yields none).
    The flows: AzureActiveDirectory 80/443; AzureMachineLearning TCP 443, 8787, 18881 and
    UDP 5831; BatchNodeManagement.<region>, AzureResourceManager, Storage.<region>,
    AzureFrontDoor.FrontEnd, MicrosoftContainerRegistry, AzureFrontDoor.FirstParty,
    AzureMonitor on 443; VirtualNetwork 443 when private endpoints sit in the VNet or a
    peered one; Keyvault.<region> 443 for an hbiWorkspace — with the evaluator's verdict
    through the subnet's NSG (extra: flow, peer, protocol, port, access, breaks, and the
    deciding nsg, rule, priority; subnet). The region is the compute's location, else its
    workspace's."""
    subnet = _compute_subnet(g, k)
    if subnet is None:
        return []
    if not g.seen(subnet):
        return _subnet_outside(g, subnet)
    needs = aml_needs(g, k)
    # computes share subnets: the items of one subnet and one list of needs (a shared
    # tuple, held by the entry), asked once
    key = ("nsg_checks.aml_outbound", subnet, id(needs))
    items: list[Item] = memoized(g, key, lambda: (_not_allowed(g, subnet, needs), needs))[0]
    return items


def _not_allowed(g: AuditGraph, subnet: str, needs: tuple[Need, ...]) -> list[Item]:
    """An item per needed flow the evaluator does not allow (denied, or unknown)."""
    out = []
    for need, sure in zip(needs, _surely(g, subnet, needs), strict=True):
        if sure:
            continue
        v = _ask(g, subnet, need)
        if v.access != "Allow":
            out.append(_need_item(g, subnet, need, v))
    return out


def _surely(g: AuditGraph, subnet: str, needs: tuple[Need, ...]) -> tuple[bool, ...]:
    """For each need, whether the quick test (``nsg_eval.surely_allowed``) shows it
    allowed at the subnet: worked out once per list of needs and rule lists of the subnet's
    NSGs (shared per content), which many subnets repeat."""
    at: dict[str, tuple[tuple[SecurityRule, ...], ...]] = {}
    for d in dict.fromkeys(n.direction for n in needs):
        rules = surely_rules(g, subnet, d)
        if rules is None:
            return (False,) * len(needs)
        at[d] = rules
    table: dict[Any, Any] | None = g.memo.get(_SURELY)
    if table is None:
        table = g.memo[_SURELY] = {}
    public = vnet_may_hold_internet(g, subnet)  # a VirtualNetwork peer may be public
    # ids of shared objects the entry holds: none is reused while it lives
    key = (id(needs), public, *((d, *map(id, rules)) for d, rules in at.items()))
    found = table.get(key)
    if found is None:
        found = table[key] = (
            tuple(
                all(
                    level_surely_allows(
                        rules,
                        _peer(n.peer),
                        n.direction,
                        n.protocol,
                        n.port,
                        public and is_virtual_network(_peer(n.peer)),
                    )
                    for rules in at[n.direction]
                )
                for n in needs
            ),
            needs,
            at,
        )
    result: tuple[bool, ...] = found[0]
    return result


_SURELY = ("nsg_checks.surely",)


AML_INBOUND = Need(
    "AzureMachineLearning/tcp/44224",
    INBOUND,
    "AzureMachineLearning",
    "Tcp",
    44224,
    "Azure ML cannot manage the nodes of a compute with public IPs: they become unusable",
)


@relation("aml_inbound", "aml_compute", fields=NEED_FIELDS, node=False)
def aml_inbound(g: AuditGraph, k: str) -> Answer:
    """For a compute in a customer VNet subnet: an item when the subnet's NSG does not allow
    the inbound flow a compute with public IPs needs, AzureMachineLearning to the
    VirtualNetwork on TCP 44224 (same fields as aml_outbound); none when it does."""
    subnet = _compute_subnet(g, k)
    if subnet is None:
        return []
    if not g.seen(subnet):
        return _subnet_outside(g, subnet)
    return _not_allowed(g, subnet, (AML_INBOUND,))


@relation(
    "aml_internet_outbound",
    "aml_compute",
    fields=("rule", "priority", "nsg", "subnet", "protocols"),
    node=False,
)
def aml_internet_outbound(g: AuditGraph, k: str) -> Answer:
    """For a compute in a customer VNet subnet: one item when custom Allow rules of the
    subnet's NSG admit outbound traffic to the whole Internet on every port (or all but a
    few) over TCP or UDP (extra: rule, priority, nsg, subnet, protocols); none when only the
    default AllowInternetOutBound does, or less is allowed."""
    subnet = _compute_subnet(g, k)
    if subnet is None:
        return []
    if not g.seen(subnet):
        return _subnet_outside(g, subnet)
    # computes share subnets: the answer is the subnet's
    result: Answer = memoized(
        g, ("nsg_checks.aml_internet_outbound", subnet), lambda: _internet_outbound(g, subnet)
    )
    return result


def _internet_outbound(g: AuditGraph, subnet: str) -> Answer:
    lists = [nsg_rules(g, nsg, OUTBOUND) for nsg, _ in g.into(subnet, "protects")]
    vnet = g.vnet_of_subnet.get(subnet)
    if not any(r.unknown for r in lists) and not may_name_internet(
        g, _custom_rules(lists), [vnet] if vnet else [], "destination"
    ):
        return []  # no custom Allow names the whole Internet
    steps: list[Step] = []
    protocols = []
    unknown: list[str] = []
    for proto in ("Tcp", "Udp"):
        got: OpenPorts = open_ports_out(g, subnet, Endpoint.internet(), proto)
        closed = _closed(got.intervals)
        if sum(hi - lo + 1 for lo, hi in closed) > FEW_CLOSED:
            unknown += got.unknown
            continue
        mine = [s for _, _, ss in got.segments for s in ss if s.level == "subnet"]
        if mine and not any(s.default for s in mine):
            steps += mine
            protocols.append(proto.upper())
    if not steps:
        return Unknown(tuple(dict.fromkeys(unknown))) if unknown else []
    names = _rule_names(steps)
    return [
        Item(
            key="internet-all-ports",
            extra={
                "rule": ", ".join(n for n, _ in names),
                "priority": ", ".join(str(p) for _, p in names),
                "nsg": ", ".join(sorted({arm.last_name(s.nsg) for s in steps})),
                "subnet": g.name(subnet),
                "protocols": " and ".join(protocols),
            },
        )
    ]
