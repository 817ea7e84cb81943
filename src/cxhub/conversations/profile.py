"""The single customer view: one customer's profile and timeline, as the viewer may see them.

It lives with conversations because it is made of them: a customer's identities (customers
domain) beside their conversations, orders and who served them. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.auth.service import reveal_personal_field
from cxhub.conversations.lifetime import LifetimeOrders, customer_facts, lifetime_orders
from cxhub.conversations.models import Conversation, Interaction
from cxhub.conversations.quoting import visible_text
from cxhub.conversations.repository import assignment_names, readable_conversations, timeline_page
from cxhub.customers.groups import group_of
from cxhub.customers.merge import live_customer_id, merges_of
from cxhub.customers.models import (
    Customer,
    CustomerGroup,
    CustomerGroupMember,
    CustomerIdentity,
    CustomerMerge,
    MatchCandidate,
)
from cxhub.customers.schemas import CustomerRead, IdentityRead
from cxhub.customers.service import customer_read, shown_name
from cxhub.errors import NotFound
from cxhub.workforce.models import Agent, Organisation, Team

OPEN_STATUSES = ("new", "open", "pending_customer")  # order threads that need no answer are not "open" work
KIND_ORDER = ("email", "phone", "social", "seller_ref", "visitor", "address")
NOT_CONTACTS = ("order", "return")  # order and return events: records, not the customer speaking to the brand
REVIEW_URL = "/customers/review"


class Found(NamedTuple):
    customer: Customer
    survivor_id: str | None  # merged away: the customer that holds its records now
    readable: frozenset[str]  # the customer's conversations the viewer reads in full


def customer_in_scope(session: Session, *, actor: Actor, customer_id: str) -> Found:
    """The customer if the viewer may see them ("missing" and "not yours" are both NotFound).

    In-house staff see every customer of their brands; a partner only the customers of conversations
    they may read. A merged-away customer is found when its survivor is, with the survivor's id.
    """
    customer = session.get(Customer, customer_id)
    if customer is None or (actor.brand_ids is not None and customer.brand_id not in actor.brand_ids):
        raise NotFound("customer")
    survivor_id = None
    live = customer
    if customer.merged_into_id is not None:
        survivor_id = live_customer_id(session, customer.id)
        survivor = session.get(Customer, survivor_id)
        if survivor is None:
            raise NotFound("customer")
        live = survivor
    readable = frozenset(
        session.scalars(
            readable_conversations(actor).with_only_columns(Conversation.id).where(Conversation.customer_id == live.id)
        )
    )
    if actor.is_partner and not readable:
        raise NotFound("customer")  # a partner knows only the customers of their work
    return Found(customer, survivor_id, readable)


# the profile


@dataclass(frozen=True)
class IdentityGroup:
    kind: str
    identities: list[IdentityRead]


@dataclass(frozen=True)
class MixEntry:
    name: str
    interactions: int


@dataclass(frozen=True)
class OpenConversation:
    id: str | None  # None: another provider's work, shown as a summary
    channel: str
    status: str
    subject: str | None
    agent: str | None
    provider: str | None  # the organisation it is queued for or assigned to
    updated_at: dt.datetime
    summary_only: bool


@dataclass(frozen=True)
class Owner:
    group_id: str
    group: str
    agent: str | None
    team: str | None
    how_to_reach: str  # the routing rule that sends the customer's conversations to the owner first


@dataclass(frozen=True)
class MergeEntry:
    id: str
    survivor_id: str
    merged_id: str
    decided_by: str
    match_probability: float | None
    at: dt.datetime
    undone_at: dt.datetime | None


@dataclass(frozen=True)
class MergeSummary:
    records_merged_in: int  # customer records that are now part of this one
    undone: int
    merges: list[MergeEntry]


@dataclass(frozen=True)
class PossibleDuplicate:
    candidate_id: str
    customer_id: str
    name: str | None
    match_probability: float
    source: str | None
    found_at: dt.datetime


@dataclass(frozen=True)
class SurveyResponse:
    survey: str
    answered_at: dt.datetime
    score: float | None
    comment: str | None
    conversation_id: str | None


@dataclass(frozen=True)
class CustomerProfile:
    customer: CustomerRead
    best_name: str | None
    erased: bool
    identities: list[IdentityGroup]
    channel_mix: list[MixEntry]
    seller_mix: list[MixEntry]
    lifetime_orders: LifetimeOrders
    lifetime_contacts: int  # conversations in which the customer and the brand spoke
    open_conversations: list[OpenConversation]
    owner: Owner | None
    merges: MergeSummary | None  # None for a partner: merges are the brand's own business
    possible_duplicates: list[PossibleDuplicate]  # pending pairs from identity resolution (in-house only)
    review_url: str
    surveys: list[SurveyResponse]


class NameSeen(NamedTuple):
    name: str
    verified: bool
    seen_at: dt.datetime


def best_name(names: Sequence[NameSeen]) -> str | None:
    """The most recently seen name of a record with a verified identifier, else the most frequent one.

    Spellings that differ only in case and spacing are the same name; a tie goes to the most recent.
    """
    named = [n for n in names if n.name.strip()]
    if not named:
        return None
    verified = [n for n in named if n.verified]
    if verified:
        return max(verified, key=lambda n: n.seen_at).name.strip()

    def key(name: str) -> str:
        return " ".join(name.split()).casefold()

    counts = Counter(key(n.name) for n in named)
    return max(named, key=lambda n: (counts[key(n.name)], n.seen_at)).name.strip()


def _records_of(session: Session, customer: Customer) -> tuple[list[CustomerMerge], list[NameSeen]]:
    """The merges in effect that made this customer, and the name each of its records gave."""
    in_effect: list[CustomerMerge] = []
    frontier = [customer.id]
    while frontier:  # merges into customers that were merged in later, too
        found = list(
            session.scalars(
                select(CustomerMerge).where(CustomerMerge.survivor_id.in_(frontier), CustomerMerge.undone_at.is_(None))
            )
        )
        in_effect += found
        frontier = [m.merged_id for m in found]
    in_effect.sort(key=lambda m: (m.at, m.id))
    origin: dict[str, str] = {}  # identity id -> the customer record it came with
    for merge in in_effect:
        for key in merge.moved.get(CustomerIdentity.__tablename__, []):
            origin.setdefault(str(key[0]), merge.merged_id)
    identities = session.execute(
        select(CustomerIdentity.id, CustomerIdentity.verified, CustomerIdentity.last_seen_at).where(
            CustomerIdentity.customer_id == customer.id
        )
    ).all()
    records = {customer.id: customer}
    merged_ids = [m.merged_id for m in in_effect]
    if merged_ids:
        records.update({c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(merged_ids)))})
    seen: dict[str, tuple[bool, dt.datetime]] = {}
    for identity_id, verified, last_seen_at in identities:
        record_id = origin.get(identity_id, customer.id)
        was_verified, was_seen = seen.get(record_id, (False, last_seen_at))
        seen[record_id] = (was_verified or verified, max(was_seen, last_seen_at))
    names = [
        NameSeen(record.name, *seen.get(record.id, (False, record.created_at)))
        for record in records.values()
        if record.name
    ]
    return in_effect, names


def _identity_groups(shown: CustomerRead) -> list[IdentityGroup]:
    kinds = sorted({i.kind for i in shown.identities}, key=lambda k: (*KIND_ORDER, k).index(k))
    return [IdentityGroup(kind, [i for i in shown.identities if i.kind == kind]) for kind in kinds]


def _mix(session: Session, customer_id: str, column: object) -> list[MixEntry]:
    rows = session.execute(
        select(column, func.count())  # type: ignore[call-overload]
        .where(Interaction.customer_id == customer_id, column.isnot(None))  # type: ignore[attr-defined]
        .group_by(column)
    ).all()
    return [MixEntry(name, count) for name, count in sorted(rows, key=lambda r: (-r[1], r[0]))]


def _contacts(session: Session, customer_id: str) -> int:
    return int(
        session.scalar(
            select(func.count(func.distinct(Interaction.conversation_id))).where(
                Interaction.customer_id == customer_id, Interaction.kind.not_in(NOT_CONTACTS)
            )
        )
        or 0
    )


def _open_conversations(session: Session, customer_id: str, readable: frozenset[str]) -> list[OpenConversation]:
    rows = session.scalars(
        select(Conversation)
        .where(Conversation.customer_id == customer_id, Conversation.status.in_(OPEN_STATUSES))
        .where(or_(Conversation.channel != "commerce", Conversation.needs_answer.is_(True)))
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
    ).all()
    names = assignment_names(session, rows)
    found = []
    for c in rows:
        full = c.id in readable
        found.append(
            OpenConversation(
                id=c.id if full else None,
                channel=c.channel,
                status=c.status,
                subject=c.subject if full else None,
                agent=names.get(c.agent_id or "") if full else None,
                provider=names.get(c.organisation_id or ""),
                updated_at=c.updated_at,
                summary_only=not full,
            )
        )
    return found


def _owner(session: Session, customer: Customer, shown_as: str | None) -> Owner | None:
    groups = session.scalars(
        select(CustomerGroup)
        .where(CustomerGroup.brand_id == customer.brand_id)
        .order_by(CustomerGroup.position, CustomerGroup.id)
    ).all()
    if not groups:
        return None
    listed = set(
        session.execute(
            select(CustomerGroupMember.group_id, CustomerGroupMember.customer_id).where(
                CustomerGroupMember.customer_id == customer.id
            )
        ).all()
    )
    facts = customer_facts(session, [customer.id])[customer.id]
    group = group_of(groups, customer_id=customer.id, facts=facts, listed={(g, c) for g, c in listed})
    if group is None:
        return None
    agent_name = (
        session.scalar(select(User.name).join(Agent, Agent.user_id == User.id).where(Agent.id == group.owner_agent_id))
        if group.owner_agent_id
        else None
    )
    team = session.get(Team, group.owner_team_id) if group.owner_team_id else None
    who = shown_as or "this customer"
    if agent_name and team:
        first = f"to {agent_name} first, then to the agent of {team.name} idle longest"
    elif agent_name:
        first = f"to {agent_name} first"
    else:
        first = f"to the agent of {team.name if team else 'the owner team'} idle longest first"
    how = (
        f"Every conversation from {who} is offered {first}, on any queue and channel; when the owner is not "
        "free, a queue with an owner wait holds it for them that long before it goes the usual way."
    )
    return Owner(group.id, group.name, agent_name, team.name if team else None, how)


MERGES_SHOWN = 20  # the newest; the merges API pages through the rest


def _merge_summary(session: Session, customer: Customer, in_effect: list[CustomerMerge]) -> MergeSummary:
    merges, _ = merges_of(session, customer_id=customer.id, cursor=None, limit=MERGES_SHOWN)
    return MergeSummary(
        records_merged_in=len(in_effect),
        undone=session.scalar(
            select(func.count())
            .select_from(CustomerMerge)
            .where(
                (CustomerMerge.survivor_id == customer.id) | (CustomerMerge.merged_id == customer.id),
                CustomerMerge.undone_at.is_not(None),
            )
        )
        or 0,
        merges=[
            MergeEntry(m.id, m.survivor_id, m.merged_id, m.decided_by, m.match_probability, m.at, m.undone_at)
            for m in merges
        ],
    )


def _possible_duplicates(session: Session, customer: Customer, actor: Actor) -> list[PossibleDuplicate]:
    candidates = session.scalars(
        select(MatchCandidate)
        .where(
            MatchCandidate.brand_id == customer.brand_id,
            MatchCandidate.status == "pending",
            (MatchCandidate.customer_id_l == customer.id) | (MatchCandidate.customer_id_r == customer.id),
        )
        .order_by(MatchCandidate.match_probability.desc(), MatchCandidate.id)
    ).all()
    other_ids = {m.customer_id_r if m.customer_id_l == customer.id else m.customer_id_l for m in candidates}
    others = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(other_ids)))} if other_ids else {}
    found = []
    for m in candidates:
        left = m.customer_id_l == customer.id
        other = others[m.customer_id_r if left else m.customer_id_l]
        found.append(
            PossibleDuplicate(
                candidate_id=m.id,
                customer_id=other.id,
                name=shown_name(session, customer=other, actor=actor),
                match_probability=m.match_probability,
                source=m.source_r if left else m.source_l,
                found_at=m.created_at,
            )
        )
    return found


def survey_history(session: Session, *, customer_id: str) -> list[SurveyResponse]:
    """The customer's survey answers, newest first. Measurement records surveys; until it does, there are none."""
    return []


def build_profile(session: Session, *, found: Found, actor: Actor) -> CustomerProfile:
    """Everything the brand knows about one live customer, as the viewer may see it."""
    customer, readable = found.customer, found.readable
    shown = customer_read(session, customer=customer, actor=actor)
    in_effect, names = _records_of(session, customer)
    name = best_name(names)
    shown_best = reveal_personal_field(
        session, actor=actor, value=name, personal_field="name", subject_type="customer", subject_id=customer.id
    )
    return CustomerProfile(
        customer=shown,
        best_name=shown_best,
        erased=customer.erased_at is not None,
        identities=_identity_groups(shown),
        channel_mix=_mix(session, customer.id, Interaction.channel),
        seller_mix=_mix(session, customer.id, Interaction.seller),
        lifetime_orders=lifetime_orders(session, [customer.id])[customer.id],
        lifetime_contacts=_contacts(session, customer.id),
        open_conversations=_open_conversations(session, customer.id, readable),
        owner=_owner(session, customer, shown_best),
        merges=None if actor.is_partner else _merge_summary(session, customer, in_effect),
        possible_duplicates=[] if actor.is_partner else _possible_duplicates(session, customer, actor),
        review_url=REVIEW_URL,
        surveys=survey_history(session, customer_id=customer.id),
    )


# the timeline


@dataclass(frozen=True)
class TimelineEntry:
    id: str
    occurred_at: dt.datetime
    channel: str
    kind: str
    direction: str
    seller: str | None
    provider: str | None  # the organisation that handled it
    summary_only: bool  # another provider's work: when, where and who, without the content
    conversation_id: str | None
    conversation_status: str | None
    subject: str | None
    text: str | None  # the message without quoted replies and signatures
    order_ref: str | None
    rating: int | None


def timeline(
    session: Session, *, found: Found, cursor: str | None, limit: int
) -> tuple[list[TimelineEntry], str | None]:
    """Every interaction of the customer across channels, sellers and providers, newest first.

    The viewer's own work (a partner: what they may read) comes in full; other providers' work as a
    summary without content.
    """
    rows, next_cursor = timeline_page(session, customer_id=found.customer.id, cursor=cursor, limit=limit)
    conversations = {
        c.id: c
        for c in session.scalars(select(Conversation).where(Conversation.id.in_({i.conversation_id for i, _ in rows})))
    }
    handlers = {o for _, o in rows if o}
    organisations = (
        dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(handlers))).all())
        if handlers
        else {}
    )
    entries = []
    for interaction, handler in rows:
        full = interaction.conversation_id in found.readable
        conversation = conversations[interaction.conversation_id]
        entries.append(
            TimelineEntry(
                id=interaction.id,
                occurred_at=interaction.occurred_at,
                channel=interaction.channel,
                kind=interaction.kind,
                direction=interaction.direction,
                seller=interaction.seller,
                provider=organisations.get(handler or ""),
                summary_only=not full,
                conversation_id=conversation.id if full else None,
                conversation_status=conversation.status if full else None,
                subject=(interaction.subject or conversation.subject) if full else None,
                text=visible_text(interaction.text) if full else None,
                order_ref=interaction.order_ref if full else None,
                rating=interaction.rating if full else None,
            )
        )
    return entries, next_cursor
