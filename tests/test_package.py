"""What a user gets from the package alone, outside this checkout: the bundled sample
estates (``scan --sample``), the licence, the metadata, the typing marker, and a README
whose first command runs them. ``.ci/run`` builds the sdist and wheel and runs
``twine check`` on them; here the declarations that put the files there are held."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from auditor import samples

from .conftest import FIXTURES, ROOT
from .update_golden import run_cli

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _sample_json(tmp_path: Path, *args: str, code: int) -> dict[str, Any]:
    proc = run_cli("scan", "--sample", *args, "--format", "json", cwd=tmp_path)
    assert proc.returncode == code, proc.stderr
    return json.loads(proc.stdout)


def test_sample_scans_the_bundled_reference_estate_from_any_directory(tmp_path: Path) -> None:
    """A bare ``--sample`` is reference-terraform: its four high findings fail the default
    --fail-on high (exit 1), run from a directory with no fixtures/ in it."""
    report = _sample_json(tmp_path, code=1)
    ids = sorted(f["rule_id"] for f in report["findings"])
    assert ids == ["MLA-ACR-004", "MLA-AML-001", "MLA-AML-003", "MLA-DNS-001"]
    (given,) = report["inputs"]
    assert Path(given["path"]).name == "reference-terraform.json"
    assert given["rows"] == len(json.loads((FIXTURES / "reference-terraform.json").read_bytes()))


def test_sample_by_name(tmp_path: Path) -> None:
    report = _sample_json(tmp_path, "reference-good", code=0)
    assert report["findings"] == []
    assert Path(report["inputs"][0]["path"]).name == "reference-good.json"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--sample", "nope"], "invalid choice: 'nope'"),
        (["--sample", "--snapshot", "x.json"], "--sample audits a bundled estate on its own"),
        (["--sample", "--terraform", "."], "--sample audits a bundled estate on its own"),
    ],
)
def test_sample_usage_errors_are_one_line(tmp_path: Path, args: list[str], says: str) -> None:
    proc = run_cli("scan", *args, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert says in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_installed_package_carries_the_very_fixture_files(tmp_path: Path) -> None:
    """The package (in CI the wheel pip built; from source the checkout) finds each sample,
    byte for byte the file in fixtures/ the tests read: one file, no copy to drift."""
    code = (
        "from auditor import samples; "
        "print('\\n'.join(str(samples.sample_path(n)) for n in samples.SAMPLES))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name, found in zip(samples.SAMPLES, out, strict=True):
        assert Path(found).read_bytes() == (FIXTURES / f"{name}.json").read_bytes(), name


def test_every_sample_is_shipped_in_the_wheel() -> None:
    """pyproject's force-include puts each fixtures/ sample where sample_path looks."""
    wheel = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]
    shipped = wheel["force-include"]
    assert wheel["packages"] == ["auditor"]
    for name in samples.SAMPLES:
        source = f"fixtures/{name}.json"
        assert (ROOT / source).is_file()
        assert shipped[source] == f"auditor/{samples.PACKAGED_DIR}/{name}.json"
    assert samples.DEFAULT in samples.SAMPLES
    with pytest.raises(KeyError):
        samples.sample_path("../pyproject")


def test_licence_and_typing_marker_ship() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text  # the whole licence, not a stub
    # the wheel takes every file under auditor/, the marker included; the sdist the licence
    assert (ROOT / "auditor" / "py.typed").is_file()
    assert "LICENSE" in PYPROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    # hatchling writes License-Expression / License-File (PEP 639) from 1.27 on
    (backend,) = PYPROJECT["build-system"]["requires"]
    assert backend == "hatchling>=1.27"


def test_metadata_is_complete() -> None:
    project = PYPROJECT["project"]
    assert project["authors"] and project["maintainers"] and len(project["keywords"]) >= 5
    classifiers = set(project["classifiers"])
    for wanted in (
        "Environment :: Console",
        "Intended Audience :: System Administrators",
        "Intended Audience :: Information Technology",
        "Operating System :: OS Independent",
        "Topic :: Security",
        "Topic :: System :: Networking",
        "Typing :: Typed",
    ):
        assert wanted in classifiers, wanted
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    # PEP 639: with a license expression the License :: classifiers are deprecated
    assert not any(c.startswith("License :: ") for c in classifiers)
    # the Python versions named are those requires-python allows, up to the newest tested
    low = re.fullmatch(r">=3\.(\d+)", project["requires-python"])
    assert low
    named = sorted(
        int(c.rsplit(".", 1)[1])
        for c in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert named == list(range(int(low[1]), 14))


def test_readme_first_command_installs_and_scans_the_sample() -> None:
    """The README opens with the two commands a fresh machine runs: install and audit the
    bundled sample, install and test; Install names pipx."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^    (python3 -m venv .*)$", readme, re.M)[:2]
    first, second = commands
    assert readme.index(first) < readme.index("\n---\n") and readme.index(second) < readme.index(
        "\n---\n"
    )
    assert "pip install . && .venv/bin/mlops-audit scan --sample" in first
    assert "pip install '.[test]'" in second and "pytest" in second
    install = readme.split("## Install\n", 1)[1].split("\n## ", 1)[0]
    assert "pipx install" in install and "mlops-audit scan --sample" in install
