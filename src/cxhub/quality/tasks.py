"""Quality jobs: the survey sending pass and each e-mail invitation, and notices of evaluations and disputes."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from cxhub.auth.models import User
from cxhub.config import get_settings
from cxhub.jobs.service import backoff_seconds, enqueue, periodic, task
from cxhub.kit.mail import send_mail
from cxhub.kit.time import utcnow
from cxhub.quality.evaluations import NOTIFY_JOB
from cxhub.quality.invitations import SEND_EMAIL_JOB, send_due_surveys, survey_email
from cxhub.quality.models import Evaluation, SurveyInvitation
from cxhub.workforce.models import Agent

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


SUBJECTS = {
    "submitted": "Your conversation has been evaluated: {score}",
    "disputed": "An agent disputes your evaluation",
    "upheld": "Your dispute was looked at: the evaluation stands ({score})",
    "revised": "Your dispute was looked at: the evaluation was revised ({score})",
}


def _recipient(session: Session, evaluation: Evaluation, event: str) -> User | None:
    if event == "disputed":
        return session.get(User, evaluation.evaluator_user_id)
    agent = session.get(Agent, evaluation.agent_id) if evaluation.agent_id else None
    return session.get(User, agent.user_id) if agent is not None else None


@task(NOTIFY_JOB)
def notify(session: Session, payload: dict[str, Any]) -> None:
    evaluation = session.get(Evaluation, payload["evaluation_id"])
    event = str(payload.get("event", ""))
    if evaluation is None or event not in SUBJECTS:
        return
    user = _recipient(session, evaluation, event)
    if user is None or not user.is_active:
        return
    settings = get_settings()
    score = f"{evaluation.score:.0f}/100" if evaluation.score is not None else "no score"
    place = "qa/evaluations" if event == "disputed" else "qa/mine"
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = user.email
    message["Subject"] = SUBJECTS[event].format(score=score)
    message.set_content(f"Hello {user.name},\n\n{settings.public_url}/{place}/{evaluation.id}\n")
    send_mail(message, host=settings.smtp_host, port=settings.smtp_port, outbox=settings.mail_outbox)
