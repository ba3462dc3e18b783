"""Hostile review of the azurerm mappers (issue 12): configurations that are insecure but
were passed, secure but reported, or not judged though Terraform knows what they mean."""

from __future__ import annotations

from pathlib import Path

from tests.terraform_harness import scan_tf


def _module(tmp_path: Path, body: str, version: str = "~> 3.0", lock: str | None = None) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "main.tf").write_text(
        "terraform {\n  required_providers {\n"
        f'    azurerm = {{ source = "hashicorp/azurerm", version = "{version}" }}\n'
        "  }\n}\n" + body,
        encoding="utf-8",
    )
    if lock:
        (tmp_path / ".terraform.lock.hcl").write_text(
            f'provider "registry.terraform.io/hashicorp/azurerm" {{\n  version = "{lock}"\n}}\n',
            encoding="utf-8",
        )
    return tmp_path


def _status(result, rule_id: str) -> str:
    return next(o.status for o in result.outcomes if o.rule_id == rule_id)


WS_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
    "Microsoft.MachineLearningServices/workspaces/ws"
)
CLUSTER = f"""
resource "azurerm_machine_learning_compute_cluster" "c" {{
  name                          = "cc1"
  location                      = "westeurope"
  machine_learning_workspace_id = "{WS_ID}"
  vm_priority                   = "Dedicated"
  vm_size                       = "STANDARD_DS2_V2"
  node_public_ip_enabled        = true
  ssh_public_access_enabled     = %s
  scale_settings {{
    min_node_count = 0
    max_node_count = 1
  }}
}}
"""


# -- a bool written as a string is the bool (Terraform converts it) --------------------------
def test_ssh_public_access_enabled_string_true_is_reported(tmp_path: Path) -> None:
    # was: "true" is not True, remoteLoginPortPublicAccess Disabled, MLA-AML-007 passed
    result = scan_tf(_module(tmp_path, CLUSTER % '"true"'), ["MLA-AML-007"])
    assert _status(result, "MLA-AML-007") == "fail"


STORAGE = """
resource "azurerm_storage_account" "s" {
  name                          = "stacct1"
  resource_group_name           = "rg"
  location                      = "westeurope"
  account_tier                  = "Standard"
  account_replication_type      = "LRS"
  public_network_access_enabled = "false"
}
"""
VAULT = """
resource "azurerm_key_vault" "k" {
  name                          = "kv1"
  resource_group_name           = "rg"
  location                      = "westeurope"
  tenant_id                     = "00000000-0000-0000-0000-000000000000"
  sku_name                      = "standard"
  public_network_access_enabled = "false"
}
"""


def test_public_network_access_string_false_is_disabled(tmp_path: Path) -> None:
    # was: publicNetworkAccess "false" (not Disabled): MLA-STG-001 and MLA-KV-001 reported
    result = scan_tf(_module(tmp_path, STORAGE + VAULT), ["MLA-STG-001", "MLA-KV-001"])
    assert _status(result, "MLA-STG-001") == "pass"
    assert _status(result, "MLA-KV-001") == "pass"


NSG = """
resource "azurerm_virtual_network" "v" {
  name                = "vnet1"
  location            = "westeurope"
  resource_group_name = "rg"
  address_space       = ["10.0.0.0/16"]
}
resource "azurerm_subnet" "s" {
  name                 = "snet1"
  resource_group_name  = "rg"
  virtual_network_name = azurerm_virtual_network.v.name
  address_prefixes     = ["10.0.1.0/24"]
}
resource "azurerm_subnet_network_security_group_association" "a" {
  subnet_id                 = azurerm_subnet.s.id
  network_security_group_id = azurerm_network_security_group.n.id
}
resource "azurerm_network_security_group" "n" {
  name                = "nsg1"
  location            = "westeurope"
  resource_group_name = "rg"
  security_rule {
    name                       = "ssh"
    priority                   = "100"
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = 22
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}
"""


def test_nsg_rule_port_as_number_and_priority_as_string_are_judged(tmp_path: Path) -> None:
    # was: "destinationPortRange is a number, not a string": not evaluated
    result = scan_tf(_module(tmp_path, NSG), ["MLA-NSG-002"])
    assert _status(result, "MLA-NSG-002") == "fail"


# -- azurerm 5.x is a major the defaults know -------------------------------------------------
STORAGE_DEFAULTS = """
resource "azurerm_storage_account" "s" {
  name                     = "stacct1"
  resource_group_name      = "rg"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
}
"""


def test_azurerm_5_constraint_uses_5x_defaults(tmp_path: Path) -> None:
    # was: "~> 5.0" admitted none of 2, 3, 4, read as "any": allowBlobPublicAccess unknown
    result = scan_tf(_module(tmp_path, STORAGE_DEFAULTS, "~> 5.0"), ["MLA-STG-003"])
    assert _status(result, "MLA-STG-003") == "pass"  # 5.0: allow_nested… defaults false


def test_azurerm_5_lock_file_uses_5x_defaults(tmp_path: Path) -> None:
    result = scan_tf(_module(tmp_path, STORAGE_DEFAULTS, ">= 3.0", lock="5.1.0"), ["MLA-STG-003"])
    assert _status(result, "MLA-STG-003") == "pass"


# -- the workspace's public_network_access_enabled inside 3.x ---------------------------------
RG = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers"
WORKSPACE = f"""
resource "azurerm_machine_learning_workspace" "w" {{
  name                    = "ws1"
  resource_group_name     = "rg"
  location                = "westeurope"
  application_insights_id = "{RG}/Microsoft.Insights/components/ai"
  key_vault_id            = "{RG}/Microsoft.KeyVault/vaults/kv"
  storage_account_id      = "{RG}/Microsoft.Storage/storageAccounts/sa"
  identity {{
    type = "SystemAssigned"
  }}
%s
}}
"""


def test_workspace_false_under_azurerm_3_1_lock_is_public(tmp_path: Path) -> None:
    # 3.0-3.1: the attribute set allowPublicAccessWhenBehindVnet; publicNetworkAccess stayed
    # Enabled (azurerm #16177). Was: read as Disabled, MLA-AML-001 passed.
    body = WORKSPACE % "  public_network_access_enabled = false"
    result = scan_tf(_module(tmp_path, body, lock="3.1.0"), ["MLA-AML-001"])
    assert _status(result, "MLA-AML-001") == "fail"


def test_workspace_false_under_a_constraint_pinned_to_3_1_is_public(tmp_path: Path) -> None:
    body = WORKSPACE % "  public_network_access_enabled = false"
    result = scan_tf(_module(tmp_path, body, version="= 3.1.0"), ["MLA-AML-001"])
    assert _status(result, "MLA-AML-001") == "fail"


def test_workspace_false_under_newest_3x_is_private(tmp_path: Path) -> None:
    body = WORKSPACE % "  public_network_access_enabled = false"
    result = scan_tf(_module(tmp_path, body, version="~> 3.0"), ["MLA-AML-001"])
    assert _status(result, "MLA-AML-001") == "pass"


def test_workspace_absent_attribute_follows_the_locked_3x_version(tmp_path: Path) -> None:
    late = scan_tf(_module(tmp_path / "late", WORKSPACE % "", lock="3.117.0"), ["MLA-AML-001"])
    early = scan_tf(_module(tmp_path / "early", WORKSPACE % "", lock="3.20.0"), ["MLA-AML-001"])
    either = scan_tf(_module(tmp_path / "any", WORKSPACE % ""), ["MLA-AML-001"])
    assert _status(late, "MLA-AML-001") == "pass"  # 3.25+: Disabled when absent
    assert _status(early, "MLA-AML-001") == "fail"  # before 3.25: nothing sent, Enabled
    assert _status(either, "MLA-AML-001") == "incomplete"  # "~> 3.0": either


# -- a subnet whose NSG two resources set differently ------------------------------------------
OPEN_NSG = """
resource "azurerm_network_security_group" "n" {
  name                = "nsg1"
  location            = "westeurope"
  resource_group_name = "rg"
  security_rule {
    name                       = "ssh"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "22"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}
"""
INLINE_AND_SEPARATE = (
    """
resource "azurerm_virtual_network" "v" {
  name                = "vnet1"
  location            = "westeurope"
  resource_group_name = "rg"
  address_space       = ["10.0.0.0/16"]
  subnet {
    name           = "snet1"
    address_prefix = "10.0.1.0/24"
  }
}
resource "azurerm_subnet" "s" {
  name                 = "snet1"
  resource_group_name  = "rg"
  virtual_network_name = azurerm_virtual_network.v.name
  address_prefixes     = ["10.0.1.0/24"]
}
resource "azurerm_subnet_network_security_group_association" "a" {
  subnet_id                 = azurerm_subnet.s.id
  network_security_group_id = azurerm_network_security_group.n.id
}
"""
    + OPEN_NSG
)
NSG_RULES = ["MLA-NSG-001", "MLA-NSG-002", "MLA-NSG-004"]


def test_subnet_inline_and_separate_leaves_its_nsg_unknown(tmp_path: Path) -> None:
    # The VNet's inline subnet (no NSG) and the separate subnet + association overwrite each
    # other on apply. Was: the association won, MLA-NSG-001 passed the subnet.
    result = scan_tf(_module(tmp_path, INLINE_AND_SEPARATE), NSG_RULES)
    assert not result.findings
    for rule in NSG_RULES:
        assert _status(result, rule) == "incomplete", rule
    reasons = " ".join(r for ne in result.not_evaluated for r in ne.reasons)
    assert "set differently by azurerm_virtual_network.v: none" in reasons


def test_two_associations_of_one_subnet_leave_its_nsg_unknown(tmp_path: Path) -> None:
    # was: the last association won (here the closed NSG): MLA-NSG-002 passed
    body = (
        NSG.replace("destination_port_range     = 22", 'destination_port_range     = "22"')
        + """
resource "azurerm_network_security_group" "closed" {
  name                = "nsg-closed"
  location            = "westeurope"
  resource_group_name = "rg"
}
resource "azurerm_subnet_network_security_group_association" "b" {
  subnet_id                 = azurerm_subnet.s.id
  network_security_group_id = azurerm_network_security_group.closed.id
}
"""
    )
    result = scan_tf(_module(tmp_path, body), NSG_RULES)
    assert not result.findings
    assert _status(result, "MLA-NSG-001") == "incomplete"
    assert _status(result, "MLA-NSG-002") == "incomplete"


def test_one_subnet_with_one_association_is_judged(tmp_path: Path) -> None:
    result = scan_tf(_module(tmp_path, NSG), NSG_RULES)
    assert _status(result, "MLA-NSG-001") == "pass"
    assert _status(result, "MLA-NSG-002") == "fail"


# -- a resource group from a variable without a value ------------------------------------------
RG_VAR = """
variable "rg" {}
resource "azurerm_virtual_network" "v" {
  name                = "vnet1"
  location            = "westeurope"
  resource_group_name = var.rg
  address_space       = ["10.0.0.0/16"]
}
resource "azurerm_subnet" "s" {
  name                 = "snet1"
  resource_group_name  = var.rg
  virtual_network_name = azurerm_virtual_network.v.name
  address_prefixes     = ["10.0.1.0/24"]
}
resource "azurerm_network_security_group" "n" {
  name                = "nsg1"
  location            = "westeurope"
  resource_group_name = var.rg
}
resource "azurerm_network_security_rule" "ssh" {
  name                        = "ssh"
  resource_group_name         = var.rg
  network_security_group_name = azurerm_network_security_group.n.name
  priority                    = 100
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "Tcp"
  source_port_range           = "*"
  destination_port_range      = "22"
  source_address_prefix       = "*"
  destination_address_prefix  = "*"
}
resource "azurerm_subnet_network_security_group_association" "a" {
  subnet_id                 = azurerm_subnet.s.id
  network_security_group_id = azurerm_network_security_group.n.id
}
"""


def test_children_fold_into_the_parent_they_name_when_the_resource_group_is_unknown(
    tmp_path: Path,
) -> None:
    # was: every resource got its own "{address resource group}" placeholder, so the subnet
    # and the rule did not fold (gaps), the subnet vanished from MLA-NSG-001 and the NSG,
    # with no rule, passed MLA-NSG-002
    result = scan_tf(_module(tmp_path, RG_VAR), NSG_RULES)
    assert _status(result, "MLA-NSG-001") == "pass"
    assert _status(result, "MLA-NSG-002") == "fail"
    assert [f.resource_id for f in result.findings] == ["azurerm_network_security_group.n"]


def test_an_unmapped_association_leaves_the_nsg_attachment_unknown(tmp_path: Path) -> None:
    # the association names a subnet the configuration does not hold a VNet for by
    # reference: was "NSG attached to nothing" (MLA-NSG-004), a made-up finding
    body = (
        OPEN_NSG
        + """
variable "subnet_id" {}
resource "azurerm_subnet_network_security_group_association" "a" {
  subnet_id                 = var.subnet_id
  network_security_group_id = azurerm_network_security_group.n.id
}
"""
    )
    result = scan_tf(_module(tmp_path, body), NSG_RULES)
    assert not result.findings
    assert _status(result, "MLA-NSG-004") == "incomplete"


DNS_RG_VAR = """
variable "rg" {}
resource "azurerm_virtual_network" "v" {
  name                = "vnet1"
  location            = "westeurope"
  resource_group_name = var.rg
  address_space       = ["10.0.0.0/16"]
}
resource "azurerm_private_dns_zone" "blob" {
  name                = "privatelink.blob.core.windows.net"
  resource_group_name = var.rg
}
resource "azurerm_private_dns_zone_virtual_network_link" "l" {
  name                  = "l"
  resource_group_name   = var.rg
  private_dns_zone_name = azurerm_private_dns_zone.blob.name
  virtual_network_id    = azurerm_virtual_network.v.id
}
"""


def test_a_zone_link_in_an_unknown_resource_group_links_the_zone_it_names(
    tmp_path: Path,
) -> None:
    # was: the link's zone id had its own "{link resource group}" placeholder: a phantom
    # zone "referenced but not in the estate", MLA-DNS-001/004/005/006 not evaluated
    result = scan_tf(_module(tmp_path, DNS_RG_VAR), ["MLA-DNS-001", "MLA-DNS-006"])
    assert result.not_evaluated == []
    assert _status(result, "MLA-DNS-006") == "pass"


# -- a dynamic block over a collection without a value ------------------------------------------
def test_dynamic_firewall_blocks_over_an_unknown_collection_are_unknown(tmp_path: Path) -> None:
    # was: the unknown block list read as no block: "defaultAction=Allow" (storage) and "no
    # firewall" (key vault) reported as findings the configuration may not have
    body = """
variable "rules" {}
resource "azurerm_storage_account" "s" {
  name                     = "stacct1"
  resource_group_name      = "rg"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
  dynamic "network_rules" {
    for_each = var.rules
    content {
      default_action = "Deny"
    }
  }
}
resource "azurerm_key_vault" "k" {
  name                = "kv1"
  resource_group_name = "rg"
  location            = "westeurope"
  tenant_id           = "00000000-0000-0000-0000-000000000000"
  sku_name            = "standard"
  dynamic "network_acls" {
    for_each = var.rules
    content {
      default_action = "Deny"
      bypass         = "AzureServices"
    }
  }
}
"""
    result = scan_tf(_module(tmp_path, body), ["MLA-STG-001", "MLA-KV-001"])
    assert not result.findings
    assert _status(result, "MLA-STG-001") == "incomplete"
    assert _status(result, "MLA-KV-001") == "incomplete"


def test_dynamic_managed_network_over_an_unknown_collection_is_unknown(tmp_path: Path) -> None:
    # was: no managed_network block, isolation "Disabled": MLA-AML-008 passed a workspace
    # whose dynamic block may say AllowInternetOutbound
    body = (
        WORKSPACE
        % """  public_network_access_enabled = false
  dynamic "managed_network" {
    for_each = var.mn
    content {
      isolation_mode = "AllowInternetOutbound"
    }
  }"""
        + '\nvariable "mn" {}\n'
    )
    result = scan_tf(_module(tmp_path, body, "~> 4.0"), ["MLA-AML-008"])
    assert _status(result, "MLA-AML-008") == "incomplete"


# -- inline rules and separate rule resources on one NSG -----------------------------------------
def test_inline_and_separate_nsg_rules_are_unknown(tmp_path: Path) -> None:
    # azurerm: "you cannot use a Network Security Group with in-line Network Security Rules
    # in conjunction with any Network Security Rule resources ... will overwrite rules".
    # Was: both kept, the separate Deny shadowed the inline Allow and MLA-NSG-002 passed.
    body = (
        NSG.replace("destination_port_range     = 22", 'destination_port_range     = "22"').replace(
            'priority                   = "100"', "priority                   = 200"
        )
        + """
resource "azurerm_network_security_rule" "deny" {
  name                        = "deny-ssh"
  resource_group_name         = "rg"
  network_security_group_name = azurerm_network_security_group.n.name
  priority                    = 100
  direction                   = "Inbound"
  access                      = "Deny"
  protocol                    = "Tcp"
  source_port_range           = "*"
  destination_port_range      = "22"
  source_address_prefix       = "*"
  destination_address_prefix  = "*"
}
"""
    )
    result = scan_tf(_module(tmp_path, body), ["MLA-NSG-002"])
    assert _status(result, "MLA-NSG-002") == "incomplete"
    assert "overwrite" in " ".join(result.not_evaluated[0].reasons)


def test_inline_and_separate_storage_network_rules_are_unknown(tmp_path: Path) -> None:
    # azurerm: "the two cannot be used together ... spurious changes will occur". Was: the
    # separate resource's Deny replaced the inline Allow and MLA-STG-001 passed.
    body = """
resource "azurerm_storage_account" "s" {
  name                     = "stacct1"
  resource_group_name      = "rg"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
  network_rules {
    default_action = "Allow"
  }
}
resource "azurerm_storage_account_network_rules" "r" {
  storage_account_id = azurerm_storage_account.s.id
  default_action     = "Deny"
}
"""
    result = scan_tf(_module(tmp_path, body), ["MLA-STG-001"])
    assert _status(result, "MLA-STG-001") == "incomplete"


def test_separate_storage_network_rules_alone_still_fold(tmp_path: Path) -> None:
    body = """
resource "azurerm_storage_account" "s" {
  name                     = "stacct1"
  resource_group_name      = "rg"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "LRS"
}
resource "azurerm_storage_account_network_rules" "r" {
  storage_account_id = azurerm_storage_account.s.id
  default_action     = "Deny"
}
"""
    result = scan_tf(_module(tmp_path, body), ["MLA-STG-001"])
    assert _status(result, "MLA-STG-001") == "pass"


def test_vnet_dns_servers_set_twice_are_unknown(tmp_path: Path) -> None:
    # was: the separate resource's servers replaced the VNet's own, silently
    from auditor.inputs.terraform.azurerm import to_rows
    from auditor.inputs.terraform.config import load_config

    body = """
resource "azurerm_virtual_network" "v" {
  name                = "vnet1"
  location            = "westeurope"
  resource_group_name = "rg"
  address_space       = ["10.0.0.0/16"]
  dns_servers         = ["10.0.0.4"]
}
resource "azurerm_virtual_network_dns_servers" "d" {
  virtual_network_id = azurerm_virtual_network.v.id
  dns_servers        = ["8.8.8.8"]
}
"""
    mapped = to_rows(load_config(_module(tmp_path, body)))
    (vnet,) = [r for r in mapped.rows if r["type"] == "microsoft.network/virtualnetworks"]
    servers = vnet["properties"]["dhcpOptions"]["dnsServers"]
    assert "overwrites" in servers.reason
    assert any("azurerm_virtual_network_dns_servers.d" in g for g in mapped.gaps)


def test_conversions_leave_map_arguments_alone() -> None:
    from auditor.inputs.terraform.azurerm.coerce import converted
    from auditor.inputs.terraform.resources import TfResource

    r = TfResource(
        address="azurerm_kubernetes_cluster.k",
        mode="managed",
        type="azurerm_kubernetes_cluster",
        name="k",
        values={
            "private_cluster_enabled": "true",
            "tags": {"is_prod": "true"},
            "default_node_pool": [{"node_labels": {"gpu_enabled": "false"}, "enable_x": "false"}],
        },
    )
    got = converted(r).values
    assert got["private_cluster_enabled"] is True
    assert got["tags"] == {"is_prod": "true"}
    assert got["default_node_pool"][0]["node_labels"] == {"gpu_enabled": "false"}
    assert got["default_node_pool"][0]["enable_x"] is False


def test_an_opentofu_lock_file_names_the_version(tmp_path: Path) -> None:
    # OpenTofu writes registry.opentofu.org/hashicorp/azurerm: was ignored (the HCL reader
    # knew only registry.terraform.io, the plan reader spelled it opentofu.io)
    import re as _re

    from auditor.inputs.terraform.config import load_config
    from auditor.inputs.terraform.plan import _LOCKED

    _module(tmp_path, "", version=">= 3.0")
    lock = 'provider "registry.opentofu.org/hashicorp/azurerm" {\n  version = "3.1.0"\n}\n'
    (tmp_path / ".terraform.lock.hcl").write_text(lock, encoding="utf-8")
    provider = load_config(tmp_path).provider
    assert provider.majors == (3,) and provider.version == (3, 1, 0)
    assert _re.search(_LOCKED, lock)[1] == "3.1.0"  # type: ignore[index]


def test_dynamic_zone_group_over_an_unknown_collection_is_unknown(tmp_path: Path) -> None:
    # was: no zone group row, so MLA-DNS-003 reported "no DNS zone group" (made up)
    body = """
variable "zg" {}
resource "azurerm_virtual_network" "v" {
  name                = "vnet1"
  location            = "westeurope"
  resource_group_name = "rg"
  address_space       = ["10.0.0.0/16"]
}
resource "azurerm_subnet" "pe" {
  name                 = "pe"
  resource_group_name  = "rg"
  virtual_network_name = azurerm_virtual_network.v.name
  address_prefixes     = ["10.0.1.0/24"]
}
resource "azurerm_storage_account" "s" {
  name                          = "stacct1"
  resource_group_name           = "rg"
  location                      = "westeurope"
  account_tier                  = "Standard"
  account_replication_type      = "LRS"
  public_network_access_enabled = false
}
resource "azurerm_private_dns_zone" "blob" {
  name                = "privatelink.blob.core.windows.net"
  resource_group_name = "rg"
}
resource "azurerm_private_endpoint" "p" {
  name                = "pe-blob"
  location            = "westeurope"
  resource_group_name = "rg"
  subnet_id           = azurerm_subnet.pe.id
  private_service_connection {
    name                           = "c"
    private_connection_resource_id = azurerm_storage_account.s.id
    subresource_names              = ["blob"]
    is_manual_connection           = false
  }
  dynamic "private_dns_zone_group" {
    for_each = var.zg
    content {
      name                 = "default"
      private_dns_zone_ids = [azurerm_private_dns_zone.blob.id]
    }
  }
}
"""
    result = scan_tf(_module(tmp_path, body), ["MLA-DNS-002", "MLA-DNS-003"])
    assert not result.findings
    assert _status(result, "MLA-DNS-003") == "incomplete"
    assert _status(result, "MLA-DNS-002") == "incomplete"


def test_dynamic_private_service_connection_over_an_unknown_collection_is_unknown(
    tmp_path: Path,
) -> None:
    # was: no connections, so MLA-PE-001 passed an endpoint whose (manual) connection
    # may be Pending
    body = f"""
variable "c" {{}}
resource "azurerm_private_endpoint" "p" {{
  name                = "pe-blob"
  location            = "westeurope"
  resource_group_name = "rg"
  subnet_id           = "{RG}/Microsoft.Network/virtualNetworks/v/subnets/pe"
  dynamic "private_service_connection" {{
    for_each = var.c
    content {{
      name                           = "c"
      private_connection_resource_id = private_service_connection.value
      subresource_names              = ["blob"]
      is_manual_connection           = true
    }}
  }}
}}
"""
    result = scan_tf(_module(tmp_path, body), ["MLA-PE-001"])
    assert _status(result, "MLA-PE-001") == "incomplete"


def test_a_boolean_known_only_after_apply_stays_unknown_in_the_row() -> None:
    """``bool()`` of an unknown is True: a NIC whose IP forwarding comes from a variable
    without a value must not read as forwarding (nor as not forwarding)."""
    from auditor.unknown import UnknownValue
    from tests.tf_rows import mapped, res, rid, row_of

    unset = UnknownValue("var.forwarding has no default and no value was given")
    nic = res(
        "azurerm_network_interface",
        "nic",
        name="nic",
        resource_group_name="rg",
        location="westeurope",
        ip_forwarding_enabled=unset,
        ip_configuration=[{"name": "ip", "private_ip_address_allocation": "Dynamic"}],
    )
    row = row_of(mapped([nic]), rid("rg", "Microsoft.Network/networkInterfaces/nic"))
    assert row["properties"]["enableIPForwarding"] is unset
