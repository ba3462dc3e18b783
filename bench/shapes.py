"""Stress shapes for tenant scale, each with a growth-exponent check.

Every shape builds an estate in memory at growing sizes, writes it to a temporary file and
measures, per size, in a fresh child each (``bench/benchmark.py``'s ``run``: peak RSS from
``os.wait4``): the rows, a scan's CPU time (``auditor.audit``, every rule, gc off as the CLI
scans), the scan's peak memory, its ratio to ``json.load`` of the same file (CPU time, best
of ``--repeat``), and the growth exponent log(t2/t1)/log(n2/n1) of the scan time between
successive sizes (1 is linear, 2 quadratic). ``--check`` exits non-zero when an exponent
exceeds 1.3, so a regression shows as a number (``nsg-rules`` grows rules per NSG, which Azure
caps at 1,000: its exponent is printed, not gated). A script, never a timed test:

    python bench/shapes.py nsg-rules [--rules 250,500,1000] [--subnets 500,1000,2000]
    python bench/shapes.py nsg-subnets [--sizes 500,1000,2000,4000]
    python bench/shapes.py workspaces [--sizes 1000,2000,4000]
    python bench/shapes.py hub-spoke [--sizes 1000,2000,4000]
    python bench/shapes.py shared-plan [--sizes 1000,2000,4000]
    python bench/shapes.py a-records [--sizes 25000,50000,100000] [--stages]
    python bench/shapes.py all [--check]      # every shape at modest sizes, a few minutes

``nsg-rules``: NSGs with up to 1,000 rules (Azure's limit) on many subnets. An NSG's
allowed-port arithmetic that re-sorts or re-walks every rule per rule is quadratic in rules,
and one shared NSG is evaluated once per subnet/NIC it protects. It builds ``--nsgs`` NSGs of
``--rules`` rules each (mixed Allow/Deny, Tcp/Udp/*, single ports, port ranges and lists, CIDR
and tag sources, both directions) attached round-robin to N subnets with one NIC each, and
also times, in this process, the graph build, one NSG's internet-open ports
(``nsg_open_ports``) and a scan of the MLA-NSG rules. ``nsg-subnets``: one 1,000-rule NSG on
thousands of subnets. ``workspaces``: thousands of AML workspaces with their private
endpoints, storage, key vault and computes in one subscription. ``hub-spoke`` and
``shared-plan`` are ``bench/hub_spoke.py``'s and ``bench/shared_plan.py``'s estates.

``a-records``: one private DNS zone with up to 100,000 A records (``a_records_estate``): half
of them name a private endpoint's IP in a VNet linked to the zone (matched by IP: the estate
holds no zone groups), half an IP no endpoint holds. Times the graph build, the A-record
matching, the zone's required links (every endpoint's DNS answer) and a scan of the MLA-DNS
rules with ``--stages``.

"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import benchmark  # noqa: E402
import hub_spoke  # noqa: E402
import shared_plan  # noqa: E402
import synth  # noqa: E402

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


# -- the growth table: rows, scan time, peak memory, ratio to json.load, exponent ----------------
EXPONENT_LIMIT = 1.3
# Shapes whose growing size Azure caps: their exponent is printed, not held to the limit.
# The estate-size shapes (nsg-subnets and the rest) are.
BOUNDED = {"nsg-rules": "rules per NSG, at most 1,000 in Azure"}

# A scan in a child: its own CPU time (start-up and imports excluded), gc off as the CLI scans.
SCAN = """\
import gc, json, sys, time
gc.disable()
from auditor import audit
start = time.process_time()
run = audit([sys.argv[1]], fail_on="none")
print(json.dumps({"seconds": time.process_time() - start, "findings": len(run.result.findings)}))
"""
# json.load of the same file in a child, as bench/benchmark.py measures it.
PARSE = """\
import json, sys, time
with open(sys.argv[1], "rb") as fh:
    start = time.process_time()
    json.load(fh)
    print(json.dumps({"seconds": time.process_time() - start}))
"""


# The estate of one size, built and written in a child: the parent stays small, so the scan
# children it forks do not inherit its peak in ru_maxrss.
BUILD = """\
import json, sys
sys.path.insert(0, sys.argv[1])
import shapes
rows, text = getattr(shapes, sys.argv[2])(int(sys.argv[3]), **json.loads(sys.argv[4]))
with open(sys.argv[5], "w", encoding="utf-8") as fh:
    fh.write(text)
print(json.dumps({"rows": rows, "mb": len(text.encode()) / 2**20}))
"""


def _child(*argv: str) -> tuple[dict[str, Any], float]:
    got = benchmark.run([sys.executable, "-c", *argv])
    if got.returncode != 0:
        raise SystemExit(f"child failed ({got.returncode}): {got.stderr[-2000:]}")
    return json.loads(got.stdout.strip().splitlines()[-1]), got.peak_mb


def measure(builder: str, n: int, params: dict[str, Any], repeat: int) -> dict[str, float]:
    """One size: the estate built and written to a temporary file by a child, then parsed
    and scanned in fresh children, best CPU time of ``repeat`` each; peak RSS of the best
    scan."""
    folder = Path(tempfile.mkdtemp(prefix="shapes-"))
    path = folder / "estate.json"
    try:
        built, _ = _child(BUILD, str(HERE), builder, str(n), json.dumps(params), str(path))
        parse = min(_child(PARSE, str(path))[0]["seconds"] for _ in range(repeat))
        scans = [_child(SCAN, str(path)) for _ in range(repeat)]
        (best, peak) = min(scans, key=lambda s: s[0]["seconds"])
    finally:
        path.unlink(missing_ok=True)
        folder.rmdir()
    return {
        "rows": built["rows"],
        "mb": built["mb"],
        "scan": best["seconds"],
        "findings": best["findings"],
        "peak": peak,
        "parse": parse,
    }


def growth(
    name: str,
    unit: str,
    sizes: list[int],
    builder: str,
    params: dict[str, Any],
    repeat: int,
) -> list[float]:
    """Measure a shape at every size and print its table; the scan-time exponents."""
    print(f"\n{name}: scan CPU time by {unit}", flush=True)
    print(
        f"{unit:>10} {'rows':>9} {'MB':>7} {'scan s':>8} {'peak MB':>8} {'json.load s':>11} "
        f"{'ratio':>6} {'exponent':>8}"
    )
    results = []
    for n in sizes:
        got = measure(builder, n, params, repeat)
        results.append(got)
        exps = benchmark.exponents(sizes[: len(results)], [r["scan"] for r in results])
        exp = f"{exps[-1]:.2f}" if exps else "-"
        print(
            f"{n:>10} {got['rows']:>9} {got['mb']:>7.1f} {got['scan']:>8.3f} {got['peak']:>8.0f} "
            f"{got['parse']:>11.3f} {got['scan'] / got['parse']:>6.2f} {exp:>8}",
            flush=True,
        )
    return benchmark.exponents(sizes, [r["scan"] for r in results])


def _sizes(text: str) -> list[int]:
    return [int(s) for s in text.split(",")]


# -- the shapes ------------------------------------------------------------------------------------
def nsg_rules_shape(args: argparse.Namespace) -> list[float]:
    """NSGs of growing rule counts on a few subnets; then a growing number of subnets."""
    rule_sizes = _sizes(args.rules)
    subnet_sizes = _sizes(args.subnets)
    if not args.growth_only:
        print(f"growing rules per NSG ({args.nsgs} NSGs, {args.at_subnets} subnets):")
        benchmark.stage_table(
            "rules", rule_sizes, [run(r, args.at_subnets, args.nsgs) for r in rule_sizes]
        )
        print(f"growing subnets ({args.nsgs} NSGs of {rule_sizes[-1]} rules):")
        benchmark.stage_table(
            "subnets", subnet_sizes, [run(rule_sizes[-1], n, args.nsgs) for n in subnet_sizes]
        )

    return growth(
        f"nsg-rules ({args.nsgs} NSGs on {args.at_subnets} subnets)",
        "rules",
        rule_sizes,
        "build_nsg_rules",
        {"subnets": args.at_subnets, "nsgs": args.nsgs},
        args.repeat,
    )


def build_nsg_rules(rules: int, subnets: int, nsgs: int) -> tuple[int, str]:
    rows = estate(rules, subnets, nsgs)
    return len(rows), json.dumps(rows)


def build_nsg_subnets(subnets: int, rules: int) -> tuple[int, str]:
    rows = estate(rules, subnets, 1)
    return len(rows), json.dumps(rows)


def nsg_subnets_shape(args: argparse.Namespace) -> list[float]:
    """One NSG of ``--rules`` rules protecting a growing number of subnets (a NIC each)."""

    return growth(
        f"nsg-subnets (one {args.rules}-rule NSG)",
        "subnets",
        _sizes(args.sizes),
        "build_nsg_subnets",
        {"rules": args.rules},
        args.repeat,
    )


ONE_SUBSCRIPTION = synth.guid("shapes", "workspaces", "subscription")


class OneSubscriptionZone(synth.LandingZone):
    """A landing zone in the one shared subscription: its resource groups carry its stem so
    ids never collide, and its workspace GUID its index."""

    @property
    def sub(self) -> str:  # type: ignore[override]
        return ONE_SUBSCRIPTION

    def id(self, rg: str, rtype: str, name: str, *children: str) -> str:
        return synth.arm_id(self.sub, f"{rg}-{self.stem}", rtype, name, *children)

    @property
    def ws_guid(self) -> str:  # type: ignore[override]
        return synth.guid(self.sub, "workspace", self.index)


WORKSPACE_FAMILIES = (
    synth.network,
    synth.private_endpoints,
    synth.private_dns,
    synth.workspace,
    synth.dependencies,
)


def workspaces_estate(count: int) -> list[synth.Row]:
    """``count`` workspaces, each with its VNets, private endpoints and DNS, storage, key
    vault, registry and computes, all in one subscription."""
    rows: list[synth.Row] = []
    for i in range(count):
        lz = OneSubscriptionZone(i, frozenset(), "workspaces")
        rows += [r for family in WORKSPACE_FAMILIES for r in family(lz)]
    return rows


def workspaces_shape(args: argparse.Namespace) -> list[float]:
    return growth(
        "workspaces (one subscription)",
        "workspaces",
        _sizes(args.sizes),
        "build_workspaces",
        {},
        args.repeat,
    )


def build_workspaces(count: int) -> tuple[int, str]:
    rows = workspaces_estate(count)
    return len(rows), synth.render(rows, "snapshot")


def hub_spoke_shape(args: argparse.Namespace) -> list[float]:
    """``bench/hub_spoke.py``'s estate: one hub peered both ways with N spokes."""

    return growth("hub-spoke", "spokes", _sizes(args.sizes), "build_hub_spoke", {}, args.repeat)


def build_hub_spoke(spokes: int) -> tuple[int, str]:
    rows = hub_spoke.estate(spokes)
    return len(rows), json.dumps(rows)


def shared_plan_shape(args: argparse.Namespace) -> list[float]:
    """``bench/shared_plan.py``'s estate: N landing zones on one address plan, A records."""

    return growth("shared-plan", "zones", _sizes(args.sizes), "build_shared_plan", {}, args.repeat)


def build_shared_plan(zones: int) -> tuple[int, str]:
    rows = shared_plan.estate(zones)
    return len(rows), shared_plan.snapshot(rows)


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


def a_records_shape(args: argparse.Namespace) -> list[float]:
    """One private DNS zone with N A records matched to endpoints by IP (no zone groups);
    ``--stages`` also times the matching, the zone's required links and an MLA-DNS scan."""
    sizes = _sizes(args.sizes)
    if args.stages:
        print("one private DNS zone, growing A records (CPU seconds):")
        benchmark.stage_table("records", sizes, [run_a_records(n) for n in sizes])
    return growth("a-records", "records", sizes, "build_a_records", {}, args.repeat)


# shape -> (function, defaults of its own run, modest defaults for ``all``)
SHAPES: dict[str, tuple[Callable[[argparse.Namespace], list[float]], dict[str, Any]]] = {
    "nsg-rules": (nsg_rules_shape, {"rules": "250,500,1000", "growth_only": True}),
    "nsg-subnets": (nsg_subnets_shape, {"sizes": "250,500,1000,2000"}),
    "workspaces": (workspaces_shape, {"sizes": "250,500,1000"}),
    "hub-spoke": (hub_spoke_shape, {"sizes": "500,1000,2000"}),
    "shared-plan": (shared_plan_shape, {"sizes": "250,500,1000"}),
    "a-records": (a_records_shape, {"sizes": "25000,50000,100000"}),
}


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repeat", type=int, default=1, help="best of this many runs per size")
    p.add_argument(
        "--check",
        action="store_true",
        help=f"exit 1 when a growth exponent exceeds {EXPONENT_LIMIT}",
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = top.add_subparsers(dest="shape", required=True)

    p = sub.add_parser("nsg-rules", help="NSGs with up to 1,000 rules")
    p.add_argument("--rules", default="250,500,1000", help="rules per NSG")
    p.add_argument("--subnets", default="500,1000,2000", help="subnets, at the most rules")
    p.add_argument("--nsgs", type=int, default=4)
    p.add_argument("--at-subnets", type=int, default=20, help="subnets while rules grow")
    p.add_argument("--growth-only", action="store_true", help="only the growth table")
    _common(p)

    p = sub.add_parser("nsg-subnets", help="one 1,000-rule NSG on thousands of subnets")
    p.add_argument("--sizes", default="500,1000,2000,4000", help="subnets")
    p.add_argument("--rules", type=int, default=1000, help="rules of the NSG")
    _common(p)

    p = sub.add_parser("workspaces", help="thousands of workspaces in one subscription")
    p.add_argument("--sizes", default="1000,2000,4000", help="workspaces")
    _common(p)

    p = sub.add_parser("hub-spoke", help="bench/hub_spoke.py's estate")
    p.add_argument("--sizes", default="1000,2000,4000", help="spokes")
    _common(p)

    p = sub.add_parser("shared-plan", help="bench/shared_plan.py's estate")
    p.add_argument("--sizes", default="1000,2000,4000", help="landing zones")
    _common(p)

    p = sub.add_parser("a-records", help="one private DNS zone with up to 100,000 A records")
    p.add_argument("--sizes", default="25000,50000,100000", help="A records")
    p.add_argument("--stages", action="store_true", help="also time the DNS stages in-process")
    _common(p)

    p = sub.add_parser("all", help="every shape at modest sizes (a few minutes)")
    _common(p)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # the children import this checkout's auditor
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(HERE.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    if args.shape == "all":
        found: dict[str, list[float]] = {}
        for name, (fn, modest) in SHAPES.items():
            defaults = vars(parser().parse_args([name]))
            found[name] = fn(argparse.Namespace(**{**defaults, **modest, "repeat": args.repeat}))
    else:
        found = {args.shape: SHAPES[args.shape][0](args)}
    over = {n: e for n, es in found.items() if n not in BOUNDED for e in es if e > EXPONENT_LIMIT}
    print()
    for name, exps in found.items():
        bound = f"  (not gated: {BOUNDED[name]})" if name in BOUNDED else ""
        print(f"{name}: exponents " + " ".join(f"{e:.2f}" for e in exps) + bound)
    if over:
        print(f"growth exponent above {EXPONENT_LIMIT}: " + ", ".join(over), file=sys.stderr)
        return 1 if args.check else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
