"""Read ``terraform show -json tfplan`` into a :class:`TfConfig`.

A plan says what the configuration will be after ``apply``: ``planned_values`` holds every
resource instance that is created, updated, replaced or left as it is (deleted ones are
not there), by full address, with module path and ``count``/``for_each`` index. What only
``apply`` can tell is marked in each change's ``after_unknown``; those places become
:class:`UnknownValue`. Sensitive values (``after_sensitive``) are not read either: they may
be secrets, the report must never print them, and ARM never returns them, so no rule reads
them — what rules need to know about them (a sensitive variable in public settings) they
see through ``references``.

New resources have no ids yet, so references between them would be lost. The
``configuration`` section keeps each expression's references: an unknown value whose
expression refers to exactly one resource's ``.id`` gets that resource's synthesized id
(``azurerm/ids.py``), which is the id the mapping gives its row, so the reference becomes
an edge. Anything less certain stays unknown.

A plan has no line numbers. When the directory of the configuration is at hand (the plan
file's own directory, or ``--terraform-source``), a light lexical scan of its ``.tf`` files
(comments, strings, heredocs, brackets; not a parser) finds each ``resource "type" "name"``
block and the line of each argument in it, so findings still land on the line that decides.
See docs/formats.md#a-plan---terraform-plan-file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...files import InputError, describe, read_bytes
from ...unknown import UnknownValue
from .azurerm.defaults import admitted_majors
from .azurerm.ids import synthesize_id
from .resources import ProviderVersion, TfConfig, TfResource

# a module call, an instance of it, as an address prints it: module.net["a"]
_MODULE_STEP = re.compile(r'module\.([\w-]+)(\[(?:\d+|"(?:[^"\\]|\\.)*")\])?')
_MODULE_ADDRESS = re.compile(rf"{_MODULE_STEP.pattern}(?:\.{_MODULE_STEP.pattern})*")
# a reference as jsonconfig prints it: subject (resource, data source, module call,
# variable), an optional literal index, then the rest of the traversal
_REFERENCE = re.compile(
    r"(?P<subject>(?:data\.)?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)"
    r'(?P<key>\[(?:\d+|"(?:[^"\\]|\\.)*")\])?'
    r"(?P<rest>(?:\.[A-Za-z0-9_-]+|\[[^\]]*\])*)"
)
# references that pick an instance rather than carry a value
_KEY_REFS = {"count.index", "each.key"}
# first words that are not resource types
_NOT_RESOURCES = {"var", "local", "module", "count", "each", "path", "self", "terraform"}
_AFTER_APPLY = "is known only after apply"
_MAX_HOPS = 32  # module outputs and variables followed per reference (a cycle stops here)


def read_plan(path: Path, doc: Any, source: Path | None = None) -> TfConfig:
    """The resources, provider version and variables of a ``terraform show -json`` plan.
    ``source``: the configuration's directory, for file and line (None: look beside the
    plan file). Anything malformed raises InputError naming ``path``."""
    return _PlanReader(path, doc).read(source)


# -- the plan ---------------------------------------------------------------------------------
@dataclass
class _Fill:
    """An unknown leaf that one resource's attribute will hold after apply."""

    steps: list[str | int]  # where in the referrer's values
    target: str  # the target instance's address
    attr: str  # the target's attribute ("id")


@dataclass
class _Instance:
    resource: TfResource
    call_path: tuple[str, ...]  # module call names from the root: ("net", "sub")
    keys: tuple[Any, ...]  # the module instance keys on that path (None: no key)
    config: dict[str, Any] | None = None  # its block in ``configuration``
    fills: list[_Fill] = field(default_factory=list)


class _PlanReader:
    def __init__(self, path: Path, doc: Any) -> None:
        self.path = path
        self.doc = doc
        self.gaps: list[str] = []
        self.unread: set[str] = set()  # instances the plan marks unknown or sensitive whole
        # the name of the argument being filled: it tells which attribute a reference
        # that lost its ".id" (target[each.key].id) means
        self._hint = ""

    def fail(self, problem: str) -> InputError:
        return InputError(self.path, problem)

    def obj(self, value: Any, where: str, optional: bool = False) -> dict[str, Any]:
        if value is None and optional:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"{where} is {describe(value)}, expected an object")
        return value

    def arr(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{where} is {describe(value)}, expected an array")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{where} is {describe(value)}, expected a string")
        return value

    # -- reading ----------------------------------------------------------------------------
    def read(self, source: Path | None) -> TfConfig:
        doc = self.obj(self.doc, "the plan")
        version = doc.get("format_version")
        if not isinstance(version, str) or not version.split(".")[0].isdigit():
            raise self.fail(f"'format_version' is {describe(version)}, expected \"1.x\"")
        if version.split(".")[0] != "1":
            raise self.fail(
                f"plan format_version {version!r} is not supported (this tool reads 1.x, "
                "'terraform show -json' of Terraform 1.x)"
            )
        if "planned_values" not in doc and "resource_changes" not in doc:
            raise self.fail(
                "Terraform JSON without 'planned_values' or 'resource_changes': expected "
                "'terraform show -json' of a saved plan (terraform plan -out=tfplan), not of "
                "a state"
            )
        for flag in ("errored", "complete"):
            if doc.get(flag) is not None and not isinstance(doc[flag], bool):
                # "errored": "true" read as false would pass a plan Terraform gave up on
                raise self.fail(f"'{flag}' is {describe(doc[flag])}, expected a boolean")
        if doc.get("errored") is True:
            self.gaps.append(
                "the plan errored: Terraform stopped planning, so the plan may miss resources"
            )
        if doc.get("complete") is False:
            self.gaps.append(
                "the plan is not complete (Terraform deferred some changes to a later plan)"
            )
        changes = self.changes(doc)
        config = self.obj(doc.get("configuration"), "'configuration'", optional=True)
        root_config = self.obj(config.get("root_module"), "'configuration.root_module'", True)
        instances = self.instances(doc, changes)
        # file and line first: the .tf files also tell what the configuration sets where
        # the plan's configuration section is silent (dynamic blocks)
        layout = _SourceLayout.find(source, self.path, root_config)
        if layout is not None:
            layout.place([i.resource for i in instances], [])
        self.attach_configuration(instances, root_config)
        providers = self.obj(config.get("provider_config"), "'provider_config'", optional=True)
        subscriptions = self.subscriptions(providers)
        for inst in instances:
            key = inst.config.get("provider_config_key") if inst.config else None
            sub = subscriptions.get(key) if isinstance(key, str) else None
            inst.resource.provider_subscription = sub or subscriptions.get("azurerm")
        self.fill_references(instances)
        provider = self.provider(providers, layout)
        variables = self.variables(root_config)
        if layout is not None:
            layout.place([], variables)
        return TfConfig(
            resources=[i.resource for i in instances],
            provider=provider,
            gaps=self.gaps,
            variables=variables,
            root=str(self.path),
        )

    def changes(self, doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Each instance's change (``resource_changes``) by address; deposed objects (old
        halves of a replacement) are left out."""
        out: dict[str, dict[str, Any]] = {}
        for i, rc in enumerate(self.arr(doc.get("resource_changes"), "'resource_changes'")):
            where = f"resource_changes[{i}]"
            rc = self.obj(rc, where)
            address = self.text(rc.get("address"), f"{where}.address")
            change = self.obj(rc.get("change"), f"{where}.change")
            actions = self.arr(change.get("actions"), f"{where}.change.actions")
            if not all(isinstance(a, str) for a in actions):
                raise self.fail(f"{where}.change.actions must list strings")
            if rc.get("deposed"):
                continue
            if address in out:
                raise self.fail(f"{where}: resource {address} has a second change")
            out[address] = change
        return out

    def modules(self, root: dict[str, Any], where: str) -> Iterator[tuple[dict[str, Any], str]]:
        """Every module of a values representation (depth first, in file order)."""
        stack = [(root, where)]
        while stack:
            module, at = stack.pop()
            yield module, at
            children = self.arr(module.get("child_modules"), f"{at}.child_modules")
            for j in range(len(children) - 1, -1, -1):
                child = self.obj(children[j], f"{at}.child_modules[{j}]")
                stack.append((child, f"{at}.child_modules[{j}]"))

    def instances(self, doc: dict[str, Any], changes: dict[str, dict[str, Any]]) -> list[_Instance]:
        """Resource instances after apply: ``planned_values``, and the data sources
        Terraform read while planning (they live in ``prior_state``)."""
        planned = self.obj(doc.get("planned_values"), "'planned_values'", optional=True)
        root = self.obj(planned.get("root_module"), "'planned_values.root_module'", True)
        out: list[_Instance] = []
        seen: set[str] = set()
        for module, at in self.modules(root, "planned_values.root_module"):
            for inst in self.module_resources(module, at, changes):
                if inst.resource.address in seen:
                    raise self.fail(f"{at}: resource {inst.resource.address} appears twice")
                seen.add(inst.resource.address)
                out.append(inst)
        prior = self.obj(doc.get("prior_state"), "'prior_state'", optional=True)
        values = self.obj(prior.get("values"), "'prior_state.values'", optional=True)
        prior_root = self.obj(values.get("root_module"), "'prior_state...root_module'", True)
        for module, at in self.modules(prior_root, "prior_state.values.root_module"):
            for inst in self.module_resources(module, at, {}, data_only=True):
                if inst.resource.address not in seen:
                    seen.add(inst.resource.address)
                    out.append(inst)
        for address, change in changes.items():
            actions = change.get("actions") or ["no action"]
            if address in seen or address in self.unread or actions in (["delete"], ["forget"]):
                continue
            # a change with no planned value: what it plans is not in the plan
            self.gaps.append(
                f"{address}: the plan lists a change ({'/'.join(actions)}) but no planned "
                "value for it; not read"
            )
        return out

    def module_resources(
        self,
        module: dict[str, Any],
        at: str,
        changes: dict[str, dict[str, Any]],
        data_only: bool = False,
    ) -> Iterator[_Instance]:
        module_address = module.get("address", "")
        if not isinstance(module_address, str):
            raise self.fail(f"{at}.address is {describe(module_address)}, expected a string")
        if module_address and not _MODULE_ADDRESS.fullmatch(module_address):
            # read as another module, its resources would take that module's references
            raise self.fail(f"{at}.address {module_address!r} is not a module address")
        call_path, keys = _module_path(module_address)
        for j, raw in enumerate(self.arr(module.get("resources"), f"{at}.resources")):
            where = f"{at}.resources[{j}]"
            res = self.obj(raw, where)
            address = self.text(res.get("address"), f"{where}.address")
            mode = res.get("mode")
            if mode not in ("managed", "data"):
                raise self.fail(f"{where} ({address}) has mode {mode!r}, expected managed or data")
            if data_only and mode != "data":
                continue
            rtype = self.text(res.get("type"), f"{where}.type")
            name = self.text(res.get("name"), f"{where}.name")
            index = res.get("index")
            if index is not None and (isinstance(index, bool) or not isinstance(index, int | str)):
                raise self.fail(f"{where} ({address}) has an index that is {describe(index)}")
            values = self.obj(res.get("values"), f"{where}.values", optional=True)
            change = changes.get(address)
            if change is not None and change.get("actions") in (["delete"], ["forget"]):
                continue  # not part of the configuration after apply
            unknown = change.get("after_unknown") if change else None
            # the change's marks and the planned value's own: either hides a value (they
            # agree in a plan Terraform wrote; a secret must not leak where they do not)
            sensitive = change.get("after_sensitive") if change else None
            planned_marks = res.get("sensitive_values")
            whole = self.whole_mark(address, unknown, "after_unknown", "known only after apply")
            whole = whole or self.whole_mark(address, sensitive, "after_sensitive", "sensitive")
            whole = whole or self.whole_mark(
                address, planned_marks, "sensitive_values", "sensitive"
            )
            if whole:
                # ids, names, every setting: nothing to map, and a default in its place
                # would be made up
                self.unread.add(address)
                continue
            resource = TfResource(
                address=address,
                mode=mode,
                type=rtype,
                name=name,
                module=module_address,
                index=index,
                values=values,
                provider=_local_provider(res.get("provider_name"), rtype),
            )
            _mark(values, unknown, address, _AFTER_APPLY)
            for marks in (sensitive, planned_marks):
                _mark(values, marks, address, "is sensitive: the plan's value is not read")
            yield _Instance(resource, call_path, keys)

    def whole_mark(self, address: str, marks: Any, name: str, what: str) -> bool:
        """Whether ``after_unknown`` / ``after_sensitive`` marks the whole resource (then a
        gap says so); anything but an object, ``true`` or ``false`` is malformed."""
        if marks is True:
            self.gaps.append(f"{address}: the whole resource is {what} in the plan; not read")
            return True
        if marks is not None and marks is not False and not isinstance(marks, dict):
            raise self.fail(f"{address}: {name} is {describe(marks)}, expected an object")
        return False

    # -- configuration ----------------------------------------------------------------------
    def attach_configuration(self, instances: list[_Instance], root: dict[str, Any]) -> None:
        """Give each instance its configuration block and the references of each attribute."""
        self.config_modules: dict[tuple[str, ...], dict[str, Any]] = {}
        self.config_resources: dict[tuple[tuple[str, ...], str], dict[str, Any]] = {}
        stack: list[tuple[tuple[str, ...], dict[str, Any], str]] = [
            ((), root, "configuration.root_module")
        ]
        while stack:
            call_path, module, at = stack.pop()
            self.config_modules[call_path] = module
            for j, raw in enumerate(self.arr(module.get("resources"), f"{at}.resources")):
                res = self.obj(raw, f"{at}.resources[{j}]")
                address = self.text(res.get("address"), f"{at}.resources[{j}].address")
                self.config_resources[(call_path, address)] = res
            calls = self.obj(module.get("module_calls"), f"{at}.module_calls", optional=True)
            for name, call in calls.items():
                call = self.obj(call, f"{at}.module_calls.{name}")
                child = self.obj(call.get("module"), f"{at}.module_calls.{name}.module", True)
                stack.append(((*call_path, name), child, f"{at}.module_calls.{name}.module"))
        for inst in instances:
            r = inst.resource
            local = f"data.{r.type}.{r.name}" if r.mode == "data" else f"{r.type}.{r.name}"
            inst.config = self.config_resources.get((inst.call_path, local))
            if inst.config is None:
                continue
            expressions = inst.config.get("expressions")
            if not isinstance(expressions, dict):
                expressions = {}
            for dotted, refs in _expression_refs(expressions):
                r.references[dotted] = refs
            # An argument the configuration does not set, whose value the provider computes
            # at apply (a new VNet's subnet list and DNS servers, any new id), is left out
            # as the HCL reader leaves it out: the mapping then applies the same provider
            # defaults to a plan as to its .tf files. Unknowns inside what the
            # configuration sets stay (a set block's computed private IP).
            # What the .tf files set (when at hand) counts too: the section leaves out
            # dynamic blocks, whose content over a collection known only after apply is
            # unknown, not the provider's default.
            for name in [
                k
                for k, v in r.values.items()
                if _computed(v) and k not in expressions and k not in r.lines
            ]:
                del r.values[name]

    def fill_references(self, instances: list[_Instance]) -> None:
        """Unknown leaves whose expression refers to exactly one resource's id (or a known
        attribute) take it, targets first: a target's own id may be built from a filled
        value (a compute's workspace id)."""
        by_address = {i.resource.address: i for i in instances}
        by_resource: dict[str, list[_Instance]] = {}
        by_key: dict[tuple[str, Any], _Instance] = {}
        for inst in instances:
            base = _resource_address(inst.resource)
            by_resource.setdefault(base, []).append(inst)
            by_key[(base, inst.resource.index)] = inst
        self._by_resource, self._by_key = by_resource, by_key
        for inst in instances:
            for steps in _unknown_leaves(inst.resource.values):
                found = self.target_of(inst, steps)
                if found is not None:
                    inst.fills.append(_Fill(steps, *found))
        # targets before referrers (iterative depth first; a cycle leaves its values unknown)
        state: dict[str, int] = {}  # 1: on the stack, 2: done
        for start in instances:
            if start.resource.address in state:
                continue
            stack: list[tuple[_Instance, int]] = [(start, 0)]
            state[start.resource.address] = 1
            while stack:
                inst, i = stack.pop()
                if i < len(inst.fills):
                    stack.append((inst, i + 1))
                    target = by_address.get(inst.fills[i].target)
                    if target is not None and target.resource.address not in state:
                        state[target.resource.address] = 1
                        stack.append((target, 0))
                    continue
                for fill in inst.fills:
                    target = by_address.get(fill.target)
                    if target is None or state.get(fill.target) != 2:
                        continue  # a cycle: stays unknown
                    value = _attribute(target.resource, fill.attr)
                    if value is not None:
                        _set(inst.resource.values, fill.steps, value)
                state[inst.resource.address] = 2

    def target_of(self, inst: _Instance, steps: list[str | int]) -> tuple[str, str] | None:
        """(target address, attribute) when the expression behind ``steps`` refers to
        exactly one resource instance's attribute, else None."""
        expressions = inst.config.get("expressions") if inst.config else None
        refs = _refs_at(expressions, inst.resource.values, steps)
        if not refs:
            return None
        names = [s for s in steps if isinstance(s, str)]
        self._hint = names[-1] if names else ""
        targets = self.resolve(inst.call_path, inst.keys, inst.resource.index, refs, 0)
        if targets is None or len(targets) != 1:
            return None
        return next(iter(targets))

    def resolve(
        self,
        call_path: tuple[str, ...],
        keys: tuple[Any, ...],
        own_key: Any,
        refs: list[Any],
        hops: int,
    ) -> set[tuple[str, str]] | None:
        """The resource instances (address, attribute) an expression in module
        ``call_path`` refers to; None when some reference is not to a resource attribute
        (a root variable, a local, a whole resource) or cannot be followed."""
        if hops > _MAX_HOPS:
            return None
        subjects = _subjects(refs)
        if subjects is None:
            return None
        found: set[tuple[str, str]] = set()
        prefix = "".join(
            f"module.{name}" + ("" if k is None else f"[{_key_text(k)}]") + "."
            for name, k in zip(call_path, keys, strict=True)
        )
        for subject, key, rest in subjects:
            head = subject.split(".", 1)[0]
            if head == "var":
                more = self.through_variable(call_path, keys, subject[4:], hops)
            elif head == "module":
                more = self.through_output(call_path, keys, subject[7:], key, rest, hops)
            else:
                more = self.instance_attribute(prefix + subject, key, rest, own_key, refs)
            if more is None:
                return None
            found |= more
        return found

    def instance_attribute(
        self, base: str, key: str | None, rest: list[str], own_key: Any, refs: list[Any]
    ) -> set[tuple[str, str]] | None:
        candidates = self._by_resource.get(base, [])
        if not rest:
            # ``target[each.key].id`` is listed without its ``.id`` (the index is not a
            # literal); an argument named for the target's id says which attribute it is
            if not (key is None and candidates and _names_id_of(self._hint, candidates[0])):
                return None
            rest = ["id"]
        if key is not None:
            chosen = self._by_key.get((base, _parse_key(key[1:-1])))
        elif len(candidates) == 1 and candidates[0].resource.index is None:
            chosen = candidates[0]
        elif own_key is not None and (
            ("count.index" in refs and isinstance(own_key, int))
            or ("each.key" in refs and isinstance(own_key, str))
        ):
            # target[count.index] / target[each.key]: the instance with the referrer's key
            chosen = self._by_key.get((base, own_key))
        else:
            return None
        return None if chosen is None else {(chosen.resource.address, rest[0])}

    def through_variable(
        self, call_path: tuple[str, ...], keys: tuple[Any, ...], name: str, hops: int
    ) -> set[tuple[str, str]] | None:
        """A module's variable: what the calling module passed to it."""
        if not call_path:
            return None  # a root variable holds no resource's value
        parent = self.config_modules.get(call_path[:-1], {})
        call = (parent.get("module_calls") or {}).get(call_path[-1])
        expressions = call.get("expressions") if isinstance(call, dict) else None
        expr = expressions.get(name) if isinstance(expressions, dict) else None
        refs = expr.get("references") if isinstance(expr, dict) else None
        if not isinstance(refs, list) or not refs:
            return None
        return self.resolve(call_path[:-1], keys[:-1], keys[-1], refs, hops + 1)

    def through_output(
        self,
        call_path: tuple[str, ...],
        keys: tuple[Any, ...],
        call: str,
        key: str | None,
        rest: list[str],
        hops: int,
    ) -> set[tuple[str, str]] | None:
        """``module.net.subnet_id``: the output's own expression, inside the module."""
        if not rest:
            return None
        child = self.config_modules.get((*call_path, call))
        outputs = child.get("outputs") if isinstance(child, dict) else None
        output = outputs.get(rest[0]) if isinstance(outputs, dict) else None
        expr = output.get("expression") if isinstance(output, dict) else None
        refs = expr.get("references") if isinstance(expr, dict) else None
        if not isinstance(refs, list) or not refs or len(rest) > 1:
            return None
        child_key = None if key is None else _parse_key(key[1:-1])
        return self.resolve((*call_path, call), (*keys, child_key), None, refs, hops + 1)

    # -- provider and variables -------------------------------------------------------------
    def subscriptions(self, providers: dict[str, Any]) -> dict[str, str]:
        """Provider config key -> its literal ``subscription_id``."""
        out: dict[str, str] = {}
        for key, pc in providers.items():
            if not isinstance(pc, dict) or not _is_azurerm(pc):
                continue
            expressions = pc.get("expressions")
            expr = expressions.get("subscription_id") if isinstance(expressions, dict) else None
            value = expr.get("constant_value") if isinstance(expr, dict) else None
            if isinstance(value, str) and value.strip():
                out[key] = value.strip()
        return out

    def provider(self, providers: dict[str, Any], layout: _SourceLayout | None) -> ProviderVersion:
        """The azurerm majors the plan admits: the lock file's exact version when the
        configuration's directory has one, else every module's version constraint."""
        locked = layout.locked_azurerm() if layout is not None else None
        if locked is not None:
            major = locked.split(".")[0]
            majors = (int(major),) if major.isdigit() else ()
            exact = tuple(int(p) for p in locked.split("-")[0].split(".")[:3] if p.isdigit())
            return ProviderVersion(majors, f"lock file {locked}", exact if majors else None)
        constraints = sorted(
            {
                pc["version_constraint"]
                for pc in providers.values()
                if isinstance(pc, dict)
                and _is_azurerm(pc)
                and isinstance(pc.get("version_constraint"), str)
                and pc["version_constraint"].strip()
            }
        )
        if not constraints:
            return ProviderVersion((), "not declared")
        majors = admitted_majors(lambda m: all(admits(c, m) for c in constraints))
        spelled = " and ".join(repr(c) for c in constraints)
        return ProviderVersion(majors, f"required_providers {spelled}")

    def variables(self, root: dict[str, Any]) -> list[dict[str, Any]]:
        """Every module's variables as the configuration declares them (``module``: the
        call path, "" for the root module)."""
        out: list[dict[str, Any]] = []
        for call_path, module in sorted(self.config_modules.items()):
            declared = module.get("variables")
            where = "".join(f"module.{c}." for c in call_path).rstrip(".")
            if declared is None:
                continue
            if not isinstance(declared, dict):
                # the variables are judged (a sensitive default): dropping them would pass
                module = where or "the root module"
                raise self.fail(
                    f"the variables of {module} are {describe(declared)}, expected an object"
                )
            for name in sorted(declared):
                var = declared[name]
                if not isinstance(var, dict):
                    module = where or "the root module"
                    raise self.fail(f"variable {name} in {module} is not an object")
                if var.get("sensitive") is not None and not isinstance(var["sensitive"], bool):
                    module = where or "the root module"
                    raise self.fail(
                        f"variable {name} in {module}: 'sensitive' is "
                        f"{describe(var['sensitive'])}, expected a boolean"
                    )
                out.append(
                    {
                        "module": where,
                        "name": name,
                        "default": var.get("default"),
                        "has_default": "default" in var,
                        "sensitive": var.get("sensitive") is True,
                        "type": var.get("type"),
                        "file": None,
                        "line": None,
                    }
                )
        return out


# -- values -----------------------------------------------------------------------------------
def _path_text(steps: list[str | int]) -> str:
    return ".".join(str(s) for s in steps)


def _mark(values: dict[str, Any], marks: Any, address: str, why: str) -> None:
    """Put an UnknownValue wherever ``marks`` (``after_unknown`` / ``after_sensitive``:
    the value's shape with ``true`` at the marked leaves) says ``true``."""
    if not isinstance(marks, dict):
        return
    stack: list[tuple[Any, Any, list[str | int]]] = [(values, marks, [])]
    while stack:
        container, mark, steps = stack.pop()
        pairs = (
            mark.items()
            if isinstance(mark, dict) and isinstance(container, dict)
            else enumerate(mark)
            if isinstance(mark, list) and isinstance(container, list)
            else ()
        )
        for k, m in pairs:
            here = [*steps, k]
            if m is True:
                if isinstance(container, list):
                    if k >= len(container):
                        container.extend([None] * (k + 1 - len(container)))
                elif type(container.get(k)) is UnknownValue:
                    continue  # unknown wins over sensitive: both hide the value
                container[k] = UnknownValue(f"{address}.{_path_text(here)} {why}")
                continue
            if isinstance(m, dict | list):
                inner = (
                    container[k]
                    if isinstance(container, list) and k < len(container)
                    else (container.get(k) if isinstance(container, dict) else None)
                )
                if isinstance(inner, dict) == isinstance(m, dict) and isinstance(
                    inner, dict | list
                ):
                    stack.append((inner, m, here))
                elif _marks_any(m) and type(inner) is not UnknownValue:
                    # the value is not shaped as the marks say (null, a string, a shorter
                    # list): what the marks hide cannot be told apart, so none of it is read
                    if isinstance(container, list) and k >= len(container):
                        container.extend([None] * (k + 1 - len(container)))
                    container[k] = UnknownValue(f"{address}.{_path_text(here)} {why}")


def _marks_any(marks: Any) -> bool:
    """Whether ``true`` is somewhere in ``after_unknown`` / ``after_sensitive`` marks."""
    stack = [marks]
    while stack:
        m = stack.pop()
        if m is True:
            return True
        if isinstance(m, dict):
            stack.extend(m.values())
        elif isinstance(m, list):
            stack.extend(m)
    return False


def _computed(value: Any) -> bool:
    return type(value) is UnknownValue and value.reason.endswith(_AFTER_APPLY)


def _unknown_leaves(values: dict[str, Any]) -> Iterator[list[str | int]]:
    """The path of every UnknownValue in ``values``."""
    stack: list[tuple[Any, list[str | int]]] = [(values, [])]
    while stack:
        value, steps = stack.pop()
        items = (
            value.items()
            if isinstance(value, dict)
            else enumerate(value)
            if isinstance(value, list)
            else ()
        )
        for k, v in items:
            if type(v) is UnknownValue:
                if v.reason.endswith(_AFTER_APPLY):
                    yield [*steps, k]
            elif isinstance(v, dict | list):
                stack.append((v, [*steps, k]))


def _set(values: dict[str, Any], steps: list[str | int], value: Any) -> None:
    node: Any = values
    for step in steps[:-1]:
        node = node[step]
    node[steps[-1]] = value


def _attribute(r: TfResource, attr: str) -> Any:
    """The value a reference to ``r.attr`` will have: its synthesized ARM id, or a known
    attribute; None when it cannot be told."""
    if attr == "id":
        return synthesize_id(r) if r.type.startswith("azurerm_") else None
    value = r.values.get(attr)
    return value if isinstance(value, str | int | float | bool) else None


def _expression_refs(expressions: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """(dotted attribute path, references) of every expression of a block, nested blocks
    by index as in values: ``network_rules.0.default_action``."""
    stack: list[tuple[dict[str, Any], str]] = [(expressions, "")]
    while stack:
        block, prefix = stack.pop()
        for name, expr in block.items():
            here = f"{prefix}{name}"
            if isinstance(expr, list):  # a list or set of nested blocks
                for i, nested in enumerate(expr):
                    if isinstance(nested, dict):
                        stack.append((nested, f"{here}.{i}."))
            elif _is_expression(expr):
                refs = expr.get("references")
                if isinstance(refs, list) and refs:
                    yield here, [r for r in refs if isinstance(r, str)]
            elif isinstance(expr, dict):  # a single nested block
                stack.append((expr, f"{here}."))


def _refs_at(expressions: Any, values: Any, steps: list[str | int]) -> list[str] | None:
    """The references of the expression that sets ``steps`` (or the attribute holding
    it: ``subnet_ids.0`` is set by ``subnet_ids``). A nested block of several is matched
    to its configuration block by the constant attributes they share, since a set of
    blocks (an NSG's ``security_rule``) is not in configuration order; no single match,
    no references."""
    block, value, i = expressions, values, 0
    while i < len(steps) and isinstance(block, dict):
        name = steps[i]
        expr = block.get(name) if isinstance(name, str) else None
        value = value.get(name) if isinstance(value, dict) else None
        if _is_expression(expr):
            refs = expr.get("references")
            return [r for r in refs if isinstance(r, str)] if isinstance(refs, list) else None
        if isinstance(expr, list):  # nested blocks: the next step is the block's index
            index = steps[i + 1] if i + 1 < len(steps) else None
            if not isinstance(index, int) or not isinstance(value, list):
                return None
            if index >= len(value):
                return None
            j = _matching_block(expr, value[index], len(value))
            if j is None:
                return None
            block, value, i = expr[j], value[index], i + 2
        else:  # a single nested block (or nothing)
            block, i = expr, i + 1
    return None


def _matching_block(blocks: list[Any], value: Any, count: int) -> int | None:
    if len(blocks) == 1 and count == 1:
        return 0
    if not isinstance(value, dict):
        return None
    found = []
    for j, block in enumerate(blocks):
        constants = [
            (name, e["constant_value"])
            for name, e in (block.items() if isinstance(block, dict) else ())
            if _is_expression(e) and "constant_value" in e
        ]
        if constants and all(value.get(n) == c for n, c in constants):
            found.append(j)
    return found[0] if len(found) == 1 else None


def _is_expression(value: Any) -> bool:
    return isinstance(value, dict) and set(value) <= {"constant_value", "references"}


def _subjects(refs: list[Any]) -> list[tuple[str, str | None, list[str]]] | None:
    """The distinct things ``refs`` name, each as (subject, literal index, the attribute
    names that follow, up to the first index), merging the spellings jsonconfig lists
    for one reference; None when a reference is not one this reader follows (a local,
    ``each.value``, ``path.module``, a part of a variable)."""
    best: dict[tuple[str, str | None], list[str]] = {}
    for ref in refs:
        if not isinstance(ref, str):
            return None
        if ref in _KEY_REFS:
            continue
        m = _REFERENCE.fullmatch(ref)
        if m is None:
            return None
        subject, key, rest = m["subject"], m["key"], m["rest"]
        head = subject.split(".", 1)[0]
        if head in _NOT_RESOURCES and head not in ("var", "module"):
            return None
        if head == "var" and (key or rest):
            return None  # a part of what the caller passed: not followed
        attrs: list[str] = []
        for name, index in re.findall(r"\.([A-Za-z0-9_-]+)|(\[[^\]]*\])", rest):
            if index:
                break
            attrs.append(name)
        old = best.get((subject, key), [])
        best[(subject, key)] = attrs if len(attrs) > len(old) else old
    keyed = {subject for subject, key in best if key is not None}
    return [
        (subject, key, attrs)
        for (subject, key), attrs in best.items()
        # "azurerm_subnet.s" is also listed for azurerm_subnet.s[0]: the same reference
        if not (key is None and not attrs and subject in keyed)
    ]


_NOT_ARM_IDS = {"principal_id", "tenant_id", "client_id", "object_id", "subscription_id"}


def _names_id_of(argument: str, target: _Instance) -> bool:
    """Whether an argument (``subnet_id``, ``subnet_ids``, ``private_connection_resource_id``)
    takes the ARM id of ``target``'s type: its stem ends the type's name, or it takes
    any resource's id."""
    if argument in _NOT_ARM_IDS or not target.resource.type.startswith("azurerm_"):
        return False
    stem = argument.removesuffix("s").removesuffix("_id")
    if stem == argument.removesuffix("s"):
        return False  # not an id argument
    return stem.endswith("resource") or target.resource.type.endswith(stem)


def _resource_address(r: TfResource) -> str:
    """The address of the resource (all its instances): ``module.net.azurerm_subnet.aml``."""
    local = f"data.{r.type}.{r.name}" if r.mode == "data" else f"{r.type}.{r.name}"
    return f"{r.module}.{local}" if r.module else local


def _parse_key(text: str) -> int | str:
    """An index as an address prints it: ``0`` or ``"a"``."""
    if text.isdigit():
        return int(text)
    try:
        return str(json.loads(text))
    except ValueError:  # an escape JSON does not know: the text as written
        return text


def _key_text(key: Any) -> str:
    return json.dumps(key) if isinstance(key, str) else str(key)


def _module_path(address: str) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """``module.net["a"].module.sub`` → (("net", "sub"), ("a", None))."""
    names: list[str] = []
    keys: list[Any] = []
    for m in _MODULE_STEP.finditer(address):
        names.append(m[1])
        keys.append(_parse_key(m[2][1:-1]) if m[2] else None)
    return tuple(names), tuple(keys)


def _local_provider(provider_name: Any, rtype: str) -> str:
    """``registry.terraform.io/hashicorp/azurerm`` → ``azurerm``."""
    if isinstance(provider_name, str) and provider_name:
        return provider_name.rsplit("/", 1)[-1]
    return rtype.split("_", 1)[0]


def _is_azurerm(pc: dict[str, Any]) -> bool:
    full = pc.get("full_name")
    if isinstance(full, str) and full:
        return full.endswith("/hashicorp/azurerm")
    return pc.get("name") == "azurerm"


# -- version constraints ----------------------------------------------------------------------
_CONDITION = re.compile(r"\s*(=|!=|>=|<=|>|<|~>)?\s*v?(\d+(?:\.\d+){0,2})(?:-[0-9A-Za-z.-]+)?\s*")


def admits(constraint: str, major: int) -> bool:
    """Whether a version constraint (``~> 3.0``, ``>= 2.99, < 4.0``) admits some version
    of ``major``; a constraint that cannot be read admits every major (fail open to
    *more* majors, whose disagreeing defaults then stay unknown)."""
    low, high = (major, 0, 0), (major + 1, 0, 0)  # the major's versions: [low, high)
    for part in constraint.split(","):
        if not part.strip():
            continue
        m = _CONDITION.fullmatch(part)
        if m is None:
            return True
        op = m[1] or "="
        numbers = [int(n) for n in m[2].split(".")]
        v = tuple([*numbers, 0, 0][:3])
        if op == "=":
            ok = low <= v < high
        elif op == "!=":
            ok = True
        elif op in (">", ">="):
            ok = v < high
        elif op == "<":
            ok = v > low
        elif op == "<=":
            ok = v >= low
        elif len(numbers) > 1:  # ~> 3.0, ~> 3.1.2: only the rightmost part may grow
            ok = v[0] == major
        else:  # ~> 3: read as >= 3 (more majors, never fewer)
            ok = v[0] <= major
        if not ok:
            return False
    return True


# -- the configuration's files ----------------------------------------------------------------
_LOCKED = re.compile(
    r'provider\s+"registry\.(?:terraform\.io|opentofu\.org)/hashicorp/azurerm"\s*\{[^}]*?'
    r'\bversion\s*=\s*"([^"]+)"',
    re.DOTALL,
)


@dataclass
class _SourceLayout:
    """Where the configuration's modules live on disk, for file and line."""

    root: Path
    dirs: dict[tuple[str, ...], Path]
    _headers: dict[tuple[str, ...], dict[tuple[str, str, str], _Where]] | None = None

    @classmethod
    def find(
        cls, source: Path | None, plan: Path, root_config: dict[str, Any]
    ) -> _SourceLayout | None:
        root = source if source is not None else plan.parent
        if not _has_tf(root):
            return None
        dirs: dict[tuple[str, ...], Path] = {(): root}
        installed = _installed_modules(root)
        stack: list[tuple[tuple[str, ...], dict[str, Any]]] = [((), root_config)]
        while stack:
            call_path, module = stack.pop()
            calls = module.get("module_calls")
            if not isinstance(calls, dict):
                continue
            for name, call in calls.items():
                if not isinstance(call, dict):
                    continue
                child = (*call_path, name)
                src = call.get("source")
                where: Path | None = None
                if isinstance(src, str) and src.startswith(("./", "../")):
                    parent = dirs.get(call_path)
                    where = parent / src if parent is not None else None
                elif ".".join(child) in installed:
                    where = root / installed[".".join(child)]
                if where is not None and where.is_dir():
                    dirs[child] = where
                if isinstance(call.get("module"), dict):
                    stack.append((child, call["module"]))
        return cls(root, dirs)

    def locked_azurerm(self) -> str | None:
        text = _read_side_file(self.root / ".terraform.lock.hcl")
        if text is None:
            return None
        m = _LOCKED.search(text)
        return m[1] if m else None

    def place(self, resources: list[TfResource], variables: list[dict[str, Any]]) -> None:
        """Set the file and line of each resource's block and of its arguments (and each
        variable's line) from the module's directory."""
        if self._headers is None:
            self._headers = {path: _scan(directory) for path, directory in self.dirs.items()}
        headers = self._headers
        for r in resources:
            call_path, _ = _module_path(r.module)
            kind = "resource" if r.mode == "managed" else "data"
            found = headers.get(call_path, {}).get((kind, r.type, r.name))
            if found is not None:
                r.file, r.line, lines = found
                r.lines = dict(lines)
        for var in variables:
            call_path, _ = _module_path(var["module"])
            found = headers.get(call_path, {}).get(("variable", var["name"], ""))
            if found is not None:
                var["file"], var["line"], _ = found


def _read_side_file(path: Path) -> str | None:
    """A file of the configuration read for lines, modules or the locked version: its
    text, or None when it is missing, not a regular file (a FIFO would block the scan) or
    not UTF-8."""
    try:
        return read_bytes(path, "text").decode("utf-8-sig")
    except (InputError, UnicodeDecodeError):
        return None


def _has_tf(directory: Path) -> bool:
    try:
        return directory.is_dir() and any(p.suffix == ".tf" for p in directory.iterdir())
    except OSError:
        return False


def _installed_modules(root: Path) -> dict[str, str]:
    """``terraform init``'s record of where registry and git modules went (key → dir)."""
    text = _read_side_file(root / ".terraform" / "modules" / "modules.json")
    try:
        doc = json.loads(text) if text is not None else None
    except (ValueError, RecursionError):
        return {}
    out: dict[str, str] = {}
    for entry in doc.get("Modules", []) if isinstance(doc, dict) else []:
        if isinstance(entry, dict):
            key, where = entry.get("Key"), entry.get("Dir")
            if isinstance(key, str) and key and isinstance(where, str):
                out[key] = where
    return out


_Where = tuple[str, int, dict[str, int]]  # file, block line, attribute path -> line


def _scan(directory: Path) -> dict[tuple[str, str, str], _Where]:
    """(kind, type or variable name, name) → (file, line, attribute lines) of each
    top-level block in the directory's .tf files (the first one wins)."""
    out: dict[tuple[str, str, str], _Where] = {}
    try:
        files = sorted(p for p in directory.iterdir() if p.suffix == ".tf" and p.is_file())
    except OSError:
        return out
    for file in files:
        text = _read_side_file(file)
        if text is None:
            continue
        for kind, labels, line, lines in _blocks(text):
            if kind == "variable" and len(labels) == 1:
                out.setdefault(("variable", labels[0], ""), (str(file), line, {}))
            elif kind in ("resource", "data") and len(labels) == 2:
                out.setdefault((kind, labels[0], labels[1]), (str(file), line, lines))
    return out


_TOKEN = re.compile(
    r"""(?P<nl>\n)|(?P<space>[ \t\r]+)|(?P<comment>\#[^\n]*|//[^\n]*|/\*.*?(?:\*/|\Z))"""
    r"""|(?P<heredoc><<-?[ \t]*"?(?P<tag>[A-Za-z_][\w-]*)"?[ \t]*\r?\n)"""
    r"""|(?P<string>"(?:[^"\\\n]|\\.)*")|(?P<word>[A-Za-z_][\w-]*)"""
    r"""|(?P<eq>==|=>|!=|<=|>=|=)|(?P<open>[{\[(])|(?P<close>[}\])])|(?P<other>.)""",
    re.DOTALL,
)


def _blocks(text: str) -> Iterator[tuple[str, tuple[str, ...], int, dict[str, int]]]:
    """Each top-level block of a .tf file: (type, labels, line, {attribute path: line}),
    paths as in values (``network_rules.0.default_action``). A small scan of HCL's
    lexical structure — comments, strings, heredocs, brackets — not a parser: enough to
    know which line sets which argument."""
    line = 1
    pos = 0
    # per open block: (path prefix, counts of nested blocks by name, recording?)
    frames: list[tuple[str, dict[str, int], bool]] = []
    statement: list[str | None] = []  # words/labels since the statement began (None: other)
    statement_line = 1
    brackets = 0  # open ( [ { of an expression
    in_value = False  # after "name =": until the statement ends
    top: tuple[str, tuple[str, ...], int, dict[str, int]] | None = None
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # pragma: no cover - "other" matches any character
            break
        pos = m.end()
        kind = m.lastgroup
        if kind == "tag":
            kind = "heredoc"
        if kind in ("space", "comment"):
            line += m[0].count("\n")
            continue
        if kind == "heredoc":
            line += 1
            end = re.compile(r"^[ \t]*" + re.escape(m["tag"]) + r"[ \t]*\r?$", re.MULTILINE)
            close = end.search(text, pos)
            stop = close.end() if close else len(text)
            line += text.count("\n", pos, stop)
            pos = stop
            statement.append(None)
            continue
        if kind == "nl":
            line += 1
            if brackets == 0:
                statement, in_value = [], False
            continue
        if not statement:
            statement_line = line
        if (in_value or brackets) and not (kind == "close" and brackets == 0):
            if kind == "open":
                brackets += 1
            elif kind == "close":
                brackets -= 1
            continue
        if kind == "eq" and m[0] == "=" and len(statement) == 1 and statement[0]:
            if frames and frames[-1][2] and top is not None and statement[0][0] != '"':
                top[3].setdefault(frames[-1][0] + statement[0], statement_line)
            in_value = True
            continue
        if kind == "open" and m[0] == "{" and statement and statement[0]:
            name, labels = statement[0], statement[1:]
            if not frames:
                words = tuple(w[1:-1] if w and w.startswith('"') else w for w in labels)
                top = (name, tuple(w for w in words if w is not None), statement_line, {})
                frames.append(("", {}, name in ("resource", "data")))
            else:
                prefix, counts, recording = frames[-1]
                nested = recording and name != "dynamic" and not labels
                index = counts.get(name, 0)
                counts[name] = index + 1
                if nested and top is not None:
                    top[3].setdefault(f"{prefix}{name}", statement_line)
                    top[3].setdefault(f"{prefix}{name}.{index}", statement_line)
                elif recording and name == "dynamic" and len(labels) == 1 and top is not None:
                    # dynamic "network_rules" { … }: the configuration sets network_rules
                    # (the plan's configuration section leaves dynamic blocks out)
                    label = labels[0]
                    if label and label.startswith('"') and len(label) > 1:
                        label = label[1:-1]
                    if label:
                        top[3].setdefault(f"{prefix}{label}", statement_line)
                frames.append((f"{prefix}{name}.{index}.", {}, nested))
            statement = []
            continue
        if kind == "open":
            brackets += 1
            statement.append(None)
            continue
        if kind == "close" and m[0] == "}" and frames:
            frames.pop()
            statement, in_value = [], False
            if not frames and top is not None:
                yield top
                top = None
            continue
        statement.append(m[0] if kind in ("word", "string") else None)
