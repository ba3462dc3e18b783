"""The product's heart: which VNets must be linked to a private endpoint's DNS zone.

An endpoint's name must resolve privately in its own VNet and in every VNet peered with it
in state Connected (one hop: peering is not transitive). A VNet with custom DNS servers
resolves through them, so the VNet hosting those servers needs the link instead. What
cannot be judged (a DNS server or VNet outside the estate, no DNS data at all) is reported
as not evaluated, never as a pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor import graph, inputs, relations

from . import builders as b
from .conftest import graph_of, scan_rows

ZONE = "privatelink.blob.core.windows.net"


class Estate:
    """VNet A (10.1/16) holds a blob private endpoint; more VNets join per test."""

    def __init__(self) -> None:
        self.a = b.vnet("vnet-a", "10.1.0.0/16", {"snet-pe": "10.1.1.0/24"})
        self.st = b.storage("stdata")
        self.pe, self.nic = b.endpoint(
            "pe-blob", f"{self.a['id']}/subnets/snet-pe", self.st["id"], "blob", "10.1.1.4"
        )
        self.zone = b.zone(ZONE)
        self.rows: list[dict[str, Any]] = [
            self.a,
            self.st,
            self.pe,
            self.nic,
            self.zone,
            b.zone_group(self.pe, self.zone),
        ]

    def add(self, *rows: dict[str, Any]) -> None:
        self.rows.extend(rows)

    def link(self, *vnets: dict[str, Any] | str) -> None:
        for v in vnets:
            self.rows.append(b.link(self.zone, v if isinstance(v, str) else v["id"]))


def dns_findings(estate: Estate, tmp_path: Path) -> tuple[list[str], list[Any], Any]:
    result = scan_rows(estate.rows, tmp_path, select=["MLA-DNS-001"])
    unlinked = sorted(f.related_id.rsplit("/", 1)[-1] for f in result.findings)
    return unlinked, result.not_evaluated, result


def test_endpoint_vnet_linked_passes(tmp_path: Path) -> None:
    e = Estate()
    e.link(e.a)
    unlinked, not_eval, result = dns_findings(e, tmp_path)
    assert unlinked == [] and not_eval == []
    assert result.outcomes[0].passed == 1


def test_endpoint_vnet_not_linked_fails(tmp_path: Path) -> None:
    e = Estate()
    unlinked, _, result = dns_findings(e, tmp_path)
    assert unlinked == ["vnet-a"]
    finding = result.findings[0]
    assert finding.resource_id == e.zone["id"]
    assert "pe-blob" in finding.message and "vnet-a" in finding.message


def test_peered_vnet_must_be_linked(tmp_path: Path) -> None:
    e = Estate()
    bv = b.vnet("vnet-b", "10.2.0.0/16", {"snet-agents": "10.2.1.0/24"})
    b.peer(e.a, bv)
    e.add(bv)
    e.link(e.a)
    unlinked, _, result = dns_findings(e, tmp_path)
    assert unlinked == ["vnet-b"]
    assert "peered with vnet-a (Connected)" in result.findings[0].message


def test_peered_vnet_linked_passes(tmp_path: Path) -> None:
    e = Estate()
    bv = b.vnet("vnet-b", "10.2.0.0/16", {"snet-agents": "10.2.1.0/24"})
    b.peer(e.a, bv)
    e.add(bv)
    e.link(e.a, bv)
    assert dns_findings(e, tmp_path)[:2] == ([], [])


def test_unpeered_vnet_needs_no_link(tmp_path: Path) -> None:
    e = Estate()
    e.add(b.vnet("vnet-lonely", "10.3.0.0/16", {"s": "10.3.1.0/24"}))
    e.link(e.a)
    assert dns_findings(e, tmp_path)[:2] == ([], [])


@pytest.mark.parametrize("state", ["Initiated", "Disconnected"])
def test_peering_that_is_not_connected_carries_no_requirement(tmp_path: Path, state: str) -> None:
    e = Estate()
    bv = b.vnet("vnet-b", "10.2.0.0/16", {"s": "10.2.1.0/24"})
    b.peering(bv, e.a["id"], state)  # one-sided: only B has an entry
    e.add(bv)
    e.link(e.a)
    assert dns_findings(e, tmp_path)[:2] == ([], [])
    peering_result = scan_rows(e.rows, tmp_path, select=["MLA-NET-001"])
    assert [f.resource_name for f in peering_result.findings] == ["vnet-b"]


def test_peering_without_vnet_access_carries_no_requirement(tmp_path: Path) -> None:
    e = Estate()
    bv = b.vnet("vnet-b", "10.2.0.0/16", {"s": "10.2.1.0/24"})
    b.peering(e.a, bv["id"], allowVirtualNetworkAccess=False)
    b.peering(bv, e.a["id"], allowVirtualNetworkAccess=False)
    e.add(bv)
    e.link(e.a)
    assert dns_findings(e, tmp_path)[:2] == ([], [])


def test_peering_is_not_transitive(tmp_path: Path) -> None:
    """A ↔ hub ↔ C: C cannot reach A's endpoint, so C needs no link; the hub does."""
    e = Estate()
    hub = b.vnet("vnet-hub", "10.0.0.0/16", {"s": "10.0.1.0/24"})
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    b.peer(e.a, hub)
    b.peer(hub, c)
    e.add(hub, c)
    e.link(e.a)
    assert dns_findings(e, tmp_path)[0] == ["vnet-hub"]
    e.link(hub)
    assert dns_findings(e, tmp_path)[:2] == ([], [])


def test_custom_dns_moves_the_requirement_to_the_resolver_vnet(tmp_path: Path) -> None:
    """Spoke B resolves through a DNS server in the hub: the hub needs the link, B does not."""
    e = Estate()
    hub = b.vnet("vnet-hub", "10.0.0.0/16", {"snet-dns": "10.0.0.0/24"})
    spoke = b.vnet("vnet-b", "10.2.0.0/16", {"s": "10.2.1.0/24"}, dns=["10.0.0.4"])
    b.peer(e.a, spoke)
    b.peer(spoke, hub)
    e.add(hub, spoke)
    e.link(e.a, spoke)
    unlinked, _, result = dns_findings(e, tmp_path)
    assert unlinked == ["vnet-hub"]
    msg = result.findings[0].message
    assert "uses DNS server 10.0.0.4 hosted in VNet vnet-hub" in msg
    # Linking the hub is enough, even without the spoke's own link.
    e.rows = [r for r in e.rows if not r["id"].endswith("/link-vnet-b")]
    e.link(hub)
    assert dns_findings(e, tmp_path)[:2] == ([], [])


def test_a_nic_s_own_dns_servers_override_its_vnet_s(tmp_path: Path) -> None:
    """Spoke B uses Azure DNS (so B needs the link), but one build agent's NIC names the
    hub's DNS server in dnsSettings: that NIC resolves through the hub, so the hub needs
    the link too — the VNet's settings alone would miss it."""
    e = Estate()
    hub = b.vnet("vnet-hub", "10.0.0.0/16", {"snet-dns": "10.0.0.0/24"})
    spoke = b.vnet("vnet-b", "10.2.0.0/16", {"s": "10.2.1.0/24"})
    b.peer(e.a, spoke)
    b.peer(spoke, hub)
    nic = {
        "id": b.rid("rg-build", "Microsoft.Network/networkInterfaces/agent-1-nic"),
        "name": "agent-1-nic",
        "type": "microsoft.network/networkinterfaces",
        "properties": {
            "dnsSettings": {"dnsServers": ["10.0.0.4"]},
            "ipConfigurations": [{"properties": {"subnet": {"id": f"{spoke['id']}/subnets/s"}}}],
        },
    }
    e.add(hub, spoke, nic)
    e.link(e.a, spoke)
    unlinked, _, result = dns_findings(e, tmp_path)
    assert unlinked == ["vnet-hub"]
    msg = result.findings[0].message
    assert "NIC agent-1-nic in vnet-b uses DNS server 10.0.0.4 hosted in VNet vnet-hub" in msg
    e.link(hub)
    assert dns_findings(e, tmp_path)[:2] == ([], [])
    # a NIC that names Azure's resolver itself needs its VNet linked, as the VNet does
    nic["properties"]["dnsSettings"]["dnsServers"] = ["168.63.129.16"]
    e.rows = [r for r in e.rows if not r["id"].endswith("/link-vnet-b")]
    assert dns_findings(e, tmp_path)[0] == ["vnet-b"]


def test_endpoint_vnet_with_custom_dns_in_itself(tmp_path: Path) -> None:
    e = Estate()
    e.a["properties"]["dhcpOptions"]["dnsServers"] = ["10.1.1.10"]
    e.link(e.a)
    assert dns_findings(e, tmp_path)[:2] == ([], [])


def test_azure_dns_address_counts_as_azure_dns(tmp_path: Path) -> None:
    e = Estate()
    e.a["properties"]["dhcpOptions"]["dnsServers"] = ["168.63.129.16"]
    assert dns_findings(e, tmp_path)[0] == ["vnet-a"]


def test_dns_server_outside_the_estate_is_not_evaluated(tmp_path: Path) -> None:
    e = Estate()
    spoke = b.vnet("vnet-b", "10.2.0.0/16", {"s": "10.2.1.0/24"}, dns=["192.168.50.10"])
    b.peer(e.a, spoke)
    e.add(spoke)
    e.link(e.a)
    unlinked, not_eval, result = dns_findings(e, tmp_path)
    assert unlinked == []
    assert len(not_eval) == 1
    assert "192.168.50.10" in not_eval[0].reasons[0]
    assert result.outcomes[0].status == "incomplete"


def test_peer_vnet_outside_the_estate(tmp_path: Path) -> None:
    """A Connected peer in another subscription: linked passes, unlinked is unknown."""
    e = Estate()
    remote = b.rid(
        "rg-x",
        "Microsoft.Network/virtualNetworks/vnet-remote",
        sub="00000000-0000-0000-0000-0000000000bb",
    )
    b.peering(e.a, remote)
    e.link(e.a)
    unlinked, not_eval, _ = dns_findings(e, tmp_path)
    assert unlinked == [] and len(not_eval) == 1
    assert "not in the estate" in not_eval[0].reasons[0]
    e.link(remote)
    assert dns_findings(e, tmp_path)[:2] == ([], [])


def test_a_records_stand_in_for_missing_zone_groups(tmp_path: Path) -> None:
    """A plain Resource Graph export has no zone groups; A records at the endpoint's IP
    still show which zone holds its name."""
    e = Estate()
    e.rows = [r for r in e.rows if "privateDnsZoneGroups" not in r["id"]]
    bv = b.vnet("vnet-b", "10.2.0.0/16", {"s": "10.2.1.0/24"})
    b.peer(e.a, bv)
    e.add(bv, b.a_record(e.zone, "stdata", "10.1.1.4"))
    e.link(e.a)
    assert dns_findings(e, tmp_path)[0] == ["vnet-b"]


def test_no_dns_data_at_all_is_not_evaluated(tmp_path: Path) -> None:
    e = Estate()
    e.rows = [r for r in e.rows if "privateDnsZoneGroups" not in r["id"]]
    unlinked, not_eval, result = dns_findings(e, tmp_path)
    assert unlinked == []
    assert not_eval and "neither private DNS zone groups" in not_eval[0].reasons[0]
    assert result.outcomes[0].passed == 0


def test_ids_compare_case_insensitively_and_print_as_given(tmp_path: Path) -> None:
    e = Estate()
    e.link(e.a["id"].lower().replace("resourcegroups", "RESOURCEGROUPS"))
    bv = b.vnet("vnet-b", "10.2.0.0/16", {"s": "10.2.1.0/24"})
    b.peering(e.a, bv["id"].upper())
    b.peering(bv, e.a["id"].lower())
    e.add(bv)
    unlinked, _, result = dns_findings(e, tmp_path)
    assert unlinked == ["VNET-B"] or unlinked == ["vnet-b"]
    assert result.findings[0].related_id == bv["id"]  # the row's own casing


def test_one_finding_per_zone_and_vnet_names_every_endpoint(tmp_path: Path) -> None:
    e = Estate()
    st2 = b.storage("stmodels")
    pe2, nic2 = b.endpoint(
        "pe-blob-2", f"{e.a['id']}/subnets/snet-pe", st2["id"], "blob", "10.1.1.5"
    )
    bv = b.vnet("vnet-b", "10.2.0.0/16", {"s": "10.2.1.0/24"})
    b.peer(e.a, bv)
    e.add(st2, pe2, nic2, b.zone_group(pe2, e.zone), bv)
    e.link(e.a)
    unlinked, _, result = dns_findings(e, tmp_path)
    assert unlinked == ["vnet-b"]
    assert "pe-blob, pe-blob-2" in result.findings[0].message


def test_required_links_relation_directly(tmp_path: Path) -> None:
    e = Estate()
    bv = b.vnet("vnet-b", "10.2.0.0/16", {"s": "10.2.1.0/24"})
    b.peer(e.a, bv)
    e.add(bv)
    e.link(bv)
    path = tmp_path / "e.json"
    import json

    path.write_text(json.dumps(e.rows))
    g = graph.build(inputs.load([path]))
    items = relations.required_links(g, e.zone["id"].lower())
    assert isinstance(items, list)
    got = {i.extra["vnet_name"]: i.extra["linked"] for i in items}
    assert got == {"vnet-a": False, "vnet-b": True}


def landing_zone(n: int, *, fqdns: bool, record: bool = True) -> list[dict[str, Any]]:
    """One landing zone; every one reuses the same address plan, as real ones often do."""
    sub = f"00000000-0000-0000-0000-{n:012d}"
    v = b.vnet("vnet-a", "10.1.0.0/16", {"snet-pe": "10.1.1.0/24"}, sub=sub)
    st = b.storage(f"stdata{n}", sub=sub)
    names = [f"stdata{n}.blob.core.windows.net"] if fqdns else None
    pe, nic = b.endpoint(
        f"pe-blob-{n}",
        f"{v['id']}/subnets/snet-pe",
        st["id"],
        "blob",
        "10.1.1.4",
        fqdns=names,
        sub=sub,
    )
    z = b.zone(ZONE, sub=sub)
    rows = [v, st, pe, nic, z, b.link(z, v["id"])]
    if record:
        rows.append(b.a_record(z, f"stdata{n}", "10.1.1.4"))
    return rows


def test_shared_address_plans_do_not_cross_landing_zones(tmp_path: Path) -> None:
    """Without zone groups, A records are matched by IP *and* name: a record in one landing
    zone never vouches for the endpoint with the same IP in another."""
    rows = [*landing_zone(1, fqdns=True), *landing_zone(2, fqdns=True, record=False)]
    result = scan_rows(rows, tmp_path, select=["MLA-DNS-001", "MLA-DNS-003"])
    assert [(f.rule_id, f.resource_name) for f in result.findings] == [("MLA-DNS-003", "pe-blob-2")]
    assert result.not_evaluated == []


def test_shared_ips_without_names_are_not_guessed(tmp_path: Path) -> None:
    rows = [*landing_zone(1, fqdns=False), *landing_zone(2, fqdns=False)]
    result = scan_rows(rows, tmp_path, select=["MLA-DNS-001", "MLA-DNS-003"])
    assert result.findings == []
    got = sorted((n.rule_id, n.related_id or n.resource_id) for n in result.not_evaluated)
    zone_rows = [r for r in rows if r["type"] == "microsoft.network/privatednszones/a"]
    pes = [r for r in rows if r["type"] == "microsoft.network/privateendpoints"]
    assert got == sorted(
        [("MLA-DNS-001", r["id"]) for r in zone_rows] + [("MLA-DNS-003", r["id"]) for r in pes]
    )
    texts = " ".join(r for n in result.not_evaluated for r in n.reasons)
    assert "shares its private IP" in texts and "several endpoints share" in texts
    assert {o.rule_id: o.passed for o in result.outcomes} == {"MLA-DNS-001": 0, "MLA-DNS-003": 0}


def test_many_landing_zones_stay_linear(tmp_path: Path) -> None:
    """200 compliant landing zones with one address plan: no cross-talk, no findings."""
    rows = [r for n in range(200) for r in landing_zone(n, fqdns=True)]
    result = scan_rows(rows, tmp_path, select=["MLA-DNS"])
    assert result.findings == [] and result.not_evaluated == []


def _brute_force_matches(g: Any) -> tuple[dict[str, Any], dict[str, Any], set[str], set[str]]:
    """Record matching as it was before the index (every endpoint at the IP tried): the
    reference the indexed matching must equal, order included."""
    endpoints_of: dict[str, list[tuple[str, str]]] = {}
    records_of: dict[str, list[str]] = {}
    amb_pe: set[str] = set()
    amb_rec: set[str] = set()
    for k in g.nodes_of_kind("dns_record"):
        label = g.name(k).lower()
        for rec in g.row(k)["properties"]["aRecords"]:
            ip = rec["ipv4Address"]
            candidates = g.endpoint_ips.get(ip, [])
            matched = list(candidates) if len(candidates) == 1 else []
            for pe in candidates if len(candidates) > 1 else ():
                names = g.endpoint_fqdns.get(pe)
                if not names:
                    amb_pe.add(pe)
                    amb_rec.add(k)
                elif any(n.startswith(label + ".") for n in names):
                    matched.append(pe)
            for pe in matched:
                if all(p != pe for p, _ in endpoints_of.setdefault(k, [])):
                    endpoints_of[k].append((pe, ip))
                if k not in records_of.setdefault(pe, []):
                    records_of[pe].append(k)
    return endpoints_of, records_of, amb_pe, amb_rec


def test_indexed_record_matching_equals_trying_every_endpoint(tmp_path: Path) -> None:
    """Shared IPs, endpoints with and without names, labels with dots, labels that name
    nothing, a record at an IP no endpoint has: the index finds exactly what trying every
    endpoint at the IP found, in the same order, with the same ambiguities."""
    rows = [r for n in range(4) for r in landing_zone(n, fqdns=True)]
    rows += landing_zone(9, fqdns=False)
    zone = next(r for r in rows if r["type"] == "microsoft.network/privatednszones")
    for label, ip in [
        ("stdata1.blob", "10.1.1.4"),  # a dotted label: a prefix of the endpoint's name
        ("stdata", "10.1.1.4"),  # a prefix of a label, not of a name: names nothing
        ("stdata2.blob.core.windows.net", "10.1.1.4"),  # the whole name: no "." after it
        ("STDATA3", "10.1.1.4"),  # labels compare in lower case
        ("other", "10.9.9.9"),  # no endpoint has the IP
    ]:
        rows.append(b.a_record(zone, label, ip))
    g = graph_of(rows, tmp_path)
    found = relations.dns.record_matches(g)
    endpoints_of, records_of, amb_pe, amb_rec = _brute_force_matches(g)
    assert found.endpoints_of == endpoints_of and found.records_of == records_of
    assert found.ambiguous_endpoints == amb_pe and found.ambiguous_records == amb_rec
    assert amb_pe and amb_rec and any(len(v) > 1 for v in records_of.values())


def test_dns_server_in_an_unrelated_vnet_with_the_same_range(tmp_path: Path) -> None:
    """The client's own VNet holds its DNS server's IP; an unpeered VNet with the same
    address space is not where the server lives."""
    e = Estate()
    e.a["properties"]["subnets"].append(
        {
            "id": f"{e.a['id']}/subnets/snet-dns",
            "name": "snet-dns",
            "properties": {"addressPrefix": "10.1.2.0/24"},
        }
    )
    e.a["properties"]["dhcpOptions"]["dnsServers"] = ["10.1.2.4"]
    e.add(b.vnet("vnet-unrelated", "10.1.0.0/16", {"s": "10.1.1.0/24"}))
    e.link(e.a)
    assert dns_findings(e, tmp_path)[:2] == ([], [])


def test_dns_server_ip_in_two_peers_is_unknown(tmp_path: Path) -> None:
    e = Estate()
    spoke = b.vnet("vnet-b", "10.2.0.0/16", {"s": "10.2.1.0/24"}, dns=["10.9.0.4"])
    h1 = b.vnet("vnet-h1", "10.9.0.0/16", {"s": "10.9.0.0/24"})
    h2 = b.vnet("vnet-h2", "10.9.0.0/16", {"s": "10.9.0.0/24"})
    b.peer(e.a, spoke)
    b.peer(spoke, h1)
    b.peer(spoke, h2)
    e.add(spoke, h1, h2)
    e.link(e.a)
    unlinked, not_eval, _ = dns_findings(e, tmp_path)
    assert unlinked == []
    assert [n.related_id for n in not_eval] == [f"DNS server 10.9.0.4 of {spoke['id']}"]
    assert "lies in several VNets" in not_eval[0].reasons[0]


def test_an_unreadable_peering_of_the_endpoint_vnet_is_not_a_pass(tmp_path: Path) -> None:
    """A peering entry of the endpoint's VNet that cannot be read may join a VNet that
    must resolve the name: the zone's links are not evaluated, never passed."""
    e = Estate()
    e.a["properties"]["virtualNetworkPeerings"].append({"name": "to-somewhere"})
    e.link(e.a)
    unlinked, not_eval, _ = dns_findings(e, tmp_path)
    assert unlinked == []
    (entry,) = not_eval
    assert "virtualNetworkPeerings[0] (to-somewhere) cannot be read" in entry.reasons[0]


# -- wrong_answers: what a zone answers a client wrongly (relations/dns_answer.py) -----------
def test_wrong_answers_carry_the_answer_and_its_path(tmp_path: Path) -> None:
    e = Estate()
    e.nic["properties"]["ipConfigurations"][0]["properties"]["privateLinkConnectionProperties"] = {
        "groupId": "blob",
        "fqdns": ["stdata.blob.core.windows.net"],
    }
    e.link(e.a)
    e.add(b.a_record(e.zone, "stdata", "10.1.1.9"))
    g = graph_of(e.rows, tmp_path)
    (item,) = relations.RELATIONS["wrong_answers"].fn(g, e.zone["id"].lower())
    assert item.extra["answer"] == "stale" and item.extra["cause"] == "stale_record"
    assert (item.extra["address"], item.extra["expected"]) == ("10.1.1.9", "10.1.1.4")
    assert item.extra["fqdn"] == "stdata.privatelink.blob.core.windows.net"
    assert item.extra["record_name"] == "stdata" and item.unknown is None
    assert item.extra["via"].startswith("endpoint pe-blob in VNet vnet-a → vnet-a uses Azure")
    # the rules ask it once per zone: the graph's memo keeps no zone's items to the end
    assert not any(isinstance(k, tuple) and k[0] == "wrong_answers" for k in g.memo)


def test_a_link_in_progress_is_not_yet_a_link(tmp_path: Path) -> None:
    e = Estate()
    e.link(e.a)
    e.rows[-1]["properties"]["virtualNetworkLinkState"] = "InProgress"
    result = scan_rows(e.rows, tmp_path, select=["MLA-DNS-001", "MLA-DNS-006"])
    # even with the endpoint's names unknown (no FQDNs) the pending link is the finding,
    # not "link the zone" (it is linked, not yet Completed)
    assert [(f.rule_id, f.related_id) for f in result.findings] == [
        ("MLA-DNS-006", f"the names of pe-blob in {ZONE} from {e.a['id']}")
    ]


def test_a_record_missing_from_the_endpoint_s_own_zone_is_reported(tmp_path: Path) -> None:
    """The endpoint registers in the zone (zone group), the zone's records are collected and
    lack its name: NXDOMAIN from its own zone is MLA-DNS-005's, not a conflicting zone."""
    e = Estate()
    e.nic["properties"]["ipConfigurations"][0]["properties"]["privateLinkConnectionProperties"] = {
        "groupId": "blob",
        "fqdns": ["stdata.blob.core.windows.net"],
    }
    e.link(e.a)
    e.add(b.a_record(e.zone, "other", "10.1.1.50"))
    result = scan_rows(e.rows, tmp_path, select=["MLA-DNS"])
    assert [f.rule_id for f in result.findings] == ["MLA-DNS-005"]
    assert (
        "has no A record for stdata.privatelink.blob.core.windows.net" in result.findings[0].message
    )


# -- what a scan keeps of DNS answers (issue 13: memory of the rules stage) ----------------
def _named_estate() -> Estate:
    """Estate with the endpoint's NIC naming two FQDNs on one IP and a second, stale NIC-less
    record elsewhere: enough for private and stale answers."""
    e = Estate()
    props = e.nic["properties"]["ipConfigurations"][0]["properties"]
    props["privateLinkConnectionProperties"] = {
        "groupId": "blob",
        "fqdns": ["stdata.blob.core.windows.net", "stdata-secondary.blob.core.windows.net"],
    }
    e.link(e.a)
    e.add(
        b.a_record(e.zone, "stdata", "10.1.1.4"), b.a_record(e.zone, "stdata-secondary", "10.9.9.9")
    )
    return e


def test_a_private_answer_keeps_its_last_step_as_parts_and_reads_it_whole(tmp_path: Path) -> None:
    from auditor.relations import dns_answer as da

    e = _named_estate()
    g = graph_of(e.rows, tmp_path)
    pe = e.pe["id"].lower()
    by_name = {c.name: c for c in da.endpoint_clients(g, pe)}
    (ok,) = by_name["stdata.privatelink.blob.core.windows.net"].answers
    assert ok.answer == da.PRIVATE and isinstance(ok.last, tuple)  # not a sentence per answer
    sentence = (
        f"zone {ZONE} ({e.zone['id']}) is linked to VNet vnet-a: A record stdata answers 10.1.1.4"
    )
    assert ok.verdict == sentence and ok.steps[-1] == sentence
    assert ok.steps[:-1] == ok.chain == ("vnet-a uses Azure-provided DNS",)
    (stale,) = by_name["stdata-secondary.privatelink.blob.core.windows.net"].answers
    assert stale.answer == da.STALE and stale.verdict.endswith(
        "A record stdata-secondary answers 10.9.9.9, but the endpoint's IP is 10.1.1.4"
    )
    # each (client, name) is resolved once a scan: its client holds the answers, and no
    # memo entry per resolution keeps another reference
    assert not [k for k in g.memo if k[0] == "dns_resolve"]
    # one chain tuple per client, shared by the names it asks
    assert ok.chain is stale.chain
    # wrong_answers indexes only what is not private, and renders the stale answer's step
    zone = e.zone["id"].lower()
    assert [a.answer for _, _, a in da.answers_by_zone(g, private=False)[zone]] == ["stale"]
    assert sorted(a.answer for _, _, a in da.answers_by_zone(g)[zone]) == ["private", "stale"]


def test_records_of_an_estate_without_source_rows_are_not_searched_for_unknowns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only rows from source code (Terraform) hold values known after apply: a snapshot's
    A records are read without a walk through each row (tests/test_tf_dns.py keeps the
    unknown answer of a record whose IP is known only after apply)."""
    from auditor.relations import dns_answer as da

    def walked(value: object) -> None:
        raise AssertionError("a snapshot's record was searched for unknown values")

    monkeypatch.setattr(da, "contains_unknown", walked)
    e = _named_estate()
    g = graph_of(e.rows, tmp_path)
    assert not g.has_unknown_values
    by_name = {c.name: c for c in da.endpoint_clients(g, e.pe["id"].lower())}
    (ok,) = by_name["stdata.privatelink.blob.core.windows.net"].answers
    assert (ok.answer, ok.address) == (da.PRIVATE, "10.1.1.4")


def test_endpoint_names_are_sorted_tuples_shared_by_names_on_one_ip(tmp_path: Path) -> None:
    from auditor.relations import dns_answer as da

    e = _named_estate()
    g = graph_of(e.rows, tmp_path)
    names = da.endpoint_names(g)
    pe = e.pe["id"].lower()
    first, second = names.names_of[pe]
    assert (first, second) == (
        "stdata-secondary.privatelink.blob.core.windows.net",
        "stdata.privatelink.blob.core.windows.net",
    )
    assert names.by_name[first][pe] == ("10.1.1.4",)
    assert names.by_name[first][pe] is names.by_name[second][pe]


def test_clean_names_are_returned_as_given() -> None:
    from auditor.relations.dns_answer import _clean

    name = "".join(["stdata.", "privatelink.blob.core.windows.net"])  # not a literal's constant
    assert _clean(name) is name
    assert _clean(" StData.PrivateLink.blob.core.windows.net. ") == name


def test_a_private_answer_read_once_per_zone_and_name_names_each_vnet_that_asks(
    tmp_path: Path,
) -> None:
    """The zone's private answer for a name is read once and shared by the VNets that ask
    it: each answer still names its own VNet, in its last step and as the VNet asked."""
    from auditor.relations import dns_answer as da

    e = _named_estate()
    c = b.vnet("vnet-c", "10.3.0.0/16", {"s": "10.3.1.0/24"})
    b.peer(e.a, c)
    e.add(c)
    e.link(c)
    g = graph_of(e.rows, tmp_path)
    clients = da.endpoint_clients(g, e.pe["id"].lower())
    name = "stdata.privatelink.blob.core.windows.net"
    by_vnet = {g.name(cl.target): cl.answers[0] for cl in clients if cl.name == name}
    assert sorted(by_vnet) == ["vnet-a", "vnet-c"]
    for vnet, a in by_vnet.items():
        assert a.answer == da.PRIVATE and a.address == "10.1.1.4"
        assert a.asked == c["id"].lower() if vnet == "vnet-c" else a.asked == e.a["id"].lower()
        assert a.verdict == (
            f"zone {ZONE} ({e.zone['id']}) is linked to VNet {vnet}: A record stdata answers "
            "10.1.1.4"
        )
        assert a.chain == (f"{vnet} uses Azure-provided DNS",)
