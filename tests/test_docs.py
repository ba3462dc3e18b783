"""The written-down vocabulary and the README stay in step with the code and the rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from auditor.model import EDGE_KINDS, NODE_KINDS, describe_model
from auditor.rules import load_rules

from .conftest import ROOT


def test_model_doc_is_generated_from_the_code() -> None:
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert text == describe_model(), "run: python -m auditor.model > docs/model.md"


def test_every_kind_is_documented() -> None:
    text = describe_model()
    for kind in [*NODE_KINDS, *EDGE_KINDS]:
        assert f"`{kind}`" in text


def test_readme_lists_every_rule() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in load_rules():
        assert f"| {rule.id} | {rule.spec.severity} | {rule.spec.category} | " in readme, rule.id


def test_installed_package_finds_its_rules(tmp_path: Path) -> None:
    """Run from outside the checkout, the installed package finds every rule file (in CI it
    is a wheel, whose rules/ were shipped inside the package)."""
    code = "from auditor.rules import builtin_rules_dir as d; print(d())"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    shipped = sorted(p.stem for p in Path(out).glob("*.yaml"))
    assert shipped == sorted(p.stem for p in (ROOT / "rules").glob("*.yaml"))
