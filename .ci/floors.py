"""Print pip constraints that pin every runtime dependency (and the optional extras'
in :data:`EXTRAS`) to the lowest version ``pyproject.toml`` allows, so CI can prove the
declared floors work (``.ci/run``)."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

# optional extras whose floors are tested too (the test extra pulls them in)
EXTRAS = ("monitor",)


def floors(pyproject: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    deps = list(project["dependencies"])
    for extra in EXTRAS:
        deps += project["optional-dependencies"][extra]
    pins = []
    for dep in deps:
        name = re.match(r"[A-Za-z0-9_.-]+", dep)
        low = re.search(r">=\s*([0-9][0-9A-Za-z.]*)", dep)
        if not name or not low:
            sys.exit(f"{dep!r}: every runtime dependency needs a '>=' floor to test")
        pins.append(f"{name[0]}=={low[1]}")
    return pins


if __name__ == "__main__":
    print("\n".join(floors(Path(__file__).resolve().parent.parent / "pyproject.toml")))
