"""The CI examples (examples/) work as written, not just as YAML.

Every ``mlops-audit …`` command line in the pipelines, the workflow, their comments and the
CI docs goes through the real argument parser, so a renamed or misspelled option in an
example fails here. The scripts of the pipelines and the workflow are then executed step by
step by small stand-ins for Azure Pipelines and GitHub Actions (conditions, variables,
logging commands, outputs), with ``mlops-audit`` on PATH being the real CLI whose live
scope is swapped for a snapshot. That checks the exit-code handling the docs promise:
every report is written and published before the verdict, 1 and 3 fail the run after
publishing, 2 fails the scan step and publishes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import glob
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

import auditor
from auditor import cli, config, core, report, samples, triage

from .conftest import FIXTURES, ROOT

EXAMPLES = ROOT / "examples"
AZURE = EXAMPLES / "azure-pipelines"
NIGHTLY = AZURE / "nightly-compliance.yml"
PR_GATE = AZURE / "pr-gate.yml"
WORKFLOW = EXAMPLES / "github-actions" / "mlops-audit.yml"
# the pull-request gates on Terraform code (the --terraform / --terraform-plan inputs)
TF_PIPELINE = AZURE / "terraform-gate.yml"
TF_WORKFLOW = EXAMPLES / "github-actions" / "terraform-gate.yml"
TF_BASELINE_PATH = "audit/mlops-audit-terraform-baseline.json"
TF_INPUTS = ("--terraform", "--terraform-plan", "--var-file", "--var")
SUPPRESSIONS = EXAMPLES / "suppressions.yaml"
DOCS = [ROOT / "docs" / "ci.md", AZURE / "README.md", WORKFLOW.parent / "README.md"]
REFERENCE = FIXTURES / "reference-terraform.json"
GOOD = FIXTURES / "reference-good.json"
TODAY = dt.date(2026, 11, 25)  # the suppression example must be current on this date
BASELINE_PATH = "audit/mlops-audit-baseline.json"  # where both PR gates expect it

COMMAND = re.compile(r"^mlops-audit\s+(?:scan|baseline|diff|collect|rules|validate)\b")
ANY_COMMAND = re.compile(
    r"(?<![\w./-])mlops-audit\s+(?:scan|baseline|diff|collect|rules|validate)\b"
)
SHELL_OPERATORS = {"||", "&&", "|", ";", "&", ">", ">>", "2>&1", "<"}
# Azure Pipelines' predefined variables the examples use, for the parse-only checks
PREDEFINED = {
    "Build.ArtifactStagingDirectory": "/agent/_work/1/a",
    "Build.SourcesDirectory": "/agent/_work/1/s",
    "Agent.TempDirectory": "/agent/_work/_temp",
}
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"


# -- reading the examples -------------------------------------------------------------------
def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """GitHub's ``on:`` key: YAML 1.1 (PyYAML) reads the bare word ``on`` as True."""
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict), "the workflow has no 'on:' mapping"
    return on


def logical_lines(text: str) -> Iterator[str]:
    """Shell lines with comment markers and indentation stripped and backslash
    continuations joined, so commands inside scripts and inside comments read alike."""
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        line = line.lstrip("#").strip() if line.startswith("#") else line
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def command_lines(text: str) -> list[str]:
    return [line for line in logical_lines(text) if COMMAND.match(line)]


def fenced_blocks(markdown: str) -> str:
    """The text of the fenced code blocks of a Markdown file."""
    blocks = re.findall(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", markdown, flags=re.M | re.S)
    return "\n".join(blocks)


def ado_variables(pipeline: dict[str, Any]) -> dict[str, str]:
    variables = pipeline.get("variables") or {}
    if isinstance(variables, list):  # the list form: - name: x / value: y
        return {v["name"]: str(v["value"]) for v in variables if "name" in v}
    return {k: str(v) for k, v in variables.items()}


def shell_assignments(text: str) -> dict[str, str]:
    """``name="value"`` lines of the scripts (also commented ones)."""
    found = {}
    for line in logical_lines(text):
        m = re.fullmatch(r'([A-Za-z_]\w*)="([^"]*)"', line)
        if m:
            found[m[1]] = m[2]
    return found


def steps_of(pipeline: dict[str, Any]) -> list[dict[str, Any]]:
    steps = pipeline.get("steps")
    assert isinstance(steps, list) and steps, "the pipeline has no top-level steps"
    return steps


def tasks(pipeline: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [s for s in steps_of(pipeline) if s.get("task") == name]


def scripts_of(pipeline: dict[str, Any]) -> list[str]:
    """The active scripts: Azure Pipelines script/bash/AzureCLI@2 steps, or the ``run:``
    steps of every GitHub job."""
    if "jobs" in pipeline:
        return [s["run"] for job in pipeline["jobs"].values() for s in job["steps"] if "run" in s]
    out = []
    for s in steps_of(pipeline):
        text = s.get("script") or s.get("bash")
        if s.get("task") == "AzureCLI@2":
            text = s["inputs"].get("inlineScript")
        if text:
            out.append(text)
    return out


# -- variables and expressions ---------------------------------------------------------------
class Ctx(dict[str, Any]):
    """A GitHub expression context: missing properties are '' as in GitHub."""

    def __getattr__(self, key: str) -> Any:
        return self.get(key, "")

    def __missing__(self, key: str) -> Any:
        return ""


class Anything(Ctx):
    """``secrets`` / ``vars`` in tests: any name has a plausible value."""

    def __getattr__(self, key: str) -> Any:
        return self.get(key, PLACEHOLDER_ID)


def gh_eval(expr: str, ctx: Mapping[str, Any]) -> Any:
    """Evaluate a GitHub Actions expression (the subset the example uses)."""
    py = expr.strip()
    if py.startswith("${{") and py.endswith("}}"):
        py = py[3:-2].strip()
    # property names with a hyphen (inputs.fail-on, outputs.exit-code) as index lookups
    py = re.sub(r"\.([A-Za-z_]\w*(?:-\w+)+)", r'["\1"]', py)
    py = py.replace("&&", " and ").replace("||", " or ")
    py = re.sub(r"!(?!=)", " not ", py)
    return eval(py, {"__builtins__": {}}, {"true": True, "false": False, **ctx})


def gh_str(value: Any) -> str:
    """A value as GitHub writes it into a string: booleans as ``true`` / ``false``."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def gh_expand(value: Any, ctx: Mapping[str, Any]) -> str:
    """Replace the ``${{ … }}`` parts of a value."""
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: gh_str(gh_eval(m[1], ctx)), str(value))


def ado_condition(expr: str, variables: Mapping[str, str], status: str) -> bool:
    """Evaluate an Azure Pipelines condition (functions, variables['x'], literals)."""

    def eq(a: Any, b: Any) -> bool:
        return str(a).lower() == str(b).lower()

    class Vars(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return ""

    names: dict[str, Any] = {
        "_and": lambda *a: all(a),
        "_or": lambda *a: any(a),
        "_not": lambda a: not a,
        "_in": lambda a, *bs: any(eq(a, b) for b in bs),
        "eq": eq,
        "ne": lambda a, b: not eq(a, b),
        "succeeded": lambda: status == "Succeeded",
        "failed": lambda: status == "Failed",
        "succeededOrFailed": lambda: True,
        "always": lambda: True,
        "canceled": lambda: False,
        "variables": Vars(variables),
    }
    py = re.sub(r"\b(and|or|not|in)\(", r"_\1(", expr)
    return bool(eval(py, {"__builtins__": {}}, names))


MACRO = r"\$\(([A-Za-z_][\w.]*)\)"
SHELL_VARIABLE = r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)"


def expand(text: str, values: Mapping[str, str], where: str, shell: bool = True) -> str:
    """Substitute Azure Pipelines macros ``$(a.b)`` and (unless ``shell`` is False, when
    bash is to see them) shell variables ``$x`` / ``${x}`` with known values; an unknown
    one fails: an example must not depend on a value the test cannot see."""

    def lookup(m: re.Match[str]) -> str:
        name = next(g for g in m.groups() if g)
        if name not in values:
            pytest.fail(f"{where}: no value known for {m[0]} in: {text.strip()[:200]}")
        return values[name]

    pattern = f"{MACRO}|{SHELL_VARIABLE}" if shell else MACRO
    for _ in range(5):  # values may refer to other values
        new = re.sub(pattern, lookup, text)
        if new == text:
            break
        text = new
    return text


# -- parsing command lines with the real parser ----------------------------------------------
def command_of(parser: argparse.ArgumentParser, argv: list[str]) -> config.Command:
    """The (sub-)command that owns the options of ``argv``, from the CLI parser's record of
    its commands and options (argparse lists them nowhere public)."""
    current = config.commands(parser)
    for token in argv:
        if token not in current.commands:
            break
        current = current.commands[token]
    return current


def parse_strictly(argv: list[str], where: str) -> argparse.Namespace:
    """Parse with ``cli.build_parser()``; also refuse prefixes of option names, which
    argparse accepts (``--suppress`` for ``--suppressions``): a renamed option would
    otherwise still parse as an abbreviation of its new name."""
    parser = cli.build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        pytest.fail(f"{where}: 'mlops-audit {shlex.join(argv)}' does not parse (exit {exc.code})")
    known = {s for a in command_of(parser, argv).actions() for s in a.option_strings}
    for token in argv:
        name = token.split("=", 1)[0]
        if name.startswith("--") and name not in known:
            pytest.fail(f"{where}: {name} is not an option of 'mlops-audit {argv[0]}'")
    return args


def argv_of(line: str, values: Mapping[str, str], where: str) -> list[str]:
    """The arguments of one ``mlops-audit …`` line, up to the first shell operator."""
    tokens = shlex.split(expand(line, values, where))
    for i, token in enumerate(tokens):
        if token in SHELL_OPERATORS:
            tokens = tokens[:i]
            break
    assert tokens[0] == "mlops-audit", line
    left = [t for t in tokens if "$" in t]
    assert not left, f"{where}: unexpanded {left} in {line}"
    return tokens[1:]


def outputs_of(args: argparse.Namespace, where: str) -> list[tuple[str, str]]:
    """The ``--output FORMAT:PATH`` pairs of a scan; a plain PATH is refused, because its
    format would then silently depend on --format."""
    pairs = []
    for value in args.output:
        fmt, sep, path = value.partition(":")
        name = report.FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
        assert sep and name in report.FORMATS and path, f"{where}: --output {value} names no format"
        pairs.append((name, path))
    return pairs


def values_for(path: Path) -> dict[str, str]:
    """The values an example's command lines refer to: its pipeline variables (or workflow
    env), its shell assignments and the CI's predefined variables."""
    doc, text = load(path), path.read_text(encoding="utf-8")
    values = {**PREDEFINED, "auditExitCode": "1", "RUNNER_TEMP": "/runner/_temp"}
    values.update(shell_assignments(text))
    if path.parent == AZURE:
        values.update(ado_variables(doc))
        return values
    ctx = {
        "secrets": Anything(),
        "vars": Anything(),
        "github": Ctx(event_name="schedule"),
        "steps": Ctx(scan=Ctx(outcome="success", outputs=Ctx(exit_code="1"))),
    }
    envs = [doc.get("env") or {}]
    for job in doc["jobs"].values():
        envs.append(job.get("env") or {})
        envs += [s.get("env") or {} for s in job["steps"]]
    for env in envs:
        ctx["env"] = Ctx(values)
        values.update({k: gh_expand(v, ctx) for k, v in env.items()})
    return values


def example_commands() -> list[tuple[str, str, dict[str, str]]]:
    """(where, command line, values) for every mlops-audit command of the examples and of
    the fenced code blocks of the CI docs."""
    found = []
    for path in (NIGHTLY, PR_GATE, WORKFLOW, TF_PIPELINE, TF_WORKFLOW):
        values = values_for(path)
        where = path.relative_to(EXAMPLES).as_posix()
        found += [(where, line, values) for line in command_lines(path.read_text("utf-8"))]
    every = {k: v for p in (NIGHTLY, PR_GATE, WORKFLOW) for k, v in values_for(p).items()}
    for doc in DOCS:
        lines = command_lines(fenced_blocks(doc.read_text(encoding="utf-8")))
        found += [(doc.relative_to(ROOT).as_posix(), line, every) for line in lines]
    return found


# -- a stand-in mlops-audit on PATH ----------------------------------------------------------
STAND_IN = """#!{python}
# The real CLI, with the live scope (--subscription, --management-group,
# --all-subscriptions, --tenant) and the Terraform inputs (--terraform, --terraform-plan,
# --var-file, --var) replaced by a snapshot (unless the call names its own); every call is
# logged.
import json, os, sys
from auditor.cli import main

given, args, skip = sys.argv[1:], [], False
for token in given:
    name = token.split("=", 1)[0]
    if skip:
        skip = False
    elif name in ("--subscription", "--management-group", "--tenant", *{tf_inputs!r}):
        skip = "=" not in token
    elif token != "--all-subscriptions":
        args.append(token)
if args and args[0] in ("scan", "baseline") and "--snapshot" not in args:
    args += ["--snapshot", os.environ["MLOPS_AUDIT_TEST_SNAPSHOT"]]
with open(os.environ["MLOPS_AUDIT_TEST_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(given) + "\\n")
sys.exit(main(args))
"""


# Stand-ins for terraform (init, plan -out, show -json: a plan file and its JSON) and az
# (account show): the Terraform gates' plan steps run as written without a cloud.
TERRAFORM_STAND_IN = """#!/bin/bash
set -eu
echo "$*" >> {log}
chdir=.
if [[ "$1" == -chdir=* ]]; then chdir="${{1#-chdir=}}"; shift; fi
[ -d "$chdir" ] || {{ echo "terraform: no directory $chdir" >&2; exit 1; }}
case "$1" in
  init) ;;
  plan) for a in "$@"; do [[ "$a" == -out=* ]] && echo plan > "$chdir/${{a#-out=}}"; done ;;
  show) [ "$2" = -json ] && [ -f "$chdir/$3" ] && echo '{{"format_version": "1.2"}}' ;;
  *) exit 1 ;;
esac
"""
AZ_STAND_IN = """#!/bin/bash
echo "$*" >> {log}
echo 00000000-0000-0000-0000-000000000000
"""


@functools.cache
def reference_baseline() -> dict[str, Any]:
    """The baseline of the reference estate, as ``mlops-audit baseline`` writes it."""
    return triage.baseline_document(report.to_json_dict(core.audit([REFERENCE])))


@dataclass
class Sandbox:
    """A checkout (examples/ linked in, a baseline written), a staging area and a PATH
    whose mlops-audit reads ``snapshot``."""

    root: Path
    snapshot: Path
    baseline_without: str | None = None  # leave this rule's findings out of the baseline

    def __post_init__(self) -> None:
        self.sources = self.root / "s"
        self.staging = self.root / "a"
        self.temp = self.root / "t"
        self.bin = self.root / "bin"
        self.log = self.root / "calls.jsonl"
        for d in (self.sources, self.staging, self.temp, self.bin, self.sources / "infra"):
            d.mkdir(parents=True)
        (self.sources / "examples").symlink_to(EXAMPLES)
        # where the examples, copied into a repository, expect the suppression file
        (self.sources / ".mlops-audit-suppressions.yaml").symlink_to(SUPPRESSIONS)
        stand_in = self.bin / "mlops-audit"
        stand_in.write_text(
            STAND_IN.format(python=sys.executable, tf_inputs=TF_INPUTS), encoding="utf-8"
        )
        stand_in.chmod(0o755)
        # the python of the virtual environment action.yml's install step makes
        venv_bin = self.temp / "mlops-audit-venv" / "bin"
        venv_bin.mkdir(parents=True)
        (venv_bin / "python").symlink_to(sys.executable)
        for name, text in (("terraform", TERRAFORM_STAND_IN), ("az", AZ_STAND_IN)):
            tool = self.bin / name
            tool.write_text(text.format(log=self.root / f"{name}.log"), encoding="utf-8")
            tool.chmod(0o755)
        findings = reference_baseline()["findings"]
        doc = {
            **reference_baseline(),
            "findings": [f for f in findings if f["rule_id"] != self.baseline_without],
        }
        for path in (BASELINE_PATH, TF_BASELINE_PATH):
            baseline = self.sources / path
            baseline.parent.mkdir(parents=True, exist_ok=True)
            baseline.write_text(json.dumps(doc, indent=2), encoding="utf-8")

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "MLOPS_AUDIT_TEST_SNAPSHOT": str(self.snapshot),
            "MLOPS_AUDIT_TEST_LOG": str(self.log),
        }

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def written(self) -> list[Path]:
        """Every file the scans' --output and the diffs' --output name."""
        paths = []
        for argv in self.calls():
            args = parse_strictly(argv, "logged call")
            if argv[0] == "scan":
                paths += [Path(p) for _, p in outputs_of(args, "logged call")]
            elif argv[0] == "diff" and args.output:
                paths.append(Path(args.output))
        return [p if p.is_absolute() else self.sources / p for p in paths]


def bash(script: str, env: Mapping[str, str], cwd: Path, flags: list[str]) -> tuple[int, str]:
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", *flags, "-c", script],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, proc.stdout + proc.stderr


# -- Azure Pipelines stand-in ---------------------------------------------------------------
@dataclass
class AzureRun:
    status: str = "Succeeded"
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    summaries: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    artifacts: dict[str, list[str]] = field(default_factory=dict)
    test_files: list[Path] = field(default_factory=list)
    log: str = ""


def run_azure(pipeline: dict[str, Any], box: Sandbox) -> AzureRun:
    """Run the steps in order as an agent would: conditions, macros, ``env:``, logging
    commands (setvariable, uploadsummary, logissue), publish and PublishTestResults. The
    install step and UsePythonVersion are stood in for by the test's own environment."""
    run = AzureRun()
    run.variables = {
        **ado_variables(pipeline),
        "Build.ArtifactStagingDirectory": str(box.staging),
        "Build.SourcesDirectory": str(box.sources),
        "Agent.TempDirectory": str(box.temp),
    }
    for step in steps_of(pipeline):
        label = str(step.get("displayName") or step.get("task") or next(iter(step)))
        if "checkout" in step:
            continue
        if not ado_condition(step.get("condition", "succeeded()"), run.variables, run.status):
            run.skipped.append(label)
            continue
        run.ran.append(label)
        task = step.get("task")
        inputs = {
            k: expand(str(v), run.variables, label, shell=False)
            for k, v in step.get("inputs", {}).items()
        }
        script = step.get("script") or step.get("bash")
        if task == "AzureCLI@2":
            assert inputs["scriptType"] == "bash" and inputs["scriptLocation"] == "inlineScript"
            script = step["inputs"]["inlineScript"]
        if step.get("name") == "install" or task == "UsePythonVersion@0":
            continue
        if script is not None:
            env = box.env()
            env.update({k.upper().replace(".", "_"): v for k, v in run.variables.items()})
            if task == "AzureCLI@2" and inputs.get("addSpnToEnvironment") == "True":
                env.update(servicePrincipalId="spn", idToken="token", tenantId="tenant")
            for k, v in step.get("env", {}).items():
                env[k] = expand(str(v), run.variables, label, shell=False)
            code, out = bash(
                expand(script, run.variables, label, shell=False), env, box.sources, []
            )
            run.log += f"== {label} (exit {code})\n{out}"
            for m in re.finditer(r"^##vso\[([\w.]+)([^\]]*)\](.*)$", out, flags=re.M):
                command, props, message = m[1], m[2], m[3]
                if command == "task.setvariable":
                    run.variables[re.search(r"variable=([^;\s]+)", props)[1]] = message  # type: ignore[index]
                elif command == "task.uploadsummary":
                    assert Path(message).is_absolute() and Path(message).is_file(), message
                    run.summaries.append(Path(message))
                elif command == "task.logissue" and "type=error" in props:
                    run.errors.append(message)
            if code != 0:
                run.status = "Failed"
        elif task == "PublishTestResults@2":
            assert inputs["testResultsFormat"] == "JUnit"
            pattern = os.path.join(
                inputs.get("searchFolder", str(box.sources)), inputs["testResultsFiles"]
            )
            run.test_files += [Path(p) for p in sorted(glob.glob(pattern, recursive=True))]
        elif "publish" in step or task == "PublishPipelineArtifact@1":
            target = step.get("publish") or inputs["targetPath"]
            path = Path(expand(str(target), run.variables, label, shell=False))
            name = str(step.get("artifact") or inputs.get("artifact"))
            if not path.exists():
                run.status = "Failed"
                run.errors.append(f"{label}: {path} does not exist")
                continue
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            run.artifacts[name] = [
                p.name if p == path else p.relative_to(path).as_posix() for p in files
            ]
        else:
            pytest.fail(f"the Azure Pipelines stand-in does not know the step {label!r}")
    return run


# -- GitHub Actions stand-in -----------------------------------------------------------------
@dataclass
class JobRun:
    status: str = "success"
    outcomes: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    sarif: list[tuple[Path, str]] = field(default_factory=list)
    artifacts: dict[str, list[str]] = field(default_factory=dict)
    log: str = ""


ACTION = ROOT / "action.yml"
OWN_ACTION = "ORG/mlops-audit@"  # how the examples refer to action.yml (a placeholder repo)
REPOSITORY = "ORG/REPO"


def github_context(event: str, origin: str = "branch") -> Ctx:
    """``github`` for an event; a pull request comes from a branch of this repository, a
    fork, or Dependabot (a branch here, but no secrets and no OIDC)."""
    head = "someone/REPO" if origin == "fork" else REPOSITORY
    pull = Ctx(head=Ctx(repo=Ctx(full_name=head, fork=origin == "fork")))
    return Ctx(
        event_name=event,
        ref="refs/heads/main",
        repository=REPOSITORY,
        actor="dependabot[bot]" if origin == "dependabot" else "octocat",
        event=Ctx(pull_request=pull) if event == "pull_request" else Ctx(),
    )


def run_job(
    workflow: dict[str, Any], job_name: str, event: str, box: Sandbox, origin: str = "branch"
) -> JobRun:
    """Run one job's steps in order with ``if:``, ``env:`` (workflow, job, step), the
    ``GITHUB_OUTPUT`` / ``GITHUB_STEP_SUMMARY`` files, the two upload actions and the
    composite action of this repository (action.yml, its own steps run the same way)."""
    job, run = workflow["jobs"][job_name], JobRun()
    shell = (workflow.get("defaults") or {}).get("run", {}).get("shell")
    flags = ["-eo", "pipefail"] if shell == "bash" else ["-e"]
    summary = box.root / "step-summary.md"
    summary.touch()
    github = github_context(event, origin)
    base = {"github": github, "secrets": Anything(), "vars": Anything()}
    env: dict[str, str] = {}
    for scope in (workflow.get("env") or {}, job.get("env") or {}):
        ctx = {**base, "env": Ctx(env), "runner": Ctx(temp=str(box.temp))}
        env.update({k: gh_expand(v, ctx) for k, v in scope.items()})
    run_steps(job["steps"], run, box, base, env, flags, summary)
    run.summary = summary.read_text(encoding="utf-8")
    return run


def run_steps(
    specs: list[dict[str, Any]],
    run: JobRun,
    box: Sandbox,
    base: Mapping[str, Any],
    env: Mapping[str, str],
    flags: list[str],
    summary: Path,
) -> tuple[str, Ctx]:
    """Run a list of steps (a job's, or a composite action's with ``inputs`` in ``base``);
    their status and their ``steps`` context."""
    steps = Ctx({s["id"]: Ctx(outcome="", outputs=Ctx()) for s in specs if "id" in s})
    status = "success"

    def ctx(env: Mapping[str, str]) -> dict[str, Any]:
        return {
            **base,
            "env": Ctx(env),
            "runner": Ctx(temp=str(box.temp)),
            "steps": steps,
            "always": lambda: True,
            "cancelled": lambda: False,
            "success": lambda: status == "success" and run.status == "success",
            "failure": lambda: status == "failure" or run.status == "failure",
        }

    for n, step in enumerate(specs):
        sid = step.get("id", f"step{n}")
        label = step.get("name") or step.get("uses") or sid
        step_env = {
            **env,
            **{k: gh_expand(v, ctx(env)) for k, v in (step.get("env") or {}).items()},
        }
        if not gh_eval(str(step.get("if", "success()")), ctx(step_env)):
            run.outcomes[label] = "skipped"
            if sid in steps:
                steps[sid]["outcome"] = "skipped"
            continue
        uses = str(step.get("uses", ""))
        with_ = {k: gh_expand(v, ctx(step_env)) for k, v in (step.get("with") or {}).items()}
        outcome = "success"
        if uses.startswith("github/codeql-action/upload-sarif@"):
            sarif = box.sources / with_["sarif_file"]
            assert sarif.is_file(), f"{label}: {sarif} was not written"
            run.sarif.append((sarif, with_["category"]))
        elif uses.startswith("actions/upload-artifact@"):
            root = box.sources / with_["path"]
            files = [p.relative_to(root).as_posix() for p in sorted(root.rglob("*")) if p.is_file()]
            assert files, f"{label}: nothing to upload in {root}"
            run.artifacts[with_["name"]] = files
        elif uses.startswith(OWN_ACTION):
            outcome, outputs = run_action(load(ACTION), with_, run, box, base, summary)
            if sid in steps:
                steps[sid]["outputs"].update(outputs)
        elif uses or step.get("id") == "install":
            pass  # checkout, setup-python, azure/login, install: the test's environment stands in
        else:
            out_file = box.root / f"output-{len(run.outcomes)}-{n}"
            out_file.touch()
            full_env = {
                **box.env(),
                **step_env,
                "GITHUB_OUTPUT": str(out_file),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_WORKSPACE": str(box.sources),
                "RUNNER_TEMP": str(box.temp),
            }
            step_flags = flags if "shell" not in step else ["-eo", "pipefail"]
            assert step.get("shell", "bash") == "bash", label
            code, out = bash(step["run"], full_env, box.sources, step_flags)
            run.log += f"== {label} (exit {code})\n{out}"
            if sid in steps:
                for line in out_file.read_text(encoding="utf-8").splitlines():
                    key, _, value = line.partition("=")
                    steps[sid]["outputs"][key] = value
            outcome = "success" if code == 0 else "failure"
        run.outcomes[label] = outcome
        if sid in steps:
            steps[sid]["outcome"] = outcome
        if outcome == "failure":
            status = run.status = "failure"
    return status, steps


def run_action(
    action: dict[str, Any],
    with_: Mapping[str, str],
    run: JobRun,
    box: Sandbox,
    base: Mapping[str, Any],
    summary: Path,
) -> tuple[str, dict[str, str]]:
    """Run a composite action as the runner does: ``inputs`` (defaults, then ``with:``;
    an unknown input is refused), its steps, then its ``outputs`` from its steps'."""
    declared = action["inputs"]
    unknown = set(with_) - set(declared)
    assert not unknown, f"inputs action.yml does not declare: {sorted(unknown)}"
    inputs = Ctx({k: str(v.get("default", "")) for k, v in declared.items()})
    inputs.update(with_)
    github = Ctx({**base["github"], "action_path": str(ROOT)})
    inner = {**base, "github": github, "inputs": inputs}
    assert action["runs"]["using"] == "composite"
    status, steps = run_steps(action["runs"]["steps"], run, box, inner, {}, [], summary)
    outputs = {
        name: gh_expand(spec["value"], {**inner, "steps": steps})
        for name, spec in action["outputs"].items()
    }
    return status, outputs


# -- sandboxes for the scenarios -------------------------------------------------------------
def estate(kind: str, tmp_path: Path) -> Path:
    """reference (4 high findings), good (none), partial (none, but an incomplete page),
    missing (no such file: a usage error, exit 2)."""
    if kind == "reference":
        return REFERENCE
    if kind == "good":
        return GOOD
    if kind == "missing":
        return tmp_path / "no-such-estate.json"
    rows = json.loads(GOOD.read_text(encoding="utf-8"))
    page = {"count": len(rows), "data": rows, "skip_token": "next", "total_records": len(rows) + 5}
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    return path


def sandbox(tmp_path: Path, kind: str, baseline_without: str | None = None) -> Sandbox:
    return Sandbox(tmp_path / "box", estate(kind, tmp_path), baseline_without)


# ============================================================================================
# Tests
# ============================================================================================
def test_every_yaml_file_under_examples_parses() -> None:
    files = sorted([*EXAMPLES.rglob("*.yml"), *EXAMPLES.rglob("*.yaml")])
    assert {NIGHTLY, PR_GATE, WORKFLOW, SUPPRESSIONS} <= set(files)
    for path in files:
        assert isinstance(load(path), dict), path


COMMANDS = example_commands()


@pytest.mark.parametrize(
    "where, line, values", COMMANDS, ids=[f"{w}-{n}" for n, (w, _, _) in enumerate(COMMANDS)]
)
def test_every_command_line_parses_with_the_real_parser(
    where: str, line: str, values: dict[str, str]
) -> None:
    argv = argv_of(line, values, where)
    args = parse_strictly(argv, where)
    if argv[0] == "scan":
        formats = [fmt for fmt, _ in outputs_of(args, where)]
        assert formats and len(formats) == len(set(formats)), f"{where}: {line}"
        assert "--fail-on" in argv, f"{where}: a scan in CI should say its --fail-on: {line}"


def test_no_command_line_escapes_the_checks() -> None:
    """Every mention of a mlops-audit command in the pipelines and the workflow is at the
    start of a (script or comment) line, so the parser test above saw all of them."""
    for path in (NIGHTLY, PR_GATE, WORKFLOW):
        text = path.read_text(encoding="utf-8")
        assert len(ANY_COMMAND.findall(text)) == len(command_lines(text)), path.name
    counts = {
        p.name: len(command_lines(p.read_text("utf-8"))) for p in (NIGHTLY, PR_GATE, WORKFLOW)
    }
    # nightly: the scan and its managed-identity alternative; PR gate: baseline (comment),
    # scan, diff; workflow: validate, two scans and a diff
    assert counts == {"nightly-compliance.yml": 2, "pr-gate.yml": 3, "mlops-audit.yml": 4}
    for doc in DOCS:
        code = fenced_blocks(doc.read_text(encoding="utf-8"))
        assert command_lines(code), doc
        assert len(ANY_COMMAND.findall(code)) == len(command_lines(code)), doc


def scan_argv(path: Path, text: str | None = None) -> list[list[str]]:
    """The scan commands of an example's active scripts (or of ``text``)."""
    values = values_for(path)
    lines = command_lines(text if text is not None else "\n".join(scripts_of(load(path))))
    argvs = [argv_of(line, values, path.name) for line in lines]
    return [argv for argv in argvs if argv[0] == "scan"]


def test_the_nightly_pipeline_is_scheduled_and_hosted() -> None:
    pipeline = load(NIGHTLY)
    assert pipeline["trigger"] == "none" and pipeline["pr"] == "none"
    (schedule,) = pipeline["schedules"]
    assert len(str(schedule["cron"]).split()) == 5
    assert schedule["branches"]["include"] == ["main"]
    assert schedule["always"] is True  # a posture audit runs even when the repo did not change
    for path in (NIGHTLY, PR_GATE, TF_PIPELINE):  # a Microsoft-hosted agent, as copied
        assert load(path)["pool"] == {"vmImage": "ubuntu-latest"}, path.name
        assert "pool: { name: <your pool> }" in path.read_text("utf-8"), path.name


def test_the_pr_gate_runs_on_pull_requests_only() -> None:
    pipeline = load(PR_GATE)
    assert pipeline["trigger"] == "none" and "schedules" not in pipeline
    assert pipeline["pr"]["branches"]["include"] == ["main"]
    (argv,) = scan_argv(PR_GATE)
    args = parse_strictly(argv, PR_GATE.name)
    assert args.baseline.endswith(BASELINE_PATH) and args.suppressions.endswith("suppressions.yaml")


@pytest.mark.parametrize("path", [NIGHTLY, PR_GATE], ids=lambda p: p.stem)
def test_azure_pipeline_tasks_and_inputs(path: Path) -> None:
    pipeline = load(path)
    (azcli,) = tasks(pipeline, "AzureCLI@2")
    inputs = azcli["inputs"]
    assert inputs["azureSubscription"] and inputs["scriptType"] == "bash"
    assert inputs["scriptLocation"] == "inlineScript"
    (argv,) = scan_argv(path, inputs["inlineScript"])
    args = parse_strictly(argv, path.name)
    assert args.auth == "cli" and args.subscription and args.fail_on
    formats = dict(outputs_of(args, path.name))
    assert {"sarif", "junit", "json", "markdown"} <= formats.keys()
    (tests_task,) = tasks(pipeline, "PublishTestResults@2")
    assert tests_task["inputs"]["testResultsFormat"] == "JUnit"
    assert tests_task["inputs"]["testRunTitle"]
    assert tests_task["inputs"]["failTaskOnFailedTests"] is False  # the verdict step fails once
    publish = [s for s in steps_of(pipeline) if "publish" in s]
    (sarif_artifact,) = [s for s in publish if s.get("artifact") == "CodeAnalysisLogs"]
    # the Scans tab shows only *.sarif entries at the root of the artifact
    sarif_path = expand(formats["sarif"], values_for(path), path.name)
    folder = expand(str(sarif_artifact["publish"]), values_for(path), path.name)
    assert Path(sarif_path).parent == Path(folder) and sarif_path.endswith(".sarif")
    # every report is published also when the audit fails
    for step in [tests_task, *publish]:
        assert re.search(r"succeededOrFailed\(\)|always\(\)", step["condition"]), step


def test_the_managed_identity_alternative_is_a_valid_step() -> None:
    """The commented-out step of the nightly pipeline, uncommented, is a step that runs
    the same scan with --auth managed-identity."""
    lines = NIGHTLY.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "# - script: |")
    block = []
    for line in lines[start:]:
        if not line.strip().startswith("#"):
            break
        block.append(re.sub(r"^(\s*)# ?", r"\1", line))
    (step,) = yaml.safe_load("\n".join(block))
    assert step["name"] == "scan" and "AZURE_CLIENT_ID" in step["env"]
    (alternative,) = scan_argv(NIGHTLY, step["script"])
    (main,) = scan_argv(NIGHTLY)
    assert parse_strictly(alternative, "alternative").auth == "managed-identity"
    assert [a for a in alternative if a != "managed-identity"] == [a for a in main if a != "cli"]


AZURE_SCENARIOS = [
    # pipeline, estate, baseline without this rule, exit code of the scan
    (NIGHTLY, "reference", None, "1"),  # 2 high findings left after the suppressions
    (NIGHTLY, "good", None, "0"),
    (NIGHTLY, "partial", None, "3"),
    (NIGHTLY, "missing", None, "2"),
    (PR_GATE, "reference", None, "0"),  # every finding is in the baseline
    (PR_GATE, "reference", "MLA-DNS-001", "1"),  # one new, unsuppressed high finding
    (PR_GATE, "partial", None, "3"),
    (PR_GATE, "missing", None, "2"),
]


@pytest.mark.parametrize(
    "path, kind, without, code",
    AZURE_SCENARIOS,
    ids=[f"{p.stem}-{k}-{w or 'full'}-exit{c}" for p, k, w, c in AZURE_SCENARIOS],
)
def test_azure_pipeline_runs_as_written(
    path: Path, kind: str, without: str | None, code: str, tmp_path: Path
) -> None:
    box = sandbox(tmp_path, kind, without)
    run = run_azure(load(path), box)
    assert run.variables.get("auditExitCode") == code, run.log
    (call,) = [c for c in box.calls() if c[0] == "scan"]
    assert "--subscription" in call and call[call.index("--auth") + 1] == "cli"
    if code == "2":  # nothing to publish: the scan step fails, the rest is skipped
        assert run.status == "Failed" and not run.artifacts and not run.test_files, run.log
        assert any("could not run" in e for e in run.errors)
        return
    assert run.status == ("Succeeded" if code == "0" else "Failed"), run.log
    assert run.ran[-1] == "Verdict" and not run.skipped, (run.ran, run.skipped)
    # every report the commands name was written, before the verdict
    written = box.written()
    assert written and all(p.is_file() and p.stat().st_size > 0 for p in written), written
    # Scans tab: CodeAnalysisLogs holds only .sarif files, at its root
    sarif = run.artifacts["CodeAnalysisLogs"]
    assert sarif and all(name.endswith(".sarif") and "/" not in name for name in sarif)
    assert json.loads((box.staging / "CodeAnalysisLogs" / sarif[0]).read_text("utf-8"))["runs"]
    # Tests tab: the JUnit file the scan wrote is the one PublishTestResults finds
    junit = [p for p in written if p.suffix == ".xml"]
    assert run.test_files == junit
    assert "mlops-audit-junit.xml" in run.artifacts["mlops-audit-reports"]
    # Summary tab: the Markdown the scan (and the gate's diff) wrote
    assert run.summaries and set(run.summaries) <= set(written)
    if path == PR_GATE:
        assert [p.name for p in run.summaries] == ["diff.md", "summary.md"]
    if code == "1":
        assert any("findings at or above 'high'" in e for e in run.errors), run.errors
    if code == "3":
        assert any("incomplete" in e for e in run.errors), run.errors


def test_github_workflow_permissions_and_actions() -> None:
    wf = load(WORKFLOW)
    on = triggers(wf)
    assert {"schedule", "workflow_dispatch", "pull_request"} <= on.keys()
    assert len(on["schedule"][0]["cron"].split()) == 5
    assert wf["permissions"] == {}  # nothing workflow-wide: each job asks for its own
    jobs = wf["jobs"]
    assert jobs["validate"]["permissions"] == {"contents": "read"}
    assert jobs["audit"]["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "security-events": "write",
        "actions": "read",
    }
    assert jobs["gate"]["permissions"] == {"contents": "read", "id-token": "write"}
    for name in ("audit", "gate"):
        job = jobs[name]
        uses = {s["uses"].split("@")[0]: s for s in job["steps"] if "uses" in s}
        login = uses["azure/login"]
        assert {"client-id", "tenant-id", "subscription-id"} <= login["with"].keys()
        assert "creds" not in login["with"]  # OIDC, no client secret
        uploads = ("github/codeql-action/upload-sarif@", "actions/upload-artifact@")
        for step in [s for s in job["steps"] if s.get("uses", "").startswith(uploads)]:
            assert str(step["if"]).startswith("always()"), step
    for job in jobs.values():  # installed from the package index, never from the checkout
        (install,) = [s for s in job["steps"] if s.get("id") == "install"]
        assert install["run"].strip() == 'pipx install "$AUDIT_TOOL"'
    assert wf["env"]["AUDIT_TOOL"] == f"mlops-audit=={auditor.__version__}"
    audit = jobs["audit"]
    (upload,) = [s for s in audit["steps"] if "upload-sarif" in s.get("uses", "")]
    assert upload["with"]["sarif_file"] and upload["with"]["category"].startswith("mlops-audit/")
    scans = [parse_strictly(argv, WORKFLOW.name) for argv in scan_argv(WORKFLOW)]
    for args in scans:
        # upload-sarif ignores its category input when the SARIF file carries one
        assert args.sarif_category is None and args.auth == "cli"
        assert args.suppressions == ".mlops-audit-suppressions.yaml"
    sarif = [p for args in scans for fmt, p in outputs_of(args, WORKFLOW.name) if fmt == "sarif"]
    assert sarif == [upload["with"]["sarif_file"]]


@pytest.mark.parametrize(
    "event, origin, jobs",
    [
        ("schedule", "branch", ["audit"]),
        ("workflow_dispatch", "branch", ["audit"]),
        ("pull_request", "branch", ["validate", "gate"]),
        ("pull_request", "fork", ["validate"]),
        ("pull_request", "dependabot", ["validate"]),
    ],
)
def test_github_jobs_run_on_their_events(event: str, origin: str, jobs: list[str]) -> None:
    """The gate signs in with OIDC: a fork's pull request (no id-token) and Dependabot's
    (no secrets) run only the credential-free validation."""
    wf = load(WORKFLOW)
    ctx = {"github": github_context(event, origin)}
    chosen = [name for name, j in wf["jobs"].items() if gh_eval(str(j.get("if", "true")), ctx)]
    assert chosen == jobs


GITHUB_SCENARIOS = [
    ("audit", "reference", None, "1"),
    ("audit", "good", None, "0"),
    ("audit", "partial", None, "3"),
    ("audit", "missing", None, "2"),
    ("gate", "reference", None, "0"),
    ("gate", "reference", "MLA-DNS-001", "1"),
]


@pytest.mark.parametrize(
    "job, kind, without, code",
    GITHUB_SCENARIOS,
    ids=[f"{j}-{k}-{w or 'full'}-exit{c}" for j, k, w, c in GITHUB_SCENARIOS],
)
def test_github_workflow_runs_as_written(
    job: str, kind: str, without: str | None, code: str, tmp_path: Path
) -> None:
    box = sandbox(tmp_path, kind, without)
    event = "pull_request" if job == "gate" else "schedule"
    run = run_job(load(WORKFLOW), job, event, box)
    (call,) = [c for c in box.calls() if c[0] == "scan"]
    assert "--subscription" in call and "--sarif-category" not in call
    scan_step = "Audit the estate" if job == "audit" else "Audit the estate against the baseline"
    if code == "2":
        assert run.status == "failure" and run.outcomes[scan_step] == "failure", run.log
        assert run.outcomes["Verdict"] == "skipped" and not run.sarif and not run.artifacts
        return
    assert run.outcomes[scan_step] == "success", run.log
    assert run.status == ("success" if code == "0" else "failure"), run.log
    assert run.outcomes["Verdict"] == ("success" if code == "0" else "failure")
    written = box.written()
    assert written and all(p.is_file() and p.stat().st_size > 0 for p in written), written
    summary = (box.sources / "results" / "summary.md").read_text(encoding="utf-8")
    assert summary and summary in run.summary  # the job summary shows the scan's Markdown
    (artifact,) = run.artifacts.values()
    assert {p.name for p in written} <= set(artifact)
    if job == "audit":
        ((sarif, category),) = run.sarif
        assert sarif.name.endswith(".sarif") and category == "mlops-audit/prod"
        doc = json.loads(sarif.read_text(encoding="utf-8"))
        assert all("automationDetails" not in r for r in doc["runs"])
    else:
        diff = (box.sources / "results" / "diff.md").read_text(encoding="utf-8")
        assert diff in run.summary and not run.sarif
    if code == "1" and without:
        new = json.loads((box.sources / "results" / "mlops-audit.json").read_text("utf-8"))
        counting = [f["rule_id"] for f in new["findings"] if f["baseline"] == "new"]
        assert counting == [without]


def test_the_suppression_example_is_valid_and_illustrative() -> None:
    """Copied as it is, the example silences nothing: each entry names one rule and one
    full resource id in the all-zero subscription with an *example* name (no tag or glob
    that a real resource could match), and in every bundled sample estate no finding is
    suppressed and each entry is reported stale."""
    entries = triage.load_suppressions(SUPPRESSIONS)
    assert len(entries) >= 2
    doc = load(SUPPRESSIONS)
    for raw, s in zip(doc["suppressions"], entries, strict=True):
        assert s.entry.justification.strip() and s.entry.owner, s.label
        assert s.entry.expires is not None and s.entry.expires > TODAY, s.label
        assert set(raw) == {"rule", "resource", "justification", "owner", "expires"}, raw
        assert re.fullmatch(r"MLA-[A-Z]+-\d{3}", raw["rule"]), raw["rule"]
        assert raw["resource"].startswith(f"/subscriptions/{PLACEHOLDER_ID}/"), raw
        assert "*" not in raw["resource"] and "example" in raw["resource"], raw
        assert str(raw["owner"]).endswith("@example.com"), raw
    for name in samples.SAMPLES:
        run = core.audit(
            [samples.sample_path(name)],
            suppressions=SUPPRESSIONS,
            generated_at=f"{TODAY}T00:00:00Z",
        )
        account = run.suppressions
        assert account is not None and account["suppressed"] == 0, name
        assert len(account["stale"]) == len(entries) and account["expired"] == [], name
        assert all(f.suppression is None for f in run.result.findings), name


def test_the_stand_ins_catch_a_broken_example(tmp_path: Path) -> None:
    """The checks above can fail: a misspelled option, a SARIF file the Scans tab would not
    show, a verdict that forgets exit 3."""
    values = values_for(NIGHTLY)
    with pytest.raises(pytest.fail.Exception):
        parse_strictly(argv_of("mlops-audit scan --suppress x --fail-on high", values, "t"), "t")
    with pytest.raises(pytest.fail.Exception):
        parse_strictly(["scan", "--fail-on", "severe"], "t")
    pipeline = load(NIGHTLY)
    for step in steps_of(pipeline):
        if step.get("task") == "AzureCLI@2":
            step["inputs"]["inlineScript"] = step["inputs"]["inlineScript"].replace(
                '.sarif"', '.sarif.json"'
            )
        if step.get("displayName") == "Verdict":
            step["script"] = step["script"].replace("exit 3", "exit 0")
    run = run_azure(pipeline, sandbox(tmp_path, "partial"))
    assert run.status == "Succeeded"  # the broken verdict lets an incomplete scan pass
    assert not all(n.endswith(".sarif") for n in run.artifacts["CodeAnalysisLogs"])


# -- the Terraform pull-request gates --------------------------------------------------------
def tf_scans(path: Path) -> list[argparse.Namespace]:
    return [parse_strictly(argv, path.name) for argv in scan_argv(path)]


def test_the_terraform_gates_scan_the_code_and_the_plan() -> None:
    """Both templates: a credential-free scan of the .tf files and a scan of the plan's
    JSON, each gated on new findings against the committed Terraform baseline."""
    for path in (TF_PIPELINE, TF_WORKFLOW):
        text = path.read_text(encoding="utf-8")
        # baseline (comment), the configuration scan, the plan scan, the diff
        assert len(command_lines(text)) == 4, path
        assert len(ANY_COMMAND.findall(text)) == len(command_lines(text)), path.name
        config, plan = tf_scans(path)
        assert config.terraform and config.var_file and not config.terraform_plan
        assert plan.terraform_plan and not plan.terraform
        for args in (config, plan):
            assert args.baseline.endswith(TF_BASELINE_PATH) and args.fail_on == "high"
            assert not args.subscription and args.sarif_category is None
            assert "sarif" in dict(outputs_of(args, path.name))
        (baseline,) = [
            argv_of(line, values_for(path), path.name)
            for line in command_lines(text)
            if line.startswith("mlops-audit baseline")
        ]
        assert parse_strictly(baseline, path.name).output == TF_BASELINE_PATH


def test_the_github_terraform_gate_uploads_each_scan_to_its_own_category() -> None:
    wf = load(TF_WORKFLOW)
    on = triggers(wf)
    assert on["pull_request"]["branches"] == ["main"] and on["push"]["branches"] == ["main"]
    assert wf["permissions"] == {}
    categories = []
    for name, job in wf["jobs"].items():
        assert job["permissions"]["security-events"] == "write", name
        scans = [
            parse_strictly(argv, name)
            for argv in scan_argv(TF_WORKFLOW, "\n".join(s.get("run", "") for s in job["steps"]))
        ]
        (args,) = scans
        sarif = [p for fmt, p in outputs_of(args, name) if fmt == "sarif"]
        (upload,) = [s for s in job["steps"] if "upload-sarif" in s.get("uses", "")]
        assert str(upload["if"]).startswith("always()")
        assert [upload["with"]["sarif_file"]] == sarif
        categories.append(upload["with"]["category"])
        for step in job["steps"]:  # values reach scripts through env:, never ${{ }}
            assert "${{" not in step.get("run", ""), (name, step.get("name"))
        uses = {s["uses"].split("@")[0] for s in job["steps"] if "uses" in s}
        assert "azure/login" not in uses  # the provider signs in itself (plan) or not at all
    assert len(set(categories)) == len(categories) == 2
    config, plan = wf["jobs"]["config"], wf["jobs"]["plan"]
    assert "if" not in config and "env" not in config  # every pull request, no credentials
    assert "id-token" not in config["permissions"]
    assert plan["permissions"]["id-token"] == "write"
    assert plan["env"]["ARM_USE_OIDC"] == "true"
    for origin, runs in (("branch", True), ("fork", False), ("dependabot", False)):
        ctx = {"github": github_context("pull_request", origin), "vars": Anything()}
        ctx["vars"]["MLOPS_AUDIT_PLAN_GATE"] = "true"
        assert bool(gh_eval(plan["if"], ctx)) is runs, origin
    (setup,) = [s for s in plan["steps"] if "setup-terraform" in s.get("uses", "")]
    assert setup["with"]["terraform_wrapper"] is False  # it would pollute show -json


GITHUB_TF_SCENARIOS = [
    ("config", "reference", None, "0"),
    ("config", "reference", "MLA-DNS-001", "1"),
    ("config", "partial", None, "3"),
    ("config", "missing", None, "2"),
    ("plan", "reference", "MLA-DNS-001", "1"),
    ("plan", "good", None, "0"),
]


@pytest.mark.parametrize(
    "job, kind, without, code",
    GITHUB_TF_SCENARIOS,
    ids=[f"{j}-{k}-{w or 'full'}-exit{c}" for j, k, w, c in GITHUB_TF_SCENARIOS],
)
def test_the_github_terraform_gate_runs_as_written(
    job: str, kind: str, without: str | None, code: str, tmp_path: Path
) -> None:
    box = sandbox(tmp_path, kind, without)
    run = run_job(load(TF_WORKFLOW), job, "pull_request", box)
    (call,) = [c for c in box.calls() if c[0] == "scan"]
    assert ("--terraform" if job == "config" else "--terraform-plan") in call
    scan_step = (
        "Audit the Terraform configuration" if job == "config" else "Audit the Terraform plan"
    )
    if job == "plan":  # the plan the scan reads is the one terraform show wrote
        plan_json = Path(call[call.index("--terraform-plan") + 1])
        assert plan_json.is_file() and json.loads(plan_json.read_text("utf-8")), run.log
        steps = (box.root / "terraform.log").read_text(encoding="utf-8").splitlines()
        assert [s.split()[1] for s in steps] == ["init", "plan", "show"], steps
    if code == "2":
        assert run.status == "failure" and run.outcomes[scan_step] == "failure", run.log
        assert run.outcomes["Verdict"] == "skipped" and not run.sarif and not run.artifacts
        return
    assert run.outcomes[scan_step] == "success", run.log
    assert run.status == ("success" if code == "0" else "failure"), run.log
    assert run.outcomes["Verdict"] == ("success" if code == "0" else "failure")
    ((sarif, category),) = run.sarif  # uploaded before the verdict, whatever it says
    assert category == (
        "mlops-audit/terraform" if job == "config" else "mlops-audit/terraform-plan"
    )
    assert json.loads(sarif.read_text(encoding="utf-8"))["runs"]
    written = box.written()
    assert written and all(p.is_file() and p.stat().st_size > 0 for p in written), written
    (artifact,) = run.artifacts.values()
    assert {p.name for p in written} <= set(artifact)
    summary = (box.sources / "results" / "summary.md").read_text(encoding="utf-8")
    assert summary in run.summary
    if code == "1":
        new = json.loads((box.sources / "results" / "mlops-audit.json").read_text("utf-8"))
        assert [f["rule_id"] for f in new["findings"] if f["baseline"] == "new"] == [without]


def test_the_azure_terraform_gate_needs_no_credentials_for_the_code() -> None:
    pipeline = load(TF_PIPELINE)
    assert pipeline["trigger"] == "none" and pipeline["pr"]["branches"]["include"] == ["main"]
    variables = ado_variables(pipeline)
    assert variables["planGate"] == "False" and variables["baselineFile"] == TF_BASELINE_PATH
    by_name = {s.get("name"): s for s in steps_of(pipeline)}
    assert "script" in by_name["scan"]  # no service connection: a plain script step
    for name in ("plan", "planscan"):  # the plan needs the estate: only when asked
        assert "eq(variables['planGate'], 'true')" in by_name[name]["condition"]
    (azcli,) = tasks(pipeline, "AzureCLI@2")
    assert azcli["name"] == "plan" and azcli["inputs"]["addSpnToEnvironment"] is True
    for args in tf_scans(TF_PIPELINE):  # SARIF where the Scans tab reads it
        (sarif,) = [p for fmt, p in outputs_of(args, TF_PIPELINE.name) if fmt == "sarif"]
        assert re.fullmatch(r"/agent/_work/1/a/CodeAnalysisLogs/[^/]+\.sarif", sarif), sarif
    (tests_task,) = tasks(pipeline, "PublishTestResults@2")
    assert tests_task["inputs"]["failTaskOnFailedTests"] is False


AZURE_TF_SCENARIOS = [
    ("false", "reference", None, "0", ""),
    ("false", "reference", "MLA-DNS-001", "1", ""),
    ("false", "partial", None, "3", ""),
    ("false", "missing", None, "2", ""),
    ("true", "reference", "MLA-DNS-001", "1", "1"),
    ("true", "good", None, "0", "0"),
]


@pytest.mark.parametrize(
    "plan_gate, kind, without, code, plan_code",
    AZURE_TF_SCENARIOS,
    ids=[f"plan{g}-{k}-{w or 'full'}-exit{c}" for g, k, w, c, _ in AZURE_TF_SCENARIOS],
)
def test_the_azure_terraform_gate_runs_as_written(
    plan_gate: str, kind: str, without: str | None, code: str, plan_code: str, tmp_path: Path
) -> None:
    box = sandbox(tmp_path, kind, without)
    pipeline = load(TF_PIPELINE)
    pipeline["variables"]["planGate"] = plan_gate == "true"
    run = run_azure(pipeline, box)
    assert run.variables.get("configExitCode") == code, run.log
    assert run.variables.get("planExitCode", "") == plan_code, run.log
    scans = [c for c in box.calls() if c[0] == "scan"]
    assert len(scans) == (2 if plan_gate == "true" else 1)
    assert "--terraform" in scans[0] and all("--subscription" not in c for c in scans)
    if code == "2":
        assert run.status == "Failed" and not run.artifacts and not run.test_files, run.log
        return
    assert run.status == ("Succeeded" if code == "0" else "Failed"), run.log
    assert run.ran[-1] == "Verdict", run.ran
    sarif = run.artifacts["CodeAnalysisLogs"]
    expected = ["mlops-audit-terraform.sarif"]
    if plan_gate == "true":
        expected.append("mlops-audit-terraform-plan.sarif")
        assert "mlops-audit-terraform-plan-reports" in run.artifacts
    assert sorted(sarif) == sorted(expected)
    written = box.written()
    assert written and all(p.is_file() and p.stat().st_size > 0 for p in written), written
    assert run.test_files == [p for p in written if p.suffix == ".xml"]
    if code == "1":
        assert any("new findings at or above 'high'" in e for e in run.errors), run.errors
    if code == "3":
        assert any("could not be read or judged" in e for e in run.errors), run.errors
