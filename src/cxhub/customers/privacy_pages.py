"""The privacy section of the customer page (an htmx fragment) and the printable access export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.permissions import Permission
from cxhub.customers import privacy
from cxhub.customers.models import Customer
from cxhub.deps import SessionDep, csrf_protect, require
from cxhub.errors import CxhubError
from cxhub.web import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
CanConsents = Annotated[Actor, Depends(require(Permission.CUSTOMERS_CONSENTS, pages=True))]
CanPrivacy = Annotated[Actor, Depends(require(Permission.CUSTOMERS_PRIVACY, pages=True))]
FRAGMENT = "customers/_privacy.html"


def _section(
    request: Request, session: Session, actor: Actor, customer: Customer, error: str | None = None
) -> Response:
    history = privacy.consent_history(session, customer_id=customer.id)
    return render(
        request,
        FRAGMENT,
        customer=customer,
        privacy=privacy.consents_read(customer, history),
        error=error,
    )


@router.get("/customers/{customer_id}/privacy")
def privacy_section(request: Request, session: SessionDep, actor: CanConsents, customer_id: str) -> Response:
    """The privacy section: consents with their toggles, the export link and the erase button."""
    customer, _ = privacy.read_consents(session, customer_id=customer_id, actor=actor)
    return _section(request, session, actor, customer)


@router.post("/customers/{customer_id}/privacy/consents")
def privacy_consent(
    request: Request,
    session: SessionDep,
    actor: CanConsents,
    customer_id: str,
    purpose: Annotated[str, Form(max_length=20)],
    granted: Annotated[str, Form(pattern="^(yes|no)$")],
) -> Response:
    """Record one answer given to staff (source: staff); the section comes back updated."""
    try:
        customer, _ = privacy.record_consents(
            session, customer_id=customer_id, choices={purpose: granted == "yes"}, source="staff", actor=actor
        )
    except CxhubError as exc:
        if exc.status in (403, 404):
            raise
        customer, _ = privacy.read_consents(session, customer_id=customer_id, actor=actor)
        return _section(request, session, actor, customer, error=exc.message)
    return _section(request, session, actor, customer)


@router.post("/customers/{customer_id}/privacy/erase")
def privacy_erase(
    request: Request,
    session: SessionDep,
    actor: CanPrivacy,
    customer_id: str,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Erase the customer after the browser's confirmation; the section comes back saying so."""
    if not reason.strip():
        customer, _ = privacy.read_consents(session, customer_id=customer_id, actor=actor)
        return _section(request, session, actor, customer, error="say why the customer is erased")
    try:
        result = privacy.erase_customer(session, customer_id=customer_id, reason=reason.strip(), actor=actor)
    except CxhubError as exc:
        if exc.status in (403, 404):
            raise
        customer, _ = privacy.read_consents(session, customer_id=customer_id, actor=actor)
        return _section(request, session, actor, customer, error=exc.message)
    customer, _ = privacy.read_consents(session, customer_id=result["customer_id"], actor=actor)
    return _section(request, session, actor, customer)


@router.get("/customers/{customer_id}/export.html")
def export_page(session: SessionDep, actor: CanPrivacy, customer_id: str) -> Response:
    """The access export as a readable page, ready to print; audited like the JSON export."""
    document = privacy.export_customer(session, customer_id=customer_id, actor=actor)
    return HTMLResponse(privacy.export_html(document))
