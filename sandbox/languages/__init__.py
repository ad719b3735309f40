"""The sandbox's words: phrases, hashtags, names and places in ten languages and scripts.

Kept as plain data so captions look like what the analysis meets in reality: Latin text with
diacritics, Cyrillic, Arabic (right to left), Devanagari (combining vowel signs), Japanese and
Korean without spaces between words.
"""

from sandbox.languages.language import Language
from sandbox.languages.latin import LATIN_LANGUAGES
from sandbox.languages.other_scripts import OTHER_SCRIPT_LANGUAGES
from sandbox.languages.words import CATEGORIES, EMOJI, TREND_CANDIDATES, USERNAME_WORDS

__all__ = [
    "CATEGORIES",
    "EMOJI",
    "LANGUAGES",
    "LANGUAGE_BY_CODE",
    "TREND_CANDIDATES",
    "USERNAME_WORDS",
    "Language",
]

# The order is part of the world: profiles draw their language by weight in this order.
LANGUAGES: tuple[Language, ...] = (*LATIN_LANGUAGES, *OTHER_SCRIPT_LANGUAGES)
LANGUAGE_BY_CODE = {lang.code: lang for lang in LANGUAGES}
