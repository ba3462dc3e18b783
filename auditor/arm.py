"""ARM resource ids: the one place that normalises them.

Azure returns the same id in different letter case from different services
(``resourceGroups`` vs ``resourcegroups``, ``Microsoft.Insights`` vs ``microsoft.insights``).
Every comparison goes through :func:`key`; every printed id is the one the input carried.
"""

from __future__ import annotations


def key(resource_id: str) -> str:
    """The comparison key of an ARM id: lower case, no trailing slash."""
    return resource_id.strip().rstrip("/").lower()


def parent(resource_id: str, levels: int = 1) -> str:
    """The id ``levels`` child segments up: ``.../zones/z/A/rec`` → ``.../zones/z`` for levels=1.

    A child segment is a ``type/name`` pair, so each level drops two path segments.
    """
    if levels == 1:  # the common case (the graph asks ~50k times), without a list
        return resource_id.rstrip("/").rpartition("/")[0].rpartition("/")[0]
    parts = resource_id.rstrip("/").split("/")
    return "/".join(parts[: len(parts) - 2 * levels])


def segment(resource_id: str, name: str) -> str | None:
    """The value after a named segment (case-insensitive), e.g. ``resourceGroups``."""
    parts = resource_id.split("/")
    wanted = name.lower()
    for i, part in enumerate(parts[:-1]):
        if part.lower() == wanted:
            return parts[i + 1]
    return None


def last_name(resource_id: str) -> str:
    """The last segment of an id: the resource's own name."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def arm_type(resource_id: str) -> str:
    """The resource type an id spells, in lower case
    (``microsoft.network/virtualnetworks/subnets``)."""
    parts = resource_id.strip("/").split("/")
    try:
        idx = max(i for i, p in enumerate(parts) if p.lower() == "providers")
    except ValueError:
        return ""
    rest = parts[idx + 1 :]
    if not rest:
        return ""
    names = [rest[0]] + [rest[i] for i in range(1, len(rest), 2)]
    return "/".join(names).lower()
