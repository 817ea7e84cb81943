"""Imports every domain's tables so that metadata is complete (migrations, checks)."""

from __future__ import annotations

from sqlalchemy import MetaData


def metadata() -> MetaData:
    import cxhub.auth.models
    import cxhub.channels.models
    import cxhub.conversations.models
    import cxhub.customers.models
    import cxhub.jobs.models
    import cxhub.journeys.models
    import cxhub.routing.models
    import cxhub.workforce.models  # noqa: F401
    from cxhub.db import Base

    return Base.metadata
