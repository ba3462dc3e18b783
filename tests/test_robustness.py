"""Rows come from outside: any JSON shape where an object, list or string was expected
must be judged or reported, never crash the scan."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import FIXTURES, scan_rows

ODD_VALUES = ["x", 7, 1e308, True, None, [], ["x"], [7], {}, {"id": 7}]


def reference() -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "reference-good.json").read_text(encoding="utf-8"))


def replace_everywhere(node: Any, value: Any, depth: int) -> Any:
    """Every value at ``depth`` levels under properties becomes ``value``."""
    if depth == 0:
        return copy.deepcopy(value)
    if isinstance(node, dict):
        return {k: replace_everywhere(v, value, depth - 1) for k, v in node.items()}
    if isinstance(node, list):
        return [replace_everywhere(v, value, depth - 1) for v in node]
    return node


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_odd_shapes_never_crash(tmp_path: Path, value: Any, depth: int) -> None:
    rows = reference()
    for row in rows:
        row["properties"] = replace_everywhere(row.get("properties"), value, depth)
    result = scan_rows(rows, tmp_path)
    judged = sum(o.passed + o.failed + o.not_evaluated + o.not_applicable for o in result.outcomes)
    assert judged > 0
