"""create_app(): middleware, routers and error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxhub import __version__
from cxhub.auth.actor_cache import ActorCache
from cxhub.config import Settings, get_settings
from cxhub.db import make_engine, make_sessionmaker
from cxhub.errors import CxhubError
from cxhub.web import (
    CSRF_COOKIE,
    STATIC_DIR,
    handle_cxhub_error,
    handle_http_error,
    handle_validation_error,
    problem,
)


class BodySizeLimit:
    """Refuse bodies larger than the limit before any of them is parsed."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes  # file uploads carry their own, larger limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_max_bytes + 65536 if scope["path"].endswith("/attachments") else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                too_large = True
                raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # the framework turns a failed read into its own error; answer 413 in its place
            if too_large:
                if message["type"] == "http.response.start":
                    await self._refuse(scope, receive, send)
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "Request too large", "the body is larger than this route accepts")
        await response(scope, receive, send)


class _TooLarge(Exception):
    """Raised while reading a body that has passed the limit."""


class ResponseHeaders:
    """Security headers on every answer, and the CSRF cookie of a page that made a new nonce."""

    def __init__(self, app: ASGIApp, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                nonce = scope.get("state", {}).get("csrf_nonce")  # set by a page (request.state) without a cookie
                if nonce:
                    cookie = Response()
                    cookie.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=self.secure_cookies)
                    headers.append("set-cookie", cookie.headers["set-cookie"])
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    session_factory: sessionmaker[Session] | None = None,
    start_worker: bool | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    # a connection for every request's turn, and some for the job worker and live streams besides
    engine = engine or make_engine(
        settings.effective_database_url, pool_size=settings.database_sessions + 4, max_overflow=4
    )
    factory = session_factory or make_sessionmaker(engine)
    run_worker = settings.in_process_worker if start_worker is None else start_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if run_worker:
            import cxhub.tasks  # noqa: F401  the registry must be complete before work is claimed
            from cxhub.jobs.worker import start_in_process_worker

            worker = start_in_process_worker(factory, settings)
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()

    import cxhub.tasks  # noqa: F401  job handlers and personal-data holders register on import

    app = FastAPI(
        title="cxhub",
        version=__version__,
        summary="Customer Experience Hub: one measured system for in-house and partner customer care.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = factory
    app.state.actors = ActorCache(settings.auth_cache_seconds)

    app.add_exception_handler(CxhubError, handle_cxhub_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)

    app.add_middleware(ResponseHeaders, secure_cookies=settings.secure_cookies)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, upload_max_bytes=settings.attachment_max_bytes)
    from cxhub.channels.chat.cors import ChatCors

    app.add_middleware(ChatCors, allowed_origins=settings.chat_allowed_origins)

    @app.get("/healthz", tags=["health"], responses={503: {"description": "Database unreachable"}})
    def healthz() -> dict[str, Any]:
        """Liveness and database reachability."""
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            raise CxhubError(f"database unreachable: {type(exc).__name__}", status=503) from exc
        return {"status": "ok", "version": __version__}

    from cxhub.analytics.api import router as analytics_api
    from cxhub.auth.api import router as auth_api
    from cxhub.channels.api import router as channels_api
    from cxhub.conversations.api import router as conversations_api
    from cxhub.conversations.customer_api import router as customer_view_api
    from cxhub.customers.api import router as customers_api
    from cxhub.customers.privacy_api import router as privacy_api
    from cxhub.deps import reject_unknown_query
    from cxhub.jobs.api import router as jobs_api
    from cxhub.journeys.api import router as journeys_api
    from cxhub.pages import router as pages
    from cxhub.quality.api import router as quality_api
    from cxhub.routing.api import router as routing_api
    from cxhub.workforce.api import router as workforce_api

    strict = [Depends(reject_unknown_query)]
    app.include_router(auth_api, prefix="/api/v1", dependencies=strict)
    app.include_router(workforce_api, prefix="/api/v1", dependencies=strict)
    app.include_router(conversations_api, prefix="/api/v1", dependencies=strict)
    app.include_router(customers_api, prefix="/api/v1", dependencies=strict)
    app.include_router(privacy_api, prefix="/api/v1", dependencies=strict)
    app.include_router(customer_view_api, prefix="/api/v1", dependencies=strict)  # after: its paths are the widest
    app.include_router(channels_api, prefix="/api/v1", dependencies=strict)
    app.include_router(jobs_api, prefix="/api/v1", dependencies=strict)
    app.include_router(journeys_api, prefix="/api/v1", dependencies=strict)
    app.include_router(routing_api, prefix="/api/v1", dependencies=strict)
    app.include_router(quality_api, prefix="/api/v1", dependencies=strict)
    app.include_router(analytics_api, prefix="/api/v1", dependencies=strict)
    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
