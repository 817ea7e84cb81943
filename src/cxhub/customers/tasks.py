"""Customer jobs: the sweep that brings rows written during a merge over to the survivor."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from cxhub.customers.merge import sweep_stragglers
from cxhub.jobs.service import periodic

MERGE_SWEEP_EVERY_SECONDS = 30  # a message written while its customer was being merged moves within this
log = logging.getLogger(__name__)


@periodic("customers.merge_sweep", every_seconds=MERGE_SWEEP_EVERY_SECONDS)
def merge_sweep(session: Session, payload: dict[str, Any]) -> None:
    moved = sweep_stragglers(session)
    if moved:
        log.info("rows moved to the survivors of their customers' merges: %s", moved)
