"""Bytes per row, by ARM resource type: what sizes a scan's memory (docs/scale.md).

For each resource type in a snapshot (``bench/synth.py --format snapshot`` makes them) it
prints the row count, the mean bytes of one row as compact JSON, and the mean Python heap
bytes one row keeps once loaded into the estate (``auditor.inputs.load``) and once the audit
graph is built over it (``auditor.graph.build``). Then it runs one whole scan of the file in a
child process and prints that child's peak RSS. With ``--components`` it also counts the
partitions of docs/scale.md: the components ``mlops-audit partition`` splits by
(``auditor.partition.components``).

How the heap figure is made (an approximation): each type's rows are written alone to a
temporary snapshot, and in this process, with ``tracemalloc`` running, that file is loaded
and its graph built; the figure is the traced memory still held after each step minus the
memory held before, divided by the row count. Transient memory (the parse's buffers) is not
counted. Loaded alone, a type's references to other types become placeholder nodes, which
are counted against it; indexes that need two types at once (an A record matched to its
endpoint) are not. The per-type sums therefore approximate, not equal, the whole estate's
heap; the scan's peak RSS is the measured whole.

    python bench/row_bytes.py [SNAPSHOT] [--no-scan] [--components]   (default /tmp/w/e100k.json)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import tracemalloc
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor import graph, inputs  # noqa: E402

MB = 1 << 20


@dataclass
class TypeFigures:
    rtype: str
    rows: int
    json_bytes: float  # mean compact-JSON bytes per row
    estate_bytes: float  # mean heap bytes per row held by the estate
    graph_bytes: float  # mean heap bytes per row added by the graph


def _compact(row: Any) -> int:
    """The row's size as the file format writes it (compact separators, UTF-8)."""
    return len(json.dumps(row, separators=(",", ":")).encode())


def measure_type(header: dict[str, Any], rtype: str, rows: list[Any], tmp: Path) -> TypeFigures:
    """Load one type's rows alone and build their graph; traced heap held after each step."""
    path = tmp / "one-type.json"
    path.write_text(json.dumps({**header, "rows": rows}, separators=(",", ":")))
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        estate = inputs.load([path])
        gc.collect()
        loaded = tracemalloc.get_traced_memory()[0]
        audit_graph = graph.build(estate)
        gc.collect()
        built = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del audit_graph, estate
    n = len(rows)
    return TypeFigures(
        rtype,
        n,
        sum(_compact(r) for r in rows) / n,
        (loaded - base) / n,
        (built - loaded) / n,
    )


def scan_peak_mb(snapshot: Path) -> tuple[float, int]:
    """Peak RSS (MB) and exit code of one whole scan, as the CI job runs it, in a child."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "0"}
    cmd = [sys.executable, "-m", "auditor.cli", "scan", "--snapshot", str(snapshot)]
    cmd += ["--format", "json", "--fail-on", "none", "--allow-partial", "--output", os.devnull]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return usage.ru_maxrss * scale / MB, proc.returncode


def components(snapshot: Path) -> str:
    """How the estate splits into partitions no rule crosses (docs/scale.md): a summary line
    of ``mlops-audit partition``'s own components."""
    from auditor.partition import components as partition_components

    estate = inputs.load([snapshot])
    vnets = {k for k, t in estate.types.items() if t == "microsoft.network/virtualnetworks"}
    found = partition_components(estate)
    with_vnets = [c for c in found if not vnets.isdisjoint(c)]
    per = sorted(len(vnets.intersection(c)) for c in with_vnets)
    largest = max((len(c) for c in with_vnets), default=0)
    rest = sum(len(c) for c in found) - sum(len(c) for c in with_vnets)
    return (
        f"components holding a VNet: {len(with_vnets)} (VNets each: {per[0]}..{per[-1]}, "
        f"largest {largest} rows); {rest} rows in {len(found) - len(with_vnets)} components "
        "without a VNet"
        if per
        else "no VNet in the estate"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshot", nargs="?", default="/tmp/w/e100k.json", type=Path)
    parser.add_argument("--no-scan", action="store_true", help="skip the whole-scan peak RSS")
    parser.add_argument("--components", action="store_true", help="count network partitions")
    args = parser.parse_args(argv)

    doc = json.loads(args.snapshot.read_bytes())
    header = {k: v for k, v in doc.items() if k != "rows"}
    by_type: dict[str, list[Any]] = defaultdict(list)
    for row in doc["rows"]:
        by_type[str(row.get("type", "?"))].append(row)
    del doc

    with tempfile.TemporaryDirectory() as tmp:
        figures = [
            measure_type(header, rtype, rows, Path(tmp))
            for rtype, rows in sorted(by_type.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]

    total = sum(f.rows for f in figures)
    width = max(len(f.rtype) for f in figures)
    print(
        f"{'type':<{width}} {'rows':>7} {'json B':>7} {'estate B':>9} {'graph B':>8} {'heap B':>7}"
    )
    for f in figures:
        heap = f.estate_bytes + f.graph_bytes
        print(
            f"{f.rtype:<{width}} {f.rows:>7} {f.json_bytes:>7.0f} "
            f"{f.estate_bytes:>9.0f} {f.graph_bytes:>8.0f} {heap:>7.0f}"
        )

    def mean(attr: str) -> float:
        return sum(getattr(f, attr) * f.rows for f in figures) / total

    heap = mean("estate_bytes") + mean("graph_bytes")
    print(
        f"{'all (row-weighted)':<{width}} {total:>7} {mean('json_bytes'):>7.0f} "
        f"{mean('estate_bytes'):>9.0f} {mean('graph_bytes'):>8.0f} {heap:>7.0f}"
    )
    if not args.no_scan:
        peak, rc = scan_peak_mb(args.snapshot)
        print(f"whole scan: peak RSS {peak:.0f} MB ({peak * MB / total:.0f} B/row), exit {rc}")
    if args.components:
        print(components(args.snapshot))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
