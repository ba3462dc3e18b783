"""A value an input holds but cannot know: the one marker every stage recognises.

Terraform is where it comes from: a variable with neither a default nor a value, a
function the evaluator does not know, an attribute known only after ``apply``. A row may
hold an :class:`UnknownValue` wherever a JSON value could stand. Rule paths that reach one
are unknown (the rule is not evaluated for that resource, with the reason); graph readers
treat it as an unreadable entry. It is never guessed into a pass or a fail.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UnknownValue:
    """Stands for a value the input could not know; ``reason`` says why, naming where."""

    reason: str

    def __repr__(self) -> str:  # how an evidence entry or a debug print shows it
        return f"(unknown: {self.reason})"


def is_unknown(value: object) -> bool:
    return type(value) is UnknownValue


def contains_unknown(value: object) -> UnknownValue | None:
    """The first unknown inside a JSON-like value (depth first), or None."""
    stack = [value]
    while stack:
        v = stack.pop()
        if type(v) is UnknownValue:
            return v
        if isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, list | tuple):
            stack.extend(reversed(v))
    return None
