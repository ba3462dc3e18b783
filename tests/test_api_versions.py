"""Resource Graph reads each type at an api-version of its choosing (the row's
``apiVersion``): a property newer than that version is absent for no fault of the resource,
so a check that reads it is not evaluated — never "open" by accident
(``collections.PROPERTY_SINCE``, docs/formats.md)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from auditor import queries
from auditor.collections import PROPERTY_SINCE, WORKSPACE, predates

from .conftest import FIXTURES, scan_rows
from .fake_arm import load_rows


def estate(api_version: str | None, **properties: Any) -> list[dict[str, Any]]:
    """The reference estate with its workspace read at ``api_version``, without the two
    properties newer than the old versions (or with ``properties``)."""
    rows = copy.deepcopy(load_rows(FIXTURES / "reference-good.json"))
    for row in rows:
        if row["type"].lower() == WORKSPACE:
            props = row["properties"]
            props.pop("publicNetworkAccess", None)
            props.pop("managedNetwork", None)
            props.update(properties)
            if api_version is not None:
                row["apiVersion"] = api_version
    return rows


def outcome(rows: list[dict[str, Any]], tmp_path: Path, rule: str) -> tuple[list, list]:
    result = scan_rows(rows, tmp_path, select=[rule])
    return result.findings, result.not_evaluated


def test_a_workspace_read_before_public_network_access_existed_is_not_judged(
    tmp_path: Path,
) -> None:
    findings, unjudged = outcome(estate("2020-08-01"), tmp_path, "MLA-AML-001")
    assert findings == []
    (entry,) = unjudged
    assert entry.reasons == [
        f"{entry.resource_id}: the row was read at api-version 2020-08-01, and "
        "properties.publicNetworkAccess exists from 2021-07-01 on, so "
        "subject.properties.publicNetworkAccess is unknown"
    ]


def test_a_workspace_read_at_a_version_that_has_it_is_judged(tmp_path: Path) -> None:
    # absent at a version that has the property: the default, Enabled — a finding
    findings, unjudged = outcome(estate("2025-06-01"), tmp_path, "MLA-AML-001")
    assert [f.rule_id for f in findings] == ["MLA-AML-001"] and unjudged == []
    # present, whatever the version says: the value decides
    closed = estate("2020-08-01", publicNetworkAccess="Disabled")
    assert outcome(closed, tmp_path, "MLA-AML-001") == ([], [])
    # rows that do not say their version (files, az graph exports) read as they are
    findings, unjudged = outcome(estate(None), tmp_path, "MLA-AML-001")
    assert [f.rule_id for f in findings] == ["MLA-AML-001"] and unjudged == []


def test_managed_network_before_2023_10_01_leaves_the_isolation_rule_unjudged(
    tmp_path: Path,
) -> None:
    """MLA-AML-008 reads the managed network's isolation mode; at 2023-04-01 (stable,
    without managedNetwork) whether the workspace has one cannot be told."""
    findings, unjudged = outcome(estate("2023-04-01"), tmp_path, "MLA-AML-008")
    assert findings == [] and len(unjudged) == 1
    assert "properties.managedNetwork exists from 2023-10-01 on" in unjudged[0].reasons[0]


@pytest.mark.parametrize(
    ("version", "steps", "unknown"),
    [
        ("2021-07-01", ("properties", "publicNetworkAccess"), False),
        ("2021-07-01-preview", ("properties", "publicNetworkAccess"), True),
        ("2021-04-01", ("PROPERTIES", "PUBLICNETWORKACCESS"), True),  # ARM casing varies
        ("2023-08-01-preview", ("properties", "managedNetwork", "isolationMode"), True),
        ("2024-04-01", ("properties", "managedNetwork", "isolationMode"), False),
        ("latest", ("properties", "publicNetworkAccess"), True),  # cannot be told
        ("2020-08-01", ("properties", "allowPublicAccessWhenBehindVnet"), False),
        ("2020-08-01", ("name",), False),
    ],
)
def test_predates(version: str, steps: tuple[str, ...], unknown: bool) -> None:
    row = {"type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": version}
    assert (predates(row, steps) is not None) is unknown
    assert predates({**row, "type": "microsoft.storage/storageaccounts"}, steps) is None


def test_the_table_names_real_types_and_the_query_projects_the_version() -> None:
    assert {p.row_type for p in PROPERTY_SINCE} <= set(queries.RESOURCE_TYPES)
    for query in (queries.RESOURCES, queries.GATEWAYS, queries.VM_EXTENSIONS):
        assert query.split("| project ")[1].split(" |")[0].endswith(", apiVersion")
