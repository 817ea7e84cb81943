"""Quality jobs: telling agents about their evaluations and evaluators about disputes, by e-mail."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from cxhub.auth.models import User
from cxhub.config import get_settings
from cxhub.jobs.service import task
from cxhub.quality.evaluations import NOTIFY_JOB
from cxhub.quality.models import Evaluation
from cxhub.workforce.models import Agent

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
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        smtp.send_message(message)
