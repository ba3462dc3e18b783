"""SARIF 2.1.0: valid against the official OASIS schema, acceptable to GitHub code scanning
(tests/sarif_profile.py), within GitHub's limits, and faithful to the run (suppressions,
baseline, coverage gaps, not-evaluated checks)."""

from __future__ import annotations

import copy
import dataclasses
import gzip
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import jsonschema
import pytest

from auditor import arm, inputs, report
from auditor import graph as graph_stage
from auditor import rules as rules_stage
from auditor.findings import SEVERITY_RANK, Finding, fingerprint
from auditor.report import sarif

from . import builders as b
from .conftest import FIXTURES, ROOT
from .sarif_profile import problems
from .update_golden import run_cli

SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
TERRAFORM = FIXTURES / "reference-terraform.json"
ESTATES = [
    TERRAFORM,
    FIXTURES / "reference-good.json",
    *sorted(FIXTURES.glob("rules/*/fail.json")),
]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    """The vendored official schema, checked to be the file it claims to be."""
    data = SCHEMA.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256
    schema = json.loads(data)
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def schema_errors(validator: jsonschema.Draft4Validator, log: Any) -> list[str]:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def make_run(paths: list[Path], select: list[str] | None = None, **kw: Any) -> report.Run:
    """A Run built the way the CLI builds it."""
    chosen = rules_stage.load_rules()
    if select:
        chosen = rules_stage.select_rules(chosen, select, [])
    graph = graph_stage.build(inputs.load(list(paths)))
    result = rules_stage.evaluate(chosen, graph)
    return report.Run(graph, result, "high", chosen, report.timestamp(), **kw)


def render(run: report.Run, **limits: int) -> str:
    """The run's SARIF, rendered from its view as the CLI renders it."""
    return sarif.render(report.build_view(run), **limits)


def write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def scan_sarif(tmp_path: Path, *args: str, name: str = "out.sarif") -> tuple[str, dict[str, Any]]:
    """Run ``mlops-audit scan ... --output sarif:FILE``; the file's text and its parse."""
    out = tmp_path / name
    proc = run_cli("scan", *args, "--output", f"sarif:{out}", "--fail-on", "none", "--quiet")
    assert proc.returncode in (0, 3), proc.stderr
    text = out.read_text(encoding="utf-8")
    return text, json.loads(text)


def notes_of(log: dict[str, Any], kind: str = "toolExecutionNotifications") -> list[Any]:
    return log["runs"][0]["invocations"][0].get(kind, [])


def finding(rule_id: str, severity: str, n: int, **kw: Any) -> Finding:
    """A synthetic finding on a storage account of its own."""
    rid = b.rid("rg-synth", f"Microsoft.Storage/storageAccounts/st{n:06d}")
    return Finding(
        rule_id=rule_id,
        title="synthetic",
        severity=severity,
        category="public-access",
        resource_id=rid,
        resource_name=f"st{n:06d}",
        resource_type="microsoft.storage/storageaccounts",
        message=f"Storage account st{n:06d} is synthetic.",
        evidence=kw.pop("evidence", []),
        remediation="none",
        fingerprint=fingerprint(rule_id, rid, None),
        **kw,
    )


def with_findings(run: report.Run, findings: list[Finding]) -> report.Run:
    findings.sort(key=Finding.sort_key)
    result = dataclasses.replace(run.result, findings=findings)
    return dataclasses.replace(run, result=result)


# -- schema and GitHub profile --------------------------------------------------------------
@pytest.mark.parametrize("path", ESTATES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_sarif_is_schema_valid_and_github_ready(
    validator: jsonschema.Draft4Validator, path: Path
) -> None:
    run = make_run([path])
    text = render(run)
    log = json.loads(text)
    assert schema_errors(validator, log) == []
    assert problems(log, text) == []
    (sarif_run,) = log["runs"]
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "mlops-audit"
    assert driver["semanticVersion"] == driver["version"] == report.build_view(run).tool_version
    assert [r["id"] for r in driver["rules"]] == sorted(run.rules_run)
    results = sarif_run["results"]
    findings = run.result.findings
    assert len(results) == len(findings)
    if "fail.json" in path.name:
        assert findings, "a rule's fail fixture must give a finding"
    for res, f in zip(results, findings, strict=True):
        assert res["ruleId"] == f.rule_id and res["kind"] == "fail"
        assert res["level"] == sarif.LEVEL[f.severity]
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert unquote(uri) == arm.key(f.resource_id).lstrip("/")
        logical = res["locations"][0]["logicalLocations"][0]
        assert logical["fullyQualifiedName"] == res["properties"]["armId"] == f.resource_id
        assert res["fingerprints"]["mlopsAuditFindingId/v1"] == f.fingerprint
        first_sentence = re.split(r"[.!?](?:\s|$)", res["message"]["text"], maxsplit=1)[0]
        assert f.resource_name in first_sentence or res["message"]["text"].startswith(
            f.resource_name
        )
        if f.related_id:
            related = res["relatedLocations"][0]
            assert related["logicalLocations"][0]["fullyQualifiedName"] == f.related_id
            ids = [loc["id"] for loc in res["relatedLocations"] + res["locations"] if "id" in loc]
            assert len(ids) == len(set(ids))


def test_rules_carry_what_github_shows(validator: jsonschema.Draft4Validator) -> None:
    log = json.loads(render(make_run([TERRAFORM])))
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    dns = rules["MLA-DNS-001"]
    assert dns["name"] == "PrivateDNSZoneIsNotLinkedToAVNetThatMustResolveItsEndpoints"
    assert dns["defaultConfiguration"] == {"level": "error"}
    assert dns["properties"]["security-severity"] == "8.0"
    assert dns["properties"]["precision"] == "high"
    assert dns["properties"]["tags"][:4] == ["security", "azure", "mlops", "private-dns"]
    assert dns["helpUri"] == "https://learn.microsoft.com/azure/private-link/private-endpoint-dns"
    # GitHub ignores helpUri: the links must be in the Markdown help too
    assert (
        "<https://learn.microsoft.com/azure/private-link/private-endpoint-dns>"
        in (dns["help"]["markdown"])
    )
    assert "```hcl" in dns["help"]["markdown"] and "az network private-dns" in dns["help"]["text"]
    severities = {r["properties"].get("security-severity") for r in rules.values()}
    assert severities <= {"9.5", "8.0", "5.5", "2.0"}
    policy_rules = [r for r in rules_stage.load_rules() if r.spec.policy]
    assert policy_rules, "some rule should name an Azure Policy built-in"
    for r in policy_rules:
        assert r.spec.policy[0].id in rules[r.id]["help"]["text"]
        assert r.spec.policy[0].id in rules[r.id]["help"]["markdown"]


BROKEN: list[tuple[str, Any]] = [
    ("no locations", lambda res, log: res.pop("locations")),
    ("no locations", lambda res, log: res.update(locations=[])),
    ("no physicalLocation", lambda res, log: res["locations"][0].pop("physicalLocation")),
    (
        "region.startLine",
        lambda res, log: res["locations"][0]["physicalLocation"]["region"].update(startLine=0),
    ),
    (
        "not a relative URI",
        lambda res, log: res["locations"][0]["physicalLocation"]["artifactLocation"].update(
            uri="rg ml/#x"
        ),
    ),
    ("primaryLocationLineHash", lambda res, log: res.pop("partialFingerprints")),
    (
        "repeats result",
        lambda res, log: res["partialFingerprints"].update(
            primaryLocationLineHash=log["runs"][0]["results"][1]["partialFingerprints"][
                "primaryLocationLineHash"
            ]
        ),
    ),
    ("ruleIndex", lambda res, log: res.update(ruleIndex=res["ruleIndex"] + 1)),
    (
        "security-severity",
        lambda res, log: log["runs"][0]["tool"]["driver"]["rules"][0]["properties"].update(
            {"security-severity": 8.0}
        ),
    ),
    (
        "empty help.text",
        lambda res, log: log["runs"][0]["tool"]["driver"]["rules"][0]["help"].update(text=""),
    ),
    ("$schema is missing", lambda res, log: log.pop("$schema")),
    ("results (at most 25000)", lambda res, log: log["runs"][0]["results"].extend([res] * 25_000)),
]


@pytest.mark.parametrize(("words", "breakage"), BROKEN, ids=[w for w, _ in BROKEN])
def test_profile_catches_what_github_rejects(words: str, breakage: Any) -> None:
    """The profile checker can fail: each breakage of a good log is reported."""
    good = json.loads(render(make_run([TERRAFORM])))
    assert problems(good) == []
    log = copy.deepcopy(good)
    breakage(log["runs"][0]["results"][0], log)
    found = problems(log)
    assert any(words in p for p in found), found


# -- untrusted names ---------------------------------------------------------------------------
HOSTILE = 'cr "q" <script>alert(1)</script> ü名 100% #frag [x](1) back\\slash ..'


def test_hostile_resource_name_gives_a_valid_uri(
    validator: jsonschema.Draft4Validator, tmp_path: Path
) -> None:
    rid = b.rid("rg ml", f"Microsoft.ContainerRegistry/registries/{HOSTILE}")
    acr = {
        "id": rid,
        "name": HOSTILE + "\ud800",  # a lone surrogate: JSON can carry it, UTF-8 cannot
        "type": "microsoft.containerregistry/registries",
        "properties": {"adminUserEnabled": True},
    }
    run = make_run([write(tmp_path / "e.json", [acr])], select=["MLA-ACR-004"])
    text = render(run)
    text.encode("utf-8")  # writable: no lone surrogate left
    log = json.loads(text)
    assert schema_errors(validator, log) == []
    assert problems(log, text) == []
    (res,) = log["runs"][0]["results"]
    uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "/".join(quote(s, safe="") for s in arm.key(rid).lstrip("/").split("/"))
    for raw, encoded in (('"', "%22"), ("<", "%3C"), (" ", "%20"), ("#", "%23"), ("[", "%5B")):
        assert raw not in uri and encoded in uri
    assert "100%25" in uri and re.search(r"%(?![0-9A-F]{2})", uri) is None
    assert "%C3%BC%E5%90%8D" in uri  # ü名 as UTF-8
    assert unquote(uri) == arm.key(rid).lstrip("/")
    assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == rid
    message = res["message"]["text"]
    assert "\ufffd" in message  # the lone surrogate, replaced
    assert "\\[x\\](1)" in message and "back\\\\slash" in message  # no embedded link
    assert re.search(r"(?<!\\)\[", message) is None


def test_message_names_the_resource_in_its_first_sentence(tmp_path: Path) -> None:
    run = make_run([TERRAFORM])
    f = run.result.findings[0]
    moved = dataclasses.replace(f, message=f"Something is wrong. It is {f.resource_name}.")
    log = json.loads(render(with_findings(run, [moved])))
    text = log["runs"][0]["results"][0]["message"]["text"]
    assert text == f"{f.resource_name}: Something is wrong. It is {f.resource_name}."


# -- triage: suppressions, baseline, category ----------------------------------------------------
def test_suppressed_findings_stay_marked(
    validator: jsonschema.Draft4Validator, tmp_path: Path
) -> None:
    supp = tmp_path / "S.yaml"
    supp.write_text(
        "suppressions:\n"
        "  - rule: MLA-ACR-004\n"
        '    justification: "Build agents need it until the ACR task migration"\n'
        "    expires: 2999-12-31\n"
        "    owner: platform-team\n"
        "  - rule: MLA-AML-001\n"
        "    justification: expired waiver\n"
        "    expires: 2000-01-01\n"
        "  - rule: MLA-KV-001\n"
        "    justification: stale waiver\n",
        encoding="utf-8",
    )
    text, log = scan_sarif(tmp_path, "--snapshot", str(TERRAFORM), "--suppressions", str(supp))
    assert schema_errors(validator, log) == [] and problems(log, text) == []
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert len(results) == 4  # suppressed findings stay in the file
    assert results["MLA-ACR-004"]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Build agents need it until the ACR task migration",
            "properties": {
                "entry": f"{supp}#1",
                "expires": "2999-12-31",
                "owner": "platform-team",
            },
        }
    ]
    assert [r for r in results if "suppressions" in results[r]] == ["MLA-ACR-004"]
    props = log["runs"][0]["properties"]
    assert props["suppressions"]["suppressed"] == 1
    assert props["summary"]["suppressed"] == 1
    config = {n["descriptor"]["id"]: n for n in notes_of(log, "toolConfigurationNotifications")}
    assert set(config) == {"suppression-expired", "suppression-stale"}
    assert "2000-01-01" in config["suppression-expired"]["message"]["text"]
    assert config["suppression-expired"]["level"] == "warning"


def test_baseline_state(validator: jsonschema.Draft4Validator, tmp_path: Path) -> None:
    base = tmp_path / "b.json"
    proc = run_cli(
        "baseline", "--snapshot", str(TERRAFORM), "--output", str(base), "--select", "MLA-AML"
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(base.read_text(encoding="utf-8"))
    known = {f["fingerprint"] for f in doc["findings"]}
    assert known
    # a finding the baseline knew and that is gone from a resource its rule judged again:
    # fixed, and not a result
    gone = dict(doc["findings"][0], related_id="a problem since fixed")
    gone["fingerprint"] = fingerprint(gone["rule_id"], gone["resource_id"], gone["related_id"])
    doc["findings"].append(gone)
    # one the scan could not re-check (its rule did not run): unverified, said so
    doc["findings"].append(dict(gone, rule_id="MLA-ZZZ-999", fingerprint="0" * 32))
    write(base, doc)
    text, log = scan_sarif(tmp_path, "--snapshot", str(TERRAFORM), "--baseline", str(base))
    assert schema_errors(validator, log) == [] and problems(log, text) == []
    results = log["runs"][0]["results"]
    assert len(results) == 4
    for r in results:
        fp = r["fingerprints"]["mlopsAuditFindingId/v1"]
        expected = "unchanged" if fp in known else "new"
        assert r["baselineState"] == r["properties"]["baselineState"] == expected
    assert {r["baselineState"] for r in results} == {"new", "unchanged"}
    assert gone["fingerprint"] not in text  # no "absent" result: GitHub would open an alert
    assert log["runs"][0]["properties"]["baseline"] == {
        "path": str(base),
        "new": sum(r["baselineState"] == "new" for r in results),
        "unchanged": sum(r["baselineState"] == "unchanged" for r in results),
        "fixed": 1,
        "unverified": 1,
    }
    (unverified,) = notes_of(log)
    assert unverified["descriptor"]["id"] == "baseline-unverified"
    assert "MLA-ZZZ-999" in unverified["message"]["text"]
    assert "was not run" in unverified["message"]["text"]
    _, plain = scan_sarif(tmp_path, "--snapshot", str(TERRAFORM), name="plain.sarif")
    assert all("baselineState" not in r for r in plain["runs"][0]["results"])


def test_automation_details_only_with_a_category(tmp_path: Path) -> None:
    _, with_cat = scan_sarif(
        tmp_path, "--snapshot", str(TERRAFORM), "--sarif-category", "mlops-audit/prod/"
    )
    assert with_cat["runs"][0]["automationDetails"] == {"id": "mlops-audit/prod/"}
    _, without = scan_sarif(tmp_path, "--snapshot", str(TERRAFORM), name="plain.sarif")
    assert "automationDetails" not in without["runs"][0]


# -- GitHub's limits ---------------------------------------------------------------------------
def test_small_result_limit_keeps_the_most_severe(validator: jsonschema.Draft4Validator) -> None:
    run = make_run([TERRAFORM])
    rule = run.rules_run[0]
    suppressed = {"entry": "s.yaml#1", "justification": "ok", "expires": None, "owner": None}
    findings = [
        finding(rule, "low", 1),
        finding(rule, "high", 2, suppression=suppressed),
        finding(rule, "medium", 3),
        finding(rule, "critical", 4),
        finding(rule, "high", 5),
        finding(rule, "high", 6, suppression=suppressed),
    ]
    text = render(with_findings(run, findings), max_results=2)
    log = json.loads(text)
    assert schema_errors(validator, log) == [] and problems(log, text) == []
    kept = [r["properties"]["resourceName"] for r in log["runs"][0]["results"]]
    # the critical, then the high that counts toward --fail-on (st000002, first in report
    # order, is suppressed)
    assert kept == ["st000004", "st000005"]
    (note,) = [n for n in notes_of(log) if n["descriptor"]["id"] == "results-truncated"]
    assert note["level"] == "error"
    assert "4 of 6 findings" in note["message"]["text"]
    assert "JSON report lists every finding" in note["message"]["text"]
    truncation = log["runs"][0]["properties"]["truncation"]
    assert truncation["omitted"] == 4 and truncation["included"] == 2
    assert truncation["omitted_by_severity"] == {
        "critical": 0,
        "high": 2,
        "medium": 1,
        "low": 1,
        "info": 0,
    }
    untruncated = json.loads(render(with_findings(run, findings)))
    assert len(untruncated["runs"][0]["results"]) == 6
    assert "truncation" not in untruncated["runs"][0]["properties"]
    assert notes_of(untruncated) == []


def test_size_limit_keeps_the_most_severe_within_the_budget() -> None:
    run = make_run([TERRAFORM])
    rule = run.rules_run[0]
    # evidence that does not compress: each result costs about 2 KB gzip-compressed
    findings = [
        finding(
            rule,
            ("high", "medium", "low")[n % 3],
            n,
            evidence=[{"blob": hashlib.sha256(f"{n}/{k}".encode()).hexdigest()} for k in range(40)],
        )
        for n in range(150)
    ]
    run = with_findings(run, findings)
    full = render(run)
    full_size = len(gzip.compress(full.encode(), compresslevel=6))
    budget = full_size // 2
    text = render(run, max_gzip_bytes=budget)
    assert len(gzip.compress(text.encode(), compresslevel=6)) <= budget
    log = json.loads(text)
    results = log["runs"][0]["results"]
    assert 0 < len(results) < len(findings)
    ranks = [SEVERITY_RANK[r["properties"]["severity"]] for r in results]
    worst_kept = max(ranks)
    dropped = log["runs"][0]["properties"]["truncation"]["omitted_by_severity"]
    assert all(n == 0 for sev, n in dropped.items() if SEVERITY_RANK[sev] < worst_kept)
    assert any(n["descriptor"]["id"] == "results-truncated" for n in notes_of(log))


def test_github_result_limit_with_more_than_25000_findings() -> None:
    run = make_run([TERRAFORM])
    rule = run.rules_run[0]
    total = sarif.MAX_RESULTS + 7
    findings = [finding(rule, "low" if n < 7 else "high", n) for n in range(total)]
    text = render(with_findings(run, findings))
    log = json.loads(text)
    results = log["runs"][0]["results"]
    assert len(results) == sarif.MAX_RESULTS == 25_000
    assert {r["properties"]["severity"] for r in results} == {"high"}
    assert problems(log, text) == []
    truncation = log["runs"][0]["properties"]["truncation"]
    assert truncation["omitted"] == 7 and truncation["omitted_by_severity"]["low"] == 7


# -- determinism -------------------------------------------------------------------------------
def test_same_run_gives_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("--snapshot", str(TERRAFORM), "--sarif-category", "x/")
    one, _ = scan_sarif(tmp_path, *args, name="one.sarif")
    two, _ = scan_sarif(tmp_path, *args, name="two.sarif")
    assert one == two
    assert '"startTimeUtc": "2026-01-01T00:00:00Z"' in one  # SOURCE_DATE_EPOCH (conftest)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    three, log3 = scan_sarif(tmp_path, *args, name="three.sarif")
    four, log4 = scan_sarif(tmp_path, *args, name="four.sarif")
    stamp = re.compile(r'("(?:start|end)TimeUtc": )"[^"]*"')
    assert stamp.sub(r"\1T", three) == stamp.sub(r"\1T", four) == stamp.sub(r"\1T", one)
    for log in (log3, log4):
        inv = log["runs"][0]["invocations"][0]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", inv["startTimeUtc"])
        assert inv["startTimeUtc"] == inv["endTimeUtc"]


# -- fail closed: what was not read or not judged ---------------------------------------
def test_gaps_and_unevaluated_checks_are_notifications(
    validator: jsonschema.Draft4Validator, tmp_path: Path
) -> None:
    ws = {
        "id": b.rid("rg-ml", "Microsoft.MachineLearningServices/workspaces/mlw"),
        "name": "mlw",
        "type": "microsoft.machinelearningservices/workspaces",
        "properties": {"publicNetworkAccess": "Disabled"},
    }
    # an endpoint whose zone lives in a subscription the scan did not read
    v = b.vnet("vnet-a", "10.1.0.0/16", {"snet-pe": "10.1.1.0/24"})
    st = b.storage("stdata")
    pe, nic = b.endpoint("pe-blob", f"{v['id']}/subnets/snet-pe", st["id"], "blob", "10.1.1.4")
    hub = b.zone("privatelink.blob.core.windows.net", sub="99999999-9999-9999-9999-999999999999")
    rows = [ws, v, st, pe, nic, b.zone_group(pe, hub)]
    doc = {"count": len(rows), "data": rows, "skip_token": "ew0K"}
    estate = write(tmp_path / "partial.json", doc)
    noted = write(
        tmp_path / "noted.json",
        {
            "format": "mlops-audit-snapshot",
            "version": 1,
            "rows": [b.storage("stother")],
            "notes": ["endpoint reads were skipped"],
        },
    )
    text, log = scan_sarif(tmp_path, "--snapshot", str(estate), "--snapshot", str(noted))
    assert schema_errors(validator, log) == [] and problems(log, text) == []
    notes = notes_of(log)
    by_kind: dict[str, list[Any]] = {}
    for n in notes:
        by_kind.setdefault(n["descriptor"]["id"], []).append(n)
    (gap,) = by_kind["coverage-gap"]
    assert gap["level"] == "error" and "skip_token is set" in gap["message"]["text"]
    assert "not a pass" in gap["message"]["text"]
    (note,) = by_kind["coverage-note"]
    assert note["message"]["text"] == f"{noted}: endpoint reads were skipped."
    not_run = {n["associatedRule"]["id"] for n in by_kind["rule-not-evaluated"]}
    assert "MLA-AML-003" in not_run  # needs the compute rows Resource Graph does not hold
    assert all(n["level"] == "warning" for n in by_kind["rule-not-evaluated"])
    checks = by_kind["check-not-evaluated"]
    hub_notes = [n for n in checks if n["properties"]["armId"] == hub["id"]]
    assert hub_notes and hub_notes[0]["associatedRule"]["id"] == "MLA-DNS-001"
    loc = hub_notes[0]["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == sarif.pseudo_path(hub["id"])
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    notifications = log["runs"][0]["tool"]["driver"]["notifications"]
    for n in notes:
        assert notifications[n["descriptor"]["index"]]["id"] == n["descriptor"]["id"]
        if "associatedRule" in n:
            assert rules[n["associatedRule"]["index"]]["id"] == n["associatedRule"]["id"]
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True
    assert log["runs"][0]["properties"]["summary"]["complete"] is False
    assert log["runs"][0]["properties"]["coverage"] == {"complete": False, "gaps": 1, "notes": 1}

    # more not-evaluated checks than are listed: the rest are counted, not dropped silently
    run = make_run([estate, noted])
    capped = json.loads(render(run, max_listed=0))
    (summary,) = [n for n in notes_of(capped) if n["descriptor"]["id"] == "check-not-evaluated"]
    assert summary["properties"]["unlisted"] == len(checks)
    assert "JSON report lists every one" in summary["message"]["text"]
