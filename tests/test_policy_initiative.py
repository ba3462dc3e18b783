"""``mlops-audit policy-initiative``: the built-ins the rules reference as one assignable
initiative — the REST API's shape, one reference per definition, every definition parameter
surfaced, MCSB groups declared, the same bytes every run — and the recorded built-ins
behind it checked against the rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from auditor import initiative, mcsb
from auditor.rules import load_rules

from .conftest import ROOT
from .test_custom_prefix import ORG_RULE
from .test_inputs import assert_one_line_error, run_cli

SCHEMA = json.loads((ROOT / "tests" / "data" / "policy-set-definition.schema.json").read_text())
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
KNOWN = initiative.builtin_policies()["definitions"]


def generate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[dict, str]:  # type: ignore[type-arg]
    code, out, err = run_cli(["policy-initiative", *argv], capsys)
    assert code == 0, err
    return json.loads(out), err


def guids(doc: dict) -> list[str]:  # type: ignore[type-arg]
    return [
        r["policyDefinitionId"].rsplit("/", 1)[1] for r in doc["properties"]["policyDefinitions"]
    ]


def org_rule(root: Path, rid: str, policy: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    text = ORG_RULE.format(id=rid) + f"policy:\n  - {{name: Our own policy, id: {policy}}}\n"
    (root / f"{rid}.yaml").write_text(text, encoding="utf-8")
    return root


# -- the recorded built-ins ---------------------------------------------------------------
def test_every_policy_a_rule_references_is_a_recorded_current_builtin() -> None:
    referenced = set()
    for rule in load_rules():
        for ref in rule.spec.policy:
            assert GUID.fullmatch(ref.id), (rule.id, ref.id)
            assert ref.id in KNOWN, f"{rule.id}: {ref.id} is not in builtin_policies.json"
            entry = KNOWN[ref.id]
            assert ref.name == entry["displayName"], (rule.id, ref.name, entry["displayName"])
            assert not entry.get("deprecated"), f"{rule.id}: {ref.id} is deprecated"
            referenced.add(ref.id)
    assert referenced == set(KNOWN), "builtin_policies.json records a definition no rule uses"
    source = initiative.builtin_policies()["source"]
    assert re.fullmatch(r"[0-9a-f]{40}", source["commit"])


def test_the_recorded_parameters_are_well_formed() -> None:
    for guid, entry in KNOWN.items():
        assert entry["source"].startswith("built-in-policies/policyDefinitions/"), guid
        for name, spec in entry["parameters"].items():
            assert spec["type"] in ("String", "Array", "Object", "Boolean", "Integer"), (guid, name)
            if "allowedValues" in spec and "defaultValue" in spec:
                assert spec["defaultValue"] in spec["allowedValues"], (guid, name)
        fixed = "effect" not in entry["parameters"]
        assert fixed == (not entry["effect"].startswith("[parameters(")), guid


# -- the document -------------------------------------------------------------------------
def test_the_initiative_has_the_rest_api_shape(capsys: pytest.CaptureFixture[str]) -> None:
    doc, _ = generate(capsys)
    jsonschema.validate(doc, SCHEMA)
    props = doc["properties"]
    assert doc["name"] == "mlops-audit" and props["policyType"] == "Custom"
    assert props["metadata"]["generatedBy"].startswith("mlops-audit ")
    assert props["metadata"]["category"] and props["metadata"]["version"]
    for ref in props["policyDefinitions"]:
        assert re.fullmatch(
            r"/providers/Microsoft\.Authorization/policyDefinitions/[0-9a-f-]{36}",
            ref["policyDefinitionId"],
        )


def test_the_schema_refuses_what_azure_would(capsys: pytest.CaptureFixture[str]) -> None:
    """The schema can fail: a misspelt key, a lower-case type, a reference without id."""
    doc, _ = generate(capsys)
    bad = json.loads(json.dumps(doc))
    bad["properties"]["policyDefinitions"][0]["groupName"] = ["NS-2"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)
    bad = json.loads(json.dumps(doc))
    next(iter(bad["properties"]["parameters"].values()))["type"] = "string"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)
    bad = json.loads(json.dumps(doc))
    bad["properties"]["description"] = "x" * 513
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)
    bad = json.loads(json.dumps(doc))
    del bad["properties"]["policyDefinitions"][0]["policyDefinitionId"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


def test_one_reference_per_definition_naming_every_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc, _ = generate(capsys)
    found = guids(doc)
    assert len(found) == len(set(found))
    expected = {ref.id for rule in load_rules() for ref in rule.spec.policy}
    assert set(found) == expected
    refs = {r["policyDefinitionReferenceId"]: r for r in doc["properties"]["policyDefinitions"]}
    assert len(refs) == len(found)
    # two rules share the ACR public-access built-in: one reference names both
    shared = refs["MLA-ACR-001_MLA-ACR-002-0fdf0491"]
    assert shared["policyDefinitionId"].endswith("0fdf0491-d080-4575-b627-ad0e843cba0f")
    # one rule with two built-ins of its own: two references, told apart
    assert {"MLA-AKS-001-040732e8", "MLA-AKS-001-0e246bcf"} <= set(refs)
    by_rule = {r.id: r for r in load_rules()}
    for ref_id, ref in refs.items():
        rule_ids = ref_id.rsplit("-", 1)[0].split("_")
        guid = ref["policyDefinitionId"].rsplit("/", 1)[1]
        assert all(guid in {p.id for p in by_rule[r].spec.policy} for r in rule_ids)
        controls = {c for r in rule_ids for c in by_rule[r].spec.mcsb}
        assert ref["groupNames"] == sorted(controls, key=mcsb.order)


def test_groups_are_the_mcsb_controls_declared_once(capsys: pytest.CaptureFixture[str]) -> None:
    doc, _ = generate(capsys)
    props = doc["properties"]
    declared = [g["name"] for g in props["policyDefinitionGroups"]]
    used = {g for r in props["policyDefinitions"] for g in r.get("groupNames", [])}
    assert sorted(declared, key=mcsb.order) == declared and set(declared) == used
    for group in props["policyDefinitionGroups"]:
        assert group["name"] in mcsb.CONTROLS
        assert group["additionalMetadataId"] == (
            "/providers/Microsoft.PolicyInsights/policyMetadata/"
            f"Azure_Security_Benchmark_v3.0_{group['name']}"
        )
        assert group["displayName"] == f"{group['name']}: {mcsb.TITLES[group['name']]}"
    assert {"NS-1", "NS-2", "NS-10", "IM-1", "DP-8"} <= set(declared)


def test_every_definition_parameter_is_surfaced_so_it_can_be_assigned(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc, err = generate(capsys)
    props = doc["properties"]
    for ref in props["policyDefinitions"]:
        entry = KNOWN[ref["policyDefinitionId"].rsplit("/", 1)[1]]
        values = ref.get("parameters", {})
        assert set(values) == set(entry["parameters"])
        for pname, value in values.items():
            (iname,) = re.fullmatch(r"\[parameters\('([A-Za-z0-9_]+)'\)\]", value["value"]).groups()
            param = props["parameters"][iname]
            spec = entry["parameters"][pname]
            assert param["type"] == spec["type"]
            assert param.get("allowedValues") == spec.get("allowedValues")
            assert param.get("defaultValue") == spec.get("defaultValue")
    bound = {
        v["value"] for r in props["policyDefinitions"] for v in r.get("parameters", {}).values()
    }
    assert {f"[parameters('{n}')]" for n in props["parameters"]} == bound  # none unused
    # the Azure ML DNS policy's zone has no default: required at assignment, and said so
    dns = props["parameters"]["privateDnsZoneId_MLA_DNS_003_ee40564d"]
    assert "defaultValue" not in dns
    assert dns["metadata"]["strongType"] == "Microsoft.Network/privateDnsZones"
    assert "needs privateDnsZoneId at assignment" in err
    assert "managed identity" in err and "4d97b98b-1d4f-4787-a291-c67834d212e7" in err
    assert "fixed effect deny" in err and "--skip MLA-PIP-001" in err


def test_select_and_skip_narrow_it_as_for_scan(capsys: pytest.CaptureFixture[str]) -> None:
    doc, _ = generate(capsys, "--select", "MLA-ACR")
    assert sorted(guids(doc)) == sorted(
        {ref.id for r in load_rules() if r.id.startswith("MLA-ACR") for ref in r.spec.policy}
    )
    assert doc["properties"]["metadata"]["rules"] == [
        "MLA-ACR-001",
        "MLA-ACR-002",
        "MLA-ACR-003",
        "MLA-ACR-004",
    ]
    doc, err = generate(capsys, "--skip", "MLA-PIP-001,MLA-DNS")
    assert "83a86a26-fd1f-447c-b59d-e51f44264114" not in guids(doc)
    assert "ee40564d-486e-4f68-a5ca-7a621edae0fb" not in guids(doc)
    assert "NS-10" not in {g["name"] for g in doc["properties"]["policyDefinitionGroups"]}
    assert err == ""  # nothing left that an assignment must be told about
    doc, _ = generate(capsys, "--select", "authentication")
    assert {r["policyDefinitionReferenceId"].split("-", 2)[1] for r in
            doc["properties"]["policyDefinitions"]} == {"ACR", "AML", "APPI", "VM"}  # fmt: skip


def test_a_custom_rules_policy_is_included(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = org_rule(tmp_path / "org", "ORG-STG-001", "11111111-2222-4333-8444-555555555555")
    org_rule(org, "ORG-STG-002", "b2982f36-99f2-4db5-8eff-283140c09693")  # a known built-in
    doc, err = generate(capsys, "--rules", str(org), "--select", "ORG,MLA-STG")
    refs = {r["policyDefinitionReferenceId"]: r for r in doc["properties"]["policyDefinitions"]}
    unknown = refs["ORG-STG-001-11111111"]
    assert "parameters" not in unknown and "groupNames" not in unknown  # no mcsb on the rule
    assert "11111111-2222-4333-8444-555555555555 (ORG-STG-001) is not a built-in" in err
    # a custom rule naming a built-in shares its reference with the built-in rules
    assert "MLA-STG-001_MLA-STG-002_ORG-STG-002-b2982f36" in refs
    jsonschema.validate(doc, SCHEMA)


def test_the_same_rules_give_the_same_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_cli(["policy-initiative"], capsys)[1]
    second = run_cli(["policy-initiative"], capsys)[1]
    assert first == second
    out = tmp_path / "sub" / "initiative.json"
    code, stdout, _ = run_cli(["policy-initiative", "--output", str(out)], capsys)
    assert code == 0 and stdout == ""
    assert out.read_text(encoding="utf-8") == first
    code, _, _ = run_cli(["policy-initiative", "--name", "ml-net", "--output", str(out)], capsys)
    assert code == 0 and json.loads(out.read_text())["name"] == "ml-net"
    # the order of the rules it is given does not matter
    rules = load_rules()
    a = initiative.render(initiative.build(rules))
    b = initiative.render(initiative.build(list(reversed(rules))))
    assert a == b


# -- refusals: one line, exit 2 -----------------------------------------------------------
def test_an_unwritable_output_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    target = blocker / "initiative.json"  # its folder is a file
    code, out, err = run_cli(["policy-initiative", "--output", str(target)], capsys)
    assert_one_line_error(code, out, err, target, ["cannot write the initiative"])


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--output", ""], ["--output", "needs a file path"]),
        (["--output", "-"], ["--output", "needs a file path"]),
        (["--select", "MLA-NOPE"], ["--select MLA-NOPE", "matches no rule"]),
        (["--skip", "NOPE"], ["--skip NOPE", "matches no rule"]),
        (["--select", ""], ["--select", "empty"]),
        (["--select", "MLA-NET"], ["reference no Azure Policy definition"]),
        (["--name", "a/b"], ["--name", "may not hold"]),
        (["--name", "x" * 65], ["--name", "at most 64"]),
        (["--name", " "], ["--name", "empty"]),
        (["--name", "ml\nnet"], ["--name", "control character"]),
        (["--name", "ml-net\t"], ["--name", "control character"]),
        (["--name", "ml\x7fnet"], ["--name", "control character"]),
    ],
)
def test_a_bad_request_is_one_line_exit_2(
    argv: list[str], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["policy-initiative", *argv], capsys)
    assert code == 2 and out == "" and "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    for word in words:
        assert word in err, err


def test_it_never_overwrites_a_rule_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = org_rule(tmp_path / "org", "ORG-STG-001", "b2982f36-99f2-4db5-8eff-283140c09693")
    rule_file = org / "ORG-STG-001.yaml"
    before = rule_file.read_text()
    code, out, err = run_cli(
        ["policy-initiative", "--rules", str(org), "--output", str(rule_file)], capsys
    )
    assert_one_line_error(code, out, err, rule_file, ["is the rule file"])
    assert rule_file.read_text() == before


def test_the_readme_names_what_the_command_writes(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's example names (reference id, parameters) are the document's."""
    doc, _ = generate(capsys)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Azure Policy: the same checks between scans", 1)[1]
    section = section.split("\n## ", 1)[0]
    refs = {r["policyDefinitionReferenceId"] for r in doc["properties"]["policyDefinitions"]}
    named = set(re.findall(r"`(MLA-[A-Z0-9_-]+-[0-9a-f]{8})`", section))
    assert named and named <= refs
    params = set(
        re.findall(r"\b((?:effect|privateDnsZoneId|secondPrivateDnsZoneId)_[A-Za-z0-9_]+)", section)
    )
    assert params and params <= set(doc["properties"]["parameters"])
    # an Azure ML workspace endpoint needs both zones: api.azureml.ms and notebooks
    zones = {p for p in params if p.lower().startswith(("privatednszoneid", "secondprivate"))}
    assert len(zones) == 2, zones
    assert "privatelink.notebooks.azure.net" in section
