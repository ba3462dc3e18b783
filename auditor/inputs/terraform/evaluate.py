"""Evaluate HCL expression trees (from ``hcl.py``) as Terraform would, without ``apply``.

Values are JSON-like. What cannot be known is an :class:`~auditor.unknown.UnknownValue`
naming why; it propagates through operators and functions (a function with an unknown
argument gives an unknown result, except where Terraform itself decides without it:
``try``, ``coalesce``, ``length`` of a list with unknown elements, a conditional whose
branches agree, ``false && x``). What Terraform would reject (a type error, a missing key)
raises :class:`EvalError` inside and becomes an unknown at the attribute that holds it, so
``try`` and ``can`` see errors as Terraform does. Nothing is guessed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...unknown import UnknownValue
from .hcl import Expr


class EvalError(Exception):
    """What Terraform would report as an error evaluating an expression."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StaticError(EvalError):
    """An error Terraform reports before evaluating (a reference to a variable, local,
    resource or module that is not declared): ``try`` and ``can`` do not catch it."""


# Hostile input can multiply values without bound (forty locals each doubling the last, a
# YAML alias bomb, nested for expressions): every evaluation step and every value visited
# is paid from one budget per configuration, and a string or collection past these sizes
# is refused. What runs out becomes an unknown saying so: slow, never a hang.
MAX_STRING = 16 * 1024 * 1024
MAX_ITEMS = 1_000_000


MAX_STEPS = 2_000_000  # what one expression may spend


class _Budget:
    left = 10_000_000


def reset_budget(steps: int) -> None:
    _Budget.left = steps


def charge(steps: int = 1) -> None:
    _Budget.left -= steps
    if _Budget.left < 0:
        raise EvalError("the configuration multiplies its values beyond what this reader evaluates")


def checked(value: Any) -> Any:
    """``value`` when its size is within the limits (a new string or collection)."""
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise EvalError(f"a string of {len(value)} characters, too large to evaluate")
    elif isinstance(value, list | dict) and len(value) > MAX_ITEMS:
        raise EvalError(f"a collection of {len(value)} elements, too large to evaluate")
    return value


class Lazy:
    """A namespace whose members are evaluated on first use (``var``, ``local``, a
    resource type's instances by name): ``get(name)`` returns the member's value."""

    __slots__ = ("getter", "label")

    def __init__(self, label: str, getter: Callable[[str], Any]) -> None:
        self.label = label
        self.getter = getter

    def get(self, name: str) -> Any:
        return self.getter(name)


class ResObj(dict[str, Any]):
    """A resource instance's (or one of its nested blocks') attributes: an attribute the
    configuration does not set is computed by the provider — known only after apply."""

    __slots__ = ("origin",)

    def __init__(self, origin: str, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.origin = origin


class Context:
    """Where names resolve: ``resolve(root)`` for ``var``/``local``/``module``/resource
    types, ``bindings`` for iteration names (``each``, ``count``, for-expression names),
    and the module directory (file functions) bounded by the root directory."""

    __slots__ = ("bindings", "module_dir", "resolve", "root_dir")

    def __init__(
        self,
        resolve: Callable[[str], Any],
        bindings: dict[str, Any] | None = None,
        module_dir: Path | None = None,
        root_dir: Path | None = None,
    ) -> None:
        self.resolve = resolve
        self.bindings = bindings or {}
        self.module_dir = module_dir
        self.root_dir = root_dir

    def bind(self, names: dict[str, Any]) -> Context:
        return Context(self.resolve, {**self.bindings, **names}, self.module_dir, self.root_dir)


def no_names(name: str) -> Any:
    """The resolver of a constant context (tfvars, variable defaults)."""
    raise EvalError(f"{name} cannot be referred to here")


CONSTANT = Context(no_names)


# -- conversions ------------------------------------------------------------------------


def num(value: Any) -> int | float:
    """A number as Terraform keeps it: integral values as int."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise EvalError("a number that is not finite")
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value


_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.A)
_INT_TEXT = re.compile(r"[+-]?[0-9]+", re.A)


def to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise EvalError("a bool where a number is required")
    if isinstance(value, int | float):
        return num(value)
    if isinstance(value, str):
        # as cty parses a string (big.ParseFloat, base 10): ASCII digits, no spaces, no
        # underscores (Python's int() would take " 22", "2_2" and fullwidth digits)
        if _NUMBER_TEXT.fullmatch(value):
            return num(int(value)) if _INT_TEXT.fullmatch(value) else num(float(value))
        raise EvalError(f"{value[:40]!r} is not a number")
    raise EvalError(f"{type_name(value)} where a number is required")


def to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        value = num(value)
        return str(value) if isinstance(value, int) else repr(value)
    if value is None:
        raise EvalError("a null value where a string is required")
    raise EvalError(f"{type_name(value)} where a string is required")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    # cty's string-to-bool conversion: "true"/"1" and "false"/"0" only ("True" is an error)
    if value in ("true", "1") and isinstance(value, str):
        return True
    if value in ("false", "0") and isinstance(value, str):
        return False
    raise EvalError(f"{type_name(value)} where a bool is required")


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, Lazy):
        return f"the {value.label} namespace"
    return "a value"


def find_unknown(value: Any) -> UnknownValue | None:
    """The first unknown inside a value (depth first), each value visited paid for."""
    stack = [value]
    while stack:
        v = stack.pop()
        if type(v) is UnknownValue:
            return v
        if isinstance(v, dict):
            charge(len(v) + 1)
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, list):
            charge(len(v) + 1)
            stack.extend(reversed(v))
    return None


def unknown_in(*values: Any) -> UnknownValue | None:
    for v in values:
        u = find_unknown(v)
        if u is not None:
            return u
    return None


# -- traversal --------------------------------------------------------------------------


def get_attr(base: Any, name: str) -> Any:
    if type(base) is UnknownValue:
        return base
    if isinstance(base, Lazy):
        return base.get(name)
    if isinstance(base, dict):
        if name in base:
            return base[name]
        if isinstance(base, ResObj):
            return UnknownValue(f"{base.origin}.{name} is known only after apply")
        raise EvalError(f"an object without the attribute {name!r}")
    if base is None:
        raise EvalError(f"null has no attribute {name!r}")
    if isinstance(base, list):
        raise EvalError(f"a list has no attribute {name!r} (use an index or [*])")
    raise EvalError(f"{type_name(base)} has no attribute {name!r}")


def get_index(base: Any, key: Any) -> Any:
    if type(base) is UnknownValue:
        return base
    if type(key) is UnknownValue:
        return key
    if isinstance(base, Lazy):
        return base.get(to_string(key))
    if isinstance(base, list):
        i = to_number(key)
        if not isinstance(i, int) or i < 0 or i >= len(base):
            raise EvalError(f"index {key!r} out of range for a list of {len(base)}")
        return base[i]
    if isinstance(base, dict):
        k = to_string(key)
        if k in base:
            return base[k]
        if isinstance(base, ResObj):
            return UnknownValue(f"{base.origin}[{k!r}] is known only after apply")
        raise EvalError(f"no key {k!r} in the map")
    if base is None:
        raise EvalError("null cannot be indexed")
    raise EvalError(f"{type_name(base)} cannot be indexed")


# -- evaluation -------------------------------------------------------------------------


def evaluate(expr: Expr, ctx: Context) -> Any:
    """The value of ``expr``; EvalError where Terraform would report an error."""
    _Budget.left -= 1
    if _Budget.left < 0:
        charge(0)
    return _EVAL[expr[0]](expr, ctx)


def evaluate_safe(expr: Expr, ctx: Context, where: str = "") -> Any:
    """The value, or an UnknownValue saying what went wrong (never an exception).

    One expression may spend at most MAX_STEPS of the budget, so a single hostile value
    cannot leave the rest of the configuration unevaluated."""
    outer = _Budget.left
    allowed = min(outer, MAX_STEPS)
    _Budget.left = allowed
    try:
        return _evaluate_safe(expr, ctx, where)
    finally:
        _Budget.left = outer - (allowed - _Budget.left)


def _evaluate_safe(expr: Expr, ctx: Context, where: str) -> Any:
    try:
        value = evaluate(expr, ctx)
    except EvalError as e:
        return UnknownValue(f"{where}: {e.reason}" if where else e.reason)
    except RecursionError:
        return UnknownValue(f"{where}: nested too deeply to evaluate" if where else "too deep")
    if isinstance(value, Lazy):
        return UnknownValue(f"{where}: the whole {value.label} namespace is not a value")
    return value


def _lit(e: Expr, ctx: Context) -> Any:
    return e[1]


def _paren(e: Expr, ctx: Context) -> Any:
    return evaluate(e[1], ctx)


def _bad(e: Expr, ctx: Context) -> Any:
    return UnknownValue(f"{e[1]} is not evaluated")


def _ref(e: Expr, ctx: Context) -> Any:
    name = e[1]
    if name in ctx.bindings:
        return ctx.bindings[name]
    return ctx.resolve(name)


def _get(e: Expr, ctx: Context) -> Any:
    return get_attr(evaluate(e[1], ctx), e[2])


def _idx(e: Expr, ctx: Context) -> Any:
    return get_index(evaluate(e[1], ctx), evaluate(e[2], ctx))


def _splat(e: Expr, ctx: Context) -> Any:
    base = evaluate(e[1], ctx)
    if type(base) is UnknownValue:
        return base
    if base is None:
        return []
    items = base if isinstance(base, list) else [base]
    out = []
    for item in items:
        for op in e[2]:
            if op[0] == "get":
                item = get_attr(item, op[1])
            else:
                item = get_index(item, evaluate(op[1], ctx))
        out.append(item)
    return out


def stringify(value: Any) -> str:
    if value is None:
        raise EvalError("a null value in a string template")
    return to_string(value)


def _template(items: tuple[Any, ...], ctx: Context) -> Any:
    parts: list[str] = []
    for it in items:
        if isinstance(it, str):
            parts.append(it)
            continue
        kind = it[0]
        if kind == "tif":
            c = evaluate(it[1], ctx)
            if type(c) is UnknownValue:
                return c
            v = _template(it[2] if to_bool(c) else it[3], ctx)
        elif kind == "tfor":
            coll = evaluate(it[3], ctx)
            if type(coll) is UnknownValue:
                return coll
            pieces = []
            for k, val in _pairs(coll):
                charge()
                names = {it[2]: val}
                if it[1]:
                    names[it[1]] = k
                pieces.append(_template(it[4], ctx.bind(names)))
            u = unknown_in(pieces)
            if u:
                return u
            v = checked("".join(pieces))
        else:
            v = evaluate(it, ctx)
        if type(v) is UnknownValue:
            return v
        u = find_unknown(v)
        if u is not None:
            return u
        parts.append(stringify(v))
        if len(parts[-1]) > MAX_STRING:
            checked(parts[-1])
    return checked("".join(parts))


def _tpl(e: Expr, ctx: Context) -> Any:
    items = e[1]
    if len(items) == 1 and not isinstance(items[0], str) and items[0][0] not in ("tif", "tfor"):
        return evaluate(items[0], ctx)  # "${x}" is x itself, of its own type
    return _template(items, ctx)


def _pairs(coll: Any) -> list[tuple[Any, Any]]:
    if isinstance(coll, list):
        return list(enumerate(coll))
    if isinstance(coll, dict):
        return [(k, coll[k]) for k in sorted(coll)]
    if isinstance(coll, Lazy):
        raise EvalError(f"the {coll.label} namespace cannot be iterated")
    raise EvalError(f"{type_name(coll)} cannot be iterated")


def _tuple(e: Expr, ctx: Context) -> Any:
    return [evaluate(x, ctx) for x in e[1]]


def _object(e: Expr, ctx: Context) -> Any:
    out: dict[str, Any] = {}
    for k, v in e[1]:
        key = evaluate(k, ctx)
        if type(key) is UnknownValue:
            return key
        out[to_string(key)] = evaluate(v, ctx)
    return out


def _for(e: Expr, ctx: Context) -> Any:
    _, kname, vname, coll_e, key_e, val_e, cond_e, group = e
    coll = evaluate(coll_e, ctx)
    if type(coll) is UnknownValue:
        return coll
    is_obj = key_e is not None
    out_list: list[Any] = []
    out_obj: dict[str, Any] = {}
    for k, v in _pairs(coll):
        charge()
        names = {vname: v}
        if kname:
            names[kname] = k
        sub = ctx.bind(names)
        if cond_e is not None:
            c = evaluate(cond_e, sub)
            if type(c) is UnknownValue:
                return c
            if not to_bool(c):
                continue
        if is_obj:
            key = evaluate(key_e, sub)
            if type(key) is UnknownValue:
                return key
            key = to_string(key)
            val = evaluate(val_e, sub)
            if group:
                out_obj.setdefault(key, []).append(val)
            elif key in out_obj:
                raise EvalError(f"duplicate key {key!r} in a for expression (use ...)")
            else:
                out_obj[key] = val
        else:
            out_list.append(evaluate(val_e, sub))
    return checked(out_obj if is_obj else out_list)


def _cond(e: Expr, ctx: Context) -> Any:
    c = evaluate(e[1], ctx)
    if type(c) is UnknownValue:
        try:
            a, b = evaluate(e[2], ctx), evaluate(e[3], ctx)
        except EvalError:
            return c
        if unknown_in(a, b) is None and _same(*_unified(a, b)):
            return _unified(a, b)[0]  # both branches agree: the condition does not matter
        return c
    chosen, other = (e[2], e[3]) if to_bool(c) else (e[3], e[2])
    value = evaluate(chosen, ctx)
    if type(value) in _PRIMITIVE:
        # the result has the type both branches unify to (`c ? false : "x"` is a string
        # whichever is taken): the other branch is evaluated for its type only, and its
        # errors do not count, as in HCL
        try:
            alt = evaluate(other, ctx)
        except EvalError:
            return value
        return _unified(value, alt)[0]
    return value


_PRIMITIVE = (str, int, float, bool)


def _kind(v: Any) -> str | None:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    return "string" if isinstance(v, str) else None


def _unified(a: Any, b: Any) -> tuple[Any, Any]:
    """Two primitive values converted to the type HCL unifies them to: a string and a
    number or bool both become strings; a bool and a number do not unify (unknown)."""
    ka, kb = _kind(a), _kind(b)
    if ka is None or kb is None or ka == kb:
        return a, b
    if "string" in (ka, kb):
        return to_string(a), to_string(b)
    u = UnknownValue("a conditional whose results are a bool and a number (no common type)")
    return u, u


def equal(a: Any, b: Any) -> Any:
    u = unknown_in(a, b)
    if u is not None:
        return u
    return _same(a, b)


def _same(a: Any, b: Any) -> bool:
    _Budget.left -= 1
    if _Budget.left < 0:
        charge(0)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if type(a) is not type(b) and not (isinstance(a, dict) and isinstance(b, dict)):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _bin(e: Expr, ctx: Context) -> Any:
    op = e[1]
    a = evaluate(e[2], ctx)
    b = evaluate(e[3], ctx)
    if op in ("==", "!="):
        r = equal(a, b)
        if type(r) is UnknownValue:
            return r
        return r if op == "==" else not r
    if op in ("&&", "||"):
        # the result is decided by one known side: false && x, true || x
        for side in (a, b):
            if type(side) is not UnknownValue and to_bool(side) is (op == "||"):
                return op == "||"
        for side in (a, b):
            if type(side) is UnknownValue:
                return side
        return to_bool(a) and to_bool(b) if op == "&&" else to_bool(a) or to_bool(b)
    for side in (a, b):
        if type(side) is UnknownValue:
            return side
    x, y = to_number(a), to_number(b)
    if op == "+":
        return num(x + y)
    if op == "-":
        return num(x - y)
    if op == "*":
        return num(x * y)
    if op == "/":
        if y == 0:
            raise EvalError("division by zero")
        return num(x / y)
    if op == "%":
        if y == 0:
            raise EvalError("modulo by zero")
        return (
            num(math.fmod(x, y))
            if isinstance(x, float) or isinstance(y, float)
            else (int(math.copysign(abs(x) % abs(y), x)))
        )
    if op == "<":
        return x < y
    if op == ">":
        return x > y
    if op == "<=":
        return x <= y
    if op == ">=":
        return x >= y
    raise EvalError(f"the operator {op!r}")


def _un(e: Expr, ctx: Context) -> Any:
    v = evaluate(e[2], ctx)
    if type(v) is UnknownValue:
        return v
    if e[1] == "!":
        return not to_bool(v)
    return num(-to_number(v))


def _call(e: Expr, ctx: Context) -> Any:
    from .functions import call

    return call(e[1], e[2], e[3], ctx)


_EVAL: dict[str, Callable[[Expr, Context], Any]] = {
    "lit": _lit,
    "paren": _paren,
    "bad": _bad,
    "ref": _ref,
    "get": _get,
    "idx": _idx,
    "splat": _splat,
    "tpl": _tpl,
    "tuple": _tuple,
    "object": _object,
    "for": _for,
    "cond": _cond,
    "bin": _bin,
    "un": _un,
    "call": _call,
}


# -- references -------------------------------------------------------------------------

_NOT_REFERENCES = frozenset({"each", "count", "path", "terraform", "self"})


def references(expr: Expr, bound: frozenset[str] = frozenset()) -> set[str]:
    """The objects an expression names: ``var.x``, ``local.y``, ``module.m``,
    ``data.t.n``, ``t.n`` (iteration names and ``each``/``count``/``path`` are not)."""
    out: set[str] = set()
    _refs(expr, bound, out)
    return out


def _chain(expr: Expr) -> tuple[str | None, list[str], list[Expr]]:
    """Root name, leading attribute names, and the index expressions on the way."""
    steps: list[str] = []
    index_exprs: list[Expr] = []
    node = expr
    while True:
        kind = node[0]
        if kind == "get":
            steps.append(node[2])
            node = node[1]
        elif kind == "idx":
            index_exprs.append(node[2])
            steps.append("[]")
            node = node[1]
        elif kind == "splat":
            for op in node[2]:
                if op[0] == "idx":
                    index_exprs.append(op[1])
            steps.append("[]")
            node = node[1]
        elif kind == "ref":
            steps.reverse()
            return node[1], steps, index_exprs
        else:
            steps.reverse()
            return None, steps, [*index_exprs, node]


def _refs(expr: Expr, bound: frozenset[str], out: set[str]) -> None:
    kind = expr[0]
    if kind in ("get", "idx", "splat", "ref"):
        root, steps, others = _chain(expr)
        if root is not None and root not in bound and root not in _NOT_REFERENCES:
            names = [s for s in steps[:2] if s != "[]"]
            if root in ("var", "local", "module") and steps and steps[0] != "[]":
                out.add(f"{root}.{steps[0]}")
            elif root == "data" and len(names) == 2 and steps[1] != "[]":
                out.add(f"data.{names[0]}.{names[1]}")
            elif root not in ("var", "local", "module", "data") and steps and steps[0] != "[]":
                out.add(f"{root}.{steps[0]}")
        for o in others:
            _refs(o, bound, out)
        return
    if kind in ("lit", "bad"):
        return
    if kind == "tpl":
        _refs_items(expr[1], bound, out)
        return
    if kind == "for":
        _, k, v, coll, key, val, cond, _g = expr
        _refs(coll, bound, out)
        inner = bound | {n for n in (k, v) if n}
        for x in (key, val, cond):
            if x is not None:
                _refs(x, inner, out)
        return
    if kind == "call":
        for a in expr[2]:
            _refs(a, bound, out)
        return
    if kind == "object":
        for k, v in expr[1]:
            _refs(k, bound, out)
            _refs(v, bound, out)
        return
    if kind == "tuple":
        for x in expr[1]:
            _refs(x, bound, out)
        return
    for x in expr[1:]:
        if isinstance(x, tuple) and x and isinstance(x[0], str):
            _refs(x, bound, out)


def _refs_items(items: tuple[Any, ...], bound: frozenset[str], out: set[str]) -> None:
    for it in items:
        if isinstance(it, str):
            continue
        if it[0] == "tif":
            _refs(it[1], bound, out)
            _refs_items(it[2], bound, out)
            _refs_items(it[3], bound, out)
        elif it[0] == "tfor":
            _refs(it[3], bound, out)
            _refs_items(it[4], bound | {n for n in (it[1], it[2]) if n}, out)
        else:
            _refs(it, bound, out)
