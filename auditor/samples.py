"""The sample estates bundled with mlops-audit, for ``scan --sample``: a first run needs
no Azure access and no file of one's own, from any directory.

The files live once, in the checkout's ``fixtures/`` (the tests and the generator in
``bench/synth.py`` use them there); the wheel carries them as ``auditor/sample-estates/``
(``force-include`` in pyproject.toml), so there is no second copy to drift.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# name -> what it is, for --help; the first is the default of a bare --sample
SAMPLES: dict[str, str] = {
    "reference-terraform": "the reference architecture as its published Terraform builds it "
    "(has findings)",
    "reference-good": "the reference architecture with every control in place",
}
DEFAULT = "reference-terraform"
PACKAGED_DIR = "sample-estates"


def sample_path(name: str) -> Path:
    """The file of the bundled sample ``name``: in the installed package, or the
    checkout's ``fixtures/`` when running from source."""
    if name not in SAMPLES:
        raise KeyError(name)
    packaged = Path(str(resources.files("auditor"))) / PACKAGED_DIR / f"{name}.json"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "fixtures" / f"{name}.json"
