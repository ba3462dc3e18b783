"""The DNS answer on evasive and malformed data: a record with a current and a stale IP,
an endpoint whose current IP is missing, link states Azure does not define, a dnsServers
value that is not a list, a forwarding rule for the root domain, two zones of one name
linked to one VNet. None of them may give a pass (fail closed)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor import cli

from .conftest import FIXTURES

TOPOLOGIES = FIXTURES / "topologies"
FQDN = "stmlops.blob.core.windows.net"
Rows = list[dict[str, Any]]


def rows(topology: str) -> Rows:
    return copy.deepcopy(json.loads((TOPOLOGIES / topology / "estate.json").read_text()))


def of_type(estate: Rows, rtype: str) -> Rows:
    return [r for r in estate if r["type"].lower() == rtype]


def ask(
    estate: Rows, tmp_path: Path, capsys: pytest.CaptureFixture[str], frm: str
) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(estate), encoding="utf-8")
    code = cli.main(["resolve", FQDN, "--from", frm, "--snapshot", str(path), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def scan(estate: Rows, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    path, out = tmp_path / "scan.json", tmp_path / "report.json"
    path.write_text(json.dumps(estate), encoding="utf-8")
    argv = ["scan", "--snapshot", str(path), "--format", "json", "--fail-on", "none"]
    cli.main([*argv, "--output", str(out)])
    capsys.readouterr()
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def dns_rules(report: dict[str, Any], key: str) -> set[str]:
    return {
        str(x.get("rule_id") or x.get("rule") if isinstance(x, dict) else x)
        for x in report.get(key, [])
        if "MLA-DNS" in json.dumps(x)
    }


def stale(estate: Rows, ips: list[str]) -> None:
    rec = of_type(estate, "microsoft.network/privatednszones/a")[0]
    rec["properties"]["aRecords"] = [{"ipv4Address": ip} for ip in ips]


def test_a_record_with_the_current_and_a_stale_ip_is_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Azure DNS returns every address of the set: half the clients get the stale one."""
    estate = rows("dns-stale-record")
    stale(estate, ["10.1.1.4", "10.1.1.9"])
    code, doc = ask(estate, tmp_path, capsys, "vnet-aml")
    assert (code, doc["answer"], doc["address"]) == (0, "stale", "10.1.1.9")
    assert "MLA-DNS-005" in dns_rules(scan(estate, tmp_path, capsys), "findings")


def _no_nic_ip(estate: Rows) -> None:
    for nic in of_type(estate, "microsoft.network/networkinterfaces"):
        for c in nic["properties"]["ipConfigurations"]:
            c["properties"].pop("privateIPAddress", None)


def _no_nic(estate: Rows) -> None:
    for nic in of_type(estate, "microsoft.network/networkinterfaces"):
        estate.remove(nic)


@pytest.mark.parametrize("damage", [_no_nic_ip, _no_nic], ids=["nic-without-ip", "nic-absent"])
def test_a_record_of_an_endpoint_whose_ip_is_unknown_is_unknown(
    damage: Callable[[Rows], None], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The record says 10.1.1.9; whether the endpoint still has it cannot be read."""
    estate = rows("dns-stale-record")
    damage(estate)
    code, doc = ask(estate, tmp_path, capsys, "vnet-aml")
    assert (code, doc["answer"]) == (3, "unknown")
    assert "current private IP of endpoint pe-blob is not in the estate" in doc["reason"]
    assert "MLA-DNS-005" in dns_rules(scan(estate, tmp_path, capsys), "not_evaluated")


@pytest.mark.parametrize("state", ["Done", "Succeeded", "inprogress"])
def test_a_link_state_other_than_completed_is_not_a_link(
    state: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    estate = rows("dns-stale-record")
    stale(estate, ["10.1.1.4"])
    link = of_type(estate, "microsoft.network/privatednszones/virtualnetworklinks")[0]
    link["properties"]["virtualNetworkLinkState"] = state
    code, doc = ask(estate, tmp_path, capsys, "vnet-aml")
    assert (doc["answer"], doc["cause"]) == ("public", "link_not_completed")
    link["properties"]["virtualNetworkLinkState"] = "completed"
    code, doc = ask(estate, tmp_path, capsys, "vnet-aml")
    assert (code, doc["answer"]) == (0, "private")


def test_dns_servers_that_are_not_a_list_are_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    estate = rows("dns-stale-record")
    stale(estate, ["10.1.1.4"])
    vnet = of_type(estate, "microsoft.network/virtualnetworks")[0]
    vnet["properties"]["dhcpOptions"] = {"dnsServers": "10.0.0.1"}
    code, doc = ask(estate, tmp_path, capsys, "vnet-aml")
    assert (code, doc["answer"]) == (3, "unknown")
    assert "MLA-DNS-001" in dns_rules(scan(estate, tmp_path, capsys), "not_evaluated")


def test_a_forwarding_rule_for_the_root_domain_forwards_every_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rule "." on vnet-spoke4's ruleset sends everything on-premises: unknown, not the
    public answer of a VNet with no zone."""
    estate = rows("dns-private-resolver")
    rules = of_type(estate, "microsoft.network/dnsforwardingrulesets/forwardingrules")
    root = copy.deepcopy(next(r for r in rules if "/rs-disabled/" in r["id"]))
    root["name"], root["id"] = "root", root["id"].rsplit("/", 1)[0] + "/root"
    root["properties"].update(
        domainName=".",
        forwardingRuleState="Enabled",
        targetDnsServers=[{"ipAddress": "192.168.10.10"}],
    )
    estate.append(root)
    code, doc = ask(estate, tmp_path, capsys, "vnet-spoke4")
    assert (code, doc["answer"]) == (3, "unknown")
    assert "rule root forwards . to 192.168.10.10" in " ".join(doc["chain"])


def test_two_zones_of_one_name_linked_to_one_vnet_are_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Azure refuses the second link; an estate that shows both cannot say which answers."""
    estate = rows("dns-private-resolver")
    zone = of_type(estate, "microsoft.network/privatednszones")[0]
    links = of_type(estate, "microsoft.network/privatednszones/virtualnetworklinks")
    link = next(x for x in links if x["id"].lower().startswith(zone["id"].lower() + "/"))
    for row in (zone, link):
        twin = copy.deepcopy(row)
        twin["id"] = twin["id"].replace("/rg-dns/", "/rg-other/")
        estate.append(twin)
    vnet = link["properties"]["virtualNetwork"]["id"].rsplit("/", 1)[1]
    code, doc = ask(estate, tmp_path, capsys, vnet)
    assert (code, doc["answer"]) == (3, "unknown")
    assert "several private zones named" in doc["reason"]


def _policy(estate: Rows) -> dict[str, Any]:
    return of_type(estate, "microsoft.network/firewallpolicies")[0]["properties"]["dnsSettings"]


@pytest.mark.parametrize(
    ("setting", "value"),
    [("enableProxy", "false"), ("enableProxy", "False"), ("servers", "8.8.8.8")],
)
def test_a_firewall_policy_with_odd_dns_settings_is_not_a_working_proxy(
    setting: str, value: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """enableProxy "false" (a string) is not enabled; servers that are not a list cannot
    be followed: neither may answer as a proxy that forwards to Azure DNS."""
    estate = rows("dns-firewall-proxy")
    _policy(estate)[setting] = value
    code, doc = ask(estate, tmp_path, capsys, "vnet-aml")
    assert (code, doc["answer"]) == (3, "unknown")


def test_azure_dns_listed_before_a_custom_server_is_a_path_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """dnsServers [168.63.129.16, the firewall]: clients asking the first server get Azure
    DNS in their own VNet, which has no link — the scan must say so, not judge the firewall
    path alone (resolve already reported the disagreement)."""
    estate = rows("dns-firewall-proxy")
    for vnet in of_type(estate, "microsoft.network/virtualnetworks"):
        servers = vnet["properties"]["dhcpOptions"]["dnsServers"]
        if vnet["name"] == "vnet-aml":
            vnet["properties"]["dhcpOptions"]["dnsServers"] = ["168.63.129.16", *servers]
        if vnet["name"] == "vnet-spoke2":  # on-premises: would leave the rule not evaluated
            vnet["properties"]["dhcpOptions"]["dnsServers"] = []
    report = scan(estate, tmp_path, capsys)
    messages = [f["message"] for f in report["findings"] if f.get("rule_id") == "MLA-DNS-001"]
    assert any("not linked to VNet vnet-aml" in m for m in messages), messages


def test_a_cname_record_for_the_name_is_not_called_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The zone answers the name with a CNAME (a record type not followed): unknown, not
    "the zone lacks the record" and not a pass."""
    estate = rows("dns-stale-record")
    rec = of_type(estate, "microsoft.network/privatednszones/a")[0]
    rec["type"] = "microsoft.network/privatednszones/cname"
    rec["id"] = rec["id"].replace("/A/", "/CNAME/")
    rec["properties"] = {"cnameRecord": {"cname": "elsewhere.contoso.com"}}
    code, doc = ask(estate, tmp_path, capsys, "vnet-aml")
    assert (code, doc["answer"]) == (3, "unknown")
    assert "CNAME record" in doc["reason"]
    report = scan(estate, tmp_path, capsys)
    assert "MLA-DNS-005" in dns_rules(report, "not_evaluated")
    assert "MLA-DNS-005" not in dns_rules(report, "findings")


@pytest.mark.parametrize("state", ["Paused", "", "Enabled?"])
def test_a_forwarding_rule_in_an_undefined_state_is_unknown(
    state: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """vnet-spoke2's rule sends the privatelink zone to the hub's inbound endpoint; a state
    Azure does not define may or may not forward: unknown, not skipped."""
    estate = rows("dns-private-resolver")
    rules = of_type(estate, "microsoft.network/dnsforwardingrulesets/forwardingrules")
    rule = next(r for r in rules if "/rs-spokes/" in r["id"] and r["name"] == "privatelink-blob")
    rule["properties"]["forwardingRuleState"] = state
    code, doc = ask(estate, tmp_path, capsys, "vnet-spoke2")
    assert (code, doc["answer"]) == (3, "unknown")
    rule["properties"]["forwardingRuleState"] = " enabled "
    code, doc = ask(estate, tmp_path, capsys, "vnet-spoke2")
    assert (code, doc["answer"]) == (0, "private")


def test_a_zone_name_in_upper_case_with_a_trailing_dot_is_the_zone_it_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """DNS names compare case-blind and without the root dot: not "the wrong zone"."""
    estate = rows("dns-stale-record")
    stale(estate, ["10.1.1.4"])
    zone = of_type(estate, "microsoft.network/privatednszones")[0]
    zone["name"] = zone["name"].upper() + "."
    report = scan(estate, tmp_path, capsys)
    assert not dns_rules(report, "findings")


def test_a_vm_with_several_nics_is_not_answered_for_one_of_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first NIC's answer is not the VM's: the user must pick the NIC (exit 2)."""
    estate = rows("dns-hub-forwarders")
    nic = next(
        r
        for r in of_type(estate, "microsoft.network/networkinterfaces")
        if r["name"] == "vm-build-nic"
    )
    twin = copy.deepcopy(nic)
    twin["name"], twin["id"] = "vm-build-nic2", nic["id"] + "2"
    twin["properties"].pop("dnsSettings", None)
    estate.append(twin)
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(estate), encoding="utf-8")
    code = cli.main(["resolve", FQDN, "--from", "vm-build", "--snapshot", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "several NICs" in err and "vm-build-nic2" in err
