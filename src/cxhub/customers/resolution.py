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
from cxhub.customers.decisions import ScoredPair, Thresholds, decide, thresholds_for
from cxhub.customers.linkage import open_linkage
from cxhub.customers.merge import merge_customers
from cxhub.customers.models import Customer, CustomerIdentity, MatchCandidate, MatchThreshold, ResolutionModel
from cxhub.errors import Conflict

PRESENT = {"first_name", "last_name", "email", "phone", "country"}
EVIDENCE = ("first_name", "last_name", "email", "phone")
DECIDED_BY_A_PERSON = ("rejected", "accepted")  # both live again after an accepted pair: its merge was undone


@dataclass(frozen=True)
class ResolveSummary:
    customers: int
    pairs: int
    merged: int
    queued: int
    apart: int
    skipped: int
    model_version: int
    trained: bool
    seconds: float


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
    counts = dict.fromkeys(("merged", "queued", "apart", "skipped"), 0)
    for row in pairs:
        left, right, source_l, source_r, probability, weight = row[:6]
        pair = ScoredPair(source_l=source_l, source_r=source_r, match_probability=float(probability))
        decision = decide(pair, thresholds_for(rules, source_l, source_r, default))
        if decision == "apart":
            counts["apart"] += 1
            continue
        if not _both_live(session, left, right):
            counts["skipped"] += 1  # merged (earlier in this run or by someone else) or erased meanwhile
            continue
        candidate = _candidate(session, brand_id, left, right)
        if candidate is not None and candidate.status in DECIDED_BY_A_PERSON:
            counts["apart"] += 1  # a person kept these two apart (or undid their merge): no score overrides that
            continue
        if decision == "merge":
            survivor, other = _older_first(session, left, right)
            try:
                with session.begin_nested():
                    merge_customers(
                        session,
                        survivor_id=survivor,
                        merged_id=other,
                        decided_by="auto",
                        actor=actor,
                        reason=f"match probability {probability:.4f}",
                        match_probability=float(probability),
                    )
            except Conflict:
                counts["skipped"] += 1  # merged or erased by someone else between the check and the lock
                continue
            counts["merged"] += 1
            continue
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
        _queue(
            session,
            candidate,
            brand_id,
            (left, source_l),
            (right, source_r),
            float(probability),
            float(weight),
            evidence,
            version,
        )
        counts["queued"] += 1
    session.flush()
    return ResolveSummary(
        customers=len(records),
        pairs=len(pairs),
        **counts,
        model_version=version,
        trained=trained,
        seconds=round(time.perf_counter() - started, 2),
    )


def _both_live(session: Session, *customer_ids: str) -> bool:
    live = session.scalar(
        select(func.count())
        .select_from(Customer)
        .where(Customer.id.in_(customer_ids), Customer.merged_into_id.is_(None), Customer.erased_at.is_(None))
    )
    return live == len(set(customer_ids))


def _older_first(session: Session, a: str, b: str) -> tuple[str, str]:
    rows = session.execute(select(Customer.id, Customer.created_at).where(Customer.id.in_((a, b)))).all()
    ordered = sorted(rows, key=lambda r: (r.created_at, r.id))
    return ordered[0].id, ordered[1].id


def _candidate(session: Session, brand_id: str, a: str, b: str) -> MatchCandidate | None:
    left, right = sorted((a, b))
    return session.scalar(
        select(MatchCandidate).where(
            MatchCandidate.brand_id == brand_id,
            MatchCandidate.customer_id_l == left,
            MatchCandidate.customer_id_r == right,
        )
    )


def _queue(
    session: Session,
    found: MatchCandidate | None,
    brand_id: str,
    a: tuple[str, str],
    b: tuple[str, str],
    probability: float,
    weight: float,
    evidence: dict[str, Any],
    version: int,
) -> None:
    """A pending candidate for the pair, or the waiting one with its new score (left is the smaller id)."""
    (left, source_l), (right, source_r) = sorted((a, b))
    if left != a[0]:
        evidence = {"fields": [{**f, "left": f["right"], "right": f["left"]} for f in evidence["fields"]]}
    if found is not None:
        found.match_probability, found.match_weight, found.evidence = probability, weight, evidence
        found.model_version, found.status = version, "pending"
        return
    session.add(
        MatchCandidate(
            brand_id=brand_id,
            customer_id_l=left,
            customer_id_r=right,
            source_l=source_l,
            source_r=source_r,
            match_probability=probability,
            match_weight=weight,
            evidence=evidence,
            model_version=version,
        )
    )
