"""What a customer's whole history adds up to: the definitions the profile and routing's rules share.

Lifetime orders (the one definition): an order is one (seller, order reference) among the
customer's `order` interactions, however many events (placed, shipped, delivered) it has; an order
with a cancellation among its events does not count. Its value is the total of its latest event
that carries one, per currency. Amounts refunded on those orders (`refunded` events on `return`
interactions) come off the value; orders with any return are counted apart, as `returned`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.conversations.models import Interaction
from cxhub.customers.groups import CustomerFacts
from cxhub.customers.models import Customer, CustomerIdentity

CANCELLED = "order_cancelled"
REFUNDED = "refunded"


@dataclass(frozen=True)
class OrderValue:
    currency: str
    gross: Decimal  # the orders' totals
    refunded: Decimal
    net: Decimal  # gross less refunded


@dataclass(frozen=True)
class LifetimeOrders:
    orders: int
    returned: int
    value: list[OrderValue]  # one entry per currency, by currency


class OrderEvent(NamedTuple):
    """One order or return interaction, as the definition reads it."""

    interaction_id: str
    kind: str  # order | return
    seller: str | None
    order_ref: str | None
    occurred_at: dt.datetime
    extra: dict[str, Any]


NO_ORDERS = LifetimeOrders(orders=0, returned=0, value=[])


def _amount(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _order_key(event: OrderEvent) -> tuple[str, str]:
    # an order without a reference is an order of its own
    return (event.seller or "", event.order_ref or f"#{event.interaction_id}")


def summarise_orders(events: Iterable[OrderEvent]) -> LifetimeOrders:
    """The lifetime orders of one customer from their order and return interactions."""
    by_order: dict[tuple[str, str], list[OrderEvent]] = {}
    returned: set[tuple[str, str]] = set()
    for event in sorted(events, key=lambda e: (e.occurred_at, e.interaction_id)):
        key = _order_key(event)
        by_order.setdefault(key, []).append(event)
        if event.kind == "return":
            returned.add(key)
    gross: dict[str, Decimal] = {}
    refunded: dict[str, Decimal] = {}
    counted = 0
    for order_events in by_order.values():
        placed = [e for e in order_events if e.kind == "order"]
        if not placed or any(e.extra.get("event") == CANCELLED for e in placed):
            continue
        counted += 1
        priced = [e for e in placed if _amount(e.extra.get("total")) is not None and e.extra.get("currency")]
        if priced:
            latest = priced[-1]
            currency = str(latest.extra["currency"]).upper()
            gross[currency] = gross.get(currency, Decimal(0)) + (_amount(latest.extra["total"]) or Decimal(0))
        for event in order_events:
            amount = _amount(event.extra.get("total"))
            if event.kind == "return" and event.extra.get("event") == REFUNDED and amount is not None:
                currency = str(event.extra.get("currency") or "").upper()
                if currency:
                    refunded[currency] = refunded.get(currency, Decimal(0)) + amount
    value = [
        OrderValue(
            currency=currency,
            gross=gross.get(currency, Decimal(0)),
            refunded=refunded.get(currency, Decimal(0)),
            net=gross.get(currency, Decimal(0)) - refunded.get(currency, Decimal(0)),
        )
        for currency in sorted(gross.keys() | refunded.keys())
    ]
    return LifetimeOrders(orders=counted, returned=len(returned), value=value)


def lifetime_orders(session: Session, customer_ids: Collection[str]) -> dict[str, LifetimeOrders]:
    """The lifetime orders of each customer (every id given is in the answer)."""
    ids = list(customer_ids)
    events: dict[str, list[OrderEvent]] = {customer_id: [] for customer_id in ids}
    if not ids:
        return {}
    rows = session.execute(
        select(
            Interaction.customer_id,
            Interaction.id,
            Interaction.kind,
            Interaction.seller,
            Interaction.order_ref,
            Interaction.occurred_at,
            Interaction.extra,
        ).where(Interaction.customer_id.in_(ids), Interaction.kind.in_(("order", "return")))
    )
    for customer_id, interaction_id, kind, seller, order_ref, occurred_at, extra in rows:
        events[customer_id].append(OrderEvent(interaction_id, kind, seller, order_ref, occurred_at, extra or {}))
    return {customer_id: summarise_orders(found) if found else NO_ORDERS for customer_id, found in events.items()}


def customer_facts(session: Session, customer_ids: Collection[str]) -> dict[str, CustomerFacts]:
    """(country, sellers, lifetime orders) of each customer: what customer groups' rules look at."""
    ids = list(customer_ids)
    if not ids:
        return {}
    countries = dict(session.execute(select(Customer.id, Customer.country).where(Customer.id.in_(ids))).all())
    sellers: dict[str, set[str]] = {}
    for customer_id, value in session.execute(
        select(CustomerIdentity.customer_id, CustomerIdentity.value).where(
            CustomerIdentity.customer_id.in_(ids), CustomerIdentity.kind == "seller_ref"
        )
    ):
        sellers.setdefault(customer_id, set()).add(value.split(":", 1)[0])
    orders = lifetime_orders(session, ids)
    return {
        customer_id: (countries.get(customer_id), sellers.get(customer_id, set()), orders[customer_id].orders)
        for customer_id in ids
    }
