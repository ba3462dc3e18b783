"""How long reading a large Terraform configuration takes (``scan --terraform``'s front half).

Generates a root module with N azurerm resources (default 10,000) laid out as real modules
are: a local network module called once per spoke (``for_each``), files of a few hundred
resources each (network, NSGs with rule blocks, NICs and VMs, storage, private endpoints and
DNS zones, variables and locals), and a second variant with the same resources in ONE .tf
file of about 5 MB. For each it times ``load_config`` (parsing in parallel + evaluation) and,
when the azurerm mappers are importable, ``to_rows``.

    python bench/terraform_bench.py [--resources 10000] [--keep DIR] [--workers N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

HEADER = """terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 3.0"
    }
  }
}

provider "azurerm" {
  features {}
  subscription_id = "11111111-2222-3333-4444-555555555555"
}

variable "location" {
  type    = string
  default = "westeurope"
}

variable "admin_password" {
  type      = string
  sensitive = true
}

locals {
  rg   = "rg-bench"
  tags = { workload = "bench", owner = "platform" }
}

resource "azurerm_resource_group" "rg" {
  name     = local.rg
  location = var.location
}

resource "azurerm_virtual_network" "hub" {
  name                = "vnet-hub"
  location            = var.location
  resource_group_name = azurerm_resource_group.rg.name
  address_space       = ["10.0.0.0/16"]
  tags                = local.tags
}

resource "azurerm_private_dns_zone" "blob" {
  name                = "privatelink.blob.core.windows.net"
  resource_group_name = azurerm_resource_group.rg.name
}
"""


def unit(i: int) -> str:
    """One workload's resources: 10 azurerm resources, referencing each other."""
    return f"""
resource "azurerm_subnet" "s{i}" {{
  name                 = "snet-{i}"
  resource_group_name  = azurerm_resource_group.rg.name
  virtual_network_name = azurerm_virtual_network.hub.name
  address_prefixes     = [cidrsubnet("10.0.0.0/8", 16, {i % 65536})]
}}

resource "azurerm_network_security_group" "n{i}" {{
  name                = "nsg-{i}"
  location            = var.location
  resource_group_name = azurerm_resource_group.rg.name

  security_rule {{
    name                       = "allow-https"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "443"
    source_address_prefix      = "VirtualNetwork"
    destination_address_prefix = "*"
  }}

  dynamic "security_rule" {{
    for_each = {{ ssh = 22, rdp = 3389 }}
    content {{
      name                       = "deny-${{security_rule.key}}"
      priority                   = 200 + security_rule.value % 100
      direction                  = "Inbound"
      access                     = "Deny"
      protocol                   = "Tcp"
      source_port_range          = "*"
      destination_port_range     = tostring(security_rule.value)
      source_address_prefix      = "Internet"
      destination_address_prefix = "*"
    }}
  }}
  tags = merge(local.tags, {{ unit = "{i}" }})
}}

resource "azurerm_subnet_network_security_group_association" "a{i}" {{
  subnet_id                 = azurerm_subnet.s{i}.id
  network_security_group_id = azurerm_network_security_group.n{i}.id
}}

resource "azurerm_network_interface" "nic{i}" {{
  name                = "nic-{i}"
  location            = var.location
  resource_group_name = azurerm_resource_group.rg.name
  ip_configuration {{
    name                          = "internal"
    subnet_id                     = azurerm_subnet.s{i}.id
    private_ip_address_allocation = "Dynamic"
  }}
}}

resource "azurerm_linux_virtual_machine" "vm{i}" {{
  name                            = format("vm-%05d", {i})
  location                        = var.location
  resource_group_name             = azurerm_resource_group.rg.name
  size                            = "Standard_D2s_v3"
  admin_username                  = "azureuser"
  admin_password                  = var.admin_password
  disable_password_authentication = false
  network_interface_ids           = [azurerm_network_interface.nic{i}.id]
  os_disk {{
    caching              = "ReadWrite"
    storage_account_type = "Standard_LRS"
  }}
  source_image_reference {{
    publisher = "Canonical"
    offer     = "0001-com-ubuntu-server-jammy"
    sku       = "22_04-lts"
    version   = "latest"
  }}
}}

resource "azurerm_storage_account" "sa{i}" {{
  name                          = "sa{i:08d}"
  location                      = var.location
  resource_group_name           = azurerm_resource_group.rg.name
  account_tier                  = "Standard"
  account_replication_type      = "LRS"
  public_network_access_enabled = {str(i % 3 != 0).lower()}
  network_rules {{
    default_action = "Deny"
    bypass         = ["AzureServices"]
  }}
}}

resource "azurerm_private_endpoint" "pe{i}" {{
  name                = "pe-sa-{i}"
  location            = var.location
  resource_group_name = azurerm_resource_group.rg.name
  subnet_id           = azurerm_subnet.s{i}.id
  private_service_connection {{
    name                           = "psc"
    private_connection_resource_id = azurerm_storage_account.sa{i}.id
    subresource_names              = ["blob"]
    is_manual_connection           = false
  }}
  private_dns_zone_group {{
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.blob.id]
  }}
}}

resource "azurerm_public_ip" "pip{i}" {{
  count               = {1 if i % 10 == 0 else 0}
  name                = "pip-{i}"
  location            = var.location
  resource_group_name = azurerm_resource_group.rg.name
  allocation_method   = "Static"
  sku                 = "Standard"
}}

resource "azurerm_private_dns_a_record" "r{i}" {{
  name                = "sa{i:08d}"
  zone_name           = azurerm_private_dns_zone.blob.name
  resource_group_name = azurerm_resource_group.rg.name
  ttl                 = 300
  records             = [cidrhost(azurerm_subnet.s{i}.address_prefixes[0], 4)]
}}

resource "azurerm_route_table" "rt{i}" {{
  name                = "rt-{i}"
  location            = var.location
  resource_group_name = azurerm_resource_group.rg.name
  route {{
    name                   = "default"
    address_prefix         = "0.0.0.0/0"
    next_hop_type          = "VirtualAppliance"
    next_hop_in_ip_address = "10.0.0.4"
  }}
}}
"""


PER_UNIT = 9.1  # resources per unit (the public IP counts 1 in 10)


def generate(root: Path, resources: int, single_file: bool) -> int:
    """Write the module; the number of bytes of .tf text."""
    root.mkdir(parents=True, exist_ok=True)
    units = max(1, round(resources / PER_UNIT))
    chunks = [unit(i) for i in range(units)]
    if single_file:
        text = HEADER + "".join(chunks)
        (root / "main.tf").write_text(text)
        size = len(text)
    else:
        (root / "main.tf").write_text(HEADER)
        size = len(HEADER)
        per_file = 30  # units per file: ~300 resources, as a large real module's files
        for f in range(0, units, per_file):
            text = "".join(chunks[f : f + per_file])
            (root / f"workload_{f // per_file:03d}.tf").write_text(text)
            size += len(text)
    (root / "terraform.tfvars").write_text('admin_password = "not-a-real-password"\n')
    return size


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the parse workers): on a
    shared machine the wall time says little, the CPU time what the work costs."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(root: Path, label: str) -> None:
    from auditor.inputs.terraform.config import load_config

    c0 = _cpu()
    t0 = time.perf_counter()
    config = load_config(root)
    t1 = time.perf_counter()
    c1 = _cpu()
    line = (
        f"{label}: {len(config.resources)} resources, load_config {t1 - t0:.2f} s"
        f" (CPU {c1 - c0:.2f} s in all processes; {len(config.gaps)} gaps)"
    )
    try:
        from auditor.inputs.terraform.azurerm import to_rows
    except ImportError:
        to_rows = None
    if to_rows is not None:
        try:
            t2 = time.perf_counter()
            mapped = to_rows(config)
            t3 = time.perf_counter()
            line += f", to_rows {t3 - t2:.2f} s ({len(mapped.rows)} rows)"
        except Exception as e:  # the mappers are someone else's work in progress
            line += f", to_rows failed: {e.__class__.__name__}: {e}"
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resources", type=int, default=10_000)
    ap.add_argument("--keep", type=Path, help="write the modules here and keep them")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        many = base / "many-files"
        size = generate(many, args.resources, single_file=False)
        run(
            many,
            f"{args.resources} resources in {len(list(many.glob('*.tf')))} files, "
            f"{size / 1e6:.1f} MB",
        )
        one = base / "one-file"
        size = generate(one, args.resources, single_file=True)
        run(one, f"the same in one .tf file of {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
