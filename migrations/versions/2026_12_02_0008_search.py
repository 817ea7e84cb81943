"""Search: full-text indexes over interactions, conversation subjects, customer names and identifiers.

PostgreSQL: GIN indexes on `tsvector` expressions (the `simple` configuration: customers write in
many languages), so every writer, COPY included, keeps them current. SQLite: FTS5 tables kept in
step by triggers. Neither is part of the ORM metadata: `cxhub.models_registry.include_object`
leaves these objects (named `search_*`, `ix_search_*`) out of autogenerate's comparison.

A batch migration on SQLite recreates its table and drops that table's triggers: a later revision
that alters `interactions`, `conversations`, `customers` or `customer_identities` in batch mode
runs `_create_sqlite_triggers` again (copy the statements; migrations share no code).

Revision ID: 0008_search
Revises: 0007_workspace
Create Date: 2026-12-02 05:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_search"
down_revision: str | None = "0007_workspace"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the same expressions as cxhub.conversations.search: the planner uses an index only for its own expression
POSTGRES_INDEXES = {
    "ix_search_interactions": (
        "interactions",
        "to_tsvector('simple', left(coalesce(interactions.subject, '') || ' ' || coalesce(interactions.text, ''),"
        " 100000))",
    ),
    "ix_search_conversations": ("conversations", "to_tsvector('simple', coalesce(conversations.subject, ''))"),
    "ix_search_customers": ("customers", "to_tsvector('simple', coalesce(customers.name, ''))"),
    "ix_search_customer_identities": ("customer_identities", "to_tsvector('simple', customer_identities.value)"),
}

TOKENIZER = "tokenize = 'unicode61 remove_diacritics 0'"  # accents count, as with PostgreSQL's `simple`
SQLITE_TABLES = {
    "search_interactions": f"interaction_id UNINDEXED, conversation_id UNINDEXED, subject, text, {TOKENIZER}",
    "search_conversations": f"conversation_id UNINDEXED, subject, {TOKENIZER}",
    "search_customers": f"customer_id UNINDEXED, kind UNINDEXED, value, {TOKENIZER}",
}

# FTS5 finds a row by its rowid only: `search_keys` maps each source row to its full-text row, so that
# an update or delete touches one row instead of scanning the whole full-text table
KEYS_TABLE = (
    "CREATE TABLE search_keys (fts TEXT NOT NULL, source_key TEXT NOT NULL, fts_rowid INTEGER NOT NULL, "
    "PRIMARY KEY (fts, source_key)) WITHOUT ROWID"
)
INTERACTION = "new.subject IS NOT NULL OR new.text IS NOT NULL"
IDENTITY_KEY = "'identity:' || {row}.kind || ':' || {row}.value || ':' || {row}.customer_id"


def _forget(fts: str, key: str) -> str:
    return f"""DELETE FROM search_{fts} WHERE rowid = (SELECT fts_rowid FROM search_keys WHERE fts = '{fts}' AND source_key = {key});
      DELETE FROM search_keys WHERE fts = '{fts}' AND source_key = {key};"""


def _remember(fts: str, key: str, when: str = "1") -> str:
    return (
        f"INSERT INTO search_keys (fts, source_key, fts_rowid) SELECT '{fts}', {key}, last_insert_rowid() WHERE {when};"
    )


SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER search_interactions_insert AFTER INSERT ON interactions
    WHEN {INTERACTION} BEGIN
      INSERT INTO search_interactions (interaction_id, conversation_id, subject, text)
      VALUES (new.id, new.conversation_id, new.subject, new.text);
      {_remember("interactions", "new.id")}
    END""",
    f"""CREATE TRIGGER search_interactions_update AFTER UPDATE OF conversation_id, subject, text ON interactions BEGIN
      {_forget("interactions", "old.id")}
      INSERT INTO search_interactions (interaction_id, conversation_id, subject, text)
      SELECT new.id, new.conversation_id, new.subject, new.text WHERE {INTERACTION};
      {_remember("interactions", "new.id", INTERACTION)}
    END""",
    f"""CREATE TRIGGER search_interactions_delete AFTER DELETE ON interactions BEGIN
      {_forget("interactions", "old.id")}
    END""",
    f"""CREATE TRIGGER search_conversations_insert AFTER INSERT ON conversations
    WHEN new.subject IS NOT NULL BEGIN
      INSERT INTO search_conversations (conversation_id, subject) VALUES (new.id, new.subject);
      {_remember("conversations", "new.id")}
    END""",
    f"""CREATE TRIGGER search_conversations_update AFTER UPDATE OF subject ON conversations
    WHEN old.subject IS NOT new.subject BEGIN
      {_forget("conversations", "old.id")}
      INSERT INTO search_conversations (conversation_id, subject)
      SELECT new.id, new.subject WHERE new.subject IS NOT NULL;
      {_remember("conversations", "new.id", "new.subject IS NOT NULL")}
    END""",
    f"""CREATE TRIGGER search_conversations_delete AFTER DELETE ON conversations BEGIN
      {_forget("conversations", "old.id")}
    END""",
    f"""CREATE TRIGGER search_customers_insert AFTER INSERT ON customers
    WHEN new.name IS NOT NULL BEGIN
      INSERT INTO search_customers (customer_id, kind, value) VALUES (new.id, 'name', new.name);
      {_remember("customers", "'name:' || new.id")}
    END""",
    f"""CREATE TRIGGER search_customers_update AFTER UPDATE OF name ON customers
    WHEN old.name IS NOT new.name BEGIN
      {_forget("customers", "'name:' || old.id")}
      INSERT INTO search_customers (customer_id, kind, value) SELECT new.id, 'name', new.name WHERE new.name IS NOT NULL;
      {_remember("customers", "'name:' || new.id", "new.name IS NOT NULL")}
    END""",
    f"""CREATE TRIGGER search_customers_delete AFTER DELETE ON customers BEGIN
      {_forget("customers", "'name:' || old.id")}
    END""",
    f"""CREATE TRIGGER search_identities_insert AFTER INSERT ON customer_identities
    WHEN new.kind <> 'visitor' BEGIN
      INSERT INTO search_customers (customer_id, kind, value) VALUES (new.customer_id, new.kind, new.value);
      {_remember("customers", IDENTITY_KEY.format(row="new"))}
    END""",
    f"""CREATE TRIGGER search_identities_update AFTER UPDATE OF customer_id, kind, value ON customer_identities BEGIN
      {_forget("customers", IDENTITY_KEY.format(row="old"))}
      INSERT INTO search_customers (customer_id, kind, value)
      SELECT new.customer_id, new.kind, new.value WHERE new.kind <> 'visitor';
      {_remember("customers", IDENTITY_KEY.format(row="new"), "new.kind <> 'visitor'")}
    END""",
    f"""CREATE TRIGGER search_identities_delete AFTER DELETE ON customer_identities BEGIN
      {_forget("customers", IDENTITY_KEY.format(row="old"))}
    END""",
]

SQLITE_BACKFILL = [
    """INSERT INTO search_interactions (interaction_id, conversation_id, subject, text)
    SELECT id, conversation_id, subject, text FROM interactions WHERE subject IS NOT NULL OR text IS NOT NULL""",
    """INSERT INTO search_conversations (conversation_id, subject)
    SELECT id, subject FROM conversations WHERE subject IS NOT NULL""",
    "INSERT INTO search_customers (customer_id, kind, value) SELECT id, 'name', name FROM customers WHERE name IS NOT NULL",
    """INSERT INTO search_customers (customer_id, kind, value)
    SELECT customer_id, kind, value FROM customer_identities WHERE kind <> 'visitor'""",
    "INSERT INTO search_keys SELECT 'interactions', interaction_id, rowid FROM search_interactions",
    "INSERT INTO search_keys SELECT 'conversations', conversation_id, rowid FROM search_conversations",
    """INSERT INTO search_keys SELECT 'customers', CASE WHEN kind = 'name' THEN 'name:' || customer_id
    ELSE 'identity:' || kind || ':' || value || ':' || customer_id END, rowid FROM search_customers""",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, (table, expression) in POSTGRES_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {table} USING gin (({expression}))")
        return
    for name, columns in SQLITE_TABLES.items():
        op.execute(f"CREATE VIRTUAL TABLE {name} USING fts5({columns})")
    op.execute(KEYS_TABLE)
    _create_sqlite_triggers()
    for statement in SQLITE_BACKFILL:
        op.execute(statement)


def _create_sqlite_triggers() -> None:
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRES_INDEXES:
            op.execute(f"DROP INDEX {name}")
        return
    for statement in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER {statement.split()[2]}")
    for name in SQLITE_TABLES:
        op.execute(f"DROP TABLE {name}")
    op.execute("DROP TABLE search_keys")
