"""Evaluation samples through the API: a stratified queue, targeted ones, partner frames, retries, bad input."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest

from tests.quality.conftest import (
    ADMIN,
    AGENT,
    LEAD,
    NOW,
    PACIFIC_AGENT,
    PARTNER_AGENT,
    PARTNER_LEAD,
    QA,
    WORKED,
    QaWorld,
)

pytestmark = pytest.mark.postgres

DAY = (NOW - dt.timedelta(days=3)).replace(hour=10, minute=0, second=0)
PERIOD = {"first_day": (DAY - dt.timedelta(days=1)).date().isoformat(), "last_day": DAY.date().isoformat()}


def _spread(qa: QaWorld) -> dict[str, str]:
    """Four conversations per organisation on DAY, and one outside the period; conversation id -> organisation."""
    made = {}
    for organisation, agent in (
        ("Lumen Care", AGENT),
        ("Atlantic CX", PARTNER_AGENT),
        ("Pacific Contact", PACIFIC_AGENT),
    ):
        for n in range(4):
            made[qa.conversation(organisation, agent, at=DAY + dt.timedelta(minutes=n))] = organisation
    qa.conversation("Lumen Care", AGENT, at=DAY - dt.timedelta(days=5))
    return made


def _sample(qa: QaWorld, email: str = QA, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return qa.client.post(
        "/api/v1/evaluation-samples", json={**PERIOD, **body}, headers={**qa.headers(email), **(headers or {})}
    )


def _queue(qa: QaWorld, email: str = QA, **params: Any) -> list[dict[str, Any]]:
    response = qa.client.get("/api/v1/evaluation-queue", params=params, headers=qa.headers(email))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_stratified_sample_fills_the_analysts_queue_equally_from_each_organisation(qa: QaWorld) -> None:
    made = _spread(qa)
    response = _sample(qa, size=6, allocation="equal", seed="december")
    assert response.status_code == 201, response.text
    sample = response.json()
    assert (sample["frame_size"], sample["seed"], sample["method"]) == (12, "december", "random")
    assert Counter(made[c] for c in sample["conversation_ids"]) == {
        "Lumen Care": 2,
        "Atlantic CX": 2,
        "Pacific Contact": 2,
    }
    queue = _queue(qa)
    assert [i["conversation_id"] for i in queue] == sample["conversation_ids"]
    assert {i["evaluation_status"] for i in queue} == {None}

    first = sample["conversation_ids"][0]
    qa.evaluate(first, *WORKED)
    assert first not in [i["conversation_id"] for i in _queue(qa)]
    done = next(i for i in _queue(qa, pending=False) if i["conversation_id"] == first)
    assert done["evaluation_status"] == "submitted"

    more = _sample(qa, size=50, allocation="proportional").json()
    assert more["frame_size"] == 6  # what is queued already is not drawn twice
    assert set(more["conversation_ids"]).isdisjoint(sample["conversation_ids"])
    assert len(more["seed"]) == 16  # one is drawn and kept when none is given


def test_the_same_idempotency_key_again_draws_nothing_new(qa: QaWorld) -> None:
    _spread(qa)
    key = {"Idempotency-Key": "sample-2026-12-01"}
    first = _sample(qa, size=3, headers=key)
    again = _sample(qa, size=3, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(_queue(qa)) == 3


def test_targeted_samples_take_low_csat_reopened_and_long_conversations(qa: QaWorld) -> None:
    made = list(_spread(qa))
    admin = qa.headers(ADMIN)
    for conversation_id, score in ((made[0], 1), (made[5], 2), (made[9], 5)):
        answer = {
            "conversation_id": conversation_id,
            "question": "csat",
            "score": score,
            "answered_at": NOW.isoformat(),
        }
        assert qa.client.post("/api/v1/survey-answers", json=answer, headers=admin).status_code == 201
    low = _sample(qa, size=10, method="targeted", filters={"csat_at_most": 2}).json()
    assert sorted(low["conversation_ids"]) == sorted([made[0], made[5]])
    assert low["filters"] == {"csat_at_most": 2}
    atlantic = _sample(
        qa, size=10, method="targeted", filters={"organisation_id": qa.organisations["Atlantic CX"]}, email=LEAD
    ).json()
    assert sorted(atlantic["conversation_ids"]) == sorted([made[4], made[6], made[7]])  # made[5] is queued already
    qa.client.patch(f"/api/v1/conversations/{made[10]}", json={"status": "resolved"}, headers=admin)
    qa.client.patch(f"/api/v1/conversations/{made[10]}", json={"status": "open"}, headers=admin)
    reopened = _sample(qa, size=10, method="targeted", filters={"reopened": True}, email=ADMIN).json()
    assert reopened["conversation_ids"] == [made[10]]


def test_a_partner_analysts_frame_is_their_organisations_conversations(qa: QaWorld) -> None:
    made = _spread(qa)
    sample = _sample(qa, email=PARTNER_LEAD, size=50).json()
    assert sample["frame_size"] == 4
    assert {made[c] for c in sample["conversation_ids"]} == {"Atlantic CX"}
    assert [i["conversation_id"] for i in _queue(qa, PARTNER_LEAD)] == sample["conversation_ids"]


def test_a_qa_manager_fills_another_analysts_queue(qa: QaWorld) -> None:
    _spread(qa)
    for_lead = _sample(qa, size=2, analyst_user_id=qa.users[LEAD]).json()
    assert for_lead["analyst_user_id"] == qa.users[LEAD]
    assert len(_queue(qa, LEAD)) == 2
    assert _queue(qa) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"size": 5, "first_day": "2026-12-02", "last_day": "2026-12-01"}, 422),
        ({"size": 0}, 422),
        ({"size": 5, "method": "targeted"}, 422),
        ({"size": 5, "method": "targeted", "filters": {}}, 422),
        ({"size": 5, "filters": {"reopened": True}}, 422),
        ({"size": 5, "method": "targeted", "filters": {"csat_at_most": 9}}, 422),
        ({"size": 5, "allocation": "neyman"}, 422),
        ({"size": 5, "analyst_user_id": "agent"}, 422),  # does not evaluate
        ({"size": 5, "analyst_user_id": "qa"}, 403),  # as the lead, who manages no one's queue
    ],
)
def test_bad_samples_are_refused_and_queue_nothing(qa: QaWorld, body: dict[str, Any], status: int) -> None:
    _spread(qa)
    if "analyst_user_id" in body:
        body = {**body, "analyst_user_id": qa.users[QA if body["analyst_user_id"] == "qa" else AGENT]}
    email = LEAD if status == 403 else QA
    response = _sample(qa, email=email, **body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _queue(qa) == _queue(qa, LEAD) == []
