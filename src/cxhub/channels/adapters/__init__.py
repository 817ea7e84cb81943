"""Every channel adapter; importing this package registers them all."""

from cxhub.channels.adapters import commerce, generic, review, social, voice  # noqa: F401
