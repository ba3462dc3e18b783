"""NSG evaluation follows Azure: custom rules by priority, first match wins, then defaults;
singular and plural fields; ranges; protocols; only sources that mean "the internet"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.relations.nsg import allowed_ports, decide, internet_tcp_rules

from . import builders as b
from .conftest import scan_rows

DEFAULTS = [
    {
        "name": "AllowVnetInBound",
        "properties": {
            "direction": "Inbound",
            "access": "Allow",
            "priority": 65000,
            "protocol": "*",
            "sourceAddressPrefix": "VirtualNetwork",
            "destinationPortRange": "*",
        },
    },
    {
        "name": "AllowAzureLoadBalancerInBound",
        "properties": {
            "direction": "Inbound",
            "access": "Allow",
            "priority": 65001,
            "protocol": "*",
            "sourceAddressPrefix": "AzureLoadBalancer",
            "destinationPortRange": "*",
        },
    },
    {
        "name": "DenyAllInBound",
        "properties": {
            "direction": "Inbound",
            "access": "Deny",
            "priority": 65500,
            "protocol": "*",
            "sourceAddressPrefix": "*",
            "destinationPortRange": "*",
        },
    },
]


def rule(
    name: str,
    priority: int,
    access: str = "Allow",
    ports: Any = "22",
    source: Any = "*",
    protocol: str = "Tcp",
    direction: str = "Inbound",
) -> dict[str, Any]:
    p: dict[str, Any] = {
        "direction": direction,
        "access": access,
        "priority": priority,
        "protocol": protocol,
        "sourcePortRange": "*",
    }
    p["destinationPortRanges" if isinstance(ports, list) else "destinationPortRange"] = ports
    p["sourceAddressPrefixes" if isinstance(source, list) else "sourceAddressPrefix"] = source
    return {"name": name, "properties": p}


def nsg(*rules: dict[str, Any], name: str = "nsg-test") -> dict[str, Any]:
    return {
        "id": b.rid("rg-net", f"Microsoft.Network/networkSecurityGroups/{name}"),
        "name": name,
        "type": "microsoft.network/networksecuritygroups",
        "properties": {"securityRules": list(rules), "defaultSecurityRules": DEFAULTS},
    }


def verdict(row: dict[str, Any], port: int) -> tuple[str, str]:
    r = decide(internet_tcp_rules(row), port)
    assert r is not None
    return r.access, r.name


def test_defaults_deny_the_internet() -> None:
    row = nsg()
    assert verdict(row, 22) == ("Deny", "DenyAllInBound")
    assert allowed_ports(internet_tcp_rules(row)) == ([], [])


def test_first_match_by_priority_wins() -> None:
    row = nsg(rule("allow-all", 200, ports="*"), rule("deny-ssh", 100, "Deny", "22"))
    assert verdict(row, 22) == ("Deny", "deny-ssh")
    assert verdict(row, 3389) == ("Allow", "allow-all")
    allowed, openers = allowed_ports(internet_tcp_rules(row))
    assert allowed == [(0, 21), (23, 65535)]
    assert [r.name for r in openers] == ["allow-all"]


def test_allow_shadowed_by_higher_priority_deny() -> None:
    row = nsg(rule("deny-all", 100, "Deny", "*"), rule("allow-ssh", 200))
    assert verdict(row, 22) == ("Deny", "deny-all")


@pytest.mark.parametrize(
    ("ports", "port"),
    [(["443", "22"], 22), ("3000-4000", 3389), ("*", 22), ("0-65535", 3389), (["20-23"], 22)],
)
def test_port_forms(ports: Any, port: int) -> None:
    assert verdict(nsg(rule("r", 100, ports=ports)), port) == ("Allow", "r")


@pytest.mark.parametrize(
    "source", ["*", "Internet", "internet", "0.0.0.0/0", "Any", "::/0", ["10.0.0.0/8", "Internet"]]
)
def test_internet_sources(source: Any) -> None:
    assert verdict(nsg(rule("r", 100, source=source)), 22) == ("Allow", "r")


@pytest.mark.parametrize(
    "source",
    [
        "10.0.0.0/8",
        "VirtualNetwork",
        "AzureLoadBalancer",
        "203.0.113.7/32",
        ["10.1.0.0/16", "10.2.0.0/16"],
    ],
)
def test_sources_that_are_not_the_internet(source: Any) -> None:
    assert verdict(nsg(rule("r", 100, source=source)), 22) == ("Deny", "DenyAllInBound")


@pytest.mark.parametrize("protocol", ["Udp", "Icmp"])
def test_non_tcp_rules_do_not_open_tcp_ports(protocol: str) -> None:
    assert verdict(nsg(rule("r", 100, protocol=protocol)), 22)[0] == "Deny"


def test_outbound_rules_are_ignored() -> None:
    assert verdict(nsg(rule("r", 100, direction="Outbound")), 22)[0] == "Deny"


def test_application_security_group_source_is_not_the_internet() -> None:
    r = rule("asg", 100, source="*")
    r["properties"]["sourceApplicationSecurityGroups"] = [{"id": "/x/asg"}]
    assert verdict(nsg(r), 22)[0] == "Deny"


def test_all_ports_opened_by_several_rules_names_them_all(tmp_path: Path) -> None:
    row = nsg(
        rule("low", 100, ports="0-32767", source="Internet"),
        rule("high", 110, ports="32768-65535", source="0.0.0.0/0"),
    )
    result = scan_rows([row], tmp_path, select=["MLA-NSG-003"])
    (finding,) = result.findings
    assert "rule low, high" in finding.message and "priority 100, 110" in finding.message


@pytest.mark.parametrize(
    "narrow",
    [
        {"destinationAddressPrefix": "10.0.1.4"},
        {"destinationApplicationSecurityGroups": [{"id": "/x/asg-db"}]},
        {"sourcePortRange": "1024-65535"},
    ],
    ids=["one-host", "destination-asg", "source-ports"],
)
def test_a_narrow_deny_does_not_shadow_a_broad_allow(narrow: dict[str, Any]) -> None:
    deny = rule("deny-narrow", 100, "Deny", "*")
    deny["properties"].update(narrow)
    row = nsg(deny, rule("allow-ssh", 200))
    assert verdict(row, 22) == ("Allow", "allow-ssh")


def test_missing_default_rules_are_azures_defaults() -> None:
    row = nsg(rule("allow-ssh", 100))
    row["properties"].pop("defaultSecurityRules")
    assert verdict(row, 22) == ("Allow", "allow-ssh")
    assert verdict(row, 3389) == ("Deny", "DenyAllInBound")


def test_nsg_without_its_rules_is_not_evaluated(tmp_path: Path) -> None:
    row = nsg()
    row["properties"] = None
    result = scan_rows([row], tmp_path, select=["MLA-NSG-002", "MLA-NSG-003"])
    assert result.findings == []
    assert {o.rule_id: o.status for o in result.outcomes} == {
        "MLA-NSG-002": "incomplete",
        "MLA-NSG-003": "incomplete",
    }


@pytest.mark.parametrize(
    "weird",
    [
        {"priority": 1e999},
        {"destinationPortRange": "²"},
        {"sourceAddressPrefixes": 7},
        {"access": 5},
    ],
)
def test_odd_rule_fields_do_not_break_evaluation(weird: dict[str, Any]) -> None:
    r = rule("odd", 100)
    r["properties"].update(weird)
    internet_tcp_rules(nsg(r))  # no exception


def test_rules_report_the_deciding_rule(tmp_path: Path) -> None:
    rows = [
        nsg(rule("allow-ssh-any", 100, ports=["22", "443"]), name="nsg-open"),
        nsg(rule("deny-ssh", 100, "Deny"), rule("allow-ssh", 110), name="nsg-shadowed"),
        nsg(
            rule("allow-rdp", 100, ports="3000-4000", source="Internet"),
            rule("allow-everything", 200, ports="*"),
            name="nsg-wide",
        ),
    ]
    result = scan_rows(rows, tmp_path, select=["MLA-NSG"])
    got = sorted((f.rule_id, f.resource_name, f.related_id) for f in result.findings)
    assert got == [
        ("MLA-NSG-002", "nsg-open", "tcp/22"),
        ("MLA-NSG-002", "nsg-wide", "tcp/22"),
        ("MLA-NSG-002", "nsg-wide", "tcp/3389"),
        ("MLA-NSG-003", "nsg-wide", "tcp/all"),
    ]
    open_msg = next(f.message for f in result.findings if f.resource_name == "nsg-open")
    assert "allow-ssh-any" in open_msg and "priority 100" in open_msg
