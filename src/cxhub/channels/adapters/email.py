"""E-mail: raw MIME in (read here, with no database), agents' replies out by SMTP.

`read_mail` tells a customer's message from an auto-reply or a bounce and returns what the
intake needs; threading, attachments and bounces are applied by `channels.mailbox`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser
from typing import Literal

from pydantic import ValidationError

from cxhub.channels.adapter import Delivered, Outbound, ParseError, register
from cxhub.config import Settings
from cxhub.conversations.schemas import CustomerIn, InteractionCreate
from cxhub.kit.mail import send_mail
from cxhub.kit.time import utcnow

MailKind = Literal["message", "auto_reply", "bounce"]
MAX_SUBJECT, MAX_TEXT, MAX_HTML = 500, 200_000, 500_000
AUTOMATED_SENDERS = ("mailer-daemon", "postmaster")
BULK_PRECEDENCE = ("bulk", "junk", "list", "auto_reply")
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|res|enc|rv|sv|vs|antw|tr|odp|r)\s*(?:\[\d+\])?\s*[:\uff1a]\s*|\[[^\]]{0,40}\]\s*)",
    re.IGNORECASE,
)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class FailedRecipient:
    address: str
    status: str
    diagnostic: str | None


@dataclass(frozen=True)
class InboundMail:
    """One message as read: a customer's message (with its interaction), an auto-reply or a bounce."""

    kind: MailKind
    message_id: str
    sender: str | None
    subject: str
    references: list[str]  # In-Reply-To then References, most recent first
    interaction_create: InteractionCreate | None = None
    attachments: list[MailAttachment] = field(default_factory=list)
    automated_because: str | None = None
    failed_recipients: list[FailedRecipient] = field(default_factory=list)
    bounced_message_id: str | None = None  # the hub's message that bounced, when the report quotes it


def normal_subject(subject: str | None) -> str:
    """The subject without Re:/Fwd:/AW:/RES: prefixes and tags, case-folded, spaces collapsed."""
    text = " ".join((subject or "").split())
    while True:
        stripped = _SUBJECT_PREFIX.sub("", text, count=1)
        if stripped == text:
            return text.casefold()
        text = stripped


def message_ids(value: str | None) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def read_mail(raw: bytes, *, now: dt.datetime | None = None) -> InboundMail:
    """Read one RFC 5322 message; ParseError when it has no sender to attach it to."""
    if not raw.strip():
        raise ParseError("the message is empty")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not any(key.lower() in ("from", "sender", "return-path") for key in message):
        raise ParseError("not an e-mail message: no From header")
    headers = _Headers(message, raw)
    message_id = (message_ids(headers.get("Message-ID")) or [_generated_id(raw)])[0][:MAX_SUBJECT]
    senders = [addr for _, addr in getaddresses([headers.get("From") or ""]) if "@" in addr]
    sender = senders[0].strip() if senders else None
    subject = _truncate(headers.get("Subject") or "", MAX_SUBJECT)
    in_reply_to = message_ids(headers.get("In-Reply-To"))
    references = list(dict.fromkeys([*in_reply_to, *reversed(message_ids(headers.get("References")))]))
    automated = _automated(message, headers, sender)
    if automated is not None:
        kind, because = automated
        failed, bounced_id = _bounce_report(message, headers) if kind == "bounce" else ([], None)
        return InboundMail(
            kind=kind,
            message_id=message_id,
            sender=sender,
            subject=subject,
            references=references,
            automated_because=because,
            failed_recipients=failed,
            bounced_message_id=bounced_id,
        )
    if sender is None:
        raise ParseError("the From header holds no e-mail address")
    text, html, attachments = _content(message)
    name = next((n for n, addr in getaddresses([headers.get("From") or ""]) if addr == sender), "")
    metadata = {
        "email": {
            "from": sender,
            "to": _addresses(headers.get("To")),
            "cc": _addresses(headers.get("Cc")),
            "reply_to": _addresses(headers.get("Reply-To")),
            "in_reply_to": in_reply_to[0] if in_reply_to else None,
            "references": references,
            "truncated": len(text or "") > MAX_TEXT or len(html or "") > MAX_HTML,
        }
    }
    try:
        interaction_create = InteractionCreate(
            channel="email",
            external_id=message_id,
            occurred_at=_occurred_at(headers.get("Date"), now or utcnow()),
            direction="inbound",
            customer=CustomerIn(email=sender[:320], name=_truncate(name, 200) or None),
            subject=subject or None,
            text=_truncate(text, MAX_TEXT) if text else None,
            html=html if html and len(html) <= MAX_HTML else None,
            metadata=metadata,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ParseError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from exc
    return InboundMail(
        kind="message",
        message_id=message_id,
        sender=sender,
        subject=subject,
        references=references,
        interaction_create=interaction_create,
        attachments=attachments,
    )


class _Headers:
    """Decoded header values; one the modern parser cannot read is read again from the raw bytes."""

    def __init__(self, message: EmailMessage, raw: bytes) -> None:
        self.message = message
        self.raw = raw

    def get(self, name: str) -> str | None:
        try:
            value = self.message.get(name)
            text = None if value is None else str(value)
        except Exception:  # a malformed header must not lose the mail
            text = self._raw_value(name)
        if text is not None and ("\ufffd" in text or _has_surrogates(text)):
            text = self._raw_value(name) or text
        return _clean(text) if text is not None else None

    def _raw_value(self, name: str) -> str | None:
        """The header as sent: 8-bit bytes read as UTF-8 or Windows-1252, encoded words decoded where possible."""
        head = re.split(rb"\r?\n\r?\n", self.raw, maxsplit=1)[0]
        for line in re.sub(rb"\r?\n[ \t]+", b" ", head).splitlines():
            key, sep, value = line.partition(b":")
            if sep and key.strip().lower() == name.lower().encode():
                text = _decode(value.strip(), None)
                try:
                    return str(make_header(decode_header(text)))
                except (LookupError, UnicodeError, ValueError):
                    return text
        return None


def _eight_bit_text(value: str) -> str:
    """Raw 8-bit header bytes (kept as surrogates) read as UTF-8, else Windows-1252."""
    if not _has_surrogates(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    return _decode(data, None)


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _clean(text: str) -> str:
    return _eight_bit_text(text).replace("\x00", "")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


def _generated_id(raw: bytes) -> str:
    """A stable id for a message that has none: the same bytes delivered twice are one message."""
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.cxhub>"


def _addresses(value: str | None) -> list[str]:
    return [addr for _, addr in getaddresses([value or ""]) if "@" in addr][:50]


def _occurred_at(value: str | None, now: dt.datetime) -> dt.datetime:
    try:
        parsed = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        return now
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)  # "-0000": the sender did not know its zone
    parsed = parsed.astimezone(dt.UTC)
    return now if parsed > now + dt.timedelta(days=1) else parsed  # a clock far ahead is not believed


def _automated(message: EmailMessage, headers: _Headers, sender: str | None) -> tuple[MailKind, str] | None:
    """(bounce | auto_reply, why) for mail no person wrote (RFC 3834 and common practice); None otherwise."""
    content_type = message.get_content_type()
    report_type = str(message.get_param("report-type", "") or "").lower()
    if content_type == "multipart/report" and report_type == "delivery-status":
        return "bounce", "a delivery status notification"
    local_part = (sender or "").partition("@")[0].lower()
    if local_part in AUTOMATED_SENDERS:
        return "bounce", f"sent by {local_part}"
    if headers.get("X-Failed-Recipients"):
        return "bounce", "X-Failed-Recipients"
    if content_type == "multipart/report":
        return "auto_reply", f"a {report_type or 'machine'} report"
    auto_submitted = (headers.get("Auto-Submitted") or "").strip().lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return "auto_reply", f"Auto-Submitted: {auto_submitted}"
    precedence = (headers.get("Precedence") or "").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return "auto_reply", f"Precedence: {precedence}"
    if headers.get("List-Id") and precedence:
        return "auto_reply", "mailing-list mail"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if headers.get(name) is not None:
            return "auto_reply", name
    if (headers.get("Return-Path") or "").strip() == "<>":
        return "auto_reply", "a null return path"
    return None


def _bounce_report(message: EmailMessage, headers: _Headers) -> tuple[list[FailedRecipient], str | None]:
    """The recipients that failed for good, and the Message-ID of the message that bounced."""
    failed: list[FailedRecipient] = []
    bounced_id: str | None = None
    for part in _leaves_and_reports(message):
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            for block in part.get_payload():
                if not isinstance(block, Message):
                    continue
                action = str(block.get("Action", "")).strip().lower()
                status = str(block.get("Status", "")).strip()
                recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
                address = recipient.partition(";")[2].strip() if ";" in recipient else recipient.strip()
                if action == "failed" and "@" in address and not status.startswith("4"):
                    diagnostic = str(block.get("Diagnostic-Code") or "").strip() or None
                    failed.append(FailedRecipient(address.strip("<>").lower(), status or "5.0.0", diagnostic))
        elif content_type in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            returned = _returned_headers(part)
            if returned is not None and bounced_id is None:
                bounced_id = next(iter(message_ids(str(returned.get("Message-ID", "")))), None)
    if not failed:
        for address in _addresses(headers.get("X-Failed-Recipients")):
            failed.append(FailedRecipient(address.lower(), "5.0.0", None))
    return failed, bounced_id


def _leaves_and_reports(part: Message) -> list[Message]:
    if part.get_content_type() in ("message/delivery-status", "message/rfc822"):
        return [part]
    if part.is_multipart():
        payload = part.get_payload()
        return [leaf for sub in payload if isinstance(sub, Message) for leaf in _leaves_and_reports(sub)]
    return [part]


def _returned_headers(part: Message) -> Message | None:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        return payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return None
    return BytesParser(policy=policy.default).parsebytes(data, headersonly=True)


def _content(message: EmailMessage) -> tuple[str | None, str | None, list[MailAttachment]]:
    """(text, html, attachments): bodies from any nesting of multiparts; HTML-only mail gets a text version."""
    try:
        plain_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
    except Exception:  # a broken structure: read what the leaves hold
        plain_part = html_part = None
    if plain_part is None and html_part is None and message.get_content_maintype() == "text":
        plain_part = message
    text = _part_text(plain_part) if plain_part is not None else None
    html = _part_text(html_part) if html_part is not None else None
    if not text and html:
        text = html_to_text(html)
    bodies = {id(p) for p in (plain_part, html_part) if p is not None}
    return text, html, _attachments(message, bodies)


def _attachments(part: Message, bodies: set[int]) -> list[MailAttachment]:
    found: list[MailAttachment] = []
    content_type = part.get_content_type()
    if content_type == "message/rfc822":  # a forwarded message, kept whole
        inner = _returned_headers(part)
        if inner is not None:
            subject = str(inner.get("Subject", "") or "forwarded message")
            found.append(MailAttachment(_safe_filename(f"{subject[:80]}.eml"), content_type, inner.as_bytes()))
        return found
    if part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                found.extend(_attachments(sub, bodies))
        return found
    if id(part) in bodies:
        return found
    filename = _filename(part)
    disposition = part.get_content_disposition()
    if filename is None and disposition != "attachment" and part.get_content_maintype() == "text":
        return found  # an extra text part of the body, not a file
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload:
        return found
    data = payload
    if filename is None:
        filename = f"attachment{mimetypes.guess_extension(content_type) or '.bin'}"
    found.append(MailAttachment(_safe_filename(filename), content_type, data))
    return found


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # an undecodable name is not worth losing the file
        name = None
    if name is None:
        return None
    return _clean(str(make_header(decode_header(name)))) if "=?" in name else _clean(name)


def _safe_filename(name: str) -> str:
    return name.replace("/", "_").replace("\\", "_").strip()[:200] or "attachment"


def _part_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return _clean(payload).replace("\r\n", "\n") if isinstance(payload, str) else ""
    return _decode(data, part.get_content_charset()).replace("\r\n", "\n").replace("\x00", "")  # lines as stored


def _decode(data: bytes, charset: str | None) -> str:
    """Bytes as the declared charset; a missing or wrong one falls back to UTF-8, then Windows-1252."""
    declared = (charset or "").strip().strip('"').lower()
    if declared in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
        declared = "windows-1252"  # what such mail really uses: its curly quotes and euro sign live in 0x80-0x9f
    for candidate in (declared, "utf-8", "windows-1252"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


class _TextFromHtml(HTMLParser):
    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", "hr"}
    )
    SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "blockquote":
            self.quote_depth += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag == "blockquote" and self.quote_depth:
            self.quote_depth -= 1
        if tag in self.BLOCKS and tag not in ("br", "li"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = re.sub(r"[ \t\r\n\f]+", " ", data)
        if self.quote_depth and text.strip():
            text = "> " * self.quote_depth + text.lstrip()
        self.parts.append(text)


def html_to_text(html: str) -> str:
    """A readable plain-text version of an HTML body: blocks on their own lines, quotes marked with >."""
    parser = _TextFromHtml()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # the parser is lenient; whatever it still rejects is read as tag-stripped text
        return unescape(re.sub(r"<[^>]*>", " ", html)).strip()
    lines = [line.strip() for line in "".join(parser.parts).replace("\xa0", " ").splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def build_reply(outbound: Outbound, *, settings: Settings) -> EmailMessage:
    """The MIME message of an agent's reply, threaded under the customer's mail."""
    interaction = outbound.interaction
    if not outbound.recipient:
        raise ValueError("the reply has no recipient address")
    message = EmailMessage()
    message["From"] = settings.mail_reply_from or settings.mail_from
    message["To"] = outbound.recipient
    message["Subject"] = interaction.subject or _reply_subject(outbound.conversation.subject)
    message["Date"] = format_datetime(interaction.occurred_at.astimezone(dt.UTC))
    message["Message-ID"] = interaction.external_id
    if outbound.in_reply_to:
        message["In-Reply-To"] = outbound.in_reply_to
    references = [r for r in outbound.references if _MESSAGE_ID.fullmatch(r)]
    if len(references) > 20:  # the first (the thread's root) and the latest are the ones clients use
        references = [references[0], *references[-19:]]
    if references:
        message["References"] = " ".join(references)
    message.set_content(interaction.text or "")
    if interaction.html:
        message.add_alternative(interaction.html, subtype="html")
    for attachment, data in outbound.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            data, maintype=maintype or "application", subtype=subtype or "octet-stream", filename=attachment.filename
        )
    return message


def _reply_subject(subject: str | None) -> str:
    if not subject:
        return "Re: your message"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


class EmailAdapter:
    name = "email"
    replies_to: tuple[str, ...] = ("email",)

    def parse_inbound(self, raw: bytes, *, content_type: str | None) -> list[InteractionCreate]:
        """The customer's message; an auto-reply or a bounce holds none."""
        mail = read_mail(raw)
        return [mail.interaction_create] if mail.interaction_create is not None else []

    def send(self, outbound: Outbound, *, settings: Settings) -> Delivered:
        message = build_reply(outbound, settings=settings)
        send_mail(message, host=settings.smtp_host, port=settings.smtp_port, outbox=settings.mail_outbox)
        return Delivered(status="sent")


register(EmailAdapter())
