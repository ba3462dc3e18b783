"""Command line: ``mlops-audit scan`` and ``mlops-audit rules``. Wiring only.

Exit codes: 0 no finding at or above ``--fail-on``; 1 findings at or above it; 2 usage or
input error (one line on stderr naming the file and the problem).
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


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
        required=True,
        metavar="FILE",
        help="rows to audit: 'az graph query -o json' output, a JSON array of "
        "rows, or a mlops-audit snapshot; repeat to merge files",
    )
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

    rules = sub.add_parser("rules", help="list or explain rules")
    rsub = rules.add_subparsers(dest="rules_command", required=True, parser_class=_Parser)
    lst = rsub.add_parser("list", help="list every rule")
    lst.add_argument("--rules", action="append", metavar="DIR", default=[])
    show = rsub.add_parser("show", help="rationale, remediation and references of one rule")
    show.add_argument("rule_id")
    show.add_argument("--rules", action="append", metavar="DIR", default=[])
    return parser


def _fail(message: str) -> int:
    print(f"mlops-audit: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .rules import RuleFileError, load_rules
    from .snapshot import InputError

    try:
        rules = load_rules(args.rules)
        if args.command == "rules":
            return _rules_command(args, rules)
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
    estate = snapshot.load(args.snapshot)
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
    return EXIT_FINDINGS if run.failed else EXIT_OK


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
