"""``mlops-audit validate``: check rule, suppression, baseline and config files without Azure.

Each file is read by the very loader a scan uses (``rules.compile_rule``,
``triage.load_suppressions``, ``triage.read_report``, ``config.check_file``), so validate
can never accept a file a
scan refuses, nor word a problem differently: there is no second validator to drift. It
needs no credentials and builds no graph (networkx is never imported), which is what lets a
pre-commit hook or a fork's pull request run it.

A file kind is one entry in :data:`KINDS` (its name, the check, whether a path looks like
it): a new kind is one more entry there; the CLI's ``--kind`` choices and the detection
follow from the registry. A config file is checked against the CLI's own parser, which the
caller passes in (this module does not import the CLI).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import InputError
from .rules import (
    RULE_ID,
    Rule,
    RuleFileError,
    builtin_rules_dir,
    check_id,
    compile_rule,
    load_rules,
    read_yaml,
    rule_files,
)


@dataclass
class Context:
    """What a rule file joins: the rules a scan would load with it (built-in and
    ``--rules DIR``), by id, so that a duplicate id is refused as ``load_rules`` refuses it."""

    ids: dict[str, tuple[Path, str]] = field(default_factory=dict)  # id: (file, as named)
    parser: Any = None  # the CLI's argparse parser: what a config file may set

    @classmethod
    def of(cls, rule_dirs: Iterable[str | Path], parser: Any = None) -> Context:
        rules: list[Rule] = load_rules(list(rule_dirs))  # a bad --rules DIR raises
        return cls({r.id: (Path(r.path).resolve(), r.path) for r in rules}, parser)


def _check_rule(path: Path, context: Context) -> None:
    rule = compile_rule(read_yaml(path), str(path))
    here = path.resolve()
    check_id(rule, path, builtin=here.parent == builtin_rules_dir().resolve())
    other, named = context.ids.setdefault(rule.id, (here, str(path)))
    if other != here:  # the same file given twice, or once in --rules, is no duplicate
        raise RuleFileError(path, f"id: {rule.id} is already defined in {named}")


def _check_suppressions(path: Path, context: Context) -> None:
    from .triage import load_suppressions

    load_suppressions(path)


def _check_baseline(path: Path, context: Context) -> None:
    from .triage import read_report

    read_report(path, "baseline")


def _check_config(path: Path, context: Context) -> None:
    from .config import check_file

    if context.parser is None:
        raise InputError(
            path,
            "a config file is checked against the CLI's options: pass "
            "validate() the parser (auditor.cli.build_parser())",
        )
    check_file(path, context.parser)


@dataclass(frozen=True)
class Kind:
    """One kind of file validate knows: how a path names it and how the scan loads it."""

    name: str
    check: Callable[[Path, Context], None]
    named: re.Pattern[str]  # a path this kind's conventional names match (the hook's files)


# The registry, in detection order: the first kind whose name pattern matches a path wins;
# a YAML file no pattern names is a rule (what a rules directory holds).
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("config", _check_config, re.compile(r"^\.?mlops-audit\.ya?ml$")),
        Kind("suppressions", _check_suppressions, re.compile(r"suppressions?[^/]*\.ya?ml$")),
        Kind("baseline", _check_baseline, re.compile(r"\.json$")),
        Kind("rule", _check_rule, re.compile(r"\.ya?ml$")),
    )
}


def validate(
    paths: Iterable[str | Path],
    kind: str | None = None,
    rule_dirs: Iterable[str | Path] = (),
    parser: Any = None,
) -> tuple[int, list[str]]:
    """How many files were checked, and every problem as one ``file: problem`` line, in
    argument order (none when all are valid). A directory stands for its ``*.yaml`` files,
    each a rule, as ``scan --rules DIR`` reads them. ``parser``: the CLI's, to check config
    files against."""
    try:
        context = Context.of(rule_dirs, parser)
    except (InputError, RuleFileError) as exc:
        return 0, [str(exc)]
    checked, problems = 0, []
    for raw in paths:
        if not str(raw).strip():  # an unset variable must not read as the current directory
            problems.append(f"{raw!r}: needs a file path, got an empty value")
            continue
        path = Path(raw)
        if path.is_dir():
            if kind not in (None, "rule"):
                problems.append(f"{path}: is a directory (a directory holds rule files)")
                continue
            files = [(f, kind or "rule") for f in rule_files(path)]
            if not files:
                problems.append(f"{path}: no rule files (*.yaml, *.yml) in this directory")
        elif not path.exists() and not path.is_symlink():  # said before what it would be
            problems.append(f"{path}: no such file")
            continue
        else:
            files = [(path, kind or _named(path))]
        for f, name in files:
            if name is None:
                choices = "|".join(sorted(KINDS))
                problems.append(f"{f}: cannot tell its kind from the name; pass --kind {choices}")
                continue
            checked += 1
            try:
                KINDS[name].check(f, context)
            except (InputError, RuleFileError) as exc:
                problems.append(str(exc))
    return checked, problems


def _named(path: Path) -> str | None:
    """The kind a path's name says, or None (then ``--kind`` must say). A YAML file named
    like a rule id is a rule (a rule file is named after its id), whatever word the id
    holds: ORG-SUPPRESSIONS-1.yaml is no suppressions file."""
    if path.suffix.lower() in (".yaml", ".yml") and RULE_ID.fullmatch(path.stem):
        return "rule"
    name = path.name.lower()
    return next((k.name for k in KINDS.values() if k.named.search(name)), None)
