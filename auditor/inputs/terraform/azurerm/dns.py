"""azurerm mappers: dns (see __init__.py)."""

from __future__ import annotations
