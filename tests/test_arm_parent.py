"""``arm.parent``: one level up drops a ``type/name`` pair, as every level count does."""

from __future__ import annotations

import itertools

import pytest

from auditor import arm


def _by_parts(resource_id: str, levels: int) -> str:
    parts = resource_id.rstrip("/").split("/")
    return "/".join(parts[: len(parts) - 2 * levels])


@pytest.mark.parametrize(
    "rid",
    ["".join(p) for n in range(6) for p in itertools.product(["", "/", "a", "Bc", "//"], repeat=n)]
    + ["/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateDnsZones/z/A/r/"],
)
def test_one_level_up_is_the_general_rule(rid: str) -> None:
    assert arm.parent(rid) == _by_parts(rid, 1)
    assert arm.parent(rid, 2) == _by_parts(rid, 2)
