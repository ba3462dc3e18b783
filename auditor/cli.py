"""Command line: ``mlops-audit scan`` and ``mlops-audit rules``. Wiring only.

Exit codes: 0 no finding at or above ``--fail-on``; 1 findings at or above it; 2 usage or
input error (one line on stderr naming the file and the problem); 3 the scan is incomplete
(part of the scope could not be read) and ``--allow-partial`` was not given.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlops-audit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mlops-audit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = sub.add_parser(
        "scan",
        help="audit an estate",
        description=("Audit an Azure ML estate read from Resource Graph row files."),
    )
    scan.add_argument(
        "--snapshot",
        action="append",
        metavar="FILE",
        help="rows to audit: 'az graph query -o json' output, a JSON array of "
        "rows, or a mlops-audit snapshot; repeat to merge files",
    )
    _live_options(scan)
    scan.add_argument(
        "--format",
        choices=("table", "json"),
        help="report format (default: table on a terminal, json otherwise)",
    )
    scan.add_argument("--output", metavar="FILE", help="write the report to FILE")
    scan.add_argument(
        "--fail-on",
        default="high",
        choices=("critical", "high", "medium", "low", "none"),
        help="exit 1 when a finding is at or above this severity (default: high)",
    )
    scan.add_argument(
        "--rules",
        action="append",
        metavar="DIR",
        default=[],
        help="extra rule directory (repeatable)",
    )
    scan.add_argument(
        "--select",
        action="append",
        metavar="RULES",
        help="only these rule ids, id prefixes or categories (comma-separated)",
    )
    scan.add_argument(
        "--skip",
        action="append",
        metavar="RULES",
        help="leave out these rule ids, id prefixes or categories",
    )
    scan.add_argument(
        "--quiet",
        action="store_true",
        help="print nothing; only the exit code (and --output) tell the result",
    )

    collect = sub.add_parser(
        "collect",
        help="read an estate from Azure into a snapshot file",
        description="Read the estate from Azure Resource Graph and ARM (read only) into a "
        "mlops-audit snapshot that 'scan --snapshot' audits offline.",
    )
    collect.add_argument("--output", required=True, metavar="FILE", help="snapshot to write")
    _live_options(collect)

    rules = sub.add_parser("rules", help="list or explain rules")
    rsub = rules.add_subparsers(dest="rules_command", required=True, parser_class=_Parser)
    lst = rsub.add_parser("list", help="list every rule")
    lst.add_argument("--rules", action="append", metavar="DIR", default=[])
    show = rsub.add_parser("show", help="rationale, remediation and references of one rule")
    show.add_argument("rule_id")
    show.add_argument("--rules", action="append", metavar="DIR", default=[])
    return parser


def _live_options(p: argparse.ArgumentParser) -> None:
    from .collect import AUTH_MODES, CLOUDS  # no Azure SDK import: that waits for collect()

    live = p.add_argument_group("live collection (Azure Resource Graph and ARM, read only)")
    live.add_argument(
        "--subscription",
        action="append",
        default=[],
        metavar="ID",
        help="subscription to read (repeatable)",
    )
    live.add_argument(
        "--management-group",
        action="append",
        default=[],
        metavar="ID",
        help="management group to read (repeatable)",
    )
    live.add_argument(
        "--all-subscriptions", action="store_true", help="every subscription the identity can read"
    )
    live.add_argument("--tenant", metavar="ID", help="tenant to authenticate in")
    live.add_argument(
        "--auth",
        default="default",
        choices=AUTH_MODES,
        help="credential (default: azure-identity's DefaultAzureCredential chain)",
    )
    live.add_argument(
        "--cloud",
        choices=tuple(CLOUDS),
        help="Azure cloud: ARM endpoint, authority, token scope and the private DNS zone "
        "names the rules expect (default: the snapshot's, else public)",
    )
    live.add_argument(
        "--arm-endpoint",
        metavar="URL",
        help="override the ARM endpoint (Azure Stack, proxies, tests); TLS only",
    )
    live.add_argument(
        "--skip-endpoint-reads",
        action="store_true",
        help="skip the per-endpoint DNS zone group reads (one ARM read each); "
        "DNS checks then use A-record evidence",
    )
    live.add_argument(
        "--allow-partial",
        action="store_true",
        help="exit 0/1 even when part of the scope could not be read",
    )
    live.add_argument(
        "--verbose", action="store_true", help="log requests and retries (never tokens or headers)"
    )


def _live_scope(args: argparse.Namespace) -> Any:
    from .collect import Scope

    return Scope(
        subscriptions=[s.strip() for s in args.subscription if s.strip()],
        management_groups=[m.strip() for m in args.management_group if m.strip()],
        all_subscriptions=args.all_subscriptions,
    )


def _collect(args: argparse.Namespace) -> tuple[dict[str, Any] | None, str, int]:
    """Run the live collection for scan/collect: (snapshot document, its JSON text, exit
    code). The live scan checks the same text that collect writes, so both agree."""
    import logging

    from rich.console import Console

    from .collect import CLOUDS, Collector, make_credential

    scope = _live_scope(args)
    if not (scope.subscriptions or scope.management_groups or scope.all_subscriptions):
        return None, "", _fail("give --subscription, --management-group or --all-subscriptions")
    cloud = args.cloud or "public"
    endpoint = args.arm_endpoint or CLOUDS[cloud][0]
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname or " " in endpoint:
        return None, "", _fail(f"--arm-endpoint {endpoint}: must be an https://host[:port] URL")
    level = logging.DEBUG if args.verbose else logging.INFO
    if getattr(args, "quiet", False):
        level = logging.ERROR
    logging.basicConfig(level=logging.WARNING, format="mlops-audit: %(message)s")
    logging.getLogger("mlops_audit").setLevel(level)
    # requests honours REQUESTS_CA_BUNDLE itself; SSL_CERT_FILE is the OpenSSL name for it
    if os.environ.get("SSL_CERT_FILE") and not os.environ.get("REQUESTS_CA_BUNDLE"):
        os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"]
    status = None
    if sys.stderr.isatty() and level <= logging.INFO:
        status = Console(stderr=True).status("collecting")
        status.start()

    def progress(message: str) -> None:
        if status is not None:
            status.update(message)
        else:
            logging.getLogger("mlops_audit.progress").info(message)

    try:
        try:
            credential = make_credential(args.auth, args.tenant, cloud)
        except (TypeError, ValueError) as exc:  # azure-identity: missing configuration
            return None, "", _fail(f"--auth {args.auth}: {str(exc).splitlines()[0]}")
        collector = Collector(
            credential,
            arm_endpoint=endpoint,
            cloud=cloud,
            skip_endpoint_reads=args.skip_endpoint_reads,
            progress=progress,
        )
        doc = collector.collect(scope)
    finally:
        if status is not None:
            status.stop()
    try:
        text = snapshot_text(doc)
    except ValueError as exc:
        return None, "", _fail(f"the collected data cannot be written as JSON: {exc}")
    return doc, text, EXIT_OK


def snapshot_text(doc: dict[str, Any]) -> str:
    """A snapshot as JSON that any reader takes: ASCII (lone surrogates survive), and
    NaN/Infinity refused (ValueError) as the snapshot reader refuses them."""
    import json

    return json.dumps(doc, indent=1, ensure_ascii=True, allow_nan=False) + "\n"


def _fail(message: str) -> int:
    print(f"mlops-audit: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .rules import RuleFileError, load_rules
    from .snapshot import InputError

    try:
        rules = load_rules(getattr(args, "rules", []))
        if args.command == "rules":
            return _rules_command(args, rules)
        if args.command == "collect":
            return _collect_command(args)
        return _scan(args, rules)
    except (InputError, RuleFileError) as exc:
        return _fail(str(exc))


def _scan(args: argparse.Namespace, all_rules: list) -> int:  # type: ignore[type-arg]
    from rich.console import Console

    from . import graph as graph_stage
    from . import report, rules, snapshot

    # A scan is one short process that builds a large, acyclic heap (rows, graph); the
    # cyclic collector would re-walk it again and again for nothing, doubling load time.
    gc.disable()
    select, skip = _split(args.select), _split(args.skip)
    for opt, tokens in (("--select", select), ("--skip", skip)):
        typo = rules.check_selectors(all_rules, tokens)
        if typo is not None:
            return _fail(f"{opt} {typo}: matches no rule id, id prefix or category")
    chosen = rules.select_rules(all_rules, select, skip)
    live = bool(args.subscription or args.management_group or args.all_subscriptions)
    if live == bool(args.snapshot):
        return _fail(
            "scan needs either --snapshot FILE or a live scope (--subscription, "
            "--management-group, --all-subscriptions), not both"
        )
    if live:
        doc, _text, code = _collect(args)
        if doc is None:
            return code
        estate = snapshot.Estate()
        snapshot.add_document(
            "live:" + ",".join(sorted(next(iter(s.values())) for s in doc["scopes"])), doc, estate
        )
    else:
        estate = snapshot.load(args.snapshot)
    if args.cloud:
        estate.cloud = args.cloud
    graph = graph_stage.build(estate)
    result = rules.evaluate(chosen, graph)
    run = report.Run(graph, result, args.fail_on, [r.id for r in chosen])

    fmt = args.format or ("table" if sys.stdout.isatty() and not args.output else "json")
    if args.output:
        out = Path(args.output)
        try:
            if fmt == "json":
                out.write_text(report.render_json(run), encoding="utf-8")
            else:
                with out.open("w", encoding="utf-8") as fh:
                    report.render_terminal(run, Console(file=fh, width=140, no_color=True))
        except OSError as exc:
            return _fail(f"{args.output}: cannot write the report: {exc.strerror or exc}")
        if not args.quiet and sys.stdout.isatty() and fmt == "json":
            report.render_terminal(run, Console())
    elif not args.quiet:
        if fmt == "json":
            sys.stdout.write(report.render_json(run))
        else:
            report.render_terminal(run, Console())
    if run.failed:
        return EXIT_FINDINGS
    if estate.gaps and not args.allow_partial:
        return EXIT_INCOMPLETE
    return EXIT_OK


def _collect_command(args: argparse.Namespace) -> int:
    doc, text, code = _collect(args)
    if doc is None:
        return code
    out = Path(args.output)
    tmp = out.with_name(f".{out.name}.partial")
    try:  # a new snapshot replaces the old one whole, or not at all
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        return _fail(f"{args.output}: cannot write the snapshot: {exc.strerror or exc}")
    requests = doc["requests"]
    print(
        f"mlops-audit: wrote {len(doc['rows'])} rows to {args.output} "
        f"({requests['resource_graph_pages']} Resource Graph pages, "
        f"{requests['arm_reads']} ARM reads, {len(doc['failures'])} failures)",
        file=sys.stderr,
    )
    return EXIT_INCOMPLETE if doc["failures"] and not args.allow_partial else EXIT_OK


def _rules_command(args: argparse.Namespace, rules: list) -> int:  # type: ignore[type-arg]
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.table import Table

    console = Console()
    if args.rules_command == "list":
        table = Table(box=None, expand=True)
        for name in ("id", "severity", "category"):
            table.add_column(name, no_wrap=True)
        table.add_column("title", ratio=1)
        for r in rules:
            table.add_row(r.id, r.spec.severity, r.spec.category, r.spec.title)
        console.print(table)
        return EXIT_OK
    wanted = args.rule_id.upper()
    rule = next((r for r in rules if r.id.upper() == wanted), None)
    if rule is None:
        return _fail(f"rules show {args.rule_id}: no such rule (see 'mlops-audit rules list')")
    console.print(Markdown(rule_markdown(rule)))
    return EXIT_OK


def rule_markdown(rule) -> str:  # type: ignore[no-untyped-def]
    """One rule as Markdown: the same text for ``rules show`` and the docs."""
    s = rule.spec
    lines = [
        f"# {s.id}: {s.title}",
        "",
        f"**Severity** {s.severity} · **Category** {s.category} · **Applies to** "
        + ", ".join(f"`{t}`" for t in s.resource_types),
        "",
        "## Why it matters",
        "",
        s.rationale.strip(),
        "",
        "## How to fix",
        "",
        s.remediation.summary.strip(),
        "",
        "Terraform (azurerm):",
        "",
        "```hcl",
        s.remediation.terraform.strip(),
        "```",
        "",
        "Azure CLI:",
        "",
        "```sh",
        s.remediation.cli.strip(),
        "```",
        "",
        "## References",
        "",
    ]
    lines += [f"- {ref.title}: <{ref.url}>" for ref in s.references]
    lines += [f"- Azure Policy built-in: {p.name} (`{p.id}`)" for p in s.policy]
    if s.peers:
        lines += ["", "## Equivalent checks in other tools", ""]
        lines += [f"- {tool}: {ids}" for tool, ids in sorted(s.peers.items())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
