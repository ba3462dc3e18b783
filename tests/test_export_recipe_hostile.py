"""The README's offline export recipe under a hostile or failing ``az``: a skip token full
of shell syntax is passed on as one argument, an ``az`` that fails mid-way ends the recipe
with a non-zero exit and no ``estate.json`` (never a previous run's, never part of this
one's), and pages left by an earlier failed run never join a later export."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from . import builders as b
from .conftest import ROOT
from .test_rules_and_queries import FAKE_AZ, readme_recipe
from .test_rules_and_queries import run_recipe as recipe

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("jq") is None,
    reason="the recipe is a POSIX shell script using jq",
)

# a token no shell may read as syntax: a command substitution, globs, quotes, a separator,
# a leading dash inside and a pipe; the page offset follows the last colon
HOSTILE_TOKEN = "$(touch pwned) `touch pwned2` * ? [a] ; | & ' \" \\ -x ~ page:"


def hostile_az(fail_at: int | None) -> str:
    """FAKE_AZ with the hostile token and, from call ``fail_at`` on, a failing call that
    has printed half a page first, as an interrupted ``az`` can."""
    fake = FAKE_AZ.replace(
        'int(opts.get("--skip-token", "page:0").split(":")[1])',
        'int(opts.get("--skip-token", "x:0").rsplit(":", 1)[1])',
    ).replace('f"page:{{offset + len(page)}}"', "TOKEN + str(offset + len(page))")
    assert fake != FAKE_AZ
    fail = (
        ""
        if fail_at is None
        else f"""
calls = sum(1 for _ in open({{log!r}}))
if calls >= {fail_at}:
    print('{{{{"count": 1000, "data": [')
    print("ERROR: (ConnectionResetError) connection reset by peer", file=sys.stderr)
    sys.exit(1)
"""
    )
    fake = fake.replace("q = parse_query(", fail + "q = parse_query(", 1)
    return fake.replace("import json, sys", f"import json, sys\nTOKEN = {HOSTILE_TOKEN!r}")


def run_recipe(
    tmp_path: Path, fail_at: int | None, work: Path, shell: str = "bash", **more_env: str
) -> subprocess.CompletedProcess[str]:
    return recipe(tmp_path, work, hostile_az(fail_at), shell, **more_env)


SHELLS = [s for s in ("bash", "dash") if shutil.which(s)]  # the block is POSIX sh


@pytest.mark.parametrize("shell", SHELLS)
def test_a_skip_token_full_of_shell_syntax_is_one_argument(tmp_path: Path, shell: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    done = run_recipe(tmp_path, None, work, shell)
    assert done.returncode in (0, 1), done.stderr
    sent = [json.loads(x) for x in (tmp_path / "az.jsonl").read_text().splitlines()]
    tokens = [c["--skip-token"] for c in sent if "--skip-token" in c]
    assert tokens == [HOSTILE_TOKEN + "1000", HOSTILE_TOKEN + "2000"]
    assert not list(work.glob("pwned*")) and not list(tmp_path.glob("pwned*"))
    exported = json.loads((work / "estate.json").read_text(encoding="utf-8"))
    assert sum(1 for r in exported if re.fullmatch(r"st\d{5}", r["name"])) == 2300


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("fail_at", [2, 4])  # the 2nd resources page; the gateways query
def test_an_az_failing_mid_way_leaves_no_export_to_scan(
    tmp_path: Path, fail_at: int, shell: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    stale = [b.storage("stale-from-last-week")]
    (work / "estate.json").write_text(json.dumps(stale), encoding="utf-8")
    done = run_recipe(tmp_path, fail_at, work, shell)
    assert done.returncode != 0 and done.returncode not in (0, 1), done.stdout
    assert not (work / "estate.json").exists()  # neither last week's nor half of this one
    assert "stale-from-last-week" not in done.stdout
    assert list(work.iterdir()) == []  # no pages left behind for the next run to join


def test_pages_an_earlier_failed_run_left_never_join_the_export(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    stale = {"count": 1, "data": [b.storage("stale-page-row")], "skip_token": None}
    for name in ("resources.7.page", "resources.4.page", "gateways.2.page"):
        (work / name).write_text(json.dumps(stale), encoding="utf-8")
    done = run_recipe(tmp_path, None, work)
    assert done.returncode in (0, 1), done.stderr
    exported = json.loads((work / "estate.json").read_text(encoding="utf-8"))
    assert not [r for r in exported if r["name"] == "stale-page-row"]


def test_a_job_wide_format_does_not_turn_the_queries_into_json(tmp_path: Path) -> None:
    """MLOPS_AUDIT_FORMAT=json (or 'format: json' in the repository's .mlops-audit.yaml),
    set for the scans, also set 'queries': the recipe sent a JSON list to az as the query."""
    work = tmp_path / "work"
    work.mkdir()
    (work / ".mlops-audit.yaml").write_text("format: json\n", encoding="utf-8")
    done = run_recipe(tmp_path, None, work, MLOPS_AUDIT_FORMAT="json")
    assert done.returncode in (0, 1), done.stderr
    exported = json.loads((work / "estate.json").read_text(encoding="utf-8"))
    assert sum(1 for r in exported if re.fullmatch(r"st\d{5}", r["name"])) == 2300


def powershell_recipe() -> str:
    page = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```powershell\n(.*?)```", page, re.S)
    return block


def test_the_powershell_export_reads_every_collection_the_sh_one_does() -> None:
    (sh,) = re.findall(r"for c in ([a-z ]+); do", readme_recipe())
    (ps,) = re.findall(r"foreach \(\$c in ([^)]*)\)", powershell_recipe())
    assert re.findall(r"'([a-z]+)'", ps) == sh.split()


def test_a_failed_search_ends_the_powershell_export_with_no_estate_json() -> None:
    """Search-AzGraph's errors do not stop a script by default: a failed page left $token
    null, ended the loop and wrote the rows so far as a complete estate.json. The export
    is one script block that stops on any error, after removing a previous estate.json."""
    block = powershell_recipe()
    body = re.search(r"^& \{\n(.*?)^\}\n", block, re.S | re.M)
    assert body, "the export is not one script block"
    steps = body.group(1)
    stop = steps.index("$ErrorActionPreference = 'Stop'")
    remove = steps.index("Remove-Item estate.json")
    search = steps.index("Search-AzGraph")
    write = steps.index("Set-Content -Encoding utf8 estate.json")
    assert stop < remove < search < write
    assert "$LASTEXITCODE" in steps  # a failed 'mlops-audit queries' is no empty query
    assert "mlops-audit queries --collection $c --format text" in steps
    assert block.index("mlops-audit scan") >= body.end()
