"""Logins, browser sessions, API tokens, passwords and the audit log. Services flush, never commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cxhub.auth import repository
from cxhub.auth.actor import Actor
from cxhub.auth.masking import mask_address, show
from cxhub.auth.models import ApiToken, AuditEvent, LoginAttempt, PasswordReset, User, WebSession
from cxhub.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    digest,
    hash_password,
    new_secret,
    verify_password,
)
from cxhub.config import get_settings
from cxhub.errors import CxhubError, NotFound
from cxhub.jobs.service import enqueue
from cxhub.kit.time import utcnow

SESSION_COOKIE = "cxhub_session"
TOKEN_PREFIX = "cxh_"  # noqa: S105 - a public marker, not a secret


class LoginRefused(CxhubError):
    def __init__(self) -> None:
        super().__init__("e-mail or password is not correct", status=401)


class LoginRateLimited(CxhubError):
    def __init__(self) -> None:
        super().__init__("too many failed logins; wait a few minutes and try again", status=429)


def record_audit(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    detail: dict[str, Any] | None = None,
    address: str | None = None,
    actor_email: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_user_id=actor.user_id if actor else None,
        actor_email=actor.email if actor else (actor_email or "cli"),  # no actor: an operator at the CLI
        actor_organisation_id=actor.organisation_id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail or {},
        address=address,
    )
    session.add(event)
    session.flush()
    return event


def authenticate(session: Session, *, email: str, password: str, address: str) -> User:
    """Check a login, counting failures per account and per address."""
    settings = get_settings()
    email = email.strip().lower()
    now = utcnow()
    since = now - dt.timedelta(seconds=settings.login_window_seconds)
    by_account, by_address = repository.recent_failures(session, email=email, address=address, since=since)
    if max(by_account, by_address) >= settings.login_max_failures:
        record_audit(session, actor=None, actor_email=email, action="login.rate_limited", address=address)
        raise LoginRateLimited
    user = repository.user_by_email(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        session.add(LoginAttempt(email=email, address=address, succeeded=False, at=now))
        record_audit(session, actor=None, actor_email=email, action="login.failed", address=address)
        raise LoginRefused
    session.add(LoginAttempt(email=email, address=address, succeeded=True, at=now))
    user.last_login_at = now
    record_audit(
        session,
        actor=None,
        actor_email=user.email,
        action="login.succeeded",
        target_type="user",
        target_id=user.id,
        address=address,
    )
    return user


def start_web_session(session: Session, *, user: User) -> str:
    token = new_secret()
    lifetime = dt.timedelta(seconds=get_settings().session_max_age_seconds)
    session.add(WebSession(token_hash=digest(token), user_id=user.id, expires_at=utcnow() + lifetime))
    session.flush()
    return token


def end_web_session(session: Session, *, token: str) -> None:
    session.execute(update(WebSession).where(WebSession.token_hash == digest(token)).values(expires_at=utcnow()))


def end_all_web_sessions(session: Session, *, user_id: str) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.expires_at > utcnow())
        .values(expires_at=utcnow())
    )


def user_for_session_token(session: Session, *, token: str) -> User | None:
    return repository.user_for_session_token(session, digest(token), utcnow())


def user_for_api_token(session: Session, *, token: str) -> User | None:
    api_token = repository.active_token(session, digest(token))
    if api_token is None:
        return None
    now = utcnow()
    if api_token.last_used_at is None or now - api_token.last_used_at > dt.timedelta(minutes=1):
        # the row stays locked until this request commits: a request that finds it locked skips the
        # note rather than queue behind a whole request (PostgreSQL; SQLite has one writer anyway)
        mine = select(ApiToken.id).where(ApiToken.id == api_token.id).with_for_update(skip_locked=True)
        if session.scalar(mine) is not None:
            api_token.last_used_at = now
    user = session.get(User, api_token.user_id)
    return user if user is not None and user.is_active else None


def create_api_token(session: Session, *, user: User, name: str, actor: Actor | None) -> tuple[ApiToken, str]:
    secret = new_secret(TOKEN_PREFIX)
    api_token = ApiToken(user_id=user.id, name=name, prefix=secret[:8], token_hash=digest(secret))
    session.add(api_token)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="token.created",
        target_type="api_token",
        target_id=api_token.id,
        detail={"user_id": user.id, "name": name},
    )
    return api_token, secret


def revoke_api_token(session: Session, *, api_token: ApiToken, actor: Actor | None) -> ApiToken:
    if api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
        record_audit(
            session,
            actor=actor,
            action="token.revoked",
            target_type="api_token",
            target_id=api_token.id,
        )
    return api_token


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CxhubError(f"password must be at least {MIN_PASSWORD_LENGTH} characters", status=422, field="password")
    if len(password) > 200:
        raise CxhubError("password is too long", status=422, field="password")
    return password


def set_password(session: Session, *, user: User, password: str, must_change: bool = False) -> None:
    user.password_hash = hash_password(check_new_password(password))
    user.must_change_password = must_change
    session.flush()


def change_own_password(session: Session, *, user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise CxhubError("current password is not correct", status=422, field="current_password")
    set_password(session, user=user, password=new_password)
    end_all_web_sessions(session, user_id=user.id)
    record_audit(
        session, actor=None, actor_email=user.email, action="password.changed", target_type="user", target_id=user.id
    )


def request_password_reset(session: Session, *, email: str, address: str) -> None:
    """Send a reset link if the account exists; say nothing either way."""
    user = repository.user_by_email(session, email)
    record_audit(
        session, actor=None, actor_email=email.strip().lower(), action="password.reset_requested", address=address
    )
    if user is None or not user.is_active:
        return
    enqueue(session, name="auth.send_password_reset", payload={"user_id": user.id})


def issue_password_reset(session: Session, *, user: User) -> str:
    """A fresh single-use reset token for the user; only its digest is stored."""
    token = new_secret()
    ttl = dt.timedelta(seconds=get_settings().password_reset_ttl_seconds)
    session.add(PasswordReset(user_id=user.id, token_hash=digest(token), expires_at=utcnow() + ttl))
    session.flush()
    return token


def complete_password_reset(session: Session, *, token: str, new_password: str) -> User:
    reset = session.query(PasswordReset).filter_by(token_hash=digest(token)).one_or_none()
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise NotFound("password reset link")
    user = session.get(User, reset.user_id)
    if user is None or not user.is_active:
        raise NotFound("password reset link")
    set_password(session, user=user, password=new_password)
    reset.used_at = utcnow()
    end_all_web_sessions(session, user_id=user.id)
    record_audit(
        session, actor=None, actor_email=user.email, action="password.reset", target_type="user", target_id=user.id
    )
    return user


def reveal_personal_field(
    session: Session,
    *,
    actor: Actor,
    value: str | None,
    personal_field: str,
    subject_type: str,
    subject_id: str,
    city: str | None = None,
    country: str | None = None,
) -> str | None:
    """A personal field as the actor's data policy allows; a partner's unmasked read is audited."""
    visibility = actor.visibility(personal_field)
    if value is None or visibility == "hidden":
        return None
    if visibility == "masked":
        if personal_field == "address":
            return mask_address(city, country)
        return show(value, personal_field=personal_field, visibility="masked")
    if actor.is_partner:
        record_audit(
            session,
            actor=actor,
            action="personal_data.read",
            target_type=subject_type,
            target_id=subject_id,
            detail={"field": personal_field},
        )
    return value
