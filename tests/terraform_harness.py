"""Scan a Terraform root module in a test: the HCL reader, the azurerm mapping, the graph
and the rules, as ``mlops-audit scan --terraform DIR`` runs them — through the input
format the CLI uses (``auditor.inputs.terraform_input``), so the rows, origins, gaps and
collections are the scan's own."""

from __future__ import annotations

from pathlib import Path

from auditor import inputs
from auditor.estate import Estate
from auditor.findings import AuditResult
from auditor.graph import build
from auditor.rules import evaluate, load_rules


def tf_estate(
    directory: str | Path,
    var_files: list[str | Path] | None = None,
    variables: dict[str, str] | None = None,
) -> Estate:
    options = inputs.InputOptions(
        var_files=tuple(Path(f) for f in var_files or ()), variables=dict(variables or {})
    )
    return inputs.load([inputs.Input(directory, "terraform")], options)


def tf_plan_estate(plan: str | Path, source: str | Path | None = None) -> Estate:
    options = inputs.InputOptions(terraform_source=Path(source) if source else None)
    return inputs.load([inputs.Input(plan, "terraform-plan")], options)


def scan_estate(estate: Estate, select: list[str] | None = None) -> AuditResult:
    """Every rule (or the ``select``ed ids) over ``estate``, findings named by address."""
    rules = [r for r in load_rules([]) if not select or r.id in select]
    result = evaluate(rules, build(estate))
    result.relabel(estate.origins, {r.id: r.deciding() for r in rules})
    return result


def scan_tf(directory: str | Path, select: list[str] | None = None) -> AuditResult:
    """Every rule (or the ``select``ed ids) over the module at ``directory``."""
    return scan_estate(tf_estate(directory), select)


def scan_tf_plan(plan: str | Path, select: list[str] | None = None) -> AuditResult:
    """Every rule (or the ``select``ed ids) over a ``terraform show -json`` plan."""
    return scan_estate(tf_plan_estate(plan), select)
