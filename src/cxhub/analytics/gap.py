"""The consistency gap: each partner against in-house on the partner's own mix of touchpoints and channels.

A partner that takes the easy touchpoints must not be flattered. Both sides are therefore compared
stratum by stratum (touchpoint x channel) and weighted by the partner's volume in each, so the
in-house figure is what in-house would score on the partner's work. Proportions get a Wilson
interval with the standardised effective sample size and a Newcombe interval of the difference;
score means a stratified bootstrap; times a normal interval from sums and squares (see statistics.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.analytics import repository
from cxhub.analytics.definitions import METRICS, METRICS_BY_NAME, STAT_FIELDS, Metric, Stats
from cxhub.analytics.models import GapAlert, GapMargin
from cxhub.analytics.service import brands_in_scope
from cxhub.analytics.statistics import (
    PERCENTAGE_POINTS,
    SCORE,
    SECONDS,
    Moments,
    Proportion,
    StandardisedComparison,
    Stratum,
    Unit,
    bootstrap_mean_difference,
    normal_mean_difference,
    standardised_proportion_difference,
    verdict,
)
from cxhub.auth.actor import IN_HOUSE, Actor
from cxhub.errors import CxhubError
from cxhub.kit.time import utcnow
from cxhub.workforce.models import Brand, Organisation

ALERT_WINDOW_DAYS = 28
NPS_POINTS = Unit(scale=1, decimals=1, suffix=" points")
Key = tuple[str | None, str | None]  # (touchpoint, channel)


@dataclass(frozen=True)
class GapRow:
    organisation: str
    organisation_id: str
    metric: str
    label: str
    partner: float
    in_house: float
    difference: float
    low: float
    high: float
    margin: float
    verdict: str  # no_difference | inconclusive | worse | better
    text: str
    opens_beyond_margin: bool
    strata: int
    excluded_share: float  # the partner's volume on touchpoints in-house does not serve


def unit_of(metric: Metric) -> Unit:
    if metric.unit == "share":
        return PERCENTAGE_POINTS
    if metric.unit == "s":
        return SECONDS
    if metric.name == "nps":
        return NPS_POINTS
    return SCORE


def compare(metric: Metric, strata: dict[Key, tuple[Stats, Stats]]) -> StandardisedComparison | None:
    """Partner minus in-house for one metric over the strata, or None when they share no data."""
    evidence = metric.evidence
    if evidence is None:
        return None
    sides = [Stratum(evidence(p), evidence(h), key) for key, (p, h) in sorted(strata.items(), key=_order)]
    first = sides[0].partner if sides else None
    if isinstance(first, Proportion):
        return standardised_proportion_difference(sides)  # type: ignore[arg-type]
    if isinstance(first, Moments):
        return normal_mean_difference(sides)  # type: ignore[arg-type]
    if first is not None:
        return bootstrap_mean_difference(sides, seed=0)  # type: ignore[arg-type]
    return None


def _order(item: tuple[Key, Any]) -> tuple[str, str]:
    touchpoint, channel = item[0]
    return touchpoint or "", channel or ""


def margins(session: Session, brand_ids: list[str]) -> dict[tuple[str, str], float]:
    rows = session.scalars(select(GapMargin).where(GapMargin.brand_id.in_(brand_ids)))
    return {(m.brand_id, m.metric): m.margin for m in rows}


def consistency_gap(
    session: Session,
    *,
    actor: Actor | None,
    first: dt.date,
    last: dt.date,
    brand: str | None = None,
    metric_names: tuple[str, ...] = (),
) -> list[GapRow]:
    """Every partner organisation against in-house, per metric, with the interval and a verdict."""
    if last < first:
        raise CxhubError("the last day comes before the first", status=422, field="to")
    unknown = [name for name in metric_names if name not in METRICS_BY_NAME]
    if unknown:
        raise CxhubError(f"unknown metric {unknown[0]!r}", status=422, field="metrics")
    brands = brands_in_scope(session, actor, brand)
    if brand is not None and len(brands) != 1:
        raise CxhubError("unknown brand", status=422, field="brand")
    chosen = [METRICS_BY_NAME[n] for n in metric_names] if metric_names else [m for m in METRICS if m.evidence]
    kinds = dict(session.execute(select(Organisation.id, Organisation.kind)).all())
    names = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    in_house: dict[Key, Stats] = defaultdict(Stats)
    partners: dict[str, dict[Key, Stats]] = defaultdict(lambda: defaultdict(Stats))
    statement = repository.summed_rollups(
        brand_ids=[b.id for b in brands],
        first=first,
        last=last,
        by=["organisation_id", "touchpoint_id", "channel"],
    )
    for row in session.execute(statement):
        m = row._mapping
        if m["organisation_id"] is None:
            continue
        stats = Stats({name: m[name] for name in STAT_FIELDS if m[name]})
        key = (m["touchpoint_id"], m["channel"])
        if kinds.get(m["organisation_id"]) == IN_HOUSE:
            in_house[key] += stats
        else:
            partners[m["organisation_id"]][key] += stats
    if actor is not None and actor.is_partner:
        partners = {k: v for k, v in partners.items() if k == actor.organisation_id}
    own_margins = margins(session, [b.id for b in brands]) if len(brands) == 1 else {}
    rows = []
    for organisation_id in sorted(partners, key=lambda o: names.get(o, o)):
        strata = {
            key: (stats, in_house[key]) for key, stats in partners[organisation_id].items() if key in in_house
        } | {key: (stats, Stats()) for key, stats in partners[organisation_id].items() if key not in in_house}
        for metric in chosen:
            comparison = compare(metric, strata)
            if comparison is None:
                continue
            margin = own_margins.get((brands[0].id, metric.name), metric.margin) if brands else metric.margin
            reading = verdict(
                comparison.difference.estimate,
                comparison.difference.bounds,
                margin,
                metric.higher_is_better,
                unit_of(metric),
            )
            rows.append(
                GapRow(
                    organisation=names.get(organisation_id, organisation_id),
                    organisation_id=organisation_id,
                    metric=metric.name,
                    label=metric.label,
                    partner=comparison.partner.estimate,
                    in_house=comparison.in_house.estimate,
                    difference=comparison.difference.estimate,
                    low=comparison.difference.low,
                    high=comparison.difference.high,
                    margin=margin,
                    verdict=reading.kind,
                    text=reading.text,
                    opens_beyond_margin=reading.opens_beyond_margin,
                    strata=comparison.strata,
                    excluded_share=comparison.excluded_share,
                )
            )
    return rows


def set_margin(session: Session, *, brand: Brand, metric: str, margin: float) -> None:
    if metric not in METRICS_BY_NAME or METRICS_BY_NAME[metric].evidence is None:
        raise CxhubError(f"unknown metric {metric!r}", status=422, field="metric")
    found = session.get(GapMargin, (brand.id, metric))
    if found is None:
        session.add(GapMargin(brand_id=brand.id, metric=metric, margin=margin))
    else:
        found.margin = margin
    session.flush()


def check_alerts(session: Session, *, today: dt.date | None = None) -> tuple[int, int]:
    """Open an alert where a partner is worse beyond the margin over the last 28 days; close those that recovered.

    Returns (opened, closed).
    """
    now = utcnow()
    opened = closed = 0
    for brand in session.scalars(select(Brand).order_by(Brand.id)):
        last = today or now.date()
        first = last - dt.timedelta(days=ALERT_WINDOW_DAYS - 1)
        rows = consistency_gap(session, actor=None, first=first, last=last, brand=brand.id)
        beyond = {(r.organisation_id, r.metric): r for r in rows if r.opens_beyond_margin}
        current = {
            (a.organisation_id, a.metric): a
            for a in session.scalars(
                select(GapAlert).where(GapAlert.brand_id == brand.id, GapAlert.closed_at.is_(None))
            )
        }
        for key, row in beyond.items():
            alert = current.get(key)
            if alert is None:
                session.add(
                    GapAlert(
                        brand_id=brand.id,
                        organisation_id=row.organisation_id,
                        metric=row.metric,
                        difference=row.difference,
                        low=row.low,
                        high=row.high,
                        text=row.text,
                        opened_at=now,
                        checked_at=now,
                    )
                )
                opened += 1
            else:
                alert.difference, alert.low, alert.high, alert.text = row.difference, row.low, row.high, row.text
                alert.checked_at = now
        for key, alert in current.items():
            if key not in beyond:
                alert.closed_at = now
                closed += 1
    session.flush()
    return opened, closed


def open_alerts(session: Session, *, actor: Actor | None) -> list[GapAlert]:
    statement = select(GapAlert).where(GapAlert.closed_at.is_(None)).order_by(GapAlert.opened_at.desc())
    if actor is not None and actor.brand_ids is not None:
        statement = statement.where(GapAlert.brand_id.in_(actor.brand_ids))
    if actor is not None and actor.is_partner:
        statement = statement.where(GapAlert.organisation_id == actor.organisation_id)
    return list(session.scalars(statement))
