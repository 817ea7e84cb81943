"""Every domain's job handlers and personal-data holders, imported so that the registries are complete."""

import cxhub.analytics.tasks
import cxhub.auth.tasks
import cxhub.channels.tasks
import cxhub.conversations.privacy
import cxhub.conversations.tasks
import cxhub.customers.retention
import cxhub.customers.tasks
import cxhub.quality.tasks
import cxhub.routing.tasks  # noqa: F401
