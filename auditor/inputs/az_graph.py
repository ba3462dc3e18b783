"""Input format: ``az graph query -o json`` output, one page of a Resource Graph query.

``data`` holds the rows, or Resource Graph's table format (``{"columns": [...], "rows":
[[...]]}``). A page that is not the last one says so, and that becomes a coverage gap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..estate import Reading
from ..files import InputError, describe
from .options import NO_OPTIONS, InputOptions


class AzGraph:
    """``{"count", "data", "skip_token", "total_records"}`` from the Azure CLI."""

    name = "az-graph"
    expected = "'az graph query' output"
    directory = False
    marker: str | None = "data"

    def detect(self, doc: object) -> bool:
        # the CLI's output never names a 'format': an object that does is a snapshot
        return isinstance(doc, dict) and "data" in doc and "format" not in doc

    def read(self, path: Path, doc: Any, options: InputOptions = NO_OPTIONS) -> Reading:
        data = doc["data"]
        if isinstance(data, dict):
            rows = _table_rows(path, data)
        elif isinstance(data, list):
            rows = data
        else:
            raise InputError(path, f"'data' is {describe(data)}, expected an array of rows")
        return Reading(rows, gaps=_gaps(path, doc, len(rows)))


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


def _count(path: Path, doc: dict[str, Any], *names: str) -> int | None:
    """A row count the page states (None when it states none). A count that is not a
    whole number is bad input: ignoring it could hide a partial export."""
    name = next((n for n in names if n in doc), None)
    if name is None or doc[name] is None:
        return None
    value = doc[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(path, f"'{name}' is {describe(value)} {value!r}, expected a row count")
    return value


def _gaps(path: Path, doc: dict[str, Any], rows: int) -> list[str]:
    """What the page says it does not hold: the rows after it, or a truncated result."""
    found = []
    token = doc.get("skip_token") or doc.get("skipToken") or doc.get("$skipToken")
    if token:
        found.append(
            "'az graph query' output ends at a page boundary (skip_token is set): "
            "the rows after it were not read"
        )
    total = _count(path, doc, "total_records", "totalRecords")
    if total is not None and total > rows:
        found.append(f"holds {rows} of the query's {total} rows")
    count = _count(path, doc, "count")
    if count is not None and count != rows:
        found.append(f"says its page holds {count} rows, but {rows} are in it")
    if str(doc.get("resultTruncated", doc.get("result_truncated", ""))).lower() == "true":
        found.append("Resource Graph marked the result truncated")
    return found


FORMAT = AzGraph()
