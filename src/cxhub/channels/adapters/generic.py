"""The generic adapter: InteractionCreate objects as JSON (one, or an array) or an NDJSON stream."""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError

from cxhub.channels.adapter import Delivered, Outbound, ParseError, register
from cxhub.config import Settings
from cxhub.conversations.schemas import InteractionCreate

_one = TypeAdapter(InteractionCreate)


def decode(raw: bytes, content_type: str | None) -> tuple[bool, list[Any]]:
    """(single, items) from a JSON object, a JSON array or an NDJSON stream, not yet validated."""
    try:
        text = raw.decode()
        if (content_type or "").startswith("application/x-ndjson"):
            return False, [json.loads(line) for line in text.splitlines() if line.strip()]
        body = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"the body is not valid JSON: {exc}") from exc
    if isinstance(body, list):
        return False, body
    if isinstance(body, dict):
        return True, [body]
    raise ParseError("the body must be an object or an array of objects")


def validated(item: Any) -> InteractionCreate:
    return _one.validate_python(item)


def describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:5])


class GenericAdapter:
    name = "api"
    replies_to: tuple[str, ...] = ()

    def parse_inbound(self, raw: bytes, *, content_type: str | None) -> list[InteractionCreate]:
        _, items = decode(raw, content_type)
        parsed = []
        for position, item in enumerate(items):
            try:
                parsed.append(validated(item))
            except ValidationError as exc:
                raise ParseError(f"item {position}: {describe(exc)}") from exc
        return parsed

    def send(self, outbound: Outbound, *, settings: Settings) -> Delivered:
        raise LookupError("the generic source takes no replies")  # replies_to is empty: never asked


register(GenericAdapter())
