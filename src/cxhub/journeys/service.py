"""Stages, touchpoints, sourcing and rules; classifying a conversation. Services flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.conversations.models import Conversation, Interaction
from cxhub.conversations.service import resolve_brand
from cxhub.errors import Conflict, CxhubError, Forbidden, NotFound
from cxhub.journeys import repository
from cxhub.journeys.classify import Contact, Rule, classify, compile_pattern
from cxhub.journeys.language import detect_language
from cxhub.journeys.models import ClassificationRule, LifecycleStage, Touchpoint, TouchpointSourcing
from cxhub.journeys.schemas import (
    RuleCreate,
    SourcingIn,
    SourcingRead,
    StageCreate,
    StageUpdate,
    TouchpointCreate,
    TouchpointRead,
    TouchpointUpdate,
)
from cxhub.kit.time import utcnow
from cxhub.workforce.models import Organisation

DEFAULT_STAGES = ("discover", "buy", "use", "get help", "return", "renew", "advocate")
FIRST_INBOUND = 3  # the rules read a conversation's first few customer messages


def _require_in_house(actor: Actor | None) -> None:
    if actor is not None and actor.is_partner:
        raise Forbidden("only the brand's own organisation maps its journey")


def _brand_for(session: Session, actor: Actor | None, brand_key: str | None) -> str:
    brand = resolve_brand(session, brand_key)
    if actor is not None and actor.brand_ids is not None and brand.id not in actor.brand_ids:
        raise CxhubError("unknown brand", status=422, field="brand_id")
    return brand.id


def _flush_unique(session: Session, *, field: str, message: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(message, field=field) from exc


def get_stage(session: Session, *, actor: Actor, stage_id: str) -> LifecycleStage:
    stage = session.scalar(repository.readable_stages(actor).where(LifecycleStage.id == stage_id))
    if stage is None:
        raise NotFound("stage")
    return stage


def get_touchpoint(session: Session, *, actor: Actor, touchpoint_id: str) -> Touchpoint:
    touchpoint = session.scalar(repository.readable_touchpoints(actor).where(Touchpoint.id == touchpoint_id))
    if touchpoint is None:
        raise NotFound("touchpoint")
    return touchpoint


def get_rule(session: Session, *, actor: Actor, rule_id: str) -> ClassificationRule:
    rule = session.scalar(repository.readable_rules(actor).where(ClassificationRule.id == rule_id))
    if rule is None:
        raise NotFound("rule")
    return rule


def create_stage(session: Session, *, stage_create: StageCreate, actor: Actor | None) -> LifecycleStage:
    _require_in_house(actor)
    brand_id = _brand_for(session, actor, stage_create.brand_id)
    stage = LifecycleStage(brand_id=brand_id, name=stage_create.name, position=stage_create.position)
    session.add(stage)
    _flush_unique(session, field="name", message="this brand has a stage with this name")
    return stage


def create_default_stages(session: Session, *, brand_id: str) -> dict[str, LifecycleStage]:
    """The lifecycle most brands start from; each stage can be renamed, reordered or removed."""
    stages = {name: LifecycleStage(brand_id=brand_id, name=name, position=i) for i, name in enumerate(DEFAULT_STAGES)}
    session.add_all(stages.values())
    session.flush()
    return stages


def update_stage(session: Session, *, stage: LifecycleStage, stage_update: StageUpdate, actor: Actor) -> LifecycleStage:
    _require_in_house(actor)
    for key, value in stage_update.model_dump(exclude_unset=True).items():
        setattr(stage, key, value)
    _flush_unique(session, field="name", message="this brand has a stage with this name")
    return stage


def delete_stage(session: Session, *, stage: LifecycleStage, actor: Actor) -> None:
    _require_in_house(actor)
    if session.scalar(select(Touchpoint.id).where(Touchpoint.stage_id == stage.id).limit(1)):
        raise Conflict("move or delete the stage's touchpoints first", field="stage_id")
    session.delete(stage)
    session.flush()


def _stage_of_brand(session: Session, actor: Actor | None, stage_id: str) -> LifecycleStage:
    stage = session.get(LifecycleStage, stage_id)
    if stage is None or (actor is not None and actor.brand_ids is not None and stage.brand_id not in actor.brand_ids):
        raise CxhubError("no such stage", status=422, field="stage_id")
    return stage


def _set_sourcing(session: Session, touchpoint: Touchpoint, sourcing: Sequence[SourcingIn]) -> None:
    ids = {s.organisation_id for s in sourcing}
    known = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(ids)))) if ids else set()
    if unknown := sorted(ids - known):
        raise CxhubError(f"no such organisation: {unknown[0]}", status=422, field="sourcing")
    for row in session.scalars(select(TouchpointSourcing).where(TouchpointSourcing.touchpoint_id == touchpoint.id)):
        session.delete(row)
    session.flush()
    session.add_all(TouchpointSourcing(touchpoint_id=touchpoint.id, **s.model_dump()) for s in sourcing)


def _only_fallback(session: Session, touchpoint: Touchpoint) -> None:
    session.execute(
        update(Touchpoint)
        .where(Touchpoint.brand_id == touchpoint.brand_id, Touchpoint.id != touchpoint.id)
        .values(fallback=False)
    )


def create_touchpoint(session: Session, *, touchpoint_create: TouchpointCreate, actor: Actor | None) -> Touchpoint:
    _require_in_house(actor)
    stage = _stage_of_brand(session, actor, touchpoint_create.stage_id)
    values = touchpoint_create.model_dump(exclude={"sourcing"})
    touchpoint = Touchpoint(brand_id=stage.brand_id, **values)
    session.add(touchpoint)
    _flush_unique(session, field="name", message="this brand has a touchpoint with this name")
    _set_sourcing(session, touchpoint, touchpoint_create.sourcing)
    if touchpoint.fallback:
        _only_fallback(session, touchpoint)
    session.flush()
    return touchpoint


def update_touchpoint(
    session: Session, *, touchpoint: Touchpoint, touchpoint_update: TouchpointUpdate, actor: Actor
) -> Touchpoint:
    _require_in_house(actor)
    changes = touchpoint_update.model_dump(exclude_unset=True, exclude={"sourcing"})
    if "stage_id" in changes:
        stage = _stage_of_brand(session, actor, changes["stage_id"])
        if stage.brand_id != touchpoint.brand_id:
            raise CxhubError("no such stage", status=422, field="stage_id")
    for key, value in changes.items():
        setattr(touchpoint, key, value)
    _flush_unique(session, field="name", message="this brand has a touchpoint with this name")
    if touchpoint_update.sourcing is not None:
        _set_sourcing(session, touchpoint, touchpoint_update.sourcing)
    if touchpoint.fallback:
        _only_fallback(session, touchpoint)
    session.flush()
    return touchpoint


def delete_touchpoint(session: Session, *, touchpoint: Touchpoint, actor: Actor) -> None:
    _require_in_house(actor)
    try:
        with session.begin_nested():
            session.execute(
                update(Conversation).where(Conversation.touchpoint_id == touchpoint.id).values(touchpoint_id=None)
            )
            session.delete(touchpoint)
            session.flush()
    except IntegrityError as exc:  # a queue still serves it
        raise Conflict("a queue serves this touchpoint: change or delete the queue first", field="id") from exc


def touchpoint_reads(session: Session, *, touchpoints: Sequence[Touchpoint], actor: Actor) -> list[TouchpointRead]:
    """Touchpoints with their sourcing; a partner sees only its own organisation's part of it."""
    sourcing = repository.sourcing_of(
        session, [t.id for t in touchpoints], organisation_id=actor.organisation_id if actor.is_partner else None
    )
    return [
        TouchpointRead(
            id=t.id,
            brand_id=t.brand_id,
            stage_id=t.stage_id,
            name=t.name,
            touch=t.touch,
            fallback=t.fallback,
            sourcing=[SourcingRead.model_validate(s) for s in sourcing[t.id]],
            created_at=t.created_at,
        )
        for t in touchpoints
    ]


def create_rule(session: Session, *, rule_create: RuleCreate, actor: Actor | None) -> ClassificationRule:
    _require_in_house(actor)
    touchpoint = session.get(Touchpoint, rule_create.touchpoint_id)
    if touchpoint is None or (
        actor is not None and actor.brand_ids is not None and touchpoint.brand_id not in actor.brand_ids
    ):
        raise CxhubError("no such touchpoint", status=422, field="touchpoint_id")
    rule = ClassificationRule(brand_id=touchpoint.brand_id, **rule_create.model_dump())
    session.add(rule)
    session.flush()
    return rule


def delete_rule(session: Session, *, rule: ClassificationRule, actor: Actor) -> None:
    _require_in_house(actor)
    session.delete(rule)
    session.flush()


def _rules(rows: Iterable[ClassificationRule]) -> list[Rule]:
    return [
        Rule(
            touchpoint_id=r.touchpoint_id,
            channel=r.channel,
            pattern=compile_pattern(r.pattern) if r.pattern else None,
            kind=r.kind,
            field=r.field,
            field_value=r.field_value,
        )
        for r in rows
    ]


def contact_of(session: Session, conversation: Conversation) -> Contact:
    """What the rules read: the conversation's first inbound interactions (their subject, text, kinds, fields)."""
    first = session.scalars(
        select(Interaction)
        .where(Interaction.conversation_id == conversation.id, Interaction.direction == "inbound")
        .order_by(Interaction.occurred_at, Interaction.id)
        .limit(FIRST_INBOUND)
    ).all()
    fields: dict[str, object] = {}
    for interaction in reversed(first):  # the first message's fields win
        fields.update({k: v for k, v in interaction.extra.items() if isinstance(v, str | int | float | bool)})
    return Contact(
        channel=conversation.channel,
        subject=conversation.subject or next((i.subject for i in first if i.subject), "") or "",
        text="\n".join(i.text for i in first if i.text),
        kinds=frozenset(i.kind for i in first),
        fields=fields,
    )


class Classifier:
    """A brand's rules, compiled once for many conversations."""

    def __init__(self, session: Session, brand_id: str) -> None:
        self.rules = _rules(repository.brand_rules(session, brand_id))
        self.fallback = repository.fallback_touchpoint(session, brand_id)

    def classify(self, contact: Contact) -> str | None:
        return classify(contact, self.rules, fallback=self.fallback)


def classify_conversation(
    session: Session, *, conversation: Conversation, classifier: Classifier, languages: Iterable[str]
) -> Contact:
    """Set the touchpoint (unless an agent chose one) and the language (unless the source gave it)."""
    contact = contact_of(session, conversation)
    if conversation.touchpoint_id is None:
        conversation.touchpoint_id = classifier.classify(contact)
    if conversation.language is None:
        conversation.language = detect_language(f"{contact.subject}\n{contact.text}", candidates=languages)
    return contact


def reclassify(session: Session, *, conversation: Conversation, touchpoint_id: str, actor: Actor) -> Conversation:
    """An agent puts a conversation on another touchpoint."""
    if actor.is_partner and conversation.organisation_id != actor.organisation_id:
        raise Forbidden("this conversation has left your organisation: you can read it, not change it")
    touchpoint = session.get(Touchpoint, touchpoint_id)
    if touchpoint is None or touchpoint.brand_id != conversation.brand_id:
        raise CxhubError("no such touchpoint for this brand", status=422, field="touchpoint_id")
    conversation.touchpoint_id = touchpoint.id
    conversation.updated_at = utcnow()
    session.flush()
    return conversation
