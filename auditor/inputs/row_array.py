"""Input format: a plain JSON array of Resource Graph rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..estate import Reading
from .options import NO_OPTIONS, InputOptions


class RowArray:
    """``[{"id": …, "type": …}, …]``: rows and nothing else, so nothing to declare."""

    name = "array"
    expected = "an array of Resource Graph rows"
    directory = False
    marker: str | None = None

    def detect(self, doc: object) -> bool:
        return isinstance(doc, list)

    def read(self, path: Path, doc: Any, options: InputOptions = NO_OPTIONS) -> Reading:
        return Reading(doc)


FORMAT = RowArray()
