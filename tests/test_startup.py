"""Start-up: rule files read through libyaml give the pure loader's data, and the light
commands (``--version``, ``rules list``) load nothing they do not use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from auditor import rules

from .conftest import ROOT

SHIPPED = [
    *rules.rule_files(rules.builtin_rules_dir()),
    *sorted((ROOT / "examples").rglob("*.yaml")),
]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_libyaml_reads_what_the_pure_loader_reads(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    pure = yaml.load(text, Loader=rules._RuleLoader)
    fast = rules._load_yaml(text)
    assert fast == pure and repr(fast) == repr(pure)  # repr: True is not 1, 1.0 is not 1


@pytest.mark.skipif(rules._CRuleLoader is None, reason="PyYAML without libyaml")
@pytest.mark.parametrize(
    "text",
    [
        "on: yes\noff: [no, true, False, ~, 1e3, 0x10, 2027-01-02]\n",
        "path: subject.properties.subnets[*].id\nmessage: 'a & b * c'\n",
        "a: &x 1\nb: *x\n",  # refused by the pure loader, never read by libyaml
        "a: 1\na: 2\n",
        "a: [\n",
        "a: 2027-02-30\n",
        "a: " + "[" * 1200 + "]" * 1200 + "\n",
    ],
)
def test_libyaml_and_the_pure_loader_agree_on_data_and_errors(text: str) -> None:
    def read(load: object) -> object:
        try:
            return load(text)  # type: ignore[operator]
        except Exception as exc:  # the error, worded: what the CLI would print
            return (type(exc), str(exc))

    assert read(rules._load_yaml) == read(lambda t: yaml.load(t, Loader=rules._RuleLoader))


HEAVY = (
    "networkx",
    "azure",
    "auditor.graph",
    "auditor.collect",
    "auditor.inputs.terraform_input",
    "auditor.inputs.terraform",
    "auditor.terraform",
    "auditor.report.json_report",
    "auditor.report.sarif",
    "auditor.report.junit",
    "auditor.report.html_report",
    "auditor.report.markdown",
    "auditor.report.csv_report",
    "auditor.report.terminal",
)


def _modules_after(*argv: str) -> tuple[set[str], str]:
    """The modules a CLI command leaves imported, run in a fresh interpreter."""
    probe = (
        "import json, sys\n"
        "from auditor import cli\n"
        "try:\n"
        f"    code = cli.main({list(argv)!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "sys.stdout.flush()\n"
        "print('\\n' + json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stderr.splitlines()[-1])), proc.stdout


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_version_imports_neither_the_pipeline_nor_a_renderer() -> None:
    modules, out = _modules_after("--version")
    assert out.startswith("mlops-audit ")
    assert _heavy(modules) == []
    assert (
        not {"auditor.rules", "auditor.core", "auditor.report.view", "pydantic", "yaml"} & modules
    )
    assert not {"rich", "markdown_it"} & modules


def test_a_json_scan_imports_no_other_format_nor_networkx_nor_triage() -> None:
    modules, out = _modules_after(
        "scan", "--snapshot", str(ROOT / "fixtures" / "reference-good.json"), "--format", "json"
    )
    assert json.loads(out)["summary"]["findings"] == 0
    heavy = _heavy(modules)
    # the graph, the one format written, and the Terraform formats' registration (its
    # readers, auditor.inputs.terraform, load on first use)
    assert heavy == [
        "auditor.graph",
        "auditor.inputs.terraform_input",
        "auditor.report.json_report",
    ]
    assert not {"auditor.triage", "auditor.collect", "rich", "markdown_it"} & modules


def test_rules_list_imports_only_what_it_prints() -> None:
    modules, out = _modules_after("rules", "list")
    assert "MLA-DNS-001" in out
    assert _heavy(modules) == []
    assert not {"auditor.core", "auditor.report.view", "rich.markdown", "markdown_it"} & modules
    assert "auditor.rules" in modules  # the probe saw the command run


@pytest.mark.parametrize(
    "argv",
    [
        ("rules", "list"),
        ("rules", "list", "--format", "json"),
        ("queries",),
        ("queries", "--format", "json"),
        ("policy-initiative",),  # rules and the recorded built-ins: no graph, no report
    ],
)
def test_piped_rules_and_queries_import_neither_rich_nor_the_pipeline(
    argv: tuple[str, ...],
) -> None:
    """On a pipe these print plain text or JSON: Rich (and the graph) never load."""
    modules, out = _modules_after(*argv)
    assert out.strip()
    assert _heavy(modules) == []
    assert not {"rich", "auditor.core", "auditor.report.view", "markdown_it"} & modules


# -- the program leaves a finished scan without tearing its heap down --------------------
TERRAFORM = ROOT / "fixtures" / "reference-terraform.json"
GOOD = ROOT / "fixtures" / "reference-good.json"
# the program as the console script runs it, with an exit hook that a normal interpreter
# exit runs and os._exit skips
PROGRAM = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('torn down', file=sys.stderr))\n"
    "sys.argv[0] = 'mlops-audit'\n"
    "from auditor.cli import run\n"
    "run()\n"
)


def _program(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "0", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, *argv], capture_output=True, text=True, env=env, cwd=cwd
    )


@pytest.mark.parametrize(
    ("estate", "extra", "code"),
    [(GOOD, (), 0), (TERRAFORM, (), 1), ("empty", (), 3), ("empty", ("--allow-partial",), 0)],
)
def test_a_finished_scan_leaves_at_once_with_its_exit_code_and_whole_output(
    tmp_path: Path, estate: Path | str, extra: tuple[str, ...], code: int
) -> None:
    if estate == "empty":
        estate = tmp_path / "empty.json"
        estate.write_text("[]", encoding="utf-8")
    out = tmp_path / "r.sarif"
    proc = _program(
        "scan", "--snapshot", str(estate), "--format", "json", "--output", f"sarif:{out}", *extra
    )
    assert proc.returncode == code, proc.stderr
    assert "torn down" not in proc.stderr  # left through os._exit, after the flush
    report = json.loads(proc.stdout)  # stdout whole
    assert report["summary"]["findings"] == (4 if estate == TERRAFORM else 0)
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == "2.1.0"
    if code == 3:
        assert "incomplete:" in proc.stderr and proc.stderr.count("\n") == 1


def test_only_a_finished_scan_leaves_early(tmp_path: Path) -> None:
    proc = _program("rules", "list")
    assert proc.returncode == 0 and "torn down" in proc.stderr
    proc = _program("scan", "--snapshot", str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and "torn down" in proc.stderr  # errors exit as before
    (tmp_path / "file").write_text("", encoding="utf-8")
    proc = _program("scan", "--snapshot", str(GOOD), "--output", str(tmp_path / "file" / "r"))
    assert proc.returncode == 2 and "cannot write" in proc.stderr and "torn down" in proc.stderr


@pytest.mark.parametrize(("extra", "code"), [(("--fail-on", "none"), 0), ((), 1)])
def test_a_finished_scan_with_stderr_closed_leaves_with_its_code(
    tmp_path: Path, extra: tuple[str, ...], code: int
) -> None:
    """``2>&-``: Python has no sys.stderr. The early exit must not fail on it (it did:
    exit 4, and the 'internal error' line, printed to stdout, ended the JSON report)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "0"}
    out = tmp_path / "r.sarif"
    argv = ["scan", "--snapshot", str(TERRAFORM), "--format", "json", "--output", f"sarif:{out}"]
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" 2>&-', "sh", sys.executable, "-c", PROGRAM, *argv, *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == code
    assert json.loads(proc.stdout)["summary"]["findings"] == 4  # stdout whole, nothing after
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == "2.1.0"


@pytest.mark.parametrize("where", ["full disk", "closed pipe"])
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_report_stdout_cannot_take_is_one_line_and_exit_2(
    tmp_path: Path, where: str, fmt: str
) -> None:
    """stdout on a full disk (/dev/full) or a pipe whose reader has gone: one line naming
    stdout and exit 2, as for an --output path, never 'internal error' (exit 4) nor the
    interpreter's own 'Exception ignored' at exit; the --output file is still whole."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "0"}
    out = tmp_path / "r.sarif"
    argv = [sys.executable, "-c", PROGRAM, "scan", "--snapshot", str(TERRAFORM)]
    argv += ["--format", fmt, "--output", f"sarif:{out}"]
    if where == "full disk":
        with open("/dev/full", "wb") as full:
            proc = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    else:
        read, write = os.pipe()
        os.close(read)  # the reader is gone before the report is written
        try:
            proc = subprocess.run(argv, stdout=write, stderr=subprocess.PIPE, env=env, cwd=ROOT)
        finally:
            os.close(write)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert err.startswith("mlops-audit: cannot write the report to stdout: ")
    # one line, then the test program's exit hook (an error exits normally)
    assert err.splitlines()[1:] == ["torn down"], err
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == "2.1.0"


@pytest.mark.parametrize(
    ("extra", "code", "said"),
    [
        ((), 2, "mlops-audit: cannot write the report to stdout: stdout is closed"),
        (("--quiet", "--fail-on", "none"), 0, ""),
    ],
)
def test_a_scan_started_without_stdout_says_so_or_writes_its_files(
    tmp_path: Path, extra: tuple[str, ...], code: int, said: str
) -> None:
    """``>&-``: Python has no sys.stdout. A report meant for stdout is one line and exit 2
    (it was exit 4: isatty() on None); with the reports going to files the scan runs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "0"}
    out = tmp_path / "r.sarif"
    argv = ["scan", "--snapshot", str(TERRAFORM), "--output", f"sarif:{out}", *extra]
    if not extra:
        argv += ["--format", "json"]
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-c", PROGRAM, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == code, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line != "torn down"]
    assert lines == ([said] if said else []), proc.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_validate_imports_neither_networkx_nor_azure_nor_a_renderer(tmp_path: Path) -> None:
    """validate runs where there is no Azure access (a fork's pull request, pre-commit):
    it reads rules, suppressions and a baseline without a graph or the Azure SDK."""
    baseline = tmp_path / "mlops-audit-baseline.json"
    baseline.write_text(
        json.dumps({"format": "mlops-audit-baseline", "version": 1, "findings": []}),
        encoding="utf-8",
    )
    modules, out = _modules_after(
        "validate",
        str(rules.builtin_rules_dir()),
        str(ROOT / "examples" / "suppressions.yaml"),
        str(baseline),
    )
    assert out.endswith("files checked, all valid\n")
    assert _heavy(modules) == []
    assert "auditor.triage" in modules and "auditor.validate" in modules  # it did read them
    assert not {"rich", "auditor.core", "auditor.report.view", "markdown_it"} & modules


PEERS = ROOT / "fixtures" / "topologies" / "peer-overlap" / "estate.json"
SNET_A = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net/providers/"
    "Microsoft.Network/virtualNetworks/vnet-a/subnets/snet"
)
GOLDEN_DIR = ROOT / "tests" / "golden"


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", str(ROOT / "rules")],
        [
            "diff",
            str(GOLDEN_DIR / "reference-terraform.json"),
            str(GOLDEN_DIR / "reference-good.json"),
        ],
        ["resolve", "--snapshot", str(TERRAFORM), "x.blob.core.windows.net", "--from", "vnet-aml"],
        ["reach", "--snapshot", str(PEERS), "--from", "Internet", "--to", SNET_A, "--port", "22"],
        [
            "reach",
            "--snapshot",
            str(PEERS),
            "--from",
            "Internet",
            "--to",
            SNET_A,
            "--port",
            "22",
            "--format",
            "json",
        ],
        ["rules", "list"],
        ["rules", "list", "--format", "json"],
        ["rules", "show", "MLA-NSG-002"],
        ["queries", "--format", "json"],
        ["policy-initiative"],
    ],
    ids=lambda argv: " ".join(a for a in argv if not a.startswith("/")),
)
def test_every_command_writing_to_a_closed_pipe_is_one_line_and_exit_2(argv: list[str]) -> None:
    """``mlops-audit … | head -0``: whatever the command, a reader that has gone is one line
    and exit 2, as for a scan's report — never 'internal error' (exit 4)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "auditor", *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            timeout=120,
        )
    finally:
        os.close(write)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    lines = [line for line in err.splitlines() if " note: " not in line]  # initiative's notes
    assert lines == ["mlops-audit: cannot write the report to stdout: Broken pipe"], err
