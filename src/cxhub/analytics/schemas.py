"""Analytics in/out: report rows (dimensions, contacts and every metric) and service-level thresholds."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from cxhub.analytics.definitions import METRICS

DIMENSION_NAMES = (
    *("brand", "brand_id", "organisation", "organisation_id", "touchpoint", "touchpoint_id", "channel"),
    *("site", "site_id", "location_band", "team", "team_id", "agent", "agent_id", "seller"),
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
