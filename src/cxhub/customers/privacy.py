"""Privacy: the registry of personal-data holders, the access export, erasure and consents.

Every table that holds personal data about a customer belongs to a holder that knows how to
export its rows for a customer and how to erase or anonymise them. Domains register their
holders here on import (the customers domain below, conversations in `conversations.privacy`);
export and erasure walk the registry and refuse to run while a table that refers to
`customers.id` is left without a holder, so a new table cannot be forgotten. Services flush,
never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import AuditEvent
from cxhub.auth.service import record_audit
from cxhub.customers.merge import live_customer_id
from cxhub.customers.models import (
    Customer,
    CustomerConsent,
    CustomerGroup,
    CustomerGroupMember,
    CustomerIdentity,
    CustomerMerge,
    MatchCandidate,
)
from cxhub.customers.privacy_schemas import ConsentRecord, ConsentsRead, ConsentState
from cxhub.db import Base
from cxhub.errors import Conflict, CxhubError, Forbidden, NotFound
from cxhub.kit.time import utcnow
from cxhub.web import templates

PURPOSES = ("surveys", "coaching", "marketing")
# surveys and coaching are asked of every customer until they opt out; marketing waits for a yes
DEFAULT_CONSENT = {"surveys": True, "coaching": True, "marketing": False}


@dataclass(frozen=True)
class Subject:
    """Whose data: the customer asked about and every customer merged into them (one person)."""

    brand_id: str
    customer_id: str  # the live customer
    customer_ids: tuple[str, ...]  # the live customer first, then those merged into it
    identifiers: tuple[tuple[str, str], ...]  # (kind, value) as held before any erasure


@dataclass(frozen=True)
class Retained:
    """What one retention pass did: rows changed per table, and whether rows past their age remain."""

    counts: dict[str, int]
    more: bool


RetentionRun = Callable[[Session, str | None, dt.datetime, int], Retained]  # brand (None: brandless), cutoff, limit


@dataclass(frozen=True)
class RecordType:
    """A record type with a retention rule: what past its age means, and the pass that removes it."""

    name: str
    description: str
    run: RetentionRun
    brandless: bool = False  # rows without a brand: the shortest rule of any brand applies


@dataclass(frozen=True)
class Holder:
    """A holder of personal data: the tables it answers for and how to export and erase its rows."""

    name: str
    tables: tuple[str, ...]
    export: Callable[[Session, Subject], dict[str, Any]]
    erase: Callable[[Session, Subject], dict[str, int]]
    record_types: tuple[RecordType, ...] = field(default=())


_HOLDERS: dict[str, Holder] = {}


def register_holder(holder: Holder) -> Holder:
    _HOLDERS[holder.name] = holder
    return holder


def holders() -> list[Holder]:
    return list(_HOLDERS.values())


def record_types() -> dict[str, RecordType]:
    return {t.name: t for h in _HOLDERS.values() for t in h.record_types}


def covered_tables() -> set[str]:
    return {t for h in _HOLDERS.values() for t in h.tables}


def customer_columns() -> list[tuple[Table, str]]:
    """(table, column) of every foreign key to `customers.id` in the loaded models."""
    return [
        (table, fk.parent.name)
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == Customer.__tablename__ and fk.column.name == "id"
    ]


def uncovered_tables() -> list[str]:
    """Tables that refer to a customer but belong to no holder: export and erasure would miss them."""
    covered = covered_tables()
    return sorted({t.name for t, _ in customer_columns()} - covered)


def _check_registry() -> None:
    missing = uncovered_tables()
    if missing:
        raise CxhubError(f"no personal-data holder answers for {', '.join(missing)}: refused", status=500)


def _in_house_customer(session: Session, *, customer_id: str, actor: Actor | None, doing: str) -> Customer:
    """The live customer behind this id (a merged one's survivor), for in-house staff of its brand only."""
    if actor is not None and actor.is_partner:
        raise Forbidden(f"only the brand's in-house staff {doing}")
    customer = session.get(Customer, customer_id)
    if customer is None or (
        actor is not None and actor.brand_ids is not None and customer.brand_id not in actor.brand_ids
    ):
        raise NotFound("customer")
    live = session.get(Customer, live_customer_id(session, customer.id))
    assert live is not None  # noqa: S101 - the end of a merge chain is a customer
    return live


def subject_of(session: Session, *, customer_id: str, actor: Actor | None) -> Subject:
    """The person behind this customer id, as the actor may ask: in-house staff of the brand only."""
    live = _in_house_customer(session, customer_id=customer_id, actor=actor, doing="handle privacy requests")
    ids = [live.id]
    frontier = [live.id]
    while frontier:
        frontier = [
            c for c in session.scalars(select(Customer.id).where(Customer.merged_into_id.in_(frontier))) if c not in ids
        ]
        ids.extend(frontier)
    identifiers = session.execute(
        select(CustomerIdentity.kind, CustomerIdentity.value)
        .where(CustomerIdentity.customer_id.in_(ids))
        .order_by(CustomerIdentity.first_seen_at, CustomerIdentity.id)
    ).all()
    return Subject(live.brand_id, live.id, tuple(ids), tuple((k, v) for k, v in identifiers))


def export_customer(session: Session, *, customer_id: str, actor: Actor | None) -> dict[str, Any]:
    """Everything held on the person, section by section from every holder; audited."""
    _check_registry()
    subject = subject_of(session, customer_id=customer_id, actor=actor)
    document: dict[str, Any] = {"exported_at": utcnow().isoformat(), "requested_id": customer_id}
    for holder in holders():
        document.update(holder.export(session, subject))
    record_audit(
        session,
        actor=actor,
        action="customer.exported",
        target_type="customer",
        target_id=subject.customer_id,
        detail={"customers": list(subject.customer_ids)},
    )
    return document


def erase_customer(session: Session, *, customer_id: str, reason: str, actor: Actor | None) -> dict[str, Any]:
    """Remove the person's personal data everywhere; keep anonymised facts for the metrics; audited.

    Their merges can no longer be undone: the rows an un-merge would move back hold nobody's data.
    """
    _check_registry()
    subject = subject_of(session, customer_id=customer_id, actor=actor)
    live = session.get(Customer, subject.customer_id)
    assert live is not None  # noqa: S101 - just found
    if live.erased_at is not None:
        raise Conflict(f"the customer was erased on {live.erased_at.isoformat()}")
    counts: dict[str, int] = {}
    for holder in holders():
        for table, count in holder.erase(session, subject).items():
            counts[table] = counts.get(table, 0) + count
    merges = list(
        session.scalars(
            select(CustomerMerge.id).where(
                (CustomerMerge.survivor_id.in_(subject.customer_ids))
                | (CustomerMerge.merged_id.in_(subject.customer_ids))
            )
        )
    )
    now = utcnow()
    session.execute(update(Customer).where(Customer.id.in_(subject.customer_ids)).values(erased_at=now))
    session.flush()
    session.expire_all()
    record_audit(
        session,
        actor=actor,
        action="customer.erased",
        target_type="customer",
        target_id=subject.customer_id,
        detail={
            "reason": reason,
            "customers": list(subject.customer_ids),
            "erased": counts,
            "merges_closed": merges,
            "note": "the customer was erased: these merges can no longer be undone" if merges else None,
        },
    )
    return {
        "customer_id": subject.customer_id,
        "customers": list(subject.customer_ids),
        "erased_at": now,
        "erased": counts,
    }


# -- consents ---------------------------------------------------------------------------------


def consent_history(session: Session, *, customer_id: str) -> list[CustomerConsent]:
    """Every consent row of the customer (and of customers merged into them), oldest first."""
    ids = [customer_id, *session.scalars(select(Customer.id).where(Customer.merged_into_id == customer_id))]
    return list(
        session.scalars(
            select(CustomerConsent)
            .where(CustomerConsent.customer_id.in_(ids))
            .order_by(CustomerConsent.at, CustomerConsent.id)
        )
    )


def current_consents(history: Sequence[CustomerConsent]) -> dict[str, CustomerConsent | None]:
    latest: dict[str, CustomerConsent | None] = dict.fromkeys(PURPOSES)
    for row in history:
        latest[row.purpose] = row
    return latest


def read_consents(session: Session, *, customer_id: str, actor: Actor | None) -> tuple[Customer, list[CustomerConsent]]:
    customer = _in_house_customer(session, customer_id=customer_id, actor=actor, doing="record consents")
    return customer, consent_history(session, customer_id=customer.id)


def record_consents(
    session: Session, *, customer_id: str, choices: dict[str, bool], source: str, actor: Actor | None
) -> tuple[Customer, list[CustomerConsent]]:
    """Record the purposes whose answer changed (history is kept, never rewritten); audited."""
    customer = _in_house_customer(session, customer_id=customer_id, actor=actor, doing="record consents")
    if customer.erased_at is not None:
        raise Conflict("the customer was erased: nobody is left to ask")
    unknown = sorted(set(choices) - set(PURPOSES))
    if unknown:
        raise CxhubError(f"unknown purpose {unknown[0]!r}: one of {', '.join(PURPOSES)}", status=422, field=unknown[0])
    latest = current_consents(consent_history(session, customer_id=customer.id))
    changed: dict[str, bool] = {}
    now = utcnow()
    for purpose, granted in choices.items():
        row = latest[purpose]
        if row is not None and row.granted == granted:
            continue
        session.add(
            CustomerConsent(
                brand_id=customer.brand_id,
                customer_id=customer.id,
                purpose=purpose,
                granted=granted,
                source=source,
                at=now,
                actor_user_id=actor.user_id if actor else None,
            )
        )
        changed[purpose] = granted
    session.flush()
    if changed:
        record_audit(
            session,
            actor=actor,
            action="customer.consents_changed",
            target_type="customer",
            target_id=customer.id,
            detail={"changed": changed, "source": source},
        )
    return customer, consent_history(session, customer_id=customer.id)


def consents_read(customer: Customer, history: Sequence[CustomerConsent]) -> ConsentsRead:
    current = []
    for purpose, row in current_consents(history).items():
        current.append(
            ConsentState(
                purpose=purpose,
                granted=DEFAULT_CONSENT[purpose] if row is None else row.granted,
                recorded=row is not None,
                source=row.source if row else None,
                at=row.at if row else None,
            )
        )
    return ConsentsRead(
        customer_id=customer.id,
        current=current,
        history=[ConsentRecord.model_validate(r) for r in history],
    )


def may_contact(session: Session, customer_id: str, purpose: str) -> bool:
    """Whether the customer may be asked for this purpose now: their latest answer, else the default.

    Never for an erased customer; a merged customer's answers are their survivor's.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    live = session.get(Customer, live_customer_id(session, customer_id))
    if live is None or live.erased_at is not None:
        return False
    row = current_consents(consent_history(session, customer_id=live.id))[purpose]
    return DEFAULT_CONSENT[purpose] if row is None else row.granted


# -- the customers domain's own holders ---------------------------------------------------------


def _when(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _profile(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "brand_id": c.brand_id,
        "name": c.name,
        "country": c.country,
        "language": c.language,
        "date_of_birth": _when(c.date_of_birth),
        "created_at": _when(c.created_at),
        "merged_into_id": c.merged_into_id,
        "erased_at": _when(c.erased_at),
    }


def _export_profile(session: Session, subject: Subject) -> dict[str, Any]:
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(subject.customer_ids)))}
    identities = session.scalars(
        select(CustomerIdentity)
        .where(CustomerIdentity.customer_id.in_(subject.customer_ids))
        .order_by(CustomerIdentity.first_seen_at, CustomerIdentity.id)
    )
    groups = session.execute(
        select(CustomerGroup.id, CustomerGroup.name, CustomerGroupMember.customer_id)
        .join(CustomerGroupMember, CustomerGroupMember.group_id == CustomerGroup.id)
        .where(CustomerGroupMember.customer_id.in_(subject.customer_ids))
        .order_by(CustomerGroup.position, CustomerGroup.name)
    )
    return {
        "customer": _profile(customers[subject.customer_id]),
        "merged_customers": [_profile(customers[i]) for i in subject.customer_ids[1:]],
        "identities": [
            {
                "kind": i.kind,
                "value": i.value,
                "source": i.source,
                "verified": i.verified,
                "first_seen_at": _when(i.first_seen_at),
                "last_seen_at": _when(i.last_seen_at),
                "undeliverable_at": _when(i.undeliverable_at),
                "undeliverable_reason": i.undeliverable_reason,
            }
            for i in identities
        ],
        "groups": [{"id": g, "name": name, "customer_id": c} for g, name, c in groups],
    }


def rows_changed(session: Session, statement: Any) -> int:
    """Run an UPDATE or DELETE and say how many rows it touched."""
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # CursorResult of an UPDATE or DELETE


def _erase_profile(session: Session, subject: Subject) -> dict[str, int]:
    ids = subject.customer_ids
    return {
        "customer_identities": rows_changed(
            session, delete(CustomerIdentity).where(CustomerIdentity.customer_id.in_(ids))
        ),
        "customer_group_members": rows_changed(
            session, delete(CustomerGroupMember).where(CustomerGroupMember.customer_id.in_(ids))
        ),
        "customers": rows_changed(
            session, update(Customer).where(Customer.id.in_(ids)).values(name=None, date_of_birth=None)
        ),
    }


def _erase_merges(session: Session, subject: Subject) -> dict[str, int]:
    ids = subject.customer_ids
    return {
        # the evidence of a scored pair holds both customers' fields
        "match_candidates": rows_changed(
            session,
            delete(MatchCandidate).where(MatchCandidate.customer_id_l.in_(ids) | MatchCandidate.customer_id_r.in_(ids)),
        ),
        # the survivor's fields as they were, kept only for an un-merge that can no longer happen
        "customer_merges": rows_changed(
            session,
            update(CustomerMerge)
            .where(CustomerMerge.survivor_id.in_(ids) | CustomerMerge.merged_id.in_(ids))
            .values(survivor_before={}),
        ),
    }


def _export_consents(session: Session, subject: Subject) -> dict[str, Any]:
    rows = session.scalars(
        select(CustomerConsent)
        .where(CustomerConsent.customer_id.in_(subject.customer_ids))
        .order_by(CustomerConsent.at, CustomerConsent.id)
    )
    return {
        "consents": [
            {
                "purpose": r.purpose,
                "granted": r.granted,
                "source": r.source,
                "at": _when(r.at),
                "customer_id": r.customer_id,
            }
            for r in rows
        ]
    }


def _keep(session: Session, subject: Subject) -> dict[str, int]:
    return {}  # ids, purposes and times only: kept as the record of what was asked and answered


def _export_merges(session: Session, subject: Subject) -> dict[str, Any]:
    ids = subject.customer_ids
    merges = session.scalars(
        select(CustomerMerge)
        .where(CustomerMerge.survivor_id.in_(ids) | CustomerMerge.merged_id.in_(ids))
        .order_by(CustomerMerge.at, CustomerMerge.id)
    )
    candidates = session.scalars(
        select(MatchCandidate)
        .where(MatchCandidate.customer_id_l.in_(ids) | MatchCandidate.customer_id_r.in_(ids))
        .order_by(MatchCandidate.created_at, MatchCandidate.id)
    )
    return {
        "merges": [
            {
                "id": m.id,
                "survivor_id": m.survivor_id,
                "merged_id": m.merged_id,
                "decided_by": m.decided_by,
                "match_probability": m.match_probability,
                "reason": m.reason,
                "at": _when(m.at),
                "undone_at": _when(m.undone_at),
                "undo_reason": m.undo_reason,
            }
            for m in merges
        ],
        # the other customer of a pair is somebody else: only the pair and its score are theirs to see
        "possible_duplicates": [
            {"match_probability": c.match_probability, "status": c.status, "created_at": _when(c.created_at)}
            for c in candidates
        ],
    }


def _export_audit(session: Session, subject: Subject) -> dict[str, Any]:
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.target_type == "customer", AuditEvent.target_id.in_(subject.customer_ids))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return {
        "audit": [
            {
                "at": _when(e.at),
                "action": e.action,
                "actor": e.actor_email,
                "customer_id": e.target_id,
                "detail": e.detail,
            }
            for e in events
        ]
    }


register_holder(
    Holder(
        name="profile",
        tables=(
            Customer.__tablename__,
            CustomerIdentity.__tablename__,
            CustomerGroupMember.__tablename__,
        ),
        export=_export_profile,
        erase=_erase_profile,
    )
)
register_holder(Holder(name="consents", tables=(CustomerConsent.__tablename__,), export=_export_consents, erase=_keep))
register_holder(
    Holder(
        name="merges",
        tables=(CustomerMerge.__tablename__, MatchCandidate.__tablename__),
        export=_export_merges,
        erase=_erase_merges,
    )
)
register_holder(Holder(name="audit", tables=(AuditEvent.__tablename__,), export=_export_audit, erase=_keep))


def export_html(document: dict[str, Any]) -> str:
    """The access export as one readable, printable page."""
    return templates.get_template("customers/export.html").render(doc=document)
