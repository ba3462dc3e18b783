"""The Resource Graph queries the collector runs: data, not code.

Each query names the table, keeps only the types the model reads, projects the columns it
needs and sorts by ``id`` — a unique string column, so Resource Graph returns a
``$skipToken`` for every page. None may contain ``take``/``limit``/``sample`` (a query with
them gets no token and is silently truncated); ``check_pageable`` enforces that.
"""

from __future__ import annotations

import re

from .model import KIND_OF_TYPE

# Types Resource Graph does not hold (read from ARM) or that come embedded in other rows.
ARM_ONLY = frozenset(
    {
        "microsoft.machinelearningservices/workspaces/computes",
        "microsoft.network/privateendpoints/privatednszonegroups",
    }
)
EMBEDDED = frozenset({"microsoft.network/virtualnetworks/subnets"})
DNS_RECORD_TYPES = ("microsoft.network/privatednszones/a",)

RESOURCE_TYPES = tuple(
    sorted(
        t
        for t in KIND_OF_TYPE
        if t not in ARM_ONLY and t not in EMBEDDED and t not in DNS_RECORD_TYPES
    )
)
COLUMNS = (
    "id, name, type, kind, location, resourceGroup, subscriptionId, tenantId, "
    "sku, identity, tags, properties"
)


def _in(types: tuple[str, ...]) -> str:
    return ", ".join(f"'{t}'" for t in types)


RESOURCES = (
    f"resources | where type in~ ({_in(RESOURCE_TYPES)}) | project {COLUMNS} | order by id asc"
)
DNS_RECORDS = (
    f"dnsresources | where type in~ ({_in(DNS_RECORD_TYPES)}) "
    "| project id, name, type, resourceGroup, subscriptionId, properties | order by id asc"
)
SUBSCRIPTIONS = (
    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' "
    "| project id, name, subscriptionId | order by id asc"
)

# ARM reads for what Resource Graph lacks (api-versions with the fields the rules read).
COMPUTES_PATH = "{workspace}/computes?api-version=2025-06-01"
ZONE_GROUPS_PATH = "{endpoint}/privateDnsZoneGroups?api-version=2024-05-01"

_UNPAGEABLE = re.compile(r"\|\s*(take|limit|sample)\b", re.IGNORECASE)


def check_pageable(query: str) -> str:
    """Refuse a query Resource Graph would truncate without a page token."""
    if _UNPAGEABLE.search(query) or not re.search(r"\border by id\b", query):
        raise ValueError(f"query would be truncated silently: {query[:80]}")
    return query


for _q in (RESOURCES, DNS_RECORDS, SUBSCRIPTIONS):
    check_pageable(_q)
