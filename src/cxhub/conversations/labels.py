"""Names and details that later domains attach to a conversation (its touchpoint, its queue, its SLA clocks).

Conversations come before journeys and routing, so they cannot read those tables. Each of those
domains registers a lookup here when it is imported; a conversation's JSON then names them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy.orm import Session

Lookup = Callable[[Session, Collection[str]], dict[str, str]]
Details = Callable[[Session, Collection[str]], dict[str, list[dict[str, Any]]]]
_LOOKUPS: dict[str, Lookup] = {}
_DETAILS: dict[str, Details] = {}


def register(kind: str, lookup: Lookup) -> None:
    """`lookup(session, ids)` answers {id: name} for records of `kind` ("touchpoint", "queue")."""
    _LOOKUPS[kind] = lookup


def names(session: Session, kind: str, ids: Collection[str]) -> dict[str, str]:
    lookup = _LOOKUPS.get(kind)
    wanted = {i for i in ids if i}
    return lookup(session, wanted) if lookup is not None and wanted else {}


def register_details(kind: str, details: Details) -> None:
    """`details(session, conversation_ids)` answers {conversation id: [record, ...]} (e.g. "sla": its clocks)."""
    _DETAILS[kind] = details


def details(session: Session, kind: str, conversation_ids: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    provider = _DETAILS.get(kind)
    return provider(session, conversation_ids) if provider is not None and conversation_ids else {}
