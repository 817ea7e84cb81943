"""`cxhub smtp`: the inbound mail server. Each message is one unit of work, committed before the 250.

Database work runs in a thread, never on the event loop. A transient database error answers 451
(the sending server tries again later); a message that cannot be read or recorded is kept as a
dead letter and accepted, so it is never lost and never bounced back to a customer.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cxhub.channels import mailbox
from cxhub.config import Settings
from cxhub.conversations import service as conversations
from cxhub.conversations.models import DeadLetter
from cxhub.db import unit_of_work

log = logging.getLogger(__name__)

SOURCE = "smtp"
TRY_AGAIN = "451 4.3.0 Temporary failure, please try again later"


class InboundMailHandler:
    """aiosmtpd handler: recipients checked against the accepted domains, each message recorded durably."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self.factory = factory
        self.settings = settings
        self.domains = {domain.lower(): brand for domain, brand in settings.smtp_domains.items()}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        domain = address.rpartition("@")[2].lower()
        if self.domains and domain not in self.domains:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode("utf-8", "surrogateescape")
        # what a final delivery agent adds: the envelope sender (<> marks bounces and auto-replies)
        sender = (envelope.mail_from or "").strip().strip("<>")
        raw = f"Return-Path: <{sender}>\r\n".encode("utf-8", "surrogateescape") + raw
        return await asyncio.to_thread(self.deliver, raw, self._brand(envelope.rcpt_tos))

    def _brand(self, recipients: list[str]) -> str | None:
        for recipient in recipients:
            brand = self.domains.get(recipient.rpartition("@")[2].lower())
            if brand:
                return brand
        return None

    def deliver(self, raw: bytes, brand: str | None) -> str:
        """Record the message in one transaction; the reply code tells the sender whether it is ours now."""
        try:
            with unit_of_work(self.factory) as session:
                outcome = mailbox.receive_mail(session, raw=raw, brand=brand, settings=self.settings)
                if isinstance(outcome, DeadLetter):
                    answer = f"250 2.0.0 Accepted and kept for review ({outcome.id})"
                else:
                    answer = f"250 2.0.0 Accepted ({outcome.kind})"
            return answer
        except (OperationalError, DBAPIError) as exc:
            if isinstance(exc, OperationalError) or exc.connection_invalidated:
                log.warning("database unavailable, asking the sender to retry: %s", exc)
                return TRY_AGAIN
            return self._keep(raw, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug must not lose the mail: keep it for a replay after the fix
            log.exception("could not record a message")
            return self._keep(raw, f"{type(exc).__name__}: {exc}")

    def _keep(self, raw: bytes, reason: str) -> str:
        try:
            with unit_of_work(self.factory) as session:
                dead_letter = conversations.keep_dead_letter(
                    session, source=SOURCE, content_type="message/rfc822", raw=raw, reason=reason
                )
                dead_letter_id = dead_letter.id
        except Exception:  # not even kept: the sender keeps it and tries again
            log.exception("could not keep a message as a dead letter")
            return TRY_AGAIN
        return f"250 2.0.0 Accepted and kept for review ({dead_letter_id})"


def mail_server(factory: sessionmaker[Session], settings: Settings, *, host: str, port: int) -> Controller:
    """An SMTP server (not yet started) that records every message it accepts."""
    return Controller(
        InboundMailHandler(factory, settings),
        hostname=host,
        port=port,
        data_size_limit=settings.smtp_max_message_bytes,
        ident="cxhub",
    )
