"""NSG arithmetic: what a network security group decides for TCP from the internet.

Azure evaluates inbound rules by priority — custom rules, then the defaults, which stand in
for a row that omits them — and the first rule that matches a packet decides it. Here, per
destination port: is the port open to *the internet*, the public IPv4 space or the public
IPv6 space (2000::/3) as a whole? Coverage decides, not spelling:

* A source counts for the internet addresses it covers. ``*``, ``Any`` and ``Internet``
  cover them all; so do ``0.0.0.0/0``, ``::/0``, ``2000::/3``, ``0.0.0.0/1`` with
  ``128.0.0.0/1``, or any prefixes whose union holds every public address. Private,
  shared, loopback, link-local, documentation, multicast and reserved ranges need not be
  covered: Azure's ``Internet`` tag is the publicly routable space outside the VNets.
  ``VirtualNetwork`` and ``AzureLoadBalancer`` hold no internet address; another service
  tag holds some but is taken never to fill the rest of the internet. ``0.0.0.0`` alone is
  read as any IPv4 address, as checkov reads it (the riskier of its two readings).
* A port is open when the Allow rules that are the first match for some internet address
  on it name, between them, every address of one IP family. So a Deny of part of the
  internet before an Allow of all of it leaves the port open (the Allow admits the rest),
  two Allows of half the internet each open it, and two Denies of half each close it.
* A Deny decides only what it covers: every destination behind the NSG and every source
  port. A Deny aimed at one host leaves a later Allow open for the others.
* Port arithmetic is on sorted interval unions: the rules' port boundaries are sorted once,
  and each rule visits only the port segments it covers.

"Every TCP port" allows for a few exceptions: a Deny of SSH and RDP before an Allow of
everything still opens every other service, so the all-ports item is Allow when at most
:data:`FEW_CLOSED` of ports 1-65535 stay closed, and it says which ports are open.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from ..embedded import MAX_PORT, SecurityRule, merge
from .base import Answer, Item, Unknown, relation

if TYPE_CHECKING:
    from ..graph import AuditGraph

Intervals = tuple[tuple[int, int], ...]
MANAGEMENT_PORTS = {22: "SSH", 3389: "RDP"}
FEW_CLOSED = 1024  # "every port but a few": at most this many of 1-65535 closed
EVERY_PORT: Intervals = ((1, MAX_PORT),)  # port 0 carries no TCP service
ALL_PORTS: Intervals = ((0, MAX_PORT),)


# -- address arithmetic -----------------------------------------------------------------------
def _coalesce(ranges: Iterable[tuple[int, int]]) -> Intervals:
    """Sorted, disjoint intervals from ranges sorted by their low end."""
    out: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def union(a: Intervals, b: Intervals) -> Intervals:
    """The union of two sorted interval unions, in one linear merge."""
    if not b:
        return a
    if not a:
        return b
    merged: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) or j < len(b):
        if j >= len(b) or (i < len(a) and a[i] <= b[j]):
            merged.append(a[i])
            i += 1
        else:
            merged.append(b[j])
            j += 1
    return _coalesce(merged)


def covers(a: Intervals, b: Intervals) -> bool:
    """Whether the union ``a`` holds every point of ``b`` (both sorted and disjoint)."""
    i = 0
    for lo, hi in b:
        while i < len(a) and a[i][1] < lo:
            i += 1
        if i == len(a) or a[i][0] > lo or a[i][1] < hi:
            return False
    return True


def _span(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[int, int]:
    return int(net.network_address), int(net.broadcast_address)


def _complement(whole: tuple[int, int], holes: list[str]) -> Intervals:
    out, start = [], whole[0]
    for lo, hi in sorted(_span(ipaddress.ip_network(h)) for h in holes):
        if lo > start:
            out.append((start, lo - 1))
        start = max(start, hi + 1)
    if start <= whole[1]:
        out.append((start, whole[1]))
    return tuple(out)


# IANA special-purpose blocks that are not globally reachable, multicast and reserved.
PUBLIC_V4 = _complement(
    (0, 2**32 - 1),
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    ],
)
# global unicast, less its documentation block
PUBLIC_V6 = _complement(_span(ipaddress.ip_network("2000::/3")), ["2001:db8::/32"])
PUBLIC = (PUBLIC_V4, PUBLIC_V6)
NOWHERE: tuple[Intervals, Intervals] = ((), ())
EVERYWHERE = {"*", "any", "internet"}
NO_INTERNET = {"virtualnetwork", "azureloadbalancer"}


@lru_cache(maxsize=4096)
def reach(prefix: str) -> tuple[Intervals, Intervals]:
    """The internet addresses a source prefix covers: (IPv4, IPv6) intervals."""
    low = prefix.strip().lower()
    if low in EVERYWHERE:
        return PUBLIC
    if low == "0.0.0.0":
        return (PUBLIC_V4, ())
    try:
        net = ipaddress.ip_network(low, strict=False)
    except ValueError:
        return NOWHERE  # a service tag: VirtualNetwork, AzureLoadBalancer, or some addresses
    public = PUBLIC[net.version == 6]
    lo, hi = _span(net)
    inside = tuple((max(lo, a), min(hi, b)) for a, b in public if a <= hi and b >= lo)
    return (inside, ()) if net.version == 4 else ((), inside)


@lru_cache(maxsize=4096)
def rule_reach(prefixes: tuple[str, ...]) -> tuple[Intervals, Intervals]:
    """The internet addresses a rule's sources cover together: (IPv4, IPv6) intervals."""
    v4: Intervals = ()
    v6: Intervals = ()
    for p in prefixes:
        a, b = reach(p)
        v4, v6 = union(v4, a), union(v6, b)
    return v4, v6


def is_internet(prefixes: Iterable[str]) -> bool:
    """Whether the prefixes together cover the whole public IPv4 or IPv6 space."""
    got = rule_reach(tuple(prefixes))
    return any(covers(a, want) for a, want in zip(got, PUBLIC, strict=True))


def _every_destination(rule: SecurityRule) -> bool:
    """Whether a rule targets everything behind the NSG: ``*``, ``VirtualNetwork``, or
    prefixes that cover a whole IP family; never application security groups."""
    return not rule.destination_asgs and _everywhere(rule.destinations)


@lru_cache(maxsize=1024)
def _everywhere(destinations: tuple[str, ...]) -> bool:
    if any(d.lower() in ("*", "any", "virtualnetwork") for d in destinations):
        return True
    nets = [ipaddress.ip_network(d, strict=False) for d in destinations if _is_net(d)]
    for version, whole in ((4, (0, 2**32 - 1)), (6, (0, 2**128 - 1))):
        spans = merge([_span(n) for n in nets if n.version == version])
        if covers(spans, (whole,)):
            return True
    return False


def _is_net(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


# -- port decisions -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Inbound:
    """A rule as the arithmetic sees it: what internet it names, and whether it decides."""

    rule: SecurityRule
    reach: tuple[Intervals, Intervals]
    allow: bool


@dataclass(frozen=True)
class Decision:
    """What the NSG decides for TCP from the internet on ports lo-hi: open, and the Allow
    rules that open it; or closed, and the rule after which every internet address is
    decided (None: no rule decides, and Azure denies)."""

    lo: int
    hi: int
    open: bool
    rules: tuple[SecurityRule, ...]


@dataclass
class _Segment:
    """One run of ports every rule treats alike, per IP family: the addresses decided so
    far, the Allow rules first to match some of them and what those name."""

    decided: list[Intervals] = field(default_factory=lambda: [(), ()])
    opened: list[Intervals] = field(default_factory=lambda: [(), ()])
    openers: list[list[SecurityRule]] = field(default_factory=lambda: [[], []])
    closer: list[SecurityRule | None] = field(default_factory=lambda: [None, None])

    def apply(self, rule: Inbound) -> None:
        for f in (0, 1):
            src = rule.reach[f]
            if self.closer[f] is not None or not src:
                continue
            if rule.allow and not covers(self.decided[f], src):
                self.opened[f] = union(self.opened[f], src)
                self.openers[f].append(rule.rule)
            self.decided[f] = union(self.decided[f], src)
            if covers(self.decided[f], PUBLIC[f]):
                self.closer[f] = rule.rule

    def outcome(self) -> tuple[bool, tuple[SecurityRule, ...]]:
        families = [f for f in (0, 1) if self.openers[f] and covers(self.opened[f], PUBLIC[f])]
        if families:
            return True, tuple(sorted({r for f in families for r in self.openers[f]}, key=_order))
        closers = [c for c in self.closer if c is not None]
        return False, (max(closers, key=_order),) if closers else ()


def _order(rule: SecurityRule) -> tuple[bool, int]:
    return rule.default, rule.priority


def inbound(rules: Iterable[SecurityRule]) -> list[Inbound]:
    """The rules that decide inbound TCP from the internet, in Azure's order (custom by
    priority, then the defaults): Allows that name some internet, and Denies that do and
    also cover every destination and source port."""
    found = []
    for r in sorted(rules, key=_order):
        if r.direction != "Inbound" or r.protocol not in ("*", "Tcp") or r.source_asgs:
            continue
        allow = r.access == "Allow"
        if not allow and not (covers(r.source_ports, EVERY_PORT) and _every_destination(r)):
            continue
        got = rule_reach(r.sources)
        if got[0] or got[1]:
            found.append(Inbound(r, got, allow))
    return found


def decisions(rules: Iterable[SecurityRule]) -> list[Decision]:
    """What the rules decide for every TCP port 0-65535, as consecutive port runs."""
    relevant = inbound(rules)
    cuts = sorted(
        {0, MAX_PORT + 1}
        | {lo for r in relevant for lo, _ in r.rule.ports}
        | {hi + 1 for r in relevant for _, hi in r.rule.ports}
    )
    segments = [_Segment() for _ in cuts[:-1]]
    for r in relevant:
        for lo, hi in r.rule.ports:
            for i in range(bisect_left(cuts, lo), bisect_left(cuts, hi + 1)):
                segments[i].apply(r)
    out: list[Decision] = []
    for i, seg in enumerate(segments):
        is_open, deciding = seg.outcome()
        if out and out[-1].open == is_open and out[-1].rules == deciding:
            out[-1] = Decision(out[-1].lo, cuts[i + 1] - 1, is_open, deciding)
        else:
            out.append(Decision(cuts[i], cuts[i + 1] - 1, is_open, deciding))
    return out


def decide(found: list[Decision], port: int) -> Decision:
    return found[bisect_right([d.lo for d in found], port) - 1]


def open_ports(found: list[Decision]) -> Intervals:
    return tuple((d.lo, d.hi) for d in found if d.open)


# -- the relation -------------------------------------------------------------------------------
def _defaults() -> list[SecurityRule]:
    """Azure's default inbound rules: on every NSG, so a row that omits them has them."""
    return [
        SecurityRule(
            name=name,
            priority=priority,
            direction="Inbound",
            access=access,
            protocol="*",
            sources=(source,),
            source_asgs=False,
            source_ports=ALL_PORTS,
            destinations=("*",),
            destination_asgs=False,
            ports=ALL_PORTS,
            default=True,
        )
        for name, priority, access, source in (
            ("AllowVnetInBound", 65000, "Allow", "VirtualNetwork"),
            ("AllowAzureLoadBalancerInBound", 65001, "Allow", "AzureLoadBalancer"),
            ("DenyAllInBound", 65500, "Deny", "*"),
        )
    ]


def _sources(rules: Iterable[SecurityRule]) -> list[str]:
    """The sources of the rules that hold internet addresses, each once."""
    return list(dict.fromkeys(s for r in rules for s in r.sources if any(reach(s))))


def _text(ports: Intervals) -> str:
    return ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports)


def _closed(opened: Intervals) -> Intervals:
    """Ports 1-65535 that ``opened`` leaves out."""
    out, start = [], 1
    for lo, hi in opened:
        if lo > start:
            out.append((start, lo - 1))
        start = max(start, hi + 1)
    if start <= MAX_PORT:
        out.append((start, MAX_PORT))
    return tuple(out)


def _ambiguous(g: AuditGraph, k: str, custom: list[SecurityRule]) -> list[str]:
    """Inbound rules that share a priority: Azure allows one per priority and direction,
    so which of them applies first cannot be told."""
    seen: dict[int, str] = {}
    found = []
    for r in custom:
        if r.direction != "Inbound":
            continue
        if r.priority in seen:
            found.append(
                f"NSG {g.name(k)}: inbound rules {seen[r.priority]} and {r.name} share priority "
                f"{r.priority}, so which applies first is unknown"
            )
        seen.setdefault(r.priority, r.name)
    return found


@relation(
    "internet_inbound",
    "nsg",
    fields=("port", "service", "access", "rule", "priority", "source", "open_ports", "attached_to"),
    node=False,
)
def internet_inbound(g: AuditGraph, k: str) -> Answer:
    """What the NSG decides for TCP from the internet, evaluated like Azure (custom rules
    by priority, first match wins, then the defaults): one item per management port
    (extra: port, service, access, rule, priority, source) and one for all ports (port
    "all"; access Allow when every port, or all but a few, is open to the internet;
    its open_ports says which). Sources count by the internet they cover, however spelled.
    extra.attached_to names the subnets and NICs the NSG protects.

    Unknown when a rule cannot be read (the reason names it) or two inbound rules share a
    priority."""
    broken = g.unreadable(k, "securityRules", "defaultSecurityRules")
    if broken:
        return Unknown.of(*(f"{u}, so what the NSG admits is unknown" for u in broken))
    rules = g.security_rules(k)
    if rules is None:
        return Unknown.of(f"NSG {g.name(k)} has no securityRules list in its row")
    custom, defaults = rules
    if ambiguous := _ambiguous(g, k, custom):
        return Unknown.of(*ambiguous)
    found = decisions([*custom, *(_defaults() if defaults is None else defaults)])
    attached = sorted(g.name(t) for t, _ in g.out(k, "protects"))
    items = []
    for port, service in MANAGEMENT_PORTS.items():
        d = decide(found, port)
        items.append(
            Item(
                key=f"tcp/{port}",
                extra={
                    "port": port,
                    "service": service,
                    "access": "Allow" if d.open else "Deny",
                    "rule": ", ".join(r.name for r in d.rules) or "(no rule: denied)",
                    "priority": _priority(d.rules),
                    "source": ", ".join(_sources(d.rules)) or None,
                    "attached_to": attached,
                },
            )
        )
    opened = open_ports(found)
    closed = _closed(opened)
    nearly_all = sum(hi - lo + 1 for lo, hi in closed) <= FEW_CLOSED
    openers = (
        sorted({r for d in found if d.open for r in d.rules}, key=_order) if nearly_all else []
    )
    items.append(
        Item(
            key="tcp/all",
            extra={
                "port": "all",
                "service": "all ports",
                "access": "Allow" if nearly_all else "Deny",
                "rule": ", ".join(r.name for r in openers) or None,
                "priority": ", ".join(str(r.priority) for r in openers) or None,
                "source": ", ".join(sorted(_sources(openers))) or None,
                "open_ports": _describe(opened, closed),
                "attached_to": attached,
            },
        )
    )
    return items


def _priority(rules: tuple[SecurityRule, ...]) -> int | str | None:
    if len(rules) == 1:
        return rules[0].priority
    return ", ".join(str(r.priority) for r in rules) or None


def _describe(opened: Intervals, closed: Intervals) -> str:
    """Which TCP ports are open to the internet, in words."""
    if not closed:
        return "every TCP port"
    if not opened:
        return "no TCP port"
    if sum(hi - lo + 1 for lo, hi in closed) <= FEW_CLOSED:
        return f"TCP ports {_text(opened)} (every port but {_text(closed)})"
    return f"TCP ports {_text(opened)}"
