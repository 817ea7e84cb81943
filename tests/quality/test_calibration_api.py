"""Calibration sessions through the API: blind scoring, the report (spread, deviation, kappa), bad input."""

from __future__ import annotations

from collections.abc import Hashable
from statistics import fmean, pstdev
from typing import Any

import pytest
from sqlalchemy.orm import Session

import cxhub.analytics.tasks  # noqa: F401  registers the refresh job
from cxhub.jobs.service import registered_tasks
from cxhub.quality.calibration import cohen_kappa, fleiss_kappa
from tests.quality.conftest import (
    ADMIN,
    AGENT,
    DIRECTOR,
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

# two conversations, three evaluators; points in scorecard order (None: not applicable)
ANSWERS = {
    QA: (FULL_MARKS, WORKED),
    LEAD: (WORKED, (0, 2, 1, 2, 1, None, 0, 1)),  # the second fails an auto-fail item: 0
    ADMIN: (FULL_MARKS, (1, 4, 1, 3, 1, 1, 1, 1)),
}
SCORES = {QA: (100, 100 * 9.5 / 12), LEAD: (100 * 9.5 / 12, 0), ADMIN: (100, 100 * 13.5 / 14)}
CRITICAL = (1, 2, 4, 5, 6, 7)  # the criteria classed customer, customer, business, business, compliance, compliance
PASS_MARK = {1: 3}  # empathy passes at 3 of 4; the rest are yes/no


def _rating(points: int | None, index: int) -> str:
    if points is None:
        return "n/a"
    return "pass" if points >= PASS_MARK.get(index, 1) else "fail"


def _session(qa: QaWorld, evaluators: list[str], conversations: list[str], email: str = DIRECTOR) -> dict[str, Any]:
    response = qa.client.post(
        "/api/v1/calibration-sessions",
        json={
            "title": "December calibration",
            "conversation_ids": conversations,
            "evaluator_user_ids": [qa.users[e] for e in evaluators],
        },
        headers=qa.headers(email),
    )
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


def _mine(qa: QaWorld, email: str, session_id: str) -> dict[str, Any]:
    response = qa.client.get(f"/api/v1/me/calibration-sessions/{session_id}", headers=qa.headers(email))
    assert response.status_code == 200, response.text
    mine: dict[str, Any] = response.json()
    return mine


def test_three_evaluators_score_blind_and_the_report_compares_them(qa: QaWorld, world: Session) -> None:
    conversations = [qa.conversation("Lumen Care", AGENT), qa.conversation("Atlantic CX", PARTNER_AGENT)]
    session = _session(qa, [QA, LEAD, ADMIN], conversations)
    assert session["complete"] is False
    assert [e["submitted"] for e in session["evaluators"]] == [0, 0, 0]
    session_id = session["id"]
    listed = qa.client.get("/api/v1/me/calibration-sessions", headers=qa.headers(LEAD)).json()["items"]
    assert [s["id"] for s in listed] == [session_id]

    for email in (QA, LEAD):
        for conversation_id, points in zip(conversations, ANSWERS[email], strict=True):
            qa.evaluate(conversation_id, *points, email=email, calibration_session_id=session_id)
    lead_view = _mine(qa, LEAD, session_id)
    assert lead_view["my_evaluations"] == dict.fromkeys(conversations, "submitted")
    assert lead_view["report"] is not None  # the lead has scored both
    admin_view = _mine(qa, ADMIN, session_id)
    assert admin_view["report"] is None  # blind until the admin has scored too
    assert admin_view["my_evaluations"] == dict.fromkeys(conversations, "todo")
    others = qa.client.get(
        "/api/v1/evaluations", params={"conversation_id": conversations[0]}, headers=qa.headers(ADMIN)
    )
    assert others.json()["items"] == []  # the others' calibration scores are not evaluations one can read
    qa.evaluate(conversations[0], *ANSWERS[ADMIN][0], email=ADMIN, calibration_session_id=session_id, submit=False)
    assert _mine(qa, ADMIN, session_id)["report"] is None  # a draft is not a submission
    assert (
        qa.client.get(f"/api/v1/calibration-sessions/{session_id}/report", headers=qa.headers(ADMIN)).status_code == 409
    )
    for conversation_id, points in zip(conversations, ANSWERS[ADMIN], strict=True):
        qa.evaluate(conversation_id, *points, email=ADMIN, calibration_session_id=session_id)

    response = qa.client.get(f"/api/v1/calibration-sessions/{session_id}/report", headers=qa.headers(DIRECTOR))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["complete"] is True
    for row, n in zip(report["conversations"], range(2), strict=True):
        values = [SCORES[e][n] for e in (QA, LEAD, ADMIN)]
        assert row["evaluators"] == 3
        assert row["consensus"] == pytest.approx(fmean(values))
        assert row["range"] == pytest.approx(max(values) - min(values))
        assert row["standard_deviation"] == pytest.approx(pstdev(values))
    assert report["conversations"][0]["consensus"] == pytest.approx(93.0556, abs=1e-4)
    by_name = {e["user_id"]: e for e in report["evaluators"]}
    lead = by_name[qa.users[LEAD]]
    consensus = [fmean(SCORES[e][n] for e in SCORES) for n in range(2)]
    assert lead["mean_signed_deviation"] == pytest.approx(fmean(SCORES[LEAD][n] - consensus[n] for n in range(2)))
    assert lead["leaning"] == "harsh"
    assert by_name[qa.users[ADMIN]]["leaning"] == "lenient"

    ratings: list[list[Hashable]] = [
        [_rating(ANSWERS[e][n][i], i) for e in (QA, LEAD, ADMIN)] for n in range(2) for i in CRITICAL
    ]
    agreement = report["agreement"]
    assert (agreement["method"], agreement["evaluators"], agreement["items"]) == ("fleiss", 3, 12)
    assert agreement["kappa"] == pytest.approx(fleiss_kappa(ratings))
    compliance = [r for r, i in zip(ratings, CRITICAL * 2, strict=True) if i in (6, 7)]
    assert agreement["by_class"]["compliance"] == pytest.approx(fleiss_kappa(compliance))

    registered_tasks()["analytics.refresh_rollups"](world, {})
    world.commit()
    metrics = qa.client.get(
        "/api/v1/metrics",
        params={"from": NOW.date().isoformat(), "to": NOW.date().isoformat()},
        headers=qa.headers(DIRECTOR),
    ).json()["rows"]
    assert all(row["qa_score"] is None for row in metrics)  # calibration scores count in nobody's QA score
    assert qa.client.get("/api/v1/me/evaluations", headers=qa.headers(AGENT)).json()["items"] == []


def test_two_evaluators_agree_by_cohens_kappa(qa: QaWorld) -> None:
    conversations = [qa.conversation("Lumen Care", AGENT) for _ in range(2)]
    session_id = _session(qa, [QA, LEAD], conversations, email=QA)["id"]
    for email in (QA, LEAD):
        for conversation_id, points in zip(conversations, ANSWERS[email], strict=True):
            qa.evaluate(conversation_id, *points, email=email, calibration_session_id=session_id)
    report = _mine(qa, QA, session_id)["report"]
    a = [_rating(ANSWERS[QA][n][i], i) for n in range(2) for i in CRITICAL]
    b = [_rating(ANSWERS[LEAD][n][i], i) for n in range(2) for i in CRITICAL]
    assert report["agreement"]["method"] == "cohen"
    assert report["agreement"]["kappa"] == pytest.approx(cohen_kappa(a, b))


def test_a_partner_evaluator_takes_part_in_sessions_on_their_organisations_work_only(qa: QaWorld) -> None:
    atlantic = qa.conversation("Atlantic CX", PARTNER_AGENT)
    pacific = qa.conversation("Pacific Contact", PACIFIC_AGENT)
    own = _session(qa, [QA, PARTNER_LEAD], [atlantic])
    assert _mine(qa, PARTNER_LEAD, own["id"])["report"] is None
    refused = qa.client.post(
        "/api/v1/calibration-sessions",
        json={
            "title": "x",
            "conversation_ids": [pacific],
            "evaluator_user_ids": [qa.users[QA], qa.users[PARTNER_LEAD]],
        },
        headers=qa.headers(DIRECTOR),
    )
    assert refused.status_code == 422
    other = _session(qa, [QA, LEAD], [pacific])
    assert (
        qa.client.get(f"/api/v1/me/calibration-sessions/{other['id']}", headers=qa.headers(PARTNER_LEAD)).status_code
        == 404
    )
    not_in_it = qa.client.put(
        f"/api/v1/conversations/{atlantic}/evaluation",
        json={"answers": qa.answers(*WORKED), "calibration_session_id": other["id"]},
        headers=qa.headers(LEAD),
    )
    assert not_in_it.status_code == 422  # the lead is in the other session, which does not hold this conversation


def test_the_same_idempotency_key_again_starts_no_second_session(qa: QaWorld) -> None:
    body = {
        "title": "Retry",
        "conversation_ids": [qa.conversation("Lumen Care", AGENT)],
        "evaluator_user_ids": [qa.users[QA], qa.users[LEAD]],
    }
    headers = {**qa.headers(DIRECTOR), "Idempotency-Key": "calibration-w49"}
    first = qa.client.post("/api/v1/calibration-sessions", json=body, headers=headers)
    again = qa.client.post("/api/v1/calibration-sessions", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(qa.client.get("/api/v1/calibration-sessions", headers=qa.headers(DIRECTOR)).json()["items"]) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"evaluator_user_ids": ["qa"]}, "evaluator_user_ids"),
        ({"evaluator_user_ids": ["qa", "qa"]}, "evaluator_user_ids"),
        ({"evaluator_user_ids": ["qa", "agent"]}, "evaluator_user_ids"),  # no qa.evaluate
        ({"conversation_ids": ["01nosuchconversation000000"]}, "conversation_ids"),
        ({"conversation_ids": []}, "conversation_ids"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_sessions_answer_422_and_store_nothing(qa: QaWorld, change: dict[str, Any], field: str) -> None:
    people = {"qa": qa.users[QA], "lead": qa.users[LEAD], "agent": qa.users[AGENT]}
    body: dict[str, Any] = {
        "title": "x",
        "conversation_ids": [qa.conversation("Lumen Care", AGENT)],
        "evaluator_user_ids": [people["qa"], people["lead"]],
    }
    body.update(change)
    body["evaluator_user_ids"] = [people.get(u, u) for u in body["evaluator_user_ids"]]
    response = qa.client.post("/api/v1/calibration-sessions", json=body, headers=qa.headers(DIRECTOR))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert qa.client.get("/api/v1/calibration-sessions", headers=qa.headers(DIRECTOR)).json()["items"] == []
