"""The network picture as inline SVG markup: the scene (:mod:`.select`) at the places
:mod:`.layout` gave it. No script: the page's CSP forbids every script and fetch.

Every string from the estate reaches the markup through :func:`safe.html`; ids are opaque
(``n1``, ``n2`` … in drawing order) and hover text is a ``<title>``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import safe
from .layout import (
    COLUMN_X,
    COLUMNS,
    LEGEND_H,
    LINE_H,
    MARGIN,
    NAME_W,
    SVG_WIDTH,
    Placement,
    Point,
    Rect,
    badge_chars,
    badge_width,
    chars_in,
    edge_ends,
    peering_arc,
    s_curve,
    truncate,
)
from .select import Box, Edge, Peering, Scene, worst

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


def render(scene: Scene, placement: Placement) -> str:
    """The ``<svg>`` element: legend, column heads, edges, edge labels, then the boxes
    (drawn last, over the edges)."""
    rects = placement.rects
    edges: list[str] = []
    labels: list[str] = []  # drawn over every edge, under the boxes
    for edge in scene.edges:
        if isinstance(edge, Peering):
            path, label = _peering(edge, rects[edge.top], rects[edge.bottom])
            edges.append(path)
            labels.append(label)
        else:
            edges.append(_edge(edge, rects[edge.source], rects[edge.target]))
    height = _n(placement.height)
    svg = [
        f'<svg class="net" id="network-svg" role="img" aria-labelledby="network-svg-t" '
        f'width="{placement.width}" height="{height}" viewBox="0 0 {placement.width} {height}">',
        '<title id="network-svg-t">Network of the estate: VNets, peerings, private '
        "endpoints, private DNS zones and their links, public IPs, workspaces</title>",
        _legend(),
    ]
    for (head, _width, _), x in zip(COLUMNS, COLUMN_X, strict=True):
        svg.append(
            f'<text class="colhead" x="{_n(x)}" y="{_n(LEGEND_H + MARGIN + 14)}">'
            f"{safe.html(head)}</text>"
        )
    svg += edges + labels + _nodes(scene, rects)
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


def _nodes(scene: Scene, rects: dict[str, Rect]) -> list[str]:
    """Every box, each VNet followed by its subnet rows, numbered in that order."""
    out = []
    n = 0
    for column in scene.columns:
        for b in column:
            n += 1
            out.append(_node_svg(b, rects[b.key], f"n{n}"))
            for sb in b.subnets:
                n += 1
                out.append(_subnet_svg(sb, rects[sb.key], f"n{n}"))
    return out


# -- pieces -----------------------------------------------------------------------------------
def _n(v: float) -> str:
    """A coordinate: integers stay integers, others get one decimal (stable text)."""
    r = round(v, 1)
    return str(int(r)) if r == int(r) else f"{r:.1f}"


def _title(lines: Iterable[str]) -> str:
    """Hover text: each line made visible on its own (a line break inside a name is shown,
    not obeyed), then the lines joined by real line breaks and escaped."""
    return safe.html("\n".join(safe.visible(line) for line in lines), multiline=True)


def _curve(points: tuple[Point, Point, Point, Point]) -> str:
    (x1, y1), (c1x, c1y), (c2x, c2y), (x2, y2) = points
    return f"M{_n(x1)},{_n(y1)} C{_n(c1x)},{_n(c1y)} {_n(c2x)},{_n(c2y)} {_n(x2)},{_n(y2)}"


def _edge(edge: Edge, source: Rect, target: Rect) -> str:
    """A horizontal S-curve between the boxes, with a hover title."""
    d = _curve(s_curve(*edge_ends(edge.kind, source, target)))
    return f'<path class="{edge.classes}" d="{d}"><title>{_title(edge.title)}</title></path>'


def _peering(p: Peering, top: Rect, bottom: Rect) -> tuple[str, str]:
    """The arc and its label (the label is drawn later, over every edge)."""
    arc = peering_arc(top, bottom, p.level, len(p.label))
    title = _title(p.title)
    path = f'<path class="{p.classes}" d="{_curve(arc.curve)}"><title>{title}</title></path>'
    lx, ly = arc.label
    lines = "".join(
        f'<tspan x="{_n(lx)}" y="{_n(ly + LINE_H * i)}">{safe.html(truncate(t, arc.room))}</tspan>'
        for i, t in enumerate(p.label)
    )
    cls = "elabel" + (" fault" if p.fault else "")
    return path, f'<text class="{cls}">{lines}<title>{title}</title></text>'


def _classes(b: Box, base: str) -> str:
    cls = [base, f"k-{b.kind}"]
    if b.faults:
        cls += ["fault", f"sev-{worst(b.faults)}"]
    elif b.unknown:
        cls.append("unknown")
    if not b.seen:
        cls.append("unseen")
    return " ".join(cls)


def _badge_text(b: Box) -> tuple[str, str]:
    """(text, class) of the box's badge: its worst severity, or "not evaluated"."""
    if b.faults:
        sev = worst(b.faults)
        return sev.upper() + (f" x{len(b.faults)}" if len(b.faults) > 1 else ""), f"sev-{sev}"
    if b.unknown:
        return "NOT EVALUATED", "unk"
    return "", ""


def _badge(b: Box, right: float, top: float) -> str:
    text, cls = _badge_text(b)
    if not text:
        return ""
    width = badge_width(text)
    x = right - width - 5
    return (
        f'<rect class="badge {cls}" x="{_n(x)}" y="{_n(top)}" width="{_n(width)}" height="14" '
        f'rx="7"/><text class="badge-t" x="{_n(x + 5)}" y="{_n(top + 10.5)}">'
        f"{safe.html(text)}</text>"
    )


def _open_link(b: Box) -> tuple[str, str]:
    """Faulty boxes link to their first finding's row in the table (an in-page anchor)."""
    if not b.faults:
        return "", ""
    return f'<a href="#f-{safe.html(b.faults[0].fingerprint)}">', "</a>"


def _node_svg(b: Box, r: Rect, nid: str) -> str:
    """A box: name, kind line, detail line; the badge sits at the right of the last line
    (of the address line for a VNet), which is shortened to make room for it."""
    name, line2, line3 = b.lines
    chars = chars_in(r.w)
    badge = badge_chars(_badge_text(b)[0])
    vnet = b.kind == "vnet"
    opening, closing = _open_link(b)
    parts = [
        f'<g id="{nid}" class="{_classes(b, "node")}">',
        f"<title>{_title(b.title)}</title>",
        opening,
        f'<rect class="box" x="{_n(r.x)}" y="{_n(r.y)}" width="{_n(r.w)}" height="{_n(r.h)}" '
        'rx="6"/>',
        f'<text class="name" x="{_n(r.x + 8)}" y="{_n(r.y + 17)}">'
        f"{safe.html(truncate(name, chars_in(r.w, NAME_W)))}</text>",
        f'<text class="sub" x="{_n(r.x + 8)}" y="{_n(r.y + 32)}">'
        f"{safe.html(truncate(line2, chars - (badge if vnet else 0)))}</text>",
    ]
    if line3 and not vnet:
        parts.append(
            f'<text class="sub" x="{_n(r.x + 8)}" y="{_n(r.y + 46)}">'
            f"{safe.html(truncate(line3, chars - badge))}</text>"
        )
    parts.append(_badge(b, r.right, r.y + (22 if vnet else r.h - 18)))
    parts.append(closing)
    parts.append("</g>")
    return "".join(p for p in parts if p)


def _subnet_svg(b: Box, r: Rect, nid: str) -> str:
    name, prefix, _ = b.lines
    room = chars_in(r.w) - badge_chars(_badge_text(b)[0])
    text = f"{truncate(name, max(room - len(prefix) - 2, 8))}  {prefix}" if prefix else name
    opening, closing = _open_link(b)
    parts = [
        f'<g id="{nid}" class="{_classes(b, "subnet")}">',
        f"<title>{_title(b.title)}</title>",
        opening,
        f'<rect x="{_n(r.x)}" y="{_n(r.y)}" width="{_n(r.w)}" height="{_n(r.h)}" rx="4"/>',
        f'<text class="sub" x="{_n(r.x + 8)}" y="{_n(r.y + 16)}">'
        f"{safe.html(truncate(text, room))}</text>",
        _badge(b, r.right, r.y + 5),
        closing,
        "</g>",
    ]
    return "".join(p for p in parts if p)


def _legend() -> str:
    """Fixed legend: what the strokes and badges mean."""
    y = MARGIN
    items: list[str] = []
    x = MARGIN + 10

    def swatch(shape: str, text: str, indent: int) -> None:
        """A sample of a stroke or box, its text ``indent`` to the right, then room."""
        nonlocal x
        items.append(f'{shape}<text x="{x + indent}" y="{y + 26}">{text}</text>')
        x += indent + int(len(text) * 6.2) + 18

    def node(cls: str, text: str) -> None:
        box = f'<rect class="box" x="{x}" y="{y + 12}" width="34" height="20" rx="4"/>'
        swatch(f'<g class="swatch node {cls}">{box}</g>', text, 40)

    def edge(cls: str, text: str) -> None:
        line = f'd="M{x},{y + 22} L{x + 36},{y + 22}"'
        swatch(f'<path class="swatch edge {cls}" {line}/>', text, 42)

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
