"""Where the network picture's boxes go: pure geometry, no graph and no markup.

The topology of an Azure ML estate is layered, so fixed columns by kind read better than a
force layout and need no layout engine: workspaces and services | private endpoints, AML
computes and public IPs | VNets with their subnets | private DNS zones. Boxes stack down
their column with a fixed gap, so no two overlap; edges start and end on a box's border;
the same columns give the same coordinates. Text is measured here too (roughly, without
fonts), so that :mod:`.svg` only writes markup.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .. import safe

MARGIN = 16
LEGEND_H = 64
HEADER_H = 28
NODE_H = 54
NODE_GAP = 12
VNET_HEAD = 46
SUBNET_H = 24
SUBNET_GAP = 4
SUBNET_INSET = 10  # a subnet row's margin inside its VNet, left and right
VNET_PAD = 8
PEER_Y = 16  # a peering arc leaves and enters a VNet this far below its top
LINK_Y = 30  # a DNS zone link enters a VNet this far below its top
NAME_W = 7.4  # average advance of the 12px bold name text, for truncation
CHAR_W = 6.3  # average advance of the 11px detail text
LINE_H = 13  # between the lines of an edge label
# (title, width, gap after the column)
COLUMNS: tuple[tuple[str, int, int], ...] = (
    ("Workspaces and services", 210, 60),
    ("Endpoints, compute, public IPs", 220, 80),
    ("VNets and subnets", 260, 150),
    ("Private DNS zones", 270, 0),
)
SERVICES, ATTACHED, VNETS, ZONES = range(4)


def _column_x() -> list[int]:
    xs, x = [], MARGIN
    for _, width, gap in COLUMNS:
        xs.append(x)
        x += width + gap
    return xs


COLUMN_X = _column_x()
SVG_WIDTH = COLUMN_X[-1] + COLUMNS[-1][1] + MARGIN
TOP = LEGEND_H + MARGIN + HEADER_H  # where the first box of a column starts
MIN_HEIGHT = LEGEND_H + HEADER_H + MARGIN * 2 + 40

Point = tuple[float, float]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def left_mid(self) -> Point:
        return self.x, self.y + self.h / 2

    def right_mid(self) -> Point:
        return self.right, self.y + self.h / 2

    def overlaps(self, other: Rect) -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def on_border(self, p: Point) -> bool:
        x, y = p
        inside = self.x <= x <= self.right and self.y <= y <= self.bottom
        return inside and (x in (self.x, self.right) or y in (self.y, self.bottom))


@dataclass(frozen=True)
class Slot:
    """One box to place: a node, or a VNet with rows for its subnets (in order)."""

    key: str
    vnet: bool = False
    subnets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Placement:
    """Where every box and subnet row is (by key), and the picture's size."""

    rects: dict[str, Rect]
    width: int
    height: float


def place(columns: Sequence[Sequence[Slot]]) -> Placement:
    """Stack each column's boxes from the top, in the given order."""
    rects: dict[str, Rect] = {}
    bottoms: list[float] = [MIN_HEIGHT]
    for col, slots in enumerate(columns):
        x, width = COLUMN_X[col], COLUMNS[col][1]
        y: float = TOP
        for slot in slots:
            if slot.vnet:
                sy: float = y + VNET_HEAD
                for s in slot.subnets:
                    rects[s] = Rect(x + SUBNET_INSET, sy, width - 2 * SUBNET_INSET, SUBNET_H)
                    sy += SUBNET_H + SUBNET_GAP
                rows = len(slot.subnets) * (SUBNET_H + SUBNET_GAP)
                height = VNET_HEAD + rows + VNET_PAD if slot.subnets else VNET_HEAD + 4
            else:
                height = NODE_H
            rects[slot.key] = Rect(x, y, width, height)
            bottoms.append(y + height + MARGIN)
            y += height + NODE_GAP
    return Placement(rects, SVG_WIDTH, max(bottoms))


# -- edges ----------------------------------------------------------------------------------
# What an edge joins, which decides where it leaves and enters (see ``select.Edge``)
EdgeKind = Literal["in-subnet", "in-vnet", "target", "compute", "link", "missing"]


def edge_ends(kind: EdgeKind, source: Rect, target: Rect) -> tuple[Point, Point]:
    """Where an edge leaves its source box and enters its target, on their borders: the
    attached column meets its subnet row (or the VNet's header) on the right and its
    service on the left; a DNS zone meets a VNet's right edge below its header."""
    if kind == "in-subnet":
        return source.right_mid(), target.left_mid()
    if kind == "in-vnet":
        return source.right_mid(), (target.x, target.y + VNET_HEAD / 2)
    if kind in ("target", "compute"):
        return source.left_mid(), target.right_mid()
    return source.left_mid(), (target.right, target.y + LINK_Y)


def s_curve(a: Point, b: Point) -> tuple[Point, Point, Point, Point]:
    """A horizontal S-curve from a to b: (start, control, control, end) of a cubic."""
    (x1, y1), (x2, y2) = a, b
    dx = max(abs(x2 - x1) * 0.45, 20)
    sign = 1 if x2 >= x1 else -1
    return a, (x1 + sign * dx, y1), (x2 - sign * dx, y2), b


@dataclass(frozen=True)
class Arc:
    """A peering: a bulge right of the VNet column, from one VNet's right edge to the
    other's, and where its label goes (``room``: characters that fit in the gap)."""

    curve: tuple[Point, Point, Point, Point]
    label: Point
    room: int


def peering_arc(top: Rect, bottom: Rect, level: int, label_lines: int) -> Arc:
    """The arc of the ``level``-th peering (nested: shorter spans sit closer)."""
    gap = COLUMNS[VNETS][2]
    x = top.right
    y1, y2 = top.y + PEER_Y, bottom.y + PEER_Y
    bulge = min(36 + 20 * level, gap - 70)
    label = (x + bulge * 0.75 + 4, (y1 + y2) / 2 + 4 - 6 * (label_lines - 1))
    room = int((gap - bulge * 0.75 - 12) / CHAR_W)
    return Arc(((x, y1), (x + bulge, y1), (x + bulge, y2), (x, y2)), label, room)


# -- text -----------------------------------------------------------------------------------
_NARROW = frozenset("ijlI.,:;'!|()[]{}frt ")
_WIDE = frozenset("MWmw@%")


def char_width(ch: str) -> float:
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
    """The visible text (:func:`safe.visible`) cut to about ``limit`` average characters,
    ending in … when cut (boxes have a fixed width; the full text goes into the hover)."""
    text = safe.visible(value)
    if len(text) * 2 <= limit:
        return text
    used, cut = 0.0, None
    for i, ch in enumerate(text):
        used += char_width(ch)
        if cut is None and used > limit - 1:
            cut = i  # where "…" would go
        if used > limit:
            return text[:cut] + "…"
    return text


def chars_in(width: float, advance: float = CHAR_W) -> int:
    """How many average characters of text fit in ``width`` pixels of a box (its padding
    taken off)."""
    return int((width - 14) / advance)


def badge_width(text: str) -> float:
    """The width of a severity badge holding ``text`` (0 when there is none)."""
    return 10 + len(text) * 7.2 if text else 0


def badge_chars(text: str) -> int:
    """Average characters a line gives up for a badge at its end."""
    return math.ceil((badge_width(text) + 8) / CHAR_W)
