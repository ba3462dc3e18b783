"""Reading input files: estates, baselines, reports, rule and suppression files.

Every problem with an input file is one ``InputError`` line naming the file, so the CLI can
print it and exit 2 instead of showing a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class InputError(Exception):
    """Bad input: the CLI prints ``str(error)`` as one line and exits 2."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


def describe(value: Any) -> str:
    """What a JSON value is, in the words an error message uses ("an array", "null")."""
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def read_text(path: Path, expected: str = "JSON") -> str:
    """A UTF-8 input file's text (a BOM is dropped); a missing, unreadable, empty or
    non-UTF-8 file is one InputError line."""
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, f"is a directory, expected a {expected} file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise InputError(path, f"file is empty, expected {expected}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None


def read_json(path: Path, expected: str = "JSON rows") -> Any:
    """A JSON input file's data; anything wrong with it is one InputError line."""
    text = read_text(path, expected)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        # A string left open runs to the end of the file: that is a cut-off file too.
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        what = "truncated JSON" if cut else "invalid JSON"
        raise InputError(
            path, f"{what} at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InputError(
            path, "invalid JSON: nested too deeply to be Resource Graph rows"
        ) from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise InputError(path, f"invalid JSON: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
