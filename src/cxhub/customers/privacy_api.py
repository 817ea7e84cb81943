"""JSON routes for privacy: the access export, erasure, consents and retention rules (in-house only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.customers import privacy, retention
from cxhub.customers.privacy_schemas import (
    ConsentsRead,
    ConsentsUpdate,
    ErasureCreate,
    ErasureRead,
    RetentionRuleRead,
    RetentionRulesRead,
    RetentionRulesUpdate,
)
from cxhub.deps import SessionDep, require
from cxhub.web import error_responses

router = APIRouter(tags=["privacy"])
CanPrivacy = Annotated[Actor, Depends(require(Permission.CUSTOMERS_PRIVACY))]
CanConsents = Annotated[Actor, Depends(require(Permission.CUSTOMERS_CONSENTS))]
READ = error_responses(403, 404)
WRITE = error_responses(403, 404, 409)


@router.get("/customers/{customer_id}/export", response_model=dict[str, Any], responses=READ)
def export_customer(session: SessionDep, actor: CanPrivacy, customer_id: str) -> dict[str, Any]:
    """Access export: everything held on the customer and the customers merged into them; audited."""
    return privacy.export_customer(session, customer_id=customer_id, actor=actor)


@router.post("/customers/{customer_id}/erase", response_model=ErasureRead, responses=WRITE)
def erase_customer(session: SessionDep, actor: CanPrivacy, customer_id: str, body: ErasureCreate) -> ErasureRead:
    """Erase the customer's personal data, keeping anonymised facts for the metrics; audited; once only."""
    return ErasureRead.model_validate(
        privacy.erase_customer(session, customer_id=customer_id, reason=body.reason, actor=actor)
    )


@router.get("/customers/{customer_id}/consents", response_model=ConsentsRead, responses=READ)
def read_consents(session: SessionDep, actor: CanConsents, customer_id: str) -> ConsentsRead:
    """The customer's current answer per purpose (surveys, coaching, marketing) and the history."""
    customer, history = privacy.read_consents(session, customer_id=customer_id, actor=actor)
    return privacy.consents_read(customer, history)


@router.put("/customers/{customer_id}/consents", response_model=ConsentsRead, responses=WRITE)
def record_consents(session: SessionDep, actor: CanConsents, customer_id: str, body: ConsentsUpdate) -> ConsentsRead:
    """Record consents or opt-outs; a changed answer adds to the history, which is never rewritten; audited."""
    customer, history = privacy.record_consents(
        session,
        customer_id=customer_id,
        choices={c.purpose: c.granted for c in body.consents},
        source=body.source,
        actor=actor,
    )
    return privacy.consents_read(customer, history)


def _rules_read(brand_id: str, rules: dict[str, int | None]) -> RetentionRulesRead:
    types = privacy.record_types()
    return RetentionRulesRead(
        brand_id=brand_id,
        rules=[RetentionRuleRead(record_type=n, description=types[n].description, days=d) for n, d in rules.items()],
    )


@router.get("/retention-rules", response_model=RetentionRulesRead, responses=READ)
def read_retention_rules(
    session: SessionDep,
    actor: CanPrivacy,
    brand_id: Annotated[str | None, Query(max_length=26, description="Default: the only brand in scope.")] = None,
) -> RetentionRulesRead:
    """Days kept per record type; a type without a rule is kept until the customer is erased."""
    brand = retention.rule_brand(session, brand_id=brand_id, actor=actor)
    return _rules_read(brand.id, retention.rules_of(session, brand_id=brand.id))


@router.put("/retention-rules", response_model=RetentionRulesRead, responses=READ)
def set_retention_rules(session: SessionDep, actor: CanPrivacy, body: RetentionRulesUpdate) -> RetentionRulesRead:
    """Set the days of the record types named (null removes a rule); the daily job applies them; audited."""
    brand = retention.rule_brand(session, brand_id=body.brand_id, actor=actor)
    rules = retention.set_rules(session, brand=brand, rules={r.record_type: r.days for r in body.rules}, actor=actor)
    return _rules_read(brand.id, rules)
