"""The two tables docs/formats.md shows, made from the code so the document stays true:
which azurerm types become which ARM rows, and the provider defaults by major.

    python -m auditor.inputs.terraform.azurerm.tables
"""

from __future__ import annotations

from typing import Any

from .... import arm
from ....unknown import UnknownValue
from ..resources import TfResource
from . import MAPPERS, _load_mappers
from .defaults import RESEARCHED_MAJORS, table
from .ids import _SAME_AS, synthesize_id

_PARENT_OF = {
    "azurerm_subnet_network_security_group_association": "its subnet",
    "azurerm_subnet_route_table_association": "its subnet",
    "azurerm_subnet_nat_gateway_association": "its subnet",
    "azurerm_storage_account_network_rules": "its storage account",
}


_RG = "/subscriptions/s/resourceGroups/rg/providers"
# the parent id a child resource names, for the types whose id hangs under it
_PARENTS = {
    "machine_learning_workspace_id": f"{_RG}/Microsoft.MachineLearningServices/workspaces/w",
    "workspace_id": f"{_RG}/Microsoft.MachineLearningServices/workspaces/w",
    "virtual_machine_id": f"{_RG}/Microsoft.Compute/virtualMachines/vm",
    "loadbalancer_id": f"{_RG}/Microsoft.Network/loadBalancers/lb",
    "private_dns_resolver_id": f"{_RG}/Microsoft.Network/dnsResolvers/r",
    "dns_forwarding_ruleset_id": f"{_RG}/Microsoft.Network/dnsForwardingRulesets/rs",
    "backend_address_pool_id": f"{_RG}/Microsoft.Network/loadBalancers/lb/backendAddressPools/p",
}


def _arm_type(tf_type: str) -> str:
    probe = TfResource(
        address=f"{tf_type}.x",
        mode="managed",
        type=tf_type,
        name="x",
        values={"name": "x", "resource_group_name": "rg", **_PARENTS},
    )
    return arm.arm_type(synthesize_id(probe))


def mapping_markdown() -> str:
    """azurerm type | module | the ARM type of its row (or of the entry it becomes inside
    its parent's row: a subnet in its VNet, a rule in its NSG), or what it folds into."""
    _load_mappers()
    lines = ["| azurerm resource | mapped in | ARM type |", "|---|---|---|"]
    for tf_type in sorted(MAPPERS):
        module = MAPPERS[tf_type].fn.__module__.rsplit(".", 1)[-1]
        arm_type = _arm_type(tf_type)
        if tf_type in _SAME_AS or arm_type.startswith("terraform/"):
            becomes = f"folds into {_PARENT_OF.get(tf_type, 'the resource it names')}"
        else:
            becomes = f"`{arm_type}`"
        lines.append(f"| `{tf_type}` | {module}.py | {becomes} |")
    return "\n".join(lines)


def _cell(value: Any, present: bool) -> str:
    if not present:
        return "—"
    if type(value) is UnknownValue:
        return "changed within the major"
    if value is None:
        return "not sent (Azure's default)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"`{value}`"


def defaults_markdown() -> str:
    """tf type | attribute | the default in each researched major."""
    head = " | ".join(f"{m}.x" for m in RESEARCHED_MAJORS)
    lines = [
        f"| azurerm resource | attribute | {head} |",
        "|---|---|" + "---|" * len(RESEARCHED_MAJORS),
    ]
    for tf_type, attrs in sorted(table().items()):
        for attr, by_major in sorted(attrs.items()):
            cells = " | ".join(_cell(by_major.get(m), m in by_major) for m in RESEARCHED_MAJORS)
            lines.append(f"| `{tf_type}` | `{attr}` | {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(mapping_markdown())
    print()
    print(defaults_markdown())
