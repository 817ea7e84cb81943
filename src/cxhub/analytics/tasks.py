"""Analytics jobs: the refresh that keeps every brand's daily rollups up to date."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from cxhub.analytics.gap import check_alerts
from cxhub.analytics.service import refresh_all
from cxhub.jobs.service import periodic

REFRESH_EVERY_SECONDS = 300  # dashboards read rollups at most this much behind the hub
GAP_ALERTS_EVERY_SECONDS = 3600
log = logging.getLogger(__name__)


@periodic("analytics.refresh_rollups", every_seconds=REFRESH_EVERY_SECONDS)
def refresh_rollups(session: Session, payload: dict[str, Any]) -> None:
    for refreshed in refresh_all(session):
        log.info("rollups of brand %s: %s days, %s rows", refreshed.brand_id, len(refreshed.days), refreshed.rows)


@periodic("analytics.gap_alerts", every_seconds=GAP_ALERTS_EVERY_SECONDS)
def gap_alerts(session: Session, payload: dict[str, Any]) -> None:
    opened, closed = check_alerts(session)
    if opened or closed:
        log.info("consistency-gap alerts: %s opened, %s closed", opened, closed)
