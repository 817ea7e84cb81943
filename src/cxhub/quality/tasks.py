"""Survey jobs: the sending pass every minute, and each e-mail invitation, retried with backoff."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from cxhub.config import get_settings
from cxhub.jobs.service import backoff_seconds, enqueue, periodic, task
from cxhub.kit.mail import send_mail
from cxhub.kit.time import utcnow
from cxhub.quality.invitations import SEND_EMAIL_JOB, send_due_surveys, survey_email
from cxhub.quality.models import SurveyInvitation

SEND_EVERY_SECONDS = 60
MAX_DELIVERY_ATTEMPTS = 6


@periodic("quality.send_surveys", every_seconds=SEND_EVERY_SECONDS)
def send_surveys(session: Session, payload: dict[str, Any]) -> None:
    send_due_surveys(session, now=utcnow(), settings=get_settings())


@task(SEND_EMAIL_JOB)
def send_survey_email(session: Session, payload: dict[str, Any]) -> None:
    invitation = session.get(SurveyInvitation, payload["invitation_id"])
    if invitation is None or invitation.delivery_status not in ("queued", "retrying"):
        return  # already sent, or gone
    if invitation.answered_at is not None or (invitation.expires_at and invitation.expires_at <= utcnow()):
        invitation.delivery_status = "failed"
        invitation.delivery_error = "not sent: the survey closed before it could go out"
        return
    attempt = int(payload.get("attempt", 1))
    settings = get_settings()
    try:
        message = survey_email(session, invitation=invitation, settings=settings)
        send_mail(message, host=settings.smtp_host, port=settings.smtp_port, outbox=settings.mail_outbox)
    except Exception as exc:  # every failure is kept on the invitation and retried, never lost
        invitation.delivery_error = f"attempt {attempt}: {type(exc).__name__}: {exc}"[:4000]
        if attempt >= MAX_DELIVERY_ATTEMPTS:
            invitation.delivery_status = "failed"
            return
        invitation.delivery_status = "retrying"
        enqueue(
            session,
            name=SEND_EMAIL_JOB,
            payload={"invitation_id": invitation.id, "attempt": attempt + 1},
            run_at=utcnow() + dt.timedelta(seconds=backoff_seconds(attempt)),
        )
        return
    invitation.delivery_status = "sent"
    invitation.delivered_at = utcnow()
    invitation.delivery_error = None
