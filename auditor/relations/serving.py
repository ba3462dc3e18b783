"""The MLOps serving surface and workspace modes: what governs a resource's network.

A workspace's network settings govern more than the workspace: its computes, online
endpoints and their deployments live in its network (the managed virtual network, or the
customer VNet when ``managedNetwork.isolationMode`` is ``Disabled`` or absent), and a
*project* workspace has no network of its own — it inherits its *hub*'s
(``properties.hubResourceId``). An AKS / Kubernetes inference compute is as exposed as the
cluster behind it; an App Insights component is private to the extent an Azure Monitor
Private Link Scope (AMPLS) scopes it. Each question is answered once here; unknown whenever
the resource that decides is not in the estate.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from .. import arm
from ..collections import AMPLS_SCOPES
from .base import Answer, Item, Unknown, by_id, node_item, relation
from .nsg import is_internet

if TYPE_CHECKING:
    from ..graph import AuditGraph

MANAGED_MODES = ("allowinternetoutbound", "allowonlyapprovedoutbound")
AKS_TYPE = "microsoft.containerservice/managedclusters"


def _props(g: AuditGraph, k: str) -> dict[str, Any]:
    props = g.row(k).get("properties")
    return props if isinstance(props, dict) else {}


def _get(obj: Any, name: str) -> Any:
    """A key of an object, matched exactly first and then case-insensitively (App Insights
    spells its properties in PascalCase, other sources in camelCase)."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    low = name.lower()
    return next((v for key, v in obj.items() if key.lower() == low), None)


def is_project(g: AuditGraph, k: str) -> bool:
    return str(g.row(k).get("kind") or "").lower() == "project"


# -- hub and project ----------------------------------------------------------------------
def hub_of(g: AuditGraph, k: str) -> str | Unknown | None:
    """The hub a project workspace inherits its network from; None for any other
    workspace; Unknown when a project names no hub (or no readable one)."""
    if not is_project(g, k):
        return None
    hub = g.first_out(k, "in_hub")
    if hub is None:
        broken = g.unreadable(k, "hubResourceId")
        why = str(broken[0]) if broken else "it has no properties.hubResourceId"
        return Unknown.of(
            f"project workspace {g.name(k)} inherits its hub's network, and which hub is "
            f"unknown: {why}"
        )
    if hub == k or (g.seen(hub) and is_project(g, hub)):
        return Unknown.of(
            f"project workspace {g.name(k)} names {g.name(hub)} as its hub, which is "
            f"{'itself' if hub == k else 'a project too'}: the network it inherits is unknown"
        )
    return hub


@relation("hub", "aml_workspace")
def hub(g: AuditGraph, k: str) -> Answer:
    """The hub of a project workspace (kind Project, properties.hubResourceId), whose
    network the project inherits; empty for any other workspace.

    Unknown when a project names no hub; a hub outside the estate is an item whose row
    cannot be read, so every check on it is unknown."""
    found = hub_of(g, k)
    if found is None:
        return []
    if isinstance(found, Unknown):
        return found
    return [node_item(g, found)]


def _workspace_of(g: AuditGraph, k: str) -> str:
    """The workspace a compute, online endpoint or deployment belongs to."""
    kind = g.kind(k)
    if kind == "aml_workspace":
        return k
    if kind == "aml_compute":
        return g.first_out(k, "compute_of") or arm.key(arm.parent(g.display_id(k)))
    if kind == "online_deployment":
        endpoint = g.first_out(k, "belongs_to") or arm.key(arm.parent(g.display_id(k)))
        if g.has_node(endpoint) and g.seen(endpoint):
            return _workspace_of(g, endpoint)
        return arm.key(arm.parent(g.display_id(k), 2))
    return g.first_out(k, "belongs_to") or arm.key(arm.parent(g.display_id(k)))


@relation(
    "network_owner",
    "aml_workspace",
    "aml_compute",
    "online_endpoint",
    "online_deployment",
    fields=("via",),
)
def network_owner(g: AuditGraph, k: str) -> Answer:
    """The workspace whose network settings (publicNetworkAccess, managedNetwork) govern
    this resource (extra: via, how it was reached): a workspace itself, the workspace of a
    compute, online endpoint or deployment — and for a project workspace its hub.

    Unknown when a project names no hub; a workspace or hub outside the estate is an item
    whose row cannot be read."""
    ws = _workspace_of(g, k)
    if not g.has_node(ws):  # a parent the estate never named: a placeholder-like item
        return [Item(key=arm.parent(g.display_id(k)), unknown=_outside(g, k, "its workspace"))]
    via = "set on the workspace itself" if ws == k else f"workspace {g.name(ws)}"
    if not g.seen(ws):
        return [node_item(g, ws, via=via)]
    found = hub_of(g, ws)
    if isinstance(found, Unknown):
        return found
    if found is not None:
        owner = "it is a project" if ws == k else f"workspace {g.name(ws)} is a project"
        via = f"{owner} and inherits the network of its hub {g.name(found)}"
        return [node_item(g, found, via=via)]
    return [node_item(g, ws, via=via)]


def _outside(g: AuditGraph, k: str, what: str) -> str:
    return f"{what} is not in the estate ({g.display_id(k)})"


# -- AKS / Kubernetes inference computes ----------------------------------------------------
def _api_server(props: dict[str, Any]) -> tuple[bool, list[str], str] | Unknown:
    """(reachable from the internet, authorized ranges, why) for a managed cluster; Unknown
    when a setting that decides it is not what ARM returns (a flag that is no boolean, ranges
    that are no list of address prefixes): such a cluster is neither open nor closed."""
    access = _get(props, "apiServerAccessProfile")
    if access is not None and not isinstance(access, dict):
        return Unknown.of("its apiServerAccessProfile is no object")
    access = access or {}
    private = _get(access, "enablePrivateCluster")
    if private is not None and not isinstance(private, bool):
        return Unknown.of(f"its enablePrivateCluster is {private!r}, not true or false")
    if private is True:
        return False, [], "private cluster (enablePrivateCluster)"
    if str(_get(props, "publicNetworkAccess") or "").lower() == "disabled":
        return False, [], "publicNetworkAccess Disabled"
    given = _get(access, "authorizedIPRanges")
    if given is not None and not isinstance(given, list):
        return Unknown.of(f"its authorizedIPRanges is {given!r}, not a list")
    ranges = []
    for r in given or []:
        try:
            ipaddress.ip_network(str(r).strip(), strict=False)
        except ValueError:
            return Unknown.of(f"its authorizedIPRanges holds {r!r}, which is no address range")
        if not isinstance(r, str):
            return Unknown.of(f"its authorizedIPRanges holds {r!r}, which is no address range")
        ranges.append(r.strip())
    if not ranges:
        return True, [], "public API server with no authorized IP ranges"
    if is_internet(ranges):
        return (
            True,
            ranges,
            (f"its authorized IP ranges {', '.join(ranges)} cover the whole internet together"),
        )
    return False, ranges, f"authorized IP ranges {', '.join(ranges)}"


@relation("cluster", "aml_compute", fields=("open_to_internet", "authorized_ranges", "exposure"))
def cluster(g: AuditGraph, k: str) -> Answer:
    """The cluster behind an AKS or Kubernetes compute (properties.resourceId) and whether
    its API server is reachable from the internet (extra: open_to_internet,
    authorized_ranges, exposure): a private cluster, or authorized IP ranges that do not
    cover the internet (judged by coverage, however split), is not.

    Empty for other compute types; unknown when the compute names no cluster, the cluster
    is not in the estate, or it is an Arc-connected cluster (no API server settings in
    ARM)."""
    if str(_props(g, k).get("computeType", "")).lower() not in ("aks", "kubernetes"):
        return []
    target = g.first_out(k, "runs_on")
    if target is None:
        broken = g.unreadable(k, "resourceId")
        why = str(broken[0]) if broken else "it has no properties.resourceId"
        return Unknown.of(f"compute {g.name(k)}: which cluster it runs on is unknown: {why}")
    item = node_item(g, target)
    if not g.seen(target):
        item.unknown = f"cluster {g.display_id(target)} is not in the estate"
    elif g.row(target).get("type", "").lower() != AKS_TYPE:
        item.unknown = (
            f"{g.name(target)} is a {g.row(target).get('type')}, not an AKS cluster: its API "
            "server's exposure is not in ARM"
        )
    elif not isinstance(g.row(target).get("properties"), dict):
        item.unknown = f"cluster {g.name(target)}'s row has no properties: its API server is unseen"
    elif isinstance(judged := _api_server(_props(g, target)), Unknown):
        item.unknown = f"cluster {g.name(target)}: {judged.reasons[0]}"
    else:
        opened, ranges, why = judged
        item.extra = {"open_to_internet": opened, "authorized_ranges": ranges, "exposure": why}
    return [item]


# -- App Insights and Azure Monitor Private Link Scopes -----------------------------------
@relation("private_link_scopes", "app_insights", edge="scopes")
def private_link_scopes(g: AuditGraph, k: str) -> Answer:
    """Azure Monitor Private Link Scopes that scope this component (edge: scoped_resource),
    from the scopes' scopedResources rows or the component's own PrivateLinkScopedResources.

    Unknown when neither is in the estate: the component row does not carry the list and
    its input holds no scopedResources rows."""
    items = by_id(node_item(g, s, dict(a)) for s, a in g.into(k, "scopes"))
    props = _props(g, k)
    carries = any(f.lower() == "privatelinkscopedresources" for f in props)
    if items or carries or g.estate.holds(k, AMPLS_SCOPES):
        return items
    return Unknown.of(
        f"which Azure Monitor Private Link Scopes hold {g.name(k)} is unknown: its row has no "
        "PrivateLinkScopedResources and the estate has no AMPLS scopedResources rows"
    )


# -- managed virtual network outbound rules -----------------------------------------------
# Names anyone can create under these suffixes (any tenant's storage account, vault, web
# app): a wildcard over one lets data out to an account the attacker owns.
SHARED_SUFFIXES = frozenset(
    {
        "windows.net",
        "core.windows.net",
        "blob.core.windows.net",
        "file.core.windows.net",
        "queue.core.windows.net",
        "table.core.windows.net",
        "dfs.core.windows.net",
        "web.core.windows.net",
        "blob.storage.azure.net",
        "vault.azure.net",
        "vaultcore.azure.net",
        "azurecr.io",
        "azurewebsites.net",
        "cloudapp.azure.com",
        "cloudapp.net",
        "azure.com",
        "azure.net",
        "servicebus.windows.net",
        "database.windows.net",
        "documents.azure.com",
        "azure-api.net",
        "azureedge.net",
        "azurefd.net",
        "trafficmanager.net",
        "amazonaws.com",
        "s3.amazonaws.com",
        "googleapis.com",
        "storage.googleapis.com",
        "github.io",
        "ngrok.io",
        "ngrok-free.app",
    }
)
# Second-level labels under a country code that anyone registers under (co.uk, com.au).
PUBLIC_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "edu", "ac", "ne", "or"})
# Service tags that name a whole cloud, or a service in every region (their regional
# forms, Storage.westeurope, are the narrow ones).
BROAD_TAGS = {"internet": "the whole internet", "azurecloud": "every Azure public address"}
GLOBAL_TAGS = frozenset(
    {"storage", "sql", "azurecosmosdb", "eventhub", "servicebus", "azurekeyvault", "datafactory"}
)
ALL_PORTS = frozenset({"*", "0-65535", "1-65535", "any"})


def _fqdn(dest: Any) -> str | Unknown | None:
    """Why an FQDN destination is too broad, or None."""
    if not isinstance(dest, str) or not dest.strip():
        return Unknown.of(f"its destination {dest!r} is no host name")
    name = dest.strip().lower().rstrip(".")
    if "*" not in name:
        return None
    # a name matches at least every host under the labels after its last wildcard
    rest = name.rsplit("*", 1)[1].strip(".")
    if not rest:
        return "'*' matches every host name on the internet"
    if "." not in rest:
        return f"'{dest}' matches every host name under the top-level domain .{rest}"
    second, _, country = rest.partition(".")
    if len(country) == 2 and country.isalpha() and second in PUBLIC_SECOND_LEVEL:
        return f"'{dest}' matches every host name under the public suffix .{rest}"
    if rest in SHARED_SUFFIXES:
        kind = "every storage account" if ".core.windows.net" in f".{rest}" else "every resource"
        return (
            f"'{dest}' matches {kind} under {rest}, any tenant's: data can leave to an "
            "account someone else owns"
        )
    return None


def _service_tag(dest: Any) -> str | Unknown | None:
    if not isinstance(dest, dict):
        return Unknown.of(f"its destination {dest!r} is not a service-tag destination")
    why = []
    tag = str(_get(dest, "serviceTag") or "").strip()
    prefixes = _get(dest, "addressPrefixes")
    base_tag, _, region = tag.lower().partition(".")
    if tag.lower() in BROAD_TAGS:
        why.append(f"service tag {tag} is {BROAD_TAGS[tag.lower()]}")
    elif region and base_tag in BROAD_TAGS:
        why.append(f"service tag {tag} is {BROAD_TAGS[base_tag]} in {region}, any tenant's")
    elif tag.lower() in GLOBAL_TAGS:
        why.append(
            f"service tag {tag} names the service in every region, every tenant's (name a "
            f"region: {tag}.<region>)"
        )
    elif not tag and isinstance(prefixes, list) and is_internet(str(p) for p in prefixes):
        why.append(f"address prefixes {', '.join(map(str, prefixes))} cover the internet")
    elif not tag and not prefixes:
        return Unknown.of("it names neither a service tag nor address prefixes")
    ports = str(_get(dest, "portRanges") or "").replace(" ", "").lower()
    if ports in ALL_PORTS or _every_port(ports):
        why.append(f"every port (portRanges {_get(dest, 'portRanges')})")
    if str(_get(dest, "protocol") or "").strip() == "*":
        why.append("every protocol (protocol '*')")
    return "; ".join(why) or None


def _every_port(ports: str) -> bool:
    """Whether a comma-separated list of ports and ranges covers 1-65535 together."""
    spans = []
    for part in ports.split(","):
        low, _, high = part.partition("-")
        if not low.isdigit() or not (high or low).isdigit():
            return False
        spans.append((int(low), int(high or low)))
    reached = 0
    for low, high in sorted(spans):
        if low > reached + 1:
            return False
        reached = max(reached, high)
    return reached >= 65535


def _private_endpoint(g: AuditGraph, dest: Any) -> str | Unknown | None:
    target = _get(dest, "serviceResourceId") if isinstance(dest, dict) else None
    if not isinstance(target, str) or not target.strip():
        return Unknown.of("it names no serviceResourceId")
    k = arm.key(target)
    if not g.has_node(k) or not g.seen(k):
        return Unknown.of(
            f"its private endpoint leads to {target}, which is not in the estate: whose "
            "resource it is cannot be told"
        )
    return None


def _describe(rtype: str, dest: Any) -> str:
    if isinstance(dest, dict):
        for name in ("serviceTag", "serviceResourceId"):
            if value := _get(dest, name):
                return str(value)
        if prefixes := _get(dest, "addressPrefixes"):
            return ", ".join(map(str, prefixes))
    return str(dest)


@relation(
    "outbound_rules",
    "aml_workspace",
    fields=("rule_name", "rule_type", "category", "destination", "broad", "why"),
    node=False,
)
def outbound_rules(g: AuditGraph, k: str) -> Answer:
    """The outbound rules of a workspace's managed network in AllowOnlyApprovedOutbound
    mode, each judged (extra: rule_name, rule_type, category, destination, broad, why): a
    wildcard FQDN over a top-level domain or a shared service suffix, a cloud-wide or
    every-region service tag, every port or protocol is broad; a private-endpoint rule to
    a resource outside the estate is unknown.

    Empty for other isolation modes; unknown when the rules cannot be read."""
    managed = _props(g, k).get("managedNetwork")
    mode = str(_get(managed, "isolationMode") or "").lower()
    if mode != "allowonlyapprovedoutbound":
        return []
    rules = _get(managed, "outboundRules")
    if rules is None:
        return []
    if not isinstance(rules, dict):
        return Unknown.of(
            f"workspace {g.name(k)}: managedNetwork.outboundRules is no object of named rules"
        )
    items = []
    for name, rule in rules.items():
        key = f"{g.display_id(k)}/outboundRules/{name}"
        if not isinstance(rule, dict):
            items.append(Item(key=key, unknown=f"outbound rule {name} cannot be read: no object"))
            continue
        rtype = str(_get(rule, "type") or "")
        dest = _get(rule, "destination")
        judge = {"fqdn": _fqdn, "servicetag": _service_tag}.get(rtype.lower())
        why: str | Unknown | None
        if judge is not None:
            why = judge(dest)
        elif rtype.lower() == "privateendpoint":
            why = _private_endpoint(g, dest)
        else:
            why = Unknown.of(f"its type {rtype!r} is none of FQDN, ServiceTag, PrivateEndpoint")
        item = Item(
            key=key,
            extra={
                "rule_name": name,
                "rule_type": rtype,
                "category": _get(rule, "category"),
                "destination": _describe(rtype, dest),
                "broad": why is not None and not isinstance(why, Unknown),
                "why": why if isinstance(why, str) else None,
            },
        )
        if isinstance(why, Unknown):
            item.unknown = f"outbound rule {name} of workspace {g.name(k)}: {why.reasons[0]}"
        items.append(item)
    return by_id(items)
