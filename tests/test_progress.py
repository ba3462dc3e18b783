"""Progress on stderr: a Rich bar on a terminal, a few summary lines in a CI log (never one
per request), nothing under --quiet; stdout and the reports untouched."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor import core, progress
from auditor.report import progress as view
from auditor.report import safe

from .conftest import FIXTURES, ROOT
from .fake_arm import FakeArm, write_stub_az
from .test_live import cli, estate, scope_args
from .update_golden import console_script

GOOD = str(FIXTURES / "reference-good.json")
HOSTILE = "pe-\x1b]0;pwned\x07\x1b[2J\r::error::x##vso[task.complete]"
CI_NAMES = ("CI", "TF_BUILD", "GITHUB_ACTIONS")
LINE = re.compile(r"^mlops-audit: (?P<stage>[^:]+): (?P<text>.*) \((?P<time>[0-9.]+ s)\)$")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any CI marker, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in CI_NAMES}
    env["PYTHONPATH"] = str(ROOT)
    env["SOURCE_DATE_EPOCH"] = "1700000000"
    return {**env, **extra}


def in_pty(env: dict[str, str], *args: str, stdout: Path) -> tuple[int, bytes]:
    """Run the CLI with stderr on a pseudo-terminal (stdout to a file): its exit code and
    every byte it drew on the terminal."""
    controller, terminal = os.openpty()
    with stdout.open("wb") as out:
        proc = subprocess.Popen(
            [console_script(), *args],
            cwd=ROOT,
            env={**env, "TERM": "xterm-256color", "COLUMNS": "120"},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=terminal,
        )
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            drawn += chunk
        code = proc.wait(timeout=180)
    os.close(controller)
    return code, drawn


# -- the protocol and the CI view ---------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lines_print_one_line_per_stage_and_a_rate_limited_count() -> None:
    said: list[str] = []
    clock = Clock()
    lines = progress.Lines(said.append, interval=30, clock=clock)
    lines.begin(progress.ARM_READS, 4000)
    for done in range(1, 4001):  # one read every 25 ms: 100 s in all
        clock.now = done * 0.025
        lines.step(progress.ARM_READS, done, f"privatednszonegroups of pe-{done}")
    lines.end(progress.ARM_READS, "4,000 lists, 12 items, 2 failed")
    assert said == [
        "ARM reads: 1,200/4,000 (privatednszonegroups of pe-1200)",
        "ARM reads: 2,400/4,000 (privatednszonegroups of pe-2400)",
        "ARM reads: 3,600/4,000 (privatednszonegroups of pe-3600)",
        "ARM reads: 4,000 lists, 12 items, 2 failed (1 min 40 s)",
    ]
    # a short stage says its summary only; an unknown total counts without one
    said.clear()
    lines.begin(progress.LOAD)
    clock.now += 31
    lines.step(progress.LOAD, 1)
    lines.end(progress.LOAD, "1 input, 5 resources")
    assert said == ["load: 1", "load: 1 input, 5 resources (31.0 s)"]
    assert progress.seconds(125.4) == "2 min 5 s"


@pytest.mark.parametrize(
    ("took", "shown"),
    [(59.94, "59.9 s"), (59.96, "1 min 0 s"), (119.6, "2 min 0 s"), (3599.7, "60 min 0 s")],
)
def test_a_time_rounds_up_into_the_next_minute_never_to_60_s(took: float, shown: str) -> None:
    assert progress.seconds(took) == shown


def test_outside_ci_a_pipe_hears_only_of_the_slow_stages() -> None:
    said: list[str] = []
    clock = Clock()
    lines = progress.Lines(said.append, at_least=5, clock=clock)
    lines.begin(progress.LOAD, 1)
    clock.now = 4.9
    lines.end(progress.LOAD, "1 input, 5 resources")
    lines.begin(progress.AUDIT, 2)
    clock.now = 10.0
    lines.end(progress.AUDIT, "58 rules on 5 resources")
    assert said == ["audit: 58 rules on 5 resources (5.1 s)"]


def test_the_silent_view_and_the_library_default_print_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with progress.NONE as shown:
        shown.begin(progress.LOAD, 1)
        shown.step(progress.LOAD, 1, "x")
        shown.end(progress.LOAD, "done")
    run = core.audit(GOOD, generated_at="2024-01-01T00:00:00Z")
    assert run.result.outcomes
    assert capsys.readouterr() == ("", "")


def test_the_library_reports_its_stages_to_a_progress_it_is_given() -> None:
    said: list[str] = []
    core.audit([GOOD, GOOD], progress=progress.Lines(said.append), generated_at=None)
    assert [s.split(" (")[0] for s in said] == [
        "load: 2 inputs, 68 resources",
        f"audit: {len(core.choose_rules(core.rules_stage.load_rules([]), [], []))} rules on "
        "68 resources",
    ]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("environ", "stream", "kind"),
    [
        ({}, Tty(), view.Bar),
        ({"TERM": "xterm"}, Tty(), view.Bar),
        ({"CI": "true"}, Tty(), progress.Lines),  # a runner's pseudo-terminal is still CI
        ({"TF_BUILD": "True"}, Tty(), progress.Lines),
        ({"GITHUB_ACTIONS": "true"}, Tty(), progress.Lines),
        ({"CI": "false"}, Tty(), view.Bar),
        ({"TERM": "dumb"}, Tty(), progress.Lines),
        ({}, io.StringIO(), progress.Lines),  # a pipe or a file
    ],
)
def test_the_view_is_chosen_by_terminal_and_ci(
    environ: dict[str, str], stream: io.StringIO, kind: type
) -> None:
    shown = view.choose(False, stream, environ)
    assert type(shown) is kind
    if isinstance(shown, progress.Lines):  # every stage in CI; the slow ones in a pipe
        brief = not stream.isatty() and not view.is_ci(environ)
        assert shown._at_least == (progress.BRIEF if brief else 0)
    assert type(view.choose(True, stream, environ)) is progress.Progress  # --quiet


def test_lines_to_a_stream_are_made_safe() -> None:
    out = io.StringIO()
    lines = view.choose(False, out, {"CI": "true"})
    lines.begin(progress.ARM_READS, 1)
    lines.end(progress.ARM_READS, HOSTILE)
    text = out.getvalue()
    assert text.count("\n") == 1 and "\x1b" not in text and "\r" not in text
    assert "[U+001B]]0;pwned[U+0007]" in text and "##vso[" not in text


# -- the terminal view: a Rich bar ---------------------------------------------------------
def test_the_bar_draws_a_rich_progress_bar_and_no_hostile_sequence() -> None:
    out = io.StringIO()
    console = safe.console(out, force_terminal=True, width=120, color_system="standard")
    bar = view.Bar(console)
    bar.begin(progress.ARM_READS, 10, HOSTILE)
    bar.step(progress.ARM_READS, 4, f"privatednszonegroups of {HOSTILE}")
    bar._rich.refresh()  # draw this frame now, as the refresh thread would
    drawn = out.getvalue()
    bar.end(progress.ARM_READS, "10 lists")
    bar.close()
    assert "━" in drawn and "4/10" in drawn  # a bar and its count
    assert "ARM reads: privatednszonegroups of pe-[U+001B]]0;pwned[U+00…" in drawn
    assert_drawn_safe(drawn)
    # the bar erased, the cursor back (Rich before 13.8 moves to a fresh line in between)
    assert re.search(r"\x1b\[2K\n?\x1b\[\?25h\r$", out.getvalue()), repr(out.getvalue()[-40:])


def assert_drawn_safe(drawn: str) -> None:
    """Rich's own control sequences only (cursor, erase line, colour): none of the
    hostile name's — no OSC title, no clear screen, no bare CR but Rich's own, no
    workflow command."""
    assert "\x1b]" not in drawn and "\x07" not in drawn and "\x1b[2J" not in drawn
    assert "##vso[" not in drawn and "\n::error::" not in drawn
    rich_own = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", drawn)
    assert "\x1b" not in rich_own
    rest = re.sub(r"\r(?=\x1b\[2K|$)|(?<=\x1b\[\?25h)\r|\r\n", "", drawn)
    assert "\r" not in rest, rest[max(0, rest.find("\r") - 200) : rest.find("\r") + 50]


def test_a_scan_on_a_terminal_draws_a_bar_and_leaves_the_report_alone(tmp_path: Path) -> None:
    snap = tmp_path / f"{HOSTILE}.json"
    snap.write_bytes(Path(GOOD).read_bytes())
    out, piped = tmp_path / "tty.json", tmp_path / "pipe.json"
    args = ("scan", "--snapshot", str(snap), "--format", "json", "--fail-on", "none")
    code, drawn = in_pty(clean_env(), *args, stdout=out)
    assert code == 0, drawn
    text = drawn.decode()
    assert "\x1b[?25l" in text and text.rstrip("\r\n").endswith("\x1b[?25h")  # a live bar
    assert "━" in text
    assert_drawn_safe(text)
    # the same scan in a pipe, and in CI: the same report, byte for byte; a quick scan
    # in a pipe says nothing on stderr, in CI a line per stage
    proc = cli(clean_env(), *args)
    piped.write_text(proc.stdout)
    assert out.read_bytes() == piped.read_bytes() and proc.stderr == ""
    ci = cli(clean_env(TF_BUILD="True"), *args)
    assert ci.stdout == proc.stdout
    stages = [LINE.match(x)["stage"] for x in ci.stderr.splitlines()]  # type: ignore[index]
    assert stages == ["load", "audit"]


def test_quiet_on_a_terminal_draws_nothing(tmp_path: Path) -> None:
    code, drawn = in_pty(
        clean_env(),
        "scan",
        "--snapshot",
        GOOD,
        "--quiet",
        "--fail-on",
        "none",
        stdout=tmp_path / "o",
    )
    assert code == 0 and drawn == b""


def test_ci_on_a_terminal_prints_lines_not_a_bar(tmp_path: Path) -> None:
    code, drawn = in_pty(
        clean_env(GITHUB_ACTIONS="true"),
        "scan",
        "--snapshot",
        GOOD,
        "--format",
        "json",
        stdout=tmp_path / "o",
    )
    lines = drawn.decode().splitlines()
    assert code == 0 and "\x1b" not in drawn.decode()
    assert [LINE.match(x)["stage"] for x in lines] == ["load", "audit"]  # type: ignore[index]


# -- offline scans in CI -------------------------------------------------------------------
def test_an_offline_scan_in_ci_prints_its_stage_summaries(tmp_path: Path) -> None:
    tf = FIXTURES / "terraform" / "article"
    args = ["scan", "--snapshot", GOOD, "--snapshot", GOOD, "--terraform", str(tf)]
    args += ["--format", "json"]
    proc = cli(clean_env(CI="true"), *args, "--fail-on", "none")
    assert proc.returncode in (0, 3), proc.stderr
    found = [LINE.match(x) for x in proc.stderr.splitlines() if LINE.match(x)]
    assert [m["stage"] for m in found] == ["load", "audit"]  # type: ignore[index]
    assert found[0]["text"].startswith("3 inputs, ")  # type: ignore[index]
    assert re.fullmatch(r"\d+ rules on [\d,]+ resources", found[1]["text"])  # type: ignore[index]
    report = json.loads(proc.stdout)
    assert " s)" not in proc.stdout and "timings" not in report  # no timing in a report
    # --quiet: nothing at all
    quiet = cli(clean_env(CI="true"), *args, "--fail-on", "none", "--quiet")
    assert quiet.stderr == "" and quiet.stdout == ""


def test_a_broken_stderr_in_ci_never_changes_the_run(tmp_path: Path) -> None:
    """A CI log's reader gone (stderr a pipe nobody reads): the progress lines are lost,
    but the report and the exit code are the run's, never an internal error."""
    reader, writer = os.pipe()
    os.close(reader)  # every write to stderr now fails with EPIPE
    try:
        proc = subprocess.run(
            [console_script(), "scan", "--snapshot", GOOD, "--format", "json"],
            cwd=ROOT,
            env=clean_env(CI="true"),
            stdout=subprocess.PIPE,
            stderr=writer,
            timeout=180,
            check=False,
        )
    finally:
        os.close(writer)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["summary"]["findings"] == 0


def test_a_failed_load_prints_its_one_error_line_only(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    proc = cli(clean_env(CI="true"), "scan", "--snapshot", GOOD, "--snapshot", str(bad))
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and str(bad) in proc.stderr


# -- a live scan: lines that do not grow with the requests ---------------------------------
def private_endpoints(rows: list[dict[str, Any]], n: int, name: str = "pe-extra") -> list[dict]:
    """``n`` more private endpoints, each one more ARM read (its DNS zone groups)."""
    model = next(r for r in rows if r["type"].lower() == "microsoft.network/privateendpoints")
    extra = []
    for i in range(n):
        row = copy.deepcopy(model)
        row["name"] = f"{name}-{i}"
        row["id"] = model["id"].rsplit("/", 1)[0] + "/" + row["name"]
        row["properties"]["privateLinkServiceConnections"] = []
        row["properties"]["customDnsConfigs"] = []
        extra.append(row)
    return rows + extra


@pytest.fixture
def stub_az(tmp_path: Path) -> Iterator[dict[str, str]]:
    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    yield clean_env(PATH=f"{stub}{os.pathsep}{os.environ['PATH']}")


def live_lines(env: dict[str, str], rows: list[dict[str, Any]], *extra: str) -> list[str]:
    with FakeArm(rows) as arm:
        proc = cli(
            {**env, "REQUESTS_CA_BUNDLE": arm.ca_path, "CI": "true"},
            "scan",
            *scope_args(arm, rows),
            "--format",
            "json",
            "--fail-on",
            "none",
            *extra,
        )
        reads = len(arm.requests.matching(path_contains="privateDnsZoneGroups"))
    assert proc.returncode == 0, proc.stderr
    assert reads >= sum(r["type"].lower() == "microsoft.network/privateendpoints" for r in rows)
    json.loads(proc.stdout)
    return proc.stderr.splitlines()


def test_a_live_scan_in_ci_prints_the_same_few_lines_for_10_or_400_reads(
    stub_az: dict[str, str],
) -> None:
    few = live_lines(stub_az, private_endpoints(estate(), 5))
    many = live_lines(stub_az, private_endpoints(estate(), 400))
    stages = [LINE.match(x)["stage"] for x in few]  # type: ignore[index]
    assert stages == ["Resource Graph", "ARM reads", "audit"]
    assert [LINE.match(x)["stage"] for x in many] == stages  # type: ignore[index]
    counts = re.match(r"mlops-audit: ARM reads: ([\d,]+) lists", many[1])
    assert counts and int(counts[1].replace(",", "")) > 400
    assert re.match(r"mlops-audit: Resource Graph: \d+ queries over 1 scope, ", many[0])


def test_a_live_collect_on_a_terminal_draws_safely_and_quiet_says_nothing(
    stub_az: dict[str, str], tmp_path: Path
) -> None:
    # a name a URL path can carry (no '/', '?', '#'), with ESC, BEL and CR in it
    rows = private_endpoints(estate(), 60, "pe-\x1b]0;pwned\x07\x1b[2J\r::error::x")
    with FakeArm(rows) as arm:
        env = {**stub_az, "REQUESTS_CA_BUNDLE": arm.ca_path}
        snap = tmp_path / "snap.json"
        collected, drawn = in_pty(
            env, "collect", *scope_args(arm, rows), "--output", str(snap), stdout=tmp_path / "o"
        )
        text = drawn.decode()
        assert collected == 0, text
        assert "━" in text and "\x1b[?25h" in text
        assert_drawn_safe(text)
        quiet = cli(env, "scan", *scope_args(arm, rows), "--quiet", "--fail-on", "none")
    assert quiet.stderr == "" and quiet.stdout == ""
    assert len(json.loads(snap.read_text())["rows"]) >= len(rows)


def test_a_warning_during_the_bar_is_printed_whole_above_it(
    stub_az: dict[str, str], tmp_path: Path
) -> None:
    """A read that fails while the bar is drawn: its warning line reaches the terminal
    (through Rich, above the bar, not torn by it) and the bar is still taken down."""
    rows = private_endpoints(estate(), 3, "pe-#")  # '#' ends the URL's path: the read fails
    with FakeArm(rows) as arm:
        env = {**stub_az, "REQUESTS_CA_BUNDLE": arm.ca_path}
        snap = tmp_path / "snap.json"
        code, drawn = in_pty(
            env, "collect", *scope_args(arm, rows), "--output", str(snap), stdout=tmp_path / "o"
        )
    text = re.sub(r"\s*\r?\n\s*", " ", drawn.decode())  # Rich wraps a long line
    assert code == 3, text
    assert text.count("ARM read of privatednszonegroups failed") == 3
    assert "\x1b[?25h" in text and "wrote " in text.rsplit("\x1b[?25h", 1)[1]
    # each line starts a row of its own: the bar's row was erased before it, never torn
    # by text written after the bar on its row
    raw = drawn.decode()
    starts = [m.start() for m in re.finditer("mlops-audit: ", raw)]
    assert starts and all(raw[:i].endswith(("\x1b[2K", "\r", "\n")) for i in starts), raw
    assert_drawn_safe(raw)
