"""Attach contacts to customers by exact normalised identifiers. Services flush, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import bindparam, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.service import reveal_personal_field
from cxhub.customers import identifiers as ids
from cxhub.customers.models import Customer, CustomerGroup, CustomerGroupMember, CustomerIdentity
from cxhub.customers.schemas import CustomerGroupCreate, CustomerGroupRead, CustomerRead, IdentityRead
from cxhub.errors import Conflict, CxhubError, Forbidden
from cxhub.kit.bulkload import insert_rows, one_of
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow
from cxhub.workforce.models import Agent, Brand, Team

Identifier = tuple[str, str]  # (kind, normalised value)
PERSONAL_FIELD_OF_KIND = {ids.EMAIL: "email", ids.PHONE: "phone"}  # other identifiers are shown like a name
T = TypeVar("T")
_customers = Customer.metadata.tables[Customer.__tablename__]
_identities = CustomerIdentity.metadata.tables[CustomerIdentity.__tablename__]


def attach_customer(
    session: Session,
    *,
    brand_id: str,
    identifiers: Sequence[Identifier],
    source: str,
    name: str | None = None,
    country: str | None = None,
    language: str | None = None,
) -> Customer:
    """The customer known by any of these identifiers, or a new one; unknown identifiers are added to them."""
    if not identifiers:
        raise ValueError("a customer needs at least one identifier")
    for _ in range(3):  # a concurrent intake may add the same identifier first; then it is found
        try:
            with session.begin_nested():
                return _attach(session, brand_id, identifiers, source, name, country, language)
        except IntegrityError:
            continue
    return _attach(session, brand_id, identifiers, source, name, country, language)


def _attach(
    session: Session,
    brand_id: str,
    identifiers: Sequence[Identifier],
    source: str,
    name: str | None,
    country: str | None,
    language: str | None,
) -> Customer:
    now = utcnow()
    known = session.scalars(
        select(CustomerIdentity)
        .where(CustomerIdentity.brand_id == brand_id)
        .where(or_(tuple_(CustomerIdentity.kind, CustomerIdentity.value).in_(list(identifiers))))
        .order_by(CustomerIdentity.first_seen_at)
    ).all()
    customer = _held(session, known[0].customer_id) if known else None
    while customer is not None and customer.merged_into_id is not None:
        customer = _held(session, customer.merged_into_id)  # a merge ran while this identity was read
    if customer is None:
        customer = Customer(brand_id=brand_id, name=name, country=country, language=language)
        session.add(customer)
        session.flush()
    else:
        customer.name = customer.name or name
        customer.country = customer.country or country
        customer.language = customer.language or language
    seen = {(identity.kind, identity.value) for identity in known}
    for identity in known:
        identity.last_seen_at = now
    for kind, value in dict.fromkeys(identifiers):
        if (kind, value) not in seen:
            session.add(
                CustomerIdentity(
                    brand_id=brand_id,
                    customer_id=customer.id,
                    kind=kind,
                    value=value,
                    source=source,
                    first_seen_at=now,
                    last_seen_at=now,
                )
            )
    session.flush()
    return customer


def _held(session: Session, customer_id: str) -> Customer | None:
    """The customer as it is now, share-locked on PostgreSQL until commit.

    A merge locks both customers FOR UPDATE: it waits for this intake to commit (and then moves what
    it wrote), or this read waits for the merge and sees the customer merged, and follows it.
    """
    query = select(Customer).where(Customer.id == customer_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True, key_share=True)  # FOR KEY SHARE
    return session.scalar(query)


def add_identifier(
    session: Session, *, customer: Customer, identifier: Identifier, source: str
) -> CustomerIdentity | None:
    """Give this customer one more identifier (an e-mail left in a chat ...).

    None when another customer of the brand already holds it: merging profiles is identity
    resolution's decision, never a side effect of a typed-in address.
    """
    kind, value = identifier
    for _ in range(2):  # a concurrent intake may add the same identifier first; then it is found
        held = session.scalar(
            select(CustomerIdentity).where(
                CustomerIdentity.brand_id == customer.brand_id,
                CustomerIdentity.kind == kind,
                CustomerIdentity.value == value,
            )
        )
        if held is not None:
            if held.customer_id != customer.id:
                return None
            held.last_seen_at = utcnow()
            session.flush()
            return held
        try:
            with session.begin_nested():
                now = utcnow()
                identity = CustomerIdentity(
                    brand_id=customer.brand_id,
                    customer_id=customer.id,
                    kind=kind,
                    value=value,
                    source=source,
                    first_seen_at=now,
                    last_seen_at=now,
                )
                session.add(identity)
                session.flush()
                return identity
        except IntegrityError:
            continue
    return None


def shown_identity(session: Session, *, identity: CustomerIdentity, actor: Actor) -> str | None:
    """An identifier as the actor's data policy allows (a partner's unmasked read is audited)."""
    personal_field = PERSONAL_FIELD_OF_KIND.get(identity.kind, "name")
    if personal_field == "name" and actor.visibility("name") == "masked":
        return f"{identity.value[:1]}***"  # a handle or a seller's reference, masked like a name
    return reveal_personal_field(
        session,
        actor=actor,
        value=identity.value,
        personal_field=personal_field,
        subject_type="customer",
        subject_id=identity.customer_id,
    )


def shown_name(session: Session, *, customer: Customer, actor: Actor) -> str | None:
    return reveal_personal_field(
        session,
        actor=actor,
        value=customer.name,
        personal_field="name",
        subject_type="customer",
        subject_id=customer.id,
    )


def identity_read(session: Session, *, identity: CustomerIdentity, actor: Actor) -> IdentityRead:
    """One identifier with where and when it was seen, its value as the actor's data policy allows."""
    return IdentityRead(
        kind=identity.kind,
        value=shown_identity(session, identity=identity, actor=actor),
        source=identity.source,
        verified=identity.verified,
        undeliverable=identity.undeliverable_at is not None,
        first_seen_at=identity.first_seen_at,
        last_seen_at=identity.last_seen_at,
    )


def customer_read(session: Session, *, customer: Customer, actor: Actor) -> CustomerRead:
    """The customer with every identifier, each as the actor's data policy allows."""
    identities = session.scalars(
        select(CustomerIdentity)
        .where(CustomerIdentity.customer_id == customer.id)
        .order_by(CustomerIdentity.first_seen_at)
    ).all()
    return CustomerRead(
        id=customer.id,
        brand_id=customer.brand_id,
        name=shown_name(session, customer=customer, actor=actor),
        country=customer.country,
        language=customer.language,
        created_at=customer.created_at,
        identities=[identity_read(session, identity=identity, actor=actor) for identity in identities],
    )


def mark_undeliverable(session: Session, *, brand_id: str, email: str, reason: str) -> int:
    """A bounced address: the hub stops sending to it. Returns the identities marked (0 if unknown or marked)."""
    value = ids.normal_email(email)
    if value is None:
        return 0
    identities = session.scalars(
        select(CustomerIdentity).where(
            CustomerIdentity.brand_id == brand_id,
            CustomerIdentity.kind == ids.EMAIL,
            CustomerIdentity.value == value,
            CustomerIdentity.undeliverable_at.is_(None),
        )
    ).all()
    for identity in identities:
        identity.undeliverable_at = utcnow()
        identity.undeliverable_reason = reason[:500]
    session.flush()
    return len(identities)


class Contact(NamedTuple):
    """One contact to attach: the identifiers it came with and what it says about the customer."""

    brand_id: str
    identifiers: Sequence[Identifier]
    source: str
    name: str | None = None
    country: str | None = None
    language: str | None = None


@dataclass
class _Known:
    id: str
    customer_id: str
    first_seen: tuple[dt.datetime, int]
    stored: bool


def attach_customers(session: Session, *, contacts: Sequence[Contact], chunk: int = 2000) -> list[str]:
    """The customer id of each contact, in order: what `attach_customer` gives called once per contact.

    Reads the identities (one query per brand and kind of identifier) and their customers, and
    writes with at most four executemany statements for the whole batch.
    A concurrent intake that adds the same identifier first makes the insert fail (IntegrityError):
    the caller retries one by one.
    """
    now = utcnow()
    wanted = {(c.brand_id, kind, value) for c in contacts for kind, value in c.identifiers}
    known: dict[tuple[str, str, str], _Known] = {}
    by_kind: dict[tuple[str, str], list[str]] = {}
    for brand_id, kind, value in sorted(wanted):
        by_kind.setdefault((brand_id, kind), []).append(value)
    for (brand_id, kind), values in by_kind.items():  # equality on the index's first columns: index lookups
        for values_part in _chunks(values, chunk):
            rows = session.execute(
                select(
                    CustomerIdentity.id,
                    CustomerIdentity.brand_id,
                    CustomerIdentity.kind,
                    CustomerIdentity.value,
                    CustomerIdentity.customer_id,
                    CustomerIdentity.first_seen_at,
                ).where(
                    CustomerIdentity.brand_id == brand_id,
                    CustomerIdentity.kind == kind,
                    one_of(session, CustomerIdentity.value, values_part),
                )
            )
            for row in rows:
                known[(row.brand_id, row.kind, row.value)] = _Known(
                    row.id, row.customer_id, (row.first_seen_at, 0), True
                )
    profiles: dict[str, dict[str, Any]] = {}
    for ids_part in _chunks(list({k.customer_id for k in known.values()}), chunk):
        for customer in session.execute(
            select(Customer.id, Customer.name, Customer.country, Customer.language).where(
                one_of(session, Customer.id, ids_part)
            )
        ):
            profiles[customer.id] = {
                "id": customer.id,
                "name": customer.name,
                "country": customer.country,
                "language": customer.language,
            }
    stored = set(profiles)
    new_customers: list[dict[str, Any]] = []
    new_identities: list[dict[str, Any]] = []
    filled: set[str] = set()
    seen_again: set[str] = set()
    found: list[str] = []
    for sequence, contact in enumerate(contacts, start=1):
        if not contact.identifiers:
            raise ValueError("a customer needs at least one identifier")
        keys = [(contact.brand_id, kind, value) for kind, value in dict.fromkeys(contact.identifiers)]
        matches = sorted((known[key] for key in keys if key in known), key=lambda k: k.first_seen)
        if matches:
            profile = profiles[matches[0].customer_id]
            before = (profile["name"], profile["country"], profile["language"])
            profile["name"] = profile["name"] or contact.name
            profile["country"] = profile["country"] or contact.country
            profile["language"] = profile["language"] or contact.language
            if profile["id"] in stored and (profile["name"], profile["country"], profile["language"]) != before:
                filled.add(profile["id"])
            seen_again.update(k.id for k in matches if k.stored)
        else:
            profile = {
                "id": new_id(),
                "brand_id": contact.brand_id,
                "name": contact.name,
                "country": contact.country,
                "language": contact.language,
                "created_at": now,
            }
            profiles[profile["id"]] = profile
            new_customers.append(profile)
        for key in keys:
            if key not in known:
                identity_id = new_id()
                known[key] = _Known(identity_id, profile["id"], (now, sequence), False)
                new_identities.append(
                    {
                        "id": identity_id,
                        "brand_id": contact.brand_id,
                        "customer_id": profile["id"],
                        "kind": key[1],
                        "value": key[2],
                        "source": contact.source,
                        "verified": False,
                        "first_seen_at": now,
                        "last_seen_at": now,
                    }
                )
        found.append(profile["id"])
    # rows in key order, so that two batches at once wait for each other rather than deadlock
    insert_rows(session, _customers, new_customers)
    new_identities.sort(key=lambda i: (i["brand_id"], i["kind"], i["value"]))
    insert_rows(session, _identities, new_identities)
    if filled:
        session.execute(update(Customer), [profiles[customer_id] for customer_id in sorted(filled)])
    if seen_again:
        session.execute(
            update(_identities).where(_identities.c.id == bindparam("identity_id")).values(last_seen_at=now),
            [{"identity_id": identity_id} for identity_id in sorted(seen_again)],
        )
    return found


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _brand_of(session: Session, actor: Actor | None, brand_id: str | None) -> str:
    if brand_id is None:
        brands = session.scalars(select(Brand.id).limit(2)).all()
        if len(brands) != 1:
            raise CxhubError("name the brand: this hub serves several (or none yet)", status=422, field="brand_id")
        brand_id = brands[0]
    if session.get(Brand, brand_id) is None or (
        actor is not None and actor.brand_ids is not None and brand_id not in actor.brand_ids
    ):
        raise CxhubError("unknown brand", status=422, field="brand_id")
    return brand_id


def create_group(session: Session, *, group_create: CustomerGroupCreate, actor: Actor | None) -> CustomerGroup:
    """A group of customers with a named owner (an agent, an account team, or both)."""
    if actor is not None and actor.is_partner:
        raise Forbidden("only the brand's own organisation names account owners")
    brand_id = _brand_of(session, actor, group_create.brand_id)
    if group_create.owner_agent_id and session.get(Agent, group_create.owner_agent_id) is None:
        raise CxhubError("no such agent", status=422, field="owner_agent_id")
    if group_create.owner_team_id and session.get(Team, group_create.owner_team_id) is None:
        raise CxhubError("no such team", status=422, field="owner_team_id")
    listed = set(group_create.customer_ids)
    found = (
        set(session.scalars(select(Customer.id).where(Customer.id.in_(listed), Customer.brand_id == brand_id)))
        if listed
        else set()
    )
    if missing := sorted(listed - found):
        raise CxhubError(f"no such customer of this brand: {missing[0]}", status=422, field="customer_ids")
    group = CustomerGroup(brand_id=brand_id, **group_create.model_dump(exclude={"brand_id", "customer_ids"}))
    session.add(group)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("this brand has a group with this name", field="name") from exc
    session.add_all(CustomerGroupMember(group_id=group.id, customer_id=c) for c in sorted(listed))
    session.flush()
    return group


def group_reads(session: Session, *, groups: Sequence[CustomerGroup]) -> list[CustomerGroupRead]:
    members: dict[str, list[str]] = {g.id: [] for g in groups}
    if groups:
        for group_id, customer_id in session.execute(
            select(CustomerGroupMember.group_id, CustomerGroupMember.customer_id)
            .where(CustomerGroupMember.group_id.in_(list(members)))
            .order_by(CustomerGroupMember.customer_id)
        ):
            members[group_id].append(customer_id)
    return [
        CustomerGroupRead.model_validate(
            {
                **{k: getattr(g, k) for k in CustomerGroupRead.model_fields if k != "customer_ids"},
                "customer_ids": members[g.id],
            }
        )
        for g in groups
    ]


def delete_group(session: Session, *, group: CustomerGroup, actor: Actor) -> None:
    if actor.is_partner:
        raise Forbidden("only the brand's own organisation names account owners")
    session.delete(group)
    session.flush()
