"""Internet exposure paths: what carries traffic from the internet to a NIC, and which
ports arrive open.

A path starts at a public address and ends at a NIC (or a VM scale set's NIC
configuration, which stands for every instance's NIC: instance NICs are no Resource Graph
rows):

* a public IP on one of the NIC's IP configurations: every port and protocol arrives;
* a public load balancer: a frontend's public IP, then a load-balancing rule (frontend
  port → backend port, protocol, backend pools), an inbound NAT rule (to one IP
  configuration, or a port range to a pool) or an inbound NAT pool (a scale set's), then the
  backend's NIC: only the forwarded backend ports arrive;
* a scale set's instance-level public IPs (``publicIPAddressConfiguration``).

What is open along a path is what it carries ∩ what the subnet and NIC NSGs admit from the
internet (``nsg_eval.open_ports``). With no NSG at either level, Azure's SKU decides: a
Standard public IP or load balancer is secure by default (closed until an NSG admits), a
Basic one is open. Azure Bastion's public IP sits on the Bastion host, not on a NIC, so it
starts no path; a jump host reached only through Bastion has none.

Fail closed: a public IP bound to a NIC (or a load balancer, or a backend) that is not in
the estate is reported on the public IP as not evaluated with the reason, never dropped;
NSGs the evaluator cannot read leave the path unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import arm
from ..embedded import MAX_PORT
from ..unknown import UnknownValue
from . import nsg_eval
from .base import Answer, Item, Unknown, by_id, memoized, relation
from .hops import unreadable_items
from .nsg_eval import Endpoint, OpenPorts, Step

if TYPE_CHECKING:
    from ..graph import AuditGraph, LbForward

Intervals = tuple[tuple[int, int], ...]
ALL: Intervals = ((0, MAX_PORT),)
# management ports: (protocol, port) -> service
MANAGEMENT = {
    ("Tcp", 22): "SSH",
    ("Tcp", 3389): "RDP",
    ("Udp", 3389): "RDP",
    ("Tcp", 5985): "WinRM",
    ("Tcp", 5986): "WinRM",
}
PROTOCOLS = ("Tcp", "Udp")
FIELDS = (
    "entry",
    "entry_id",
    "address",
    "via",
    "forwards",
    "target",
    "route",
    "open",
    "management",
    "management_route",
    "other",
    "other_route",
    "hops",
    "deciding",
)


@dataclass
class Path:
    """One way in from the internet to a target (NIC or scale set)."""

    key: str  # identifies the path: the public IP's id, or the LB rule's
    entry: str  # "public IP pip-x (20.1.2.3)"
    entry_id: str | None
    address: str | None
    via: str | None  # "load balancer lb, frontend fe, inbound NAT rule r TCP 50022→22"
    forwards: str  # what the path carries: "every port", "TCP 50022→22"
    carries: dict[str, Intervals]  # protocol -> backend ports carried
    sku: str | None  # the SKU that decides with no NSG (public IP's or LB's); None unknown
    sku_of: str  # "public IP" | "load balancer"
    hops: list[dict[str, Any]] = field(default_factory=list)
    unknown: str | None = None


# -- interval helpers ---------------------------------------------------------------------------
def _cap(a: Intervals, b: Intervals) -> Intervals:
    return nsg_eval.intersection(a, b)


def ports_text(ports: Intervals) -> str:
    return ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports)


def _proto_text(protocol: str) -> str:
    return protocol.upper()


def _pip_text(g: AuditGraph, pip: str | None) -> tuple[str, str | None]:
    """("public IP name (address)", address) for a public IP node."""
    if pip is None:
        return "a public IP prefix", None
    if not g.seen(pip):
        return f"public IP {g.name(pip)} (not in the estate)", None
    props = g.row(pip).get("properties")
    address = props.get("ipAddress") if isinstance(props, dict) else None
    if type(address) is UnknownValue:  # Terraform: Azure assigns it at apply
        return f"public IP {g.name(pip)} (address known after apply)", "known after apply"
    return f"public IP {g.name(pip)} ({address or 'no address yet'})", address


def _sku(g: AuditGraph, k: str | None) -> str | None:
    if k is None or not g.seen(k):
        return None
    sku = g.row(k).get("sku")
    name = sku.get("name") if isinstance(sku, dict) else None
    return name if isinstance(name, str) and name else None


# -- the graph as the evaluator sees a scale set: its NIC configuration is a NIC -----------
class _ScaleSetsAsNics:
    """Delegates to the graph, but a scale set is of kind ``nic``: its NIC configuration's
    NSG (``protects``) and subnet (``in_subnet``) are what an instance's NIC has."""

    def __init__(self, g: AuditGraph) -> None:
        self._g = g
        self.memo: dict[Any, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._g, name)

    def kind(self, k: str) -> str:
        kind = self._g.kind(k)
        return "nic" if kind == "vmss" else kind


def evaluator_graph(g: AuditGraph, k: str) -> Any:
    """The graph to ask the NSG evaluator about node ``k``."""
    if g.kind(k) != "vmss":
        return g
    return memoized(g, ("exposure.as_nics",), lambda: _ScaleSetsAsNics(g))


def _open(g: AuditGraph, k: str, protocol: str) -> OpenPorts:
    return nsg_eval.open_ports(evaluator_graph(g, k), Endpoint.internet(), k, protocol)


def _scale_set_asgs(g: AuditGraph, k: str) -> list[str]:
    names = {
        arm.last_name(a)
        for nic in g.scale_set_nics(k) or ()
        for cfg in nic.ip_configs
        for a in cfg.asgs
    }
    return sorted(names)


def has_nsg(g: AuditGraph, k: str) -> bool:
    """Whether an NSG is associated with the node or with a subnet it sits in."""
    if any(True for _ in g.into(k, "protects")):
        return True
    return any(any(True for _ in g.into(s, "protects")) for s, _ in g.out(k, "in_subnet"))


# -- the paths ------------------------------------------------------------------------------
def _direct(g: AuditGraph, k: str) -> list[Path]:
    """A NIC's own public IPs, or a scale set's instance-level public IPs."""
    paths = []
    if g.kind(k) == "nic":
        for pip, _ in g.into(k, "attached_to"):
            if g.kind(pip) != "public_ip":
                continue
            entry, address = _pip_text(g, pip)
            paths.append(
                Path(
                    key=g.display_id(pip),
                    entry=entry,
                    entry_id=g.display_id(pip),
                    address=address,
                    via=None,
                    forwards="every port",
                    carries={p: ALL for p in PROTOCOLS},
                    sku=_sku(g, pip),
                    sku_of="public IP",
                    hops=[_hop_pip(g, pip)],
                )
            )
    else:
        for nic in g.scale_set_nics(k) or ():
            for cfg in nic.ip_configs:
                if cfg.public_ip is None:
                    continue
                paths.append(
                    Path(
                        key=f"{g.display_id(k)}#{nic.name}/{cfg.name}/{cfg.public_ip}",
                        entry=f"instance public IPs ({cfg.public_ip})",
                        entry_id=None,
                        address="one per instance",
                        via=None,
                        forwards="every port",
                        carries={p: ALL for p in PROTOCOLS},
                        sku=cfg.public_ip_sku or "Basic",  # Azure's default SKU there
                        sku_of="public IP",
                        hops=[
                            {
                                "hop": "instance public IP",
                                "name": cfg.public_ip,
                                "nic_configuration": nic.name,
                                "ip_configuration": cfg.name,
                                "sku": cfg.public_ip_sku,
                            }
                        ],
                    )
                )
    return paths


def _hop_pip(g: AuditGraph, pip: str | None) -> dict[str, Any]:
    if pip is None:
        return {"hop": "public IP prefix"}
    props = g.row(pip).get("properties")
    return {
        "hop": "public IP",
        "id": g.display_id(pip),
        "name": g.name(pip),
        "address": props.get("ipAddress") if isinstance(props, dict) else None,
        "sku": _sku(g, pip),
        "in_estate": g.seen(pip),
    }


_KIND_WORDS = {
    "nic": "NIC",
    "vmss": "scale set",
    "load_balancer": "load balancer",
    "bastion": "Bastion host",
}
_RULE_WORDS = {
    "rule": "load-balancing rule",
    "nat_rule": "inbound NAT rule",
    "nat_pool": "inbound NAT pool",
}


def forward_text(f: LbForward) -> str:
    fw = f.forwarding
    front, back = fw.frontend_ports, fw.backend_ports
    fr = str(front[0]) if front[0] == front[1] else f"{front[0]}-{front[1]}"
    bk = str(back[0]) if back[0] == back[1] else f"{back[0]}-{back[1]}"
    proto = "TCP/UDP" if fw.protocol == "All" else fw.protocol.upper()
    return f"{proto} {fr}→{bk}"


def _via_lb(g: AuditGraph, k: str) -> list[Path]:
    paths = []
    for f in g.lb_forwards(k):
        fw = f.forwarding
        entry, address = _pip_text(g, f.public_ip)
        protocols = PROTOCOLS if fw.protocol == "All" else (fw.protocol,)
        carried = ((fw.backend_ports[0], fw.backend_ports[1]),)
        word = _RULE_WORDS[fw.kind]
        paths.append(
            Path(
                key=fw.id or f"{g.display_id(f.lb)}/{fw.kind}/{fw.name}",
                entry=entry,
                entry_id=g.display_id(f.public_ip) if f.public_ip else None,
                address=address,
                via=f"load balancer {g.name(f.lb)} (frontend {f.frontend}, {word} {fw.name} "
                f"{forward_text(f)})",
                forwards=forward_text(f),
                carries={p: carried for p in protocols},
                sku=_sku(g, f.lb),
                sku_of="load balancer",
                hops=[
                    _hop_pip(g, f.public_ip),
                    {
                        "hop": "load balancer",
                        "id": g.display_id(f.lb),
                        "name": g.name(f.lb),
                        "sku": _sku(g, f.lb),
                        "frontend": f.frontend,
                        "kind": word,
                        "rule": fw.name,
                        "protocol": fw.protocol,
                        "frontend_ports": list(fw.frontend_ports),
                        "backend_ports": list(fw.backend_ports),
                    },
                ],
            )
        )
    return paths


def paths_to(g: AuditGraph, k: str) -> list[Path]:
    """Every path from the internet to a NIC or scale set, in a fixed order."""
    found = _direct(g, k) + _via_lb(g, k)
    if len(found) > 1:
        found.sort(key=lambda p: (arm.key(p.key), p.key))
    return found


def target_text(g: AuditGraph, k: str) -> str:
    if g.kind(k) == "vmss":
        return f"scale set {g.name(k)} (its instances' NICs)"
    vm = next((g.name(v) for v, _ in g.out(k, "attached_to") if g.kind(v) == "vm"), None)
    return f"NIC {g.name(k)}" + (f" (VM {vm})" if vm else "")


# -- what arrives open ---------------------------------------------------------------------
@dataclass
class Exposure:
    """What a path delivers open: per protocol the ports and, per port run, the NSG steps
    that admit it; or why it cannot be told."""

    open: dict[str, Intervals]
    segments: dict[str, list[tuple[int, int, tuple[Step, ...]]]]
    no_nsg: str | None  # set when no NSG guards the target: what the SKU decides
    unknown: str | None = None


def exposure(g: AuditGraph, k: str, path: Path) -> Exposure:
    if path.unknown:
        return Exposure({}, {}, None, path.unknown)
    if g.kind(k) == "vmss" and (asgs := _scale_set_asgs(g, k)):
        return Exposure(
            {},
            {},
            None,
            f"scale set {g.name(k)}'s instances join application security groups "
            f"({', '.join(asgs)}), whose rules the evaluator applies to NICs in the estate only",
        )
    if not has_nsg(g, k):
        if path.sku is None:
            return Exposure(
                {},
                {},
                None,
                f"no NSG guards {target_text(g, k)} and the SKU of the {path.sku_of} on the "
                f"path ({path.entry}) is not in the estate: Standard is closed by default, "
                "Basic open",
            )
        if path.sku.lower() == "standard":
            why = f"no NSG at subnet or NIC: Standard SKU {path.sku_of} is closed by default"
            return Exposure({p: () for p in PROTOCOLS}, {}, why)
        why = f"no NSG at subnet or NIC: {path.sku} SKU {path.sku_of} is open by default"
        segs = {p: [(lo, hi, ()) for lo, hi in iv] for p, iv in path.carries.items()}
        return Exposure(dict(path.carries), segs, why)
    opened: dict[str, Intervals] = {}
    segments: dict[str, list[tuple[int, int, tuple[Step, ...]]]] = {}
    for proto, carried in path.carries.items():
        got = _open(g, k, proto)
        if got.unknown and _cap(got.undecided, carried):
            return Exposure({}, {}, None, "; ".join(got.unknown))
        opened[proto] = _cap(got.intervals, carried)
        segments[proto] = [
            (max(lo, clo), min(hi, chi), steps)
            for lo, hi, steps in got.segments
            for clo, chi in carried
            if lo <= chi and clo <= hi
        ]
    return Exposure(opened, segments, None)


def steps_text(g: AuditGraph, k: str, steps: tuple[Step, ...], no_nsg: str | None) -> str:
    """ "subnet NSG a allows (rule r, priority 100) → NIC NSG none"."""
    if no_nsg:
        return no_nsg
    by_level = {s.level: s for s in steps if s.direction == "Inbound"}
    parts = []
    for level, label in (("subnet", "subnet NSG"), ("nic", "NIC NSG")):
        s = by_level.get(level)
        if s is None:
            parts.append(f"{label} {_unreached(g, k, level)}")
            continue
        verb = "allows" if s.access == "Allow" else "denies"
        rules = f"rule {s.rule}, priority {s.priority}" + "".join(
            f"; rule {n}, priority {p}" for n, p in s.also
        )
        parts.append(f"{label} {arm.last_name(s.nsg)} {verb} ({rules})")
    return " → ".join(parts)


def _unreached(g: AuditGraph, k: str, level: str) -> str:
    """A level without a step: no NSG there, or NSGs a flow denied earlier never met."""
    at = [k] if level == "nic" else [s for s, _ in g.out(k, "in_subnet")]
    names = sorted({arm.last_name(g.display_id(n)) for a in at for n, _ in g.into(a, "protects")})
    return f"{', '.join(names)} not reached" if names else "none"


def _grouped(
    g: AuditGraph,
    k: str,
    ex: Exposure,
    keep: Any,
) -> list[tuple[str, str]]:
    """(steps text, "TCP 22, 3389") groups of the open ports ``keep(proto, lo, hi)`` selects
    (it returns the sub-intervals kept)."""
    groups: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for proto in PROTOCOLS:
        if ex.no_nsg:
            segs = [(lo, hi, ()) for lo, hi in ex.open.get(proto, ())]
        else:
            segs = ex.segments.get(proto, [])
        for lo, hi, steps in segs:
            for a, b in keep(proto, lo, hi):
                text = steps_text(g, k, steps, ex.no_nsg)
                groups.setdefault(text, {}).setdefault(proto, []).append((a, b))
    out = []
    for text, by_proto in groups.items():
        ports = "; ".join(
            f"{_proto_text(p)} {ports_text(tuple(iv))}" for p, iv in sorted(by_proto.items())
        )
        out.append((text, ports))
    return out


def _management(proto: str, lo: int, hi: int) -> list[tuple[int, int]]:
    return [(p, p) for (pr, p) in MANAGEMENT if pr == proto and lo <= p <= hi]


def _others(proto: str, lo: int, hi: int) -> list[tuple[int, int]]:
    holes = tuple(sorted((p, p) for (pr, p) in MANAGEMENT if pr == proto))
    return list(nsg_eval.difference(((lo, hi),), holes))


def _deciding(ex: Exposure) -> list[dict[str, Any]]:
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for proto, segs in ex.segments.items():
        for _lo, _hi, steps in segs:
            for s in steps:
                key = (s.nsg.lower(), s.rule, s.priority)
                seen.setdefault(
                    key,
                    {
                        "nsg": s.nsg,
                        "level": s.level,
                        "rule": s.rule,
                        "priority": s.priority,
                        "access": s.access,
                        "protocol": proto,
                    },
                )
    return [seen[key] for key in sorted(seen, key=str)]


def _item(g: AuditGraph, k: str, path: Path) -> Item:
    ex = exposure(g, k, path)
    target = target_text(g, k)
    route = " → ".join(x for x in (path.entry, path.via, target) if x)
    hops = [*path.hops, {"hop": g.kind(k), "id": g.display_id(k), "name": g.name(k)}]
    extra: dict[str, Any] = {
        "entry": path.entry,
        "entry_id": path.entry_id,
        "address": path.address,
        "via": path.via,
        "forwards": path.forwards,
        "target": target,
        "route": route,
        "hops": hops,
    }
    if ex.unknown:
        extra.update(dict.fromkeys(("open", "management", "management_route", "other")))
        extra.update(other_route=None, deciding=[])
        return Item(key=path.key, extra=extra, unknown=f"{route}: {ex.unknown}")
    mgmt = _grouped(g, k, ex, _management)
    other = _grouped(g, k, ex, _others)
    everything = "; ".join(
        f"{_proto_text(p)} {ports_text(iv)}" for p, iv in sorted(ex.open.items()) if iv
    )
    extra.update(
        open=everything or "none",
        management="; ".join(ports for _, ports in mgmt) or None,
        management_route="; ".join(f"{route} → {t} → {ports} open" for t, ports in mgmt) or None,
        other="; ".join(ports for _, ports in other) or None,
        other_route="; ".join(f"{route} → {t} → {ports} open" for t, ports in other) or None,
        deciding=_deciding(ex),
    )
    return Item(key=path.key, extra=extra)


def _outside(g: AuditGraph, pip: str) -> list[Item]:
    """A public IP's paths that end outside the estate: bound to a NIC (or a load
    balancer) that is not in it, or forwarded by its load balancer to one."""
    items = []
    entry, _ = _pip_text(g, pip)
    for target, _ in g.out(pip, "attached_to"):
        if not g.seen(target):
            what = _KIND_WORDS.get(g.kind(target), "resource")
            items.append(
                Item(
                    key=f"{g.display_id(pip)}>{g.display_id(target)}",
                    unknown=f"{entry} is bound to {what} {g.name(target)}, which is not in the "
                    "estate: what its NSGs admit from the internet cannot be evaluated",
                )
            )
            continue
        if g.kind(target) != "load_balancer":
            continue
        for backend, _ in g.into(target, "backend_of"):
            if g.seen(backend):
                continue
            for f in g.lb_forwards(backend):
                if f.lb == target and f.public_ip == pip:
                    items.append(
                        Item(
                            key=f"{g.display_id(pip)}>{f.forwarding.id or f.forwarding.name}",
                            unknown=f"{entry} → load balancer {g.name(target)} "
                            f"{_RULE_WORDS[f.forwarding.kind]} {f.forwarding.name} "
                            f"{forward_text(f)} → {_KIND_WORDS.get(g.kind(backend), 'NIC')} "
                            f"{g.name(backend)}, which is not in "
                            "the estate: what its NSGs admit cannot be evaluated",
                        )
                    )
    for why in g.lb_unresolved(pip):
        items.append(Item(key=f"{g.display_id(pip)}>{why}", unknown=f"{entry}: {why}"))
    return by_id(items)


@relation("internet_paths", "nic", "vmss", "public_ip", fields=FIELDS, node=False)
def internet_paths(g: AuditGraph, k: str) -> Answer:
    """Each path from the internet to the NIC or scale set: its public IP (or a public load
    balancer's frontend and the rule, NAT rule or NAT pool with its frontend→backend ports),
    the target, and what arrives open (carried ports ∩ what the subnet and NIC NSGs admit
    from the internet; no NSG: the SKU decides). extra: entry, address, via, forwards,
    target, route, open, management / management_route (SSH, RDP, WinRM ports open, with
    the deciding NSG rules), other / other_route, hops, deciding. On a public IP: an item
    marked unknown for each path that ends outside the estate (its NIC, load balancer or
    backend is not in it); on a NIC, one marked unknown per IP configuration that cannot be
    read (it may hold a public IP)."""
    # MLA-EXP-001, MLA-EXP-002 and MLA-PIP-001 ask alike, of one subject: the engine keeps
    # the answer while it judges the subject, so nothing is kept here
    kind = g.kind(k)
    if kind == "public_ip":
        return _outside(g, k)
    if kind == "vmss" and g.unreadable(k, "networkInterfaceConfigurations"):
        return Unknown.of(*(str(u) for u in g.unreadable(k, "networkInterfaceConfigurations")))
    items = [_item(g, k, p) for p in paths_to(g, k)]  # most NICs have none
    # an IP configuration that cannot be read may hold a public IP or a pool membership
    if kind == "nic" and (hidden := unreadable_items(g, k, ("ipConfigurations",))):
        items += hidden
    # a load balancer membership the estate cannot follow may carry a path from the internet
    if unresolved := g.lb_unresolved(k):
        items += by_id(
            Item(key=f"{g.display_id(k)}>{why}", unknown=f"{target_text(g, k)}: {why}")
            for why in dict.fromkeys(unresolved)
        )
    return items


@relation(
    "public_ip_admits",
    "nic",
    "vmss",
    "public_ip",
    fields=("holder", "pip_name", "ip_address", "sku", "admits"),
    node=False,
)
def public_ip_admits(g: AuditGraph, k: str) -> Answer:
    """The public IPs on the NIC (or a scale set's instance public IPs) and what its NSGs
    admit on them from the internet (extra: holder, pip_name, ip_address, sku, admits: "none",
    "every port", the ports, or "unknown (why)"). On a public IP bound to a NIC that is not in
    the estate: an item marked unknown saying so; on a NIC, one per IP configuration that
    cannot be read."""
    if g.kind(k) == "public_ip":
        entry, _ = _pip_text(g, k)
        return [
            Item(
                key=g.display_id(t),
                unknown=f"{entry} is bound to {_KIND_WORDS[g.kind(t)]} {g.name(t)}, which is not "
                "in the estate: "
                "what its NSGs admit from the internet cannot be evaluated",
            )
            for t, _ in g.out(k, "attached_to")
            if not g.seen(t) and g.kind(t) in ("nic", "vmss")
        ]
    items = []
    for path in _direct(g, k):
        ex = exposure(g, k, path)
        holder = target_text(g, k)
        pip_node = arm.key(path.entry_id) if path.entry_id else None
        if ex.unknown:  # the public IP is there all the same: only what passes is unknown
            admits = f"unknown ({ex.unknown})"
        elif all(ex.open.get(p) == ALL for p in PROTOCOLS):
            admits = "every port" + (f" ({ex.no_nsg})" if ex.no_nsg else "")
        else:
            ports = "; ".join(
                f"{_proto_text(p)} {ports_text(iv)}" for p, iv in sorted(ex.open.items()) if iv
            )
            admits = ports or ("none" + (f" ({ex.no_nsg})" if ex.no_nsg else ""))
        extra = {
            "holder": holder,
            "pip_name": g.name(pip_node) if pip_node else path.entry,
            "ip_address": path.address,
            "sku": path.sku,
            "admits": admits,
        }
        items.append(Item(key=path.key, extra=extra))
    found = by_id(items)
    if g.kind(k) == "nic" and (hidden := unreadable_items(g, k, ("ipConfigurations",))):
        found += hidden
    return found


__all__ = [
    "MANAGEMENT",
    "Exposure",
    "Path",
    "evaluator_graph",
    "exposure",
    "has_nsg",
    "internet_paths",
    "paths_to",
    "public_ip_admits",
    "steps_text",
    "target_text",
]
