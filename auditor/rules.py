"""Stage 3: load the declarative rule files and evaluate them over the graph.

A rule file (one rule each, ``rules/<ID>.yaml``) says which resource types it judges
(``resource_types``), when it applies (``where``), optionally which related items to judge
one by one (``each``), and the compliant state (``assert``). False ⇒ a finding; a ``where``
that is false ⇒ not applicable; anything that depends on missing data ⇒ not evaluated.
The file format is documented in ``docs/rules.md``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import arm, mcsb
from .collections import Collection, missing_collection
from .conditions import (
    SUBJECT,
    Compare,
    Condition,
    ConditionError,
    Context,
    RelationTest,
    Run,
    Truth,
    compile_condition,
)
from .conditions import Path as RulePath
from .findings import (
    AuditResult,
    Category,
    Deciding,
    Finding,
    NotEvaluated,
    RuleOutcome,
    Severity,
    fingerprint,
)
from .model import KIND_OF_TYPE
from .relations import RELATIONS, Item, Unknown
from .relations.base import forget_node_answers

if TYPE_CHECKING:  # `rules list` compiles the rules but never builds a graph (networkx)
    from .graph import AuditGraph

# Every rule id: an upper-case prefix (an organisation's, ``ORG``), then hyphen-separated
# upper-case parts. Upper case only, so two ids are the same rule exactly when they are spelt
# alike (and file names cannot differ by case alone on a case-insensitive file system).
RULE_ID = re.compile(r"^[A-Z][A-Z0-9]{1,15}(-[A-Z0-9]+)+$")
# The built-in rules' prefix is reserved as a whole, not id by id: a custom rule may never use
# it, so a release that adds a built-in rule can never collide with a user's rule.
RESERVED_PREFIX = "MLA-"
BUILTIN_ID = re.compile(r"^MLA-[A-Z]+-\d{3}$")


class RuleFileError(Exception):
    """A rule file that cannot be used: the CLI prints it as one line and exits 2."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


# -- the file schema --------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(_Strict):
    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https://")


class PolicyRef(_Strict):
    name: str = Field(min_length=1)
    id: str = Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Remediation(_Strict):
    summary: str = Field(min_length=1)
    terraform: str = Field(min_length=1)
    cli: str = Field(min_length=1)


class Each(_Strict):
    relation: str
    as_: str = Field(default="item", alias="as", pattern=r"^[a-z_][a-z0-9_]*$")
    where: Any = None


class RuleSpec(_Strict):
    """The fields of a rule file."""

    id: str
    title: str = Field(min_length=1, max_length=120)
    severity: Severity
    category: Category
    mcsb: list[str] = []
    resource_types: list[str] = Field(min_length=1)
    needs: list[Collection] = []
    where: Any = None
    each: Each | None = None
    assert_: Any = Field(alias="assert")
    message: str = Field(min_length=1)
    rationale: str = Field(min_length=1)
    remediation: Remediation
    references: list[Reference] = Field(min_length=1)
    policy: list[PolicyRef] = []
    peers: dict[str, str] = {}

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not RULE_ID.fullmatch(v):
            raise ValueError(
                "must be a prefix of 2-16 upper-case letters and digits starting with a"
                " letter, then hyphen-separated upper-case parts (letters and digits),"
                " e.g. ORG-DNS-001"
            )
        return v

    @field_validator("mcsb")
    @classmethod
    def _mcsb(cls, v: list[str]) -> list[str]:
        for control in v:
            why = mcsb.problem(control)
            if why:
                raise ValueError(why)
        if len(set(v)) != len(v):
            raise ValueError("names a control twice")
        return v

    @field_validator("resource_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        for t in v:
            if t.lower() not in KIND_OF_TYPE:
                raise ValueError(
                    f"unknown resource type {t!r}; the model knows "
                    + ", ".join(sorted(KIND_OF_TYPE))
                )
        return [t.lower() for t in v]


# -- compiled rules ---------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass
class Rule:
    spec: RuleSpec
    path: str
    where: Condition | None
    each_where: Condition | None
    check: Condition
    message_paths: dict[str, RulePath]

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def binding(self) -> str | None:
        return self.spec.each.as_ if self.spec.each else None

    def deciding(self) -> Deciding:
        """The paths the check reads, in order: where a finding's source line is."""
        paths = tuple(leaf.path.text for leaf in self.check.leaves() if isinstance(leaf, Compare))
        return Deciding(paths, self.binding)

    @property
    def relations(self) -> frozenset[str]:
        """The relations the rule asks: a report shows a relation's verdicts (a missing
        DNS link in the drawing) only when a rule that ran asked it."""
        names = {self.spec.each.relation} if self.spec.each else set()
        for cond in (self.where, self.each_where, self.check):
            names.update(
                leaf.relation
                for leaf in (cond.leaves() if cond else ())
                if isinstance(leaf, RelationTest)
            )
        return frozenset(names)

    def markdown(self) -> str:
        """The rule as Markdown: one text for ``rules show``, the docs and SARIF help."""
        s = self.spec
        lines = [
            f"# {s.id}: {s.title}",
            "",
            f"**Severity** {s.severity} · **Category** {s.category} · **Applies to** "
            + ", ".join(f"`{t}`" for t in s.resource_types),
            *(["", "**MCSB v1** " + ", ".join(_control(c) for c in s.mcsb)] if s.mcsb else []),
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
            *fenced(s.remediation.terraform.strip(), "hcl"),
            "",
            "Azure CLI:",
            "",
            *fenced(s.remediation.cli.strip(), "sh"),
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


def _control(control: str) -> str:
    """``NS-2 (Secure cloud native services with network controls)``, or the id alone."""
    title = mcsb.TITLES.get(control)
    return f"{control} ({title})" if title else control


# ``rules list --format json``: a document for tools (a policy catalogue, a dashboard), so
# its shape is versioned; a field is only ever added within a version.
RULES_SCHEMA = "mlops-audit/rules"
RULES_SCHEMA_VERSION = 1


def rules_document(rules: list[Rule], builtin_dir: Path | None = None) -> dict[str, Any]:
    """The rules as data, sorted by id, each as its file holds it (less its conditions):
    what ``rules list --format json`` and ``rules show ID --format json`` print."""
    from . import __version__

    home = (builtin_dir or builtin_rules_dir()).resolve()

    def one(rule: Rule) -> dict[str, Any]:
        s = rule.spec
        return {
            "id": s.id,
            "title": s.title,
            "severity": s.severity,
            "category": s.category,
            "mcsb": list(s.mcsb),
            "resource_types": list(s.resource_types),
            "needs": list(s.needs),
            "rationale": s.rationale.strip(),
            "remediation": {
                "summary": s.remediation.summary.strip(),
                "terraform": s.remediation.terraform.strip(),
                "cli": s.remediation.cli.strip(),
            },
            "references": [{"title": r.title, "url": r.url} for r in s.references],
            "policy": [{"name": p.name, "id": p.id} for p in s.policy],
            "peers": dict(sorted(s.peers.items())),
            "builtin": Path(rule.path).resolve().parent == home,
        }

    return {
        "schema": RULES_SCHEMA,
        "version": RULES_SCHEMA_VERSION,
        "tool_version": __version__,
        "rules": [one(r) for r in sorted(rules, key=lambda r: r.id)],
    }


def fenced(code: str, lang: str) -> list[str]:
    """A Markdown code block whose fence is longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", code, fence]


def _format_pydantic(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    loc = loc.replace("assert_", "assert").replace("as_", "as")
    msg = first["msg"]
    if first["type"] == "missing":
        msg = "required field is missing"
    elif first["type"] == "extra_forbidden":
        msg = "unknown field"
    return f"{loc}: {msg}"


def compile_rule(data: Any, path: str) -> Rule:
    if not isinstance(data, dict):
        raise RuleFileError(path, "a rule file must hold one mapping")
    try:
        spec = RuleSpec.model_validate(data)
    except ValidationError as exc:
        raise RuleFileError(path, _format_pydantic(exc)) from None
    stem = Path(path).stem
    if stem != spec.id:
        raise RuleFileError(path, f"id: {spec.id!r} does not match the file name {stem!r}")
    kinds = frozenset(KIND_OF_TYPE[t] for t in spec.resource_types)
    bindings = dict(SUBJECT)
    try:
        where = compile_condition(spec.where, "where", bindings) if spec.where is not None else None
        each_where = None
        if spec.each:
            rel = RELATIONS.get(spec.each.relation)
            if rel is None:
                raise ConditionError("each.relation", f"unknown relation {spec.each.relation!r}")
            if not kinds <= rel.kinds:
                wrong = ", ".join(sorted(kinds - rel.kinds))
                raise ConditionError(
                    "each.relation", f"relation {rel.name!r} does not apply to {wrong}"
                )
            if spec.each.as_ in bindings:
                raise ConditionError("each.as", f"{spec.each.as_!r} is the judged resource")
            bindings = {**bindings, spec.each.as_: rel}
            if spec.each.where is not None:
                each_where = compile_condition(spec.each.where, "each.where", bindings)
        check = compile_condition(spec.assert_, "assert", bindings)
        for cond in (where, each_where, check):
            for leaf in cond.leaves() if cond else ():
                if isinstance(leaf, RelationTest) and leaf.on == "subject":
                    rel = RELATIONS[leaf.relation]
                    if not kinds <= rel.kinds:
                        wrong = ", ".join(sorted(kinds - rel.kinds))
                        raise ConditionError(
                            "assert", f"relation {rel.name!r} does not apply to {wrong}"
                        )
        message_paths = {}
        for text in (spec.message, spec.remediation.summary, spec.remediation.cli):
            for ph in _PLACEHOLDER.findall(text):
                message_paths[ph] = RulePath.parse(ph, f"message placeholder {{{ph}}}", bindings)
    except ConditionError as exc:
        raise RuleFileError(path, str(exc)) from None
    return Rule(spec, path, where, each_where, check, message_paths)


class _RuleData:
    """The constructor side of the rule-file YAML, shared by the C and the pure loader:
    no key twice in one mapping (YAML would keep the last one silently: a second
    ``expires:`` would win unseen)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value if isinstance(node, yaml.MappingNode) else ():
            key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # unhashable: SafeLoader refuses the key itself
                continue
            if duplicate:
                raise yaml.MarkedYAMLError(
                    problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
                )
        return super().construct_mapping(node, deep)  # type: ignore[misc]


class _RuleLoader(_RuleData, yaml.SafeLoader):
    """YAML with only true/false as booleans: YAML 1.1 also reads on/off/yes/no as
    booleans, which would turn a relation test's ``on:`` key into True.

    Rule and suppression files may also hold neither anchors nor aliases (no shipped or
    example file needs them, and an alias bomb of a few kilobytes expands to billions of
    nodes for whatever walks the data) nor a key twice in one mapping."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.MarkedYAMLError(
                problem="anchors and aliases (&name, *name) are not allowed in this file",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)


_RuleLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_RuleLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _strict(kind: str, construct: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A SafeConstructor scalar constructor whose bad value is a YAML error with its line:
    ``!!timestamp x``, ``!!bool x`` and ``!!int ''`` fail inside PyYAML with an
    AttributeError, KeyError or IndexError, which would read as a bug (exit 4)."""

    def build(loader: Any, node: Any) -> Any:
        try:
            return construct(loader, node)
        except (AttributeError, KeyError, IndexError):
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value[:40]!r} is not a {kind}", node.start_mark
            ) from None

    return build


_STRICT = {"int": "number", "float": "number", "bool": "boolean", "timestamp": "timestamp"}

# libyaml's parser (PyYAML's CSafeLoader) reads the 58 shipped rules ~10x faster than the
# pure-Python one: a third of a small scan's start-up. Its composer is C, so the anchor
# check above cannot hook it; it is used only for text that is seen to have no anchor or
# alias, and only when it succeeds — anything else is read again by ``_RuleLoader``.
_CRuleLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CRuleLoader(_RuleData, yaml.CSafeLoader):  # type: ignore[no-redef]
        """``_RuleLoader``'s data (same resolvers, same constructor) from libyaml."""

    _CRuleLoader.yaml_implicit_resolvers = _RuleLoader.yaml_implicit_resolvers

for _loader in (_RuleLoader, _CRuleLoader):
    for _tag, _kind in _STRICT.items() if _loader is not None else ():
        _tag = f"tag:yaml.org,2002:{_tag}"
        _loader.add_constructor(_tag, _strict(_kind, yaml.SafeLoader.yaml_constructors[_tag]))

# Text libyaml reads otherwise than the pure loader (other data, or data where the pure
# loader refuses the file): any tag (a bare ``!`` is '' to libyaml, None to PyYAML), a tab,
# a BOM after the start, NEL/LS/PS line breaks, a character PyYAML's reader refuses as
# unprintable, a ``?`` (libyaml reads ``[?a]`` as a key and a ``?`` in a flow collection's
# plain scalar, both of which PyYAML refuses; one shipped rule has a ``?``), and a comment
# right after a block scalar's header (``|#``). Such text is read by the pure loader only,
# so a rule file is read alike with and without libyaml. The characters are named as a set
# (C0 but LF/CR, DEL and C1, surrogates, BOM, FFFE/F: what PyYAML's reader refuses, plus tab,
# NEL and BOM): the same set written as a complement, [^\n\r\x20-\x7e\xa0-\ud7ff...], compiles
# ~10x slower (a bitmap over all of Unicode, on every start-up). Two patterns, each searched
# at C speed from its first character, not one alternation tried at every position (~3x).
_PURE_ONLY = (
    re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f!?\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]"),
    re.compile(r"[|>][-+0-9]*#"),
)
# libyaml nests up to 1,000 levels, the pure loader as deep as Python's recursion limit
# allows (~300): data nested deeper than this is read again by the pure loader, which
# accepts or refuses it as it always has (a rule 900 levels deep passed libyaml, then
# failed in the rule compiler as a bug, exit 4).
_C_DEPTH = 64


def _no_anchors(text: str, loader: type) -> bool:
    """True when the YAML text has no anchor and no alias (an ``&`` or ``*`` that is only
    inside a scalar, as in ``subnets[*]``, is told apart by libyaml's own events)."""
    if "&" not in text and "*" not in text:
        return True
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return False
    return True


def _shallow(data: Any, limit: int) -> bool:
    """True when no list or dict in ``data`` is nested more than ``limit`` deep."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if value.__class__ is dict:
            value = value.values()
        elif value.__class__ is not list:
            continue
        if depth > limit:
            return False
        stack.extend((v, depth + 1) for v in value)
    return True


def _load_yaml(text: str) -> Any:
    """The data of a YAML text as ``_RuleLoader`` reads it, through libyaml when it can."""
    fast = _CRuleLoader
    if fast is not None and not any(p.search(text) for p in _PURE_ONLY):
        try:
            if _no_anchors(text, fast):
                data = yaml.load(text, Loader=fast)
                if _shallow(data, _C_DEPTH):
                    return data
        except (yaml.YAMLError, RecursionError, ValueError, TypeError):
            pass  # the pure loader reads it again and words the error as it always has
    return yaml.load(text, Loader=_RuleLoader)  # a SafeLoader subclass


def builtin_rules_dir() -> Path:
    """The rule files shipped in the wheel, or the checkout's ``rules/`` when running
    from source."""
    packaged = Path(str(resources.files("auditor"))) / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rules"


def read_yaml(f: Path, expected: str = "YAML") -> Any:
    """A YAML file's data (only true/false are booleans); any problem is one line."""
    from .files import read_text

    text = read_text(f, expected)
    try:
        return _load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RuleFileError(f, f"invalid YAML: {where}{problem}") from None
    except RecursionError:
        raise RuleFileError(f, "invalid YAML: nested too deeply") from None
    except (ValueError, TypeError) as exc:  # e.g. a date that is not a day: 2027-02-30
        raise RuleFileError(f, f"invalid YAML value: {exc}") from None


def load_rules(extra_dirs: list[str | Path] = ()) -> list[Rule]:  # type: ignore[assignment]
    """Load the built-in rules and any extra directories; any bad file raises. A custom rule
    may not use the reserved built-in prefix, and no two rules may share an id."""
    dirs = [builtin_rules_dir(), *map(Path, extra_dirs)]
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    loaded: set[Path] = set()  # a file reached twice (a directory named twice, a link) is one
    for n, d in enumerate(dirs):
        if not d.exists():
            raise RuleFileError(d, "no such rules directory")
        if not d.is_dir():
            raise RuleFileError(d, "is not a directory")
        for f in rule_files(d):
            real = Path(os.path.realpath(f))  # not resolve(): a link loop raises there
            if real in loaded:
                continue
            loaded.add(real)
            rule = compile_rule(read_yaml(f), str(f))
            check_id(rule, f, builtin=n == 0)
            if rule.id in seen:
                raise RuleFileError(f, f"id: {rule.id} is already defined in {seen[rule.id]}")
            seen[rule.id] = str(f)
            rules.append(rule)
    return sorted(rules, key=lambda r: r.id)


def check_id(rule: Rule, path: Path, builtin: bool) -> None:
    """What a rule's id must be where it is loaded from: a built-in's ``MLA-AREA-NNN``; a
    custom rule's anything but the reserved prefix (so an upgrade never collides with it)."""
    if builtin and not BUILTIN_ID.fullmatch(rule.id):
        raise RuleFileError(path, "id: a built-in rule's id must look like MLA-AREA-NNN")
    if builtin and not rule.spec.mcsb:
        raise RuleFileError(
            path, "mcsb: a built-in rule names the MCSB v1 controls it maps to (e.g. [NS-2])"
        )
    if not builtin and rule.id.startswith(RESERVED_PREFIX):  # ids are upper case (RULE_ID)
        raise RuleFileError(
            path,
            f"id: {rule.id}: the prefix {RESERVED_PREFIX} is reserved for built-in rules;"
            " give custom rules your organisation's own prefix (e.g. ORG-DNS-001)",
        )


def rule_files(directory: Path) -> list[Path]:
    """The rule files of a directory, in load order (also what an output must not
    overwrite)."""
    if not directory.is_dir():
        return []
    # the suffix in any case: 'ORG-NET-1.YAML' is a rule file, never skipped without a word
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in (".yaml", ".yml"))


def select_rules(rules: list[Rule], select: list[str], skip: list[str]) -> list[Rule]:
    """``--select``/``--skip``: a rule id, an id prefix of whole parts (``MLA-DNS``, ``ORG``)
    or a category (ids and prefixes compare case-insensitively)."""

    chosen = [r for r in rules if not select or any(_selects(r, t) for t in select)]
    return [r for r in chosen if not any(_selects(r, t) for t in skip)]


def check_selectors(rules: list[Rule], tokens: list[str]) -> str | None:
    """The first token that matches no rule (a likely typo), or None."""
    for t in tokens:
        if not any(_selects(r, t) for r in rules):
            return t
    return None


def _selects(rule: Rule, token: str) -> bool:
    """A category, the rule's id or whole leading parts of it: ``ORG-NET-1`` is not a
    prefix of ``ORG-NET-10`` (skipping one rule must not skip others), nor ``MLA`` of
    ``MLAX-…``."""
    t = token.strip()
    rid, want = rule.id.upper(), t.upper()
    parts = want if want.endswith("-") else want + "-"  # 'MLA-DNS-' is 'MLA-DNS'
    return t == rule.spec.category or rid == want or rid.startswith(parts)


# -- evaluation -------------------------------------------------------------------------
def render(template: str, paths: dict[str, RulePath], ctx: Context) -> str:
    def value(m: re.Match[str]) -> str:
        got = paths[m.group(1)].resolve(ctx)
        if isinstance(got, Unknown) or not got:
            return "(absent)"
        return ", ".join(_show(v) for v in got)

    return _PLACEHOLDER.sub(value, template).strip()


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ", ".join(_show(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={_show(x)}" for k, x in v.items())
    return str(v)


def _evidence(rule: Rule, ctx: Context, item: Item | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for cond in (rule.where, rule.each_where, rule.check):
        for leaf in cond.leaves() if cond else ():
            if isinstance(leaf, Compare | RelationTest):
                ev = leaf.evidence(ctx)
                if ev not in out:
                    out.append(ev)
    if item is not None:
        entry: dict[str, Any] = {"item": item.key}
        if item.edge:
            entry["edge"] = dict(item.edge)
        entry.update(item.extra)
        out.append(entry)
    return out


def evaluate(rules: list[Rule], graph: AuditGraph) -> AuditResult:
    """Run every rule over the graph.

    Subject by subject: every rule of a subject's type judges it in turn, so its row and
    the relations it asks are read while still in the processor's cache (rule by rule,
    each pass over 100k rows found them evicted: a third of the engine's time). Each rule
    records what it would alone: its judged subjects in the order of its
    ``resource_types`` and then of the estate; findings and not-evaluated records sorted."""
    result = AuditResult()
    cache: dict[tuple[str, str], Any] = {}  # relation results, shared by a subject's rules
    # One subject item and context for the subjects in turn, the item set to each: no
    # verdict, finding or record keeps either (a record copies the key).
    current = Item("")
    ctx = Context(graph, cache).bind("subject", current)
    running: list[tuple[Rule, RuleOutcome]] = []
    missing: dict[tuple[str, ...], tuple[str | None, list[tuple[str, str]]]] = {}
    for rule in rules:
        outcome = RuleOutcome(rule.id, rule.spec.severity, rule.spec.category)
        result.outcomes.append(outcome)
        needs = tuple(rule.spec.needs)  # the same answer for every rule that needs them
        if needs not in missing:
            missing[needs] = missing_collection(graph, needs)
        reason, lacking = missing[needs]
        if reason:
            outcome.reason = reason
            result.not_evaluated.append(NotEvaluated(rule.id, None, None, [reason]))
            continue
        for parent, why in lacking:  # their computes (say) were never read: not judged
            outcome.subjects += 1
            outcome.judged.append(graph.display_id(parent))
            subject = Item(key=graph.display_id(parent), node=parent)
            _not_evaluated(result, outcome, subject, None, (why,))
        running.append((rule, outcome))
    # per resource type, the rules that judge it, each with where it puts the ids judged
    by_type: dict[str, list[_Judge]] = {}
    judged_by: list[tuple[RuleOutcome, list[tuple[str, list[str]]]]] = []
    wheres = _shared_wheres(running, current)
    for rule, outcome in running:
        per_type: list[tuple[str, list[str]]] = []
        for rtype in rule.spec.resource_types:
            judged: list[str] = []
            per_type.append((rtype, judged))
            shared = _shared_relations(running, rule, rtype)
            where = wheres.get((rtype, _spelling(rule.spec.where)))
            judge = _judger(rule, graph, result, outcome, ctx, judged, shared, where)
            by_type.setdefault(rtype, []).append(judge)
        judged_by.append((outcome, per_type))
    for rtype, judges in by_type.items():
        forget_node_answers(graph)  # what the last type's subjects asked (see there)
        for node in graph.nodes_of_type(rtype):
            current.key, current.node = graph.display_id(node), node
            for judge in judges:
                judge(node, current)
            # Only this subject's rules ask its answers again: holding every answer to the
            # end cost ~50 MB at 100k rows (what relations share across subjects, they
            # memoize on the graph).
            if cache:
                cache.clear()
    # Judged: no report asks a relation again, and writing them reuses this memory (a
    # library caller that asks relations later has them computed again)
    graph.memo.clear()
    for outcome, per_type in judged_by:
        for rtype, judged in per_type:
            outcome.subjects += len(graph.nodes_of_type(rtype))
            outcome.judged.extend(judged)
            # Referenced but not collected (another subscription, say): say so, never pass.
            for node in graph.unseen_by_type.get(rtype, ()):
                outcome.subjects += 1
                outcome.judged.append(graph.display_id(node))
                who = ", ".join(graph.referrers(node, 3)) or "the estate"
                subject = Item(key=graph.display_id(node), node=node)
                reason = f"referenced by {who} but not in the estate"
                _not_evaluated(result, outcome, subject, None, (reason,))
    result.sort()
    return result


def _spelling(spec: Any) -> str | None:
    """A condition's YAML data as one text, its mappings in key order: equal texts are
    equal data (``1`` and ``"1"``, ``1`` and ``1.0``, ``true`` and ``1`` stay apart), so
    they compile to equal conditions. None for data nested too deeply to spell: that
    condition is shared with none."""

    def ordered(value: Any) -> Any:
        if isinstance(value, dict):
            pairs = ((ordered(k), ordered(v)) for k, v in value.items())
            return ("{", tuple(sorted(pairs, key=repr)))  # a YAML list is never a tuple
        if isinstance(value, list):
            return [ordered(v) for v in value]
        return value

    try:
        return repr(ordered(spec))
    except RecursionError:
        return None


def _shared_wheres(running: list[tuple[Rule, RuleOutcome]], current: Item) -> dict[Any, Run]:
    """For each type, a ``where`` several of its rules spell alike (DNS-002 and -003,
    NSG-002 and -003, ...), run once per subject (``current``) for all of them."""
    spelt: dict[tuple[str, str | None], Run] = {}
    shared: dict[tuple[str, str | None], Run] = {}
    for rule, _ in running:
        if rule.where is None:
            continue
        for rtype in rule.spec.resource_types:
            key = (rtype, _spelling(rule.spec.where))
            if key[1] is None:
                continue
            if key in spelt and key not in shared:
                shared[key] = _once_per_subject(spelt[key], current)
            spelt.setdefault(key, rule.where.run)
    return shared


def _once_per_subject(run: Run, current: Item) -> Run:
    """``run``, its verdict kept for the subject ``current`` holds (the same node object
    from one rule's call to the next; a condition's verdict depends only on its bindings
    and the graph)."""
    last: list[Any] = [None, None]  # node, verdict

    def once(ctx: Context) -> Truth:
        node = current.node
        if node is not last[0]:
            last[0], last[1] = node, run(ctx)
        return last[1]

    return once


def _shared_relations(running: list[tuple[Rule, RuleOutcome]], rule: Rule, rtype: str) -> bool:
    """Whether anything but the rule's ``each`` asks its relation of a subject of this
    type (another rule, or one of its own conditions): only then is the answer kept for
    the subject's other rules."""
    if rule.spec.each is None:
        return True
    name = rule.spec.each.relation
    for other, _ in running:
        if rtype not in other.spec.resource_types:
            continue
        conditions = (other.where, other.each_where, other.check)
        if other is not rule and name in other.relations:
            return True
        if any(
            isinstance(leaf, RelationTest) and leaf.relation == name
            for cond in conditions
            for leaf in (cond.leaves() if cond else ())
        ):
            return True
    return False


def _not_evaluated(
    result: AuditResult,
    outcome: RuleOutcome,
    subject: Item,
    item: Item | None,
    reasons: tuple[str, ...],
) -> None:
    outcome.not_evaluated += 1
    result.not_evaluated.append(
        NotEvaluated(outcome.rule_id, subject.key, item.key if item else None, list(reasons))
    )


_Judge = Callable[[str, Item], None]


def _judger(
    rule: Rule,
    graph: AuditGraph,
    result: AuditResult,
    outcome: RuleOutcome,
    ctx: Context,
    judged: list[str],
    shared: bool,
    shared_where: Run | None = None,
) -> _Judge:
    """How one rule judges one subject of a type (bound in ``ctx``): where → each →
    assert, counting every outcome, with what the rule is looked up once (this runs for
    every subject of every rule). A relation only the rule's ``each`` asks is not cached."""
    where = shared_where or (rule.where.run if rule.where else None)
    each = rule.spec.each
    each_where = rule.each_where.run if rule.each_where else None
    check = rule.check.run
    findings = result.findings
    cache = ctx.cache
    if each is not None:
        relation, alias = each.relation, each.as_
        answer = RELATIONS[relation].fn
        # one context for the items, of every subject in turn (the subject's binding is
        # the run's one subject item): no verdict or finding keeps it
        ictx = ctx.bind(alias, Item(""))
        bindings = ictx.bindings

    def judge(node: str, subject: Item) -> None:
        if where is not None:
            applies = where(ctx)
            if applies is not True:
                if applies is False:
                    outcome.not_applicable += 1
                    return
                judged.append(subject.key)
                _not_evaluated(result, outcome, subject, None, applies.reasons)
                return
        judged.append(subject.key)
        if each is None:
            verdict = check(ctx)
            if verdict is True:  # the common case, without record()'s call
                outcome.passed += 1
            else:
                record(node, subject, None, ctx, verdict)
            return
        if not shared:
            items = answer(graph, node)
        else:  # Context.related, inline
            items = cache.get((relation, node), _MISSING)
            if items is _MISSING:
                items = cache[(relation, node)] = answer(graph, node)
        if not items:  # the common case: nothing of this subject needs judging
            outcome.passed += 1
            return
        if isinstance(items, Unknown):
            _not_evaluated(result, outcome, subject, None, items.reasons)
            return
        candidates: list[Item] = []
        undecided = False
        for item in items:
            if item.unknown:
                _not_evaluated(result, outcome, subject, item, (item.unknown,))
                undecided = True
                continue
            if each_where is None:
                candidates.append(item)
                continue
            bindings[alias] = item
            keep = each_where(ictx)
            if keep is True:
                candidates.append(item)
            elif keep is not False:
                _not_evaluated(result, outcome, subject, item, keep.reasons)
                undecided = True
        if not candidates and not undecided:
            outcome.passed += 1  # nothing of this subject needed judging
        for item in candidates:
            bindings[alias] = item
            verdict = check(ictx)
            if verdict is True:
                outcome.passed += 1
            else:
                record(node, subject, item, ictx, verdict)

    def record(node: str, subject: Item, item: Item | None, ctx: Context, verdict: Truth) -> None:
        """A check's verdict on the subject (or one of its items) other than a pass: a
        finding, or not evaluated with why."""
        if verdict is False:
            outcome.failed += 1
            findings.append(_finding(rule, graph, node, item, ctx))
        elif isinstance(verdict, Unknown):
            _not_evaluated(result, outcome, subject, item, verdict.reasons)

    return judge


_MISSING = object()


def _finding(rule: Rule, graph: AuditGraph, node: str, item: Item | None, ctx: Context) -> Finding:
    spec = rule.spec
    related = (item.key or None) if item else None  # an empty key: the subject itself
    remediation = "\n".join(
        (
            render(spec.remediation.summary, rule.message_paths, ctx),
            render(spec.remediation.cli, rule.message_paths, ctx),
        )
    )
    return Finding(
        rule_id=spec.id,
        title=spec.title,
        severity=spec.severity,
        category=spec.category,
        resource_id=graph.display_id(node),
        resource_name=graph.name(node),
        resource_type=str(graph.row(node).get("type", "")).lower()
        or arm.arm_type(graph.display_id(node)),
        message=render(spec.message, rule.message_paths, ctx),
        evidence=_evidence(rule, ctx, item),
        remediation=remediation,
        fingerprint=fingerprint(spec.id, graph.display_id(node), related),
        related_id=related,
    )
