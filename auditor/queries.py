"""The Resource Graph queries the collector runs: data, not code.

Each query names the table, keeps only the types the model reads, projects the columns it
needs and sorts by ``id`` — a unique string column, so Resource Graph returns a
``$skipToken`` for every page. None may contain ``take``/``limit``/``sample`` (a query with
them gets no token and is silently truncated); ``check_pageable`` enforces that. The
``resources`` query projects ``apiVersion``: Resource Graph reads each type at an api-version
of its choosing, and a property newer than that version is absent for no fault of the
resource (``collections.PROPERTY_SINCE``).
"""

from __future__ import annotations

import re

from .model import ASSESSMENT_TYPE, KIND_OF_TYPE, POLICY_STATE_TYPE

# Types read from ARM, one list read per parent. Resource Graph's table reference
# (MicrosoftDocs azure-docs, articles/governance/resource-graph/reference/
# supported-tables-resources.md) lists none of them but dnsresolvers/inboundendpoints: not
# workspaces/computes, privateendpoints/privatednszonegroups (a child resource, not in the
# endpoint's row: with --skip-endpoint-reads the DNS checks use dnsresources' A records),
# privatelinkscopes/scopedresources, or the forwarding rulesets' rules and virtual network
# links. Inbound endpoints could come from the resources table instead (one read per DNS
# resolver, a handful an estate); they stay on ARM until a live tenant shows the table's rows
# carry ipConfigurations as the ARM read does.
ARM_ONLY = frozenset(
    {
        "microsoft.machinelearningservices/workspaces/computes",
        "microsoft.network/privateendpoints/privatednszonegroups",
        "microsoft.insights/privatelinkscopes/scopedresources",
        "microsoft.network/dnsresolvers/inboundendpoints",
        "microsoft.network/dnsforwardingrulesets/forwardingrules",
        "microsoft.network/dnsforwardingrulesets/virtualnetworklinks",
    }
)
# Types a live scan does not collect: rows only a Terraform input makes (Terraform variables;
# an estate without Terraform has none to judge, so no collection declares them).
SOURCE_ONLY = frozenset({"terraform/variables"})
# Types that come embedded in other rows (a VNet's row holds its subnets and peerings).
EMBEDDED = frozenset(
    {
        "microsoft.network/virtualnetworks/subnets",
        "microsoft.network/virtualnetworks/virtualnetworkpeerings",
    }
)
DNS_RECORD_TYPES = ("microsoft.network/privatednszones/a",)
# Gateways and Route Servers: a collection of their own, so that an estate read before they
# were collected says "not collected" rather than "none" (collections.GATEWAYS).
GATEWAY_TYPES = ("microsoft.network/virtualhubs", "microsoft.network/virtualnetworkgateways")
# VM extensions: the same, so that an estate read before they were collected says "not
# collected" for MLA-VM-002 (collections.VM_EXTENSIONS). Resource Graph's resources table holds
# them with their public settings (properties.settings); protected settings are never returned.
VM_EXTENSION_TYPES = ("microsoft.compute/virtualmachines/extensions",)

RESOURCE_TYPES = tuple(
    sorted(
        t
        for t in KIND_OF_TYPE
        if t not in ARM_ONLY
        and t not in SOURCE_ONLY
        and t not in EMBEDDED
        and t not in DNS_RECORD_TYPES
        and t not in GATEWAY_TYPES
        and t not in VM_EXTENSION_TYPES
    )
)
COLUMNS = (
    "id, name, type, kind, location, resourceGroup, subscriptionId, tenantId, "
    "sku, identity, tags, properties, apiVersion"
)


def _in(types: tuple[str, ...]) -> str:
    return ", ".join(f"'{t}'" for t in types)


def resources_query(types: tuple[str, ...]) -> str:
    """The ``resources`` query for these types."""
    return f"resources | where type in~ ({_in(types)}) | project {COLUMNS} | order by id asc"


RESOURCES = resources_query(RESOURCE_TYPES)
# The same query one type at a time: what a batch falls back to when Resource Graph refuses
# its pages as too large (16 MiB) even one row at a time.
RESOURCES_BY_TYPE = tuple(resources_query((t,)) for t in RESOURCE_TYPES)
DNS_RECORDS = (
    f"dnsresources | where type in~ ({_in(DNS_RECORD_TYPES)}) "
    "| project id, name, type, resourceGroup, subscriptionId, properties | order by id asc"
)
GATEWAYS = resources_query(GATEWAY_TYPES)
VM_EXTENSIONS = resources_query(VM_EXTENSION_TYPES)
# Azure's own verdicts on the audited resources, for the cross-reference (``crossref.py``):
# Azure Policy's non-compliant states and Defender for Cloud's unhealthy assessments. Each
# projects only what the report names, as columns (``model.AZURE_FLAG_FIELDS``). Policy
# states are kept to the types the model reads (their resourceType column); assessments
# carry no type column, so the cross-reference keeps those whose resource is audited.
# A filter compares tostring() of the property (a dynamic value) as a string.
# Defender's resourceDetails is projected whole: its id key is ``Id`` in Resource Graph's
# samples and ``id`` in the REST API, and KQL paths are case-sensitive, so the key is
# found in Python, case-insensitively.
# the types the model reads, embedded ones included: Azure Policy evaluates subnets and
# Azure ML computes too (built-ins the rules name: e71308d3 for subnets, 7804b5c7 for
# computes); the other ARM-only children (zone groups, AMPLS members, resolver children)
# are left out until a rule names a built-in that evaluates them
POLICY_TYPES_FROM_ARM = ("microsoft.machinelearningservices/workspaces/computes",)
AUDITED_TYPES = tuple(
    sorted(
        t
        for t in KIND_OF_TYPE
        if t not in SOURCE_ONLY and (t not in ARM_ONLY or t in POLICY_TYPES_FROM_ARM)
    )
)
POLICY_STATES = (
    f"policyresources | where type =~ '{POLICY_STATE_TYPE}' "
    "| where tostring(properties.complianceState) =~ 'NonCompliant' "
    f"| where tostring(properties.resourceType) in~ ({_in(AUDITED_TYPES)}) "
    "| project id, type, subscriptionId, resourceId = properties.resourceId, "
    "complianceState = properties.complianceState, "
    "policyAssignmentId = properties.policyAssignmentId, "
    "policyAssignmentName = properties.policyAssignmentName, "
    "policyDefinitionId = properties.policyDefinitionId, "
    "policyDefinitionReferenceId = properties.policyDefinitionReferenceId, "
    "policySetDefinitionId = properties.policySetDefinitionId, "
    "timestamp = properties.timestamp | order by id asc"
)
ASSESSMENTS = (
    f"securityresources | where type =~ '{ASSESSMENT_TYPE}' "
    "| where tostring(properties.status.code) =~ 'Unhealthy' "
    "| project id, name, type, subscriptionId, resourceDetails = properties.resourceDetails, "
    "statusCode = properties.status.code, displayName = properties.displayName, "
    "policyDefinitionId = properties.metadata.policyDefinitionId, "
    "severity = properties.metadata.severity | order by id asc"
)
SUBSCRIPTIONS = (
    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' "
    "| project id, name, subscriptionId | order by id asc"
)

# ARM reads for what Resource Graph lacks (api-versions with the fields the rules read).
COMPUTES_PATH = "{workspace}/computes?api-version=2025-06-01"
# Older stable versions for clouds that lag (sovereign ARM refuses the newest): each still
# has every compute field a rule reads — ComputeInstance's enableNodePublicIp first came in
# a stable version at 2022-05-01 (REST specs, via Azure/bicep-types-az).
COMPUTE_FALLBACK_API_VERSIONS = ("2024-10-01", "2024-04-01", "2023-04-01", "2022-05-01")
ZONE_GROUPS_PATH = "{endpoint}/privateDnsZoneGroups?api-version=2024-05-01"
# Azure Monitor Private Link Scope members: scopedResources is not in Resource Graph. The
# type has preview api-versions only (2019-10-17-preview, 2021-07-01-preview,
# 2023-06-01-preview; REST specs, via Azure/bicep-types-az); linkedResourceId is in all.
AMPLS_SCOPES_PATH = "{scope}/scopedResources?api-version=2021-07-01-preview"
AMPLS_SCOPES_FALLBACK_API_VERSIONS = ("2019-10-17-preview",)
# DNS Private Resolver children (stable api-version 2022-07-01 has every field read here)
INBOUND_ENDPOINTS_PATH = "{resolver}/inboundEndpoints?api-version=2022-07-01"
FORWARDING_RULES_PATH = "{ruleset}/forwardingRules?api-version=2022-07-01"
RULESET_LINKS_PATH = "{ruleset}/virtualNetworkLinks?api-version=2022-07-01"

_UNPAGEABLE = re.compile(r"\|\s*(take|limit|sample)\b", re.IGNORECASE)


def check_pageable(query: str) -> str:
    """Refuse a query Resource Graph would truncate without a page token."""
    if _UNPAGEABLE.search(query) or not re.search(r"\border by id\b", query):
        raise ValueError(f"query would be truncated silently: {query[:80]}")
    return query


for _q in (
    RESOURCES,
    *RESOURCES_BY_TYPE,
    DNS_RECORDS,
    GATEWAYS,
    VM_EXTENSIONS,
    POLICY_STATES,
    ASSESSMENTS,
    SUBSCRIPTIONS,
):
    check_pageable(_q)
