"""Social: mentions, comments and messages from social platforms; replies are answered in public.

Flat record: `platform`, `post_id`, `handle`, `author_name`, `occurred_at`, `text`, `url`, `public`
(default true), `thread_ref` (the post a comment answers), `language`, `country`. An X-like
`tweet_create_events` payload and an Instagram-like `{"object": "instagram", "entry": [...]}` payload
are flattened first; events that carry no customer's words (likes, follows) are acknowledged and skipped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cxhub.channels.adapter import register
from cxhub.channels.adapters.records import RecordAdapter, RecordError, RecordReader, dig, unix_to_iso
from cxhub.conversations.schemas import CustomerIn, InteractionCreate

INSTAGRAM_FIELDS = ("comments", "live_comments")


class SocialAdapter(RecordAdapter):
    name = "social"
    replies_to: tuple[str, ...] = ("social",)
    fields = frozenset(
        {
            "platform",
            "post_id",
            "handle",
            "author_name",
            "occurred_at",
            "text",
            "url",
            "public",
            "thread_ref",
            "language",
            "country",
        }
    )

    def flatten(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        if "for_user_id" in item:
            return [_x_post(tweet) for tweet in item.get("tweet_create_events") or [] if _from_others(item, tweet)]
        if item.get("object") == "instagram":
            return [
                _instagram_comment(entry, change["value"])
                for entry in item.get("entry") or []
                for change in entry.get("changes") or []
                if change.get("field") in INSTAGRAM_FIELDS and isinstance(change.get("value"), dict)
            ]
        return [item]

    def interaction(self, fields: RecordReader) -> InteractionCreate:
        platform = fields.need_text("platform", max_length=40)
        post_id = fields.need_text("post_id", max_length=200)
        handle = fields.need_text("handle", max_length=200)
        occurred_at = fields.need_timestamp("occurred_at")
        public = fields.boolean("public")
        thread = fields.text("thread_ref", max_length=200)
        name = fields.text("author_name", max_length=200)
        text = fields.text("text", max_length=200_000)
        url = fields.text("url", max_length=2000)
        language = fields.text("language", max_length=16)
        country = fields.country("country")
        fields.done()
        platform = platform.lower()
        return InteractionCreate(
            channel="social",
            kind="post",
            external_id=f"{platform}:{post_id}",
            occurred_at=occurred_at,
            direction="inbound",
            customer=CustomerIn(platform=platform, handle=handle, name=name, language=language, country=country),
            thread_ref=f"{platform}:{thread or post_id}",
            text=text,
            url=url,
            public=True if public is None else public,
        )


def _from_others(envelope: dict[str, Any], tweet: Any) -> bool:
    """A post by someone else than the brand's own account (the brand's own replies are recorded already)."""
    return isinstance(tweet, dict) and dig(tweet, "user", "id_str") != str(envelope["for_user_id"])


def _x_post(tweet: dict[str, Any]) -> dict[str, Any]:
    handle = dig(tweet, "user", "screen_name")
    created = tweet.get("created_at")
    if isinstance(created, str):
        try:
            created = dt.datetime.strptime(created, "%a %b %d %H:%M:%S %z %Y").isoformat()
        except ValueError:
            raise RecordError([f"created_at: {created} is not a time such as Wed Nov 18 09:12:44 +0000 2026"]) from None
    record = {
        "platform": "x",
        "post_id": tweet.get("id_str"),
        "handle": handle,
        "author_name": dig(tweet, "user", "name"),
        "occurred_at": created,
        "text": tweet.get("full_text") or tweet.get("text"),
        "url": f"https://x.com/{handle}/status/{tweet.get('id_str')}" if handle and tweet.get("id_str") else None,
        "thread_ref": tweet.get("in_reply_to_status_id_str"),
        "language": tweet.get("lang"),
    }
    return {k: v for k, v in record.items() if v is not None}


def _instagram_comment(entry: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    record = {
        "platform": "instagram",
        "post_id": value.get("id"),
        "handle": dig(value, "from", "username"),
        "occurred_at": unix_to_iso(entry.get("time")),
        "text": value.get("text"),
        "thread_ref": dig(value, "media", "id"),
    }
    return {k: v for k, v in record.items() if v is not None}


register(SocialAdapter())
