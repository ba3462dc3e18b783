"""The NSG interval arithmetic against brute force: random small rule sets, every port
and every address block checked one by one, the way a reader would do it by hand."""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.embedded import MAX_PORT, SecurityRule, merge
from auditor.relations.nsg import (
    PUBLIC_V4,
    _defaults,
    covers,
    decide,
    decisions,
    is_internet,
    union,
)

# -- interval unions against sets of integers -------------------------------------------------
intervals = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 8)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=6,
).map(merge)


def points(iv: tuple[tuple[int, int], ...]) -> set[int]:
    return {p for lo, hi in iv for p in range(lo, hi + 1)}


@given(intervals, intervals)
def test_union_and_covers_agree_with_sets(
    a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]
) -> None:
    u = union(a, b)
    assert points(u) == points(a) | points(b)
    assert all(lo <= hi for lo, hi in u)
    assert all(u[i][1] + 1 < u[i + 1][0] for i in range(len(u) - 1))  # sorted, disjoint
    assert covers(a, b) == (points(b) <= points(a))


# -- "the internet" against the /6 blocks it is made of ---------------------------------------
def block_of(addr: int) -> int:
    return addr >> 26


# /6 blocks that hold public addresses: all but 224.0.0.0/4 and 240.0.0.0/4
PUBLIC_BLOCKS = {
    b for b in range(64) if any(lo < (b + 1) << 26 and hi >= b << 26 for lo, hi in PUBLIC_V4)
}

prefixes = st.lists(
    st.integers(0, 6).flatmap(
        lambda n: st.integers(0, 2**n - 1).map(
            lambda i: str(ipaddress.IPv4Network((i << (32 - n), n)))
        )
    ),
    max_size=12,
)


def blocks(prefix: str) -> set[int]:
    net = ipaddress.IPv4Network(prefix)
    return set(range(block_of(int(net.network_address)), block_of(int(net.broadcast_address)) + 1))


def test_the_public_blocks_are_the_unicast_ones() -> None:
    assert set(range(56)) == PUBLIC_BLOCKS


@given(prefixes)
def test_a_prefix_list_is_the_internet_when_its_blocks_cover_every_public_one(
    found: list[str],
) -> None:
    union_blocks = set().union(*(blocks(p) for p in found)) if found else set()
    assert is_internet(found) == (union_blocks >= PUBLIC_BLOCKS)


# -- port decisions against first match, port by port ---------------------------------------
# Sources: prefixes of /0../4 (whole /4 blocks) and the tags, so each source is a set of
# "atoms": the 14 /4 blocks that hold public IPv4 addresses, and "v6" for the IPv6 internet.
V4_ATOMS = set(range(14))
SOURCES = ["Internet", "*", "VirtualNetwork", "AzureCloud", "::/0"] + [
    str(ipaddress.IPv4Network((i << (32 - n), n))) for n in range(5) for i in range(2**n)
]
LIMIT = 64  # ranges end below 60, or at 65535: ports 60..65535 all behave as port 63


def atoms(source: str) -> set[object]:
    if source in ("Internet", "*"):
        return {*V4_ATOMS, "v6"}
    if source == "::/0":
        return {"v6"}
    if source in ("VirtualNetwork", "AzureLoadBalancer", "AzureCloud"):
        return set()
    net = ipaddress.IPv4Network(source)
    first, last = int(net.network_address) >> 28, int(net.broadcast_address) >> 28
    return {a for a in range(first, last + 1) if a in V4_ATOMS}


port_spec = st.one_of(
    st.just("*"),
    st.integers(0, 59).map(str),
    st.tuples(st.integers(0, 49), st.integers(0, 10)).map(lambda t: f"{t[0]}-{t[0] + t[1]}"),
    st.integers(0, 59).map(lambda p: f"{p}-{MAX_PORT}"),
)


@dataclass(frozen=True)
class Spec:
    access: str
    sources: tuple[str, ...]
    ports: tuple[str, ...]
    narrow: bool  # a Deny aimed at one host decides nothing
    protocol: str


specs = st.builds(
    Spec,
    st.sampled_from(["Allow", "Deny"]),
    st.lists(st.sampled_from(SOURCES), min_size=1, max_size=3).map(tuple),
    st.lists(port_spec, min_size=1, max_size=3).map(tuple),
    st.booleans(),
    st.sampled_from(["Tcp", "*", "Udp"]),
)


def to_rule(i: int, s: Spec) -> SecurityRule:
    ports = []
    for p in s.ports:
        lo, _, hi = p.partition("-")
        ports.append((0, MAX_PORT) if p == "*" else (int(lo), int(hi or lo)))
    return SecurityRule(
        name=f"r{i}",
        priority=100 + 10 * i,
        direction="Inbound",
        access=s.access,
        protocol=s.protocol,
        sources=s.sources,
        source_asgs=False,
        source_ports=((0, MAX_PORT),),
        destinations=("10.0.0.4",) if s.narrow else ("*",),
        destination_asgs=False,
        ports=merge(ports),
    )


def brute(rules: list[SecurityRule], port: int) -> tuple[bool, tuple[str, ...]]:
    """Per IP family: walk the rules that match the port; an Allow that is the first match
    for some address is an opener; the port is open when the openers' sources hold every
    address of the family. Closed: the rule after which every address is decided."""
    families = ({a for a in V4_ATOMS}, {"v6"})
    opened_by: list[list[str]] = []
    closers: list[int] = []
    for whole in families:
        decided: set[object] = set()
        opened: set[object] = set()
        openers: list[str] = []
        closer = None
        for i, r in enumerate(rules):
            if r.protocol not in ("Tcp", "*") or not any(lo <= port <= hi for lo, hi in r.ports):
                continue
            if r.access == "Deny" and r.destinations != ("*",):
                continue
            src = set().union(*(atoms(s) for s in r.sources)) & whole
            if not src:
                continue
            if r.access == "Allow" and src - decided:
                opened |= src
                openers.append(r.name)
            decided |= src
            if decided >= whole:
                closer = i
                break
        if openers and opened >= whole:
            opened_by.append(openers)
        if closer is not None:
            closers.append(closer)
    if opened_by:
        names = {n for o in opened_by for n in o}
        return True, tuple(r.name for r in rules if r.name in names)
    return False, (rules[max(closers)].name,) if closers else ()


@settings(max_examples=300, deadline=None)
@given(st.lists(specs, max_size=6))
def test_port_decisions_agree_with_first_match_port_by_port(found: list[Spec]) -> None:
    rules = [to_rule(i, s) for i, s in enumerate(found)] + _defaults()
    result = decisions(rules)
    assert result[0].lo == 0 and result[-1].hi == MAX_PORT
    assert all(a.hi + 1 == b.lo for a, b in itertools.pairwise(result))
    assert all((a.open, a.rules) != (b.open, b.rules) for a, b in itertools.pairwise(result))
    for port in [*range(LIMIT), 1000, MAX_PORT]:
        d = decide(result, port)
        assert (d.open, tuple(r.name for r in d.rules)) == brute(rules, min(port, LIMIT - 1))
