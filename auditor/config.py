"""Options from a file and from the environment: ``.mlops-audit.yaml`` and ``MLOPS_AUDIT_*``.

Every option of every command can be set in two more places than its flag. A flag wins over
the environment, the environment over the file, the file over the option's default
(docs/configuration.md). What can be set is read off the argparse parser itself — each
command's options, with their type, choices, and whether they repeat or are switches — so an
option added to the CLI is configurable with no change here, and a value is checked by the
option's own type and choices, as its flag is. A bad value is one ``FILE: key 'x': problem``
line (exit 2); a value from the environment is never echoed (it may be a secret).

The parser is a ``Parser``: argparse lists a parser's options and sub-commands nowhere
public, so this one records them as they are added (the CLI's parser is one).

Nothing here is imported for ``--version`` beyond the standard library: the YAML reader loads
only when there is a file to read.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .files import EmptyFileError, InputError

FILE_NAMES = (".mlops-audit.yaml", ".mlops-audit.yml")  # looked for in the working directory
SUPPRESSIONS_NAMES = (".mlops-audit-suppressions.yaml", ".mlops-audit-suppressions.yml")
ENV_PREFIX = "MLOPS_AUDIT_"
MOST_BYTES = 1 << 20  # a config file is a few lines; a larger one is refused unread
_OWN = ("config", "no_config")  # the options that choose the file are not set by it
# The options that say where a command's estate comes from are one choice: a layer naming
# any of them replaces every one a lower layer named (a flag's --snapshot is not joined by
# the file's subscription, which scan would refuse as "not both", with no flag to unset it)
SOURCES = (
    "snapshot",
    "sample",
    "terraform",
    "terraform-plan",
    "subscription",
    "management-group",
    "all-subscriptions",
)
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


class ConfigError(InputError):
    """A config file or environment variable that cannot be used: one line, exit 2."""


class _Bad(Exception):
    """A value an option refuses; the caller names the file and key (or the variable)."""


# -- the recording parser -----------------------------------------------------------------
@dataclass(frozen=True)
class Added:
    """One ``add_argument`` call: the Action argparse made, and the ``action=`` it was given
    ("store" when none): what kind of value the option takes is read off that, not off the
    Action's class (argparse's action classes are private)."""

    action: argparse.Action
    how: object  # "store", "store_true", "append", "extend", ... or an Action class


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that records what is added to it, through its public methods only:
    every option (also one added in an argument group or a mutually exclusive group) and
    every set of sub-commands. A sub-command's parser is of its parent's class (argparse's
    default ``parser_class``), so the whole command tree records itself."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.added: list[Added] = []  # in the order added (argparse adds -h first)
        self.subcommands: list[argparse.Action] = []  # what add_subparsers returned
        self.__ready = False  # argparse's own groups (positionals, options) stay its own
        super().__init__(*args, **kwargs)
        self.__ready = True
        parents = kwargs.get("parents", args[4] if len(args) > 4 else ())
        for parent in parents:  # argparse copies their options in without add_argument
            if not isinstance(parent, Parser):
                raise TypeError(f"parent parser {parent.prog!r} is no config.Parser")
            self.added += parent.added
            self.subcommands += parent.subcommands

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        self.added.append(Added(action, kwargs.get("action") or "store"))
        return action

    def add_argument_group(self, *args: Any, **kwargs: Any) -> Any:
        group = super().add_argument_group(*args, **kwargs)
        return _Group(group, self) if self.__ready else group

    def add_mutually_exclusive_group(self, **kwargs: Any) -> Any:
        return _Group(super().add_mutually_exclusive_group(**kwargs), self)

    def add_subparsers(self, **kwargs: Any) -> Any:
        action = super().add_subparsers(**kwargs)
        self.subcommands.append(action)
        return action


class _Group:
    """An argument group that records the options added to it in its parser (argparse's
    group class is private; anything else is the group's own)."""

    def __init__(self, group: Any, parser: Parser) -> None:
        self._group, self._parser = group, parser

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action: argparse.Action = self._group.add_argument(*args, **kwargs)
        self._parser.added.append(Added(action, kwargs.get("action") or "store"))
        return action

    def add_argument_group(self, *args: Any, **kwargs: Any) -> _Group:
        return _Group(self._group.add_argument_group(*args, **kwargs), self._parser)

    def add_mutually_exclusive_group(self, **kwargs: Any) -> _Group:
        return _Group(self._group.add_mutually_exclusive_group(**kwargs), self._parser)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._group, name)


# -- the commands and the options each takes ------------------------------------------------
@dataclass(frozen=True)
class Option:
    """A settable option: its Action (dest, type, choices, default) and how its value is
    given: "switch" (true/false), "list" or "value"."""

    action: argparse.Action
    kind: str


@dataclass
class Command:
    """A command a config section can name, with every option it takes (its own and its
    parents'), by the option's name without dashes."""

    path: tuple[str, ...]  # () for the program, ("rules", "list") for a sub-command's
    parser: Parser
    options: dict[str, Option]
    commands: dict[str, Command] = field(default_factory=dict)
    dest: str | None = None  # where argparse puts the name of the sub-command chosen

    @property
    def name(self) -> str:
        return " ".join(self.path) or "mlops-audit"

    def leaves(self) -> list[Command]:
        """The commands that run under this one (itself, when it has none)."""
        if not self.commands:
            return [self]
        return [leaf for c in self.commands.values() for leaf in c.leaves()]

    def walk(self) -> Iterator[Command]:
        yield self
        for command in self.commands.values():
            yield from command.walk()

    def actions(self) -> list[argparse.Action]:
        """Everything its parser parses: options, positionals, its sub-commands' name."""
        return [a.action for a in self.parser.added] + self.parser.subcommands


def commands(parser: argparse.ArgumentParser) -> Command:
    """The command tree of ``parser`` (a ``Parser``), with the options each command can take
    from a file or the environment."""
    return _command(parser, (), {})


def _command(
    parser: argparse.ArgumentParser, path: tuple[str, ...], inherited: dict[str, Option]
) -> Command:
    if not isinstance(parser, Parser):
        where = " ".join(path) or parser.prog
        raise TypeError(f"{where}: the parser is no config.Parser; its options are unknown")
    own = {
        name: Option(a.action, kind)
        for a in parser.added
        if (name := _option_name(a.action)) is not None
        and (kind := _kind(a)) is not None
        and a.action.dest not in _OWN
    }
    node = Command(path, parser, {**inherited, **own})
    for action in parser.subcommands:
        node.dest = action.dest
        named = action.choices  # a sub-commands action's choices: each name's parser
        if not isinstance(named, Mapping):
            raise TypeError(f"{node.name}: its sub-commands are not a mapping of parsers")
        for name, sub in named.items():
            node.commands[name] = _command(sub, (*path, name), node.options)
    return node


def _option_name(action: argparse.Action) -> str | None:
    names = [s for s in action.option_strings if s.startswith("--")]
    return names[0][2:] if names else None


_SWITCHES = ("store_true", "store_false", "store_const")


def _kind(added: Added) -> str | None:
    """How a value is given, by the option's ``action=``: a switch (true/false), a list, one
    value; None: not settable (help, version, counters, append_const, other classes)."""
    how, nargs = added.how, added.action.nargs
    if how in _SWITCHES or (
        isinstance(how, type) and issubclass(how, argparse.BooleanOptionalAction)
    ):
        return "switch"
    if how == "extend" or (how == "append" and nargs is None):
        return "list"
    if how == "store":
        return "value" if nargs in (None, "?") else "list"
    return None


def add_options(parser: argparse.ArgumentParser) -> None:
    """``--config FILE`` and ``--no-config`` on the program and on every command, so they
    may come before or after the command's name (SUPPRESS: a command's parser must not
    reset what the program's took)."""
    for command in commands(parser).walk():
        command.parser.add_argument(
            "--config",
            metavar="FILE",
            default=argparse.SUPPRESS,
            help=f"read options from this YAML file instead of ./{FILE_NAMES[0]} (flags and "
            f"{ENV_PREFIX}* variables win over it; docs/configuration.md)",
        )
        command.parser.add_argument(
            "--no-config",
            action="store_true",
            default=argparse.SUPPRESS,
            help=f"ignore ./{FILE_NAMES[0]} and ./{SUPPRESSIONS_NAMES[0]}",
        )


# -- reading the command line with the other layers under it ---------------------------------
def parse_args(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[argparse.Namespace, list[str]]:
    """The command line, with what the config file and the environment set underneath it,
    and the lines to say on stderr (unless --quiet): warnings, and where suppressions
    came from. A bad file or variable raises ConfigError; a bad flag exits as argparse does.

    An option the command requires may come from a layer, so the first parse does not
    require it; it is required again once every layer has had its say."""
    argv = list(sys.argv[1:] if argv is None else argv)
    environ = os.environ if environ is None else environ
    root = commands(parser)
    required = [a for c in root.walk() for a in c.actions() if a.option_strings and a.required]
    relax = [] if {"-h", "--help"} & set(argv) else required  # help shows them as they are
    with _not_required(relax):
        args = parser.parse_args(argv)
    running = root
    while running.dest is not None:
        running = running.commands[getattr(args, running.dest)]
    notes: list[str] = []
    path, use_files = _config_file(args, environ)
    values: dict[str, Any] = {}
    if path is not None:
        values = check(read_file(path), path, root, running)
    from_env = _from_environment(environ, running, root, notes)
    sources = {o.action.dest for name, o in running.options.items() if name in SOURCES}
    values = {**_without(values, sources if sources & set(from_env) else set()), **from_env}
    if values:
        given = _given(parser, argv, relax)
        for dest, value in _without(values, sources if sources & given else set()).items():
            if dest not in given:
                setattr(args, dest, value)
    if path is not None and getattr(args, "verbose", False):  # as every layer left it
        notes.insert(0, f"using configuration from {path}")
    if use_files:
        notes += _conventional_suppressions(args, running)
    if path is not None:
        _not_written_over(path, args, running)
    mine = {id(o.action) for o in running.options.values()}
    missing = [a for a in required if id(a) in mine and getattr(args, a.dest, None) is None]
    if missing:
        running.parser.error(
            "the following arguments are required: "
            + ", ".join("/".join(a.option_strings) for a in missing)
        )
    return args, notes


def _without(values: dict[str, Any], dests: set[str]) -> dict[str, Any]:
    return {dest: value for dest, value in values.items() if dest not in dests}


@contextmanager
def _not_required(actions: list[argparse.Action]) -> Iterator[None]:
    for action in actions:
        action.required = False
    try:
        yield
    finally:
        for action in actions:
            action.required = True


def _given(
    parser: argparse.ArgumentParser, argv: list[str], relax: list[argparse.Action]
) -> set[str]:
    """The options the command line itself gave: parsed again with no defaults, what
    argparse sets is what was typed (a flag equal to its default still wins over a file)."""
    saved = [(a, a.default) for c in commands(parser).walk() for a in c.actions()]
    for action, _ in saved:
        action.default = argparse.SUPPRESS
    try:
        with _not_required(relax):
            return set(vars(parser.parse_args(argv)))
    finally:
        for action, default in saved:
            action.default = default


def _config_file(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[str | None, bool]:
    """The config file to read (None: none), and whether the working directory's files
    (the config and the suppressions file) may be picked up: --config and --no-config,
    then MLOPS_AUDIT_CONFIG and MLOPS_AUDIT_NO_CONFIG, then ./.mlops-audit.yaml."""
    flag, no_flag = getattr(args, "config", None), getattr(args, "no_config", False)
    if flag is not None and no_flag:
        raise ConfigError("--config", "contradicts --no-config; give one of them")
    if flag is not None:
        return _named(flag, "--config"), True
    if no_flag:
        return None, False
    env, no_env = environ.get(f"{ENV_PREFIX}CONFIG", ""), environ.get(f"{ENV_PREFIX}NO_CONFIG", "")
    no_env_set = bool(no_env.strip()) and _env_switch(f"{ENV_PREFIX}NO_CONFIG", no_env)
    if env.strip() and no_env_set:
        raise ConfigError(f"{ENV_PREFIX}CONFIG", f"contradicts {ENV_PREFIX}NO_CONFIG; set one")
    if env.strip():
        return env, True
    if no_env_set:
        return None, False
    return _one_of(FILE_NAMES), True


def _named(path: str, option: str) -> str:
    if not path.strip():
        raise ConfigError(option, "needs a file path, got an empty value")
    return path


def _one_of(names: Sequence[str]) -> str | None:
    """The one of these working-directory files that exists; two is ambiguous."""
    found = [n for n in names if os.path.lexists(n)]
    if len(found) > 1:
        raise ConfigError(found[0], f"{found[1]} is here too; keep one (which to read is a guess)")
    return found[0] if found else None


def _not_written_over(path: str, args: argparse.Namespace, running: Command) -> None:
    """The config file a run was set with is one of its inputs: an ``--output`` (the
    flag's, the environment's or the file's own) naming it is refused, as one naming the
    snapshot is, before anything runs."""
    option = running.options.get("output")
    action = option.action if option is not None else None
    value = getattr(args, action.dest, None) if action is not None else None
    for text in value if isinstance(value, list) else [value] if value else []:
        target = _path_part(action, text) if action is not None else text
        try:
            same = os.path.samefile(target, path)
        except (OSError, ValueError):  # not there yet (or no path at all): not the file
            continue
        if same:
            raise ConfigError(
                f"--output {text}", f"is the config file {path}; a report must not overwrite it"
            )


def _conventional_suppressions(args: argparse.Namespace, running: Command) -> list[str]:
    """A command that takes --suppressions, given none by any layer, reads the working
    directory's .mlops-audit-suppressions.yaml when there is one, and says so."""
    option = running.options.get("suppressions")
    if option is None or getattr(args, option.action.dest, None) is not None:
        return []
    found = _one_of(SUPPRESSIONS_NAMES)
    if found is None:
        return []
    setattr(args, option.action.dest, found)
    return [f"using suppressions from {found}"]


# -- the file ------------------------------------------------------------------------------
def read_file(path: str | Path) -> Any:
    """A config file's data, read as rule and suppression files are (a regular UTF-8 file;
    YAML with no anchors or aliases, no key twice; only true/false are booleans). Empty,
    or only comments: no options."""
    from .rules import RuleFileError, read_yaml

    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0  # the reader says what is wrong with it
    if size > MOST_BYTES:
        raise ConfigError(path, f"is {size} bytes; a config file is at most {MOST_BYTES} bytes")
    try:
        data = read_yaml(Path(path), "config (option: value)")
    except RuleFileError as exc:
        raise ConfigError(path, str(exc).removeprefix(f"{path}: ")) from None
    except EmptyFileError:  # nothing in it: no options (only comments reads as None)
        return None
    except InputError as exc:
        raise ConfigError(path, exc.problem) from None
    return _as_written(path, data)


def _as_written(path: str | Path, data: Any) -> Any:
    """The file's data with every number and date value back to the text it was written
    as: each value goes through its option's own type, as the flag's text does, where
    YAML 1.1 reads ``1:30`` as 90, ``0x1F`` as 31 and ``010`` as 8. (Read again with
    those resolvers off; a file read_yaml took that is not read alike keeps its data.)"""
    import yaml

    from .files import read_text
    from .rules import _RuleLoader

    class AsWritten(_RuleLoader):
        pass

    AsWritten.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in _NUMBERS]
        for first, resolvers in _RuleLoader.yaml_implicit_resolvers.items()
    }
    try:
        text = yaml.load(read_text(Path(path), "config"), Loader=AsWritten)
    except (InputError, yaml.YAMLError, RecursionError, ValueError, TypeError):
        return data
    return _texts(data, text)


def _texts(data: Any, text: Any) -> Any:
    """``data`` with a number or date value replaced by its text (keys stay as read)."""
    if type(data) is dict and type(text) is dict and len(data) == len(text):
        return {k: _texts(v, t) for (k, v), t in zip(data.items(), text.values(), strict=True)}
    if type(data) is list and type(text) is list and len(data) == len(text):
        return [_texts(v, t) for v, t in zip(data, text, strict=True)]
    if type(data) in (int, float, date, datetime) and type(text) is str:
        return text
    return data


_NUMBERS = {f"tag:yaml.org,2002:{t}" for t in ("int", "float", "timestamp")}


def check_file(path: str | Path, parser: argparse.ArgumentParser) -> None:
    """``validate``'s check of a config file: what a run reading it would refuse."""
    check(read_file(path), path, commands(parser))


def check(
    data: Any, path: str | Path, root: Command, running: Command | None = None
) -> dict[str, Any]:
    """Every key and value of a config file checked against every command it applies to
    (whichever command runs: a typo in another command's section is found now); the
    values for ``running``, by argparse dest."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, f"expected a mapping of options (fail-on: high), got {_what(data)}")
    return _section(data, str(path), os.path.dirname(str(path)), root, (), running)


def _section(
    data: dict[Any, Any],
    path: str,
    base: str,
    node: Command,
    where: tuple[str, ...],
    running: Command | None,
) -> dict[str, Any]:
    """One mapping of the file: options for the commands under ``node``, and sections for
    its sub-commands (a mapping at a command's name; a section's value wins over the
    level above it, whatever the order in the file)."""
    leaves = node.leaves()
    here: dict[str, Any] = {}
    deeper: list[tuple[int, dict[str, Any]]] = []  # by depth: 'rules list:' over 'rules:'
    for key, value in data.items():
        label = ".".join([*where, str(key)])
        if not isinstance(key, str):
            raise ConfigError(path, f"key {label!r}: not an option name")
        having = [leaf for leaf in leaves if key in leaf.options]
        sub = _subcommand(node, key)
        if sub is not None and (isinstance(value, dict) or (value is None and not having)):
            inner = (
                running
                if running is not None and running.path[: len(sub.path)] == sub.path
                else None
            )
            found = _section(value or {}, path, base, sub, (*where, key), inner)
            deeper.append((len(sub.path), found))
            continue
        if not having:
            if sub is not None:
                got = _what(value)
                raise ConfigError(
                    path, f"key {label!r}: expected a mapping of {sub.name}'s options, got {got}"
                )
            raise ConfigError(path, f"key {label!r}: {_unknown(key, node)}")
        failed: list[tuple[Command, str]] = []
        for leaf in having:
            option = leaf.options[key]
            try:
                converted = _from_file(option, value, base)
            except _Bad as bad:
                failed.append((leaf, str(bad)))
                continue
            if leaf is running:
                here[option.action.dest] = converted
        if failed:
            leaf, problem = failed[0]
            if len(failed) < len(having):  # some commands take it: it belongs in theirs
                ok = next(c for c in having if c not in [f for f, _ in failed])
                problem += (
                    f" for '{leaf.name}' (set a value only some commands take in their "
                    f"section, e.g. under '{ok.path[0]}:')"
                )
            raise ConfigError(path, f"key {label!r}: {problem}")
    for _, found in sorted(deeper, key=lambda part: part[0]):
        here.update(found)
    return here


def _subcommand(node: Command, key: str) -> Command | None:
    """The sub-command a key names: ``scan``, or one named in full, ``rules list`` (which
    leaves ``rules:`` free for the --rules option at the same level)."""
    sub: Command | None = node
    for word in key.split(" "):
        sub = sub.commands.get(word) if sub is not None else None
    return sub if sub is not node else None


def _unknown(key: str, node: Command) -> str:
    import difflib

    names = sorted({n for leaf in node.leaves() for n in leaf.options})
    close = difflib.get_close_matches(key.lower().replace("_", "-"), names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    if node.path:
        return f"'{node.name}' has no option '--{key}'{hint}"
    return f"no command has an option '--{key}'{hint}"


def _from_file(option: Option, value: Any, base: str) -> Any:
    """A file's value for ``option``, converted as its flag's would be; relative paths are
    the config file's directory's."""
    action, kind = option.action, option.kind
    if kind == "switch":
        if type(value) is not bool:
            hint = ""
            if isinstance(value, str) and value.lower() in ("yes", "no", "on", "off"):
                hint = f" ({value!r} is a string here: write true or false)"
            raise _Bad(f"expected true or false, got {_what(value)}{hint}")
        return _switch(action, value)
    if kind == "list":
        items = value if isinstance(value, list) else [value]
        if not items:
            raise _Bad("an empty list (leave the key out for the default)")
        label = (lambda n: f"item {n}: ") if isinstance(value, list) else (lambda n: "")
        return [
            _convert(action, _text(item, label(n)), base, shown=True)
            for n, item in enumerate(items, 1)
        ]
    if type(value) is bool and action.nargs == "?" and action.const is not None:
        return action.const if value else action.default
    return _convert(action, _text(value, ""), base, shown=True)


def _text(value: Any, label: str) -> str:
    if type(value) not in (str, int, float):
        raise _Bad(f"{label}expected a value, got {_what(value)}")
    text = str(value)
    if not text.strip():
        raise _Bad(f"{label}needs a value, got an empty string")
    return text


def _what(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), f"a {type(value).__name__}")


def _switch(action: argparse.Action, on: bool) -> Any:
    if isinstance(action, argparse.BooleanOptionalAction):
        return on
    return action.const if on else action.default


def _convert(action: argparse.Action, text: str, base: str | None, shown: bool) -> Any:
    """One value through the option's own type and choices, as argparse checks a flag's.
    ``shown=False`` (the environment's): the problem never repeats the value."""
    if base is not None and _is_path(action):
        text = _resolve(action, text, base)
    value: Any = text
    problem = None
    if callable(action.type):
        try:
            value = action.type(text)
        except argparse.ArgumentTypeError as exc:
            problem = str(exc)
        except (TypeError, ValueError):
            kind = getattr(action.type, "__name__", repr(action.type))
            problem = f"invalid {kind} value: {text!r}"
    if problem is None and action.choices is not None and value not in action.choices:
        choices = ", ".join(map(str, action.choices))
        problem = f"invalid choice{f': {text!r}' if shown else ''} (choose from {choices})"
    if problem is None:
        return value
    if not shown:  # the value may be a secret: say what is wrong without it
        problem = problem.replace(repr(text), "(the value)")
        if text.strip() and text in problem:
            problem = "not a valid value"
    raise _Bad(problem)


def _is_path(action: argparse.Action) -> bool:
    """A file or directory option: its metavar says so (FILE, DIR, [FORMAT:]PATH)."""
    metavar = action.metavar if isinstance(action.metavar, str) else ""
    return metavar in ("FILE", "DIR") or metavar.endswith("PATH")


def _resolve(action: argparse.Action, text: str, base: str) -> str:
    """A config file's relative path, from the config file's directory (``~`` is the home
    directory); the part after ``FORMAT:`` when the option takes one and it names one."""
    tail = _path_part(action, text)
    return text[: len(text) - len(tail)] + _join(base, tail)


def _path_part(action: argparse.Action, text: str) -> str:
    """The path of an option's value: after ``FORMAT:`` when the option takes one."""
    from .report import find_format

    head, sep, tail = text.partition(":")
    if sep and str(action.metavar).startswith("[FORMAT:]") and find_format(head) is not None:
        return tail
    return text


def _join(base: str, text: str) -> str:
    if text.strip() in ("", "-"):  # stdout or nothing: refused by the command, as a flag's
        return text
    return os.path.join(base, os.path.expanduser(text))


# -- the environment ---------------------------------------------------------------------
def _from_environment(
    environ: Mapping[str, str], running: Command, root: Command, notes: list[str]
) -> dict[str, Any]:
    """``MLOPS_AUDIT_<OPTION>`` for the running command's options (an empty one is unset;
    relative paths are the working directory's). A variable for another command's option
    is left alone; one that names no option at all is a warning (a typo must not pass
    unseen, but other tools may share the prefix)."""
    known = {name for c in root.walk() for name in c.options}
    values: dict[str, Any] = {}
    for variable in sorted(environ):
        if not variable.startswith(ENV_PREFIX) or variable[len(ENV_PREFIX) :] in (
            "CONFIG",
            "NO_CONFIG",
        ):
            continue
        name = variable[len(ENV_PREFIX) :].lower().replace("_", "-")
        option = running.options.get(name)
        if option is None:
            if name not in known:
                notes.append(
                    f"warning: environment variable {variable} names no option of any "
                    "command; it is ignored"
                )
            continue
        text = environ[variable]
        if not text.strip():
            continue
        try:
            values[option.action.dest] = _from_env(option, text)
        except _Bad as bad:
            raise ConfigError(variable, f"{running.name} --{name}: {bad}") from None
    return values


def _from_env(option: Option, text: str) -> Any:
    action, kind = option.action, option.kind
    if kind == "switch":
        return _switch(action, _env_bool(text))
    if kind == "list":
        items = [t.strip() for t in text.split(",") if t.strip()]
        if not items:
            raise _Bad("no value between the commas")
        return [_convert(action, item, None, shown=False) for item in items]
    return _convert(action, text, None, shown=False)


def _env_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise _Bad("expected true, false, 1, 0, yes or no")


def _env_switch(variable: str, text: str) -> bool:
    try:
        return _env_bool(text)
    except _Bad as bad:
        raise ConfigError(variable, str(bad)) from None
