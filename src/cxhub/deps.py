"""Request dependencies: the unit of work, the acting user and the permissions routes declare."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cxhub.auth import actor_cache
from cxhub.auth import service as auth_service
from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.auth.passwords import digest
from cxhub.auth.permissions import Permission
from cxhub.errors import CxhubError, Forbidden, Redirect
from cxhub.kit.pagination import CURSOR_PATTERN, MAX_LIMIT
from cxhub.web import CSRF_FIELD, CSRF_HEADER, csrf_valid
from cxhub.workforce.service import actor_for_user


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the handler succeeds, rolled back otherwise.

    The session is made on the event loop (it holds no connection until first used); its end, which
    waits for the database, runs in a worker thread.
    """
    async with _turns(request):
        session: Session = request.app.state.sessionmaker()
        try:
            yield session
        except BaseException:
            await _end(session, commit=False)
            raise
        await _end(session, commit=True)


def _turns(request: Request) -> asyncio.Semaphore:
    """At most `database_sessions` requests of this process work with the database at once.

    The rest wait here, on the event loop, holding nothing. Without the bound, requests waiting in
    worker threads for a pooled connection could take every thread while the requests that hold the
    connections wait for a thread to commit: all would stand until the pool's timeout.
    """
    loop = asyncio.get_running_loop()
    turns: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = getattr(request.app.state, "turns", None)
    if turns is None or turns[0] is not loop:  # a semaphore belongs to one loop (a test client has its own)
        turns = (loop, asyncio.Semaphore(request.app.state.settings.database_sessions))
        request.app.state.turns = turns
    return turns[1]


async def _end(session: Session, *, commit: bool) -> None:
    if not session.in_transaction():
        session.close()  # never touched the database: nothing to wait for
        return

    def end() -> None:
        try:
            if commit:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()

    await run_in_threadpool(end)


# committed before the answer is sent: a 2xx is never given for work that is not stored yet
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

PASSWORD_PAGE = "/account/password"  # noqa: S105 - a path, not a password
_bearer = HTTPBearer(auto_error=False, description="An API token created with `cxhub tokens create`.")


class NotAuthenticated(CxhubError):
    def __init__(self) -> None:
        super().__init__("authentication required: send a bearer token", status=401)


class LoginRequired(CxhubError):
    """Raised by pages; the error handler turns it into a redirect to the login page."""

    def __init__(self) -> None:
        super().__init__("please log in", status=401)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def api_actor(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The token's actor, from the process's short-lived cache or looked up (in a worker thread)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated
    cache: actor_cache.ActorCache = request.app.state.actors
    key = digest(credentials.credentials)
    actor = cache.get(key)
    if actor is None:
        seen_at = actor_cache.generation()
        actor = await run_in_threadpool(_actor_for_token, session, credentials.credentials)
        cache.put(key, actor, seen_at)
    return actor


def _actor_for_token(session: Session, token: str) -> Actor:
    user = auth_service.user_for_api_token(session, token=token)
    if user is None:
        raise NotAuthenticated
    return actor_for_user(session, user=user)


def page_user(request: Request, session: SessionDep) -> User:
    token = request.cookies.get(auth_service.SESSION_COOKIE)
    user = auth_service.user_for_session_token(session, token=token) if token else None
    if user is None:
        raise LoginRequired
    return user


def page_actor(request: Request, session: SessionDep, user: Annotated[User, Depends(page_user)]) -> Actor:
    if user.must_change_password:
        raise Redirect(PASSWORD_PAGE)  # a temporary password is changed before anything else
    actor = actor_for_user(session, user=user)
    request.state.actor = actor
    return actor


ApiActor = Annotated[Actor, Depends(api_actor)]
PageActor = Annotated[Actor, Depends(page_actor)]


def require(permission: Permission, *, pages: bool = False) -> Callable[..., Awaitable[Actor]]:
    """A dependency that yields the actor if they hold the permission, and answers 403 if not."""
    base = page_actor if pages else api_actor

    async def dependency(actor: Actor = Depends(base)) -> Actor:  # a default, since `base` is a local
        if not actor.can(permission):
            raise Forbidden(f"this needs the permission {permission.value}")
        return actor

    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, at most 200.")]
Cursor = Annotated[str | None, Query(pattern=CURSOR_PATTERN, description="`next_cursor` of the previous page.")]


async def csrf_protect(request: Request) -> None:
    """Every state-changing page request carries the signed CSRF token (form field or htmx header)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not csrf_valid(request, submitted):
        raise Forbidden("the form has expired or did not come from this site; reload the page and try again")


def _query_parameters(request: Request) -> list[tuple[re.Pattern[str], str, set[str]]]:
    """(path pattern, method, query parameter names) of every API operation, from the OpenAPI document."""
    table: list[tuple[re.Pattern[str], str, set[str]]] | None = getattr(request.app.state, "query_parameters", None)
    if table is None:
        table = []
        for path, operations in request.app.openapi()["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
            for method, operation in operations.items():
                names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
                table.append((pattern, method.upper(), names))
        request.app.state.query_parameters = table
    return table


async def reject_unknown_query(request: Request) -> None:
    """A misspelt or repeated query parameter is an error, not silently ignored."""
    path = request.url.path
    for pattern, method, known in _query_parameters(request):
        if method == request.method and pattern.match(path):
            unknown = sorted(set(request.query_params) - known)
            if unknown:
                raise CxhubError(f"unknown query parameter {unknown[0]!r}", status=422, field=unknown[0])
            repeated = sorted({name for name in request.query_params if len(request.query_params.getlist(name)) > 1})
            if repeated:  # every parameter takes one value: a second one is a mistake, not a choice
                raise CxhubError(f"query parameter {repeated[0]!r} given more than once", status=422, field=repeated[0])
            return
