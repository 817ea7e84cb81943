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
WARM_UP = 400  # single posts before the measured ones
STALE = 3.0  # s; uvicorn closes a connection idle for 5 s


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


class _Connections:
    """Keep-alive HTTP/1.1 connections to one server, written by hand: the client must cost the two
    shared cores far less than the servers it measures (httpx costs about as much as a post)."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.opened: list[asyncio.StreamWriter] = []

    async def post(self, path: str, body: bytes) -> int:
        """The answer's status code; the connection goes back to the idle ones once fully read."""
        while self.idle and self.idle[0][2] < time.monotonic() - STALE:
            self.idle.pop(0)[1].close()  # the server may close it as we write: never reuse an old one
        if self.idle:
            reader, writer, _ = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.opened.append(writer)
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.head}Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
        await reader.readexactly(length)
        self.idle.append((reader, writer, time.monotonic()))
        return int(lines[0].split(" ", 2)[1])

    def close(self) -> None:
        for writer in self.opened:
            writer.close()


async def warm_up(bases: list[str], headers: dict[str, str], count: int = WARM_UP) -> None:
    """Posts not measured: a fresh process compiles its statements and fills its caches first."""
    bodies = [json.dumps(item).encode() for item in _items("warm", count)]
    pools = [_Connections(int(base.rsplit(":", 1)[1]), headers) for base in bases]

    async def client(lane: int) -> None:
        for number in range(lane, count, 4):
            await pools[number % len(pools)].post("/api/v1/interactions", bodies[number])

    await asyncio.gather(*(client(lane) for lane in range(4)))
    for pool in pools:
        pool.close()


async def open_loop(bases: list[str], headers: dict[str, str]) -> tuple[list[float], int, int, float]:
    """Single posts sent at OFFERED_RATE for SECONDS: (sorted latencies in s, measured from each post's
    scheduled time; errors; timeouts; the client's own CPU seconds)."""
    count = int(OFFERED_RATE * SECONDS)
    bodies = [json.dumps(item).encode() for item in _items("single", count)]
    pools = [_Connections(int(base.rsplit(":", 1)[1]), headers) for base in bases]
    latencies: list[float] = []
    errors = timeouts = 0
    refused: dict[int | str, int] = {}

    async def send(number: int, scheduled: float) -> None:
        nonlocal errors, timeouts
        try:  # an answer later than GIVE_UP counts as a timeout, and keeps the run bounded
            status = await asyncio.wait_for(
                pools[number % len(pools)].post("/api/v1/interactions", bodies[number]), GIVE_UP
            )
            if status not in (200, 201):  # 200: a duplicate, the answer to a retried post
                errors += 1
                refused[status] = refused.get(status, 0) + 1
            latencies.append(time.perf_counter() - scheduled)
        except TimeoutError:
            timeouts += 1
            latencies.append(GIVE_UP)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors += 1
            refused[type(exc).__name__] = refused.get(type(exc).__name__, 0) + 1
            latencies.append(time.perf_counter() - scheduled)

    cpu = time.process_time()
    loop_start = time.perf_counter() + 0.5
    tasks = []
    for number in range(count):
        scheduled = loop_start + number / OFFERED_RATE
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(number, scheduled)))
    await asyncio.wait(tasks, timeout=GIVE_UP + 5)
    cpu = time.process_time() - cpu
    for pool in pools:
        pool.close()
    if refused:
        print(f"   answers other than 200/201: {refused}")
    return sorted(latencies), errors, timeouts, cpu


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
        asyncio.run(warm_up(bases, headers))
        latencies, errors, timeouts, client_cpu = asyncio.run(open_loop(bases, headers))

        def quantile(q: float) -> float:
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

        print(
            f"   single posts offered at {OFFERED_RATE}/s for {SECONDS:.0f} s: {len(latencies)} sent, {errors} errors,"
            f" {timeouts} timeouts (> {GIVE_UP:.0f} s); the client used {client_cpu / SECONDS:.0%} of a core"
        )
        print(
            f"   latency from each post's scheduled time: p50 {quantile(0.5):.0f} ms, p95 {quantile(0.95):.0f} ms,"
            f" p99 {quantile(0.99):.0f} ms, max {latencies[-1] * 1000:.0f} ms (target p99 < 100 ms)"
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
