"""Masks for personal fields shown to partner users."""

from __future__ import annotations

from cxhub.auth.actor import Visibility


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str) -> str:
    digits = [c for c in value if c.isdigit()]
    if len(digits) <= 3:
        return "*" * len(digits)
    prefix = "+" if value.strip().startswith("+") else ""
    return prefix + "*" * (len(digits) - 3) + "".join(digits[-3:])


def mask_name(value: str) -> str:
    parts = value.split()
    if len(parts) < 2:
        return parts[0] if parts else ""
    return f"{parts[0]} {parts[-1][0]}."


def mask_address(city: str | None, country: str | None) -> str:
    return ", ".join(p for p in (city, country) if p)


_MASKS = {"email": mask_email, "phone": mask_phone, "name": mask_name}


def show(value: str | None, *, personal_field: str, visibility: Visibility) -> str | None:
    """The value as the viewer may see it: unchanged, masked, or not at all."""
    if value is None or visibility == "full":
        return value
    if visibility == "hidden":
        return None
    return _MASKS[personal_field](value)
