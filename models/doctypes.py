"""Document types (tên loại văn bản) and their codes, after Nghị định 30/2020 Phụ lục III.

The procuracy's own procedural types (Lệnh, Cáo trạng, Yêu cầu, Kiến nghị) follow its practice and,
like every code here, can be replaced or extended by configuration. A công văn has no code: its
number reads ``12/VKSQN-VP``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vanthu.models.text import fold

CONG_VAN = "CV"


@dataclass(frozen=True)
class DocType:
    """A document type: ``key`` identifies it, ``code`` is what the number shows (empty for công văn)."""

    key: str
    code: str
    name: str


DEFAULT_TYPES: tuple[DocType, ...] = (
    DocType("NQ", "NQ", "Nghị quyết"),
    DocType("QĐ", "QĐ", "Quyết định"),
    DocType("CT", "CT", "Chỉ thị"),
    DocType("QC", "QC", "Quy chế"),
    DocType("QyĐ", "QyĐ", "Quy định"),
    DocType("TC", "TC", "Thông cáo"),
    DocType("TB", "TB", "Thông báo"),
    DocType("HD", "HD", "Hướng dẫn"),
    DocType("CTr", "CTr", "Chương trình"),
    DocType("KH", "KH", "Kế hoạch"),
    DocType("PA", "PA", "Phương án"),
    DocType("ĐA", "ĐA", "Đề án"),
    DocType("DA", "DA", "Dự án"),
    DocType("BC", "BC", "Báo cáo"),
    DocType("BB", "BB", "Biên bản"),
    DocType("TTr", "TTr", "Tờ trình"),
    DocType("HĐ", "HĐ", "Hợp đồng"),
    DocType("CĐ", "CĐ", "Công điện"),
    DocType("BGN", "BGN", "Bản ghi nhớ"),
    DocType("BTT", "BTT", "Bản thỏa thuận"),
    DocType("GUQ", "GUQ", "Giấy ủy quyền"),
    DocType("GM", "GM", "Giấy mời"),
    DocType("GGT", "GGT", "Giấy giới thiệu"),
    DocType("GNP", "GNP", "Giấy nghỉ phép"),
    DocType("PG", "PG", "Phiếu gửi"),
    DocType("PC", "PC", "Phiếu chuyển"),
    DocType("PB", "PB", "Phiếu báo"),
    DocType("Lệnh", "Lệnh", "Lệnh"),
    DocType("CTr.TT", "CT", "Cáo trạng"),
    DocType("YC", "YC", "Yêu cầu"),
    DocType("KN", "KN", "Kiến nghị"),
    DocType(CONG_VAN, "", "Công văn"),
)


class DocTypeCatalog:
    """Looks document types up by code or by name, with or without diacritics, in any case."""

    def __init__(self, types: Iterable[DocType] = DEFAULT_TYPES) -> None:
        self.types: tuple[DocType, ...] = tuple(types)
        self._by_key = {t.key: t for t in self.types}

    def get(self, key: str) -> DocType | None:
        return self._by_key.get(key)

    def lookup(self, text: str) -> list[DocType]:
        """Types whose key, code or name equals ``text``.

        An exact match (with diacritics and case) wins; otherwise the folded form is compared. Either
        can give several answers (``CT`` is the code of both Chỉ thị and Cáo trạng): the caller asks
        the sender to choose when more than one comes back.
        """
        text = text.strip()
        if not text:
            return []
        exact = [t for t in self.types if text in (t.key, t.code, t.name)]
        if exact:
            return exact
        f = fold(text)
        return [t for t in self.types if f in (fold(t.key), fold(t.code), fold(t.name)) and (t.code or t.name)]

    def from_title(self, title: str) -> list[DocType]:
        """Types whose name starts the title (``Quyết định phê chuẩn …`` → Quyết định), longest first."""
        f = fold(title)
        hits = [t for t in self.types if f == fold(t.name) or f.startswith(fold(t.name) + " ")]
        if not hits:
            return []
        longest = max(len(t.name) for t in hits)
        return [t for t in hits if len(t.name) == longest]
