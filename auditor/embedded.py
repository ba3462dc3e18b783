"""Embedded lists: the entries a row carries inside it, read in one place.

NSG rules, VNet peerings, private link connections, IP configurations and the other lists
rows embed come from outside, and an entry may be any JSON value. A reader here returns
the typed entry or raises :class:`Invalid` saying why it cannot be read; the graph records
each such entry as an :class:`Unreadable` on the nodes it concerns, and the relations that
depend on the list answer *unknown* rather than judge a list with a hole in it. Nothing is
dropped and nothing is guessed.

An entry's properties are its ``properties`` object (the ARM and Resource Graph shape) or,
when it has none, the entry itself if it carries the list's property names: the shape that
``az network nsg rule list``, ``az network vnet peering list`` and ``az network nic show``
print, common in hand-made exports.
"""

from __future__ import annotations

import ipaddress
import marshal
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Generic, TypeVar

from .unknown import UnknownValue

T = TypeVar("T")
MAX_PORT = 65535
PortRanges = tuple[tuple[int, int], ...]

VNET_TYPE = "microsoft.network/virtualnetworks"
SUBNET_TYPE = "microsoft.network/virtualnetworks/subnets"
NIC_TYPE = "microsoft.network/networkinterfaces"
PIP_TYPE = "microsoft.network/publicipaddresses"
PE_TYPE = "microsoft.network/privateendpoints"
LB_TYPE = "microsoft.network/loadbalancers"
LB_FRONTEND_TYPE = f"{LB_TYPE}/frontendipconfigurations"
LB_POOL_TYPE = f"{LB_TYPE}/backendaddresspools"
LB_NAT_RULE_TYPE = f"{LB_TYPE}/inboundnatrules"
LB_NAT_POOL_TYPE = f"{LB_TYPE}/inboundnatpools"
ZONE_TYPE = "microsoft.network/privatednszones"

_PORT = re.compile(r"\s*([0-9]{1,5})\s*(?:-\s*([0-9]{1,5})\s*)?")
# a service tag: AzureCloud, Storage.westeurope, AzureFrontDoor.FrontEnd
_TAG = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")
_PROTOCOLS = {"*": "*", "tcp": "Tcp", "udp": "Udp", "icmp": "Icmp", "esp": "Esp", "ah": "Ah"}


class Invalid(Exception):
    """An entry cannot be read: ``why``, and the id of the resource it names when that
    much could be read (a peering's remote VNet, a connection's target)."""

    def __init__(self, why: str, about: str | None = None) -> None:
        super().__init__(why)
        self.why, self.about = why, about


@dataclass(frozen=True)
class Unreadable:
    """An embedded entry the graph could not read, and the resource whose row holds it."""

    owner_id: str
    owner: str  # the owner's name, for messages
    field: str  # the list: securityRules, virtualNetworkPeerings, …
    index: int | None  # None: the list itself is no list
    name: str | None  # the entry's name, when it has one
    why: str

    @property
    def key(self) -> str:
        """Identifies the entry in fingerprints and in the not-evaluated record."""
        return f"{self.owner_id}#{self.field}" + ("" if self.index is None else f"[{self.index}]")

    def __str__(self) -> str:
        where = "" if self.index is None else f"[{self.index}]"
        named = f" ({self.name})" if self.name else ""
        return f"{self.owner}: {self.field}{where}{named} cannot be read: {self.why}"


@dataclass(frozen=True)
class ListSpec(Generic[T]):
    """One embedded list: its property names (how a flattened entry is told) and the
    reader of one entry, called with the entry and its properties."""

    field: str
    names: frozenset[str]
    read: Callable[[dict[str, Any], dict[str, Any]], T]
    flat: bool = False  # entries carry their values themselves (customDnsConfigs)


@dataclass(frozen=True)
class Failed:
    """An entry of a list that could not be read (before the graph names its owner)."""

    index: int | None
    name: str | None
    why: str
    about: str | None = None


def _is(value: Any, expected: str) -> str:
    """``is a number, not a list``; a value the input could not know: ``is unknown: why``."""
    if type(value) is UnknownValue:  # Terraform: known only after apply, or not given
        return f"is unknown: {value.reason}"
    return f"is {_kind(value)}, not {expected}"


def _kind(value: Any) -> str:
    if type(value) is UnknownValue:  # Terraform: a value known only after apply
        return f"unknown ({value.reason})"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def properties(entry: Any, names: frozenset[str]) -> dict[str, Any]:
    """The entry's properties: its ``properties`` object, or the entry itself when it
    carries the list's property names at the top (the az CLI's flattened shape)."""
    if not isinstance(entry, dict):
        raise Invalid(f"it {_is(entry, 'an object')}")
    props = entry.get("properties")
    if isinstance(props, dict):
        return props
    if names.intersection(entry):
        return entry
    if "properties" in entry:
        raise Invalid(f"its properties are {_kind(props)}, not an object")
    raise Invalid("it has no properties")


def read_list(value: Any, spec: ListSpec[T]) -> tuple[list[T], list[Failed]]:
    """The readable entries of a list, and every other one with why. An absent list is
    empty; a value that is no list is one unreadable entry."""
    if value is None:
        return [], []
    if not isinstance(value, list):
        return [], [Failed(None, None, f"it {_is(value, 'a list')}")]
    good: list[T] = []
    bad: list[Failed] = []
    read, flat, names = spec.read, spec.flat, spec.names
    for i, entry in enumerate(value):
        try:
            if flat:
                if not isinstance(entry, dict):
                    raise Invalid(f"it {_is(entry, 'an object')}")
                good.append(read(entry, entry))
            else:
                props = entry.get("properties") if type(entry) is dict else None
                if type(props) is not dict:  # the flattened shape, or no object at all
                    props = properties(entry, names)
                good.append(read(entry, props))
        except Invalid as e:
            name = entry.get("name") if isinstance(entry, dict) else None
            bad.append(Failed(i, name if isinstance(name, str) else None, e.why, e.about))
    return good, bad


# -- field readers: the value, or None when absent; Invalid when it has the wrong shape ----
def text(props: Any, key: str) -> str | None:
    value = props.get(key) if isinstance(props, dict) else None
    if value is None or isinstance(value, str):
        return value
    raise Invalid(f"its {key} {_is(value, 'a string')}")


def flag(props: dict[str, Any], key: str) -> bool | None:
    value = props.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise Invalid(f"its {key} {_is(value, 'true or false')}")


def texts(props: Any, key: str) -> list[str]:
    value = props.get(key) if isinstance(props, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"its {key} {_is(value, 'a list')}")
    for v in value:
        if not isinstance(v, str):
            raise Invalid(f"its {key} holds {_kind(v)} where a string belongs")
    return list(value)


def obj(props: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = props.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise Invalid(f"its {key} {_is(value, 'an object')}")


def ref(value: Any, what: str, rtype: str | None = None) -> str | None:
    """The ARM id of a ``{"id": …}`` reference (or of a bare id), None when absent. An id
    that is no ARM id, or one of another type than ``rtype``, is Invalid."""
    if value is None:
        return None
    rid = value.get("id") if isinstance(value, dict) else value
    if rid.__class__ is str:  # nearly always: the checks below, without isinstance calls
        rid = rid.strip()
        if rid.startswith("/"):
            if rtype is None or _of_type(rtype).search(rid):
                return rid
            raise Invalid(f"its {what} {rid} is not a {rtype}")
    elif isinstance(rid, str):
        rid = rid.strip()
    if not isinstance(rid, str) or not rid.startswith("/"):
        raise Invalid(f"its {what} is not a reference to a resource ({_kind(rid)})")
    if rtype is not None and not _of_type(rtype).search(rid):
        raise Invalid(f"its {what} {rid} is not a {rtype}")
    return rid


@cache
def _of_type(rtype: str) -> re.Pattern[str]:
    """Matches an ARM id of the type, as ``arm.arm_type`` spells it (the last provider's
    type segments, each followed by one name), in one regular-expression search."""
    namespace, *types = rtype.split("/")
    names = "".join(f"/{re.escape(t)}/[^/]+" for t in types)
    return re.compile(f"/providers/{re.escape(namespace)}{names}/?$", re.IGNORECASE)


def needed(value: T | None, why: str) -> T:
    if value is None:
        raise Invalid(why)
    return value


# -- references ---------------------------------------------------------------------------
def ref_list(field: str, rtype: str | None) -> ListSpec[str]:
    """A list of references (an NSG's subnets, a VM's network interfaces): ``{"id": …}``
    objects, or bare ids."""

    def read(entry: dict[str, Any], _props: dict[str, Any]) -> str:
        return needed(ref(entry, "entry", rtype), "it has no id")

    return ListSpec(field, frozenset(), read, flat=True)


def read_refs(value: Any, field: str, rtype: str | None) -> tuple[list[str], list[Failed]]:
    """``read_list(value, ref_list(field, rtype))`` with a bare id read as ``{"id": …}``,
    in one loop: a 100k-row estate reads ~30k such lists, most of one or two entries."""
    if not isinstance(value, list):
        return read_list(value, ref_list(field, rtype))  # absent, or one unreadable entry
    good: list[str] = []
    bad: list[Failed] = []
    for i, entry in enumerate(value):
        try:
            if not isinstance(entry, dict | str):
                raise Invalid(f"it {_is(entry, 'an object')}")
            good.append(needed(ref(entry, "entry", rtype), "it has no id"))
        except Invalid as e:
            name = entry.get("name") if isinstance(entry, dict) else None
            bad.append(Failed(i, name if isinstance(name, str) else None, e.why, e.about))
    return good, bad


# -- NSG rules ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SecurityRule:
    """One NSG rule as Azure stores it, every field checked: ports as sorted, merged
    intervals; prefixes as the strings the rule names (service tags, CIDR prefixes)."""

    name: str
    priority: int
    direction: str  # Inbound | Outbound
    access: str  # Allow | Deny
    protocol: str  # * | Tcp | Udp | Icmp | Esp | Ah
    sources: tuple[str, ...]
    source_ports: PortRanges
    destinations: tuple[str, ...]
    ports: PortRanges
    default: bool = False
    # the application security groups' ids, as the rule prints them
    source_asg_ids: tuple[str, ...] = ()
    destination_asg_ids: tuple[str, ...] = ()

    def __hash__(self) -> int:
        # rules key the evaluator's caches (as tuples of an NSG's rules): hash once
        h: int | None = self.__dict__.get("_hash")
        if h is None:
            h = hash(tuple(getattr(self, f) for f in _RULE_FIELDS))
            object.__setattr__(self, "_hash", h)
        return h


_RULE_FIELDS = tuple(SecurityRule.__dataclass_fields__)


def merge(ranges: list[tuple[int, int]]) -> PortRanges:
    """Sorted, disjoint, non-adjacent intervals covering the same integers."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def port_ranges(specs: list[str], what: str) -> PortRanges:
    """``*``, ``N`` or ``N-M`` (within 0-65535, N ≤ M) each, as one union of intervals."""
    found: list[tuple[int, int]] = []
    for spec in specs:
        got = _port_range(spec)
        if got is None:
            raise Invalid(f"its {what} {spec!r} is not a port or a range low-high in 0-65535")
        found.append(got)
    return (found[0],) if len(found) == 1 else merge(found)


@lru_cache(maxsize=4096)
def _port_range(spec: str) -> tuple[int, int] | None:
    if spec.strip() == "*":
        return (0, MAX_PORT)
    m = _PORT.fullmatch(spec)
    lo, hi = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else (1, 0)
    return (lo, hi) if lo <= hi <= MAX_PORT else None


@lru_cache(maxsize=4096)
def is_prefix(value: str) -> bool:
    """A service tag, ``*``, or an IPv4/IPv6 address or CIDR prefix."""
    if value == "*" or _TAG.fullmatch(value):
        return True
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _one_or_many(props: dict[str, Any], single: str, plural: str) -> list[str]:
    """A field Azure writes singular or plural (or both, one of them empty)."""
    one, many = props.get(single), props.get(plural)
    if (many is None or many == []) and isinstance(one, str):  # the common case, fast
        one = one.strip()
        return [one] if one else []
    many, one = texts(props, plural), text(props, single)
    if any(not v.strip() for v in many):
        raise Invalid(f"its {plural} holds an empty string")
    return [v.strip() for v in many] + ([one.strip()] if one and one.strip() else [])


def _side(props: dict[str, Any], side: str) -> tuple[tuple[str, ...], tuple[str, ...], PortRanges]:
    """(address prefixes, application security group ids, port ranges) of one side."""
    prefixes = _one_or_many(props, f"{side}AddressPrefix", f"{side}AddressPrefixes")
    ports = _one_or_many(props, f"{side}PortRange", f"{side}PortRanges")
    field = f"{side}ApplicationSecurityGroups"
    asgs = props.get(field)
    if asgs is not None and not isinstance(asgs, list):
        raise Invalid(f"its {field} {_is(asgs, 'a list')}")
    ids = tuple(
        needed(ref(asg, f"{field} entry"), f"its {field} holds an entry without id")
        for asg in asgs or ()
    )
    if prefixes and asgs:
        raise Invalid(f"it names both {side} address prefixes and application security groups")
    if not prefixes and not asgs:
        raise Invalid(f"it names no {side} address prefix or application security group")
    if odd := next((p for p in prefixes if not is_prefix(p)), None):
        raise Invalid(f"its {side} address prefix {odd!r} is no CIDR prefix, address or tag")
    if not ports:
        raise Invalid(f"it names no {side} port range")
    return tuple(prefixes), ids, port_ranges(ports, f"{side}PortRange")


def _choice(props: dict[str, Any], key: str, allowed: dict[str, str]) -> str:
    value = needed(props.get(key), f"it has no {key}")
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        spelled = ", ".join(dict.fromkeys(allowed.values()))
        raise Invalid(f"its {key} {value!r} is not one of {spelled}")
    return allowed[value.strip().lower()]


def priority(value: Any) -> int:
    """An integer within 0-65535: a JSON number without a fraction, or a string of digits."""
    if type(value) is int and 0 <= value <= MAX_PORT:
        return value
    digits = isinstance(value, str) and value.strip().isascii() and value.strip().isdigit()
    if digits or (isinstance(value, float) and value.is_integer()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PORT:
        raise Invalid(f"its priority {value!r} is not an integer within 0-65535")
    return value


def _security_rule(name: Any, default: bool, props: dict[str, Any]) -> SecurityRule:
    if not isinstance(name, str) or not name:
        raise Invalid("it has no name" if name in (None, "") else f"its name is {_kind(name)}")
    sources, source_asgs, source_ports = _side(props, "source")
    targets, target_asgs, ports = _side(props, "destination")
    return SecurityRule(
        name=name,
        priority=priority(needed(props.get("priority"), "it has no priority")),
        direction=_choice(props, "direction", {"inbound": "Inbound", "outbound": "Outbound"}),
        access=_choice(props, "access", {"allow": "Allow", "deny": "Deny"}),
        protocol=_choice(props, "protocol", _PROTOCOLS),
        sources=sources,
        source_ports=source_ports,
        destinations=targets,
        ports=ports,
        default=default,
        source_asg_ids=source_asgs,
        destination_asg_ids=target_asgs,
    )


# rule content -> (the rule read, the first properties object holding that content)
_RULES_READ: dict[
    tuple[bool, str | tuple[str], bytes | str], tuple[SecurityRule, dict[str, Any]]
] = {}


def forget_rules() -> None:
    """Start a new estate: its rows are never pointed at an earlier estate's objects (a
    library caller may edit those), and the cache keeps no earlier estate alive."""
    _RULES_READ.clear()


def security_rule(default: bool) -> Callable[[dict[str, Any], dict[str, Any]], SecurityRule]:
    """The reader of one rule. Every NSG repeats Azure's six default rules and estates
    repeat their custom ones, so a rule is read once per distinct content: the key is the
    JSON value's marshal bytes (format 2: no back-references, so equal values give equal
    bytes; cheaper than repr), or its repr for a value marshal cannot write (a value known
    only after apply); both tell ``1``, ``1.0`` and ``true`` apart.

    A repeat's row entry is then pointed at the first entry's equal properties object: the
    scan holds one copy of each distinct rule (the six default rules of thousands of NSGs
    were ~40 MB of equal dicts and strings at 100k rows). Rows are not changed after the
    graph is built, and an equal object reads the same."""

    def read(entry: dict[str, Any], props: dict[str, Any]) -> SecurityRule:
        try:
            content: bytes | str = marshal.dumps(props, 2)
        except ValueError:
            content = repr(props)
        name = entry.get("name")  # a str as itself, else its repr (never equal to a str)
        key = (default, name if name.__class__ is str else (repr(name),), content)
        found = _RULES_READ.get(key)
        if found is None:
            if len(_RULES_READ) >= 8192:
                _RULES_READ.clear()
            found = _RULES_READ[key] = (_security_rule(name, default, props), props)
        elif (
            found[1] is not props
            and content.__class__ is bytes
            and entry is not props
            and entry.get("properties") is props  # the row's own object, not a reading of it
        ):
            entry["properties"] = found[1]
        return found[0]

    return read


_RULE_NAMES = frozenset(
    {"priority", "access", "direction", "protocol"}
    | {
        f"{side}{what}"
        for side in ("source", "destination")
        for what in ("AddressPrefix", "AddressPrefixes", "PortRange", "PortRanges")
    }
)
SECURITY_RULES = ListSpec("securityRules", _RULE_NAMES, security_rule(False))
DEFAULT_SECURITY_RULES = ListSpec("defaultSecurityRules", _RULE_NAMES, security_rule(True))


# -- peerings -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Peering:
    name: str | None
    id: str | None
    remote: str
    state: str
    sync: str | None
    allow_vnet_access: bool | None
    allow_forwarded_traffic: bool | None
    allow_gateway_transit: bool | None
    use_remote_gateways: bool | None
    # subnet-level peering (peerCompleteVnets false): the subnets and address spaces peered;
    # None where the entry does not say
    peer_complete_vnets: bool | None = None
    local_subnet_names: tuple[str, ...] | None = None
    remote_subnet_names: tuple[str, ...] | None = None
    local_address_space: tuple[str, ...] | None = None  # localAddressSpace
    remote_address_space: tuple[str, ...] | None = None  # remoteAddressSpace
    # the VNets' current spaces as the peering sees them (local/remoteVirtualNetworkAddressSpace)
    local_vnet_space: tuple[str, ...] | None = None
    remote_vnet_space: tuple[str, ...] | None = None


def _names(props: dict[str, Any], key: str) -> tuple[str, ...] | None:
    return tuple(texts(props, key)) if props.get(key) is not None else None


def address_space(props: dict[str, Any], key: str) -> tuple[str, ...] | None:
    """An ``{addressPrefixes: [...]}`` property as its prefixes; None when absent. A prefix
    that is no CIDR makes the entry unreadable: its overlap could not be judged."""
    space = obj(props, key)
    if space is None:
        return None
    prefixes = texts(space, "addressPrefixes")
    for prefix in prefixes:
        if not _is_network(prefix.strip()):
            raise Invalid(f"its {key} holds {prefix!r}, which is no address prefix")
    return tuple(p.strip() for p in prefixes)


@lru_cache(maxsize=4096)
def _is_network(prefix: str) -> bool:
    """An IPv4 or IPv6 prefix (host bits allowed). Once per distinct prefix: every
    spoke's peering names the hub's space, and parsing one costs ~5 us."""
    try:
        ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False
    return True


def _peering(entry: dict[str, Any], props: dict[str, Any]) -> Peering:
    remote = needed(
        ref(props.get("remoteVirtualNetwork"), "remoteVirtualNetwork", VNET_TYPE),
        "it has no remoteVirtualNetwork",
    )
    try:
        return Peering(
            text(entry, "name"),
            text(entry, "id"),
            remote,
            needed(text(props, "peeringState") or None, "it has no peeringState"),
            text(props, "peeringSyncLevel"),
            flag(props, "allowVirtualNetworkAccess"),
            flag(props, "allowForwardedTraffic"),
            flag(props, "allowGatewayTransit"),
            flag(props, "useRemoteGateways"),
            flag(props, "peerCompleteVnets"),
            _names(props, "localSubnetNames"),
            _names(props, "remoteSubnetNames"),
            address_space(props, "localAddressSpace"),
            address_space(props, "remoteAddressSpace"),
            address_space(props, "localVirtualNetworkAddressSpace"),
            address_space(props, "remoteVirtualNetworkAddressSpace"),
        )
    except Invalid as e:
        raise Invalid(e.why, remote) from None


PEERINGS = ListSpec(
    "virtualNetworkPeerings",
    frozenset(
        {
            "remoteVirtualNetwork",
            "peeringState",
            "peeringSyncLevel",
            "allowVirtualNetworkAccess",
            "allowForwardedTraffic",
            "allowGatewayTransit",
            "useRemoteGateways",
            "remoteAddressSpace",
            "peerCompleteVnets",
            "localSubnetNames",
            "remoteSubnetNames",
            "localAddressSpace",
        }
    ),
    _peering,
)


# -- private link connections ---------------------------------------------------------------
@dataclass(frozen=True)
class Connection:
    """A private link connection: an endpoint's own (``other`` is its target) or a
    target's ``privateEndpointConnections`` entry (``other`` is the endpoint)."""

    name: str | None
    other: str
    group_ids: list[str]
    status: str | None


def _connection(
    key: str, rtype: str | None
) -> Callable[[dict[str, Any], dict[str, Any]], Connection]:
    def read(entry: dict[str, Any], props: dict[str, Any]) -> Connection:
        other = needed(ref(props.get(key), key, rtype), f"it has no {key}")
        try:
            state = obj(props, "privateLinkServiceConnectionState")
            return Connection(
                text(entry, "name"), other, texts(props, "groupIds"), text(state, "status")
            )
        except Invalid as e:
            raise Invalid(e.why, other) from None

    return read


_CONNECTION_NAMES = frozenset(
    {"privateLinkServiceId", "groupIds", "privateLinkServiceConnectionState", "requestMessage"}
)
LINK_CONNECTIONS = ListSpec(
    "privateLinkServiceConnections", _CONNECTION_NAMES, _connection("privateLinkServiceId", None)
)
MANUAL_LINK_CONNECTIONS = ListSpec(
    "manualPrivateLinkServiceConnections", _CONNECTION_NAMES, LINK_CONNECTIONS.read
)
ENDPOINT_CONNECTIONS = ListSpec(
    "privateEndpointConnections",
    frozenset({"privateEndpoint", "privateLinkServiceConnectionState", "groupIds"}),
    _connection("privateEndpoint", PE_TYPE),
)
# An Azure ML registry's own list of its endpoints: the same entries under another name.
REGISTRY_CONNECTIONS = ListSpec(
    "registryPrivateEndpointConnections", ENDPOINT_CONNECTIONS.names, ENDPOINT_CONNECTIONS.read
)
AMPLS_SCOPED_TYPE = "microsoft.insights/privatelinkscopes/scopedresources"


# -- IP configurations, DNS configs -----------------------------------------------------------
@dataclass(frozen=True)
class IpConfig:
    subnet: str | None
    public_ip: str | None
    private_ip: str | None
    fqdns: list[str]
    asgs: tuple[str, ...] = ()  # applicationSecurityGroups ids: the NIC's membership
    # a NIC's load balancer memberships: backend pools and inbound NAT rules it is in
    pools: tuple[str, ...] = ()
    nat_rules: tuple[str, ...] = ()


def _ip_config(entry: dict[str, Any], props: dict[str, Any]) -> IpConfig:
    link = obj(props, "privateLinkConnectionProperties")
    # a private IP Azure assigns at apply (Terraform) is no address yet: the NIC is then
    # somewhere in its subnet, as when a row gives none
    private_ip = props.get("privateIPAddress")
    return IpConfig(
        ref(props.get("subnet"), "subnet", SUBNET_TYPE),
        ref(props.get("publicIPAddress"), "publicIPAddress", PIP_TYPE),
        None if type(private_ip) is UnknownValue else text(props, "privateIPAddress"),
        texts(link, "fqdns"),
        tuple(
            needed(ref(a, "applicationSecurityGroups entry"), "an ASG entry has no id")
            for a in _asg_list(props)
        ),
        pools=refs_in(props, "loadBalancerBackendAddressPools", LB_POOL_TYPE),
        nat_rules=refs_in(props, "loadBalancerInboundNatRules", LB_NAT_RULE_TYPE),
    )


def refs_in(props: dict[str, Any], key: str, rtype: str | None) -> tuple[str, ...]:
    """A list of references inside an entry (``[{"id": …}]``); any element that is no
    reference makes the whole entry unreadable."""
    value = props.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Invalid(f"its {key} {_is(value, 'a list')}")
    return tuple(needed(ref(v, f"{key} entry", rtype), f"its {key} holds null") for v in value)


def _asg_list(props: dict[str, Any]) -> list[Any]:
    value = props.get("applicationSecurityGroups")
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"its applicationSecurityGroups {_is(value, 'a list')}")
    return value


IP_CONFIGURATIONS = ListSpec(
    "ipConfigurations",
    frozenset(
        {
            "subnet",
            "publicIPAddress",
            "privateIPAddress",
            "privateIPAllocationMethod",
            "privateIPAddressVersion",
            "primary",
            "privateLinkConnectionProperties",
            "applicationSecurityGroups",
            "loadBalancerBackendAddressPools",
            "loadBalancerInboundNatRules",
            "groupId",
            "memberName",
        }
    ),
    _ip_config,
)


@dataclass(frozen=True)
class DnsConfig:
    """An endpoint's ``customDnsConfigs`` entry, or a zone group config's record set."""

    fqdn: str | None
    ips: list[str]


def _dns_config(entry: dict[str, Any], props: dict[str, Any]) -> DnsConfig:
    # a zone group's record set planned in Terraform: the IP is known only after apply
    # (the DNS relations read it as unknown; the entry itself is readable)
    if type(props.get("ipAddresses")) is UnknownValue:
        return DnsConfig(text(props, "fqdn"), [])
    return DnsConfig(text(props, "fqdn"), texts(props, "ipAddresses"))


CUSTOM_DNS_CONFIGS = ListSpec("customDnsConfigs", frozenset(), _dns_config, flat=True)
RECORD_SETS = ListSpec("recordSets", frozenset(), _dns_config, flat=True)


@dataclass(frozen=True)
class ZoneConfig:
    name: str | None
    zone: str
    record_sets: Any  # the raw list, read with RECORD_SETS so its own entries are recorded


def _zone_config(entry: dict[str, Any], props: dict[str, Any]) -> ZoneConfig:
    zone = ref(props.get("privateDnsZoneId"), "privateDnsZoneId", ZONE_TYPE)
    name = text(entry, "name")
    return ZoneConfig(name, needed(zone, "it has no privateDnsZoneId"), props.get("recordSets"))


ZONE_CONFIGS = ListSpec(
    "privateDnsZoneConfigs", frozenset({"privateDnsZoneId", "recordSets"}), _zone_config
)


# -- load balancers and scale sets (read by the exposure paths) --------------------------------
@dataclass(frozen=True)
class Frontend:
    """A load balancer's frontend IP configuration: public when it names a public IP (or
    a public IP prefix)."""

    id: str | None
    name: str | None
    public_ip: str | None
    public_prefix: str | None


def _frontend(entry: dict[str, Any], props: dict[str, Any]) -> Frontend:
    return Frontend(
        text(entry, "id"),
        text(entry, "name"),
        ref(props.get("publicIPAddress"), "publicIPAddress", PIP_TYPE),
        ref(props.get("publicIPPrefix"), "publicIPPrefix", None),
    )


FRONTENDS = ListSpec(
    "frontendIPConfigurations",
    frozenset({"publicIPAddress", "publicIPPrefix", "subnet", "privateIPAddress"}),
    _frontend,
)


@dataclass(frozen=True)
class Forwarding:
    """What a load balancer forwards: a load-balancing rule, an inbound NAT rule or an
    inbound NAT pool. ``frontend_ports`` (lo, hi) map to ``backend_ports`` (lo, hi): one
    port to one port, a NAT range to one backend port per instance, or (HA ports) every
    port to the same port."""

    kind: str  # rule | nat_rule | nat_pool
    name: str | None
    id: str | None
    frontend: str | None  # the frontend IP configuration's id
    protocol: str  # Tcp | Udp | All
    frontend_ports: tuple[int, int]
    backend_ports: tuple[int, int]
    pools: tuple[str, ...]  # backend pools (rules, NAT rules v2)
    target: str | None  # an inbound NAT rule's backendIPConfiguration


_LB_PROTOCOLS = {"tcp": "Tcp", "udp": "Udp", "all": "All"}


def _port(props: dict[str, Any], key: str) -> int | None:
    value = props.get(key)
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= MAX_PORT:
        raise Invalid(f"its {key} {value!r} is not a port in 0-65535")
    return value


def _forwarding(kind: str) -> Callable[[dict[str, Any], dict[str, Any]], Forwarding]:
    def read(entry: dict[str, Any], props: dict[str, Any]) -> Forwarding:
        protocol = _choice(props, "protocol", _LB_PROTOCOLS)
        frontend = needed(
            ref(props.get("frontendIPConfiguration"), "frontendIPConfiguration", LB_FRONTEND_TYPE),
            "it has no frontendIPConfiguration",
        )
        backend = _port(props, "backendPort")
        start, end = _port(props, "frontendPortRangeStart"), _port(props, "frontendPortRangeEnd")
        single = _port(props, "frontendPort")
        pools = refs_in(props, "backendAddressPools", LB_POOL_TYPE)
        if pool := ref(props.get("backendAddressPool"), "backendAddressPool", LB_POOL_TYPE):
            pools = (pool, *(p for p in pools if p.lower() != pool.lower()))
        if kind == "nat_pool" or (kind == "nat_rule" and single is None):
            if start is None or end is None or start > end:
                raise Invalid("it has no frontend port range frontendPortRangeStart-End")
            front = (start, end)
        else:
            front = (needed(single, "it has no frontendPort"),) * 2
        backend = needed(backend, "it has no backendPort")
        if protocol == "All" and front == (0, 0) and backend == 0:  # HA ports: every port
            front = back = (0, MAX_PORT)
        else:
            back = (backend, backend)
        target = ref(props.get("backendIPConfiguration"), "backendIPConfiguration", None)
        return Forwarding(
            kind, text(entry, "name"), text(entry, "id"), frontend, protocol, front, back,
            pools, target,
        )  # fmt: skip

    return read


_FORWARD_NAMES = frozenset(
    {
        "frontendIPConfiguration",
        "protocol",
        "frontendPort",
        "backendPort",
        "frontendPortRangeStart",
        "frontendPortRangeEnd",
        "backendAddressPool",
        "backendAddressPools",
        "backendIPConfiguration",
    }
)
LB_RULES = ListSpec("loadBalancingRules", _FORWARD_NAMES, _forwarding("rule"))
NAT_RULES = ListSpec("inboundNatRules", _FORWARD_NAMES, _forwarding("nat_rule"))
NAT_POOLS = ListSpec("inboundNatPools", _FORWARD_NAMES, _forwarding("nat_pool"))


@dataclass(frozen=True)
class Pool:
    """A backend pool and the IP configurations its own row lists as members."""

    id: str
    name: str | None
    members: tuple[str, ...]


def _pool(entry: dict[str, Any], props: dict[str, Any]) -> Pool:
    pid = needed(ref(entry.get("id"), "id", LB_POOL_TYPE), "it has no id")
    members = list(refs_in(props, "backendIPConfigurations", None))
    addresses = props.get("loadBalancerBackendAddresses")
    if addresses is not None and not isinstance(addresses, list):
        raise Invalid(f"its loadBalancerBackendAddresses {_is(addresses, 'a list')}")
    for address in addresses or ():
        inner = properties(address, frozenset({"networkInterfaceIPConfiguration", "ipAddress"}))
        cfg = ref(inner.get("networkInterfaceIPConfiguration"), "address's IP configuration")
        if cfg:
            members.append(cfg)
        elif address := text(inner, "ipAddress"):
            members.append(f"address {address}")  # no NIC named: the path is unresolved
    return Pool(pid, text(entry, "name"), tuple(members))


POOLS = ListSpec(
    "backendAddressPools",
    frozenset({"backendIPConfigurations", "loadBalancerBackendAddresses"}),
    _pool,
)


@dataclass(frozen=True)
class ScaleSetIpConfig:
    name: str | None
    subnet: str | None
    public_ip: str | None  # the name of its publicIPAddressConfiguration: one per instance
    public_ip_sku: str | None
    pools: tuple[str, ...]
    nat_pools: tuple[str, ...]
    asgs: tuple[str, ...] = ()  # applicationSecurityGroups the instances' NICs join


@dataclass(frozen=True)
class ScaleSetNic:
    """A scale set's NIC configuration: every instance gets a NIC made from it."""

    name: str | None
    nsg: str | None
    ip_configs: tuple[ScaleSetIpConfig, ...]


def _scale_set_ip(entry: dict[str, Any], props: dict[str, Any]) -> ScaleSetIpConfig:
    public = props.get("publicIPAddressConfiguration")
    name = sku = None
    if public is not None:
        if not isinstance(public, dict):
            raise Invalid(f"its publicIPAddressConfiguration {_is(public, 'an object')}")
        name = text(public, "name") or "(unnamed)"
        sku = text(obj(public, "sku") or {}, "name")
    return ScaleSetIpConfig(
        text(entry, "name"),
        ref(props.get("subnet"), "subnet", SUBNET_TYPE),
        name,
        sku,
        refs_in(props, "loadBalancerBackendAddressPools", LB_POOL_TYPE),
        refs_in(props, "loadBalancerInboundNatPools", LB_NAT_POOL_TYPE),
        refs_in(props, "applicationSecurityGroups", None),
    )


_SCALE_SET_IP = ListSpec(
    "ipConfigurations",
    frozenset(
        {
            "subnet",
            "publicIPAddressConfiguration",
            "loadBalancerBackendAddressPools",
            "loadBalancerInboundNatPools",
            "applicationSecurityGroups",
            "primary",
        }
    ),
    _scale_set_ip,
)


def _scale_set_nic(entry: dict[str, Any], props: dict[str, Any]) -> ScaleSetNic:
    if props.get("ipConfigurations") is None:  # Azure requires one: what it holds is unknown
        raise Invalid("it has no ipConfigurations")
    good, bad = read_list(props.get("ipConfigurations"), _SCALE_SET_IP)
    if bad:  # one unreadable IP configuration leaves the whole NIC's exposure unknown
        where = "" if bad[0].index is None else f"[{bad[0].index}]"
        raise Invalid(f"its ipConfigurations{where} cannot be read: {bad[0].why}")
    return ScaleSetNic(
        text(entry, "name"),
        ref(props.get("networkSecurityGroup"), "networkSecurityGroup", None),
        tuple(good),
    )


SCALE_SET_NICS = ListSpec(
    "networkInterfaceConfigurations",
    frozenset({"ipConfigurations", "networkSecurityGroup", "primary"}),
    _scale_set_nic,
)
