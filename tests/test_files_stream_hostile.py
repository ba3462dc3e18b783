"""The streamed JSON read (``files._stream_json``) against an unlucky or hostile file: a read
error part-way, a file changed while it is read, a long run of non-ASCII bytes. Each must
give the whole read's data or its one InputError line, and never a mix of two versions."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any, BinaryIO
from unittest import mock

import pytest

from auditor import files
from auditor.files import InputError, read_json


class _Flaky:
    """A file whose reads fail with EIO after ``good`` bytes (``seek`` too, if ``seek_fails``);
    ``on_read`` runs before each read (to change the file under it)."""

    def __init__(self, f: BinaryIO, good: int, seek_fails: bool = False, on_read: Any = None):
        self.f, self.good, self.seek_fails, self.on_read = f, good, seek_fails, on_read
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.on_read:
            self.on_read(self.reads)
        if self.f.tell() >= self.good:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return self.f.read(size)

    def seek(self, at: int) -> int:
        if self.seek_fails:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return self.f.seek(at)

    def fileno(self) -> int:
        return self.f.fileno()

    def __enter__(self) -> _Flaky:
        return self

    def __exit__(self, *exc: object) -> None:
        self.f.close()


def _rows(path: Path, value: int, n: int = 3000) -> list[dict[str, int]]:
    rows = [{"id": i, "v": value} for i in range(n)]
    path.write_text(json.dumps(rows), encoding="utf-8")
    return rows


def _opening(wrap: Any) -> Any:
    real = files._open
    return mock.patch.object(files, "_open", lambda p, e: wrap(real(p, e)))


def test_a_read_error_mid_stream_is_one_input_error_line(tmp_path: Path) -> None:
    """EIO part-way through the stream, and again when the file is read whole (the seek back
    fails too): one InputError naming the file, no OSError escaping to a traceback."""
    path = tmp_path / "in.json"
    _rows(path, 1)
    with (
        mock.patch.object(files, "_STREAM_FROM", 0),
        mock.patch.object(files, "_WINDOW", 4096),
        _opening(lambda f: _Flaky(f, 10000, seek_fails=True)),
        pytest.raises(InputError, match=r"in\.json: cannot read: Input/output error$"),
    ):
        read_json(path)


def test_a_read_error_mid_stream_then_a_good_read_gives_the_data(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    rows = _rows(path, 1)
    flaky: list[_Flaky] = []

    def wrap(f: BinaryIO) -> _Flaky:
        flaky.append(_Flaky(f, 10000))
        return flaky[0]

    with (
        mock.patch.object(files, "_STREAM_FROM", 0),
        mock.patch.object(files, "_WINDOW", 4096),
        _opening(wrap),
    ):
        original_seek = _Flaky.seek

        def seek(self: _Flaky, at: int) -> int:
            self.good = 1 << 40  # the device recovers: the whole read succeeds
            return original_seek(self, at)

        with mock.patch.object(_Flaky, "seek", seek):
            assert read_json(path) == rows


@pytest.mark.parametrize("grow", [False, True])
def test_a_file_rewritten_while_streamed_is_one_version(tmp_path: Path, grow: bool) -> None:
    """Rewritten in place after the first window (same size, or grown): never the first
    version's head with the second's tail."""
    path = tmp_path / "in.json"
    first = _rows(path, 1)
    os.utime(path, ns=(10**18, 10**18))  # an older timestamp than the rewrite's

    def rewrite(reads: int) -> None:
        if reads == 2:
            with open(path, "r+b") as w:  # in place: the open file sees it
                rows = [{"id": i, "v": 2} for i in range(3000)] + (
                    [{"id": 0, "v": 2}] if grow else []
                )
                w.write(json.dumps(rows).encode())

    with (
        mock.patch.object(files, "_STREAM_FROM", 0),
        mock.patch.object(files, "_WINDOW", 4096),
        _opening(lambda f: _Flaky(f, 1 << 40, on_read=rewrite)),
    ):
        got = read_json(path)
    assert got != first  # the second version, read whole
    assert {row["v"] for row in got} == {2}


def test_a_long_run_of_non_ascii_is_not_carried_window_after_window(tmp_path: Path) -> None:
    """A run of 'é' longer than the escapes allow goes plain at once: it is not carried (and
    copied, and scanned) from window to window until the file's end."""
    path = tmp_path / "in.json"
    text = "é" * 100_000  # 200 kB: more than 32 windows of bytes, fewer of characters
    path.write_text(json.dumps([text, "x"], ensure_ascii=False), encoding="utf-8")
    held: list[int] = []
    real = files._Stream.more

    def more(self: files._Stream, wanted: int = 0) -> None:
        real(self, wanted)
        held.append(len(self.carry))

    with open(path, "rb") as f, mock.patch.object(files._Stream, "more", more):
        assert files._stream_json(f, False, 4096) == [text, "x"]
    assert max(held) <= path.stat().st_size // files._MOST_ESCAPED // 2 + 1  # the budget's


def test_windows_cut_no_run_of_non_ascii_and_escape_every_window(tmp_path: Path) -> None:
    """Runs of 2-byte and 4-byte characters that windows of every size cut (the carry held
    over one window, then more ASCII): every window is escaped, none decoded as it is."""
    rows = [
        {"n": "é" * (i % 7) + "x" * (i % 5) + "😀" * (i % 3), "pad": "y" * 60} for i in range(300)
    ]
    path = tmp_path / "in.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    for window in (1, 2, 3, 5, 7, 13):
        with (
            open(path, "rb") as f,
            mock.patch.object(files, "_MOST_ESCAPED", 1),
            mock.patch.object(files, "_RUN_EVERY", 1),
            mock.patch.object(files, "_MOST_HELD", 1 << 30),
            mock.patch.object(files, "_WASTE_SLACK", 1 << 30),
        ):
            stream = files._Stream(f, False, window)
            assert stream.document() == rows
            assert not stream.plain, window


def test_one_element_larger_than_the_windows_wastes_no_more_than_allowed(tmp_path: Path) -> None:
    """One object as large as the file: each retry parses it again from its start, twice as
    much text; the read gives up before a retry would pass the waste allowed, not after."""
    path = tmp_path / "in.json"
    path.write_text(json.dumps([{f"k{i}": [i, "x" * 20] for i in range(20000)}]))
    with (
        open(path, "rb") as f,
        mock.patch.object(files, "_WASTE_SLACK", 0),
        mock.patch.object(files, "_MOST_HELD", 1 << 30),
    ):
        stream = files._Stream(f, False, 4096)
        with pytest.raises(files._Unstreamed):
            stream.document()
    assert 0 < stream.wasted <= stream.most_wasted
