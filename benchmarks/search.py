"""Search: the time of one page of `GET /api/v1/search` on a database of N interactions.

    .venv/bin/python benchmarks/search.py                        # SQLite
    CXHUB_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/search.py
    CXHUB_BENCH_INTERACTIONS=1000000 .venv/bin/python benchmarks/search.py

N generated e-mails and chats (texts of 8-60 words drawn from a vocabulary of 5,000 with a Zipf
law, as language is, and one rare word planted in 20 of them) are imported by the real command
(the bulk path: the search indexes are kept by triggers or expression indexes, not by the
application), and again into a database migrated to the revision before search, which is then
migrated to the head: the price the indexes add to intake, and the time to build them later.
A third of the conversations are queued for a partner. Then each query runs several times
through the same functions the route calls, as an in-house admin and as a partner agent; the
median time of a page of 50 is printed, and on PostgreSQL whether the plan reads the GIN index.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

N = int(os.environ.get("CXHUB_BENCH_INTERACTIONS", "100000"))
RUNS = 5
RARE = "quokka"
BEFORE_SEARCH = "0005_routing"
VOCABULARY = [f"w{rank}" for rank in range(5000)]  # w0 the most frequent word, w4999 among the rarest
PROBES = {
    "a rare word (20 interactions)": RARE,
    "a word of rank 4,000": "w4000",
    "a word of rank 100": "w100",
    "the most frequent word": "w0",
    "two words": "w10 w2000",
    "a phrase": '"w1 w2"',
}


def interactions(n: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(VOCABULARY))]
    planted = set(rng.sample(range(n), min(20, n)))
    at = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)
    for sequence in range(n):
        at += dt.timedelta(seconds=rng.randint(1, 20))
        customer = rng.randrange(max(10, n // 4))
        words = rng.choices(VOCABULARY, weights, k=rng.randint(8, 60))
        if sequence in planted:
            words.insert(rng.randrange(len(words)), RARE)
        chat = rng.random() < 0.4
        yield {
            "channel": "chat" if chat else "email",
            "external_id": f"search-{sequence}",
            "occurred_at": at.isoformat(),
            "direction": "inbound" if rng.random() < 0.7 else "outbound",
            "customer": {"email": f"customer{customer}@example.com", "name": f"Customer {customer}"},
            **({"thread_ref": f"chat-{customer}"} if chat else {"subject": " ".join(words[:4])}),
            "text": " ".join(words),
        }


def prepare_database(url: str, path: Path, *, indexed: bool) -> tuple[float, float | None]:
    """Migrate, load the demo world, import the file: the import's rate in interactions/s.

    Not `indexed`: the import runs before the search migration, which then builds the indexes
    over the imported rows; the seconds that takes come second.
    """
    from cxhub import demo
    from cxhub.db import make_engine, make_sessionmaker, unit_of_work
    from cxhub.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine, "head" if indexed else BEFORE_SEARCH)
    with unit_of_work(make_sessionmaker(engine)) as session:
        demo.load(session)
    env = {**os.environ, "CXHUB_DATABASE_URL": url, "CXHUB_IN_PROCESS_WORKER": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "cxhub", "import", "interactions", str(path), "--json"],
        env=env,
        capture_output=True,
        check=True,
    )
    summary = json.loads(done.stdout)
    built = None
    if not indexed:
        started = time.perf_counter()
        upgrade(engine)
        built = time.perf_counter() - started
    engine.dispose()
    return float(summary["created"] / summary["seconds"]), built


def measure(url: str) -> None:
    from sqlalchemy import func, select, text, update

    from cxhub.auth.repository import user_by_email
    from cxhub.conversations import search
    from cxhub.conversations.models import Conversation
    from cxhub.db import make_engine, make_sessionmaker
    from cxhub.workforce.models import Organisation
    from cxhub.workforce.service import actor_for_user

    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        partner = session.scalars(select(Organisation).where(Organisation.name == "Atlantic CX")).one()
        last = func.substr(Conversation.id, 26, 1)  # random characters: 11 of 32 is about a third
        session.execute(update(Conversation).where(last.in_(list("0123456789a"))).values(organisation_id=partner.id))
        if engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
        session.commit()
        actors = {}
        for email in ("admin@lumen.example", "agent@atlantic.example"):
            user = user_by_email(session, email)
            assert user is not None
            actors[email] = actor_for_user(session, user=user)
        print(f"   {'query':32} {'in-house ms':>12} {'partner ms':>11} {'hits (of 50)':>13}")
        for label, q in PROBES.items():
            query = search.parse_query(q)
            assert query is not None
            times: dict[str, float] = {}
            hits = 0
            for email, actor in actors.items():
                runs = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    found, _ = search.search_conversations(session, actor=actor, query=query, cursor=None, limit=50)
                    runs.append(time.perf_counter() - started)
                    session.rollback()
                times[email] = statistics.median(runs) * 1000
                hits = max(hits, len(found))
            in_house, partner_agent = times["admin@lumen.example"], times["agent@atlantic.example"]
            print(f"   {label:32} {in_house:12.1f} {partner_agent:11.1f} {hits:13}")
        query = search.parse_query("customer123@example.com")
        assert query is not None
        started = time.perf_counter()
        search.search_customers(session, actor=actors["admin@lumen.example"], query=query, cursor=None, limit=50)
        print(f"   {'a customer by e-mail':32} {(time.perf_counter() - started) * 1000:12.1f}")
        if engine.dialect.name == "postgresql":
            plan = session.execute(
                text(
                    f"EXPLAIN SELECT conversation_id FROM interactions "
                    f"WHERE {search.INTERACTION_DOCUMENT} @@ websearch_to_tsquery('simple', '{RARE}')"
                )
            ).scalars()
            print(f"   plan reads ix_search_interactions: {'ix_search_interactions' in ' '.join(plan)}")
    engine.dispose()


def main() -> None:
    from cxhub.kit.databases import create_database, drop_database

    directory = Path(tempfile.mkdtemp(prefix="cxhub-bench-"))
    path = directory / "interactions.ndjson"
    with path.open("w") as f:
        for item in interactions(N):
            f.write(json.dumps(item) + "\n")
    base = os.environ.get("CXHUB_BENCH_DATABASE_URL")
    urls = [
        create_database(base, label) if base else f"sqlite:///{directory / label}.sqlite3"
        for label in ("bench_search_indexed", "bench_search_later")
    ]
    try:
        with_indexes, _ = prepare_database(urls[0], path, indexed=True)
        without, built = prepare_database(urls[1], path, indexed=False)
        print(f"-- {'postgresql' if base else 'sqlite'}: {N:,} interactions, {os.cpu_count()} cores")
        print(f"   import with the search indexes    : {with_indexes:9,.0f} interactions/s")
        print(f"   import without them               : {without:9,.0f} interactions/s")
        print(f"   then building them (migration)    : {built:9.1f} s")
        measure(urls[0])
    finally:
        if base:
            for url in urls:
                drop_database(url)
        for leftover in directory.iterdir():
            leftover.unlink()
        directory.rmdir()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
