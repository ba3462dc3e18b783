"""Terraform compute: VMs, VM extensions and variables mapped to the rows the rules read, the
secrets relations, the rules on both forms, and no secret ever reaching a report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor import arm, collections, core
from auditor.core import Run
from auditor.estate import Estate, Reading
from auditor.graph import build
from auditor.inputs.terraform.azurerm import compute, to_rows
from auditor.inputs.terraform.resources import ProviderVersion, TfConfig, TfResource
from auditor.relations import RELATIONS
from auditor.relations.secrets import secret_word, value_shape
from auditor.report import REGISTRY, render
from auditor.rules import evaluate, load_rules
from auditor.unknown import UnknownValue

from .conftest import FIXTURES, scan_files
from .terraform_harness import scan_tf, tf_estate

SUB = "00000000-0000-0000-0000-000000000000"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg-build"
VM_ID = f"{RG_ID}/providers/Microsoft.Compute/virtualMachines/vm-agent-0"
NIC_ID = f"{RG_ID}/providers/Microsoft.Network/networkInterfaces/nic-agent-0"
RULES = ("MLA-VM-001", "MLA-VM-002", "MLA-TF-001", "MLA-TF-002")
SECRET = "s3cr3t-PAT-value-do-not-print-7f3a9c"


def res(tf_type: str, name: str, values: dict[str, Any], **kw: Any) -> TfResource:
    module = kw.pop("module", "")
    address = f"{module + '.' if module else ''}{tf_type}.{name}"
    return TfResource(
        address=address,
        mode="managed",
        type=tf_type,
        name=name,
        module=module,
        values=values,
        file="main.tf",
        line=kw.pop("line", 1),
        **kw,
    )


def mapped(*resources: TfResource, variables: list[dict[str, Any]] | None = None) -> Any:
    config = TfConfig(
        list(resources), ProviderVersion((3,), "required_providers '~> 3.0'"), [], variables or []
    )
    return to_rows(config)


def row_of(result: Any, rid: str) -> dict[str, Any]:
    return next(r for r in result.rows if arm.key(r["id"]) == arm.key(rid))


LINUX_VM = {
    "name": "vm-agent-0",
    "resource_group_name": "rg-build",
    "location": "westeurope",
    "size": "Standard_D2s_v3",
    "admin_username": "azureuser",
    "network_interface_ids": [NIC_ID],
    "admin_ssh_key": [{"username": "azureuser", "public_key": "ssh-ed25519 AAAA fixture"}],
}


# -- VMs ----------------------------------------------------------------------------------
def test_linux_vm_takes_the_provider_default_and_links_its_nic() -> None:
    """Left out, disable_password_authentication is true (azurerm default); the NIC id is
    networkProfile.networkInterfaces[].id, so the graph draws NIC attached_to VM."""
    out = mapped(res("azurerm_linux_virtual_machine", "agent", dict(LINUX_VM)))
    row = row_of(out, VM_ID)
    assert row["type"] == "Microsoft.Compute/virtualMachines"
    assert (row["resourceGroup"], row["location"], row["subscriptionId"]) == (
        "rg-build",
        "westeurope",
        SUB,
    )
    props = row["properties"]
    assert props["storageProfile"]["osDisk"]["osType"] == "Linux"
    assert props["osProfile"]["adminUsername"] == "azureuser"
    assert props["osProfile"]["linuxConfiguration"]["disablePasswordAuthentication"] is True
    assert props["networkProfile"]["networkInterfaces"] == [{"id": NIC_ID}]
    estate = Estate()
    estate.add("tf", "terraform", Reading(out.rows, origins=out.origins))
    g = build(estate)
    assert g.kind(arm.key(VM_ID)) == "vm"
    assert [v for v, _ in g.out(arm.key(NIC_ID), "attached_to")] == [arm.key(VM_ID)]


def test_password_vm_row_never_holds_the_password_and_points_at_the_attribute() -> None:
    values = {**LINUX_VM, "admin_password": SECRET, "disable_password_authentication": False}
    r = res(
        "azurerm_linux_virtual_machine",
        "agent",
        values,
        line=10,
        lines={"disable_password_authentication": 17, "admin_password": 16},
    )
    out = mapped(r)
    row = row_of(out, VM_ID)
    assert row["properties"]["osProfile"]["linuxConfiguration"] == {
        "disablePasswordAuthentication": False,
        "provisionVMAgent": True,
        "ssh": {
            "publicKeys": [
                {
                    "path": "/home/azureuser/.ssh/authorized_keys",
                    "keyData": "ssh-ed25519 AAAA fixture",
                }
            ]
        },
    }
    assert SECRET not in json.dumps(out.rows)
    origin = out.origins[row["id"]]
    assert origin.location([compute._DISABLE]) == {
        "file": "main.tf",
        "line": 17,
    }


def test_windows_vm_is_windows() -> None:
    values = {k: v for k, v in LINUX_VM.items() if k != "admin_ssh_key"}
    out = mapped(
        res("azurerm_windows_virtual_machine", "jump", {**values, "admin_password": SECRET})
    )
    props = row_of(out, VM_ID)["properties"]
    assert props["storageProfile"]["osDisk"]["osType"] == "Windows"
    assert "linuxConfiguration" not in props["osProfile"]
    assert props["osProfile"]["windowsConfiguration"] == {"provisionVMAgent": True}
    assert SECRET not in json.dumps(out.rows)


def test_legacy_vm_reads_its_profile_blocks() -> None:
    base = {
        "name": "vm-agent-0",
        "resource_group_name": "rg-build",
        "location": "westeurope",
        "vm_size": "Standard_B2s",
        "network_interface_ids": [NIC_ID],
    }
    linux = {
        **base,
        "os_profile": [
            {"computer_name": "agent", "admin_username": "azureuser", "admin_password": SECRET}
        ],
        "os_profile_linux_config": [{"ssh_keys": [{"path": "/p", "key_data": "ssh-rsa AAA"}]}],
    }
    out = mapped(res("azurerm_virtual_machine", "agent", linux))
    props = row_of(out, VM_ID)["properties"]
    # left out, the legacy resource keeps password authentication (default false)
    assert props["osProfile"]["linuxConfiguration"]["disablePasswordAuthentication"] is False
    assert props["storageProfile"]["osDisk"]["osType"] == "Linux"
    assert SECRET not in json.dumps(out.rows)
    # an attached OS disk: no os_profile at all, as ARM shows it; the OS from the disk
    attached = {**base, "storage_os_disk": [{"os_type": "Linux", "create_option": "Attach"}]}
    props = row_of(mapped(res("azurerm_virtual_machine", "agent", attached)), VM_ID)["properties"]
    assert "osProfile" not in props and props["storageProfile"]["osDisk"]["osType"] == "Linux"


def test_unknown_nic_ids_stay_unknown() -> None:
    later = UnknownValue("azurerm_network_interface.agent.id is known after apply")
    out = mapped(
        res("azurerm_linux_virtual_machine", "agent", {**LINUX_VM, "network_interface_ids": later})
    )
    assert row_of(out, VM_ID)["properties"]["networkProfile"]["networkInterfaces"] is later


# -- extensions ---------------------------------------------------------------------------
def extension(settings: Any, **kw: Any) -> TfResource:
    values = {
        "name": "ado-agent",
        "virtual_machine_id": VM_ID,
        "publisher": "Microsoft.Azure.Extensions",
        "type": "CustomScript",
        "type_handler_version": "2.0",
        "settings": settings,
        **kw.pop("values", {}),
    }
    return res("azurerm_virtual_machine_extension", "agent", values, **kw)


def test_extension_settings_are_parsed_and_protected_settings_never_copied() -> None:
    heredoc = (
        '    {\n      "fileUris": ["https://x/agent.sh"],\n      "commandToExecute": "bash"\n}\n'
    )
    protected = json.dumps({"commandToExecute": f"bash agent.sh --token {SECRET}"})
    out = mapped(
        res("azurerm_linux_virtual_machine", "agent", dict(LINUX_VM)),
        extension(heredoc, values={"protected_settings": protected}),
    )
    row = row_of(out, f"{VM_ID}/extensions/ado-agent")
    assert row["type"] == "Microsoft.Compute/virtualMachines/extensions"
    assert (row["location"], row["resourceGroup"]) == ("westeurope", "rg-build")
    props = row["properties"]
    assert props["settings"] == {"fileUris": ["https://x/agent.sh"], "commandToExecute": "bash"}
    assert (props["publisher"], props["type"], props["typeHandlerVersion"]) == (
        "Microsoft.Azure.Extensions",
        "CustomScript",
        "2.0",
    )
    assert props["protectedSettingsSet"] is True
    assert SECRET not in json.dumps(out.rows)


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        ("{not json", "is not valid JSON"),
        ('["a list"]', "is JSON but not an object"),
        ("[" * 100_000, "is not valid JSON"),  # hostile nesting: unknown, not a crash
    ],
)
def test_settings_that_are_no_json_object_are_unknown_with_the_reason(
    settings: str, why: str
) -> None:
    out = mapped(extension(settings))
    got = row_of(out, f"{VM_ID}/extensions/ado-agent")["properties"]["settings"]
    assert isinstance(got, UnknownValue) and why in got.reason


def test_extension_of_a_vm_known_only_after_apply_links_to_no_vm() -> None:
    """An unknown virtual_machine_id leaves the extension's parent unnamed: no edge to a
    node of the wrong kind, and the extension is still judged."""
    r = extension({"adoPat": SECRET})
    r.values["virtual_machine_id"] = UnknownValue("azurerm_linux_virtual_machine.a.id")
    out = mapped(r)
    (row,) = out.rows
    assert "{azurerm_virtual_machine_extension.agent virtual_machine_id}" in row["id"]
    estate = Estate()
    estate.add("tf", "terraform", Reading(out.rows, origins=out.origins))
    g = build(estate)
    k = arm.key(row["id"])
    assert list(g.out(k, "extension_of")) == []
    assert [i.key for i in RELATIONS["secret_settings"].fn(g, k)] == ["settings.adoPat"]


def test_extension_records_the_variables_its_settings_used() -> None:
    r = extension(
        UnknownValue("var.pat has no value"),
        module="module.agents",
        references={"settings": ["var.pat", "local.x", "var.org"], "name": ["var.prefix"]},
    )
    row = row_of(mapped(r), f"{VM_ID}/extensions/ado-agent")
    assert row["terraformReferences"] == {
        "settings": [
            "/providers/Terraform/variables/module.agents.var.pat",
            "/providers/Terraform/variables/module.agents.var.org",
        ]
    }


# -- variables ----------------------------------------------------------------------------
def test_variables_become_rows_without_their_defaults() -> None:
    variables = [
        {
            "module": "",
            "name": "ADO_PAT",
            "default": SECRET,
            "has_default": True,
            "sensitive": False,
            "type": "string",
            "file": "variables.tf",
            "line": 3,
        },
        {
            "module": "module.agents",
            "name": "token",
            "default": None,
            "has_default": False,
            "sensitive": True,
            "type": None,
            "file": "modules/agents/variables.tf",
            "line": 9,
        },
        {"module": "", "name": "", "file": "broken.tf", "line": 1},
    ]
    out = mapped(variables=variables)
    assert SECRET not in json.dumps(out.rows)
    pat = row_of(out, "/providers/Terraform/variables/var.ADO_PAT")
    assert pat == {
        "id": "/providers/Terraform/variables/var.ADO_PAT",
        "name": "var.ADO_PAT",
        "type": "Terraform/variables",
        "properties": {
            "variableName": "ADO_PAT",
            "module": "",
            "sensitive": False,
            "hasDefault": True,
            "variableType": "string",
            "defaultIsEmpty": False,
        },
    }
    token = row_of(out, "/providers/Terraform/variables/module.agents.var.token")
    assert token["properties"]["sensitive"] is True and "defaultIsEmpty" not in token["properties"]
    assert out.origins[pat["id"]].address == "var.ADO_PAT"
    assert out.origins[pat["id"]].location([]) == {"file": "variables.tf", "line": 3}
    assert out.gaps == ["broken.tf: a variable without a name was not mapped"]
    # an id no Azure resource can have: its namespace has no dot
    assert arm.arm_type(pat["id"]) == "terraform/variables"
    assert "." not in arm.arm_type(pat["id"]).split("/")[0]


# -- what looks secret ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("ADO_PAT", "pat"),
        ("admin_password", "password"),
        ("storageAccountKey", "account key"),
        ("workspaceKey", "workspace key"),
        ("client_secret", "secret"),
        ("sas_token", "sas"),
        ("connectionString", "connectionstring"),
        ("apiKey", "api key"),
        ("path", None),  # "pat" inside a word is no word
        ("patch_mode", None),
        ("key_vault_id", None),
        ("ssh_public_key", None),
        ("secret_name", None),  # names the secret, does not hold it
        ("password_length", None),
        ("token_url", None),
        ("workspaceId", None),
        ("commandToExecute", None),
    ],
)
def test_secret_word(name: str, word: str | None) -> None:
    assert secret_word(name) == word


def test_value_shapes() -> None:
    key = "A" * 40 + "=="
    assert value_shape(f"DefaultEndpointsProtocol=https;AccountName=st;AccountKey={key}")
    assert value_shape(f"https://st.blob.core.windows.net/c?sv=2022&sig={key}")
    assert value_shape("-----BEGIN RSA PRIVATE KEY-----\nMIIE")
    assert value_shape("ghp_" + "a" * 36)
    assert value_shape("https://st.blob.core.windows.net/scripts/agent.sh") is None
    assert value_shape("bash agent.sh --url https://dev.azure.com/contoso") is None


def _graph(rows: list[dict[str, Any]], tmp_path: Path) -> Any:
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return core.audit([path], rules=[]).graph


def _ext_row(settings: Any, refs: list[str] | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"{VM_ID}/extensions/e",
        "name": "e",
        "type": "Microsoft.Compute/virtualMachines/extensions",
        "properties": {"publisher": "p", "type": "t", "settings": settings},
    }
    if refs:
        row["terraformReferences"] = {"settings": refs}
    return row


def test_secret_settings_names_the_setting_never_the_value(tmp_path: Path) -> None:
    settings = {"commandToExecute": "bash", "nested": {"adminPassword": SECRET}, "empty_pat": ""}
    g = _graph([_ext_row(settings)], tmp_path)
    items = RELATIONS["secret_settings"].fn(g, arm.key(f"{VM_ID}/extensions/e"))
    assert [(i.key, i.extra) for i in items] == [
        (
            "settings.nested.adminPassword",
            {
                "setting": "settings.nested.adminPassword",
                "why": "its name looks like a secret (password)",
            },
        )
    ]
    assert SECRET not in repr(items)
    # the extension is linked to its VM (a placeholder here)
    assert [v for v, _ in g.out(arm.key(f"{VM_ID}/extensions/e"), "extension_of")] == [
        arm.key(VM_ID)
    ]


def test_secret_settings_through_variables(tmp_path: Path) -> None:
    """A sensitive or secret-named variable decides; one that is neither does not; one the
    estate lacks is judged by its name, else unknown; unreadable settings are unknown unless
    a secret was found already."""
    var = "/providers/Terraform/variables/var."
    rows = [
        _ext_row({"fileUris": []}, refs=[f"{var}org", f"{var}agent_key"]),
        {
            "id": f"{var}org",
            "name": "var.org",
            "type": "Terraform/variables",
            "properties": {"variableName": "org", "sensitive": True},
        },
    ]
    g = _graph(rows, tmp_path)
    items = RELATIONS["secret_settings"].fn(g, arm.key(f"{VM_ID}/extensions/e"))
    assert [(i.key, i.extra["why"]) for i in items] == [
        ("var.org", "computed from var.org, a sensitive variable")
    ]
    rows[1]["properties"]["sensitive"] = False  # var.org is neither sensitive nor secret-named
    g = _graph(rows, tmp_path)
    items = RELATIONS["secret_settings"].fn(g, arm.key(f"{VM_ID}/extensions/e"))
    # var.agent_key is not in the estate and its name is no secret one: it could be sensitive
    assert [i.key for i in items] == ["var.agent_key"]
    assert items[0].unknown and "not in the estate" in items[0].unknown
    rows[0]["terraformReferences"]["settings"].append(f"{var}client_secret")
    g = _graph(rows, tmp_path)
    items = RELATIONS["secret_settings"].fn(g, arm.key(f"{VM_ID}/extensions/e"))
    assert [(i.key, i.unknown) for i in items] == [("var.client_secret", None)]
    assert items[0].extra["why"] == "computed from var.client_secret, whose name looks like a " + (
        "secret (secret)"
    )


def test_unreadable_settings_are_unknown_unless_a_secret_decides() -> None:
    later = UnknownValue("var.pat has no default and no value was given")
    ext = extension(later, references={"settings": ["var.pat"]})
    quiet = extension(later, references={"settings": ["var.org"]})
    quiet.values["name"] = "quiet"
    out = mapped(ext, quiet)
    estate = Estate()
    estate.add("tf", "terraform", Reading(out.rows, origins=out.origins))
    g = build(estate)
    fn = RELATIONS["secret_settings"].fn
    found = fn(g, arm.key(f"{VM_ID}/extensions/ado-agent"))
    assert [(i.key, i.unknown) for i in found] == [("var.pat", None)]
    undecided = fn(g, arm.key(f"{VM_ID}/extensions/quiet"))
    assert sorted(i.key for i in undecided) == ["settings", "var.org"]
    assert all(i.unknown for i in undecided)


# -- a live scan collects extensions (their own query) but no variables ---------------------
def _live_snapshot(tmp_path: Path, names: list[str]) -> Path:
    vm = json.loads((FIXTURES / "rules" / "MLA-VM-001" / "pass.json").read_text("utf-8"))
    snapshot = {"format": "mlops-audit-snapshot", "version": 1, "collections": names, "rows": vm}
    path = tmp_path / "live.json"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    return path


def test_live_estate_judges_every_rule(tmp_path: Path) -> None:
    """A snapshot of today's collector holds the VMs' extensions (none here) and no
    Terraform variables: every rule is judged, none is left unevaluated."""
    queried = sorted(
        c.name for c in collections.DECLARATIONS if isinstance(c.source, collections.GraphQuery)
    )
    assert collections.VM_EXTENSIONS in queried
    result = scan_files([_live_snapshot(tmp_path, queried)], select=list(RULES))
    assert result.not_evaluated == []
    # no Terraform, no variables: nothing is left unjudged
    for rule_id in ("MLA-TF-001", "MLA-TF-002", "MLA-VM-002"):
        outcome = next(o for o in result.outcomes if o.rule_id == rule_id)
        assert outcome.subjects == 0 and outcome.not_evaluated == 0
    vm001 = next(o for o in result.outcomes if o.rule_id == "MLA-VM-001")
    assert vm001.status == "pass"  # Resource Graph VM rows carry the setting


def test_older_snapshot_without_extensions_reports_the_extension_rule_as_not_evaluated(
    tmp_path: Path,
) -> None:
    """A snapshot from before extensions were collected does not say 'none': the rule on
    them is not evaluated, with the reason."""
    older = ["dnsresources", "gateways", "resources"]
    result = scan_files([_live_snapshot(tmp_path, older)], select=list(RULES))
    reasons = {n.rule_id: n.reasons for n in result.not_evaluated}
    assert reasons == {"MLA-VM-002": [collections.BY_NAME[collections.VM_EXTENSIONS].absence]}


def test_live_queries_read_extensions_apart_and_no_terraform_only_types() -> None:
    from auditor import queries

    assert "microsoft.compute/virtualmachines/extensions" not in queries.RESOURCES
    assert "'microsoft.compute/virtualmachines/extensions'" in queries.VM_EXTENSIONS
    assert "terraform/variables" not in queries.RESOURCES + queries.VM_EXTENSIONS
    assert "microsoft.compute/virtualmachines'" in queries.RESOURCES


# -- the rules on their Terraform fixtures ---------------------------------------------------
@pytest.mark.parametrize("rule_id", RULES)
def test_terraform_fixtures(rule_id: str) -> None:
    folder = FIXTURES / "rules" / rule_id / "terraform"
    expect = json.loads((folder / "expect.json").read_text("utf-8"))
    failed = scan_tf(folder / "fail", select=[rule_id])
    got = sorted(
        (f.resource_id, f.location["line"] if f.location else None) for f in failed.findings
    )
    assert got == sorted((e["resource"], e["line"]) for e in expect["fail"])
    assert all(f.location and f.location["file"].endswith("fail/main.tf") for f in failed.findings)
    assert failed.not_evaluated == []
    passed = scan_tf(folder / "pass", select=[rule_id])
    assert passed.findings == [] and passed.not_evaluated == []
    assert next(o for o in passed.outcomes if o.rule_id == rule_id).status == "pass"


def test_the_articles_build_agents_leak_the_pat() -> None:
    """count = 2, element(...), a settings heredoc rendering templatefile(...) with var.ADO_PAT
    through base64encode: each agent's extension is a finding naming the variable."""
    result = scan_tf(FIXTURES / "rules" / "MLA-VM-002" / "terraform" / "fail", select=RULES)
    vm002 = [f for f in result.findings if f.rule_id == "MLA-VM-002"]
    assert [f.resource_id for f in vm002] == [
        "azurerm_virtual_machine_extension.agent[0]",
        "azurerm_virtual_machine_extension.agent[1]",
    ]
    for f in vm002:
        assert f.severity == "high"
        assert "var.ADO_PAT" in f.message and f.related_id == "var.ADO_PAT"
    # and the variable itself is not sensitive
    tf002 = [f.resource_id for f in result.findings if f.rule_id == "MLA-TF-002"]
    assert tf002 == ["var.ADO_PAT"]


# -- secrets never reach a report -----------------------------------------------------------
def _leaky_module(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(
        f"""
variable "ADO_PAT" {{
  type    = string
  default = "{SECRET}"
}}

variable "admin_password" {{
  type    = string
  default = "{SECRET}-admin"
}}

resource "azurerm_linux_virtual_machine" "agent" {{
  name                            = "vm-agent-0"
  location                        = "westeurope"
  resource_group_name             = "rg-build"
  size                            = "Standard_B2s"
  admin_username                  = "azureuser"
  admin_password                  = var.admin_password
  disable_password_authentication = false
  network_interface_ids           = ["{NIC_ID}"]
}}

resource "azurerm_virtual_machine_extension" "agent" {{
  name                 = "ado-agent"
  virtual_machine_id   = azurerm_linux_virtual_machine.agent.id
  publisher            = "Microsoft.Azure.Extensions"
  type                 = "CustomScript"
  type_handler_version = "2.0"
  settings = jsonencode({{
    commandToExecute = "bash agent.sh --token ${{var.ADO_PAT}}"
    adoPat           = "{SECRET}"
    storage          = "DefaultEndpointsProtocol=https;AccountName=st;AccountKey={SECRET}"
  }})
  protected_settings = jsonencode({{ token = "{SECRET}-protected" }})
}}
""",
        encoding="utf-8",
    )
    return tmp_path


def test_no_report_format_prints_a_secret(tmp_path: Path) -> None:
    estate = tf_estate(_leaky_module(tmp_path))
    assert any(SECRET in json.dumps(r["properties"].get("settings")) for r in estate.rows.values())
    graph = build(estate)
    chosen = [r for r in load_rules() if r.id in RULES]
    result = evaluate(chosen, graph)
    result.relabel(estate.origins)
    fired = {(f.rule_id, f.resource_id) for f in result.findings}
    assert {
        ("MLA-VM-001", "azurerm_linux_virtual_machine.agent"),
        ("MLA-VM-002", "azurerm_virtual_machine_extension.agent"),
        ("MLA-TF-001", "var.ADO_PAT"),
        ("MLA-TF-001", "var.admin_password"),
        ("MLA-TF-002", "var.ADO_PAT"),
        ("MLA-TF-002", "var.admin_password"),
    } <= fired
    settings = {f.related_id for f in result.findings if f.rule_id == "MLA-VM-002" and f.related_id}
    assert settings == {"settings.adoPat", "settings.storage", "var.ADO_PAT"}
    run = Run(graph, result, "high", chosen, "2026-01-01T00:00:00Z")
    for fmt in REGISTRY:
        if fmt.name == "table":
            continue
        text = render(fmt.name, run)
        assert SECRET not in text, fmt.name
        assert "ado-agent" in text and "var.ADO_PAT" in text.replace("\\_", "_"), fmt.name


def test_arm_rows_with_secrets_do_not_leak_either() -> None:
    run = core.audit(
        [FIXTURES / "rules" / "MLA-VM-002" / "fail.json"],
        select=["MLA-VM-002"],
        generated_at="2026-01-01T00:00:00Z",
    )
    assert len(run.result.findings) == 4
    for fmt in REGISTRY:
        if fmt.name == "table":
            continue
        text = render(fmt.name, run)
        for leaked in ("fixture-pat-not-a-real-token", "FAKE0KEY0FOR0FIXTURES0ONLY"):
            assert leaked not in text, (fmt.name, leaked)
