"""Each input format module on its own (detect, rows, gaps, what it declares), and the
registry that chooses between them. ``tests/test_inputs.py`` checks the same shapes
through the CLI and the merged estate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor import inputs
from auditor.estate import Reading
from auditor.files import InputError
from auditor.inputs import az_graph, row_array, snapshot, terraform_input

from . import builders as b

ROW = b.storage("stfmt")
HERE = Path("estate.json")
SNAPSHOT = {"format": "mlops-audit-snapshot", "version": 1, "rows": [ROW]}
AZ = {"count": 1, "data": [ROW], "skip_token": None, "total_records": 1}
SAMPLES: list[tuple[Any, inputs.InputFormat]] = [
    ([ROW], row_array.FORMAT),
    ([], row_array.FORMAT),
    (AZ, az_graph.FORMAT),
    ({"data": {"columns": [], "rows": []}}, az_graph.FORMAT),
    (SNAPSHOT, snapshot.FORMAT),
    ({"format": "terraform-state"}, snapshot.FORMAT),  # claimed, so the error can name it
    ({**SNAPSHOT, "data": []}, snapshot.FORMAT),  # a 'format' wins over 'data'
    ({"format_version": "1.2", "planned_values": {}}, terraform_input.PLAN),
    ({"format_version": "1.0", "values": {}}, terraform_input.PLAN),  # a state: named
    ({**SNAPSHOT, "format_version": "1.2"}, snapshot.FORMAT),  # a 'format' is a snapshot's
]


@pytest.mark.parametrize(
    ("doc", "fmt"), SAMPLES, ids=[f"{i}-{f.name}" for i, (_, f) in enumerate(SAMPLES)]
)
def test_exactly_one_format_detects_each_input(doc: Any, fmt: inputs.InputFormat) -> None:
    assert [f for f in inputs.FORMATS if f.detect(doc)] == [fmt]
    assert inputs.format_of(HERE, doc) is fmt


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            42,
            "top-level JSON is a number; expected an array of Resource Graph rows, "
            "'az graph query' output, a mlops-audit snapshot or 'terraform show -json' plan "
            "output",
        ),
        (
            {"count": 0},
            "JSON object has no 'data' (expected 'az graph query' output) and no 'format' "
            "(expected a mlops-audit snapshot) and no 'format_version' (expected 'terraform "
            "show -json' plan output)",
        ),
    ],
)
def test_an_input_no_format_detects_says_what_was_expected(doc: Any, message: str) -> None:
    with pytest.raises(InputError) as err:
        inputs.format_of(HERE, doc)
    assert str(err.value) == f"estate.json: {message}"


# -- a plain array ----------------------------------------------------------------------
def test_row_array_reads_rows_and_declares_nothing() -> None:
    assert row_array.FORMAT.read(HERE, [ROW]) == Reading([ROW])
    assert not row_array.FORMAT.detect({"data": [ROW]})


# -- az graph query -o json ---------------------------------------------------------------
def test_az_graph_reads_object_rows_and_the_table_format() -> None:
    assert az_graph.FORMAT.read(HERE, AZ) == Reading([ROW])
    table = {"columns": [{"name": "id"}, {"name": "type"}], "rows": [[ROW["id"], ROW["type"]]]}
    assert az_graph.FORMAT.read(HERE, {"data": table}).rows == [
        {"id": ROW["id"], "type": ROW["type"]}
    ]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (5, "'data' is a number, expected an array of rows"),
        ({"columns": []}, "'data' is an object without 'columns' and 'rows' lists"),
        ({"columns": [{}], "rows": []}, "'data.columns' entries need a 'name'"),
        ({"columns": [{"name": "id"}], "rows": [[1, 2]]}, "table row 0 does not have 1 values"),
    ],
)
def test_az_graph_rejects_data_that_is_no_rows(data: Any, problem: str) -> None:
    with pytest.raises(InputError) as err:
        az_graph.FORMAT.read(HERE, {"data": data})
    assert err.value.problem == problem


@pytest.mark.parametrize(
    ("page", "gaps"),
    [
        ({"skip_token": None, "total_records": 1}, []),
        (
            {"$skipToken": "ew0K"},
            [
                "'az graph query' output ends at a page boundary (skip_token is set): "
                "the rows after it were not read"
            ],
        ),
        ({"totalRecords": 3}, ["holds 1 of the query's 3 rows"]),
        ({"resultTruncated": "true"}, ["Resource Graph marked the result truncated"]),
        ({"count": 2}, ["says its page holds 2 rows, but 1 are in it"]),
        ({"count": 1, "total_records": None}, []),
    ],
)
def test_az_graph_gaps_are_what_the_page_says_it_lacks(
    page: dict[str, Any], gaps: list[str]
) -> None:
    assert az_graph.FORMAT.read(HERE, {"data": [ROW], **page}).gaps == gaps


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        ({"total_records": True}, "'total_records' is a boolean True, expected a row count"),
        ({"totalRecords": "5000"}, "'totalRecords' is a string '5000', expected a row count"),
        ({"total_records": -1}, "'total_records' is a number -1, expected a row count"),
        ({"count": 1.5}, "'count' is a number 1.5, expected a row count"),
    ],
)
def test_az_graph_counts_that_are_no_counts_are_bad_input(
    page: dict[str, Any], problem: str
) -> None:
    """Ignoring a malformed count could pass a partial export as complete."""
    with pytest.raises(InputError) as err:
        az_graph.FORMAT.read(HERE, {"data": [ROW], **page})
    assert err.value.problem == problem


# -- the tool's own snapshot --------------------------------------------------------------
def test_snapshot_reads_rows_and_what_it_says_about_itself() -> None:
    doc = {
        **SNAPSHOT,
        "tool_version": "0.1.0",
        "cloud": "usgov",
        "collections": ["resources", "computes"],
        "failures": [{"scope": "s", "error": "AuthorizationFailed"}],
        "notes": ["skipped", 7],
    }
    reading = snapshot.FORMAT.read(HERE, doc)
    assert reading == Reading(
        [ROW],
        row_label="snapshot row",
        gaps=[
            'the snapshot records a failed collection: {"error": "AuthorizationFailed", '
            '"scope": "s"}'
        ],
        collections=["resources", "computes"],
        metadata={k: v for k, v in doc.items() if k not in ("format", "version", "rows")},
        cloud="usgov",
        notes=["skipped", "7"],
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"format": "terraform-state"},
            "unknown 'format' 'terraform-state'; expected 'mlops-audit-snapshot'",
        ),
        ({"version": 2}, "snapshot version 2 is not supported (this tool reads version 1)"),
        ({"rows": None}, "snapshot 'rows' is null, expected an array"),
        (
            {"collections": ["computes", "vms"]},
            "snapshot 'collections' must list some of resources, dnsresources, computes, "
            "privatednszonegroups, gateways, amplsscopedresources, dnsinboundendpoints, "
            "dnsforwardingrules, dnsrulesetlinks, vmextensions, policystates, assessments",
        ),
        ({"cloud": ["public"]}, "snapshot 'cloud' must be one of public, usgov, china"),
        ({"failures": "oops"}, "snapshot 'failures' is a string, expected an array"),
        ({"failures": None}, "snapshot 'failures' is null, expected an array"),
    ],
)
def test_snapshot_rejects_a_bad_header(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(InputError) as err:
        snapshot.FORMAT.read(HERE, {**SNAPSHOT, **change})
    assert err.value.problem == problem


# -- the registry's seam for inputs that are no JSON file -----------------------------------
class _Directory:
    """A stand-in for a reader of configuration directories (e.g. Terraform HCL)."""

    name = "directory"
    expected = "a directory of rows"
    marker: str | None = None
    directory = True

    def detect(self, doc: object) -> bool:
        return isinstance(doc, Path) and (doc / "main.rows").is_file()

    def read(self, path: Path, doc: Any, options: inputs.InputOptions) -> Reading:
        return Reading([ROW], notes=[f"read from {doc.name}"])


def test_a_registered_format_can_read_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inputs, "FORMATS", (*inputs.FORMATS, _Directory()))
    (tmp_path / "main.rows").write_text("", encoding="utf-8")
    estate = inputs.load([tmp_path])
    assert [(s.format, s.rows) for s in estate.sources] == [("directory", 1)]
    assert estate.notes == [{"path": str(tmp_path), "note": f"read from {tmp_path.name}"}]
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(InputError, match="is a directory, expected a JSON rows file"):
        inputs.load([other])
