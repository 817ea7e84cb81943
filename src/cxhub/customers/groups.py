"""Which customer group a customer belongs to: the rule routing and the customer's profile share (no database)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from cxhub.customers.models import CustomerGroup

# (country, sellers in lower case, lifetime orders): what a group's rules look at
CustomerFacts = tuple[str | None, set[str], int]


def group_of(
    groups: Sequence[CustomerGroup],
    *,
    customer_id: str,
    facts: CustomerFacts,
    listed: Collection[tuple[str, str]],
) -> CustomerGroup | None:
    """The first group (in the given order) that lists the customer, or whose every rule holds for them."""
    country, sellers, orders = facts
    for group in groups:
        if (group.id, customer_id) in listed:
            return group
        has_rule = bool(group.countries or group.sellers or group.min_lifetime_orders)
        if not has_rule:
            continue
        if group.countries and country not in group.countries:
            continue
        if group.sellers and not {s.strip().lower() for s in group.sellers} & sellers:
            continue
        if group.min_lifetime_orders and orders < group.min_lifetime_orders:
            continue
        return group
    return None
