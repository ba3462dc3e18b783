"""NSG address arithmetic: interval unions, the internet, and how much of it a prefix holds.

The NSG evaluator (``nsg_eval``) decides flows; this module holds the arithmetic it and
the rules share. Coverage decides, not spelling:

* A source counts for the internet addresses it covers. ``*``, ``Any`` and ``Internet``
  cover them all; so do ``0.0.0.0/0``, ``::/0``, ``2000::/3``, ``0.0.0.0/1`` with
  ``128.0.0.0/1``, or any prefixes whose union holds every public address. Private,
  shared, loopback, link-local, documentation, multicast and reserved ranges need not be
  covered: Azure's ``Internet`` tag is the publicly routable space outside the VNets.
  ``VirtualNetwork`` and ``AzureLoadBalancer`` hold no internet address; another service
  tag holds some but is taken never to fill the rest of the internet. ``0.0.0.0`` alone is
  read as any IPv4 address, as checkov reads it (the riskier of its two readings).
* Port and address sets are sorted interval unions, merged in linear passes.

"Every TCP port" allows for a few exceptions (:data:`FEW_CLOSED`): a Deny of SSH and RDP
before an Allow of everything still opens every other service.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from ..embedded import MAX_PORT

Intervals = tuple[tuple[int, int], ...]
FEW_CLOSED = 1024  # "every port but a few": at most this many of 1-65535 closed
EVERY_PORT: Intervals = ((1, MAX_PORT),)  # port 0 carries no TCP service
ALL_PORTS: Intervals = ((0, MAX_PORT),)


# -- address arithmetic -----------------------------------------------------------------------
def coalesce(ranges: Iterable[tuple[int, int]]) -> Intervals:
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
    return coalesce(merged)


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
