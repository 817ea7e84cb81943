"""Cursor pagination over time-sortable string ids."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from cxhub.errors import CxhubError

T = TypeVar("T")
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


CURSOR_PATTERN = r"^[0-9a-z]{1,26}$"


def encode_cursor(last_id: str) -> str:
    """A cursor is the last id of the page (ids sort by creation time); clients treat it as opaque."""
    return last_id


def decode_cursor(cursor: str) -> str:
    if not re.fullmatch(CURSOR_PATTERN, cursor):
        raise CxhubError("cursor is not valid", status=422, field="cursor")
    return cursor


def paginate(
    session: Session,
    statement: Select[Any],
    id_column: InstrumentedAttribute[str],
    *,
    cursor: str | None,
    limit: int,
    newest_first: bool = False,
) -> tuple[Sequence[Any], str | None]:
    """Rows after the cursor in id (creation) order, and the cursor of the next page."""
    if cursor:
        after = decode_cursor(cursor)
        statement = statement.where(id_column < after if newest_first else id_column > after)
    order = id_column.desc() if newest_first else id_column
    rows = session.scalars(statement.order_by(order).limit(limit + 1)).all()
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(getattr(rows[-1], id_column.key))
    return rows, None
