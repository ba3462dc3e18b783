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
from typing import Any, BinaryIO

from .unknown import UnknownValue


class InputError(Exception):
    """Bad input: the CLI prints ``str(error)`` as one line and exits 2."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


class EmptyFileError(InputError):
    """An input with nothing in it (no bytes, or only whitespace). Most readers refuse it
    as any bad input; one for which it means "nothing here" (a config file) or that says
    it in its own words (upload) catches this class rather than matching the text."""


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
    socket, unreadable) is one InputError line."""
    with _open(path, expected) as f:
        return _read_all(path, f)


def _open(path: Path, expected: str) -> BinaryIO:
    """A regular file, open. It is checked before it is opened (opening some devices acts)
    and again once open, without blocking (a FIFO swapped in between would wait for a
    writer)."""
    try:
        _regular(path, os.stat(path).st_mode, expected)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    f = open(fd, "rb")  # noqa: SIM115 - the caller's: it closes it
    try:
        _regular(path, os.fstat(fd).st_mode, expected)
    except InputError:
        f.close()
        raise
    return f


def _read_all(path: Path, f: BinaryIO) -> bytes:
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
    with _open(path, expected) as f:
        if os.fstat(f.fileno()).st_size >= _STREAM_FROM:
            try:
                return _stream_json(f, unique_keys, _WINDOW)
            except _Unstreamed:  # read whole, as if never streamed: its errors are its own
                pass
            try:  # a device that failed the stream may fail this too: one line, no traceback
                f.seek(0)
            except OSError as exc:
                raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
        raw = _read_all(path, f)
    if not raw or raw.isspace():  # isspace stops at the first other byte: no copy
        raise EmptyFileError(path, f"file is empty, expected {expected}")
    escaped = _ascii_text(raw)
    if escaped is not None:
        del raw  # parsed from the escaped text alone: the file's bytes are freed first
        text, runs = escaped
        try:
            return loads_json(text, unique_keys)
        except (ValueError, RecursionError):  # the message comes from the file's own text
            raw = _restore(text, runs)
            del text
    text = _decode(path, raw)
    del raw
    try:
        return loads_json(text, unique_keys)
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


def loads_json(text: str, unique_keys: bool) -> Any:
    """One JSON text as every input reads it: NaN and Infinity refused, floats finite, and
    (``unique_keys``) a key given twice in an object refused. ValueError says why."""
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
    runs, count, budget, base = _escaping.state
    # A character's escape is at least twice its UTF-8 bytes: a run that cannot fit what is
    # left of the budget, or one run too many, is refused before it is escaped (a 20 MB run
    # of 'é' was first made 60 MB of escapes, ten million strings: 860 MB for a 20 MB file)
    if (end - start) * 2 > budget or count > (base + start) // _RUN_EVERY + _RUN_SLACK:
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
    _escaping.state = runs, count + 1, budget - len(escaped), base
    if budget < len(escaped):
        raise _NotEscaped
    if runs is not None:  # a streamed read (``_Stream``) keeps only their count
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
    _escaping.state = (runs, 0, len(raw) // _MOST_ESCAPED, 0)
    try:
        return _escaped(raw, 0), runs
    except _NotEscaped:
        return None
    finally:
        del _escaping.state


def _escaped(raw: bytes, base: int) -> str:
    """``raw``, the file's bytes from offset ``base``, as ASCII text through the escapes,
    under the budget and the runs so far in ``_escaping.state``; _NotEscaped if refused."""
    if raw.isascii():
        return raw.decode("ascii")
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
                _escaping.state = (*_escaping.state[:3], base + at)
                out += str(chunk, "ascii", _ESCAPE_ERRORS).encode("ascii")
                clean = end
            at = end
        out += view[clean:]
    finally:
        view.release()
    text = out.decode("ascii")
    del out
    return text


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
        raise EmptyFileError(path, f"file is empty, expected {expected}")
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


# Reading a large JSON file a window at a time. Read whole, a file's text is alive beside every
# object parsed from it: at the end of the parse a 117 MB estate was 117 MB of text and 310 MB of
# objects. A document that is an object or an array whose large members are arrays is read instead a
# window of bytes at a time, and an array's elements are parsed many at a time by the same parser,
# so no more than a few windows of text are alive at once. Where whole elements end is found without
# a loop over characters: JSON values delimit themselves, so when the text from an element's start
# up to a comma parses as the elements of an array, that comma is the array's own (a cut inside a
# string or a nested value leaves it open; the text before the comma is the file's own, so the
# parser decided it as it would have). Many elements a call, since the parser shares equal keys only
# within one call. Anything irregular (a value too large for a few windows, invalid JSON or UTF-8, a
# BOM, waste) abandons what was built and the file is read whole as before, so its data and its
# errors are that read's own.
#
# _WINDOW: bytes read at a time. On the 117 MB estate 256 KiB to 2 MiB took as much CPU as the whole
# read (0.63 s), 4 MiB 0.68 s, 8 MiB 0.72 s (fresh memory for every window); the parser
# shares equal keys only within a call, so each batch has its own: 18k key strings (1.1 MB
# kept) at 1 MiB, 9k at 2 MiB, 167 read whole
_WINDOW = 2 << 20
_STREAM_FROM = 8 * _WINDOW  # a smaller file is read whole
_MOST_HELD = 32  # windows of text held while looking for a value's end; more: read whole
_WASTE_SLACK = 4 << 20  # text parsed in vain, beyond half the file's length; more: read whole
_MOST_COMMAS = 4096  # commas looked at, from a window's end, for one that ends elements
# objects within objects read member by member, so an array within them streams too (a
# Terraform plan's resources are in planned_values.root_module, in prior_state.values...)
_SPINE = 4
_HIGH = bytes(range(0x80, 0x100))
_NOT_BRACKETS = bytes(b for b in range(0x100) if b not in b"{}[]")
_WS = re.compile(r"[ \t\n\r]*")
# a JSON string, or one the window cuts off (for ``_blank``: what a string holds is no cut)
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.S)


class _Unstreamed(Exception):
    """The file is not read a window at a time: it is read whole."""


def _stream_json(f: BinaryIO, unique_keys: bool, window: int) -> Any:
    """The JSON document in ``f`` read a window at a time (equal to ``json.loads`` of the
    file, as ``loads_json`` reads it); _Unstreamed when it is read whole instead."""
    stream: _Stream | None = None
    value: Any = None
    try:
        before = _version(f)
        stream = _Stream(f, unique_keys, window)
        value = stream.document()
        # A file written while it was read (in place, or appended to) could have given the
        # head of one version and the tail of another: read whole, it is one version (the
        # whole read's window for that is the time of one read, not of the whole parse)
        if _version(f) == before and stream.offset == before[0]:
            return value
    except (_Unstreamed, ValueError, RecursionError, OSError):
        pass  # what was built goes with the exception, before the file is read again
    stream = value = None
    raise _Unstreamed


def _version(f: BinaryIO) -> tuple[int, int, int]:
    """What changes when a file is written: its size and its times (to the timestamps'
    grain: a rewrite of the same size within one tick is not seen)."""
    st = os.fstat(f.fileno())
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns


class _Stream:
    """The file's text a window at a time: ``buf[pos:]`` is what is not yet read."""

    def __init__(self, f: BinaryIO, unique_keys: bool, window: int) -> None:
        size = os.fstat(f.fileno()).st_size
        self.f = f
        self.window = window
        # escaped as above (ASCII text parses fastest), under the same budget, until a
        # window's escapes are refused: from there on (``plain``) decoded as it is
        self.escaping: tuple[Any, ...] = (None, 0, size // _MOST_ESCAPED, 0)
        self.offset = 0  # the file's bytes read into ``buf`` (or ``carry``)
        self.carry = b""  # a run of non-ASCII bytes the window cut, and the byte before it
        self.before = -1  # the last byte escaped
        self.plain = False
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.eof = False
        self.buf = ""
        self.pos = 0
        self.origin = 0  # where ``buf`` starts in the file's text
        # the text from ``known[0]`` (in the file's text) to the end of ``buf`` opens
        # ``known[1]`` more brackets than it closes; counted a window at a time in ``more``
        # (from its bytes, in one pass), so ``_cut`` need not count a window's text again
        self.known: tuple[int, int] | None = None
        self.overran = False  # the last cut tried was past its array's end
        self.hook = _unique if unique_keys else None
        self.decoder = json.JSONDecoder(
            parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=self.hook
        )
        # text parsed in vain (a cut that was no element's end): at most half the file's
        self.wasted = 0
        self.most_wasted = size // 2 + _WASTE_SLACK

    def more(self, wanted: int = 0) -> None:
        """Append the next window's text (at least ``wanted`` bytes') to ``buf``."""
        if self.eof:
            return
        new = self.f.read(max(wanted, self.window))
        self.eof = not new
        data, self.carry = self.carry + new if self.carry else new, b""
        if not self.offset and data.startswith(codecs.BOM_UTF8):
            raise _Unstreamed
        text = None
        if not self.plain and new and new[-1] >= 0x80:
            # a run of non-ASCII bytes waits for the next window, with the byte before it
            # (so a backslash there is seen): windows cut no run. Only the new bytes are
            # searched (a carry is all the run but its first byte)
            ascii_end = len(new.rstrip(_HIGH))
            cut = len(data) - len(new) + ascii_end - 1 if ascii_end else 0
            if (len(data) - cut - 1) * 2 > self.escaping[2]:
                # a run too long for what is left of the escapes' budget would be refused:
                # decoded as it is from here, not carried (copied, searched) to its end
                self.plain = True
            else:
                data, self.carry = data[:cut], data[cut:]
                if len(self.carry) > _MOST_HELD * self.window:
                    raise _Unstreamed
        if not self.plain:
            if not (data and data[0] >= 0x80 and self.before == 0x5C):  # a run after a
                _escaping.state = self.escaping  # backslash the window did not hold
                try:
                    text = _escaped(data, self.offset)
                except _NotEscaped:
                    pass
                finally:
                    self.escaping = _escaping.state
                    del _escaping.state
            if data:
                self.before = data[-1]
        if text is None:
            # escapes refused: the rest is decoded as it is (a window's text is small,
            # however wide its characters; the parser is slower on it); invalid UTF-8 is a
            # ValueError, read whole
            self.plain = True
            text = self.utf8.decode(data, self.eof)
        self.offset += len(data)
        if self.known is not None:  # brackets are ASCII: the bytes' count is the text's
            brackets = data.translate(None, _NOT_BRACKETS)
            depth = brackets.count(b"{") + brackets.count(b"[")
            depth -= brackets.count(b"}") + brackets.count(b"]")
            self.known = (self.known[0], self.known[1] + depth)
        self.origin += self.pos
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        if len(self.buf) > _MOST_HELD * self.window:
            raise _Unstreamed

    def ws(self) -> bool:
        """Skip whitespace; whether anything follows it."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return True
            if self.eof:
                return False
            self.more()

    def failed(self, exc: json.JSONDecodeError, span: int, missed: bool = False) -> None:
        """A parse that failed only for want of text (or, ``missed``, for a cut past its
        array's end) is tried again, within the waste allowed; any other is the file's."""
        cut_off = exc.msg.startswith("Unterminated string") or exc.pos >= len(exc.doc) - 16
        overran = missed and exc.msg == "Extra data"
        if self.eof or not (cut_off or overran):
            raise _Unstreamed
        self.wasted += exc.pos if overran else span  # the parse stopped at its array's end
        # text cut off is parsed again from the same start once as much again is read
        # (``more``): given up when that retry would pass the waste allowed, not after it
        # (one element as large as the file was parsed ~1.3 times in vain, not ~0.6)
        if self.wasted + (0 if overran else 2 * span) > self.most_wasted:
            raise _Unstreamed

    def document(self) -> Any:
        self.more()
        if not self.ws():
            raise _Unstreamed
        first = self.buf[self.pos]
        self.pos += 1
        if first == "{":
            value = self.object()
        elif first == "[":
            value = self.array()
        else:
            raise _Unstreamed
        if self.ws():  # anything but whitespace after the document
            raise _Unstreamed
        return value

    def object(self, depth: int = 0) -> Any:
        """An object's members (after its ``{``), each a value, a streamed array or (for an
        object ``depth`` objects deep, up to ``_SPINE``) a streamed object."""
        pairs: list[tuple[str, Any]] = []
        if not self.ws():
            raise _Unstreamed
        if self.buf[self.pos] == "}":
            self.pos += 1
        else:
            while True:
                if self.buf[self.pos] != '"':
                    raise _Unstreamed
                key = self.value()
                if not self.ws() or self.buf[self.pos] != ":":
                    raise _Unstreamed
                self.pos += 1
                if not self.ws():
                    raise _Unstreamed
                if self.buf[self.pos] == "[":
                    self.pos += 1
                    pairs.append((key, self.array()))
                elif self.buf[self.pos] == "{" and depth < _SPINE:
                    self.pos += 1
                    pairs.append((key, self.object(depth + 1)))
                else:
                    pairs.append((key, self.value()))
                if not self.ws():
                    raise _Unstreamed
                sep = self.buf[self.pos]
                self.pos += 1
                if sep == "}":
                    break
                if sep != "," or not self.ws():
                    raise _Unstreamed
        # as the parser builds it: a repeated key keeps its first place and its last value
        return self.hook(pairs) if self.hook else dict(pairs)

    def value(self) -> Any:
        """One value, parsed whole (a number is trusted only once a character follows)."""
        while True:
            buf = self.buf
            try:
                value, end = self.decoder.raw_decode(buf, self.pos)
            except json.JSONDecodeError as exc:
                self.failed(exc, len(buf) - self.pos)
            else:
                if end < len(buf) or self.eof:
                    self.pos = end
                    return value
            self.more(len(buf) - self.pos)

    def array(self) -> list[Any]:
        """An array's elements (after its ``[``), many at a time."""
        items: list[Any] = []
        if not self.ws():
            raise _Unstreamed
        if self.buf[self.pos] == "]":
            self.pos += 1
            return items
        while True:
            if self.buf[self.pos] in ",]":  # no element after a comma (or a leading one)
                raise _Unstreamed
            if self.elements(items):
                return items
            if not self.ws():
                raise _Unstreamed

    def elements(self, items: list[Any]) -> bool:
        """Parse the elements whole in ``buf`` from ``pos`` (an element's start) into
        ``items``; whether that was the array's end."""
        if self.eof:  # the array must end in what is left
            if self.rest(items):
                return True
            raise _Unstreamed
        buf, at = self.buf, self.pos
        known, depth = self.known, None
        if known is not None:  # counted from where the last cut left off (if only
            start = known[0] - self.origin  # whitespace came between)
            if 0 <= start <= at and not buf[start:at].strip():
                depth = known[1]
        cut, depth = _cut(buf, at, len(buf), depth)
        self.known = None
        self.overran = False
        if cut > 0:  # the text after the cut opens as many brackets as the text from ``at``
            self.known = (self.origin + cut + 1, depth)
            if self.part(items, at, cut):
                return False
        # no cut, or one past the array's end: the end may be here
        if (cut < 0 or depth < 0 or self.overran) and self.rest(items):
            return True
        if cut > 0 and not self.overran:
            # the cut was inside an element, so strings hold brackets (or the cut was in
            # a string): cut again with what each string holds blanked
            blanked = _STRING.sub(_blank, buf[at:])
            again, _ = _cut(blanked, 0, len(blanked), None)
            del blanked
            if again > 0 and at + again != cut:
                self.known = None
                if self.part(items, at, at + again):
                    return False
                if self.overran and self.rest(items):
                    return True
        self.more(len(buf) - at)
        return False

    def part(self, items: list[Any], at: int, cut: int) -> bool:
        """Parse the elements in ``buf[at:cut]`` if the comma at ``cut`` ends them."""
        try:
            items += self.decoder.decode(f"[{self.buf[at:cut]}]")
        except json.JSONDecodeError as exc:
            self.failed(exc, cut - at, missed=True)
            self.overran = exc.msg == "Extra data"  # the array ends before the cut
            return False
        self.pos = cut + 1
        if len(self.buf) - self.pos < self.window:
            self.more()
        return True

    def rest(self, items: list[Any]) -> bool:
        """Parse the array's remaining elements, if its end is in ``buf``."""
        at = self.pos
        try:
            last, end = self.decoder.raw_decode("[" + self.buf[at:])
        except json.JSONDecodeError as exc:
            self.failed(exc, len(self.buf) - at)
            return False
        items += last
        self.pos = at + end - 1
        return True


def _cut(text: str, start: int, end: int, depth: int | None) -> tuple[int, int]:
    """The last comma in ``text[start:end]`` as deep in brackets as ``start`` is (counting
    every bracket, even in a string: the parse checks it), else -1; and how many more
    brackets that text opens than it closes (``depth``, if known)."""
    if depth is None:
        depth = text.count("{", start, end) + text.count("[", start, end)
        depth -= text.count("}", start, end) + text.count("]", start, end)
    total = depth
    for _ in range(_MOST_COMMAS):
        comma = text.rfind(",", start, end)
        if comma < 0:
            break
        depth -= text.count("{", comma, end) + text.count("[", comma, end)
        depth += text.count("}", comma, end) + text.count("]", comma, end)
        if not depth:
            return comma, total
        end = comma
    return -1, total


def _blank(match: re.Match[str]) -> str:
    """A string's text as as many underscores: its brackets and commas no longer count."""
    return "_" * (match.end() - match.start())
