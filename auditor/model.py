"""The graph's vocabulary: every node kind, edge kind and row field, written down once.

Nodes are keyed by the lower-cased ARM id (see ``arm.key``) and carry:

* ``kind``: one of :data:`NODE_KINDS`;
* ``type``: the lower-case ARM type;
* ``row``: the Resource Graph row (for subnets: the embedded subnet object, with ``type``
  and ``vnetId`` added), printed ids are taken from it;
* ``seen``: False for a placeholder: a resource referenced by a seen row but not itself in
  the estate (another subscription, or not collected). Rules never judge placeholders; the
  report lists them as "referenced but not seen".

Edges are directed, typed by their networkx key (one of :data:`EDGE_KINDS`) and carry the
attributes listed with each kind. ``graph.py`` dispatches on these kinds, the relations
declare their items' edge fields by naming an edge kind, and rule paths are checked
against :data:`ROW_FIELDS` and those fields when a rule loads.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NodeKind:
    arm_type: str  # lower case; "" for kinds that are no ARM resource
    description: str


@dataclass(frozen=True)
class EdgeKind:
    sources: tuple[str, ...]  # node kinds it leaves from
    targets: tuple[str, ...]  # node kinds it points at; ("any",) for any kind
    attributes: tuple[str, ...]  # what the edge carries (a relation item's ``edge.*``)
    description: str


NODE_KINDS: dict[str, NodeKind] = {
    "vnet": NodeKind("microsoft.network/virtualnetworks", "virtual network"),
    "subnet": NodeKind(
        "microsoft.network/virtualnetworks/subnets",
        "subnet (embedded in the VNet row as properties.subnets[])",
    ),
    "nsg": NodeKind(
        "microsoft.network/networksecuritygroups", "network security group with its rules"
    ),
    "nic": NodeKind("microsoft.network/networkinterfaces", "network interface"),
    "public_ip": NodeKind("microsoft.network/publicipaddresses", "public IP address"),
    "bastion": NodeKind("microsoft.network/bastionhosts", "Azure Bastion host"),
    "vm": NodeKind("microsoft.compute/virtualmachines", "virtual machine"),
    "private_endpoint": NodeKind("microsoft.network/privateendpoints", "private endpoint"),
    "dns_zone_group": NodeKind(
        "microsoft.network/privateendpoints/privatednszonegroups",
        "private endpoint's DNS zone group (read from ARM; not in Resource Graph)",
    ),
    "private_dns_zone": NodeKind("microsoft.network/privatednszones", "private DNS zone"),
    "dns_zone_link": NodeKind(
        "microsoft.network/privatednszones/virtualnetworklinks",
        "private DNS zone's virtual network link (also drawn as a linked_to edge)",
    ),
    "dns_record": NodeKind(
        "microsoft.network/privatednszones/a",
        "private DNS A record set (dnsresources)",
    ),
    "aml_workspace": NodeKind("microsoft.machinelearningservices/workspaces", "Azure ML workspace"),
    "aml_compute": NodeKind(
        "microsoft.machinelearningservices/workspaces/computes",
        "Azure ML compute (read from ARM; settings under properties.properties)",
    ),
    "storage_account": NodeKind("microsoft.storage/storageaccounts", "storage account"),
    "key_vault": NodeKind("microsoft.keyvault/vaults", "key vault"),
    "container_registry": NodeKind("microsoft.containerregistry/registries", "container registry"),
    "app_insights": NodeKind("microsoft.insights/components", "Application Insights component"),
    "vnet_peering": NodeKind(
        "microsoft.network/virtualnetworks/virtualnetworkpeerings",
        "VNet peering given as a row of its own (az network vnet peering list, an ARM "
        "export): read onto its VNet's peers_with edge, like an embedded entry",
    ),
    "vnet_gateway": NodeKind(
        "microsoft.network/virtualnetworkgateways",
        "virtual network gateway (VPN or ExpressRoute), in its VNet's GatewaySubnet",
    ),
    "virtual_hub": NodeKind(
        "microsoft.network/virtualhubs",
        "virtual hub: an Azure Route Server when it sits in a VNet (kind RouteServer), "
        "else a Virtual WAN hub",
    ),
    "online_endpoint": NodeKind(
        "microsoft.machinelearningservices/workspaces/onlineendpoints",
        "Azure ML online endpoint (managed, or Kubernetes when properties.compute is set)",
    ),
    "online_deployment": NodeKind(
        "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments",
        "Azure ML online deployment",
    ),
    "aml_registry": NodeKind("microsoft.machinelearningservices/registries", "Azure ML registry"),
    "aks_cluster": NodeKind(
        "microsoft.containerservice/managedclusters", "AKS cluster (an inference compute's)"
    ),
    "ampls": NodeKind("microsoft.insights/privatelinkscopes", "Azure Monitor Private Link Scope"),
    "ampls_scoped": NodeKind(
        "microsoft.insights/privatelinkscopes/scopedresources",
        "AMPLS scoped resource (read from ARM; not in Resource Graph; also drawn as scopes)",
    ),
    "dns_resolver": NodeKind("microsoft.network/dnsresolvers", "Azure DNS Private Resolver"),
    "dns_inbound_endpoint": NodeKind(
        "microsoft.network/dnsresolvers/inboundendpoints",
        "DNS Private Resolver inbound endpoint: an IP that answers with Azure DNS of the "
        "resolver's VNet (read from ARM per resolver)",
    ),
    "dns_forwarding_ruleset": NodeKind(
        "microsoft.network/dnsforwardingrulesets", "DNS Private Resolver forwarding ruleset"
    ),
    "dns_ruleset_link": NodeKind(
        "microsoft.network/dnsforwardingrulesets/virtualnetworklinks",
        "forwarding ruleset's virtual network link (read from ARM per ruleset; also drawn as "
        "a ruleset_linked_to edge)",
    ),
    "dns_forwarding_rule": NodeKind(
        "microsoft.network/dnsforwardingrulesets/forwardingrules",
        "forwarding rule: a domain and the DNS servers it is sent to (read from ARM per ruleset)",
    ),
    "azure_firewall": NodeKind(
        "microsoft.network/azurefirewalls", "Azure Firewall (a DNS proxy when enabled)"
    ),
    "firewall_policy": NodeKind(
        "microsoft.network/firewallpolicies", "Azure Firewall policy (its DNS proxy settings)"
    ),
    "load_balancer": NodeKind(
        "microsoft.network/loadbalancers",
        "load balancer: frontends, rules, inbound NAT rules and pools (read by exposure)",
    ),
    "vmss": NodeKind(
        "microsoft.compute/virtualmachinescalesets",
        "VM scale set; its NIC configuration stands for its instances' NICs",
    ),
    "vm_extension": NodeKind(
        "microsoft.compute/virtualmachines/extensions",
        "VM extension: publisher, type and its public settings (a protected settings value "
        "is never read: Azure never returns one, and from Terraform "
        "properties.protectedSettingsSet says whether one is given). A live scan reads them by "
        "a Resource Graph query of their own (collection vmextensions)",
    ),
    "tf_variable": NodeKind(
        "terraform/variables",
        "a Terraform input variable (a row of the Terraform input only; id "
        "/providers/Terraform/variables/<address>, a namespace without a dot, which no ARM "
        "provider has): whether it is sensitive and has a default, never the default itself",
    ),
    "dns_server": NodeKind(
        "", "a custom DNS server IP named in a VNet's dhcpOptions (no ARM resource)"
    ),
    "other": NodeKind(
        "", "any other resource type: kept, counted in the inventory, judged by no rule"
    ),
}

KIND_OF_TYPE: dict[str, str] = {k.arm_type: name for name, k in NODE_KINDS.items() if k.arm_type}
TYPE_OF_KIND: dict[str, str] = {name: t for t, name in KIND_OF_TYPE.items()}

EDGE_KINDS: dict[str, EdgeKind] = {
    "contains": EdgeKind(("vnet",), ("subnet",), (), "the VNet holds the subnet"),
    "in_subnet": EdgeKind(
        ("nic", "private_endpoint", "aml_compute", "bastion", "vmss"),
        ("subnet",),
        (),
        "the resource's IP configuration sits in the subnet",
    ),
    "protects": EdgeKind(
        ("nsg",),
        ("subnet", "nic", "vmss"),
        (),
        "the NSG is associated with the subnet or NIC (or a scale set's NIC configuration)",
    ),
    "peers_with": EdgeKind(
        ("vnet",),
        ("vnet",),
        (
            "name",
            "id",
            "state",
            "sync",
            "allow_vnet_access",
            "allow_forwarded_traffic",
            "allow_gateway_transit",
            "use_remote_gateways",
            "peer_complete_vnets",
            "local_subnet_names",
            "remote_subnet_names",
            "local_address_space",
            "remote_address_space",
            "local_vnet_space",
            "remote_vnet_space",
        ),
        "one side's peering entry (peering is one-directional per VNet); the subnet and "
        "address-space fields are None unless the entry gives them (subnet-level peering)",
    ),
    "targets": EdgeKind(
        ("private_endpoint",),
        ("any",),
        ("connection", "group_ids", "status", "manual"),
        "the endpoint's private link service connection to its target resource",
    ),
    "has_zone_group": EdgeKind(
        ("private_endpoint",), ("dns_zone_group",), (), "the endpoint's DNS zone group"
    ),
    "uses_zone": EdgeKind(
        ("dns_zone_group",),
        ("private_dns_zone",),
        ("config",),
        "the zone group registers the endpoint's records in the zone",
    ),
    "linked_to": EdgeKind(
        ("private_dns_zone",),
        ("vnet",),
        ("link", "link_name", "registration_enabled", "state", "resolution_policy"),
        "a virtual network link: the VNet resolves names from the zone",
    ),
    "record_in": EdgeKind(
        ("dns_record",), ("private_dns_zone",), (), "the record set belongs to the zone"
    ),
    "uses": EdgeKind(
        ("aml_workspace",),
        ("storage_account", "key_vault", "container_registry", "app_insights"),
        ("role",),
        "the workspace's associated resource",
    ),
    "attached_to": EdgeKind(
        ("public_ip", "nic"),
        ("nic", "bastion", "vm", "private_endpoint", "load_balancer", "vmss"),
        (),
        "a public IP on a NIC, Bastion, load balancer frontend or scale set instance; a NIC "
        "on a VM or private endpoint",
    ),
    "compute_of": EdgeKind(
        ("aml_compute",), ("aml_workspace",), (), "the compute belongs to the workspace"
    ),
    "uses_dns_server": EdgeKind(
        ("vnet", "nic"),
        ("dns_server",),
        ("order",),
        "the VNet's dhcpOptions.dnsServers (or a NIC's dnsSettings.dnsServers, which "
        "override its VNet's) names a DNS server",
    ),
    "gateway_in": EdgeKind(
        ("vnet_gateway", "virtual_hub"),
        ("vnet",),
        ("subnet", "via"),
        "a gateway or Route Server serves the VNet: its IP configuration sits in the VNet's "
        "subnet (via ipConfiguration), or its router IPs lie in the VNet's space "
        "(via virtualRouterIps)",
    ),
    "belongs_to": EdgeKind(
        ("online_endpoint", "online_deployment"),
        ("aml_workspace", "online_endpoint"),
        (),
        "an online endpoint belongs to its workspace, a deployment to its endpoint",
    ),
    "in_hub": EdgeKind(
        ("aml_workspace",),
        ("aml_workspace",),
        (),
        "a project workspace's hub (properties.hubResourceId): the project inherits its network",
    ),
    "runs_on": EdgeKind(
        ("aml_compute",),
        ("aks_cluster", "other"),
        (),
        "an AKS / Kubernetes compute's cluster (properties.resourceId)",
    ),
    "scopes": EdgeKind(
        ("ampls",),
        ("app_insights", "other"),
        ("scoped_resource",),
        "the AMPLS scopes the Azure Monitor resource (a scopedResources row, or the "
        "component's PrivateLinkScopedResources)",
    ),
    "backend_of": EdgeKind(
        ("nic", "vmss"),
        ("load_balancer",),
        (),
        "the NIC or scale set is a backend of the load balancer (a pool member, an inbound "
        "NAT rule's target or a NAT pool's scale set); the forwarding rules are "
        "AuditGraph.lb_forwards",
    ),
    "hosted_in": EdgeKind(
        ("dns_server",),
        ("vnet",),
        ("prefix",),
        "the DNS server's IP lies in the VNet's address space",
    ),
    "resolver_in": EdgeKind(
        ("dns_resolver",), ("vnet",), (), "the DNS Private Resolver is deployed in the VNet"
    ),
    "inbound_of": EdgeKind(
        ("dns_inbound_endpoint",), ("dns_resolver",), (), "the inbound endpoint's resolver"
    ),
    "ruleset_linked_to": EdgeKind(
        ("dns_forwarding_ruleset",),
        ("vnet",),
        ("link", "link_name"),
        "a ruleset's virtual network link: Azure DNS in the VNet applies the ruleset's rules",
    ),
    "rule_of": EdgeKind(
        ("dns_forwarding_rule",),
        ("dns_forwarding_ruleset",),
        (),
        "the forwarding rule belongs to the ruleset",
    ),
    "uses_policy": EdgeKind(
        ("azure_firewall",), ("firewall_policy",), (), "the firewall is governed by the policy"
    ),
    "extension_of": EdgeKind(
        ("vm_extension",), ("vm",), (), "the extension runs on the VM its id names"
    ),
    "uses_variable": EdgeKind(
        ("vm_extension",),
        ("tf_variable",),
        ("attribute",),
        "the extension's Terraform attribute (settings) is computed from the variable",
    ),
}

# The top-level fields of an ARM resource as Resource Graph and ARM return it (and the
# ones the graph adds to embedded subnets and DNS servers). A rule path into a resource's
# row must start with one of them, so a typo such as ``subject.propertes`` is refused when
# the rule loads instead of reading as "absent". Compared case-insensitively, as paths are.
ROW_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "type",
    "kind",
    "location",
    "resourceGroup",
    "subscriptionId",
    "tenantId",
    "managedBy",
    "sku",
    "plan",
    "properties",
    "tags",
    "identity",
    "zones",
    "extendedLocation",
    "etag",
    "apiVersion",
    "systemData",
    "managedByExtended",
    "createdTime",  # ARM with $expand=createdTime,changedTime
    "changedTime",
    "vnetId",  # added to embedded subnets
    "vnetName",
    "ip",  # of a dns_server node
)


# -- Azure's own verdicts: the cross-reference's rows (crossref.py) ------------------------
# Not resources: Resource Graph rows of Azure Policy's non-compliant states and Defender for
# Cloud's unhealthy assessments, projected to these columns (queries.POLICY_STATES,
# queries.ASSESSMENTS). No rule reads them; a row whose field is not of its kind is dropped
# from the cross-reference with the reason, never trusted.
POLICY_STATE_TYPE = "microsoft.policyinsights/policystates"
ASSESSMENT_TYPE = "microsoft.security/assessments"


@dataclass(frozen=True)
class FlagField:
    name: str  # the projected column
    kind: str  # "arm-id" | "text" | "object"
    required: bool  # a row without it is dropped
    description: str


FLAG_FIELDS: dict[str, tuple[FlagField, ...]] = {
    POLICY_STATE_TYPE: (
        FlagField("id", "arm-id", True, "the policy state's own id (unique: what pages sort by)"),
        FlagField("resourceId", "arm-id", True, "the evaluated resource"),
        FlagField("complianceState", "text", True, "NonCompliant (the query keeps no other)"),
        FlagField("policyAssignmentId", "arm-id", True, "the assignment that flags it"),
        FlagField("policyAssignmentName", "text", False, "the assignment's name"),
        FlagField(
            "policyDefinitionId", "arm-id", True, "the policy definition (a built-in's GUID last)"
        ),
        FlagField(
            "policyDefinitionReferenceId", "text", False, "its reference id in an initiative"
        ),
        FlagField("policySetDefinitionId", "arm-id", False, "the initiative, when assigned in one"),
        FlagField("timestamp", "text", False, "when Azure Policy evaluated it"),
    ),
    ASSESSMENT_TYPE: (
        FlagField(
            "id",
            "arm-id",
            True,
            "the assessment's id (the resource's id, then "
            "/providers/Microsoft.Security/assessments/{key})",
        ),
        FlagField("name", "text", True, "the assessment key: the recommendation's GUID"),
        FlagField(
            "resourceDetails",
            "object",
            True,
            "the assessed resource: its id under `Id` (Resource Graph) or `id` (REST), read "
            "case-insensitively",
        ),
        FlagField("statusCode", "text", True, "Unhealthy (the query keeps no other)"),
        FlagField("displayName", "text", False, "the recommendation's name"),
        FlagField("policyDefinitionId", "arm-id", False, "the policy behind the recommendation"),
        FlagField("severity", "text", False, "Defender's severity"),
    ),
}
