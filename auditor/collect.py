"""Stage 0 (live path): read the estate from Azure Resource Graph and ARM into a snapshot.

The result is the tool's own snapshot document (``docs/formats.md``), so a live scan and a
scan of the snapshot it wrote are the same audit. What is collected, and how, is declared
in ``collections.py``. The Azure SDK is imported only on this path (here and in
``credentials.py``): ``scan --snapshot`` never pays for it.

Resource Graph: one query per table, sorted by id, paged with ``$skipToken`` at ``$top``
1000, subscriptions batched per request. The per-user quota headers pace the requests; a
429 waits for the quota window; transient errors retry with jittered exponential back-off,
a bounded number of times; what still fails is recorded as a coverage failure, never
dropped. Coverage is checked against ``resourcecontainers``: Resource Graph silently leaves
out subscriptions the identity cannot read.

ARM: the collections declared as ARM lists, e.g. AML computes (one read per workspace) and
private endpoint DNS zone groups (one per endpoint), with bounded concurrency through an
azure-core pipeline.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from . import __version__, arm, queries
from .clouds import CLOUDS
from .collections import DECLARATIONS, ArmList, GraphQuery
from .inputs.snapshot import SNAPSHOT_FORMAT, SNAPSHOT_VERSION

log = logging.getLogger("mlops_audit.collect")

MAX_WAIT = 300.0  # seconds: a wait longer than this is a failure, not a pause
MAX_PAGES = 100_000  # a bound on any paging loop


# The declared collections by how they are read: Resource Graph queries, then ARM lists.
_QUERIED = [(c.name, c.source) for c in DECLARATIONS if isinstance(c.source, GraphQuery)]
_LISTED = [(c, c.source) for c in DECLARATIONS if isinstance(c.source, ArmList)]


class CollectError(Exception):
    """The collection could not start at all (no credential, no scope)."""


@dataclass
class Scope:
    subscriptions: list[str] = field(default_factory=list)
    management_groups: list[str] = field(default_factory=list)
    all_subscriptions: bool = False

    def describe(self) -> list[dict[str, str]]:
        if self.all_subscriptions:
            return [{"tenant": "all readable subscriptions"}]
        return [{"subscription": s} for s in self.subscriptions] + [
            {"managementGroup": m} for m in self.management_groups
        ]


@dataclass
class Counters:
    graph_pages: int = 0
    arm_reads: int = 0
    retries: int = 0
    throttled: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "resource_graph_pages": self.graph_pages,
            "arm_reads": self.arm_reads,
            "retries": self.retries,
            "throttled": self.throttled,
        }


def _reset_seconds(value: str | None) -> float:
    """``x-ms-user-quota-resets-after`` is ``hh:mm:ss``."""
    m = re.fullmatch(r"(\d+):(\d+):(\d+(?:\.\d+)?)", value or "")
    return int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]) if m else 5.0


def _is_row(value: Any) -> bool:
    """A row a reader can key: an object whose id is an ARM id (and whose type, if any,
    is a string). Anything else from the service is a failure, not a row."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("id"), str)
        and value["id"].startswith("/")
        and isinstance(value.get("type", ""), str)
    )


class Collector:
    """Reads one scope into a snapshot document."""

    def __init__(
        self,
        credential: Any,
        *,
        arm_endpoint: str,
        cloud: str = "public",
        skip_endpoint_reads: bool = False,
        max_attempts: int = 6,
        backoff: float = 1.0,
        max_workers: int = 8,
        batch_size: int = 100,
        page_size: int = 1000,
        progress: Callable[[str], None] = lambda _msg: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from azure.mgmt.network import NetworkManagementClient
        from azure.mgmt.resourcegraph import ResourceGraphClient

        self.endpoint = arm_endpoint.rstrip("/")
        self.cloud = cloud
        common: dict[str, Any] = {
            "base_url": self.endpoint,
            "credential_scopes": [CLOUDS[cloud].token_scope],
            "retry_total": 0,  # one retry layer, ours: it honours Retry-After and counts
        }
        self.graph = ResourceGraphClient(credential, **common)
        # any subscription id serves: send_request takes absolute URLs
        self.arm = NetworkManagementClient(
            credential, "00000000-0000-0000-0000-000000000000", **common
        )
        self.skip_endpoint_reads = skip_endpoint_reads
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_workers = max_workers
        self.batch_size = batch_size
        self.page_size = page_size
        self.progress = progress
        self.sleep = sleep
        self.counters = Counters()
        self._lock = threading.Lock()
        self.failures: list[dict[str, str]] = []
        self.notes: list[str] = []

    # -- retries ------------------------------------------------------------------------
    def _count(self, name: str) -> None:
        with self._lock:  # ARM reads run in worker threads
            setattr(self.counters, name, getattr(self.counters, name) + 1)

    def _retrying(
        self, what: str, call: Callable[[], Any], quota_wait: Callable[[Any], float]
    ) -> Any:
        """Call, retrying 429s (after Retry-After or the quota window, never sooner),
        5xx and connection errors (jittered exponential back-off), a bounded number of
        times; other HTTP errors raise at once."""
        from azure.core.exceptions import (
            HttpResponseError,
            ServiceRequestError,
            ServiceResponseError,
        )

        last: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                return call()
            except HttpResponseError as exc:
                status = exc.status_code or 0
                if status == 429:
                    self._count("throttled")
                    wait = quota_wait(exc.response)
                    if wait > MAX_WAIT:
                        raise TimeoutError(f"{what}: throttled for {wait:.0f} s") from None
                elif status >= 500:
                    wait = min(self.backoff * 2 ** (attempt - 1), MAX_WAIT)
                    wait *= 1 + random.random() / 2  # jitter
                else:
                    raise
                last = exc
            except (ServiceRequestError, ServiceResponseError) as exc:
                wait = min(self.backoff * 2 ** (attempt - 1), MAX_WAIT) * (1 + random.random() / 2)
                last = exc
            if attempt == self.max_attempts:
                break
            self._count("retries")
            log.debug("retrying %s in %.1f s (attempt %d)", what, wait, attempt + 1)
            self.sleep(wait)
        cause = str(last).splitlines()[0] if last else ""
        raise TimeoutError(f"{what}: still failing after {self.max_attempts} attempts: {cause}")

    @staticmethod
    def _retry_after(response: Any) -> float | None:
        """Retry-After in seconds (a number or an HTTP date), or None."""
        value = ((getattr(response, "headers", None) or {}).get("Retry-After") or "").strip()
        if not value:
            return None
        if value.isdigit():
            return float(value)
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None

    def _graph_quota_wait(self, response: Any) -> float:
        after = self._retry_after(response)
        headers = getattr(response, "headers", None) or {}
        window = _reset_seconds(headers.get("x-ms-user-quota-resets-after"))
        return max(after or 0.0, window)

    def _arm_wait(self, response: Any) -> float:
        after = self._retry_after(response)
        return after if after is not None else 1.0

    # -- Resource Graph -----------------------------------------------------------------
    def _graph_page(self, query: str, scope: dict[str, Any], token: str | None) -> Any:
        from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

        log.debug(
            "POST Resource Graph %s (%s)%s",
            query.split(" ", 1)[0],
            ", ".join(f"{k}={len(v)}" for k, v in scope.items()) or "tenant",
            " next page" if token else "",
        )
        request = QueryRequest(
            query=query,
            options=QueryRequestOptions(
                top=self.page_size, skip_token=token, result_format="objectArray"
            ),
            **scope,
        )
        return self.graph.resources(
            request, cls=lambda pipeline, body, _h: (body, pipeline.http_response.headers)
        )

    def graph_query(self, name: str, query: str, scope: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row of one query over one scope, page by page; raises when it cannot."""
        queries.check_pageable(query)
        rows: list[dict[str, Any]] = []
        token: str | None = None
        seen_tokens: set[str] = set()
        while True:
            body, headers = self._retrying(
                f"{name} page {self.counters.graph_pages + 1}",
                lambda t=token: self._graph_page(query, scope, t),  # type: ignore[misc]
                self._graph_quota_wait,
            )
            self._count("graph_pages")
            if not isinstance(body.data, list):
                raise RuntimeError(f"{name}: Resource Graph returned 'data' that is not a list")
            for row in body.data:
                if not _is_row(row):
                    raise RuntimeError(f"{name}: Resource Graph returned a row without an id")
            rows.extend(body.data)
            self.progress(f"{name}: {len(rows)} rows")
            remaining = headers.get("x-ms-user-quota-remaining")
            if remaining is not None and remaining.isdigit() and int(remaining) <= 0:
                self.sleep(_reset_seconds(headers.get("x-ms-user-quota-resets-after")))
            token = body.skip_token
            if not token:
                break
            if token in seen_tokens or not body.data or len(seen_tokens) >= MAX_PAGES:
                raise RuntimeError(f"{name}: Resource Graph paging does not advance")
            seen_tokens.add(token)
        total = body.total_records
        if not isinstance(total, int) or total != len(rows):
            raise RuntimeError(f"{name}: read {len(rows)} rows of {total} reported")
        return rows

    def _scopes(self, scope: Scope) -> list[tuple[str, dict[str, Any]]]:
        if scope.all_subscriptions:
            return [("tenant", {})]
        subs = list({s.lower(): s for s in scope.subscriptions}.values())
        batches = [subs[i : i + self.batch_size] for i in range(0, len(subs), self.batch_size)]
        out = [(f"subscriptions {b[0]}…({len(b)})", {"subscriptions": b}) for b in batches]
        out += [
            (f"management group {m}", {"management_groups": [m]}) for m in scope.management_groups
        ]
        return out

    def _fail(self, scope: str, what: str, error: Exception | str) -> None:
        text = str(error).splitlines()[0] if str(error) else type(error).__name__
        self.failures.append({"scope": scope, "what": what, "error": text[:300]})
        log.warning("%s %s failed: %s", scope, what, text[:300])

    # -- the whole collection -----------------------------------------------------------
    def collect(self, scope: Scope) -> dict[str, Any]:
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows: list[dict[str, Any]] = []
        collections = {name for name, _ in _QUERIED}
        for label, request_scope in self._scopes(scope):
            visible = self._coverage(label, request_scope)
            if visible is not None and not visible:
                continue
            for name, query in _QUERIED:
                try:
                    rows.extend(self.graph_query(name, query.text, request_scope))
                except Exception as exc:  # recorded, reported, exit 3
                    self._fail(label, f"query {name}", exc)
                    collections.discard(name)
        rows = list({arm.key(r["id"]): r for r in rows}.values())  # overlapping scopes
        rows.extend(self._arm_rows(rows, collections))
        return {
            "format": SNAPSHOT_FORMAT,
            "version": SNAPSHOT_VERSION,
            "tool_version": __version__,
            "collected_at": started,
            "cloud": self.cloud,
            "scopes": scope.describe(),
            "queries": [
                *(query.text for _, query in _QUERIED),
                queries.SUBSCRIPTIONS,
                *(listed.path for _, listed in _LISTED),
            ],
            "collections": sorted(collections),
            "failures": self.failures,
            "notes": self.notes,
            "requests": self.counters.as_dict(),
            "rows": rows,
        }

    def _coverage(self, label: str, request_scope: dict[str, Any]) -> set[str] | None:
        """Subscriptions Resource Graph can read in this scope; requested ones it cannot
        read are failures (it omits them silently)."""
        try:
            found = self.graph_query("subscriptions", queries.SUBSCRIPTIONS, request_scope)
        except Exception as exc:
            self._fail(label, "subscription coverage", exc)
            return None
        visible = {str(r.get("subscriptionId", "")).lower() for r in found}
        if not request_scope.get("subscriptions"):
            self.notes.append(
                f"{label}: Resource Graph reads {len(visible)} subscription(s) here; those the "
                "identity cannot read are left out silently and cannot be listed"
            )
        for sub in request_scope.get("subscriptions", []):
            if sub.lower() not in visible:
                self._fail(
                    f"subscription {sub}",
                    "read access",
                    "Resource Graph returned nothing for it: the identity cannot read "
                    "it, or it does not exist",
                )
        if not visible:
            self._fail(label, "read access", "no readable subscription in this scope")
        return visible

    # -- ARM reads ----------------------------------------------------------------------
    def _arm_rows(self, rows: list[dict[str, Any]], collections: set[str]) -> list[dict[str, Any]]:
        """The items of every collection declared as an ARM list, under each of its parents
        in ``rows``; each one read is added to ``collections`` (a skipped one is noted)."""
        jobs: list[tuple[str, str, str]] = []  # (collection, list path, parent id)
        for c, listed in _LISTED:
            parents = [
                r["id"] for r in rows if str(r.get("type", "")).lower() == listed.parent_type
            ]
            if self.skip_endpoint_reads and c.skipped_note:
                self.notes.append(c.skipped_note.format(n=len(parents)))
                continue
            jobs += [(c.name, listed.path_for(p), p) for p in parents]
            collections.add(c.name)
        out: list[dict[str, Any]] = []
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            results = pool.map(lambda j: self._arm_list(j[1]), jobs)
            for done, ((kind, _path, parent), result) in enumerate(
                zip(jobs, results, strict=True), 1
            ):
                self.progress(f"ARM reads: {done}/{len(jobs)}")
                if isinstance(result, Exception):
                    self._fail(parent, f"ARM read of {kind}", result)
                else:
                    out.extend(result)
        return out

    def _arm_list(self, path: str) -> list[dict[str, Any]] | Exception:
        """Every item of an ARM list, following nextLink."""
        from azure.core.rest import HttpRequest

        url: str | None = f"{self.endpoint}{path}"
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        home = urlsplit(self.endpoint)
        try:
            while url:
                target = urlsplit(url)
                # the token goes only to the ARM endpoint the user chose
                if (target.scheme, target.netloc) != (home.scheme, home.netloc):
                    raise RuntimeError(f"nextLink leaves {home.netloc}: {target.netloc}")
                if url in seen or len(seen) >= MAX_PAGES:
                    raise RuntimeError("nextLink paging does not advance")
                seen.add(url)
                response = self._retrying(
                    f"GET {arm.last_name(path.split('?')[0])}",
                    lambda u=url: self._arm_get(HttpRequest("GET", u)),  # type: ignore[misc]
                    self._arm_wait,
                )
                body = response.json()
                if not isinstance(body, dict) or not isinstance(body.get("value", []), list):
                    raise RuntimeError("ARM returned a body without a 'value' list")
                for v in body.get("value", []):
                    if not _is_row(v):
                        raise RuntimeError("ARM returned an item without an id")
                    items.append(v)
                url = body.get("nextLink") or None
        except Exception as exc:
            return exc
        return items

    def _arm_get(self, request: Any) -> Any:
        log.debug("GET %s", request.url.split("?", 1)[0].replace(self.endpoint, ""))
        response = self.arm.send_request(request)
        self._count("arm_reads")
        remaining = response.headers.get("x-ms-ratelimit-remaining-subscription-reads")
        if remaining is not None and remaining.isdigit() and int(remaining) < 10:
            self.sleep(1.0)  # let the bucket refill (25 reads/s) before it runs dry
        response.raise_for_status()
        return response
