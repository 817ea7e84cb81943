"""Inbound e-mail: threading, attachments, auto-replies and bounces. Services flush, never commit.

A message joins the conversation of any message it references (ours or the customer's), else the
same customer's open e-mail conversation with the same subject, else a new one. Auto-replies are
never recorded (so never answered); a bounce marks the failed address undeliverable. The same
Message-ID twice is one message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.channels.adapter import ParseError
from cxhub.channels.adapters.email import InboundMail, MailAttachment, normal_subject, read_mail
from cxhub.config import Settings
from cxhub.conversations import service as conversations
from cxhub.conversations.models import Conversation, DeadLetter, Interaction
from cxhub.customers import identifiers as ids
from cxhub.customers.models import CustomerIdentity
from cxhub.customers.service import mark_undeliverable
from cxhub.errors import Conflict, CxhubError

CHANNEL = "email"
SUBJECT_CANDIDATES = 50  # a customer's open e-mail conversations compared by subject


@dataclass(frozen=True)
class MailOutcome:
    kind: str  # recorded | duplicate | auto_reply | bounce
    recorded: conversations.Recorded | None = None
    undeliverable: list[str] = field(default_factory=list)
    note: str | None = None


def receive_mail(
    session: Session, *, raw: bytes, brand: str | None, settings: Settings, source_key: str = "smtp"
) -> MailOutcome | DeadLetter:
    """Record one raw message; one that cannot be read or recorded is kept as a dead letter."""
    try:
        mail = read_mail(raw)
        with session.begin_nested():
            return _apply(session, mail=mail, brand=brand, settings=settings)
    except (ParseError, CxhubError) as exc:
        reason = exc.message if isinstance(exc, CxhubError) else str(exc)
        return conversations.keep_dead_letter(
            session, source=source_key, content_type="message/rfc822", raw=raw, reason=reason
        )


def _apply(session: Session, *, mail: InboundMail, brand: str | None, settings: Settings) -> MailOutcome:
    brand_id = conversations.resolve_brand(session, brand).id
    if mail.kind == "bounce":
        return _bounce(session, brand_id=brand_id, mail=mail)
    if mail.kind == "auto_reply" or mail.interaction_create is None:
        return MailOutcome("auto_reply", note=mail.automated_because)
    existing = _interaction(session, brand_id=brand_id, external_id=mail.message_id)
    if existing is not None:
        return MailOutcome("duplicate", conversations.Recorded(existing, duplicate=True))
    accepted, refused = _checked_attachments(mail.attachments, settings)
    email_metadata = {**mail.interaction_create.metadata.get("email", {})}
    if refused:
        email_metadata["refused_attachments"] = refused
    interaction_create = mail.interaction_create.model_copy(
        update={
            "brand": brand_id,
            "thread_ref": _thread_ref(session, brand_id=brand_id, mail=mail),
            "metadata": {**mail.interaction_create.metadata, "email": email_metadata},
        }
    )
    try:
        recorded = conversations.record_interaction(session, interaction_create=interaction_create)
    except Conflict:  # the same Message-ID arrived at the same time by another connection, and won
        existing = _interaction(session, brand_id=brand_id, external_id=mail.message_id)
        if existing is None:
            raise
        return MailOutcome("duplicate", conversations.Recorded(existing, duplicate=True))
    if recorded.duplicate:
        return MailOutcome("duplicate", recorded)
    conversation = session.get_one(Conversation, recorded.interaction.conversation_id)
    storage = settings.file_storage()
    for attachment in accepted:
        conversations.store_attachment(
            session,
            conversation=conversation,
            filename=attachment.filename,
            content_type=attachment.content_type,
            data=attachment.data,
            storage=storage,
            settings=settings,
            interaction_id=recorded.interaction.id,
        )
    return MailOutcome("recorded", recorded)


def _interaction(session: Session, *, brand_id: str, external_id: str) -> Interaction | None:
    return session.scalar(
        select(Interaction).where(
            Interaction.brand_id == brand_id,
            Interaction.channel == CHANNEL,
            Interaction.external_id == external_id,
        )
    )


def _thread_ref(session: Session, *, brand_id: str, mail: InboundMail) -> str:
    """The thread the message belongs to: by the ids it references, else by subject, else its own."""
    if mail.references:
        referenced = session.execute(
            select(Conversation.thread_ref)
            .join(Interaction, Interaction.conversation_id == Conversation.id)
            .where(
                Interaction.brand_id == brand_id,
                Interaction.channel == CHANNEL,
                Interaction.external_id.in_(mail.references[:100]),
                Conversation.thread_ref.is_not(None),
            )
            .order_by(Interaction.occurred_at.desc())
            .limit(1)
        ).scalar()
        if referenced:
            return referenced
    subject = normal_subject(mail.subject)
    sender = ids.normal_email(mail.sender or "")
    if subject and sender:
        customer_id = session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.brand_id == brand_id,
                CustomerIdentity.kind == ids.EMAIL,
                CustomerIdentity.value == sender,
            )
        )
        if customer_id is not None:
            candidates = session.execute(
                select(Conversation.thread_ref, Conversation.subject)
                .where(
                    Conversation.brand_id == brand_id,
                    Conversation.customer_id == customer_id,
                    Conversation.channel == CHANNEL,
                    Conversation.status.in_(conversations.OPEN_STATUSES),
                    Conversation.thread_ref.is_not(None),
                )
                .order_by(Conversation.updated_at.desc())
                .limit(SUBJECT_CANDIDATES)
            ).all()
            for thread_ref, conversation_subject in candidates:
                if thread_ref and normal_subject(conversation_subject) == subject:
                    return str(thread_ref)
    return mail.message_id


def _checked_attachments(
    attachments: list[MailAttachment], settings: Settings
) -> tuple[list[MailAttachment], list[dict[str, object]]]:
    """The files the attachment rules accept, and a note of each one refused (the mail is still recorded)."""
    accepted: list[MailAttachment] = []
    refused: list[dict[str, object]] = []
    for attachment in attachments:
        try:
            conversations.check_attachment(
                filename=attachment.filename,
                content_type=attachment.content_type,
                data=attachment.data,
                settings=settings,
            )
        except CxhubError as exc:
            refused.append(
                {
                    "filename": attachment.filename,
                    "content_type": attachment.content_type,
                    "size": len(attachment.data),
                    "reason": exc.message,
                }
            )
            continue
        accepted.append(attachment)
    return accepted, refused


def _bounce(session: Session, *, brand_id: str, mail: InboundMail) -> MailOutcome:
    marked: list[str] = []
    for failed in mail.failed_recipients:
        reason = f"{failed.status} {failed.diagnostic or ''}".strip()
        if mark_undeliverable(session, brand_id=brand_id, email=failed.address, reason=reason):
            marked.append(failed.address)
    if mail.bounced_message_id:
        reply = session.scalar(
            select(Interaction).where(
                Interaction.brand_id == brand_id,
                Interaction.channel == CHANNEL,
                Interaction.direction == "outbound",
                Interaction.external_id == mail.bounced_message_id,
            )
        )
        if reply is not None:
            reasons = "; ".join(f"{f.address}: {f.status} {f.diagnostic or ''}".strip() for f in mail.failed_recipients)
            conversations.record_bounce(session, interaction=reply, reason=reasons or mail.subject or "returned")
    return MailOutcome("bounce", undeliverable=marked, note=mail.automated_because)
