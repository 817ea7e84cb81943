"""Every domain's job handlers, imported by workers so that the registry is complete."""

import cxhub.auth.tasks
import cxhub.channels.tasks
import cxhub.conversations.tasks
import cxhub.customers.tasks
import cxhub.routing.tasks  # noqa: F401
