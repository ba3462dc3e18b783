"""The HCL reader: parsing, evaluation as Terraform evaluates, modules, lines, gaps."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditor.files import InputError
from auditor.inputs.terraform.config import load_config
from auditor.inputs.terraform.resources import TfConfig, TfResource
from auditor.unknown import UnknownValue


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def by_address(config: TfConfig) -> dict[str, TfResource]:
    return {r.address: r for r in config.resources}


def test_plain_resources_variables_locals_and_references(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            variable "prefix" { default = "mlops" }
            locals {
              name = "${local.base}-x"   # defined before what it uses
              base = "${var.prefix}-${terraform.workspace}"
            }
            resource "azurerm_resource_group" "rg" {
              name     = "rg-${local.name}"
              location = "westeurope"
            }
            resource "azurerm_virtual_network" "vnet" {
              name                = "vnet"
              resource_group_name = azurerm_resource_group.rg.name
              location            = azurerm_resource_group.rg.location
              address_space       = ["10.0.0.0/16"]
            }
            resource "azurerm_subnet" "aml" {
              name                 = "snet-aml"
              resource_group_name  = azurerm_resource_group.rg.name
              virtual_network_name = azurerm_virtual_network.vnet.name
              address_prefixes     = ["10.0.1.0/24"]
            }
            resource "azurerm_network_interface" "nic" {
              name                = "nic"
              location            = "westeurope"
              resource_group_name = "rg-other"
              ip_configuration {
                name      = "ipc"
                subnet_id = azurerm_subnet.aml.id
              }
            }
            """
        },
    )
    config = load_config(tmp_path)
    rs = by_address(config)
    assert list(rs) == [
        "azurerm_resource_group.rg",
        "azurerm_virtual_network.vnet",
        "azurerm_subnet.aml",
        "azurerm_network_interface.nic",
    ]
    assert rs["azurerm_resource_group.rg"].values == {
        "name": "rg-mlops-default-x",
        "location": "westeurope",
    }
    nic = rs["azurerm_network_interface.nic"]
    assert nic.values["ip_configuration"] == [
        {
            "name": "ipc",
            "subnet_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
            "rg-mlops-default-x/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-aml",
        }
    ]
    assert nic.line == 22
    assert nic.lines["ip_configuration.0.subnet_id"] == 28
    assert nic.lines["ip_configuration.0"] == 26
    assert nic.references == {"ip_configuration.0.subnet_id": ["azurerm_subnet.aml"]}
    assert nic.file == f"{tmp_path}/main.tf"
    assert rs["azurerm_resource_group.rg"].references == {"name": ["local.name"]}


def test_variable_without_value_is_unknown(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            variable "ADO_PAT" {
              type = string
            }
            resource "azurerm_resource_group" "rg" {
              name     = "rg"
              location = "westeurope"
              tags     = { pat = var.ADO_PAT, n = "${var.ADO_PAT}-x" }
            }
            """
        },
    )
    config = load_config(tmp_path)
    (rg,) = config.resources
    unknown = UnknownValue("var.ADO_PAT has no default and no value was given")
    assert rg.values["tags"] == {"pat": unknown, "n": unknown}
    assert rg.references == {"tags": ["var.ADO_PAT"]}
    assert config.variables == [
        {
            "module": "",
            "name": "ADO_PAT",
            "default": None,
            "has_default": False,
            "sensitive": False,
            "type": "string",
            "file": f"{tmp_path}/main.tf",
            "line": 1,
        }
    ]


def test_unparsable_file_is_input_error_with_line(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'resource "a" "b" {\n  x = \n}\n'})
    with pytest.raises(InputError) as e:
        load_config(tmp_path)
    assert str(e.value).startswith(f"{tmp_path}/main.tf: line 2:")


def test_empty_directory_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no \.tf files"):
        load_config(tmp_path)
