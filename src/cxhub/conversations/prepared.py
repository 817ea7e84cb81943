"""An interaction made ready for the store, without the database.

Everything intake derives from the payload alone (the digest that idempotency compares, the
customer's normalised identifiers, the stored columns, how the interaction moves its conversation)
is computed here, once. A `Prepared` is a tuple of plain values, so an importer can prepare in one
process and store in another at little cost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, NamedTuple

from cxhub.conversations.schemas import InteractionCreate
from cxhub.customers import identifiers as ids
from cxhub.customers.service import Identifier

NO_ANSWER_CHANNELS = ("commerce",)  # order and return events sit on the timeline; nobody answers them
DEFAULT_KINDS = {
    "voice": "call",
    "voicemail": "voicemail",
    "review": "review",
    "social": "post",
    "commerce": "order",
}
NO_IDENTIFIER = "no usable customer identifier (check the e-mail or phone)"


class Prepared(NamedTuple):
    brand: str | None
    channel: str
    external_id: str
    thread_ref: str | None
    direction: str
    occurred_at: dt.datetime
    subject: str | None
    public: bool | None
    needs_answer: bool | None  # as given: an explicit yes flags the conversation it joins
    opens_needing_answer: bool  # a conversation this interaction opens waits for an answer
    handled_by: str | None
    identifiers: tuple[Identifier, ...]  # empty: no usable identifier, the interaction is refused
    customer_name: str | None
    customer_country: str | None
    customer_language: str | None
    digest: str
    values: dict[str, Any]  # the stored interaction's columns that the payload alone decides


def prepare(interaction_create: InteractionCreate) -> Prepared:
    customer = interaction_create.customer
    return Prepared(
        brand=interaction_create.brand,
        channel=interaction_create.channel,
        external_id=interaction_create.external_id,
        thread_ref=interaction_create.thread_ref,
        direction=interaction_create.direction,
        occurred_at=interaction_create.occurred_at,
        subject=interaction_create.subject,
        public=interaction_create.public,
        needs_answer=interaction_create.needs_answer,
        opens_needing_answer=needs_answer(interaction_create),
        handled_by=interaction_create.handled_by,
        identifiers=customer_identifiers(interaction_create),
        customer_name=customer.name,
        customer_country=customer.country,
        customer_language=customer.language,
        digest=digest(interaction_create),
        values={
            "channel": interaction_create.channel,
            "kind": interaction_kind(interaction_create),
            "direction": interaction_create.direction,
            "external_id": interaction_create.external_id,
            "occurred_at": interaction_create.occurred_at,
            "subject": interaction_create.subject,
            "text": interaction_create.text,
            "html": interaction_create.html,
            "seller": interaction_create.seller,
            "order_ref": interaction_create.order_ref,
            "rating": interaction_create.rating,
            "voice": interaction_create.voice.model_dump() if interaction_create.voice else None,
            "handle_seconds": handle_seconds(interaction_create),
            "platform": customer.platform,
            "url": interaction_create.url,
            "public": interaction_create.public,
            "extra": interaction_create.metadata,
        },
    )


def digest(interaction_create: InteractionCreate) -> str:
    canonical = json.dumps(interaction_create.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def customer_identifiers(interaction_create: InteractionCreate) -> tuple[Identifier, ...]:
    """The customer's identifiers, normalised; none when none is usable."""
    customer = interaction_create.customer
    found: list[Identifier] = []
    if customer.email and (email := ids.normal_email(customer.email)):
        found.append((ids.EMAIL, email))
    if customer.phone and (phone := ids.normal_phone(customer.phone, customer.country)):
        found.append((ids.PHONE, phone))
    if customer.platform and customer.handle and (social := ids.normal_social(customer.platform, customer.handle)):
        found.append((ids.SOCIAL, social))
    if customer.seller and customer.customer_ref:
        seller_ref = ids.normal_seller_ref(customer.seller, customer.customer_ref)
        if seller_ref:
            found.append((ids.SELLER_REF, seller_ref))
    if customer.visitor_id and customer.visitor_id.strip():
        found.append((ids.VISITOR, customer.visitor_id.strip()))
    return tuple(found)


def needs_answer(interaction_create: InteractionCreate) -> bool:
    if interaction_create.needs_answer is not None:
        return interaction_create.needs_answer
    if interaction_create.metadata.get("needs_answer") is True:  # the first release's spelling
        return True
    return interaction_create.channel not in NO_ANSWER_CHANNELS


def interaction_kind(interaction_create: InteractionCreate) -> str:
    return interaction_create.kind or DEFAULT_KINDS.get(interaction_create.channel, "message")


def handle_seconds(interaction_create: InteractionCreate) -> float | None:
    """Agent working time as recorded, or for a call talk + hold + after-call work."""
    if interaction_create.handle_seconds is not None:
        return interaction_create.handle_seconds
    voice = interaction_create.voice
    if voice is not None and not voice.abandoned:
        return voice.talk_seconds + voice.hold_seconds + voice.wrap_seconds
    return None
