"""Reviews: ratings and reviews from review sites and marketplaces; replies are answered in public.

Flat record: `platform`, `review_id`, `revision` (an edited review's version), `rating` (1-5),
`title`, `text`, `handle` (the reviewer's id on the platform), `reviewer_name`, `reviewer_email`,
`url`, `public` (default true), `thread_ref`, `order_ref`, `occurred_at`, `language`, `country`.
A Trustpilot-like `{"events": [{"eventName": "service-review-created", "eventData": {...}}]}`
payload is flattened first; deletions are acknowledged and skipped.
"""

from __future__ import annotations

from typing import Any

from cxhub.channels.adapter import register
from cxhub.channels.adapters.records import RecordAdapter, RecordReader, dig
from cxhub.conversations.schemas import CustomerIn, InteractionCreate

REVIEW_EVENTS = ("service-review-created", "service-review-updated")


class ReviewAdapter(RecordAdapter):
    name = "review"
    replies_to: tuple[str, ...] = ("review",)
    fields = frozenset(
        {
            "platform",
            "review_id",
            "revision",
            "rating",
            "title",
            "text",
            "handle",
            "reviewer_name",
            "reviewer_email",
            "url",
            "public",
            "thread_ref",
            "order_ref",
            "occurred_at",
            "language",
            "country",
        }
    )

    def flatten(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        if not isinstance(item.get("events"), list):
            return [item]
        return [
            _review_site_event(event)
            for event in item["events"]
            if isinstance(event, dict) and event.get("eventName") in REVIEW_EVENTS
        ]

    def interaction(self, fields: RecordReader) -> InteractionCreate:
        platform = fields.need_text("platform", max_length=40)
        review_id = fields.need_text("review_id", max_length=200)
        revision = fields.text("revision", max_length=100)
        rating = fields.integer("rating", low=1, high=5, required=True)
        occurred_at = fields.need_timestamp("occurred_at")
        handle = fields.text("handle", max_length=200)
        email = fields.email("reviewer_email")
        if not handle and not fields.record.get("reviewer_email"):
            fields.fail("handle", "give the reviewer's handle or reviewer_email")
        public = fields.boolean("public")
        title = fields.text("title", max_length=500)
        text = fields.text("text", max_length=200_000)
        name = fields.text("reviewer_name", max_length=200)
        url = fields.text("url", max_length=2000)
        thread = fields.text("thread_ref", max_length=200)
        order_ref = fields.text("order_ref", max_length=200)
        language = fields.text("language", max_length=16)
        country = fields.country("country")
        fields.done()
        platform = platform.lower()
        return InteractionCreate(
            channel="review",
            kind="review",
            external_id=f"{platform}:{review_id}" + (f"#{revision}" if revision else ""),
            occurred_at=occurred_at,
            direction="inbound",
            customer=CustomerIn(
                platform=platform if handle else None,
                handle=handle,
                email=email,
                name=name,
                language=language,
                country=country,
            ),
            thread_ref=f"{platform}:{thread or review_id}",
            subject=title,
            text=text,
            rating=rating,
            order_ref=order_ref,
            url=url,
            public=True if public is None else public,
        )


def _review_site_event(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("eventData") or {}
    updated = event.get("eventName") == "service-review-updated"
    record = {
        "platform": "trustpilot",
        "review_id": data.get("id"),
        "revision": data.get("updatedAt") if updated else None,
        "rating": data.get("stars"),
        "title": data.get("title"),
        "text": data.get("text"),
        "handle": dig(data, "consumer", "id"),
        "reviewer_name": dig(data, "consumer", "name"),
        "url": data.get("link"),
        "order_ref": data.get("referenceId"),
        "occurred_at": data.get("updatedAt") if updated else data.get("createdAt"),
        "language": data.get("language"),
    }
    return {k: v for k, v in record.items() if v is not None}


register(ReviewAdapter())
