"""Attach contacts to customers by exact normalised identifiers. Services flush, never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.service import reveal_personal_field
from cxhub.customers import identifiers as ids
from cxhub.customers.models import Customer, CustomerIdentity
from cxhub.customers.schemas import CustomerRead, IdentityRead
from cxhub.kit.time import utcnow

Identifier = tuple[str, str]  # (kind, normalised value)
PERSONAL_FIELD_OF_KIND = {ids.EMAIL: "email", ids.PHONE: "phone"}  # other identifiers are shown like a name


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
    customer = session.get(Customer, known[0].customer_id) if known else None
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
        identities=[
            IdentityRead(
                kind=identity.kind,
                value=shown_identity(session, identity=identity, actor=actor),
                source=identity.source,
                verified=identity.verified,
                undeliverable=identity.undeliverable_at is not None,
                first_seen_at=identity.first_seen_at,
                last_seen_at=identity.last_seen_at,
            )
            for identity in identities
        ],
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
