"""Visitor passes: who a returning chat visitor is, signed with the hub's secret key and kept by the widget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "cxhub.chat.visitor"


class InvalidPass(Exception):
    """A visitor pass that was not signed by this hub (tampered, truncated or from another hub)."""


@dataclass(frozen=True)
class VisitorPass:
    visitor_id: str
    brand_id: str
    session_id: str  # the chat conversation's thread_ref


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def sign_pass(visitor_pass: VisitorPass, *, secret_key: str) -> str:
    payload = {"v": visitor_pass.visitor_id, "b": visitor_pass.brand_id, "s": visitor_pass.session_id}
    return _serializer(secret_key).dumps(payload)


def read_pass(token: object, *, secret_key: str) -> VisitorPass:
    if not isinstance(token, str) or not token or len(token) > 1000:
        raise InvalidPass("no visitor pass")
    try:
        payload: Any = _serializer(secret_key).loads(token)
    except BadSignature as exc:
        raise InvalidPass("the visitor pass is not valid") from exc
    if not isinstance(payload, dict) or not all(isinstance(payload.get(k), str) for k in ("v", "b", "s")):
        raise InvalidPass("the visitor pass is not valid")
    return VisitorPass(visitor_id=payload["v"], brand_id=payload["b"], session_id=payload["s"])
