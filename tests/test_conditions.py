"""The rule condition language: compile-time errors and three-valued evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor import graph, inputs
from auditor.conditions import SUBJECT, ConditionError, Context, compile_condition
from auditor.relations import Item, Unknown
from auditor.rules import RuleFileError, compile_rule

from . import builders as b

STORAGE = b.storage("st1")


def evaluate(cond: Any, row: dict[str, Any], tmp_path: Path, extra_rows: list[Any] = ()) -> Any:
    path = tmp_path / "e.json"
    path.write_text(json.dumps([row, *extra_rows]))
    g = graph.build(inputs.load([path]))
    compiled = compile_condition(cond, "assert", SUBJECT)
    ctx = Context(g, {}).bind("subject", Item(key=row["id"], node=row["id"].lower()))
    return compiled.eval(ctx)


def with_props(**props: Any) -> dict[str, Any]:
    return {**STORAGE, "properties": props}


@pytest.mark.parametrize(
    ("cond", "props", "expected"),
    [
        (
            {"path": "subject.properties.publicNetworkAccess", "equals": "Disabled"},
            {"publicNetworkAccess": "disabled"},
            True,
        ),  # case-insensitive
        ({"path": "subject.properties.publicNetworkAccess", "equals": "Disabled"}, {}, False),
        ({"path": "subject.properties.publicNetworkAccess", "not_equals": "Disabled"}, {}, True),
        ({"path": "subject.properties.x", "equals": True}, {"x": "True"}, True),  # "true" is true
        ({"path": "subject.properties.x", "equals": False}, {"x": 0}, False),  # 0 is no boolean
        ({"path": "subject.properties.x", "equals": True}, {"x": 1}, False),
        ({"path": "subject.properties.x", "in": [False]}, {"x": 0}, False),
        ({"path": "subject.properties.x", "not_equals": True}, {"x": 1}, True),
        ({"path": "subject.properties.n", "equals": 1}, {"n": 1}, True),
        ({"path": "subject.properties.x", "equals": False, "default": False}, {}, True),
        ({"path": "subject.properties.x", "exists": True}, {"x": []}, False),
        ({"path": "subject.properties.x", "exists": False}, {"x": None}, True),
        ({"path": "subject.properties.n", "gte": 2}, {"n": "3"}, True),
        (
            {"path": "subject.properties.a[*].s", "equals": "Approved"},
            {"a": [{"s": "Pending"}, {"s": "Approved"}]},
            True,
        ),
        (
            {"path": "subject.properties.a[*].s", "equals": "Approved", "match": "all"},
            {"a": [{"s": "Pending"}, {"s": "Approved"}]},
            False,
        ),
        (
            {"path": "subject.properties.a[*].s", "not_in": ["Rejected"]},
            {"a": [{"s": "Pending"}, {"s": "Rejected"}]},
            False,
        ),
        (
            {"path": "subject.properties.a[1].s", "matches": "^appr"},
            {"a": [{"s": "Pending"}, {"s": "Approved"}]},
            True,
        ),
        (
            {"path": "subject.properties.WORKSPACEResourceId", "exists": True},
            {"WorkspaceResourceId": "/x"},
            True,
        ),  # keys fall back to case-insensitive
        (
            {
                "any": [
                    {"path": "subject.properties.a", "equals": 1},
                    {"path": "subject.properties.b", "equals": 2},
                ]
            },
            {"b": 2},
            True,
        ),
        ({"not": {"path": "subject.properties.a", "equals": 1}}, {"a": 1}, False),
        (True, {}, True),
    ],
)
def test_evaluation(cond: Any, props: dict[str, Any], expected: bool, tmp_path: Path) -> None:
    assert evaluate(cond, with_props(**props), tmp_path) is expected


def test_absent_unknown_and_kleene_logic(tmp_path: Path) -> None:
    unknown = {"path": "subject.properties.x", "equals": 1, "absent": "unknown"}
    row = with_props()
    assert isinstance(evaluate(unknown, row, tmp_path), Unknown)
    assert evaluate({"all": [unknown, False]}, row, tmp_path) is False
    assert evaluate({"any": [unknown, True]}, row, tmp_path) is True
    assert isinstance(evaluate({"all": [unknown, True]}, row, tmp_path), Unknown)
    assert isinstance(evaluate({"not": unknown}, row, tmp_path), Unknown)


def test_relation_on_a_placeholder_is_unknown(tmp_path: Path) -> None:
    """A workspace outside the estate: its properties are unknown, not absent."""
    ws = b.rid("rg", "Microsoft.MachineLearningServices/workspaces/ws-elsewhere")
    compute = {
        "id": f"{ws}/computes/c1",
        "name": "c1",
        "type": "Microsoft.MachineLearningServices/workspaces/computes",
        "properties": {"computeType": "AmlCompute", "properties": {}},
    }
    cond = {
        "relation": "workspace",
        "exists": True,
        "where": {"path": "it.properties.managedNetwork.isolationMode", "equals": "Disabled"},
    }
    got = evaluate(cond, compute, tmp_path)
    assert isinstance(got, Unknown)
    assert "not in the estate" in got.reasons[0]


def test_relation_count(tmp_path: Path) -> None:
    ws = {
        "id": b.rid("rg", "Microsoft.MachineLearningServices/workspaces/ws"),
        "name": "ws",
        "type": "microsoft.machinelearningservices/workspaces",
        "properties": {},
    }
    pes = []
    for i, status in enumerate(["Approved", "Pending", "Approved"]):
        pes += b.endpoint(
            f"pe{i}", "/s/x/subnets/y", ws["id"], "amlworkspace", f"10.0.0.{i + 4}", status
        )
    approved = {"path": "it.edge.status", "equals": "Approved"}
    assert (
        evaluate(
            {"relation": "private_endpoints", "where": approved, "count": {"equals": 2}},
            ws,
            tmp_path,
            pes,
        )
        is True
    )
    assert (
        evaluate({"relation": "private_endpoints", "count": {"gte": 4}}, ws, tmp_path, pes) is False
    )


@pytest.mark.parametrize(
    ("cond", "words"),
    [
        (
            {"path": "subject.properties.x", "equal": 1},
            "unknown operator 'equal' (did you mean 'equals'?)",
        ),
        ({"path": "properties.x", "equals": 1}, "must start with one of subject"),
        ({"path": "subject.x", "equals": 1, "in": [1]}, "exactly one operator"),
        ({"path": "subject.x", "in": 1}, "must be a list"),
        ({"path": "subject.x", "matches": "("}, "bad regular expression"),
        ({"all": []}, "non-empty list"),
        ({"all": [True], "not": True}, "stands alone"),
        ({"relation": "no_such", "exists": True}, "unknown relation 'no_such'"),
        (
            {"relation": "peerings", "exists": True, "count": {"gte": 1}},
            "exactly one of exists or count",
        ),
        ({"whatever": 1}, "unknown condition keys whatever"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_compile_errors_name_the_field(cond: Any, words: str) -> None:
    with pytest.raises(ConditionError) as err:
        compile_condition({"all": [True, cond]}, "assert", SUBJECT)
    assert words in str(err.value)
    assert str(err.value).startswith("assert.all[1]")


def minimal_rule(**over: Any) -> dict[str, Any]:
    spec = {
        "id": "ORG-TST-001",
        "title": "t",
        "severity": "low",
        "category": "public-access",
        "resource_types": ["microsoft.storage/storageaccounts"],
        "assert": {"path": "subject.properties.x", "equals": 1},
        "message": "{subject.name}",
        "rationale": "r",
        "remediation": {"summary": "s", "terraform": "t", "cli": "c"},
        "references": [{"title": "d", "url": "https://learn.microsoft.com/x"}],
    }
    spec.update(over)
    return spec


@pytest.mark.parametrize(
    ("over", "words"),
    [
        ({"severity": "urgent"}, "severity"),
        ({"category": "misc"}, "category"),
        ({"id": "X-1"}, "prefix of 2-16 upper-case letters"),
        ({"id": "org-dns-001"}, "e.g. ORG-DNS-001"),
        ({"id": "ORG_DNS_001"}, "prefix of 2-16 upper-case letters"),
        ({"resource_types": ["microsoft.foo/bars"]}, "unknown resource type"),
        ({"colour": "red"}, "colour: unknown field"),
        ({"message": "{zone.name}"}, "must start with one of subject"),
        ({"each": {"relation": "peerings"}}, "does not apply to storage_account"),
        ({"assert": {"relation": "peerings", "exists": True}}, "does not apply to storage_account"),
        ({"references": []}, "references"),
    ],
)
def test_rule_file_errors(over: dict[str, Any], words: str) -> None:
    with pytest.raises(RuleFileError) as err:
        compile_rule(minimal_rule(**over), "rules/ORG-TST-001.yaml")
    assert words in str(err.value)
    assert str(err.value).startswith("rules/ORG-TST-001.yaml: ")


def test_rule_file_name_must_match_id() -> None:
    with pytest.raises(RuleFileError, match="does not match the file name"):
        compile_rule(minimal_rule(), "rules/other.yaml")


def _storage_with_remote_endpoints(count: int) -> dict[str, Any]:
    """A storage account approved for ``count`` endpoints the estate does not hold."""
    st = b.storage("st")
    remote = "/subscriptions/9/resourceGroups/r/providers/Microsoft.Network/privateEndpoints"
    st["properties"]["privateEndpointConnections"] = [
        {
            "properties": {
                "privateEndpoint": {"id": f"{remote}/pe{i}"},
                "privateLinkServiceConnectionState": {"status": "Approved"},
            }
        }
        for i in range(count)
    ]
    return st


def test_count_equals_with_undecided_items_is_unknown(tmp_path: Path) -> None:
    """Two endpoints outside the estate: whether exactly one is in a subnet is unknown."""
    st = _storage_with_remote_endpoints(2)
    in_subnet = {"path": "it.properties.subnet.id", "exists": True}
    cond = {"relation": "private_endpoints", "where": in_subnet, "count": {"equals": 1}}
    assert isinstance(evaluate(cond, st, tmp_path), Unknown)
    assert isinstance(evaluate({"not": cond}, st, tmp_path), Unknown)


def test_on_key_survives_yaml(tmp_path: Path) -> None:
    """YAML 1.1 reads a bare `on` as a boolean; rule files read it as the key it is."""
    rule = tmp_path / "ORG-TST-002.yaml"
    rule.write_text(
        "id: ORG-TST-002\ntitle: t\nseverity: low\ncategory: peering\n"
        "resource_types: [microsoft.network/virtualnetworks]\n"
        "assert: {relation: peerings, on: subject, exists: true}\nmessage: m\nrationale: r\n"
        "remediation: {summary: s, terraform: t, cli: c}\n"
        "references: [{title: d, url: 'https://learn.microsoft.com/x'}]\n",
        encoding="utf-8",
    )
    from auditor.rules import load_rules

    assert "ORG-TST-002" in [r.id for r in load_rules([tmp_path])]


def test_relation_name_must_be_a_string() -> None:
    with pytest.raises(ConditionError, match="unknown relation"):
        compile_condition({"relation": ["peerings"], "exists": True}, "assert", SUBJECT)


class _Text(str):
    """A str subclass: the fast text paths must treat it as text, as _norm does."""


_ACTUALS: list[Any] = [
    "Disabled",
    " disabled ",
    "DISABLED",
    "enabled",
    "",
    "true",
    " TRUE ",
    "False",
    _Text(" Disabled"),
    True,
    False,
    0,
    1,
    1.0,
    None,
    [],
    ["disabled"],
    {},
    {"a": 1},
]


@pytest.mark.parametrize("expected", ["Disabled", "true", "FALSE", True, False, 1, 0, None])
@pytest.mark.parametrize("op", ["equals", "not_equals"])
def test_equality_fast_paths_agree_with_the_definition(op: str, expected: Any) -> None:
    """equals/not_equals are compiled per expected value (text, boolean, other); each
    must say what normalising both sides and comparing with booleans apart says."""
    from auditor.conditions import OPERATORS, _norm, _same

    test = OPERATORS[op](expected)
    for actual in _ACTUALS:
        same = _same(_norm(actual), _norm(expected))
        assert test(actual) is (same if op == "equals" else not same), (actual, expected)


@pytest.mark.parametrize(
    "expected", [["Disabled", "x"], ["true", "Disabled"], [True, "Disabled"], [0, 1], []]
)
@pytest.mark.parametrize("op", ["in", "not_in"])
def test_membership_fast_paths_agree_with_the_definition(op: str, expected: list[Any]) -> None:
    from auditor.conditions import OPERATORS, _norm, _same

    test = OPERATORS[op](expected)
    for actual in _ACTUALS:
        hit = any(_same(_norm(actual), _norm(e)) for e in expected)
        assert test(actual) is (hit if op == "in" else not hit), (actual, expected)


@pytest.mark.parametrize(
    ("cond", "props", "expected"),
    [
        ({"path": "subject.properties.x", "exists": True, "absent": "unknown"}, {}, None),
        ({"path": "subject.properties.x", "exists": False, "default": "y"}, {}, False),
        ({"path": "subject.properties.x", "equals": "Y", "default": "y"}, {}, True),
        ({"path": "subject.properties.x", "equals": "y", "default": "y"}, {"x": "n"}, False),
        ({"path": "subject.properties.x", "not_equals": "y", "absent": "unknown"}, {}, None),
        ({"path": "subject.properties.x", "equals": None}, {}, True),  # absent reads as null
        ({"path": "subject.properties.x.y", "equals": "a"}, {"x": {"Y": "A"}}, True),
        ({"path": "subject.properties.x.y", "equals": "a"}, {"x": ["a"]}, False),
        ({"path": "subject.properties.a[*]", "exists": True}, {"a": [[], {}, ""]}, False),
        ({"path": "subject.properties.a[*]", "exists": True}, {"a": [[], 0]}, True),
        # negative operators: none of the values is the expected one (absent: null)
        ({"path": "subject.properties.a[*]", "not_equals": "x"}, {"a": ["y", " X"]}, False),
        ({"path": "subject.properties.a[*]", "not_equals": "x"}, {"a": ["y", "z"]}, True),
        ({"path": "subject.properties.a[*]", "not_in": ["x", "z"]}, {"a": ["y", "Z"]}, False),
        ({"path": "subject.properties.a[*]", "not_in": ["x", "z"]}, {"a": ["y", "w"]}, True),
        ({"path": "subject.properties.a[*]", "not_equals": "x"}, {"a": []}, True),
        ({"path": "subject.properties.x", "not_equals": False}, {"x": 0}, True),
        ({"path": "subject.properties.a[*]", "equals": "x", "match": "all"}, {"a": ["X"]}, True),
        ({"path": "subject.properties.a[*]", "in": ["x"], "match": "all"}, {"a": ["x", 1]}, False),
    ],
)
def test_compiled_reads_keep_absent_default_and_case(
    cond: Any, props: dict[str, Any], expected: bool | None, tmp_path: Path
) -> None:
    """A compiled comparison reads a path as the general walk does (a key of another case,
    a list where a mapping was expected) and an absent value as default, null or unknown."""
    got = evaluate(cond, with_props(**props), tmp_path)
    if expected is None:
        assert isinstance(got, Unknown)
    else:
        assert got is expected


def test_relation_exists_with_only_undecided_items_is_unknown(tmp_path: Path) -> None:
    """Endpoints outside the estate decide nothing: one of them may be in a subnet or not,
    so neither 'some is' nor 'none is' holds — unless a decided one settles it."""
    st = _storage_with_remote_endpoints(2)
    in_subnet = {"path": "it.properties.subnet.id", "exists": True}
    for exists in (True, False):
        cond = {"relation": "private_endpoints", "where": in_subnet, "exists": exists}
        got = evaluate(cond, st, tmp_path)
        assert isinstance(got, Unknown)
        assert len(got.reasons) == 2 and all("not in the estate" in r for r in got.reasons)
    any_status = {"path": "it.edge.status", "equals": "approved"}
    cond = {"relation": "private_endpoints", "where": any_status, "exists": True}
    assert evaluate(cond, st, tmp_path) is True


@pytest.mark.parametrize("name", ["reference-good", "reference-terraform"])
def test_rules_judged_together_record_what_each_records_alone(name: str) -> None:
    """evaluate() judges subject by subject, every rule of a type in turn, sharing the
    subject's binding and the relation cache: each rule must still record exactly what it
    records when it runs alone, its judged subjects in the order of its resource types
    and then of the estate."""
    from auditor.findings import Finding, NotEvaluated
    from auditor.rules import evaluate, load_rules

    fixture = Path(__file__).resolve().parent.parent / "fixtures" / f"{name}.json"
    rules = load_rules()
    together = evaluate(rules, graph.build(inputs.load([fixture])))
    findings: list[Finding] = []
    not_evaluated: list[NotEvaluated] = []
    for rule in rules:
        g = graph.build(inputs.load([fixture]))
        alone = evaluate([rule], g)
        (outcome,) = alone.outcomes
        assert next(o for o in together.outcomes if o.rule_id == rule.id) == outcome
        order = [
            g.display_id(n)
            for t in rule.spec.resource_types
            for n in [*g.nodes_of_type(t), *g.unseen_by_type.get(t, ())]
        ]
        subjects = set(order)
        judged = [j for j in outcome.judged if j in subjects]  # not the lacking parents
        remaining = iter(order)
        assert all(j in remaining for j in judged), rule.id  # in order: a subsequence
        findings += alone.findings
        not_evaluated += alone.not_evaluated
    assert sum(o.judged != [] for o in together.outcomes) > 10  # the estate judges much
    assert [f.to_dict() for f in together.findings] == [
        f.to_dict() for f in sorted(findings, key=Finding.sort_key)
    ]
    assert together.not_evaluated == sorted(not_evaluated, key=NotEvaluated.sort_key)


class _Answer(list):  # type: ignore[type-arg]
    """A relation's answer that a weak reference can follow."""


def _three_workspaces(tmp_path: Path) -> tuple[Any, list[str]]:
    """The graph of three bare workspaces (each a subject of the workspace rules), and
    their ids."""
    workspaces = [
        {
            "id": b.rid("rg", f"Microsoft.MachineLearningServices/workspaces/ws{i}"),
            "name": f"ws{i}",
            "type": "microsoft.machinelearningservices/workspaces",
            "properties": {},
        }
        for i in range(3)
    ]
    path = tmp_path / "e.json"
    path.write_text(json.dumps(workspaces))
    return graph.build(inputs.load([path])), [w["id"] for w in workspaces]


def test_relation_answers_are_shared_per_subject_and_then_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every rule that judges a subject shares one answer per relation (the relation runs
    once per subject), and the engine holds no answer past its subject: at 100k rows the
    answers kept to the end were ~50 MB."""
    import dataclasses
    import weakref

    from auditor import relations
    from auditor.rules import evaluate as evaluate_rules

    g, ids = _three_workspaces(tmp_path)
    real = relations.RELATIONS["private_endpoints"]
    asked: list[str] = []
    answers: list[weakref.ref[_Answer]] = []
    held: list[int] = []  # answers of earlier subjects still alive, as each subject asks

    def counting(g: Any, node: str) -> Any:
        asked.append(node)
        held.append(sum(ref() is not None for ref in answers))
        found = _Answer(real.fn(g, node))
        answers.append(weakref.ref(found))
        return found

    monkeypatch.setitem(
        relations.RELATIONS, "private_endpoints", dataclasses.replace(real, fn=counting)
    )
    ws_rule = {
        "resource_types": ["microsoft.machinelearningservices/workspaces"],
        "assert": {"relation": "private_endpoints", "exists": True},
    }
    rules = [
        compile_rule(minimal_rule(id=f"ORG-TST-00{i}", **ws_rule), f"ORG-TST-00{i}.yaml")
        for i in (1, 2)
    ]
    result = evaluate_rules(rules, g)
    assert sorted(asked) == sorted(i.lower() for i in ids)  # once each
    assert [o.failed for o in result.outcomes] == [3, 3]
    assert held == [0, 0, 0]


def test_relation_exists_is_decided_by_one_match_whatever_the_rest(tmp_path: Path) -> None:
    """One matching item decides ``exists`` both ways, however many items are undecided;
    no item at all is a count of 0."""
    st = _storage_with_remote_endpoints(2)
    any_status = {"path": "it.edge.status", "equals": "approved"}
    for exists in (True, False):
        cond = {"relation": "private_endpoints", "where": any_status, "exists": exists}
        assert evaluate(cond, st, tmp_path) is exists
    lone = with_props()
    assert evaluate({"relation": "private_endpoints", "exists": False}, lone, tmp_path) is True
    assert evaluate({"relation": "private_endpoints", "exists": True}, lone, tmp_path) is False
    none = {"relation": "private_endpoints", "count": {"equals": 0}}
    assert evaluate(none, lone, tmp_path) is True


def test_rules_with_the_same_where_share_its_verdict_per_subject(tmp_path: Path) -> None:
    """Rules of a type whose ``where`` is spelt alike run it once per subject: each still
    records its own verdict for every subject (never the previous subject's)."""
    from auditor.rules import evaluate as evaluate_rules

    kinds = ["Project", "Default", None, "Hub", "Project"]
    workspaces = [
        {
            "id": b.rid("rg", f"Microsoft.MachineLearningServices/workspaces/ws{i}"),
            "name": f"ws{i}",
            "type": "microsoft.machinelearningservices/workspaces",
            "properties": {},
            **({"kind": kind} if kind else {}),
        }
        for i, kind in enumerate(kinds)
    ]
    path = tmp_path / "e.json"
    path.write_text(json.dumps(workspaces))
    g = graph.build(inputs.load([path]))
    where = {"path": "subject.kind", "not_equals": "Project", "absent": "unknown"}
    spec = {
        "resource_types": ["microsoft.machinelearningservices/workspaces"],
        "where": where,
        "assert": False,
    }
    rules = [
        compile_rule(minimal_rule(id=f"ORG-TST-00{i}", **spec), f"ORG-TST-00{i}.yaml")
        for i in (1, 2)
    ]
    together = evaluate_rules(rules, g)
    for outcome in together.outcomes:
        assert (outcome.not_applicable, outcome.failed, outcome.not_evaluated) == (2, 2, 1)
        assert outcome.judged == [workspaces[i]["id"] for i in (1, 2, 3)]
    assert [n.resource_id for n in together.not_evaluated] == [workspaces[2]["id"]] * 2
    assert together.not_evaluated[0].reasons == together.not_evaluated[1].reasons
    alone = evaluate_rules(rules[:1], g)
    assert alone.outcomes[0] == together.outcomes[0]
    assert [f.resource_id for f in alone.findings] == [
        f.resource_id for f in together.findings if f.rule_id == "ORG-TST-001"
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [({1: "a"}, {"1": "a"}), (1, 1.0), (True, 1), ({1: "a", "b": 2}, {1: "a", "b": 2})],
)
def test_wheres_are_shared_only_when_spelt_alike(first: Any, second: Any, tmp_path: Path) -> None:
    """Two rules compare with values JSON would spell alike (``{1: a}`` and ``{"1": a}``)
    or a mapping of mixed keys: each rule records the verdict of its own where."""
    from auditor.rules import evaluate as evaluate_rules

    path = tmp_path / "e.json"
    path.write_text(json.dumps([with_props(x={"1": "a"}, y=1.0, z=1)]))
    g = graph.build(inputs.load([path]))
    rules = [
        compile_rule(
            minimal_rule(
                id=f"ORG-TST-00{i}",
                where={"any": [{"path": f"subject.properties.{p}", "equals": v} for p in "xyz"]},
            ),
            f"ORG-TST-00{i}.yaml",
        )
        for i, v in ((1, first), (2, second))
    ]
    together = evaluate_rules(rules, g)
    for rule, outcome in zip(rules, together.outcomes, strict=True):
        assert evaluate_rules([rule], g).outcomes[0] == outcome


def test_each_relation_asked_by_another_rule_is_shared_else_asked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule's ``each`` relation is asked once per subject, whether or not another rule
    of the type asks it too (then the answer is shared through the subject's cache)."""
    import dataclasses

    from auditor import relations
    from auditor.rules import evaluate as evaluate_rules

    g, ids = _three_workspaces(tmp_path)
    real = relations.RELATIONS["private_endpoints"]
    asked: list[str] = []

    def counting(g: Any, node: str) -> Any:
        asked.append(node)
        return real.fn(g, node)

    monkeypatch.setitem(
        relations.RELATIONS, "private_endpoints", dataclasses.replace(real, fn=counting)
    )
    ws = ["microsoft.machinelearningservices/workspaces"]
    each = compile_rule(
        minimal_rule(
            id="ORG-TST-001",
            resource_types=ws,
            each={"relation": "private_endpoints", "as": "pe"},
            **{"assert": False},
        ),
        "ORG-TST-001.yaml",
    )
    ask = compile_rule(
        minimal_rule(
            id="ORG-TST-002",
            resource_types=ws,
            **{"assert": {"relation": "private_endpoints", "exists": True}},
        ),
        "ORG-TST-002.yaml",
    )
    keys = sorted(i.lower() for i in ids)
    for rules in ([each], [each, ask]):
        asked.clear()
        result = evaluate_rules(rules, g)
        assert sorted(asked) == keys
        assert result.outcomes[0].passed == 3  # no endpoint: nothing to judge
