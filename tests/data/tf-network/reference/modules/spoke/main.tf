# The AML spoke: endpoints, training and inference subnets with their NSGs.
variable "location" {
  type = string
}

variable "hub_vnet_id" {
  type = string
}

variable "hub_space" {
  type = list(string)
}

resource "azurerm_resource_group" "aml" {
  name     = "rg-aml"
  location = var.location
}

resource "azurerm_virtual_network" "aml" {
  name                = "vnet-aml"
  location            = azurerm_resource_group.aml.location
  resource_group_name = azurerm_resource_group.aml.name
  address_space       = ["10.0.8.0/21"]

  # azurerm 3.x inline subnets, each with its NSG
  subnet {
    name           = "snet-endpoints"
    address_prefix = "10.0.8.0/24"
    security_group = azurerm_network_security_group.endpoints.id
  }

  subnet {
    name           = "snet-training"
    address_prefix = "10.0.10.0/23"
    security_group = azurerm_network_security_group.training.id
  }

  subnet {
    name           = "snet-inference"
    address_prefix = "10.0.12.0/22"
    security_group = azurerm_network_security_group.inference.id
  }
}

resource "azurerm_network_security_group" "endpoints" {
  name                = "nsg-endpoints"
  location            = azurerm_resource_group.aml.location
  resource_group_name = azurerm_resource_group.aml.name

  security_rule {
    name                       = "AllowClientsInbound"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = ["443", "445"]
    source_address_prefixes    = concat(var.hub_space, ["10.0.8.0/21"])
    destination_address_prefix = "*"
  }
}

locals {
  training_outbound = [
    ["AllowAzureActiveDirectoryOutbound", 100, "Tcp", "AzureActiveDirectory", ["80", "443"]],
    ["AllowAzureMachineLearningOutbound", 110, "Tcp", "AzureMachineLearning", ["443", "8787", "18881"]],
    ["AllowAzureMachineLearningUdpOutbound", 120, "Udp", "AzureMachineLearning", ["5831"]],
    ["AllowBatchNodeManagementOutbound", 130, "*", "BatchNodeManagement.westeurope", ["443"]],
    ["AllowAzureResourceManagerOutbound", 140, "Tcp", "AzureResourceManager", ["443"]],
    ["AllowStorageOutbound", 150, "Tcp", "Storage.westeurope", ["443", "445"]],
    ["AllowAzureFrontDoorOutbound", 160, "Tcp", "AzureFrontDoor.FrontEnd", ["443"]],
    ["AllowMicrosoftContainerRegistryOutbound", 170, "Tcp", "MicrosoftContainerRegistry", ["443"]],
    ["AllowAzureMonitorOutbound", 180, "Tcp", "AzureMonitor", ["443"]],
    ["AllowVirtualNetworkOutbound", 190, "Tcp", "VirtualNetwork", ["443"]],
  ]
}

resource "azurerm_network_security_group" "training" {
  name                = "nsg-training"
  location            = azurerm_resource_group.aml.location
  resource_group_name = azurerm_resource_group.aml.name

  dynamic "security_rule" {
    for_each = local.training_outbound
    content {
      name                       = security_rule.value[0]
      priority                   = security_rule.value[1]
      direction                  = "Outbound"
      access                     = "Allow"
      protocol                   = security_rule.value[2]
      source_port_range          = "*"
      destination_port_ranges    = security_rule.value[4]
      source_address_prefix      = "VirtualNetwork"
      destination_address_prefix = security_rule.value[3]
    }
  }

  security_rule {
    name                       = "AzureMachineLearningInbound"
    priority                   = 130
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "44224"
    source_address_prefix      = "AzureMachineLearning"
    destination_address_prefix = "VirtualNetwork"
  }
}

resource "azurerm_network_security_group" "inference" {
  name                = "nsg-inference"
  location            = azurerm_resource_group.aml.location
  resource_group_name = azurerm_resource_group.aml.name

  security_rule {
    name                       = "AllowHttpsFromVnet"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "443"
    source_address_prefix      = "VirtualNetwork"
    destination_address_prefix = "*"
  }
}

resource "azurerm_virtual_network_peering" "aml_to_bastion" {
  name                      = "peer-aml-to-bastion"
  resource_group_name       = azurerm_resource_group.aml.name
  virtual_network_name      = azurerm_virtual_network.aml.name
  remote_virtual_network_id = var.hub_vnet_id
  allow_forwarded_traffic   = true
}

output "vnet_id" {
  value = azurerm_virtual_network.aml.id
}
