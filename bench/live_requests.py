"""Requests a live collection makes, per 1,000 resources: Resource Graph pages plus ARM reads.

Serves synthetic estates (bench/synth.py) from the local HTTPS Resource Graph/ARM server of
the tests (tests/fake_arm.py) and collects them with the real SDK clients, with and without
``--skip-endpoint-reads``. Quotas are set high: this counts requests, it does not time them.

    python bench/live_requests.py [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synth import synthetic_estate  # noqa: E402

from auditor.collect import Collector, Scope  # noqa: E402
from tests.fake_arm import FakeArm, write_stub_az  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args(argv)
    from azure.identity import AzureCliCredential

    with tempfile.TemporaryDirectory() as tmp:
        write_stub_az(Path(tmp))
        os.environ["PATH"] = f"{tmp}{os.pathsep}{os.environ['PATH']}"
        print(
            "rows     subs  ARG pages  ARM reads  per 1k rows  (skip endpoint reads: ARM, per 1k)"
        )
        for size in (int(s) for s in args.sizes.split(",")):
            rows = synthetic_estate(size, fault_share=0.0)
            with FakeArm(rows, arg_quota=10**9, arm_read_capacity=10**9) as arm:
                os.environ["REQUESTS_CA_BUNDLE"] = arm.ca_path
                subs = sorted(arm.subscriptions)
                counts = []
                for skip in (False, True):
                    c = Collector(
                        AzureCliCredential(), arm_endpoint=arm.url, skip_endpoint_reads=skip
                    )
                    doc = c.collect(Scope(subscriptions=subs))
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
