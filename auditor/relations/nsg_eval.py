"""The NSG evaluator: what Azure decides for one flow, and by which rule of which NSG.

Azure's semantics, exactly where the estate holds the data:

* An NSG's rules are evaluated per direction by priority — custom rules, then the default
  rules (``AllowVnetInBound`` 65000, ``AllowAzureLoadBalancerInBound`` 65001,
  ``DenyAllInBound`` 65500; ``AllowVnetOutBound``, ``AllowInternetOutBound``,
  ``DenyAllOutBound``), which stand in for a row that omits them — and the first rule that
  matches a packet decides it. A rule matches on protocol (``*`` or the packet's), source
  and destination ports (single, range, list, ``*``) and source and destination addresses
  (CIDR prefixes, lists, ``*``, service tags, application security groups).
* Inbound traffic meets the subnet's NSG, then the NIC's; outbound traffic the NIC's, then
  the subnet's. It passes only if both allow it; a level without an NSG allows.
* ``Internet`` is the publicly routable address space (``nsg.PUBLIC``), less Azure's host
  address 168.63.129.16 (the ``AzureLoadBalancer`` tag). ``VirtualNetwork`` is the address
  space of the VNet the NSG is evaluated in plus those of the VNets directly peered with it
  (state Connected, VNet access allowed: ``peering.connected_peers``). A regional service
  tag (``Storage.westeurope``) is part of its parent (``Storage``): a rule naming the parent
  matches a flow to the regional tag; a rule naming another region does not.
* An application security group holds the IP configurations of the NICs that name it
  (``ipConfigurations[].applicationSecurityGroups``): membership is read from the NICs in
  the estate.

A flow's two sides are asked differently. The *local* side (the NIC or subnet the NSG
protects) is a set of hosts, and the flow is allowed when it reaches **some** of them. The
*remote* side (the internet, a prefix, a tag) is taken as a whole: the flow is allowed when
the Allow rules that are the first match for some of its addresses name, between them,
**all** of it — for the internet, all of one IP family. For one address this is exactly
Azure's answer; for the internet it is :mod:`nsg`'s coverage rule (a Deny of part of the
internet before an Allow of all of it leaves the port open; two Allows of half each open
it; an Allow of one office address does not open it to the internet). Source ports are
not part of a flow: a rule for some source ports is the first match for those only, so a
Deny of some source ports leaves a later Allow open, and an Allow of some opens.

What the estate does not say is unknown, never allowed or denied: an NSG referenced but not
in the estate, a rule list that cannot be read, two rules of one direction sharing a
priority, a ``VirtualNetwork`` whose peered space is not known (for private addresses
outside the known space; the unknown part is taken to be private), a service tag asked
about one public address (its ranges are not in the estate), a prefix that cuts through a
NIC's subnet when the NIC's own address is not known. A service tag is taken never to hold
a whole IP family, so it never names the internet, and a prefix list names a service tag
only when it holds every public IPv4 address.

The arithmetic is on sorted interval unions (IPv4 and IPv6 on one integer line): a
question cuts the asked addresses and ports at the rules' boundaries and evaluates each
piece once, so an NSG costs a polynomial in its rule count, never a loop over addresses or
the 65,536 ports. An NSG's open ports come from one sweep over its rules' port boundaries,
sorted once. Answers are memoized per graph (``base.memoized``), and one NSG's evaluation is
shared by every subnet and NIC that cannot tell it apart (``_LevelRules``). An NSG's rules
are read once for both directions, and NSGs with the same rule content share the ordered
rules (``nsg_rules``): an estate repeats a few rule lists on thousands of NSGs.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from .. import arm, embedded
from ..embedded import MAX_PORT, SecurityRule
from . import nsg as arith
from .base import memoized
from .peering import connected_peers

if TYPE_CHECKING:
    from ..graph import AuditGraph

Intervals = tuple[tuple[int, int], ...]
V6 = 2**32  # IPv6 addresses sit above IPv4's on one integer line
EVERY_ADDRESS: Intervals = ((0, V6 + 2**128 - 1),)
ALL_V4: Intervals = ((0, V6 - 1),)  # a subnet's hosts when its prefix is not known
ALL_PORTS: Intervals = ((0, MAX_PORT),)
PROTOCOLS = ("Tcp", "Udp", "Icmp", "Esp", "Ah")
INBOUND, OUTBOUND = "Inbound", "Outbound"
LOAD_BALANCER = "168.63.129.16"


def _v6(iv: Intervals) -> Intervals:
    return tuple((lo + V6, hi + V6) for lo, hi in iv)


def difference(a: Intervals, b: Intervals) -> Intervals:
    """``a`` less ``b`` (both sorted and disjoint)."""
    out: list[tuple[int, int]] = []
    j = 0
    for lo, hi in a:
        start = lo
        while j < len(b) and b[j][1] < start:
            j += 1
        k = j
        while k < len(b) and b[k][0] <= hi:
            if b[k][0] > start:
                out.append((start, b[k][0] - 1))
            start = max(start, b[k][1] + 1)
            k += 1
        if start <= hi:
            out.append((start, hi))
    return tuple(out)


def intersection(a: Intervals, b: Intervals) -> Intervals:
    return difference(a, difference(a, b))


def _lb() -> Intervals:
    n = int(ipaddress.IPv4Address(LOAD_BALANCER))
    return ((n, n),)


AZURE_LB: Intervals = _lb()
PUBLIC_V4: Intervals = difference(arith.PUBLIC_V4, AZURE_LB)
PUBLIC_V6: Intervals = _v6(arith.PUBLIC_V6)
INTERNET: Intervals = arith.union(PUBLIC_V4, PUBLIC_V6)
PRIVATE: Intervals = difference(EVERY_ADDRESS, INTERNET)


# dotted quads without leading zeros (ipaddress refuses those) and a prefix length 0-32
_V4 = re.compile(
    r"(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})"
    r"(?:/(0|[1-9][0-9]?))?"
)


@lru_cache(maxsize=8192)
def parse_prefix(value: str) -> Intervals | None:
    """A CIDR prefix or address as intervals on the line; None when it is none (a tag).
    ``0.0.0.0`` alone is read as any IPv4 address, as checkov reads it."""
    text = value.strip()
    if text == "0.0.0.0":
        return ((0, 2**32 - 1),)
    if m := _V4.fullmatch(text):  # the common case, without ipaddress's objects
        octets = [int(x) for x in m.group(1, 2, 3, 4)]
        bits = 32 if m.group(5) is None else int(m.group(5))
        if all(o <= 255 for o in octets) and bits <= 32:
            n = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
            size = 1 << (32 - bits)
            lo = n & ~(size - 1)
            return ((lo, lo + size - 1),)
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    lo, hi = int(net.network_address), int(net.broadcast_address)
    return ((lo, hi),) if net.version == 4 else ((lo + V6, hi + V6),)


def prefixes_set(values: Iterable[str]) -> Intervals:
    out: Intervals = ()
    for v in values:
        iv = parse_prefix(v)
        if iv:
            out = arith.union(out, iv)
    return out


# -- address sets with symbols --------------------------------------------------------------
@dataclass(frozen=True)
class Addrs:
    """Addresses a rule names: intervals on the line, plus symbols the line cannot hold —
    service tags (``tag:storage.westeurope``) and NICs whose address is not known
    (``node:<key>``). ``wild`` holds symbol prefixes the set holds entirely."""

    iv: Intervals = ()
    atoms: frozenset[str] = frozenset()
    wild: frozenset[str] = frozenset()

    def has(self, atom: str) -> bool:
        return atom in self.atoms or any(atom.startswith(w) for w in self.wild)

    def __or__(self, other: Addrs) -> Addrs:
        return Addrs(
            arith.union(self.iv, other.iv), self.atoms | other.atoms, self.wild | other.wild
        )


@dataclass(frozen=True)
class Part:
    """One side of a question: intervals, or one symbol."""

    iv: Intervals = ()
    atom: str | None = None


Cell = tuple[int, int] | str


def _inside(iv: Intervals, x: int) -> bool:
    i = bisect_right(iv, (x, 2**200)) - 1
    return i >= 0 and iv[i][0] <= x <= iv[i][1]


def contains(addrs: Addrs, cell: Cell) -> bool:
    if isinstance(cell, str):
        return addrs.has(cell)
    return _inside(addrs.iv, cell[0])


def cells(part: Part, sets: Iterable[Addrs]) -> list[Cell]:
    """The part cut at every boundary of the sets: each cell is wholly in or out of each."""
    return _cut(part, _cuts(sets))


def _cuts(sets: Iterable[Addrs]) -> list[int]:
    """Every boundary of the sets, sorted."""
    cuts: set[int] = set()
    for s in sets:
        for lo, hi in s.iv:
            cuts.add(lo)
            cuts.add(hi + 1)
    return sorted(cuts)


def _cut(part: Part, ordered: Sequence[int]) -> list[Cell]:
    """The part cut at sorted boundaries ``ordered``."""
    if part.atom is not None:
        return [part.atom]
    out: list[Cell] = []
    for lo, hi in part.iv:
        start = lo
        i = bisect_right(ordered, lo)
        while i < len(ordered) and ordered[i] <= hi:
            out.append((start, ordered[i] - 1))
            start = ordered[i]
            i += 1
        out.append((start, hi))
    return out


# -- the core: one NSG, one local cell ------------------------------------------------------
@dataclass(frozen=True)
class Norm:
    """A rule as a question sees it: its local and remote address sets, and why matching it
    cannot be decided (None: it can)."""

    rule: SecurityRule
    local: Addrs
    remote: Addrs
    unsure: str | None = None  # why the rule may match where ``local`` says it does not
    remote_unsure: str | None = None  # the same for ``remote``


@dataclass(frozen=True)
class LevelAnswer:
    access: str  # Allow | Deny | Unknown
    rules: tuple[SecurityRule, ...]  # Allow: the admitting rules; Deny: the deciding rule
    reason: str | None = None


def protocol_matches(rule: SecurityRule, protocol: str) -> bool:
    return rule.protocol == "*" or rule.protocol == protocol


def _firsts(rules: Sequence[Norm], part: Sequence[Cell], unsure_all: bool) -> list[Norm | None]:
    """For each cell of ``part``, the first of ``rules`` whose remote side holds it (with
    ``unsure_all``, a rule whose remote match is unsure holds every cell). One pass over the
    rules' intervals, each cell claimed once: trying every rule per cell was cells x rules
    per port run, minutes for a 1,000-rule NSG."""
    out: list[Norm | None] = [None] * len(part)
    nums = sorted((c[0], i) for i, c in enumerate(part) if not isinstance(c, str))
    starts = [x for x, _ in nums]
    syms = [i for i, c in enumerate(part) if isinstance(c, str)]
    skip = list(range(len(nums) + 1))  # next unclaimed position at or after each one
    left = len(part)

    def find(k: int) -> int:
        root = k
        while skip[root] != root:
            root = skip[root]
        while skip[k] != root:
            skip[k], k = root, skip[k]
        return root

    for r in rules:
        if not left:
            break
        if unsure_all and r.remote_unsure is not None:
            return [r if f is None else f for f in out]
        for i in syms:
            if out[i] is None and r.remote.has(part[i]):  # type: ignore[arg-type]
                out[i] = r
                left -= 1
        for lo, hi in r.remote.iv:
            end = bisect_right(starts, hi)
            k = find(bisect_left(starts, lo))
            while k < end:
                out[nums[k][1]] = r
                left -= 1
                skip[k] = k + 1
                k = find(k + 1)
    return out


def decide(
    rules: Sequence[Norm],
    local: Cell,
    remote: Sequence[Sequence[Cell]],
    protocol: str,
    port: int,
    sport: int = 0,
) -> LevelAnswer:
    """One NSG's answer for one local cell, a concrete protocol, destination port and source
    port, and a remote side given as parts already cut into cells (``rules`` in Azure's
    order): Allow when, for some part, the Allow rules that are the first match of one of
    its cells match every cell between them."""
    relevant = [
        r
        for r in rules
        if protocol_matches(r.rule, protocol)
        and _inside(r.rule.ports, port)
        and _inside(r.rule.source_ports, sport)
        and (r.unsure is not None or contains(r.local, local))
    ]
    return _decide_relevant(relevant, remote)


def _decide_relevant(relevant: Sequence[Norm], remote: Sequence[Sequence[Cell]]) -> LevelAnswer:
    """:func:`decide` once the rules that match the flow's protocol, ports and local cell
    are picked. The remote cells need only be cut at these rules' boundaries: a finer cut
    splits a cell into pieces every relevant rule treats alike, which changes no answer."""
    unknown: str | None = None
    closer: tuple[int, SecurityRule] | None = None  # the last rule to decide a part's rest
    order = {id(r): i for i, r in enumerate(relevant)}
    for part in remote:
        allowing: list[Norm] = []
        firsts: list[Norm | None] = []
        broken: str | None = None
        seen: set[int] = set()
        for first in _firsts(relevant, part, True):
            if first is not None and (first.unsure or first.remote_unsure):
                broken = first.unsure or first.remote_unsure
                break
            firsts.append(first)
            if first is not None and first.rule.access == "Allow" and id(first) not in seen:
                seen.add(id(first))
                if first not in allowing:
                    allowing.append(first)
        if broken:
            unknown = unknown or broken
            continue
        named = _firsts(allowing, part, False)
        unnamed = [i for i, f in enumerate(named) if f is None]
        if not unnamed:
            return LevelAnswer("Allow", tuple(r.rule for r in allowing))
        deciders = [f for f in (firsts[i] for i in unnamed) if f is not None]
        if deciders:
            last = max(deciders, key=lambda r: order[id(r)])
            if closer is None or order[id(last)] > closer[0]:
                closer = (order[id(last)], last.rule)
    if unknown:
        return LevelAnswer("Unknown", (), unknown)
    return LevelAnswer("Deny", (closer[1],) if closer else ())


# -- the public answer types ----------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    """One side of a flow."""

    kind: str  # "internet" | "ip" | "tag" | "node"
    value: str = ""  # the IP/CIDR, the service tag, or the node key (lower-case ARM id)

    @staticmethod
    def internet() -> Endpoint:
        return Endpoint("internet")

    @staticmethod
    def ip(address: str) -> Endpoint:
        return Endpoint("ip", address.strip())

    @staticmethod
    def tag(name: str) -> Endpoint:
        return Endpoint("tag", name.strip())

    @staticmethod
    def node(key: str) -> Endpoint:
        return Endpoint("node", arm.key(key))

    def __str__(self) -> str:
        return "Internet" if self.kind == "internet" else self.value


@dataclass(frozen=True)
class Step:
    """One NSG's decision on the flow."""

    nsg: str  # NSG id as printed in the input
    level: str  # "subnet" | "nic"
    attached_to: str  # the subnet or NIC id it was evaluated at
    direction: str  # "Inbound" | "Outbound"
    rule: str  # deciding rule name (default rules by their Azure names)
    priority: int
    access: str  # "Allow" | "Deny"
    default: bool
    also: tuple[tuple[str, int], ...] = ()  # further admitting rules (name, priority)

    def describe(self) -> str:
        verb = "allowed" if self.access == "Allow" else "denied"
        where = f"{self.level} {arm.last_name(self.attached_to)}"
        rules = f"rule {self.rule} priority {self.priority}" + "".join(
            f", rule {n} priority {p}" for n, p in self.also
        )
        return f"{verb} by {arm.last_name(self.nsg)} ({where}) {rules}"


@dataclass(frozen=True)
class Verdict:
    access: str  # "Allow" | "Deny" | "Unknown"
    steps: tuple[Step, ...]  # every NSG evaluated, in evaluation order
    reasons: tuple[str, ...] = ()  # why Unknown

    def deciding(self) -> Step | None:
        """The step that denied, or the last allow."""
        for s in self.steps:
            if s.access == "Deny":
                return s
        return self.steps[-1] if self.steps else None

    def describe(self) -> str:
        if self.access == "Unknown":
            return "unknown: " + "; ".join(self.reasons)
        step = self.deciding()
        if step is None:
            return "allowed: no NSG on the path"
        return step.describe()


@dataclass(frozen=True)
class OpenPorts:
    """Destination ports open from a source: sorted intervals, each with the steps that
    admit it (``segments``); ``unknown`` says why some ports cannot be decided (those are
    in ``undecided``, never in ``intervals``)."""

    intervals: Intervals
    segments: tuple[tuple[int, int, tuple[Step, ...]], ...] = ()
    unknown: tuple[str, ...] = ()
    undecided: Intervals = ()

    def steps(self, port: int) -> tuple[Step, ...]:
        """The steps that admit ``port`` (empty when it is not open)."""
        for lo, hi, steps in self.segments:
            if lo <= port <= hi:
                return steps
        return ()

    def is_open(self, port: int) -> bool:
        return _inside(self.intervals, port)


# -- the estate: NSGs, addresses, memberships --------------------------------------------------
def _props(row: Any) -> dict[str, Any]:
    props = row.get("properties") if isinstance(row, dict) else None
    return props if isinstance(props, dict) else {}


def default_rules(direction: str) -> list[SecurityRule]:
    """Azure's default rules of one direction: on every NSG, so a row that omits them has
    them."""

    def rule(name: str, priority: int, access: str, src: str, dst: str) -> SecurityRule:
        return SecurityRule(
            name=name,
            priority=priority,
            direction=direction,
            access=access,
            protocol="*",
            sources=(src,),
            source_ports=ALL_PORTS,
            destinations=(dst,),
            ports=ALL_PORTS,
            default=True,
        )

    if direction == INBOUND:
        return [
            rule("AllowVnetInBound", 65000, "Allow", "VirtualNetwork", "VirtualNetwork"),
            rule("AllowAzureLoadBalancerInBound", 65001, "Allow", "AzureLoadBalancer", "*"),
            rule("DenyAllInBound", 65500, "Deny", "*", "*"),
        ]
    return [
        rule("AllowVnetOutBound", 65000, "Allow", "VirtualNetwork", "VirtualNetwork"),
        rule("AllowInternetOutBound", 65001, "Allow", "*", "Internet"),
        rule("DenyAllOutBound", 65500, "Deny", "*", "*"),
    ]


class _Rules(tuple[SecurityRule, ...]):
    """An NSG's ordered rules, hashed once: the tuple keys the evaluator's caches at every
    question asked of the NSG, and a plain tuple hashes all its rules each time."""

    _hash: int | None = None

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = tuple.__hash__(self)
        return h


@dataclass(frozen=True)
class NsgRules:
    """An NSG's rules of one direction in Azure's order, or why they cannot be known."""

    rules: tuple[SecurityRule, ...] = ()
    unknown: tuple[str, ...] = ()


def nsg_rules(g: AuditGraph, nsg: str, direction: str) -> NsgRules:
    """An NSG's rules of one direction. Both directions are read at once, into one table
    entry per NSG (not a memo entry per NSG and direction), and NSGs whose rules have the
    same content share the answers: an estate repeats a few rule lists on thousands of
    NSGs."""
    table: dict[str, tuple[NsgRules, ...]] | None = g.memo.get(_RULES_TABLE)
    if table is None:
        table = g.memo[_RULES_TABLE] = {}
    both = table.get(nsg)
    if both is None:
        both = table[nsg] = _read_rules(g, nsg)
    if direction == INBOUND:
        return both[0]
    if direction == OUTBOUND:
        return both[1]
    return _read_rules(g, nsg, (direction,))[0]


_RULES_TABLE = ("nsg_eval.rules",)
_BY_CONTENT = ("nsg_eval.rules_by_content",)


def _read_rules(
    g: AuditGraph, nsg: str, directions: tuple[str, ...] = (INBOUND, OUTBOUND)
) -> tuple[NsgRules, ...]:
    """An NSG's rules of each direction, its row read once."""
    if not g.seen(nsg):
        refs = ", ".join(arm.last_name(r) for r in g.referrers(nsg)) or "the estate"
        why = NsgRules(
            unknown=(f"NSG {g.name(nsg)} is referenced by {refs} but not in the estate",)
        )
        return (why,) * len(directions)
    broken = g.unreadable(nsg, "securityRules", "defaultSecurityRules")
    if broken:
        why = NsgRules(unknown=tuple(f"{u}, so what the NSG decides is unknown" for u in broken))
        return (why,) * len(directions)
    got = g.security_rules(nsg)
    if got is None:
        why = NsgRules(unknown=(f"NSG {g.name(nsg)} has no securityRules list in its row",))
        return (why,) * len(directions)
    answers, clean = _ordered_shared(g, got, directions)
    if clean:  # the common case: no rules share a priority, the answers are shared
        return answers  # type: ignore[return-value]
    out = []
    for direction, ordered in zip(directions, answers, strict=True):
        if not isinstance(ordered, NsgRules):  # rules sharing a priority
            ordered = NsgRules(
                unknown=tuple(
                    f"NSG {g.name(nsg)}: {direction.lower()} rules {a} and {b} share priority "
                    f"{p}, so which applies first is unknown"
                    for a, b, p in ordered
                )
            )
        out.append(ordered)
    return tuple(out)


def _ordered_shared(
    g: AuditGraph,
    got: tuple[list[SecurityRule], list[SecurityRule] | None],
    directions: tuple[str, ...],
) -> tuple[tuple[NsgRules | list[tuple[str, str, int]], ...], bool]:
    """Each direction's rules in Azure's order (:func:`_ordered`), one answer per content,
    and whether every answer is a rule list (no rules share a priority).
    Rules are read once per content (``embedded.security_rule``), so NSGs with equal rule
    lists hold the same rule objects: their ids key the content without hashing a rule, and
    the entry holds the rules, so no id in its key is reused while it lives."""
    custom, defaults = got
    key = (
        tuple(map(id, custom)),
        None if defaults is None else tuple(map(id, defaults)),
        directions,
    )
    shared: dict[Any, Any] | None = g.memo.get(_BY_CONTENT)
    if shared is None:
        shared = g.memo[_BY_CONTENT] = {}
    found = shared.get(key)
    if found is None:
        custom_t = _Rules(custom)
        defaults_t = None if defaults is None else _Rules(defaults)
        answers = []
        for direction in directions:
            ordered = _ordered(custom_t, defaults_t, direction)
            answers.append(ordered if isinstance(ordered, list) else NsgRules(ordered))
        clean = all(isinstance(a, NsgRules) for a in answers)
        found = shared[key] = ((tuple(answers), clean), custom_t, defaults_t)
    result: tuple[tuple[NsgRules | list[tuple[str, str, int]], ...], bool] = found[0]
    return result


def _ordered(
    custom: tuple[SecurityRule, ...], defaults: tuple[SecurityRule, ...] | None, direction: str
) -> tuple[SecurityRule, ...] | list[tuple[str, str, int]]:
    """One direction's rules in Azure's order, or the pairs of rules that share a priority
    (asked once per content: :func:`_ordered_shared`)."""
    mine = [r for r in custom if r.direction == direction]
    seen: dict[int, str] = {}
    clashes = []
    for r in mine:
        if r.priority in seen:
            clashes.append((seen[r.priority], r.name, r.priority))
        seen.setdefault(r.priority, r.name)
    if clashes:
        return clashes
    dflt = (
        default_rules(direction)
        if defaults is None
        else [r for r in defaults if r.direction == direction]
    )
    # one _Rules per content, shared by the NSGs that repeat it: the evaluator's caches take
    # its hash once
    return _Rules(sorted(mine, key=lambda r: r.priority) + sorted(dflt, key=lambda r: r.priority))


@dataclass(frozen=True)
class Space:
    """A VNet's ``VirtualNetwork`` tag: the addresses known, why more may belong, and where
    those may lie (``doubt``): anywhere for a peer whose space is not known (a VNet's space
    may be any prefix, public ones too); the private space for a VNet that is not known,
    whose NSG is judged as one on its own (:data:`UNATTACHED`)."""

    known: Intervals
    missing: tuple[str, ...] = ()
    doubt: Intervals = EVERY_ADDRESS


def _address_space(row: dict[str, Any]) -> list[str] | None:
    space = _props(row).get("addressSpace")
    prefixes = space.get("addressPrefixes") if isinstance(space, dict) else None
    if not isinstance(prefixes, list):
        return None
    return [p for p in prefixes if isinstance(p, str)]


def virtual_network(g: AuditGraph, vnet: str | None) -> Space:
    """The ``VirtualNetwork`` tag of NSGs evaluated in ``vnet``: its space plus the spaces of
    the VNets directly peered with it (Connected, VNet access allowed)."""
    if vnet is None:
        return Space((), ("the VNet is not known",), PRIVATE)

    def compute() -> Space:
        spans, missing = _peer_spans(g, vnet, False)
        return Space(arith.coalesce(sorted(spans)), tuple(missing))  # one merge: hubs are big

    result: Space = memoized(g, ("nsg_eval.vnet", vnet), compute)
    return result


def _peer_spans(
    g: AuditGraph, vnet: str, first_missing: bool
) -> tuple[list[tuple[int, int]], list[str]]:
    """The address spans of the VNet and its connected peers, and why some peer's space is
    not known (with ``first_missing``, the walk stops at the first such peer)."""
    spans: list[tuple[int, int]] = []
    missing: list[str] = []
    remote_spaces: dict[str, list[str]] | None = None  # read only when a peer needs it
    for other, _why in connected_peers(g, vnet):
        prefixes = _address_space(g.row(other)) if g.seen(other) else None
        if prefixes is None:
            if remote_spaces is None:
                remote_spaces = _remote_spaces(g, vnet)
            prefixes = remote_spaces.get(other)
        if prefixes is None:
            missing.append(f"the address space of VNet {g.name(other)} is not in the estate")
            if first_missing:
                break
            continue
        for p in prefixes:
            spans += parse_prefix(p) or ()
    return spans, missing


def _remote_spaces(g: AuditGraph, vnet: str) -> dict[str, list[str]]:
    """remoteAddressSpace of the VNet's own peering entries, by remote VNet key."""
    out: dict[str, list[str]] = {}
    if not g.seen(vnet):
        return out
    for entry in _props(g.row(vnet)).get("virtualNetworkPeerings") or ():
        props = _props(entry) or (entry if isinstance(entry, dict) else {})
        remote = props.get("remoteVirtualNetwork")
        rid = remote.get("id") if isinstance(remote, dict) else None
        space = props.get("remoteAddressSpace")
        prefixes = space.get("addressPrefixes") if isinstance(space, dict) else None
        if isinstance(rid, str) and isinstance(prefixes, list):
            out[arm.key(rid)] = [p for p in prefixes if isinstance(p, str)]
    return out


@dataclass(frozen=True)
class NicInfo:
    ips: Intervals
    asgs: frozenset[str]  # lower-case ASG ids
    subnets: tuple[str, ...]
    unknown: tuple[str, ...] = ()


def nic_info(g: AuditGraph, nic: str) -> NicInfo:
    """A NIC's private IPs, application security groups and subnets, read once."""
    result: NicInfo = memoized(g, ("nsg_eval.nic", nic), lambda: _read_nic(g, nic))
    return result


def _read_nic(g: AuditGraph, nic: str) -> NicInfo:
    subnets = tuple(dict.fromkeys(t for t, _ in g.out(nic, "in_subnet")))
    if not g.seen(nic):
        return NicInfo((), frozenset(), subnets)
    configs, bad = embedded.read_list(
        _props(g.row(nic)).get("ipConfigurations"), embedded.IP_CONFIGURATIONS
    )
    ips: Intervals = ()
    asgs: set[str] = set()
    for cfg in configs:
        if cfg.private_ip and (iv := parse_prefix(cfg.private_ip)):
            ips = arith.union(ips, iv)
        asgs.update(arm.key(a) for a in cfg.asgs)
    why = tuple(
        f"NIC {g.name(nic)}: ipConfigurations[{b.index}] cannot be read: {b.why}" for b in bad
    )
    return NicInfo(ips, frozenset(asgs), subnets, why)


def _asg_members(g: AuditGraph) -> dict[str, list[str]]:
    def compute() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for nic in g.nodes_of_kind("nic"):
            for a in nic_info(g, nic).asgs:
                out.setdefault(a, []).append(nic)
        return out

    result: dict[str, list[str]] = memoized(g, ("nsg_eval.asgs",), compute)
    return result


def subnet_prefixes(g: AuditGraph, subnet: str) -> Intervals:
    props = _props(g.row(subnet))
    values = []
    if isinstance(props.get("addressPrefix"), str):
        values.append(props["addressPrefix"])
    values += [p for p in props.get("addressPrefixes") or () if isinstance(p, str)]
    return prefixes_set(values)


def vnet_of(g: AuditGraph, node: str) -> str | None:
    kind = g.kind(node)
    if kind == "vnet":
        return node
    if kind == "subnet":
        return g.vnet_of_subnet.get(node)
    if kind == "nic":
        subnet = g.first_out(node, "in_subnet")
        return g.vnet_of_subnet.get(subnet) if subnet else None
    return None


def may_name_internet(
    g: AuditGraph,
    rules: Iterable[SecurityRule],
    vnets: Iterable[str],
    side: str = "source",
    protocol: str | None = None,
    ports: Intervals | None = None,
) -> bool:
    """Whether Allow rules among ``rules`` (those for ``protocol`` and some of ``ports``,
    when given) could name a whole IP family of the internet between them on one ``side``
    ("source" or "destination"), for NSGs evaluated in ``vnets``: a necessary condition for
    a flow from (to) the internet to pass, decided from the prefixes alone. An application
    security group, or a VirtualNetwork whose space is not known, could hold anything."""
    return InternetGate(g, rules, vnets, side)(protocol, ports)


class InternetGate:
    """:func:`may_name_internet` for one rule list, side and set of VNets, asked for several
    protocols and ports: the VNets' part of the internet is read once, when first needed."""

    __slots__ = ("_g", "_public", "_read", "_rules", "_side", "_vnets")

    def __init__(
        self, g: AuditGraph, rules: Iterable[SecurityRule], vnets: Iterable[str], side: str
    ) -> None:
        self._g = g
        self._rules = rules if isinstance(rules, tuple) else tuple(rules)  # keeps a _Rules' hash
        self._vnets = vnets
        self._side = side
        self._public: Intervals | None = None
        self._read = False

    def _vnet_public(self) -> Intervals | None:
        """The internet's part of the VNets' VirtualNetwork tags; None when not all known
        (or no VNet is)."""
        if not self._read:
            self._read = True
            got: Intervals | None = None
            if self._vnets:
                got = ()
                for v in dict.fromkeys(self._vnets):
                    public = _public_in_vnet(self._g, v)
                    if public is None:
                        got = None
                        break
                    got = arith.union(got, public)
            self._public = got
        return self._public

    def vnet_may_hold_internet(self) -> bool:
        """Whether the VNets' VirtualNetwork tags may hold internet addresses: some of them
        are public, or a peer's space is not known (it may be any prefix). With no VNet
        known, no: the evaluator takes the tag as the private space (``Space.doubt``)."""
        return bool(self._vnets) and self._vnet_public() != ()

    def __call__(self, protocol: str | None = None, ports: Intervals | None = None) -> bool:
        wide, got, vnet = _internet_reach(self._rules, self._side, protocol, ports)
        if wide:
            return True
        if vnet:
            public = self._vnet_public()
            if public is None:
                return True
            got = arith.union(got, public)
        return arith.covers(got, PUBLIC_V4) or arith.covers(got, PUBLIC_V6)


def may_name_internet_alone(rules: tuple[SecurityRule, ...]) -> bool:
    """:func:`may_name_internet` for an NSG evaluated on its own (attached to nothing), whose
    ``VirtualNetwork`` is the private space and so names none of the internet."""
    wide, got, _vnet = _internet_reach(rules, "source", None, None)
    return wide or arith.covers(got, PUBLIC_V4) or arith.covers(got, PUBLIC_V6)


def _public_in_vnet(g: AuditGraph, vnet: str) -> Intervals | None:
    """The internet's part of a VNet's ``VirtualNetwork`` tag; None when not all known.
    Asked of every VNet an NSG is attached in: read from the spans without building the
    tag (:func:`virtual_network`), whose spans are almost all private."""
    table: dict[str, Intervals | None] | None = g.memo.get(_VNET_PUBLIC)
    if table is None:
        table = g.memo[_VNET_PUBLIC] = {}
    if vnet in table:
        return table[vnet]
    spans, missing = _peer_spans(g, vnet, True)
    public = [s for s in spans if not arith.covers(PRIVATE, (s,))]
    found = table[vnet] = (
        None
        if missing
        else intersection(arith.coalesce(sorted(public)), INTERNET)
        if public
        else ()
    )
    return found


_VNET_PUBLIC = ("nsg_eval.vnet_public",)


@lru_cache(maxsize=65536)
def _internet_reach(
    rules: tuple[SecurityRule, ...], side: str, protocol: str | None, ports: Intervals | None
) -> tuple[bool, Intervals, bool]:
    """(names something that may be anything, the prefixes' union, names VirtualNetwork)."""
    got: Intervals = ()
    vnet = False
    for r in rules:
        if r.access != "Allow":
            continue
        if protocol is not None and not protocol_matches(r, protocol):
            continue
        if ports is not None and not intersection(r.ports, ports):
            continue
        prefixes, asgs = (
            (r.sources, r.source_asg_ids)
            if side == "source"
            else (r.destinations, r.destination_asg_ids)
        )
        if asgs:
            return True, (), False
        for p in prefixes:
            low = p.lower()
            if low in ("*", "any", "internet"):
                return True, (), False
            if low == "virtualnetwork":
                vnet = True
            elif (iv := parse_prefix(p)) is not None:
                got = arith.union(got, iv)
    return False, got, vnet


def surely_allowed(
    g: AuditGraph, node: str, remote: Endpoint, direction: str, protocol: str, port: int
) -> bool:
    """A quick, sufficient test that :func:`flow` allows a flow between a NIC or subnet and
    the internet, a service tag or the VirtualNetwork: at every NSG on the node, a rule
    that surely matches the whole flow and allows it comes before any Deny that could match
    it. False means "ask :func:`flow`", never "denied"."""
    at = surely_rules(g, node, direction)
    if at is None:
        return False
    public = is_virtual_network(remote) and vnet_may_hold_internet(g, node)
    return all(
        level_surely_allows(rules, remote, direction, protocol, port, public) for rules in at
    )


def is_virtual_network(ep: Endpoint) -> bool:
    return ep.kind == "tag" and ep.value.lower() == "virtualnetwork"


def vnet_may_hold_internet(g: AuditGraph, node: str) -> bool:
    """Whether the VirtualNetwork tag of NSGs at a NIC or subnet may hold internet
    addresses: its VNet's or a peer's space is public, or a peer's is not known. A VNet
    that is not known is taken as the private space (``Space.doubt``)."""
    vnet = vnet_of(g, node)
    return vnet is not None and _public_in_vnet(g, vnet) != ()


def surely_rules(
    g: AuditGraph, node: str, direction: str
) -> tuple[tuple[SecurityRule, ...], ...] | None:
    """The rule lists of the NSGs at a node, in evaluation order, that
    :func:`surely_allowed` reads (each must surely allow: :func:`level_surely_allows`); None
    when it cannot say (not a NIC or subnet, an NSG that cannot be known)."""
    if not g.has_node(node) or g.kind(node) not in ("nic", "subnet"):
        return None
    found, why = levels(g, node, direction)
    if why:
        return None
    out = []
    for lv in found:
        got = nsg_rules(g, lv.nsg, direction)
        if got.unknown:
            return None
        out.append(got.rules)
    return tuple(out)


@lru_cache(maxsize=65536)
def level_surely_allows(
    rules: tuple[SecurityRule, ...],
    remote: Endpoint,
    direction: str,
    protocol: str,
    port: int,
    vnet_public: bool = False,
) -> bool:
    """One NSG's part of :func:`surely_allowed`; ``vnet_public``: the remote VirtualNetwork
    tag may hold internet addresses (:func:`vnet_may_hold_internet`)."""
    for r in rules:
        if not protocol_matches(r, protocol) or not _inside(r.ports, port):
            continue
        local, remote_side = (
            (r.destinations, r.sources) if direction == INBOUND else (r.sources, r.destinations)
        )
        local_asgs, remote_asgs = (
            (r.destination_asg_ids, r.source_asg_ids)
            if direction == INBOUND
            else (r.source_asg_ids, r.destination_asg_ids)
        )
        could, sure = _remote_match(remote_side, remote_asgs, remote, vnet_public)
        if not could:
            continue
        if r.access == "Deny":
            return False
        local_sure = not local_asgs and any(
            p.lower() in ("*", "any", "virtualnetwork") for p in local
        )
        if sure and local_sure and arith.covers(r.source_ports, ALL_PORTS):
            return True
    return False


def _remote_match(
    prefixes: tuple[str, ...], asgs: tuple[str, ...], remote: Endpoint, vnet_public: bool = False
) -> tuple[bool, bool]:
    """(could match some of the remote endpoint, surely matches all of it), in the
    evaluator's model of tags and the internet: with ``vnet_public``, the internet and
    service tags may hold part of a remote VirtualNetwork."""
    kind = remote.kind
    tag = remote.value.lower() if kind == "tag" else ""
    if kind == "tag" and tag == "internet":
        kind = "internet"
    could = bool(asgs) and kind not in ("internet", "tag")
    sure = False
    for p in prefixes:
        low = p.lower()
        if low in ("*", "any"):
            return True, True
        iv = parse_prefix(p)
        if kind == "internet":
            if low == "internet" or (iv is not None and arith.covers(iv, PUBLIC_V4)):
                return True, True
            could = (
                could
                or low == "virtualnetwork"
                or (iv is not None and bool(intersection(iv, INTERNET)))
            )
        elif kind == "tag" and tag == "virtualnetwork":
            if low == "virtualnetwork":
                return True, True
            could = could or iv is not None or (vnet_public and low != "azureloadbalancer")
        elif kind == "tag":
            if low == "internet" or low == tag or tag.startswith(low + "."):
                return True, True
            if iv is not None and arith.covers(iv, PUBLIC_V4):
                return True, True
            could = could or low.startswith(tag + ".")
        else:
            return True, False  # addresses: ask the evaluator
    return could, sure


# -- a side of a flow: its parts, and the rules' sets relative to them ------------------------
@dataclass(frozen=True)
class Side:
    """What one side of a question holds: its parts, the node symbols in play with the
    prefix that bounds each, and whether it is the internet as a whole."""

    parts: tuple[Part, ...]
    nodes: tuple[tuple[str, Intervals], ...] = ()
    internet: bool = False
    unknown: tuple[str, ...] = ()

    @property
    def iv(self) -> Intervals:
        out: Intervals = ()
        for p in self.parts:
            out = arith.union(out, p.iv)
        return out


def _side(g: AuditGraph, ep: Endpoint, ctx: Space) -> Side:
    """The addresses an endpoint stands for, in the context of an NSG's VNet."""
    if ep.kind == "internet" or (ep.kind == "tag" and ep.value.lower() == "internet"):
        return Side((Part(PUBLIC_V4), Part(PUBLIC_V6)), internet=True)
    if ep.kind == "ip":
        iv = parse_prefix(ep.value)
        if iv is None:
            return Side((), unknown=(f"{ep.value!r} is no IP address or CIDR prefix",))
        return Side((Part(iv),))
    if ep.kind == "tag":
        low = ep.value.lower()
        if low in ("*", "any"):
            return Side((Part(EVERY_ADDRESS),))
        if low == "virtualnetwork":
            if ctx.missing or not ctx.known:  # the tag holds more than the known spaces
                return Side((), unknown=ctx.missing or ("the VirtualNetwork space is empty",))
            return Side((Part(ctx.known),))
        if low == "azureloadbalancer":
            return Side((Part(AZURE_LB),))
        return Side((Part(atom=f"tag:{low}"),))
    if ep.kind == "node":
        return node_side(g, ep.value)
    return Side((), unknown=(f"unknown endpoint kind {ep.kind!r}",))


def node_side(g: AuditGraph, key: str) -> Side:
    """The addresses of a NIC, subnet or VNet. A subnet referenced but not in the estate
    stands for some IPv4 host behind it (every subnet has an IPv4 prefix; its NSG is known
    from the NSG's row)."""
    if g.has_node(key) and not g.seen(key) and g.kind(key) == "subnet":
        return Side((Part(ALL_V4),))
    if not g.has_node(key) or not g.seen(key):
        name = g.name(key) if g.has_node(key) else key
        return Side((), unknown=(f"{name} is not in the estate",))
    kind = g.kind(key)
    if kind == "nic":
        info = nic_info(g, key)
        if info.unknown:
            return Side((), unknown=info.unknown)
        if info.ips:
            return Side((Part(info.ips),))
        bound: Intervals = ()
        for s in info.subnets:
            bound = arith.union(bound, subnet_prefixes(g, s) if g.has_node(s) else ())
        atom = f"node:{key}"
        return Side((Part(atom=atom),), nodes=((atom, bound),))
    if kind == "subnet":
        iv = subnet_prefixes(g, key)
        if not iv:
            return Side((), unknown=(f"subnet {g.name(key)} has no address prefix in its row",))
        return Side((Part(iv),))
    if kind == "vnet":
        iv = prefixes_set(_address_space(g.row(key)) or ())
        if not iv:
            return Side((), unknown=(f"VNet {g.name(key)} has no address space in its row",))
        return Side((Part(iv),))
    return Side((), unknown=(f"{g.name(key)} is no NIC, subnet or VNet",))


def _rule_set(
    g: AuditGraph,
    prefixes: tuple[str, ...],
    asg_ids: tuple[str, ...],
    side: Side,
    ctx: Space,
    local: bool = False,
) -> tuple[Addrs, str | None]:
    """The addresses a rule's side names, relative to what the question's side holds; and
    why that cannot be decided, if it cannot. On the ``local`` side (the NIC or subnet the
    NSG protects) ``VirtualNetwork`` holds everything: the node lies in its VNet."""
    vnet_dependent = not local and any(p.lower() == "virtualnetwork" for p in prefixes)
    out, unsure = _prefix_set(prefixes, side, ctx if vnet_dependent else None, local)
    if asg_ids:
        members = _asg_members(g)
        for a in asg_ids:
            for nic in members.get(arm.key(a), ()):
                info = nic_info(g, nic)
                out = out | Addrs(info.ips, atoms=frozenset({f"node:{nic}"}))
    return out, unsure


@lru_cache(maxsize=8192)
def _prefix_set(
    prefixes: tuple[str, ...], side: Side, ctx: Space | None, local: bool
) -> tuple[Addrs, str | None]:
    """The addresses a rule's prefixes name, relative to the question's side (cached: every
    NSG repeats the same few prefixes against the same questions)."""
    out = Addrs()
    unsure: str | None = None
    probe = side.iv
    for p in prefixes:
        low = p.lower()
        if low in ("*", "any"):
            out = out | Addrs(EVERY_ADDRESS, wild=frozenset({"tag:", "node:"}))
        elif low == "internet":
            out = out | Addrs(INTERNET, wild=frozenset({"tag:"}))
        elif low == "virtualnetwork" and (local or ctx is None):
            out = out | Addrs(EVERY_ADDRESS, wild=frozenset({"node:"}))
        elif low == "virtualnetwork" and ctx is not None:
            nodes = frozenset(
                a for a, bound in side.nodes if bound and arith.covers(ctx.known, bound)
            )
            out = out | Addrs(ctx.known, atoms=nodes)
            # a peer whose space is not known may hold any address outside the known
            # space, public ones too (Space.doubt): the tag may then name the internet,
            # as may_name_internet says
            if ctx.missing and (
                difference(intersection(probe, ctx.doubt), ctx.known)
                or any(not arith.covers(ctx.known, b) for _, b in side.nodes)
            ):
                unsure = unsure or (
                    f"whether {side_name(side)} is in VirtualNetwork is unknown: "
                    + "; ".join(ctx.missing)
                )
            for a, bound in side.nodes:
                if not bound or (
                    not arith.covers(ctx.known, bound) and intersection(ctx.known, bound)
                ):
                    unsure = unsure or f"whether {a[5:]} is in VirtualNetwork is unknown"
        elif low == "azureloadbalancer":
            out = out | Addrs(AZURE_LB)
        elif (iv := parse_prefix(p)) is not None:
            atoms = set()
            for a, bound in side.nodes:
                if bound and arith.covers(iv, bound):
                    atoms.add(a)
                elif not bound or intersection(iv, bound):
                    unsure = unsure or (
                        f"whether prefix {p} holds {a[5:]} is unknown: its private IP is not "
                        "in the estate"
                    )
            wild = frozenset({"tag:"}) if arith.covers(iv, PUBLIC_V4) else frozenset()
            out = out | Addrs(iv, frozenset(atoms), wild)
        else:  # a service tag
            atoms = {f"tag:{low}"}
            for part in side.parts:
                if part.atom and part.atom.startswith(f"tag:{low}."):
                    atoms.add(part.atom)
            out = out | Addrs(atoms=frozenset(atoms))
            if not side.internet and intersection(probe, INTERNET):
                unsure = unsure or (
                    f"whether service tag {p} holds {side_name(side)} is unknown: its address "
                    "ranges are not in the estate"
                )
    return out, unsure


def side_name(side: Side) -> str:
    if side.internet:
        return "the internet"
    if side.parts and side.parts[0].atom:
        return side.parts[0].atom.split(":", 1)[1]
    return ", ".join(_span_text(lo, hi) for lo, hi in side.iv[:3])


def _span_text(lo: int, hi: int) -> str:
    """An interval of the address line as a reader writes it: an address, the one or two
    CIDR prefixes that cover exactly it, else first-last (IPv6 sits above IPv4 at ``V6``)."""
    base, make = (V6, ipaddress.IPv6Address) if lo >= V6 else (0, ipaddress.IPv4Address)
    first, last = make(lo - base), make(min(hi - base, (2**128 if base else 2**32) - 1))
    if first == last:
        return str(first)
    nets = list(itertools.islice(ipaddress.summarize_address_range(first, last), 3))
    return ", ".join(map(str, nets)) if len(nets) < 3 else f"{first}-{last}"


# -- one side of a flow: the NSGs protecting a node ----------------------------------------------
@dataclass(frozen=True)
class Level:
    nsg: str  # key
    level: str  # subnet | nic
    attached: str  # key


def levels(g: AuditGraph, node: str, direction: str) -> tuple[list[Level], list[str]]:
    """The NSGs a flow meets at a node, in evaluation order (inbound: subnet then NIC;
    outbound: NIC then subnet), and why some cannot be known."""
    result: tuple[list[Level], list[str]] = memoized(
        g, ("nsg_eval.levels", node, direction), lambda: _levels(g, node, direction)
    )
    return result


def _levels(g: AuditGraph, node: str, direction: str) -> tuple[list[Level], list[str]]:
    found: list[Level] = []
    why: list[str] = []
    kind = g.kind(node)
    if kind == "nic":
        nic_nsgs = [Level(n, "nic", node) for n, _ in g.into(node, "protects")]
        sub: list[Level] = []
        for s in nic_info(g, node).subnets:
            sub += [Level(n, "subnet", s) for n, _ in g.into(s, "protects")]
        found = sub + nic_nsgs if direction == INBOUND else nic_nsgs + sub
        if len(nic_info(g, node).subnets) > 1:
            names = ", ".join(sorted(g.name(s) for s in nic_info(g, node).subnets))
            why.append(
                f"NIC {g.name(node)} has IP configurations in several subnets ({names}), so "
                "which subnet NSG a flow meets is unknown"
            )
    elif kind == "subnet":
        found = [Level(n, "subnet", node) for n, _ in g.into(node, "protects")]
    # an NSG reference that cannot be read (unknown before apply): which NSG applies is unknown
    for at in (node, *(nic_info(g, node).subnets if kind == "nic" else ())):
        why += [
            f"{u}, so which NSG applies is unknown"
            for u in g.unreadable(at, "networkSecurityGroup")
        ]
    by_level: dict[tuple[str, str], list[str]] = {}
    for lv in found:
        by_level.setdefault((lv.level, lv.attached), []).append(lv.nsg)
    for (lvl, at), nsgs in by_level.items():
        if len(set(nsgs)) > 1:
            why.append(
                f"{lvl} {g.name(at)} is associated with several NSGs "
                f"({', '.join(sorted(g.name(n) for n in set(nsgs)))}), so which applies is unknown"
            )
    return found, why


def _norms(
    g: AuditGraph,
    rules: Sequence[SecurityRule],
    direction: str,
    local: Side,
    remote: Side,
    ctx: Space,
) -> list[Norm]:
    out = []
    for r in rules:
        mine = (r.destinations, r.destination_asg_ids)
        theirs = (r.sources, r.source_asg_ids)
        if direction == OUTBOUND:
            mine, theirs = theirs, mine
        loc, loc_u = _rule_set(g, *mine, local, ctx, local=True)
        rem, rem_u = _rule_set(g, *theirs, remote, ctx)
        out.append(
            Norm(
                r,
                loc,
                rem,
                f"NSG rule {r.name}: {loc_u}" if loc_u else None,
                f"NSG rule {r.name}: {rem_u}" if rem_u else None,
            )
        )
    return out


class _LevelRules:
    """One NSG's rules of one direction as every question that cannot tell them apart sees
    them, with the answers worked out so far. Its key (:func:`_level_rules`) is the rule
    list, the remote side, the ``VirtualNetwork`` space and the local side, the last
    replaced by the private space when no rule can tell it from that (no symbols, no
    public address): a 1,000-rule NSG protecting 4,000 private subnets is worked out once.
    A local cell enters an answer only through the rules' local sets that hold it, so
    answers are kept per elementary interval of their boundaries, not per cell."""

    __slots__ = (
        "_answers",
        "_static",
        "_tables",
        "local_cuts",
        "norms",
        "port_cuts",
        "remote_parts",
        "sport_cuts",
    )

    def __init__(self, norms: tuple[Norm, ...], remote_parts: tuple[Part, ...]) -> None:
        self.norms = norms
        self.remote_parts = remote_parts
        self.local_cuts = _cuts(n.local for n in norms)
        self.port_cuts = frozenset(
            c for n in norms for lo, hi in n.rule.ports for c in (lo, hi + 1)
        )
        self.sport_cuts = frozenset(
            c
            for n in norms
            for lo, hi in n.rule.source_ports
            for c in ((lo, hi + 1) if hi < MAX_PORT else (lo,))
        )
        self._static: dict[tuple[str, int, Cell | int], list[Norm]] = {}
        self._answers: dict[tuple[str, int, Cell | int, int], LevelAnswer] = {}
        self._tables: dict[tuple[str, int, Cell | int], tuple[list[int], list[LevelAnswer]]] = {}

    def cell_key(self, lc: Cell) -> Cell | int:
        """What of a local cell the rules can see: its symbol, or the run of addresses
        between two of their boundaries that holds it."""
        return lc if isinstance(lc, str) else bisect_right(self.local_cuts, lc[0])

    def _relevant(self, proto: str, sport: int, lc: Cell) -> list[Norm]:
        """The rules that match a protocol, source port and local cell, in Azure's order."""
        k = (proto, sport, self.cell_key(lc))
        got = self._static.get(k)
        if got is None:
            got = self._static[k] = [
                n
                for n in self.norms
                if protocol_matches(n.rule, proto)
                and _inside(n.rule.source_ports, sport)
                and (n.unsure is not None or contains(n.local, lc))
            ]
        return got

    def _decide(self, relevant: Sequence[Norm]) -> LevelAnswer:
        remote = [_cut(p, _cuts(n.remote for n in relevant)) for p in self.remote_parts]
        return _decide_relevant(relevant, remote)

    def answer(self, proto: str, sport: int, lc: Cell, port: int) -> LevelAnswer:
        """The NSG's answer for one destination port (:func:`decide`)."""
        k = (proto, sport, self.cell_key(lc), port)
        got = self._answers.get(k)
        if got is None:
            relevant = [n for n in self._relevant(proto, sport, lc) if _inside(n.rule.ports, port)]
            got = self._answers[k] = self._decide(relevant)
        return got

    def table(self, proto: str, sport: int, lc: Cell) -> tuple[list[int], list[LevelAnswer]]:
        """The NSG's answer for every destination port: the first port of each run and the
        run's answer. One sweep over the rules' port boundaries, sorted once, adding and
        dropping the rules it passes; a set of rules met before is not decided again."""
        k = (proto, sport, self.cell_key(lc))
        got = self._tables.get(k)
        if got is not None:
            return got
        rules = self._relevant(proto, sport, lc)
        adds: dict[int, list[int]] = {}
        drops: dict[int, list[int]] = {}
        for i, n in enumerate(rules):
            for lo, hi in n.rule.ports:
                adds.setdefault(lo, []).append(i)
                if hi < MAX_PORT:
                    drops.setdefault(hi + 1, []).append(i)
        active: list[int] = []  # indices into rules, in Azure's order
        seen: dict[tuple[int, ...], LevelAnswer] = {}
        starts: list[int] = []
        answers: list[LevelAnswer] = []
        for p in sorted({0, *adds, *drops}):
            for i in drops.get(p, ()):
                active.remove(i)
            for i in adds.get(p, ()):
                insort(active, i)
            sig = tuple(active)
            ans = seen.get(sig)
            if ans is None:
                ans = seen[sig] = self._decide([rules[i] for i in sig])
            if not answers or answers[-1] is not ans:
                starts.append(p)
                answers.append(ans)
        got = self._tables[k] = (starts, answers)
        return got


@dataclass(frozen=True)
class _Prepared:
    """A side's NSGs with their rules as the question sees them, and the local cells."""

    levels: tuple[tuple[Level, _LevelRules], ...]
    local_cells: tuple[Cell, ...]
    sports: tuple[int, ...] = (0,)
    unknown: tuple[str, ...] = ()


def _prepare(g: AuditGraph, node: str, remote_ep: Endpoint, direction: str) -> _Prepared:
    def compute() -> _Prepared:
        found, why = levels(g, node, direction)
        vnet = vnet_of(g, node)
        ctx = virtual_network(g, vnet)
        return _build(g, found, why, ctx, vnet, node_side(g, node), remote_ep, direction)

    result: _Prepared = memoized(g, ("nsg_eval.prepare", node, remote_ep, direction), compute)
    return result


# An NSG attached to nothing sits in no VNet: its VirtualNetwork is taken as the private space.
UNATTACHED = "(attached to nothing)"


def _prepare_alone(g: AuditGraph, nsg: str, remote_ep: Endpoint, direction: str) -> _Prepared:
    """One NSG evaluated on its own, for any host behind it."""

    def compute() -> _Prepared:
        found = [Level(nsg, "nsg", nsg)]
        local = Side((Part(EVERY_ADDRESS),))
        return _build(g, found, [], Space(PRIVATE), UNATTACHED, local, remote_ep, direction)

    result: _Prepared = memoized(g, ("nsg_eval.alone", nsg, remote_ep, direction), compute)
    return result


PRIVATE_SIDE = Side((Part(PRIVATE),))


def _plain_private(side: Side) -> bool:
    """Whether no rule can tell the side from the private space: private addresses only,
    no symbols. A rule's local set is then the same for every such side (``_prefix_set``
    reads a local side only for its symbols and whether it holds public addresses)."""
    return (
        not side.unknown
        and not side.nodes
        and not side.internet
        and all(p.atom is None for p in side.parts)
        and not intersection(side.iv, INTERNET)
    )


def _level_rules(
    g: AuditGraph,
    rules: tuple[SecurityRule, ...],
    direction: str,
    local: Side,
    remote: Side,
    ctx: Space,
    ctx_key: str | None,
) -> _LevelRules:
    """An NSG's rules as a question sees them, shared by every question with the same rules,
    direction, local side (or stand-in), remote side and VNet (``ctx_key`` names the VNet
    whose ``VirtualNetwork`` space ``ctx`` is)."""
    if _plain_private(local):
        local = PRIVATE_SIDE

    def compute() -> _LevelRules:
        norms = tuple(_norms(g, rules, direction, local, remote, ctx))
        return _LevelRules(norms, remote.parts)

    result: _LevelRules = memoized(
        g, ("nsg_eval.level_rules", rules, direction, local, remote, ctx_key), compute
    )
    return result


def _build(
    g: AuditGraph,
    found: list[Level],
    why: list[str],
    ctx: Space,
    ctx_key: str | None,
    local: Side,
    remote_ep: Endpoint,
    direction: str,
) -> _Prepared:
    """A question's NSGs with their rules as it sees them, and its local cells."""
    remote = _side(g, remote_ep, ctx)
    unknown = [*why, *local.unknown, *remote.unknown]
    prepared = []
    for lv in found:
        got = nsg_rules(g, lv.nsg, direction)
        if got.unknown:
            unknown.extend(got.unknown)
            continue
        prepared.append((lv, _level_rules(g, got.rules, direction, local, remote, ctx, ctx_key)))
    if unknown:
        return _Prepared((), (), (0,), tuple(dict.fromkeys(unknown)))
    if len(prepared) == 1:
        cuts = prepared[0][1].local_cuts
        sports = sorted({0, *prepared[0][1].sport_cuts})
    else:
        cuts = sorted({c for _, lr in prepared for c in lr.local_cuts})
        sports = sorted({0}.union(*(lr.sport_cuts for _, lr in prepared)))
    lcells = tuple(c for p in local.parts for c in _cut(p, cuts))
    return _Prepared(tuple(prepared), lcells, tuple(sports))


StepFields = tuple[str, str, int, bool, tuple[tuple[str, int], ...]]


def _fields(ans: LevelAnswer) -> StepFields:
    """What a Step takes from a level's answer (access, rule, priority, default, also)."""
    rule = ans.rules[0] if ans.rules else None
    return (
        "Allow" if ans.access == "Allow" else "Deny",
        rule.name if rule else "(no rule matches: denied)",
        rule.priority if rule else 65536,
        rule.default if rule else True,
        tuple((r.name, r.priority) for r in ans.rules[1:]),
    )


def _make_step(g: AuditGraph, lv: Level, direction: str, f: StepFields) -> Step:
    return Step(
        nsg=g.display_id(lv.nsg),
        level=lv.level,
        attached_to=g.display_id(lv.attached),
        direction=direction,
        rule=f[1],
        priority=f[2],
        access=f[0],
        default=f[3],
        also=f[4],
    )


def _step(g: AuditGraph, lv: Level, direction: str, ans: LevelAnswer) -> Step:
    return _make_step(g, lv, direction, _fields(ans))


def _verdict(
    n_levels: int,
    n_cells: int,
    sports: Sequence[int],
    protocols: Sequence[str],
    answer: Callable[[int, str, int, int], LevelAnswer],
) -> tuple[str, list[tuple[int, LevelAnswer]], list[str]]:
    """The NSGs at one node, in order, for every protocol, local cell (by index) and run of
    source ports: allowed when one packet passes them all. ``answer(level, protocol, source
    port, cell)`` is one NSG's answer. (access, the answers of the first allowed or denied
    packet by level, why unknown)."""
    denied: list[tuple[int, LevelAnswer]] | None = None
    unknown: list[str] = []
    for proto in protocols:
        for sport in sports:
            for ci in range(n_cells):
                steps: list[tuple[int, LevelAnswer]] = []
                outcome = "Allow"
                for li in range(n_levels):
                    ans = answer(li, proto, sport, ci)
                    if ans.access == "Unknown":
                        outcome = "Unknown"
                        unknown.append(ans.reason or "undecidable")
                        break
                    steps.append((li, ans))
                    if ans.access == "Deny":
                        outcome = "Deny"
                        break
                if outcome == "Allow":
                    return "Allow", steps, []
                if outcome == "Deny" and denied is None:
                    denied = steps
    if unknown:
        return "Unknown", denied or [], unknown
    return "Deny", denied or [], []


def _side_verdict(
    g: AuditGraph, prep: _Prepared, direction: str, protocol: str, port: int
) -> Verdict:
    """The NSGs at one node, in order, for every protocol ``protocol`` stands for, every
    local cell and every run of source ports: allowed when one packet passes them all."""
    if prep.unknown:
        return Verdict("Unknown", (), prep.unknown)
    protocols = PROTOCOLS if protocol == "*" else (protocol,)
    lcs = prep.local_cells
    lrs = [lr for _, lr in prep.levels]
    access, steps, unknown = _verdict(
        len(lrs),
        len(lcs),
        prep.sports,
        protocols,
        lambda li, proto, sport, ci: lrs[li].answer(proto, sport, lcs[ci], port),
    )
    made = tuple(_step(g, prep.levels[li][0], direction, ans) for li, ans in steps)
    if access == "Unknown":
        return Verdict("Unknown", made, tuple(dict.fromkeys(unknown)))
    return Verdict(access, made)


def _normal_protocol(protocol: str) -> str:
    low = protocol.strip().lower()
    for p in ("*", *PROTOCOLS):
        if p.lower() == low:
            return p
    if low in ("any",):
        return "*"
    raise ValueError(f"protocol {protocol!r} is not one of *, {', '.join(PROTOCOLS)}")


def _local(g: AuditGraph, ep: Endpoint) -> str | None:
    """The node an endpoint is, when its NSGs apply (a NIC or subnet in the estate)."""
    if ep.kind == "node" and g.has_node(ep.value) and g.kind(ep.value) in ("nic", "subnet"):
        return ep.value
    return None


def flow(g: AuditGraph, src: Endpoint, dst: Endpoint, protocol: str, port: int) -> Verdict:
    """Outbound at src's NIC then subnet NSG (when src is a node in the estate), inbound at
    dst's subnet then NIC NSG (when dst is a NIC or subnet node)."""
    proto = _normal_protocol(protocol)

    def compute() -> Verdict:
        steps: list[Step] = []
        reasons: list[str] = []
        for node, remote, direction in (
            (_local(g, src), dst, OUTBOUND),
            (_local(g, dst), src, INBOUND),
        ):
            if node is None:
                continue
            v = _side_verdict(g, _prepare(g, node, remote, direction), direction, proto, port)
            steps.extend(v.steps)
            if v.access == "Deny":
                return Verdict("Deny", tuple(steps))
            if v.access == "Unknown":
                reasons.extend(v.reasons)
        for ep in (src, dst):
            if ep.kind == "node" and not g.has_node(ep.value):
                reasons.append(f"{ep.value} is not in the estate")
        if reasons:
            return Verdict("Unknown", tuple(steps), tuple(dict.fromkeys(reasons)))
        return Verdict("Allow", tuple(steps))

    result: Verdict = memoized(g, ("nsg_eval.flow", src, dst, proto, port), compute)
    return result


def open_ports(g: AuditGraph, src: Endpoint, dst_key: str, protocol: str) -> OpenPorts:
    """Which destination ports of a NIC/subnet node are open inbound from src (both NSG
    levels combined), as sorted intervals, each with the Verdict steps that admit it;
    Unknown reasons when undecidable. Linear in the rules (interval arithmetic), not a loop
    over 65536 ports."""
    return _open_at(g, arm.key(dst_key), src, INBOUND, protocol)


def open_ports_out(g: AuditGraph, src_key: str, dst: Endpoint, protocol: str) -> OpenPorts:
    """Which destination ports are open outbound from a NIC/subnet node to dst (NIC then
    subnet NSG), as :func:`open_ports` answers inbound."""
    return _open_at(g, arm.key(src_key), dst, OUTBOUND, protocol)


def nsg_open_ports(
    g: AuditGraph, nsg_key: str, remote: Endpoint, protocol: str, direction: str = INBOUND
) -> OpenPorts:
    """Which ports one NSG on its own opens to (inbound: from) ``remote`` for some host
    behind it — for an NSG attached to nothing. Its ``VirtualNetwork`` is taken as the
    private address space (it sits in no VNet)."""
    nsg = arm.key(nsg_key)
    proto = _normal_protocol(protocol)

    def compute() -> OpenPorts:
        return _open(g, _prepare_alone(g, nsg, remote, direction), direction, proto)

    result: OpenPorts = memoized(g, ("nsg_eval.alone_open", nsg, remote, direction, proto), compute)
    return result


def _open_at(
    g: AuditGraph, node: str, remote: Endpoint, direction: str, protocol: str
) -> OpenPorts:
    """Made on each call from the shared shape (``_open_shape``), not kept per node: a
    1,000-rule NSG leaves ~700 open runs, and keeping each node's own Steps for them held
    ~120 KB per subnet it protects."""
    proto = _normal_protocol(protocol)
    if not g.has_node(node):
        return OpenPorts((), (), (f"{node} is not in the estate",), ALL_PORTS)
    if g.kind(node) not in ("nic", "subnet"):
        return OpenPorts((), (), (f"{g.name(node)} is no NIC or subnet",), ALL_PORTS)
    return _open(g, _prepare(g, node, remote, direction), direction, proto)


@dataclass(frozen=True)
class _OpenShape:
    """The ports a prepared question leaves open, with each open run's steps as
    :func:`_fields` per level: the same for every node with the same NSGs and local cells
    as their rules see them; a node's own Steps are made from it (:func:`_open`)."""

    intervals: Intervals
    kinds: tuple[tuple[StepFields, ...], ...]  # the distinct steps of the open runs
    segments: tuple[tuple[int, int, int], ...]  # (first port, last port, index into kinds)
    unknown: tuple[str, ...]
    undecided: Intervals


def _open_shape(g: AuditGraph, prep: _Prepared, proto: str) -> _OpenShape:
    lrs = tuple(lr for _, lr in prep.levels)
    firsts: dict[tuple[Cell | int, ...], Cell] = {}  # cells the rules cannot tell apart: one
    for lc in prep.local_cells:
        firsts.setdefault(tuple(lr.cell_key(lc) for lr in lrs), lc)
    result: _OpenShape = memoized(
        g,
        ("nsg_eval.open_shape", lrs, tuple(firsts), proto),
        lambda: _sweep(lrs, tuple(firsts.values()), prep.sports, proto),
    )
    return result


def _sweep(
    lrs: tuple[_LevelRules, ...], lcs: tuple[Cell, ...], sports: Sequence[int], proto: str
) -> _OpenShape:
    """One evaluation per run of ports every rule treats alike, each NSG's answers read
    from its port table (:meth:`_LevelRules.table`) as the runs go up."""
    protocols = PROTOCOLS if proto == "*" else (proto,)
    tables = {
        (li, p, sp, ci): lr.table(p, sp, lc)
        for li, lr in enumerate(lrs)
        for p in protocols
        for sp in sports
        for ci, lc in enumerate(lcs)
    }
    at = dict.fromkeys(tables, 0)
    cuts = {0, MAX_PORT + 1}.union(*(lr.port_cuts for lr in lrs))
    ordered = sorted(cuts)
    segs: list[tuple[int, int, tuple[StepFields, ...]]] = []
    undecided: list[tuple[int, int]] = []
    reasons: list[str] = []
    for lo, nxt in pairwise(ordered):
        for k, (starts, _) in tables.items():
            i = at[k]
            while i + 1 < len(starts) and starts[i + 1] <= lo:
                i += 1
            at[k] = i
        access, steps, unknown = _verdict(
            len(lrs),
            len(lcs),
            sports,
            protocols,
            lambda li, p, sp, ci: tables[li, p, sp, ci][1][at[li, p, sp, ci]],
        )
        if access == "Allow":
            fields = tuple(_fields(ans) for _, ans in steps)
            if segs and segs[-1][1] == lo - 1 and segs[-1][2] == fields:
                segs[-1] = (segs[-1][0], nxt - 1, fields)
            else:
                segs.append((lo, nxt - 1, fields))
        elif access == "Unknown":
            undecided.append((lo, nxt - 1))
            reasons.extend(dict.fromkeys(unknown))
    intervals = arith.coalesce((lo, hi) for lo, hi, _ in segs)
    kinds = {f: i for i, f in enumerate(dict.fromkeys(f for _, _, f in segs))}
    return _OpenShape(
        intervals,
        tuple(kinds),
        tuple((lo, hi, kinds[f]) for lo, hi, f in segs),
        tuple(dict.fromkeys(reasons)),
        arith.coalesce(undecided),
    )


def _open(g: AuditGraph, prep: _Prepared, direction: str, proto: str) -> OpenPorts:
    """The ports a prepared question leaves open, from its shape (:func:`_open_shape`) with
    the node's own Steps."""
    if prep.unknown:
        return OpenPorts((), (), prep.unknown, ALL_PORTS)
    shape = _open_shape(g, prep, proto)
    made = [
        tuple(_make_step(g, prep.levels[li][0], direction, f) for li, f in enumerate(fields))
        for fields in shape.kinds
    ]
    segs = tuple((lo, hi, made[k]) for lo, hi, k in shape.segments)
    return OpenPorts(shape.intervals, segs, shape.unknown, shape.undecided)


__all__ = [
    "Endpoint",
    "OpenPorts",
    "Step",
    "Verdict",
    "flow",
    "nsg_open_ports",
    "open_ports",
    "open_ports_out",
]
