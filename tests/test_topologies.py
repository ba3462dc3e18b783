"""The tricky-topology suite: hand-built estates whose expected findings were written
before the code that finds them.

Each directory under ``fixtures/topologies/`` holds ``estate.json`` (rows, any input
format) and ``expect.json``::

    {
      "about": "what the topology tests, in a sentence",
      "rules": ["MLA-NSG-002", ...],            # the rules whose outcome is compared exactly
      "findings": [                              # exactly these findings of those rules
        {"rule": "MLA-NSG-002", "resource": "<ARM id>", "related": "<ARM id>",  # related optional
         "says": ["substring", ...]}             # optional: the message must contain each
      ],
      "not_evaluated": [{"rule": ..., "resource": ...}]   # optional: exactly these unknowns
    }

Resource ids compare case-insensitively; a finding not listed, or a listed one missing,
fails the topology. ``reach`` / ``resolve`` expectations in the same file are checked by
their commands' own tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor import audit

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "topologies"
TOPOLOGIES = sorted(p.name for p in ROOT.iterdir() if (p / "expect.json").is_file())


def _key(rule: str, resource: str | None, related: str | None = None) -> tuple[str, str, str]:
    return (rule, (resource or "").lower(), (related or "").lower())


def test_the_suite_is_not_empty() -> None:
    assert TOPOLOGIES, f"no topologies under {ROOT}"


@pytest.mark.parametrize("name", TOPOLOGIES)
def test_topology(name: str) -> None:
    expect = json.loads((ROOT / name / "expect.json").read_text())
    assert expect.get("about"), f"{name}: expect.json says nothing about what it tests"
    rules = expect["rules"]
    run = audit([ROOT / name / "estate.json"], select=rules)
    assert sorted(r.id for r in run.rules) == sorted(rules), f"{name}: unknown rule ids"

    wanted = {
        _key(f["rule"], f["resource"], f.get("related")): f for f in expect.get("findings", [])
    }
    exact = {f["rule"] for f in expect.get("findings", []) if "related" in f}
    got = {}
    for f in run.result.findings:
        related = f.related_id if f.rule_id in exact else None
        got[_key(f.rule_id, f.resource_id, related)] = f
    missing = sorted(set(wanted) - set(got))
    extra = sorted(set(got) - set(wanted))
    assert not missing and not extra, (
        f"{name}: missing findings {missing}; unexpected findings "
        + str([(k, got[k].message) for k in extra])
    )
    for k, spec in wanted.items():
        for text in spec.get("says", []):
            assert text in got[k].message, f"{name}: {k} says {got[k].message!r}, not {text!r}"

    if "not_evaluated" in expect:
        unknown = {_key(n.rule_id, n.resource_id) for n in run.result.not_evaluated}
        listed = {_key(n["rule"], n["resource"]) for n in expect["not_evaluated"]}
        assert unknown == listed, (
            f"{name}: not evaluated {sorted(unknown)}, expected {sorted(listed)}"
        )
