"""``mlops-audit partition``: split a snapshot into snapshots that no rule crosses.

docs/scale.md: the partitions of a tenant too large for one machine are the connected
components of the audit graph taken undirected (every edge kind), plus the joins the
relations make by IP or by a name in properties rather than by edge (an A record with every
endpoint holding its IP, a DNS server IP with the firewall or resolver listening on it, a
firewall with its subnet's VNet and its DNS proxy's servers, a managed-network outbound rule
with its private endpoint's target),
and every row goes with its parent resource (a zone's records and links, a VM's extensions,
a workspace's computes). Whole components are packed into N snapshots of similar row
counts; each is scanned on its own and ``mlops-audit merge`` joins their JSON reports.

Fail closed: every row of the input lands in exactly one part (rows of one id together), and
what the input says it lacks (``failures``) and its ``notes`` go into every part, so each
partition's scan is as incomplete as the whole; each part declares the collections the
whole held, and is marked with its split's id, its index and the count, so merge can tell a
part missing (a coverage gap) or given twice (refused).
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import arm
from .collections import NAMES
from .crossref import flagged_key, lineage
from .files import InputError, read_json

if TYPE_CHECKING:
    import networkx as nx

    from .estate import Estate
    from .graph import AuditGraph


def components(estate: Estate) -> list[list[str]]:
    """The estate's partitions no rule crosses, as lists of row keys (``arm.key``), each
    sorted, the list ordered by its first key."""
    import networkx as nx

    from .graph import build

    g = build(estate)
    joined = nx.Graph()  # undirected, ends only: the edges' attributes are not needed
    joined.add_nodes_from(g.nodes())
    joined.add_edges_from(g.edge_ends())
    for k in g.nodes_of_kind("dns_record"):  # an A record joins every endpoint with its IP
        props = g.row(k).get("properties")
        records = props.get("aRecords") if isinstance(props, dict) else None
        for rec in records if isinstance(records, list) else ():
            ip = rec.get("ipv4Address") if isinstance(rec, dict) else None
            for pe in g.endpoint_ips.get(str(ip), ()) if ip else ():
                joined.add_edge(k, pe)
    _join_by_ip(g, joined)
    _join_outbound_rules(g, joined)
    for k in estate.rows:  # a child row goes with its parent resource, when held
        joined.add_node(k)
        up = arm.parent(k)
        while up.count("/") > 4:  # /subscriptions/s/resourcegroups/rg/providers/... only
            if up in estate.rows:
                joined.add_edge(k, up)
                break
            up = arm.parent(up)
    out = []
    for comp in nx.connected_components(joined):
        held = sorted(k for k in comp if k in estate.rows)
        if held:
            out.append(held)
    out.sort(key=lambda c: c[0])
    return out


def _join_by_ip(g: AuditGraph, joined: nx.Graph) -> None:
    """The DNS answer follows a server IP to the resolver listening on it (an inbound
    endpoint, an Azure Firewall) by address, not by edge; a firewall then asks Azure DNS in
    the VNet of its subnet, or its proxy's servers: join each with all of those."""
    from .relations.dns_answer import _ip_owners, _vnet_of_ipconfigs, firewall_dns

    owners = _ip_owners(g)
    for k in g.nodes():  # the DNS server nodes (no ARM type: keyed by their IP)
        if k.startswith("dns-server:"):
            for _, owner in owners.get(k.removeprefix("dns-server:"), ()):
                joined.add_edge(k, owner)
    for kind in ("dns_inbound_endpoint", "azure_firewall"):
        for k in g.nodes_of_kind(kind):
            vnet = _vnet_of_ipconfigs(g, k)
            if vnet is not None:
                joined.add_edge(k, vnet)
            settings = firewall_dns(g, k) if kind == "azure_firewall" else None
            for ip in settings[1] if isinstance(settings, tuple) else ():
                for vnet, _ in g.vnets_containing(str(ip)):
                    joined.add_edge(k, vnet)
                for _, owner in owners.get(str(ip), ()):
                    joined.add_edge(k, owner)


def _join_outbound_rules(g: AuditGraph, joined: nx.Graph) -> None:
    """A workspace's managed-network private-endpoint rule names its target by id in its
    properties (no edge): the rule is judged by whether that resource is in the estate."""
    for k in g.nodes_of_kind("aml_workspace"):
        props = g.row(k).get("properties")
        managed = props.get("managedNetwork") if isinstance(props, dict) else None
        rules = managed.get("outboundRules") if isinstance(managed, dict) else None
        for rule in rules.values() if isinstance(rules, dict) else ():
            dest = rule.get("destination") if isinstance(rule, dict) else None
            target = dest.get("serviceResourceId") if isinstance(dest, dict) else None
            if isinstance(target, str) and target.strip():
                joined.add_edge(k, arm.key(target))


def pack(groups: Iterable[list[str]], weights: dict[str, int], parts: int) -> list[list[str]]:
    """Groups into at most ``parts`` bins of similar weight: heaviest group first into the
    lightest bin (ties: the lower bin), deterministic."""
    ordered = sorted(groups, key=lambda g: (-sum(weights.get(k, 1) for k in g), g[0]))
    parts = min(parts, len(ordered))  # a bin per group at most: --parts 10**9 is no 10**9 list
    bins: list[list[str]] = [[] for _ in range(parts)]
    heap = [(0, i) for i in range(parts)]
    for group in ordered:
        load, i = heapq.heappop(heap)
        bins[i].extend(group)
        heapq.heappush(heap, (load + sum(weights.get(k, 1) for k in group), i))
    return [b for b in bins if b]


def split(path: str | Path, parts: int) -> list[dict[str, Any]]:
    """The snapshot at ``path`` as at most ``parts`` snapshot documents of whole components,
    rows in the input's order."""
    f = Path(path)
    doc = read_json(f, "mlops-audit snapshot")
    if not isinstance(doc, dict) or doc.get("format") != "mlops-audit-snapshot":
        raise InputError(f, "not a mlops-audit snapshot (mlops-audit collect)")
    from .inputs import load

    # the snapshot reader's checks and messages; a second parse, since merging duplicate
    # ids into one row changes that row in place, and the parts must carry the rows as read
    estate = load([f])
    rows = doc["rows"]
    keyed = [(arm.key(r["id"]), r) for r in rows]
    weights: dict[str, int] = {}
    for k, _ in keyed:
        weights[k] = weights.get(k, 0) + 1
    bins = pack(components(estate), weights, max(parts, 1))
    where = {k: i for i, b in enumerate(bins) for k in b}
    header = {k: v for k, v in doc.items() if k != "rows"}
    # what the whole snapshot holds (declared, or evident from its rows) each part holds:
    # a part without gateway rows must still read "no gateway" as the whole does, not as
    # "gateways were not collected"
    header["collections"] = [c for c in NAMES if c in estate.collections()]
    # a snapshot of no rows is still one part: its failures and notes (everything denied,
    # say) must reach a scan, which reports it incomplete, rather than no part at all
    # which split this part is of, so merge can tell a part missing or given twice: the
    # source's row keys in order (cheap next to the parse; the same file, the same id)
    of = hashlib.sha256("\n".join(k for k, _ in keyed).encode("utf-8", "surrogatepass"))
    n = len(bins) or 1
    out: list[dict[str, Any]] = [
        dict(header, partition={"of": of.hexdigest()[:32], "part": i, "parts": n}, rows=[])
        for i in range(n)
    ]
    for k, r in keyed:
        i = where.get(k)
        if i is None:  # Azure's verdict on a resource (Estate.flags): in that resource's part
            about = flagged_key(r)
            i = next((where[p] for p in lineage(about) if p in where), 0) if about else 0
            where[k] = i  # a later row of the same id goes with it (the estate keeps the first)
        out[i]["rows"].append(r)
    return out


def text(doc: dict[str, Any]) -> str:
    """A part as the snapshot reader takes it: ASCII, so a lone surrogate in a name
    survives (as ``collect`` writes), and compact: an indent makes ``json`` encode in
    Python, several times slower at a tenant's size."""
    return json.dumps(doc, ensure_ascii=True, allow_nan=False, separators=(",", ":")) + "\n"
