"""Live inbox across processes on PostgreSQL: how long until an agent's open inbox hears of new work.

    CXHUB_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres make bench

Two `cxhub serve` processes and one `cxhub worker` on one database. The agent's inbox stream is
open on server B; each new e-mail is posted to server A, the worker routes it to that agent, and
the time is taken when B's stream sends its `changed` event. Target: within 2 s.
Without CXHUB_BENCH_DATABASE_URL it says so and stops.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

import httpx

from cxhub import demo
from cxhub.db import make_engine, make_sessionmaker, unit_of_work
from cxhub.kit.databases import create_database, drop_database
from cxhub.migrate import upgrade

POSTS = int(os.environ.get("CXHUB_BENCH_LIVE_POSTS", "15"))
ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cxhub", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait_healthy(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{base} did not start")


def _logged_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post("/login", data={"email": email, "password": demo.DEMO_PASSWORD, "csrf_token": token[1]})
    assert response.status_code in (200, 303), response.status_code
    return client


def main() -> None:
    base_url = os.environ.get("CXHUB_BENCH_DATABASE_URL")
    if not base_url:
        print("inbox_live: set CXHUB_BENCH_DATABASE_URL to a PostgreSQL server to run it")
        return
    url = create_database(base_url, "live")
    servers: list[subprocess.Popen[bytes]] = []
    try:
        engine = make_engine(url)
        upgrade(engine)
        with unit_of_work(make_sessionmaker(engine)) as session:
            demo.load(session)
        engine.dispose()
        env = {
            **os.environ,
            "CXHUB_DATABASE_URL": url,
            "CXHUB_ENV": "test",
            "CXHUB_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "CXHUB_IN_PROCESS_WORKER": "false",
            "CXHUB_WORKER_POLL_SECONDS": os.environ.get("CXHUB_WORKER_POLL_SECONDS", "1.0"),
        }
        ports = [_port(), _port()]
        servers = [_start(env, "serve", "--host", "127.0.0.1", "--port", str(p)) for p in ports]
        servers.append(_start(env, "worker"))
        a, b = (f"http://127.0.0.1:{p}" for p in ports)
        for base in (a, b):
            _wait_healthy(base)
        token = subprocess.run(
            [sys.executable, "-m", "cxhub", "tokens", "create", "--user", "admin@lumen.example", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        headers = {"Authorization": f"Bearer {token.split(chr(34))[3]}"}
        api = httpx.Client(base_url=a, headers=headers, timeout=30)
        dublin = next(
            s for s in api.get("/api/v1/sites", params={"limit": 200}).json()["items"] if s["name"] == "Dublin"
        )
        api.patch(f"/api/v1/sites/{dublin['id']}", json={"opening_hours": ALL_DAY}).raise_for_status()
        lead = _logged_in(a, "lead@lumen.example")  # so that the account owner, Darragh, takes every e-mail
        lead_token = re.search(r'name="csrf_token" value="([^"]+)"', lead.get("/inbox").text)
        assert lead_token is not None
        lead.post("/inbox/presence", data={"presence": "away", "csrf_token": lead_token[1]})
        agent = _logged_in(b, "agent@lumen.example")
        heard: list[float] = []
        ready = threading.Event()

        def listen() -> None:
            with agent.stream("GET", "/inbox/stream", timeout=None) as stream:
                ready.set()
                for line in stream.iter_lines():
                    if line.startswith("event: changed"):
                        heard.append(time.monotonic())
                    if len(heard) >= POSTS:
                        return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        ready.wait(10)
        time.sleep(1.5)
        latencies = []
        for n in range(POSTS):
            before = len(heard)
            sent = time.monotonic()
            api.post(
                "/api/v1/interactions",
                json={
                    "channel": "email",
                    "external_id": f"<live-{n}@example.ie>",
                    "occurred_at": "2026-12-02T09:00:00+00:00",
                    "direction": "inbound",
                    "customer": {"seller": "Homeplace Retail", "customer_ref": f"HP-L{n}", "email": f"l{n}@example.ie"},
                    "subject": f"Question {n}",
                    "text": "Hello, could you tell me whether the oak table comes in a smaller size?",
                },
            ).raise_for_status()
            deadline = time.monotonic() + 15
            while len(heard) == before and time.monotonic() < deadline:
                time.sleep(0.01)
            if len(heard) == before:
                raise SystemExit(f"post {n}: the inbox heard nothing within 15 s")
            latencies.append(heard[before] - sent)
            time.sleep(0.5)
        latencies.sort()
        p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
        print(f"inbox_live: {POSTS} new e-mails posted to server A, heard by the agent's inbox stream on server B")
        print(
            f"  latency p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s"
            f"  (target 2 s: ratio p95/target {p95 / 2:.2f})"
        )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        drop_database(url)


if __name__ == "__main__":
    main()
