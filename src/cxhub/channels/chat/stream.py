"""Server-sent events over a polled query: resumable by event id, never a duplicate within a stream, bounded.

The query runs in a worker thread with a short transaction of its own, so an open stream holds no
database connection and no thread while it waits. Ids sort by time but are drawn before the commit,
so every poll (and every resume) looks `RESUME_OVERLAP` behind the newest id sent and skips what this
stream already sent; a client resuming after an id may get a message of that overlap again and drops
it by id.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol

import anyio
from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from cxhub.channels.chat.service import resume_floor

HEARTBEAT_SECONDS = 15.0  # under the idle timeout of common proxies
RETRY_MILLIS = 2000


class StreamEvent(Protocol):
    @property
    def id(self) -> str: ...

    def model_dump_json(self) -> str: ...


def sse(event: StreamEvent, *, name: str) -> str:
    return f"id: {event.id}\nevent: {name}\ndata: {event.model_dump_json()}\n\n"


async def event_stream(
    request: Request,
    *,
    fetch: Callable[[str | None], Sequence[StreamEvent]],
    after: str | None,
    name: str,
    poll_seconds: float,
    lifetime_seconds: float,
) -> AsyncIterator[str]:
    """Events after `after` (all of them without it), then new ones as they are committed, until the
    client leaves or the lifetime ends (the client then reconnects with the last id it saw)."""
    yield f"retry: {RETRY_MILLIS}\n\n"
    newest = after
    sent: set[str] = {after} if after else set()
    started = last_write = time.monotonic()
    while True:
        floor = resume_floor(newest)
        for event in await run_in_threadpool(fetch, floor):
            if event.id in sent:
                continue
            sent.add(event.id)
            newest = max(newest or event.id, event.id)
            yield sse(event, name=name)
            last_write = time.monotonic()
        floor = resume_floor(newest)
        sent = {event_id for event_id in sent if floor is None or event_id >= floor}  # bounded by the overlap
        now = time.monotonic()
        if now - started >= lifetime_seconds:
            return
        if now - last_write >= HEARTBEAT_SECONDS:
            yield ": heartbeat\n\n"
            last_write = now
        if await request.is_disconnected():
            return
        await anyio.sleep(poll_seconds)
