"""azurerm mappers: paas (see __init__.py)."""

from __future__ import annotations
