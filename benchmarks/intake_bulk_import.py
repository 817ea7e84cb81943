"""Bulk import: `cxhub import interactions` against the fastest plain load of the same rows.

    make bench                                                   # SQLite; PostgreSQL skipped
    CXHUB_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres make bench
    CXHUB_BENCH_INTERACTIONS=1000000 .venv/bin/python benchmarks/intake_bulk_import.py

A generated NDJSON file of N interactions (e-mail with replies, chat sessions, calls, reviews,
social posts, marketplace orders; repeat customers; a few retries) is imported by the real
command into a fresh database with the demo world. Then the final rows of customers,
customer_identities, conversations and interactions are taken out and loaded again into the
same, emptied tables the fastest way the driver offers (SQLite: one transaction of executemany;
PostgreSQL: COPY), and the ratio of the two rates is printed. Peak memory (RSS) of the import is
measured on N/10 and on N rows: flat means it does not grow with the file. The issue's target:
ratio >= 0.3, memory flat.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from cxhub import demo
from cxhub.db import make_engine, make_sessionmaker, unit_of_work
from cxhub.kit.databases import create_database, drop_database
from cxhub.migrate import upgrade

N = int(os.environ.get("CXHUB_BENCH_INTERACTIONS", "100000"))
TABLES = ("customers", "customer_identities", "conversations", "interactions")  # in foreign-key order
AGENT = "agent@lumen.example"


def interactions(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """n interactions in time order, as channels export them."""
    rng = random.Random(seed)
    customers = max(10, n // 4)
    at = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)
    made: list[dict[str, Any]] = []  # the latest, for retries
    count = sequence = 0

    def customer() -> int:
        return min(int(rng.expovariate(3 / customers)), customers - 1)  # a few customers write often

    def row(channel: str, direction: str, who: dict[str, Any], **extra: Any) -> dict[str, Any]:
        nonlocal at, sequence
        sequence += 1
        at += dt.timedelta(seconds=rng.randint(1, 20))
        item = {
            "channel": channel,
            "external_id": f"{channel}-{sequence}",
            "occurred_at": at.isoformat(),
            "direction": direction,
            "customer": who,
            **extra,
        }
        if direction == "outbound":
            item["handled_by"] = AGENT
        return item

    while count < n:
        c = customer()
        email = {"email": f"customer{c}@example.com", "name": f"Customer {c}"}
        draw = rng.random()
        if draw < 0.005 and made:  # a channel retries a delivery
            unit = [rng.choice(made[-500:])]
        elif draw < 0.35:
            subject = rng.choice(["Where is my order?", "Refund", "Wrong size", "Invoice"])
            unit = [row("email", "inbound", email, subject=subject, text="Hello, " * rng.randint(5, 60))]
            if rng.random() < 0.6:
                unit.append(row("email", "outbound", email, subject=f"Re: {subject}", text="Thanks, " * 20))
        elif draw < 0.60:
            who = email if rng.random() < 0.5 else {"visitor_id": f"visitor-{c}"}
            thread = f"chat-{sequence}"
            unit = [
                row("chat", "inbound" if k % 2 == 0 else "outbound", who, thread_ref=thread, text="Hi there " * 5)
                for k in range(rng.randint(2, 6))
            ]
        elif draw < 0.75:
            phone = f"087 {c % 1000:03d} {c // 1000 % 10000:04d}" if c % 2 else f"+3538{c % 10_000_000:08d}"
            talk = rng.randint(30, 900)
            voice = {"queue_seconds": rng.randint(0, 300), "talk_seconds": talk, "hold_seconds": talk // 10}
            unit = [row("voice", "inbound", {"phone": phone, "country": "IE"}, voice={**voice, "wrap_seconds": 30})]
        elif draw < 0.85:
            who = {"platform": "trustpilot", "handle": f"@reviewer{c}", "email": email["email"]}
            unit = [row("review", "inbound", who, rating=rng.randint(1, 5), public=True, url=f"https://r.example/{c}")]
        elif draw < 0.90:
            who = {"platform": "twitter", "handle": f"user{c}"}
            unit = [row("social", "inbound", who, public=True, text="@lumen where is my parcel?")]
        else:
            who = {"seller": "Marketplace X", "customer_ref": f"MX-{c}", "email": email["email"]}
            kind = "order" if rng.random() < 0.8 else "return"
            unit = [row("commerce", "inbound", who, kind=kind, order_ref=f"O-{sequence}", seller="Marketplace X")]
        for item in unit[: n - count]:
            count += 1
            made.append(item)
            yield item
        if len(made) > 1000:
            del made[:500]  # keep the generator's own memory flat too


def write_file(n: int, path: Path) -> None:
    with path.open("w") as f:
        for item in interactions(n):
            f.write(json.dumps(item) + "\n")


def _fresh(base: str | None, directory: Path, label: str) -> str:
    url = create_database(base, label) if base else f"sqlite:///{directory / label}.sqlite3"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_sessionmaker(engine)) as session:
        demo.load(session)
    engine.dispose()
    return url


def import_file(url: str, path: Path) -> tuple[dict[str, Any], int]:
    """The summary of `cxhub import interactions` and its peak RSS in bytes: the importer's and its
    reading process's high-water marks (VmHWM) added, sampled until it exits."""
    env = {**os.environ, "CXHUB_DATABASE_URL": url, "CXHUB_IN_PROCESS_WORKER": "false"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as error:
        process = subprocess.Popen(
            [sys.executable, "-m", "cxhub", "import", "interactions", str(path), "--json"],
            env=env,
            stdout=out,
            stderr=error,
        )
        peaks: dict[int, int] = {}
        while process.poll() is None:
            for pid in (process.pid, *_children(process.pid)):
                peaks[pid] = max(peaks.get(pid, 0), _high_water_mark(pid))
            time.sleep(0.1)
        peak = sum(peaks.values())
        out.seek(0)
        error.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"import failed: {error.read().decode()}")
        return json.loads(out.read()), peak


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _high_water_mark(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def plain_sqlite(url: str) -> tuple[float, dict[str, int]]:
    """Seconds to load the imported rows again with executemany in one transaction."""
    connection = sqlite3.connect(make_url(url).database or "", isolation_level=None)
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    rows = {table: connection.execute(f"SELECT * FROM {table}").fetchall() for table in TABLES}
    connection.execute("BEGIN")
    connection.execute("DELETE FROM conversation_events")
    for table in reversed(TABLES):
        connection.execute(f"DELETE FROM {table}")
    connection.execute("COMMIT")
    started = time.perf_counter()
    connection.execute("BEGIN")
    for table in TABLES:
        marks = ",".join("?" * len(rows[table][0])) if rows[table] else ""
        for start in range(0, len(rows[table]), 10_000):
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table][start : start + 10_000])
    connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return seconds, {table: len(found) for table, found in rows.items()}


def plain_postgres(url: str) -> tuple[float, dict[str, int]]:
    """Seconds to load the imported rows again with COPY."""
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    dumps: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    with psycopg.connect(dsn) as connection:
        for table in TABLES:
            buffer = io.BytesIO()
            with connection.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                for data in copy:
                    buffer.write(data)
            dumps[table] = buffer.getvalue()
            counts[table] = dumps[table].count(b"\n")
        connection.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        connection.commit()
        started = time.perf_counter()
        for table in TABLES:
            with connection.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                view = memoryview(dumps[table])
                for start in range(0, len(view), 1 << 20):
                    copy.write(view[start : start + (1 << 20)])
        connection.commit()
        seconds = time.perf_counter() - started
    return seconds, counts


def run(backend: str, base: str | None, directory: Path, path: Path, small: Path | None) -> None:
    memory_small = None
    if small is not None:
        url = _fresh(base, directory, "small")
        _, memory_small = import_file(url, small)
        if base:
            drop_database(url)
    url = _fresh(base, directory, "bench_import")
    try:
        summary, memory = import_file(url, path)
        again, _ = import_file(url, path)
        plain, counts = plain_postgres(url) if base else plain_sqlite(url)
    finally:
        if base:
            drop_database(url)
    rows = summary["created"] + summary["duplicate"] + summary["rejected"]
    rate = rows / summary["seconds"]
    print(f"-- {backend}: {rows:,} interactions, {os.cpu_count()} cores")
    print(
        f"   import      : {summary['seconds']:8.1f} s  {rate:9,.0f} interactions/s  peak RSS {memory / 2**20:6.0f} MiB"
    )
    if memory_small is not None:
        print(f"   import N/10 : peak RSS {memory_small / 2**20:6.0f} MiB (memory flat: {memory / memory_small:.2f}x)")
    print(f"   re-run      : {again['seconds']:8.1f} s  {again['duplicate']:,} duplicates, {again['created']} created")
    print(f"   rows        : {', '.join(f'{t} {c:,}' for t, c in counts.items())}")
    plain_rate = rows / plain
    print(f"   plain load  : {plain:8.1f} s  {plain_rate:9,.0f} interactions/s ({'COPY' if base else 'executemany'})")
    print(f"   ratio import/plain: {rate / plain_rate:.2f} (target >= 0.3)")


def main() -> None:
    directory = Path(tempfile.mkdtemp(prefix="cxhub-bench-"))
    path = directory / "interactions.ndjson"
    small = directory / "small.ndjson"
    write_file(N, path)
    write_file(max(N // 10, 1), small)
    print(f"file: {N:,} interactions, {path.stat().st_size / 2**20:.0f} MiB of NDJSON")
    run("sqlite", None, directory, path, small)
    base = os.environ.get("CXHUB_BENCH_DATABASE_URL")
    if base:
        run("postgresql", base, directory, path, None)
    else:
        print("-- postgresql: skipped (set CXHUB_BENCH_DATABASE_URL)")
    for leftover in directory.iterdir():
        leftover.unlink()
    directory.rmdir()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
