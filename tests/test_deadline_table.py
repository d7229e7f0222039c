"""Table-driven deadline cases, each with the article it comes from (issue 10, item 2).

Dates are frozen: every case gives its own receipt time. Cases marked ``changed`` differ from what vanthu
computed before the Điều 134 default was corrected (day limits were moved past weekends and Tết) or before
Điều 240's tiers and the summary procedure were modelled.

Calendar facts the cases rely on (holidays package, Vietnam): Tết 2027 is Thu 04/02 – Wed 10/02; Tết 2028 is
Mon 24/01 – Sat 29/01; 01/01/2027 is a Friday holiday; 31/08/2026 is a day off swapped with Sat 22/08/2026.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from vanthu.models.calendar import WorkCalendar
from vanthu.models.deadlines import (
    DeadlineRule,
    DeadlineUnit,
    due,
    due_with_extension,
    prosecution_term,
)
from vanthu.models.routing import DEFAULT_RULE_PACK, IncomingFacts, load_rule_pack, route

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkCalendar()


def vn(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN)  # type: ignore[arg-type, misc]


def eod(y: int, m: int, d: int) -> dt.datetime:
    """24:00 of a day, as stored: 23:59:59 local time."""
    return vn(y, m, d, 23, 59, 59)


@dataclass(frozen=True)
class Case:
    id: str
    article: str
    amount: int
    unit: DeadlineUnit
    received: dt.datetime
    expected: dt.datetime
    extension: int = 0  # > 0: the limit with its full extension (due_with_extension)


CASES = [
    # --- Điều 134: a day limit ends at 24:00 of its last day, a day off included (changed) ---
    Case("3d-thu-to-sunday", "Điều 119 khoản 5", 3, "days", vn(2026, 12, 3, 10, 0), eod(2026, 12, 6)),
    Case("3d-wed-to-saturday", "Điều 119 khoản 5", 3, "days", vn(2026, 11, 4, 9, 0), eod(2026, 11, 7)),
    Case("3d-to-swapped-day-off", "Điều 179", 3, "days", vn(2026, 8, 28, 10, 0), eod(2026, 8, 31)),
    Case("3d-into-tet-2027", "Điều 179", 3, "days", vn(2027, 2, 3, 8, 0), eod(2027, 2, 6)),
    Case("3d-from-29-tet-2027", "Điều 179", 3, "days", vn(2027, 2, 4, 8, 0), eod(2027, 2, 7)),
    Case("3d-into-tet-2028", "Điều 113", 3, "days", vn(2028, 1, 21, 15, 0), eod(2028, 1, 24)),
    Case("3d-to-new-year-day", "Điều 119 khoản 5", 3, "days", vn(2026, 12, 29, 9, 0), eod(2027, 1, 1)),
    Case("3d-internal-extension-request", "Điều 147", 3, "days", vn(2026, 12, 3, 9, 0), eod(2026, 12, 6)),
    Case("7d-internal-to-29-tet", "Điều 173", 7, "days", vn(2027, 1, 28, 9, 0), eod(2027, 2, 4)),
    # --- day limits ending on a working day, and across month ends (unchanged) ---
    Case("3d-fri-to-monday", "Điều 119 khoản 5", 3, "days", vn(2026, 11, 6, 16, 0), eod(2026, 11, 9)),
    Case(
        "3d-local-date-of-utc",
        "Điều 119 khoản 5",
        3,
        "days",
        dt.datetime(2026, 11, 5, 18, 0, tzinfo=dt.UTC),
        eod(2026, 11, 9),
    ),
    Case("3d-across-november-end", "Điều 179", 3, "days", vn(2026, 11, 30, 9, 0), eod(2026, 12, 3)),
    Case("3d-across-february-end-2027", "Điều 179", 3, "days", vn(2027, 2, 26, 9, 0), eod(2027, 3, 1)),
    Case("3d-to-leap-day-2028", "Điều 179", 3, "days", vn(2028, 2, 26, 9, 0), eod(2028, 2, 29)),
    Case("3d-received-at-23-59", "Điều 119 khoản 5", 3, "days", vn(2026, 12, 1, 23, 59), eod(2026, 12, 4)),
    # --- Điều 240: 20 / 30 days and the extensions 10 / 15 / 30 ---
    Case("240-20d-weekday", "Điều 240 khoản 1", 20, "days", vn(2026, 12, 3, 9, 0), eod(2026, 12, 23)),
    Case("240-30d-to-saturday", "Điều 240 khoản 1", 30, "days", vn(2026, 12, 3, 9, 0), eod(2027, 1, 2)),
    Case("240-20d-into-tet-2027", "Điều 240 khoản 1", 20, "days", vn(2027, 1, 18, 9, 0), eod(2027, 2, 7)),
    Case("240-30d-into-tet-2028", "Điều 240 khoản 1", 30, "days", vn(2027, 12, 28, 9, 0), eod(2028, 1, 27)),
    Case("240-20d-across-january-end-2028", "Điều 240 khoản 1", 20, "days", vn(2028, 1, 31, 9, 0), eod(2028, 2, 20)),
    Case("240-20d-plus-10", "Điều 240 khoản 1", 20, "days", vn(2026, 12, 3, 9, 0), eod(2027, 1, 2), extension=10),
    Case("240-30d-plus-15", "Điều 240 khoản 1", 30, "days", vn(2026, 12, 3, 9, 0), eod(2027, 1, 17), extension=15),
    Case("240-30d-plus-30", "Điều 240 khoản 1", 30, "days", vn(2026, 12, 3, 9, 0), eod(2027, 2, 1), extension=30),
    Case(
        "240-20d-plus-10-into-tet-2028",
        "Điều 240 khoản 1",
        20,
        "days",
        vn(2027, 12, 27, 9, 0),
        eod(2028, 1, 26),
        extension=10,
    ),
    # --- the summary procedure (Chương XXXI) ---
    Case("461-5d-weekday", "Điều 461", 5, "days", vn(2026, 12, 3, 9, 0), eod(2026, 12, 8)),
    Case("461-5d-into-tet-2028", "Điều 461", 5, "days", vn(2028, 1, 24, 9, 0), eod(2028, 1, 29)),
    Case("457-24h-in-tet-2028", "Điều 457", 24, "hours", vn(2028, 1, 25, 9, 15), vn(2028, 1, 26, 9, 15)),
    # --- hours run continuously (Điều 134; unchanged) ---
    Case("110-12h-saturday-night", "Điều 110", 12, "hours", vn(2026, 11, 14, 20, 0), vn(2026, 11, 15, 8, 0)),
    Case(
        "110-12h-in-tet-2027-from-utc",
        "Điều 110",
        12,
        "hours",
        dt.datetime(2027, 2, 5, 13, 0, tzinfo=dt.UTC),
        vn(2027, 2, 6, 8, 0),
    ),
    Case("118-12h-across-month-end", "Điều 118 khoản 2", 12, "hours", vn(2027, 1, 31, 18, 30), vn(2027, 2, 1, 6, 30)),
    Case("118-12h-across-new-year", "Điều 118 khoản 2", 12, "hours", vn(2026, 12, 31, 22, 0), vn(2027, 1, 1, 10, 0)),
    # --- working days, administrative limits (Nghị định 30/2020/NĐ-CP; unchanged) ---
    Case("wd-3-across-tet-2027", "Nghị định 30/2020/NĐ-CP", 3, "working_days", vn(2027, 2, 3, 7, 0), eod(2027, 2, 15)),
    Case("wd-1-over-weekend", "Nghị định 30/2020/NĐ-CP", 1, "working_days", vn(2026, 12, 4, 9, 0), eod(2026, 12, 7)),
    Case("wd-2-across-new-year", "Nghị định 30/2020/NĐ-CP", 2, "working_days", vn(2026, 12, 31, 9, 0), eod(2027, 1, 5)),
    Case("wd-1-across-tet-2028", "Nghị định 30/2020/NĐ-CP", 1, "working_days", vn(2028, 1, 21, 9, 0), eod(2028, 1, 31)),
]


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_deadline(case: Case) -> None:
    rule = DeadlineRule(case.amount, case.unit, f"{case.article} BLTTHS 2015", case.id, extension_days=case.extension)
    d = due_with_extension(rule, case.received, CAL, VN) if case.extension else due(rule, case.received, CAL, VN)
    assert d.due_at == case.expected, case.article
    assert d.due_at.tzinfo == VN
    assert d.rolled_from is None
    if case.unit == "days" and not CAL.is_working_day(case.expected.date()):
        assert "là ngày nghỉ" in d.note and "không lùi" in d.note


def test_a_day_limit_ending_on_a_day_off_says_so() -> None:
    d = due(DeadlineRule(3, "days", "Điều 119 khoản 5 BLTTHS 2015", "x"), vn(2026, 12, 3, 10, 0), CAL, VN)
    assert d.due_text == "23:59 06/12/2026"
    assert d.note == (
        "ngày cuối 06/12/2026 là ngày nghỉ (Chủ nhật); "
        "hạn không lùi sang ngày làm việc tiếp theo (Điều 134 BLTTHS 2015)"
    )
    tet = due(DeadlineRule(3, "days", "Điều 179", "x"), vn(2027, 2, 4, 8, 0), CAL, VN)
    assert "Mùng hai Tết Nguyên Đán" in tet.note


def test_moving_to_the_next_working_day_is_an_option_with_its_basis() -> None:
    # Điều 134 khoản 1 states the move for months; a rule that applies it to days must say on what basis.
    with pytest.raises(ValueError, match="roll_basis"):
        DeadlineRule(3, "days", "Điều 119", "x", roll_to_working_day=True)
    rule = DeadlineRule(3, "days", "Điều 119", "x", roll_to_working_day=True, roll_basis="Quy chế nội bộ số 1")
    d = due(rule, vn(2026, 12, 3, 10, 0), CAL, VN)
    assert d.due_at == eod(2026, 12, 7) and d.rolled_from == dt.date(2026, 12, 6)
    assert d.note.endswith("chuyển sang ngày làm việc tiếp theo theo Quy chế nội bộ số 1")
    # From 04/02/2027 (29 Tết): the law's Sunday 07/02, the option's Thursday 11/02.
    assert due(rule, vn(2027, 2, 4, 8, 0), CAL, VN).due_at == eod(2027, 2, 11)


@pytest.mark.parametrize(
    ("category", "amount", "extension"),
    [
        ("it_nghiem_trong", 20, 10),
        ("nghiem_trong", 20, 10),
        ("rat_nghiem_trong", 30, 15),
        ("dac_biet_nghiem_trong", 30, 30),
        (None, 20, 10),
        ("", 20, 10),
    ],
)
def test_article_240_tiers(category: str | None, amount: int, extension: int) -> None:
    rule = prosecution_term(category)
    assert (rule.amount, rule.unit, rule.extension_days) == (amount, "days", extension)
    assert rule.legal_basis.startswith("Điều 240 khoản 1 BLTTHS 2015")
    assert f"có thể gia hạn không quá {extension} ngày" in rule.describe()
    if not category:
        assert "chưa rõ loại tội phạm" in rule.legal_basis


# --- the default pack: which limit a document gets, and when it is due ---


@dataclass(frozen=True)
class PackCase:
    id: str
    article: str
    summary: str
    received: dt.datetime
    expected: dt.datetime
    extension: int = 0
    flagged: bool = False
    crime_category: str = ""
    doc_type: str = ""


THU = vn(2026, 12, 3, 10, 0)  # Thursday 03/12/2026

PACK_CASES = [
    PackCase(
        "conclusion-serious",
        "Điều 240 khoản 1",
        "Bản kết luận điều tra vụ án Trộm cắp tài sản, tội phạm nghiêm trọng",
        THU,
        eod(2026, 12, 23),
        10,
    ),
    PackCase(
        "conclusion-less-serious",
        "Điều 240 khoản 1",
        "Kết luận điều tra đề nghị truy tố bị can về tội ít nghiêm trọng",
        THU,
        eod(2026, 12, 23),
        10,
    ),
    PackCase(
        "conclusion-very-serious",
        "Điều 240 khoản 1",
        "Bản kết luận điều tra vụ án Cướp tài sản (tội phạm rất nghiêm trọng)",
        THU,
        eod(2027, 1, 2),
        15,
    ),
    PackCase(
        "conclusion-especially-serious",
        "Điều 240 khoản 1",
        "KẾT LUẬN ĐIỀU TRA VỤ ÁN GIẾT NGƯỜI - TỘI PHẠM ĐẶC BIỆT NGHIÊM TRỌNG",
        THU,
        eod(2027, 1, 2),
        30,
    ),
    PackCase(
        "conclusion-category-not-stated",
        "Điều 240 khoản 1",
        "Bản kết luận điều tra vụ án hình sự đề nghị truy tố",
        THU,
        eod(2026, 12, 23),
        10,
        flagged=True,
    ),
    PackCase(
        "conclusion-mixed-categories",
        "Điều 240 khoản 1",
        "Kết luận điều tra: tội rất nghiêm trọng và tội ít nghiêm trọng",
        THU,
        eod(2026, 12, 23),
        10,
        flagged=True,
    ),
    PackCase(
        "conclusion-category-from-particulars",
        "Điều 240 khoản 1",
        "Bản kết luận điều tra vụ án Lừa đảo",
        THU,
        eod(2027, 1, 2),
        15,
        crime_category="rat_nghiem_trong",
    ),
    PackCase(
        "conclusion-into-tet-2027",
        "Điều 240 khoản 1",
        "Bản kết luận điều tra, tội phạm nghiêm trọng",
        vn(2027, 1, 18, 9, 0),
        eod(2027, 2, 7),
        10,
    ),
    PackCase(
        "summary-procedure-prosecution",
        "Điều 461",
        "Quyết định đề nghị truy tố theo thủ tục rút gọn đối với Nguyễn Văn A",
        THU,
        eod(2026, 12, 8),
    ),
    PackCase(
        "summary-procedure-into-tet-2028",
        "Điều 461",
        "Hồ sơ vụ án và quyết định đề nghị truy tố (thủ tục rút gọn)",
        vn(2028, 1, 24, 9, 0),
        eod(2028, 1, 29),
    ),
    PackCase(
        "summary-procedure-applied",
        "Điều 457",
        "Quyết định áp dụng thủ tục rút gọn vụ án Trộm cắp tài sản",
        vn(2027, 2, 5, 16, 0),
        vn(2027, 2, 6, 16, 0),
    ),
    PackCase(
        "detention-into-tet-2027",
        "Điều 119 khoản 5",
        "V/v đề nghị phê chuẩn lệnh tạm giam",
        vn(2027, 2, 3, 9, 0),
        eod(2027, 2, 6),
    ),
    PackCase("prosecute-accused-weekend", "Điều 179", "Quyết định khởi tố bị can Nguyễn Văn A", THU, eod(2026, 12, 6)),
    PackCase(
        "arrest-12h",
        "Điều 110",
        "V/v đề nghị phê chuẩn lệnh bắt người bị giữ trong trường hợp khẩn cấp",
        vn(2026, 12, 5, 21, 0),
        vn(2026, 12, 6, 9, 0),
    ),
]


@pytest.fixture(scope="module")
def pack() -> list:
    return load_rule_pack(DEFAULT_RULE_PACK)


@pytest.mark.parametrize("case", PACK_CASES, ids=[c.id for c in PACK_CASES])
def test_default_pack_deadline(pack: list, case: PackCase) -> None:
    facts = IncomingFacts(
        sender="pc02@congan.quangninh.gov.vn",
        summary=case.summary,
        doc_type=case.doc_type,
        crime_category=case.crime_category,
    )
    decision = route(pack, facts, received_at=case.received, calendar=CAL, tz=VN)
    assert decision.assignee == "P2"
    rule = decision.deadline
    assert rule is not None
    assert rule.legal_basis.startswith(case.article), rule.legal_basis
    assert due(rule, case.received, CAL, VN).due_at == case.expected
    assert rule.extension_days == case.extension
    assert not rule.roll_to_working_day
    if case.flagged:
        assert len(decision.flags) == 1 and "20 ngày" in decision.flags[0] and "30 ngày" in decision.flags[0]
    else:
        assert decision.flags == ()


def test_no_rule_of_the_default_pack_moves_a_day_limit(pack: list) -> None:
    for rule in pack:
        d = rule.action.deadline
        assert d is None or not d.roll_to_working_day, rule.name
        assert d is None or "BLTTHS 2015" in d.legal_basis, rule.name
