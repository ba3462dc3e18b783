"""Reading a JSON input: a file with a few non-ASCII characters is parsed from ASCII text
(each character a JSON escape), which must give the same data, and the same error
message, as parsing the file's own text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor import files
from auditor.files import InputError, read_json


def _own_text(path: Path) -> Any:
    """What the plain reader makes of the file: the data, or the InputError's problem."""
    text = files._decode(path, files._nonempty(path, "JSON rows"))
    try:
        return files.loads_json(text, False)
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        what = "truncated JSON" if cut else "invalid JSON"
        return f"{what} at line {exc.lineno} column {exc.colno}: {exc.msg}"
    except RecursionError:
        return "invalid JSON: nested too deeply to be JSON rows"
    except ValueError as exc:
        return f"invalid JSON: {exc}"


def _read(path: Path) -> Any:
    try:
        return read_json(path)
    except InputError as exc:
        return exc.problem


@pytest.fixture(autouse=True)
def small_files_escape_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """These files are small, and their few characters a large part of them."""
    monkeypatch.setattr(files, "_MOST_ESCAPED", 1)
    monkeypatch.setattr(files, "_RUN_EVERY", 1)


ROWS = [{"id": "/s/x", "type": "t", "tags": {"team": "데이터 플랫폼팀", "ok": "É·é 😀 \\"}}]
TEXT = json.dumps(ROWS, ensure_ascii=False)


@pytest.mark.parametrize(
    "text",
    [
        TEXT,  # the rows: same strings, emoji (a surrogate pair) included
        TEXT.replace('"ok"', '"o\\k"'),  # a bad escape before ASCII
        TEXT.replace(' "tags"', ' é"tags"'),  # a non-ASCII character outside a string
        TEXT.replace("데", "\\u00"),  # a \\u escape cut short
        TEXT.replace("데이", "\\u00데"),  # a \\u escape cut by a non-ASCII character
        TEXT[:-9],  # cut off inside a string after non-ASCII text
        TEXT + " 😀",  # data after the document
        TEXT.replace("[{", "[{\n\n", 1) + "\n😀x",  # the line and column count characters
        '["é", ' + "[" * 100_000 + "]" * 100_000 + "]",  # nested too deeply
        '{"é": 1, "\\u00e9": 2}',  # keys: the same either way
    ],
)
def test_escaped_text_reads_as_the_files_own(tmp_path: Path, text: str) -> None:
    path = tmp_path / "rows.json"
    path.write_text(text, encoding="utf-8")
    assert files._ascii_text(path.read_bytes()) is not None  # the escaped reading is taken
    got = _read(path)
    assert got == _own_text(path)
    assert type(got) is type(_own_text(path))


def test_escaped_text_keeps_the_strings(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text(TEXT, encoding="utf-8")
    assert read_json(path) == ROWS


@pytest.mark.parametrize(
    "data",
    [
        b'[{"id": "\xe9"}]',  # not UTF-8
        b'\xef\xbb\xbf[{"id": "\xc3\xa9"}]',  # a BOM
        TEXT.replace("É", "\\É").encode(),  # a backslash, then a non-ASCII character
        ('["' + "데" * 100 + '"]').encode(),  # mostly non-ASCII
    ],
)
def test_files_the_escapes_do_not_read_are_read_as_they_are(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "rows.json"
    path.write_bytes(data)
    assert files._ascii_text(data) is None
    try:
        expected: Any = _own_text(path)
    except InputError as exc:
        expected = exc.problem
    assert _read(path) == expected


def test_the_escaped_text_is_ascii_and_restores_the_file(tmp_path: Path) -> None:
    raw = (TEXT + " é").encode()
    escaped = files._ascii_text(raw)
    assert escaped is not None
    text, runs = escaped
    assert text.isascii()
    assert files._restore(text, runs) == raw


def test_a_file_with_many_runs_of_non_ascii_bytes_is_read_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run of non-ASCII bytes is a call into Python: a file with many is read as it is."""
    raw = ("[" + '"é",' * 20 + '"' + "x" * 500 + '"]').encode()
    assert files._ascii_text(raw) is not None
    monkeypatch.setattr(files, "_RUN_EVERY", 64)  # a run every 64 bytes so far, give or
    monkeypatch.setattr(files, "_RUN_SLACK", 0)  # take none: these are 5 bytes apart
    assert files._ascii_text(raw) is None
    path = tmp_path / "rows.json"
    path.write_bytes(raw)
    assert read_json(path) == json.loads(raw)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode(),
        (TEXT + " é").encode(),
        ("😀" + TEXT + "é").encode(),  # a run first and last
        TEXT.replace("É", "\\É").encode(),  # a backslash, then a non-ASCII character
        ('["' + "데" * 100 + '"]').encode(),  # mostly non-ASCII
        b'[{"id": "\xe9"}]',  # not UTF-8
        ("[" + '"é",' * 20 + '"' + "x" * 500 + '"]').encode(),
        b'["plain ascii"]',
    ],
)
def test_the_text_is_the_same_read_in_chunks(
    monkeypatch: pytest.MonkeyPatch, chunk: int, data: bytes
) -> None:
    """Decoded a chunk at a time (chunks end before an ASCII byte), the escaped text, the
    runs it records and the files it gives up on are those of one pass over the file."""
    monkeypatch.setattr(files, "_CHUNK", 1 << 30)
    whole = files._ascii_text(data)
    monkeypatch.setattr(files, "_CHUNK", chunk)
    assert files._ascii_text(data) == whole
    if whole is not None:
        assert files._restore(*whole) == data


def test_the_budget_of_runs_counts_from_the_start_of_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run's offset is the file's, not its chunk's: runs spread through a long file are
    within the budget however the file is cut."""
    raw = ("[" + ('"' + "x" * 100 + 'é",') * 30 + '"x"]').encode()
    monkeypatch.setattr(files, "_RUN_EVERY", 64)
    monkeypatch.setattr(files, "_RUN_SLACK", 0)
    monkeypatch.setattr(files, "_CHUNK", 50)
    escaped = files._ascii_text(raw)
    assert escaped is not None
    assert [start for start, *_ in escaped[1]] == [
        m.start() for m in files._NON_ASCII.finditer(raw)
    ]
