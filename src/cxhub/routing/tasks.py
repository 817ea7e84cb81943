"""Routing jobs: a dispatch round every second, the SLA watch, and the SLA warnings and breaches it sends."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from cxhub.config import get_settings
from cxhub.conversations.models import Conversation
from cxhub.jobs.service import periodic, task
from cxhub.kit.mail import send_mail
from cxhub.kit.time import utcnow
from cxhub.routing.dispatch import dispatch
from cxhub.routing.models import SlaClock, SlaPolicy
from cxhub.routing.sla import watch

DISPATCH_EVERY_SECONDS = 1  # arrivals, releases and presence changes are acted on within about a second
SLA_WATCH_EVERY_SECONDS = 15  # a warning or breach goes out at most this long after its moment
HEADLINES = {"routing.sla_warning": "is at risk of missing", "routing.sla_breach": "has missed"}


@periodic("routing.dispatch", every_seconds=DISPATCH_EVERY_SECONDS)
def dispatch_round(session: Session, payload: dict[str, Any]) -> None:
    dispatch(session, max_age_days=get_settings().routing_max_age_days)


@periodic("routing.sla_watch", every_seconds=SLA_WATCH_EVERY_SECONDS)
def sla_watch(session: Session, payload: dict[str, Any]) -> None:
    watch(session, now=utcnow())


def _notify(session: Session, payload: dict[str, Any], name: str) -> None:
    """An e-mail to whom the policy names; nothing to send when it names nobody."""
    policy = session.get(SlaPolicy, payload["policy_id"])
    conversation = session.get(Conversation, payload["conversation_id"])
    clock = session.get(SlaClock, (payload["conversation_id"], payload["clock"]))
    if policy is None or conversation is None or clock is None or not policy.notify_emails:
        return
    settings = get_settings()
    target = payload["clock"].replace("_", " ")
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ", ".join(policy.notify_emails)
    message["Subject"] = f"SLA: conversation {HEADLINES[name]} its {target} target ({policy.name})"
    due = clock.due_at.strftime("%Y-%m-%d %H:%M UTC") if clock.due_at else "paused"
    message.set_content(
        f'The conversation "{conversation.subject or conversation.channel}" {HEADLINES[name]} its {target} '
        f'target of {clock.target_seconds // 60} minutes under the policy "{policy.name}" (due {due}).\n\n'
        f"{settings.public_url}/conversations/{conversation.id}\n"
    )
    send_mail(message, host=settings.smtp_host, port=settings.smtp_port, outbox=settings.mail_outbox)


@task("routing.sla_warning")
def sla_warning(session: Session, payload: dict[str, Any]) -> None:
    _notify(session, payload, "routing.sla_warning")


@task("routing.sla_breach")
def sla_breach(session: Session, payload: dict[str, Any]) -> None:
    _notify(session, payload, "routing.sla_breach")
