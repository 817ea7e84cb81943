"""Time helpers: every time in the hub is timezone-aware UTC."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_aware(value: object) -> dt.datetime:
    """An ISO-8601 timestamp that carries its offset; numbers and naive times are refused."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("must be an ISO-8601 timestamp such as 2026-11-22T09:30:00+00:00") from exc
    else:
        raise ValueError("must be an ISO-8601 timestamp string")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("must carry a UTC offset, e.g. +00:00 or Z")
    return parsed.astimezone(dt.UTC)


AwareTimestamp = Annotated[
    dt.datetime,
    PlainValidator(parse_aware),
    PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
