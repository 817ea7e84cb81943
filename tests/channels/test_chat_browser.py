"""The web chat in Debian's Chromium: a customer on a brand's site (another origin) and an agent logged in
to the hub talk both ways; reloads and a dropped stream lose nothing and repeat nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import live

pytestmark = [pytest.mark.browser, pytest.mark.integration]
BRAND = "Lumen Home"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def ports() -> tuple[int, int]:
    return live.free_port(), live.free_port()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, ports: tuple[int, int]) -> Iterator[str]:
    """The hub on its own SQLite file, allowing the brand site's origin only."""
    hub_port, site_port = ports
    data_dir = tmp_path_factory.mktemp("chat-live")
    env = live.hub_env(
        data_dir,
        CXHUB_IN_PROCESS_WORKER="true",
        CXHUB_CHAT_ALLOWED_ORIGINS=json.dumps([f"http://127.0.0.1:{site_port}"]),
        CXHUB_CHAT_STREAM_SECONDS="2",  # streams end often: every one of them must resume exactly
    )
    live.cxhub("migrate", env=env)
    live.cxhub("demo", env=env)
    server = live.serve(hub_port, env=env, log=data_dir / "server.log")
    yield f"http://127.0.0.1:{hub_port}"
    live.stop(server)


@pytest.fixture(scope="module")
def brand_site(tmp_path_factory: pytest.TempPathFactory, ports: tuple[int, int], hub: str) -> Iterator[str]:
    """A brand's page on another origin, with the one script tag."""
    _, site_port = ports
    root = tmp_path_factory.mktemp("brand-site")
    (root / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Lumen Home shop</title></head>"
        "<body><h1>Lumen Home</h1><p>Lamps, rugs and more.</p>"
        f'<script src="{hub}/chat/widget.js" data-brand="{BRAND}" defer></script></body></html>'
    )
    server = ThreadingHTTPServer(("127.0.0.1", site_port), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{site_port}/index.html"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with live.chromium() as chromium:
        yield chromium


def _messages(page: Page) -> list[tuple[str, str]]:
    """(id, text) of every message in the widget, in the order shown."""
    items = page.locator("[data-cxhub-chat] li")
    return [
        (item.get_attribute("data-id") or "", item.evaluate("el => el.lastChild.textContent")) for item in items.all()
    ]


def _assert_shown_once(page: Page, texts: list[str]) -> None:
    expect(page.locator("[data-cxhub-chat] li[data-id]")).to_have_count(len(texts))
    shown = _messages(page)
    assert [text for _, text in shown] == texts
    assert len({message_id for message_id, _ in shown}) == len(texts)


def test_customer_and_agent_chat_across_reloads_and_a_dropped_stream(
    browser: Browser, hub: str, brand_site: str, tmp_path: Path
) -> None:
    customer_context = browser.new_context(viewport={"width": 1100, "height": 800})
    agent_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        customer = customer_context.new_page()
        customer.goto(brand_site)
        customer.get_by_role("button", name="Chat with us").click()
        message_box = customer.get_by_label("Your message")
        expect(message_box).to_be_focused()
        message_box.fill("Hello, where is my order?")
        message_box.press("Enter")
        expect(customer.locator("[data-cxhub-chat] li.inbound[data-id]")).to_have_count(1)

        agent = agent_context.new_page()
        agent.goto(f"{hub}/conversations")
        agent.get_by_label("E-mail").fill("agent@lumen.example")
        agent.get_by_label("Password").fill("demo-password")
        agent.get_by_role("button", name="Log in").click()
        agent.wait_for_url(f"{hub}/conversations")
        agent.get_by_role("link", name="Hello, where is my order?").click()
        feed = agent.get_by_test_id("live-feed")
        expect(feed.locator("li")).to_have_count(1)
        expect(feed).to_contain_text("Hello, where is my order?")

        agent.get_by_label("Reply to the customer").fill("It ships today.")
        agent.get_by_role("button", name="Send reply").click()
        expect(customer.locator("[data-cxhub-chat] li.outbound")).to_have_text(["SupportIt ships today."])
        expect(feed.locator("li")).to_have_count(2)

        message_box.fill("Thank you!")
        customer.get_by_role("button", name="Send", exact=True).click()
        expect(feed.locator("li")).to_have_count(3)
        expect(feed.locator("li").last).to_contain_text("Thank you!")
        customer.screenshot(path=str(tmp_path / "customer.png"))
        agent.screenshot(path=str(tmp_path / "agent.png"), full_page=True)

        # a reload reconnects: the same visitor, the whole history exactly once
        customer.reload()
        _assert_shown_once(customer, ["Hello, where is my order?", "It ships today.", "Thank you!"])

        # offline, the stream ends and cannot come back; a reply sent meanwhile arrives once it is back
        customer_context.set_offline(True)
        expect(customer.get_by_role("status").first).to_have_text("Reconnecting\u2026", timeout=15_000)
        agent.get_by_label("Reply to the customer").fill("Anything else?")
        agent.get_by_role("button", name="Send reply").click()
        expect(feed.locator("li")).to_have_count(4)
        customer.wait_for_timeout(1000)
        expect(customer.locator("[data-cxhub-chat] li")).to_have_count(3)
        customer_context.set_offline(False)
        expect(customer.locator("[data-cxhub-chat] li")).to_have_count(4, timeout=20_000)
        _assert_shown_once(customer, ["Hello, where is my order?", "It ships today.", "Thank you!", "Anything else?"])
        expect(customer.get_by_role("status").first).to_have_text("")

        # an e-mail for a follow-up becomes one of the customer's identities
        customer.get_by_text("Leave your e-mail for a follow-up").click()
        customer.get_by_label("E-mail").fill("jane.doe@example.com")
        customer.get_by_role("button", name="Save e-mail").click()
        expect(customer.get_by_text("Thank you. We will follow up at jane.doe@example.com.")).to_be_visible()
        agent.reload()
        expect(agent.get_by_test_id("identities")).to_contain_text("jane.doe@example.com")
        expect(agent.get_by_test_id("identities")).to_contain_text("visitor")
        expect(agent.get_by_test_id("live-feed").locator("li")).to_have_count(4)

        customer.keyboard.press("Escape")
        expect(customer.get_by_role("button", name="Chat with us")).to_be_focused()
        expect(customer.get_by_role("dialog")).to_be_hidden()
    finally:
        customer_context.close()
        agent_context.close()
