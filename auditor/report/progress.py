"""The terminal's and the CI log's view of a run's progress (:mod:`auditor.progress`), on
stderr: :func:`choose` picks a Rich bar for a terminal, :class:`~auditor.progress.Lines`
for anything else, nothing under ``--quiet``. Every text shown passes through
:mod:`safe`: a stage's detail can name a resource with ESC, CR or a workflow command in
it. Rich is imported only when a bar is drawn."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any

from ..progress import BRIEF, NONE, Lines, Progress
from . import safe

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

LABEL = 60  # characters of a stage's label on the bar
CI_VARIABLES = ("CI", "TF_BUILD", "GITHUB_ACTIONS")  # set by GitHub, Azure Pipelines, most CIs


def printer(stream: IO[str] | None) -> Callable[[str], None]:
    """Writes one progress line as every other line the CLI writes to stderr. ``None``:
    whatever ``sys.stderr`` is when the line is written, not when the view was made."""

    def line(text: str) -> None:
        to = stream if stream is not None else sys.stderr
        print(safe.log(f"mlops-audit: {text}"), file=to, flush=True)

    return line


def lossy(write: Callable[[str], None]) -> Callable[[str], None]:
    """``write``, except that a line the stream cannot take (stderr closed, a CI log's
    reader gone: EPIPE) is dropped, and so is every line after it: progress is never worth
    an aborted run or a changed exit code."""
    broken = False

    def line(text: str) -> None:
        nonlocal broken
        if broken:
            return
        try:
            write(text)
        except (OSError, ValueError):  # ValueError: a closed file
            broken = True

    return line


class Bar(Progress):
    """A terminal's view: a Rich progress bar on stderr, one row for the stage running
    (spinner, stage and what it is doing, bar, done/total, elapsed time), gone when the
    run ends. ``console`` is a :func:`safe.console` on the terminal."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichProgress

        self._rich = RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),  # estate text, never markup
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            redirect_stdout=False,  # stdout is the report's alone, even mid-run
        )
        self._tasks: dict[str, TaskID] = {}
        self._moved: list[logging.StreamHandler[Any]] = []
        self._running = False

    @staticmethod
    def _label(stage: str, what: str) -> str:
        """One short line: a long name would push the bar and count off the row."""
        text = safe.terminal(f"{stage}: {what}" if what else stage)
        return text if len(text) <= LABEL else text[: LABEL - 1] + "…"

    def begin(self, stage: str, total: int | None = None, what: str = "") -> None:
        if not self._running:
            self._start()
        old = self._tasks.pop(stage, None)
        if old is not None:
            self._rich.remove_task(old)
        self._tasks[stage] = self._rich.add_task(self._label(stage, what), total=total)

    def step(self, stage: str, done: int, what: str = "") -> None:
        task = self._tasks.get(stage)
        if task is not None:
            self._rich.update(task, completed=done, description=self._label(stage, what))

    def end(self, stage: str, summary: str) -> None:
        task = self._tasks.pop(stage, None)
        if task is not None:
            self._rich.remove_task(task)

    def close(self) -> None:
        if self._running:
            self._running = False
            self._rich.stop()
            for handler in self._moved:  # back to the real stderr
                handler.setStream(sys.stderr)
            self._moved.clear()

    def _start(self) -> None:
        """Draw the bar; log lines written meanwhile (a warning from the collector) go
        above it, through Rich's stand-in for stderr, instead of tearing it."""
        real = sys.stderr
        self._rich.start()
        self._running = True
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is real:
                handler.setStream(sys.stderr)
                self._moved.append(handler)


def is_ci(environ: Mapping[str, str]) -> bool:
    """A CI runner says so in its environment (some give the job a pseudo-terminal)."""
    return any(environ.get(v, "").strip().lower() not in ("", "0", "false") for v in CI_VARIABLES)


def choose(
    quiet: bool, stream: IO[str] | None = None, environ: Mapping[str, str] | None = None
) -> Progress:
    """The view for this process: none under ``--quiet``; a bar on a terminal; every
    stage's line in a CI log (or on a dumb terminal); in any other pipe or file, the lines
    of stages that took :data:`~auditor.progress.BRIEF` seconds or more."""
    if quiet:
        return NONE
    stream = stream if stream is not None else sys.stderr
    environ = environ if environ is not None else os.environ
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError, OSError):  # closed or no real stream
        terminal = False
    ci = is_ci(environ)
    if terminal and not ci and environ.get("TERM", "") != "dumb":
        return Bar(safe.console(stream, stderr=True))
    at_least = 0.0 if ci or terminal else BRIEF
    return Lines(lossy(printer(None if stream is sys.stderr else stream)), at_least=at_least)
