"""What both Terraform inputs produce: resource instances with evaluated values.

The HCL reader (``config.py``) and the plan reader (``plan.py``) each turn their input into
a list of :class:`TfResource`; ``azurerm/`` maps those onto the ARM-shaped rows the rest of
the tool reads. Values are JSON-like (str, int, float, bool, None, list, dict) and may hold
:class:`~auditor.unknown.UnknownValue` anywhere. Nested blocks are lists of objects, as
``terraform show -json`` writes them (``identity { … }`` → ``"identity": [{…}]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...unknown import UnknownValue

# The subscription a synthesized id names when the configuration does not say (the
# provider block's literal subscription_id, when it has one, is used instead).
PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


@dataclass
class TfResource:
    """One resource instance: ``module.net.azurerm_subnet.aml[0]``."""

    address: str  # full instance address, as Terraform prints it
    mode: str  # "managed" | "data"
    type: str  # azurerm_subnet
    name: str  # aml
    module: str = ""  # "" for the root module, else "module.net" / "module.a[1].module.b"
    index: int | str | None = None  # count index or for_each key
    values: dict[str, Any] = field(default_factory=dict)  # attributes and nested blocks
    file: str | None = None  # the .tf file (as the user named the directory + relative)
    line: int | None = None  # the block's first line
    # the line of each attribute set in the configuration, by dotted path with block
    # indexes: "public_network_access_enabled", "network_rules.0.default_action"
    lines: dict[str, int] = field(default_factory=dict)
    # what each attribute's expression referred to, by the same dotted paths as ``lines``:
    # "var.ADO_PAT", "local.x", "azurerm_subnet.aml", "module.net", "data.azurerm_x.y"
    # (the HCL reader also lists what each named local refers to, transitively)
    references: dict[str, list[str]] = field(default_factory=dict)
    provider: str = "azurerm"  # the provider's local name
    provider_subscription: str | None = None  # the provider block's literal subscription_id

    def get(self, path: str, default: Any = None) -> Any:
        """The value at a dotted path (``network_rules.0.default_action``); ``default``
        when absent. An unknown on the way is returned as it is."""
        value: Any = self.values
        for step in path.split("."):
            if type(value) is UnknownValue:
                return value
            if isinstance(value, list):
                if not step.isdigit() or int(step) >= len(value):
                    return default
                value = value[int(step)]
            elif isinstance(value, dict):
                if step not in value:
                    return default
                value = value[step]
            else:
                return default
        return value

    def line_of(self, path: str) -> int | None:
        """The line of an attribute (or the nearest enclosing block that is set)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rpartition(".")[0]
        return self.line


@dataclass
class ProviderVersion:
    """Which azurerm majors the configuration admits: from ``.terraform.lock.hcl`` (exact)
    or the ``required_providers`` constraint; ``majors`` empty when nothing says."""

    majors: tuple[int, ...]
    source: str  # "lock file 3.117.0" | "required_providers '~> 3.0'" | "not declared"
    # the exact version a lock file pins ((3, 117, 0)), else None: a few attributes changed
    # meaning inside a major (the workspace's public_network_access_enabled, 3.0 vs 3.25)
    version: tuple[int, ...] | None = field(default=None, compare=False)


@dataclass
class TfConfig:
    """What a Terraform input holds, ready for mapping."""

    resources: list[TfResource]
    provider: ProviderVersion
    # Problems that leave part of the configuration unread or unevaluated (a module
    # source that is not local, a count that cannot be known): each a coverage gap.
    gaps: list[str] = field(default_factory=list)
    # Terraform-only facts the mapping turns into rows of their own (variables: name,
    # default, sensitive, file, line); see azurerm/compute.py.
    variables: list[dict[str, Any]] = field(default_factory=list)
    root: str = ""  # the directory or plan file as the user named it
    # what narrowed the evidence without leaving a gap (a variable set from TF_VAR_*)
    notes: list[str] = field(default_factory=list)
