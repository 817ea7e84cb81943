"""Privacy through the API: the access export holds everything, erasure leaves no personal value anywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.orm import Session

from cxhub.config import get_settings
from cxhub.conversations.models import Attachment, Conversation, Interaction
from cxhub.customers.privacy import may_contact
from cxhub.jobs.models import Job
from cxhub.jobs.service import registered_tasks
from tests.routing.test_routing_api import ADMIN, conversation, post

pytestmark = pytest.mark.postgres

NAME = "Ann Byrne"
EMAIL = "ann.byrne@example.ie"
WORK_EMAIL = "ann@byrne-design.ie"
PHONE = "+353861234567"
MESSAGE = "Is the walnut sideboard still in stock?"
MAIL_SUBJECT = "Sideboard delivery window"
MAIL_TEXT = "Please deliver the sideboard before Thursday, the side gate is open."
NOTE = "Prefers mornings; gate code 4417."
FILENAME = "byrne-receipt.txt"
FILE_BYTES = b"Receipt 8812 for the walnut sideboard"
PERSONAL = [NAME, EMAIL, WORK_EMAIL, PHONE, "walnut sideboard", MAIL_SUBJECT, "side gate", NOTE, FILENAME]


def _customer_of(client: TestClient, headers: dict[str, str], conversation_id: str) -> str:
    return str(conversation(client, headers, conversation_id)["customer"]["id"])


@pytest.fixture
def ann(client: TestClient, token_for: Any) -> dict[str, Any]:
    """A customer known by two records (merged), with a chat, an e-mail thread, a note, a file and a consent."""
    admin = token_for(ADMIN)
    chat = post(
        client,
        admin,
        channel="chat",
        external_id="privacy-chat-1",
        customer={"visitor_id": "v-privacy", "email": EMAIL, "phone": PHONE, "name": NAME},
        text=MESSAGE,
    )
    mail = post(
        client,
        admin,
        channel="email",
        external_id="<privacy-mail-1@byrne-design.ie>",
        customer={"email": WORK_EMAIL},
        subject=MAIL_SUBJECT,
        text=MAIL_TEXT,
        handle_seconds=90,
    )
    customer, studio = _customer_of(client, admin, chat), _customer_of(client, admin, mail)
    merged = client.post(
        "/api/v1/customers/merges",
        json={"survivor_id": customer, "merged_id": studio, "reason": "same person, work address"},
        headers=admin,
    )
    assert merged.status_code == 201, merged.text
    note = client.post(f"/api/v1/conversations/{chat}/notes", json={"text": NOTE}, headers=admin)
    assert note.status_code == 201, note.text
    upload = client.post(
        f"/api/v1/conversations/{mail}/attachments",
        headers=admin,
        files={"file": (FILENAME, FILE_BYTES, "text/plain")},
    )
    assert upload.status_code == 201, upload.text
    consent = client.put(
        f"/api/v1/customers/{customer}/consents",
        json={"consents": [{"purpose": "surveys", "granted": False}], "source": "phone call"},
        headers=admin,
    )
    assert consent.status_code == 200, consent.text
    broken = client.post(  # an unreadable payload naming her is kept as a dead letter
        "/api/v1/interactions",
        content=b'{"channel": "email", "customer": {"email": "' + EMAIL.encode() + b'"',
        headers={**admin, "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    return {
        "headers": admin,
        "customer": customer,
        "studio": studio,
        "merge": merged.json()["id"],
        "conversations": [chat, mail],
        "attachment": upload.json()["id"],
    }


def test_the_export_holds_everything_created(client: TestClient, ann: dict[str, Any]) -> None:
    admin, customer = ann["headers"], ann["customer"]
    response = client.get(f"/api/v1/customers/{ann['studio']}/export", headers=admin)  # a merged id: the person
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["customer"]["id"] == customer
    assert doc["customer"]["name"] == NAME
    assert [c["id"] for c in doc["merged_customers"]] == [ann["studio"]]
    values = {i["kind"]: i["value"] for i in doc["identities"] if i["kind"] != "email"}
    assert values["phone"] == PHONE
    assert values["visitor"] == "v-privacy"
    assert {i["value"] for i in doc["identities"] if i["kind"] == "email"} == {EMAIL, WORK_EMAIL}
    assert [(c["purpose"], c["granted"], c["source"]) for c in doc["consents"]] == [("surveys", False, "phone call")]
    threads = {c["id"]: c for c in doc["conversations"]}
    assert set(threads) == set(ann["conversations"])
    chat, mail = (threads[i] for i in ann["conversations"])
    assert [i["text"] for i in chat["interactions"]] == [MESSAGE]
    assert [n["text"] for n in chat["notes"]] == [NOTE]
    assert mail["subject"] == MAIL_SUBJECT
    assert mail["interactions"][0]["text"] == MAIL_TEXT
    assert [(a["id"], a["filename"], a["size"]) for a in mail["attachments"]] == [
        (ann["attachment"], FILENAME, len(FILE_BYTES))
    ]
    assert [m["id"] for m in doc["merges"]] == [ann["merge"]]
    assert "customers.merge" in {e["action"] for e in doc["audit"]}
    events = client.get("/api/v1/audit-events", params={"target_id": customer}, headers=admin).json()["items"]
    exported = [e for e in events if e["action"] == "customer.exported"]
    assert len(exported) == 1
    assert exported[0]["actor_email"] == ADMIN


def test_the_printable_export_reads_as_a_page(client: TestClient, login: Any, ann: dict[str, Any]) -> None:
    page = login(ADMIN).get(f"/customers/{ann['customer']}/export.html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for value in (NAME, EMAIL, PHONE, MESSAGE, NOTE, FILENAME, "surveys"):
        assert value.replace("'", "&#39;") in page.text, value


def _dump(world: Session) -> list[tuple[str, str, str]]:
    """(table, column, value) of every value of every table, as text: the whole database, looked at once."""
    world.flush()
    connection = world.connection()
    found = []
    for table in inspect(connection).get_table_names():
        quoted = connection.dialect.identifier_preparer.quote(table)
        result = connection.execute(text(f"SELECT * FROM {quoted}"))  # noqa: S608 - names from the catalogue
        columns = list(result.keys())
        for row in result:
            for column, value in zip(columns, row, strict=True):
                if value is None:
                    continue
                shown = bytes(value).decode(errors="replace") if isinstance(value, bytes | memoryview) else str(value)
                found.append((table, column, shown.lower()))
    return found


def _facts(world: Session, customer_ids: list[str]) -> dict[str, Any]:
    world.expire_all()
    conversations = world.execute(
        select(Conversation.id, Conversation.channel, Conversation.status, Conversation.created_at)
        .where(Conversation.customer_id.in_(customer_ids))
        .order_by(Conversation.id)
    ).all()
    interactions = world.execute(
        select(
            Interaction.id, Interaction.kind, Interaction.direction, Interaction.occurred_at, Interaction.handle_seconds
        )
        .where(Interaction.customer_id.in_(customer_ids))
        .order_by(Interaction.id)
    ).all()
    return {"conversations": [tuple(r) for r in conversations], "interactions": [tuple(r) for r in interactions]}


def test_erasure_leaves_no_personal_value_and_keeps_the_facts(
    client: TestClient, world: Session, ann: dict[str, Any]
) -> None:
    admin, customer = ann["headers"], ann["customer"]
    people = [customer, ann["studio"]]
    before = _facts(world, people)
    assert len(before["conversations"]) == 2
    assert len(before["interactions"]) == 2
    dump = _dump(world)
    for value in PERSONAL:
        assert any(value.lower() in shown for _, _, shown in dump), f"{value} was never stored"
    stored = world.scalar(select(Attachment.storage_key).where(Attachment.id == ann["attachment"]))
    assert stored is not None
    path = Path(get_settings().data_dir) / "files" / stored
    assert path.read_bytes() == FILE_BYTES

    erased = client.post(f"/api/v1/customers/{customer}/erase", json={"reason": "the customer asked"}, headers=admin)
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["customers"] == people
    assert body["erased"]["customer_identities"] == 4  # two e-mails, a phone, a visitor id
    assert body["erased"]["attachments"] == 1
    assert body["erased"]["conversation_notes"] == 1
    assert body["erased"]["inbound_dead_letters"] == 1

    left = [(t, c, value) for value in PERSONAL for t, c, shown in _dump(world) if value.lower() in shown]
    assert left == []
    assert _facts(world, people) == before, "conversation and interaction facts must not change"
    for q, kind in (
        ("walnut", "conversations"),
        ("sideboard", "conversations"),
        (NAME, "customers"),
        (EMAIL, "customers"),
    ):
        found = client.get("/api/v1/search", params={"q": q, "kind": kind}, headers=admin)
        assert found.status_code == 200
        assert found.json()["items"] == [], q

    assert path.exists(), "the file goes only after the commit, by a job"
    jobs = world.scalars(select(Job).where(Job.name == "conversations.delete_files")).all()
    assert [j.payload["keys"] for j in jobs] == [[stored]]
    registered_tasks()["conversations.delete_files"](world, jobs[0].payload)
    assert not path.exists()

    profile = client.get(f"/api/v1/customers/{customer}/export", headers=admin).json()
    assert profile["customer"]["name"] is None
    assert profile["customer"]["erased_at"] is not None
    assert profile["identities"] == []
    assert all(i["text"] is None for c in profile["conversations"] for i in c["interactions"])

    again = client.post(f"/api/v1/customers/{customer}/erase", json={"reason": "again"}, headers=admin)
    assert again.status_code == 409
    assert "erased" in again.json()["detail"]
    undo = client.post(f"/api/v1/customers/merges/{ann['merge']}/undo", json={"reason": "two people"}, headers=admin)
    assert undo.status_code == 409
    assert "erased" in undo.json()["detail"]
    events = client.get("/api/v1/audit-events", params={"target_id": customer}, headers=admin).json()["items"]
    (audit,) = [e for e in events if e["action"] == "customer.erased"]
    assert audit["actor_email"] == ADMIN
    assert audit["detail"]["merges_closed"] == [ann["merge"]]
    assert "can no longer be undone" in audit["detail"]["note"]
    assert may_contact(world, customer, "surveys") is False
    assert may_contact(world, customer, "coaching") is False
    refused = client.put(
        f"/api/v1/customers/{customer}/consents",
        json={"consents": [{"purpose": "marketing", "granted": True}], "source": "e-mail"},
        headers=admin,
    )
    assert refused.status_code == 409


def test_a_new_contact_after_erasure_is_a_stranger(client: TestClient, ann: dict[str, Any]) -> None:
    admin = ann["headers"]
    erased = client.post(f"/api/v1/customers/{ann['customer']}/erase", json={"reason": "asked"}, headers=admin)
    assert erased.status_code == 200
    later = post(client, admin, channel="email", external_id="<privacy-later@x>", customer={"email": EMAIL}, text="Hi")
    assert _customer_of(client, admin, later) not in (ann["customer"], ann["studio"])


def test_consents_keep_their_history(client: TestClient, world: Session, ann: dict[str, Any]) -> None:
    admin, customer = ann["headers"], ann["customer"]
    url = f"/api/v1/customers/{customer}/consents"
    current = client.get(url, headers=admin).json()
    states = {c["purpose"]: (c["granted"], c["recorded"]) for c in current["current"]}
    assert states == {"surveys": (False, True), "coaching": (True, False), "marketing": (False, False)}
    assert may_contact(world, ann["studio"], "surveys") is False  # a merged record answers as its survivor
    assert may_contact(world, customer, "coaching") is True
    assert may_contact(world, customer, "marketing") is False
    same = client.put(
        url, json={"consents": [{"purpose": "surveys", "granted": False}], "source": "e-mail"}, headers=admin
    )
    assert len(same.json()["history"]) == 1, "an unchanged answer adds nothing"
    changed = client.put(
        url,
        json={
            "consents": [{"purpose": "surveys", "granted": True}, {"purpose": "marketing", "granted": True}],
            "source": "survey page",
        },
        headers=admin,
    )
    assert changed.status_code == 200
    history = [(h["purpose"], h["granted"], h["source"]) for h in changed.json()["history"]]
    assert history[0] == ("surveys", False, "phone call")
    assert sorted(history[1:]) == [("marketing", True, "survey page"), ("surveys", True, "survey page")]
    assert may_contact(world, customer, "surveys") is True
    assert may_contact(world, customer, "marketing") is True
    bad = client.put(url, json={"consents": [{"purpose": "calls", "granted": True}], "source": "x"}, headers=admin)
    assert bad.status_code == 422
    events = client.get("/api/v1/audit-events", params={"target_id": customer}, headers=admin).json()["items"]
    changes = [e["detail"]["changed"] for e in events if e["action"] == "customer.consents_changed"]
    assert {"surveys": True, "marketing": True} in changes


def test_privacy_is_for_in_house_staff_of_the_brand(client: TestClient, token_for: Any, ann: dict[str, Any]) -> None:
    customer = ann["customer"]
    for email, status in (
        ("agent@atlantic.example", 403),
        ("lead@atlantic.example", 403),
        ("agent@lumen.example", 403),
    ):
        headers = token_for(email)
        response = client.get(f"/api/v1/customers/{customer}/export", headers=headers)
        assert response.status_code == status, email
        erase = client.post(f"/api/v1/customers/{customer}/erase", json={"reason": "x"}, headers=headers)
        assert erase.status_code == status, email
    missing = client.get("/api/v1/customers/01NOSUCHCUSTOMER0000000000/export", headers=ann["headers"])
    assert missing.status_code == 404
    assert (
        client.get(f"/api/v1/customers/{customer}/consents", headers=token_for("agent@lumen.example")).status_code
        == 200
    )


def test_a_customer_of_another_brand_is_not_found(
    client: TestClient, world: Session, token_for: Any, ann: dict[str, Any]
) -> None:
    admin = ann["headers"]
    brand = client.post(
        "/api/v1/brands",
        json={"name": "Lumen Outdoor", "home_country": "IE", "time_zone": "Europe/Dublin"},
        headers=admin,
    )
    assert brand.status_code == 201, brand.text
    other = post(
        client,
        admin,
        channel="chat",
        external_id="other-brand-1",
        brand="Lumen Outdoor",
        customer={"visitor_id": "o-1"},
    )
    stranger = _customer_of(client, admin, other)
    director = token_for("director@lumen.example")
    users = client.get("/api/v1/users", params={"limit": 200}, headers=admin).json()["items"]
    director_id = next(u["id"] for u in users if u["email"] == "director@lumen.example")
    home = client.get("/api/v1/brands", headers=admin).json()["items"]
    home_id = next(b["id"] for b in home if b["name"] != "Lumen Outdoor")
    limited = client.patch(f"/api/v1/users/{director_id}", json={"brand_ids": [home_id]}, headers=admin)
    assert limited.status_code == 200, limited.text
    for path in (f"/api/v1/customers/{stranger}/export", f"/api/v1/customers/{stranger}/consents"):
        assert client.get(path, headers=director).status_code == 404, path
    erase = client.post(f"/api/v1/customers/{stranger}/erase", json={"reason": "x"}, headers=director)
    assert erase.status_code == 404
    assert client.get(f"/api/v1/customers/{ann['customer']}/export", headers=director).status_code == 200
    assert world.scalar(select(func.count()).select_from(Conversation)) > 0


def test_erasure_needs_a_reason(client: TestClient, ann: dict[str, Any]) -> None:
    response = client.post(f"/api/v1/customers/{ann['customer']}/erase", json={}, headers=ann["headers"])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    export = client.get(f"/api/v1/customers/{ann['customer']}/export", headers=ann["headers"]).json()
    assert export["customer"]["name"] == NAME


def test_erasure_spares_the_other_people_of_a_shared_thread(client: TestClient, world: Session, token_for: Any) -> None:
    admin = token_for(ADMIN)
    hers = post(client, admin, channel="email", external_id="<shared-1@x>", customer={"email": EMAIL}, text=MESSAGE)
    his = post(
        client,
        admin,
        channel="email",
        external_id="<shared-2@x>",
        customer={"email": "tom.ryan@example.ie", "name": "Tom Ryan"},
        subject="Tom's order",
        text="Tom asks about his order",
    )
    # her message sits in his thread, as one that arrived while their records were merged stays behind
    world.execute(update(Interaction).where(Interaction.conversation_id == hers).values(conversation_id=his))
    world.commit()
    her_id = _customer_of(client, admin, hers)
    export = client.get(f"/api/v1/customers/{her_id}/export", headers=admin).json()
    texts = [i["text"] for c in export["conversations"] for i in c["interactions"]]
    assert texts == [MESSAGE]
    assert "Tom" not in str(export["conversations"])
    erased = client.post(f"/api/v1/customers/{her_id}/erase", json={"reason": "asked"}, headers=admin)
    assert erased.status_code == 200
    world.expire_all()
    left = dict(
        world.execute(select(Interaction.customer_id, Interaction.text).where(Interaction.conversation_id == his)).all()
    )
    assert left[her_id] is None
    assert next(v for k, v in left.items() if k != her_id) == "Tom asks about his order"
    assert world.get(Conversation, his).subject == "Tom's order"  # type: ignore[union-attr]
