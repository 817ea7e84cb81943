"""Conversation jobs: telling a colleague they were mentioned in a note."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from cxhub.auth.models import User
from cxhub.config import get_settings
from cxhub.conversations.models import ConversationNote
from cxhub.jobs.service import task
from cxhub.kit.mail import send_mail


@task("conversations.notify_mention")
def notify_mention(session: Session, payload: dict[str, Any]) -> None:
    note = session.get(ConversationNote, payload["note_id"])
    user = session.get(User, payload["user_id"])
    if note is None or user is None or not user.is_active:
        return
    author = session.get(User, note.author_user_id)
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = user.email
    message["Subject"] = f"{author.name if author else 'A colleague'} mentioned you in a note"
    message.set_content(
        f"Hello {user.name},\n\n{author.name if author else 'A colleague'} wrote:\n\n{note.text}\n\n"
        f"{settings.public_url}/conversations/{note.conversation_id}\n"
    )
    send_mail(message, host=settings.smtp_host, port=settings.smtp_port, outbox=settings.mail_outbox)
