"""Classify a contact to a touchpoint by ordered rules: the first rule whose every condition holds decides.

A rule's conditions are optional; those it sets must all hold: the channel, a regular expression
searched (case-insensitive) in the subject and text, the kind of an interaction (order, return,
review ...), a form field (present, or with a given value). A rule with no condition matches
everything, so it works as a catch-all; without one, the brand's fallback touchpoint is taken.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Contact:
    """What the rules look at: a conversation's channel and its first inbound interactions."""

    channel: str
    subject: str = ""
    text: str = ""
    kinds: frozenset[str] = frozenset()
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rule:
    touchpoint_id: str
    channel: str | None = None
    pattern: re.Pattern[str] | None = None
    kind: str | None = None
    field: str | None = None
    field_value: str | None = None

    def matches(self, contact: Contact) -> bool:
        if self.channel is not None and self.channel != contact.channel:
            return False
        if self.kind is not None and self.kind not in contact.kinds:
            return False
        if self.field is not None:
            if self.field not in contact.fields:
                return False
            if self.field_value is not None and str(contact.fields[self.field]).lower() != self.field_value.lower():
                return False
        return self.pattern is None or self.pattern.search(f"{contact.subject}\n{contact.text}") is not None


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The rule's expression, case-insensitive; a clear ValueError when it is not valid."""
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc


def classify(contact: Contact, rules: Sequence[Rule], *, fallback: str | None) -> str | None:
    """The touchpoint of the first matching rule, else the fallback."""
    return next((rule.touchpoint_id for rule in rules if rule.matches(contact)), fallback)
