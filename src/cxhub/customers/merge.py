"""Merging two customers into one and undoing it, losing nothing either way.

A merge re-points every row that refers to the merged customer (identities, conversations,
interactions, group memberships, consents: any table with a foreign key to `customers.id`) to the
survivor and records exactly which rows moved; the merged customer's row stays, marked
`merged_into_id`. An un-merge moves exactly those rows back and restores the survivor's own fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, and_, select, update
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.service import record_audit
from cxhub.customers.models import Customer, CustomerMerge, MatchCandidate
from cxhub.db import Base
from cxhub.errors import Conflict, Forbidden, NotFound
from cxhub.kit.pagination import paginate
from cxhub.kit.time import utcnow

KEPT_FIELDS = ("name", "country", "language", "date_of_birth")
DROPPED = "dropped:"  # `moved` key prefix: memberships both customers had, dropped from the merged one
NOT_MOVED = {CustomerMerge.__tablename__, MatchCandidate.__tablename__}
_customers = Customer.metadata.tables[Customer.__tablename__]


def referencing_columns() -> list[tuple[Table, str]]:
    """(table, column) of every foreign key to `customers.id` whose rows follow their customer."""
    found: list[tuple[Table, str]] = []
    for table in Base.metadata.sorted_tables:
        if table.name in NOT_MOVED:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == Customer.__tablename__ and fk.column.name == "id":
                found.append((table, fk.parent.name))
    return found


def _key(table: Table, row: Any) -> list[Any]:
    return [getattr(row, c.name) for c in table.primary_key.columns]


def _where_key(table: Table, key: list[Any]) -> Any:
    return and_(*(c == v for c, v in zip(table.primary_key.columns, key, strict=True)))


def _lock(session: Session, *customer_ids: str) -> dict[str, Customer]:
    """Both customers, row-locked on PostgreSQL in id order so two merges cannot interleave."""
    query = select(Customer).where(Customer.id.in_(customer_ids)).order_by(Customer.id)
    query = query.execution_options(populate_existing=True)  # the state after the lock, not as read before
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return {c.id: c for c in session.scalars(query)}


def _move_everything(session: Session, *, from_id: str, to_id: str) -> dict[str, list[Any]]:
    """Re-point every row of `from_id` to `to_id`: the keys moved per table, and those dropped (`dropped:<table>`)."""
    moved: dict[str, list[Any]] = {}
    for table, column in referencing_columns():
        col = table.c[column]
        rows = session.execute(select(*table.primary_key.columns).where(col == from_id)).all()
        if not rows:
            continue
        keys = [_key(table, r) for r in rows]
        if column in {c.name for c in table.primary_key.columns}:
            # a membership both customers have can't be held twice: the merged one's is dropped, and kept here
            others = [c for c in table.primary_key.columns if c.name != column]
            for key in keys:
                values = dict(zip([c.name for c in table.primary_key.columns], key, strict=True))
                clash = select(*table.primary_key.columns).where(col == to_id, *(c == values[c.name] for c in others))
                if session.execute(clash).first() is not None:
                    session.execute(table.delete().where(_where_key(table, key)))
                    moved.setdefault(DROPPED + table.name, []).append(key)
                else:
                    session.execute(update(table).where(_where_key(table, key)).values({column: to_id}))
                    moved.setdefault(table.name, []).append(key)
        else:
            session.execute(update(table).where(col == from_id).values({column: to_id}))
            moved[table.name] = keys
    return moved


def _in_scope(actor: Actor | None, customer: Customer) -> bool:
    return actor is None or actor.brand_ids is None or customer.brand_id in actor.brand_ids


def merge_customers(
    session: Session,
    *,
    survivor_id: str,
    merged_id: str,
    decided_by: str,
    actor: Actor | None,
    reason: str | None = None,
    match_probability: float | None = None,
) -> CustomerMerge:
    """Merge `merged_id` into `survivor_id`; every row of the merged customer moves, and is recorded."""
    if actor is not None and actor.is_partner:
        raise Forbidden("only the brand's in-house staff merge customers")
    if survivor_id == merged_id:
        raise Conflict("a customer can't be merged into itself", field="merged_id")
    found = _lock(session, survivor_id, merged_id)
    survivor, merged = found.get(survivor_id), found.get(merged_id)
    if survivor is None or not _in_scope(actor, survivor):
        raise NotFound("survivor customer")
    if merged is None or not _in_scope(actor, merged):
        raise NotFound("merged customer")
    if survivor.brand_id != merged.brand_id:
        raise Conflict("customers of different brands are never merged", field="merged_id")
    for customer, name in ((survivor, "survivor_id"), (merged, "merged_id")):
        if customer.erased_at is not None:
            raise Conflict(f"customer {customer.id} was erased", field=name)
        if customer.merged_into_id is not None:
            raise Conflict(f"customer {customer.id} is already merged into {customer.merged_into_id}", field=name)
    moved = _move_everything(session, from_id=merged.id, to_id=survivor.id)
    before = {f: _jsonable(getattr(survivor, f)) for f in KEPT_FIELDS}
    for f in KEPT_FIELDS:
        if getattr(survivor, f) is None:
            setattr(survivor, f, getattr(merged, f))
    merged.merged_into_id = survivor.id
    merge = CustomerMerge(
        brand_id=survivor.brand_id,
        survivor_id=survivor.id,
        merged_id=merged.id,
        decided_by=decided_by,
        match_probability=match_probability,
        reason=reason,
        actor_user_id=actor.user_id if actor else None,
        actor_email=actor.email if actor else None,
        moved=moved,
        survivor_before=before,
    )
    session.add(merge)
    _stale_candidates(session, merged.id)
    session.flush()
    counts = {t: len(k) for t, k in moved.items() if not t.startswith(DROPPED)}
    record_audit(
        session,
        actor=actor,
        action="customers.merge",
        target_type="customer",
        target_id=survivor.id,
        detail={
            "merge_id": merge.id,
            "merged_id": merged.id,
            "decided_by": decided_by,
            "moved": counts,
            "reason": reason,
        },
    )
    return merge


def unmerge(session: Session, *, merge_id: str, actor: Actor | None, reason: str | None = None) -> CustomerMerge:
    """Undo a merge: the recorded rows go back to the merged customer and the survivor is as it was."""
    if actor is not None and actor.is_partner:
        raise Forbidden("only the brand's in-house staff un-merge customers")
    merge = session.get(CustomerMerge, merge_id)
    if merge is None or (actor is not None and actor.brand_ids is not None and merge.brand_id not in actor.brand_ids):
        raise NotFound("merge")
    if merge.undone_at is not None:
        raise Conflict("this merge was already undone")
    found = _lock(session, merge.survivor_id, merge.merged_id)
    survivor, merged = found[merge.survivor_id], found[merge.merged_id]
    session.refresh(merge)  # another undo, or the sweep, may have changed it while the lock was awaited
    if merge.undone_at is not None:
        raise Conflict("this merge was already undone")
    if survivor.erased_at is not None or merged.erased_at is not None:
        raise Conflict("an erased customer's merges can no longer be undone")
    if survivor.merged_into_id is not None:
        raise Conflict(
            f"the survivor was itself merged into {survivor.merged_into_id} later: undo that merge first",
        )
    tables = {t.name: (t, column) for t, column in referencing_columns()}
    for name, keys in merge.moved.items():
        if name.startswith(DROPPED):
            table, column = tables[name.removeprefix(DROPPED)]
            names = [c.name for c in table.primary_key.columns]
            for key in keys:
                session.execute(table.insert().values(dict(zip(names, key, strict=True))))
            continue
        table, column = tables[name]
        for key in keys:
            values = dict(zip([c.name for c in table.primary_key.columns], key, strict=True))
            if column in values:
                values[column] = survivor.id  # the row's key holds the customer: it is the survivor's now
            session.execute(update(table).where(_where_key(table, list(values.values()))).values({column: merged.id}))
    _follow_conversations(session, merge, merged.id)
    for f in KEPT_FIELDS:
        setattr(survivor, f, _restored(f, merge.survivor_before.get(f)))
    merged.merged_into_id = None
    merge.undone_at = utcnow()
    merge.undone_by_user_id = actor.user_id if actor else None
    merge.undo_reason = reason
    _keep_apart(session, merge, actor, reason)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="customers.unmerge",
        target_type="customer",
        target_id=merged.id,
        detail={"merge_id": merge.id, "survivor_id": survivor.id, "reason": reason},
    )
    return merge


def _follow_conversations(session: Session, merge: CustomerMerge, merged_id: str) -> None:
    """Messages that arrived while merged, in conversations that go back, go back with them."""
    conversation_ids = [key[0] for key in merge.moved.get("conversations", [])]
    if not conversation_ids:
        return
    for table, column in referencing_columns():
        if "conversation_id" in table.c and table.name != "conversations":
            session.execute(
                update(table).where(table.c.conversation_id.in_(conversation_ids)).values({column: merged_id})
            )


def _keep_apart(session: Session, merge: CustomerMerge, actor: Actor | None, reason: str | None) -> None:
    """An undone merge says the two are different people: resolution never pairs them again."""
    left, right = sorted((merge.survivor_id, merge.merged_id))
    candidate = session.scalar(
        select(MatchCandidate).where(
            MatchCandidate.brand_id == merge.brand_id,
            MatchCandidate.customer_id_l == left,
            MatchCandidate.customer_id_r == right,
        )
    )
    if candidate is None:
        candidate = MatchCandidate(
            brand_id=merge.brand_id,
            customer_id_l=left,
            customer_id_r=right,
            match_probability=merge.match_probability or 0.0,
            match_weight=0.0,
            evidence={},
        )
        session.add(candidate)
    candidate.status = "rejected"
    candidate.decided_at = utcnow()
    candidate.decided_by_user_id = actor.user_id if actor else None
    candidate.decision_reason = f"merge undone: {reason}" if reason else "merge undone"
    candidate.merge_id = merge.id


SWEEP_HOPS = 8  # a row left on a customer merged in turn moves one merge per hop


def sweep_stragglers(session: Session) -> dict[str, int]:
    """Move rows still on a merged customer (written by intake that read it just before the merge) to the survivor.

    Each row is added to the merge's moved rows, so an un-merge takes it back too. Returns the rows
    moved per table.
    """
    total: dict[str, int] = {}
    for _ in range(SWEEP_HOPS):
        stranded: set[str] = set()
        for table, column in referencing_columns():
            col = table.c[column]
            holders = select(col).distinct().join(_customers, _customers.c.id == col)
            stranded.update(session.scalars(holders.where(_customers.c.merged_into_id.is_not(None))))
        if not stranded:
            break
        for customer_id in sorted(stranded):
            for table_name, count in _sweep_one(session, customer_id).items():
                total[table_name] = total.get(table_name, 0) + count
    return total


def _sweep_one(session: Session, merged_id: str) -> dict[str, int]:
    merge = session.scalar(
        select(CustomerMerge)
        .where(CustomerMerge.merged_id == merged_id, CustomerMerge.undone_at.is_(None))
        .order_by(CustomerMerge.at.desc(), CustomerMerge.id.desc())
    )
    if merge is None:
        return {}
    found = _lock(session, merge.survivor_id, merged_id)
    session.refresh(merge)
    merged = found.get(merged_id)
    if merge.undone_at is not None or merged is None or merged.merged_into_id != merge.survivor_id:
        return {}  # undone (or merged anew) while the lock was awaited: the next sweep looks again
    moved = _move_everything(session, from_id=merged_id, to_id=merge.survivor_id)
    if not moved:
        return {}
    recorded = {table: list(keys) for table, keys in merge.moved.items()}
    for table, keys in moved.items():
        recorded.setdefault(table, []).extend(keys)
    merge.moved = recorded
    session.flush()
    return {table: len(keys) for table, keys in moved.items()}


def live_customer_id(session: Session, customer_id: str) -> str:
    """The customer that holds this one's records now: itself, or the end of its merge chain."""
    seen = {customer_id}
    current = customer_id
    while True:
        target = session.scalar(select(Customer.merged_into_id).where(Customer.id == current))
        if target is None or target in seen:
            return current
        seen.add(target)
        current = target


def merges_of(
    session: Session, *, customer_id: str, cursor: str | None, limit: int
) -> tuple[Sequence[CustomerMerge], str | None]:
    """The merges a customer took part in, as survivor or as merged, newest first, a page at a time."""
    query = select(CustomerMerge).where(
        (CustomerMerge.survivor_id == customer_id) | (CustomerMerge.merged_id == customer_id)
    )
    return paginate(session, query, CustomerMerge.id, cursor=cursor, limit=limit, newest_first=True)


def _stale_candidates(session: Session, customer_id: str) -> None:
    session.execute(
        update(MatchCandidate)
        .where(MatchCandidate.status == "pending")
        .where((MatchCandidate.customer_id_l == customer_id) | (MatchCandidate.customer_id_r == customer_id))
        .values(status="stale")
    )


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _restored(field: str, value: Any) -> Any:
    if field == "date_of_birth" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value
