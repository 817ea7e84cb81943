"""The agent workspace in Debian's Chromium: a new e-mail reaches the right agent's inbox live, across
processes (the API call, the server's worker, the agent's page), and the agent answers it."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests import live

pytestmark = [pytest.mark.browser, pytest.mark.integration]
ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _api(hub: str, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        f"{hub}/api/v1{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own loopback server
        return json.loads(response.read() or b"null")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The hub with its in-process worker (the dispatch job), the Dublin site open around the clock."""
    data_dir = tmp_path_factory.mktemp("workspace-live")
    env = live.hub_env(data_dir, CXHUB_IN_PROCESS_WORKER="true")
    live.cxhub("migrate", env=env)
    live.cxhub("demo", env=env)
    command = live.CommandLine(data_dir)
    command.env = env
    token = json.loads(command("tokens", "create", "--user", "admin@lumen.example", "--json").stdout)["token"]
    port = live.free_port()
    server = live.serve(port, env=env, log=data_dir / "server.log")
    hub_url = f"http://127.0.0.1:{port}"
    dublin = next(s for s in _api(hub_url, token, "GET", "/sites?limit=200")["items"] if s["name"] == "Dublin")
    _api(hub_url, token, "PATCH", f"/sites/{dublin['id']}", {"opening_hours": ALL_DAY})
    yield hub_url, token
    live.stop(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with live.chromium() as chromium:
        yield chromium


def test_a_new_email_appears_in_the_agents_inbox_live_and_is_answered(
    hub: tuple[str, str], browser: Browser, tmp_path: Path
) -> None:
    url, token = hub
    page = browser.new_page()
    page.goto(f"{url}/login")
    page.fill("#email", "agent@lumen.example")
    page.fill("#password", "demo-password")
    page.click("button[type=submit]")
    page.goto(f"{url}/inbox")
    expect(page.get_by_test_id("presence")).to_have_text("available")
    expect(page.locator("[data-live-inbox-status]")).to_have_text("Live", timeout=10_000)
    subject = f"Lamp switch question {time.time_ns()}"
    sent = time.monotonic()
    _api(
        url,
        token,
        "POST",
        "/interactions",
        {
            "channel": "email",
            "external_id": f"<{time.time_ns()}@example.ie>",
            "occurred_at": "2026-12-02T09:00:00+00:00",
            "direction": "inbound",
            "customer": {"seller": "Homeplace Retail", "customer_ref": "HP-9", "email": "fiona@example.ie"},
            "subject": subject,
            "text": "Hello, the switch on my new floor lamp feels loose. Is that normal?",
        },
    )
    row = page.get_by_test_id("mine").get_by_role("link", name=subject)
    expect(row).to_be_visible(timeout=15_000)  # the owner of Homeplace accounts gets it, without a reload
    seen_after = time.monotonic() - sent
    row.click()
    page.fill("#reply-text", "Hello Fiona, a little play is normal; if it wobbles, we will send a new switch.")
    page.click("#reply-form button[type=submit]")
    expect(page.locator("#thread")).to_contain_text("we will send a new switch", timeout=10_000)
    assert seen_after < 15
    page.close()
