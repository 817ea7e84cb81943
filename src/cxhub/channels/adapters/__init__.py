"""Every channel adapter; importing this package registers them all."""

from cxhub.channels.adapters import chat, email, generic  # noqa: F401
