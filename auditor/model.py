"""The graph's vocabulary: every node kind and edge kind, written down once.

Nodes are keyed by the lower-cased ARM id (see ``arm.key``) and carry:

* ``kind``: one of :data:`NODE_KINDS`;
* ``type``: the lower-case ARM type;
* ``row``: the Resource Graph row (for subnets: the embedded subnet object, with ``type``
  and ``vnetId`` added), printed ids are taken from it;
* ``seen``: False for a placeholder: a resource referenced by a seen row but not itself in
  the estate (another subscription, or not collected). Rules never judge placeholders; the
  report lists them as "referenced but not seen".

Edges are directed, typed by their networkx key (one of :data:`EDGE_KINDS`) and carry the
attributes listed with each kind.
"""

from __future__ import annotations

# kind -> (ARM type, description)
NODE_KINDS: dict[str, tuple[str, str]] = {
    "vnet": ("microsoft.network/virtualnetworks", "virtual network"),
    "subnet": (
        "microsoft.network/virtualnetworks/subnets",
        "subnet (embedded in the VNet row as properties.subnets[])",
    ),
    "nsg": ("microsoft.network/networksecuritygroups", "network security group with its rules"),
    "nic": ("microsoft.network/networkinterfaces", "network interface"),
    "public_ip": ("microsoft.network/publicipaddresses", "public IP address"),
    "bastion": ("microsoft.network/bastionhosts", "Azure Bastion host"),
    "vm": ("microsoft.compute/virtualmachines", "virtual machine"),
    "private_endpoint": ("microsoft.network/privateendpoints", "private endpoint"),
    "dns_zone_group": (
        "microsoft.network/privateendpoints/privatednszonegroups",
        "private endpoint's DNS zone group (read from ARM; not in Resource Graph)",
    ),
    "private_dns_zone": ("microsoft.network/privatednszones", "private DNS zone"),
    "dns_zone_link": (
        "microsoft.network/privatednszones/virtualnetworklinks",
        "private DNS zone's virtual network link (also drawn as a linked_to edge)",
    ),
    "dns_record": (
        "microsoft.network/privatednszones/a",
        "private DNS A record set (dnsresources)",
    ),
    "aml_workspace": ("microsoft.machinelearningservices/workspaces", "Azure ML workspace"),
    "aml_compute": (
        "microsoft.machinelearningservices/workspaces/computes",
        "Azure ML compute (read from ARM; settings under properties.properties)",
    ),
    "storage_account": ("microsoft.storage/storageaccounts", "storage account"),
    "key_vault": ("microsoft.keyvault/vaults", "key vault"),
    "container_registry": ("microsoft.containerregistry/registries", "container registry"),
    "app_insights": ("microsoft.insights/components", "Application Insights component"),
    "dns_server": ("", "a custom DNS server IP named in a VNet's dhcpOptions (no ARM resource)"),
    "other": ("", "any other resource type: kept, counted in the inventory, judged by no rule"),
}

KIND_OF_TYPE: dict[str, str] = {t: k for k, (t, _) in NODE_KINDS.items() if t}

# kind -> (from kinds, to kinds, attributes, description)
EDGE_KINDS: dict[str, tuple[str, str, str, str]] = {
    "contains": ("vnet", "subnet", "-", "the VNet holds the subnet"),
    "in_subnet": (
        "nic, private_endpoint, aml_compute, bastion",
        "subnet",
        "-",
        "the resource's IP configuration sits in the subnet",
    ),
    "protects": ("nsg", "subnet, nic", "-", "the NSG is associated with the subnet or NIC"),
    "peers_with": (
        "vnet",
        "vnet",
        "name, id, state, sync, allow_vnet_access, allow_forwarded_traffic, "
        "allow_gateway_transit, use_remote_gateways",
        "one side's peering entry (peering is one-directional per VNet)",
    ),
    "targets": (
        "private_endpoint",
        "any",
        "connection, group_ids, status, manual",
        "the endpoint's private link service connection to its target resource",
    ),
    "has_zone_group": ("private_endpoint", "dns_zone_group", "-", "the endpoint's DNS zone group"),
    "uses_zone": (
        "dns_zone_group",
        "private_dns_zone",
        "config",
        "the zone group registers the endpoint's records in the zone",
    ),
    "linked_to": (
        "private_dns_zone",
        "vnet",
        "link, link_name, registration_enabled, state, resolution_policy",
        "a virtual network link: the VNet resolves names from the zone",
    ),
    "record_in": ("dns_record", "private_dns_zone", "-", "the record set belongs to the zone"),
    "resolves_to": (
        "dns_record",
        "private_endpoint",
        "ip",
        "an A record points at one of the endpoint's private IPs",
    ),
    "uses": (
        "aml_workspace",
        "storage_account, key_vault, container_registry, app_insights",
        "role",
        "the workspace's associated resource",
    ),
    "attached_to": (
        "public_ip, nic",
        "nic, bastion, vm, private_endpoint",
        "-",
        "a public IP on a NIC or Bastion; a NIC on a VM or private endpoint",
    ),
    "compute_of": ("aml_compute", "aml_workspace", "-", "the compute belongs to the workspace"),
    "uses_dns_server": (
        "vnet",
        "dns_server",
        "order",
        "the VNet's dhcpOptions.dnsServers names a custom DNS server",
    ),
    "hosted_in": (
        "dns_server",
        "vnet",
        "prefix",
        "the DNS server's IP lies in the VNet's address space",
    ),
}


def describe_model() -> str:
    """The vocabulary as Markdown: ``docs/model.md`` is this text (a test keeps them equal;
    ``python -m auditor.model > docs/model.md`` rewrites it)."""
    from .relations import RELATIONS

    lines = [
        "# Graph model",
        "",
        "Generated from `auditor/model.py` and `auditor/relations.py`; do not edit by hand.",
        "Nodes are keyed by the lower-cased ARM id; a referenced resource that is not in the",
        "estate is a placeholder node (`seen=False`) that no rule judges.",
        "",
        "## Node kinds",
        "",
        "| kind | ARM type | what |",
        "|---|---|---|",
    ]
    for kind, (rtype, what) in NODE_KINDS.items():
        lines.append(f"| `{kind}` | `{rtype or '-'}` | {what} |")
    lines += ["", "## Edge kinds", "", "| kind | from | to | attributes | meaning |"]
    lines.append("|---|---|---|---|---|")
    for kind, (src, dst, attrs, what) in EDGE_KINDS.items():
        lines.append(f"| `{kind}` | {src} | {dst} | {attrs} | {what} |")
    lines += [
        "",
        "## Relations rules can use",
        "",
        "Computed once per node by `auditor/relations.py`; a rule names them in",
        "`each: {relation: …}` or `{relation: …, exists|count: …}`.",
        "",
        "| relation | on | what it yields |",
        "|---|---|---|",
    ]
    for name, rel in sorted(RELATIONS.items()):
        lines.append(f"| `{name}` | {', '.join(sorted(rel.kinds))} | {rel.doc} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(describe_model(), end="")
