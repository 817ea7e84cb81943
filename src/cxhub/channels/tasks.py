"""Delivery of agents' replies: one job per reply, retried with backoff, failures kept on the reply."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.channels.adapter import Outbound, adapter_replying_to
from cxhub.channels.service import DELIVER_JOB, forget_old_receipts
from cxhub.config import get_settings
from cxhub.conversations.models import Attachment, Conversation, Interaction
from cxhub.jobs.service import backoff_seconds, enqueue, periodic, task
from cxhub.kit.time import utcnow

MAX_DELIVERY_ATTEMPTS = 6


@task(DELIVER_JOB)
def deliver(session: Session, payload: dict[str, Any]) -> None:
    interaction = session.get(Interaction, payload["interaction_id"])
    if interaction is None or interaction.delivery_status not in ("queued", "retrying"):
        return  # already delivered, or gone
    attempt = int(payload.get("attempt", 1))
    settings = get_settings()
    try:
        channel_adapter = adapter_replying_to(interaction.channel)
        if channel_adapter is None:
            raise LookupError(f"no adapter delivers {interaction.channel} replies")
        delivered = channel_adapter.send(_outbound(session, interaction), settings=settings)
    except Exception as exc:  # every failure is kept on the reply and retried, never lost
        interaction.delivery_error = f"attempt {attempt}: {type(exc).__name__}: {exc}"[:4000]
        if attempt >= MAX_DELIVERY_ATTEMPTS:
            interaction.delivery_status = "failed"
            return
        interaction.delivery_status = "retrying"
        enqueue(
            session,
            name=DELIVER_JOB,
            payload={"interaction_id": interaction.id, "attempt": attempt + 1},
            run_at=utcnow() + dt.timedelta(seconds=backoff_seconds(attempt)),
        )
        return
    interaction.delivery_status = delivered.status
    interaction.delivered_at = utcnow()
    interaction.delivery_error = None


def _outbound(session: Session, interaction: Interaction) -> Outbound:
    conversation = session.get(Conversation, interaction.conversation_id)
    assert conversation is not None  # noqa: S101 - a foreign key
    thread = session.scalars(
        select(Interaction.external_id)
        .where(
            Interaction.conversation_id == conversation.id,
            Interaction.channel == interaction.channel,
            Interaction.id != interaction.id,
        )
        .order_by(Interaction.occurred_at)
    ).all()
    inbound = session.scalar(
        select(Interaction.external_id)
        .where(Interaction.conversation_id == conversation.id, Interaction.direction == "inbound")
        .where(Interaction.channel == interaction.channel)
        .order_by(Interaction.occurred_at.desc())
        .limit(1)
    )
    attachments = session.scalars(select(Attachment).where(Attachment.interaction_id == interaction.id)).all()
    storage = get_settings().file_storage()
    return Outbound(
        interaction=interaction,
        conversation=conversation,
        recipient=interaction.extra.get("recipient"),
        in_reply_to=inbound,
        references=list(thread),
        attachments=[(a, storage.read(a.storage_key)) for a in attachments],
    )


@periodic("channels.forget_webhook_receipts", every_seconds=600)
def forget_webhook_receipts(session: Session, payload: dict[str, Any]) -> None:
    """Signatures older than the replay window are refused by their timestamp anyway."""
    forget_old_receipts(session)
