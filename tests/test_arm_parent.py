"""``arm.parent``: one level up drops a ``type/name`` pair, as every level count does."""

from __future__ import annotations

import itertools

from auditor import arm

# every id of up to five pieces of slashes and names (3,906 of them), and a real one
_IDS = [
    "".join(p) for n in range(6) for p in itertools.product(["", "/", "a", "Bc", "//"], repeat=n)
] + ["/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateDnsZones/z/A/r/"]


def _by_parts(resource_id: str, levels: int) -> str:
    parts = resource_id.rstrip("/").split("/")
    return "/".join(parts[: len(parts) - 2 * levels])


def test_one_level_up_is_the_general_rule() -> None:
    wrong = [
        rid
        for rid in _IDS
        if arm.parent(rid) != _by_parts(rid, 1) or arm.parent(rid, 2) != _by_parts(rid, 2)
    ]
    assert not wrong, f"{len(wrong)} ids, first {wrong[0]!r}"
