"""The e-mail channel over real SMTP on loopback: `cxhub smtp` receives, a worker answers through a relay.

The module runs one `cxhub smtp` process on a database of its own (SQLite, and PostgreSQL when
CXHUB_TEST_DATABASE_URL is set); each test writes with addresses and Message-IDs of its own.
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

import cxhub.tasks  # noqa: F401  registers the delivery job
from cxhub import demo
from cxhub.app import create_app
from cxhub.auth import service as auth_service
from cxhub.auth.repository import user_by_email
from cxhub.channels.smtp import mail_server
from cxhub.config import Settings, get_settings
from cxhub.conversations.models import Attachment, Conversation, DeadLetter, Interaction
from cxhub.customers.models import Customer, CustomerIdentity
from cxhub.db import make_engine, make_sessionmaker
from cxhub.jobs.models import Job
from cxhub.jobs.worker import run_worker
from cxhub.kit.databases import create_database, drop_database
from cxhub.kit.time import utcnow
from cxhub.migrate import upgrade
from tests import live
from tests.conftest import PG_URL

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
SUPPORT = "support@lumen.example"
MAX_MESSAGE_BYTES = 300_000


@pytest.fixture(scope="module")
def mail_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend == "postgres":
        assert PG_URL
        url = create_database(PG_URL, "mail")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('mail') / 'mail.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        demo.load(session)
    engine.dispose()
    yield url
    if backend == "postgres":
        drop_database(url)


@pytest.fixture(scope="module")
def mail_engine(mail_db: str) -> Iterator[Engine]:
    engine = make_engine(mail_db)
    yield engine
    engine.dispose()


def _answers_smtp(port: int) -> bool:
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as probe:
        return bool(probe.noop()[0] == 250)


@pytest.fixture(scope="module")
def smtp_port(mail_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`cxhub smtp` as an operator starts it, on a free port."""
    port = live.free_port()
    log = tmp_path_factory.mktemp("smtp") / "smtp.log"
    env = {
        **os.environ,
        "CXHUB_DATABASE_URL": mail_db,
        "CXHUB_SMTP_MAX_MESSAGE_BYTES": str(MAX_MESSAGE_BYTES),
        "CXHUB_SMTP_DOMAINS": json.dumps({"lumen.example": demo.DEMO_BRAND}),
    }
    server = live.start(
        [sys.executable, "-m", "cxhub", "smtp", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        log=log,
        ready=lambda: _answers_smtp(port),
    )
    yield port
    server.terminate()
    assert server.wait(timeout=30) == 0, log.read_text()
    assert "Traceback" not in log.read_text(), log.read_text()


@pytest.fixture
def factory(mail_engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(mail_engine)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = get_settings()
    monkeypatch.setattr(settings, "mail_reply_from", f"Lumen Home Support <{SUPPORT}>")
    return settings


@pytest.fixture
def api(mail_engine: Engine, factory: sessionmaker[Session], settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, engine=mail_engine, session_factory=factory, start_worker=False)
    with TestClient(app) as client:
        with factory() as session, session.begin():
            user = user_by_email(session, "admin@lumen.example")
            assert user is not None
            _, secret = auth_service.create_api_token(session, user=user, name="mail test", actor=None)
        client.headers["Authorization"] = f"Bearer {secret}"
        yield client


class Relay:
    """The outbound relay: a loopback SMTP server that keeps what it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def relay(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Relay]:
    port = live.free_port()
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", port)
    handler = Relay()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler
    controller.stop()


Send = Callable[..., tuple[int, str]]


@pytest.fixture
def send(smtp_port: int) -> Send:
    """Hand one message to `cxhub smtp` over SMTP; (reply code, reply text) of the DATA command."""

    def deliver(message: EmailMessage | bytes, *, mail_from: str = "customer@example.com") -> tuple[int, str]:
        raw = message.as_bytes(policy=policy.SMTP) if isinstance(message, EmailMessage) else message
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
            smtp.ehlo()
            smtp.mail(mail_from)
            code, _ = smtp.rcpt(SUPPORT)
            assert code == 250
            code, text = smtp.data(raw)
            return code, text.decode()

    return deliver


def _mail(sender: str, subject: str, message_id: str, text: str = "Hello", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def _interaction(factory: sessionmaker[Session], external_id: str) -> Interaction:
    with factory() as session:
        found = session.scalar(select(Interaction).where(Interaction.external_id == external_id))
        assert found is not None, external_id
        return found


def _worker(factory: sessionmaker[Session]) -> int:
    return run_worker(factory, poll_seconds=0.01, lease_seconds=30, burst=True)


def test_messages_of_every_shape_are_recorded(send: Send, factory: sessionmaker[Session]) -> None:
    code, text = send(_mail("Jane Doe <jane.plain@example.com>", "Where is my order?", "<plain-1@example.com>"))
    assert (code, "Accepted (recorded)") == (250, text.partition(" ")[2])
    plain = _interaction(factory, "<plain-1@example.com>")
    assert (plain.channel, plain.direction, plain.subject) == ("email", "inbound", "Where is my order?")
    assert plain.text == "Hello"

    html_only = _mail("html@example.com", "HTML only", "<html-1@example.com>")
    html_only.set_content("<p>My <b>parcel</b> is late.</p><p>Jane</p>", subtype="html")
    assert send(html_only)[0] == 250
    recorded = _interaction(factory, "<html-1@example.com>")
    assert recorded.text == "My parcel is late.\n\nJane"
    assert "<b>parcel</b>" in (recorded.html or "")

    with_files = _mail("files@example.com", "Invoice attached", "<files-1@example.com>", "See attached")
    with_files.add_alternative("<p>See attached</p>", subtype="html")
    with_files.add_attachment(b"%PDF-1.4 the invoice", maintype="application", subtype="pdf", filename="invoice.pdf")
    with_files.add_attachment(b"MZ\x90\x00", maintype="application", subtype="x-msdownload", filename="run.exe")
    assert send(with_files)[0] == 250
    recorded = _interaction(factory, "<files-1@example.com>")
    assert (recorded.text, recorded.html) == ("See attached", "<p>See attached</p>")
    with factory() as session:
        stored = session.scalars(select(Attachment).where(Attachment.interaction_id == recorded.id)).all()
    assert [(a.filename, a.content_type, a.size) for a in stored] == [("invoice.pdf", "application/pdf", 20)]
    assert get_settings().file_storage().read(stored[0].storage_key) == b"%PDF-1.4 the invoice"
    refused = recorded.extra["email"]["refused_attachments"]
    assert [(r["filename"], r["reason"]) for r in refused] == [
        ("run.exe", "files of type application/x-msdownload are not accepted")
    ]

    latin1 = (
        b"From: =?ISO-8859-1?Q?Jo=E3o_Sim=F5es?= <joao@example.pt>\r\nTo: support@lumen.example\r\n"
        b"Subject: =?ISO-8859-1?Q?Encomenda_n=E3o_recebida?=\r\nMessage-ID: <latin1-1@example.pt>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nOl=E1, a encomenda n=E3o chegou.\r\n"
    )
    assert send(latin1)[0] == 250
    recorded = _interaction(factory, "<latin1-1@example.pt>")
    assert (recorded.subject, recorded.text) == ("Encomenda não recebida", "Olá, a encomenda não chegou.")
    with factory() as session:
        conversation = session.get_one(Conversation, recorded.conversation_id)
        assert session.get_one(Customer, recorded.customer_id).name == "João Simões"
        assert conversation.subject == "Encomenda não recebida"

    cp1252 = (
        b"From: maria@example.es\r\nTo: support@lumen.example\r\nSubject: =?windows-1252?Q?=93Urgente=94?=\r\n"
        b"Message-ID: <cp1252-1@example.es>\r\nContent-Type: text/plain; charset=windows-1252\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nEl precio era 5 \x80 \x96 no 50 \x80.\r\n"
    )
    assert send(cp1252)[0] == 250
    recorded = _interaction(factory, "<cp1252-1@example.es>")
    assert recorded.subject == "\u201cUrgente\u201d"
    assert recorded.text == "El precio era 5 \u20ac \u2013 no 50 \u20ac."


def test_the_same_message_twice_is_one_and_garbage_is_kept(send: Send, factory: sessionmaker[Session]) -> None:
    message = _mail("twice@example.com", "Twice", "<twice-1@example.com>")
    assert send(message)[0] == 250
    code, text = send(message)
    assert (code, text) == (250, "2.0.0 Accepted (duplicate)")
    with factory() as session:
        count = session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.external_id == "<twice-1@example.com>")
        )
        assert count == 1
        before = session.scalar(select(func.count()).select_from(DeadLetter)) or 0

    code, text = send(b"\x00\xff\xfe\x89PNG garbage that is no mail\r\n")
    assert code == 250
    assert "kept for review" in text
    with factory() as session:
        kept = session.scalars(select(DeadLetter).order_by(DeadLetter.received_at.desc())).first()
        assert session.scalar(select(func.count()).select_from(DeadLetter)) == before + 1
    assert kept is not None
    assert (kept.source, kept.content_type) == ("smtp", "message/rfc822")
    assert kept.raw.endswith(b"\x00\xff\xfe\x89PNG garbage that is no mail\r\n")
    assert "From" in kept.reason


def test_limits_size_and_recipients(send: Send, smtp_port: int) -> None:
    too_big = _mail("big@example.com", "Big", "<big-1@example.com>", "x" * (MAX_MESSAGE_BYTES + 1000))
    code, text = send(too_big)
    assert code == 552, text
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("size")
        smtp.mail("someone@example.com")
        assert smtp.rcpt("support@elsewhere.example")[0] == 550


def test_a_reply_goes_out_threaded_and_the_answer_joins_the_conversation(
    send: Send, factory: sessionmaker[Session], api: TestClient, relay: Relay
) -> None:
    assert send(_mail("Ana Costa <ana@example.com>", "Broken lamp", "<ana-1@example.com>", "It flickers."))[0] == 250
    first = _interaction(factory, "<ana-1@example.com>")
    reply = api.post(
        f"/api/v1/conversations/{first.conversation_id}/replies",
        json={"text": "Sorry! A new lamp is on its way.", "html": "<p>Sorry! A new lamp is on its way.</p>"},
    )
    assert reply.status_code == 201, reply.text
    outbound_id = reply.json()["external_id"]
    assert outbound_id.endswith("@lumen.example>")
    assert reply.json()["delivery_status"] == "queued"
    assert _worker(factory) >= 1
    assert len(relay.messages) == 1
    sent = relay.messages[0]
    assert sent["From"] == f"Lumen Home Support <{SUPPORT}>"
    assert sent["To"] == "ana@example.com"
    assert sent["Subject"] == "Re: Broken lamp"
    assert sent["Message-ID"] == outbound_id
    assert sent["In-Reply-To"] == "<ana-1@example.com>"
    assert sent["References"] == "<ana-1@example.com>"
    assert sent.get_body(("plain",)).get_content().rstrip() == "Sorry! A new lamp is on its way."  # type: ignore[union-attr]
    assert "<p>Sorry!" in sent.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert relay.envelopes[0][1] == ["ana@example.com"]
    delivered = _interaction(factory, outbound_id)
    assert (delivered.delivery_status, delivered.delivery_error) == ("sent", None)

    answer = _mail(
        "ana@example.com",
        "Thanks (was: lamp)",
        "<ana-2@example.com>",
        f"Thank you!\n\nOn Mon, 2 Mar 2026 at 10:00, Lumen <{SUPPORT}> wrote:\n> Sorry!\n",
        In_Reply_To=outbound_id,
        References=f"<ana-1@example.com> {outbound_id}",
    )
    assert send(answer)[0] == 250
    joined = _interaction(factory, "<ana-2@example.com>")
    assert joined.conversation_id == first.conversation_id
    detail = api.get(f"/api/v1/conversations/{first.conversation_id}").json()
    newest = next(i for i in detail["interactions"] if i["external_id"] == "<ana-2@example.com>")
    assert newest["visible_text"] == "Thank you!"
    assert newest["text"].startswith("Thank you!\n\nOn Mon")

    by_subject = _mail("ana@example.com", "RE: Fwd: broken  lamp", "<ana-3@example.com>", "One more thing.")
    assert send(by_subject)[0] == 250
    assert _interaction(factory, "<ana-3@example.com>").conversation_id == first.conversation_id

    other = _mail("ana@example.com", "Invoice address", "<ana-4@example.com>", "Please change it.")
    assert send(other)[0] == 250
    assert _interaction(factory, "<ana-4@example.com>").conversation_id != first.conversation_id

    with factory() as session:
        assert session.get_one(Conversation, first.conversation_id).thread_ref == "<ana-1@example.com>"


def test_auto_replies_are_never_recorded_nor_answered(
    send: Send, factory: sessionmaker[Session], api: TestClient, relay: Relay
) -> None:
    assert send(_mail("ooo@example.com", "Return policy", "<ooo-1@example.com>"))[0] == 250
    first = _interaction(factory, "<ooo-1@example.com>")
    outbound_id = api.post(f"/api/v1/conversations/{first.conversation_id}/replies", json={"text": "30 days."}).json()[
        "external_id"
    ]
    _worker(factory)
    assert len(relay.messages) == 1
    auto_replies = [
        _mail(
            "ooo@example.com",
            "Out of office: Re: Return policy",
            "<ooo-2@example.com>",
            In_Reply_To=outbound_id,
            Auto_Submitted="auto-replied",
        ),
        _mail("ooo@example.com", "Re: Return policy", "<ooo-3@example.com>", Precedence="bulk"),
        _mail("ooo@example.com", "Autoreply", "<ooo-4@example.com>", X_Autoreply="yes"),
    ]
    for auto_reply in auto_replies:
        code, text = send(auto_reply)
        assert (code, text) == (250, "2.0.0 Accepted (auto_reply)")
    vacation = _mail("ooo@example.com", "Away", "<ooo-5@example.com>")
    assert send(vacation, mail_from="")[1] == "2.0.0 Accepted (auto_reply)"  # a null return path
    with factory() as session:
        kept = session.scalars(
            select(Interaction.external_id).where(Interaction.conversation_id == first.conversation_id)
        ).all()
        assert sorted(kept) == sorted(["<ooo-1@example.com>", outbound_id])
        assert session.get_one(Conversation, first.conversation_id).status == "open"
        jobs = session.scalar(select(func.count()).select_from(Job).where(Job.status != "done"))
    assert jobs == 0
    _worker(factory)
    assert len(relay.messages) == 1


def _dsn(failed: str, bounced_id: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
        f"To: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.example.org>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {SUPPORT}\r\nTo: {failed}\r\n"
        f"Message-ID: {bounced_id}\r\nSubject: Re: Gift card\r\n\r\n--B--\r\n"
    ).encode()


def test_a_bounce_marks_the_address_undeliverable(
    send: Send, factory: sessionmaker[Session], api: TestClient, relay: Relay
) -> None:
    assert send(_mail("gone@example.org", "Gift card", "<gone-1@example.org>"))[0] == 250
    first = _interaction(factory, "<gone-1@example.org>")
    outbound_id = api.post(f"/api/v1/conversations/{first.conversation_id}/replies", json={"text": "Here."}).json()[
        "external_id"
    ]
    _worker(factory)
    assert len(relay.messages) == 1

    code, text = send(_dsn("gone@example.org", outbound_id), mail_from="")
    assert (code, text) == (250, "2.0.0 Accepted (bounce)")
    with factory() as session:
        identity = session.scalar(select(CustomerIdentity).where(CustomerIdentity.value == "gone@example.org"))
        assert identity is not None
        assert identity.undeliverable_at is not None
        assert "5.1.1" in (identity.undeliverable_reason or "")
        assert (
            session.scalar(
                select(func.count()).select_from(Interaction).where(Interaction.external_id == "<dsn-1@mx.example.org>")
            )
            == 0
        )
    bounced = _interaction(factory, outbound_id)
    assert bounced.delivery_status == "failed"
    assert "bounced" in (bounced.delivery_error or "")
    again = api.post(f"/api/v1/conversations/{first.conversation_id}/replies", json={"text": "Hello?"})
    assert again.status_code == 422
    assert "no deliverable e-mail address" in again.text
    _worker(factory)
    assert len(relay.messages) == 1


def test_a_relay_that_is_down_leaves_the_reply_retrying_then_sent(
    send: Send, factory: sessionmaker[Session], api: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert send(_mail("patient@example.com", "Refund", "<patient-1@example.com>"))[0] == 250
    first = _interaction(factory, "<patient-1@example.com>")
    port = live.free_port()  # nobody listens here yet
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", port)
    outbound_id = api.post(
        f"/api/v1/conversations/{first.conversation_id}/replies", json={"text": "Refunded today."}
    ).json()["external_id"]
    _worker(factory)
    waiting = _interaction(factory, outbound_id)
    assert waiting.delivery_status == "retrying"
    assert "attempt 1: ConnectionRefusedError" in (waiting.delivery_error or "")
    shown = api.get(f"/api/v1/conversations/{first.conversation_id}").json()["interactions"][0]
    assert (shown["delivery_status"], shown["delivery_error"]) == ("retrying", waiting.delivery_error)

    handler = Relay()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with factory() as session, session.begin():  # the retry's backoff has passed
            for job in session.scalars(select(Job).where(Job.status == "queued")):
                job.run_at = utcnow()
        _worker(factory)
    finally:
        controller.stop()
    assert [m["Message-ID"] for m in handler.messages] == [outbound_id]
    delivered = _interaction(factory, outbound_id)
    assert (delivered.delivery_status, delivered.delivery_error) == ("sent", None)


def test_a_database_that_is_down_answers_451_so_the_sender_retries(tmp_path: Path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}")
    port = live.free_port()
    server = mail_server(make_sessionmaker(broken), get_settings(), host="127.0.0.1", port=port)
    server.start()
    try:
        raw = _mail("x@example.com", "Hi", "<x-1@example.com>").as_bytes(policy=policy.SMTP)
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp, pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("x@example.com", [SUPPORT], raw)
        assert refused.value.smtp_code == 451
    finally:
        server.stop()
        broken.dispose()


def test_a_kept_message_is_replayed_through_the_mailbox(
    send: Send, factory: sessionmaker[Session], api: TestClient
) -> None:
    code, text = send(_mail("Kept <kept@localhost>", "No usable address", "<kept-1@example.com>"))
    assert code == 250
    dead_letter_id = text.rpartition("(")[2].rstrip(")")
    with factory() as session:
        kept = session.get_one(DeadLetter, dead_letter_id)
        assert "no usable customer identifier" in kept.reason
    failed = api.post(f"/api/v1/dead-letters/{dead_letter_id}/replay")
    assert failed.status_code == 200, failed.text
    assert failed.json()["result"].startswith("failed again: no usable customer identifier")

    readable = _mail("replayed@example.com", "Kept, then fixed", "<replayed-1@example.com>")
    readable.add_attachment(b"%PDF-1.4 receipt", maintype="application", subtype="pdf", filename="receipt.pdf")
    with factory() as session, session.begin():
        dead_letter = DeadLetter(
            source="smtp", content_type="message/rfc822", raw=readable.as_bytes(), reason="an old bug"
        )
        session.add(dead_letter)
        session.flush()
        dead_letter_id = dead_letter.id
    replayed = api.post(f"/api/v1/dead-letters/{dead_letter_id}/replay")
    assert replayed.json()["result"] == "recorded 1 interaction(s)"
    recorded = _interaction(factory, "<replayed-1@example.com>")
    with factory() as session:
        files = session.scalars(select(Attachment.filename).where(Attachment.interaction_id == recorded.id)).all()
    assert files == ["receipt.pdf"]


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "CXHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
        result = subprocess.run(
            [sys.executable, "-m", "cxhub", "smtp", "--port", str(port)],
            cwd=live.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"cannot receive mail on 127.0.0.1:{port}" in " ".join(result.stderr.split())
