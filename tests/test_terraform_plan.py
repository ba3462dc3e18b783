"""``terraform show -json`` plans: the reader (values, unknowns, sensitive values, references
become ids, provider version, variables, file and line) at the TfConfig level, and the
wiring end to end — ``scan --terraform-plan`` / ``--terraform``, their options and exit
codes. The azurerm mappers are tested on their own; the end-to-end tests register one
small mapper of their own so they do not depend on what the mapping covers."""

from __future__ import annotations

import copy
import gc
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor import cli, inputs
from auditor.files import InputError
from auditor.inputs import terraform_input
from auditor.inputs.terraform import azurerm
from auditor.inputs.terraform.azurerm.ids import synthesize_id
from auditor.inputs.terraform.plan import _blocks, admits, read_plan
from auditor.inputs.terraform.resources import TfConfig, TfResource
from auditor.unknown import UnknownValue

from .conftest import FIXTURES

PLANS = FIXTURES / "terraform" / "plans"
AML = PLANS / "aml" / "plan.json"
REGISTRY = PLANS / "registry"
SUB = "11111111-1111-1111-1111-111111111111"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-mlops"
SECRET = "s3cr3t-pat-value"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read(path: Path = AML, doc: Any = None, source: Path | None = None) -> TfConfig:
    return read_plan(path, load(path) if doc is None else doc, source)


def by_address(config: TfConfig) -> dict[str, TfResource]:
    return {r.address: r for r in config.resources}


def header_line(file: Path, header: str) -> int:
    lines = file.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(header))


# -- what the plan holds -----------------------------------------------------------------------
def test_instances_after_apply_with_modules_indexes_and_data_sources() -> None:
    res = by_address(read())
    assert sorted(res) == [
        "azurerm_machine_learning_compute_cluster.train[0]",
        "azurerm_machine_learning_compute_cluster.train[1]",
        "azurerm_machine_learning_workspace.aml",
        "azurerm_network_security_group.aml",
        "azurerm_private_endpoint.ws",
        "azurerm_resource_group.rg",
        "azurerm_virtual_machine_extension.agent",  # replaced: still there after apply
        "azurerm_virtual_network.aml",
        "data.azurerm_client_config.current",  # read while planning: from prior_state
        'module.net.azurerm_subnet.this["scoring"]',
        'module.net.azurerm_subnet.this["training"]',
        'module.net.azurerm_subnet_network_security_group_association.this["scoring"]',
        'module.net.azurerm_subnet_network_security_group_association.this["training"]',
    ]  # azurerm_storage_account.old is deleted by the plan: not in the result
    subnet = res['module.net.azurerm_subnet.this["training"]']
    assert (subnet.module, subnet.index, subnet.type, subnet.name) == (
        "module.net",
        "training",
        "azurerm_subnet",
        "this",
    )
    assert res["azurerm_machine_learning_compute_cluster.train[1]"].index == 1
    data = res["data.azurerm_client_config.current"]
    assert (data.mode, data.values["tenant_id"]) == ("data", "44444444-4444-4444-4444-444444444444")
    assert {r.mode for a, r in res.items() if not a.startswith("data.")} == {"managed"}
    assert res["azurerm_resource_group.rg"].values["id"] == RG  # an existing id is kept


def test_values_known_only_after_apply_are_unknown_where_the_plan_says() -> None:
    res = by_address(read())
    ws = res["azurerm_machine_learning_workspace.aml"]
    # set in the configuration from a value known only after apply (a module output built
    # by a for expression, which is not followed): unknown, saying where
    cluster = res["azurerm_machine_learning_compute_cluster.train[0]"]
    assert cluster.values["subnet_resource_id"] == UnknownValue(
        "azurerm_machine_learning_compute_cluster.train[0].subnet_resource_id is known only"
        " after apply"
    )
    # not set, computed by the provider at apply: left out, as the HCL reader leaves it out
    # (a new VNet's subnets and DNS servers are those its configuration gives it)
    assert "id" not in ws.values and "discovery_url" not in ws.values
    vnet = res["azurerm_virtual_network.aml"]
    assert not {"id", "guid", "subnet", "dns_servers"} & set(vnet.values)
    assert "ssh_public_access_enabled" not in cluster.values
    # nested: a block's attribute, and an element of a list
    principal = ws.get("identity.0.principal_id")
    assert type(principal) is UnknownValue
    assert "identity.0.principal_id" in principal.reason
    assert ws.get("identity.0.type") == "SystemAssigned"  # known parts stay
    pe = res["azurerm_private_endpoint.ws"]
    ip = pe.get("private_service_connection.0.private_ip_address")
    assert type(ip) is UnknownValue and ip.reason.startswith("azurerm_private_endpoint.ws.")
    assert ws.values["public_network_access_enabled"] is False


def test_references_to_one_resource_become_its_synthesized_id() -> None:
    res = by_address(read())
    ws_id = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-mlops"
    nsg_id = f"{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-aml"
    subnet = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet-mlops/subnets/snet-"
    # a direct reference, and one inside a nested block
    cluster = res["azurerm_machine_learning_compute_cluster.train[0]"]
    assert cluster.values["machine_learning_workspace_id"] == ws_id
    pe = res["azurerm_private_endpoint.ws"]
    assert pe.get("private_service_connection.0.private_connection_resource_id") == ws_id
    # through a module output (a literal for_each key) and through a module variable
    assert pe.values["subnet_id"] == subnet + "scoring"
    for key in ("scoring", "training"):
        assoc = res[f'module.net.azurerm_subnet_network_security_group_association.this["{key}"]']
        assert assoc.values["network_security_group_id"] == nsg_id
        # azurerm_subnet.this[each.key].id: the instance with the association's own key
        assert assoc.values["subnet_id"] == subnet + key
    # the id of a child resource is built on its filled parent id: the graph can link them
    assert synthesize_id(cluster) == f"{ws_id}/computes/cc-train-0"
    assert pe.references["subnet_id"] == ["module.net.scoring_subnet_id", "module.net"]
    assert pe.references["private_service_connection.0.private_connection_resource_id"] == [
        "azurerm_machine_learning_workspace.aml.id",
        "azurerm_machine_learning_workspace.aml",
    ]


def test_sensitive_values_are_never_read_but_their_references_are() -> None:
    config = read()
    ext = by_address(config)["azurerm_virtual_machine_extension.agent"]
    settings = ext.values["settings"]
    assert type(settings) is UnknownValue and "sensitive" in settings.reason
    assert ext.references["settings"] == ["var.ado_pat"]
    assert SECRET not in repr([r.values for r in config.resources])
    pat = next(v for v in config.variables if v["name"] == "ado_pat")
    assert pat["sensitive"] is True and pat["has_default"] is False


def test_provider_version_subscription_and_variables() -> None:
    config = read()
    assert (config.provider.majors, config.provider.source) == (
        (3,),
        "required_providers '~> 3.0'",
    )
    assert {r.provider_subscription for r in config.resources} == {SUB}
    assert {r.provider for r in config.resources} == {"azurerm"}
    location = next(v for v in config.variables if v["name"] == "location")
    assert location == {
        "module": "",
        "name": "location",
        "default": "westeurope",
        "has_default": True,
        "sensitive": False,
        "type": None,
        "file": str(PLANS / "aml" / "variables.tf"),
        "line": 1,
    }
    assert {(v["module"], v["name"]) for v in config.variables} >= {
        ("module.net", "nsg_id"),
        ("module.net", "subnets"),
    }
    assert config.gaps == [] and config.root == str(AML)


def test_file_and_line_come_from_the_configuration_beside_the_plan(tmp_path: Path) -> None:
    res = by_address(read())
    main, net = PLANS / "aml" / "main.tf", PLANS / "aml" / "modules" / "net" / "main.tf"
    ws = res["azurerm_machine_learning_workspace.aml"]
    assert (ws.file, ws.line) == (
        str(main),
        header_line(main, 'resource "azurerm_machine_learning_workspace" "aml"'),
    )
    subnet = res['module.net.azurerm_subnet.this["scoring"]']
    assert (subnet.file, subnet.line) == (
        str(net),
        header_line(net, 'resource "azurerm_subnet" "this"'),
    )
    data = res["data.azurerm_client_config.current"]
    assert (data.file, data.line) == (str(main), header_line(main, 'data "azurerm_client_config"'))
    # each argument's line, nested blocks by index as in values
    assert ws.lines["public_network_access_enabled"] == header_line(
        main, "  public_network_access_enabled"
    )
    pe = res["azurerm_private_endpoint.ws"]
    assert pe.line_of("private_service_connection.0.private_connection_resource_id") == (
        header_line(main, "    private_connection_resource_id")
    )
    assert subnet.lines["address_prefixes"] == header_line(net, "  address_prefixes")
    # a plan alone: no file, no line (findings carry the address only) …
    alone = tmp_path / "plan.json"
    shutil.copy(AML, alone)
    assert {(r.file, r.line) for r in read(alone).resources} == {(None, None)}
    assert all(r.lines == {} for r in read(alone).resources)
    # … unless the configuration is named
    named = by_address(read(alone, source=PLANS / "aml"))
    assert named["azurerm_machine_learning_workspace.aml"].line == ws.line


def test_the_line_scan_reads_hcl_lexically_not_by_pattern() -> None:
    text = (
        '# resource "x" "commented" {\n'  # 1
        'resource "azurerm_storage_account" "st" { # {\n'  # 2
        '  name = "st{" // }\n'  # 3
        '  identity { type = "SystemAssigned" }\n'  # 4
        "  custom = <<EOT\n"  # 5
        "  public_network_access_enabled = {\n"  # 6: inside the heredoc
        "EOT\n"  # 7
        "  tags = {\n"  # 8
        '    public_network_access_enabled = "x"\n'  # 9: an object's key, not an argument
        "  }\n"  # 10
        "  network_rules {\n"  # 11
        '    default_action = "Deny"\n'  # 12
        "  }\n"  # 13
        '  dynamic "ip" {\n'  # 14
        "    content { value = 1 }\n"  # 15
        "  }\n"  # 16
        "  public_network_access_enabled = [\n"  # 17
        "    1,\n"  # 18
        "  ]\n"  # 19
        "}\n"  # 20
        '/* resource "x" "y" { */\n'  # 21
        'variable "v" {}\n'  # 22
    )
    blocks = list(_blocks(text))
    assert [(k, labels, line) for k, labels, line, _ in blocks] == [
        (
            "resource",
            ("azurerm_storage_account", "st"),
            2,
        ),
        ("variable", ("v",), 22),
    ]
    assert blocks[0][3] == {
        "name": 3,
        "identity": 4,
        "identity.0": 4,
        "identity.0.type": 4,
        "custom": 5,
        "tags": 8,
        "network_rules": 11,
        "network_rules.0": 11,
        "network_rules.0.default_action": 12,
        "ip": 14,  # a dynamic block sets ip (its content has no lines)
        "public_network_access_enabled": 17,
    }


def test_the_lock_file_pins_the_major(tmp_path: Path) -> None:
    shutil.copytree(REGISTRY, tmp_path / "registry")
    plan = tmp_path / "registry" / "public.json"
    assert read(plan).provider.majors == (3, 4)  # ">= 3.50.0, < 5.0.0"
    (tmp_path / "registry" / ".terraform.lock.hcl").write_text(
        '# This file is maintained automatically by "terraform init".\n'
        'provider "registry.terraform.io/hashicorp/azurerm" {\n'
        '  version     = "4.14.0"\n'
        '  constraints = ">= 3.50.0, < 5.0.0"\n'
        '  hashes = [\n    "h1:abc=",\n  ]\n}\n',
        encoding="utf-8",
    )
    assert read(plan).provider.majors == (4,)
    assert read(plan).provider.source == "lock file 4.14.0"


@pytest.mark.parametrize(
    ("constraint", "majors"),
    [
        ("~> 3.0", (3,)),
        ("~> 3.117.0", (3,)),
        ("~> 2.99", (2,)),
        (">= 3.0.0, < 4.0.0", (3,)),
        (">= 3.50.0, < 5.0.0", (3, 4)),
        (">= 2.0", (2, 3, 4)),
        ("< 3.0", (2,)),
        ("<= 3.0.0", (2, 3)),
        ("> 3.99", (3, 4)),
        ("= 4.1.0", (4,)),
        ("4.1.0", (4,)),
        ("!= 3.5.0", (2, 3, 4)),
        ("~> 3", (3, 4)),  # one part: read widely, never narrower than Terraform
        ("3.0.0-beta1", (3,)),
        ("whatever", (2, 3, 4)),  # not a constraint: nothing excluded
    ],
)
def test_version_constraints_admit_majors(constraint: str, majors: tuple[int, ...]) -> None:
    assert tuple(m for m in (2, 3, 4) if admits(constraint, m)) == majors


# -- references that cannot be told stay unknown -----------------------------------------------
def _tiny(refs: list[str], *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A plan with two subnets (count) and a NIC whose subnet_id is unknown."""
    az = "registry.terraform.io/hashicorp/azurerm"
    subnets = [
        {
            "address": f"azurerm_subnet.s[{i}]",
            "mode": "managed",
            "type": "azurerm_subnet",
            "name": "s",
            "index": i,
            "provider_name": az,
            "values": {
                "name": f"snet-{i}",
                "resource_group_name": "rg",
                "virtual_network_name": "vnet",
            },
        }
        for i in (0, 1)
    ]
    nic = {
        "address": "azurerm_network_interface.n",
        "mode": "managed",
        "type": "azurerm_network_interface",
        "name": "n",
        "provider_name": az,
        "values": {"name": "nic", "ip_configuration": [{"name": "ip"}]},
    }
    changes = [
        {
            "address": r["address"],
            "mode": "managed",
            "type": r["type"],
            "name": r["name"],
            "change": {
                "actions": ["create"],
                "after": r["values"],
                "after_unknown": {"id": True, "ip_configuration": [{"subnet_id": True}]}
                if r is nic
                else {"id": True},
            },
        }
        for r in [*subnets, nic]
    ]
    resources = [
        {"address": "azurerm_subnet.s", "mode": "managed", "type": "azurerm_subnet", "name": "s"},
        {
            "address": "azurerm_network_interface.n",
            "mode": "managed",
            "type": "azurerm_network_interface",
            "name": "n",
            "expressions": {"ip_configuration": [{"subnet_id": {"references": refs}}]},
        },
    ]
    doc = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [*subnets, nic]}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": resources}},
    }
    return doc | (extra or {})


@pytest.mark.parametrize(
    ("refs", "filled"),
    [
        (["azurerm_subnet.s[1].id", "azurerm_subnet.s[1]", "azurerm_subnet.s"], "snet-1"),
        # the same subnet twice is one reference
        (["azurerm_subnet.s[0].id", "azurerm_subnet.s[0]", "azurerm_subnet.s[0].id"], "snet-0"),
        # which subnet depends on a variable: not told
        (["var.i", "azurerm_subnet.s"], None),
        # two subnets (coalesce, a conditional): not told
        (["azurerm_subnet.s[0].id", "azurerm_subnet.s[1].id"], None),
        (["azurerm_subnet.s[0].id", "var.subnet_id"], None),
        # a local (not in the plan's configuration), a splat, each.value
        (["local.subnet_id"], None),
        (["azurerm_subnet.s"], None),
        (["each.value.id", "each.value"], None),
        # the referrer has no index of its own: count.index cannot pick one
        (["azurerm_subnet.s", "count.index"], None),
        ([], None),
    ],
)
def test_an_unknown_is_filled_only_from_exactly_one_instance(
    refs: list[str], filled: str | None
) -> None:
    nic = by_address(read(Path("plan.json"), _tiny(refs)))["azurerm_network_interface.n"]
    value = nic.get("ip_configuration.0.subnet_id")
    if filled is None:
        assert type(value) is UnknownValue
    else:
        assert value == (
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
            f"Microsoft.Network/virtualNetworks/vnet/subnets/{filled}"
        )


def test_references_that_go_round_in_a_circle_stay_unknown() -> None:
    doc = _tiny(["azurerm_subnet.s[0].id"])
    # subnet 0's name is unknown and taken from the NIC's subnet_id: a cycle
    sub0 = doc["planned_values"]["root_module"]["resources"][0]
    del sub0["values"]["virtual_network_name"]
    doc["resource_changes"][0]["change"]["after_unknown"]["virtual_network_name"] = True
    doc["configuration"]["root_module"]["resources"][0]["expressions"] = {
        "virtual_network_name": {"references": ["azurerm_network_interface.n.id"]}
    }
    nic = by_address(read(Path("plan.json"), doc))["azurerm_network_interface.n"]
    got = nic.get("ip_configuration.0.subnet_id")
    # either unknown or an id that says which part was unknown: never a guessed name
    assert type(got) is UnknownValue or "{azurerm_subnet.s[0] virtual_network_name}" in got


def test_a_module_instance_passes_its_own_key() -> None:
    """module "spoke" { count = 2; subnet_id = azurerm_subnet.s[count.index].id }"""
    doc = _tiny([])
    nic = doc["planned_values"]["root_module"]["resources"].pop()
    nic_change = doc["resource_changes"].pop()
    modules = []
    for i in (0, 1):
        inst = copy.deepcopy(nic)
        inst["address"] = f"module.spoke[{i}].azurerm_network_interface.n"
        modules.append({"address": f"module.spoke[{i}]", "resources": [inst]})
        change = copy.deepcopy(nic_change)
        change["address"] = inst["address"]
        doc["resource_changes"].append(change)
    doc["planned_values"]["root_module"]["child_modules"] = modules
    nic_config = doc["configuration"]["root_module"]["resources"].pop()
    nic_config["expressions"] = {
        "ip_configuration": [{"subnet_id": {"references": ["var.subnet_id"]}}]
    }
    doc["configuration"]["root_module"]["module_calls"] = {
        "spoke": {
            "source": "./spoke",
            "count_expression": {"constant_value": 2},
            "expressions": {"subnet_id": {"references": ["azurerm_subnet.s", "count.index"]}},
            "module": {"resources": [nic_config], "variables": {"subnet_id": {}}},
        }
    }
    res = by_address(read(Path("plan.json"), doc))
    for i in (0, 1):
        got = res[f"module.spoke[{i}].azurerm_network_interface.n"].get(
            "ip_configuration.0.subnet_id"
        )
        assert isinstance(got, str) and got.endswith(f"/subnets/snet-{i}")


# -- malformed plans ---------------------------------------------------------------------------
def _mutate(change: str) -> Any:
    doc = load(AML)
    if change == "version":
        doc["format_version"] = "2.0"
    elif change == "version-type":
        doc["format_version"] = 1.2
    elif change == "state":
        doc = {"format_version": "1.0", "terraform_version": "1.9.8", "values": {}}
    elif change == "planned":
        doc["planned_values"] = []
    elif change == "resources":
        doc["planned_values"]["root_module"]["resources"] = {"a": 1}
    elif change == "address":
        del doc["planned_values"]["root_module"]["resources"][0]["address"]
    elif change == "mode":
        doc["planned_values"]["root_module"]["resources"][0]["mode"] = "other"
    elif change == "values":
        doc["planned_values"]["root_module"]["resources"][0]["values"] = [1]
    elif change == "actions":
        doc["resource_changes"][0]["change"]["actions"] = "create"
    elif change == "child":
        doc["planned_values"]["root_module"]["child_modules"] = [7]
    elif change == "twice":
        resources = doc["planned_values"]["root_module"]["resources"]
        resources.append(resources[0])
    elif change == "configuration":
        doc["configuration"]["root_module"]["module_calls"]["net"] = "x"
    elif change == "index":
        doc["planned_values"]["root_module"]["resources"][0]["index"] = [0]
    return doc


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("version", "plan format_version '2.0' is not supported"),
        ("version-type", "'format_version' is a number"),
        ("state", "not of a state"),
        ("planned", "'planned_values' is an array, expected an object"),
        ("resources", "planned_values.root_module.resources is an object, expected an array"),
        ("address", "planned_values.root_module.resources[0].address is null"),
        ("mode", "has mode 'other', expected managed or data"),
        ("values", "planned_values.root_module.resources[0].values is an array"),
        ("actions", "resource_changes[0].change.actions is a string, expected an array"),
        ("child", "planned_values.root_module.child_modules[0] is a number"),
        ("twice", "appears twice"),
        ("configuration", "configuration.root_module.module_calls.net is a string"),
        ("index", "has an index that is an array"),
    ],
)
def test_a_malformed_plan_is_one_line_naming_the_file(change: str, problem: str) -> None:
    with pytest.raises(InputError) as err:
        inputs.add_document("plans/x.json", _mutate(change), inputs.Estate())
    assert str(err.value).startswith("plans/x.json: ")
    assert problem in str(err.value)
    assert "\n" not in str(err.value)


# -- the input format and the CLI --------------------------------------------------------------
def _registry(r: TfResource, ctx: azurerm.MapContext) -> None:
    """A test mapper: the registry row MLA-ACR-001 reads (the real one is paas.py's)."""
    enabled = ctx.value(r, "public_network_access_enabled")
    access = enabled if type(enabled) is UnknownValue else "Enabled" if enabled else "Disabled"
    row = {
        "id": ctx.id_of(r),
        "name": r.get("name"),
        "type": "microsoft.containerregistry/registries",
        "location": r.get("location"),
        "resourceGroup": r.get("resource_group_name"),
        "subscriptionId": ctx.subscription(r),
        "sku": {"name": r.get("sku")},
        "properties": {"publicNetworkAccess": access},
    }
    ctx.add_row(r, row, lines={"properties.publicNetworkAccess": "public_network_access_enabled"})


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    azurerm._load_mappers()  # the real ones first: a test mapper replaces one, never clashes
    monkeypatch.setitem(
        azurerm.MAPPERS,
        "azurerm_container_registry",
        azurerm.Mapper("azurerm_container_registry", 1, _registry),
    )
    monkeypatch.delitem(azurerm.MAPPERS, "azurerm_resource_group", raising=False)
    yield
    gc.enable()  # the CLI disables the cyclic collector for its one scan


def scan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any] | str, str]:
    code = cli.main(["scan", *argv])
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except ValueError:
        return code, out, err


SNAPSHOT = {"format": "mlops-audit-snapshot", "version": 1, "rows": []}
ACR = ["--select", "MLA-ACR-001", "--format", "json"]


@pytest.mark.usefixtures("mapped")
def test_scan_a_plan_exit_1_on_a_finding_named_by_address_with_file_and_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report, _ = scan(capsys, "--terraform-plan", str(REGISTRY / "public.json"), *ACR)
    assert code == 1 and isinstance(report, dict)
    (finding,) = report["findings"]
    assert finding["rule_id"] == "MLA-ACR-001"
    assert finding["resource_id"] == "azurerm_container_registry.acr"
    main = REGISTRY / "main.tf"
    line = header_line(main, "  public_network_access_enabled")  # the argument's line
    assert finding["location"] == {"file": str(main), "line": line}
    (source,) = report["inputs"]
    # the registry and the configuration's one variable (var.public), a row of its own
    assert source["format"] == "terraform-plan" and source["rows"] == 2
    assert source["terraform"]["provider"] == "required_providers '>= 3.50.0, < 5.0.0'"
    assert source["terraform"]["azurerm_majors"] == [3, 4]
    assert source["terraform"]["terraform_version"] == "1.9.8"
    assert source["terraform"]["not_modelled"] == {"azurerm_resource_group": 1}
    assert "dnsresources" not in source["collections"]
    assert {
        "path": str(REGISTRY / "public.json"),
        "note": ("1 azurerm_resource_group resource is not modelled"),
    } in report["coverage"]["notes"]


@pytest.mark.usefixtures("mapped")
def test_scan_a_plan_exit_0_when_it_passes_and_3_when_a_value_is_unknown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report, _ = scan(capsys, "--terraform-plan", str(REGISTRY / "private.json"), *ACR)
    assert code == 0 and isinstance(report, dict) and report["findings"] == []
    code, report, err = scan(capsys, "--terraform-plan", str(REGISTRY / "unknown.json"), *ACR)
    # known only after apply: not evaluated, never a pass — the gate stops (exit 3)
    assert code == 3 and isinstance(report, dict)
    (entry,) = report["not_evaluated"]
    assert entry["resource_id"] == "azurerm_container_registry.acr"
    assert any("known only after apply" in r for r in entry["reasons"])
    assert "incomplete" in err and "--allow-partial" in err
    code, _, _ = scan(
        capsys, "--terraform-plan", str(REGISTRY / "unknown.json"), *ACR, "--allow-partial"
    )
    assert code == 0


@pytest.mark.usefixtures("mapped")
def test_a_plan_merges_with_snapshots_and_other_plans(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, report, _ = scan(
        capsys,
        "--snapshot",
        str(FIXTURES / "rules" / "MLA-ACR-001" / "fail.json"),
        "--terraform-plan",
        str(REGISTRY / "public.json"),
        "--terraform-plan",
        str(PLANS / "aml" / "plan.json"),
        *ACR,
    )
    assert code == 1 and isinstance(report, dict)
    assert [s["format"] for s in report["inputs"]] == ["array", "terraform-plan", "terraform-plan"]
    ids = {f["resource_id"] for f in report["findings"]}
    assert "azurerm_container_registry.acr" in ids
    assert any(i.startswith("/subscriptions/") for i in ids)


@pytest.mark.usefixtures("mapped")
@pytest.mark.parametrize("fmt", ["json", "sarif", "markdown", "html", "csv", "junit", "table"])
def test_no_report_prints_a_sensitive_value(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, report, _ = scan(capsys, "--terraform-plan", str(AML), "--format", fmt)
    assert code in (0, 1, 3)
    assert SECRET not in (report if isinstance(report, str) else json.dumps(report))


@pytest.mark.usefixtures("mapped")
def test_the_table_report_works_on_a_plan(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = scan(
        capsys,
        "--terraform-plan",
        str(REGISTRY / "public.json"),
        "--select",
        "MLA-ACR-001",
        "--format",
        "table",
    )
    assert code == 1 and isinstance(out, str)
    assert "MLA-ACR-001" in out and "crmlopsplan" in out
    assert "1 azurerm_resource_group resource is not modelled" in out


def _write(tmp_path: Path, name: str, doc: Any) -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return str(path)


@pytest.mark.usefixtures("mapped")
def test_bad_terraform_inputs_are_exit_2_naming_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (REGISTRY / "public.json").read_text(encoding="utf-8")
    cases = [
        (["--terraform-plan", _write(tmp_path, "cut.json", text[:500])], "cut.json: truncated"),
        (
            ["--terraform-plan", _write(tmp_path, "v2.json", _mutate("version"))],
            "v2.json: plan format_version '2.0' is not supported",
        ),
        (
            ["--terraform-plan", _write(tmp_path, "snap.json", SNAPSHOT)],
            "snap.json: is a mlops-audit snapshot, expected 'terraform show -json'",
        ),
        (
            ["--terraform-plan", _write(tmp_path, "rows.json", "[]")],
            "rows.json: is an array of Resource Graph rows, expected 'terraform show -json'",
        ),
        (["--terraform-plan", str(REGISTRY)], "is a Terraform root module"),
        (["--terraform", str(AML)], "plan.json: is not a directory, expected a Terraform root"),
        (["--terraform", str(tmp_path)], ": holds no .tf files, expected a Terraform root"),
        (["--terraform", str(tmp_path / "nope")], "nope: no such directory"),
        (
            ["--terraform-plan", str(AML), "--var", "x=1"],
            "--var-file and --var give values to --terraform directories; there is none",
        ),
        (["--terraform", str(REGISTRY), "--var", "=1"], "--var =1: expected NAME=VALUE"),
        (["--terraform", str(REGISTRY), "--var", "novalue"], "--var novalue: expected NAME"),
        (
            ["--terraform", str(REGISTRY), "--terraform-source", str(REGISTRY)],
            "--terraform-source names the configuration of a --terraform-plan",
        ),
        (["--terraform-plan", ""], "--terraform-plan: needs a file path"),
        (["--terraform", str(REGISTRY), "--var-file", ""], "--var-file: needs a file path"),
    ]
    for argv, message in cases:
        code, _, err = scan(capsys, *argv, "--format", "json")
        assert code == 2, (argv, err)
        assert message in err, (argv, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.usefixtures("mapped")
def test_an_output_must_not_overwrite_a_plan_or_a_var_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan = tmp_path / "plan.json"
    shutil.copy(REGISTRY / "public.json", plan)
    code, _, err = scan(capsys, "--terraform-plan", str(plan), "--output", f"json:{plan}")
    assert code == 2 and "is also the input" in err
    assert json.loads(plan.read_text(encoding="utf-8"))["format_version"] == "1.2"


@pytest.mark.usefixtures("mapped")
def test_an_empty_plan_is_incomplete_not_a_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = {"format_version": "1.2", "planned_values": {"root_module": {}}}
    code, report, _ = scan(capsys, "--terraform-plan", _write(tmp_path, "e.json", empty))
    assert code == 3 and isinstance(report, dict)
    assert report["coverage"]["gaps"][0]["problem"] == "holds no resources: nothing was judged"
    errored = {**load(REGISTRY / "private.json"), "errored": True}
    code, report, _ = scan(capsys, "--terraform-plan", _write(tmp_path, "x.json", errored), *ACR)
    assert code == 3 and isinstance(report, dict)
    assert "the plan errored" in report["coverage"]["gaps"][0]["problem"]


@pytest.mark.usefixtures("mapped")
def test_baseline_takes_a_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "baseline.json"
    plan = str(REGISTRY / "public.json")
    code = cli.main(["baseline", "--terraform-plan", plan, "--output", str(out)])
    assert code == 0, capsys.readouterr().err
    (finding,) = [
        f for f in load(out)["findings"] if f["resource_id"] == "azurerm_container_registry.acr"
    ][:1]
    assert finding["rule_id"].startswith("MLA-ACR")
    code, report, _ = scan(capsys, "--terraform-plan", plan, *ACR, "--baseline", str(out))
    assert code == 0 and isinstance(report, dict)
    assert {f["baseline"] for f in report["findings"]} == {"unchanged"}


@pytest.mark.usefixtures("mapped")
def test_scan_a_root_module_with_var_files_and_vars(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--terraform DIR through the HCL reader: the finding lands on the attribute's line;
    --var-file and --var reach the variables (the registry's public access)."""
    code, report, _ = scan(capsys, "--terraform", str(REGISTRY), *ACR)
    assert code == 1 and isinstance(report, dict)
    (finding,) = report["findings"]
    main = REGISTRY / "main.tf"
    line = header_line(main, "  public_network_access_enabled")
    assert finding["resource_id"] == "azurerm_container_registry.acr"
    assert finding["location"] == {"file": str(main), "line": line}
    (source,) = report["inputs"]
    assert source["format"] == "terraform"
    assert source["terraform"]["azurerm_majors"] == [3, 4]
    assert scan(capsys, "--terraform", str(REGISTRY), "--var", "public=false", *ACR)[0] == 0
    private = tmp_path / "private.tfvars"
    private.write_text("public = false\n", encoding="utf-8")
    assert scan(capsys, "--terraform", str(REGISTRY), "--var-file", str(private), *ACR)[0] == 0
    # --var wins over --var-file, as in terraform plan
    argv = ["--var-file", str(private), "--var", "public=true"]
    assert scan(capsys, "--terraform", str(REGISTRY), *argv, *ACR)[0] == 1
    code, _, err = scan(capsys, "--terraform", str(REGISTRY), "--var-file", str(tmp_path / "x"))
    assert code == 2 and f"{tmp_path / 'x'}: no such file" in err
    # a root module and a plan of the same resources merge into one estate
    code, report, _ = scan(
        capsys,
        "--terraform",
        str(REGISTRY),
        "--terraform-plan",
        str(REGISTRY / "public.json"),
        *ACR,
    )
    assert code == 1 and isinstance(report, dict)
    assert [s["format"] for s in report["inputs"]] == ["terraform", "terraform-plan"]


def test_the_directory_format_detects_tf_files(tmp_path: Path) -> None:
    assert terraform_input.DIRECTORY.detect(REGISTRY)
    assert not terraform_input.DIRECTORY.detect(tmp_path)
    assert not terraform_input.DIRECTORY.detect(load(AML))
    (tmp_path / "main.tf").mkdir()  # a directory named like a file is no .tf file
    assert not terraform_input.DIRECTORY.detect(tmp_path)
    assert inputs.read_input(REGISTRY) == REGISTRY


def test_hostile_keys_and_addresses_stay_data() -> None:
    doc = _tiny(['azurerm_subnet.s["\\q"].id'])
    for module_address in ('module.x["\\q"]', 'module.x["\\u0000\\n"]'):
        sub = copy.deepcopy(doc["planned_values"]["root_module"]["resources"][0])
        sub["address"] = f"{module_address}.{sub['address']}"
        doc["planned_values"]["root_module"]["child_modules"] = [
            {"address": module_address, "resources": [sub]}
        ]
        res = by_address(read(Path("plan.json"), doc))
        assert res[sub["address"]].module == module_address
        nic = res["azurerm_network_interface.n"]
        assert type(nic.get("ip_configuration.0.subnet_id")) is UnknownValue


@pytest.mark.usefixtures("mapped")
@pytest.mark.parametrize("command", ["reach", "resolve"])
def test_reach_and_resolve_read_terraform_inputs(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    plan = str(REGISTRY / "public.json")
    if command == "reach":
        argv = ["reach", "--terraform-plan", plan, "--from", "Internet", "--to", "nowhere"]
        argv += ["--port", "22"]
    else:
        argv = ["resolve", "--terraform-plan", plan, "crmlopsplan.azurecr.io", "--from", "nowhere"]
    code = cli.main(argv)
    err = capsys.readouterr().err
    # the estate was read (the question names nothing in it); the options are checked
    assert code == 2 and "nowhere" in err
    code = cli.main([*argv, "--var", "x=1"])
    assert code == 2 and "--var" in capsys.readouterr().err


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for k, v in items:
        yield from _nodes(v, (*path, k))


def test_any_wrong_value_anywhere_is_input_error_or_read_never_a_crash() -> None:
    """Replace one node of the plan at a time (seeded) by a value of another type."""
    import random

    base = load(AML)
    paths = [p for p in _nodes(base) if p]
    rng = random.Random(12)
    odd: list[Any] = [None, 7, "x", [], {}, [1, "a"], {"a": [True]}, True, "\\q"]
    for path in rng.sample(paths, 400):
        doc = copy.deepcopy(base)
        node = doc
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = rng.choice(odd)
        try:
            config = read_plan(Path("p.json"), doc)
        except InputError as exc:
            assert str(exc).startswith("p.json: ") and "\n" not in str(exc)
            continue
        assert isinstance(config, TfConfig)
        terraform_input.terraform_reading(config, {})  # the mapping takes what was read


def test_a_data_source_read_at_apply_and_a_forgotten_resource() -> None:
    doc = _tiny(["data.azurerm_subnet.d.id", "data.azurerm_subnet.d"])
    data = {
        "address": "data.azurerm_subnet.d",
        "mode": "data",
        "type": "azurerm_subnet",
        "name": "d",
        "values": {"name": "snet-d", "resource_group_name": "rg", "virtual_network_name": "v"},
    }
    doc["planned_values"]["root_module"]["resources"].append(data)
    doc["resource_changes"].append(
        {
            "address": data["address"],
            "mode": "data",
            "type": "azurerm_subnet",
            "name": "d",
            "change": {"actions": ["read"], "after_unknown": {"id": True}},
            "action_reason": "read_because_dependency_pending",
        }
    )
    doc["resource_changes"][0]["change"]["actions"] = ["forget"]
    res = by_address(read(Path("plan.json"), doc))
    assert "azurerm_subnet.s[0]" not in res  # removed from the configuration, not destroyed
    assert res["data.azurerm_subnet.d"].mode == "data"
    assert type(res["data.azurerm_subnet.d"].values["id"]) is UnknownValue
    nic = res["azurerm_network_interface.n"]
    assert nic.get("ip_configuration.0.subnet_id").endswith("/virtualNetworks/v/subnets/snet-d")
