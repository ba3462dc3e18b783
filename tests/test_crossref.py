"""The Azure-native cross-reference: Azure Policy states and Defender for Cloud assessments
collected in the Resource Graph pass (through the real SDK against tests/fake_arm.py), kept
in the snapshot, matched to findings by ARM id (case-insensitively, a parent's flag covering
its children), listed where no rule covers them — and "not available" whenever they were
not collected, never "nothing flags this"."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor import audit, collections, crossref, merge, queries
from auditor.collect import Scope
from auditor.estate import Estate, Reading
from auditor.findings import Finding
from auditor.model import ASSESSMENT_TYPE, FLAG_FIELDS, POLICY_STATE_TYPE
from auditor.report import html_report, json_report, markdown, sarif, terminal
from auditor.report.view import build

from . import sarif_profile
from .conftest import FIXTURES
from .fake_arm import FakeArm, write_stub_az
from .test_live import collector

SNAPSHOT = FIXTURES / "crossref" / "snapshot.json"
SUB = "00000000-0000-0000-0000-000000000001"
ACR = f"/subscriptions/{SUB}/resourceGroups/rg-aml/providers/Microsoft.ContainerRegistry/registries"
ADVISORY = collections.ADVISORY_TYPES


def fixture() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return doc


def write(tmp_path: Path, doc: Any, name: str = "snap.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def report(path: Path | list[Path], **kw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json_report.render(build(audit(path, **kw))))
    return doc


def by_resource(doc: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {(f["rule_id"], f["resource_name"]): f["also_flagged_by"] for f in doc["findings"]}


# -- matching -------------------------------------------------------------------------------
def test_findings_name_what_also_flags_them_case_insensitively() -> None:
    doc = report(SNAPSHOT)
    flags = by_resource(doc)
    dev = flags[("MLA-ACR-001", "crmlopsdev")]
    # the policy state names the registry in upper case: still the same resource
    assert [(e["source"], e["match"]) for e in dev] == [
        ("policy", "same-check"),  # 0fdf0491 is in MLA-ACR-001's policy list
        ("defender", "same-resource"),
        ("policy", "same-resource"),
    ]
    assert dev[0]["assignment_name"] == "mlops-baseline"
    assert dev[0]["definition_id"].endswith("0fdf0491-d080-4575-b627-ad0e843cba0f")
    test = flags[("MLA-ACR-001", "crmlopstest")]
    assert test[0] == {
        "source": "defender",
        "resource_id": f"{ACR}/crmlopstest",
        "assessment_key": "dbd0cb49-b563-45e7-9724-889e799fa648",
        "display_name": "Container registries should not allow unrestricted network access",
        "definition_id": "/providers/Microsoft.Authorization/policyDefinitions/"
        "d0793b48-0edc-4296-a390-4c75d1bdfd71",
        "severity": "Medium",
        "match": "same-check",
    }
    # the same definition is not "the same check" for a rule that does not name it
    prod = flags[("MLA-ACR-002", "crmlopsprod")]
    assert [e["match"] for e in prod] == ["same-resource"]


def test_a_custom_definition_named_as_a_built_in_is_not_the_same_check(tmp_path: Path) -> None:
    """A custom copy of a built-in (a management group's definition that kept the GUID as
    its name, maybe with other conditions) is not the built-in a rule names: never
    "same-check", and listed as covered by no rule, apart from the built-in."""
    doc = fixture()
    state = next(r for r in doc["rows"] if str(r.get("resourceId", "")).endswith("CRMLOPSDEV"))
    custom = "/providers/Microsoft.Management/managementGroups/corp/providers/"
    custom += "Microsoft.Authorization/policyDefinitions/0fdf0491-d080-4575-b627-ad0e843cba0f"
    doc["rows"].append({**state, "id": state["id"] + "c", "policyDefinitionId": custom})
    out = report(write(tmp_path, doc))
    dev = by_resource(out)[("MLA-ACR-001", "crmlopsdev")]
    matches = {e["definition_id"]: e["match"] for e in dev if e["source"] == "policy"}
    assert matches[custom] == "same-resource"
    assert matches[state["policyDefinitionId"]] == "same-check"
    listed = [g["definition_id"] for g in out["azure_cross_reference"]["not_covered"]]
    assert custom in listed and state["policyDefinitionId"] not in listed


def test_what_no_rule_covers_is_grouped_by_definition() -> None:
    x = report(SNAPSHOT)["azure_cross_reference"]
    groups = [(g["source"], g["resource_count"]) for g in x["not_covered"]]
    assert groups == [("policy", 3), ("defender", 1)]
    cmk = x["not_covered"][0]
    assert cmk["definition_id"].endswith("5b9159ae-1701-4a6f-9a7a-aa9c8ddd0580")
    # the registry outside the estate is not audited: not listed
    assert not any("elsewhere" in r for r in cmk["resources"])
    assert cmk["resources"] == sorted(cmk["resources"], key=str.lower)
    # a Defender recommendation without a policy groups by its assessment key
    assert x["not_covered"][1]["assessment_key"] == "4a1b7c1e-0000-4000-8000-000000000001"
    assert x["sources"]["policy"]["available"] and x["sources"]["defender"]["available"]


def _finding(rid: str, rule: str = "MLA-NSG-001") -> Finding:
    return Finding(rule, "t", "high", "nsg", rid, "n", "t", "m", [], "r", "fp-" + rid)


def _estate(rows: list[dict[str, Any]]) -> Estate:
    estate = Estate()
    estate.add("x.json", "snapshot", Reading(rows, collections=list(collections.NAMES)))
    return estate


def _state(resource: str, definition: str = "abc", n: int = 1) -> dict[str, Any]:
    return {
        "id": f"{resource}/providers/Microsoft.PolicyInsights/policyStates/{n}",
        "type": "microsoft.policyinsights/policystates",
        "resourceId": resource,
        "complianceState": "NonCompliant",
        "policyAssignmentId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
        "policyAssignments/a1",
        "policyDefinitionId": f"/providers/Microsoft.Authorization/policyDefinitions/{definition}",
    }


def test_a_parent_flag_covers_its_children_never_the_reverse() -> None:
    net = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network"
    vnet, nsg = f"{net}/virtualNetworks/v", f"{net}/networkSecurityGroups/n"
    rows = [
        {"id": vnet, "type": "microsoft.network/virtualnetworks"},
        {"id": nsg, "type": "microsoft.network/networksecuritygroups"},
        _state(vnet.upper(), n=1),  # on the VNet, cased otherwise
        _state(f"{nsg}/securityRules/r1", n=2),  # on a child: flags no finding on the NSG
    ]
    subnet, on_vnet, on_nsg = (
        _finding(f"{vnet}/subnets/s"),
        _finding(vnet, "MLA-NET-001"),
        _finding(nsg),
    )
    crossref.build(_estate(rows), [], [subnet, on_vnet, on_nsg])
    assert [e["resource_id"] for e in subnet.also_flagged_by or []] == [vnet.upper()]
    assert [e["resource_id"] for e in on_vnet.also_flagged_by or []] == [vnet.upper()]
    assert on_nsg.also_flagged_by == []  # available, and nothing flags it


def test_a_hostile_deep_id_costs_a_bounded_walk() -> None:
    """An id of a thousand child segments (within MAX_ID) is walked a few levels up, not a
    thousand: 100k such rows must not cost minutes. ARM's types nest a handful deep."""
    deep = f"{ACR}/r" + "/x/y" * 990
    assert len(deep) <= crossref.MAX_ID
    walked = crossref.lineage(deep.lower())
    assert len(walked) <= crossref.MAX_DEPTH + 1
    assert walked[:2] == [deep.lower(), deep.lower()[: -len("/x/y")]]
    subnet = f"{ACR}/r/a/b/c/d".lower()  # a real depth is walked whole, to the top
    assert crossref.lineage(subnet)[-1] == f"{ACR}/r".lower()


def test_a_subnet_is_audited_with_its_vnet_and_policy_reads_subnets() -> None:
    net = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network"
    vnet = f"{net}/virtualNetworks/v"
    rows = [
        {"id": vnet, "type": "microsoft.network/virtualnetworks"},
        _state(f"{vnet}/subnets/s", "e71308d3-144b-4262-b144-efdc3cc90517"),  # MLA-NSG-001's
    ]
    from auditor.rules import load_rules

    nsg001 = [r for r in load_rules() if r.id == "MLA-NSG-001"]
    f = _finding(f"{vnet}/subnets/s")
    x = crossref.build(_estate(rows), nsg001, [f])
    assert [e["match"] for e in f.also_flagged_by or []] == ["same-check"]
    assert x.sources["policy"].on_audited == 1 and x.not_covered == []
    x = crossref.build(_estate(rows), [], [])  # no rule names it: not covered, and listed
    assert x.not_covered[0]["resources"] == [f"{vnet}/subnets/s"]
    # the live query keeps the types policy evaluates that the model reads embedded or by ARM
    for t in (
        "microsoft.network/virtualnetworks/subnets",
        "microsoft.machinelearningservices/workspaces/computes",
    ):
        assert f"'{t}'" in queries.POLICY_STATES


# -- hostile values -------------------------------------------------------------------------
def test_hostile_rows_are_dropped_with_a_reason_never_a_crash() -> None:
    good = _state(f"{ACR}/r", n=1)
    rows: list[dict[str, Any]] = [
        {"id": f"{ACR}/r", "type": "microsoft.containerregistry/registries"}
    ]
    bad: dict[str, dict[str, Any]] = {
        "resourceId is not a string": {"resourceId": ["x"]},
        "resourceId is not an ARM id": {"resourceId": "/" + "a" * 5000},
        "no policyDefinitionId": {"policyDefinitionId": None},
        "policyAssignmentName is not a string": {"policyAssignmentName": {"$ne": 1}},
        "complianceState is not NonCompliant": {"complianceState": "Compliant"},
    }
    for n, change in enumerate(bad.values(), start=2):
        rows.append({**good, **change, "id": f"{good['id']}{n}"})
    assessment = {
        "id": f"{ACR}/r/providers/Microsoft.Security/assessments/k",
        "type": "Microsoft.Security/assessments",
        "name": "k",
        "statusCode": "Unhealthy",
    }
    rows += [
        {**assessment, "resourceDetails": [f"{ACR}/r"]},
        {**assessment, "id": assessment["id"] + "2", "resourceDetails": {"Source": "Azure"}},
        {**assessment, "id": assessment["id"] + "3", "resourceDetails": {"ID": 7}},
        {
            **assessment,
            "id": assessment["id"] + "5",
            "resourceDetails": {"id": f"{ACR}/r"},
            "policyDefinitionId": 5,
        },
        {
            **assessment,
            "id": assessment["id"] + "4",
            "resourceDetails": {"Id": f"{ACR}/r"},
            "displayName": "\x1b[31mred\x07 <script>x</script> | *b*",
        },
        good,
    ]
    f = _finding(f"{ACR}/r", "MLA-ACR-001")
    x = crossref.build(_estate(rows), [], [f])
    assert x.sources["policy"].dropped == {k: 1 for k in bad}
    assert x.sources["defender"].dropped == {
        "resourceDetails is not an object": 1,
        "no resourceDetails.Id": 1,
        "resourceDetails.Id is not a string": 1,
        "policyDefinitionId is not a string": 1,
    }
    assert [e["source"] for e in f.also_flagged_by or []] == ["defender", "policy"]


def test_control_characters_stay_data_in_every_human_format(tmp_path: Path) -> None:
    view = build(audit(SNAPSHOT))
    for text in (markdown.render(view), html_report.render(view)):
        assert "\x1b" not in text and "\x07" not in text
        assert "<b>x</b>" not in text
    page = html_report.render(view)
    assert '<section id="azure">' in page and "also flagged by Azure (3)" in page
    assert "<b>same check</b>" in page
    table = terminal.render(view)
    assert (
        "Azure Policy: 4 flag(s)" in table
        and "also flagged by Azure: 3 (1 the same check)" in table
    )
    assert "\x1b" not in table
    doc = json.loads(json_report.render(view))  # JSON keeps the data as it is
    names = doc["azure_cross_reference"]["not_covered"][0]["assignments"]
    assert "evil\x1b[31m\x07|<b>x</b>" in names


# -- not available: never "nothing flags this" ----------------------------------------------
def test_a_snapshot_without_them_says_not_available(tmp_path: Path) -> None:
    doc = fixture()
    doc["collections"] = [c for c in doc["collections"] if c not in ("policystates", "assessments")]
    doc["rows"] = [r for r in doc["rows"] if r["type"].lower() not in ADVISORY]
    out = report(write(tmp_path, doc))
    assert all(f["also_flagged_by"] is None for f in out["findings"])
    x = out["azure_cross_reference"]
    assert not x["sources"]["policy"]["available"]
    assert "not collected" in x["sources"]["policy"]["reason"]
    assert x["not_covered"] == []
    md = markdown.render(build(audit(write(tmp_path, doc))))
    assert "Azure Policy: not available (not collected" in md
    assert "Azure flags nothing" not in md


def test_one_source_missing_leaves_the_other(tmp_path: Path) -> None:
    doc = fixture()
    doc["collections"].remove("assessments")
    doc["rows"] = [r for r in doc["rows"] if r["type"].lower() != ASSESSMENT_TYPE]
    out = report(write(tmp_path, doc))
    assert out["azure_cross_reference"]["sources"]["policy"]["available"]
    assert not out["azure_cross_reference"]["sources"]["defender"]["available"]
    assert all(isinstance(f["also_flagged_by"], list) for f in out["findings"])


def test_a_snapshot_that_does_not_declare_them_is_not_available_whatever_its_rows(
    tmp_path: Path,
) -> None:
    """A collect over two scopes whose assessments query failed in one keeps the other's
    rows but does not declare the collection: the rows are partial, so the source is not
    available (nor in the parts partition makes of it), never "nothing else flags this"."""
    from auditor import partition

    doc = fixture()
    doc["collections"].remove("assessments")  # the rows of ASSESSMENT_TYPE stay
    path = write(tmp_path, doc)
    out = report(path)
    x = out["azure_cross_reference"]["sources"]
    assert x["policy"]["available"] and not x["defender"]["available"]
    assert "not collected" in x["defender"]["reason"]
    assert all(e["source"] == "policy" for f in out["findings"] for e in f["also_flagged_by"])
    for part in partition.split(path, 2):
        assert "assessments" not in part["collections"]
        assert "policystates" in part["collections"]


def test_an_input_without_them_makes_the_whole_not_available(tmp_path: Path) -> None:
    other = write(
        tmp_path, [{"id": f"{ACR}/other", "type": "microsoft.storage/storageaccounts"}], "raw.json"
    )
    out = report([SNAPSHOT, other])
    x = out["azure_cross_reference"]["sources"]
    assert not x["policy"]["available"] and "not collected" in x["policy"]["reason"]
    assert all(f["also_flagged_by"] is None for f in out["findings"])


def test_a_terraform_input_holds_none_of_them(tmp_path: Path) -> None:
    """Source code says nothing of Azure's verdicts: beside a snapshot that holds them,
    the run's are not available (and no Terraform finding reads "nothing flags this")."""
    out = report([SNAPSHOT, FIXTURES / "terraform" / "article"])
    x = out["azure_cross_reference"]["sources"]
    assert not x["policy"]["available"] and not x["defender"]["available"]
    assert all(f["also_flagged_by"] is None for f in out["findings"])
    alone = report(FIXTURES / "terraform" / "article")
    assert not alone["azure_cross_reference"]["sources"]["policy"]["available"]


def test_a_raw_export_holding_them_is_available(tmp_path: Path) -> None:
    """What the README's recipe writes: one array of the queries' rows, no declaration."""
    rows = [r for r in fixture()["rows"] if not isinstance(r.get("resourceId", ""), int)]
    out = report(write(tmp_path, rows, "estate.json"))
    x = out["azure_cross_reference"]["sources"]
    assert x["policy"]["available"] and x["defender"]["available"]
    assert by_resource(out) == by_resource(report(SNAPSHOT))


def test_they_never_change_a_verdict(tmp_path: Path) -> None:
    doc = fixture()
    doc["rows"] = [r for r in doc["rows"] if r["type"].lower() not in ADVISORY]
    without = report(write(tmp_path, doc))
    with_them = report(SNAPSHOT)
    for d in (without, with_them):
        d.pop("azure_cross_reference")
        d.pop("generated_at")
        d.pop("inputs")
        d["inventory"].pop("rows_read")
        for f in d["findings"]:
            f.pop("also_flagged_by")
    assert without == with_them
    assert with_them["inventory"]["unknown_types"] == {}  # not resources


# -- reports --------------------------------------------------------------------------------
def test_csv_names_them_last_and_says_not_available() -> None:
    import csv
    import io

    from auditor.report import csv_report

    def cells(view: Any) -> list[str]:
        text = csv_report.render(view).lstrip("\ufeff")
        return [r["also_flagged_by"] for r in csv.DictReader(io.StringIO(text))]

    assert csv_report.COLUMNS[-1] == "also_flagged_by"
    got = cells(build(audit(SNAPSHOT)))
    assert got[0].startswith("policy mlops-baseline [same-check]; defender ")
    assert "\x1b" not in "".join(got)
    assert set(cells(build(audit(FIXTURES / "reference-good.json")))) <= {"not available"}


def test_a_resource_flagged_by_thousands_stays_readable_in_every_format(tmp_path: Path) -> None:
    """A resource under a large initiative (or a hostile export) flagged 5,000 times: the
    CSV cell stays within a spreadsheet's 32,767 characters (and csv's own field limit),
    the HTML lists a few per finding; the JSON report keeps them all."""
    import csv
    import io

    from auditor.report import csv_report

    doc = fixture()
    state = next(r for r in doc["rows"] if "policyStates" in r["id"])
    for n in range(5000):
        doc["rows"].append(
            {
                **state,
                "id": state["id"] + f"x{n}",
                "policyAssignmentName": "a" * 200 + f"{n}",
                "policyDefinitionId": f"/providers/Microsoft.Authorization/policyDefinitions/d{n}",
            }
        )
    view = build(audit(write(tmp_path, doc)))
    text = csv_report.render(view).lstrip("\ufeff")
    cells = [r["also_flagged_by"] for r in csv.DictReader(io.StringIO(text))]
    assert max(len(c) for c in cells) <= 32767
    assert any("more in the JSON report" in c for c in cells)
    html = html_report.render(view)
    assert html.count("<li>") < 200
    assert "more in the JSON report" in html
    # SARIF: the same few per result, and the total, so Azure's list never costs a result
    # its place under GitHub's gzip budget
    results = json.loads(sarif.render(view))["runs"][0]["results"]
    props = [r["properties"] for r in results]
    assert max(len(p["alsoFlaggedBy"]) for p in props) == sarif.MAX_FLAGS
    assert max(p["alsoFlaggedByCount"] for p in props) > 5000
    assert all(p["alsoFlaggedByCount"] >= len(p["alsoFlaggedBy"]) for p in props)
    flagged = json.loads(json_report.render(view))["findings"]
    assert max(len(f["also_flagged_by"]) for f in flagged) > 5000
    # NDJSON: each line stays far below the Logs Ingestion API's 1 MB call, with the count
    from auditor import upload
    from auditor.report import ndjson

    text = ndjson.render(view)
    assert max(len(line.encode()) for line in text.splitlines()) < 100_000
    lines = [json.loads(t) for t in text.splitlines() if '"finding"' in t]
    assert max(len(r["AlsoFlaggedBy"]) for r in lines) == ndjson.MAX_FLAGS
    assert max(r["AlsoFlaggedByCount"] for r in lines) > 5000
    assert all(r["AlsoFlaggedByCount"] >= len(r["AlsoFlaggedBy"]) for r in lines)
    path = tmp_path / "r.ndjson"
    path.write_text(text, encoding="utf-8")
    assert len(upload.read_rows(str(path))) == len(text.splitlines())  # upload takes the lines


def test_ndjson_finding_lines_carry_them() -> None:
    from auditor.report import ndjson

    lines = [json.loads(t) for t in ndjson.render(build(audit(SNAPSHOT))).splitlines()]
    found = [r["AlsoFlaggedBy"] for r in lines if r["RecordType"] == "finding"]
    assert len(found) == 3 and all(found)
    assert found[0][0]["match"] == "same-check"
    assert all(r["AlsoFlaggedBy"] is None for r in lines if r["RecordType"] != "finding")
    counts = [r["AlsoFlaggedByCount"] for r in lines if r["RecordType"] == "finding"]
    assert counts == [len(f) for f in found]
    assert all(r["AlsoFlaggedByCount"] is None for r in lines if r["RecordType"] != "finding")


def test_sarif_carries_them_in_properties_not_as_results() -> None:
    text = sarif.render(build(audit(SNAPSHOT)))
    log = json.loads(text)
    schema = json.loads((FIXTURES.parent / "tests/data/sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    assert sarif_profile.problems(log, text) == []  # GitHub's ingestion rules
    run = log["runs"][0]
    assert len(run["results"]) == 3
    flagged = [r["properties"]["alsoFlaggedBy"] for r in run["results"]]
    assert all(flagged)
    assert run["properties"]["azureCrossReference"]["notCovered"] == 2
    assert run["properties"]["azureCrossReference"]["sources"]["policy"]["available"]


def test_human_formats_cap_the_list_full_in_json(tmp_path: Path) -> None:
    doc = fixture()
    for n in range(30):  # thirty definitions no rule names, one resource each
        state = copy.deepcopy(next(r for r in doc["rows"] if "policyStates" in r["id"]))
        state["id"] += f"x{n}"
        state["policyDefinitionId"] = (
            f"/providers/Microsoft.Authorization/policyDefinitions/d{n:02}"
        )
        doc["rows"].append(state)
    view = build(audit(write(tmp_path, doc)))
    assert len(view.crossref.not_covered) == 32  # type: ignore[union-attr]
    assert "… and 12 more group(s)" in markdown.render(view)
    assert len(json.loads(json_report.render(view))["azure_cross_reference"]["not_covered"]) == 32


def test_merged_reports_keep_them(tmp_path: Path) -> None:
    first = tmp_path / "a.json"
    first.write_text(json_report.render(build(audit(SNAPSHOT))), encoding="utf-8")
    from auditor.rules import load_rules

    view = merge.merge_files([str(first)], load_rules())
    again = json.loads(json_report.render(view))
    original = json.loads(first.read_text(encoding="utf-8"))
    assert again["azure_cross_reference"] == original["azure_cross_reference"]
    assert by_resource(again) == by_resource(original)


def test_a_merged_report_without_them_makes_every_finding_not_available(tmp_path: Path) -> None:
    """As one scan of both inputs would say: not available, so no finding keeps a list (an
    empty one would read "nothing else flags this") and nothing is listed as not covered."""
    from auditor.rules import load_rules

    other = write(
        tmp_path,
        [
            {
                "id": f"/subscriptions/{SUB[:-1]}2/resourceGroups/r/providers/"
                "Microsoft.ContainerRegistry/registries/other",
                "type": "Microsoft.ContainerRegistry/registries",
                "name": "other",
                "properties": {"publicNetworkAccess": "Enabled"},
            }
        ],
        "raw.json",
    )
    paths = []
    for i, path in enumerate((SNAPSHOT, other)):
        out = tmp_path / f"r{i}.json"
        out.write_text(json_report.render(build(audit(path))), encoding="utf-8")
        paths.append(str(out))
    merged = json.loads(json_report.render(merge.merge_files(paths, load_rules())))
    x = merged["azure_cross_reference"]
    assert not any(s["available"] for s in x["sources"].values())
    assert x["not_covered"] == []
    assert len(merged["findings"]) == 4
    assert all(f["also_flagged_by"] is None for f in merged["findings"])


@pytest.mark.parametrize(
    "entry",
    [
        {"source": "policy", "resource_id": ACR},  # no match
        {"source": "policy", "resource_id": ACR, "match": "maybe"},
        {"source": "defender", "resource_id": 7, "match": "same-resource"},
        {"source": "defender", "resource_id": ACR, "match": "same-check", "display_name": {}},
    ],
)
def test_merge_refuses_a_malformed_also_flagged_by_entry(tmp_path: Path, entry: Any) -> None:
    """A hand-edited report's entry is refused with the file named (exit 2), never a
    KeyError in a human format."""
    from auditor.files import InputError
    from auditor.rules import load_rules

    doc = json.loads(json_report.render(build(audit(SNAPSHOT))))
    doc["findings"][0]["also_flagged_by"] = [entry]
    path = write(tmp_path, doc, "report.json")
    with pytest.raises(InputError, match="also_flagged_by"):
        markdown.render(merge.merge_files([str(path)], load_rules()))


def test_partitioned_scans_merge_to_the_whole(tmp_path: Path) -> None:
    """Each policy state and assessment goes with its resource's part (one on a resource the
    estate lacks goes to the first), so the parts' reports merge to the whole's."""
    from auditor import partition
    from auditor.rules import load_rules

    parts = partition.split(SNAPSHOT, 3)
    assert len(parts) == 3
    flags = [r for p in parts for r in p["rows"] if r["type"].lower() in ADVISORY]
    assert len(flags) == len([r for r in fixture()["rows"] if r["type"].lower() in ADVISORY])
    for p in parts:  # a part's flags are about its own resources
        held = {r["id"].lower() for r in p["rows"] if r["type"].lower() not in ADVISORY}
        for r in p["rows"]:
            about = crossref.flagged_key(r)
            assert about is None or about in held or "elsewhere" in about
    reports = []
    for i, p in enumerate(parts):
        path = tmp_path / f"part-{i}.json"
        path.write_text(partition.text(p), encoding="utf-8")
        out = tmp_path / f"r{i}.json"
        out.write_text(json_report.render(build(audit(path))), encoding="utf-8")
        reports.append(str(out))
    merged = json.loads(json_report.render(merge.merge_files(reports, load_rules())))
    whole = report(SNAPSHOT)
    assert merged["azure_cross_reference"] == whole["azure_cross_reference"]
    assert by_resource(merged) == by_resource(whole)


def test_rows_of_one_id_go_to_one_part(tmp_path: Path) -> None:
    """Two policy states under one id about resources in different parts: the estate keeps
    the first, and so must the parts (rows of one id together), or a part would flag a
    resource the whole does not."""
    from auditor import partition

    doc = fixture()
    states = [r for r in doc["rows"] if r["type"].lower() == POLICY_STATE_TYPE]
    dev = next(r for r in states if r["resourceId"].lower().endswith("/crmlopsdev"))
    prod = next(r for r in states if str(r["resourceId"]).lower().endswith("/crmlopsprod"))
    doc["rows"].append({**prod, "id": dev["id"]})  # the same id, another resource
    parts = partition.split(write(tmp_path, doc), 3)
    homes = {i for i, p in enumerate(parts) for r in p["rows"] if r["id"] == dev["id"]}
    assert len(homes) == 1


def test_partitions_merge_by_definition() -> None:
    one = crossref.build(
        _estate(
            [
                {"id": f"{ACR}/a", "type": "microsoft.containerregistry/registries"},
                _state(f"{ACR}/a", "d1"),
            ]
        ),
        [],
        [],
    )
    two = crossref.build(
        _estate(
            [
                {"id": f"{ACR}/b", "type": "microsoft.containerregistry/registries"},
                _state(f"{ACR}/b", "d1"),
                _state(f"{ACR}/b", "d2", n=2),
            ]
        ),
        [],
        [],
    )
    merged = crossref.merge([one.as_dict(), two.as_dict()])
    assert merged is not None
    assert [
        (g["definition_id"].rsplit("/", 1)[1], g["resource_count"]) for g in merged.not_covered
    ] == [
        ("d1", 2),
        ("d2", 1),
    ]
    assert merged.sources["policy"].on_audited == 3
    # a report from before the cross-reference: not available, not "nothing"
    older = crossref.merge([one.as_dict(), None])
    assert older is not None and not older.sources["policy"].available


# -- live: collected in the Resource Graph pass, snapshotted --------------------------------
def _served(flat: dict[str, Any]) -> dict[str, Any]:
    """A fixture row as Resource Graph holds it (properties nested), for the fake."""
    if flat["type"].lower() == POLICY_STATE_TYPE:
        props = {k: v for k, v in flat.items() if k not in ("id", "type", "subscriptionId")}
        props["resourceType"] = "Microsoft.ContainerRegistry/registries"
        return {"id": flat["id"], "type": flat["type"], "subscriptionId": SUB, "properties": props}
    return {
        "id": flat["id"],
        "name": flat["name"],
        "type": flat["type"],
        "subscriptionId": SUB,
        "properties": {
            "resourceDetails": flat["resourceDetails"],
            "status": {"code": flat["statusCode"], "cause": "", "description": ""},
            "displayName": flat["displayName"],
            "metadata": {
                "policyDefinitionId": flat["policyDefinitionId"],
                "severity": flat["severity"],
                "description": "long text the query does not project",
            },
        },
    }


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    doc = fixture()
    resources = [r for r in doc["rows"] if r["type"].lower() not in ADVISORY]
    flags = [r for r in doc["rows"] if r["type"].lower() in ADVISORY]
    flags = [r for r in flags if isinstance(r.get("resourceId", ""), str)]  # ARG holds strings
    compliant = _served(flags[0])
    compliant["id"] += "c"
    compliant["properties"]["complianceState"] = "Compliant"
    sql = _served(flags[1])
    sql["id"] += "s"
    sql["properties"]["resourceType"] = "Microsoft.Sql/servers"  # a type the model does not read
    rows = [*resources, *(_served(f) for f in flags), compliant, sql]
    with FakeArm(rows) as arm:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
        yield arm, flags


def test_live_collection_reads_them_in_the_same_pass(served: Any, tmp_path: Path) -> None:
    arm, flags = served
    doc = collector(arm, page_size=2).collect(Scope(subscriptions=[SUB]))
    assert doc["failures"] == []
    assert {"policystates", "assessments"} <= set(doc["collections"])
    got = {r["id"].lower() for r in doc["rows"] if r["type"].lower() in ADVISORY}
    wanted = {
        f["id"].lower()
        for f in flags
        if f.get("complianceState", "NonCompliant") == "NonCompliant"
        and f.get("statusCode", "Unhealthy") == "Unhealthy"
    }
    assert got == wanted  # compliant, healthy and unaudited types are filtered in the query
    sent = [r.body["query"] for r in arm.requests.matching(path_contains="Microsoft.ResourceGraph")]
    assert queries.POLICY_STATES in sent and queries.ASSESSMENTS in sent
    row = next(r for r in doc["rows"] if r["type"].lower() == ASSESSMENT_TYPE)
    assert set(row) == {f.name for f in FLAG_FIELDS[ASSESSMENT_TYPE]} | {"type", "subscriptionId"}
    # the snapshot round trip: the same cross-reference as the fixture's
    out = report(write(tmp_path, doc))
    assert by_resource(out) == by_resource(report(SNAPSHOT))


def test_a_failed_query_is_a_note_and_not_available(served: Any, tmp_path: Path) -> None:
    arm, _ = served
    arm.refused_tables = {"securityresources"}
    doc = collector(arm, max_attempts=1).collect(Scope(subscriptions=[SUB]))
    assert doc["failures"] == []  # no rule reads it: not a coverage gap (no exit 3)
    assert "assessments" not in doc["collections"] and "policystates" in doc["collections"]
    assert any("query assessments failed" in n for n in doc["notes"])
    out = report(write(tmp_path, doc))
    x = out["azure_cross_reference"]["sources"]
    assert x["policy"]["available"] and not x["defender"]["available"]
    assert out["summary"]["complete"]


def test_a_query_failed_in_one_scope_of_two_is_not_available(served: Any, tmp_path: Path) -> None:
    """Assessments refused in one subscription, read in the other: the snapshot keeps the
    rows it got but does not declare the collection, and the report says not available
    (a finding in the failed scope must not read "nothing else flags this")."""
    arm, _ = served
    other = SUB[:-1] + "2"
    rows = json.loads(json.dumps(arm.rows).replace(SUB, other))
    arm.set_rows([*arm.rows, *rows])
    arm.refused_tables_in = {"securityresources": {other}}
    doc = collector(arm, max_attempts=1, batch_size=1).collect(Scope(subscriptions=[SUB, other]))
    assert doc["failures"] == []
    assert "assessments" not in doc["collections"] and "policystates" in doc["collections"]
    assert any(r["type"].lower() == ASSESSMENT_TYPE for r in doc["rows"])  # the first scope's
    out = report(write(tmp_path, doc))
    x = out["azure_cross_reference"]["sources"]
    assert x["policy"]["available"] and not x["defender"]["available"]
