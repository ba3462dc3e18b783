"""The collection declarations: what each holds, when its absence matters and how that is
explained, and that the collector, the snapshot reader and the rule files all go by them."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from auditor import collections, graph, inputs, queries
from auditor.collections import (
    AMPLS_SCOPES,
    COMPUTES,
    DECLARATIONS,
    DNS_RECORDS,
    FORWARDING_RULES,
    GATEWAYS,
    INBOUND_ENDPOINTS,
    NAMES,
    RESOURCES,
    RULESET_LINKS,
    VM_EXTENSIONS,
    ZONE_GROUPS,
    ArmList,
    GraphQuery,
    missing_collection,
)
from auditor.rules import RuleFileError, compile_rule

from . import builders as b
from .conftest import ROOT

WS_ID = b.rid("rg-aml", "Microsoft.MachineLearningServices/workspaces/mlw")
WORKSPACE = {"id": WS_ID, "name": "mlw", "type": "microsoft.machinelearningservices/workspaces"}
STORAGE = b.storage("stcoll")
VNET = b.vnet("vnet-c", "10.0.0.0/16", {"snet": "10.0.0.0/24"})
ENDPOINT = b.endpoint("pe-c", f"{VNET['id']}/subnets/snet", STORAGE["id"], "blob", "10.0.0.4")
ZONE = b.zone("privatelink.blob.core.windows.net")
AMPLS = {
    "id": b.rid("rg-aml", "microsoft.insights/privateLinkScopes/ampls"),
    "name": "ampls",
    "type": "microsoft.insights/privatelinkscopes",
}

RESOLVER = {
    "id": b.rid("rg-dns", "Microsoft.Network/dnsResolvers/dnspr"),
    "name": "dnspr",
    "type": "microsoft.network/dnsresolvers",
}
RULESET = {
    "id": b.rid("rg-dns", "Microsoft.Network/dnsForwardingRulesets/rs"),
    "name": "rs",
    "type": "microsoft.network/dnsforwardingrulesets",
}
VM = {
    "id": b.rid("rg-build", "Microsoft.Compute/virtualMachines/vm-agent"),
    "name": "vm-agent",
    "type": "microsoft.compute/virtualmachines",
}
_ARM = "Resource Graph does not hold them; they are read from ARM by 'mlops-audit collect'"


def graph_of(rows: list[dict[str, Any]]) -> graph.AuditGraph:
    """The graph of hand-built rows, read as a plain array."""
    estate = inputs.Estate()
    inputs.add_document("rows", rows, estate)
    return graph.build(estate)


# (collection, rows that make its absence matter, the sentence that explains it)
ABSENCES = [
    (RESOURCES, [], "the estate has no Resource Graph resources rows"),
    (
        DNS_RECORDS,
        [ZONE],
        "the estate has no private DNS record rows (Resource Graph dnsresources)",
    ),
    (
        COMPUTES,
        [WORKSPACE],
        "the estate has no Azure ML compute rows (Resource Graph does not hold them; they are "
        "read from ARM by 'mlops-audit collect')",
    ),
    (
        ZONE_GROUPS,
        [VNET, *ENDPOINT],
        "the estate has no private DNS zone group rows (Resource Graph does not hold them; "
        "they are read from ARM by 'mlops-audit collect')",
    ),
    (
        GATEWAYS,
        [VNET],
        "the estate has no virtual network gateway or Route Server rows (Resource Graph "
        "resources of types microsoft.network/virtualhubs, "
        "microsoft.network/virtualnetworkgateways)",
    ),
    (
        AMPLS_SCOPES,
        [AMPLS],
        "the estate has no Azure Monitor Private Link Scope scoped resource rows (Resource "
        "Graph does not hold them; they are read from ARM by 'mlops-audit collect')",
    ),
    (
        INBOUND_ENDPOINTS,
        [RESOLVER],
        f"the estate has no DNS resolver inbound endpoint rows ({_ARM})",
    ),
    (FORWARDING_RULES, [RULESET], f"the estate has no DNS forwarding rule rows ({_ARM})"),
    (RULESET_LINKS, [RULESET], f"the estate has no DNS forwarding ruleset link rows ({_ARM})"),
    (
        VM_EXTENSIONS,
        [VM],
        "the estate has no VM extension rows (Resource Graph resources of type "
        "microsoft.compute/virtualmachines/extensions)",
    ),
]


def test_the_collections_in_their_order() -> None:
    assert NAMES == (
        "resources",
        "dnsresources",
        "computes",
        "privatednszonegroups",
        "gateways",
        "amplsscopedresources",
        "dnsinboundendpoints",
        "dnsforwardingrules",
        "dnsrulesetlinks",
        "vmextensions",
        "policystates",
        "assessments",
    )
    # Azure's own verdicts: no rule may need them (crossref.py reads them)
    assert NAMES[:-2] == collections.NEEDABLE
    assert [c for c, _, _ in ABSENCES] == list(collections.NEEDABLE)


@pytest.mark.parametrize(("name", "parents", "absence"), ABSENCES, ids=[a[0] for a in ABSENCES])
def test_an_absence_that_matters_is_explained(
    name: str, parents: list[dict[str, Any]], absence: str
) -> None:
    # storage alone: a resources row, and nothing any other collection describes
    alone = graph_of([STORAGE])
    with_parents = graph_of([STORAGE, *parents])
    assert alone.estate.collections() == {RESOURCES}
    if name != RESOURCES:
        assert missing_collection(alone, [name]) == (None, [])  # nothing for it to describe
    assert missing_collection(with_parents, [RESOURCES, name]) == (
        absence if name != RESOURCES else None,
        [],
    )
    assert collections.BY_NAME[name].absence == absence


def test_resources_matter_always() -> None:
    zones_only = graph_of([ZONE])  # a row of the resources table after all
    assert missing_collection(zones_only, [RESOURCES]) == (None, [])
    assert missing_collection(graph_of([]), [RESOURCES]) == (
        collections.BY_NAME[RESOURCES].absence,
        [],
    )  # even an estate with nothing in it needs them


def test_every_row_type_belongs_to_one_collection() -> None:
    assert collections.holding("microsoft.machinelearningservices/workspaces/computes") == COMPUTES
    assert (
        collections.holding("microsoft.network/privateendpoints/privatednszonegroups")
        == ZONE_GROUPS
    )
    assert collections.holding("microsoft.network/privatednszones/cname") == DNS_RECORDS
    assert collections.holding("microsoft.web/sites") == RESOURCES  # the catch-all
    assert [c.name for c in DECLARATIONS if c.row_types is None] == [RESOURCES]
    claimed = [t for c in DECLARATIONS for t in c.row_types or ()]
    assert len(claimed) == len(set(claimed))


def test_how_each_collection_is_read() -> None:
    """Resource Graph tables by a pageable query; what it lacks by ARM, per parent, with
    an api-version, and the parent is the type whose presence makes the absence matter."""
    for c in DECLARATIONS:
        if isinstance(c.source, GraphQuery):
            # its own table, or a part of the resources table read apart (gateways, VM
            # extensions: exactly their own types, with properties, where the rules read)
            table = c.name if c.row_types is None or c.name == DNS_RECORDS else RESOURCES
            if c.advisory:  # Azure's verdicts, each in its table, kept to the bad ones
                table = {"policystates": "policyresources", "assessments": "securityresources"}
                table = table[c.name]
                assert "NonCompliant" in c.source.text or "Unhealthy" in c.source.text
            assert queries.check_pageable(c.source.text).startswith(table)
            if table == RESOURCES and c.row_types is not None:
                assert c.source.text == queries.resources_query(tuple(sorted(c.row_types)))
                assert " properties," in c.source.text
        else:
            assert isinstance(c.source, ArmList)
            assert c.source.parent_type == c.matters_with
            path = c.source.path_for("/subscriptions/s/p/x")
            assert path.startswith("/subscriptions/s/p/x/") and "api-version=" in path
            assert all(t in queries.ARM_ONLY for t in c.row_types or ())
    # nothing is read twice, and what only Terraform makes is read by no query
    graph_types = [
        t for c in DECLARATIONS if isinstance(c.source, GraphQuery) for t in (c.row_types or ())
    ]
    assert not set(graph_types) & set(queries.RESOURCE_TYPES)
    for t in queries.SOURCE_ONLY:
        assert all(t not in c.source.text for c in DECLARATIONS if isinstance(c.source, GraphQuery))
    assert collections.BY_NAME[VM_EXTENSIONS].source == GraphQuery(queries.VM_EXTENSIONS)
    assert collections.BY_NAME[COMPUTES].source == ArmList(
        queries.COMPUTES_PATH,
        "microsoft.machinelearningservices/workspaces",
        queries.COMPUTE_FALLBACK_API_VERSIONS,
    )


def test_rule_files_may_need_only_declared_collections() -> None:
    spec = yaml.safe_load((ROOT / "rules" / "MLA-STG-001.yaml").read_text(encoding="utf-8"))
    for name in collections.NEEDABLE:
        assert compile_rule({**spec, "needs": [name]}, "MLA-STG-001.yaml").spec.needs == [name]
    # a typo, or Azure's own verdicts: they never decide a rule
    for name in ("vms", "policystates", "assessments"):
        with pytest.raises(RuleFileError, match="needs"):
            compile_rule({**spec, "needs": [name]}, "MLA-STG-001.yaml")


def test_collections_are_per_source(tmp_path: Any) -> None:
    """One snapshot that collected computes does not make another file's workspaces
    complete: their computes were never read, so the compute rules do not judge them —
    not evaluated, naming the workspace — while the snapshot's own are judged."""
    import json

    from auditor import core

    other_id = WS_ID.replace("/mlw", "/mlw-other")
    snap = {
        "format": "mlops-audit-snapshot",
        "version": 1,
        "collections": [RESOURCES, COMPUTES],
        "rows": [WORKSPACE],
    }
    (tmp_path / "snap.json").write_text(json.dumps(snap), encoding="utf-8")
    raw = [{**WORKSPACE, "id": other_id, "name": "mlw-other"}]
    (tmp_path / "raw.json").write_text(json.dumps(raw), encoding="utf-8")
    run = core.audit([tmp_path / "snap.json", tmp_path / "raw.json"], select=["MLA-AML-003"])
    (outcome,) = run.result.outcomes
    assert outcome.reason is None and outcome.status == "incomplete"
    (entry,) = run.result.not_evaluated
    assert entry.resource_id == other_id
    assert entry.reasons[0].startswith("mlw-other comes from an input without computes rows")
    # the snapshot alone holds its computes (none): nothing unjudged
    alone = core.audit([tmp_path / "snap.json"], select=["MLA-AML-003"])
    assert alone.result.not_evaluated == [] and alone.complete
    # a raw file says nothing of its scope: its rows count for the whole estate, as before
    assert not core.audit([tmp_path / "raw.json"], select=["MLA-AML-003"]).complete
