"""Sending surveys: once per resolved conversation, a decision (invite, or skip and why), and the link sent
through the conversation's own channel. Services flush, never commit; the e-mail is a job of its own.

A survey is not an agent's reply: it never counts as a first response, never changes a status and never
goes through the reply path. In a chat the link is a system message the visitor's widget shows; by
e-mail it is a message of its own, threaded under the customer's mail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxhub.channels.chat.service import post_system_message
from cxhub.config import Settings
from cxhub.conversations.models import Conversation, Interaction
from cxhub.customers import identifiers
from cxhub.customers.merge import live_customer_id
from cxhub.customers.models import Customer, CustomerIdentity
from cxhub.customers.privacy import may_contact
from cxhub.jobs.service import enqueue
from cxhub.quality.links import sign_link, survey_url
from cxhub.quality.models import SurveyInvitation
from cxhub.quality.policies import Policy, policies
from cxhub.quality.translations import long_date, survey_language, translations
from cxhub.workforce.models import Brand

SEND_EMAIL_JOB = "quality.send_survey_email"
RESOLVED_STATUSES = ("resolved", "closed")
# a conversation resolved longer ago than this after its delay is not surveyed: the customer has moved on,
# and a policy switched on today does not survey the whole history
SURVEY_WINDOW = dt.timedelta(days=7)
BATCH = 500
MAX_BATCHES = 20  # per channel and run; the rest waits for the next run


@dataclass
class SendTally:
    invited: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def sampled(conversation_id: str, rate: float) -> bool:
    """The conversation's draw: the same every time it is asked (a retry never changes it)."""
    if rate >= 1:
        return True
    draw = int.from_bytes(hashlib.sha256(conversation_id.encode()).digest()[:8], "big") / 2**64
    return draw < rate


def send_due_surveys(session: Session, *, now: dt.datetime, settings: Settings) -> SendTally:
    """Decide for every conversation resolved at least its channel's delay ago that has no decision yet."""
    tally = SendTally()
    for brand in session.scalars(select(Brand).order_by(Brand.id)):
        for policy in policies(session, brand_id=brand.id):
            if not policy.enabled:
                continue
            for _ in range(MAX_BATCHES):
                due = _due(session, brand_id=brand.id, policy=policy, now=now)
                for conversation in due:
                    outcome = _decide(
                        session, brand=brand, conversation=conversation, policy=policy, now=now, settings=settings
                    )
                    if outcome is None:
                        tally.invited += 1
                    else:
                        tally.skipped[outcome] += 1
                if len(due) < BATCH:
                    break
    return tally


def _due(session: Session, *, brand_id: str, policy: Policy, now: dt.datetime) -> list[Conversation]:
    resolved = func.coalesce(Conversation.resolved_at, Conversation.closed_at)
    latest = now - dt.timedelta(seconds=policy.delay_seconds)
    return list(
        session.scalars(
            select(Conversation)
            .where(
                Conversation.brand_id == brand_id,
                Conversation.channel == policy.channel,
                Conversation.status.in_(RESOLVED_STATUSES),
                Conversation.first_inbound_at.is_not(None),
                resolved <= latest,
                resolved > latest - SURVEY_WINDOW,
                ~exists().where(SurveyInvitation.conversation_id == Conversation.id),
            )
            .order_by(resolved, Conversation.id)
            .limit(BATCH)
        )
    )


def _served_by(session: Session, conversation: Conversation) -> str | None:
    """The agent who holds the conversation, else the last one who answered in it."""
    if conversation.agent_id is not None:
        return conversation.agent_id
    return session.scalar(
        select(Interaction.handled_by_agent_id)
        .where(
            Interaction.conversation_id == conversation.id,
            Interaction.direction == "outbound",
            Interaction.handled_by_agent_id.is_not(None),
        )
        .order_by(Interaction.occurred_at.desc())
        .limit(1)
    )


def _recently_asked(session: Session, *, customer_id: str, days: int, now: dt.datetime) -> bool:
    if days <= 0:
        return False
    found = session.scalar(
        select(SurveyInvitation.id)
        .where(
            SurveyInvitation.customer_id == customer_id,
            SurveyInvitation.outcome.in_(("invited", "answered")),
            SurveyInvitation.created_at > now - dt.timedelta(days=days),
        )
        .limit(1)
    )
    return found is not None


def _deliverable_email(session: Session, customer_id: str) -> str | None:
    return session.scalar(
        select(CustomerIdentity.value)
        .where(
            CustomerIdentity.customer_id == customer_id,
            CustomerIdentity.kind == identifiers.EMAIL,
            CustomerIdentity.undeliverable_at.is_(None),
        )
        .order_by(CustomerIdentity.last_seen_at.desc())
        .limit(1)
    )


def _decide(
    session: Session, *, brand: Brand, conversation: Conversation, policy: Policy, now: dt.datetime, settings: Settings
) -> str | None:
    """Invite (None) or skip (the reason), kept on a row of its own so that nothing is decided twice."""
    customer_id = live_customer_id(session, conversation.customer_id)
    customer = session.get(Customer, customer_id)
    invitation = SurveyInvitation(
        brand_id=brand.id,
        conversation_id=conversation.id,
        customer_id=customer_id,
        channel=conversation.channel,
        agent_id=_served_by(session, conversation),
        organisation_id=conversation.organisation_id,
        created_at=now,
    )
    email = None
    if not sampled(conversation.id, policy.sampling_rate):
        reason: str | None = "not_sampled"
    elif not may_contact(session, customer_id, "surveys"):
        reason = "opted_out"
    elif _recently_asked(session, customer_id=customer_id, days=policy.once_per_customer_days, now=now):
        reason = "recently_asked"
    elif conversation.channel == "email" and (email := _deliverable_email(session, customer_id)) is None:
        reason = "no_address"
    else:
        reason = None
    if reason is not None:
        invitation.outcome, invitation.skip_reason = "skipped", reason
    else:
        invitation.outcome = "invited"
        invitation.language = survey_language(
            conversation.language, customer.language if customer else None, default=policy.default_language
        )
        invitation.questions = list(policy.questions)
        invitation.expires_at = now + dt.timedelta(days=policy.link_valid_days)
        invitation.email = email
    try:
        with session.begin_nested():
            session.add(invitation)
            session.flush()
            if reason is None:
                _send(session, invitation=invitation, conversation=conversation, brand=brand, settings=settings)
    except IntegrityError:  # another run decided this conversation first
        return "decided_elsewhere"
    return reason


def _send(
    session: Session, *, invitation: SurveyInvitation, conversation: Conversation, brand: Brand, settings: Settings
) -> None:
    link = survey_url(sign_link(invitation.id, secret_key=settings.secret_key), public_url=settings.public_url)
    if invitation.channel == "email":
        invitation.delivery_status = "queued"
        enqueue(session, name=SEND_EMAIL_JOB, payload={"invitation_id": invitation.id, "attempt": 1})
        return
    _ = translations(invitation.language or "en").gettext
    message = post_system_message(
        session,
        conversation=conversation,
        text=_("Thank you for chatting with %(brand)s. Would you tell us how it went?") % {"brand": brand.name},
        url=link,
        link_text=_("Answer a short survey"),
    )
    invitation.interaction_id = message.id
    invitation.delivery_status = "sent"
    invitation.delivered_at = message.occurred_at


def survey_email(session: Session, *, invitation: SurveyInvitation, settings: Settings) -> EmailMessage:
    """The invitation by e-mail, in the customer's language, threaded under their latest mail."""
    if not invitation.email or invitation.expires_at is None:
        raise ValueError("the invitation has no address to send to")
    brand = session.get(Brand, invitation.brand_id)
    assert brand is not None  # noqa: S101 - a foreign key
    language = invitation.language or "en"
    _ = translations(language).gettext
    link = survey_url(sign_link(invitation.id, secret_key=settings.secret_key), public_url=settings.public_url)
    sender = settings.mail_reply_from or settings.mail_from
    message = EmailMessage()
    message["From"] = sender
    message["To"] = invitation.email
    message["Subject"] = _("How did we do? A short survey from %(brand)s") % {"brand": brand.name}
    message["Date"] = format_datetime(invitation.created_at.astimezone(dt.UTC))
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "cxhub")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-reply comes back to it
    message["Content-Language"] = language
    latest = session.scalar(
        select(Interaction.external_id)
        .where(
            Interaction.conversation_id == invitation.conversation_id,
            Interaction.channel == "email",
            Interaction.direction == "inbound",
        )
        .order_by(Interaction.occurred_at.desc())
        .limit(1)
    )
    if latest and latest.startswith("<"):
        message["In-Reply-To"] = latest
        message["References"] = latest
    lines = [
        _("Hello,"),
        "",
        _("You contacted %(brand)s recently. Would you tell us how it went? It takes less than a minute:")
        % {"brand": brand.name},
        "",
        link,
        "",
        _("The link works once, until %(date)s.") % {"date": long_date(invitation.expires_at, language)},
        _("If you would rather not be asked again, you can say so on the survey page."),
        "",
        brand.name,
    ]
    message.set_content("\n".join(lines) + "\n")
    return message
