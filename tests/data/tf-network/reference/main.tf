# The network of fixtures/reference-terraform.json (the article's estate), as a root module
# with a local module for the AML spoke: the same VNets, subnets, NSGs, Bastion, NICs and
# peerings, so the network rules judge it as they judge the live reference.
terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 3.0"
    }
  }
}

provider "azurerm" {
  features {}
  subscription_id = "c85d5ae6-ac71-5beb-a6f4-ab7e1481e0e8"
}

variable "location" {
  type    = string
  default = "westeurope"
}

variable "agent_count" {
  type    = number
  default = 2
}

locals {
  bastion_prefix = "10.0.0.0/26"
  hub_subnets = {
    AzureBastionSubnet = "10.0.0.0/26"
    snet-jumphost      = "10.0.1.0/24"
    snet-agents        = "10.0.2.0/24"
  }
  nsg_names = {
    AzureBastionSubnet = "nsg-bastion"
    snet-jumphost      = "nsg-jumphost"
    snet-agents        = "nsg-agents"
  }
}

resource "azurerm_resource_group" "bastion" {
  name     = "rg-bastion"
  location = var.location
}

resource "azurerm_virtual_network" "bastion" {
  name                = "vnet-bastion"
  location            = azurerm_resource_group.bastion.location
  resource_group_name = azurerm_resource_group.bastion.name
  address_space       = ["10.0.0.0/22"]
}

resource "azurerm_subnet" "hub" {
  for_each                                       = local.hub_subnets
  name                                           = each.key
  resource_group_name                            = azurerm_resource_group.bastion.name
  virtual_network_name                           = azurerm_virtual_network.bastion.name
  address_prefixes                               = [each.value]
  enforce_private_link_endpoint_network_policies = true
}

resource "azurerm_network_security_group" "hub" {
  for_each            = local.nsg_names
  name                = each.value
  location            = azurerm_resource_group.bastion.location
  resource_group_name = azurerm_resource_group.bastion.name
}

resource "azurerm_subnet_network_security_group_association" "hub" {
  for_each                  = local.hub_subnets
  subnet_id                 = azurerm_subnet.hub[each.key].id
  network_security_group_id = azurerm_network_security_group.hub[each.key].id
}

# Microsoft's Bastion rules
resource "azurerm_network_security_rule" "bastion" {
  for_each = {
    AllowHttpsInbound             = { priority = 120, direction = "Inbound", protocol = "Tcp", source = "Internet", destination = "*", ports = ["443"] }
    AllowGatewayManagerInbound    = { priority = 130, direction = "Inbound", protocol = "Tcp", source = "GatewayManager", destination = "*", ports = ["443"] }
    AllowAzureLoadBalancerInbound = { priority = 140, direction = "Inbound", protocol = "Tcp", source = "AzureLoadBalancer", destination = "*", ports = ["443"] }
    AllowBastionHostCommunication = { priority = 150, direction = "Inbound", protocol = "*", source = "VirtualNetwork", destination = "VirtualNetwork", ports = ["8080", "5701"] }
    AllowSshRdpOutbound           = { priority = 100, direction = "Outbound", protocol = "*", source = "*", destination = "VirtualNetwork", ports = ["22", "3389"] }
    AllowAzureCloudOutbound       = { priority = 110, direction = "Outbound", protocol = "Tcp", source = "*", destination = "AzureCloud", ports = ["443"] }
  }
  name                        = each.key
  priority                    = each.value.priority
  direction                   = each.value.direction
  access                      = "Allow"
  protocol                    = each.value.protocol
  source_port_range           = "*"
  destination_port_range      = length(each.value.ports) == 1 ? each.value.ports[0] : null
  destination_port_ranges     = length(each.value.ports) > 1 ? each.value.ports : null
  source_address_prefix       = each.value.source
  destination_address_prefix  = each.value.destination
  resource_group_name         = azurerm_resource_group.bastion.name
  network_security_group_name = azurerm_network_security_group.hub["AzureBastionSubnet"].name
}

# SSH and RDP from the Bastion subnet only, on the jump host's and the agents' subnets
resource "azurerm_network_security_rule" "from_bastion" {
  for_each                    = toset(["snet-jumphost", "snet-agents"])
  name                        = "AllowSshRdpFromBastion"
  priority                    = 110
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "Tcp"
  source_port_range           = "*"
  destination_port_ranges     = ["22", "3389"]
  source_address_prefixes     = [local.bastion_prefix]
  destination_address_prefix  = "*"
  resource_group_name         = azurerm_resource_group.bastion.name
  network_security_group_name = azurerm_network_security_group.hub[each.key].name
}

resource "azurerm_public_ip" "bastion" {
  name                = "pip-bastion"
  location            = azurerm_resource_group.bastion.location
  resource_group_name = azurerm_resource_group.bastion.name
  allocation_method   = "Static"
  sku                 = "Standard"
}

resource "azurerm_bastion_host" "bastion" {
  name                = "bas-mlops"
  location            = azurerm_resource_group.bastion.location
  resource_group_name = azurerm_resource_group.bastion.name
  sku                 = "Standard"

  ip_configuration {
    name                 = "IpConf"
    subnet_id            = azurerm_subnet.hub["AzureBastionSubnet"].id
    public_ip_address_id = azurerm_public_ip.bastion.id
  }
}

resource "azurerm_network_interface" "jumphost" {
  name                = "nic-vm-jumphost"
  location            = azurerm_resource_group.bastion.location
  resource_group_name = azurerm_resource_group.bastion.name

  ip_configuration {
    name                          = "ipconfig1"
    subnet_id                     = azurerm_subnet.hub["snet-jumphost"].id
    private_ip_address_allocation = "Dynamic"
  }
}

resource "azurerm_network_interface" "agent" {
  count               = var.agent_count
  name                = "nic-vm-agent-${count.index + 1}"
  location            = azurerm_resource_group.bastion.location
  resource_group_name = azurerm_resource_group.bastion.name

  ip_configuration {
    name                          = "ipconfig1"
    subnet_id                     = azurerm_subnet.hub["snet-agents"].id
    private_ip_address_allocation = "Dynamic"
  }
}

module "spoke" {
  source         = "./modules/spoke"
  location       = var.location
  hub_vnet_id    = azurerm_virtual_network.bastion.id
  hub_space      = azurerm_virtual_network.bastion.address_space
}

resource "azurerm_virtual_network_peering" "bastion_to_aml" {
  name                      = "peer-bastion-to-aml"
  resource_group_name       = azurerm_resource_group.bastion.name
  virtual_network_name      = azurerm_virtual_network.bastion.name
  remote_virtual_network_id = module.spoke.vnet_id
  allow_forwarded_traffic   = true
}
