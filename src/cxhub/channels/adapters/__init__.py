"""Every channel adapter; importing this package registers them all."""

from cxhub.channels.adapters import chat, commerce, email, generic, review, social, voice  # noqa: F401
