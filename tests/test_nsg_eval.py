"""The NSG evaluator (relations/nsg_eval.py): table tests for each of Azure's semantics, and
property tests against small, obviously-correct reference evaluators that walk packets one
by one — for the core decision, for flow() and open_ports() on random NSG pairs, and for
the shadowing coverage."""

from __future__ import annotations

import ipaddress
import itertools
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import arm
from auditor.embedded import MAX_PORT, SecurityRule, merge
from auditor.relations.nsg_eval import (
    Addrs,
    Endpoint,
    Norm,
    Part,
    cells,
    decide,
    flow,
    nsg_open_ports,
    open_ports,
    open_ports_out,
)
from auditor.relations.nsg_shadow import covered, shadowed

from . import builders as b
from . import nsg_rows as n
from .conftest import graph_of

R = n.rule


def graph(rows: list[dict[str, Any]]) -> Any:
    with tempfile.TemporaryDirectory() as d:
        return graph_of(rows, Path(d))


def estate(
    subnet_rules: list[dict[str, Any]] | None,
    nic_rules: list[dict[str, Any]] | None,
    *,
    asgs: list[str] | None = None,
    extra: list[dict[str, Any]] | None = None,
) -> tuple[Any, str, str]:
    """vnet-a 10.0.0.0/16 with snet-a 10.0.1.0/24 and NIC nic-a 10.0.1.4; an NSG on each
    level when its rules are given. → (graph, subnet key, NIC key)."""
    v = n.vnet(
        "vnet-a",
        "10.0.0.0/16",
        {"snet-a": ("10.0.1.0/24", "nsg-sub" if subnet_rules is not None else None)},
    )
    sid = v["properties"]["subnets"][0]["id"]
    rows = [
        v,
        n.nic(
            "nic-a", sid, "10.0.1.4", nsg="nsg-nic" if nic_rules is not None else None, asgs=asgs
        ),
    ]
    if subnet_rules is not None:
        rows.append(n.nsg("nsg-sub", *subnet_rules))
    if nic_rules is not None:
        rows.append(n.nsg("nsg-nic", *nic_rules))
    rows += extra or []
    return graph(rows), arm.key(sid), arm.key(rows[1]["id"])


def inbound(
    g: Any, nic: str, src: Endpoint, port: int, proto: str = "Tcp"
) -> tuple[str, list[str]]:
    v = flow(g, src, Endpoint.node(nic), proto, port)
    return v.access, [s.rule for s in v.steps]


# -- first match, priority, defaults --------------------------------------------------------------
def test_no_nsg_allows_and_has_no_steps() -> None:
    g, _, nic = estate(None, None)
    v = flow(g, Endpoint.internet(), Endpoint.node(nic), "Tcp", 22)
    assert v.access == "Allow" and v.steps == () and v.deciding() is None
    assert v.describe() == "allowed: no NSG on the path"


def test_defaults_deny_the_internet_and_admit_the_vnet_and_the_load_balancer() -> None:
    g, _, nic = estate([], None)
    assert inbound(g, nic, Endpoint.internet(), 22) == ("Deny", ["DenyAllInBound"])
    assert inbound(g, nic, Endpoint.ip("10.0.9.9"), 22) == ("Allow", ["AllowVnetInBound"])
    assert inbound(g, nic, Endpoint.tag("AzureLoadBalancer"), 80) == (
        "Allow",
        ["AllowAzureLoadBalancerInBound"],
    )
    out = flow(g, Endpoint.node(nic), Endpoint.internet(), "Tcp", 443)
    assert out.access == "Allow" and out.steps[0].rule == "AllowInternetOutBound"
    assert out.steps[0].default and out.steps[0].priority == 65001


def test_first_match_by_priority_wins_and_is_described() -> None:
    g, _, nic = estate([R("allow-all", 200), R("deny-ssh", 100, "Deny", ports="22")], None)
    v = flow(g, Endpoint.internet(), Endpoint.node(nic), "Tcp", 22)
    assert v.access == "Deny"
    assert v.describe() == "denied by nsg-sub (subnet snet-a) rule deny-ssh priority 100"
    step = v.deciding()
    assert step is not None and (step.level, step.direction, step.default) == (
        "subnet",
        "Inbound",
        False,
    )
    assert inbound(g, nic, Endpoint.internet(), 80) == ("Allow", ["allow-all"])


@pytest.mark.parametrize(
    ("protocol", "asked", "access"),
    [
        ("Tcp", "Tcp", "Allow"),
        ("Tcp", "Udp", "Deny"),
        ("Udp", "Udp", "Allow"),
        ("Icmp", "Icmp", "Allow"),
        ("Icmp", "Tcp", "Deny"),
        ("Esp", "Esp", "Allow"),
        ("Ah", "Ah", "Allow"),
        ("Ah", "Esp", "Deny"),
        ("*", "Udp", "Allow"),
        ("Udp", "*", "Allow"),  # any protocol: allowed when one is
        ("tcp", "TCP", "Allow"),  # spelled in any case
    ],
)
def test_protocols(protocol: str, asked: str, access: str) -> None:
    g, _, nic = estate([R("r", 100, protocol=protocol, src="Internet")], None)
    assert flow(g, Endpoint.internet(), Endpoint.node(nic), asked, 3389).access == access


@pytest.mark.parametrize(
    ("ports", "port", "access"),
    [
        ("22", 22, "Allow"),
        ("22", 23, "Deny"),
        ("20-25", 25, "Allow"),
        ("20-25", 26, "Deny"),
        (["22", "80-90", "443"], 85, "Allow"),
        (["22", "80-90", "443"], 444, "Deny"),
        ("*", 0, "Allow"),
        ("*", 65535, "Allow"),
    ],
)
def test_port_forms(ports: Any, port: int, access: str) -> None:
    g, _, nic = estate([R("r", 100, ports=ports, src="*")], None)
    assert inbound(g, nic, Endpoint.internet(), port)[0] == access


# -- the two levels -------------------------------------------------------------------------------
def test_a_subnet_deny_clears_a_nic_allow_and_the_nic_is_never_asked() -> None:
    g, _, nic = estate([R("deny-ssh", 100, "Deny", ports="22")], [R("allow-ssh", 100, ports="22")])
    assert inbound(g, nic, Endpoint.internet(), 22) == ("Deny", ["deny-ssh"])


def test_a_nic_deny_clears_a_subnet_allow() -> None:
    g, _, nic = estate([R("allow-ssh", 100, ports="22")], [R("deny-ssh", 100, "Deny", ports="22")])
    assert inbound(g, nic, Endpoint.internet(), 22) == ("Deny", ["allow-ssh", "deny-ssh"])


def test_both_levels_must_allow_and_outbound_meets_the_nic_first() -> None:
    g, sub, nic = estate(
        [
            R("allow-ssh", 100, ports="22"),
            R("deny-out", 100, "Deny", direction="Outbound", ports="25"),
        ],
        [R("allow-ssh-nic", 100, ports="22")],
    )
    v = flow(g, Endpoint.internet(), Endpoint.node(nic), "Tcp", 22)
    assert v.access == "Allow" and [(s.level, s.rule) for s in v.steps] == [
        ("subnet", "allow-ssh"),
        ("nic", "allow-ssh-nic"),
    ]
    out = flow(g, Endpoint.node(nic), Endpoint.internet(), "Tcp", 25)
    assert out.access == "Deny" and [(s.level, s.rule) for s in out.steps] == [
        ("nic", "AllowInternetOutBound"),
        ("subnet", "deny-out"),
    ]
    # the subnet on its own meets only its own NSG
    assert [s.level for s in flow(g, Endpoint.internet(), Endpoint.node(sub), "Tcp", 22).steps] == [
        "subnet"
    ]


def test_a_flow_between_two_nodes_meets_the_source_outbound_then_the_destination_inbound() -> None:
    g, _, nic = estate(
        [R("deny-in", 100, "Deny", ports="5432")],
        [R("deny-out", 100, "Deny", direction="Outbound", ports="443")],
    )
    v = flow(g, Endpoint.node(nic), Endpoint.node(nic), "Tcp", 5432)
    assert v.access == "Deny" and [(s.direction, s.rule) for s in v.steps][-1] == (
        "Inbound",
        "deny-in",
    )
    assert flow(g, Endpoint.node(nic), Endpoint.node(nic), "Tcp", 443).steps[0].rule == "deny-out"


# -- addresses: the internet, prefixes, tags, groups ----------------------------------------------
@pytest.mark.parametrize(
    ("src", "access"),
    [
        ("*", "Allow"),
        ("Internet", "Allow"),
        ("0.0.0.0/0", "Allow"),
        (["0.0.0.0/1", "128.0.0.0/1"], "Allow"),
        ("::/0", "Allow"),  # the IPv6 internet is the internet too
        ("0.0.0.0/1", "Deny"),
        ("52.1.2.3", "Deny"),  # one office address is not the internet
        ("AzureCloud", "Deny"),  # a service tag never names the whole internet
        ("VirtualNetwork", "Deny"),
    ],
)
def test_the_internet_by_coverage(src: Any, access: str) -> None:
    g, _, nic = estate([R("r", 100, src=src, ports="22")], None)
    assert inbound(g, nic, Endpoint.internet(), 22)[0] == access


def test_a_single_address_is_exact() -> None:
    g, _, nic = estate([R("office", 100, src="52.1.2.0/24", ports="22")], None)
    assert inbound(g, nic, Endpoint.ip("52.1.2.9"), 22) == ("Allow", ["office"])
    assert inbound(g, nic, Endpoint.ip("52.1.3.9"), 22) == ("Deny", ["DenyAllInBound"])


def test_a_destination_prefix_names_the_nic_by_its_address() -> None:
    g, _, nic = estate(
        [
            R("to-other", 100, dst="10.0.1.5", ports="22"),
            R("to-me", 110, dst="10.0.1.4/32", ports="80"),
        ],
        None,
    )
    assert inbound(g, nic, Endpoint.internet(), 22)[0] == "Deny"
    assert inbound(g, nic, Endpoint.internet(), 80) == ("Allow", ["to-me"])


def test_a_regional_tag_lies_in_its_parent_and_not_in_another_region() -> None:
    deny = R("deny-internet", 4000, "Deny", direction="Outbound", dst="Internet", protocol="*")
    for allow_tag, asked, access in [
        ("Storage", "Storage.westeurope", "Allow"),
        ("Storage.westeurope", "Storage.westeurope", "Allow"),
        ("storage.WestEurope", "Storage.westeurope", "Allow"),
        ("Storage.eastus", "Storage.westeurope", "Deny"),
        ("Storage.westeurope", "Storage", "Deny"),  # one region is not all of Storage
        ("AzureCloud", "Storage.westeurope", "Deny"),
    ]:
        g, _, nic = estate(
            [R("allow", 100, direction="Outbound", dst=allow_tag, ports="443"), deny], None
        )
        v = flow(g, Endpoint.node(nic), Endpoint.tag(asked), "Tcp", 443)
        assert v.access == access, (allow_tag, asked, v.describe())


def test_a_deny_of_the_internet_denies_every_service_tag() -> None:
    g, _, nic = estate(
        [R("deny-internet", 100, "Deny", direction="Outbound", dst="Internet")], None
    )
    v = flow(g, Endpoint.node(nic), Endpoint.tag("AzureMachineLearning"), "Tcp", 443)
    assert v.access == "Deny" and v.deciding().rule == "deny-internet"  # type: ignore[union-attr]


def test_a_service_tag_asked_about_one_public_address_is_unknown() -> None:
    g, _, nic = estate([R("allow-cloud", 100, src="AzureCloud", ports="443")], None)
    v = flow(g, Endpoint.ip("20.1.2.3"), Endpoint.node(nic), "Tcp", 443)
    assert v.access == "Unknown" and "AzureCloud" in v.reasons[0]
    # a private address is in no service tag
    assert inbound(g, nic, Endpoint.ip("10.0.5.5"), 443) == ("Allow", ["AllowVnetInBound"])


def test_virtual_network_holds_the_vnet_and_its_connected_peers_only() -> None:
    a = n.vnet("vnet-a", "10.0.0.0/16", {"snet-a": ("10.0.1.0/24", "nsg-sub")})
    peer = b.vnet("vnet-peer", "10.1.0.0/16", {})
    gone = b.vnet("vnet-gone", "10.2.0.0/16", {})
    b.peer(a, peer)
    b.peering(a, gone["id"], "Disconnected")
    b.peering(gone, a["id"], "Disconnected")
    sid = a["properties"]["subnets"][0]["id"]
    rows = [
        a,
        peer,
        gone,
        n.nsg(
            "nsg-sub",
            R("allow-vnet", 100, src="VirtualNetwork", ports="8080"),
            R("deny-rest", 200, "Deny", protocol="*"),
        ),
        n.nic("nic-a", sid, "10.0.1.4"),
    ]
    g = graph(rows)
    nic = arm.key(rows[-1]["id"])
    assert inbound(g, nic, Endpoint.ip("10.1.3.3"), 8080) == ("Allow", ["allow-vnet"])
    assert inbound(g, nic, Endpoint.ip("10.2.3.3"), 8080) == ("Deny", ["deny-rest"])
    assert inbound(g, nic, Endpoint.tag("VirtualNetwork"), 8080) == ("Allow", ["allow-vnet"])


def test_a_peer_outside_the_estate_counts_by_its_remote_address_space_or_is_unknown() -> None:
    remote = b.rid(
        "rg-x",
        "Microsoft.Network/virtualNetworks/vnet-far",
        sub="00000000-0000-0000-0000-0000000000ff",
    )
    for space, access in [({"addressPrefixes": ["10.9.0.0/16"]}, "Allow"), (None, "Unknown")]:
        a = n.vnet("vnet-a", "10.0.0.0/16", {"snet-a": ("10.0.1.0/24", "nsg-sub")})
        entry = b.peering(a, remote)
        if space:
            entry["properties"]["remoteAddressSpace"] = space
        sid = a["properties"]["subnets"][0]["id"]
        rows = [
            a,
            n.nsg("nsg-sub", R("allow-vnet", 100, src="VirtualNetwork", ports="22")),
            n.nic("nic-a", sid, "10.0.1.4"),
        ]
        g = graph(rows)
        v = flow(g, Endpoint.ip("10.9.1.1"), Endpoint.node(arm.key(rows[-1]["id"])), "Tcp", 22)
        assert v.access == access, v
        # a VNet's space may be any prefix, public ones too: while a peer's space is unknown,
        # whether the internet lies in VirtualNetwork is unknown; known, it does not here
        v = flow(g, Endpoint.internet(), Endpoint.node(arm.key(rows[-1]["id"])), "Tcp", 22)
        assert v.access == ("Deny" if space else "Unknown"), v


def _peered_outside(*rules: dict[str, Any]) -> tuple[Any, str, str]:
    """vnet-a 10.0.0.0/16, Connected to vnet-far whose row and space are not in the estate;
    nsg-sub (the given rules) on snet-a with nic-a 10.0.1.4. → (graph, subnet, NIC)."""
    remote = b.rid("rg-x", "Microsoft.Network/virtualNetworks/vnet-far")
    a = n.vnet("vnet-a", "10.0.0.0/16", {"snet-a": ("10.0.1.0/24", "nsg-sub")})
    b.peering(a, remote)
    sid = a["properties"]["subnets"][0]["id"]
    rows = [a, n.nsg("nsg-sub", *rules), n.nic("nic-a", sid, "10.0.1.4")]
    return graph(rows), arm.key(sid), arm.key(rows[-1]["id"])


def test_virtual_network_with_a_peer_of_unknown_space_may_hold_the_internet() -> None:
    """A peer's space may be public: the only rule allowing VirtualNetwork leaves a flow with
    the internet (or a public address) unknown, naming the peer — inbound and outbound, for
    flow and for open ports — never denied; the quick gate says the same."""
    from auditor.relations.nsg_eval import may_name_internet, nsg_rules, open_ports_out

    g, sub, nic = _peered_outside(
        R("allow-vnet-ssh", 4000, src="VirtualNetwork", ports="22"),
        R("deny-rest", 4090, "Deny", protocol="*"),  # else AllowVnetInBound opens every port
    )
    for src in (Endpoint.internet(), Endpoint.ip("20.1.2.3")):
        v = flow(g, src, Endpoint.node(nic), "Tcp", 22)
        assert v.access == "Unknown", v
        assert "the address space of VNet vnet-far is not in the estate" in v.reasons[0]
    assert flow(g, Endpoint.internet(), Endpoint.node(nic), "Tcp", 80).access == "Deny"
    got = open_ports(g, Endpoint.internet(), sub, "Tcp")
    assert got.intervals == () and got.unknown, got
    assert flow(g, Endpoint.ip("10.0.9.9"), Endpoint.node(nic), "Tcp", 22).access == "Allow"
    nsg = arm.key(n.nsg("nsg-sub")["id"])
    assert may_name_internet(g, nsg_rules(g, nsg, "Inbound").rules, [g.vnet_of_subnet[sub]])
    # outbound: a Deny of the internet after an Allow of VirtualNetwork
    g, sub, nic = _peered_outside(
        R("allow-vnet", 100, direction="Outbound", dst="VirtualNetwork", ports="443"),
        R("deny-internet", 200, "Deny", direction="Outbound", dst="Internet", protocol="*"),
    )
    v = flow(g, Endpoint.node(nic), Endpoint.internet(), "Tcp", 443)
    assert v.access == "Unknown" and "vnet-far" in v.reasons[0], v
    assert flow(g, Endpoint.node(nic), Endpoint.internet(), "Tcp", 80).access == "Deny"
    out = open_ports_out(g, sub, Endpoint.internet(), "Tcp")
    assert out.intervals == () and out.unknown, out
    rules = nsg_rules(g, arm.key(n.nsg("nsg-sub")["id"]), "Outbound").rules
    assert may_name_internet(g, rules, [g.vnet_of_subnet[sub]], "destination")


def test_internet_admits_with_a_peer_of_unknown_space_is_unknown_not_a_pass() -> None:
    """MLA-NSG-002's relation: SSH allowed from VirtualNetwork only, in a VNet peered with one
    whose space is not known, is not evaluated (the peer named), never closed."""
    from auditor.relations import RELATIONS

    g, _, _ = _peered_outside(
        R("allow-vnet-ssh", 4000, src="VirtualNetwork", ports="22"),
        R("deny-rest", 4090, "Deny", protocol="*"),
    )
    got = RELATIONS["internet_admits"].fn(g, arm.key(n.nsg("nsg-sub")["id"]))
    assert isinstance(got, list)
    by_key = {i.key: i for i in got}
    ssh = by_key["ssh/22"]
    assert ssh.unknown and "vnet-far is not in the estate" in ssh.unknown, ssh
    assert not any(i.extra["access"] == "Allow" for i in got), got
    # the default AllowVnetInBound could open RDP too, but deny-rest comes first
    assert by_key["rdp/3389"].extra["access"] == "Deny" and not by_key["rdp/3389"].unknown
    # without deny-rest, AllowVnetInBound leaves every port unknown: no port passes
    g, _, _ = _peered_outside(R("allow-vnet-ssh", 4000, src="VirtualNetwork", ports="22"))
    got = RELATIONS["internet_admits"].fn(g, arm.key(n.nsg("nsg-sub")["id"]))
    assert isinstance(got, list) and {i.key for i in got} >= {"ssh/22", "rdp/3389", "tcp/all"}
    assert all(i.unknown and i.extra["access"] == "Deny" for i in got), got


def test_application_security_groups_hold_the_nics_that_name_them() -> None:
    jump, other = n.asg_id("asg-jump"), n.asg_id("asg-other")
    rules = [
        R("to-jump", 100, src="Internet", ports="22", dst_asgs=[jump]),
        R("to-other", 110, src="Internet", ports="80", dst_asgs=[other]),
    ]
    g, _, nic = estate(rules, None, asgs=["asg-jump"])
    assert inbound(g, nic, Endpoint.internet(), 22) == ("Allow", ["to-jump"])
    assert inbound(g, nic, Endpoint.internet(), 80)[0] == "Deny"
    # as a source: traffic from the NIC in the group
    g, _, nic = estate(
        [R("from-jump", 100, "Deny", src_asgs=[jump], ports="22")], None, asgs=["asg-jump"]
    )
    assert inbound(g, nic, Endpoint.node(nic), 22)[0] == "Deny"
    assert inbound(g, nic, Endpoint.ip("10.0.1.9"), 22) == ("Allow", ["AllowVnetInBound"])


# -- unknown, never allowed or denied -------------------------------------------------------------
def test_an_nsg_referenced_but_not_in_the_estate_is_unknown() -> None:
    v = n.vnet("vnet-a", "10.0.0.0/16", {"snet-a": ("10.0.1.0/24", "nsg-gone")})
    sid = v["properties"]["subnets"][0]["id"]
    rows = [v, n.nic("nic-a", sid, "10.0.1.4")]
    g = graph(rows)
    got = flow(g, Endpoint.internet(), Endpoint.node(arm.key(rows[1]["id"])), "Tcp", 22)
    assert got.access == "Unknown"
    assert got.reasons == ("NSG nsg-gone is referenced by snet-a but not in the estate",)
    ports = open_ports(g, Endpoint.internet(), rows[1]["id"], "Tcp")
    assert ports.intervals == () and ports.unknown and ports.undecided == ((0, MAX_PORT),)


def test_a_rule_that_cannot_be_read_makes_the_flow_unknown() -> None:
    broken = R("allow-ssh", 100, ports="22")
    broken["properties"]["destinationPortRange"] = "22-21"
    g, _, nic = estate([broken], None)
    v = flow(g, Endpoint.internet(), Endpoint.node(nic), "Tcp", 443)
    assert v.access == "Unknown" and "securityRules[0] (allow-ssh) cannot be read" in v.reasons[0]


def test_rules_sharing_a_priority_are_unknown() -> None:
    g, _, nic = estate([R("a", 100), R("b", 100, "Deny")], None)
    v = flow(g, Endpoint.internet(), Endpoint.node(nic), "Tcp", 22)
    assert v.access == "Unknown" and "share priority 100" in v.reasons[0]


def test_a_prefix_through_the_subnet_of_a_nic_without_address_is_unknown() -> None:
    v = n.vnet("vnet-a", "10.0.0.0/16", {"snet-a": ("10.0.1.0/24", "nsg-sub")})
    sid = v["properties"]["subnets"][0]["id"]
    rows = [
        v,
        n.nic("nic-a", sid, None),
        n.nsg(
            "nsg-sub",
            R("half", 100, dst="10.0.1.0/25", ports="22"),
            R("all", 110, dst="10.0.1.0/24", ports="80"),
        ),
    ]
    g = graph(rows)
    nic = arm.key(rows[1]["id"])
    assert flow(g, Endpoint.internet(), Endpoint.node(nic), "Tcp", 22).access == "Unknown"
    assert inbound(g, nic, Endpoint.internet(), 80) == ("Allow", ["all"])


# -- open ports -----------------------------------------------------------------------------------
def test_open_ports_are_intervals_with_their_admitting_steps() -> None:
    g, sub, nic = estate(
        [
            R("deny-mgmt", 100, "Deny", ports=["22", "3389"]),
            R("allow-high", 200, ports="1024-65535"),
            R("allow-web", 210, ports=["80", "443"]),
        ],
        [R("nic-all", 100, ports="*")],
    )
    got = open_ports(g, Endpoint.internet(), nic, "Tcp")
    assert got.intervals == ((80, 80), (443, 443), (1024, 3388), (3390, 65535))
    assert [s.rule for s in got.steps(443)] == ["allow-web", "nic-all"]
    assert [s.rule for s in got.steps(5000)] == ["allow-high", "nic-all"]
    assert got.steps(22) == () and not got.is_open(22) and got.unknown == ()
    # the subnet alone: the same, its own NSG only
    assert open_ports(g, Endpoint.internet(), sub, "Tcp").intervals == got.intervals
    # UDP: nothing
    assert open_ports(g, Endpoint.internet(), nic, "Udp").intervals == ()


def test_outbound_open_ports_and_an_nsg_on_its_own() -> None:
    g, sub, _ = estate([R("deny-smtp", 100, "Deny", direction="Outbound", ports="25")], None)
    assert open_ports_out(g, sub, Endpoint.internet(), "Tcp").intervals == ((0, 24), (26, 65535))
    orphan = n.nsg("nsg-orphan", R("allow-rdp", 100, src="Internet", ports="3389", protocol="Udp"))
    g = graph([orphan])
    got = nsg_open_ports(g, orphan["id"], Endpoint.internet(), "*")
    assert got.intervals == ((3389, 3389),)
    assert nsg_open_ports(g, orphan["id"], Endpoint.internet(), "Tcp").intervals == ()


# -- property tests: the core against a per-address reference -------------------------------------
small_iv = st.lists(
    st.tuples(st.integers(0, 15), st.integers(0, 4)).map(lambda t: (t[0], min(15, t[0] + t[1]))),
    min_size=1,
    max_size=3,
).map(merge)
SPORTS = [((0, MAX_PORT),), ((0, 1000),), ((1001, MAX_PORT),), ((500, 2000),)]
PORTS = [((0, MAX_PORT),), ((22, 22),), ((20, 25),), ((80, 80), (443, 443))]


def core_rule(i: int, access: str, proto: str, sports: Any, ports: Any) -> SecurityRule:
    return SecurityRule(
        name=f"r{i}",
        priority=100 + i,
        direction="Inbound",
        access=access,
        protocol=proto,
        sources=("x",),
        source_ports=sports,
        destinations=("x",),
        ports=ports,
    )


core_rules = st.lists(
    st.tuples(
        st.sampled_from(["Allow", "Deny"]),
        st.sampled_from(["Tcp", "Udp", "*"]),
        st.sampled_from(SPORTS),
        st.sampled_from(PORTS),
        small_iv,
        small_iv,
    ),
    max_size=6,
)


def points(iv: Any) -> set[int]:
    return {p for lo, hi in iv for p in range(lo, hi + 1)}


def reference(
    rules: list[tuple[SecurityRule, set[int], set[int]]],
    local: int,
    parts: list[set[int]],
    proto: str,
    port: int,
    sport: int,
) -> tuple[str, set[str]]:
    """Per remote address, the first rule matching the packet; a part passes when the Allow
    rules that are first for some of its addresses hold all of them between them."""

    def hit(r: SecurityRule) -> bool:
        return (
            r.protocol in ("*", proto)
            and any(lo <= port <= hi for lo, hi in r.ports)
            and any(lo <= sport <= hi for lo, hi in r.source_ports)
        )

    live = [(r, loc, rem) for r, loc, rem in rules if hit(r) and local in loc]
    for part in parts:
        allowing = []
        for a in sorted(part):
            first = next(((r, rem) for r, _, rem in live if a in rem), None)
            if first and first[0].access == "Allow" and first not in allowing:
                allowing.append(first)
        if all(any(a in rem for _, rem in allowing) for a in part):
            return "Allow", {r.name for r, _ in allowing}
    return "Deny", set()


@settings(max_examples=150, deadline=None)
@given(
    core_rules,
    st.integers(0, 15),
    st.lists(small_iv, min_size=1, max_size=2),
    st.sampled_from(["Tcp", "Udp"]),
    st.sampled_from([0, 22, 23, 80, 443, 1000]),
    st.sampled_from([0, 600, 1500, 5000]),
)
def test_decide_agrees_with_the_per_address_reference(
    specs: list[Any], local: int, parts: list[Any], proto: str, port: int, sport: int
) -> None:
    norms, ref_rules = [], []
    for i, (access, p, sports, ports, loc, rem) in enumerate(specs):
        rule = core_rule(i, access, p, sports, ports)
        norms.append(Norm(rule, Addrs(loc), Addrs(rem)))
        ref_rules.append((rule, points(loc), points(rem)))
    remote = [cells(Part(iv), (x.remote for x in norms)) for iv in parts]
    got = decide(norms, (local, local), remote, proto, port, sport)
    want, admitting = reference(ref_rules, local, [points(iv) for iv in parts], proto, port, sport)
    assert got.access == want
    if want == "Allow":
        assert {r.name for r in got.rules} == admitting


# -- property tests: flow() and open_ports() against packets on a real estate ---------------------
SOURCES = [
    "*",
    "Internet",
    "VirtualNetwork",
    "10.0.0.0/8",
    "10.0.1.0/24",
    "52.0.0.0/8",
    "52.1.2.3",
    "0.0.0.0/1",
    "128.0.0.0/1",
]
DESTS = ["*", "VirtualNetwork", "10.0.1.4", "10.0.1.0/24", "10.0.2.0/24"]
PORT_SPECS = ["*", "22", "20-25", "80", "443", "1024-65535"]
SPORT_SPECS = ["*", "1024-65535", "0-1023"]
ASKED_FROM = ["52.1.2.3", "52.9.9.9", "8.8.8.8", "130.1.1.1", "10.0.2.5", "10.0.1.9"]
ASKED_PORTS = [0, 21, 22, 23, 25, 80, 443, 1023, 1024, 3389, 65535]

rule_specs = st.lists(
    st.tuples(
        st.sampled_from(["Allow", "Deny"]),
        st.sampled_from(["Tcp", "Udp", "*"]),
        st.sampled_from(SOURCES),
        st.sampled_from(DESTS),
        st.sampled_from(PORT_SPECS),
        st.sampled_from(SPORT_SPECS),
    ),
    max_size=5,
)


def make(specs: list[Any], direction: str, tag: str) -> list[dict[str, Any]]:
    out = []
    for i, (access, proto, src, dst, ports, sports) in enumerate(specs):
        if direction == "Outbound":
            src, dst = dst, src
        out.append(
            R(
                f"{tag}{i}",
                100 + i,
                access,
                direction=direction,
                protocol=proto,
                src=src,
                dst=dst,
                ports=ports,
                sports=sports,
            )
        )
    return out


def holds(prefix: str, ip: str) -> bool:
    if prefix == "*":
        return True
    if prefix == "Internet":
        return ipaddress.ip_address(ip) not in ipaddress.ip_network("10.0.0.0/8")
    if prefix == "VirtualNetwork":
        return ipaddress.ip_address(ip) in ipaddress.ip_network("10.0.0.0/16")
    return ipaddress.ip_address(ip) in ipaddress.ip_network(prefix, strict=False)


def in_range(spec: str, value: int) -> bool:
    if spec == "*":
        return True
    lo, _, hi = spec.partition("-")
    return int(lo) <= value <= int(hi or lo)


DEFAULT_IN = [
    ("Allow", "*", "VirtualNetwork", "VirtualNetwork", "*", "*"),
    ("Deny", "*", "*", "*", "*", "*"),
]
DEFAULT_OUT = [
    ("Allow", "*", "VirtualNetwork", "VirtualNetwork", "*", "*"),
    ("Allow", "*", "*", "Internet", "*", "*"),
    ("Deny", "*", "*", "*", "*", "*"),
]


def first_match(
    specs: list[Any], direction: str, src: str, dst: str, proto: str, sport: int, port: int
) -> str:
    """The first rule (custom by priority, then the defaults) matching one packet."""
    chain = [(s, True) for s in specs] + [
        (d, False) for d in (DEFAULT_IN if direction == "Inbound" else DEFAULT_OUT)
    ]
    for (access, p, a, bb, ports, sports), custom in chain:
        if custom and direction == "Outbound":
            a, bb = bb, a  # make() swapped them; the spec keeps (remote, local) order
        s_pref, d_pref = a, bb
        if p not in ("*", proto) or not in_range(ports, port) or not in_range(sports, sport):
            continue
        if holds(s_pref, src) and holds(d_pref, dst):
            return access
    return "Deny"


def passes(
    sub: list[Any] | None,
    nic: list[Any] | None,
    direction: str,
    src: str,
    dst: str,
    proto: str,
    port: int,
) -> bool:
    order = [sub, nic] if direction == "Inbound" else [nic, sub]
    for sport in (0, 1023, 1024, 65535):
        if all(
            level is None or first_match(level, direction, src, dst, proto, sport, port) == "Allow"
            for level in order
        ):
            return True
    return False


@settings(max_examples=60, deadline=None)
@given(
    rule_specs,
    st.one_of(st.none(), rule_specs),
    st.sampled_from(ASKED_FROM),
    st.sampled_from(["Tcp", "Udp"]),
    st.sampled_from(["Inbound", "Outbound"]),
)
def test_flow_and_open_ports_agree_with_packets(
    sub: list[Any], nic: list[Any] | None, other: str, proto: str, direction: str
) -> None:
    g, _, nic_key = estate(
        make(sub, direction, "s"), None if nic is None else make(nic, direction, "n")
    )
    me = "10.0.1.4"
    if direction == "Inbound":
        ports = open_ports(g, Endpoint.ip(other), nic_key, proto)
    else:
        ports = open_ports_out(g, nic_key, Endpoint.ip(other), proto)
    assert ports.unknown == ()
    for port in ASKED_PORTS:
        if direction == "Inbound":
            v = flow(g, Endpoint.ip(other), Endpoint.node(nic_key), proto, port)
            want = passes(sub, nic, direction, other, me, proto, port)
        else:
            v = flow(g, Endpoint.node(nic_key), Endpoint.ip(other), proto, port)
            want = passes(sub, nic, direction, me, other, proto, port)
        assert v.access == ("Allow" if want else "Deny"), (port, v.describe())
        assert ports.is_open(port) == want, port


# -- property tests: shadowing coverage against points --------------------------------------------
box_dim = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 3)).map(lambda t: (t[0], min(7, t[0] + t[1]))),
    min_size=1,
    max_size=2,
).map(merge)
boxes = st.tuples(box_dim, box_dim, box_dim)


@settings(max_examples=150, deadline=None)
@given(boxes, st.lists(boxes, max_size=5))
def test_box_coverage_agrees_with_points(box: Any, others: list[Any]) -> None:
    def inside(pt: tuple[int, ...], bx: Any) -> bool:
        return all(any(lo <= x <= hi for lo, hi in dim) for x, dim in zip(pt, bx, strict=True))

    pts = [p for p in itertools.product(range(8), repeat=3) if inside(p, box)]
    want = all(any(inside(p, o) for o in others) for p in pts)
    assert covered(box, others, [10**6]) is want


def rules_of(*rows: dict[str, Any]) -> list[SecurityRule]:
    from auditor.embedded import SECURITY_RULES, read_list

    got, bad = read_list([r for r in rows], SECURITY_RULES)
    assert not bad
    return got


def test_shadowing_by_coverage_not_spelling() -> None:
    found = shadowed(
        rules_of(
            R("allow-low", 100, src="0.0.0.0/1", ports="22"),
            R("allow-high", 110, src=["128.0.0.0/1", "::/0"], ports="22"),
            R("deny-ssh", 120, "Deny", src="*", ports="22"),
            R("deny-half", 130, "Deny", src="0.0.0.0/1", ports="20-25"),
            R("allow-storage", 140, direction="Outbound", dst="Storage", ports="443"),
            R(
                "deny-westeurope",
                150,
                "Deny",
                direction="Outbound",
                dst="Storage.westeurope",
                ports="443",
            ),
            R("allow-vnet", 160, src="VirtualNetwork", ports="3389"),
            R("deny-spoke", 170, "Deny", src="10.1.0.0/16", ports="3389"),
        )
    )
    got = {s.rule.name: [r.name for r in s.by] for s in found}
    assert got == {
        "deny-ssh": ["allow-low", "allow-high"],
        "deny-westeurope": ["allow-storage"],
    }


def test_a_tag_allow_behind_an_internet_allow_is_not_reported_but_a_tag_deny_is() -> None:
    found = shadowed(
        rules_of(
            R("https", 120, src="Internet", ports="443"),
            R("gateway-manager", 130, src="GatewayManager", ports="443"),
            R("deny-cloud", 140, "Deny", src="AzureCloud", ports="443"),
        )
    )
    assert [(s.rule.name, s.by_allow) for s in found] == [("deny-cloud", True)]


def test_the_quick_test_of_virtual_network_agrees_when_its_space_may_be_public() -> None:
    """``surely_allowed`` for a flow from the VirtualNetwork tag: a Deny of the internet
    before the Allow of VirtualNetwork may hold part of the tag when a peer's space is not
    known, or the VNet's is public — the quick test then defers to flow(): unknown while a
    peer's space is (the tag holds more than the known spaces), else flow's answer (the
    Allow names every address of the tag: allowed, as for the internet)."""
    from auditor.relations.nsg_eval import surely_allowed

    rules = (
        R("deny-internet", 100, "Deny", src="Internet", protocol="*"),
        R("allow-vnet", 200, src="VirtualNetwork", ports="8080"),
    )
    vnet = Endpoint.tag("VirtualNetwork")
    g, sub, _ = _peered_outside(*rules)
    assert not surely_allowed(g, sub, vnet, "Inbound", "Tcp", 8080)
    assert flow(g, vnet, Endpoint.node(sub), "Tcp", 8080).access == "Unknown"
    public = n.vnet("vnet-a", "10.0.0.0/16", {"snet-a": ("10.0.1.0/24", "nsg-sub")})
    public["properties"]["addressSpace"]["addressPrefixes"].append("20.0.0.0/16")
    private = n.vnet("vnet-a", "10.0.0.0/16", {"snet-a": ("10.0.1.0/24", "nsg-sub")})
    for row, sure in ((public, False), (private, True)):
        g = graph([row, n.nsg("nsg-sub", *rules)])
        sub = arm.key(row["properties"]["subnets"][0]["id"])
        assert surely_allowed(g, sub, vnet, "Inbound", "Tcp", 8080) is sure
        assert flow(g, vnet, Endpoint.node(sub), "Tcp", 8080).access == "Allow"
    # a rule naming only the known space does not name the tag while a peer's is unknown
    g, sub, _ = _peered_outside(R("allow-known", 100, src="10.0.0.0/16", ports="8080"))
    assert flow(g, vnet, Endpoint.node(sub), "Tcp", 8080).access == "Unknown"


def test_a_side_is_named_by_its_addresses_not_by_their_numbers() -> None:
    from auditor.relations.nsg_eval import V6, Part, Side, parse_prefix, side_name

    def named(*prefixes: str) -> str:
        parts = []
        for p in prefixes:
            iv = parse_prefix(p)
            assert iv is not None
            parts.append(Part(iv))
        return side_name(Side(tuple(parts)))

    assert named("20.1.2.3") == "20.1.2.3"
    assert named("10.0.0.0/16") == "10.0.0.0/16"
    assert named("10.0.0.0/16", "10.1.0.0/16") == "10.0.0.0/15"
    assert named("2001:db8::/32") == "2001:db8::/32"
    assert side_name(Side((Part(((10, 20),)),))) == "0.0.0.10-0.0.0.20"
    assert side_name(Side((Part(((V6 + 1, V6 + 2),)),))) == "::1/128, ::2/128"
