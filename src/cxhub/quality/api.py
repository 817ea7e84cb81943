"""Quality API: survey answers from a brand's own survey tool, and the QA routes (qa_api)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.deps import SessionDep, require
from cxhub.errors import CxhubError
from cxhub.quality import qa_api, service
from cxhub.quality.schemas import SurveyAnswerImport
from cxhub.web import error_responses

router = APIRouter()
CanCreate = Annotated[Actor, Depends(require(Permission.INTERACTIONS_CREATE))]
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
