"""The HTML side of the hub: every domain's pages under one router, and the start page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cxhub.analytics.pages import router as analytics_pages
from cxhub.auth.pages import router as auth_pages
from cxhub.channels.chat.pages import router as chat_pages
from cxhub.channels.pages import router as channels_pages
from cxhub.conversations.pages import router as conversations_pages
from cxhub.customers.pages import router as customers_pages
from cxhub.customers.privacy_pages import router as privacy_pages
from cxhub.deps import PageActor, csrf_protect
from cxhub.jobs.pages import router as jobs_pages
from cxhub.journeys.pages import router as journeys_pages
from cxhub.quality.pages import router as quality_pages
from cxhub.quality.qa_pages import router as qa_pages
from cxhub.routing.pages import router as routing_pages
from cxhub.web import render
from cxhub.workforce.pages import router as workforce_pages

router = APIRouter(include_in_schema=False)
home = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@home.get("/")
def start_page(request: Request, actor: PageActor) -> Response:
    permissions = sorted(actor.permissions, key=lambda p: p.value)
    return render(request, "home.html", permissions=permissions)


router.include_router(home)
router.include_router(auth_pages)
router.include_router(workforce_pages)
router.include_router(jobs_pages)
router.include_router(customers_pages)  # before conversations: /customers/review is not a customer's id
router.include_router(conversations_pages)
router.include_router(channels_pages)
router.include_router(chat_pages)
router.include_router(routing_pages)
router.include_router(journeys_pages)
router.include_router(privacy_pages)
router.include_router(analytics_pages)
router.include_router(quality_pages)
router.include_router(qa_pages)
