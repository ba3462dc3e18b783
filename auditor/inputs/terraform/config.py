"""Read a Terraform root module (and its local modules) into a :class:`TfConfig`.

Without ``terraform init``: every ``*.tf`` / ``*.tf.json`` of the root directory and of each
module whose ``source`` is a local path (or, when ``terraform init`` has run, a registry or
git module it installed under ``.terraform/modules``) is parsed (in parallel; see
``hcl.py``), variables take their values as Terraform would (defaults < terraform.tfvars <
*.auto.tfvars < ``var_files`` < ``variables``), and everything else is evaluated lazily with
memoisation: a resource's attributes are evaluated when the resource is emitted or first
referred to, so each expression is evaluated once and reference cycles become unknowns
instead of loops. What cannot be read (a module that is not there, a count that is not
known) is a gap. ``references`` list what each attribute names, and through each local what
that local names.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...files import InputError
from ...unknown import UnknownValue
from .azurerm.defaults import RESEARCHED_MAJORS, admitted_majors
from .evaluate import (
    CONSTANT,
    Context,
    EvalError,
    Lazy,
    ResObj,
    StaticError,
    charge,
    evaluate,
    evaluate_safe,
    references,
    reset_budget,
    to_bool,
    to_number,
    to_string,
)
from .hcl import Body, Expr, ParseError, parse_expression, parse_many, parse_text
from .resources import ProviderVersion, TfConfig, TfResource

META_ATTRS = frozenset({"count", "for_each", "provider", "depends_on"})
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection", "precondition", "postcondition"})
MAX_MODULE_DEPTH = 32
# count / for_each multiply the input: past these many instances (per block, and in all) the
# rest is a gap, so a two-line file cannot make the reader build millions of objects
MAX_INSTANCES = 10_000
MAX_TOTAL_INSTANCES = 250_000
AZURERM = "registry.terraform.io/hashicorp/azurerm"
AZURERM_TOFU = "registry.opentofu.org/hashicorp/azurerm"  # OpenTofu's lock file


# -- the parsed module directory --------------------------------------------------------


@dataclass
class ResourceDef:
    mode: str  # managed | data
    type: str
    name: str
    body: Body
    file: str
    line: int


@dataclass
class ModuleDef:
    """One module directory, parsed once however many instances it has."""

    dir: Path  # as found (not resolved)
    real: Path  # resolved, for cycle detection and file-function bounds
    rel: str  # path.module: relative to the root directory ("." for the root)
    variables: dict[str, tuple[Body, str, int, str | None]] = field(default_factory=dict)
    locals: dict[str, tuple[Expr, str, int]] = field(default_factory=dict)
    outputs: dict[str, tuple[Expr, str, int]] = field(default_factory=dict)
    resources: list[ResourceDef] = field(default_factory=list)
    calls: dict[str, tuple[Body, str, int]] = field(default_factory=dict)
    providers: list[tuple[str, str | None, Body]] = field(default_factory=list)
    terraform: list[tuple[Body, str]] = field(default_factory=list)
    by_type: dict[tuple[str, str], dict[str, ResourceDef]] = field(default_factory=dict)
    key: str = ""  # the call path terraform init records it under ("net.inner"; "" = root)
    installed: bool = False  # a registry/git module found where terraform init put it
    files: list[Path] = field(default_factory=list)  # its .tf and .tf.json files


def _attr(body: Body, name: str) -> tuple[Expr, int] | None:
    for n, e, line in body.attrs:
        if n == name:
            return e, line
    return None


class _Twice(list[tuple[str, Any]]):
    """A JSON object with a property given twice, as its pairs: a block type may be
    (two "resource" properties hold blocks of both), an argument may not."""


def _json_object(pairs: list[tuple[str, Any]]) -> Any:
    out = dict(pairs)
    return out if len(out) == len(pairs) else _Twice(pairs)


def _plain_json(value: Any) -> Any:
    """A JSON value whose objects are plain dicts (a property given twice refused)."""
    value = _no_twice(value)
    if isinstance(value, dict):
        return {k: _plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_json(v) for v in value]
    return value


def _json_load(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_json_object)


def _no_twice(value: Any) -> Any:
    if isinstance(value, _Twice):
        names = [k for k, _ in value]
        twice = next(k for k in names if names.count(k) > 1)
        # terraform rejects it; Python's json would keep the last silently
        raise ParseError(1, f"the property {twice[:60]!r} is given twice in one object")
    return value


def _json_to_body(data: Any, line: int = 1) -> Body:
    """A ``.tf.json`` document as a Body: strings are templates, objects under a block
    type are blocks (Terraform's JSON syntax, for the common shapes)."""
    attrs: list[tuple[str, Expr, int]] = []
    blocks: list[tuple[str, tuple[str, ...], Body, int]] = []
    pairs = list(data) if isinstance(data, _Twice) else None
    if pairs is None and not isinstance(data, dict):
        raise ParseError(line, "a .tf.json file must hold an object")
    labels_by_type = {
        "resource": 2,
        "data": 2,
        "module": 1,
        "variable": 1,
        "output": 1,
        "provider": 1,
        "locals": 0,
        "terraform": 0,
    }
    if pairs is not None:
        names = [k for k, _ in pairs]
        twice = next((k for k in names if names.count(k) > 1 and k not in labels_by_type), None)
        if twice is not None:
            raise ParseError(line, f"the property {twice[:60]!r} is given twice in one object")
    for key, value in pairs if pairs is not None else data.items():
        if key in labels_by_type:
            depth = labels_by_type[key]
            for labels, inner in _json_labels(value, depth):
                for one in inner if isinstance(inner, list) else [inner]:
                    blocks.append((key, labels, _json_block(one, key), line))
        else:
            attrs.append((key, _json_expr(value), line))
    return Body(tuple(attrs), tuple(blocks))


def _json_labels(value: Any, depth: int) -> Iterator[tuple[tuple[str, ...], Any]]:
    value = _no_twice(value)
    if depth == 0:
        yield (), value
        return
    if not isinstance(value, dict):
        raise ParseError(1, "a block in .tf.json must be an object")
    for k, v in value.items():
        for rest, inner in _json_labels(v, depth - 1):
            yield (k, *rest), inner


# JSON syntax cannot tell a map argument from a nested block without the provider's schema:
# an object is read as a block unless it is one of these map arguments of azurerm resources
_JSON_MAP_ATTRIBUTES = frozenset(
    {
        "tags",
        "settings",
        "protected_settings",
        "app_settings",
        "metadata",
        "labels",
        "node_labels",
        "parameters",
        "environment_variables",
        "extended_properties",
        "custom_data",
    }
)


def _json_block(value: Any, block_type: str) -> Body:
    value = _no_twice(value)
    if not isinstance(value, dict):
        raise ParseError(1, f"a {block_type} block in .tf.json must be an object")
    attrs: list[tuple[str, Expr, int]] = []
    blocks: list[tuple[str, tuple[str, ...], Body, int]] = []
    for k, v in value.items():
        if block_type in ("variable", "locals", "output") or k in ("count", "for_each"):
            attrs.append((k, _json_expr(v, literal=k == "type"), 1))
        elif k == "dynamic" and block_type not in ("dynamic", "content"):
            # "dynamic": {"security_rule": {"for_each": …, "iterator": "r", "content": {…}}}
            if not isinstance(v, dict):
                raise ParseError(1, "a dynamic block in .tf.json must be an object")
            for label, inner in v.items():
                for one in inner if isinstance(inner, list) else [inner]:
                    blocks.append(("dynamic", (label,), _json_dynamic(one, label), 1))
        elif isinstance(v, dict) and k not in _JSON_MAP_ATTRIBUTES:
            blocks.append((k, (), _json_block(v, k), 1))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for x in v:
                blocks.append((k, (), _json_block(x, k), 1))
        else:
            attrs.append((k, _json_expr(v), 1))
    return Body(tuple(attrs), tuple(blocks))


def _json_dynamic(value: Any, label: str) -> Body:
    value = _no_twice(value)
    if not isinstance(value, dict):
        raise ParseError(1, f"the dynamic {label} block in .tf.json must be an object")
    attrs: list[tuple[str, Expr, int]] = []
    blocks: list[tuple[str, tuple[str, ...], Body, int]] = []
    for k, v in value.items():
        if k == "content":
            for one in v if isinstance(v, list) else [v]:
                blocks.append(("content", (), _json_block(one, label), 1))
        elif k == "iterator" and isinstance(v, str):
            attrs.append((k, ("ref", v), 1))
        else:
            attrs.append((k, _json_expr(v), 1))
    return Body(tuple(attrs), tuple(blocks))


def _json_expr(value: Any, literal: bool = False) -> Expr:
    value = _no_twice(value)
    if isinstance(value, str):
        if literal:
            try:
                return parse_expression(value)
            except ParseError:
                return ("lit", value)
        if "${" in value or "%{" in value:
            from .hcl import parse_template

            return parse_template(value, 1)
        return ("lit", value)
    if isinstance(value, list):
        return ("tuple", tuple(_json_expr(v) for v in value))
    if isinstance(value, dict):
        return ("object", tuple((("lit", k), _json_expr(v)) for k, v in value.items()))
    return ("lit", value)


# -- loading ------------------------------------------------------------------------------


class _Loader:
    def __init__(self, root: Path, display_root: str) -> None:
        self.root = root
        self.root_real = root.resolve()
        self.display_root = display_root
        self.gaps: list[str] = []
        self.modules: dict[Path, ModuleDef] = {}
        self.installed = self._installed_modules()
        self.bytes_read = 0

    def _installed_modules(self) -> dict[str, Path]:
        """Where ``terraform init`` put each non-local module, by call path
        (``.terraform/modules/modules.json``), when it has been run; never outside
        the root directory."""
        manifest = self.root / ".terraform" / "modules" / "modules.json"
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            return {}
        out: dict[str, Path] = {}
        entries = data.get("Modules") if isinstance(data, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            key, directory = entry.get("Key"), entry.get("Dir")
            if isinstance(key, str) and key and isinstance(directory, str):
                target = Path(os.path.normpath(self.root / directory))
                if target.resolve().is_relative_to(self.root_real):
                    out[key] = target
        return out

    def display(self, path: Path) -> str:
        rel = os.path.relpath(path, self.root)
        joined = os.path.normpath(os.path.join(self.display_root, rel))
        return joined.replace(os.sep, "/")

    def files_of(self, directory: Path, real: Path) -> list[Path]:
        try:
            entries = sorted(directory.iterdir(), key=lambda p: p.name)
        except OSError as e:
            raise InputError(self.display(directory), f"cannot read the directory: {e}") from None
        out = []
        for p in entries:
            if not (p.name.endswith(".tf") or p.name.endswith(".tf.json")):
                continue
            if p.name.startswith("."):  # a hidden file: terraform ignores it (IsIgnoredFile)
                continue
            if p.is_symlink():
                target = p.resolve()
                if not (target.is_relative_to(real) or target.is_relative_to(self.root_real)):
                    self.gaps.append(
                        f"{self.display(p)}: a symbolic link leaving the module's directory "
                        "tree; not read"
                    )
                    continue
            if p.is_file():
                out.append(p)
        return out

    def load_tree(self) -> ModuleDef:
        """Parse the root directory and, breadth first, every local module it calls
        (all files of one level parsed together, in parallel)."""
        root_def = self._new_def(self.root)
        if root_def is None:
            raise InputError(self.display_root, "no .tf files in the directory")
        pending = [root_def]
        seen = {root_def.real}
        depth = 0
        while pending and depth < MAX_MODULE_DEPTH:
            self._parse_defs(pending)
            nxt = []
            for mdef in pending:
                for name, (body, file, line) in mdef.calls.items():
                    target = self.source_dir(mdef, name, body, file, line, report=True)
                    if target is None or target in self.modules:
                        continue
                    new = self._new_def(target)
                    if new is None:
                        self.gaps.append(
                            f"{file}:{line}: module.{name} has no .tf files in "
                            f"{self.display(target)}; its resources are not read"
                        )
                        self.modules[target] = ModuleDef(target, target.resolve(), "")
                        continue
                    new.key = f"{mdef.key}.{name}" if mdef.key else name
                    new.installed = mdef.installed or not _is_local(_attr(body, "source"))
                    if new.real not in seen:
                        seen.add(new.real)
                        nxt.append(new)
            pending = nxt
            depth += 1
        return root_def

    def source_dir(
        self, mdef: ModuleDef, name: str, body: Body, file: str, line: int, report: bool = False
    ) -> Path | None:
        """The directory of a module call: a local path, or where terraform init installed
        a registry or git module; None (a gap, when ``report``) when neither."""
        src = _attr(body, "source")
        if src is None or src[0][0] != "lit" or not isinstance(src[0][1], str):
            if report:
                self.gaps.append(f"{file}:{line}: module.{name} has no literal source; not read")
            return None
        source = src[0][1]
        if not _is_local(src):
            installed = self.installed.get(f"{mdef.key}.{name}" if mdef.key else name)
            if installed is not None:
                return installed
            if report:
                self.gaps.append(
                    f"{file}:{line}: module.{name} comes from {source!r} (not a local path, "
                    "not installed by terraform init); its resources are not read"
                )
            return None
        target = Path(os.path.normpath(mdef.dir / source))
        inside = Path(os.path.normpath(target)).is_relative_to(os.path.normpath(self.root))
        if inside and target.exists() and not target.resolve().is_relative_to(self.root_real):
            if report:
                self.gaps.append(
                    f"{file}:{line}: module.{name} is a symbolic link leaving the "
                    "configuration's directory tree; not read"
                )
            return None
        return target

    def _new_def(self, directory: Path) -> ModuleDef | None:
        if not directory.is_dir():
            return None
        real = directory.resolve()
        mdef = ModuleDef(
            directory, real, os.path.relpath(directory, self.root).replace(os.sep, "/")
        )
        files = self.files_of(directory, real)
        if not files:
            return None
        mdef.files = files
        self.modules[directory] = mdef
        return mdef

    def _parse_defs(self, defs: list[ModuleDef]) -> None:
        paths: list[tuple[ModuleDef, Path]] = [(m, p) for m in defs for p in m.files]
        texts = []
        for _, p in paths:
            try:
                texts.append(p.read_text(encoding="utf-8-sig"))
            except UnicodeDecodeError:
                raise InputError(self.display(p), "not UTF-8 text") from None
            except OSError as e:
                raise InputError(self.display(p), f"cannot read: {e.strerror}") from None
        self.bytes_read += sum(map(len, texts))
        hcl_idx = [i for i, (_, p) in enumerate(paths) if p.name.endswith(".tf")]
        parsed = parse_many([texts[i] for i in hcl_idx])
        bodies: dict[int, Body] = {}
        broken: set[int] = set()  # installed modules that do not parse: gaps, not errors
        for i, result in zip(hcl_idx, parsed, strict=True):
            if isinstance(result, ParseError):
                mdef = paths[i][0]
                if not mdef.installed:
                    raise InputError(self.display(paths[i][1]), str(result))
                if id(mdef) not in broken:
                    broken.add(id(mdef))
                    self.gaps.append(
                        f"{self.display(paths[i][1])}: {result}; the installed module "
                        f"{mdef.key} is not read"
                    )
                continue
            bodies[i] = result
        for i, (mdef, p) in enumerate(paths):
            if i in bodies or id(mdef) in broken:
                continue
            try:
                bodies[i] = _json_to_body(_json_load(texts[i]))
            except json.JSONDecodeError as e:
                raise InputError(self.display(p), f"line {e.lineno}: {e.msg}") from None
            except ParseError as e:
                raise InputError(self.display(p), str(e)) from None
            except RecursionError:
                raise InputError(self.display(p), "nested too deeply") from None
        overrides = []
        for i, (mdef, p) in enumerate(paths):
            if id(mdef) not in broken and i in bodies:
                if _is_override(p.name):
                    overrides.append((mdef, bodies[i], self.display(p)))
                else:
                    self._index(mdef, bodies[i], self.display(p))
        for mdef, body, file in overrides:  # after every other file, as terraform does
            self._override(mdef, body, file)

    def _override(self, mdef: ModuleDef, body: Body, file: str) -> None:
        """An override file's blocks merged into the blocks they name: its arguments
        replace theirs, its nested blocks of a type replace all of theirs of that type."""
        for btype, labels, inner, line in body.blocks:
            if btype in ("resource", "data") and len(labels) == 2:
                mode = "managed" if btype == "resource" else "data"
                rdef = mdef.by_type.get((mode, labels[0]), {}).get(labels[1])
                if rdef is None:
                    raise InputError(
                        file,
                        f"line {line}: override for {btype} {labels[0]}.{labels[1]}, "
                        "which is not declared",
                    )
                rdef.body = _merge_body(rdef.body, inner)
            elif btype == "locals":
                for name, e, ln in inner.attrs:
                    mdef.locals[name] = (e, file, ln)
            elif btype == "variable" and len(labels) == 1 and labels[0] in mdef.variables:
                old, vfile, vline, _type = mdef.variables[labels[0]]
                merged = _merge_body(old, inner)
                t = _attr(merged, "type")
                mdef.variables[labels[0]] = (
                    merged,
                    vfile,
                    vline,
                    _type_text(t[0]) if t is not None else None,
                )
            elif btype == "output" and len(labels) == 1 and labels[0] in mdef.outputs:
                v = _attr(inner, "value")
                if v is not None:
                    mdef.outputs[labels[0]] = (v[0], file, v[1])
            elif btype == "module" and len(labels) == 1 and labels[0] in mdef.calls:
                old_body, cfile, cline = mdef.calls[labels[0]]
                mdef.calls[labels[0]] = (_merge_body(old_body, inner), cfile, cline)
            elif btype == "terraform":
                # its required_providers entries replace the original's: read first
                mdef.terraform.insert(0, (inner, file))

    def _index(self, mdef: ModuleDef, body: Body, file: str) -> None:
        for btype, labels, inner, line in body.blocks:
            if btype in ("resource", "data") and len(labels) == 2:
                mode = "managed" if btype == "resource" else "data"
                rdef = ResourceDef(mode, labels[0], labels[1], inner, file, line)
                key = (mode, labels[0])
                if labels[1] in mdef.by_type.get(key, {}):
                    raise InputError(
                        file, f"line {line}: duplicate {btype} {labels[0]}.{labels[1]}"
                    )
                mdef.resources.append(rdef)
                mdef.by_type.setdefault(key, {})[labels[1]] = rdef
            elif (
                btype in ("variable", "output", "module")
                and len(labels) == 1
                and labels[0] in _declared(mdef, btype)
            ):
                raise InputError(file, f"line {line}: duplicate {btype} {labels[0]!r}")
            elif btype == "variable" and len(labels) == 1:
                type_src = None
                t = _attr(inner, "type")
                if t is not None:
                    type_src = _type_text(t[0])
                mdef.variables[labels[0]] = (inner, file, line, type_src)
            elif btype == "locals":
                for name, e, ln in inner.attrs:
                    if name in mdef.locals:
                        raise InputError(file, f"line {ln}: duplicate local value {name!r}")
                    mdef.locals[name] = (e, file, ln)
            elif btype == "output" and len(labels) == 1:
                v = _attr(inner, "value")
                mdef.outputs[labels[0]] = (v[0] if v else ("lit", None), file, line)
            elif btype == "module" and len(labels) == 1:
                mdef.calls[labels[0]] = (inner, file, line)
            elif btype == "provider" and len(labels) == 1:
                alias = _attr(inner, "alias")
                alias_name = alias[0][1] if alias and alias[0][0] == "lit" else None
                mdef.providers.append((labels[0], alias_name, inner))
            elif btype == "terraform":
                mdef.terraform.append((inner, file))


def _declared(mdef: ModuleDef, btype: str) -> Mapping[str, Any]:
    if btype == "variable":
        return mdef.variables
    return mdef.outputs if btype == "output" else mdef.calls


def _is_override(name: str) -> bool:
    stem = name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


def _foreign(body: Body) -> Body:
    """A body from another file: its lines negated, so they are not taken as lines of the
    file the resource is in (findings then point at the block)."""
    return Body(
        tuple((n, e, -abs(ln)) for n, e, ln in body.attrs),
        tuple((t, lb, _foreign(b), -abs(ln)) for t, lb, b, ln in body.blocks),
    )


def _merge_body(original: Body, override: Body) -> Body:
    override = _foreign(override)
    replaced = {name for name, _e, _ln in override.attrs}
    attrs = tuple(a for a in original.attrs if a[0] not in replaced) + override.attrs
    # a `dynamic "x"` block is a block of type x, on either side (terraform's mergeBody)
    types = {_block_kind(b) for b in override.blocks}
    blocks = tuple(b for b in original.blocks if _block_kind(b) not in types) + override.blocks
    return Body(attrs, blocks)


def _block_kind(block: tuple[str, tuple[str, ...], Body, int]) -> str:
    btype, labels = block[0], block[1]
    return labels[0] if btype == "dynamic" and labels else btype


def _is_local(src: tuple[Expr, int] | None) -> bool:
    source = src[0][1] if src is not None and src[0][0] == "lit" else None
    return isinstance(source, str) and source.startswith(("./", "../"))


def _type_text(e: Expr) -> str:
    """A type constraint's source text, rebuilt from its tree."""
    kind = e[0]
    if kind == "ref":
        return str(e[1])
    if kind == "call":
        return f"{e[1]}({', '.join(_type_text(a) for a in e[2])})"
    if kind == "object":
        inner = ", ".join(f"{_type_text(k)} = {_type_text(v)}" for k, v in e[1])
        return "{" + inner + "}"
    if kind == "tuple":
        return "[" + ", ".join(_type_text(x) for x in e[1]) + "]"
    if kind == "lit":
        return json.dumps(e[1]) if not isinstance(e[1], str) else e[1]
    if kind == "paren":
        return _type_text(e[1])
    return "?"


# -- variable types -----------------------------------------------------------------------


def convert(value: Any, t: Expr | None) -> Any:
    """``value`` converted to the type constraint ``t`` as Terraform converts input
    variables (primitives, collections, objects with optional attributes)."""
    if t is None or value is None or type(value) is UnknownValue:
        return value
    kind = t[0]
    if kind == "ref":
        name = t[1]
        if name == "string":
            if isinstance(value, list | dict):
                raise EvalError("a collection where a string is required")
            return to_string(value)
        if name == "number":
            return to_number(value)
        if name == "bool":
            return to_bool(value)
        return value  # any
    if kind == "call" and t[2]:
        fname, args = t[1], t[2]
        if fname in ("list", "set"):
            if not isinstance(value, list):
                raise EvalError(f"not a {fname}")
            items = [convert(v, args[0]) for v in value]
            if fname == "set":
                from .functions import _set

                items = _set(items)
            return items
        if fname == "map":
            if not isinstance(value, dict):
                raise EvalError("not a map")
            return {k: convert(v, args[0]) for k, v in value.items()}
        if fname == "object" and args[0][0] == "object":
            if not isinstance(value, dict):
                raise EvalError("not an object")
            out = {}
            for k_e, v_t in args[0][1]:
                key = k_e[1] if k_e[0] == "lit" else _type_text(k_e)
                optional = v_t[0] == "call" and v_t[1] == "optional"
                # an optional attribute given as null takes its default, as unset does
                defaulted = optional and len(v_t[2]) > 1 and value.get(key) is None
                if key in value and not defaulted:
                    out[key] = convert(value[key], v_t[2][0] if optional else v_t)
                elif optional:
                    default = v_t[2][1] if len(v_t[2]) > 1 else ("lit", None)
                    out[key] = convert(evaluate(default, CONSTANT), v_t[2][0])
                else:
                    raise EvalError(f"the attribute {key!r} is required")
            return out
        if fname == "tuple" and args[0][0] == "tuple" and isinstance(value, list):
            types = args[0][1]
            if len(types) != len(value):
                raise EvalError("a tuple of the wrong length")
            return [convert(v, ty) for v, ty in zip(value, types, strict=True)]
    return value


def _parse_cli_value(raw: str, t: Expr | None, source: str = "-var") -> Any:
    """A ``-var NAME=VALUE`` value as terraform reads it: the raw string for a variable
    without a type or of a primitive type (converted to it later), an HCL expression for a
    collection, object or ``any`` type (unknown when it is not one)."""
    if t is None or t in (("ref", "string"), ("ref", "number"), ("ref", "bool")):
        return raw
    try:
        return evaluate(parse_expression(raw), CONSTANT)
    except (ParseError, EvalError) as e:
        reason = e.problem if isinstance(e, ParseError) else e.reason
        return UnknownValue(f"the {source} value {raw[:40]!r} is not an HCL value ({reason})")


# -- instances ------------------------------------------------------------------------------

_IN_PROGRESS = object()


def _index_text(index: int | str | None) -> str:
    if index is None:
        return ""
    if isinstance(index, int):
        return f"[{index}]"
    return "[" + json.dumps(index, ensure_ascii=False) + "]"


class _Instance:
    """One resource instance: its TfResource, built lazily, once."""

    __slots__ = ("bindings", "index", "module", "obj_value", "rdef", "result")

    def __init__(self, module: _Module, rdef: ResourceDef, index: Any, bindings: dict[str, Any]):
        self.module = module
        self.rdef = rdef
        self.index = index
        self.bindings = bindings
        self.result: Any = None
        self.obj_value: Any = None

    @property
    def address(self) -> str:
        r = self.rdef
        base = f"{r.type}.{r.name}" if r.mode == "managed" else f"data.{r.type}.{r.name}"
        prefix = f"{self.module.path}." if self.module.path else ""
        return f"{prefix}{base}{_index_text(self.index)}"

    def resource(self) -> TfResource | UnknownValue:
        if self.result is _IN_PROGRESS:
            return UnknownValue(f"{self.address} refers to itself through a reference cycle")
        if self.result is None:
            self.result = _IN_PROGRESS
            try:
                self.result = self.module.build(self)
            except BaseException:
                self.result = None
                raise
        return self.result

    def obj(self) -> Any:
        """The instance as other expressions see it: its attributes, its synthesized
        ``id``, and "known only after apply" for anything else."""
        if self.obj_value is not None:
            return self.obj_value
        from .azurerm.ids import synthesize_id

        r = self.resource()
        if isinstance(r, UnknownValue):
            return r  # (a cycle: not memoised, the instance may still be completed)
        values = dict(r.values)
        if "id" not in values:
            values["id"] = synthesize_id(r)
        self.obj_value = ResObj(
            r.address,
            {
                k: _wrap_blocks(v, f"{r.address}.{k}", values["id"], _BLOCK_IDS.get((r.type, k)))
                for k, v in values.items()
            },
        )
        return self.obj_value


_SCALARS = (str, int, float, bool, type(None), UnknownValue)


def _plain(value: Any) -> Any:
    """A value as a TfResource holds it: plain dicts and lists (a namespace that leaked into
    a collection, ``[module.net]``, is unknown)."""
    if type(value) in _SCALARS:
        return value
    try:
        charge(len(value) if isinstance(value, list | dict) else 1)
    except EvalError as e:
        return UnknownValue(e.reason)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Lazy):
        return UnknownValue(f"the whole {value.label} object is not a value this reader gives")
    return value


# Nested blocks that are ARM child resources, whose ``id`` Terraform exports and other
# resources refer to (``azurerm_lb.x.frontend_ip_configuration[0].id``,
# ``tolist(azurerm_virtual_network.x.subnet)[0].id``): (type, block) -> ARM child segment
_BLOCK_IDS: dict[tuple[str, str], str] = {
    ("azurerm_virtual_network", "subnet"): "subnets",
    ("azurerm_network_security_group", "security_rule"): "securityRules",
    ("azurerm_route_table", "route"): "routes",
    ("azurerm_network_interface", "ip_configuration"): "ipConfigurations",
    ("azurerm_lb", "frontend_ip_configuration"): "frontendIPConfigurations",
    ("azurerm_firewall", "ip_configuration"): "azureFirewallIpConfigurations",
    ("azurerm_virtual_network_gateway", "ip_configuration"): "ipConfigurations",
    ("azurerm_bastion_host", "ip_configuration"): "bastionHostIpConfigurations",
    ("azurerm_private_endpoint", "private_dns_zone_group"): "privateDnsZoneGroups",
    ("azurerm_application_gateway", "frontend_ip_configuration"): "frontendIPConfigurations",
    ("azurerm_application_gateway", "frontend_port"): "frontendPorts",
    ("azurerm_application_gateway", "gateway_ip_configuration"): "gatewayIPConfigurations",
    ("azurerm_application_gateway", "backend_address_pool"): "backendAddressPools",
    ("azurerm_application_gateway", "backend_http_settings"): "backendHttpSettingsCollection",
    ("azurerm_application_gateway", "http_listener"): "httpListeners",
    ("azurerm_application_gateway", "request_routing_rule"): "requestRoutingRules",
    ("azurerm_application_gateway", "probe"): "probes",
}


def _wrap_blocks(value: Any, origin: str, parent_id: Any, segment: str | None) -> Any:
    """Nested blocks as resource objects (an attribute they do not set is known after
    apply), with the id of those that are ARM child resources."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = []
        for i, v in enumerate(value):
            name = v.get("name")
            named = isinstance(name, str) and name
            if segment and named and "id" not in v and isinstance(parent_id, str):
                v = {**v, "id": f"{parent_id}/{segment}/{name.replace('/', '%2F')}"}
            out.append(ResObj(f"{origin}[{i}]", v))
        return out
    return value


class _Memo:
    """Lazily computed named values with cycle detection."""

    def __init__(self, what: str, compute: Callable[[str], Any]) -> None:
        self.what = what
        self.compute = compute
        self.values: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        v = self.values.get(name)
        if v is _IN_PROGRESS:
            return UnknownValue(f"{self.what}{name} refers to itself through a cycle")
        if v is not None or name in self.values:
            return v
        self.values[name] = _IN_PROGRESS
        try:
            v = self.compute(name)
        except BaseException:
            del self.values[name]
            raise
        self.values[name] = v
        return v


class _Module:
    """One module instance: ``""`` (the root), ``module.net``, ``module.a["x"]``."""

    def __init__(
        self,
        state: _State,
        mdef: ModuleDef,
        path: str,
        call_body: Body | None,
        call_ctx: Context | None,
        providers: dict[str, str | None],
        chain: tuple[Path, ...],
    ) -> None:
        self.state = state
        self.mdef = mdef
        self.path = path
        self.call_body = call_body
        self.call_ctx = call_ctx
        self.chain = chain
        self.vars = _Memo("var.", self._var)
        self.locals = _Memo("local.", self._local)
        self.outputs = _Memo("output.", self._output)
        self.expansions = _Memo("", self._expand_resource)
        self.children = _Memo("module.", self._expand_call)
        self.local_refs = _Memo("local.", self._local_refs)
        self.collections: dict[str, Any] = {}
        self.providers = dict(providers)
        self.ctx = Context(self.resolve, None, mdef.real, state.root_real)
        self.var_ns = Lazy("var", self.vars.get)
        self.local_ns = Lazy("local", self.locals.get)
        self.module_ns = Lazy("module", self.module_value)
        self.data_ns = Lazy("data", lambda t: Lazy(f"data.{t}", lambda n: self.ref("data", t, n)))
        self.path_obj = {"module": mdef.rel, "root": ".", "cwd": "."}
        for pname, alias, body in mdef.providers:  # a module's own provider blocks
            key = f"{pname}.{alias}" if alias else pname
            self.providers[key] = self._subscription(body)

    def _subscription(self, body: Body) -> str | None:
        sub = _attr(body, "subscription_id")
        if sub is None:
            return None
        v = evaluate_safe(sub[0], self.ctx)
        return v if isinstance(v, str) and v else None

    @property
    def where(self) -> str:
        return self.path or "the root module"

    # -- names --------------------------------------------------------------------------

    def resolve(self, name: str) -> Any:
        if name == "var":
            return self.var_ns
        if name == "local":
            return self.local_ns
        if name == "module":
            return self.module_ns
        if name == "data":
            return self.data_ns
        if name == "path":
            return self.path_obj
        if name == "terraform":
            return {"workspace": "default"}
        if ("managed", name) in self.mdef.by_type:
            return Lazy(name, lambda n: self.ref("managed", name, n))
        if name in ("each", "count", "self"):
            raise EvalError(f"{name} is not available here")
        raise StaticError(f"the name {name!r} is not declared")

    def ref(self, mode: str, rtype: str, name: str) -> Any:
        rdef = self.mdef.by_type.get((mode, rtype), {}).get(name)
        prefix = "data." if mode == "data" else ""
        if rdef is None:
            raise StaticError(f"{prefix}{rtype}.{name} is not declared in {self.where}")
        exp = self.expansions.get(f"{mode}.{rtype}.{name}")
        if type(exp) is UnknownValue:
            return exp
        kind, instances = exp
        if kind == "one":
            return instances[0].obj()
        key = f"{mode}.{rtype}.{name}"
        cached = self.collections.get(key)
        if cached is not None:
            return cached
        objs = [i.obj() for i in instances]
        value: Any = (
            objs if kind == "count" else {i.index: o for i, o in zip(instances, objs, strict=True)}
        )
        # built once (each reference to one of 10,000 instances must not rebuild them all),
        # unless an instance was still being evaluated (a cycle): then it is not final
        if not any(isinstance(o, UnknownValue) for o in objs):
            self.collections[key] = value
        return value

    def _var(self, name: str) -> Any:
        decl = self.mdef.variables.get(name)
        if decl is None:
            raise StaticError(f"var.{name} is not declared in {self.where}")
        body, _file, _line, _ = decl
        t = _attr(body, "type")
        type_expr = t[0] if t else None
        if self.path == "":
            given = self.state.root_values.get(name, _MISSING)
        else:
            given = _MISSING
            arg = _attr(self.call_body, name) if self.call_body else None
            if arg is not None and self.call_ctx is not None:
                given = evaluate_safe(arg[0], self.call_ctx, f"module argument {name}")
        if given is _MISSING or (given is None and _nullable(body) is False):
            d = _attr(body, "default")
            if d is None:
                if given is None:
                    return None
                return UnknownValue(
                    f"var.{name} has no default and no value was given"
                    + (f" ({self.path})" if self.path else "")
                )
            given = evaluate_safe(d[0], CONSTANT, f"var.{name} default")
        try:
            return convert(given, type_expr)
        except EvalError as e:
            return UnknownValue(f"var.{name}: the value does not match its type ({e.reason})")

    def _local(self, name: str) -> Any:
        decl = self.mdef.locals.get(name)
        if decl is None:
            raise StaticError(f"local.{name} is not declared in {self.where}")
        return evaluate_safe(decl[0], self.ctx, f"local.{name}")

    def _output(self, name: str) -> Any:
        decl = self.mdef.outputs.get(name)
        if decl is None:
            raise StaticError(f"{self.path} has no output {name!r}")
        return evaluate_safe(decl[0], self.ctx, f"{self.path}.{name}")

    def module_value(self, name: str) -> Any:
        if name not in self.mdef.calls:
            raise StaticError(f"module.{name} is not declared in {self.where}")
        exp = self.children.get(name)
        if type(exp) is UnknownValue:
            return exp
        kind, mods = exp
        if not mods and kind == "one":
            return UnknownValue(f"module.{name} is not read (see the coverage gaps)")

        cached = self.collections.get(f"module.{name}")
        if cached is not None:
            return cached

        def ns(m: _Module) -> Lazy:
            return Lazy(m.path, m.outputs.get)

        value: Any
        if kind == "one":
            value = ns(mods[0][1])
        elif kind == "count":
            value = [ns(m) for _, m in mods]
        else:
            value = {k: ns(m) for k, m in mods}
        self.collections[f"module.{name}"] = value  # built once, as for resources
        return value

    # -- expansion ----------------------------------------------------------------------

    def _repetition(
        self, body: Body, what: str, file: str, line: int
    ) -> tuple[str, list[tuple[Any, dict[str, Any]]]] | UnknownValue:
        """("one"|"count"|"for_each", [(index, bindings)]) from count / for_each."""
        count = _attr(body, "count")
        for_each = _attr(body, "for_each")
        if count is not None:
            v = evaluate_safe(count[0], self.ctx, f"{what} count")
            if type(v) is UnknownValue:
                return self.state.gap(
                    f"{file}:{count[1]}: {what} has a count that is not known "
                    f"({v.reason}); its instances are not read"
                )
            try:
                n = to_number(v)
            except EvalError as e:
                return self.state.gap(f"{file}:{count[1]}: {what} count: {e.reason}")
            if not isinstance(n, int) or n < 0 or n > MAX_INSTANCES:
                return self.state.gap(f"{file}:{count[1]}: {what} count {n!r} is not usable")
            if not self.state.admit(n):
                return self.state.gap(
                    f"{file}:{count[1]}: {what} would make more than "
                    f"{MAX_TOTAL_INSTANCES} instances in all; not read"
                )
            return "count", [(i, {"count": {"index": i}}) for i in range(n)]
        if for_each is not None:
            v = evaluate_safe(for_each[0], self.ctx, f"{what} for_each")
            if isinstance(v, list):
                u = next((x for x in v if type(x) is UnknownValue), None)
            else:
                u = v if type(v) is UnknownValue else None
            if u is not None:
                return self.state.gap(
                    f"{file}:{for_each[1]}: {what} has a for_each that is not "
                    f"known ({u.reason}); its instances are not read"
                )
            if isinstance(v, dict):
                items = [(k, v[k]) for k in sorted(v)]
            elif isinstance(v, list) and all(isinstance(x, str) for x in v):
                items = [(k, k) for k in sorted(set(v))]
            else:
                return self.state.gap(
                    f"{file}:{for_each[1]}: {what} for_each is neither a map "
                    "nor a set of strings; its instances are not read"
                )
            if len(items) > MAX_INSTANCES or not self.state.admit(len(items)):
                return self.state.gap(
                    f"{file}:{for_each[1]}: {what} for_each makes too many instances; not read"
                )
            return "for_each", [(k, {"each": {"key": k, "value": val}}) for k, val in items]
        return "one", [(None, {})]

    def _expand_resource(self, key: str) -> Any:
        mode, rtype, name = key.split(".", 2)
        rdef = self.mdef.by_type[(mode, rtype)][name]
        prefix = f"{self.path}." if self.path else ""
        label = prefix + (f"data.{rtype}.{name}" if mode == "data" else f"{rtype}.{name}")
        rep = self._repetition(rdef.body, label, rdef.file, rdef.line)
        if isinstance(rep, UnknownValue):
            return rep
        kind, items = rep
        return kind, [_Instance(self, rdef, idx, b) for idx, b in items]

    def _expand_call(self, name: str) -> Any:
        body, file, line = self.mdef.calls[name]
        label = f"{self.path}.module.{name}" if self.path else f"module.{name}"
        target = self.state.loader.source_dir(self.mdef, name, body, file, line)
        if target is None:
            return "one", []
        child = self.state.loader.modules.get(target)
        if child is None or (not child.resources and not child.calls and not child.outputs):
            if child is None:
                self.state.gap(f"{file}:{line}: {label} is nested too deeply; not read")
            return "one", []
        if child.real in self.chain:
            self.state.gap(
                f"{file}:{line}: {label} calls a module that contains it (a module cycle); not read"
            )
            return "one", []
        rep = self._repetition(body, label, file, line)
        if isinstance(rep, UnknownValue):
            return rep
        kind, items = rep
        providers = self._passed_providers(body)
        out = []
        for idx, bindings in items:
            path = f"{label}{_index_text(idx)}"
            call_ctx = self.ctx.bind(bindings) if bindings else self.ctx
            m = _Module(
                self.state, child, path, body, call_ctx, providers, (*self.chain, child.real)
            )
            out.append((idx, m))
        return kind, out

    def _passed_providers(self, body: Body) -> dict[str, str | None]:
        """The provider configurations a child module sees: the default ones inherited,
        or those its ``providers = { azurerm = azurerm.x }`` argument names."""
        inherited = {k: v for k, v in self.providers.items() if "." not in k}
        p = _attr(body, "providers")
        if p is None or p[0][0] != "object":
            return inherited
        for k_e, v_e in p[0][1]:
            child_key = _provider_key(k_e)
            parent_key = _provider_key(v_e)
            if child_key and parent_key:
                inherited[child_key] = self.providers.get(parent_key)
        return inherited

    # -- building resources ---------------------------------------------------------------

    def refs_of(self, expr: Expr, ctx: Context) -> set[str]:
        """What ``expr`` names, and through each ``local.x`` what that local names (a
        variable routed through a local is still what the attribute was computed from)."""
        names = references(expr, frozenset(ctx.bindings))
        for n in list(names):
            if n.startswith("local."):
                more = self.local_refs.get(n[6:])
                if isinstance(more, set):
                    names |= more
        return names

    def _local_refs(self, name: str) -> Any:
        decl = self.mdef.locals.get(name)
        if decl is None:
            return set()
        names = references(decl[0])
        for n in list(names):
            if n.startswith("local."):
                more = self.local_refs.get(n[6:])
                if isinstance(more, set):  # (a cycle gives an unknown: nothing more to add)
                    names |= more
        return names

    def build(self, inst: _Instance) -> TfResource:
        rdef = inst.rdef
        ctx = self.ctx.bind(inst.bindings) if inst.bindings else self.ctx
        address = inst.address
        lines: dict[str, int] = {}
        refs: dict[str, list[str]] = {}
        values = self.body_values(rdef.body, ctx, "", lines, refs, address, top=True)
        provider_key = "azurerm"
        p = _attr(rdef.body, "provider")
        if p is not None:
            provider_key = _provider_key(p[0]) or "azurerm"
        local_name = provider_key.split(".")[0]
        if local_name == "azurerm" or rdef.type.startswith("azurerm_"):
            subscription = self.providers.get(provider_key)
        else:
            subscription = None
        return TfResource(
            address=address,
            mode=rdef.mode,
            type=rdef.type,
            name=rdef.name,
            module=self.path,
            index=inst.index,
            values=values,
            file=rdef.file,
            line=rdef.line,
            lines=lines,
            references=refs,
            provider=local_name if p is not None else rdef.type.split("_")[0],
            provider_subscription=subscription,
        )

    def body_values(
        self,
        body: Body,
        ctx: Context,
        prefix: str,
        lines: dict[str, int],
        refs: dict[str, list[str]],
        address: str,
        top: bool = False,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, expr, line in body.attrs:
            if top and name in META_ATTRS:
                continue
            path = prefix + name
            values[name] = _plain(evaluate_safe(expr, ctx, f"{address} {path}"))
            if line > 0:
                lines[path] = line
            names = self.refs_of(expr, ctx)
            if names:
                refs[path] = sorted(names)
        counts: dict[str, int] = {}
        for btype, labels, inner, line in body.blocks:
            if top and btype in META_BLOCKS:
                continue
            if btype == "dynamic" and labels:
                self._dynamic(
                    labels[0], inner, ctx, prefix, lines, refs, address, values, counts, line
                )
                continue
            i = counts.get(btype, 0)
            counts[btype] = i + 1
            bpath = f"{prefix}{btype}.{i}"
            if line > 0:
                lines.setdefault(prefix + btype, line)
                lines[bpath] = line
            existing = values.setdefault(btype, [])
            block = self.body_values(inner, ctx, bpath + ".", lines, refs, address)
            if type(existing) is UnknownValue:
                continue
            existing.append(block)
        return values

    def _dynamic(
        self,
        btype: str,
        body: Body,
        ctx: Context,
        prefix: str,
        lines: dict[str, int],
        refs: dict[str, list[str]],
        address: str,
        values: dict[str, Any],
        counts: dict[str, int],
        line: int,
    ) -> None:
        """``dynamic "x" { for_each = …  content { … } }``: one ``x`` block per element."""
        if line > 0:
            lines.setdefault(prefix + btype, line)
        fe = _attr(body, "for_each")
        it = _attr(body, "iterator")
        iterator = it[0][1] if it and it[0][0] == "ref" else btype
        content = next((b for b in body.blocks if b[0] == "content"), None)
        coll = evaluate_safe(fe[0], ctx, f"{address} dynamic {btype}") if fe else None
        if fe is not None:
            names = self.refs_of(fe[0], ctx)
            if names:
                refs[prefix + btype] = sorted(set(refs.get(prefix + btype, [])) | names)
        if (
            content is None
            or fe is None
            or type(coll) is UnknownValue
            or not isinstance(coll, list | dict)
            or (isinstance(coll, dict) and any(type(k) is UnknownValue for k in coll))
        ):
            reason = coll.reason if type(coll) is UnknownValue else "its for_each is not usable"
            values[btype] = UnknownValue(f"{address} dynamic {btype}: {reason}")
            return
        existing = values.setdefault(btype, [])
        if type(existing) is UnknownValue:
            return
        pairs = (
            list(enumerate(coll))
            if isinstance(coll, list)
            else [(k, coll[k]) for k in sorted(coll)]
        )
        for k, v in pairs:
            try:
                charge(10)  # nested dynamic blocks multiply too
            except EvalError as e:
                values[btype] = UnknownValue(f"{address} dynamic {btype}: {e.reason}")
                return
            i = counts.get(btype, 0)
            counts[btype] = i + 1
            bpath = f"{prefix}{btype}.{i}"
            if content[3] > 0:
                lines[bpath] = content[3]
            sub = ctx.bind({iterator: {"key": k, "value": v}})
            existing.append(self.body_values(content[2], sub, bpath + ".", lines, refs, address))


_MISSING = object()


def _nullable(body: Body) -> bool | None:
    n = _attr(body, "nullable")
    if n is None or n[0][0] != "lit":
        return None
    return bool(n[0][1])


def _provider_key(e: Expr) -> str | None:
    if e[0] == "ref":
        return str(e[1])
    if e[0] == "get" and e[1][0] == "ref":
        return f"{e[1][1]}.{e[2]}"
    if e[0] == "lit" and isinstance(e[1], str):
        return e[1]
    return None


class _State:
    def __init__(self, loader: _Loader, root_values: dict[str, Any]) -> None:
        self.loader = loader
        self.root_real = loader.root_real
        self.root_values = root_values
        self.gaps: list[str] = []
        self._gap_set: set[str] = set()
        self.instances = 0

    def admit(self, n: int) -> bool:
        """Count ``n`` more instances; False past the overall limit."""
        self.instances += n
        return self.instances <= MAX_TOTAL_INSTANCES

    def gap(self, text: str) -> UnknownValue:
        if text not in self._gap_set:
            self._gap_set.add(text)
            self.gaps.append(text)
        return UnknownValue(text)


# -- variables ------------------------------------------------------------------------------


def _tfvars(path: Path, display: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(display, f"cannot read: {e.__class__.__name__}") from None
    if path.name.endswith(".json"):
        try:
            data = _plain_json(_json_load(text))
        except json.JSONDecodeError as e:
            raise InputError(display, f"line {e.lineno}: {e.msg}") from None
        except ParseError as e:
            raise InputError(display, e.problem) from None
        except RecursionError:
            raise InputError(display, "nested too deeply") from None
        if not isinstance(data, dict):
            raise InputError(display, "a .tfvars.json file must hold an object")
        return data
    try:
        body = parse_text(text)
    except ParseError as e:
        raise InputError(display, str(e)) from None
    if body.blocks:
        raise InputError(display, f"line {body.blocks[0][3]}: a block in a variables file")
    return {name: evaluate_safe(e, CONSTANT, f"{display} {name}") for name, e, _ in body.attrs}


def _root_values(
    root: Path,
    display: Callable[[Path], str],
    mdef: ModuleDef,
    var_files: Sequence[Path],
    variables: Mapping[str, str],
    environ: Mapping[str, str] | None = None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    # TF_VAR_<name> environment variables first, as terraform reads them (lowest after
    # the defaults; only for declared variables, the name spelled exactly)
    for name, raw in sorted((environ or {}).items()):
        var = name[len("TF_VAR_") :] if name.startswith("TF_VAR_") else None
        if var and var in mdef.variables:
            t = _attr(mdef.variables[var][0], "type")
            values[var] = _parse_cli_value(raw, t[0] if t else None, f"TF_VAR_{var}")
            if notes is not None:
                notes.append(
                    f"var.{var} takes its value from the environment variable TF_VAR_{var}, "
                    "as terraform does"
                )
    auto = [root / "terraform.tfvars", root / "terraform.tfvars.json"]
    with contextlib.suppress(OSError):
        auto += sorted(
            (p for p in root.iterdir() if p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))),
            key=lambda p: p.name,
        )
    for p in auto:
        if p.is_file():
            values.update(_tfvars(p, display(p)))
    for p in var_files:
        if not Path(p).is_file():
            raise InputError(str(p), "no such variables file")
        values.update(_tfvars(Path(p), str(p)))
    for name, raw in variables.items():
        decl = mdef.variables.get(name)
        if decl is None:
            # as terraform plan: a misspelt name would leave the intended value unused
            raise InputError(
                display(root), f"--var {name}: the root module declares no variable {name!r}"
            )
        t = _attr(decl[0], "type")
        values[name] = _parse_cli_value(raw, t[0] if t else None)
    return values


# -- provider version -----------------------------------------------------------------------

MAJORS = RESEARCHED_MAJORS


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", text.split("-")[0])
    return tuple(int(p) for p in parts[:3]) + (0,) * (3 - min(3, len(parts)))


def _candidates(constraint: str, major: int) -> set[tuple[int, ...]]:
    """Versions of ``major`` that stand for every version as far as ``constraint`` can
    tell them apart: the edges and the constraint's own versions with their neighbours."""
    candidates: set[tuple[int, ...]] = {(major, 0, 0), (major, 999, 999)}
    for c in (c.strip() for c in constraint.split(",")):
        m = re.match(r"^(~>|>=|<=|!=|=|>|<)?\s*v?([\d.]+)", c)
        if m:
            v = _version_tuple(m.group(2))
            if v[0] == major:
                candidates |= {v, (v[0], v[1], v[2] + 1), (v[0], v[1] + 1, 0)}
                if v[2] > 0:
                    candidates.add((v[0], v[1], v[2] - 1))
                elif v[1] > 0:  # the last release before an upper bound "< 3.30"
                    candidates.add((v[0], v[1] - 1, 999))
    return candidates


def _admits(constraint: str, v: tuple[int, ...]) -> bool:
    return all(_satisfies(v, c.strip()) for c in constraint.split(",") if c.strip())


def majors_admitted(constraint: str) -> tuple[int, ...]:
    """Which of the majors 2 to 5 (whose defaults are known) a version constraint admits
    (any version of it); when none, the first other major it admits (see
    ``azurerm.defaults.admitted_majors``)."""
    return admitted_majors(
        lambda major: any(_admits(constraint, v) for v in _candidates(constraint, major))
    )


def newest_admitted(constraint: str) -> tuple[int, ...] | None:
    """The newest version ``constraint`` admits when it has an upper bound below the next
    minor release line's end (``~> 3.0.0``: 3.0.x; ``<= 3.1.0``: 3.1.0), which is what
    ``terraform init`` installs without a lock file; None when it admits the newest of a
    major (``~> 3.0``: whichever 3.x is newest) or nothing."""
    found = [
        v for major in MAJORS for v in _candidates(constraint, major) if _admits(constraint, v)
    ]
    if not found:
        return None
    newest = max(found)
    return None if newest[1] == 999 else newest


def _satisfies(v: tuple[int, ...], c: str) -> bool:
    m = re.match(r"^(~>|>=|<=|!=|=|>|<)?\s*v?([\d.]+)", c)
    if not m:
        return True
    op = m.group(1) or "="
    raw = m.group(2).strip(".")
    target = _version_tuple(raw)
    n = len(raw.split("."))
    if op == "=":
        return v == target
    if op == "!=":
        return v != target
    if op == ">":
        return v > target
    if op == ">=":
        return v >= target
    if op == "<":
        return v < target
    if op == "<=":
        return v <= target
    # ~> as terraform reads it (go-versions, "ruby style"): with three numbers only the
    # patch may increase, with one or two only the minor (~> 3 is >= 3.0.0, < 4.0.0)
    if v < target:
        return False
    return v[:2] == target[:2] if n >= 3 else v[0] == target[0]


def _provider_version(root: Path, display: str, mdef: ModuleDef) -> ProviderVersion:
    """The azurerm majors: the lock file's exact version, else the root module's
    ``required_providers`` constraint, else a legacy ``provider "azurerm" { version }``.
    A locked version the constraint does not admit (a stale or edited lock file, which
    terraform refuses) admits the majors of both."""
    declared = _declared_version(mdef)
    lock = root / ".terraform.lock.hcl"
    if lock.is_file():
        try:
            body = parse_text(lock.read_text(encoding="utf-8-sig"))
        except ParseError as e:
            raise InputError(f"{display}/.terraform.lock.hcl", str(e)) from None
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{display}/.terraform.lock.hcl", f"cannot read: {e}") from None
        for btype, labels, inner, _line in body.blocks:
            if btype == "provider" and labels in ((AZURERM,), (AZURERM_TOFU,)):
                v = _attr(inner, "version")
                if v is not None and v[0][0] == "lit" and isinstance(v[0][1], str):
                    version = v[0][1]
                    major = _version_tuple(version)[0]
                    # a major whose defaults are not known stays: they are then unknown
                    locked = ProviderVersion(
                        (major,), f"lock file {version}", _version_tuple(version)
                    )
                    if not declared.majors or major in declared.majors:
                        return locked
                    return ProviderVersion(
                        tuple(sorted({major, *declared.majors})),
                        f"lock file {version}, outside {declared.source}",
                    )
    return declared


def _declared_version(mdef: ModuleDef) -> ProviderVersion:
    for body, _file in mdef.terraform:
        for btype, _labels, inner, _line in body.blocks:
            if btype != "required_providers":
                continue
            for name, expr, _ln in inner.attrs:
                if name != "azurerm":
                    continue
                v = evaluate_safe(expr, CONSTANT)
                if isinstance(v, dict) and isinstance(v.get("version"), str):
                    c = v["version"]
                    return ProviderVersion(
                        majors_admitted(c), f"required_providers '{c}'", newest_admitted(c)
                    )
                if isinstance(v, str):  # the legacy short form: azurerm = "~> 3.0"
                    return ProviderVersion(
                        majors_admitted(v), f"required_providers '{v}'", newest_admitted(v)
                    )
    for pname, _alias, body in mdef.providers:
        v = _attr(body, "version") if pname == "azurerm" else None
        if v is not None and v[0][0] == "lit" and isinstance(v[0][1], str):
            c = v[0][1]
            return ProviderVersion(
                majors_admitted(c), f"provider block version '{c}'", newest_admitted(c)
            )
    return ProviderVersion((), "not declared")


# -- the entry point --------------------------------------------------------------------------


def load_config(
    root: Path,
    var_files: Sequence[Path] = (),
    variables: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> TfConfig:
    """Read the root module at ``root`` (and its local modules) into a TfConfig.
    ``environ`` (default: this process's environment) supplies ``TF_VAR_*`` values."""
    root = Path(root)
    display_root = str(root)
    if not root.is_dir():
        raise InputError(display_root, "not a directory")
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 20_000))
    gc_was_on = gc.isenabled()
    gc.disable()  # many small objects, few cycles: the collector's passes only cost time
    try:
        env = os.environ if environ is None else environ
        return _load(root, display_root, var_files, variables or {}, env)
    finally:
        sys.setrecursionlimit(old_limit)
        if gc_was_on:
            gc.enable()


def _load(
    root: Path,
    display_root: str,
    var_files: Sequence[Path],
    variables: Mapping[str, str],
    environ: Mapping[str, str],
) -> TfConfig:
    loader = _Loader(root, display_root)
    root_def = loader.load_tree()
    # evaluation is paid from a budget proportional to the input (see evaluate.py)
    reset_budget(20_000_000 + 20 * loader.bytes_read)
    notes: list[str] = []
    values = _root_values(root, loader.display, root_def, var_files, variables, environ, notes)
    state = _State(loader, values)
    state.gaps.extend(loader.gaps)
    state._gap_set.update(loader.gaps)
    top = _Module(state, root_def, "", None, None, {}, (root_def.real,))
    resources: list[TfResource] = []
    var_records: list[dict[str, Any]] = []
    count = 0
    stack = [top]
    while stack:
        m = stack.pop(0)
        for name, (body, file, line, type_src) in m.mdef.variables.items():
            d = _attr(body, "default")
            s = _attr(body, "sensitive")
            var_records.append(
                {
                    "module": m.path,
                    "name": name,
                    "default": evaluate_safe(d[0], CONSTANT, f"var.{name} default") if d else None,
                    "has_default": d is not None,
                    "sensitive": bool(s and s[0] == ("lit", True)),
                    "type": type_src,
                    "file": file,
                    "line": line,
                    # the line of each argument set in the block: "default", "sensitive"
                    "lines": {n: ln for n, _e, ln in body.attrs if ln > 0},
                }
            )
        for rdef in m.mdef.resources:
            exp = m.expansions.get(f"{rdef.mode}.{rdef.type}.{rdef.name}")
            if type(exp) is UnknownValue:
                continue
            for inst in exp[1]:
                r = inst.resource()
                if isinstance(r, TfResource):
                    resources.append(r)
                    count += 1
        children: list[_Module] = []
        for name in m.mdef.calls:
            exp = m.children.get(name)
            if type(exp) is UnknownValue:
                continue
            children.extend(child for _, child in exp[1])
        stack[0:0] = children
    return TfConfig(
        resources=resources,
        provider=_provider_version(root, display_root, root_def),
        gaps=state.gaps,
        variables=var_records,
        root=display_root,
        notes=notes,
    )
