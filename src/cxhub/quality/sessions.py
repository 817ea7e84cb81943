"""Calibration sessions: a QA manager picks conversations and evaluators, each scores them blind, a report compares.

The report shows, per conversation, the consensus (the mean score), its range and standard deviation; per
evaluator, the mean deviation from consensus (harsh below, lenient above); and the agreement on the
critical items, every (conversation, criterion classed customer-, business- or compliance-critical) pair
rated pass, fail or not applicable: Cohen's kappa for two evaluators, Fleiss' kappa for three or more,
over the evaluators who submitted every conversation. Services flush, never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.auth.permissions import Permission
from cxhub.conversations.models import Conversation
from cxhub.conversations.repository import readable_conversations
from cxhub.errors import CxhubError, Forbidden, NotFound
from cxhub.quality import repository
from cxhub.quality.calibration import cohen_kappa, fleiss_kappa, spread
from cxhub.quality.models import (
    CalibrationConversation,
    CalibrationEvaluator,
    CalibrationSession,
    Evaluation,
)
from cxhub.quality.schemas import (
    AgreementRead,
    CalibrationReportRead,
    CalibrationSessionCreate,
    CalibrationSessionRead,
    ConversationSpreadRead,
    EvaluatorDeviationRead,
    MyCalibrationRead,
    SessionEvaluatorRead,
)
from cxhub.quality.scorecards import active_scorecard, scoring_criteria
from cxhub.quality.scoring import ERROR_CLASSES, Criterion, fails
from cxhub.workforce.service import actor_for_user

LEANING_POINTS = 2.0  # a mean deviation within two points of consensus reads as in line


def get_session_in_scope(session: Session, *, actor: Actor, session_id: str) -> CalibrationSession:
    """A session of the actor's brands; for a partner, only one that holds a conversation of their organisation."""
    calibration = session.scalar(repository.readable_sessions(actor).where(CalibrationSession.id == session_id))
    if calibration is not None and actor.is_partner:
        theirs = session.scalar(
            select(CalibrationConversation.conversation_id)
            .join(Conversation, Conversation.id == CalibrationConversation.conversation_id)
            .where(
                CalibrationConversation.session_id == calibration.id,
                Conversation.organisation_id == actor.organisation_id,
            )
            .limit(1)
        )
        calibration = calibration if theirs is not None else None
    if calibration is None:
        raise NotFound("calibration session")
    return calibration


def get_my_session(session: Session, *, actor: Actor, session_id: str) -> CalibrationSession:
    """A session the actor takes part in."""
    calibration = session.scalar(repository.sessions_of(actor).where(CalibrationSession.id == session_id))
    if calibration is None:
        raise NotFound("calibration session")
    return calibration


def made_with(session: Session, *, actor: Actor, key: str) -> CalibrationSession | None:
    """The session an earlier request with this Idempotency-Key made."""
    return session.scalar(repository.readable_sessions(actor).where(CalibrationSession.idempotency_key == key))


def create_session(
    session: Session, *, session_create: CalibrationSessionCreate, actor: Actor, idempotency_key: str | None = None
) -> CalibrationSession:
    """Every conversation must be one the manager reads and every evaluator may evaluate; the same
    Idempotency-Key again answers the session it made."""
    if actor.is_partner:
        raise Forbidden("only the brand's own organisation runs calibration sessions")
    existing = made_with(session, actor=actor, key=idempotency_key) if idempotency_key else None
    if existing is not None:
        return existing
    conversations = {
        c.id: c
        for c in session.scalars(
            readable_conversations(actor).where(Conversation.id.in_(session_create.conversation_ids))
        )
    }
    missing = [cid for cid in session_create.conversation_ids if cid not in conversations]
    if missing:
        raise CxhubError(f"no conversation {missing[0]!r}", status=422, field="conversation_ids")
    brands = {c.brand_id for c in conversations.values()}
    if len(brands) > 1:
        raise CxhubError("the conversations belong to several brands", status=422, field="conversation_ids")
    brand_id = brands.pop()
    scorecard = active_scorecard(session, brand_id=brand_id, scorecard_id=session_create.scorecard_id)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(session_create.evaluator_user_ids)))}
    for user_id in session_create.evaluator_user_ids:
        user = users.get(user_id)
        if user is None or not user.is_active:
            raise CxhubError(f"no user {user_id!r}", status=422, field="evaluator_user_ids")
        evaluator = actor_for_user(session, user=user)
        if not evaluator.can(Permission.QA_EVALUATE):
            raise CxhubError(f"{user.name} does not evaluate (qa.evaluate)", status=422, field="evaluator_user_ids")
        allowed = set(
            session.scalars(
                repository.evaluable_conversations(evaluator)
                .with_only_columns(Conversation.id)
                .where(Conversation.id.in_(list(conversations)))
            )
        )
        if allowed != set(conversations):
            raise CxhubError(
                f"{user.name} may not evaluate every conversation of the session",
                status=422,
                field="evaluator_user_ids",
            )
    calibration = CalibrationSession(
        brand_id=brand_id,
        scorecard_id=scorecard.id,
        title=session_create.title,
        created_by_user_id=actor.user_id,
        idempotency_key=idempotency_key or None,
    )
    session.add(calibration)
    session.flush()
    session.add_all(
        CalibrationConversation(session_id=calibration.id, conversation_id=cid, position=position)
        for position, cid in enumerate(session_create.conversation_ids)
    )
    session.add_all(CalibrationEvaluator(session_id=calibration.id, user_id=uid) for uid in users)
    session.flush()
    return calibration


def _submitted(evaluations: Sequence[Evaluation]) -> list[Evaluation]:
    return [e for e in evaluations if e.status != "draft"]


def session_reads(session: Session, calibrations: Sequence[CalibrationSession]) -> list[CalibrationSessionRead]:
    ids = [c.id for c in calibrations]
    evaluations = _submitted(repository.session_evaluations(session, ids))
    done: dict[tuple[str, str], int] = defaultdict(int)
    for e in evaluations:
        done[(e.calibration_session_id or "", e.evaluator_user_id)] += 1
    reads = []
    for calibration in calibrations:
        conversation_ids, evaluator_ids = repository.session_members(session, calibration.id)
        names = _names(session, evaluator_ids)
        evaluators = [
            SessionEvaluatorRead(user_id=uid, name=names.get(uid, ""), submitted=done[(calibration.id, uid)])
            for uid in evaluator_ids
        ]
        reads.append(
            CalibrationSessionRead(
                id=calibration.id,
                brand_id=calibration.brand_id,
                title=calibration.title,
                scorecard_id=calibration.scorecard_id,
                conversation_ids=conversation_ids,
                evaluators=evaluators,
                complete=all(e.submitted == len(conversation_ids) for e in evaluators),
                created_at=calibration.created_at,
            )
        )
    return reads


def _names(session: Session, user_ids: Sequence[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(list(user_ids)))).all())


def _kappa(ratings_by_item: list[list[Hashable]]) -> float | None:
    if not ratings_by_item:
        return None
    if len(ratings_by_item[0]) == 2:
        return cohen_kappa([r[0] for r in ratings_by_item], [r[1] for r in ratings_by_item])
    return fleiss_kappa(ratings_by_item)


def _rating(criterion: Criterion, points: int | None) -> str:
    if points is None:
        return "n/a"
    return "fail" if fails(criterion, points) else "pass"


def session_report(session: Session, *, calibration: CalibrationSession) -> CalibrationReportRead:
    conversation_ids, evaluator_ids = repository.session_members(session, calibration.id)
    evaluations = _submitted(repository.session_evaluations(session, [calibration.id]))
    scores: dict[str, dict[str, float]] = {cid: {} for cid in conversation_ids}
    for e in evaluations:
        if e.conversation_id in scores and e.score is not None:
            scores[e.conversation_id][e.evaluator_user_id] = e.score
    spreads = spread(scores)
    names = _names(session, evaluator_ids)

    complete = [uid for uid in evaluator_ids if all(uid in scores[cid] for cid in conversation_ids)]
    critical = [c for c in scoring_criteria(repository.criteria_of(session, calibration.scorecard_id)) if c.error_class]
    answers = repository.answers_of(session, [e.id for e in evaluations])
    points: dict[tuple[str, str, str], int | None] = {}  # (evaluator, conversation, criterion) -> points
    for e in evaluations:
        for a in answers[e.id]:
            points[(e.evaluator_user_id, e.conversation_id, a.criterion_id)] = a.points
    items: dict[str, list[list[Hashable]]] = {cls: [] for cls in ERROR_CLASSES}
    if len(complete) >= 2:
        for cid in conversation_ids:
            for criterion in critical:
                ratings: list[Hashable] = [_rating(criterion, points.get((uid, cid, criterion.id))) for uid in complete]
                items[criterion.error_class or ""].append(ratings)
    everything = [r for cls in ERROR_CLASSES for r in items[cls]]
    return CalibrationReportRead(
        session_id=calibration.id,
        complete=len(complete) == len(evaluator_ids),
        conversations=[
            ConversationSpreadRead(
                conversation_id=s.item,
                evaluators=s.evaluators,
                consensus=s.consensus,
                range=s.range,
                standard_deviation=s.standard_deviation,
            )
            for s in spreads.items
        ],
        evaluators=[
            EvaluatorDeviationRead(
                user_id=d.evaluator,
                name=names.get(d.evaluator, ""),
                conversations=d.items,
                mean_absolute_deviation=d.mean_absolute_deviation,
                mean_signed_deviation=d.mean_signed_deviation,
                leaning=_leaning(d.mean_signed_deviation),
            )
            for d in sorted(spreads.evaluators, key=lambda d: evaluator_ids.index(d.evaluator))
        ],
        agreement=AgreementRead(
            method=None if len(complete) < 2 else "cohen" if len(complete) == 2 else "fleiss",
            evaluators=len(complete),
            items=len(everything),
            kappa=_kappa(everything),
            by_class={cls: _kappa(items[cls]) for cls in ERROR_CLASSES},
        ),
    )


def _leaning(signed: float | None) -> str | None:
    if signed is None:
        return None
    if signed < -LEANING_POINTS:
        return "harsh"
    if signed > LEANING_POINTS:
        return "lenient"
    return "in line"


def my_statuses(session: Session, *, calibration: CalibrationSession, actor: Actor) -> dict[str, str]:
    """conversation id -> the status of the actor's own evaluation of it ("todo" when none)."""
    conversation_ids, _ = repository.session_members(session, calibration.id)
    mine = {
        e.conversation_id: e.status
        for e in repository.session_evaluations(session, [calibration.id])
        if e.evaluator_user_id == actor.user_id
    }
    return {cid: mine.get(cid, "todo") for cid in conversation_ids}


def report_visible_to(session: Session, *, calibration: CalibrationSession, actor: Actor) -> bool:
    """Blind scoring: a participant sees the others' scores once they have submitted every conversation."""
    statuses = my_statuses(session, calibration=calibration, actor=actor)
    participant = session.get(CalibrationEvaluator, (calibration.id, actor.user_id)) is not None
    return not participant or all(status not in ("todo", "draft") for status in statuses.values())


def my_session_read(session: Session, *, calibration: CalibrationSession, actor: Actor) -> MyCalibrationRead:
    visible = report_visible_to(session, calibration=calibration, actor=actor)
    return MyCalibrationRead(
        session=session_reads(session, [calibration])[0],
        my_evaluations=my_statuses(session, calibration=calibration, actor=actor),
        report=session_report(session, calibration=calibration) if visible else None,
    )
