"""Reading input files: estates, baselines, reports, rule and suppression files.

Every problem with an input file is one ``InputError`` line naming the file, so the CLI can
print it and exit 2 instead of showing a traceback. Only regular files are read: a device,
FIFO or socket (``/dev/zero``, ``<(cmd)``) could block or never end, so it is refused before
a byte is read.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

from .unknown import UnknownValue


class InputError(Exception):
    """Bad input: the CLI prints ``str(error)`` as one line and exits 2."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


def describe(value: Any) -> str:
    """What a JSON value is, in the words an error message uses ("an array", "null");
    a value Terraform knows only after apply says so, with why."""
    if type(value) is UnknownValue:
        return f"unknown ({value.reason})"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def read_bytes(path: Path, expected: str = "JSON") -> bytes:
    """A regular file's bytes; anything else (missing, a directory, a device, a FIFO, a
    socket, unreadable) is one InputError line. The file is checked before it is opened
    (opening some devices acts) and again once open, without blocking (a FIFO swapped in
    between would wait for a writer)."""
    try:
        _regular(path, os.stat(path).st_mode, expected)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    with open(fd, "rb") as f:
        _regular(path, os.fstat(fd).st_mode, expected)
        try:
            return f.read()
        except OSError as exc:
            raise InputError(path, f"cannot read: {exc.strerror or exc}") from None


def _regular(path: Path, mode: int, expected: str) -> None:
    if stat.S_ISDIR(mode):
        raise InputError(path, f"is a directory, expected a {expected} file")
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else None
        raise InputError(
            path, f"is {kind or 'a device'}, not a regular file; expected a {expected} file"
        )


def read_text(path: Path, expected: str = "JSON") -> str:
    """A UTF-8 input file's text (a BOM is dropped); a missing, unreadable, empty or
    non-UTF-8 file, or one that is not a regular file, is one InputError line."""
    raw = read_bytes(path, expected)
    if not raw or raw.isspace():  # isspace stops at the first other byte: no copy
        raise InputError(path, f"file is empty, expected {expected}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None


def read_json(path: Path, expected: str = "JSON rows", unique_keys: bool = False) -> Any:
    """A JSON input file's data; anything wrong with it is one InputError line. A number
    beyond a double (``1e999``) is refused rather than read as infinity; ``unique_keys``
    refuses an object that repeats a key (which one counts would depend on the reader)."""
    text = read_text(path, expected)
    hook = _unique if unique_keys else None
    try:
        return json.loads(
            text, parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=hook
        )
    except json.JSONDecodeError as exc:
        # A string left open runs to the end of the file: that is a cut-off file too.
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        what = "truncated JSON" if cut else "invalid JSON"
        raise InputError(
            path, f"{what} at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InputError(path, f"invalid JSON: nested too deeply to be {expected}") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise InputError(path, f"invalid JSON: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"number {text[:40]} is too large for a double")
    return number


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r} in an object")
        out[key] = value
    return out
