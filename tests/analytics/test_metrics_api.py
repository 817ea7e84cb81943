"""The metrics report through the API: contacts posted to the intake, answers to the survey API, one refresh."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import cxhub.analytics.tasks  # noqa: F401  registers the refresh job
from cxhub.jobs.service import registered_tasks

ADMIN = "admin@lumen.example"
DIRECTOR = "director@lumen.example"
NOW = dt.datetime.now(dt.UTC)
DAY = (NOW - dt.timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)  # 09:00 Dublin in winter


def post(client: TestClient, headers: dict[str, str], at: dt.datetime, **fields: Any) -> str:
    body = {"direction": "inbound", "occurred_at": at.isoformat(), **fields}
    response = client.post("/api/v1/interactions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    conversation_id: str = response.json()["conversation_id"]
    return conversation_id


def organisation_ids(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    return {o["name"]: o["id"] for o in client.get("/api/v1/organisations", headers=headers).json()["items"]}


def assign(client: TestClient, headers: dict[str, str], conversation_id: str, organisation_id: str) -> None:
    response = client.put(
        f"/api/v1/conversations/{conversation_id}/assignment",
        json={"organisation_id": organisation_id},
        headers=headers,
    )
    assert response.status_code == 200, response.text


def answer(client: TestClient, headers: dict[str, str], conversation_id: str, question: str, score: int) -> int:
    body = {"conversation_id": conversation_id, "question": question, "score": score, "answered_at": NOW.isoformat()}
    return client.post("/api/v1/survey-answers", json=body, headers=headers).status_code


def refresh(world: Session) -> None:
    registered_tasks()["analytics.refresh_rollups"](world, {})
    world.commit()


def report(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    window = {"from": (DAY - dt.timedelta(days=1)).date().isoformat(), "to": NOW.date().isoformat()}
    response = client.get("/api/v1/metrics", params={**window, **params}, headers=headers)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["rows"]
    return rows


def test_each_provider_measured_with_the_same_definitions(
    client: TestClient, measured: dict[str, str], token_for: Any
) -> None:
    rows = {row["organisation"]: row for row in report(client, token_for(DIRECTOR), by="organisation")}
    in_house, partner = rows["Lumen Care"], rows["Atlantic CX"]
    assert in_house["organisation_id"] == measured["Lumen Care"]
    assert in_house["contacts"] == 4
    assert in_house["service_level"] == pytest.approx(1 / 4)  # one of four offered answered within 20 s
    assert in_house["asa_seconds"] == pytest.approx(20)
    assert in_house["aht_seconds"] == pytest.approx(160)
    assert in_house["abandon_rate"] == pytest.approx(0.5)
    assert in_house["csat"] == pytest.approx(2 / 3)
    assert in_house["csat_mean"] == pytest.approx(11 / 3)
    assert in_house["nps"] == pytest.approx(25)
    assert in_house["fcr_reported"] == pytest.approx(0.5)
    assert in_house["fcr_internal"] is None  # no call was resolved
    assert partner["contacts"] == 2
    assert partner["service_level"] == 1.0  # the reply came within 24 business hours; the new mail is not late yet
    assert partner["aht_seconds"] == 300
    assert partner["fcr_internal"] == 0.0  # she wrote again about the same thing after it was resolved
    assert partner["csat"] is None
    assert partner["qa_score"] is None
    that_day = {"from": DAY.date().isoformat(), "to": DAY.date().isoformat()}
    occupancy = {
        r["organisation"]: r["occupancy"] for r in report(client, token_for(DIRECTOR), by="organisation", **that_day)
    }
    assert occupancy["Atlantic CX"] == pytest.approx(300 / 3600)  # 300 s of handling in an hour signed in
    assert occupancy["Lumen Care"] is None  # nobody in-house was signed in that day


def test_periods_and_several_dimensions(client: TestClient, measured: dict[str, str], token_for: Any) -> None:
    rows = report(client, token_for(DIRECTOR), by="organisation,channel", period="day")
    days = {(r["period"], r["organisation"], r["channel"]): r["contacts"] for r in rows}
    assert days[(DAY.date().isoformat(), "Lumen Care", "voice")] == 4
    assert days[(DAY.date().isoformat(), "Atlantic CX", "email")] == 1
    assert days[(NOW.date().isoformat(), "Atlantic CX", "email")] == 1
    totals = report(client, token_for(DIRECTOR))
    assert len(totals) == 1
    assert totals[0]["contacts"] == 6
    assert all(row["occupancy"] is None for row in rows)  # signed-in time belongs to no channel
    that_day = {"from": DAY.date().isoformat(), "to": DAY.date().isoformat()}
    by_team = report(client, token_for(DIRECTOR), by="organisation,team", **that_day)
    assert [r["occupancy"] for r in by_team if r["organisation"] == "Atlantic CX" and r["team"]] == [
        pytest.approx(300 / 3600)
    ]


def test_a_partner_sees_its_own_figures_and_an_agent_none(
    client: TestClient, measured: dict[str, str], token_for: Any
) -> None:
    rows = report(client, token_for("lead@atlantic.example"), by="organisation")
    assert [row["organisation"] for row in rows] == ["Atlantic CX"]
    response = client.get(
        "/api/v1/metrics", params={"from": "2026-01-01", "to": "2026-01-02"}, headers=token_for("agent@lumen.example")
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
        ({"from": "2026-01-01", "to": "2026-01-02", "by": "galaxy"}, "by"),
        ({"from": "2026-01-01", "to": "2026-01-02", "by": "agent,agent"}, "by"),
        ({"from": "2026-01-01", "to": "2026-06-01", "period": "hour"}, "period"),
        ({"from": "yesterday", "to": "2026-01-02"}, "from"),
    ],
)
def test_bad_report_requests_are_clear_errors(
    client: TestClient, world: Session, token_for: Any, params: dict[str, Any], field: str
) -> None:
    response = client.get("/api/v1/metrics", params=params, headers=token_for(DIRECTOR))
    assert response.status_code == 422
    assert field in response.text


def test_a_survey_answer_is_recorded_once_and_off_scale_answers_are_refused(
    client: TestClient, measured: dict[str, str], token_for: Any
) -> None:
    admin = token_for(ADMIN)
    conversation_id = post(
        client,
        admin,
        NOW,
        channel="voice",
        external_id="call-9",
        customer={"phone": "+353861000009"},
        voice={"queue_seconds": 1, "talk_seconds": 5},
    )
    assert answer(client, admin, conversation_id, "csat", 5) == 201
    assert answer(client, admin, conversation_id, "csat", 5) == 200
    assert answer(client, admin, conversation_id, "csat", 6) == 422
    assert answer(client, admin, "01NOSUCHCONVERSATION00000", "csat", 5) == 422
    body = {"channel": "voice", "external_id": "call-9", "question": "nps", "score": 10, "answered_at": NOW.isoformat()}
    assert client.post("/api/v1/survey-answers", json=body, headers=admin).status_code == 201


def test_a_changed_threshold_rebuilds_the_figures(
    client: TestClient, world: Session, measured: dict[str, str], token_for: Any
) -> None:
    admin = token_for(ADMIN)
    thresholds = {t["channel"]: t for t in client.get("/api/v1/metrics/service-level-thresholds", headers=admin).json()}
    assert thresholds["voice"] == {
        "channel": "voice",
        "seconds": 20,
        "business_hours": False,
        "time_zone": None,
        "opening_hours": None,
        "default": True,
    }
    assert thresholds["email"]["business_hours"] is True
    response = client.put("/api/v1/metrics/service-level-thresholds/voice", json={"seconds": 30}, headers=admin)
    assert response.status_code == 200, response.text
    refresh(world)
    rows = {row["organisation"]: row for row in report(client, token_for(DIRECTOR), by="organisation")}
    assert rows["Lumen Care"]["service_level"] == pytest.approx(2 / 4)
    bad = client.put("/api/v1/metrics/service-level-thresholds/pigeon", json={"seconds": 30}, headers=admin)
    assert bad.status_code == 422
    partner = client.put(
        "/api/v1/metrics/service-level-thresholds/voice",
        json={"seconds": 5},
        headers=token_for("lead@atlantic.example"),
    )
    assert partner.status_code == 403


def test_figures_by_the_customer_group_that_owns_the_customer(
    client: TestClient, world: Session, measured: dict[str, str], token_for: Any
) -> None:
    admin = token_for(ADMIN)
    teams = {t["name"]: t["id"] for t in client.get("/api/v1/teams", headers=admin).json()["items"]}
    group = {"name": "Portuguese customers", "countries": ["PT"], "owner_team_id": teams["Dublin Care"]}
    assert client.post("/api/v1/customer-groups", json=group, headers=admin).status_code == 201
    for n in range(2):
        customer = {"phone": f"+35191000000{n}", "country": "PT"}
        voice = {"queue_seconds": 4, "talk_seconds": 90}
        post(client, admin, DAY, channel="voice", external_id=f"pt-call-{n}", customer=customer, voice=voice)
    refresh(world)
    rows = {row["customer_group"]: row for row in report(client, token_for(DIRECTOR), by="customer_group")}
    assert rows["Portuguese customers"]["contacts"] == 2
    assert rows["Portuguese customers"]["customer_group_id"]
    assert rows["Portuguese customers"]["service_level"] == 1.0
    assert rows[None]["contacts"] == 6
