"""Voice: call records and voicemails from a phone platform.

Flat record: `call_id`, `started_at`, `caller` (E.164, or national with `caller_country`),
`caller_name`, `called_queue`, `direction`, `outcome` (answered, abandoned, voicemail, callback),
`abandoned`, `queue_seconds`, `talk_seconds`, `hold_seconds`, `wrap_seconds`, `recording_url`,
`transcript`, `agent_email`, `language`. A platform's `call.ended` event (`{"event": ..., "data":
{...}}` with Unix times, `raw_digits`, `number`, `user`, `missed_call_reason`) is flattened first.
"""

from __future__ import annotations

from typing import Any

from cxhub.channels.adapter import register
from cxhub.channels.adapters.records import RecordAdapter, RecordError, RecordReader, dig, unix_to_iso
from cxhub.conversations.schemas import CustomerIn, InteractionCreate, VoiceIn

OUTCOMES = ("answered", "abandoned", "voicemail", "callback")
CALL_EVENTS = ("call.ended", "call.hungup", "call.voicemail_left")


class VoiceAdapter(RecordAdapter):
    name = "voice"
    fields = frozenset(
        {
            "call_id",
            "started_at",
            "caller",
            "caller_country",
            "caller_name",
            "called_queue",
            "direction",
            "outcome",
            "abandoned",
            "queue_seconds",
            "talk_seconds",
            "hold_seconds",
            "wrap_seconds",
            "recording_url",
            "transcript",
            "agent_email",
            "language",
        }
    )

    def flatten(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        if "event" not in item or not isinstance(item.get("data"), dict):
            return [item]
        if item["event"] not in CALL_EVENTS:
            raise RecordError([f"event: {item['event']} is not a call record ({', '.join(CALL_EVENTS)})"])
        return [_platform_call(item["data"])]

    def interaction(self, fields: RecordReader) -> InteractionCreate:
        call_id = fields.need_text("call_id", max_length=200)
        started_at = fields.need_timestamp("started_at")
        caller = fields.phone("caller", country_field="caller_country", required=True)
        country = fields.country("caller_country")
        direction = fields.choice("direction", ("inbound", "outbound")) or "inbound"
        abandoned_flag = fields.boolean("abandoned")
        outcome = fields.choice("outcome", OUTCOMES) or ("abandoned" if abandoned_flag else "answered")
        abandoned = outcome == "abandoned" if abandoned_flag is None else abandoned_flag
        if abandoned and outcome == "answered":
            fields.fail("abandoned", "an answered call is not abandoned")
        if outcome == "abandoned" and not abandoned:
            fields.fail("abandoned", "an abandoned call has abandoned=true")
        voice = VoiceIn(
            queue_seconds=fields.seconds("queue_seconds"),
            talk_seconds=fields.seconds("talk_seconds"),
            hold_seconds=fields.seconds("hold_seconds"),
            wrap_seconds=fields.seconds("wrap_seconds"),
            abandoned=abandoned,
        )
        if abandoned and voice.talk_seconds:
            fields.fail("talk_seconds", "an abandoned call has no talk time")
        queue = fields.text("called_queue", max_length=200)
        name = fields.text("caller_name", max_length=200)
        url = fields.text("recording_url", max_length=2000)
        transcript = fields.text("transcript", max_length=200_000)
        agent = fields.text("agent_email", max_length=320)
        language = fields.text("language", max_length=16)
        fields.done()
        voicemail = outcome == "voicemail"
        return InteractionCreate(
            channel="voicemail" if voicemail else "voice",
            kind="voicemail" if voicemail else "call",
            external_id=call_id,
            occurred_at=started_at,
            direction="outbound" if direction == "outbound" else "inbound",
            customer=CustomerIn(phone=caller, country=country, name=name, language=language),
            subject=f"{'Voicemail' if voicemail else 'Call'} to {queue}" if queue else None,
            text=transcript,
            voice=voice,
            url=url,
            handled_by=agent,
            needs_answer=outcome != "answered",  # abandoned, voicemail and callback calls wait for a call back
            metadata={k: v for k, v in {"queue": queue, "outcome": outcome}.items() if v},
        )


def _platform_call(data: dict[str, Any]) -> dict[str, Any]:
    """A phone platform's call object (Unix times, `raw_digits`, `number`, `user`) as a flat record."""
    started: Any = data.get("started_at")
    answered: Any = data.get("answered_at")
    ended: Any = data.get("ended_at")
    times_known = all(isinstance(t, int | float) for t in (started, ended))
    voicemail = data.get("voicemail")
    if voicemail:
        outcome = "voicemail"
    elif answered:
        outcome = "answered"
    elif data.get("missed_call_reason") == "callback_requested":
        outcome = "callback"
    else:
        outcome = "abandoned"
    record: dict[str, Any] = {
        "call_id": str(data["id"]) if data.get("id") is not None else None,
        "started_at": unix_to_iso(started),
        "caller": data.get("raw_digits"),
        "caller_name": dig(data, "contact", "name"),
        "called_queue": dig(data, "number", "name"),
        "direction": data.get("direction"),
        "outcome": outcome,
        "recording_url": data.get("recording") or voicemail,
        "transcript": dig(data, "transcription", "content"),
        "agent_email": dig(data, "user", "email"),
        "hold_seconds": data.get("hold_duration"),
        "wrap_seconds": data.get("wrap_up_duration"),
    }
    if isinstance(record["caller"], str) and not record["caller"].startswith("+"):
        record["caller_country"] = dig(data, "number", "country")  # a national number: the line's country
    if times_known and answered:
        record["queue_seconds"] = answered - started
        record["talk_seconds"] = ended - answered
    elif times_known:
        record["queue_seconds"] = ended - started
    return {k: v for k, v in record.items() if v is not None}


register(VoiceAdapter())
