"""Analytics operations."""

from __future__ import annotations
