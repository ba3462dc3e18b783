"""Relations declare the fields their items carry, and rules are held to them when they
load: a typo in a field (``need.linkd``, ``it.edge.stauts``) is exit 2 with a did-you-mean,
never a rule that quietly reads "absent" and reports false findings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor import core
from auditor.model import EDGE_KINDS, NODE_KINDS, ROW_FIELDS
from auditor.relations import RELATIONS, Item, Unknown
from auditor.rules import RuleFileError, compile_rule, load_rules

from .conftest import FIXTURES, ROOT

DNS_RULE = ROOT / "rules" / "MLA-DNS-001.yaml"
ESTATES = [
    FIXTURES / "reference-terraform.json",
    FIXTURES / "reference-good.json",
    *sorted((FIXTURES / "rules").glob("*/fail.json")),
    *sorted((FIXTURES / "rules").glob("*/pass.json")),
]


def rule_with(**over: Any) -> dict[str, Any]:
    spec = yaml.safe_load(DNS_RULE.read_text(encoding="utf-8"))
    spec.update(over)
    return spec


def test_every_relation_declares_what_its_items_carry() -> None:
    for rel in RELATIONS.values():
        assert rel.kinds <= set(NODE_KINDS), rel.name
        assert rel.doc, rel.name
        assert rel.edge is None or rel.edge in EDGE_KINDS, rel.name
        # a declared field must not hide a row field of the same name (paths would be
        # ambiguous between the computed value and the resource's row)
        if rel.node:
            clash = {f.lower() for f in rel.fields} & {f.lower() for f in ROW_FIELDS}
            assert not clash, (rel.name, clash)


def _check_items(name: str, items: list[Item] | Unknown) -> int:
    rel = RELATIONS[name]
    if isinstance(items, Unknown):
        assert items.reasons, name
        return 0
    for item in items:
        assert set(item.extra) <= rel.fields, (name, set(item.extra) - rel.fields)
        if item.edge is not None:
            assert rel.edge is not None, name
            assert set(item.edge) <= set(rel.edge_fields), (name, set(item.edge))
        if item.node is not None:
            assert rel.node, f"{name}: an item is a resource, but the relation says not"
    return len(items)


@pytest.mark.parametrize("estate", ESTATES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_items_carry_only_declared_fields(estate: Path) -> None:
    """Every relation, on every node it applies to in every fixture estate: an item field
    the relation does not declare would be one rules cannot name."""
    graph = core.audit([estate], rules=[]).graph
    for name, rel in RELATIONS.items():
        for kind in rel.kinds:
            nodes = graph.nodes_of_kind(kind) if NODE_KINDS[kind].arm_type else []
            for node in nodes:
                _check_items(name, rel.fn(graph, node))


def test_fixtures_exercise_every_relation() -> None:
    """The check above means something only if each relation yields items somewhere."""
    yielded = dict.fromkeys(RELATIONS, 0)
    for estate in ESTATES:
        graph = core.audit([estate], rules=[]).graph
        for name, rel in RELATIONS.items():
            for kind in rel.kinds:
                if NODE_KINDS[kind].arm_type:
                    for node in graph.nodes_of_kind(kind):
                        yielded[name] += _check_items(name, rel.fn(graph, node))
    assert [n for n, count in yielded.items() if not count] == []


@pytest.mark.parametrize(
    ("over", "words"),
    [
        (
            {"assert": {"path": "need.linkd", "equals": True}},
            "assert.path: path 'need.linkd': an item of relation 'required_links' has no "
            "field 'linkd' (did you mean 'linked'?)",
        ),
        (
            {"assert": {"path": "need.Linked", "equals": True}},
            "the field is 'linked'",
        ),
        (
            {
                "assert": {
                    "relation": "private_endpoints",
                    "on": "subject",
                    "where": {"path": "it.Edge.status", "equals": "Approved"},
                    "exists": True,
                },
                "resource_types": ["microsoft.storage/storageaccounts"],
                "each": None,
                "message": "m",
                "remediation": {"summary": "s", "terraform": "t", "cli": "c"},
            },
            "the field is 'edge'",
        ),
        (
            {"message": "{need.vnet_nme}"},
            "has no field 'vnet_nme' (did you mean 'vnet_name'?)",
        ),
        (
            {"assert": {"path": "subject.propertes.x", "exists": True}},
            "a resource row has no field 'propertes' (did you mean 'properties'?)",
        ),
        (
            {
                "assert": {
                    "relation": "private_endpoints",
                    "on": "subject",
                    "where": {"path": "it.edge.stauts", "equals": "Approved"},
                    "exists": True,
                },
                "resource_types": ["microsoft.storage/storageaccounts"],
                "each": None,
                "message": "m",
                "remediation": {"summary": "s", "terraform": "t", "cli": "c"},
            },
            "edge 'targets' has no attribute 'stauts' (did you mean 'status'?)",
        ),
        (
            {
                "each": {"relation": "expected_zones", "as": "z"},
                "resource_types": ["microsoft.network/privateendpoints"],
                "assert": {"path": "z.name", "exists": True},
                "message": "m",
                "remediation": {"summary": "s", "terraform": "t", "cli": "c"},
            },
            "an item of relation 'expected_zones' has no field 'name'",
        ),
    ],
)
def test_a_field_typo_is_refused_when_the_rule_loads(over: dict[str, Any], words: str) -> None:
    spec = {k: v for k, v in rule_with(**over).items() if v is not None}
    with pytest.raises(RuleFileError) as err:
        compile_rule(spec, "rules/MLA-DNS-001.yaml")
    assert words in str(err.value)


@pytest.mark.parametrize(
    ("over", "words"),
    [
        ({"each": {"relation": "required_links", "as": "subject"}}, "each.as: 'subject'"),
        (
            {
                "assert": {
                    "relation": "required_links",
                    "on": "subject",
                    "as": "need",
                    "where": {"path": "need.linked", "equals": True},
                    "exists": True,
                }
            },
            "assert.as: 'need' is already bound here",
        ),
    ],
)
def test_a_binding_cannot_shadow_another(over: dict[str, Any], words: str) -> None:
    """``as: subject`` would make every later ``subject.*`` path read the item instead."""
    with pytest.raises(RuleFileError) as err:
        compile_rule(rule_with(**over), "rules/MLA-DNS-001.yaml")
    assert words in str(err.value)


def test_reusing_a_name_that_binds_nothing_new_is_fine() -> None:
    """A relation test without ``where`` binds no items, so ``as: need`` shadows nothing."""
    spec = rule_with(
        assert_={
            "all": [
                {"path": "need.linked", "equals": True},
                {"relation": "required_links", "on": "subject", "as": "need", "exists": True},
            ]
        }
    )
    spec["assert"] = spec.pop("assert_")
    assert compile_rule(spec, "rules/MLA-DNS-001.yaml").id == "MLA-DNS-001"


def test_every_shipped_rule_names_only_declared_fields() -> None:
    assert len(load_rules()) == len(list((ROOT / "rules").glob("*.yaml")))


def test_a_user_rule_with_a_typo_is_exit_2(tmp_path: Path) -> None:
    """``--rules DIR`` rules have no fixtures to catch a typo: loading must."""
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    spec = rule_with(id="MLA-DNS-901", assert_={"path": "need.linkd", "equals": True})
    spec["assert"] = spec.pop("assert_")
    (rules_dir / "MLA-DNS-901.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "scan",
            "--snapshot",
            str(FIXTURES / "reference-good.json"),
            "--rules",
            str(rules_dir),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "MLA-DNS-901.yaml: assert.path: path 'need.linkd'" in done.stderr
    assert "did you mean 'linked'?" in done.stderr
