"""Reading input files: estates, baselines, reports, rule and suppression files.

Every problem with an input file is one ``InputError`` line naming the file, so the CLI can
print it and exit 2 instead of showing a traceback. Only regular files are read: a device,
FIFO or socket (``/dev/zero``, ``<(cmd)``) could block or never end, so it is refused before
a byte is read.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import re
import stat
import threading
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
    return _decode(path, _nonempty(path, expected))


def read_json(path: Path, expected: str = "JSON rows", unique_keys: bool = False) -> Any:
    """A JSON input file's data; anything wrong with it is one InputError line. A number
    beyond a double (``1e999``) is refused rather than read as infinity; ``unique_keys``
    refuses an object that repeats a key (which one counts would depend on the reader)."""
    raw = _nonempty(path, expected)
    escaped = _ascii_text(raw)
    if escaped is not None:
        del raw  # parsed from the escaped text alone: the file's bytes are freed first
        text, runs = escaped
        try:
            return _loads(text, unique_keys)
        except (ValueError, RecursionError):  # the message comes from the file's own text
            raw = _restore(text, runs)
            del text
    text = _decode(path, raw)
    del raw
    try:
        return _loads(text, unique_keys)
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


def _loads(text: str, unique_keys: bool) -> Any:
    hook = _unique if unique_keys else None
    return json.loads(
        text, parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=hook
    )


# Reading JSON from ASCII text. A Python str is as wide as its widest character: one Korean
# tag makes a file's text take two bytes a character (an emoji, four), and that text is
# alive while the parser builds every object. So a file whose non-ASCII characters are few
# is read as ASCII text in which each of them is a JSON \u escape, which parses to the same
# strings. A non-ASCII character is valid JSON only inside a string, where its escape reads
# as the character itself; anywhere else either text is invalid. The one place the escape
# could read otherwise is after a backslash, so such a file is read as it is; and any error
# is reported from the file's own text, so messages and positions are the parser's own.
_ESCAPE_ERRORS = "mlops-audit-json-escape"
_NON_ASCII = re.compile(rb"[\x80-\xff]+")
_MOST_ESCAPED = 8  # the escapes may come to 1/8 of the file's length; more: read as it is
# and a run of non-ASCII bytes (a call each) every 4 KiB on average, give or take 64 runs,
# so far into the file: a file dense with them gives up early, not after half its bytes
_RUN_EVERY = 4096
_RUN_SLACK = 64
_escaping = threading.local()
# The text is decoded a chunk at a time: the ASCII codec reads a chunk without a non-ASCII
# byte at full speed, one with some a byte at a time from the first (calling the handler
# for each run): one pass over a whole 136 MB file took 0.24 s of CPU, by chunks ~0.15 s.
_CHUNK = 16384


class _NotEscaped(Exception):
    """The file is not read through escapes (invalid UTF-8, an escape after a backslash,
    too many non-ASCII characters or runs of them): it is read as it is."""


def _escape(exc: UnicodeError) -> tuple[str, int]:
    """The codec error handler: a run of non-ASCII bytes as the JSON escapes of its
    characters, remembered (offset, end, bytes, escapes' length) for ``_restore``."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    data, start = exc.object, exc.start  # within one chunk (``_ascii_text``)
    if start and data[start - 1] == 0x5C:  # a backslash: the escape would read as text
        raise _NotEscaped
    end = _NON_ASCII.match(data, start).end()  # type: ignore[union-attr]
    runs, budget, base = _escaping.state
    # A character's escape is at least twice its UTF-8 bytes: a run that cannot fit what is
    # left of the budget, or one run too many, is refused before it is escaped (a 20 MB run
    # of 'é' was first made 60 MB of escapes, ten million strings: 860 MB for a 20 MB file)
    if (end - start) * 2 > budget or len(runs) > (base + start) // _RUN_EVERY + _RUN_SLACK:
        raise _NotEscaped
    try:
        chars = data[start:end].decode("utf-8")
    except UnicodeDecodeError:
        raise _NotEscaped from None
    out = []
    for c in map(ord, chars):
        if c < 0x10000:
            out.append(f"\\u{c:04x}")
        else:  # a surrogate pair, which the parser joins into the character
            c -= 0x10000
            out.append(f"\\u{0xD800 + (c >> 10):04x}\\u{0xDC00 + (c & 0x3FF):04x}")
    escaped = "".join(out)
    _escaping.state = runs, budget - len(escaped), base
    if budget < len(escaped):
        raise _NotEscaped
    runs.append((base + start, base + end, data[start:end], len(escaped)))
    return escaped, end


codecs.register_error(_ESCAPE_ERRORS, _escape)


def _ascii_text(raw: bytes) -> tuple[str, list[tuple[int, int, bytes, int]]] | None:
    """The file's text with each non-ASCII character escaped, and where (see above); None
    when the file is read as it is."""
    if raw.startswith(codecs.BOM_UTF8):
        return None  # rare: read as it is, so the escapes' offsets need no shift
    if raw.isascii():
        return raw.decode("ascii"), []
    runs: list[tuple[int, int, bytes, int]] = []
    _escaping.state = (runs, len(raw) // _MOST_ESCAPED, 0)
    # the escaped text's bytes, in one buffer: large enough to be mapped memory, given
    # back whole when freed (text in many small pieces would stay in the process's heap)
    out = bytearray()
    view = memoryview(raw)
    at = clean = 0  # where the next chunk starts, and the ASCII bytes not yet copied
    size = len(raw)
    try:
        while at < size:
            end = min(at + _CHUNK, size)
            while end < size and raw[end] >= 0x80:  # a chunk ends before an ASCII byte:
                end += 1  # no run is cut, and none but the file's first starts a chunk
            chunk = view[at:end]
            if not chunk.tobytes().isascii():
                out += view[clean:at]
                _escaping.state = (*_escaping.state[:2], at)
                out += str(chunk, "ascii", _ESCAPE_ERRORS).encode("ascii")
                clean = end
            at = end
        out += view[clean:]
    except _NotEscaped:
        return None
    finally:
        view.release()
        del _escaping.state
    text = out.decode("ascii")
    del out
    return text, runs


def _restore(text: str, runs: list[tuple[int, int, bytes, int]]) -> bytes:
    """The file's bytes again, from its escaped text: to report an error in its own words."""
    out = bytearray()
    done = at = 0  # how far into the file, and into the text
    for start, end, original, length in runs:
        plain = start - done  # ASCII bytes since the last run: one character each
        out += text[at : at + plain].encode("ascii")
        out += original
        at += plain + length
        done = end
    out += text[at:].encode("ascii")
    return bytes(out)


def _nonempty(path: Path, expected: str) -> bytes:
    raw = read_bytes(path, expected)
    if not raw or raw.isspace():  # isspace stops at the first other byte: no copy
        raise InputError(path, f"file is empty, expected {expected}")
    return raw


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None


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
