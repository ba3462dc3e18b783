"""Custom rule ids at the edges of their grammar, as a careless user writes them: ids whose
parts are numbered without padding (ORG-NET-1 beside ORG-NET-10), a prefix that begins with
the reserved one's letters (MLAX-), and a rule file whose suffix is upper case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor import rules, validate

from .test_custom_prefix import GOOD, ORG_RULE, rule_dir
from .test_inputs import run_cli

IDS = ("ORG-NET-1", "ORG-NET-10", "ORG-NET-11", "MLAX-DNS-001")


def ran(args: list[str], capsys: pytest.CaptureFixture[str]) -> set[str]:
    code, out, err = run_cli(["scan", "--snapshot", GOOD, "--format", "json", *args], capsys)
    assert code in (0, 1), err
    return {r["rule_id"] for r in json.loads(out)["rules"]}


def test_a_selector_is_a_whole_id_or_whole_parts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'--skip ORG-NET-1' skipped ORG-NET-10 and ORG-NET-11 as well (a prefix of the text,
    not of the parts): accepting one rule silently turned two more checks off."""
    org = ["--rules", str(rule_dir(tmp_path / "org", *IDS))]
    assert ran([*org, "--skip", "ORG-NET-1"], capsys) >= {"ORG-NET-10", "ORG-NET-11"}
    assert "ORG-NET-1" not in ran([*org, "--skip", "ORG-NET-1"], capsys)
    assert ran([*org, "--select", "ORG-NET-1"], capsys) == {"ORG-NET-1"}
    assert ran([*org, "--select", "org-net"], capsys) == {"ORG-NET-1", "ORG-NET-10", "ORG-NET-11"}
    built_in = ran([*org, "--select", "MLA"], capsys)  # the built-in prefix, not MLAX-
    assert "MLAX-DNS-001" not in built_in and all(r.startswith("MLA-") for r in built_in)
    assert ran([*org, "--select", "MLAX"], capsys) == {"MLAX-DNS-001"}
    assert ran([*org, "--select", "org-net-"], capsys) == ran([*org, "--select", "ORG-NET"], capsys)


def test_a_selector_that_only_ends_inside_a_part_matches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = ["--rules", str(rule_dir(tmp_path / "org", *IDS))]
    code, _, err = run_cli(["scan", "--snapshot", GOOD, *org, "--select", "ORG-NE"], capsys)
    assert code == 2 and "ORG-NE" in err


def test_an_upper_case_suffix_is_a_rule_file_too(tmp_path: Path) -> None:
    """'ORG-NET-1.YAML' was skipped without a word by scan, rules list and validate DIR
    ('0 files checked'), though 'validate FILE' read it as a rule: the rule never ran."""
    org = tmp_path / "org"
    org.mkdir()
    (org / "ORG-NET-1.YAML").write_text(ORG_RULE.format(id="ORG-NET-1"), encoding="utf-8")
    (org / "ORG-NET-2.Yml").write_text(ORG_RULE.format(id="ORG-NET-2"), encoding="utf-8")
    assert [p.name for p in rules.rule_files(org)] == ["ORG-NET-1.YAML", "ORG-NET-2.Yml"]
    assert {"ORG-NET-1", "ORG-NET-2"} <= {r.id for r in rules.load_rules([org])}
    assert validate.validate([org]) == (2, [])


def test_one_directory_named_twice_is_no_duplicate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'--rules org --rules ./org/' (or a link to it) refused ORG-NET-1 as 'already defined
    in' itself, where validate, by design, takes the same file twice as one."""
    org = rule_dir(tmp_path / "org", "ORG-NET-1")
    (tmp_path / "link").symlink_to(org)
    for again in (f"{org}/", str(tmp_path / "link"), str(org / ".." / "org")):
        assert ran(["--rules", str(org), "--rules", again], capsys) >= {"ORG-NET-1"}
        assert [r.id for r in rules.load_rules([org, again])].count("ORG-NET-1") == 1
    assert validate.validate([org], rule_dirs=[org, tmp_path / "link"]) == (1, [])
    other = rule_dir(tmp_path / "other", "ORG-NET-1")  # another file: still a duplicate
    code, _, err = run_cli(
        ["scan", "--snapshot", GOOD, "--rules", str(org), "--rules", str(other)], capsys
    )
    assert code == 2 and "already defined in" in err


def test_a_link_loop_among_the_rules_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = rule_dir(tmp_path / "org", "ORG-NET-1")
    (org / "loop.yaml").symlink_to("loop.yaml")
    code, _, err = run_cli(["scan", "--snapshot", GOOD, "--rules", str(org)], capsys)
    assert code == 2 and "loop.yaml" in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize("rid", ["ABCDEFGHIJKLMNOPQ-1", "X-1", "ORG-١٢", "MLA_X-1", "ORG"])
def test_an_id_outside_the_grammar_is_told_the_grammar(tmp_path: Path, rid: str) -> None:
    """A 17-character prefix was refused as 'must be an upper-case prefix and upper-case
    parts' — which it is: the limit it broke went unsaid."""
    org = tmp_path / "org"
    org.mkdir()
    (org / f"{rid}.yaml").write_text(ORG_RULE.format(id=rid), encoding="utf-8")
    with pytest.raises(rules.RuleFileError, match="2-16 upper-case letters and digits"):
        rules.load_rules([org])


def test_sixteen_characters_of_prefix_are_allowed(tmp_path: Path) -> None:
    org = rule_dir(tmp_path / "org", "ABCDEFGHIJKLMNOP-1", "AB-1")
    assert {"ABCDEFGHIJKLMNOP-1", "AB-1"} <= {r.id for r in rules.load_rules([org])}
