"""Bulk intake: a batch of interactions recorded as `record_interaction` records them one by one.

Same results, item by item and in input order (created, duplicate, or the error with its reason),
from a bounded number of statements per batch rather than a dozen per interaction: the brands,
the interactions already stored (by Idempotency-Key and by (brand, channel, external_id)), the
agents named, the customers' identities and their open conversations are each read once, and new
rows are written with one executemany per table. An item sees the items before it in the batch,
as it would one by one. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from cxhub.conversations.models import Conversation, ConversationEvent, Interaction
from cxhub.conversations.prepared import NO_IDENTIFIER, Prepared
from cxhub.conversations.service import (
    OPEN_STATUSES,
    agent_for,
    agents_by_email,
    change_status,
    check_same_body,
    interaction_values,
    new_conversation,
    record_prepared,
    resolve_brand,
    touch_conversation,
)
from cxhub.customers.models import Customer, CustomerIdentity
from cxhub.customers.service import Contact, attach_customers
from cxhub.errors import CxhubError
from cxhub.kit.bulkload import insert_rows, one_of
from cxhub.workforce.models import Brand

DEADLOCK = "40P01"  # PostgreSQL: two intakes wanted the same new keys; the one chosen to yield retries
ATTEMPTS = 5
CHUNK = 2000  # keys per IN (...): well under SQLite's and PostgreSQL's bound-parameter limits
T = TypeVar("T")


@dataclass(frozen=True)
class Stored:
    """Where an interaction of the batch is: new, or the one stored earlier under the same key."""

    interaction_id: str
    conversation_id: str
    customer_id: str
    duplicate: bool


Outcome = Stored | CxhubError


@dataclass
class _Row:
    body_digest: str
    interaction_id: str = ""
    conversation_id: str = ""
    customer_id: str = ""


@dataclass
class _New:
    prepared: Prepared
    idempotency_key: str | None
    brand_id: str
    agent_id: str | None
    row: _Row


def record_interactions(session: Session, *, items: Sequence[tuple[Prepared, str | None]]) -> list[Outcome]:
    """Record (prepared interaction, idempotency key) pairs; one outcome per item, in order.

    When a concurrent intake stores one of the same interactions or identifiers first (or the two
    deadlock over them), the batch's writes are rolled back, which lets the other go on, and the
    batch is read and written again: it now sees what the other stored. After ATTEMPTS such
    rounds the batch is recorded one by one, each item in its own savepoint (and retried as often).
    """
    for _ in range(ATTEMPTS):
        try:
            with session.begin_nested():
                return _record(session, items)
        except (IntegrityError, OperationalError) as exc:
            if not _lost_a_race(exc):
                raise
    return [_record_one(session, prepared, key) for prepared, key in items]


def refresh_statistics(session: Session) -> None:
    """Bring PostgreSQL's table statistics up to date after a large intake.

    The planner picks index lookups for the batch's reads only while it knows how large the tables
    are; autovacuum refreshes that in the background where it runs, but a large import outgrows
    the figures between two of its rounds (or there are no rounds: autovacuum can be off).
    """
    if session.get_bind().dialect.name == "postgresql":
        tables = (_customers, _identities, _conversations, _interactions)
        session.execute(text(f"ANALYZE {', '.join(table.name for table in tables)}"))


def _lost_a_race(exc: IntegrityError | OperationalError) -> bool:
    return isinstance(exc, IntegrityError) or getattr(exc.orig, "sqlstate", None) == DEADLOCK


def _record_one(session: Session, prepared: Prepared, key: str | None) -> Outcome:
    for attempt in range(ATTEMPTS):
        try:
            with session.begin_nested():
                recorded = record_prepared(session, prepared=prepared, idempotency_key=key)
            break
        except CxhubError as exc:
            return exc
        except OperationalError as exc:
            if not _lost_a_race(exc) or attempt == ATTEMPTS - 1:
                raise
    interaction = recorded.interaction
    return Stored(interaction.id, interaction.conversation_id, interaction.customer_id, recorded.duplicate)


def _record(session: Session, items: Sequence[tuple[Prepared, str | None]]) -> list[Outcome]:
    brands = _brands(session, {prepared.brand for prepared, _ in items})
    if len(items) > 1:
        _one_batch_at_a_time(session, brands.values())
    by_key, by_source = _stored(session, items, brands)
    agents = agents_by_email(
        session, {p.handled_by.strip().lower() for p, _ in items if p.handled_by and p.handled_by.strip()}
    )
    outcomes: list[Outcome | tuple[_Row, bool]] = []  # (row, duplicate) until the rows are stored
    new: list[_New] = []
    for prepared, key in items:
        brand = brands[prepared.brand]
        if isinstance(brand, CxhubError):
            outcomes.append(brand)
            continue
        source = (brand.id, prepared.channel, prepared.external_id)
        existing = by_key.get(key) if key else None
        if existing is None:
            existing = by_source.get(source)
        try:
            if existing is not None:
                check_same_body(existing.body_digest, prepared.digest)
                outcomes.append((existing, True))
                continue
            if not prepared.identifiers:
                raise CxhubError(NO_IDENTIFIER, status=422, field="customer")
            agent_id = agent_for(agents, prepared.handled_by)
        except CxhubError as exc:
            outcomes.append(exc)
            continue
        row = _Row(prepared.digest)
        if key:
            by_key[key] = row
        by_source[source] = row
        new.append(_New(prepared, key, brand.id, agent_id, row))
        outcomes.append((row, False))
    if new:
        _store(session, new)
    return [
        Stored(o[0].interaction_id, o[0].conversation_id, o[0].customer_id, duplicate=o[1])
        if isinstance(o, tuple)
        else o
        for o in outcomes
    ]


def _one_batch_at_a_time(session: Session, brands: Iterable[Brand | CxhubError]) -> None:
    """Batches of the same brand take turns (PostgreSQL; SQLite has one writer anyway).

    Two batches at once would create the same new customers and identities, and each would roll
    back and retry while the other holds them. A FOR NO KEY UPDATE lock on the brand rows lets one
    batch write at a time, and does not block single interactions (they take no such lock, and
    their foreign keys take KEY SHARE): a single interaction waits only for the rows it shares.
    """
    ids = sorted({brand.id for brand in brands if isinstance(brand, Brand)})
    if ids:
        session.execute(select(Brand.id).where(Brand.id.in_(ids)).order_by(Brand.id).with_for_update(key_share=True))


def _brands(session: Session, keys: set[str | None]) -> dict[str | None, Brand | CxhubError]:
    found: dict[str | None, Brand | CxhubError] = {}
    for key in keys:
        try:
            found[key] = resolve_brand(session, key)
        except CxhubError as exc:
            found[key] = exc
    return found


def _stored(
    session: Session,
    items: Sequence[tuple[Prepared, str | None]],
    brands: dict[str | None, Brand | CxhubError],
) -> tuple[dict[str, _Row], dict[tuple[str, str, str], _Row]]:
    """The interactions already stored under the batch's idempotency keys and (brand, channel, external_id)."""
    columns = (
        Interaction.id,
        Interaction.conversation_id,
        Interaction.customer_id,
        Interaction.body_digest,
        Interaction.idempotency_key,
        Interaction.brand_id,
        Interaction.channel,
        Interaction.external_id,
    )
    rows: dict[str, _Row] = {}
    by_key: dict[str, _Row] = {}
    by_source: dict[tuple[str, str, str], _Row] = {}

    def keep(found: Any) -> _Row:
        row = rows.setdefault(found.id, _Row(found.body_digest, found.id, found.conversation_id, found.customer_id))
        if found.idempotency_key:
            by_key[found.idempotency_key] = row
        by_source[(found.brand_id, found.channel, found.external_id)] = row
        return row

    keys = sorted({key for _, key in items if key})
    for keys_part in _chunks(keys):
        for found in session.execute(select(*columns).where(one_of(session, Interaction.idempotency_key, keys_part))):
            keep(found)
    sources = {
        (brand.id, prepared.channel, prepared.external_id)
        for prepared, _ in items
        if not isinstance(brand := brands[prepared.brand], CxhubError)
    }
    for (brand_id, channel), external_ids in _grouped(sources).items():
        for ids_part in _chunks(external_ids):
            statement = select(*columns).where(
                Interaction.brand_id == brand_id,
                Interaction.channel == channel,
                one_of(session, Interaction.external_id, ids_part),
            )
            for found in session.execute(statement):
                keep(found)
    return by_key, by_source


@dataclass(slots=True)
class _Thread:
    """A conversation's clock, as `touch_conversation` moves it: loaded, or opened by this batch."""

    id: str
    status: str
    updated_at: dt.datetime
    first_inbound_at: dt.datetime | None
    last_inbound_at: dt.datetime | None
    last_outbound_at: dt.datetime | None
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    needs_public_answer: bool
    needs_answer: bool
    routing_status: str | None
    opened: dict[str, Any] | None = None  # the new row's columns; None for a stored conversation


CLOCK = (
    "status",
    "updated_at",
    "first_inbound_at",
    "last_inbound_at",
    "last_outbound_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "needs_public_answer",
    "needs_answer",
    "routing_status",
)
_conversations = Conversation.metadata.tables[Conversation.__tablename__]
_interactions = Interaction.metadata.tables[Interaction.__tablename__]
_customers = Customer.metadata.tables[Customer.__tablename__]
_identities = CustomerIdentity.metadata.tables[CustomerIdentity.__tablename__]
_events = ConversationEvent.metadata.tables[ConversationEvent.__tablename__]
_update_clock = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("conversation_id"))
    .values({name: bindparam(name) for name in CLOCK})
)


def _store(session: Session, new: list[_New]) -> None:
    customer_ids = attach_customers(
        session,
        contacts=[
            Contact(
                brand_id=n.brand_id,
                identifiers=n.prepared.identifiers,
                source=n.prepared.channel,
                name=n.prepared.customer_name,
                country=n.prepared.customer_country,
                language=n.prepared.customer_language,
            )
            for n in new
        ],
        chunk=CHUNK,
    )
    threads = _open_conversations(session, new, customer_ids)
    touched: dict[str, _Thread] = {}
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for n, customer_id in zip(new, customer_ids, strict=True):
        prepared = n.prepared
        thread_ref = prepared.thread_ref
        where = (n.brand_id, prepared.channel, thread_ref, None if thread_ref else customer_id)
        thread = threads.get(where)
        if thread is None:
            opened = new_conversation(brand_id=n.brand_id, customer_id=customer_id, prepared=prepared)
            thread = threads[where] = _Thread(**{name: opened[name] for name in ("id", *CLOCK)}, opened=opened)
        touched[thread.id] = thread
        values = interaction_values(
            prepared,
            brand_id=n.brand_id,
            conversation_id=thread.id,
            customer_id=customer_id,
            agent_id=n.agent_id,
            idempotency_key=n.idempotency_key,
        )
        values["metadata"] = values.pop("extra")  # the column's name (the attribute's is `extra`)
        rows.append(values)
        n.row.interaction_id, n.row.conversation_id, n.row.customer_id = values["id"], thread.id, customer_id
        status = touch_conversation(conversation=thread, prepared=prepared, agent_id=n.agent_id)
        if status and (
            event := change_status(conversation=thread, status=status, at=prepared.occurred_at, user_id=None)
        ):
            events.append(event)
    insert_rows(session, _conversations, [{**t.opened, **_clock(t)} for t in touched.values() if t.opened is not None])
    # rows in key order, so that two batches at once wait for each other rather than deadlock
    moved = [{"conversation_id": t.id, **_clock(t)} for t in sorted(touched.values(), key=_id) if t.opened is None]
    if moved:
        session.execute(_update_clock, moved)
    rows.sort(key=lambda r: (r["brand_id"], r["channel"], r["external_id"]))
    insert_rows(session, _interactions, rows)
    insert_rows(session, _events, events)


def _id(thread: _Thread) -> str:
    return thread.id


def _clock(thread: _Thread) -> dict[str, Any]:
    return {name: getattr(thread, name) for name in CLOCK}


ConversationKey = tuple[str, str, str | None, str | None]  # brand, channel, thread_ref or None, customer or None


def _open_conversations(session: Session, new: list[_New], customer_ids: list[str]) -> dict[ConversationKey, _Thread]:
    """The open conversation each item would join one by one: the latest of its thread, or of its customer."""
    threads = {(n.brand_id, n.prepared.channel, n.prepared.thread_ref) for n in new if n.prepared.thread_ref}
    customers = sorted(
        {customer_id for n, customer_id in zip(new, customer_ids, strict=True) if not n.prepared.thread_ref}
    )
    found: dict[ConversationKey, _Thread] = {}
    columns = [_conversations.c[name] for name in ("id", *CLOCK, "brand_id", "channel", "thread_ref", "customer_id")]

    def keep(row: Any) -> None:
        key = (row.brand_id, row.channel, row.thread_ref, None if row.thread_ref else row.customer_id)
        latest = found.get(key)
        if latest is None or row.updated_at > latest.updated_at:
            found[key] = _Thread(**{name: getattr(row, name) for name in ("id", *CLOCK)})

    open_ = _conversations.c.status.in_(OPEN_STATUSES)
    for (brand_id, channel), refs in _grouped(threads).items():
        for refs_part in _chunks(refs):
            statement = select(*columns).where(
                open_,
                _conversations.c.brand_id == brand_id,
                _conversations.c.channel == channel,
                one_of(session, _conversations.c.thread_ref, refs_part),
            )
            for row in session.execute(statement):
                keep(row)
    for customers_part in _chunks(customers):
        statement = select(*columns).where(
            open_, _conversations.c.thread_ref.is_(None), one_of(session, _conversations.c.customer_id, customers_part)
        )
        for row in session.execute(statement):
            keep(row)
    return found


def _grouped(keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str], list[str]]:
    """(a, b, c) keys as {(a, b): [c, ...]}: one query per (brand, channel) pair, a few per batch, with
    equality on the index's first columns so that every database plans index lookups."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for first, second, third in sorted(keys):
        grouped.setdefault((first, second), []).append(third)
    return grouped


def _chunks(items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
