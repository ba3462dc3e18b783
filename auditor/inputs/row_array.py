"""Input format: a plain JSON array of Resource Graph rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..estate import Reading


class RowArray:
    """``[{"id": …, "type": …}, …]``: rows and nothing else, so nothing to declare."""

    name = "array"
    expected = "an array of Resource Graph rows"
    marker: str | None = None

    def detect(self, doc: object) -> bool:
        return isinstance(doc, list)

    def read(self, path: Path, doc: Any) -> Reading:
        return Reading(doc)


FORMAT = RowArray()
