"""azurerm resources → the ARM-shaped rows the Resource Graph path builds.

Each module here registers, with :func:`maps`, one function per Terraform resource type.
Mapping runs in phases so a child resource can fold into its parent as ARM holds it: phase
1 makes the rows of resources ARM lists on their own (VNets, NSGs, workspaces, …); phase 2
folds separate resources into those rows (a subnet's NSG association, an NSG rule, storage
network rules, a peering, a zone group). A resource type no mapper knows is counted, never
dropped silently (``MapResult.unmapped``).

Every row a mapper adds records where it came from (:class:`~auditor.estate.Origin`): the
Terraform address, file and line, and which ARM property path came from which attribute's
line, so a finding lands on the line that decides it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .... import arm
from ....estate import Origin
from ....unknown import UnknownValue
from ..resources import ProviderVersion, TfConfig, TfResource
from . import defaults as _defaults
from .coerce import converted
from .ids import resource_group_id, subscription_of, synthesize_id

Row = dict[str, Any]
MapperFn = Callable[[TfResource, "MapContext"], None]


@dataclass(frozen=True)
class Mapper:
    tf_type: str
    phase: int
    fn: MapperFn


MAPPERS: dict[str, Mapper] = {}
# Run once every phase is done, in registration order: what Azure fills in on one resource
# from others (a public IP's ipConfiguration, an NSG's subnets, a peering's state).
FINISHERS: list[Callable[[MapContext], None]] = []
# Mappers of what the configuration holds besides resources (its variables): each
# ``(config, ctx)``, run after the resource phases.
ConfigMapperFn = Callable[[TfConfig, "MapContext"], None]
CONFIG_MAPPERS: list[ConfigMapperFn] = []


def maps_config(fn: ConfigMapperFn) -> ConfigMapperFn:
    """Register ``fn`` as a mapper of configuration-level facts (rows of no resource)."""
    CONFIG_MAPPERS.append(fn)
    return fn


def maps(*tf_types: str, phase: int = 1) -> Callable[[MapperFn], MapperFn]:
    """Register ``fn`` as the mapper of ``tf_types`` (phase 1: own rows; 2: folds)."""

    def register(fn: MapperFn) -> MapperFn:
        for t in tf_types:
            if t in MAPPERS:
                raise ValueError(f"{t} is mapped twice")
            MAPPERS[t] = Mapper(t, phase, fn)
        return fn

    return register


def finishes(fn: Callable[[MapContext], None]) -> Callable[[MapContext], None]:
    """Register ``fn`` to run after the last phase (see ``FINISHERS``)."""
    FINISHERS.append(fn)
    return fn


@dataclass
class MapResult:
    rows: list[Row]
    origins: dict[str, Origin]  # by row id, as the rows spell it
    unmapped: Counter[str] = field(default_factory=Counter)  # tf type -> instances
    gaps: list[str] = field(default_factory=list)  # what could not be mapped, and why


class MapContext:
    """What a mapper works with: the provider version's defaults, the rows made so far
    (by ARM id, case-insensitively) and where each came from."""

    def __init__(self, config: TfConfig) -> None:
        self.provider: ProviderVersion = config.provider
        self._rows: dict[str, Row] = {}
        self._order: list[str] = []
        self.origins: dict[str, Origin] = {}
        self.gaps: list[str] = []
        self._embedded: dict[str, str] = {}  # key -> id of entries other rows embed

    # -- values ---------------------------------------------------------------------
    def value(self, r: TfResource, path: str) -> Any:
        """The attribute as configured, else the provider's default for the version the
        configuration admits (an :class:`UnknownValue` when the admitted versions
        disagree); None when neither says."""
        got = r.get(path, _ABSENT)
        if got is not _ABSENT and got is not None:
            return got
        return _defaults.default(r.type, path, self.provider)

    def id_of(self, r: TfResource) -> str:
        return synthesize_id(r)

    def resource_group_id(self, r: TfResource) -> str:
        return resource_group_id(r)

    def subscription(self, r: TfResource) -> str:
        return subscription_of(r)

    # -- rows -----------------------------------------------------------------------
    def add_row(self, r: TfResource, row: Row, lines: dict[str, str] | None = None) -> Row:
        """Add ``row`` (it must carry ``id`` and ``type``) as made from ``r``; ``lines``
        maps ARM property paths (``properties.publicNetworkAccess``) to the attribute
        paths of ``r`` they came from, so findings on them point at that line."""
        key = arm.key(row["id"])
        if key in self._rows:
            self.gaps.append(f"{r.address}: a second resource maps to the same id {row['id']}")
            return self._rows[key]
        self._rows[key] = row
        self._order.append(key)
        self.origins[row["id"]] = Origin(
            address=r.address,
            file=r.file,
            line=r.line,
            lines={
                arm_path: line
                for arm_path, tf_path in (lines or {}).items()
                if (line := r.lines.get(tf_path)) is not None
            },
        )
        return row

    def row(self, arm_id: Any) -> Row | None:
        """The row made for ``arm_id`` (any casing), if any."""
        if not isinstance(arm_id, str):
            return None
        return self._rows.get(arm.key(arm_id))

    def add_embedded(
        self,
        r: TfResource,
        embedded_id: str,
        lines: dict[str, str] | None = None,
        block: str | None = None,
    ) -> None:
        """Record that ``r`` made an entry another row embeds but the graph reads as a node
        of its own (a subnet in its VNet's row): findings on it name ``r``, at the line of
        ``block`` (an inline block's path, ``subnet.0``) when given. ``lines`` maps paths of
        the entry (``properties.networkSecurityGroup``) to attributes of ``r``."""
        self._embedded[arm.key(embedded_id)] = embedded_id
        self.origins[embedded_id] = Origin(
            address=r.address,
            file=r.file,
            line=r.lines.get(block, r.line) if block else r.line,
            lines={
                arm_path: line
                for arm_path, tf_path in (lines or {}).items()
                if (line := r.lines.get(tf_path)) is not None
            },
        )

    def note_lines(self, arm_id: str, r: TfResource, lines: dict[str, str]) -> None:
        """Record that ``r`` (a folded child) set these ARM paths of ``arm_id``'s row (or
        of an embedded entry recorded with :meth:`add_embedded`)."""
        row = self.row(arm_id)
        rid = row["id"] if row is not None else self._embedded.get(arm.key(str(arm_id)))
        if rid is None:
            return
        origin = self.origins.get(rid)
        if origin is None:
            return
        for arm_path, tf_path in lines.items():
            line = r.lines.get(tf_path, r.line)
            if line is not None:
                origin.lines[arm_path] = line
                origin.files[arm_path] = r.file

    def rows(self) -> list[Row]:
        return [self._rows[k] for k in self._order]


_ABSENT = object()


def to_rows(config: TfConfig) -> MapResult:
    """Map every resource of ``config``; data sources are read for references only."""
    _load_mappers()
    ctx = MapContext(config)
    unmapped: Counter[str] = Counter()
    # Terraform converts arguments to the schema's types ("false" → false) before the
    # provider sees them; the mappers read them converted (coerce.py)
    managed = [converted(r) for r in config.resources if r.mode == "managed"]
    for phase in (1, 2, 3):
        for r in managed:
            mapper = MAPPERS.get(r.type)
            if mapper is None:
                if phase == 1:
                    unmapped[r.type] += 1
                continue
            if mapper.phase == phase:
                mapper.fn(r, ctx)
    for config_mapper in CONFIG_MAPPERS:
        config_mapper(config, ctx)
    for finish in FINISHERS:
        finish(ctx)
    return MapResult(ctx.rows(), ctx.origins, unmapped, ctx.gaps)


def _load_mappers() -> None:
    """Import the modules that register mappers (once)."""
    from . import compute, dns, network, paas  # noqa: F401


__all__ = [
    "MAPPERS",
    "MapContext",
    "MapResult",
    "Row",
    "UnknownValue",
    "finishes",
    "maps",
    "maps_config",
    "to_rows",
]
