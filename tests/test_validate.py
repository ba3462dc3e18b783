"""``mlops-audit validate`` and the pre-commit hooks: the scan's own loaders, one line per
problem, exit 2; the hook file is what pre-commit reads and its entry runs."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from auditor import cli, rules

from .conftest import ROOT

BUILTIN = rules.builtin_rules_dir()
DNS3 = (BUILTIN / "MLA-DNS-003.yaml").read_text(encoding="utf-8")


def _validate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, list[str]]:
    code = cli.main(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


def _rule(directory: Path, name: str, rule_id: str | None = None) -> Path:
    """A copy of a shipped rule, saved as ``name`` with the id ``rule_id``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(DNS3.replace("id: MLA-DNS-003", f"id: {rule_id or name}"), encoding="utf-8")
    return path


def _report(tmp_path: Path) -> Path:
    """A real JSON report of the bundled sample (what a baseline may be)."""
    path = tmp_path / "mlops-audit-baseline.json"
    cli.main(["scan", "--sample", "--format", "json", "--output", f"json:{path}", "--quiet"])
    return path


@pytest.mark.parametrize("path", rules.rule_files(BUILTIN), ids=lambda p: p.name)
def test_every_shipped_rule_is_valid(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    assert _validate(capsys, str(path)) == (0, "1 file checked, all valid\n", [])


def test_the_shipped_rules_directory_and_example_suppressions_are_valid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    n = len(rules.rule_files(BUILTIN))
    argv = [str(BUILTIN), str(ROOT / "examples" / "suppressions.yaml"), str(_report(tmp_path))]
    assert _validate(capsys, *argv) == (0, f"{n + 2} files checked, all valid\n", [])


def test_broken_files_are_one_line_each_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    d = tmp_path / "rules"
    _rule(d, "ORG-ZZZ-001")  # valid: not listed
    _rule(d, "ORG-ZZZ-002", "ORG-ZZZ-009")
    (d / "ORG-ZZZ-003.yaml").write_text("id: [\n", encoding="utf-8")
    (d / "ORG-ZZZ-004.yaml").write_text("- a list\n", encoding="utf-8")
    (d / "ORG-ZZZ-005.yaml").write_text(
        DNS3.replace("id: MLA-DNS-003", "id: ORG-ZZZ-005").replace(
            "relation: dns_zones", "relation: no_such_relation"
        ),
        encoding="utf-8",
    )
    sup = tmp_path / ".mlops-audit-suppressions.yaml"
    sup.write_text("suppressions:\n  - rule: MLA-DNS-001\n", encoding="utf-8")
    day = tmp_path / "team-suppressions.yml"
    day.write_text(
        "suppressions:\n  - rule: X\n    justification: j\n    expires: 2027-02-30\n",
        encoding="utf-8",
    )
    empty = tmp_path / "empty-suppressions.yaml"
    empty.write_text("# nothing\n", encoding="utf-8")
    version = tmp_path / "v.json"
    version.write_text('{"format": "mlops-audit-baseline", "version": 9, "findings": []}')
    finding = tmp_path / "f.json"
    finding.write_text('{"format": "mlops-audit-baseline", "version": 1, "findings": [{}]}')
    other = tmp_path / "other.json"
    other.write_text('{"findings": []}', encoding="utf-8")
    argv = [d, sup, day, empty, version, finding, other, tmp_path / "gone.yaml"]
    code, out, err = _validate(capsys, *map(str, argv))
    assert (code, out) == (2, "")
    assert err == [
        f"{d}/ORG-ZZZ-002.yaml: id: 'ORG-ZZZ-009' does not match the file name 'ORG-ZZZ-002'",
        f"{d}/ORG-ZZZ-003.yaml: invalid YAML: line 2: expected the node content, but found "
        "'<stream end>'",
        f"{d}/ORG-ZZZ-004.yaml: a rule file must hold one mapping",
        f"{d}/ORG-ZZZ-005.yaml: assert.relation: unknown relation 'no_such_relation'",
        f"{sup}: entry 1.justification: Field required",
        f"{day}: invalid YAML value: day is out of range for month",
        f"{empty}: no entries (expected 'suppressions:' with entries)",
        f"{version}: baseline version 9 is not supported",
        f"{finding}: finding 1.fingerprint: Field required",
        f"{other}: not a mlops-audit baseline: expected a JSON report (scan --format json) or "
        "a baseline",
        f"{tmp_path}/gone.yaml: no such file",
    ]


def test_a_rule_problem_is_worded_as_the_scan_words_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No second validator: the line validate prints is the line ``scan --rules`` fails
    with, for the same file."""
    d = tmp_path / "rules"
    _rule(d, "MLA-DNS-003")  # a built-in rule's id, outside the built-in rules
    assert cli.main(["scan", "--sample", "--rules", str(d)]) == 2
    scan_line = capsys.readouterr().err.strip().removeprefix("mlops-audit: ")
    code, _, err = _validate(capsys, str(d / "MLA-DNS-003.yaml"))
    assert code == 2 and err == [scan_line]
    assert "id: MLA-DNS-003: the prefix MLA- is reserved for built-in rules" in scan_line
    # a custom id defined twice: the duplicate's line, as the scan words it
    _rule(d, "ORG-DNS-003")
    (d / "MLA-DNS-003.yaml").unlink()
    again = tmp_path / "again"
    _rule(again, "ORG-DNS-003")
    assert cli.main(["scan", "--sample", "--rules", str(d), "--rules", str(again)]) == 2
    scan_line = capsys.readouterr().err.strip().removeprefix("mlops-audit: ")
    code, _, err = _validate(capsys, "--rules", str(d), str(again / "ORG-DNS-003.yaml"))
    assert code == 2 and err == [scan_line]
    assert scan_line.endswith(f"id: ORG-DNS-003 is already defined in {d}/ORG-DNS-003.yaml")


def test_rules_context_refuses_an_id_defined_there(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    team = _rule(tmp_path / "team", "ORG-ZZZ-001")
    new = _rule(tmp_path / "new", "ORG-ZZZ-001")
    assert _validate(capsys, str(new))[0] == 0  # alone it is fine
    code, _, err = _validate(capsys, "--rules", str(tmp_path / "team"), str(new))
    assert (code, err) == (2, [f"{new}: id: ORG-ZZZ-001 is already defined in {team}"])
    # a file of the --rules directory itself is no duplicate of itself
    assert _validate(capsys, "--rules", str(tmp_path / "team"), str(team))[0] == 0
    code, _, err = _validate(capsys, "--rules", str(tmp_path / "none"), str(new))
    assert (code, err) == (2, [f"{tmp_path}/none: no such rules directory"])


def test_kind_is_taken_from_the_option_or_the_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    odd = tmp_path / "accepted-risks.txt"
    odd.write_text("suppressions:\n  - rule: MLA-DNS-001\n    justification: known\n")
    code, _, err = _validate(capsys, str(odd))
    assert (code, err) == (
        2,
        [
            f"{odd}: cannot tell its kind from the name; "
            "pass --kind baseline|config|rule|suppressions"
        ],
    )
    assert _validate(capsys, "--kind", "suppressions", str(odd))[0] == 0
    code, _, err = _validate(capsys, "--kind", "rule", str(odd))
    assert code == 2 and err[0].startswith(f"{odd}: ")  # read as a rule: not one
    code, _, err = _validate(capsys, "--kind", "config", str(odd))  # read as a config: not one
    assert (code, err) == (2, [f"{odd}: key 'suppressions': expected a value, got a list"])
    code, _, err = _validate(capsys, "--kind", "policy", str(odd))
    assert (code, err) == (
        2,
        ["mlops-audit: --kind: 'policy' is not one of config, suppressions, baseline, rule"],
    )
    (tmp_path / "empty").mkdir()
    code, _, err = _validate(capsys, str(tmp_path / "empty"), "")
    assert (code, err) == (
        2,
        [
            f"{tmp_path}/empty: no rule files (*.yaml, *.yml) in this directory",
            "'': needs a file path, got an empty value",
        ],
    )


def test_hostile_content_stays_data(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A field name or value from the file reaches the terminal escaped, on one line."""
    d = tmp_path / "rules"
    d.mkdir()
    (d / "ORG-ZZZ-001.yaml").write_text(
        DNS3.replace("id: MLA-DNS-003", 'id: ORG-ZZZ-001\n"\\e]0;owned\\a\\e[2J\\nx": 1'),
        encoding="utf-8",
    )
    sup = tmp_path / "suppressions.yaml"
    sup.write_text('suppressions:\n  - "rule\\e[31m": x\n    justification: j\n')
    code, _, err = _validate(capsys, str(d), str(sup))
    assert code == 2 and len(err) == 2
    text = "\n".join(err)
    assert "\x1b" not in text and "\x07" not in text
    assert err[0].startswith(f"{d}/ORG-ZZZ-001.yaml: ") and "unknown field" in err[0]
    assert err[1].startswith(f"{sup}: entry 1.rule") and "Extra inputs" in err[1]


# -- the pre-commit hooks ----------------------------------------------------------------
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def test_the_hook_file_has_what_pre_commit_requires() -> None:
    assert [h["id"] for h in HOOKS] == ["mlops-audit-validate", "mlops-audit-scan"]
    for hook in HOOKS:
        assert {"id", "name", "entry", "language"} <= hook.keys()
        assert hook["language"] == "python"  # pre-commit installs this repository
        assert hook["entry"].split()[0] == "mlops-audit"  # the console script
        assert "files" in hook or "types" in hook
        re.compile(hook["files"])
    files = re.compile(HOOKS[0]["files"])
    for path in (
        "rules/ORG-ZZZ-001.yaml",
        "audit/rules/ORG-ZZZ-001.yml",
        ".mlops-audit-suppressions.yaml",
        "infra/mlops-audit-suppressions.yml",
        "mlops-audit-baseline.json",
        "ci/mlops-audit-baseline.json",
    ):
        assert files.search(path), path
    for path in ("rules/sub/x.yaml", "README.md", "estate.json", "my-rules/x.yaml"):
        assert not files.search(path), path


def test_the_validate_hook_entry_runs_on_a_repository(tmp_path: Path) -> None:
    """Run the entry as pre-commit does (the entry, then the staged files its ``files``
    pattern matches, paths relative to the repository root) on a temporary layout."""
    repo = tmp_path / "repo"
    _rule(repo / "rules", "ORG-ZZZ-001")
    (repo / ".mlops-audit-suppressions.yaml").write_text(
        (ROOT / "examples" / "suppressions.yaml").read_text(encoding="utf-8")
    )
    _report(repo)
    (repo / "estate.json").write_text("not a baseline: the hook leaves it alone")
    (repo / "README.md").write_text("hi")
    hook = HOOKS[0]
    files = re.compile(hook["files"])
    staged = sorted(
        p.relative_to(repo).as_posix()
        for p in repo.rglob("*")
        if p.is_file() and files.search(p.relative_to(repo).as_posix())
    )
    assert staged == [
        ".mlops-audit-suppressions.yaml",
        "mlops-audit-baseline.json",
        "rules/ORG-ZZZ-001.yaml",
    ]
    entry = shlex.split(hook["entry"])
    argv = [sys.executable, "-m", "auditor", *entry[1:]]  # the console script, as a module
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*argv, *staged], capture_output=True, text=True, env=env, cwd=repo, check=False
        )

    proc = run()
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "3 files checked, all valid\n", "")
    report = json.loads((repo / "mlops-audit-baseline.json").read_text(encoding="utf-8"))
    report["findings"] = "none"
    (repo / "mlops-audit-baseline.json").write_text(json.dumps(report))
    proc = run()
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "mlops-audit-baseline.json: has no 'findings' list\n"


def test_the_scan_hook_entry_runs_on_a_committed_snapshot(tmp_path: Path) -> None:
    hook = HOOKS[1]
    assert hook["pass_filenames"] is False  # the snapshot comes from the hook's args
    snapshot = ROOT / "fixtures" / "reference-good.json"
    argv = [sys.executable, "-m", "auditor", *shlex.split(hook["entry"])[1:]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [*argv, "--snapshot", str(snapshot), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["findings"] == 0


def test_the_readme_snippet_is_the_hook_as_a_local_hook() -> None:
    """The README's .pre-commit-config.yaml runs the same entry on the same files as the
    published hook (only the language differs: the installed console script)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Pre-commit", 1)[1]
    snippet = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = yaml.safe_load(snippet)
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    (hook,) = repo["hooks"]
    published = HOOKS[0]
    assert hook["language"] == "system"
    for key in ("id", "entry", "files", "require_serial"):
        assert hook[key] == published[key], key


def test_a_bug_in_validate_is_exit_4_not_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from auditor import validate

    def broken(path: Path, context: object) -> None:
        raise ZeroDivisionError("boom")

    kind = validate.KINDS["rule"]
    monkeypatch.setitem(validate.KINDS, "rule", validate.Kind("rule", broken, kind.named))
    code, _, err = _validate(capsys, str(_rule(tmp_path, "ORG-ZZZ-001")))
    assert code == 4
    assert err == [
        "mlops-audit: internal error: ZeroDivisionError: boom (run with --verbose for the trace)"
    ]


def test_a_missing_path_is_missing_whatever_its_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A path that does not exist is said to be missing, not of an unknown kind."""
    code, _, err = _validate(capsys, str(tmp_path / "nothing-here"))
    assert (code, err) == (2, [f"{tmp_path}/nothing-here: no such file"])
