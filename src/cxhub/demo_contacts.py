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


def load_contacts(session: Session) -> int:
    """Record the demo contacts (the caller commits); returns how many were recorded."""
    now = utcnow()
    organisations = {o.name: o for o in session.scalars(select(Organisation))}
    for hours_ago, organisation, fields in CONTACTS:
        occurred = now - dt.timedelta(hours=hours_ago)
        interaction_create = InteractionCreate.model_validate(
            {"direction": "inbound", "occurred_at": occurred.isoformat(), **fields}
        )
        recorded = record_interaction(session, interaction_create=interaction_create)
        conversation = session.get(Conversation, recorded.interaction.conversation_id)
        assert conversation is not None  # noqa: S101 - just recorded
        if organisation and conversation.organisation_id is None:
            assign_conversation(session, conversation=conversation, organisation_id=organisations[organisation].id)
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
    session.flush()
    return len(CONTACTS)
