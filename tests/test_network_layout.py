"""The network picture without a browser: the layout is pure geometry (no box overlaps
another, every edge starts and ends on a box, the same scene gives the same places), and
what is drawn is what the relations say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor import core, report
from auditor.report.network import MAX_VNETS, layout, select, slots
from auditor.report.network.layout import COLUMN_X, COLUMNS, Placement, Rect, Slot
from auditor.report.network.select import Edge, Peering, Scene

from .conftest import FIXTURES, load_synth

TERRAFORM = FIXTURES / "reference-terraform.json"


def scene_of(paths: list[Path], **kw: Any) -> Scene:
    return select.select(report.build_view(core.audit(paths, **kw)))


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Landing zones with every fault the generator knows: more VNets than are drawn."""
    synth = load_synth()
    rows: list[dict[str, Any]] = []
    for i, fault in enumerate(sorted(synth.FAULTS)):
        rows += synth.landing_zone(i, frozenset({fault}))
    path = tmp_path_factory.mktemp("faulty") / "estate.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=["reference", "faulty"])
def drawn(request: pytest.FixtureRequest, faulty: Path) -> tuple[Scene, Placement]:
    scene = scene_of([TERRAFORM if request.param == "reference" else faulty])
    return scene, layout.place(slots(scene))


def test_no_two_boxes_overlap(drawn: tuple[Scene, Placement]) -> None:
    scene, placement = drawn
    rects = [placement.rects[box.key] for column in scene.columns for box in column]
    assert len(rects) > 20
    for i, a in enumerate(rects):
        assert a.w > 0 and a.h > 0
        for b in rects[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    # boxes stay inside their column, and the picture holds them all
    for col, column in enumerate(scene.columns):
        for box in column:
            r = placement.rects[box.key]
            assert r.x == COLUMN_X[col] and r.w == COLUMNS[col][1]
            assert r.bottom <= placement.height and r.right <= placement.width


def test_subnet_rows_sit_inside_their_vnet(drawn: tuple[Scene, Placement]) -> None:
    scene, placement = drawn
    vnets = [b for b in scene.columns[layout.VNETS] if b.subnets]
    assert vnets
    for v in vnets:
        outer = placement.rects[v.key]
        rows = [placement.rects[s.key] for s in v.subnets]
        for i, r in enumerate(rows):
            assert outer.x < r.x and r.right < outer.right
            assert outer.y < r.y and r.bottom < outer.bottom
            assert all(not r.overlaps(other) for other in rows[i + 1 :])


def test_every_edge_starts_and_ends_on_a_box(drawn: tuple[Scene, Placement]) -> None:
    scene, placement = drawn
    rects = placement.rects
    kinds = set()
    for edge in scene.edges:
        if isinstance(edge, Peering):
            top, bottom = rects[edge.top], rects[edge.bottom]
            arc = layout.peering_arc(top, bottom, edge.level, len(edge.label))
            assert top.on_border(arc.curve[0]) and bottom.on_border(arc.curve[-1])
            assert top.right < arc.label[0] < COLUMN_X[layout.ZONES] and arc.room > 0
            kinds.add("peering")
            continue
        assert isinstance(edge, Edge)
        source, target = rects[edge.source], rects[edge.target]
        start, end = layout.edge_ends(edge.kind, source, target)
        assert source.on_border(start), edge
        assert target.on_border(end), edge
        curve = layout.s_curve(start, end)
        assert curve[0] == start and curve[-1] == end
        kinds.add(edge.kind)
    assert {"in-subnet", "target", "link", "missing", "peering"} <= kinds


def test_the_same_scene_gives_the_same_places(drawn: tuple[Scene, Placement]) -> None:
    scene, placement = drawn
    assert layout.place(slots(scene)) == placement


def test_row_order_does_not_move_a_box(tmp_path: Path) -> None:
    rows = json.loads(TERRAFORM.read_text(encoding="utf-8"))
    places = []
    for name, order in (("a", rows), ("b", rows[::-1])):
        path = tmp_path / name / "estate.json"
        path.parent.mkdir()
        path.write_text(json.dumps(order), encoding="utf-8")
        places.append(layout.place(slots(scene_of([path]))))
    assert places[0] == places[1]


def test_place_stacks_each_column_from_the_top() -> None:
    columns = [
        [Slot("ws"), Slot("kv")],
        [Slot("pe")],
        [Slot("vnet-a", vnet=True, subnets=("s1", "s2")), Slot("vnet-b", vnet=True)],
        [],
    ]
    p = layout.place(columns)
    ws, kv = p.rects["ws"], p.rects["kv"]
    assert ws == Rect(COLUMN_X[0], layout.TOP, COLUMNS[0][1], layout.NODE_H)
    assert kv.y == ws.bottom + layout.NODE_GAP
    a, b = p.rects["vnet-a"], p.rects["vnet-b"]
    s1, s2 = p.rects["s1"], p.rects["s2"]
    assert s1.y == a.y + layout.VNET_HEAD and s2.y == s1.bottom + layout.SUBNET_GAP
    assert a.bottom == s2.bottom + layout.SUBNET_GAP + layout.VNET_PAD
    assert b.h == layout.VNET_HEAD + 4 and b.y == a.bottom + layout.NODE_GAP
    assert p.height == max(layout.MIN_HEIGHT, b.bottom + layout.MARGIN)
    assert layout.place([[], [], [], []]).height == layout.MIN_HEIGHT


def test_text_is_cut_to_its_box() -> None:
    assert layout.truncate("abcdefghij", 5) == "abcd…"
    assert layout.truncate("abc", 5) == "abc"
    assert layout.truncate("a\u202eb", 40) == "a[U+202E]b"  # measured as shown
    wide, narrow = "W" * 30, "i" * 30
    assert len(layout.truncate(wide, 20)) < len(layout.truncate(narrow, 20))
    assert layout.badge_width("") == 0 < layout.badge_width("HIGH")


# -- what is drawn is what the relations say ------------------------------------------------
def test_a_missing_dns_link_comes_from_the_relation_its_rule_asks(tmp_path: Path) -> None:
    """The drawing asks ``required_links`` (never the findings) for missing links: a link
    whose finding is suppressed is still drawn missing, unmarked; with no rule that asks
    the relation (DNS left out with --skip) none is drawn, as the run judged no DNS."""
    with_rule = [e for e in scene_of([TERRAFORM]).edges if isinstance(e, Edge)]
    (edge,) = [e for e in with_rule if e.kind == "missing"]
    assert edge.classes == "edge e-missing fault sev-high"
    assert edge.source.endswith("/privatednszones/privatelink.azurecr.io")
    assert edge.target.endswith("/virtualnetworks/vnet-bastion")
    supp = tmp_path / "s.yaml"
    supp.write_text(
        "suppressions:\n  - rule: MLA-DNS-001\n    justification: accepted\n", encoding="utf-8"
    )
    suppressed = scene_of([TERRAFORM], suppressions=supp).edges
    (unmarked,) = [e for e in suppressed if isinstance(e, Edge) and e.kind == "missing"]
    assert (unmarked.source, unmarked.target) == (edge.source, edge.target)
    without = scene_of([TERRAFORM], skip=["MLA-DNS"]).edges
    assert [e for e in without if isinstance(e, Edge) and e.kind == "missing"] == []


def test_caps_hold_on_a_big_estate(faulty: Path) -> None:
    scene = scene_of([faulty])
    assert len(scene.columns[layout.VNETS]) == MAX_VNETS
    assert any(n.startswith(f"VNets: {MAX_VNETS} of ") for n in scene.notes)
