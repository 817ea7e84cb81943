"""Scorecards through the API: the demo's, a new one, editing in place, versions once evaluated, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.quality.conftest import ADMIN, DIRECTOR, PARTNER_AGENT, PARTNER_LEAD, QA, WORKED, QaWorld

pytestmark = pytest.mark.postgres

NEW = {
    "name": "Returns desk",
    "description": "For the returns touchpoint.",
    "sections": [
        {
            "title": "Policy",
            "criteria": [
                {"label": "Checks the return window", "weight": 2, "error_class": "business"},
                {"label": "Explains the refund time", "weight": 1, "scale": "points", "max_points": 3},
            ],
        }
    ],
}


def _count(qa: QaWorld) -> int:
    items = qa.client.get("/api/v1/scorecards", params={"earlier_versions": True}, headers=qa.headers(ADMIN))
    return len(items.json()["items"])


def test_the_demo_scorecard_reads_as_the_brand_wrote_it_and_anyone_signed_in_reads_it(qa: QaWorld) -> None:
    card = qa.scorecard
    assert card["name"] == "Lumen values"
    assert (card["version"], card["current"], card["active"]) == (1, True, True)
    assert [s["title"] for s in card["sections"]] == ["Warm", "Clear", "Right"]
    assert len(qa.criteria) == 8
    assert [c["error_class"] for c in qa.criteria] == [
        None, "customer", "customer", None, "business", "business", "compliance", "compliance"
    ]  # fmt: skip
    assert [c["label"] for c in qa.criteria if c["auto_fail"]] == [
        "Verifies the customer's identity before discussing the account",
        "Shares no card or personal data in the reply",
    ]
    empathy = qa.criteria[1]
    assert (empathy["scale"], empathy["max_points"], empathy["pass_points"]) == ("points", 4, 3)
    partner = qa.client.get(f"/api/v1/scorecards/{card['id']}", headers=qa.headers(PARTNER_AGENT))
    assert partner.status_code == 200
    assert partner.json() == card


def test_a_new_scorecard_is_edited_in_place_until_evaluations_use_it_then_versioned(qa: QaWorld) -> None:
    manager = qa.headers(QA)
    created = qa.client.post("/api/v1/scorecards", json=NEW, headers=manager)
    assert created.status_code == 201, created.text
    card = created.json()
    assert (card["version"], card["lineage_id"]) == (1, card["id"])
    assert card["sections"][0]["criteria"][1]["pass_points"] == 3  # full marks by default

    edited = {**NEW, "sections": [{**NEW["sections"][0], "title": "Policy and care"}]}
    in_place = qa.client.put(f"/api/v1/scorecards/{card['id']}", json=edited, headers=manager).json()
    assert (in_place["id"], in_place["version"], in_place["sections"][0]["title"]) == (card["id"], 1, "Policy and care")

    conversation_id = qa.conversation("Lumen Care")
    criteria = [c for s in in_place["sections"] for c in s["criteria"]]
    saved = qa.client.put(
        f"/api/v1/conversations/{conversation_id}/evaluation",
        json={
            "scorecard_id": card["id"],
            "answers": [
                {"criterion_id": criteria[0]["id"], "points": 1},
                {"criterion_id": criteria[1]["id"], "points": 2},
            ],
            "submit": True,
        },
        headers=manager,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["score"] == pytest.approx(100 * (2 + 2 / 3) / 3)

    renamed = {**edited, "name": "Returns desk (2027)"}
    versioned = qa.client.put(f"/api/v1/scorecards/{card['id']}", json=renamed, headers=manager).json()
    assert versioned["id"] != card["id"]
    assert (versioned["lineage_id"], versioned["version"], versioned["current"]) == (card["id"], 2, True)
    earlier = qa.client.get(f"/api/v1/scorecards/{card['id']}", headers=manager).json()
    assert (earlier["current"], earlier["active"], earlier["name"]) == (False, False, "Returns desk")
    evaluation = qa.client.get(f"/api/v1/evaluations?conversation_id={conversation_id}", headers=manager).json()
    assert [(e["scorecard_id"], e["scorecard_version"]) for e in evaluation["items"]] == [(card["id"], 1)]

    current = qa.client.get("/api/v1/scorecards", headers=manager).json()["items"]
    assert {c["name"] for c in current} == {"Lumen values", "Returns desk (2027)"}
    stale = qa.client.put(f"/api/v1/scorecards/{card['id']}", json=renamed, headers=manager)
    assert stale.status_code == 409


def test_editing_the_demo_scorecard_after_evaluations_keeps_them_on_their_version(qa: QaWorld) -> None:
    conversation_id = qa.conversation("Atlantic CX")
    before = qa.evaluate(conversation_id, *WORKED)
    body = {
        "name": "Lumen values",
        "sections": [{"title": "All", "criteria": [{"label": "Solves it", "weight": 1, "error_class": "customer"}]}],
    }
    current = qa.client.put(f"/api/v1/scorecards/{qa.scorecard['id']}", json=body, headers=qa.headers(DIRECTOR))
    assert current.status_code == 200
    assert current.json()["version"] == 2
    after = qa.client.get(f"/api/v1/evaluations/{before['id']}", headers=qa.headers(QA)).json()
    assert (after["scorecard_id"], after["scorecard_version"], after["score"]) == (
        qa.scorecard["id"],
        1,
        before["score"],
    )
    fresh = qa.conversation("Atlantic CX")
    new = qa.client.put(
        f"/api/v1/conversations/{fresh}/evaluation",
        json={"answers": [{"criterion_id": current.json()["sections"][0]["criteria"][0]["id"], "points": 1}]},
        headers=qa.headers(QA),
    )
    assert new.json()["scorecard_id"] == current.json()["id"]  # new drafts take the current version


def _with(**criterion: Any) -> dict[str, Any]:
    return {"name": "Broken", "sections": [{"title": "S", "criteria": [{"label": "C", "weight": 1, **criterion}]}]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_with(weight=0), "sections.0.criteria.0.weight"),
        (_with(weight=-2), "sections.0.criteria.0.weight"),
        (_with(max_points=4), "sections.0.criteria.0"),
        (_with(scale="points"), "sections.0.criteria.0"),
        (_with(scale="points", max_points=4, pass_points=5), "sections.0.criteria.0"),
        (_with(error_class="critical"), "sections.0.criteria.0.error_class"),
        (_with(colour="red"), "sections.0.criteria.0.colour"),
        ({"name": "Empty", "sections": []}, "sections"),
        (
            {"name": "Twice", "sections": [{"title": "S", "criteria": [{"label": "A", "weight": 1}] * 2}]},
            "sections",
        ),
    ],
)
def test_bad_scorecards_answer_422_and_store_nothing(qa: QaWorld, body: dict[str, Any], field: str) -> None:
    before = _count(qa)
    response = qa.client.post("/api/v1/scorecards", json=body, headers=qa.headers(QA))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    edit = qa.client.put(f"/api/v1/scorecards/{qa.scorecard['id']}", json=body, headers=qa.headers(QA))
    assert edit.status_code == 422
    assert _count(qa) == before
    assert qa.client.get(f"/api/v1/scorecards/{qa.scorecard['id']}", headers=qa.headers(QA)).json() == qa.scorecard


def test_a_name_is_the_brands_once_and_partners_write_no_scorecards(qa: QaWorld) -> None:
    clash = qa.client.post("/api/v1/scorecards", json={**NEW, "name": "Lumen values"}, headers=qa.headers(QA))
    assert clash.status_code == 409
    assert qa.client.post("/api/v1/scorecards", json=NEW, headers=qa.headers(PARTNER_LEAD)).status_code == 403
    assert _count(qa) == 1
