"""Merging two customers and undoing it through the API: nothing is lost either way, and both are audited."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.customers.merge import referencing_columns
from cxhub.customers.models import Customer
from tests.routing.test_routing_api import ADMIN, conversation, post

pytestmark = pytest.mark.postgres


def _customer_of(client: TestClient, headers: dict[str, str], conversation_id: str) -> str:
    return str(conversation(client, headers, conversation_id)["customer"]["id"])


def _snapshot(world: Session, *customer_ids: str) -> dict[str, Any]:
    """Whose each row is: every row that refers to these customers by table and key, and their own fields."""
    world.expire_all()
    rows: dict[str, Any] = {}
    for table, column in referencing_columns():
        key = list(table.primary_key.columns)
        found = world.execute(select(*key, table.c[column]).where(table.c[column].in_(customer_ids))).all()
        rows[f"{table.name}.{column}"] = {tuple(r[:-1]): r[-1] for r in found}
    customers = world.scalars(select(Customer).where(Customer.id.in_(customer_ids))).all()
    rows["customers"] = sorted((c.id, c.name, c.country, c.language, c.merged_into_id) for c in customers)
    return rows


@pytest.fixture
def two_records_of_ann(client: TestClient, token_for: Any) -> tuple[str, str, dict[str, str]]:
    admin = token_for(ADMIN)
    chat = post(
        client,
        admin,
        channel="chat",
        external_id="merge-chat-1",
        customer={"visitor_id": "v-ann", "email": "ann.byrne@example.ie", "name": "Ann Byrne"},
        text="Is the oak table in stock?",
    )
    mail = post(
        client,
        admin,
        channel="email",
        external_id="<merge-mail-1@example.ie>",
        customer={"email": "ann@byrne-design.ie"},
        subject="Delivery",
        text="When does my table arrive?",
    )
    post(
        client,
        admin,
        channel="email",
        external_id="<merge-mail-2@example.ie>",
        customer={"email": "ann@byrne-design.ie"},
        subject="Invoice",
        text="Please send the invoice to the studio.",
    )
    ann, studio = _customer_of(client, admin, chat), _customer_of(client, admin, mail)
    assert ann != studio
    lead = next(a for a in client.get("/api/v1/agents", params={"limit": 200}, headers=admin).json()["items"])
    for name in ("Account Ann", "Studio customers"):  # one group both are in, one only the studio is in
        ids = [ann, studio] if name == "Account Ann" else [studio]
        body = {"name": name, "customer_ids": ids, "owner_agent_id": lead["id"]}
        created = client.post("/api/v1/customer-groups", json=body, headers=admin)
        assert created.status_code == 201, created.text
    return ann, studio, admin


def test_a_merge_moves_everything_and_an_unmerge_restores_it_exactly(
    client: TestClient, world: Session, two_records_of_ann: tuple[str, str, dict[str, str]]
) -> None:
    ann, studio, admin = two_records_of_ann
    before = _snapshot(world, ann, studio)
    merged = client.post(
        "/api/v1/customers/merges",
        json={"survivor_id": ann, "merged_id": studio, "reason": "same person, work address"},
        headers=admin,
    )
    assert merged.status_code == 201, merged.text
    merge = merged.json()
    assert merge["decided_by"] == "manual"
    assert merge["moved"]["conversations"] == 1  # the two e-mails are one conversation
    assert merge["moved"]["interactions"] == 2
    assert merge["moved"]["customer_identities"] == 1
    after = _snapshot(world, studio)
    assert all(not rows for key, rows in after.items() if key != "customers"), "rows left on the merged customer"
    assert after["customers"][0][-1] == ann
    # a new message from the studio address reaches the survivor
    later = post(
        client,
        admin,
        channel="email",
        external_id="<merge-mail-3@example.ie>",
        customer={"email": "ann@byrne-design.ie"},
        subject="Thanks",
        text="Table arrived, thank you!",
    )
    assert _customer_of(client, admin, later) == ann
    listed = client.get(f"/api/v1/customers/{studio}/merges", headers=admin).json()
    assert [m["id"] for m in listed["items"]] == [merge["id"]]
    assert listed["next_cursor"] is None

    undone = client.post(
        f"/api/v1/customers/merges/{merge['id']}/undo", json={"reason": "two people after all"}, headers=admin
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["undone_at"] is not None
    restored = _snapshot(world, ann, studio)
    arrived_later = {key: restored[key].keys() - before[key].keys() for key in before if key != "customers"}
    for key, later_keys in arrived_later.items():
        for k in later_keys:
            del restored[key][k]
    assert restored == before
    (later_interaction,) = arrived_later["interactions.customer_id"]
    thread = conversation(client, admin, later)
    assert thread["customer"]["id"] == studio, "the conversation the later message joined went back"
    assert _snapshot(world, studio)["interactions.customer_id"][later_interaction] == studio
    again = client.post(f"/api/v1/customers/merges/{merge['id']}/undo", json={"reason": "again"}, headers=admin)
    assert again.status_code == 409
    actions = [
        e["action"]
        for e in client.get("/api/v1/audit-events", params={"target_id": ann}, headers=admin).json()["items"]
    ]
    assert "customers.merge" in actions
    assert any(
        e["action"] == "customers.unmerge"
        for e in client.get("/api/v1/audit-events", params={"target_id": studio}, headers=admin).json()["items"]
    )


def test_refusals_say_why(
    client: TestClient, world: Session, token_for: Any, two_records_of_ann: tuple[str, str, dict[str, str]]
) -> None:
    ann, studio, admin = two_records_of_ann

    def merge(survivor: str, merged: str) -> Any:
        body = {"survivor_id": survivor, "merged_id": merged, "reason": "test"}
        return client.post("/api/v1/customers/merges", json=body, headers=admin)

    third = post(client, admin, channel="chat", external_id="merge-chat-9", customer={"visitor_id": "v-9"}, text="hi")
    other = _customer_of(client, admin, third)
    assert merge(ann, ann).status_code == 409
    assert merge(ann, "01NOSUCHCUSTOMER000000000").status_code == 404
    brand = client.post(
        "/api/v1/brands",
        json={"name": "Lumen Outdoor", "home_country": "IE", "time_zone": "Europe/Dublin"},
        headers=admin,
    )
    assert brand.status_code == 201, brand.text
    stranger = Customer(brand_id=brand.json()["id"], name="Ann Byrne")
    world.add(stranger)
    world.commit()
    crossing = merge(ann, stranger.id)
    assert crossing.status_code == 409
    assert "different brands" in crossing.json()["detail"]

    first = merge(ann, studio).json()
    assert merge(ann, studio).status_code == 409  # already merged
    assert merge(other, ann).status_code == 201  # the survivor of the first merge is merged in turn
    latest = client.get(f"/api/v1/customers/{ann}/merges", params={"limit": 1}, headers=admin).json()
    assert latest["items"][0]["merged_id"] == ann  # newest first: Ann merged in turn
    earlier = client.get(
        f"/api/v1/customers/{ann}/merges", params={"limit": 1, "cursor": latest["next_cursor"]}, headers=admin
    ).json()
    assert [m["id"] for m in earlier["items"]] == [first["id"]]
    assert earlier["next_cursor"] is None
    blocked = client.post(f"/api/v1/customers/merges/{first['id']}/undo", json={"reason": "x"}, headers=admin)
    assert blocked.status_code == 409
    assert "undo that merge first" in blocked.json()["detail"]
    partner = token_for("lead@atlantic.example")
    body = {"survivor_id": other, "merged_id": studio, "reason": "partner"}
    assert client.post("/api/v1/customers/merges", json=body, headers=partner).status_code == 403
