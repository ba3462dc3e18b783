"""A local HTTPS stand-in for Azure Monitor's Logs Ingestion API, for tests of ``mlops-audit
upload`` driven by the real azure-monitor-ingestion client.

``POST /dataCollectionRules/{ruleId}/streams/{stream}?api-version=2023-01-01`` with a JSON
array body (gzip'd when ``Content-Encoding: gzip``) and ``Authorization: Bearer
<FAKE_TOKEN>``: 204 when accepted, the rows appended to :attr:`FakeIngestion.rows`. As the
service answers: 401 without the token, 400 ``InvalidApiVersion`` for another api-version,
404 ``InvalidDataCollectionRule`` / ``InvalidStream`` for a rule or stream it does not know,
413 ``ContentLengthLimitExceeded`` for a body over 1 MiB, 400 ``InvalidPayload`` for a body
that is not a JSON array of objects. Errors are JSON ``{"error": {"code", "message"}}``.
:meth:`FakeIngestion.reject` answers every call whose rows match a predicate with a given
status, body and headers (a 500 stays a 500 through the client's retries; a 307 with a
``Location`` tests that the client follows no redirect). The TLS server and its
handler are tests/fake_arm.py's (a trustme CA written to :attr:`ca_path`).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .fake_arm import FAKE_TOKEN, _Handler, _TlsServer

API_VERSIONS = frozenset({"2023-01-01", "2021-11-01-preview"})
MAX_BODY = 1024 * 1024  # the API's limit for one call
RULE = "dcr-0123456789abcdef0123456789abcdef"  # the rule and stream the tests' stand-in serves
STREAM = "Custom-MlopsAudit"


def upload_argv(report: Path | str, endpoint: str, *extra: str) -> list[str]:
    """``mlops-audit upload`` of ``report`` to ``endpoint`` for :data:`RULE`, signed in with
    the stub ``az`` (tests/fake_arm.py's write_stub_az)."""
    return [
        "upload",
        str(report),
        "--endpoint",
        endpoint,
        "--rule-id",
        RULE,
        "--auth",
        "cli",
        *extra,
    ]


@dataclass
class Call:
    """One request as the stand-in saw it (the Authorization header as sent)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    rows: list[Any] | None  # the decoded JSON array, None when it was not one
    status: int


@dataclass
class _Rejection:
    when: Callable[[list[Any]], bool]
    status: int
    body: bytes
    times: int | None  # None: every matching call
    headers: dict[str, str]


class FakeIngestion(_TlsServer):
    """HTTPS fake of the Logs Ingestion API on ``127.0.0.1:<ephemeral port>``."""

    _slug = "fake-ingest"
    _title = "fake ingestion"

    def __init__(self, rule_id: str, stream: str, *, token: str = FAKE_TOKEN) -> None:
        super().__init__()
        self.rule_id = rule_id
        self.stream = stream
        self.token = token
        self.rows: list[Any] = []  # every accepted call's rows, in arrival order
        self.calls: list[Call] = []
        self._rejections: list[_Rejection] = []

    def reject(
        self,
        when: Callable[[list[Any]], bool],
        status: int,
        body: Any,
        times: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer calls whose rows satisfy ``when`` with ``status``, ``body`` (a dict is
        sent as JSON, bytes as they are) and ``headers`` (a ``Location``), ``times`` times
        or always."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self._rejections.append(_Rejection(when, status, raw, times, dict(headers or {})))

    # ---- requests

    def _serve(self, handler: _Handler) -> None:
        import traceback

        try:
            length = int(handler.headers.get("Content-Length") or 0)
            raw = handler.rfile.read(length) if length else b""
            status, body, call, extra = self._answer(handler, raw)
        except Exception:  # a bug in the fake: 501, never retried, raised at the end
            self.errors.append(traceback.format_exc())
            status, body, call = 501, b'{"error":{"code":"FakeBug","message":"bug"}}', None
            extra = {}
        if call is not None:
            with self._lock:
                self.calls.append(call)
        handler.send_response(status)
        for name, value in extra.items():
            handler.send_header(name, value)
        if status != 204:
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
        else:
            handler.send_header("Content-Length", "0")
        handler.end_headers()
        if status != 204:
            handler.wfile.write(body)

    def _answer(self, handler: _Handler, raw: bytes) -> tuple[int, bytes, Call, dict[str, str]]:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in handler.headers.items()}
        call = Call(handler.command, unquote(parts.path), query, headers, None, 0)

        def error(status: int, code: str, message: str) -> tuple[int, bytes, Call, dict[str, str]]:
            call.status = status
            body = json.dumps({"error": {"code": code, "message": message}}).encode()
            return status, body, call, {}

        if headers.get("authorization") != f"Bearer {self.token}":
            return error(401, "InvalidToken", "The provided access token is not valid.")
        segments = call.path.strip("/").split("/")
        if (
            handler.command != "POST"
            or len(segments) != 4
            or segments[0] != "dataCollectionRules"
            or segments[2] != "streams"
        ):
            return error(404, "NotFound", f"No route for {handler.command} {call.path}")
        if query.get("api-version") not in API_VERSIONS:
            return error(400, "InvalidApiVersion", "The api-version is not supported.")
        if segments[1] != self.rule_id:
            return error(404, "InvalidDataCollectionRule", "Data collection rule not found.")
        if segments[3] != self.stream:
            return error(404, "InvalidStream", f"Stream {segments[3]} is not declared.")
        if len(raw) > MAX_BODY:
            return error(413, "ContentLengthLimitExceeded", "The body is over 1 MB.")
        try:
            data = gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw
            rows = json.loads(data)
        except (OSError, ValueError):
            return error(400, "InvalidPayload", "The body is not a JSON array.")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            return error(400, "InvalidPayload", "The body is not a JSON array of objects.")
        call.rows = rows
        with self._lock:
            for rejection in self._rejections:
                if rejection.times != 0 and rejection.when(rows):
                    if rejection.times is not None:
                        rejection.times -= 1
                    call.status = rejection.status
                    return rejection.status, rejection.body, call, rejection.headers
            self.rows.extend(rows)
        call.status = 204
        return 204, b"", call, {}
