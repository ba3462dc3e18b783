"""``mlops-audit upload``: send an NDJSON report's lines to Log Analytics through a data
collection rule (the Logs Ingestion API), so a pipeline's scans land in one custom table.

The rows are the file's lines as they are — the run line, the findings and the checks that
could not be evaluated (docs/log-analytics.md) — checked against the table schema
(:data:`auditor.report.ndjson.COLUMNS`: names and types) before anything is sent, so a
file that is not an mlops-audit NDJSON report is refused (exit 2) instead of landing as
empty columns. The sending is azure-monitor-ingestion's ``LogsIngestionClient`` (the
``monitor`` extra), which splits the rows into gzip'd calls of at most 1 MiB; a call that
fails after the SDK's retries is counted, and the command says how many rows were not sent
and exits :data:`EXIT_UPLOAD` — never 1, which a pipeline reads as "findings".

Nothing here imports the Azure SDK until an upload runs, so building the CLI's parser stays
light (tests/test_startup.py).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .report import safe

EXIT_OK, EXIT_USAGE = 0, 2
EXIT_UPLOAD = 5  # some or all rows were not sent: the stderr line says how many and why
DEFAULT_STREAM = "Custom-MlopsAudit"  # the stream declaration docs/log-analytics.md gives
INSTALL_HINT = "pip install 'mlops-audit[monitor]'"
# A DCR's immutable id (properties.immutableId): "dcr-" and 32 hex digits. It goes into the
# request's path, so nothing else is accepted — a DCR's ARM id given by mistake is refused.
_RULE_ID = re.compile(r"dcr-[0-9a-f]{32}", re.IGNORECASE)
# A custom stream declaration's name: "Custom-" and a name (letters, digits, underscores)
_STREAM = re.compile(r"Custom-[A-Za-z0-9_]{1,200}")
_MESSAGE_LIMIT = 300  # characters of a server's error message kept in the one-line summary
# seconds: a Retry-After longer than this fails the call instead of pausing (as the
# collector's MAX_WAIT) — azure-core would sleep whatever a server asks, a day or forever
MAX_WAIT = 300.0


class UploadInputError(Exception):
    """A problem with the command's input (file, endpoint, rule id, stream): exit 2."""


@dataclass
class Outcome:
    """What an upload did: rows handed to the client, and each failed call's rows and error."""

    rows: int
    failures: list[tuple[int, BaseException]] = field(default_factory=list)
    # takes the tokens the credential handed out (and anything token-shaped) out of text
    redact: Callable[[str], str] = str

    @property
    def unsent(self) -> int:
        return sum(n for n, _ in self.failures)


def add_command(sub: Any) -> None:
    """The ``upload`` subcommand's arguments (imports nothing from the Azure SDK)."""
    from .credentials import add_sign_in_options

    p = sub.add_parser(
        "upload",
        help="send an NDJSON report to Log Analytics through a data collection rule",
        description="Send the lines of an NDJSON report (scan/merge --output ndjson:FILE) to "
        "a Log Analytics table through a data collection rule's Logs Ingestion API "
        "(docs/log-analytics.md). Needs the monitor extra: pip install 'mlops-audit[monitor]'. "
        f"Exit 0 when every row was accepted, 2 on bad input, {EXIT_UPLOAD} when some or "
        "all rows were not sent.",
    )
    p.add_argument("report", metavar="REPORT.ndjson", help="the NDJSON report to send")
    p.add_argument(
        "--endpoint",
        required=True,
        metavar="URL",
        help="the logs ingestion endpoint: a data collection endpoint's or the rule's own "
        "(https://NAME.REGION.ingest.monitor.azure.com); https only",
    )
    p.add_argument(
        "--rule-id",
        required=True,
        metavar="ID",
        help="the data collection rule's immutable id (dcr-…, its properties.immutableId)",
    )
    p.add_argument(
        "--stream",
        default=DEFAULT_STREAM,
        metavar="NAME",
        help=f"the rule's stream declaration (default: {DEFAULT_STREAM})",
    )
    add_sign_in_options(
        p,
        "Azure cloud: sign-in authority and the Azure Monitor token audience (default: public)",
        cloud_default="public",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing when every row was sent")
    p.add_argument(
        "--verbose",
        action="store_true",
        help="one line for each failed call (not only the first); the trace of an internal "
        "error (exit 4)",
    )


def endpoint_url(value: str) -> str:
    """The ingestion endpoint as the client takes it: an https origin, nothing more (a
    bearer token is sent to it, so plain http, credentials, a query or a path are refused)."""
    text = value.strip()
    if any(c.isspace() or not c.isprintable() for c in text):
        raise UploadInputError("--endpoint: not a URL (it holds spaces or control characters)")
    shown = _shown(text)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise UploadInputError(f"--endpoint {shown!r}: not a URL ({exc})") from None
    if parts.scheme.lower() != "https":
        raise UploadInputError(
            f"--endpoint {shown!r}: must be an https:// URL (a bearer token is sent to it)"
        )
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise UploadInputError(f"--endpoint {shown!r}: needs a host name and no user or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UploadInputError(
            f"--endpoint {shown!r}: the endpoint's origin only (https://HOST[:PORT]), "
            "without a path or query"
        )
    return f"https://{parts.netloc}"


def _shown(text: str) -> str:
    """An endpoint as a refusal may echo it: without a user, password, query or fragment
    (a secret pasted with the URL must not reach a CI log)."""
    text = re.sub(r"^([^/?#]*//)[^/?#]*@", r"\1…@", text, count=1)
    return re.sub(r"[?#].*", "?…", text, count=1, flags=re.S)


def check_names(rule_id: str, stream: str) -> None:
    """The rule id and stream go into the request's path: only their documented shapes."""
    if not _RULE_ID.fullmatch(rule_id):
        raise UploadInputError(
            f"--rule-id {rule_id!r}: not a data collection rule's immutable id "
            "(dcr- and 32 hex digits: the rule's properties.immutableId, not its ARM id)"
        )
    if not _STREAM.fullmatch(stream):
        raise UploadInputError(
            f"--stream {stream!r}: not a custom stream name (Custom- and letters, digits or "
            "underscores, as the rule's streamDeclarations name it)"
        )


def read_rows(path: str) -> list[dict[str, Any]]:
    """The report's records, one a line, each with exactly the table's columns — a file that
    is not an mlops-audit NDJSON report (a JSON report, a truncated line) is refused whole,
    naming the line, so nothing of it is sent."""
    from .files import EmptyFileError, InputError, loads_json, read_text
    from .report.ndjson import COLUMNS, RECORD_TYPES

    hint = "write one with scan or merge --output ndjson:FILE"
    try:  # a regular UTF-8 file (a BOM an editor added is no data), as every input is
        text = read_text(Path(path), "mlops-audit NDJSON report (scan --output ndjson:FILE)")
    except EmptyFileError:
        raise UploadInputError(f"{path}: no records to send (an empty file); {hint}") from None
    except InputError as exc:
        raise UploadInputError(str(exc)) from None
    columns = set(COLUMNS)
    rows: list[dict[str, Any]] = []
    # split at "\n" only: the report's lines hold no raw line break inside a string
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = loads_json(line, unique_keys=True)
        except ValueError as exc:
            raise UploadInputError(
                f"{path}: line {number}: not a JSON object ({exc}); {hint}"
            ) from None
        except RecursionError:  # hostile nesting is bad input, not a bug
            raise UploadInputError(
                f"{path}: line {number}: not a JSON object (nested too deeply); {hint}"
            ) from None
        if not isinstance(record, dict):
            raise UploadInputError(f"{path}: line {number}: not a JSON object; {hint}")
        if _deeper(record, _MOST_DEPTH):
            raise UploadInputError(
                f"{path}: line {number}: nested too deeply (over {_MOST_DEPTH} levels; the "
                f"client's encoder would run out of stack); {hint}"
            )
        missing = sorted(columns - record.keys())
        extra = sorted(record.keys() - columns)
        if missing or extra:
            what = "; ".join(
                part
                for part in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unknown {', '.join(extra)}" if extra else "",
                )
                if part
            )
            raise UploadInputError(
                f"{path}: line {number}: not an mlops-audit NDJSON record ({what}); the "
                f"table's columns are docs/log-analytics.md's; {hint}"
            )
        if record["RecordType"] not in RECORD_TYPES:
            raise UploadInputError(
                f"{path}: line {number}: RecordType {record['RecordType']!r} is not one of "
                f"{', '.join(RECORD_TYPES)}"
            )
        wrong = _wrong_type(record, COLUMNS)
        if wrong:
            raise UploadInputError(f"{path}: line {number}: {wrong}; {hint}")
        rows.append(record)
    if not rows:
        raise UploadInputError(f"{path}: no records to send (an empty file); {hint}")
    return rows


_MOST_DEPTH = 64  # levels of nesting a line may have (a report's lines have a few)


def _deeper(value: Any, limit: int) -> bool:
    """True when a list or object in ``value`` is nested more than ``limit`` deep."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return True
        stack.extend((v, depth + 1) for v in item)
    return False


_INT_RANGE = range(-(2**31), 2**31)  # a Log Analytics int column is 32 bits


def _wrong_type(record: dict[str, Any], columns: dict[str, str]) -> str | None:
    """What in ``record`` its column cannot hold (the service would store it empty without
    a word), or None. ``dynamic`` takes any JSON."""
    from datetime import datetime

    from .files import describe

    for name, kind in columns.items():
        value = record[name]
        what = describe(value)  # in the words every input's messages use
        if kind == "string" and not isinstance(value, str):
            return f"{name} is {what}; the table's column is a string"
        if kind == "int" and value is not None:
            if type(value) is float:
                return f"{name} is a number with a fraction or exponent; the column is an int"
            if type(value) is not int:
                return f"{name} is {what}; the table's column is an int"
            if value not in _INT_RANGE:
                return f"{name} is out of the int column's range"
        if kind == "datetime":
            try:
                datetime.fromisoformat(value)
            except (TypeError, ValueError):
                return f"{name} is not an ISO 8601 date and time"
    return None


def send(
    rows: list[dict[str, Any]],
    endpoint: str,
    rule_id: str,
    stream: str,
    credential: Any,
    cloud: str,
    verbose: bool = False,
) -> Outcome:
    """Upload ``rows`` with the SDK's client; every failed call is counted, not raised, so
    the calls after it are still made (the client's ``on_error``). The SDK's own log lines
    (azure-identity's failed sign-in: az's or a token endpoint's text) are kept off stderr
    — the summary says it once — or, with ``verbose``, printed made safe and redacted."""
    from azure.monitor.ingestion import LogsIngestionClient

    from .clouds import CLOUDS
    from .collect import Redactor, Watched

    outcome = Outcome(rows=len(rows))
    redact = Redactor()  # notes every token the credential hands out: see describe()
    outcome.redact = redact

    def failed(error: Any) -> None:  # a LogsUploadError: the call's rows and its exception
        outcome.failures.append((len(error.failed_logs), error.error))

    client = LogsIngestionClient(
        endpoint,
        Watched(credential, redact),
        retry_policy=_retry_policy(),
        credential_scopes=[CLOUDS[cloud].monitor_scope],
        connection_timeout=30,
        read_timeout=120,
        permit_redirects=False,  # the API never redirects: a redirect takes no rows or token
    )
    sdk_log = logging.getLogger("azure")
    handler = _SdkLog(redact)
    handler.setLevel(logging.WARNING if verbose else logging.CRITICAL + 1)
    propagate, sdk_log.propagate = sdk_log.propagate, False  # nor Python's raw last resort
    sdk_log.addHandler(handler)
    try:
        with client:
            client.upload(rule_id=rule_id, stream_name=stream, logs=rows, on_error=failed)
    finally:
        sdk_log.removeHandler(handler)
        sdk_log.propagate = propagate
    return outcome


class _SdkLog(logging.StreamHandler):  # type: ignore[type-arg]
    """A record of the Azure SDK's as one ``mlops-audit:`` line: tokens out, control
    characters and CI workflow commands made harmless (its text is a server's or az's)."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__(sys.stderr)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return safe.log(f"mlops-audit: {' '.join(self._redact(record.getMessage()).split())}")


def _retry_policy() -> Any:
    """azure-core's retry policy (the client's default settings), with a server's wait
    bounded: a Retry-After over :data:`MAX_WAIT` is not retried (the call fails with the
    429, counted), one that is neither a number nor a date backs off as if absent."""
    from azure.core.pipeline.policies import RetryPolicy

    class BoundedRetry(RetryPolicy):
        def get_retry_after(self, response: Any) -> float | None:
            try:
                return super().get_retry_after(response)
            except (ValueError, OverflowError):  # "soon", a date out of range
                return None

        def is_retry(self, settings: Any, response: Any) -> bool:
            after = self.get_retry_after(response)
            if after is not None and not after <= MAX_WAIT:  # inf too
                return False
            return bool(super().is_retry(settings, response))

    return BoundedRetry()


def describe(error: BaseException, clean: Callable[[str], str] = str) -> str:
    """A failed call in a few words: the HTTP status and the service's error code and
    message when there was an answer, else what kept the request from being answered. The
    server's text is data: ``clean`` takes tokens out of it (a hostile server may echo the
    one it was sent) before it is cut short; the caller makes it safe for a terminal."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
    )

    if isinstance(error, HttpResponseError) and error.status_code is not None:
        detail = getattr(error, "error", None)
        code = getattr(detail, "code", None) or ""
        message = getattr(detail, "message", None) or error.reason or ""
        text = " ".join(f"{code}: {message}".strip(": ").split())
        return f"HTTP {error.status_code}" + (f" {_cut(clean(text))}" if text else "")
    if isinstance(error, ClientAuthenticationError):
        lines = str(error.message or error).strip().splitlines()
        return f"sign-in failed: {_cut(clean(lines[0] if lines else type(error).__name__))}"
    if isinstance(error, ServiceRequestError):
        return f"no answer from the endpoint: {_cut(clean(' '.join(str(error).split())))}"
    message = clean(" ".join(str(error).split()))
    return f"{type(error).__name__}: {_cut(message)}" if message else type(error).__name__


def _cut(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def command(args: argparse.Namespace) -> int:
    """``upload``: check the input, send, and say what happened in one stderr line."""
    try:
        endpoint = endpoint_url(args.endpoint)
        check_names(args.rule_id, args.stream)
        rows = read_rows(args.report)
    except UploadInputError as exc:
        return _say(str(exc), EXIT_USAGE)
    try:
        import azure.monitor.ingestion  # noqa: F401 - the optional extra
    except ImportError:
        return _say(f"upload needs azure-monitor-ingestion: {INSTALL_HINT}", EXIT_USAGE)
    from .credentials import CredentialSetupError, make_credential, use_ssl_cert_file

    use_ssl_cert_file()
    try:
        credential = make_credential(args.auth, args.tenant, args.cloud)
    except CredentialSetupError as exc:
        return _say(str(exc), EXIT_USAGE)
    outcome = send(
        rows, endpoint, args.rule_id, args.stream, credential, args.cloud, verbose=args.verbose
    )
    target = f"{endpoint} (rule {args.rule_id}, stream {args.stream})"
    if outcome.failures:
        calls = len(outcome.failures)
        if args.verbose:  # every failed call, not only the first
            for n, (count, error) in enumerate(outcome.failures, start=1):
                why = describe(error, outcome.redact)
                _say(f"failed call {n} of {calls}: {count} row(s): {why}", EXIT_OK)
        return _say(
            f"upload failed: {outcome.unsent} of {outcome.rows} row(s) not sent to {target}: "
            f"{describe(outcome.failures[0][1], outcome.redact)}"
            + (f" ({calls} calls failed; the first said this)" if calls > 1 else "")
            + f" (exit {EXIT_UPLOAD})",
            EXIT_UPLOAD,
        )
    if not args.quiet:
        _say(f"uploaded {outcome.rows} row(s) from {args.report} to {target}", EXIT_OK)
    return EXIT_OK


def _say(message: str, code: int) -> int:
    print(safe.log(f"mlops-audit: {message}"), file=sys.stderr)
    return code
