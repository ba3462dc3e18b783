"""Writes bench/equivalence_rules/: custom rules that press on the engine's sharing (a
``where`` spelt like a built-in rule's or another's, ``each`` over a relation another rule
asks, negative operators over lists, unknowns, several types). Run once; the files are kept."""

from __future__ import annotations

import json
import sys
from pathlib import Path

NSG = "microsoft.network/networksecuritygroups"
SUBNET = "microsoft.network/virtualnetworks/subnets"
VNET = "microsoft.network/virtualnetworks"
NIC = "microsoft.network/networkinterfaces"
PE = "microsoft.network/privateendpoints"
ZONE = "microsoft.network/privatednszones"
COMPUTE = "microsoft.machinelearningservices/workspaces/computes"
WS = "microsoft.machinelearningservices/workspaces"
SA = "microsoft.storage/storageaccounts"
PIP = "microsoft.network/publicipaddresses"

PROTECTED = {"relation": "protected", "exists": True}
RULES: list[dict] = [
    # NSG-002's where spelt alike, shared with the built-in rules
    {
        "types": [NSG],
        "where": PROTECTED,
        "assert": {"relation": "shadowed_rules", "count": {"lte": 0}},
    },
    # the same where spelt with its keys the other way and on: subject
    {
        "types": [NSG],
        "where": {"exists": True, "relation": "protected", "on": "subject"},
        "each": {"relation": "shadowed_rules", "as": "s"},
        "assert": {"path": "s.access", "not_equals": "allow"},
    },
    # asks internet_admits, which NSG-002/003 iterate with each
    {
        "types": [NSG],
        "assert": {
            "relation": "internet_admits",
            "where": {"path": "it.access", "equals": "Allow"},
            "exists": False,
        },
    },
    {
        "types": [NSG],
        "each": {"relation": "internet_admits", "as": "p"},
        "assert": {"path": "p.open_ports", "exists": True, "absent": "unknown"},
    },
    {
        "types": [NSG],
        "each": {"relation": "unattached_internet", "as": "u"},
        "assert": {"path": "u.open_ports", "not_in": [[], None, "x"]},
    },
    {
        "types": [NSG],
        "where": {"not": PROTECTED},
        "assert": {
            "path": "subject.properties.securityRules[*].properties.access",
            "not_equals": "Allow",
        },
    },
    {
        "types": [NSG],
        "assert": {
            "path": "subject.properties.securityRules[*].properties.priority",
            "not_in": [100, "200", 300.0, True],
        },
    },
    {
        "types": [NSG],
        "assert": {
            "path": "subject.properties.securityRules[*].properties.destinationPortRanges",
            "not_equals": [],
        },
    },
    # several types, one where, spelt alike and not
    {
        "types": [NSG, SUBNET, VNET, NIC],
        "where": {"path": "subject.location", "exists": True},
        "assert": {"path": "subject.tags.env", "not_equals": "prod"},
    },
    {
        "types": [VNET, NSG],
        "where": {"path": "subject.location", "exists": True},
        "assert": {"path": "subject.tags", "exists": True, "absent": "unknown"},
    },
    {
        "types": [SUBNET, NIC],
        "where": {"relation": "nsgs", "exists": True},
        "each": {"relation": "nsgs", "as": "n"},
        "assert": {"relation": "protected", "on": "n", "exists": True},
    },
    {
        "types": [SUBNET, NIC],
        "where": {"relation": "nsgs", "count": {"gte": 1}},
        "assert": {
            "relation": "nsgs",
            "where": {"relation": "shadowed_rules", "on": "it", "exists": True},
            "exists": False,
        },
    },
    {
        "types": [SUBNET],
        "each": {"relation": "bastion_flows", "as": "f"},
        "assert": {"path": "f.access", "in": ["Allow"]},
    },
    {
        "types": [SUBNET],
        "where": {"relation": "nsgs", "exists": True},
        "assert": {"relation": "bastion_flows", "count": {"equals": 0}},
    },
    # booleans against 0, missing values, defaults
    {"types": [NIC], "assert": {"path": "subject.properties.enableIPForwarding", "not_equals": 0}},
    {
        "types": [NIC],
        "assert": {
            "path": "subject.properties.enableIPForwarding",
            "equals": False,
            "default": False,
        },
    },
    {
        "types": [NIC],
        "assert": {
            "path": "subject.properties.enableAcceleratedNetworking",
            "not_in": [False, 0, "0"],
            "default": 0,
        },
    },
    {
        "types": [VNET],
        "assert": {
            "path": "subject.properties.addressSpace.addressPrefixes[*]",
            "not_in": ["10.0.0.0/16", "10.1.0.0/16"],
        },
    },
    {
        "types": [VNET],
        "assert": {
            "path": "subject.properties.addressSpace.addressPrefixes[*]",
            "not_equals": "10.0.0.0/16",
            "match": "all",
        },
    },
    {
        "types": [VNET],
        "assert": {
            "path": "subject.properties.subnets[*].name",
            "matches": "^(default|snet-.*)$",
            "match": "all",
        },
    },
    # peerings: counts over items that may be unknown
    {
        "types": [VNET],
        "assert": {
            "relation": "peerings",
            "where": {"path": "it.edge.state", "equals": "Connected"},
            "count": {"gte": 1},
        },
    },
    {
        "types": [VNET],
        "assert": {
            "relation": "peerings",
            "where": {"path": "it.effect", "not_equals": "none"},
            "exists": True,
        },
    },
    {
        "types": [VNET],
        "each": {"relation": "peerings", "as": "p"},
        "assert": {"path": "p.remote_seen", "equals": True},
    },
    {
        "types": [VNET],
        "each": {"relation": "vnet_access", "as": "a"},
        "assert": {"path": "a.reaches", "exists": True},
    },
    {
        "types": [VNET],
        "each": {"relation": "peered_overlaps", "as": "o"},
        "assert": {"path": "o.overlaps", "exists": False},
    },
    {
        "types": [VNET],
        "each": {"relation": "gateway_transit", "as": "t"},
        "assert": {"path": "t.fault", "not_in": ["x"]},
    },
    {
        "types": [VNET],
        "each": {"relation": "subnet_peering_gaps", "as": "t"},
        "assert": {"path": "t.peered", "equals": True},
    },
    # DNS: a zone's relations, an endpoint's
    {
        "types": [ZONE],
        "each": {"relation": "required_links", "as": "l"},
        "assert": {"path": "l.linked", "equals": True},
    },
    {
        "types": [ZONE],
        "where": {"relation": "required_links", "exists": True},
        "assert": {"relation": "wrong_answers", "count": {"equals": 0}},
    },
    {
        "types": [ZONE],
        "each": {"relation": "wrong_answers", "as": "w"},
        "where": None,
        "assert": {"path": "w.problem", "not_in": ["stale", "nxdomain"]},
    },
    {
        "types": [PE],
        "each": {"relation": "dns_zones", "as": "z"},
        "assert": {"path": "z.evidence", "exists": True, "absent": "unknown"},
    },
    {
        "types": [PE],
        "where": {"relation": "connections", "exists": True},
        "assert": {
            "relation": "expected_zones",
            "where": {"path": "it.ok", "equals": True},
            "count": {"gte": 1},
        },
    },
    {
        "types": [PE],
        "each": {"relation": "expected_zones", "as": "e"},
        "assert": {"path": "e.ok", "not_equals": False},
    },
    # AML
    {
        "types": [COMPUTE],
        "each": {"relation": "aml_outbound", "as": "n"},
        "assert": {"path": "n.access", "equals": "Allow"},
    },
    {
        "types": [COMPUTE],
        "where": {"relation": "workspace", "exists": True},
        "assert": {
            "relation": "aml_outbound",
            "where": {"path": "it.access", "not_equals": "Allow"},
            "exists": False,
        },
    },
    {"types": [COMPUTE], "each": {"relation": "aml_inbound", "as": "n"}, "assert": False},
    {
        "types": [COMPUTE],
        "each": {"relation": "aml_internet_outbound", "as": "n"},
        "assert": {"path": "n.protocols", "not_equals": "x"},
    },
    {
        "types": [WS, SA],
        "where": {"path": "subject.properties.publicNetworkAccess", "not_equals": "Disabled"},
        "assert": {"path": "subject.properties.publicNetworkAccess", "equals": "Enabled"},
    },
    {
        "types": [WS],
        "each": {"relation": "outbound_rules", "as": "o"},
        "assert": {"path": "o.broad", "equals": False},
    },
    {
        "types": [SA],
        "each": {"relation": "private_endpoints", "as": "p"},
        "assert": {"path": "p.edge.status", "in": ["Approved"]},
    },
    {
        "types": [SA],
        "assert": {
            "relation": "firewall",
            "where": {"path": "it.admits", "exists": True},
            "exists": False,
        },
    },
    # exposure
    {
        "types": [NIC, PIP],
        "each": {"relation": "internet_paths", "as": "x"},
        "assert": {"path": "x.open", "exists": False},
    },
    {
        "types": [NIC, PIP],
        "each": {"relation": "public_ip_admits", "as": "x"},
        "assert": {"path": "x.admits", "not_equals": True},
    },
    {
        "types": [NIC],
        "where": {"relation": "nsgs", "exists": True},
        "assert": {"relation": "internet_paths", "exists": False},
    },
    # a relation test with its own alias, in a where two rules of two types spell alike
    {
        "types": [SUBNET],
        "where": {
            "relation": "nsgs",
            "as": "x",
            "where": {"path": "x.name", "matches": "nsg"},
            "exists": True,
        },
        "assert": {"path": "subject.properties.addressPrefix", "exists": True},
    },
    {
        "types": [SUBNET, NIC],
        "where": {
            "relation": "nsgs",
            "as": "x",
            "where": {"path": "x.name", "matches": "nsg"},
            "exists": True,
        },
        "each": {
            "relation": "nsgs",
            "as": "n",
            "where": {"relation": "internet_admits", "on": "n", "exists": True},
        },
        "assert": {
            "relation": "internet_admits",
            "on": "n",
            "where": {"path": "it.access", "not_equals": "Allow"},
            "count": {"gte": 1},
        },
    },
    # one where over several types, spelt as another rule's over other types
    {
        "types": [PE, ZONE, VNET],
        "where": {"path": "subject.name", "exists": True},
        "assert": {"path": "subject.properties.provisioningState", "in": ["Succeeded"]},
    },
    {
        "types": [ZONE, NSG],
        "where": {"path": "subject.name", "exists": True},
        "assert": {
            "path": "subject.properties.provisioningState",
            "not_in": ["Failed"],
            "absent": "unknown",
        },
    },
    # counts whose where is unknown for some items
    {
        "types": [VNET],
        "assert": {
            "relation": "peerings",
            "where": {"path": "it.remote_seen", "equals": True, "absent": "unknown"},
            "count": {"lt": 2},
        },
    },
    {
        "types": [VNET],
        "assert": {
            "relation": "peerings",
            "where": {"path": "it.reverse", "exists": True, "absent": "unknown"},
            "exists": True,
        },
    },
    # a zone judged after endpoints: the endpoints' per-node answers were dropped
    {
        "types": [ZONE],
        "each": {
            "relation": "required_links",
            "as": "l",
            "where": {"path": "l.linked", "not_equals": True},
        },
        "assert": {"path": "l.answered_by", "exists": True},
    },
    {
        "types": [ZONE],
        "where": {"relation": "wrong_answers", "exists": False},
        "assert": {
            "relation": "required_links",
            "where": {"path": "it.linked", "equals": False},
            "exists": False,
        },
    },
    # one relation asked of the subject and of its items' nodes (the remote VNets)
    {
        "types": [VNET],
        "each": {"relation": "peerings", "as": "p"},
        "assert": {
            "relation": "peerings",
            "on": "p",
            "where": {"path": "it.remote_seen", "equals": True},
            "exists": True,
        },
    },
    # explicit match: all on negative and positive operators
    {
        "types": [NSG],
        "assert": {
            "path": "subject.properties.securityRules[*].properties.protocol",
            "not_in": ["*"],
            "match": "all",
        },
    },
    {
        "types": [NSG],
        "assert": {
            "path": "subject.properties.securityRules[*].name",
            "in": ["allow-ssh", "deny-all"],
            "match": "all",
        },
    },
]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("ORG-*.yaml"):
        old.unlink()
    for i, r in enumerate(RULES, 1):
        rid = f"ORG-XQ-{i:03d}"
        doc = {
            "id": rid,
            "title": f"equivalence rule {i}",
            "severity": "low",
            "category": "nsg",
            "resource_types": r["types"],
        }
        if r.get("where") is not None:
            doc["where"] = r["where"]
        if "each" in r:
            doc["each"] = r["each"]
        doc["assert"] = r["assert"]
        doc["message"] = f"{rid} {{subject.name}}"
        doc["rationale"] = "equivalence"
        doc["remediation"] = {"summary": "none", "terraform": "none", "cli": "none"}
        doc["references"] = [{"title": "none", "url": "https://learn.microsoft.com/azure"}]
        # JSON is YAML: the rule loader reads it as it reads any rule file
        (out / f"{rid}.yaml").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "equivalence_rules")
