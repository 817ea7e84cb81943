"""The review queue through the API: pairs side by side with their evidence, accepted or rejected once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cxhub.customers.models import Customer
from cxhub.kit.time import utcnow
from tests.builders import make_match_candidate
from tests.routing.test_routing_api import ADMIN, conversation, post

pytestmark = pytest.mark.postgres
QUEUE = "/api/v1/customers/match-candidates"
THRESHOLDS = "/api/v1/customers/match-thresholds"


def _customer(client: TestClient, headers: dict[str, str], external_id: str, **customer: str) -> str:
    channel = "email" if "email" in customer and "visitor_id" not in customer else "chat"
    conversation_id = post(client, headers, channel=channel, external_id=external_id, customer=customer, text="Hi")
    return str(conversation(client, headers, conversation_id)["customer"]["id"])


@pytest.fixture
def three_annes(client: TestClient, token_for: Any) -> tuple[dict[str, str], list[str]]:
    admin = token_for(ADMIN)
    ids = [
        _customer(client, admin, "review-1", visitor_id="v-ann", name="Ann Byrne"),
        _customer(client, admin, "<review-2@x>", email="ann@byrne-design.ie", name="Ann Byrn"),
        _customer(client, admin, "<review-3@x>", email="anne.byrne@example.com", name="Anne Byrne"),
    ]
    assert len(set(ids)) == 3
    return admin, ids


def _queue(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(QUEUE, params=params, headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_the_queue_shows_both_customers_and_the_evidence_per_field(
    client: TestClient, world: Session, three_annes: tuple[dict[str, str], list[str]]
) -> None:
    admin, (ann, studio, anne) = three_annes
    first = make_match_candidate(world, left=ann, right=studio, probability=0.95)
    second = make_match_candidate(world, left=ann, right=anne, probability=0.85)
    page = _queue(client, admin, limit=1)
    (item,) = page["items"]
    assert item["id"] == first.id
    assert item["match_probability"] == pytest.approx(0.95)
    sides = {item["left"]["id"]: item["left"], item["right"]["id"]: item["right"]}
    assert sides[ann]["name"] == "Ann Byrne"
    assert sides[studio]["name"] == "Ann Byrn"
    assert [i["value"] for i in sides[studio]["identities"]] == ["ann@byrne-design.ie"]
    assert {item["left"]["source"], item["right"]["source"]} == {"chat", "email"}
    evidence = {e["field"]: e for e in item["evidence"]}
    assert [evidence[f]["agreement"] for f in ("first_name", "last_name", "email", "phone")] == [
        "agree",
        "partial",
        "disagree",
        "missing",
    ]
    assert evidence["email"] == {
        "field": "email",
        "left": "ann.byrne@example.ie",
        "right": "ann@byrne-design.ie",
        "level": 0,
        "agreement": "disagree",
        "weight": -1.2,
    }
    rest = _queue(client, admin, limit=1, cursor=page["next_cursor"])
    assert [i["id"] for i in rest["items"]] == [second.id]
    assert rest["next_cursor"] is None
    assert _queue(client, admin, status="accepted")["items"] == []
    bad = client.get(QUEUE, params={"status": "maybe"}, headers=admin)
    assert bad.status_code == 422


def test_accepting_merges_into_the_older_customer_and_says_who_and_why(
    client: TestClient, world: Session, three_annes: tuple[dict[str, str], list[str]]
) -> None:
    admin, (ann, studio, _anne) = three_annes
    candidate = make_match_candidate(world, left=studio, right=ann)
    accepted = client.post(f"{QUEUE}/{candidate.id}/accept", json={"reason": "same studio"}, headers=admin)
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["status"] == "accepted"
    assert body["decision_reason"] == "same studio"
    assert body["decided_by_user_id"] is not None
    (merge,) = client.get(f"/api/v1/customers/{studio}/merges", headers=admin).json()["items"]
    assert merge["id"] == body["merge_id"]
    assert (merge["survivor_id"], merge["merged_id"]) == (ann, studio)  # Ann wrote first
    assert merge["decided_by"] == "review"
    assert merge["reason"] == "same studio"
    assert merge["actor_email"] == ADMIN
    assert merge["match_probability"] == pytest.approx(0.93)
    assert [i["id"] for i in _queue(client, admin, status="accepted")["items"]] == [candidate.id]
    assert _queue(client, admin)["items"] == []

    again = client.post(f"{QUEUE}/{candidate.id}/reject", headers=admin)
    assert again.status_code == 409
    assert "already decided" in again.json()["detail"]
    missing = client.post(f"{QUEUE}/01NOSUCHCANDIDATE00000000/accept", headers=admin)
    assert missing.status_code == 404


def test_rejecting_keeps_them_apart_and_a_pair_changed_meanwhile_is_refused(
    client: TestClient, world: Session, token_for: Any, three_annes: tuple[dict[str, str], list[str]]
) -> None:
    admin, (ann, studio, anne) = three_annes
    kept_apart = make_match_candidate(world, left=ann, right=anne)
    rejected = client.post(f"{QUEUE}/{kept_apart.id}/reject", json={"reason": "her sister"}, headers=admin)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert [i["decision_reason"] for i in _queue(client, admin, status="rejected")["items"]] == ["her sister"]
    assert client.get(f"/api/v1/customers/{ann}/merges", headers=admin).json()["items"] == []
    assert client.post(f"{QUEUE}/{kept_apart.id}/accept", headers=admin).status_code == 409

    # one side is merged by hand while the pair waits: the pair can no longer be decided
    waiting = make_match_candidate(world, left=studio, right=anne)
    body = {"survivor_id": ann, "merged_id": studio, "reason": "by hand"}
    assert client.post("/api/v1/customers/merges", json=body, headers=admin).status_code == 201
    stale = client.post(f"{QUEUE}/{waiting.id}/accept", headers=admin)
    assert stale.status_code == 409
    assert "merged" in stale.json()["detail"]

    # one side is erased while the pair waits
    fresh = _customer(client, admin, "<review-4@x>", email="a.byrne@example.org", name="A. Byrne")
    erasing = make_match_candidate(world, left=anne, right=fresh)
    erased = world.get(Customer, fresh)
    assert erased is not None
    erased.erased_at = utcnow()
    world.commit()
    refused = client.post(f"{QUEUE}/{erasing.id}/reject", headers=admin)
    assert refused.status_code == 409
    assert "erased" in refused.json()["detail"]

    partner = token_for("lead@atlantic.example")
    assert client.get(QUEUE, headers=partner).status_code == 403
    assert client.post(f"{QUEUE}/{erasing.id}/reject", headers=partner).status_code == 403
    events = client.get("/api/v1/audit-events", params={"target_id": kept_apart.id}, headers=admin).json()["items"]
    assert [e["action"] for e in events] == ["customers.match_rejected"]


def test_an_undone_merge_keeps_the_pair_apart(
    client: TestClient, world: Session, three_annes: tuple[dict[str, str], list[str]]
) -> None:
    admin, (ann, studio, _anne) = three_annes
    body = {"survivor_id": ann, "merged_id": studio, "reason": "same person"}
    merge = client.post("/api/v1/customers/merges", json=body, headers=admin).json()
    undone = client.post(f"/api/v1/customers/merges/{merge['id']}/undo", json={"reason": "two people"}, headers=admin)
    assert undone.status_code == 200, undone.text
    (pair,) = _queue(client, admin, status="rejected")["items"]
    assert {pair["left"]["id"], pair["right"]["id"]} == {ann, studio}
    assert pair["decision_reason"] == "merge undone: two people"


def test_thresholds_are_replaced_whole_and_checked(client: TestClient, world: Session, token_for: Any) -> None:
    admin = token_for(ADMIN)
    start = client.get(THRESHOLDS, headers=admin)
    assert start.status_code == 200, start.text
    assert start.json()["items"] == []
    assert start.json()["default"]["auto_merge"] == pytest.approx(0.99)
    wanted = [
        {"source_l": "*", "source_r": "*", "auto_merge": 0.98, "review": 0.75},
        {"source_l": "marketplace", "source_r": "*", "auto_merge": 1.0, "review": 0.9},
    ]
    put = client.put(THRESHOLDS, json=wanted, headers=admin)
    assert put.status_code == 200, put.text
    assert put.json()["items"] == wanted
    for bad, reason in (
        ([{"auto_merge": 0.8, "review": 0.9}], "review must not be above auto_merge"),
        ([{"auto_merge": 1.2, "review": 0.9}], "less than or equal to 1"),
        ([{"auto_merge": 0.9, "review": -0.1}], "greater than or equal to 0"),
        (
            [
                {"source_l": "estore", "source_r": "retailer", "auto_merge": 0.9, "review": 0.8},
                {"source_l": "retailer", "source_r": "estore", "auto_merge": 0.95, "review": 0.8},
            ],
            "listed twice",
        ),
    ):
        refused = client.put(THRESHOLDS, json=bad, headers=admin)
        assert refused.status_code == 422, refused.text
        assert reason in refused.text
    assert client.get(THRESHOLDS, headers=admin).json()["items"] == wanted  # nothing changed
    assert client.put(THRESHOLDS, json=[], headers=admin).json()["items"] == []
    events = client.get("/api/v1/audit-events", params={"action": "customers.match_thresholds"}, headers=admin)
    assert events.status_code == 200, events.text
    audited = [e["detail"]["after"] for e in events.json()["items"] if e["action"] == "customers.match_thresholds"]
    assert sorted(map(len, audited)) == [0, 2]
    assert client.get(THRESHOLDS, params={"brand_id": "01NOSUCHBRAND0000000000000"}, headers=admin).status_code == 404
    assert client.get(THRESHOLDS, headers=token_for("lead@atlantic.example")).status_code == 403
