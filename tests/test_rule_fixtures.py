"""Every rule ships a failing and a passing fixture estate; both are checked here.

``fixtures/rules/<RULE_ID>/fail.json`` must make the rule report exactly the resources listed
in ``expect.json`` (``{"fail": [resource ids]}``), and ``pass.json`` must make it pass: judged,
with no finding and nothing left unevaluated.
"""

from __future__ import annotations

import json

import pytest

from auditor import arm
from auditor.rules import load_rules

from .conftest import FIXTURES, scan_files

RULE_IDS = [r.id for r in load_rules()]


def _outcome(result, rule_id):  # type: ignore[no-untyped-def]
    return next(o for o in result.outcomes if o.rule_id == rule_id)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_failing_fixture_fails(rule_id: str) -> None:
    folder = FIXTURES / "rules" / rule_id
    expected = json.loads((folder / "expect.json").read_text(encoding="utf-8"))["fail"]
    assert expected, "expect.json must name at least one failing resource"
    result = scan_files([folder / "fail.json"], select=[rule_id])
    got = sorted({arm.key(f.resource_id) for f in result.findings})
    assert got == sorted(arm.key(e) for e in expected)
    assert all(f.rule_id == rule_id for f in result.findings)
    assert not result.not_evaluated, result.not_evaluated


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_passing_fixture_passes(rule_id: str) -> None:
    folder = FIXTURES / "rules" / rule_id
    result = scan_files([folder / "pass.json"], select=[rule_id])
    assert result.findings == []
    assert result.not_evaluated == []
    outcome = _outcome(result, rule_id)
    assert outcome.status == "pass", outcome
