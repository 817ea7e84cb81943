"""Login, logout, passwords, the user's API tokens and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cxhub.auth import repository
from cxhub.auth import service as auth_service
from cxhub.auth.actor import Actor
from cxhub.auth.models import ApiToken, AuditEvent, User
from cxhub.auth.permissions import Permission
from cxhub.auth.schemas import AuditFilter
from cxhub.config import get_settings
from cxhub.deps import SessionDep, client_address, csrf_protect, page_user, require
from cxhub.errors import CxhubError, NotFound
from cxhub.kit.pagination import CURSOR_PATTERN, paginate
from cxhub.web import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths: a login must never redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "auth/login.html", next_url=_safe_next(next), email="", error=None, message=None)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    try:
        user = auth_service.authenticate(session, email=email, password=password, address=client_address(request))
    except CxhubError as exc:
        # the failed attempt must be kept, so this transaction commits and the page explains
        return render(
            request,
            "auth/login.html",
            status_code=exc.status,
            next_url=_safe_next(next),
            email=email,
            error=exc.message,
            message=None,
        )
    token = auth_service.start_web_session(session, user=user)
    target = "/account/password" if user.must_change_password else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    settings = get_settings()
    response.set_cookie(
        auth_service.SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_max_age_seconds,
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(auth_service.SESSION_COOKIE)
    if token:
        auth_service.end_web_session(session, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth_service.SESSION_COOKIE)
    return response


@router.get("/password-reset")
def password_reset_request_page(request: Request) -> Response:
    return render(request, "auth/password_reset_request.html", sent=False)


@router.post("/password-reset")
def password_reset_request(
    request: Request, session: SessionDep, email: Annotated[str, Form(max_length=320)]
) -> Response:
    auth_service.request_password_reset(session, email=email, address=client_address(request))
    return render(request, "auth/password_reset_request.html", sent=True)


@router.get("/password-reset/{token}")
def password_reset_page(request: Request, token: str) -> Response:
    return render(request, "auth/password_reset.html", token=token, error=None)


@router.post("/password-reset/{token}")
def password_reset(
    request: Request, session: SessionDep, token: str, password: Annotated[str, Form(max_length=200)]
) -> Response:
    try:
        with session.begin_nested():
            auth_service.complete_password_reset(session, token=token, new_password=password)
    except CxhubError as exc:
        return render(request, "auth/password_reset.html", status_code=exc.status, token=token, error=exc.message)
    return render(
        request,
        "auth/login.html",
        next_url="/",
        email="",
        error=None,
        message="Your password is changed. Log in with the new one.",
    )


@router.get("/account/password")
def change_password_page(request: Request, user: Annotated[User, Depends(page_user)]) -> Response:
    return render(request, "auth/change_password.html", forced=user.must_change_password, error=None)


@router.post("/account/password")
def change_password(
    request: Request,
    session: SessionDep,
    user: Annotated[User, Depends(page_user)],
    current_password: Annotated[str, Form(max_length=200)],
    new_password: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        with session.begin_nested():
            auth_service.change_own_password(
                session, user=user, current_password=current_password, new_password=new_password
            )
    except CxhubError as exc:
        return render(
            request,
            "auth/change_password.html",
            status_code=exc.status,
            forced=user.must_change_password,
            error=exc.message,
        )
    return render(
        request,
        "auth/login.html",
        next_url="/",
        email=user.email,
        error=None,
        message="Your password is changed. Log in with the new one.",
    )


# API tokens and the audit log

CanManageTokens = Annotated[Actor, Depends(require(Permission.TOKENS_MANAGE, pages=True))]
CanReadAudit = Annotated[Actor, Depends(require(Permission.AUDIT_READ, pages=True))]


def _tokens_page(
    request: Request, session: Session, actor: Actor, *, status: int = 200, created: str | None = None
) -> Response:
    tokens = session.scalars(repository.tokens_of(actor.user_id).order_by(ApiToken.id.desc())).all()
    return render(request, "auth/tokens.html", status_code=status, tokens=tokens, created=created)


@router.get("/tokens")
def tokens_page(request: Request, session: SessionDep, actor: CanManageTokens) -> Response:
    return _tokens_page(request, session, actor)


@router.post("/tokens")
def create_token(
    request: Request,
    session: SessionDep,
    actor: CanManageTokens,
    name: Annotated[str, Form(min_length=1, max_length=200)],
) -> Response:
    user = session.get_one(User, actor.user_id)
    _, secret = auth_service.create_api_token(session, user=user, name=name.strip() or "token", actor=actor)
    return _tokens_page(request, session, actor, status=201, created=secret)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(request: Request, session: SessionDep, actor: CanManageTokens, token_id: str) -> Response:
    api_token = session.scalar(repository.tokens_of(actor.user_id).where(ApiToken.id == token_id))
    if api_token is None:
        raise NotFound("token")
    auth_service.revoke_api_token(session, api_token=api_token, actor=actor)
    return RedirectResponse("/tokens", status_code=303)


def _day(value: str | None, field: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC)
    except ValueError as exc:
        raise CxhubError("dates are YYYY-MM-DD", status=422, field=field) from exc


@router.get("/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    actor: CanReadAudit,
    action: Annotated[str, Query(max_length=60)] = "",
    actor_email: Annotated[str, Query(max_length=320)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
) -> Response:
    until_day = _day(until, "until")
    audit_filter = AuditFilter(
        action=action or None,
        actor_email=actor_email or None,
        since=_day(since, "since"),
        until=until_day + dt.timedelta(days=1) if until_day else None,
    )
    events, next_cursor = paginate(
        session, repository.audit_events(audit_filter), AuditEvent.id, cursor=cursor, limit=50, newest_first=True
    )
    filters = {"action": action, "actor_email": actor_email, "since": since, "until": until}
    next_url = "/audit?" + urlencode({**filters, "cursor": next_cursor}) if next_cursor else None
    return render(request, "auth/audit.html", events=events, filters=filters, next_url=next_url)
