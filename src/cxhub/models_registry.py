"""Imports every domain's tables so that metadata is complete (migrations, checks)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData

SEARCH_PREFIXES = ("search_", "ix_search_")  # full-text tables and indexes: the 0006 migration's own


def metadata() -> MetaData:
    import cxhub.analytics.models
    import cxhub.auth.models
    import cxhub.channels.models
    import cxhub.conversations.models
    import cxhub.customers.models
    import cxhub.jobs.models
    import cxhub.journeys.models
    import cxhub.quality.models
    import cxhub.routing.models
    import cxhub.workforce.models  # noqa: F401
    from cxhub.db import Base

    return Base.metadata


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Autogenerate compares everything but the dialect's own full-text objects, which no model declares."""
    return not (reflected and compare_to is None and (name or "").startswith(SEARCH_PREFIXES))
