"""Stage 1: read estate files into one merged set of Resource Graph rows.

Three file shapes are accepted, told apart by their top-level JSON value:

* ``az graph query -o json`` output: an object with ``data`` (a list of rows, or Resource
  Graph's table format ``{"columns": [...], "rows": [[...]]}``);
* a plain JSON array of rows;
* the tool's own snapshot: an object with ``"format": "mlops-audit-snapshot"`` and a
  ``version`` (see ``docs/snapshot.md``), which also says which collections were made.

Rows from several files merge by ARM id, compared case-insensitively. Nothing is dropped:
rows of types the model does not know are kept and counted in the inventory.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import arm
from .clouds import CLOUDS
from .collections import NAMES, holding

SNAPSHOT_FORMAT = "mlops-audit-snapshot"
SNAPSHOT_VERSION = 1


class InputError(Exception):
    """Bad input: the CLI prints ``str(error)`` as one line and exits 2."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@dataclass
class Source:
    """One input file and what it contributed."""

    path: str
    format: str  # "az-graph" | "array" | "snapshot"
    rows: int
    collections: list[str] | None = None  # declared by a snapshot; None for raw files
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Estate:
    """The merged rows of every input, keyed by normalised ARM id, in first-seen order."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # key -> lower-case type
    sources: list[Source] = field(default_factory=list)
    rows_read: int = 0
    duplicates_merged: int = 0
    declared_collections: set[str] = field(default_factory=set)
    gaps: list[dict[str, str]] = field(default_factory=list)  # what the inputs say is missing
    notes: list[dict[str, str]] = field(default_factory=list)  # choices that narrowed evidence
    cloud: str = "public"  # which Azure cloud's private DNS zone names apply
    _collections: set[str] | None = field(default=None, repr=False)

    def collections(self) -> set[str]:
        """Collections this estate holds: declared by snapshots, or evident from its rows.
        Computed once (rules ask per resource); loading more rows resets it."""
        if self._collections is None:
            self._collections = self._find_collections()
        return self._collections

    def _find_collections(self) -> set[str]:
        return set(self.declared_collections) | {holding(t) for t in self.type_counts()}

    def type_counts(self) -> Counter[str]:
        return Counter(self.types.values())

    def subscriptions(self) -> list[str]:
        """The subscriptions (lower case) the estate holds resources of: where a resource
        that is not in the estate can be taken to be gone."""
        found = {arm.segment(key, "subscriptions") for key in self.rows}
        return sorted(s for s in found if s)


def _describe(value: Any) -> str:
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


def _table_rows(path: Path, table: dict[str, Any]) -> list[Any]:
    """Resource Graph's ``resultFormat: table`` → object rows."""
    columns = table.get("columns")
    rows = table.get("rows")
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise InputError(path, "'data' is an object without 'columns' and 'rows' lists")
    names = [c.get("name") if isinstance(c, dict) else None for c in columns]
    if not all(isinstance(n, str) for n in names):
        raise InputError(path, "'data.columns' entries need a 'name'")
    out = []
    for i, r in enumerate(rows):
        if not isinstance(r, list) or len(r) != len(names):
            raise InputError(path, f"table row {i} does not have {len(names)} values")
        out.append(dict(zip(names, r, strict=True)))
    return out


def _rows_of(path: Path, doc: Any) -> tuple[str, list[Any], dict[str, Any]]:
    """Tell the file shape apart and return (format, rows, snapshot metadata)."""
    if isinstance(doc, list):
        return "array", doc, {}
    if not isinstance(doc, dict):
        raise InputError(
            path,
            f"top-level JSON is {_describe(doc)}; expected an array of Resource Graph rows, "
            "'az graph query' output or a mlops-audit snapshot",
        )
    if "format" in doc:
        if doc["format"] != SNAPSHOT_FORMAT:
            raise InputError(
                path, f"unknown 'format' {doc['format']!r}; expected {SNAPSHOT_FORMAT!r}"
            )
        version = doc.get("version")
        if isinstance(version, bool) or version != SNAPSHOT_VERSION:
            raise InputError(
                path,
                f"snapshot version {version!r} is not supported "
                f"(this tool reads version {SNAPSHOT_VERSION})",
            )
        rows = doc.get("rows")
        if not isinstance(rows, list):
            raise InputError(path, f"snapshot 'rows' is {_describe(rows)}, expected an array")
        collections = doc.get("collections", [])
        if not isinstance(collections, list) or not all(c in NAMES for c in collections):
            raise InputError(
                path, f"snapshot 'collections' must list some of {', '.join(NAMES)}"
            )
        meta = {k: v for k, v in doc.items() if k != "rows"}
        return "snapshot", rows, meta
    if "data" not in doc:
        raise InputError(
            path,
            "JSON object has no 'data' (expected 'az graph query' output) and no 'format' "
            "(expected a mlops-audit snapshot)",
        )
    data = doc["data"]
    if isinstance(data, dict):
        return "az-graph", _table_rows(path, data), {}
    if not isinstance(data, list):
        raise InputError(path, f"'data' is {_describe(data)}, expected an array of rows")
    return "az-graph", data, {}


def _field_problem(name: str, value: Any) -> str:
    if value is None:
        return f"has no '{name}'"
    if isinstance(value, str):
        return f"has an empty '{name}'"
    return f"has an '{name}' that is {_describe(value)}, expected a string"


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    """Merge a duplicate row: objects merge key by key, other values from the later row win
    unless the later value is null."""
    for k, v in new.items():
        old = into.get(k)
        if isinstance(old, dict) and isinstance(v, dict):
            _merge(old, v)
        elif v is not None or k not in into:
            into[k] = v


def load_file(path: str | Path, estate: Estate) -> Source:
    """Read one file into ``estate``; raise InputError naming the file on any problem."""
    return add_document(path, read_json(Path(path)), estate)


def add_document(path: str | Path, doc: Any, estate: Estate) -> Source:
    """Add one parsed document (a file's JSON, or a snapshot the collector just made) to
    ``estate``; ``path`` names it in messages and in the report's inputs."""
    p = Path(path)
    fmt, rows, meta = _rows_of(p, doc)
    where = "row" if fmt != "snapshot" else "snapshot row"
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise InputError(p, f"{where} {i} is {_describe(r)}, expected an object")
        rid = r.get("id")
        rtype = r.get("type")
        if not isinstance(rid, str) or not rid.strip():
            raise InputError(p, f"{where} {i} {_field_problem('id', rid)}")
        if not rid.startswith("/"):
            raise InputError(p, f"{where} {i} has an 'id' that is not an ARM resource id: {rid!r}")
        if not isinstance(rtype, str) or not rtype.strip():
            raise InputError(p, f"{where} {i} ({rid}) {_field_problem('type', rtype)}")
        k = arm.key(rid)
        existing = estate.rows.get(k)
        if existing is None:
            estate.rows[k] = r
            estate.types[k] = rtype.lower()
        else:  # the first row's id keeps its casing: it is the one printed
            _merge(existing, {key: v for key, v in r.items() if key != "id"})
            estate.duplicates_merged += 1
    estate.rows_read += len(rows)
    estate._collections = None
    source = Source(
        path=str(path),
        format=fmt,
        rows=len(rows),
        collections=meta.get("collections") if fmt == "snapshot" else None,
        metadata={k: v for k, v in meta.items() if k not in ("format", "version")},
    )
    if source.collections:
        estate.declared_collections.update(source.collections)
    estate.gaps += [{"path": str(path), "problem": g} for g in _gaps(fmt, doc, len(rows))]
    if fmt == "snapshot" and doc.get("cloud") is not None:
        if doc["cloud"] not in tuple(CLOUDS):
            raise InputError(p, f"snapshot 'cloud' must be one of {', '.join(CLOUDS)}")
        estate.cloud = doc["cloud"]
    if fmt == "snapshot" and isinstance(doc.get("notes"), list):
        estate.notes += [{"path": str(path), "note": str(n)} for n in doc["notes"]]
    estate.sources.append(source)
    return source


def _gaps(fmt: str, doc: Any, rows: int) -> list[str]:
    """What a file says it does not hold: a Resource Graph page that is not the last one,
    or a snapshot's recorded collection failures."""
    if fmt == "az-graph":
        found = []
        token = doc.get("skip_token") or doc.get("skipToken") or doc.get("$skipToken")
        if token:
            found.append(
                "'az graph query' output ends at a page boundary (skip_token is set): "
                "the rows after it were not read"
            )
        total = doc.get("total_records", doc.get("totalRecords"))
        if isinstance(total, int) and not isinstance(total, bool) and total > rows:
            found.append(f"holds {rows} of the query's {total} rows")
        if str(doc.get("resultTruncated", doc.get("result_truncated", ""))).lower() == "true":
            found.append("Resource Graph marked the result truncated")
        return found
    if fmt == "snapshot":
        failures = doc.get("failures")
        if isinstance(failures, list):
            return [
                f"the snapshot records a failed collection: {json.dumps(f, sort_keys=True)}"
                for f in failures
            ]
    return []


def load(paths: list[str | Path]) -> Estate:
    """Read and merge every file; the first bad file raises InputError."""
    estate = Estate()
    for path in paths:
        load_file(path, estate)
    return estate
