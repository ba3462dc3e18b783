"""The full JSON reports of the two reference estates, pinned as golden files.

A change to the rules, the graph or the report shows up here as a diff; when it is intended,
regenerate the files with ``python tests/update_golden.py`` and review them.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import pytest

from .update_golden import CASES, GOLDEN, scan_fixture

SEVERE = ("critical", "high", "medium")


def _golden(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))


def _lines(report: dict[str, Any]) -> list[str]:
    return json.dumps(report, indent=2, ensure_ascii=False).splitlines(True)


@pytest.mark.parametrize("name", CASES)
def test_report_matches_golden(name: str) -> None:
    expected = _golden(name)
    actual = json.loads(scan_fixture(name))
    if actual != expected:
        diff = list(
            difflib.unified_diff(
                _lines(expected), _lines(actual), f"tests/golden/{name}.json", "current scan", n=2
            )
        )
        shown = "".join(diff[:60])
        if len(diff) > 60:
            shown += f"... ({len(diff) - 60} more diff lines)\n"
        pytest.fail(
            f"the JSON report of fixtures/{name}.json differs from its golden file:\n{shown}"
            "If the change is intended, run: python tests/update_golden.py",
            pytrace=False,
        )


@pytest.mark.parametrize("name", CASES)
def test_golden_reports_a_relative_input_path(name: str) -> None:
    assert [i["path"] for i in _golden(name)["inputs"]] == [f"fixtures/{name}.json"]


def test_golden_good_estate_has_no_finding_of_medium_or_higher() -> None:
    report = _golden("reference-good")
    severe = [
        (f["rule_id"], f["resource_name"]) for f in report["findings"] if f["severity"] in SEVERE
    ]
    assert severe == []
    assert report["summary"]["failed"] is False


def test_golden_terraform_estate_has_the_known_findings() -> None:
    findings = _golden("reference-terraform")["findings"]
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        by_rule.setdefault(f["rule_id"], []).append(f)
    for rule_id in ("MLA-ACR-004", "MLA-AML-001", "MLA-AML-003", "MLA-DNS-001"):
        assert rule_id in by_rule, f"no {rule_id} finding in {sorted(by_rule)}"
    assert by_rule["MLA-ACR-004"][0]["resource_type"] == "microsoft.containerregistry/registries"
    assert "admin user" in by_rule["MLA-ACR-004"][0]["message"]
    assert by_rule["MLA-AML-001"][0]["resource_type"] == (
        "microsoft.machinelearningservices/workspaces"
    )
    assert "public IP" in by_rule["MLA-AML-003"][0]["message"]
    dns = [
        f
        for f in by_rule["MLA-DNS-001"]
        if "privatelink.azurecr.io" in f["message"] and "vnet-bastion" in f["message"]
    ]
    assert dns, [f["message"] for f in by_rule["MLA-DNS-001"]]
    assert dns[0]["resource_name"] == "privatelink.azurecr.io"
    assert dns[0]["related_id"].endswith("/virtualNetworks/vnet-bastion")
