"""Peering: which VNets a VNet's clients reach, and each peering entry as Azure records it.

Peering is one-directional per VNet (each side holds its own entry) and not transitive:
a VNet reaches only the VNets it is directly peered with, in state Connected, with VNet
access allowed.

Beyond state, the relations here answer what a Connected peering still fails to carry:
gateway transit (``gateway_transit``), overlapping address spaces (``peered_overlaps``),
VNet access disabled (``vnet_access``) and subnets a subnet-level peering leaves out
(``subnet_peering_gaps``). :func:`reaches` is the one answer to "does traffic from VNet a
reach VNet b over direct peering" — Connected, VNet access allowed on both entries, and for
a subnet-level peering the subnets — for other domains (DNS, reach) to adopt;
:func:`connected_peers` keeps its older, looser meaning (either entry Connected and allowed,
whole VNets) for the DNS relations that use it today.

Every question is answered from the VNet's own entries, the remote VNet's entry back (one
dictionary lookup, ``g.edge``) and the two rows: linear in the number of peering entries, so
a hub with thousands of spokes costs one pass over its entries (``bench/hub_spoke.py``). An
own entry that cannot be read is an unknown item in every relation here.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import TYPE_CHECKING, Any

from .. import arm
from ..collections import BY_NAME, GATEWAYS
from ..embedded import PEERINGS
from .base import Item, Unknown, by_id, memoized, relation
from .hops import unreadable_items

if TYPE_CHECKING:
    from ..graph import AuditGraph


def connected_peers(g: AuditGraph, vnet: str) -> list[tuple[str, str]]:
    """VNets whose clients reach resources in ``vnet``: the VNet itself and every VNet
    peered with it in state Connected with VNet access allowed (one hop). → (vnet, why),
    sorted by key. Held in one estate-wide table, not per VNet: the DNS relations and the
    NSG checks of other resource types ask the same VNets again (a per-node answer is
    dropped between types)."""
    table: dict[str, list[tuple[str, str]]] = memoized(g, ("connected_peers",), dict)
    found = table.get(vnet)
    if found is None:
        found = table[vnet] = _connected_peers(g, vnet)
    return found


def _connected_peers(g: AuditGraph, vnet: str) -> list[tuple[str, str]]:
    vnet_name = g.name(vnet)
    found: dict[str, str] = {vnet: f"{vnet_name} hosts the endpoint"}
    for other, attrs in [*g.out(vnet, "peers_with"), *g.into(vnet, "peers_with")]:
        if other == vnet or other in found:
            continue
        state = attrs.get("state", "")
        if state != "Connected" and str(state).lower() != "connected":
            continue
        if attrs.get("allow_vnet_access") is False:
            continue
        found[other] = f"{g.name(other)} is peered with {vnet_name} (Connected)"
    return sorted(found.items())


@relation("peerings", "vnet", fields=("remote_seen", "reverse", "effect"), edge="peers_with")
def peerings(g: AuditGraph, k: str) -> list[Item]:
    """The VNet's own peering entries (edge: state, sync, flags; extra: remote_seen and
    reverse — whether the remote VNet has a peering back, None when it is not seen — and
    effect: what the entry's state and sync level do to traffic, in a sentence).

    An entry that cannot be read is an item marked unknown; so is a peering whose remote
    VNet has an entry that cannot be read and may be the one back."""
    items = []
    for remote, attrs in g.out(k, "peers_with"):
        seen = g.seen(remote)
        back = _unreadable_back(g, k, remote) if seen else []
        items.append(
            Item(
                key=str(attrs.get("id") or g.display_id(remote)),
                node=remote,
                edge=dict(attrs),
                extra={
                    "remote_seen": seen,
                    "reverse": g.has_edge(remote, k, "peers_with") if seen else None,
                    "effect": _effect(g, k, remote, attrs, seen),
                },
                unknown=f"whether {g.name(remote)} peers back is unknown: {back[0]}"
                if back
                else None,
            )
        )
    broken = unreadable_items(g, k, (PEERINGS.field,), own=True)
    return by_id(items) + broken


def _effect(g: AuditGraph, k: str, remote: str, attrs: dict[str, Any], seen: bool) -> str:
    """What the entry's state and sync level do to traffic, stating only what they show."""
    state = str(attrs.get("state") or "")
    if seen and not g.has_edge(remote, k, "peers_with"):
        return (
            f"{g.name(remote)} has no peering back to {g.name(k)}: no traffic flows between "
            "them until both sides have an entry."
        )
    if state.lower() != "connected":
        return f"No traffic flows between the two VNets while the peering is {state}."
    sync = str(attrs.get("sync") or "FullyInSync")
    if sync.lower() != "fullyinsync":
        return (
            f"Traffic flows, but the peering is {sync}: address ranges added to a VNet since "
            "the last sync are not routed across it."
        )
    return "Traffic flows between the two VNets."


def _unreadable_back(g: AuditGraph, vnet: str, remote: str) -> list[str]:
    """The remote VNet's unreadable peering entries that may point back at ``vnet``: those
    naming it, and those whose remote VNet could not be read."""
    if g.has_edge(remote, vnet, "peers_with"):
        return []
    return [
        str(u)
        for u in g.unreadable(vnet, PEERINGS.field) + g.unplaced(PEERINGS.field)
        if arm.key(u.owner_id) == remote
    ]


# -- beyond state: what a Connected peering still fails to carry ----------------------------
# Each question below is asked of one VNet's own entries and answered from that entry, the
# remote VNet's entry back (one dictionary lookup, never a walk of a hub's peerings) and the
# two VNets' rows: linear in the number of peering entries.

Verdict = bool | Unknown


def entry(g: AuditGraph, a: str, b: str) -> dict[str, Any] | None:
    """VNet ``a``'s readable peering entry to VNet ``b`` (the peers_with edge), or None."""
    return g.edge(a, b, "peers_with")


def _own_unreadable(g: AuditGraph, vnet: str, remote: str) -> list[str]:
    """``vnet``'s own unreadable peering entries that may be the one to ``remote``."""
    return [
        str(u)
        for u in g.unreadable(vnet, PEERINGS.field) + g.unplaced(PEERINGS.field)
        if arm.key(u.owner_id) == vnet
        and (u in g.unreadable(remote, PEERINGS.field) or u in g.unplaced(PEERINGS.field))
    ]


def reaches(
    g: AuditGraph,
    a: str,
    b: str,
    src_subnet: str | None = None,
    dst_subnet: str | None = None,
) -> tuple[Verdict, str]:
    """Does traffic from VNet ``a`` (from ``src_subnet`` if given) reach VNet ``b`` (its
    ``dst_subnet`` if given) over direct peering? → (True | False | Unknown, why).

    True when ``a`` is ``b``, or when ``a``'s entry to ``b`` is Connected with
    allowVirtualNetworkAccess not false, ``b``'s entry back does not disable VNet access
    either (Azure then drops the peered space from the VirtualNetwork tag: the default
    rules no longer admit the traffic), and, for a subnet-level peering
    (``peerCompleteVnets: false``), both subnets are among the peered ones. Peering is not
    transitive: a VNet reached only through a hub is not reached. Unknown when an entry
    that decides it cannot be read, or the subnets peered cannot be told."""
    if a == b:
        return True, f"{g.name(a)} is the same VNet"
    if not g.seen(a):
        why = f"{g.name(a)} is not in the estate: its peering entries are unknown"
        return Unknown.of(why), why
    fwd = entry(g, a, b)
    if fwd is None:
        broken = _own_unreadable(g, a, b)
        if broken:
            return Unknown.of(broken[0]), broken[0]
        return False, f"{g.name(a)} has no peering to {g.name(b)}"
    label = f"{g.name(a)}'s peering {fwd.get('name')} to {g.name(b)}"
    if str(fwd.get("state") or "").lower() != "connected":
        return False, f"{label} is {fwd.get('state')}"
    if fwd.get("allow_vnet_access") is False:
        return False, f"{label} sets allowVirtualNetworkAccess false"
    back = entry(g, b, a) if g.seen(b) else None
    if back is None and g.seen(b) and (hidden := _unreadable_back(g, a, b)):
        return Unknown.of(hidden[0]), hidden[0]  # the entry back may disable VNet access
    if back is not None and back.get("allow_vnet_access") is False:
        return (
            False,
            f"{g.name(b)}'s peering {back.get('name')} back sets allowVirtualNetworkAccess false",
        )
    if fwd.get("peer_complete_vnets") is False:
        for subnet, names_key, space_key in (
            (src_subnet, "local_subnet_names", "local_address_space"),
            (dst_subnet, "remote_subnet_names", "remote_address_space"),
        ):
            if subnet is None:
                continue
            inside = _subnet_peered(g, subnet, fwd.get(names_key), fwd.get(space_key))
            if isinstance(inside, Unknown):
                return inside, inside.reasons[0]
            if not inside:
                return False, f"{label} is subnet-level and leaves {g.name(subnet)} out"
    return True, f"{label} is Connected"


def _prefixes(value: Any) -> list[str]:
    return [str(p) for p in value] if isinstance(value, list | tuple) else []


def vnet_space(g: AuditGraph, vnet: str) -> list[str] | Unknown:
    """The VNet row's address prefixes (IPv4 and IPv6); Unknown when one cannot be read."""
    props = g.row(vnet).get("properties")
    space = props.get("addressSpace") if isinstance(props, dict) else None
    found = space.get("addressPrefixes") if isinstance(space, dict) else None
    if not isinstance(found, list) or not _parsed(found):
        return Unknown.of(f"{g.name(vnet)}'s address space cannot be read")
    return [str(p).strip() for p in found]


def subnet_space(g: AuditGraph, subnet: str) -> list[str] | Unknown:
    """A subnet's address prefixes (addressPrefix and addressPrefixes)."""
    props = g.row(subnet).get("properties")
    props = props if isinstance(props, dict) else {}
    found = [props["addressPrefix"]] if props.get("addressPrefix") else []
    found += _prefixes(props.get("addressPrefixes"))
    if not found or not _parsed(found):
        return Unknown.of(f"{g.name(subnet)}'s address prefix cannot be read")
    return [str(p).strip() for p in found]


Interval = tuple[int, int, int, str]  # (IP version, first, last address, the prefix as given)


@functools.lru_cache(maxsize=1 << 16)
def _interval(text: str) -> Interval | None:
    """One prefix as an interval, None when it is no prefix (parsed once per spelling: a
    hub's space is met on every spoke's entry)."""
    if m := _IPV4.fullmatch(text):  # the canonical spelling, without ipaddress's objects
        parts = m.groups()
        numbers = [int(q) for q in parts]
        canonical = all(str(n) == q for n, q in zip(numbers, parts, strict=True))
        if canonical and max(numbers[:4]) <= 255 and numbers[4] <= 32:
            value = int.from_bytes(bytes(numbers[:4]), "big")
            size = 1 << (32 - numbers[4])
            first = value - value % size
            return (4, first, first + size - 1, text)
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    first = int(net.network_address)
    return (net.version, first, first + net.num_addresses - 1, text)


_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/(\d{1,2})")


def _parsed(prefixes: Any) -> list[Interval] | None:
    out: list[Interval] = []
    for p in prefixes:
        iv = _interval(str(p).strip())
        if iv is None:
            return None
        out.append(iv)
    return out


def overlaps(left: list[str], right: list[str]) -> list[tuple[str, str]]:
    """Every (left prefix, right prefix) pair whose address ranges intersect, IPv4 and IPv6
    apart: one sweep over both lists sorted by first address (output-sensitive, never all
    pairs of two long lists)."""
    a, b = _parsed(left) or [], _parsed(right) or []
    events = sorted([(*iv, 0) for iv in a] + [(*iv, 1) for iv in b])
    active: tuple[list[Interval], list[Interval]] = ([], [])
    found: list[tuple[str, str]] = []
    for version, first, last, text, side in events:
        for s in (0, 1):
            active[s][:] = [iv for iv in active[s] if iv[0] == version and iv[2] >= first]
        for other in active[1 - side]:
            pair = (text, other[3]) if side == 0 else (other[3], text)
            found.append(pair)
        active[side].append((version, first, last, text))
    return sorted(set(found))


def _covered(g: AuditGraph, subnet: str, space: Any) -> Verdict:
    """Whether every prefix of the subnet lies inside the address space given."""
    mine = subnet_space(g, subnet)
    if isinstance(mine, Unknown):
        return mine
    ranges = _parsed(_prefixes(space)) or []
    for version, first, last, _ in _parsed(mine) or []:
        if not any(v == version and f <= first and last <= la for v, f, la, _ in ranges):
            return False
    return True


def _subnet_peered(g: AuditGraph, subnet: str, names: Any, space: Any) -> Verdict:
    """Whether a subnet is among a subnet-level peering's subnets: by name when the entry
    names them, else by its address space; Unknown when the entry says neither."""
    if names is not None:
        return g.name(subnet).lower() in {str(n).lower() for n in names}
    if space is not None:
        return _covered(g, subnet, space)
    return Unknown.of(
        "which subnets the peering holds is unknown: it names no subnets and no address space"
    )


def _peered_space(
    g: AuditGraph, vnet: str, names: Any, space: Any, complete: bool
) -> list[str] | Unknown:
    """The address space one side of a peering offers: the VNet's whole space, or for a
    subnet-level peering the address space the entry gives, else its named subnets'."""
    if complete:
        return vnet_space(g, vnet)
    if space is not None:
        return list(space)
    if names is not None:
        wanted = {str(n).lower() for n in names}
        found: list[str] = []
        for sub, _ in g.out(vnet, "contains"):
            if g.name(sub).lower() in wanted:
                prefixes = subnet_space(g, sub)
                if isinstance(prefixes, Unknown):
                    return prefixes
                found += prefixes
        return found
    return Unknown.of(f"the subnet-level peering of {g.name(vnet)} names no subnets or space")


GATEWAY_SUBNETS = frozenset({"gatewaysubnet", "routeserversubnet"})


def _gateways(g: AuditGraph, vnet: str) -> list[str]:
    """Names of the gateways and Route Servers that serve the VNet."""
    return sorted(g.name(gw) for gw, _ in g.into(vnet, "gateway_in") if g.seen(gw))


def _misplaced_gateways(g: AuditGraph, vnet: str) -> list[str]:
    """Gateways the estate places in a subnet of the VNet that Azure never puts one in (not
    GatewaySubnet or RouteServerSubnet): whether they serve the VNet cannot be told."""
    return sorted(
        f"{g.name(gw)} sits in subnet {attrs.get('subnet')}, not GatewaySubnet"
        for gw, attrs in g.into(vnet, "gateway_in")
        if g.seen(gw)
        and attrs.get("via") == "ipConfiguration"
        and str(attrs.get("subnet") or "").lower() not in GATEWAY_SUBNETS
    )


@relation(
    "gateway_transit",
    "vnet",
    fields=("back_entry", "back_transit", "gateways", "fault"),
    edge="peers_with",
)
def gateway_transit(g: AuditGraph, k: str) -> list[Item]:
    """The VNet's peering entries with useRemoteGateways set, each with what the remote side
    offers: its entry back and whether that allows gateway transit, the gateways or Route
    Servers in the remote VNet, and the fault (None when transit works).

    Unknown when the remote VNet is not in the estate, its entry back cannot be read, or
    the estate holds no gateway rows for it (the gateways collection was not read)."""
    items = []
    for remote, attrs in g.out(k, "peers_with"):
        if attrs.get("use_remote_gateways") is not True:
            continue
        key = str(attrs.get("id") or g.display_id(remote))
        unknown = None
        back = entry(g, remote, k) if g.seen(remote) else None
        faults = []
        gateways = _gateways(g, remote)
        if not g.seen(remote):
            unknown = (
                f"{g.name(remote)} is not in the estate: whether it offers a gateway is unknown"
            )
        elif broken := _unreadable_back(g, k, remote):
            unknown = f"whether {g.name(remote)} allows gateway transit is unknown: {broken[0]}"
        else:
            if back is None:
                faults.append(f"{g.name(remote)} has no peering back to {g.name(k)}")
            elif back.get("allow_gateway_transit") is not True:
                faults.append(
                    f"{g.name(remote)}'s peering back ({back.get('name')}) does not set "
                    "allowGatewayTransit"
                )
            misplaced = _misplaced_gateways(g, remote)
            if misplaced:
                unknown = f"whether {g.name(remote)} has a gateway is unknown: {misplaced[0]}"
            elif not gateways:
                hidden = g.unplaced("ipConfigurations")
                if hidden:
                    unknown = f"whether {g.name(remote)} has a gateway is unknown: {hidden[0]}"
                elif not g.estate.holds(remote, GATEWAYS):
                    unknown = (
                        f"whether {g.name(remote)} has a gateway is unknown: "
                        + BY_NAME[GATEWAYS].absence
                    )
                else:
                    faults.append(
                        f"{g.name(remote)} has no virtual network gateway or Route Server"
                    )
        items.append(
            Item(
                key=key,
                node=remote,
                edge=dict(attrs),
                extra={
                    "back_entry": back.get("name") if back else None,
                    "back_transit": back.get("allow_gateway_transit") if back else None,
                    "gateways": gateways,
                    "fault": "; and ".join(faults) or None,
                },
                unknown=None if faults else unknown,
            )
        )
    return by_id(items) + unreadable_items(g, k, (PEERINGS.field,), own=True)


@relation(
    "peered_overlaps",
    "vnet",
    fields=("back_entry", "local_space", "remote_space", "overlaps"),
    edge="peers_with",
)
def peered_overlaps(g: AuditGraph, k: str) -> list[Item]:
    """The VNet's peering entries with the address ranges the two sides share: every
    overlapping (local prefix, remote prefix) pair, IPv4 and IPv6, of the spaces the peering
    joins (the whole VNets, or a subnet-level peering's address spaces or subnets).

    A pair of VNets that peer both ways is one fault: it is judged on the entry of the VNet
    whose id sorts first. Unknown when a space cannot be read, or the remote VNet is not in
    the estate and its entry gives no remote address space."""
    items = []
    for remote, attrs in g.out(k, "peers_with"):
        back = entry(g, remote, k) if g.seen(remote) else None
        if back is not None and remote < k:
            continue  # the remote VNet's entry reports the pair
        complete = attrs.get("peer_complete_vnets") is not False
        local = (
            memoized(g, ("vnet_space", k), lambda: vnet_space(g, k))
            if complete
            else (
                _peered_space(
                    g, k, attrs.get("local_subnet_names"), attrs.get("local_address_space"), False
                )
            )
        )
        if complete and not isinstance(local, Unknown):
            # the spaces the entries record (as peered, and as the VNets now are) are routed
            # too: a prefix either side's entry gives counts, not only the VNet rows'
            b = back or {}
            local = _union(
                local,
                attrs.get("local_address_space"),
                attrs.get("local_vnet_space"),
                b.get("remote_address_space"),
                b.get("remote_vnet_space"),
            )
        if g.seen(remote):
            far = _peered_space(
                g,
                remote,
                attrs.get("remote_subnet_names"),
                attrs.get("remote_address_space"),
                complete,
            )
            if complete and not isinstance(far, Unknown):
                far = _union(
                    far,
                    attrs.get("remote_address_space"),
                    attrs.get("remote_vnet_space"),
                    (back or {}).get("local_address_space"),
                    (back or {}).get("local_vnet_space"),
                )
        else:
            given = attrs.get("remote_vnet_space") or attrs.get("remote_address_space")
            far = (
                list(given)
                if given is not None
                else Unknown.of(
                    f"{g.name(remote)} is not in the estate and the peering gives no remote "
                    "address space"
                )
            )
        unknown = next((s.reasons[0] for s in (local, far) if isinstance(s, Unknown)), None)
        pairs = [] if unknown else overlaps(list(local), list(far))  # type: ignore[arg-type]
        items.append(
            Item(
                key=str(attrs.get("id") or g.display_id(remote)),
                node=remote,
                edge=dict(attrs),
                extra={
                    "back_entry": back.get("name")
                    if back
                    else (
                        "an entry that cannot be read"
                        if g.seen(remote) and _unreadable_back(g, k, remote)
                        else None
                    ),
                    "local_space": None if unknown else list(local),  # type: ignore[arg-type]
                    "remote_space": None if unknown else list(far),  # type: ignore[arg-type]
                    "overlaps": [f"{a} with {b}" for a, b in pairs],
                },
                unknown=unknown,
            )
        )
    return by_id(items) + unreadable_items(g, k, (PEERINGS.field,), own=True)


def _union(first: list[str], *more: Any) -> list[str]:
    """The prefixes of ``first`` followed by those of ``more`` not already given."""
    out = list(first)
    for extra in more:
        out += [p for p in _prefixes(extra) if p not in out]
    return out


def _endpoints_in(g: AuditGraph, vnet: str) -> list[str]:
    return sorted(
        g.name(r)
        for sub, _ in g.out(vnet, "contains")
        for r, _ in g.into(sub, "in_subnet")
        if g.kind(r) == "private_endpoint"
    )


@relation("vnet_access", "vnet", fields=("reaches", "why", "endpoints"), edge="peers_with")
def vnet_access(g: AuditGraph, k: str) -> list[Item]:
    """The VNet's Connected peering entries, each with whether its traffic reaches the
    remote VNet (``reaches``: allowVirtualNetworkAccess on both entries), why, and the
    private endpoints in the remote VNet it would cut off.

    Built on :func:`reaches`; an entry whose VNet access is judged on the remote VNet's
    entry back is reported there, not here."""
    items = []
    for remote, attrs in g.out(k, "peers_with"):
        if str(attrs.get("state") or "").lower() != "connected":
            continue  # MLA-NET-001's concern
        own_off = attrs.get("allow_vnet_access") is False
        verdict, why = reaches(g, k, remote) if own_off else (True, "")
        items.append(
            Item(
                key=str(attrs.get("id") or g.display_id(remote)),
                node=remote,
                edge=dict(attrs),
                extra={
                    "reaches": verdict if isinstance(verdict, bool) else None,
                    "why": why,
                    "endpoints": (", ".join(_endpoints_in(g, remote)) or "none in the estate")
                    if own_off
                    else None,
                },
                unknown=verdict.reasons[0] if isinstance(verdict, Unknown) else None,
            )
        )
    return by_id(items) + unreadable_items(g, k, (PEERINGS.field,), own=True)


def _needed_subnets(g: AuditGraph, vnet: str) -> list[tuple[str, list[str]]]:
    """The VNet's subnets that hold private endpoints or Azure ML computes, with their names."""
    found = []
    for sub, _ in g.out(vnet, "contains"):
        held = sorted(
            g.name(r)
            for r, _ in g.into(sub, "in_subnet")
            if g.kind(r) in ("private_endpoint", "aml_compute")
        )
        if held:
            found.append((sub, held))
    return found


@relation(
    "subnet_peering_gaps",
    "vnet",
    fields=("vnet_name", "peer_name", "held", "peered"),
    edge="peers_with",
)
def subnet_peering_gaps(g: AuditGraph, k: str) -> list[Item]:
    """Subnets a subnet-level peering (``peerCompleteVnets: false``) of the VNet leaves out
    although they hold private endpoints or Azure ML computes: items are the left-out
    subnets (``held``: what they hold; ``peer_name``: the VNet that cannot reach them;
    ``peered``: the subnets or space the peering holds on that side).

    The remote side is judged on this VNet's entry; this VNet's own side on the remote
    VNet's entry back (when it is in the estate and has one), so each gap is one item.
    Unknown when the entry names neither subnets nor address space for a side."""
    items = []
    for remote, attrs in g.out(k, "peers_with"):
        if attrs.get("peer_complete_vnets") is not False:
            continue
        sides = [(remote, "remote_subnet_names", "remote_address_space", k)]
        if not g.seen(remote) or entry(g, remote, k) is None:
            sides.append((k, "local_subnet_names", "local_address_space", remote))
        for vnet, names_key, space_key, peer in sides:
            if not g.seen(vnet):
                items.append(
                    Item(
                        key=str(attrs.get("id")),
                        node=vnet,
                        edge=dict(attrs),
                        unknown=f"{g.name(vnet)} is not in the estate: which of its subnets "
                        "hold private endpoints is unknown",
                    )
                )
                continue
            names, space = attrs.get(names_key), attrs.get(space_key)
            for sub, held in _needed_subnets(g, vnet):
                inside = _subnet_peered(g, sub, names, space)
                if inside is True:
                    continue
                items.append(
                    Item(
                        key=g.display_id(sub),
                        node=sub,
                        edge=dict(attrs),
                        extra={
                            "vnet_name": g.name(vnet),
                            "peer_name": g.name(peer),
                            "held": ", ".join(held),
                            "peered": ", ".join(names if names is not None else space or ()),
                        },
                        unknown=inside.reasons[0] if isinstance(inside, Unknown) else None,
                    )
                )
    return by_id(items) + unreadable_items(g, k, (PEERINGS.field,), own=True)
