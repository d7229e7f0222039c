"""The catalog of standard document titles, matched loosely and without diacritics.

The starter catalog (``models/data/titles.csv``) lists the procuracy's common orders and decisions
with their type code, register category and legal basis; a deployment may name its own file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from vanthu.models.text import fold, nfc

DEFAULT_CATALOG = Path(__file__).parent / "data" / "titles.csv"
_CATEGORY = {"to-tung": "procedural", "hanh-chinh": "administrative"}


@dataclass(frozen=True)
class Title:
    title: str
    type_code: str  # empty for công văn
    category: str  # procedural | administrative
    legal_basis: str


class TitleCatalog:
    """Standard titles; :meth:`match` finds the one a loosely typed title means."""

    def __init__(self, titles: list[Title]) -> None:
        self.titles = titles
        self._folded = [fold(t.title) for t in titles]

    @classmethod
    def load(cls, path: Path = DEFAULT_CATALOG) -> TitleCatalog:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return cls(
            [
                Title(
                    title=nfc(r["title"]),
                    type_code=(r.get("type_code") or "").strip(),
                    category=_CATEGORY.get((r.get("register") or "").strip(), "administrative"),
                    legal_basis=nfc(r.get("legal_basis") or ""),
                )
                for r in rows
                if (r.get("title") or "").strip()
            ]
        )

    def match(self, text: str, *, cutoff: float = 90.0) -> Title | None:
        """The catalog title closest to ``text`` (folded, word order tolerant), if close enough.

        Candidates are scored with rapidfuzz's WRatio; among those above ``cutoff`` the one whose
        words are closest in order (token_sort_ratio) wins, so ``phê chuẩn`` beats ``không phê chuẩn``.
        A query much shorter than a title does not match it.
        """
        query = fold(text)
        if not query or not self.titles:
            return None
        hits = process.extract(query, self._folded, scorer=fuzz.WRatio, score_cutoff=cutoff, limit=8)
        # A short query inside a long title (``Quyết định`` in a specific decision) is no match.
        hits = [h for h in hits if len(query) >= 0.6 * len(h[0])]
        if not hits:
            return None
        best = max(hits, key=lambda h: (h[1], fuzz.token_sort_ratio(query, h[0])))
        return self.titles[best[2]]
