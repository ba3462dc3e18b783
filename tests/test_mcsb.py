"""Microsoft cloud security benchmark control ids on the rules: every built-in names its
controls, a wrong id stops the load, and the ids reach the JSON report, SARIF and the rule
listings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor import mcsb
from auditor.rules import RuleFileError, check_id, compile_rule, load_rules, read_yaml

from .conftest import FIXTURES, ROOT
from .test_custom_prefix import ORG_RULE, rule_dir
from .test_inputs import assert_one_line_error, run_cli

GOOD = str(FIXTURES / "reference-good.json")


def test_every_builtin_rule_names_mcsb_v1_controls() -> None:
    for rule in load_rules():
        assert rule.spec.mcsb, f"{rule.id} names no MCSB control"
        for control in rule.spec.mcsb:
            assert control in mcsb.CONTROLS, (rule.id, control)
            assert control in mcsb.TITLES, f"{rule.id}: {control} has no title to show"


def test_a_rule_names_at_least_the_controls_microsoft_puts_its_policies_in() -> None:
    """The built-in MCSB initiative groups a definition under controls; a rule that names
    that definition as its equivalent serves (at least) those controls."""
    data = (ROOT / "auditor" / "builtin_policies.json").read_text(encoding="utf-8")
    known = json.loads(data)["definitions"]
    checked = 0
    for rule in load_rules():
        for ref in rule.spec.policy:
            groups = known[ref.id].get("mcsbInitiativeGroups", [])
            missing = set(groups) - set(rule.spec.mcsb)
            assert not missing, f"{rule.id}: {ref.id} is in MCSB {sorted(missing)}"
            checked += bool(groups)
    assert checked >= 15  # most referenced built-ins are in the MCSB initiative


def test_the_control_set_is_mcsb_v1() -> None:
    assert len(mcsb.CONTROLS) == 85  # the built-in initiative's groups
    assert {"NS-1", "NS-10", "IM-9", "GS-10", "DS-7"} <= mcsb.CONTROLS
    assert not {"NS-11", "NS-0", "DP-9", "ES-4"} & mcsb.CONTROLS
    assert sorted(["NS-10", "NS-2", "DP-8"], key=mcsb.order) == ["DP-8", "NS-2", "NS-10"]
    assert {c.split("-")[0] for c in mcsb.CONTROLS} == set(mcsb.DOMAINS)  # each domain named


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("[NS-11]", ["mcsb", "NS-11", "NS-1 to NS-10"]),
        ("[NS2]", ["mcsb", "not an MCSB control id"]),
        ("[ns-2]", ["mcsb", "not an MCSB control id"]),
        ("[NS-2, NS-2]", ["mcsb", "twice"]),
        ("NS-2", ["mcsb", "list"]),
        ("[2]", ["mcsb"]),
    ],
)
def test_a_wrong_control_id_stops_the_load(value: str, words: list[str], tmp_path: Path) -> None:
    path = tmp_path / "ORG-STG-001.yaml"
    text = ORG_RULE.format(id="ORG-STG-001").replace(
        "category: public-access\n", f"category: public-access\nmcsb: {value}\n"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        compile_rule(read_yaml(path), str(path))
    message = str(err.value)
    for word in words:
        assert word.lower() in message.lower(), message


def test_mcsb_is_optional_for_a_custom_rule_and_required_of_a_builtin(tmp_path: Path) -> None:
    path = rule_dir(tmp_path / "org", "ORG-STG-001") / "ORG-STG-001.yaml"
    rule = compile_rule(read_yaml(path), str(path))
    assert rule.spec.mcsb == []
    check_id(rule, path, builtin=False)  # a custom rule: fine without
    builtin = tmp_path / "MLA-STG-009.yaml"
    builtin.write_text(ORG_RULE.format(id="MLA-STG-009"), encoding="utf-8")
    rule = compile_rule(read_yaml(builtin), str(builtin))
    with pytest.raises(RuleFileError, match="mcsb: a built-in rule names"):
        check_id(rule, builtin, builtin=True)


def test_a_bad_custom_rule_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = rule_dir(tmp_path / "org", "ORG-STG-001")
    path = org / "ORG-STG-001.yaml"
    path.write_text(
        path.read_text().replace(
            "category: public-access\n", "category: public-access\nmcsb: [XX-1]\n"
        )
    )
    code, out, err = run_cli(["rules", "list", "--rules", str(org)], capsys)
    assert_one_line_error(code, out, err, path, ["mcsb", "XX-1"])


def test_the_controls_reach_the_json_report_and_sarif(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = tmp_path / "org"
    rule_dir(org, "ORG-STG-001")
    path = org / "ORG-STG-001.yaml"
    path.write_text(
        path.read_text().replace(
            "category: public-access\n", "category: public-access\nmcsb: [NS-2, DP-3]\n"
        )
    )
    report, sarif = tmp_path / "r.json", tmp_path / "r.sarif"
    code, _, err = run_cli(
        ["scan", "--snapshot", GOOD, "--rules", str(org), "--fail-on", "none", "--quiet",
         "--output", f"json:{report}", "--output", f"sarif:{sarif}"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    rules = {r.id: r for r in load_rules([org])}
    entries = {e["rule_id"]: e for e in json.loads(report.read_text())["rules"]}
    assert entries["ORG-STG-001"]["mcsb"] == ["NS-2", "DP-3"]
    for rid, entry in entries.items():
        assert entry["mcsb"] == rules[rid].spec.mcsb
        assert list(entry)[:5] == ["rule_id", "status", "severity", "category", "mcsb"]
    (run,) = json.loads(sarif.read_text())["runs"]
    for descriptor in run["tool"]["driver"]["rules"]:
        controls = rules[descriptor["id"]].spec.mcsb
        props = descriptor["properties"]
        assert props["mcsb"] == controls
        assert [t for t in props["tags"] if t.startswith("mcsb/")] == [
            f"mcsb/{c}" for c in controls
        ]
        assert len(props["tags"]) <= 10 and all(" " not in t for t in props["tags"])
        assert f"**MCSB v1** {controls[0]}" in descriptor["help"]["markdown"]


def test_the_controls_reach_the_rule_listings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["rules", "list", "--format", "json"], capsys)
    assert code == 0
    doc = json.loads(out)
    by_id = {r["id"]: r for r in doc["rules"]}
    assert by_id["MLA-KV-001"]["mcsb"] == ["NS-2", "DP-8"]
    assert all(r["mcsb"] for r in doc["rules"])
    assert list(by_id["MLA-KV-001"])[:5] == ["id", "title", "severity", "category", "mcsb"]
    code, out, _ = run_cli(["rules", "show", "MLA-DNS-001"], capsys)
    assert code == 0
    assert (
        "**MCSB v1** NS-2 (Secure cloud native services with network controls), "
        "NS-10 (Ensure Domain Name System (DNS) security)"
    ) in out
