"""A local HTTPS stand-in for Azure Resource Graph and the ARM reads the collector makes.

For tests, and for trying the live path by hand (``python -m tests.fake_arm ESTATE.json``).
It serves an estate given as rows in the shape of ``fixtures/reference-good.json``:

* ``POST /providers/Microsoft.ResourceGraph/resources?api-version=...`` — Resource Graph. No
  KQL: only the shape the collector sends is understood (``TABLE | where type in~ (...)
  | project col, ... | order by id asc``, also ``where type =~/==/in``, ``take``/``limit``;
  ``where [tostring(]properties.a.b[)] =~ 'x'`` / ``in~ (...)`` and ``project alias =
  properties.a.b``,
  as the policy state and Defender assessment queries send to ``policyresources`` and
  ``securityresources``, whose rows the estate gives ARM-shaped, with ``properties``).
  Any other stage is a 400, so a query the fake cannot answer fails loudly instead of being
  answered wrongly. ``$top`` (default 100, 1..1000), ``$skip``, ``$skipToken`` (opaque, bound
  to the query and the scopes), ``resultFormat`` ``objectArray``/``table``; the per-user quota
  headers and a 429 ``RateLimiting`` without ``Retry-After`` when the quota is spent.
* ``GET {workspaceId}/computes``, ``GET {privateEndpointId}/privateDnsZoneGroups``, ``GET
  {privateLinkScopeId}/scopedResources`` and the DNS Private Resolver children
  (``{resolverId}/inboundEndpoints``, ``{rulesetId}/forwardingRules``,
  ``{rulesetId}/virtualNetworkLinks``) — ARM lists with absolute ``nextLink`` paging; ``GET
  {anyId}`` for a single row; ``GET /subscriptions``. A read token bucket per subscription
  (ARM's: ``arm_read_capacity`` 250, refilled ``arm_read_refill`` 25 a second; each answer
  says what is left in ``x-ms-ratelimit-remaining-subscription-reads``) answers 429 with
  ``Retry-After`` when empty; ``arm_read_capacity_of`` gives some subscriptions a bucket of
  their own size (Azure's are smaller for free and trial subscriptions).
  ``arm_latency`` delays every ARM read by that many seconds (many answer at once), to time
  a collection as ARM's round trip would.
* Permissions: rows of ``forbidden_subscriptions`` are silently left out; a request that can
  read none of its subscriptions gets 403 ``AuthorizationFailed``. ``hidden_containers``:
  subscriptions whose own ``resourcecontainers`` row the caller cannot see (Reader on resource
  groups only) while their resources stay readable.
* Every request needs ``Authorization: Bearer <FAKE_TOKEN>`` (401 otherwise; with
  ``require_bearer=False`` anonymous requests are served, as a foreign host would).
* Azure as it really answers: ``max_page_bytes`` / ``max_result_bytes`` answer 400
  ``ResponsePayloadTooLarge`` (ARG's 16 MiB limit, per page or per whole result);
  ``subscription_limit_hit`` sets ``x-ms-tenant-subscription-limit-hit: true`` on
  management-group and tenant queries; ``compute_api_versions`` makes the computes list
  refuse other api-versions with 400 ``NoRegisteredProviderFound`` (a lagging sovereign
  cloud); ``drop_list_types`` leaves ``type`` out of ARM list items (the REST spec's own
  zone-group examples have none); ``next_link_base`` spells the nextLinks' origin. A VM
  extension is served with its public ``properties.settings`` but never its
  ``protectedSettings`` (Azure does not return them), whatever the estate row holds.
* Fault injection: :meth:`FakeArm.fail_next`, :meth:`FakeArm.drop_next`,
  :meth:`FakeArm.slow_next`, :meth:`FakeArm.trickle_next` (a body a byte at a time),
  :meth:`FakeArm.redirect_next`, :meth:`FakeArm.echo_auth_next` (a hostile
  server that reflects the Authorization header into its error body).

Deviations from the real service, on purpose: a non-JSON ``Content-Type`` gets 415 (real
ARG answers 500, which azure-core would retry); a bug inside the fake answers 501 (never
retried) and is raised again when the ``with`` block ends; writes (PUT/PATCH/DELETE, POST
elsewhere) get 405, because the auditor must never write.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import copy
import datetime
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import socketserver
import ssl
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

import trustme

__all__ = [
    "ARM_ONLY_TYPES",
    "FAKE_SUBSCRIPTION",
    "FAKE_TENANT",
    "FAKE_TOKEN",
    "FakeArm",
    "RecordedRequest",
    "RequestLog",
    "as_served",
    "load_rows",
    "move_to_subscription",
    "subscription_of",
    "table_of",
    "write_stub_az",
]

# A JWT-shaped constant (header {"alg":"none","typ":"JWT"}, payload {"aud":
# "https://management.azure.com","iss":"mlops-audit-fake-arm"}) so that tests can assert it
# never shows up in logs, reports or snapshots. Not a secret.
FAKE_TOKEN = (
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
    "eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tIiwiaXNzIjoibWxvcHMtYXVkaXQtZmFrZS1hcm0ifQ."
    "ZmFrZS1zaWduYXR1cmUtbm90LWEtc2VjcmV0"
)
FAKE_TENANT = "00000000-0000-4000-8000-00000000fa4e"
FAKE_SUBSCRIPTION = "00000000-0000-4000-8000-0000000000a1"

ARG_PATH = "/providers/microsoft.resourcegraph/resources"
ARM_ONLY_TYPES = frozenset(
    {
        "microsoft.machinelearningservices/workspaces/computes",
        "microsoft.network/privateendpoints/privatednszonegroups",
        "microsoft.insights/privatelinkscopes/scopedresources",
        "microsoft.network/dnsresolvers/inboundendpoints",
        "microsoft.network/dnsforwardingrulesets/forwardingrules",
        "microsoft.network/dnsforwardingrulesets/virtualnetworklinks",
    }
)
DNS_RECORD_KINDS = frozenset({"a", "aaaa", "cname", "mx", "ptr", "soa", "srv", "txt"})
SUBSCRIPTION_TYPE = "microsoft.resources/subscriptions"
RESOURCE_GROUP_TYPE = "microsoft.resources/subscriptions/resourcegroups"
TABLES = ("resources", "dnsresources", "resourcecontainers", "policyresources", "securityresources")
# Azure's verdicts: policy states in policyresources, Defender assessments in securityresources
VERDICT_TABLES = {
    "microsoft.policyinsights/policystates": "policyresources",
    "microsoft.security/assessments": "securityresources",
}
# Types whose properties Azure returns without the protected settings they were written with.
PROTECTED_SETTINGS_TYPES = frozenset({"microsoft.compute/virtualmachines/extensions"})
# Columns of type `dynamic`: a projection of only these gets no $skipToken from real ARG.
DYNAMIC_COLUMNS = frozenset(
    {"properties", "tags", "sku", "identity", "plan", "zones", "extendedlocation", "aliases"}
)
# ARM list routes: last path segment -> (parent collection segment, child type).
LIST_ROUTES = {
    "computes": ("workspaces", "microsoft.machinelearningservices/workspaces/computes"),
    "privatednszonegroups": (
        "privateendpoints",
        "microsoft.network/privateendpoints/privatednszonegroups",
    ),
    "scopedresources": (
        "privatelinkscopes",
        "microsoft.insights/privatelinkscopes/scopedresources",
    ),
    "inboundendpoints": ("dnsresolvers", "microsoft.network/dnsresolvers/inboundendpoints"),
    "forwardingrules": (
        "dnsforwardingrulesets",
        "microsoft.network/dnsforwardingrulesets/forwardingrules",
    ),
    "virtualnetworklinks": (
        "dnsforwardingrulesets",
        "microsoft.network/dnsforwardingrulesets/virtualnetworklinks",
    ),
}
ERROR_CODES = {
    400: "BadRequest",
    401: "AuthenticationFailed",
    403: "AuthorizationFailed",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    408: "RequestTimeout",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
RATE_LIMITING_MESSAGE = (
    "Client application has been throttled and should not attempt to repeat the request "
    "until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling "
    "for help."
)
_GUID = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)


# --------------------------------------------------------------------------- estate helpers


def subscription_of(resource_id: str) -> str | None:
    """The lower-cased subscription id of an ARM id, or None."""
    match = _GUID.match(resource_id or "")
    return match.group(1).lower() if match else None


def table_of(resource_type: str) -> str | None:
    """Which Resource Graph table holds a type; None for types only ARM serves."""
    t = resource_type.lower()
    if t in ARM_ONLY_TYPES:
        return None
    if t in VERDICT_TABLES:
        return VERDICT_TABLES[t]
    if (
        t.startswith(("microsoft.network/privatednszones/", "microsoft.network/dnszones/"))
        and t.rsplit("/", 1)[1] in DNS_RECORD_KINDS
    ):
        return "dnsresources"
    if t in (SUBSCRIPTION_TYPE, RESOURCE_GROUP_TYPE, "microsoft.management/managementgroups"):
        return "resourcecontainers"
    return "resources"


def as_served(row: dict[str, Any]) -> dict[str, Any]:
    """A row as Azure serves it: a VM extension without ``properties.protectedSettings``
    (encrypted at write, never returned); any other row as it is."""
    props = row.get("properties")
    if str(row.get("type", "")).lower() not in PROTECTED_SETTINGS_TYPES or not isinstance(
        props, dict
    ):
        return row
    return {**row, "properties": {k: v for k, v in props.items() if k != "protectedSettings"}}


def load_rows(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Rows of an estate file: a JSON list, or an object with a ``data``/``value`` list."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(doc, dict):
        doc = doc.get("data", doc.get("value"))
    if not isinstance(doc, list):
        raise ValueError(f"{path}: expected a JSON list of rows")
    return doc


def move_to_subscription(
    rows: Iterable[dict[str, Any]], subscription: str, resource_groups: Iterable[str]
) -> list[dict[str, Any]]:
    """A deep copy of ``rows`` with the named resource groups moved to ``subscription``.

    Every string that is an id under one of those resource groups is rewritten (ids inside
    ``properties`` too), so references between rows stay consistent — e.g. a central DNS
    subscription in a hub-and-spoke estate. ``subscriptionId`` of moved rows follows.
    """
    groups = "|".join(re.escape(g) for g in resource_groups)
    if not groups:
        return copy.deepcopy(list(rows))
    pattern = re.compile(
        rf"^/subscriptions/[^/]+(/resourcegroups/(?:{groups}))(?=/|$)", re.IGNORECASE
    )

    def rewrite(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(lambda m: f"/subscriptions/{subscription}{m.group(1)}", value)
        if isinstance(value, list):
            return [rewrite(v) for v in value]
        if isinstance(value, dict):
            return {k: rewrite(v) for k, v in value.items()}
        return value

    out = []
    for row in rows:
        new = rewrite(row)
        if "subscriptionId" in new and pattern.match(row.get("id", "")):
            new["subscriptionId"] = subscription
        out.append(new)
    return out


# --------------------------------------------------------------------------- request log


@dataclass
class RecordedRequest:
    """One request as the server saw it. The bearer token itself is never stored."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    bearer: bool  # an ``Authorization: Bearer ...`` header was present
    token_ok: bool  # ... and it carried the accepted token
    request_id: str
    time: float  # time.monotonic() on arrival
    status: int | None = None  # None: dropped (or the client went away)
    error_code: str | None = None
    faults: list[str] = field(default_factory=list)  # "slow", "drop", "fail", "redirect", "echo"

    @property
    def target(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{self.path}?{query}" if query else self.path


class RequestLog:
    """A thread-safe, append-only list of :class:`RecordedRequest`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def append(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def matching(
        self, path_contains: str | None = None, method: str | None = None
    ) -> list[RecordedRequest]:
        """Requests whose path+query contains ``path_contains`` (case-insensitive)."""
        needle = (path_contains or "").lower()
        return [
            r
            for r in self.snapshot()
            if needle in r.target.lower() and (method is None or r.method == method.upper())
        ]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())

    def __getitem__(self, index: int) -> RecordedRequest:
        with self._lock:
            return self._items[index]

    def __repr__(self) -> str:
        return f"RequestLog({self.snapshot()!r})"


# --------------------------------------------------------------------------- internals


@dataclass
class _Fault:
    kind: str  # "fail" | "drop" | "slow" | "trickle" | "redirect" | "echo"
    remaining: int
    path_contains: str | None
    status: int = 0
    retry_after: float | str | None = None
    code: str | None = None
    seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    location: str = ""


@dataclass
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


class _Problem(Exception):
    """An ARM error response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def reply(self) -> _Reply:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return _Reply(self.status, {"error": error}, dict(self.headers))


def _graph_bad_request(details: list[dict[str, str]]) -> _Problem:
    """Resource Graph's 400: a support line, the reasons in ``details``."""
    return _Problem(
        400,
        "BadRequest",
        "Please provide below info when asking for support: "
        f"timestamp = {_now_iso()}, correlationId = {uuid.uuid4()}.",
        details,
    )


def _bad_query(code: str, message: str) -> _Problem:
    return _graph_bad_request(
        [
            {
                "code": "InvalidQuery",
                "message": "Query is invalid. Please refer to the "
                "documentation for the Azure Resource Graph service and fix the error before "
                "retrying.",
            },
            {"code": code, "message": message},
        ]
    )


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _encode_token(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _hms(seconds: float) -> str:
    total = max(0, math.ceil(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _number(value: float | str) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class _Query:
    table: str
    types: frozenset[str] | None  # None: no type filter
    case_sensitive: bool
    columns: list[str] | None  # None: every column
    descending: bool
    take: int | None
    # ``alias = properties.a.b`` projections: the alias's path into the row
    paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # ``where properties.a.b =~ 'x'`` / ``in~ (...)``: (path, values, case-sensitive)
    filters: list[tuple[tuple[str, ...], frozenset[str], bool]] = field(default_factory=list)


_WHERE = re.compile(r"^where\s+type\s*(in~|in|=~|==)\s*(.+)$", re.IGNORECASE | re.DOTALL)
_PATH = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+"
_WHERE_PATH = re.compile(
    rf"^where\s+(?:tostring\(\s*({_PATH})\s*\)|({_PATH}))\s*(in~|in|=~|==)\s*(.+)$", re.DOTALL
)
_ALIAS = re.compile(rf"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*({_PATH})$")
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_ORDER = re.compile(r"^(?:order|sort)\s+by\s+id(?:\s+(asc|desc))?$", re.IGNORECASE)
_TAKE = re.compile(r"^(?:take|limit)\s+(\d+)$", re.IGNORECASE)
_PROJECT = re.compile(r"^project\s+(.+)$", re.IGNORECASE | re.DOTALL)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_query(query: str) -> _Query:
    """Understand the collector's query shape; anything else is a 400."""
    stages = [s.strip() for s in query.split("|")]
    table = stages[0].lower()
    if table not in TABLES:
        raise _bad_query(
            "UnsupportedByFakeArm",
            f"the fake serves only the tables {', '.join(TABLES)}, not {stages[0]!r}",
        )
    parsed = _Query(table, None, False, None, False, None)
    for stage in stages[1:]:
        if m := _WHERE_PATH.match(stage):
            op, values = _where_values(stage, m.group(3).lower(), m.group(4).strip())
            sensitive = op in ("in", "==")
            parsed.filters.append(
                (
                    tuple((m.group(1) or m.group(2)).split(".")),
                    frozenset(v if sensitive else v.lower() for v in values),
                    sensitive,
                )
            )
        elif m := _WHERE.match(stage):
            op, values = _where_values(stage, m.group(1).lower(), m.group(2).strip(), "type")
            sensitive = op in ("in", "==")
            parsed.types = frozenset(v if sensitive else v.lower() for v in values)
            parsed.case_sensitive = sensitive
        elif m := _PROJECT.match(stage):
            columns = []
            for c in (c.strip() for c in m.group(1).split(",")):
                if alias := _ALIAS.match(c):
                    parsed.paths[alias.group(1)] = tuple(alias.group(2).split("."))
                    columns.append(alias.group(1))
                elif _IDENT.match(c):
                    columns.append(c)
                else:
                    raise _bad_query(
                        "UnsupportedByFakeArm",
                        f"the fake projects bare column names and paths only: {stage}",
                    )
            parsed.columns = columns
        elif m := _ORDER.match(stage):
            # KQL's default sort order is descending.
            parsed.descending = (m.group(1) or "desc").lower() == "desc"
        elif m := _TAKE.match(stage):
            parsed.take = int(m.group(1))
        else:
            raise _bad_query("UnsupportedByFakeArm", f"the fake does not evaluate: {stage!r}")
    return parsed


def _where_values(stage: str, op: str, rest: str, what: str = "string") -> tuple[str, list[str]]:
    """The operator and quoted values of a ``where [path] op ...`` stage (KQL string ops);
    ``what`` the refusal says the fake understands (type filters, string filters)."""
    if op in ("in~", "in"):
        if not (rest.startswith("(") and rest.endswith(")")):
            raise _bad_query("ParserFailure", f"expected a parenthesised list: {stage}")
        rest = rest[1:-1]
    values = [a or b for a, b in _QUOTED.findall(rest)]
    leftover = _QUOTED.sub("", rest).replace(",", "").strip()
    if not values or leftover or (op in ("=~", "==") and len(values) != 1):
        raise _bad_query(
            "UnsupportedByFakeArm", f"the fake understands only {what} filters: {stage}"
        )
    return op, values


def _walk(row: Any, path: tuple[str, ...]) -> Any:
    """KQL's ``a.b.c`` on a dynamic value: case-sensitive keys, null when absent."""
    for step in path:
        if not isinstance(row, dict):
            return None
        row = row.get(step)
    return row


def select(parsed: _Query, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The query's filters, order and projection over rows of its table (lower-case types,
    as Resource Graph serves them): what the fake and the README recipe's stub ``az`` serve."""
    out = []
    for row in rows:
        if parsed.types is not None and row["type"] not in parsed.types:
            continue
        if not all(_matches(_walk(row, p), v, cs) for p, v, cs in parsed.filters):
            continue
        out.append(row)
    out.sort(key=lambda r: str(r.get("id", "")).lower(), reverse=parsed.descending)
    if parsed.columns is not None:
        paths = parsed.paths
        out = [
            {c: _walk(r, paths[c]) if c in paths else r.get(c) for c in parsed.columns} for r in out
        ]
    return out


def _matches(value: Any, values: frozenset[str], case_sensitive: bool) -> bool:
    if not isinstance(value, str):
        return False
    return (value if case_sensitive else value.lower()) in values


def _column_type(values: Iterable[Any]) -> str:
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            return "boolean"
        if isinstance(v, int):
            return "integer"
        if isinstance(v, float):
            return "real"
        if isinstance(v, str):
            return "string"
        return "object"
    return "object"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's backlog of 5 drops the SYNs of a burst of new connections (the
    # collector's ARM read workers open dozens at once), and each dropped one costs the
    # client a 1 s retransmission
    request_queue_size = 128
    fake: _TlsServer
    ssl_context: ssl.SSLContext

    def server_bind(self) -> None:
        # Skip HTTPServer.server_bind's reverse DNS lookup (socket.getfqdn).
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        # The TLS handshake runs in the handler thread, not in the accept loop.
        conn = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return conn, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # handshake failures, resets, broken pipes
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeArm/1.0"
    sys_version = ""
    timeout = 30
    server: _Server

    def setup(self) -> None:
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        self.server.fake._track(self.request, add=True)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._track(self.request, add=False)

    def do_GET(self) -> None:
        self.server.fake._serve(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.fake.verbose:
            sys.stderr.write(f"fake-arm: {format % args}\n")


# --------------------------------------------------------------------------- the server


class _TlsServer:
    """A stand-in's HTTPS server on ``127.0.0.1`` (port 0: an ephemeral one), its trustme CA
    written to :attr:`ca_path`, and the connections it holds open, shut at :meth:`close` so
    that no client waits on a dead server. FakeArm and tests/fake_ingest.py's FakeIngestion
    share it; each answers requests in ``_serve``."""

    _slug = "fake"  # the temporary directory's and the CA file's prefix
    _title = "fake"  # the CA's organisation and the internal-failure message name it

    def __init__(self, port: int = 0, verbose: bool = False) -> None:
        self.port = port
        self.verbose = verbose
        self.errors: list[str] = []  # tracebacks of bugs inside the fake
        self._lock = threading.Lock()
        self._connections: set[Any] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tmp: str | None = None
        self.ca_path = ""
        self.url = ""

    def start(self) -> Self:
        self._tmp = tempfile.mkdtemp(prefix=f"{self._slug}-")
        ca = trustme.CA(organization_name=f"mlops-audit {self._title} test CA")
        cert = ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        self.ca_path = str(Path(self._tmp) / f"{self._slug}-ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.fake = self
        server.ssl_context = context
        self._server = server
        self.port = server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            with self._lock:
                connections = list(self._connections)
            for conn in connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._server = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.close()
        if exc_type is None and self.errors:
            raise AssertionError(f"{self._title} failed internally:\n" + "\n".join(self.errors))

    def _track(self, conn: Any, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _serve(self, handler: _Handler) -> None:
        raise NotImplementedError


class FakeArm(_TlsServer):
    """HTTPS fake of Azure Resource Graph + ARM reads on ``127.0.0.1:<ephemeral port>``.

    Knobs (plain attributes, settable before or during a test): ``forbidden_subscriptions``,
    ``hidden_containers``, ``arg_quota``, ``arg_window``, ``arm_page_size``,
    ``arm_read_capacity``, ``arm_read_capacity_of``, ``arm_read_refill``, ``arm_latency``,
    ``arm_latency_jitter``, ``arm_read_headers`` (e.g. an odd remaining-reads value),
    ``accepted_token`` (None accepts any bearer token), ``require_bearer``, ``max_page_bytes``,
    ``max_result_bytes``,
    ``subscription_limit_hit``, ``compute_api_versions``, ``drop_list_types``,
    ``next_link_base``, ``refused_tables``, ``refused_tables_in``, ``verbose`` (see the
    module docstring).
    """

    _slug = "fake-arm"
    _title = "fake ARM"

    def __init__(
        self,
        rows: Iterable[dict[str, Any]] = (),
        *,
        port: int = 0,
        forbidden_subscriptions: Iterable[str] = (),
        subscriptions: Iterable[str] = (),
        arg_quota: int = 15,
        arg_window: float = 5.0,
        arm_page_size: int = 50,
        arm_read_capacity: int = 250,
        arm_read_refill: float = 25.0,
        accepted_token: str | None = FAKE_TOKEN,
        verbose: bool = False,
    ) -> None:
        super().__init__(port, verbose)
        self.forbidden_subscriptions: set[str] = set(forbidden_subscriptions)
        self.hidden_containers: set[str] = set()
        self.require_bearer = True
        self.max_page_bytes: int | None = None
        self.max_result_bytes: int | None = None
        self.subscription_limit_hit = False
        self.compute_api_versions: set[str] | None = None
        self.drop_list_types = False
        # Resource Graph tables a query is refused on (400 InvalidQuery), as a cloud that
        # does not offer one would: policyresources, securityresources
        self.refused_tables: set[str] = set()
        # the same, only for a request that reads one of these (lower-case) subscriptions:
        # table -> subscriptions (a query that fails in one scope of several)
        self.refused_tables_in: dict[str, set[str]] = {}
        self.next_link_base: str | None = None
        self.arg_quota = arg_quota
        self.arg_window = arg_window
        self.arm_page_size = arm_page_size
        self.arm_read_capacity = arm_read_capacity
        self.arm_read_refill = arm_read_refill
        self.arm_read_capacity_of: dict[str, int] = {}  # lower-case subscription -> bucket
        self.arm_latency = 0.0
        self.arm_latency_jitter = 0.0  # plus a random 0..jitter s per read: answers reorder
        self.arm_read_headers: dict[str, str] = {}  # sent with every ARM read's answer
        self.accepted_token = accepted_token
        self.requests = RequestLog()
        self._extra_subscriptions = {s.lower() for s in subscriptions}
        self._faults: list[_Fault] = []
        self._quota_start: float | None = None
        self._quota_used = 0
        self._buckets: dict[str, tuple[float, float]] = {}
        self.set_rows(rows)

    # ---- estate

    def set_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        """Replace the estate (also mid-test, e.g. to change it between two pages)."""
        rows = list(rows)
        index: dict[str, dict[str, Any]] = {}
        subscriptions = set(self._extra_subscriptions)
        tenants: dict[str, str] = {}
        for row in rows:
            rid = str(row.get("id", ""))
            index[rid.lower()] = row
            sub = subscription_of(rid)
            if sub:
                subscriptions.add(sub)
                if row.get("tenantId"):
                    tenants.setdefault(sub, row["tenantId"])
        with self._lock:
            self._rows = rows
            self._index = index
            self._subscriptions = subscriptions
            self._tenants = tenants

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The estate served (a copy of the list)."""
        with self._lock:
            return list(self._rows)

    @property
    def subscriptions(self) -> list[str]:
        """Every subscription of the estate (lower-case), forbidden ones included."""
        with self._lock:
            return sorted(self._subscriptions)

    # ---- fault injection

    def fail_next(
        self,
        n: int,
        status: int,
        retry_after: float | str | None = None,
        path_contains: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``n`` (matching) requests with ``status`` and an ARM error body
        (plus ``headers``, e.g. ``retry-after-ms``)."""
        self._add_fault(
            _Fault("fail", n, path_contains, status, retry_after, code, headers=headers or {})
        )

    def drop_next(self, n: int, path_contains: str | None = None) -> None:
        """Close the connection of the next ``n`` (matching) requests without answering."""
        self._add_fault(_Fault("drop", n, path_contains))

    def slow_next(self, n: int, seconds: float, path_contains: str | None = None) -> None:
        """Sleep ``seconds`` before answering the next ``n`` (matching) requests."""
        self._add_fault(_Fault("slow", n, path_contains, seconds=seconds))

    def trickle_next(self, n: int, seconds: float, path_contains: str | None = None) -> None:
        """Send the next ``n`` (matching) answers' bodies one byte every ``seconds``: each
        read of the socket gets data well inside any read timeout, and the answer never
        seems to end (a slowloris server)."""
        self._add_fault(_Fault("trickle", n, path_contains, seconds=seconds))

    def redirect_next(
        self, n: int, location: str, status: int = 302, path_contains: str | None = None
    ) -> None:
        """Answer the next ``n`` (matching) requests with a redirect to ``location``."""
        self._add_fault(_Fault("redirect", n, path_contains, status, location=location))

    def echo_auth_next(self, n: int, path_contains: str | None = None) -> None:
        """Answer the next ``n`` (matching) requests 400 with their Authorization header
        in the error message and its token alone in a detail: a hostile or careless server."""
        self._add_fault(_Fault("echo", n, path_contains, 400))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset_quotas(self) -> None:
        """Refill the Resource Graph quota and every ARM read bucket."""
        with self._lock:
            self._quota_start = None
            self._quota_used = 0
            self._buckets.clear()

    def _add_fault(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("n must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, kind: str, target: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.kind != kind or fault.remaining < 1:
                    continue
                if fault.path_contains and fault.path_contains.lower() not in target.lower():
                    continue
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ---- request handling

    def _serve(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        auth = handler.headers.get("Authorization") or ""
        scheme, _, token = auth.partition(" ")
        bearer = scheme.lower() == "bearer" and bool(token.strip())
        token_ok = bearer and (self.accepted_token is None or token.strip() == self.accepted_token)
        record = RecordedRequest(
            method=handler.command,
            path=path,
            query=query,
            body=body,
            bearer=bearer,
            token_ok=token_ok,
            request_id=str(uuid.uuid4()),
            time=time.monotonic(),
        )
        self.requests.append(record)
        is_graph = path.lower().rstrip("/") == ARG_PATH
        try:
            reply = self._answer(handler, record, raw, is_graph)
        except Exception:
            self.errors.append(traceback.format_exc())
            reply = _Problem(501, "FakeArmInternalError", "bug in tests/fake_arm.py").reply()
        if reply.drop:
            handler.close_connection = True
            return
        trickle = self._take_fault("trickle", record.target)
        if trickle:
            record.faults.append("trickle")
        self._send(handler, record, reply, is_graph, trickle.seconds if trickle else 0.0)

    def _answer(
        self, handler: _Handler, record: RecordedRequest, raw: bytes, is_graph: bool
    ) -> _Reply:
        target = record.target
        slow = self._take_fault("slow", target)
        if slow:
            record.faults.append("slow")
            time.sleep(slow.seconds)
        if self._take_fault("drop", target):
            record.faults.append("drop")
            return _Reply(0, drop=True)
        fail = self._take_fault("fail", target)
        if fail:
            record.faults.append("fail")
            code = (
                fail.code
                or ("RateLimiting" if is_graph and fail.status == 429 else None)
                or ERROR_CODES.get(fail.status, "Error")
            )
            message = RATE_LIMITING_MESSAGE if code == "RateLimiting" else "injected fault"
            headers = dict(fail.headers)
            if fail.retry_after is not None:
                headers["Retry-After"] = _number(fail.retry_after)
            return _Problem(fail.status, code, message, headers=headers).reply()
        redirect = self._take_fault("redirect", target)
        if redirect:
            record.faults.append("redirect")
            return _Reply(redirect.status, None, {"Location": redirect.location})
        if self._take_fault("echo", target):
            record.faults.append("echo")
            auth = handler.headers.get("Authorization") or ""
            return _Problem(
                400,
                "InvalidRequestHeader",
                f"The request could not be processed. Received Authorization: {auth}",
                [{"code": "Token", "message": auth.partition(" ")[2]}],
            ).reply()
        if self.require_bearer and not record.bearer:
            return _Problem(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                headers={
                    "WWW-Authenticate": 'Bearer authorization_uri="https://login.windows.net/",'
                    ' error="invalid_token", error_description="The authentication failed'
                    " because of missing 'Authorization' header.\""
                },
            ).reply()
        if record.bearer and not record.token_ok:
            return _Problem(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                headers={
                    "WWW-Authenticate": 'Bearer authorization_uri="https://login.windows.net/",'
                    ' error="invalid_token", error_description="The access token is invalid."'
                },
            ).reply()
        try:
            if is_graph:
                if record.method != "POST":
                    raise _Problem(405, "MethodNotAllowed", "Resource Graph queries are POSTs.")
                return self._graph(handler, record, raw)
            if record.method != "GET":
                raise _Problem(
                    405,
                    "MethodNotAllowed",
                    f"the fake is read-only: {record.method} {record.path}",
                )
            return self._arm_get(record)
        except _Problem as problem:
            return problem.reply()

    def _send(
        self,
        handler: _Handler,
        record: RecordedRequest,
        reply: _Reply,
        is_graph: bool,
        trickle: float = 0.0,
    ) -> None:
        headers = {
            "x-ms-request-id": record.request_id,
            "x-ms-correlation-request-id": record.request_id,
        }
        if is_graph and "x-ms-user-quota-remaining" not in reply.headers:
            headers.update(self._quota_headers(consume=False))
        headers.update(reply.headers)
        data = b"" if reply.body is None else json.dumps(reply.body).encode()
        record.status = reply.status
        if isinstance(reply.body, dict) and isinstance(reply.body.get("error"), dict):
            record.error_code = reply.body["error"].get("code")
        try:
            handler.send_response(reply.status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            if handler.command != "HEAD" and trickle > 0:
                handler.wfile.flush()
                for i in range(len(data)):
                    time.sleep(trickle)
                    handler.wfile.write(data[i : i + 1])
                    handler.wfile.flush()
            elif handler.command != "HEAD":
                handler.wfile.write(data)
        except OSError:  # the client went away (e.g. it timed out on a slow reply)
            handler.close_connection = True

    # ---- Resource Graph

    def _quota_headers(self, consume: bool) -> dict[str, str]:
        """Count one query against the per-user quota; raise 429 when it is spent."""
        with self._lock:
            now = time.monotonic()
            if self._quota_start is None or now - self._quota_start >= self.arg_window:
                self._quota_start, self._quota_used = now, 0
            resets = _hms(self.arg_window - (now - self._quota_start))
            if consume:
                if self._quota_used >= self.arg_quota:
                    headers = {
                        "x-ms-user-quota-remaining": "0",
                        "x-ms-user-quota-resets-after": resets,
                    }
                    raise _Problem(429, "RateLimiting", RATE_LIMITING_MESSAGE, headers=headers)
                self._quota_used += 1
            remaining = max(0, self.arg_quota - self._quota_used)
        return {"x-ms-user-quota-remaining": str(remaining), "x-ms-user-quota-resets-after": resets}

    def _graph(self, handler: _Handler, record: RecordedRequest, raw: bytes) -> _Reply:
        content_type = (handler.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise _Problem(415, "UnsupportedMediaType", "Content-Type must be application/json")
        if "api-version" not in {k.lower() for k in record.query}:
            raise _Problem(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        body = record.body
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise _Problem(
                400,
                "BadRequest",
                "The request content was invalid and could not be deserialized.",
                [{"code": "InvalidRequestContent", "message": "a JSON body with a query"}],
            )
        quota = self._quota_headers(consume=True)
        try:
            return self._graph_page(body, quota)
        except _Problem as problem:
            problem.headers = {**quota, **problem.headers}
            raise

    def _readable_scope(self, body: dict[str, Any]) -> tuple[set[str], tuple[Any, ...]]:
        subs = body.get("subscriptions") or []
        groups = body.get("managementGroups") or []
        if subs and groups:
            raise _Problem(
                400, "BadRequest", "Specify either subscriptions or managementGroups, not both."
            )
        if not isinstance(subs, list) or not isinstance(groups, list):
            raise _Problem(400, "BadRequest", "subscriptions/managementGroups must be lists")
        if len(subs) > 1000:
            raise _Problem(400, "BadRequest", "At most 1000 subscriptions per request.")
        forbidden = {s.lower() for s in self.forbidden_subscriptions}
        with self._lock:
            known = set(self._subscriptions)
        if subs:
            requested = {str(s).lower() for s in subs}
            readable = (requested & known) - forbidden
            scope_key: tuple[Any, ...] = ("subscriptions", tuple(sorted(requested)))
            shown = ", ".join(f"/subscriptions/{s}" for s in sorted(requested))
        else:
            # Management-group (or tenant) scope: every subscription the caller can read.
            readable = known - forbidden
            scope_key = ("managementGroups", tuple(sorted(str(g).lower() for g in groups)))
            shown = (
                ", ".join(f"/providers/Microsoft.Management/managementGroups/{g}" for g in groups)
                or "/"
            )
        if not readable:
            raise _Problem(
                403,
                "AuthorizationFailed",
                "The client 'fake-user@example.invalid' with object id "
                "'00000000-0000-4000-8000-00000000cafe' does not have authorization to perform "
                f"action 'Microsoft.ResourceGraph/resources/read' over scope '{shown}' or the "
                "scope is invalid. If access was recently granted, please refresh your "
                "credentials.",
            )
        return readable, scope_key

    def _graph_rows(self, parsed: _Query, readable: set[str]) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._rows
            subscriptions = sorted(self._subscriptions & readable)
            tenants = dict(self._tenants)
        if parsed.table == "resourcecontainers":
            candidates = []
            groups: dict[str, str] = {}
            hidden = {h.lower() for h in self.hidden_containers}
            for sub in (s for s in subscriptions if s not in hidden):
                candidates.append(
                    {
                        "id": f"/subscriptions/{sub}",
                        "name": f"sub-{sub[:8]}",
                        "type": SUBSCRIPTION_TYPE,
                        "subscriptionId": sub,
                        "tenantId": tenants.get(sub, FAKE_TENANT),
                    }
                )
            for row in rows:
                m = re.match(
                    r"^(/subscriptions/([^/]+)/resourcegroups/([^/]+))",
                    row.get("id", ""),
                    re.IGNORECASE,
                )
                if m and m.group(2).lower() in readable:
                    groups.setdefault(m.group(1).lower(), m.group(1))
            for rg_id in groups.values():
                sub = subscription_of(rg_id) or ""
                candidates.append(
                    {
                        "id": rg_id,
                        "name": rg_id.rsplit("/", 1)[1],
                        "type": RESOURCE_GROUP_TYPE,
                        "subscriptionId": sub,
                        "resourceGroup": rg_id.rsplit("/", 1)[1],
                        "tenantId": tenants.get(sub, FAKE_TENANT),
                    }
                )
        else:
            candidates = []
            for row in rows:
                rtype = str(row.get("type", ""))
                if table_of(rtype) != parsed.table:
                    continue
                if subscription_of(str(row.get("id", ""))) not in readable:
                    continue
                candidates.append(as_served({**row, "type": rtype.lower()}))  # ARG: lower-case
        return select(parsed, candidates)

    def _graph_page(self, body: dict[str, Any], quota: dict[str, str]) -> _Reply:
        query = body["query"]
        options = body.get("options") or {}
        parsed = parse_query(query)
        if parsed.table in self.refused_tables:
            raise _graph_bad_request(
                [{"code": "InvalidQuery", "message": f"table {parsed.table} is not available"}]
            )
        readable, scope_key = self._readable_scope(body)
        if readable & self.refused_tables_in.get(parsed.table, set()):
            raise _graph_bad_request(
                [{"code": "InvalidQuery", "message": f"table {parsed.table} is not available"}]
            )
        rows = self._graph_rows(parsed, readable)
        top = options.get("$top")
        top = 100 if top is None else top
        if not isinstance(top, int) or not 1 <= top <= 1000:
            raise _Problem(400, "BadRequest", "$top must be between 1 and 1000.")
        skip = options.get("$skip") or 0
        if not isinstance(skip, int) or skip < 0:
            raise _Problem(400, "BadRequest", "$skip must be a non-negative integer.")
        key = hashlib.sha256(json.dumps([query, scope_key]).encode()).hexdigest()[:16]
        offset = skip
        token = options.get("$skipToken")
        if token:
            decoded = _decode_token(str(token))
            if (
                not decoded
                or decoded.get("key") != key
                or not isinstance(decoded.get("offset"), int)
            ):
                raise _bad_query(
                    "CouldNotDecodeSkipToken",
                    "Could not decode skip token: it does not belong to this query and scope.",
                )
            offset = decoded["offset"]
        total = len(rows)
        unpageable = parsed.take is not None or (
            parsed.columns is not None and all(c.lower() in DYNAMIC_COLUMNS for c in parsed.columns)
        )
        if unpageable:
            # Real ARG: no $skipToken for take/limit or all-dynamic projections.
            limited = rows[: parsed.take] if parsed.take is not None else rows
            page = limited[offset : offset + top]
            truncated = len(page) < len(rows)
            more = False
            total = len(limited)
        else:
            page = rows[offset : offset + top]
            truncated = False
            more = offset + len(page) < total
        self._check_payload(rows, page)
        data: Any = page
        if options.get("resultFormat") == "table":
            columns = parsed.columns or sorted({k for r in page for k in r})
            data = {
                "columns": [
                    {"name": c, "type": _column_type(r.get(c) for r in page)} for c in columns
                ],
                "rows": [[r.get(c) for c in columns] for r in page],
            }
        result: dict[str, Any] = {
            "totalRecords": total,
            "count": len(page),
            "resultTruncated": "true" if truncated else "false",
        }
        if more:
            result["$skipToken"] = _encode_token({"offset": offset + len(page), "key": key})
        result["data"] = data
        result["facets"] = []
        if self.subscription_limit_hit and scope_key[0] == "managementGroups":
            quota = {**quota, "x-ms-tenant-subscription-limit-hit": "true"}
        return _Reply(200, result, quota)

    def _check_payload(self, rows: list[dict[str, Any]], page: list[dict[str, Any]]) -> None:
        """ARG refuses a response over its payload limit (16 MiB) with 400: per page, or —
        as users report for large results — over the whole result however it is paged."""
        for limit, measured in ((self.max_page_bytes, page), (self.max_result_bytes, rows)):
            size = len(json.dumps(measured))
            if limit is not None and size > limit:
                raise _graph_bad_request(
                    [
                        {
                            "code": "ResponsePayloadTooLarge",
                            "message": f"Response payload size is {size}, and has exceeded the "
                            f"limit of {limit}. Please consider querying less data at a time "
                            "and make paginated call if needed.",
                        }
                    ]
                )

    # ---- ARM reads

    def _take_read(self, subscription: str) -> dict[str, str]:
        with self._lock:
            now = time.monotonic()
            capacity = float(self.arm_read_capacity_of.get(subscription, self.arm_read_capacity))
            tokens, last = self._buckets.get(subscription, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * self.arm_read_refill)
            if tokens < 1:
                self._buckets[subscription] = (tokens, now)
                wait = max(1, math.ceil((1 - tokens) / max(self.arm_read_refill, 1e-9)))
                raise _Problem(
                    429,
                    "SubscriptionRequestsThrottled",
                    f"Number of 'read' requests for subscription '{subscription}' actor "
                    "'00000000-0000-4000-8000-00000000cafe' exceeded. Please try again after "
                    f"'{wait}' seconds after the last request.",
                    headers={
                        "Retry-After": str(wait),
                        "x-ms-ratelimit-remaining-subscription-reads": "0",
                    },
                )
            tokens -= 1
            self._buckets[subscription] = (tokens, now)
        return {"x-ms-ratelimit-remaining-subscription-reads": str(int(tokens))}

    def _arm_get(self, record: RecordedRequest) -> _Reply:
        query = {k.lower(): v for k, v in record.query.items()}
        path = record.path.rstrip("/") or "/"
        subscription = subscription_of(path) or "tenant"
        if self.arm_latency > 0 or self.arm_latency_jitter > 0:
            # this handler's thread only: reads overlap
            time.sleep(self.arm_latency + random.uniform(0, self.arm_latency_jitter))
        headers = {**self._take_read(subscription), **self.arm_read_headers}
        try:
            if "api-version" not in query:
                raise _Problem(
                    400,
                    "MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required for all requests.",
                )
            if subscription != "tenant" and subscription in {
                s.lower() for s in self.forbidden_subscriptions
            }:
                raise _Problem(
                    403,
                    "AuthorizationFailed",
                    "The client 'fake-user@example.invalid' with object id "
                    "'00000000-0000-4000-8000-00000000cafe' does not have authorization to "
                    f"perform action 'read' over scope '{path}' or the scope is invalid.",
                )
            reply = self._arm_route(path, query)
        except _Problem as problem:
            problem.headers = {**headers, **problem.headers}
            raise
        reply.headers.update(headers)
        return reply

    def _arm_route(self, path: str, query: dict[str, str]) -> _Reply:
        lower = path.lower()
        segments = lower.split("/")
        with self._lock:
            rows = self._rows
            index = self._index
            subscriptions = sorted(self._subscriptions)
            tenants = dict(self._tenants)
        if lower == "/subscriptions":
            forbidden = {s.lower() for s in self.forbidden_subscriptions}
            value = [
                {
                    "id": f"/subscriptions/{s}",
                    "subscriptionId": s,
                    "displayName": f"sub-{s[:8]}",
                    "state": "Enabled",
                    "tenantId": tenants.get(s, FAKE_TENANT),
                }
                for s in subscriptions
                if s not in forbidden
            ]
            return _Reply(200, {"value": value})
        route = LIST_ROUTES.get(segments[-1])
        if route and len(segments) >= 4 and segments[-3] == route[0]:
            version = query["api-version"]
            accepted = self.compute_api_versions
            if route[0] == "workspaces" and accepted is not None and version not in accepted:
                raise _Problem(
                    400,
                    "NoRegisteredProviderFound",
                    f"No registered resource provider found for location 'chinanorth3' and "
                    f"API version '{version}' for type 'workspaces/computes'. The supported "
                    f"api-versions are '{', '.join(sorted(accepted))}'.",
                )
            parent = lower.rsplit("/", 1)[0]
            children = [
                r
                for r in rows
                if str(r.get("type", "")).lower() == route[1]
                and str(r.get("id", "")).lower().rsplit("/", 2)[0] == parent
            ]
            if not children and parent not in index:
                raise _Problem(
                    404,
                    "ParentResourceNotFound",
                    f"Can not perform requested operation on nested resource. Parent resource "
                    f"'{path.rsplit('/', 1)[0]}' not found.",
                )
            children.sort(key=lambda r: str(r.get("id", "")).lower())
            offset = 0
            token = query.get("$skiptoken")
            if token:
                decoded = _decode_token(token)
                if (
                    not decoded
                    or decoded.get("path") != lower
                    or not isinstance(decoded.get("offset"), int)
                ):
                    raise _Problem(400, "InvalidSkipToken", "The $skiptoken is invalid.")
                offset = decoded["offset"]
            size = max(1, int(self.arm_page_size))
            page = children[offset : offset + size]
            if self.drop_list_types:
                page = [{k: v for k, v in r.items() if k != "type"} for r in page]
            result: dict[str, Any] = {"value": page}
            if offset + size < len(children):
                next_token = _encode_token({"offset": offset + size, "path": lower})
                base = self.next_link_base or self.url
                result["nextLink"] = f"{base}{path}?api-version={version}&$skiptoken={next_token}"
            return _Reply(200, result)
        row = index.get(lower)
        if row is None:
            raise _Problem(404, "ResourceNotFound", f"The Resource '{path}' was not found.")
        return _Reply(200, as_served(row))


# --------------------------------------------------------------------------- stub az

_STUB_AZ = r'''#!{python}
"""Stub Azure CLI written by tests/fake_arm.py: answers what azure-identity asks, nothing more."""
import datetime
import json
import sys
import time

TOKEN = {token!r}
SUBSCRIPTION = {subscription!r}
TENANT = {tenant!r}
LOGGED_IN = {logged_in!r}
LOG = {log!r}

args = sys.argv[1:]
with open(LOG, "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\n")


def option(*names):
    for name in names:
        if name in args and args.index(name) + 1 < len(args):
            return args[args.index(name) + 1]
    return None


if args[:1] in (["--version"], ["version"]):
    print(json.dumps({{"azure-cli": "2.99.0-fake"}}))
    sys.exit(0)
if not LOGGED_IN:
    sys.stderr.write("ERROR: Please run 'az login' to setup account.\n")
    sys.exit(1)
if args[:2] == ["account", "get-access-token"]:
    expires_on = int(time.time()) + 3600
    token = {{
        "accessToken": TOKEN,
        "expiresOn": datetime.datetime.fromtimestamp(expires_on).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "expires_on": expires_on,
        "subscription": option("--subscription") or SUBSCRIPTION,
        "tenant": option("--tenant") or TENANT,
        "tokenType": "Bearer",
    }}
    if option("--query") == "accessToken":
        print(TOKEN if option("--output", "-o") == "tsv" else json.dumps(TOKEN))
    else:
        print(json.dumps(token, indent=2))
    sys.exit(0)
if args[:2] == ["account", "show"]:
    print(json.dumps({{
        "environmentName": "AzureCloud",
        "id": option("--subscription") or SUBSCRIPTION,
        "isDefault": True,
        "name": "sub-" + SUBSCRIPTION[:8],
        "state": "Enabled",
        "tenantId": TENANT,
        "user": {{"name": "fake-user@example.invalid", "type": "user"}},
    }}, indent=2))
    sys.exit(0)
sys.stderr.write("ERROR: the stub az does not implement: az " + " ".join(args) + "\n")
sys.exit(2)
'''


def write_stub_az(
    directory: str | os.PathLike[str],
    *,
    subscription: str = FAKE_SUBSCRIPTION,
    tenant: str = FAKE_TENANT,
    logged_in: bool = True,
) -> Path:
    """Write an executable ``az`` into ``directory`` (created if needed) and return its path.

    It answers ``az account get-access-token --output json --resource R [--tenant T]
    [--subscription S]`` — what azure-identity's ``AzureCliCredential`` runs — with
    :data:`FAKE_TOKEN`, plus ``--query accessToken -o tsv``, ``az account show`` and
    ``az --version``. ``logged_in=False`` makes it fail the way a logged-out CLI does. Each
    invocation's arguments (never a token) are appended to ``az-invocations.jsonl`` beside it.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "az"
    path.write_text(
        _STUB_AZ.format(
            python=sys.executable,
            token=FAKE_TOKEN,
            subscription=subscription,
            tenant=tenant,
            logged_in=logged_in,
            log=str(directory / "az-invocations.jsonl"),
        ),
        encoding="utf-8",
    )
    path.chmod(0o755)
    return path


# --------------------------------------------------------------------------- by hand


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_arm",
        description="Serve an estate file as a fake Azure Resource Graph + ARM over HTTPS.",
    )
    parser.add_argument("estate", nargs="+", help="estate JSON file(s), rows as in fixtures/")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any)")
    parser.add_argument(
        "--forbid",
        action="append",
        default=[],
        metavar="SUBSCRIPTION",
        help="subscription the caller cannot read (repeatable)",
    )
    parser.add_argument("--quota", type=int, default=15, help="ARG queries per window")
    parser.add_argument("--window", type=float, default=5.0, help="ARG quota window, seconds")
    parser.add_argument("--page-size", type=int, default=50, help="ARM list page size")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)

    rows = [row for path in args.estate for row in load_rows(path)]
    arm = FakeArm(
        rows,
        port=args.port,
        forbidden_subscriptions=args.forbid,
        arg_quota=args.quota,
        arg_window=args.window,
        arm_page_size=args.page_size,
        verbose=not args.quiet,
    )
    try:
        arm.start()
    except OSError as exc:
        print(f"fake-arm: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 2
    try:
        subs = arm.subscriptions
        first = subs[0] if subs else FAKE_SUBSCRIPTION
        tenant = arm._tenants.get(first, FAKE_TENANT)
        bindir = Path(arm.ca_path).parent / "bin"
        write_stub_az(bindir, subscription=first, tenant=tenant)
        sub_flags = " ".join(f"--subscription {s}" for s in subs)
        query = json.dumps(
            {
                "subscriptions": subs,
                "query": 'resources | where type in~ ("microsoft.network/virtualnetworks") '
                "| project id, name | order by id asc",
            }
        )
        print(
            f"""Fake Azure Resource Graph + ARM listening on {arm.url}
  estate: {len(rows)} rows, subscriptions: {", ".join(subs) or "(none)"}
  CA certificate (trust it): {arm.ca_path}
  stub az (prints a fake token): {bindir / "az"}

In another shell:
  export PATH="{bindir}:$PATH"
  export REQUESTS_CA_BUNDLE="{arm.ca_path}" SSL_CERT_FILE="{arm.ca_path}"
  az account get-access-token --output json --resource https://management.azure.com
  mlops-audit collect --auth cli --arm-endpoint {arm.url} {sub_flags} --output snapshot.json
  curl -sS --cacert "{arm.ca_path}" -H "Authorization: Bearer $(az account get-access-token \\
      --query accessToken -o tsv)" -H "Content-Type: application/json" \\
      "{arm.url}/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01" \\
      -d '{query}'

Ctrl-C to stop.""",
            flush=True,
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        arm.close()
    print("fake-arm: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
