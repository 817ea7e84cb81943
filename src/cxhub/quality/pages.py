"""Quality pages: the customer's survey (public, by its signed link), the coaching feed, survey settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.deps import SessionDep, csrf_protect, require
from cxhub.errors import Forbidden, NotFound
from cxhub.kit.pagination import CURSOR_PATTERN
from cxhub.kit.time import utcnow
from cxhub.quality import coaching, policies, responses
from cxhub.quality.schemas import SurveyPolicyWrite
from cxhub.quality.translations import accepted_language, long_date, translations
from cxhub.web import render, templates
from cxhub.workforce.models import Brand

public = APIRouter(include_in_schema=False)
staff = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
router = APIRouter(include_in_schema=False)
CanReadCoaching = Annotated[Actor, Depends(require(Permission.COACHING_READ, pages=True))]
CanManageSurveys = Annotated[Actor, Depends(require(Permission.SURVEYS_MANAGE, pages=True))]
# the link is the customer's only key: it must not travel to other sites, be cached or be indexed
PUBLIC_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
STATUS = {"invalid": 404, "expired": 410, "answered": 200}
KINDS = {"advice": "Advice", "feedback": "Feedback", "encouragement": "Encouragement"}
QUESTIONS = (
    ("csat", "CSAT: satisfaction, 1 to 5"),
    ("nps", "NPS: likely to recommend, 0 to 10"),
    ("ces", "CES: made it easy, 1 to 7"),
    ("fcr", "Resolved: yes or no"),
)
LANGUAGES = (("en", "English"), ("pt", "Portuguese"), ("es", "Spanish"))
PAGE_SIZE = 20


def _public_page(request: Request, template: str, *, language: str, status_code: int = 200, **context: Any) -> Response:
    """A customer's page: in their language, with no login, no CSRF cookie and nothing to cache."""
    context["_"] = translations(language).gettext
    context.setdefault("brand_name", "")
    response = templates.TemplateResponse(request, template, {"language": language, **context}, status_code=status_code)
    response.headers.update(PUBLIC_HEADERS)
    return response


def _unavailable(request: Request, exc: responses.SurveyUnavailable, *, status_code: int | None = None) -> Response:
    language = exc.language or accepted_language(request.headers.get("accept-language"))
    return _public_page(
        request,
        "quality/survey_closed.html",
        language=language,
        status_code=status_code or STATUS[exc.state],
        state=exc.state,
        expires_on=long_date(exc.expires_at, language) if exc.expires_at else None,
    )


def _form(
    request: Request,
    survey: responses.OpenSurvey,
    token: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return _public_page(
        request,
        "quality/survey.html",
        language=survey.language,
        status_code=422 if errors else 200,
        token=token,
        brand_name=survey.brand_name,
        questions=survey.questions,
        agent_first_name=survey.agent_first_name,
        expires_on=long_date(survey.expires_at, survey.language),
        values=values or {},
        errors=errors or {},
        messages=responses.ERRORS,
    )


@public.get("/s/{token}")
def survey_page(request: Request, session: SessionDep, token: str) -> Response:
    """The survey behind a link: its questions in the customer's language."""
    try:
        survey = responses.open_survey(
            session, token=token, secret_key=request.app.state.settings.secret_key, now=utcnow()
        )
    except responses.SurveyUnavailable as exc:
        return _unavailable(request, exc)
    return _form(request, survey, token)


# no CSRF token: the form carries no session, and the signed link in its address is the only key to it
@public.post("/s/{token}")
def answer_survey(
    request: Request,
    session: SessionDep,
    token: str,
    csat: Annotated[str | None, Form(max_length=10)] = None,
    nps: Annotated[str | None, Form(max_length=10)] = None,
    ces: Annotated[str | None, Form(max_length=10)] = None,
    fcr: Annotated[str | None, Form(max_length=10)] = None,
    feedback_kind: Annotated[str | None, Form(max_length=20)] = None,
    feedback_text: Annotated[str | None, Form(max_length=20_000)] = None,
    opt_out: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    """Record the answers once; a second submission is told the survey was already answered."""
    now = utcnow()
    try:
        survey = responses.open_survey(session, token=token, secret_key=request.app.state.settings.secret_key, now=now)
    except responses.SurveyUnavailable as exc:
        return _unavailable(request, exc, status_code=409 if exc.state == "answered" else None)
    fields = {"csat": csat, "nps": nps, "ces": ces, "fcr": fcr}
    fields |= {"feedback_kind": feedback_kind, "feedback_text": feedback_text, "opt_out": opt_out}
    values = {name: value for name, value in fields.items() if value is not None}
    checked = responses.check_submission(survey, values)
    if checked.submission is None:
        return _form(request, survey, token, values=values, errors=checked.errors)
    try:
        recorded = responses.submit_survey(session, survey=survey, submission=checked.submission, now=now)
    except responses.SurveyUnavailable as exc:
        return _unavailable(request, exc, status_code=409 if exc.state == "answered" else None)
    return _public_page(
        request,
        "quality/survey_closed.html",
        language=survey.language,
        state="thanks",
        brand_name=survey.brand_name,
        feedback=recorded.feedback,
        agent_first_name=survey.agent_first_name,
        opted_out=recorded.opted_out,
    )


Status = Annotated[str, Query(pattern="^(all|open|acknowledged)$")]


@staff.get("/coaching")
def coaching_page(
    request: Request,
    session: SessionDep,
    actor: CanReadCoaching,
    status: Status = "all",
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
) -> Response:
    """The feedback feed: one's own, one's team's as a coach, or every agent's for in-house directors and QA."""
    acknowledged = {"all": None, "open": False, "acknowledged": True}[status]
    items, next_cursor = coaching.feedback_page(
        session, actor=actor, cursor=cursor, limit=PAGE_SIZE, acknowledged=acknowledged
    )
    return render(request, "quality/coaching.html", items=items, next_cursor=next_cursor, status=status, kinds=KINDS)


@staff.post("/coaching/{feedback_id}/acknowledge")
def acknowledge_page(
    request: Request,
    session: SessionDep,
    actor: CanReadCoaching,
    feedback_id: str,
    action: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Acknowledge and note what was done; htmx gets the card back, a plain form goes back to the feed."""
    item = coaching.acknowledge_feedback(session, feedback_id=feedback_id, action=action, actor=actor)
    if request.headers.get("hx-request") == "true":
        return render(request, "quality/_feedback.html", item=item, kinds=KINDS)
    return RedirectResponse("/coaching", status_code=303)


def _settings_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    brand: Brand,
    *,
    saved: str | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    statement = select(Brand).order_by(Brand.name)
    if actor.brand_ids is not None:
        statement = statement.where(Brand.id.in_(actor.brand_ids))
    return render(
        request,
        "quality/policies.html",
        status_code=422 if errors else 200,
        brand=brand,
        brands=list(session.scalars(statement)),
        policies=policies.policies(session, brand_id=brand.id),
        questions=QUESTIONS,
        languages=LANGUAGES,
        saved=saved,
        errors=errors or {},
    )


def _settings_brand(session: SessionDep, actor: Actor, brand: str | None) -> Brand:
    if actor.is_partner:
        raise Forbidden("survey policies are the brand's to set")
    if brand is None:
        statement = select(Brand).order_by(Brand.name)
        if actor.brand_ids is not None:
            statement = statement.where(Brand.id.in_(actor.brand_ids))
        first = session.scalars(statement.limit(1)).first()
        brand = first.id if first else None
    return policies.brand_in_scope(session, actor=actor, key=brand)


@staff.get("/settings/surveys")
def survey_settings(
    request: Request,
    session: SessionDep,
    actor: CanManageSurveys,
    brand: Annotated[str | None, Query(max_length=200)] = None,
    saved: Annotated[str | None, Query(pattern="^(email|chat)$")] = None,
) -> Response:
    """Each channel's survey policy, with a form to change it."""
    found = _settings_brand(session, actor, brand)
    return _settings_page(request, session, actor, found, saved=saved)


@staff.post("/settings/surveys/{channel}")
def save_survey_policy(
    request: Request,
    session: SessionDep,
    actor: CanManageSurveys,
    channel: str,
    brand: Annotated[str | None, Form(max_length=200)] = None,
    enabled: Annotated[str | None, Form(max_length=10)] = None,
    delay_seconds: Annotated[str, Form(max_length=20)] = "",
    sampling_rate: Annotated[str, Form(max_length=20)] = "",
    link_valid_days: Annotated[str, Form(max_length=20)] = "",
    once_per_customer_days: Annotated[str, Form(max_length=20)] = "",
    default_language: Annotated[str, Form(max_length=10)] = "en",
    questions: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Save one channel's policy; a value out of range says which and changes nothing."""
    if channel not in policies.SURVEY_CHANNELS:
        raise NotFound("survey channel")
    found = _settings_brand(session, actor, brand)
    try:
        write = SurveyPolicyWrite.model_validate(
            {
                "channel": channel,
                "enabled": enabled == "yes",
                "delay_seconds": delay_seconds,
                "sampling_rate": sampling_rate,
                "link_valid_days": link_valid_days,
                "once_per_customer_days": once_per_customer_days,
                "default_language": default_language,
                "questions": questions or [],
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "policy"
        message = f"{where.replace('_', ' ')}: {first['msg'].removeprefix('Value error, ')}"
        return _settings_page(request, session, actor, found, errors={channel: message})
    policies.set_policies(session, brand=found, policy_writes=[write], actor=actor)
    return RedirectResponse(f"/settings/surveys?brand={found.id}&saved={channel}", status_code=303)


router.include_router(public)
router.include_router(staff)
