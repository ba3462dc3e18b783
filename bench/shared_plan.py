"""Shared address plan: N landing zones that all reuse one address plan and use A records.

Landing zones copied from one template give every spoke the same endpoint subnet, so each
private endpoint IP (10.x.y.4 ...) repeats once per landing zone, and without zone groups an
A record is matched to its endpoint by IP and then by name. Matching that tries every
endpoint holding the record's IP is quadratic in the number of zones; this script shows
whether it stays linear.

For each size it builds the estate in memory (``bench/synth.py`` landing zones, all on
landing zone 0's addresses, no ``privatednszonegroups`` collection), writes it as a
snapshot to a temporary file and, in this process, times: the graph build, the A record
matching (``record_matches``), and a scan of the MLA-DNS rules. It prints seconds per stage
and the growth exponent log(t2/t1)/log(n2/n1) between consecutive sizes (1 is linear, 2
quadratic), so a regression shows as a number. A script, never a timed test:

    python bench/shared_plan.py [--zones 1000,2000,4000,8000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import benchmark  # noqa: E402
import synth  # noqa: E402

from auditor import audit  # noqa: E402
from auditor.relations.dns import record_matches  # noqa: E402


class SharedPlanZone(synth.LandingZone):
    """A landing zone on landing zone 0's address plan: its IPs repeat in every zone."""

    def prefix(self, vnet: str) -> ipaddress.IPv4Network:
        if vnet == "hub":
            return synth.block(synth.HUB_BLOCKS, 0, 24)
        size, n = synth.VNET_PLAN[vnet]
        return synth.block(synth.block(synth.ZONE_BLOCKS, 0, 20), n, size)


ZONE_GROUP_TYPE = "microsoft.network/privateendpoints/privatednszonegroups"


def estate(zones: int) -> list[synth.Row]:
    """``zones`` landing zones on one address plan, with A records and no zone groups."""
    rows: list[synth.Row] = []
    families = (
        synth.network,
        synth.machines,
        synth.private_endpoints,
        synth.private_dns,
        synth.workspace,
        synth.dependencies,
    )
    for i in range(zones):
        lz = SharedPlanZone(i, frozenset(), "shared")
        rows += [
            r
            for family in families
            for r in family(lz)
            if str(r.get("type", "")).lower() != ZONE_GROUP_TYPE
        ]
    return rows


def snapshot(rows: list[synth.Row]) -> str:
    doc = json.loads(synth.render(rows, "snapshot"))
    doc["collections"] = ["resources", "dnsresources", "computes"]  # no zone groups
    return json.dumps(doc, separators=(",", ":"))


def run(zones: int, keep: Path | None) -> dict[str, float]:
    gc.collect()
    gc.disable()  # as the CLI does for a scan: GC passes over the heap would blur the scaling
    folder = keep or Path(tempfile.mkdtemp(prefix="shared-plan-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"shared-plan-{zones}.json"
    path.write_text(snapshot(estate(zones)), encoding="utf-8")
    timings: dict[str, float] = {}

    t = time.perf_counter()
    g = audit([path], rules=[]).graph
    timings["graph"] = time.perf_counter() - t
    t = time.perf_counter()
    found = record_matches(g)
    timings["record_matches"] = time.perf_counter() - t
    matched = len(found.endpoints_of)
    t = time.perf_counter()
    run_ = audit([path], select=["MLA-DNS"])
    timings["scan MLA-DNS"] = time.perf_counter() - t
    print(
        f"{zones} zones: {matched} records matched, {len(run_.result.findings)} MLA-DNS findings",
        file=sys.stderr,
    )
    del g, run_, found
    gc.enable()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zones", default="1000,2000,4000,8000")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    sizes = [int(s) for s in args.zones.split(",")]
    results = {n: run(n, args.keep) for n in sizes}
    benchmark.stage_table("zones", sizes, [results[n] for n in sizes])
    return 0


if __name__ == "__main__":
    sys.exit(main())
