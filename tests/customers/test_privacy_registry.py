"""Every table that can hold a customer's personal data belongs to a holder that exports and erases it."""

from __future__ import annotations

from fastapi import FastAPI

from cxhub.customers.privacy import covered_tables, customer_columns, holders, uncovered_tables
from cxhub.models_registry import metadata

# names of columns that hold, or may hold, what someone wrote or is called
PERSONAL_SOUNDING = {
    "name",
    "email",
    "phone",
    "address",
    "date_of_birth",
    "value",
    "subject",
    "text",
    "html",
    "body",
    "raw",
    "filename",
    "url",
    "order_ref",
    "thread_ref",
    "external_id",
    "reason",
    "evidence",
    "detail",
    "payload",
    "title",
}
NOT_ABOUT_CUSTOMERS = {
    # the brand's own set-up: names of things, not of people it serves
    "brands",
    "organisations",
    "sites",
    "teams",
    "queues",
    "sla_policies",
    "lifecycle_stages",
    "touchpoints",
    "customer_groups",
    "channel_sources",
    "canned_responses",
    "scorecards",
    "scorecard_sections",
    "calibration_sessions",
    # a verdict on a provider's figures ("worse by 4.1 points"), about no one customer
    "consistency_gap_alerts",
    # QA: evaluators' and agents' reasons about the staff's work
    "evaluation_changes",
    # staff and their sign-ins
    "users",
    "api_tokens",
    "login_attempts",
    # job rows carry ids only; a job's error names no customer
    "jobs",
    "job_schedules",
}


def test_every_column_that_refers_to_a_customer_has_a_holder(app: FastAPI) -> None:
    metadata()
    referring = {table.name for table, _ in customer_columns()}
    assert referring >= {"customer_identities", "conversations", "interactions", "customer_consents"}
    assert uncovered_tables() == []
    assert referring <= covered_tables()


def test_every_table_with_personal_columns_has_a_holder_or_a_reason(app: FastAPI) -> None:
    personal = {table.name for table in metadata().sorted_tables if {c.name for c in table.columns} & PERSONAL_SOUNDING}
    assert personal - covered_tables() == NOT_ABOUT_CUSTOMERS, "a new table: give it a holder, or say why not"


def test_each_holder_answers_for_tables_that_exist(app: FastAPI) -> None:
    tables = set(metadata().tables)
    names = [h.name for h in holders()]
    assert len(names) == len(set(names))
    assert {"profile", "consents", "merges", "audit", "conversations"} <= set(names)
    for holder in holders():
        assert set(holder.tables) <= tables, holder.name
