"""Mail out: to the SMTP relay, or into an outbox directory when one is set (the demo, a trial without a relay)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from cxhub.kit.ids import new_id


def send_mail(message: EmailMessage, *, host: str, port: int, outbox: Path | None = None) -> None:
    """Hand one message to the relay; with an outbox, write it there as `<id>.eml` instead."""
    if outbox is not None:
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{new_id()}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(message.as_bytes())
        partial.rename(path)  # a reader never sees half a message
        return
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.send_message(message)
