"""NSG evaluation follows Azure: custom rules by priority, first match wins, then defaults;
singular and plural fields; ranges; protocols. Sources count by the internet they cover,
however spelled; a rule that cannot be read makes the answer unknown, never a pass.

Each NSG here is attached to one subnet that is not in the estate, so the evaluator
(``nsg_eval``) judges it alone, for some host behind it, as MLA-NSG-002/003 do."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from auditor.relations import RELATIONS, Unknown
from auditor.relations.nsg import is_internet
from auditor.relations.nsg_eval import Endpoint, flow, open_ports

from . import builders as b
from .conftest import graph_of, scan_rows


def default(name: str, priority: int, access: str, source: str) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            "direction": "Inbound",
            "access": access,
            "priority": priority,
            "protocol": "*",
            "sourceAddressPrefix": source,
            "sourcePortRange": "*",
            "destinationAddressPrefix": "*",
            "destinationPortRange": "*",
        },
    }


DEFAULTS = [
    default("AllowVnetInBound", 65000, "Allow", "VirtualNetwork"),
    default("AllowAzureLoadBalancerInBound", 65001, "Allow", "AzureLoadBalancer"),
    default("DenyAllInBound", 65500, "Deny", "*"),
]


def rule(
    name: str,
    priority: Any,
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
        "destinationAddressPrefix": "*",
    }
    p["destinationPortRanges" if isinstance(ports, list) else "destinationPortRange"] = ports
    p["sourceAddressPrefixes" if isinstance(source, list) else "sourceAddressPrefix"] = source
    return {"name": name, "properties": p}


def subnet_of(name: str) -> str:
    return b.rid("rg-net", f"Microsoft.Network/virtualNetworks/vnet/subnets/snet-{name}")


SUBNET = subnet_of("nsg-test")


def nsg(*rules: dict[str, Any], name: str = "nsg-test") -> dict[str, Any]:
    return {
        "id": b.rid("rg-net", f"Microsoft.Network/networkSecurityGroups/{name}"),
        "name": name,
        "type": "microsoft.network/networksecuritygroups",
        "properties": {
            "securityRules": list(rules),
            "defaultSecurityRules": DEFAULTS,
            "subnets": [{"id": subnet_of(name)}],
        },
    }


def _graph(rows: list[dict[str, Any]]) -> Any:
    with tempfile.TemporaryDirectory() as d:
        return graph_of(rows, Path(d))


def verdict(row: dict[str, Any], port: int) -> tuple[str, str]:
    """What the NSG decides for TCP ``port`` from the internet, and by which rules."""
    v = flow(_graph([row]), Endpoint.internet(), Endpoint.node(SUBNET), "Tcp", port)
    assert v.access != "Unknown", v.reasons
    (step,) = v.steps
    return v.access, ", ".join([step.rule, *(n for n, _ in step.also)])


def open_of(row: dict[str, Any]) -> tuple[tuple[int, int], ...]:
    return open_ports(_graph([row]), Endpoint.internet(), SUBNET, "Tcp").intervals


def items(row: dict[str, Any], tmp_path: Path) -> dict[str, dict[str, Any]]:
    g = graph_of([row], tmp_path)
    got = RELATIONS["internet_admits"].fn(g, row["id"].lower())
    assert isinstance(got, list) and not any(i.unknown for i in got), got
    closed = {"access": "Deny", "rule": None}  # a port closed to the internet has no item
    found: dict[str, dict[str, Any]] = {
        k: dict(closed) for k in ("ssh/22", "rdp/3389", "winrm/5985", "winrm-https/5986")
    }
    found["tcp/all"] = dict(closed)
    found.update({i.key: i.extra for i in got})
    return found


def unknown(row: dict[str, Any], tmp_path: Path) -> tuple[str, ...]:
    g = graph_of([row], tmp_path)
    got = RELATIONS["internet_admits"].fn(g, row["id"].lower())
    assert isinstance(got, Unknown), got
    return got.reasons


# -- evaluation order ---------------------------------------------------------------------
def test_defaults_deny_the_internet() -> None:
    row = nsg()
    assert verdict(row, 22) == ("Deny", "DenyAllInBound")
    assert open_of(row) == ()


def test_first_match_by_priority_wins() -> None:
    row = nsg(rule("allow-all", 200, ports="*"), rule("deny-ssh", 100, "Deny", "22"))
    assert verdict(row, 22) == ("Deny", "deny-ssh")
    assert verdict(row, 3389) == ("Allow", "allow-all")
    assert open_of(row) == ((0, 21), (23, 65535))


def test_allow_shadowed_by_higher_priority_deny() -> None:
    row = nsg(rule("deny-all", 100, "Deny", "*"), rule("allow-ssh", 200))
    assert verdict(row, 22) == ("Deny", "deny-all")


@pytest.mark.parametrize(
    ("ports", "port"),
    [(["443", "22"], 22), ("3000-4000", 3389), ("*", 22), ("0-65535", 3389), (["20-23"], 22)],
)
def test_port_forms(ports: Any, port: int) -> None:
    assert verdict(nsg(rule("r", 100, ports=ports)), port) == ("Allow", "r")


@pytest.mark.parametrize("protocol", ["Udp", "Icmp", "Esp", "Ah"])
def test_non_tcp_rules_do_not_open_tcp_ports(protocol: str) -> None:
    assert verdict(nsg(rule("r", 100, protocol=protocol)), 22)[0] == "Deny"


def test_outbound_rules_are_ignored() -> None:
    assert verdict(nsg(rule("r", 100, direction="Outbound")), 22)[0] == "Deny"


def test_application_security_group_source_is_not_the_internet() -> None:
    r = rule("asg", 100, source="*")
    del r["properties"]["sourceAddressPrefix"]
    r["properties"]["sourceApplicationSecurityGroups"] = [{"id": "/x/asg"}]
    assert verdict(nsg(r), 22)[0] == "Deny"


@pytest.mark.parametrize(
    "narrow",
    [
        {"destinationAddressPrefix": "10.0.1.4"},
        {
            "destinationAddressPrefix": None,
            "destinationApplicationSecurityGroups": [{"id": "/x/a"}],
        },
        {"sourcePortRange": "1024-65535"},
    ],
    ids=["one-host", "destination-asg", "source-ports"],
)
def test_a_narrow_deny_does_not_shadow_a_broad_allow(narrow: dict[str, Any]) -> None:
    deny = rule("deny-narrow", 100, "Deny", "*")
    deny["properties"].update(narrow)
    row = nsg(deny, rule("allow-ssh", 200))
    assert verdict(row, 22) == ("Allow", "allow-ssh")


@pytest.mark.parametrize(
    "whole",
    [
        {
            "destinationAddressPrefixes": ["0.0.0.0/1", "128.0.0.0/1"],
            "destinationAddressPrefix": "",
        },
        {"destinationAddressPrefix": "VirtualNetwork"},
        {"sourcePortRanges": ["0-1023", "1024-65535"], "sourcePortRange": ""},
    ],
    ids=["halves", "vnet", "source-port-halves"],
)
def test_a_deny_that_covers_every_destination_however_spelled_decides(
    whole: dict[str, Any],
) -> None:
    deny = rule("deny-all", 100, "Deny", "*")
    deny["properties"].update(whole)
    assert verdict(nsg(deny, rule("allow-ssh", 200)), 22) == ("Deny", "deny-all")


def test_missing_default_rules_are_azures_defaults() -> None:
    row = nsg(rule("allow-ssh", 100))
    row["properties"].pop("defaultSecurityRules")
    assert verdict(row, 22) == ("Allow", "allow-ssh")
    assert verdict(row, 3389) == ("Deny", "DenyAllInBound")


# -- the internet, however spelled --------------------------------------------------------
NOT_PRIVATE = [  # every IPv4 address outside 10/8, 172.16/12 and 192.168/16
    "0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3",
    "64.0.0.0/2", "128.0.0.0/3", "160.0.0.0/5", "168.0.0.0/6", "172.0.0.0/12", "172.32.0.0/11",
    "172.64.0.0/10", "172.128.0.0/9", "173.0.0.0/8", "174.0.0.0/7", "176.0.0.0/4",
    "192.0.0.0/9", "192.128.0.0/11", "192.160.0.0/13", "192.169.0.0/16", "192.170.0.0/15",
    "192.172.0.0/14", "192.176.0.0/12", "192.192.0.0/10", "193.0.0.0/8", "194.0.0.0/7",
    "196.0.0.0/6", "200.0.0.0/5", "208.0.0.0/4", "224.0.0.0/3",
]  # fmt: skip


@pytest.mark.parametrize(
    "source",
    [
        "*",
        "Internet",
        "internet",
        "Any",
        "0.0.0.0/0",
        "::/0",
        "2000::/3",
        ["0.0.0.0/1", "128.0.0.0/1"],
        ["10.0.0.0/8", "Internet"],
        NOT_PRIVATE,
        [p for p in NOT_PRIVATE if p != "224.0.0.0/3"],  # multicast/reserved need no cover
    ],
    ids=repr,
)
def test_internet_sources(source: Any) -> None:
    assert verdict(nsg(rule("r", 100, source=source)), 22) == ("Allow", "r")


@pytest.mark.parametrize(
    "source",
    [
        "10.0.0.0/8",
        "VirtualNetwork",
        "AzureLoadBalancer",
        "AzureCloud",
        "203.0.113.7/32",
        ["10.1.0.0/16", "10.2.0.0/16"],
        "0.0.0.0/1",
        "2000::/4",
        [p for p in NOT_PRIVATE if p != "193.0.0.0/8"],  # one public /8 missing
    ],
    ids=repr,
)
def test_sources_that_are_not_the_internet(source: Any) -> None:
    assert verdict(nsg(rule("r", 100, source=source)), 22) == ("Deny", "DenyAllInBound")


def test_private_ranges_need_not_be_covered() -> None:
    """Azure's Internet tag is the public address space: a list that leaves out RFC 1918,
    loopback and the like still names the whole internet."""
    assert is_internet(NOT_PRIVATE)
    assert is_internet(["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "224.0.0.0/3"])
    assert not is_internet(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])


def test_rules_that_cover_the_internet_between_them_open_the_port() -> None:
    row = nsg(rule("a", 100, source="0.0.0.0/1"), rule("b", 110, source="128.0.0.0/1"))
    assert verdict(row, 22) == ("Allow", "a, b")


def test_denies_that_cover_the_internet_between_them_close_the_port() -> None:
    row = nsg(
        rule("deny-a", 100, "Deny", "*", source="0.0.0.0/1"),
        rule("deny-b", 110, "Deny", "*", source="128.0.0.0/1"),
        rule("deny-v6", 120, "Deny", "*", source="2000::/3"),
        rule("allow-all", 200, ports="*"),
    )
    assert verdict(row, 22) == ("Deny", "deny-v6")


def test_a_deny_of_part_of_the_internet_leaves_a_later_allow_open() -> None:
    row = nsg(rule("deny-half", 100, "Deny", "*", source="0.0.0.0/1"), rule("allow", 200))
    assert verdict(row, 22) == ("Allow", "allow")


def test_an_allow_shadowed_for_every_address_opens_nothing() -> None:
    row = nsg(
        rule("deny-internet", 100, "Deny", "*", source="Internet"),
        rule("allow-a", 110, source="0.0.0.0/1"),
        rule("allow-b", 120, source="128.0.0.0/1"),
    )
    assert verdict(row, 22) == ("Deny", "deny-internet")


# -- the relation and the rules --------------------------------------------------------------
def test_all_ports_opened_by_several_rules_names_them_all(tmp_path: Path) -> None:
    row = nsg(
        rule("low", 100, ports="0-32767", source="Internet"),
        rule("high", 110, ports="32768-65535", source="0.0.0.0/0"),
    )
    result = scan_rows([row], tmp_path, select=["MLA-NSG-003"])
    (finding,) = result.findings
    assert "rule low, high" in finding.message and "priority 100, 110" in finding.message
    assert "every TCP port from the internet" in finding.message


def test_a_deny_of_ssh_and_rdp_before_an_allow_of_everything_leaves_the_rest_open(
    tmp_path: Path,
) -> None:
    row = nsg(
        rule("deny-mgmt", 100, "Deny", ["22", "3389"]),
        rule("allow-all", 200, ports="*"),
    )
    result = scan_rows([row], tmp_path, select=["MLA-NSG-002", "MLA-NSG-003"])
    assert sorted((f.rule_id, f.related_id) for f in result.findings) == [
        ("MLA-NSG-002", "winrm-https/5986"),  # WinRM is a management port too
        ("MLA-NSG-002", "winrm/5985"),
        ("MLA-NSG-003", "tcp/all"),
    ]
    finding = next(f for f in result.findings if f.rule_id == "MLA-NSG-003")
    assert (
        "admits TCP ports 0-21, 23-3388, 3390-65535 (every port but 22, 3389) from the internet"
        in finding.message
    )


@pytest.mark.parametrize(
    ("ports", "access"),
    [
        (["0-21", "23-65535"], "Allow"),
        ("1025-65535", "Allow"),  # 1-1024 closed: 1,024 ports, "a few"
        ("1026-65535", "Deny"),
        ("1-65535", "Allow"),
        (["80", "443"], "Deny"),
    ],
)
def test_all_but_a_few_ports_is_all_ports(ports: Any, access: str, tmp_path: Path) -> None:
    assert items(nsg(rule("r", 100, ports=ports)), tmp_path)["tcp/all"]["access"] == access


def test_the_all_ports_item_says_which_ports_are_open(tmp_path: Path) -> None:
    got = items(nsg(rule("r", 100, ports=["80", "443"])), tmp_path)["tcp/all"]
    assert got["access"] == "Deny" and got["rule"] is None
    got = items(nsg(rule("r", 100, ports="1-65535")), tmp_path)["tcp/all"]
    assert got["open_ports"] == "every TCP port" and got["rule"] == "r"


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
        ("MLA-NSG-002", "nsg-open", "ssh/22"),
        ("MLA-NSG-002", "nsg-wide", "rdp/3389"),
        ("MLA-NSG-002", "nsg-wide", "ssh/22"),
        ("MLA-NSG-002", "nsg-wide", "winrm-https/5986"),
        ("MLA-NSG-002", "nsg-wide", "winrm/5985"),
        ("MLA-NSG-003", "nsg-wide", "tcp/all"),
        ("MLA-NSG-006", "nsg-shadowed", "allow-ssh"),  # the Allow behind the Deny is dead
    ]
    open_msg = next(f.message for f in result.findings if f.resource_name == "nsg-open")
    assert "allow-ssh-any" in open_msg and "priority 100" in open_msg


def test_nsg_without_its_rules_is_not_evaluated(tmp_path: Path) -> None:
    row = nsg()
    row["properties"] = {"subnets": [{"id": SUBNET}]}
    result = scan_rows([row], tmp_path, select=["MLA-NSG-002", "MLA-NSG-003"])
    assert result.findings == []
    assert {o.rule_id: o.status for o in result.outcomes} == {
        "MLA-NSG-002": "incomplete",
        "MLA-NSG-003": "incomplete",
    }


def test_rules_sharing_a_priority_are_unknown(tmp_path: Path) -> None:
    row = nsg(rule("deny-ssh", 100, "Deny"), rule("allow-ssh", 100))
    (reason,) = unknown(row, tmp_path)
    assert "deny-ssh and allow-ssh share priority 100" in reason


# -- rules that cannot be read ---------------------------------------------------------------
def broken(change: dict[str, Any] | None = None, entry: Any = None) -> dict[str, Any]:
    """An NSG whose only custom rule would open SSH, but for ``change`` (or is ``entry``)."""
    r = rule("allow-ssh", 100)
    r["properties"].update(change or {})
    return nsg(r if entry is None else entry)


@pytest.mark.parametrize(
    ("row", "why"),
    [
        (broken(entry={"name": "allow-ssh"}), "it has no properties"),
        (broken(entry={"name": "allow-ssh", "properties": None}), "properties are null"),
        (broken(entry="allow ssh from anywhere"), "it is a string, not an object"),
        (broken(entry=7), "it is a number, not an object"),
        (broken({"destinationPortRange": 22}), "destinationPortRange is a number"),
        (broken({"destinationPortRange": "22-21"}), "'22-21' is not a port or a range"),
        (broken({"destinationPortRange": "²"}), "'²' is not a port"),
        (broken({"destinationPortRange": "70000"}), "'70000' is not a port"),
        (broken({"destinationPortRange": None}), "names no destination port range"),
        (broken({"destinationPortRanges": ["22", 3389]}), "holds a number where a string"),
        (broken({"direction": None}), "it has no direction"),
        (broken({"direction": "Sideways"}), "direction 'Sideways' is not one of"),
        (broken({"protocol": "Any"}), "protocol 'Any' is not one of *, Tcp, Udp"),
        (broken({"access": 5}), "access 5 is not one of Allow, Deny"),
        (broken({"priority": "high"}), "priority 'high' is not an integer"),
        (broken({"priority": 100.5}), "priority 100.5 is not an integer"),
        (broken({"priority": True}), "priority True is not an integer"),
        (broken({"sourceAddressPrefix": None}), "names no source address prefix"),
        (broken({"sourceAddressPrefixes": 7}), "sourceAddressPrefixes is a number"),
        (broken({"sourceAddressPrefix": "1.2.3.4-1.2.3.9"}), "'1.2.3.4-1.2.3.9' is no CIDR"),
        (broken({"sourceAddressPrefix": "10.0.0.0/33"}), "'10.0.0.0/33' is no CIDR"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_rule_that_cannot_be_read_makes_the_answer_unknown(
    row: dict[str, Any], why: str, tmp_path: Path
) -> None:
    """Each of these used to be dropped (or guessed at): SSH then read as closed."""
    (reason,) = unknown(row, tmp_path)
    assert reason.startswith("nsg-test: securityRules[0]") and why in reason, reason
    result = scan_rows([row], tmp_path, select=["MLA-NSG-002"])
    assert result.findings == [] and [o.status for o in result.outcomes] == ["incomplete"]
    (record,) = result.not_evaluated
    assert "securityRules[0]" in record.reasons[0]


def test_a_default_rule_that_cannot_be_read_makes_the_answer_unknown(tmp_path: Path) -> None:
    row = nsg()
    row["properties"]["defaultSecurityRules"] = [*DEFAULTS[:2], {"name": "DenyAllInBound"}]
    (reason,) = unknown(row, tmp_path)
    assert reason.startswith("nsg-test: defaultSecurityRules[2] (DenyAllInBound) cannot be read")


@pytest.mark.parametrize("value", ["*", 7, {"a": 1}])
def test_a_rules_list_that_is_no_list_is_unknown(value: Any, tmp_path: Path) -> None:
    row = nsg()
    row["properties"]["securityRules"] = value
    (reason,) = unknown(row, tmp_path)
    assert reason.startswith("nsg-test: securityRules cannot be read: it is")


def test_the_flattened_az_cli_shape_is_read_like_the_nested_one(tmp_path: Path) -> None:
    """``az network nsg rule list`` prints each rule's properties at its top."""
    nested = rule("allow-ssh", 100)
    flat = {"name": "allow-ssh", "id": "/x/securityRules/allow-ssh", **nested["properties"]}
    flat["etag"], flat["provisioningState"] = 'W/"1"', "Succeeded"
    got = items(nsg(flat), tmp_path)
    assert got["ssh/22"]["access"] == "Allow" and got["ssh/22"]["rule"] == "allow-ssh"
    assert got == items(nsg(nested), tmp_path)
