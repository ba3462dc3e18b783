"""The serving surface: hub/project inheritance, the workspace that governs a compute or
endpoint, the cluster behind an inference compute, AMPLS scoping, managed-network outbound
rules — each answered by its relation, unknown when the deciding resource is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.relations import RELATIONS, Unknown
from auditor.relations.serving import _fqdn, _service_tag

from . import builders as b
from .conftest import graph_of

WS = "Microsoft.MachineLearningServices/workspaces"
AKS = "Microsoft.ContainerService/managedClusters"


def ws(name: str, kind: str = "Default", **props: Any) -> dict[str, Any]:
    return {
        "id": b.rid("rg-aml", f"{WS}/{name}"),
        "name": name,
        "type": "microsoft.machinelearningservices/workspaces",
        "kind": kind,
        "properties": props,
    }


def child(parent: dict[str, Any], segment: str, name: str, rtype: str, **props: Any) -> dict:
    return {
        "id": f"{parent['id']}/{segment}/{name}",
        "name": name,
        "type": rtype,
        "properties": props,
    }


def ask(g: Any, relation: str, row: dict[str, Any]) -> Any:
    return RELATIONS[relation].fn(g, row["id"].lower())


# -- hub and project ------------------------------------------------------------------------
def test_a_project_names_its_hub_whatever_the_case_of_kind_and_id(tmp_path: Path) -> None:
    hub = ws("hub", "Hub")
    proj = ws(
        "proj",
        "project",
        hubResourceId=hub["id"].upper().replace("/SUBSCRIPTIONS", "/subscriptions"),
    )
    plain = ws("plain")
    g = graph_of([hub, proj, plain], tmp_path)
    (item,) = ask(g, "hub", proj)
    assert item.node == hub["id"].lower()
    assert ask(g, "hub", plain) == [] and ask(g, "hub", hub) == []


def test_a_project_without_a_readable_hub_is_unknown(tmp_path: Path) -> None:
    bare = ws("bare", "Project")
    wrong = ws(
        "wrong", "Project", hubResourceId=b.rid("rg", "Microsoft.Storage/storageAccounts/st")
    )
    g = graph_of([bare, wrong], tmp_path)
    assert isinstance(ask(g, "hub", bare), Unknown)
    answer = ask(g, "hub", wrong)
    assert isinstance(answer, Unknown) and "hubResourceId" in answer.reasons[0]


def test_the_network_owner_of_computes_and_deployments(tmp_path: Path) -> None:
    hub = ws("hub", "Hub", managedNetwork={"isolationMode": "AllowOnlyApprovedOutbound"})
    proj = ws("proj", "Project", hubResourceId=hub["id"])
    legacy = ws("legacy")
    compute = child(proj, "computes", "ci", "microsoft.machinelearningservices/workspaces/computes")
    ep = child(
        legacy,
        "onlineEndpoints",
        "ep",
        "microsoft.machinelearningservices/workspaces/onlineendpoints",
    )
    dep = child(
        ep,
        "deployments",
        "blue",
        "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments",
    )
    # a deployment whose endpoint row is missing still belongs to the workspace its id names
    lost = child(
        child(legacy, "onlineEndpoints", "gone", "x"),
        "deployments",
        "green",
        "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments",
    )
    g = graph_of([hub, proj, legacy, compute, ep, dep, lost], tmp_path)
    (owner,) = ask(g, "network_owner", compute)
    assert owner.node == hub["id"].lower()
    assert (
        owner.extra["via"] == "workspace proj is a project and inherits the network of its hub hub"
    )
    (owner,) = ask(g, "network_owner", proj)
    assert owner.extra["via"] == "it is a project and inherits the network of its hub hub"
    for row in (dep, lost, ep):
        (owner,) = ask(g, "network_owner", row)
        assert owner.node == legacy["id"].lower() and owner.extra["via"] == "workspace legacy"


# -- AKS / Kubernetes inference computes ---------------------------------------------------------
def cluster(name: str, **props: Any) -> dict[str, Any]:
    return {
        "id": b.rid("rg-aks", f"{AKS}/{name}"),
        "name": name,
        "type": "microsoft.containerservice/managedclusters",
        "properties": props,
    }


@pytest.mark.parametrize(
    ("props", "opened"),
    [
        ({}, True),
        ({"apiServerAccessProfile": {"enablePrivateCluster": True}}, False),
        ({"apiServerAccessProfile": {"authorizedIPRanges": ["0.0.0.0/0"]}}, True),
        ({"apiServerAccessProfile": {"authorizedIPRanges": ["0.0.0.0/1", "128.0.0.0/1"]}}, True),
        # private ranges need not be listed for the public internet to be covered
        (
            {
                "apiServerAccessProfile": {
                    "authorizedIPRanges": [
                        "0.0.0.0/5",
                        "8.0.0.0/7",
                        "11.0.0.0/8",
                        "12.0.0.0/6",
                        "16.0.0.0/4",
                        "32.0.0.0/3",
                        "64.0.0.0/2",
                        "128.0.0.0/1",
                    ]
                }
            },
            True,
        ),
        ({"apiServerAccessProfile": {"authorizedIPRanges": ["0.0.0.0/32"]}}, False),
        ({"apiServerAccessProfile": {"authorizedIPRanges": ["203.0.113.0/24"]}}, False),
        ({"publicNetworkAccess": "Disabled"}, False),
        (
            {"apiServerAccessProfile": {"enablePrivateCluster": False, "authorizedIPRanges": []}},
            True,
        ),
    ],
)
def test_an_api_server_is_open_when_nothing_keeps_the_internet_out(
    tmp_path: Path, props: dict[str, Any], opened: bool
) -> None:
    aks = cluster("aks", **props)
    compute = child(
        ws("w"),
        "computes",
        "inf",
        "microsoft.machinelearningservices/workspaces/computes",
        computeType="AKS",
        resourceId=aks["id"].replace("resourceGroups", "resourcegroups"),
    )
    g = graph_of([ws("w"), aks, compute], tmp_path)
    (item,) = ask(g, "cluster", compute)
    assert item.unknown is None and item.extra["open_to_internet"] is opened


def test_a_cluster_the_estate_cannot_describe_is_unknown(tmp_path: Path) -> None:
    w = ws("w")
    ctype = "microsoft.machinelearningservices/workspaces/computes"
    missing = child(
        w,
        "computes",
        "k8s",
        ctype,
        computeType="Kubernetes",
        resourceId=b.rid("rg-aks", f"{AKS}/elsewhere"),
    )
    arc_id = b.rid("rg-arc", "Microsoft.Kubernetes/connectedClusters/arc")
    arc = {
        "id": arc_id,
        "name": "arc",
        "type": "microsoft.kubernetes/connectedclusters",
        "properties": {},
    }
    on_arc = child(w, "computes", "arc", ctype, computeType="Kubernetes", resourceId=arc_id)
    nameless = child(w, "computes", "none", ctype, computeType="AKS")
    training = child(w, "computes", "cpu", ctype, computeType="AmlCompute")
    g = graph_of([w, arc, missing, on_arc, nameless, training], tmp_path)
    (item,) = ask(g, "cluster", missing)
    assert item.unknown and "not in the estate" in item.unknown
    (item,) = ask(g, "cluster", on_arc)
    assert item.unknown and "not an AKS cluster" in item.unknown
    assert isinstance(ask(g, "cluster", nameless), Unknown)
    assert ask(g, "cluster", training) == []


@pytest.mark.parametrize(
    "props",
    [
        {"apiServerAccessProfile": {"authorizedIPRanges": "0.0.0.0/0"}},  # a string, not a list
        {"apiServerAccessProfile": {"authorizedIPRanges": ["garbage"]}},
        {"apiServerAccessProfile": {"authorizedIPRanges": [5, "10.0.0.0/8"]}},
        {"apiServerAccessProfile": {"authorizedIPRanges": ["*"]}},
        {"apiServerAccessProfile": {"authorizedIPRanges": {"a": "0.0.0.0/0"}}},
        {"apiServerAccessProfile": {"enablePrivateCluster": "true"}},
        {"apiServerAccessProfile": ["x"]},
        None,  # a row without properties
    ],
)
def test_a_cluster_whose_api_server_settings_cannot_be_read_is_unknown(
    tmp_path: Path, props: Any
) -> None:
    aks = cluster("aks")
    aks["properties"] = props
    compute = child(
        ws("w"),
        "computes",
        "inf",
        "microsoft.machinelearningservices/workspaces/computes",
        computeType="AKS",
        resourceId=aks["id"],
    )
    g = graph_of([ws("w"), aks, compute], tmp_path)
    (item,) = ask(g, "cluster", compute)
    assert item.unknown, item.extra


def test_authorized_ranges_are_judged_without_stray_spaces(tmp_path: Path) -> None:
    aks = cluster("aks", apiServerAccessProfile={"authorizedIPRanges": ["0.0.0.0/0 "]})
    compute = child(
        ws("w"),
        "computes",
        "inf",
        "microsoft.machinelearningservices/workspaces/computes",
        computeType="AKS",
        resourceId=aks["id"],
    )
    g = graph_of([ws("w"), aks, compute], tmp_path)
    (item,) = ask(g, "cluster", compute)
    assert item.unknown is None and item.extra["open_to_internet"] is True


# -- App Insights and AMPLS ----------------------------------------------------------------------
APPI = "microsoft.insights/components"
SCOPE_ID = b.rid("rg-mon", "microsoft.insights/privateLinkScopes/ampls")


def appi(name: str, **props: Any) -> dict[str, Any]:
    return {
        "id": b.rid("rg-mon", f"Microsoft.Insights/components/{name}"),
        "name": name,
        "type": APPI,
        "properties": props,
    }


def test_scopes_come_from_scoped_resource_rows_or_the_component_itself(tmp_path: Path) -> None:
    scope = {
        "id": SCOPE_ID,
        "name": "ampls",
        "type": "microsoft.insights/privatelinkscopes",
        "properties": {},
    }
    listed = appi("listed")
    backref = appi(
        "backref",
        PrivateLinkScopedResources=[
            {"ResourceId": f"{SCOPE_ID}/scopedResources/backref", "ScopeId": "x"}
        ],
    )
    none = appi("none", PrivateLinkScopedResources=None)
    scoped = {
        "id": f"{SCOPE_ID}/scopedResources/listed",
        "name": "listed",
        "type": "microsoft.insights/privatelinkscopes/scopedresources",
        "properties": {"linkedResourceId": listed["id"]},
    }
    g = graph_of([scope, listed, backref, none, scoped], tmp_path)
    for row in (listed, backref):
        (item,) = ask(g, "private_link_scopes", row)
        assert item.node == SCOPE_ID.lower()
        assert item.edge["scoped_resource"].endswith(f"/scopedResources/{row['name']}")
    assert ask(g, "private_link_scopes", none) == []


def test_without_either_source_the_scopes_are_unknown(tmp_path: Path) -> None:
    silent = appi("silent", publicNetworkAccessForIngestion="Disabled")
    g = graph_of([silent], tmp_path)
    assert isinstance(ask(g, "private_link_scopes", silent), Unknown)


# -- managed network outbound rules -----------------------------------------------------------
@pytest.mark.parametrize(
    ("fqdn", "broad"),
    [
        ("*", True),
        ("*.com", True),
        ("**", True),
        ("*.*.com", True),
        ("*.*.blob.core.windows.net", True),
        ("*.co.uk", True),
        ("*.contoso.co.uk", False),
        ("*.*.contoso.com", False),
        ("*.COM.", True),
        ("*.blob.core.windows.net", True),
        ("*.azurewebsites.net", True),
        ("*.vault.azure.net", True),
        ("pypi.org", False),
        ("*.files.pythonhosted.org", False),
        ("mystorage.blob.core.windows.net", False),
        ("*.contoso.com", False),
    ],
)
def test_fqdn_rules_are_broad_when_anyone_can_own_a_name_they_match(fqdn: str, broad: bool) -> None:
    why = _fqdn(fqdn)
    assert not isinstance(why, Unknown)
    assert (why is not None) is broad


@pytest.mark.parametrize(
    ("dest", "broad"),
    [
        ({"serviceTag": "Internet", "protocol": "TCP", "portRanges": "443"}, True),
        ({"serviceTag": "AzureCloud", "protocol": "TCP", "portRanges": "443"}, True),
        ({"serviceTag": "Storage", "protocol": "TCP", "portRanges": "443"}, True),
        ({"serviceTag": "Storage.westeurope", "protocol": "TCP", "portRanges": "443"}, False),
        ({"serviceTag": "AzureCloud.westeurope", "protocol": "TCP", "portRanges": "443"}, True),
        (
            {
                "serviceTag": "Storage.westeurope",
                "protocol": "TCP",
                "portRanges": "1-1000,1001-65535",
            },
            True,
        ),
        (
            {
                "serviceTag": "Storage.westeurope",
                "protocol": "TCP",
                "portRanges": "1-1000,1002-65535",
            },
            False,
        ),
        ({"serviceTag": "Storage.westeurope", "protocol": "TCP", "portRanges": "443,80"}, False),
        ({"serviceTag": "AzureMachineLearning", "protocol": "TCP", "portRanges": "*"}, True),
        ({"serviceTag": "AzureMachineLearning", "protocol": "*", "portRanges": "443"}, True),
        (
            {"serviceTag": "AzureMachineLearning", "protocol": "TCP", "portRanges": "443,8787"},
            False,
        ),
        (
            {
                "addressPrefixes": ["0.0.0.0/1", "128.0.0.0/1"],
                "protocol": "TCP",
                "portRanges": "443",
            },
            True,
        ),
        ({"addressPrefixes": ["203.0.113.0/24"], "protocol": "TCP", "portRanges": "443"}, False),
    ],
)
def test_service_tag_rules_by_scope_ports_and_protocol(dest: dict[str, Any], broad: bool) -> None:
    why = _service_tag(dest)
    assert not isinstance(why, Unknown)
    assert (why is not None) is broad


def test_outbound_rules_only_in_approved_mode_and_unreadable_ones_are_unknown(
    tmp_path: Path,
) -> None:
    internet = ws(
        "internet",
        managedNetwork={
            "isolationMode": "AllowInternetOutbound",
            "outboundRules": {"x": {"type": "FQDN", "destination": "*"}},
        },
    )
    junk = ws(
        "junk",
        managedNetwork={"isolationMode": "AllowOnlyApprovedOutbound", "outboundRules": ["*"]},
    )
    mixed = ws(
        "mixed",
        managedNetwork={
            "isolationMode": "AllowOnlyApprovedOutbound",
            "outboundRules": {
                "odd": {"type": "Firewall", "destination": "*"},
                "text": "not a rule",
                "pe": {
                    "type": "PrivateEndpoint",
                    "destination": {
                        "serviceResourceId": b.rid("rg", "Microsoft.Storage/storageAccounts/st")
                    },
                },
                "ok": {"type": "FQDN", "destination": "pypi.org", "category": "UserDefined"},
            },
        },
    )
    g = graph_of([internet, junk, mixed], tmp_path)
    assert ask(g, "outbound_rules", internet) == []
    assert isinstance(ask(g, "outbound_rules", junk), Unknown)
    items = {i.key.rsplit("/", 1)[1]: i for i in ask(g, "outbound_rules", mixed)}
    assert items["ok"].unknown is None and items["ok"].extra["broad"] is False
    assert all(items[n].unknown for n in ("odd", "text", "pe"))
    assert items["ok"].key == f"{mixed['id']}/outboundRules/ok"


# -- registries --------------------------------------------------------------------------------
def test_a_registry_knows_its_endpoints_outside_the_estate(tmp_path: Path) -> None:
    pe_id = b.rid(
        "rg-hub",
        "Microsoft.Network/privateEndpoints/pe-remote",
        sub="00000000-0000-0000-0000-000000000009",
    )
    reg = {
        "id": b.rid("rg-aml", "Microsoft.MachineLearningServices/registries/mlr"),
        "name": "mlr",
        "type": "microsoft.machinelearningservices/registries",
        "properties": {
            "registryPrivateEndpointConnections": [
                {
                    "id": "c1",
                    "properties": {
                        "groupIds": ["amlregistry"],
                        "privateEndpoint": {"id": pe_id},
                        "privateLinkServiceConnectionState": {"status": "Approved"},
                    },
                },
                {
                    "id": "c2",
                    "properties": {
                        "privateEndpoint": {"id": "not-an-id"},
                        "privateLinkServiceConnectionState": {"status": "Approved"},
                    },
                },
            ]
        },
    }
    g = graph_of([reg], tmp_path)
    items = ask(g, "private_endpoints", reg)
    assert [i.node for i in items if i.node] == [pe_id.lower()]
    assert items[0].edge["status"] == "Approved"
    assert any(i.unknown and "registryPrivateEndpointConnections" in i.unknown for i in items)


def test_a_project_whose_hub_is_itself_or_another_project_is_unknown(tmp_path: Path) -> None:
    selfish = ws("selfish", "Project")
    selfish["properties"]["hubResourceId"] = selfish["id"]
    a, b_ = ws("a", "Project"), ws("b", "project")
    a["properties"]["hubResourceId"], b_["properties"]["hubResourceId"] = b_["id"], a["id"]
    g = graph_of([selfish, a, b_], tmp_path)
    for row in (selfish, a, b_):
        assert isinstance(ask(g, "hub", row), Unknown)
        assert isinstance(ask(g, "network_owner", row), Unknown)
