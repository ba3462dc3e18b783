"""Public endpoint firewalls: what a storage account's, key vault's or container registry's
network rules admit, stated as the estate shows them.

A firewall whose default action is Deny still admits its exceptions — IP ranges, virtual
network (subnet) rules, resource instance rules and the trusted-services bypass. Messages
that describe such a firewall read the summary here instead of claiming "the listed
ranges" when none are listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Item, relation

if TYPE_CHECKING:
    from ..graph import AuditGraph

SHOWN = 3  # exceptions named in full before "and N more"

# kind → (the rule set's property, the bypass property, where the bypass sits)
_SETS = {
    "storage_account": ("networkAcls", "bypass", "set"),
    "key_vault": ("networkAcls", "bypass", "set"),
    "container_registry": ("networkRuleSet", "networkRuleBypassOptions", "properties"),
}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _named(values: list[str], one: str, many: str) -> str:
    if not values:
        return f"no {many}"
    shown = ", ".join(values[:SHOWN])
    more = f" and {len(values) - SHOWN} more" if len(values) > SHOWN else ""
    return f"{len(values)} {one if len(values) == 1 else many} ({shown}{more})"


def _allowed(rules: list[Any], key: str) -> list[str]:
    """The values of the rules that allow (a rule without ``action`` allows)."""
    out = []
    for r in rules:
        if not isinstance(r, dict):
            out.append(str(r))
        elif str(r.get("action") or "Allow").lower() == "allow":
            out.append(str(r.get(key)))
    return out


def summary(g: AuditGraph, k: str) -> str:
    """What the resource's firewall admits, in a clause: "it admits 1 IP range (…), no
    virtual network rules and no resource instance rules (bypass: AzureServices)", or "it
    lists no IP ranges, virtual network rules or resource instance rules (…)"."""
    props = g.row(k).get("properties")
    props = props if isinstance(props, dict) else {}
    field, bypass_key, where = _SETS[g.kind(k)]
    rules = props.get(field)
    rules = rules if isinstance(rules, dict) else {}
    ips = _named(_allowed(_list(rules.get("ipRules")), "value"), "IP range", "IP ranges")
    vnets = _named(
        [_last(v) for v in _allowed(_list(rules.get("virtualNetworkRules")), "id")],
        "virtual network rule",
        "virtual network rules",
    )
    parts = [ips, vnets]
    if g.kind(k) == "storage_account":
        instances = [
            _last(str(r.get("resourceId"))) if isinstance(r, dict) else str(r)
            for r in _list(rules.get("resourceAccessRules"))
        ]
        parts.append(_named(instances, "resource instance rule", "resource instance rules"))
    bypass = (rules if where == "set" else props).get(bypass_key)
    said = f"{bypass_key}: {bypass if bypass else '(absent)'}"
    if all(p.startswith("no ") for p in parts):
        kinds = [p[3:] for p in parts]
        listed = " or ".join([", ".join(kinds[:-1]), kinds[-1]])
        return f"it lists no {listed} ({said})"
    return f"it admits {', '.join(parts[:-1])} and {parts[-1]} ({said})"


def _last(rid: str) -> str:
    """A subnet rule as vnet/subnet, a resource id as its name: short, still exact enough
    to find in the portal."""
    parts = rid.rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2].lower() == "subnets":
        return f"{parts[-3]}/{parts[-1]}"
    return parts[-1]


@relation("firewall", "storage_account", "key_vault", "container_registry", fields=("admits",))
def firewall(g: AuditGraph, k: str) -> list[Item]:
    """One item describing the resource's public endpoint firewall (``admits``: the IP
    ranges, virtual network rules, resource instance rules and bypass it lets through, the
    first few named). Its key is empty: the finding concerns the resource itself."""
    return [Item(key="", node=None, extra={"admits": summary(g, k)})]
