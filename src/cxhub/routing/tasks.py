"""Routing jobs: a dispatch round every second, in whichever worker's turn it is."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cxhub.jobs.service import periodic
from cxhub.routing.dispatch import dispatch

DISPATCH_EVERY_SECONDS = 1  # arrivals, releases and presence changes are acted on within about a second


@periodic("routing.dispatch", every_seconds=DISPATCH_EVERY_SECONDS)
def dispatch_round(session: Session, payload: dict[str, Any]) -> None:
    dispatch(session)
