"""Every rule runs on both forms of its fixtures: the ARM rows (test_rule_fixtures.py) and,
where Terraform can express it, a Terraform root module.

``fixtures/rules/<ID>/terraform/fail/`` must make the rule report exactly the resources (by
Terraform address) and lines listed in ``terraform/expect.json`` (``{"fail": [{"resource":
address, "line": n}], "pass": []}``); ``terraform/pass/`` must make it pass: judged, no
finding, nothing unevaluated. A rule Terraform cannot express says why in
``terraform/NOT-APPLICABLE.md``; one that Terraform can only break, never satisfy, says why
in ``expect.json``'s ``no_pass``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.rules import load_rules

from .conftest import FIXTURES
from .terraform_harness import scan_tf

RULE_IDS = [r.id for r in load_rules()]


def _folder(rule_id: str) -> Path:
    return FIXTURES / "rules" / rule_id / "terraform"


def _expect(rule_id: str) -> dict[str, Any]:
    return json.loads((_folder(rule_id) / "expect.json").read_text(encoding="utf-8"))


def _forms(passing: bool = False) -> list[str]:
    return [
        r
        for r in RULE_IDS
        if (_folder(r) / "expect.json").is_file() and not (passing and "no_pass" in _expect(r))
    ]


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_a_terraform_form_or_says_why_not(rule_id: str) -> None:
    folder = _folder(rule_id)
    has_form = (folder / "expect.json").is_file()
    not_applicable = folder / "NOT-APPLICABLE.md"
    assert has_form != not_applicable.is_file(), (
        f"{rule_id}: give it terraform/fail, terraform/pass and terraform/expect.json, or"
        " a terraform/NOT-APPLICABLE.md saying why Terraform cannot express it"
    )
    if not has_form:
        assert len(not_applicable.read_text(encoding="utf-8").split()) >= 12
    else:
        assert any((folder / "fail").glob("*.tf"))
        no_pass = _expect(rule_id).get("no_pass")
        if no_pass is None:
            assert any((folder / "pass").glob("*.tf"))
        else:
            assert len(no_pass.split()) >= 12 and not (folder / "pass").exists()


@pytest.mark.parametrize("rule_id", _forms())
def test_terraform_failing_form_fails_on_the_line(rule_id: str) -> None:
    folder = _folder(rule_id)
    expected = _expect(rule_id)["fail"]
    assert expected, "expect.json must name at least one failing resource"
    result = scan_tf(folder / "fail", select=[rule_id])
    assert not result.not_evaluated, result.not_evaluated
    got = sorted(  # a resource may fail once per related item, on the same line
        {
            (f.resource_id, (f.location or {}).get("line"), Path((f.location or {})["file"]).name)
            for f in result.findings
        }
    )
    want = sorted((e["resource"], e["line"], e.get("file", "main.tf")) for e in expected)
    assert got == want


@pytest.mark.parametrize("rule_id", _forms(passing=True))
def test_terraform_passing_form_passes(rule_id: str) -> None:
    result = scan_tf(_folder(rule_id) / "pass", select=[rule_id])
    assert result.findings == []
    assert result.not_evaluated == []
    outcome = next(o for o in result.outcomes if o.rule_id == rule_id)
    assert outcome.status == "pass", outcome


@pytest.mark.parametrize("rule_id", _forms())
def test_terraform_failing_form_renders_in_every_text_format(rule_id: str) -> None:
    """A finding's evidence from Terraform may hold a value known only after apply: every
    writer must render it as data (the JSON writer once crashed on it: exit 4)."""
    from auditor import audit, report

    run = audit(
        terraform=_folder(rule_id) / "fail",
        select=[rule_id],
        fail_on="none",
        generated_at="2026-01-01T00:00:00Z",
    )
    view = report.build_view(run)
    for fmt in ("json", "sarif", "junit", "markdown", "csv"):
        text = report.render(fmt, view)
        assert text.strip(), fmt
        if fmt in ("json", "sarif"):
            json.loads(text)
