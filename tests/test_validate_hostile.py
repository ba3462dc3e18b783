"""``validate`` judges what a scan would: a rules directory as ``scan --rules DIR`` reads
it, and a rule file by its id-shaped name even when a word in the id is a kind's word."""

from __future__ import annotations

from pathlib import Path

from auditor import rules, validate

from .test_custom_prefix import ORG_RULE


def test_a_rules_directory_is_judged_as_scan_rules_reads_it(tmp_path: Path) -> None:
    """A suppressions file kept in a rules directory was checked as a suppressions file and
    the directory passed, while 'scan --rules DIR' refused it (id: required field)."""
    org = tmp_path / "org"
    org.mkdir()
    (org / "ORG-NET-1.yaml").write_text(ORG_RULE.format(id="ORG-NET-1"), encoding="utf-8")
    (org / "suppressions.yaml").write_text(
        "suppressions:\n  - rule: ORG-*\n    justification: x\n", encoding="utf-8"
    )
    try:
        rules.load_rules([org])
    except rules.RuleFileError as exc:
        refused = str(exc)
    assert validate.validate([org]) == (2, [refused])


def test_a_rule_named_after_a_kind_word_is_a_rule(tmp_path: Path) -> None:
    """ORG-SUPPRESSIONS-1.yaml (a rule about suppressions) was read as a suppressions file by
    its name, by 'validate FILE' and the hook alike, and a valid rule was refused."""
    org = tmp_path / "rules"
    org.mkdir()
    for rid in ("ORG-SUPPRESSIONS-1", "ORG-SUPPRESSION-2"):
        (org / f"{rid}.yaml").write_text(ORG_RULE.format(id=rid), encoding="utf-8")
    assert {"ORG-SUPPRESSIONS-1", "ORG-SUPPRESSION-2"} <= {r.id for r in rules.load_rules([org])}
    assert validate.validate([org]) == (2, [])
    files = sorted(org.iterdir())
    assert validate.validate(files) == (2, [])
    # the conventional names keep their kinds
    sup = tmp_path / ".mlops-audit-suppressions.yaml"
    sup.write_text("suppressions:\n  - rule: ORG-*\n    justification: x\n", encoding="utf-8")
    assert validate.validate([sup]) == (1, [])
