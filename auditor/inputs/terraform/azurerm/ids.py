"""The ARM id each azurerm resource will have, synthesized from its arguments.

References between resources are ids (``subnet_id = azurerm_subnet.aml.id``), and the graph
links resources by ARM id, so every resource gets the id Azure would give it: its own name
under its resource group or its parent. A part the configuration cannot tell (a name from a
variable without a value) is replaced by the resource's Terraform address in braces, so the
id stays distinct and says where it came from. An id the input already knows (a plan's
existing resource) wins.
"""

from __future__ import annotations

from typing import Any

from ....unknown import UnknownValue
from ..resources import PLACEHOLDER_SUBSCRIPTION, TfResource

# tf type -> (ARM provider namespace/type path, parent)
# parent: None (top level in a resource group), ("name", attr, child segment) — the parent
# is a sibling named by ``attr`` whose type path is the first part of the path — or
# ("id", attr, child segment): the parent's id is the value of ``attr``.
_TOP: dict[str, str] = {
    "azurerm_virtual_network": "Microsoft.Network/virtualNetworks",
    "azurerm_network_security_group": "Microsoft.Network/networkSecurityGroups",
    "azurerm_application_security_group": "Microsoft.Network/applicationSecurityGroups",
    "azurerm_network_interface": "Microsoft.Network/networkInterfaces",
    "azurerm_public_ip": "Microsoft.Network/publicIPAddresses",
    "azurerm_public_ip_prefix": "Microsoft.Network/publicIPPrefixes",
    "azurerm_bastion_host": "Microsoft.Network/bastionHosts",
    "azurerm_private_endpoint": "Microsoft.Network/privateEndpoints",
    "azurerm_private_dns_zone": "Microsoft.Network/privateDnsZones",
    "azurerm_route_table": "Microsoft.Network/routeTables",
    "azurerm_nat_gateway": "Microsoft.Network/natGateways",
    "azurerm_lb": "Microsoft.Network/loadBalancers",
    "azurerm_firewall": "Microsoft.Network/azureFirewalls",
    "azurerm_firewall_policy": "Microsoft.Network/firewallPolicies",
    "azurerm_virtual_network_gateway": "Microsoft.Network/virtualNetworkGateways",
    "azurerm_virtual_hub": "Microsoft.Network/virtualHubs",
    "azurerm_route_server": "Microsoft.Network/virtualHubs",
    "azurerm_private_dns_resolver": "Microsoft.Network/dnsResolvers",
    "azurerm_private_dns_resolver_dns_forwarding_ruleset": (
        "Microsoft.Network/dnsForwardingRulesets"
    ),
    "azurerm_linux_virtual_machine": "Microsoft.Compute/virtualMachines",
    "azurerm_windows_virtual_machine": "Microsoft.Compute/virtualMachines",
    "azurerm_virtual_machine": "Microsoft.Compute/virtualMachines",
    "azurerm_linux_virtual_machine_scale_set": "Microsoft.Compute/virtualMachineScaleSets",
    "azurerm_windows_virtual_machine_scale_set": "Microsoft.Compute/virtualMachineScaleSets",
    "azurerm_orchestrated_virtual_machine_scale_set": "Microsoft.Compute/virtualMachineScaleSets",
    "azurerm_virtual_machine_scale_set": "Microsoft.Compute/virtualMachineScaleSets",
    "azurerm_machine_learning_workspace": "Microsoft.MachineLearningServices/workspaces",
    "azurerm_ai_foundry": "Microsoft.MachineLearningServices/workspaces",  # kind Hub
    "azurerm_ai_foundry_project": "Microsoft.MachineLearningServices/workspaces",  # Project
    "azurerm_storage_account": "Microsoft.Storage/storageAccounts",
    "azurerm_key_vault": "Microsoft.KeyVault/vaults",
    "azurerm_container_registry": "Microsoft.ContainerRegistry/registries",
    "azurerm_application_insights": "Microsoft.Insights/components",
    "azurerm_log_analytics_workspace": "Microsoft.OperationalInsights/workspaces",
    "azurerm_monitor_private_link_scope": "Microsoft.Insights/privateLinkScopes",
    "azurerm_kubernetes_cluster": "Microsoft.ContainerService/managedClusters",
    "azurerm_user_assigned_identity": "Microsoft.ManagedIdentity/userAssignedIdentities",
}
_CHILD_BY_NAME: dict[str, tuple[str, str, str]] = {
    # tf type: (parent's ARM type path, argument naming the parent, child segment)
    "azurerm_subnet": ("Microsoft.Network/virtualNetworks", "virtual_network_name", "subnets"),
    "azurerm_virtual_network_peering": (
        "Microsoft.Network/virtualNetworks",
        "virtual_network_name",
        "virtualNetworkPeerings",
    ),
    "azurerm_network_security_rule": (
        "Microsoft.Network/networkSecurityGroups",
        "network_security_group_name",
        "securityRules",
    ),
    "azurerm_private_dns_zone_virtual_network_link": (
        "Microsoft.Network/privateDnsZones",
        "private_dns_zone_name",
        "virtualNetworkLinks",
    ),
    "azurerm_private_dns_a_record": ("Microsoft.Network/privateDnsZones", "zone_name", "A"),
    "azurerm_private_dns_aaaa_record": ("Microsoft.Network/privateDnsZones", "zone_name", "AAAA"),
    "azurerm_private_dns_cname_record": (
        "Microsoft.Network/privateDnsZones",
        "zone_name",
        "CNAME",
    ),
    "azurerm_route": ("Microsoft.Network/routeTables", "route_table_name", "routes"),
    "azurerm_monitor_private_link_scoped_service": (
        "Microsoft.Insights/privateLinkScopes",
        "scope_name",
        "scopedResources",
    ),
}
_CHILD_BY_ID: dict[str, tuple[str, str]] = {
    # tf type: (argument holding the parent's id, child segment)
    "azurerm_machine_learning_compute_cluster": ("machine_learning_workspace_id", "computes"),
    "azurerm_machine_learning_compute_instance": ("machine_learning_workspace_id", "computes"),
    "azurerm_machine_learning_inference_cluster": ("machine_learning_workspace_id", "computes"),
    "azurerm_machine_learning_synapse_spark": ("machine_learning_workspace_id", "computes"),
    "azurerm_virtual_machine_extension": ("virtual_machine_id", "extensions"),
    "azurerm_lb_rule": ("loadbalancer_id", "loadBalancingRules"),
    "azurerm_lb_nat_rule": ("loadbalancer_id", "inboundNatRules"),
    "azurerm_lb_backend_address_pool": ("loadbalancer_id", "backendAddressPools"),
    "azurerm_lb_probe": ("loadbalancer_id", "probes"),
    "azurerm_lb_nat_pool": ("loadbalancer_id", "inboundNatPools"),
    "azurerm_lb_backend_address_pool_address": (
        "backend_address_pool_id",
        "loadBalancerBackendAddresses",
    ),
    "azurerm_private_dns_resolver_inbound_endpoint": (
        "private_dns_resolver_id",
        "inboundEndpoints",
    ),
    "azurerm_private_dns_resolver_outbound_endpoint": (
        "private_dns_resolver_id",
        "outboundEndpoints",
    ),
    "azurerm_private_dns_resolver_forwarding_rule": (
        "dns_forwarding_ruleset_id",
        "forwardingRules",
    ),
    "azurerm_private_dns_resolver_virtual_network_link": (
        "dns_forwarding_ruleset_id",
        "virtualNetworkLinks",
    ),
    "azurerm_machine_learning_workspace_network_outbound_rule_fqdn": (
        "workspace_id",
        "outboundRules",
    ),
    "azurerm_machine_learning_workspace_network_outbound_rule_private_endpoint": (
        "workspace_id",
        "outboundRules",
    ),
    "azurerm_machine_learning_workspace_network_outbound_rule_service_tag": (
        "workspace_id",
        "outboundRules",
    ),
}
# Associations take the id of what they associate (as the provider does).
_SAME_AS: dict[str, str] = {
    "azurerm_subnet_network_security_group_association": "subnet_id",
    "azurerm_subnet_route_table_association": "subnet_id",
    "azurerm_subnet_nat_gateway_association": "subnet_id",
    "azurerm_storage_account_network_rules": "storage_account_id",
}


def subscription_of(r: TfResource) -> str:
    sub = r.provider_subscription
    return sub if isinstance(sub, str) and sub else PLACEHOLDER_SUBSCRIPTION


def _part(r: TfResource, value: Any, what: str) -> str:
    """One id segment: the value when it is a known, non-empty string, else the address."""
    if isinstance(value, str) and value and type(value) is not UnknownValue:
        return value.replace("/", "%2F")
    return "{" + r.address + (f" {what}" if what else "") + "}"


def resource_group_id(r: TfResource, rg: Any = None) -> str:
    rg = r.get("resource_group_name") if rg is None else rg
    return f"/subscriptions/{subscription_of(r)}/resourceGroups/{_group(r, rg)}"


def _group(r: TfResource, rg: Any) -> str:
    """The resource group segment. One the configuration cannot tell is named by what its
    expression refers to, in its module (``{var.rg}``, ``{module.net var.rg}``,
    ``{azurerm_resource_group.rg}`` — the group resource's own id segment), so resources
    that take their group from the same place share it and children fold into their
    parents, as they will in Azure; with nothing to name, the resource's address."""
    if isinstance(rg, str) and rg and type(rg) is not UnknownValue:
        return _part(r, rg, "resource group")
    refs = r.references.get("resource_group_name") or []
    if not refs:
        return _part(r, rg, "resource group")
    if len(refs) == 1 and not refs[0].startswith(("var.", "local.", "data.", "module.")):
        where = f"{r.module}." if r.module else ""  # a resource: its own placeholder
        return "{" + where + refs[0] + "}"
    where = f"{r.module} " if r.module else ""
    return "{" + where + " ".join(refs) + "}"


def synthesize_id(r: TfResource) -> str:
    """The ARM id of ``r`` (a managed resource or a data source)."""
    known = r.values.get("id")
    if isinstance(known, str) and known.startswith("/subscriptions/"):
        return known
    name = _part(r, r.get("name"), "")
    if r.type == "azurerm_resource_group":
        return f"/subscriptions/{subscription_of(r)}/resourceGroups/{name}"
    if r.type in _TOP:
        return f"{resource_group_id(r)}/providers/{_TOP[r.type]}/{name}"
    if r.type in _CHILD_BY_NAME:
        parent_type, attr, segment = _CHILD_BY_NAME[r.type]
        parent = _part(r, r.get(attr), attr)
        return f"{resource_group_id(r)}/providers/{parent_type}/{parent}/{segment}/{name}"
    if r.type in _CHILD_BY_ID:
        attr, segment = _CHILD_BY_ID[r.type]
        parent = r.get(attr)
        if not (isinstance(parent, str) and parent.startswith("/")):
            parent = f"/subscriptions/{subscription_of(r)}/{{{r.address} {attr}}}"
        return f"{parent.rstrip('/')}/{segment}/{name}"
    if r.type in _SAME_AS:
        same = r.get(_SAME_AS[r.type])
        if isinstance(same, str) and same.startswith("/"):
            return same
    # not an azurerm type this tool maps: an id that names it and stays distinct
    return f"{resource_group_id(r)}/providers/terraform/{r.type}/{name}"
