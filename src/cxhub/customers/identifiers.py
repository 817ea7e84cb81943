"""Normalised identifiers: the exact keys that attach an interaction to a customer."""

from __future__ import annotations

import phonenumbers

EMAIL, PHONE, SOCIAL, SELLER_REF, VISITOR = "email", "phone", "social", "seller_ref", "visitor"


def normal_email(value: str) -> str | None:
    value = value.strip().lower()
    local, sep, domain = value.partition("@")
    if not sep or not local or "." not in domain or " " in value:
        return None
    return value


def normal_phone(value: str, country: str | None = None) -> str | None:
    """E.164 (`+353871234567`); a number without a country code needs the customer's country."""
    try:
        number = phonenumbers.parse(value, country.upper() if country else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normal_social(platform: str, handle: str) -> str | None:
    platform, handle = platform.strip().lower(), handle.strip().lstrip("@").lower()
    return f"{platform}:{handle}" if platform and handle else None


def normal_seller_ref(seller: str, customer_ref: str) -> str | None:
    seller, customer_ref = seller.strip().lower(), customer_ref.strip()
    return f"{seller}:{customer_ref}" if seller and customer_ref else None
