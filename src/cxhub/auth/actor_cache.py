"""Actors of recently used API tokens, kept for a few seconds so a busy client costs no lookups.

A change to who may do what (users, tokens, organisations, brand limits) committed in this
process empties the cache at once; one committed by another process is seen within the cache's
lifetime (`CXHUB_AUTH_CACHE_SECONDS`, 0 turns the cache off).
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from cxhub.auth.actor import Actor

WATCHED_TABLES = frozenset({"users", "api_tokens", "user_brands", "organisations"})
MAX_ENTRIES = 10_000
_CHANGED = "cxhub.auth_changed"

_generations = itertools.count(1)
_generation = 0  # rises whenever a watched change commits in this process


def generation() -> int:
    return _generation


class ActorCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[Actor, float, int]] = {}
        self._lock = threading.Lock()

    def get(self, token_digest: str) -> Actor | None:
        entry = self._entries.get(token_digest)
        if entry is None:
            return None
        actor, expires, seen_at = entry
        if seen_at != _generation or time.monotonic() > expires:
            return None
        return actor

    def put(self, token_digest: str, actor: Actor, seen_at: int) -> None:
        """Keep the actor found from a lookup that began at generation `seen_at`."""
        if self.seconds <= 0 or seen_at != _generation:
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[token_digest] = (actor, time.monotonic() + self.seconds, seen_at)


def _touches_watched(instances: Any) -> bool:
    return any(getattr(getattr(obj, "__table__", None), "name", None) in WATCHED_TABLES for obj in instances)


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    if _touches_watched(session.new) or _touches_watched(session.dirty) or _touches_watched(session.deleted):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED_TABLES:
            state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")  # a rolled-back change keeps its mark: one needless refresh
def _bump(session: Session) -> None:
    global _generation
    if session.info.pop(_CHANGED, False):
        _generation = next(_generations)
