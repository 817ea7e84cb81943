"""Identity resolution over the hub's own customers: score pairs with the linkage model, then decide.

Each live customer (not merged away, not erased) becomes one record: the name split into first and
last, its earliest e-mail and phone, its country, and as source the source of its earliest
identity. Pairs at the auto-merge threshold or above are merged; pairs between the review and
auto-merge thresholds wait in the review queue (`match_candidates`); the rest are left apart.
Thresholds come from `match_thresholds` for the two sources (the most specific row wins), else
from the settings `CXHUB_MATCH_AUTO_MERGE` and `CXHUB_MATCH_REVIEW`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.customers import identifiers as ids
from cxhub.customers.linkage import open_linkage
from cxhub.customers.merge import live_customer_id, merge_customers
from cxhub.customers.models import Customer, CustomerIdentity, MatchCandidate, MatchThreshold, ResolutionModel

PRESENT = {"first_name", "last_name", "email", "phone", "country"}
EVIDENCE = ("first_name", "last_name", "email", "phone")


@dataclass(frozen=True)
class Thresholds:
    auto_merge: float
    review: float


@dataclass(frozen=True)
class ResolveSummary:
    customers: int
    pairs: int
    merged: int
    queued: int
    model_version: int
    trained: bool
    seconds: float


def thresholds_for(rows: list[MatchThreshold], source_l: str, source_r: str, default: Thresholds) -> Thresholds:
    """The most specific row for the two sources, in either order: both named, then one, then `*`/`*`."""
    ranked: list[tuple[int, MatchThreshold]] = []
    for row in rows:
        for a, b in ((source_l, source_r), (source_r, source_l)):
            if row.source_l in (a, "*") and row.source_r in (b, "*"):
                ranked.append(((row.source_l == "*") + (row.source_r == "*"), row))
    if not ranked:
        return default
    best = min(ranked, key=lambda item: item[0])[1]
    return Thresholds(auto_merge=best.auto_merge, review=best.review)


def _records(session: Session, brand_id: str) -> list[tuple[Any, ...]]:
    first_seen = (
        select(
            CustomerIdentity.customer_id,
            CustomerIdentity.kind,
            CustomerIdentity.value,
            CustomerIdentity.source,
            func.row_number()
            .over(
                partition_by=(CustomerIdentity.customer_id, CustomerIdentity.kind),
                order_by=CustomerIdentity.first_seen_at,
            )
            .label("n"),
        )
        .where(CustomerIdentity.brand_id == brand_id)
        .subquery()
    )
    identities: dict[str, dict[str, tuple[str, str]]] = {}
    for customer_id, kind, value, source, _n in session.execute(select(first_seen).where(first_seen.c.n == 1)):
        identities.setdefault(customer_id, {})[kind] = (value, source)
    rows = []
    live = select(Customer.id, Customer.name, Customer.country).where(
        Customer.brand_id == brand_id, Customer.merged_into_id.is_(None), Customer.erased_at.is_(None)
    )
    for unique_id, (customer_id, name, country) in enumerate(session.execute(live.order_by(Customer.id)), start=1):
        known = identities.get(customer_id, {})
        parts = (name or "").split()
        sources = [source for _value, source in known.values()]
        rows.append(
            (
                unique_id,
                min(sources) if sources else "hub",
                customer_id,
                parts[0] if parts else None,
                parts[-1] if len(parts) > 1 else None,
                known.get(ids.EMAIL, (None, None))[0],
                known.get(ids.PHONE, (None, None))[0],
                country,
            )
        )
    return rows


def resolve(
    session: Session, *, brand_id: str, default: Thresholds, actor: Actor | None = None, retrain: bool = False
) -> ResolveSummary:
    """Score the brand's customers and apply the decisions; trains (and stores) a model when asked or when none."""
    started = time.perf_counter()
    records = _records(session, brand_id)
    con = duckdb.connect()
    con.sql(
        "create table raw_records (unique_id bigint, source varchar, record_id varchar, first_name varchar, "
        "last_name varchar, email varchar, phone varchar, country varchar)"
    )
    if records:
        con.executemany("insert into raw_records values (?, ?, ?, ?, ?, ?, ?, ?)", records).fetchall()
    stored = session.scalar(
        select(ResolutionModel).where(ResolutionModel.brand_id == brand_id).order_by(ResolutionModel.version.desc())
    )
    trained = retrain or stored is None
    linkage = open_linkage(con, "raw_records", present=PRESENT, model=None if trained else stored.model)  # type: ignore[union-attr]
    if trained:
        linkage.train(present=PRESENT)
        version = (stored.version if stored else 0) + 1
        session.add(ResolutionModel(brand_id=brand_id, version=version, records=len(records), model=linkage.model()))
    else:
        version = stored.version  # type: ignore[union-attr]
    rules = list(session.scalars(select(MatchThreshold).where(MatchThreshold.brand_id == brand_id)))
    floor = min([default.review, *(r.review for r in rules)])
    scored = linkage.predict(floor)
    columns = ", ".join(f"{f}_l, {f}_r, gamma_{f}, mw_{f}" for f in EVIDENCE)
    pairs = con.execute(
        f"select record_id_l, record_id_r, source_l, source_r, match_probability, match_weight, {columns} "
        f"from {scored.physical_name} order by match_probability desc"
    ).fetchall()
    merged = queued = 0
    for row in pairs:
        left, right, source_l, source_r, probability, weight = row[:6]
        limits = thresholds_for(rules, source_l, source_r, default)
        evidence = {
            "fields": [
                {
                    "field": f,
                    "left": row[6 + 4 * i],
                    "right": row[7 + 4 * i],
                    "level": int(row[8 + 4 * i]),
                    "weight": round(float(row[9 + 4 * i]), 3),
                }
                for i, f in enumerate(EVIDENCE)
            ]
        }
        a, b = live_customer_id(session, left), live_customer_id(session, right)
        if a == b:
            continue
        if probability >= limits.auto_merge:
            survivor, other = sorted((a, b), key=lambda c: (session.get(Customer, c).created_at, c))  # type: ignore[union-attr]
            merge_customers(
                session,
                survivor_id=survivor,
                merged_id=other,
                decided_by="auto",
                actor=actor,
                reason=f"match probability {probability:.4f}",
                match_probability=float(probability),
            )
            merged += 1
        elif probability >= limits.review:
            queued += _queue(
                session, brand_id, a, b, source_l, source_r, float(probability), float(weight), evidence, version
            )
    session.flush()
    return ResolveSummary(
        customers=len(records),
        pairs=len(pairs),
        merged=merged,
        queued=queued,
        model_version=version,
        trained=trained,
        seconds=round(time.perf_counter() - started, 2),
    )


def _queue(
    session: Session,
    brand_id: str,
    a: str,
    b: str,
    source_a: str,
    source_b: str,
    probability: float,
    weight: float,
    evidence: dict[str, Any],
    version: int,
) -> int:
    left, right = sorted((a, b))
    sources = (source_a, source_b) if left == a else (source_b, source_a)
    found = session.scalar(
        select(MatchCandidate).where(
            MatchCandidate.brand_id == brand_id,
            MatchCandidate.customer_id_l == left,
            MatchCandidate.customer_id_r == right,
        )
    )
    if found is not None:
        if found.status != "pending":
            return 0  # a human decided this pair already
        found.match_probability, found.match_weight, found.evidence = probability, weight, evidence
        found.model_version = version
        return 0
    session.add(
        MatchCandidate(
            brand_id=brand_id,
            customer_id_l=left,
            customer_id_r=right,
            source_l=sources[0],
            source_r=sources[1],
            match_probability=probability,
            match_weight=weight,
            evidence=evidence,
            model_version=version,
        )
    )
    return 1
