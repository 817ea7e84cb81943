"""The dashboards as a director, a partner's team lead and an agent see them, and their CSV downloads."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.models import User
from cxhub.workforce.models import Agent
from tests.analytics.test_metrics_api import DAY, NOW

WINDOW = {"from": DAY.date().isoformat(), "to": NOW.date().isoformat()}


def rows_of(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_the_overview_shows_providers_side_by_side_with_their_csv(
    client: TestClient,
    measured: dict[str, str],
    login: Any,
) -> None:
    page = login("director@lumen.example").get("/metrics", params=WINDOW)
    assert page.status_code == 200
    assert 'data-testid="providers"' in page.text
    assert "Lumen Care" in page.text
    assert "Atlantic CX" in page.text
    assert "25.0 %" in page.text  # the in-house service level
    assert 'id="trend-data"' in page.text
    organisations = {r["organisation"]: r for r in rows_of(client.get("/metrics", params={**WINDOW, "format": "csv"}))}
    assert organisations["Lumen Care"]["contacts"] == "4"
    assert float(organisations["Lumen Care"]["service_level"]) == pytest.approx(0.25)
    trend = rows_of(client.get("/metrics", params={**WINDOW, "view": "trend", "format": "csv"}))
    assert {r["organisation"] for r in trend} >= {"Lumen Care", "Atlantic CX"}
    gap = rows_of(client.get("/metrics", params={**WINDOW, "view": "gap", "format": "csv"}))
    assert all(r["organisation"] != "Lumen Care" for r in gap)


def test_the_heat_map_puts_touchpoints_against_providers(
    client: TestClient,
    measured: dict[str, str],
    login: Any,
) -> None:
    page = login("director@lumen.example").get("/metrics/heatmap", params={**WINDOW, "metric": "service_level"})
    assert page.status_code == 200
    assert 'data-testid="heatmap"' in page.text
    cells = rows_of(client.get("/metrics/heatmap", params={**WINDOW, "metric": "service_level", "format": "csv"}))
    assert cells[0]["touchpoint"] == "Not classified"
    assert float(cells[0]["Lumen Care"]) == pytest.approx(0.25)
    assert client.get("/metrics/heatmap", params={"metric": "luck"}).status_code == 422


def test_an_agent_scorecard_and_the_survey_answers(
    client: TestClient,
    world: Session,
    measured: dict[str, str],
    login: Any,
) -> None:
    agent_id = world.scalars(
        select(Agent.id).join(User, User.id == Agent.user_id).where(User.email == "agent@atlantic.example")
    ).one()
    director = login("director@lumen.example")
    card = director.get(f"/metrics/agents/{agent_id}", params=WINDOW)
    assert card.status_code == 200
    assert 'data-testid="scorecard"' in card.text
    answers = director.get("/metrics/surveys", params={**WINDOW, "question": "nps"})
    assert answers.status_code == 200
    assert answers.text.count('<tr><td class="nowrap">') == 4
    listed = rows_of(
        director.get("/metrics/surveys", params={**WINDOW, "question": "csat", "score": 5, "format": "csv"})
    )
    assert [r["score"] for r in listed] == ["5"]


def test_partners_see_their_own_figures_and_agents_no_dashboards(
    client: TestClient,
    world: Session,
    measured: dict[str, str],
    login: Any,
) -> None:
    lead = login("lead@atlantic.example")
    organisations = rows_of(lead.get("/metrics", params={**WINDOW, "format": "csv"}))
    assert [r["organisation"] for r in organisations] == ["Atlantic CX"]
    in_house_agent = world.scalars(
        select(Agent.id).join(User, User.id == Agent.user_id).where(User.email == "agent@lumen.example")
    ).one()
    assert lead.get(f"/metrics/agents/{in_house_agent}").status_code == 404
    assert login("agent@lumen.example").get("/metrics").status_code == 403
