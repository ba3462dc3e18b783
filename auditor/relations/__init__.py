"""Named relations: the Azure semantics too rich for rule conditions, computed once here.

A rule names a relation (``{relation: required_links}``) instead of re-deriving it. The
registry and item types are in ``base``; each domain has its module — ``hops`` (one edge
away, declared as data), ``peering``, ``dns`` with ``dns_answer`` (the answer each client
gets), ``nsg`` (address arithmetic) with ``nsg_eval`` (the NSG evaluator), ``nsg_shadow``
and ``nsg_checks``, ``exposure`` (internet paths), ``firewall``, ``serving`` and ``secrets``
(what looks like a secret) — and its
own tests. Reports that need the same answers (the network drawing) ask these functions
too.
"""

from __future__ import annotations

from . import (
    dns,
    dns_answer,
    exposure,
    firewall,
    hops,
    nsg,
    nsg_checks,
    nsg_eval,
    nsg_shadow,
    peering,
    secrets,
    serving,
)
from .base import RELATIONS, Answer, Item, Relation, Unknown, relation
from .dns import dns_zones, endpoint_vnet, endpoint_zones, record_matches, required_links
from .peering import connected_peers

__all__ = [
    "RELATIONS",
    "Answer",
    "Item",
    "Relation",
    "Unknown",
    "connected_peers",
    "dns",
    "dns_answer",
    "dns_zones",
    "endpoint_vnet",
    "endpoint_zones",
    "exposure",
    "firewall",
    "hops",
    "nsg",
    "nsg_checks",
    "nsg_eval",
    "nsg_shadow",
    "peering",
    "record_matches",
    "relation",
    "required_links",
    "secrets",
    "serving",
]
