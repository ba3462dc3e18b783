"""Terraform's type conversions, for the attributes the mappers read.

Terraform converts an argument to the type the provider's schema declares before the
provider sees it: ``public_network_access_enabled = "false"`` is the bool false,
``destination_port_range = 22`` the string "22", ``priority = "100"`` the number 100. The
HCL reader has no schema and keeps what the expression produced, so the mappers would
read the string "false" as something other than false (a pass where the setting is on,
a finding where it is off). These conversions make each spelling the value Terraform
sends. A plan's values are converted already; converting them again changes nothing.

Which attributes are booleans follows azurerm's naming: ``*_enabled``, ``*_disabled``,
``enable_*``, ``disable_*``, ``allow_*``, ``is_*``, ``use_*`` and a few single names. Only
the exact strings Terraform converts ("true"/"1", "false"/"0") are changed; any other string
is one terraform rejects, so it is unknown (a rule's ``not_equals: true`` must not pass
``admin_enabled = "yes"``).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ....unknown import UnknownValue
from ..resources import TfResource

_BOOL_NAME = re.compile(
    r"^(?:.+_enabled|.+_disabled|enable_.+|disable_.+|allow_.+|is_.+|use_.+|enabled|enable"
    r"|primary|high_business_impact|admin_enabled)$"
)
# cty converts "true"/"1" and "false"/"0" (conversion_primitive.go); terraform rejects
# any other string given to a bool argument ("True", "yes"), so what it sets is unknown
_BOOLS = {"true": True, "1": True, "false": False, "0": False}
# Block attributes azurerm declares as strings (or lists of strings) that a configuration
# may write as numbers: NSG rule ports and prefixes.
_STRING_NAMES = frozenset(
    {
        "source_port_range",
        "source_port_ranges",
        "destination_port_range",
        "destination_port_ranges",
        "source_address_prefix",
        "source_address_prefixes",
        "destination_address_prefix",
        "destination_address_prefixes",
    }
)
# ... and as numbers that a configuration may write as strings.
_NUMBER_NAMES = frozenset({"priority"})
_NUMBER = re.compile(r"^-?\d+$")


def _to_string(value: Any) -> Any:
    if type(value) in (int, float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, list):
        return [_to_string(v) for v in value]
    return value


def _value(key: str, value: Any) -> Any:
    if type(value) is str:
        if key in _NUMBER_NAMES and _NUMBER.match(value):
            return int(value)
        if _BOOL_NAME.match(key):
            if value in _BOOLS:
                return _BOOLS[value]
            return UnknownValue(f"{key} = {value[:80]!r}: not a bool terraform accepts")
        return value
    if key in _STRING_NAMES:
        return _to_string(value)
    if isinstance(value, list):  # nested blocks are lists of objects
        return [_convert(v) if isinstance(v, dict) else v for v in value]
    return value  # a map argument (tags, node_labels): its keys are no attribute names


def _convert(values: dict[str, Any]) -> dict[str, Any]:
    """The arguments (and nested blocks) with Terraform's conversions applied."""
    return {key: _value(key, value) for key, value in values.items()}


def converted(r: TfResource) -> TfResource:
    """``r`` with its values as Terraform converts them (``r`` itself when nothing
    changes)."""
    values = _convert(r.values)
    if values == r.values:
        return r
    return dataclasses.replace(r, values=values)
