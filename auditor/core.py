"""The pipeline core: one audit, from inputs to the run that every report renders.

    rules (load, select) → inputs (read, or collect live) → graph → rules engine → triage

The CLI parses options, plans outputs and chooses exit codes around this; the tests and
the benchmark call it directly, and so can anyone who wants the findings as objects::

    from auditor import audit
    run = audit(["fixtures/reference-terraform.json"])
    print([f.rule_id for f in run.result.findings])

Nothing here imports the Azure SDK or the collector: a live scan hands in a ``collect``
callable, which the core calls after the cheap checks (rule selection, triage files) so a
typo never costs a collection.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import crossref, inputs
from . import graph as graph_stage
from . import progress as progress_stage
from . import rules as rules_stage
from .clouds import CLOUDS
from .crossref import CrossReference
from .findings import SEVERITIES, AuditResult
from .graph import AuditGraph
from .rules import Rule

# A live collection's result: a name for the report's inputs, and the snapshot document.
Collected = tuple[str, dict[str, Any]]


class UsageError(Exception):
    """The audit was asked for something it cannot do; the CLI prints it, exit 2."""


class SelectionError(UsageError):
    """``--select`` / ``--skip`` named nothing: a likely typo, refused before any work."""

    def __init__(self, option: str, token: str) -> None:
        super().__init__(f"{option} {token}: matches no rule id, id prefix or category")


@dataclass
class Run:
    """Everything a report shows: the graph (with its estate), the rules that ran and their
    results, and the triage (suppressions, baseline) applied to them."""

    graph: AuditGraph
    result: AuditResult
    fail_on: str
    rules: list[Rule]
    generated_at: str
    suppressions: dict[str, Any] | None = None  # triage.apply_suppressions' account
    baseline: dict[str, Any] | None = None  # triage.apply_baseline's account
    sarif_category: str | None = None  # SARIF runAutomationDetails.id, only when asked
    crossref: CrossReference | None = None  # what Azure Policy and Defender flag too
    # seconds per stage (load, graph, rules, triage): for the benchmark, never in a report
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def rules_run(self) -> list[str]:
        return [r.id for r in self.rules]

    @property
    def failed(self) -> bool:
        return self.result.fails_at(self.fail_on)

    @property
    def complete(self) -> bool:
        """Every input was read whole and every selected check was evaluated: only then
        can "no finding" mean a pass."""
        return not self.graph.estate.gaps and not self.result.not_evaluated

    def shortfall(self) -> str:
        """Why the run is not complete, in a few words ("" when it is)."""
        parts = []
        if self.graph.estate.gaps:
            parts.append(f"{len(self.graph.estate.gaps)} coverage gap(s) in the inputs")
        if self.result.not_evaluated:
            rules = len({n.rule_id for n in self.result.not_evaluated})
            parts.append(
                f"{len(self.result.not_evaluated)} check(s) of {rules} rule(s) not evaluated"
            )
        return " and ".join(parts)


LAST_EPOCH = 253402300799  # 9999-12-31T23:59:59Z: the last time with a four-digit year


def timestamp() -> str:
    """The run's time, UTC, to the second; ``SOURCE_DATE_EPOCH`` pins it (reproducible
    reports). A value that is not whole seconds from 0 to ``LAST_EPOCH`` (ASCII digits,
    as ``date +%s`` prints) is a UsageError: a typo must not silently unpin the time, and
    a huge one must not overflow the clock. Empty counts as unset."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not (epoch.isascii() and epoch.isdigit() and len(epoch) <= 12) or int(epoch) > LAST_EPOCH:
        raise UsageError(
            f"SOURCE_DATE_EPOCH={epoch[:40]!r}: expected whole seconds since 1970-01-01 UTC "
            f"(date +%s), at most {LAST_EPOCH}"
        )
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def choose_rules(all_rules: list[Rule], select: Sequence[str], skip: Sequence[str]) -> list[Rule]:
    """The rules ``select``/``skip`` leave (ids, id prefixes or categories); a token that
    matches no rule at all raises SelectionError."""
    for option, tokens in (("--select", select), ("--skip", skip)):
        typo = rules_stage.check_selectors(all_rules, list(tokens))
        if typo is not None:
            raise SelectionError(option, typo)
    chosen = rules_stage.select_rules(all_rules, list(select), list(skip))
    if all_rules and not chosen:  # a run that judges nothing would read as a clean pass
        raise UsageError("--select/--skip leave no rule to run")
    return chosen


def audit(
    snapshots: str | Path | Sequence[str | Path] = (),
    *,
    terraform: str | Path | Sequence[str | Path] = (),
    terraform_plans: str | Path | Sequence[str | Path] = (),
    input_options: inputs.InputOptions | None = None,
    collect: Callable[[], Collected] | None = None,
    rules: list[Rule] | None = None,
    rule_dirs: str | Path | Sequence[str | Path] = (),
    select: str | Sequence[str] = (),
    skip: str | Sequence[str] = (),
    fail_on: str = "high",
    baseline: str | Path | None = None,
    suppressions: str | Path | None = None,
    cloud: str | None = None,
    sarif_category: str | None = None,
    generated_at: str | None = None,
    progress: progress_stage.Progress = progress_stage.NONE,
) -> Run:
    """Audit the estate in ``snapshots``, Terraform root module directories
    (``terraform``, with the variable values of ``input_options``) and plans
    (``terraform_plans``), merged — or the one ``collect`` returns — with the built-in
    rules, plus ``rule_dirs`` (or exactly ``rules``), narrowed by ``select`` and ``skip``,
    and apply the baseline and suppression files.

    Bad input raises ``InputError`` / ``RuleFileError`` (one line naming the file); a
    selector that matches nothing, no input at all, or a ``SOURCE_DATE_EPOCH`` that is not
    whole seconds in range raises UsageError, before any work; findings are never an
    exception. ``progress`` hears the stages (load, audit) as they run; nothing of it
    reaches the Run.
    """
    snapshots, rule_dirs = _paths(snapshots), _paths(rule_dirs)
    specs: list[str | Path | inputs.Input] = [
        *snapshots,
        *(inputs.Input(p, "terraform") for p in _paths(terraform)),
        *(inputs.Input(p, "terraform-plan") for p in _paths(terraform_plans)),
    ]
    select, skip = _words(select), _words(skip)
    _check(specs, collect, fail_on, cloud, generated_at)
    when = generated_at if generated_at is not None else timestamp()  # a bad pin: before work
    all_rules = rules if rules is not None else rules_stage.load_rules(list(rule_dirs))
    chosen = choose_rules(all_rules, select, skip)
    # read the triage files first: a typo there must not cost a live collection
    if baseline is not None or suppressions is not None:
        from . import triage  # its file schemas (pydantic models) only when asked: ~20 ms
    known = triage.read_report(baseline, "baseline") if baseline is not None else None
    entries = triage.load_suppressions(suppressions) if suppressions is not None else None
    clock = _Clock()
    if collect is not None:
        name, document = collect()
        clock.lap("collect")
        estate = inputs.Estate()
        inputs.add_document(name, document, estate)
    else:
        estate = _load(specs, input_options or inputs.InputOptions(), progress)
    if cloud:
        estate.cloud = cloud
    if not estate.rows:  # nothing seen is nothing judged: never a pass
        where = ", ".join(source.path for source in estate.sources) or "the inputs"
        estate.gaps.append({"path": where, "problem": "holds no resources: nothing was judged"})
    clock.lap("load")
    progress.begin(progress_stage.AUDIT, 2, "building the graph")
    graph = graph_stage.build(estate)
    clock.lap("graph")
    progress.step(progress_stage.AUDIT, 1, f"running {_count(len(chosen), 'rule')}")
    result = rules_stage.evaluate(chosen, graph)
    # Terraform input: addresses, and the file and line that decide each finding
    result.relabel(estate.origins, {r.id: r.deciding() for r in chosen})
    clock.lap("rules")
    run = Run(
        graph,
        result,
        fail_on,
        chosen,
        when,
        sarif_category=sarif_category,
        crossref=crossref.build(estate, chosen, result.findings),
    )
    if entries is not None:
        from . import triage

        # expiry is judged on the run's date, so a pinned run time gives the same report
        today = dt.date.fromisoformat(run.generated_at[:10])
        run.suppressions = triage.apply_suppressions(
            result, graph, entries, str(suppressions), today, len(chosen) < len(all_rules)
        )
    if known is not None:
        from . import triage

        run.baseline = triage.apply_baseline(result, graph, known, str(baseline))
    clock.lap("triage")
    run.timings = clock.laps
    progress.step(progress_stage.AUDIT, 2)
    progress.end(
        progress_stage.AUDIT,
        f"{_count(len(chosen), 'rule')} on {_count(len(estate.rows), 'resource')}",
    )
    return run


def _load(
    specs: list[str | Path | inputs.Input],
    options: inputs.InputOptions,
    progress: progress_stage.Progress,
) -> inputs.Estate:
    """:func:`inputs.load`, input by input, telling ``progress`` which it is reading."""
    estate = inputs.Estate()
    names = [str(s.path if isinstance(s, inputs.Input) else s) for s in specs]
    progress.begin(progress_stage.LOAD, len(specs), names[0] if names else "")
    for done, spec in enumerate(specs):
        progress.step(progress_stage.LOAD, done, names[done])
        inputs.load_file(spec, estate, options)
    progress.step(progress_stage.LOAD, len(specs))
    progress.end(
        progress_stage.LOAD,
        f"{_count(len(specs), 'input')}, {_count(len(estate.rows), 'resource')}",
    )
    return estate


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _paths(value: str | Path | Sequence[str | Path]) -> list[str | Path]:
    """One path or several: a lone string is a path, never a sequence of characters."""
    return [value] if isinstance(value, str | Path) else list(value)


def _words(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _check(
    snapshots: list[str | Path | inputs.Input],
    collect: Callable[[], Collected] | None,
    fail_on: str,
    cloud: str | None,
    generated_at: str | None,
) -> None:
    """Refuse what the audit cannot use before doing any work: a wrong value must fail here
    with its name, not as a KeyError deep inside a rule."""
    if collect is None and not snapshots:
        raise UsageError(
            "audit needs snapshot inputs or a collect callable (or Terraform directories or plans)"
        )
    if collect is not None and snapshots:
        raise UsageError("audit takes file inputs or a collect callable, not both")
    if fail_on not in (*SEVERITIES, "none"):
        raise UsageError(f"fail_on {fail_on!r}: choose from {', '.join(SEVERITIES)}, none")
    if cloud is not None and cloud not in CLOUDS:
        raise UsageError(f"cloud {cloud!r}: choose from {', '.join(CLOUDS)}")
    if generated_at is not None:
        try:
            dt.datetime.strptime(generated_at, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise UsageError(
                f"generated_at {generated_at!r}: expected UTC as YYYY-MM-DDTHH:MM:SSZ"
            ) from None


class _Clock:
    """Seconds spent per stage, so the benchmark can say where a scan's time goes."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = now - self._last
        self._last = now
