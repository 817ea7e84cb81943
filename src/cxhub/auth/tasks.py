"""Jobs of the auth domain."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from cxhub.auth.models import User
from cxhub.auth.service import issue_password_reset
from cxhub.config import get_settings
from cxhub.jobs.service import task
from cxhub.kit.mail import send_mail


@task("auth.send_password_reset")
def send_password_reset(session: Session, payload: dict[str, Any]) -> None:
    user = session.get(User, payload["user_id"])
    if user is None or not user.is_active:
        return
    settings = get_settings()
    token = issue_password_reset(session, user=user)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = user.email
    message["Subject"] = "Reset your cxhub password"
    link = f"{settings.public_url}/password-reset/{token}"
    message.set_content(
        f"Hello {user.name},\n\nSomeone asked to reset the password of your cxhub account.\n"
        f"Choose a new password here (the link works once, for a limited time):\n\n{link}\n\n"
        "If it was not you, ignore this message; your password stays as it is.\n"
    )
    send_mail(message, host=settings.smtp_host, port=settings.smtp_port, outbox=settings.mail_outbox)
