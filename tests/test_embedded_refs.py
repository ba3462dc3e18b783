"""Reference lists (an NSG's subnets, a VM's NICs): read entry by entry, bare ids as
``{"id": …}``, every entry that is no reference recorded with why."""

from __future__ import annotations

from typing import Any

import pytest

from auditor import embedded
from auditor.unknown import UnknownValue

SUBNET = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v/subnets/a"


def _as_list_spec(value: Any, rtype: str | None) -> tuple[list[str], list[embedded.Failed]]:
    """What reading the list through the generic list reader gives."""
    if isinstance(value, list):
        value = [{"id": v} if isinstance(v, str) else v for v in value]
    return embedded.read_list(value, embedded.ref_list("subnets", rtype))


HOSTILE: list[Any] = [
    None,
    "not a list",
    7,
    {"id": SUBNET},
    [],
    [SUBNET, f"  {SUBNET}  ", {"id": SUBNET}, {"id": f" {SUBNET}/ "}],
    [None, 3, 2.5, True, [], "", "   ", "relative/id", {"id": None}, {"name": "n"}],
    [{"id": 5, "name": "five"}, {"id": "", "name": 7}, {"id": "x", "name": "x"}],
    [UnknownValue("known after apply"), {"id": UnknownValue("later")}],
    ["/subscriptions/s/providers/Microsoft.Network/networkInterfaces/n", SUBNET],
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("rtype", [None, embedded.SUBNET_TYPE])
def test_read_refs_reads_as_the_list_reader_does(value: Any, rtype: str | None) -> None:
    assert embedded.read_refs(value, "subnets", rtype) == _as_list_spec(value, rtype)


def test_read_refs_records_each_bad_entry() -> None:
    good, bad = embedded.read_refs([SUBNET, 3, {"id": "x", "name": "n"}], "subnets", None)
    assert good == [SUBNET]
    assert [(f.index, f.name) for f in bad] == [(1, None), (2, "n")]
    assert bad[0].why == "it is a number, not an object"
    assert bad[1].why == "its entry is not a reference to a resource (a string)"
