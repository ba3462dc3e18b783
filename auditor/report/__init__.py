"""Stage 5: render an audit for people and for the tools of pipelines and compliance teams.

A run becomes one :class:`~auditor.report.view.ReportView` (``view.py``), built once: the
verdict, the counts, the coverage, each rule's status and the triage accounts are decided
there. Each format in :data:`REGISTRY` has a module here whose ``render(view)`` only
formats that view; the JSON report is the source of truth the others agree with. Every
renderer is a pure function of the view: the order of everything is fixed, so the same
estate gives the same bytes, apart from the run's timestamp.

This module is the registry and the entry point, and stays light: ``--help`` lists the
formats without loading a renderer, and a JSON scan never imports the HTML one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from .safe import utf8 as encodable

if TYPE_CHECKING:
    from rich.console import Console

    from ..core import Run, timestamp
    from .view import ReportView

__all__ = [
    "FORMATS",
    "FORMAT_ALIASES",
    "REGISTRY",
    "Format",
    "ReportView",
    "Run",
    "build_view",
    "encodable",
    "find_format",
    "format_names",
    "render",
    "render_terminal",
    "renderer",
    "timestamp",
    "to_json_dict",
    "view_of",
]


@dataclass(frozen=True)
class Format:
    """One output format: its ``--format`` name, the aliases it also answers to, a line
    for ``--help``, a file name for the ``--output`` example, and the module of this
    package whose ``render(view)`` writes it (imported when first used)."""

    name: str
    module: str
    description: str
    aliases: tuple[str, ...] = ()
    example: str | None = None

    def render(self, view: ReportView) -> str:
        """The format's text of ``view``; its module is imported here, on first use."""
        function: Callable[[ReportView], str] = import_module(f".{self.module}", __name__).render
        return function(view)


REGISTRY: tuple[Format, ...] = (
    Format("table", "terminal", "findings by severity, as on a terminal", ("text",)),
    Format("json", "json_report", "the full report, the source of truth", (), "r.json"),
    Format("sarif", "sarif", "SARIF 2.1.0 for GitHub code scanning", (), "r.sarif"),
    Format("junit", "junit", "JUnit XML for Azure Pipelines test results", ("xml",), "r.xml"),
    Format("markdown", "markdown", "a PR comment or step summary", ("md",), "summary.md"),
    Format("html", "html_report", "a self-contained page with the network drawn", (), "r.html"),
    Format("csv", "csv_report", "one row per finding, for spreadsheets", (), "r.csv"),
    Format(
        "ndjson", "ndjson", "one JSON line per finding, for Log Analytics", ("jsonl",), "r.ndjson"
    ),
)
FORMATS: dict[str, Format] = {f.name: f for f in REGISTRY}
FORMAT_ALIASES: dict[str, str] = {a: f.name for f in REGISTRY for a in f.aliases}


def format_names() -> list[str]:
    """The formats' names, in the registry's order (what ``--help`` lists)."""
    return [f.name for f in REGISTRY]


def find_format(name: str) -> Format | None:
    """The format a ``--format`` or ``--output FORMAT:`` value names (any case, or an
    alias), or None."""
    low = name.lower()
    return FORMATS.get(FORMAT_ALIASES.get(low, low))


def render(fmt: str, source: Run | ReportView) -> str:
    """``source`` in format ``fmt`` (a registry name)."""
    return FORMATS[fmt].render(view_of(source))


def renderer(fmt: str) -> Callable[[Run | ReportView], str]:
    """The function that renders ``fmt`` (a registry name) as text, from a view or a run."""
    return lambda source: render(fmt, source)


def view_of(source: Run | ReportView) -> ReportView:
    """The view of ``source``: itself when it is one, else built from the run. A caller
    that renders several formats of one run builds the view once and passes it."""
    from .view import ReportView

    return source if isinstance(source, ReportView) else build_view(source)


def build_view(run: Run) -> ReportView:
    """The view of a run (``view.build``, imported on first use)."""
    from .view import build

    return build(run)


def to_json_dict(source: Run | ReportView) -> dict[str, Any]:
    """The JSON report as plain data (what a baseline is made from)."""
    from .json_report import to_dict

    return to_dict(view_of(source))


def render_terminal(source: Run | ReportView, console: Console) -> None:
    """The terminal report on ``console`` (colour on a terminal)."""
    from .terminal import print_report

    print_report(view_of(source), console)


def __getattr__(name: str) -> Any:
    # the run and its timestamp live in the pipeline core, the view in ``view``; loading
    # them here on import would make ``--help``, ``--version`` and ``rules`` pay for them
    if name == "ReportView":
        from .view import ReportView

        return ReportView
    if name in ("Run", "timestamp"):
        from .. import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
