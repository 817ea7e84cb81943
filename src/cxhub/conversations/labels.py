"""Names of what later domains attach to a conversation (its touchpoint, its queue).

Conversations come before journeys and routing, so they cannot read those tables. Each of those
domains registers a lookup here when it is imported; a conversation's JSON then names them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from sqlalchemy.orm import Session

Lookup = Callable[[Session, Collection[str]], dict[str, str]]
_LOOKUPS: dict[str, Lookup] = {}


def register(kind: str, lookup: Lookup) -> None:
    """`lookup(session, ids)` answers {id: name} for records of `kind` ("touchpoint", "queue")."""
    _LOOKUPS[kind] = lookup


def names(session: Session, kind: str, ids: Collection[str]) -> dict[str, str]:
    lookup = _LOOKUPS.get(kind)
    wanted = {i for i in ids if i}
    return lookup(session, wanted) if lookup is not None and wanted else {}
