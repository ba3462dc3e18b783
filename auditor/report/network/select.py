"""What the network picture shows: which VNets, subnets, endpoints, zones, links and faults
are drawn, in which order, and what each box and edge says. The graph questions.

Findings mark what they concern: a node whose resource has a finding is faulty, a peering
or private-link edge named by a finding's related id is drawn faulty. Which DNS links are
missing is asked of the relation the rules ask (``required_links``), and an endpoint's zones
of ``endpoint_zones``: when the relation and the findings disagree, the relation is the
truth. Placeholders (referenced, not seen) are drawn apart. Big estates are capped: faulty
nodes and their neighbours first, and the notes say what was left out.

Everything here is text and order; :mod:`.layout` places it and :mod:`.svg` writes it.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import arm
from ...findings import SEVERITY_RANK, Finding, NotEvaluated
from ...relations import Unknown, endpoint_zones, required_links
from .layout import ATTACHED, SERVICES, VNETS, ZONES, EdgeKind

if TYPE_CHECKING:
    from ...graph import AuditGraph
    from ..view import ReportView

COLUMN_OF_KIND = {
    "aml_workspace": SERVICES,
    "storage_account": SERVICES,
    "key_vault": SERVICES,
    "container_registry": SERVICES,
    "app_insights": SERVICES,
    "private_endpoint": ATTACHED,
    "aml_compute": ATTACHED,
    "public_ip": ATTACHED,
    "vnet": VNETS,
    "private_dns_zone": ZONES,
}
KIND_ORDER = {
    "aml_workspace": 0,
    "aml_compute": 1,
    "storage_account": 2,
    "key_vault": 3,
    "container_registry": 4,
    "app_insights": 5,
    "private_endpoint": 6,
    "public_ip": 7,
    "other": 8,
}
KIND_LABEL = {
    "aml_workspace": "AML workspace",
    "aml_compute": "AML compute",
    "storage_account": "storage account",
    "key_vault": "key vault",
    "container_registry": "container registry",
    "app_insights": "Application Insights",
    "private_endpoint": "private endpoint",
    "public_ip": "public IP",
    "vnet": "VNet",
    "subnet": "subnet",
    "private_dns_zone": "private DNS zone",
}
ROLE_LABEL = {
    "storageAccount": "storage",
    "keyVault": "key vault",
    "containerRegistry": "registry",
    "applicationInsights": "App Insights",
}
# Caps per picture: the page stays usable and the drawing linear in what is drawn.
MAX_VNETS = 8
MAX_PER_COLUMN = 40
MAX_SUBNETS = 10
MAX_TITLE_FINDINGS = 8
CAP_NOTE = (
    "Workspaces and services",
    "Endpoints, computes and public IPs",
    "VNets",
    "Private DNS zones",
)


# -- what the picture is made of ------------------------------------------------------------
@dataclass
class Box:
    """A drawn node (or a subnet row of a VNet): its text, its hover lines and its marks."""

    key: str
    kind: str
    col: int
    lines: tuple[str, str, str]  # raw text: name, kind line, detail line
    title: list[str]  # raw hover lines
    seen: bool
    faults: list[Finding]
    unknown: list[NotEvaluated]
    subnets: list[Box] = field(default_factory=list)


@dataclass(frozen=True)
class Edge:
    """A line between two drawn boxes. ``in-subnet``: an endpoint, compute or public IP to
    its subnet row (``in-vnet``: to its VNet's header, when the row is not drawn);
    ``target``: an endpoint to its service; ``compute``: a compute to its workspace;
    ``link`` and ``missing``: a DNS zone to a VNet it is linked to, or must be and is
    not."""

    kind: EdgeKind
    source: str
    target: str
    classes: str
    title: list[str]


@dataclass(frozen=True)
class Peering:
    """The peerings between two drawn VNets, as one arc (``top`` is drawn above)."""

    top: str
    bottom: str
    level: int  # nesting: the shorter the span, the closer to the boxes
    classes: str
    title: list[str]
    label: list[str]
    fault: bool


@dataclass
class Scene:
    """Everything the picture shows, in drawing order, and what the page must say."""

    columns: list[list[Box]]
    edges: list[Edge | Peering]
    notes: list[str]
    counts: dict[str, int]  # node kind -> drawn


def worst(findings: list[Finding]) -> str:
    """The most severe severity among the findings."""
    return min((f.severity for f in findings), key=lambda s: SEVERITY_RANK.get(s, 99))


def finding_lines(findings: list[Finding]) -> list[str]:
    """Hover lines naming the findings (capped)."""
    lines = [f"{f.severity.upper()} {f.rule_id}: {f.title}" for f in findings[:MAX_TITLE_FINDINGS]]
    if len(findings) > MAX_TITLE_FINDINGS:
        lines.append(f"… and {len(findings) - MAX_TITLE_FINDINGS} more finding(s)")
    return lines


def _unknown_lines(entries: list[NotEvaluated]) -> list[str]:
    rules = sorted({n.rule_id for n in entries})
    return [f"not evaluated: {', '.join(rules)}"] if rules else []


# -- what the findings say about the drawing ------------------------------------------------
class Marks:
    """Findings and not-evaluated entries indexed by the node or edge they concern.

    Built once from the view (linear in findings), so drawing asks by key in O(1). A
    finding on a resource the picture does not draw as a node is carried to one it does: an
    NSG's to the subnets it protects, a NIC's to its public IP (its related id) or its
    subnet. Ids are graph keys: a resource from source code, which reports name by its
    Terraform address, is found by that address (``ReportView.node``)."""

    def __init__(self, view: ReportView) -> None:
        g = view.graph
        self.node: dict[str, list[Finding]] = defaultdict(list)
        self.related: dict[str, list[Finding]] = defaultdict(list)
        self.unknown: dict[str, list[NotEvaluated]] = defaultdict(list)
        # the graph key of each finding's related id, for the edges that ask
        self.related_key: dict[int, str] = {}
        for f in view.findings:
            rk = view.node(f.resource_id, f.resource_type)
            self.node[rk].append(f)
            related = view.node(f.related_id) if f.related_id else None
            if related:
                self.related_key[id(f)] = related
            if related:
                self.related[related].append(f)
            if not g.has_node(rk):
                continue
            for proxy in _proxies(g, rk, related):
                if proxy != rk:
                    self.node[proxy].append(f)
        for n in view.coverage.checks:
            if not n.resource_id:
                continue
            rk = view.node(n.resource_id)
            self.unknown[rk].append(n)
            if g.has_node(rk):
                related = view.node(n.related_id) if n.related_id else None
                for proxy in _proxies(g, rk, related):
                    if proxy != rk:
                        self.unknown[proxy].append(n)

    def of(self, k: str) -> list[Finding]:
        return self.node.get(k, [])

    def about(self, k: str, related: str) -> list[Finding]:
        """The findings of node ``k`` whose related id is node ``related``."""
        return [f for f in self.of(k) if self.related_key.get(id(f)) == related]


def _proxies(g: AuditGraph, k: str, related: str | None) -> list[str]:
    """Drawn nodes that stand for a resource the picture has no box for."""
    kind = g.kind(k)
    if kind == "nsg":
        out = []
        for t, _ in g.out(k, "protects"):
            if g.kind(t) == "subnet":
                out.append(t)
            elif g.kind(t) == "nic":
                out.extend(s for s, _ in g.out(t, "in_subnet"))
        return sorted(set(out))
    if kind == "nic":
        if related and g.has_node(related) and g.kind(related) == "public_ip":
            return [related]
        return sorted({s for s, _ in g.out(k, "in_subnet")})
    return []  # other kinds without a box (VMs, zone groups, records): the table has them


# -- reading the graph ----------------------------------------------------------------------
def _props(row: dict[str, Any]) -> dict[str, Any]:
    p = row.get("properties")
    return p if isinstance(p, dict) else {}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if isinstance(v, str | int)] if isinstance(value, list) else []


def _sorted_out(g: AuditGraph, k: str, edge: str) -> list[tuple[str, dict[str, Any]]]:
    """Edges in key order: the graph keeps them in input order, the picture must not."""
    return sorted(g.out(k, edge), key=lambda e: (e[0], str(e[1].get("id") or e[1].get("link"))))


def home_subnet(g: AuditGraph, k: str) -> str | None:
    """The subnet a private endpoint, compute or public IP (through its NIC or Bastion)
    sits in."""
    kind = g.kind(k)
    if kind in ("private_endpoint", "aml_compute"):
        subnets = [s for s, _ in g.out(k, "in_subnet")]
        return min(subnets) if subnets else None
    if kind == "public_ip":
        found = [s for t, _ in g.out(k, "attached_to") for s, _ in g.out(t, "in_subnet")]
        return min(found) if found else None
    return None


def _where(rid: str) -> str:
    """Resource group and the start of the subscription id: tells same-named resources of
    different landing zones apart."""
    rg = arm.segment(rid, "resourceGroups") or "?"
    sub = arm.segment(rid, "subscriptions") or "?"
    return f"{rg} in {sub[:8]}"


def _attachment(g: AuditGraph, pip: str) -> str:
    """What a public IP is attached to, in words (where known)."""
    parts = []
    for t, _ in _sorted_out(g, pip, "attached_to"):
        kind = g.kind(t)
        if kind == "nic":
            owners = [
                f"{'VM' if g.kind(o) == 'vm' else KIND_LABEL.get(g.kind(o), g.kind(o))} {g.name(o)}"
                for o, _ in _sorted_out(g, t, "attached_to")
            ]
            parts.append(
                ", ".join(owners) + f" (NIC {g.name(t)})" if owners else f"NIC {g.name(t)}"
            )
        elif kind == "bastion":
            parts.append(f"Bastion {g.name(t)}")
        else:
            parts.append(
                f"{KIND_LABEL.get(kind, arm.arm_type(g.display_id(t)) or kind)} {g.name(t)}"
            )
    return "; ".join(parts)


def _peer_state(states: list[str]) -> str:
    low = {s.lower() for s in states}
    if low == {"connected"}:
        return "connected"
    if "disconnected" in low:
        return "disconnected"
    if "initiated" in low:
        return "initiated"
    return "other"


# -- choosing -------------------------------------------------------------------------------
def select(view: ReportView) -> Scene:
    """The scene of the view's estate. Linear in the estate apart from sorting."""
    return _Selection(view).scene()


class _Selection:
    def __init__(self, view: ReportView) -> None:
        self.view = view
        self.g = view.graph
        self.marks = Marks(view)
        self.notes: list[str] = []
        self.adj: dict[str, set[str]] = defaultdict(set)
        self.boxes: dict[str, Box] = {}
        self.subnet_box: dict[str, Box] = {}
        self.missing: dict[str, list[str]] = {}  # zone -> VNets it must be linked to, is not
        self.shown: set[str] = set()  # fingerprints of findings the drawing marks

    def _candidates(self) -> list[list[str]]:
        g = self.g
        cols: list[list[str]] = [[], [], [], []]
        targets: set[str] = set()
        for k in g.nodes():
            kind = g.kind(k)
            col = COLUMN_OF_KIND.get(kind)
            if col is not None:
                cols[col].append(k)
            if kind == "private_endpoint":
                targets.update(t for t, _ in g.out(k, "targets"))
        for t in targets:
            if COLUMN_OF_KIND.get(g.kind(t)) is None:
                cols[SERVICES].append(t)  # a private-link target of another kind
        return [sorted(set(c)) for c in cols]

    def _link(self, a: str | None, b: str | None) -> None:
        if a and b and a != b:
            self.adj[a].add(b)
            self.adj[b].add(a)

    def _vnet_of(self, subnet: str | None) -> str | None:
        return self.g.vnet_of_subnet.get(subnet) if subnet else None

    def _adjacency(self, cols: list[list[str]]) -> None:
        """Who is next to whom in the picture's terms (for choosing and ordering)."""
        g = self.g
        for k in cols[ATTACHED]:
            self._link(k, self._vnet_of(home_subnet(g, k)))
            if g.kind(k) == "private_endpoint":
                for t, _ in g.out(k, "targets"):
                    self._link(k, t)
                zones = endpoint_zones(g, k)
                for z in () if isinstance(zones, Unknown) else zones:
                    self._link(k, z)
            elif g.kind(k) == "aml_compute":
                for w, _ in g.out(k, "compute_of"):
                    self._link(k, w)
        for k in cols[SERVICES]:
            for s, _ in g.out(k, "uses"):
                self._link(k, s)
        for k in cols[VNETS]:
            for r, _ in g.out(k, "peers_with"):
                self._link(k, r)
            for sub, _ in g.out(k, "contains"):
                self._link(k, sub)  # a subnet's findings make its VNet worth drawing
        for k in cols[ZONES]:
            for v, _ in g.out(k, "linked_to"):
                self._link(k, v)
            for v in self._missing_links(k):
                self._link(k, v)

    def _missing_links(self, zone: str) -> list[str]:
        """VNets the zone must be linked to and is not, as ``required_links`` (the
        relation MLA-DNS-001 asks) decides them; undecidable ones are not drawn, and none
        is drawn when no rule that ran asks the relation (the user left DNS out)."""
        found = self.missing.get(zone)
        if found is None:
            g = self.g
            asked = any("required_links" in r.relations for r in self.view.rules)
            needs = required_links(g, zone) if asked and g.seen(zone) else []
            found = self.missing[zone] = sorted(
                {
                    i.node
                    for i in ([] if isinstance(needs, Unknown) else needs)
                    if i.node and i.unknown is None and not i.extra.get("linked")
                }
            )
        return found

    def _faulty(self, k: str) -> bool:
        return bool(self.marks.of(k))

    def _choose(
        self, cands: list[str], cap: int, chosen: set[str], what: str, grow: bool = False
    ) -> list[str]:
        """Up to ``cap`` of the candidates, so that a capped picture stays one coherent
        piece around the faults: next to what is already drawn first (faulty ones, then
        neighbours of faulty ones, then the rest); more faulty neighbours first, then by
        name. Nodes next to nothing drawn are left out (the page counts them). VNets, the
        first column chosen, ``grow`` instead: faulty ones and neighbours of faulty ones
        first, each bringing its own peers along (a faulty spoke with its hub)."""
        if len(cands) <= cap:
            return cands
        faulty = {k for k in cands if self._faulty(k)}
        ranks: dict[str, tuple[int, int, str, str]] = {}
        for k in cands:
            near = self.adj.get(k, set())
            bad_near = sum(1 for n in near if self._faulty(n))
            r = 0 if k in faulty else 1 if bad_near else 2
            if not (near & chosen):
                r += 3
            ranks[k] = (r, -bad_near, self.g.name(k).lower(), k)
        order = sorted(cands, key=ranks.__getitem__)
        if not grow:  # only what is next to the picture already: one coherent piece
            picked = [k for k in order if ranks[k][0] < 3][:cap]
        else:
            picked, taken = [], set()
            for k in order:
                if len(picked) >= cap:
                    break
                if k in taken:
                    continue
                picked.append(k)
                taken.add(k)
                peers = [n for n in self.adj.get(k, ()) if n in ranks and n not in taken]
                for n in sorted(peers, key=ranks.__getitem__)[: cap - len(picked)]:
                    picked.append(n)
                    taken.add(n)
        left = len(cands) - len(picked)
        left_faulty = len(faulty) - sum(1 for k in picked if k in faulty)
        note = f"{what}: {len(picked)} of {len(cands)} drawn, {left} left out"
        if left_faulty:
            note += f" ({left_faulty} of them with findings: see the findings table)"
        self.notes.append(note + ".")
        return sorted(picked)

    # -- boxes ---------------------------------------------------------------------------
    def _box(self, k: str, col: int, ambiguous: bool = False) -> Box:
        """A node's box; when its name repeats in its column (landing zones reuse names),
        its detail line starts with its resource group and subscription."""
        g = self.g
        kind = g.kind(k)
        row = g.row(k)
        props = _props(row)
        name = g.name(k)
        label = KIND_LABEL.get(kind) or arm.arm_type(g.display_id(k)).split("/")[-1] or kind
        line2, line3 = label, ""
        if kind == "private_endpoint":
            conns = _sorted_out(g, k, "targets")
            groups = sorted({gid for _, a in conns for gid in a.get("group_ids") or []})
            if groups:
                line2 = f"{label} · {', '.join(groups)}"
            tgt = []
            for t, a in conns:
                status = a.get("status")
                tgt.append(g.name(t) + (f" ({status})" if status and status != "Approved" else ""))
            line3 = "→ " + ", ".join(tgt) if tgt else "no private link connection"
        elif kind == "aml_compute":
            ctype = props.get("computeType")
            if isinstance(ctype, str) and ctype:
                line2 = f"{label} · {ctype}"
            subnet = home_subnet(g, k)
            line3 = f"in {g.name(subnet)}" if subnet else "in no VNet subnet"
        elif kind == "public_ip":
            address = props.get("ipAddress")
            if isinstance(address, str) and address:
                line2 = f"{label} · {address}"
            attached = _attachment(g, k)
            line3 = f"→ {attached}" if attached else "not attached"
        elif kind == "vnet":
            space = props.get("addressSpace")
            prefixes = _strings(space.get("addressPrefixes")) if isinstance(space, dict) else []
            line2 = ", ".join(prefixes) if prefixes else "no address space"
        elif kind == "private_dns_zone":
            links = sum(1 for _ in g.out(k, "linked_to"))
            line3 = f"{links} VNet link{'s' if links != 1 else ''}"
        elif kind == "aml_workspace":
            computes = sum(1 for _ in g.into(k, "compute_of"))
            line3 = f"{computes} compute{'s' if computes != 1 else ''}" if computes else ""
        elif col == SERVICES:
            roles = sorted(
                {
                    f"{ROLE_LABEL.get(str(a.get('role')), a.get('role'))} of {g.name(w)}"
                    for w, a in g.into(k, "uses")
                }
            )
            line3 = "; ".join(roles)
        seen = g.seen(k)
        if not seen:
            line3 = "not seen: outside the estate"
        if ambiguous and col != ATTACHED:  # those sit next to their (told apart) subnet
            where = _where(g.display_id(k))
            if kind == "vnet":
                line2 = f"{line2} · {where}"
            elif kind == "private_dns_zone" or not line3:
                line3 = f"{where} · {line3}" if line3 else where
        faults = self.marks.of(k)
        unknown = self.marks.unknown.get(k, [])
        title = [name, self.view.source_of(k) or g.display_id(k), line2]
        title += ([line3] if line3 else []) + finding_lines(faults) + _unknown_lines(unknown)
        return Box(k, kind, col, (name, line2, line3), title, seen, faults, unknown)

    def _subnet_box(self, s: str) -> Box:
        g = self.g
        props = _props(g.row(s))
        prefixes = _strings(props.get("addressPrefix")) + _strings(props.get("addressPrefixes"))
        prefix = ", ".join(dict.fromkeys(prefixes))
        faults = self.marks.of(s)
        unknown = self.marks.unknown.get(s, [])
        title = [g.name(s), self.view.source_of(s) or g.display_id(s)]
        title.append(f"subnet · {prefix}" if prefix else "subnet")
        title += finding_lines(faults) + _unknown_lines(unknown)
        return Box(s, "subnet", VNETS, (g.name(s), prefix, ""), title, True, faults, unknown)

    # -- the whole thing ---------------------------------------------------------------
    def scene(self) -> Scene:
        g = self.g
        cands = self._candidates()
        self._adjacency(cands)
        chosen: set[str] = set()
        caps = (MAX_PER_COLUMN, MAX_PER_COLUMN, MAX_VNETS, MAX_PER_COLUMN)
        picked: list[list[str]] = [[], [], [], []]
        for col in (VNETS, ATTACHED, SERVICES, ZONES):
            picked[col] = self._choose(
                cands[col], caps[col], chosen, CAP_NOTE[col], grow=col == VNETS
            )
            chosen.update(picked[col])
        for col in range(4):
            names = Counter(g.name(k).lower() for k in picked[col])
            for k in picked[col]:
                self.boxes[k] = self._box(k, col, names[g.name(k).lower()] > 1)
        vnets = self._vnet_order(picked[VNETS])
        self._subnets(vnets, picked[ATTACHED])
        vnet_rank = {v: i for i, v in enumerate(vnets)}
        subnet_rank = {s.key: i for v in vnets for i, s in enumerate(self.boxes[v].subnets)}
        big = len(vnets) + 1

        def attached_order(k: str) -> tuple[Any, ...]:
            s = home_subnet(g, k)
            v = self._vnet_of(s)
            return (
                vnet_rank.get(v, big) if v else big,
                subnet_rank.get(s, big) if s else big,
                KIND_ORDER.get(g.kind(k), 9),
                g.name(k).lower(),
                k,
            )

        attached = sorted(picked[ATTACHED], key=attached_order)
        att_rank = {k: i for i, k in enumerate(attached)}
        inf = len(attached) + 1

        def service_order(k: str) -> tuple[Any, ...]:
            near = [att_rank[n] for n in self.adj.get(k, ()) if n in att_rank]
            anchor: float = min(near) if near else inf
            if not near:  # a workspace's associated resource without endpoints: by its user
                users = [w for w, _ in g.into(k, "uses") if w in self.boxes]
                ws = [
                    min((att_rank[n] for n in self.adj.get(w, ()) if n in att_rank), default=inf)
                    for w in users
                ]
                anchor = min(ws, default=inf) + 0.5
            return (anchor, KIND_ORDER.get(g.kind(k), 9), g.name(k).lower(), k)

        services = sorted(picked[SERVICES], key=service_order)

        def zone_order(k: str) -> tuple[Any, ...]:
            """Next to the first VNet it links (or must link) to, then by name: in a
            multi-landing-zone estate each zone sits by its own VNets."""
            near = [vnet_rank[v] for v in self.adj.get(k, ()) if v in vnet_rank]
            return (min(near, default=big), g.name(k).lower(), k)

        zones = sorted(picked[ZONES], key=zone_order)
        columns = [[self.boxes[k] for k in keys] for keys in (services, attached, vnets, zones)]
        edges = self._edges(columns)
        for b in [*self.boxes.values(), *self.subnet_box.values()]:
            self.shown.update(f.fingerprint for f in b.faults)
        total = len(self.view.findings)
        if total > len(self.shown):
            self.notes.append(
                f"{total - len(self.shown)} of {total} finding(s) concern resources the "
                "picture does not show (kinds it does not draw, or left out above); the "
                "findings table lists every finding."
            )
        counts: dict[str, int] = defaultdict(int)
        for b in self.boxes.values():
            counts[b.kind] += 1
        counts["subnet"] = len(self.subnet_box)
        return Scene(columns, edges, self.notes, dict(sorted(counts.items())))

    def _subnets(self, vnets: list[str], attached: list[str]) -> None:
        """Each drawn VNet's subnets (capped: with findings, then with drawn endpoints
        first), by name."""
        g = self.g
        occupied: set[str] = set()
        for k in attached:
            s = home_subnet(g, k)
            if s:
                occupied.add(s)
        dropped = 0
        for v in vnets:
            subs = sorted({s for s, _ in g.out(v, "contains")})
            if len(subs) > MAX_SUBNETS:
                dropped += len(subs) - MAX_SUBNETS
                subs = sorted(
                    subs,
                    key=lambda s: (
                        0 if self._faulty(s) else 1 if s in occupied else 2,
                        g.name(s).lower(),
                        s,
                    ),
                )[:MAX_SUBNETS]
            subs.sort(key=lambda s: (g.name(s).lower(), s))
            box = self.boxes[v]
            box.subnets = [self._subnet_box(s) for s in subs]
            for sb in box.subnets:
                self.subnet_box[sb.key] = sb
        if dropped:
            self.notes.append(
                f"Subnets: at most {MAX_SUBNETS} per VNet drawn, {dropped} left out "
                "(subnets with findings or with drawn endpoints first)."
            )

    def _vnet_order(self, vnets: list[str]) -> list[str]:
        """VNets by name, each followed by the peers it reaches (breadth first, by name):
        peered VNets sit together and their arcs stay short."""
        g = self.g
        by_name = sorted(vnets, key=lambda k: (g.name(k).lower(), k))
        drawn = set(vnets)
        placed: set[str] = set()
        order: list[str] = []
        for start in by_name:
            if start in placed:
                continue
            queue = deque([start])
            placed.add(start)
            while queue:
                k = queue.popleft()
                order.append(k)
                peers = {r for r, _ in g.out(k, "peers_with")}
                peers |= {r for r, _ in g.into(k, "peers_with")}
                for r in sorted(peers & drawn - placed, key=lambda p: (g.name(p).lower(), p)):
                    placed.add(r)
                    queue.append(r)
        return order

    # -- edges ---------------------------------------------------------------------------
    def _edges(self, columns: list[list[Box]]) -> list[Edge | Peering]:
        g = self.g
        out: list[Edge | Peering] = []
        # endpoints, computes, public IPs -> their subnet; endpoints -> targets; computes -> ws
        for b in columns[ATTACHED]:
            k = b.key
            subnet = home_subnet(g, k)
            vnet = self._vnet_of(subnet)
            title = [f"{g.name(k)} in subnet {g.name(subnet) if subnet else '?'}"]
            if subnet and subnet in self.subnet_box:
                out.append(Edge("in-subnet", k, subnet, "edge e-in", title))
            elif vnet and vnet in self.boxes:
                out.append(Edge("in-vnet", k, vnet, "edge e-in", title))
            if b.kind == "private_endpoint":
                for t, a in _sorted_out(g, k, "targets"):
                    if t not in self.boxes:
                        continue
                    faults = self.marks.about(k, t)
                    self.shown.update(f.fingerprint for f in faults)
                    status = a.get("status") or "status unknown"
                    groups = ", ".join(a.get("group_ids") or []) or "no group id"
                    title = [f"{g.name(k)} → {g.name(t)} ({groups}): {status}"]
                    cls = "edge e-target" + (" fault" if faults else "")
                    out.append(Edge("target", k, t, cls, title + finding_lines(faults)))
            elif b.kind == "aml_compute":
                for w, _ in _sorted_out(g, k, "compute_of"):
                    if w in self.boxes:
                        title = [f"{g.name(k)} is a compute of {g.name(w)}"]
                        out.append(Edge("compute", k, w, "edge e-compute", title))
        out += self._peerings([b.key for b in columns[VNETS]])
        out += self._zone_links([b.key for b in columns[ZONES]])
        return out

    def _peerings(self, vnets: list[str]) -> list[Peering]:
        g = self.g
        rank = {v: i for i, v in enumerate(vnets)}
        pairs: dict[tuple[str, str], list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
        outside = 0
        for v in vnets:
            for r, a in _sorted_out(g, v, "peers_with"):
                if r == v:
                    continue
                if r not in rank:
                    outside += 1
                    continue
                pair = (v, r) if rank[v] < rank[r] else (r, v)
                pairs[pair].append((v, r, a))
        if outside:
            self.notes.append(
                f"{outside} peering(s) lead to VNets that are not drawn (capped); the rule "
                "results cover them all."
            )
        out = []
        ordered = sorted(pairs, key=lambda p: (rank[p[1]] - rank[p[0]], rank[p[0]]))
        for level, pair in enumerate(ordered):
            entries = sorted(pairs[pair], key=lambda e: (rank[e[0]], str(e[2].get("id"))))
            states = [str(a.get("state") or "unknown") for _, _, a in entries]
            faults: list[Finding] = []
            for _, _, a in entries:
                if a.get("id"):
                    faults += self.marks.related.get(arm.key(str(a["id"])), [])
            self.shown.update(f.fingerprint for f in faults)
            if len(entries) == 1:
                label = [states[0], "(one-sided)"]
            elif len(set(states)) == 1:
                label = [states[0]]
            else:  # top→bottom first, as the title says
                label = [" / ".join(states)]
            title = [
                f"{g.name(src)} → {g.name(dst)}: peering {a.get('name') or '?'} "
                f"{a.get('state') or 'state unknown'}"
                + (f", {a.get('sync')}" if a.get("sync") else "")
                for src, dst, a in entries
            ]
            if len(entries) == 1:
                src, dst, _ = entries[0]
                title.append(f"no peering entry from {g.name(dst)} back to {g.name(src)}")
            title += finding_lines(faults)
            cls = f"edge e-peer st-{_peer_state(states)}" + (" fault" if faults else "")
            out.append(Peering(pair[0], pair[1], level, cls, title, label, bool(faults)))
        return out

    def _zone_links(self, zones: list[str]) -> list[Edge]:
        g = self.g
        out = []
        for z in zones:
            for v, a in _sorted_out(g, z, "linked_to"):
                if v not in self.boxes:
                    continue
                state = a.get("state")
                title = [
                    f"{g.name(z)} linked to {g.name(v)} (link {a.get('link_name') or '?'}"
                    + (f", {state}" if state else "")
                    + (", auto-registration" if a.get("registration_enabled") else "")
                    + ")"
                ]
                out.append(Edge("link", z, v, "edge e-link", title))
            for v in self._missing_links(z):
                if v not in self.boxes:
                    continue
                faults = self.marks.about(z, v)
                self.shown.update(f.fingerprint for f in faults)
                title = [f"MISSING: {g.name(z)} is not linked to {g.name(v)}"]
                title += finding_lines(faults)
                # the relation is the truth; a missing link no finding names (the finding
                # is suppressed, say) is drawn all the same, without a severity
                cls = f"edge e-missing fault sev-{worst(faults)}" if faults else "edge e-missing"
                out.append(Edge("missing", z, v, cls, title))
        return out
