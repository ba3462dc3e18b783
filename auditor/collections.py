"""Collections, declared once: the kinds of data an estate can hold.

A rule that needs a collection the estate lacks is reported as not evaluated instead of
passing. Each declaration says how the live path collects it (a Resource Graph query, or an
ARM child list read per parent resource), which row types belong to it (so a raw file holds
it when any of them appears), when its absence matters, and the sentence that explains the
absence. The collector, the snapshot reader, the estate and the rules all ask these
declarations; a new collection is one more declaration (and its query text in
``queries.py``).

An absence can also be the reader's doing: :data:`PROPERTY_SINCE` says from which
api-version on a property a rule reads exists, so a row read at an older one (its
``apiVersion``) leaves that property unknown rather than absent.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from . import queries
from .model import ASSESSMENT_TYPE, POLICY_STATE_TYPE

if TYPE_CHECKING:
    from .graph import AuditGraph

RESOURCES = "resources"
DNS_RECORDS = "dnsresources"
COMPUTES = "computes"
ZONE_GROUPS = "privatednszonegroups"
GATEWAYS = "gateways"
AMPLS_SCOPES = "amplsscopedresources"
INBOUND_ENDPOINTS = "dnsinboundendpoints"
FORWARDING_RULES = "dnsforwardingrules"
RULESET_LINKS = "dnsrulesetlinks"
VM_EXTENSIONS = "vmextensions"
POLICY_STATES = "policystates"
ASSESSMENTS = "assessments"

WORKSPACE = "microsoft.machinelearningservices/workspaces"
PRIVATE_ENDPOINT = "microsoft.network/privateendpoints"
PRIVATE_DNS_ZONE = "microsoft.network/privatednszones"
AMPLS = "microsoft.insights/privatelinkscopes"
DNS_RESOLVER = "microsoft.network/dnsresolvers"
RULESET = "microsoft.network/dnsforwardingrulesets"
VM = "microsoft.compute/virtualmachines"
_FROM_ARM = "Resource Graph does not hold them; they are read from ARM by 'mlops-audit collect'"


@dataclass(frozen=True)
class GraphQuery:
    """Collected by one Resource Graph query per scope (paged; see ``queries.py``)."""

    text: str
    # the same query split by type: read part by part when Resource Graph refuses the whole
    # as too large, so a batch is never dropped for its size
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArmList:
    """Collected by listing an ARM child collection under each resource of a parent type."""

    path: str  # a template whose one placeholder is the parent's id, e.g. "{workspace}/…"
    parent_type: str
    # older api-versions to try, newest first, when a cloud refuses the path's own
    fallback_api_versions: tuple[str, ...] = ()

    @property
    def api_versions(self) -> tuple[str, ...]:
        """Every api-version the list may be read at, newest (the path's own) first."""
        own = re.search(r"api-version=([^&]+)", self.path)
        return (own[1] if own else "", *self.fallback_api_versions)

    def path_for(self, parent_id: str, api_version: str | None = None) -> str:
        """The list's path under one parent (at another of its api-versions if given)."""
        path = self.path.format_map(defaultdict(lambda: parent_id))
        if api_version is None:
            return path
        return re.sub(r"api-version=[^&]+", f"api-version={api_version}", path)


@dataclass(frozen=True)
class Declaration:
    """One collection: its name, how it is collected, its rows and its absence."""

    name: str
    source: GraphQuery | ArmList
    row_types: frozenset[str] | None  # lower case; None: every type no other one claims
    matters_with: str | None  # its absence matters only when the estate has this type
    absence: str  # why a rule that needs it was not evaluated
    skipped_note: str | None = None  # --skip-endpoint-reads skips it, noting this ({n} reads)
    # Azure's own verdicts, for the cross-reference only: no rule reads them, so their
    # absence is the cross-reference's "not available", never a coverage gap, and a failed
    # query is a note of the snapshot, not a failure
    advisory: bool = False


DECLARATIONS: tuple[Declaration, ...] = (
    Declaration(
        RESOURCES,
        GraphQuery(queries.RESOURCES, parts=queries.RESOURCES_BY_TYPE),
        row_types=None,
        matters_with=None,
        absence="the estate has no Resource Graph resources rows",
    ),
    Declaration(
        DNS_RECORDS,
        GraphQuery(queries.DNS_RECORDS),
        row_types=frozenset(
            f"{PRIVATE_DNS_ZONE}/{record}"
            for record in ("a", "aaaa", "cname", "mx", "ptr", "soa", "srv", "txt")
        ),
        matters_with=PRIVATE_DNS_ZONE,
        absence="the estate has no private DNS record rows (Resource Graph dnsresources)",
    ),
    Declaration(
        COMPUTES,
        ArmList(
            queries.COMPUTES_PATH,
            parent_type=WORKSPACE,
            fallback_api_versions=queries.COMPUTE_FALLBACK_API_VERSIONS,
        ),
        row_types=frozenset({f"{WORKSPACE}/computes"}),
        matters_with=WORKSPACE,
        absence=f"the estate has no Azure ML compute rows ({_FROM_ARM})",
    ),
    Declaration(
        ZONE_GROUPS,
        ArmList(queries.ZONE_GROUPS_PATH, parent_type=PRIVATE_ENDPOINT),
        row_types=frozenset({f"{PRIVATE_ENDPOINT}/privatednszonegroups"}),
        matters_with=PRIVATE_ENDPOINT,
        absence=f"the estate has no private DNS zone group rows ({_FROM_ARM})",
        skipped_note="per-endpoint DNS zone group reads skipped ({n} endpoints): the DNS "
        "checks use A records in the private zones as evidence",
    ),
    Declaration(
        GATEWAYS,
        GraphQuery(queries.GATEWAYS),
        row_types=frozenset(queries.GATEWAY_TYPES),
        matters_with="microsoft.network/virtualnetworks",
        absence="the estate has no virtual network gateway or Route Server rows (Resource "
        "Graph resources of types " + ", ".join(queries.GATEWAY_TYPES) + ")",
    ),
    Declaration(
        AMPLS_SCOPES,
        ArmList(
            queries.AMPLS_SCOPES_PATH,
            parent_type=AMPLS,
            fallback_api_versions=queries.AMPLS_SCOPES_FALLBACK_API_VERSIONS,
        ),
        row_types=frozenset({f"{AMPLS}/scopedresources"}),
        matters_with=AMPLS,
        absence=f"the estate has no Azure Monitor Private Link Scope scoped resource rows "
        f"({_FROM_ARM})",
    ),
    # DNS Private Resolver children: read per parent from ARM (their Resource Graph coverage
    # is not documented), like zone groups
    Declaration(
        INBOUND_ENDPOINTS,
        ArmList(queries.INBOUND_ENDPOINTS_PATH, parent_type=DNS_RESOLVER),
        row_types=frozenset({f"{DNS_RESOLVER}/inboundendpoints"}),
        matters_with=DNS_RESOLVER,
        absence=f"the estate has no DNS resolver inbound endpoint rows ({_FROM_ARM})",
    ),
    Declaration(
        FORWARDING_RULES,
        ArmList(queries.FORWARDING_RULES_PATH, parent_type=RULESET),
        row_types=frozenset({f"{RULESET}/forwardingrules"}),
        matters_with=RULESET,
        absence=f"the estate has no DNS forwarding rule rows ({_FROM_ARM})",
    ),
    Declaration(
        RULESET_LINKS,
        ArmList(queries.RULESET_LINKS_PATH, parent_type=RULESET),
        row_types=frozenset({f"{RULESET}/virtualnetworklinks"}),
        matters_with=RULESET,
        absence=f"the estate has no DNS forwarding ruleset link rows ({_FROM_ARM})",
    ),
    # Resource Graph resources of their own type, like gateways. Their public settings are
    # what MLA-VM-002 judges, and a snapshot keeps them (anyone with Reader on the VM can read
    # them anyway; protected settings are never returned). No collection for Terraform
    # variables: an estate without Terraform has none to judge, so their absence leaves
    # nothing unjudged; the live queries leave their type out (queries.SOURCE_ONLY).
    Declaration(
        VM_EXTENSIONS,
        GraphQuery(queries.VM_EXTENSIONS),
        row_types=frozenset(queries.VM_EXTENSION_TYPES),
        matters_with=VM,
        absence="the estate has no VM extension rows (Resource Graph resources of type "
        + ", ".join(queries.VM_EXTENSION_TYPES)
        + ")",
    ),
    # Azure Policy and Defender for Cloud: what Azure itself flags on the audited resources
    # (crossref.py). Collected in the same Resource Graph pass, read from a snapshot, never
    # judged by a rule.
    Declaration(
        POLICY_STATES,
        GraphQuery(queries.POLICY_STATES),
        row_types=frozenset({POLICY_STATE_TYPE}),
        matters_with=None,
        absence="the estate has no Azure Policy states (Resource Graph policyresources)",
        advisory=True,
    ),
    Declaration(
        ASSESSMENTS,
        GraphQuery(queries.ASSESSMENTS),
        row_types=frozenset({ASSESSMENT_TYPE}),
        matters_with=None,
        absence="the estate has no Defender for Cloud assessments (Resource Graph "
        "securityresources)",
        advisory=True,
    ),
)
# Row types kept apart from the estate's resources (Estate.flags): Azure's verdicts on them.
ADVISORY_TYPES = frozenset(t for c in DECLARATIONS if c.advisory for t in c.row_types or ())
# ... and the collections that hold them
ADVISORY: frozenset[str] = frozenset(c.name for c in DECLARATIONS if c.advisory)
# The Resource Graph queries a live scan sends to each scope, in the order it sends them: the
# subscriptions it can see (the coverage check), then each collection's query. What
# ``mlops-audit queries`` prints, so an offline export reads what a live scan would.
COVERAGE = "subscriptions"
SENT_QUERIES: tuple[tuple[str, str], ...] = (
    (COVERAGE, queries.SUBSCRIPTIONS),
    *((c.name, c.source.text) for c in DECLARATIONS if isinstance(c.source, GraphQuery)),
)
BY_NAME: dict[str, Declaration] = {c.name: c for c in DECLARATIONS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
# what a rule may need: not Azure's own verdicts, which never decide a rule
NEEDABLE: tuple[str, ...] = tuple(c.name for c in DECLARATIONS if not c.advisory)
_BY_TYPE = {t: c.name for c in DECLARATIONS for t in c.row_types or ()}
(_OTHERS,) = (c.name for c in DECLARATIONS if c.row_types is None)

if TYPE_CHECKING:
    Collection = str
else:  # what a rule file's ``needs`` may name; pydantic checks it against the declarations
    Collection = Literal[NEEDABLE]


def holding(row_type: str) -> str:
    """The collection a row of this (lower-case) type belongs to."""
    return _BY_TYPE.get(row_type, _OTHERS)


def missing_collection(
    graph: AuditGraph, needed: Iterable[str]
) -> tuple[str | None, list[tuple[str, str]]]:
    """What a rule that needs these collections cannot judge: (why the whole rule cannot
    run, or None; [(resource key, why)] for resources whose own input lacks one).

    Collections are per source: when some of the resources a collection describes (the
    workspaces, for computes) came from inputs that hold it and some did not, the rule runs
    and those others are not evaluated, each with the input that lacked it."""
    estate = graph.estate
    lacking: dict[str, str] = {}
    for name in needed:
        declared = BY_NAME[name]
        if declared.matters_with is None:
            if name not in estate.collections():
                return declared.absence, []
            continue
        parents = graph.nodes_of_type(declared.matters_with)
        short = [p for p in parents if not estate.holds(p, name)]
        if short and len(short) == len(parents):
            return declared.absence, []
        for p in short:
            lacking.setdefault(
                p, f"{graph.name(p)} comes from an input without {name} rows: {declared.absence}"
            )
    return None, sorted(lacking.items())


# -- properties newer than the api-version a row was read at ------------------------------
@dataclass(frozen=True)
class PropertySince:
    """A property a rule reads and the first stable api-version from which on every stable
    version of the type carries it (REST specs, via Azure/bicep-types-az)."""

    row_type: str  # lower case
    path: tuple[str, ...]  # below the row, e.g. ("properties", "publicNetworkAccess")
    api_version: str


# Resource Graph reads each type at an api-version of its choosing ("the latest non-preview
# version, in some cases overridden"; the row's apiVersion column). A property absent from a
# row read before the property existed says nothing about the resource: the check is unknown.
PROPERTY_SINCE: tuple[PropertySince, ...] = (
    PropertySince(WORKSPACE, ("properties", "publicNetworkAccess"), "2021-07-01"),
    PropertySince(WORKSPACE, ("properties", "managedNetwork"), "2023-10-01"),
)
_SINCE = {(p.row_type, tuple(s.lower() for s in p.path)): p for p in PROPERTY_SINCE}
_API_VERSION = re.compile(r"(\d{4}-\d{2}-\d{2})(-[A-Za-z0-9.]+)?")


def _version_key(version: str) -> tuple[str, int] | None:
    """Orders api-versions: by date, a preview before the stable version of its date."""
    m = _API_VERSION.fullmatch(version.strip())
    return (m[1], 0 if m[2] else 1) if m else None


def predates(row: Mapping[str, Any], steps: tuple[str | int, ...]) -> str | None:
    """Why ``steps`` (a path below ``row``) cannot be read on this row: it was read at an
    api-version older than the property — or at one that cannot be told — or None."""
    version = row.get("apiVersion")
    if not isinstance(version, str) or not isinstance(row.get("type"), str):
        return None  # rows that do not say (files, ARM reads): read as they are
    names = tuple(str(s).lower() for s in steps)
    for length in range(len(names), 0, -1):
        since = _SINCE.get((row["type"].lower(), names[:length]))
        if since is None:
            continue
        have, need = _version_key(version), _version_key(since.api_version)
        if have is None or (need is not None and have < need):
            return (
                f"the row was read at api-version {version}, and "
                f"{'.'.join(since.path)} exists from {since.api_version} on"
            )
    return None
