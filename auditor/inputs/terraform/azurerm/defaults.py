"""The azurerm provider's defaults, as data, by the major versions they hold for.

An attribute left out of a configuration takes the provider's default, and some defaults
changed between majors (storage ``allow_nested_items_to_be_public`` is true in 3.x; 2.x
``allow_blob_public_access`` was false). ``defaults.yaml`` lists them; when the versions
the configuration admits disagree, the value is unknown, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ....unknown import UnknownValue
from ..resources import ProviderVersion

KNOWN_MAJORS = (2, 3, 4, 5)  # what a configuration that declares no version may use
# the majors defaults.yaml was checked against: a configuration that admits another one
# (a lock file of 6.x, ">= 6.0") has defaults this tool does not know
RESEARCHED_MAJORS = (2, 3, 4, 5)


def admitted_majors(admits_major: Callable[[int], bool]) -> tuple[int, ...]:
    """The majors whose defaults are known that a constraint admits; when it admits none
    of them, the first other major it admits (``>= 6.0``: 6, whose defaults are then
    unknown rather than those of majors it excludes); () when it admits no version."""
    majors = tuple(m for m in RESEARCHED_MAJORS if admits_major(m))
    if majors:
        return majors
    return next(((m,) for m in range(1, 100) if admits_major(m)), ())


def unresearched(tf_type: str, path: str, provider: ProviderVersion) -> UnknownValue | None:
    """Unknown when the configuration admits a major whose defaults were never checked."""
    beyond = [m for m in provider.majors if m not in RESEARCHED_MAJORS]
    if not beyond:
        return None
    return UnknownValue(
        f"{tf_type}.{path} is not set and the azurerm version the configuration admits"
        f" ({provider.source}) has defaults this tool does not know (it knows 2.x to 5.x)"
    )


@cache
def table() -> dict[str, dict[str, dict[int, Any]]]:
    """tf type -> attribute path -> major -> default (absent: the attribute does not
    exist in that major, or has no default; an :class:`UnknownValue` where the default
    changed inside the major, an entry with ``unknown: why``)."""
    text = resources.files(__package__).joinpath("defaults.yaml").read_text("utf-8")
    doc = yaml.safe_load(text) or {}
    out: dict[str, dict[str, dict[int, Any]]] = {}
    for tf_type, attrs in doc.items():
        for attr, entries in (attrs or {}).items():
            by_major: dict[int, Any] = {}
            for entry in entries:
                value = (
                    UnknownValue(f"{tf_type}.{attr} is not set and {entry['unknown']}")
                    if "unknown" in entry
                    else entry.get("default")
                )
                for major in entry["majors"]:
                    by_major[int(major)] = value
            out.setdefault(tf_type, {})[attr] = by_major
    return out


def default_at(tf_type: str, path: str, major: int) -> Any:
    """The default of ``path`` in one major (None: none, or the attribute is not there)."""
    return table().get(tf_type, {}).get(path, {}).get(major)


def default(tf_type: str, path: str, provider: ProviderVersion) -> Any:
    """The default of ``path`` for the admitted majors; None when the table has none."""
    by_major = table().get(tf_type, {}).get(path)
    if not by_major:
        return None
    unknown = unresearched(tf_type, path, provider)
    if unknown is not None:
        return unknown
    majors = provider.majors or KNOWN_MAJORS
    seen = {repr(by_major.get(m)) for m in majors}
    if len(seen) == 1:
        return by_major.get(majors[0])
    spelled = ", ".join(f"{m}.x: {by_major.get(m)!r}" for m in majors)
    return UnknownValue(
        f"{tf_type}.{path} is not set and its default differs between the azurerm"
        f" versions the configuration admits ({provider.source}; {spelled})"
    )
