"""Build Terraform resources in a test and scan them as ``mlops-audit scan --terraform``
does after reading: the azurerm mapping, the graph and the rules (the HCL reader is
tested on its own)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor import arm
from auditor.estate import Estate, Reading
from auditor.findings import AuditResult
from auditor.graph import build
from auditor.inputs.terraform.azurerm import MapResult, to_rows
from auditor.inputs.terraform.azurerm.dns import TERRAFORM_COLLECTIONS
from auditor.inputs.terraform.resources import ProviderVersion, TfConfig, TfResource
from auditor.rules import evaluate, load_rules

SUB = "00000000-0000-0000-0000-000000000001"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"


def res(
    tf_type: str, label: str, lines: dict[str, int] | None = None, /, **values: Any
) -> TfResource:
    """A root-module managed resource whose block starts on line 1 of main.tf."""
    return TfResource(
        address=f"{tf_type}.{label}",
        mode="managed",
        type=tf_type,
        name=label,
        values=values,
        file="main.tf",
        line=1,
        lines=lines or {},
        provider_subscription=SUB,
    )


def rid(rg: str, provider_path: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/{provider_path}"


def mapped(resources: list[TfResource], majors: tuple[int, ...] = (3,)) -> MapResult:
    return to_rows(TfConfig(resources, ProviderVersion(majors, f"test {majors}")))


def row_of(result: MapResult, tf_id: str) -> dict[str, Any]:
    return next(r for r in result.rows if arm.key(r["id"]) == arm.key(tf_id))


def scan(
    resources: list[TfResource],
    select: list[str],
    extra_rows: list[dict[str, Any]] | None = None,
    majors: tuple[int, ...] = (3,),
    relabel: bool = True,
    collections: list[str] | None = None,
) -> AuditResult:
    """``extra_rows``: ARM rows of what another helper's mappers make (VNets, subnets).
    ``relabel=False`` keeps ARM ids, to compare with the ARM form of a fixture."""
    result = mapped(resources, majors)
    estate = Estate()
    estate.add(
        "main.tf",
        "terraform",
        Reading(
            [*(extra_rows or []), *result.rows],
            row_label="Terraform resource",
            gaps=list(result.gaps),
            collections=list(TERRAFORM_COLLECTIONS) if collections is None else collections,
            origins=result.origins,
        ),
    )
    rules = [r for r in load_rules([]) if r.id in select]
    out = evaluate(rules, build(estate))
    if relabel:
        out.relabel(estate.origins)
    return out


def fixture_rows(rule_id: str, form: str, types: set[str]) -> list[dict[str, Any]]:
    """The rows of a rule's ARM fixture whose type is in ``types`` (lower case)."""
    rows = json.loads((FIXTURES / rule_id / f"{form}.json").read_text(encoding="utf-8"))
    return [r for r in rows if str(r.get("type", "")).lower() in types]


def verdicts(result: AuditResult) -> tuple[list[str], list[str]]:
    """(ids with a finding, ids not evaluated), by ARM key: both forms synthesize the
    same ids, so the ARM and the Terraform form of a fixture compare directly."""
    found = sorted({arm.key(f.resource_id) for f in result.findings})
    unknown = sorted({arm.key(n.resource_id or "") for n in result.not_evaluated})
    return found, unknown
