"""Analytics operations: rebuild a day's rollups, keep them fresh, and report the metrics sliced any way."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxhub.analytics import repository
from cxhub.analytics.definitions import (
    REPEAT_DAYS,
    STAT_FIELDS,
    ContactFact,
    ServiceLevelTarget,
    Stats,
    answer_stats,
    contact_stats,
    evaluation_stats,
    figures,
)
from cxhub.analytics.models import DIMENSIONS, RollupRefresh, ServiceLevelThreshold
from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.customers.groups import group_of
from cxhub.customers.models import CustomerGroup
from cxhub.errors import CxhubError
from cxhub.journeys.models import Touchpoint
from cxhub.kit.hours import BusinessHours
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow
from cxhub.routing import repository as routing_repository
from cxhub.workforce.models import Agent, Brand, Organisation, Site, Team

OFFICE_HOURS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
DEFAULT_THRESHOLDS: dict[str, tuple[float, bool]] = {  # channel: (seconds, business hours)
    "voice": (20, False),
    "chat": (60, False),
    "email": (24 * 3600, True),
}
OTHER_CHANNELS_THRESHOLD = (24 * 3600, False)
CHANNELS = ("email", "chat", "voice", "voicemail", "sms", "social", "review", "web_form", "api")
Period = Literal["hour", "day", "week", "month"]
BY = (
    *("brand", "organisation", "touchpoint", "channel", "site", "location_band", "team", "agent", "seller"),
    "customer_group",
)
_ROLLUP_KEY = {"organisation": "organisation_id", "touchpoint": "touchpoint_id", "channel": "channel"}
_ROLLUP_KEY |= {"site": "site_id", "location_band": "site_id", "team": "team_id", "agent": "agent_id"}
_ROLLUP_KEY |= {"seller": "seller", "customer_group": "customer_group_id"}
CONTACT_ONLY = frozenset({"touchpoint", "channel", "seller"})  # agent time belongs to none of these
AGENT_TIME = frozenset({"staffed_seconds", "worked_seconds"})
_DIMENSION_AT = {name: DIMENSIONS.index(column) for name, column in _ROLLUP_KEY.items()}


# --- service-level thresholds -----------------------------------------------------------------------


class Thresholds:
    """A brand's threshold per channel: its own setting or the default (voice 20 s, chat 60 s, e-mail 24 business h)."""

    def __init__(self, brand: Brand, settings: Iterable[ServiceLevelThreshold]) -> None:
        self._brand = brand
        self._settings = {s.channel: s for s in settings}
        self._targets: dict[str, ServiceLevelTarget] = {}

    def __call__(self, channel: str) -> ServiceLevelTarget:
        if channel not in self._targets:
            self._targets[channel] = self._target(channel)
        return self._targets[channel]

    def _target(self, channel: str) -> ServiceLevelTarget:
        setting = self._settings.get(channel)
        if setting is not None:
            seconds, business, zone, hours = (
                setting.seconds,
                setting.business_hours,
                setting.time_zone,
                setting.opening_hours,
            )
        else:
            seconds, business = DEFAULT_THRESHOLDS.get(channel, OTHER_CHANNELS_THRESHOLD)
            zone, hours = None, None
        if not business:
            return ServiceLevelTarget(seconds)
        return ServiceLevelTarget(seconds, BusinessHours(zone or self._brand.time_zone, hours or OFFICE_HOURS))


def thresholds_for(session: Session, brand: Brand) -> Thresholds:
    return Thresholds(
        brand, session.scalars(select(ServiceLevelThreshold).where(ServiceLevelThreshold.brand_id == brand.id))
    )


# --- rollups ----------------------------------------------------------------------------------------


def day_bounds(day: dt.date, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which a local calendar day starts and the next one starts."""
    zone = ZoneInfo(time_zone)
    start = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return start, end


def local_day(at: dt.datetime, time_zone: str) -> dt.date:
    return at.astimezone(ZoneInfo(time_zone)).date()


def contact_statistics(
    session: Session, *, brand: Brand, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[tuple[str | None, ...], Stats]:
    """Sufficient statistics of the contacts that began in [start, end), by their dimensions."""
    contacts = repository.contacts(session, brand_id=brand.id, start=start, end=end)
    if not contacts:
        return {}
    thresholds = thresholds_for(session, brand)
    later: dict[tuple[str, str | None], list[dt.datetime]] = defaultdict(list)
    for customer_id, touchpoint_id, at in repository.later_contacts(
        session, brand_id=brand.id, customer_ids=[c.customer_id for c in contacts], after=start
    ):
        later[(customer_id, touchpoint_id)].append(at)
    for times in later.values():
        times.sort()
    group_of_customer = customer_groups(session, brand_id=brand.id, customer_ids=[c.customer_id for c in contacts])
    by_key: dict[tuple[str | None, ...], Stats] = defaultdict(Stats)
    key_of: dict[str, tuple[str | None, ...]] = {}
    for contact in contacts:
        fact = ContactFact(
            channel=contact.channel,
            first_inbound_at=contact.first_inbound_at,
            first_response_at=contact.first_response_at,
            status=contact.status,
            resolved=contact.resolved_at is not None,
            repeated=contact.reopened or _came_back(later[(contact.customer_id, contact.dimensions[0])], contact),
            handle_seconds=contact.handle_seconds,
            call=contact.call,
        )
        key = (*contact.dimensions, group_of_customer.get(contact.customer_id))
        key_of[contact.conversation_id] = key
        by_key[key] = by_key[key] + contact_stats(fact, target=thresholds(contact.channel), now=now)
    for conversation_id, question, score in repository.answers(session, conversation_ids=list(key_of)):
        key = key_of[conversation_id]
        by_key[key] = by_key[key] + answer_stats(question, score)
    for conversation_id, qa_score, errors in repository.evaluations(session, conversation_ids=list(key_of)):
        key = key_of[conversation_id]
        checked = {cls: error for cls, error in errors.items() if error is not None}
        by_key[key] = by_key[key] + evaluation_stats(qa_score, checked)
    return by_key


def customer_groups(session: Session, *, brand_id: str, customer_ids: Sequence[str]) -> dict[str, str]:
    """The group that owns each customer (the first by position whose list or rules take them), as of now."""
    groups = routing_repository.groups_of_brand(session, brand_id)
    if not groups:
        return {}
    found: dict[str, str] = {}
    unique = sorted(set(customer_ids))
    for offset in range(0, len(unique), repository.CHUNK):
        part = unique[offset : offset + repository.CHUNK]
        facts = routing_repository.customer_facts(session, part)
        listed = routing_repository.listed_members(session, [g.id for g in groups], part)
        for customer_id in part:
            group = group_of(groups, customer_id=customer_id, facts=facts[customer_id], listed=listed)
            if group is not None:
                found[customer_id] = group.id
    return found


def _came_back(times: list[dt.datetime], contact: repository.ContactRow) -> bool:
    """Another contact from the customer about the same touchpoint within N days after the resolution."""
    if contact.resolved_at is None:
        return False
    limit = contact.resolved_at + dt.timedelta(days=REPEAT_DAYS)
    i = bisect.bisect_right(times, contact.resolved_at)
    return i < len(times) and times[i] <= limit


def agent_time(
    session: Session, *, brand: Brand, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[tuple[str | None, ...], Stats]:
    """Staffed and worked seconds per agent, on rows with no touchpoint, channel or seller (occupancy).

    An agent's signed-in time goes to the brands it worked for that day, in proportion to its handle
    time; with one brand in the hub, all of it goes there even on a day without handling.
    """
    worked = repository.worked_seconds(session, start=start, end=end)
    total: dict[str, float] = defaultdict(float)
    for (agent_id, _), seconds in worked.items():
        total[agent_id] += seconds
    only_brand = session.scalar(select(func.count()).select_from(Brand)) == 1
    by_key: dict[tuple[str | None, ...], Stats] = {}
    for agent_id, ((organisation_id, site_id, team_id), seconds) in repository.staffed_seconds(
        session, start=start, end=end, now=now
    ).items():
        mine = worked.get((agent_id, brand.id), 0.0)
        share = 1.0 if only_brand else (mine / total[agent_id] if total[agent_id] else 0.0)
        if share:
            key = (None, None, organisation_id, site_id, team_id, agent_id, None, None)
            by_key[key] = Stats(staffed_seconds=seconds * share, worked_seconds=mine)
    return by_key


def rebuild_day(session: Session, *, brand: Brand, day: dt.date, now: dt.datetime | None = None) -> int:
    """Recompute one brand-local day's rollup rows from the hub's tables; returns the rows written."""
    now = now or utcnow()
    start, end = day_bounds(day, brand.time_zone)
    by_key = contact_statistics(session, brand=brand, start=start, end=end, now=now)
    for key, stats in agent_time(session, brand=brand, start=start, end=end, now=now).items():
        by_key[key] = by_key[key] + stats if key in by_key else stats
    rows = [
        {"id": new_id(), "brand_id": brand.id, "day": day, **dict(zip(DIMENSIONS, key, strict=True)), **stats.columns()}
        for key, stats in by_key.items()
    ]
    repository.replace_rollups(session, brand_id=brand.id, day=day, rows=rows)
    return len(rows)


@dataclass(frozen=True)
class Refreshed:
    brand_id: str
    days: list[dt.date]
    rows: int


def refresh_brand(session: Session, *, brand: Brand, now: dt.datetime | None = None) -> Refreshed:
    """Rebuild the days whose contacts changed since the last refresh, the N days before them, and today.

    A new contact can turn an earlier one into a repeat, so each changed day also rebuilds the
    REPEAT_DAYS before it; today and yesterday are always rebuilt, since an unanswered contact is
    offered once its threshold passes, without any change to its rows.
    """
    now = now or utcnow()
    state = session.get(RollupRefresh, brand.id)
    since = state.through if state is not None else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    touched = {
        local_day(at, brand.time_zone)
        for at in repository.days_changed(session, brand_id=brand.id, since=since, until=now)
    }
    today = local_day(now, brand.time_zone)
    days: set[dt.date] = {today, today - dt.timedelta(days=1)}
    for day in touched:
        days.update(day - dt.timedelta(days=back) for back in range(REPEAT_DAYS + 1))
    rows = sum(rebuild_day(session, brand=brand, day=day, now=now) for day in sorted(days))
    if state is None:
        session.add(RollupRefresh(brand_id=brand.id, through=now, refreshed_at=utcnow()))
    else:
        state.through, state.refreshed_at = now, utcnow()
    session.flush()
    return Refreshed(brand_id=brand.id, days=sorted(days), rows=rows)


def refresh_all(session: Session, *, now: dt.datetime | None = None) -> list[Refreshed]:
    return [refresh_brand(session, brand=brand, now=now) for brand in session.scalars(select(Brand).order_by(Brand.id))]


# --- reports ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRequest:
    first: dt.date
    last: dt.date
    by: tuple[str, ...] = ()
    period: Period | None = None
    brand: str | None = None  # id or name; None: every brand in the caller's scope


def check_report_request(report_request: ReportRequest) -> None:
    if report_request.last < report_request.first:
        raise CxhubError("the last day comes before the first", status=422, field="to")
    unknown = [name for name in report_request.by if name not in BY]
    if unknown:
        raise CxhubError(f"cannot slice by {', '.join(unknown)}: one of {', '.join(BY)}", status=422, field="by")
    if len(set(report_request.by)) != len(report_request.by):
        raise CxhubError("each dimension once", status=422, field="by")
    if report_request.period == "hour" and (report_request.last - report_request.first).days > 31:
        raise CxhubError("hourly figures cover at most 31 days", status=422, field="period")


def brands_in_scope(session: Session, actor: Actor | None, key: str | None) -> list[Brand]:
    statement = select(Brand).order_by(Brand.name)
    if actor is not None and actor.brand_ids is not None:
        statement = statement.where(Brand.id.in_(actor.brand_ids))
    brands = list(session.scalars(statement))
    if key is not None:
        brands = [b for b in brands if key in (b.id, b.name)]
        if not brands:
            raise CxhubError("unknown brand", status=422, field="brand")
    return brands


def _period_of(day: dt.date, period: Period | None) -> str | None:
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    return None


def report(session: Session, *, actor: Actor | None, report_request: ReportRequest) -> list[dict[str, Any]]:
    """The metrics of every contact in the days, per period and per combination of the dimensions.

    Days are calendar days in each brand's time zone, both ends included; a contact counts in the
    period of its first inbound interaction, with its answers and handling. A partner's people see
    their own organisation's figures only.
    """
    check_report_request(report_request)
    brands = brands_in_scope(session, actor, report_request.brand)
    organisation_id = actor.organisation_id if actor is not None and actor.is_partner else None
    rollup_by = sorted({_ROLLUP_KEY[name] for name in report_request.by if name != "brand"})
    split_brands = "brand" in report_request.by
    bands = (
        dict(session.execute(select(Site.id, Site.location_band)).all()) if "location_band" in report_request.by else {}
    )

    def key_of(period: str | None, brand_id: str, dims: Sequence[str | None]) -> tuple[Any, ...]:
        values = [dims[_DIMENSION_AT[name]] for name in report_request.by if name != "brand"]
        values = [
            bands.get(v) if name == "location_band" and v else v
            for name, v in zip([n for n in report_request.by if n != "brand"], values, strict=True)
        ]
        return (period, brand_id if split_brands else None, *values)

    totals: dict[tuple[Any, ...], Stats] = defaultdict(Stats)
    dropped = AGENT_TIME if set(report_request.by) & CONTACT_ONLY else frozenset()
    if report_request.period == "hour":
        for brand, hour, key, stats in _hourly(session, brands, report_request, organisation_id):
            totals[key_of(hour, brand.id, key)] += stats
    else:
        statement = repository.summed_rollups(
            brand_ids=[b.id for b in brands],
            first=report_request.first,
            last=report_request.last,
            by=["brand_id", *rollup_by],
            organisation_id=organisation_id,
        )
        for row in session.execute(statement):
            mapping = row._mapping
            dims = tuple(mapping[c] if c in rollup_by else None for c in DIMENSIONS)
            stats = Stats({name: mapping[name] for name in STAT_FIELDS if mapping[name] and name not in dropped})
            period = _period_of(mapping["day"], report_request.period)
            totals[key_of(period, mapping["brand_id"], dims)] += stats
    return _rows(session, totals, report_request, brands)


def _hourly(
    session: Session, brands: list[Brand], report_request: ReportRequest, organisation_id: str | None
) -> Iterable[tuple[Brand, str, tuple[str | None, ...], Stats]]:
    now = utcnow()
    for brand in brands:
        zone = ZoneInfo(brand.time_zone)
        start, _ = day_bounds(report_request.first, brand.time_zone)
        _, end = day_bounds(report_request.last, brand.time_zone)
        hour = start
        while hour < end:
            following = hour + dt.timedelta(hours=1)
            label = hour.astimezone(zone).strftime("%Y-%m-%dT%H:00%z")
            for key, stats in contact_statistics(session, brand=brand, start=hour, end=following, now=now).items():
                if organisation_id is None or key[DIMENSIONS.index("organisation_id")] == organisation_id:
                    yield brand, label, key, stats
            hour = following


def _rows(
    session: Session, totals: dict[tuple[Any, ...], Stats], report_request: ReportRequest, brands: list[Brand]
) -> list[dict[str, Any]]:
    names = _names(session, totals, report_request.by)
    brand_names = {b.id: b.name for b in brands}
    rows = []
    by_rest = [name for name in report_request.by if name != "brand"]
    for key in sorted(totals, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        period, brand_id, *values = key
        stats = totals[key]
        row: dict[str, Any] = {}
        if report_request.period is not None:
            row["period"] = period
        if "brand" in report_request.by:
            row["brand"], row["brand_id"] = brand_names.get(brand_id), brand_id
        for name, value in zip(by_rest, values, strict=True):
            row.update(_dimension(name, value, names))
        row["contacts"] = int(stats["contacts"])
        row.update(figures(stats))
        rows.append(row)
    return rows


def _dimension(name: str, value: str | None, names: dict[str, dict[str, str]]) -> dict[str, Any]:
    if name in ("channel", "seller"):
        return {name: value}
    if name == "location_band":
        return {name: value}
    return {name: names[name].get(value) if value else None, f"{name}_id": value}


def _names(session: Session, totals: dict[tuple[Any, ...], Stats], by: Sequence[str]) -> dict[str, dict[str, str]]:
    rest = [name for name in by if name != "brand"]
    wanted: dict[str, set[str]] = {name: set() for name in rest}
    for key in totals:
        for name, value in zip(rest, key[2:], strict=True):
            if value is not None:
                wanted[name].add(value)
    names: dict[str, dict[str, str]] = {}
    lookups: dict[str, Any] = {
        "organisation": select(Organisation.id, Organisation.name).where(
            Organisation.id.in_(wanted.get("organisation", ()))
        ),
        "touchpoint": select(Touchpoint.id, Touchpoint.name).where(Touchpoint.id.in_(wanted.get("touchpoint", ()))),
        "site": select(Site.id, Site.name).where(Site.id.in_(wanted.get("site", ()))),
        "team": select(Team.id, Team.name).where(Team.id.in_(wanted.get("team", ()))),
        "customer_group": select(CustomerGroup.id, CustomerGroup.name).where(
            CustomerGroup.id.in_(wanted.get("customer_group", ()))
        ),
        "agent": select(Agent.id, User.name)
        .join(User, User.id == Agent.user_id)
        .where(Agent.id.in_(wanted.get("agent", ()))),
    }
    for name in rest:
        if name in lookups:
            names[name] = {row[0]: row[1] for row in session.execute(lookups[name])}
    return names


# --- threshold settings -----------------------------------------------------------------------------


def brand_in_scope(session: Session, *, actor: Actor | None, key: str | None) -> Brand:
    """The brand named by id or name, or the only one in scope."""
    brands = brands_in_scope(session, actor, key)
    if len(brands) != 1:
        raise CxhubError("name the brand: several are in scope (or none)", status=422, field="brand")
    return brands[0]


def list_thresholds(session: Session, *, brand: Brand) -> list[dict[str, Any]]:
    own = {
        s.channel: s
        for s in session.scalars(select(ServiceLevelThreshold).where(ServiceLevelThreshold.brand_id == brand.id))
    }
    rows = []
    for channel in CHANNELS:
        setting = own.get(channel)
        if setting is not None:
            rows.append(
                {
                    "channel": channel,
                    "seconds": setting.seconds,
                    "business_hours": setting.business_hours,
                    "time_zone": setting.time_zone,
                    "opening_hours": setting.opening_hours,
                    "default": False,
                }
            )
            continue
        seconds, business = DEFAULT_THRESHOLDS.get(channel, OTHER_CHANNELS_THRESHOLD)
        rows.append(
            {
                "channel": channel,
                "seconds": seconds,
                "business_hours": business,
                "time_zone": None,
                "opening_hours": None,
                "default": True,
            }
        )
    return rows


def set_threshold(
    session: Session,
    *,
    brand: Brand,
    channel: str,
    seconds: float,
    business_hours: bool,
    time_zone: str | None,
    opening_hours: dict[str, list[list[str]]] | None,
) -> None:
    """Set a channel's threshold; the next refresh rebuilds the brand's rollups from the start."""
    if channel not in CHANNELS:
        raise CxhubError(f"unknown channel: one of {', '.join(CHANNELS)}", status=422, field="channel")
    try:
        BusinessHours(time_zone or brand.time_zone, opening_hours or OFFICE_HOURS)
    except ValueError as exc:
        raise CxhubError(str(exc), status=422, field="opening_hours" if opening_hours else "time_zone") from exc
    setting = session.get(ServiceLevelThreshold, (brand.id, channel))
    if setting is None:
        setting = ServiceLevelThreshold(brand_id=brand.id, channel=channel)
        session.add(setting)
    setting.seconds, setting.business_hours = seconds, business_hours
    setting.time_zone, setting.opening_hours = time_zone, opening_hours
    state = session.get(RollupRefresh, brand.id)
    if state is not None:
        session.delete(state)
    session.flush()


def forget_refreshes(session: Session) -> None:
    """The next refresh rebuilds every day of every brand."""
    for state in session.scalars(select(RollupRefresh)):
        session.delete(state)
    session.flush()
