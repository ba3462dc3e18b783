"""Fail closed: inputs that say they are partial, and data that is not there, are reported
as such — never as a pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from . import builders as b
from .conftest import FIXTURES, scan_rows
from .update_golden import run_cli

STORAGE = {
    **b.storage("stok"),
    "properties": {"publicNetworkAccess": "Disabled", "allowBlobPublicAccess": False},
}


def report_for(tmp_path: Path, doc: Any, *args: str) -> tuple[int, dict[str, Any], str]:
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    proc = run_cli("scan", "--snapshot", str(path), "--format", "json", *args)
    table = run_cli("scan", "--snapshot", str(path), "--format", "table", *args)
    return proc.returncode, json.loads(proc.stdout), table.stdout


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        (
            {"count": 1, "data": [STORAGE], "skip_token": "ew0K", "total_records": 5000},
            "skip_token is set",
        ),
        (
            {"count": 1, "data": [STORAGE], "skip_token": None, "total_records": 5000},
            "holds 1 of the query's 5000 rows",
        ),
        (
            {
                "format": "mlops-audit-snapshot",
                "version": 1,
                "rows": [STORAGE],
                "failures": [{"scope": "/subscriptions/x", "error": "AuthorizationFailed"}],
            },
            "AuthorizationFailed",
        ),
    ],
    ids=["skip-token", "total-records", "snapshot-failures"],
)
def test_partial_inputs_are_never_a_pass(tmp_path: Path, doc: Any, words: str) -> None:
    code, report, table = report_for(tmp_path, doc)
    assert code == 3  # no finding, but an incomplete scan
    assert report["summary"]["complete"] is False
    gaps = report["coverage"]["gaps"]
    assert gaps and any(words in g["problem"] for g in gaps)
    assert "PASS" not in table and "not a pass" in table
    assert report_for(tmp_path, doc, "--allow-partial")[0] == 0


def test_complete_estate_says_so(tmp_path: Path) -> None:
    code, report, table = report_for(
        tmp_path, json.loads((FIXTURES / "reference-good.json").read_text(encoding="utf-8"))
    )
    assert code == 0 and report["summary"]["complete"] is True
    assert report["coverage"]["gaps"] == []
    assert "PASS: no finding at or above high." in table


def test_zone_outside_the_estate_is_not_evaluated(tmp_path: Path) -> None:
    """Hub-and-spoke keeps the zones in a connectivity subscription: the spoke's endpoint
    names a zone the scan never saw, so its links are unknown, not fine."""
    v = b.vnet("vnet-a", "10.1.0.0/16", {"snet-pe": "10.1.1.0/24"})
    st = b.storage("stdata")
    pe, nic = b.endpoint("pe-blob", f"{v['id']}/subnets/snet-pe", st["id"], "blob", "10.1.1.4")
    hub_zone = b.zone(
        "privatelink.blob.core.windows.net", sub="99999999-9999-9999-9999-999999999999"
    )
    rows = [v, st, pe, nic, b.zone_group(pe, hub_zone)]
    result = scan_rows(rows, tmp_path, select=["MLA-DNS-001"])
    assert result.findings == []
    (entry,) = result.not_evaluated
    assert entry.resource_id == hub_zone["id"]
    assert "pe-blob" in entry.reasons[0] and "not in the estate" in entry.reasons[0]


def test_endpoint_without_connection_data_is_not_evaluated(tmp_path: Path) -> None:
    pe, _ = b.endpoint("pe-x", "/s/x/subnets/y", "/t", "blob", "10.0.0.4")
    pe["properties"] = None
    result = scan_rows([pe], tmp_path, select=["MLA-PE-001"])
    assert result.findings == [] and result.outcomes[0].status == "incomplete"


def test_unknown_group_id_is_not_evaluated(tmp_path: Path) -> None:
    v = b.vnet("vnet-a", "10.1.0.0/16", {"snet-pe": "10.1.1.0/24"})
    pe, nic = b.endpoint(
        "pe-app", f"{v['id']}/subnets/snet-pe", "/subscriptions/s/x", "sitez", "10.1.1.4"
    )
    z = b.zone("privatelink.azurewebsites.net")
    result = scan_rows([v, pe, nic, z, b.zone_group(pe, z)], tmp_path, select=["MLA-DNS-002"])
    assert result.findings == []
    assert "sitez" in result.not_evaluated[0].reasons[0]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[{"id": "/x", "type": "t", "properties": {"n": NaN}}]', "NaN is not a JSON number"),
        ('[{"id": "/x", "type": "t", "v": -Infinity}]', "-Infinity is not a JSON number"),
        ('[{"id": "dns-server:10.0.0.4", "type": "t"}]', "not an ARM resource id"),
    ],
)
def test_values_json_cannot_carry_are_input_errors(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "e.json"
    path.write_text(text, encoding="utf-8")
    proc = run_cli("scan", "--snapshot", str(path))
    assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr


def test_cloud_selects_the_private_dns_zone_names(tmp_path: Path) -> None:
    """A US Gov workspace endpoint needs the .us zones; with the public table they would
    look wrong, and the reverse."""
    v = b.vnet("vnet-a", "10.1.0.0/16", {"snet-pe": "10.1.1.0/24"})
    ws = (
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w"
    )
    pe, nic = b.endpoint("pe-ws", f"{v['id']}/subnets/snet-pe", ws, "amlworkspace", "10.1.1.4")
    zones = [
        b.zone("privatelink.api.ml.azure.us"),
        b.zone("privatelink.notebooks.usgovcloudapi.net"),
    ]
    rows = [v, pe, nic, *zones, b.zone_group(pe, *zones)]
    doc = {
        "format": "mlops-audit-snapshot",
        "version": 1,
        "cloud": "usgov",
        "rows": rows,
        "collections": ["resources", "privatednszonegroups"],
    }
    path = tmp_path / "gov.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    gov = run_cli("scan", "--snapshot", str(path), "--select", "MLA-DNS-002", "--format", "json")
    assert gov.returncode == 0 and json.loads(gov.stdout)["findings"] == []
    public = run_cli(
        "scan",
        "--snapshot",
        str(path),
        "--select",
        "MLA-DNS-002",
        "--cloud",
        "public",
        "--format",
        "json",
    )
    assert public.returncode == 1
    assert len(json.loads(public.stdout)["findings"]) == 4  # 2 missing + 2 unexpected zones
