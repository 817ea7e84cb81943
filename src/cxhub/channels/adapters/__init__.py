"""Every channel adapter; importing this package registers them all."""

from cxhub.channels.adapters import (
    chat,  # noqa: F401
    generic,  # noqa: F401
)
