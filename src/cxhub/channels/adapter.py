"""The one protocol every channel implements, and the registry of adapters by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from cxhub.config import Settings
from cxhub.conversations.models import Attachment, Conversation, Interaction
from cxhub.conversations.schemas import InteractionCreate


class ParseError(Exception):
    """A payload the adapter cannot read; it is kept as a dead letter with this message as the reason."""


@dataclass(frozen=True)
class Outbound:
    """An agent's reply as the adapter needs it to deliver it."""

    interaction: Interaction
    conversation: Conversation
    recipient: str | None  # an e-mail address, a chat visitor id, a public post's URL ...
    in_reply_to: str | None = None  # the latest inbound external id (e-mail threading)
    references: list[str] = field(default_factory=list)
    attachments: list[tuple[Attachment, bytes]] = field(default_factory=list)


@dataclass(frozen=True)
class Delivered:
    status: str  # "sent": handed to the channel; "recorded": answered publicly elsewhere, noted here


class ChannelAdapter(Protocol):
    name: str  # registry key and webhook adapter name
    replies_to: tuple[str, ...]  # conversation channels whose replies it delivers

    def parse_inbound(self, raw: bytes, *, content_type: str | None) -> list[InteractionCreate]:
        """The interactions in one inbound payload; ParseError if it cannot be read."""
        ...

    def send(self, outbound: Outbound, *, settings: Settings) -> Delivered:
        """Deliver one reply; raise on a failure worth retrying."""
        ...


_ADAPTERS: dict[str, ChannelAdapter] = {}


def register(adapter: ChannelAdapter) -> ChannelAdapter:
    _ADAPTERS[adapter.name] = adapter
    return adapter


def adapters() -> dict[str, ChannelAdapter]:
    from cxhub.channels import adapters as _  # noqa: F401  importing the package registers every adapter

    return dict(_ADAPTERS)


def adapter(name: str) -> ChannelAdapter:
    found = adapters().get(name)
    if found is None:
        raise LookupError(f"no channel adapter named {name!r}")
    return found


def adapter_replying_to(channel: str) -> ChannelAdapter | None:
    return next((a for a in adapters().values() if channel in a.replies_to), None)
