"""Secrets where they do not belong: what "looks secret" means, decided once here.

A VM extension's public ``settings`` are returned to anyone who can read the VM (and kept in
the deployment history); secrets belong in ``protected_settings``. A Terraform variable that
carries a secret must not have a literal default (it is then in the repository) and should be
``sensitive`` (else plan output prints it). Rules cannot tokenise a name, so the judgement is
here: a name looks secret when one of its words is a credential word (``password``,
``secret``, ``token``, ``pat``, ``sas``, ``credential``…), or ``key`` qualified as a secret
one (``account_key``, ``apiKey``, ``sharedAccessKey`` — not ``public_key`` or
``key_vault_id``), unless its last word says it names or describes the secret rather than
holding it (``secret_name``, ``password_length``, ``token_url``). A value looks secret when it
is shaped like a credential (a connection string with a key or password, a SAS signature, a
PEM private key, a GitHub or Slack token, a JWT). Items name the setting or the variable and
why, never the value: a report must not become the leak it reports.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .. import arm
from ..unknown import UnknownValue, contains_unknown
from .base import Answer, Item, by_id, relation

if TYPE_CHECKING:
    from ..graph import AuditGraph

# words that name a credential on their own
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "secrets",
        "token",
        "tokens",
        "pat",
        "sas",
        "credential",
        "credentials",
        "apikey",
        "accesskey",
        "accountkey",
        "privatekey",
        "sharedkey",
        "connectionstring",
        "clientsecret",
    }
)
# "key" is a secret when one of these comes right before it (account_key, apiKey)
_KEY_QUALIFIERS = frozenset(
    {
        "access",
        "account",
        "api",
        "auth",
        "client",
        "encryption",
        "master",
        "primary",
        "private",
        "secondary",
        "secret",
        "shared",
        "signing",
        "storage",
        "subscription",
        "workspace",
        "instrumentation",
    }
)
# a last word that says the name describes the secret rather than holding it
_ABOUT_WORDS = frozenset(
    {
        "name",
        "names",
        "id",
        "ids",
        "url",
        "uri",
        "endpoint",
        "path",
        "file",
        "type",
        "version",
        "length",
        "expiry",
        "expiration",
        "expires",
        "ttl",
        "enabled",
        "policy",
        "rotation",
        "count",
        "size",
        "format",
        "vault",
        "header",
    }
)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# credential shapes in a value, with the words a finding uses for each (never the value)
_VALUE_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?i)(?:^|;)\s*(?:AccountKey|SharedAccessKey|Password|Pwd)\s*=\s*[^;\s]"),
        "its value is a connection string with a key or password",
    ),
    (re.compile(r"(?i)[?&]sig=[A-Za-z0-9%+/=]{16,}"), "its value holds a SAS signature"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "its value is a PEM private key"),
    (
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
        "its value is a GitHub token",
    ),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "its value is a Slack token"),
    (
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        "its value is a JSON Web Token",
    ),
)
_SHAPE_LIMIT = 65536  # characters of one value searched (the patterns are linear anyway)


def words(name: str) -> list[str]:
    """``storageAccountKey`` → storage, account, key; ``ADO_PAT`` → ado, pat."""
    return [w.lower() for w in _WORD.findall(name)]


def secret_word(name: str) -> str | None:
    """The word that makes ``name`` look like it holds a secret, or None."""
    ws = words(name)
    if not ws or ws[-1] in _ABOUT_WORDS:
        return None
    joined = "".join(ws)
    for i, w in enumerate(ws):
        if w in _SECRET_WORDS:
            return w
        if w == "key" and i > 0 and ws[i - 1] in _KEY_QUALIFIERS:
            return f"{ws[i - 1]} key"
    for compound in ("connectionstring", "clientsecret", "accountkey", "accesskey", "apikey"):
        if compound in joined:
            return compound
    return None


def value_shape(value: str) -> str | None:
    """Why ``value`` looks like a credential (never the value itself), or None."""
    text = value[:_SHAPE_LIMIT]
    return next((why for rx, why in _VALUE_SHAPES if rx.search(text)), None)


def _filled(value: Any) -> bool:
    """A value that could hold a secret: not null, empty or false."""
    return value not in (None, "", [], {}, False)


def _walk(value: Any, path: str, out: list[tuple[str, str, Any]]) -> None:
    """Every (path, key, value) of a JSON-like value, iteratively (hostile nesting)."""
    stack: list[tuple[str, str, Any]] = [(path, "", value)]
    while stack:
        where, key, v = stack.pop()
        out.append((where, key, v))
        if isinstance(v, dict):
            for k, child in reversed(list(v.items())):
                stack.append((f"{where}.{k}", str(k), child))
        elif isinstance(v, list):
            for i in range(len(v) - 1, -1, -1):
                stack.append((f"{where}[{i}]", key, v[i]))


def _setting_items(settings: Any) -> list[Item]:
    """The settings entries that look secret by name (and are filled) or by value."""
    found: dict[str, Item] = {}
    entries: list[tuple[str, str, Any]] = []
    _walk(settings, "settings", entries)
    for path, key, value in entries:
        if type(value) is UnknownValue or path in found:
            continue
        why = None
        word = secret_word(key) if key and not isinstance(value, dict | list) else None
        if word and _filled(value):
            why = f"its name looks like a secret ({word})"
        elif isinstance(value, str):
            why = value_shape(value)
        if why:
            found[path] = Item(key=path, extra={"setting": path, "why": why})
    return [found[p] for p in sorted(found)]


@relation("secret_settings", "vm_extension", fields=("setting", "why"), node=False)
def secret_settings(g: AuditGraph, k: str) -> Answer:
    """Where the extension's public settings carry a secret (extra: setting, why): an entry
    whose name looks secret, a value shaped like a credential, or a Terraform variable the
    settings were computed from that is sensitive or named like a secret. Names the entry
    or variable and why, never the value; settings that cannot be read are an item marked
    unknown, unless a secret was already found."""
    props = g.row(k).get("properties")
    settings = props.get("settings") if isinstance(props, dict) else None
    items = _setting_items(settings)
    undecided: list[Item] = []
    for var, attrs in g.out(k, "uses_variable"):
        attribute = str(attrs.get("attribute"))
        address = arm.last_name(g.display_id(var))  # var.ADO_PAT, module.m.var.x
        where = f"computed from {address}"
        if not g.seen(var):
            word = secret_word(address.rpartition(".")[2])
            if word:
                why = f"{where}, whose name looks like a secret ({word})"
                items.append(Item(key=address, extra={"setting": attribute, "why": why}))
            else:
                why = (
                    f"{attribute} is {where}, which is not in the estate: whether it is "
                    "sensitive is unknown"
                )
                undecided.append(Item(key=address, unknown=why))
            continue
        vprops = g.row(var).get("properties")
        vprops = vprops if isinstance(vprops, dict) else {}
        word = secret_word(str(vprops.get("variableName") or address.rpartition(".")[2]))
        if vprops.get("sensitive") is True:
            why = f"{where}, a sensitive variable"
        elif word:
            why = f"{where}, whose name looks like a secret ({word})"
        else:
            continue
        items.append(Item(key=address, extra={"setting": attribute, "why": why}))
    items = by_id(items)
    if items:  # the extension fails already: what an unreadable part holds adds nothing
        return items
    hidden = contains_unknown(settings)
    if hidden is not None:
        undecided.append(Item(key="settings", unknown=f"settings cannot be read: {hidden.reason}"))
    return undecided


@relation("secret_name", "tf_variable", fields=("word",), node=False)
def secret_name(g: AuditGraph, k: str) -> Answer:
    """The variable itself when its name looks like it holds a secret (extra: word, the
    word that says so: ``pat``, ``password``, ``account key``); none otherwise."""
    props = g.row(k).get("properties")
    name = props.get("variableName") if isinstance(props, dict) else None
    word = secret_word(str(name or g.name(k)))
    return [Item(key=g.display_id(k), extra={"word": word})] if word else []
