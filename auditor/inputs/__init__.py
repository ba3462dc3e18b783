"""Stage 1: read the estate's inputs into one merged estate.

An input is a path: ``az graph query -o json`` output, a plain JSON array of rows, or the
tool's own snapshot, each read by one module here that satisfies :class:`InputFormat`.
``FORMATS`` lists them in the order they are tried and named in messages; a new kind of
input (a Terraform plan or configuration directory, say) is one more module registered
there. Every problem with an input is one ``InputError`` line naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ..estate import Estate, Reading, Source
from ..files import InputError, describe, read_json
from . import az_graph, row_array, snapshot

__all__ = [
    "FORMATS",
    "Estate",
    "InputError",
    "InputFormat",
    "Source",
    "add_document",
    "format_of",
    "load",
    "load_file",
    "read_input",
]


class InputFormat(Protocol):
    """One kind of estate input: how to recognise it and how to read its rows."""

    name: str  # how the report's inputs name the format (``Source.format``)
    expected: str  # how messages name it: "'az graph query' output"
    marker: str | None  # the top-level key that marks its JSON object, if it is one

    def detect(self, doc: object) -> bool:
        """Whether this format reads ``doc``: a file's JSON data, or a directory's path.
        At most one format detects any input."""
        ...

    def read(self, path: Path, doc: Any) -> Reading:
        """The input's rows and what it says about itself; anything malformed raises
        InputError naming ``path``."""
        ...


FORMATS: tuple[InputFormat, ...] = (row_array.FORMAT, az_graph.FORMAT, snapshot.FORMAT)


def read_input(path: Path) -> object:
    """What an input path holds: the path itself for a directory a format reads, else the
    file's JSON data (a directory no format reads is an error of the JSON reader)."""
    if path.is_dir() and any(f.detect(path) for f in FORMATS):
        return path
    return read_json(path)


def format_of(path: Path, doc: object) -> InputFormat:
    """The format that reads ``doc``; InputError saying what was expected when none does."""
    for fmt in FORMATS:
        if fmt.detect(doc):
            return fmt
    if isinstance(doc, dict):
        lacking = " and ".join(
            f"no {f.marker!r} (expected {f.expected})" for f in FORMATS if f.marker
        )
        raise InputError(path, f"JSON object has {lacking}")
    *most, last = (f.expected for f in FORMATS)
    raise InputError(
        path, f"top-level JSON is {describe(doc)}; expected {', '.join(most)} or {last}"
    )


def add_document(path: str | Path, doc: Any, estate: Estate) -> Source:
    """Add one input's data (a file's JSON, or a snapshot the collector just made) to
    ``estate``; ``path`` names it in messages and in the report's inputs."""
    fmt = format_of(Path(path), doc)
    return estate.add(str(path), fmt.name, fmt.read(Path(path), doc))


def load_file(path: str | Path, estate: Estate) -> Source:
    """Read one input into ``estate``; raise InputError naming it on any problem."""
    return add_document(path, read_input(Path(path)), estate)


def load(paths: list[str | Path]) -> Estate:
    """Read and merge every input; the first bad one raises InputError."""
    estate = Estate()
    for path in paths:
        load_file(path, estate)
    return estate
