"""Reading a large JSON file a window at a time (``files._stream_json``): the data must be
exactly what ``json.loads`` makes of the file, and any file it does not stream (invalid,
odd, hostile) must give exactly the whole read's data or error message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import files
from auditor.files import InputError, read_json

UNSTREAMED = object()


def _stream(path: Path, window: int, unique_keys: bool = False) -> Any:
    """What the streamed read makes of the file, or UNSTREAMED."""
    with open(path, "rb") as f:
        try:
            return files._stream_json(f, unique_keys, window)
        except files._Unstreamed:
            return UNSTREAMED


@contextmanager
def _streaming(window: int, on: bool = True, escape: bool = True) -> Iterator[None]:
    """read_json streams every file (``on``) a ``window`` at a time, or none; small files
    escape too (``escape``; else no file escapes: its windows are decoded as they are),
    and no value is too large for the windows held."""
    with (
        mock.patch.object(files, "_STREAM_FROM", 0 if on else 1 << 62),
        mock.patch.object(files, "_WINDOW", window),
        mock.patch.object(files, "_MOST_HELD", 1 << 30),
        mock.patch.object(files, "_WASTE_SLACK", 1 << 30),
        mock.patch.object(files, "_MOST_ESCAPED", 1 if escape else 1 << 62),
        mock.patch.object(files, "_RUN_EVERY", 1),
    ):
        yield


def _read(path: Path, unique_keys: bool = False) -> tuple[str, Any]:
    try:
        return "data", read_json(path, unique_keys=unique_keys)
    except InputError as exc:
        return "error", str(exc)


def _same(got: Any, want: Any) -> bool:
    """Equal, with the same types and the same key order (1, 1.0 and True are equal)."""
    return got == want and json.dumps(got) == json.dumps(want)


# strings that look like the structure around them
_TRICKY = st.lists(
    st.sampled_from([*'},{[]":\\, \n\tabcé中', "\U0001f600", "\x00", "\\u00e9", '\\"', "},{"])
    | st.characters(),
    max_size=8,
).map("".join)
_NUMBERS = (
    st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0, -0.0, 1e308, 5e-324, 123456789012345678901234567890])
)
_VALUES = st.recursive(
    st.none() | st.booleans() | _NUMBERS | _TRICKY,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(_TRICKY, kids, max_size=4),
    max_leaves=16,
)
_ROWS = st.lists(
    st.dictionaries(_TRICKY, _VALUES, max_size=5) | _VALUES | st.lists(_VALUES, max_size=3),
    max_size=12,
)


@st.composite
def _documents(draw: st.DrawFn) -> str:
    rows = draw(_ROWS)
    shape = draw(st.integers(0, 3))
    if shape == 0:  # a snapshot: small members around the rows
        doc: Any = {"format": "mlops-audit-snapshot", "scopes": [{"s": 1}], "rows": rows}
        if draw(st.booleans()):
            doc = {"rows": rows, "version": 1, "tail": [[1, 2], {"k": [3]}]}
    elif shape == 1:  # a plain array of rows
        doc = rows
    elif shape == 2:  # 'az graph query' output
        doc = {"count": len(rows), "data": rows, "skip_token": None}
    else:
        doc = {"a": rows, "b": rows[:2], "c": draw(_VALUES)}
    indent = draw(st.sampled_from([None, None, 0, 2, "\t"]))
    separators = draw(st.sampled_from([None, (",", ":"), (" , ", " : "), (",\n", ":\t")]))
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()), indent=indent, separators=separators)
    pad = st.sampled_from(["", " ", "\n", "\r\n\t "])
    return draw(pad) + text + draw(pad)


_WINDOWS = st.sampled_from([1, 2, 3, 5, 7, 16, 61, 256, 4096])


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_documents(), window=_WINDOWS, escape=st.booleans())
def test_a_streamed_document_is_what_json_loads_makes_of_it(
    tmp_path: Path, text: str, window: int, escape: bool
) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        want = json.loads(text)
    except ValueError:
        want = UNSTREAMED  # a lone surrogate, not UTF-8: never streamed
    with _streaming(window, escape=escape):
        got = _stream(path, window)
        assert got is UNSTREAMED or _same(got, want), (text, got, want)
        assert _read(path) == _read_whole(path)


def _read_whole(path: Path, unique_keys: bool = False) -> tuple[str, Any]:
    with mock.patch.object(files, "_STREAM_FROM", 1 << 62):
        return _read(path, unique_keys)


_BREAKS = st.sampled_from([*',:[]{}"\\ \n0e.-tnx', "\U0001f600", "é", "NaN", "1e999"])


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=_documents(),
    window=_WINDOWS,
    at=st.floats(0, 1),
    cut=st.integers(0, 3),
    insert=_BREAKS,
    unique_keys=st.booleans(),
    escape=st.booleans(),
)
def test_a_broken_document_gives_the_whole_reads_error(
    tmp_path: Path,
    text: str,
    window: int,
    at: float,
    cut: int,
    insert: str,
    unique_keys: bool,
    escape: bool,
) -> None:
    i = int(at * len(text))
    broken = text[:i] + insert + text[i + cut :]
    path = tmp_path / "in.json"
    path.write_bytes(broken.encode("utf-8", "surrogatepass"))
    with _streaming(window, escape=escape):
        want = _read_whole(path, unique_keys)
        assert _read(path, unique_keys) == want, broken
        got = _stream(path, window, unique_keys)
        if want[0] == "error":
            assert got is UNSTREAMED, broken
        elif got is not UNSTREAMED:
            assert _same(got, want[1]), broken


SNAPSHOT = {
    "format": "mlops-audit-snapshot",
    "scopes": [{"subscription": "s1"}, {"subscription": "s2"}],
    "rows": [
        {
            "id": f"/subscriptions/s1/resourceGroups/rg/providers/x/y/n{i}",
            "tags": {"t": '},{"id":', "u": "데이터 😀", "v": 'a\\"b[{'},
            "properties": {"rules": [{"n": i, "p": [i, i * 1.5, -i]}, {"q": None}]},
            "n": 10**i,
        }
        for i in range(40)
    ],
}


@pytest.mark.parametrize("window", [1, 2, 3, 4, 5, 8, 13, 64, 100, 1000, 1 << 16])
@pytest.mark.parametrize("ensure_ascii", [True, False])
@pytest.mark.parametrize("indent", [None, 1])
@pytest.mark.parametrize("escape", [True, False])
def test_a_snapshot_streams_in_windows_of_any_size(
    tmp_path: Path, window: int, ensure_ascii: bool, indent: int | None, escape: bool
) -> None:
    text = json.dumps(SNAPSHOT, ensure_ascii=ensure_ascii, indent=indent)
    path = tmp_path / "snap.json"
    path.write_text(text, encoding="utf-8")
    with _streaming(window, escape=escape):
        got = _stream(path, window)
    assert got is not UNSTREAMED  # streamed, not read whole
    assert _same(got, SNAPSHOT)


@pytest.mark.parametrize(
    "text",
    [
        '{"rows": [1, 2], "rows": [3], "a": 1}',  # the last value, in the first key's place
        "[ 1 , 22 , 333 , 4444 , 55555 ,666666,7777777,88888888, 1e5, -0.25, 1E-3 ]",
        '{"a":[[],[[]],{},[{}],""],"b":{"c":[1,{"d":[2]}]},"e":[]}',
        '[{"k": "\\u00e9\\ud83d\\ude00"}, "é😀", {"é": ["😀"]}]',
        ' \r\n\t{ "rows" :\n[ {"a":1} ,\n{"b":2} ] } \n',
        "[]",
        "{}",
        '{"a": [], "b": {}}',
    ],
)
@pytest.mark.parametrize("window", [1, 2, 3, 7, 64])
def test_odd_but_valid_documents_stream_exactly(tmp_path: Path, text: str, window: int) -> None:
    path = tmp_path / "in.json"
    path.write_text(text, encoding="utf-8")
    with _streaming(window):
        got = _stream(path, window)
    assert got is not UNSTREAMED
    assert _same(got, json.loads(text))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"rows": [1, 2], "rows": [3]}',  # unique keys: the whole read's error
        b"[1, 2, ]",
        b"[1, , 2]",
        b"[, 1]",
        b'{"a": [1, 2] ,}',
        b'{"a": [1, 2]} x',
        b'{"a": [1, 2]} {}',
        b"[1, 2] ]",
        b'[{"a": NaN}]',
        b'[{"a": Infinity}, 1]',
        b'[{"a": 1e999}, 1]',
        b'[{"a": 1' + b"0" * 5000 + b"}, 1]",
        b'[{"a": "\\\xc3\xa9"}, 1]',  # a backslash before a non-ASCII character
        b"\xef\xbb\xbf[1, 2]",  # a BOM
        b'[{"a": "\xff"}, 1]',  # not UTF-8
        b'[{"a": 1}, {"b": 2',  # cut off
        b'[{"a": 1}, {"b": "2',
        b'{"rows": [{"a": 1}',
        b"   ",
        b'"just a string"',
        b"12",
        b"[" * 100000 + b"]" * 100000,
        b'[{"a": 1}, {"a": "x\ny"}]',  # a control character in a string
    ],
)
@pytest.mark.parametrize("window", [1, 3, 16, 4096])
@pytest.mark.parametrize("escape", [True, False])
def test_files_not_streamed_read_whole_with_the_same_error(
    tmp_path: Path, raw: bytes, window: int, escape: bool
) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(raw)
    with _streaming(window, escape=escape):
        got = _stream(path, window, unique_keys=True)
        assert got is UNSTREAMED
        for unique_keys in (False, True):
            assert _read(path, unique_keys) == _read_whole(path, unique_keys)


def test_a_large_file_is_streamed_by_read_json(tmp_path: Path) -> None:
    """A file of _STREAM_FROM bytes or more is streamed, a smaller one read whole."""
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(SNAPSHOT), encoding="utf-8")
    calls = []
    real = files._stream_json

    def spy(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    with mock.patch.object(files, "_stream_json", spy):
        with mock.patch.object(files, "_STREAM_FROM", path.stat().st_size):
            assert _same(read_json(path), SNAPSHOT)
        assert len(calls) == 1
        with mock.patch.object(files, "_STREAM_FROM", path.stat().st_size + 1):
            assert _same(read_json(path), SNAPSHOT)
        assert len(calls) == 1


def test_a_hostile_file_falls_back_after_little_waste(tmp_path: Path) -> None:
    """Brackets in strings everywhere (every cut a miss): the read stops trying early."""
    rows = [{"t": "{[" * 50, "u": ["]}"] * 3} for _ in range(2000)]
    path = tmp_path / "in.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    size = path.stat().st_size
    with mock.patch.object(files, "_MOST_ESCAPED", 1), open(path, "rb") as f:
        stream = files._Stream(f, False, 4096)
        try:
            got = stream.document()
        except files._Unstreamed:
            got = UNSTREAMED
        assert got is UNSTREAMED or _same(got, rows)
        assert stream.wasted <= size // 2 + files._WASTE_SLACK + 2 * 4096 * files._MOST_HELD


PLAN = {
    "format_version": "1.2",
    "planned_values": {
        "root_module": {
            "resources": [
                {"address": f"a.r{i}", "values": {"t": "é", "n": [i]}} for i in range(30)
            ],
            "child_modules": [{"address": "module.m", "resources": [{"v": {"x": [1, 2]}}] * 9}],
        }
    },
    "resource_changes": [{"change": {"actions": ["create"], "after": {"k": i}}} for i in range(30)],
    "configuration": {"root_module": {}},
}


@pytest.mark.parametrize("window", [1, 7, 64, 4096])
@pytest.mark.parametrize("unique_keys", [False, True])
def test_arrays_within_objects_within_objects_stream(
    tmp_path: Path, window: int, unique_keys: bool
) -> None:
    """A Terraform plan's resources are objects deep: those objects are read member by
    member (with the object hook, when keys must be unique), their arrays streamed."""
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN, indent=2, ensure_ascii=False), encoding="utf-8")
    with _streaming(window):
        got = _stream(path, window, unique_keys)
    assert got is not UNSTREAMED
    assert _same(got, PLAN)
