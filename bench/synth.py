"""Deterministic synthetic Azure ML estates, in Azure Resource Graph row shape.

An estate is a list of *landing zones*. Each landing zone is one subscription holding the
reference architecture of ``docs/reference-architecture.md`` (Microsoft's "Secure MLOps
solutions with Azure network security"):

* ``vnet-bastion`` (rg-bastion): Azure Bastion in AzureBastionSubnet with its own public IP,
  a jump-host VM (snet-jumphost) and two self-hosted pipeline agents (snet-agents), none of
  them with a public IP;
* ``vnet-aml`` (rg-aml): private endpoints for the AML workspace, Blob and File storage, Key
  Vault and Container Registry (snet-endpoints); a compute cluster and a compute instance
  (snet-training, whose NSG carries the outbound rules AML compute needs); snet-inference;
* the two VNets peered both ways, Connected; an NSG on every subnet;
* six private DNS zones (rg-dns) linked to both VNets, holding the A records that the private
  endpoints' DNS zone groups write;
* the workspace and its dependencies (storage, key vault, registry, Application Insights)
  with public network access disabled and an approved private endpoint connection on each.

Rows come from where a collector would get them: the Resource Graph ``resources`` table, its
``dnsresources`` table (A records), and ARM GETs for what Resource Graph lacks (AML computes
and private DNS zone groups, which keep ARM's casing in ``type`` and ARM's row shape).

A *fault* (see FAULTS) turns one aspect of a landing zone away from the reference. The
``terraform`` reference estate is the architecture as the article's Terraform snippets build it.
Everything is deterministic: names, UUIDs (uuid5), addresses and fault choice depend only on
the arguments, and the CLI writes byte-identical files for identical arguments.

    python bench/synth.py --rows 100000 --out FILE [--format array|az|snapshot]
                          [--fault-share 0.2] [--seed 7]
    python bench/synth.py --reference good|terraform --out FILE [--format ...]
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import json
import random
import re
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

Row = dict[str, Any]

FAULTS: dict[str, str] = {
    "ws-public": "workspace publicNetworkAccess is 'Enabled'",
    "ws-pna-absent": "workspace has no publicNetworkAccess property (left at its default)",
    "acr-admin": "container registry adminUserEnabled is true",
    "acr-zone-unlinked-agents": "privatelink.azurecr.io is not linked to vnet-bastion (agents)",
    "storage-public": "storage publicNetworkAccess 'Enabled' and networkAcls.defaultAction 'Allow'",
    "blob-public": "storage allowBlobPublicAccess is true",
    "kv-public": "key vault publicNetworkAccess 'Enabled' and networkAcls.defaultAction 'Allow'",
    "pe-pending": "the key vault private endpoint connection is 'Pending' (both sides)",
    "no-zone-group": "the file private endpoint has no DNS zone group, so no A record either",
    "wrong-zone": "the blob endpoint's zone group points at the file zone (record lands there)",
    "peering-initiated": "bastion->aml peering is 'Initiated' and aml has no peering back",
    "subnet-no-nsg": "snet-jumphost has no NSG (nsg-jumphost exists but is not associated)",
    "nsg-ssh-internet": "nsg-jumphost allows inbound 22 from '*' or 'Internet' at priority 100",
    "vm-public-ip": "the jump host's NIC has a public IP",
    "vm-password-auth": "the jump host allows password authentication",
    "extension-secret": "a build agent's custom script extension has the PAT in public settings",
    "compute-public-ip": "the compute cluster has enableNodePublicIp true",
    "ci-public-ssh": "the compute instance has sshSettings.sshPublicAccess 'Enabled'",
    "custom-dns-unlinked": "vnet-bastion uses a DNS server VM in a peered vnet-hub that no "
    "private DNS zone is linked to",
    "appi-public": "App Insights takes ingestion and queries from public networks",
    "appi-local-auth": "App Insights accepts key-only (local) ingestion",
    "appi-unscoped": "App Insights is in no Azure Monitor Private Link Scope (and there is none)",
}

# The article's Terraform: admin_enabled = true; the azurecr zone linked to the AML VNet only;
# public_network_access_enabled left at its default; node_public_ip_enabled not set (true).
# (Its azurerm_application_insights is at its defaults too — appi-public, appi-local-auth,
# appi-unscoped — which this estate does not plant yet: the reports built on it pin its
# four findings.)
TERRAFORM_FAULTS = frozenset(
    {"acr-admin", "acr-zone-unlinked-agents", "ws-pna-absent", "compute-public-ip"}
)

NAMESPACE = uuid.UUID("5b0e4d1c-3f1a-4c47-9a43-6d2f1c0a7e01")  # fixed: ids never change
REGIONS = ("westeurope", "eastus2", "koreacentral", "swedencentral")

API = "privatelink.api.azureml.ms"
NOTEBOOKS = "privatelink.notebooks.azure.net"
BLOB = "privatelink.blob.core.windows.net"
FILE = "privatelink.file.core.windows.net"
VAULT = "privatelink.vaultcore.azure.net"
ACR = "privatelink.azurecr.io"
DNS_ZONES = (API, NOTEBOOKS, BLOB, FILE, VAULT, ACR)
PUBLIC_SUFFIX = {zone: zone.removeprefix("privatelink.") for zone in DNS_ZONES}
PUBLIC_SUFFIX[VAULT] = "vault.azure.net"

# Address plan. Landing zone i gets the i-th /20 of 10.0.0.0/8 (vnet-bastion: its first /22,
# vnet-aml: its second /21) and the i-th /24 of 172.16.0.0/12 for vnet-hub. That is 4,096
# zones without any overlap; beyond that the plan wraps around and addresses repeat, which is
# acceptable for benchmarks. (/16 pairs per zone cannot work: RFC 1918 plus 100.64.0.0/10
# hold only 337 /16s.)
ZONE_BLOCKS = ipaddress.IPv4Network("10.0.0.0/8")
HUB_BLOCKS = ipaddress.IPv4Network("172.16.0.0/12")
VNET_PLAN = {"bastion": (22, 0), "aml": (21, 1)}  # VNet -> (prefix, n-th block of the /20)
# subnet -> (VNet, prefix, n-th block of that size in the VNet, NSG name)
SUBNETS = {
    "AzureBastionSubnet": ("bastion", 26, 0, "nsg-bastion"),
    "snet-jumphost": ("bastion", 24, 1, "nsg-jumphost"),
    "snet-agents": ("bastion", 24, 2, "nsg-agents"),
    "snet-endpoints": ("aml", 24, 0, "nsg-endpoints"),
    "snet-training": ("aml", 23, 1, "nsg-training"),
    "snet-inference": ("aml", 22, 1, "nsg-inference"),
    "snet-dns": ("hub", 26, 0, "nsg-dns"),
}


def guid(*parts: object) -> str:
    """A deterministic UUID for a path of parts."""
    return str(uuid.uuid5(NAMESPACE, "/".join(map(str, parts))))


TENANT = guid("tenant")


def block(base: ipaddress.IPv4Network, n: int, prefix: int) -> ipaddress.IPv4Network:
    """The n-th /prefix inside base, wrapping around when base is full."""
    count = 1 << (prefix - base.prefixlen)
    size = 1 << (32 - prefix)
    return ipaddress.IPv4Network((int(base.network_address) + (n % count) * size, prefix))


def host(net: ipaddress.IPv4Network, n: int) -> str:
    return str(net.network_address + n)


def arm_id(sub: str, rg: str, rtype: str, name: str, *children: str) -> str:
    """``/subscriptions/<sub>/resourceGroups/<rg>/providers/<rtype>/<name>[/<type>/<name>…]``."""
    return "/".join(
        (f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{rtype}", name, *children)
    )


def arg_type(rid: str) -> str:
    """The Resource Graph type an id spells: provider/type[/child type…], lower case."""
    rest = rid.split("/providers/", 1)[1].split("/")
    return "/".join([rest[0], *rest[1::2]]).lower()


def row(
    rid: str,
    location: str,
    properties: dict[str, Any] | None,
    *,
    kind: str | None = None,
    sku: dict[str, Any] | None = None,
    identity: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> Row:
    """A Resource Graph row; name, type, group and subscription come from the id."""
    parts = rid.split("/")
    return {
        "id": rid,
        "name": parts[-1],
        "type": arg_type(rid),
        "kind": kind,
        "location": location,
        "resourceGroup": parts[4],
        "subscriptionId": parts[2],
        "tenantId": TENANT,
        "sku": sku,
        "identity": identity,
        "tags": {} if tags is None else tags,
        "properties": properties,
    }


def ref(rid: str) -> dict[str, str]:
    return {"id": rid}


@dataclass(frozen=True)
class Record:
    zone: str  # private DNS zone
    name: str  # record name relative to the zone

    @property
    def fqdn(self) -> str:
        """The public name clients look up, which CNAMEs to ``<name>.<zone>``."""
        return f"{self.name}.{PUBLIC_SUFFIX[self.zone]}"


@dataclass(frozen=True)
class Member:
    name: str  # requiredMemberName
    ip: str
    records: tuple[Record, ...]


@dataclass(frozen=True)
class Endpoint:
    group: str  # groupId; the endpoint is named pe-<group>
    target: str  # the private link resource's id
    members: tuple[Member, ...]


@dataclass(frozen=True)
class LandingZone:
    """Names, ids and addresses of one landing zone."""

    index: int
    faults: frozenset[str]
    seed_name: str

    @cached_property
    def sub(self) -> str:
        return guid(self.seed_name, "subscription", self.index)

    @cached_property
    def region(self) -> str:
        return REGIONS[self.index % len(REGIONS)]

    @cached_property
    def stem(self) -> str:
        """Suffix of globally unique names: [a-z0-9], at most 10 + 5 characters."""
        seed = re.sub("[^a-z0-9]", "", self.seed_name.lower())[:10]
        return f"{seed or 'mlops'}{self.index:05d}"

    @property
    def tags(self) -> dict[str, str]:
        return {"workload": "mlops", "landingZone": self.stem}

    def id(self, rg: str, rtype: str, name: str, *children: str) -> str:
        return arm_id(self.sub, rg, rtype, name, *children)

    def prefix(self, vnet: str) -> ipaddress.IPv4Network:
        if vnet == "hub":
            return block(HUB_BLOCKS, self.index, 24)
        size, n = VNET_PLAN[vnet]
        return block(block(ZONE_BLOCKS, self.index, 20), n, size)

    def vnet_id(self, vnet: str) -> str:
        return self.id(f"rg-{vnet}", "Microsoft.Network/virtualNetworks", f"vnet-{vnet}")

    def subnet_prefix(self, subnet: str) -> ipaddress.IPv4Network:
        vnet, size, n, _ = SUBNETS[subnet]
        return block(self.prefix(vnet), n, size)

    def subnet_id(self, subnet: str) -> str:
        return f"{self.vnet_id(SUBNETS[subnet][0])}/subnets/{subnet}"

    def nsg_id(self, subnet: str) -> str:
        vnet, _, _, nsg = SUBNETS[subnet]
        return self.id(f"rg-{vnet}", "Microsoft.Network/networkSecurityGroups", nsg)

    def zone_id(self, zone: str) -> str:
        return self.id("rg-dns", "Microsoft.Network/privateDnsZones", zone)

    def pe_id(self, group: str) -> str:
        return self.id("rg-aml", "Microsoft.Network/privateEndpoints", f"pe-{group}")

    def aml(self, rtype: str, name: str) -> str:
        return self.id("rg-aml", rtype, name)

    @cached_property
    def ws_name(self) -> str:
        return f"mlw-{self.stem}"

    @cached_property
    def ws_guid(self) -> str:
        return guid(self.sub, "workspace")

    @cached_property
    def ws_id(self) -> str:
        return self.aml("Microsoft.MachineLearningServices/workspaces", self.ws_name)

    @cached_property
    def st_id(self) -> str:
        return self.aml("Microsoft.Storage/storageAccounts", f"st{self.stem}")

    @cached_property
    def kv_id(self) -> str:
        return self.aml("Microsoft.KeyVault/vaults", f"kv-{self.stem}")

    @cached_property
    def cr_id(self) -> str:
        return self.aml("Microsoft.ContainerRegistry/registries", f"cr{self.stem}")

    @cached_property
    def appi_id(self) -> str:
        return self.aml("Microsoft.Insights/components", f"appi-{self.stem}")

    @cached_property
    def ampls_id(self) -> str:
        return self.aml("microsoft.insights/privateLinkScopes", f"ampls-{self.stem}")

    def public_ip(self, n: int) -> str:
        """A fake public address (n=0 bastion, n=1 jump host), unique for 65,536 zones."""
        return f"20.{200 + n}.{(self.index >> 8) & 255}.{self.index & 255}"

    def pe_status(self, group: str) -> str:
        return "Pending" if "pe-pending" in self.faults and group == "vault" else "Approved"


# --------------------------------------------------------------------------- network


# NSG rule specs: (name, direction, priority, protocol, source, destination, ports). Access is
# "Deny" for names starting with Deny. List-valued sources and ports come out as the plural
# properties (sourceAddressPrefixes, destinationPortRanges), as real rules often do.
RuleSpec = tuple[str, str, int, str, str | list[str], str, str | list[str]]
VNET = "VirtualNetwork"
DEFAULT_RULES: list[RuleSpec] = [
    ("AllowVnetInBound", "Inbound", 65000, "*", VNET, VNET, "*"),
    ("AllowAzureLoadBalancerInBound", "Inbound", 65001, "*", "AzureLoadBalancer", "*", "*"),
    ("DenyAllInBound", "Inbound", 65500, "*", "*", "*", "*"),
    ("AllowVnetOutBound", "Outbound", 65000, "*", VNET, VNET, "*"),
    ("AllowInternetOutBound", "Outbound", 65001, "*", "*", "Internet", "*"),
    ("DenyAllOutBound", "Outbound", 65500, "*", "*", "*", "*"),
]
BASTION_RULES: list[RuleSpec] = [  # what Azure Bastion requires on AzureBastionSubnet
    ("AllowHttpsInbound", "Inbound", 120, "Tcp", "Internet", "*", "443"),
    ("AllowGatewayManagerInbound", "Inbound", 130, "Tcp", "GatewayManager", "*", "443"),
    ("AllowAzureLoadBalancerInbound", "Inbound", 140, "Tcp", "AzureLoadBalancer", "*", "443"),
    ("AllowBastionHostCommunication", "Inbound", 150, "*", VNET, VNET, ["8080", "5701"]),
    ("AllowSshRdpOutbound", "Outbound", 100, "*", "*", VNET, ["22", "3389"]),
    ("AllowAzureCloudOutbound", "Outbound", 110, "Tcp", "*", "AzureCloud", "443"),
]
# Outbound service-tag rules Azure ML compute needs (research notes, section 5), from
# VirtualNetwork at priorities 100, 110, ...: (name, protocol, destination tag, ports)
COMPUTE_OUTBOUND: list[tuple[str, str, str, str | list[str]]] = [
    ("AllowAzureActiveDirectory", "Tcp", "AzureActiveDirectory", ["80", "443"]),
    ("AllowAzureMachineLearning", "Tcp", "AzureMachineLearning", ["443", "8787", "18881"]),
    ("AllowAzureMachineLearningUdp", "Udp", "AzureMachineLearning", "5831"),
    ("AllowBatchNodeManagement", "*", "BatchNodeManagement.{region}", "443"),
    ("AllowAzureResourceManager", "Tcp", "AzureResourceManager", "443"),
    ("AllowStorage", "Tcp", "Storage.{region}", ["443", "445"]),
    ("AllowAzureFrontDoor", "Tcp", "AzureFrontDoor.FrontEnd", "443"),
    ("AllowMicrosoftContainerRegistry", "Tcp", "MicrosoftContainerRegistry", "443"),
    ("AllowAzureMonitor", "Tcp", "AzureMonitor", "443"),
    ("AllowVirtualNetwork", "Tcp", VNET, "443"),
]


def rule(nsg: str, spec: RuleSpec, collection: str = "securityRules") -> dict[str, Any]:
    name, direction, priority, protocol, source, destination, ports = spec
    plural = isinstance(source, list)
    props = {
        "direction": direction,
        "access": "Deny" if name.startswith("Deny") else "Allow",
        "priority": priority,
        "protocol": protocol,
        "sourceAddressPrefixes" if plural else "sourceAddressPrefix": source,
        "sourcePortRange": "*",
        "destinationAddressPrefix": destination,
        "destinationPortRanges" if isinstance(ports, list) else "destinationPortRange": ports,
    }
    return {"id": f"{nsg}/{collection}/{name}", "name": name, "properties": props}


def custom_rules(lz: LandingZone, subnet: str) -> list[RuleSpec]:
    """The rules each subnet's NSG carries on top of Azure's defaults."""
    if subnet == "AzureBastionSubnet":
        return BASTION_RULES
    if subnet in ("snet-jumphost", "snet-agents"):
        bastion = [str(lz.subnet_prefix("AzureBastionSubnet"))]
        rules: list[RuleSpec] = [
            ("AllowSshRdpFromBastion", "Inbound", 110, "Tcp", bastion, "*", ["22", "3389"])
        ]
        if subnet == "snet-jumphost" and "nsg-ssh-internet" in lz.faults:
            source = "*" if lz.index % 2 == 0 else "Internet"
            rules.insert(0, ("AllowSshInbound", "Inbound", 100, "Tcp", source, "*", "22"))
        return rules
    if subnet == "snet-training":
        training: list[RuleSpec] = [
            (f"{n}Outbound", "Outbound", 100 + 10 * i, p, VNET, t.format(region=lz.region), ports)
            for i, (n, p, t, ports) in enumerate(COMPUTE_OUTBOUND)
        ]
        if "compute-public-ip" in lz.faults:
            # a cluster with public IPs works only if Azure ML reaches its nodes on TCP 44224
            # (the AML quickstart's nsg.bicep carries this rule); its fault is the public IP
            training.append(
                ("AzureMachineLearningInbound", "Inbound", 130, "Tcp", "AzureMachineLearning",
                 VNET, "44224")
            )  # fmt: skip
        return training
    if subnet == "snet-endpoints":
        clients = [str(lz.prefix("bastion")), str(lz.prefix("aml"))]
        return [("AllowClientsInbound", "Inbound", 100, "Tcp", clients, "*", ["443", "445"])]
    if subnet == "snet-dns":
        return [("AllowDnsInbound", "Inbound", 100, "*", VNET, "*", "53")]
    return [("AllowHttpsFromVnet", "Inbound", 100, "Tcp", VNET, "*", "443")]


def peering(lz: LandingZone, local: str, remote: str, state: str = "Connected") -> dict[str, Any]:
    name = f"peer-{local}-to-{remote}"
    return {
        "id": f"{lz.vnet_id(local)}/virtualNetworkPeerings/{name}",
        "name": name,
        "properties": {
            "remoteVirtualNetwork": ref(lz.vnet_id(remote)),
            "peeringState": state,
            "peeringSyncLevel": "FullyInSync" if state == "Connected" else "RemoteNotInSync",
            "allowVirtualNetworkAccess": True,
            "allowForwardedTraffic": True,
            "allowGatewayTransit": False,
            "useRemoteGateways": False,
            "remoteAddressSpace": {"addressPrefixes": [str(lz.prefix(remote))]},
        },
    }


def has_nsg(lz: LandingZone, subnet: str) -> bool:
    return not (subnet == "snet-jumphost" and "subnet-no-nsg" in lz.faults)


def vnets(lz: LandingZone) -> list[str]:
    return ["bastion", "aml", "hub"] if "custom-dns-unlinked" in lz.faults else ["bastion", "aml"]


def network(lz: LandingZone) -> list[Row]:
    """VNets (subnets and peerings embedded) and one NSG per subnet."""
    peerings: dict[str, list[dict[str, Any]]] = {"bastion": [], "aml": [], "hub": []}
    if "peering-initiated" in lz.faults:
        peerings["bastion"].append(peering(lz, "bastion", "aml", "Initiated"))
    else:
        peerings["bastion"].append(peering(lz, "bastion", "aml"))
        peerings["aml"].append(peering(lz, "aml", "bastion"))
    dns_servers: dict[str, list[str]] = {"bastion": [], "aml": [], "hub": []}
    if "custom-dns-unlinked" in lz.faults:
        peerings["bastion"].append(peering(lz, "bastion", "hub"))
        peerings["hub"].append(peering(lz, "hub", "bastion"))
        dns_servers["bastion"] = [host(lz.subnet_prefix("snet-dns"), 4)]
    rows: list[Row] = []
    for vnet in vnets(lz):
        subnets = []
        for name, (net, *_) in SUBNETS.items():
            if net != vnet:
                continue
            props: dict[str, Any] = {"addressPrefix": str(lz.subnet_prefix(name))}
            if has_nsg(lz, name):
                props["networkSecurityGroup"] = ref(lz.nsg_id(name))
            props["privateEndpointNetworkPolicies"] = "Disabled"
            props["delegations"] = []
            subnets.append({"id": lz.subnet_id(name), "name": name, "properties": props})
        properties = {
            "addressSpace": {"addressPrefixes": [str(lz.prefix(vnet))]},
            "dhcpOptions": {"dnsServers": dns_servers[vnet]},
            "subnets": subnets,
            "virtualNetworkPeerings": peerings[vnet],
        }
        rows.append(row(lz.vnet_id(vnet), lz.region, properties, tags=lz.tags))
    for name, (net, *_) in SUBNETS.items():
        if net not in vnets(lz):
            continue
        nsg = lz.nsg_id(name)
        props = {
            "securityRules": [rule(nsg, spec) for spec in custom_rules(lz, name)],
            "defaultSecurityRules": [rule(nsg, s, "defaultSecurityRules") for s in DEFAULT_RULES],
        }
        if has_nsg(lz, name):
            props["subnets"] = [ref(lz.subnet_id(name))]
        rows.append(row(nsg, lz.region, props))
    return rows


# --------------------------------------------------------------------------- machines


def machines(lz: LandingZone) -> list[Row]:
    """Bastion and its public IP; jump host, agents (and the hub DNS server) with their NICs."""
    rows: list[Row] = []
    vms = [("vm-jumphost", "snet-jumphost", 4, "Standard_B2s")]
    vms += [(f"vm-agent-{n}", "snet-agents", 3 + n, "Standard_D2s_v5") for n in (1, 2)]
    if "custom-dns-unlinked" in lz.faults:
        vms.append(("vm-dns", "snet-dns", 4, "Standard_B1s"))
    for vm, subnet, n, size in vms:
        rg = f"rg-{SUBNETS[subnet][0]}"
        vm_id = lz.id(rg, "Microsoft.Compute/virtualMachines", vm)
        nic = lz.id(rg, "Microsoft.Network/networkInterfaces", f"nic-{vm}")
        ipconfig = f"{nic}/ipConfigurations/ipconfig1"
        ip_props: dict[str, Any] = {
            "subnet": ref(lz.subnet_id(subnet)),
            "privateIPAddress": host(lz.subnet_prefix(subnet), n),
            "privateIPAllocationMethod": "Static" if vm == "vm-dns" else "Dynamic",
        }
        if vm == "vm-jumphost" and "vm-public-ip" in lz.faults:
            pip = lz.id(rg, "Microsoft.Network/publicIPAddresses", f"pip-{vm}")
            ip_props["publicIPAddress"] = ref(pip)
            rows.append(public_ip(lz, pip, lz.public_ip(1), ipconfig))
        nic_props = {
            "ipConfigurations": [{"id": ipconfig, "name": "ipconfig1", "properties": ip_props}],
            "virtualMachine": ref(vm_id),
        }
        vm_props = {
            "hardwareProfile": {"vmSize": size},
            "storageProfile": {"osDisk": {"osType": "Linux", "createOption": "FromImage"}},
            "osProfile": {
                "computerName": vm,
                "adminUsername": "azureuser",
                "linuxConfiguration": {
                    "disablePasswordAuthentication": not (
                        vm == "vm-jumphost" and "vm-password-auth" in lz.faults
                    ),
                    "ssh": {
                        "publicKeys": [
                            {
                                "path": "/home/azureuser/.ssh/authorized_keys",
                                "keyData": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISynthetic",
                            }
                        ]
                    },
                },
            },
            "networkProfile": {"networkInterfaces": [ref(nic)]},
        }
        rows.append(row(nic, lz.region, nic_props))
        rows.append(row(vm_id, lz.region, vm_props, tags=lz.tags))
        # the Azure Monitor agent: public settings that hold no secret
        agent = {
            "publisher": "Microsoft.Azure.Monitor",
            "type": "AzureMonitorLinuxAgent",
            "typeHandlerVersion": "1.29",
            "autoUpgradeMinorVersion": True,
            "settings": {},
        }
        rows.append(row(f"{vm_id}/extensions/AzureMonitorLinuxAgent", lz.region, agent))
        if vm == "vm-agent-1" and "extension-secret" in lz.faults:
            script = {
                "publisher": "Microsoft.Azure.Extensions",
                "type": "CustomScript",
                "typeHandlerVersion": "2.1",
                "settings": {"commandToExecute": "bash agent.sh", "adoPat": "synthetic-pat"},
            }
            rows.append(row(f"{vm_id}/extensions/ado-agent", lz.region, script))
    bastion = lz.id("rg-bastion", "Microsoft.Network/bastionHosts", "bas-mlops")
    ipconfig = f"{bastion}/bastionHostIpConfigurations/IpConf"
    pip = lz.id("rg-bastion", "Microsoft.Network/publicIPAddresses", "pip-bastion")
    rows.append(public_ip(lz, pip, lz.public_ip(0), ipconfig))
    ip_props = {"subnet": ref(lz.subnet_id("AzureBastionSubnet")), "publicIPAddress": ref(pip)}
    bastion_props = {
        "ipConfigurations": [{"id": ipconfig, "name": "IpConf", "properties": ip_props}]
    }
    rows.append(row(bastion, lz.region, bastion_props, sku={"name": "Standard"}, tags=lz.tags))
    return rows


def public_ip(lz: LandingZone, rid: str, address: str, ipconfig: str) -> Row:
    props = {
        "ipAddress": address,
        "publicIPAllocationMethod": "Static",
        "publicIPAddressVersion": "IPv4",
        "ipConfiguration": ref(ipconfig),
    }
    return row(rid, lz.region, props, sku={"name": "Standard", "tier": "Regional"})


# --------------------------------------------------------------------------- private endpoints


@lru_cache(maxsize=1)
def endpoints(lz: LandingZone) -> list[Endpoint]:
    """The five private endpoints: member IPs in snet-endpoints and the records they need."""
    r, net = lz.region, lz.subnet_prefix("snet-endpoints")
    st, kv, cr = (rid.rsplit("/", 1)[1] for rid in (lz.st_id, lz.kv_id, lz.cr_id))
    api = f"{lz.ws_guid}.workspace.{r}"
    notebook = f"ml-{lz.ws_name}-{r}-{lz.ws_guid}.{r}"

    def member(name: str, n: int, zone: str, *records: str) -> Member:
        return Member(name, host(net, n), tuple(Record(zone, rec) for rec in records))

    return [
        Endpoint("amlworkspace", lz.ws_id, (
            member("default", 4, API, api, f"{api}.cert"),
            member("notebook", 5, NOTEBOOKS, notebook),
        )),
        Endpoint("blob", lz.st_id, (member("blob", 6, BLOB, st),)),
        Endpoint("file", lz.st_id, (member("file", 7, FILE, st),)),
        Endpoint("vault", lz.kv_id, (member("default", 8, VAULT, kv),)),
        Endpoint("registry", lz.cr_id, (
            member("registry", 9, ACR, cr),
            member(f"registry_data_{r}", 10, ACR, f"{cr}.{r}.data"),
        )),
    ]  # fmt: skip


def private_endpoints(lz: LandingZone) -> list[Row]:
    """Private endpoint rows and their NICs (with privateLinkConnectionProperties)."""
    rows: list[Row] = []
    for ep in endpoints(lz):
        pe = lz.pe_id(ep.group)
        nic_name = f"pe-{ep.group}.nic.{guid(pe, 'nic')}"
        nic = lz.id("rg-aml", "Microsoft.Network/networkInterfaces", nic_name)
        status = lz.pe_status(ep.group)
        connection = {
            "id": f"{pe}/privateLinkServiceConnections/pe-{ep.group}",
            "name": f"pe-{ep.group}",
            "properties": {
                "privateLinkServiceId": ep.target,
                "groupIds": [ep.group],
                "privateLinkServiceConnectionState": {
                    "status": status,
                    "description": "Auto-Approved" if status == "Approved" else "Awaiting approval",
                    "actionsRequired": "None",
                },
            },
        }
        pe_props = {
            "subnet": ref(lz.subnet_id("snet-endpoints")),
            "privateLinkServiceConnections": [connection],
            "manualPrivateLinkServiceConnections": [],
            "networkInterfaces": [ref(nic)],
            "customDnsConfigs": [
                {"fqdn": rec.fqdn, "ipAddresses": [m.ip]} for m in ep.members for rec in m.records
            ],
            "provisioningState": "Succeeded",
        }
        ipconfigs = []
        for m in ep.members:
            name = f"privateEndpointIpConfig.{guid(pe, m.name)}"
            ipconfigs.append(
                {
                    "id": f"{nic}/ipConfigurations/{name}",
                    "name": name,
                    "properties": {
                        "subnet": ref(lz.subnet_id("snet-endpoints")),
                        "privateIPAddress": m.ip,
                        "privateIPAllocationMethod": "Dynamic",
                        "privateLinkConnectionProperties": {
                            "groupId": ep.group,
                            "requiredMemberName": m.name,
                            "fqdns": [rec.fqdn for rec in m.records],
                        },
                    },
                }
            )
        rows.append(row(pe, lz.region, pe_props))
        rows.append(
            row(nic, lz.region, {"ipConfigurations": ipconfigs, "privateEndpoint": ref(pe)})
        )
    return rows


# --------------------------------------------------------------------------- private DNS


def zone_groups(lz: LandingZone) -> list[tuple[Endpoint, dict[str, list[tuple[str, str]]]]]:
    """Per endpoint with a zone group: zone -> [(record name, ip)] it writes."""
    out = []
    for ep in endpoints(lz):
        if ep.group == "file" and "no-zone-group" in lz.faults:
            continue
        zones: dict[str, list[tuple[str, str]]] = {}
        for m in ep.members:
            for rec in m.records:
                zone = FILE if ep.group == "blob" and "wrong-zone" in lz.faults else rec.zone
                zones.setdefault(zone, []).append((rec.name, m.ip))
        out.append((ep, zones))
    return out


def private_dns(lz: LandingZone) -> list[Row]:
    """Zones, VNet links, A records (dnsresources) and zone groups (ARM rows)."""
    groups = zone_groups(lz)
    records: dict[str, dict[str, list[str]]] = {zone: {} for zone in DNS_ZONES}
    for _, zones in groups:
        for zone, recs in zones.items():
            for name, ip in recs:  # two groups writing one name share the record set
                ips = records[zone].setdefault(name, [])
                if ip not in ips:
                    ips.append(ip)
    links: dict[str, list[str]] = {
        zone: [
            v
            for v in ("bastion", "aml")
            if not (zone == ACR and v == "bastion" and "acr-zone-unlinked-agents" in lz.faults)
        ]
        for zone in DNS_ZONES
    }
    rows: list[Row] = []
    for zone in DNS_ZONES:
        props = {  # record sets count the zone's SOA record, which is not emitted
            "numberOfRecordSets": len(records[zone]) + 1,
            "numberOfVirtualNetworkLinks": len(links[zone]),
        }
        rows.append(row(lz.zone_id(zone), "global", props, tags=lz.tags))
    for zone in DNS_ZONES:
        for vnet in links[zone]:
            link = f"{lz.zone_id(zone)}/virtualNetworkLinks/link-vnet-{vnet}"
            props = {
                "virtualNetwork": ref(lz.vnet_id(vnet)),
                "registrationEnabled": False,
                "resolutionPolicy": "Default",
                "virtualNetworkLinkState": "Completed",
                "provisioningState": "Succeeded",
            }
            rows.append(row(link, "global", props))
    for zone in DNS_ZONES:
        for name, ips in records[zone].items():
            props = {
                "fqdn": f"{name}.{zone}.",
                "ttl": 10,
                "aRecords": [{"ipv4Address": ip} for ip in ips],
                "isAutoRegistered": False,
            }
            rows.append(row(f"{lz.zone_id(zone)}/A/{name}", "global", props))
    for ep, zones in groups:
        configs = [
            {
                "name": zone.replace(".", "-"),
                "properties": {
                    "privateDnsZoneId": lz.zone_id(zone),
                    "recordSets": [
                        {
                            "recordType": "A",
                            "recordSetName": name,
                            "fqdn": f"{name}.{zone}",
                            "ttl": 10,
                            "ipAddresses": [ip],
                        }
                        for name, ip in recs
                    ],
                },
            }
            for zone, recs in zones.items()
        ]
        group = f"{lz.pe_id(ep.group)}/privateDnsZoneGroups/default"
        rows.append(
            {
                "id": group,
                "name": "default",
                "type": "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
                "etag": f'W/"{guid(group)}"',
                "properties": {"provisioningState": "Succeeded", "privateDnsZoneConfigs": configs},
            }
        )
    return rows


# --------------------------------------------------------------------------- workspace


def pe_connections(lz: LandingZone, target: str, *, subnet: bool = False) -> list[dict[str, Any]]:
    """``privateEndpointConnections`` of a private link resource, one per endpoint to it."""
    out = []
    for ep in endpoints(lz):
        if ep.target != target:
            continue
        pe = lz.pe_id(ep.group)
        name = f"pe-{ep.group}.{guid(pe, target)}"
        endpoint = {"id": pe, "subnetArmId": lz.subnet_id("snet-endpoints")} if subnet else ref(pe)
        out.append(
            {
                "id": f"{target}/privateEndpointConnections/{name}",
                "name": name,
                "properties": {
                    "privateEndpoint": endpoint,
                    "privateLinkServiceConnectionState": {"status": lz.pe_status(ep.group)},
                    "provisioningState": "Succeeded",
                },
            }
        )
    return out


def workspace(lz: LandingZone) -> list[Row]:
    """The AML workspace and its computes (ARM rows, ``properties.properties`` nested)."""
    f, region = lz.faults, lz.region
    props: dict[str, Any] = {
        "workspaceId": lz.ws_guid,
        "friendlyName": lz.ws_name,
        "publicNetworkAccess": "Enabled" if "ws-public" in f else "Disabled",
        "allowPublicAccessWhenBehindVnet": False,
        "v1LegacyMode": True,
        "hbiWorkspace": False,
        # Real data mixes id casing: these two references are lower-cased deliberately.
        "storageAccount": lz.st_id.lower(),
        "keyVault": lz.kv_id,
        "containerRegistry": lz.cr_id,
        "applicationInsights": lz.appi_id.lower(),
        "privateEndpointConnections": pe_connections(lz, lz.ws_id, subnet=True),
        "managedNetwork": {"isolationMode": "Disabled"},
    }
    if "ws-pna-absent" in f:
        del props["publicNetworkAccess"]
    identity = {"type": "SystemAssigned", "principalId": guid(lz.ws_id, "msi"), "tenantId": TENANT}
    tags = {**lz.tags, "owner": "데이터 플랫폼팀 · Équipe données"}  # non-ASCII on purpose
    sku = {"name": "Basic", "tier": "Basic"}
    rows = [row(lz.ws_id, region, props, kind="Default", sku=sku, identity=identity, tags=tags)]
    subnet = ref(lz.subnet_id("snet-training"))
    ssh = "Enabled" if "ci-public-ssh" in f else "Disabled"
    computes = {
        "cpu-cluster": {
            "computeType": "AmlCompute",
            "vmSize": "STANDARD_DS3_V2",
            "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 4},
            "subnet": subnet,
            "enableNodePublicIp": "compute-public-ip" in f,
            "remoteLoginPortPublicAccess": "Disabled",
        },
        f"ci-{lz.stem}": {
            "computeType": "ComputeInstance",
            "vmSize": "STANDARD_DS3_V2",
            "subnet": subnet,
            "enableNodePublicIp": False,
            "sshSettings": {"sshPublicAccess": ssh, "adminUserName": "azureuser"},
        },
    }
    for name, inner in computes.items():
        outer = {
            "computeType": inner.pop("computeType"),
            "computeLocation": region,
            "provisioningState": "Succeeded",
            "disableLocalAuth": True,
            "properties": inner,
        }
        rows.append({
            "id": f"{lz.ws_id}/computes/{name}",
            "name": name,
            "type": "Microsoft.MachineLearningServices/workspaces/computes",
            "location": region,
            "tags": {},
            "properties": outer,
        })  # fmt: skip
    return rows


def dependencies(lz: LandingZone) -> list[Row]:
    """Storage, Key Vault, Container Registry and Application Insights."""
    f, region = lz.faults, lz.region
    open_st, open_kv = "storage-public" in f, "kv-public" in f
    storage = {
        "publicNetworkAccess": "Enabled" if open_st else "Disabled",
        "allowBlobPublicAccess": "blob-public" in f,
        "allowSharedKeyAccess": True,
        "minimumTlsVersion": "TLS1_2",
        "networkAcls": {
            "defaultAction": "Allow" if open_st else "Deny",
            "bypass": "AzureServices",
            "ipRules": [],
            "virtualNetworkRules": [],
        },
        "privateEndpointConnections": pe_connections(lz, lz.st_id),
    }
    vault = {
        "sku": {"family": "A", "name": "standard"},
        "tenantId": TENANT,
        "vaultUri": f"https://kv-{lz.stem}.vault.azure.net/",
        "publicNetworkAccess": "Enabled" if open_kv else "Disabled",
        "enableRbacAuthorization": True,
        "networkAcls": {"defaultAction": "Allow" if open_kv else "Deny", "bypass": "AzureServices"},
        "privateEndpointConnections": pe_connections(lz, lz.kv_id),
    }
    registry = {
        "loginServer": f"cr{lz.stem}.azurecr.io",
        "adminUserEnabled": "acr-admin" in f,
        "publicNetworkAccess": "Disabled",
        "networkRuleSet": {"defaultAction": "Deny", "ipRules": []},
        "dataEndpointEnabled": False,
        "privateEndpointConnections": pe_connections(lz, lz.cr_id),
    }
    insights = {  # PascalCase keys are what the API returns
        "ApplicationId": f"appi-{lz.stem}",
        "AppId": guid(lz.appi_id),
        "Application_Type": "web",
        "WorkspaceResourceId": lz.aml("Microsoft.OperationalInsights/workspaces", f"log-{lz.stem}"),
        # private: reached through the Azure Monitor Private Link Scope that scopes it
        "publicNetworkAccessForIngestion": "Enabled" if "appi-public" in f else "Disabled",
        "publicNetworkAccessForQuery": "Enabled" if "appi-public" in f else "Disabled",
        "DisableLocalAuth": "appi-local-auth" not in f,
        "PrivateLinkScopedResources": None
        if "appi-unscoped" in f
        else [
            {
                "ResourceId": f"{lz.ampls_id}/scopedResources/appi-{lz.stem}",
                "ScopeId": guid(lz.ampls_id),
            }
        ],
    }
    scope = {
        "accessModeSettings": {
            "ingestionAccessMode": "PrivateOnly",
            "queryAccessMode": "PrivateOnly",
            "exclusions": [],
        },
        "provisioningState": "Succeeded",
    }
    lrs, premium = (
        {"name": "Standard_LRS", "tier": "Standard"},
        {"name": "Premium", "tier": "Premium"},
    )
    appi = row(lz.appi_id, region, insights, kind="web")
    appi["tags"] = None  # Resource Graph returns null tags for some resources
    return [
        row(lz.st_id, region, storage, kind="StorageV2", sku=lrs, tags=lz.tags),
        row(lz.kv_id, region, vault, tags=lz.tags),
        row(lz.cr_id, region, registry, sku=premium, tags=lz.tags),
        appi,
        *([] if "appi-unscoped" in f else [row(lz.ampls_id, "global", scope)]),
    ]


# --------------------------------------------------------------------------- estates


def landing_zone(index: int, faults: Iterable[str] = frozenset(), seed_name: str = "") -> list[Row]:
    """The rows of landing zone ``index`` with the given faults (names from FAULTS).

    ``seed_name`` goes into subscription ids and globally unique names, so estates generated
    with different seed names never collide when merged.
    """
    unknown = set(faults) - FAULTS.keys()
    if unknown:
        raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}")
    lz = LandingZone(index, frozenset(faults), seed_name)
    families = (network, machines, private_endpoints, private_dns, workspace, dependencies)
    return [r for family in families for r in family(lz)]


def reference_estate(variant: str) -> list[Row]:
    """``good``: the architecture done right; ``terraform``: as the article's Terraform has it."""
    if variant == "good":
        return landing_zone(0)
    if variant == "terraform":
        return landing_zone(0, TERRAFORM_FAULTS)
    raise ValueError(f"unknown reference variant {variant!r}; expected 'good' or 'terraform'")


def synthetic_estate(rows_target: int, fault_share: float = 0.2, seed: int = 7) -> list[Row]:
    """Landing zones 0, 1, … until at least ``rows_target`` rows (at least one zone).

    Each zone is faulty with probability ``fault_share``; a faulty zone gets 1-3 faults drawn
    from FAULTS. All draws come from ``random.Random(seed)``.
    """
    rng = random.Random(seed)
    names = sorted(FAULTS)
    rows: list[Row] = []
    index = 0
    gc_was_enabled = gc.isenabled()
    gc.disable()  # no cycles here, and GC passes over millions of new dicts would double the time
    try:
        while not rows or len(rows) < rows_target:
            faults = rng.sample(names, rng.randint(1, 3)) if rng.random() < fault_share else []
            rows += landing_zone(index, faults)
            index += 1
    finally:
        if gc_was_enabled:
            gc.enable()
    return rows


def subscriptions(rows: Sequence[Row]) -> list[str]:
    """Subscription ids in first-seen order (from the id, which ARM rows also have)."""
    return list(dict.fromkeys(r["id"].split("/")[2] for r in rows))


def render(rows: list[Row], fmt: str = "array", indent: int | None = None) -> str:
    """The estate as JSON text: ``array``, ``az`` (az graph query -o json) or ``snapshot``."""
    doc: Any
    if fmt == "array":
        doc = rows
    elif fmt == "az":
        doc = {"count": len(rows), "data": rows, "skip_token": None, "total_records": len(rows)}
    elif fmt == "snapshot":
        doc = {
            "format": "mlops-audit-snapshot",
            "version": 1,
            "tool_version": "synthetic",
            "collected_at": "2026-01-01T00:00:00Z",
            "scopes": [{"subscription": sub} for sub in subscriptions(rows)],
            "collections": ["resources", "dnsresources", "computes", "privatednszonegroups"],
            "failures": [],
            "rows": rows,
        }
    else:
        raise ValueError(f"unknown format {fmt!r}")
    separators = None if indent is not None else (",", ":")
    return json.dumps(doc, indent=indent, separators=separators, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--rows", type=int, help="synthetic estate of about this many rows")
    what.add_argument("--reference", choices=["good", "terraform"], help="a reference estate")
    parser.add_argument("--out", required=True, type=Path, help="output file")
    parser.add_argument("--format", choices=["array", "az", "snapshot"], default="array")
    parser.add_argument("--fault-share", type=float, default=0.2, help="share of faulty zones")
    parser.add_argument("--seed", type=int, default=7, help="seed of the fault draws")
    args = parser.parse_args(argv)
    if args.reference:
        rows, indent = reference_estate(args.reference), 1
    else:
        rows, indent = synthetic_estate(args.rows, args.fault_share, args.seed), None
    args.out.write_text(render(rows, args.format, indent), encoding="utf-8")
    print(f"{args.out}: {len(rows)} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
