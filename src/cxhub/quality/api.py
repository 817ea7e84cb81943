"""Quality API: survey answers from a brand's own survey tool, survey policies, coaching feedback; QA (qa_api)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.deps import Cursor, Limit, SessionDep, require
from cxhub.errors import CxhubError, Forbidden
from cxhub.kit.pagination import Page
from cxhub.quality import coaching, policies, qa_api, service
from cxhub.quality.coaching import FeedbackItem
from cxhub.quality.schemas import (
    CoachingAcknowledge,
    CoachingFeedbackRead,
    SurveyAnswerImport,
    SurveyPoliciesWrite,
    SurveyPolicyRead,
)
from cxhub.web import error_responses

router = APIRouter()
CanCreate = Annotated[Actor, Depends(require(Permission.INTERACTIONS_CREATE))]
CanManageSurveys = Annotated[Actor, Depends(require(Permission.SURVEYS_MANAGE))]
CanReadCoaching = Annotated[Actor, Depends(require(Permission.COACHING_READ))]
BrandKey = Annotated[str | None, Query(max_length=200, description="Brand id or name; default: the only one in scope.")]
router.include_router(qa_api.router)


class SurveyAnswerRead(BaseModel):
    id: str
    conversation_id: str
    question: str
    score: int
    duplicate: bool


@router.post(
    "/survey-answers",
    tags=["surveys"],
    response_model=SurveyAnswerRead,
    status_code=201,
    responses=error_responses(403, 422),
)
def create_survey_answer(
    session: SessionDep, actor: CanCreate, body: SurveyAnswerImport, response: Response
) -> SurveyAnswerRead:
    """Record an answer collected elsewhere; the same answer again answers 200 and records nothing."""
    if actor.brand_ids is not None and body.brand is None and len(actor.brand_ids) == 1:
        body = body.model_copy(update={"brand": next(iter(actor.brand_ids))})
    try:
        conversation = service.conversation_of(session, body)
    except service.UnknownConversation as exc:
        raise CxhubError(str(exc), status=422, field="conversation_id") from exc
    if actor.brand_ids is not None and conversation.brand_id not in actor.brand_ids:
        raise CxhubError(f"no conversation {body.conversation_id!r}", status=422, field="conversation_id")
    recorded = service.record_answer(session, conversation=conversation, answer_import=body, source="api")
    if recorded.duplicate:
        response.status_code = 200
    answer = recorded.answer
    return SurveyAnswerRead(
        id=answer.id,
        conversation_id=answer.conversation_id,
        question=answer.question,
        score=answer.score,
        duplicate=recorded.duplicate,
    )


def _policies_read(found: list[policies.Policy]) -> list[SurveyPolicyRead]:
    return [
        SurveyPolicyRead(
            channel=p.channel,
            enabled=p.enabled,
            delay_seconds=p.delay_seconds,
            sampling_rate=p.sampling_rate,
            questions=list(p.questions),
            link_valid_days=p.link_valid_days,
            once_per_customer_days=p.once_per_customer_days,
            default_language=p.default_language,
            default=p.default,
        )
        for p in found
    ]


@router.get("/survey-policies", response_model=list[SurveyPolicyRead], responses=error_responses(403, 422))
def list_survey_policies(
    session: SessionDep, actor: CanManageSurveys, brand: BrandKey = None
) -> list[SurveyPolicyRead]:
    """Each channel's survey policy: the brand's own, or the defaults."""
    if actor.is_partner:
        raise Forbidden("survey policies are the brand's to set")
    found = policies.brand_in_scope(session, actor=actor, key=brand)
    return _policies_read(policies.policies(session, brand_id=found.id))


@router.put("/survey-policies", response_model=list[SurveyPolicyRead], responses=error_responses(403, 422))
def set_survey_policies(
    session: SessionDep, actor: CanManageSurveys, body: SurveyPoliciesWrite, brand: BrandKey = None
) -> list[SurveyPolicyRead]:
    """Set the named channels' policies (fields left out take their defaults); the others stay as they are."""
    if actor.is_partner:
        raise Forbidden("survey policies are the brand's to set")
    found = policies.brand_in_scope(session, actor=actor, key=brand)
    return _policies_read(policies.set_policies(session, brand=found, policy_writes=body.policies, actor=actor))


def feedback_read(item: FeedbackItem) -> CoachingFeedbackRead:
    f = item.feedback
    return CoachingFeedbackRead(
        id=f.id,
        conversation_id=f.conversation_id,
        agent_id=f.agent_id,
        agent_name=item.agent_name,
        organisation_id=f.organisation_id,
        kind=f.kind,
        text=f.text,
        customer_name=item.customer_name,
        scores=item.scores,
        created_at=f.created_at,
        acknowledged_at=f.acknowledged_at,
        acknowledged_by=item.acknowledged_by,
        action_note=f.action_note,
        action_at=f.action_at,
    )


@router.get(
    "/coaching-feedback",
    tags=["coaching"],
    response_model=Page[CoachingFeedbackRead],
    responses=error_responses(403, 422),
)
def list_coaching_feedback(
    session: SessionDep,
    actor: CanReadCoaching,
    limit: Limit = 50,
    cursor: Cursor = None,
    agent_id: Annotated[str | None, Query(max_length=26, description="One agent's feedback only.")] = None,
    acknowledged: Annotated[bool | None, Query(description="Only acknowledged (true) or waiting (false).")] = None,
) -> Page[CoachingFeedbackRead]:
    """Customers' feedback for oneself, or as a coach for one's team (in-house directors and QA: all), newest first."""
    items, next_cursor = coaching.feedback_page(
        session, actor=actor, cursor=cursor, limit=limit, agent_id=agent_id, acknowledged=acknowledged
    )
    return Page[CoachingFeedbackRead](items=[feedback_read(i) for i in items], next_cursor=next_cursor)


@router.post(
    "/coaching-feedback/{feedback_id}/acknowledge",
    tags=["coaching"],
    response_model=CoachingFeedbackRead,
    responses=error_responses(403, 404, 422),
)
def acknowledge_coaching_feedback(
    session: SessionDep, actor: CanReadCoaching, feedback_id: str, body: CoachingAcknowledge
) -> CoachingFeedbackRead:
    """Acknowledge the feedback and record what was done with it (the note); repeating it changes nothing."""
    item = coaching.acknowledge_feedback(session, feedback_id=feedback_id, action=body.action, actor=actor)
    return feedback_read(item)
