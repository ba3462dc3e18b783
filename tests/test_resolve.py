"""``mlops-audit resolve`` and the DNS answer model behind it (relations/dns_answer.py):
the topologies' "resolve" expectations, text and JSON output, exit codes, hostile names,
and the answer semantics the topologies do not cover (loops, NxDomainRedirect, a firewall
without DNS proxy, rulesets whose rules were not collected)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from auditor import cli
from auditor.answers import resolve

from .conftest import FIXTURES, graph_of

TOPOLOGIES = FIXTURES / "topologies"
CASES = [
    (d.name, i, case)
    for d in sorted(TOPOLOGIES.iterdir())
    if (d / "expect.json").is_file()
    for i, case in enumerate(json.loads((d / "expect.json").read_text()).get("resolve", []))
]
FQDN = "stmlops.blob.core.windows.net"


def rows(topology: str) -> list[dict[str, Any]]:
    return copy.deepcopy(json.loads((TOPOLOGIES / topology / "estate.json").read_text()))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["resolve", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_topologies_ask_questions() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize(("topology", "i", "case"), CASES, ids=[f"{t}-{i}" for t, i, _ in CASES])
def test_topology_answers(
    topology: str, i: int, case: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    estate = str(TOPOLOGIES / topology / "estate.json")
    code, out, _ = run(
        capsys, case["fqdn"], "--from", case["from"], "--snapshot", estate, "--format", "json"
    )
    doc = json.loads(out)
    assert doc["answer"] == case["answer"], doc["chain"]
    if "address" in case:
        assert doc["address"] == case["address"]
    assert code == (3 if case["answer"] == "unknown" else 0)


def test_text_names_the_chain_and_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    estate = str(TOPOLOGIES / "dns-private-resolver" / "estate.json")
    code, out, _ = run(capsys, FQDN, "--from", "vnet-spoke2", "--snapshot", estate)
    assert code == 0
    assert "ruleset rs-spokes linked to VNet vnet-spoke2: rule privatelink-blob" in out
    assert "inbound endpoint in-hub of DNS Private Resolver dnspr-hub" in out
    assert "Azure DNS in VNet vnet-hub" in out
    assert out.rstrip().endswith("answer: private 10.1.1.4")


def test_firewall_proxy_chain(capsys: pytest.CaptureFixture[str]) -> None:
    estate = str(TOPOLOGIES / "dns-firewall-proxy" / "estate.json")
    code, out, _ = run(capsys, FQDN, "--from", "vnet-aml", "--snapshot", estate)
    assert code == 0 and "Azure Firewall fw-hub (DNS proxy) → Azure DNS in VNet vnet-hub" in out
    code, out, _ = run(capsys, FQDN, "--from", "vnet-spoke2", "--snapshot", estate)
    assert code == 3
    assert "DNS proxy to 192.168.10.10" in out and "answer: unknown" in out


def test_nxdomain_names_the_conflicting_zone(capsys: pytest.CaptureFixture[str]) -> None:
    estate = str(TOPOLOGIES / "dns-conflicting-zones" / "estate.json")
    code, out, _ = run(capsys, FQDN, "--from", "vnet-spoke", "--snapshot", estate)
    assert code == 0
    assert "NXDOMAIN — a different zone of the same name answers there" in out
    assert "rg-dns-legacy" in out and "00000000-0000-0000-0000-000000000002" in out
    code, out, _ = run(
        capsys, FQDN, "--from", "vnet-spoke", "--snapshot", estate, "--format", "json"
    )
    doc = json.loads(out)
    assert doc["cause"] == "conflicting_zone"
    assert doc["zone"]["resourceGroup"] == "rg-dns-legacy"
    assert doc["endpoints"][0]["name"] == "pe-blob" and doc["endpoints"][0]["reaches"]


def test_stale_names_both_addresses(capsys: pytest.CaptureFixture[str]) -> None:
    estate = str(TOPOLOGIES / "dns-stale-record" / "estate.json")
    code, out, _ = run(capsys, FQDN, "--from", "vnet-aml", "--snapshot", estate)
    assert code == 0
    assert "stale 10.1.1.9 — the endpoint's current IP is 10.1.1.4" in out


def test_a_vm_asks_through_its_nic(capsys: pytest.CaptureFixture[str]) -> None:
    estate = str(TOPOLOGIES / "dns-hub-forwarders" / "estate.json")
    code, out, _ = run(capsys, FQDN, "--from", "VM-BUILD", "--snapshot", estate)
    assert code == 0
    assert "NIC vm-build-nic in vnet-aml uses DNS server 168.63.129.16" in out
    assert "answer: public" in out


def test_a_vnet_that_does_not_reach_the_endpoint_is_told_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    estate = str(TOPOLOGIES / "dns-hub-forwarders" / "estate.json")
    _, out, _ = run(capsys, FQDN, "--from", "vnet-third", "--snapshot", estate)
    assert "does not reach endpoint pe-blob" in out and "not transitive" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        ([FQDN, "--from", "vnet-amll"], "did you mean vnet-aml?"),
        ([FQDN, "--from", "/subscriptions/x/resourceGroups/y"], "no VNet, NIC or VM"),
        (["not a name!", "--from", "vnet-aml"], "is not a DNS name"),
        ([FQDN, "--from", ""], "needs a VNet"),
    ],
)
def test_bad_input_is_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    estate = str(TOPOLOGIES / "dns-hub-forwarders" / "estate.json")
    code, out, err = run(capsys, *argv, "--snapshot", estate)
    assert code == 2 and out == "" and needle in err


def test_no_input_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, FQDN, "--from", "vnet-aml")
    assert code == 2 and "needs either --snapshot" in err


def test_a_name_two_vnets_share_asks_for_the_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    estate = rows("dns-hub-forwarders")
    twin = copy.deepcopy(estate[0])
    twin["id"] = twin["id"].replace("rg-net", "rg-other")
    estate.append(twin)
    path = tmp_path / "e.json"
    path.write_text(json.dumps(estate))
    code, _, err = run(capsys, FQDN, "--from", "vnet-hub", "--snapshot", str(path))
    assert code == 2 and "several resources have this name" in err and "rg-other" in err


def test_hostile_names_stay_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    estate = rows("dns-hub-forwarders")
    hostile = "vnet-\x1b]8;;http://x\x07evil\u202e##vso[task.setvariable variable=a]1"
    for r in estate:
        if r["name"] == "vnet-bastion":
            r["name"] = hostile
    path = tmp_path / "e.json"
    path.write_text(json.dumps(estate))
    bastion = next(r["id"] for r in estate if r["name"] == hostile)
    code, out, _ = run(capsys, FQDN, "--from", bastion, "--snapshot", str(path))
    assert code == 0
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "##vso[" not in out and "[U+001B]" in out
    code, out, _ = run(capsys, FQDN, "--from", bastion, "--snapshot", str(path), "--format", "json")
    assert json.loads(out)["from"]["name"] == hostile and "##vso[" not in out


# -- semantics beyond the topologies ---------------------------------------------------------------
def answer(tmp_path: Path, estate: list[dict[str, Any]], client: str) -> Any:
    g = graph_of(estate, tmp_path)
    return resolve.ask(g, FQDN, client).answer


def test_a_ruleset_that_sends_the_query_back_to_its_own_vnet_loops(tmp_path: Path) -> None:
    """Microsoft's warning: a ruleset linked to the resolver's own VNet whose rule targets
    the resolver's inbound endpoint makes the query loop."""
    estate = rows("dns-private-resolver")
    hub = next(r for r in estate if r["name"] == "vnet-hub")
    link = next(r for r in estate if r["name"] == "link-vnet-spoke2")
    loop = copy.deepcopy(link)
    loop["id"] = loop["id"].replace("link-vnet-spoke2", "link-vnet-hub")
    loop["name"] = "link-vnet-hub"
    loop["properties"]["virtualNetwork"]["id"] = hub["id"]
    estate.append(loop)
    got = answer(tmp_path, estate, "vnet-spoke2")
    assert got.answer == "unknown" and "loops" in got.reason


def test_nxdomain_redirect_falls_back_to_public(tmp_path: Path) -> None:
    estate = rows("dns-conflicting-zones")
    for r in estate:
        if r["name"] == "link-vnet-spoke":
            r["properties"]["resolutionPolicy"] = "NxDomainRedirect"
    got = answer(tmp_path, estate, "vnet-spoke")
    assert (got.answer, got.cause) == ("public", "nxdomain_redirect")


def test_a_firewall_without_dns_proxy_answers_nothing(tmp_path: Path) -> None:
    estate = rows("dns-firewall-proxy")
    for r in estate:
        if r["name"] == "fwp-hub":
            r["properties"]["dnsSettings"]["enableProxy"] = False
    got = answer(tmp_path, estate, "vnet-aml")
    assert got.answer == "unknown" and "does not proxy DNS" in got.reason


def test_a_firewall_policy_outside_the_estate_is_unknown(tmp_path: Path) -> None:
    estate = [r for r in rows("dns-firewall-proxy") if r["name"] != "fwp-hub"]
    got = answer(tmp_path, estate, "vnet-aml")
    assert got.answer == "unknown" and "not in the estate" in got.reason


def test_rules_not_collected_make_the_answer_unknown(tmp_path: Path) -> None:
    estate = [r for r in rows("dns-private-resolver") if not r["type"].endswith("/forwardingrules")]
    got = answer(tmp_path, estate, "vnet-spoke2")
    assert got.answer == "unknown" and "forwarding rules" in got.reason


def test_records_not_collected_fall_back_to_zone_groups(tmp_path: Path) -> None:
    estate = [
        r for r in rows("dns-hub-forwarders") if r["type"] != "microsoft.network/privatednszones/a"
    ]
    got = answer(tmp_path, estate, "vnet-aml")
    assert (got.answer, got.address) == ("private", "10.1.1.4")
    for r in estate:
        if r["type"].lower().endswith("privatednszonegroups"):
            r["properties"]["privateDnsZoneConfigs"][0]["properties"]["recordSets"] = []
    got = answer(tmp_path, estate, "vnet-aml")
    assert got.answer == "unknown" and "records of zone" in got.reason


def test_the_longest_rule_wins(tmp_path: Path) -> None:
    """rs-spokes also holds a rule for blob.core.windows.net to an on-premises server: the
    longer privatelink.blob rule still decides the privatelink name... but the public name
    is matched first, so the broader rule takes the query there."""
    estate = rows("dns-private-resolver")
    rs = next(r for r in estate if r["name"] == "rs-spokes")
    estate.append(
        {
            "id": f"{rs['id']}/forwardingRules/windows",
            "name": "windows",
            "type": "microsoft.network/dnsforwardingrulesets/forwardingrules",
            "properties": {
                "domainName": "windows.net.",
                "forwardingRuleState": "Enabled",
                "targetDnsServers": [{"ipAddress": "192.168.10.10", "port": 53}],
            },
        }
    )
    got = answer(tmp_path, estate, "vnet-spoke2")
    assert got.answer == "unknown" and "192.168.10.10" in got.reason
    g = graph_of(estate, tmp_path)
    direct = resolve.ask(g, "stmlops.privatelink.blob.core.windows.net", "vnet-spoke2").answer
    assert (direct.answer, direct.address) == ("private", "10.1.1.4")
