"""Hub-and-spoke stress: one hub VNet peered both ways with thousands of spokes.

A hub has one peering entry per spoke, and every spoke's peering question ("does the hub
peer back, does it allow gateway transit, do the spaces overlap?") lands on the hub. A
relation that walks the hub's entries per spoke is quadratic; this script shows whether the
peering relations (and the peering rules) stay linear in the number of spokes.

For each size it builds the estate in memory — the hub (with a VPN gateway in its
GatewaySubnet, allowGatewayTransit on every entry), N spokes (useRemoteGateways, a private
endpoint each, every tenth peered subnet-level) — writes it to a temporary file and, in
this process, times: the graph build, each peering relation over every VNet, and a scan of
the MLA-NET rules (``auditor.audit``). It prints seconds per stage and the per-spoke cost,
so 1k vs 5k spokes can be compared at a glance. A script, never a timed test:

    python bench/hub_spoke.py [--spokes 1000,5000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from auditor import audit  # noqa: E402
from auditor.relations import RELATIONS  # noqa: E402
from auditor.relations.peering import connected_peers  # noqa: E402

SUB = "00000000-0000-0000-0000-0000000000aa"
PEERING_RELATIONS = (
    "peerings",
    "gateway_transit",
    "peered_overlaps",
    "vnet_access",
    "subnet_peering_gaps",
)


def rid(rg: str, path: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/{path}"


def vnet(name: str, prefix: str, subnets: dict[str, str]) -> dict[str, Any]:
    vid = rid("rg-net", f"Microsoft.Network/virtualNetworks/{name}")
    return {
        "id": vid,
        "name": name,
        "type": "microsoft.network/virtualnetworks",
        "location": "westeurope",
        "resourceGroup": "rg-net",
        "subscriptionId": SUB,
        "properties": {
            "addressSpace": {"addressPrefixes": [prefix]},
            "subnets": [
                {"id": f"{vid}/subnets/{s}", "name": s, "properties": {"addressPrefix": p}}
                for s, p in subnets.items()
            ],
            "virtualNetworkPeerings": [],
        },
    }


def peer(local: dict[str, Any], remote: dict[str, Any], **props: Any) -> None:
    name = f"to-{remote['name']}"
    local["properties"]["virtualNetworkPeerings"].append(
        {
            "id": f"{local['id']}/virtualNetworkPeerings/{name}",
            "name": name,
            "properties": {
                "remoteVirtualNetwork": {"id": remote["id"]},
                "peeringState": "Connected",
                "peeringSyncLevel": "FullyInSync",
                "allowVirtualNetworkAccess": True,
                "remoteAddressSpace": remote["properties"]["addressSpace"],
                **props,
            },
        }
    )


def estate(spokes: int) -> list[dict[str, Any]]:
    hub = vnet("vnet-hub", "10.0.0.0/16", {"GatewaySubnet": "10.0.0.0/27"})
    gw_id = rid("rg-net", "Microsoft.Network/virtualNetworkGateways/vgw-hub")
    rows: list[dict[str, Any]] = [
        hub,
        {
            "id": gw_id,
            "name": "vgw-hub",
            "type": "microsoft.network/virtualnetworkgateways",
            "properties": {
                "ipConfigurations": [
                    {
                        "name": "default",
                        "properties": {"subnet": {"id": f"{hub['id']}/subnets/GatewaySubnet"}},
                    }
                ]
            },
        },
    ]
    target = rid("rg-data", "Microsoft.Storage/storageAccounts/stshared")
    rows.append(
        {
            "id": target,
            "name": "stshared",
            "type": "microsoft.storage/storageaccounts",
            "properties": {"publicNetworkAccess": "Disabled"},
        }
    )
    for i in range(spokes):
        a, b = 1 + i // 256, i % 256
        s = vnet(f"vnet-spoke{i:05d}", f"10.{a}.{b}.0/24", {"snet-pe": f"10.{a}.{b}.0/26"})
        subnet_level = i % 10 == 0
        extra: dict[str, Any] = (
            {
                "peerCompleteVnets": False,
                "localSubnetNames": ["snet-pe"],
                "remoteSubnetNames": ["GatewaySubnet"],
            }
            if subnet_level
            else {}
        )
        peer(hub, s, allowGatewayTransit=True)
        peer(s, hub, useRemoteGateways=True, **extra)
        pe = rid("rg-net", f"Microsoft.Network/privateEndpoints/pe-{i:05d}")
        rows += [
            s,
            {
                "id": pe,
                "name": f"pe-{i:05d}",
                "type": "microsoft.network/privateendpoints",
                "properties": {
                    "subnet": {"id": f"{s['id']}/subnets/snet-pe"},
                    "privateLinkServiceConnections": [
                        {
                            "name": "c",
                            "properties": {
                                "privateLinkServiceId": target,
                                "groupIds": ["blob"],
                                "privateLinkServiceConnectionState": {"status": "Approved"},
                            },
                        }
                    ],
                },
            },
        ]
    return rows


def run(spokes: int, keep: Path | None) -> dict[str, float]:
    gc.collect()
    gc.disable()  # as the CLI does for a scan: GC passes over the heap would blur the scaling
    rows = estate(spokes)
    folder = keep or Path(tempfile.mkdtemp(prefix="hub-spoke-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"hub-spoke-{spokes}.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    timings: dict[str, float] = {}

    t = time.perf_counter()
    g = audit([path], rules=[]).graph
    timings["graph"] = time.perf_counter() - t
    vnets = g.nodes_of_kind("vnet")
    for name in PEERING_RELATIONS:
        fn = RELATIONS[name].fn
        t = time.perf_counter()
        items = sum(len(fn(g, v)) for v in vnets)  # type: ignore[arg-type]
        timings[f"{name} ({items} items)"] = time.perf_counter() - t
    t = time.perf_counter()
    for v in vnets:
        connected_peers(g, v)
    timings["connected_peers"] = time.perf_counter() - t

    t = time.perf_counter()
    run_ = audit([path], select=["MLA-NET"])
    timings[f"scan MLA-NET ({len(run_.result.findings)} findings)"] = time.perf_counter() - t
    del g, run_
    gc.enable()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spokes", default="1000,5000")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    sizes = [int(s) for s in args.spokes.split(",")]
    results = {n: run(n, args.keep) for n in sizes}
    stages = list(results[sizes[0]])
    print(f"{'stage':<44}" + "".join(f"{n:>10} spokes" for n in sizes) + "   per spoke (ms)")
    for i, _ in enumerate(stages):
        label = stages[i].split(" (")[0]
        secs = [list(results[n].values())[i] for n in sizes]
        per = "  ".join(f"{1000 * s / n:.3f}" for s, n in zip(secs, sizes, strict=True))
        print(f"{label:<44}" + "".join(f"{s:>15.3f}s" for s in secs) + f"   {per}")
    for n in sizes:
        print(f"{n} spokes: " + "; ".join(k for k in results[n] if "(" in k))
    return 0


if __name__ == "__main__":
    sys.exit(main())
