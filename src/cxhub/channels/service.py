"""Webhooks in, replies out, dead letters replayed. Services flush, never commit.

A webhook request is authentic (signed with its source's secret), fresh and seen once; its payload
is read by the source's adapter; a payload the adapter cannot read is kept as a dead letter. A reply
is recorded as an outbound interaction and its delivery is a job enqueued in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from email.utils import parseaddr

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.service import record_audit
from cxhub.channels import mailbox
from cxhub.channels.adapter import ParseError, adapter, adapter_replying_to
from cxhub.channels.models import ChannelSource, WebhookReceipt
from cxhub.channels.schemas import ChannelSourceCreate, ReplyCreate
from cxhub.channels.signatures import TOLERANCE_SECONDS, SignatureError, check_signature
from cxhub.config import get_settings
from cxhub.conversations import service as conversations
from cxhub.conversations.models import Attachment, Conversation, DeadLetter, Interaction
from cxhub.customers import identifiers
from cxhub.customers.models import CustomerIdentity
from cxhub.errors import Conflict, CxhubError, NotFound
from cxhub.jobs.service import enqueue
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow
from cxhub.workforce.models import Agent

DELIVER_JOB = "channels.deliver"


class NotAuthentic(CxhubError):
    def __init__(self, message: str) -> None:
        super().__init__(message, status=401)


def create_source(
    session: Session, *, source_create: ChannelSourceCreate, actor: Actor | None
) -> tuple[ChannelSource, str]:
    """A webhook source and its signing secret (returned once, to be given to the source)."""
    if session.scalar(select(ChannelSource.id).where(ChannelSource.name == source_create.name)):
        raise Conflict("a source with this name exists", field="name")
    brand = conversations.resolve_brand(session, source_create.brand)
    secret = secrets.token_urlsafe(32)
    source = ChannelSource(brand_id=brand.id, name=source_create.name, adapter=source_create.adapter, secret=secret)
    session.add(source)
    session.flush()
    record_audit(
        session, actor=actor, action="channel_source.created", target_type="channel_source", target_id=source.id
    )
    return source, secret


def authenticate_webhook(
    session: Session, *, source_name: str, timestamp: str | None, signature: str | None, raw: bytes
) -> ChannelSource:
    """The source, if the request is signed with its secret, fresh, and not seen before."""
    source = session.scalar(
        select(ChannelSource).where(ChannelSource.name == source_name, ChannelSource.disabled_at.is_(None))
    )
    if source is None:
        raise NotFound("webhook source")
    try:
        digest = check_signature(source.secret, timestamp=timestamp, signature=signature, body=raw, now=time.time())
    except SignatureError as exc:
        raise NotAuthentic(str(exc)) from exc
    try:
        with session.begin_nested():
            session.add(WebhookReceipt(source_id=source.id, signature=digest))
    except IntegrityError:
        raise Conflict("this request was already received (a replay)") from None
    return source


def forget_old_receipts(session: Session) -> int:
    """Receipts older than twice the replay window can go: their timestamps are refused anyway."""
    cutoff = utcnow() - dt.timedelta(seconds=2 * TOLERANCE_SECONDS)
    result = session.execute(delete(WebhookReceipt).where(WebhookReceipt.received_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def receive(
    session: Session, *, source_key: str, adapter_name: str, brand_id: str | None, raw: bytes, content_type: str | None
) -> list[conversations.Recorded] | DeadLetter:
    """Read a payload with the adapter and record every interaction in it, all or none.

    A payload that cannot be read, or holds a record that cannot be stored as it stands (an agent
    not registered yet, no usable customer identifier), is kept whole as a dead letter for a replay.
    """
    if adapter_name == "email":  # threading, attachments, auto-replies and bounces: the mailbox's work
        mail = mailbox.receive_mail(session, raw=raw, brand=brand_id, settings=get_settings(), source_key=source_key)
        return mail if isinstance(mail, DeadLetter) else [mail.recorded] if mail.recorded else []
    recorded = []
    try:
        items = adapter(adapter_name).parse_inbound(raw, content_type=content_type)
        with session.begin_nested():
            for position, interaction_create in enumerate(items):
                if brand_id is not None:
                    interaction_create = interaction_create.model_copy(update={"brand": brand_id})
                try:
                    recorded.append(conversations.record_interaction(session, interaction_create=interaction_create))
                except CxhubError as exc:
                    if exc.status != 422:
                        raise
                    raise ParseError(f"record {position}: {exc.field or 'record'}: {exc.message}") from exc
    except ParseError as exc:
        return conversations.keep_dead_letter(
            session, source=source_key, content_type=content_type, raw=raw, reason=str(exc)
        )
    return recorded


def replay_dead_letter(session: Session, *, dead_letter_id: str, actor: Actor | None) -> DeadLetter:
    """Parse a kept payload again (after a fix) and record what it holds; the outcome is kept on it."""
    dead_letter = session.get(DeadLetter, dead_letter_id)
    if dead_letter is None:
        raise NotFound("dead letter")
    adapter_name, brand_id = _replay_target(session, dead_letter.source)
    try:
        with session.begin_nested():
            outcome = receive(
                session,
                source_key=dead_letter.source,
                adapter_name=adapter_name,
                brand_id=brand_id,
                raw=dead_letter.raw,
                content_type=dead_letter.content_type,
            )
            if isinstance(outcome, DeadLetter):
                raise ParseError(outcome.reason)
        dead_letter.replay_result = f"recorded {len(outcome)} interaction(s)"
    except (ParseError, CxhubError) as exc:
        dead_letter.replay_result = f"failed again: {exc}"
    dead_letter.replayed_at = utcnow()
    record_audit(
        session, actor=actor, action="dead_letter.replayed", target_type="dead_letter", target_id=dead_letter.id
    )
    session.flush()
    return dead_letter


def _replay_target(session: Session, source_key: str) -> tuple[str, str | None]:
    """(adapter, brand) that read payloads of this dead-letter source."""
    kind, _, name = source_key.partition(".")
    if kind == "webhook":
        source = session.scalar(select(ChannelSource).where(ChannelSource.name == name))
        if source is None:
            raise CxhubError("the webhook source of this dead letter no longer exists", status=422)
        return source.adapter, source.brand_id
    if kind == "smtp":
        return "email", None
    if kind == "chat":
        return "chat", None  # the visitor pass inside names the brand
    return "api", None


def reply(session: Session, *, conversation: Conversation, reply_create: ReplyCreate, actor: Actor) -> Interaction:
    """Record an agent's reply and enqueue its delivery through the conversation's channel."""
    if actor.is_partner and conversation.organisation_id != actor.organisation_id:
        raise CxhubError("this conversation has left your organisation: you can read it, not answer it", status=403)
    channel, recipient = _reply_route(session, conversation, reply_create)
    now = utcnow()
    agent_id = session.scalar(select(Agent.id).where(Agent.user_id == actor.user_id))
    interaction = Interaction(
        brand_id=conversation.brand_id,
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        channel=channel,
        kind="message",
        direction="outbound",
        external_id=_outbound_id(channel),
        body_digest="",
        occurred_at=now,
        subject=_reply_subject(conversation.subject),
        text=reply_create.text,
        html=reply_create.html,
        handled_by_agent_id=agent_id,
        author_user_id=actor.user_id,
        handle_seconds=reply_create.handle_seconds,
        url=reply_create.public_url,
        public=True if reply_create.public_url else None,
        delivery_status="queued",
        extra={"recipient": recipient} if recipient else {},
    )
    session.add(interaction)
    session.flush()
    _attach_files(session, interaction=interaction, attachment_ids=reply_create.attachment_ids)
    if conversation.first_response_at is None:
        conversation.first_response_at = now
    conversation.last_outbound_at = now
    conversation.updated_at = now
    if reply_create.public_url:
        conversation.needs_public_answer = False
    status = reply_create.status or ("open" if conversation.status == "new" else conversation.status)
    conversations.record_status(session, conversation=conversation, status=status, at=now, user_id=actor.user_id)
    enqueue(session, name=DELIVER_JOB, payload={"interaction_id": interaction.id, "attempt": 1})
    session.flush()
    return interaction


def _reply_route(session: Session, conversation: Conversation, reply_create: ReplyCreate) -> tuple[str, str | None]:
    """The channel a reply travels on and its recipient: the conversation's own, or e-mail when it has none."""
    if conversation.channel in ("social", "review"):
        if not reply_create.public_url:
            raise CxhubError("answer in public, then give the answer's URL", status=422, field="public_url")
        return conversation.channel, reply_create.public_url
    if adapter_replying_to(conversation.channel) is not None and conversation.channel != "email":
        return conversation.channel, conversation.thread_ref
    email = session.scalar(
        select(CustomerIdentity.value)
        .where(
            CustomerIdentity.customer_id == conversation.customer_id,
            CustomerIdentity.kind == identifiers.EMAIL,
            CustomerIdentity.undeliverable_at.is_(None),
        )
        .order_by(CustomerIdentity.last_seen_at.desc())
        .limit(1)
    )
    if email is None:
        raise CxhubError(
            f"a {conversation.channel} conversation takes no replies from the hub, and the customer has no"
            " deliverable e-mail address",
            status=422,
            field="text",
        )
    return "email", email


def _outbound_id(channel: str) -> str:
    """A Message-ID in the domain of the reply address (an e-mail reply), or a channel's own id."""
    if channel != "email":
        return f"cxhub-{new_id()}"
    settings = get_settings()
    domain = parseaddr(settings.mail_reply_from or settings.mail_from)[1].rpartition("@")[2] or "cxhub"
    return f"<{new_id()}@{domain}>"


def _reply_subject(subject: str | None) -> str | None:
    if not subject:
        return None
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _attach_files(session: Session, *, interaction: Interaction, attachment_ids: list[str]) -> None:
    for attachment_id in attachment_ids:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None or attachment.conversation_id != interaction.conversation_id:
            raise CxhubError("no such attachment on this conversation", status=422, field="attachment_ids")
        attachment.interaction_id = interaction.id
