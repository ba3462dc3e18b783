"""Configuration (docs/configuration.md): ``.mlops-audit.yaml`` and ``MLOPS_AUDIT_*`` set any
option under the flags — flag > environment > file > default — each layer changes a run as
documented; every bad file or variable is one line and exit 2; the settable options are the
parser's own, so a new flag is configurable with no other change."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from auditor import cli, config

from .conftest import FIXTURES, ROOT

TERRAFORM = FIXTURES / "reference-terraform.json"  # four high findings: exit 1 at --fail-on high
GOOD = FIXTURES / "reference-good.json"
ALL_ACCEPTED = "suppressions:\n" + "".join(  # the Terraform estate's four findings
    f"  - rule: {rule}\n    justification: accepted for the test\n    expires: 2099-12-31\n"
    for rule in ("MLA-ACR-004", "MLA-AML-001", "MLA-AML-003", "MLA-DNS-001")
)


# Each test runs in an empty working directory with no MLOPS_AUDIT_* variable.
pytestmark = pytest.mark.usefixtures("clean_config")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, list[str]]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


def scan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    """A JSON scan of the Terraform estate: the exit code and the stderr lines."""
    code, out, err = run(capsys, "scan", "--snapshot", str(TERRAFORM), "--format", "json", *argv)
    assert json.loads(out)["summary"]["findings"] == 4
    return code, err


def write(path: Path | str, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- each layer changes a run, in the documented order ------------------------------------
def test_the_file_sets_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert scan(capsys) == (1, [])  # the default: high
    write(".mlops-audit.yaml", "fail-on: critical\n")
    assert scan(capsys) == (0, [])


def test_the_yml_spelling_is_read_too_and_both_is_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(".mlops-audit.yml", "fail-on: critical\n")
    assert scan(capsys)[0] == 0
    write(".mlops-audit.yaml", "fail-on: critical\n")
    code, out, err = run(capsys, "scan", "--snapshot", str(TERRAFORM))
    assert (code, out) == (2, "")
    assert err == [
        "mlops-audit: .mlops-audit.yaml: .mlops-audit.yml is here too; keep one "
        "(which to read is a guess)"
    ]


def test_the_environment_beats_the_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(".mlops-audit.yaml", "fail-on: critical\n")
    monkeypatch.setenv("MLOPS_AUDIT_FAIL_ON", "high")
    assert scan(capsys) == (1, [])
    monkeypatch.setenv("MLOPS_AUDIT_FAIL_ON", "none")
    assert scan(capsys) == (0, [])


@pytest.mark.parametrize(("flag", "code"), [("none", 0), ("high", 1)])
def test_a_flag_beats_the_environment_and_the_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, flag: str, code: int
) -> None:
    """Even a flag that repeats its default (high) wins: what was typed is what counts."""
    write(".mlops-audit.yaml", "fail-on: low\n")
    monkeypatch.setenv("MLOPS_AUDIT_FAIL_ON", "critical" if flag == "high" else "low")
    assert scan(capsys, "--fail-on", flag) == (code, [])


def test_a_command_section_beats_the_top_level_and_only_for_its_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(
        ".mlops-audit.yaml",
        "scan:\n  fail-on: high\nfail-on: critical\nbaseline:\n  fail-on: none\n",
    )
    assert scan(capsys) == (1, [])  # scan's section, whatever the order in the file
    # diff takes the top level's (critical): a new high finding does not fail it
    old = write(
        "old.json", json.dumps({"format": "mlops-audit-baseline", "version": 1, "findings": []})
    )
    new = tmp_path / "new.json"
    run(capsys, "scan", "--snapshot", str(TERRAFORM), "--output", str(new), "--quiet")
    code, _, err = run(capsys, "diff", str(old), str(new), "--format", "json")
    assert (code, err) == (0, [])
    write(".mlops-audit.yaml", "fail-on: critical\ndiff:\n  fail-on: high\n")
    assert run(capsys, "diff", str(old), str(new), "--format", "json")[0] == 1


def test_nested_sections_of_rules_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    write(".mlops-audit.yaml", "rules:\n  format: json\n  list:\n    format: text\n")
    code, out, _ = run(capsys, "rules", "list")
    assert code == 0 and out.startswith("id ")
    code, out, _ = run(capsys, "rules", "show", "MLA-DNS-001")
    assert code == 0 and json.loads(out)["rules"][0]["id"] == "MLA-DNS-001"


def test_a_sub_command_named_in_full_leaves_rules_free_for_the_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``rules:`` is the --rules option here; ``rules list:`` the section, which wins over a
    ``rules:`` section's value whatever the order (the more specific section wins)."""
    write(
        tmp_path / "org" / "ORG-TST-001.yaml",
        (ROOT / "rules" / "MLA-DNS-003.yaml")
        .read_text(encoding="utf-8")
        .replace("id: MLA-DNS-003", "id: ORG-TST-001"),
    )
    write(".mlops-audit.yaml", "rules list:\n  format: json\nrules: [org]\n")
    code, out, _ = run(capsys, "rules", "list")
    assert code == 0 and "ORG-TST-001" in [r["id"] for r in json.loads(out)["rules"]]
    code, out, _ = run(capsys, "rules", "show", "ORG-TST-001")
    assert code == 0 and not out.startswith("{")  # show: the default text
    write(".mlops-audit.yaml", "rules list:\n  format: text\nrules:\n  format: json\n")
    assert run(capsys, "rules", "list")[1].startswith("id ")
    assert run(capsys, "rules", "show", "MLA-DNS-001")[1].startswith("{")


def _documented(path: Path) -> list[str]:
    """The config-file examples of a page: YAML blocks whose first line names the file."""
    blocks = re.findall(r"```yaml\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
    return [b for b in blocks if b.startswith("# .mlops-audit.yaml")]


@pytest.mark.parametrize("page", ["README.md", "docs/configuration.md"])
def test_the_documented_examples_are_valid(page: str) -> None:
    (example,) = _documented(ROOT / page)
    config.check_file(write(".mlops-audit.yaml", example), cli.build_parser())  # as a run reads it


def test_a_list_from_a_higher_layer_replaces_the_lower_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def rules_run(*argv: str) -> set[str]:
        code, out, _ = run(capsys, "scan", "--snapshot", str(GOOD), "--format", "json", *argv)
        assert code == 0
        return {r["rule_id"].rsplit("-", 1)[0] for r in json.loads(out)["rules"]}

    write(".mlops-audit.yaml", "select: [MLA-ACR]\n")
    assert rules_run() == {"MLA-ACR"}
    monkeypatch.setenv("MLOPS_AUDIT_SELECT", "MLA-DNS, MLA-KV")  # comma-separated
    assert rules_run() == {"MLA-DNS", "MLA-KV"}
    assert rules_run("--select", "MLA-NSG") == {"MLA-NSG"}


@pytest.mark.parametrize("value", ["true", "1", "yes", "YES", "True"])
def test_switches_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("MLOPS_AUDIT_QUIET", value)
    assert run(capsys, "scan", "--snapshot", str(TERRAFORM)) == (1, "", [])


@pytest.mark.parametrize("value", ["false", "0", "no", ""])
def test_a_false_or_empty_switch_from_the_environment_unsets_the_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """false overrides the file's true; an empty variable is unset (the file's true stays)."""
    write(".mlops-audit.yaml", "quiet: true\n")
    monkeypatch.setenv("MLOPS_AUDIT_QUIET", value)
    code, out, _ = run(capsys, "scan", "--snapshot", str(TERRAFORM), "--format", "json")
    assert code == 1
    assert (out == "") == (value == "")


def test_a_required_option_may_come_from_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(".mlops-audit.yaml", "baseline:\n  output: audit/baseline.json\n")
    code, _, err = run(capsys, "baseline", "--snapshot", str(TERRAFORM))
    assert code == 0, err
    doc = json.loads((tmp_path / "audit" / "baseline.json").read_text(encoding="utf-8"))
    assert len(doc["findings"]) == 4
    Path(".mlops-audit.yaml").unlink()
    with pytest.raises(SystemExit) as stop:  # from no layer: argparse's own message
        cli.main(["baseline", "--snapshot", str(TERRAFORM)])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "mlops-audit baseline: error: the following arguments are required: --output (see --help)\n"
    )


def test_help_still_shows_required_options_as_required(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["baseline", "--help"])
    usage = capsys.readouterr().out
    assert " --output FILE" in usage and "[--output FILE]" not in usage


# -- paths ------------------------------------------------------------------------------
def test_relative_paths_in_the_file_are_the_files_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--config ci/x.yaml`` (before or after the command) reads ci/estate.json and writes
    ci/out/…, from wherever it runs; FORMAT:PATH resolves the path part only."""
    ci = tmp_path / "ci"
    write(ci / "estate.json", TERRAFORM.read_text(encoding="utf-8"))
    write(
        ci / "x.yaml",
        "snapshot: estate.json\nfail-on: none\nquiet: true\n"
        "scan:\n  output: [sarif:out/r.sarif, out/r.json]\n",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    assert run(capsys, "--config", "../ci/x.yaml", "scan") == (0, "", [])
    assert json.loads((ci / "out" / "r.json").read_text(encoding="utf-8"))["findings"]
    assert json.loads((ci / "out" / "r.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    (ci / "out" / "r.json").unlink()
    assert run(capsys, "scan", "--config", str(ci / "x.yaml")) == (0, "", [])
    assert (ci / "out" / "r.json").is_file()


def test_relative_paths_in_the_environment_are_the_working_directorys(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write(tmp_path / "ci" / ".mlops-audit.yaml", "fail-on: none\n")
    write(tmp_path / "estate.json", TERRAFORM.read_text(encoding="utf-8"))
    monkeypatch.setenv("MLOPS_AUDIT_CONFIG", "ci/.mlops-audit.yaml")
    monkeypatch.setenv("MLOPS_AUDIT_SNAPSHOT", "estate.json")
    monkeypatch.setenv("MLOPS_AUDIT_OUTPUT", "json:out/r.json")
    assert run(capsys, "scan", "--quiet") == (0, "", [])
    assert (tmp_path / "out" / "r.json").is_file() and not (tmp_path / "ci" / "out").exists()


def test_no_config_ignores_the_working_directory_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(".mlops-audit.yaml", "fail-on: critical\n")
    write(".mlops-audit-suppressions.yaml", ALL_ACCEPTED)
    assert scan(capsys, "--no-config") == (1, [])
    monkeypatch.setenv("MLOPS_AUDIT_NO_CONFIG", "true")
    assert scan(capsys) == (1, [])
    assert scan(capsys, "--config", ".mlops-audit.yaml")[0] == 0  # the flag beats the variable


def test_verbose_names_the_config_file(capsys: pytest.CaptureFixture[str]) -> None:
    write(".mlops-audit.yaml", "fail-on: critical\n")
    assert scan(capsys, "--verbose") == (
        0,
        ["mlops-audit: using configuration from .mlops-audit.yaml"],
    )


# -- the conventional suppressions file -----------------------------------------------------
def test_the_conventional_suppressions_file_is_read_and_said(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(".mlops-audit-suppressions.yaml", ALL_ACCEPTED)
    code, err = scan(capsys)
    assert (code, err) == (
        0,
        ["mlops-audit: using suppressions from .mlops-audit-suppressions.yaml"],
    )
    code, out, err = run(capsys, "scan", "--snapshot", str(TERRAFORM), "--quiet")
    assert (code, out, err) == (0, "", [])


def test_the_conventional_suppressions_file_is_read_by_baseline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(".mlops-audit-suppressions.yml", ALL_ACCEPTED)
    code, _, err = run(capsys, "baseline", "--snapshot", str(TERRAFORM), "--output", "b.json")
    assert code == 0
    assert err[0] == "mlops-audit: using suppressions from .mlops-audit-suppressions.yml"
    assert json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["findings"] == []


@pytest.mark.parametrize("layer", ["flag", "environment", "file"])
def test_a_named_suppressions_file_overrides_the_conventional_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, layer: str
) -> None:
    write(".mlops-audit-suppressions.yaml", ALL_ACCEPTED)
    write(
        "other.yaml",
        "suppressions:\n  - rule: MLA-DNS-001\n    justification: only this one\n",
    )
    argv: list[str] = []
    if layer == "flag":
        argv = ["--suppressions", "other.yaml"]
    elif layer == "environment":
        monkeypatch.setenv("MLOPS_AUDIT_SUPPRESSIONS", "other.yaml")
    else:
        write(".mlops-audit.yaml", "suppressions: other.yaml\n")
    code, out, err = run(capsys, "scan", "--snapshot", str(TERRAFORM), "--format", "json", *argv)
    assert (code, err) == (1, [])  # three high findings still count; nothing said
    report = json.loads(out)
    assert [f["rule_id"] for f in report["findings"] if f["suppression"]] == ["MLA-DNS-001"]


def test_two_conventional_suppressions_files_are_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(".mlops-audit-suppressions.yaml", ALL_ACCEPTED)
    write(".mlops-audit-suppressions.yml", ALL_ACCEPTED)
    code, out, err = run(capsys, "scan", "--snapshot", str(TERRAFORM))
    assert (code, out, len(err)) == (2, "", 1)
    assert err[0].startswith("mlops-audit: .mlops-audit-suppressions.yaml: ")


# -- the environment's other cases ----------------------------------------------------------
def test_a_variable_for_another_commands_option_is_silent_and_an_unknown_one_warned(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_AUDIT_PARTS", "not a number")  # partition's: not scan's
    monkeypatch.setenv("MLOPS_AUDIT_FAIL_ON", "none")
    assert run(capsys, "rules", "list")[2] == []  # rules list has no --fail-on: silent
    monkeypatch.setenv("MLOPS_AUDIT_FAILON", "critical")
    code, err = scan(capsys)
    assert code == 0  # the known variable applied, the typo did not
    assert err == [
        "mlops-audit: warning: environment variable MLOPS_AUDIT_FAILON names no option of "
        "any command; it is ignored"
    ]
    assert run(capsys, "scan", "--snapshot", str(TERRAFORM), "--quiet") == (0, "", [])


SECRET = "hunter2-s3cr3t"


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("MLOPS_AUDIT_FAIL_ON", SECRET, "scan --fail-on: invalid choice (choose from critical"),
        ("MLOPS_AUDIT_TIMEOUT", SECRET, "scan --timeout: invalid seconds (the value): a number"),
        ("MLOPS_AUDIT_QUIET", SECRET, "scan --quiet: expected true, false, 1, 0, yes or no"),
        ("MLOPS_AUDIT_FORMAT", SECRET, "scan --format: "),
        ("MLOPS_AUDIT_SELECT", " , ,", "scan --select: no value between the commas"),
        ("MLOPS_AUDIT_NO_CONFIG", SECRET, "expected true, false, 1, 0, yes or no"),
    ],
)
def test_a_bad_variable_is_one_line_without_its_value(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    said: str,
) -> None:
    monkeypatch.setenv(variable, value)
    code, out, err = run(capsys, "scan", "--snapshot", str(TERRAFORM))
    assert (code, out, len(err)) == (2, "", 1), err
    assert err[0].startswith(f"mlops-audit: {variable}: {said}"), err
    assert SECRET not in err[0] and "s3cr3t" not in err[0]


def test_config_and_no_config_together_are_an_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write("c.yaml", "fail-on: none\n")
    code, _, err = run(capsys, "scan", "--config", "c.yaml", "--no-config")
    assert (code, err) == (2, ["mlops-audit: --config: contradicts --no-config; give one of them"])
    monkeypatch.setenv("MLOPS_AUDIT_CONFIG", "c.yaml")
    monkeypatch.setenv("MLOPS_AUDIT_NO_CONFIG", "yes")
    code, _, err = run(capsys, "scan", "--snapshot", str(TERRAFORM))
    assert (code, err) == (
        2,
        ["mlops-audit: MLOPS_AUDIT_CONFIG: contradicts MLOPS_AUDIT_NO_CONFIG; set one"],
    )


# -- a bad file: one line naming the file and the key, exit 2 ------------------------------
BAD_FILES = [
    ("fail-on: hgh\n", "key 'fail-on': invalid choice: 'hgh' (choose from critical, high"),
    ("scan:\n  fail-on: [high]\n", "key 'scan.fail-on': expected a value, got a list"),
    ("fail_on: high\n", "key 'fail_on': no command has an option '--fail_on' (did you mean"),
    ("scan:\n  parts: 3\n", "key 'scan.parts': 'scan' has no option '--parts'"),
    ("rules:\n  show:\n    formt: json\n", "key 'rules.show.formt': 'rules show' has no option"),
    ("quiet: yes\n", "key 'quiet': expected true or false, got a string ('yes' is a string"),
    ("timeout: -1\n", "key 'timeout': invalid seconds '-1': a number above 0"),
    ("parts: many\n", "key 'parts': invalid int value: 'many'"),
    ("format: sarif\n", "key 'format': invalid choice: 'sarif' (choose from table, json, "),
    ("diff: markdown\n", "key 'diff': expected a mapping of diff's options, got a string"),
    ("select: []\n", "key 'select': an empty list (leave the key out for the default)"),
    ("select: [MLA-DNS, {a: 1}]\n", "key 'select': item 2: expected a value, got a mapping"),
    ("baseline: ''\n", "key 'baseline': needs a value, got an empty string"),
    ("tenant:\n", "key 'tenant': expected a value, got nothing (null)"),
    ("timeout: 2027-01-01\n", "key 'timeout': invalid seconds '2027-01-01'"),
    ("1: x\n", "key '1': not an option name"),
    ("- fail-on: high\n", "expected a mapping of options (fail-on: high), got a list"),
    ("just text\n", "expected a mapping of options (fail-on: high), got a string"),
    ("a: &x [1]\nb: *x\n", "invalid YAML: line 1: anchors and aliases"),
    ("fail-on: high\nfail-on: none\n", "invalid YAML: line 2: duplicate key 'fail-on'"),
    ("fail-on: [\n", "invalid YAML: "),
    ("config: x.yaml\n", "key 'config': no command has an option '--config'"),
]


@pytest.mark.parametrize(("text", "said"), BAD_FILES, ids=[t for t, _ in BAD_FILES])
def test_a_bad_file_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    write(".mlops-audit.yaml", text)
    code, out, err = run(capsys, "scan", "--snapshot", str(TERRAFORM))
    assert (code, out, len(err)) == (2, "", 1), err
    assert err[0].startswith(f"mlops-audit: .mlops-audit.yaml: {said}"), err[0]


def test_a_top_level_value_only_some_commands_take_says_where_it_goes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(".mlops-audit.yaml", "format: sarif\n")
    code, _, err = run(capsys, "scan", "--snapshot", str(TERRAFORM))
    assert code == 2
    assert err[0].endswith(
        "for 'diff' (set a value only some commands take in their section, e.g. under 'scan:')"
    )
    write(".mlops-audit.yaml", "scan:\n  format: sarif\n")  # where it goes: fine
    code, out, _ = run(capsys, "scan", "--snapshot", str(TERRAFORM))
    assert code == 1 and json.loads(out)["version"] == "2.1.0"


def test_a_typo_in_another_commands_section_fails_every_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(".mlops-audit.yaml", "baseline:\n  fail-on: hihg\n")
    code, _, err = run(capsys, "rules", "list")
    assert code == 2 and err[0].startswith("mlops-audit: .mlops-audit.yaml: key 'baseline.fail-on'")


def test_an_option_another_command_takes_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    write(".mlops-audit.yaml", "parts: 4\nout-dir: parts\nfail-on: critical\n")
    assert scan(capsys) == (0, [])
    code, out, err = run(capsys, "rules", "list", "--format", "json")
    assert (code, err) == (0, []) and json.loads(out)["rules"]


@pytest.mark.parametrize("case", ["missing", "directory", "fifo", "not utf-8", "too large"])
def test_a_hostile_config_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    path = tmp_path / "c.yaml"
    if case == "directory":
        path.mkdir()
    elif case == "fifo":
        os.mkfifo(path)
    elif case == "not utf-8":
        path.write_bytes(b"fail-on: \xff\n")
    elif case == "too large":
        path.write_text("# x\n" * (config.MOST_BYTES // 4 + 1), encoding="utf-8")
    code, out, err = run(capsys, "scan", "--config", str(path), "--snapshot", str(TERRAFORM))
    assert (code, out, len(err)) == (2, "", 1), err
    assert err[0].startswith(f"mlops-audit: {path}: ")
    assert "Traceback" not in err[0]


def test_an_empty_or_comment_only_file_sets_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    for text in ("", "\n", "# fail-on: none\n"):
        write(".mlops-audit.yaml", text)
        assert scan(capsys) == (1, [])


def test_a_file_value_is_data_on_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    write(".mlops-audit.yaml", 'fail-on: "\\e]0;owned\\a\\e[2Jx"\n')
    code, _, err = run(capsys, "scan", "--snapshot", str(TERRAFORM))
    assert code == 2 and len(err) == 1
    assert "\x1b" not in err[0] and "\x07" not in err[0]


# -- what is settable is the parser's ---------------------------------------------------
def _with_new_options() -> argparse.ArgumentParser:
    """The CLI's parser with three options no code here knows of, added to scan."""
    parser = cli.build_parser()
    scan_parser = config.commands(parser).commands["scan"].parser
    scan_parser.add_argument("--new-level", type=int, choices=(1, 2, 3), default=1)
    scan_parser.add_argument("--new-switch", action="store_true")
    scan_parser.add_argument("--new-list", action="append", metavar="FILE", default=[])
    scan_parser.add_argument("--new-extend", action="extend", nargs="+", type=int)
    return parser


def test_an_option_added_to_the_parser_is_configurable(tmp_path: Path) -> None:
    argv = ["scan", "--snapshot", "x.json"]
    args, _ = config.parse_args(_with_new_options(), argv, {})
    assert (args.new_level, args.new_switch, args.new_list) == (1, False, [])
    write(
        "ci/c.yaml",
        "scan:\n  new-level: 2\n  new-switch: true\n  new-list: [a, b]\n  new-extend: [4, 5]\n",
    )
    args, _ = config.parse_args(_with_new_options(), [*argv, "--config", "ci/c.yaml"], {})
    assert (args.new_level, args.new_switch, args.new_list) == (2, True, ["ci/a", "ci/b"])
    assert args.new_extend == [4, 5]
    env = {"MLOPS_AUDIT_NEW_LEVEL": "3", "MLOPS_AUDIT_NEW_LIST": "x,y"}
    args, _ = config.parse_args(_with_new_options(), [*argv, "--config", "ci/c.yaml"], env)
    assert (args.new_level, args.new_switch, args.new_list) == (3, True, ["x", "y"])
    args, _ = config.parse_args(
        _with_new_options(), [*argv, "--config", "ci/c.yaml", "--new-level", "1"], env
    )
    assert args.new_level == 1
    write("ci/c.yaml", "scan:\n  new-level: 5\n")
    with pytest.raises(config.ConfigError, match=r"key 'scan.new-level': invalid choice: '5'"):
        config.parse_args(_with_new_options(), [*argv, "--config", "ci/c.yaml"], {})


def test_every_option_of_every_command_is_settable() -> None:
    """Each command's options, read off the parser, are what the file may set: all its
    --options but help, version and the two that choose the file."""
    root = config.commands(cli.build_parser())
    for command in root.walk():
        if command.commands:
            continue
        usage = command.parser.format_usage()  # every option argparse shows, by its own
        flags = set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", usage))
        assert set(command.options) == flags - {"help", "version", "config", "no-config"}
    scan_options = root.commands["scan"].options
    assert {"fail-on", "snapshot", "quiet", "subscription", "timeout"} <= set(scan_options)
    assert set(root.commands["reach"].options) >= {"from", "to", "port"}


def _tree() -> argparse.ArgumentParser:
    """A parser with options in an argument group, in mutually exclusive groups, from a
    parent parser and in a sub-command's own sub-commands: not all by its add_argument."""
    parser = config.Parser(prog="tool")
    parser.add_argument_group("top").add_argument("--in-group", type=int)
    parser.add_mutually_exclusive_group().add_argument("--exclusive", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True, title="commands")
    run = sub.add_parser("run")
    group = run.add_argument_group("run's")
    group.add_mutually_exclusive_group().add_argument("--mode", choices=("a", "b"))
    inner = run.add_subparsers(dest="what", required=True)
    common = config.Parser(add_help=False)
    common.add_argument("--shared", action="append")
    deep = inner.add_parser("deep", parents=[common])
    deep.add_argument("--depth", type=int, default=1)
    deep.add_argument("--switch", action=argparse.BooleanOptionalAction)
    deep.add_argument("--count", action="count")  # no value to set: not settable
    deep.add_argument("--pair", action="append", nargs=2)  # a list of lists: neither
    config.add_options(parser)
    return parser


def test_options_in_groups_and_sub_commands_are_recorded(tmp_path: Path) -> None:
    root = config.commands(_tree())
    assert set(root.options) == {"in-group", "exclusive"}
    deep = root.commands["run"].commands["deep"]
    assert deep.path == ("run", "deep") and root.commands["run"].dest == "what"
    kinds = {name: option.kind for name, option in deep.options.items()}
    assert kinds == {
        "in-group": "value",
        "exclusive": "switch",
        "mode": "value",
        "shared": "list",
        "depth": "value",
        "switch": "switch",
    }
    write(
        "c.yaml",
        "in-group: 3\nexclusive: true\nrun:\n  mode: b\n  deep:\n    depth: 4\n"
        "    switch: false\n    shared: [x]\n",
    )
    args, _ = config.parse_args(_tree(), ["run", "deep", "--config", "c.yaml"], {})
    assert (args.in_group, args.exclusive, args.mode) == (3, True, "b")
    assert (args.depth, args.switch, args.shared) == (4, False, ["x"])
    env = {"MLOPS_AUDIT_MODE": "a", "MLOPS_AUDIT_IN_GROUP": "5"}
    args, _ = config.parse_args(_tree(), ["run", "deep", "--config", "c.yaml"], env)
    assert (args.in_group, args.mode) == (5, "a")
    write("c.yaml", "run:\n  mode: c\n")
    with pytest.raises(config.ConfigError, match=r"key 'run.mode': invalid choice: 'c'"):
        config.parse_args(_tree(), ["run", "deep", "--config", "c.yaml"], {})
    write("c.yaml", "count: 2\n")
    with pytest.raises(config.ConfigError, match=r"key 'count': no command has an option"):
        config.parse_args(_tree(), ["run", "deep", "--config", "c.yaml"], {})


def test_a_parser_that_records_nothing_is_refused() -> None:
    """A plain ArgumentParser's options are unknown: refused, not read as none."""
    with pytest.raises(TypeError, match=r"no config\.Parser"):
        config.commands(argparse.ArgumentParser())
    parser = config.Parser()
    parser.add_subparsers(parser_class=argparse.ArgumentParser).add_parser("x")
    with pytest.raises(TypeError, match=r"x: the parser is no config\.Parser"):
        config.commands(parser)
    with pytest.raises(TypeError, match=r"no config\.Parser"):
        config.Parser(parents=[argparse.ArgumentParser(add_help=False)])


# -- validate's config kind and the hook ---------------------------------------------------
def test_validate_checks_a_config_file_by_its_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write("repo/.mlops-audit.yaml", "fail-on: medium\nscan:\n  output: [sarif:out/x.sarif]\n")
    write("repo/sub/.mlops-audit.yml", "scan:\n  fail-on: hgh\n")
    assert run(capsys, "validate", "repo/.mlops-audit.yaml") == (
        0,
        "1 file checked, all valid\n",
        [],
    )
    code, _, err = run(capsys, "validate", "repo/.mlops-audit.yaml", "repo/sub/.mlops-audit.yml")
    assert code == 2
    assert err == [
        "repo/sub/.mlops-audit.yml: key 'scan.fail-on': invalid choice: 'hgh' (choose from "
        "critical, high, medium, low, none)"
    ]
    write("settings.yaml", "fail-on: low\n")  # another name: --kind says what it is
    assert run(capsys, "validate", "--kind", "config", "settings.yaml")[0] == 0
    code, _, err = run(capsys, "validate", "settings.yaml")  # else it is read as a rule
    assert code == 2 and err[0].startswith("settings.yaml: ")


def test_validate_as_a_library_needs_the_parser_for_a_config() -> None:
    from auditor.validate import validate

    write(".x/.mlops-audit.yaml", "fail-on: low\n")
    assert validate([".x/.mlops-audit.yaml"], parser=cli.build_parser()) == (1, [])
    checked, problems = validate([".x/.mlops-audit.yaml"])
    assert checked == 1 and "pass validate() the parser" in problems[0]


def test_the_validate_hook_matches_config_files() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    files = re.compile(hooks[0]["files"])
    for path in (".mlops-audit.yaml", ".mlops-audit.yml", "infra/.mlops-audit.yaml"):
        assert files.search(path), path
    for path in ("mlops-audit.yaml", "x.mlops-audit.yaml", ".mlops-audit.yaml.bak"):
        assert not files.search(path), path
    assert hooks[0]["files"] in (ROOT / "README.md").read_text(encoding="utf-8")


# -- start-up stays light -----------------------------------------------------------------
def test_version_and_help_ignore_even_a_broken_config(tmp_path: Path) -> None:
    """--version and --help answer before any layer is read: a broken file cannot stop
    them, and --version loads no YAML reader."""
    write(tmp_path / ".mlops-audit.yaml", "fail-on: [\n")
    probe = (
        "import json, sys\nfrom auditor import cli\n"
        "try:\n    cli.main(sys.argv[1:])\nexcept SystemExit as exc:\n    code = exc.code\n"
        "print(json.dumps([code, 'yaml' in sys.modules]), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLOPS_AUDIT_FAIL_ON": "x"}
    for argv, yaml_loaded in ((["--version"], False), (["scan", "--help"], None)):
        proc = subprocess.run(
            [sys.executable, "-c", probe, *argv],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=False,
        )
        code, loaded = json.loads(proc.stderr.splitlines()[-1])
        assert code == 0 and proc.stdout, proc.stderr
        if yaml_loaded is not None:
            assert loaded is yaml_loaded
