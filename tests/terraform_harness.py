"""Scan a Terraform root module in a test: the HCL reader, the azurerm mapping, the graph
and the rules, as ``mlops-audit scan --terraform DIR`` runs them (the CLI's own wiring is
tested in test_cli / test_terraform_*)."""

from __future__ import annotations

from pathlib import Path

from auditor.collections import NAMES
from auditor.estate import Estate, Reading
from auditor.findings import AuditResult
from auditor.graph import build
from auditor.rules import evaluate, load_rules


def tf_estate(directory: str | Path) -> Estate:
    from auditor.inputs.terraform import azurerm  # the reader lands later
    from auditor.inputs.terraform import config as tf

    config = tf.load_config(Path(directory))
    mapped = azurerm.to_rows(config)
    estate = Estate()
    reading = Reading(
        mapped.rows,
        row_label="Terraform resource",
        gaps=[*config.gaps, *mapped.gaps],
        collections=list(NAMES),
        origins=mapped.origins,
    )
    estate.add(str(directory), "terraform", reading)
    return estate


def scan_tf(directory: str | Path, select: list[str] | None = None) -> AuditResult:
    """Every rule (or the ``select``ed ids) over the module at ``directory``."""
    estate = tf_estate(directory)
    rules = [r for r in load_rules([]) if not select or r.id in select]
    result = evaluate(rules, build(estate))
    result.relabel(estate.origins)
    return result
