"""The demo's customers and their contacts: e-mail, chat, calls, reviews, posts, orders and returns.

A small, fixed set (so a newcomer can follow each thread), spread over the last days and over the
three organisations, recorded through the same intake as every real source.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.conversations.models import Conversation
from cxhub.conversations.schemas import InteractionCreate, NoteCreate
from cxhub.conversations.service import add_note, assign_conversation, record_interaction
from cxhub.customers import identifiers as ids
from cxhub.customers.merge import merge_customers
from cxhub.customers.models import Customer, CustomerIdentity, MatchCandidate
from cxhub.kit.time import utcnow
from cxhub.workforce.models import Organisation

AOIFE = {"email": "aoife.kelly@example.ie", "phone": "+353 86 555 0142", "name": "Aoife Kelly", "country": "IE"}
JOAO = {"email": "joao.silva@example.pt", "name": "João Silva", "country": "PT", "language": "pt"}
MIA = {"platform": "instagram", "handle": "@mia.home", "name": "Mia Torres", "country": "AU"}
LIAM = {"seller": "Homeplace Retail", "customer_ref": "HP-20931", "name": "Liam Byrne", "email": "liam.b@example.com"}

# (hours ago, organisation or None, fields)
CONTACTS: list[tuple[float, str | None, dict[str, Any]]] = [
    (
        70,
        "Lumen Care",
        {
            "channel": "commerce",
            "external_id": "estore-1001-placed",
            "customer": AOIFE,
            "kind": "order",
            "seller": "Lumen e-store",
            "order_ref": "1001",
            "thread_ref": "estore:1001",
            "text": "Order placed: Arc floor lamp x1, 129.00 EUR",
            "metadata": {"event": "order_placed", "total": "129.00", "currency": "EUR"},
        },
    ),
    (
        52,
        "Lumen Care",
        {
            "channel": "email",
            "external_id": "<c1@example.ie>",
            "customer": AOIFE,
            "subject": "Lamp arrived broken",
            "thread_ref": "<c1@example.ie>",
            "text": "Hello, my Arc lamp arrived with a cracked shade. Can you send a new one?",
        },
    ),
    (
        50,
        "Lumen Care",
        {
            "channel": "email",
            "external_id": "<r1@lumen.example>",
            "direction": "outbound",
            "customer": AOIFE,
            "subject": "Re: Lamp arrived broken",
            "thread_ref": "<c1@example.ie>",
            "handled_by": "agent@lumen.example",
            "handle_seconds": 240,
            "text": "Sorry about that, Aoife. A new shade ships today; no need to return the old one.",
        },
    ),
    (
        30,
        "Atlantic CX",
        {
            "channel": "chat",
            "external_id": "chat-77-1",
            "customer": JOAO,
            "thread_ref": "chat-77",
            "text": "Olá, onde está a minha encomenda 2044?",
        },
    ),
    (
        29.9,
        "Atlantic CX",
        {
            "channel": "chat",
            "external_id": "chat-77-2",
            "direction": "outbound",
            "customer": JOAO,
            "thread_ref": "chat-77",
            "handled_by": "agent@atlantic.example",
            "handle_seconds": 180,
            "text": "Olá João! A encomenda 2044 sai hoje de Lisboa e chega amanhã.",
        },
    ),
    (
        20,
        "Pacific Contact",
        {
            "channel": "voice",
            "external_id": "call-5521",
            "customer": {**AOIFE},
            "handled_by": "agent@pacific.example",
            "voice": {"queue_seconds": 14, "talk_seconds": 305, "hold_seconds": 40, "wrap_seconds": 60},
            "text": "Caller asked when the replacement shade will arrive.",
        },
    ),
    (
        12,
        None,
        {
            "channel": "voice",
            "external_id": "call-5530",
            "customer": {"phone": "+61 2 5550 1234", "country": "AU"},
            "voice": {"queue_seconds": 95, "abandoned": True},
        },
    ),
    (
        9,
        None,
        {
            "channel": "social",
            "external_id": "ig-88120",
            "customer": MIA,
            "public": True,
            "url": "https://www.instagram.com/p/demo88120",
            "kind": "post",
            "text": "@lumenhome my new lamp flickers every evening, anyone else?",
        },
    ),
    (
        6,
        None,
        {
            "channel": "review",
            "external_id": "tp-5512",
            "customer": {"platform": "trustpilot", "handle": "sean_d"},
            "public": True,
            "rating": 2,
            "url": "https://www.trustpilot.com/reviews/demo5512",
            "text": "Lovely design, but delivery took three weeks.",
        },
    ),
    (
        4,
        None,
        {
            "channel": "commerce",
            "external_id": "hp-return-20931",
            "customer": LIAM,
            "kind": "return",
            "seller": "Homeplace Retail",
            "order_ref": "HP-88412",
            "thread_ref": "homeplace:HP-88412",
            "needs_answer": True,
            "text": "Return requested: Halo pendant, reason 'wrong colour'.",
        },
    ),
    (
        1,
        None,
        {
            "channel": "email",
            "external_id": "<c9@example.com>",
            "customer": LIAM,
            "subject": "Exchange for a white pendant?",
            "thread_ref": "<c9@example.com>",
            "text": "I returned the black Halo pendant at Homeplace. Can I get the white one from you instead?",
        },
    ),
]


# Aoife Kelly's other records: each arrived as a customer of its own (nothing exact ties them to her
# e-mail and phone) and identity resolution merged them into one; a look-alike waits for review.
AOIFE_RETAILER = {"seller": "Homeplace Retail", "customer_ref": "HP-31077", "name": "Aoife Kelly", "country": "IE"}
AOIFE_MARKETPLACE = {
    "seller": "Shopwave Marketplace",
    "customer_ref": "SW-7Q2K",
    "email": "k7x2q@relay.shopwave.example",
    "name": "A. Kelly",
    "country": "IE",
}
AOIFE_CHAT = {"visitor_id": "v-2f81", "name": "Aoife"}
AOIFE_LOOKALIKE = {"email": "aoife.kelley@example.com", "name": "Aoife Kelley", "country": "IE"}
AOIFE_RECORDS: list[tuple[float, str | None, dict[str, Any]]] = [
    (
        240,
        None,
        {
            "channel": "commerce",
            "external_id": "homeplace-90127-placed",
            "customer": AOIFE_RETAILER,
            "kind": "order",
            "seller": "Homeplace Retail",
            "order_ref": "HP-90127",
            "thread_ref": "homeplace:HP-90127",
            "text": "Order placed: Oak side table x1, 249.00 EUR",
            "metadata": {"event": "order_placed", "total": "249.00", "currency": "EUR"},
        },
    ),
    (
        160,
        None,
        {
            "channel": "commerce",
            "external_id": "shopwave-554-1209-placed",
            "customer": AOIFE_MARKETPLACE,
            "kind": "order",
            "seller": "Shopwave Marketplace",
            "order_ref": "554-1209",
            "thread_ref": "shopwave:554-1209",
            "text": "Order placed: Linen cushion cover x2, 39.90 EUR",
            "metadata": {"event": "order_placed", "total": "39.90", "currency": "EUR"},
        },
    ),
    (
        140,
        None,
        {
            "channel": "commerce",
            "external_id": "shopwave-554-1209-refunded",
            "customer": AOIFE_MARKETPLACE,
            "kind": "return",
            "seller": "Shopwave Marketplace",
            "order_ref": "554-1209",
            "thread_ref": "shopwave:554-1209",
            "text": "Refunded: Linen cushion cover x1, reason 'too small'.",
            "metadata": {"event": "refunded", "total": "19.95", "currency": "EUR"},
        },
    ),
    (
        26,
        "Atlantic CX",
        {
            "channel": "chat",
            "external_id": "chat-91-1",
            "customer": AOIFE_CHAT,
            "thread_ref": "chat-91",
            "text": "Hi, is the shade of the Arc lamp sold on its own?",
        },
    ),
    (
        25.9,
        "Atlantic CX",
        {
            "channel": "chat",
            "external_id": "chat-91-2",
            "direction": "outbound",
            "customer": AOIFE_CHAT,
            "thread_ref": "chat-91",
            "handled_by": "agent@atlantic.example",
            "handle_seconds": 150,
            "text": "Hello Aoife! Yes, the Arc shade is 39.00 EUR on its own.",
        },
    ),
    (
        8,
        None,
        {
            "channel": "email",
            "external_id": "<c12@example.com>",
            "customer": AOIFE_LOOKALIKE,
            "subject": "Delivery to Galway?",
            "thread_ref": "<c12@example.com>",
            "text": "Do you deliver the Oak side table to Galway?",
        },
    ),
]
# the records identity resolution merged into Aoife Kelly, with its match probability
AOIFE_MERGED = ((AOIFE_RETAILER, 0.9971), (AOIFE_MARKETPLACE, 0.9934), (AOIFE_CHAT, 0.9912))


def _record(session: Session, contacts: list[tuple[float, str | None, dict[str, Any]]]) -> None:
    now = utcnow()
    organisations = {o.name: o for o in session.scalars(select(Organisation))}
    for hours_ago, organisation, fields in contacts:
        occurred = now - dt.timedelta(hours=hours_ago)
        interaction_create = InteractionCreate.model_validate(
            {"direction": "inbound", "occurred_at": occurred.isoformat(), **fields}
        )
        recorded = record_interaction(session, interaction_create=interaction_create)
        conversation = session.get(Conversation, recorded.interaction.conversation_id)
        assert conversation is not None  # noqa: S101 - just recorded
        if organisation and conversation.organisation_id is None:
            assign_conversation(session, conversation=conversation, organisation_id=organisations[organisation].id)


def _customer_of(session: Session, customer: dict[str, Any]) -> str:
    """The customer a demo contact's first identifier found (seller reference, visitor or e-mail)."""
    if "customer_ref" in customer:
        kind, value = ids.SELLER_REF, ids.normal_seller_ref(customer["seller"], customer["customer_ref"])
    elif "visitor_id" in customer:
        kind, value = ids.VISITOR, customer["visitor_id"]
    else:
        kind, value = ids.EMAIL, ids.normal_email(customer["email"])
    found = session.scalar(
        select(CustomerIdentity.customer_id).where(CustomerIdentity.kind == kind, CustomerIdentity.value == value)
    )
    assert found is not None  # noqa: S101 - just recorded
    return found


def _one_aoife(session: Session) -> None:
    """Aoife Kelly as identity resolution leaves her: her records merged, a look-alike waiting for review."""
    aoife = _customer_of(session, {"email": AOIFE["email"]})
    for record, probability in AOIFE_MERGED:
        merge_customers(
            session,
            survivor_id=aoife,
            merged_id=_customer_of(session, record),
            decided_by="auto",
            actor=None,
            reason=f"match probability {probability:.4f}",
            match_probability=probability,
        )
    lookalike = _customer_of(session, AOIFE_LOOKALIKE)
    left, right = sorted((aoife, lookalike))
    session.add(
        MatchCandidate(
            brand_id=session.get(Customer, aoife).brand_id,  # type: ignore[union-attr]
            customer_id_l=left,
            customer_id_r=right,
            source_l="commerce" if left == aoife else "email",
            source_r="email" if left == aoife else "commerce",
            match_probability=0.87,
            match_weight=2.75,
            evidence={
                "fields": [
                    {"field": "first_name", "left": "aoife", "right": "aoife", "level": 4, "weight": 4.1},
                    {"field": "last_name", "left": "kelly", "right": "kelley", "level": 2, "weight": 1.9},
                    {"field": "email", "left": "aoife.kelly", "right": "aoife.kelley", "level": 1, "weight": 0.6},
                ]
            },
            model_version=None,
        )
    )


def load_contacts(session: Session) -> int:
    """Record the demo contacts (the caller commits); returns how many were recorded."""
    _record(session, CONTACTS)
    first = session.scalar(select(Conversation).where(Conversation.thread_ref == "<c1@example.ie>"))
    if first is not None:
        from cxhub.auth.repository import user_by_email
        from cxhub.workforce.service import actor_for_user

        lead = user_by_email(session, "lead@lumen.example")
        if lead is not None:
            add_note(
                session,
                conversation=first,
                note_create=NoteCreate(text="Replacement shade sent from the Dublin stock; no return label needed."),
                actor=actor_for_user(session, user=lead),
            )
    _record(session, AOIFE_RECORDS)
    _one_aoife(session)
    session.flush()
    return len(CONTACTS) + len(AOIFE_RECORDS)
