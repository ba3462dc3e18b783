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
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import networkx as nx

from . import arm
from .estate import Estate
from .model import KIND_OF_TYPE, TYPE_OF_KIND

SUBNET_TYPE = TYPE_OF_KIND["subnet"]


def _props(obj: Any) -> dict[str, Any]:
    """``obj.properties`` when both are objects, else an empty object: rows come from
    outside, and a wrong shape must not stop the build."""
    props = obj.get("properties") if isinstance(obj, dict) else None
    return props if isinstance(props, dict) else {}


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


class AuditGraph:
    """The estate as a networkx MultiDiGraph plus the indexes the relations need."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self._nx: nx.MultiDiGraph | None = None  # built on first use of ``g``
        self.by_type: dict[str, list[str]] = defaultdict(list)
        self.unseen_by_type: dict[str, list[str]] = defaultdict(list)  # placeholders
        self.endpoint_ips: dict[str, list[str]] = defaultdict(list)  # private IP -> endpoints
        self.endpoint_fqdns: dict[str, set[str]] = defaultdict(set)  # endpoint -> its names
        self.vnet_of_subnet: dict[str, str] = {}
        self.memo: dict[Any, Any] = {}  # for relations that many subjects share
        self.vnet_prefixes: dict[tuple[int, int], list[str]] = defaultdict(list)
        self._referrers: dict[str, set[str]] = defaultdict(set)  # placeholder -> referrers
        # Plain-dict mirrors of node data and adjacency: rules read them hundreds of
        # thousands of times, and networkx's views cost several times a dict lookup.
        self._rows: dict[str, dict[str, Any]] = {}
        self._kinds: dict[str, str] = {}
        self._unseen: set[str] = set()
        self._types: dict[str, str] = {}
        # (source, target, kind) -> attributes: one edge per triple, as networkx keeps it;
        # the indexes and the networkx graph are both made from it
        self._edges: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._back_refs: set[tuple[str, str]] = set()
        self._build()

    # -- access -----------------------------------------------------------------------
    def kind(self, k: str) -> str:
        return self._kinds[k]

    def row(self, k: str) -> dict[str, Any]:
        return self._rows[k]

    def seen(self, k: str) -> bool:
        return k not in self._unseen

    def name(self, k: str) -> str:
        row = self.row(k)
        return str(row.get("name") or arm.last_name(row.get("id", k)))

    def display_id(self, k: str) -> str:
        return str(self.row(k).get("id", k))

    def out(self, k: str, edge: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(target, attributes) of the node's outgoing edges of one kind."""
        return iter(self._out.get((k, edge), ()))

    def into(self, k: str, edge: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(source, attributes) of the node's incoming edges of one kind."""
        return iter(self._in.get((k, edge), ()))

    def has_edge(self, src: str, dst: str, edge: str) -> bool:
        return (src, dst, edge) in self._edges

    @property
    def g(self) -> nx.MultiDiGraph:
        """The estate as a networkx MultiDiGraph: node attributes ``kind``, ``type``,
        ``row``, ``seen``; edges keyed by their kind. Built through networkx's public API
        on first use: the relations read the (node, edge kind) indexes, which hold the same
        edges in the same order, so a scan that asks networkx nothing does not pay for it."""
        if self._nx is None:
            graph = nx.MultiDiGraph()
            graph.add_nodes_from(
                (
                    k,
                    {
                        "kind": self._kinds[k],
                        "type": self._types[k],
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
        """(node, edge kind) -> neighbours, both ways: a hub VNet has thousands of peerings,
        and a relation asking it for one kind of edge must not walk all of them.

        The order is networkx's own (by source node, then neighbour, then kind), so it is
        fixed for a given estate. The indexes are built from the builder's edge table, not
        from networkx's views: a view is cached on the graph and would tie graph and view in
        a reference cycle that only a garbage collection frees (the CLI runs without one)."""
        by_source: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]] = {}
        for (u, v, kind), attrs in self._edges.items():
            by_source.setdefault(u, {}).setdefault(v, []).append((kind, attrs))
        out: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        into: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for u in self._rows:
            for v, edges in by_source.get(u, {}).items():
                for kind, attrs in edges:
                    out[(u, kind)].append((v, attrs))
                    into[(v, kind)].append((u, attrs))
        self._out, self._in = dict(out), dict(into)

    def has_node(self, k: str) -> bool:
        return k in self._rows

    def nodes(self) -> Iterator[str]:
        """Every node key (seen rows, placeholders, DNS servers) in the order added."""
        return iter(self._rows)

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
        self._kinds[k] = kind or KIND_OF_TYPE.get(rtype, "other")
        self._types[k] = rtype
        if seen:
            self.by_type[rtype].append(k)
        else:
            self._unseen.add(k)
            self.unseen_by_type[rtype].append(k)

    def _link(self, src: str, dst: str, key: str, **attrs: Any) -> None:
        """Record an edge (a repeated one merges its attributes, as networkx would); edges
        go into networkx in one batch when the build ends."""
        found = self._edges.get((src, dst, key))
        if found is None:
            self._edges[(src, dst, key)] = attrs
        else:
            found.update(attrs)

    def _node_for(self, rid: str, referrer: str) -> str:
        """The key of a referenced resource, adding a placeholder when it was not seen."""
        k = arm.key(rid)
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

    def referrers(self, k: str, limit: int = 5) -> list[str]:
        """Up to ``limit`` resources that reference a placeholder, in a fixed order."""
        return sorted(self._referrers.get(k, ()), key=lambda r: (r.lower(), r))[:limit]

    def _edge(self, src: str, dst_id: str, kind: str, **attrs: Any) -> str:
        dst = self._node_for(dst_id, self.display_id(src))
        self._link(src, dst, key=kind, **attrs)
        return dst

    def _build(self) -> None:
        rows = self.estate.rows
        types = self.estate.types
        for k, row in rows.items():
            self._add_node(k, types[k], row)
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
        }
        for k, row in rows.items():
            kind = self._kinds[k]
            reader = readers.get(kind)
            if reader is not None:
                reader(k, row)
            if kind != "private_endpoint":
                self._endpoint_connections(k, row)
        self._dns_servers()
        self._index_edges()

    def _vnet_nodes(self, k: str) -> None:
        row = self.row(k)
        props = _props(row)
        space = props.get("addressSpace")
        for prefix in _list(space.get("addressPrefixes") if isinstance(space, dict) else None):
            try:
                net = ipaddress.ip_network(str(prefix), strict=False)
            except ValueError:
                continue
            if net.version == 4:
                self.vnet_prefixes[(net.prefixlen, int(net.network_address))].append(k)
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
            self._link(self._node_for(nsg, self.display_id(k)), k, key="protects")

    def _vnet(self, k: str, row: dict[str, Any]) -> None:
        props = _props(row)
        for sub in _objects(props.get("subnets")):
            sid = _ref(sub)
            nsg = _ref(_props(sub).get("networkSecurityGroup"))
            if sid and nsg:
                nsg_k = self._node_for(nsg, str(sid))
                self._link(nsg_k, arm.key(sid), key="protects")
        for peering in _objects(props.get("virtualNetworkPeerings")):
            p = _props(peering)
            remote = _ref(p.get("remoteVirtualNetwork"))
            if not remote:
                continue
            self._edge(
                k,
                remote,
                "peers_with",
                name=peering.get("name") if isinstance(peering, dict) else None,
                id=peering.get("id") if isinstance(peering, dict) else None,
                state=p.get("peeringState"),
                sync=p.get("peeringSyncLevel"),
                allow_vnet_access=p.get("allowVirtualNetworkAccess"),
                allow_forwarded_traffic=p.get("allowForwardedTraffic"),
                allow_gateway_transit=p.get("allowGatewayTransit"),
                use_remote_gateways=p.get("useRemoteGateways"),
            )

    def _nsg(self, k: str, row: dict[str, Any]) -> None:
        props = _props(row)
        for sub in _objects(props.get("subnets")):
            if sid := _ref(sub):
                self._edge(k, sid, "protects")
        for nic in _objects(props.get("networkInterfaces")):
            if nid := _ref(nic):
                self._edge(k, nid, "protects")

    def _nic(self, k: str, row: dict[str, Any]) -> None:
        props = _props(row)
        for cfg in _objects(props.get("ipConfigurations")):
            cp = _props(cfg)
            if sid := _ref(cp.get("subnet")):
                self._edge(k, sid, "in_subnet")
            if pip := _ref(cp.get("publicIPAddress")):
                self._link(self._node_for(pip, self.display_id(k)), k, key="attached_to")
        if nsg := _ref(props.get("networkSecurityGroup")):
            self._link(self._node_for(nsg, self.display_id(k)), k, key="protects")
        if vm := _ref(props.get("virtualMachine")):
            self._edge(k, vm, "attached_to")
        if pe := _ref(props.get("privateEndpoint")):
            pe_k = self._edge(k, pe, "attached_to")
            for cfg in _objects(props.get("ipConfigurations")):
                cp = _props(cfg)
                # the endpoint's NIC is the reliable source of its private IPs and names
                if ip := cp.get("privateIPAddress"):
                    self._pe_ip(str(ip), pe_k)
                link = cp.get("privateLinkConnectionProperties")
                self._pe_names(link.get("fqdns") if isinstance(link, dict) else None, pe_k)

    def _public_ip(self, k: str, row: dict[str, Any]) -> None:
        cfg = _ref(_props(row).get("ipConfiguration"))
        if cfg:
            self._edge(k, arm.parent(cfg), "attached_to")

    def _bastion(self, k: str, row: dict[str, Any]) -> None:
        for cfg in _objects(_props(row).get("ipConfigurations")):
            cp = _props(cfg)
            if sid := _ref(cp.get("subnet")):
                self._edge(k, sid, "in_subnet")
            if pip := _ref(cp.get("publicIPAddress")):
                self._link(self._node_for(pip, self.display_id(k)), k, key="attached_to")

    def _vm(self, k: str, row: dict[str, Any]) -> None:
        profile = _props(row).get("networkProfile")
        nics = profile.get("networkInterfaces") if isinstance(profile, dict) else None
        for nic in _objects(nics):
            if nid := _ref(nic):
                self._link(self._node_for(nid, self.display_id(k)), k, key="attached_to")

    def _private_endpoint(self, k: str, row: dict[str, Any]) -> None:
        props = _props(row)
        if sid := _ref(props.get("subnet")):
            self._edge(k, sid, "in_subnet")
        for manual, field in (
            (False, "privateLinkServiceConnections"),
            (True, "manualPrivateLinkServiceConnections"),
        ):
            for conn in _objects(props.get(field)):
                cp = _props(conn)
                target = cp.get("privateLinkServiceId")
                if not isinstance(target, str) or not target:
                    continue
                state = cp.get("privateLinkServiceConnectionState")
                self._edge(
                    k,
                    target,
                    "targets",
                    connection=conn.get("name") if isinstance(conn, dict) else None,
                    group_ids=[g for g in _list(cp.get("groupIds")) if isinstance(g, str)],
                    status=state.get("status") if isinstance(state, dict) else None,
                    manual=manual,
                )
        for nic in _objects(props.get("networkInterfaces")):
            if nid := _ref(nic):
                self._link(self._node_for(nid, self.display_id(k)), k, key="attached_to")
        for cfg in _objects(props.get("customDnsConfigs")):
            for ip in _list(cfg.get("ipAddresses")):
                self._pe_ip(str(ip), k)
            self._pe_names([cfg.get("fqdn")], k)
        for cfg in _objects(props.get("ipConfigurations")):
            ip = _props(cfg).get("privateIPAddress")
            if ip:
                self._pe_ip(str(ip), k)

    def _pe_ip(self, ip: str, pe: str) -> None:
        known = self.endpoint_ips[ip]
        if pe not in known:
            known.append(pe)

    def _pe_names(self, fqdns: Any, pe: str) -> None:
        names = self.endpoint_fqdns[pe]
        names.update(f.lower().rstrip(".") for f in _list(fqdns) if isinstance(f, str) and f)

    def _endpoint_connections(self, k: str, row: dict[str, Any]) -> None:
        """A target's own privateEndpointConnections: the only trace of an endpoint that
        lives outside the estate. Adds the targets edge where the endpoint's row did not."""
        conns = _props(row).get("privateEndpointConnections")
        if not isinstance(conns, list):
            return
        for conn in conns:
            cp = _props(conn)
            pe = _ref(cp.get("privateEndpoint"))
            if not pe:
                continue
            pe_k = self._node_for(pe, self.display_id(k))
            if self.seen(pe_k) or (pe_k, k) in self._back_refs:
                continue  # a seen endpoint's own row is authoritative
            self._back_refs.add((pe_k, k))
            state = cp.get("privateLinkServiceConnectionState")
            self._link(
                pe_k,
                k,
                key="targets",
                connection=conn.get("name") if isinstance(conn, dict) else None,
                group_ids=[g for g in _list(cp.get("groupIds")) if isinstance(g, str)],
                status=state.get("status") if isinstance(state, dict) else None,
                manual=None,
            )

    def _zone_group(self, k: str, row: dict[str, Any]) -> None:
        self._link(
            self._node_for(arm.parent(self.display_id(k)), self.display_id(k)),
            k,
            key="has_zone_group",
        )
        for cfg in _objects(_props(row).get("privateDnsZoneConfigs")):
            cp = _props(cfg)
            zone = cp.get("privateDnsZoneId")
            if isinstance(zone, str) and zone:
                self._edge(
                    k, zone, "uses_zone", config=cfg.get("name") if isinstance(cfg, dict) else None
                )
            pe_k = arm.key(arm.parent(self.display_id(k)))
            for rs in _objects(cp.get("recordSets")):
                for ip in _list(rs.get("ipAddresses")):
                    self._pe_ip(str(ip), pe_k)
                self._pe_names([rs.get("fqdn")], pe_k)

    def _zone_link(self, k: str, row: dict[str, Any]) -> None:
        props = _props(row)
        vnet = _ref(props.get("virtualNetwork"))
        zone_k = self._node_for(arm.parent(self.display_id(k)), self.display_id(k))
        if vnet:
            vnet_k = self._node_for(vnet, self.display_id(k))
            self._link(
                zone_k,
                vnet_k,
                key="linked_to",
                link=self.display_id(k),
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

    def _compute(self, k: str, row: dict[str, Any]) -> None:
        self._edge(k, arm.parent(self.display_id(k)), "compute_of")
        inner = _props(row).get("properties")
        if isinstance(inner, dict) and (sid := _ref(inner.get("subnet"))):
            self._edge(k, sid, "in_subnet")

    def _dns_servers(self) -> None:
        """Custom DNS servers: VNet (dhcpOptions) or NIC (dnsSettings, which overrides its
        VNet's for that NIC) -> dns_server -> the VNet whose address space holds it."""
        for kind, field in (("vnet", "dhcpOptions"), ("nic", "dnsSettings")):
            for k in self.nodes_of_kind(kind):
                settings = _props(self.row(k)).get(field)
                servers = settings.get("dnsServers") if isinstance(settings, dict) else None
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
