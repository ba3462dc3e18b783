"""Hostile input against today's fast paths: the escaped JSON read (``files.read_json``)
must give the plain read's data or its exact error line, and the rule YAML read through
libyaml (``rules.read_yaml``) the pure loader's data or its refusal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import files, rules
from auditor.files import InputError, read_json
from auditor.rules import RuleFileError, read_yaml


def _plain(raw: bytes) -> Any:
    """The plain read: ``json.loads`` of the file's UTF-8 text (BOM dropped), or the
    InputError line the reader gives for it."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ("error", f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
    if not raw or raw.isspace():
        return ("error", "file is empty, expected JSON rows")
    try:
        return ("data", files.loads_json(text, False))
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        what = "truncated JSON" if cut else "invalid JSON"
        return ("error", f"{what} at line {exc.lineno} column {exc.colno}: {exc.msg}")
    except RecursionError:
        return ("error", "invalid JSON: nested too deeply to be JSON rows")
    except ValueError as exc:
        return ("error", f"invalid JSON: {exc}")


def _new(path: Path) -> Any:
    try:
        return ("data", read_json(path))
    except InputError as exc:
        assert exc.path == str(path)
        return ("error", exc.problem)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) and repr(a) == repr(b)


# bytes a hostile file is made of: JSON punctuation, escapes, every kind of non-ASCII
_PIECES = st.sampled_from(
    [
        b'"',
        b"\\",
        b"\\\\",
        b"\\u",
        b"\\ud800",
        b"\\udc00",
        b"\\u00e9",
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b",",
        b" ",
        b"\n",
        b"\r\n",
        b"\t",
        b"\x00",
        b"1",
        b"1e999",
        b"-0.5",
        b"true",
        b"null",
        b"NaN",
        b"a",
        "é".encode(),
        "데이터".encode(),
        "😀".encode(),
        "\u2028".encode(),
        "\ufeff".encode(),
        "\U0010ffff".encode(),
        b"\xed\xa0\x80",  # a raw (UTF-8-encoded) lone surrogate: not UTF-8
        b"\xff",
        b"\xc3",  # a character cut short
        b"\x80",
        b"\xef\xbb\xbf",
    ]
)


def _document(pieces: list[bytes], wrap: int) -> bytes:
    body = b"".join(pieces)
    if wrap == 1:
        return b'[{"id": "' + body + b'", "v": 1}]'
    if wrap == 2:
        return b'{"' + body + b'": "' + body + b'"}'
    return body


@pytest.fixture
def escape_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small files escape too (the budgets are fractions of the file's length)."""
    monkeypatch.setattr(files, "_MOST_ESCAPED", 1)
    monkeypatch.setattr(files, "_RUN_EVERY", 1)


@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    pieces=st.lists(_PIECES, max_size=24),
    wrap=st.integers(0, 2),
    bom=st.booleans(),
)
def test_the_escaped_read_is_the_plain_read(
    tmp_path: Path, escape_small_files: None, pieces: list[bytes], wrap: int, bom: bool
) -> None:
    raw = (b"\xef\xbb\xbf" if bom else b"") + _document(pieces, wrap)
    path = tmp_path / "in.json"
    path.write_bytes(raw)
    want, got = _plain(raw), _new(path)
    assert want[0] == got[0], (raw, want, got)
    if want[0] == "data":
        assert _same(want[1], got[1]), (raw, want, got)
    else:
        assert want[1] == got[1], raw


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.text()
        | st.floats(allow_nan=False, allow_infinity=False),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    ),
    ascii_out=st.booleans(),
)
def test_any_json_document_reads_as_json_loads(
    tmp_path: Path, escape_small_files: None, value: Any, ascii_out: bool
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_out)
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a string: only the escaped form exists
        return
    path = tmp_path / "doc.json"
    path.write_bytes(raw)
    want, got = _plain(raw), _new(path)
    assert want[0] == got[0] and (_same(want[1], got[1]) if want[0] == "data" else want == got)


@pytest.mark.parametrize("size", [4095, 4096, 4097, 8191, 8192, 8193])
@pytest.mark.parametrize("tail", [b"\xff", "é".encode(), "😀".encode()[:3], b"\\\xc3\xa9"])
def test_a_file_ascii_but_for_its_end(tmp_path: Path, size: int, tail: bytes) -> None:
    """An ASCII file with one odd byte run at the end, at and around 4 KiB boundaries:
    the plain read's data or error, with the file named."""
    body = b'["' + b"x" * (size - 4) + b'"'
    for raw in (body + tail + b"]", body[:-1] + tail + b'"]', body + b"]" + tail):
        path = tmp_path / "edge.json"
        path.write_bytes(raw)
        want, got = _plain(raw), _new(path)
        assert want[0] == got[0] and (want == got if want[0] == "error" else want[1] == got[1])


@pytest.mark.parametrize(
    "raw",
    [
        '["a", é]'.encode(),  # non-ASCII outside any string
        '\r\n[\r\n "é",\r\n é\r\n]'.encode(),  # CRLF before it: line and column exact
        '{"k": "\\\\\\\\é"}'.encode(),  # a backslash run before non-ASCII
        '{"k\u00e9": "v", "é": 1, "\\u00e9": 2}'.encode(),  # non-ASCII and escapes as keys
        '["\\ud800", "\\ud83dé", "\\ud83d😀", "\\udc00"]'.encode(),  # lone surrogate escapes
        '["a\x00é"]'.encode(),  # NUL in a string with non-ASCII
        "\ufeff\ufeff[1]".encode(),  # two BOMs
        '\ufeff["é"]'.encode(),  # a BOM and non-ASCII
        ' \ufeff["é"]'.encode(),  # a BOM not at the start
        '["é"'.encode(),  # cut off after non-ASCII
        '["é'.encode(),  # cut off inside the string
        '["é\\'.encode(),
        '["é"] 😀'.encode(),
        '["é", 1e999]'.encode(),
        '["é", NaN]'.encode(),
        '["é", ' + "9" * 5000 + "]",
        '["é" , "x"'.encode(),
        '["é"]'.encode("utf-16"),  # UTF-16 with its BOM
        '["é"]'.encode("utf-16-le"),
        b'["\xed\xa0\x80"]',  # a raw lone surrogate
    ],
)
def test_evasive_files(tmp_path: Path, escape_small_files: None, raw: Any) -> None:
    if isinstance(raw, str):
        raw = raw.encode()
    path = tmp_path / "evasive.json"
    path.write_bytes(raw)
    want, got = _plain(raw), _new(path)
    assert want[0] == got[0]
    if want[0] == "data":
        assert _same(want[1], got[1])
    else:
        assert want[1] == got[1]


# --- rule YAML: libyaml when it reads as the pure loader, else the pure loader ---


def _pure(text: str) -> Any:
    try:
        return ("data", yaml.load(text, Loader=rules._RuleLoader))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


def _fast(text: str) -> Any:
    try:
        return ("data", rules._load_yaml(text))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize(
    "text",
    [
        "a: !\n",  # a bare tag: '' to libyaml, None to PyYAML
        "!",
        "\n\r\ufeff",  # a BOM after a line break: dropped by libyaml
        "\ufeffb: 1\n",  # a second BOM (read_text drops the first)
        "\u2029\ufeff\nkey\n",  # LS/PS/NEL line breaks
        "a: x\x85b\n",
        "a: b\u2028c\n",
        "a: 1\t\n",  # tabs libyaml accepts and PyYAML refuses
        "0x1f\t#c\n",
        "- |#\n",  # a comment glued to a block scalar's header
        "[?on?`.inf]",  # '?' in a flow collection: libyaml reads a key, PyYAML refuses
        "{a? b}",
        "a: >#\n",
        "a: !!timestamp \t\n",  # AttributeError inside libyaml's path
        "a: !!python/object:os.system x\n",
        "a: !!binary é\n",
        "a: \x7f\n",
        "a: \x00\n",
        "a: \ufffe\n",
        "{a: 1, a: 2}\n",  # a duplicate key
        "<<: {a: 1}\nb: 2\n",  # a merge key without an alias
        "a: &x 1\nb: *x\n",  # anchors and aliases are refused
        "a: '&x *y'\nb: \"*\"\n",  # ... but not inside scalars
        "a: 2027-02-30\n",  # a date that is not a day
        "a: " + "9" * 5000 + "\n",  # an int longer than Python converts
        "[" * 500 + "]" * 500,  # deeper than the pure loader reads
        "- " * 400 + "1\n",
    ],
)
def test_rule_yaml_reads_as_the_pure_loader(text: str) -> None:
    assert repr(_fast(text)) == repr(_pure(text))


def test_rule_yaml_random_texts_read_as_the_pure_loader() -> None:
    """Random texts of YAML's punctuation and odd characters: libyaml's reading, when it
    is used, is the pure loader's (data, or the same refusal)."""
    import random

    pieces = [*"ab1:- \n\n  {}[],'\"#|>?!&*%@`\\.\t\r", "\x85", "\u2028", "\u2029"]
    pieces += ["\ufeff", "\x00", "é", "😀", "\ufffe", "true", "on", "null", "~", "<<"]
    pieces += ["2024-01-01", "0x1f", "1:30", ".inf", "!!str ", "!!timestamp ", "!!bool "]
    pieces += ["\\x41", "\\u00e9", "---", "...", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n"]
    rng = random.Random(13)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        assert repr(_fast(text)) == repr(_pure(text)), text


def test_the_pure_only_texts_are_the_complement_of_what_libyaml_may_read() -> None:
    """The pure-only characters, named as a set for a cheap start-up, are exactly those
    outside what both loaders print alike, with ``!`` and ``?`` (every code point checked);
    a block scalar's header with a comment is pure-only too."""
    import re

    everything = "".join(map(chr, range(0x110000)))
    printable = re.compile(
        "[^\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    )
    chars, header = rules._PURE_ONLY
    assert chars.findall(everything) == sorted([*printable.findall(everything), "!", "?"])
    assert header.findall(everything) == []
    texts = ("a: 1", "a: |#", "a: >-2#", "a: |+ #", "a?", "!x", "a: 1\t", "a\x85b", "a: |\n #")
    pure = [any(p.search(t) for p in rules._PURE_ONLY) for t in texts]
    assert pure == [False, True, True, False, True, True, True, True, False]


def _rule_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "ORG-XXX-001.yaml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("expires: !!timestamp foo\n", "invalid YAML: line 1: 'foo' is not a timestamp"),
        ("on: !!bool maybe\n", "invalid YAML: line 1: 'maybe' is not a boolean"),
        ("n: !!int ''\n", "invalid YAML: line 1: '' is not a number"),
        ("n: !!float ''\n", "invalid YAML: line 1: '' is not a number"),
        ("a: !!python/object/apply:os.system [id]\n", "invalid YAML: line 1: could not"),
        ("a: &x [1]\nb: *x\n", "invalid YAML: line 1: anchors and aliases"),
        ("a: 1\na: 2\n", "invalid YAML: line 2: duplicate key 'a'"),
        ("a: 2027-02-30\n", "invalid YAML value: day is out of range for month"),
        ("{not: " * 900 + "x" + "}" * 900 + "\n", "invalid YAML: nested too deeply"),
    ],
)
def test_bad_rule_yaml_is_one_line(tmp_path: Path, body: str, problem: str) -> None:
    path = _rule_file(tmp_path, body)
    with pytest.raises(RuleFileError) as caught:
        read_yaml(path)
    assert str(caught.value).startswith(f"{path}: {problem}")
    assert "\n" not in str(caught.value)


def test_billion_laughs_is_refused_at_its_first_anchor(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join(['*a' + str(i - 1)] * 9)}]" for i in range(1, 10)]
    path = _rule_file(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(RuleFileError, match="anchors and aliases"):
        read_yaml(path)


def test_a_rule_nested_deeper_than_the_pure_loader_reads_is_exit_2(tmp_path: Path) -> None:
    """libyaml reads 1,000 levels; the rule compiler then fails on recursion, which
    read as a bug (exit 4). As before, such a file is refused as nested too deeply."""
    from auditor import cli

    cond = "{path: subject.name, equals: x}"
    for _ in range(990):
        cond = "{not: " + cond + "}"
    body = (
        "id: ORG-XXX-001\ntitle: deep\nseverity: high\ncategory: public-access\n"
        "resource_types: [microsoft.containerregistry/registries]\n"
        f"assert: {cond}\nmessage: m\nrationale: r\n"
        "remediation: {summary: s, terraform: t, cli: c}\n"
        "references: [{title: t, url: 'https://example.com'}]\n"
    )
    _rule_file(tmp_path, body)
    assert cli.main(["rules", "list", "--rules", str(tmp_path)]) == cli.EXIT_USAGE


def test_a_long_run_of_non_ascii_is_not_escaped_before_it_is_refused(tmp_path: Path) -> None:
    """One 2 MB run of 'é' in a file: the escapes cannot fit the budget (1/8 of the file),
    so the run is refused as it is met, not first made 6 MB of escapes as a million strings
    (a 20 MB run took 860 MB to read, against 42 MB read as it is)."""
    import tracemalloc

    raw = b'[{"id": "/s/x", "type": "t", "name": "' + "é".encode() * 1_000_000 + b'"}]'
    path = tmp_path / "run.json"
    path.write_bytes(raw)
    tracemalloc.start()
    try:
        data = read_json(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data[0]["name"] == "é" * 1_000_000
    assert peak < 4 * len(raw)  # bytes, text and the parsed string; escaping took ~40x


def test_a_bad_tagged_scalar_is_named_short(tmp_path: Path) -> None:
    path = _rule_file(tmp_path, "expires: !!timestamp " + "x" * 100_000 + "\n")
    with pytest.raises(RuleFileError) as caught:
        read_yaml(path)
    assert str(caught.value) == f"{path}: invalid YAML: line 1: {'x' * 40!r} is not a timestamp"
