"""A hostile or careless user and an odd server against the config layers
(auditor/config.py) and ``mlops-audit upload`` (auditor/upload.py): each case is one a
review found the tool getting wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor import cli, config

from .conftest import FIXTURES, ROOT
from .fake_ingest import RULE, FakeIngestion, upload_argv

GOLDEN = ROOT / "tests" / "golden" / "reference-terraform.ndjson"
TERRAFORM = FIXTURES / "reference-terraform.json"

pytestmark = pytest.mark.usefixtures("clean_config")


def _upload(
    endpoint: str, report: Path = GOLDEN, *extra: str, under: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own (run ``under`` a wrapper command), so a hang is a
    failed test, not a stuck run."""
    return subprocess.run(
        [*under, sys.executable, "-m", "auditor", *upload_argv(report, endpoint, *extra)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=40,
        check=False,
    )


# -- upload: what a server asks of the client ----------------------------------------------
@pytest.mark.parametrize("after", ["86400", "1e300", "inf"])
def test_a_retry_after_of_hours_fails_the_call_instead_of_sleeping(
    ingest: FakeIngestion, after: str
) -> None:
    """A 429 asking to wait a day (or forever) must not hold a pipeline for days: the
    call fails, counted, as the collector treats a wait over its limit."""
    body = {"error": {"code": "TooManyRequests", "message": "slow down"}}
    ingest.reject(lambda rows: True, 429, body, headers={"Retry-After": after})
    started = time.monotonic()
    done = _upload(ingest.url)
    assert time.monotonic() - started < 30
    assert done.returncode == 5, done.stderr
    assert "HTTP 429 TooManyRequests: slow down" in done.stderr
    assert "Traceback" not in done.stderr and ingest.rows == []
    assert len(ingest.calls) == 1  # not retried


@pytest.mark.parametrize("after", ["1", "soon"])  # soon: no number or date, backed off
def test_a_short_or_unreadable_retry_after_is_waited_and_the_rows_arrive(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], after: str
) -> None:
    body = {"error": {"code": "TooManyRequests", "message": "slow down"}}
    ingest.reject(lambda rows: True, 429, body, times=1, headers={"Retry-After": after})
    code = cli.main(upload_argv(GOLDEN, ingest.url))
    assert code == 0, capsys.readouterr().err
    assert [c.status for c in ingest.calls] == [429, 204]


# -- config: the file is an input ------------------------------------------------------------
CONFIG = "fail-on: none\n"


@pytest.mark.parametrize(
    ("setting", "flags"),
    [
        ("scan:\n  output: [json:x.yaml]\n", []),  # the file writes over itself
        ("scan:\n  output: [x.yaml]\n", []),
        ("", ["--output", "sarif:ci/x.yaml"]),  # a flag over the file the run was set with
        ("", ["--output", "ci/./x.yaml"]),
    ],
)
def test_a_report_is_never_written_over_the_config_file(
    capsys: pytest.CaptureFixture[str], setting: str, flags: list[str]
) -> None:
    path = Path("ci/x.yaml")
    path.parent.mkdir()
    path.write_text(CONFIG + setting, encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    code = cli.main(["scan", "--snapshot", str(TERRAFORM), "--config", str(path), *flags])
    err = capsys.readouterr().err
    assert code == 2, err
    assert path.read_text(encoding="utf-8") == before
    assert err.count("\n") == 1 and "is the config file ci/x.yaml" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["baseline", "--snapshot", str(TERRAFORM), "--output", ".mlops-audit.yaml"],
        ["policy-initiative", "--output", ".mlops-audit.yml"],
        ["diff", str(TERRAFORM), str(TERRAFORM), "--output", "./.mlops-audit.yaml"],
    ],
)
def test_the_working_directorys_config_file_is_not_an_output_either(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    name = argv[-1].removeprefix("./")
    Path(name).write_text(CONFIG, encoding="utf-8")
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert Path(name).read_text(encoding="utf-8") == CONFIG
    assert f"is the config file {name}" in err


@pytest.mark.parametrize("output", ["json:-", "-", "json:", "json: "])
def test_stdout_or_nothing_as_a_files_output_is_refused_as_the_flag_is(
    capsys: pytest.CaptureFixture[str], output: str
) -> None:
    """From a config file in another directory, '-' must not become the file 'ci/-'."""
    path = Path("ci/x.yaml")
    path.parent.mkdir()
    path.write_text(f"scan:\n  output: [{output!r}]\n", encoding="utf-8")
    code = cli.main(["scan", "--snapshot", str(TERRAFORM), "--config", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--output" in err and "needs a file path" in err
    assert sorted(os.listdir("ci")) == ["x.yaml"]


# -- upload: what the credential says ----------------------------------------------------------
def test_a_failed_sign_in_is_one_safe_line_not_the_sdks_own_warnings(
    ingest: FakeIngestion, tmp_path: Path
) -> None:
    """azure-identity logs a failed sign-in itself (az's text, raw): with no handler Python
    printed it on stderr before the summary — a second line, escape sequences and all."""
    az = tmp_path / "bin" / "az"
    az.write_text(
        "#!/bin/sh\nprintf 'ERROR: \\033]0;pwned\\007\\033[31mAADSTS70043 expired\\n"
        "##vso[task.setvariable variable=x]1\\n' >&2\nexit 1\n",
        encoding="utf-8",
    )
    done = _upload(ingest.url)
    assert done.returncode == 5
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("mlops-audit: upload failed: ")
    assert "sign-in failed: " in done.stderr and "AADSTS70043 expired" in done.stderr
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert ingest.calls == []


def test_verbose_keeps_the_sdks_warnings_made_safe(ingest: FakeIngestion, tmp_path: Path) -> None:
    az = tmp_path / "bin" / "az"
    az.write_text(
        "#!/bin/sh\nprintf 'ERROR: \\033[31mAADSTS70043 expired\\n' >&2\nexit 1\n",
        encoding="utf-8",
    )
    done = _upload(ingest.url, GOLDEN, "--verbose")
    assert done.returncode == 5
    lines = done.stderr.splitlines()
    assert len(lines) >= 2 and all(line.startswith("mlops-audit: ") for line in lines)
    assert any("AzureCliCredential" in line for line in lines[:-1]), done.stderr
    assert "\x1b" not in done.stderr


# -- upload: a line with the table's columns but not its types ---------------------------------
@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("TimeGenerated", "yesterday", "TimeGenerated is not an ISO 8601 date and time"),
        ("TimeGenerated", None, "TimeGenerated is not an ISO 8601 date and time"),
        ("Line", "12", "Line is a string; the table's column is an int"),
        ("Line", True, "Line is a boolean; the table's column is an int"),
        ("Line", 1e999, "not a JSON object (number 1e999 is too large for a double)"),
        ("Line", 2**40, "Line is out of the int column's range"),
        ("Severity", 3, "Severity is a number; the table's column is a string"),
        ("RuleId", None, "RuleId is null; the table's column is a string"),
        ("RuleId", ["MLA-1"], "RuleId is an array; the table's column is a string"),
        ("Line", {"n": 1}, "Line is an object; the table's column is an int"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_before_any_request(
    ingest: FakeIngestion,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    column: str,
    value: object,
    problem: str,
) -> None:
    """The service stores a value its column cannot hold as empty, and says nothing: the
    file is refused whole, as one with a missing column is."""
    import json

    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[1])
    record[column] = value
    lines[1] = json.dumps(record).replace("Infinity", "1e999")
    report = tmp_path / "edited.ndjson"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = cli.main(upload_argv(report, ingest.url))
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{report}: line 2: {problem}" in err and err.count("\n") == 1
    assert ingest.calls == []


# -- config: a value is read as written, as its flag's would be --------------------------------
@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ("timeout: 1:30", "invalid seconds '1:30'"),  # YAML 1.1: sexagesimal 90
        ("timeout: 0x1F", "invalid seconds '0x1F'"),  # YAML 1.1: 31
        ("timeout: .inf", "invalid seconds '.inf'"),
        ("timeout: 2020-01-01", "invalid seconds '2020-01-01'"),  # a date, not a type error
    ],
)
def test_a_yaml_1_1_number_is_not_read_as_another_value(
    capsys: pytest.CaptureFixture[str], setting: str, problem: str
) -> None:
    """YAML 1.1 reads 1:30 as 90, 0x1F as 31, 1_0 as 10: a value the flag refuses passed,
    changed, where the page promises the flag's own checks."""
    Path(".mlops-audit.yaml").write_text(setting + "\n", encoding="utf-8")
    code = cli.main(["scan", "--snapshot", str(TERRAFORM), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f".mlops-audit.yaml: key 'timeout': {problem}" in err


def test_a_leading_zero_is_kept_as_the_flag_keeps_it() -> None:
    """``parts: 010`` is 10 partitions, as ``--parts 010`` is, not YAML 1.1's octal 8."""
    Path(".mlops-audit.yaml").write_text("parts: 010\n", encoding="utf-8")
    argv = ["partition", str(TERRAFORM), "--out-dir", "o"]
    args, _ = config.parse_args(cli.build_parser(), argv)
    assert args.parts == 10


# -- upload: the documented pipeline step ---------------------------------------------------------
def test_the_documented_scan_then_upload_step_uploads_findings_under_set_e(tmp_path: Path) -> None:
    """CI shells run steps with ``set -e`` (GitHub's bash does): the step must still
    upload when the scan exits 1 for findings, then end with the scan's code."""
    import re

    page = (ROOT / "docs" / "log-analytics.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```sh\n(.*?)```", page, re.S) if "upload" in b)
    stub = tmp_path / "bin" / "mlops-audit"
    stub.parent.mkdir()
    stub.write_text(
        f'#!/bin/sh\necho "$1" >> {tmp_path / "calls"}\n[ "$1" = scan ] && exit 1\nexit 0\n',
        encoding="utf-8",
    )
    stub.chmod(0o755)
    done = subprocess.run(
        ["bash", "-e", "-c", block],
        env={**os.environ, "PATH": f"{stub.parent}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (tmp_path / "calls").read_text().split() == ["scan", "upload"], done.stderr
    assert done.returncode == 1


# -- upload: what the report path names -----------------------------------------------------------
@pytest.mark.parametrize(("name", "kind"), [("/dev/zero", "a device"), ("fifo", "a FIFO")])
def test_a_report_that_is_not_a_regular_file_is_refused_unread(
    ingest: FakeIngestion, tmp_path: Path, name: str, kind: str
) -> None:
    """/dev/zero was read until memory ran out (exit 4, MemoryError) and a FIFO waited for
    a writer forever: every other input is refused as not a regular file."""
    report = Path(name)
    if name == "fifo":
        report = tmp_path / "fifo"
        os.mkfifo(report)
    bounded = ("bash", "-c", 'ulimit -v 2097152; exec "$@"', "-")  # were it read: 2 GiB at most
    done = _upload(ingest.url, report, under=bounded)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"mlops-audit: {report}: is {kind}, not a regular file; expected a mlops-audit NDJSON "
        "report (scan --output ndjson:FILE) file\n"
    )
    assert ingest.calls == []


# -- validate: the config file by the name the docs give it ---------------------------------------
def test_validate_takes_the_documented_ci_config_name_as_a_config(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/configuration.md's --config example is ci/mlops-audit.yaml: validate read it
    as a rule file and said 'id: required field is missing' of a valid config."""
    Path("ci").mkdir()
    Path("ci/mlops-audit.yaml").write_text("fail-on: medium\n", encoding="utf-8")
    assert cli.main(["validate", "ci/mlops-audit.yaml"]) == 0, capsys.readouterr().err
    Path("ci/mlops-audit.yml").write_text("fail-on: hgh\n", encoding="utf-8")
    assert cli.main(["validate", "ci/mlops-audit.yml"]) == 2
    assert "key 'fail-on': invalid choice: 'hgh'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("setting", "environ", "said"),
    [
        ("verbose: false\n", {"MLOPS_AUDIT_VERBOSE": "true"}, True),
        ("verbose: true\n", {"MLOPS_AUDIT_VERBOSE": "false"}, False),
        ("verbose: true\n", {}, True),
    ],
)
def test_the_config_file_is_named_when_the_run_is_verbose_whichever_layer_said_so(
    setting: str, environ: dict[str, str], said: bool
) -> None:
    Path(".mlops-audit.yaml").write_text(setting, encoding="utf-8")
    argv = ["scan", "--snapshot", str(TERRAFORM)]
    args, notes = config.parse_args(cli.build_parser(), argv, environ)
    assert args.verbose is said
    assert ("using configuration from .mlops-audit.yaml" in notes) is said


@pytest.mark.parametrize("depth", [100_000, 985, 65])
def test_a_line_nested_too_deeply_is_bad_input_not_an_internal_error(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], tmp_path: Path, depth: int
) -> None:
    """A dynamic column 100,000 arrays deep: json's RecursionError reading it was exit 4, a
    bug; 985 deep was read, then the SDK's encoder ran out of stack (exit 4 again)."""
    first = GOLDEN.read_text(encoding="utf-8").splitlines()[0]
    deep = first.replace('"Suppression":null', '"Suppression":' + "[" * depth + "]" * depth)
    assert deep != first
    report = tmp_path / "deep.ndjson"
    report.write_text(deep + "\n", encoding="utf-8")
    code = cli.main(upload_argv(report, ingest.url))
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{report}: line 1: " in err and "nested too deeply" in err
    assert ingest.calls == []


# -- config: where the estate comes from is one choice --------------------------------------------
SUB = "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize(
    ("setting", "environ", "argv"),
    [
        # the page's own example sets the scope at the top level: an offline scan in the
        # same directory failed "not both", and no flag could unset the file's scope
        (f"subscription: [{SUB}]\nauth: cli\n", {}, ["--snapshot", str(TERRAFORM)]),
        ("", {"MLOPS_AUDIT_SUBSCRIPTION": SUB}, ["--snapshot", str(TERRAFORM)]),
        ("scan:\n  management-group: [mg]\n", {}, ["--sample"]),
        # the environment's source over the file's
        (f"subscription: [{SUB}]\n", {"MLOPS_AUDIT_SNAPSHOT": str(TERRAFORM)}, []),
    ],
)
def test_a_higher_layers_source_replaces_a_lower_layers(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    environ: dict[str, str],
    argv: list[str],
) -> None:
    if setting:
        Path(".mlops-audit.yaml").write_text(setting, encoding="utf-8")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    code = cli.main(["scan", "--format", "json", *argv])
    out, err = capsys.readouterr()
    assert code == 1, err  # the offline estate's findings, not a usage error
    assert json.loads(out)["summary"]["findings"] > 0


def test_a_lower_layers_source_still_applies_when_no_higher_one_names_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    Path(".mlops-audit.yaml").write_text(
        f"scan:\n  snapshot: [{TERRAFORM}]\n  fail-on: none\n", encoding="utf-8"
    )
    assert cli.main(["scan", "--format", "json"]) == 0, capsys.readouterr().err
    Path(".mlops-audit.yaml").write_text(
        f"scan:\n  snapshot: [{TERRAFORM}]\n  subscription: [{SUB}]\n", encoding="utf-8"
    )
    assert cli.main(["scan", "--format", "json"]) == 2  # one layer naming both: refused
    assert "not both" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("key", "hint"), [("FAIL-ON", "fail-on"), ("Sarif_Category", "sarif-category")]
)
def test_a_key_in_another_case_is_refused_with_the_name_as_a_hint(
    capsys: pytest.CaptureFixture[str], key: str, hint: str
) -> None:
    """Variables are read in any case, file keys are not: the refusal names the key."""
    Path(".mlops-audit.yaml").write_text(f"{key}: x\n", encoding="utf-8")
    assert cli.main(["scan", "--snapshot", str(TERRAFORM)]) == 2
    assert f"(did you mean '{hint}'?)" in capsys.readouterr().err


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://user:s3cr3t@example.invalid",
        "https://user:s3cr3t@example.invalid:99999",
        "http://user:s3cr3t@example.invalid",
        "https://user:s3cr3t@example.invalid/path",
        "https://user:s3cr3t@exa mple.invalid",
    ],
)
def test_an_endpoint_with_a_password_is_refused_without_echoing_it(
    capsys: pytest.CaptureFixture[str], endpoint: str
) -> None:
    """A password in the endpoint (a pipeline secret pasted whole) must not reach the log."""
    code = cli.main(["upload", str(GOLDEN), "--endpoint", endpoint, "--rule-id", RULE])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "s3cr3t" not in err and "--endpoint" in err
