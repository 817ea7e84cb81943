"""The public survey page: opened from the e-mailed link, in the customer's language, accessible without
JavaScript; answered once, closed when expired, refused when tampered with; answers reach the metrics."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import cxhub.analytics.tasks  # noqa: F401  registers the rollup refresh
from cxhub.config import get_settings
from cxhub.jobs.service import registered_tasks
from cxhub.quality.links import sign_link
from cxhub.quality.models import CoachingFeedback, SurveyAnswer, SurveyInvitation

from .surveys import ADMIN, Relay, send_surveys, set_policy, surveyed

pytestmark = pytest.mark.postgres
JOANA = {"email": "joana.silva@example.pt", "name": "Joana Silva", "language": "pt"}


class Form(HTMLParser):
    """The page's structure as a screen reader meets it: fieldsets and legends, inputs and their labels."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.legends: list[str] = []
        self.radios: dict[str, list[str]] = {}
        self.labelled_inputs = 0
        self.inputs = 0
        self._legend = False
        self._label_depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        elif tag == "legend":
            self._legend = True
            self.legends.append("")
        elif tag == "label":
            self._label_depth += 1
        elif tag in ("input", "textarea") and found.get("type") != "hidden":
            self.inputs += 1
            if self._label_depth or found.get("id"):
                self.labelled_inputs += 1
            if found.get("type") == "radio":
                self.radios.setdefault(found["name"] or "", []).append(found["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "legend":
            self._legend = False
        elif tag == "label":
            self._label_depth -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._legend:
            self.legends[-1] += data


def _read(html: str) -> Form:
    form = Form()
    form.feed(html)
    return form


def _answers(world: Session, conversation_id: str) -> dict[str, int]:
    world.expire_all()
    rows = world.execute(
        select(SurveyAnswer.question, SurveyAnswer.score, SurveyAnswer.source).where(
            SurveyAnswer.conversation_id == conversation_id
        )
    ).all()
    assert {source for _, _, source in rows} <= {"hub"}
    return {question: score for question, score, _ in rows}


def test_the_page_speaks_portuguese_and_is_a_plain_accessible_form(
    client: TestClient, world: Session, token_for: Any, relay: Relay
) -> None:
    headers = token_for(ADMIN)
    set_policy(client, headers, questions=["csat", "nps", "ces", "fcr"])
    _, path = surveyed(client, headers, world, relay, external_id="<page-1@example.pt>", customer=JOANA)
    client.cookies.clear()
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in page.headers  # no login, no tracking: the link is the key
    form = _read(page.text)
    assert form.lang == "pt"
    assert form.legends == [
        "Qual o seu grau de satisfação com a ajuda que recebeu?",
        "Qual a probabilidade de recomendar a Lumen Home a um amigo ou colega?",
        "A Lumen Home facilitou-me a resolução do meu assunto.",
        "O seu assunto ficou resolvido?",
        "Uma mensagem para Darragh",
    ]
    assert form.radios == {
        "csat": ["5", "4", "3", "2", "1"],
        "nps": [str(n) for n in range(11)],
        "ces": ["7", "6", "5", "4", "3", "2", "1"],
        "fcr": ["1", "0"],
        "feedback_kind": ["encouragement", "advice", "feedback", "none"],
    }
    assert form.inputs == form.labelled_inputs
    assert '<form method="post" action="/s/' in page.text
    assert "<script" not in page.text  # works without JavaScript
    assert "Muito satisfeito" in page.text
    assert "Não voltar a pedir-me para responder a inquéritos" in page.text


def test_answers_are_recorded_once_and_reach_the_agents_metrics(
    client: TestClient, world: Session, token_for: Any, relay: Relay
) -> None:
    headers = token_for(ADMIN)
    set_policy(client, headers, questions=["csat", "nps", "fcr"])
    conversation_id, path = surveyed(client, headers, world, relay, external_id="<page-2@example.pt>", customer=JOANA)
    answer = {"csat": "5", "nps": "9", "fcr": "1", "feedback_kind": "encouragement", "feedback_text": "Obrigada!"}
    thanks = client.post(path, data=answer)
    assert thanks.status_code == 200, thanks.text
    assert "Obrigado!" in thanks.text
    assert "A sua mensagem vai chegar a Darragh." in thanks.text
    assert _answers(world, conversation_id) == {"csat": 5, "nps": 9, "fcr": 1}
    again = client.post(path, data={**answer, "csat": "1"})
    assert again.status_code == 409
    assert "Este inquérito já foi respondido" in again.text
    revisit = client.get(path)
    assert revisit.status_code == 200
    assert "Este inquérito já foi respondido" in revisit.text
    assert _answers(world, conversation_id) == {"csat": 5, "nps": 9, "fcr": 1}
    assert world.scalar(select(func.count()).select_from(CoachingFeedback)) == 1
    registered_tasks()["analytics.refresh_rollups"](world, {})
    world.commit()
    today = dt.datetime.now(dt.UTC).date()
    report = client.get(
        "/api/v1/metrics",
        params={
            "from": (today - dt.timedelta(days=1)).isoformat(),
            "to": (today + dt.timedelta(days=1)).isoformat(),
            "by": "agent",
        },
        headers=headers,
    )
    assert report.status_code == 200, report.text
    rows = [r for r in report.json()["rows"] if r.get("csat") is not None]
    assert len(rows) == 1
    assert (rows[0]["csat"], rows[0]["nps"], rows[0]["fcr_reported"]) == (1.0, 100.0, 1.0)


def test_bad_answers_are_refused_in_the_customers_language_and_nothing_is_kept(
    client: TestClient, world: Session, token_for: Any, relay: Relay
) -> None:
    headers = token_for(ADMIN)
    set_policy(client, headers)
    conversation_id, path = surveyed(
        client,
        headers,
        world,
        relay,
        external_id="<page-3@example.es>",
        customer={"email": "lucia@example.es", "language": "es"},
    )
    off_scale = client.post(path, data={"csat": "9", "fcr": "1", "feedback_text": "Gracias"})
    assert off_scale.status_code == 422
    assert 'lang="es"' in off_scale.text
    assert "Elija una de las respuestas indicadas." in off_scale.text
    assert "Elija qué tipo de mensaje es." in off_scale.text
    assert 'value="1" checked' in off_scale.text  # what was given stays given
    assert ">Gracias</textarea>" in off_scale.text
    empty = client.post(path, data={})
    assert empty.status_code == 422
    assert "Responda al menos a una pregunta" in empty.text
    too_long = client.post(path, data={"feedback_kind": "advice", "feedback_text": "x" * 2001})
    assert too_long.status_code == 422
    assert "El mensaje es demasiado largo" in too_long.text
    assert _answers(world, conversation_id) == {}
    world.expire_all()
    assert (
        world.scalar(select(SurveyInvitation.answered_at).where(SurveyInvitation.conversation_id == conversation_id))
        is None
    )
    assert client.post(path, data={"csat": "4"}).status_code == 200  # the link still works


def test_an_expired_link_says_so_and_records_nothing(
    client: TestClient, world: Session, token_for: Any, relay: Relay
) -> None:
    headers = token_for(ADMIN)
    set_policy(client, headers)
    conversation_id, path = surveyed(client, headers, world, relay, external_id="<page-4@example.pt>", customer=JOANA)
    past = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    world.execute(
        update(SurveyInvitation).where(SurveyInvitation.conversation_id == conversation_id).values(expires_at=past)
    )
    world.commit()
    page = client.get(path)
    assert page.status_code == 410
    assert "Este inquérito já terminou" in page.text
    assert "A ligação era válida até 30 de novembro de 2026." in page.text
    submitted = client.post(path, data={"csat": "5"})
    assert submitted.status_code == 410
    assert _answers(world, conversation_id) == {}


def test_a_tampered_or_unknown_link_is_not_valid(
    client: TestClient, world: Session, token_for: Any, relay: Relay
) -> None:
    headers = token_for(ADMIN)
    set_policy(client, headers)
    conversation_id, path = surveyed(client, headers, world, relay, external_id="<page-5@example.pt>", customer=JOANA)
    token = path.removeprefix("/s/")
    payload, _, signature = token.rpartition(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]  # the last character may be padding bits only
    invitation_id = world.scalar(select(SurveyInvitation.id).where(SurveyInvitation.conversation_id == conversation_id))
    assert invitation_id is not None
    another_hub = sign_link(invitation_id, secret_key="another-hub-secret-key-0123456789abcdef")
    unknown = sign_link("0" * 26, secret_key=get_settings().secret_key)
    for bad in (f"{payload}.{flipped}", token[:-3], another_hub, unknown, "nonsense", "x" * 300):
        page = client.get(f"/s/{bad}", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
        assert page.status_code == 404, bad
        assert "Este enlace no es válido" in page.text
        assert client.post(f"/s/{bad}", data={"csat": "5"}).status_code == 404
    assert client.get("/s/nonsense").text.count("This link is not valid") >= 1  # no language asked: English
    assert _answers(world, conversation_id) == {}


def test_do_not_ask_again_is_an_opt_out_the_next_survey_honours(
    client: TestClient, world: Session, token_for: Any, relay: Relay
) -> None:
    headers = token_for(ADMIN)
    set_policy(client, headers, once_per_customer_days=0)
    conversation_id, path = surveyed(client, headers, world, relay, external_id="<page-6@example.pt>", customer=JOANA)
    done = client.post(path, data={"opt_out": "yes"})
    assert done.status_code == 200
    assert "Não voltaremos a pedir-lhe para responder a inquéritos." in done.text
    customer_id = client.get(f"/api/v1/conversations/{conversation_id}", headers=headers).json()["customer_id"]
    consents = client.get(f"/api/v1/customers/{customer_id}/consents", headers=headers).json()
    surveys = next(c for c in consents["current"] if c["purpose"] == "surveys")
    assert (surveys["granted"], surveys["source"]) == (False, "survey page")
    from .surveys import resolved

    later = resolved(client, headers, world, external_id="<page-6b@example.pt>", customer=JOANA, status="closed")
    send_surveys(world)
    world.expire_all()
    skipped = world.scalar(select(SurveyInvitation).where(SurveyInvitation.conversation_id == later))
    assert skipped is not None
    assert skipped.skip_reason == "opted_out"


def test_the_message_section_needs_someone_to_receive_it(
    client: TestClient, world: Session, token_for: Any, relay: Relay
) -> None:
    headers = token_for(ADMIN)
    set_policy(client, headers, once_per_customer_days=0)
    _, unassigned = surveyed(
        client,
        headers,
        world,
        relay,
        agent_email=None,
        external_id="<page-7@example.ie>",
        customer={"email": "u@example.ie"},
    )
    page = client.get(unassigned)
    assert "feedback_kind" not in page.text
    assert (
        client.post(unassigned, data={"csat": "4", "feedback_kind": "advice", "feedback_text": "Hi"}).status_code == 200
    )
    assert world.scalar(select(func.count()).select_from(CoachingFeedback)) == 0
    conversation_id, path = surveyed(
        client, headers, world, relay, external_id="<page-8@example.ie>", customer={"email": "private@example.ie"}
    )
    customer_id = client.get(f"/api/v1/conversations/{conversation_id}", headers=headers).json()["customer_id"]
    client.put(
        f"/api/v1/customers/{customer_id}/consents",
        json={"consents": [{"purpose": "coaching", "granted": False}], "source": "e-mail"},
        headers=headers,
    )
    assert "feedback_kind" not in client.get(path).text  # they said no to coaching feedback
    assert "A message for Darragh" not in client.get(path).text
    assert re.search(r'<html lang="en">', client.get(path).text)
