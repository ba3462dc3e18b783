"""The NDJSON report's documented setup, as a careless reader copies it: every column the
code writes, in order and type, in each place docs/log-analytics.md lists them."""

from __future__ import annotations

import re

from auditor.report import ndjson

from .conftest import ROOT


def test_the_documented_table_create_command_has_every_column_in_order() -> None:
    """The az command that creates the table was cut off with '…' and ended at Summary, a
    column before the last (AlsoFlaggedBy): copied, it made a table missing columns."""
    doc = (ROOT / "docs" / "log-analytics.md").read_text(encoding="utf-8")
    (command,) = re.findall(
        r"^az monitor log-analytics workspace table create .*?(?<!\\)\n", doc, re.S | re.M
    )
    assert "…" not in command
    columns = re.findall(r"(\w+)=(\w+)", command.split("--columns", 1)[1])
    assert columns == list(ndjson.COLUMNS.items())
