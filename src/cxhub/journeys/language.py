"""The language of a customer's text, detected offline (lingua ships its models in the package)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cache
from typing import Any

MIN_LETTERS = 12  # shorter texts ("ok", "thanks") say too little to tell a language
MIN_CONFIDENCE = 0.5
_lock = threading.Lock()


@cache
def _detector(codes: tuple[str, ...]) -> Any:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in codes]
    return LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()


def supported(codes: Iterable[str]) -> tuple[str, ...]:
    """The ISO 639-1 codes among `codes` that the detector knows, sorted."""
    from lingua import IsoCode639_1

    return tuple(sorted({c.lower() for c in codes if hasattr(IsoCode639_1, c.upper())}))


def detect_language(text: str, *, candidates: Iterable[str]) -> str | None:
    """The ISO 639-1 code of the likeliest candidate language, or None when the text is too short or unclear."""
    codes = supported(candidates)
    if len(codes) < 2 or sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return None
    with _lock:  # building the detector loads its models once; the first callers wait for it
        detector = _detector(codes)
    confidence = detector.compute_language_confidence_values(text)
    if not confidence or confidence[0].value < MIN_CONFIDENCE:
        return None
    code: str = confidence[0].language.iso_code_639_1.name.lower()
    return code
