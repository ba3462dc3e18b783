"""Input format: the tool's own snapshot, as ``mlops-audit collect`` writes it.

Beyond its rows, a snapshot says which collections were made, which Azure cloud it came
from, what failed (each failure a coverage gap) and what choices narrowed the evidence
(notes); its other fields are carried into the report. See ``docs/formats.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..clouds import CLOUDS
from ..collections import NAMES
from ..estate import Reading
from ..files import InputError, describe
from .options import NO_OPTIONS, InputOptions

SNAPSHOT_FORMAT = "mlops-audit-snapshot"
SNAPSHOT_VERSION = 1


class Snapshot:
    """``{"format": "mlops-audit-snapshot", "version": 1, …, "rows": [...]}``."""

    name = "snapshot"
    expected = "a mlops-audit snapshot"
    directory = False
    marker: str | None = "format"

    def detect(self, doc: object) -> bool:
        # any 'format' claims the object, so an unknown one is named in the error
        return isinstance(doc, dict) and "format" in doc

    def read(self, path: Path, doc: Any, options: InputOptions = NO_OPTIONS) -> Reading:
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
            raise InputError(path, f"snapshot 'rows' is {describe(rows)}, expected an array")
        collections = doc.get("collections", [])
        if not isinstance(collections, list) or not all(c in NAMES for c in collections):
            raise InputError(path, f"snapshot 'collections' must list some of {', '.join(NAMES)}")
        cloud = doc.get("cloud")
        if cloud is not None and cloud not in tuple(CLOUDS):
            raise InputError(path, f"snapshot 'cloud' must be one of {', '.join(CLOUDS)}")
        failures = doc.get("failures", [])
        if not isinstance(failures, list):  # ignoring it would pass a partial collection
            raise InputError(
                path, f"snapshot 'failures' is {describe(failures)}, expected an array"
            )
        notes = doc.get("notes")
        return Reading(
            rows,
            row_label="snapshot row",
            gaps=[
                f"the snapshot records a failed collection: {json.dumps(f, sort_keys=True)}"
                for f in failures
            ],
            collections=doc.get("collections"),
            metadata={k: v for k, v in doc.items() if k not in ("format", "version", "rows")},
            cloud=cloud,
            notes=[str(n) for n in notes] if isinstance(notes, list) else [],
        )


FORMAT = Snapshot()
