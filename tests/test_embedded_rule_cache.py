"""NSG rules are read once per distinct content (``embedded.security_rule``): the cache key
must tell apart values that Python compares equal (``1``, ``1.0``, ``true``) and must
take values marshal cannot write (a value known only after apply)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor import embedded, inputs
from auditor import graph as graph_stage
from auditor.unknown import UnknownValue


def _rule(priority: Any, ports: Any = "22") -> dict[str, Any]:
    return {
        "name": "allow-ssh",
        "properties": {
            "direction": "Inbound",
            "access": "Allow",
            "priority": priority,
            "protocol": "Tcp",
            "sourceAddressPrefix": "*",
            "sourcePortRange": "*",
            "destinationAddressPrefix": "*",
            "destinationPortRange": ports,
        },
    }


def test_equal_but_different_values_are_read_each_on_its_own() -> None:
    good, bad = embedded.read_list(
        [_rule(100), _rule(100.0), _rule(1), _rule(True), _rule(-0.0), _rule(0.0)],
        embedded.SECURITY_RULES,
    )
    assert [r.priority for r in good] == [100, 100, 1, 0, 0]
    assert [type(r.priority) for r in good] == [int] * 5
    assert [(f.index, f.why) for f in bad] == [
        (3, "its priority True is not an integer within 0-65535")
    ]


def test_a_value_known_only_after_apply_is_keyed_by_its_repr() -> None:
    unknown = UnknownValue("azurerm_thing.x.description")
    described = _rule(100)
    described["properties"]["description"] = unknown  # read past: the rule reads
    good, bad = embedded.read_list(
        [described, described, _rule(100, UnknownValue("azurerm_thing.x.port")), _rule(100)],
        embedded.SECURITY_RULES,
    )
    assert [r.ports for r in good] == [((22, 22),)] * 3
    assert [(f.index, f.why) for f in bad] == [
        (2, "its destinationPortRange is unknown: azurerm_thing.x.port")
    ]


def test_repeated_rules_share_one_properties_object_and_read_the_same() -> None:
    """A repeat's entry points at the first entry's equal properties (one copy held per
    distinct rule); an equal-but-different value (100.0) and a flattened entry (the fields
    beside ``name``, no ``properties``) are left as they are."""
    embedded._RULES_READ.clear()
    first, again, other = _rule(100), _rule(100), _rule(100.0)
    flat = {"name": "allow-ssh", **_rule(100)["properties"]}
    before = [dict(e) for e in (first, again, other, flat)]
    good, bad = embedded.read_list([first, again, other, flat], embedded.SECURITY_RULES)
    assert not bad and len(good) == 4
    assert again["properties"] is first["properties"]  # shared
    assert other["properties"] is not first["properties"]  # 100.0 is not 100
    assert "properties" not in flat  # a flattened entry gains no key
    assert [first, again, other, flat] == before  # every entry reads as it did
    assert type(other["properties"]["priority"]) is float


def test_a_rule_holding_a_value_known_only_after_apply_is_not_shared() -> None:
    embedded._RULES_READ.clear()
    a, b = _rule(100), _rule(100)
    for entry in (a, b):
        entry["properties"]["description"] = UnknownValue("azurerm_thing.x.description")
    embedded.read_list([a, b], embedded.SECURITY_RULES)
    assert a["properties"] is not b["properties"]  # keyed by repr: not proven equal


def test_estates_never_share_rule_objects_and_the_cache_keeps_none_alive(tmp_path: Path) -> None:
    """Two graphs built in one process: the second estate's rows are not pointed at the
    first's objects (a library caller may edit them in place between scans)."""
    nsg = {
        "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/"
        "networkSecurityGroups/n",
        "name": "n",
        "type": "microsoft.network/networksecuritygroups",
        "properties": {"securityRules": [_rule(100)]},
    }
    path = tmp_path / "estate.json"
    path.write_text(json.dumps([nsg]), encoding="utf-8")
    first = inputs.load([path], inputs.InputOptions())
    graph_stage.build(first)
    second = inputs.load([path], inputs.InputOptions())
    graph_stage.build(second)

    def props(estate: Any) -> dict[str, Any]:
        (row,) = estate.rows.values()
        return row["properties"]["securityRules"][0]["properties"]

    one, two = props(first), props(second)
    assert one == two and one is not two
    assert all(held is not one for _, held in embedded._RULES_READ.values())


def test_a_name_that_is_no_string_is_never_read_as_an_equal_looking_one() -> None:
    """The cache keys a rule's name as itself when it is a string, else by its repr: the
    string "100" and the number 100 (no name at all) are read each on its own."""
    embedded._RULES_READ.clear()
    named, numbered, quoted = _rule(100), _rule(100), _rule(100)
    named["name"], numbered["name"], quoted["name"] = "100", 100, "(100,)"
    good, bad = embedded.read_list([named, numbered, quoted], embedded.SECURITY_RULES)
    assert [r.name for r in good] == ["100", "(100,)"]
    assert [(f.index, f.why) for f in bad] == [(1, "its name is a number")]
