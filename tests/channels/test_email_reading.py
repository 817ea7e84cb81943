"""Reading raw mail without a database: bodies, charsets, attachments, auto-replies, bounces, replies out."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from cxhub.channels.adapter import Outbound, ParseError, adapter
from cxhub.channels.adapters.email import build_reply, html_to_text, normal_subject, read_mail
from cxhub.config import get_settings
from cxhub.conversations.models import Attachment, Conversation, Interaction

CURLY = "\u201cQuoted\u201d \u2013 5 \u20ac"  # curly quotes, an en dash, the euro: 0x80-0x9f in Windows-1252
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def _mail(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Jane Doe <Jane.Doe@Example.com>")
    message["To"] = headers.pop("To", "support@lumen.example")
    message["Subject"] = headers.pop("Subject", "Where is my order?")
    message["Date"] = headers.pop("Date", "Mon, 02 Mar 2026 09:30:00 +0100")
    message["Message-ID"] = headers.pop("Message_ID", "<m1@example.com>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Hello,\nmy order 1234 has not arrived.\n")
    return message


def test_plain_message() -> None:
    mail = read_mail(_mail(Cc="partner@example.com").as_bytes(), now=NOW)
    assert mail.kind == "message"
    created = mail.interaction_create
    assert created is not None
    assert created.external_id == "<m1@example.com>"
    assert created.customer.email == "Jane.Doe@Example.com"
    assert created.customer.name == "Jane Doe"
    assert created.subject == "Where is my order?"
    assert created.occurred_at == dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)
    assert created.text == "Hello,\nmy order 1234 has not arrived."
    assert created.html is None
    assert created.metadata["email"]["to"] == ["support@lumen.example"]
    assert created.metadata["email"]["cc"] == ["partner@example.com"]
    assert adapter("email").parse_inbound(_mail().as_bytes(), content_type=None)[0].external_id == "<m1@example.com>"


def test_missing_message_id_and_date_are_made_stable_and_now() -> None:
    raw = b"From: jane@example.com\r\nSubject: hi\r\n\r\nHello\r\n"
    first, again = read_mail(raw, now=NOW), read_mail(raw, now=NOW)
    assert first.message_id == again.message_id
    assert first.message_id.endswith("@no-message-id.cxhub>")
    assert first.interaction_create is not None
    assert first.interaction_create.occurred_at == NOW
    undated = read_mail(b"From: j@example.com\r\nDate: yesterday-ish\r\n\r\nx", now=NOW).interaction_create
    assert undated is not None
    assert undated.occurred_at == NOW


def test_multipart_alternative_with_nested_related_and_attachment() -> None:
    message = _mail()
    message.set_content("Plain version")
    message.add_alternative("<p>HTML <b>version</b></p>", subtype="html")
    message.get_payload()[1].add_related(b"\x89PNG\r\n\x1a\nimage", "image", "png", cid="<logo>")  # type: ignore[union-attr]
    message.add_attachment(b"%PDF-1.4 invoice", maintype="application", subtype="pdf", filename="invoice.pdf")
    mail = read_mail(message.as_bytes(), now=NOW)
    assert mail.interaction_create is not None
    assert mail.interaction_create.text == "Plain version"
    assert "HTML <b>version</b>" in (mail.interaction_create.html or "")
    assert {(a.filename, a.content_type) for a in mail.attachments} == {
        ("invoice.pdf", "application/pdf"),
        ("attachment.png", "image/png"),
    }
    assert next(a for a in mail.attachments if a.filename == "invoice.pdf").data == b"%PDF-1.4 invoice"


def test_html_only_gets_a_text_version() -> None:
    message = _mail()
    message.set_content(
        "<html><head><style>p{color:red}</style></head><body><p>Hello&nbsp;team,</p><p>my order"
        " <b>1234</b> is late.</p><ul><li>one</li><li>two</li></ul><blockquote>old text</blockquote></body></html>",
        subtype="html",
    )
    created = read_mail(message.as_bytes(), now=NOW).interaction_create
    assert created is not None
    assert created.text == "Hello team,\n\nmy order 1234 is late.\n\n- one\n- two\n\n> old text"
    assert created.html is not None
    assert html_to_text("<p>a<br>b</p>") == "a\nb"


@pytest.mark.parametrize(
    ("charset", "body", "expected"),
    [
        ("iso-8859-1", "Olá, não recebi a encomenda.".encode("iso-8859-1"), "Olá, não recebi a encomenda."),
        ("windows-1252", CURLY.encode("cp1252"), CURLY),
        ("iso-8859-1", CURLY.encode("cp1252"), CURLY),  # mislabelled, as often
        ("iso-2022-jp", "注文が届きません".encode("iso2022_jp"), "注文が届きません"),
        ("x-no-such-charset", "café".encode(), "café"),
        (None, "café".encode("cp1252"), "café"),
        ("utf-8", b"caf\xe9 au lait", "café au lait"),  # declared UTF-8, written in Latin-1
    ],
)
def test_charsets(charset: str | None, body: bytes, expected: str) -> None:
    content_type = f"text/plain; charset={charset}" if charset else "text/plain"
    raw = (
        b"From: jane@example.com\r\nSubject: =?ISO-8859-1?Q?Encomenda_n=E3o_recebida?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: " + content_type.encode() + b"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n"
    )
    created = read_mail(raw, now=NOW).interaction_create
    assert created is not None
    assert (created.text or "").strip() == expected
    assert created.subject == "Encomenda não recebida"


def test_raw_eight_bit_headers_and_unknown_encoded_words_do_not_crash() -> None:
    raw = (
        b"From: =?x-unknown?q?Jo=E3o?= <joao@example.pt>\r\nSubject: Encomenda n\xe3o recebida\r\n"
        b"Message-ID: <pt-1@example.pt>\r\n\r\nOl\xe1\r\n"
    )
    mail = read_mail(raw, now=NOW)
    assert mail.interaction_create is not None
    assert mail.interaction_create.subject == "Encomenda não recebida"
    assert mail.interaction_create.customer.email == "joao@example.pt"
    assert (mail.interaction_create.text or "").strip() == "Olá"


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Auto_Submitted": "auto-generated; owner-email=x@example.com"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"List_Id": "<news.example.com>", "Precedence": "list"},
        {"X_Autoreply": "yes"},
        {"X_Autorespond": "Out of office"},
        {"Return_Path": "<>"},
    ],
)
def test_auto_replies_are_recognised(headers: dict[str, str]) -> None:
    mail = read_mail(_mail(**headers).as_bytes(), now=NOW)
    assert mail.kind == "auto_reply"
    assert mail.interaction_create is None
    assert adapter("email").parse_inbound(_mail(**headers).as_bytes(), content_type=None) == []


def test_auto_submitted_no_is_a_person() -> None:
    assert read_mail(_mail(Auto_Submitted="no").as_bytes(), now=NOW).kind == "message"


DSN = b"""Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: support@lumen.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; Gone@Example.org
Original-Recipient: rfc822;gone@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: user unknown

Final-Recipient: rfc822; slow@example.org
Action: delayed
Status: 4.4.1

--B
Content-Type: text/rfc822-headers

From: support@lumen.example
To: gone@example.org
Message-ID: <reply-1@lumen.example>
Subject: Re: hi

--B--
"""


def test_a_delivery_status_notification_names_the_failed_recipient_and_message() -> None:
    mail = read_mail(DSN, now=NOW)
    assert mail.kind == "bounce"
    assert [(f.address, f.status) for f in mail.failed_recipients] == [("gone@example.org", "5.1.1")]
    assert "user unknown" in (mail.failed_recipients[0].diagnostic or "")
    assert mail.bounced_message_id == "<reply-1@lumen.example>"


def test_a_postmaster_notice_is_a_bounce_even_without_a_report() -> None:
    mail = read_mail(_mail(From="postmaster@example.org", X_Failed_Recipients="gone@example.org").as_bytes(), now=NOW)
    assert mail.kind == "bounce"
    assert [f.address for f in mail.failed_recipients] == ["gone@example.org"]


@pytest.mark.parametrize("raw", [b"", b"\x00\xff\xfe garbage \x89PNG\r\n", b"Subject: no sender\r\n\r\nx"])
def test_unreadable_mail_is_a_parse_error(raw: bytes) -> None:
    with pytest.raises(ParseError):
        read_mail(raw, now=NOW)


def test_references_most_recent_first() -> None:
    mail = read_mail(
        _mail(In_Reply_To="<c@x>", References="<a@x> <b@x> <c@x>", Subject="RE: AW: Fwd: [#12] Order").as_bytes(),
        now=NOW,
    )
    assert mail.references == ["<c@x>", "<b@x>", "<a@x>"]
    assert normal_subject(mail.subject) == "order"
    assert normal_subject("Res: RES:  Encomenda   1234") == "encomenda 1234"


def test_a_reply_is_threaded_under_the_customer_mail() -> None:
    conversation = Conversation(subject="Where is my order?")
    reply = Interaction(
        external_id="<r1@lumen.example>",
        subject="Re: Where is my order?",
        text="It ships today.",
        html="<p>It ships today.</p>",
        occurred_at=NOW,
    )
    attachment = Attachment(filename="label.pdf", content_type="application/pdf")
    message = build_reply(
        Outbound(
            interaction=reply,
            conversation=conversation,
            recipient="jane@example.com",
            in_reply_to="<m1@example.com>",
            references=["<m1@example.com>", "not-an-id"],
            attachments=[(attachment, b"%PDF-1.4")],
        ),
        settings=get_settings().model_copy(update={"mail_reply_from": "Lumen Support <support@lumen.example>"}),
    )
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["From"] == "Lumen Support <support@lumen.example>"
    assert parsed["To"] == "jane@example.com"
    assert parsed["Message-ID"] == "<r1@lumen.example>"
    assert parsed["In-Reply-To"] == "<m1@example.com>"
    assert parsed["References"] == "<m1@example.com>"
    assert parsed.get_body(("plain",)).get_content() == "It ships today.\n"  # type: ignore[union-attr]
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["label.pdf"]  # type: ignore[attr-defined]
