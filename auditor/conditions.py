"""The rule condition language: paths, comparisons, all/any/not, and graph relations.

Conditions are compiled once, when a rule file loads, into small objects that evaluate
against *bindings* — ``subject`` (the resource being judged), the ``each`` name (one item a
relation yields) and ``it`` inside a relation's ``where``. Evaluation is three-valued:
True, False, or :class:`~auditor.relations.Unknown` when it needs data the estate lacks.
The grammar is documented in ``docs/rules.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .collections import predates
from .model import ROW_FIELDS
from .relations import RELATIONS, Item, Relation, Unknown
from .unknown import UnknownValue

if TYPE_CHECKING:  # conditions compile without a graph: `rules list` never imports networkx
    from .graph import AuditGraph

Truth = bool | Unknown
# The values a path reaches from an item (empty when absent), or why they are unknown.
Reader = Callable[["AuditGraph", Item], list[Any] | Unknown]
# What each name a path may start with stands for: a relation's items, or (None) a
# resource row — the subject. Paths are checked against it when a rule loads.
Bindings = dict[str, Relation | None]
SUBJECT: Bindings = {"subject": None}
_ROW_FIELDS = {f.lower(): f for f in ROW_FIELDS}


class ConditionError(Exception):
    """A malformed condition; ``where`` is the dotted field path inside the rule file."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


# -- evaluation context -----------------------------------------------------------------
_MISSING = object()


class Context:
    """What a condition evaluates against: the graph, the bindings, and a relation cache
    shared by every rule that judges the subject (each relation runs once per subject and
    node; the engine empties it between subjects)."""

    __slots__ = ("bindings", "cache", "graph")

    def __init__(self, graph: AuditGraph, cache: dict[tuple[str, str], Any]) -> None:
        self.graph = graph
        self.cache = cache
        self.bindings: dict[str, Item] = {}

    def bind(self, name: str, item: Item) -> Context:
        # once per subject and per item of every rule: no second pass through __init__
        child = object.__new__(Context)
        child.graph = self.graph
        child.cache = self.cache
        bindings = self.bindings.copy()
        bindings[name] = item
        child.bindings = bindings
        return child

    def related(self, name: str, node: str) -> list[Item] | Unknown:
        key = (name, node)
        found = self.cache.get(key, _MISSING)
        if found is _MISSING:
            found = self.cache[key] = RELATIONS[name].fn(self.graph, node)
        return found


# -- paths ------------------------------------------------------------------------------
_SEGMENT = re.compile(r"([A-Za-z_$@][\w$@-]*)((?:\[(?:\*|\d+)\])*)")
_ALWAYS_KNOWN = frozenset({"id", "name", "type"})


@dataclass(frozen=True)
class Path:
    """``binding.a.b[*].c`` — the first segment names a binding."""

    text: str
    binding: str
    steps: tuple[str | int, ...]  # names, indexes, or "*" (every element)
    reader: Reader = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # the path's reader, specialised once: a path is read for every subject
        object.__setattr__(self, "reader", _reader(self.steps, self.text))

    @staticmethod
    def parse(text: str, where: str, bindings: Bindings) -> Path:
        if not isinstance(text, str) or not text:
            raise ConditionError(where, "a path must be a non-empty string")
        steps: list[str | int] = []
        for part in text.split("."):
            m = _SEGMENT.fullmatch(part)
            if not m:
                raise ConditionError(where, f"bad path segment {part!r} in {text!r}")
            steps.append(m.group(1))
            for idx in re.findall(r"\[(\*|\d+)\]", m.group(2)):
                steps.append("*" if idx == "*" else int(idx))
        first = steps[0]
        if first not in bindings:
            raise ConditionError(
                where,
                f"path {text!r} must start with one of {', '.join(sorted(bindings))}",
            )
        _check_fields(text, where, bindings[str(first)], steps[1:])
        return Path(text, str(first), tuple(steps[1:]))

    def resolve(self, ctx: Context) -> list[Any] | Unknown:
        """Every value the path reaches (empty when absent)."""
        return self.reader(ctx.graph, ctx.bindings[self.binding])


def _check_fields(text: str, where: str, rel: Relation | None, steps: list[str | int]) -> None:
    """Refuse a path into a field the binding cannot have: a typo (``need.linkd``,
    ``it.edge.stauts``, ``subject.propertes``) would otherwise read as absent and give
    false findings. Relation items offer their declared fields, ``edge.*`` when they carry
    an edge, and a resource's row fields when they are resources."""
    if not steps:
        return
    head = steps[0]
    if rel is None:
        allowed = dict(_ROW_FIELDS)
        owner = "a resource row"
    else:
        allowed = {f.lower(): f for f in rel.fields}
        if rel.edge:
            allowed["edge"] = "edge"
        if rel.node:
            allowed.update({k: v for k, v in _ROW_FIELDS.items() if k not in allowed})
        owner = f"an item of relation {rel.name!r}"
    if not isinstance(head, str) or head.lower() not in allowed:
        raise ConditionError(
            where,
            f"path {text!r}: {owner} has no field {head!r}"
            f"{_suggest(str(head), sorted(allowed.values()))}",
        )
    exact = rel is not None and (allowed[head.lower()] in rel.fields or head.lower() == "edge")
    if exact and head != allowed[head.lower()]:  # computed fields are read case-sensitively
        raise ConditionError(where, f"path {text!r}: the field is {allowed[head.lower()]!r}")
    if head.lower() == "edge" and rel is not None and rel.edge and len(steps) > 1:
        attr = steps[1]
        names = {a.lower(): a for a in rel.edge_fields}
        if not isinstance(attr, str) or attr.lower() not in names:
            raise ConditionError(
                where,
                f"path {text!r}: edge {rel.edge!r} has no attribute {attr!r}"
                f"{_suggest(str(attr), list(rel.edge_fields))}",
            )


def _get(obj: Any, name: str) -> Any:
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    low = name.lower()
    for k, v in obj.items():  # ARM casing is not reliable (App Insights uses PascalCase)
        if isinstance(k, str) and k.lower() == low:
            return v
    return None


def walk(value: Any, steps: tuple[str | int, ...]) -> list[Any]:
    # Most paths name fields of objects exactly: follow them without lists; at the first
    # step that is not such a field, go on with the general walk from there.
    i = 0
    n = len(steps)
    while i < n and type(value) is dict:
        step = steps[i]
        if type(step) is not str or step == "*":
            break
        got = value.get(step)
        if got is None:
            break
        value = got
        i += 1
    if i == n:
        return [] if value is None else [value]
    values = [value]
    for step in steps[i:]:
        nxt: list[Any] = []
        for v in values:
            if type(v) is UnknownValue:  # what lies beyond it is unknown too
                nxt.append(v)
            elif step == "*":
                if isinstance(v, list):
                    nxt.extend(v)
            elif isinstance(step, int):
                if isinstance(v, list) and -len(v) <= step < len(v):
                    nxt.append(v[step])
            else:
                got = _get(v, step)
                if got is not None:
                    nxt.append(got)
        values = nxt
    return [v for v in values if v is not None]


def _reader(steps: tuple[str | int, ...], text: str) -> Reader:
    """The values a path reaches from an item — an item's own field (``edge``, an extra),
    else its node's row: unknown for a node referenced but not in the estate, for a value
    known only after apply, or for a property read before its API version had it. What
    depends on the path alone is decided here, and the exact-case walk of a row inlined."""
    if not steps:
        return lambda graph, item: [item.key]
    head, rest = steps[0], steps[1:]
    if head == "edge":
        return _edge_reader(rest)
    named = isinstance(head, str)
    always = head in _ALWAYS_KNOWN
    n = len(steps)
    plain = all(type(s) is str and s != "*" for s in steps)
    computed = not rest  # a computed value itself (``need.linked``): walk() of no steps

    def read(graph: AuditGraph, item: Item) -> list[Any] | Unknown:
        extra = item.extra
        if extra and named and head in extra:
            if computed:
                got = extra[head]
                return [] if got is None else [got]
            return walk(extra[head], rest)
        node = item.node
        if node is None:
            return []
        if not always and not graph.seen(node):
            return Unknown.of(
                f"{graph.display_id(node)} is referenced but not in the estate,"
                f" so {text} is unknown"
            )
        row = graph.row(node)
        if plain:  # walk()'s fast path, without the call
            value: Any = row
            i = 0
            while i < n and type(value) is dict:
                got = value.get(steps[i])
                if got is None:
                    break
                value = got
                i += 1
            values = [value] if i == n else walk(value, steps[i:])
        else:
            values = walk(row, steps)
        if graph.has_unknown_values:
            for v in values:
                if type(v) is UnknownValue:
                    return Unknown.of(f"{graph.display_id(node)}: {text} is unknown: {v.reason}")
        if not values and (why := predates(row, steps)):  # read before the property existed
            return Unknown.of(f"{graph.display_id(node)}: {why}, so {text} is unknown")
        return values

    return read


def _edge_reader(steps: tuple[str | int, ...]) -> Reader:
    """``edge.<attribute>``: walk() of the item's edge attributes, with its fast path for
    one named attribute inline (every peering, connection and link test reads one)."""
    attr = steps[0] if len(steps) == 1 and type(steps[0]) is str and steps[0] != "*" else None

    def read(graph: AuditGraph, item: Item) -> list[Any] | Unknown:
        edge = item.edge
        if attr is not None and type(edge) is dict:
            got = edge.get(attr)
            if got is not None:
                return [got]
        return walk(edge or {}, steps)

    return read


# -- comparisons ------------------------------------------------------------------------
def _norm(value: Any) -> Any:
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        return low
    return value


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an integer beyond a double (JSON allows 400 digits)
            return float("inf") if value > 0 else float("-inf")
    try:
        return float(str(value))
    except ValueError:
        return None


def _present(value: Any) -> bool:
    return value is not None and value != [] and value != {} and value != ""


def _same(a: Any, e: Any) -> bool:
    """Equal, with booleans apart from numbers: Python holds ``0 == False``, and a rule
    that asks for ``false`` must not be satisfied by a 0 in the data."""
    if isinstance(a, bool) or isinstance(e, bool):
        return isinstance(a, bool) and isinstance(e, bool) and a is e
    return bool(a == e)


def _one_of(expected: list[Any]) -> Callable[[Any], bool]:
    wanted = [_norm(x) for x in expected]

    def test(actual: Any) -> bool:
        a = _norm(actual)
        return any(_same(a, w) for w in wanted)

    if all(type(w) is str for w in wanted):
        # Only text is wanted (never "true"/"false": those normalise to booleans), so a
        # text value is in it exactly when its normal form is; anything else as above.
        texts = frozenset(wanted)

        def text_test(actual: Any) -> bool:
            if isinstance(actual, str):
                return actual.strip().lower() in texts
            return test(actual)

        return text_test
    return test


def _equals(expected: Any) -> Callable[[Any], bool]:
    e = _norm(expected)
    if type(e) is str:  # the common case, as _same(_norm(a), e) without the calls

        def text_test(a: Any) -> bool:
            if isinstance(a, str):
                return a.strip().lower() == e  # "true"/"false" never equal e
            return _same(_norm(a), e)

        return text_test
    if type(e) is bool:
        spelled = "true" if e else "false"

        def bool_test(a: Any) -> bool:
            if isinstance(a, str):
                return a.strip().lower() == spelled
            return a is e  # only a boolean is a boolean (0 is not false)

        return bool_test
    return lambda a: _same(_norm(a), e)


def _numeric(fn: Callable[[float, float], bool]) -> Callable[[Any], Callable[[Any], bool]]:
    def make(expected: Any) -> Callable[[Any], bool]:
        e = _num(expected)

        def test(actual: Any) -> bool:
            a = _num(actual)
            return a is not None and e is not None and fn(a, e)

        return test

    return make


def _contains(expected: Any) -> Callable[[Any], bool]:
    e = _norm(expected)
    return lambda a: isinstance(a, list) and any(_same(_norm(x), e) for x in a)


def _not(make: Callable[[Any], Callable[[Any], bool]]) -> Callable[[Any], Callable[[Any], bool]]:
    def negated(expected: Any) -> Callable[[Any], bool]:
        test = make(expected)
        return lambda a: not test(a)

    return negated


# Each operator turns the rule's expected value into a test of one actual value; the
# expected side is normalised once, when the rule compiles.
OPERATORS: dict[str, Callable[[Any], Callable[[Any], bool]]] = {
    "equals": _equals,
    "not_equals": _not(_equals),
    "in": _one_of,
    "not_in": _not(_one_of),
    "matches": lambda rx: lambda a: a is not None and rx.search(_utf8(str(a))) is not None,
    "contains": _contains,
    "gt": _numeric(lambda a, e: a > e),
    "gte": _numeric(lambda a, e: a >= e),
    "lt": _numeric(lambda a, e: a < e),
    "lte": _numeric(lambda a, e: a <= e),
}
NEGATIVE = frozenset({"not_equals", "not_in"})
_POSITIVE = {"not_equals": "equals", "not_in": "in"}


# -- condition nodes --------------------------------------------------------------------
Run = Callable[[Context], Truth]


class Condition:
    """A compiled condition. ``run`` evaluates it: one closure, built when the condition
    is made, that calls its parts' closures directly — a scan runs it for every subject
    and item, and nothing about the condition's shape is looked at again."""

    run: Run

    def eval(self, ctx: Context) -> Truth:
        return self.run(ctx)

    def leaves(self) -> Iterator[Condition]:
        yield self


def merge_unknown(values: list[Truth]) -> Unknown:
    reasons: list[str] = []
    for v in values:
        if isinstance(v, Unknown):
            reasons.extend(r for r in v.reasons if r not in reasons)
    return Unknown(tuple(reasons))


@dataclass
class Junction(Condition):
    """``all`` (decided by the first False) or ``any`` (by the first True), in Kleene
    logic: with no deciding part, an unknown part makes the whole unknown."""

    parts: list[Condition]
    decider: bool  # False for all, True for any

    def __post_init__(self) -> None:
        runs = tuple(part.run for part in self.parts)
        decider = self.decider
        other = not decider

        def run(ctx: Context) -> Truth:
            pending: list[Truth] | None = None  # the parts that decided nothing (unknown)
            for part in runs:
                r = part(ctx)
                if r is decider:
                    return decider
                if r is not other:
                    if pending is None:
                        pending = [r]
                    else:
                        pending.append(r)
            return merge_unknown(pending) if pending else other

        self.run = run

    def leaves(self) -> Iterator[Condition]:
        for p in self.parts:
            yield from p.leaves()


@dataclass
class Not(Condition):
    part: Condition

    def __post_init__(self) -> None:
        inner = self.part.run

        def run(ctx: Context) -> Truth:
            r = inner(ctx)
            return r if isinstance(r, Unknown) else not r

        self.run = run

    def leaves(self) -> Iterator[Condition]:
        yield from self.part.leaves()


@dataclass
class Const(Condition):
    value: bool

    def __post_init__(self) -> None:
        value = self.value
        self.run = lambda ctx: value

    def leaves(self) -> Iterator[Condition]:
        return iter(())


@dataclass
class Compare(Condition):
    path: Path
    op: str
    expected: Any
    match: str  # "any" | "all"
    default: Any
    absent: str  # "null" | "unknown"

    def __post_init__(self) -> None:
        self.test = None if self.op == "exists" else OPERATORS[self.op](self.expected)
        # "none of the values equals" for the negative operators
        self.every = self.match == "all" or self.op in NEGATIVE
        self.run = self._compile()

    def _compile(self) -> Run:
        read, binding, text = self.path.reader, self.path.binding, self.path.text
        # what an absent value reads as: the default, unknown, or null
        absent = [self.default] if self.default is not None else [None]
        unknown_if_absent = self.default is None and self.absent == "unknown"
        if self.test is None:  # exists: whether any value is present
            want = bool(self.expected)

            def exists(ctx: Context) -> Truth:
                values = read(ctx.graph, ctx.bindings[binding])
                if isinstance(values, Unknown):
                    return values
                if len(values) == 1:
                    return _present(values[0]) == want
                if not values:
                    if unknown_if_absent:
                        return Unknown.of(f"{text} is absent")
                    values = absent
                return any(_present(v) for v in values) == want

            return exists
        # A negative operator's test is its positive one negated (``is not negate``), here
        # rather than in one more call per value: every test answers a bool.
        negate = self.op in NEGATIVE
        test = OPERATORS[_POSITIVE[self.op]](self.expected) if negate else self.test
        every = self.every

        def compare(ctx: Context) -> Truth:
            values = read(ctx.graph, ctx.bindings[binding])
            if isinstance(values, Unknown):
                return values
            if len(values) == 1:
                return test(values[0]) is not negate
            if not values:
                if unknown_if_absent:
                    return Unknown.of(f"{text} is absent")
                return test(absent[0]) is not negate
            if every:
                return all(test(v) is not negate for v in values)
            return any(test(v) is not negate for v in values)

        return compare

    def evidence(self, ctx: Context) -> dict[str, Any]:
        values = self.path.resolve(ctx)
        if isinstance(values, Unknown):
            return {"path": self.path.text, "unknown": list(values.reasons)}
        value: Any = values[0] if len(values) == 1 else (values or None)
        return {"path": self.path.text, "value": value}


@dataclass
class RelationTest(Condition):
    relation: str
    on: str
    alias: str
    where: Condition | None
    quantifier: str  # "exists" | "count"
    expected: Any  # bool for exists; (op, n) for count

    def __post_init__(self) -> None:
        self.run = self._compile()

    def matches(self, ctx: Context) -> tuple[int, list[str], list[Item]] | Unknown:
        """(true count, why each undecided item is undecided, matching items)."""
        subject = ctx.bindings[self.on]
        if subject.node is None:
            return Unknown.of(f"{self.on} is not a resource, relation {self.relation} needs one")
        if not ctx.graph.seen(subject.node):
            return Unknown.of(f"{ctx.graph.display_id(subject.node)} is not in the estate")
        items = ctx.related(self.relation, subject.node)
        if isinstance(items, Unknown):
            return items
        hits, undecided, matched = 0, [], []
        for item in items:
            if item.unknown:
                undecided.append(item.unknown)
                continue
            r = True if self.where is None else self.where.run(ctx.bind(self.alias, item))
            if r is True:
                hits += 1
                matched.append(item)
            elif isinstance(r, Unknown):
                undecided.append("; ".join(r.reasons))
        return hits, undecided, matched

    def _compile(self) -> Run:
        """:meth:`matches` and the verdict on its count as one closure, without the list
        of matching items (only evidence shows them)."""
        on, name, alias = self.on, self.relation, self.alias
        where = self.where.run if self.where is not None else None
        expected = self.expected
        if self.quantifier == "exists":
            count_test = None
            none = not expected
        else:
            op, n = expected
            count_test = OPERATORS[op](n)
            none = count_test(0)

        def run(ctx: Context) -> Truth:
            node = ctx.bindings[on].node
            if node is None:
                return Unknown.of(f"{on} is not a resource, relation {name} needs one")
            graph = ctx.graph
            if not graph.seen(node):
                return Unknown.of(f"{graph.display_id(node)} is not in the estate")
            cache = ctx.cache  # Context.related, inline
            items = cache.get((name, node), _MISSING)
            if items is _MISSING:
                items = cache[(name, node)] = RELATIONS[name].fn(graph, node)
            if not items:  # most subjects: no item, so the verdict on a count of 0
                return none
            if isinstance(items, Unknown):
                return items
            hits = 0
            undecided: list[str] = []
            # one context for the items in turn: a verdict never keeps the context
            child = ctx.bind(alias, items[0]) if where is not None else ctx
            bindings = child.bindings
            for item in items:
                if item.unknown:
                    undecided.append(item.unknown)
                    continue
                if where is None:
                    r: Truth = True
                else:
                    bindings[alias] = item
                    r = where(child)
                if r is True:
                    hits += 1
                    if count_test is None:  # one match decides exists, whatever the rest
                        return expected
                elif r is not False:
                    undecided.append("; ".join(r.reasons))
            if not undecided:
                return (hits > 0) == expected if count_test is None else count_test(hits)
            last = hits + len(undecided)
            if count_test is None:  # every count the undecided items could still make
                results = {(hits > 0) == expected, (last > 0) == expected}
            else:
                results = {count_test(c) for c in range(hits, last + 1)}
            if len(results) == 1:
                return results.pop()
            return Unknown(tuple(dict.fromkeys(undecided)))

        return run

    def evidence(self, ctx: Context) -> dict[str, Any]:
        got = self.matches(ctx)
        if isinstance(got, Unknown):
            return {"relation": self.relation, "unknown": list(got.reasons)}
        return {"relation": self.relation, "matching": [i.key for i in got[2]]}


# -- compiling --------------------------------------------------------------------------
_LEAF_KEYS = {"path", "match", "default", "absent", *OPERATORS, "exists"}
_REL_KEYS = {"relation", "on", "as", "where", "exists", "count"}


def compile_condition(
    spec: Any, where: str, bindings: Bindings, kinds: frozenset[str] | None = None
) -> Condition:
    """Turn the YAML form of a condition into a Condition, checking every key."""
    if isinstance(spec, bool):
        return Const(spec)
    if not isinstance(spec, dict) or len(spec) == 0:
        raise ConditionError(where, "a condition must be a mapping (or true/false)")
    keys = set(spec)
    for combinator in ("all", "any"):
        if combinator in keys:
            if keys != {combinator}:
                extra = ", ".join(sorted(keys - {combinator}))
                raise ConditionError(where, f"'{combinator}' stands alone; remove {extra}")
            parts = spec[combinator]
            if not isinstance(parts, list) or not parts:
                raise ConditionError(f"{where}.{combinator}", "needs a non-empty list")
            compiled = [
                compile_condition(p, f"{where}.{combinator}[{i}]", bindings, kinds)
                for i, p in enumerate(parts)
            ]
            return Junction(compiled, decider=combinator == "any")
    if "not" in keys:
        if keys != {"not"}:
            raise ConditionError(where, "'not' stands alone")
        return Not(compile_condition(spec["not"], f"{where}.not", bindings, kinds))
    if "relation" in keys:
        return _compile_relation(spec, where, bindings)
    if "path" in keys:
        return _compile_compare(spec, where, bindings)
    raise ConditionError(
        where,
        f"unknown condition keys {', '.join(sorted(map(str, keys)))}; expected all, any, not, "
        "path or relation",
    )


def _compile_compare(spec: dict[str, Any], where: str, bindings: Bindings) -> Compare:
    unknown = set(spec) - _LEAF_KEYS
    if unknown:
        bad = sorted(map(str, unknown))[0]
        hint = _suggest(bad, [*OPERATORS, "exists", "match", "default", "absent"])
        raise ConditionError(where, f"unknown operator {bad!r}{hint}")
    ops = [k for k in spec if k in OPERATORS or k == "exists"]
    if len(ops) != 1:
        raise ConditionError(
            where, f"needs exactly one operator, got {len(ops)}: {', '.join(ops) or 'none'}"
        )
    op = ops[0]
    expected = spec[op]
    if op == "exists" and not isinstance(expected, bool):
        raise ConditionError(f"{where}.exists", "must be true or false")
    if op in ("in", "not_in") and not isinstance(expected, list):
        raise ConditionError(f"{where}.{op}", "must be a list")
    if op == "matches":
        expected = _linear_regex(str(expected), f"{where}.matches")
    if op in ("gt", "gte", "lt", "lte") and _num(expected) is None:
        raise ConditionError(f"{where}.{op}", "must be a number")
    match = spec.get("match", "any")
    if match not in ("any", "all"):
        raise ConditionError(f"{where}.match", "must be 'any' or 'all'")
    absent = spec.get("absent", "null")
    if absent not in ("null", "unknown"):
        raise ConditionError(f"{where}.absent", "must be 'null' or 'unknown'")
    path = Path.parse(spec["path"], f"{where}.path", bindings)
    return Compare(path, op, expected, match, spec.get("default"), absent)


def _linear_regex(pattern: str, where: str) -> Any:
    """A ``matches`` pattern, case-insensitive, compiled by RE2: its time is linear in the
    text, so a rule file cannot hang a scan (Python's backtracking ``re`` takes minutes
    for ``(a+)+$`` against forty characters), and its compiled size is bounded (RE2's 8 MiB
    per pattern). RE2 has no backreferences or lookaround: such a pattern is refused here,
    when the rule loads."""
    import re2  # only a rule with 'matches' needs it

    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # RE2 would print its own copy of the error on stderr
    try:
        return re2.compile(_utf8(pattern), options)
    except re2.error as exc:
        problem = exc.args[0] if exc.args else exc
        if isinstance(problem, bytes):
            problem = problem.decode("utf-8", "replace")
        raise ConditionError(where, f"bad regular expression: {problem}") from None


def _utf8(text: str) -> bytes:
    """What RE2 reads: UTF-8, a lone surrogate (JSON can carry one) passed through as its
    bytes rather than failing the whole scan on one odd value."""
    return text.encode("utf-8", "surrogatepass")


def _compile_relation(spec: dict[str, Any], where: str, bindings: Bindings) -> RelationTest:
    unknown = set(spec) - _REL_KEYS
    if unknown:
        raise ConditionError(
            where,
            f"unknown key {sorted(map(str, unknown))[0]!r} in a relation "
            f"test (allowed: {', '.join(sorted(_REL_KEYS))})",
        )
    name = spec["relation"]
    if not isinstance(name, str) or name not in RELATIONS:
        raise ConditionError(
            f"{where}.relation", f"unknown relation {name!r}{_suggest(str(name), list(RELATIONS))}"
        )
    on = spec.get("on", "subject")
    if not isinstance(on, str) or on not in bindings:
        raise ConditionError(f"{where}.on", f"unknown binding {on!r}")
    alias = spec.get("as", "it")
    if not isinstance(alias, str) or not alias.isidentifier():
        raise ConditionError(f"{where}.as", "must be a name")
    if alias in bindings and "where" in spec:
        raise ConditionError(
            f"{where}.as", f"{alias!r} is already bound here; name the items otherwise"
        )
    inner = None
    if "where" in spec:
        inner = compile_condition(
            spec["where"], f"{where}.where", {**bindings, alias: RELATIONS[name]}
        )
    if ("exists" in spec) == ("count" in spec):
        raise ConditionError(where, "a relation test needs exactly one of exists or count")
    if "exists" in spec:
        if not isinstance(spec["exists"], bool):
            raise ConditionError(f"{where}.exists", "must be true or false")
        return RelationTest(name, on, alias, inner, "exists", spec["exists"])
    count = spec["count"]
    if not isinstance(count, dict) or len(count) != 1:
        raise ConditionError(f"{where}.count", "must be one comparison, e.g. {gte: 1}")
    ((op, n),) = count.items()
    if op not in ("equals", "gt", "gte", "lt", "lte") or not isinstance(n, int):
        raise ConditionError(
            f"{where}.count", "use one of equals, gt, gte, lt, lte with an integer"
        )
    return RelationTest(name, on, alias, inner, "count", (op, n))


def _suggest(word: str, choices: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
