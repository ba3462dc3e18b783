"""``rules list/show --format json``, piped rule text that never wraps, and ``queries``: the
Resource Graph queries a live scan sends, as the README's offline export recipe uses them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor import collections, queries
from auditor.collect import Scope
from auditor.report import safe
from auditor.rules import RULES_SCHEMA, load_rules

from . import builders as b
from .conftest import FIXTURES, ROOT
from .fake_arm import FakeArm, load_rows, parse_query, table_of
from .test_live import collector, estate, live, subscriptions  # noqa: F401 - the fixture

TLS_RULE = (ROOT / "rules" / "MLA-KV-001.yaml").read_text(encoding="utf-8")


def mlops_audit(
    *args: str, cwd: Path = ROOT, columns: int = 40
) -> subprocess.CompletedProcess[str]:
    """The CLI with stdout a pipe (never a terminal), in a narrow window."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def custom_rules(tmp_path: Path) -> Path:
    """A --rules directory with one rule of its own (a copy of a shipped one, renumbered)."""
    directory = tmp_path / "rules"
    directory.mkdir()
    text = re.sub(r"(?m)^id: .*$", "id: ORG-TST-001", TLS_RULE)
    (directory / "ORG-TST-001.yaml").write_text(text, encoding="utf-8")
    return directory


# -- rules ---------------------------------------------------------------------------------
def test_rules_list_json_holds_every_rule_with_its_fields(tmp_path: Path) -> None:
    rules_dir = custom_rules(tmp_path)
    proc = mlops_audit("rules", "list", "--format", "json", "--rules", str(rules_dir))
    assert (proc.returncode, proc.stderr) == (0, "")
    doc = json.loads(proc.stdout)
    assert (doc["schema"], doc["version"]) == (RULES_SCHEMA, 1)
    loaded = {r.id: r for r in load_rules([rules_dir])}
    ids = [r["id"] for r in doc["rules"]]
    assert ids == sorted(loaded) and "ORG-TST-001" in ids
    shipped = {p.stem for p in (ROOT / "rules").glob("*.yaml")}
    for entry in doc["rules"]:
        spec = loaded[entry["id"]].spec
        assert entry["builtin"] == (entry["id"] in shipped)
        assert (entry["title"], entry["severity"], entry["category"]) == (
            spec.title,
            spec.severity,
            spec.category,
        )
        assert entry["resource_types"] == spec.resource_types and entry["needs"] == spec.needs
        assert entry["rationale"] == spec.rationale.strip()
        assert entry["remediation"]["summary"] == spec.remediation.summary.strip()
        assert entry["remediation"]["cli"] == spec.remediation.cli.strip()
        assert entry["references"] == [{"title": r.title, "url": r.url} for r in spec.references]
        assert entry["policy"] == [{"name": p.name, "id": p.id} for p in spec.policy]
    # deterministic: the same bytes twice
    again = mlops_audit("rules", "list", "--format", "json", "--rules", str(rules_dir))
    assert again.stdout == proc.stdout


def test_rules_show_json_is_the_one_rule() -> None:
    proc = mlops_audit("rules", "show", "mla-dns-001", "--format", "json")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["schema"] == RULES_SCHEMA and [r["id"] for r in doc["rules"]] == ["MLA-DNS-001"]
    missing = mlops_audit("rules", "show", "ORG-XXX-999", "--format", "json")
    assert (missing.returncode, missing.stdout) == (2, "") and missing.stderr.count("\n") == 1


def test_piped_rules_list_never_wraps_a_line() -> None:
    proc = mlops_audit("rules", "list", columns=40)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    rules = load_rules()
    assert len(lines) == 1 + len(rules)  # a header, then one line per rule
    assert lines[0].split() == ["id", "severity", "category", "title"]
    for line, rule in zip(lines[1:], rules, strict=True):
        assert line.split()[:3] == [rule.id, rule.spec.severity, rule.spec.category]
        assert line.endswith(rule.spec.title)


def test_piped_rules_show_is_the_rule_markdown_unwrapped() -> None:
    for rule in load_rules():
        proc = mlops_audit("rules", "show", rule.id, columns=40)
        assert proc.returncode == 0
        assert proc.stdout == safe.ci_log(safe.terminal(rule.markdown(), multiline=True))
        cli = rule.spec.remediation.cli.strip().splitlines()[0]
        assert cli in proc.stdout.splitlines()  # the command whole on its line
        break  # one rule is enough for the shape; the others render the same way


def test_hostile_rule_text_stays_data_in_json_and_text(tmp_path: Path) -> None:
    rules_dir = custom_rules(tmp_path)
    path = rules_dir / "ORG-TST-001.yaml"
    text = path.read_text(encoding="utf-8")
    hostile = 'title: "x \\e[31m ##vso[task.setvariable] y"'
    text = re.sub(r"(?m)^title: .*$", lambda _: hostile, text)
    path.write_text(text, encoding="utf-8")
    for fmt in ("json", "text"):
        proc = mlops_audit("rules", "list", "--format", fmt, "--rules", str(rules_dir))
        assert proc.returncode == 0
        assert "\x1b" not in proc.stdout and "##vso[" not in proc.stdout
    doc = json.loads(
        mlops_audit("rules", "list", "--format", "json", "--rules", str(rules_dir)).stdout
    )
    (entry,) = [r for r in doc["rules"] if r["id"] == "ORG-TST-001"]
    assert entry["title"] == "x \x1b[31m ##vso[task.setvariable] y"  # the same data, escaped


# -- queries -------------------------------------------------------------------------------
def test_queries_are_the_ones_the_collector_sends_in_its_order(
    live: tuple[FakeArm, dict[str, Any]],  # noqa: F811 - the fixture
) -> None:
    arm, ctx = live
    doc = collector(arm).collect(Scope(subscriptions=subscriptions(ctx["rows"])))
    assert doc["failures"] == []
    sent: list[str] = []
    for request in arm.requests.matching(path_contains="Microsoft.ResourceGraph"):
        if not sent or sent[-1] != request.body["query"]:  # a query's pages: one query
            sent.append(request.body["query"])
    proc = mlops_audit("queries", "--format", "json")
    assert proc.returncode == 0
    listed = json.loads(proc.stdout)
    assert [q["query"] for q in listed] == sent
    assert [q["collection"] for q in listed] == [
        "subscriptions",
        "resources",
        "dnsresources",
        "gateways",
        "vmextensions",
        "policystates",
        "assessments",
    ]
    assert [q["table"] for q in listed] == [q.split(" ", 1)[0] for q in sent]
    for entry in listed:
        queries.check_pageable(entry["query"])  # types, projection, order by id
        assert entry["purpose"] == (
            "coverage"
            if entry["collection"] == "subscriptions"
            else "cross-reference"
            if entry["collection"] in ("policystates", "assessments")
            else "rows"
        )


def test_queries_text_has_a_heading_per_query_and_each_query_whole() -> None:
    proc = mlops_audit("queries", columns=40)
    assert proc.returncode == 0
    blocks = proc.stdout.split("\n\n")
    assert len(blocks) == len(collections.SENT_QUERIES)
    for block, (name, query) in zip(blocks, collections.SENT_QUERIES, strict=True):
        heading, text = block.rstrip("\n").split("\n")
        assert heading.startswith(f"# {name}") and text == query
    one = mlops_audit("queries", "--collection", "gateways")
    assert one.stdout == queries.GATEWAYS + "\n"
    bad = mlops_audit("queries", "--collection", "nope")
    assert (bad.returncode, bad.stdout) == (2, "") and "--collection nope" in bad.stderr


# -- the README's offline export recipe ----------------------------------------------------
FAKE_AZ = """#!{python}
# 'az graph query -q Q --first N [--skip-token T] -o json' over an estate file, as the
# Azure CLI prints it: count, data, skip_token (null on the last page), total_records
import json, sys
sys.path.insert(0, {root!r})
from tests.fake_arm import parse_query, select, table_of
args = sys.argv[1:]
assert args[:2] == ["graph", "query"], args
opts = dict(zip(args[2::2], args[3::2]))
assert opts.pop("-o") == "json" and set(opts) <= {{"-q", "--first", "--skip-token"}}, opts
with open({log!r}, "a") as log:
    log.write(json.dumps(opts) + "\\n")
q = parse_query(opts["-q"])
first = int(opts["--first"])
assert 1 <= first <= 1000 and q.take is None
with open({estate!r}) as f:
    rows = json.load(f)
rows = [{{**r, "type": r["type"].lower()}} for r in rows if table_of(r["type"]) == q.table]
rows = select(q, rows)
offset = int(opts.get("--skip-token", "page:0").split(":")[1])
page = rows[offset : offset + first]
more = offset + len(page) < len(rows)
print(json.dumps({{
    "count": len(page),
    "data": page,
    "skip_token": f"page:{{offset + len(page)}}" if more else None,
    "total_records": len(rows),
}}, indent=2))
"""


def readme_recipe() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(
        r"^\(set -eu\n.*?^mlops-audit scan --snapshot estate\.json[^\n]*\n", readme, re.S | re.M
    )
    assert found, "the README's export recipe is gone"
    return found.group()


def test_readme_recipe_names_every_collection_query() -> None:
    recipe = readme_recipe()
    (names,) = re.findall(r"for c in ([a-z ]+); do", recipe)
    assert names.split() == [n for n, _ in collections.SENT_QUERIES if n != "subscriptions"]
    assert '$(mlops-audit queries --collection "$c" --format text)' in recipe
    assert "--first 1000" in recipe and "--skip-token" in recipe and "skip_token" in recipe


@pytest.mark.skipif(shutil.which("bash") is None, reason="the recipe is a POSIX shell script")
def run_recipe(
    tmp_path: Path, work: Path, az: str = FAKE_AZ, shell: str = "bash", **more_env: str
) -> subprocess.CompletedProcess[str]:
    """The README's export recipe run by ``shell`` in ``work``, against the stand-in ``az``
    (its calls logged to tmp_path/az.jsonl) serving the reference estate and 2,300 storage
    accounts (three pages of resources), with this checkout as ``mlops-audit``."""
    rows = load_rows(FIXTURES / "reference-good.json")
    rows = [r for r in rows if r["type"].lower() not in queries.SOURCE_ONLY]
    rows += [b.storage(f"st{i:05d}") for i in range(2300)]  # resources: three pages
    (tmp_path / "estate-in.json").write_text(json.dumps(rows), encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "az.jsonl"
    log.write_text("", encoding="utf-8")
    stand_in = bin_dir / "az"
    stand_in.write_text(
        az.format(
            python=sys.executable,
            root=str(ROOT),
            log=str(log),
            estate=str(tmp_path / "estate-in.json"),
        ),
        encoding="utf-8",
    )
    tool = bin_dir / "mlops-audit"
    tool.write_text(f'#!/bin/sh\nexec {sys.executable} -m auditor "$@"\n', encoding="utf-8")
    for script in (stand_in, tool):
        script.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        **more_env,
    }
    return subprocess.run(
        [shell, "-c", readme_recipe()],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_readme_recipe_exports_every_row_past_1000_and_scans(tmp_path: Path) -> None:
    assert shutil.which("jq"), "the README's recipe needs jq (the test does too)"
    work = tmp_path / "work"
    work.mkdir()
    done = run_recipe(tmp_path, work)
    log = tmp_path / "az.jsonl"
    rows = json.loads((tmp_path / "estate-in.json").read_text(encoding="utf-8"))  # served
    # findings or none; the ARM-only collections (computes, zone groups) are not in an
    # export, which the README's --allow-partial accepts: their rules say "not evaluated"
    assert done.returncode in (0, 1), done.stderr
    assert "page boundary" not in done.stdout + done.stderr  # no page was left unread
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    resources_pages = [c for c in calls if c["-q"] == queries.RESOURCES]
    assert len(resources_pages) == 3 and all(c["--first"] == "1000" for c in calls)
    assert {c["-q"] for c in calls} == {
        q for n, q in collections.SENT_QUERIES if n != "subscriptions"
    }
    exported = json.loads((work / "estate.json").read_text(encoding="utf-8"))
    wanted = [parse_query(q) for n, q in collections.SENT_QUERIES if n != "subscriptions"]
    served = sorted(
        r["id"].lower()
        for r in rows
        if any(
            table_of(r["type"]) == q.table and r["type"].lower() in (q.types or ()) for q in wanted
        )
    )
    assert len(served) > 2300 and sorted(r["id"].lower() for r in exported) == served
    assert not list(work.glob("*.page"))  # the pages are gone once joined
