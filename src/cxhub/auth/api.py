"""JSON routes for the acting user, their API tokens and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from cxhub.auth import repository
from cxhub.auth import service as auth_service
from cxhub.auth.actor import Actor
from cxhub.auth.models import ApiToken, AuditEvent, User
from cxhub.auth.permissions import Permission
from cxhub.auth.schemas import AuditEventRead, AuditFilter, Me, TokenCreate, TokenCreated, TokenRead
from cxhub.deps import ApiActor, Cursor, Limit, SessionDep, require
from cxhub.errors import NotFound
from cxhub.kit.pagination import Page, paginate
from cxhub.web import error_responses

router = APIRouter(tags=["account"])
CanManageTokens = Annotated[Actor, Depends(require(Permission.TOKENS_MANAGE))]
CanReadAudit = Annotated[Actor, Depends(require(Permission.AUDIT_READ))]


@router.get("/me", response_model=Me, responses=error_responses())
def read_me(actor: ApiActor) -> Me:
    """The acting user, their organisation and permissions."""
    return Me(
        id=actor.user_id,
        email=actor.email,
        name=actor.name,
        role=actor.role,
        organisation_id=actor.organisation_id,
        organisation_name=actor.organisation_name,
        organisation_kind=actor.organisation_kind,
        permissions=sorted(p.value for p in actor.permissions),
        brand_ids=sorted(actor.brand_ids) if actor.brand_ids is not None else None,
    )


@router.get("/tokens", response_model=Page[TokenRead], responses=error_responses(403))
def list_tokens(
    session: SessionDep, actor: CanManageTokens, limit: Limit = 50, cursor: Cursor = None
) -> Page[TokenRead]:
    """The acting user's API tokens (their secrets are never shown again)."""
    rows, next_cursor = paginate(session, repository.tokens_of(actor.user_id), ApiToken.id, cursor=cursor, limit=limit)
    return Page[TokenRead](items=[TokenRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/tokens", status_code=201, response_model=TokenCreated, responses=error_responses(403))
def create_token(session: SessionDep, actor: CanManageTokens, token_create: TokenCreate) -> TokenCreated:
    """Create an API token for the acting user; the secret is in this answer only."""
    user = session.get(User, actor.user_id)
    assert user is not None  # noqa: S101 - the actor was loaded from this row
    api_token, secret = auth_service.create_api_token(session, user=user, name=token_create.name, actor=actor)
    return TokenCreated(**TokenRead.model_validate(api_token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenRead, responses=error_responses(403, 404))
def revoke_token(session: SessionDep, actor: CanManageTokens, token_id: str) -> TokenRead:
    """Revoke one of the acting user's API tokens."""
    api_token = session.scalar(repository.tokens_of(actor.user_id).where(ApiToken.id == token_id))
    if api_token is None:
        raise NotFound("token")
    return TokenRead.model_validate(auth_service.revoke_api_token(session, api_token=api_token, actor=actor))


@router.get("/audit-events", response_model=Page[AuditEventRead], responses=error_responses(403))
def list_audit_events(
    session: SessionDep,
    actor: CanReadAudit,
    audit_filter: Annotated[AuditFilter, Query()],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AuditEventRead]:
    """Audit events, newest first, filtered by action, actor e-mail, target or time."""
    rows, next_cursor = paginate(
        session, repository.audit_events(audit_filter), AuditEvent.id, cursor=cursor, limit=limit, newest_first=True
    )
    return Page[AuditEventRead](items=[AuditEventRead.model_validate(r) for r in rows], next_cursor=next_cursor)
