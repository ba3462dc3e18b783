"""Stress shapes for tenant scale: ``nsg-rules`` — NSGs with up to 1,000 rules on many subnets.

Azure allows 1,000 rules per NSG. An NSG's allowed-port arithmetic that re-sorts or
re-walks every rule per rule is quadratic in rules, and one shared NSG is evaluated once
per subnet/NIC it protects. This script builds, in memory, ``--nsgs`` NSGs of ``--rules``
rules each (mixed Allow/Deny, Tcp/Udp/*, single ports, port ranges and lists, CIDR and
tag sources, both directions) attached round-robin to N subnets with one NIC each; then
times the graph build, one NSG's internet-open ports (``nsg_open_ports``) and a scan of the
MLA-NSG rules (``auditor.audit``) at growing sizes, and prints the growth exponent
log(t2/t1)/log(n2/n1) between sizes (1 is linear, 2 quadratic). A script, never a timed test:

    python bench/shapes.py nsg-rules [--rules 250,500,1000] [--subnets 500,1000,2000]

``a-records``: one private DNS zone with up to 100,000 A records (``a_records_estate``): half
of them name a private endpoint's IP in a VNet linked to the zone (matched by IP: the estate
holds no zone groups), half an IP no endpoint holds. Times the graph build, the A-record
matching, the zone's required links (every endpoint's DNS answer) and a scan of the MLA-DNS
rules, with the same exponents:

    python bench/shapes.py a-records [--records 25000,50000,100000]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from auditor import audit  # noqa: E402
from auditor.relations.dns import record_matches, required_links  # noqa: E402
from auditor.relations.nsg_eval import Endpoint, nsg_open_ports  # noqa: E402

SUB = "00000000-0000-0000-0000-0000000000bb"


def rid(rg: str, path: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/{path}"


def _ports(rnd: random.Random) -> dict[str, Any]:
    kind = rnd.random()
    if kind < 0.05:
        return {"destinationPortRange": "*"}
    if kind < 0.45:
        return {"destinationPortRange": str(rnd.randint(1, 65535))}
    if kind < 0.8:
        lo = rnd.randint(1, 65000)
        return {"destinationPortRange": f"{lo}-{lo + rnd.randint(1, 500)}"}
    picks = sorted(rnd.sample(range(1, 65536), rnd.randint(2, 6)))
    return {"destinationPortRanges": [str(p) for p in picks]}


def _source(rnd: random.Random) -> dict[str, Any]:
    kind = rnd.random()
    if kind < 0.15:
        return {"sourceAddressPrefix": rnd.choice(["*", "Internet", "VirtualNetwork"])}
    if kind < 0.7:
        a, b = rnd.randint(1, 223), rnd.randint(0, 255)
        return {
            "sourceAddressPrefix": f"{a}.{b}.{rnd.randint(0, 255)}.0/{rnd.choice([16, 24, 28])}"
        }
    return {
        "sourceAddressPrefixes": [
            f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.0.0/16" for _ in range(rnd.randint(2, 5))
        ]
    }


def nsg(name: str, rules: int, seed: int) -> dict[str, Any]:
    """An NSG of ``rules`` rules, seeded so every run builds the same estate."""
    rnd = random.Random(seed)
    out = []
    for i in range(rules):
        props: dict[str, Any] = {
            "direction": "Inbound" if i % 4 else "Outbound",
            "access": "Allow" if rnd.random() < 0.6 else "Deny",
            "priority": 100 + i * 3,
            "protocol": rnd.choice(["Tcp", "Tcp", "Udp", "*"]),
            "sourcePortRange": "*",
            "destinationAddressPrefix": "*",
            **_ports(rnd),
            **_source(rnd),
        }
        out.append({"name": f"r{i:04d}", "properties": props})
    return {
        "id": rid("rg-net", f"Microsoft.Network/networkSecurityGroups/{name}"),
        "name": name,
        "type": "microsoft.network/networksecuritygroups",
        "location": "westeurope",
        "resourceGroup": "rg-net",
        "subscriptionId": SUB,
        "properties": {"securityRules": out},
    }


def estate(rules: int, subnets: int, nsgs: int) -> list[dict[str, Any]]:
    groups = [nsg(f"nsg-{k:02d}", rules, k) for k in range(nsgs)]
    vid = rid("rg-net", "Microsoft.Network/virtualNetworks/vnet-big")
    snets = []
    rows: list[dict[str, Any]] = [*groups]
    for i in range(subnets):
        sid = f"{vid}/subnets/snet-{i:05d}"
        a, b = 16 + i // 256, i % 256
        snets.append(
            {
                "id": sid,
                "name": f"snet-{i:05d}",
                "properties": {
                    "addressPrefix": f"10.{a}.{b}.0/24",
                    "networkSecurityGroup": {"id": groups[i % nsgs]["id"]},
                },
            }
        )
        rows.append(
            {
                "id": rid("rg-net", f"Microsoft.Network/networkInterfaces/nic-{i:05d}"),
                "name": f"nic-{i:05d}",
                "type": "microsoft.network/networkinterfaces",
                "location": "westeurope",
                "resourceGroup": "rg-net",
                "subscriptionId": SUB,
                "properties": {
                    "ipConfigurations": [
                        {
                            "name": "ipconfig1",
                            "properties": {
                                "subnet": {"id": sid},
                                "privateIPAddress": f"10.{a}.{b}.4",
                            },
                        }
                    ]
                },
            }
        )
    rows.append(
        {
            "id": vid,
            "name": "vnet-big",
            "type": "microsoft.network/virtualnetworks",
            "location": "westeurope",
            "resourceGroup": "rg-net",
            "subscriptionId": SUB,
            "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/8"]}, "subnets": snets},
        }
    )
    return rows


def run(rules: int, subnets: int, nsgs: int) -> dict[str, float]:
    gc.collect()
    gc.disable()  # as the CLI does for a scan: GC passes would blur the scaling
    path = Path(tempfile.mkdtemp(prefix="nsg-rules-")) / "estate.json"
    path.write_text(json.dumps(estate(rules, subnets, nsgs)), encoding="utf-8")
    timings: dict[str, float] = {}
    t = time.perf_counter()
    g = audit([path], rules=[]).graph
    timings["graph"] = time.perf_counter() - t
    t = time.perf_counter()
    for n in g.nodes_of_kind("nsg"):
        nsg_open_ports(g, n, Endpoint.internet(), "Tcp")
    timings["nsg_open_ports"] = time.perf_counter() - t
    t = time.perf_counter()
    audit([path], select=["MLA-NSG"])
    timings["scan MLA-NSG"] = time.perf_counter() - t
    gc.enable()
    return timings


def table(label: str, sizes: list[int], results: list[dict[str, float]]) -> None:
    print(f"{'stage':<16}" + "".join(f"{n:>10} {label}" for n in sizes) + "   exponents")
    for stage in results[0]:
        secs = [r[stage] for r in results]
        exps = [
            math.log(t2 / t1) / math.log(n2 / n1) if t1 > 0 and t2 > 0 else float("nan")
            for t1, t2, n1, n2 in zip(secs, secs[1:], sizes, sizes[1:], strict=False)
        ]
        print(
            f"{stage:<16}"
            + "".join(f"{s:>{10 + len(label)}.3f}s" for s in secs)
            + "   "
            + " ".join(f"{e:.2f}" for e in exps)
        )


# -- a-records: one private DNS zone with many A records ---------------------------------------
ZONE = "privatelink.blob.core.windows.net"


def a_records_estate(records: int) -> list[dict[str, Any]]:
    """One VNet (10.0.0.0/8) linked to one ``privatelink.blob`` zone of ``records`` A records:
    records // 2 private endpoints (a NIC each, its FQDN on the NIC) to one storage account,
    each named by record ``sa<i>`` — every tenth record stale (another IP) — and the other
    records (``orphan<j>``) name IPs no endpoint holds. A list of rows, for a snapshot
    without zone groups (``a_records_snapshot``)."""
    endpoints = records // 2
    vid = rid("rg-net", "Microsoft.Network/virtualNetworks/vnet-records")
    sid = f"{vid}/subnets/snet-pe"
    zid = rid("rg-dns", f"Microsoft.Network/privateDnsZones/{ZONE}")
    account = rid("rg-data", "Microsoft.Storage/storageAccounts/sarecords")

    def res(rid_: str, rtype: str, props: dict[str, Any], location: str = "westeurope") -> Any:
        rg = rid_.split("/")[4]
        return {
            "id": rid_,
            "name": rid_.rsplit("/", 1)[-1],
            "type": rtype,
            "location": location,
            "resourceGroup": rg,
            "subscriptionId": SUB,
            "properties": props,
        }

    def ip(i: int, base: int) -> str:
        return f"10.{base + (i >> 16)}.{(i >> 8) & 255}.{i & 255}"

    rows: list[dict[str, Any]] = [
        res(
            vid,
            "microsoft.network/virtualnetworks",
            {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/8"]},
                "subnets": [
                    {"id": sid, "name": "snet-pe", "properties": {"addressPrefix": "10.0.0.0/9"}}
                ],
            },
        ),
        res(account, "microsoft.storage/storageaccounts", {"publicNetworkAccess": "Disabled"}),
        res(zid, "microsoft.network/privatednszones", {}, "global"),
        res(
            f"{zid}/virtualNetworkLinks/link-records",
            "microsoft.network/privatednszones/virtualnetworklinks",
            {
                "virtualNetwork": {"id": vid},
                "registrationEnabled": False,
                "virtualNetworkLinkState": "Completed",
            },
            "global",
        ),
    ]
    for i in range(endpoints):
        pe = rid("rg-pe", f"Microsoft.Network/privateEndpoints/pe-sa{i}")
        nic = rid("rg-pe", f"Microsoft.Network/networkInterfaces/pe-sa{i}.nic")
        connection = {
            "name": f"pe-sa{i}",
            "properties": {
                "privateLinkServiceId": account,
                "groupIds": ["blob"],
                "privateLinkServiceConnectionState": {"status": "Approved"},
            },
        }
        config = {
            "name": "privateEndpointIpConfig",
            "properties": {
                "subnet": {"id": sid},
                "privateIPAddress": ip(i, 0),
                "privateLinkConnectionProperties": {
                    "groupId": "blob",
                    "fqdns": [f"sa{i}.blob.core.windows.net"],
                },
            },
        }
        rows.append(
            res(
                pe,
                "microsoft.network/privateendpoints",
                {
                    "subnet": {"id": sid},
                    "privateLinkServiceConnections": [connection],
                    "networkInterfaces": [{"id": nic}],
                },
            )
        )
        rows.append(
            res(
                nic,
                "microsoft.network/networkinterfaces",
                {"ipConfigurations": [config], "privateEndpoint": {"id": pe}},
            )
        )
    for i in range(records):
        if i >= endpoints:
            name, address = f"orphan{i}", ip(i, 128)
        else:  # every tenth stale: the address of no endpoint
            name, address = f"sa{i}", ip(i, 64 if i % 10 == 9 else 0)
        props = {"fqdn": f"{name}.{ZONE}.", "ttl": 10, "aRecords": [{"ipv4Address": address}]}
        rows.append(res(f"{zid}/A/{name}", "microsoft.network/privatednszones/a", props, "global"))
    return rows


def a_records_snapshot(rows: list[dict[str, Any]]) -> str:
    """The rows as a snapshot holding A records (dnsresources) and no zone groups."""
    return json.dumps(
        {
            "format": "mlops-audit-snapshot",
            "version": 1,
            "tool_version": "shapes",
            "collected_at": "2026-01-01T00:00:00Z",
            "scopes": [{"subscription": SUB}],
            "collections": ["resources", "dnsresources"],
            "failures": [],
            "rows": rows,
        },
        separators=(",", ":"),
    )


def build_a_records(records: int) -> tuple[int, str]:
    rows = a_records_estate(records)
    return len(rows), a_records_snapshot(rows)


def run_a_records(records: int) -> dict[str, float]:
    gc.collect()
    gc.disable()  # as the CLI does for a scan
    path = Path(tempfile.mkdtemp(prefix="a-records-")) / "estate.json"
    path.write_text(build_a_records(records)[1], encoding="utf-8")
    timings: dict[str, float] = {}
    t = time.process_time()
    g = audit([path], rules=[]).graph
    timings["graph"] = time.process_time() - t
    t = time.process_time()
    matched = record_matches(g)
    timings["record_matches"] = time.process_time() - t
    t = time.process_time()
    (zone,) = g.nodes_of_kind("private_dns_zone")
    links = required_links(g, zone)
    timings["required_links"] = time.process_time() - t
    t = time.process_time()
    scan = audit([path], select=["MLA-DNS"])
    timings["scan MLA-DNS"] = time.process_time() - t
    print(
        f"{records} records: {len(matched.endpoints_of)} matched, "
        f"{len(links) if isinstance(links, list) else links} links needed, "
        f"{len(scan.result.findings)} MLA-DNS findings",
        file=sys.stderr,
    )
    path.unlink()
    path.parent.rmdir()
    del g, scan, matched, links
    gc.enable()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shape", choices=["nsg-rules", "a-records"])
    parser.add_argument("--rules", default="250,500,1000", help="rules per NSG")
    parser.add_argument("--subnets", default="500,1000,2000", help="subnets, at the most rules")
    parser.add_argument("--nsgs", type=int, default=4)
    parser.add_argument("--at-subnets", type=int, default=20, help="subnets while rules grow")
    parser.add_argument("--records", default="25000,50000,100000", help="A records (a-records)")
    args = parser.parse_args()
    if args.shape == "a-records":
        sizes = [int(s) for s in args.records.split(",")]
        print("one private DNS zone, growing A records (CPU seconds):")
        table("records", sizes, [run_a_records(n) for n in sizes])
        return 0
    rule_sizes = [int(s) for s in args.rules.split(",")]
    subnet_sizes = [int(s) for s in args.subnets.split(",")]
    print(f"growing rules per NSG ({args.nsgs} NSGs, {args.at_subnets} subnets):")
    table("rules", rule_sizes, [run(r, args.at_subnets, args.nsgs) for r in rule_sizes])
    print(f"growing subnets ({args.nsgs} NSGs of {rule_sizes[-1]} rules):")
    table("subnets", subnet_sizes, [run(rule_sizes[-1], n, args.nsgs) for n in subnet_sizes])
    return 0


if __name__ == "__main__":
    sys.exit(main())
