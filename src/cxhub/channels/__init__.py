"""Channels: adapters that turn each source's payloads into interactions and deliver replies."""
