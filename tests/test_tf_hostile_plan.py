"""Hostile and careless ``terraform show -json`` plans and Terraform CLI options: each
malformed or evasive input is one clear error (exit 2) or an unread value, never a pass
and never a made-up finding."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor import cli
from auditor.files import InputError
from auditor.inputs.terraform.plan import read_plan
from auditor.unknown import UnknownValue

from .test_terraform_plan import AML, REGISTRY, _tiny, by_address, load

SUB = "11111111-1111-1111-1111-111111111111"
AZ = "registry.terraform.io/hashicorp/azurerm"
NIC = "azurerm_network_interface.n"


def read(doc: Any) -> Any:
    return read_plan(Path("p.json"), doc)


def _change(doc: dict[str, Any], address: str) -> dict[str, Any]:
    return next(c for c in doc["resource_changes"] if c["address"] == address)["change"]


# -- after_unknown / after_sensitive -----------------------------------------------------------
@pytest.mark.parametrize("mark", ["after_unknown", "after_sensitive"])
def test_a_resource_marked_unknown_or_sensitive_whole_is_not_read(mark: str) -> None:
    doc = _tiny(["azurerm_subnet.s[0].id"])
    _change(doc, NIC)[mark] = True
    config = read(doc)
    assert NIC not in by_address(config)  # its values (here: made-up ones) are not read
    assert any(g.startswith(f"{NIC}: the whole resource is") for g in config.gaps)


def test_sensitive_values_true_for_a_resource_without_a_change_is_not_read() -> None:
    doc = _tiny(["azurerm_subnet.s[0].id"])
    doc["resource_changes"] = [c for c in doc["resource_changes"] if c["address"] != NIC]
    nic = doc["planned_values"]["root_module"]["resources"][-1]
    nic["sensitive_values"] = True  # no change: the planned value's own marks are read
    config = read(doc)
    assert NIC not in by_address(config)


@pytest.mark.parametrize("marks", [[], "yes", 3])
def test_marks_of_another_type_are_a_malformed_plan(marks: Any) -> None:
    doc = _tiny(["azurerm_subnet.s[0].id"])
    _change(doc, NIC)["after_unknown"] = marks
    with pytest.raises(InputError, match=r"^p\.json: azurerm_network_interface\.n: after_unknown"):
        read(doc)


def test_marks_shaped_unlike_the_value_hide_what_they_mark() -> None:
    doc = _tiny(["azurerm_subnet.s[0].id"])
    nic = doc["planned_values"]["root_module"]["resources"][-1]["values"]
    nic["ip_configuration"] = [{"name": "ip", "subnet_id": "/x"}]
    nic["dns_servers"] = None
    nic["tags"] = "a string"
    _change(doc, NIC)["after_unknown"] = {
        # a second ip_configuration the value lacks, a list where the value is null
        "ip_configuration": [{}, {"subnet_id": True}],
        "dns_servers": [True],
        "tags": {"x": True},
    }
    _change(doc, NIC)["after_sensitive"] = {"dns_servers": [True]}
    configured = doc["configuration"]["root_module"]["resources"][-1]["expressions"]
    configured["dns_servers"] = {"references": ["var.dns"]}  # set, so not left out as computed
    res = by_address(read(doc))[NIC]
    assert res.values["ip_configuration"][0] == {"name": "ip", "subnet_id": "/x"}
    assert type(res.values["ip_configuration"][1]) is UnknownValue
    assert "known only after apply" in res.values["dns_servers"].reason  # unknown wins
    assert res.values.get("tags") != "a string"  # unknown (and then left out as computed)


# -- resource_changes against planned_values ---------------------------------------------------
def test_a_second_change_for_one_address_is_a_malformed_plan() -> None:
    doc = _tiny(["azurerm_subnet.s[0].id"])
    second = copy.deepcopy(doc["resource_changes"][-1])
    second["change"]["actions"] = ["delete"]  # would hide the NIC were the last one to win
    doc["resource_changes"].append(second)
    with pytest.raises(InputError, match=r"azurerm_network_interface\.n has a second change"):
        read(doc)


def test_a_change_without_a_planned_value_is_a_gap() -> None:
    doc = _tiny(["azurerm_subnet.s[0].id"])
    doc["planned_values"]["root_module"]["resources"].pop()  # the NIC
    config = read(doc)
    assert f"{NIC}: the plan lists a change (create) but no planned value for it; not read" in (
        config.gaps
    )
    doc["resource_changes"][-1]["change"]["actions"] = ["delete"]  # deleted: nothing missing
    assert read(doc).gaps == []


# -- configuration -----------------------------------------------------------------------------
@pytest.mark.parametrize("declared", [[], "x", 7])
def test_variables_that_are_not_an_object_are_a_malformed_plan(declared: Any) -> None:
    doc = load(AML)
    doc["configuration"]["root_module"]["variables"] = declared
    with pytest.raises(InputError, match="the variables of the root module are"):
        read(doc)


# -- the command line --------------------------------------------------------------------------
def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().err


def test_a_report_must_not_overwrite_a_terraform_file_it_reads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = tmp_path / "infra"
    shutil.copytree(REGISTRY, root)
    main_tf = (root / "main.tf").read_text(encoding="utf-8")
    plan = str(root / "public.json")
    for argv in (
        ["scan", "--terraform", str(root), "--output", f"json:{root / 'main.tf'}"],
        ["scan", "--terraform", str(root), "--output", f"sarif:{root}/./x.auto.tfvars"],
        ["scan", "--terraform-plan", plan, "--output", f"json:{root / 'main.tf'}"],
        ["baseline", "--terraform", str(root), "--output", str(root / "main.tf")],
        [
            "scan",
            "--terraform-plan",
            plan,
            "--terraform-source",
            str(root),
            "--output",
            str(root / ".terraform.lock.hcl"),
        ],
    ):
        code, err = _cli(capsys, *argv)
        assert code == 2, (argv, err)
        assert "is a Terraform file of the configuration being read" in err, argv
    assert (root / "main.tf").read_text(encoding="utf-8") == main_tf
    assert not (root / "x.auto.tfvars").exists()
    # a report beside the configuration is fine
    code, err = _cli(capsys, "scan", "--terraform", str(root), "--output", f"json:{root}/r.json")
    assert code != 2, err


@pytest.mark.parametrize("source", ["nope", "file.txt", "empty"])
def test_a_terraform_source_that_is_not_a_configuration_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, source: str
) -> None:
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    where = tmp_path / source
    code, err = _cli(capsys, "scan", "--terraform-plan", str(AML), "--terraform-source", str(where))
    assert code == 2, err
    assert err.startswith(f"mlops-audit: {where}: ") and "(--terraform-source)" in err
    assert len(err.strip().splitlines()) == 1


def test_a_var_the_root_module_does_not_declare_is_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = _cli(capsys, "scan", "--terraform", str(REGISTRY), "--var", "pubilc=false")
    assert code == 2
    assert f"{REGISTRY}: --var pubilc: the root module declares no variable 'pubilc'" in err


# -- the provider version ----------------------------------------------------------------------
def _storage_plan(constraint: str | None = None) -> dict[str, Any]:
    """A new storage account that leaves its public settings to the provider's defaults."""
    values = {"name": "stx", "resource_group_name": "rg", "location": "westeurope"}
    address = "azurerm_storage_account.s"
    kind = {"mode": "managed", "type": "azurerm_storage_account", "name": "s"}
    provider: dict[str, Any] = {"name": "azurerm", "full_name": AZ}
    if constraint is not None:
        provider["version_constraint"] = constraint
    return {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [{"address": address, **kind, "provider_name": AZ, "values": values}]
            }
        },
        "resource_changes": [
            {"address": address, **kind, "change": {"actions": ["create"], "after_unknown": {}}}
        ],
        "configuration": {"provider_config": {"azurerm": provider}, "root_module": {}},
    }


def _scan_json(capsys: pytest.CaptureFixture[str], plan: Path, *argv: str) -> dict[str, Any]:
    cli.main(["scan", "--terraform-plan", str(plan), "--format", "json", *argv])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("constraint", "lock", "majors"),
    [(">= 6.0", None, [6]), ("~> 3.0", "6.1.0", [6]), (None, "6.1.0", [6])],
)
def test_a_provider_major_whose_defaults_are_not_known_leaves_defaults_unknown(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    constraint: str | None,
    lock: str | None,
    majors: list[int],
) -> None:
    (tmp_path / "main.tf").write_text('resource "azurerm_storage_account" "s" {\n}\n', "utf-8")
    if lock is not None:
        (tmp_path / ".terraform.lock.hcl").write_text(
            f'provider "registry.terraform.io/hashicorp/azurerm" {{\n  version = "{lock}"\n}}\n',
            encoding="utf-8",
        )
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_storage_plan(constraint)), encoding="utf-8")
    report = _scan_json(capsys, plan, "--select", "MLA-STG-001,MLA-STG-003")
    assert report["inputs"][0]["terraform"]["azurerm_majors"] == majors
    assert report["findings"] == []  # neither a made-up finding nor a pass
    reasons = {n["rule_id"]: " ".join(n["reasons"]) for n in report["not_evaluated"]}
    assert sorted(reasons) == ["MLA-STG-001", "MLA-STG-003"]
    assert all("defaults this tool does not know" in r for r in reasons.values()), reasons


def test_a_5x_constraint_reads_5x_defaults(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_storage_plan("~> 5.0")), encoding="utf-8")
    report = _scan_json(capsys, plan, "--select", "MLA-STG-001,MLA-STG-003")
    assert report["inputs"][0]["terraform"]["azurerm_majors"] == [5]
    # 5.x: public network access on by default, anonymous blob access off
    assert [f["rule_id"] for f in report["findings"]] == ["MLA-STG-001"]
    assert report["not_evaluated"] == []


def test_under_an_unknown_major_what_the_configuration_sets_still_holds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = _storage_plan(">= 6.0")
    ws = {
        "address": "azurerm_machine_learning_workspace.w",
        "mode": "managed",
        "type": "azurerm_machine_learning_workspace",
        "name": "w",
        "provider_name": AZ,
        "values": {
            "name": "mlw",
            "resource_group_name": "rg",
            "location": "westeurope",
            "public_network_access_enabled": True,
        },
    }
    doc["planned_values"]["root_module"]["resources"] = [ws]
    doc["resource_changes"] = []
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(doc), encoding="utf-8")
    report = _scan_json(capsys, plan, "--select", "MLA-AML-001")
    assert [f["rule_id"] for f in report["findings"]] == ["MLA-AML-001"], report["not_evaluated"]
    ws["values"]["public_network_access_enabled"] = None  # left to the provider's default
    plan.write_text(json.dumps(doc), encoding="utf-8")
    report = _scan_json(capsys, plan, "--select", "MLA-AML-001")
    assert report["findings"] == []
    assert [n["rule_id"] for n in report["not_evaluated"]] == ["MLA-AML-001"]


# -- equivalent spellings ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "found", "unknown"),
    [
        (False, [], []),
        ("false", [], []),  # Terraform converts the string to the bool
        (True, ["MLA-STG-001"], []),
        ("true", ["MLA-STG-001"], []),
        ("no", [], ["MLA-STG-001"]),  # not a bool Terraform accepts: neither pass nor finding
    ],
)
def test_a_bool_spelled_as_a_string_is_the_bool(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    value: Any,
    found: list[str],
    unknown: list[str],
) -> None:
    doc = _storage_plan("~> 3.0")
    doc["planned_values"]["root_module"]["resources"][0]["values"][
        "public_network_access_enabled"
    ] = value
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(doc), encoding="utf-8")
    report = _scan_json(capsys, plan, "--select", "MLA-STG-001")
    assert [f["rule_id"] for f in report["findings"]] == found
    assert [n["rule_id"] for n in report["not_evaluated"]] == unknown


def test_a_plan_that_is_not_a_plan_file_says_a_plan_was_expected(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "blank.json").write_text("\n", encoding="utf-8")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    for name, problem in [
        ("empty", "is a directory, expected a Terraform plan JSON file"),
        ("blank.json", "file is empty, expected Terraform plan JSON"),
        ("deep.json", "invalid JSON: nested too deeply to be Terraform plan JSON"),
    ]:
        code, err = _cli(capsys, "scan", "--terraform-plan", str(tmp_path / name))
        assert code == 2
        assert err == f"mlops-audit: {tmp_path / name}: {problem}\n"


# -- the configuration beside a plan -----------------------------------------------------------
def test_the_line_scan_is_linear_on_unterminated_comments() -> None:
    import time

    from auditor.inputs.terraform.plan import _blocks

    text = 'resource "azurerm_subnet" "s" {\n  name = "x"\n}\n' + ("/*" + " " * 100) * 5000
    start = time.monotonic()
    ((kind, labels, line, lines),) = list(_blocks(text))  # was ~9 s: quadratic
    assert time.monotonic() - start < 1.0
    assert (kind, labels, line, lines) == ("resource", ("azurerm_subnet", "s"), 1, {"name": 2})


@pytest.mark.parametrize("fifo", [".terraform.lock.hcl", ".terraform/modules/modules.json", "x.tf"])
def test_a_fifo_beside_the_plan_does_not_block_the_scan(tmp_path: Path, fifo: str) -> None:
    import os
    import threading

    shutil.copytree(AML.parent, tmp_path / "src")
    where = tmp_path / "src" / fifo
    where.parent.mkdir(parents=True, exist_ok=True)
    where.unlink(missing_ok=True)
    os.mkfifo(where)
    done: list[Any] = []
    worker = threading.Thread(
        target=lambda: done.append(read_plan(AML, load(AML), tmp_path / "src")), daemon=True
    )
    worker.start()
    worker.join(20)
    if not done:  # unblock the reader so the test run can end
        fd = os.open(where, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
    assert done, f"reading the plan blocked on {fifo}"
    assert done[0].provider.source == "required_providers '~> 3.0'"


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("missing", "no such file"),
        ("dir", "is a directory"),
        ("fifo", "is not a regular file"),
    ],
)
def test_a_var_file_that_is_not_a_file_says_what_it_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str, problem: str
) -> None:
    import os

    where = tmp_path / "x.tfvars"
    if kind == "dir":
        where.mkdir()
    elif kind == "fifo":
        os.mkfifo(where)
    code, err = _cli(capsys, "scan", "--terraform", str(REGISTRY), "--var-file", str(where))
    assert code == 2
    assert err == f"mlops-audit: {where}: {problem} (--var-file), expected a .tfvars file\n"


def test_a_value_sensitive_in_the_planned_values_is_not_read_whatever_the_change_says() -> None:
    doc = _tiny(["azurerm_subnet.s[0].id"])
    nic = doc["planned_values"]["root_module"]["resources"][-1]
    nic["values"]["internal_dns_name_label"] = "s3cr3t"
    nic["sensitive_values"] = {"internal_dns_name_label": True}
    _change(doc, NIC)["after_sensitive"] = {}  # disagrees: the secret must still not be read
    configured = doc["configuration"]["root_module"]["resources"][-1]["expressions"]
    configured["internal_dns_name_label"] = {"references": ["var.label"]}
    value = by_address(read(doc))[NIC].values["internal_dns_name_label"]
    assert type(value) is UnknownValue and "sensitive" in value.reason


@pytest.mark.parametrize("flag", ["true", 1, []])
def test_a_variables_sensitive_flag_that_is_not_a_boolean_is_a_malformed_plan(flag: Any) -> None:
    doc = load(AML)
    doc["configuration"]["root_module"]["variables"]["token"] = {"sensitive": flag}
    with pytest.raises(InputError, match="variable token in the root module: 'sensitive' is"):
        read(doc)


def _module_plan(module: str) -> dict[str, Any]:
    doc = _tiny(["azurerm_subnet.s[0].id"])
    subnets = doc["planned_values"]["root_module"]["resources"][:2]
    for s in subnets:
        s["address"] = f"{module}.{s['address']}"
    doc["planned_values"]["root_module"]["resources"][:2] = []
    doc["planned_values"]["root_module"]["child_modules"] = [
        {"address": module, "resources": subnets}
    ]
    doc["resource_changes"] = [c for c in doc["resource_changes"] if c["address"] == NIC]
    return doc


@pytest.mark.parametrize("module", ["module.x y", "net", 'module.a["b"]junk', "module."])
def test_a_module_address_that_is_not_one_is_a_malformed_plan(module: str) -> None:
    with pytest.raises(InputError, match="is not a module address"):
        read(_module_plan(module))


@pytest.mark.parametrize("module", ["module.réseau", 'module.a["x\\"]/[0]"].module.b'])
def test_a_module_address_in_any_spelling_terraform_writes_is_read(module: str) -> None:
    res = by_address(read(_module_plan(module)))
    assert res[f"{module}.azurerm_subnet.s[0]"].module == module


def _nsg_plan() -> dict[str, Any]:
    """A new NSG whose rules come from a dynamic block over a collection known only after
    apply: the whole security_rule list is unknown, and the plan's configuration section
    (which leaves dynamic blocks out) does not say the configuration sets it."""
    address = "azurerm_network_security_group.n"
    kind = {"mode": "managed", "type": "azurerm_network_security_group", "name": "n"}
    values = {"name": "nsg", "resource_group_name": "rg", "location": "westeurope"}
    return {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [{"address": address, **kind, "provider_name": AZ, "values": values}]
            }
        },
        "resource_changes": [
            {
                "address": address,
                **kind,
                "change": {"actions": ["create"], "after_unknown": {"security_rule": True}},
            }
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    {"address": address, **kind, "expressions": {"name": {"constant_value": "nsg"}}}
                ]
            }
        },
    }


def test_a_dynamic_block_known_only_after_apply_stays_unknown(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "azurerm_network_security_group" "n" {\n'
        '  name = "nsg"\n'
        '  dynamic "security_rule" {\n'
        "    for_each = var.rules\n"
        "    content {\n"
        "      name = security_rule.key\n"
        "    }\n"
        "  }\n"
        "}\n",
        encoding="utf-8",
    )
    nsg = by_address(read_plan(tmp_path / "plan.json", _nsg_plan()))[
        "azurerm_network_security_group.n"
    ]
    assert type(nsg.values["security_rule"]) is UnknownValue  # not "no inline rules"
    assert nsg.line_of("security_rule") == 3
    # without the .tf files nothing says the configuration sets it: left to the provider
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    nsg = by_address(read_plan(elsewhere / "plan.json", _nsg_plan()))[
        "azurerm_network_security_group.n"
    ]
    assert "security_rule" not in nsg.values


@pytest.mark.parametrize(
    ("flag", "value"), [("errored", "true"), ("complete", "false"), ("complete", 0)]
)
def test_the_plans_own_flags_of_another_type_are_a_malformed_plan(flag: str, value: Any) -> None:
    doc = load(AML) | {flag: value}
    with pytest.raises(InputError, match=f"'{flag}' is a"):
        read(doc)
    assert read(load(AML) | {"errored": True}).gaps[0].startswith("the plan errored")
