"""``mlops-audit reach``: answers, exit codes, did-you-mean, JSON shape, hostile names, and
every ``reach`` expectation in the tricky-topology suite."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import graph, inputs
from auditor.answers import reach
from auditor.cli import main

ROOT = Path(__file__).resolve().parent.parent
TOPOLOGIES = ROOT / "fixtures" / "topologies"
CASES = [
    (d.name, i, q)
    for d in sorted(TOPOLOGIES.iterdir())
    if (d / "expect.json").is_file()
    for i, q in enumerate(json.loads((d / "expect.json").read_text()).get("reach", []))
]
LB_NAT = TOPOLOGIES / "exp-lb-nat-ssh" / "estate.json"


def test_some_topologies_ask_reach() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize(("name", "index", "q"), CASES, ids=[f"{n}-{i}" for n, i, _ in CASES])
def test_topology_reach_expectations(name: str, index: int, q: dict) -> None:
    g = graph.build(inputs.load([TOPOLOGIES / name / "estate.json"]))
    got = reach.reach(g, q["from"], q["to"], q["port"])
    assert got.answer == q["answer"], got.summary
    if "rule" in q:
        assert got.rule == q["rule"], got.summary


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["reach", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_allowed_text_names_the_path_and_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--snapshot", str(LB_NAT), "--from", "Internet", "--to", "vm1",
                       "--port", "22")  # fmt: skip
    assert code == 0
    assert "allowed" in out.splitlines()[0]
    assert "pip-lb-web (20.10.0.1)" in out and "nat-ssh" in out and "TCP 50022→22" in out
    assert "deciding rule: allow-ssh (NSG nsg-app at subnet snet-app, inbound, priority 100" in out


def test_no_public_path_is_denied_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    estate = TOPOLOGIES / "exp-bastion-jumphost" / "estate.json"
    code, out, _ = run(capsys, "--snapshot", str(estate), "--from", "internet", "--to",
                       "VM-JUMP", "--port", "22/tcp")  # fmt: skip
    assert code == 0
    assert "denied: no public IP or load balancer path to vm-jump" in out


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--snapshot", str(LB_NAT), "--from", "Internet", "--to",
                       "nic-vm1", "--port", "22/tcp", "--format", "json")  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"question", "answer", "summary", "rule", "deciding", "paths", "reasons"}
    assert doc["deciding"]["nsg"].endswith("/nsg-app") and doc["deciding"]["priority"] == 100
    assert doc["question"] == {"from": "Internet", "to": "nic-vm1", "protocol": "Tcp", "port": 22}
    assert doc["answer"] == "allowed" and doc["rule"] == "allow-ssh"
    (path,) = doc["paths"]
    assert set(path) == {"route", "target", "access", "hops", "steps", "reasons"}
    assert [h["hop"] for h in path["hops"]] == ["public IP", "load balancer"]
    assert path["steps"][0]["rule"] == "allow-ssh" and path["steps"][0]["level"] == "subnet"


def test_unknown_is_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    estate = TOPOLOGIES / "exp-pip-outside" / "estate.json"
    code, out, _ = run(capsys, "--snapshot", str(estate), "--from", "Internet", "--to",
                       "pip-orphan", "--port", "22")  # fmt: skip
    assert code == 3
    assert "not in the estate" in out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--to", "vm2", "--port", "22"], "did you mean vm1"),
        (["--to", "vm1", "--port", "22/icmp"], "--port '22/icmp'"),
        (["--to", "vm1", "--port", "70000"], "--port '70000'"),
        (["--to", "pip-lb-wbe", "--port", "22"], "did you mean pip-lb-web"),
    ],
)
def test_bad_questions_are_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    code, out, err = run(capsys, "--snapshot", str(LB_NAT), "--from", "Internet", *argv)
    assert code == 2 and out == ""
    assert says in err


def test_an_ambiguous_name_asks_for_an_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = json.loads(LB_NAT.read_text())
    twin = json.loads(json.dumps(next(r for r in rows if r["name"] == "vm1")))
    twin["id"] = twin["id"].replace("rg-exp", "rg-other")
    (tmp_path / "e.json").write_text(json.dumps([*rows, twin]))
    code, _, err = run(capsys, "--snapshot", str(tmp_path / "e.json"), "--from", "Internet",
                       "--to", "vm1", "--port", "22")  # fmt: skip
    assert code == 2 and "several resources have that name" in err and "rg-other" in err


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "auditor", "reach", *argv]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)


def test_hostile_names_are_shown_not_obeyed(tmp_path: Path) -> None:
    hostile = "pip-\\u001b]0;pwned\\u0007\\u001b[31m##vso[task.setvariable variable=x]1"
    (tmp_path / "e.json").write_text(LB_NAT.read_text().replace("pip-lb-web", hostile))
    question = ("--snapshot", str(tmp_path / "e.json"), "--from", "Internet", "--to", "vm1")
    done = _cli(*question, "--port", "22")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert "[U+001B]" in done.stdout
    assert "##vso[" not in done.stdout
    done = _cli(*question, "--port", "22", "--format", "json")
    assert done.returncode == 0 and "\x1b" not in done.stdout
    assert "\x1b]0;pwned" in json.loads(done.stdout)["paths"][0]["route"]


def test_snapshot_or_live_scope_not_both_nor_neither(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--from", "Internet", "--to", "vm1", "--port", "22")
    assert code == 2 and "--snapshot" in err


def test_reach_live_reads_load_balancers_and_scale_sets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live path collects load balancers and scale sets (Resource Graph ``resources``)
    and answers as the snapshot does."""
    import os

    from .fake_arm import FakeArm, load_rows, write_stub_az
    from .update_golden import console_script

    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    for name, target, port, answer in (
        ("exp-lb-nat-ssh", "vm1", "22", "allowed"),
        ("exp-vmss-instance-pip", "vmss-train", "3389", "allowed"),
    ):
        rows = load_rows(TOPOLOGIES / name / "estate.json")
        with FakeArm(rows) as arm:
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
            sub = rows[0]["id"].split("/")[2]
            done = subprocess.run(
                [console_script(), "reach", "--auth", "cli", "--arm-endpoint", arm.url,
                 "--subscription", sub, "--from", "Internet", "--to", target, "--port", port,
                 "--format", "json"],
                capture_output=True, text=True, cwd=ROOT, env=dict(os.environ), timeout=120,
            )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["answer"] == answer


def test_a_resource_that_cannot_be_a_target_is_named_as_such(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # a VNet exists but is no target: saying "no such resource" would send the user hunting
    ref = Path(__file__).resolve().parent.parent / "fixtures" / "reference-terraform.json"
    code, _, err = run(capsys, "--snapshot", str(ref), "--from", "Internet", "--to", "vnet-aml",
                       "--port", "22")  # fmt: skip
    assert code == 2
    assert "--to vnet-aml: a vnet cannot be asked here (use one of: vm, nic, subnet" in err
    assert "no such resource" not in err
