"""Hostile data and files, end to end through the console script: what a tenant or a
pipeline hands in must never reach a terminal or CI log as control, hang or exhaust the
scan, overwrite an input, or turn a bug into an exit code a pipeline misreads.

Each class of input has its own test below; together they are the hostile-input suite.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import resource
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from auditor import cli
from auditor.report import safe

from . import builders as b
from .conftest import FIXTURES, ROOT
from .update_golden import console_script, run_cli

GOOD = str(FIXTURES / "reference-good.json")
TERRAFORM = str(FIXTURES / "reference-terraform.json")
FORMATS = ("table", "json", "sarif", "junit", "markdown", "html", "csv", "ndjson")

# what must never reach a console or CI log as it is
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
HOSTILE_NAMES = [
    "::error title=pwned::the build failed",
    "x\n::add-mask::secret",
    "##vso[task.setvariable variable=agent.ok]owned",
    "##[error]fake error",
    "\x1b]0;title\x07\x1b[2J\x1b[31mred\x9b0m",
    "kv\u202egnp.exe",
    "[bold]loud[/bold] :smile: [link=https://x]y[/link]",
    "c\rover",
    # wraps in the table so that a command starts a continuation line
    "a" * 60 + " " + "b" * 60 + " ::error::wrapped",
]


def public_storage(name: str) -> dict[str, Any]:
    row = b.storage(re.sub(r"[^a-z0-9]", "", name.lower())[:20] or "st")
    row["id"] = row["id"] + "x" + str(abs(hash(name)))  # ids stay distinct
    row.update(name=name, properties={"publicNetworkAccess": "Enabled"})
    return row


def write_rows(path: Path, rows: list[dict[str, Any]]) -> str:
    path.write_text(json.dumps(rows), encoding="utf-8")  # ASCII: lone surrogates survive
    return str(path)


def assert_log_safe(text: str) -> None:
    """Nothing in ``text`` is a control sequence or a workflow command to a CI runner."""
    assert not CONTROLS.search(text), repr(CONTROLS.search(text))
    assert "\ud800" not in text
    for line in re.split(r"[\n\r]", text):
        assert not line.lstrip().startswith("::"), line
    assert not re.search(r"##(vso)?\[", text, re.IGNORECASE), text
    assert "😄" not in text  # :smile: is text, not an emoji


def run_bounded(
    *args: str, seconds: int = 20, memory: int = 1 << 30, disk: int | None = None
) -> subprocess.CompletedProcess[str]:
    """The console script with a time and an address-space limit; ``disk`` bytes, when
    given, is the most it can write to a file (a full disk, as the writer sees it)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if disk is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a kill
            resource.setrlimit(resource.RLIMIT_FSIZE, (disk, disk))

    return subprocess.run(
        [console_script(), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds,
        preexec_fn=limit,
        check=False,
    )


# -- nothing reaches a terminal or CI log as control -------------------------------------------
def test_table_report_shows_controls_and_defuses_workflow_commands(tmp_path: Path) -> None:
    estate = write_rows(tmp_path / "e.json", [public_storage(n) for n in HOSTILE_NAMES])
    out = tmp_path / "report.txt"
    proc = run_cli("scan", "--snapshot", estate, "--format", "table", "--output", f"table:{out}")
    assert proc.returncode == 1, proc.stderr
    for text in (proc.stdout, out.read_text(encoding="utf-8")):
        assert_log_safe(text)
        flat = " ".join(text.split())
        assert "[U+001B]]0;title[U+0007]" in flat and "kv[U+202E]gnp.exe" in flat
        assert "[bold]loud[/bold] :smile:" in flat  # markup and emoji codes are text
        assert "error title=pwned" in flat and "task.setvariable" in flat


def test_json_on_stdout_is_defused_and_still_the_same_document(tmp_path: Path) -> None:
    estate = write_rows(tmp_path / "e.json", [public_storage(n) for n in HOSTILE_NAMES])
    out = tmp_path / "r.json"
    proc = run_cli("scan", "--snapshot", estate, "--format", "json", "--output", f"json:{out}")
    assert proc.returncode == 1, proc.stderr
    assert not re.search(r"##(vso)?\[", proc.stdout)
    assert json.loads(proc.stdout) == json.loads(out.read_text(encoding="utf-8"))
    for fmt in ("sarif", "junit", "html", "markdown", "csv"):
        shown = run_cli("scan", "--snapshot", estate, "--format", fmt).stdout
        assert not re.search(r"##(vso)?\[", shown), fmt
        assert not [ln for ln in shown.splitlines() if ln.lstrip().startswith("::")], fmt


def test_diff_table_is_safe(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    good = write_rows(tmp_path / "good.json", [b.storage("stquiet")])
    hostile = write_rows(tmp_path / "e.json", [public_storage(n) for n in HOSTILE_NAMES])
    for estate, report in ((good, old), (hostile, new)):
        run_cli("scan", "--snapshot", estate, "--output", f"json:{report}")
    proc = run_cli("diff", str(old), str(new), "--format", "table", "--allow-partial")
    assert proc.returncode == 0, proc.stderr
    assert_log_safe(proc.stdout)
    assert "[U+202E]" in proc.stdout


HOSTILE_RULE = r"""id: ORG-HST-001
title: "Storage [bold]open[/bold] :smile: \e[31m ::error::title"
severity: high
category: public-access
resource_types: [microsoft.storage/storageaccounts]
assert: {path: subject.properties.publicNetworkAccess, equals: Disabled}
message: Storage account {subject.name} is open.
rationale: "Rationale.\n::error::from a rule file\n##vso[task.complete result=Failed]done\n\e]8;;https://evil\e\\link"
remediation:
  summary: Close {subject.name}.
  terraform: 'public_network_access_enabled = false'
  cli: az storage account update --name {subject.name} --public-network-access Disabled
references:
  - title: "Reference \u202e"
    url: https://learn.microsoft.com/azure/storage/
"""


ASSERTION = "assert: {path: subject.properties.publicNetworkAccess, equals: Disabled}"


def rule_dir(tmp_path: Path, assertion: str = ASSERTION, extra: str = "") -> Path:
    """A ``--rules`` directory holding HOSTILE_RULE with ``assertion`` for its assert."""
    rules = tmp_path / "rules"
    rules.mkdir()
    text = HOSTILE_RULE.replace(ASSERTION, assertion) + extra
    (rules / "ORG-HST-001.yaml").write_text(text, encoding="utf-8")
    return rules


def test_rules_list_and_show_print_rule_files_as_text(tmp_path: Path) -> None:
    rules = rule_dir(tmp_path)
    listed = run_cli("rules", "list", "--rules", str(rules))
    shown = run_cli("rules", "show", "ORG-HST-001", "--rules", str(rules))
    for proc in (listed, shown):
        assert proc.returncode == 0, proc.stderr
        assert_log_safe(proc.stdout)
    assert "[bold]open[/bold] :smile: [U+001B][31m" in " ".join(listed.stdout.split())
    assert "from a rule file" in shown.stdout and "[U+202E]" in shown.stdout


def test_error_lines_and_warnings_on_stderr_are_safe(tmp_path: Path) -> None:
    rules = rule_dir(
        tmp_path, 'assert: {path: subject.name, matches: "(\\e]0;pwned\\a\\n::error::x"}'
    )
    proc = run_cli("scan", "--snapshot", GOOD, "--rules", str(rules))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "bad regular expression" in proc.stderr
    assert_log_safe(proc.stderr)
    # a warning names the suppression file: its name is data too
    sup = tmp_path / "s\x1b[31m::x.yaml"
    sup.write_text("suppressions:\n  - rule: MLA-KV-001\n    justification: j\n", "utf-8")
    proc = run_cli("scan", "--snapshot", GOOD, "--suppressions", str(sup), "--format", "json")
    assert proc.returncode == 0 and "stale" in proc.stderr, proc.stderr
    assert_log_safe(proc.stderr)
    # so does the line saying where a baseline went
    proc = run_cli("baseline", "--snapshot", GOOD, "--output", str(tmp_path / "b\x1b[2J::x.json"))
    assert "wrote a baseline" in proc.stderr, proc.stderr
    assert_log_safe(proc.stderr)
    # the parser's own errors echo the command line
    proc = run_cli("scan", "--snapshot", GOOD, "\x1b[2J##vso[x]y")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert_log_safe(proc.stderr)


def test_live_log_lines_are_safe() -> None:
    """Server error text and progress lines go through the live path's log handler."""
    handler = cli._log_handler()
    stream = io.StringIO()
    handler.setStream(stream)
    logger = logging.getLogger("mlops_audit.test_hostile")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("server said: %s", "\x1b[2Jbad\n::error::x\r##vso[task.complete]")
        try:
            raise ValueError("\x1b]0;trace\x07\n::warning::in a trace")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert_log_safe(stream.getvalue())
    assert stream.getvalue().startswith("mlops-audit: server said: [U+001B][2Jbad[U+000A]")


def test_safe_console_reads_neither_markup_nor_emoji() -> None:
    out = io.StringIO()
    safe.console(out, width=60).print("::error::y [red]x[/red] :smile:")
    assert out.getvalue() == "\u2060::error::y [red]x[/red] :smile:\n"
    assert safe.stdout('{"a": "##vso[x]"}', "json") == '{"a": "##vso\\u005bx]"}'
    assert json.loads(safe.stdout('{"a": "##[x]"}', "sarif")) == {"a": "##[x]"}
    assert safe.stdout("<a>::b::</a>\n::c::", "junit") == "<a>::b::</a>\n&#58;:c::"


# -- odd values: lone surrogates, numbers beyond a double, the pinned time ---------------------
def test_lone_surrogates_in_every_format(tmp_path: Path) -> None:
    rows = [public_storage("st\ud800x"), public_storage("\udfffst")]
    rows[0]["tags"] = {"owner\udc80": "x\ud83d"}
    estate = write_rows(tmp_path / "e.json", rows)
    outputs = [f"--output={fmt}:{tmp_path / ('r.' + fmt)}" for fmt in FORMATS]
    proc = run_cli("scan", "--snapshot", estate, *outputs, "--format", "table")
    assert proc.returncode == 1 and proc.stderr == "", proc.stderr
    assert "st\ufffdx" in proc.stdout
    for fmt in FORMATS:
        text = (tmp_path / f"r.{fmt}").read_bytes().decode("utf-8")  # strict: valid UTF-8
        assert re.search(r"\ufffd|\\ufffd|\[U\+D800\]", text), fmt


def test_a_number_beyond_a_double_is_bad_input(tmp_path: Path) -> None:
    estate = tmp_path / "inf.json"
    estate.write_text(json.dumps([public_storage("st")]).replace('"Enabled"', "1e999"))
    proc = run_cli("scan", "--snapshot", str(estate))
    assert proc.returncode == 2, proc.stderr
    assert (
        proc.stderr
        == f"mlops-audit: {estate}: invalid JSON: number 1e999 is too large for a double\n"
    )


def test_an_integer_beyond_a_double_is_data(tmp_path: Path) -> None:
    """JSON integers have no limit; a rule comparing one must not crash on the float."""
    rules = rule_dir(tmp_path, "assert: {path: subject.properties.count, lt: 5}")
    row = public_storage("st")
    row["properties"]["count"] = 10**400
    estate = write_rows(tmp_path / "e.json", [row])
    proc = run_cli("scan", "--snapshot", estate, "--rules", str(rules), "--select", "ORG-HST")
    assert proc.returncode == 1, proc.stderr
    assert [f["rule_id"] for f in json.loads(proc.stdout)["findings"]] == ["ORG-HST-001"]


@pytest.mark.parametrize(
    "epoch",
    ["99999999999999999999", "253402300800", "-1", "1.5", "soon", "\uff11\uff12", "1" * 5000],
)
def test_a_bad_source_date_epoch_is_one_line(epoch: str) -> None:
    proc = run_cli("scan", "--snapshot", GOOD, env={"SOURCE_DATE_EPOCH": epoch})
    assert proc.returncode == 2, proc.stderr
    assert (
        proc.stderr.startswith("mlops-audit: SOURCE_DATE_EPOCH=") and proc.stderr.count("\n") == 1
    )


def test_the_largest_source_date_epoch_is_the_last_four_digit_year() -> None:
    proc = run_cli("scan", "--snapshot", GOOD, env={"SOURCE_DATE_EPOCH": "253402300799"})
    assert json.loads(proc.stdout)["generated_at"] == "9999-12-31T23:59:59Z"
    proc = run_cli("scan", "--snapshot", GOOD, env={"SOURCE_DATE_EPOCH": " "})
    assert proc.returncode == 0, proc.stderr  # blank: unset


# -- rule, suppression and baseline files --------------------------------------------------------
def alias_bomb(leaf: str, levels: int = 9) -> str:
    """A few kilobytes of YAML that expand to 9**levels copies of ``leaf``."""
    items = [f"    - &x0 {leaf}"]
    items += [
        f"    - &x{i} {{any: [{', '.join([f'*x{i - 1}'] * 9)}]}}" for i in range(1, levels + 1)
    ]
    return "\n".join(items)


def test_an_alias_bomb_in_a_rule_file_is_refused_quickly(tmp_path: Path) -> None:
    bomb = "assert:\n  any:\n" + alias_bomb("{path: subject.name, exists: true}")
    rules = rule_dir(tmp_path, bomb)
    assert (rules / "ORG-HST-001.yaml").stat().st_size < 3000
    start = time.monotonic()
    proc = run_bounded("rules", "list", "--rules", str(rules))
    assert time.monotonic() - start < 10
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "anchors and aliases" in proc.stderr and "line 8" in proc.stderr


def test_anchors_are_refused_in_suppression_files(tmp_path: Path) -> None:
    sup = tmp_path / "s.yaml"
    sup.write_text(
        "suppressions:\n  - &e {rule: MLA-KV-001, justification: j}\n  - *e\n", encoding="utf-8"
    )
    proc = run_bounded("scan", "--snapshot", GOOD, "--suppressions", str(sup))
    assert proc.returncode == 2, proc.stderr
    assert (
        proc.stderr == f"mlops-audit: {sup}: invalid YAML: line 2: anchors and aliases "
        "(&name, *name) are not allowed in this file\n"
    )


@pytest.mark.parametrize("kind", ["rules", "suppressions"])
def test_a_key_twice_in_one_mapping_is_refused(tmp_path: Path, kind: str) -> None:
    if kind == "rules":
        rules = rule_dir(tmp_path, extra="severity: low\n")
        line = HOSTILE_RULE.count("\n") + 1
        args, name, key = ["--rules", str(rules)], "rules/ORG-HST-001.yaml", "severity"
    else:
        (tmp_path / "s.yaml").write_text(
            "suppressions:\n  - rule: MLA-KV-001\n    justification: j\n"
            "    expires: 2001-01-01\n    expires: 2999-01-01\n",
            encoding="utf-8",
        )
        args, name, line, key = ["--suppressions", str(tmp_path / "s.yaml")], "s.yaml", 5, "expires"
    proc = run_cli("scan", "--snapshot", GOOD, *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        f"mlops-audit: {tmp_path / name}: invalid YAML: line {line}: duplicate key '{key}'\n"
    )


def test_a_key_twice_in_a_baseline_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "b.json"
    proc = run_cli("baseline", "--snapshot", TERRAFORM, "--output", str(base))
    assert proc.returncode == 0, proc.stderr
    text = base.read_text(encoding="utf-8").replace('"format":', '"format": "x", "format":', 1)
    base.write_text(text, encoding="utf-8")
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--baseline", str(base))
    assert proc.returncode == 2 and "duplicate key 'format'" in proc.stderr, proc.stderr


def test_a_rule_regex_cannot_hang_the_scan(tmp_path: Path) -> None:
    """``(a+)+$`` backtracks 2**40 times in Python's re on this name; RE2 is linear."""
    rules = rule_dir(tmp_path, 'assert: {not: {path: subject.name, matches: "^(a+)+$"}}')
    estate = write_rows(
        tmp_path / "e.json", [public_storage("a" * 40 + "!"), public_storage("aaa")]
    )
    start = time.monotonic()
    proc = run_bounded(
        "scan",
        "--snapshot",
        estate,
        "--rules",
        str(rules),
        "--select",
        "ORG-HST",
        "--format",
        "json",
    )
    assert time.monotonic() - start < 15
    assert proc.returncode == 1, proc.stderr
    assert [f["resource_name"] for f in json.loads(proc.stdout)["findings"]] == ["aaa"]


def test_a_regex_re2_cannot_run_in_linear_time_is_refused(tmp_path: Path) -> None:
    rules = rule_dir(tmp_path, 'assert: {path: subject.name, matches: "^(a)\\\\1$"}')
    proc = run_cli("rules", "list", "--rules", str(rules))
    assert proc.returncode == 2, proc.stderr
    assert "assert.matches: bad regular expression: invalid escape sequence: \\1" in proc.stderr


def test_a_suppression_that_matches_everything_warns_everywhere(tmp_path: Path) -> None:
    sup = tmp_path / "s.yaml"
    sup.write_text(
        'suppressions:\n  - rule: "*"\n    resource: "*"\n    justification: all of it\n',
        encoding="utf-8",
    )
    outputs = [f"--output={fmt}:{tmp_path / ('r.' + fmt)}" for fmt in FORMATS]
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--suppressions", str(sup), *outputs)
    assert proc.returncode in (0, 3), proc.stderr  # nothing counts (3: checks not evaluated)
    assert f"warning: suppression {sup}#1 matches every finding" in proc.stderr
    text = {fmt: (tmp_path / f"r.{fmt}").read_text(encoding="utf-8") for fmt in FORMATS}
    assert json.loads(text["json"])["suppressions"]["match_all"][0]["entry"] == f"{sup}#1"
    (invocation,) = json.loads(text["sarif"])["runs"][0]["invocations"]
    notes = invocation["toolConfigurationNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["suppression-matches-all"]
    assert 'type="suppression-matches-all"' in text["junit"]
    assert "matches every finding" in " ".join(text["table"].split())
    assert "Matching every finding (1)" in text["markdown"]
    assert "match every finding" in text["html"]
    assert "#1 (matches every finding)" in text["csv"]
    # judged by what the globs match, not by how they are spelled
    for rule, where in (("?*", "*"), ("MLA-*", "*"), ("[!x]*", "/*"), ("*", "/*")):
        sup.write_text(
            f'suppressions:\n  - rule: "{rule}"\n    resource: "{where}"\n'
            "    justification: evasive\n",
            "utf-8",
        )
        done = run_cli(
            "scan", "--snapshot", TERRAFORM, "--suppressions", str(sup), "--format", "json"
        )
        assert f"{sup}#1 matches every finding" in done.stderr, (rule, where)
        assert done.returncode in (0, 3)
    # a narrower entry is not warned about
    sup.write_text(
        'suppressions:\n  - rule: "*"\n    tag: env=dev\n    justification: dev\n', "utf-8"
    )
    proc = run_cli("scan", "--snapshot", TERRAFORM, "--suppressions", str(sup), "--format", "json")
    assert "every finding" not in proc.stderr
    assert json.loads(proc.stdout)["suppressions"]["match_all"] == []


# -- outputs never replace inputs ----------------------------------------------------------------
def test_an_output_is_refused_when_it_is_an_input_by_another_name(tmp_path: Path) -> None:
    estate = tmp_path / "estate.json"
    estate.write_bytes(Path(TERRAFORM).read_bytes())
    os.link(estate, tmp_path / "hardlink.json")
    (tmp_path / "symlink.json").symlink_to(estate)
    sup = tmp_path / "s.yaml"
    sup.write_text("suppressions:\n  - rule: MLA-KV-001\n    justification: j\n", "utf-8")
    rules = rule_dir(tmp_path)
    base = tmp_path / "b.json"
    run_cli("baseline", "--snapshot", str(estate), "--output", str(base))
    kept = {p: p.read_bytes() for p in (estate, sup, base, rules / "ORG-HST-001.yaml")}
    cases = [
        ("scan", "--output", "json:hardlink.json"),
        ("scan", "--output", "sarif:symlink.json"),
        ("scan", "--suppressions", "s.yaml", "--output", "html:./s.yaml"),
        ("scan", "--baseline", "./b.json", "--output", "json:b.json"),
        ("scan", "--rules", "rules", "--output", "csv:rules/../rules/ORG-HST-001.yaml"),
        ("baseline", "--rules", "rules", "--output", "rules/ORG-HST-001.yaml"),
        ("scan", "--output", "json:r.json", "--output", "sarif:./r.json"),
    ]
    for command, *args in cases:
        proc = run_cli(command, "--snapshot", "estate.json", *args, cwd=tmp_path)
        assert proc.returncode == 2 and "a report must not overwrite it" in proc.stderr, (
            args,
            proc.stderr,
        )
    assert {p: p.read_bytes() for p in kept} == kept
    assert not (tmp_path / "r.json").exists()


def test_a_failed_write_leaves_the_previous_report_whole(tmp_path: Path) -> None:
    """A full disk, simulated by a file-size limit: the old report must survive."""
    report = tmp_path / "out" / "report.json"
    run_cli("scan", "--snapshot", GOOD, "--output", f"json:{report}")
    before = report.read_bytes()

    proc = run_bounded(
        "scan", "--snapshot", TERRAFORM, "--output", f"json:{report}", seconds=120, disk=4096
    )
    assert proc.returncode == 2 and "cannot write the report" in proc.stderr, proc.stderr
    assert report.read_bytes() == before
    assert [p.name for p in report.parent.iterdir()] == ["report.json"]  # no temp file left


def test_a_write_keeps_permissions_and_goes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    real.chmod(0o640)
    (tmp_path / "link.json").symlink_to(real)
    proc = run_cli("scan", "--snapshot", GOOD, "--output", f"json:{tmp_path / 'link.json'}")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "link.json").is_symlink()
    assert json.loads(real.read_text(encoding="utf-8"))["findings"] == []
    assert real.stat().st_mode & 0o777 == 0o640


def test_dev_stdout_is_still_an_output() -> None:
    proc = run_cli("scan", "--snapshot", GOOD, "--output", "json:/dev/stdout")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["findings"] == []


@pytest.mark.parametrize("option", ["--snapshot", "--baseline", "--suppressions", "--rules"])
@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null", "fifo", "socket"])
def test_special_files_are_refused_before_reading(
    tmp_path: Path, option: str, special: str
) -> None:
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "in.yaml"
        os.mkfifo(path)
    elif special == "socket":
        path = tmp_path / "in.yaml"
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
    if option == "--rules":
        rules = tmp_path / "rules"
        rules.mkdir()
        (rules / "ORG-HST-001.yaml").symlink_to(path)
        args = ["--snapshot", GOOD, "--rules", str(rules)]
        named = rules / "ORG-HST-001.yaml"
    else:
        args = (
            ["--snapshot", GOOD, option, str(path)]
            if option != "--snapshot"
            else [option, str(path)]
        )
        named = path
    try:
        proc = run_bounded("scan", *args, seconds=20)
    finally:
        if special == "socket":
            sock.close()
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"mlops-audit: {named}: is a") and proc.stderr.count("\n") == 1
    assert "not a regular file" in proc.stderr


# -- a bug is exit 4, never 1 ------------------------------------------------------------------
def test_an_unexpected_error_is_exit_4_with_one_line(monkeypatch: Any) -> None:
    from auditor import report

    def broken(*_: Any) -> Any:
        raise RuntimeError("view failed\nsecond line")

    monkeypatch.setattr(report, "build_view", broken)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["scan", "--snapshot", TERRAFORM]) == 4
    assert err.getvalue() == (
        "mlops-audit: internal error: RuntimeError: view failed second line "
        "(run with --verbose for the trace)\n"
    )
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["scan", "--snapshot", TERRAFORM, "--verbose"]) == 4
    assert err.getvalue().startswith("Traceback (most recent call last):\n")
    assert "in broken\n" in err.getvalue()
    assert err.getvalue().endswith(
        "mlops-audit: internal error: RuntimeError: view failed second line\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "--snapshot", GOOD],
        ["baseline", "--snapshot", GOOD, "--output", "b.json"],
        ["collect", "--output", "s.json"],
        ["diff", "a.json", "b.json"],
        ["rules", "list"],
        ["rules", "show", "MLA-KV-001"],
    ],
)
def test_verbose_is_an_option_of_every_command(argv: list[str]) -> None:
    assert cli.build_parser().parse_args([*argv, "--verbose"]).verbose is True


def test_a_report_on_stdout_carries_no_raw_control(tmp_path: Path) -> None:
    """A report printed on stdout lands in a terminal or CI log: every format escapes
    controls and bidi marks its own way (JSON \\u, XML &#x;, others [U+XXXX]), and JSON,
    SARIF and JUnit still parse to the same data as the file --output writes."""
    import xml.etree.ElementTree as ET

    rows = json.loads((FIXTURES / "reference-terraform.json").read_text(encoding="utf-8"))
    rows = rows["rows"] if isinstance(rows, dict) else rows
    evil = "cr\u202eevil\rX\x1b[31mred\x85"
    next(r for r in rows if "/registries/" in r["id"].lower())["name"] = evil
    estate = tmp_path / "estate.json"
    estate.write_text(json.dumps(rows), encoding="utf-8")
    for fmt in ("json", "sarif", "junit", "csv", "html", "markdown", "table"):
        out = tmp_path / f"r.{fmt}"
        done = subprocess.run(
            [console_script(), "scan", "--snapshot", str(estate), "--format", fmt,
             "--output", f"{fmt}:{out}", "--fail-on", "none", "--allow-partial"],
            capture_output=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        text = done.stdout.decode("utf-8")  # bytes: a lone CR must not be translated away
        assert not re.search("[\u202e\x1b\x85]|\r(?!\n)", text), fmt
        if fmt in ("json", "sarif"):
            assert json.loads(text) == json.loads(out.read_text(encoding="utf-8"))
        if fmt == "json":
            assert evil in [f["resource_name"] for f in json.loads(text)["findings"]]
        if fmt == "junit":
            ET.fromstring(text)


def test_xml_replaces_exactly_what_the_xml_char_production_excludes() -> None:
    """``safe.xml``'s illegal characters, named as a set for a cheap start-up, are the
    complement of XML 1.0's Char production (every code point checked)."""
    everything = "".join(map(chr, range(0x110000)))
    char = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
    expected = "".join("\ufffd" if char.fullmatch(c) is None else c for c in everything)
    assert safe.xml(everything) == expected
