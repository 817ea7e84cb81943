"""The permission registry and the roles that grant permissions."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    description: str

    def __new__(cls, value: str, description: str) -> Permission:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    BRANDS_READ = ("brands.read", "See the brands the user is limited to (all when unlimited).")
    BRANDS_MANAGE = ("brands.manage", "Create and edit brands.")
    ORGANISATIONS_READ = (
        "organisations.read",
        "See organisations, sites and teams (a partner user sees only their own).",
    )
    ORGANISATIONS_MANAGE = (
        "organisations.manage",
        "Create and edit organisations, sites and teams; set data policies.",
    )
    AGENTS_READ = ("agents.read", "See agent profiles: languages, skills, capacity, hours.")
    AGENTS_MANAGE = ("agents.manage", "Create and edit agent profiles, costs and dates.")
    USERS_READ = ("users.read", "See staff users of the organisations in scope.")
    USERS_MANAGE = (
        "users.manage",
        "Create, disable and re-enable users, change roles and brands, reset passwords.",
    )
    TOKENS_MANAGE = ("tokens.manage", "Create and revoke one's own API tokens.")
    AUDIT_READ = ("audit.read", "Browse and filter the audit log.")
    JOBS_MANAGE = ("jobs.manage", "See background jobs, including dead ones, and requeue them.")
    CONVERSATIONS_READ = (
        "conversations.read",
        "See conversations in scope (a partner: those queued for, assigned to or once handled by them).",
    )
    INTERACTIONS_CREATE = (
        "interactions.create",
        "Send interactions and survey answers from any source through the intake API.",
    )
    CONVERSATIONS_ASSIGN = (
        "conversations.assign",
        "Assign a conversation to an organisation, team and agent (a partner: within their own).",
    )
    DEAD_LETTERS_READ = ("dead_letters.read", "See inbound payloads that could not be parsed, with the reason.")
    DEAD_LETTERS_REPLAY = ("dead_letters.replay", "Replay a dead letter after a fix: parse and record it again.")
    CONVERSATIONS_REPLY = (
        "conversations.reply",
        "Reply to customers, add internal notes and attachments, change status, priority and tags.",
    )
    CHANNELS_MANAGE = ("channels.manage", "Register webhook sources and their signing secrets.")
    CANNED_RESPONSES_MANAGE = ("canned_responses.manage", "Write and delete the brand's canned responses (in-house).")
    JOURNEYS_READ = ("journeys.read", "See lifecycle stages, touchpoints and classification rules.")
    JOURNEYS_MANAGE = (
        "journeys.manage",
        "Edit stages, touchpoints, their sourcing and the rules that classify conversations (in-house only).",
    )
    CONVERSATIONS_CLASSIFY = ("conversations.classify", "Put a conversation on another touchpoint.")
    ROUTING_READ = ("routing.read", "See queues (a partner: those its teams serve) and customer groups.")
    ROUTING_MANAGE = (
        "routing.manage",
        "Edit queues, their teams, shares and overflow, and customer groups (in-house).",
    )
    ROUTING_WORK = ("routing.work", "Set one's own presence and take the next conversation from one's queues.")
    CUSTOMERS_MERGE = (
        "customers.merge",
        "Merge customers and undo merges, review match candidates, set match thresholds (in-house).",
    )
    CUSTOMERS_PRIVACY = (
        "customers.privacy",
        "Export everything held on a customer, erase a customer, set retention rules (in-house).",
    )
    CUSTOMERS_CONSENTS = (
        "customers.consents",
        "See and record a customer's consents and opt-outs: surveys, coaching, marketing (in-house).",
    )
    METRICS_READ = (
        "metrics.read",
        "See metrics, reports and dashboards (a partner: its own organisation's figures only).",
    )
    METRICS_MANAGE = ("metrics.manage", "Set service-level thresholds per channel (in-house).")
    SURVEYS_MANAGE = (
        "surveys.manage",
        "Set survey policies per channel: questions, delay, sampling, how often a customer is asked (in-house).",
    )
    QA_MANAGE = ("qa.manage", "Write the brand's QA scorecards and run calibration sessions (in-house).")
    QA_EVALUATE = (
        "qa.evaluate",
        "Evaluate conversations against a scorecard, take part in calibration, settle disputes.",
    )
    QA_DISPUTE = ("qa.dispute", "See one's own QA evaluations and dispute them.")
    COACHING_READ = (
        "coaching.read",
        "See customers' feedback for oneself, or as a coach for one's team, and record what was done with it.",
    )


class Role(StrEnum):
    ADMIN = "admin"
    CX_DIRECTOR = "cx_director"
    PARTNER_MANAGER = "partner_manager"
    TEAM_LEAD = "team_lead"
    QA_ANALYST = "qa_analyst"
    AGENT = "agent"


P = Permission
_EVERYONE = {
    P.BRANDS_READ,
    P.ORGANISATIONS_READ,
    P.AGENTS_READ,
    P.TOKENS_MANAGE,
    P.CONVERSATIONS_READ,
    P.JOURNEYS_READ,
    P.ROUTING_READ,
}
_SERVING = {P.CONVERSATIONS_REPLY, P.CONVERSATIONS_CLASSIFY, P.ROUTING_WORK}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.CX_DIRECTOR: frozenset(
        _EVERYONE
        | {
            P.USERS_READ,
            P.AUDIT_READ,
            P.JOURNEYS_MANAGE,
            P.ROUTING_MANAGE,
            P.CANNED_RESPONSES_MANAGE,
            P.CUSTOMERS_MERGE,
            P.CUSTOMERS_PRIVACY,
            P.CUSTOMERS_CONSENTS,
            P.METRICS_READ,
            P.METRICS_MANAGE,
            P.SURVEYS_MANAGE,
            P.QA_MANAGE,
            P.COACHING_READ,
        }
    ),
    Role.PARTNER_MANAGER: frozenset(
        _EVERYONE | {P.ORGANISATIONS_MANAGE, P.AGENTS_MANAGE, P.USERS_READ, P.JOURNEYS_MANAGE, P.METRICS_READ}
    ),
    Role.TEAM_LEAD: frozenset(
        _EVERYONE
        | _SERVING
        | {
            P.AGENTS_MANAGE,
            P.USERS_READ,
            P.CONVERSATIONS_ASSIGN,
            P.CANNED_RESPONSES_MANAGE,
            P.CUSTOMERS_MERGE,
            P.CUSTOMERS_CONSENTS,
            P.METRICS_READ,
            P.QA_EVALUATE,
            P.QA_DISPUTE,
            P.COACHING_READ,
        }
    ),
    Role.QA_ANALYST: frozenset(_EVERYONE | {P.METRICS_READ, P.QA_MANAGE, P.QA_EVALUATE, P.COACHING_READ}),
    Role.AGENT: frozenset(_EVERYONE | _SERVING | {P.CUSTOMERS_CONSENTS, P.QA_DISPUTE, P.COACHING_READ}),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.ADMIN: "Runs the hub: users, tokens, organisations, audit log and jobs.",
    Role.CX_DIRECTOR: "Decides sourcing and watches the whole operation; reads everything in scope.",
    Role.PARTNER_MANAGER: "Manages the brand's partners: organisations, sites, teams, agents.",
    Role.TEAM_LEAD: "Leads a team: manages its agents' profiles.",
    Role.QA_ANALYST: "Evaluates and calibrates the quality of work.",
    Role.AGENT: "Serves customers from the inbox.",
}
