"""Cross-origin access for the widget's endpoints only, from the configured origins only."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from cxhub.web import problem

WIDGET_PATHS = ("/chat/session", "/chat/messages", "/chat/email", "/chat/stream")


class ChatCors:
    """CORS on the widget's endpoints; a request from an origin not allowed is refused before it runs."""

    def __init__(self, app: ASGIApp, allowed_origins: Sequence[str]) -> None:
        self.app = app
        self.any_origin = "*" in allowed_origins
        self.allowed = set(allowed_origins)
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(allowed_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Last-Event-ID"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in WIDGET_PATHS:
            await self.app(scope, receive, send)
            return
        origin = dict(scope["headers"]).get(b"origin", b"").decode("latin-1")
        if origin and not self.any_origin and origin not in self.allowed and scope["method"] != "OPTIONS":
            response = problem(403, "Forbidden", f"the chat is not enabled for pages of {origin}")
            await response(scope, receive, send)
            return
        await self.cors(scope, receive, send)
