"""Survey policies per brand and channel: whether, when, how often and what the hub asks after a resolution."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.service import record_audit
from cxhub.errors import CxhubError
from cxhub.kit.time import utcnow
from cxhub.quality.models import SurveyPolicy
from cxhub.quality.schemas import SurveyPolicyWrite
from cxhub.workforce.models import Brand

SURVEY_CHANNELS = ("email", "chat")  # the channels the hub can send a survey link on
QUESTION_ORDER = ("csat", "nps", "ces", "fcr")
# a chat customer is still near the page a few minutes on; an e-mail customer reads the answer first
DEFAULT_DELAY_SECONDS = {"email": 3600, "chat": 300}
DEFAULT_QUESTIONS = ("csat", "fcr")
DEFAULT_LINK_VALID_DAYS = 7
DEFAULT_ONCE_PER_CUSTOMER_DAYS = 30
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Policy:
    channel: str
    enabled: bool
    delay_seconds: int
    sampling_rate: float
    questions: tuple[str, ...]  # in QUESTION_ORDER
    link_valid_days: int
    once_per_customer_days: int
    default_language: str
    default: bool


def default_policy(channel: str) -> Policy:
    return Policy(
        channel=channel,
        enabled=True,
        delay_seconds=DEFAULT_DELAY_SECONDS[channel],
        sampling_rate=1.0,
        questions=DEFAULT_QUESTIONS,
        link_valid_days=DEFAULT_LINK_VALID_DAYS,
        once_per_customer_days=DEFAULT_ONCE_PER_CUSTOMER_DAYS,
        default_language=DEFAULT_LANGUAGE,
        default=True,
    )


def _ordered(questions: list[str]) -> tuple[str, ...]:
    return tuple(q for q in QUESTION_ORDER if q in questions)


def policies(session: Session, *, brand_id: str) -> list[Policy]:
    """Each survey channel's policy: the brand's own, or the defaults where it set none."""
    own = {p.channel: p for p in session.scalars(select(SurveyPolicy).where(SurveyPolicy.brand_id == brand_id))}
    found = []
    for channel in SURVEY_CHANNELS:
        row = own.get(channel)
        if row is None:
            found.append(default_policy(channel))
            continue
        found.append(
            Policy(
                channel=channel,
                enabled=row.enabled,
                delay_seconds=row.delay_seconds,
                sampling_rate=row.sampling_rate,
                questions=_ordered(row.questions),
                link_valid_days=row.link_valid_days,
                once_per_customer_days=row.once_per_customer_days,
                default_language=row.default_language,
                default=False,
            )
        )
    return found


def set_policies(
    session: Session, *, brand: Brand, policy_writes: list[SurveyPolicyWrite], actor: Actor | None
) -> list[Policy]:
    """Replace the named channels' policies (the others stay as they are); audited."""
    if actor is not None and actor.is_partner:
        raise CxhubError("survey policies are the brand's to set", status=403)
    changed = {}
    for write in policy_writes:
        row = session.get(SurveyPolicy, (brand.id, write.channel))
        if row is None:
            row = SurveyPolicy(brand_id=brand.id, channel=write.channel)
            session.add(row)
        row.enabled = write.enabled
        row.delay_seconds = (
            write.delay_seconds if write.delay_seconds is not None else DEFAULT_DELAY_SECONDS[write.channel]
        )
        row.sampling_rate = write.sampling_rate
        row.questions = list(_ordered(list(write.questions)))
        row.link_valid_days = write.link_valid_days
        row.once_per_customer_days = write.once_per_customer_days
        row.default_language = write.default_language
        row.updated_at = utcnow()
        changed[write.channel] = write.model_dump(mode="json", exclude={"channel"})
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="survey_policies.changed",
        target_type="brand",
        target_id=brand.id,
        detail={"policies": changed},
    )
    return policies(session, brand_id=brand.id)


def brand_in_scope(session: Session, *, actor: Actor, key: str | None) -> Brand:
    """The brand named by id or name, or the only one the actor works for."""
    statement = select(Brand).order_by(Brand.name)
    if actor.brand_ids is not None:
        statement = statement.where(Brand.id.in_(actor.brand_ids))
    brands = [b for b in session.scalars(statement) if key is None or key in (b.id, b.name)]
    if key is not None and not brands:
        raise CxhubError("unknown brand", status=422, field="brand")
    if len(brands) != 1:
        raise CxhubError("name the brand: several are in scope", status=422, field="brand")
    return brands[0]
