"""A survey on a phone, in Debian's Chromium: the customer opens the link from the e-mail the hub sent, answers
in Portuguese by touch and by keyboard, and leaves encouragement for the agent; the answers are stored once,
a second visit says so, and the agent finds the encouragement in their feed and acknowledges it."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from cxhub.db import make_engine
from cxhub.quality.models import SurveyAnswer
from tests import live

from .surveys import Relay, link_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.postgres]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}


def _api(hub: str, token: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        f"{hub}/api/v1{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own loopback server
        return json.loads(response.read() or b"null")


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    port = live.free_port()
    handler = Relay()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def hub(
    tmp_path: Path, own_database: Callable[[str], str], relay: tuple[Relay, int]
) -> Iterator[tuple[str, str, live.CommandLine, str]]:
    """The demo world served with its job worker, sending mail to the relay; an admin's token; the command line."""
    port = live.free_port()
    url = f"http://127.0.0.1:{port}"
    database = own_database("surveys_browser")
    env = live.hub_env(
        tmp_path,
        CXHUB_DATABASE_URL=database,
        CXHUB_IN_PROCESS_WORKER="true",
        CXHUB_WORKER_POLL_SECONDS="0.2",
        CXHUB_SMTP_HOST="127.0.0.1",
        CXHUB_SMTP_PORT=str(relay[1]),
        CXHUB_BASE_URL=url,
    )
    live.cxhub("demo", env=env)
    command = live.CommandLine(tmp_path)
    command.env = env
    token = json.loads(command("tokens", "create", "--user", "admin@lumen.example", "--json").stdout)["token"]
    server = live.serve(port, env=env, log=tmp_path / "server.log")
    yield url, token, command, database
    live.stop(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with live.chromium() as chromium:
        yield chromium


def test_a_customer_answers_on_a_phone_and_the_agent_acknowledges_the_encouragement(
    hub: tuple[str, str, live.CommandLine, str], relay: tuple[Relay, int], browser: Browser, tmp_path: Path
) -> None:
    url, token, command, database = hub
    outbox, _ = relay
    _api(
        url,
        token,
        "PUT",
        "/survey-policies",
        {"policies": [{"channel": "email", "delay_seconds": 0, "questions": ["csat", "nps", "ces", "fcr"]}]},
    )
    posted = _api(
        url,
        token,
        "POST",
        "/interactions",
        {
            "channel": "email",
            "external_id": "<lamp-broken@example.pt>",
            "occurred_at": "2026-12-01T10:00:00+00:00",
            "direction": "inbound",
            "customer": {"email": "joana.silva@example.pt", "name": "Joana Silva", "language": "pt"},
            "subject": "Candeeiro partido",
            "text": "Olá, o meu candeeiro chegou partido. Podem enviar outro?",
        },
    )
    conversation_id = posted["conversation_id"]
    users = _api(url, token, "GET", "/users?limit=200")["items"]
    tiago_user = next(u["id"] for u in users if u["email"] == "agent@atlantic.example")
    tiago = next(a for a in _api(url, token, "GET", "/agents?limit=200")["items"] if a["user_id"] == tiago_user)
    _api(
        url,
        token,
        "PUT",
        f"/conversations/{conversation_id}/assignment",
        {"organisation_id": tiago["organisation_id"], "team_id": tiago["team_id"], "agent_id": tiago["id"]},
    )
    _api(url, token, "PATCH", f"/conversations/{conversation_id}", {"status": "resolved"})
    assert json.loads(command("surveys", "send", "--json").stdout) == {"invited": 1, "skipped": {}}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the server's own worker sends it (beside the demo's SLA alerts)
        sent = [m for m in outbox.messages if m["To"] == "joana.silva@example.pt"]
        if sent:
            break
        time.sleep(0.2)
    (mail,) = sent
    link = link_in(mail)
    assert link.startswith(f"{url}/s/")

    customer = browser.new_context(**PHONE, locale="pt-PT")  # type: ignore[arg-type]
    try:
        page = customer.new_page()
        page.goto(link)
        expect(page.locator("html")).to_have_attribute("lang", "pt")
        expect(page.get_by_role("heading", level=1)).to_have_text("Como correu?")
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
        # by keyboard: a radio group is one stop, the arrows move the choice
        very = page.get_by_role("radio", name="Muito satisfeito")
        very.focus()
        page.keyboard.press("Space")
        expect(very).to_be_checked()
        page.keyboard.press("ArrowDown")
        expect(page.get_by_role("radio", name="Satisfeito", exact=True)).to_be_checked()
        page.keyboard.press("ArrowUp")
        expect(very).to_be_checked()
        outline = page.evaluate("() => getComputedStyle(document.activeElement.closest('label')).outlineStyle")
        assert outline == "solid"  # the focused choice is visibly marked
        # by touch
        nps = page.get_by_role("group", name="Qual a probabilidade de recomendar a Lumen Home a um amigo ou colega?")
        nps.get_by_role("radio", name="9", exact=True).tap()
        page.get_by_role("radio", name="Concordo totalmente").tap()
        page.get_by_role("group", name="O seu assunto ficou resolvido?").get_by_role("radio", name="Sim").tap()
        message = page.get_by_role("group", name="Uma mensagem para Tiago")
        message.get_by_role("radio", name="Incentivo").tap()
        page.get_by_label("A sua mensagem para Tiago").fill("Obrigada, Tiago! Foi muito simpático.")
        page.screenshot(path=str(tmp_path / "survey-phone.png"), full_page=True)
        page.get_by_role("button", name="Enviar as minhas respostas").tap()
        expect(page.get_by_role("heading", level=1)).to_have_text("Obrigado!")
        expect(page.get_by_text("A sua mensagem vai chegar a Tiago.")).to_be_visible()

        engine = make_engine(database)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    select(SurveyAnswer.question, SurveyAnswer.score, SurveyAnswer.source).where(
                        SurveyAnswer.conversation_id == conversation_id
                    )
                ).all()
        finally:
            engine.dispose()
        assert sorted(rows) == [("ces", 7, "hub"), ("csat", 5, "hub"), ("fcr", 1, "hub"), ("nps", 9, "hub")]

        page.goto(link)  # a second visit
        expect(page.get_by_role("heading", level=1)).to_have_text("Este inquérito já foi respondido")
    finally:
        customer.close()

    agent_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        agent = agent_context.new_page()
        agent.goto(f"{url}/login")
        agent.get_by_label("E-mail").fill("agent@atlantic.example")
        agent.get_by_label("Password").fill("demo-password")
        agent.get_by_role("button", name="Log in").click()
        agent.wait_for_url(f"{url}/")
        agent.get_by_role("link", name="Coaching").click()
        card = agent.get_by_test_id("feedback")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("Obrigada, Tiago! Foi muito simpático.")
        expect(card).to_contain_text("Encouragement")
        expect(card).to_contain_text("Joana S.")  # the partner's data policy masks the customer's name
        expect(card).not_to_contain_text("joana.silva@example.pt")
        card.get_by_label("What was done with it").fill("Shared it with the team at the morning huddle.")
        card.get_by_role("button", name="Acknowledge").click()
        expect(agent.get_by_test_id("acknowledged")).to_contain_text("Acknowledged by Tiago Ferreira")
        expect(agent.get_by_test_id("acknowledged")).to_contain_text("Shared it with the team at the morning huddle.")
        assert agent.url == f"{url}/coaching"  # acknowledged in place
        agent.screenshot(path=str(tmp_path / "coaching.png"), full_page=True)
    finally:
        agent_context.close()
    (item,) = _api(url, token, "GET", "/coaching-feedback")["items"]
    assert (item["kind"], item["action_note"]) == ("encouragement", "Shared it with the team at the morning huddle.")
    assert item["acknowledged_at"] is not None
