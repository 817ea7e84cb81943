"""The survey catalogues: every message of the page, the e-mail and the chat message is in each language's .po
file with a translation, the compiled .mo files say the same as the .po files, and placeholders survive."""

from __future__ import annotations

import gettext
import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from cxhub.quality.translations import DOMAIN, LANGUAGES, LOCALE_DIR, survey_language, translations

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")
# as src/cxhub/quality/locale/babel.cfg says, read by `pybabel extract`
METHODS = [
    ("src/cxhub/quality/**.py", "python"),
    ("src/cxhub/templates/quality/survey.html", "jinja2.ext:babel_extract"),
    ("src/cxhub/templates/quality/survey_*.html", "jinja2.ext:babel_extract"),
]


def _po(language: str):  # type: ignore[no-untyped-def]
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _sources() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(ROOT, METHODS, keywords={"_": None, "N_": None}):
        if isinstance(message, str) and message:
            found.add(message)
    return found


def test_babel_cfg_says_what_the_test_extracts() -> None:
    text = (LOCALE_DIR / "babel.cfg").read_text()
    sections = re.findall(r"^\[(\w+): ([^\]]+)\]$", text, flags=re.MULTILINE)
    assert [(path, "python" if kind == "python" else "jinja2.ext:babel_extract") for kind, path in sections] == METHODS


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_translation(language: str) -> None:
    catalogue = _po(language)
    messages = {m.id: m for m in catalogue if m.id}
    assert set(messages) == _sources(), "run pybabel extract and update the catalogues (docs/surveys.md)"
    for message in messages.values():
        assert isinstance(message.string, str)
        assert message.string.strip(), f"{language}: {message.id!r} has no translation"
        assert not message.fuzzy, f"{language}: {message.id!r} is fuzzy"
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), message.id
        if language == "en":
            assert message.string == message.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_up_to_date(language: str) -> None:
    catalogue = _po(language)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    fresh = gettext.GNUTranslations(compiled)
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as handle:
        committed = gettext.GNUTranslations(handle)
    assert committed._catalog == fresh._catalog, "run pybabel compile -d src/cxhub/quality/locale -D surveys"  # type: ignore[attr-defined]
    assert translations(language).gettext("Yes") == {"en": "Yes", "pt": "Sim", "es": "Sí"}[language]


def test_the_customers_language_picks_the_catalogue() -> None:
    assert survey_language("pt-BR", "es", default="en") == "pt"
    assert survey_language(None, "es_MX", default="en") == "es"
    assert survey_language("fr", "de", default="pt") == "pt"
    assert survey_language(None, None, default="en") == "en"
