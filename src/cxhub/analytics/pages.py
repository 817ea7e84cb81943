"""Dashboards: the director's overview, the touchpoint x organisation heat map, agent scorecards, survey answers.

Every figure comes from the report and the gap of the service layer, the same as the API's; every
chart and table can be downloaded as CSV from the same query (`?format=csv`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxhub.analytics import gap, service
from cxhub.analytics.definitions import METRICS, METRICS_BY_NAME
from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.auth.permissions import Permission
from cxhub.conversations.models import Conversation
from cxhub.deps import PageActor, SessionDep, csrf_protect, require
from cxhub.errors import CxhubError, Forbidden, NotFound
from cxhub.journeys.models import Touchpoint
from cxhub.kit.time import utcnow
from cxhub.quality.coaching import coaching_counts
from cxhub.quality.models import SurveyAnswer
from cxhub.quality.scales import SCALES
from cxhub.web import render
from cxhub.workforce.models import Agent, Organisation, Team

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
CanRead = Annotated[Actor, Depends(require(Permission.METRICS_READ, pages=True))]
DEFAULT_DAYS = 28
OVERVIEW_METRICS = (
    "service_level",
    "asa_seconds",
    "aht_seconds",
    "abandon_rate",
    "fcr_internal",
    "fcr_reported",
    "csat",
    "nps",
    "ces",
    "qa_score",
)
TREND_METRICS = ("csat", "fcr_internal", "service_level", "nps")
ANSWERS_SHOWN = 100
Day = Annotated[dt.date | None, Query()]


def _window(first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date]:
    last = last or utcnow().date()
    return first or last - dt.timedelta(days=DEFAULT_DAYS - 1), last


def shown(metric: str, value: float | None) -> str:
    """A figure as people read it: shares in %, times in s, NPS signed, scores to two decimals."""
    if value is None:
        return "-"
    unit = METRICS_BY_NAME[metric].unit if metric in METRICS_BY_NAME else ""
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "s":
        return f"{value:,.0f} s"
    if metric == "nps":
        return f"{value:+.0f}"
    return f"{value:.2f}"


def _csv(filename: str, header: list[str], rows: list[list[Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _report(session: Session, actor: Actor, first: dt.date, last: dt.date, **kwargs: Any) -> list[dict[str, Any]]:
    return service.report(session, actor=actor, report_request=service.ReportRequest(first=first, last=last, **kwargs))


@router.get("/metrics")
def overview(
    request: Request,
    session: SessionDep,
    actor: CanRead,
    first: Annotated[dt.date | None, Query(alias="from")] = None,
    last: Annotated[dt.date | None, Query(alias="to")] = None,
    view: Annotated[str | None, Query(pattern="^(organisations|trend|gap)$")] = None,
    format: Annotated[str | None, Query(pattern="^csv$")] = None,
) -> Response:
    """The CX director's overview: providers side by side, their trends, and the consistency gap."""
    first, last = _window(first, last)
    by_organisation = _report(session, actor, first, last, by=("organisation",))
    trend = _report(session, actor, first, last, by=("organisation",), period="week")
    gap_rows = gap.consistency_gap(session, actor=actor, first=first, last=last)
    if format == "csv":
        if view == "trend":
            names = ["period", "organisation", "contacts", *TREND_METRICS]
            return _csv("trend.csv", names, [[r.get(n) for n in names] for r in trend])
        if view == "gap":
            names = ["organisation", "metric", "partner", "in_house", "difference", "low", "high", "verdict", "text"]
            return _csv("consistency-gap.csv", names, [[getattr(r, n) for n in names] for r in gap_rows])
        names = ["organisation", "organisation_id", "contacts", *OVERVIEW_METRICS]
        return _csv("organisations.csv", names, [[r.get(n) for n in names] for r in by_organisation])
    labels = {m.name: m.label for m in METRICS}
    series: dict[str, dict[str, dict[str, float | None]]] = {}
    for row in trend:
        series.setdefault(row["organisation"] or "Not assigned", {})[row["period"]] = {m: row[m] for m in TREND_METRICS}
    periods = sorted({row["period"] for row in trend})
    chart = {
        "periods": periods,
        "metrics": {m: labels[m] for m in TREND_METRICS},
        "series": {
            org: {m: [points.get(p, {}).get(m) for p in periods] for m in TREND_METRICS}
            for org, points in series.items()
        },
    }
    return render(
        request,
        "analytics/overview.html",
        first=first,
        last=last,
        organisations=by_organisation,
        metrics=[(m, labels[m]) for m in OVERVIEW_METRICS],
        gap_rows=gap_rows,
        alerts=gap.open_alerts(session, actor=actor),
        organisation_names=dict(session.execute(select(Organisation.id, Organisation.name)).all()),
        chart=chart,
        shown=shown,
    )


@router.get("/metrics/heatmap")
def heatmap(
    request: Request,
    session: SessionDep,
    actor: CanRead,
    first: Annotated[dt.date | None, Query(alias="from")] = None,
    last: Annotated[dt.date | None, Query(alias="to")] = None,
    metric: Annotated[str, Query(max_length=40)] = "csat",
    format: Annotated[str | None, Query(pattern="^csv$")] = None,
) -> Response:
    """Touchpoints down, organisations across, one metric in each cell, coloured from worst to best."""
    if metric not in METRICS_BY_NAME:
        raise CxhubError(f"unknown metric {metric!r}", status=422, field="metric")
    first, last = _window(first, last)
    rows = _report(session, actor, first, last, by=("touchpoint", "organisation"))
    touchpoints = sorted({r["touchpoint"] or "Not classified" for r in rows})
    organisations = sorted({r["organisation"] or "Not assigned" for r in rows})
    cells = {
        (r["touchpoint"] or "Not classified", r["organisation"] or "Not assigned"): (r[metric], r["contacts"])
        for r in rows
    }
    if format == "csv":
        return _csv(
            f"heatmap-{metric}.csv",
            ["touchpoint", *organisations],
            [[t, *(cells.get((t, o), (None, 0))[0] for o in organisations)] for t in touchpoints],
        )
    values = [v for v, _ in cells.values() if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    better_high = METRICS_BY_NAME[metric].higher_is_better

    def tone(value: float | None) -> int | None:
        """0 (worst) to 4 (best) within the map's own range."""
        if value is None:
            return None
        share = 0.5 if high == low else (value - low) / (high - low)
        return round(4 * (share if better_high else 1 - share))

    return render(
        request,
        "analytics/heatmap.html",
        first=first,
        last=last,
        metric=metric,
        metrics=[(m.name, m.label) for m in METRICS if m.evidence is not None],
        touchpoints=touchpoints,
        organisations=organisations,
        cells=cells,
        tone=tone,
        shown=shown,
    )


@router.get("/metrics/agents/{agent_id}")
def agent_scorecard(
    request: Request,
    session: SessionDep,
    actor: PageActor,
    agent_id: str,
    first: Annotated[dt.date | None, Query(alias="from")] = None,
    last: Annotated[dt.date | None, Query(alias="to")] = None,
    format: Annotated[str | None, Query(pattern="^csv$")] = None,
) -> Response:
    """One agent's figures over the period and by week, beside their team's."""
    found = session.execute(
        select(Agent, User.name, Team.name)
        .join(User, User.id == Agent.user_id)
        .join(Team, Team.id == Agent.team_id)
        .where(Agent.id == agent_id)
    ).first()
    if found is None or (actor.is_partner and found[0].organisation_id != actor.organisation_id):
        raise NotFound("no such agent")
    if not actor.can(Permission.METRICS_READ):  # after the scope: another provider's agent is not even hinted at
        raise Forbidden("you may not see metrics")
    agent, name, team_name = found
    first, last = _window(first, last)
    weekly = [
        r for r in _report(session, actor, first, last, by=("agent",), period="week") if r["agent_id"] == agent_id
    ]
    own = [r for r in _report(session, actor, first, last, by=("agent",)) if r["agent_id"] == agent_id]
    team = [r for r in _report(session, actor, first, last, by=("team",)) if r["team_id"] == agent.team_id]
    if format == "csv":
        names = ["period", "contacts", *OVERVIEW_METRICS]
        return _csv(f"agent-{agent_id}.csv", names, [[r.get(n) for n in names] for r in weekly])
    tenure = (utcnow().date() - agent.hire_date).days if agent.hire_date else None
    start, _ = service.day_bounds(first, "UTC")
    _, end = service.day_bounds(last, "UTC")
    received, acted_on = coaching_counts(session, agent_ids=[agent_id], since=start, until=end).get(agent_id, (0, 0))
    return render(
        request,
        "analytics/agent.html",
        first=first,
        last=last,
        agent=agent,
        name=name,
        team_name=team_name,
        own=own[0] if own else None,
        team=team[0] if team else None,
        weekly=weekly,
        tenure_days=tenure,
        feedback_received=received,
        feedback_acted_on=acted_on,
        metrics=[(m, METRICS_BY_NAME[m].label) for m in OVERVIEW_METRICS],
        shown=shown,
        chart={
            "periods": [r["period"] for r in weekly],
            "csat": [r["csat"] for r in weekly],
            "fcr": [r["fcr_internal"] for r in weekly],
        },
    )


@router.get("/metrics/surveys")
def survey_answers(
    request: Request,
    session: SessionDep,
    actor: CanRead,
    first: Annotated[dt.date | None, Query(alias="from")] = None,
    last: Annotated[dt.date | None, Query(alias="to")] = None,
    question: Annotated[str, Query(pattern="^(csat|nps|ces|fcr)$")] = "csat",
    organisation: Annotated[str | None, Query(max_length=26)] = None,
    touchpoint: Annotated[str | None, Query(max_length=26)] = None,
    score: Annotated[int | None, Query(ge=0, le=10)] = None,
    format: Annotated[str | None, Query(pattern="^csv$")] = None,
) -> Response:
    """Survey answers with their conversation, provider and touchpoint: the distribution and the answers themselves."""
    first, last = _window(first, last)
    start, _ = service.day_bounds(first, "UTC")
    _, end = service.day_bounds(last, "UTC")
    filters = [
        SurveyAnswer.question == question,
        SurveyAnswer.answered_at >= start,
        SurveyAnswer.answered_at < end,
    ]
    if actor.brand_ids is not None:
        filters.append(SurveyAnswer.brand_id.in_(actor.brand_ids))
    if actor.is_partner:
        filters.append(Conversation.organisation_id == actor.organisation_id)
    if organisation:
        filters.append(Conversation.organisation_id == organisation)
    if touchpoint:
        filters.append(Conversation.touchpoint_id == touchpoint)
    distribution = dict(
        session.execute(
            select(SurveyAnswer.score, func.count())
            .join(Conversation, Conversation.id == SurveyAnswer.conversation_id)
            .where(*filters)
            .group_by(SurveyAnswer.score)
        ).all()
    )
    if score is not None:
        filters.append(SurveyAnswer.score == score)
    listing = (
        select(
            SurveyAnswer.answered_at,
            SurveyAnswer.score,
            SurveyAnswer.source,
            Conversation.id,
            Conversation.channel,
            Organisation.name,
            Touchpoint.name,
        )
        .join(Conversation, Conversation.id == SurveyAnswer.conversation_id)
        .outerjoin(Organisation, Organisation.id == Conversation.organisation_id)
        .outerjoin(Touchpoint, Touchpoint.id == Conversation.touchpoint_id)
        .where(*filters)
        .order_by(SurveyAnswer.answered_at.desc(), SurveyAnswer.id)
    )
    if format == "csv":
        names = ["answered_at", "score", "source", "conversation_id", "channel", "organisation", "touchpoint"]
        return _csv(f"survey-{question}.csv", names, [list(r) for r in session.execute(listing)])
    low, high = SCALES[question]
    organisations = session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.id == actor.organisation_id if actor.is_partner else Organisation.id.is_not(None))
        .order_by(Organisation.name)
    ).all()
    return render(
        request,
        "analytics/surveys.html",
        first=first,
        last=last,
        question=question,
        organisation=organisation,
        touchpoint=touchpoint,
        score=score,
        scale=list(range(low, high + 1)),
        distribution=[distribution.get(s, 0) for s in range(low, high + 1)],
        answers=session.execute(listing.limit(ANSWERS_SHOWN)).all(),
        organisations=organisations,
        touchpoints=session.execute(select(Touchpoint.id, Touchpoint.name).order_by(Touchpoint.name)).all(),
    )


@router.get("/metrics/coaching")
def coaching_table(
    request: Request,
    session: SessionDep,
    actor: CanRead,
    first: Annotated[dt.date | None, Query(alias="from")] = None,
    last: Annotated[dt.date | None, Query(alias="to")] = None,
    format: Annotated[str | None, Query(pattern="^csv$")] = None,
) -> Response:
    """Per agent: customers' feedback received and acted on, with FCR, CSAT and tenure beside it."""
    first, last = _window(first, last)
    start, _ = service.day_bounds(first, "UTC")
    _, end = service.day_bounds(last, "UTC")
    figures = {r["agent_id"]: r for r in _report(session, actor, first, last, by=("agent",)) if r["agent_id"]}
    statement = (
        select(Agent.id, User.name, Organisation.name, Agent.hire_date)
        .join(User, User.id == Agent.user_id)
        .join(Organisation, Organisation.id == Agent.organisation_id)
        .order_by(Organisation.name, User.name)
    )
    if actor.is_partner:
        statement = statement.where(Agent.organisation_id == actor.organisation_id)
    agents = session.execute(statement).all()
    counts = coaching_counts(session, agent_ids=[a[0] for a in agents], since=start, until=end)
    today = utcnow().date()
    rows = [
        {
            "agent_id": agent_id,
            "agent": name,
            "organisation": organisation,
            "feedback_received": counts.get(agent_id, (0, 0))[0],
            "feedback_acted_on": counts.get(agent_id, (0, 0))[1],
            "contacts": figures.get(agent_id, {}).get("contacts", 0),
            "fcr_internal": figures.get(agent_id, {}).get("fcr_internal"),
            "csat": figures.get(agent_id, {}).get("csat"),
            "tenure_days": (today - hired).days if hired else None,
        }
        for agent_id, name, organisation, hired in agents
    ]
    if format == "csv":
        names = list(rows[0]) if rows else ["agent_id", "agent"]
        return _csv("coaching.csv", names, [[r[n] for n in names] for r in rows])
    return render(request, "analytics/coaching.html", first=first, last=last, rows=rows, shown=shown)
