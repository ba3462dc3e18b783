"""Requests a live collection makes, per 1,000 resources, and how long its ARM reads take.

Serves estates from the local HTTPS Resource Graph/ARM server of the tests
(tests/fake_arm.py) and collects them with the real SDK clients.

1. Requests per 1,000 rows: synthetic estates (bench/synth.py), with and without
   ``--skip-endpoint-reads``; quotas set high (this counts requests, it does not time them).
2. Time: ``--endpoints`` private endpoints spread over ``--subscriptions`` subscriptions
   (one DNS zone group read each), every ARM read answered after ``--latency`` seconds, each
   subscription with ARM's read bucket (250, refilled 25 a second). Reported: the wall time of
   the collection and of its ARM reads, the process CPU time (the fake server runs in this
   process too), and the model the time should follow::

       reads per subscription r = endpoints / subscriptions
       r <= 250 (the burst): no subscription is throttled, and
           T_arm ~= ceil(endpoints / min(workers, subscriptions * per_subscription)) * latency
       r >  250: a subscription is bound by its refill, T_arm >= (r - 250) / 25 s

   Azure's figures put into it: 10,000 endpoints / 100 subscriptions = 100 reads each, under
   the burst, so with 32 workers and an ARM round trip of 0.15 s T_arm ~= 313 * 0.15 = 47 s
   (8 workers in one pool, as before: 1,250 * 0.15 = 188 s); 10,000 endpoints in one
   subscription: >= (10,000 - 250) / 25 = 390 s whatever the workers.

    python bench/live_requests.py [--sizes 1000,10000] [--endpoints 2000 --subscriptions 100
        --latency 0.1 --workers 32 --per-subscription 8]
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synth import synthetic_estate  # noqa: E402

from auditor.collect import Collector, Scope  # noqa: E402
from tests.fake_arm import FakeArm, write_stub_az  # noqa: E402


def endpoints(n: int, subscriptions: int, hot: int = 0) -> list[dict[str, Any]]:
    """``n`` private endpoints, the first ``hot`` in subscription 0 and the rest dealt round
    all of them: one ARM read each, nothing else."""
    rows = []
    for i in range(n):
        sub = f"00000000-0000-4000-8000-{0 if i < hot else i % subscriptions:012d}"
        rg = f"/subscriptions/{sub}/resourceGroups/rg-pe"
        rows.append(
            {
                "id": f"{rg}/providers/Microsoft.Network/privateEndpoints/pe-{i:06d}",
                "name": f"pe-{i:06d}",
                "type": "microsoft.network/privateendpoints",
                "location": "westeurope",
                "resourceGroup": "rg-pe",
                "subscriptionId": sub,
                "properties": {},
            }
        )
    return rows


def collector(arm: FakeArm, **kw: Any) -> Collector:
    """A collector with the knobs this tree's Collector takes (an older one has fewer)."""
    from azure.identity import AzureCliCredential

    known = inspect.signature(Collector).parameters
    return Collector(
        AzureCliCredential(), arm_endpoint=arm.url, **{k: v for k, v in kw.items() if k in known}
    )


def requests_per_1k(sizes: list[int]) -> None:
    print("rows     subs  ARG pages  ARM reads  per 1k rows  (skip endpoint reads: ARM, per 1k)")
    for size in sizes:
        rows = synthetic_estate(size, fault_share=0.0)
        with FakeArm(rows, arg_quota=10**9, arm_read_capacity=10**9) as arm:
            os.environ["REQUESTS_CA_BUNDLE"] = arm.ca_path
            subs = sorted(arm.subscriptions)
            counts = []
            for skip in (False, True):
                doc = collector(arm, skip_endpoint_reads=skip).collect(Scope(subscriptions=subs))
                assert not doc["failures"], doc["failures"]
                counts.append(doc["requests"])
        full, skipped = counts
        total = full["resource_graph_pages"] + full["arm_reads"]
        total_skip = skipped["resource_graph_pages"] + skipped["arm_reads"]
        print(
            f"{len(rows):<8} {len(subs):<5} {full['resource_graph_pages']:<10} "
            f"{full['arm_reads']:<10} {1000 * total / len(rows):<12.1f} "
            f"({skipped['arm_reads']}, {1000 * total_skip / len(rows):.1f})"
        )


def timing(args: argparse.Namespace) -> None:
    rows = endpoints(args.endpoints, args.subscriptions, args.hot)
    per_sub = math.ceil((args.endpoints - args.hot) / args.subscriptions) + args.hot
    known = inspect.signature(Collector).parameters
    # the tree's own defaults unless given (an older Collector: one pool, no lanes)
    workers = args.workers or known["max_workers"].default
    lanes = args.per_subscription or (
        known["per_subscription"].default if "per_subscription" in known else workers
    )
    concurrency = min(workers, args.subscriptions * lanes)
    model = math.ceil(args.endpoints / concurrency) * args.latency
    if per_sub > args.bucket:
        model = max(model, (per_sub - args.bucket) / args.refill)
    with FakeArm(
        rows, arg_quota=10**9, arm_read_capacity=args.bucket, arm_read_refill=args.refill
    ) as arm:
        os.environ["REQUESTS_CA_BUNDLE"] = arm.ca_path
        arm.arm_latency = args.latency
        c = collector(arm, max_workers=workers, per_subscription=lanes)
        cpu, wall = time.process_time(), time.monotonic()
        doc = c.collect(Scope(subscriptions=sorted(arm.subscriptions)))
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
        listed = [r for r in arm.requests if "privateDnsZoneGroups" in r.path]
        reads = [r.time for r in listed]
        hot_sub = "/subscriptions/00000000-0000-4000-8000-000000000000/"
        others = [r.time for r in listed if not r.path.startswith(hot_sub)]
        throttled = sum(1 for r in arm.requests if r.status == 429)
    assert not doc["failures"], doc["failures"]
    arm_wall = max(reads) - min(reads) + args.latency
    req = doc["requests"]
    print(
        f"\n{args.endpoints} endpoints / {args.subscriptions} subscriptions (at most {per_sub} "
        f"reads in one), ARM latency {args.latency:g} s, bucket {args.bucket} + "
        f"{args.refill:g}/s, {workers} workers ({lanes} per subscription)"
    )
    print(
        f"  requests: {req['resource_graph_pages']} ARG pages + {req['arm_reads']} ARM reads "
        f"= {1000 * (req['resource_graph_pages'] + req['arm_reads']) / len(rows):.1f} per 1k "
        f"rows; 429s: {throttled}"
    )
    bound = (
        f"; refill bound ({per_sub} - {args.bucket}) / {args.refill:g}"
        if per_sub > args.bucket
        else ""
    )
    print(
        f"  ARM reads {arm_wall:.1f} s (model {model:.1f} s: ceil({args.endpoints}/{concurrency})"
        f" x {args.latency:g}{bound}); whole collection {wall:.1f} s wall, {cpu:.1f} s CPU "
        "(client and server)"
    )
    if args.hot:
        print(
            f"  subscription 0 holds {args.hot} more: the other subscriptions' reads end at "
            f"{max(others) - min(reads) + args.latency:.1f} s"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="'' skips the request counts")
    parser.add_argument("--endpoints", type=int, default=2000, help="0 skips the timing")
    parser.add_argument("--subscriptions", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--hot", type=int, default=0, help="endpoints put in subscription 0")
    parser.add_argument("--bucket", type=int, default=250, help="ARM's read bucket")
    parser.add_argument("--refill", type=float, default=25.0, help="its refill, a second")
    parser.add_argument("--workers", type=int, help="default: the Collector's")
    parser.add_argument("--per-subscription", type=int, help="default: the Collector's")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        write_stub_az(Path(tmp))
        os.environ["PATH"] = f"{tmp}{os.pathsep}{os.environ['PATH']}"
        if args.sizes:
            requests_per_1k([int(s) for s in args.sizes.split(",")])
        if args.endpoints:
            timing(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
