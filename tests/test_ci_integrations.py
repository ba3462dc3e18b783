"""The composite GitHub Action (action.yml), the Azure Pipelines templates
(templates/azure-pipelines/) and the examples that use them, exercised the way
tests/test_examples.py exercises the examples: the YAML as written, the scripts run by bash
through the same stand-ins for GitHub Actions and Azure Pipelines, with ``mlops-audit`` on
PATH the real CLI (its live scope swapped for a snapshot).

What is held: every action pinned to a full commit SHA with its version in a comment, the
same everywhere; nothing workflow-wide in ``permissions`` and each job only what it uses;
no ``${{ … }}`` inside a script (inputs reach scripts through ``env:``); the SARIF upload,
the outputs and the job summary happen before the exit code is applied; a template's
parameters reach its scripts as data.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

import auditor

from .conftest import ROOT
from .test_examples import (
    ACTION,
    AZURE,
    EXAMPLES,
    OWN_ACTION,
    PLACEHOLDER_ID,
    REFERENCE,
    Anything,
    Ctx,
    JobRun,
    Sandbox,
    bash,
    gh_eval,
    gh_expand,
    github_context,
    load,
    parse_strictly,
    run_azure,
    run_job,
    sandbox,
    triggers,
)

GITHUB = EXAMPLES / "github-actions"
ACTION_EXAMPLE = GITHUB / "mlops-audit-action.yml"
WORKFLOWS = sorted(GITHUB.glob("*.yml"))
TEMPLATES = ROOT / "templates" / "azure-pipelines"
STEPS_TEMPLATE = TEMPLATES / "mlops-audit-steps.yml"
JOB_TEMPLATE = TEMPLATES / "mlops-audit-job.yml"
TEMPLATE_EXAMPLE = AZURE / "from-template.yml"
PRE_COMMIT = ROOT / ".pre-commit-hooks.yaml"

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", re.M)
SHA_PIN = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
VERSION_COMMENT = re.compile(r"\s*#\s*v\d+\.\d+\.\d+\b")


def action_step(with_: Mapping[str, str]) -> dict[str, Any]:
    """A one-job workflow that uses the action as the examples do."""
    step = {"id": "audit", "uses": OWN_ACTION + "0" * 40, "with": dict(with_)}
    return {"jobs": {"audit": {"steps": [step]}}}


def outputs_step(*outputs: str) -> dict[str, Any]:
    """A later step of the job (run also when the action failed) that writes the action's
    ``outputs``, '|'-joined, to $RUNNER_TEMP/seen, as a calling workflow would read them."""
    names = [k.upper().replace("-", "_") for k in outputs]
    return {
        "name": "report",
        "if": "always()",
        "env": {
            n: f"${{{{ steps.audit.outputs.{k} }}}}" for n, k in zip(names, outputs, strict=True)
        },
        "run": f'printf "{"|".join(["%s"] * len(names))}" '
        + " ".join(f'"${n}"' for n in names)
        + ' > "$RUNNER_TEMP/seen"',
    }


def run_action_job(box: Sandbox, with_: Mapping[str, str], origin: str = "branch") -> JobRun:
    return run_job(action_step(with_), "audit", "push", box, origin)


# -- pins, permissions, scripts ----------------------------------------------------------------
def test_every_action_is_pinned_to_a_commit_sha_with_its_version() -> None:
    """Third-party actions by full commit SHA (a tag can be moved to other code) with the
    release in a comment for people and Dependabot; one SHA per action across the files."""
    seen: dict[str, set[str]] = {}
    files = [ACTION, *WORKFLOWS]
    for path in files:
        text = path.read_text(encoding="utf-8")
        found = USES.findall(text)
        assert found or path == GITHUB / "README.md", path
        for ref, rest in found:
            assert SHA_PIN.fullmatch(ref), f"{path.name}: {ref} is not pinned to a commit SHA"
            assert VERSION_COMMENT.match(rest), f"{path.name}: {ref} has no '# vX.Y.Z' comment"
            name, sha = ref.split("@")
            if not ref.startswith(OWN_ACTION):
                seen.setdefault(name, set()).add(sha)
    for name, shas in seen.items():
        assert len(shas) == 1, f"{name} is pinned to different commits: {sorted(shas)}"
    # the current majors (December 2026)
    majors = {name: None for name in seen}
    for path in files:
        for ref, rest in USES.findall(path.read_text(encoding="utf-8")):
            majors[ref.split("@")[0]] = rest.split("#")[1].strip().split(".")[0]
    assert majors["actions/checkout"] == "v7"
    assert majors["actions/upload-artifact"] == "v7"
    assert majors["azure/login"] == "v3"
    assert majors["github/codeql-action/upload-sarif"] == "v4"
    assert majors["actions/setup-python"] == "v7"
    assert majors["hashicorp/setup-terraform"] == "v4"


def job_uses(job: Mapping[str, Any]) -> set[str]:
    return {str(s["uses"]).split("@")[0] for s in job["steps"] if "uses" in s}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_permissions_are_per_job_and_least(path: Path) -> None:
    wf = load(path)
    assert wf["permissions"] == {}, "nothing workflow-wide"
    for name, job in wf["jobs"].items():
        perms = job.get("permissions")
        assert isinstance(perms, dict) and perms.get("contents") == "read", (path.name, name)
        uses = job_uses(job)
        signs_in = "azure/login" in uses or (job.get("env") or {}).get("ARM_USE_OIDC") == "true"
        assert ("id-token" in perms) is signs_in, (path.name, name)
        uploads = "github/codeql-action/upload-sarif" in uses or any(
            str(s.get("uses", "")).startswith(OWN_ACTION)
            and (s.get("with") or {}).get("upload-sarif") != "false"
            for s in job["steps"]
        )
        assert (perms.get("security-events") == "write") is uploads, (path.name, name)
        assert not {k for k, v in perms.items() if v == "write"} - {"id-token", "security-events"}


def scripts(doc: Mapping[str, Any]) -> list[str]:
    if "runs" in doc:
        return [s["run"] for s in doc["runs"]["steps"] if "run" in s]
    return [s["run"] for job in doc["jobs"].values() for s in job["steps"] if "run" in s]


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.stem)
def test_no_expression_is_pasted_into_a_script(path: Path) -> None:
    """``${{ inputs.x }}`` or ``${{ github.event… }}`` inside ``run:`` becomes shell text
    before bash sees it (a branch name with ``$(…)`` in it runs); values go through env."""
    doc = load(path)
    found = scripts(doc)
    assert found
    for script in found:
        assert "${{" not in script, script[:200]


def test_fork_and_dependabot_pull_requests_get_no_credentials() -> None:
    """Jobs that sign in to Azure never run for a fork's or Dependabot's pull request; the
    credential-free jobs do, and they do not upload where their token cannot write."""
    for path in WORKFLOWS:
        wf = load(path)
        if "pull_request" not in triggers(wf):
            continue
        for origin in ("fork", "dependabot"):
            ctx = {"github": github_context("pull_request", origin), "vars": Anything()}
            ctx["vars"]["MLOPS_AUDIT_PLAN_GATE"] = "true"
            chosen = [n for n, j in wf["jobs"].items() if gh_eval(str(j.get("if", "true")), ctx)]
            assert chosen, (path.name, origin)  # something still checks the pull request
            for name in chosen:
                job = wf["jobs"][name]
                assert "id-token" not in job["permissions"], (path.name, name, origin)
                assert "pull_request_target" not in triggers(wf)


# -- the action ---------------------------------------------------------------------------------
def test_the_action_declares_what_it_promises() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    for name in (
        "subscription",
        "management-group",
        "all-subscriptions",
        "snapshot",
        "terraform",
        "terraform-plan",
        "var-file",
        "fail-on",
        "select",
        "skip",
        "baseline",
        "suppressions",
        "rules",
        "version",
        "upload-sarif",
        "category",
    ):
        assert name in inputs and "description" in inputs[name], name
    assert inputs["upload-sarif"]["default"] == "true" and inputs["fail-on"]["default"] == "high"
    assert inputs["version"]["default"] == ""  # the action's own checkout: the ref in uses:
    assert set(action["outputs"]) >= {"exit-code", "findings", "sarif", "json"}
    text = ACTION.read_text(encoding="utf-8")
    for name in inputs:  # every input reaches a step (env or with), none is ignored
        assert re.search(rf"inputs\.{re.escape(name)}\b(?!-)", text), name
    steps = action["runs"]["steps"]
    labels = [s.get("name") or s.get("uses", "").split("@")[0] for s in steps]
    assert labels.index("github/codeql-action/upload-sarif") < labels.index("Verdict")
    assert labels[-1] == "Verdict"  # the exit code is applied last
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash", step.get("name")
    (upload,) = [s for s in steps if "upload-sarif" in s.get("uses", "")]
    assert upload["if"].startswith("always()") and "inputs.upload-sarif == 'true'" in upload["if"]
    assert upload["with"]["category"] == "${{ inputs.category }}"


ACTION_SCENARIOS = [
    # estate, exit code, findings
    ("reference", "1", 4),
    ("good", "0", 0),
    ("partial", "3", 0),
    ("missing", "2", None),
]


@pytest.mark.parametrize(
    "kind, code, findings", ACTION_SCENARIOS, ids=[s[0] for s in ACTION_SCENARIOS]
)
def test_the_action_runs_on_a_snapshot(
    kind: str, code: str, findings: int | None, tmp_path: Path
) -> None:
    box = sandbox(tmp_path, kind)
    run = run_action_job(box, {"snapshot": str(box.snapshot), "category": "mlops-audit/t"})
    (call,) = box.calls()
    assert call[:3] == ["scan", "--fail-on", "high"] and "--subscription" not in call
    assert call[call.index("--snapshot") + 1] == str(box.snapshot)
    parse_strictly(call, "action")
    order = list(run.outcomes)
    if code == "2":  # a usage error: nothing to upload, no verdict, the step fails at once
        assert run.outcomes["Run mlops-audit scan"] == "failure", run.log
        assert run.status == "failure" and not run.sarif
        assert run.outcomes["Verdict"] == "skipped"
        return
    assert run.outcomes["Run mlops-audit scan"] == "success", run.log
    ((sarif, category),) = run.sarif
    assert category == "mlops-audit/t" and json.loads(sarif.read_text("utf-8"))["runs"]
    # uploaded before the verdict, which applies the exit code
    assert order.index(next(k for k in order if "upload-sarif" in k)) < order.index("Verdict")
    assert run.outcomes["Verdict"] == ("success" if code == "0" else "failure"), run.log
    assert run.status == ("success" if code == "0" else "failure")
    report = json.loads((box.temp / "mlops-audit" / "mlops-audit.json").read_text("utf-8"))
    assert report["summary"]["findings"] == findings
    summary = (box.temp / "mlops-audit" / "summary.md").read_text(encoding="utf-8")
    assert summary and summary in run.summary
    assert ("::error title=mlops-audit::" in run.log) is (code != "0")


def test_the_action_outputs_reach_the_calling_job(tmp_path: Path) -> None:
    """exit-code, findings, counted, sarif and json, read by a later step of the job (also
    when the action failed the step on findings)."""
    box = sandbox(tmp_path, "reference")
    wf = action_step({"snapshot": str(box.snapshot), "upload-sarif": "false"})
    wf["jobs"]["audit"]["steps"].append(
        outputs_step("exit-code", "findings", "counted", "sarif", "json")
    )
    run = run_job(wf, "audit", "push", box)
    assert run.outcomes["report"] == "success" and not run.sarif, run.log
    code, findings, counted, sarif, json_path = (box.temp / "seen").read_text().split("|")
    assert (code, findings, counted) == ("1", "4", "4")
    assert Path(sarif).is_file() and Path(json_path).is_file()
    assert json.loads(Path(json_path).read_text("utf-8"))["summary"]["findings"] == 4


def test_no_report_no_report_outputs(tmp_path: Path) -> None:
    """When the scan could not run (exit 2) no report exists: sarif and json stay empty, so
    a later step's `steps.audit.outputs.json != ''` (the examples' guard) means a report."""
    box = sandbox(tmp_path, "missing")
    wf = action_step({"snapshot": str(box.snapshot), "upload-sarif": "false"})
    wf["jobs"]["audit"]["steps"].append(outputs_step("exit-code", "sarif", "json"))
    run = run_job(wf, "audit", "push", box)
    assert run.outcomes["Run mlops-audit scan"] == "failure", run.log
    assert (box.temp / "seen").read_text() == "2||", run.log


def test_the_action_builds_the_live_and_terraform_arguments(tmp_path: Path) -> None:
    box = sandbox(tmp_path, "reference", "MLA-DNS-001")
    baseline = box.sources / "audit" / "mlops-audit-baseline.json"
    run = run_action_job(
        box,
        {
            "subscription": "sub-a, sub-b\r\nsub-c\r\n",  # a CRLF from a Windows editor
            "fail-on": "medium",
            "select": "MLA-DNS,MLA-ACR",
            "skip": "MLA-ACR-004",
            "baseline": str(baseline),
            "suppressions": ".mlops-audit-suppressions.yaml",
        },
    )
    (call,) = box.calls()
    args = parse_strictly(call, "action")
    assert args.subscription == ["sub-a", "sub-b", "sub-c"] and args.auth == "cli"
    assert args.fail_on == "medium" and args.select == ["MLA-DNS,MLA-ACR"]
    assert args.skip == ["MLA-ACR-004"] and args.baseline == str(baseline)
    assert args.sarif_category == "mlops-audit/"  # the category input, as upload-sarif writes it
    assert run.outcomes["Verdict"] == "failure", run.log  # MLA-DNS-001 is new
    box2 = sandbox(tmp_path / "tf", "reference")
    run_action_job(
        box2,
        {
            "terraform": "infra\n  modules/net  \n",
            "var-file": "infra/prod.tfvars",
            "rules": "rules-org",
            "management-group": "mg-1",
            "auth": "managed-identity",
        },
    )
    (call,) = box2.calls()
    pairs = list(itertools.pairwise(call))
    assert ("--terraform", "infra") in pairs and ("--terraform", "modules/net") in pairs
    assert ("--var-file", "infra/prod.tfvars") in pairs and ("--rules", "rules-org") in pairs
    assert ("--management-group", "mg-1") in pairs and ("--auth", "managed-identity") in pairs


def test_the_category_input_names_the_analysis_whatever_the_config_says(tmp_path: Path) -> None:
    """upload-sarif keeps a SARIF file's own automationDetails.id and ignores its category
    input: a sarif-category in the repository's .mlops-audit.yaml (or MLOPS_AUDIT_SARIF_CATEGORY)
    would otherwise put every scope under one category, each upload closing the other
    scope's alerts. The action writes its category input into the file itself."""
    box = sandbox(tmp_path, "good")
    (box.sources / ".mlops-audit.yaml").write_text(
        "sarif-category: mlops-audit/from-config/\n", encoding="utf-8"
    )
    run = run_action_job(box, {"snapshot": str(box.snapshot), "category": "mlops-audit/prod"})
    ((sarif, category),) = run.sarif
    assert category == "mlops-audit/prod", run.log
    ids = [r["automationDetails"]["id"] for r in json.loads(sarif.read_text("utf-8"))["runs"]]
    assert ids == ["mlops-audit/prod/"], ids


def test_hostile_inputs_stay_data(tmp_path: Path) -> None:
    """An input with quotes, $( ) and a newline is one argument, never shell."""
    box = sandbox(tmp_path, "good")
    evil = 'x"; touch pwned1; echo "$(touch pwned2)`touch pwned3`'
    run = run_action_job(box, {"snapshot": str(box.snapshot), "suppressions": evil})
    assert not list(box.sources.glob("pwned*")) and not list(tmp_path.rglob("pwned*"))
    (call,) = box.calls()
    assert call[call.index("--suppressions") + 1] == evil
    assert run.outcomes["Run mlops-audit scan"] == "failure"  # no such file: exit 2
    box2 = sandbox(tmp_path / "nl", "good")
    run = run_action_job(box2, {"snapshot": str(box2.snapshot), "output-dir": "out\nexit-code=0"})
    assert run.outcomes["Run mlops-audit scan"] == "failure" and not box2.calls(), run.log
    assert "output-dir holds a line break" in run.log


def test_a_switch_is_true_or_false(tmp_path: Path) -> None:
    """'yes', 'on' or a blank for a true/false input is refused (the step fails, nothing
    scanned), not read as false: the subscriptions asked for silently left out, or the SARIF
    upload silently skipped. Case does not matter, as in a workflow expression."""
    for n, (name, value) in enumerate(
        [("all-subscriptions", "yes"), ("upload-sarif", "on"), ("upload-sarif", " ")]
    ):
        box = sandbox(tmp_path / str(n), "good")
        run = run_action_job(box, {"snapshot": str(box.snapshot), name: value})
        assert run.outcomes["Run mlops-audit scan"] == "failure" and not box.calls(), run.log
        assert f"{name}: 'true' or 'false'" in run.log, run.log
        assert not run.sarif
    box = sandbox(tmp_path / "ok", "good")
    run = run_action_job(
        box, {"snapshot": str(box.snapshot), "all-subscriptions": "True", "upload-sarif": "False"}
    )
    (call,) = box.calls()
    assert "--all-subscriptions" in call and not run.sarif


def test_the_action_installs_its_own_ref_a_version_or_a_requirement(tmp_path: Path) -> None:
    """The install step with a stand-in python3: the action's checkout by default, a bare
    version as mlops-audit==VERSION, anything else as the pip requirement it is."""
    (install,) = [s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "install"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python3"
    python.write_text(
        "#!/bin/bash\n"
        'if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin"\n'
        '  printf \'#!/bin/bash\\nprintf "%%s\\\\n" "$@" > "$LOG"\\n\' > "$3/bin/python"\n'
        "  printf '#!/bin/bash\\necho mlops-audit 0.0.0\\n' > \"$3/bin/mlops-audit\"\n"
        '  chmod +x "$3/bin/python" "$3/bin/mlops-audit"; fi\n',
        encoding="utf-8",
    )
    python.chmod(0o755)
    cases = {
        "": str(ROOT),
        "0.2.0": "mlops-audit==0.2.0",
        "mlops-audit @ git+https://example.com/o/mlops-audit@v0.2.0": (
            "mlops-audit @ git+https://example.com/o/mlops-audit@v0.2.0"
        ),
    }
    for version, requirement in cases.items():
        temp = tmp_path / f"t{len(version)}"
        temp.mkdir()
        ctx = {
            "inputs": Ctx(version=version),
            "github": Ctx(action_path=str(ROOT)),
            "steps": Ctx(python=Ctx(outputs=Ctx())),
        }
        env = {k: gh_expand(v, ctx) for k, v in install["env"].items()}
        env.update(
            PATH=f"{bin_dir}:/usr/bin:/bin",
            RUNNER_TEMP=str(temp),
            GITHUB_PATH=str(temp / "path"),
            LOG=str(temp / "pip.log"),
        )
        code, out = bash(install["run"], env, temp, [])
        assert code == 0, out
        logged = (temp / "pip.log").read_text().splitlines()
        assert logged[:2] == ["-m", "pip"] and logged[-1] == requirement, logged
        assert logged[-2] == "--"  # a requirement starting with - is not an option
        assert (temp / "path").read_text().strip() == f"{temp}/mlops-audit-bin"
        assert not (temp / "pwned").exists()


INSTALL_STANDIN = (
    "#!/bin/bash\n"
    'if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin"\n'
    '  printf \'#!/bin/bash\\nprintf "%%s\\\\n" "$@" > "$LOG"\\n\' > "$3/bin/python"\n'
    "  printf '#!/bin/bash\\necho mlops-audit 0.0.0\\n' > \"$3/bin/mlops-audit\"\n"
    '  chmod +x "$3/bin/python" "$3/bin/mlops-audit"; fi\n'
)


def install_scripts() -> dict[str, tuple[str, str]]:
    """The install step of the action and of the steps template: script, and the env
    variable that carries what to install."""
    (action,) = [s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "install"]
    (template,) = [s for s in load(STEPS_TEMPLATE)["steps"] if s.get("name") == "install"]
    return {"action": (action["run"], "IN_VERSION"), "template": (template["script"], "IN_PACKAGE")}


def install_standin(tmp_path: Path, standin: str) -> Path:
    """A bin directory under ``tmp_path`` whose python3 is ``standin`` (see INSTALL_STANDIN)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text(standin, encoding="utf-8")
    (bin_dir / "python3").chmod(0o755)
    return bin_dir


def run_install(
    script: str, given: Mapping[str, str], bin_dir: Path, temp: Path
) -> tuple[int, str]:
    """The install step's script with the ``given`` input variable, ``bin_dir`` first on PATH
    and ``temp`` as the runner's (GitHub's and Azure Pipelines') temporary directory."""
    env = {
        **given,
        "ACTION_PATH": str(ROOT),
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "RUNNER_TEMP": str(temp),
        "AGENT_TEMPDIRECTORY": str(temp),
        "GITHUB_PATH": str(temp / "path"),
        "LOG": str(temp / "pip.log"),
    }
    return bash(script, env, temp, [])


@pytest.mark.parametrize("where", ["action", "template"])
def test_a_careless_version_never_installs_another_project(where: str, tmp_path: Path) -> None:
    """'latest', 'v0.2.0' or a version with a stray space is not a requirement for some
    other project of the index: a version (with or without v, trimmed) is mlops-audit's,
    and a requirement that starts with a project name must name mlops-audit; a URL or a
    wheel path is passed as given."""
    script, variable = install_scripts()[where]
    bin_dir = install_standin(tmp_path, INSTALL_STANDIN)
    installed = {
        "v0.2.0": "mlops-audit==0.2.0",
        " 0.2.0\n": "mlops-audit==0.2.0",
        "MLOps_Audit[monitor]==0.2.0": "MLOps_Audit[monitor]==0.2.0",
        "git+https://example.com/o/mlops-audit@v0.2.0": "git+https://example.com/o/mlops-audit@v0.2.0",
        "dist/mlops_audit-0.2.0-py3-none-any.whl": "dist/mlops_audit-0.2.0-py3-none-any.whl",
    }
    refused = ["latest", "requests==2.0", "0.2.0; touch pwned", "mlops-auditx"]
    for n, value in enumerate([*installed, *refused]):
        temp = tmp_path / f"t{n}"
        temp.mkdir()
        code, out = run_install(script, {variable: value}, bin_dir, temp)
        if value in installed:
            assert code == 0, (value, out)
            assert (temp / "pip.log").read_text().splitlines()[-1] == installed[value]
        else:
            assert code != 0 and not (temp / "pip.log").exists(), (value, out)
            assert "mlops-audit" in out and "names another project" in out, out
            assert not (temp / "pwned").exists()


@pytest.mark.parametrize("where", ["action", "template"])
def test_the_install_puts_only_mlops_audit_on_path(where: str, tmp_path: Path) -> None:
    """The directory the install step adds to PATH for the rest of the job holds the
    mlops-audit command alone: the virtual environment's bin would also put its python,
    python3 and pip first on PATH, so the job's later steps would run and pip-install into
    mlops-audit's environment instead of the Python the job set up."""
    script, variable = install_scripts()[where]
    standin = INSTALL_STANDIN.replace(
        'chmod +x "$3/bin/python"',
        'touch "$3/bin/pip" "$3/bin/python3" "$3/bin/activate"; chmod +x "$3/bin/python"',
    )
    bin_dir = install_standin(tmp_path, standin)
    code, out = run_install(script, {variable: "0.2.0"}, bin_dir, tmp_path)
    assert code == 0, out
    if where == "action":
        (added,) = (tmp_path / "path").read_text().splitlines()
    else:
        (added,) = re.findall(r"^##vso\[task\.prependpath\](.*)$", out, re.M)
    assert sorted(p.name for p in Path(added).iterdir()) == ["mlops-audit"], added
    run = subprocess.run([str(Path(added) / "mlops-audit")], capture_output=True, text=True)
    assert run.stdout.strip() == "mlops-audit 0.0.0"


# -- the GitHub example that uses the action --------------------------------------------------
@pytest.mark.parametrize(
    "origin, uploads", [("branch", True), ("fork", False), ("dependabot", False)]
)
def test_the_action_example_on_a_pull_request(origin: str, uploads: bool, tmp_path: Path) -> None:
    box = sandbox(tmp_path, "reference", "MLA-DNS-001")
    wf = load(ACTION_EXAMPLE)
    chosen = [
        n
        for n, j in wf["jobs"].items()
        if gh_eval(str(j["if"]), {"github": github_context("pull_request", origin)})
    ]
    assert chosen == ["terraform"]
    run = run_job(wf, "terraform", "pull_request", box, origin)
    (call,) = box.calls()
    assert ("--terraform", "infra") in itertools.pairwise(call)
    assert [c for _, c in run.sarif] == (["mlops-audit/terraform"] if uploads else [])
    assert run.outcomes["Verdict"] == "failure" and run.status == "failure", run.log
    # the reports are kept after the failing verdict
    assert "mlops-audit.json" in run.artifacts["mlops-audit-terraform-reports"]


def test_the_action_example_nightly(tmp_path: Path) -> None:
    box = sandbox(tmp_path, "good")
    wf = load(ACTION_EXAMPLE)
    run = run_job(wf, "audit", "schedule", box)
    (call,) = box.calls()
    assert call[call.index("--subscription") + 1] == PLACEHOLDER_ID
    assert [c for _, c in run.sarif] == ["mlops-audit/prod"]
    assert run.status == "success", run.log
    assert "mlops-audit exited 0 with 0 findings" in run.log


# -- the Azure Pipelines templates ---------------------------------------------------------------
def ado_str(value: Any) -> str:
    """A template value inserted into a string, as Azure Pipelines writes it."""
    return str(value) if not isinstance(value, bool) else ("True" if value else "False")


def template_eval(expr: str, params: Mapping[str, Any]) -> Any:
    def eq(a: Any, b: Any) -> bool:
        return ado_str(a).lower() == ado_str(b).lower()

    names = {
        "eq": eq,
        "ne": lambda a, b: not eq(a, b),
        "_and": lambda *a: all(a),
        "_or": lambda *a: any(a),
        "_not": lambda a: not a,
        "parameters": Ctx(params),
        "true": True,
        "false": False,
    }
    py = re.sub(r"\b(and|or|not)\(", r"_\1(", expr.strip())
    return eval(py, {"__builtins__": {}}, names)


def resolve(node: Any, params: Mapping[str, Any], folder: Path) -> Any:
    """Template expressions at compile time: ``${{ if }}`` / ``${{ else }}`` items,
    ``${{ parameters.x }}`` values (typed when the whole value), nested ``template:``."""
    if isinstance(node, list):
        out: list[Any] = []
        last_if: bool | None = None
        for item in node:
            if isinstance(item, dict) and len(item) == 1:
                ((key, body),) = item.items()
                m = re.fullmatch(r"\$\{\{\s*if (.*)\}\}", str(key))
                if m:
                    last_if = bool(template_eval(m[1], params))
                    out += resolve(body, params, folder) if last_if else []
                    continue
                if re.fullmatch(r"\$\{\{\s*else\s*\}\}", str(key)):
                    assert last_if is not None, "${{ else }} without ${{ if }}"
                    out += [] if last_if else resolve(body, params, folder)
                    last_if = None
                    continue
            last_if = None
            if isinstance(item, dict) and "template" in item:
                given = resolve(item.get("parameters") or {}, params, folder)
                out += expand_template(folder / str(item["template"]).split("@")[0], given)
                continue
            out.append(resolve(item, params, folder))
        return out
    if isinstance(node, dict):
        return {k: resolve(v, params, folder) for k, v in node.items()}
    if isinstance(node, str):
        whole = re.fullmatch(r"\s*\$\{\{(.*)\}\}\s*", node)
        if whole:
            return template_eval(whole[1], params)
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: ado_str(template_eval(m[1], params)), node)
    return node


def expand_template(path: Path, given: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A steps or jobs template with its parameters: unknown names and values outside a
    parameter's ``values`` are refused, as Azure Pipelines refuses them."""
    doc = load(path)
    declared = {p["name"]: p for p in doc["parameters"]}
    unknown = set(given) - set(declared)
    assert not unknown, f"{path.name}: unknown parameters {sorted(unknown)}"
    params: dict[str, Any] = {}
    for name, spec in declared.items():
        value = given.get(name, spec.get("default"))
        if "values" in spec:
            assert value in spec["values"], f"{path.name}: {name}={value!r} not allowed"
        kind = spec.get("type", "string")
        if kind == "boolean":
            assert isinstance(value, bool), (name, value)
        params[name] = value
    key = "steps" if "steps" in doc else "jobs"
    return resolve(doc[key], params, path.parent)


def template_run(box: Sandbox, **given: Any) -> Any:
    steps = expand_template(STEPS_TEMPLATE, given)
    return run_azure({"steps": steps}, box), steps


def test_both_scan_steps_of_the_template_are_one_script() -> None:
    """With and without a service connection the scan step runs the same script with the
    same environment (Azure Pipelines has no YAML anchors to share it)."""
    doc = load(STEPS_TEMPLATE)
    (with_sc,) = [s for s in doc["steps"] if "${{ if ne(parameters.azureSubscription, '') }}" in s]
    (without,) = [s for s in doc["steps"] if "${{ else }}" in s]
    (azcli,) = next(iter(with_sc.values()))
    (plain,) = next(iter(without.values()))
    assert azcli["task"] == "AzureCLI@2" and azcli["inputs"]["scriptType"] == "bash"
    assert azcli["inputs"]["inlineScript"] == plain["script"]
    assert azcli["env"] == plain["env"] and azcli["name"] == plain["name"] == "scan"
    for script in [azcli["inputs"]["inlineScript"], *(s.get("script", "") for s in doc["steps"])]:
        # no macro $(x) and no template expression is pasted into the script text
        assert "${{" not in script and "$(" not in script, script[:80]


TEMPLATE_SCENARIOS = [
    # service connection, estate, exit code
    ("sc-mlops-audit-wif", "reference", "1"),
    ("", "reference", "1"),
    ("", "good", "0"),
    ("", "partial", "3"),
    ("", "missing", "2"),
]


@pytest.mark.parametrize(
    "connection, kind, code",
    TEMPLATE_SCENARIOS,
    ids=[f"{'sc' if c else 'offline'}-{k}-exit{x}" for c, k, x in TEMPLATE_SCENARIOS],
)
def test_the_steps_template_runs_as_written(
    connection: str, kind: str, code: str, tmp_path: Path
) -> None:
    box = sandbox(tmp_path, kind)
    given: dict[str, Any] = {"azureSubscription": connection, "scopeName": "prod"}
    if connection:
        given["subscriptions"] = "sub-a;sub-b\r\n"  # ';' as in a pipeline variable list
    else:
        given["snapshot"] = str(box.snapshot)
    run, steps = template_run(box, **given)
    tasks = [s.get("task") for s in steps]
    assert ("AzureCLI@2" in tasks) is bool(connection)
    assert run.variables.get("auditExitCode") == code, run.log
    (call,) = box.calls()
    args = parse_strictly(call, "template")
    assert args.sarif_category == "mlops-audit/prod/"  # no uploader sets it on Azure
    if connection:
        assert args.subscription == ["sub-a", "sub-b"] and args.auth == "cli"
    else:
        assert not args.subscription and args.snapshot == [str(box.snapshot)]
    if code == "2":
        assert run.status == "Failed" and not run.artifacts and not run.test_files, run.log
        assert any("could not run" in e for e in run.errors)
        return
    assert run.status == ("Succeeded" if code == "0" else "Failed"), run.log
    assert run.ran[-1] == "Verdict", run.ran
    assert run.artifacts["CodeAnalysisLogs"] == ["mlops-audit-prod.sarif"]
    assert {"mlops-audit.json", "mlops-audit-junit.xml", "summary.md"} <= set(
        run.artifacts["mlops-audit-prod"]
    )
    assert [p.name for p in run.test_files] == ["mlops-audit-junit.xml"]
    assert [p.name for p in run.summaries] == ["summary.md"]
    if code == "1":
        assert any("findings at or above 'high'" in e for e in run.errors), run.errors
    if code == "3":
        assert any("incomplete" in e for e in run.errors), run.errors


def test_the_steps_template_parameters(tmp_path: Path) -> None:
    box = sandbox(tmp_path, "reference")
    run, steps = template_run(
        box,
        snapshot=f"{box.snapshot}\n",
        failOn="none",
        publishSarif=False,
        publishTestResults=False,
        select="MLA-DNS",
        baseline=str(box.sources / "audit" / "mlops-audit-baseline.json"),
        suppressions=str(box.sources / ".mlops-audit-suppressions.yaml"),
        pythonVersion="",
    )
    assert run.status == "Succeeded" and "CodeAnalysisLogs" not in run.artifacts, run.log
    assert not run.test_files
    assert not [s for s in steps if s.get("task") in ("UsePythonVersion@0", "PublishTestResults@2")]
    (call,) = box.calls()
    args = parse_strictly(call, "template")
    assert args.fail_on == "none" and args.select == ["MLA-DNS"] and args.baseline
    with pytest.raises(AssertionError, match="not allowed"):
        expand_template(STEPS_TEMPLATE, {"failOn": "severe"})
    with pytest.raises(AssertionError, match="unknown parameters"):
        expand_template(STEPS_TEMPLATE, {"failon": "high"})
    (install,) = [s for s in steps if s.get("name") == "install"]
    assert install["env"]["IN_PACKAGE"] == f"mlops-audit=={auditor.__version__}"


def test_the_template_example_extends_the_job_template(tmp_path: Path) -> None:
    """examples/azure-pipelines/from-template.yml as Azure Pipelines compiles it: the
    repository resource pinned to a tag, the job template from it, its steps run."""
    pipeline = load(TEMPLATE_EXAMPLE)
    (repo,) = pipeline["resources"]["repositories"]
    alias = repo["repository"]
    assert repo["ref"].startswith("refs/tags/v")
    template = pipeline["extends"]["template"]
    path, _, at = template.partition("@")
    assert at == alias and (ROOT / path) == JOB_TEMPLATE
    (job,) = expand_template(JOB_TEMPLATE, pipeline["extends"]["parameters"])
    assert job["pool"] == {"vmImage": "ubuntu-latest"}
    assert job["steps"][0] == {"checkout": "self"}
    box = sandbox(tmp_path, "reference")
    run = run_azure({"steps": job["steps"]}, box)
    (call,) = box.calls()
    args = parse_strictly(call, "from-template")
    assert args.subscription == [PLACEHOLDER_ID] and args.auth == "cli"
    assert args.suppressions == f"{box.sources}/.mlops-audit-suppressions.yaml"
    assert run.status == "Failed" and run.ran[-1] == "Verdict", run.log
    assert run.artifacts["CodeAnalysisLogs"] == ["mlops-audit-prod.sarif"]
    default = expand_template(JOB_TEMPLATE, {})
    assert default[0]["pool"] == {"vmImage": "ubuntu-latest"}


def test_the_pre_commit_hooks_match_the_examples_paths() -> None:
    """The suppression file and baselines the CI examples read are the files the
    mlops-audit-validate hook checks."""
    hooks = {h["id"]: h for h in yaml.safe_load(PRE_COMMIT.read_text(encoding="utf-8"))}
    files = re.compile(hooks["mlops-audit-validate"]["files"])
    read = {
        m
        for p in EXAMPLES.rglob("*.yml")
        for m in re.findall(r"[\w./-]*mlops-audit[\w.-]*\.(?:json|ya?ml)", p.read_text("utf-8"))
        if "baseline" in m or "suppressions" in m
    }
    assert {".mlops-audit-suppressions.yaml", "audit/mlops-audit-baseline.json"} <= read
    assert "audit/mlops-audit-terraform-baseline.json" in read
    for path in read:
        assert files.search(path), path
    assert hooks["mlops-audit-validate"]["entry"] == "mlops-audit validate"
    assert hooks["mlops-audit-scan"]["entry"] == "mlops-audit scan"
    assert REFERENCE.is_file()


def test_the_readme_snippets_use_real_inputs_and_parameters() -> None:
    """README, "Use it in CI": the action's inputs and the templates' parameters it shows
    or names exist, and the container command runs the CLI as the entry point."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Use it in CI\n", 1)[1].split("\n### ", 1)[0]
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", section, re.S)]
    workflow, pipeline = blocks
    (step,) = [s for s in workflow["jobs"]["terraform"]["steps"] if "with" in s]
    inputs = load(ACTION)["inputs"]
    assert set(step["with"]) <= set(inputs)
    assert workflow["permissions"] == {}
    (use,) = pipeline["steps"]
    path, _, alias = use["template"].partition("@")
    assert ROOT / path == STEPS_TEMPLATE
    assert alias == pipeline["resources"]["repositories"][0]["repository"]
    params = {p["name"] for p in load(STEPS_TEMPLATE)["parameters"]}
    assert set(use["parameters"]) <= params
    action_part, template_part = section.split("**Azure Pipelines.**", 1)
    for name in re.findall(r"`([a-z]+(?:-[a-z]+)*)`", action_part.split("```", 2)[2]):
        if name not in ("true", "false", "cli"):
            assert name in inputs or name in load(ACTION)["outputs"], name
    template_part = template_part.split("**A container.**", 1)[0].split("```", 2)[2]
    job_params = {p["name"] for p in load(JOB_TEMPLATE)["parameters"]}
    for name in re.findall(r"`([a-z][A-Za-z]+)`", template_part):
        assert name in params | job_params or name == "audit", name
    (run,) = re.findall(r"^    docker run .*$", section, re.M)
    assert "mlops-audit scan --snapshot" in run and '-v "$PWD:/work"' in run
