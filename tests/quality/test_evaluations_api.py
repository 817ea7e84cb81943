"""Evaluations through the API: draft and submit, bad answers, partner boundaries, agents' own, disputes, metrics."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import cxhub.analytics.tasks  # noqa: F401  registers the refresh job
from cxhub.jobs.models import Job
from cxhub.jobs.service import registered_tasks
from tests.quality.conftest import (
    ADMIN,
    AGENT,
    FULL_MARKS,
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


def _evaluations(qa: QaWorld, email: str = ADMIN, **params: Any) -> list[dict[str, Any]]:
    response = qa.client.get("/api/v1/evaluations", params=params, headers=qa.headers(email))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_an_analyst_drafts_then_submits_and_the_evaluation_is_the_agents(qa: QaWorld, world: Session) -> None:
    conversation_id = qa.conversation("Atlantic CX", PARTNER_AGENT)
    draft = qa.client.put(
        f"/api/v1/conversations/{conversation_id}/evaluation",
        json={"answers": qa.answers(*WORKED)[:3], "comment": "so far"},
        headers=qa.headers(QA),
    )
    assert draft.status_code == 200, draft.text
    assert (draft.json()["status"], draft.json()["score"], len(draft.json()["answers"])) == ("draft", None, 3)
    assert qa.client.get("/api/v1/me/evaluations", headers=qa.headers(PARTNER_AGENT)).json()["items"] == []

    submitted = qa.evaluate(conversation_id, *WORKED, comment="Record the reason next time.")
    assert submitted["id"] == draft.json()["id"]
    assert submitted["status"] == "submitted"
    assert submitted["score"] == pytest.approx(79.1667, abs=1e-4)
    assert (submitted["customer_error"], submitted["business_error"], submitted["compliance_error"]) == (
        False,
        True,
        False,
    )
    assert submitted["agent_id"] == qa.agents[PARTNER_AGENT]
    assert submitted["organisation_id"] == qa.organisations["Atlantic CX"]
    assert [h["kind"] for h in submitted["history"]] == ["submitted"]
    remedy = qa.criteria[5]["id"]
    assert next(a for a in submitted["answers"] if a["criterion_id"] == remedy)["not_applicable"] is True
    notices = world.scalars(select(Job).where(Job.name == "quality.notify")).all()
    assert [j.payload for j in notices] == [{"evaluation_id": submitted["id"], "event": "submitted"}]

    again = qa.evaluate(conversation_id, *WORKED, comment="Record the reason next time.")
    assert again == submitted  # the same submission again: a retry, nothing new
    changed = qa.client.put(
        f"/api/v1/conversations/{conversation_id}/evaluation",
        json={"answers": qa.answers(*FULL_MARKS), "submit": True},
        headers=qa.headers(QA),
    )
    assert changed.status_code == 409
    mine = qa.client.get("/api/v1/me/evaluations", headers=qa.headers(PARTNER_AGENT)).json()["items"]
    assert [e["id"] for e in mine] == [submitted["id"]]


def test_a_failed_auto_fail_item_scores_zero(qa: QaWorld) -> None:
    evaluation = qa.evaluate(qa.conversation("Lumen Care", AGENT), 1, 4, 1, 4, 1, 1, 0, 1)
    assert evaluation["score"] == 0
    assert evaluation["compliance_error"] is True


def test_a_conversation_has_one_evaluation_that_counts(qa: QaWorld) -> None:
    conversation_id = qa.conversation("Lumen Care", AGENT)
    qa.evaluate(conversation_id, *WORKED, submit=False)
    other = qa.client.put(
        f"/api/v1/conversations/{conversation_id}/evaluation",
        json={"answers": qa.answers(*FULL_MARKS)},
        headers=qa.headers(LEAD),
    )
    assert other.status_code == 409
    assert other.json()["errors"] == [
        {"field": "conversation_id", "reason": "another evaluator has evaluated this conversation, or is evaluating it"}
    ]


@pytest.mark.parametrize(
    ("answers", "submit", "field"),
    [
        ([{"criterion_id": "01nosuchcriterion000000000", "points": 1}], False, "answers.01nosuchcriterion000000000"),
        ("greet=2", False, "answers.{greet}"),
        ("empathy=9", False, "answers.{empathy}"),
        ("greet=na", False, "answers.{greet}"),
        ("greet=1", True, "answers.{empathy}"),  # answers missing
        ("twice", False, "answers"),
        ("both", False, "answers.0"),
        ("neither", False, "answers.0"),
    ],
)
def test_bad_answers_answer_422_and_store_nothing(qa: QaWorld, answers: Any, submit: bool, field: str) -> None:
    conversation_id = qa.conversation("Lumen Care", AGENT)
    ids = {"greet": qa.criteria[0]["id"], "empathy": qa.criteria[1]["id"]}
    if answers == "twice":
        answers = [{"criterion_id": ids["greet"], "points": 1}, {"criterion_id": ids["greet"], "points": 0}]
    elif answers == "both":
        answers = [{"criterion_id": ids["greet"], "points": 1, "not_applicable": True}]
    elif answers == "neither":
        answers = [{"criterion_id": ids["greet"]}]
    elif isinstance(answers, str):
        name, value = answers.split("=")
        answers = [
            {"criterion_id": ids[name], "not_applicable": True}
            if value == "na"
            else {"criterion_id": ids[name], "points": int(value)}
        ]
    response = qa.client.put(
        f"/api/v1/conversations/{conversation_id}/evaluation",
        json={"answers": answers, "submit": submit},
        headers=qa.headers(QA),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field.format(**ids) in [e["field"] for e in response.json()["errors"]]
    assert _evaluations(qa, conversation_id=conversation_id) == []


def test_partner_evaluators_see_and_score_their_own_organisation_only(qa: QaWorld) -> None:
    atlantic = qa.conversation("Atlantic CX", PARTNER_AGENT)
    pacific = qa.conversation("Pacific Contact", PACIFIC_AGENT)
    lumen = qa.conversation("Lumen Care", AGENT)
    own = qa.evaluate(atlantic, *WORKED, email=PARTNER_LEAD)
    for conversation_id in (pacific, lumen):
        qa.evaluate(conversation_id, *FULL_MARKS)
    assert own["organisation_id"] == qa.organisations["Atlantic CX"]
    assert [e["id"] for e in _evaluations(qa, PARTNER_LEAD)] == [own["id"]]
    assert len(_evaluations(qa, QA)) == 3
    outside = qa.client.put(
        f"/api/v1/conversations/{pacific}/evaluation",
        json={"answers": qa.answers(*WORKED)},
        headers=qa.headers(PARTNER_LEAD),
    )
    assert outside.status_code == 404
    pacific_evaluation = _evaluations(qa, QA, conversation_id=pacific)[0]["id"]
    assert (
        qa.client.get(f"/api/v1/evaluations/{pacific_evaluation}", headers=qa.headers(PARTNER_LEAD)).status_code == 404
    )
    assert qa.client.get("/api/v1/evaluations", headers=qa.headers(PARTNER_AGENT)).status_code == 403


def test_agents_see_their_own_submitted_evaluations_only(qa: QaWorld) -> None:
    tiago = qa.evaluate(qa.conversation("Atlantic CX", PARTNER_AGENT), *WORKED)
    maria = qa.evaluate(qa.conversation("Pacific Contact", PACIFIC_AGENT), *FULL_MARKS)
    qa.evaluate(qa.conversation("Atlantic CX", PARTNER_AGENT), *FULL_MARKS, submit=False)  # a draft: not shown
    tiago_headers = qa.headers(PARTNER_AGENT)
    assert [e["id"] for e in qa.client.get("/api/v1/me/evaluations", headers=tiago_headers).json()["items"]] == [
        tiago["id"]
    ]
    assert qa.client.get(f"/api/v1/me/evaluations/{tiago['id']}", headers=tiago_headers).status_code == 200
    assert qa.client.get(f"/api/v1/me/evaluations/{maria['id']}", headers=tiago_headers).status_code == 404
    dispute = qa.client.post(
        f"/api/v1/me/evaluations/{maria['id']}/dispute", json={"reason": "not mine"}, headers=tiago_headers
    )
    assert dispute.status_code == 404
    assert qa.client.get("/api/v1/me/evaluations", headers=qa.headers(QA)).status_code == 403  # no qa.dispute
    assert qa.client.get("/api/v1/me/evaluations", headers=qa.headers(ADMIN)).status_code == 409  # no agent profile


def test_a_dispute_is_settled_by_someone_else_and_the_history_keeps_every_step(qa: QaWorld, world: Session) -> None:
    conversation_id = qa.conversation("Atlantic CX", PARTNER_AGENT)
    evaluation = qa.evaluate(conversation_id, *WORKED)
    agent = qa.headers(PARTNER_AGENT)
    path = f"/api/v1/me/evaluations/{evaluation['id']}/dispute"
    disputed = qa.client.post(path, json={"reason": "I did record the reason, in a note."}, headers=agent)
    assert disputed.status_code == 200, disputed.text
    assert disputed.json()["status"] == "disputed"
    retry = qa.client.post(path, json={"reason": "I did record the reason, in a note."}, headers=agent)
    assert retry.json() == disputed.json()
    assert qa.client.post(path, json={"reason": "and again"}, headers=agent).status_code == 409
    assert qa.client.post(path, json={"reason": ""}, headers=agent).status_code == 422

    settle = f"/api/v1/evaluations/{evaluation['id']}/settlement"
    assert qa.client.post(settle, json={"outcome": "upheld", "reason": "x"}, headers=agent).status_code == 403
    missing = qa.client.post(settle, json={"outcome": "revised", "reason": "x"}, headers=qa.headers(PARTNER_LEAD))
    assert missing.status_code == 422
    incomplete = qa.client.post(
        settle,
        json={"outcome": "revised", "reason": "x", "answers": qa.answers(*WORKED)[:2]},
        headers=qa.headers(PARTNER_LEAD),
    )
    assert incomplete.status_code == 422
    revised = qa.client.post(
        settle,
        json={
            "outcome": "revised",
            "reason": "The note records it: the reason was recorded.",
            "answers": qa.answers(1, 3, 1, 2, 1, None, 1, 1),
        },
        headers=qa.headers(PARTNER_LEAD),
    )
    assert revised.status_code == 200, revised.text
    settled = revised.json()
    assert settled["status"] == "revised"
    assert settled["score"] == pytest.approx(100 * 10.5 / 12)
    assert settled["business_error"] is False
    assert [(h["kind"], h["user_name"]) for h in settled["history"]] == [
        ("submitted", "Róisín Kelly"),
        ("disputed", "Tiago Ferreira"),
        ("revised", "Inês Carvalho"),
    ]
    assert [round(h["score"], 2) for h in settled["history"]] == [79.17, 79.17, 87.5]
    assert settled["history"][1]["reason"] == "I did record the reason, in a note."
    assert qa.client.post(path, json={"reason": "once more"}, headers=agent).status_code == 409
    again = qa.client.post(settle, json={"outcome": "upheld", "reason": "x"}, headers=qa.headers(QA))
    assert again.status_code == 409
    events = [
        j.payload["event"] for j in world.scalars(select(Job).where(Job.name == "quality.notify").order_by(Job.id))
    ]
    assert events == ["submitted", "disputed", "revised"]


def test_a_dispute_is_upheld_and_nobody_settles_their_own(qa: QaWorld) -> None:
    evaluation = qa.evaluate(qa.conversation("Lumen Care", LEAD), *WORKED)
    own = qa.headers(LEAD)
    qa.client.post(f"/api/v1/me/evaluations/{evaluation['id']}/dispute", json={"reason": "too harsh"}, headers=own)
    settle = f"/api/v1/evaluations/{evaluation['id']}/settlement"
    assert qa.client.post(settle, json={"outcome": "upheld", "reason": "mine"}, headers=own).status_code == 403
    upheld = qa.client.post(
        settle, json={"outcome": "upheld", "reason": "The reason was not recorded."}, headers=qa.headers(QA)
    )
    assert upheld.json()["status"] == "upheld"
    assert upheld.json()["score"] == evaluation["score"]
    retry = qa.client.post(
        settle, json={"outcome": "upheld", "reason": "The reason was not recorded."}, headers=qa.headers(QA)
    )
    assert retry.json() == upheld.json()  # the same settlement again: nothing new in the history
    answers_given = qa.client.post(
        settle, json={"outcome": "upheld", "reason": "x", "answers": qa.answers(*WORKED)}, headers=qa.headers(QA)
    )
    assert answers_given.status_code == 422


def test_the_metrics_count_submitted_evaluations_on_the_contact_and_nothing_else(qa: QaWorld, world: Session) -> None:
    first = qa.conversation("Atlantic CX", PARTNER_AGENT)
    second = qa.conversation("Atlantic CX", PARTNER_AGENT)
    third = qa.conversation("Atlantic CX", PARTNER_AGENT)
    qa.evaluate(first, *WORKED)  # 79.17, a business error
    qa.evaluate(second, *FULL_MARKS)  # 100
    qa.evaluate(third, 1, 4, 1, 4, 1, 1, 0, 1, submit=False)  # a draft counts nowhere
    registered_tasks()["analytics.refresh_rollups"](world, {})
    world.commit()
    report = qa.client.get(
        "/api/v1/metrics",
        params={
            "from": (NOW - dt.timedelta(days=2)).date().isoformat(),
            "to": NOW.date().isoformat(),
            "by": "organisation",
        },
        headers=qa.headers(PARTNER_LEAD),
    )
    assert report.status_code == 200, report.text
    [row] = report.json()["rows"]
    assert row["qa_score"] == pytest.approx((79.1667 + 100) / 2, abs=1e-3)
    assert row["qa_business_error_free"] == pytest.approx(0.5)
    assert row["qa_customer_error_free"] == 1
    assert row["qa_compliance_error_free"] == 1
