"""The written-down vocabulary and the README stay in step with the code and the rules."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from auditor.model import EDGE_KINDS, NODE_KINDS
from auditor.modeldoc import describe_model
from auditor.rules import load_rules

from .conftest import ROOT


def test_model_doc_is_generated_from_the_code() -> None:
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert text == describe_model(), "run: python -m auditor.modeldoc > docs/model.md"


def test_every_kind_is_documented() -> None:
    text = describe_model()
    for kind in [*NODE_KINDS, *EDGE_KINDS]:
        assert f"`{kind}`" in text


def test_readme_lists_every_rule() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in load_rules():
        controls = ", ".join(rule.spec.mcsb)
        row = f"| {rule.id} | {rule.spec.severity} | {rule.spec.category} | {controls} | "
        assert row in readme, rule.id


def test_installed_package_finds_its_rules(tmp_path: Path) -> None:
    """Run from outside the checkout, the installed package finds every rule file (in CI it
    is a wheel, whose rules/ were shipped inside the package)."""
    code = "from auditor.rules import builtin_rules_dir as d; print(d())"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    shipped = sorted(p.stem for p in Path(out).glob("*.yaml"))
    assert shipped == sorted(p.stem for p in (ROOT / "rules").glob("*.yaml"))


def test_readme_library_example_runs() -> None:
    """The README's three-line library example works as written, from the checkout."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    (example,) = [b for b in blocks if "from auditor import audit" in b]
    done = subprocess.run(
        [sys.executable, "-c", example], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("True [('MLA-")


def test_architecture_map_names_real_modules() -> None:
    """docs/architecture.md names modules that exist (keep the map true)."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\b([a-z_]+(?:/[a-z_]+)*(?:\.py|/))", text))
    files = [p.relative_to(ROOT).as_posix() for p in ROOT.glob("**/*") if ".venv" not in p.parts]
    have = {f + ("/" if (ROOT / f).is_dir() else "") for f in files}
    missing = [n for n in sorted(named) if not any(h == n or h.endswith("/" + n) for h in have)]
    assert named and missing == []


def test_formats_md_holds_the_terraform_tables_the_code_makes() -> None:
    """The azurerm mapping table and the defaults by major in docs/formats.md are the ones
    the mapper registry and defaults.yaml make (regenerate with
    ``python -m auditor.inputs.terraform.azurerm.tables``)."""
    from auditor.inputs.terraform.azurerm.tables import defaults_markdown, mapping_markdown

    text = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    for name, table in (("mapping", mapping_markdown()), ("defaults", defaults_markdown())):
        start = text.index(f"<!-- {name} table:")
        body = text[text.index("\n", start) + 1 : text.index(f"<!-- end {name} table -->")]
        assert body.strip() == table.strip(), f"docs/formats.md's {name} table is stale"
