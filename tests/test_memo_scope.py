"""What the engine keeps of the relations' memo: estate-wide indexes while judging,
per-node answers only while their resource type is judged, nothing once judged."""

from __future__ import annotations

from typing import Any

import pytest

from auditor import core, rules
from auditor.relations.base import forget_node_answers, memoized

from .conftest import FIXTURES


class _Graph:
    def __init__(self) -> None:
        self.memo: dict[Any, Any] = {}


def test_forget_node_answers_keeps_one_word_keys_only() -> None:
    g: Any = _Graph()
    memoized(g, ("index",), lambda: {"a": 1})
    memoized(g, ("answer", "/subscriptions/s/x"), lambda: [1])
    memoized(g, ("pair", "a", "b"), lambda: 2)
    g.memo["odd"] = 3  # not a tuple: no index by the convention, so dropped
    forget_node_answers(g)
    assert g.memo == {("index",): {"a": 1}}
    # dropped answers are computed again when asked
    calls = []
    assert memoized(g, ("answer", "/subscriptions/s/x"), lambda: calls.append(1) or [2]) == [2]
    assert calls == [1]


def test_the_memo_is_empty_once_judged_and_per_node_answers_leave_between_types(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    estate = [str(FIXTURES / "reference-terraform.json")]
    seen: list[tuple[int, int]] = []  # per-node answers before and after each drop
    original = rules.forget_node_answers

    def spy(g: Any) -> None:
        before = sum(1 for k in g.memo if len(k) > 1)
        original(g)
        seen.append((before, sum(1 for k in g.memo if len(k) > 1)))

    monkeypatch.setattr(rules, "forget_node_answers", spy)
    run = core.audit(estate, fail_on="none")
    assert run.graph.memo == {}
    assert seen, "the engine never dropped per-node answers between types"
    assert any(before for before, _ in seen), "no per-node answer was ever held"
    assert all(after == 0 for _, after in seen)
    # the verdicts are those of a run that keeps every answer while judging
    monkeypatch.setattr(rules, "forget_node_answers", lambda g: None)
    kept = core.audit(estate, fail_on="none")

    def verdicts(r: Any) -> list[Any]:
        return [(o.rule_id, o.passed, o.failed, o.not_evaluated) for o in r.result.outcomes]

    assert verdicts(run) == verdicts(kept)
    assert [f.fingerprint for f in run.result.findings] == [
        f.fingerprint for f in kept.result.findings
    ]
