"""Survey links: the invitation's id signed with the hub's secret key, so a changed or made-up link is refused.

The link carries no expiry of its own: the invitation row holds it (and whether it was answered), so
single use and expiry are decided in one place, on the database.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "cxhub.survey.link"
MAX_TOKEN = 200


class InvalidLink(Exception):
    """A survey link this hub did not sign: tampered, truncated, or from another hub."""


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def sign_link(invitation_id: str, *, secret_key: str) -> str:
    return _serializer(secret_key).dumps(invitation_id)


def read_link(token: str, *, secret_key: str) -> str:
    """The invitation id the link names; InvalidLink when the signature does not hold."""
    if not token or len(token) > MAX_TOKEN:
        raise InvalidLink("no survey link")
    try:
        invitation_id = _serializer(secret_key).loads(token)
    except BadSignature as exc:
        raise InvalidLink("the survey link is not valid") from exc
    if not isinstance(invitation_id, str) or len(invitation_id) != 26:
        raise InvalidLink("the survey link is not valid")
    return invitation_id


def survey_url(token: str, *, public_url: str) -> str:
    return f"{public_url.rstrip('/')}/s/{token}"
