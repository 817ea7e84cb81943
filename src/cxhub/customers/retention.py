"""Retention rules per record type, and the daily job that removes or anonymises what is past its age.

The record types come from the personal-data holders (`customers.privacy`): each knows what
"past its age" means for its rows and handles them in bounded batches. A run that leaves rows
past their age enqueues the next run at once, so every transaction stays small.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.service import record_audit
from cxhub.customers.models import RetentionRule
from cxhub.customers.privacy import record_types
from cxhub.errors import CxhubError, Forbidden
from cxhub.jobs.service import enqueue, periodic
from cxhub.kit.time import utcnow
from cxhub.workforce.models import Brand

RETENTION_JOB = "customers.retention"
DAY = 86_400
BATCH = 500  # rows per record type per run
MAX_DAYS = 36_500


def rule_brand(session: Session, *, brand_id: str | None, actor: Actor | None) -> Brand:
    """The brand whose rules are read or set: the one named, or the only one the actor sees."""
    if actor is not None and actor.is_partner:
        raise Forbidden("only the brand's in-house staff set retention rules")
    allowed = actor.brand_ids if actor is not None else None
    if brand_id:
        brand = session.get(Brand, brand_id)
        if brand is None or (allowed is not None and brand.id not in allowed):
            raise CxhubError("unknown brand", status=422, field="brand_id")
        return brand
    query = select(Brand).order_by(Brand.created_at).limit(2)
    if allowed is not None:
        query = query.where(Brand.id.in_(allowed))
    brands = list(session.scalars(query))
    if len(brands) != 1:
        raise CxhubError("name the brand: several are in scope", status=422, field="brand_id")
    return brands[0]


def rules_of(session: Session, *, brand_id: str) -> dict[str, int | None]:
    """Days kept per known record type (None: kept until erased)."""
    rows = session.execute(
        select(RetentionRule.record_type, RetentionRule.days).where(RetentionRule.brand_id == brand_id)
    )
    held: dict[str, int] = {name: days for name, days in rows}  # noqa: C416 - rows, not pairs, for the type checker
    return {name: held.get(name) for name in record_types()}


def set_rules(
    session: Session, *, brand: Brand, rules: dict[str, int | None], actor: Actor | None
) -> dict[str, int | None]:
    """Set the days of the named record types (None removes the rule); audited with before and after."""
    known = record_types()
    for name, days in rules.items():
        if name not in known:
            raise CxhubError(
                f"unknown record type {name!r}: one of {', '.join(sorted(known))}", status=422, field="record_type"
            )
        if days is not None and not 1 <= days <= MAX_DAYS:
            raise CxhubError(f"{name}: days must be between 1 and {MAX_DAYS}", status=422, field="days")
    before = rules_of(session, brand_id=brand.id)
    for name, days in rules.items():
        row = session.scalar(
            select(RetentionRule).where(RetentionRule.brand_id == brand.id, RetentionRule.record_type == name)
        )
        if days is None:
            if row is not None:
                session.execute(delete(RetentionRule).where(RetentionRule.id == row.id))
        elif row is None:
            session.add(RetentionRule(brand_id=brand.id, record_type=name, days=days))
        else:
            row.days = days
    session.flush()
    after = rules_of(session, brand_id=brand.id)
    changed = {name: {"before": before[name], "after": after[name]} for name in after if before[name] != after[name]}
    if changed:
        record_audit(
            session,
            actor=actor,
            action="retention_rules.changed",
            target_type="brand",
            target_id=brand.id,
            detail={"changed": changed},
        )
    return after


def apply_retention(session: Session, *, now: dt.datetime | None = None, limit: int | None = None) -> dict[str, Any]:
    """One bounded pass over every rule; audited with the counts. `more`: rows past their age remain."""
    now = now or utcnow()
    limit = limit or BATCH
    known = record_types()
    rules = list(session.scalars(select(RetentionRule).order_by(RetentionRule.brand_id, RetentionRule.record_type)))
    done: dict[str, dict[str, dict[str, int]]] = {}
    more = False
    brandless: dict[str, int] = {}
    for rule in rules:
        kind = known.get(rule.record_type)
        if kind is None:
            continue  # a type no longer held by anyone
        if kind.brandless:
            brandless[kind.name] = min(rule.days, brandless.get(kind.name, rule.days))
            continue
        result = kind.run(session, rule.brand_id, now - dt.timedelta(days=rule.days), limit)
        done.setdefault(rule.brand_id, {})[kind.name] = result.counts
        more = more or result.more
    for name, days in brandless.items():
        result = known[name].run(session, None, now - dt.timedelta(days=days), limit)
        done.setdefault("*", {})[name] = result.counts
        more = more or result.more
    session.flush()
    if rules:
        record_audit(
            session,
            actor=None,
            actor_email="retention",
            action="customers.retention",
            target_type="retention_rules",
            detail={"counts": done, "more": more},
        )
    return {"counts": done, "more": more}


@periodic(RETENTION_JOB, every_seconds=DAY)
def retention_job(session: Session, payload: dict[str, Any]) -> None:
    result = apply_retention(session)
    if result["more"]:
        enqueue(session, name=RETENTION_JOB, payload={"continued": True})
