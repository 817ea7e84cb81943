"""Two submissions of one survey at the same moment, on real connections: one records, the other is told the
survey was already answered, and nothing is recorded twice. On PostgreSQL the second conditional update
waits for the first to commit and then matches nothing; on SQLite the writers take turns."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxhub import demo
from cxhub.config import get_settings
from cxhub.conversations.models import Conversation
from cxhub.conversations.schemas import InteractionCreate
from cxhub.conversations.service import record_interaction, record_status
from cxhub.db import make_engine, make_sessionmaker
from cxhub.kit.time import utcnow
from cxhub.quality import responses
from cxhub.quality.invitations import send_due_surveys
from cxhub.quality.links import sign_link
from cxhub.quality.models import SurveyAnswer, SurveyInvitation
from cxhub.quality.policies import set_policies
from cxhub.quality.schemas import SurveyPolicyWrite
from cxhub.workforce.models import Brand

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture
def factory(own_database: Callable[[str], str]) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(own_database("survey_race"))
    factory = make_sessionmaker(engine)
    with factory() as session:
        demo.load(session)
        session.commit()
    yield factory
    engine.dispose()


def _invited(factory: sessionmaker[Session]) -> str:
    """A closed e-mail conversation and its survey: the link's token."""
    with factory() as session:
        brand = session.scalars(select(Brand)).one()
        set_policies(
            session, brand=brand, policy_writes=[SurveyPolicyWrite(channel="email", delay_seconds=0)], actor=None
        )
        recorded = record_interaction(
            session,
            interaction_create=InteractionCreate(
                channel="email",
                external_id="<race@example.ie>",
                occurred_at=utcnow() - dt.timedelta(minutes=5),
                direction="inbound",
                customer={"email": "race@example.ie"},  # type: ignore[arg-type]
                text="Hello",
            ),
        )
        conversation = session.get(Conversation, recorded.interaction.conversation_id)
        assert conversation is not None
        record_status(
            session, conversation=conversation, status="closed", at=utcnow() - dt.timedelta(minutes=1), user_id=None
        )
        session.commit()
        assert send_due_surveys(session, now=utcnow(), settings=get_settings()).invited == 1
        session.commit()
        invitation_id = session.scalars(select(SurveyInvitation.id)).one()
    return sign_link(invitation_id, secret_key=get_settings().secret_key)


def test_two_submissions_at_once_record_one(factory: sessionmaker[Session]) -> None:
    token = _invited(factory)
    ready = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(score: str) -> None:
        with factory() as session:
            survey = responses.open_survey(session, token=token, secret_key=get_settings().secret_key, now=utcnow())
            checked = responses.check_submission(survey, {"csat": score, "fcr": "1"})
            assert checked.submission is not None
            session.rollback()  # both have read the open survey; now both submit at once
            ready.wait()
            try:
                responses.submit_survey(session, survey=survey, submission=checked.submission, now=utcnow())
                session.commit()
                outcomes.append("recorded")
            except responses.SurveyUnavailable as exc:
                session.rollback()
                outcomes.append(exc.state)

    threads = [threading.Thread(target=submit, args=(score,)) for score in ("5", "1")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["answered", "recorded"]
    with factory() as session:
        counts = dict(
            session.execute(select(SurveyAnswer.question, func.count()).group_by(SurveyAnswer.question)).all()
        )
        assert counts == {"csat": 1, "fcr": 1}
