"""Reading estates and rule files.

Good input in any of the accepted shapes loads into one merged estate; bad input stops the
CLI with exit code 2 and exactly one line on stderr that names the file and the problem.
The bad-input cases call ``auditor.cli.main`` in-process (a subprocess costs ~0.8 s each);
an exception escaping it is turned into a traceback on stderr, as the interpreter would do.
``tests/test_cli.py`` checks a few of them through the installed console script.
"""

from __future__ import annotations

import gc
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor import inputs
from auditor.cli import main

from . import builders as b
from .conftest import FIXTURES, ROOT, scan_files, scan_rows

GOOD = FIXTURES / "reference-good.json"
TERRAFORM = FIXTURES / "reference-terraform.json"


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``mlops-audit ARGV``, run in this process."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 1
    except Exception:
        code = 1
        sys.stderr.write(traceback.format_exc())
    finally:
        gc.enable()  # a scan disables the cyclic collector for its (short) process
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, path: Path, words: list[str]) -> None:
    assert "Traceback" not in err, err
    assert code == 2, f"exit {code}, stderr: {err!r}"
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {err!r}"
    assert str(path) in lines[0], f"the message does not name {path}: {lines[0]!r}"
    problem = lines[0].split(str(path), 1)[1].lower()
    for word in words:
        assert word.lower() in problem, f"{word!r} not in {lines[0]!r}"
    assert out == ""


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


# -- bad estate files -------------------------------------------------------------------
STORAGE_ID = b.storage("stdata")["id"]
SNAPSHOT_HEAD = '{"format": "mlops-audit-snapshot", "version": %s, "rows": []}'


def _half_of_a_real_file(tmp_path: Path) -> Path:
    text = GOOD.read_text(encoding="utf-8")
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")  # cut between characters
    return path


def _directory(tmp_path: Path) -> Path:
    path = tmp_path / "estate.d"
    path.mkdir()
    return path


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "no-such-estate.json"


Content = bytes | Callable[[Path], Path]
BAD_ESTATES: list[tuple[str, Content, list[str]]] = [
    ("invalid-json", b'[{"id": "x",}]', ["invalid JSON", "line 1"]),
    ("truncated-half-file", _half_of_a_real_file, ["truncated"]),
    ("truncated-between-tokens", b'[{"id": "/a", "type": "t"}, ', ["truncated"]),
    ("top-level-number", b"42", ["top-level", "a number"]),
    ("top-level-string", b'"rows"', ["top-level", "a string"]),
    ("object-without-data-or-format", b'{"count": 0, "total_records": 0}', ["'data'", "'format'"]),
    ("data-not-a-list", b'{"count": 1, "data": 5}', ["'data'", "a number", "array"]),
    ("row-not-an-object", b'[["id", "type"]]', ["row 0", "an array", "object"]),
    ("row-without-id", b'[{"type": "microsoft.storage/storageaccounts"}]', ["row 0", "'id'"]),
    ("row-without-type", f'[{{"id": "{STORAGE_ID}"}}]'.encode(), ["row 0", "'type'"]),
    ("empty-file", b"", ["empty"]),
    ("whitespace-only", b" \n\t\r\n ", ["empty"]),
    ("not-utf-8", b'[{"id": "\xe9"}]', ["UTF-8", "0xe9"]),
    ("directory", _directory, ["directory"]),
    ("missing-path", _missing, ["no such file"]),
    (
        "unknown-format",
        b'{"format": "terraform-state", "version": 1, "rows": []}',
        ["format", "terraform-state"],
    ),
    ("unsupported-version", (SNAPSHOT_HEAD % "2").encode(), ["version 2", "not supported"]),
    # Beyond the brief: JSON that json.loads rejects with RecursionError or ValueError
    # rather than JSONDecodeError, a boolean that Python takes for version 1, an empty 'type'.
    ("deeply-nested", b"[" * 100_000 + b"]" * 100_000, ["JSON"]),
    ("huge-integer", b'[{"id": "/a", "type": "t", "n": 1' + b"0" * 5000 + b"}]", ["JSON"]),
    ("version-true", (SNAPSHOT_HEAD % "true").encode(), ["version", "not supported"]),
    (
        "row-with-empty-type",
        f'[{{"id": "{STORAGE_ID}", "type": ""}}]'.encode(),
        ["'type'", "empty"],
    ),
]


@pytest.mark.parametrize(("name", "content", "words"), BAD_ESTATES, ids=[c[0] for c in BAD_ESTATES])
def test_bad_estate_file_is_one_line_and_exit_2(
    name: str, content: Content, words: list[str], tmp_path: Path, capsys: Any
) -> None:
    if callable(content):
        path = content(tmp_path)
    else:
        path = tmp_path / "estate.json"
        path.write_bytes(content)
    code, out, err = run_cli(["scan", "--snapshot", str(path), "--format", "json"], capsys)
    assert_one_line_error(code, out, err, path, words)


def test_a_bad_second_file_is_named(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "second.json"
    bad.write_bytes(b"[1]")
    code, out, err = run_cli(["scan", "--snapshot", str(GOOD), "--snapshot", str(bad)], capsys)
    assert_one_line_error(code, out, err, bad, ["row 0", "a number"])


# -- bad rule files ---------------------------------------------------------------------
def _rule(**changes: Any) -> dict[str, Any]:
    """A valid rule (a built-in one under a new id) with some fields changed; None drops."""
    spec = yaml.safe_load((ROOT / "rules" / "MLA-STG-001.yaml").read_text(encoding="utf-8"))
    spec = {**spec, "id": "ORG-TST-001", **changes}
    return {k: v for k, v in spec.items() if v is not None}


TLS_CHECK = {"path": "subject.properties.minimumTlsVersion", "equal": "TLS1_2"}
BAD_RULES: list[tuple[str, str, Any, list[str]]] = [
    ("invalid-yaml", "ORG-TST-001.yaml", "id: [ORG-TST-001\ntitle: x\n", ["invalid YAML", "line"]),
    ("unknown-field", "ORG-TST-001.yaml", _rule(colour="red"), ["colour", "unknown field"]),
    (
        "unknown-operator",
        "ORG-TST-001.yaml",
        _rule(**{"assert": TLS_CHECK}),
        ["assert:", "unknown operator 'equal'", "did you mean 'equals'"],
    ),
    (
        "unknown-operator-nested",
        "ORG-TST-001.yaml",
        _rule(**{"assert": {"all": [{"path": "subject.name", "exists": True}, TLS_CHECK]}}),
        ["assert.all[1]:", "'equal'", "'equals'"],
    ),
    (
        "unknown-relation",
        "ORG-TST-001.yaml",
        _rule(**{"assert": {"relation": "private_endpoint", "exists": True}}),
        ["assert.relation", "unknown relation 'private_endpoint'"],
    ),
    (
        "file-name-not-id",
        "ORG-TST-002.yaml",
        _rule(),
        ["'ORG-TST-001'", "'ORG-TST-002'", "file name"],
    ),
    (
        "reserved-builtin-prefix",
        "MLA-STG-001.yaml",
        _rule(id="MLA-STG-001"),
        ["MLA-STG-001", "reserved for built-in rules"],
    ),
    ("missing-rationale", "ORG-TST-001.yaml", _rule(rationale=None), ["rationale", "missing"]),
]


@pytest.mark.parametrize(
    ("name", "filename", "spec", "words"), BAD_RULES, ids=[c[0] for c in BAD_RULES]
)
def test_bad_rule_file_is_one_line_and_exit_2(
    name: str, filename: str, spec: Any, words: list[str], tmp_path: Path, capsys: Any
) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    path = rules_dir / filename
    path.write_text(spec if isinstance(spec, str) else yaml.safe_dump(spec), encoding="utf-8")
    code, out, err = run_cli(
        ["scan", "--snapshot", str(GOOD), "--format", "json", "--rules", str(rules_dir)], capsys
    )
    assert_one_line_error(code, out, err, path, words)


def test_the_valid_base_rule_loads(tmp_path: Path, capsys: Any) -> None:
    """The bad rules above differ from this one only in what each case breaks."""
    (tmp_path / "ORG-TST-001.yaml").write_text(yaml.safe_dump(_rule()), encoding="utf-8")
    code, out, err = run_cli(
        ["scan", "--snapshot", str(GOOD), "--format", "json", "--rules", str(tmp_path)], capsys
    )
    assert (code, err) == (0, "")
    assert "ORG-TST-001" in [r["rule_id"] for r in json.loads(out)["rules"]]


# -- good estate files ------------------------------------------------------------------
ROW = {**b.storage("stdata"), "location": "westeurope", "sku": {"name": "Standard_LRS"}}


def _table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    names = list(rows[0])
    return {
        "count": len(rows),
        "data": {
            "columns": [{"name": n, "type": "object"} for n in names],
            "rows": [[r[n] for n in names] for r in rows],
        },
        "skip_token": None,
        "total_records": len(rows),
    }


SHAPES = [
    ("az-graph", {"count": 1, "data": [ROW], "skip_token": None, "total_records": 1}, "az-graph"),
    ("array", [ROW], "array"),
    (
        "snapshot",
        {
            "format": "mlops-audit-snapshot",
            "version": 1,
            "collections": ["resources"],
            "rows": [ROW],
        },
        "snapshot",
    ),
    ("table", _table([ROW]), "az-graph"),
]


@pytest.mark.parametrize(("name", "doc", "fmt"), SHAPES, ids=[s[0] for s in SHAPES])
def test_every_file_shape_loads(name: str, doc: Any, fmt: str, tmp_path: Path) -> None:
    estate = inputs.load([write_json(tmp_path / "estate.json", doc)])
    assert [(s.format, s.rows) for s in estate.sources] == [(fmt, 1)]
    assert estate.rows_read == 1
    assert list(estate.rows.values()) == [ROW]
    assert estate.types == {ROW["id"].lower(): "microsoft.storage/storageaccounts"}


def test_snapshot_declares_collections_it_holds_no_rows_of(tmp_path: Path) -> None:
    """A snapshot that collected computes and found none: the compute rules run (and find
    nothing to judge) instead of being reported as not evaluated."""
    ws = next(
        r for r in json.loads(GOOD.read_text(encoding="utf-8")) if r["name"] == "mlw-mlops00000"
    )
    doc = {
        "format": "mlops-audit-snapshot",
        "version": 1,
        "tool_version": "0.1.0",
        "collections": ["resources", "computes"],
        "rows": [ws],
    }
    path = write_json(tmp_path / "snap.json", doc)
    estate = inputs.load([path])
    assert estate.collections() == {"resources", "computes"}
    assert estate.sources[0].metadata == {
        "tool_version": "0.1.0",
        "collections": ["resources", "computes"],
    }
    result = scan_files([path], select=["MLA-AML-003"])
    assert [(o.rule_id, o.status) for o in result.outcomes] == [("MLA-AML-003", "not-applicable")]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([ROW]).encode())
    assert inputs.load([path]).rows_read == 1


def _duplicates(tmp_path: Path) -> tuple[dict[str, Any], inputs.Estate]:
    first = {
        **b.storage("stdata"),
        "properties": {"publicNetworkAccess": "Disabled", "networkAcls": {"defaultAction": "Deny"}},
    }
    second = {
        "id": first["id"].upper(),
        "type": "Microsoft.Storage/storageAccounts",
        "kind": None,
        "properties": {"minimumTlsVersion": "TLS1_2", "networkAcls": {"bypass": "AzureServices"}},
    }
    return first, inputs.load([write_json(tmp_path / "dup.json", [first, second])])


def test_duplicate_ids_in_other_letter_case_merge(tmp_path: Path) -> None:
    _, estate = _duplicates(tmp_path)
    assert (estate.rows_read, len(estate.rows), estate.duplicates_merged) == (2, 1, 1)
    (merged,) = estate.rows.values()
    assert merged["kind"] == "StorageV2"  # a later null does not erase a value
    assert merged["properties"] == {
        "publicNetworkAccess": "Disabled",
        "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"},
        "minimumTlsVersion": "TLS1_2",
    }


def test_duplicate_ids_keep_the_first_rows_id_casing(tmp_path: Path) -> None:
    first, estate = _duplicates(tmp_path)
    (merged,) = estate.rows.values()
    assert merged["id"] == first["id"]
    assert list(estate.types.values()) == ["microsoft.storage/storageaccounts"]


def test_properties_null_is_an_empty_object(tmp_path: Path) -> None:
    st = {**b.storage("stnull"), "properties": None}
    net = {**b.vnet("vnet-null", "10.0.0.0/16", {}), "properties": None}
    pe = {**b.endpoint("pe-null", "/x", st["id"], "blob", "10.0.0.4")[0], "properties": None}
    result = scan_rows([st, net, pe], tmp_path)
    # absent publicNetworkAccess means Enabled, exactly as with "properties": {}
    # null properties are absent ones: no public access setting, no anonymous-blob setting
    assert [(f.rule_id, f.resource_name) for f in result.findings] == [
        ("MLA-STG-001", "stnull"),
        ("MLA-STG-003", "stnull"),
    ]


def test_missing_sku_is_not_evaluated_never_a_pass(tmp_path: Path) -> None:
    acr = {
        "id": b.rid("rg-aml", "Microsoft.ContainerRegistry/registries/crnosku"),
        "name": "crnosku",
        "type": "microsoft.containerregistry/registries",
        "properties": {"publicNetworkAccess": "Disabled", "adminUserEnabled": False},
    }
    result = scan_rows([acr], tmp_path, select=["MLA-ACR-003"])
    assert result.outcomes[0].status == "incomplete"
    assert result.findings == []
    (entry,) = result.not_evaluated
    assert entry.reasons == ["subject.sku.name is absent"]


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"count": 0, "data": [], "skip_token": None, "total_records": 0},
        {"format": "mlops-audit-snapshot", "version": 1, "rows": []},
    ],
    ids=["array", "az-graph", "snapshot"],
)
def test_empty_estates_load(doc: Any, tmp_path: Path) -> None:
    estate = inputs.load([write_json(tmp_path / "empty.json", doc)])
    assert (estate.rows_read, estate.rows, estate.sources[0].rows) == (0, {}, 0)


def test_empty_arrays_inside_rows(tmp_path: Path) -> None:
    net = b.vnet("vnet-bare", "10.0.0.0/16", {})  # subnets, peerings and DNS servers all []
    net["properties"]["addressSpace"]["addressPrefixes"] = []
    result = scan_rows([net], tmp_path)
    assert result.findings == [] and result.not_evaluated == []


def test_unicode_names_survive_into_the_report(tmp_path: Path, capsys: Any) -> None:
    st = {
        **b.storage("stdonnées-データ"),
        "properties": {"publicNetworkAccess": "Enabled", "allowBlobPublicAccess": False},
    }
    path = write_json(tmp_path / "estate.json", [st])
    code, out, err = run_cli(["scan", "--snapshot", str(path), "--format", "json"], capsys)
    assert (code, err) == (1, "")
    (finding,) = json.loads(out)["findings"]
    assert finding["resource_name"] == "stdonnées-データ"
    assert "stdonnées-データ" in finding["message"]


def test_rows_of_unknown_types_are_kept_and_counted(tmp_path: Path, capsys: Any) -> None:
    site = {"id": b.rid("rg-web", "Microsoft.Web/sites/app1"), "type": "Microsoft.Web/sites"}
    path = write_json(tmp_path / "estate.json", [ROW, site, {**site, "id": site["id"] + "2"}])
    estate = inputs.load([path])
    assert len(estate.rows) == 3
    code, out, err = run_cli(["scan", "--snapshot", str(path), "--format", "json"], capsys)
    assert (code, err) == (0, "")
    inventory = json.loads(out)["inventory"]
    assert inventory["unknown_types"] == {"microsoft.web/sites": 2}
    assert inventory["by_type"]["microsoft.web/sites"] == 2


def test_two_files_merge_into_one_estate(tmp_path: Path) -> None:
    net = b.vnet("vnet-a", "10.0.0.0/16", {"snet": "10.0.0.0/24"})
    a = write_json(tmp_path / "a.json", [net])
    bb = write_json(tmp_path / "b.json", {"data": [ROW, {**net, "id": net["id"].lower()}]})
    estate = inputs.load([a, bb])
    assert [(s.path, s.format, s.rows) for s in estate.sources] == [
        (str(a), "array", 1),
        (str(bb), "az-graph", 2),
    ]
    assert (estate.rows_read, len(estate.rows), estate.duplicates_merged) == (3, 2, 1)


def test_rows_read_counts_every_row_of_every_file() -> None:
    files = [GOOD, TERRAFORM]
    rows = [r for f in files for r in json.loads(f.read_text(encoding="utf-8"))]
    estate = inputs.load(files)
    assert estate.rows_read == len(rows)
    assert len(estate.rows) == len({r["id"].lower() for r in rows})
    assert estate.duplicates_merged == estate.rows_read - len(estate.rows)


def test_repeated_row_values_are_one_object_and_unchanged() -> None:
    """Types, regions, tenants, subscriptions and resource groups repeat across an estate:
    the estate keeps one str object per distinct value (memory), with every value as read."""
    rows = [
        {
            "id": f"/subscriptions/s/resourceGroups/rg/providers/microsoft.network/vnets/v{i}",
            "type": "".join(["Microsoft.Network/", "vnets"]),
            "location": "".join(["west", "europe"]),
            "subscriptionId": "".join(["s", "1"]),
            "resourceGroup": 7 if i == 2 else "".join(["r", "g"]),
        }
        for i in range(3)
    ]
    estate = inputs.Estate()
    inputs.add_document("rows.json", rows, estate)
    read = list(estate.rows.values())
    for name in ("type", "location", "subscriptionId"):
        assert read[0][name] is read[1][name] is read[2][name]
    assert read[0]["resourceGroup"] is read[1]["resourceGroup"] == "rg"
    assert read[2]["resourceGroup"] == 7
    assert [r["location"] for r in read] == ["westeurope"] * 3


def test_what_an_estate_holds_is_judged_per_input() -> None:
    """A snapshot's collections cover its own rows: the first input's rows, the second's,
    and a row both hold, each by the inputs it came from."""
    from auditor.estate import Reading

    def row(name: str) -> dict[str, Any]:
        rid = f"/subscriptions/s/resourceGroups/rg/providers/microsoft.network/vnets/{name}"
        return {"id": rid, "type": "Microsoft.Network/vnets"}

    estate = inputs.Estate()
    estate.add("a.json", "snapshot", Reading([row("a"), row("both")], collections=["computes"]))
    estate.add("b.json", "snapshot", Reading([row("b"), row("both")], collections=["gateways"]))
    a, b, both = (
        f"/subscriptions/s/resourcegroups/rg/providers/microsoft.network/vnets/{n}"
        for n in ("a", "b", "both")
    )
    assert estate.holds(a, "computes") and not estate.holds(a, "gateways")
    assert estate.holds(b, "gateways") and not estate.holds(b, "computes")
    assert estate.holds(both, "computes") and estate.holds(both, "gateways")
    assert not estate.holds(a.replace("/a", "/elsewhere"), "computes")


def test_a_collection_every_input_holds_covers_every_row_until_an_input_lacks_it() -> None:
    """``holds`` remembers which collections every input holds; an input added later
    without one makes its own rows short of it (the remembered answer is dropped)."""
    from auditor.estate import Reading

    def row(name: str) -> dict[str, Any]:
        rid = f"/subscriptions/s/resourceGroups/rg/providers/microsoft.network/vnets/{name}"
        return {"id": rid, "type": "Microsoft.Network/vnets"}

    def key(name: str) -> str:
        return f"/subscriptions/s/resourcegroups/rg/providers/microsoft.network/vnets/{name}"

    estate = inputs.Estate()
    estate.add("a.json", "snapshot", Reading([row("a")], collections=["computes", "gateways"]))
    estate.add("b.json", "snapshot", Reading([row("b")], collections=["computes"]))
    assert estate.holds(key("a"), "computes") and estate.holds(key("b"), "computes")
    assert not estate.holds(key("elsewhere"), "computes")
    assert estate.holds(key("a"), "gateways") and not estate.holds(key("b"), "gateways")
    estate.add("c.json", "snapshot", Reading([row("c"), row("b")], collections=["gateways"]))
    assert estate.holds(key("a"), "computes") and not estate.holds(key("c"), "computes")
    assert estate.holds(key("c"), "gateways") and estate.holds(key("a"), "gateways")
    assert estate.holds(key("b"), "gateways")  # by its duplicate's input


def test_subscriptions_of_keys_that_share_a_subscription_prefix() -> None:
    """A key that opens as the one before names that one's subscription; a subscription
    whose name extends another's is still its own."""
    from auditor.estate import Estate

    estate = Estate()
    for k in (
        "/subscriptions/s1/rg/a",
        "/subscriptions/s1/rg/b",
        "/subscriptions/s10/rg/a",
        "/subscriptions/s1",
        "/subscriptions/s1x",
        "/subscriptions/s1/rg/c",
        "/other/subscriptions/s2/x",
        "/subscriptions/s3/",
        "/subscriptions/s3/x",
    ):
        estate.rows[k] = {}
    assert estate.subscriptions() == ["s1", "s10", "s1x", "s2", "s3"]
