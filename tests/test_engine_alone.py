"""A rule judges alike alone and among others: the engine shares a ``where`` spelt alike,
a subject's relation answers, skips the cache for an ``each`` no other rule asks, and drops
per-node answers between types, and none of it may change one rule's verdicts, findings or
not-evaluated records. Users write their own rules, so the set includes the custom rules of
``bench/equivalence_rules`` (wheres spelt like the built-in rules' and each other's, each
over relations other rules ask, negative operators over lists, unknowns, several types)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from auditor import core, rules
from auditor.graph import AuditGraph

from .conftest import FIXTURES, ROOT

CUSTOM = ROOT / "bench" / "equivalence_rules"
ESTATES = [
    "reference-terraform.json",
    "topologies/nsg-asg/estate.json",
    "topologies/nsg-aml-compute/estate.json",
    "topologies/nsg-bastion-subnet/estate.json",
    "topologies/dns-hub-forwarders/estate.json",
    "topologies/dns-stale-record/estate.json",
    "topologies/peer-hub-spoke-clean/estate.json",
    "topologies/exp-lb-nat-ssh/estate.json",
]


def _verdicts(result: Any, rule_id: str) -> tuple[Any, ...]:
    (o,) = [o for o in result.outcomes if o.rule_id == rule_id]
    return (
        (o.subjects, o.passed, o.failed, o.not_applicable, o.not_evaluated, o.reason),
        list(o.judged),
        [dataclasses.asdict(f) for f in result.findings if f.rule_id == rule_id],
        [dataclasses.asdict(n) for n in result.not_evaluated if n.rule_id == rule_id],
    )


@pytest.mark.parametrize("estate", ESTATES)
def test_each_rule_judges_alone_as_among_all(estate: str) -> None:
    every = rules.load_rules([CUSTOM])
    assert any(r.id.startswith("ORG-XQ-") for r in every)
    loaded = core.audit([str(FIXTURES / estate)], rules=every, fail_on="none").graph.estate
    together = rules.evaluate(every, AuditGraph(loaded))
    judged = 0
    for rule in every:
        alone = rules.evaluate([rule], AuditGraph(loaded))
        got = _verdicts(together, rule.id)
        assert got == _verdicts(alone, rule.id), rule.id
        judged += bool(got[1])
    assert judged, "no rule judged anything: the estate does not test the engine"
