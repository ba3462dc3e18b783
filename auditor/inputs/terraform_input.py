"""Input formats: a Terraform root module's directory, and ``terraform show -json`` of a
saved plan.

Both readers produce a :class:`~auditor.inputs.terraform.resources.TfConfig`; the azurerm
mapping (``terraform/azurerm``) turns it into the rows the Resource Graph path gives, with
the origin (address, file, line) of each row. Resource types no mapper knows are counted in
the input's notes, never dropped silently.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..estate import Reading
from ..files import InputError
from .options import InputOptions

if TYPE_CHECKING:  # the readers load on first use: a snapshot scan never needs them
    from .terraform.resources import TfConfig


class TerraformPlan:
    """``terraform show -json tfplan``: ``{"format_version": "1.2", "planned_values",
    "resource_changes", "configuration", …}``."""

    name = "terraform-plan"
    expected = "'terraform show -json' plan output"
    marker: str | None = "format_version"
    directory = False

    def detect(self, doc: object) -> bool:
        # any 'format_version' claims the object (a state file is named in the error);
        # a 'format' is the snapshot's
        return isinstance(doc, dict) and "format_version" in doc and "format" not in doc

    def read(self, path: Path, doc: Any, options: InputOptions) -> Reading:
        source = options.terraform_source
        if source is not None and not has_tf_files(source):
            # named but unusable: findings would silently lose their file and line
            problem = (
                "no such directory"
                if not source.exists()
                else "is not a directory"
                if not source.is_dir()
                else "holds no .tf files"
            )
            raise InputError(
                source, f"{problem} (--terraform-source), expected {DIRECTORY.expected}"
            )
        from .terraform.plan import read_plan

        config = read_plan(path, doc, source)
        extra = {
            k: doc[k]
            for k in ("format_version", "terraform_version")
            if isinstance(doc.get(k), str)
        }
        return terraform_reading(config, extra)


class TerraformDirectory:
    """A root module's directory: its ``*.tf`` files (and the local modules they call),
    read without ``terraform init``."""

    name = "terraform"
    expected = "a Terraform root module (a directory of .tf files)"
    marker: str | None = None
    directory = True

    def detect(self, doc: object) -> bool:
        return isinstance(doc, Path) and has_tf_files(doc)

    def read(self, path: Path, doc: Any, options: InputOptions) -> Reading:
        from .terraform.config import load_config

        for var_file in options.var_files:
            if not var_file.is_file():
                problem = (
                    "no such file"
                    if not var_file.exists()
                    else "is a directory"
                    if var_file.is_dir()
                    else "is not a regular file"
                )
                raise InputError(var_file, f"{problem} (--var-file), expected a .tfvars file")
        config = load_config(path, list(options.var_files), dict(options.variables))
        return terraform_reading(config, {})


def has_tf_files(directory: Path) -> bool:
    try:
        return directory.is_dir() and any(
            p.name.endswith((".tf", ".tf.json")) and not p.name.startswith(".") and p.is_file()
            for p in directory.iterdir()
        )
    except OSError:
        return False


def terraform_reading(config: TfConfig, extra: dict[str, Any]) -> Reading:
    """The rows a Terraform input maps to, and what it says about itself."""
    from .terraform import azurerm
    from .terraform.azurerm.dns import TERRAFORM_COLLECTIONS

    mapped = azurerm.to_rows(config)
    managed = Counter(r.type for r in config.resources if r.mode == "managed")
    data = sum(1 for r in config.resources if r.mode == "data")
    notes = [
        f"{n} {t} resource{'s are' if n > 1 else ' is'} not modelled"
        + ("" if t.startswith("azurerm_") else " (not an azurerm resource)")
        for t, n in sorted(mapped.unmapped.items())
    ]
    notes.extend(config.notes)
    metadata = {
        "terraform": {
            **extra,
            "provider": config.provider.source,
            "azurerm_majors": list(config.provider.majors),
            "resources": sum(managed.values()),
            "data_sources": data,
            "not_modelled": dict(sorted(mapped.unmapped.items())),
            "variables": len(config.variables),
        }
    }
    return Reading(
        mapped.rows,
        row_label="Terraform resource",
        gaps=[*config.gaps, *mapped.gaps],
        # all but the DNS records a zone group writes at apply (azurerm/dns.py says why)
        collections=list(TERRAFORM_COLLECTIONS),
        metadata=metadata,
        notes=notes,
        origins=mapped.origins,
    )


PLAN = TerraformPlan()
DIRECTORY = TerraformDirectory()
