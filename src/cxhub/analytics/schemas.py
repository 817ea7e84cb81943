"""Analytics in/out: report rows (dimensions, contacts and every metric) and service-level thresholds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from cxhub.analytics.definitions import METRICS

DIMENSION_NAMES = (
    *("brand", "brand_id", "organisation", "organisation_id", "touchpoint", "touchpoint_id", "channel"),
    *("site", "site_id", "location_band", "team", "team_id", "agent", "agent_id", "seller"),
    *("customer_group", "customer_group_id"),
)
_DIMENSION_FIELDS: dict[str, Any] = {
    "period": (str | None, Field(None, description="The day (YYYY-MM-DD), week (YYYY-Www), month or hour.")),
    **dict.fromkeys(DIMENSION_NAMES, (str | None, None)),
}
_METRIC_FIELDS: dict[str, Any] = {
    metric.name: (float | None, Field(None, description=f"{metric.label} ({metric.unit}); null: no data."))
    for metric in METRICS
}
MetricsRow = create_model(
    "MetricsRow",
    __config__=ConfigDict(extra="forbid"),
    contacts=(int, Field(description="Contacts whose first inbound interaction falls in the period.")),
    **_DIMENSION_FIELDS,
    **_METRIC_FIELDS,
)


class MetricsReport(BaseModel):
    rows: list[MetricsRow]


class ServiceLevelThresholdWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(gt=0, le=30 * 86_400, description="Answered within this many seconds counts as in time.")
    business_hours: bool = Field(False, description="Count only open time of the calendar below.")
    time_zone: str | None = Field(None, max_length=64, description="Default: the brand's time zone.")
    opening_hours: dict[str, list[list[str]]] | None = Field(
        None, description='e.g. {"mon": [["09:00", "17:00"]]}; default Monday to Friday 09:00-17:00.'
    )


class ServiceLevelThresholdRead(ServiceLevelThresholdWrite):
    channel: str
    default: bool = Field(description="True while the brand has not set its own threshold for the channel.")


class GapRowRead(BaseModel):
    """One partner against in-house on one metric, on the partner's mix of touchpoints and channels."""

    organisation: str
    organisation_id: str
    metric: str
    label: str
    partner: float = Field(description="The partner's figure, standardised to its own mix.")
    in_house: float = Field(description="What in-house scores on the same mix.")
    difference: float = Field(description="Partner minus in-house.")
    low: float
    high: float
    margin: float = Field(description="The difference that matters, in the metric's unit.")
    verdict: str = Field(description="no_difference, inconclusive, worse or better.")
    text: str = Field(description='In words, e.g. "worse by 4.1 points (CI -6.2 to -2.0 points)".')
    opens_beyond_margin: bool
    strata: int = Field(description="Touchpoint and channel pairs compared.")
    excluded_share: float = Field(description="Share of the partner's volume where in-house has no data.")


class ConsistencyGap(BaseModel):
    rows: list[GapRowRead]


class GapMarginWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    margin: float = Field(ge=0, le=1000, description="In the metric's unit: a share (0.05 = 5 points), s, or points.")


class GapAlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    brand_id: str
    organisation_id: str
    metric: str
    difference: float
    low: float
    high: float
    text: str
    opened_at: dt.datetime
    checked_at: dt.datetime
