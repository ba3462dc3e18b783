"""``mlops-audit reach``: can traffic from a source reach a resource on a port, and why.

The source is ``Internet``, an IP address or prefix, or a resource (a VNet, subnet, NIC,
VM, scale set, Bastion host, private endpoint, Azure ML compute) by ARM id or unique name;
the target a VM, NIC, subnet or scale set (a private endpoint, Bastion host or AML compute
is judged at its subnet; a public IP at the NIC it is bound to). From the internet, traffic
needs a public path first (``exposure.paths_to``: a public IP, a load balancer rule or NAT
rule, a scale set's instance public IPs): no path carrying the port is "denied" and says
so. Along each path, or from any other source directly, the NSG evaluator decides
(``nsg_eval.flow``: the source's outbound NSGs, then the target's subnet and NIC NSGs).

The answer is ``allowed`` when some path admits the flow, ``unknown`` when none does but
some cannot be decided (with the reasons), else ``denied``; each path carries its hops and
the NSG steps, and the answer names the deciding rule. JSON shape (``to_json``)::

    {"question": {"from": str, "to": str, "protocol": "Tcp"|"Udp", "port": int},
     "answer": "allowed"|"denied"|"unknown",
     "summary": str,                       # one sentence
     "rule": str|null,                     # the deciding NSG rule's name
     "deciding": {"nsg", "level", "attached_to", "direction", "rule", "priority",
                  "access", "default"}|null,   # the deciding NSG step
     "paths": [{"route": str, "target": str, "access": "Allow"|"Deny"|"Unknown",
                "hops": [...], "steps": [{"nsg", "level", "attached_to", "direction",
                "rule", "priority", "access", "default"}], "reasons": [str]}],
     "reasons": [str]}                     # why unknown
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .. import arm, embedded
from ..relations import exposure, nsg_eval
from ..relations.nsg_eval import Endpoint, Step

if TYPE_CHECKING:
    from ..graph import AuditGraph

# kinds a name may name, and what each stands for on either side
SOURCES = ("vnet", "subnet", "nic", "vm", "vmss", "bastion", "private_endpoint", "aml_compute")
TARGETS = ("vm", "nic", "subnet", "vmss", "private_endpoint", "aml_compute", "bastion", "public_ip")
_PORT = re.compile(r"\s*([0-9]{1,5})\s*(?:/\s*([A-Za-z]+)\s*)?")


class BadQuestion(Exception):
    """The question cannot be asked: a malformed port, an unknown or ambiguous resource
    (with a did-you-mean). The CLI prints it, exit 2."""


@dataclass
class PathAnswer:
    route: str
    target: str
    access: str  # Allow | Deny | Unknown
    hops: list[Any] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    rule: str | None = None
    detail: str = ""  # how the NSGs decided, in words
    deciding: dict[str, Any] | None = None  # the deciding step (NSG, level, rule, priority)


@dataclass
class ReachAnswer:
    source: str
    target: str
    protocol: str
    port: int
    answer: str  # allowed | denied | unknown
    summary: str
    rule: str | None
    paths: list[PathAnswer]
    reasons: list[str]
    deciding: dict[str, Any] | None = None


def parse_port(text: str) -> tuple[int, str]:
    """``22``, ``22/tcp``, ``3389/udp`` -> (port, "Tcp"|"Udp")."""
    m = _PORT.fullmatch(text or "")
    proto = (m.group(2) or "tcp").lower() if m else ""
    if not m or int(m.group(1)) > 65535 or proto not in ("tcp", "udp"):
        raise BadQuestion(f"--port {text!r}: expected PORT or PORT/tcp or PORT/udp, 0-65535")
    return int(m.group(1)), proto.capitalize()


def _names(g: AuditGraph, kinds: tuple[str, ...]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for kind in kinds:
        for k in g.nodes_of_kind(kind):
            index.setdefault(g.name(k).lower(), []).append(k)
    return index


def find(g: AuditGraph, text: str, kinds: tuple[str, ...], option: str) -> str:
    """The node a resource argument names: an ARM id, or a unique name (any case)."""
    wanted = text.strip()
    if not wanted:
        raise BadQuestion(f"{option}: needs a resource id or name")
    if wanted.startswith("/"):
        k = arm.key(wanted)
        if g.has_node(k) and g.seen(k) and g.kind(k) in kinds:
            return k
        if g.has_node(k) and g.seen(k):
            raise BadQuestion(
                f"{option} {wanted}: a {g.kind(k).replace('_', ' ')} cannot be asked here "
                f"(use one of: {', '.join(k.replace('_', ' ') for k in kinds)})"
            )
        if g.has_node(k) and g.kind(k) in kinds:
            return k  # referenced but not in the estate: the answer says unknown
    index = _names(g, kinds)
    found = index.get(arm.last_name(wanted).lower() if wanted.startswith("/") else wanted.lower())
    if found and len(found) == 1 and not wanted.startswith("/"):
        return found[0]
    if found and len(found) > 1:
        ids = ", ".join(sorted(g.display_id(k) for k in found))
        raise BadQuestion(f"{option} {wanted}: several resources have that name; give an id: {ids}")
    asked = arm.last_name(wanted) if wanted.startswith("/") else wanted
    other = sorted(
        {g.kind(k) for k in g.nodes() if g.seen(k) and g.name(k).lower() == asked.lower()}
    )
    if other and not wanted.startswith("/"):
        raise BadQuestion(
            f"{option} {wanted}: a {' / '.join(o.replace('_', ' ') for o in other)} cannot be "
            f"asked here (use one of: {', '.join(k.replace('_', ' ') for k in kinds)})"
        )
    close = difflib.get_close_matches(asked.lower(), list(index), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(g.name(index[c][0]) for c in close)}?)" if close else ""
    raise BadQuestion(f"{option} {wanted}: no such resource in the estate{hint}")


def _subnet_of(g: AuditGraph, k: str) -> str | None:
    return next((s for s, _ in g.out(k, "in_subnet")), None)


def _nics_of_vm(g: AuditGraph, vm: str) -> list[str]:
    return sorted(n for n, _ in g.into(vm, "attached_to") if g.kind(n) == "nic")


def source_endpoint(g: AuditGraph, text: str) -> tuple[Endpoint, str, str | None]:
    """(endpoint, its name, the node it stands for when a resource)."""
    word = text.strip()
    if word.lower() == "internet":
        return Endpoint.internet(), "Internet", None
    try:
        ipaddress.ip_network(word, strict=False)
        return Endpoint.ip(word), word, None
    except ValueError:
        pass
    k = find(g, word, SOURCES, "--from")
    kind = g.kind(k)
    node = k
    if kind == "vm":
        nics = _nics_of_vm(g, k)
        if not nics:
            raise BadQuestion(f"--from {word}: VM {g.name(k)} has no NIC in the estate")
        node = nics[0]
    elif kind in ("bastion", "private_endpoint", "aml_compute"):
        sub = _subnet_of(g, k)
        if sub is None:
            raise BadQuestion(f"--from {word}: {g.name(k)} sits in no subnet the estate names")
        node = sub
    return Endpoint.node(node), g.name(k), node


def targets(g: AuditGraph, k: str) -> tuple[list[str], list[str]]:
    """(the NICs / subnets / scale sets to judge, reasons when there are none)."""
    kind = g.kind(k)
    if not g.seen(k):
        return [], [f"{g.display_id(k)} is not in the estate"]
    if kind == "vm":
        nics = _nics_of_vm(g, k)
        return nics, [] if nics else [f"VM {g.name(k)} has no NIC in the estate"]
    if kind in ("nic", "subnet", "vmss"):
        return [k], []
    if kind == "public_ip":
        out, why = [], []
        for t, _ in g.out(k, "attached_to"):
            if not g.seen(t):
                why.append(
                    f"public IP {g.name(k)} is bound to {g.name(t)}, which is not in the estate"
                )
            elif g.kind(t) in ("nic", "vmss"):
                out.append(t)
            elif g.kind(t) == "load_balancer":
                out += sorted(b for b, _ in g.into(t, "backend_of"))
        if not out and not why:
            why.append(f"public IP {g.name(k)} is bound to no NIC in the estate")
        return out, why
    sub = _subnet_of(g, k)
    return ([sub], []) if sub else ([], [f"{g.name(k)} sits in no subnet the estate names"])


def _step(s: Step) -> dict[str, Any]:
    d = asdict(s)
    d.pop("also", None)
    return d


def _deciding(steps: tuple[Step, ...], access: str) -> Step | None:
    if access == "Deny":
        return next((s for s in steps if s.access == "Deny"), None)
    return steps[-1] if steps else None


def _judge(
    g: AuditGraph, src: Endpoint, t: str, protocol: str, port: int, route: str, hops: list[Any]
) -> PathAnswer:
    # a scale set on either side is judged by its NIC configuration, as a NIC
    scale_set = [n for n in (t, src.value if src.kind == "node" else "") if g.has_node(n)]
    ev = next((exposure.evaluator_graph(g, n) for n in scale_set if g.kind(n) == "vmss"), g)
    verdict = nsg_eval.flow(ev, src, Endpoint.node(t), protocol, port)
    step = _deciding(verdict.steps, verdict.access)
    detail = exposure.steps_text(g, t, verdict.steps, None) if verdict.steps else "no NSG"
    return PathAnswer(
        route=route,
        target=exposure.target_text(g, t) if g.kind(t) != "subnet" else f"subnet {g.name(t)}",
        access=verdict.access,
        hops=hops,
        steps=[_step(s) for s in verdict.steps],
        reasons=list(verdict.reasons),
        rule=step.rule if step else None,
        detail=detail,
        deciding=_step(step) if step else None,
    )


def _internet_paths(g: AuditGraph, t: str, protocol: str, port: int) -> list[PathAnswer]:
    found = []
    for path in exposure.paths_to(g, t):
        carried = path.carries.get(protocol, ())
        if not any(lo <= port <= hi for lo, hi in carried):
            continue
        route = " → ".join(x for x in (path.entry, path.via, exposure.target_text(g, t)) if x)
        if not exposure.has_nsg(g, t):
            ex = exposure.exposure(g, t, path)
            if ex.unknown:
                found.append(PathAnswer(route, exposure.target_text(g, t), "Unknown",
                                        path.hops, [], [ex.unknown]))  # fmt: skip
            else:
                is_open = any(lo <= port <= hi for lo, hi in ex.open.get(protocol, ()))
                found.append(PathAnswer(route, exposure.target_text(g, t),
                                        "Allow" if is_open else "Deny", path.hops,
                                        detail=ex.no_nsg or ""))  # fmt: skip
            continue
        found.append(_judge(g, Endpoint.internet(), t, protocol, port, route, path.hops))
    # what the graph cannot follow may be a path too: never "denied" over it
    why = list(g.lb_unresolved(t))
    if g.kind(t) == "vmss":
        why += [str(u) for u in g.unreadable(t, "networkInterfaceConfigurations")]
    if g.kind(t) == "nic":
        info = nsg_eval.nic_info(g, t)
        why += info.unknown
        for cfg in _ip_configs(g, t) if not info.unknown else ():
            why += g.address_members(cfg.private_ip) if cfg.private_ip else []
    if why:
        found.append(PathAnswer(f"unresolved paths to {exposure.target_text(g, t)}",
                                exposure.target_text(g, t), "Unknown",
                                reasons=list(dict.fromkeys(why))))  # fmt: skip
    return found


def _ip_configs(g: AuditGraph, nic: str) -> list[Any]:
    if not g.seen(nic):
        return []
    props = g.row(nic).get("properties")
    value = props.get("ipConfigurations") if isinstance(props, dict) else None
    return embedded.read_list(value, embedded.IP_CONFIGURATIONS)[0]


def reach(g: AuditGraph, source: str, target: str, port_text: str) -> ReachAnswer:
    port, protocol = parse_port(port_text)
    src, src_name, _ = source_endpoint(g, source)
    tk = find(g, target, TARGETS, "--to")
    nodes, why = targets(g, tk)
    what = f"{protocol.upper()} {port}"
    tname = g.name(tk)
    paths: list[PathAnswer] = []
    if src.kind == "internet":
        judged = list(nodes)
        if any(g.kind(n) == "subnet" for n in nodes):  # a subnet: its NICs' public paths
            judged = [
                m
                for n in nodes
                for m in ([n] if g.kind(n) != "subnet" else sorted(
                    x for x, _ in g.into(n, "in_subnet") if g.kind(x) in ("nic", "vmss")))
            ]  # fmt: skip
        for n in judged:
            paths += _internet_paths(g, n, protocol, port)
    else:
        for n in nodes:
            paths.append(_judge(g, src, n, protocol, port, f"{src_name} → {g.name(n)}", []))
    reasons = list(why) + [r for p in paths if p.access == "Unknown" for r in p.reasons]
    allowed = [p for p in paths if p.access == "Allow"]
    unknown = [p for p in paths if p.access == "Unknown"]
    if allowed:
        answer, rule = "allowed", allowed[0].rule
        summary = f"allowed: {src_name} reaches {tname} on {what} along {allowed[0].route}"
    elif unknown or why:
        answer, rule = "unknown", None
        summary = f"unknown: {'; '.join(dict.fromkeys(reasons))}"
    elif not paths and src.kind == "internet":
        answer, rule = "denied", None
        summary = (
            f"denied: no public IP or load balancer path to {tname} carries {what} "
            "(nothing from the internet arrives there)"
        )
    elif not paths:
        answer, rule = "denied", None
        summary = f"denied: nothing to judge at {tname}"
    else:
        answer, rule = "denied", paths[0].rule
        summary = f"denied: {src_name} → {tname} on {what}: {paths[0].detail or 'denied'}"
    decided_by = allowed[0] if allowed else paths[0] if answer == "denied" and paths else None
    return ReachAnswer(
        src_name, tname, protocol, port, answer, summary, rule, paths,
        list(dict.fromkeys(reasons)), decided_by.deciding if decided_by else None,
    )  # fmt: skip


def to_json(a: ReachAnswer) -> dict[str, Any]:
    return {
        "question": {"from": a.source, "to": a.target, "protocol": a.protocol, "port": a.port},
        "answer": a.answer,
        "summary": a.summary,
        "rule": a.rule,
        "deciding": a.deciding,
        "paths": [
            {
                "route": p.route,
                "target": p.target,
                "access": p.access,
                "hops": p.hops,
                "steps": p.steps,
                "reasons": p.reasons,
            }
            for p in a.paths
        ],
        "reasons": a.reasons,
    }


def render_text(a: ReachAnswer) -> str:
    lines = [f"{a.source} → {a.target} {a.protocol.upper()} {a.port}: {a.answer}", a.summary]
    for i, p in enumerate(a.paths, 1):
        verdict = {"Allow": "allowed", "Deny": "denied", "Unknown": "unknown"}[p.access]
        tail = f" → {p.detail}" if p.detail else ""
        lines.append(f"  path {i}: {p.route}{tail} → {verdict}")
        for r in p.reasons:
            lines.append(f"    why unknown: {r}")
    if a.deciding:
        d = a.deciding
        where = f"{d['level']} {arm.last_name(d['attached_to'])}"
        lines.append(
            f"deciding rule: {d['rule']} (NSG {arm.last_name(d['nsg'])} at {where}, "
            f"{d['direction'].lower()}, priority {d['priority']}, {d['access']})"
        )
    elif a.rule:
        lines.append(f"deciding rule: {a.rule}")
    return "\n".join(lines) + "\n"
