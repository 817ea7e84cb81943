"""One error type for the whole hub, rendered as problem+json or a friendly page."""

from __future__ import annotations


class CxhubError(Exception):
    def __init__(self, message: str, *, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


class NotFound(CxhubError):
    def __init__(self, what: str = "resource") -> None:
        super().__init__(f"{what} not found", status=404)


class Forbidden(CxhubError):
    def __init__(self, message: str = "you do not have permission for this") -> None:
        super().__init__(message, status=403)


class Conflict(CxhubError):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, status=409, field=field)


class Redirect(CxhubError):
    """Sends a browser elsewhere (e.g. to change a temporary password before going on)."""

    def __init__(self, location: str) -> None:
        super().__init__(f"see {location}", status=303)
        self.location = location
