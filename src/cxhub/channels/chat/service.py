"""Web chat: visitors, their messages and the reads behind the live streams. Services flush, never commit.

A visitor is known by a signed pass the widget keeps; the pass names the visitor, the brand and the
chat session (the conversation's thread_ref). Messages go through the chat adapter like any inbound
payload, so an unreadable one is kept as a dead letter and can be replayed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from cxhub.channels import service as channels
from cxhub.channels.adapters.chat import external_id
from cxhub.channels.chat.schemas import (
    ChatEmailCreate,
    ChatEmailRead,
    ChatEvent,
    ChatMessagePosted,
    ChatSessionCreate,
    ChatSessionRead,
    LiveInteraction,
)
from cxhub.channels.chat.tokens import InvalidPass, VisitorPass, read_pass, sign_pass
from cxhub.conversations import service as conversations
from cxhub.conversations.models import SYSTEM, Conversation, DeadLetter, Interaction
from cxhub.customers import identifiers
from cxhub.customers.models import Customer, CustomerIdentity
from cxhub.customers.service import add_identifier, attach_customer
from cxhub.errors import Conflict, CxhubError
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow

CHANNEL = "chat"
DEAD_LETTER_SOURCE = "chat.widget"
# longer than any intake transaction: a message whose id was drawn earlier but committed later is still found
RESUME_OVERLAP = dt.timedelta(seconds=3)
BATCH = 500
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def check_pass(token: object, *, secret_key: str) -> VisitorPass:
    try:
        return read_pass(token, secret_key=secret_key)
    except InvalidPass as exc:
        raise channels.NotAuthentic(str(exc)) from exc


def _visitor_customer_id(session: Session, visitor_pass: VisitorPass) -> str | None:
    return session.scalar(
        select(CustomerIdentity.customer_id).where(
            CustomerIdentity.brand_id == visitor_pass.brand_id,
            CustomerIdentity.kind == identifiers.VISITOR,
            CustomerIdentity.value == visitor_pass.visitor_id,
        )
    )


def _email_of(session: Session, customer_id: str | None) -> str | None:
    if customer_id is None:
        return None
    return session.scalar(
        select(CustomerIdentity.value)
        .where(CustomerIdentity.customer_id == customer_id, CustomerIdentity.kind == identifiers.EMAIL)
        .order_by(CustomerIdentity.last_seen_at.desc())
        .limit(1)
    )


def start_session(session: Session, *, chat_session_create: ChatSessionCreate, secret_key: str) -> ChatSessionRead:
    """The visitor's pass and chat session: a valid pass keeps the visitor and their open conversation;
    a missing, tampered or other brand's pass starts a new visitor."""
    brand = conversations.resolve_brand(session, chat_session_create.brand)
    known: VisitorPass | None = None
    if chat_session_create.token:
        try:
            known = read_pass(chat_session_create.token, secret_key=secret_key)
        except InvalidPass:
            known = None
        if known is not None and known.brand_id != brand.id:
            known = None
    visitor_id = known.visitor_id if known else new_id()
    session_id = known.session_id if known else new_id()
    customer_id = _visitor_customer_id(session, VisitorPass(visitor_id, brand.id, session_id)) if known else None
    if customer_id is not None:
        open_conversation = session.scalar(
            select(Conversation.thread_ref)
            .where(
                Conversation.brand_id == brand.id,
                Conversation.channel == CHANNEL,
                Conversation.customer_id == customer_id,
                Conversation.status.in_(conversations.OPEN_STATUSES),
                Conversation.thread_ref.is_not(None),
            )
            .order_by(Conversation.updated_at.desc())
            .limit(1)
        )
        if open_conversation is not None:
            session_id = open_conversation
        elif _has_conversation(session, brand_id=brand.id, session_id=session_id):
            session_id = new_id()  # the last chat was closed: the next message starts a new one
    visitor_pass = VisitorPass(visitor_id=visitor_id, brand_id=brand.id, session_id=session_id)
    return ChatSessionRead(
        token=sign_pass(visitor_pass, secret_key=secret_key),
        visitor_id=visitor_id,
        session_id=session_id,
        returning=known is not None,
        email=_email_of(session, customer_id),
    )


def _has_conversation(session: Session, *, brand_id: str, session_id: str) -> bool:
    found = session.scalar(
        select(Conversation.id)
        .where(
            Conversation.brand_id == brand_id,
            Conversation.channel == CHANNEL,
            Conversation.thread_ref == session_id,
        )
        .limit(1)
    )
    return found is not None


def _decoded(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CxhubError(f"the body is not valid JSON: {exc}", status=422, field="body") from exc
    if not isinstance(body, dict):
        raise CxhubError("the body must be a JSON object", status=422, field="body")
    return body


def _earlier_message(session: Session, *, visitor_pass: VisitorPass, body: dict[str, Any]) -> ChatMessagePosted | None:
    """The message this retry repeats, if it was recorded; a reused id with another text is a conflict."""
    client_id, text = body.get("id"), body.get("text")
    if not isinstance(client_id, str) or not client_id:
        return None
    earlier = session.scalar(
        select(Interaction).where(
            Interaction.brand_id == visitor_pass.brand_id,
            Interaction.channel == CHANNEL,
            Interaction.external_id == external_id(visitor_pass, client_id),
        )
    )
    if earlier is None:
        return None
    if not isinstance(text, str) or earlier.text != text.strip():
        raise Conflict("this message id was already used for another message", field="id")
    return ChatMessagePosted(interaction_id=earlier.id, duplicate=True)


def post_message(session: Session, *, raw: bytes, secret_key: str) -> ChatMessagePosted | DeadLetter:
    """Record a visitor's message; a retry with the same id is a no-op, an unreadable one a dead letter."""
    body = _decoded(raw)
    visitor_pass = check_pass(body.get("token"), secret_key=secret_key)
    earlier = _earlier_message(session, visitor_pass=visitor_pass, body=body)
    if earlier is not None:
        return earlier
    try:
        outcome = channels.receive(
            session,
            source_key=DEAD_LETTER_SOURCE,
            adapter_name=CHANNEL,
            brand_id=visitor_pass.brand_id,
            raw=raw,
            content_type="application/json",
        )
    except Conflict:  # the same message arrived concurrently (with its own receive time) and won
        earlier = _earlier_message(session, visitor_pass=visitor_pass, body=body)
        if earlier is None:
            raise
        return earlier
    if isinstance(outcome, DeadLetter):
        return outcome
    recorded = outcome[0]
    return ChatMessagePosted(interaction_id=recorded.interaction.id, duplicate=recorded.duplicate)


def leave_email(session: Session, *, chat_email_create: ChatEmailCreate, secret_key: str) -> ChatEmailRead:
    """The visitor's e-mail for a follow-up becomes an identity of their customer profile."""
    visitor_pass = check_pass(chat_email_create.token, secret_key=secret_key)
    email = identifiers.normal_email(chat_email_create.email)
    if email is None:
        raise CxhubError("this is not an e-mail address", status=422, field="email")
    customer_id = _visitor_customer_id(session, visitor_pass)
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        customer = attach_customer(
            session,
            brand_id=visitor_pass.brand_id,
            identifiers=[(identifiers.VISITOR, visitor_pass.visitor_id)],
            source=CHANNEL,
        )
    add_identifier(session, customer=customer, identifier=(identifiers.EMAIL, email), source=CHANNEL)
    return ChatEmailRead(email=email)


def resume_floor(after: str | None) -> str | None:
    """The smallest id a stream resuming after this one must look at again: `RESUME_OVERLAP` earlier."""
    if after is None:
        return None
    value = 0
    for char in after.lower():
        position = _ALPHABET.find(char)
        if position < 0:
            raise CxhubError("not an event id", status=422, field="after")
        value = value * 32 + position
    millis = (value >> 80) - int(RESUME_OVERLAP.total_seconds() * 1000)
    value = max(millis, 0) << 80
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def _window(session: Session, statement: Select[Interaction], floor: str | None) -> Sequence[Interaction]:
    """From the floor on, oldest first; with no floor, the latest `BATCH` (a first load shows the history)."""
    if floor is not None:
        return session.scalars(statement.where(Interaction.id >= floor).order_by(Interaction.id).limit(BATCH)).all()
    return list(reversed(session.scalars(statement.order_by(Interaction.id.desc()).limit(BATCH)).all()))


def chat_events(session: Session, *, visitor_pass: VisitorPass, floor: str | None) -> list[ChatEvent]:
    """The messages of the visitor's chat session, both ways, in id order."""
    statement = (
        select(Interaction)
        .join(Conversation, Conversation.id == Interaction.conversation_id)
        .where(
            Conversation.brand_id == visitor_pass.brand_id,
            Conversation.channel == CHANNEL,
            Conversation.thread_ref == visitor_pass.session_id,
            Interaction.kind.in_(("message", SYSTEM)),
            Interaction.text.is_not(None),
        )
    )
    rows = _window(session, statement, floor)
    return [
        ChatEvent(
            id=row.id,
            client_id=row.extra.get("client_id") if row.direction == "inbound" else None,
            direction="system" if row.kind == SYSTEM else "inbound" if row.direction == "inbound" else "outbound",
            text=row.text or "",
            occurred_at=row.occurred_at,
            url=row.url if row.kind == SYSTEM else None,
            link_text=row.extra.get("link_text") if row.kind == SYSTEM else None,
        )
        for row in rows
    ]


def post_system_message(
    session: Session, *, conversation: Conversation, text: str, url: str | None = None, link_text: str | None = None
) -> Interaction:
    """A message from the hub itself into the visitor's chat (a survey's link): the widget shows it, and it is
    no agent's reply: the conversation's status, first response and last outbound time stay as they are."""
    if conversation.channel != CHANNEL:
        raise ValueError(f"a {conversation.channel} conversation has no chat to post into")
    now = utcnow()
    interaction = Interaction(
        brand_id=conversation.brand_id,
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        channel=CHANNEL,
        kind=SYSTEM,
        direction="outbound",
        external_id=f"cxhub-{new_id()}",
        body_digest="",
        occurred_at=now,
        text=text,
        url=url,
        delivery_status="sent",  # the visitor's event stream carries it, as it carries replies
        delivered_at=now,
        extra={"link_text": link_text} if link_text else {},
    )
    session.add(interaction)
    session.flush()
    return interaction


def live_interactions(session: Session, *, conversation_id: str, floor: str | None) -> list[LiveInteraction]:
    """Every interaction of one conversation, in id order (the staff live feed)."""
    statement = select(Interaction).where(Interaction.conversation_id == conversation_id)
    rows = _window(session, statement, floor)
    return [
        LiveInteraction(
            id=row.id,
            conversation_id=row.conversation_id,
            channel=row.channel,
            kind=row.kind,
            direction=row.direction,
            text=row.text,
            occurred_at=row.occurred_at,
            author_user_id=row.author_user_id,
            delivery_status=row.delivery_status,
        )
        for row in rows
    ]
