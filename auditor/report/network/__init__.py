"""The network picture of the HTML report, in three steps that can be read and tested
apart: :mod:`.select` decides what is drawn (the graph questions, asked of the named
relations), :mod:`.layout` places it (pure geometry) and :mod:`.svg` writes the markup.

Pure Python and no JavaScript, so the page can carry a CSP that forbids every script and
fetch. Rows are sorted by the graph (never by input order) and the geometry is fixed, so
the same run gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import layout, select, svg
from .layout import Slot
from .select import MAX_PER_COLUMN, MAX_SUBNETS, MAX_VNETS, Scene
from .svg import CSS

if TYPE_CHECKING:
    from ..view import ReportView

__all__ = ["CSS", "MAX_PER_COLUMN", "MAX_SUBNETS", "MAX_VNETS", "Picture", "draw", "slots"]


@dataclass
class Picture:
    """The drawing and what the page must say about it (plain text; the page escapes it)."""

    svg: str
    notes: list[str]
    counts: dict[str, int]  # node kind -> drawn


def slots(scene: Scene) -> list[list[Slot]]:
    """The scene's boxes as layout slots, column by column."""
    return [
        [Slot(b.key, b.kind == "vnet", tuple(s.key for s in b.subnets)) for b in column]
        for column in scene.columns
    ]


def draw(view: ReportView) -> Picture:
    """Choose, place and draw the estate's network."""
    scene = select.select(view)
    placement = layout.place(slots(scene))
    return Picture(svg.render(scene, placement), scene.notes, scene.counts)
