"""Hostile input to the HCL reader, judged end to end: a value Terraform would evaluate to
an insecure setting must not reach the rules as a secure one (or as a made-up finding)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditor.inputs.terraform.config import load_config
from auditor.unknown import UnknownValue
from tests.terraform_harness import scan_estate, tf_estate

SA = """
resource "azurerm_storage_account" "sa" {
  name                          = "sa1"
  location                      = "westeurope"
  resource_group_name           = "rg"
  account_tier                  = "Standard"
  account_replication_type      = "GRS"
  public_network_access_enabled = %s
}
"""
ENV = 'variable "env" {\n  type    = string\n  default = "prod"\n}\n'
BY_ENV = 'var.env == "prod" ? false : true'


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


def access(root: Path, **kw: object) -> object:
    """The storage account's publicNetworkAccess as the scan's row holds it."""
    estate = tf_estate(root, **kw)  # type: ignore[arg-type]
    (row,) = [r for r in estate.rows.values() if r["type"] == "microsoft.storage/storageaccounts"]
    return row["properties"].get("publicNetworkAccess")


def stg_findings(root: Path) -> tuple[int, int]:
    result = scan_estate(tf_estate(root), ["MLA-STG-001"])
    return len(result.findings), len(result.not_evaluated)


# -- TF_VAR_* ---------------------------------------------------------------------------------


def test_tf_var_environment_variables_are_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"v.tf": ENV, "sa.tf": SA % BY_ENV})
    monkeypatch.setenv("TF_VAR_env", "dev")
    monkeypatch.setenv("TF_VAR_undeclared", "x")  # ignored, as terraform ignores it
    assert access(tmp_path) == "Enabled"
    assert stg_findings(tmp_path) == (1, 0)
    estate = tf_estate(tmp_path)
    notes = [n["note"] for n in estate.notes]
    assert any("TF_VAR_env" in n for n in notes)
    assert not any("undeclared" in n or "dev" in n for n in notes)  # no values in notes


def test_tf_var_is_below_every_tfvars_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"v.tf": ENV, "sa.tf": SA % BY_ENV, "terraform.tfvars": 'env = "prod"\n'})
    monkeypatch.setenv("TF_VAR_env", "dev")
    assert access(tmp_path) == "Disabled"
    assert access(tmp_path, variables={"env": "dev"}) == "Enabled"


def test_tf_var_collections_parse_as_hcl(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "v.tf": 'variable "o" {\n  type = object({ pub = bool })\n}\n',
            "sa.tf": SA % "var.o.pub",
        },
    )
    (r,) = load_config(tmp_path, environ={"TF_VAR_o": "{ pub = true }"}).resources
    assert r.values["public_network_access_enabled"] is True
    (r,) = load_config(tmp_path, environ={"TF_VAR_o": "{ pub = "}).resources
    v = r.values["public_network_access_enabled"]
    assert type(v) is UnknownValue and "TF_VAR_o" in v.reason


# -- string-vs-bool conversion (cty: "true"/"1", "false"/"0"; "True" is an error) -----------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('"true"', "Enabled"),
        ('"1"', "Enabled"),
        ('"false"', "Disabled"),
        ('"0"', "Disabled"),
        ('coalesce("", null, "true")', "Enabled"),
        ('"1" ? true : false', "Enabled"),
        ('anytrue([false, "1"])', "Enabled"),
        ('tobool("0")', "Disabled"),
    ],
)
def test_strings_convert_to_bool_as_terraform_converts(
    tmp_path: Path, expr: str, expected: str
) -> None:
    write(tmp_path, {"sa.tf": SA % expr})
    assert access(tmp_path) == expected
    assert stg_findings(tmp_path) == ((1, 0) if expected == "Enabled" else (0, 0))


@pytest.mark.parametrize("expr", ['"True"', '"FALSE"', "1", '"yes"'])
def test_values_terraform_rejects_as_bool_are_not_judged(tmp_path: Path, expr: str) -> None:
    write(tmp_path, {"sa.tf": SA % expr})
    assert type(access(tmp_path)) is UnknownValue
    assert stg_findings(tmp_path) == (0, 1)


@pytest.mark.parametrize("given", ["1", "0"])
def test_bool_variable_from_cli_string(tmp_path: Path, given: str) -> None:
    write(tmp_path, {"v.tf": 'variable "p" {\n  type = bool\n}\n', "sa.tf": SA % "var.p"})
    assert access(tmp_path, variables={"p": given}) == ("Enabled" if given == "1" else "Disabled")


# -- try / can do not catch references to what is not declared ----------------------------


@pytest.mark.parametrize(
    "expr",
    [
        "try(var.missing.attr, false)",
        "try(local.missing, false)",
        "try(azurerm_resource_group.nope.name, false)",
        "try(module.nope.x, false)",
        "can(var.missing) ? true : false",
    ],
)
def test_try_does_not_hide_undeclared_references(tmp_path: Path, expr: str) -> None:
    write(tmp_path, {"sa.tf": SA % expr})
    value = access(tmp_path)
    assert type(value) is UnknownValue and "not declared" in value.reason
    assert stg_findings(tmp_path) == (0, 1)


def test_try_still_catches_dynamic_errors(tmp_path: Path) -> None:
    write(tmp_path, {"sa.tf": SA % "try(local.o.attr, true)", "l.tf": "locals {\n  o = {}\n}\n"})
    assert access(tmp_path) == "Enabled"


# -- a root of .tf.json files only ----------------------------------------------------------


def test_root_of_tf_json_only_is_read(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(
        '{"resource": {"azurerm_storage_account": {"sa": {"name": "x", "location": "westeurope",'
        ' "resource_group_name": "rg", "account_tier": "Standard",'
        ' "account_replication_type": "GRS", "public_network_access_enabled": true}}}}'
    )
    assert access(tmp_path) == "Enabled"


# -- optional(…, default) given null ---------------------------------------------------------


def test_optional_attribute_given_null_takes_its_default(tmp_path: Path) -> None:
    """terraform applies an optional attribute's default where the value is null, not only
    where it is left out: `pub = null` with `optional(bool, true)` is public."""
    write(
        tmp_path,
        {
            "main.tf": 'module "m" {\n  source = "./m"\n  cfg = { pub = null }\n}\n',
            "m/v.tf": 'variable "cfg" {\n  type = object({\n    pub = optional(bool, true)\n'
            "  })\n}\n",
            "m/sa.tf": SA % "var.cfg.pub",
        },
    )
    assert access(tmp_path) == "Enabled"


# -- comments are not configuration ----------------------------------------------------------


def test_commented_out_resources_do_not_count(tmp_path: Path) -> None:
    evil = SA.replace('"sa"', '"evil"') % "true"
    write(
        tmp_path,
        {
            "sa.tf": SA % "false # true",
            "block.tf": "/*\n" + evil + "*/\n",
            "hash.tf": "".join("# " + line + "\n" for line in evil.splitlines()),
            "slash.tf": "".join("// " + line + "\n" for line in evil.splitlines()),
        },
    )
    assert access(tmp_path) == "Disabled"
    assert stg_findings(tmp_path) == (0, 0)


@pytest.mark.parametrize(
    "expr", ["/* true */ false", "/* a */ /* b */ false", 'lower(/* "TRUE" */ "false")']
)
def test_inline_block_comment_before_a_value(tmp_path: Path, expr: str) -> None:
    """HCL allows a /* */ comment anywhere between tokens; python-hcl2's grammar does not
    before a value: the file is read (not refused), and the comment is not the value."""
    write(tmp_path, {"sa.tf": SA % expr})
    assert access(tmp_path) == "Disabled"


def test_inline_block_comment_leaves_strings_and_heredocs_alone(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'locals {\n  a = /* c */ "x/*y*/z"\n  b = <<EOT\n/* kept */\nEOT\n'
            '  c = /* c */ "$${/*}"\n}\n'
            'resource "azurerm_resource_group" "r" {\n  name = /* n */ "${local.a}|${local.b}"'
            "\n  location = local.c\n}\n",
        },
    )
    (r,) = load_config(tmp_path).resources
    assert r.values["name"] == "x/*y*/z|/* kept */\n"
    assert r.lines["name"] == 9


def test_a_large_file_cut_inside_a_comment_does_not_revive_what_it_comments_out(
    tmp_path: Path,
) -> None:
    """A file past the split size is parsed in parts cut before top-level block lines; a
    part ending in an open /* must not be read as complete (the resource after it is
    commented out)."""
    pad = 'locals {\n  pad = "' + "x" * 300_000 + '"\n}\n'
    pad2 = 'locals {\n  pad2 = "' + "x" * 300_000 + '"\n}\n'
    evil = SA.replace('"sa"', '"evil"') % "true"
    write(tmp_path, {"sa.tf": SA % "false", "big.tf": pad + "/*\n" + evil + "/* */\n" + pad2})
    assert access(tmp_path) == "Disabled"


# -- a string given to an azurerm bool argument ----------------------------------------------

ACR = """
resource "azurerm_container_registry" "acr" {
  name                          = "acr1"
  resource_group_name           = "rg"
  location                      = "westeurope"
  sku                           = "Premium"
  admin_enabled                 = %s
  public_network_access_enabled = false
}
"""


@pytest.mark.parametrize(
    ("given", "outcome"),
    [("true", (1, 0)), ('"true"', (1, 0)), ('"1"', (1, 0)), ('"0"', (0, 0)), ('"yes"', (0, 1))],
)
def test_string_bool_arguments_are_judged_as_terraform_converts_them(
    tmp_path: Path, given: str, outcome: tuple[int, int]
) -> None:
    """admin_enabled = "1" is the admin user enabled (the provider converts it): the rule's
    `not_equals: true` must not pass it as a string; "yes" is refused by terraform."""
    write(tmp_path, {"acr.tf": ACR % given})
    result = scan_estate(tf_estate(tmp_path), ["MLA-ACR-004"])
    assert (len(result.findings), len(result.not_evaluated)) == outcome


def test_string_bools_in_nested_blocks_convert_and_other_strings_stay(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'resource "azurerm_subnet" "s" {\n  name = "true"\n'
            '  resource_group_name = "rg"\n  virtual_network_name = "v"\n'
            '  address_prefixes = ["10.0.0.0/24"]\n  delegation {\n    name = "d"\n'
            '    service_delegation {\n      name = "x"\n    }\n  }\n'
            '  default_outbound_access_enabled = "0"\n}\n'
        },
    )
    from auditor.inputs.terraform.azurerm.coerce import converted

    (r,) = load_config(tmp_path).resources
    values = converted(r).values
    assert values["default_outbound_access_enabled"] is False
    assert values["name"] == "true"


NSG = """
resource "azurerm_virtual_network" "v" {
  name                = "v"
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = ["10.0.0.0/16"]
}
resource "azurerm_subnet" "s" {
  name                 = "s"
  resource_group_name  = "rg"
  virtual_network_name = azurerm_virtual_network.v.name
  address_prefixes     = ["10.0.1.0/24"]
}
resource "azurerm_subnet_network_security_group_association" "a" {
  subnet_id                 = azurerm_subnet.s.id
  network_security_group_id = azurerm_network_security_group.n.id
}
resource "azurerm_network_security_group" "n" {
  name                = "n"
  resource_group_name = "rg"
  location            = "westeurope"
  security_rule {
    name                       = "r"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    %s
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}
"""


@pytest.mark.parametrize(
    "ports", ["destination_port_range = 22", "destination_port_ranges = [3389, 80]"]
)
def test_a_port_given_as_a_number_is_its_text(tmp_path: Path, ports: str) -> None:
    """terraform converts a number given to a string argument: port 22 is "22"."""
    write(tmp_path, {"n.tf": NSG % ports})
    result = scan_estate(tf_estate(tmp_path), ["MLA-NSG-002"])
    assert (len(result.findings), len(result.not_evaluated)) == (1, 0)


# -- a lock file the constraint does not admit --------------------------------------------------

REQUIRES_3 = """
terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 3.0"
    }
  }
}
"""


def _lock(version: str) -> str:
    return f'provider "registry.terraform.io/hashicorp/azurerm" {{\n  version = "{version}"\n}}\n'


def test_a_stale_lock_file_does_not_pick_the_older_defaults(tmp_path: Path) -> None:
    """A lock at 2.99.0 under `~> 3.0` (terraform refuses it; `init -upgrade` picks 3.x):
    2.x's secure default for anonymous blob access must not pass the account."""
    write(tmp_path, {"t.tf": REQUIRES_3, "sa.tf": SA % "false"})
    (tmp_path / ".terraform.lock.hcl").write_text(_lock("2.99.0"))
    config = load_config(tmp_path)
    assert config.provider.majors == (2, 3)
    assert "outside required_providers" in config.provider.source
    result = scan_estate(tf_estate(tmp_path), ["MLA-STG-003"])
    assert (len(result.findings), len(result.not_evaluated)) == (0, 1)
    (tmp_path / ".terraform.lock.hcl").write_text(_lock("3.117.0"))
    assert load_config(tmp_path).provider.majors == (3,)
    result = scan_estate(tf_estate(tmp_path), ["MLA-STG-003"])
    assert (len(result.findings), len(result.not_evaluated)) == (1, 0)


@pytest.mark.parametrize("text", [" 22", "22 ", "2_2", "\uff12\uff12", "0x16"])
def test_strings_terraform_does_not_read_as_numbers_are_not_numbers(text: str) -> None:
    """cty parses a number from a string with big.ParseFloat: no spaces, no underscores,
    ASCII digits only (Python's int() takes all of these)."""
    from auditor.inputs.terraform.evaluate import Context, evaluate_safe, no_names
    from auditor.inputs.terraform.hcl import parse_expression

    value = evaluate_safe(parse_expression("tonumber(x)"), Context(no_names, {"x": text}))
    assert type(value) is UnknownValue
    assert evaluate_safe(parse_expression('tonumber("+2.5e1")'), Context(no_names)) == 25


def test_a_conditional_has_the_type_both_branches_unify_to(tmp_path: Path) -> None:
    """`var.env == "prod" ? false : "yes"` is a string in terraform ("false" when prod), so
    comparing it with the bool false is false: the account below is public."""
    write(
        tmp_path,
        {
            "v.tf": ENV,
            "l.tf": 'locals {\n  flag = var.env == "prod" ? false : "yes"\n}\n',
            "sa.tf": SA % "local.flag == false ? false : true",
        },
    )
    assert access(tmp_path) == "Enabled"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ('(true ? 1 : "a") == "1"', True),
        ('true ? 1.5 : "x"', "1.5"),
        ("true ? false : null", False),
        ("true ? false : [1][5]", False),  # the other branch's errors do not count
        ('true ? [1] : "a"', [1]),
    ],
)
def test_conditional_unification(src: str, expected: object) -> None:
    from auditor.inputs.terraform.evaluate import Context, evaluate_safe, no_names
    from auditor.inputs.terraform.hcl import parse_expression

    assert evaluate_safe(parse_expression(src), Context(no_names)) == expected


def test_a_bool_and_a_number_do_not_agree(tmp_path: Path) -> None:
    """Python's 1 == True must not make `var.u ? 1 : true` a known value."""
    write(tmp_path, {"v.tf": 'variable "u" {}\n', "sa.tf": SA % "var.u ? 1 : true"})
    assert type(access(tmp_path)) is UnknownValue


OPEN_RULE = """
    name                       = "%s"
    priority                   = %d
    direction                  = "Inbound"
    access                     = "%s"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "22"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
"""


def _nsg_with(inner: str) -> str:
    head, _, _ = NSG.partition("  security_rule {")
    return head + inner + "}\n"


def test_an_override_of_another_dynamic_block_keeps_the_dynamic_rules(tmp_path: Path) -> None:
    """Overriding `dynamic "tags_block"` must not drop `dynamic "security_rule"`: terraform
    replaces blocks by the type a dynamic block generates."""
    rule = OPEN_RULE % ("ssh", 100, "Allow")
    write(
        tmp_path,
        {
            "n.tf": _nsg_with(
                '  dynamic "security_rule" {\n    for_each = [1]\n    content {'
                + rule
                + "    }\n  }\n"
            ),
            "override.tf": 'resource "azurerm_network_security_group" "n" {\n'
            '  dynamic "timeouts" {\n    for_each = []\n    content {}\n  }\n}\n',
        },
    )
    result = scan_estate(tf_estate(tmp_path), ["MLA-NSG-002"])
    assert (len(result.findings), len(result.not_evaluated)) == (1, 0)


def test_an_override_of_a_block_type_replaces_its_dynamic_blocks_too(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "n.tf": _nsg_with(
                '  dynamic "security_rule" {\n    for_each = [1]\n    content {'
                + OPEN_RULE % ("ssh", 100, "Allow")
                + "    }\n  }\n"
            ),
            "override.tf": 'resource "azurerm_network_security_group" "n" {\n'
            "  security_rule {" + OPEN_RULE % ("deny", 100, "Deny") + "  }\n}\n",
        },
    )
    result = scan_estate(tf_estate(tmp_path), ["MLA-NSG-002"])
    assert (len(result.findings), len(result.not_evaluated)) == (0, 0)


def test_an_override_file_s_required_providers_replaces_the_constraint(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "t.tf": REQUIRES_3.replace("~> 3.0", "~> 2.0"),
            "override.tf": REQUIRES_3,
            "sa.tf": SA % "false",
        },
    )
    assert load_config(tmp_path).provider.majors == (3,)
    result = scan_estate(tf_estate(tmp_path), ["MLA-STG-003"])
    assert (len(result.findings), len(result.not_evaluated)) == (1, 0)


def _nsg_json(rule: dict[str, object]) -> str:
    import json

    return json.dumps(
        {
            "resource": {
                "azurerm_network_security_group": {
                    "n": {
                        "name": "n",
                        "resource_group_name": "rg",
                        "location": "westeurope",
                        "//": "JSON syntax comments are not configuration",
                        "dynamic": {"security_rule": rule},
                    }
                }
            }
        }
    )


@pytest.mark.parametrize("iterator", [None, "r"])
def test_dynamic_blocks_in_tf_json_are_expanded(tmp_path: Path, iterator: str | None) -> None:
    """A .tf.json `"dynamic"` object was read as a block named "dynamic": the NSG's rules
    vanished and SSH from anywhere passed."""
    it = iterator or "security_rule"
    rule: dict[str, object] = {
        "for_each": '${{ssh = "22"}}',
        "content": {
            "name": "${" + it + ".key}",
            "priority": 100,
            "direction": "Inbound",
            "access": "Allow",
            "protocol": "Tcp",
            "source_port_range": "*",
            "destination_port_range": "${" + it + ".value}",
            "source_address_prefix": "*",
            "destination_address_prefix": "*",
        },
    }
    if iterator:
        rule["iterator"] = iterator
    head, _, _ = NSG.partition('resource "azurerm_network_security_group"')
    write(tmp_path, {"net.tf": head, "n.tf.json": _nsg_json(rule)})
    result = scan_estate(tf_estate(tmp_path), ["MLA-NSG-002"])
    assert (len(result.findings), len(result.not_evaluated)) == (1, 0)


def test_a_tf_json_argument_given_twice_is_an_input_error(tmp_path: Path) -> None:
    """Python's json keeps the last of two equal keys; terraform rejects the file."""
    from auditor.files import InputError

    (tmp_path / "main.tf.json").write_text(
        '{"resource": {"azurerm_storage_account": {"sa": {"name": "x",'
        ' "public_network_access_enabled": true, "public_network_access_enabled": false}}}}'
    )
    with pytest.raises(InputError, match="given twice"):
        load_config(tmp_path)


def test_two_resource_properties_in_tf_json_hold_both(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(
        '{"resource": {"azurerm_resource_group": {"a": {"name": "a", "location": "x"}}},'
        ' "resource": {"azurerm_resource_group": {"b": {"name": "b", "location": "x"}}}}'
    )
    assert sorted(r.address for r in load_config(tmp_path).resources) == [
        "azurerm_resource_group.a",
        "azurerm_resource_group.b",
    ]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("terraform.tfvars.json", '{"env": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("x.tf.json", '{"locals": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}"),
        ("terraform.tfvars.json", '{"env": {"a": 1, "a": 2}}'),
    ],
)
def test_hostile_json_is_an_input_error_naming_the_file(
    tmp_path: Path, name: str, text: str
) -> None:
    from auditor.files import InputError

    write(tmp_path, {"v.tf": ENV})
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError) as e:
        load_config(tmp_path)
    assert name in str(e.value)


def test_a_deeply_nested_modules_manifest_is_read_as_absent(tmp_path: Path) -> None:
    write(tmp_path, {"sa.tf": SA % "true"})
    manifest = tmp_path / ".terraform" / "modules" / "modules.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"Modules": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert access(tmp_path) == "Enabled"


def test_hidden_tf_files_are_not_configuration(tmp_path: Path) -> None:
    """terraform ignores a file whose name starts with "." (an editor's swap file): a
    hidden override must not make a public account look private."""
    override = (
        'resource "azurerm_storage_account" "sa" {\n  public_network_access_enabled = false\n}\n'
    )
    write(tmp_path, {"sa.tf": SA % "true", ".sa_override.tf": override, ".x.tf": "broken {"})
    assert access(tmp_path) == "Enabled"


@pytest.mark.parametrize(
    "commented",
    [
        "# public_network_access_enabled = false",
        "// public_network_access_enabled = false",
        "/*\n  public_network_access_enabled = false\n  */",
        '/* public_network_access_enabled = false */ name_unused = "x"',
    ],
)
def test_a_commented_out_argument_is_not_set(tmp_path: Path, commented: str) -> None:
    """The issue's claim "Commented-out lines are not configuration", inside a block: the
    account falls back to the provider default (public in 3.x)."""
    write(
        tmp_path,
        {
            "t.tf": REQUIRES_3,
            "sa.tf": SA.replace("  public_network_access_enabled = %s", "  " + commented),
        },
    )
    assert access(tmp_path) == "Enabled"
