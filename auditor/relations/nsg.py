"""NSG arithmetic: what a network security group decides for traffic from the internet.

Rules are evaluated as Azure evaluates them: custom rules by priority, first match wins,
then the default rules (which stand in for a row that omits them). A Deny counts only when
it covers every destination behind the NSG.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import Answer, Item, Unknown, relation

if TYPE_CHECKING:
    from ..graph import AuditGraph

TCP_PORTS = (0, 65535)
INTERNET_SOURCES = frozenset({"*", "internet", "any", "0.0.0.0/0", "0.0.0.0", "::/0"})


ANY_DESTINATION = frozenset({"*", "any", "virtualnetwork", "0.0.0.0/0", "::/0"})
PORT = re.compile(r"[0-9]{1,5}")
# Azure's default inbound rules: present on every NSG, so a row that omits them still has them.
DEFAULT_INBOUND = (
    ("AllowVnetInBound", 65000, "Allow", "VirtualNetwork"),
    ("AllowAzureLoadBalancerInBound", 65001, "Allow", "AzureLoadBalancer"),
    ("DenyAllInBound", 65500, "Deny", "*"),
)


def _as_list(props: dict[str, Any], single: str, plural: str) -> list[str]:
    many = props.get(plural)
    values = [v for v in many if isinstance(v, str)] if isinstance(many, list) else []
    one = props.get(single)
    if isinstance(one, str) and one:
        values.append(one)
    return values


def _port_ranges(specs: list[str]) -> list[tuple[int, int]]:
    ranges = []
    for spec in specs:
        spec = spec.strip()
        lo, _, hi = spec.partition("-")
        if spec.lower() in ("*", "any"):
            ranges.append(TCP_PORTS)
        elif PORT.fullmatch(lo.strip()) and PORT.fullmatch((hi or lo).strip()):
            ranges.append((int(lo), int(hi or lo)))
    return ranges


@dataclass(frozen=True)
class NsgRule:
    name: str
    priority: int
    access: str
    ports: tuple[tuple[int, int], ...]
    sources: tuple[str, ...]
    default: bool


def _priority(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return 65535


def _applies_to_every_target(p: dict[str, Any]) -> bool:
    """A Deny only shuts a port for the whole NSG when it names no narrower destination
    and no source port: a Deny aimed at one host leaves later Allows open elsewhere."""
    if p.get("destinationApplicationSecurityGroups"):
        return False
    targets = _as_list(p, "destinationAddressPrefix", "destinationAddressPrefixes") or ["*"]
    source_ports = _as_list(p, "sourcePortRange", "sourcePortRanges") or ["*"]
    return any(t.strip().lower() in ANY_DESTINATION for t in targets) and any(
        sp.strip() == "*" or _port_ranges([sp]) == [TCP_PORTS] for sp in source_ports
    )


def nsg_rules(row: dict[str, Any]) -> list[tuple[bool, dict[str, Any]]] | None:
    """(is_default, rule properties with its name) of every rule, or None when the row
    lacks its rules. Azure's defaults stand in for a row that omits them."""
    props = row.get("properties")
    if not isinstance(props, dict) or not isinstance(props.get("securityRules"), list):
        return None

    def flat(rules: Any) -> list[dict[str, Any]]:
        return [
            {**r["properties"], "name": r.get("name")}
            for r in rules
            if isinstance(r, dict) and isinstance(r.get("properties"), dict)
        ]

    defaults = props.get("defaultSecurityRules")
    fixed = (
        flat(defaults)
        if isinstance(defaults, list) and defaults
        else [
            {
                "name": name,
                "priority": priority,
                "access": access,
                "direction": "Inbound",
                "protocol": "*",
                "sourceAddressPrefix": source,
                "sourcePortRange": "*",
                "destinationAddressPrefix": "*",
                "destinationPortRange": "*",
            }
            for name, priority, access, source in DEFAULT_INBOUND
        ]
    )
    return [(False, p) for p in flat(props["securityRules"])] + [(True, p) for p in fixed]


def internet_tcp_rules(row: dict[str, Any]) -> list[NsgRule]:
    """Inbound rules that decide TCP traffic from the internet at large, by priority
    (custom rules first, then the defaults). A Deny counts only when it covers every
    destination behind the NSG; an Allow counts whatever it targets."""
    rules = []
    for default, p in nsg_rules(row) or []:
        if str(p.get("direction", "")).lower() != "inbound":
            continue
        if str(p.get("protocol", "*")).lower() not in ("*", "tcp"):
            continue
        sources = _as_list(p, "sourceAddressPrefix", "sourceAddressPrefixes")
        internet = [
            src
            for src in sources
            if src.strip().lower() in INTERNET_SOURCES or src.strip().endswith("/0")
        ]
        if not internet or p.get("sourceApplicationSecurityGroups"):
            continue
        access = str(p.get("access", ""))
        if access.lower() != "allow" and not _applies_to_every_target(p):
            continue
        ports = _port_ranges(_as_list(p, "destinationPortRange", "destinationPortRanges"))
        rules.append(
            NsgRule(
                str(p.get("name")),
                _priority(p.get("priority")),
                access,
                tuple(ports),
                tuple(internet),
                default,
            )
        )
    rules.sort(key=lambda r: (r.default, r.priority))
    return rules


def decide(rules: list[NsgRule], port: int) -> NsgRule | None:
    """The first rule by priority that matches TCP ``port`` from the internet."""
    for rule in rules:
        if any(lo <= port <= hi for lo, hi in rule.ports):
            return rule
    return None


def allowed_ports(rules: list[NsgRule]) -> tuple[list[tuple[int, int]], list[NsgRule]]:
    """TCP port intervals the internet is admitted to (first match wins), and the Allow
    rules that decide at least one of those ports."""
    decided: list[tuple[int, int]] = []
    allowed: list[tuple[int, int]] = []
    openers: list[NsgRule] = []
    for rule in rules:
        for lo, hi in rule.ports:
            fresh = _subtract((lo, hi), decided)
            if fresh and rule.access.lower() == "allow":
                allowed.extend(fresh)
                if rule not in openers:
                    openers.append(rule)
            decided = _union([*decided, (lo, hi)])
    return _union(allowed), openers


def _union(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _subtract(rng: tuple[int, int], taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = [rng]
    for a, b in taken:
        nxt = []
        for lo, hi in pieces:
            if b < lo or a > hi:
                nxt.append((lo, hi))
                continue
            if lo < a:
                nxt.append((lo, a - 1))
            if hi > b:
                nxt.append((b + 1, hi))
        pieces = nxt
    return pieces


MANAGEMENT_PORTS = {22: "SSH", 3389: "RDP"}


@relation(
    "internet_inbound",
    "nsg",
    fields=("port", "service", "access", "rule", "priority", "source", "attached_to"),
    node=False,
)
def internet_inbound(g: AuditGraph, k: str) -> Answer:
    """What the NSG decides for TCP from the internet, evaluated like Azure (custom rules
    by priority, first match wins, then the defaults): one item per management port
    (extra: port, service, access, rule, priority, source) and one for all ports
    (port "all"; access Allow only when every port is admitted). extra.attached_to names
    the subnets and NICs the NSG protects."""
    if nsg_rules(g.row(k)) is None:
        return Unknown.of(f"NSG {g.name(k)} has no securityRules list in its row")
    rules = internet_tcp_rules(g.row(k))
    attached = sorted(g.name(t) for t, _ in g.out(k, "protects"))
    items = []
    for port, service in MANAGEMENT_PORTS.items():
        rule = decide(rules, port)
        items.append(
            Item(
                key=f"tcp/{port}",
                extra={
                    "port": port,
                    "service": service,
                    "access": rule.access if rule else "Deny",
                    "rule": rule.name if rule else "(no rule: denied)",
                    "priority": rule.priority if rule else None,
                    "source": ", ".join(rule.sources) if rule else None,
                    "attached_to": attached,
                },
            )
        )
    allowed, openers = allowed_ports(rules)
    everything = allowed in ([TCP_PORTS], [(1, 65535)])
    items.append(
        Item(
            key="tcp/all",
            extra={
                "port": "all",
                "service": "all ports",
                "access": "Allow" if everything else "Deny",
                "rule": ", ".join(r.name for r in openers) if everything else None,
                "priority": ", ".join(str(r.priority) for r in openers) if everything else None,
                "source": ", ".join(sorted({s for r in openers for s in r.sources}))
                if everything
                else None,
                "attached_to": attached,
            },
        )
    )
    return items
