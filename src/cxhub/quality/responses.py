"""The customer's side of a survey: open the link, read the form, record the answers once.

A link is refused when its signature does not hold, closed when it has expired, and spent once answered:
answering takes the invitation with a conditional update, so of two submissions at the same moment one
records and the other is told the survey was already answered. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cxhub.auth.models import User
from cxhub.conversations.models import Conversation
from cxhub.customers.privacy import may_contact, record_consents
from cxhub.errors import CxhubError
from cxhub.quality.links import InvalidLink, read_link
from cxhub.quality.models import CoachingFeedback, SurveyInvitation
from cxhub.quality.scales import SCALES
from cxhub.quality.schemas import SurveyAnswerImport
from cxhub.quality.service import record_answer
from cxhub.quality.translations import N_
from cxhub.workforce.models import Agent, Brand

FEEDBACK_KINDS = ("advice", "feedback", "encouragement")
MAX_FEEDBACK = 2000
OPT_OUT_SOURCE = "survey page"
ERRORS = {
    "choose": N_("Choose one of the answers shown."),
    "kind": N_("Choose what kind of message it is."),
    "write": N_("Write your message, or choose to leave none."),
    "too_long": N_("The message is too long: at most 2,000 characters."),
    "nothing": N_("Answer at least one question, or tick the box to not be asked again."),
}


class SurveyUnavailable(Exception):
    """The link cannot be answered: `state` is invalid, expired or answered (language: the page's, if known)."""

    def __init__(self, state: str, *, language: str | None = None, expires_at: dt.datetime | None = None) -> None:
        super().__init__(state)
        self.state = state
        self.language = language
        self.expires_at = expires_at


@dataclass(frozen=True)
class OpenSurvey:
    invitation_id: str
    brand_name: str
    language: str
    questions: tuple[str, ...]
    agent_first_name: str | None  # None: nobody to leave feedback for, or the customer opted out of it
    expires_at: dt.datetime


@dataclass(frozen=True)
class Submission:
    scores: dict[str, int]
    opt_out: bool
    feedback_kind: str | None
    feedback_text: str


@dataclass(frozen=True)
class Checked:
    """What the form said: the submission when it can be recorded, else each field's error code."""

    submission: Submission | None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    answers: int
    feedback: bool
    opted_out: bool


def first_name(name: str | None) -> str | None:
    words = (name or "").split()
    return words[0] if words else None


def open_survey(session: Session, *, token: str, secret_key: str, now: dt.datetime) -> OpenSurvey:
    """The survey behind a link, or SurveyUnavailable (invalid, expired or answered)."""
    try:
        invitation_id = read_link(token, secret_key=secret_key)
    except InvalidLink:
        raise SurveyUnavailable("invalid") from None
    invitation = session.get(SurveyInvitation, invitation_id)
    if invitation is None or invitation.outcome == "skipped" or invitation.expires_at is None:
        raise SurveyUnavailable("invalid")
    language = invitation.language or "en"
    if invitation.answered_at is not None:
        raise SurveyUnavailable("answered", language=language)
    if invitation.expires_at <= now:
        raise SurveyUnavailable("expired", language=language, expires_at=invitation.expires_at)
    brand = session.get(Brand, invitation.brand_id)
    agent_name = None
    if invitation.agent_id is not None and may_contact(session, invitation.customer_id, "coaching"):
        agent_name = session.scalar(
            select(User.name).join(Agent, Agent.user_id == User.id).where(Agent.id == invitation.agent_id)
        )
    return OpenSurvey(
        invitation_id=invitation.id,
        brand_name=brand.name if brand else "",
        language=language,
        questions=tuple(invitation.questions),
        agent_first_name=first_name(agent_name),
        expires_at=invitation.expires_at,
    )


def check_submission(survey: OpenSurvey, form: Mapping[str, str]) -> Checked:
    """Read the form's fields; a blank question is one the customer chose not to answer."""
    errors: dict[str, str] = {}
    scores: dict[str, int] = {}
    for question in survey.questions:
        raw = (form.get(question) or "").strip()
        if not raw:
            continue
        low, high = SCALES[question]
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors[question] = "choose"
            continue
        scores[question] = int(raw)
    kind: str | None = None
    text = ""
    if survey.agent_first_name is not None:
        kind = (form.get("feedback_kind") or "").strip() or None
        text = (form.get("feedback_text") or "").strip()
        if kind == "none":
            kind, text = None, ""
        if (kind is not None and kind not in FEEDBACK_KINDS) or (kind is None and text):
            errors["feedback_kind"] = "kind"
        elif kind is not None and not text:
            errors["feedback_text"] = "write"
        elif len(text) > MAX_FEEDBACK:
            errors["feedback_text"] = "too_long"
    opt_out = form.get("opt_out") == "yes"
    if not errors and not scores and kind is None and not opt_out:
        errors["form"] = "nothing"
    if errors:
        return Checked(None, errors)
    return Checked(Submission(scores=scores, opt_out=opt_out, feedback_kind=kind, feedback_text=text))


def submit_survey(session: Session, *, survey: OpenSurvey, submission: Submission, now: dt.datetime) -> Recorded:
    """Record the answers, the feedback and the opt-out, once: SurveyUnavailable("answered") the second time."""
    taken = session.execute(
        update(SurveyInvitation)
        .where(
            SurveyInvitation.id == survey.invitation_id,
            SurveyInvitation.outcome == "invited",
            SurveyInvitation.answered_at.is_(None),
            SurveyInvitation.expires_at > now,
        )
        .values(outcome="answered", answered_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        state = session.scalar(select(SurveyInvitation.answered_at).where(SurveyInvitation.id == survey.invitation_id))
        raise SurveyUnavailable("answered" if state is not None else "expired", language=survey.language)
    invitation = session.get(SurveyInvitation, survey.invitation_id, populate_existing=True)
    assert invitation is not None  # noqa: S101 - just taken
    conversation = session.get(Conversation, invitation.conversation_id)
    assert conversation is not None  # noqa: S101 - a foreign key
    for question, score in submission.scores.items():
        record_answer(
            session,
            conversation=conversation,
            answer_import=SurveyAnswerImport.model_validate(
                {
                    "conversation_id": conversation.id,
                    "question": question,
                    "score": score,
                    "answered_at": now,
                    "id": f"survey:{invitation.id}",
                }
            ),
            source="hub",
        )
    feedback = submission.feedback_kind is not None and invitation.agent_id is not None
    if feedback:
        agent = session.get(Agent, invitation.agent_id)
        assert agent is not None  # noqa: S101 - a foreign key
        session.add(
            CoachingFeedback(
                brand_id=invitation.brand_id,
                conversation_id=conversation.id,
                invitation_id=invitation.id,
                agent_id=agent.id,
                organisation_id=agent.organisation_id,
                kind=submission.feedback_kind,
                text=submission.feedback_text,
                created_at=now,
            )
        )
    opted_out = False
    if submission.opt_out:
        try:
            record_consents(
                session,
                customer_id=invitation.customer_id,
                choices={"surveys": False},
                source=OPT_OUT_SOURCE,
                actor=None,
            )
            opted_out = True
        except CxhubError:  # an erased customer: nobody is left to ask again anyway
            opted_out = True
    session.flush()
    return Recorded(answers=len(submission.scores), feedback=feedback, opted_out=opted_out)
