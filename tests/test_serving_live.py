"""The serving surface on the live path: Azure Monitor Private Link Scope members are not in
Resource Graph, so the collector lists them from ARM under each scope (the fake serves them
as ARM lists), and a scan of what was collected judges as the offline scan of the same
estate does."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor import audit
from auditor.collect import Scope

from .conftest import FIXTURES
from .fake_arm import FakeArm, _Problem, load_rows, write_stub_az
from .test_live import collector, ids, subscriptions

TOPOLOGY = FIXTURES / "topologies" / "serve-appinsights-ampls" / "estate.json"
RULES = ["MLA-APPI-001", "MLA-APPI-002", "MLA-APPI-003", "MLA-APPI-004"]


def verdicts(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str | None]]]:
    result = audit([path], select=RULES).result
    return (
        sorted((f.rule_id, f.resource_id.lower()) for f in result.findings),
        sorted((n.rule_id, n.resource_id) for n in result.not_evaluated),
    )


def test_scope_members_are_read_from_arm_and_judged_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    rows = load_rows(TOPOLOGY)
    scopes = [r for r in rows if r["type"] == "microsoft.insights/privatelinkscopes"]
    with FakeArm(rows) as arm:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
        doc = collector(arm).collect(Scope(subscriptions=subscriptions(rows)))
        listed = arm.requests.matching(path_contains="/scopedResources")
        graph_posts = arm.requests.matching(path_contains="Microsoft.ResourceGraph")
    assert doc["failures"] == []
    assert ids(doc["rows"]) == ids(rows)  # the scoped resources too, though ARG has none
    assert "amplsscopedresources" in doc["collections"]
    assert len(listed) == len(scopes)  # one ARM list per scope
    assert all("scopedresources" not in json.dumps(p.body).lower() for p in graph_posts)
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps(doc), encoding="utf-8")
    live, offline = verdicts(snapshot), verdicts(TOPOLOGY)
    assert live == offline
    assert ("MLA-APPI-004", rows[3]["id"].lower()) in live[0]  # appi-public: in no scope


class OddScopeLists(FakeArm):
    """Every AMPLS scopedResources list answers ``odd`` instead of its items."""

    odd: str = "no-value"

    def _arm_route(self, path, query):  # type: ignore[no-untyped-def]
        reply = super()._arm_route(path, query)
        if path.lower().endswith("/scopedresources"):
            if type(self).odd == "no-value":
                reply.body = {}
            elif type(self).odd == "404":
                raise _Problem(404, "ResourceNotFound", "gone")
            elif type(self).odd == "value-not-list":
                reply.body = {"value": {"id": "x"}}
        return reply


@pytest.mark.parametrize("odd", ["no-value", "404", "value-not-list"])
def test_an_odd_scope_list_is_a_failure_and_never_a_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str
) -> None:
    """A list answer without its 'value' list (or a 404) is no empty list: each scope's
    read is a recorded failure (the scan is incomplete, exit 3), never zero members."""
    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(OddScopeLists, "odd", odd)
    rows = load_rows(TOPOLOGY)
    with OddScopeLists(rows) as arm:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
        doc = collector(arm).collect(Scope(subscriptions=subscriptions(rows)))
    assert doc["failures"] and all("amplsscopedresources" in str(f) for f in doc["failures"])
    assert not any(r["type"].endswith("/scopedresources") for r in doc["rows"])
