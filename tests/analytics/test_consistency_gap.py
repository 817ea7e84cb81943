"""The consistency gap through the API: a partner on easy touchpoints is not flattered; a worse one raises an alert."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import cxhub.analytics.tasks  # noqa: F401  registers the refresh and alert jobs
from cxhub.conversations.models import Conversation, Interaction
from cxhub.jobs.service import registered_tasks
from cxhub.journeys.models import Touchpoint
from cxhub.workforce.models import Organisation

ADMIN = "admin@lumen.example"
DIRECTOR = "director@lumen.example"
DAY = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
EASY, HARD = "order status", "product fault"
# (organisation, touchpoint, contacts, share of CSAT 5 among them; the rest answer 2)
WORK = [
    ("Lumen Care", EASY, 100, 0.9),
    ("Lumen Care", HARD, 100, 0.5),
    ("Atlantic CX", EASY, 180, 0.9),  # the same quality as in-house, on the easy work
    ("Atlantic CX", HARD, 20, 0.5),
    ("Pacific Contact", EASY, 100, 0.6),  # worse on both
    ("Pacific Contact", HARD, 100, 0.1),
]


def contacts_with_answers(client: TestClient, world: Session, headers: dict[str, str]) -> None:
    """The calls through the intake API; providers, touchpoints and answers set as routing and surveys would."""
    items, plan = [], []
    for organisation, touchpoint, count, good in WORK:
        for n in range(count):
            external_id = f"{organisation[:3]}-{touchpoint[:4]}-{n}"
            items.append(
                {
                    "channel": "voice",
                    "external_id": external_id,
                    "occurred_at": (DAY + dt.timedelta(seconds=len(items))).isoformat(),
                    "direction": "inbound",
                    "customer": {"phone": f"+3538620{len(items):05d}"},
                    "voice": {"queue_seconds": 5, "talk_seconds": 60},
                }
            )
            plan.append((external_id, organisation, touchpoint, 5 if n < good * count else 2))
    response = client.post("/api/v1/interactions", json=items, headers=headers)
    assert response.status_code == 200, response.text
    organisations = dict(world.execute(select(Organisation.name, Organisation.id)).all())
    touchpoints = dict(world.execute(select(Touchpoint.name, Touchpoint.id)).all())
    conversations = dict(world.execute(select(Interaction.external_id, Interaction.conversation_id)).all())
    for external_id, organisation, touchpoint, _ in plan:
        world.execute(
            update(Conversation)
            .where(Conversation.id == conversations[external_id])
            .values(organisation_id=organisations[organisation], touchpoint_id=touchpoints[touchpoint])
        )
    world.commit()
    for external_id, _, _, score in plan:
        body = {"conversation_id": conversations[external_id], "question": "csat", "score": score}
        body["answered_at"] = DAY.isoformat()
        assert client.post("/api/v1/survey-answers", json=body, headers=headers).status_code == 201


@pytest.fixture
def gap(client: TestClient, world: Session, token_for: Any) -> dict[tuple[str, str], dict[str, Any]]:
    admin = token_for(ADMIN)
    contacts_with_answers(client, world, admin)
    assert client.put("/api/v1/metrics/gap-margins/csat", json={"margin": 0.15}, headers=admin).status_code == 204
    registered_tasks()["analytics.refresh_rollups"](world, {})
    world.commit()
    window = {"from": (DAY - dt.timedelta(days=1)).date().isoformat(), "to": dt.datetime.now(dt.UTC).date().isoformat()}
    response = client.get(
        "/api/v1/metrics/consistency-gap", params={**window, "metrics": "csat,nps"}, headers=token_for(DIRECTOR)
    )
    assert response.status_code == 200, response.text
    return {(r["organisation"], r["metric"]): r for r in response.json()["rows"]}


def test_a_partner_on_the_easy_touchpoints_is_not_flattered(
    client: TestClient, gap: dict[tuple[str, str], dict[str, Any]], token_for: Any
) -> None:
    window = {"from": (DAY - dt.timedelta(days=1)).date().isoformat(), "to": dt.datetime.now(dt.UTC).date().isoformat()}
    raw = client.get("/api/v1/metrics", params={**window, "by": "organisation"}, headers=token_for(DIRECTOR)).json()
    csat = {row["organisation"]: row["csat"] for row in raw["rows"]}
    assert csat["Atlantic CX"] == pytest.approx(0.86)  # unadjusted it looks better than in-house...
    assert csat["Lumen Care"] == pytest.approx(0.70)
    atlantic = gap[("Atlantic CX", "csat")]
    assert atlantic["in_house"] == pytest.approx(0.86)  # ...but in-house on Atlantic's mix scores the same
    assert atlantic["difference"] == pytest.approx(0.0, abs=1e-9)
    assert atlantic["low"] < 0 < atlantic["high"]
    assert atlantic["verdict"] == "no_difference"
    assert atlantic["text"].startswith("no difference (CI ")
    assert atlantic["strata"] == 2
    assert ("Atlantic CX", "nps") not in gap  # nobody was asked


def test_a_partner_worse_on_every_touchpoint_is_worse_and_raises_an_alert(
    client: TestClient, world: Session, gap: dict[tuple[str, str], dict[str, Any]], token_for: Any
) -> None:
    pacific = gap[("Pacific Contact", "csat")]
    assert pacific["difference"] == pytest.approx((0.6 + 0.1) / 2 - (0.9 + 0.5) / 2)
    assert pacific["high"] < -0.15
    assert pacific["verdict"] == "worse"
    assert pacific["text"].startswith("worse by 35.0 points (CI ")
    assert client.get("/api/v1/metrics/gap-alerts", headers=token_for(DIRECTOR)).json() == []
    registered_tasks()["analytics.gap_alerts"](world, {})
    world.commit()
    alerts = client.get("/api/v1/metrics/gap-alerts", headers=token_for(DIRECTOR)).json()
    assert {a["metric"]: a["text"] for a in alerts} == {
        "csat": pacific["text"],
        "csat_mean": "worse by 1.05 (CI -1.29 to -0.81)",  # the same answers, read as a mean
    }
    assert client.get("/api/v1/metrics/gap-alerts", headers=token_for("lead@atlantic.example")).json() == []
    registered_tasks()["analytics.gap_alerts"](world, {})  # a second run keeps the same alerts open
    world.commit()
    assert len(client.get("/api/v1/metrics/gap-alerts", headers=token_for(DIRECTOR)).json()) == 2


def test_a_partner_sees_its_own_gap_only(client: TestClient, gap: Any, token_for: Any) -> None:
    window = {"from": (DAY - dt.timedelta(days=1)).date().isoformat(), "to": dt.datetime.now(dt.UTC).date().isoformat()}
    rows = client.get("/api/v1/metrics/consistency-gap", params=window, headers=token_for("lead@atlantic.example"))
    assert {r["organisation"] for r in rows.json()["rows"]} == {"Atlantic CX"}
    bad = client.get(
        "/api/v1/metrics/consistency-gap", params={**window, "metrics": "happiness"}, headers=token_for(DIRECTOR)
    )
    assert bad.status_code == 422
    assert "happiness" in bad.text
