"""azurerm mappers: compute (see __init__.py).

Virtual machines (the jump host, the build agents) become ``Microsoft.Compute/virtualMachines``
rows as Resource Graph gives them: ``networkProfile.networkInterfaces[].id`` (the graph's
NIC → VM edge), ``storageProfile.osDisk.osType`` and ``osProfile`` with
``linuxConfiguration.disablePasswordAuthentication`` — the provider's default where the
configuration leaves it out. ARM never returns an admin password, and neither do these rows:
a password is visible only as what it does (password authentication allowed).

VM extensions become ``Microsoft.Compute/virtualMachines/extensions`` rows with their public
``settings`` parsed from the JSON string Terraform holds. Protected settings are never
copied: ``properties.protectedSettingsSet`` says whether some are given. The variables each
attribute was computed from (``TfResource.references``) go in ``terraformReferences``
(attribute -> variable row ids), a Terraform-only field the graph draws as ``uses_variable``
edges: a secret that reached public settings through ``templatefile`` is only visible there.

Terraform variables become rows of a type no Azure resource has: id
``/providers/Terraform/variables/<address>`` (``var.ADO_PAT``, ``module.agents.var.pat``),
type ``Terraform/variables`` — ARM namespaces are all ``Company.Service``, with a dot, so
this one can never name an Azure resource. A variable row says whether the variable is
sensitive and whether its default is set and empty; the default itself is never copied.
Its ``name`` is the address (a module's variables share names), ``properties.variableName``
the name as declared.
"""

from __future__ import annotations

import json
from typing import Any

from .... import arm
from ....unknown import UnknownValue
from ..resources import TfConfig, TfResource
from . import MapContext, Row, maps, maps_config

VM_TYPE = "Microsoft.Compute/virtualMachines"
EXTENSION_TYPE = "Microsoft.Compute/virtualMachines/extensions"
VARIABLE_TYPE = "Terraform/variables"
_DISABLE = "properties.osProfile.linuxConfiguration.disablePasswordAuthentication"


def variable_address(module: str, name: str) -> str:
    """``var.x`` in the root module, ``module.net.var.x`` in a module."""
    return f"{module}.var.{name}" if module else f"var.{name}"


def variable_id(module: str, name: str) -> str:
    """The row id of a variable: an id no Azure resource can have (see the module doc)."""
    return "/providers/Terraform/variables/" + variable_address(module, name).replace("/", "%2F")


def _known(value: Any) -> bool:
    return value is not None and type(value) is not UnknownValue


def _common(r: TfResource, ctx: MapContext, arm_type: str) -> Row:
    """The top-level fields every resource row has, as Resource Graph spells them."""
    row: Row = {
        "id": ctx.id_of(r),
        "name": r.get("name"),
        "type": arm_type,
        "location": r.get("location"),
        "resourceGroup": r.get("resource_group_name"),
        "subscriptionId": ctx.subscription(r),
        "tags": r.get("tags") or {},
    }
    zone = r.get("zone")
    if _known(zone):
        row["zones"] = [str(zone)]
    elif type(zone) is UnknownValue:
        row["zones"] = zone
    identity = r.get("identity.0")
    if isinstance(identity, dict):
        ids = identity.get("identity_ids")
        row["identity"] = {
            "type": identity.get("type"),
            **(
                {"userAssignedIdentities": {i: {} for i in ids if isinstance(i, str)}}
                if isinstance(ids, list) and ids
                else {}
            ),
        }
    return row


def _nics(value: Any) -> Any:
    """``network_interface_ids`` as ``networkProfile.networkInterfaces``: [{"id": …}]."""
    if not isinstance(value, list):
        return value  # an unknown stays unknown; absent stays absent
    return [{"id": nid} for nid in value]


@maps("azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine")
def virtual_machine(r: TfResource, ctx: MapContext) -> None:
    linux = r.type == "azurerm_linux_virtual_machine"
    os_profile: dict[str, Any] = {
        "computerName": r.get("computer_name") or r.get("name"),
        "adminUsername": r.get("admin_username"),
    }
    allow = r.get("allow_extension_operations", r.get("allow_extension_operations_enabled"))
    if allow is not None:  # 3.x and 4.x spellings; the provider's default is true
        os_profile["allowExtensionOperations"] = allow
    lines = {
        "properties.osProfile.adminUsername": "admin_username",
        "properties.networkProfile.networkInterfaces": "network_interface_ids",
        "properties.hardwareProfile.vmSize": "size",
    }
    if linux:
        keys = [k for k in r.get("admin_ssh_key") or [] if isinstance(k, dict)]
        os_profile["linuxConfiguration"] = {
            "disablePasswordAuthentication": ctx.value(r, "disable_password_authentication"),
            "provisionVMAgent": ctx.value(r, "provision_vm_agent"),
            "ssh": {
                "publicKeys": [
                    {
                        "path": f"/home/{k.get('username')}/.ssh/authorized_keys",
                        "keyData": k.get("public_key"),
                    }
                    for k in keys
                ]
            },
        }
        lines[_DISABLE] = "disable_password_authentication"
    else:
        os_profile["windowsConfiguration"] = {
            "provisionVMAgent": ctx.value(r, "provision_vm_agent"),
        }
    row = _common(r, ctx, VM_TYPE)
    row["properties"] = {
        "hardwareProfile": {"vmSize": r.get("size")},
        "storageProfile": {"osDisk": {"osType": "Linux" if linux else "Windows"}},
        "osProfile": os_profile,
        "networkProfile": {"networkInterfaces": _nics(r.get("network_interface_ids"))},
    }
    ctx.add_row(r, row, lines)


@maps("azurerm_virtual_machine")
def legacy_virtual_machine(r: TfResource, ctx: MapContext) -> None:
    """The 1.x/2.x-era resource (still in 3.x, gone in 4.x): os_profile blocks."""
    profile = r.get("os_profile.0")
    linux_cfg = r.get("os_profile_linux_config.0")
    windows_cfg = r.get("os_profile_windows_config.0")
    lines = {
        "properties.osProfile.adminUsername": "os_profile.0.admin_username",
        "properties.networkProfile.networkInterfaces": "network_interface_ids",
        "properties.hardwareProfile.vmSize": "vm_size",
        "properties.storageProfile.osDisk.osType": "storage_os_disk.0.os_type",
    }
    os_profile: dict[str, Any] | None = None
    if isinstance(profile, dict):
        os_profile = {
            "computerName": profile.get("computer_name"),
            "adminUsername": profile.get("admin_username"),
        }
    if isinstance(linux_cfg, dict):
        os_profile = os_profile if os_profile is not None else {}
        keys = [k for k in linux_cfg.get("ssh_keys") or [] if isinstance(k, dict)]
        os_profile["linuxConfiguration"] = {
            "disablePasswordAuthentication": ctx.value(
                r, "os_profile_linux_config.0.disable_password_authentication"
            ),
            "ssh": {
                "publicKeys": [{"path": k.get("path"), "keyData": k.get("key_data")} for k in keys]
            },
        }
        lines[_DISABLE] = "os_profile_linux_config.0.disable_password_authentication"
    if isinstance(windows_cfg, dict):
        os_profile = os_profile if os_profile is not None else {}
        os_profile["windowsConfiguration"] = {
            "provisionVMAgent": windows_cfg.get("provision_vm_agent"),
            "enableAutomaticUpdates": windows_cfg.get("enable_automatic_upgrades"),
        }
    os_type = r.get("storage_os_disk.0.os_type")
    if os_type is None:  # the provider infers it from the profile block that is given
        os_type = "Linux" if isinstance(linux_cfg, dict) else "Windows" if windows_cfg else None
    row = _common(r, ctx, VM_TYPE)
    props: dict[str, Any] = {
        "hardwareProfile": {"vmSize": r.get("vm_size")},
        "storageProfile": {"osDisk": {"osType": os_type}},
        "networkProfile": {"networkInterfaces": _nics(r.get("network_interface_ids"))},
    }
    if os_profile is not None:  # an attached OS disk has none (ARM omits it too)
        props["osProfile"] = os_profile
    row["properties"] = props
    ctx.add_row(r, row, lines)


def _settings(r: TfResource, attr: str) -> Any:
    """Public settings as ARM holds them: the JSON object Terraform passes as a string
    (``jsonencode(...)`` or a heredoc); an unknown stays unknown, and a string that is no
    JSON object is unknown with the reason (the provider refuses it at plan)."""
    value = r.get(attr)
    if value is None or type(value) is UnknownValue or isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return UnknownValue(f"{r.address}: {attr} is not a JSON string")
    if not value.strip():
        return None
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return UnknownValue(f"{r.address}: {attr} is not valid JSON")
    if not isinstance(parsed, dict):
        return UnknownValue(f"{r.address}: {attr} is JSON but not an object")
    return parsed


def _variables_used(r: TfResource, attr: str) -> list[str]:
    """The ids of the variables (of ``r``'s module) that ``attr`` was computed from."""
    seen: dict[str, None] = {}
    for path, refs in sorted(r.references.items()):
        if path != attr and not path.startswith(attr + "."):
            continue
        for ref in refs:
            parts = ref.split(".") if isinstance(ref, str) else []
            if len(parts) >= 2 and parts[0] == "var" and parts[1]:
                seen.setdefault(variable_id(r.module, parts[1]))
    return list(seen)


@maps("azurerm_virtual_machine_extension", phase=2)
def vm_extension(r: TfResource, ctx: MapContext) -> None:
    """Phase 2: the extension's location and resource group are its VM's."""
    rid = ctx.id_of(r)
    vm_id = arm.parent(rid)
    vm = ctx.row(vm_id)
    protected = r.get("protected_settings")
    from_vault = r.get("protected_settings_from_key_vault.0")
    props: dict[str, Any] = {
        "publisher": r.get("publisher"),
        "type": r.get("type"),
        "typeHandlerVersion": r.get("type_handler_version"),
        "autoUpgradeMinorVersion": ctx.value(r, "auto_upgrade_minor_version"),
        "enableAutomaticUpgrade": ctx.value(r, "automatic_upgrade_enabled"),
        "settings": _settings(r, "settings"),
        # whether protected settings are given; never their value
        "protectedSettingsSet": (protected if type(protected) is UnknownValue else bool(protected)),
    }
    if isinstance(from_vault, dict):
        props["protectedSettingsFromKeyVault"] = {
            "secretUrl": from_vault.get("secret_url"),
            "sourceVault": {"id": from_vault.get("source_vault_id")},
        }
    if r.get("provision_after_extensions") is not None:
        props["provisionAfterExtensions"] = r.get("provision_after_extensions")
    row: Row = {
        "id": rid,
        "name": r.get("name"),
        "type": EXTENSION_TYPE,
        "location": vm.get("location") if vm else None,
        "resourceGroup": vm.get("resourceGroup") if vm else arm.segment(rid, "resourceGroups"),
        "subscriptionId": (vm.get("subscriptionId") if vm else None) or ctx.subscription(r),
        "tags": r.get("tags") or {},
        "properties": props,
    }
    used = _variables_used(r, "settings")
    if used:
        row["terraformReferences"] = {"settings": used}
    ctx.add_row(
        r,
        row,
        {
            "properties.settings": "settings",
            "properties.publisher": "publisher",
            "properties.type": "type",
            "properties.protectedSettingsSet": "protected_settings",
        },
    )


def _empty(value: Any) -> Any:
    """Whether a default holds nothing (null, "", [], {}); unknown stays unknown."""
    if type(value) is UnknownValue:
        return value
    return value in (None, "", [], {})


@maps_config
def variables(config: TfConfig, ctx: MapContext) -> None:
    """Each declared variable → a ``Terraform/variables`` row (never its default's value)."""
    for var in config.variables:
        name = var.get("name")
        if not isinstance(name, str) or not name:
            ctx.gaps.append(f"{var.get('file')}: a variable without a name was not mapped")
            continue
        module = var.get("module") or ""
        address = variable_address(module, name)
        has_default = bool(var.get("has_default"))
        declared = var.get("type")
        props: dict[str, Any] = {
            "variableName": name,
            "module": module,
            "sensitive": var.get("sensitive") is True,
            "hasDefault": has_default,
            "variableType": declared if isinstance(declared, str) else None,
        }
        if has_default:
            props["defaultIsEmpty"] = _empty(var.get("default"))
        row: Row = {
            "id": variable_id(module, name),
            "name": address,
            "type": VARIABLE_TYPE,
            "properties": props,
        }
        lines = var.get("lines") if isinstance(var.get("lines"), dict) else {}
        carrier = TfResource(
            address=address,
            mode="variable",
            type="variable",
            name=name,
            module=module,
            file=var.get("file"),
            line=var.get("line"),
            lines={k: v for k, v in lines.items() if isinstance(v, int)},
        )
        ctx.add_row(
            carrier,
            row,
            {"properties.defaultIsEmpty": "default", "properties.hasDefault": "default"},
        )
