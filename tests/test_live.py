"""The live path, end to end, with the real azure-identity and Azure SDK clients talking
HTTPS to a local Resource Graph / ARM server (tests/fake_arm.py). A stub ``az`` on PATH
gives azure-identity's real AzureCliCredential a token."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor import collect, collections, queries
from auditor.clouds import CLOUDS
from auditor.collect import Collector, Scope, _Lanes

from .conftest import FIXTURES, ROOT
from .fake_arm import FAKE_TOKEN, FakeArm, load_rows, move_to_subscription, write_stub_az
from .update_golden import console_script

SECOND = "00000000-0000-4000-8000-0000000000b2"


def estate() -> list[dict[str, Any]]:
    """The reference estate over two subscriptions (DNS and the Bastion VNet in the
    second), so scope, batching and coverage have something to do; its VM extensions come
    by their own query (collections.VM_EXTENSIONS). Without the rows a live scan never reads
    (Terraform variables: queries.SOURCE_ONLY)."""
    rows = load_rows(FIXTURES / "reference-good.json")
    rows = [r for r in rows if r["type"].lower() not in queries.SOURCE_ONLY]
    return move_to_subscription(rows, SECOND, ["rg-dns", "rg-bastion"])


def subscriptions(rows: list[dict[str, Any]]) -> list[str]:
    return sorted({r["id"].split("/")[2] for r in rows})


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeArm, dict]]:
    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    rows = estate()
    with FakeArm(rows) as arm:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
        yield arm, {"rows": rows, "env": dict(os.environ)}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script(), *args],
        cwd=ROOT,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=180,  # many ARM reads on two shared cores
        check=False,
    )


def scope_args(arm: FakeArm, rows: list[dict[str, Any]]) -> list[str]:
    args = ["--auth", "cli", "--arm-endpoint", arm.url]
    for sub in subscriptions(rows):
        args += ["--subscription", sub]
    return args


def collector(arm: FakeArm, **kw: Any) -> Collector:
    from azure.identity import AzureCliCredential

    return Collector(AzureCliCredential(), arm_endpoint=arm.url, backoff=0.05, **kw)


def strip_flags(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in f.items() if k != "also_flagged_by"} for f in findings]


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(r["id"].lower() for r in rows)


def test_every_row_arrives_exactly_once_across_pages(live: tuple[FakeArm, dict]) -> None:
    arm, ctx = live
    c = collector(arm, page_size=7, batch_size=1)
    doc = c.collect(Scope(subscriptions=subscriptions(ctx["rows"])))
    assert doc["failures"] == []
    assert ids(doc["rows"]) == ids(ctx["rows"])
    assert doc["requests"]["resource_graph_pages"] > 10  # paged, and per subscription batch
    posts = arm.requests.matching(path_contains="Microsoft.ResourceGraph")
    assert all(r.body["options"]["$top"] == 7 for r in posts)
    assert doc["collections"] == [
        "amplsscopedresources",
        "assessments",
        "computes",
        "dnsforwardingrules",
        "dnsinboundendpoints",
        "dnsresources",
        "dnsrulesetlinks",
        "gateways",
        "policystates",
        "privatednszonegroups",
        "resources",
        "vmextensions",
    ]
    assert doc["queries"] == [
        queries.RESOURCES,
        queries.DNS_RECORDS,
        queries.GATEWAYS,
        queries.VM_EXTENSIONS,
        queries.POLICY_STATES,
        queries.ASSESSMENTS,
        queries.SUBSCRIPTIONS,
        queries.COMPUTES_PATH,
        queries.ZONE_GROUPS_PATH,
        queries.AMPLS_SCOPES_PATH,
        queries.INBOUND_ENDPOINTS_PATH,
        queries.FORWARDING_RULES_PATH,
        queries.RULESET_LINKS_PATH,
    ]


def test_live_scan_equals_scan_of_its_snapshot(live: tuple[FakeArm, dict], tmp_path: Path) -> None:
    arm, ctx = live
    snap = tmp_path / "snap.json"
    collected = cli(ctx["env"], "collect", *scope_args(arm, ctx["rows"]), "--output", str(snap))
    assert collected.returncode == 0, collected.stderr
    assert "68 rows" in collected.stderr  # the three VM extensions among them
    offline = cli(
        ctx["env"], "scan", "--snapshot", str(snap), "--format", "json", "--fail-on", "none"
    )
    live_scan = cli(
        ctx["env"], "scan", *scope_args(arm, ctx["rows"]), "--format", "json", "--fail-on", "none"
    )
    a, b = json.loads(offline.stdout), json.loads(live_scan.stdout)
    assert a["findings"] == b["findings"] and a["rules"] == b["rules"]
    assert a["not_evaluated"] == b["not_evaluated"] == []
    assert b["summary"]["complete"] is True and b["summary"]["findings"] == 0
    vm002 = next(r for r in b["rules"] if r["rule_id"] == "MLA-VM-002")
    assert vm002["status"] == "pass" and vm002["subjects"] == 3  # the extensions, judged


def test_terraform_estate_live_finds_the_drift(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    rows = load_rows(FIXTURES / "reference-terraform.json")
    with FakeArm(rows) as arm:
        env = {
            **os.environ,
            "PATH": f"{stub}{os.pathsep}{os.environ['PATH']}",
            "REQUESTS_CA_BUNDLE": arm.ca_path,
        }
        proc = cli(env, "scan", *scope_args(arm, rows), "--format", "json")
    assert proc.returncode == 1
    found = sorted(f["rule_id"] for f in json.loads(proc.stdout)["findings"])
    assert found == ["MLA-ACR-004", "MLA-AML-001", "MLA-AML-003", "MLA-DNS-001"]


@pytest.mark.parametrize(
    ("estate_file", "found"), [("pass", []), ("fail", ["vnet-aml", "vnet-data"])]
)
def test_gateways_and_route_servers_are_collected_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, estate_file: str, found: list[str]
) -> None:
    """Gateways and Route Servers come by their own query: a live scan judges gateway
    transit as the snapshot does, never 'not collected'."""
    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    rows = load_rows(FIXTURES / "rules" / "MLA-NET-002" / f"{estate_file}.json")
    with FakeArm(rows) as arm:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
        doc = collector(arm).collect(Scope(subscriptions=subscriptions(rows)))
        proc = cli(
            dict(os.environ),
            "scan",
            *scope_args(arm, rows),
            "--format",
            "json",
            "--select",
            "MLA-NET-002",
            "--fail-on",
            "none",
        )
    assert "gateways" in doc["collections"] and ids(doc["rows"]) == ids(rows)
    report = json.loads(proc.stdout)
    assert sorted(f["resource_name"] for f in report["findings"]) == found
    assert report["not_evaluated"] == []


# secrets planted in an extension's settings: never to be printed by any report
PUBLIC_PAT = "live-public-pat-value-0d6e1c"
PUBLIC_KEY = "TGl2ZUFjY291bnRLZXlOb3RBUmVhbE9uZQ=="
PROTECTED = "live-protected-value-5b2f"


def leaky_estate() -> list[dict[str, Any]]:
    """The reference estate and a build agent's custom script extension whose public
    settings hold a PAT under a secret-looking key and a storage connection string with its
    account key (its protected settings hold another secret, which Azure never returns)."""
    rows = estate()
    vm = next(r for r in rows if r["name"] == "vm-agent-1" and "/extensions/" not in r["id"])
    ext = next(r for r in rows if r["id"].startswith(vm["id"] + "/extensions/"))
    leaky = {
        **ext,
        "id": f"{vm['id']}/extensions/ado-agent",
        "name": "ado-agent",
        "properties": {
            "publisher": "Microsoft.Azure.Extensions",
            "type": "CustomScript",
            "typeHandlerVersion": "2.1",
            "settings": {
                "commandToExecute": "bash agent.sh",
                "adoPat": PUBLIC_PAT,
                "env": {"STORAGE": f"DefaultEndpointsProtocol=https;AccountKey={PUBLIC_KEY}"},
            },
            "protectedSettings": {"token": PROTECTED},
        },
    }
    return [*rows, leaky]


def test_extension_secrets_are_found_live_and_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live scan reads the extensions by their own query and judges their public
    settings: the extension is a finding naming the settings that hold secrets, and no
    report format, stdout or stderr prints a secret value."""
    from auditor.report import REGISTRY

    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    rows = leaky_estate()
    out = tmp_path / "out"
    outputs = [a for f in REGISTRY for a in ("--output", f"{f.name}:{out / f.name}")]
    with FakeArm(rows) as arm:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
        env = dict(os.environ)
        proc = cli(env, "scan", *scope_args(arm, rows), "--verbose", *outputs, "--format", "table")
        snap = tmp_path / "snap.json"
        collected = cli(env, "collect", *scope_args(arm, rows), "--output", str(snap))
    assert proc.returncode == 1, proc.stderr  # a high finding, and nothing left unjudged
    report = json.loads((out / "json").read_text(encoding="utf-8"))
    assert report["not_evaluated"] == [] and report["summary"]["complete"] is True
    found = [f for f in report["findings"] if f["rule_id"] == "MLA-VM-002"]
    assert [f["resource_name"] for f in found] == ["ado-agent", "ado-agent"]
    assert sorted(f["related_id"] for f in found) == ["settings.adoPat", "settings.env.STORAGE"]
    assert [f["rule_id"] for f in report["findings"]] == ["MLA-VM-002", "MLA-VM-002"]
    texts = {"stdout": proc.stdout, "stderr": proc.stderr}
    texts |= {f.name: (out / f.name).read_text(encoding="utf-8") for f in REGISTRY}
    assert "ado-agent" in texts["table"] and "settings.adoPat" in texts["stdout"]
    for name, text in texts.items():
        for secret in (PUBLIC_PAT, PUBLIC_KEY, PROTECTED):
            assert secret not in text, (name, secret)
    # the snapshot keeps the public settings as Azure returns them to any Reader of the VM,
    # never the protected ones (Azure does not return them)
    assert collected.returncode == 0, collected.stderr
    kept = snap.read_text(encoding="utf-8")
    assert PUBLIC_PAT in kept and PROTECTED not in kept


def test_a_snapshot_from_before_extensions_were_collected_says_so(
    live: tuple[FakeArm, dict], tmp_path: Path
) -> None:
    """A snapshot whose collections do not list vmextensions (an older collector's) holds
    VMs but cannot say their extensions are clean: MLA-VM-002 is not evaluated (exit 3)."""
    arm, ctx = live
    snap = tmp_path / "snap.json"
    proc = cli(ctx["env"], "collect", *scope_args(arm, ctx["rows"]), "--output", str(snap))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(snap.read_text(encoding="utf-8"))
    doc["collections"].remove(collections.VM_EXTENSIONS)
    doc["queries"].remove(queries.VM_EXTENSIONS)
    doc["rows"] = [r for r in doc["rows"] if r["type"] not in queries.VM_EXTENSION_TYPES]
    older = tmp_path / "older.json"
    older.write_text(json.dumps(doc), encoding="utf-8")
    scanned = cli(ctx["env"], "scan", "--snapshot", str(older), "--format", "json")
    assert scanned.returncode == 3, scanned.stderr
    assert json.loads(scanned.stdout)["not_evaluated"] == [
        {
            "rule_id": "MLA-VM-002",
            "resource_id": None,
            "related_id": None,
            "reasons": [collections.BY_NAME[collections.VM_EXTENSIONS].absence],
        }
    ]


def test_unreadable_subscription_is_exit_3_and_named(live: tuple[FakeArm, dict]) -> None:
    arm, ctx = live
    arm.forbidden_subscriptions = {SECOND}
    proc = cli(ctx["env"], "scan", *scope_args(arm, ctx["rows"]), "--format", "json")
    assert proc.returncode == 3, proc.stderr
    report = json.loads(proc.stdout)
    assert report["summary"]["complete"] is False
    assert any(SECOND in g["problem"] for g in report["coverage"]["gaps"])
    partial = cli(
        ctx["env"], "scan", *scope_args(arm, ctx["rows"]), "--allow-partial", "--format", "json"
    )
    assert partial.returncode == 0


def test_nothing_readable_never_passes(live: tuple[FakeArm, dict]) -> None:
    arm, ctx = live
    arm.forbidden_subscriptions = set(subscriptions(ctx["rows"]))
    proc = cli(ctx["env"], "scan", *scope_args(arm, ctx["rows"]), "--format", "table")
    assert proc.returncode == 3
    assert "PASS" not in proc.stdout and "not a pass" in proc.stdout


def test_throttling_is_obeyed(live: tuple[FakeArm, dict]) -> None:
    """The quota runs out every three requests; the collector waits for the window rather
    than hammering into 429s, and a 429 without Retry-After waits and retries."""
    arm, ctx = live
    arm.arg_quota, arm.arg_window = 3, 0.5
    c = collector(arm, page_size=10)
    arm.fail_next(1, 429, path_contains="Microsoft.ResourceGraph")
    doc = c.collect(Scope(subscriptions=subscriptions(ctx["rows"])))
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(ctx["rows"])
    statuses = [r.status for r in arm.requests.matching(path_contains="Microsoft.ResourceGraph")]
    assert statuses.count(429) == 1  # only the injected one: the quota headers were obeyed
    assert doc["requests"]["throttled"] == 1


@pytest.mark.parametrize("fault", ["503", "drop", "arm-429"])
def test_transient_faults_are_retried(live: tuple[FakeArm, dict], fault: str) -> None:
    arm, ctx = live
    if fault == "503":
        arm.fail_next(2, 503, path_contains="Microsoft.ResourceGraph")
    elif fault == "drop":
        arm.drop_next(1, path_contains="Microsoft.ResourceGraph")
    else:
        arm.fail_next(1, 429, retry_after=1, path_contains="privateDnsZoneGroups")
    doc = collector(arm).collect(Scope(subscriptions=subscriptions(ctx["rows"])))
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(ctx["rows"])


def test_persistent_failure_is_recorded_not_swallowed(live: tuple[FakeArm, dict]) -> None:
    arm, ctx = live
    arm.fail_next(100, 500, path_contains="computes")
    doc = collector(arm, max_attempts=2).collect(Scope(subscriptions=subscriptions(ctx["rows"])))
    assert [f["what"] for f in doc["failures"]] == ["ARM read of computes"]


def test_skip_endpoint_reads_uses_dns_records(live: tuple[FakeArm, dict], tmp_path: Path) -> None:
    arm, ctx = live
    snap = tmp_path / "snap.json"
    proc = cli(
        ctx["env"],
        "collect",
        *scope_args(arm, ctx["rows"]),
        "--skip-endpoint-reads",
        "--output",
        str(snap),
    )
    assert proc.returncode == 0
    assert not arm.requests.matching(path_contains="privateDnsZoneGroups")
    report = json.loads(cli(ctx["env"], "scan", "--snapshot", str(snap), "--format", "json").stdout)
    assert "privatednszonegroups" not in report["inventory"]["collections"]
    endpoints = sum(r["type"] == "microsoft.network/privateendpoints" for r in ctx["rows"])
    assert report["coverage"]["notes"][0]["note"] == (
        f"per-endpoint DNS zone group reads skipped ({endpoints} endpoints): the DNS checks "
        "use A records in the private zones as evidence"
    )
    assert report["summary"]["findings"] == 0 and report["not_evaluated"] == []


def test_no_token_in_any_log(live: tuple[FakeArm, dict]) -> None:
    arm, ctx = live
    arm.fail_next(1, 503, path_contains="Microsoft.ResourceGraph")
    proc = cli(ctx["env"], "scan", *scope_args(arm, ctx["rows"]), "--verbose", "--format", "json")
    assert "POST Resource Graph" in proc.stderr  # --verbose logs the requests…
    assert FAKE_TOKEN not in proc.stderr + proc.stdout  # …and never the token
    assert "Authorization" not in proc.stderr


def test_offline_scan_does_not_import_the_azure_sdk() -> None:
    code = (
        "import sys; from auditor.cli import main\n"
        "rc = main(['scan', '--snapshot', 'fixtures/reference-good.json', '--quiet'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('azure')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    "scope",
    [Scope(all_subscriptions=True), Scope(management_groups=["mg-landing-zones"])],
    ids=["tenant", "management-group"],
)
def test_tenant_and_management_group_scopes(live: tuple[FakeArm, dict], scope: Scope) -> None:
    arm, ctx = live
    doc = collector(arm).collect(scope)
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(ctx["rows"])
    body = arm.requests.matching(path_contains="Microsoft.ResourceGraph")[0].body
    assert "subscriptions" not in body or not body["subscriptions"]


def test_slow_page_is_waited_for(live: tuple[FakeArm, dict]) -> None:
    arm, ctx = live
    arm.slow_next(1, 1.0, path_contains="Microsoft.ResourceGraph")
    doc = collector(arm, page_size=20).collect(Scope(subscriptions=subscriptions(ctx["rows"])))
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(ctx["rows"])


@pytest.mark.parametrize("auth", ["default", "cli", "environment", "managed-identity"])
def test_every_auth_mode_builds_a_credential(auth: str) -> None:
    from auditor.credentials import make_credential

    for cloud in CLOUDS:
        assert make_credential(auth, "00000000-0000-0000-0000-0000000000cc", cloud) is not None


def test_unconfigured_auth_is_one_line_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    proc = subprocess.run(
        [console_script(), "scan", "--subscription", SECOND, "--auth", "workload-identity"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("mlops-audit: --auth workload-identity: ")
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_every_cloud_is_a_choice_and_a_snapshot_value(tmp_path: Path) -> None:
    """One table (clouds.CLOUDS) names the clouds: --cloud offers exactly its keys, a
    snapshot may say any of them, and a value outside it is one line naming them."""
    from auditor import cli, inputs
    from auditor.files import InputError

    parser = cli.build_parser()
    for name in CLOUDS:
        assert parser.parse_args(["scan", "--snapshot", "s.json", "--cloud", name]).cloud == name
        doc = {"format": "mlops-audit-snapshot", "version": 1, "cloud": name, "rows": []}
        estate = inputs.Estate()
        inputs.add_document("s.json", doc, estate)
        assert estate.cloud == name
    with pytest.raises(SystemExit):
        parser.parse_args(["scan", "--cloud", "germany"])
    with pytest.raises(InputError, match=r"'cloud' must be one of public, usgov, china$"):
        inputs.add_document("s.json", {**doc, "cloud": "germany"}, inputs.Estate())


def test_every_cloud_has_its_endpoints() -> None:
    for name, cloud in CLOUDS.items():
        assert cloud.name == name
        assert cloud.arm_endpoint.startswith("https://") and cloud.token_scope.endswith("/.default")
        assert "." in cloud.authority and "/" not in cloud.authority
        assert cloud.zones["amlworkspace"] and cloud.zones["vault"]


def test_building_the_cli_imports_no_sdk_and_no_collector() -> None:
    """The offline path (parsing options, and a whole scan of a snapshot) loads neither the
    Azure SDK nor the collector; a fresh interpreter, so this test's imports do not count."""
    code = (
        "import sys, auditor.cli as c\n"
        "c.build_parser()\n"
        "print(sorted(m for m in sys.modules if m.startswith('azure') or m == 'auditor.collect'))\n"
        f"c.main(['scan', '--snapshot', {str(FIXTURES / 'reference-good.json')!r}, '--quiet'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('azure') or m == 'auditor.collect'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == ["[]", "[]"]


class RepeatingNextLink(FakeArm):
    """Every compute list page points at itself."""

    def _arm_route(self, path, query):  # type: ignore[no-untyped-def]
        reply = super()._arm_route(path, query)
        if path.lower().endswith("/computes") and isinstance(reply.body, dict):
            reply.body["nextLink"] = f"{self.url}{path}?api-version={query['api-version']}"
        return reply


class ForeignNextLink(FakeArm):
    """Zone-group pages send the client to another host."""

    def _arm_route(self, path, query):  # type: ignore[no-untyped-def]
        reply = super()._arm_route(path, query)
        if path.lower().endswith("/privatednszonegroups") and isinstance(reply.body, dict):
            reply.body["nextLink"] = "https://evil.example/steal?api-version=1"
        return reply


class EndlessEmptyPages(FakeArm):
    """Resource Graph keeps handing out fresh tokens with empty pages."""

    pages = 0

    def _graph_page(self, body, quota):  # type: ignore[no-untyped-def]
        reply = super()._graph_page(body, quota)
        if body["query"].startswith("resources"):
            EndlessEmptyPages.pages += 1
            reply.body.update({"data": [], "totalRecords": 0, "$skipToken": f"t{self.pages}"})
        return reply


@pytest.mark.parametrize(
    ("server", "what"),
    [
        (RepeatingNextLink, "ARM read of computes"),
        (ForeignNextLink, "ARM read of privatednszonegroups"),
        (EndlessEmptyPages, "query resources"),
    ],
    ids=["repeated-nextlink", "foreign-nextlink", "empty-pages"],
)
def test_paging_that_does_not_advance_is_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: type[FakeArm], what: str
) -> None:
    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    rows = estate()
    with server(rows, arg_quota=10**6, arm_read_capacity=10**6) as arm:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
        doc = collector(arm).collect(Scope(subscriptions=subscriptions(rows)))
        assert not [r for r in arm.requests if "evil" in r.path]
    assert what in {f["what"] for f in doc["failures"]}


def test_overlapping_scopes_read_each_resource_once(live: tuple[FakeArm, dict]) -> None:
    arm, ctx = live
    subs = subscriptions(ctx["rows"])
    doc = collector(arm).collect(
        Scope(subscriptions=[*subs, subs[0].upper()], management_groups=["mg"])
    )
    assert ids(doc["rows"]) == ids(ctx["rows"])
    # one per workspace, endpoint and Azure Monitor private link scope
    assert doc["requests"]["arm_reads"] == 7


def test_collect_writes_any_unicode_and_replaces_the_file_whole(
    live: tuple[FakeArm, dict], tmp_path: Path
) -> None:
    arm, ctx = live
    rows = [dict(r) for r in ctx["rows"]]
    rows[0] = {**rows[0], "tags": {"owner": "\ud800x 데이터"}}
    arm.set_rows(rows)
    snap = tmp_path / "snap.json"
    snap.write_text("previous", encoding="utf-8")
    proc = cli(ctx["env"], "collect", *scope_args(arm, rows), "--output", str(snap))
    assert proc.returncode == 0, proc.stderr
    scanned = cli(ctx["env"], "scan", "--snapshot", str(snap), "--format", "json")
    assert scanned.returncode == 0, scanned.stderr  # read whole
    assert json.loads(scanned.stdout)["not_evaluated"] == []
    assert not list(tmp_path.glob(".snap.json.partial"))


def test_dns_resolver_children_are_collected_from_arm(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Inbound endpoints, forwarding rules and ruleset links are read per parent from ARM:
    the live scan of the private-resolver topology equals the scan of its rows."""
    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    estate_file = ROOT / "fixtures" / "topologies" / "dns-private-resolver" / "estate.json"
    rows = json.loads(estate_file.read_text(encoding="utf-8"))
    with FakeArm(rows) as arm:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
        env = dict(os.environ)
        c = collector(arm)
        doc = c.collect(Scope(subscriptions=subscriptions(rows)))
        assert doc["failures"] == []
        assert ids(doc["rows"]) == ids(rows)
        listed = arm.requests.matching(path_contains="/forwardingRules?")
        assert len(listed) == 3  # one list per ruleset
        args = ("--format", "json", "--fail-on", "none", "--select", "MLA-DNS")
        live_scan = cli(env, "scan", *scope_args(arm, rows), *args)
        asked = cli(
            env,
            "resolve",
            *scope_args(arm, rows),
            "stmlops.blob.core.windows.net",
            "--from",
            "vnet-spoke2",
            "--format",
            "json",
        )
    assert asked.returncode == 0, asked.stderr
    assert (json.loads(asked.stdout)["answer"], json.loads(asked.stdout)["address"]) == (
        "private",
        "10.1.1.4",
    )
    offline = cli(env, "scan", "--snapshot", str(estate_file), *args)
    a, b = json.loads(offline.stdout), json.loads(live_scan.stdout)
    assert strip_flags(a["findings"]) == strip_flags(b["findings"]) and b["findings"]
    # the live scan read Azure Policy and Defender (nothing there flags these); the raw
    # file holds neither, so its findings say "not available" (None), never "nothing"
    assert {str(f["also_flagged_by"]) for f in a["findings"]} == {"None"}
    assert {str(f["also_flagged_by"]) for f in b["findings"]} == {"[]"}
    assert [n["related_id"] for n in a["not_evaluated"]] == [
        n["related_id"] for n in b["not_evaluated"]
    ]


# -- ARM reads by subscription: each has its own read bucket -------------------------------
SUB_A = "00000000-0000-4000-8000-0000000000a1"  # sorts first: its reads are queued first
SUB_B = "00000000-0000-4000-8000-0000000000b1"


def endpoints(subscription: str, n: int) -> list[dict[str, Any]]:
    """``n`` private endpoints in one subscription: n zone-group reads, nothing else."""
    rg = f"/subscriptions/{subscription}/resourceGroups/rg-pe"
    return [
        {
            "id": f"{rg}/providers/Microsoft.Network/privateEndpoints/pe-{i:03d}",
            "name": f"pe-{i:03d}",
            "type": "microsoft.network/privateendpoints",
            "location": "westeurope",
            "resourceGroup": "rg-pe",
            "subscriptionId": subscription,
            "properties": {},
        }
        for i in range(n)
    ]


@pytest.fixture
def two_subscriptions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FakeArm, list[dict[str, Any]]]]:
    stub = tmp_path / "bin"
    stub.mkdir()
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    rows = endpoints(SUB_A, 12) + endpoints(SUB_B, 12)
    with FakeArm(rows, arg_quota=10**6) as arm:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_path)
        yield arm, rows


def zone_group_reads(arm: FakeArm, subscription: str) -> list[Any]:
    return [r for r in arm.requests.matching(path_contains="privateDnsZoneGroups")
            if subscription in r.path]  # fmt: skip


def test_a_throttled_subscription_does_not_stall_the_others(
    two_subscriptions: tuple[FakeArm, list[dict[str, Any]]],
) -> None:
    """A's read bucket holds 4 (refilled 4 a second) for its 12 reads: its 429s (Retry-After
    1 s) hold back A alone, and B's reads all end while A waits — one pool in job order put
    every worker to sleep on A's 429s first."""
    arm, rows = two_subscriptions
    arm.arm_read_capacity_of = {SUB_A: 4}
    arm.arm_read_refill = 4.0
    doc = collector(arm).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(rows)
    a, b = zone_group_reads(arm, SUB_A), zone_group_reads(arm, SUB_B)
    assert [r.status for r in b] == [200] * 12
    a_throttled = [r for r in a if r.status == 429]
    assert a_throttled and [r.status for r in a].count(200) == 12
    assert max(r.time for r in b) < min(r.time for r in a_throttled) + 0.9
    # every request counted once, and no more of them than the throttling cost
    assert doc["requests"]["arm_reads"] == len(a) + len(b) == 24 + len(a_throttled)
    assert doc["requests"]["throttled"] == len(a_throttled)


def test_low_remaining_reads_slow_only_that_subscription(
    two_subscriptions: tuple[FakeArm, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A's bucket runs low (12 reads, never refilled, for its 12, two at a time): each answer
    with fewer than 10 left makes A's next reads wait until the bucket would be back at 10 (at
    READ_REFILL a second); B's do not, and nothing is throttled or read twice."""
    arm, rows = two_subscriptions
    arm.arm_read_capacity_of = {SUB_A: 12}
    arm.arm_read_refill = 0.0
    monkeypatch.setattr(collect, "READ_REFILL", 10.0)
    doc = collector(arm, per_subscription=2).collect(Scope(subscriptions=[SUB_A, SUB_B]))
    assert doc["failures"] == [] and ids(doc["rows"]) == ids(rows)
    a, b = zone_group_reads(arm, SUB_A), zone_group_reads(arm, SUB_B)
    assert [r.status for r in a + b] == [200] * 24
    # answers 9, 8, ... 0 left hold A for 0.1, 0.2, ... 1.0 s: well over 0.8 s in all
    assert max(r.time for r in a) - min(r.time for r in a) >= 0.8
    assert max(r.time for r in b) < max(r.time for r in a)  # B did not wait with A
    assert doc["requests"] == {
        "resource_graph_pages": doc["requests"]["resource_graph_pages"],
        "arm_reads": 24,
        "retries": 0,
        "throttled": 0,
    }


def test_reads_go_by_subscription_most_left_first_at_most_per_lane_each() -> None:
    lanes = _Lanes(["a", "b", "b", "b", "c", "c"], 2, lambda: math.inf)
    # b has most left (twice, and then it is full), then c; then a and c have one left each,
    # a seen first
    assert [lanes.take() for _ in range(5)] == [1, 2, 4, 0, 5]
    threading.Timer(0.05, lanes.done, ["b"]).start()
    assert lanes.take() == 3  # waited for one of b's two reads to end
    assert lanes.take() is None
    # a held lane waits, the others do not ...
    held = _Lanes(["a", "b"], 8, lambda: math.inf)
    held.hold("a", 60)
    assert held.wait_for("a") > 59 and held.wait_for("b") == 0
    assert held.take() == 1
    # ... and once the deadline has passed every read is handed out (to count it unstarted)
    late = _Lanes(["a"], 8, lambda: 0.0)
    late.hold("a", 60)
    assert late.take() == 0
