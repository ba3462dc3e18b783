"""azurerm mappers: network (see __init__.py)."""

from __future__ import annotations
