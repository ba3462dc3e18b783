"""``mlops-audit policy-initiative``: the Azure Policy built-ins the rules reference, as one
custom initiative (a ``Microsoft.Authorization/policySetDefinitions`` resource) to create and
assign, so Azure Policy keeps watching between scans what a rule found.

One policy reference per built-in definition, however many rules name it; its
``policyDefinitionReferenceId`` names those rules and its ``groupNames`` are their MCSB v1
controls, each declared once in ``policyDefinitionGroups``. An initiative cannot be assigned
when a definition has a parameter without a default that the initiative leaves unset, so the
parameters of every referenced built-in are recorded in ``builtin_policies.json`` (read from
Azure/azure-policy at the commit it names): every parameter of a referenced definition
becomes an initiative parameter with the definition's type, allowed values and default.
A definition the file does not know (a custom rule's) is referenced without parameters, and
said so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from . import __version__, mcsb
from .rules import Rule

DEFINITION_PREFIX = "/providers/Microsoft.Authorization/policyDefinitions/"
DEFAULT_NAME = "mlops-audit"
# What ARM accepts as a policy set definition name (the az CLI's pattern for --name; no
# control characters either) and the REST API's length limit for policy names.
NAME = re.compile(r"^[^<>*%&:\\?.+/]*[^<>*%&:\\?.+/ ]+$")
MAX_NAME = 64


class InitiativeError(Exception):
    """What the initiative cannot be made from: the CLI prints it as one line, exit 2."""


@dataclass
class Initiative:
    """The policy set definition, and what a user must know before assigning it."""

    document: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@cache
def builtin_policies() -> dict[str, Any]:
    """The recorded built-in definitions: ``{"source": ..., "definitions": {guid: ...}}``."""
    text = resources.files("auditor").joinpath("builtin_policies.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def check_name(name: str) -> str | None:
    """Why ``name`` cannot name a policy set definition, or None."""
    if not name.strip():
        return "--name: needs a name, got an empty value"
    if len(name) > MAX_NAME:
        return f"--name: at most {MAX_NAME} characters (got {len(name)})"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in name):
        return "--name: may not hold a control character (a line break, a tab, ...)"
    if not NAME.fullmatch(name):
        return "--name: may not hold < > * % & : \\ ? . + / nor end with a space"
    return None


def build(rules: list[Rule], name: str = DEFAULT_NAME) -> Initiative:
    """The initiative of the built-ins ``rules`` reference, in a fixed order: references by
    their first rule's id, parameters by name, groups by domain and number."""
    known: dict[str, Any] = builtin_policies()["definitions"]
    by_guid: dict[str, list[Rule]] = {}
    for rule in sorted(rules, key=lambda r: r.id):
        for ref in rule.spec.policy:
            users = by_guid.setdefault(ref.id.lower(), [])
            if rule not in users:
                users.append(rule)
    if not by_guid:
        raise InitiativeError(
            "the selected rules reference no Azure Policy definition (a rule's policy: field);"
            " there is nothing to put in an initiative"
        )
    notes: list[str] = []
    parameters: dict[str, Any] = {}
    references: list[dict[str, Any]] = []
    controls: set[str] = set()
    taken: set[str] = set()
    for guid, users in sorted(by_guid.items(), key=lambda kv: (kv[1][0].id, kv[0])):
        ids = [r.id for r in users]
        # the rules, and the definition: one rule may reference several built-ins
        reference_id = f"{'_'.join(ids)}-{guid[:8]}"
        if reference_id in taken:  # two GUIDs that start alike, for the same rules
            reference_id = f"{'_'.join(ids)}-{guid}"
        taken.add(reference_id)
        groups = sorted({c for r in users for c in r.spec.mcsb}, key=mcsb.order)
        controls.update(groups)
        entry: dict[str, Any] = {
            "policyDefinitionId": DEFINITION_PREFIX + guid,
            "policyDefinitionReferenceId": reference_id,
        }
        definition = known.get(guid)
        if definition is None:
            notes.append(
                f"policy {guid} ({', '.join(ids)}) is not a built-in mlops-audit knows: it is "
                "referenced as a built-in without parameters (its effect and any required "
                "parameter are left to the definition; Azure refuses the initiative if no "
                "built-in has this id, and an assignment if a parameter has no default)"
            )
        else:
            values = _parameters(definition, reference_id, parameters)
            if values:
                entry["parameters"] = values
            notes += _notes(guid, definition, ids, values)
        if groups:
            entry["groupNames"] = groups
        references.append(entry)
    document = {
        "name": name,
        "type": "Microsoft.Authorization/policySetDefinitions",
        "properties": {
            "displayName": "mlops-audit: Azure ML network security (Azure Policy built-ins)",
            # the rules go in metadata: Azure caps a description at 512 characters
            "description": (
                "The Azure Policy built-in definitions that mlops-audit rules name as their "
                "equivalents, one reference per definition (its reference id names the rules), "
                "grouped by Microsoft cloud security benchmark v1 control."
            ),
            "policyType": "Custom",
            "metadata": {
                "category": "Machine Learning",
                "version": __version__,
                "generatedBy": f"mlops-audit {__version__}",
                "benchmark": mcsb.BENCHMARK,
                "rules": sorted({r.id for users in by_guid.values() for r in users}),
            },
            "parameters": dict(sorted(parameters.items())),
            "policyDefinitionGroups": [_group(c) for c in sorted(controls, key=mcsb.order)],
            "policyDefinitions": references,
        },
    }
    return Initiative(document, notes)


def _parameters(
    definition: dict[str, Any], reference_id: str, parameters: dict[str, Any]
) -> dict[str, Any]:
    """The reference's parameter values: each of the definition's parameters bound to an
    initiative parameter (added to ``parameters``) with the same type, allowed values and
    default, so whoever assigns it can set any of them (the Azure ML DNS policy's second
    zone has an empty default) and must set the ones without a default."""
    values: dict[str, Any] = {}
    for pname, spec in sorted(definition["parameters"].items()):
        iname = re.sub(r"[^A-Za-z0-9]+", "_", f"{pname}_{reference_id}")
        meta = dict(spec.get("metadata", {}))
        label = meta.get("displayName", pname)
        meta["displayName"] = f"{label} ({reference_id})"
        what = str(meta.get("description", label)).strip().rstrip(".")
        meta["description"] = f"{what}. Policy: {definition['displayName']}"
        param: dict[str, Any] = {"type": spec["type"], "metadata": dict(sorted(meta.items()))}
        for key in ("allowedValues", "defaultValue"):
            if key in spec:
                param[key] = spec[key]
        parameters[iname] = param
        values[pname] = {"value": f"[parameters('{iname}')]"}
    return values


def _notes(
    guid: str, definition: dict[str, Any], ids: list[str], values: dict[str, Any]
) -> list[str]:
    """What the definition asks of whoever assigns the initiative."""
    who = f"policy {guid} ({definition['displayName']}; {', '.join(ids)})"
    out = []
    if "effect" not in definition["parameters"]:
        out.append(
            f"{who} has the fixed effect {definition['effect']}: assigning the initiative "
            f"enforces it (--skip {' --skip '.join(ids)} leaves it out)"
        )
    required = [p for p in values if "defaultValue" not in definition["parameters"][p]]
    if required:
        out.append(f"{who} needs {', '.join(required)} at assignment (no default)")
    if definition.get("roleDefinitionIds"):
        roles = ", ".join(r.rsplit("/", 1)[-1] for r in definition["roleDefinitionIds"])
        out.append(
            f"{who} deploys resources: the assignment needs a managed identity and location, "
            f"with role {roles}"
        )
    return out


def _group(control: str) -> dict[str, Any]:
    title = mcsb.TITLES.get(control)
    group = {
        "name": control,
        "displayName": f"{control}: {title}" if title else control,
        "category": mcsb.DOMAINS[control.split("-")[0]],
        "additionalMetadataId": mcsb.metadata_id(control),
    }
    return group


def render(initiative: Initiative) -> str:
    """The document as JSON text, keys in the order they were built."""
    return json.dumps(initiative.document, indent=2, ensure_ascii=False) + "\n"
