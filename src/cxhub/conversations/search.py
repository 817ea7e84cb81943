"""Full-text search over conversations and customers, scoped by the partner boundaries.

PostgreSQL answers from GIN indexes on `tsvector` expressions and reads the query with
`websearch_to_tsquery`; SQLite from FTS5 tables that triggers keep in step (migration 0006).
Both understand the same small syntax: words (all must match), "a phrase", `or`, `-word`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    tuple_,
    union,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.conversations.models import Conversation, Interaction
from cxhub.conversations.repository import readable_conversations
from cxhub.conversations.schemas import ConversationHit, CustomerHit, IdentifierHit
from cxhub.customers import identifiers as ids
from cxhub.customers.models import Customer, CustomerIdentity
from cxhub.customers.service import PERSONAL_FIELD_OF_KIND, shown_identity, shown_name
from cxhub.errors import CxhubError
from cxhub.kit.pagination import paginate

# the index expressions of migration 0006, verbatim: the planner uses an index only for its own expression
INTERACTION_DOCUMENT: ColumnElement[Any] = literal_column(
    "to_tsvector('simple', left(coalesce(interactions.subject, '') || ' ' || coalesce(interactions.text, ''), 100000))"
)
CONVERSATION_DOCUMENT: ColumnElement[Any] = literal_column("to_tsvector('simple', coalesce(conversations.subject, ''))")
CUSTOMER_DOCUMENT: ColumnElement[Any] = literal_column("to_tsvector('simple', coalesce(customers.name, ''))")
IDENTITY_DOCUMENT: ColumnElement[Any] = literal_column("to_tsvector('simple', customer_identities.value)")

SIMPLE: ColumnElement[Any] = literal_column("'simple'")  # a literal, not a parameter: one text search configuration
SEARCHABLE_KINDS = (ids.EMAIL, ids.PHONE, ids.SOCIAL, ids.SELLER_REF)  # a visitor id is a token, not a name
MARK_START, MARK_END = "\ue000", "\ue001"  # private-use characters: escaped text can never hold them by accident
SNIPPET_WORDS = 16
_HEADLINE_OPTIONS = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS}, MinWords=6"

_fts_interactions = table(
    "search_interactions", column("search_interactions"), column("interaction_id"), column("conversation_id")
)
_fts_conversations = table("search_conversations", column("search_conversations"), column("conversation_id"))
_fts_customers = table("search_customers", column("search_customers"), column("customer_id"), column("kind"))
_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Query:
    """The searcher's words, cleaned for each dialect: `text` for PostgreSQL, `fts5` for SQLite's MATCH."""

    text: str
    fts5: str


def parse_query(raw: str) -> Query | None:
    """None when nothing searchable is left (punctuation only): the answer is then an empty page.

    Every FTS5 term is a quoted phrase of word characters, so no input is read as FTS5 syntax.
    """
    text = raw.replace("\x00", " ")
    terms: list[tuple[bool, str]] = []  # (negated, phrase); ("", "or") marks an OR
    for match in _TERM.finditer(text):
        negated = bool(match.group(1) or match.group(3))
        words = _WORD.findall(match.group(2) if match.group(2) is not None else match.group(4))
        if words:
            terms.append((negated, " ".join(words)))
    groups: list[list[tuple[bool, str]]] = [[]]
    for position, (negated, phrase) in enumerate(terms):
        between_terms = 0 < position < len(terms) - 1 and groups[-1]
        if not negated and phrase.lower() == "or" and between_terms:
            groups.append([])
        else:
            groups[-1].append((negated, phrase))
    alternatives = []
    for group in groups:
        wanted = [f'"{phrase}"' for negated, phrase in group if not negated]
        if wanted:
            unwanted = "".join(f' NOT "{phrase}"' for negated, phrase in group if negated)
            alternatives.append(f"({' AND '.join(wanted)}{unwanted})")
    if not alternatives:
        return None
    return Query(text=text, fts5=" OR ".join(alternatives))


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _tsquery(query: Query) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(SIMPLE, query.text)


def search_conversations(
    session: Session, *, actor: Actor, query: Query, cursor: str | None, limit: int
) -> tuple[list[ConversationHit], str | None]:
    """Conversations in scope whose subject or any interaction's subject or text matches, newest first."""
    if _is_postgres(session):
        tsquery = _tsquery(query)
        # two questions, each answered by the plan that suits it: a common word walks the newest
        # conversations and stops at a page, a rare one reads the GIN index; an OR would force one plan
        conditions = [
            exists().where(Interaction.conversation_id == Conversation.id, INTERACTION_DOCUMENT.op("@@")(tsquery)),
            CONVERSATION_DOCUMENT.op("@@")(tsquery),
        ]
    else:
        fts_interactions, fts_conversations = _fts_interactions, _fts_conversations
        conditions = [
            Conversation.id.in_(
                union(
                    select(fts_interactions.c.conversation_id).where(
                        fts_interactions.c.search_interactions.match(query.fts5)
                    ),
                    select(fts_conversations.c.conversation_id).where(
                        fts_conversations.c.search_conversations.match(query.fts5)
                    ),
                )
            )
        ]
    statement = readable_conversations(actor)
    if cursor:
        after = session.get(Conversation, cursor)
        if after is None:
            raise CxhubError("cursor is not valid", status=422, field="cursor")
        statement = statement.where(
            or_(
                Conversation.updated_at < after.updated_at,
                and_(Conversation.updated_at == after.updated_at, Conversation.id < after.id),
            )
        )
    newest = statement.order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(limit + 1)
    found = {c.id: c for condition in conditions for c in session.scalars(newest.where(condition))}
    rows = sorted(found.values(), key=lambda c: (c.updated_at, c.id), reverse=True)[: limit + 1]
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    rows = rows[:limit]
    snippets = _snippets(session, query, [c.id for c in rows])
    hits = [
        ConversationHit(
            id=c.id,
            subject=c.subject,
            channel=c.channel,
            status=c.status,
            customer_id=c.customer_id,
            snippet=snippets.get(c.id),
            updated_at=c.updated_at,
        )
        for c in rows
    ]
    return hits, next_cursor


def _snippets(session: Session, query: Query, conversation_ids: Sequence[str]) -> dict[str, str]:
    """The text around the match for each conversation: its newest matching interaction, else its subject."""
    if not conversation_ids:
        return {}
    marked: dict[str, str] = {}
    if _is_postgres(session):
        tsquery = _tsquery(query)
        document = func.left(func.coalesce(Interaction.subject, "") + " " + func.coalesce(Interaction.text, ""), 100000)
        rows: Sequence[Any] = session.execute(
            select(Interaction.conversation_id, func.ts_headline(SIMPLE, document, tsquery, _HEADLINE_OPTIONS))
            .where(Interaction.conversation_id.in_(conversation_ids), INTERACTION_DOCUMENT.op("@@")(tsquery))
            .ext(distinct_on(Interaction.conversation_id))
            .order_by(Interaction.conversation_id, Interaction.occurred_at.desc())
        ).all()
        marked.update((row[0], row[1]) for row in rows)
        missing = [c for c in conversation_ids if c not in marked]
        if missing:
            subjects = select(
                Conversation.id,
                func.ts_headline(SIMPLE, func.coalesce(Conversation.subject, ""), tsquery, _HEADLINE_OPTIONS),
            ).where(Conversation.id.in_(missing))
            marked.update((row[0], row[1]) for row in session.execute(subjects))
    else:
        fts = _fts_interactions
        newest_first = (
            select(fts.c.conversation_id, _fts_snippet("search_interactions"))
            .join(Interaction, Interaction.id == fts.c.interaction_id)
            .where(fts.c.search_interactions.match(query.fts5), fts.c.conversation_id.in_(conversation_ids))
            .order_by(Interaction.occurred_at)
        )
        marked.update((row[0], row[1]) for row in session.execute(newest_first))  # the last one written stays
        missing = [c for c in conversation_ids if c not in marked]
        if missing:
            subjects = select(_fts_conversations.c.conversation_id, _fts_snippet("search_conversations")).where(
                _fts_conversations.c.search_conversations.match(query.fts5),
                _fts_conversations.c.conversation_id.in_(missing),
            )
            marked.update((row[0], row[1]) for row in session.execute(subjects))
    return {key: _as_html(value) for key, value in marked.items() if value and MARK_START in value}


def _fts_snippet(name: str) -> ColumnElement[Any]:
    return func.snippet(literal_column(name), -1, MARK_START, MARK_END, "…", SNIPPET_WORDS)


def _as_html(marked: str) -> str:
    return html.escape(marked.strip()).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def readable_customers(actor: Actor) -> Select[Customer]:
    """In-house: the customers of the actor's brands. Partner: customers of conversations they may read."""
    statement = select(Customer)
    if actor.brand_ids is not None:
        statement = statement.where(Customer.brand_id.in_(actor.brand_ids))
    if actor.is_partner:
        statement = statement.where(
            Customer.id.in_(readable_conversations(actor).with_only_columns(Conversation.customer_id))
        )
    return statement


def searchable_fields(actor: Actor) -> tuple[bool, tuple[str, ...]]:
    """(the name counts, identifier kinds that count): only what the actor reads in full.

    A partner whose policy masks or hides a field must not learn that the field matched, so a
    match on it does not count for them at all.
    """
    name = actor.visibility("name") == "full"
    kinds = tuple(k for k in SEARCHABLE_KINDS if actor.visibility(PERSONAL_FIELD_OF_KIND.get(k, "name")) == "full")
    return name, kinds


def search_customers(
    session: Session, *, actor: Actor, query: Query, cursor: str | None, limit: int
) -> tuple[list[CustomerHit], str | None]:
    """Customers in scope whose name or an identifier matches, newest first, shown per the data policy."""
    name_counts, kinds = searchable_fields(actor)
    if not (name_counts or kinds):
        return [], None
    if _is_postgres(session):
        tsquery = _tsquery(query)
        by_identity = select(CustomerIdentity.customer_id).where(
            IDENTITY_DOCUMENT.op("@@")(tsquery), CustomerIdentity.kind.in_(kinds)
        )
        by_name = select(Customer.id).where(CUSTOMER_DOCUMENT.op("@@")(tsquery) if name_counts else false())
        matched = Customer.id.in_(union(by_identity, by_name))  # an OR of the two would scan every customer
    else:
        fts = _fts_customers
        counted = (*kinds, "name") if name_counts else kinds
        matched = Customer.id.in_(
            select(fts.c.customer_id).where(fts.c.search_customers.match(query.fts5), fts.c.kind.in_(counted))
        )
    rows, next_cursor = paginate(
        session, readable_customers(actor).where(matched), Customer.id, cursor=cursor, limit=limit, newest_first=True
    )
    identities = _matching_identities(session, query, [c.id for c in rows], kinds)
    hits = []
    for customer in rows:
        identity = identities.get(customer.id)
        hits.append(
            CustomerHit(
                id=customer.id,
                name=shown_name(session, customer=customer, actor=actor),
                identifier=IdentifierHit(
                    kind=identity.kind, value=shown_identity(session, identity=identity, actor=actor)
                )
                if identity
                else None,
            )
        )
    return hits, next_cursor


def _matching_identities(
    session: Session, query: Query, customer_ids: Sequence[str], kinds: Sequence[str]
) -> dict[str, CustomerIdentity]:
    """The first identifier (of the kinds that count) that matched, for each customer."""
    if not customer_ids or not kinds:
        return {}
    statement = select(CustomerIdentity).where(
        CustomerIdentity.customer_id.in_(customer_ids), CustomerIdentity.kind.in_(kinds)
    )
    if _is_postgres(session):
        statement = statement.where(IDENTITY_DOCUMENT.op("@@")(_tsquery(query)))
    else:
        fts = _fts_customers
        matched = select(fts.c.customer_id, fts.c.kind, literal_column("search_customers.value")).where(
            fts.c.search_customers.match(query.fts5), fts.c.customer_id.in_(customer_ids)
        )
        statement = statement.where(
            tuple_(CustomerIdentity.customer_id, CustomerIdentity.kind, CustomerIdentity.value).in_(matched)
        )
    found: dict[str, CustomerIdentity] = {}
    for identity in session.scalars(statement.order_by(CustomerIdentity.first_seen_at)):
        found.setdefault(identity.customer_id, identity)
    return found
