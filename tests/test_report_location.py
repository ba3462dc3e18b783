"""Findings of Terraform input in every report: named by address, at ``file:line``.

The estate here is hand-written ARM rows with the ``Origin`` rows a Terraform reader gives
them (address, file, line), so the reports are tested without the HCL reader: a private
DNS zone declared in ``infra/dns.tf`` is not linked to a peered VNet declared in a local
module (MLA-DNS-001, with the VNet as the related item). The scan runs in a temporary
repository (a ``.git`` directory) holding those files, so a SARIF location can be checked
the way upload-sarif resolves it: against the checkout.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from auditor import report, triage
from auditor.collections import NAMES
from auditor.estate import Estate, Origin, Reading
from auditor.graph import build
from auditor.report import location, sarif
from auditor.report.network import select
from auditor.rules import evaluate, load_rules

from .conftest import FIXTURES, ROOT
from .sarif_profile import problems

SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
ROWS = FIXTURES / "rules" / "MLA-DNS-001" / "fail.json"
ZONE = 'module.dns.azurerm_private_dns_zone.zone["blob"]'
HUB = "module.net.azurerm_virtual_network.hub"
PE = 'azurerm_private_endpoint.pe["blob"]'
# last segment of each row's id -> (address, file, block line, lines of ARM paths)
PLACES: dict[str, tuple[str, str, int, dict[str, int]]] = {
    "vnet-aml": ("module.net.azurerm_virtual_network.aml", "infra/modules/net/main.tf", 1, {}),
    "vnet-hub": (HUB, "infra/modules/net/main.tf", 20, {}),
    "pe-blob": (PE, "infra/main.tf", 5, {}),
    "default": (PE, "infra/main.tf", 5, {"properties.privateDnsZoneConfigs": 11}),
    "privatelink.blob.core.windows.net": (ZONE, "infra/modules/dns/main.tf", 3, {}),
    "link-vnet-aml": (
        "module.dns.azurerm_private_dns_zone_virtual_network_link.aml",
        "infra/modules/dns/main.tf",
        9,
        {"properties.virtualNetwork": 12},
    ),
}
DATE = dt.date(2026, 11, 25)


def tf_estate(
    files: dict[str, str] | None = None, tags: dict[str, str] | None = None, plan: bool = False
) -> Estate:
    """The rows of MLA-DNS-001's failing fixture as a Terraform reader would hand them
    over; ``files`` renames the files (hostile names), ``tags`` tags the zone, ``plan``
    leaves out files and lines (plan JSON has none)."""
    rows = json.loads(ROWS.read_text(encoding="utf-8"))
    origins = {}
    for row in rows:
        address, file, line, lines = PLACES[row["id"].rsplit("/", 1)[-1]]
        file = (files or {}).get(file, file)
        origins[row["id"]] = Origin(address) if plan else Origin(address, file, line, dict(lines))
        if address == ZONE and tags:
            row["tags"] = tags
    estate = Estate()
    reading = Reading(
        rows, row_label="Terraform resource", collections=list(NAMES), origins=origins
    )
    estate.add("infra", "terraform", reading)
    return estate


def tf_run(estate: Estate | None = None, **kw: Any) -> report.Run:
    """Every rule over the estate, relabeled as the CLI does for Terraform input."""
    estate = estate or tf_estate()
    rules = load_rules([])
    graph = build(estate)
    result = evaluate(rules, graph)
    result.relabel(estate.origins)
    return report.Run(graph, result, "high", rules, "2026-11-25T06:00:00Z", **kw)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout holding the module's files, as the working directory."""
    (tmp_path / ".git").mkdir()
    for _, file, _, _ in PLACES.values():
        path = tmp_path / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n" * 40, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def dns_finding(run: report.Run) -> Any:
    (f,) = [f for f in run.result.findings if f.rule_id == "MLA-DNS-001"]
    return f


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


# -- the findings --------------------------------------------------------------------------
def test_the_finding_is_named_by_address_and_placed(repo: Path) -> None:
    f = dns_finding(tf_run())
    assert f.resource_id == ZONE and f.related_id == HUB
    assert f.location == {"file": "infra/modules/dns/main.tf", "line": 3}


def test_an_address_finds_its_row_of_the_right_type() -> None:
    estate = tf_estate()
    pe_key, group_key = [k for k, o in estate.origins.items() if o.address == PE]
    assert estate.key_of(PE) == pe_key  # the first row the address made
    group_type = "microsoft.network/privateendpoints/privatednszonegroups"
    assert estate.key_of(PE, group_type) == group_key
    assert estate.key_of(PE.upper()) == PE.upper().lower()  # addresses are case-sensitive
    arm_id = next(iter(estate.rows.values()))["id"]
    assert estate.key_of(arm_id) == arm_id.lower()


# -- SARIF ---------------------------------------------------------------------------------
def sarif_log(run: report.Run) -> tuple[str, dict[str, Any]]:
    text = sarif.render(report.build_view(run))
    return text, json.loads(text)


def test_sarif_places_the_finding_on_its_line(
    repo: Path, validator: jsonschema.Draft4Validator
) -> None:
    run = tf_run()
    text, log = sarif_log(run)
    assert sorted(e.message for e in validator.iter_errors(log)) == []
    assert problems(log, text) == []
    f = dns_finding(run)
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "MLA-DNS-001"]
    (loc,) = result["locations"]
    physical = loc["physicalLocation"]
    assert physical == {
        "artifactLocation": {"uri": "infra/modules/dns/main.tf", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3},
    }
    # upload-sarif resolves the uri against the checkout: it names the file
    assert (repo / unquote(physical["artifactLocation"]["uri"])).is_file()
    assert loc["logicalLocations"] == [
        {
            "name": "privatelink.blob.core.windows.net",
            "fullyQualifiedName": ZONE,
            "kind": "resource",
        }
    ]
    assert result["partialFingerprints"] == {"primaryLocationLineHash": f"{f.fingerprint}:1"}
    assert result["properties"]["location"] == {"file": "infra/modules/dns/main.tf", "line": 3}
    # the related VNet is a Terraform resource too: its own block
    (related,) = result["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "infra/modules/net/main.tf"
    assert related["physicalLocation"]["region"] == {"startLine": 20}
    assert related["logicalLocations"][0] == {
        "name": HUB,
        "fullyQualifiedName": HUB,
        "kind": "resource",
    }


def test_sarif_results_without_a_location_keep_the_pseudo_path(repo: Path) -> None:
    _, log = sarif_log(tf_run())
    subnets = [r for r in log["runs"][0]["results"] if r["ruleId"] == "MLA-NSG-001"]
    assert subnets  # embedded subnets have no origin here: ARM ids, pseudo-paths
    for r in subnets:
        art = r["locations"][0]["physicalLocation"]["artifactLocation"]
        assert art["uri"].startswith("subscriptions/") and "uriBaseId" not in art
        assert "location" not in r["properties"]


def test_sarif_an_absolute_path_in_the_repository_is_made_relative(repo: Path) -> None:
    absolute = str(repo / "infra" / "modules" / "dns" / "main.tf")
    run = tf_run(tf_estate({"infra/modules/dns/main.tf": absolute}))
    _, log = sarif_log(run)
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "MLA-DNS-001"]
    art = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art == {"uri": "infra/modules/dns/main.tf", "uriBaseId": "%SRCROOT%"}


def test_sarif_a_file_outside_the_repository_keeps_the_pseudo_path(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """GitHub rejects a whole file with an absolute file: uri outside the checkout."""
    outside = tmp_path_factory.mktemp("elsewhere") / "dns.tf"
    run = tf_run(tf_estate({"infra/modules/dns/main.tf": str(outside)}))
    text, log = sarif_log(run)
    assert problems(log, text) == []
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "MLA-DNS-001"]
    art = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art == {"uri": sarif.pseudo_path(ZONE)}
    assert result["properties"]["location"] == {"file": outside.as_posix(), "line": 3}


def test_sarif_not_evaluated_checks_on_terraform_resources_point_at_their_block(
    repo: Path,
) -> None:
    run = tf_run()
    _, log = sarif_log(run)
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    checks = [n for n in notes if n["descriptor"]["id"] == "check-not-evaluated"]
    assert checks
    for n in checks:  # the storage account the endpoint targets is not in the estate
        assert n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith(
            "subscriptions/"
        )


def test_a_plan_finding_is_named_by_address_without_a_place(repo: Path) -> None:
    """Plan JSON has no lines: the address is the name, the pseudo-path the place."""
    run = tf_run(tf_estate(plan=True))
    f = dns_finding(run)
    assert (f.resource_id, f.location) == (ZONE, None)
    text, log = sarif_log(run)
    assert problems(log, text) == []
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "MLA-DNS-001"]
    loc = result["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"] == {"uri": sarif.pseudo_path(ZONE)}
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == ZONE
    (related,) = result["relatedLocations"]  # still a resource, at its own pseudo-path
    assert related["logicalLocations"][0]["kind"] == "resource"
    assert related["physicalLocation"]["artifactLocation"] == {"uri": sarif.pseudo_path(HUB)}
    root = ET.fromstring(report.render("junit", run))
    (case,) = [c for c in root.iter("testcase") if c.get("name") == f"MLA-DNS-001 {ZONE}"]
    assert case.get("classname") == "terraform.module.dns.azurerm_private_dns_zone"
    assert case.get("file") is None and case.get("line") is None


# -- paths ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "given, shown, inside",
    [
        ("infra/main.tf", "infra/main.tf", True),
        ("./infra//modules/./net/main.tf", "infra/modules/net/main.tf", True),
        ("infra/../other/main.tf", "other/main.tf", True),
        ("sub/../../outside/main.tf", "{parent}/outside/main.tf", False),
        ("/etc/main.tf", "/etc/main.tf", False),
    ],
)
def test_source_paths_are_relative_to_the_repository(
    repo: Path, given: str, shown: str, inside: bool
) -> None:
    got = location.source_path(given, location.repository_root())
    assert got == location.SourcePath(shown.format(parent=repo.parent.as_posix()), inside)


def test_the_repository_root_is_found_above_the_working_directory(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "infra" / "modules")
    assert location.repository_root() == repo
    assert location.where({"file": "net/main.tf", "line": 7}, repo) == "infra/modules/net/main.tf:7"
    assert (
        location.where({"file": "net/main.tf", "line": None}, repo) == "infra/modules/net/main.tf"
    )
    assert location.where(None, repo) is None
    assert location.where({"file": "", "line": 3}, repo) is None


@pytest.mark.parametrize(
    "name",
    [
        "javascript:alert(1).tf",
        "a b#c?d%41.tf",
        "new\nline\x1b[31m.tf",
        "<script>x</script>.tf",
        "lone\ud800.tf",
    ],
)
def test_a_hostile_file_name_is_one_relative_uri(repo: Path, name: str) -> None:
    uri = location.uri(location.source_path(f"infra/{name}", repo))
    assert re.fullmatch(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=@/]|%[0-9A-F]{2})+", uri), uri
    assert uri.startswith("infra/") and ":" not in uri  # no scheme, ever
    if "\ud800" not in name:
        assert unquote(uri) == f"infra/{name}"


# -- the other formats ----------------------------------------------------------------------
def test_every_format_shows_file_and_line(repo: Path) -> None:
    view = report.build_view(tf_run())
    where = "infra/modules/dns/main.tf:3"
    table = report.render("table", view)
    assert f"{ZONE} at {where}" in table
    md = report.render("markdown", view)
    assert (
        '`module.dns.azurerm_private_dns_zone.zone["blob"]` at `infra/modules/dns/main.tf:3`' in md
    )
    page = report.render("html", view)
    assert f'at <code class="src">{where}</code>' in page
    rows = list(csv.DictReader(io.StringIO(report.render("csv", view).removeprefix("\ufeff"))))
    (row,) = [r for r in rows if r["rule_id"] == "MLA-DNS-001"]
    assert (row["resource_id"], row["file"], row["line"]) == (
        ZONE,
        "infra/modules/dns/main.tf",
        "3",
    )
    # new columns after the old ones: the old ones keep their place
    assert list(rows[0])[-3:] == ["file", "line", "also_flagged_by"]
    assert all(r["file"] == r["line"] == "" for r in rows if r["rule_id"] == "MLA-NSG-001")


def test_junit_cases_carry_file_and_line(repo: Path) -> None:
    root = ET.fromstring(report.render("junit", tf_run()))
    cases = {(c.get("name"), c.get("classname")): c for c in root.iter("testcase") if c.get("file")}
    failing = cases[(f"MLA-DNS-001 {ZONE}", "terraform.module.dns.azurerm_private_dns_zone")]
    assert (failing.get("file"), failing.get("line")) == ("infra/modules/dns/main.tf", "3")
    failure = failing.find("failure")
    assert failure is not None and "at: infra/modules/dns/main.tf:3" in (failure.text or "")
    # a resource that passes is placed at its block
    hub = cases[(f"MLA-NET-001 {HUB}", "terraform.module.net.azurerm_virtual_network")]
    assert (hub.get("file"), hub.get("line"), list(hub)) == ("infra/modules/net/main.tf", "20", [])
    # a resource without a source place has no file attribute
    others = [c for c in root.iter("testcase") if c.get("name", "").startswith("MLA-NSG-001")]
    assert others and all(c.get("file") is None for c in others)


def test_the_drawing_marks_terraform_findings_on_their_nodes(repo: Path) -> None:
    view = report.build_view(tf_run())
    marks = select.Marks(view)
    zone_key = view.node(ZONE, "microsoft.network/privatednszones")
    hub_key = view.node(HUB)
    assert zone_key.endswith("/privatednszones/privatelink.blob.core.windows.net")
    assert [f.rule_id for f in marks.of(zone_key)] == ["MLA-DNS-001", "MLA-DNS-005"]
    assert [f.rule_id for f in marks.about(zone_key, hub_key)] == ["MLA-DNS-001"]
    svg = report.render("html", view)
    # the hover names the resource as the code does
    assert f"{ZONE.replace(chr(34), '&quot;')} at infra/modules/dns/main.tf:3" in svg
    assert 'class="node k-private_dns_zone fault sev-high"' in svg
    assert 'class="edge e-missing fault sev-high"' in svg  # the finding names the edge


# -- hostile file names -----------------------------------------------------------------------
HOSTILE = "infra/<script>alert(1)</script>\n\x1b[31m](javascript:alert(1))\u202e|`x`/main.tf"


def test_a_hostile_file_path_stays_data_in_every_format(repo: Path) -> None:
    run = tf_run(tf_estate({"infra/modules/dns/main.tf": HOSTILE}))
    view = report.build_view(run)
    table = report.render("table", view)
    assert "\x1b" not in table and "\u202e" not in table and "[U+001B]" in table
    md = report.render("markdown", view)
    assert "\x1b" not in md and "\u202e" not in md and "\n\x1b" not in md
    # code spans (literal text: no tag, no link), fenced longer than the path's backticks
    spans = re.findall(r" at (``)(.*?main\.tf:3)\1 \|", md)
    assert len(spans) == 2  # MLA-DNS-001 and MLA-DNS-005 on the zone
    for _, span in spans:
        assert span.startswith("infra/<script>") and "](javascript:" in span
        md = md.replace(span, "")
    assert "<script>" not in md and "](javascript:" not in md
    page = report.render("html", view)
    assert "<script>" not in page and "&lt;script&gt;" in page and "\x1b" not in page
    junit = ET.fromstring(report.render("junit", view))
    files = {c.get("file") for c in junit.iter("testcase") if c.get("file")}
    assert any("<script>" in f for f in files)  # the attribute holds it as data, parsed back
    assert all("\x1b" not in f for f in files)
    text, log = sarif_log(run)
    assert problems(log, text) == []
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "MLA-DNS-001"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert unquote(uri) == HOSTILE  # the file's own name, encoded: no scheme, no break-out
    rows = list(csv.reader(io.StringIO(report.render("csv", view).removeprefix("\ufeff"))))
    at = rows[0].index("file")
    assert any(r[at] == HOSTILE.replace("\x1b", "\ufffd") for r in rows[1:])


def test_a_file_path_that_looks_like_a_formula_is_defused_in_csv(repo: Path) -> None:
    run = tf_run(tf_estate({"infra/modules/dns/main.tf": "/=cmd|'/c calc'!A1.tf"}))
    rows = list(csv.reader(io.StringIO(report.render("csv", run).removeprefix("\ufeff"))))
    at = rows[0].index("file")
    files = {r[at] for r in rows[1:] if r[at]}
    assert files == {"/=cmd|'/c calc'!A1.tf"}  # starts with "/": not a formula
    run = tf_run(tf_estate({"infra/modules/dns/main.tf": "=cmd|'/c calc'!A1.tf"}))
    rows = list(csv.reader(io.StringIO(report.render("csv", run).removeprefix("\ufeff"))))
    assert {r[at] for r in rows[1:] if r[at]} == {"'=cmd|'/c calc'!A1.tf"}


# -- suppressions and baselines ----------------------------------------------------------------
def suppress(tmp_path: Path, run: report.Run, entry: str) -> dict[str, Any]:
    path = tmp_path / "suppressions.yaml"
    path.write_text(f"suppressions:\n{entry}", encoding="utf-8")
    entries = triage.load_suppressions(path)
    return triage.apply_suppressions(run.result, run.graph, entries, str(path), DATE)


@pytest.mark.parametrize(
    "selector",
    [
        f"resource: '{ZONE}'",  # copied from a report: the brackets are the address's own
        "resource: 'module.dns.*'",
        "resource: 'MODULE.DNS.azurerm_private_dns_zone.zone[\"blob\"]'",  # any case, as ids
        "tag: owner=platform",  # the tags of the row the address names
    ],
)
def test_a_suppression_selects_a_terraform_finding(tmp_path: Path, selector: str) -> None:
    run = tf_run(tf_estate(tags={"owner": "platform"}))
    account = suppress(
        tmp_path,
        run,
        f"  - rule: MLA-DNS-001\n    {selector}\n    justification: hub DNS is next\n",
    )
    assert account["suppressed"] == 1 and not account["stale"]
    assert dns_finding(run).suppression is not None


def test_a_suppression_of_another_address_does_not_match(tmp_path: Path) -> None:
    run = tf_run()
    other = 'module.dns.azurerm_private_dns_zone.zone["file"]'
    account = suppress(tmp_path, run, f"  - resource: '{other}'\n    justification: x\n")
    assert account["suppressed"] == 0 and len(account["stale"]) == 1


def test_a_baseline_finding_gone_from_a_terraform_resource_is_fixed() -> None:
    """The resource is in the scan (by its address), was judged again and has no such
    finding: fixed — not "not in this scan's estate"."""
    run = tf_run()
    rechecked = triage.Rechecked.of_run(run.result, run.graph)
    gone = {"rule_id": "MLA-DNS-002", "resource_id": PE, "fingerprint": "0" * 32}
    assert rechecked.why_unverified(gone) is None
    unknown = {"rule_id": "MLA-DNS-002", "resource_id": "azurerm_private_endpoint.gone"}
    assert "not in this scan's estate" in str(rechecked.why_unverified(unknown))


def test_a_baseline_of_a_terraform_scan_marks_the_next_scan_unchanged() -> None:
    first = tf_run()
    doc = triage.baseline_document(report.to_json_dict(first))
    second = tf_run()
    account = triage.apply_baseline(second.result, second.graph, doc, "baseline.json")
    assert account["new"] == 0 and account["unchanged"] == len(second.result.findings)
    assert {e["resource_id"] for e in doc["findings"]} >= {ZONE}


def test_the_diff_of_two_terraform_reports_shows_file_and_line(repo: Path) -> None:
    from auditor.report import diff

    old = report.to_json_dict(tf_run())
    old["findings"] = [f for f in old["findings"] if f["rule_id"] != "MLA-DNS-001"]
    new = report.to_json_dict(tf_run())
    changes = triage.diff_reports(old, new, "old.json", "new.json")
    (added,) = changes["new_findings"]
    assert added["resource_id"] == ZONE
    md = diff.render(changes, "markdown")
    assert f"`{ZONE}` at `infra/modules/dns/main.tf:3`" in md
    assert f"{ZONE} at infra/modules/dns/main.tf:3" in diff.render(changes, "table")
    # gone from the newer report: a report does not say which addresses were scanned
    changes = triage.diff_reports(new, old, "new.json", "old.json")
    (gone,) = changes["unverified_findings"]
    assert gone["reason"] == "the report does not list the Terraform resources its scan judged"
