"""Stage 2: build the typed networkx graph of the estate (vocabulary in ``model.py``).

The builder reads each row once, so the graph is built in time linear in the estate. It
adds every seen row as a node first, then the edges its properties spell — one reader per
node kind, chosen by the kind ``model.py`` declares for the row's type; a reference to a
resource that is not in the estate becomes a placeholder node (``seen=False``). The graph
holds what the rows say; what follows from it (which A record names which endpoint, which
VNets must resolve a zone) is the relations' work.
"""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import count
from typing import TYPE_CHECKING, Any

from . import arm, embedded
from .embedded import Failed, Forwarding, ListSpec, ScaleSetNic, SecurityRule, T, Unreadable
from .estate import Estate
from .model import KIND_OF_TYPE, TYPE_OF_KIND

if TYPE_CHECKING:  # networkx is imported by ``g``, on first use: a scan may never ask it
    import networkx as nx

SUBNET_TYPE = TYPE_OF_KIND["subnet"]
_NONE: dict[str, Any] = {}  # no edges of a kind (never written)
# the attributes of every edge that has none: one object, not an empty dict per edge (most
# edges); never written (``_link`` replaces it when a repeated edge brings attributes)
_NO_ATTRS: dict[str, Any] = {}


@dataclass(frozen=True)
class LbForward:
    """A path a public load balancer offers into one backend (a NIC or a scale set): the
    frontend's public IP, and the rule, NAT rule or NAT pool that forwards."""

    lb: str  # the load balancer's key
    frontend: str  # the frontend IP configuration's name
    public_ip: str | None  # the frontend's public IP (key); None: a public IP prefix
    forwarding: Forwarding
    backend: str  # the NIC's or scale set's key


def _backend_id(ip_config: str) -> str:
    """The NIC (or scale set) an IP configuration id belongs to: a scale set instance's
    NIC (``…/virtualMachineScaleSets/s/virtualMachines/0/networkInterfaces/n/…``) stands
    for the scale set."""
    parts = ip_config.split("/")
    low = [p.lower() for p in parts]
    if "virtualmachinescalesets" in low:
        i = low.index("virtualmachinescalesets")
        return "/".join(parts[: i + 2])
    return arm.parent(ip_config)


def _props(obj: Any) -> dict[str, Any]:
    """``obj.properties`` when both are objects, else an empty object: rows come from
    outside, and a wrong shape must not stop the build."""
    if obj.__class__ is dict:  # (nearly always: no isinstance calls)
        props = obj.get("properties")
        if props.__class__ is dict:
            return props
    else:
        props = obj.get("properties") if isinstance(obj, dict) else None
    return props if isinstance(props, dict) else {}


@lru_cache(maxsize=4096)
def _v4_network(prefix: str) -> tuple[int, int] | None:
    """(prefix length, network address) of an IPv4 prefix (host bits allowed), else None;
    once per distinct prefix (parsing one costs ~5 us)."""
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return None
    return (net.prefixlen, int(net.network_address)) if net.version == 4 else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _objects(value: Any) -> list[dict[str, Any]]:
    """The object elements of a list (a list of sub-resources)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _ref(obj: Any) -> str | None:
    """The id of a ``{"id": ...}`` reference (or of a bare id string), or None."""
    rid = obj.get("id") if isinstance(obj, dict) else obj
    if isinstance(rid, str) and rid.strip():
        return rid
    return None


# Edge kinds no relation asks ``into`` (~30% of the edges at 86k rows: zone links, a VNet's
# subnets, endpoint targets, ...): their incoming index is made on the first ask instead
# (``AuditGraph._into_kind``), ~20 ms and ~2 MB less when none is asked
_INTO_ON_ASK = frozenset(
    {"linked_to", "contains", "targets", "extension_of", "hosted_in", "uses_dns_server"}
)


def _index_side(
    edges: dict[tuple[str, str, str], dict[str, Any]],
    outgoing: bool,
    skip: frozenset[str] = frozenset(),
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, list[tuple[str, dict[str, Any]]]]]]:
    """Every edge filed under ``index[kind][end]`` (a bare neighbour, a pair, or a list of
    pairs once there are several), ``end`` its source when ``outgoing``, else its target;
    and each list made, with its node, so it can be sorted. One loop for either side: a
    call per edge and side was ~15% of the indexing. Edges of the kinds in ``skip`` are
    left out."""
    index: dict[str, dict[str, Any]] = {}
    many: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = []
    for (u, v, kind), attrs in edges.items():  # (both ends are always nodes)
        if kind in skip:
            continue
        if outgoing:
            at, other = u, v
        else:
            at, other = v, u
        by_node = index.get(kind)
        if by_node is None:
            by_node = index[kind] = {}
        found = by_node.get(at)
        if found is None:
            by_node[at] = other if attrs is _NO_ATTRS else (other, attrs)
        elif found.__class__ is list:
            found.append((other, attrs))
        else:
            if found.__class__ is str:
                found = (found, _NO_ATTRS)
            by_node[at] = found = [found, (other, attrs)]
            many.append((at, found))
    return index, many


def _shared_neighbour(index: dict[str, dict[str, Any]], at: str) -> bool:
    """Whether a node has a neighbour it reaches by edges of several kinds."""
    neighbours: list[str] = []
    for by_node in index.values():
        found = by_node.get(at)
        if found is None:
            continue
        if found.__class__ is str:
            neighbours.append(found)
        elif found.__class__ is tuple:
            neighbours.append(found[0])
        else:
            neighbours.extend(e[0] for e in found)
    return len(set(neighbours)) < len(neighbours)


class AuditGraph:
    """The estate as a networkx MultiDiGraph plus the indexes the relations need."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self._nx: nx.MultiDiGraph | None = None  # built on first use of ``g``
        self.by_type: dict[str, list[str]] = defaultdict(list)
        self.unseen_by_type: dict[str, list[str]] = defaultdict(list)  # placeholders
        self.endpoint_ips: dict[str, list[str]] = defaultdict(list)  # private IP -> endpoints
        # (IP, endpoint) pairs in endpoint_ips: landing zones on one address plan put an IP
        # on thousands of endpoints, where a list-membership test per endpoint is quadratic
        self._endpoint_ip_pairs: set[tuple[str, str]] = set()
        self.endpoint_fqdns: dict[str, set[str]] = defaultdict(set)  # endpoint -> its names
        self.vnet_of_subnet: dict[str, str] = {}
        self.memo: dict[Any, Any] = {}  # for relations that many subjects share
        self.vnet_prefixes: dict[tuple[int, int], list[str]] = defaultdict(list)
        self._referrers: dict[str, set[str]] = defaultdict(set)  # placeholder -> referrers
        # Plain-dict mirrors of node data and adjacency: rules read them hundreds of
        # thousands of times, and networkx's views cost several times a dict lookup.
        self._rows: dict[str, dict[str, Any]] = {}
        # each node's key, one str object: a reference's key (lower-cased afresh from its id)
        # is swapped for it, so the edge tables do not hold a copy of the key per reference
        self._keys: dict[str, str] = {}
        self._key_of: dict[str, str] = {}  # an id as spelt -> its key (while building)
        self._kinds: dict[str, str] = {}
        self._unseen: set[str] = set()
        # the type of each node the estate has no row for (placeholders, embedded subnets,
        # DNS servers): a row's own is the estate's (``_type``), not copied per node
        self._types: dict[str, str] = {}
        # (source, target, kind) -> attributes: one edge per triple, as networkx keeps it;
        # the indexes and the networkx graph are both made from it
        self._edges: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._back_refs: set[tuple[str, str]] = set()
        # embedded entries that could not be read: by the nodes they concern, and (when
        # the resource they name could not be read either) by list, for every node
        self._unreadable: dict[str, list[Unreadable]] = defaultdict(list)
        self._unplaced: dict[str, list[Unreadable]] = defaultdict(list)
        # NSG -> (custom rules, default rules or None when the row omits them)
        self._security_rules: dict[str, tuple[list[SecurityRule], list[SecurityRule] | None]] = {}
        # load balancers: what they forward, to whom (exposure paths)
        self._lbs: dict[str, tuple[list[embedded.Frontend], list[Forwarding]]] = {}
        self._members: dict[str, set[str]] = defaultdict(set)  # pool/NAT rule -> backend ids
        self._forwards: dict[str, list[LbForward]] = defaultdict(list)  # backend -> paths
        self._unresolved: dict[str, list[str]] = defaultdict(list)  # public IP -> why
        # a NIC's or scale set's own claims: the pools / NAT rules (pools) its row names
        self._lb_claims: dict[str, list[str]] = defaultdict(list)
        self._lb_parts: set[str] = set()  # pool and forwarding ids the LB rows list
        # backend pool members named by address only: address -> why (reach asks by IP)
        self._address_members: dict[str, list[str]] = defaultdict(list)
        self._scale_set_nics: dict[str, list[ScaleSetNic]] = {}
        # rows from source code may hold values known only after apply: rule paths then
        # look for them (other estates never hold one, and skip the look)
        self.has_unknown_values = bool(estate.origins)
        self._build()

    # -- access -----------------------------------------------------------------------
    def kind(self, k: str) -> str:
        return self._kinds[k]

    def row(self, k: str) -> dict[str, Any]:
        return self._rows[k]

    def seen(self, k: str) -> bool:
        return k not in self._unseen

    def name(self, k: str) -> str:
        row = self._rows[k]
        return str(row.get("name") or arm.last_name(row.get("id", k)))

    def display_id(self, k: str) -> str:
        rid = self._rows[k].get("id", k)
        return rid if type(rid) is str else str(rid)

    def out(self, k: str, edge: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(target, attributes) of the node's outgoing edges of one kind."""
        found = self._out.get(edge, _NONE).get(k)
        if found is None:
            return iter(())
        if found.__class__ is str:  # its one edge, without attributes
            return iter(((found, _NO_ATTRS),))
        return iter((found,)) if found.__class__ is tuple else iter(found)

    def into(self, k: str, edge: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(source, attributes) of the node's incoming edges of one kind."""
        by_node = self._in.get(edge)
        if by_node is None:
            by_node = self._into_kind(edge) if edge in _INTO_ON_ASK else _NONE
        found = by_node.get(k)
        if found is None:
            return iter(())
        if found.__class__ is str:  # its one edge, without attributes
            return iter(((found, _NO_ATTRS),))
        return iter((found,)) if found.__class__ is tuple else iter(found)

    def has_edge(self, src: str, dst: str, edge: str) -> bool:
        return (src, dst, edge) in self._edges

    def edge(self, src: str, dst: str, edge: str) -> dict[str, Any] | None:
        """The attributes of one edge, or None: a hub's entry back to one spoke without
        walking its thousands of peerings."""
        return self._edges.get((src, dst, edge))

    def unreadable(self, k: str, *fields: str) -> list[Unreadable]:
        """Entries of these embedded lists that could not be read and concern the node:
        in its own row, or in another row's entry that names it (a peering to it, a
        private link connection to it)."""
        return [u for u in self._unreadable.get(k, ()) if u.field in fields]

    def unplaced(self, *fields: str) -> list[Unreadable]:
        """Unreadable entries of these lists whose other end could not be read either (a
        peering without remoteVirtualNetwork): they may concern any node."""
        return [u for f in fields for u in self._unplaced.get(f, ())]

    def lb_forwards(self, k: str) -> list[LbForward]:
        """The public load balancer paths into a NIC or scale set (backend key)."""
        return self._forwards.get(k, [])

    def address_members(self, address: str) -> list[str]:
        """Why a public load balancer may forward to this private address: a backend pool
        member named by address only."""
        return self._address_members.get(address.strip(), [])

    def lb_unresolved(self, k: str) -> list[str]:
        """Why some backend a public IP's load balancer forwards to cannot be named (an
        IP-address pool member, say)."""
        return self._unresolved.get(k, [])

    def scale_set_nics(self, k: str) -> list[ScaleSetNic] | None:
        """A scale set's readable NIC configurations; None when its row has none."""
        return self._scale_set_nics.get(k)

    def security_rules(self, k: str) -> tuple[list[SecurityRule], list[SecurityRule] | None] | None:
        """An NSG's readable custom rules and default rules (None when the row omits the
        defaults, which Azure keeps on every NSG); None when the row has no rules list."""
        return self._security_rules.get(k)

    @property
    def g(self) -> nx.MultiDiGraph:
        """The estate as a networkx MultiDiGraph: node attributes ``kind``, ``type``,
        ``row``, ``seen``; edges keyed by their kind. Built through networkx's public API
        on first use: the relations read the (node, edge kind) indexes, which hold the same
        edges in the same order, so a scan that asks networkx nothing does not pay for it."""
        if self._nx is None:
            import networkx as nx

            graph = nx.MultiDiGraph()
            graph.add_nodes_from(
                (
                    k,
                    {
                        "kind": self._kinds[k],
                        "type": self._type(k),
                        "row": row,
                        "seen": k not in self._unseen,
                    },
                )
                for k, row in self._rows.items()
            )
            graph.add_edges_from((u, v, kind, a) for (u, v, kind), a in self._edges.items())
            self._nx = graph
        return self._nx

    def _index_edges(self) -> None:
        """Edge kind -> node -> neighbours, both ways: a hub VNet has thousands of peerings,
        and a relation asking it for one kind of edge must not walk all of them.

        The order is networkx's own (by source node, then neighbour, then kind), so it is
        fixed for a given estate. The indexes are built from the builder's edge table, not
        from networkx's views: a view is cached on the graph and would tie graph and view in
        a reference cycle that only a garbage collection frees (the CLI runs without one).

        Most nodes have one edge of a kind: it is held as the bare (neighbour, attributes)
        pair, or the neighbour alone when the edge has no attributes (most), a list of pairs
        only when there are more. One pass in the edge table's order puts
        each list in the order edges were added; the few lists that order may not match are
        sorted after: incoming ones by source node, outgoing ones (of a source that reaches a
        neighbour by edges of several kinds, whose neighbours networkx orders by their first
        edge of any kind) by that first edge."""
        out, many_out = _index_side(self._edges, True)
        into, many_in = _index_side(self._edges, False, _INTO_ON_ASK)
        self._sort_sources(many_in)
        # A source's list of one kind is in the order its edges were added; networkx orders
        # a source's neighbours by their first edge of ANY kind, which differs only when a
        # neighbour is reached by edges of several kinds: those sources' lists are sorted by
        # that first edge (neighbour -> #).
        sources = {u for u, _ in many_out}
        kinds: Counter[str] = Counter()
        for by_node in out.values():
            kinds.update(by_node.keys() & sources)
        mixed: dict[str, dict[str, int]] = {
            u: {} for u, n in kinds.items() if n > 1 and _shared_neighbour(out, u)
        }
        if mixed:
            for u, v, _ in self._edges:
                seen = mixed.get(u)
                if seen is not None and v not in seen:
                    seen[v] = len(seen)
            for u, edges in many_out:
                if u in mixed:
                    edges.sort(key=lambda e, order=mixed[u]: order[e[0]])
        self._out, self._in = out, into

    def _sort_sources(self, many_in: list[tuple[str, list[tuple[str, dict[str, Any]]]]]) -> None:
        """Incoming lists in networkx's order: by source node, in the order nodes were
        added (a node's sources of one kind are distinct, so the order is total). Only the
        sources the lists name are numbered, in that order: a dict of every node was ~17 ms
        per call at 86k rows, ~4x the sources' own (a filter in C, no loop)."""
        if many_in:
            named = {u for _, edges in many_in for u, _ in edges}
            position = dict(zip(filter(named.__contains__, self._rows), count()))
            for _, edges in many_in:
                edges.sort(key=lambda e: position[e[0]])

    def _into_kind(self, edge: str) -> dict[str, Any]:
        """The incoming index of a kind in ``_INTO_ON_ASK``, made on its first ask as the
        build would have made it (the same lists, sorted alike)."""
        index, many_in = _index_side(
            {e: attrs for e, attrs in self._edges.items() if e[2] == edge}, False
        )
        self._sort_sources(many_in)
        by_node = self._in[edge] = index.get(edge, {})
        return by_node

    def has_node(self, k: str) -> bool:
        return k in self._rows

    def nodes(self) -> Iterator[str]:
        """Every node key (seen rows, placeholders, DNS servers) in the order added."""
        return iter(self._rows)

    def edge_ends(self) -> Iterator[tuple[str, str]]:
        """Every edge's (source, target), one per edge of each kind, in the order added:
        what joins nodes, without building networkx's graph and its attribute dicts."""
        return ((u, v) for u, v, _ in self._edges)

    def first_out(self, k: str, edge: str) -> str | None:
        return next((t for t, _ in self.out(k, edge)), None)

    def nodes_of_type(self, rtype: str) -> list[str]:
        return self.by_type.get(rtype, [])

    def nodes_of_kind(self, kind: str) -> list[str]:
        """Seen nodes of a kind that has an ARM type (``model.NODE_KINDS``)."""
        return self.by_type.get(TYPE_OF_KIND[kind], [])

    def vnets_containing(self, ip: str) -> list[tuple[str, str]]:
        """(vnet key, prefix) of VNets whose address space holds the IPv4 address."""
        try:
            addr = int(ipaddress.IPv4Address(ip))
        except ValueError:
            return []
        found = []
        for plen in range(32, -1, -1):
            net = addr & ((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF)
            for vnet in self.vnet_prefixes.get((plen, net), ()):
                found.append((vnet, f"{ipaddress.IPv4Address(net)}/{plen}"))
        return found

    # -- building ---------------------------------------------------------------------
    def _add_node(
        self, k: str, rtype: str, row: dict[str, Any], seen: bool = True, kind: str | None = None
    ) -> None:
        self._rows[k] = row
        self._keys[k] = k
        self._kinds[k] = kind or KIND_OF_TYPE.get(rtype, "other")
        self._types[k] = rtype
        if seen:
            self.by_type[rtype].append(k)
        else:
            self._unseen.add(k)
            self.unseen_by_type[rtype].append(k)

    def _type(self, k: str) -> str:
        rtype = self._types.get(k)
        return self.estate.types[k] if rtype is None else rtype

    def _link(self, src: str, dst: str, key: str, **attrs: Any) -> None:
        """Record an edge (a repeated one merges its attributes, as networkx would); edges
        go into networkx in one batch when the build ends."""
        edge = (src, dst, key)
        found = self._edges.get(edge)
        if found is None:
            self._edges[edge] = attrs or _NO_ATTRS
        elif attrs:
            if found is _NO_ATTRS:
                self._edges[edge] = attrs
            else:
                found.update(attrs)

    def _key(self, rid: str) -> str:
        """``arm.key(rid)``, as the node's own str object when the node exists. Each id as
        spelt is keyed once (``_key_of``): estates reference the same subnets, zones and
        VNets tens of thousands of times. Callers name a node, or add it when missing:
        ``_node_from`` takes an id ``_key_of`` holds to name a node."""
        k = self._key_of.get(rid)
        if k is None:
            k = arm.key(rid)
            k = self._key_of[rid] = self._keys.get(k, k)
        return k

    def _node_for(self, rid: str, referrer: str) -> str:
        """The key of a referenced resource, adding a placeholder when it was not seen."""
        k = self._key(rid)
        if k not in self._rows:
            rtype = arm.arm_type(rid)
            row = {"id": rid, "name": arm.last_name(rid), "type": rtype}
            self._add_node(k, rtype, row, seen=False)
        if k in self._unseen:
            self._referrers[k].add(referrer)
            row = self._rows[k]
            if rid < row["id"]:  # one spelling whatever the row order: the smallest
                row["id"], row["name"] = rid, arm.last_name(rid)
        return k

    def _node_from(self, rid: str, src: str) -> str:
        """``_node_for`` a reference in node ``src``'s row: its id is spelt out only when
        the referenced resource was not seen."""
        k = self._key_of.get(rid)
        if k is None:  # ``_key``, which also tells whether the node exists (``_keys``)
            k = self._keys.get(arm.key(rid))
            if k is None:
                return self._node_for(rid, self.display_id(src))
            self._key_of[rid] = k
        # (an id in ``_key_of`` names a node: ``_key``'s callers add it when missing)
        if k in self._unseen:
            return self._node_for(rid, self.display_id(src))
        return k

    def referrers(self, k: str, limit: int = 5) -> list[str]:
        """Up to ``limit`` resources that reference a placeholder, in a fixed order."""
        return sorted(self._referrers.get(k, ()), key=lambda r: (r.lower(), r))[:limit]

    def _edge(self, src: str, dst_id: str, kind: str, **attrs: Any) -> str:
        """An edge to the node a reference in ``src``'s row names (``_link``'s work, inline:
        ~90k calls at 100k rows)."""
        dst = self._node_from(dst_id, src)
        edge = (src, dst, kind)
        found = self._edges.get(edge)
        if found is None:
            self._edges[edge] = attrs or _NO_ATTRS
        elif attrs:
            if found is _NO_ATTRS:
                self._edges[edge] = attrs
            else:
                found.update(attrs)
        return dst

    def _build(self) -> None:
        embedded.forget_rules()  # rows share equal rule objects within one estate, never across
        rows = self.estate.rows
        types = self.estate.types  # the same keys as rows, in the same order
        # every row a node, in bulk (what ``_add_node`` does one at a time)
        self._rows = dict(rows)
        self._keys = {k: k for k in rows}
        kind_of = KIND_OF_TYPE.get
        kinds = [kind_of(t, "other") for t in types.values()]  # in the rows' order
        self._kinds = dict(zip(types, kinds, strict=True))
        for k, rtype in types.items():
            self.by_type[rtype].append(k)
        # Subnets first: they are embedded in VNet rows and many edges point at them.
        for k in list(self.nodes_of_kind("vnet")):
            self._vnet_nodes(k)
        readers = {
            "vnet": self._vnet,
            "subnet": self._subnet,
            "nsg": self._nsg,
            "nic": self._nic,
            "public_ip": self._public_ip,
            "bastion": self._bastion,
            "vm": self._vm,
            "private_endpoint": self._private_endpoint,
            "dns_zone_group": self._zone_group,
            "dns_zone_link": self._zone_link,
            "dns_record": self._a_record,
            "aml_workspace": self._workspace,
            "aml_compute": self._compute,
            "vnet_peering": self._peering_row,
            "vnet_gateway": self._gateway,
            "virtual_hub": self._virtual_hub,
            "online_endpoint": self._serving,
            "online_deployment": self._serving,
            "aml_registry": self._registry,
            "ampls_scoped": self._scoped_resource,
            "app_insights": self._component,
            "dns_resolver": self._dns_resolver,
            "dns_inbound_endpoint": self._child_of("inbound_of"),
            "dns_forwarding_rule": self._child_of("rule_of"),
            "dns_ruleset_link": self._ruleset_link,
            "azure_firewall": self._firewall,
            "load_balancer": self._load_balancer,
            "vmss": self._scale_set,
            "vm_extension": self._extension,
        }
        for (k, row), kind in zip(rows.items(), kinds, strict=True):  # no look-up per row
            reader = readers.get(kind)
            if reader is not None:
                reader(k, row)
            if kind != "private_endpoint":
                props = row.get("properties")  # most rows list no connections: no call
                if isinstance(props, dict) and "privateEndpointConnections" in props:
                    self._endpoint_connections(k, row)
        self._dns_servers()
        self._lb_paths()
        self._index_edges()
        # what only the build reads: the graph holds it no longer (~10 MB at 100k rows)
        for built in (self._keys, self._key_of, self._endpoint_ip_pairs, self._back_refs):
            built.clear()

    def _vnet_nodes(self, k: str) -> None:
        row = self.row(k)
        props = _props(row)
        space = props.get("addressSpace")
        for prefix in _list(space.get("addressPrefixes") if isinstance(space, dict) else None):
            net = _v4_network(str(prefix))
            if net is not None:
                self.vnet_prefixes[net].append(k)
        for sub in _objects(props.get("subnets")):
            sid = _ref(sub)
            if not sid:
                continue
            sk = arm.key(sid)
            subrow = {
                **sub,
                "type": SUBNET_TYPE,
                "vnetId": row.get("id"),
                "vnetName": row.get("name"),
            }
            if sk in self._rows:  # the subnet was also read as a row of its own: that row wins
                self._rows[sk] = {**subrow, **self.row(sk)}
            else:
                self._add_node(sk, SUBNET_TYPE, subrow)
            self._link(k, sk, key="contains")
            self.vnet_of_subnet[sk] = k

    def _subnet(self, k: str, row: dict[str, Any]) -> None:
        """A subnet given as a row of its own (``az network vnet subnet list``, an ARM
        export) says what it says: its NSG protects it, and it belongs to the VNet its id
        names even when no VNet row embeds it (a placeholder VNet then)."""
        if k not in self.vnet_of_subnet:
            vnet = self._node_for(arm.parent(self.display_id(k)), self.display_id(k))
            self._link(vnet, k, key="contains")
            self.vnet_of_subnet[k] = vnet
            parent = self.row(vnet)
            self._rows[k] = {**row, "vnetId": parent.get("id"), "vnetName": parent.get("name")}
        if nsg := _ref(_props(row).get("networkSecurityGroup")):
            self._link(self._node_from(nsg, k), k, key="protects")

    def _vnet(self, k: str, row: dict[str, Any]) -> None:
        props = _props(row)
        for sub in _objects(props.get("subnets")):
            sid = _ref(sub)
            if not sid:
                continue
            try:
                nsg = embedded.ref(_props(sub).get("networkSecurityGroup"), "networkSecurityGroup")
            except embedded.Invalid as e:  # which NSG protects it is unknown
                self._unread(arm.key(sid), "networkSecurityGroup", Failed(None, None, e.why))
                continue
            if nsg:
                nsg_k = self._node_for(nsg, str(sid))
                self._link(nsg_k, self._key(sid), key="protects")
        for peering in self._read(k, props, embedded.PEERINGS, links=True):
            self._peering_edge(k, peering)

    def _peering_row(self, k: str, row: dict[str, Any]) -> None:
        """A peering given as a row of its own: the same entry as one its VNet embeds (the
        same edge, merged when both are given); one that cannot be read is recorded on its
        VNet's peering list."""
        vnet = self._node_for(arm.parent(self.display_id(k)), self.display_id(k))
        good, bad = embedded.read_list([row], embedded.PEERINGS)
        for failed in bad:
            self._unread(
                vnet,
                embedded.PEERINGS.field,
                Failed(None, failed.name or self.name(k), failed.why, failed.about),
                links=True,
            )
        for peering in good:
            self._peering_edge(vnet, peering)

    def _peering_edge(self, k: str, peering: embedded.Peering) -> None:
        self._edge(
            k,
            peering.remote,
            "peers_with",
            name=peering.name,
            id=peering.id,
            state=peering.state,
            sync=peering.sync,
            allow_vnet_access=peering.allow_vnet_access,
            allow_forwarded_traffic=peering.allow_forwarded_traffic,
            allow_gateway_transit=peering.allow_gateway_transit,
            use_remote_gateways=peering.use_remote_gateways,
            peer_complete_vnets=peering.peer_complete_vnets,
            local_subnet_names=peering.local_subnet_names,
            remote_subnet_names=peering.remote_subnet_names,
            local_address_space=peering.local_address_space,
            remote_address_space=peering.remote_address_space,
            local_vnet_space=peering.local_vnet_space,
            remote_vnet_space=peering.remote_vnet_space,
        )

    # -- embedded entries: read, or recorded as unreadable (embedded.py) --------------------
    def _read(
        self, k: str, props: dict[str, Any], spec: ListSpec[T], links: bool = False
    ) -> list[T]:
        """The readable entries of one of the node's embedded lists; the others are
        recorded. ``links``: the list's entries name other resources, so an entry whose
        other end cannot be read may concern any node (see ``unplaced``)."""
        good, bad = embedded.read_list(props.get(spec.field), spec)
        for failed in bad:
            self._unread(k, spec.field, failed, links)
        return good

    def _refs(self, k: str, value: Any, field: str, rtype: str | None) -> list[str]:
        good, bad = embedded.read_refs(value, field, rtype)
        for failed in bad:
            self._unread(k, field, failed)
        return good

    def _one_ref(self, k: str, props: dict[str, Any], field: str, rtype: str | None) -> str | None:
        """A single reference property; one that is there but is no reference is recorded."""
        try:
            return embedded.ref(props.get(field), field, rtype)
        except embedded.Invalid as e:
            self._unread(k, field, Failed(None, None, e.why))
            return None

    def _unread(self, k: str, field: str, failed: Failed, links: bool = False) -> None:
        u = Unreadable(
            self.display_id(k), self.name(k), field, failed.index, failed.name, failed.why
        )
        self._unreadable[k].append(u)
        if failed.about is not None:
            other = arm.key(failed.about)
            if other != k:
                self._unreadable[other].append(u)
        elif links:
            self._unplaced[field].append(u)

    def _nsg(self, k: str, row: dict[str, Any]) -> None:
        props = _props(row)
        for sid in self._refs(k, props.get("subnets"), "subnets", embedded.SUBNET_TYPE):
            self._edge(k, sid, "protects")
        for nid in self._refs(k, props.get("networkInterfaces"), "networkInterfaces", None):
            self._edge(k, nid, "protects")
        custom = self._read(k, props, embedded.SECURITY_RULES)
        defaults = self._read(k, props, embedded.DEFAULT_SECURITY_RULES)
        if isinstance(props.get("securityRules"), list):
            has_defaults = bool(props.get("defaultSecurityRules"))
            self._security_rules[k] = (custom, defaults if has_defaults else None)

    def _ip_configs(self, k: str, props: dict[str, Any]) -> list[embedded.IpConfig]:
        """A NIC's or Bastion's IP configurations: the subnet each sits in, the public IP on
        it (edges), and the configs for the caller."""
        configs = self._read(k, props, embedded.IP_CONFIGURATIONS)
        for cfg in configs:
            if cfg.subnet:
                self._edge(k, cfg.subnet, "in_subnet")
            if cfg.public_ip:
                self._link(self._node_from(cfg.public_ip, k), k, key="attached_to")
        return configs

    def _nic(self, k: str, row: dict[str, Any]) -> None:
        props = _props(row)
        configs = self._ip_configs(k, props)
        for cfg in configs:  # load balancer memberships, resolved when every row is read
            for ref in (*cfg.pools, *cfg.nat_rules):
                self._members[arm.key(ref)].add(self.display_id(k))
                self._lb_claims[k].append(ref)
        if nsg := self._one_ref(
            k, props, "networkSecurityGroup", "microsoft.network/networksecuritygroups"
        ):
            self._link(self._node_from(nsg, k), k, key="protects")
        if vm := self._one_ref(k, props, "virtualMachine", "microsoft.compute/virtualmachines"):
            self._edge(k, vm, "attached_to")
        if pe := self._one_ref(k, props, "privateEndpoint", embedded.PE_TYPE):
            pe_k = self._edge(k, pe, "attached_to")
            for cfg in configs:
                # the endpoint's NIC is the reliable source of its private IPs and names
                if cfg.private_ip:
                    self._pe_ip(cfg.private_ip, pe_k)
                self._pe_names(cfg.fqdns, pe_k)

    def _load_balancer(self, k: str, row: dict[str, Any]) -> None:
        props = _props(row)
        frontends = self._read(k, props, embedded.FRONTENDS)
        for fe in frontends:
            if fe.public_ip:
                self._link(self._node_from(fe.public_ip, k), k, key="attached_to")
        forwards = [
            f
            for spec in (embedded.LB_RULES, embedded.NAT_RULES, embedded.NAT_POOLS)
            for f in self._read(k, props, spec)
        ]
        for pool in self._read(k, props, embedded.POOLS):
            self._members[arm.key(pool.id)].update(pool.members)
            self._lb_parts.add(arm.key(pool.id))
        for f in forwards:
            if f.id:
                self._lb_parts.add(arm.key(f.id))
            if f.target and f.id:
                self._members[arm.key(f.id)].add(f.target)
        self._lbs[k] = (frontends, forwards)

    def _scale_set(self, k: str, row: dict[str, Any]) -> None:
        vm_profile = _props(row).get("virtualMachineProfile")
        profile = vm_profile.get("networkProfile") if isinstance(vm_profile, dict) else None
        if not isinstance(profile, dict) or "networkInterfaceConfigurations" not in profile:
            mode = _props(row).get("orchestrationMode")
            if not (isinstance(mode, str) and mode.strip().lower() == "flexible"):
                # a uniform scale set's instances take their NICs from the profile
                self._unread(
                    k,
                    "networkInterfaceConfigurations",
                    Failed(None, None, "the scale set's row has no network profile"),
                )
            return  # flexible orchestration without a profile: its VMs' NICs are rows
        nics = self._read(k, profile, embedded.SCALE_SET_NICS)
        self._scale_set_nics[k] = nics
        for nic in nics:
            if nic.nsg:
                self._link(self._node_from(nic.nsg, k), k, key="protects")
            for cfg in nic.ip_configs:
                if cfg.subnet:
                    self._edge(k, cfg.subnet, "in_subnet")
                for ref in (*cfg.pools, *cfg.nat_pools):
                    self._members[arm.key(ref)].add(self.display_id(k))
                    self._lb_claims[k].append(ref)

    def _lb_paths(self) -> None:
        """Each public frontend's rules, NAT rules and NAT pools, followed to the backends
        that the pools' and NICs' (or scale sets') rows name, either side."""
        public_pips: dict[str, set[str]] = {}
        for k, (frontends, forwards) in self._lbs.items():
            public_pips[k] = {arm.key(fe.public_ip) for fe in frontends if fe.public_ip}
            public = {
                arm.key(fe.id): fe
                for fe in frontends
                if fe.id and (fe.public_ip or fe.public_prefix)
            }
            for f in forwards:
                fe = public.get(arm.key(f.frontend or ""))
                if fe is None:
                    continue  # an internal frontend: no path from the internet
                pip = self._node_from(fe.public_ip, k) if fe.public_ip else None
                members: set[str] = set()
                for ref in (*(f.pools if f.kind != "nat_pool" else ()), f.id or ""):
                    members |= self._members.get(arm.key(ref), set()) if ref else set()
                if f.target:
                    members.add(f.target)
                backends: dict[str, str] = {}
                for member in sorted(members):
                    if member.startswith("/"):
                        bid = (
                            _backend_id(member)
                            if "/ipconfigurations/" in member.lower()
                            else member
                        )
                        backends.setdefault(arm.key(bid), bid)
                    elif pip is not None:
                        why = (
                            f"load balancer {self.name(k)} {f.name}: a backend pool member "
                            f"{member} is named by address only"
                        )
                        self._unresolved[pip].append(why)
                        self._address_members[member.removeprefix("address ").strip()].append(why)
                if not backends and f.kind == "nat_pool" and pip is not None:
                    self._unresolved[pip].append(
                        f"load balancer {self.name(k)} inbound NAT pool {f.name}: no scale "
                        "set in the estate uses it, and one outside the estate may"
                    )
                for _, bid in sorted(backends.items()):
                    node = self._node_from(bid, k)
                    self._link(node, k, key="backend_of")
                    self._forwards[node].append(
                        LbForward(k, fe.name or arm.last_name(fe.id or ""), pip, f, node)
                    )

        self._lb_unreadable(public_pips)
        self._check_claims()

    _LB_LISTS = (
        "frontendIPConfigurations",
        "loadBalancingRules",
        "inboundNatRules",
        "inboundNatPools",
        "backendAddressPools",
    )

    def _lb_unreadable(self, public_pips: dict[str, set[str]]) -> None:
        """A load balancer whose lists cannot all be read may forward more than the paths
        found: each of its public IPs says so (its exposure is not evaluated)."""
        for k in self._lbs:
            for u in self.unreadable(k, *self._LB_LISTS):
                for pip in sorted(public_pips.get(k, ())):
                    self._unresolved[pip].append(str(u))

    def _check_claims(self) -> None:
        """A NIC or scale set that names a load balancer's pool, NAT rule or NAT pool the
        estate cannot follow (the load balancer is not in it, its lists cannot be read, or
        it lists no such entry) may be reached along a path the graph does not hold: the
        reason is recorded on the backend (``lb_unresolved``), which is then unknown."""
        for k, refs in self._lb_claims.items():
            for ref in dict.fromkeys(refs):
                parts = ref.split("/")
                lb_id = "/".join(parts[:9])
                lb = arm.key(lb_id)
                what = f"{parts[9] if len(parts) > 9 else 'entry'} {arm.last_name(ref)}"
                if lb not in self._lbs:
                    self._unresolved[k].append(
                        f"it names {what} of load balancer {arm.last_name(lb_id)}, which is "
                        "not in the estate (it may be public)"
                    )
                elif broken := self.unreadable(lb, *self._LB_LISTS):
                    self._unresolved[k].extend(str(u) for u in broken)
                elif arm.key(ref) not in self._lb_parts:
                    self._unresolved[k].append(
                        f"it names {what} of load balancer {self.name(lb)}, which lists no "
                        "such entry"
                    )

    def _public_ip(self, k: str, row: dict[str, Any]) -> None:
        cfg = self._one_ref(k, _props(row), "ipConfiguration", None)
        if cfg:  # a scale set instance's IP configuration stands for the scale set
            self._edge(k, _backend_id(cfg), "attached_to")

    def _bastion(self, k: str, row: dict[str, Any]) -> None:
        self._ip_configs(k, _props(row))

    def _vm(self, k: str, row: dict[str, Any]) -> None:
        profile = _props(row).get("networkProfile")
        nics = profile.get("networkInterfaces") if isinstance(profile, dict) else None
        for nid in self._refs(k, nics, "networkInterfaces", embedded.NIC_TYPE):
            self._link(self._node_from(nid, k), k, key="attached_to")

    def _private_endpoint(self, k: str, row: dict[str, Any]) -> None:
        props = _props(row)
        if sid := self._one_ref(k, props, "subnet", embedded.SUBNET_TYPE):
            self._edge(k, sid, "in_subnet")
        for manual, spec in (
            (False, embedded.LINK_CONNECTIONS),
            (True, embedded.MANUAL_LINK_CONNECTIONS),
        ):
            for conn in self._read(k, props, spec, links=True):
                self._edge(
                    k,
                    conn.other,
                    "targets",
                    connection=conn.name,
                    group_ids=conn.group_ids,
                    status=conn.status,
                    manual=manual,
                )
        for nid in self._refs(
            k, props.get("networkInterfaces"), "networkInterfaces", embedded.NIC_TYPE
        ):
            self._link(self._node_from(nid, k), k, key="attached_to")
        for dns in self._read(k, props, embedded.CUSTOM_DNS_CONFIGS):
            for ip in dns.ips:
                self._pe_ip(ip, k)
            self._pe_name(dns.fqdn, k)
        for cfg in self._read(k, props, embedded.IP_CONFIGURATIONS):
            if cfg.private_ip:
                self._pe_ip(cfg.private_ip, k)

    def _pe_ip(self, ip: str, pe: str) -> None:
        if (ip, pe) not in self._endpoint_ip_pairs:
            self._endpoint_ip_pairs.add((ip, pe))
            self.endpoint_ips[ip].append(pe)

    def _pe_names(self, fqdns: Any, pe: str) -> None:
        names = self.endpoint_fqdns[pe]
        names.update(f.lower().rstrip(".") for f in _list(fqdns) if isinstance(f, str) and f)

    def _pe_name(self, fqdn: str | None, pe: str) -> None:
        """``_pe_names([fqdn], pe)`` without a list and a generator (~30k calls)."""
        names = self.endpoint_fqdns[pe]
        if isinstance(fqdn, str) and fqdn:
            names.add(fqdn.lower().rstrip("."))

    def _endpoint_connections(self, k: str, row: dict[str, Any]) -> None:
        """A target's own privateEndpointConnections: the only trace of an endpoint that
        lives outside the estate. Adds the targets edge where the endpoint's row did not."""
        props = _props(row)
        if "privateEndpointConnections" not in props:
            return
        self._back_targets(k, self._read(k, props, embedded.ENDPOINT_CONNECTIONS))

    def _back_targets(self, k: str, connections: list[Any]) -> None:
        """The targets edges a target's connection list implies, for endpoints whose own
        row did not add them (an endpoint outside the estate)."""
        for conn in connections:
            pe_k = self._node_from(conn.other, k)
            if self.seen(pe_k) or (pe_k, k) in self._back_refs:
                continue  # a seen endpoint's own row is authoritative
            self._back_refs.add((pe_k, k))
            self._link(
                pe_k,
                k,
                key="targets",
                connection=conn.name,
                group_ids=conn.group_ids,
                status=conn.status,
                manual=None,
            )

    def _zone_group(self, k: str, row: dict[str, Any]) -> None:
        rid = self.display_id(k)
        pe_k = self._node_for(arm.parent(rid), rid)
        self._link(pe_k, k, key="has_zone_group")
        for cfg in self._read(k, _props(row), embedded.ZONE_CONFIGS, links=True):
            self._edge(k, cfg.zone, "uses_zone", config=cfg.name)
            for rs in self._read(k, {"recordSets": cfg.record_sets}, embedded.RECORD_SETS):
                for ip in rs.ips:
                    self._pe_ip(ip, pe_k)
                self._pe_name(rs.fqdn, pe_k)

    def _zone_link(self, k: str, row: dict[str, Any]) -> None:
        props = _props(row)
        rid = self.display_id(k)
        zone_k = self._node_for(arm.parent(rid), rid)
        try:
            vnet = embedded.needed(
                embedded.ref(props.get("virtualNetwork"), "virtualNetwork", embedded.VNET_TYPE),
                "it has no virtualNetwork",
            )
        except embedded.Invalid as e:  # which VNet the zone is linked to is unknown
            self._unread(k, "virtualNetwork", Failed(None, None, e.why, self.display_id(zone_k)))
            return
        self._link(
            zone_k,
            self._node_from(vnet, k),
            key="linked_to",
            link=rid,
            link_name=row.get("name"),
            registration_enabled=props.get("registrationEnabled"),
            state=props.get("virtualNetworkLinkState"),
            resolution_policy=props.get("resolutionPolicy"),
        )

    def _a_record(self, k: str, row: dict[str, Any]) -> None:
        self._edge(k, arm.parent(self.display_id(k)), "record_in")

    def _workspace(self, k: str, row: dict[str, Any]) -> None:
        props = _props(row)
        for role in ("storageAccount", "keyVault", "containerRegistry", "applicationInsights"):
            rid = props.get(role)
            if isinstance(rid, str) and rid:
                self._edge(k, rid, "uses", role=role)
        if hub := self._one_ref(k, props, "hubResourceId", self._type(k)):
            self._edge(k, hub, "in_hub")

    def _compute(self, k: str, row: dict[str, Any]) -> None:
        self._edge(k, arm.parent(self.display_id(k)), "compute_of")
        inner = _props(row).get("properties")
        if isinstance(inner, dict) and (sid := _ref(inner.get("subnet"))):
            self._edge(k, sid, "in_subnet")
        props = _props(row)
        serving = str(props.get("computeType", "")).lower() in ("aks", "kubernetes")
        if serving and (cluster := self._one_ref(k, props, "resourceId", None)):
            self._edge(k, cluster, "runs_on")

    # -- the serving surface: endpoints, registries, Azure Monitor private link scopes ----
    def _serving(self, k: str, row: dict[str, Any]) -> None:
        """An online endpoint belongs to the workspace its id names, a deployment to its
        endpoint (both ARM children, so the id is the reference)."""
        self._edge(k, arm.parent(self.display_id(k)), "belongs_to")

    def _registry(self, k: str, row: dict[str, Any]) -> None:
        """A registry lists its endpoints as registryPrivateEndpointConnections (not
        privateEndpointConnections): the trace of endpoints outside the estate."""
        props = _props(row)
        self._back_targets(k, self._read(k, props, embedded.REGISTRY_CONNECTIONS))

    def _scoped_resource(self, k: str, row: dict[str, Any]) -> None:
        """An AMPLS scopedResources row: the scope (its parent) scopes linkedResourceId."""
        scope = self._node_for(arm.parent(self.display_id(k)), self.display_id(k))
        if target := self._one_ref(k, _props(row), "linkedResourceId", None):
            self._link(
                scope,
                self._node_from(target, k),
                key="scopes",
                scoped_resource=self.display_id(k),
            )

    def _component(self, k: str, row: dict[str, Any]) -> None:
        """An App Insights component names the AMPLS scoped resources that hold it
        (PrivateLinkScopedResources[].ResourceId, a child of the scope)."""
        props = _props(row)
        field = next((f for f in props if f.lower() == "privatelinkscopedresources"), None)
        entries = props.get(field) if field else None
        for entry in _objects(entries):
            rid = next((v for f, v in entry.items() if f.lower() == "resourceid"), None)
            if not isinstance(rid, str) or arm.arm_type(rid) != embedded.AMPLS_SCOPED_TYPE:
                continue
            scope = self._node_from(arm.parent(rid), k)
            self._link(scope, k, key="scopes", scoped_resource=rid)

    def _gateway(self, k: str, row: dict[str, Any]) -> None:
        """A virtual network gateway serves the VNet whose subnet (GatewaySubnet) holds its
        IP configuration."""
        self._serves_vnets(k, _props(row))

    def _serves_vnets(self, k: str, props: dict[str, Any]) -> None:
        """A gateway or Route Server serves the VNet each of its IP configurations sits in."""
        # links: a configuration that cannot be read may be in any VNet (see ``unplaced``)
        for cfg in self._read(k, props, embedded.IP_CONFIGURATIONS, links=True):
            if cfg.subnet:
                vnet = self._node_from(arm.parent(cfg.subnet), k)
                self._link(
                    k, vnet, "gateway_in", subnet=arm.last_name(cfg.subnet), via="ipConfiguration"
                )

    def _virtual_hub(self, k: str, row: dict[str, Any]) -> None:
        """A Route Server (a virtual hub outside Virtual WAN) serves the VNet its IP
        configurations sit in (RouteServerSubnet) or whose space holds its router IPs."""
        props = _props(row)
        if props.get("virtualWan") is not None:
            return  # a Virtual WAN hub: VNets connect to it, they do not peer with it
        self._serves_vnets(k, props)
        for ip in _list(props.get("virtualRouterIps")):
            for vnet, prefix in self.vnets_containing(str(ip)):
                self._link(
                    k, vnet, "gateway_in", subnet=None, via=f"virtualRouterIps {ip} in {prefix}"
                )

    # -- DNS Private Resolver, forwarding rulesets, Azure Firewall (relations/dns_answer.py)
    def _dns_resolver(self, k: str, row: dict[str, Any]) -> None:
        if vnet := self._one_ref(k, _props(row), "virtualNetwork", embedded.VNET_TYPE):
            self._edge(k, vnet, "resolver_in")

    def _child_of(self, edge: str) -> Any:
        """A reader for a child resource: an edge to the parent its id names."""

        def read(k: str, row: dict[str, Any]) -> None:
            self._edge(k, arm.parent(self.display_id(k)), edge)

        return read

    def _ruleset_link(self, k: str, row: dict[str, Any]) -> None:
        ruleset = self._node_for(arm.parent(self.display_id(k)), self.display_id(k))
        vnet = self._one_ref(k, _props(row), "virtualNetwork", embedded.VNET_TYPE)
        if vnet is None:  # which VNet the ruleset applies to is unknown
            failed = Failed(None, None, "it has no virtualNetwork", self.display_id(ruleset))
            self._unread(k, "virtualNetwork", failed)
            return
        self._link(
            ruleset,
            self._node_from(vnet, k),
            key="ruleset_linked_to",
            link=self.display_id(k),
            link_name=row.get("name"),
        )

    def _firewall(self, k: str, row: dict[str, Any]) -> None:
        if policy := self._one_ref(
            k, _props(row), "firewallPolicy", "microsoft.network/firewallpolicies"
        ):
            self._edge(k, policy, "uses_policy")

    def _extension(self, k: str, row: dict[str, Any]) -> None:
        """A VM extension runs on the VM its id names; a Terraform extension row also names
        the variables each attribute was computed from (``terraformReferences``: attribute
        -> variable row ids), which a secret may have come through."""
        vm = arm.parent(self.display_id(k))
        if arm.arm_type(vm) == "microsoft.compute/virtualmachines":  # else: a VM not yet known
            self._edge(k, vm, "extension_of")
        used = row.get("terraformReferences")
        for attribute, ids in sorted(used.items()) if isinstance(used, dict) else ():
            for vid in _list(ids):
                if isinstance(vid, str) and vid.startswith("/"):
                    self._edge(k, vid, "uses_variable", attribute=attribute)

    def _dns_servers(self) -> None:
        """Custom DNS servers: VNet (dhcpOptions) or NIC (dnsSettings, which overrides its
        VNet's for that NIC) -> dns_server -> the VNet whose address space holds it."""
        for kind, field in (("vnet", "dhcpOptions"), ("nic", "dnsSettings")):
            for k in self.nodes_of_kind(kind):
                settings = _props(self.row(k)).get(field)
                servers = settings.get("dnsServers") if isinstance(settings, dict) else None
                if servers is not None and not isinstance(servers, list):  # unreadable:
                    servers = [f"(unreadable dnsServers {str(servers)[:60]!r})"]  # unknown
                for order, ip in enumerate(_list(servers)):
                    server = self._server_node(str(ip).strip())
                    self._link(k, server, "uses_dns_server", order=order)

    def _server_node(self, ip: str) -> str:
        sk = f"dns-server:{ip}"
        if sk not in self._rows:
            self._add_node(
                sk, "", {"id": sk, "name": ip, "type": "dns_server", "ip": ip}, kind="dns_server"
            )
            for vnet, prefix in self.vnets_containing(ip):
                self._link(sk, vnet, key="hosted_in", prefix=prefix)
        return sk

    def placeholders(self) -> list[dict[str, Any]]:
        """Resources referenced by the estate but not in it, with who references them."""
        out = []
        for k in self._unseen:
            row = self._rows[k]
            out.append(
                {
                    "id": row["id"],
                    "type": row["type"],
                    "referenced_by": self.referrers(k),
                    "referrers": len(self._referrers.get(k, ())),
                }
            )
        out.sort(key=lambda p: arm.key(p["id"]))
        return out


def build(estate: Estate) -> AuditGraph:
    return AuditGraph(estate)
