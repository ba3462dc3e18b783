"""The HCL reader: parsing, evaluation as Terraform evaluates, modules, lines, gaps."""

from __future__ import annotations

import ipaddress
import json
import os
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from auditor.files import InputError
from auditor.inputs.terraform import config as tf_config
from auditor.inputs.terraform import hcl
from auditor.inputs.terraform.config import load_config, majors_admitted
from auditor.inputs.terraform.evaluate import Context, evaluate_safe, find_unknown, no_names
from auditor.inputs.terraform.hcl import parse_expression, parse_text
from auditor.inputs.terraform.resources import ProviderVersion, TfConfig, TfResource
from auditor.unknown import UnknownValue


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def by_address(config: TfConfig) -> dict[str, TfResource]:
    return {r.address: r for r in config.resources}


def test_plain_resources_variables_locals_and_references(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            variable "prefix" { default = "mlops" }
            locals {
              name = "${local.base}-x"   # defined before what it uses
              base = "${var.prefix}-${terraform.workspace}"
            }
            resource "azurerm_resource_group" "rg" {
              name     = "rg-${local.name}"
              location = "westeurope"
            }
            resource "azurerm_virtual_network" "vnet" {
              name                = "vnet"
              resource_group_name = azurerm_resource_group.rg.name
              location            = azurerm_resource_group.rg.location
              address_space       = ["10.0.0.0/16"]
            }
            resource "azurerm_subnet" "aml" {
              name                 = "snet-aml"
              resource_group_name  = azurerm_resource_group.rg.name
              virtual_network_name = azurerm_virtual_network.vnet.name
              address_prefixes     = ["10.0.1.0/24"]
            }
            resource "azurerm_network_interface" "nic" {
              name                = "nic"
              location            = "westeurope"
              resource_group_name = "rg-other"
              ip_configuration {
                name      = "ipc"
                subnet_id = azurerm_subnet.aml.id
              }
            }
            """
        },
    )
    config = load_config(tmp_path)
    rs = by_address(config)
    assert list(rs) == [
        "azurerm_resource_group.rg",
        "azurerm_virtual_network.vnet",
        "azurerm_subnet.aml",
        "azurerm_network_interface.nic",
    ]
    assert rs["azurerm_resource_group.rg"].values == {
        "name": "rg-mlops-default-x",
        "location": "westeurope",
    }
    nic = rs["azurerm_network_interface.nic"]
    assert nic.values["ip_configuration"] == [
        {
            "name": "ipc",
            "subnet_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
            "rg-mlops-default-x/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-aml",
        }
    ]
    assert nic.line == 22
    assert nic.lines["ip_configuration.0.subnet_id"] == 28
    assert nic.lines["ip_configuration.0"] == 26
    assert nic.references == {"ip_configuration.0.subnet_id": ["azurerm_subnet.aml"]}
    assert nic.file == f"{tmp_path}/main.tf"
    assert rs["azurerm_resource_group.rg"].references == {
        "name": ["local.base", "local.name", "var.prefix"]  # through the locals too
    }


def test_variable_without_value_is_unknown(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            variable "ADO_PAT" {
              type = string
            }
            resource "azurerm_resource_group" "rg" {
              name     = "rg"
              location = "westeurope"
              tags     = { pat = var.ADO_PAT, n = "${var.ADO_PAT}-x" }
            }
            """
        },
    )
    config = load_config(tmp_path)
    (rg,) = config.resources
    unknown = UnknownValue("var.ADO_PAT has no default and no value was given")
    assert rg.values["tags"] == {"pat": unknown, "n": unknown}
    assert rg.references == {"tags": ["var.ADO_PAT"]}
    assert config.variables == [
        {
            "module": "",
            "name": "ADO_PAT",
            "default": None,
            "has_default": False,
            "sensitive": False,
            "type": "string",
            "file": f"{tmp_path}/main.tf",
            "line": 1,
            "lines": {"type": 2},
        }
    ]


def test_unparsable_file_is_input_error_with_line(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'resource "a" "b" {\n  x = \n}\n'})
    with pytest.raises(InputError) as e:
        load_config(tmp_path)
    assert str(e.value).startswith(f"{tmp_path}/main.tf: line 2:")


def test_empty_directory_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no \.tf files"):
        load_config(tmp_path)


# -- expressions ----------------------------------------------------------------------------

U = UnknownValue("var.x has no default and no value was given")


def ev(src: str, **names: object) -> object:
    """``src`` evaluated with ``names`` bound (``u`` is an unknown)."""
    return evaluate_safe(parse_expression(src), Context(no_names, {"u": U, **names}))


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("8 / 2", 4),
        ("7 % 3", 1),
        ("-7 % 3", -1),
        ("1e3", 1000),
        ("!true || 2 >= 2", True),
        ('"a" == "a"', True),
        ('1 == "1"', False),
        ("[1, [2]] == [1, [2]]", True),
        ("{a = 1} != {a = 1}", False),
        ("null", None),
        ('true ? "y" : "n"', "y"),
        ('"5" + 1', 6),
        # templates, escapes, directives, heredocs
        ('"a\\tb\\n\\"q\\" \\u00e9"', 'a\tb\n"q" é'),
        ('"$${literal} %%{literal}"', "${literal} %{literal}"),
        ('"$${a\\"b} %%{c\\nd}"', '${a"b} %{c\nd}'),
        ('"${1 + 1}"', 2),
        ('"n-${1 + 1}"', "n-2"),
        ('"%{ if 1 > 2 }a%{ else }b%{ endif }"', "b"),
        ('"%{ for k, v in {a = 1, b = 2} ~} ${k}=${v}, %{~ endfor }"', "a=1,b=2,"),
        ('"%{ for x in [1, 2] }[${x}]%{ endfor }"', "[1][2]"),
        ('<<-EOT\n    hello ${upper("x")}\n      indented\n    EOT\n', "hello X\n  indented\n"),
        ("<<EOT\n  keep ${1}\nEOT\n", "  keep 1\n"),
        ("<<EOT\na  ${~ 1 ~}  b\n%{~ if true ~}\n c\n%{ endif ~}\nEOT\n", "a1bc\n"),
        # for expressions, splats, indexes
        ("[for i in [1, 2, 3] : i * 2 if i > 1]", [4, 6]),
        ('[for i, v in ["a", "b"] : "${i}${v}"]', ["0a", "1b"]),
        ("{for k, v in {b = 1, a = 2} : v => k}", {"2": "a", "1": "b"}),
        ('{for s in ["a", "b", "a"] : s => 1...}', {"a": [1, 1], "b": [1]}),
        ("[{a = 1}, {a = 2}][*].a", [1, 2]),
        ("[{a = {b = 1}}, {a = {b = 2}}].*.a.b", [1, 2]),
        ("[{a = 1}, {a = 2}].*.a[1]", 2),  # the legacy splat ends at an index
        ("[{a = [1, 2]}, {a = [3, 4]}][*].a[1]", [2, 4]),  # the full splat does not
        ("{a = [10, 20]}.a[1]", 20),
        ("[10, 20].1", 20),
        ('{a = 1}["a"]', 1),
        ("null[*]", []),
        ('"s"[*]', ["s"]),
        # functions
        (
            'format("%s-%03d-%.2f-%q-%v-%5s|%-3s|", "x", 7, 3.14159, "q", true, "r", "l")',
            'x-007-3.14-"q"-true-    r|l  |',
        ),
        ('formatlist("%s=%d", ["a", "b"], [1, 2])', ["a=1", "b=2"]),
        ('join(",", split("/", "a/b/c"))', "a,b,c"),
        ('split(",", "")', [""]),
        ('split("", "ab")', ["a", "b"]),
        ('replace("hello world", "o", "0")', "hell0 w0rld"),
        ('replace("hello world", "/o(\\\\w)/", "0$1")', "hello w0rld"),
        ('replace("a-1 b-2", "/(?P<k>\\\\w)-(\\\\d)/", "$${2}=$k$$")', "1=a$ 2=b$"),
        ('replace("a.b", "/\\\\./", "\\\\")', "a\\b"),
        ('substr("hello", 1, 3)', "ell"),
        ('substr("hello", -3, -1)', "llo"),
        ('lower("ÄB")', "äb"),
        ('title("hello world")', "Hello World"),
        ('trimspace("  a ")', "a"),
        ('trim("xxaxx", "x")', "a"),
        ('trimprefix("abc", "a")', "bc"),
        ('trimsuffix("abc", "c")', "ab"),
        ('startswith("abc", "ab")', True),
        ('endswith("abc", "ab")', False),
        ("concat([1], [2, 3])", [1, 2, 3]),
        ("merge({a = 1}, {b = 2}, {a = 3})", {"a": 3, "b": 2}),
        ('lookup({a = 1}, "b", 2)', 2),
        ("element([1, 2, 3], 4)", 2),
        ('templatestring("%%{ for x in xs }<$${x}>%%{ endfor }", { xs = [1, 2] })', "<1><2>"),
        ('length("héllo")', 5),
        ("length({a = 1})", 1),
        ("keys({b = 1, a = 2})", ["a", "b"]),
        ("values({b = 1, a = 2})", [2, 1]),
        ("contains([1, 2], 2)", True),
        ('coalesce("", null, "z")', "z"),
        ("coalescelist([], [1])", [1]),
        ('try({}.x, "fallback")', "fallback"),
        ("can({}.x)", False),
        ("can({x = 1}.x)", True),
        ("tostring(5)", "5"),
        ('tonumber("1.5")', 1.5),
        ('tobool("true")', True),
        ('tolist(["a"])', ["a"]),
        ('toset(["b", "a", "b"])', ["a", "b"]),
        ("tomap({a = 1})", {"a": 1}),
        ("flatten([[1, [2]], 3, []])", [1, 2, 3]),
        ("distinct([1, 2, 1])", [1, 2]),
        ('compact(["a", "", null, "b"])', ["a", "b"]),
        ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
        ("range(3)", [0, 1, 2]),
        ("range(1, 10, 3)", [1, 4, 7]),
        ("range(3, 0)", [3, 2, 1]),
        ("min(3, 1, 2)", 1),
        ("max(1, 5, 3)", 5),
        ("abs(-3)", 3),
        ("ceil(1.2)", 2),
        ("floor(-1.5)", -2),
        ("sum([1, 2.5])", 3.5),
        ("one([])", None),
        ("one([7])", 7),
        ('alltrue([true, "true"])', True),
        ("anytrue([])", False),
        ('sort(["b", "a", "c"])', ["a", "b", "c"]),
        ("reverse([1, 2])", [2, 1]),
        ("slice([1, 2, 3, 4], 1, 3)", [2, 3]),
        ('index(["a", "b"], "b")', 1),
        ("chunklist([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]),
        ('setunion(["b"], ["a", "b"])', ["a", "b"]),
        ('setintersection(["a", "b"], ["b", "c"])', ["b"]),
        ('setsubtract(["a", "b"], ["b"])', ["a"]),
        ('setproduct(["a", "b"], [1, 2])', [["a", 1], ["a", 2], ["b", 1], ["b", 2]]),
        ('cidrsubnet("10.0.0.0/16", 8, 2)', "10.0.2.0/24"),
        ('cidrsubnet("fd00::/56", 8, 255)', "fd00:0:0:ff::/64"),
        ('cidrhost("10.0.1.0/24", 5)', "10.0.1.5"),
        ('cidrhost("10.0.1.0/24", -1)', "10.0.1.255"),
        ('cidrnetmask("10.0.0.0/12")', "255.240.0.0"),
        (
            'cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)',
            ["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"],
        ),
        ('jsonencode({b = [1, "x", true, null], a = 1.5})', '{"a":1.5,"b":[1,"x",true,null]}'),
        ('jsondecode("{\\"a\\": [1, 2.0]}")', {"a": [1, 2]}),
        ('base64encode("hi")', "aGk="),
        ('base64decode("aGk=")', "hi"),
        ('regex("^(\\\\w+)-(\\\\d+)$", "vm-12")', ["vm", "12"]),
        ('regexall("\\\\d", "a1b2")', ["1", "2"]),
        ('md5("a")', "0cc175b9c0f1b6a831c399e269772661"),
        # the examples of Terraform's documentation
        ('uuidv5("dns", "www.terraform.io")', "a5008fae-b28c-5ba5-96cd-82b4c53552d6"),
        ('uuidv5("url", "https://www.terraform.io/")', "9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5"),
        ('sha256("")', "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ('base64sha256("")', "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
        ('sensitive("s")', "s"),
        ("nonsensitive(5)", 5),
        ('yamldecode("a: [1, x]\\nb: {c: true}")', {"a": [1, "x"], "b": {"c": True}}),
        ('csvdecode("a,b\\n1,2\\n")', [{"a": "1", "b": "2"}]),
        ('matchkeys(["i1", "i2"], ["us", "eu"], ["eu"])', ["i2"]),
        ("terraform.workspace", "default"),
    ],
)
def test_expression_values(src: str, expected: object, tmp_path: Path) -> None:
    if "terraform." in src:
        write(
            tmp_path,
            {
                "main.tf": f'locals {{ x = {src} }}\noutput "x" {{ value = local.x }}\n'
                'resource "azurerm_resource_group" "r" { name = local.x }\n'
            },
        )
        (r,) = load_config(tmp_path).resources
        assert r.values["name"] == expected
        return
    value = ev(src)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # an unknown propagates through operators, templates and functions
        ("u + 1", U),
        ('"prefix-${u}"', U),
        ("upper(u)", U),
        ("[u, 1]", [U, 1]),
        ('{a = u}["a"]', U),
        ("u ? 1 : 2", U),
        ('"%{ if u }a%{ endif }"', U),
        ("[for x in u : x]", U),
        ("jsonencode({a = u})", U),
        # ... except where Terraform decides without it
        ("length([u, u])", 2),
        ("u && false", False),
        ("true || u", True),
        ("u ? 1 : 1", 1),
        ("false ? u : 3", 3),
        ('coalesce("a", u)', "a"),
        ('lookup({a = 1, b = u}, "a")', 1),
        ("concat([u], [1])", [U, 1]),
        ("try(u, 1)", U),  # Terraform cannot decide either
    ],
)
def test_unknown_propagation(src: str, expected: object) -> None:
    assert ev(src) == expected


@pytest.mark.parametrize(
    ("src", "reason"),
    [
        ('sha3("x")', "the function sha3() is not evaluated by this reader"),
        ("timestamp()", "timestamp() is known only when terraform applies"),
        (
            'provider::azurerm::normalise_resource_id("x")',
            "the function provider::azurerm::normalise_resource_id() is not evaluated",
        ),
        ('1 + "a"', "'a' is not a number"),
        ("[1][3]", "index 3 out of range for a list of 1"),
        ("{a = 1}.b", "an object without the attribute 'b'"),
        ("min()", "min() needs at least one number"),
        ('"x${null}"', "a null value in a string template"),
        ('{for s in ["a", "a"] : s => 1}', "duplicate key 'a' in a for expression"),
        ("1 / 0", "division by zero"),
        ("element([1], -1)", "element() with a negative index"),
        ('regex("(a+)+$", "${join("", [for i in range(200) : "a"])}b")', "regex(): no match"),
        ('regex("(?<=a)b", "ab")', "invalid regular expression"),
    ],
)
def test_errors_become_unknown_naming_the_problem(src: str, reason: str) -> None:
    value = ev(src)
    assert type(value) is UnknownValue
    assert reason in value.reason


def test_huge_and_odd_literals_stay_data() -> None:
    assert type(ev("1" * 5000)) is UnknownValue  # too many digits for an int
    assert type(ev("1e999")) is UnknownValue  # not finite
    assert ev('"\\U0001F600 ​ \\u202e"') == "\U0001f600 \u200b \u202e"
    assert ev('"snet-\\u0000"') == "snet-\x00"


# -- modules, variables, repetition ---------------------------------------------------------

NET_MODULE = """
variable "name" {}
variable "prefixes" {
  type    = list(string)
  default = ["10.0.0.0/24"]
}
resource "azurerm_subnet" "aml" {
  count                = length(var.prefixes)
  name                 = "${var.name}-${count.index}"
  resource_group_name  = "rg"
  virtual_network_name = "vnet"
  address_prefixes     = [var.prefixes[count.index]]
}
output "subnet_ids" { value = azurerm_subnet.aml[*].id }
output "first" { value = azurerm_subnet.aml[0].name }
"""


def test_local_modules_instances_inputs_and_outputs(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            module "net" {
              source   = "./modules/net"
              name     = "snet"
              prefixes = ["10.0.1.0/24", "10.0.2.0/24"]
            }
            module "spoke" {
              for_each = { a = "10.1.0.0/24", b = "10.2.0.0/24" }
              source   = "./modules/net"
              name     = "spoke-${each.key}"
              prefixes = [each.value]
            }
            module "counted" {
              count  = 1
              source = "../root/modules/net"
              name   = "c"
            }
            resource "azurerm_network_interface" "nic" {
              name                = module.net.first
              resource_group_name = "rg"
              location            = "westeurope"
              ip_configuration {
                name      = "ipc"
                subnet_id = module.net.subnet_ids[1]
              }
              tags = { spoke = module.spoke["b"].first, counted = module.counted[0].first }
            }
            """,
            "modules/net/main.tf": NET_MODULE,
        },
    )
    root = tmp_path.parent / "root"
    tmp_path.rename(root)
    config = load_config(root)
    rs = by_address(config)
    assert sorted(rs) == [
        "azurerm_network_interface.nic",
        "module.counted[0].azurerm_subnet.aml[0]",
        "module.net.azurerm_subnet.aml[0]",
        "module.net.azurerm_subnet.aml[1]",
        'module.spoke["a"].azurerm_subnet.aml[0]',
        'module.spoke["b"].azurerm_subnet.aml[0]',
    ]
    subnet = rs["module.net.azurerm_subnet.aml[1]"]
    assert subnet.module == "module.net"
    assert subnet.index == 1
    assert subnet.values["name"] == "snet-1"
    assert subnet.values["address_prefixes"] == ["10.0.2.0/24"]
    assert subnet.file == f"{root}/modules/net/main.tf"
    assert subnet.line == 6
    assert rs['module.spoke["b"].azurerm_subnet.aml[0]'].module == 'module.spoke["b"]'
    nic = rs["azurerm_network_interface.nic"]
    assert nic.values["name"] == "snet-0"
    assert nic.values["ip_configuration"][0]["subnet_id"] == (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
        "Microsoft.Network/virtualNetworks/vnet/subnets/snet-1"
    )
    assert nic.values["tags"] == {"spoke": "spoke-b-0", "counted": "c-0"}
    assert nic.references["tags"] == ["module.counted", "module.spoke"]
    assert config.gaps == []
    modules = {(v["module"], v["name"]) for v in config.variables}
    assert ("module.net", "prefixes") in modules
    assert ('module.spoke["a"]', "name") in modules


def test_remote_module_unknown_count_and_cycles_are_gaps(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            variable "n" { type = number }
            module "registry" {
              source  = "Azure/avm-res-network-virtualnetwork/azurerm"
              version = "0.4.0"
            }
            module "loop" {
              source = "./loop"
            }
            resource "azurerm_public_ip" "pip" {
              count = var.n
              name  = "pip"
            }
            resource "azurerm_public_ip" "each" {
              for_each = toset([azurerm_public_ip.known.id, var.unset_name])
              name     = each.key
            }
            resource "azurerm_public_ip" "known" { name = "k" }
            variable "unset_name" {}
            """,
            "loop/main.tf": """
            module "again" {
              source = "../loop"
            }
            resource "azurerm_resource_group" "rg" { name = "in-loop" }
            """,
        },
    )
    config = load_config(tmp_path)
    assert sorted(by_address(config)) == [
        "azurerm_public_ip.known",
        "module.loop.azurerm_resource_group.rg",
    ]
    main = f"{tmp_path}/main.tf"
    assert config.gaps == [
        f"{main}:2: module.registry comes from 'Azure/avm-res-network-virtualnetwork/azurerm' "
        "(not a local path, not installed by terraform init); its resources are not read",
        f"{main}:10: azurerm_public_ip.pip has a count that is not known (var.n has no default "
        "and no value was given); its instances are not read",
        f"{main}:14: azurerm_public_ip.each has a for_each that is not known (var.unset_name has "
        "no default and no value was given); its instances are not read",
        f"{tmp_path}/loop/main.tf:1: module.loop.module.again calls a module that contains it "
        "(a module cycle); not read",
    ]


def test_variable_value_precedence(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            variable "a" { default = "default" }
            variable "b" { default = "default" }
            variable "c" { default = "default" }
            variable "d" { default = "default" }
            variable "e" { default = "default" }
            variable "f" { default = "default" }
            variable "n" { type = number }
            variable "l" { type = list(string) }
            variable "obj" {
              type = object({ name = string, public = optional(bool, false) })
            }
            variable "s" { type = string }
            variable "n2" { type = number }
            variable "bad" { type = list(number) }
            resource "azurerm_resource_group" "rg" {
              name = "rg"
              tags = { a = var.a, b = var.b, c = var.c, d = var.d, e = var.e, f = var.f }
              n    = var.n
              l    = var.l
              obj  = var.obj
              s    = var.s
              n2   = var.n2
              bad  = var.bad
            }
            """,
            "terraform.tfvars": 'b = "tfvars"\nc = "tfvars"\nd = "tfvars"\ne = "tfvars"\n',
            "terraform.tfvars.json": '{"c": "tfvars.json", "d": "tfvars.json"}',
            "b.auto.tfvars": 'd = "b.auto"\n',
            "a.auto.tfvars.json": '{"d": "a.auto", "e": "a.auto"}',
            "extra.tfvars": 'e = "var-file"\nf = "var-file"\nn = "5"\nobj = { name = "x" }\n',
        },
    )
    config = load_config(
        tmp_path,
        var_files=[tmp_path / "extra.tfvars"],
        variables={"f": "cli", "l": '["x", "y"]', "s": "[not hcl", "n2": "7", "bad": "[1,"},
    )
    (rg,) = config.resources
    assert rg.values["tags"] == {
        "a": "default",
        "b": "tfvars",
        "c": "tfvars.json",
        "d": "b.auto",
        "e": "var-file",
        "f": "cli",
    }
    assert rg.values["n"] == 5  # converted to the declared type
    assert rg.values["l"] == ["x", "y"]
    assert rg.values["obj"] == {"name": "x", "public": False}
    assert rg.values["s"] == "[not hcl"
    assert rg.values["n2"] == 7
    assert type(rg.values["bad"]) is UnknownValue
    assert rg.values["bad"].reason == (
        "the -var value '[1,' is not an HCL value (unexpected end of file)"
    )


def test_resource_references_data_sources_and_known_after_apply(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            data "azurerm_subnet" "shared" {
              name                 = "snet-shared"
              virtual_network_name = "vnet-hub"
              resource_group_name  = "rg-hub"
            }
            resource "azurerm_network_interface" "nic" {
              name                = "nic"
              resource_group_name = "rg"
              location            = "westeurope"
              ip_configuration {
                name      = "ipc"
                subnet_id = data.azurerm_subnet.shared.id
              }
            }
            resource "azurerm_linux_virtual_machine" "vm" {
              name                  = "vm"
              resource_group_name   = "rg"
              network_interface_ids = [azurerm_network_interface.nic.id]
              custom_data           = azurerm_network_interface.nic.private_ip_address
              computer_name         = azurerm_network_interface.nic.ip_configuration[0].name
              zone                  = azurerm_network_interface.nic.ip_configuration[0].gateway
            }
            """
        },
    )
    rs = by_address(load_config(tmp_path))
    assert rs["data.azurerm_subnet.shared"].mode == "data"
    assert rs["azurerm_network_interface.nic"].values["ip_configuration"][0]["subnet_id"] == (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/"
        "Microsoft.Network/virtualNetworks/vnet-hub/subnets/snet-shared"
    )
    vm = rs["azurerm_linux_virtual_machine.vm"].values
    assert vm["custom_data"] == UnknownValue(
        "azurerm_network_interface.nic.private_ip_address is known only after apply"
    )
    assert vm["computer_name"] == "ipc"
    assert type(vm["zone"]) is UnknownValue
    assert rs["azurerm_network_interface.nic"].references == {
        "ip_configuration.0.subnet_id": ["data.azurerm_subnet.shared"]
    }


def test_cycles_become_unknown(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            locals {
              a = "${local.b}-a"
              b = "${local.a}-b"
              ok = "fine"
            }
            resource "azurerm_resource_group" "x" {
              name = azurerm_resource_group.y.name
              tags = { a = local.a, ok = local.ok }
            }
            resource "azurerm_resource_group" "y" {
              name = azurerm_resource_group.x.name
            }
            """
        },
    )
    rs = by_address(load_config(tmp_path))
    x, y = rs["azurerm_resource_group.x"], rs["azurerm_resource_group.y"]
    assert type(x.values["tags"]["a"]) is UnknownValue
    assert "cycle" in x.values["tags"]["a"].reason
    assert x.values["tags"]["ok"] == "fine"
    assert "cycle" in y.values["name"].reason or "cycle" in x.values["name"].reason


def test_dynamic_blocks_with_iterator_and_lines(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            locals {
              rules = {
                ssh   = { priority = 100, port = "22" }
                https = { priority = 110, port = "443" }
              }
            }
            resource "azurerm_network_security_group" "nsg" {
              name = "nsg"
              security_rule {
                name     = "static"
                priority = 90
              }
              dynamic "security_rule" {
                for_each = local.rules
                iterator = rule
                content {
                  name                   = rule.key
                  priority               = rule.value.priority
                  destination_port_range = rule.value.port
                }
              }
              dynamic "security_rule" {
                for_each = var.missing_rules
                content { name = "never" }
              }
            }
            variable "missing_rules" {}
            """
        },
    )
    (nsg,) = load_config(tmp_path).resources
    assert type(nsg.values["security_rule"]) is UnknownValue
    write(tmp_path, {"terraform.tfvars": "missing_rules = []\n"})
    (nsg,) = load_config(tmp_path).resources
    assert nsg.values["security_rule"] == [
        {"name": "static", "priority": 90},
        {"name": "https", "priority": 110, "destination_port_range": "443"},
        {"name": "ssh", "priority": 100, "destination_port_range": "22"},
    ]
    assert nsg.lines["security_rule.0.priority"] == 11
    assert nsg.lines["security_rule.2.destination_port_range"] == 19
    assert nsg.line_of("security_rule.1.name") == 17
    assert nsg.references["security_rule"] == ["local.rules", "var.missing_rules"]


def test_provider_subscription_by_alias_and_through_modules(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            provider "azurerm" {
              features {}
              subscription_id = "11111111-1111-1111-1111-111111111111"
            }
            provider "azurerm" {
              alias           = "hub"
              features {}
              subscription_id = "22222222-2222-2222-2222-222222222222"
            }
            resource "azurerm_resource_group" "spoke" { name = "spoke" }
            resource "azurerm_resource_group" "hub" {
              provider = azurerm.hub
              name     = "hub"
            }
            module "m" {
              source    = "./m"
              providers = { azurerm = azurerm.hub }
            }
            """,
            "m/main.tf": 'resource "azurerm_resource_group" "in_m" { name = "m" }\n',
        },
    )
    rs = by_address(load_config(tmp_path))
    assert rs["azurerm_resource_group.spoke"].provider_subscription == (
        "11111111-1111-1111-1111-111111111111"
    )
    assert rs["azurerm_resource_group.hub"].provider_subscription == (
        "22222222-2222-2222-2222-222222222222"
    )
    assert rs["module.m.azurerm_resource_group.in_m"].provider_subscription == (
        "22222222-2222-2222-2222-222222222222"
    )


@pytest.mark.parametrize(
    ("constraint", "majors"),
    [
        ("~> 3.0", (3,)),
        ("~> 3.117.0", (3,)),
        ("~> 3", (3,)),
        ("~> 2.99", (2,)),
        (">= 2.0, < 4.0", (2, 3)),
        (">= 3.50", (3, 4, 5)),  # 5.x too: its defaults are known
        ("= 2.99.0", (2,)),
        ("4.1.0", (4,)),
        ("!= 3.0.0", (2, 3, 4, 5)),
        ("< 2.0", (1,)),  # no known major: the one it admits, whose defaults are unknown
        (">= 6.0", (6,)),
        ("~> 5.0", (5,)),
        (">2.5,<=3.0.0", (2, 3)),
    ],
)
def test_version_constraints(constraint: str, majors: tuple[int, ...]) -> None:
    assert majors_admitted(constraint) == majors


def test_provider_version_from_lock_file_then_constraint(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'resource "azurerm_resource_group" "rg" { name = "rg" }\n'})
    assert load_config(tmp_path).provider == ProviderVersion((), "not declared")
    write(
        tmp_path,
        {
            "versions.tf": """
            terraform {
              required_providers {
                azurerm = {
                  source  = "hashicorp/azurerm"
                  version = ">= 2.0, < 4.0"
                }
              }
            }
            """
        },
    )
    assert load_config(tmp_path).provider == ProviderVersion(
        (2, 3), "required_providers '>= 2.0, < 4.0'"
    )
    write(
        tmp_path,
        {
            ".terraform.lock.hcl": """
            provider "registry.terraform.io/hashicorp/random" {
              version = "3.6.0"
            }
            provider "registry.terraform.io/hashicorp/azurerm" {
              version     = "3.117.1"
              constraints = ">= 2.0, < 4.0"
              hashes = ["h1:x"]
            }
            """
        },
    )
    assert load_config(tmp_path).provider == ProviderVersion((3,), "lock file 3.117.1")


def test_file_functions_stay_inside_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("outside")
    root = tmp_path / "root"
    write(
        root,
        {
            "main.tf": """
            module "m" { source = "./m" }
            resource "azurerm_resource_group" "rg" {
              name = "rg"
              tags = {
                file    = file("${path.module}/data/x.txt")
                tpl     = templatefile("data/t.tpl", { names = ["a", "b"], who = "me" })
                exists  = fileexists("data/none.txt")
                set     = fileset(path.module, "{data,m}/**/*.{txt,tpl}")
                binary  = filebase64("data/b.bin")
                md5     = filemd5("data/b.bin")
                top     = fileset("data", "*")
                escape  = file("../secret.txt")
                absolute = file("/etc/hostname")
              }
              text = file("data/b.bin")
            }
            """,
            "data/x.txt": "hello\n",
            "data/b.bin": "placeholder",
            "data/t.tpl": "%{ for n in names }${n}-%{ endfor }${who}",
            "m/main.tf": """
            resource "azurerm_resource_group" "in_m" {
              name = trimspace(file("${path.module}/name.txt"))
            }
            """,
            "m/name.txt": "from-module\n",
        },
    )
    (root / "data" / "b.bin").write_bytes(b"\xff\x00")
    rs = by_address(load_config(root))
    tags = rs["azurerm_resource_group.rg"].values["tags"]
    assert tags["file"] == "hello\n"
    assert tags["tpl"] == "a-b-me"
    assert tags["exists"] is False
    assert tags["set"] == ["data/t.tpl", "data/x.txt", "m/name.txt"]
    assert tags["top"] == ["b.bin", "t.tpl", "x.txt"]
    assert tags["binary"] == "/wA="
    assert tags["md5"] == "e0e8bfafbb0689563b2fba789c97b3cc"
    assert rs["azurerm_resource_group.rg"].values["text"] == UnknownValue(
        "azurerm_resource_group.rg text: data/b.bin is not UTF-8 text (filebase64 reads any file)"
    )
    assert tags["escape"] == UnknownValue(
        "../secret.txt leaves the configuration's directory tree; it is not read"
    )
    assert type(tags["absolute"]) is UnknownValue
    assert rs["module.m.azurerm_resource_group.in_m"].values["name"] == "from-module"


def test_comments_are_not_configuration(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            # resource "azurerm_public_ip" "old" { name = "x" }
            /*
            resource "azurerm_public_ip" "older" { name = "y" }
            */
            resource "azurerm_storage_account" "sa" {
              name = "sa" // allow_nested_items_to_be_public = true
              # public_network_access_enabled = true
              public_network_access_enabled = false /* inline */
            }
            """
        },
    )
    (sa,) = load_config(tmp_path).resources
    assert sa.values == {"name": "sa", "public_network_access_enabled": False}
    assert sa.lines == {"name": 6, "public_network_access_enabled": 8}


def test_tf_json_files(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(
        """{
  "variable": {"prefix": {"default": "j"}},
  "resource": {
    "azurerm_storage_account": {
      "sa": {
        "name": "${var.prefix}sa",
        "public_network_access_enabled": false,
        "network_rules": {"default_action": "Deny"},
        "tags": {"a": "b"}
      }
    }
  }
}"""
    )
    (sa,) = load_config(tmp_path).resources
    assert sa.address == "azurerm_storage_account.sa"
    assert sa.values == {
        "name": "jsa",
        "public_network_access_enabled": False,
        "network_rules": [{"default_action": "Deny"}],
        "tags": {"a": "b"},
    }


# -- hostile input ----------------------------------------------------------------------------


def test_deep_nesting_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": "locals {\n  x = " + "[" * 400 + "]" * 400 + "\n}\n"})
    with pytest.raises(InputError, match="nested too deeply"):
        load_config(tmp_path)


def test_symlinks_leaving_the_tree_are_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere, {"evil.tf": 'resource "azurerm_public_ip" "evil" { name = "e" }\n'})
    root = tmp_path / "root"
    write(root, {"main.tf": 'resource "azurerm_resource_group" "rg" { name = "rg" }\n'})
    (root / "evil.tf").symlink_to(elsewhere / "evil.tf")
    config = load_config(root)
    assert [r.address for r in config.resources] == ["azurerm_resource_group.rg"]
    assert config.gaps == [
        f"{root}/evil.tf: a symbolic link leaving the module's directory tree; not read"
    ]


def test_bad_input_files(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'resource "azurerm_resource_group" "rg" { name = "rg" }\n'})
    (tmp_path / "bad.tf").write_bytes(b"\xff\xfe resource")
    with pytest.raises(InputError, match="not UTF-8"):
        load_config(tmp_path)
    (tmp_path / "bad.tf").write_text('resource "a" "b" {\n  x = "unterminated\n}\n')
    with pytest.raises(InputError, match=r"bad\.tf: line 2"):
        load_config(tmp_path)
    (tmp_path / "bad.tf").unlink()
    (tmp_path / "terraform.tfvars").write_text("x = = 1\n")
    with pytest.raises(InputError, match=r"terraform\.tfvars: line 1"):
        load_config(tmp_path)
    with pytest.raises(InputError, match="not a directory"):
        load_config(tmp_path / "main.tf")


def test_a_large_file_is_cut_and_parsed_as_the_whole(tmp_path: Path, monkeypatch) -> None:
    blocks = [
        f'resource "azurerm_resource_group" "r{i}" {{\n  name = "rg-{i}"\n'
        f'  tags = {{ heredoc = <<EOT\nresource "x" "y" {{\nEOT\n  }}\n}}\n'
        for i in range(60)
    ]
    text = "".join(blocks)
    whole = parse_text(text)
    monkeypatch.setattr(hcl, "SPLIT_BYTES", 200)
    assert len(hcl._chunks(text)) > 10
    (one,) = hcl.parse_many([text], workers=2)
    assert one == whole
    # a cut inside a heredoc: the part fails alone, so the whole file is parsed once more
    tricky = "locals {\n  x = <<EOT\n" + "a\n" * 300 + 'resource "a" "b" {}\n' + "EOT\n}\n"
    (again,) = hcl.parse_many([tricky * 3], workers=1)
    assert again == parse_text(tricky * 3)


# -- the article's root module ----------------------------------------------------------------

ARTICLE = Path(__file__).resolve().parent.parent / "fixtures" / "terraform" / "article"


def test_the_article_module() -> None:
    config = load_config(ARTICLE)
    rs = by_address(config)
    assert config.gaps == []
    assert config.provider == ProviderVersion((3,), "required_providers '~> 3.0'")
    assert len(rs) == 32
    acr = rs["azurerm_container_registry.acr"]
    assert acr.values["admin_enabled"] is True
    assert acr.file.endswith("fixtures/terraform/article/main.tf")
    assert acr.lines["admin_enabled"] == 48
    cluster = rs["azurerm_machine_learning_compute_cluster.compute_cluster"]
    assert "node_public_ip_enabled" not in cluster.values
    sub = "11111111-2222-3333-4444-555555555555"
    assert cluster.values["subnet_resource_id"] == (
        f"/subscriptions/{sub}/resourceGroups/my_resource_group/providers/"
        "Microsoft.Network/virtualNetworks/vnet-aml/subnets/compute_subnet"
    )
    assert cluster.provider_subscription == sub
    zone_link = rs["azurerm_private_dns_zone_virtual_network_link.acr_zone_link"]
    assert zone_link.values["virtual_network_id"].endswith("/virtualNetworks/vnet-aml")
    ext = rs["azurerm_virtual_machine_extension.update-vm[1]"]
    assert ext.values["virtual_machine_id"].endswith("/virtualMachines/vm-agent-01")
    assert type(ext.values["settings"]) is UnknownValue
    assert ext.references["settings"] == [
        "var.ADO_ORG_SERVICE_URL",
        "var.ADO_PAT",
        "var.AGENT_POOL",
        "var.AGENT_USERNAME",
    ]
    nsg = rs["module.network.azurerm_network_security_group.aml"]
    assert [r["name"] for r in nsg.values["security_rule"]] == [
        "AllowAzureMLInbound",
        "AllowBatchInbound",
    ]
    assert nsg.lines["security_rule.1.destination_port_range"] == 44
    assert sorted(a for a in rs if "association" in a) == [
        'module.network.azurerm_subnet_network_security_group_association.aml["aml_subnet"]',
        'module.network.azurerm_subnet_network_security_group_association.aml["compute_subnet"]',
    ]
    assert rs["module.network.azurerm_subnet.agents"].values["address_prefixes"] == ["10.1.1.0/24"]
    assert rs["azurerm_key_vault.my_kv"].values["tenant_id"] == UnknownValue(
        "data.azurerm_client_config.current.tenant_id is known only after apply"
    )
    variables = {v["name"]: v for v in config.variables if v["module"] == ""}
    assert variables["ADO_PAT"]["has_default"] is False
    assert variables["ADO_PAT"]["sensitive"] is False
    assert variables["AGENT_POOL"]["default"] == "mlops-agents"
    assert variables["aml_subnets"]["type"] == (
        "map(object({prefix = string, nsg = optional(bool, true)}))"
    )
    assert rs["azurerm_storage_account.my_sa"].values["tags"] == {
        "workload": "mlops",
        "owner": "platform",
    }


# -- properties -------------------------------------------------------------------------------


def hcl_string(text: str) -> str:
    """``text`` as an HCL quoted string literal."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    out = out.replace("\r", "\\r").replace("\t", "\\t")
    return '"' + out.replace("${", "$${").replace("%{", "%%{") + '"'


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"))
        | st.sampled_from(["$", "{", "}", "%", "\\", '"', "\n", "\t"])
    )
)
def test_any_string_literal_reads_back(text: str) -> None:
    # python-hcl2's lexer reads an escaped $${ or %%{ only when a } follows it somewhere
    # (terraform does not need one): such a string is a parse error there, not a wrong value
    for opener in ("${", "%{"):
        at = text.find(opener)
        while at >= 0:
            assume("}" in text[at:])
            at = text.find(opener, at + 1)
    assert ev(hcl_string(text)) == text
    assert ev(f"upper({hcl_string(text)})") == text.upper()


@settings(max_examples=200, deadline=None)
@given(st.integers(-(10**12), 10**12), st.integers(-(10**6), 10**6), st.integers(-999, 999))
def test_integer_arithmetic_is_exact(a: int, b: int, c: int) -> None:
    assert ev(f"{a} + {b} * {c} - ({a} - {b})") == a + b * c - (a - b)
    assert ev(f"{a} < {b} == ({b} > {a})") is True


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(8, 24),
    st.integers(1, 8),
    st.data(),
)
def test_cidrsubnet_matches_ipaddress(addr: int, prefix: int, newbits: int, data) -> None:
    net = ipaddress.ip_network((addr, prefix), strict=False)
    netnum = data.draw(st.integers(0, 2**newbits - 1))
    expected = str(list(net.subnets(prefixlen_diff=newbits))[netnum])
    assert ev(f'cidrsubnet("{net}", {newbits}, {netnum})') == expected
    host = data.draw(st.integers(0, net.num_addresses - 1))
    assert ev(f'cidrhost("{net}", {host})') == str(net.network_address + host)


@settings(max_examples=15, deadline=None)
@given(
    st.integers(0, 12), st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), max_size=6)
)
def test_count_and_for_each_expand_exactly(n: int, keys: list[str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = write(
            Path(d),
            {
                "main.tf": f"""
                resource "azurerm_public_ip" "c" {{
                  count = {n}
                  name  = "pip-${{count.index}}"
                }}
                resource "azurerm_public_ip" "e" {{
                  for_each = toset({json.dumps(keys)})
                  name     = "pip-${{each.key}}"
                }}
                """
            },
        )
        rs = by_address(load_config(root))
    assert [k for k in rs if k.startswith("azurerm_public_ip.c")] == [
        f"azurerm_public_ip.c[{i}]" for i in range(n)
    ]
    assert [k for k in rs if k.startswith("azurerm_public_ip.e")] == [
        f'azurerm_public_ip.e["{k}"]' for k in sorted(set(keys))
    ]
    assert all(r.values["name"] == f"pip-{r.index}" for r in rs.values())


def test_multiplying_instances_is_bounded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tf_config, "MAX_TOTAL_INSTANCES", 20_000)
    write(
        tmp_path,
        {
            "main.tf": """
            resource "azurerm_public_ip" "many" {
              count = 100000000
              name  = "x"
            }
            module "wide" {
              count  = 100
              source = "./m"
            }
            """,
            "m/main.tf": """
            resource "azurerm_public_ip" "inner" {
              count = 500
              name  = "y"
            }
            """,
        },
    )
    config = load_config(tmp_path)
    # 100 module instances, 500 each: the first 39 fit (with the 100 module instances)
    assert len(config.resources) == 39 * 500
    assert config.gaps[0] == (
        f"{tmp_path}/main.tf:2: azurerm_public_ip.many count 100000000 is not usable"
    )
    assert config.gaps[1] == (
        f"{tmp_path}/m/main.tf:2: module.wide[39].azurerm_public_ip.inner would make more than "
        "20000 instances in all; not read"
    )
    assert len(config.gaps) == 62


def test_a_symlinked_module_directory_leaving_the_tree_is_a_gap(tmp_path: Path) -> None:
    write(tmp_path / "outside", {"main.tf": 'resource "azurerm_public_ip" "p" { name = "p" }\n'})
    root = write(tmp_path / "root", {"main.tf": 'module "m" { source = "./m" }\n'})
    (root / "m").symlink_to(tmp_path / "outside")
    config = load_config(root)
    assert config.resources == []
    assert config.gaps == [
        f"{root}/main.tf:1: module.m is a symbolic link leaving the configuration's directory "
        "tree; not read"
    ]


def test_references_reach_through_locals(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            variable "ADO_PAT" {}
            locals {
              init     = { token = var.ADO_PAT, url = local.url }
              url      = "https://dev.azure.com/${local.org}"
              org      = "contoso"
              settings = jsonencode(local.init)
              loop_a   = local.loop_b
              loop_b   = local.loop_a
            }
            resource "azurerm_virtual_machine_extension" "ext" {
              name     = "ext"
              settings = local.settings
              tags     = { x = local.loop_a }
            }
            """
        },
    )
    (ext,) = load_config(tmp_path).resources
    assert ext.references == {
        "settings": ["local.init", "local.org", "local.settings", "local.url", "var.ADO_PAT"],
        "tags": ["local.loop_a", "local.loop_b"],
    }


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"main.tf": 'resource "a" "b" {\n  x = 1\n  x = 2\n}\n'},
            "main.tf: line 3: x is set twice (first on line 2)",
        ),
        (
            {"a.tf": 'variable "v" {}\n', "b.tf": '# again\nvariable "v" {}\n'},
            "b.tf: line 2: duplicate variable 'v'",
        ),
        (
            {"a.tf": "locals { l = 1 }\n", "b.tf": "locals {\n  l = 2\n}\n"},
            "b.tf: line 2: duplicate local value 'l'",
        ),
        (
            {"a.tf": 'resource "a" "b" {}\nresource "a" "b" {}\n'},
            "a.tf: line 2: duplicate resource a.b",
        ),
    ],
)
def test_what_terraform_rejects_is_an_input_error(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    write(tmp_path, files)
    with pytest.raises(InputError) as e:
        load_config(tmp_path)
    assert str(e.value) == f"{tmp_path}/{message}"


def test_values_are_plain_json(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            module "m" { source = "./m" }
            resource "azurerm_storage_account" "a" {
              name = "a"
              network_rules { default_action = "Deny" }
            }
            resource "azurerm_storage_account" "b" {
              name          = "b"
              network_rules = azurerm_storage_account.a.network_rules
              tags          = { whole = [module.m], first = [module.m][0].o }
            }
            """,
            "m/main.tf": 'output "o" { value = "out" }\n',
        },
    )
    rs = by_address(load_config(tmp_path))
    b = rs["azurerm_storage_account.b"].values
    assert b["network_rules"] == [{"default_action": "Deny"}]
    assert type(b["network_rules"][0]) is dict
    assert b["tags"]["first"] == "out"
    assert type(b["tags"]["whole"][0]) is UnknownValue
    assert json.loads(json.dumps(rs["azurerm_storage_account.a"].values)) == (
        rs["azurerm_storage_account.a"].values
    )


def test_legacy_provider_block_version(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'provider "azurerm" {\n  version = "=2.46.0"\n}\n'})
    assert load_config(tmp_path).provider == ProviderVersion(
        (2,), "provider block version '=2.46.0'"
    )


def test_modules_installed_by_terraform_init_are_read(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            module "vnet" {
              source  = "Azure/avm-res-network-virtualnetwork/azurerm"
              version = "0.4.0"
              name    = "vnet-hub"
            }
            module "broken" {
              source = "git::https://example.com/broken.git"
            }
            module "absent" {
              source = "Azure/absent/azurerm"
            }
            """,
            ".terraform/modules/modules.json": json.dumps(
                {
                    "Modules": [
                        {"Key": "", "Source": "", "Dir": "."},
                        {
                            "Key": "vnet",
                            "Source": "registry.terraform.io/Azure/avm-res-network-"
                            "virtualnetwork/azurerm",
                            "Version": "0.4.0",
                            "Dir": ".terraform/modules/vnet",
                        },
                        {
                            "Key": "vnet.subnet",
                            "Source": "./modules/subnet",
                            "Dir": ".terraform/modules/vnet/modules/subnet",
                        },
                        {"Key": "broken", "Source": "git::x", "Dir": ".terraform/modules/broken"},
                        {"Key": "escape", "Source": "x", "Dir": "/etc"},
                    ]
                }
            ),
            ".terraform/modules/vnet/main.tf": """
            variable "name" {}
            resource "azurerm_virtual_network" "this" {
              name          = var.name
              address_space = ["10.0.0.0/16"]
            }
            module "subnet" {
              source = "./modules/subnet"
              vnet   = azurerm_virtual_network.this.name
            }
            """,
            ".terraform/modules/vnet/modules/subnet/main.tf": """
            variable "vnet" {}
            resource "azurerm_subnet" "this" {
              name                 = "default"
              virtual_network_name = var.vnet
            }
            """,
            ".terraform/modules/broken/main.tf": "resource {\n",
        },
    )
    config = load_config(tmp_path)
    rs = by_address(config)
    assert sorted(rs) == [
        "module.vnet.azurerm_virtual_network.this",
        "module.vnet.module.subnet.azurerm_subnet.this",
    ]
    assert rs["module.vnet.module.subnet.azurerm_subnet.this"].values == {
        "name": "default",
        "virtual_network_name": "vnet-hub",
    }
    assert rs["module.vnet.azurerm_virtual_network.this"].file == (
        f"{tmp_path}/.terraform/modules/vnet/main.tf"
    )
    assert config.gaps == [
        f"{tmp_path}/main.tf:9: module.absent comes from 'Azure/absent/azurerm' (not a local "
        "path, not installed by terraform init); its resources are not read",
        f"{tmp_path}/.terraform/modules/broken/main.tf: line 2: unexpected end of file; the "
        "installed module broken is not read",
    ]


def test_values_that_multiply_become_unknown_not_a_hang(tmp_path: Path) -> None:
    doubling = "\n".join(f'  s{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"' for i in range(1, 60))
    nesting = "\n".join(f"  l{i} = [local.l{i - 1}, local.l{i - 1}]" for i in range(1, 60))
    yaml_bomb = "a: &a [x, x, x, x, x, x, x, x, x]\\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    write(
        tmp_path,
        {
            "main.tf": f"""
locals {{
  s0 = "ab"
{doubling}
  l0 = ["x"]
{nesting}
}}
resource "azurerm_resource_group" "rg" {{
  strings = local.s59
  nested  = jsonencode(local.l59)
  equal   = local.l59 == local.l58
  loops   = length([for a in range(1024) : [for b in range(1024) : [for c in range(1024) : c]]])
  yaml    = jsonencode(yamldecode("{yaml_bomb}"))
  width   = format("%099999999d", 1)
  indent  = indent(100000000, "a\\nb")
  replace = replace(local.s20, "", local.s20)
  join    = join(local.s20, local.l22)
  fine    = "still evaluated"
}}
"""
        },
    )
    t0 = time.perf_counter()
    (rg,) = load_config(tmp_path).resources
    assert time.perf_counter() - t0 < 60
    values = rg.values
    assert values["fine"] == "still evaluated"
    for name in ("strings", "nested", "equal", "loops", "yaml", "width", "indent", "replace"):
        assert type(values[name]) is UnknownValue, name


def test_nested_dynamic_blocks_that_multiply_are_unknown(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            resource "azurerm_network_security_group" "nsg" {
              name = "nsg"
              dynamic "a" {
                for_each = range(1000)
                content {
                  dynamic "b" {
                    for_each = range(1000)
                    content {
                      dynamic "c" {
                        for_each = range(1000)
                        content { n = c.value }
                      }
                    }
                  }
                }
              }
            }
            """
        },
    )
    t0 = time.perf_counter()
    (nsg,) = load_config(tmp_path).resources
    assert time.perf_counter() - t0 < 120
    assert nsg.values["name"] == "nsg"
    assert find_unknown(nsg.values["a"]) is not None


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    write(tmp_path, {"main.tf": 'resource "azurerm_resource_group" "rg" { name = file("pipe") }\n'})
    (rg,) = load_config(tmp_path).resources
    assert rg.values["name"] == UnknownValue(
        "azurerm_resource_group.rg name: pipe is not a regular file"
    )


def test_override_files_merge_into_their_blocks(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            locals { sku = "Basic" }
            resource "azurerm_container_registry" "acr" {
              name          = "acr"
              sku           = local.sku
              admin_enabled = true
              georeplications {
                location = "westeurope"
              }
              georeplications {
                location = "northeurope"
              }
            }
            """,
            "z_override.tf": """
            locals { sku = "Premium" }
            resource "azurerm_container_registry" "acr" {
              admin_enabled = false
              georeplications {
                location = "swedencentral"
              }
            }
            """,
        },
    )
    (acr,) = load_config(tmp_path).resources
    assert acr.values == {
        "name": "acr",
        "sku": "Premium",
        "admin_enabled": False,
        "georeplications": [{"location": "swedencentral"}],
    }
    assert acr.file == f"{tmp_path}/main.tf"
    assert acr.lines == {"name": 3, "sku": 4}  # what the override set is in another file
    assert acr.line_of("admin_enabled") == 2


def test_parse_errors_come_back_from_worker_processes() -> None:
    good = 'resource "a" "b" {\n  x = 1\n}\n' * 8000  # large enough to use the pool
    bad = good + 'resource "a" "c" {\n  x = \n}\n'
    results = hcl.parse_many([good, bad, "x = " + "[" * 300 + "]" * 300], workers=2)
    assert isinstance(results[0], hcl.Body)
    assert isinstance(results[1], hcl.ParseError)
    assert str(results[1]) == "line 24002: unexpected '}'"
    assert str(results[2]) == "line 1: expression nested too deeply"


def test_path_values_conditional_count_and_unknown_module_count(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            variable "enabled" { default = true }
            variable "spokes" {}
            resource "azurerm_public_ip" "pip" {
              count = var.enabled ? 1 : 0
              name  = "pip"
              tags  = { module = path.module, root = path.root, cwd = path.cwd }
            }
            module "child" { source = "./modules/child" }
            module "spoke" {
              count  = length(var.spokes)
              source = "./modules/child"
            }
            """,
            "modules/child/main.tf": """
            resource "azurerm_public_ip" "pip" {
              name = "pip"
              tags = { module = path.module, root = path.root }
            }
            """,
        },
    )
    config = load_config(tmp_path, variables={"enabled": "true"})
    rs = by_address(config)
    assert sorted(rs) == ["azurerm_public_ip.pip[0]", "module.child.azurerm_public_ip.pip"]
    assert rs["azurerm_public_ip.pip[0]"].values["tags"] == {"module": ".", "root": ".", "cwd": "."}
    assert rs["module.child.azurerm_public_ip.pip"].values["tags"] == {
        "module": "modules/child",
        "root": ".",
    }
    assert config.gaps == [
        f"{tmp_path}/main.tf:10: module.spoke has a count that is not known (var.spokes has no "
        "default and no value was given); its instances are not read"
    ]
    # a string "false" from -var is the bool false for a condition, as in terraform; an
    # untyped variable's -var value is a string ("[]" has length 2)
    config = load_config(tmp_path, variables={"enabled": "false", "spokes": "[]"})
    assert [r.address for r in config.resources] == [
        "module.child.azurerm_public_ip.pip",
        "module.spoke[0].azurerm_public_ip.pip",
        "module.spoke[1].azurerm_public_ip.pip",
    ]


def test_ids_of_nested_blocks_that_are_arm_child_resources(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
            resource "azurerm_virtual_network" "vnet" {
              name                = "vnet"
              resource_group_name = "rg"
              subnet {
                name           = "snet-a"
                address_prefix = "10.0.1.0/24"
              }
            }
            resource "azurerm_lb" "lb" {
              name                = "lb"
              resource_group_name = "rg"
              frontend_ip_configuration { name = "fe" }
            }
            resource "azurerm_network_interface" "nic" {
              name                = "nic"
              resource_group_name = "rg"
              ip_configuration {
                name      = "ipc"
                subnet_id = tolist(azurerm_virtual_network.vnet.subnet)[0].id
              }
            }
            resource "azurerm_lb_rule" "rule" {
              name                           = "r"
              loadbalancer_id                = azurerm_lb.lb.id
              frontend_ip_configuration_name = azurerm_lb.lb.frontend_ip_configuration[0].name
              frontend_ip_configuration_id   = azurerm_lb.lb.frontend_ip_configuration[0].id
            }
            """
        },
    )
    rs = by_address(load_config(tmp_path))
    base = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers"
    assert rs["azurerm_network_interface.nic"].values["ip_configuration"][0]["subnet_id"] == (
        f"{base}/Microsoft.Network/virtualNetworks/vnet/subnets/snet-a"
    )
    assert rs["azurerm_lb_rule.rule"].values["frontend_ip_configuration_id"] == (
        f"{base}/Microsoft.Network/loadBalancers/lb/frontendIPConfigurations/fe"
    )
    # the block's own values are what the configuration says (no id is added to them)
    assert "id" not in rs["azurerm_virtual_network.vnet"].values["subnet"][0]
