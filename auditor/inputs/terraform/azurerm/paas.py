"""azurerm mappers: Azure ML (workspace, computes, managed network rules) and the PaaS
services around it (storage, key vault, container registry, Application Insights, Log
Analytics, Azure Monitor private link scopes, AKS).

Each row is shaped as Resource Graph (or, for computes, ARM) gives the resource, so the
rules read it unchanged. A setting left out takes the provider's default for the azurerm
majors the configuration admits (``defaults.yaml``); where an attribute meant something
else in another major (the workspace's ``public_network_access_enabled`` set
``allowPublicAccessWhenBehindVnet`` in 2.x) the row is worked out per major and is
unknown when the admitted majors disagree.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from .... import arm
from ....unknown import UnknownValue, is_unknown
from ..resources import TfResource
from . import MapContext, Row, maps
from .defaults import KNOWN_MAJORS, RESEARCHED_MAJORS, default_at, unresearched

WORKSPACE = "microsoft.machinelearningservices/workspaces"
COMPUTE = "microsoft.machinelearningservices/workspaces/computes"


# -- shared helpers (dns.py uses them too) ---------------------------------------------
def location(value: Any) -> Any:
    """ARM spells regions in lower case without spaces ("West Europe" → westeurope)."""
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def enabled(value: Any, yes: str = "Enabled", no: str = "Disabled") -> Any:
    """A Terraform bool as ARM's Enabled / Disabled (unknowns and None stay as they are).
    A string is converted as the provider's bool schema converts it ("true"/"1",
    "false"/"0"); any other value is one terraform rejects, so it is unknown."""
    if value is True or (isinstance(value, str) and value in ("true", "1")):
        return yes
    if value is False or (isinstance(value, str) and value in ("false", "0")):
        return no
    if value is None or is_unknown(value):
        return value
    return UnknownValue(f"{str(value)[:80]!r} is not a bool (terraform rejects it)")


def known_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not is_unknown(value)


def base_row(
    ctx: MapContext,
    r: TfResource,
    arm_type: str,
    properties: dict[str, Any],
    *,
    rid: str | None = None,
    loc: Any = None,
) -> Row:
    """The common columns of a row: id, name, type, location, resourceGroup,
    subscriptionId, tags, properties."""
    rid = rid or ctx.id_of(r)
    tags = r.get("tags")
    return {
        "id": rid,
        "name": arm.last_name(rid),
        "type": arm_type,
        "kind": None,
        "location": location(loc if loc is not None else r.get("location")),
        "resourceGroup": arm.segment(rid, "resourceGroups") or "",
        "subscriptionId": arm.segment(rid, "subscriptions") or ctx.subscription(r),
        "tags": tags if isinstance(tags, dict) else {},
        "properties": properties,
    }


def prune(props: dict[str, Any]) -> dict[str, Any]:
    """Drop the properties the configuration leaves to Azure (None): ARM omits them."""
    return {k: v for k, v in props.items() if v is not None}


def per_major(ctx: MapContext, r: TfResource, what: str, fn: Callable[[int], Any]) -> Any:
    """``fn(major)`` for every admitted major: the value when they agree, else unknown."""
    majors = ctx.provider.majors or KNOWN_MAJORS
    unknown = unresearched(r.type, what, ctx.provider)
    if unknown is not None:
        # a major whose defaults are not known (none there): the value holds only when it
        # is the newest known major's too — what the configuration sets, not a default
        majors = tuple(dict.fromkeys((*majors, RESEARCHED_MAJORS[-1])))
    values = {m: fn(m) for m in majors}
    if len({repr(v) for v in values.values()}) == 1:
        return values[majors[0]]
    if unknown is not None:
        return unknown
    spelled = ", ".join(f"{m}.x: {v!r}" for m, v in values.items())
    return UnknownValue(
        f"{r.address}: {what} differs between the azurerm versions the configuration admits"
        f" ({ctx.provider.source}; {spelled})"
    )


def configured_or_default(r: TfResource, attr: str, major: int) -> Any:
    got = r.get(attr)
    return got if got is not None else default_at(r.type, attr, major)


def blocks(r: TfResource, path: str) -> list[dict[str, Any]]:
    value = r.get(path)
    if isinstance(value, list):
        return [b for b in value if isinstance(b, dict)]
    return []


def unknown_blocks(r: TfResource, path: str) -> UnknownValue | None:
    """The blocks at ``path`` when they are unknown as a whole (a ``dynamic`` block over a
    collection known only after apply): whatever they would set is unknown, not absent."""
    value = r.get(path)
    return value if is_unknown(value) else None


def strings(value: Any) -> list[Any]:
    """A list attribute's entries (unknown entries stay), [] when absent."""
    if is_unknown(value):
        return [value]
    return [v for v in value if v is not None] if isinstance(value, list) else []


def _identity(r: TfResource) -> dict[str, Any] | None:
    ident = blocks(r, "identity")
    if not ident:
        return None
    out: dict[str, Any] = {"type": ident[0].get("type")}
    ids = ident[0].get("identity_ids")
    if isinstance(ids, list) and ids:
        out["userAssignedIdentities"] = {i: {} for i in ids if isinstance(i, str)}
    return out


def _parent_or_gap(ctx: MapContext, r: TfResource, parent_id: Any, what: str) -> Row | None:
    row = ctx.row(parent_id)
    if row is None:
        ctx.gaps.append(
            f"{r.address}: its {what} ({parent_id!r}) is not in the configuration, so it "
            "was not folded into it"
        )
    return row


# -- Azure ML ----------------------------------------------------------------------------
@maps("azurerm_machine_learning_workspace")
def workspace(r: TfResource, ctx: MapContext) -> None:
    explicit = r.get("public_network_access_enabled")

    exact = ctx.provider.version

    def access(major: int) -> tuple[Any, Any]:
        """(publicNetworkAccess, allowPublicAccessWhenBehindVnet) as ``major`` sends them."""
        if major == 2 or (exact is not None and exact[:1] == (3,) and exact < (3, 2)):
            # 2.x and 3.0-3.1 (a lock file says which): the attribute set
            # allowPublicAccessWhenBehindVnet, default false; publicNetworkAccess was not
            # sent, and Azure reports its default, Enabled (hashicorp/terraform-provider-
            # azurerm#16177, renamed by #16288)
            return "Enabled", explicit if explicit is not None else False
        if explicit is None and exact is not None and exact[:1] == (3,):
            # an absent attribute sends nothing before 3.25 (Azure: Enabled) and
            # publicNetworkAccess Disabled from 3.25 on (defaults.yaml)
            return ("Enabled" if exact < (3, 25) else "Disabled"), None
        return enabled(configured_or_default(r, "public_network_access_enabled", major)), None

    pair = per_major(ctx, r, "what public_network_access_enabled sets", access)
    if is_unknown(pair):
        public, behind_vnet = pair, None
    else:
        public, behind_vnet = pair
    managed = blocks(r, "managed_network")
    isolation = managed[0].get("isolation_mode") if managed else None
    isolation = unknown_blocks(r, "managed_network") or isolation
    sku = ctx.value(r, "sku_name")
    props = prune(
        {
            "publicNetworkAccess": public,
            "allowPublicAccessWhenBehindVnet": behind_vnet,
            "storageAccount": r.get("storage_account_id"),
            "keyVault": r.get("key_vault_id"),
            "applicationInsights": r.get("application_insights_id"),
            "containerRegistry": r.get("container_registry_id"),
            "hbiWorkspace": r.get("high_business_impact"),
            "v1LegacyMode": ctx.value(r, "v1_legacy_mode_enabled"),
            "imageBuildCompute": r.get("image_build_compute_name"),
            "friendlyName": r.get("friendly_name"),
            "primaryUserAssignedIdentity": r.get("primary_user_assigned_identity"),
            "managedNetwork": {"isolationMode": isolation or "Disabled"},
        }
    )
    row = base_row(ctx, r, WORKSPACE, props)
    row["kind"] = r.get("kind") or "Default"
    row["sku"] = {"name": sku, "tier": sku}
    row["identity"] = _identity(r)
    ctx.add_row(
        r,
        row,
        lines={
            "properties.publicNetworkAccess": "public_network_access_enabled",
            "properties.allowPublicAccessWhenBehindVnet": "public_network_access_enabled",
            "properties.managedNetwork.isolationMode": "managed_network.0.isolation_mode",
            "properties.managedNetwork": "managed_network",
            "properties.storageAccount": "storage_account_id",
            "properties.keyVault": "key_vault_id",
            "properties.applicationInsights": "application_insights_id",
            "properties.containerRegistry": "container_registry_id",
            "properties.v1LegacyMode": "v1_legacy_mode_enabled",
            "properties.hbiWorkspace": "high_business_impact",
        },
    )


@maps("azurerm_ai_foundry", "azurerm_ai_foundry_project")
def foundry(r: TfResource, ctx: MapContext) -> None:
    """An AI Foundry hub (a workspace of kind Hub; public_network_access, a string,
    defaults to Enabled) or project (kind Project under its hub: it inherits the hub's
    network, MLA-AML-010)."""
    hub = r.type == "azurerm_ai_foundry"
    managed = blocks(r, "managed_network")
    props = prune(
        {
            "publicNetworkAccess": ctx.value(r, "public_network_access") if hub else None,
            "storageAccount": r.get("storage_account_id"),
            "keyVault": r.get("key_vault_id"),
            "applicationInsights": r.get("application_insights_id"),
            "containerRegistry": r.get("container_registry_id"),
            "hbiWorkspace": r.get("high_business_impact_enabled"),
            "friendlyName": r.get("friendly_name"),
            "hubResourceId": None if hub else r.get("ai_services_hub_id"),
            "managedNetwork": {
                "isolationMode": (managed[0].get("isolation_mode") if managed else None)
                or "Disabled"
            }
            if hub
            else None,
        }
    )
    row = base_row(ctx, r, WORKSPACE, props)
    row["kind"] = "Hub" if hub else "Project"
    row["sku"] = {"name": "Basic", "tier": "Basic"}
    row["identity"] = _identity(r)
    ctx.add_row(
        r,
        row,
        lines={
            "properties.publicNetworkAccess": "public_network_access",
            "properties.managedNetwork.isolationMode": "managed_network.0.isolation_mode",
            "properties.hubResourceId": "ai_services_hub_id",
        },
    )


_OUTBOUND = {
    "azurerm_machine_learning_workspace_network_outbound_rule_fqdn": "FQDN",
    "azurerm_machine_learning_workspace_network_outbound_rule_service_tag": "ServiceTag",
    "azurerm_machine_learning_workspace_network_outbound_rule_private_endpoint": (
        "PrivateEndpoint"
    ),
}


@maps(*_OUTBOUND, phase=2)
def outbound_rule(r: TfResource, ctx: MapContext) -> None:
    """A managed network outbound rule folds into its workspace's
    managedNetwork.outboundRules, keyed by name, as ARM holds them."""
    ws_id = r.get("workspace_id")
    row = _parent_or_gap(ctx, r, ws_id, "workspace")
    if row is None:
        return
    kind = _OUTBOUND[r.type]
    destination: Any
    if kind == "FQDN":
        destination, attr = r.get("destination_fqdn"), "destination_fqdn"
    elif kind == "ServiceTag":
        destination = prune(
            {
                "serviceTag": r.get("service_tag"),
                "protocol": r.get("protocol"),
                "portRanges": r.get("port_ranges"),
                "action": "Allow",
            }
        )
        attr = "service_tag"
    else:
        destination = prune(
            {
                "serviceResourceId": r.get("service_resource_id"),
                "subresourceTarget": r.get("sub_resource_target"),
                "sparkEnabled": r.get("spark_enabled") or False,
            }
        )
        attr = "service_resource_id"
    name = r.get("name")
    key = name if known_str(name) else "{" + r.address + "}"
    managed = row["properties"].setdefault("managedNetwork", {})
    rules = managed.setdefault("outboundRules", {})
    if isinstance(rules, dict):
        rules[key] = {"type": kind, "destination": destination, "category": "UserDefined"}
    ctx.note_lines(row["id"], r, {f"properties.managedNetwork.outboundRules.{key}": attr})


def _compute_row(ctx: MapContext, r: TfResource, compute_type: str, inner: dict[str, Any]) -> Row:
    ws_id = r.get("machine_learning_workspace_id")
    ws_row = ctx.row(ws_id)
    loc = r.get("location")
    if loc is None and ws_row is not None:
        loc = ws_row.get("location")
    props = prune(
        {
            "computeType": compute_type,
            "computeLocation": location(loc),
            "description": r.get("description"),
            "disableLocalAuth": _not(ctx.value(r, "local_auth_enabled")),
            "properties": prune(inner),
        }
    )
    if compute_type == "AKS":
        props["resourceId"] = r.get("kubernetes_cluster_id")
    row = base_row(ctx, r, COMPUTE, props, loc=loc)
    row["identity"] = _identity(r)
    return row


def _not(value: Any) -> Any:
    return (not value) if isinstance(value, bool) else value


def _node_public_ip(ctx: MapContext, r: TfResource) -> Any:
    """enableNodePublicIp as the provider sends it: absent before the attribute existed
    (Azure then gives nodes public IPs), else the value or its default."""
    return per_major(
        ctx,
        r,
        "node_public_ip_enabled",
        lambda m: configured_or_default(r, "node_public_ip_enabled", m),
    )


def _subnet(r: TfResource) -> dict[str, Any] | None:
    sid = r.get("subnet_resource_id")
    return {"id": sid} if sid not in (None, "") else None


@maps("azurerm_machine_learning_compute_cluster")
def compute_cluster(r: TfResource, ctx: MapContext) -> None:
    scale = blocks(r, "scale_settings")
    inner = {
        "vmSize": r.get("vm_size"),
        "vmPriority": r.get("vm_priority"),
        "scaleSettings": prune(
            {
                "minNodeCount": scale[0].get("min_node_count"),
                "maxNodeCount": scale[0].get("max_node_count"),
                "nodeIdleTimeBeforeScaleDown": scale[0].get("scale_down_nodes_after_idle_duration"),
            }
        )
        if scale
        else None,
        "subnet": _subnet(r),
        "enableNodePublicIp": _node_public_ip(ctx, r),
        # the provider sends Disabled unless ssh_public_access_enabled is true
        "remoteLoginPortPublicAccess": enabled(ctx.value(r, "ssh_public_access_enabled")),
    }
    row = _compute_row(ctx, r, "AmlCompute", inner)
    ctx.add_row(r, row, lines=_COMPUTE_LINES)


_COMPUTE_LINES = {
    "properties.properties.enableNodePublicIp": "node_public_ip_enabled",
    "properties.properties.subnet": "subnet_resource_id",
    "properties.properties.subnet.id": "subnet_resource_id",
    "properties.properties.remoteLoginPortPublicAccess": "ssh_public_access_enabled",
    "properties.properties.sshSettings.sshPublicAccess": "ssh",
    "properties.properties.sshSettings": "ssh",
    "properties.disableLocalAuth": "local_auth_enabled",
}


@maps("azurerm_machine_learning_compute_instance")
def compute_instance(r: TfResource, ctx: MapContext) -> None:
    ssh = blocks(r, "ssh")
    ssh_unknown = unknown_blocks(r, "ssh")
    inner = {
        "vmSize": r.get("virtual_machine_size"),
        "subnet": _subnet(r),
        "enableNodePublicIp": _node_public_ip(ctx, r),
        # an ssh block (a public key) opens public SSH; without one the provider sends
        # sshPublicAccess Disabled
        "sshSettings": {"sshPublicAccess": ssh_unknown}
        if ssh_unknown is not None
        else {"sshPublicAccess": "Enabled" if ssh else "Disabled"}
        | ({"adminUserName": "azureuser"} if ssh else {}),
    }
    row = _compute_row(ctx, r, "ComputeInstance", inner)
    ctx.add_row(r, row, lines=_COMPUTE_LINES)


@maps("azurerm_machine_learning_inference_cluster")
def inference_cluster(r: TfResource, ctx: MapContext) -> None:
    """An AKS inference compute. The provider sends no loadBalancerType (Azure's default
    is a public load balancer), so the row has none either."""
    inner = {"clusterPurpose": ctx.value(r, "cluster_purpose")}
    row = _compute_row(ctx, r, "AKS", inner)
    row["properties"].pop("disableLocalAuth", None)  # not an attribute of this resource
    ctx.add_row(r, row, lines={"properties.resourceId": "kubernetes_cluster_id"})


# -- storage -------------------------------------------------------------------------------
def _bypass(value: Any) -> Any:
    if is_unknown(value):
        return value
    if isinstance(value, list | tuple | set):
        return ", ".join(sorted(str(v) for v in value)) or "None"
    return value


def _storage_acls(rules: dict[str, Any]) -> dict[str, Any]:
    bypass = rules.get("bypass")
    return {
        "defaultAction": rules.get("default_action"),
        "bypass": _bypass(bypass) if bypass is not None else "AzureServices",
        "ipRules": [{"value": ip, "action": "Allow"} for ip in strings(rules.get("ip_rules"))],
        "virtualNetworkRules": [
            {"id": sid, "action": "Allow"}
            for sid in strings(rules.get("virtual_network_subnet_ids"))
        ],
        "resourceAccessRules": [
            prune(
                {
                    "resourceId": p.get("endpoint_resource_id"),
                    "tenantId": p.get("endpoint_tenant_id"),
                }
            )
            for p in (rules.get("private_link_access") or [])
            if isinstance(p, dict)
        ],
    }


# Azure's networkAcls for an account no rules were given for: open.
_OPEN_ACLS = {
    "defaultAction": "Allow",
    "bypass": "AzureServices",
    "ipRules": [],
    "virtualNetworkRules": [],
    "resourceAccessRules": [],
}


def _first_set(r: TfResource, *attrs: str) -> tuple[Any, str | None]:
    for a in attrs:
        got = r.get(a)
        if got is not None:
            return got, a
    return None, None


# per mapping run: storage accounts with inline network_rules (row key -> address), which a
# separate azurerm_storage_account_network_rules must not be folded over silently
_STORAGE_INLINE_RULES: weakref.WeakKeyDictionary[MapContext, dict[str, str]] = (
    weakref.WeakKeyDictionary()
)


@maps("azurerm_storage_account")
def storage_account(r: TfResource, ctx: MapContext) -> None:
    blob_public, blob_attr = _first_set(
        r, "allow_nested_items_to_be_public", "allow_blob_public_access"
    )
    if blob_attr is None:
        blob_public = ctx.value(r, "allow_nested_items_to_be_public")
    https, https_attr = _first_set(r, "https_traffic_only_enabled", "enable_https_traffic_only")
    rules = blocks(r, "network_rules")
    tier, replication = r.get("account_tier"), r.get("account_replication_type")
    props = prune(
        {
            "publicNetworkAccess": enabled(ctx.value(r, "public_network_access_enabled")),
            "allowBlobPublicAccess": blob_public,
            "allowSharedKeyAccess": ctx.value(r, "shared_access_key_enabled"),
            "minimumTlsVersion": ctx.value(r, "min_tls_version"),
            "supportsHttpsTrafficOnly": https if https is not None else True,
            "isHnsEnabled": r.get("is_hns_enabled"),
            "networkAcls": unknown_blocks(r, "network_rules")
            or (_storage_acls(rules[0]) if rules else dict(_OPEN_ACLS)),
        }
    )
    row = base_row(ctx, r, "microsoft.storage/storageaccounts", props)
    if "network_rules" in r.lines:  # written in the configuration (a plan of an existing
        # account lists what a separate resource set, as Azure holds it)
        _STORAGE_INLINE_RULES.setdefault(ctx, {})[arm.key(row["id"])] = r.address
    row["kind"] = ctx.value(r, "account_kind")
    if known_str(tier) and known_str(replication):
        row["sku"] = {"name": f"{tier}_{replication}", "tier": tier}
    row["identity"] = _identity(r)
    ctx.add_row(
        r,
        row,
        lines={
            "properties.publicNetworkAccess": "public_network_access_enabled",
            "properties.allowBlobPublicAccess": blob_attr or "allow_nested_items_to_be_public",
            "properties.allowSharedKeyAccess": "shared_access_key_enabled",
            "properties.minimumTlsVersion": "min_tls_version",
            "properties.supportsHttpsTrafficOnly": https_attr or "https_traffic_only_enabled",
            "properties.networkAcls": "network_rules",
            "properties.networkAcls.defaultAction": "network_rules.0.default_action",
            "properties.networkAcls.ipRules": "network_rules.0.ip_rules",
            "properties.networkAcls.virtualNetworkRules": (
                "network_rules.0.virtual_network_subnet_ids"
            ),
            "properties.networkAcls.bypass": "network_rules.0.bypass",
        },
    )


@maps("azurerm_storage_account_network_rules", phase=2)
def storage_network_rules(r: TfResource, ctx: MapContext) -> None:
    """The account's firewall as a separate resource (3.x+: storage_account_id; 2.x:
    resource_group_name + storage_account_name) replaces its networkAcls."""
    target = r.get("storage_account_id")
    if target is None and known_str(r.get("storage_account_name")):
        target = (
            f"{ctx.resource_group_id(r)}/providers/Microsoft.Storage/storageAccounts/"
            f"{r.get('storage_account_name')}"
        )
    row = _parent_or_gap(ctx, r, target, "storage account")
    if row is None:
        return
    inline = _STORAGE_INLINE_RULES.get(ctx, {}).get(arm.key(row["id"]))
    if inline is not None:
        # azurerm: the two "cannot be used together ... spurious changes will occur":
        # each apply of one writes its rules over the other's
        why = (
            f"{inline} sets network_rules inline and {r.address} sets them too; each apply"
            " of one overwrites the other"
        )
        row["properties"]["networkAcls"] = UnknownValue(why)
        ctx.gaps.append(f"{r.address}: {why}, so the account's firewall is unknown")
        return
    row["properties"]["networkAcls"] = _storage_acls(r.values)
    ctx.note_lines(
        row["id"],
        r,
        {
            "properties.networkAcls": "default_action",
            "properties.networkAcls.defaultAction": "default_action",
            "properties.networkAcls.ipRules": "ip_rules",
            "properties.networkAcls.virtualNetworkRules": "virtual_network_subnet_ids",
            "properties.networkAcls.bypass": "bypass",
        },
    )


# -- key vault, container registry ---------------------------------------------------------
@maps("azurerm_key_vault")
def key_vault(r: TfResource, ctx: MapContext) -> None:
    acls = blocks(r, "network_acls")
    rbac, _ = _first_set(r, "rbac_authorization_enabled", "enable_rbac_authorization")
    props = prune(
        {
            "sku": {"family": "A", "name": r.get("sku_name")},
            "tenantId": r.get("tenant_id"),
            "publicNetworkAccess": enabled(ctx.value(r, "public_network_access_enabled")),
            "enableRbacAuthorization": rbac,
            "enablePurgeProtection": r.get("purge_protection_enabled"),
            "networkAcls": unknown_blocks(r, "network_acls")
            or (
                {
                    "defaultAction": acls[0].get("default_action"),
                    "bypass": acls[0].get("bypass"),
                    "ipRules": [{"value": ip} for ip in strings(acls[0].get("ip_rules"))],
                    "virtualNetworkRules": [
                        {"id": s} for s in strings(acls[0].get("virtual_network_subnet_ids"))
                    ],
                }
                if acls
                else None
            ),
        }
    )
    row = base_row(ctx, r, "microsoft.keyvault/vaults", props)
    ctx.add_row(
        r,
        row,
        lines={
            "properties.publicNetworkAccess": "public_network_access_enabled",
            "properties.networkAcls": "network_acls",
            "properties.networkAcls.defaultAction": "network_acls.0.default_action",
            "properties.networkAcls.ipRules": "network_acls.0.ip_rules",
            "properties.networkAcls.bypass": "network_acls.0.bypass",
        },
    )


@maps("azurerm_container_registry")
def container_registry(r: TfResource, ctx: MapContext) -> None:
    sku = r.get("sku")
    rule_set = blocks(r, "network_rule_set")
    network: Any
    if (unknown := unknown_blocks(r, "network_rule_set")) is not None:
        network = unknown
    elif rule_set:
        rs = rule_set[0]
        network = {
            "defaultAction": ctx.value(r, "network_rule_set.0.default_action"),
            "ipRules": [
                {"action": b.get("action") or "Allow", "value": b.get("ip_range")}
                for b in (rs.get("ip_rule") or [])
                if isinstance(b, dict)
            ],
        }
        vnets = [b for b in (rs.get("virtual_network") or []) if isinstance(b, dict)]
        if vnets:  # 2.x / 3.x
            network["virtualNetworkRules"] = [
                {"action": b.get("action") or "Allow", "id": b.get("subnet_id")} for b in vnets
            ]
    elif sku == "Premium":  # what Azure reports for a Premium registry given no rules
        network = {"defaultAction": "Allow", "ipRules": []}
    else:
        network = None
    name = r.get("name")
    props = prune(
        {
            "loginServer": f"{name.lower()}.azurecr.io" if known_str(name) else None,
            "adminUserEnabled": ctx.value(r, "admin_enabled"),
            "publicNetworkAccess": enabled(ctx.value(r, "public_network_access_enabled")),
            "networkRuleSet": network,
            "networkRuleBypassOptions": ctx.value(r, "network_rule_bypass_option"),
        }
    )
    row = base_row(ctx, r, "microsoft.containerregistry/registries", props)
    row["sku"] = {"name": sku, "tier": sku}
    row["identity"] = _identity(r)
    ctx.add_row(
        r,
        row,
        lines={
            "properties.adminUserEnabled": "admin_enabled",
            "properties.publicNetworkAccess": "public_network_access_enabled",
            "properties.networkRuleSet": "network_rule_set",
            "properties.networkRuleSet.defaultAction": "network_rule_set.0.default_action",
            "sku.name": "sku",
            "sku": "sku",
        },
    )


# -- monitoring ----------------------------------------------------------------------------
@maps("azurerm_application_insights")
def application_insights(r: TfResource, ctx: MapContext) -> None:
    explicit_disabled = r.get("local_authentication_disabled")
    explicit_enabled = r.get("local_authentication_enabled")

    def local_auth_disabled(major: int) -> Any:
        if explicit_disabled is not None:
            return explicit_disabled
        if explicit_enabled is not None:
            return _not(explicit_enabled)
        if major >= 5:
            return _not(default_at(r.type, "local_authentication_enabled", major))
        return default_at(r.type, "local_authentication_disabled", major)

    app_type = r.get("application_type")
    ws = r.get("workspace_id")
    props = prune(
        {
            "Application_Type": app_type,
            "IngestionMode": "LogAnalytics" if ws is not None else "ApplicationInsights",
            "WorkspaceResourceId": ws,
            "publicNetworkAccessForIngestion": enabled(ctx.value(r, "internet_ingestion_enabled")),
            "publicNetworkAccessForQuery": enabled(ctx.value(r, "internet_query_enabled")),
            "DisableLocalAuth": per_major(ctx, r, "local authentication", local_auth_disabled),
        }
    )
    row = base_row(ctx, r, "microsoft.insights/components", props)
    row["kind"] = app_type
    auth_attr = (
        "local_authentication_enabled"
        if explicit_enabled is not None
        else "local_authentication_disabled"
    )
    ctx.add_row(
        r,
        row,
        lines={
            "properties.publicNetworkAccessForIngestion": "internet_ingestion_enabled",
            "properties.publicNetworkAccessForQuery": "internet_query_enabled",
            "properties.DisableLocalAuth": auth_attr,
        },
    )


@maps("azurerm_log_analytics_workspace")
def log_analytics(r: TfResource, ctx: MapContext) -> None:
    ingest = r.get("internet_ingestion_access_type")  # 5.x spelling: a string
    query = r.get("internet_query_access_type")
    props = prune(
        {
            "sku": {"name": r.get("sku") or "PerGB2018"},
            "retentionInDays": r.get("retention_in_days"),
            "publicNetworkAccessForIngestion": ingest
            if ingest is not None
            else enabled(ctx.value(r, "internet_ingestion_enabled")),
            "publicNetworkAccessForQuery": query
            if query is not None
            else enabled(ctx.value(r, "internet_query_enabled")),
        }
    )
    row = base_row(ctx, r, "microsoft.operationalinsights/workspaces", props)
    ctx.add_row(
        r,
        row,
        lines={
            "properties.publicNetworkAccessForIngestion": "internet_ingestion_enabled",
            "properties.publicNetworkAccessForQuery": "internet_query_enabled",
        },
    )


@maps("azurerm_monitor_private_link_scope")
def private_link_scope(r: TfResource, ctx: MapContext) -> None:
    props = {
        "accessModeSettings": {
            "ingestionAccessMode": ctx.value(r, "ingestion_access_mode"),
            "queryAccessMode": ctx.value(r, "query_access_mode"),
            "exclusions": [],
        }
    }
    row = base_row(ctx, r, "microsoft.insights/privatelinkscopes", props, loc="global")
    ctx.add_row(
        r,
        row,
        lines={
            "properties.accessModeSettings.ingestionAccessMode": "ingestion_access_mode",
            "properties.accessModeSettings.queryAccessMode": "query_access_mode",
        },
    )


@maps("azurerm_monitor_private_link_scoped_service")
def scoped_service(r: TfResource, ctx: MapContext) -> None:
    """A scoped resource is a row of its own (Resource Graph lists them), under its scope."""
    props = {"linkedResourceId": r.get("linked_resource_id")}
    row = base_row(
        ctx, r, "microsoft.insights/privatelinkscopes/scopedresources", props, loc="global"
    )
    ctx.add_row(r, row, lines={"properties.linkedResourceId": "linked_resource_id"})


# -- AKS -----------------------------------------------------------------------------------
@maps("azurerm_kubernetes_cluster")
def kubernetes_cluster(r: TfResource, ctx: MapContext) -> None:
    """The API server's exposure: private_cluster_enabled, and the authorized ranges
    (2.x/early 3.x: api_server_authorized_ip_ranges; later api_server_access_profile)."""
    ranges, ranges_attr = _first_set(
        r, "api_server_access_profile.0.authorized_ip_ranges", "api_server_authorized_ip_ranges"
    )
    access = prune(
        {
            "enablePrivateCluster": ctx.value(r, "private_cluster_enabled"),
            "authorizedIPRanges": strings(ranges) or None,
        }
    )
    net = blocks(r, "network_profile")
    pools = blocks(r, "default_node_pool")
    props = prune(
        {
            "dnsPrefix": r.get("dns_prefix"),
            "kubernetesVersion": r.get("kubernetes_version"),
            "apiServerAccessProfile": access,
            # 3.x only (removed in 4.0): the API server's public network access
            "publicNetworkAccess": enabled(r.get("public_network_access_enabled")),
            "networkProfile": prune(
                {
                    "networkPlugin": net[0].get("network_plugin"),
                    "networkPolicy": net[0].get("network_policy"),
                    "outboundType": net[0].get("outbound_type"),
                    "loadBalancerSku": net[0].get("load_balancer_sku"),
                    "serviceCidr": net[0].get("service_cidr"),
                    "dnsServiceIP": net[0].get("dns_service_ip"),
                    "podCidr": net[0].get("pod_cidr"),
                }
            )
            if net
            else None,
            "agentPoolProfiles": [
                prune(
                    {
                        "name": p.get("name"),
                        "vmSize": p.get("vm_size"),
                        "vnetSubnetID": p.get("vnet_subnet_id"),
                        "enableNodePublicIP": p.get("node_public_ip_enabled")
                        if p.get("node_public_ip_enabled") is not None
                        else p.get("enable_node_public_ip"),
                    }
                )
                for p in pools
            ]
            or None,
        }
    )
    row = base_row(ctx, r, "microsoft.containerservice/managedclusters", props)
    row["kind"] = "Base"
    row["identity"] = _identity(r)
    ctx.add_row(
        r,
        row,
        lines={
            "properties.apiServerAccessProfile.enablePrivateCluster": "private_cluster_enabled",
            "properties.apiServerAccessProfile.authorizedIPRanges": ranges_attr
            or "api_server_access_profile",
            "properties.apiServerAccessProfile": "api_server_access_profile",
            "properties.publicNetworkAccess": "public_network_access_enabled",
        },
    )
