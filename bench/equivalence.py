"""Byte-for-byte equivalence of two checkouts' scans: the proof a pure optimisation owes.

An optimisation of the parse, the graph, the rules engine or a relation must leave every report
unchanged. This script scans the same estates with two checkouts of the project and compares,
byte for byte, every report format (json, sarif, junit, markdown, html, csv, table), the JSON
printed on stdout, stderr and the exit code:

    python bench/equivalence.py --old /work/main --new /tmp/w/mine
        [--count 300] [--seed 1] [--keep DIR] [--only ID,ID] [--no-fixtures]
        [--same-hashseed] [--verify-subprocess 3] [--details 20] [--timeout 60]
        [--rules DIR]

Estates: every estate under the old checkout's ``fixtures/`` (copied once, so both checkouts
read the same bytes at the same relative path): the reference estates, each rule's
``fail.json``/``pass.json`` (also with ``--select RULE``, as tests/test_rule_fixtures.py scans
them), each topology (also with its expect.json's rules selected), each Terraform root module
and plan; then ``--count`` mutated estates, seeded, each derived from a fixture estate, a
union of a few, or a synthetic estate of 500-2,000 rows (the old checkout's bench/synth.py) by
1-6 mutations of the kinds a hostile or messy estate has (MUTATIONS: a property or a row
deleted, a provisioning/peering/link/connection state or a setting changed, an ARM id, a type
or an enum value recased, a prefix swapped, a row duplicated or contradicted, an NSG rule
field made a list, an odd value or an unknown, a zone link dropped, an A record's IP changed,
DNS servers removed or customised, a reference retargeted, a field of the wrong type, unicode
in a name, a junk row), written as an array, ``az graph query`` output or a snapshot, sometimes
split over two ``--snapshot`` files or scanned with a ``--select``. Estate ``m0042`` depends
only on ``--seed`` and its index, so ``--only m0042`` replays it (with ``--count`` > 42).
``WORK/cases.jsonl`` says what each estate is (its base and mutations), and
``WORK/results-{old,new}.jsonl`` hold each scan's exit code, output hashes and CPU time.

``--rules DIR`` adds a directory of custom rules to every scan of both sides (users write
their own rules: ``bench/equivalence_rules``, written by ``bench/make_equivalence_rules.py``,
spells ``where`` clauses like the built-in rules' and each other's, iterates relations other
rules ask, negates over lists, and reads unknowns, booleans and absent values).

Each checkout is scanned in ONE process (``--driver``: ``PYTHONPATH=DIR``, the same Python,
``SOURCE_DATE_EPOCH=0``) calling ``auditor.cli.main`` for every estate with stdout and stderr
captured (UTF-8, strict, as a pipe); the two processes run at once, so two cores are used. Runs
are independent only if the package keeps no state from one scan to the next; to prove it
rather than assume it, the new checkout scans the estates in a shuffled order and the two
processes get different ``PYTHONHASHSEED`` values (``--same-hashseed`` to give them one): state
leaking between scans, or output depending on set/dict order of hashed strings, then shows up
as a difference even with ``--old`` and ``--new`` the same checkout. ``--verify-subprocess K``
also scans K estates with the real command line in a fresh process and checks that it gives the
in-process bytes. A scan that takes longer than ``--timeout`` seconds is reported as such.

Each difference is re-run in fresh processes, with the full reports saved under
``WORK/diff/ID/{old,new}``, and printed with the first differing line of each output that
differs; it is classed as a change (``old`` with ``new``'s hash seed still differs from
``new``), nondeterminism (the hash seed alone explains it) or run-order dependence (it does
not reproduce in a fresh process). ``WORK`` is ``--keep DIR``, else a temporary directory
removed at the end unless something differed. Mutated estates are under ``WORK/in/m/``.
Exit status: 0 all equal, 1 differences (or a crash, a timeout), 2 usage.

The default run (706 scans per checkout: 406 fixture runs, 300 mutated) takes about 70 s wall
and 75 s CPU in all on two cores (35 s of it scanning per checkout); ``--no-fixtures`` halves
it. Run it with the project's Python (``/work/main/.venv/bin/python``; ``--python`` for the
drivers); the fixture estates come from ``--old``, so a branch that edits a fixture is
compared on the old one.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS = ("json", "sarif", "junit", "markdown", "html", "csv", "table")
OUTPUTS = ("exit", "stdout", "stderr", *FORMATS)
DEFAULT_PYTHON = "/work/main/.venv/bin/python"
SYNTH_BASES = ((500, 11), (1000, 12), (1500, 13), (2000, 14))  # rows, synth seed
Case = dict[str, Any]  # id, args (scan arguments, relative to the run folder), about


@dataclass(frozen=True)
class Setup:
    python: str  # the interpreter both checkouts run with
    timeout: float  # seconds per scan
    inputs: Path  # WORK/in: the fixtures' copy and the mutated estates


# --------------------------------------------------------------------------- the driver
class _Timeout(BaseException):
    """Not an Exception: the CLI's catch-all must not turn it into an exit 4."""


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def scan_argv(args: list[str]) -> list[str]:
    """One scan writing every format: JSON on stdout, each format to ``out/r.FORMAT``."""
    outputs = [x for fmt in FORMATS for x in ("--output", f"{fmt}:out/r.{fmt}")]
    return ["scan", *args, "--format", "json", *outputs]


def driver(jobs: Path, results: Path, timeout: float) -> int:
    """Scan every case of ``jobs`` in this process (cwd: the run folder) and append one JSON
    line per case to ``results``: exit code and SHA-256 of stdout, stderr and each report."""
    import gc
    import io
    import signal

    from auditor import cli  # from PYTHONPATH: the checkout under test

    os.makedirs("out", exist_ok=True)
    signal.signal(signal.SIGALRM, _alarm)
    with results.open("a", encoding="utf-8") as log:
        log.write(json.dumps({"module": cli.__file__}) + "\n")
        for line in jobs.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            for fmt in FORMATS:
                Path(f"out/r.{fmt}").unlink(missing_ok=True)
            out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
            err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
            saved = sys.stdout, sys.stderr
            sys.stdout, sys.stderr = out, err
            started = time.process_time()
            extra = ""
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                code: Any = cli.main(scan_argv(case["args"]))
            except SystemExit as stop:  # argparse's usage errors
                code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
            except _Timeout:
                code, extra = "timeout", f"timeout after {timeout:g} s"
            except BaseException as exc:  # recorded and compared, never fatal
                code, extra = "escaped", f"{type(exc).__name__}: {exc}"
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                sys.stdout, sys.stderr = saved
            seconds = time.process_time() - started
            out.flush()
            err.flush()
            hashes = {
                "exit": str(code),
                "stdout": _sha(out.buffer.getvalue()),  # type: ignore[attr-defined]
                "stderr": _sha(err.buffer.getvalue() + extra.encode()),  # type: ignore[attr-defined]
            }
            for fmt in FORMATS:
                path = Path(f"out/r.{fmt}")
                hashes[fmt] = _sha(path.read_bytes()) if path.exists() else "absent"
            del out, err
            gc.collect()  # the CLI turns the collector off; free each scan's cycles
            gc.freeze()  # and leave the modules' objects out of the next collections
            log.write(json.dumps({"id": case["id"], "cpu": seconds, "h": hashes}) + "\n")
            log.flush()
    return 0


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- fixtures
def fixture_cases(root: Path) -> list[Case]:
    """Every estate under ``root`` (a copy of ``fixtures/``), as paths relative to the run
    folder (``in/fixtures/...``): row files, rule and topology fixtures also with their
    selection, Terraform root modules and plans."""
    cases: list[Case] = []

    def rel(p: Path) -> str:
        return "in/fixtures/" + p.relative_to(root).as_posix()

    for path in sorted(root.rglob("*.json")):
        parts = path.relative_to(root).parts
        if path.name == "expect.json" or "terraform" in parts:
            continue
        cases.append({"id": f"f:{rel(path)[12:]}", "args": ["--snapshot", rel(path)]})
        if parts[0] == "rules" and len(parts) == 3:
            cases.append(
                {
                    "id": f"f:{rel(path)[12:]}+select",
                    "args": ["--snapshot", rel(path), "--select", parts[1]],
                }
            )
        expect = path.parent / "expect.json"
        if parts[0] == "topologies" and expect.is_file():
            chosen = json.loads(expect.read_text(encoding="utf-8")).get("rules") or []
            if chosen:
                cases.append(
                    {
                        "id": f"f:{rel(path)[12:]}+select",
                        "args": ["--snapshot", rel(path), "--select", ",".join(chosen)],
                    }
                )
    modules = sorted({p.parent for p in root.rglob("*.tf")})
    for folder in modules:
        if "modules" in folder.relative_to(root).parts:
            continue
        cases.append({"id": f"f:{rel(folder)[12:]}/", "args": ["--terraform", rel(folder)]})
    for path in sorted(root.rglob("*.json")):
        if "terraform" not in path.relative_to(root).parts or path.name == "expect.json":
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(doc, dict) and "format_version" in doc:
            cases.append({"id": f"f:{rel(path)[12:]}", "args": ["--terraform-plan", rel(path)]})
    return cases


def row_estates(root: Path) -> dict[str, list[Any]]:
    """The fixtures that are lists of rows, by path under ``fixtures/``: mutation bases."""
    found = {}
    for path in sorted(root.rglob("*.json")):
        parts = path.relative_to(root).parts
        if path.name == "expect.json" or "terraform" in parts:
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, list) and doc:
            found[path.relative_to(root).as_posix()] = doc
    return found


def load_synth(old: Path) -> Any:
    """The old checkout's bench/synth.py (a script, not part of the package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_equiv_synth", old / "bench" / "synth.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["_equiv_synth"] = module
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- mutations
Slot = tuple[Any, Any, Any, str]  # parent container, key, value, path text

STATE_KEYS = {
    "provisioningstate": ["Succeeded", "Failed", "Updating", "Deleting", "Canceled", "succeeded"],
    "peeringstate": ["Connected", "Disconnected", "Initiated", "connected", ""],
    "peeringsynclevel": [
        "FullyInSync",
        "LocalNotInSync",
        "RemoteNotInSync",
        "LocalAndRemoteNotInSync",
    ],
    "virtualnetworklinkstate": ["Completed", "InProgress", "completed", "Failed"],
    "status": ["Approved", "Pending", "Rejected", "Disconnected", "approved", "Unknown"],
    "provisioningstatus": ["Succeeded", "Failed", "Updating"],
    "state": ["Running", "Stopped", "Succeeded", "Failed", "Unknown"],
}
SETTINGS = {
    "publicnetworkaccess": ["Enabled", "Disabled", "enabled", "SecuredByPerimeter", ""],
    "defaultaction": ["Allow", "Deny", "allow", "Block"],
    "adminuserenabled": [True, False, "true"],
    "allowblobpublicaccess": [True, False, None],
    "registrationenabled": [True, False],
    "allowvirtualnetworkaccess": [True, False, "false"],
    "allowforwardedtraffic": [True, False],
    "allowgatewaytransit": [True, False],
    "usereMotegateways".lower(): [True, False],
    "enablenodepublicip": [True, False],
    "privateendpointnetworkpolicies": ["Enabled", "Disabled", "NetworkSecurityGroupEnabled"],
}
ODD_PREFIXES = [
    "0.0.0.0/0",
    "10.0.0.0/8",
    "10.0.0.0/16",
    "10.0.1.0/24",
    "10.0.8.4",
    "192.168.0.0/16",
    "172.16.0.0/12",
    "::/0",
    "fd00::/8",
    "*",
    "Internet",
    "VirtualNetwork",
    "AzureLoadBalancer",
    "Storage.WestEurope",
    "AzureCloud",
    "NotARealTag",
    "10.0.0.300/24",
    "10.0.0.0/33",
    "",
    " 10.0.0.0/24",
    "10.0.0.1/24",
    "any",
    "0.0.0.0/1",
]
ODD_PORTS = [
    "22",
    "3389",
    "*",
    "0-65535",
    "22-21",
    "65536",
    "abc",
    "443-445",
    "",
    " 22",
    "-1",
    ["22", "3389"],
    ["*"],
    [],
    ["80", "bad"],
    22,
    22.0,
    None,
    {"from": 1},
    True,
]
ODD_PROTOCOLS = ["Tcp", "Udp", "*", "Icmp", "tcp", "Any", "Esp", "Ah", "Foo", "", None, 6]
ODD_ACCESS = ["Allow", "Deny", "allow", "deny", "Maybe", "", None, 1]
ODD_DIRECTION = ["Inbound", "Outbound", "inbound", "Both", None]
ODD_PRIORITY = [100, 4096, 65000, 0, -1, "100", 100.5, None, [100]]
ODD_DNS = [
    None,
    [],
    ["168.63.129.16"],
    ["8.8.8.8"],
    ["10.0.0.4"],
    ["10.0.8.4", "8.8.4.4"],
    "10.0.0.4",
    [1234],
    ["not-an-ip"],
    [None],
    ["10.0.0.4", "10.0.0.4"],
]
ODD_IPS = ["10.0.8.5", "10.0.0.4", "8.8.8.8", "10.255.255.255", "", "not-an-ip", None, 7, "::1"]
UNICODE = [
    "naïve-ünïcödé",
    "日本語の名前",
    "\u0438\u043c\u044f-\u0440\u0435\u0441\u0443\u0440\u0441\u0430",
    "emoji-\U0001f600-name",
    "bidi\u202etxt.exe",
    "zero\u200bwidth",
    "esc\x1b[31mred",
    "tab\tnew\nline",
    "\ud800lone-surrogate",
    "a" * 300,
    "combining-e\u0301",
    "rtl-\u05e9\u05dc\u05d5\u05dd",
    "<script>alert(1)</script>",
    "[link](http://x)|pipe",
    "::error::x",
    "null\x00byte",
]
JUNK_ROWS: list[Any] = [
    42,
    "a string",
    None,
    [],
    {},
    {"id": 5},
    {"type": None},
    [{"id": "/x"}],
    1.5,
]


def slots(value: Any, path: str = "") -> Iterator[Slot]:
    """Every value nested in ``value`` with its container, key and path (depth first)."""
    if isinstance(value, dict):
        items: Any = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return
    for key, child in items:
        here = f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
        yield value, key, child, here
        yield from slots(child, here)


def _rows(rows: list[Any]) -> list[int]:
    return [i for i, r in enumerate(rows) if isinstance(r, dict)]


def _rtype(row: Any) -> str:
    t = row.get("type") if isinstance(row, dict) else None
    return t.lower() if isinstance(t, str) else ""


def _sample(rng: random.Random, rows: list[Any], n: int = 150) -> list[int]:
    """Row indexes to look at: all of a small estate, a random ``n`` of a large one (a walk
    over every value of a 2,000-row estate per mutation would dominate the run)."""
    idx = _rows(rows)
    return idx if len(idx) <= n else sorted(rng.sample(idx, n))


def _pick_slot(
    rng: random.Random, rows: list[Any], keep: Callable[[Slot], bool]
) -> tuple[int, Slot] | None:
    for idx in (_sample(rng, rows), _rows(rows)):
        found = [(i, s) for i in idx for s in slots(rows[i]) if keep(s)]
        if found:
            return rng.choice(found)
    return None


def _name(rows: list[Any], i: int) -> str:
    row = rows[i]
    name = row.get("name") if isinstance(row, dict) else None
    return f"row {i} ({_rtype(row) or '?'} {str(name)[:40]!r})"


def m_drop_property(rng: random.Random, rows: list[Any]) -> str | None:
    got = _pick_slot(rng, rows, lambda s: isinstance(s[0], dict))
    if not got:
        return None
    i, (parent, key, _v, path) = got
    del parent[key]
    return f"{_name(rows, i)}: deleted {path}"


def m_drop_row(rng: random.Random, rows: list[Any]) -> str | None:
    if not rows:
        return None
    i = rng.randrange(len(rows))
    what = _name(rows, i)
    del rows[i]
    return f"deleted {what}"


def _set_from(table: dict[str, list[Any]], what: str) -> Callable[..., str | None]:
    def mutate(rng: random.Random, rows: list[Any]) -> str | None:
        got = _pick_slot(rng, rows, lambda s: isinstance(s[1], str) and s[1].lower() in table)
        if not got:
            return None
        i, (parent, key, old, path) = got
        parent[key] = rng.choice(table[key.lower()])
        return f"{_name(rows, i)}: {what} {path} {old!r} -> {parent[key]!r}"

    return mutate


def _recase(rng: random.Random, text: str) -> str:
    way = rng.randrange(4)
    if way == 0:
        return text.upper()
    if way == 1:
        return text.lower()
    if way == 2:
        return text.swapcase()
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)


def m_recase_id(rng: random.Random, rows: list[Any]) -> str | None:
    got = _pick_slot(
        rng,
        rows,
        lambda s: isinstance(s[2], str) and s[2].lower().startswith("/subscriptions/"),
    )
    if not got:
        return None
    i, (parent, key, old, path) = got
    new = _recase(rng, old)
    if rng.random() < 0.15:
        new += "/"
    parent[key] = new
    return f"{_name(rows, i)}: recased {path} -> {new!r}"


ENUM_KEYS = {*STATE_KEYS, *SETTINGS, "protocol", "access", "direction", "kind", "tier"}


def m_recase_value(rng: random.Random, rows: list[Any]) -> str | None:
    """An enum-like value (a state, a setting, an NSG rule's protocol/access/direction)
    recased: Azure compares them without case, and so must the auditor."""
    got = _pick_slot(
        rng,
        rows,
        lambda s: isinstance(s[1], str) and s[1].lower() in ENUM_KEYS and isinstance(s[2], str),
    )
    if not got:
        return None
    i, (parent, key, old, path) = got
    parent[key] = _recase(rng, old)
    return f"{_name(rows, i)}: recased {path} {old!r} -> {parent[key]!r}"


def m_recase_type(rng: random.Random, rows: list[Any]) -> str | None:
    idx = [i for i in _rows(rows) if isinstance(rows[i].get("type"), str)]
    if not idx:
        return None
    i = rng.choice(idx)
    rows[i]["type"] = _recase(rng, rows[i]["type"])
    return f"{_name(rows, i)}: recased type"


_IPISH = re.compile(r"^\s*[0-9a-fA-F:.]+(/\d+)?\s*$")


def m_swap_prefix(rng: random.Random, rows: list[Any]) -> str | None:
    def ipish(s: Slot) -> bool:
        return isinstance(s[2], str) and bool(_IPISH.match(s[2])) and any(c in s[2] for c in ".:")

    found = [(i, s) for i in _sample(rng, rows) for s in slots(rows[i]) if ipish(s)]
    if not found:
        return None
    i, (parent, key, old, path) = rng.choice(found)
    pool = [s[2] for _, s in found] if rng.random() < 0.5 else ODD_PREFIXES
    parent[key] = rng.choice(pool)
    return f"{_name(rows, i)}: prefix {path} {old!r} -> {parent[key]!r}"


def m_duplicate_row(rng: random.Random, rows: list[Any]) -> str | None:
    idx = _rows(rows)
    if not idx:
        return None
    i = rng.choice(idx)
    twin = copy.deepcopy(rows[i])
    way = rng.randrange(3)
    if way == 1 and isinstance(twin.get("id"), str):
        twin["id"] = _recase(rng, twin["id"])
    elif way == 2 and isinstance(twin.get("properties"), dict) and twin["properties"]:
        key = rng.choice(sorted(twin["properties"]))
        twin["properties"][key] = rng.choice(["Enabled", None, [], 0, {"x": 1}])
    rows.insert(rng.randrange(len(rows) + 1), twin)
    kind = ("exact", "id recased", "contradicting")[way]
    return f"duplicated {_name(rows, i)} ({kind})"


def m_nsg_rule(rng: random.Random, rows: list[Any]) -> str | None:
    rules: list[tuple[int, dict[str, Any], str]] = []
    for i in _sample(rng, rows, 400):
        for _parent, key, value, path in slots(rows[i]):
            if key in ("securityRules", "defaultSecurityRules") and isinstance(value, list):
                for n, rule in enumerate(value):
                    if isinstance(rule, dict):
                        props = rule.get("properties")
                        rules.append(
                            (i, props if isinstance(props, dict) else rule, f"{path}[{n}]")
                        )
    if not rules:
        return None
    i, props, path = rng.choice(rules)
    field, values = rng.choice(
        [
            ("destinationPortRange", ODD_PORTS),
            ("destinationPortRanges", ODD_PORTS),
            ("sourcePortRange", ODD_PORTS),
            ("sourceAddressPrefix", [*ODD_PREFIXES, ["10.0.0.0/8", "Internet"], 5, None]),
            ("sourceAddressPrefixes", [["Internet"], ["10.0.0.0/8", "*"], [], "Internet", None]),
            ("destinationAddressPrefix", [*ODD_PREFIXES, ["*"], None]),
            ("protocol", ODD_PROTOCOLS),
            ("access", ODD_ACCESS),
            ("direction", ODD_DIRECTION),
            ("priority", ODD_PRIORITY),
        ]
    )
    if rng.random() < 0.15 and field in props:
        del props[field]
        return f"{_name(rows, i)}: NSG rule {path} lost {field}"
    props[field] = copy.deepcopy(rng.choice(values))
    return f"{_name(rows, i)}: NSG rule {path} {field} = {props[field]!r}"


def m_drop_zone_link(rng: random.Random, rows: list[Any]) -> str | None:
    idx = [
        i for i in _rows(rows) if _rtype(rows[i]).endswith("privatednszones/virtualnetworklinks")
    ]
    if not idx:
        return None
    i = rng.choice(idx)
    what = _name(rows, i)
    if rng.random() < 0.7:
        del rows[i]
        return f"dropped zone link {what}"
    props = rows[i].get("properties")
    if isinstance(props, dict):
        props["virtualNetwork"] = rng.choice([None, {}, {"id": "/subscriptions/x/nope"}, "vnet"])
    return f"zone link {what}: virtualNetwork broken"


def m_a_record(rng: random.Random, rows: list[Any]) -> str | None:
    idx = [i for i in _rows(rows) if _rtype(rows[i]).endswith("privatednszones/a")]
    if not idx:
        return None
    i = rng.choice(idx)
    props = rows[i].get("properties")
    if not isinstance(props, dict):
        return None
    way = rng.randrange(4)
    if way == 0:
        props["aRecords"] = [{"ipv4Address": rng.choice(ODD_IPS)}]
    elif way == 1:
        props["aRecords"] = rng.choice([[], None, "10.0.8.4", [{"ipv4Address": "10.0.8.4"}] * 2])
    elif way == 2:
        props.pop("aRecords", None)
    else:
        props["aRecords"] = [{"ipv4Address": rng.choice(ODD_IPS)}, {"ipv4Address": "10.0.8.4"}]
    return f"{_name(rows, i)}: aRecords = {props.get('aRecords', '(deleted)')!r}"


def m_dns_servers(rng: random.Random, rows: list[Any]) -> str | None:
    idx = [i for i in _rows(rows) if _rtype(rows[i]) == "microsoft.network/virtualnetworks"]
    if not idx:
        return None
    i = rng.choice(idx)
    props = rows[i].setdefault("properties", {})
    if not isinstance(props, dict):
        return None
    ips = [
        s[2]
        for j in _sample(rng, rows)
        for s in slots(rows[j])
        if s[1] in ("privateIPAddress", "privateIpAddress") and isinstance(s[2], str)
    ]
    choice = copy.deepcopy(rng.choice(ODD_DNS))
    if ips and rng.random() < 0.4:
        choice = [rng.choice(ips)]
    if rng.random() < 0.2:
        props.pop("dhcpOptions", None)
        return f"{_name(rows, i)}: dhcpOptions removed"
    props["dhcpOptions"] = {"dnsServers": choice} if choice is not None else None
    return f"{_name(rows, i)}: dnsServers = {choice!r}"


def _wrong(rng: random.Random, value: Any) -> Any:
    if isinstance(value, bool):
        return rng.choice(["true", 1, None, [True]])
    if isinstance(value, str):
        return rng.choice([42, 0, {}, [], True, None, {"id": value}, [value], 1e308])
    if isinstance(value, (int, float)):
        return rng.choice([str(value), [value], None, {}, -value, 2**63])
    if isinstance(value, list):
        return rng.choice([{}, {"0": value[0] if value else None}, "list", 0, None, [value]])
    if isinstance(value, dict):
        return rng.choice([[], [value], "object", 1, None, True])
    return rng.choice(["", 0, [], {}])


def m_wrong_type(rng: random.Random, rows: list[Any]) -> str | None:
    got = _pick_slot(rng, rows, lambda s: True)
    if not got:
        return None
    i, (parent, key, old, path) = got
    parent[key] = _wrong(rng, old)
    return f"{_name(rows, i)}: {path} {type(old).__name__} -> {parent[key]!r}"[:200]


def m_unicode_name(rng: random.Random, rows: list[Any]) -> str | None:
    idx = _rows(rows)
    if not idx:
        return None
    i = rng.choice(idx)
    row = rows[i]
    name = rng.choice(UNICODE)
    rid = row.get("id")
    if isinstance(rid, str) and "/" in rid and rng.random() < 0.5:
        new_id = rid.rsplit("/", 1)[0] + "/" + name
        for j in _rows(rows):  # rename the references too, as a real rename would
            for parent, key, value, _p in list(slots(rows[j])):
                if isinstance(value, str) and value.lower() == rid.lower():
                    parent[key] = new_id
        row["id"] = new_id
    row["name"] = name
    return f"{_name(rows, i)}: unicode name"


def m_retarget_ref(rng: random.Random, rows: list[Any]) -> str | None:
    got = _pick_slot(
        rng,
        rows,
        lambda s: (
            s[1] == "id" and isinstance(s[2], str) and s[2].startswith("/") and s[3].count(".") > 1
        ),
    )
    if not got:
        return None
    i, (parent, key, old, path) = got
    ids = [r["id"] for r in rows if isinstance(r, dict) and isinstance(r.get("id"), str)]
    parent[key] = rng.choice([*ids, old.rsplit("/", 1)[0] + "/missing"])
    return f"{_name(rows, i)}: {path} -> {parent[key]!r}"


def m_flip_bool(rng: random.Random, rows: list[Any]) -> str | None:
    got = _pick_slot(rng, rows, lambda s: isinstance(s[2], bool))
    if not got:
        return None
    i, (parent, key, old, path) = got
    parent[key] = not old
    return f"{_name(rows, i)}: {path} {old} -> {parent[key]}"


def m_junk_row(rng: random.Random, rows: list[Any]) -> str | None:
    junk = copy.deepcopy(rng.choice(JUNK_ROWS))
    rows.insert(rng.randrange(len(rows) + 1), junk)
    return f"inserted junk row {junk!r}"


MUTATIONS: dict[str, Callable[[random.Random, list[Any]], str | None]] = {
    "drop-property": m_drop_property,
    "drop-row": m_drop_row,
    "state": _set_from(STATE_KEYS, "state"),
    "setting": _set_from(SETTINGS, "setting"),
    "recase-id": m_recase_id,
    "recase-type": m_recase_type,
    "recase-value": m_recase_value,
    "swap-prefix": m_swap_prefix,
    "duplicate-row": m_duplicate_row,
    "nsg-rule": m_nsg_rule,
    "drop-zone-link": m_drop_zone_link,
    "a-record": m_a_record,
    "dns-servers": m_dns_servers,
    "wrong-type": m_wrong_type,
    "unicode-name": m_unicode_name,
    "retarget-ref": m_retarget_ref,
    "flip-bool": m_flip_bool,
    "junk-row": m_junk_row,
}
# weights: the common kinds of mess more often than junk rows
WEIGHTS = {
    "junk-row": 1,
    "drop-row": 2,
    "wrong-type": 3,
    "nsg-rule": 4,
    "state": 3,
    "recase-value": 3,
}


def _wrap(rng: random.Random, rows: list[Any]) -> tuple[Any, str]:
    """The rows as an array, ``az graph query`` output or a snapshot document."""
    shape = rng.choice(["array", "array", "array", "az", "snapshot"])
    if shape == "az":
        return {"count": len(rows), "data": rows, "skip_token": None}, shape
    if shape == "snapshot":
        subs = sorted(
            {
                r["id"].split("/")[2].lower()
                for r in rows
                if isinstance(r, dict)
                and isinstance(r.get("id"), str)
                and r["id"].lower().startswith("/subscriptions/")
                and len(r["id"].split("/")) > 2
            }
        ) or ["00000000-0000-0000-0000-000000000000"]
        doc = {
            "format": "mlops-audit-snapshot",
            "version": 1,
            "tool_version": "equivalence",
            "collected_at": "2026-01-01T00:00:00Z",
            "scopes": [{"subscription": s} for s in subs],
            "collections": ["resources", "dnsresources", "computes", "privatednszonegroups"],
            "failures": [],
            "rows": rows,
        }
        return doc, shape
    return rows, shape


def mutated_case(
    index: int,
    seed: int,
    bases: dict[str, list[Any]],
    synth: dict[str, str],
    rule_ids: list[str],
    folder: Path,
) -> Case:
    """Estate ``m{index:04d}``: a base, 1-6 mutations, a file shape; written under
    ``folder`` (``WORK/in/m``). Depends only on ``seed`` and ``index``."""
    rng = random.Random(f"{seed}:{index}")
    roll = rng.random()
    if roll < 0.3 and synth:
        base_name = rng.choice(sorted(synth))
        rows = json.loads(synth[base_name])
    elif roll < 0.45:
        names = rng.sample(sorted(bases), rng.randint(2, 4))
        base_name = "+".join(names)
        rows = [copy.deepcopy(r) for n in names for r in bases[n]]
    else:
        base_name = rng.choice(sorted(bases))
        rows = copy.deepcopy(bases[base_name])
    kinds = sorted(MUTATIONS)
    weights = [WEIGHTS.get(k, 2) for k in kinds]
    done: list[str] = []
    for _ in range(rng.choice([1, 1, 2, 2, 3, 4, 6])):
        for _attempt in range(8):
            kind = rng.choices(kinds, weights)[0]
            said = MUTATIONS[kind](rng, rows)
            if said:
                done.append(f"{kind}: {said}")
                break
    name = f"m{index:04d}"
    args: list[str] = []
    split = len(rows) > 2 and rng.random() < 0.15
    parts = [rows[: len(rows) // 2], rows[len(rows) // 2 :]] if split else [rows]
    shapes = []
    for n, part in enumerate(parts):
        doc, shape = _wrap(rng, part)
        shapes.append(shape)
        path = folder / (f"{name}.json" if not split else f"{name}-{n + 1}.json")
        indent = rng.choice([None, 1]) if len(part) < 300 else None  # indent: Python's slow encoder
        text = json.dumps(doc, ensure_ascii=rng.random() < 0.5, indent=indent)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        args += ["--snapshot", f"in/m/{path.name}"]
    if rng.random() < 0.15 and rule_ids:
        chosen = rng.choice(rule_ids)
        args += ["--select", chosen if rng.random() < 0.6 else chosen.rsplit("-", 1)[0]]
    about = f"from {base_name} ({'+'.join(shapes)}); " + "; ".join(done)
    return {"id": name, "args": args, "about": about}


# --------------------------------------------------------------------------- the runs
def _env(tree: Path, hashseed: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(
        PYTHONPATH=str(tree),
        SOURCE_DATE_EPOCH="0",
        PYTHONHASHSEED=str(hashseed),
        PYTHONDONTWRITEBYTECODE="1",
        COLUMNS="200",
    )
    return env


def _run_folder(folder: Path, inputs: Path) -> Path:
    """A run folder: ``in`` (a link to the shared inputs, so every run names an estate by
    the same relative path) and ``out`` (its reports)."""
    (folder / "out").mkdir(parents=True, exist_ok=True)
    link = folder / "in"
    if not link.is_symlink():
        link.symlink_to(inputs)
    return folder


def run_drivers(
    trees: dict[str, tuple[Path, int, list[Case]]],
    scratch: Path,
    setup: Setup,
) -> dict[str, dict[str, Any]]:
    """Both drivers at once (one process per checkout); a driver that dies is restarted after
    the case that killed it, which is recorded as crashed."""
    results: dict[str, dict[str, Any]] = {name: {} for name in trees}
    pending = {name: list(cases) for name, (_t, _h, cases) in trees.items()}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs: dict[str, Path] = {}
    while True:
        for name, (tree, seed, _c) in trees.items():
            if name in procs or not pending[name]:
                continue
            folder = _run_folder(scratch / name, setup.inputs)
            jobs = folder / "jobs.jsonl"
            jobs.write_text("".join(json.dumps(c) + "\n" for c in pending[name]), "utf-8")
            logs[name] = folder / "results.jsonl"
            logs[name].unlink(missing_ok=True)
            cmd = [setup.python, str(Path(__file__).resolve()), "--driver", str(jobs)]
            cmd += [str(logs[name]), "--timeout", str(setup.timeout)]
            procs[name] = subprocess.Popen(
                cmd, cwd=folder, env=_env(tree, seed), stderr=(folder / "driver.err").open("ab")
            )
        if not procs:
            return results
        name, proc = _wait_any(procs)
        del procs[name]
        try:
            done = _read_results(logs[name], trees[name][0])
        except SystemExit:
            for other in procs.values():  # the process this script started, by its id
                other.kill()
                other.wait()
            raise
        results[name].update(done)
        rest = [c for c in pending[name] if c["id"] not in done]
        if rest and (proc.returncode != 0 or not done):
            crashed = rest.pop(0)
            results[name][crashed["id"]] = {
                "h": {o: f"crashed (driver exit {proc.returncode})" for o in OUTPUTS},
                "cpu": 0.0,
            }
        pending[name] = rest


def _wait_any(procs: dict[str, subprocess.Popen[bytes]]) -> tuple[str, subprocess.Popen[bytes]]:
    while True:
        for name, proc in procs.items():
            if proc.poll() is not None:
                return name, proc
        time.sleep(0.05)


def _read_results(log: Path, tree: Path) -> dict[str, Any]:
    """The cases a driver finished; a driver that could not import the checkout's auditor
    (or imported another one) stops everything: nothing it would say compares."""
    done: dict[str, Any] = {}
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    if not lines:
        tail = (log.parent / "driver.err").read_text(encoding="utf-8", errors="replace")
        raise SystemExit(f"equivalence: the driver for {tree} did not start:\n{tail[-2000:]}")
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:  # a line cut by a crash
            continue
        if "module" in entry:
            if not Path(entry["module"]).resolve().is_relative_to(tree.resolve()):
                raise SystemExit(f"equivalence: {tree} imported auditor from {entry['module']}")
            continue
        done[entry["id"]] = entry
    return done


def cli_run(tree: Path, hashseed: int, case: Case, folder: Path, setup: Setup) -> dict[str, bytes]:
    """One case with the real command line in a fresh process; the outputs kept in
    ``folder/out``."""
    folder = _run_folder(folder, setup.inputs)
    python, timeout = setup.python, setup.timeout
    for fmt in FORMATS:
        (folder / "out" / f"r.{fmt}").unlink(missing_ok=True)
    try:
        proc = subprocess.run(
            [python, "-m", "auditor.cli", *scan_argv(case["args"])],
            cwd=folder,
            env=_env(tree, hashseed),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        got = {"exit": str(proc.returncode).encode(), "stdout": proc.stdout, "stderr": proc.stderr}
    except subprocess.TimeoutExpired:
        got = {"exit": b"timeout", "stdout": b"", "stderr": f"timeout after {timeout:g} s".encode()}
    for fmt in FORMATS:
        path = folder / "out" / f"r.{fmt}"
        got[fmt] = path.read_bytes() if path.exists() else b"absent"
    (folder / "out" / "stdout").write_bytes(got["stdout"])
    (folder / "out" / "stderr").write_bytes(got["stderr"])
    (folder / "out" / "exit").write_bytes(got["exit"])
    return got


def _hashes(got: dict[str, bytes]) -> dict[str, str]:
    return {
        k: (v.decode() if k == "exit" else ("absent" if v == b"absent" else _sha(v)))
        for k, v in got.items()
    }


def first_difference(a: bytes, b: bytes) -> str:
    """Where two outputs first differ: line number and both lines around the first differing
    character (shortened)."""
    la = a.decode("utf-8", "replace").splitlines()
    lb = b.decode("utf-8", "replace").splitlines()
    for n in range(max(len(la), len(lb))):
        x = la[n] if n < len(la) else "<end of output>"
        y = lb[n] if n < len(lb) else "<end of output>"
        if x != y:
            start = next((k for k, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), None)
            lo = max(0, (min(len(x), len(y)) if start is None else start) - 60)
            shown = (
                f"\n        {who}: {line[lo : lo + 160]!r}"
                for who, line in (("old", x), ("new", y))
            )
            return f"line {n + 1}:" + "".join(shown)
    return "same lines, different line endings or final newline"


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, help="the reference checkout")
    parser.add_argument("--new", type=Path, help="the checkout under test")
    parser.add_argument("--count", type=int, default=300, help="mutated estates (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the mutations")
    parser.add_argument("--keep", type=Path, help="work folder to keep (estates, reports)")
    parser.add_argument("--only", help="comma-separated case ids (as printed) to run alone")
    parser.add_argument("--no-fixtures", action="store_true", help="mutated estates only")
    parser.add_argument("--same-hashseed", action="store_true", help="one PYTHONHASHSEED")
    parser.add_argument("--verify-subprocess", type=int, default=3, metavar="K")
    parser.add_argument("--details", type=int, default=20, help="differences re-run, at most")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per scan")
    parser.add_argument(
        "--rules",
        type=Path,
        metavar="DIR",
        help="custom rule files scanned by both sides with every estate (--rules DIR), as a "
        "user's own rules are (bench/equivalence_rules: rules that press on the engine)",
    )
    parser.add_argument(
        "--python", default=DEFAULT_PYTHON if os.path.exists(DEFAULT_PYTHON) else sys.executable
    )
    parser.add_argument("--driver", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.driver:
        return driver(args.driver[0], args.driver[1], args.timeout)
    if not args.old or not args.new:
        parser.error("--old DIR and --new DIR are required")
    old, new = args.old.resolve(), args.new.resolve()
    for tree in (old, new):
        if not (tree / "auditor" / "cli.py").is_file():
            parser.error(f"{tree}: not a checkout of the project (no auditor/cli.py)")
    started = time.monotonic()
    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="equivalence-"))
    if (work / "in").exists():
        shutil.rmtree(work / "in")
    shutil.rmtree(work / "diff", ignore_errors=True)
    # the batch runs write ~7 reports per scan, each synced to disk: keep them in memory
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    scratch = Path(tempfile.mkdtemp(prefix="equivalence-runs-", dir=shm))
    try:
        failed = compare(args, old, new, work, scratch, started)
    except BaseException:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not args.keep:
        if failed:
            print(f"  kept {work} (estates under in/m, reports under diff/)")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def compare(
    args: argparse.Namespace, old: Path, new: Path, work: Path, scratch: Path, started: float
) -> bool:
    """Write the estates, scan them with both checkouts, print the summary; True when
    anything differs (or crashed, timed out, or the harness disagrees with the CLI)."""
    setup = Setup(args.python, args.timeout, work / "in")
    (work / "in" / "m").mkdir(parents=True)
    shutil.copytree(old / "fixtures", work / "in" / "fixtures")

    cases = [] if args.no_fixtures else fixture_cases(work / "in" / "fixtures")
    if args.count:
        bases = row_estates(work / "in" / "fixtures")
        synth_module = load_synth(old)
        synth = {
            f"synth-{rows}-{s}": json.dumps(synth_module.synthetic_estate(rows, 0.5, s))
            for rows, s in SYNTH_BASES
        }
        rule_ids = sorted(p.name for p in (work / "in" / "fixtures" / "rules").iterdir())
        cases += [
            mutated_case(i, args.seed, bases, synth, rule_ids, work / "in" / "m")
            for i in range(args.count)
        ]
    if args.only:
        wanted = set(args.only.split(","))
        cases = [c for c in cases if c["id"] in wanted]
    if args.rules:  # both sides read one copy, at one path relative to the run folder
        shutil.copytree(args.rules, work / "in" / "custom-rules")
        for c in cases:
            c["args"] = [*c["args"], "--rules", "in/custom-rules"]
    n_fixture = sum(c["id"].startswith("f:") for c in cases)
    prepared = time.monotonic() - started
    with (work / "cases.jsonl").open("w", encoding="utf-8") as listing:  # what each id is
        listing.writelines(json.dumps(c) + "\n" for c in cases)

    seeds = {"old": 1 + args.seed % 1000}
    seeds["new"] = seeds["old"] + (0 if args.same_hashseed else 1)
    shuffled = list(cases)
    random.Random(args.seed).shuffle(shuffled)
    trees = {"old": (old, seeds["old"], cases), "new": (new, seeds["new"], shuffled)}
    results = run_drivers(trees, scratch, setup)
    scanned = time.monotonic() - started - prepared

    differing = [
        c
        for c in cases
        if results["old"].get(c["id"], {}).get("h") != results["new"].get(c["id"], {}).get("h")
    ]
    trouble = [
        (name, c["id"], exit_code)
        for name in ("old", "new")
        for c in cases
        for exit_code in [results[name].get(c["id"], {}).get("h", {}).get("exit", "missing")]
        if not exit_code.isdigit()
    ]

    # the in-process harness against the real command line, on a few cases
    infidel = []
    rng = random.Random(args.seed + 1)
    for case in rng.sample(cases, min(args.verify_subprocess, len(cases))):
        got = cli_run(old, seeds["old"], case, scratch / "verify" / _safe(case["id"]), setup)
        if _hashes(got) != results["old"][case["id"]]["h"]:
            outs = [o for o in OUTPUTS if _hashes(got)[o] != results["old"][case["id"]]["h"][o]]
            infidel.append(f"{case['id']}: {', '.join(outs)}")

    print(
        f"equivalence: {len(cases)} estates ({n_fixture} fixture runs, {len(cases) - n_fixture} "
        f"mutated, seed {args.seed}), {len(OUTPUTS)} outputs each; old={old} new={new}"
    )
    cpu = {n: sum(r.get("cpu", 0.0) for r in results[n].values()) for n in results}
    print(
        f"  time: prepare {prepared:.1f} s, scans {scanned:.1f} s wall (scan CPU old "
        f"{cpu['old']:.1f} s, new {cpu['new']:.1f} s); hash seeds old {seeds['old']} new "
        f"{seeds['new']}; work folder {work}"
    )
    exits: dict[str, int] = {}
    for r in results["old"].values():
        exits[r["h"]["exit"]] = exits.get(r["h"]["exit"], 0) + 1
    print(f"  old exit codes: {', '.join(f'{k}: {v}' for k, v in sorted(exits.items()))}")
    if infidel:
        print(
            f"  HARNESS: in-process bytes differ from the command line's for {'; '.join(infidel)}"
        )
    elif args.verify_subprocess:
        print(
            f"  harness: {min(args.verify_subprocess, len(cases))} estate(s) re-scanned by the "
            "command line: same bytes"
        )
    for name, cid, what in trouble:
        print(f"  {name}: {cid}: {what}")
    print(f"  differences: {len(differing)}" + "".join(f" {c['id']}" for c in differing[:60]))
    for case in differing[: args.details]:
        _explain(case, results, trees, work, setup)
    if len(differing) > args.details:
        rest = ", ".join(c["id"] for c in differing[args.details :])
        print(f"  ... and {len(differing) - args.details} more (not re-run): {rest}")
    print(f"  total {time.monotonic() - started:.1f} s")
    for name in trees:  # each scan's exit code, hashes and CPU time, for a later look
        shutil.copyfile(scratch / name / "results.jsonl", work / f"results-{name}.jsonl")
    return bool(differing or trouble or infidel)


def _safe(case_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]", "_", case_id)


def _explain(
    case: Case,
    results: dict[str, Any],
    trees: dict[str, Any],
    work: Path,
    setup: Setup,
) -> None:
    """Re-run a differing case in fresh processes, save its reports, class the difference
    and print the first differing line of each output."""
    where = work / "diff" / _safe(case["id"])
    (old, old_seed, _), (new, new_seed, _) = trees["old"], trees["new"]
    a = cli_run(old, old_seed, case, where / "old", setup)
    b = cli_run(new, new_seed, case, where / "new", setup)
    ha, hb = (results[n].get(case["id"], {}).get("h", {}) for n in ("old", "new"))
    batch = [o for o in OUTPUTS if ha.get(o, "missing") != hb.get(o, "missing")]
    print(f"  - {case['id']}: {', '.join(batch)} differ; scan {' '.join(case['args'])}")
    if case.get("about"):
        print(f"    estate: {case['about'][:600]}")
    outs = [o for o in OUTPUTS if a[o] != b[o]]
    if not outs:
        print(
            "    NOT reproduced by fresh processes: run-order dependence (state kept between scans)"
        )
        return
    if old_seed != new_seed:
        c = cli_run(old, new_seed, case, where / "old-seed-of-new", setup)
        kind = (
            "nondeterminism: the hash seed alone explains it"
            if all(c[o] == b[o] for o in outs)
            else "a change"
        )
    else:
        kind = "a change"
    print(f"    {kind}; reports under {where}/{{old,new}}/out")
    for o in outs:
        print(f"    {o}: {first_difference(a[o], b[o])}")


if __name__ == "__main__":
    sys.exit(main())
