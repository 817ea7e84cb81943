"""Metrics API: the report behind dashboards and brands' own reporting, and service-level thresholds."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from cxhub.analytics import gap, service
from cxhub.analytics.schemas import (
    ConsistencyGap,
    GapAlertRead,
    GapMarginWrite,
    GapRowRead,
    MetricsReport,
    ServiceLevelThresholdRead,
    ServiceLevelThresholdWrite,
)
from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.deps import SessionDep, require
from cxhub.errors import Forbidden
from cxhub.web import error_responses

router = APIRouter(tags=["metrics"])
CanRead = Annotated[Actor, Depends(require(Permission.METRICS_READ))]
CanManage = Annotated[Actor, Depends(require(Permission.METRICS_MANAGE))]
Dimension = Literal[
    "brand", "organisation", "touchpoint", "channel", "site", "location_band", "team", "agent", "seller"
]


@router.get(
    "/metrics", response_model=MetricsReport, response_model_exclude_unset=True, responses=error_responses(403, 422)
)
def metrics_report(
    session: SessionDep,
    actor: CanRead,
    first: Annotated[dt.date, Query(alias="from", description="First day, in the brand's time zone.")],
    last: Annotated[dt.date, Query(alias="to", description="Last day, included.")],
    by: Annotated[
        str | None,
        Query(max_length=200, description="Slice by these, comma-separated, e.g. `organisation,touchpoint`."),
    ] = None,
    period: Annotated[Literal["hour", "day", "week", "month"] | None, Query()] = None,
    brand: Annotated[str | None, Query(max_length=200, description="Brand id or name; default: all in scope.")] = None,
) -> MetricsReport:
    """Every metric per period and slice, from the daily rollups (a partner sees its own organisation only)."""
    rows = service.report(
        session,
        actor=actor,
        report_request=service.ReportRequest(
            first=first,
            last=last,
            by=tuple(name.strip() for name in by.split(",")) if by else (),
            period=period,
            brand=brand,
        ),
    )
    return MetricsReport.model_validate({"rows": rows})


@router.get(
    "/metrics/service-level-thresholds",
    response_model=list[ServiceLevelThresholdRead],
    responses=error_responses(403, 422),
)
def list_thresholds(
    session: SessionDep, actor: CanRead, brand: Annotated[str | None, Query(max_length=200)] = None
) -> list[ServiceLevelThresholdRead]:
    """Each channel's service-level threshold: the brand's own or the default."""
    found = service.brand_in_scope(session, actor=actor, key=brand)
    return [ServiceLevelThresholdRead.model_validate(row) for row in service.list_thresholds(session, brand=found)]


@router.put(
    "/metrics/service-level-thresholds/{channel}",
    response_model=list[ServiceLevelThresholdRead],
    responses=error_responses(403, 422),
)
def set_threshold(
    session: SessionDep,
    actor: CanManage,
    channel: str,
    body: ServiceLevelThresholdWrite,
    brand: Annotated[str | None, Query(max_length=200)] = None,
) -> list[ServiceLevelThresholdRead]:
    """Set a channel's threshold; the rollups are rebuilt with it by the next refresh."""
    if actor.is_partner:
        raise Forbidden("thresholds are the brand's to set")
    found = service.brand_in_scope(session, actor=actor, key=brand)
    service.set_threshold(session, brand=found, channel=channel, **body.model_dump())
    return [ServiceLevelThresholdRead.model_validate(row) for row in service.list_thresholds(session, brand=found)]


@router.get("/metrics/consistency-gap", response_model=ConsistencyGap, responses=error_responses(403, 422))
def consistency_gap(
    session: SessionDep,
    actor: CanRead,
    first: Annotated[dt.date, Query(alias="from", description="First day, in the brand's time zone.")],
    last: Annotated[dt.date, Query(alias="to", description="Last day, included.")],
    metrics: Annotated[str | None, Query(max_length=400, description="Comma-separated; default: all.")] = None,
    brand: Annotated[str | None, Query(max_length=200)] = None,
) -> ConsistencyGap:
    """Each partner against in-house on the same touchpoint and channel mix, with intervals and verdicts."""
    names = tuple(n.strip() for n in metrics.split(",")) if metrics else ()
    rows = gap.consistency_gap(session, actor=actor, first=first, last=last, brand=brand, metric_names=names)
    return ConsistencyGap(rows=[GapRowRead.model_validate(dataclasses.asdict(row)) for row in rows])


@router.put("/metrics/gap-margins/{metric}", status_code=204, responses=error_responses(403, 422))
def set_gap_margin(
    session: SessionDep,
    actor: CanManage,
    metric: str,
    body: GapMarginWrite,
    brand: Annotated[str | None, Query(max_length=200)] = None,
) -> None:
    """Set the difference that matters for a metric: the verdicts and alerts use it."""
    if actor.is_partner:
        raise Forbidden("margins are the brand's to set")
    found = service.brand_in_scope(session, actor=actor, key=brand)
    gap.set_margin(session, brand=found, metric=metric, margin=body.margin)


@router.get("/metrics/gap-alerts", response_model=list[GapAlertRead], responses=error_responses(403))
def gap_alerts(session: SessionDep, actor: CanRead) -> list[GapAlertRead]:
    """Open alerts: a partner worse than in-house beyond the margin over the last 28 days."""
    return [GapAlertRead.model_validate(a) for a in gap.open_alerts(session, actor=actor)]
