"""How far a long run has got: the stages it reports, and how a CI log shows them.

The pipeline (:func:`core.audit`, the live collector) reports to a :class:`Progress`: a
stage begins (with its total when it is known), steps as units of work finish — an input,
a Resource Graph page or query, an ARM read, never a row — and ends with a short summary.
The pipeline knows nothing of terminals and keeps no time; a renderer does:

* :class:`Progress` itself shows nothing (``--quiet``; a library caller's default);
* :class:`Lines` — a CI log or any other non-terminal: one line per finished stage with its
  time, and for a long stage a "done/total" line at most every ``interval`` seconds, so the
  number of lines never grows with the number of requests;
* :class:`auditor.report.progress.Bar` — a terminal: a transient Rich progress bar.

Progress goes to stderr only: stdout and the reports never carry it, nor any timing. This
module imports no stage and no Rich, so the core and the collector can report to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# the stages the pipeline reports, in the order a scan runs them
RESOURCE_GRAPH = "Resource Graph"
ARM_READS = "ARM reads"
LOAD = "load"
AUDIT = "audit"

INTERVAL = 30.0  # seconds between two "done/total" lines of one long stage in a CI log
BRIEF = 5.0  # a stage quicker than this is not worth a line in a pipe outside CI


class Progress:
    """The events a long run reports; this one shows none of them (``--quiet``, a library
    caller that gave no renderer). Calls are cheap: the pipeline makes one per unit of
    work, never one per row."""

    def begin(self, stage: str, total: int | None = None, what: str = "") -> None:
        """``stage`` starts: ``total`` units (None: unknown), ``what`` it is doing now."""

    def step(self, stage: str, done: int, what: str = "") -> None:
        """``done`` units of ``stage`` have finished (a count, not an increment)."""

    def end(self, stage: str, summary: str) -> None:
        """``stage`` finished; ``summary`` says what it did (counts, never timings)."""

    def close(self) -> None:
        """The run is over (or failed): take down whatever is drawn."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


NONE = Progress()


def seconds(value: float) -> str:
    """A stage's time: tenths under a minute, else minutes and whole seconds, rounded
    before they are split (119.6 s is "2 min 0 s", never "1 min 60 s")."""
    if round(value, 1) < 60:
        return f"{value:.1f} s"
    whole = round(value)
    return f"{whole // 60} min {whole % 60} s"


class Lines(Progress):
    """A CI log's view: ``stage: summary (12.3 s)`` when a stage ends; while a long stage
    runs, ``stage: done/total (what)`` at most once per ``interval`` seconds. A stage that
    ended in less than ``at_least`` seconds says nothing (a pipe outside CI: a quick scan
    stays as silent as it always was). ``write`` prints one line and makes it safe (the
    detail can name what an estate chose)."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        interval: float = INTERVAL,
        at_least: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write, self._interval, self._clock = write, interval, clock
        self._at_least = at_least
        self._started: dict[str, float] = {}
        self._said: dict[str, float] = {}  # when a stage last printed a line
        self._total: dict[str, int | None] = {}

    def begin(self, stage: str, total: int | None = None, what: str = "") -> None:
        now = self._clock()
        self._started[stage] = self._said[stage] = now
        self._total[stage] = total

    def step(self, stage: str, done: int, what: str = "") -> None:
        now = self._clock()
        if now - self._said.get(stage, now) < self._interval:
            return
        self._said[stage] = now
        total = self._total.get(stage)
        count = f"{done:,}/{total:,}" if total is not None else f"{done:,}"
        self._write(f"{stage}: {count}" + (f" ({what})" if what else ""))

    def end(self, stage: str, summary: str) -> None:
        began = self._started.pop(stage, None)
        self._said.pop(stage, None)
        self._total.pop(stage, None)
        if began is None:
            self._write(f"{stage}: {summary}")
            return
        took = self._clock() - began
        if took >= self._at_least:
            self._write(f"{stage}: {summary} ({seconds(took)})")
