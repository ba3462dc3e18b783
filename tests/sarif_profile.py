"""A "GitHub ingestion profile" for SARIF: what GitHub code scanning demands beyond the
official schema (the schema allows a result without locations; GitHub rejects the whole file).

Derived from GitHub's SARIF support page and limits (github/docs
content/code-security/reference/code-scanning/sarif-files/sarif-support.md and
data/reusables/code-scanning/sarif-limits.md) and the GitHub rules of Microsoft's SARIF
validator (microsoft/sarif-sdk GH1001 location uri, GH1003 region, GH1004 array sizes,
GH1005 relative uris). ``problems(log)`` lists every breach; an empty list is a pass.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_RUNS = 20
MAX_GZIP_BYTES = 10_000_000
MAX_RULE_NAME = 255
MAX_SHORT_DESCRIPTION = 1024
MAX_TAGS = 20
MAX_LOCATIONS = 10
LEVELS = ("none", "note", "warning", "error")
# RFC 3986 relative-path reference: unreserved, sub-delims, ":", "@", "/" and %HH escapes
_RELATIVE_REF = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})+$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$")


def _text(obj: Any, key: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    text = value.get("text") if isinstance(value, dict) else None
    return text if isinstance(text, str) else ""


def _location_problems(where: str, loc: Any) -> list[str]:
    """A location GitHub can place: a relative uri reference and a start line."""
    out = []
    phys = loc.get("physicalLocation") if isinstance(loc, dict) else None
    uri = (phys or {}).get("artifactLocation", {}).get("uri")
    if not isinstance(uri, str) or not uri.strip():
        return [f"{where}: no physicalLocation.artifactLocation.uri"]
    if not _RELATIVE_REF.match(uri) or uri.startswith("/") or ":" in uri.split("/")[0]:
        out.append(f"{where}: uri {uri!r} is not a relative URI reference")
    line = (phys.get("region") or {}).get("startLine")
    if not isinstance(line, int) or isinstance(line, bool) or line < 1:
        out.append(f"{where}: region.startLine must be an integer >= 1, got {line!r}")
    return out


def _rule_problems(where: str, rule: Any) -> list[str]:
    out = []
    if not isinstance(rule, dict) or not isinstance(rule.get("id"), str) or not rule["id"]:
        return [f"{where}: no id"]
    for key in ("shortDescription", "fullDescription", "help"):
        if not _text(rule, key).strip():
            out.append(f"{where} {rule['id']}: empty {key}.text")
    name = rule.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > MAX_RULE_NAME):
        out.append(f"{where} {rule['id']}: name longer than {MAX_RULE_NAME}")
    if len(_text(rule, "shortDescription")) > MAX_SHORT_DESCRIPTION:
        out.append(f"{where} {rule['id']}: shortDescription longer than {MAX_SHORT_DESCRIPTION}")
    props = rule.get("properties") or {}
    tags = props.get("tags", [])
    if len(tags) > MAX_TAGS:
        out.append(f"{where} {rule['id']}: {len(tags)} tags (at most {MAX_TAGS})")
    if "security-severity" in props:
        sev = props["security-severity"]
        try:
            ok = isinstance(sev, str) and 0.0 < float(sev) <= 10.0
        except ValueError:
            ok = False
        if not ok:
            out.append(
                f"{where} {rule['id']}: security-severity {sev!r} is not a string holding a "
                "number in (0, 10]"
            )
    level = (rule.get("defaultConfiguration") or {}).get("level", "warning")
    if level not in LEVELS:
        out.append(f"{where} {rule['id']}: defaultConfiguration.level {level!r}")
    return out


def _run_problems(r: int, run: Any) -> list[str]:
    out: list[str] = []
    driver = (run.get("tool") or {}).get("driver") or {}
    if not isinstance(driver.get("name"), str) or not driver["name"].strip():
        out.append(f"run {r}: tool.driver.name is missing")
    rules = driver.get("rules")
    if not isinstance(rules, list):
        return [*out, f"run {r}: tool.driver.rules is missing"]
    if len(rules) > MAX_RULES:
        out.append(f"run {r}: {len(rules)} rules (at most {MAX_RULES})")
    for i, rule in enumerate(rules):
        out += _rule_problems(f"run {r} rule {i}", rule)
    results = run.get("results")
    if not isinstance(results, list):
        return [*out, f"run {r}: results is missing"]
    if len(results) > MAX_RESULTS:
        out.append(f"run {r}: {len(results)} results (at most {MAX_RESULTS})")
    hashes: dict[str, int] = {}
    for i, res in enumerate(results):
        where = f"run {r} result {i}"
        if not _text(res, "message").strip():
            out.append(f"{where}: empty message.text")
        rule_id, index = res.get("ruleId"), res.get("ruleIndex")
        if index is not None:
            if not (isinstance(index, int) and 0 <= index < len(rules)):
                out.append(f"{where}: ruleIndex {index!r} is out of range")
            elif rule_id is not None and rules[index].get("id") != rule_id:
                out.append(f"{where}: ruleIndex {index} is {rules[index].get('id')}, not {rule_id}")
        if res.get("level", "warning") not in LEVELS:
            out.append(f"{where}: level {res.get('level')!r}")
        locations = res.get("locations")
        if not isinstance(locations, list) or not locations:
            out.append(f"{where}: no locations")
        else:
            if len(locations) > MAX_LOCATIONS:
                out.append(f"{where}: {len(locations)} locations (at most {MAX_LOCATIONS})")
            for j, loc in enumerate(locations):
                out += _location_problems(f"{where} location {j}", loc)
        for j, loc in enumerate(res.get("relatedLocations") or []):
            out += _location_problems(f"{where} relatedLocation {j}", loc)
        line_hash = (res.get("partialFingerprints") or {}).get("primaryLocationLineHash")
        if not isinstance(line_hash, str) or not line_hash.strip():
            out.append(f"{where}: no partialFingerprints.primaryLocationLineHash")
        elif line_hash in hashes:
            out.append(f"{where}: primaryLocationLineHash repeats result {hashes[line_hash]}")
        else:
            hashes[line_hash] = i
    for inv in run.get("invocations") or []:
        for key in ("startTimeUtc", "endTimeUtc"):
            if key in inv and not _DATE_TIME.match(str(inv[key])):
                out.append(f"run {r}: invocation {key} {inv[key]!r} is not a UTC date-time")
    return out


def problems(log: Any, text: str | None = None) -> list[str]:
    """Every way ``log`` (a parsed SARIF file) breaks GitHub's ingestion rules. ``text`` is
    the file as written, for the size limit; without it the compact JSON of ``log`` is used."""
    if not isinstance(log, dict):
        return ["the log is not a JSON object"]
    text = text if text is not None else json.dumps(log, ensure_ascii=False)
    out = []
    if not isinstance(log.get("$schema"), str) or not log["$schema"].strip():
        out.append("$schema is missing")
    elif not re.search(r"2\.1\.0(\.json)?$", log["$schema"]):
        out.append(f"$schema {log['$schema']!r} does not name SARIF 2.1.0")
    if log.get("version") != "2.1.0":
        out.append(f"version is {log.get('version')!r}, not '2.1.0'")
    runs = log.get("runs")
    if not isinstance(runs, list):
        return [*out, "runs is missing"]
    if len(runs) > MAX_RUNS:
        out.append(f"{len(runs)} runs (at most {MAX_RUNS})")
    for r, run in enumerate(runs):
        out += _run_problems(r, run)
    size = len(gzip.compress(text.encode("utf-8"), compresslevel=6))
    if size > MAX_GZIP_BYTES:
        out.append(f"gzip-compressed size {size} bytes (at most {MAX_GZIP_BYTES})")
    return out
