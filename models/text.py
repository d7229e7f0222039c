"""Text normalisation shared by the domain: NFC for storage, folded ASCII for matching."""

from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC with runs of white space folded to one space, stripped."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """Return a lower-case ASCII form for matching with or without diacritics (``Lấy số`` → ``lay so``).

    ``Đ``/``đ`` become ``d``, as Vietnamese typists without diacritics write them.
    """
    return _SPACES.sub(" ", unidecode(unicodedata.normalize("NFC", text)).lower()).strip()
