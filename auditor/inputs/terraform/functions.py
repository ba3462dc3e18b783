"""Terraform's built-in functions, as Terraform computes them (a subset; any other
function gives an UnknownValue naming it, never a guess)."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...unknown import UnknownValue
from .evaluate import (
    MAX_ITEMS,
    MAX_STRING,
    Context,
    EvalError,
    Lazy,
    StaticError,
    _same,
    charge,
    checked,
    evaluate,
    find_unknown,
    num,
    to_bool,
    to_number,
    to_string,
    type_name,
    unknown_in,
)
from .hcl import Expr

Fn = Callable[..., Any]
FUNCTIONS: dict[str, Fn] = {}
# functions that see unknown arguments themselves (the others give the first unknown)
STRUCTURAL: set[str] = set()
# functions that need the evaluation context (module directory) as first argument
WITH_CONTEXT: set[str] = set()


def fn(name: str, *, structural: bool = False, context: bool = False) -> Callable[[Fn], Fn]:
    def register(f: Fn) -> Fn:
        FUNCTIONS[name] = f
        if structural:
            STRUCTURAL.add(name)
        if context:
            WITH_CONTEXT.add(name)
        return f

    return register


def call(name: str, arg_exprs: tuple[Expr, ...], expand: bool, ctx: Context) -> Any:
    if name == "try":
        return _try(arg_exprs, ctx)
    if name == "can":
        return _can(arg_exprs, ctx)
    f = FUNCTIONS.get(name)
    if f is None:
        return UnknownValue(f"the function {name}() is not evaluated by this reader")
    args = [evaluate(a, ctx) for a in arg_exprs]
    for a in args:
        if isinstance(a, Lazy):
            raise EvalError(f"the whole {a.label} namespace passed to {name}()")
    if expand:
        if not args:
            raise EvalError(f"{name}(...) without an argument to expand")
        last = args.pop()
        if type(last) is UnknownValue:
            return last
        if not isinstance(last, list):
            raise EvalError(f"{name}(...) expands {type_name(last)}, not a list")
        args.extend(last)
    if name not in STRUCTURAL:
        u = unknown_in(*args)
        if u is not None:
            return u
    try:
        if name in WITH_CONTEXT:
            return checked(f(ctx, *args))
        return checked(f(*args))
    except EvalError:
        raise
    except TypeError as e:
        raise EvalError(f"{name}(): wrong arguments ({e})") from None
    except (ValueError, KeyError, IndexError, OverflowError, ZeroDivisionError) as e:
        raise EvalError(f"{name}(): {e}") from None


def _try(arg_exprs: tuple[Expr, ...], ctx: Context) -> Any:
    errors = []
    for a in arg_exprs:
        try:
            v = evaluate(a, ctx)
        except StaticError:
            raise
        except EvalError as e:
            errors.append(e.reason)
            continue
        if isinstance(v, Lazy):
            errors.append("a namespace")
            continue
        return v  # an unknown is returned as it is: Terraform cannot decide either
    raise EvalError("no argument of try() could be evaluated: " + "; ".join(errors))


def _can(arg_exprs: tuple[Expr, ...], ctx: Context) -> Any:
    if len(arg_exprs) != 1:
        raise EvalError("can() takes one argument")
    try:
        v = evaluate(arg_exprs[0], ctx)
    except StaticError:
        raise
    except EvalError:
        return False
    u = find_unknown(v)
    return u if u is not None else True


def _list(v: Any, name: str) -> list[Any]:
    if isinstance(v, list):
        return v
    raise EvalError(f"{name}() needs a list, not {type_name(v)}")


def _map(v: Any, name: str) -> dict[str, Any]:
    if isinstance(v, dict):
        return v
    raise EvalError(f"{name}() needs a map, not {type_name(v)}")


def _int(v: Any) -> int:
    n = to_number(v)
    if not isinstance(n, int):
        raise EvalError(f"{n} is not a whole number")
    return n


def _sort_key(v: Any) -> Any:
    return (0, to_number(v), "") if isinstance(v, int | float) else (1, 0, to_string(v))


def _key(v: Any) -> Any:
    """A hashable key equal for values Terraform holds equal (None for collections)."""
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, int | float):
        return ("n", v)
    if isinstance(v, str):
        return ("s", v)
    if v is None:
        return ("z", None)
    return None


def _distinct(values: list[Any]) -> list[Any]:
    """Unique elements in order: hashed for scalars, compared for collections."""
    charge(len(values))
    out: list[Any] = []
    seen: set[Any] = set()
    others: list[Any] = []
    for v in values:
        k = _key(v)
        if k is not None:
            if k not in seen:
                seen.add(k)
                out.append(v)
        elif not any(_same(v, o) for o in others):
            others.append(v)
            out.append(v)
    return out


def _member(v: Any, values: list[Any]) -> bool:
    k = _key(v)
    if k is not None:
        charge(len(values))
        return any(_key(x) == k for x in values)
    return any(_same(v, x) for x in values)


def _set(values: list[Any]) -> list[Any]:
    """A set as a list: unique elements, strings sorted (as Terraform orders them)."""
    out = _distinct(values)
    if all(isinstance(v, str) for v in out):
        return sorted(out)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in out):
        return sorted(out)
    return out


# -- strings ----------------------------------------------------------------------------

_VERB = re.compile(r"%(?:%|([-+ #0]*)(\d+)?(?:\.(\d+))?([vdsfqtbxXoeEgG]))")


def _format(fmt: Any, *args: Any) -> str:
    fmt = to_string(fmt)
    out: list[str] = []
    pos = 0
    argi = 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        if m.group(0) == "%%":
            out.append("%")
            continue
        flags, width, prec, verb = m.group(1) or "", m.group(2), m.group(3), m.group(4)
        if argi >= len(args):
            raise EvalError("format(): not enough arguments")
        a = args[argi]
        argi += 1
        if verb == "s":
            s = to_string(a) if a is not None else "null"
        elif verb == "v":
            s = to_string(a) if not isinstance(a, list | dict) else json.dumps(a)
        elif verb == "q":
            s = json.dumps(to_string(a))
        elif verb == "t":
            s = "true" if to_bool(a) else "false"
        elif verb == "d":
            n = to_number(a)
            if not isinstance(n, int):
                raise EvalError("format(): %d of a fractional number")
            s = str(n)
        elif verb in "fFeEgG":
            n = float(to_number(a))
            s = f"{n:.{prec}{verb}}" if prec else (f"{n:{verb}}" if verb != "f" else f"{n:f}")
        elif verb in "xXob":
            s = format(_int(a), verb)
        else:
            raise EvalError(f"format(): the verb %{verb}")
        if width:
            w = int(width)
            if w > 10_000:
                raise EvalError("format(): a field width too large")
            s = s.ljust(w) if "-" in flags else (s.rjust(w, "0") if "0" in flags else s.rjust(w))
        if "+" in flags and verb in "dfeEgG" and not s.lstrip().startswith("-"):
            s = "+" + s
        out.append(s)
    out.append(fmt[pos:])
    return "".join(out)


fn("format")(_format)


@fn("formatlist")
def _formatlist(fmt: Any, *args: Any) -> list[str]:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise EvalError("formatlist(): lists of different lengths")
    n = lengths.pop() if lengths else 1
    return [_format(fmt, *[a[i] if isinstance(a, list) else a for a in args]) for i in range(n)]


fn("lower")(lambda s: to_string(s).lower())
fn("upper")(lambda s: to_string(s).upper())
fn("title")(lambda s: re.sub(r"\b\w", lambda m: m.group(0).upper(), to_string(s)))
fn("chomp")(lambda s: re.sub(r"(?:\r\n|\n|\r)+$", "", to_string(s)))
fn("strrev")(lambda s: to_string(s)[::-1])
fn("trimspace")(lambda s: to_string(s).strip())
fn("trim")(lambda s, c: to_string(s).strip(to_string(c)))
fn("trimprefix")(lambda s, p: to_string(s).removeprefix(to_string(p)))
fn("trimsuffix")(lambda s, p: to_string(s).removesuffix(to_string(p)))
fn("startswith")(lambda s, p: to_string(s).startswith(to_string(p)))
fn("endswith")(lambda s, p: to_string(s).endswith(to_string(p)))
fn("strcontains")(lambda s, p: to_string(p) in to_string(s))


@fn("indent")
def _indent(n: Any, s: Any) -> str:
    spaces, text = _int(n), to_string(s)
    if spaces > 10_000 or text.count("\n") * spaces > MAX_STRING:
        raise EvalError("indent(): the result would be too large")
    return text.replace("\n", "\n" + " " * spaces)


@fn("join")
def _join(sep: Any, *lists: Any) -> str:
    items = [to_string(x) for lst in lists for x in _list(lst, "join")]
    sep = to_string(sep)
    if sum(map(len, items)) + len(sep) * len(items) > MAX_STRING:
        raise EvalError("join(): the result would be too large")
    return sep.join(items)


@fn("split")
def _split(sep: Any, s: Any) -> list[str]:
    s, sep = to_string(s), to_string(sep)
    if sep == "":
        return list(s)
    return s.split(sep)  # as Go's strings.Split: split(",", "") is [""]


def _go_regex(pattern: str) -> Any:
    """A pattern compiled by RE2, the engine Terraform's regex functions use: the same
    syntax, and time linear in the text, so a hostile ``(a+)+$`` cannot hang the reader."""
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as e:
        problem = e.args[0] if e.args else e
        if isinstance(problem, bytes):
            problem = problem.decode("utf-8", "replace")
        raise EvalError(f"invalid regular expression: {problem}") from None


_GO_TEMPLATE = re.compile(r"\$(\$|\{(\w+)\}|(\w+))")


def _go_template(new: str) -> str:
    """Go's replacement syntax ($1, ${1}, $name, $$) as the \\g<…> one."""

    def one(m: re.Match[str]) -> str:
        if m.group(1) == "$":
            return "$"
        return "\\g<" + (m.group(2) or m.group(3)) + ">"

    return _GO_TEMPLATE.sub(one, new.replace("\\", "\\\\"))


@fn("replace")
def _replace(s: Any, old: Any, new: Any) -> str:
    s, old, new = to_string(s), to_string(old), to_string(new)
    if len(old) >= 2 and old.startswith("/") and old.endswith("/"):
        rx = _go_regex(old[1:-1])
        matches = sum(1 for _ in rx.finditer(s))
        if len(s) + matches * len(new) > MAX_STRING:
            raise EvalError("replace(): the result would be too large")
        try:
            return str(rx.sub(_go_template(new), s))
        except (re.error, IndexError, ValueError) as e:
            raise EvalError(f"replace(): {e}") from None
    count = s.count(old) if old else len(s) + 1
    if len(s) + count * (len(new) - len(old)) > MAX_STRING:
        raise EvalError("replace(): the result would be too large")
    return s.replace(old, new)


@fn("regex")
def _regex(pattern: Any, s: Any) -> Any:
    rx = _go_regex(to_string(pattern))
    m = rx.search(to_string(s))
    if not m:
        raise EvalError("regex(): no match")
    if rx.groupindex:
        return {k: m.group(k) for k in rx.groupindex}
    if rx.groups:
        return list(m.groups())
    return m.group(0)


@fn("regexall")
def _regexall(pattern: Any, s: Any) -> list[Any]:
    rx = _go_regex(to_string(pattern))
    out: list[Any] = []
    for m in rx.finditer(to_string(s)):
        if rx.groupindex:
            out.append({k: m.group(k) for k in rx.groupindex})
        elif rx.groups:
            out.append(list(m.groups()))
        else:
            out.append(m.group(0))
    return out


@fn("substr")
def _substr(s: Any, offset: Any, length: Any) -> str:
    s = to_string(s)
    o, n = _int(offset), _int(length)
    if o < 0:
        o = max(len(s) + o, 0)
    if o > len(s):
        raise EvalError("substr(): offset beyond the string")
    return s[o:] if n < 0 else s[o : o + n]


# -- collections ------------------------------------------------------------------------


@fn("length", structural=True)
def _length(v: Any) -> Any:
    if type(v) is UnknownValue:
        return v
    if isinstance(v, str):
        return len(v)
    if isinstance(v, list | dict):
        return len(v)
    raise EvalError(f"length() of {type_name(v)}")


@fn("concat", structural=True)
def _concat(*lists: Any) -> Any:
    out: list[Any] = []
    for lst in lists:
        if type(lst) is UnknownValue:
            return lst
        out.extend(_list(lst, "concat"))
    return out


@fn("merge", structural=True)
def _merge(*maps: Any) -> Any:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if type(m) is UnknownValue:
            return m
        out.update(_map(m, "merge"))
    return out


@fn("lookup", structural=True)
def _lookup(m: Any, key: Any, *default: Any) -> Any:
    for v in (m, key):
        if type(v) is UnknownValue:
            return v
    k = to_string(key)
    m = _map(m, "lookup")
    if k in m:
        return m[k]
    if default:
        return default[0]
    raise EvalError(f"lookup(): no key {k!r}")


@fn("element", structural=True)
def _element(lst: Any, i: Any) -> Any:
    for v in (lst, i):
        if type(v) is UnknownValue:
            return v
    lst = _list(lst, "element")
    if not lst:
        raise EvalError("element() of an empty list")
    index = _int(i)
    if index < 0:
        raise EvalError("element() with a negative index")
    return lst[index % len(lst)]


@fn("keys", structural=True)
def _keys(m: Any) -> Any:
    return m if type(m) is UnknownValue else sorted(_map(m, "keys"))


@fn("values", structural=True)
def _values(m: Any) -> Any:
    if type(m) is UnknownValue:
        return m
    m = _map(m, "values")
    return [m[k] for k in sorted(m)]


@fn("contains")
def _contains(lst: Any, v: Any) -> bool:
    return _member(v, _list(lst, "contains"))


@fn("index")
def _index(lst: Any, v: Any) -> int:
    for i, x in enumerate(_list(lst, "index")):
        if _same(x, v):
            return i
    raise EvalError("index(): the value is not in the list")


@fn("coalesce", structural=True)
def _coalesce(*args: Any) -> Any:
    for a in args:
        if type(a) is UnknownValue:
            return a  # an earlier unknown might be the non-empty one
        if a is not None and a != "":
            return a
    raise EvalError("coalesce(): no non-null, non-empty argument")


@fn("coalescelist", structural=True)
def _coalescelist(*args: Any) -> Any:
    for a in args:
        if type(a) is UnknownValue:
            return a
        if _list(a, "coalescelist"):
            return a
    raise EvalError("coalescelist(): no non-empty list")


@fn("tostring")
def _tostring(v: Any) -> Any:
    return None if v is None else to_string(v)


@fn("tonumber")
def _tonumber(v: Any) -> Any:
    return None if v is None else to_number(v)


@fn("tobool")
def _tobool(v: Any) -> Any:
    return None if v is None else to_bool(v)


@fn("tolist", structural=True)
def _tolist(v: Any) -> Any:
    if type(v) is UnknownValue or isinstance(v, list):
        return v
    raise EvalError(f"tolist() of {type_name(v)}")


@fn("toset")
def _toset(v: Any) -> Any:
    return _set(_list(v, "toset"))


@fn("tomap", structural=True)
def _tomap(v: Any) -> Any:
    if type(v) is UnknownValue or isinstance(v, dict):
        return v
    raise EvalError(f"tomap() of {type_name(v)}")


@fn("flatten", structural=True)
def _flatten(v: Any) -> Any:
    if type(v) is UnknownValue:
        return v
    out: list[Any] = []
    stack: list[Any] = [iter(_list(v, "flatten"))]
    while stack:
        for x in stack[-1]:
            charge()
            if type(x) is UnknownValue:
                return x  # it may be a list: the flattened length is not known
            if isinstance(x, list):
                stack.append(iter(x))
                break
            out.append(x)
        else:
            stack.pop()
    return out


@fn("distinct")
def _distinct_fn(lst: Any) -> list[Any]:
    return _distinct(_list(lst, "distinct"))


@fn("compact")
def _compact(lst: Any) -> list[Any]:
    return [x for x in _list(lst, "compact") if x is not None and x != ""]


@fn("zipmap")
def _zipmap(ks: Any, vs: Any) -> dict[str, Any]:
    ks, vs = _list(ks, "zipmap"), _list(vs, "zipmap")
    if len(ks) != len(vs):
        raise EvalError("zipmap(): lists of different lengths")
    return {to_string(k): v for k, v in zip(ks, vs, strict=True)}


@fn("range")
def _range(*args: Any) -> list[Any]:
    nums = [to_number(a) for a in args]
    start: int | float
    stop: int | float
    step: int | float
    if len(nums) == 1:
        start, stop, step = 0, nums[0], 1
    elif len(nums) == 2:
        start, stop, step = nums[0], nums[1], 1 if nums[1] >= nums[0] else -1
    elif len(nums) == 3:
        start, stop, step = nums
    else:
        raise EvalError("range() takes 1 to 3 arguments")
    if step == 0:
        raise EvalError("range(): step 0")
    n = max(0, math.ceil((stop - start) / step))
    if n > 1024:
        raise EvalError("range(): more than 1024 elements")
    return [num(start + i * step) for i in range(n)]


def _numbers(args: tuple[Any, ...], name: str) -> list[int | float]:
    if not args:
        raise EvalError(f"{name}() needs at least one number")
    return [to_number(a) for a in args]


fn("min")(lambda *a: min(_numbers(a, "min")))
fn("max")(lambda *a: max(_numbers(a, "max")))
fn("abs")(lambda n: abs(to_number(n)))
fn("ceil")(lambda n: num(math.ceil(to_number(n))))
fn("floor")(lambda n: num(math.floor(to_number(n))))
fn("signum")(lambda n: (to_number(n) > 0) - (to_number(n) < 0))
fn("pow")(lambda a, b: num(float(to_number(a)) ** to_number(b)))
fn("log")(lambda a, b: num(math.log(to_number(a), to_number(b))))


@fn("parseint")
def _parseint(s: Any, base: Any) -> int:
    return int(to_string(s), _int(base))


@fn("sum")
def _sum(lst: Any) -> Any:
    lst = _list(lst, "sum")
    if not lst:
        raise EvalError("sum() of an empty list")
    return num(sum(to_number(x) for x in lst))


@fn("one", structural=True)
def _one(lst: Any) -> Any:
    if type(lst) is UnknownValue:
        return lst
    lst = _list(lst, "one")
    if len(lst) > 1:
        raise EvalError("one() of a list with more than one element")
    return lst[0] if lst else None


@fn("alltrue")
def _alltrue(lst: Any) -> bool:
    return all(to_bool(x) for x in _list(lst, "alltrue"))


@fn("anytrue")
def _anytrue(lst: Any) -> bool:
    return any(to_bool(x) for x in _list(lst, "anytrue"))


@fn("sort")
def _sort(lst: Any) -> list[str]:
    return sorted(to_string(x) for x in _list(lst, "sort"))


@fn("reverse")
def _reverse(lst: Any) -> list[Any]:
    return list(reversed(_list(lst, "reverse")))


@fn("slice", structural=True)
def _slice(lst: Any, a: Any, b: Any) -> Any:
    for v in (lst, a, b):
        if type(v) is UnknownValue:
            return v
    lst = _list(lst, "slice")
    i, j = _int(a), _int(b)
    if i < 0 or j > len(lst) or i > j:
        raise EvalError("slice(): indexes out of range")
    return lst[i:j]


@fn("chunklist")
def _chunklist(lst: Any, size: Any) -> list[Any]:
    lst, n = _list(lst, "chunklist"), _int(size)
    if n < 0:
        raise EvalError("chunklist(): negative size")
    if n == 0:
        return [lst]
    return [lst[i : i + n] for i in range(0, len(lst), n)]


@fn("setunion")
def _setunion(*sets: Any) -> list[Any]:
    return _set([x for s in sets for x in _list(s, "setunion")])


@fn("setintersection")
def _setintersection(first: Any, *rest: Any) -> list[Any]:
    out = [x for x in _list(first, "setintersection")]
    for s in rest:
        other = _list(s, "setintersection")
        keys = {_key(o) for o in other}
        out = [x for x in out if (_key(x) in keys if _key(x) else _member(x, other))]
    return _set(out)


@fn("setsubtract")
def _setsubtract(a: Any, b: Any) -> list[Any]:
    other = _list(b, "setsubtract")
    keys = {_key(o) for o in other}
    return _set(
        [
            x
            for x in _list(a, "setsubtract")
            if not (_key(x) in keys if _key(x) else _member(x, other))
        ]
    )


@fn("setproduct")
def _setproduct(*sets: Any) -> list[Any]:
    out: list[list[Any]] = [[]]
    for s in sets:
        items = _list(s, "setproduct")
        if len(out) * len(items) > 100_000:
            raise EvalError("setproduct(): too many combinations")
        out = [[*p, x] for p in out for x in items]
        if len(out) > MAX_ITEMS:
            raise EvalError("setproduct(): too many combinations")
    return out if sets else []


@fn("transpose")
def _transpose(m: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k in sorted(_map(m, "transpose")):
        for v in _list(m[k], "transpose"):
            out.setdefault(to_string(v), []).append(k)
    return {k: sorted(v) for k, v in out.items()}


# -- encodings --------------------------------------------------------------------------


def _json_value(v: Any) -> Any:
    if isinstance(v, float):
        return num(v)
    return v


@fn("jsonencode")
def _jsonencode(v: Any) -> str:
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


@fn("jsondecode")
def _jsondecode(s: Any) -> Any:
    try:
        return json.loads(to_string(s), parse_float=lambda t: num(float(t)))
    except json.JSONDecodeError as e:
        raise EvalError(f"jsondecode(): {e.msg}") from None


@fn("base64encode")
def _b64e(s: Any) -> str:
    return base64.b64encode(to_string(s).encode()).decode()


@fn("base64decode")
def _b64d(s: Any) -> str:
    try:
        return base64.b64decode(to_string(s), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as e:
        raise EvalError(f"base64decode(): {e}") from None


@fn("urlencode")
def _urlencode(s: Any) -> str:
    from urllib.parse import quote

    return quote(to_string(s), safe="-_.~")


# -- network ----------------------------------------------------------------------------


def _net(prefix: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(to_string(prefix), strict=False)
    except ValueError as e:
        raise EvalError(f"invalid CIDR: {e}") from None


@fn("cidrsubnet")
def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    net = _net(prefix)
    bits, n = _int(newbits), _int(netnum)
    new_len = net.prefixlen + bits
    if bits < 0 or new_len > net.max_prefixlen:
        raise EvalError("cidrsubnet(): not enough bits")
    if n < 0 or n >= 2**bits:
        raise EvalError("cidrsubnet(): netnum out of range")
    size = 2 ** (net.max_prefixlen - new_len)
    base = int(net.network_address) + n * size
    addr = ipaddress.IPv4Address(base) if net.version == 4 else ipaddress.IPv6Address(base)
    return f"{addr}/{new_len}"


@fn("cidrhost")
def _cidrhost(prefix: Any, hostnum: Any) -> str:
    net = _net(prefix)
    n = _int(hostnum)
    size = net.num_addresses
    if n < 0:
        n += size
    if n < 0 or n >= size:
        raise EvalError("cidrhost(): host number out of range")
    addr = int(net.network_address) + n
    return str(ipaddress.IPv4Address(addr) if net.version == 4 else ipaddress.IPv6Address(addr))


@fn("cidrnetmask")
def _cidrnetmask(prefix: Any) -> str:
    net = _net(prefix)
    if net.version != 4:
        raise EvalError("cidrnetmask(): only IPv4")
    return str(net.netmask)


@fn("cidrsubnets")
def _cidrsubnets(prefix: Any, *newbits: Any) -> list[str]:
    net = _net(prefix)
    out = []
    cur = int(net.network_address)
    for nb in newbits:
        new_len = net.prefixlen + _int(nb)
        if new_len > net.max_prefixlen:
            raise EvalError("cidrsubnets(): not enough bits")
        size = 2 ** (net.max_prefixlen - new_len)
        cur = (cur + size - 1) // size * size
        if cur + size > int(net.network_address) + net.num_addresses:
            raise EvalError("cidrsubnets(): not enough space")
        addr = ipaddress.ip_address(cur) if net.version == 4 else ipaddress.IPv6Address(cur)
        out.append(f"{addr}/{new_len}")
        cur += size
    return out


# -- files ------------------------------------------------------------------------------

MAX_FILE = 4 * 1024 * 1024


def _inside(ctx: Context, path: Any) -> Path:
    """A path relative to the root module's directory (where terraform runs, so a module
    names its own files through ``path.module``) that stays inside the root tree or the
    calling module's directory."""
    if ctx.module_dir is None or ctx.root_dir is None:
        raise EvalError("file functions are not available here")
    p = Path(to_string(path))
    full = (ctx.root_dir / p) if not p.is_absolute() else p
    try:
        resolved = full.resolve()
        allowed = (ctx.root_dir.resolve(), ctx.module_dir.resolve())
    except (OSError, RuntimeError) as e:
        raise EvalError(f"cannot resolve {p}: {e}") from None
    if not any(resolved.is_relative_to(a) for a in allowed):
        raise _Refused(f"{p} leaves the configuration's directory tree; it is not read")
    return resolved


class _Refused(EvalError):
    pass


def _read_bytes(ctx: Context, path: Any) -> bytes:
    p = _inside(ctx, path)
    try:
        if not p.exists():
            raise EvalError(f"there is no file {path}")
        if not p.is_file():  # a directory, a FIFO (which would block), a device
            raise EvalError(f"{path} is not a regular file")
        if p.stat().st_size > MAX_FILE:
            raise EvalError(f"{path} is too large to read")
        return p.read_bytes()
    except OSError as e:
        raise EvalError(f"cannot read {path}: {e.__class__.__name__}") from None


def _read(ctx: Context, path: Any) -> str:
    try:
        return _read_bytes(ctx, path).decode("utf-8")
    except UnicodeDecodeError:
        raise EvalError(f"{path} is not UTF-8 text (filebase64 reads any file)") from None


def _file_call(f: Callable[..., Any]) -> Callable[..., Any]:
    """A refused path is an unknown (the value exists, this reader does not look)."""

    def wrapped(ctx: Context, *args: Any) -> Any:
        try:
            return f(ctx, *args)
        except _Refused as e:
            return UnknownValue(e.reason)

    return wrapped


fn("file", context=True)(_file_call(_read))
fn("filebase64", context=True)(
    _file_call(lambda ctx, p: base64.b64encode(_read_bytes(ctx, p)).decode())
)


def _file_hash(algorithm: str, encoding: str) -> Fn:
    def digest(ctx: Context, path: Any) -> str:
        h = hashlib.new(algorithm, _read_bytes(ctx, path))
        return base64.b64encode(h.digest()).decode() if encoding == "base64" else h.hexdigest()

    return _file_call(digest)


for _algo in ("md5", "sha1", "sha256", "sha512"):
    fn(f"file{_algo}", context=True)(_file_hash(_algo, "hex"))
for _algo in ("sha256", "sha512"):
    fn(f"filebase64{_algo}", context=True)(_file_hash(_algo, "base64"))


@fn("fileexists", context=True)
@_file_call
def _fileexists(ctx: Context, path: Any) -> bool:
    return _inside(ctx, path).is_file()


@fn("templatefile", context=True)
@_file_call
def _templatefile(ctx: Context, path: Any, variables: Any) -> Any:
    from .hcl import ParseError, parse_template

    text = _read(ctx, path)
    try:
        tpl = parse_template(text, 1)
    except ParseError as e:
        raise EvalError(f"templatefile({path}): {e}") from None
    names = _map(variables, "templatefile")

    def resolve(name: str) -> Any:
        raise EvalError(f"templatefile({path}): {name} is not a template variable")

    sub = Context(resolve, dict(names), ctx.module_dir, ctx.root_dir)
    return evaluate(tpl, sub)


@fn("templatestring", context=True)
def _templatestring(ctx: Context, template: Any, variables: Any) -> Any:
    from .hcl import ParseError, parse_template

    try:
        tpl = parse_template(to_string(template), 1)
    except ParseError as e:
        raise EvalError(f"templatestring(): {e}") from None

    def resolve(name: str) -> Any:
        raise EvalError(f"templatestring(): {name} is not a template variable")

    names = _map(variables, "templatestring")
    return evaluate(tpl, Context(resolve, dict(names), ctx.module_dir, ctx.root_dir))


@fn("abspath", context=True)
def _abspath(ctx: Context, path: Any) -> Any:
    return UnknownValue("abspath() depends on where terraform runs")


fn("basename")(lambda p: to_string(p).rstrip("/").rpartition("/")[2])
fn("dirname")(lambda p: to_string(p).rstrip("/").rpartition("/")[0] or ".")


# -- identity, hashes, other encodings ----------------------------------------------------

fn("sensitive", structural=True)(lambda v: v)  # a mark on the value, not a new value
fn("nonsensitive", structural=True)(lambda v: v)


def _hash(algorithm: str) -> Fn:
    def digest(s: Any) -> str:
        return hashlib.new(algorithm, to_string(s).encode()).hexdigest()

    return digest


for _name, _algo in (("md5", "md5"), ("sha1", "sha1"), ("sha256", "sha256"), ("sha512", "sha512")):
    fn(_name)(_hash(_algo))


@fn("base64sha256")
def _base64sha256(s: Any) -> str:
    return base64.b64encode(hashlib.sha256(to_string(s).encode()).digest()).decode()


@fn("base64sha512")
def _base64sha512(s: Any) -> str:
    return base64.b64encode(hashlib.sha512(to_string(s).encode()).digest()).decode()


@fn("yamldecode")
def _yamldecode(s: Any) -> Any:
    import yaml

    text = to_string(s)
    if len(text) > MAX_FILE:
        raise EvalError("yamldecode(): the document is too large")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise EvalError(f"yamldecode(): {e.__class__.__name__}") from None
    return _plain(value)


def _plain(value: Any) -> Any:
    """A decoded document as JSON-like values (YAML dates and the like as strings); each
    node paid for (YAML aliases can make a small document a huge value)."""
    charge()
    if isinstance(value, dict):
        return {to_string(k) if not isinstance(k, str) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return num(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


@fn("csvdecode")
def _csvdecode(s: Any) -> list[dict[str, str]]:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(to_string(s))))
    if not rows:
        return []
    header = rows[0]
    out = []
    for row in rows[1:]:
        if len(row) != len(header):
            raise EvalError("csvdecode(): a row with the wrong number of fields")
        out.append(dict(zip(header, row, strict=True)))
    return out


@fn("matchkeys")
def _matchkeys(values: Any, keys: Any, searchset: Any) -> list[Any]:
    values, keys = _list(values, "matchkeys"), _list(keys, "matchkeys")
    search = _list(searchset, "matchkeys")
    if len(values) != len(keys):
        raise EvalError("matchkeys(): lists of different lengths")
    return [v for v, k in zip(values, keys, strict=True) if _member(k, search)]


def _at_apply(name: str) -> Fn:
    def unknown(*args: Any) -> UnknownValue:
        return UnknownValue(f"{name}() is known only when terraform applies")

    return unknown


for _name in ("timestamp", "plantimestamp", "uuid", "bcrypt"):
    fn(_name, structural=True)(_at_apply(_name))


@fn("uuidv5")
def _uuidv5(namespace: Any, name: Any) -> str:
    import uuid

    ns = to_string(namespace)
    known = {
        "dns": uuid.NAMESPACE_DNS,
        "url": uuid.NAMESPACE_URL,
        "oid": uuid.NAMESPACE_OID,
        "x500": uuid.NAMESPACE_X500,
    }
    try:
        space = known[ns] if ns in known else uuid.UUID(ns)
    except ValueError:
        raise EvalError(f"uuidv5(): {ns!r} is not a namespace") from None
    return str(uuid.uuid5(space, to_string(name)))


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A fileset() pattern (doublestar: ``*``, ``**``, ``?``, ``[…]``, ``{a,b}``)."""
    out: list[str] = []
    i, n, depth = 0, len(pattern), 0
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise EvalError("fileset(): an unclosed [ in the pattern")
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end
        elif c == "{":
            out.append("(?:")
            depth += 1
        elif c == "}" and depth:
            out.append(")")
            depth -= 1
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        raise EvalError("fileset(): an unclosed { in the pattern")
    return re.compile("".join(out) + r"\Z")


@fn("fileset", context=True)
@_file_call
def _fileset(ctx: Context, path: Any, pattern: Any) -> list[str]:
    """The files under ``path`` (inside the tree) matching ``pattern``, relative to it."""
    base = _inside(ctx, path)
    rx = _glob_regex(to_string(pattern))
    out: list[str] = []
    seen = 0
    for directory, dirs, files in os.walk(base):  # symbolic links to directories not followed
        dirs.sort()
        for name in sorted(files):
            seen += 1
            if seen > 100_000:
                raise EvalError("fileset(): more than 100000 files under the path")
            full = Path(directory) / name
            rel = full.relative_to(base).as_posix()
            if rx.match(rel) and full.is_file():
                out.append(rel)
    return sorted(out)
