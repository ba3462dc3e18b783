"""The live path against hostile, stalling and unusual servers, and against Azure as it
really answers (issue 10, sections 3 and 4). The real SDK clients talk HTTPS to
tests/fake_arm.py; every fault is the server's, never a patched client."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from auditor import queries
from auditor.collect import PAGE_SLACK, Redactor, Scope, Watched, origin

from .fake_arm import FAKE_TOKEN, FakeArm, _decode_token, _encode_token, table_of, write_stub_az
from .test_live import SECOND, cli, collector, estate, ids, scope_args

COMPUTES = "microsoft.machinelearningservices/workspaces/computes"
ZONE_GROUPS = "microsoft.network/privateendpoints/privatednszonegroups"
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.")
# the resources collection's query, whole or split by type
RESOURCES_QUERIES = frozenset({queries.RESOURCES, *queries.RESOURCES_BY_TYPE})


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A stub ``az`` on PATH (azure-identity's real AzureCliCredential runs it)."""
    write_stub_az(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return dict(os.environ)


@contextlib.contextmanager
def serve(
    monkeypatch: pytest.MonkeyPatch, server: type[FakeArm] = FakeArm, **knobs: Any
) -> Iterator[FakeArm]:
    """The reference estate over two subscriptions, served with ``knobs`` set."""
    with server(estate(), arg_quota=10**6, arm_read_capacity=10**6) as arm:
        for name, value in knobs.items():
            setattr(arm, name, value)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
        yield arm


def everything(arm: FakeArm) -> Scope:
    return Scope(subscriptions=arm.subscriptions)


def whats(doc: dict[str, Any]) -> list[str]:
    return [f["what"] for f in doc["failures"]]


# -------------------------------------------------------------------------- tokens


class EchoesTokenInData(FakeArm):
    """Puts the bearer token it was sent into a tag of the first row of each page."""

    def _answer(self, handler, record, raw, is_graph):  # type: ignore[no-untyped-def]
        reply = super()._answer(handler, record, raw, is_graph)
        data = reply.body.get("data") if isinstance(reply.body, dict) else None
        if is_graph and isinstance(data, list) and data and "tags" in data[0]:
            token = (handler.headers.get("Authorization") or "").partition(" ")[2]
            data[0] = {**data[0], "tags": {"echo": token}}
        return reply


def test_a_token_a_server_reflects_is_written_nowhere(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An error body that quotes the Authorization header: the token (the credential's
    own, and anything shaped like a bearer token or a JWT) reaches neither stderr nor the
    snapshot's failures nor the report; the failures still say what failed."""
    report, snap = tmp_path / "report.json", tmp_path / "snap.json"
    with serve(monkeypatch) as arm:
        env = {**env, "REQUESTS_CA_BUNDLE": arm.ca_path}
        arm.echo_auth_next(1, path_contains="Microsoft.ResourceGraph")
        arm.echo_auth_next(1, path_contains="privateDnsZoneGroups")
        scan = cli(env, "scan", *scope_args(arm, arm._rows), "--verbose",
                   "--output", f"json:{report}", "--format", "table")  # fmt: skip
        arm.echo_auth_next(1, path_contains="Microsoft.ResourceGraph")
        arm.echo_auth_next(1, path_contains="/computes")
        collect = cli(env, "collect", *scope_args(arm, arm._rows), "--output", str(snap))
        echoed = [r for r in arm.requests if "echo" in r.faults]
    assert len(echoed) == 4 and scan.returncode == 3 and collect.returncode == 3
    written = [scan.stdout, scan.stderr, collect.stderr, report.read_text(), snap.read_text()]
    for text in written:
        assert FAKE_TOKEN not in text and not JWT.search(text)
    gaps = [g["problem"] for g in json.loads(report.read_text())["coverage"]["gaps"]]
    assert any("Bearer [redacted]" in g for g in gaps)
    assert "Bearer [redacted]" in scan.stderr  # the warning says what failed, cleaned
    failures = json.loads(snap.read_text())["failures"]
    assert {f["what"] for f in failures} >= {"ARM read of computes"}


def test_the_redactor_strips_the_credentials_tokens_and_every_token_shape() -> None:
    redact = Redactor()
    redact.note("opaque-token-value")
    text = "a opaque-token-value b Authorization: bearer abc.def-ghi, c eyJhbGc.eyJzdWI.c2ln d"
    assert redact(text) == "a [redacted] b Authorization: Bearer [redacted], c [redacted] d"
    assert redact.exact(text).startswith("a [redacted] b Authorization: bearer abc.def-ghi")


def test_the_workers_share_one_token_until_it_nears_expiry_and_claims_always_ask() -> None:
    """azure-core's token policy has no lock: 32 ARM read workers starting at once would each
    run ``az`` for a token. One ask serves them all; every token handed out is noted."""
    asked: list[dict[str, Any]] = []
    life = [3600.0]

    class Credential:
        def get_token_info(self, *scopes: str, options: Any = None) -> Any:
            asked.append(dict(options or {}))
            fields = {"token": f"secret-{len(asked)}", "expires_on": time.time() + life[0]}
            return type("Token", (), fields)()

    redact = Redactor()
    watched = Watched(Credential(), redact)
    scope = "https://management.azure.com/.default"
    cae = {"enable_cae": True}

    def token(options: dict[str, Any] = cae) -> str:
        return str(watched.get_token_info(scope, options=options).token)

    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(lambda _: token(), range(32))) == {"secret-1"}
    assert asked == [cae]
    assert token({"claims": "c"}) == "secret-2"  # a challenge is never answered from the cache
    assert token() == "secret-1"
    watched._tokens.clear()
    life[0] = 60.0  # within REUSE_MARGIN of its expiry: each ask asks anew
    assert [token(), token()] == ["secret-3", "secret-4"]
    assert redact("secret-1 secret-2 secret-4") == "[redacted] [redacted] [redacted]"


def test_a_token_a_server_puts_into_its_data_is_replaced_and_a_gap(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    snap = tmp_path / "snap.json"
    with serve(monkeypatch, EchoesTokenInData) as arm:
        env = {**env, "REQUESTS_CA_BUNDLE": arm.ca_path}
        proc = cli(env, "collect", *scope_args(arm, arm._rows), "--output", str(snap))
    text = snap.read_text()
    assert proc.returncode == 3 and FAKE_TOKEN not in text and '"[redacted]"' in text
    assert "redaction" in whats(json.loads(text))


# -------------------------------------------------------------------------- bounds


def test_a_stalled_response_is_bounded_by_the_read_timeout(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(monkeypatch) as arm:
        arm.slow_next(10, 3.0, path_contains="/computes")
        started = time.monotonic()
        doc = collector(arm, read_timeout=0.3, max_attempts=2).collect(everything(arm))
        took = time.monotonic() - started
    (failure,) = doc["failures"]
    assert failure["what"] == "ARM read of computes"
    assert failure["error"].endswith("still failing after 2 attempts: no answer within 0.3 s")
    assert took < 2.5


def test_timeout_bounds_the_whole_collection_and_is_exit_3(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    with serve(monkeypatch) as arm:
        arm.slow_next(1000, 30.0, path_contains="Microsoft.ResourceGraph")
        env = {**env, "REQUESTS_CA_BUNDLE": arm.ca_path}
        started = time.monotonic()
        proc = cli(env, "scan", *scope_args(arm, arm._rows), "--timeout", "2",
                   "--output", f"json:{report}", "--format", "table")  # fmt: skip
        took = time.monotonic() - started
        usage = cli(env, "scan", *scope_args(arm, arm._rows), "--timeout", "0")
    assert proc.returncode == 3, proc.stderr
    assert took < 20
    gaps = " ".join(g["problem"] for g in json.loads(report.read_text())["coverage"]["gaps"])
    assert "the collection's --timeout of 2 s passed" in gaps
    assert "before query resources of" in gaps  # what it left unread is named
    assert usage.returncode == 2 and "--timeout" in usage.stderr


class EndlessPages(FakeArm):
    """The resources query never ends: every page is the first one again with a fresh
    token, and totalRecords as the estate has them (``claim`` overrides it); it gives up
    after ``pages`` pages so a collector that does not stop still ends."""

    pages = 60
    claim: int | None = None
    served = 0
    rows_per_page: int | None = None  # None: a full page each time

    def _graph_page(self, body, quota):  # type: ignore[no-untyped-def]
        options = body.get("options") or {}
        if options.get("$skipToken"):  # every page is the first again
            first = _decode_token(options["$skipToken"]) or {}
            options["$skipToken"] = _encode_token({**first, "offset": 0})
        reply = super()._graph_page(body, quota)
        # the resources collection's query (gateways and VM extensions read the same table
        # by their own)
        if body["query"] in RESOURCES_QUERIES and reply.status == 200:
            type(self).served += 1
            total = self.claim if self.claim is not None else reply.body["totalRecords"]
            token = _decode_token(reply.body["$skipToken"]) or {}
            fresh = _encode_token({**token, "n": self.served})
            reply.body.update({"totalRecords": total, "$skipToken": fresh})
            reply.body["data"] = reply.body["data"][: self.rows_per_page]
            if self.served >= self.pages:
                reply.body.pop("$skipToken")
        return reply


@pytest.mark.parametrize(
    ("per_page", "stop"),
    [(None, "kept paging (6 pages, 60 rows) past the 50 rows"), (1, "kept paging (7 pages")],
    ids=["more-rows-than-reported", "more-pages-than-rows-need"],
)
def test_an_endless_page_stream_stops_at_the_page_limit(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, per_page: int | None, stop: str
) -> None:
    """A stream of fresh tokens ends where the rows pass totalRecords, or at
    ceil(totalRecords / $top) + slack pages, whichever comes first."""
    EndlessPages.served, EndlessPages.claim, EndlessPages.rows_per_page = 0, None, per_page
    rows = [r for r in estate() if r["type"].lower() in queries.RESOURCE_TYPES]
    try:
        with serve(monkeypatch, EndlessPages) as arm:
            doc = collector(arm, page_size=10, batch_size=100).collect(everything(arm))
            posts = [r for r in arm.requests if r.body and r.body["query"] in RESOURCES_QUERIES]
    finally:
        EndlessPages.rows_per_page = None
    assert len(rows) == 50 and len(posts) <= math.ceil(len(rows) / 10) + PAGE_SLACK
    (failure,) = [f for f in doc["failures"] if f["what"] == "query resources"]
    assert stop in failure["error"]


def test_an_endless_page_stream_that_claims_a_huge_total_stops_at_the_deadline(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    EndlessPages.served, EndlessPages.claim, EndlessPages.pages = 0, 10**9, 10**9
    try:
        with serve(monkeypatch, EndlessPages) as arm:
            arm.slow_next(10**6, 0.05, path_contains="Microsoft.ResourceGraph")
            started = time.monotonic()
            doc = collector(arm, page_size=10, batch_size=100, timeout=2.0).collect(everything(arm))
            took = time.monotonic() - started
    finally:
        EndlessPages.pages, EndlessPages.claim = 60, None
    assert took < 6
    assert "query resources" in whats(doc) and "--timeout" in whats(doc)
    assert any("--timeout of 2 s passed" in f["error"] for f in doc["failures"])


# -------------------------------------------------------------------------- list items


def test_list_items_without_a_type_take_it_from_the_list(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The REST spec's zone-group list examples have no ``type``: such items are still
    rows, typed by the list they came from (and its id), and a live scan judges them."""
    with serve(monkeypatch, drop_list_types=True) as arm:
        doc = collector(arm).collect(everything(arm))
        env = {**env, "REQUESTS_CA_BUNDLE": arm.ca_path}
        proc = cli(env, "scan", *scope_args(arm, arm._rows), "--format", "json")
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(estate())
    listed = [r for r in doc["rows"] if r["type"] in (COMPUTES, ZONE_GROUPS)]
    assert len(listed) == 7 and all(r["apiVersion"] for r in listed)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["summary"]["findings"] == 0 and report["not_evaluated"] == []


class ForgesListItems(FakeArm):
    """Zone-group list items come back altered by ``forge``."""

    forge: Any = None

    def _arm_route(self, path, query):  # type: ignore[no-untyped-def]
        reply = super()._arm_route(path, query)
        if path.lower().endswith("/privatednszonegroups") and isinstance(reply.body, dict):
            reply.body["value"] = [type(self).forge(dict(v)) for v in reply.body["value"]]
        return reply


VNET = f"/subscriptions/{SECOND}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/evil"


@pytest.mark.parametrize(
    "forge",
    [
        lambda v: {**v, "type": "Microsoft.Network/virtualNetworks"},  # a foreign type
        lambda v: {**v, "type": ""},  # an empty one
        lambda v: {**v, "type": 7},  # not a string
        lambda v: {**v, "id": VNET, "type": "Microsoft.Network/virtualNetworks"},  # elsewhere
        lambda v: {**v, "id": v["id"].replace("privateDnsZoneGroups", "computes")},
    ],
    ids=["foreign-type", "empty-type", "number-type", "foreign-id", "id-of-another-list"],
)
def test_a_list_item_that_is_not_what_the_list_holds_is_a_failure_not_exit_2(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, forge: Any
) -> None:
    ForgesListItems.forge = staticmethod(forge)
    report = tmp_path / "report.json"
    with serve(monkeypatch, ForgesListItems) as arm:
        env = {**env, "REQUESTS_CA_BUNDLE": arm.ca_path}
        proc = cli(env, "scan", *scope_args(arm, arm._rows), "--output", f"json:{report}",
                   "--format", "table", "--fail-on", "none")  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    doc = json.loads(report.read_text())
    gaps = [g["problem"] for g in doc["coverage"]["gaps"]]
    assert len(gaps) == 5 and all("ARM read of privatednszonegroups" in g for g in gaps)
    assert doc["inventory"]["by_type"].get(ZONE_GROUPS) is None
    assert doc["inventory"]["by_type"]["microsoft.network/virtualnetworks"] == 2  # none forged


# -------------------------------------------------------------------------- redirects


@pytest.mark.parametrize(
    ("status", "path", "what"),
    [
        (302, "/computes", "ARM read of computes"),
        (307, "Microsoft.ResourceGraph", "subscription coverage"),
    ],
    ids=["arm-get-302", "graph-post-307"],
)
def test_a_redirect_to_another_host_is_a_failure_never_rows(
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    status: int,
    path: str,
    what: str,
) -> None:
    """The other host serves anonymously (azure-core strips the token on a redirect) and
    would answer with rows; the collector does not follow, so they never become data."""
    with FakeArm(estate(), arg_quota=10**6) as other, serve(monkeypatch) as arm:
        other.require_bearer = False
        bundle = tmp_path / "ca.pem"
        bundle.write_text(Path(arm.ca_path).read_text() + Path(other.ca_path).read_text())
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        workspace = next(r["id"] for r in estate() if r["type"].endswith("/workspaces"))
        target = (
            f"{workspace}/computes?api-version=2025-06-01"
            if status == 302
            else "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"
        )
        arm.redirect_next(1, f"https://localhost:{other.port}{target}", status, path)
        doc = collector(arm, batch_size=100).collect(everything(arm))
        followed = len(other.requests)
    assert followed == 0
    (failure,) = [f for f in doc["failures"] if f["what"] == what]
    assert (
        f"answered {status}, a redirect to localhost: redirects are not followed"
        in (failure["error"])
    )


# -------------------------------------------------------------------------- Resource Graph


def projected(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    columns = [c.strip() for c in queries.COLUMNS.split(",")]
    return [{c: r.get(c) for c in columns} for r in rows]


def test_a_page_too_large_is_asked_again_with_half_the_top(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = [r for r in estate() if table_of(r["type"]) == "resources"]
    limit = len(json.dumps(projected(resources))) // 3
    with serve(monkeypatch, max_page_bytes=limit) as arm:
        doc = collector(arm, batch_size=100).collect(everything(arm))
        tops = [r.body["options"]["$top"] for r in arm.requests if r.method == "POST"]
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(estate())
    assert 1000 in tops and min(tops) < 1000  # the small tables at 1000, resources halved
    assert doc["requests"]["retries"] >= 2


def test_a_result_too_large_at_any_top_is_read_one_type_at_a_time(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Users report the 16 MiB refusal for a whole result, however it is paged: the
    query is then split by type — the batch is never dropped."""
    resources = [r for r in estate() if table_of(r["type"]) == "resources"]
    largest = max(
        len(json.dumps(projected([r for r in resources if r["type"].lower() == t])))
        for t in {r["type"].lower() for r in resources}
    )
    assert largest < len(json.dumps(projected(resources)))
    with serve(monkeypatch, max_result_bytes=largest) as arm:
        doc = collector(arm, batch_size=100).collect(everything(arm))
        asked = {r.body["query"] for r in arm.requests if r.method == "POST" and r.status == 200}
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(estate())
    assert set(queries.RESOURCES_BY_TYPE) <= asked and queries.RESOURCES not in asked


def test_a_type_too_large_even_alone_is_a_failure(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(monkeypatch, max_page_bytes=200) as arm:
        doc = collector(arm, batch_size=100).collect(everything(arm))
    assert "query resources" in whats(doc)
    assert "resources" not in doc["collections"]


@pytest.mark.parametrize("scope", [Scope(management_groups=["mg"]), Scope(all_subscriptions=True)])
def test_the_tenant_subscription_limit_is_a_gap_not_a_silent_truncation(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, scope: Scope
) -> None:
    with serve(monkeypatch, subscription_limit_hit=True) as arm:
        doc = collector(arm).collect(scope)
    (failure,) = doc["failures"]  # once per scope, however many pages said it
    assert failure["what"] == "subscription limit"
    assert "x-ms-tenant-subscription-limit-hit" in failure["error"]
    assert ids(doc["rows"]) == ids(estate())  # what was read is kept


@pytest.mark.parametrize("hidden", ["one", "all"])
def test_a_subscription_without_its_own_row_is_still_read_and_noted(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, hidden: str
) -> None:
    """Reader on resource groups only: Resource Graph shows the resources but not the
    subscription's resourcecontainers row. Its resources are queried (the batch is not
    skipped) and the missing row is a note; a subscription with nothing at all stays a
    failure."""
    with serve(monkeypatch) as arm:
        arm.hidden_containers = {SECOND} if hidden == "one" else set(arm.subscriptions)
        doc = collector(arm, batch_size=100).collect(everything(arm))
        arm.forbidden_subscriptions = {SECOND}
        partial = collector(arm, batch_size=100).collect(everything(arm))
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(estate())
    noted = [n for n in doc["notes"] if "not the subscription's own row" in n]
    assert len(noted) == (1 if hidden == "one" else 2) and SECOND in " ".join(noted)
    assert [(f["scope"], f["what"]) for f in partial["failures"]] == [
        (f"subscription {SECOND}", "read access")
    ]


# -------------------------------------------------------------------------- ARM


def test_next_link_hosts_compare_by_scheme_host_and_effective_port() -> None:
    assert origin("https://h:443/x?y=1") == origin("https://H/") == ("https", "h", 443)
    assert origin("https://management.azure.com") == origin("HTTPS://Management.Azure.COM:443")
    assert origin("https://h:8443/") != origin("https://h/")
    assert origin("http://h/") != origin("https://h/")
    assert origin("https://h:port/")[2] == -1


def test_a_next_link_spelling_the_endpoint_otherwise_is_followed(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(monkeypatch, arm_page_size=1) as arm:
        arm.next_link_base = f"https://LOCALHOST:{arm.port}"
        from azure.identity import AzureCliCredential

        from auditor.collect import Collector

        doc = Collector(
            AzureCliCredential(), arm_endpoint=f"https://localhost:{arm.port}/"
        ).collect(everything(arm))
        followed = [r for r in arm.requests if "$skiptoken" in r.query]
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(estate())
    assert followed  # the computes list has two pages


def test_computes_fall_back_to_an_older_api_version_the_cloud_offers(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(monkeypatch, compute_api_versions={"2023-04-01"}) as arm:
        doc = collector(arm).collect(everything(arm))
        asked = [r.query["api-version"] for r in arm.requests if r.path.endswith("/computes")]
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(estate())
    assert asked == ["2025-06-01", "2024-10-01", "2024-04-01", "2023-04-01"]
    computes = [r for r in doc["rows"] if r["type"].lower() == COMPUTES]
    assert {r["apiVersion"] for r in computes} == {"2023-04-01"}
    # a cloud that offers none of them: a failed read, named
    with serve(monkeypatch, compute_api_versions={"2019-05-01"}) as arm:
        (failure,) = collector(arm).collect(everything(arm))["failures"]
    assert failure["what"] == "ARM read of computes"
    assert "NoRegisteredProviderFound" in failure["error"]


@pytest.mark.parametrize("header", ["retry-after-ms", "x-ms-retry-after-ms"])
def test_retry_after_ms_is_honoured_and_408_retried(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, header: str
) -> None:
    waits: list[float] = []
    with serve(monkeypatch) as arm:
        arm.fail_next(1, 429, path_contains="/computes", headers={header: "40"})
        arm.fail_next(1, 408, path_contains="privateDnsZoneGroups", headers={header: "30"})
        arm.fail_next(1, 503, path_contains="Microsoft.ResourceGraph", headers={header: "20"})
        doc = collector(arm, sleep=waits.append).collect(everything(arm))
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(estate())
    assert sorted(waits) == [0.02, 0.03]
    # a throttled ARM read goes back to its subscription's queue, held for the wait (its
    # worker sleeps not): it is asked again no sooner
    throttled = next(r for r in arm.requests if r.status == 429)
    again = [r for r in arm.requests if r.path == throttled.path and r.time > throttled.time]
    assert again and again[0].time - throttled.time >= 0.04
    assert doc["requests"]["retries"] == 3 and doc["requests"]["throttled"] == 1
