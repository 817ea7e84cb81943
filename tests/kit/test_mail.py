"""Outbound mail written to an outbox directory, whole, instead of to a relay."""

from __future__ import annotations

import email
from email.message import EmailMessage
from pathlib import Path

import pytest

from cxhub.kit.mail import send_mail


def test_mail_lands_in_the_outbox_as_one_readable_file(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "hub@lumen.example", "lead@lumen.example", "SLA"
    message.set_content("A conversation breached its target.")
    send_mail(message, host="127.0.0.1", port=1, outbox=tmp_path / "outbox")
    (written,) = (tmp_path / "outbox").iterdir()
    assert written.suffix == ".eml"
    read = email.message_from_bytes(written.read_bytes())
    assert read["Subject"] == "SLA"
    assert "breached" in read.get_payload()


def test_without_an_outbox_the_relay_is_used(tmp_path: Path) -> None:
    message = EmailMessage()
    message["To"] = "lead@lumen.example"
    message.set_content("x")
    with pytest.raises(ConnectionRefusedError):  # nothing listens on port 1: the relay was tried
        send_mail(message, host="127.0.0.1", port=1)
