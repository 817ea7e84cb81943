"""Queries for sessions, tokens, login attempts and the audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cxhub.auth.models import ApiToken, AuditEvent, LoginAttempt, User, UserBrand, WebSession
from cxhub.auth.schemas import AuditFilter


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def user_for_session_token(session: Session, token_hash: str, now: dt.datetime) -> User | None:
    return session.scalar(
        select(User)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.token_hash == token_hash, WebSession.expires_at > now)
        .where(User.is_active.is_(True))
    )


def active_token(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None)))


def tokens_of(user_id: str) -> Select[ApiToken]:
    return select(ApiToken).where(ApiToken.user_id == user_id)


def recent_failures(session: Session, *, email: str, address: str, since: dt.datetime) -> tuple[int, int]:
    base = (
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
    )
    by_account = session.scalar(base.where(LoginAttempt.email == email)) or 0
    by_address = session.scalar(base.where(LoginAttempt.address == address)) or 0
    return by_account, by_address


def brand_ids_of(session: Session, user_id: str) -> frozenset[str] | None:
    ids = session.scalars(select(UserBrand.brand_id).where(UserBrand.user_id == user_id)).all()
    return frozenset(ids) if ids else None


def brand_ids_by_user(session: Session, user_ids: list[str]) -> dict[str, list[str]]:
    """Brand limits of many users in one query (users without limits are absent)."""
    limits: dict[str, list[str]] = {}
    rows = session.execute(
        select(UserBrand.user_id, UserBrand.brand_id)
        .where(UserBrand.user_id.in_(user_ids))
        .order_by(UserBrand.brand_id)
    )
    for user_id, brand_id in rows:
        limits.setdefault(user_id, []).append(brand_id)
    return limits


def audit_events(audit_filter: AuditFilter) -> Select[AuditEvent]:
    statement = select(AuditEvent)
    if audit_filter.action:
        statement = statement.where(AuditEvent.action == audit_filter.action)
    if audit_filter.actor_email:
        statement = statement.where(AuditEvent.actor_email == audit_filter.actor_email)
    if audit_filter.target_id:
        statement = statement.where(AuditEvent.target_id == audit_filter.target_id)
    if audit_filter.since:
        statement = statement.where(AuditEvent.at >= audit_filter.since)
    if audit_filter.until:
        statement = statement.where(AuditEvent.at < audit_filter.until)
    return statement
