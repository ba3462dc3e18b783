"""Shadowed NSG rules: a rule no packet reaches, because rules of higher priority (of the
same direction) already decide everything it matches.

A rule matches a box: protocol by source addresses by source ports by destination addresses
by destination ports. A rule is shadowed when the union of the higher-priority rules' boxes
covers its box. Coverage is decided exactly, by splitting the box at the other rules'
boundaries until each piece lies inside one of them or outside all (a budget bounds the
work; past it nothing is claimed).

Addresses sit on one line: IPv4, then IPv6 (as in ``nsg_eval``), then one point per
symbol a rule names whose addresses the estate does not hold — each service tag, the
``VirtualNetwork`` tag, each application security group. So a symbol covers itself; a
parent tag (``Storage``) covers its regional tags (``Storage.westeurope``); ``Internet``
(the public space, ``nsg_eval.INTERNET``) covers every service tag; ``*`` covers
everything; prefixes that hold the whole public space cover every service tag, and
prefixes that hold every address cover ``VirtualNetwork`` and every application security
group too. Nothing else is assumed: a ``VirtualNetwork`` rule never covers a prefix (which
VNet an NSG sits in is context), a prefix never covers ``VirtualNetwork`` or a group short
of every address. So shadowing is never claimed where the estate cannot show it (no false
positives); it can be missed where only the VNet's address space would show it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..embedded import MAX_PORT, SecurityRule
from . import nsg as arith
from .nsg_eval import (
    AZURE_LB,
    EVERY_ADDRESS,
    INTERNET,
    Intervals,
    difference,
    intersection,
    parse_prefix,
)

Box = tuple[Intervals, ...]  # protocol, source, source port, destination, port
PROTOCOL_CODES = {"Tcp": 0, "Udp": 1, "Icmp": 2, "Esp": 3, "Ah": 4}
ANY_PROTOCOL = (0, 5)  # 5: every other IP protocol
BUDGET = 20000  # splits per rule before giving up (nothing is claimed then)
LINE = EVERY_ADDRESS[0][1] + 1  # the IP line's length; symbol regions follow it


@dataclass(frozen=True)
class Shadowed:
    """A shadowed rule and the higher-priority rules that meet its box."""

    rule: SecurityRule
    by: tuple[SecurityRule, ...]

    @property
    def by_allow(self) -> bool:
        return any(r.access == "Allow" for r in self.by)


class _Symbols:
    """Regions past the IP line for the symbols the rules name. A symbol's addresses are
    not known, only what holds them: a service tag lies in the internet, the VirtualNetwork
    tag and an application security group anywhere. So each symbol gets a copy of that
    universe as its own region; a rule that names the symbol holds the whole region, and a
    rule that names prefixes holds their copy in it. A rule then covers a symbol when, for
    every address the symbol could hold, some rule holds it — the whole universe, or the
    symbol by name — whatever the symbol's real addresses are."""

    def __init__(self, rules: Sequence[SecurityRule], tags_in_internet: bool = True) -> None:
        self.tags_in_internet = tags_in_internet
        names: set[str] = {"virtualnetwork"}
        for r in rules:
            for side, asgs in (
                (r.sources, r.source_asg_ids),
                (r.destinations, r.destination_asg_ids),
            ):
                for p in side:
                    low = p.lower()
                    if parse_prefix(p) is None and low not in SPECIAL:
                        names.add(f"tag:{low}")
                names.update(f"asg:{a.lower()}" for a in asgs)
        self.order = sorted(names)
        self.offset = {n: LINE * (i + 1) for i, n in enumerate(self.order)}
        self.universe = {
            n: INTERNET if n.startswith("tag:") and tags_in_internet else EVERY_ADDRESS
            for n in self.order
        }
        self.tags = [n for n in self.order if n.startswith("tag:")]
        self.everything: Intervals = EVERY_ADDRESS
        for name in self.order:
            self.everything = arith.union(self.everything, self._copy(self.universe[name], name))

    def _copy(self, iv: Intervals, name: str) -> Intervals:
        shift = self.offset[name]
        return tuple((lo + shift, hi + shift) for lo, hi in intersection(iv, self.universe[name]))

    def side(self, prefixes: tuple[str, ...], asgs: tuple[str, ...]) -> Intervals:
        ip: Intervals = ()
        named: set[str] = {f"asg:{a.lower()}" for a in asgs}
        for p in prefixes:
            low = p.lower()
            if low in ("*", "any"):
                return self.everything
            if low == "internet":
                ip = arith.union(ip, INTERNET)
                if self.tags_in_internet:
                    named.update(self.tags)  # every service tag lies in the internet
            elif low == "azureloadbalancer":
                ip = arith.union(ip, AZURE_LB)
            elif low == "virtualnetwork":
                named.add("virtualnetwork")
            elif (iv := parse_prefix(p)) is not None:
                ip = arith.union(ip, iv)
            else:
                named.update(
                    n for n in self.tags if n == f"tag:{low}" or n.startswith(f"tag:{low}.")
                )
        out = ip
        for n in self.order:
            region = self._copy(self.universe[n] if n in named else ip, n)
            out = arith.union(out, region)
        return out


SPECIAL = ("*", "any", "internet", "azureloadbalancer", "virtualnetwork")


def _box(rule: SecurityRule, sym: _Symbols) -> Box:
    protocol = ANY_PROTOCOL if rule.protocol == "*" else (PROTOCOL_CODES[rule.protocol],) * 2
    return (
        (protocol,),
        sym.side(rule.sources, rule.source_asg_ids),
        rule.source_ports or ((0, MAX_PORT),),
        sym.side(rule.destinations, rule.destination_asg_ids),
        rule.ports,
    )


def _rough(rule: SecurityRule) -> Box:
    """A rule's box without its addresses: protocol, source ports, ports."""
    protocol = ANY_PROTOCOL if rule.protocol == "*" else (PROTOCOL_CODES[rule.protocol],) * 2
    return ((protocol,), rule.source_ports or ((0, MAX_PORT),), rule.ports)


def _meets(a: Box, b: Box) -> bool:
    # ports (the last dimension) first: the one where rules differ most
    return _overlap(a[-1], b[-1]) and all(_overlap(x, y) for x, y in zip(a, b, strict=True))


def _overlap(x: Intervals, y: Intervals) -> bool:
    """Whether two sorted, disjoint interval lists share a point: one merge walk, nothing
    built (``covered`` asks it of every earlier rule for every rule of a 1,000-rule NSG)."""
    i = j = 0
    while i < len(x) and j < len(y):
        if x[i][1] < y[j][0]:
            i += 1
        elif y[j][1] < x[i][0]:
            j += 1
        else:
            return True
    return False


def _holds(outer: Box, inner: Box) -> bool:
    return all(arith.covers(o, i) for o, i in zip(outer, inner, strict=True))


def covered(box: Box, others: Sequence[Box], budget: list[int]) -> bool | None:
    """Whether the union of ``others`` covers ``box`` (each dimension a union of
    intervals); None when the budget runs out. Splits the box at another box's edge: the
    part inside it and the part outside, on one dimension at a time."""
    hits = [o for o in others if _meets(o, box)]
    if not hits:
        return False
    if any(_holds(o, box) for o in hits):
        return True
    budget[0] -= 1
    if budget[0] < 0:
        return None
    o = hits[0]
    for d, (mine, theirs) in enumerate(zip(box, o, strict=True)):
        if arith.covers(theirs, mine):
            continue
        inside, outside = intersection(mine, theirs), difference(mine, theirs)
        first = covered((*box[:d], inside, *box[d + 1 :]), hits, budget)
        if not first:
            return first
        return covered((*box[:d], outside, *box[d + 1 :]), hits, budget)
    return None  # unreachable: a box that meets but is not held has a dimension sticking out


PORT_BUCKET = 256  # ports per bit of a rule's coarse port mask


def _port_mask(ports: Intervals) -> int:
    """One bit per run of PORT_BUCKET ports the rule names some of."""
    mask = 0
    for lo, hi in ports:
        first, last = lo // PORT_BUCKET, hi // PORT_BUCKET
        mask |= ((1 << (last - first + 1)) - 1) << first
    return mask


def _port_neighbours(rules: Sequence[SecurityRule]) -> Callable[[int], list[int]]:
    """For rule i, the earlier rules that name some port in a run of PORT_BUCKET ports where
    it names one, in order: a superset of those whose boxes meet it (ports are a dimension
    of every box), so ``covered`` finds the same hits in the same order without walking
    every earlier rule's box (one integer AND per pair instead)."""
    masks = [_port_mask(r.ports) for r in rules]

    def near(i: int) -> list[int]:
        mine = masks[i]
        return [j for j in range(i) if masks[j] & mine]

    return near


def shadowed(rules: Sequence[SecurityRule]) -> list[Shadowed]:
    """Cached by content: estates repeat the same NSG many times."""
    return list(_shadowed(rules if isinstance(rules, tuple) else tuple(rules)))


@lru_cache(maxsize=4096)
def _shadowed(rules: tuple[SecurityRule, ...]) -> tuple[Shadowed, ...]:
    """The custom rules that rules of higher priority and the same direction shadow, in
    priority order per direction (the rules must be readable and priorities distinct).

    A service tag lies in the Internet (Azure's Internet tag includes Azure's public
    ranges), and a Deny of a tag behind an Allow of the Internet is reported. A rule that is
    shadowed only because of that — an Allow of GatewayManager behind an Allow of the
    Internet, as Microsoft documents Bastion's rules — is redundant, not dead, and is not
    reported: its shadowing must hold with tags taken anywhere."""
    loose: _Symbols | None = None
    strict: _Symbols | None = None
    found: list[Shadowed] = []
    for direction in ("Inbound", "Outbound"):
        mine = sorted((r for r in rules if r.direction == direction), key=lambda r: r.priority)
        if len(mine) < 2:
            continue
        # protocol, source ports and ports first: most rules are not covered even there
        rough = [_rough(r) for r in mine]
        near = _port_neighbours(mine)
        candidates = [
            i
            for i in range(1, len(mine))
            if covered(rough[i], [rough[j] for j in near(i)], [BUDGET]) is True
        ]
        if not candidates:
            continue
        loose = loose or _Symbols(rules)
        boxes = [_box(r, loose) for r in mine]
        strict_boxes: list[Box] | None = None
        for i in candidates:
            r = mine[i]
            if (
                not all(boxes[i])
                or covered(boxes[i], [boxes[j] for j in near(i)], [BUDGET]) is not True
            ):
                continue
            by = tuple(mine[j] for j in near(i) if _meets(boxes[j], boxes[i]))
            if r.access == "Deny" and any(b.access == "Allow" for b in by):
                found.append(Shadowed(r, by))
                continue
            if strict_boxes is None:
                strict = strict or _Symbols(rules, tags_in_internet=False)
                strict_boxes = [_box(x, strict) for x in mine]
            if covered(strict_boxes[i], [strict_boxes[j] for j in near(i)], [BUDGET]) is True:
                found.append(Shadowed(r, by))
    return tuple(found)
