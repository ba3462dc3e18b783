"""The network picture of the HTML report: a fixed column layout drawn as inline SVG.

Pure Python and no JavaScript, so the page can carry a CSP that forbids every script and
fetch. The topology of an Azure ML estate is layered, so columns by kind read better than a
force layout and need no layout engine: workspaces and services | private endpoints, AML
computes and public IPs (the things that sit in subnets) | VNets with their subnets |
private DNS zones. Rows are sorted by the graph (never by input order) and the geometry is
fixed, so the same run gives the same bytes.

Findings mark what they concern: a node whose resource has a finding gets the ``fault``
class, a peering or private-link edge named by a finding's related id is drawn faulty, and
a DNS zone that lacks a VNet link it needs (resource: the zone, related: the VNet) gets the
missing link drawn as a dashed red edge. Placeholders (referenced, not seen) are drawn
dashed. Big estates are capped: faulty nodes and their neighbours first, and the page says
what was left out.

Every string from the estate reaches the SVG and the page through :func:`esc`, the one
escape function of the HTML report.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import arm
from ..findings import SEVERITY_RANK, Finding, NotEvaluated

if TYPE_CHECKING:
    from ..graph import AuditGraph
    from . import Run

# -- text: the one choke point ------------------------------------------------------------
# C0/C1 controls, DEL, bidi embeddings/overrides/isolates/marks, zero-width and invisible
# format characters, line/paragraph separators, BOM, lone surrogates (unencodable) and the
# two XML non-characters. They are shown as [U+XXXX], never passed through.
_UNSAFE_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069"
    "\ufeff\ud800-\udfff\ufffe\uffff]"
)
_UNSAFE_TEXT = re.compile(  # the same, but keeping line feeds (multi-line fields)
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069"
    "\ufeff\ud800-\udfff\ufffe\uffff]"
)


def _visible(m: re.Match[str]) -> str:
    return f"[U+{ord(m.group(0)):04X}]"


def clean(value: object, multiline: bool = False) -> str:
    """The text with every invisible or direction-changing character shown as [U+XXXX]."""
    text = value if isinstance(value, str) else str(value)
    if multiline:
        text = text.replace("\r\n", "\n")
    return (_UNSAFE_TEXT if multiline else _UNSAFE_LINE).sub(_visible, text)


def esc(value: object, multiline: bool = False) -> str:
    """Untrusted text as HTML/SVG text or attribute value: cleaned, then escaped (``&<>"'``).

    The report's only escape function: every estate string goes through it."""
    return html.escape(clean(value, multiline), quote=True)


_NARROW = frozenset("ijlI.,:;'!|()[]{}frt ")
_WIDE = frozenset("MWmw@%")


def _width(ch: str) -> float:
    """A character's advance in average characters (sans-serif, roughly): enough to keep
    a name of capitals or CJK inside its box without measuring fonts."""
    if ch in _NARROW:
        return 0.55
    if ch in _WIDE:
        return 1.55
    if "A" <= ch <= "Z":
        return 1.25
    if ord(ch) < 0x2E80:
        return 1.0
    return 2.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 1.0


def truncate(value: object, limit: int) -> str:
    """The cleaned text cut to about ``limit`` average characters, ending in … when cut
    (the drawing's boxes have a fixed width; the full text goes into <title>)."""
    text = clean(value)
    if len(text) * 2 <= limit:
        return text
    used, cut = 0.0, None
    for i, ch in enumerate(text):
        used += _width(ch)
        if cut is None and used > limit - 1:
            cut = i  # where "…" would go
        if used > limit:
            return text[:cut] + "…"
    return text


# -- geometry -------------------------------------------------------------------------------
MARGIN = 16
LEGEND_H = 64
HEADER_H = 28
NODE_H = 54
NODE_GAP = 12
VNET_HEAD = 46
SUBNET_H = 24
SUBNET_GAP = 4
VNET_PAD = 8
NAME_W = 7.4  # average advance of the 12px bold name text, for truncation
CHAR_W = 6.3  # average advance of the 11px detail text
# (title, width, gap after the column)
COLUMNS: tuple[tuple[str, int, int], ...] = (
    ("Workspaces and services", 210, 60),
    ("Endpoints, compute, public IPs", 220, 80),
    ("VNets and subnets", 260, 150),
    ("Private DNS zones", 270, 0),
)
SERVICES, ATTACHED, VNETS, ZONES = range(4)
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


def _column_x() -> list[int]:
    xs, x = [], MARGIN
    for _, width, gap in COLUMNS:
        xs.append(x)
        x += width + gap
    return xs


COLUMN_X = _column_x()
SVG_WIDTH = COLUMN_X[-1] + COLUMNS[-1][1] + MARGIN

# Styles of the drawing (no estate text); the page puts them into its <style>.
CSS = """
svg.net{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:12px}
svg.net .colhead{font-weight:600;font-size:13px;fill:#1f2328}
svg.net .node rect.box{fill:#fff;stroke:#8c959f;stroke-width:1.2}
svg.net .k-vnet rect.box{fill:#f6f8fa}
svg.net .subnet rect{fill:#fff;stroke:#c5ccd3;stroke-width:1}
svg.net .node .name{font-weight:600;fill:#1f2328}
svg.net .node .sub{fill:#57606a;font-size:11px}
svg.net .node.unseen rect.box{stroke-dasharray:5 3;fill:#f3f3f3;stroke:#8c959f}
svg.net .node.unseen .name{fill:#57606a;font-style:italic}
svg.net .unknown rect.box,svg.net .subnet.unknown rect{stroke:#bf8700;stroke-width:2}
svg.net .fault rect.box,svg.net .subnet.fault rect{stroke:#cf222e;stroke-width:2.6}
svg.net .fault .name{fill:#a40e26}
svg.net .badge{stroke:none}
svg.net .badge-t{fill:#fff;font-size:10px;font-weight:700}
svg.net .sev-critical .badge,svg.net .badge.sev-critical{fill:#82071e}
svg.net .sev-high .badge,svg.net .badge.sev-high{fill:#cf222e}
svg.net .sev-medium .badge,svg.net .badge.sev-medium{fill:#bc4c00}
svg.net .sev-low .badge,svg.net .badge.sev-low{fill:#0969da}
svg.net .sev-info .badge,svg.net .badge.sev-info{fill:#57606a}
svg.net .badge.unk{fill:#bf8700}
svg.net path.edge{fill:none;stroke:#8c959f;stroke-width:1.3}
svg.net path.e-target{stroke:#6e7781}
svg.net path.e-in{stroke:#afb8c1}
svg.net path.e-compute{stroke:#afb8c1;stroke-dasharray:2 3}
svg.net path.e-link{stroke:#1a7f37;stroke-width:1.4}
svg.net path.e-peer{stroke:#0969da;stroke-width:2.4}
svg.net path.e-peer.st-initiated{stroke:#bf8700;stroke-dasharray:7 4}
svg.net path.e-peer.st-disconnected{stroke:#6e7781;stroke-dasharray:3 4}
svg.net path.e-peer.st-other{stroke:#6e7781;stroke-dasharray:1 3}
svg.net path.edge.fault{stroke:#cf222e;stroke-width:2.4}
svg.net path.e-missing{stroke:#cf222e;stroke-width:2.4;stroke-dasharray:7 5}
svg.net .elabel{font-size:11px;fill:#0a3069;paint-order:stroke;stroke:#fff;stroke-width:4px;
stroke-linejoin:round}
svg.net .elabel.fault{fill:#a40e26;font-weight:600}
svg.net .legend text{fill:#1f2328;font-size:11px}
svg.net .legend-frame{fill:#f6f8fa;stroke:#d0d7de}
"""


# -- what the findings say about the drawing ----------------------------------------------
class Marks:
    """Findings and not-evaluated entries indexed by the node or edge they concern.

    Built once from the run (linear in findings), so drawing asks by key in O(1). A finding
    on a resource the picture does not draw as a node is carried to one it does: an NSG's
    to the subnets it protects, a NIC's to its public IP (its related id) or its subnet."""

    def __init__(self, run: Run) -> None:
        g = run.graph
        self.node: dict[str, list[Finding]] = defaultdict(list)
        self.related: dict[str, list[Finding]] = defaultdict(list)
        self.unknown: dict[str, list[NotEvaluated]] = defaultdict(list)
        for f in run.result.findings:
            rk = arm.key(f.resource_id)
            self.node[rk].append(f)
            related = arm.key(f.related_id) if f.related_id else None
            if related:
                self.related[related].append(f)
            if rk not in g.g:
                continue
            for proxy in _proxies(g, rk, related):
                if proxy != rk:
                    self.node[proxy].append(f)
        for n in run.result.not_evaluated:
            if not n.resource_id:
                continue  # a whole rule: the page's coverage section says so
            rk = arm.key(n.resource_id)
            self.unknown[rk].append(n)
            if rk in g.g:
                related = arm.key(n.related_id) if n.related_id else None
                for proxy in _proxies(g, rk, related):
                    if proxy != rk:
                        self.unknown[proxy].append(n)

    def of(self, k: str) -> list[Finding]:
        return self.node.get(k, [])


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
        if related and related in g.g and g.kind(related) == "public_ip":
            return [related]
        return sorted({s for s, _ in g.out(k, "in_subnet")})
    return []  # other kinds without a box (VMs, zone groups, records): the table has them


def _worst(findings: list[Finding]) -> str:
    return min((f.severity for f in findings), key=lambda s: SEVERITY_RANK.get(s, 99))


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


def _home_subnet(g: AuditGraph, k: str) -> str | None:
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


# -- the layout model -----------------------------------------------------------------------
@dataclass
class Box:
    key: str
    kind: str
    col: int
    lines: tuple[str, str, str]  # raw text: name, kind line, detail line
    title: list[str]  # raw hover lines
    seen: bool
    faults: list[Finding]
    unknown: list[NotEvaluated]
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    nid: str = ""
    subnets: list[Box] = field(default_factory=list)


@dataclass
class Picture:
    """The drawing and what the page must say about it (plain text; the page escapes it)."""

    svg: str
    notes: list[str]
    counts: dict[str, int]  # node kind -> drawn


def draw(run: Run) -> Picture:
    """Lay out and draw the estate's network. Linear in the estate apart from sorting."""
    return _Drawing(run).render()


class _Drawing:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.g = run.graph
        self.marks = Marks(run)
        self.notes: list[str] = []
        self.adj: dict[str, set[str]] = defaultdict(set)
        self.boxes: dict[str, Box] = {}
        self.subnet_box: dict[str, Box] = {}
        self.columns: list[list[str]] = [[], [], [], []]
        self.shown: set[str] = set()  # fingerprints of findings the drawing marks
        self.labels: list[str] = []  # edge labels: drawn over every edge, under the nodes

    # -- choosing what to draw --------------------------------------------------------
    def _candidates(self) -> list[list[str]]:
        g = self.g
        cols: list[list[str]] = [[], [], [], []]
        targets: set[str] = set()
        for k in g.g.nodes:
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
            self._link(k, self._vnet_of(_home_subnet(g, k)))
            if g.kind(k) == "private_endpoint":
                for t, _ in g.out(k, "targets"):
                    self._link(k, t)
                for group, _ in g.out(k, "has_zone_group"):
                    for z, _ in g.out(group, "uses_zone"):
                        self._link(k, z)
                for rec, _ in g.into(k, "resolves_to"):
                    for z, _ in g.out(rec, "record_in"):
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
        """VNets a finding says the zone must be linked to but is not (sorted)."""
        g = self.g
        linked = {v for v, _ in g.out(zone, "linked_to")}
        out = set()
        for f in self.marks.of(zone):
            if arm.key(f.resource_id) != zone or not f.related_id:
                continue
            v = arm.key(f.related_id)
            if v in g.g and g.kind(v) == "vnet" and v not in linked:
                out.add(v)
        return sorted(out)

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
                near = [n for n in self.adj.get(k, ()) if n in ranks and n not in taken]
                for n in sorted(near, key=ranks.__getitem__)[: cap - len(picked)]:
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
            subnet = _home_subnet(g, k)
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
        title = [name, g.display_id(k), line2] + ([line3] if line3 else [])
        title += _finding_lines(faults) + _unknown_lines(unknown)
        return Box(k, kind, col, (name, line2, line3), title, seen, faults, unknown)

    def _subnet_box(self, s: str) -> Box:
        g = self.g
        props = _props(g.row(s))
        prefixes = _strings(props.get("addressPrefix")) + _strings(props.get("addressPrefixes"))
        prefix = ", ".join(dict.fromkeys(prefixes))
        faults = self.marks.of(s)
        unknown = self.marks.unknown.get(s, [])
        title = [g.name(s), g.display_id(s), f"subnet · {prefix}" if prefix else "subnet"]
        title += _finding_lines(faults) + _unknown_lines(unknown)
        return Box(s, "subnet", VNETS, (g.name(s), prefix, ""), title, True, faults, unknown)

    # -- the whole thing ---------------------------------------------------------------
    def render(self) -> Picture:
        g = self.g
        cands = self._candidates()
        self._adjacency(cands)
        chosen: set[str] = set()
        caps = (MAX_PER_COLUMN, MAX_PER_COLUMN, MAX_VNETS, MAX_PER_COLUMN)
        what = (
            "Workspaces and services",
            "Endpoints, computes and public IPs",
            "VNets",
            "Private DNS zones",
        )
        picked: list[list[str]] = [[], [], [], []]
        for col in (VNETS, ATTACHED, SERVICES, ZONES):
            picked[col] = self._choose(cands[col], caps[col], chosen, what[col], grow=col == VNETS)
            chosen.update(picked[col])
        for col in range(4):
            names = Counter(g.name(k).lower() for k in picked[col])
            for k in picked[col]:
                self.boxes[k] = self._box(k, col, names[g.name(k).lower()] > 1)
        # VNets by name; their subnets (capped) by name
        vnets = self._vnet_order(picked[VNETS])
        occupied: set[str] = set()
        for k in picked[ATTACHED]:
            s = _home_subnet(g, k)
            if s:
                occupied.add(s)
        dropped_subnets = 0
        for v in vnets:
            subs = sorted({s for s, _ in g.out(v, "contains")})
            if len(subs) > MAX_SUBNETS:
                subs = sorted(
                    subs,
                    key=lambda s: (
                        0 if self._faulty(s) else 1 if s in occupied else 2,
                        g.name(s).lower(),
                        s,
                    ),
                )[:MAX_SUBNETS]
                dropped_subnets += len({s for s, _ in g.out(v, "contains")}) - MAX_SUBNETS
            subs.sort(key=lambda s: (g.name(s).lower(), s))
            box = self.boxes[v]
            box.subnets = [self._subnet_box(s) for s in subs]
            for sb in box.subnets:
                self.subnet_box[sb.key] = sb
        if dropped_subnets:
            self.notes.append(
                f"Subnets: at most {MAX_SUBNETS} per VNet drawn, {dropped_subnets} left out "
                "(subnets with findings or with drawn endpoints first)."
            )
        vnet_rank = {v: i for i, v in enumerate(vnets)}
        subnet_rank = {s.key: i for v in vnets for i, s in enumerate(self.boxes[v].subnets)}
        big = len(vnets) + 1

        def attached_order(k: str) -> tuple[Any, ...]:
            s = _home_subnet(g, k)
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
        self.columns = [services, attached, vnets, zones]
        self._place()
        edges = self._edges()
        body = edges + self.labels + self._nodes()
        for b in [*self.boxes.values(), *self.subnet_box.values()]:
            self.shown.update(f.fingerprint for f in b.faults)
        total = len(self.run.result.findings)
        if total > len(self.shown):
            self.notes.append(
                f"{total - len(self.shown)} of {total} finding(s) concern resources the "
                "picture does not show (kinds it does not draw, or left out above); the "
                "findings table lists every finding."
            )
        height = max(
            [LEGEND_H + HEADER_H + MARGIN * 2 + 40]
            + [b.y + b.h + MARGIN for b in self.boxes.values()]
        )
        svg = [
            f'<svg class="net" id="network-svg" role="img" aria-labelledby="network-svg-t" '
            f'width="{SVG_WIDTH}" height="{_n(height)}" viewBox="0 0 {SVG_WIDTH} {_n(height)}">',
            '<title id="network-svg-t">Network of the estate: VNets, peerings, private '
            "endpoints, private DNS zones and their links, public IPs, workspaces</title>",
            _legend(),
        ]
        for (head, _width, _), x in zip(COLUMNS, COLUMN_X, strict=True):
            svg.append(
                f'<text class="colhead" x="{_n(x)}" y="{_n(LEGEND_H + MARGIN + 14)}">'
                f"{esc(head)}</text>"
            )
        svg += body
        svg.append("</svg>")
        counts: dict[str, int] = defaultdict(int)
        for b in self.boxes.values():
            counts[b.kind] += 1
        counts["subnet"] = len(self.subnet_box)
        return Picture("\n".join(svg) + "\n", self.notes, dict(sorted(counts.items())))

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

    def _place(self) -> None:
        top = LEGEND_H + MARGIN + HEADER_H
        n = 0
        for col, keys in enumerate(self.columns):
            x, width = COLUMN_X[col], COLUMNS[col][1]
            y = top
            for k in keys:
                b = self.boxes[k]
                n += 1
                b.nid = f"n{n}"
                b.x, b.y, b.w = x, y, width
                if b.kind == "vnet":
                    sy = y + VNET_HEAD
                    for sb in b.subnets:
                        n += 1
                        sb.nid = f"n{n}"
                        sb.x, sb.y, sb.w, sb.h = x + 10, sy, width - 20, SUBNET_H
                        sy += SUBNET_H + SUBNET_GAP
                    b.h = VNET_HEAD + (len(b.subnets) * (SUBNET_H + SUBNET_GAP)) + VNET_PAD
                    if not b.subnets:
                        b.h = VNET_HEAD + 4
                else:
                    b.h = NODE_H
                y += b.h + NODE_GAP

    # -- edges ---------------------------------------------------------------------------
    def _anchor_in(self, k: str) -> tuple[float, float] | None:
        """Where an edge from the left enters: the subnet row, else its VNet's header."""
        g = self.g
        s = _home_subnet(g, k)
        if s and s in self.subnet_box:
            sb = self.subnet_box[s]
            return sb.x, sb.y + sb.h / 2
        v = self._vnet_of(s)
        if v and v in self.boxes:
            b = self.boxes[v]
            return b.x, b.y + VNET_HEAD / 2
        return None

    def _edges(self) -> list[str]:
        g = self.g
        out: list[str] = []
        # endpoints, computes, public IPs -> their subnet; endpoints -> targets; computes -> ws
        for k in self.columns[ATTACHED]:
            b = self.boxes[k]
            anchor = self._anchor_in(k)
            if anchor:
                subnet = _home_subnet(g, k)
                out.append(
                    _path(
                        "edge e-in",
                        (b.x + b.w, b.y + b.h / 2),
                        anchor,
                        [f"{g.name(k)} in subnet {g.name(subnet) if subnet else '?'}"],
                    )
                )
            if b.kind == "private_endpoint":
                for t, a in _sorted_out(g, k, "targets"):
                    if t not in self.boxes:
                        continue
                    tb = self.boxes[t]
                    faults = [
                        f for f in self.marks.of(k) if f.related_id and arm.key(f.related_id) == t
                    ]
                    self.shown.update(f.fingerprint for f in faults)
                    status = a.get("status") or "status unknown"
                    groups = ", ".join(a.get("group_ids") or []) or "no group id"
                    out.append(
                        _path(
                            "edge e-target" + (" fault" if faults else ""),
                            (b.x, b.y + b.h / 2),
                            (tb.x + tb.w, tb.y + tb.h / 2),
                            [
                                f"{g.name(k)} → {g.name(t)} ({groups}): {status}",
                                *_finding_lines(faults),
                            ],
                        )
                    )
            elif b.kind == "aml_compute":
                for w, _ in _sorted_out(g, k, "compute_of"):
                    if w in self.boxes:
                        wb = self.boxes[w]
                        out.append(
                            _path(
                                "edge e-compute",
                                (b.x, b.y + b.h / 2),
                                (wb.x + wb.w, wb.y + wb.h / 2),
                                [f"{g.name(k)} is a compute of {g.name(w)}"],
                            )
                        )
        out += self._peerings()
        out += self._zone_links()
        return out

    def _peerings(self) -> list[str]:
        g = self.g
        vnets = self.columns[VNETS]
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
        # nested arcs: the shorter the span the closer to the boxes
        ordered = sorted(pairs, key=lambda p: (rank[p[1]] - rank[p[0]], rank[p[0]]))
        for level, pair in enumerate(ordered):
            top, bottom = self.boxes[pair[0]], self.boxes[pair[1]]
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
            worst = _peer_state(states)
            x = top.x + top.w
            y1, y2 = top.y + 16, bottom.y + 16
            bulge = min(36 + 20 * level, COLUMNS[VNETS][2] - 70)
            title = [
                f"{g.name(src)} → {g.name(dst)}: peering {a.get('name') or '?'} "
                f"{a.get('state') or 'state unknown'}"
                + (f", {a.get('sync')}" if a.get("sync") else "")
                for src, dst, a in entries
            ]
            if len(entries) == 1:
                src, dst, _ = entries[0]
                title.append(f"no peering entry from {g.name(dst)} back to {g.name(src)}")
            title += _finding_lines(faults)
            cls = f"edge e-peer st-{worst}" + (" fault" if faults else "")
            d = (
                f"M{_n(x)},{_n(y1)} C{_n(x + bulge)},{_n(y1)} {_n(x + bulge)},{_n(y2)} "
                f"{_n(x)},{_n(y2)}"
            )
            out.append(f'<path class="{cls}" d="{d}"><title>{_title(title)}</title></path>')
            lx = x + bulge * 0.75 + 4
            ly = (y1 + y2) / 2 + 4 - 6 * (len(label) - 1)
            room = int((COLUMNS[VNETS][2] - bulge * 0.75 - 12) / CHAR_W)
            lines = "".join(
                f'<tspan x="{_n(lx)}" y="{_n(ly + 13 * i)}">{esc(truncate(t, room))}</tspan>'
                for i, t in enumerate(label)
            )
            lcls = "elabel" + (" fault" if faults else "")
            self.labels.append(f'<text class="{lcls}">{lines}<title>{_title(title)}</title></text>')
        return out

    def _zone_links(self) -> list[str]:
        g = self.g
        out = []
        for z in self.columns[ZONES]:
            zb = self.boxes[z]
            start = (zb.x, zb.y + zb.h / 2)
            for v, a in _sorted_out(g, z, "linked_to"):
                if v not in self.boxes:
                    continue
                vb = self.boxes[v]
                state = a.get("state")
                title = [
                    f"{g.name(z)} linked to {g.name(v)} (link {a.get('link_name') or '?'}"
                    + (f", {state}" if state else "")
                    + (", auto-registration" if a.get("registration_enabled") else "")
                    + ")"
                ]
                out.append(_path("edge e-link", start, (vb.x + vb.w, vb.y + 30), title))
            for v in self._missing_links(z):
                if v not in self.boxes:
                    continue
                vb = self.boxes[v]
                faults = [
                    f for f in self.marks.of(z) if f.related_id and arm.key(f.related_id) == v
                ]
                self.shown.update(f.fingerprint for f in faults)
                title = [f"MISSING: {g.name(z)} is not linked to {g.name(v)}"]
                title += _finding_lines(faults)
                cls = f"edge e-missing fault sev-{_worst(faults)}"
                out.append(_path(cls, start, (vb.x + vb.w, vb.y + 30), title))
        return out

    # -- nodes ---------------------------------------------------------------------------
    def _nodes(self) -> list[str]:
        out = []
        for keys in self.columns:
            for k in keys:
                b = self.boxes[k]
                out.append(_node_svg(b))
                for sb in b.subnets:
                    out.append(_subnet_svg(sb))
        return out


# -- SVG pieces -------------------------------------------------------------------------------
def _n(v: float) -> str:
    """A coordinate: integers stay integers, others get one decimal (stable text)."""
    r = round(v, 1)
    return str(int(r)) if r == int(r) else f"{r:.1f}"


def _title(lines: Iterable[str]) -> str:
    """Hover text: each line cleaned on its own (a line break inside a name is shown, not
    obeyed), then the lines joined by real line breaks and escaped."""
    return esc("\n".join(clean(line) for line in lines), multiline=True)


def _finding_lines(findings: list[Finding]) -> list[str]:
    lines = [f"{f.severity.upper()} {f.rule_id}: {f.title}" for f in findings[:MAX_TITLE_FINDINGS]]
    if len(findings) > MAX_TITLE_FINDINGS:
        lines.append(f"… and {len(findings) - MAX_TITLE_FINDINGS} more finding(s)")
    return lines


def _unknown_lines(entries: list[NotEvaluated]) -> list[str]:
    rules = sorted({n.rule_id for n in entries})
    return [f"not evaluated: {', '.join(rules)}"] if rules else []


def _peer_state(states: list[str]) -> str:
    low = {s.lower() for s in states}
    if low == {"connected"}:
        return "connected"
    if "disconnected" in low:
        return "disconnected"
    if "initiated" in low:
        return "initiated"
    return "other"


def _path(cls: str, a: tuple[float, float], b: tuple[float, float], title: list[str]) -> str:
    """A horizontal S-curve from a to b with a hover title."""
    (x1, y1), (x2, y2) = a, b
    dx = max(abs(x2 - x1) * 0.45, 20)
    sign = 1 if x2 >= x1 else -1
    d = (
        f"M{_n(x1)},{_n(y1)} C{_n(x1 + sign * dx)},{_n(y1)} {_n(x2 - sign * dx)},{_n(y2)} "
        f"{_n(x2)},{_n(y2)}"
    )
    return f'<path class="{cls}" d="{d}"><title>{_title(title)}</title></path>'


def _classes(b: Box, base: str) -> str:
    cls = [base, f"k-{b.kind}"]
    if b.faults:
        cls += ["fault", f"sev-{_worst(b.faults)}"]
    elif b.unknown:
        cls.append("unknown")
    if not b.seen:
        cls.append("unseen")
    return " ".join(cls)


def _badge_text(b: Box) -> tuple[str, str]:
    """(text, class) of the box's badge: its worst severity, or "not evaluated"."""
    if b.faults:
        sev = _worst(b.faults)
        return sev.upper() + (f" x{len(b.faults)}" if len(b.faults) > 1 else ""), f"sev-{sev}"
    if b.unknown:
        return "NOT EVALUATED", "unk"
    return "", ""


def _badge_width(text: str) -> float:
    return 10 + len(text) * 7.2 if text else 0


def _badge(b: Box, right: float, top: float) -> str:
    text, cls = _badge_text(b)
    if not text:
        return ""
    width = _badge_width(text)
    x = right - width - 5
    return (
        f'<rect class="badge {cls}" x="{_n(x)}" y="{_n(top)}" width="{_n(width)}" height="14" '
        f'rx="7"/><text class="badge-t" x="{_n(x + 5)}" y="{_n(top + 10.5)}">{esc(text)}</text>'
    )


def _open_link(b: Box) -> tuple[str, str]:
    """Faulty boxes link to their first finding's row in the table (an in-page anchor)."""
    if not b.faults:
        return "", ""
    return f'<a href="#f-{esc(b.faults[0].fingerprint)}">', "</a>"


def _node_svg(b: Box) -> str:
    """A box: name, kind line, detail line; the badge sits at the right of the last line
    (of the address line for a VNet), which is shortened to make room for it."""
    name, line2, line3 = b.lines
    chars = int((b.w - 14) / CHAR_W)
    badge_chars = math.ceil((_badge_width(_badge_text(b)[0]) + 8) / CHAR_W)
    vnet = b.kind == "vnet"
    opening, closing = _open_link(b)
    parts = [
        f'<g id="{b.nid}" class="{_classes(b, "node")}">',
        f"<title>{_title(b.title)}</title>",
        opening,
        f'<rect class="box" x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.w)}" height="{_n(b.h)}" '
        'rx="6"/>',
        f'<text class="name" x="{_n(b.x + 8)}" y="{_n(b.y + 17)}">'
        f"{esc(truncate(name, int((b.w - 14) / NAME_W)))}</text>",
        f'<text class="sub" x="{_n(b.x + 8)}" y="{_n(b.y + 32)}">'
        f"{esc(truncate(line2, chars - (badge_chars if vnet else 0)))}</text>",
    ]
    if line3 and not vnet:
        parts.append(
            f'<text class="sub" x="{_n(b.x + 8)}" y="{_n(b.y + 46)}">'
            f"{esc(truncate(line3, chars - badge_chars))}</text>"
        )
    parts.append(_badge(b, b.x + b.w, b.y + (22 if vnet else b.h - 18)))
    parts.append(closing)
    parts.append("</g>")
    return "".join(p for p in parts if p)


def _subnet_svg(b: Box) -> str:
    name, prefix, _ = b.lines
    room = int((b.w - 14) / CHAR_W) - math.ceil((_badge_width(_badge_text(b)[0]) + 8) / CHAR_W)
    text = f"{truncate(name, max(room - len(prefix) - 2, 8))}  {prefix}" if prefix else name
    opening, closing = _open_link(b)
    parts = [
        f'<g id="{b.nid}" class="{_classes(b, "subnet")}">',
        f"<title>{_title(b.title)}</title>",
        opening,
        f'<rect x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.w)}" height="{_n(b.h)}" rx="4"/>',
        f'<text class="sub" x="{_n(b.x + 8)}" y="{_n(b.y + 16)}">'
        f"{esc(truncate(text, room))}</text>",
        _badge(b, b.x + b.w, b.y + 5),
        closing,
        "</g>",
    ]
    return "".join(p for p in parts if p)


def _legend() -> str:
    """Fixed legend: what the strokes and badges mean."""
    y = MARGIN
    items: list[str] = []
    x = MARGIN + 10

    def node(cls: str, text: str, badge: str = "", badge_cls: str = "") -> None:
        nonlocal x
        items.append(
            f'<g class="swatch node {cls}"><rect class="box" x="{x}" y="{y + 12}" width="34" '
            f'height="20" rx="4"/></g><text x="{x + 40}" y="{y + 26}">{text}</text>'
        )
        x += 40 + int(len(text) * 6.2) + 18

    def edge(cls: str, text: str) -> None:
        nonlocal x
        items.append(
            f'<path class="swatch edge {cls}" d="M{x},{y + 22} L{x + 36},{y + 22}"/>'
            f'<text x="{x + 42}" y="{y + 26}">{text}</text>'
        )
        x += 42 + int(len(text) * 6.2) + 18

    node("", "resource")
    node("fault sev-high", "has findings (red)")
    node("unknown", "not evaluated")
    node("unseen", "not seen (outside the estate)")
    edge("e-peer st-connected", "peering Connected")
    edge("e-peer st-initiated", "Initiated")
    edge("e-peer st-disconnected", "Disconnected")
    first_row = "".join(items)
    items = []
    x = MARGIN + 10
    y = MARGIN + 22
    edge("e-link", "DNS zone linked to VNet")
    edge("e-missing", "missing DNS link (finding)")
    edge("e-target", "private link → service")
    edge("e-in", "in subnet")
    edge("e-compute", "compute of workspace")
    return (
        f'<g class="legend"><rect class="legend-frame" x="{MARGIN}" y="{MARGIN - 6}" '
        f'width="{SVG_WIDTH - 2 * MARGIN}" height="{LEGEND_H - 8}" rx="6"/>'
        + first_row
        + "".join(items)
        + "</g>"
    )
