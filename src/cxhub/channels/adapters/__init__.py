"""Every channel adapter; importing this package registers them all."""

from cxhub.channels.adapters import generic  # noqa: F401
