"""The container image definition (Dockerfile, .dockerignore), held without a container
engine: ``.ci/run`` builds and runs the image where ``docker info`` or ``podman info``
succeeds; here the file itself is read, and its final stage's install (the wheel alone, into
a fresh environment, outside this checkout) is done for real and the CLI run from it."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path, PurePosixPath

import pytest
import yaml

import auditor

from .conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"
CI = ROOT / ".ci" / "run"
PINNED_BASE = re.compile(
    r"python:3\.12(?:\.\d+)?-slim-bookworm@sha256:[0-9a-f]{64}", flags=re.IGNORECASE
)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = pending + line
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each stage, FROM first."""
    found: list[list[tuple[str, str]]] = []
    for ins in instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if ins[0] == "FROM":
            found.append([])
        assert found, f"{ins} before the first FROM"
        found[-1].append(ins)
    return found


def test_the_base_image_is_pinned_by_digest_on_one_from_line() -> None:
    """A tag alone can move; every stage starts from the one pinned base (a literal FROM
    line, the only kind Dependabot's docker ecosystem updates)."""
    all_stages = stages()
    assert len(all_stages) >= 3, "base, build, final"
    base = all_stages[0][0][1].split()
    assert PINNED_BASE.fullmatch(base[0]) and base[1:] == ["AS", "base"], base
    names = {"base"}
    for stage in all_stages[1:]:
        image, *alias = stage[0][1].split()
        assert image in names, f"FROM {image}: not the pinned base"
        if alias:
            names.add(alias[-1])
    assert "ARG" not in [w for w, _ in instructions(DOCKERFILE.read_text("utf-8"))]
    # no "# syntax=" directive: it would pull a frontend image by a tag at every build
    assert not re.search(r"^#\s*syntax\s*=", DOCKERFILE.read_text("utf-8"), flags=re.M | re.I)
    updates = yaml.safe_load(DEPENDABOT.read_text(encoding="utf-8"))["updates"]
    ecosystems = {u["package-ecosystem"]: u for u in updates}
    assert ecosystems["docker"]["directory"] == "/"
    assert ecosystems["github-actions"]["directory"] == "/"  # action.yml's pins


def test_the_final_stage_runs_the_cli_as_a_user_from_the_wheels_alone() -> None:
    final = stages()[-1]
    words = [w for w, _ in final]
    args = {w: a for w, a in final}
    assert final[0] == ("FROM", "base")
    assert "COPY" not in words and "ADD" not in words  # no source tree in the image
    (install,) = [a for w, a in final if w == "RUN"]
    assert "--mount=type=bind,from=build,source=/wheels,target=/wheels" in install
    pip = shlex.split(
        install.split("&&")[0]
        .split("\\")[0]
        .replace("--mount=type=bind,from=build,source=/wheels,target=/wheels", "")
    )
    assert pip == [
        "python", "-m", "pip", "install", "--no-index", "--find-links", "/wheels",
        "mlops-audit[monitor]",  # upload works in the image too
    ], pip  # fmt: skip
    for tool in ("apt-get", "gcc", "build-essential", "git ", "curl", "wget"):
        assert tool not in install, tool
    user = args["USER"].split(":")
    assert all(part.isdigit() and int(part) != 0 for part in user), args["USER"]
    assert f"--uid {user[0]}" in install and "useradd" in install
    assert json.loads(args["ENTRYPOINT"]) == ["mlops-audit"]  # exec form: signals reach it
    assert json.loads(args["CMD"]) == ["--help"]
    assert args["WORKDIR"] == "/work"
    assert words.index("USER") > words.index("RUN")  # installed as root, run as the user


def test_the_build_stage_builds_every_wheel_from_what_it_copies() -> None:
    build = stages()[1]
    assert build[0] == ("FROM", "base AS build")
    (wheel,) = [a for w, a in build if w == "RUN"]
    assert shlex.split(wheel) == [
        "python", "-m", "pip", "wheel", "--wheel-dir", "/wheels", ".[monitor]"
    ]  # fmt: skip
    copied = [shlex.split(a)[:-1] for w, a in build if w == "COPY"]
    sources = [src for srcs in copied for src in srcs]
    # what the wheel takes: pyproject's readme and licence, the package, the rules and the
    # sample estates it force-includes
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    included = re.findall(r'^"([^"]+)" = "auditor/', pyproject, flags=re.M)
    assert included
    for needed in ["pyproject.toml", "README.md", "LICENSE", "auditor", *included]:
        assert needed in sources, needed
    for src in sources:
        assert (ROOT / src).exists(), src
        assert in_context(src), f"{src} is copied but .dockerignore leaves it out"


def in_context(path: str) -> bool:
    """Docker's .dockerignore rule: the last pattern matching the path or one of its
    parent directories decides; ``!`` re-includes."""
    included = True
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").rstrip("/")
        if pattern.startswith("**/"):
            hit = any(fnmatch.fnmatchcase(PurePosixPath(c).name, pattern[3:]) for c in candidates)
        else:  # Go's filepath.Match: * stays inside one path segment
            want = pattern.split("/")
            hit = any(
                len(c.split("/")) == len(want) and all(map(fnmatch.fnmatchcase, c.split("/"), want))
                for c in candidates
            )
        if hit:
            included = negate
    return included


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        "tests/test_cli.py",
        "dist/x.whl",
        "auditor/__pycache__/a.pyc",
        "fixtures/e100k.json",
        "bench/run.py",
        "docs/ci.md",
    ],
)
def test_the_build_context_leaves_out_the_rest(path: str) -> None:
    assert not in_context(path)


def test_ci_builds_and_runs_the_image_when_an_engine_is_there() -> None:
    text = CI.read_text(encoding="utf-8")
    step = text[text.index('engine=""') :]
    assert '"$candidate" info' in step and "for candidate in docker podman" in step
    assert "build --tag mlops-audit:ci ." in step
    assert "mlops-audit:ci --version" in step
    assert "mlops-audit:ci scan --sample --format json" in step
    assert "--entrypoint id mlops-audit:ci -u" in step  # not root
    assert 'echo "skipped: no container engine' in step


def test_the_final_stage_install_works_outside_the_checkout(tmp_path: Path) -> None:
    """What the final stage does, done here: the mlops-audit wheel built from this tree,
    installed with no index and no dependencies resolved from the tree into a fresh
    virtual environment outside it, then ``mlops-audit`` run from another directory. The
    dependencies come from this interpreter's environment through a .pth file (the image
    installs them from their own wheels); the package itself must come from the wheel.
    pip builds the wheel as the image's build stage does, in an isolated environment with
    the build backend pyproject.toml names (fetched from the package index, as in CI)."""
    wheels = tmp_path / "wheels"
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
    build = subprocess.run(
        [*command, "--wheel-dir", str(wheels), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("mlops_audit-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "_deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("MLOPS_AUDIT")
    }
    install = subprocess.run(
        # --ignore-installed: the copy the suite runs (seen through _deps.pth) is not this one
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--no-deps",
            "--ignore-installed",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert install.returncode == 0, install.stderr
    work = tmp_path / "work"
    work.mkdir()
    cli = str(venv / "bin" / "mlops-audit")
    where = subprocess.run(
        [str(python), "-c", "import auditor; print(auditor.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(venv), where  # the wheel's copy, not this checkout
    version = subprocess.run([cli, "--version"], cwd=work, env=env, capture_output=True, text=True)
    assert version.returncode == 0 and auditor.__version__ in version.stdout, version.stderr
    scan = subprocess.run(
        [cli, "scan", "--sample", "--format", "json"],
        cwd=work, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert scan.returncode == 1, scan.stderr  # the reference estate's high findings
    report = json.loads(scan.stdout)
    assert report["summary"]["findings"] == 4
    assert Path(report["inputs"][0]["path"]).is_relative_to(venv)
    assert not list(work.iterdir())  # nothing written to the working directory


def test_documented_runs_that_write_into_the_mount_run_as_its_owner() -> None:
    """The image runs as uid 10001; a directory mounted from a Linux host belongs to the
    host user, so a report written there fails (Permission denied, exit 2) unless the run
    says --user "$(id -u):$(id -g)". Every documented run that mounts /work and writes a
    report there says it."""
    runs = [
        line.strip().lstrip("#").strip()
        for path in (ROOT / "README.md", DOCKERFILE)
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r"\b(docker|podman) run\b", line)
    ]
    writing = [r for r in runs if ":/work" in r and "--output" in r]
    assert writing, runs
    for run in writing:
        assert '--user "$(id -u):$(id -g)"' in run, run


DOCKER_STAND_IN = """#!/bin/bash
# a container engine: 'info' answers as told, everything else is logged; the image's CLI
# answers as mlops-audit would
printf '%s\\n' "$*" >> "$ENGINE_LOG"
case "$1" in
  info) exit "$ENGINE_INFO" ;;
  build) exit 0 ;;
esac
case "$*" in
  *"--entrypoint id"*) echo "$ENGINE_UID" ;;
  *" --version") echo "mlops-audit 0.1.0" ;;
  *"scan --sample --format json") echo '{"summary": {"findings": 4}}'; exit 1 ;;
  *"scan --snapshot reference-good.json"*) echo '{}' ;;
  *"--user "*" scan --snapshot estate.json --output json:report.json")
    for arg in "$@"; do case "$arg" in *:/work) mounted="${arg%:/work}" ;; esac; done
    echo '{"summary": {"findings": 0}}' > "$mounted/report.json" ;;
  *) exit 9 ;;
esac
"""


def ci_engine_step(tmp_path: Path, info: int, uid: str = "10001") -> tuple[int, str, str]:
    """The container step of .ci/run, run by bash with a stand-in engine on PATH."""
    text = CI.read_text(encoding="utf-8")
    start = text.index('engine=""')
    end = text.index("\nfi\n", start) + 4
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("docker", "podman"):  # a real podman on PATH must not answer instead
        engine = bin_dir / name
        engine.write_text(DOCKER_STAND_IN, encoding="utf-8")
        engine.chmod(0o755)
    (tmp_path / "dist").mkdir()
    (tmp_path / "fixtures").mkdir()  # .ci/run runs at the root of the checkout
    shutil.copy(ROOT / "fixtures" / "reference-good.json", tmp_path / "fixtures")
    log = tmp_path / "engine.log"
    env = {
        "PATH": f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin",
        "ENGINE_LOG": str(log),
        "ENGINE_INFO": str(info),
        "ENGINE_UID": uid,
    }
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-euo", "pipefail", "-c", text[start:end]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc.returncode, proc.stdout, log.read_text() if log.exists() else ""


def test_ci_step_builds_and_smoke_tests_the_image(tmp_path: Path) -> None:
    code, out, log = ci_engine_step(tmp_path, info=0)
    assert code == 0, out
    calls = log.splitlines()
    assert calls[0] == "info" and calls[1] == "build --tag mlops-audit:ci ."
    assert "run --rm mlops-audit:ci --version" in calls
    assert "run --rm mlops-audit:ci scan --sample --format json" in calls
    (owner,) = [c for c in calls if "--user" in c]  # a report written into the mount
    assert owner.startswith(f"run --rm --user {os.getuid()}:{os.getgid()} -v ")
    assert "skipped" not in out


def test_ci_step_fails_when_the_image_runs_as_root(tmp_path: Path) -> None:
    code, _, _ = ci_engine_step(tmp_path, info=0, uid="0")
    assert code != 0


def test_ci_step_says_when_there_is_no_engine(tmp_path: Path) -> None:
    """A docker client without a daemon ('docker info' fails), podman likewise: one visible
    line, nothing built."""
    code, out, log = ci_engine_step(tmp_path, info=1)
    assert code == 0
    assert out.strip().splitlines() == [
        "skipped: no container engine (neither 'docker info' nor 'podman info' succeeds):"
        " the image was not built"
    ]
    assert log.splitlines() == ["info", "info"]  # docker, then podman
