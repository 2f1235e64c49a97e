"""Which language a page is written in: detected from its main text, declared as a fallback.

The language decides which stopwords YAKE uses and which language the brief is
written in, so it has to be right for the text people read, not for the page
template: a Spanish article on a site whose theme still says ``<html lang="en">``
is Spanish. py3langid (the language identifier trafilatura itself uses) ships its
model inside the package, so detection works offline and gives the same answer in
tests and in production. On very little text a detector guesses, so a short page
keeps the language its markup declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from workflows.content_brief.text import DEFAULT_LANGUAGE, word_count

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

__all__ = ["LanguageGuess", "detect_language", "language_name", "primary_subtag"]

# Below this many words, or this confidence, the declared language wins.
MIN_WORDS = 25
MIN_CONFIDENCE = 0.9


@dataclass(frozen=True)
class LanguageGuess:
    code: str
    """ISO 639-1, lower case ("de")."""
    source: str
    """"detected", "declared", or "default" when the page gave nothing to go on."""
    confidence: float
    declared: str
    """What the markup said, reduced to its primary subtag ("" when it said nothing)."""


@cache
def _identifier() -> LanguageIdentifier:
    """The model is decompressed on first use (about half a second), then kept."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # see text.py's docstring

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def primary_subtag(tag: str) -> str:
    """ "en-GB" / "de_DE" / "EN" -> "en"; anything that is not a language tag -> ""."""
    code = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code.isalpha() and 2 <= len(code) <= 3 else ""


def detect_language(text: str, declared: str = "") -> LanguageGuess:
    """The page's language: detected from ``text`` when there is enough of it, else the
    ``declared`` one (``<html lang>``, ``og:locale``), else detected anyway."""
    said = primary_subtag(declared)
    sample = text.strip()
    if not sample:
        return LanguageGuess(said or DEFAULT_LANGUAGE, "declared" if said else "default", 0.0, said)
    code, confidence = _identifier().classify(sample)
    enough = word_count(sample) >= MIN_WORDS and confidence >= MIN_CONFIDENCE
    if enough or not said:
        return LanguageGuess(str(code), "detected", round(float(confidence), 4), said)
    return LanguageGuess(said, "declared", round(float(confidence), 4), said)


@cache
def language_name(code: str, *, in_language: str = "en") -> str:
    """ "de" -> "German" (or "Deutsch" with ``in_language="de"``); the code when unknown."""
    from babel import Locale, UnknownLocaleError  # see text.py's docstring

    try:
        name = Locale.parse(code).get_display_name(in_language)
    except (ValueError, UnknownLocaleError):
        return code
    return name or code
