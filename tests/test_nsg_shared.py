"""One NSG's evaluation shared across the subnets and NICs it protects (nsg_eval's
``_LevelRules``): shared only where no rule can tell the targets apart, each target's
Steps still its own; and the incremental port sweep agrees with the per-port decision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import arm
from auditor.relations import RELATIONS, nsg_checks, nsg_eval, nsg_shadow
from auditor.relations.nsg_eval import (
    Addrs,
    Endpoint,
    Norm,
    Part,
    cells,
    decide,
    flow,
    open_ports,
)

from . import nsg_rows as n
from .conftest import graph_of
from .test_nsg_eval import core_rule, core_rules, small_iv

R = n.rule


def graph(rows: list[dict[str, Any]], tmp: Path) -> Any:
    return graph_of(rows, tmp)


def subnet_key(vnet: dict[str, Any], name: str) -> str:
    return arm.key(next(s["id"] for s in vnet["properties"]["subnets"] if s["name"] == name))


def test_private_subnets_share_one_evaluation_and_keep_their_own_steps(tmp_path: Path) -> None:
    v = n.vnet(
        "vnet-a",
        "10.0.0.0/16",
        {"snet-a": ("10.0.1.0/24", "nsg-shared"), "snet-b": ("10.0.2.0/24", "nsg-shared")},
    )
    rules = (
        R("allow-ssh", 100, src="Internet", ports="22"),
        R("deny-telnet", 110, "Deny", ports="23"),
        R("allow-high", 120, src="*", ports="1000-2000"),
    )
    g = graph([v, n.nsg("nsg-shared", *rules)], tmp_path)
    a, b = subnet_key(v, "snet-a"), subnet_key(v, "snet-b")
    got_a = open_ports(g, Endpoint.internet(), a, "Tcp")
    got_b = open_ports(g, Endpoint.internet(), b, "Tcp")
    assert got_a.intervals == got_b.intervals == ((22, 22), (1000, 2000))
    assert [s.attached_to for s in got_a.steps(22)] == [v["properties"]["subnets"][0]["id"]]
    assert [s.attached_to for s in got_b.steps(1500)] == [v["properties"]["subnets"][1]["id"]]
    prep_a = nsg_eval._prepare(g, a, Endpoint.internet(), "Inbound")
    prep_b = nsg_eval._prepare(g, b, Endpoint.internet(), "Inbound")
    assert prep_a.levels[0][1] is prep_b.levels[0][1]  # worked out once


def test_virtualnetwork_membership_keeps_vnets_apart(tmp_path: Path) -> None:
    one = n.vnet("vnet-1", "10.1.0.0/16", {"snet-1": ("10.1.1.0/24", "nsg-shared")})
    two = n.vnet("vnet-2", "10.2.0.0/16", {"snet-2": ("10.2.1.0/24", "nsg-shared")})
    rules = (
        R("allow-vnet-ssh", 100, src="VirtualNetwork", ports="22"),
        R("deny-ssh", 200, "Deny", ports="22"),
    )
    for order in ((one, two), (two, one)):  # whichever is asked first
        g = graph([*order, n.nsg("nsg-shared", *rules)], tmp_path)
        src = Endpoint.ip("10.1.5.5")
        got = {
            vnet["name"]: flow(g, src, Endpoint.node(subnet_key(vnet, snet)), "Tcp", 22)
            for vnet, snet in (
                (order[0], "snet-" + order[0]["name"][-1]),
                (order[1], "snet-" + order[1]["name"][-1]),
            )
        }
        assert got["vnet-1"].access == "Allow"
        assert [s.rule for s in got["vnet-1"].steps] == ["allow-vnet-ssh"]
        assert got["vnet-2"].access == "Deny"
        assert [s.rule for s in got["vnet-2"].steps] == ["deny-ssh"]


def test_a_public_subnet_is_not_taken_for_a_private_one(tmp_path: Path) -> None:
    v = n.vnet(
        "vnet-a",
        "10.0.0.0/16",
        {
            "snet-private": ("10.0.1.0/24", "nsg-shared"),
            "snet-public": ("52.1.2.0/24", "nsg-shared"),
        },
    )
    v["properties"]["addressSpace"]["addressPrefixes"].append("52.1.2.0/24")
    rules = (R("allow-storage", 100, src="*", dst="Storage", ports="443"),)
    g = graph([v, n.nsg("nsg-shared", *rules)], tmp_path)
    private = flow(g, Endpoint.internet(), Endpoint.node(subnet_key(v, "snet-private")), "Tcp", 443)
    public = flow(g, Endpoint.internet(), Endpoint.node(subnet_key(v, "snet-public")), "Tcp", 443)
    assert private.access == "Deny"
    assert public.access == "Unknown"
    assert any("service tag Storage" in r for r in public.reasons)


@settings(max_examples=150, deadline=None)
@given(
    core_rules,
    st.integers(0, 15),
    st.lists(small_iv, min_size=1, max_size=2),
    st.sampled_from(["Tcp", "Udp"]),
    st.sampled_from([0, 600, 1500, 5000]),
)
def test_the_port_sweep_agrees_with_decide_at_every_port(
    specs: list[Any], local: int, parts: list[Any], proto: str, sport: int
) -> None:
    norms = tuple(
        Norm(core_rule(i, access, p, sports, ports), Addrs(loc), Addrs(rem))
        for i, (access, p, sports, ports, loc, rem) in enumerate(specs)
    )
    remote_parts = tuple(Part(iv) for iv in parts)
    lr = nsg_eval._LevelRules(norms, remote_parts)
    starts, answers = lr.table(proto, sport, (local, local))
    remote = [cells(p, (x.remote for x in norms)) for p in remote_parts]
    for port in sorted({0, 19, 20, 21, 22, 23, 25, 26, 79, 80, 81, 443, 444, 65535}):
        at = max(i for i, s in enumerate(starts) if s <= port)
        want = decide(norms, (local, local), remote, proto, port, sport)
        assert answers[at] == want
        assert lr.answer(proto, sport, (local, local), port) == want


PORT_CHOICES = ["*", "22", "20-25", "80", "443", "1024-65535", ["22", "3389"], ["80", "8080"]]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Allow", "Deny"]),
            st.sampled_from(["Tcp", "Udp", "*"]),
            st.sampled_from(PORT_CHOICES),
            st.sampled_from(["*", "10.0.0.0/8", "Internet", "Storage"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_shadowing_meets_only_rules_listed_as_port_neighbours(specs: list[Any]) -> None:
    """Every earlier rule whose box meets a rule's is among its port neighbours, in order:
    so covered() sees the same hits as against every earlier rule."""
    from .test_nsg_eval import rules_of

    rules = rules_of(
        *(
            R(f"r{i}", 100 + i, a, protocol=p, ports=ports, src=src)
            for i, (a, p, ports, src) in enumerate(specs)
        )
    )
    sym = nsg_shadow._Symbols(tuple(rules))
    boxes = [nsg_shadow._box(r, sym) for r in rules]
    near = nsg_shadow._port_neighbours(rules)
    for i in range(len(rules)):
        meets = [j for j in range(i) if nsg_shadow._meets(boxes[j], boxes[i])]
        listed = near(i)
        assert listed == sorted(listed)
        assert set(meets) <= set(listed)


def test_internet_admits_names_each_nic_behind_a_subnet_and_skips_closed_nsgs(
    tmp_path: Path,
) -> None:
    """A subnet's NICs are listed as hosts only for an NSG that may admit the internet
    (``internet_admits`` lists them after that gate): the open NSG still names every NIC,
    in key order; the closed one on the same kind of subnet yields no item."""

    v = n.vnet(
        "vnet-a",
        "10.0.0.0/16",
        {"snet-open": ("10.0.1.0/24", "nsg-open"), "snet-shut": ("10.0.2.0/24", "nsg-shut")},
    )
    open_id, shut_id = v["properties"]["subnets"][0]["id"], v["properties"]["subnets"][1]["id"]
    rows = [
        v,
        n.nsg("nsg-open", R("allow-ssh", 100, src="Internet", ports="22")),
        n.nsg("nsg-shut", R("allow-ssh-vnet", 100, src="10.0.0.0/16", ports="22")),
        n.nic("nic-b", open_id, "10.0.1.5"),
        n.nic("nic-a", open_id, "10.0.1.4"),
        n.nic("nic-c", shut_id, "10.0.2.4"),
    ]
    g = graph(rows, tmp_path)
    admits = RELATIONS["internet_admits"].fn
    got = {i.key: i.extra for i in admits(g, arm.key(n.nsg_id("nsg-open")))}
    assert got["ssh/22"]["access"] == "Allow"
    assert got["ssh/22"]["attached_to"] == (
        "subnet snet-open (NIC nic-a), subnet snet-open (NIC nic-b)"
    )
    assert admits(g, arm.key(n.nsg_id("nsg-shut"))) == []


def test_nsgs_with_the_same_rules_share_one_ordered_tuple_per_direction(tmp_path: Path) -> None:
    """Both directions of an NSG come from one read of its rules, in Azure's order; NSGs
    that repeat the same rules share the ordered tuple (its hash is taken once)."""
    rules = (
        R("allow-ssh", 200, src="Internet", ports="22"),
        R("deny-all", 100, "Deny", ports="*"),
        R("out-https", 150, direction="Outbound", dst="Internet", ports="443"),
    )
    g = graph([n.nsg("nsg-a", *rules), n.nsg("nsg-b", *rules)], tmp_path)
    a, b = arm.key(n.nsg_id("nsg-a")), arm.key(n.nsg_id("nsg-b"))
    inbound = nsg_eval.nsg_rules(g, a, "Inbound").rules
    outbound = nsg_eval.nsg_rules(g, a, "Outbound").rules
    assert [r.name for r in inbound][:2] == ["deny-all", "allow-ssh"]
    assert outbound[0].name == "out-https"
    assert all(r.direction == "Inbound" for r in inbound)
    assert all(r.direction == "Outbound" for r in outbound)
    assert nsg_eval.nsg_rules(g, b, "Inbound").rules is inbound


# -- answers shared per rule content (issue 13: thousands of NSGs repeat a few rule lists) --
def test_nsgs_with_the_same_rules_share_answers_and_a_clash_names_each_nsg(
    tmp_path: Path,
) -> None:
    """Equal rule lists share one answer per direction; an answer that names the NSG (two
    rules sharing a priority) is still each NSG's own."""
    rules = (
        R("allow-ssh", 100, src="Internet", ports="22"),
        R("allow-rdp", 100, src="Internet", ports="3389"),
        R("out-https", 150, direction="Outbound", dst="Internet", ports="443"),
    )
    g = graph([n.nsg("nsg-a", *rules), n.nsg("nsg-b", *rules)], tmp_path)
    a, b = arm.key(n.nsg_id("nsg-a")), arm.key(n.nsg_id("nsg-b"))
    in_a, in_b = nsg_eval.nsg_rules(g, a, "Inbound"), nsg_eval.nsg_rules(g, b, "Inbound")
    assert in_a.unknown == (
        "NSG nsg-a: inbound rules allow-ssh and allow-rdp share priority 100, so which "
        "applies first is unknown",
    )
    assert in_b.unknown == (in_a.unknown[0].replace("nsg-a", "nsg-b"),)
    out_a = nsg_eval.nsg_rules(g, a, "Outbound")
    assert not out_a.unknown and out_a is nsg_eval.nsg_rules(g, b, "Outbound")
    assert out_a.rules[0].name == "out-https"


def test_nsgs_with_the_same_rules_share_their_shadowed_items(tmp_path: Path) -> None:
    shadowing = (R("deny-all", 100, "Deny", ports="*"), R("allow-ssh", 200, ports="22"))
    rows = [
        n.nsg("nsg-a", *shadowing),
        n.nsg("nsg-b", *shadowing),
        n.nsg("nsg-c", R("allow-ssh", 200, ports="22")),
    ]
    g = graph(rows, tmp_path)
    shadowed = RELATIONS["shadowed_rules"].fn
    got_a = shadowed(g, arm.key(n.nsg_id("nsg-a")))
    assert [i.key for i in got_a] == ["allow-ssh"]
    assert got_a[0].extra["shadowed_by"] == "deny-all (Deny 100)"
    assert shadowed(g, arm.key(n.nsg_id("nsg-b"))) is got_a
    assert shadowed(g, arm.key(n.nsg_id("nsg-c"))) == []


AML = Path(__file__).resolve().parent.parent / "fixtures" / "topologies" / "nsg-aml-compute"


def _aml_rows_with_a_twin() -> list[dict[str, Any]]:
    """The AML fixture plus a twin of cluster-deny: its own subnet and an NSG with the same
    rules under another name."""
    rows: list[dict[str, Any]] = json.loads((AML / "estate.json").read_text())
    vnet = rows[0]
    subnet = next(s for s in vnet["properties"]["subnets"] if s["name"] == "snet-deny")
    twin = json.loads(
        json.dumps(subnet).replace("snet-deny", "snet-twin").replace("nsg-deny-out", "nsg-twin")
    )
    twin["properties"]["addressPrefix"] = "10.3.9.0/24"
    vnet["properties"]["subnets"].append(twin)
    for name, new in (("nsg-deny-out", "nsg-twin"), ("cluster-deny", "cluster-twin")):
        row = next(r for r in rows if r["name"] == name)
        text = json.dumps(row).replace(name, new).replace("snet-deny", "snet-twin")
        rows.append(json.loads(text))
    return rows


def test_subnets_whose_nsgs_repeat_rules_still_report_their_own_needs(tmp_path: Path) -> None:
    """Which needed flows surely pass is worked out once per rule content and list of
    needs; each subnet's items still name it, and equal to the per-need quick test."""
    g = graph(_aml_rows_with_a_twin(), tmp_path)
    computes = {g.name(c): c for c in g.nodes_of_kind("aml_compute")}
    outbound = RELATIONS["aml_outbound"].fn
    deny, twin = outbound(g, computes["cluster-deny"]), outbound(g, computes["cluster-twin"])
    assert deny and [i.key for i in deny] == [i.key for i in twin]
    assert {i.extra["subnet"] for i in deny} == {"snet-deny"}
    assert {i.extra["subnet"] for i in twin} == {"snet-twin"}
    assert [i.extra["rule"] for i in deny] == [i.extra["rule"] for i in twin]
    needs = nsg_checks.aml_needs(g, computes["cluster-twin"])
    assert needs is nsg_checks.aml_needs(g, computes["cluster-deny"])  # one shared tuple
    for name in ("cluster-deny", "cluster-exact", "cluster-wide", "cluster-twin"):
        subnet = g.first_out(computes[name], "in_subnet")
        assert nsg_checks._surely(g, subnet, needs) == tuple(
            nsg_eval.surely_allowed(
                g, subnet, nsg_checks._peer(x.peer), x.direction, x.protocol, x.port
            )
            for x in needs
        )


def test_the_internet_gate_answers_as_may_name_internet(tmp_path: Path) -> None:
    """One gate per NSG, asked for several protocols and ports, answers as the function."""
    v = n.vnet("vnet-a", "10.0.0.0/16", {"snet-a": ("10.0.1.0/24", "nsg-a")})
    rules = (
        R("allow-ssh", 100, src="0.0.0.0/1", ports="22"),
        R("allow-ssh-2", 110, src="128.0.0.0/1", ports="22"),
        R("allow-web", 120, src="*", ports="443", protocol="Tcp"),
    )
    g = graph([v, n.nsg("nsg-a", *rules)], tmp_path)
    own = nsg_eval.nsg_rules(g, arm.key(n.nsg_id("nsg-a")), "Inbound").rules
    vnets = [arm.key(v["id"])]
    gate = nsg_eval.InternetGate(g, own, vnets, "source")
    for proto, ports in [
        (None, None),
        ("Tcp", ((22, 22),)),
        ("Udp", ((22, 22),)),
        ("Tcp", ((3389, 3389),)),
        ("Udp", ((443, 443),)),
        ("Tcp", ((1, 65535),)),
    ]:
        want = nsg_eval.may_name_internet(g, own, vnets, protocol=proto, ports=ports)
        assert gate(proto, ports) is want, (proto, ports)
    assert gate("Tcp", ((22, 22),)) and not gate("Tcp", ((3389, 3389),))


def test_the_internet_part_of_virtual_network_read_from_the_peers_spans(tmp_path: Path) -> None:
    """``_public_in_vnet`` (the gate's VirtualNetwork part) agrees with the tag it no longer
    builds: private spaces hold none of the internet; a public space its public part; a
    Connected peer whose space is not known leaves it unknown (None)."""
    from . import builders

    private = n.vnet("vnet-private", "10.0.0.0/16", {"snet": ("10.0.1.0/24", None)})
    public = n.vnet("vnet-public", "10.1.0.0/16", {"snet": ("10.1.1.0/24", None)})
    public["properties"]["addressSpace"]["addressPrefixes"] += ["20.0.0.0/8", "192.168.0.0/16"]
    wide = n.vnet("vnet-wide", "0.0.0.0/1", {"snet": ("10.2.1.0/24", None)})
    wide["properties"]["addressSpace"]["addressPrefixes"].append("128.0.0.0/1")
    peered = n.vnet("vnet-peered", "10.3.0.0/16", {"snet": ("10.3.1.0/24", None)})
    builders.peering(peered, private["id"].replace("vnet-private", "vnet-gone"))
    g = graph([private, public, wide, peered], tmp_path)
    for row in (private, public, wide, peered):
        key = arm.key(row["id"])
        space = nsg_eval.virtual_network(g, key)
        want = None if space.missing else nsg_eval.intersection(space.known, nsg_eval.INTERNET)
        got = nsg_eval._public_in_vnet(g, key)
        assert (got is None) == (want is None), row["name"]
        if got is not None and want is not None:
            assert nsg_eval.arith.coalesce(got) == nsg_eval.arith.coalesce(want), row["name"]
    assert nsg_eval._public_in_vnet(g, arm.key(private["id"])) == ()
    assert nsg_eval._public_in_vnet(g, arm.key(peered["id"])) is None
    public_part = nsg_eval._public_in_vnet(g, arm.key(public["id"]))
    assert public_part and nsg_eval.arith.covers(public_part, ((20 << 24, (21 << 24) - 1),))
    assert nsg_eval.arith.covers(
        nsg_eval._public_in_vnet(g, arm.key(wide["id"])) or (), nsg_eval.PUBLIC_V4
    )


def test_a_private_endpoint_in_a_peered_vnet_adds_the_virtual_network_need(
    tmp_path: Path,
) -> None:
    """Whether a subnet holds a private endpoint is read once per subnet and shared by the
    VNets peered with it: computes in the VNet with the endpoint and in a peered VNet need
    VirtualNetwork 443; one in a VNet not peered does not."""
    from . import builders

    rows = _aml_rows_with_a_twin()
    aml_vnet = rows[0]
    hub = builders.vnet("vnet-hub", "10.9.0.0/16", {"snet-pe": "10.9.1.0/24"})
    builders.peer(hub, aml_vnet)
    lone = builders.vnet("vnet-lone", "10.8.0.0/16", {"snet-pe": "10.8.1.0/24"})
    storage = builders.storage("stdata")
    rows += [hub, lone, storage]
    rows += builders.endpoint(
        "pe-hub", hub["properties"]["subnets"][0]["id"], storage["id"], "blob", "10.9.1.4"
    )
    g = graph(rows, tmp_path)
    computes = {g.name(c): c for c in g.nodes_of_kind("aml_compute")}
    keys = {x.key for x in nsg_checks.aml_needs(g, computes["cluster-deny"])}
    assert "VirtualNetwork/tcp/443" in keys
    assert nsg_checks._endpoints_near(g, arm.key(hub["properties"]["subnets"][0]["id"]))
    assert not nsg_checks._endpoints_near(g, arm.key(lone["properties"]["subnets"][0]["id"]))
