"""HCL text to a compact expression tree, parsed by python-hcl2 (``hcl2.api.parses_to_tree``).

python-hcl2's own transform turns expressions back into strings; the evaluator needs their
structure, so this module walks the raw lark parse tree once and keeps plain tuples (cheap
to pickle back from a worker process, which is where parsing runs: the grammar costs about
8 µs per byte, so files are parsed in parallel and a very large file is cut at top-level
block boundaries first).

Shapes (all tuples, first item the kind):

- body: ``Body(attrs=((name, expr, line), ...), blocks=((type, labels, Body, line), ...))``
- expressions: ``("lit", v)``, ``("tpl", items)`` (items: str | expr | ``("tif", c, then,
  else)`` | ``("tfor", k, v, coll, body)``), ``("ref", name)``, ``("get", e, name)``,
  ``("idx", e, key)``, ``("splat", e, ops)``, ``("call", name, args, expand)``,
  ``("tuple", items)``, ``("object", ((key, value), ...))``, ``("for", k, v, coll, key,
  value, cond, group)``, ``("cond", c, a, b)``, ``("bin", op, l, r)``, ``("un", op, e)``,
  ``("paren", e)``, ``("bad", reason)`` (a construct the reader does not evaluate).
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing as mp
import os
import re
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, NamedTuple

Expr = tuple[Any, ...]

# Nesting deeper than this is refused as bad input (real configurations stay far below it;
# hostile input must not exhaust the interpreter's stack).
MAX_DEPTH = 400
# Files larger than this are cut at top-level block starts and the parts parsed in parallel.
SPLIT_BYTES = 256 * 1024


class Body(NamedTuple):
    attrs: tuple[tuple[str, Expr, int], ...]
    blocks: tuple[tuple[str, tuple[str, ...], Body, int], ...]


class ParseError(Exception):
    """Text that is not HCL: ``line`` and what was wrong."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem

    def __reduce__(self) -> tuple[Any, ...]:  # a worker process sends it back pickled
        return (ParseError, (self.line, self.problem))


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] in "uU" and len(e) > 1:
            try:
                return chr(int(e[1:], 16))
            except (ValueError, OverflowError):
                return "\ufffd"
        return _ESCAPES.get(e, "\\" + e)

    return _ESCAPE_RE.sub(one, text)


_KEYWORD_VALUES = {"true": True, "false": False, "null": None}
_OP_CHARS = frozenset("=!<>&|+-*/%")


def _op(token: str) -> str:
    """The operator of a token the post-lexer may have prefixed with newlines/comments."""
    s = token.rstrip()
    i = len(s)
    while i > 0 and s[i - 1] in _OP_CHARS:
        i -= 1
    return s[i:]


class _Converter:
    def __init__(self, line_offset: int = 0) -> None:
        self.off = line_offset
        self.depth = 0

    def line(self, tree: Any) -> int:
        """The line of a node's first token (tokens always carry theirs; a tree's own
        position is not needed)."""
        node = tree
        while hasattr(node, "data"):
            if not node.children:
                return 1 + self.off
            node = node.children[0]
        return (getattr(node, "line", None) or 1) + self.off

    # -- bodies -------------------------------------------------------------------------

    def body(self, tree: Any) -> Body:
        attrs: list[tuple[str, Expr, int]] = []
        blocks: list[tuple[str, tuple[str, ...], Body, int]] = []
        seen: dict[str, int] = {}
        for child in tree.children:
            kind = getattr(child, "data", None)
            if kind == "attribute":
                name_node, expr = child.children[0], child.children[-1]
                name = self.name(name_node)
                line = self.line(child)
                if name in seen:  # as terraform: "Attribute redefined"
                    raise ParseError(line, f"{name} is set twice (first on line {seen[name]})")
                seen[name] = line
                attrs.append((name, self.expr(expr), line))
            elif kind == "block":
                self.depth += 1
                if self.depth > MAX_DEPTH:
                    raise ParseError(self.line(child), "blocks nested too deeply")
                heads: list[str] = []
                inner: Any = None
                for part in child.children:
                    pk = getattr(part, "data", None)
                    if pk in ("identifier", "keyword", "literal_value"):
                        heads.append(self.name(part))
                    elif pk == "string":
                        heads.append(self.label(part))
                    elif pk == "body":
                        inner = part
                body = self.body(inner) if inner is not None else Body((), ())
                blocks.append((heads[0], tuple(heads[1:]), body, self.line(child)))
                self.depth -= 1
        return Body(tuple(attrs), tuple(blocks))

    @staticmethod
    def name(node: Any) -> str:
        return str(node.children[0])

    def label(self, node: Any) -> str:
        expr = self.string(node)
        if expr[0] == "lit" and isinstance(expr[1], str):
            return expr[1]
        raise ParseError(self.line(node), "a block label must be a plain string")

    # -- expressions --------------------------------------------------------------------

    def expr(self, tree: Any) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(self.line(tree), "expression nested too deeply")
        try:
            handler = _HANDLERS.get(tree.data)
            if handler is None:
                return ("bad", f"the construct {tree.data}")
            return handler(self, tree)
        finally:
            self.depth -= 1

    def trees(self, tree: Any) -> list[Any]:
        """The expression children (no tokens, no newlines/comments)."""
        return [c for c in tree.children if hasattr(c, "data") and c.data != "new_line_or_comment"]

    def expr_term(self, tree: Any) -> Expr:
        kids = self.trees(tree)
        first = tree.children[0]
        if not hasattr(first, "data") and str(first) == "(":
            return ("paren", self.expr(kids[0]))
        return self.expr(kids[0])

    def int_lit(self, tree: Any) -> Expr:
        text = str(tree.children[0])
        try:
            return ("lit", int(text))
        except ValueError:
            return ("bad", "a number too large to read")

    def float_lit(self, tree: Any) -> Expr:
        value = float(str(tree.children[0]))
        if value in (float("inf"), float("-inf")):
            return ("bad", "a number too large to read")
        if value.is_integer() and abs(value) < 2**53:
            return ("lit", int(value))  # Terraform's 1e3 is the number 1000
        return ("lit", value)

    def literal_value(self, tree: Any) -> Expr:
        return ("lit", {"true": True, "false": False, "null": None}[str(tree.children[0])])

    def identifier(self, tree: Any) -> Expr:
        name = str(tree.children[0])
        if name in _KEYWORD_VALUES:  # python-hcl2 8.1.0 lexes these as names
            return ("lit", _KEYWORD_VALUES[name])
        return ("ref", name)

    def tuple_(self, tree: Any) -> Expr:
        return ("tuple", tuple(self.expr(c) for c in self.trees(tree)))

    def object_(self, tree: Any) -> Expr:
        elems = []
        for elem in self.trees(tree):
            key_node, value_node = self.trees(elem)
            key_inner = self.trees(key_node)[0] if key_node.data == "object_elem_key" else key_node
            if key_inner.data == "keyword":
                key: Expr = ("lit", str(key_inner.children[0]))
            else:
                key = self.expr(key_inner)
                if key[0] == "ref":  # a bare name is the key itself
                    key = ("lit", key[1])
            elems.append((key, self.expr(value_node)))
        return ("object", tuple(elems))

    def function_call(self, tree: Any) -> Expr:
        names = [
            str(c.children[0]) for c in tree.children if getattr(c, "data", "") == "identifier"
        ]
        args: list[Expr] = []
        expand = False
        for c in tree.children:
            if getattr(c, "data", "") == "arguments":
                for a in c.children:
                    if hasattr(a, "data"):
                        if a.data != "new_line_or_comment":
                            args.append(self.expr(a))
                    elif a.type == "ELLIPSIS":
                        expand = True
        return ("call", "::".join(names), tuple(args), expand)

    def index_expr_term(self, tree: Any) -> Expr:
        base, index = self.trees(tree)
        return ("idx", self.expr(base), self.index(index))

    def index(self, node: Any) -> Expr:
        if node.data == "short_index":
            return ("lit", int(str(node.children[-1])))
        return self.expr(self.trees(node)[0])

    def get_attr_expr_term(self, tree: Any) -> Expr:
        base, attr = self.trees(tree)
        return ("get", self.expr(base), str(self.trees(attr)[0].children[0]))

    def splat(self, tree: Any) -> Expr:
        base, sp = self.trees(tree)
        ops: list[Expr] = []
        for op in self.trees(sp):
            if op.data == "get_attr":
                ops.append(("get", str(self.trees(op)[0].children[0])))
            else:
                ops.append(("idx", self.index(op)))
        if tree.data == "attr_splat_expr_term":
            # the legacy splat (a.*.b) takes attribute names only: from the first index
            # on, the traversal applies to the resulting list (a.*.id[0] is its first id)
            cut = next((i for i, op in enumerate(ops) if op[0] == "idx"), len(ops))
            node: Expr = ("splat", self.expr(base), tuple(ops[:cut]))
            for op in ops[cut:]:
                node = ("get", node, op[1]) if op[0] == "get" else ("idx", node, op[1])
            return node
        return ("splat", self.expr(base), tuple(ops))

    def for_intro(self, node: Any) -> tuple[str | None, str, Expr]:
        names = [
            str(c.children[0]) for c in node.children if getattr(c, "data", "") == "identifier"
        ]
        coll = next(c for c in self.trees(node) if c.data != "identifier")
        key, value = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        return key, value, self.expr(coll)

    def for_tuple_expr(self, tree: Any) -> Expr:
        kids = self.trees(tree)
        k, v, coll = self.for_intro(kids[0])
        cond = self.expr(self.trees(kids[2])[0]) if len(kids) > 2 else None
        return ("for", k, v, coll, None, self.expr(kids[1]), cond, False)

    def for_object_expr(self, tree: Any) -> Expr:
        kids = self.trees(tree)
        k, v, coll = self.for_intro(kids[0])
        cond = self.expr(self.trees(kids[3])[0]) if len(kids) > 3 else None
        group = any(not hasattr(c, "data") and c.type == "ELLIPSIS" for c in tree.children)
        return ("for", k, v, coll, self.expr(kids[1]), self.expr(kids[2]), cond, group)

    def conditional(self, tree: Any) -> Expr:
        c, a, b = self.trees(tree)
        return ("cond", self.expr(c), self.expr(a), self.expr(b))

    def binary_op(self, tree: Any) -> Expr:
        kids = self.trees(tree)
        term = kids[1]
        op_node = term.children[0]
        rhs = next(c for c in self.trees(term) if c.data != "binary_operator")
        return ("bin", _op(str(op_node.children[0])), self.expr(kids[0]), self.expr(rhs))

    def unary_op(self, tree: Any) -> Expr:
        op = str(tree.children[0])
        return ("un", op, self.expr(self.trees(tree)[0]))

    # -- templates ----------------------------------------------------------------------

    def string(self, tree: Any) -> Expr:
        flat: list[Any] = []
        for part in tree.children:
            if not hasattr(part, "data"):
                continue  # the quotes
            (inner,) = part.children
            if not hasattr(inner, "data"):
                kind = inner.type
                text = str(inner)
                if kind == "ESCAPED_INTERPOLATION":  # $${…}: the rest is literal text
                    flat.append(("s", "$" + _unescape(text[2:])))
                elif kind == "ESCAPED_DIRECTIVE":
                    flat.append(("s", "%" + _unescape(text[2:])))
                else:
                    flat.append(("s", _unescape(text)))
                continue
            flat.append(self.directive(inner))
        return _assemble(flat, self.line(tree))

    def directive(self, node: Any) -> tuple[Any, ...]:
        kind = node.data
        if kind == "interpolation":
            return ("i", self.expr(self.trees(node)[0]))
        tokens = [str(c) for c in node.children if not hasattr(c, "data")]
        # strip markers: "~" right after "%{" trims before; "~" before "}" trims after
        ls = len(tokens) > 1 and tokens[1] == "~"
        rs = len(tokens) > 1 and tokens[-2] == "~"
        if kind == "template_if_start":
            return ("if", self.expr(self.trees(node)[0]), ls, rs)
        if kind == "template_for_start":
            names = [str(c.children[0]) for c in self.trees(node) if c.data == "identifier"]
            coll = next(c for c in self.trees(node) if c.data != "identifier")
            k, v = (names[0], names[1]) if len(names) == 2 else (None, names[0])
            return ("for", k, v, self.expr(coll), ls, rs)
        return ({"template_else": "else", "template_endif": "endif"}.get(kind, "endfor"), ls, rs)

    def template_string(self, tree: Any) -> Expr:
        text = str(tree.children[0])
        return ("lit", _unescape(text[2:-2]))

    def heredoc(self, tree: Any) -> Expr:
        text = str(tree.children[0])
        trim = text.startswith("<<-")
        first_nl = text.index("\n")
        body = text[first_nl + 1 :]
        body = body[: body.rstrip("\r\n").rfind("\n") + 1]  # drop the closing marker line
        if trim:
            lines = body.split("\n")
            indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
            cut = min(indents) if indents else 0
            body = "\n".join(ln[cut:] for ln in lines)
        return parse_template(body, self.line(tree))


_HANDLERS: dict[str, Any] = {
    "expr_term": _Converter.expr_term,
    "int_lit": _Converter.int_lit,
    "float_lit": _Converter.float_lit,
    "literal_value": _Converter.literal_value,
    "identifier": _Converter.identifier,
    "string": _Converter.string,
    "template_string": _Converter.template_string,
    "tuple": _Converter.tuple_,
    "object": _Converter.object_,
    "function_call": _Converter.function_call,
    "index_expr_term": _Converter.index_expr_term,
    "get_attr_expr_term": _Converter.get_attr_expr_term,
    "attr_splat_expr_term": _Converter.splat,
    "full_splat_expr_term": _Converter.splat,
    "for_tuple_expr": _Converter.for_tuple_expr,
    "for_object_expr": _Converter.for_object_expr,
    "conditional": _Converter.conditional,
    "binary_op": _Converter.binary_op,
    "unary_op": _Converter.unary_op,
    "heredoc_template": _Converter.heredoc,
    "heredoc_template_trim": _Converter.heredoc,
}


def _assemble(flat: list[Any], line: int) -> Expr:
    """Flat template parts (literals, interpolations, directives) into a template tree."""
    # strip markers first: they trim the whitespace of the neighbouring literals
    parts = list(flat)
    for i, p in enumerate(parts):
        if p[0] in ("if", "for", "else", "endif", "endfor") or (p[0] == "i" and len(p) == 4):
            ls, rs = p[-2], p[-1]
            if ls and i > 0 and parts[i - 1][0] == "s":
                parts[i - 1] = ("s", parts[i - 1][1].rstrip())
            if rs and i + 1 < len(parts) and parts[i + 1][0] == "s":
                parts[i + 1] = ("s", parts[i + 1][1].lstrip())
    root: list[Any] = []
    node: list[Any]
    stack: list[tuple[str, list[Any], Any]] = []
    current = root
    for p in parts:
        kind = p[0]
        if kind == "s":
            if not p[1]:
                continue
            if current and isinstance(current[-1], str):
                current[-1] += p[1]
            else:
                current.append(p[1])
        elif kind == "i":
            current.append(p[1])
        elif kind == "if":
            node = ["tif", p[1], [], None]
            current.append(node)
            stack.append(("if", current, node))
            current = node[2]
        elif kind == "else":
            if not stack or stack[-1][0] != "if" or stack[-1][2][3] is not None:
                raise ParseError(line, "%{else} without %{if}")
            current = []
            stack[-1][2][3] = current
        elif kind == "endif":
            if not stack or stack[-1][0] != "if":
                raise ParseError(line, "%{endif} without %{if}")
            _, current, _ = stack.pop()
        elif kind == "for":
            node = ["tfor", p[1], p[2], p[3], []]
            current.append(node)
            stack.append(("for", current, node))
            current = node[4]
        elif kind == "endfor":
            if not stack or stack[-1][0] != "for":
                raise ParseError(line, "%{endfor} without %{for}")
            _, current, _ = stack.pop()
    if stack:
        raise ParseError(line, f"%{{{stack[-1][0]}}} without its end")
    items = _freeze(root)
    if not items:
        return ("lit", "")
    if len(items) == 1 and isinstance(items[0], str):
        return ("lit", items[0])
    return ("tpl", items)


def _freeze(items: list[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for it in items:
        if isinstance(it, list):
            if it[0] == "tif":
                els = _freeze(it[3]) if it[3] is not None else ()
                out.append(("tif", it[1], _freeze(it[2]), els))
            else:
                out.append(("tfor", it[1], it[2], it[3], _freeze(it[4])))
        else:
            out.append(it)
    return tuple(out)


_DIRECTIVE_RE = re.compile(
    r"^(~?)\s*(?:(if)\s+(.*?)|(else)|(endif)|(endfor)|(for)\s+([A-Za-z_][\w-]*)\s*"
    r"(?:,\s*([A-Za-z_][\w-]*)\s*)?in\s+(.*?))\s*(~?)$",
    re.S,
)


def _closing(text: str, start: int) -> int:
    """Index of the ``}`` that closes the interpolation/directive opened before ``start``."""
    depth = 0
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\":
                    i += 1
                elif text.startswith("${", i):  # a nested template inside the string
                    end = _closing(text, i + 2)
                    if end < 0:
                        return -1
                    i = end
                i += 1
        elif c in "{[(":
            depth += 1
        elif c in "}])":
            if depth == 0:
                return i if c == "}" else -1
            depth -= 1
        i += 1
    return -1


def parse_template(text: str, line: int) -> Expr:
    """A heredoc body (or any template text) with its ``${}`` and ``%{}`` sequences."""
    flat: list[Any] = []
    i = 0
    n = len(text)
    lit: list[str] = []
    while i < n:
        if text.startswith("$${", i) or text.startswith("%%{", i):
            lit.append(text[i + 1 : i + 3])
            i += 3
            continue
        if text.startswith("${", i) or text.startswith("%{", i):
            end = _closing(text, i + 2)
            if end < 0:
                raise ParseError(line, "an unterminated template sequence")
            inner = text[i + 2 : end]
            if lit:
                flat.append(("s", "".join(lit)))
                lit = []
            if text[i] == "$":
                ls, rs = inner.startswith("~"), inner.endswith("~")
                expr = inner[1 if ls else 0 : len(inner) - 1 if rs else len(inner)]
                flat.append(("i", parse_expression(expr.strip(), line), ls, rs))
            else:
                m = _DIRECTIVE_RE.match(inner.strip())
                if not m:
                    raise ParseError(line, f"an unknown template directive %{{{inner.strip()}}}")
                ls, rs = bool(m.group(1)), bool(m.group(11))
                if m.group(2):
                    flat.append(("if", parse_expression(m.group(3), line), ls, rs))
                elif m.group(4):
                    flat.append(("else", ls, rs))
                elif m.group(5):
                    flat.append(("endif", ls, rs))
                elif m.group(6):
                    flat.append(("endfor", ls, rs))
                else:
                    k, v = (m.group(8), m.group(9)) if m.group(9) else (None, m.group(8))
                    flat.append(("for", k, v, parse_expression(m.group(10), line), ls, rs))
            i = end + 1
            continue
        lit.append(text[i])
        i += 1
    if lit:
        flat.append(("s", "".join(lit)))
    return _assemble(flat, line)


def parse_expression(text: str, line: int = 1) -> Expr:
    """One expression from its source text (template sequences, ``-var`` values)."""
    if "\n" in text:  # a multi-line expression: parentheses let it span lines
        body = parse_text(f"x = (\n{text}\n)\n", line_offset=line - 2)
    else:
        body = parse_text(f"x = {text}\n", line_offset=line - 1)
    if len(body.attrs) != 1 or body.blocks:
        raise ParseError(line, f"not an expression: {text[:40]!r}")
    return body.attrs[0][1]


def _lark_error(e: Exception, line_offset: int) -> ParseError:
    line = (getattr(e, "line", None) or 1) + line_offset
    token = getattr(e, "token", None)
    if token is not None:
        text = str(token)
        if token.type == "$END":
            what = "end of file"
        elif not text.strip():
            what = "end of line"
        else:
            what = repr(text.strip().split("\n")[0][:30])
        return ParseError(line, f"unexpected {what}")
    char = getattr(e, "char", None)
    if char is not None:
        return ParseError(line, f"unexpected character {char!r}")
    return ParseError(line, "the text is not valid HCL")


def parses_to_tree(text: str) -> Any:
    """python-hcl2's raw parse tree of ``text`` (its public pipeline stage; it appends the
    final newline its grammar needs)."""
    import hcl2.api

    return hcl2.api.parses_to_tree(text)


def parse_text(text: str, line_offset: int = 0) -> Body:
    """A whole file's text (or one part of it) to a :class:`Body`; ParseError if not HCL."""
    # the parse allocates millions of small objects that all live until it ends: the
    # cyclic garbage collector's passes over them would nearly double its time
    enabled = gc.isenabled()
    gc.disable()
    limit = sys.getrecursionlimit()  # the converter recurses once or twice per MAX_DEPTH
    sys.setrecursionlimit(max(limit, 4 * MAX_DEPTH + 1000))
    try:
        return _parse_text(text, line_offset)
    finally:
        sys.setrecursionlimit(limit)
        if enabled:
            gc.enable()


def _parse_text(text: str, line_offset: int) -> Body:
    from lark.exceptions import LarkError

    if "\r" in text:  # python-hcl2 8.1.0 does not read CRLF line ends
        text = text.replace("\r\n", "\n")
    try:
        try:
            tree = parses_to_tree(text)
        except LarkError as e:
            # python-hcl2's grammar refuses a /* */ comment where HCL allows one
            # (`x = /* note */ false`): blanked (line ends kept), the file is parsed again
            blanked = _blank_block_comments(text)
            if blanked == text:
                raise _lark_error(e, line_offset) from None
            try:
                tree = parses_to_tree(blanked)
            except LarkError:
                raise _lark_error(e, line_offset) from None
    except RecursionError:
        raise ParseError(1 + line_offset, "nested too deeply") from None
    conv = _Converter(line_offset)
    try:
        return conv.body(tree.children[0])
    except RecursionError:
        raise ParseError(1 + line_offset, "nested too deeply") from None
    except (ValueError, IndexError, KeyError, AttributeError, TypeError) as e:
        # a parse tree of a shape this walker does not know (another python-hcl2 grammar)
        raise ParseError(
            1 + line_offset, f"a construct this reader cannot read ({e.__class__.__name__})"
        ) from None


_HEREDOC_RE = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\n")


def _blank_block_comments(text: str) -> str:
    """``text`` with every ``/* */`` comment outside strings, heredocs and line comments
    turned into spaces (its line ends kept, so positions stay those of the file)."""
    out: list[str] = []
    n = len(text)
    # what encloses the position: "s" a quoted string, "{" a brace (of an interpolation
    # or an object); outside any string the text is code
    stack: list[str] = []
    last = 0
    m = _CODE_STOP.search(text, 0)
    while m is not None:
        i = m.start()
        c = text[i]
        if stack and stack[-1] == "s":
            if c == "\\":
                i += 2
            elif c == '"':
                stack.pop()
                i += 1
            elif text.startswith(("$${", "%%{"), i):  # an escaped, literal ${ / %{
                i += 3
            elif text.startswith(("${", "%{"), i):
                stack.append("{")
                i += 2
            else:
                i += 1
        elif c == '"':
            stack.append("s")
            i += 1
        elif c == "{":
            stack.append("{")
            i += 1
        elif c == "}":
            if stack:
                stack.pop()
            i += 1
        elif c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("<<", i) and (h := _HEREDOC_RE.match(text, i)):
            marker = h.group(1)
            end = re.compile(r"^[ \t]*" + re.escape(marker) + r"[ \t]*$", re.M).search(
                text, h.end()
            )
            i = n if end is None else end.end()
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:  # not closed: an error (and a part of a file cut in a comment)
                return text
            j += 2
            out.append(text[last:i])
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            last = i = j
        else:
            i += 1
        m = (_STRING_STOP if stack and stack[-1] == "s" else _CODE_STOP).search(text, i)
    out.append(text[last:])
    return "".join(out)


_CODE_STOP = re.compile(r'["{}#/<]')
_STRING_STOP = re.compile(r'["\\$%]')


_TOP_BLOCK_RE = re.compile(
    r"^(?:resource|data|module|variable|locals|output|provider|terraform|moved|import|check"
    r"|removed)\b",
    re.M,
)


def _chunks(text: str) -> list[tuple[str, int]]:
    """Cut a large file before top-level block lines into parts of about SPLIT_BYTES."""
    cuts = [0]
    for m in _TOP_BLOCK_RE.finditer(text):
        if m.start() - cuts[-1] >= SPLIT_BYTES:
            cuts.append(m.start())
    cuts.append(len(text))
    out = []
    for a, b in itertools.pairwise(cuts):
        out.append((text[a:b], text.count("\n", 0, a)))
    return out


def _parse_job(job: tuple[str, int]) -> Body | ParseError:
    try:
        return parse_text(job[0], job[1])
    except ParseError as e:
        return e


def _merge(bodies: Sequence[Body]) -> Body:
    return Body(
        tuple(a for b in bodies for a in b.attrs), tuple(k for b in bodies for k in b.blocks)
    )


def _in_pool(jobs: list[tuple[str, int]], workers: int) -> list[Body | ParseError] | None:
    """The jobs parsed by worker processes; None where processes cannot be used (the
    caller then parses them here). Forked workers start at once; with other threads
    running a fork is unsafe, so the workers are spawned instead."""
    method = (
        "fork"
        if threading.active_count() == 1 and "fork" in mp.get_all_start_methods()
        else "spawn"
    )
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method)) as pool:
            return list(pool.map(_parse_job, jobs, chunksize=max(1, len(jobs) // (workers * 8))))
    except (OSError, BrokenProcessPool):
        return None


def parse_many(texts: Sequence[str], workers: int | None = None) -> list[Body | ParseError]:
    """Parse several files' texts, in parallel when it pays; each a Body or a ParseError.

    A large file is cut at top-level block starts; if any part does not parse alone (a cut
    inside a heredoc or comment), the whole file is parsed again in one piece so that the
    error and the positions are exactly those of the file."""
    jobs: list[tuple[str, int]] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        parts = _chunks(text) if len(text) > 2 * SPLIT_BYTES else [(text, 0)]
        jobs.extend(parts)
        owner.extend([i] * len(parts))
    total = sum(len(t) for t in texts)
    cpus = workers if workers is not None else min(os.cpu_count() or 1, 8)
    results: list[Body | ParseError] | None = None
    if cpus > 1 and total > 200_000 and len(jobs) > 1:
        results = _in_pool(jobs, min(cpus, len(jobs)))
    if results is None:
        results = [_parse_job(j) for j in jobs]
    grouped: list[list[Body | ParseError]] = [[] for _ in texts]
    for i, r in zip(owner, results, strict=True):
        grouped[i].append(r)
    out: list[Body | ParseError] = []
    for i, rs in enumerate(grouped):
        if len(rs) == 1:
            out.append(rs[0])
        elif any(isinstance(r, ParseError) for r in rs):
            out.append(_parse_job((texts[i], 0)))
        else:
            out.append(_merge([r for r in rs if isinstance(r, Body)]))
    return out
