"""Stage 0 (live path): read the estate from Azure Resource Graph and ARM into a snapshot.

The result is the tool's own snapshot document (``docs/formats.md``), so a live scan and a
scan of the snapshot it wrote are the same audit. What is collected, and how, is declared
in ``collections.py``. The Azure SDK is imported only on this path (here and in
``credentials.py``): ``scan --snapshot`` never pays for it.

Resource Graph: one query per table, sorted by id, paged with ``$skipToken`` at ``$top``
1000, subscriptions batched per request. The per-user quota headers pace the requests; a
429 waits for the quota window; transient errors retry with jittered exponential back-off,
a bounded number of times; what still fails is recorded as a coverage failure, never
dropped. A page Resource Graph refuses as too large is asked again with half the ``$top``,
down to one row, and then the query is read one type at a time. Coverage is checked
against ``resourcecontainers``: Resource Graph silently leaves out subscriptions the
identity cannot read.

ARM: the collections declared as ARM lists, e.g. AML computes (one read per workspace) and
private endpoint DNS zone groups (one per endpoint); a cloud that refuses a list's api-version
gets an older one. ARM throttles reads per subscription (and principal), each in its own token
bucket, so the reads queue by subscription: a bounded pool of workers serves the
subscription with the most reads left first, a few reads of each in flight at most, and a
subscription that must wait (a 429's Retry-After, or its
``x-ms-ratelimit-remaining-subscription-reads`` running low) holds back only its own reads
while the others go on: a throttled read goes back to its queue, resuming at its page, and
its worker takes another subscription's. Of the lists read this way Resource Graph holds
only DNS resolver inbound endpoints (``queries.ARM_ONLY`` says more).

Every server is distrusted: the whole collection has a deadline (``--timeout``; an answer
still arriving ``STRAGGLER_GRACE`` after it is a failure, not waited for), every request a
read timeout, every page stream a page limit; redirects are not followed; nextLinks
must stay on the ARM endpoint; list items must be what the list holds; and every message
taken from a server is stripped of tokens before it is logged or recorded.
"""

from __future__ import annotations

import heapq
import logging
import math
import queue
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from . import __version__, arm, queries
from . import progress as progress_stage
from .clouds import CLOUDS
from .collections import ADVISORY, DECLARATIONS, ArmList, Declaration, GraphQuery
from .inputs.snapshot import SNAPSHOT_FORMAT, SNAPSHOT_VERSION

log = logging.getLogger("mlops_audit.collect")

MAX_WAIT = 300.0  # seconds: a wait longer than this is a failure, not a pause
# x-ms-ratelimit-remaining-subscription-reads below LOW_READS: the subscription's next reads
# wait until its bucket is back there, at ARM's refill of READ_REFILL reads a second (more
# than the reads a subscription has in flight, so those still find a token)
LOW_READS = 10
READ_REFILL = 25.0
MAX_PAGES = 100_000  # a bound on an ARM nextLink chain (Resource Graph's is totalRecords')
PAGE_SLACK = 2  # Resource Graph pages allowed beyond ceil(totalRecords / $top)
DEFAULT_TIMEOUT = 3600.0  # seconds for the whole collection (--timeout)
STRAGGLER_GRACE = 10.0  # seconds past the deadline an ARM read may go on answering
READ_TIMEOUT = 120.0  # seconds a response may stall before the request is retried
CONNECT_TIMEOUT = 30.0
SUBSCRIPTION_LIMIT = "x-ms-tenant-subscription-limit-hit"
TOO_LARGE = "ResponsePayloadTooLarge"
# ARM's answers when a cloud does not (yet) offer a type at an api-version
UNSUPPORTED_VERSION = frozenset(
    {"NoRegisteredProviderFound", "InvalidApiVersionParameter", "InvalidResourceType"}
)
REDACTED = "[redacted]"
_BEARER = re.compile(r"(?i)\bbearer\s+[^\s\"',;]+")
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*")


# The declared collections by how they are read: Resource Graph queries, then ARM lists.
_QUERIED = [(c.name, c.source) for c in DECLARATIONS if isinstance(c.source, GraphQuery)]
_LISTED = [(c, c.source) for c in DECLARATIONS if isinstance(c.source, ArmList)]


class CollectError(Exception):
    """The collection could not start at all (no credential, no scope)."""


class DeadlineExceeded(TimeoutError):
    """The collection's deadline (``--timeout``) passed."""


class _NotStarted(DeadlineExceeded):
    """A read the deadline left no time to start: counted, not listed one by one."""


class _Throttled(Exception):
    """An ARM read was answered 429: it goes back to its subscription's queue (held for the
    Retry-After) and its worker takes another read meanwhile."""


class _TooLarge(Exception):
    """Resource Graph refuses a query's pages as too large even one row at a time."""


class Redactor(logging.Filter):
    """Strips tokens from text a server sent: the credential's own (every one it handed
    out) and anything shaped like a bearer token or a JWT. As a logging filter it cleans
    every record of the collector's logger, so a reflected token reaches no stderr."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()  # tokens arrive in the ARM readers' threads

    def note(self, secret: str) -> None:
        """Remember a token the credential handed out."""
        with self._lock:
            self._secrets.add(secret)

    def exact(self, text: str) -> str:
        """``text`` without the credential's own tokens (data is only ever cut this far)."""
        with self._lock:
            secrets = [s for s in self._secrets if s]
        for secret in secrets:
            text = text.replace(secret, REDACTED)
        return text

    def __call__(self, text: str) -> str:
        text = _BEARER.sub(f"Bearer {REDACTED}", self.exact(text))
        return _JWT.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self(record.getMessage()), None
        return True


class Watched:
    """The credential, noting each token it hands out (so a server that echoes one back
    cannot make the tool write it), and sharing one token among the ARM read workers: each
    of azure-core's token policies asks for its own, concurrently, on its first requests (no
    lock), and a credential such as Azure CLI's runs a process per ask. A token is reused
    until five minutes before it expires; an ask with claims (a challenge) always asks."""

    REUSE_MARGIN = 300  # seconds before expiry at which a shared token is asked for anew

    def __init__(self, inner: Any, redactor: Redactor) -> None:
        self._inner = inner
        self._redactor = redactor
        self._lock = threading.Lock()
        self._tokens: dict[tuple[Any, ...], Any] = {}
        if hasattr(inner, "get_token_info"):  # azure-core prefers it when present
            self.get_token_info = self._get_token_info

    def _shared(self, key: tuple[Any, ...], fresh: bool, ask: Callable[[], Any]) -> Any:
        if fresh:
            token = ask()
            self._redactor.note(token.token)
            return token
        with self._lock:  # one ask at a time: the others then take its token
            token = self._tokens.get(key)
            if token is None or token.expires_on - time.time() < self.REUSE_MARGIN:
                token = ask()
                self._redactor.note(token.token)
                self._tokens[key] = token
            return token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        key = ("token", scopes, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        fresh = bool(kwargs.get("claims"))
        return self._shared(key, fresh, lambda: self._inner.get_token(*scopes, **kwargs))

    def _get_token_info(self, *scopes: str, options: Any = None) -> Any:
        opts = dict(options or {})
        key = ("info", scopes, tuple(sorted((k, repr(v)) for k, v in opts.items())))
        fresh = bool(opts.get("claims"))
        return self._shared(
            key, fresh, lambda: self._inner.get_token_info(*scopes, options=options)
        )


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


def _header_count(value: str | None) -> int | None:
    """A count a server sent in a header (remaining reads or queries), or None when it is
    none: ASCII digits only (``str.isdigit`` also takes superscripts, which ``int``
    refuses), and more digits than ``int`` parses read as plenty, not as an error."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    return int(value) if len(value) <= 18 else 10**18


def origin(url: str) -> tuple[str, str, int]:
    """Where a URL points: scheme, lower-case host and effective port, so that
    ``https://h:443/`` and ``https://H/`` are the same place."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is no number points nowhere we know
        port = -1
    return scheme, parts.hostname or "", port or {"https": 443, "http": 80}.get(scheme, 0)


def _host(url: str | None) -> str:
    """Only the host of a URL a server sent: its path and query may carry anything."""
    return urlsplit(url or "").hostname or "an unnamed location"


def _error_codes(exc: Any) -> set[str]:
    """The ARM error code of an HTTP error and the codes of its details."""
    error = getattr(exc, "error", None)
    found = {getattr(error, "code", None)}
    found |= {getattr(d, "code", None) for d in getattr(error, "details", None) or ()}
    return {c for c in found if isinstance(c, str)}


def _is_row(value: Any) -> bool:
    """A row a reader can key: an object whose id is an ARM id. Anything else from the
    service is a failure, not a row."""
    return (
        isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"].startswith("/")
    )


class _Lane:
    """The ARM reads of one subscription: those not yet started, how many are in flight, and
    the time before which none may start (a 429's Retry-After, a bucket running low)."""

    __slots__ = ("limit", "not_before", "order", "pending", "running")

    def __init__(self, order: int, limit: int) -> None:
        self.pending: deque[int] = deque()
        self.running = 0
        self.not_before = 0.0
        self.order = order  # first seen: the tie-break among lanes with as many reads left
        # reads in flight at most: one after a 429, doubling with each read that ends
        self.limit = limit


@dataclass
class _ReadState:
    """How far one ARM read got (api-version, page, attempt), kept while a 429 sends it back
    to its queue: it resumes there, never reads a page twice, and its attempts stay bounded."""

    version: int | None = None
    url: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    attempt: int = 1


class _Lanes:
    """Hands ARM reads (by index) to worker threads from per-subscription lanes.

    ARM keeps a read bucket per subscription, so a lane that must wait holds back only its own
    reads; each lane has at most ``per_lane`` in flight, so one large or throttled subscription
    never occupies every worker. The lane with the most reads left goes first (ties: the first
    seen): a subscription past its bucket's burst is bound by its refill, so it should start
    at once, with the small ones filling the other workers around it. Once ``left()`` (the
    collection's time left) is spent, every read is handed out at once: each then finds the
    deadline passed and is counted unstarted. A throttled read is put back (``done(key,
    again=index)``) at the head of its lane, its worker free for other lanes' reads."""

    def __init__(self, keys: list[str], per_lane: int, left: Callable[[], float]) -> None:
        self._cond = threading.Condition()
        self._lanes: dict[str, _Lane] = {}
        self._per_lane = max(1, per_lane)
        for index, key in enumerate(keys):
            lane = self._lanes.get(key) or self._lanes.setdefault(
                key, _Lane(len(self._lanes), self._per_lane)
            )
            lane.pending.append(index)
        # one entry per lane with reads not yet started: (-reads left, first seen, key)
        self._queue = [
            (-len(lane.pending), i, key) for i, (key, lane) in enumerate(self._lanes.items())
        ]
        heapq.heapify(self._queue)
        self._left = left

    def hold(self, key: str, seconds: float, throttled: bool = False) -> None:
        """Let no read of ``key`` start for ``seconds`` (from now). After a 429
        (``throttled``) one read at a time goes when the wait ends, and more as reads end:
        every read waiting released at once would meet a bucket holding what it refilled
        in the wait, and most would be throttled again, in step, until one ran out of
        attempts."""
        with self._cond:
            lane = self._lanes.get(key)
            if lane is not None:
                lane.not_before = max(lane.not_before, time.monotonic() + seconds)
                if throttled:
                    lane.limit = 1

    def wait_for(self, key: str) -> float:
        """Seconds until reads of ``key`` may start again (0 when they may now)."""
        with self._cond:
            lane = self._lanes.get(key)
            return max(0.0, lane.not_before - time.monotonic()) if lane is not None else 0.0

    def take(self) -> int | None:
        """The next read to start (blocking while every lane with reads left must wait or is
        full), or None when every read has been handed out."""
        with self._cond:
            while self._queue:
                now = time.monotonic()
                late = self._left() <= 0
                soonest = math.inf
                passed = []  # lanes full or waiting, put back as they were
                index = None
                while self._queue:
                    entry = heapq.heappop(self._queue)
                    lane = self._lanes[entry[2]]
                    if lane.running >= lane.limit:
                        passed.append(entry)
                    elif lane.not_before > now and not late:
                        soonest = min(soonest, lane.not_before)
                        passed.append(entry)
                    else:
                        lane.running += 1
                        index = lane.pending.popleft()
                        if lane.pending:
                            heapq.heappush(self._queue, (-len(lane.pending), *entry[1:]))
                        break
                for entry in passed:
                    heapq.heappush(self._queue, entry)
                if index is not None:
                    return index
                # every lane is full or waiting: until a read ends, a wait ends or time is up
                self._cond.wait(max(0.001, min(soonest - now, self._left(), MAX_WAIT)))
            return None

    def done(self, key: str, again: int | None = None) -> None:
        """One read of ``key`` ended (whatever its outcome), or was throttled: ``again`` (its
        index) goes back to the head of its lane. A worker that puts a read back takes again,
        so no read put back is left without a worker."""
        with self._cond:
            lane = self._lanes[key]
            lane.running -= 1
            if again is None:
                lane.limit = min(self._per_lane, lane.limit + 1)
            else:
                if not lane.pending:  # the lane had left the queue: it joins it again
                    heapq.heappush(self._queue, (-1, lane.order, key))
                lane.pending.appendleft(again)
            self._cond.notify_all()


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
        max_workers: int = 32,
        per_subscription: int = 8,
        batch_size: int = 100,
        page_size: int = 1000,
        timeout: float = DEFAULT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        progress: progress_stage.Progress = progress_stage.NONE,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from azure.mgmt.network import NetworkManagementClient
        from azure.mgmt.resourcegraph import ResourceGraphClient

        self.endpoint = arm_endpoint.rstrip("/")
        self.cloud = cloud
        self.redact = Redactor()
        watched = Watched(credential, self.redact)
        common: dict[str, Any] = {
            "base_url": self.endpoint,
            "credential_scopes": [CLOUDS[cloud].token_scope],
            "retry_total": 0,  # one retry layer, ours: it honours Retry-After and counts
            "permit_redirects": False,  # a redirect is a failure, never data from elsewhere
            "connection_timeout": connect_timeout,
            "read_timeout": read_timeout,
        }
        self.graph = ResourceGraphClient(watched, **common)
        # any subscription id serves: send_request takes absolute URLs. Its own connection
        # pool, as large as the worker pool: requests' default of 10 would open and discard a
        # TLS connection per read beyond it.
        self.arm = NetworkManagementClient(
            watched,
            "00000000-0000-0000-0000-000000000000",
            transport=_transport(max_workers),
            **common,
        )
        self.skip_endpoint_reads = skip_endpoint_reads
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_workers = max_workers
        self.per_subscription = per_subscription
        self.batch_size = batch_size
        self.page_size = page_size
        self.timeout = timeout
        self.read_timeout = read_timeout
        self.connect_timeout = connect_timeout
        self.deadline = math.inf  # set when the collection starts
        self.progress = progress
        self._queries_done = 0  # Resource Graph queries finished (or given up), for progress
        self.sleep = sleep
        self.counters = Counters()
        self._lock = threading.Lock()
        self._api_version: dict[str, int] = {}  # ARM list -> index of the version that works
        self._limited: set[str] = set()  # scopes past Resource Graph's subscription limit
        self._lanes = _Lanes([], 1, self._left)  # the ARM reads' queue, per collection
        self.failures: list[dict[str, str]] = []
        self.notes: list[str] = []

    # -- the deadline ---------------------------------------------------------------------
    def _left(self) -> float:
        return self.deadline - time.monotonic()

    def _passed(self) -> str:
        return f"the collection's --timeout of {self.timeout:g} s passed"

    def _pause(self, seconds: float, what: str) -> None:
        """Sleep, unless the sleep would outlast the deadline."""
        if seconds >= self._left():
            raise DeadlineExceeded(f"{what}: {self._passed()} (a wait of {seconds:.1f} s)")
        self.sleep(seconds)

    def _bounded(self, call: Callable[[], Any]) -> Any:
        """``call()``, in a daemon thread waited for no longer than the deadline and
        STRAGGLER_GRACE: requests' read timeout is per socket read, so an answer sent a byte
        at a time would otherwise outlast --timeout (the thread is then left behind)."""
        box: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()

        def run() -> None:
            try:
                box.put((True, call()))
            except BaseException as exc:  # handed to the caller's thread, raised there
                box.put((False, exc))

        threading.Thread(target=run, name="graph-read", daemon=True).start()
        left = self.deadline + STRAGGLER_GRACE - time.monotonic()
        try:
            ok, value = box.get(timeout=max(0.0, left) if left < math.inf else None)
        except queue.Empty:
            raise DeadlineExceeded(self._straggling()) from None
        if ok:
            return value
        raise value

    def _straggling(self) -> str:
        return f"still answering {STRAGGLER_GRACE:g} s after {self._passed()}"

    def _timeouts(self) -> dict[str, float]:
        """Per-request timeouts, never past the deadline."""
        left = max(self._left(), 0.001)
        return {
            "connection_timeout": min(self.connect_timeout, left),
            "read_timeout": min(self.read_timeout, left),
        }

    # -- retries ------------------------------------------------------------------------
    def _count(self, name: str) -> None:
        with self._lock:  # ARM reads run in worker threads
            setattr(self.counters, name, getattr(self.counters, name) + 1)

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff * 2 ** (attempt - 1), MAX_WAIT) * (1 + random.random() / 2)

    def _retrying(
        self,
        what: str,
        call: Callable[[dict[str, float]], Any],
        quota_wait: Callable[[Any], float],
        state: _ReadState | None = None,
    ) -> Any:
        """Call (with per-request timeouts), retrying 429s (after Retry-After or the quota
        window, never sooner), 408, 5xx, stalls and connection errors (after the server's
        retry-after, else jittered exponential back-off), a bounded number of times and
        never past the deadline; redirects and other HTTP errors raise at once. With
        ``state`` (an ARM read) a 429 raises :class:`_Throttled` instead of sleeping, the
        attempt it got to noted there (``quota_wait`` has held its queue)."""
        from azure.core.exceptions import (
            HttpResponseError,
            ServiceRequestError,
            ServiceRequestTimeoutError,
            ServiceResponseError,
            ServiceResponseTimeoutError,
        )

        cause = ""
        first = state.attempt if state is not None else 1
        for attempt in range(first, self.max_attempts + 1):
            if self._left() <= 0:
                raise DeadlineExceeded(f"{what}: {self._passed()}")
            timeouts = self._timeouts()
            try:
                return call(timeouts)
            except HttpResponseError as exc:
                status = exc.status_code or 0
                if 300 <= status < 400:
                    raise self._redirected(exc.response) from None
                if status == 429:
                    self._count("throttled")
                    wait = quota_wait(exc.response)
                    if wait > MAX_WAIT:
                        raise TimeoutError(f"{what}: throttled for {wait:.0f} s") from None
                    if state is not None and attempt < self.max_attempts:
                        if wait >= self._left():
                            raise DeadlineExceeded(
                                f"{what}: {self._passed()} (a wait of {wait:.1f} s)"
                            ) from None
                        self._count("retries")
                        state.attempt = attempt + 1
                        raise _Throttled(what) from None
                elif status == 408 or status >= 500:
                    after = self._retry_after(exc.response)
                    wait = self._backoff(attempt) if after is None else after
                else:
                    raise
                cause = str(exc).splitlines()[0] if str(exc) else f"HTTP {status}"
            except (ServiceRequestError, ServiceResponseError) as exc:
                wait = self._backoff(attempt)
                # azure-core before 1.33 raises the base classes for timeouts too
                timed_out = (
                    isinstance(exc, ServiceRequestTimeoutError | ServiceResponseTimeoutError)
                    or "timed out" in str(exc).lower()
                )
                if timed_out:
                    stage = "connection" if isinstance(exc, ServiceRequestError) else "answer"
                    key = "connection_timeout" if stage == "connection" else "read_timeout"
                    cause = f"no {stage} within {timeouts[key]:g} s"
                else:
                    cause = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if attempt == self.max_attempts:
                break
            self._count("retries")
            log.debug("retrying %s in %.2f s (attempt %d): %s", what, wait, attempt + 1, cause)
            self._pause(wait, what)
        raise TimeoutError(f"{what}: still failing after {self.max_attempts} attempts: {cause}")

    @staticmethod
    def _redirected(response: Any) -> RuntimeError:
        headers = getattr(response, "headers", None) or {}
        status = getattr(response, "status_code", 0)
        return RuntimeError(
            f"answered {status}, a redirect to {_host(headers.get('Location'))}: "
            "redirects are not followed"
        )

    @staticmethod
    def _retry_after(response: Any) -> float | None:
        """The wait a response asks for, in seconds (``retry-after-ms`` and
        ``x-ms-retry-after-ms`` in milliseconds, else Retry-After in seconds or as an HTTP
        date), or None."""
        headers = getattr(response, "headers", None) or {}
        for name in ("retry-after-ms", "x-ms-retry-after-ms"):
            try:
                millis = float((headers.get(name) or "").strip())
            except ValueError:
                continue
            if 0 <= millis < math.inf:
                return millis / 1000
        value = (headers.get("Retry-After") or "").strip()
        if not value:
            return None
        if value.isascii() and value.isdigit():  # float() refuses superscript digits
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

    def _arm_wait(self, response: Any, lane: str) -> float:
        """A 429's wait; the subscription's other reads wait as long (its bucket is empty)."""
        after = self._retry_after(response)
        wait = after if after is not None else 1.0
        if wait <= MAX_WAIT:
            self._lanes.hold(lane, wait, throttled=True)
        return wait

    # -- Resource Graph -----------------------------------------------------------------
    def _graph_page(
        self,
        query: str,
        scope: dict[str, Any],
        token: str | None,
        top: int,
        timeouts: dict[str, float],
    ) -> Any:
        from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

        log.debug(
            "POST Resource Graph %s (%s)%s $top=%d",
            query.split(" ", 1)[0],
            ", ".join(f"{k}={len(v)}" for k, v in scope.items()) or "tenant",
            " next page" if token else "",
            top,
        )
        request = QueryRequest(
            query=query,
            options=QueryRequestOptions(top=top, skip_token=token, result_format="objectArray"),
            **scope,
        )
        return self.graph.resources(
            request,
            cls=lambda pipeline, body, _h: (body, pipeline.http_response.headers),
            **timeouts,
        )

    def graph_query(
        self, label: str, name: str, query: str, scope: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Every row of one query over one scope, page by page; raises when it cannot.

        A page refused as too large is asked again with half the ``$top`` (down to one row,
        then :class:`_TooLarge`); a stream of pages is cut off past ``ceil(totalRecords /
        $top)`` pages and a slack."""
        from azure.core.exceptions import HttpResponseError

        queries.check_pageable(query)
        rows: list[dict[str, Any]] = []
        token: str | None = None
        seen_tokens: set[str] = set()
        top, pages, total = self.page_size, 0, 0
        while True:
            try:
                body, headers = self._retrying(
                    f"{name} page {pages + 1}",
                    lambda t, k=token, n=top: self._bounded(  # type: ignore[misc]
                        lambda: self._graph_page(query, scope, k, n, t)
                    ),
                    self._graph_quota_wait,
                )
            except HttpResponseError as exc:
                if TOO_LARGE not in _error_codes(exc):
                    raise
                if top == 1:
                    raise _TooLarge(f"{name}: too large for Resource Graph at $top 1") from None
                top = max(1, top // 2)
                self._count("retries")
                log.info("%s: page too large for Resource Graph; again at $top %d", name, top)
                continue
            pages += 1
            self._count("graph_pages")
            if str(headers.get(SUBSCRIPTION_LIMIT, "")).lower() == "true":
                self._subscription_limit(label)
            if not isinstance(body.data, list):
                raise RuntimeError(f"{name}: Resource Graph returned 'data' that is not a list")
            for row in body.data:
                if not _is_row(row):
                    raise RuntimeError(f"{name}: Resource Graph returned a row without an id")
            rows.extend(body.data)
            self.progress.step(
                progress_stage.RESOURCE_GRAPH, self._queries_done, f"{name}: {len(rows):,} rows"
            )
            if isinstance(body.total_records, int):
                total = max(total, body.total_records)
            remaining = _header_count(headers.get("x-ms-user-quota-remaining"))
            if remaining is not None and remaining <= 0:
                resets = _reset_seconds(headers.get("x-ms-user-quota-resets-after"))
                self._pause(resets, f"{name}: Resource Graph quota")
            token = body.skip_token
            if not token:
                break
            if token in seen_tokens or not body.data:
                raise RuntimeError(f"{name}: Resource Graph paging does not advance")
            limit = math.ceil(total / top) + PAGE_SLACK
            if pages >= limit or len(rows) > total:
                raise RuntimeError(
                    f"{name}: Resource Graph kept paging ({pages} pages, {len(rows)} rows) "
                    f"past the {total} rows it reported: stopped"
                )
            seen_tokens.add(token)
        if not isinstance(body.total_records, int) or body.total_records != len(rows):
            raise RuntimeError(f"{name}: read {len(rows)} rows of {body.total_records} reported")
        return rows

    def _query(
        self, label: str, name: str, query: GraphQuery, scope: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """One declared query over one scope; when Resource Graph refuses it as too large
        even a row at a time, its parts (one type each) are read instead — never dropped.
        Every row must say its type: the estate cannot key one that does not."""
        try:
            rows = self.graph_query(label, name, query.text, scope)
        except _TooLarge:
            if not query.parts:
                raise
            log.info("%s: %s is too large as one query; reading it type by type", label, name)
            rows = [r for part in query.parts for r in self.graph_query(label, name, part, scope)]
        if not all(isinstance(r.get("type"), str) and r["type"].strip() for r in rows):
            raise RuntimeError(f"{name}: Resource Graph returned a row without a type")
        return rows

    def _subscription_limit(self, label: str) -> None:
        """Tenant and management-group scope stop at 10,000 subscriptions and say so in a
        header: a coverage gap, once per scope, never a silent truncation."""
        if label in self._limited:
            return
        self._limited.add(label)
        self._fail(
            label,
            "subscription limit",
            f"Resource Graph read only the first 10,000 subscriptions of this scope "
            f"({SUBSCRIPTION_LIMIT}: true); the others were not read: scan them in batches "
            "with --subscription",
        )

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
        text = self.redact(str(error)).splitlines()[0] if str(error) else type(error).__name__
        self.failures.append({"scope": scope, "what": what, "error": text[:300]})
        log.warning("%s %s failed: %s", scope, what, text[:300])

    # -- the whole collection -----------------------------------------------------------
    def collect(self, scope: Scope) -> dict[str, Any]:
        """The snapshot of ``scope``, within the deadline; what could not be read is in
        its ``failures``."""
        self.deadline = time.monotonic() + self.timeout
        log.addFilter(self.redact)
        try:
            return self._collect(scope)
        finally:
            log.removeFilter(self.redact)

    def _collect(self, scope: Scope) -> dict[str, Any]:
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows: list[dict[str, Any]] = []
        collections = {name for name, _ in _QUERIED}
        late: list[str] = []  # what the deadline left no time to start
        scopes = self._scopes(scope)
        stage, self._queries_done = progress_stage.RESOURCE_GRAPH, 0
        # per scope: its subscriptions' own rows (coverage), then each declared query
        self.progress.begin(stage, len(scopes) * (1 + len(_QUERIED)))
        failed = len(self.failures)
        for label, request_scope in scopes:
            if self._left() <= 0:
                late.append(f"every query of {label}")
                collections.clear()
                continue
            visible = self._coverage(label, request_scope)
            self._query_done()
            found: list[dict[str, Any]] = []
            for name, query in _QUERIED:
                if self._left() <= 0:
                    late.append(f"query {name} of {label}")
                    collections.discard(name)
                    continue
                try:
                    found.extend(self._query(label, name, query, request_scope))
                except Exception as exc:  # rows: recorded, exit 3; advisory: a note
                    collections.discard(name)
                    if name in ADVISORY:  # no rule reads it: the cross-reference says so
                        text = self.redact(str(exc)).splitlines()[0] if str(exc) else ""
                        self.notes.append(
                            f"{label}: query {name} failed ({text[:300] or type(exc).__name__})"
                            f": the cross-reference with it is not available"
                        )
                        log.warning("%s query %s failed: %s", label, name, text[:300])
                    else:
                        self._fail(label, f"query {name}", exc)
                self._query_done()
            self._judge_coverage(label, request_scope, visible, found)
            rows.extend(found)
        rows = list({arm.key(r["id"]): r for r in rows}.values())  # overlapping scopes
        failed = len(self.failures) - failed
        self.progress.end(
            stage,
            f"{self._queries_done:,} queries over {len(scopes):,} "
            f"scope{'' if len(scopes) == 1 else 's'}, "
            f"{len(rows):,} rows, {self.counters.graph_pages:,} pages"
            + (f", {failed:,} failed" if failed else ""),
        )
        rows.extend(self._arm_rows(rows, collections, late))
        if late:
            self._fail("collection", "--timeout", f"{self._passed()} before {'; '.join(late)}")
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

    def _query_done(self) -> None:
        self._queries_done += 1
        self.progress.step(progress_stage.RESOURCE_GRAPH, self._queries_done)

    def _coverage(self, label: str, request_scope: dict[str, Any]) -> set[str] | None:
        """Subscriptions whose own row Resource Graph shows in this scope (None when that
        could not be read, which is a failure)."""
        try:
            found = self.graph_query(label, "subscriptions", queries.SUBSCRIPTIONS, request_scope)
        except Exception as exc:
            self._fail(label, "subscription coverage", exc)
            return None
        return {str(r.get("subscriptionId", "")).lower() for r in found}

    def _judge_coverage(
        self,
        label: str,
        request_scope: dict[str, Any],
        visible: set[str] | None,
        found: list[dict[str, Any]],
    ) -> None:
        """A requested subscription Resource Graph shows nothing of is a failure (it omits
        unreadable ones silently); one whose resources it returns without the subscription's
        own row is a note — the identity reads resource groups there, not the subscription."""
        if visible is None:
            return
        with_rows = {(arm.segment(r["id"], "subscriptions") or "").lower() for r in found}
        requested = request_scope.get("subscriptions")
        if not requested:
            if not visible and not found:
                self._fail(label, "read access", "no readable subscription in this scope")
            else:
                self.notes.append(
                    f"{label}: Resource Graph reads {len(visible | with_rows)} subscription(s) "
                    "here; those the identity cannot read are left out silently and cannot be "
                    "listed"
                )
            return
        for sub in requested:
            if sub.lower() in visible:
                continue
            if sub.lower() in with_rows:
                self.notes.append(
                    f"subscription {sub}: Resource Graph returns its resources but not the "
                    "subscription's own row: the identity reads resource groups in it, not the "
                    "subscription, and resource groups it cannot read are left out silently"
                )
            else:
                self._fail(
                    f"subscription {sub}",
                    "read access",
                    "Resource Graph returned nothing for it: the identity cannot read "
                    "it, or it does not exist",
                )

    # -- ARM reads ----------------------------------------------------------------------
    def _arm_rows(
        self, rows: list[dict[str, Any]], collections: set[str], late: list[str]
    ) -> list[dict[str, Any]]:
        """The items of every collection declared as an ARM list, under each of its parents
        in ``rows``; each one read is added to ``collections`` (a skipped one is noted, and
        reads the deadline left no time for are added to ``late``)."""
        jobs: list[tuple[Declaration, ArmList, str]] = []
        for c, listed in _LISTED:
            parents = [
                r["id"] for r in rows if str(r.get("type", "")).lower() == listed.parent_type
            ]
            if self.skip_endpoint_reads and c.skipped_note:
                self.notes.append(c.skipped_note.format(n=len(parents)))
                continue
            jobs += [(c, listed, p) for p in parents]
            collections.add(c.name)
        out: list[dict[str, Any]] = []
        unread: Counter[str] = Counter()
        keys = [_lane(parent) for _c, _listed, parent in jobs]
        if jobs:
            self.progress.begin(progress_stage.ARM_READS, len(jobs))
        results = self._read_all(jobs, keys)
        failed = 0
        for (c, _listed, parent), result in zip(jobs, results, strict=True):
            if isinstance(result, _NotStarted):
                unread[c.name] += 1
            elif isinstance(result, Exception):
                self._fail(parent, f"ARM read of {c.name}", result)
                failed += 1
            else:
                out.extend(result)
        late += [f"{n} ARM read(s) of {name}" for name, n in sorted(unread.items())]
        if jobs:
            not_started = sum(unread.values())
            self.progress.end(
                progress_stage.ARM_READS,
                f"{len(jobs):,} lists, {len(out):,} items"
                + (f", {failed:,} failed" if failed else "")
                + (f", {not_started:,} not started" if not_started else ""),
            )
        return out

    def _read_all(
        self, jobs: list[tuple[Declaration, ArmList, str]], keys: list[str]
    ) -> list[list[dict[str, Any]] | Exception]:
        """Every job's result (its items or its exception), in the jobs' order whatever order
        they ran in: up to ``max_workers`` threads, reading subscription by subscription."""
        lanes = self._lanes = _Lanes(keys, self.per_subscription, self._left)
        results: list[list[dict[str, Any]] | Exception] = [RuntimeError("not read")] * len(jobs)
        ended: queue.SimpleQueue[int] = queue.SimpleQueue()
        started: dict[int, _ReadState] = {}  # reads begun, until they end

        def work() -> None:
            while (index := lanes.take()) is not None:
                again = None
                try:
                    state = started.setdefault(index, _ReadState())
                    results[index] = self._arm_list(*jobs[index], state)
                except _Throttled:
                    again = index
                except Exception as exc:  # _arm_list returns its failures; this is a bug
                    results[index] = exc
                finally:
                    lanes.done(keys[index], again)
                    if again is None:
                        started.pop(index, None)
                        ended.put(index)

        workers = [
            threading.Thread(target=work, name=f"arm-read-{i}", daemon=True)
            for i in range(min(self.max_workers, len(jobs)))
        ]
        for worker in workers:
            worker.start()
        # every request's timeouts end by the deadline, but a server may send an answer a byte
        # at a time (each read of the socket in time): past the deadline and a grace, the
        # reads still answering are failures, and their workers (daemons) are left behind
        give_up = self.deadline + STRAGGLER_GRACE
        finished: set[int] = set()
        while len(finished) < len(jobs):
            left = give_up - time.monotonic()
            try:
                index = ended.get(timeout=max(0.0, left) if left < math.inf else None)
            except queue.Empty:
                break
            finished.add(index)
            name, parent = jobs[index][0].name, jobs[index][2]
            self.progress.step(
                progress_stage.ARM_READS, len(finished), f"{name} of {arm.last_name(parent)}"
            )
        else:
            for worker in workers:
                worker.join()
            return results
        # a read its worker began is still answering; the others never started
        late, unstarted = DeadlineExceeded(self._straggling()), _NotStarted()
        began = set(started)
        return [
            r if i in finished else late if i in began else unstarted
            for i, r in enumerate(list(results))
        ]

    def _arm_list(
        self, c: Declaration, listed: ArmList, parent: str, state: _ReadState
    ) -> list[dict[str, Any]] | Exception:
        """Every item of one parent's ARM list, at the newest api-version the cloud takes
        (remembered, so one refusal costs one request per version, not one per parent).
        Raises :class:`_Throttled` when a 429 sends it back to its queue; ``state`` then
        holds where it resumes."""
        from azure.core.exceptions import HttpResponseError

        if self._left() <= 0:
            if state.version is None:
                return _NotStarted()
            return DeadlineExceeded(f"ARM read of {c.name}: {self._passed()}")
        (item_type,) = c.row_types or ("",)  # an ARM list holds one type
        versions = listed.api_versions
        first = state.version
        if first is None:
            first = self._api_version.get(c.name, 0)
        for i in range(first, len(versions)):
            path = listed.path_for(parent, versions[i])
            if state.version != i:  # a fresh start at this version
                state.version, state.url, state.attempt = i, None, 1
                state.items, state.seen = [], set()
            try:
                items = self._arm_pages(path, parent, item_type, versions[i], state)
            except _Throttled:
                raise
            except HttpResponseError as exc:
                if _error_codes(exc) & UNSUPPORTED_VERSION and i + 1 < len(versions):
                    log.info("%s: api-version %s refused; trying %s", c.name, *versions[i : i + 2])
                    continue
                return exc
            except Exception as exc:
                return exc
            with self._lock:
                self._api_version[c.name] = max(self._api_version.get(c.name, 0), i)
            return items
        return RuntimeError(f"no api-version of {c.name} is offered")  # no versions declared

    def _arm_pages(
        self, path: str, parent: str, item_type: str, api_version: str, state: _ReadState
    ) -> list[dict[str, Any]]:
        """The items of one ARM list, following nextLink on the ARM endpoint only; from the
        page ``state`` got to when a 429 sent the read back to its queue."""
        from azure.core.rest import HttpRequest

        if state.url is None:
            state.url = f"{self.endpoint}{path}"
            state.seen = {state.url}
        lane = _lane(parent)
        home = origin(self.endpoint)
        while url := state.url:
            # the token goes only to the ARM endpoint the user chose
            if origin(url) != home:
                raise RuntimeError(f"nextLink leaves {home[1]}: {_host(url)}")
            if len(state.seen) > 1 and (wait := self._lanes.wait_for(lane)) > 0:
                # a next page waits as a read not yet started would (the first page's wait
                # was the queue's)
                self._pause(wait, "ARM read quota")
            response = self._retrying(
                f"GET {arm.last_name(path.split('?')[0])}",
                lambda t, u=url: self._arm_get(HttpRequest("GET", u), t, lane),  # type: ignore[misc]
                lambda r: self._arm_wait(r, lane),
                state,
            )
            state.attempt = 1
            body = response.json()
            # a body without 'value' is no empty list: reading it as one would pass a
            # parent whose children were never seen
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise RuntimeError("ARM returned a body without a 'value' list")
            state.items += [_item(v, parent, item_type, api_version) for v in body["value"]]
            following = body.get("nextLink") or None
            if following is not None:
                if following in state.seen or len(state.seen) >= MAX_PAGES:
                    raise RuntimeError("nextLink paging does not advance")
                state.seen.add(following)
            state.url = following
        return state.items

    def _arm_get(self, request: Any, timeouts: dict[str, float], lane: str) -> Any:
        """One GET; when its subscription's read bucket runs low, that subscription's next
        reads wait (this answer is good, and other subscriptions read on)."""
        log.debug("GET %s", request.url.split("?", 1)[0].replace(self.endpoint, ""))
        response = self.arm.send_request(request, **timeouts)
        self._count("arm_reads")
        remaining = _header_count(
            response.headers.get("x-ms-ratelimit-remaining-subscription-reads")
        )
        if remaining is not None and remaining < LOW_READS:
            # let the bucket refill before it runs dry
            self._lanes.hold(lane, (LOW_READS - remaining) / READ_REFILL)
        if 300 <= response.status_code < 400:
            raise self._redirected(response)
        response.raise_for_status()
        if response.status_code != 200:
            raise RuntimeError(f"ARM answered {response.status_code} to a list read, not 200")
        return response


def _lane(parent: str) -> str:
    """The subscription whose read bucket a read under ``parent`` draws on."""
    return (arm.segment(parent, "subscriptions") or "").lower()


def _transport(pool: int) -> Any:
    """azure-core's requests transport over a session pooling ``pool`` connections a host,
    retrying nothing and following no redirect (the collector's one retry layer decides)."""
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    adapter = HTTPAdapter(
        pool_maxsize=max(10, pool),
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),
    )
    for scheme in ("https://", "http://"):
        session.mount(scheme, adapter)
    return RequestsTransport(session=session, session_owner=False)


def _item(value: Any, parent: str, item_type: str, api_version: str) -> dict[str, Any]:
    """One item of an ARM list, checked to be what the list holds: an id under ``parent``
    of ``item_type``, and a type that is that or none (the REST spec's zone-group list
    items carry none: the type then comes from the list and the id). It keeps the
    api-version it was read at."""
    if not _is_row(value):
        raise RuntimeError("ARM returned an item without an id")
    rid = value["id"]
    if arm.key(arm.parent(rid)) != arm.key(parent) or arm.arm_type(rid) != item_type:
        raise RuntimeError(f"ARM returned an item that is not a {item_type} of the parent: {rid}")
    rtype = value.get("type")
    if rtype is None:
        value = {**value, "type": item_type}
    elif not isinstance(rtype, str) or rtype.lower() != item_type:
        raise RuntimeError(f"ARM returned an item of type {rtype!r} in a list of {item_type}")
    return value if "apiVersion" in value else {**value, "apiVersion": api_version}
