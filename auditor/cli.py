"""Command line: ``mlops-audit scan``, ``reach`` and ``rules``. Wiring only.

Exit codes: 0 no finding at or above ``--fail-on``; 1 findings at or above it; 2 usage or
input error (one line on stderr naming the file and the problem); 3 the scan is incomplete
(part of the scope could not be read) and ``--allow-partial`` was not given; 4 an internal
error (a bug: one line, the trace with ``--verbose``), never 1; 5 ``upload`` could not send
every row (auditor/upload.py). Everything printed passes
through ``report.safe`` (controls shown, CI workflow commands defused).
"""

from __future__ import annotations

import argparse
import errno
import gc
import io
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import __version__, config, samples, upload
from .report import REGISTRY, find_format, format_names, safe

if TYPE_CHECKING:
    from .progress import Progress

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports a process SIGINT ended
SEVERITY_CHOICES = ("critical", "high", "medium", "low", "none")
FORMAT_LIST = ", ".join(format_names())  # the report registry's, in its order


class _Parser(config.Parser):
    """One usage line on error, exit 2; no abbreviated options, so a renamed option in a
    pipeline fails loudly instead of matching another by its prefix. A config.Parser: it
    records its options, which .mlops-audit.yaml and MLOPS_AUDIT_* may then set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(EXIT_USAGE, safe.log(f"{self.prog}: error: {message} (see --help)") + "\n")


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlops-audit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mlops-audit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = sub.add_parser(
        "scan",
        help="audit an estate",
        description="Audit an Azure ML estate read from Resource Graph row files, a "
        "Terraform root module or plan, or live from Azure.",
    )
    scan.add_argument(
        "--snapshot",
        action="append",
        metavar="FILE",
        help="rows to audit: 'az graph query -o json' output, a JSON array of "
        "rows, or a mlops-audit snapshot; repeat to merge files",
    )
    scan.add_argument(
        "--sample",
        nargs="?",
        const=samples.DEFAULT,
        choices=list(samples.SAMPLES),
        metavar="NAME",
        help="audit a sample estate bundled with mlops-audit, from any directory: "
        + "; ".join(f"{n} ({d})" for n, d in samples.SAMPLES.items())
        + f"; default: {samples.DEFAULT}",
    )
    _terraform_options(scan)
    _live_options(scan)
    scan.add_argument(
        "--format",
        type=_format_name,
        metavar="FORMAT",
        help="report format on stdout, or of a plain --output FILE: "
        + "; ".join(f"{f.name} ({f.description})" for f in REGISTRY)
        + "; default: table on a terminal, json otherwise",
    )
    scan.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="[FORMAT:]PATH",
        help="write a report to PATH, e.g. "
        + ", ".join(f"{f.name}:{f.example}" for f in REGISTRY if f.example)
        + " (repeatable; all from one run); a plain PATH takes --format",
    )
    _selection_options(scan)
    scan.add_argument(
        "--baseline",
        metavar="FILE",
        help="a baseline (mlops-audit baseline) or an earlier JSON report: findings it "
        "already has are marked unchanged and do not count toward --fail-on",
    )
    scan.add_argument(
        "--suppressions",
        metavar="FILE",
        help="YAML file of accepted risks (rule, resource/related glob or tag, "
        "justification, expires): suppressed findings stay in the reports, marked, and do "
        "not count toward --fail-on",
    )
    scan.add_argument(
        "--sarif-category",
        metavar="ID",
        help="write SARIF runAutomationDetails.id (e.g. mlops-audit/prod/); leave it out "
        "to let upload-sarif's category input decide",
    )
    scan.add_argument(
        "--quiet",
        action="store_true",
        help="print nothing; only the exit code (and --output) tell the result",
    )

    base = sub.add_parser(
        "baseline",
        help="record the current findings as a baseline",
        description="Scan (from --snapshot files or live) and write the findings as a "
        "baseline for 'scan --baseline': later scans fail only on new findings.",
    )
    base.add_argument("--snapshot", action="append", metavar="FILE", help="rows to audit")
    _terraform_options(base)
    base.add_argument("--output", required=True, metavar="FILE", help="baseline to write")
    base.add_argument(
        "--suppressions",
        metavar="FILE",
        help="accepted risks (as for scan): suppressed findings stay out of the baseline, so "
        "a suppression that expires makes its finding count again",
    )
    _selection_options(base)
    _live_options(base)

    diff = sub.add_parser(
        "diff",
        help="compare two JSON reports: new, fixed, unchanged",
        description="Compare two mlops-audit JSON reports (or a baseline and a report) by "
        "finding fingerprint.",
    )
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument(
        "--format",
        choices=("table", "json", "markdown"),
        help="default: table on a terminal, json otherwise",
    )
    diff.add_argument("--output", metavar="FILE", help="write the diff to FILE")
    diff.add_argument(
        "--fail-on",
        default="none",
        choices=SEVERITY_CHOICES,
        help="exit 1 when a new, unsuppressed finding is at or above this severity (default: none)",
    )
    diff.add_argument(
        "--allow-partial",
        action="store_true",
        help="exit 0/1 even when the newer report says its scan was incomplete (else 3)",
    )

    merge = sub.add_parser(
        "merge",
        help="merge the JSON reports of a partitioned scan into one report",
        description="Merge the JSON reports of scans of disjoint network components "
        "(docs/scale.md) into the report one scan of the whole estate gives. Formats: "
        "table, json, sarif, markdown, csv (not junit or html: the JSON report does not "
        "hold what they show).",
    )
    merge.add_argument("reports", nargs="+", metavar="REPORT.json")
    merge.add_argument("--format", type=_format_name, metavar="FORMAT", help="as for scan")
    merge.add_argument("--output", action="append", default=[], metavar="[FORMAT:]PATH")
    merge.add_argument(
        "--fail-on",
        choices=SEVERITY_CHOICES,
        help="gate severity (default: the partitions', which must then agree)",
    )
    merge.add_argument("--allow-partial", action="store_true", help="as for scan (else exit 3)")
    merge.add_argument(
        "--baseline",
        metavar="FILE",
        help="as for scan, applied once to the merged findings (not per partition)",
    )
    merge.add_argument("--rules", action="append", metavar="DIR", default=[])
    merge.add_argument("--sarif-category", metavar="ID", help="as for scan")
    merge.add_argument("--quiet", action="store_true", help="print nothing")

    part = sub.add_parser(
        "partition",
        help="split a snapshot into snapshots of whole network components, for merge",
        description="Split a mlops-audit snapshot into at most --parts snapshots, each a set "
        "of whole connected components of the audit graph (no rule crosses one), of similar "
        "row counts: DIR/part-000.json, ... Scan each, then 'mlops-audit merge' the reports.",
    )
    part.add_argument("snapshot", metavar="SNAPSHOT")
    part.add_argument("--parts", type=int, required=True, metavar="N")
    part.add_argument("--out-dir", required=True, metavar="DIR")

    collect = sub.add_parser(
        "collect",
        help="read an estate from Azure into a snapshot file",
        description="Read the estate from Azure Resource Graph and ARM (read only) into a "
        "mlops-audit snapshot that 'scan --snapshot' audits offline.",
    )
    collect.add_argument("--output", required=True, metavar="FILE", help="snapshot to write")
    _live_options(collect)

    resolve = sub.add_parser(
        "resolve",
        help="the DNS answer a VNet (or NIC, VM) gets for a name, with its chain",
        description="Follow a DNS query from a client as Azure answers it — NIC and VNet DNS "
        "servers, DNS Private Resolver, forwarding rulesets, Azure Firewall DNS proxy, the "
        "private zones linked where Azure DNS is asked — and print the answer: private, "
        "stale, NXDOMAIN, public or unknown. Exit 0 with an answer, 2 on bad input, 3 when "
        "the estate cannot tell.",
    )
    resolve.add_argument("fqdn", metavar="FQDN", help="the name to resolve")
    resolve.add_argument(
        "--from",
        dest="client",
        required=True,
        metavar="VNET",
        help="the client: a VNet (or a NIC or VM, whose own DNS servers count), by name or ARM id",
    )
    resolve.add_argument("--snapshot", action="append", metavar="FILE", help="rows to ask")
    _terraform_options(resolve)
    resolve.add_argument("--format", choices=("text", "json"), default="text")
    _live_options(resolve)

    reach = sub.add_parser(
        "reach",
        help="can traffic reach a resource on a port? the path and the deciding NSG rule",
        description="Answer from the graph whether traffic from --from reaches --to on "
        "--port, as Azure evaluates it: the public path (public IP, load balancer rule or "
        "NAT rule) from the internet, then the subnet and NIC NSGs. Exit 0 with an answer "
        "(allowed or denied), 2 for a bad question, 3 when the estate cannot tell.",
    )
    reach.add_argument("--snapshot", action="append", metavar="FILE", help="rows to read")
    _terraform_options(reach)
    reach.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="SOURCE",
        help="Internet, an IP address or prefix, or a VNet, subnet, NIC, VM, scale set or "
        "Bastion host (ARM id or unique name)",
    )
    reach.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="RESOURCE",
        help="a VM, NIC, subnet or scale set (a private endpoint, Bastion host or AML compute "
        "is judged at its subnet), by ARM id or unique name",
    )
    reach.add_argument("--port", required=True, metavar="PORT[/tcp|/udp]", help="e.g. 22, 3389/udp")
    reach.add_argument("--format", choices=("text", "json"), default="text")
    _live_options(reach)

    rules = sub.add_parser("rules", help="list or explain rules")
    rsub = rules.add_subparsers(dest="rules_command", required=True, parser_class=_Parser)
    lst = rsub.add_parser("list", help="list every rule")
    lst.add_argument("--rules", action="append", metavar="DIR", default=[])
    show = rsub.add_parser("show", help="rationale, remediation and references of one rule")
    show.add_argument("rule_id")
    show.add_argument("--rules", action="append", metavar="DIR", default=[])
    for command in (lst, show):
        command.add_argument(
            "--format",
            choices=("text", "json"),
            default="text",
            help="json: the rules as data (schema mlops-audit/rules, version 1), sorted by id",
        )
    ini = sub.add_parser(
        "policy-initiative",
        help="write the Azure Policy built-ins the rules reference as an initiative",
        description="Write the Azure Policy built-in definitions the rules reference as one "
        "custom initiative (a policySetDefinitions resource, grouped by MCSB v1 control) to "
        "create and assign (see the README). Notes on what an assignment needs go to stderr.",
    )
    ini.add_argument("--output", metavar="FILE", help="write it here (default: stdout)")
    ini.add_argument("--name", default="mlops-audit", help="its name (default: mlops-audit)")
    ini.add_argument("--rules", action="append", metavar="DIR", default=[], help="extra rules")
    for option, verb in (("--select", "only"), ("--skip", "leave out")):
        ini.add_argument(
            option,
            action="append",
            metavar="RULES",
            help=f"{verb} these rule ids, id prefixes or categories (comma-separated), as for scan",
        )
    ini.add_argument("--verbose", action="store_true", help="the trace of an internal error")
    qry = sub.add_parser(
        "queries",
        help="print the Resource Graph queries a live scan sends",
        description="Print the Resource Graph queries a live scan sends to each scope, in "
        "the order it sends them, for an offline export with 'az graph query' or "
        "Search-AzGraph (see the README).",
    )
    qry.add_argument(
        "--collection",
        metavar="NAME",
        help="print only this query's text, for $(...) in a script: subscriptions, "
        "resources, dnsresources, gateways or vmextensions",
    )
    qry.add_argument("--format", choices=("text", "json"), default="text")
    val = sub.add_parser(
        "validate",
        help="check rule, suppression, baseline and config files (no Azure access)",
        description="Check rule, suppression, baseline and config files with the loaders a scan "
        "uses, without Azure access: one 'file: problem' line per bad file, exit 0 when all "
        "are valid and 2 when any is not. A directory stands for its rule files.",
    )
    val.add_argument("files", nargs="+", metavar="FILE", help="a file, or a rules directory")
    val.add_argument(
        "--kind",
        metavar="KIND",
        help="the kind of every FILE: config, rule, suppressions or baseline (default: from "
        "the name: [.]mlops-audit.yaml a config, *suppressions*.yaml, *.json a baseline or "
        "report, any other *.yaml a rule)",
    )
    val.add_argument(
        "--rules",
        action="append",
        metavar="DIR",
        default=[],
        help="rules a scan loads with these (a rule id defined twice is refused)",
    )
    for command in (scan, base, diff, merge, part, collect, reach, resolve, lst, show, qry, val):
        command.add_argument(
            "--verbose",
            action="store_true",
            help="log a live scan's requests and retries (never tokens or headers); print "
            "the trace of an internal error (exit 4)",
        )
    upload.add_command(sub)  # imports no Azure SDK until an upload runs
    config.add_options(parser)  # --config FILE, --no-config: before or after the command
    return parser


def _terraform_options(p: argparse.ArgumentParser) -> None:
    tf = p.add_argument_group("Terraform (offline; merges with --snapshot files)")
    tf.add_argument(
        "--terraform",
        action="append",
        metavar="DIR",
        help="a root module's directory: its .tf files and the local modules they call, "
        "read without 'terraform init' (repeatable)",
    )
    tf.add_argument(
        "--terraform-plan",
        action="append",
        metavar="FILE",
        help="'terraform show -json tfplan' output (repeatable); file and line come from "
        "the .tf files beside it, or in --terraform-source",
    )
    tf.add_argument(
        "--var-file",
        action="append",
        metavar="FILE",
        help="a .tfvars file for the --terraform directories (repeatable; later wins; "
        "terraform.tfvars and *.auto.tfvars are read without it)",
    )
    tf.add_argument(
        "--var",
        action="append",
        metavar="NAME=VALUE",
        help="a variable's value for the --terraform directories (repeatable; wins over "
        "--var-file)",
    )
    tf.add_argument(
        "--terraform-source",
        metavar="DIR",
        help="the configuration a --terraform-plan was made from, when it is not beside "
        "the plan file (for file and line)",
    )


def _file_inputs(args: argparse.Namespace) -> list[Any]:
    """--snapshot files, then --terraform directories, then --terraform-plan files."""
    from .inputs.options import Input

    sample = getattr(args, "sample", None)
    return [
        *(args.snapshot or []),
        *([str(samples.sample_path(sample))] if sample else []),
        *(Input(d, "terraform") for d in getattr(args, "terraform", None) or []),
        *(Input(f, "terraform-plan") for f in getattr(args, "terraform_plan", None) or []),
    ]


def _input_options(args: argparse.Namespace) -> Any:
    """The Terraform options as the input stage takes them; a string is the usage error."""
    import re

    from .inputs.options import InputOptions

    variables: dict[str, str] = {}
    for given in args.var or []:
        name, sep, value = given.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name.strip()):
            return f"--var {given}: expected NAME=VALUE (a variable name, '=', its value)"
        variables[name.strip()] = value
    if (args.var_file or variables) and not args.terraform:
        return "--var-file and --var give values to --terraform directories; there is none"
    if args.terraform_source is not None and not args.terraform_plan:
        return "--terraform-source names the configuration of a --terraform-plan; there is none"
    return InputOptions(
        var_files=tuple(Path(f) for f in args.var_file or []),
        variables=variables,
        terraform_source=Path(args.terraform_source) if args.terraform_source else None,
    )


def _selection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fail-on",
        default="high",
        choices=SEVERITY_CHOICES,
        help="exit 1 when a finding is at or above this severity (default: high)",
    )
    p.add_argument(
        "--rules",
        action="append",
        metavar="DIR",
        default=[],
        help="extra rule directory (repeatable); custom rule ids take your own prefix"
        " (ORG-DNS-001): MLA- is reserved for built-in rules",
    )
    p.add_argument(
        "--select",
        action="append",
        metavar="RULES",
        help="only these rule ids, id prefixes or categories (comma-separated)",
    )
    p.add_argument(
        "--skip",
        action="append",
        metavar="RULES",
        help="leave out these rule ids, id prefixes or categories",
    )


def _format_name(value: str) -> str:
    fmt = find_format(value)
    if fmt is None:
        raise argparse.ArgumentTypeError(f"invalid format {value!r} (choose from {FORMAT_LIST})")
    return fmt.name


def _output_specs(
    values: list[str], fmt: str | None, tty: bool
) -> tuple[list[tuple[str, str]], str | None] | str:
    """``--output`` values as (format, path) and the format for stdout (None: nothing).

    A plain PATH takes --format (default json); FORMAT:PATH names its own. ``--format``
    with no plain PATH goes to stdout; with no --format, stdout gets the terminal report on
    a terminal, and JSON otherwise unless files are written. A string is the usage error.
    """
    from .report import FORMAT_ALIASES, FORMATS

    specs, plain = [], []
    for value in values:
        head, sep, tail = value.partition(":")
        name = FORMAT_ALIASES.get(head.lower(), head.lower())
        if sep and name in FORMATS:
            if tail.strip() in ("", "-"):
                return (
                    f"--output {value}: needs a file path after '{head}:' "
                    f"(for stdout use --format {name})"
                )
            specs.append((name, tail))
        elif value.strip() in ("", "-"):
            return f"--output {value!r}: needs a file path (for stdout use --format)"
        else:
            plain.append(value)
    if len(plain) > 1:
        return (
            f"--output {plain[1]}: only one plain --output FILE (it takes --format); "
            "name the others FORMAT:PATH"
        )
    specs += [(fmt or "json", p) for p in plain]
    if fmt is not None and not plain:
        return specs, fmt
    if tty:
        return specs, "table"
    return specs, None if specs else "json"


def _clash(
    outputs: list[str],
    inputs: list[str | None],
    rule_dirs: list[str],
    config_dirs: list[str] | None = None,
) -> str | None:
    """A usage error when an output would overwrite an input (snapshot, baseline,
    suppressions, a rule file of ``--rules``, a Terraform file in ``config_dirs``) or
    another output of the same run (a report written over the snapshot it came from loses
    the estate). Existing files are compared by identity, so a hard link, a symlink or
    ``./x`` for ``x`` is the same file."""
    from .rules import rule_files

    rules = [str(f) for d in rule_dirs for f in rule_files(Path(d))]
    seen: dict[tuple[object, ...], str] = {}
    for path in [p for p in [*inputs, *rules] if p]:
        seen.setdefault(_identity(path), f"the input {path}")
    configs = [os.path.realpath(d) for d in config_dirs or []]
    for path in outputs:
        if not path.strip():
            return "--output: needs a file path"
        real = os.path.realpath(path)
        name = os.path.basename(real)
        if name.endswith(_TERRAFORM_FILES) and any(
            real.startswith(d.rstrip(os.sep) + os.sep) for d in configs
        ):
            return (
                f"--output {path}: is a Terraform file of the configuration being read; "
                "a report must not overwrite it"
            )
        key = _identity(path)
        if key in seen:
            return f"--output {path}: is also {seen[key]}; a report must not overwrite it"
        seen[key] = f"the output {path}"
    return None


# what the Terraform readers read in a configuration's directories (and its modules')
_TERRAFORM_FILES = (".tf", ".tf.json", ".tfvars", ".tfvars.json", ".terraform.lock.hcl")


def _config_dirs(args: argparse.Namespace) -> list[str]:
    """The directories whose Terraform files a run reads: --terraform, --terraform-source
    and the directory of each --terraform-plan (its .tf files give file and line)."""
    plans = getattr(args, "terraform_plan", None) or []
    return [
        *(getattr(args, "terraform", None) or []),
        *([args.terraform_source] if getattr(args, "terraform_source", None) else []),
        *(os.path.dirname(os.path.abspath(p)) for p in plans),
    ]


def _identity(path: str) -> tuple[object, ...]:
    """Device and inode of an existing file, else the path with its links resolved."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return ("path", os.path.realpath(path))
    return ("file", st.st_dev, st.st_ino)


def _live_options(p: argparse.ArgumentParser) -> None:
    from .credentials import add_sign_in_options  # imports no Azure SDK, no collector

    def seconds(value: str) -> float:  # a positive, finite number
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not 0 < number < float("inf"):
            raise argparse.ArgumentTypeError(f"invalid seconds {value!r}: a number above 0")
        return number

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
    add_sign_in_options(
        live,
        "Azure cloud: ARM endpoint, authority, token scope and the private DNS zone names "
        "the rules expect (default: the snapshot's, else public)",
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
        "--timeout",
        type=seconds,
        default=3600.0,
        metavar="SECONDS",
        help="bound the whole collection (default 3600); what it leaves unread is a coverage "
        "gap (exit 3)",
    )


def _live_scope(args: argparse.Namespace) -> Any:
    from .collect import Scope

    return Scope(
        subscriptions=[s.strip() for s in args.subscription if s.strip()],
        management_groups=[m.strip() for m in args.management_group if m.strip()],
        all_subscriptions=args.all_subscriptions,
    )


def _collect(
    args: argparse.Namespace, shown: Progress | None = None
) -> tuple[dict[str, Any] | None, str, int]:
    """Run the live collection for scan/collect: (snapshot document, its JSON text, exit
    code). The live scan checks the same text that collect writes, so both agree; neither
    ever holds the credential's token, even where a server echoed it into data. Its
    progress goes to ``shown`` (the scan's), or to a view of its own."""
    import json
    import logging

    from .clouds import CLOUDS, DEFAULT_CLOUD
    from .collect import Collector
    from .credentials import CredentialSetupError, make_credential, use_ssl_cert_file

    scope = _live_scope(args)
    if not (scope.subscriptions or scope.management_groups or scope.all_subscriptions):
        return None, "", _fail("give --subscription, --management-group or --all-subscriptions")
    cloud = args.cloud or DEFAULT_CLOUD
    endpoint = args.arm_endpoint or CLOUDS[cloud].arm_endpoint
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname or " " in endpoint:
        return None, "", _fail(f"--arm-endpoint {endpoint}: must be an https://host[:port] URL")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        # user:password@ would make requests send Basic auth in place of the bearer token
        return (
            None,
            "",
            _fail(
                f"--arm-endpoint https://{parts.hostname}…: must be an https://host[:port] URL, "
                "without user, password, query or fragment"
            ),
        )
    level = logging.DEBUG if args.verbose else logging.INFO
    if getattr(args, "quiet", False):
        level = logging.ERROR
    logging.basicConfig(level=logging.WARNING, handlers=[_log_handler()])
    logging.getLogger("mlops_audit").setLevel(level)
    use_ssl_cert_file()
    own = shown is None
    view = shown if shown is not None else _progress(args)
    try:
        try:
            credential = make_credential(args.auth, args.tenant, cloud)
        except CredentialSetupError as exc:
            return None, "", _fail(str(exc))
        collector = Collector(
            credential,
            arm_endpoint=endpoint,
            cloud=cloud,
            skip_endpoint_reads=args.skip_endpoint_reads,
            timeout=args.timeout,
            progress=view,
        )
        doc = collector.collect(scope)
    finally:
        if own:
            view.close()
    try:
        text = snapshot_text(doc)
        clean = collector.redact.exact(text)
        if clean != text:  # a server put our token into its data
            doc = json.loads(clean)
            doc["failures"].append(
                {
                    "scope": "collection",
                    "what": "redaction",
                    "error": "the data Azure returned held the access token; it was replaced",
                }
            )
            text = snapshot_text(doc)
    except ValueError as exc:
        return None, "", _fail(f"the collected data cannot be written as JSON: {exc}")
    return doc, text, EXIT_OK


def _progress(args: argparse.Namespace) -> Progress:
    """The view of a long run's progress on stderr: a bar on a terminal, a few summary
    lines in a CI log or pipe, nothing under --quiet (auditor/report/progress.py)."""
    if getattr(args, "quiet", False):  # nothing to show: not even the view's module
        from .progress import NONE

        return NONE
    from .report.progress import choose

    return choose(False)


def snapshot_text(doc: dict[str, Any]) -> str:
    """A snapshot as JSON that any reader takes: ASCII (lone surrogates survive), and
    NaN/Infinity refused (ValueError) as the snapshot reader refuses them."""
    import json

    return json.dumps(doc, indent=1, ensure_ascii=True, allow_nan=False) + "\n"


def _log_handler() -> Any:
    """The live path's stderr log handler: its lines carry server text (error messages,
    names), so each is made safe for a terminal and a CI log (:func:`safe.log`)."""
    import logging

    class Formatter(logging.Formatter):
        def formatMessage(self, record: logging.LogRecord) -> str:
            return safe.log(super().formatMessage(record))

        def formatException(self, ei: Any) -> str:
            return safe.log(super().formatException(ei), multiline=True)

        def formatStack(self, stack_info: str) -> str:
            return safe.log(super().formatStack(stack_info), multiline=True)

    handler = logging.StreamHandler()
    handler.setFormatter(Formatter("mlops-audit: %(message)s"))
    return handler


def _say(message: str) -> None:
    """One line on stderr; paths and values in it are data (:func:`safe.log`)."""
    print(safe.log(f"mlops-audit: {message}"), file=sys.stderr)


def _fail(message: str) -> int:
    _say(message)
    return EXIT_USAGE


def _internal_error(exc: Exception, verbose: bool) -> int:
    """An exception no step expected is a bug: one line and exit 4 — never 1, which a
    pipeline reads as "findings: publish the reports" — with the trace under --verbose."""
    import traceback

    if verbose:
        trace = "".join(traceback.format_exception(exc)).rstrip("\n")
        print(safe.log(trace, multiline=True), file=sys.stderr)
    message = " ".join(str(exc).split())
    what = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    hint = "" if verbose else " (run with --verbose for the trace)"
    _say(f"internal error: {what}{hint}")
    return EXIT_INTERNAL


class _ClosedStream(io.TextIOBase):
    """Stands in for a standard stream the process was started without (``>&-``): asking
    whether it is a terminal answers no, and writing to it is the OSError a closed
    descriptor gives, so a report meant for it fails with one line instead of a crash."""

    def __init__(self, name: str) -> None:
        self._name = name

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, f"{self._name} is closed")


def main(argv: list[str] | None = None) -> int:
    if sys.stdout is None:
        sys.stdout = _ClosedStream("stdout")
    if sys.stderr is None:  # nowhere to say anything: messages are dropped, exit codes stay
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - held for the process's life
    try:  # flags over MLOPS_AUDIT_* over .mlops-audit.yaml over defaults (auditor/config.py)
        args, notes = config.parse_args(build_parser(), argv)
    except config.ConfigError as exc:
        return _fail(str(exc))
    for note in [] if getattr(args, "quiet", False) else notes:
        _say(note)
    from .files import InputError
    from .rules import RuleFileError, load_rules

    blank = _blank_path(args)
    if blank:
        what = (
            "rule ids, id prefixes or categories"
            if blank in ("--select", "--skip")
            else "a file path"
        )
        return _fail(f"{blank}: needs {what}, got an empty value")
    try:
        if args.command == "validate":  # before load_rules: a bad --rules DIR is one problem
            return _validate_command(args)
        if args.command == "upload":  # sends a report; reads no rules
            return upload.command(args)
        rules = load_rules(getattr(args, "rules", []))
        if args.command == "rules":
            return _rules_command(args, rules)
        if args.command == "queries":
            return _queries_command(args)
        if args.command == "policy-initiative":
            return _initiative_command(args, rules)
        if args.command == "collect":
            return _collect_command(args)
        if args.command == "diff":
            return _diff_command(args)
        if args.command == "merge":
            return _merge_command(args, rules)
        if args.command == "partition":
            return _partition_command(args)
        if args.command == "baseline":
            return _baseline_command(args, rules)
        if args.command == "resolve":
            return _resolve_command(args)
        if args.command == "reach":
            return _reach_command(args)
        return _scan(args, rules)
    except (InputError, RuleFileError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:  # Ctrl-C: one line and the shell's 130, never a traceback
        _say("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # anything else is a bug, and says so (exit 4)
        return _internal_error(exc, args.verbose)


def _validate_command(args: argparse.Namespace) -> int:
    """``validate``: every problem on stderr, one line each; exit 2 when there is one."""
    from .validate import KINDS, validate

    if args.kind is not None and args.kind not in KINDS:  # the registry, not argparse:
        # --version must not import the loaders to list the choices
        return _fail(f"--kind: {args.kind!r} is not one of {', '.join(KINDS)}")
    checked, problems = validate(args.files, args.kind, args.rules, build_parser())
    for problem in problems:
        print(safe.log(problem), file=sys.stderr)
    if problems:
        return EXIT_USAGE
    return _to_stdout(f"{checked} file{'s' if checked != 1 else ''} checked, all valid\n")


def _blank_path(args: argparse.Namespace) -> str | None:
    """The first path or selector option given an empty value (an unset pipeline
    variable, say): a path must not read as the current directory, nor as "no baseline",
    and ``--select ''`` must not widen the scan to every rule."""
    for option in (
        "snapshot",
        "terraform",
        "terraform_plan",
        "var_file",
        "terraform_source",
        "rules",
        "baseline",
        "suppressions",
        "select",
        "skip",
    ):
        value = getattr(args, option, None)
        values = value if isinstance(value, list) else [value]
        if any(v is not None and not v.replace(",", " ").strip() for v in values):
            return f"--{option.replace('_', '-')}"
    return None


class _Stop(Exception):
    """A step of the CLI already said what went wrong: leave with this exit code."""

    def __init__(self, code: int) -> None:
        self.code = code


def _audit(args: argparse.Namespace, all_rules: list) -> Any:  # type: ignore[type-arg]
    """Run the pipeline core (``core.audit``) for scan and baseline: the Run every report
    is rendered from, or an exit code."""
    from . import core

    # A scan is one short process that builds a large, acyclic heap (rows, graph); the
    # cyclic collector would re-walk it again and again for nothing, doubling load time.
    gc.disable()
    live = bool(args.subscription or args.management_group or args.all_subscriptions)

    shown = _progress(args)

    def collect() -> core.Collected:
        doc, _text, code = _collect(args, shown)
        if doc is None:
            raise _Stop(code)
        return "live:" + ",".join(sorted(next(iter(s.values())) for s in doc["scopes"])), doc

    try:
        # selectors first: a typo is the first thing to report, whatever else is wrong
        core.choose_rules(all_rules, _split(args.select), _split(args.skip))
        files = _file_inputs(args)
        if getattr(args, "sample", None) and len(files) > 1:
            return _fail(
                "--sample audits a bundled estate on its own; leave out --snapshot, "
                "--terraform and --terraform-plan (or --sample)"
            )
        if live == bool(files):
            return _fail(
                f"{args.command} needs either --snapshot FILE (or --sample, --terraform DIR, "
                "--terraform-plan FILE) or a live scope (--subscription, --management-group, "
                "--all-subscriptions), not both"
            )
        options = _input_options(args)
        if isinstance(options, str):
            return _fail(options)
        return core.audit(
            [f for f in files if isinstance(f, str)],
            terraform=args.terraform or (),
            terraform_plans=args.terraform_plan or (),
            input_options=options,
            collect=collect if live else None,
            rules=all_rules,
            select=_split(args.select),
            skip=_split(args.skip),
            fail_on=args.fail_on,
            baseline=getattr(args, "baseline", None),
            suppressions=getattr(args, "suppressions", None),
            cloud=args.cloud,
            sarif_category=getattr(args, "sarif_category", None),
            progress=shown,
        )
    except core.UsageError as exc:
        return _fail(str(exc))
    except _Stop as stop:
        return stop.code
    finally:
        shown.close()  # before any report or message: a bar is gone from the terminal


def _scan(args: argparse.Namespace, all_rules: list) -> int:  # type: ignore[type-arg]
    from . import report

    planned = _output_specs(args.output, args.format, sys.stdout.isatty())
    if isinstance(planned, str):
        return _fail(planned)
    outputs, stdout_fmt = planned
    clash = _clash(
        [path for _, path in outputs],
        [
            *(args.snapshot or []),
            *(args.terraform_plan or []),
            *(args.var_file or []),
            args.baseline,
            args.suppressions,
        ],
        args.rules,
        _config_dirs(args),
    )
    if clash:
        return _fail(clash)
    run = _audit(args, all_rules)
    if isinstance(run, int):
        return run
    view = report.build_view(run)  # once, however many formats are written
    code = _emit(view, outputs, None if args.quiet else stdout_fmt)
    if code:
        return code
    if not args.quiet:
        _warn_triage(run)
    if run.failed:
        code = EXIT_FINDINGS
    elif not run.complete and not args.allow_partial:
        # "not evaluated" is never read as a pass: the gate says so and stops
        if not args.quiet:
            _say(
                f"incomplete: {run.shortfall()}; this is not a pass "
                "(exit 3; the reports say which and why; --allow-partial accepts it)"
            )
        code = EXIT_INCOMPLETE
    else:
        code = EXIT_OK
    return _leave(code)  # ``run`` and ``view`` are still held here: nothing is freed first


_PROCESS = {"leave_fast": False}  # set by run(): this process is the command, not a library


def _emit(view: Any, outputs: list[tuple[str, Path]], stdout_fmt: str | None) -> int:
    """Write every report file, then the one for stdout (``stdout_fmt``; None: none):
    all of them before the exit code is chosen. Non-zero: a report could not be written."""
    from . import report

    for fmt, path in outputs:
        code = _write(path, report.render(fmt, view), "report")
        if code:
            return code
    if stdout_fmt is not None:
        if stdout_fmt == "table" and sys.stdout.isatty():
            report.render_terminal(view, safe.console())
        else:
            return _to_stdout(safe.stdout(report.render(stdout_fmt, view), stdout_fmt))
    return 0


def _leave(code: int) -> int:
    """End a finished scan: as the program (:func:`run`), flush stdout and stderr and
    leave at once with ``code`` — freeing a large scan's heap object by object at exit
    costs seconds and changes nothing (the reports are written and synced by
    :func:`_write`). Anything else, or a flush that fails, returns ``code`` for the normal
    exit, which reports the error as it always has."""
    if not _PROCESS["leave_fast"]:
        return code
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None: started with the descriptor closed (2>&-)
                stream.flush()
    except (OSError, ValueError):  # a closed pipe: the normal exit says so
        return code
    os._exit(code)


def _warn_triage(run: Any) -> None:
    """Expired and stale suppressions are worth a line on stderr in every format."""
    if not run.suppressions:
        return
    warnings = [
        f"suppression {e['entry']} expired on {e['expires']}; it no longer suppresses "
        f"({e['matches']} finding(s))"
        for e in run.suppressions["expired"]
    ] + [f"suppression {e['entry']} matches no finding (stale)" for e in run.suppressions["stale"]]
    warnings += [
        f"suppression {e['entry']} matches every finding (its selectors are only '*'): "
        "no finding it covers can fail the gate"
        for e in run.suppressions.get("match_all", ())
    ]
    for warning in warnings:
        _say(f"warning: {warning}")


def _to_stdout(text: str) -> int:
    """A report on stdout, flushed: a full disk or a closed pipe is one line and exit 2, as
    for an ``--output`` path (it was exit 4, "a bug"). stdout then goes to the null device,
    so the exit's own flush neither fails again nor prints a traceback."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)
        except (OSError, ValueError):
            pass
        return _fail(f"cannot write the report to stdout: {exc.strerror or exc}")
    return EXIT_OK


def _write(path: str, text: str, what: str) -> int:
    """Write a report whole or not at all (creating its folder): a temporary file beside
    it is renamed over it, so a full disk or a crash leaves the previous report as it was.
    Through a symlink the file it names is replaced; a path that is not a regular file
    (``/dev/stdout``, a FIFO) is written in place. An unwritable path is one line, exit 2."""
    data = safe.utf8(text).encode("utf-8")
    try:
        try:
            mode: int | None = os.stat(path).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            with open(path, "wb") as stream:
                stream.write(data)
            return EXIT_OK
        target = Path(os.path.realpath(path))
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace(target, data, mode)
    except OSError as exc:
        return _fail(f"{path}: cannot write the {what}: {exc.strerror or exc}")
    return EXIT_OK


def _replace(target: Path, data: bytes, mode: int | None) -> None:
    """``data`` into a new file in ``target``'s folder (the old file's permissions, else
    the umask's), flushed to disk, then renamed over ``target`` in one step."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with open(fd, "wb") as stream:
            if mode is None:
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(stream.fileno(), 0o666 & ~umask)
            else:
                os.fchmod(stream.fileno(), stat.S_IMODE(mode))
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _baseline_command(args: argparse.Namespace, all_rules: list) -> int:  # type: ignore[type-arg]
    import json

    from . import report, triage

    clash = _clash(
        [args.output],
        [
            *(args.snapshot or []),
            *(args.terraform_plan or []),
            *(args.var_file or []),
            args.suppressions,
        ],
        args.rules,
        _config_dirs(args),
    )
    if clash:
        return _fail(clash)
    run = _audit(args, all_rules)
    if isinstance(run, int):
        return run
    doc = triage.baseline_document(report.to_json_dict(run))
    code = _write(args.output, json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "baseline")
    if code:
        return code
    _say(f"wrote a baseline of {len(doc['findings'])} finding(s) to {args.output}")
    if run.graph.estate.gaps and not args.allow_partial:
        return EXIT_INCOMPLETE
    return EXIT_OK


def _diff_command(args: argparse.Namespace) -> int:
    from .report import diff as diff_report
    from .triage import diff_reports, read_report

    if args.output is not None:
        clash = _clash([args.output], [args.old, args.new], [])
        if clash:
            return _fail(clash)
    old, new = read_report(args.old), read_report(args.new)
    diff = diff_reports(old, new, args.old, args.new)
    fmt = args.format or ("table" if sys.stdout.isatty() and not args.output else "json")
    text = diff_report.render(diff, fmt)
    if args.output is not None:
        code = _write(args.output, text, "diff")
        if code:
            return code
    else:
        code = _to_stdout(safe.stdout(text, fmt))
        if code:
            return code
    if diff_report.fails(diff, args.fail_on):
        return EXIT_FINDINGS
    note = diff_report.incomplete_note(diff)
    if note and not args.allow_partial:
        _say(f"{args.new}: {note}")
        return EXIT_INCOMPLETE
    return EXIT_OK


def _merge_command(args: argparse.Namespace, all_rules: list) -> int:  # type: ignore[type-arg]
    """``merge``: one report from partitions' JSON reports, exit codes as scan's."""
    from . import merge

    planned = _output_specs(args.output, args.format, sys.stdout.isatty())
    if isinstance(planned, str):
        return _fail(planned)
    outputs, stdout_fmt = planned
    for fmt in [f for f, _ in outputs] + ([stdout_fmt] if stdout_fmt else []):
        if fmt not in merge.FORMATS:
            return _fail(f"merge cannot write {fmt}: {merge.WHY_NOT[fmt]}")
    clash = _clash([p for _, p in outputs], [*args.reports, args.baseline], args.rules)
    if clash:
        return _fail(clash)
    view = merge.merge_files(
        args.reports, all_rules, args.fail_on, args.sarif_category, args.baseline
    )
    code = _emit(view, outputs, None if args.quiet else stdout_fmt)
    if code:
        return code
    if view.gate.failed:
        return EXIT_FINDINGS
    if not view.coverage.complete and not args.allow_partial:
        if not args.quiet:
            _say(
                "incomplete: a partition was incomplete or missing, or the partitions disagree; "
                "this is not a pass (exit 3; the report says which and why; --allow-partial "
                "accepts it)"
            )
        return EXIT_INCOMPLETE
    return EXIT_OK


def _partition_command(args: argparse.Namespace) -> int:
    """``partition``: one snapshot per group of whole components (docs/scale.md)."""
    from . import partition

    if args.parts < 1:
        return _fail(f"--parts {args.parts}: needs a whole number of at least 1")
    gc.disable()  # one short process over a large acyclic heap, as for scan (_audit)
    docs = partition.split(args.snapshot, args.parts)
    paths = [os.path.join(args.out_dir, f"part-{i:03d}.json") for i in range(len(docs))]
    clash = _clash(paths, [args.snapshot], [])
    if clash:
        return _fail(clash)
    mine = {os.path.basename(p) for p in paths}
    stale = sorted(p for p in Path(args.out_dir).glob("part-*.json") if p.name not in mine)
    if stale:  # 'scan DIR/part-*.json' would read an earlier split's rows twice
        return _fail(f"{stale[0]}: a part of an earlier partition: give an empty --out-dir")
    for path, doc in zip(paths, docs, strict=True):
        code = _write(path, partition.text(doc), "snapshot")
        if code:
            return code
        _say(f"wrote {path}: {len(doc['rows'])} row(s)")
    return EXIT_OK


def _resolve_command(args: argparse.Namespace) -> int:
    """``resolve``: the estate from --snapshot (or live), the graph, one DNS question."""
    from . import graph as graph_stage
    from . import inputs
    from .answers import resolve

    gc.disable()
    live = bool(args.subscription or args.management_group or args.all_subscriptions)
    files = _file_inputs(args)
    if live == bool(files):
        return _fail(
            "resolve needs either --snapshot FILE (or --terraform DIR, --terraform-plan FILE) "
            "or a live scope (--subscription, --management-group, --all-subscriptions), not both"
        )
    options = _input_options(args)
    if isinstance(options, str):
        return _fail(options)
    if live:
        doc, _text, code = _collect(args)
        if doc is None:
            return code
        estate = inputs.Estate()
        name = "live:" + ",".join(sorted(next(iter(s.values())) for s in doc["scopes"]))
        inputs.add_document(name, doc, estate)
    else:
        estate = inputs.load(files, options)
    if args.cloud:
        estate.cloud = args.cloud
    g = graph_stage.build(estate)
    try:
        answer = resolve.ask(g, args.fqdn, args.client)
    except resolve.BadQuestion as exc:
        return _fail(str(exc))
    if args.format == "json":
        text = safe.stdout(resolve.to_json(g, answer), "json")
    else:
        text = safe.stdout(safe.terminal(resolve.to_text(g, answer), multiline=True), "text")
    code = _to_stdout(text)
    if code:
        return code
    return EXIT_INCOMPLETE if answer.answer.unknown else EXIT_OK


def _collect_command(args: argparse.Namespace) -> int:
    doc, text, code = _collect(args)
    if doc is None:
        return code
    code = _write(args.output, text, "snapshot")  # the new snapshot whole, or the old one
    if code:
        return code
    requests = doc["requests"]
    _say(
        f"wrote {len(doc['rows'])} rows to {args.output} "
        f"({requests['resource_graph_pages']} Resource Graph pages, "
        f"{requests['arm_reads']} ARM reads, {len(doc['failures'])} failures)"
    )
    return EXIT_INCOMPLETE if doc["failures"] and not args.allow_partial else EXIT_OK


def _reach_command(args: argparse.Namespace) -> int:
    """Load the estate (files or live, as the scan does), build the graph, answer."""
    import json

    from . import graph, inputs
    from .answers import reach

    live = bool(args.subscription or args.management_group or args.all_subscriptions)
    files = _file_inputs(args)
    if live == bool(files):
        return _fail(
            "reach needs either --snapshot FILE (or --terraform DIR, --terraform-plan FILE) "
            "or a live scope (--subscription, --management-group, --all-subscriptions), not both"
        )
    options = _input_options(args)
    if isinstance(options, str):
        return _fail(options)
    try:
        reach.parse_port(args.port)  # a typo is reported before any work
    except reach.BadQuestion as exc:
        return _fail(str(exc))
    if live:
        doc, _text, code = _collect(args)
        if doc is None:
            return code
        estate = inputs.Estate()
        inputs.add_document("live", doc, estate)
    else:
        estate = inputs.load(files, options)
    g = graph.build(estate)
    try:
        answer = reach.reach(g, args.source, args.target, args.port)
    except reach.BadQuestion as exc:
        return _fail(str(exc))
    if args.format == "json":
        text = json.dumps(reach.to_json(answer), indent=2, ensure_ascii=False) + "\n"
        code = _to_stdout(safe.stdout(text, "json"))
    else:
        text = reach.render_text(answer)
        code = _to_stdout("".join(safe.log(line) + "\n" for line in text.splitlines()))
    if code:
        return code
    if answer.answer == "unknown":
        return EXIT_INCOMPLETE
    if estate.gaps and not args.allow_partial:
        _say("incomplete: the inputs have coverage gaps; the answer may miss a path (exit 3)")
        return EXIT_INCOMPLETE
    return EXIT_OK


def _rules_command(args: argparse.Namespace, rules: list) -> int:  # type: ignore[type-arg]
    """``rules list``/``show``: Rich on a terminal; piped or redirected, plain lines that
    are never wrapped (Rich would fold at 80 columns, or at ``COLUMNS``, and split a
    command or URL across lines); ``--format json``: the rules as data."""
    if args.rules_command == "show":
        wanted = args.rule_id.upper()
        rules = [r for r in rules if r.id.upper() == wanted]
        if not rules:
            return _fail(f"rules show {args.rule_id}: no such rule (see 'mlops-audit rules list')")
    if args.format == "json":
        import json

        from .rules import rules_document

        text = json.dumps(rules_document(rules), indent=2, ensure_ascii=False) + "\n"
        return _to_stdout(safe.stdout(text, "json"))
    terminal = sys.stdout.isatty()
    if args.rules_command == "list":
        cells = [(r.id, r.spec.severity, r.spec.category, r.spec.title) for r in rules]
        if not terminal:
            return _to_stdout(
                safe.ci_log(_plain_table(("id", "severity", "category", "title"), cells))
            )
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, expand=True)
        for name in ("id", "severity", "category"):
            table.add_column(name, no_wrap=True)
        table.add_column("title", ratio=1)
        for row in cells:
            table.add_row(*(Text(safe.terminal(c)) for c in row))
        safe.console().print(table)  # rule files may come from --rules DIR: their text is data
        return EXIT_OK
    (rule,) = rules
    text = safe.terminal(rule.markdown(), multiline=True)
    if not terminal:  # the Markdown itself: readable, and a command stays on its line
        return _to_stdout(safe.ci_log(text))
    from rich.markdown import Markdown  # only `show` renders Markdown (markdown-it: ~30 ms)

    safe.console().print(Markdown(text))
    return EXIT_OK


def _plain_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell, the last one unpadded and never folded."""
    cells = [header, *[tuple(safe.terminal(c) for c in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    return "".join(
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]) + "\n"
        for row in cells
    )


def _initiative_command(args: argparse.Namespace, rules: list) -> int:  # type: ignore[type-arg]
    """``policy-initiative``: the initiative on stdout or in ``--output``; notes on stderr."""
    from . import initiative
    from .rules import check_selectors, rule_files, select_rules

    for option, tokens in (("--select", _split(args.select)), ("--skip", _split(args.skip))):
        typo = check_selectors(rules, tokens)
        if typo is not None:
            return _fail(f"{option} {typo}: matches no rule id, id prefix or category")
    problem = initiative.check_name(args.name)
    if problem:
        return _fail(problem)
    if args.output is not None and args.output.strip() in ("", "-"):
        return _fail("--output: needs a file path, got an empty value or '-'")
    if args.output and os.path.exists(args.output):
        for rule_file in (f for d in args.rules for f in rule_files(Path(d))):
            if os.path.samefile(args.output, rule_file):
                return _fail(f"--output {args.output}: is the rule file {rule_file}")
    chosen = select_rules(rules, _split(args.select), _split(args.skip))
    try:
        built = initiative.build(chosen, args.name)
    except initiative.InitiativeError as exc:
        return _fail(str(exc))
    text = initiative.render(built)
    if args.output:
        code = _write(args.output, text, "initiative")
    else:
        code = _to_stdout(safe.stdout(text, "json"))
    for note in built.notes if code == EXIT_OK else ():  # a failed write is its one line
        _say(f"note: {note}")
    return code


def _purpose(name: str) -> str:
    """What a sent query's rows are for: coverage, rows to audit, or the cross-reference."""
    from .collections import BY_NAME, COVERAGE

    if name == COVERAGE:
        return "coverage"
    return "cross-reference" if BY_NAME[name].advisory else "rows"


def _queries_command(args: argparse.Namespace) -> int:
    """``queries``: the Resource Graph queries a live scan sends, each whole on one line
    (a query folded across lines would not paste back)."""
    from .collections import COVERAGE, SENT_QUERIES

    sent = [(n, q) for n, q in SENT_QUERIES if args.collection in (None, n)]
    if not sent:
        names = ", ".join(n for n, _ in SENT_QUERIES)
        return _fail(f"--collection {args.collection}: no such query (one of: {names})")
    if args.format == "json":
        import json

        doc = [
            {
                "collection": name,
                "purpose": _purpose(name),
                "table": query.split(" ", 1)[0],
                "query": query,
            }
            for name, query in sent
        ]
        return _to_stdout(json.dumps(doc, indent=2) + "\n")
    if args.collection:
        return _to_stdout(sent[0][1] + "\n")
    blocks = [
        f"# {name}"
        + (
            " (the subscriptions each scope shows: coverage, not rows to audit)"
            if name == COVERAGE
            else " (Azure's own verdicts: the cross-reference, no rule reads them)"
            if _purpose(name) == "cross-reference"
            else ""
        )
        + f"\n{query}\n"
        for name, query in sent
    ]
    return _to_stdout("\n".join(blocks))


def run() -> None:
    """The ``mlops-audit`` program: :func:`main`, allowed to leave without tearing a large
    scan's heap down (:func:`_leave`). Library callers and tests call :func:`main`."""
    _PROCESS["leave_fast"] = True
    sys.exit(main())


if __name__ == "__main__":
    run()
