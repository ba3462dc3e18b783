"""The ARM read queue against an odd or hostile server (tests/fake_arm.py over HTTPS, the real
SDK clients): odd rate-limit headers, 429 storms, mixed-case subscription ids, tokens that
expire or a credential that fails mid-collection, many subscriptions, and a snapshot that
must not depend on the order reads end in. Fail closed: what is not read is a recorded
failure; nothing hangs and nothing raises."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from auditor import collect
from auditor.collect import Collector, Scope

from .fake_arm import FAKE_TOKEN, FakeArm, write_stub_az
from .test_live import collector, endpoints, ids

SUB_A = "00000000-0000-4000-8000-0000000000a1"
SUB_B = "00000000-0000-4000-8000-0000000000b1"
ZONE_GROUPS = "privateDnsZoneGroups"


@pytest.fixture
def stub_az(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")


def serve(rows: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, **kw: Any) -> FakeArm:
    arm = FakeArm(rows, arg_quota=10**6, **kw).start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
    return arm


@pytest.fixture
def two(stub_az: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeArm, list]]:
    rows = endpoints(SUB_A, 4) + endpoints(SUB_B, 4)
    arm = serve(rows, monkeypatch)
    try:
        yield arm, rows
    finally:
        arm.close()
    assert not arm.errors, arm.errors


def with_zone_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each endpoint and its one DNS zone group (an ARM read's row)."""
    return [
        row
        for pe in rows
        for row in (
            pe,
            {
                "id": f"{pe['id']}/privateDnsZoneGroups/default",
                "name": "default",
                "type": "microsoft.network/privateendpoints/privatednszonegroups",
                "properties": {"privateDnsZoneConfigs": []},
            },
        )
    ]


def read_ok(arm: FakeArm) -> int:
    """Zone-group lists the fake answered 200 (each one parent read)."""
    return len(
        {r.path for r in arm.requests.matching(path_contains=ZONE_GROUPS) if r.status == 200}
    )


def arm_failures(doc: dict[str, Any]) -> list[dict[str, str]]:
    return [f for f in doc["failures"] if f["what"].startswith("ARM read")]


# -- rate-limit headers a server may get wrong ----------------------------------------------
@pytest.mark.parametrize(
    "value",
    ["-5", "2.5", "1e3", "abc", "", " 3", "9" * 5000, "\u00b2", "\u00b9\u00b3", "NaN"],
)
def test_an_odd_remaining_reads_header_never_fails_a_good_read(
    two: tuple[FakeArm, list], value: str
) -> None:
    """The answer is good: a remaining-reads header that is no count (negative, a float, a
    superscript digit ``str.isdigit`` takes but ``int`` refuses, more digits than ``int``
    parses) at worst paces nothing; it never turns the read into a failure."""
    arm, rows = two
    arm.arm_read_headers = {"x-ms-ratelimit-remaining-subscription-reads": value}
    doc = collector(arm).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(rows)
    assert doc["requests"]["arm_reads"] == 8


def test_header_counts_are_ascii_digits_only() -> None:
    assert collect._header_count(" 7 ") == 7 and collect._header_count("0") == 0
    for odd in (None, "", "-1", "2.5", "1e3", "\u00b2", "\u0661", "NaN"):
        assert collect._header_count(odd) is None
    assert collect._header_count("9" * 5000) == 10**18  # plenty, not an error


@pytest.mark.parametrize("value", ["\u00b2", "-5", "1.5", "soon", "0"])
def test_an_odd_retry_after_on_a_429_is_still_a_retry(
    two: tuple[FakeArm, list], value: str
) -> None:
    arm, rows = two
    arm.fail_next(2, 429, retry_after=value, path_contains=ZONE_GROUPS)
    doc = collector(arm).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(rows)
    assert doc["requests"]["throttled"] == 2 and doc["requests"]["arm_reads"] == 10


def test_a_retry_after_date_in_the_past_retries_at_once(two: tuple[FakeArm, list]) -> None:
    arm, rows = two
    past = format_datetime(collect.datetime(2001, 1, 1, tzinfo=collect.UTC), usegmt=True)
    arm.fail_next(3, 429, retry_after=past, path_contains=ZONE_GROUPS)
    started = time.monotonic()
    doc = collector(arm).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(rows)
    assert doc["requests"]["throttled"] == 3
    assert time.monotonic() - started < 5


def test_a_huge_retry_after_fails_that_read_only(two: tuple[FakeArm, list]) -> None:
    arm, rows = two
    arm.fail_next(1, 429, retry_after="9" * 400, path_contains=SUB_A)
    doc = collector(arm).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    failed = arm_failures(doc)
    assert len(failed) == 1 and "throttled for" in failed[0]["error"]
    assert ids(doc["rows"]) == ids(rows) and read_ok(arm) == 7


# -- ids ------------------------------------------------------------------------------------
def test_one_subscription_in_two_casings_is_one_lane() -> None:
    upper = endpoints(SUB_A.upper(), 1)[0]["id"].replace("/subscriptions/", "/SUBSCRIPTIONS/")
    lower = endpoints(SUB_A, 1)[0]["id"]
    assert collect._lane(upper) == collect._lane(lower) == SUB_A
    lanes = collect._Lanes([collect._lane(upper), collect._lane(lower)], 1, lambda: 1e9)
    assert lanes.take() == 0
    lanes.hold(SUB_A, 60)
    assert lanes.wait_for(collect._lane(upper)) > 59


def test_mixed_case_rows_share_their_subscriptions_bucket(
    stub_az: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Half of A's rows spell its id in upper case: ARM's bucket is the subscription's, so the
    reads queue as one lane (two at a time here), and all arrive."""
    rows = endpoints(SUB_A, 6)
    for row in rows[::2]:
        row["id"] = row["id"].replace(SUB_A, SUB_A.upper())
        row["subscriptionId"] = SUB_A.upper()
    arm = serve(rows, monkeypatch)
    try:
        arm.arm_latency = 0.2
        c = collector(arm, per_subscription=2)
        doc = c.collect(Scope(subscriptions=[SUB_A]))
    finally:
        arm.close()
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(rows)
    reads = sorted(r.time for r in arm.requests.matching(path_contains=ZONE_GROUPS))
    assert len(reads) == 6
    # two at a time: the third read starts only after one of the first two ended
    assert reads[2] - reads[0] >= 0.15


def test_rows_without_a_subscription_are_read_not_dropped(
    stub_az: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = endpoints(SUB_A, 2)
    odd = endpoints(SUB_B, 2)
    odd[0]["id"] = odd[0]["id"].replace(f"/subscriptions/{SUB_B}", f"/subscriptions/{SUB_B}/")
    arm = serve(rows + odd, monkeypatch)
    try:
        doc = collector(arm).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    finally:
        arm.close()
    # every endpoint was read (or its failure recorded): none silently dropped
    reads = arm.requests.matching(path_contains=ZONE_GROUPS)
    assert len(reads) == 4
    assert len(arm_failures(doc)) + len(doc["rows"]) >= 4


# -- storms and the deadline ----------------------------------------------------------------
def test_a_429_storm_on_every_subscription_ends_at_the_deadline_every_read_counted(
    stub_az: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every subscription's bucket is empty and refills slowly (Retry-After 2 s): the
    deadline ends the run, on time, and every read is a read, a recorded failure or counted
    among the reads the deadline left no time for."""
    subs = [f"00000000-0000-4000-8000-{i:012x}" for i in range(1, 9)]
    rows = [r for s in subs for r in endpoints(s, 5)]
    arm = serve(rows, monkeypatch, arm_read_capacity=1, arm_read_refill=0.5)
    try:
        c = collector(arm, max_workers=8, per_subscription=2, timeout=6.0)
        started = time.monotonic()
        doc = c.collect(Scope(subscriptions=subs))
        took = time.monotonic() - started
    finally:
        arm.close()
    assert took < 6.0 + 3.0
    read = read_ok(arm)
    failed = len(arm_failures(doc))
    late = [f for f in doc["failures"] if f["what"] == "--timeout"]
    unstarted = 0
    if late:
        text = late[0]["error"]
        unstarted = int(text.split(" ARM read(s)")[0].rsplit(" ", 1)[1])
    assert failed + unstarted > 0
    assert read + failed + unstarted == len(rows)


def test_throttled_subscriptions_do_not_hold_every_worker(
    stub_az: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four subscriptions whose first two reads are throttled (Retry-After 1 s) have more
    reads than E, so they go first and fill the pool (four lanes of two = the 8 workers).
    Their 429 waits must not keep E's reads from starting: a 429 holds back only its own
    subscription."""
    hot = [f"00000000-0000-4000-8000-{i:012x}" for i in range(1, 5)]
    cool = "00000000-0000-4000-8000-0000000000ee"
    rows = [r for s in hot for r in endpoints(s, 3)] + endpoints(cool, 2)
    arm = serve(rows, monkeypatch)
    for sub in hot:  # the first two reads of each (its lane's both) are throttled
        arm.fail_next(2, 429, retry_after=1, path_contains=sub)
    try:
        c = collector(arm, max_workers=8, per_subscription=2)
        doc = c.collect(Scope(subscriptions=[*hot, cool]))
    finally:
        arm.close()
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(rows)
    reads = arm.requests.matching(path_contains=ZONE_GROUPS)
    first_429 = min(r.time for r in reads if r.status == 429)
    cool_done = max(r.time for r in reads if cool in r.path)
    assert cool_done < first_429 + 0.8  # E did not wait out the hot ones' Retry-After


# -- credentials ----------------------------------------------------------------------------
class _Credential:
    """A credential whose tokens expire ``lifetime`` s after they are handed out, failing
    from its ``fail_after``-th call on."""

    def __init__(self, lifetime: float, fail_after: int | None = None) -> None:
        self.lifetime = lifetime
        self.fail_after = fail_after
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        if self.fail_after is not None and self.calls >= self.fail_after:
            from azure.core.exceptions import ClientAuthenticationError

            raise ClientAuthenticationError("token service down")
        return AccessToken(FAKE_TOKEN, int(time.time() + self.lifetime))


def cred_collector(arm: FakeArm, credential: Any, **kw: Any) -> Collector:
    return Collector(credential, arm_endpoint=arm.url, backoff=0.05, **kw)


@pytest.mark.parametrize("lifetime", [-3600, 1])
def test_a_token_expiring_mid_collection_is_asked_anew(
    two: tuple[FakeArm, list], lifetime: float
) -> None:
    arm, rows = two
    credential = _Credential(lifetime)
    doc = cred_collector(arm, credential).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(rows)
    assert credential.calls > 1


def test_a_credential_failing_on_its_second_call_fails_closed(
    two: tuple[FakeArm, list], caplog: pytest.LogCaptureFixture
) -> None:
    arm, _rows = two
    credential = _Credential(1, fail_after=2)
    doc = cred_collector(arm, credential).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    assert doc["failures"]
    text = json.dumps(doc) + caplog.text
    assert FAKE_TOKEN not in text
    assert all(f["error"] for f in doc["failures"])


# -- scale and determinism ------------------------------------------------------------------
def test_a_thousand_subscriptions_of_one_read_each(
    stub_az: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    subs = [f"00000000-0000-4000-8000-{i:012x}" for i in range(1, 1001)]
    rows = [r for s in subs for r in endpoints(s, 1)]
    arm = serve(rows, monkeypatch)
    try:
        doc = collector(arm).collect(Scope(subscriptions=subs))
    finally:
        arm.close()
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(rows)
    assert (
        doc["requests"]["arm_reads"]
        == 1000
        == len(arm.requests.matching(path_contains=ZONE_GROUPS))
    )


def test_a_subscription_with_no_reads(two: tuple[FakeArm, list]) -> None:
    arm, rows = two
    empty = "00000000-0000-4000-8000-0000000000c1"
    arm.set_rows([*rows, endpoints(empty, 1)[0] | {"type": "microsoft.network/virtualnetworks"}])
    doc = collector(arm).collect(Scope(subscriptions=[SUB_A, SUB_B, empty]))
    assert doc["failures"] == [] and doc["requests"]["arm_reads"] == 8


def test_the_snapshot_does_not_depend_on_the_order_reads_end_in(
    stub_az: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    subs = [f"00000000-0000-4000-8000-{i:012x}" for i in range(1, 6)]
    rows = with_zone_groups([r for s in subs for r in endpoints(s, 8)])
    texts = []
    for _ in range(2):
        arm = serve(rows, monkeypatch)
        arm.arm_latency_jitter = 0.1
        try:
            doc = collector(arm).collect(Scope(subscriptions=subs))
        finally:
            arm.close()
        assert doc["failures"] == []
        doc.pop("collected_at")
        texts.append(json.dumps(doc))
    assert texts[0] == texts[1]


def test_a_read_throttled_mid_chain_resumes_at_its_page(
    stub_az: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 429 on a list's second page sends the read back to its queue; it resumes at that
    page: the first is not read again and no item arrives twice."""
    rows = endpoints(SUB_A, 1)
    pe = rows[0]["id"]
    groups = [
        {
            "id": f"{pe}/privateDnsZoneGroups/g{i}",
            "name": f"g{i}",
            "type": "microsoft.network/privateendpoints/privatednszonegroups",
            "properties": {"privateDnsZoneConfigs": []},
        }
        for i in range(3)
    ]
    arm = serve(rows + groups, monkeypatch, arm_page_size=1)
    arm.fail_next(1, 429, retry_after=0, path_contains="$skiptoken")
    try:
        doc = collector(arm).collect(Scope(subscriptions=[SUB_A]))
    finally:
        arm.close()
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(rows + groups)
    reads = arm.requests.matching(path_contains=ZONE_GROUPS)
    assert [r.status for r in reads] == [200, 429, 200, 200]
    assert reads[1].target == reads[2].target  # the same page asked again
    assert doc["requests"]["throttled"] == 1 and doc["requests"]["retries"] == 1


def test_a_read_throttled_for_ever_fails_after_its_attempts(two: tuple[FakeArm, list]) -> None:
    """Each 429 sends the read back to its queue: its attempts still add up, and it fails
    after max_attempts requests (not one more)."""
    arm, rows = two
    pe = rows[0]["id"]
    arm.fail_next(100, 429, retry_after=0, path_contains=f"{pe}/")
    doc = collector(arm, max_attempts=4).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    failed = arm_failures(doc)
    assert len(failed) == 1 and failed[0]["scope"] == pe
    assert "still failing after 4 attempts" in failed[0]["error"]
    assert len(arm.requests.matching(path_contains=f"{pe}/")) == 4
    assert doc["requests"]["throttled"] == 4 and doc["requests"]["retries"] == 3
    arm.clear_faults()


def test_a_trickling_answer_does_not_outlast_the_deadline(
    two: tuple[FakeArm, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that sends an answer's body a byte every 0.6 s never trips the read timeout
    (each read gets data): the collection's deadline (and the grace for reads still
    answering) must still end the run, the read a recorded failure."""
    arm, rows = two
    monkeypatch.setattr(collect, "STRAGGLER_GRACE", 1.0)
    arm.trickle_next(1, 0.6, path_contains=rows[0]["id"])  # ~13 bytes: ~8 s
    started = time.monotonic()
    doc = collector(arm, timeout=4.0).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    assert time.monotonic() - started < 4.0 + 1.0 + 1.0
    failed = arm_failures(doc)
    assert [f["scope"] for f in failed] == [rows[0]["id"]]
    assert "still answering 1 s after" in failed[0]["error"]
    assert read_ok(arm) == 8  # the others were read (the trickled one answered 200 too)


def test_a_trickling_resource_graph_page_does_not_outlast_the_deadline(
    two: tuple[FakeArm, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    arm, _rows = two
    monkeypatch.setattr(collect, "STRAGGLER_GRACE", 1.0)
    arm.trickle_next(1, 0.5, path_contains="Microsoft.ResourceGraph")
    started = time.monotonic()
    doc = collector(arm, timeout=3.0).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    assert time.monotonic() - started < 3.0 + 1.0 + 1.0
    assert doc["failures"]
    assert any("still answering 1 s after" in f["error"] for f in doc["failures"])


def test_a_slow_credential_failing_mid_collection_ends_by_the_deadline(
    two: tuple[FakeArm, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tokens that expire at once from a credential that then fails slowly (as ``az`` does,
    a process per ask): every read asks it, one at a time (the shared token's lock), which
    would take far past --timeout (~12 s here); the run still ends by the deadline and its
    grace."""
    arm, _rows = two
    arm.set_rows(endpoints(SUB_A, 20) + endpoints(SUB_B, 20))
    monkeypatch.setattr(collect, "STRAGGLER_GRACE", 1.0)

    class Slow(_Credential):
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            if self.calls >= 1:
                time.sleep(0.3)
            return super().get_token(*scopes, **kwargs)

    started = time.monotonic()
    doc = cred_collector(arm, Slow(-60, fail_after=6), timeout=3.0).collect(
        Scope(subscriptions=[SUB_A, SUB_B])
    )
    assert time.monotonic() - started < 3.0 + 1.0 + 1.5
    assert doc["failures"] and FAKE_TOKEN not in json.dumps(doc)


def test_cli_a_429_storm_past_the_deadline_exits_3(
    stub_az: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from .test_live import cli, scope_args

    subs = [f"00000000-0000-4000-8000-{i:012x}" for i in range(1, 5)]
    rows = [r for s in subs for r in endpoints(s, 4)]
    arm = serve(rows, monkeypatch, arm_read_capacity=1, arm_read_refill=0.5)
    try:
        started = time.monotonic()
        out = str(tmp_path / "snap.json")
        args = ["collect", *scope_args(arm, rows), "--timeout", "5", "--output", out]
        proc = cli(dict(os.environ), *args)
        took = time.monotonic() - started
    finally:
        arm.close()
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and FAKE_TOKEN not in proc.stderr + proc.stdout
    assert took < 5 + 10
    doc = json.loads(Path(out).read_text())
    assert doc["failures"] and ids(doc["rows"]) == ids(rows)


def test_reads_left_unstarted_behind_stuck_workers_are_counted_not_listed(
    two: tuple[FakeArm, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One worker, stuck on a trickling answer past the deadline: that read is a failure of
    its parent; the seven it never started are counted among the reads the deadline left no
    time for."""
    arm, _rows = two
    monkeypatch.setattr(collect, "STRAGGLER_GRACE", 1.0)
    arm.trickle_next(1, 0.6, path_contains=ZONE_GROUPS)
    doc = collector(arm, timeout=3.0, max_workers=1).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    assert len(arm_failures(doc)) == 1
    late = [f for f in doc["failures"] if f["what"] == "--timeout"]
    assert late and "7 ARM read(s) of privatednszonegroups" in late[0]["error"]


def test_after_a_429_a_lane_starts_one_read_then_one_more_per_read_ended() -> None:
    """Every read waiting released at once when a 429's wait ends would meet a bucket holding
    only what it refilled meanwhile: most would be throttled again, in step."""
    lanes = collect._Lanes(["a"] * 6, 4, lambda: 1e9)
    first = [lanes.take() for _ in range(4)]
    assert first == [0, 1, 2, 3]
    lanes.hold("a", 0.0, throttled=True)
    for index in first:
        lanes.done("a", again=index)  # all four throttled
    lane = lanes._lanes["a"]
    assert lanes.take() == 3  # put back last, first in line
    assert (lane.running, lane.limit) == (1, 1)  # a second take would wait
    lanes.done("a")  # it ended: two may run now
    assert [lanes.take(), lanes.take()] == [2, 1]
    assert (lane.running, lane.limit) == (2, 2)
