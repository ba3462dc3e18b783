"""Custom rules under an organisation's own id prefix (``ORG-``): judged, reported, selected,
suppressed and merged like built-in ones, while the built-in prefix ``MLA-`` stays reserved so
an upgrade that adds a built-in rule can never collide with a user's rule."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from auditor import rules

from .conftest import FIXTURES, ROOT
from .sarif_profile import problems
from .test_inputs import assert_one_line_error, run_cli

GOOD = str(FIXTURES / "reference-good.json")
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
RULE_ID = "ORG-STG-001"
ORG_RULE = """\
id: {id}
title: Storage account is not tagged with its owning team
severity: high
category: public-access
resource_types: [microsoft.storage/storageaccounts]
assert: {{path: subject.tags.team, exists: true}}
message: Storage account {{subject.name}} has no team tag.
rationale: Our organisation routes exposure findings to the owning team by tag.
remediation:
  summary: Tag {{subject.name}} with its team.
  terraform: 'tags = {{ team = "data" }}'
  cli: az storage account update --name {{subject.name}} --tags team=data
references:
  - title: Use tags to organize your Azure resources
    url: https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources
"""


def rule_dir(root: Path, *ids: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rid in ids:
        (root / f"{rid}.yaml").write_text(ORG_RULE.format(id=rid), encoding="utf-8")
    return root


@pytest.fixture
def org(tmp_path: Path) -> Path:
    return rule_dir(tmp_path / "org-rules", RULE_ID)


def test_an_org_rule_is_judged_and_reported_in_every_format(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = {f: tmp_path / f"r.{f}" for f in ("json", "sarif", "junit", "csv", "markdown", "ndjson")}
    args = ["scan", "--snapshot", GOOD, "--rules", str(org), "--fail-on", "none", "--quiet"]
    args += [a for f, p in out.items() for a in ("--output", f"{f}:{p}")]
    code, _, err = run_cli(args, capsys)
    assert (code, err) == (0, "")
    report = json.loads(out["json"].read_text(encoding="utf-8"))
    (outcome,) = [r for r in report["rules"] if r["rule_id"] == RULE_ID]
    assert (outcome["status"], outcome["failed"]) == ("fail", 1)
    (finding,) = [f for f in report["findings"] if f["rule_id"] == RULE_ID]
    assert finding["message"].endswith("has no team tag.") and len(finding["fingerprint"]) == 32
    assert any(r["rule_id"].startswith("MLA-") for r in report["rules"])  # built-ins ran too

    text = out["sarif"].read_text(encoding="utf-8")
    log = json.loads(text)
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert sorted(e.message for e in validator.iter_errors(log)) == []
    assert problems(log, text) == []
    run = log["runs"][0]
    descriptors = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert descriptors[RULE_ID]["helpUri"].startswith("https://learn.microsoft.com/")
    assert [r["ruleId"] for r in run["results"] if r["ruleId"] == RULE_ID] == [RULE_ID]

    junit = ET.fromstring(out["junit"].read_text(encoding="utf-8"))
    assert any(RULE_ID in (c.get("name", "") + c.get("classname", "")) for c in junit.iter())
    rows = list(csv.DictReader(io.StringIO(out["csv"].read_text(encoding="utf-8"))))
    assert RULE_ID in {v for row in rows for v in row.values()}
    assert RULE_ID in out["markdown"].read_text(encoding="utf-8")
    lines = [json.loads(x) for x in out["ndjson"].read_text(encoding="utf-8").splitlines()]
    assert RULE_ID in {x.get("RuleId") for x in lines}


def test_select_and_skip_by_the_org_prefix(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["scan", "--snapshot", GOOD, "--rules", str(org), "--format", "json"]
    code, out, _ = run_cli([*base, "--select", "org"], capsys)
    assert code != 2
    assert [r["rule_id"] for r in json.loads(out)["rules"]] == [RULE_ID]
    code, out, _ = run_cli([*base, "--skip", "ORG"], capsys)
    assert code != 2
    assert RULE_ID not in [r["rule_id"] for r in json.loads(out)["rules"]]


def test_a_rule_pattern_suppresses_the_org_rules(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    supp = tmp_path / "suppressions.yaml"
    supp.write_text(
        "suppressions:\n  - rule: ORG-*\n    justification: tagging is rolled out in Q3\n",
        encoding="utf-8",
    )
    args = ["scan", "--snapshot", GOOD, "--rules", str(org), "--format", "json"]
    code, out, err = run_cli([*args, "--suppressions", str(supp)], capsys)
    (finding,) = [f for f in json.loads(out)["findings"] if f["rule_id"] == RULE_ID]
    assert finding["suppression"]["justification"] == "tagging is rolled out in Q3"
    assert (code, err) == (0, "")  # ORG-* does not cover the built-in rules: no warning
    code, out, _ = run_cli(args, capsys)
    (finding,) = [f for f in json.loads(out)["findings"] if f["rule_id"] == RULE_ID]
    assert code == 1 and finding["suppression"] is None


def test_a_baseline_and_merge_carry_org_rules(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--snapshot", GOOD, "--rules", str(org), "--select", "ORG"]
    baseline = tmp_path / "baseline.json"
    code, _, err = run_cli(["baseline", *base, "--output", str(baseline)], capsys)
    assert code == 0 and "wrote a baseline of 1 finding" in err
    code, out, _ = run_cli(["scan", *base, "--baseline", str(baseline), "--format", "json"], capsys)
    (finding,) = json.loads(out)["findings"]
    assert finding["rule_id"] == RULE_ID and finding["baseline"] is not None and code == 0
    report = tmp_path / "r.json"
    run_cli(["scan", *base, "--fail-on", "none", "--output", f"json:{report}"], capsys)
    code, _, err = run_cli(["merge", str(report), "--format", "json"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "--rules" in err
    code, out, err = run_cli(
        ["merge", str(report), "--rules", str(org), "--format", "json", "--fail-on", "none"],
        capsys,
    )
    assert (code, err) == (0, ""), err
    assert RULE_ID in [f["rule_id"] for f in json.loads(out)["findings"]]


def test_rules_list_and_show_an_org_rule(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["rules", "list", "--rules", str(org)], capsys)
    assert code == 0 and RULE_ID in out
    code, out, _ = run_cli(["rules", "list", "--rules", str(org), "--format", "json"], capsys)
    assert RULE_ID in [r["id"] for r in json.loads(out)["rules"]]
    code, out, _ = run_cli(["rules", "show", RULE_ID, "--rules", str(org)], capsys)
    assert code == 0 and f"# {RULE_ID}:" in out


@pytest.mark.parametrize("rid", ["MLA-ZZZ-999", "MLA-STG-001", "MLA-ORG-CUSTOM"])
def test_the_builtin_prefix_is_reserved(
    rid: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Even an id no built-in has today: a later release may add it."""
    d = rule_dir(tmp_path / "mine", rid)
    for argv in (["scan", "--snapshot", GOOD], ["rules", "list"]):
        code, out, err = run_cli([*argv, "--rules", str(d)], capsys)
        words = [rid, "reserved for built-in rules", "own prefix"]
        assert_one_line_error(code, out, err, d / f"{rid}.yaml", words)


def test_two_custom_rules_with_one_id_name_both_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = rule_dir(tmp_path / "a", RULE_ID), rule_dir(tmp_path / "b", RULE_ID)
    code, out, err = run_cli(["rules", "list", "--rules", str(a), "--rules", str(b)], capsys)
    assert_one_line_error(code, out, err, b / f"{RULE_ID}.yaml", [RULE_ID, "already defined"])
    assert str(a / f"{RULE_ID}.yaml") in err


@pytest.mark.parametrize("rid", ["org-stg-001", "O-STG-001", "ORG", "ORG--1", "ORG_STG_001"])
def test_an_id_outside_the_grammar_is_refused(
    rid: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = rule_dir(tmp_path / "mine", rid)
    code, out, err = run_cli(["rules", "list", "--rules", str(d)], capsys)
    assert_one_line_error(code, out, err, d / f"{rid}.yaml", ["id", "ORG-DNS-001"])


def test_every_shipped_rule_uses_the_reserved_prefix() -> None:
    ids = [r.id for r in rules.load_rules()]
    assert ids and all(rules.BUILTIN_ID.fullmatch(i) for i in ids), ids
    assert all(i.startswith(rules.RESERVED_PREFIX) for i in ids)
    assert all(rules.RULE_ID.fullmatch(i) for i in ids)
