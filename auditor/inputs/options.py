"""What some inputs need beyond their path: the values of a Terraform configuration's
variables, and where a plan's configuration lives. Formats that need none ignore them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class InputOptions:
    """``--var-file`` / ``--var`` values for Terraform directories (in the order given:
    later ones win, as with ``terraform plan``), and ``--terraform-source`` for plans."""

    var_files: tuple[Path, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)
    terraform_source: Path | None = None


NO_OPTIONS = InputOptions()


@dataclass(frozen=True)
class Input:
    """An input path and the format it must be (``--terraform DIR`` must be a Terraform
    directory); ``format`` None: whatever format detects it (``--snapshot``)."""

    path: str | Path
    format: str | None = None
