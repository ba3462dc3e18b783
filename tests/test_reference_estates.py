"""The bundled reference estates are what the generator makes, and say what they should."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import FIXTURES, load_synth, scan_files


@pytest.mark.parametrize("variant", ["good", "terraform"])
def test_fixture_matches_generator(variant: str) -> None:
    on_disk = json.loads((FIXTURES / f"reference-{variant}.json").read_text(encoding="utf-8"))
    assert on_disk == load_synth().reference_estate(variant), (
        f"run: python bench/synth.py --reference {variant} --out fixtures/reference-{variant}.json"
    )


def test_synthetic_estate_faults_are_found(tmp_path: Path) -> None:
    """Every fault the generator plants is reported by the rule meant for it."""
    synth = load_synth()
    expected = {
        "ws-public": "MLA-AML-001",
        "acr-admin": "MLA-ACR-004",
        "acr-zone-unlinked-agents": "MLA-DNS-001",
        "storage-public": "MLA-STG-001",
        "blob-public": "MLA-STG-003",
        "kv-public": "MLA-KV-001",
        "pe-pending": "MLA-PE-001",
        "no-zone-group": "MLA-DNS-003",
        "wrong-zone": "MLA-DNS-002",
        "peering-initiated": "MLA-NET-001",
        "subnet-no-nsg": "MLA-NSG-001",
        "nsg-ssh-internet": "MLA-NSG-002",
        "vm-public-ip": "MLA-PIP-001",
        "vm-password-auth": "MLA-VM-001",
        "extension-secret": "MLA-VM-002",
        "compute-public-ip": "MLA-AML-003",
        "ci-public-ssh": "MLA-AML-004",
        "custom-dns-unlinked": "MLA-DNS-001",
        "ws-pna-absent": "MLA-AML-001",
        "appi-public": "MLA-APPI-001",
        "appi-local-auth": "MLA-APPI-002",
        "appi-unscoped": "MLA-APPI-004",
    }
    assert set(expected) == set(synth.FAULTS)
    for i, (fault, rule_id) in enumerate(sorted(expected.items())):
        rows = synth.landing_zone(i, frozenset({fault}))
        path = tmp_path / f"fault-{fault}.json"
        path.write_text(json.dumps(rows), encoding="utf-8")
        result = scan_files([path])
        got = {f.rule_id for f in result.findings if f.severity in ("critical", "high", "medium")}
        assert got == {rule_id}, (fault, got)
