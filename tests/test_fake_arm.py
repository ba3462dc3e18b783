"""The fake ARM server, exercised with the real, unmodified Azure SDK clients.

What azure-core does on throttling and transient faults is *observed* here, not assumed: the
collector's own retry logic is written against these observations.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceResponseError,
)
from azure.core.rest import HttpRequest
from azure.identity import AzureCliCredential, CredentialUnavailableError
from azure.identity._credentials.azure_cli import parse_token
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from tests.fake_arm import (
    FAKE_TOKEN,
    FakeArm,
    load_rows,
    move_to_subscription,
    subscription_of,
    table_of,
    write_stub_az,
)

ROOT = Path(__file__).resolve().parent.parent
SUB_A = "c85d5ae6-ac71-5beb-a6f4-ab7e1481e0e8"  # the fixture's subscription: rg-aml
SUB_B = "5b0c7a4e-93d2-4f61-8e0a-2c7d9b1f6a30"  # rg-dns and rg-bastion moved here
COMPUTES = "microsoft.machinelearningservices/workspaces/computes"
ZONE_GROUPS = "microsoft.network/privateendpoints/privatednszonegroups"
ARG = "/providers/Microsoft.ResourceGraph/resources"


@pytest.fixture(scope="module")
def estate() -> list[dict[str, Any]]:
    rows = load_rows(ROOT / "fixtures" / "reference-good.json")
    return move_to_subscription(rows, SUB_B, ["rg-dns", "rg-bastion"])


@pytest.fixture
def credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AzureCliCredential:
    az = write_stub_az(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{az.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    assert shutil.which("az") == str(az)
    return AzureCliCredential()


def graph(arm: FakeArm, credential: Any) -> ResourceGraphClient:
    return ResourceGraphClient(credential, base_url=arm.url, connection_verify=arm.ca_path)


def network(arm: FakeArm, credential: Any, subscription: str = SUB_A) -> NetworkManagementClient:
    return NetworkManagementClient(
        credential, subscription, base_url=arm.url, connection_verify=arm.ca_path
    )


def ask(
    client: ResourceGraphClient,
    query: str,
    subscriptions: list[str] | None = None,
    top: int | None = None,
    token: str | None = None,
    **kwargs: Any,
) -> tuple[Any, Any]:
    """One Resource Graph page and its raw response headers."""
    request = QueryRequest(
        subscriptions=subscriptions if subscriptions is not None else [SUB_A, SUB_B],
        query=query,
        options=QueryRequestOptions(top=top, skip_token=token),
    )
    return client.resources(
        request, cls=lambda pipeline, body, _: (body, pipeline.http_response.headers), **kwargs
    )


def types_query(table: str, rows: list[dict[str, Any]]) -> str:
    types = sorted({r["type"].lower() for r in rows if table_of(r["type"]) == table})
    listed = ", ".join(f"'{t}'" for t in types)
    return f"{table} | where type in~ ({listed}) | project id, name, type | order by id asc"


def graph_ids(rows: list[dict[str, Any]], table: str, subs: set[str]) -> list[str]:
    return sorted(
        (
            r["id"]
            for r in rows
            if table_of(r["type"]) == table and subscription_of(r["id"]) in subs
        ),
        key=str.lower,
    )


def by_type(rows: list[dict[str, Any]], rtype: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["type"].lower() == rtype]


def statuses(arm: FakeArm, path_contains: str = "") -> list[int | None]:
    return [r.status for r in arm.requests.matching(path_contains)]


# --------------------------------------------------------------------------- stub az


def test_stub_az_prints_what_azure_cli_credential_parses(credential: AzureCliCredential) -> None:
    out = subprocess.run(
        ["az", "account", "get-access-token", "--output", "json", "--resource",
         "https://management.azure.com", "--tenant", "t-1"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    doc = json.loads(out)
    assert set(doc) == {
        "accessToken", "expiresOn", "expires_on", "subscription", "tenant", "tokenType",
    }  # fmt: skip
    assert doc["accessToken"] == FAKE_TOKEN and doc["tenant"] == "t-1"
    assert parse_token(out).token == FAKE_TOKEN
    # The fallback field azure-identity parses when expires_on is absent agrees with it.
    del doc["expires_on"]
    assert abs(parse_token(json.dumps(doc)).expires_on - (time.time() + 3600)) < 60

    token = credential.get_token("https://management.azure.com/.default")
    assert token.token == FAKE_TOKEN
    assert 3500 < token.expires_on - time.time() <= 3600
    calls = (Path(shutil.which("az")).parent / "az-invocations.jsonl").read_text().splitlines()
    assert json.loads(calls[-1])[:5] == [
        "account",
        "get-access-token",
        "--output",
        "json",
        "--resource",
    ]
    assert FAKE_TOKEN not in "".join(calls)


def test_stub_az_logged_out_is_credential_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    az = write_stub_az(tmp_path / "bin", logged_in=False)
    monkeypatch.setenv("PATH", f"{az.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    with pytest.raises(CredentialUnavailableError, match="az login"):
        AzureCliCredential().get_token("https://management.azure.com/.default")


# --------------------------------------------------------------------------- Resource Graph


def test_paging_returns_every_row_exactly_once(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    expected = graph_ids(estate, "resources", {SUB_A, SUB_B})
    assert len(expected) > 30 and {subscription_of(i) for i in expected} == {SUB_A, SUB_B}
    query = types_query("resources", estate)
    seen: list[str] = []
    token = None
    with FakeArm(estate) as arm:
        client = graph(arm, credential)
        for _ in range(20):
            page, _headers = ask(client, query, top=7, token=token)
            assert page.total_records == len(expected)
            assert page.result_truncated == "false"
            assert page.count == len(page.data) <= 7
            seen += [row["id"] for row in page.data]
            assert all(set(row) == {"id", "name", "type"} for row in page.data)
            token = page.skip_token
            if not token:
                break
        pages = arm.requests.matching(ARG)
    assert seen == expected  # all of them, once each, sorted by lower-cased id
    assert len(pages) == math.ceil(len(expected) / 7)
    assert all(r.bearer and r.token_ok and r.status == 200 for r in pages)
    assert pages[0].body["options"]["$top"] == 7 and "$skipToken" not in pages[0].body["options"]
    assert pages[1].body["options"]["$skipToken"]
    assert FAKE_TOKEN not in repr(arm.requests)


def test_tables_dnsresources_and_resourcecontainers(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    with FakeArm(estate) as arm:
        client = graph(arm, credential)
        dns, _ = ask(client, types_query("dnsresources", estate), top=1000)
        resources, _ = ask(client, types_query("resources", estate), top=1000)
        containers, _ = ask(
            client,
            "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' "
            "| project id, name, type, subscriptionId | order by id asc",
        )
        one_type, _ = ask(
            client,
            "resources | where type =~ 'Microsoft.Network/privateEndpoints' | order by id asc",
        )
        case_sensitive, _ = ask(
            client, "resources | where type == 'Microsoft.Network/privateEndpoints'"
        )
    dns_ids = [r["id"] for r in dns.data]
    assert dns_ids == graph_ids(estate, "dnsresources", {SUB_A, SUB_B}) and len(dns_ids) == 8
    assert {r["type"] for r in dns.data} == {"microsoft.network/privatednszones/a"}
    resource_types = {r["type"] for r in resources.data}
    assert not resource_types & {COMPUTES, ZONE_GROUPS, "microsoft.network/privatednszones/a"}
    assert containers.data == [
        {
            "id": f"/subscriptions/{sub}",
            "name": f"sub-{sub[:8]}",
            "type": "microsoft.resources/subscriptions",
            "subscriptionId": sub,
        }
        for sub in sorted([SUB_A, SUB_B])
    ]
    assert [r["id"] for r in one_type.data] == sorted(
        (r["id"] for r in by_type(estate, "microsoft.network/privateendpoints")), key=str.lower
    )
    assert one_type.data[0]["properties"]  # no project: whole rows
    assert case_sensitive.data == []  # `==` is case-sensitive and ARG types are lower-case


def test_vm_extensions_are_served_with_public_settings_only(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    """The collector's extension query gets the estate's extension rows, their public
    settings and never their protected settings, as Azure answers (Resource Graph and ARM)."""
    from auditor import queries

    rows = [dict(r) for r in estate]
    (i, ext) = next(
        (i, r) for i, r in enumerate(rows) if r["type"] == queries.VM_EXTENSION_TYPES[0]
    )
    secret = {"workspaceKey": "protected-value-never-served"}
    rows[i] = {**ext, "properties": {**ext["properties"], "protectedSettings": secret}}
    with FakeArm(rows) as arm:
        page, _ = ask(graph(arm, credential), queries.VM_EXTENSIONS, top=1000)
        one = requests.get(
            f"{arm.url}{ext['id']}?api-version=2024-07-01",
            headers={"Authorization": f"Bearer {FAKE_TOKEN}"},
            verify=arm.ca_path,
            timeout=30,
        ).json()
    extensions = by_type(estate, queries.VM_EXTENSION_TYPES[0])
    assert len(extensions) == 3
    assert [r["id"] for r in page.data] == sorted((r["id"] for r in extensions), key=str.lower)
    assert all(r["properties"]["settings"] == {} for r in page.data)
    assert "protected-value-never-served" not in json.dumps(page.data) + json.dumps(one)
    assert one["properties"]["publisher"] == ext["properties"]["publisher"]


def test_skip_token_is_bound_to_query_and_scopes(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    query = types_query("resources", estate)
    with FakeArm(estate) as arm:
        client = graph(arm, credential)
        first, _ = ask(client, query, top=5)
        assert first.skip_token
        second, _ = ask(client, query, top=5, token=first.skip_token)
        assert second.data[0]["id"] != first.data[0]["id"]
        for subs, q, token in [
            ([SUB_A], query, first.skip_token),  # other scopes
            ([SUB_A, SUB_B], query + " ", first.skip_token),  # other query
            ([SUB_A, SUB_B], query, "bm90LWEtdG9rZW4"),  # garbage
        ]:
            with pytest.raises(HttpResponseError) as err:
                ask(client, q, subscriptions=subs, top=5, token=token)
            assert err.value.status_code == 400
            assert "CouldNotDecodeSkipToken" in [d.code for d in err.value.error.details]


def test_take_and_dynamic_only_projection_get_no_skip_token(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    with FakeArm(estate) as arm:
        client = graph(arm, credential)
        taken, _ = ask(client, "resources | where type in~ ('microsoft.network/networkinterfaces') "
                       "| order by id asc | take 3", top=2)  # fmt: skip
        dynamic, _ = ask(client, "resources | project properties | order by id asc", top=2)
        with pytest.raises(HttpResponseError) as err:
            ask(client, "resources | where name startswith 'pe-' | order by id asc")
    assert (taken.count, taken.skip_token, taken.result_truncated) == (2, None, "true")
    assert (dynamic.count, dynamic.skip_token, dynamic.result_truncated) == (2, None, "true")
    assert err.value.status_code == 400
    assert "UnsupportedByFakeArm" in [d.code for d in err.value.error.details]


def test_forbidden_subscription_is_silently_missing_and_all_forbidden_is_403(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    query = types_query("resources", estate)
    pe = by_type(estate, "microsoft.network/privateendpoints")[0]["id"]
    assert subscription_of(pe) == SUB_A
    with FakeArm(estate, forbidden_subscriptions={SUB_B}) as arm:
        client = graph(arm, credential)
        partial, _ = ask(client, query, top=1000)
        containers, _ = ask(client, "resourcecontainers | where type =~ "
                            "'microsoft.resources/subscriptions' | order by id asc")  # fmt: skip
        as_mg = client.resources(
            QueryRequest(management_groups=["mg-root"], query=query, options={"top": 1000})
        )
        with pytest.raises(HttpResponseError) as err:
            ask(client, query, subscriptions=[SUB_B])
        zone_groups = network(arm, credential, SUB_A).send_request(
            HttpRequest("GET", f"{pe}/privateDnsZoneGroups?api-version=2024-05-01")
        )
        arm.forbidden_subscriptions = {SUB_A}  # a knob may change mid-test
        denied = network(arm, credential, SUB_A).send_request(
            HttpRequest("GET", f"{pe}/privateDnsZoneGroups?api-version=2024-05-01")
        )
    assert [r["id"] for r in partial.data] == graph_ids(estate, "resources", {SUB_A})
    assert partial.total_records == len(partial.data)
    assert [r["subscriptionId"] for r in containers.data] == [SUB_A]
    assert [r["id"] for r in as_mg.data] == graph_ids(estate, "resources", {SUB_A})
    assert err.value.status_code == 403 and err.value.error.code == "AuthorizationFailed"
    assert zone_groups.status_code == 200
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "AuthorizationFailed"


def test_quota_headers_count_down_and_429_without_retry_after_is_not_retried(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    query = types_query("resources", estate)
    with FakeArm(estate, arg_quota=3, arg_window=1.0) as arm:
        client = graph(arm, credential)
        ask(client, query)  # warm-up: the credential runs az once, outside the timed window
        arm.reset_quotas()
        arm.requests.clear()
        remaining = []
        for _ in range(3):
            _page, headers = ask(client, query)
            remaining.append(headers["x-ms-user-quota-remaining"])
            assert re.fullmatch(r"\d\d:\d\d:\d\d", headers["x-ms-user-quota-resets-after"])
            assert headers["x-ms-request-id"]
        started = time.monotonic()
        with pytest.raises(HttpResponseError) as err:
            ask(client, query)
        failed_in = time.monotonic() - started
        throttled = err.value.response.headers
        assert throttled["x-ms-user-quota-resets-after"] == "00:00:01"
        time.sleep(float(throttled["x-ms-user-quota-resets-after"][-2:]))
        _page, refilled = ask(client, query)
    assert remaining == ["2", "1", "0"]
    # Observed: azure-core does not retry a POST answered 429 without Retry-After.
    assert err.value.status_code == 429 and err.value.error.code == "RateLimiting"
    assert "Retry-After" not in throttled and throttled["x-ms-user-quota-remaining"] == "0"
    assert failed_in < 0.5
    assert statuses(arm, ARG) == [200, 200, 200, 429, 200]
    assert refilled["x-ms-user-quota-remaining"] == "2"


def test_429_with_retry_after_is_retried_by_azure_core(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    with FakeArm(estate) as arm:
        arm.fail_next(1, 429, retry_after=1, path_contains="resourcegraph")
        started = time.monotonic()
        page, _ = ask(graph(arm, credential), types_query("resources", estate))
        took = time.monotonic() - started
    assert page.count > 0
    assert statuses(arm, ARG) == [429, 200]
    assert arm.requests[0].faults == ["fail"] and arm.requests[0].error_code == "RateLimiting"
    assert 0.9 < took < 2.5  # slept for Retry-After


@pytest.mark.parametrize(
    ("status", "retried"),
    [(500, True), (503, True), (504, True), (502, False)],  # POST: only 500/503/504 retried
)
def test_5xx_on_a_graph_post(
    estate: list[dict[str, Any]], credential: AzureCliCredential, status: int, retried: bool
) -> None:
    with FakeArm(estate) as arm:
        arm.fail_next(1, status)
        client = graph(arm, credential)
        if retried:
            page, _ = ask(client, types_query("resources", estate))
            assert page.count > 0
        else:
            with pytest.raises(HttpResponseError) as err:
                ask(client, types_query("resources", estate))
            assert err.value.status_code == status
    assert statuses(arm, ARG) == ([status, 200] if retried else [status])


def test_dropped_connection_surfaces_on_post_and_is_retried_on_get(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    workspace = by_type(estate, "microsoft.machinelearningservices/workspaces")[0]["id"]
    with FakeArm(estate) as arm:
        arm.drop_next(1, path_contains="resourcegraph")
        client = graph(arm, credential)
        with pytest.raises(ServiceResponseError, match="Remote end closed connection"):
            ask(client, types_query("resources", estate))
        again, _ = ask(client, types_query("resources", estate))  # the next call is fine
        arm.drop_next(1, path_contains="/computes")
        listing = network(arm, credential).send_request(
            HttpRequest("GET", f"{workspace}/computes?api-version=2025-06-01")
        )
    assert again.count > 0
    assert statuses(arm, ARG) == [None, 200]  # POST: not retried
    assert statuses(arm, "/computes") == [None, 200]  # GET: retried at once
    assert listing.status_code == 200 and len(listing.json()["value"]) == 2


def test_slow_reply_and_read_timeout(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    workspace = by_type(estate, "microsoft.machinelearningservices/workspaces")[0]["id"]
    with FakeArm(estate) as arm:
        arm.slow_next(1, 0.6, path_contains="resourcegraph")
        # ServiceResponseTimeoutError from azure-core 1.33 on, its base class before: the
        # collector retries both
        with pytest.raises(ServiceResponseError):
            ask(graph(arm, credential), types_query("resources", estate), read_timeout=0.2)
        arm.slow_next(1, 0.6, path_contains="/computes")
        listing = network(arm, credential).send_request(
            HttpRequest("GET", f"{workspace}/computes?api-version=2025-06-01"), read_timeout=0.2
        )
        arm.slow_next(1, 0.3)
        started = time.monotonic()
        page, _ = ask(graph(arm, credential), types_query("resources", estate))
        slow_ok = time.monotonic() - started
    assert listing.status_code == 200  # GET retried after the read timeout
    assert [r.faults for r in arm.requests.matching("/computes")] == [["slow"], []]
    assert page.count > 0 and slow_ok >= 0.3


def test_missing_or_wrong_bearer_is_401(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    with FakeArm(estate, accepted_token="some-other-token") as arm:
        url = f"{arm.url}{ARG}?api-version=2021-03-01"
        anonymous = requests.post(
            url, json={"subscriptions": [SUB_A], "query": "resources"}, verify=arm.ca_path
        )
        with pytest.raises(ClientAuthenticationError):
            ask(graph(arm, credential), "resources | order by id asc")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "AuthenticationFailed"
    assert "WWW-Authenticate" in anonymous.headers
    assert [(r.bearer, r.token_ok) for r in arm.requests] == [(False, False), (True, False)]
    assert FAKE_TOKEN not in repr(arm.requests)


# --------------------------------------------------------------------------- ARM reads


def test_compute_and_zone_group_lists_page_with_next_link(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    workspace = by_type(estate, "microsoft.machinelearningservices/workspaces")[0]["id"]
    endpoints = [r["id"] for r in by_type(estate, "microsoft.network/privateendpoints")]
    with FakeArm(estate, arm_page_size=1, arm_read_refill=0) as arm:
        client = network(arm, credential)
        url: str | None = f"{workspace.lower()}/computes?api-version=2025-06-01"
        computes, next_links, reads = [], [], []
        while url:
            response = client.send_request(HttpRequest("GET", url))
            assert response.status_code == 200
            reads.append(int(response.headers["x-ms-ratelimit-remaining-subscription-reads"]))
            body = response.json()
            computes += body["value"]
            url = body.get("nextLink")
            next_links.append(url)
        groups = {}
        for pe in endpoints:
            response = client.send_request(
                HttpRequest("GET", f"{pe}/privateDnsZoneGroups?api-version=2024-05-01")
            )
            assert response.status_code == 200 and "nextLink" not in response.json()
            groups[pe] = response.json()["value"]
        single = client.send_request(
            HttpRequest("GET", f"{computes[0]['id'].upper()}?api-version=2025-06-01")
        )
    assert sorted(c["id"] for c in computes) == sorted(r["id"] for r in by_type(estate, COMPUTES))
    assert next_links[0].startswith(f"{arm.url}/") and next_links[-1] is None
    assert len(next_links) == 2 and reads == [249, 248]
    assert all(len(v) == 1 and v[0]["id"].startswith(f"{pe}/") for pe, v in groups.items())
    assert single.status_code == 200 and single.json() == computes[0]


def test_arm_unknown_paths_missing_api_version_and_writes(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    workspace = by_type(estate, "microsoft.machinelearningservices/workspaces")[0]["id"]
    with FakeArm(estate) as arm:
        client = network(arm, credential)

        def get(path: str) -> Any:
            return client.send_request(HttpRequest("GET", path))

        missing_ws = get(f"{workspace}-gone/computes?api-version=2025-06-01")
        missing = get(f"/subscriptions/{SUB_A}/resourceGroups/rg-x/providers/A.B/c/d?api-version=1")
        no_version = get(f"{workspace}/computes")
        write = client.send_request(HttpRequest("DELETE", f"{workspace}?api-version=2025-06-01"))
        subscriptions = get("/subscriptions?api-version=2022-12-01")
    assert (missing_ws.status_code, missing_ws.json()["error"]["code"]) == (
        404, "ParentResourceNotFound",
    )  # fmt: skip
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "ResourceNotFound")
    assert no_version.status_code == 400
    assert write.status_code == 405
    assert {s["subscriptionId"] for s in subscriptions.json()["value"]} == {SUB_A, SUB_B}


def test_arm_read_bucket_throttles_with_retry_after(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    pe = by_type(estate, "microsoft.network/privateendpoints")[0]["id"]
    url = f"{pe}/privateDnsZoneGroups?api-version=2024-05-01"
    with FakeArm(estate, arm_read_capacity=2, arm_read_refill=1.0) as arm:
        client = network(arm, credential)
        remaining = []
        started = time.monotonic()
        for _ in range(3):
            response = client.send_request(HttpRequest("GET", url))
            assert response.status_code == 200
            remaining.append(response.headers["x-ms-ratelimit-remaining-subscription-reads"])
        took = time.monotonic() - started
        throttled = [r for r in arm.requests if r.status == 429]
    assert remaining[:2] == ["1", "0"]
    assert statuses(arm, "privateDnsZoneGroups") == [200, 200, 429, 200]
    assert throttled[0].error_code == "SubscriptionRequestsThrottled"
    assert took >= 0.9  # azure-core slept for Retry-After: 1


def test_each_subscription_has_its_own_read_bucket_and_reads_overlap(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    """An empty bucket throttles its own subscription only (ARM's limit is per subscription
    and principal); ``arm_read_capacity_of`` sizes one subscription's bucket; ``arm_latency``
    delays every read without serialising them."""
    pe_a = by_type(estate, "microsoft.network/privateendpoints")[0]["id"]
    ws_b = next(r["id"] for r in estate if subscription_of(r["id"]) == SUB_B)
    url_a = f"{pe_a}/privateDnsZoneGroups?api-version=2024-05-01"
    url_b = f"{ws_b}?api-version=2024-05-01"  # any single row of B
    assert subscription_of(pe_a) == SUB_A
    with FakeArm(estate, arm_read_refill=0.0) as arm:
        arm.arm_read_capacity_of = {SUB_A: 1}
        client = network(arm, credential)
        first = client.send_request(HttpRequest("GET", url_a))
        assert first.status_code == 200
        assert first.headers["x-ms-ratelimit-remaining-subscription-reads"] == "0"
        with pytest.raises(HttpResponseError) as err:  # no refill: A's Retry-After never ends
            client.send_request(HttpRequest("GET", url_a), retry_total=0).raise_for_status()
        assert err.value.status_code == 429
        reads_b = [client.send_request(HttpRequest("GET", url_b)) for _ in range(3)]
        assert [r.status_code for r in reads_b] == [200] * 3
        left = [r.headers["x-ms-ratelimit-remaining-subscription-reads"] for r in reads_b]
        assert left == ["249", "248", "247"]
        arm.arm_latency = 0.5
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            answers = list(
                pool.map(lambda _: client.send_request(HttpRequest("GET", url_b)), range(4))
            )
        took = time.monotonic() - started
    assert [a.status_code for a in answers] == [200] * 4
    assert 0.5 <= took < 1.5  # four reads of 0.5 s each, at once


def test_knobs_answer_as_azure_does(
    estate: list[dict[str, Any]], credential: AzureCliCredential
) -> None:
    """What the trust tests lean on, seen by the bare SDK clients: ARG's payload refusal,
    its subscription-limit header, hidden subscription rows, a lagging cloud's refusal of an
    api-version, typeless list items, redirects and a server echoing the token."""
    workspace = by_type(estate, "microsoft.machinelearningservices/workspaces")[0]["id"]
    computes = f"{workspace}/computes?api-version=2025-06-01"
    containers = "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' "
    with FakeArm(estate) as arm:
        arm.max_page_bytes, arm.subscription_limit_hit = 2000, True
        client = graph(arm, credential)
        with pytest.raises(HttpResponseError) as too_large:
            ask(client, types_query("resources", estate), top=1000)
        small, _ = ask(client, types_query("resources", estate), top=2)
        _, limited = client.resources(
            QueryRequest(management_groups=["mg"], query=containers + "| order by id asc"),
            cls=lambda pipeline, body, _: (body, pipeline.http_response.headers),
        )
        _, by_subscription = ask(client, containers + "| order by id asc")
        arm.hidden_containers = {SUB_B}
        hidden, _ = ask(client, containers + "| order by id asc")
        arm.compute_api_versions, arm.drop_list_types = {"2023-04-01"}, True
        refused = network(arm, credential).send_request(HttpRequest("GET", computes))
        typeless = network(arm, credential).send_request(
            HttpRequest("GET", computes.replace("2025-06-01", "2023-04-01"))
        )
        arm.redirect_next(1, "https://elsewhere.example/x", 307, path_contains="/computes")
        arm.echo_auth_next(1, path_contains="/computes")
        redirected = network(arm, credential).send_request(
            HttpRequest("GET", computes), permit_redirects=False
        )
        echoed = network(arm, credential).send_request(HttpRequest("GET", computes))
    assert too_large.value.status_code == 400
    assert [d.code for d in too_large.value.error.details] == ["ResponsePayloadTooLarge"]
    assert small.count == 2
    assert limited["x-ms-tenant-subscription-limit-hit"] == "true"
    assert "x-ms-tenant-subscription-limit-hit" not in by_subscription
    assert [r["subscriptionId"] for r in hidden.data] == [SUB_A]
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "NoRegisteredProviderFound"
    assert typeless.status_code == 200
    assert all("type" not in v for v in typeless.json()["value"])
    assert redirected.status_code == 307
    assert redirected.headers["Location"] == "https://elsewhere.example/x"
    assert echoed.status_code == 400 and FAKE_TOKEN in echoed.text()
    assert FAKE_TOKEN not in repr(arm.requests)  # the server's log never holds it


def test_requests_ca_bundle_alone_is_enough(
    estate: list[dict[str, Any]], credential: AzureCliCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeArm(estate) as arm:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
        page = ResourceGraphClient(credential, base_url=arm.url).resources(
            QueryRequest(subscriptions=[SUB_A], query="resources | order by id asc")
        )
    assert page.count > 0


# --------------------------------------------------------------------------- helpers, CLI


def test_move_to_subscription_keeps_references_consistent(estate: list[dict[str, Any]]) -> None:
    by_id = {r["id"].lower() for r in estate}
    zone_group = by_type(estate, ZONE_GROUPS)[0]
    zone_ids = [
        c["properties"]["privateDnsZoneId"]
        for c in zone_group["properties"]["privateDnsZoneConfigs"]
    ]
    assert all(subscription_of(z) == SUB_B and z.lower() in by_id for z in zone_ids)
    moved = [r for r in estate if subscription_of(r["id"]) == SUB_B and "subscriptionId" in r]
    assert moved and all(r["subscriptionId"] == SUB_B for r in moved)


def test_by_hand_cli_prints_instructions_and_serves(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_arm", "fixtures/reference-good.json", "--quiet"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        text = "".join(lines)
        url = re.search(r"listening on (https://127\.0\.0\.1:\d+)", text).group(1)
        ca = re.search(r'REQUESTS_CA_BUNDLE="([^"]+)"', text).group(1)
        bindir = re.search(r'export PATH="([^":]+):\$PATH"', text).group(1)
        token = subprocess.run(
            [f"{bindir}/az", "account", "get-access-token", "--query", "accessToken", "-o", "tsv"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        response = requests.post(
            f"{url}{ARG}?api-version=2021-03-01",
            json={"subscriptions": [SUB_A], "query": "resources | order by id asc"},
            headers={"Authorization": f"Bearer {token}"},
            verify=ca,
        )
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert "mlops-audit collect --auth cli --arm-endpoint" in text
    assert token == FAKE_TOKEN
    assert response.status_code == 200 and response.json()["count"] > 0
    assert response.headers["x-ms-user-quota-remaining"] == "14"
    assert proc.returncode == 0 and "stopped" in out, err
    assert not Path(ca).exists()  # the CA and the stub az are cleaned up
