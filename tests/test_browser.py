"""In real Chromium against a live server: log in, see the organisation pages, log out."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("live")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "CXHUB_DATA_DIR": str(data_dir), "CXHUB_PORT": str(port), "CXHUB_IN_PROCESS_WORKER": "true"}
    env.pop("CXHUB_DATABASE_URL", None)
    for command in (["migrate"], ["demo"]):
        subprocess.run([sys.executable, "-m", "cxhub", *command], env=env, check=True, capture_output=True, timeout=120)
    log = data_dir / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "cxhub", "serve"], env=env, stdout=output, stderr=output)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310 - our own loopback server
                if response.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _log_in(page: object, url: str, email: str) -> None:
    page.goto(f"{url}/organisations")  # type: ignore[attr-defined]
    assert "/login" in page.url  # type: ignore[attr-defined]
    page.get_by_label("E-mail").fill(email)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill("demo-password")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]


def test_admin_logs_in_sees_organisations_and_logs_out(live_server: str, browser: object, tmp_path: Path) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    _log_in(page, live_server, "admin@lumen.example")
    page.wait_for_url(f"{live_server}/organisations")
    names = [row.split("\t")[0] for row in page.locator("table tbody tr").all_inner_texts()]
    assert names == ["Atlantic CX", "Lumen Care", "Pacific Contact"]
    assert page.get_by_test_id("organisation").inner_text() == "Lumen Care"
    page.get_by_role("link", name="Pacific Contact").click()
    page.wait_for_url(f"{live_server}/organisations/*")
    assert page.get_by_role("heading", name="Pacific Contact").is_visible()
    assert page.get_by_role("cell", name="Manila, PH").is_visible()
    assert page.get_by_role("cell", name="Australia/Sydney").is_visible()
    page.screenshot(path=str(tmp_path / "organisation.png"), full_page=True)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"{live_server}/organisations")
    assert "/login" in page.url
    context.close()


def test_partner_agent_sees_only_their_organisation(live_server: str, browser: object) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    _log_in(page, live_server, "agent@atlantic.example")
    page.wait_for_url(f"{live_server}/organisations")
    names = [row.split("\t")[0] for row in page.locator("table tbody tr").all_inner_texts()]
    assert names == ["Atlantic CX"]
    assert page.get_by_role("link", name="Users").count() == 0
    context.close()
