"""The HTML report: a self-contained, script-free page whose network picture shows the
estate and its faults, escapes every hostile name, and is byte-for-byte deterministic.

Structure tests parse the page without a browser; one module-scoped headless Chromium
session (Debian chromium + chromedriver, driven by selenium, offline) checks what a person
sees: hostile names as text, no script run, the CSS-only filters working, a screenshot.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest

from auditor import core, report, triage
from auditor.report import html_report, network, safe
from auditor.report.network import layout

from .builders import SUB, peering, rid, vnet
from .conftest import FIXTURES, load_synth

REFERENCE = FIXTURES / "reference-terraform.json"
SCREENSHOT_COPY = Path("/tmp/mlops-audit-report.png")
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

HOSTILE_REGISTRY = "<script>window.__pwned=1</script>"
HOSTILE_WORKSPACE = '"><img src=x onerror="window.__pwned=2">'
HOSTILE_VNET = "<svg onload=window.__pwned=3>"
HOSTILE_STORAGE = "st</style>]]><!--x"
BIDI_VAULT = "kv\u202egnp.exe\u2066x\u0007"

DRAWN_KINDS = {
    "vnet",
    "private_dns_zone",
    "private_endpoint",
    "aml_compute",
    "public_ip",
    "aml_workspace",
    "storage_account",
    "key_vault",
    "container_registry",
    "app_insights",
}


# -- helpers ------------------------------------------------------------------------------
def build_run(
    paths: list[Path | str],
    fail_on: str = "high",
    generated_at: str = "2026-01-01T00:00:00Z",
) -> report.Run:
    return core.audit(paths, fail_on=fail_on, generated_at=generated_at)


def page_of(run: report.Run) -> str:
    """The run's page, rendered from its view as the CLI renders it."""
    return html_report.render(report.build_view(run))


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return path


def svg_of(page: str) -> ET.Element:
    """The network picture, parsed as XML (it must be well-formed on its own)."""
    start = page.index('<svg class="net"')
    end = page.index("</svg>", start) + len("</svg>")
    return ET.fromstring(page[start:end])


def text_of(el: ET.Element) -> str:
    return "".join(el.itertext())


def box_list(svg: ET.Element, cls: str = "node") -> list[tuple[str, ET.Element]]:
    """Drawn boxes (they have ids; legend swatches do not) with their name line."""
    out = []
    for g in svg.iter("g"):
        if cls in g.get("class", "").split() and g.get("id"):
            name = g.find(".//text")
            assert name is not None
            out.append((text_of(name), g))
    return out


def boxes(svg: ET.Element, cls: str = "node") -> dict[str, ET.Element]:
    """Drawn boxes by name (for estates whose names do not repeat)."""
    found = box_list(svg, cls)
    out = dict(found)
    assert len(out) == len(found), "names repeat: use box_list"
    return out


def edges(svg: ET.Element, cls: str) -> list[ET.Element]:
    """Drawn edges of one class (not the legend's swatches)."""
    return [
        p
        for p in svg.iter("path")
        if cls in p.get("class", "").split() and "swatch" not in p.get("class", "").split()
    ]


def title(el: ET.Element) -> str:
    t = el.find("title")
    return text_of(t) if t is not None else ""


def rect(g: ET.Element) -> tuple[float, float, float, float]:
    r = g.find(".//rect")
    assert r is not None
    return tuple(float(r.get(a, "0")) for a in ("x", "y", "width", "height"))  # type: ignore[return-value]


def path_end(p: ET.Element) -> tuple[float, float]:
    x, y = p.get("d", "").split()[-1].split(",")
    return float(x), float(y)


class Page(HTMLParser):
    """Every start tag with its attributes, and whether the tags nest properly."""

    VOID: ClassVar[set[str]] = {"meta", "br", "input", "hr", "img", "link"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def parse(page: str) -> Page:
    p = Page()
    p.feed(page)
    p.close()
    assert not p.problems, p.problems[:5]
    assert p.stack == [], p.stack
    return p


def hostile_rows() -> list[dict[str, Any]]:
    """The reference estate with hostile names. The workspace and VNet-bastion are renamed
    everywhere (ids, names, links — their ids are looked up); the registry, storage account
    and key vault only in ``name`` (nothing looks them up by name; '/' cannot be in an id).
    One subnet loses its NSG, for a medium finding next to the high ones."""
    text = REFERENCE.read_text(encoding="utf-8")
    text = text.replace("mlw-mlops00000", json.dumps(HOSTILE_WORKSPACE)[1:-1])
    text = text.replace("vnet-bastion", json.dumps(HOSTILE_VNET)[1:-1])
    rows: list[dict[str, Any]] = json.loads(text)
    names = {
        "microsoft.containerregistry/registries": HOSTILE_REGISTRY,
        "microsoft.storage/storageaccounts": HOSTILE_STORAGE,
        "microsoft.keyvault/vaults": BIDI_VAULT,
    }
    for row in rows:
        if row["type"] in names:
            row["name"] = names[row["type"]]
        if row["type"] == "microsoft.network/networksecuritygroups" and row["name"] == (
            "nsg-inference"
        ):
            row["properties"].pop("subnets")
        if row["type"] == "microsoft.network/virtualnetworks" and row["name"] == "vnet-aml":
            for sub in row["properties"]["subnets"]:
                if sub["name"] == "snet-inference":
                    sub["properties"].pop("networkSecurityGroup")
    return rows


@pytest.fixture(scope="module")
def reference() -> tuple[report.Run, str]:
    run = build_run([REFERENCE])
    return run, page_of(run)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[report.Run, str]:
    path = write_rows(tmp_path_factory.mktemp("hostile") / "estate.json", hostile_rows())
    run = build_run([path])
    return run, page_of(run)


# -- structure, without a browser ----------------------------------------------------------
def test_the_page_is_self_contained_and_script_free(reference: tuple[report.Run, str]) -> None:
    _, page = reference
    parsed = parse(page)
    low = page.lower()
    assert "<script" not in low
    assert "javascript:" not in low
    tags = {t for t, _ in parsed.tags}
    assert not tags & {"script", "img", "iframe", "object", "embed", "link", "base", "form"}
    csp = [
        a["content"]
        for t, a in parsed.tags
        if t == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    assert csp == [html_report.CSP]
    assert "default-src 'none'" in csp[0] and "script-src" not in csp[0]
    for tag, attrs in parsed.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert "src" not in attrs and "srcset" not in attrs, (tag, attrs)
        if "href" in attrs:  # only anchors inside the page
            assert (attrs["href"] or "").startswith("#"), (tag, attrs)
    assert not re.search(r"url\s*\(", low)
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:|//)", low)
    assert "@import" not in low
    # the SVG needs no namespace URL inside HTML: no http(s) anywhere in markup
    assert "xmlns" not in page


def test_findings_table_has_one_row_per_finding(reference: tuple[report.Run, str]) -> None:
    run, page = reference
    parsed = parse(page)
    rows = [a for t, a in parsed.tags if t == "tr" and "finding" in (a.get("class") or "")]
    assert len(rows) == len(run.result.findings) == 4
    for f, attrs in zip(run.result.findings, rows, strict=True):
        assert attrs["id"] == f"f-{f.fingerprint}"
        classes = (attrs["class"] or "").split()
        assert f"sev-{f.severity}" in classes and f"cat-{f.category}" in classes
    # every severity and category gets a checkbox, and a CSS rule that hides its rows
    for s in ("critical", "high", "medium", "low", "info"):
        assert f'<input type="checkbox" id="f-sev-{s}" checked>' in page
        assert f"body:has(#f-sev-{s}:not(:checked)) tr.finding.sev-{s}{{display:none}}" in page
    assert "body:has(#f-cat-private-dns:not(:checked)) tr.finding.cat-private-dns" in page
    assert "<details><summary>how to fix</summary><pre>" in page


def test_summary_says_fail_and_counts(reference: tuple[report.Run, str]) -> None:
    run, page = reference
    assert '<div class="verdict v-fail">FAIL</div>' in page
    assert "4 finding(s) at or above high." in page
    assert f"Generated {run.generated_at}" in page
    assert "fixtures/reference-terraform.json" in page  # the inputs


def test_reference_picture_shows_the_topology_and_its_faults(
    reference: tuple[report.Run, str],
) -> None:
    run, page = reference
    svg = svg_of(page)
    nodes = boxes(svg)
    # VNets with address space, and their subnets inside them
    for name, space in (("vnet-aml", "10.0.8.0/21"), ("vnet-bastion", "10.0.0.0/22")):
        assert "k-vnet" in nodes[name].get("class", "")
        assert space in text_of(nodes[name])
    subnets = boxes(svg, "subnet")
    assert any(t.startswith("snet-endpoints") for t in subnets)
    sx, sy, sw, sh = rect(next(g for t, g in subnets.items() if t.startswith("AzureBastion")))
    vx, vy, vw, vh = rect(nodes["vnet-bastion"])
    assert vx < sx and sx + sw < vx + vw and vy < sy and sy + sh < vy + vh
    # the peering, both directions, with its state
    peers = edges(svg, "e-peer")
    assert len(peers) == 1 and "st-connected" in peers[0].get("class", "")
    assert "fault" not in peers[0].get("class", "")
    assert "vnet-aml → vnet-bastion: peering peer-aml-to-bastion Connected" in title(peers[0])
    assert "vnet-bastion → vnet-aml: peering peer-bastion-to-aml Connected" in title(peers[0])
    labels = [text_of(t) for t in svg.iter("text") if "elabel" in t.get("class", "")]
    assert any(lbl.startswith("Connected") for lbl in labels)
    # private endpoints with their target service and group id
    assert "registry" in text_of(nodes["pe-registry"])
    assert "→ crmlops00000" in text_of(nodes["pe-registry"])
    # the azurecr zone: faulty, linked to vnet-aml only, a dashed red edge to vnet-bastion
    zone = nodes["privatelink.azurecr.io"]
    assert {"fault", "sev-high"} <= set(zone.get("class", "").split())
    assert "MLA-DNS-001" in title(zone)
    missing = edges(svg, "e-missing")
    assert len(missing) == 1
    assert "privatelink.azurecr.io is not linked to vnet-bastion" in title(missing[0])
    ex, ey = path_end(missing[0])
    assert ex == vx + vw and vy <= ey <= vy + vh  # it ends on vnet-bastion's box
    zx, zy, _, zh = rect(zone)
    assert missing[0].get("d", "").startswith(f"M{zx:g},{zy + zh / 2:g} ")
    links = edges(svg, "e-link")
    assert len(links) == 11  # the estate's 11 virtual network links
    # public-IP fault (compute nodes get public IPs) and the Bastion's public IP
    assert "MLA-AML-003" in title(nodes["cpu-cluster"])
    assert "fault" in nodes["cpu-cluster"].get("class", "")
    assert "Bastion bas-mlops" in text_of(nodes["pip-bastion"])
    assert "fault" not in nodes["pip-bastion"].get("class", "")
    for name in ("mlw-mlops00000", "crmlops00000"):
        assert "fault" in nodes[name].get("class", "")
    assert "fault" not in nodes["kv-mlops00000"].get("class", "")
    # faulty boxes link to their finding's row
    link = zone.find("a")
    assert link is not None
    dns = next(f for f in run.result.findings if f.rule_id == "MLA-DNS-001")
    assert link.get("href") == f"#f-{dns.fingerprint}"
    # everything of a drawn kind is drawn (the estate is below every cap)
    g = run.graph
    expected = sum(1 for k in g.g.nodes if g.kind(k) in DRAWN_KINDS)
    assert len(nodes) == expected == 21


def test_ids_are_opaque(reference: tuple[report.Run, str]) -> None:
    _, page = reference
    ids = re.findall(r'\sid="([^"]*)"', page)
    assert ids and len(ids) == len(set(ids))
    for i in ids:
        assert re.fullmatch(r"[a-z0-9-]+", i), i
        assert "subscriptions" not in i


def test_hostile_names_are_text(hostile: tuple[report.Run, str]) -> None:
    run, page = hostile
    parse(page)
    assert len(run.result.findings) == 5  # the 4 of the reference + the subnet without NSG
    for raw in (HOSTILE_REGISTRY, HOSTILE_WORKSPACE, HOSTILE_VNET, "<img", "<svg onload"):
        assert raw not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;" in page
    assert page.count("</style>") == 1 and page.count("<style>") == 1
    assert "]]>" not in page and "<!--" not in page
    assert "\u202e" not in page and "\u2066" not in page and "\x07" not in page
    assert "kv[U+202E]gnp.exe[U+2066]x[U+0007]" in page
    svg = svg_of(page)  # still well-formed XML
    nodes = boxes(svg)
    assert HOSTILE_VNET in nodes  # short enough to be drawn whole
    registry = next(g for t, g in nodes.items() if t.startswith("<script>window"))
    name = text_of(registry.findall(".//text")[0])
    assert name.endswith("…") and len(name) < len(HOSTILE_REGISTRY)  # cut in the drawing
    assert title(registry).startswith(HOSTILE_REGISTRY + "\n")  # whole in the hover title
    missing = edges(svg, "e-missing")[0]
    assert f"not linked to {HOSTILE_VNET}" in title(missing)


def test_escape_function_neutralises_controls_and_bidi() -> None:
    assert safe.html('<a href="x">&\'') == "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
    for ch in ["\u202a", "\u202e", "\u2066", "\u2069", "\u2028", "\u2029", "\x00", "\x1b"]:
        out = safe.html(f"a{ch}b")
        assert ch not in out and f"[U+{ord(ch):04X}]" in out
    assert safe.html("a\nb") == "a[U+000A]b"
    assert safe.html("a\nb", multiline=True) == "a\nb"
    assert safe.html("\ud800x") == "[U+D800]x"  # a lone surrogate cannot be encoded
    assert layout.truncate("abcdefghij", 5) == "abcd…"
    assert layout.truncate("abc", 5) == "abc"


def test_not_seen_resources_are_drawn_apart(tmp_path: Path) -> None:
    """A VNet peered with one outside the estate: the remote is a dashed "not seen" box."""
    remote = rid("rg-hub", "Microsoft.Network/virtualNetworks/vnet-remote", sub=SUB[:-2] + "bb")
    local = vnet("vnet-spoke", "10.1.0.0/16", {"snet-a": "10.1.0.0/24"})
    peering(local, remote, state="Initiated")
    run = build_run([write_rows(tmp_path / "e.json", [local])])
    svg = svg_of(page_of(run))
    nodes = boxes(svg)
    assert "unseen" in nodes["vnet-remote"].get("class", "").split()
    assert "not seen" in title(nodes["vnet-remote"])
    assert "unseen" not in nodes["vnet-spoke"].get("class", "")
    peer = edges(svg, "e-peer")[0]
    assert "st-initiated" in peer.get("class", "")
    assert "vnet-spoke → vnet-remote: peering to-vnet-remote Initiated" in title(peer)


def test_never_pass_while_incomplete(tmp_path: Path) -> None:
    fixture = FIXTURES / "rules" / "MLA-DNS-003" / "fail.json"
    run = build_run([fixture], fail_on="critical")
    assert run.result.not_evaluated and not run.failed
    page = page_of(run)
    assert '<div class="verdict v-incomplete">INCOMPLETE</div>' in page
    assert "PASS" not in page
    assert "this is not a pass" in page
    for n in run.result.not_evaluated:
        assert n.rule_id in page
    clean = build_run([FIXTURES / "reference-good.json"])
    assert not clean.result.findings and not clean.result.not_evaluated
    assert '<div class="verdict v-pass">PASS</div>' in page_of(clean)
    clean.graph.estate.gaps.append({"path": "snap.json", "problem": "dnsresources <was> capped"})
    page = page_of(clean)
    assert '<div class="verdict v-incomplete">INCOMPLETE</div>' in page
    assert "dnsresources &lt;was&gt; capped" in page


def test_not_evaluated_resources_are_marked_in_the_picture() -> None:
    run = build_run([FIXTURES / "rules" / "MLA-DNS-003" / "fail.json"])
    nodes = boxes(svg_of(page_of(run)))
    vault = nodes["kv-mlops"]
    assert {"unknown", "unseen"} <= set(vault.get("class", "").split())
    assert "not evaluated: MLA-KV-001, MLA-KV-002" in title(vault)
    assert "NOT EVALUATED" in text_of(vault)
    assert {"fault", "sev-medium"} <= set(nodes["pe-vault"].get("class", "").split())
    assert "unknown" not in nodes["pe-vault"].get("class", "")


ODD_VALUES: list[Any] = ["x", 7, None, [], {"id": 7}]


def _odd(node: Any, value: Any, depth: int) -> Any:
    if depth == 0:
        return copy.deepcopy(value)
    if isinstance(node, dict):
        return {k: _odd(v, value, depth - 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_odd(v, value, depth - 1) for v in node]
    return node


def test_odd_shapes_and_names_still_render(tmp_path: Path) -> None:
    """Rows come from outside: odd JSON where objects, lists or strings were expected, odd
    names (a number, null, a lone surrogate) and an empty estate give a valid page."""
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    estates: list[list[dict[str, Any]]] = [[]]
    for value in ODD_VALUES:
        for depth in (1, 2, 3):
            rows = copy.deepcopy(reference)
            for row in rows:
                row["properties"] = _odd(row.get("properties"), value, depth)
            estates.append(rows)
    for name in (7, None, "\ud800<b>"):
        estates.append([{**row, "name": name} for row in reference])
    for i, rows in enumerate(estates):
        page = page_of(build_run([write_rows(tmp_path / f"e{i}.json", rows)]))
        parse(page)
        svg_of(page)
        page.encode("utf-8")  # no lone surrogate left
    assert "[U+D800]&lt;b&gt;" in page


def test_suppressions_and_baseline_are_shown(tmp_path: Path) -> None:
    run = build_run([REFERENCE])
    supp = tmp_path / "suppressions.yaml"
    supp.write_text(
        "suppressions:\n"
        "  - rule: MLA-ACR-004\n"
        "    justification: 'admin user <needed> by the legacy build'\n"
        "    expires: 2999-01-01\n"
        "    owner: team-build\n"
        "  - rule: MLA-KV-001\n"
        "    justification: stale entry\n"
        "  - rule: MLA-AML-001\n"
        "    justification: old waiver\n"
        "    expires: 2020-01-01\n",
        encoding="utf-8",
    )
    # the baseline was taken before the suppressions (it never holds suppressed findings)
    doc = triage.baseline_document(report.to_json_dict(run))
    entries = triage.load_suppressions(supp)
    run.suppressions = triage.apply_suppressions(
        run.result, run.graph, entries, "suppressions.yaml", dt.date(2026, 1, 1)
    )
    dropped = next(e for e in doc["findings"] if e["rule_id"] == "MLA-DNS-001")
    doc["findings"].remove(dropped)
    registry = next(f for f in run.result.findings if f.rule_id == "MLA-ACR-004")
    doc["findings"].append(
        {
            **dropped,
            "fingerprint": "f" * 32,
            "rule_id": "MLA-ACR-001",
            "resource_id": registry.resource_id,
            "title": "fixed one",
        }
    )
    doc["findings"].append(
        {**dropped, "fingerprint": "e" * 32, "rule_id": "MLA-XYZ-999", "title": "unknown rule"}
    )
    run.baseline = triage.apply_baseline(run.result, run.graph, doc, "baseline.json")
    page = page_of(run)
    parse(page)
    acr = page[page.index(f'id="f-{registry.fingerprint}"') :]
    acr = acr[: acr.index("</tr>")]
    assert "suppressed" in acr and "admin user &lt;needed&gt; by the legacy build" in acr
    assert "expires 2999-01-01" in acr and "owner team-build" in acr
    assert 'class="tag counts"' not in acr and "unchanged (in baseline)" in acr
    dns = next(f for f in run.result.findings if f.rule_id == "MLA-DNS-001")
    row = page[page.index(f'id="f-{dns.fingerprint}"') :]
    assert '<span class="tag new">new</span>' in row[: row.index("</tr>")]
    section = page[page.index('<section id="suppressions">') :]
    assert "1 expired entr(ies)" in section and "old waiver" in section
    assert "1 stale entr(ies)" in section and "stale entry" in section
    base = page[page.index('<section id="baseline">') :]
    assert "Fixed (1)" in base and "fixed one" in base
    assert "Not re-checked (1)" in base and "rule MLA-XYZ-999 was not run" in base


@pytest.fixture(scope="module")
def faulty_estate_rows() -> list[dict[str, Any]]:
    """Landing zones with every fault the generator knows (one fault per zone)."""
    synth = load_synth()
    rows: list[dict[str, Any]] = []
    for i, fault in enumerate(sorted(synth.FAULTS)):
        rows += synth.landing_zone(i, frozenset({fault}))
    return rows


def test_large_estate_is_capped_and_says_so(
    tmp_path: Path, faulty_estate_rows: list[dict[str, Any]]
) -> None:
    run = build_run([write_rows(tmp_path / "big.json", faulty_estate_rows)])
    g = run.graph
    vnets = sum(1 for k in g.g.nodes if g.kind(k) == "vnet")
    assert vnets > network.MAX_VNETS
    page = page_of(run)
    parse(page)
    svg = svg_of(page)
    nodes = [g for _, g in box_list(svg)]
    drawn_vnets = [n for n in nodes if "k-vnet" in n.get("class", "")]
    assert len(drawn_vnets) == network.MAX_VNETS
    assert len(nodes) <= network.MAX_VNETS + 3 * network.MAX_PER_COLUMN
    assert f"VNets: {network.MAX_VNETS} of {vnets} drawn" in page
    assert "concern resources the picture does not show" in page
    # faults first: the drawn VNets or their neighbourhood carry findings
    assert sum("fault" in n.get("class", "") for n in nodes) >= network.MAX_VNETS // 2
    # peered VNets sit together: every drawn peering arc spans neighbouring rows
    peers = edges(svg, "e-peer")
    assert peers and any("fault" in p.get("class", "") for p in peers)
    tops = sorted(rect(v)[1] for v in drawn_vnets)
    for p in peers:
        start = float(p.get("d", "").split()[0].split(",")[1])
        end = path_end(p)[1]
        rows_apart = [i for i, top in enumerate(tops) if top in (start - 16, end - 16)]
        assert len(rows_apart) == 2 and rows_apart[1] - rows_apart[0] == 1, p.get("d")
    assert box_list(svg, "subnet")
    rows = list(re.finditer(r'<tr id="f-[0-9a-f]{32}" class="finding', page))
    assert len(rows) == len(run.result.findings)


# -- determinism ------------------------------------------------------------------------------
def _without_time(page: str, when: str) -> str:
    assert when in page
    return page.replace(when, "<time>")


def test_same_run_gives_the_same_bytes() -> None:
    one = page_of(build_run([REFERENCE], generated_at="2026-01-01T00:00:00Z"))
    two = page_of(build_run([REFERENCE], generated_at="2026-02-03T04:05:06Z"))
    assert one != two
    assert _without_time(one, "2026-01-01T00:00:00Z") == _without_time(two, "2026-02-03T04:05:06Z")
    svg_one, svg_two = one[one.index("<svg") :], two[two.index("<svg") :]
    svg_one, svg_two = svg_one[: svg_one.index("</svg>")], svg_two[: svg_two.index("</svg>")]
    assert svg_one == svg_two and "2026" not in svg_one  # no time inside the picture


@pytest.mark.parametrize("estate", ["reference", "faulty", "hostile"])
def test_row_order_does_not_change_the_page(
    estate: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    faulty_estate_rows: list[dict[str, Any]],
) -> None:
    """The same rows written in reverse order give the same page (same file name, so the
    inputs section matches too)."""
    rows = {
        "reference": lambda: json.loads(REFERENCE.read_text(encoding="utf-8")),
        "faulty": lambda: faulty_estate_rows,
        "hostile": hostile_rows,
    }[estate]()
    pages = []
    for where, order in (("forward", rows), ("reversed", list(reversed(rows)))):
        write_rows(tmp_path / where / "estate.json", order)
        monkeypatch.chdir(tmp_path / where)
        pages.append(page_of(build_run(["estate.json"])))
    assert pages[0] == pages[1]


# -- in a real browser ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium session for the module, offline (no Selenium Manager)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        why = (
            f"the HTML browser tests need {' and '.join(missing)}: "
            "apt-get install chromium chromium-driver"
        )
        if os.environ.get("CI"):  # .ci/run installs them: there a missing browser is a failure
            pytest.fail(why)
        pytest.skip(why)  # a fresh machine without a browser: shown by -ra, not hidden
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_in_chromium_hostile_names_stay_text_and_filters_work(
    browser: Any, hostile: tuple[report.Run, str], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    run, page = hostile
    target = tmp_path / "report.html"
    target.write_text(page, encoding="utf-8")
    browser.get(target.as_uri())
    assert browser.title == "mlops-audit report"

    # the findings table, one row per finding
    rows = browser.find_elements(By.CSS_SELECTOR, "#findings-table tbody tr.finding")
    assert len(rows) == len(run.result.findings) == 5
    # the drawing with all its boxes
    svg = browser.find_element(By.ID, "network-svg")
    g = run.graph
    expected = sum(1 for k in g.g.nodes if g.kind(k) in DRAWN_KINDS)
    assert len(svg.find_elements(By.CSS_SELECTOR, "g.node[id]")) == expected == 21
    assert len(svg.find_elements(By.CSS_SELECTOR, "g.subnet[id]")) == 6
    assert len(svg.find_elements(By.CSS_SELECTOR, "path.e-missing:not(.swatch)")) == 1
    assert len(svg.find_elements(By.CSS_SELECTOR, "g.node.fault[id]")) == 4
    assert len(svg.find_elements(By.CSS_SELECTOR, "g.subnet.fault.sev-medium")) == 1

    # hostile names arrive as visible text, and nothing ran
    names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "b.rname")]
    assert HOSTILE_REGISTRY in names and HOSTILE_WORKSPACE in names
    svg_texts = [e.text for e in svg.find_elements(By.CSS_SELECTOR, "g.node text.name")]
    assert HOSTILE_VNET in svg_texts
    assert any(t.startswith("<script>window") and t.endswith("…") for t in svg_texts)
    assert any(t.startswith('"><img src=x') for t in svg_texts)
    # the bidi override is shown, not obeyed (the name is cut in the box, whole in <title>)
    assert any(t.startswith("kv[U+202E]gnp.exe[U+2066]") for t in svg_texts)
    vault = svg.find_elements(By.CSS_SELECTOR, "g.k-key_vault > title")
    assert vault[0].get_attribute("textContent").startswith("kv[U+202E]gnp.exe[U+2066]x[U+0007]\n")
    assert browser.execute_script("return window.__pwned === undefined") is True
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert browser.find_elements(By.TAG_NAME, "script") == []
    counts = browser.execute_script(
        "return [document.querySelectorAll('[onerror],[onload]').length,"
        " document.querySelectorAll('svg').length, document.querySelectorAll('style').length]"
    )
    assert counts == [0, 1, 1]

    # CSS-only filters: severity, then category
    high = [r for r in rows if "sev-high" in (r.get_attribute("class") or "").split()]
    medium = [r for r in rows if "sev-medium" in (r.get_attribute("class") or "").split()]
    assert len(high) == 4 and len(medium) == 1
    assert all(r.is_displayed() for r in rows)
    browser.find_element(By.ID, "f-sev-high").click()
    assert not any(r.is_displayed() for r in high)
    assert all(r.is_displayed() for r in medium)
    browser.find_element(By.ID, "f-sev-high").click()
    assert all(r.is_displayed() for r in rows)
    browser.find_element(By.ID, "f-cat-nsg").click()
    assert not medium[0].is_displayed()
    assert all(r.is_displayed() for r in high)
    browser.find_element(By.ID, "f-cat-nsg").click()
    assert medium[0].is_displayed()

    # nothing was blocked: the page asks for nothing the CSP forbids
    log = [e["message"] for e in browser.get_log("browser")]
    assert not [m for m in log if "Content Security Policy" in m or "Refused" in m], log

    # a screenshot of the picture
    browser.execute_script("document.getElementById('network').scrollIntoView()")
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    shutil.copyfile(shot, SCREENSHOT_COPY)


def test_in_chromium_the_reference_picture_renders(
    browser: Any, reference: tuple[report.Run, str], tmp_path: Path
) -> None:
    """Boxes get real geometry: no box overlaps another in its column, and the peering
    label is laid out."""
    from selenium.webdriver.common.by import By

    _, page = reference
    target = tmp_path / "reference.html"
    target.write_text(page, encoding="utf-8")
    browser.get(target.as_uri())
    svg = browser.find_element(By.ID, "network-svg")
    rects = browser.execute_script(
        "return Array.from(document.querySelectorAll('#network-svg g.node[id] > rect.box,"
        " #network-svg g.node[id] > a > rect.box')).map(r => {const b = r.getBBox();"
        " return [b.x, b.y, b.width, b.height];})"
    )
    assert len(rects) == 21
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            overlap_x = a[0] < b[0] + b[2] and b[0] < a[0] + a[2]
            overlap_y = a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
            assert not (overlap_x and overlap_y), (a, b)
    label = svg.find_element(By.CSS_SELECTOR, "text.elabel")
    assert label.text.startswith("Connected") and label.is_displayed()
