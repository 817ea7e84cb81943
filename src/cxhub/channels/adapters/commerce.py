"""Commerce: orders and returns from the brand's e-store, retailers and marketplaces.

Flat record: `seller`, `order_ref`, `event` (order_placed, order_shipped, order_delivered,
order_cancelled, return_requested, return_received, refunded), `event_id`, `occurred_at`,
`customer_name`, `customer_email`, `customer_phone`, `customer_country`, `customer_address`,
`customer_ref` (the seller's customer id), `items` (a list, or JSON text, of {sku, name, quantity,
unit_price}), `total`, `currency`, `status`, `comment`, `needs_answer`, `language`.

Each event is an `order` or `return` interaction on the customer's timeline, threaded by seller and
order ref; it needs no answer unless `needs_answer` is true or a return carries the customer's comment.
A Shopify-like order (`line_items`, `order_number`) and an Amazon-like returns report (`reportType`,
`returns`) are flattened first.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse

from cxhub.channels.adapter import register
from cxhub.channels.adapters.records import RecordAdapter, RecordReader, json_cell
from cxhub.conversations.schemas import CustomerIn, InteractionCreate

EVENTS = (
    "order_placed",
    "order_shipped",
    "order_delivered",
    "order_cancelled",
    "return_requested",
    "return_received",
    "refunded",
)
RETURN_EVENTS = ("return_requested", "return_received", "refunded")
SUBJECTS = {
    "order_placed": "Order {ref} placed",
    "order_shipped": "Order {ref} shipped",
    "order_delivered": "Order {ref} delivered",
    "order_cancelled": "Order {ref} cancelled",
    "return_requested": "Return requested for order {ref}",
    "return_received": "Return received for order {ref}",
    "refunded": "Order {ref} refunded",
}
MAX_ITEMS = 200


class CommerceAdapter(RecordAdapter):
    name = "commerce"
    fields = frozenset(
        {
            "seller",
            "order_ref",
            "event",
            "event_id",
            "occurred_at",
            "customer_name",
            "customer_email",
            "customer_phone",
            "customer_country",
            "customer_address",
            "customer_ref",
            "items",
            "total",
            "currency",
            "status",
            "comment",
            "needs_answer",
            "language",
        }
    )

    def flatten(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        if "line_items" in item and "order_number" in item:
            return [_store_order(item)]
        if "reportType" in item and isinstance(item.get("returns"), list):
            return [_marketplace_return(item, row) for row in item["returns"] if isinstance(row, dict)]
        return [item]

    def interaction(self, fields: RecordReader) -> InteractionCreate:
        seller = fields.need_text("seller", max_length=200)
        order_ref = fields.need_text("order_ref", max_length=200)
        event = fields.choice("event", EVENTS, required=True) or "order_placed"
        event_id = fields.text("event_id", max_length=300)
        occurred_at = fields.need_timestamp("occurred_at")
        email = fields.email("customer_email")
        phone = fields.phone("customer_phone", country_field="customer_country")
        country = fields.country("customer_country")
        customer_ref = fields.text("customer_ref", max_length=200)
        if not any(fields.record.get(f) for f in ("customer_email", "customer_phone", "customer_ref")):
            fields.fail("customer_email", "give customer_email, customer_phone or customer_ref")
        name = fields.text("customer_name", max_length=200)
        address = fields.text("customer_address", max_length=1000)
        items = _items(fields)
        total = fields.amount("total")
        currency = fields.text("currency", max_length=3)
        if currency is not None and not (len(currency) == 3 and currency.isalpha()):
            fields.fail("currency", "must be an ISO currency code such as EUR")
        if (total is not None or any("unit_price" in i for i in items)) and currency is None:
            fields.fail("currency", "required with amounts")
        status = fields.text("status", max_length=100)
        comment = fields.text("comment", max_length=20_000)
        flagged = fields.boolean("needs_answer")
        language = fields.text("language", max_length=16)
        fields.done()
        is_return = event in RETURN_EVENTS
        if flagged is None:
            flagged = is_return and comment is not None  # a customer's comment on a return is read by a person
        details: dict[str, Any] = {"event": event, "items": items, "total": total, "status": status}
        details["currency"] = currency.upper() if currency else None
        return InteractionCreate(
            channel="commerce",
            kind="return" if is_return else "order",
            external_id=event_id or f"{seller}:{order_ref}:{event}",
            occurred_at=occurred_at,
            direction="inbound",
            customer=CustomerIn(
                email=email,
                phone=phone,
                seller=seller if customer_ref else None,
                customer_ref=customer_ref,
                name=name,
                country=country,
                address=address,
                language=language,
            ),
            thread_ref=f"{seller}:{order_ref}",
            subject=SUBJECTS[event].format(ref=order_ref),
            text=comment,
            seller=seller,
            order_ref=order_ref,
            needs_answer=flagged,
            metadata={k: v for k, v in details.items() if v not in (None, [])},
        )


def _items(fields: RecordReader) -> list[dict[str, Any]]:
    """Order lines as {sku, name, quantity, unit_price}, each field checked."""
    value = json_cell(fields.record.get("items"))
    if value in (None, "", []):
        return []
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        fields.fail("items", f"must be a list (JSON text in a file) of at most {MAX_ITEMS} order lines")
        return []
    lines = []
    for position, item in enumerate(value):
        where = f"items[{position}]"
        if not isinstance(item, dict):
            fields.fail(where, "must be an object")
            continue
        unknown = set(item) - {"sku", "name", "quantity", "unit_price"}
        if unknown:
            fields.fail(where, f"unknown field {sorted(unknown)[0]}")
        line = RecordReader(item, fields=frozenset(item))
        sku = line.text("sku", max_length=100)
        name = line.text("name", max_length=500)
        quantity = line.integer("quantity", low=1, high=1_000_000)
        price = line.amount("unit_price")
        if not (sku or name):
            line.fail("sku", "give the sku or the name")
        fields.errors.extend(f"{where}.{reason}" for reason in line.errors)
        entry: dict[str, Any] = {"sku": sku, "name": name, "quantity": quantity or 1, "unit_price": price}
        lines.append({k: v for k, v in entry.items() if v is not None})
    return lines


def _store_order(order: dict[str, Any]) -> dict[str, Any]:
    """A Shopify-like order as the flat record of its latest event."""
    fulfilment = next(iter(order.get("fulfillments") or []), None) or {}
    if order.get("cancelled_at"):
        event, at = "order_cancelled", order["cancelled_at"]
    elif order.get("financial_status") == "refunded":
        event, at = "refunded", order.get("updated_at")
    elif fulfilment.get("shipment_status") == "delivered":
        event, at = "order_delivered", fulfilment.get("updated_at")
    elif order.get("fulfillment_status") == "fulfilled" or fulfilment:
        event, at = "order_shipped", fulfilment.get("created_at") or order.get("updated_at")
    else:
        event, at = "order_placed", order.get("created_at")
    customer = order.get("customer") or {}
    address = order.get("shipping_address") or order.get("billing_address") or {}
    name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p) or address.get("name")
    status_url = order.get("order_status_url")
    seller = urlparse(status_url).hostname if isinstance(status_url, str) else None
    record = {
        "seller": seller or "e-store",
        "order_ref": order.get("name") or str(order.get("order_number")),
        "event": event,
        "event_id": f"{order.get('id')}:{event}" if order.get("id") else None,
        "occurred_at": at,
        "customer_name": name,
        "customer_email": order.get("email") or customer.get("email"),
        "customer_phone": order.get("phone") or customer.get("phone"),
        "customer_country": address.get("country_code"),
        "customer_address": ", ".join(
            str(address[k]) for k in ("address1", "address2", "city", "zip", "country") if address.get(k)
        )
        or None,
        "customer_ref": str(customer["id"]) if customer.get("id") else None,
        "items": [
            {
                "sku": line.get("sku"),
                "name": line.get("title"),
                "quantity": line.get("quantity"),
                "unit_price": line.get("price"),
            }
            for line in order.get("line_items") or []
            if isinstance(line, dict)
        ],
        "total": order.get("total_price"),
        "currency": order.get("currency"),
        "comment": order.get("note") if event in RETURN_EVENTS else None,
    }
    for line in record["items"]:
        for key in [k for k, v in line.items() if v is None]:
            del line[key]
    return {k: v for k, v in record.items() if v not in (None, "")}


def _marketplace_return(report: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """One row of an Amazon-like returns report as a flat return_requested record."""
    marketplace = report.get("marketplace") or "marketplace"
    refunded = row.get("refunded-amount")
    try:
        was_refunded = Decimal(str(refunded)) > 0 if refunded not in (None, "") else False
    except InvalidOperation:
        was_refunded = True  # kept as the total, where the flat record's check names the bad amount
    record = {
        "seller": marketplace,
        "order_ref": row.get("order-id"),
        "event": "refunded" if was_refunded else "return_requested",
        "event_id": row.get("amazon-rma-id"),
        "occurred_at": row.get("return-request-date"),
        "customer_name": row.get("buyer-name"),
        "customer_email": row.get("buyer-email"),
        "items": [
            {
                k: v
                for k, v in {
                    "sku": row.get("merchant-sku"),
                    "name": row.get("item-name"),
                    "quantity": row.get("return-quantity"),
                }.items()
                if v is not None
            }
        ],
        "total": refunded or row.get("order-amount"),
        "currency": row.get("currency-code"),
        "status": " / ".join(str(v) for v in (row.get("return-request-status"), row.get("return-reason")) if v),
        "comment": row.get("customer-comments"),
        "language": report.get("language"),
    }
    return {k: v for k, v in record.items() if v not in (None, "")}


register(CommerceAdapter())
