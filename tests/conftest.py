"""Shared helpers: scan an estate in-process, the way the CLI does; a clean config
environment; the Logs Ingestion stand-in."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from auditor import core
from auditor import rules as rules_stage
from auditor.findings import AuditResult

if TYPE_CHECKING:
    from .fake_ingest import FakeIngestion

# Reports carry the run's time; tests that compare two runs pin it (the determinism tests
# drop it again to check that nothing else differs).
os.environ["SOURCE_DATE_EPOCH"] = "1767225600"  # 2026-01-01T00:00:00Z
# In a CI log every scan prints its stages' summary lines on stderr (auditor/progress.py):
# the suite runs the same in CI and out of it, and the tests of those lines set CI.
for _ci in ("CI", "TF_BUILD", "GITHUB_ACTIONS"):
    os.environ.pop(_ci, None)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture
def clean_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An empty working directory and no MLOPS_AUDIT_* variable: no config layer the test
    did not write (``pytestmark = pytest.mark.usefixtures("clean_config")``)."""
    from auditor import config

    for name in list(os.environ):
        if name.startswith(config.ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def ingest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIngestion]:
    """The Logs Ingestion stand-in (tests/fake_ingest.py) for its RULE and STREAM, its CA
    trusted as a live scan's is, and a signed-in stub ``az`` in ``tmp_path/bin`` first on
    PATH (rewrite it to make the sign-in fail)."""
    pytest.importorskip("azure.monitor.ingestion")
    from .fake_arm import write_stub_az
    from .fake_ingest import RULE, STREAM, FakeIngestion

    stub = tmp_path / "bin"
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    with FakeIngestion(RULE, STREAM) as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_path)
        monkeypatch.setenv("SSL_CERT_FILE", fake.ca_path)
        yield fake


@pytest.fixture(scope="session")
def all_rules() -> list[rules_stage.Rule]:
    return rules_stage.load_rules()


def scan_rows(
    rows: list[dict[str, Any]],
    tmp_path: Path,
    select: list[str] | None = None,
    rules: list[rules_stage.Rule] | None = None,
) -> AuditResult:
    """Write rows to a file and audit it with the built-in rules (or ``rules``)."""
    path = tmp_path / f"estate-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return scan_files([path], select=select, rules=rules)


def scan_files(
    paths: list[Path], select: list[str] | None = None, rules: list[rules_stage.Rule] | None = None
) -> AuditResult:
    return core.audit(paths, rules=rules, select=select or ()).result


def graph_of(rows: list[dict[str, Any]], tmp_path: Path) -> Any:
    """The graph of an estate of hand-built rows (no rule run), for relation tests."""
    path = tmp_path / f"estate-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return core.audit([path], rules=[]).graph


def load_synth() -> Any:
    """bench/synth.py (the synthetic estate generator) as a module: it is a script, not
    part of the package."""
    spec = importlib.util.spec_from_file_location("synth", ROOT / "bench" / "synth.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["synth"] = module
    spec.loader.exec_module(module)
    return module
