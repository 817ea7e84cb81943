"""The web chat adapter: the widget's JSON message in, replies carried by the visitor's live stream."""

from __future__ import annotations

import json

from pydantic import ValidationError

from cxhub.channels.adapter import Delivered, Outbound, ParseError, register
from cxhub.channels.adapters.generic import describe
from cxhub.channels.chat.schemas import ChatMessageCreate
from cxhub.channels.chat.tokens import InvalidPass, VisitorPass, read_pass
from cxhub.config import Settings, get_settings
from cxhub.conversations.schemas import CustomerIn, InteractionCreate
from cxhub.kit.time import utcnow


def external_id(visitor_pass: VisitorPass, client_id: str) -> str:
    """The widget's message id, scoped to the visitor so that no visitor can collide with another's."""
    return f"chat.{visitor_pass.visitor_id}.{client_id}"


class ChatAdapter:
    name = "chat"
    replies_to: tuple[str, ...] = ("chat",)

    def parse_inbound(self, raw: bytes, *, content_type: str | None) -> list[InteractionCreate]:
        try:
            body = json.loads(raw.decode())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ParseError(f"the body is not valid JSON: {exc}") from exc
        try:
            message = ChatMessageCreate.model_validate(body)
        except ValidationError as exc:
            raise ParseError(describe(exc)) from exc
        try:
            visitor_pass = read_pass(message.token, secret_key=get_settings().secret_key)
        except InvalidPass as exc:
            raise ParseError(str(exc)) from exc
        return [
            InteractionCreate(
                channel="chat",
                external_id=external_id(visitor_pass, message.id),
                occurred_at=utcnow(),
                direction="inbound",
                customer=CustomerIn(visitor_id=visitor_pass.visitor_id),
                brand=visitor_pass.brand_id,
                thread_ref=visitor_pass.session_id,
                text=message.text,
                metadata={"client_id": message.id},
            )
        ]

    def send(self, outbound: Outbound, *, settings: Settings) -> Delivered:
        return Delivered(status="sent")  # the visitor's event stream carries every recorded reply


register(ChatAdapter())
