"""Stage 1: read the estate's inputs into one merged estate.

An input is a path: ``az graph query -o json`` output, a plain JSON array of rows, the
tool's own snapshot, ``terraform show -json`` of a plan, or a Terraform root module's
directory, each read by one module here that satisfies :class:`InputFormat`. ``FORMATS``
lists them in the order they are tried and named in messages; a new kind of input is one
more module registered there. What an input needs beyond its path (Terraform variable
values) comes in :class:`InputOptions`. Every problem with an input is one ``InputError``
line naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ..estate import Estate, Reading, Source
from ..files import InputError, describe, read_json
from . import az_graph, row_array, snapshot, terraform_input
from .options import NO_OPTIONS, Input, InputOptions

__all__ = [
    "FORMATS",
    "Estate",
    "Input",
    "InputError",
    "InputFormat",
    "InputOptions",
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
    directory: bool  # it reads a directory, not a JSON file

    def detect(self, doc: object) -> bool:
        """Whether this format reads ``doc``: a file's JSON data, or a directory's path.
        At most one format detects any input."""
        ...

    def read(self, path: Path, doc: Any, options: InputOptions) -> Reading:
        """The input's rows and what it says about itself; anything malformed raises
        InputError naming ``path``. ``options``: what the input may need beyond itself."""
        ...


FORMATS: tuple[InputFormat, ...] = (
    row_array.FORMAT,
    az_graph.FORMAT,
    snapshot.FORMAT,
    terraform_input.PLAN,
    terraform_input.DIRECTORY,
)


def read_input(path: Path, expected: str = "JSON rows") -> object:
    """What an input path holds: the path itself for a directory a format reads, else the
    file's JSON data (a directory no format reads is an error of the JSON reader, which
    says it expected ``expected``)."""
    if path.is_dir() and any(f.detect(path) for f in FORMATS):
        return path
    return read_json(path, expected)


def format_of(path: Path, doc: object, expect: str | None = None) -> InputFormat:
    """The format that reads ``doc`` (it must be the one named ``expect``, if given);
    InputError saying what was expected when none does."""
    for fmt in FORMATS:
        if fmt.detect(doc):
            wanted = _named(expect)
            if wanted is not None and fmt is not wanted:
                raise InputError(path, f"is {fmt.expected}, expected {wanted.expected}")
            return fmt
    wanted = _named(expect)
    files = [f for f in FORMATS if not getattr(f, "directory", False)]
    if wanted is not None and wanted.directory:
        raise InputError(path, f"holds no .tf files, expected {wanted.expected}")
    if isinstance(doc, dict):
        marked = [wanted] if wanted is not None and wanted.marker else files
        lacking = " and ".join(
            f"no {f.marker!r} (expected {f.expected})" for f in marked if f.marker
        )
        raise InputError(path, f"JSON object has {lacking}")
    if wanted is not None:
        raise InputError(path, f"top-level JSON is {describe(doc)}; expected {wanted.expected}")
    *most, last = (f.expected for f in files)
    raise InputError(
        path, f"top-level JSON is {describe(doc)}; expected {', '.join(most)} or {last}"
    )


def _named(name: str | None) -> InputFormat | None:
    if name is None:
        return None
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise ValueError(f"no input format {name!r}")


def add_document(
    path: str | Path,
    doc: Any,
    estate: Estate,
    options: InputOptions = NO_OPTIONS,
    expect: str | None = None,
) -> Source:
    """Add one input's data (a file's JSON, a directory's path, or a snapshot the
    collector just made) to ``estate``; ``path`` names it in messages and in the report's
    inputs; ``expect`` names the format it must be."""
    fmt = format_of(Path(path), doc, expect)
    return estate.add(str(path), fmt.name, fmt.read(Path(path), doc, options))


def load_file(
    path: str | Path | Input, estate: Estate, options: InputOptions = NO_OPTIONS
) -> Source:
    """Read one input into ``estate``; raise InputError naming it on any problem."""
    spec = path if isinstance(path, Input) else Input(path)
    where = Path(spec.path)
    wanted = _named(spec.format)
    if wanted is not None and wanted.directory:
        if not where.is_dir():
            problem = "no such directory" if not where.exists() else "is not a directory"
            raise InputError(where, f"{problem}, expected {wanted.expected}")
        doc: object = where
    else:
        plan = wanted is terraform_input.PLAN
        doc = read_input(where, "Terraform plan JSON" if plan else "JSON rows")
    return add_document(spec.path, doc, estate, options, spec.format)


def load(paths: list[str | Path | Input], options: InputOptions = NO_OPTIONS) -> Estate:
    """Read and merge every input; the first bad one raises InputError."""
    estate = Estate()
    for path in paths:
        load_file(path, estate, options)
    return estate
