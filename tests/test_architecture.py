"""The seams are contracts: the offline path never loads the Azure SDK or the collector,
and the stages below the CLI import only what lies beneath them (docs/architecture.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES, ROOT

PACKAGE = ROOT / "auditor"
# Modules that may talk to Azure: the collector, the credential factory, the Logs Ingestion
# upload (azure-monitor-ingestion, imported only when an upload runs) and the CLI that wires
# them (which imports them only for a live scope or an upload).
LIVE = {"auditor.collect", "auditor.credentials", "auditor.upload"}
# Each stage and what it must never import (the layers above it, and the live path).
NEVER = {
    "auditor.graph": ("auditor.rules", "auditor.report", "auditor.core", "auditor.cli"),
    "auditor.relations": ("auditor.rules", "auditor.report", "auditor.core", "auditor.cli"),
    "auditor.answers": ("auditor.rules", "auditor.report", "auditor.core", "auditor.cli"),
    "auditor.conditions": ("auditor.report", "auditor.core", "auditor.cli"),
    "auditor.rules": ("auditor.report", "auditor.core", "auditor.cli"),
    "auditor.findings": ("auditor.graph", "auditor.rules", "auditor.report", "auditor.cli"),
    "auditor.core": ("auditor.report", "auditor.cli"),
    "auditor.report": ("auditor.cli",),
    "auditor.inputs": ("auditor.graph", "auditor.rules", "auditor.report", "auditor.cli"),
    "auditor.estate": ("auditor.graph", "auditor.rules", "auditor.report", "auditor.cli"),
    "auditor.collections": ("auditor.rules", "auditor.report", "auditor.core", "auditor.cli"),
    "auditor.triage": ("auditor.report", "auditor.core", "auditor.cli", "auditor.collect"),
    # validate runs without Azure and without a graph (pre-commit, fork pull requests)
    "auditor.validate": (
        "auditor.graph",
        "auditor.core",
        "auditor.report",
        "auditor.cli",
        "auditor.collect",
    ),
    # the foundations every stage uses import no stage at all
    **{
        base: (
            "auditor.inputs",
            "auditor.estate",
            "auditor.graph",
            "auditor.relations",
            "auditor.rules",
            "auditor.report",
            "auditor.core",
            "auditor.cli",
            "auditor.collect",
        )
        for base in (
            "auditor.progress",  # the core and the collector report to it
            "auditor.model",
            "auditor.clouds",
            "auditor.files",
            "auditor.arm",
            "auditor.embedded",
        )
    },
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function, made absolute."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_import_walker_sees_relative_and_nested_imports() -> None:
    got = imports_of(PACKAGE / "cli.py")
    assert "auditor.core" in got  # imported inside a function, relatively
    assert "auditor.collect" in got or "auditor.collect.Collector" in got


@pytest.mark.parametrize("path", modules(), ids=module_name)
def test_only_the_live_path_imports_azure(path: Path) -> None:
    name = module_name(path)
    if name in LIVE or name == "auditor.cli":
        return
    bad = sorted(
        m
        for m in imports_of(path)
        if m.split(".")[0] == "azure" or any(m == x or m.startswith(x + ".") for x in LIVE)
    )
    assert bad == [], f"{name} imports {bad}: only {sorted(LIVE)} and the CLI may"


@pytest.mark.parametrize("path", modules(), ids=module_name)
def test_stages_do_not_import_the_layers_above_them(path: Path) -> None:
    name = module_name(path)
    rules = [v for k, v in NEVER.items() if name == k or name.startswith(k + ".")]
    for forbidden in rules:
        bad = sorted(
            m for m in imports_of(path) if any(m == f or m.startswith(f + ".") for f in forbidden)
        )
        assert bad == [], f"{name} imports {bad}"


def loaded_after(code: str) -> list[str]:
    """The Azure SDK and collector modules loaded once ``code`` has run, in a fresh
    interpreter (the test process has imported everything already). The credential
    module may load (the parser lists its --auth choices): it imports azure-identity only
    when a credential is made."""
    probe = (
        f"{code}\nimport sys\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'azure' "
        "or m == 'auditor.collect'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return list(ast.literal_eval(out.strip().splitlines()[-1]))


def test_an_offline_scan_loads_neither_the_sdk_nor_the_collector(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code = (
        "from auditor.cli import main\n"
        f"main(['scan', '--snapshot', {str(FIXTURES / 'reference-good.json')!r}, "
        f"'--output', {str(out)!r}, '--quiet', '--fail-on', 'none'])"
    )
    assert loaded_after(code) == []
    assert out.stat().st_size > 0


def test_the_library_entry_point_loads_neither(tmp_path: Path) -> None:
    code = (
        "from auditor import audit\n"
        f"run = audit([{str(FIXTURES / 'reference-terraform.json')!r}])\n"
        "assert run.result.findings"
    )
    assert loaded_after(code) == []
