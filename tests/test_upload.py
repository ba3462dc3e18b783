"""``mlops-audit upload``: the real azure-monitor-ingestion client and azure-identity's real
AzureCliCredential (a stub ``az`` on PATH) sending an NDJSON report over HTTPS to a local
stand-in of the Logs Ingestion API (tests/fake_ingest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor import cli, upload
from auditor.report import ndjson

from .conftest import ROOT
from .fake_arm import FAKE_TOKEN, write_stub_az
from .fake_ingest import RULE, STREAM, FakeIngestion, upload_argv

pytest.importorskip("azure.monitor.ingestion")  # the monitor extra: the test extra has it

GOLDEN = ROOT / "tests" / "golden" / "reference-terraform.ndjson"


def run(
    capsys: pytest.CaptureFixture[str], report: Path, endpoint: str, *extra: str
) -> tuple[int, str]:
    code = cli.main(upload_argv(report, endpoint, *extra))
    err = capsys.readouterr().err
    return code, err


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def big_report(tmp_path: Path, count: int) -> Path:
    """An NDJSON report of ``count`` finding lines (and the golden's run line first), each
    ~1 KB, so the client has to split it into several calls."""
    records = lines_of(GOLDEN)
    finding = next(r for r in records if r["RecordType"] == "finding")
    out = [records[0]]
    for i in range(count):
        out.append({**finding, "Fingerprint": f"{i:064x}", "Message": f"row {i} " + "x" * 900})
    path = tmp_path / "big.ndjson"
    path.write_text("".join(ndjson.line(r) for r in out), encoding="utf-8")
    return path


def test_every_line_arrives_as_one_row_with_the_token_and_api_version(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = run(capsys, GOLDEN, ingest.url)
    assert code == 0, err
    assert ingest.rows == lines_of(GOLDEN)  # the run line, the findings, the unknowns, in order
    assert ingest.rows[0]["RecordType"] == "run"
    assert len(ingest.calls) == 1
    call = ingest.calls[0]
    assert call.path == f"/dataCollectionRules/{RULE}/streams/{STREAM}"
    assert call.query == {"api-version": "2023-01-01"}
    assert call.headers["authorization"] == f"Bearer {FAKE_TOKEN}"
    assert call.headers["content-encoding"] == "gzip"
    assert FAKE_TOKEN not in err
    assert err == (
        f"mlops-audit: uploaded {len(ingest.rows)} row(s) from {GOLDEN} to {ingest.url} "
        f"(rule {RULE}, stream {STREAM})\n"
    )
    # azure-identity asked the CLI for a token of Azure Monitor's audience, not ARM's
    asked = [
        json.loads(line)
        for line in (tmp_path / "bin" / "az-invocations.jsonl").read_text().splitlines()
    ]
    resources = [a[a.index("--resource") + 1] for a in asked if "--resource" in a]
    scopes = [a[a.index("--scope") + 1] for a in asked if "--scope" in a]
    # (azure-identity 1.16 asks for "https://monitor.azure.com/", later ones without the "/")
    audiences = {v.removesuffix(".default").rstrip("/") for v in resources + scopes}
    assert audiences == {"https://monitor.azure.com"}


def test_a_big_report_is_sent_in_calls_of_at_most_1_mib(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = big_report(tmp_path, 2500)  # ~2.5 MB of JSON: three calls at least
    code, err = run(capsys, report, ingest.url, "--quiet")
    assert code == 0, err
    assert err == ""
    assert ingest.rows == lines_of(report)
    assert len(ingest.calls) >= 3
    assert all(c.status == 204 for c in ingest.calls)
    for call in ingest.calls:
        assert call.rows is not None
        # the client's split: the rows' own JSON sums to at most 1 MiB a call (the stand-in
        # answers 413 to a body over 1 MiB as sent)
        assert sum(len(json.dumps(r).encode()) for r in call.rows) <= 1024 * 1024


def test_a_failed_call_is_counted_and_the_others_are_still_sent(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = big_report(tmp_path, 2500)
    poisoned = "row 1500 "  # in the middle call: a 500 through every retry
    ingest.reject(
        lambda rows: any(str(r.get("Message", "")).startswith(poisoned) for r in rows),
        500,
        {"error": {"code": "InternalServerError", "message": "ingestion failed"}},
    )
    code, err = run(capsys, report, ingest.url)
    assert code == upload.EXIT_UPLOAD == 5
    failed = [c for c in ingest.calls if c.status == 500]
    assert len(failed) == 4  # the first try and the client's three retries
    unsent = len(failed[0].rows or [])
    total = len(lines_of(report))
    assert 0 < unsent < total
    assert len(ingest.rows) == total - unsent  # every other call was still made and accepted
    assert ingest.rows == [r for r in lines_of(report) if r not in failed[0].rows]
    assert err == (
        f"mlops-audit: upload failed: {unsent} of {total} row(s) not sent to {ingest.url} "
        f"(rule {RULE}, stream {STREAM}): HTTP 500 InternalServerError: ingestion failed "
        "(exit 5)\n"
    )


def test_a_refused_token_is_exit_5_naming_the_status(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest.token = "another-token"  # the service does not take ours
    code, err = run(capsys, GOLDEN, ingest.url)
    total = len(lines_of(GOLDEN))
    assert code == 5
    assert ingest.rows == []
    assert err == (
        f"mlops-audit: upload failed: {total} of {total} row(s) not sent to {ingest.url} "
        f"(rule {RULE}, stream {STREAM}): HTTP 401 InvalidToken: The provided access token "
        "is not valid. (exit 5)\n"
    )
    assert FAKE_TOKEN not in err


def test_a_redirect_is_not_followed(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = ingest.url.replace("127.0.0.1", "localhost")  # the same stand-in, by name
    where = f"{elsewhere}/dataCollectionRules/{RULE}/streams/{STREAM}?api-version=2023-01-01"
    ingest.reject(lambda rows: True, 307, b"", times=1, headers={"Location": where})
    code, err = run(capsys, GOLDEN, ingest.url)
    assert code == 5
    assert len(ingest.calls) == 1 and ingest.rows == []  # neither rows nor token went there
    assert f"not sent to {ingest.url} (rule {RULE}, stream {STREAM}): HTTP 307" in err


def test_an_unknown_stream_is_the_services_answer(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(capsys, GOLDEN, ingest.url, "--stream", "Custom-Other")
    assert code == 5
    assert "HTTP 404 InvalidStream: Stream Custom-Other is not declared." in err
    assert ingest.rows == []


def test_hostile_error_text_and_an_echoed_token_stay_out_of_the_terminal(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str]
) -> None:
    message = (
        f"\x1b[2J\x1b]0;pwned\x07bad\r\n##vso[task.setvariable variable=x]1 "
        f"\u202eevil you sent Bearer {FAKE_TOKEN}"
    )
    ingest.reject(lambda rows: True, 400, {"error": {"code": "Bad\x1b[31m", "message": message}})
    code, err = run(capsys, GOLDEN, ingest.url)
    assert code == 5
    assert err.count("\n") == 1 and err.endswith("(exit 5)\n")
    assert "\x1b" not in err and "\x07" not in err and "\r" not in err and "\u202e" not in err
    assert "##vso[" not in err
    assert FAKE_TOKEN not in err and FAKE_TOKEN[:40] not in err
    assert "[redacted]" in err


@pytest.mark.parametrize(
    ("endpoint", "problem"),
    [
        ("http://127.0.0.1:1", "must be an https:// URL"),
        ("https://user:pw@example.invalid", "no user or password"),
        ("https://example.invalid/dataCollectionRules", "without a path or query"),
        ("https://example.invalid?x=1", "without a path or query"),
        ("https://exa mple.invalid", "spaces or control characters"),
        ("https://", "needs a host name"),
    ],
)
def test_an_endpoint_that_is_not_an_https_origin_is_refused_before_any_request(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], endpoint: str, problem: str
) -> None:
    code, err = run(capsys, GOLDEN, endpoint)
    assert code == 2
    assert problem in err and err.count("\n") == 1
    assert ingest.calls == []


def test_a_plain_http_endpoint_gets_no_request_and_no_token(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = tmp_path / "bin"
    write_stub_az(stub)
    monkeypatch.setenv("PATH", f"{stub}{os.pathsep}{os.environ['PATH']}")
    code, err = run(capsys, GOLDEN, "http://127.0.0.1:9")
    assert code == 2
    assert err == (
        "mlops-audit: --endpoint 'http://127.0.0.1:9': must be an https:// URL "
        "(a bearer token is sent to it)\n"
    )
    assert not (stub / "az-invocations.jsonl").exists()  # no token was even asked for


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        (
            "--rule-id",
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Insights/"
            "dataCollectionRules/dcr",
            "not a data collection rule's immutable id",
        ),
        ("--rule-id", "dcr-0123", "not a data collection rule's immutable id"),
        ("--stream", "MlopsAudit_CL", "not a custom stream name"),
        ("--stream", "Custom-a/../b", "not a custom stream name"),
    ],
)
def test_a_rule_id_or_stream_of_the_wrong_shape_is_refused(
    ingest: FakeIngestion,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    problem: str,
) -> None:
    rule = value if option == "--rule-id" else RULE
    stream = value if option == "--stream" else STREAM
    args = ["upload", str(GOLDEN), "--endpoint", ingest.url, "--auth", "cli"]
    assert cli.main([*args, "--rule-id", rule, "--stream", stream]) == 2
    err = capsys.readouterr().err
    assert problem in err and err.count("\n") == 1
    assert ingest.calls == []


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "no records to send"),
        ('{"RecordType": "run"}\n', "line 1: not an mlops-audit NDJSON record (missing"),
        ("[1, 2]\n", "line 1: not a JSON object"),
        ("{not json\n", "line 1: not a JSON object"),
        ("NaN\n", "line 1: not a JSON object"),
    ],
)
def test_a_file_that_is_not_an_ndjson_report_is_refused_whole(
    ingest: FakeIngestion,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: str,
    problem: str,
) -> None:
    path = tmp_path / "r.ndjson"
    path.write_text(content, encoding="utf-8")
    code, err = run(capsys, path, ingest.url)
    assert code == 2
    assert err.startswith(f"mlops-audit: {path}: ") and problem in err
    assert ingest.calls == []


def test_a_bad_line_after_good_ones_sends_nothing(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = lines_of(GOLDEN)
    extra = {**records[1], "Extra": 1}
    dup = ndjson.line(records[2]).replace('"RunId":', '"RunId":"x","RunId":', 1)
    for n, bad in enumerate(
        (ndjson.line(extra), dup, ndjson.line({**records[1], "RecordType": "x"}))
    ):
        path = tmp_path / f"r{n}.ndjson"
        path.write_text(ndjson.line(records[0]) + bad, encoding="utf-8")
        code, err = run(capsys, path, ingest.url)
        assert code == 2 and f"{path}: line 2: " in err, err
    assert ingest.calls == []


def test_a_bom_and_crlf_line_ends_are_read_as_the_same_rows(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "edited.ndjson"
    path.write_bytes(b"\xef\xbb\xbf" + GOLDEN.read_bytes().replace(b"\n", b"\r\n"))
    code, err = run(capsys, path, ingest.url, "--quiet")
    assert code == 0, err
    assert ingest.rows == lines_of(GOLDEN)


def test_the_json_report_is_refused_with_a_hint(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(capsys, ROOT / "tests" / "golden" / "reference-terraform.json", ingest.url)
    assert code == 2
    assert "--output ndjson:FILE" in err
    assert ingest.calls == []


def test_without_the_monitor_extra_one_line_says_what_to_install(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "sys.modules['azure.monitor.ingestion'] = None  # as if not installed\n"
        "from auditor import cli\n"
        f"sys.exit(cli.main(['upload', {str(GOLDEN)!r}, '--endpoint', "
        f"'https://dce.example.invalid', '--rule-id', {RULE!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "mlops-audit: upload needs azure-monitor-ingestion: pip install 'mlops-audit[monitor]'\n"
    )


def test_each_cloud_names_its_monitor_audience() -> None:
    from auditor.clouds import CLOUDS

    assert {name: c.monitor_scope for name, c in CLOUDS.items()} == {
        "public": "https://monitor.azure.com/.default",
        "usgov": "https://monitor.azure.us/.default",
        "china": "https://monitor.azure.cn/.default",
    }


def test_the_docs_stream_declaration_is_the_upload_default() -> None:
    text = (ROOT / "docs" / "log-analytics.md").read_text(encoding="utf-8")
    assert f'"{upload.DEFAULT_STREAM}": {{' in text
    assert "mlops-audit upload" in text


def test_a_failed_sign_in_sends_nothing_and_says_so(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_stub_az(tmp_path / "bin", logged_in=False)  # az answers "Please run 'az login'"
    code, err = run(capsys, GOLDEN, ingest.url)
    total = len(lines_of(GOLDEN))
    assert code == 5
    assert ingest.calls == []
    assert err.startswith(
        f"mlops-audit: upload failed: {total} of {total} row(s) not sent to {ingest.url} "
        f"(rule {RULE}, stream {STREAM}): sign-in failed: "
    )
    assert err.count("\n") == 1


def test_a_credential_missing_its_configuration_is_a_usage_error(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    args = ["upload", str(GOLDEN), "--endpoint", ingest.url, "--rule-id", RULE]
    code = cli.main([*args, "--auth", "workload-identity"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("mlops-audit: --auth workload-identity: ") and err.count("\n") == 1
    assert ingest.calls == []


def test_an_untrusted_certificate_is_no_answer_and_gets_no_rows(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("SSL_CERT_FILE")  # the stand-in's CA is trusted no more
    code, err = run(capsys, GOLDEN, ingest.url)
    assert code == 5
    assert ingest.calls == []  # the TLS handshake failed: no request was read
    assert "): no answer from the endpoint: " in err and "CERTIFICATE_VERIFY_FAILED" in err


def test_ssl_cert_file_alone_is_trusted_as_for_a_live_scan(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")  # restored (unset) after the test
    code, err = run(capsys, GOLDEN, ingest.url)
    assert code == 0, err
    assert ingest.rows == lines_of(GOLDEN)


def test_a_sovereign_cloud_asks_for_its_monitor_audience(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = run(capsys, GOLDEN, ingest.url, "--cloud", "usgov")
    assert code == 0, err
    asked = [
        json.loads(line)
        for line in (tmp_path / "bin" / "az-invocations.jsonl").read_text().splitlines()
    ]
    resources = [a[a.index("--resource") + 1] for a in asked if "--resource" in a]
    assert {r.rstrip("/") for r in resources} == {"https://monitor.azure.us"}


def test_verbose_names_every_failed_call(
    ingest: FakeIngestion, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = big_report(tmp_path, 2500)
    ingest.reject(lambda rows: True, 403, {"error": {"code": "Forbidden", "message": "no role"}})
    code, err = run(capsys, report, ingest.url, "--verbose")
    assert code == 5
    calls = len(ingest.calls)
    assert calls >= 3  # a 403 is not retried: one call per chunk
    lines = err.splitlines()
    assert len(lines) == calls + 1
    assert sum(int(line.split(": ")[2].split()[0]) for line in lines[:-1]) == len(lines_of(report))
    assert lines[0].startswith(f"mlops-audit: failed call 1 of {calls}: ")
    assert lines[-1].endswith(
        f"HTTP 403 Forbidden: no role ({calls} calls failed; the first said this) (exit 5)"
    )
