"""QA scorecards from the brand's own values: sections, weighted criteria, error classes, auto-fail items.

A scorecard is versioned: editing the current version of a scorecard that evaluations use makes the next
version (the old one keeps its evaluations and stays readable); a version nothing uses yet is edited in
place. Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.service import record_audit
from cxhub.conversations.service import resolve_brand
from cxhub.errors import Conflict, CxhubError, Forbidden, NotFound
from cxhub.kit.ids import new_id
from cxhub.kit.time import utcnow
from cxhub.quality import repository
from cxhub.quality.models import Scorecard, ScorecardCriterion, ScorecardSection
from cxhub.quality.schemas import (
    CriterionRead,
    ScorecardCreate,
    ScorecardRead,
    ScorecardUpdate,
    SectionIn,
    SectionRead,
)
from cxhub.quality.scoring import Criterion


def _require_in_house(actor: Actor | None) -> None:
    if actor is not None and actor.is_partner:
        raise Forbidden("only the brand's own organisation writes its scorecards")


def _brand_for(session: Session, actor: Actor | None, brand_key: str | None) -> str:
    brand = resolve_brand(session, brand_key)
    if actor is not None and actor.brand_ids is not None and brand.id not in actor.brand_ids:
        raise CxhubError("unknown brand", status=422, field="brand_id")
    return brand.id


def get_scorecard(session: Session, *, actor: Actor, scorecard_id: str) -> Scorecard:
    scorecard = session.scalar(repository.readable_scorecards(actor).where(Scorecard.id == scorecard_id))
    if scorecard is None:
        raise NotFound("scorecard")
    return scorecard


def _check_name(session: Session, *, brand_id: str, name: str, lineage_id: str | None) -> None:
    statement = select(Scorecard.id).where(
        Scorecard.brand_id == brand_id, Scorecard.name == name, Scorecard.superseded_at.is_(None)
    )
    if lineage_id is not None:
        statement = statement.where(Scorecard.lineage_id != lineage_id)
    if session.scalar(statement.limit(1)) is not None:
        raise Conflict("the brand has a scorecard with this name", field="name")


def _fill(session: Session, scorecard: Scorecard, sections: Sequence[SectionIn]) -> None:
    rows = [
        ScorecardSection(id=new_id(), scorecard_id=scorecard.id, position=position, title=section_in.title)
        for position, section_in in enumerate(sections)
    ]
    session.add_all(rows)
    session.flush()  # the criteria name their section, and no relationship tells the flush so
    criteria = [(row, c) for row, section_in in zip(rows, sections, strict=True) for c in section_in.criteria]
    for position, (section, criterion_in) in enumerate(criteria):
        max_points = criterion_in.max_points or 1
        session.add(
            ScorecardCriterion(
                scorecard_id=scorecard.id,
                section_id=section.id,
                position=position,
                label=criterion_in.label,
                guidance=criterion_in.guidance,
                weight=criterion_in.weight,
                scale=criterion_in.scale,
                max_points=max_points,
                pass_points=criterion_in.pass_points or max_points,
                error_class=criterion_in.error_class,
                auto_fail=criterion_in.auto_fail,
                allow_not_applicable=criterion_in.allow_not_applicable,
            )
        )


def create_scorecard(session: Session, *, scorecard_create: ScorecardCreate, actor: Actor | None) -> Scorecard:
    _require_in_house(actor)
    brand_id = _brand_for(session, actor, scorecard_create.brand_id)
    _check_name(session, brand_id=brand_id, name=scorecard_create.name, lineage_id=None)
    scorecard_id = new_id()
    scorecard = Scorecard(
        id=scorecard_id,
        brand_id=brand_id,
        lineage_id=scorecard_id,
        version=1,
        name=scorecard_create.name,
        description=scorecard_create.description,
        active=scorecard_create.active,
        created_by_user_id=actor.user_id if actor else None,
    )
    session.add(scorecard)
    session.flush()
    _fill(session, scorecard, scorecard_create.sections)
    session.flush()
    record_audit(session, actor=actor, action="scorecard.created", target_type="scorecard", target_id=scorecard.id)
    return scorecard


def update_scorecard(
    session: Session, *, scorecard: Scorecard, scorecard_update: ScorecardUpdate, actor: Actor | None
) -> Scorecard:
    """Replace the current version, or, when evaluations use it, add the next version; returns the current one."""
    _require_in_house(actor)
    if scorecard.superseded_at is not None:
        raise Conflict("this is an earlier version: edit the current one", field="scorecard_id")
    _check_name(session, brand_id=scorecard.brand_id, name=scorecard_update.name, lineage_id=scorecard.lineage_id)
    if repository.has_evaluations(session, scorecard.id):
        scorecard.superseded_at = utcnow()
        scorecard.active = False
        session.flush()
        current = Scorecard(
            id=new_id(),
            brand_id=scorecard.brand_id,
            lineage_id=scorecard.lineage_id,
            version=scorecard.version + 1,
            created_by_user_id=actor.user_id if actor else None,
        )
        session.add(current)
        action = "scorecard.versioned"
    else:
        current = scorecard
        for section in session.scalars(select(ScorecardSection).where(ScorecardSection.scorecard_id == scorecard.id)):
            session.delete(section)  # and its criteria, by cascade
        session.flush()
        action = "scorecard.changed"
    current.name = scorecard_update.name
    current.description = scorecard_update.description
    current.active = scorecard_update.active
    session.flush()
    _fill(session, current, scorecard_update.sections)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action=action,
        target_type="scorecard",
        target_id=current.id,
        detail={"version": current.version},
    )
    return current


def active_scorecard(session: Session, *, brand_id: str, scorecard_id: str | None) -> Scorecard:
    """The scorecard a new evaluation uses: the one named (current and active), else the brand's only active one."""
    active = repository.active_scorecards(session, brand_id)
    if scorecard_id is not None:
        chosen = next((s for s in active if s.id == scorecard_id), None)
        if chosen is None:
            raise CxhubError("no active current scorecard with this id", status=422, field="scorecard_id")
        return chosen
    if not active:
        raise CxhubError("the brand has no active scorecard: a QA manager writes one first", status=422)
    if len(active) > 1:
        raise CxhubError("the brand has several active scorecards: name one", status=422, field="scorecard_id")
    return active[0]


def scoring_criteria(criteria: Sequence[ScorecardCriterion]) -> list[Criterion]:
    """The pure scorer's view of a scorecard version's criteria."""
    return [
        Criterion(
            id=c.id,
            weight=c.weight,
            max_points=c.max_points,
            pass_points=c.pass_points,
            error_class=c.error_class,
            auto_fail=c.auto_fail,
            allow_not_applicable=c.allow_not_applicable,
        )
        for c in criteria
    ]


def scorecard_reads(session: Session, scorecards: Sequence[Scorecard]) -> list[ScorecardRead]:
    sections, criteria = repository.sections_and_criteria(session, [s.id for s in scorecards])
    reads = []
    for scorecard in scorecards:
        section_reads = [
            SectionRead(
                id=section.id,
                title=section.title,
                criteria=[CriterionRead.model_validate(c) for c in criteria if c.section_id == section.id],
            )
            for section in sections
            if section.scorecard_id == scorecard.id
        ]
        reads.append(
            ScorecardRead(
                id=scorecard.id,
                brand_id=scorecard.brand_id,
                lineage_id=scorecard.lineage_id,
                version=scorecard.version,
                current=scorecard.superseded_at is None,
                name=scorecard.name,
                description=scorecard.description,
                active=scorecard.active,
                created_at=scorecard.created_at,
                sections=section_reads,
            )
        )
    return reads
