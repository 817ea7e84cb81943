"""HTTP intake on PostgreSQL: two `cxhub serve` processes, batched throughput and single-post latency.

    CXHUB_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres make bench

(i) The highest sustained rate of interactions/s posted in batches of 500 (POST /api/v1/interactions)
by 2, 4 and 8 concurrent clients, spread over the two processes. Target: >= 1,000/s.
(ii) p99 latency of single posts offered open-loop at 200/s for 20 s: each send is scheduled at a
fixed time whatever the answers, and its latency counts from that time, so a slow server cannot
hide its queue (no coordinated omission). Target: p99 < 100 ms.
Loopback only; every loop is bounded. Without CXHUB_BENCH_DATABASE_URL it says so and stops.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake_bulk_import import interactions

from cxhub import demo
from cxhub.db import make_engine, make_sessionmaker, unit_of_work
from cxhub.kit.databases import create_database, drop_database
from cxhub.migrate import upgrade

BATCH = 500
LOG = Path(os.environ.get("CXHUB_BENCH_HTTP_LOG", os.devnull))  # the servers' stderr
BATCHES_PER_CLIENT = int(os.environ.get("CXHUB_BENCH_HTTP_BATCHES", "6"))
OFFERED_RATE = int(os.environ.get("CXHUB_BENCH_HTTP_RATE", "200"))
SECONDS = float(os.environ.get("CXHUB_BENCH_HTTP_SECONDS", "20"))
GIVE_UP = 10.0


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cxhub(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "cxhub", *args], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout


def _serve(env: dict[str, str]) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    ports = [_port(), _port()]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "cxhub", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=LOG.open("ab"),
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    deadline = time.monotonic() + 60
    for base in bases:
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{base} did not start")
            time.sleep(0.2)
    return servers, bases


def _items(label: str, count: int) -> list[dict[str, Any]]:
    made = []
    for item in interactions(count, seed=zlib.crc32(label.encode())):
        made.append({**item, "external_id": f"{label}-{item['external_id']}"})
    return made


async def batched(bases: list[str], headers: dict[str, str], clients: int) -> float:
    """Interactions/s over `clients` concurrent clients, each posting BATCHES_PER_CLIENT batches of BATCH."""
    work = [_items(f"b{clients}-{c}", BATCH * BATCHES_PER_CLIENT) for c in range(clients)]

    async def client(number: int) -> int:
        recorded = 0
        async with httpx.AsyncClient(base_url=bases[number % len(bases)], headers=headers, timeout=120) as http:
            for start in range(0, len(work[number]), BATCH):
                response = await http.post("/api/v1/interactions", json=work[number][start : start + BATCH])
                response.raise_for_status()
                recorded += sum(1 for item in response.json()["items"] if "interaction_id" in item)
        return recorded

    started = time.perf_counter()
    recorded = sum(await asyncio.gather(*(client(n) for n in range(clients))))
    return recorded / (time.perf_counter() - started)


async def open_loop(bases: list[str], headers: dict[str, str]) -> tuple[list[float], int]:
    """Latencies (s) of single posts sent at OFFERED_RATE for SECONDS, measured from their scheduled times."""
    count = int(OFFERED_RATE * SECONDS)
    items = _items("single", count)
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
    https = [httpx.AsyncClient(base_url=base, headers=headers, timeout=10, limits=limits) for base in bases]

    async def send(number: int, scheduled: float) -> None:
        nonlocal errors
        try:  # an answer later than GIVE_UP counts as an error, and keeps the run bounded
            post = https[number % len(https)].post("/api/v1/interactions", json=items[number])
            response = await asyncio.wait_for(post, GIVE_UP)
            if response.status_code != 201:
                errors += 1
        except (httpx.HTTPError, TimeoutError):
            errors += 1
        latencies.append(time.perf_counter() - scheduled)

    loop_start = time.perf_counter() + 0.5
    tasks = []
    for number in range(count):
        scheduled = loop_start + number / OFFERED_RATE
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(number, scheduled)))
    _, late = await asyncio.wait(tasks, timeout=GIVE_UP + 5)  # bounded even when the servers drown
    for task in late:
        task.cancel()
    errors += len(late)
    for http in https:
        await http.aclose()
    latencies += [GIVE_UP] * len(late)
    return sorted(latencies), errors


def main() -> None:
    base_url = os.environ.get("CXHUB_BENCH_DATABASE_URL")
    if not base_url:
        print("-- http intake: skipped (set CXHUB_BENCH_DATABASE_URL to a PostgreSQL server)")
        return
    url = create_database(base_url, "bench_http")
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
            "CXHUB_IN_PROCESS_WORKER": "false",
            "CXHUB_ENV": "production",
            "CXHUB_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        }
        token = json.loads(_cxhub(env, "tokens", "create", "--user", "admin@lumen.example", "--json"))
        headers = {"Authorization": f"Bearer {token['token']}"}
        servers, bases = _serve(env)
        print(f"-- http intake: PostgreSQL, 2 `cxhub serve` processes, {os.cpu_count()} cores")
        rates = {}
        for clients in () if os.environ.get("CXHUB_BENCH_HTTP_SINGLE_ONLY") else (2, 4, 8):
            rates[clients] = asyncio.run(batched(bases, headers, clients))
            print(f"   batches of {BATCH}, {clients} clients: {rates[clients]:8,.0f} interactions/s")
        if rates:
            print(f"   highest sustained batched rate: {max(rates.values()):,.0f} interactions/s (target >= 1,000)")
        latencies, errors = asyncio.run(open_loop(bases, headers))

        def quantile(q: float) -> float:
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

        print(
            f"   single posts offered at {OFFERED_RATE}/s for {SECONDS:.0f} s"
            f" ({len(latencies)} sent, {errors} errors): "
            f"p50 {quantile(0.5):.0f} ms, p99 {quantile(0.99):.0f} ms, max {latencies[-1] * 1000:.0f} ms "
            "(target p99 < 100 ms)"
        )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        drop_database(url)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
