"""Terraform's built-in functions, as Terraform computes them (a subset; any other
function gives an UnknownValue naming it, never a guess)."""

from __future__ import annotations

import base64
import ipaddress
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...unknown import UnknownValue, contains_unknown
from .evaluate import (
    Context,
    EvalError,
    Lazy,
    _same,
    evaluate,
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
            return f(ctx, *args)
        return f(*args)
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
    except EvalError:
        return False
    u = contains_unknown(v)
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


def _set(values: list[Any]) -> list[Any]:
    """A set as a list: unique elements, strings sorted (as Terraform orders them)."""
    out: list[Any] = []
    for v in values:
        if not any(_same(v, o) for o in out):
            out.append(v)
    try:
        if all(isinstance(v, str) for v in out):
            return sorted(out)
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in out):
            return sorted(out)
    except TypeError:
        pass
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
fn("indent")(lambda n, s: to_string(s).replace("\n", "\n" + " " * _int(n)))


@fn("join")
def _join(sep: Any, *lists: Any) -> str:
    items = [x for lst in lists for x in _list(lst, "join")]
    return to_string(sep).join(to_string(x) for x in items)


@fn("split")
def _split(sep: Any, s: Any) -> list[str]:
    s, sep = to_string(s), to_string(sep)
    if s == "":
        return []
    if sep == "":
        return list(s)
    return s.split(sep)


def _go_regex(pattern: str) -> re.Pattern[str]:
    """An RE2 pattern, as far as Python's engine reads it the same way (RE2 has no
    backreferences or lookaround, so everything RE2 accepts means the same here, bar the
    named-group syntax ``(?P<n>…)`` both share)."""
    if len(pattern) > 2000:
        raise EvalError("a regular expression too long to evaluate")
    try:
        return re.compile(pattern)
    except re.error as e:
        raise EvalError(f"invalid regular expression: {e}") from None


@fn("replace")
def _replace(s: Any, old: Any, new: Any) -> str:
    s, old, new = to_string(s), to_string(old), to_string(new)
    if len(old) >= 2 and old.startswith("/") and old.endswith("/"):
        rx = _go_regex(old[1:-1])
        repl = re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", new.replace("\\", "\\\\"))
        return rx.sub(repl, s)
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
    return lst[_int(i) % len(lst)]


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
    return any(_same(x, v) for x in _list(lst, "contains"))


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
def _distinct(lst: Any) -> list[Any]:
    out: list[Any] = []
    for x in _list(lst, "distinct"):
        if not any(_same(x, o) for o in out):
            out.append(x)
    return out


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
        out = [x for x in out if any(_same(x, o) for o in other)]
    return _set(out)


@fn("setsubtract")
def _setsubtract(a: Any, b: Any) -> list[Any]:
    other = _list(b, "setsubtract")
    return _set([x for x in _list(a, "setsubtract") if not any(_same(x, o) for o in other)])


@fn("setproduct")
def _setproduct(*sets: Any) -> list[Any]:
    out: list[list[Any]] = [[]]
    for s in sets:
        out = [[*p, x] for p in out for x in _list(s, "setproduct")]
        if len(out) > 100_000:
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


def _read(ctx: Context, path: Any) -> str:
    p = _inside(ctx, path)
    try:
        if p.stat().st_size > MAX_FILE:
            raise EvalError(f"{path} is too large to read")
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise EvalError(f"cannot read {path}: {e.__class__.__name__}") from None


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
    _file_call(lambda ctx, p: base64.b64encode(_read(ctx, p).encode()).decode())
)


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


@fn("abspath", context=True)
def _abspath(ctx: Context, path: Any) -> Any:
    return UnknownValue("abspath() depends on where terraform runs")


fn("basename")(lambda p: to_string(p).rstrip("/").rpartition("/")[2])
fn("dirname")(lambda p: to_string(p).rstrip("/").rpartition("/")[0] or ".")
