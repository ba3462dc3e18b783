"""The NSG interval arithmetic against brute force: interval unions against sets of
integers, and "the internet" against the address blocks it is made of. (The evaluator's
flows and open ports are checked against a reference evaluator in test_nsg_eval.py.)"""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from auditor.embedded import merge
from auditor.relations.nsg import PUBLIC_V4, covers, is_internet, union

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
