"""The languages surveys speak, and their message catalogues (Babel, compiled .mo files under locale/)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.support import Translations

LANGUAGES = ("en", "pt", "es")
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "surveys"


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; it is translated where it is shown."""
    return message


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> Translations:
    if language not in LANGUAGES:
        raise ValueError(f"surveys are not translated to {language!r}")
    found = Translations.load(str(LOCALE_DIR), [language], DOMAIN)
    if not isinstance(found, Translations):
        raise LookupError(f"no {DOMAIN} catalogue for {language!r} under {LOCALE_DIR}")
    return found


def survey_language(*candidates: str | None, default: str) -> str:
    """The first candidate whose language the surveys speak ('pt-BR' speaks 'pt'), else the default."""
    for value in candidates:
        primary = (value or "").replace("_", "-").split("-")[0].strip().lower()
        if primary in LANGUAGES:
            return primary
    return default


def accepted_language(header: str | None) -> str:
    """The browser's preferred survey language from its Accept-Language header; English when none fits."""
    preferred = []
    for part in (header or "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        preferred.append((weight, tag))
    ordered = [tag for _, tag in sorted(preferred, key=lambda p: -p[0])]
    return survey_language(*ordered, default="en")


def long_date(value: dt.datetime, language: str) -> str:
    """A date as the language writes it ('10 de dezembro de 2026')."""
    try:
        return format_date(value.date(), format="long", locale=Locale.parse(language))
    except (UnknownLocaleError, ValueError):
        return value.date().isoformat()
