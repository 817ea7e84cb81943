"""Webhook signatures: HMAC-SHA256 of "<timestamp>.<body>" with the source's secret.

Headers: `X-Cxhub-Timestamp` (Unix seconds) and `X-Cxhub-Signature: sha256=<hex>`. A timestamp
more than five minutes from the hub's clock is refused, and so is a signature already seen.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "x-cxhub-timestamp"
SIGNATURE_HEADER = "x-cxhub-signature"
TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The request is not signed, not fresh, or not signed with the source's secret."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def check_signature(secret: str, *, timestamp: str | None, signature: str | None, body: bytes, now: float) -> str:
    """The signature's hex digest if the request is authentic and fresh; SignatureError otherwise."""
    if not timestamp or not signature:
        raise SignatureError(f"sign the request: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required")
    if not timestamp.isdigit():
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix seconds")
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise SignatureError("the timestamp is more than 5 minutes away from the hub's clock")
    if not hmac.compare_digest(sign(secret, int(timestamp), body), signature.strip()):
        raise SignatureError("the signature does not match the body")
    return signature.strip().removeprefix("sha256=")
