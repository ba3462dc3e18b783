"""``mlops-audit resolve``: the DNS answer a client gets for a name, with the chain that
decides it — the semantics live in ``relations/dns_answer.py``; this module finds the
client the user named, asks, and renders the answer as text or JSON."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import arm
from ..relations import dns_answer as da
from ..relations.dns import endpoint_vnet
from ..relations.peering import connected_peers

if TYPE_CHECKING:
    from ..graph import AuditGraph

CLIENT_KINDS = ("vnet", "nic", "vm")
_FQDN = re.compile(
    r"^(?=.{1,253}\.?$)[A-Za-z0-9_*]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*\.?$"
)


class BadQuestion(Exception):
    """The question cannot be asked: a malformed name, a client the estate does not hold
    (with the nearest names), or one that names several resources."""


@dataclass
class Resolution:
    fqdn: str
    client: str  # the client node (a VNet or NIC)
    client_kind: str
    vnet: str | None
    servers: list[str]
    paths: list[da.DnsAnswer]
    answer: da.DnsAnswer
    endpoints: list[dict[str, Any]] = field(default_factory=list)


def find_client(g: AuditGraph, text: str) -> str:
    """The VNet, NIC or VM a ``--from`` value names: an ARM id, or a name (any case)."""
    wanted = text.strip()
    if not wanted:
        raise BadQuestion("--from: needs a VNet, NIC or VM name or ARM id")
    candidates = [k for kind in CLIENT_KINDS for k in g.nodes_of_kind(kind)]
    if wanted.startswith("/"):
        k = arm.key(wanted)
        if k in candidates:
            return k
        found: list[str] = []
    else:
        found = [k for k in candidates if g.name(k).lower() == wanted.lower()]
        if len(found) == 1:
            return found[0]
    if len(found) > 1:
        ids = ", ".join(sorted(g.display_id(k) for k in found))
        raise BadQuestion(
            f"--from {wanted}: several resources have this name; give the ARM id: {ids}"
        )
    names = sorted({g.name(k) for k in candidates} | {g.display_id(k) for k in candidates})
    near = difflib.get_close_matches(wanted, names, n=3, cutoff=0.6)
    near = near or difflib.get_close_matches(
        wanted.lower(), [n.lower() for n in names], n=3, cutoff=0.6
    )
    hint = f"; did you mean {' or '.join(near)}?" if near else ""
    raise BadQuestion(
        f"--from {wanted}: no VNet, NIC or VM of the estate has this name or id{hint}"
    )


def ask(g: AuditGraph, fqdn: str, client_text: str) -> Resolution:
    name = fqdn.strip()
    if not _FQDN.match(name):
        raise BadQuestion(f"{fqdn!r} is not a DNS name")
    client = find_client(g, client_text)
    kind = g.kind(client)
    if kind == "vm":
        nics = sorted(n for n, _ in g.into(client, "attached_to") if g.kind(n) == "nic")
        if not nics:
            raise BadQuestion(f"--from {client_text}: VM {g.name(client)} has no NIC in the estate")
        if len(nics) > 1:  # NICs may sit in different VNets or name their own DNS servers
            raise BadQuestion(
                f"--from {client_text}: VM {g.name(client)} has several NICs; give one of "
                f"them: {', '.join(g.display_id(n) for n in nics)}"
            )
        client, kind = nics[0], "nic"
    vnet, servers = da.client_servers(g, client)
    who = g.name(client) if kind == "vnet" else f"NIC {g.name(client)}"
    if vnet is not None and kind == "nic":
        who += f" in {g.name(vnet)}"
    paths = da.resolve(g, name, vnet, servers, who)
    answer = da.summary(paths)
    owners = da.endpoint_names(g).by_name.get(da.private_name(g, name), {})
    endpoints = []
    for pe in sorted(owners):
        home = endpoint_vnet(g, pe)
        reaches = (
            vnet is not None
            and home is not None
            and any(v == vnet for v, _ in connected_peers(g, home))
        )
        endpoints.append(
            {
                "id": g.display_id(pe),
                "name": g.name(pe),
                "ips": sorted(owners[pe]),
                "vnet": g.display_id(home) if home else None,
                "reaches": reaches,
            }
        )
    return Resolution(name, client, kind, vnet, servers, paths, answer, endpoints)


def _zone(g: AuditGraph, zone: str | None) -> dict[str, Any] | None:
    if zone is None:
        return None
    row, rid = g.row(zone), g.display_id(zone)
    return {
        "id": rid,
        "name": g.name(zone),
        "resourceGroup": row.get("resourceGroup") or arm.segment(rid, "resourceGroups"),
        "subscriptionId": row.get("subscriptionId") or arm.segment(rid, "subscriptions"),
    }


def to_json(g: AuditGraph, r: Resolution) -> str:
    a = r.answer
    doc = {
        "fqdn": r.fqdn,
        "from": {"id": g.display_id(r.client), "name": g.name(r.client), "kind": r.client_kind},
        "vnet": g.display_id(r.vnet) if r.vnet else None,
        "dns_servers": r.servers or ["Azure-provided DNS (168.63.129.16)"],
        "answer": a.answer,
        "address": a.address,
        "expected": list(a.expected),
        "cause": a.cause,
        "reason": a.reason,
        "zone": _zone(g, a.zone),
        "record": a.record,
        "chain": list(a.steps),
        "paths": [
            {
                "server": p.server,
                "answer": p.answer,
                "address": p.address,
                "zone": _zone(g, p.zone),
                "chain": list(p.steps),
                "reason": p.reason,
            }
            for p in r.paths
        ],
        "endpoints": r.endpoints,
    }
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


def _sentence(g: AuditGraph, a: da.DnsAnswer) -> str:
    if a.answer == da.PRIVATE:
        return f"private {a.address}"
    if a.answer == da.STALE:
        return (
            f"stale {a.address} — the endpoint's current IP is {', '.join(a.expected)} "
            f"(record {a.record})"
        )
    if a.answer == da.NXDOMAIN:
        z = _zone(g, a.zone) or {}
        why = (
            "a different zone of the same name answers there and lacks the record"
            if a.cause == da.CONFLICTING_ZONE
            else "the zone lacks the record"
        )
        return (
            f"NXDOMAIN — {why}: zone {z.get('name')} (resource group {z.get('resourceGroup')}, "
            f"subscription {z.get('subscriptionId')})"
        )
    if a.answer == da.PUBLIC:
        return "public — the public DNS answers (the service's public address)"
    return f"unknown — {a.reason}"


def to_text(g: AuditGraph, r: Resolution) -> str:
    lines = [
        f"{r.fqdn} from {r.client_kind.upper() if r.client_kind == 'nic' else 'VNet'} "
        f"{g.name(r.client)}"
    ]
    for i, p in enumerate(r.paths):
        if len(r.paths) > 1:
            lines.append(f"  path {i + 1} (DNS server {p.server or 'Azure-provided'}):")
        for step in p.steps:
            lines.append(f"    → {step}" if len(r.paths) > 1 else f"  → {step}")
        if len(r.paths) > 1:
            lines.append(f"    = {_sentence(g, p)}")
    lines.append(f"answer: {_sentence(g, r.answer)}")
    for e in r.endpoints:
        if not e["reaches"]:
            lines.append(
                f"note: {g.name(r.client)} does not reach endpoint {e['name']} (VNet "
                f"{arm.last_name(e['vnet'] or '?')}) over peering: peering is not transitive"
            )
    return "\n".join(lines) + "\n"
