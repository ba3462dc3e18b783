"""Stage 4: findings, the not-evaluated record, and the run's result.

A finding names the exact resource and says why; its fingerprint stays the same for the
same problem across runs (rule id, resource id and the related item, case-insensitively),
so baselines and SARIF can track it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from . import arm

if TYPE_CHECKING:
    from .estate import Origin

Severity = Literal["critical", "high", "medium", "low", "info"]
Category = Literal[
    "public-access",
    "private-endpoint",
    "private-dns",
    "peering",
    "nsg",
    "public-ip",
    "authentication",
]
SEVERITIES: tuple[str, ...] = get_args(Severity)  # most severe first
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}  # 0 is the most severe
CATEGORIES: tuple[str, ...] = get_args(Category)


def fingerprint(rule_id: str, resource_id: str, item_key: str | None) -> str:
    text = "|".join((rule_id, resource_id.lower(), (item_key or "").lower()))
    # surrogatepass: an id from the estate may carry a lone surrogate (JSON allows it)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass
class Finding:
    rule_id: str
    title: str
    severity: str
    category: str
    resource_id: str
    resource_name: str
    resource_type: str
    message: str
    evidence: list[dict[str, Any]]
    remediation: str
    fingerprint: str
    related_id: str | None = None
    # For source-code input (Terraform): the file and line that decide, {"file", "line"}
    location: dict[str, Any] | None = None
    # Set by triage.py: the suppression entry that covers this finding, and whether a
    # baseline already knew it ("unchanged") or not ("new"). None when not asked for.
    suppression: dict[str, Any] | None = None
    baseline: str | None = None
    # Set by crossref.py: the Azure Policy states and Defender assessments that flag the
    # resource too (a list, maybe empty); None when neither was collected ("not available",
    # never "nothing flags it")
    also_flagged_by: list[dict[str, Any]] | None = None

    @property
    def counts(self) -> bool:
        """Whether the finding counts toward ``--fail-on``: not suppressed, not in the
        baseline."""
        return self.suppression is None and self.baseline != "unchanged"

    def sort_key(self) -> tuple[Any, ...]:
        return (
            SEVERITY_RANK[self.severity],
            self.rule_id,
            self.resource_id.lower(),
            (self.related_id or "").lower(),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class NotEvaluated:
    """A rule that could not judge a resource (or the whole estate: resource_id None)."""

    rule_id: str
    resource_id: str | None
    related_id: str | None
    reasons: list[str]

    def sort_key(self) -> tuple[str, str, str]:
        return (self.rule_id, (self.resource_id or "").lower(), (self.related_id or "").lower())


@dataclass
class RuleOutcome:
    """How one rule fared over the estate."""

    rule_id: str
    severity: str
    category: str
    subjects: int = 0
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0
    not_evaluated: int = 0
    reason: str | None = None  # why the whole rule was not evaluated
    # Ids of the subjects the rule judged (every one but the not-applicable), in estate
    # order: with the findings and the not-evaluated record they give one verdict per
    # rule and resource (JUnit test cases, the HTML drawing).
    judged: list[str] = field(default_factory=list, repr=False)

    @property
    def status(self) -> str:
        if self.reason is not None:
            return "not-evaluated"
        if self.failed:
            return "fail"
        if self.not_evaluated:
            return "incomplete"
        if self.passed:
            return "pass"
        return "not-applicable"


@dataclass
class AuditResult:
    findings: list[Finding] = field(default_factory=list)
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    outcomes: list[RuleOutcome] = field(default_factory=list)

    def sort(self) -> None:
        self.findings.sort(key=Finding.sort_key)
        self.not_evaluated.sort(key=NotEvaluated.sort_key)
        self.outcomes.sort(key=lambda o: o.rule_id)

    def relabel(
        self, origins: dict[str, Origin], deciding: Mapping[str, Deciding] | None = None
    ) -> None:
        """Name resources that came from source code (Terraform) as their source does:
        the address instead of the synthesized ARM id, everywhere an id is printed, and
        give each finding the file and line that decide it: the first of the rule's
        ``deciding`` paths (its check) the source sets on the resource, else on the
        related item, else the resource's other evidence, else the resource's block.
        ``origins`` is keyed by ``arm.key``. Fingerprints follow the address, so they
        stay stable across runs."""
        if not origins:
            return
        names = Relabel(origins)
        deciding = deciding or {}
        for f in self.findings:
            f.location = _locate(f, origins, deciding.get(f.rule_id))
            f.resource_id = names.id(f.resource_id)
            f.related_id = names.text(f.related_id) if f.related_id else f.related_id
            f.message = names.text(f.message)
            f.remediation = names.text(f.remediation)
            f.evidence = names.value(f.evidence)
            f.fingerprint = fingerprint(f.rule_id, f.resource_id, f.related_id)
        for n in self.not_evaluated:
            n.resource_id = names.id(n.resource_id) if n.resource_id else n.resource_id
            n.related_id = names.text(n.related_id) if n.related_id else n.related_id
            n.reasons = [names.text(r) for r in n.reasons]
        for o in self.outcomes:
            o.judged = [names.id(j) for j in o.judged]
        self.sort()

    def counts_by_severity(self) -> dict[str, int]:
        c = Counter(f.severity for f in self.findings)
        return {s: c.get(s, 0) for s in SEVERITIES}

    def counts_by_category(self) -> dict[str, int]:
        c = Counter(f.category for f in self.findings)
        return {cat: c.get(cat, 0) for cat in CATEGORIES}

    def fails_at(self, threshold: str) -> bool:
        """True when some counting finding (not suppressed, not in the baseline) is at or
        above ``threshold`` (``none`` never fails)."""
        return bool(self.failing(threshold))

    def failing(self, threshold: str) -> list[Finding]:
        """The counting findings at or above ``threshold``."""
        if threshold == "none":
            return []
        limit = SEVERITY_RANK[threshold]
        return [f for f in self.findings if f.counts and SEVERITY_RANK[f.severity] <= limit]


@dataclass(frozen=True)
class Deciding:
    """The paths of a rule's check, in order (``subject.properties.x``,
    ``peer.properties.y``), and the name its related items are bound to."""

    paths: tuple[str, ...]
    item: str | None = None


def _locate(
    f: Finding, origins: dict[str, Origin], deciding: Deciding | None
) -> dict[str, Any] | None:
    origin = origins.get(arm.key(f.resource_id))
    related = origins.get(arm.key(f.related_id)) if f.related_id else None
    if origin is None and related is None:
        return None
    checked = list(deciding.paths) if deciding else []
    evidence = [e["path"] for e in f.evidence if isinstance(e.get("path"), str)]
    own = [p.removeprefix("subject.") for p in checked if p.startswith("subject.")]
    if origin is not None and (found := origin.set_in_source(own)) is not None:
        return found
    if related is not None and deciding is not None and deciding.item:
        prefix = deciding.item + "."
        theirs = [p.removeprefix(prefix) for p in checked if p.startswith(prefix)]
        if (found := related.set_in_source(theirs)) is not None:
            return found
    if origin is None:
        return None  # the related item's block says nothing of the subject
    rest = [p.removeprefix("subject.") for p in evidence if p.startswith("subject.")]
    return origin.location(rest)


# an id in text; a synthesized id may hold "{<address> <what>}" where a part is unknown
_ARM_ID = re.compile(r"/subscriptions/(?:\{[^{}]*\}|[^\s,;'\"()<>\[\]{}])+", re.IGNORECASE)


class Relabel:
    """Turns synthesized ARM ids into Terraform addresses: whole ids, and ids in text."""

    def __init__(self, origins: dict[str, Origin]) -> None:
        self.origins = origins

    def id(self, rid: str) -> str:
        origin = self.origins.get(arm.key(rid))
        return origin.address if origin is not None else rid

    def text(self, text: str) -> str:
        """``text`` with every synthesized id in it (a whole id too) named by address."""
        if "/subscriptions/" not in text.lower():
            return text
        return _ARM_ID.sub(self._one, text)

    def _one(self, m: re.Match[str]) -> str:
        rid = m.group(0)
        tail = ""
        while rid and rid[-1] in ".:":  # sentence punctuation after an id
            rid, tail = rid[:-1], rid[-1] + tail
        return self.id(rid) + tail

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value
