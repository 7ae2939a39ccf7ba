"""Text folding shared by classification, the search column and search queries.

One function, so that what is stored and what is searched are folded the same way.
"""

from __future__ import annotations

import unicodedata

_QUOTES = {"’": "'", "‘": "'", "«": '"', "»": '"', "\u00a0": " ", "\u202f": " "}


class _FoldedChars(dict[int, str]):
    """Code point -> its quotes made plain, compatibility-decomposed, combining marks dropped.

    Filled on first sight of each character: `str.translate` then folds a line in C. Folding
    character by character equals folding the whole text, because NFKD only reorders combining
    marks, and those are all dropped.
    """

    def __missing__(self, code: int) -> str:
        char = _QUOTES.get(chr(code), chr(code))
        decomposed = unicodedata.normalize("NFKD", char)
        folded = self[code] = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        return folded


_FOLDED = _FoldedChars()


def fold(text: str) -> str:
    """Lower-case, accent-free, with typographic quotes and spaces made plain."""
    if text.isascii():  # nothing to translate (O(1) to tell): the common case, made cheap
        return text.lower()
    return text.translate(_FOLDED).lower()
