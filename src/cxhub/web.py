"""What every page shares: templates, CSRF tokens, problem+json and friendly error pages."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from cxhub.config import get_settings
from cxhub.errors import CxhubError, Redirect

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
templates = Jinja2Templates(directory=TEMPLATES_DIR)

CSRF_COOKIE = "cxhub_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PROBLEM_JSON = "application/problem+json"


def csrf_nonce(request: Request) -> str:
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(24)
        request.state.csrf_nonce = nonce
    return nonce


def csrf_token(request: Request) -> str:
    """The token forms and htmx send back: the cookie's nonce signed with the secret key."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, csrf_nonce(request).encode(), hashlib.sha256).hexdigest()


def csrf_valid(request: Request, submitted: str | None) -> bool:
    if not submitted or not request.cookies.get(CSRF_COOKIE):
        return False
    return hmac.compare_digest(submitted, csrf_token(request))


def wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "") or request.headers.get("hx-request") == "true"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("actor", getattr(request.state, "actor", None))
    context["csrf_token"] = csrf_token(request)
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def problem(status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON)


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
}


def _error_page(request: Request, status: int, detail: str) -> Response:
    return render(
        request, "error.html", status_code=status, status=status, title=_TITLES.get(status, "Error"), detail=detail
    )


def handle_cxhub_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CxhubError)  # noqa: S101 - registered for this type only
    if isinstance(exc, Redirect):
        return RedirectResponse(exc.location, status_code=303)
    if exc.status == 401 and not request.url.path.startswith("/api/"):
        target = request.url.path
        return RedirectResponse(f"/login?next={target}", status_code=303)
    if wants_html(request):
        return _error_page(request, exc.status, exc.message)
    errors = [{"field": exc.field, "reason": exc.message}] if exc.field else None
    response = problem(exc.status, _TITLES.get(exc.status, "Error"), exc.message, errors)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _field(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(location[0] if location else "body")


def handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    errors = [{"field": _field(tuple(e.get("loc", ()))), "reason": str(e.get("msg", "invalid"))} for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
    if wants_html(request):
        return _error_page(request, 422, detail)
    return problem(422, _TITLES[422], detail, errors)


def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type only
    detail = str(exc.detail)
    if exc.status_code == 400 and "parsing the body" in detail:  # undecodable bytes: invalid input like any other
        reason = "the body is not valid UTF-8 JSON"
        if wants_html(request):
            return _error_page(request, 422, reason)
        return problem(422, _TITLES[422], reason, [{"field": "body", "reason": reason}])
    if wants_html(request):
        return _error_page(request, exc.status_code, detail)
    response = problem(exc.status_code, _TITLES.get(exc.status_code, "Error"), detail)
    if exc.headers:
        response.headers.update(exc.headers)
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(_allowed_methods(request))
    return response


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route offers at this path (the router names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, APIRoute) and route.path_regex.match(request.url.path):
            methods |= route.methods or set()
    return sorted(methods)


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


_DESCRIPTIONS = {
    400: "The body cannot be read as the content type it declares (e.g. a broken multipart form)",
    401: "No valid bearer token",
    403: "In scope, but the permission is missing",
    404: "Missing, or not yours to see",
    409: "Conflicts with an existing record",
    413: "Body too large",
    415: "Unsupported content type",
    422: "Invalid input; `errors` names each field and reason",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers a route can give (401, 413, 422 always)."""
    wanted = sorted({401, 413, 422, *codes})
    return {
        code: {
            "model": Problem,
            "description": _DESCRIPTIONS[code],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in wanted
    }
