"""Regenerate the golden JSON reports in ``tests/golden/`` from the reference estates, and
the NDJSON (Log Analytics) lines of the Terraform one.

Run ``python tests/update_golden.py`` after a change to the rules or the report that is
meant to change them, and review the diff before committing. The tests use the same
functions, so the golden files and the tests always run the same command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
CASES = ("reference-good", "reference-terraform")
NDJSON_CASES = ("reference-terraform",)  # pinned as bytes: the lines a workspace ingests


def console_script() -> str:
    """The installed ``mlops-audit`` script: next to this Python, else on PATH."""
    beside = Path(sys.executable).parent / "mlops-audit"
    if beside.is_file():
        return str(beside)
    found = shutil.which("mlops-audit")
    if found is None:
        raise RuntimeError(
            f"the mlops-audit console script is neither next to {sys.executable} nor on "
            "PATH; install the package (pip install -e '.[test]')"
        )
    return found


# golden reports pin the run's timestamp (the one field that changes between runs)
PINNED_TIME = {"SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01T00:00:00Z


def run_cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the console script; a wide COLUMNS keeps rich from wrapping ids and URLs."""
    return subprocess.run(
        [console_script(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=120,
        check=False,
    )


def scan_fixture(name: str, fmt: str = "json") -> str:
    """The ``fmt`` report of ``fixtures/<name>.json``, with the path relative to the root."""
    proc = run_cli(
        "scan",
        "--snapshot",
        f"fixtures/{name}.json",
        "--format",
        fmt,
        "--fail-on",
        "none",
        env=PINNED_TIME,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"scan of fixtures/{name}.json exited {proc.returncode}: {proc.stderr}")
    return proc.stdout


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name in CASES:
        path = GOLDEN / f"{name}.json"
        path.write_text(scan_fixture(name), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    for name in NDJSON_CASES:
        path = GOLDEN / f"{name}.ndjson"
        path.write_bytes(scan_fixture(name, "ndjson").encode("utf-8"))
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
