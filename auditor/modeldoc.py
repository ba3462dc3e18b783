"""``docs/model.md``: the graph's vocabulary (``model.py``) and the relations rules can use
(``relations/``), written out as Markdown. Kept apart from ``model.py``, which lies below
the relations and must not import them."""

from __future__ import annotations

from .model import EDGE_KINDS, FLAG_FIELDS, NODE_KINDS
from .relations import RELATIONS


def describe_model() -> str:
    """The vocabulary as Markdown: ``docs/model.md`` is this text (a test keeps them equal;
    ``python -m auditor.modeldoc > docs/model.md`` rewrites it)."""

    lines = [
        "# Graph model",
        "",
        "Generated from `auditor/model.py` and `auditor/relations/`; do not edit by hand.",
        "Nodes are keyed by the lower-cased ARM id; a referenced resource that is not in the",
        "estate is a placeholder node (`seen=False`) that no rule judges.",
        "",
        "## Node kinds",
        "",
        "| kind | ARM type | what |",
        "|---|---|---|",
    ]
    for kind, node in NODE_KINDS.items():
        lines.append(f"| `{kind}` | `{node.arm_type or '-'}` | {node.description} |")
    lines += ["", "## Edge kinds", "", "| kind | from | to | attributes | meaning |"]
    lines.append("|---|---|---|---|---|")
    for kind, edge in EDGE_KINDS.items():
        attrs = ", ".join(edge.attributes) or "-"
        lines.append(
            f"| `{kind}` | {', '.join(edge.sources)} | {', '.join(edge.targets)} | {attrs} "
            f"| {edge.description} |"
        )
    lines += [
        "",
        "## Relations rules can use",
        "",
        "Computed once per node by `auditor/relations/`; a rule names them in",
        "`each: {relation: …}` or `{relation: …, exists|count: …}`. An item's fields are",
        "declared: a rule that reads a field its relation does not declare is refused when",
        "it loads. `row` means the item is a resource, whose row fields (`name`,",
        "`properties.…`) can be read too; `edge.*` are the attributes of the edge kind named.",
        "",
        "| relation | on | item fields | what it yields |",
        "|---|---|---|---|",
    ]
    for name, rel in sorted(RELATIONS.items()):
        fields = [f"`{f}`" for f in sorted(rel.fields)]
        if rel.edge:
            fields.append(f"`edge.*` ({rel.edge})")
        if rel.node:
            fields.append("row")
        lines.append(
            f"| `{name}` | {', '.join(sorted(rel.kinds))} | {', '.join(fields) or '-'} "
            f"| {rel.doc} |"
        )
    lines += [
        "",
        "## Azure's own verdicts (cross-reference rows)",
        "",
        "Not resources: no rule reads them. Resource Graph rows of Azure Policy's",
        "non-compliant states and Defender for Cloud's unhealthy assessments, kept apart from",
        "the estate's resources and matched to findings by `auditor/crossref.py`. A row",
        "whose required field is missing or not of its kind is dropped with the reason.",
        "",
        "| row type | field | kind | required | what |",
        "|---|---|---|---|---|",
    ]
    for rtype, flag_fields in FLAG_FIELDS.items():
        for f in flag_fields:
            lines.append(
                f"| `{rtype}` | `{f.name}` | {f.kind} | {'yes' if f.required else 'no'} "
                f"| {f.description} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(describe_model(), end="")
