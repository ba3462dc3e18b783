"""mlops-audit: network-security posture auditor for Azure Machine Learning estates.

``from auditor import audit`` is the library entry point (``auditor.core``); the stages
behind it, and the seams between them, are mapped in ``docs/architecture.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import audit

__version__ = "0.1.0"
__all__ = ["__version__", "audit"]


def __getattr__(name: str) -> Any:
    # ``mlops-audit --version`` and ``rules list`` must not pay for the whole pipeline
    if name == "audit":
        from .core import audit

        return audit
    raise AttributeError(f"module 'auditor' has no attribute {name!r}")
