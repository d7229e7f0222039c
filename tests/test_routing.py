"""Unit tests of the routing rules for incoming documents and of the default rule pack."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from vanthu.models.calendar import WorkCalendar
from vanthu.models.deadlines import DeadlineRule, due
from vanthu.models.routing import (
    DEFAULT_RULE_PACK,
    Action,
    IncomingFacts,
    Match,
    Rule,
    RuleError,
    load_rule_pack,
    matches,
    parse_rules,
    route,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
H12 = DeadlineRule(12, "hours", "Điều 110 khoản 6 BLTTHS 2015", "Phê chuẩn lệnh bắt khẩn cấp")
D3 = DeadlineRule(3, "days", "Điều 179 khoản 3 BLTTHS 2015", "Phê chuẩn khởi tố bị can")
D20 = DeadlineRule(20, "days", "Điều 240 BLTTHS 2015", "Truy tố")


def facts(**kw: str) -> IncomingFacts:
    return IncomingFacts(**kw)


# --- matching ---


def test_domain_matches_itself_and_its_subdomains_only() -> None:
    m = Match(sender_domain="congan.quangninh.gov.vn")
    assert matches(m, facts(sender="pc01@congan.quangninh.gov.vn"))
    assert matches(m, facts(sender="a@PC01.CongAn.QuangNinh.gov.vn"))
    assert matches(m, facts(sender="x@y.z", sender_domain="congan.quangninh.gov.vn"))
    assert not matches(m, facts(sender="a@xcongan.quangninh.gov.vn"))
    assert not matches(m, facts(sender="a@congan.quangninh.gov.vn.example.com"))
    assert not matches(m, facts(sender=""))


def test_sender_is_exact_and_case_insensitive() -> None:
    m = Match(sender="PC01@congan.quangninh.gov.vn")
    assert matches(m, facts(sender="pc01@CONGAN.quangninh.gov.vn"))
    assert not matches(m, facts(sender="pc011@congan.quangninh.gov.vn"))


def test_text_conditions_match_without_diacritics_and_by_whole_words() -> None:
    summary = "V/v đề nghị phê chuẩn Lệnh bắt người bị giữ trong trường hợp khẩn cấp"
    assert matches(Match(summary_words=("lenh bat", "khan cap")), facts(summary=summary))
    assert matches(Match(summary_words=("Lệnh bắt", "KHẨN CẤP")), facts(summary=summary.upper()))
    assert matches(Match(summary_any=("tam giam", "bat nguoi bi giu")), facts(summary=summary))
    assert not matches(Match(summary_words=("lenh bat", "tam giam")), facts(summary=summary))
    assert not matches(Match(summary_none=("khan cap",)), facts(summary=summary))
    assert not matches(Match(summary_words=("bat",)), facts(summary="Batch report"))
    assert not matches(Match(summary_words=("tam giu",)), facts(summary="Lệnh tạm giam"))
    assert matches(
        Match(issuer_contains=("co quan canh sat dieu tra",)),
        facts(issuer="CƠ QUAN CẢNH SÁT ĐIỀU TRA - CÔNG AN TỈNH QUẢNG NINH"),
    )
    assert matches(Match(urgency=("Hỏa tốc",)), facts(urgency="Hoả tốc"))
    assert not matches(Match(urgency=("Hỏa tốc", "Thượng khẩn")), facts(urgency="Khẩn"))
    assert matches(Match(urgency=("",)), facts(urgency=""))


def test_doc_types_by_code_or_name() -> None:
    assert matches(Match(doc_types=("QĐ",)), facts(doc_type="Quyết định"))
    assert matches(Match(doc_types=("quyet dinh",)), facts(doc_type="QĐ"))
    assert matches(Match(doc_types=("Lệnh",)), facts(doc_type="lenh"))
    assert not matches(Match(doc_types=("QĐ",)), facts(doc_type="Công văn"))
    assert not matches(Match(doc_types=("QĐ",)), facts(doc_type=""))
    # "CT" is both Chỉ thị and Cáo trạng: it matches the code only, not either name.
    assert matches(Match(doc_types=("CT",)), facts(doc_type="CT"))
    assert not matches(Match(doc_types=("CT",)), facts(doc_type="Chỉ thị"))


def test_case_pattern_and_empty_match() -> None:
    assert matches(Match(case_pattern=r"/HS\b"), facts(case_ref="12/2026/HS"))
    assert not matches(Match(case_pattern=r"/HS\b"), facts(case_ref=""))
    assert matches(Match(), facts())


# --- route ---


def rule(name: str, match: Match | None = None, **action: Any) -> Rule:
    return Rule(name, match or Match(), Action(**action))


def test_first_match_stops_by_default() -> None:
    rules = [
        rule("a", Match(summary_words=("khoi to",)), assign_unit="P2", deadline=D3),
        rule("b", Match(summary_words=("khoi to",)), assign_unit="P3", copy_to=["P1"], deadline=H12),
    ]
    d = route(rules, facts(summary="Quyết định khởi tố bị can"))
    assert d.matched == ("a",)
    assert d.assignee == "P2"
    assert d.copies == ()
    assert d.deadline == D3
    assert not d.default_used


def test_non_stopping_rules_accumulate_copies_and_keep_the_first_assignee() -> None:
    rules = [
        rule("urgent", Match(urgency=("Hỏa tốc", "Thượng khẩn")), copy_to=["vt@vks.gov.vn", "LD"], stop=False),
        rule("police", Match(sender_domain="congan.quangninh.gov.vn"), assign_unit="P2", copy_to=["P1"], stop=False),
        rule("case", Match(case_pattern="HS"), assign_person="ksv@vks.gov.vn", copy_to=["P1", "VT@vks.gov.vn", "P2"]),
        rule("never", assign_unit="P9"),
    ]
    d = route(rules, facts(sender="pc01@congan.quangninh.gov.vn", urgency="Hỏa tốc", case_ref="12/2026/HS"))
    assert d.matched == ("urgent", "police", "case")
    assert (d.assign_unit, d.assign_person, d.assignee) == ("P2", None, "P2")
    # In order, without duplicates (addresses compared case-insensitively) and without the assignee P2.
    assert d.copies == ("vt@vks.gov.vn", "LD", "P1")


def test_unit_and_person_together_make_the_person_the_assignee() -> None:
    d = route([rule("r", assign_unit="P2", assign_person="ksv@vks.gov.vn")], facts())
    assert (d.assign_unit, d.assign_person, d.assignee) == ("P2", "ksv@vks.gov.vn", "ksv@vks.gov.vn")


def test_shortest_legal_deadline_wins() -> None:
    f = facts(summary="Kết luận điều tra; lệnh bắt khẩn cấp")
    later_shorter = [
        rule("conclusion", Match(summary_words=("ket luan dieu tra",)), assign_unit="P2", deadline=D20, stop=False),
        rule("arrest", Match(summary_words=("lenh bat khan cap",)), assign_unit="P3", deadline=H12),
    ]
    d = route(later_shorter, f)
    assert d.deadline == H12 and d.deadline_from == "arrest"
    assert d.assignee == "P2"  # the assignee still comes from the first rule
    later_longer = [
        rule("arrest", Match(summary_words=("lenh bat khan cap",)), assign_unit="P3", deadline=H12, stop=False),
        rule("conclusion", Match(summary_words=("ket luan dieu tra",)), deadline=D20),
    ]
    d = route(later_longer, f)
    assert d.deadline == H12 and d.deadline_from == "arrest"
    assert d.matched == ("arrest", "conclusion")


def test_deadlines_compare_by_due_time_when_the_receipt_is_known() -> None:
    one_day = DeadlineRule(1, "days", "x", "1 ngày")
    day_hours = DeadlineRule(24, "hours", "x", "24 giờ")
    rules = [rule("day", deadline=one_day, stop=False), rule("hours", deadline=day_hours)]
    # Without a receipt time the nominal lengths tie (24 h) and the first rule keeps its deadline.
    assert route(rules, facts()).deadline == one_day
    # Received Monday 20:00: 24 hours end Tuesday 20:00, one day at 24:00 on Tuesday.
    at = dt.datetime(2026, 11, 9, 20, 0, tzinfo=VN)
    cal = WorkCalendar()
    assert route(rules, facts(), received_at=at, calendar=cal, tz=VN).deadline == day_hours
    with pytest.raises(ValueError):
        route(rules, facts(), received_at=at)


def test_default_used_when_no_rule_names_an_assignee() -> None:
    rules = [
        rule("copy only", Match(urgency=("Khẩn",)), copy_to=["LD"], stop=False),
        rule("p2", Match(doc_types=("QĐ",)), assign_unit="P2"),
    ]
    nothing = route(rules, facts(doc_type="Công văn"))
    assert nothing.matched == () and nothing.default_used and nothing.assignee is None
    assert nothing.deadline is None and nothing.copies == ()
    copies = route(rules, facts(doc_type="Công văn", urgency="Khẩn"))
    assert copies.matched == ("copy only",) and copies.default_used and copies.copies == ("LD",)


# --- parse_rules ---

EXAMPLE = """\
[[rules]]
name = "Phê chuẩn lệnh bắt khẩn cấp"
match.sender_domain = "congan.quangninh.gov.vn"
match.summary_any = ["bat nguoi bi giu trong truong hop khan cap", "lenh bat khan cap"]
action.assign_unit = "P2"
action.deadline = { amount = 12, unit = "hours", legal_basis = "Điều 110 khoản 6 BLTTHS 2015", \
label = "Phê chuẩn lệnh bắt khẩn cấp" }
"""


def test_parse_the_documented_toml_shape() -> None:
    rules = parse_rules(tomllib.loads(EXAMPLE)["rules"])
    assert len(rules) == 1
    r = rules[0]
    assert r.match.sender_domain == "congan.quangninh.gov.vn"
    assert r.match.summary_any == ("bat nguoi bi giu trong truong hop khan cap", "lenh bat khan cap")
    assert r.action.assign_unit == "P2" and r.action.stop is True
    assert r.action.deadline == H12
    d = route(
        rules,
        facts(
            sender="pc02@congan.quangninh.gov.vn",
            summary="V/v đề nghị phê chuẩn lệnh bắt người bị giữ trong trường hợp khẩn cấp",
        ),
    )
    assert d.deadline == H12 and d.assignee == "P2"


def good() -> dict[str, Any]:
    return {
        "name": "r",
        "match": {"summary_words": ["khoi to"]},
        "action": {"assign_unit": "P2", "deadline": {"amount": 3, "unit": "days", "legal_basis": "Điều 179"}},
    }


def with_change(path: str, value: Any) -> dict[str, Any]:
    item = good()
    *parents, last = path.split(".")
    target = item
    for p in parents:
        target = target[p]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return item


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        ("action.deadline.unit", "weeks", "action.deadline.unit"),
        ("action.deadline.amount", 0, "action.deadline.amount"),
        ("action.deadline.amount", True, "action.deadline.amount"),
        ("action.deadline.legal_basis", KeyError, "action.deadline.legal_basis"),
        ("action.deadline.extra", 1, "action.deadline.extra"),
        ("match.summery_words", ["x"], "match.summery_words"),
        ("match.summary_words", ["..."], "match.summary_words[0]"),
        ("match.summary_words", [], "match.summary_words"),
        ("match.case_pattern", "([", "match.case_pattern"),
        ("match.urgency", ["Rất khẩn"], "match.urgency[0]"),
        ("match.sender", "not an address", "match.sender"),
        ("match.sender_domain", "bad domain", "match.sender_domain"),
        ("action.assign_unit", "P 2", "action.assign_unit"),
        ("action.copy_to", ["P1", "x@"], "action.copy_to[1]"),
        ("action.stop", "yes", "action.stop"),
        ("action.deadline.roll_to_working_day", True, "action.deadline.roll_basis"),
        ("action.deadline.roll_to_working_day", "yes", "action.deadline.roll_to_working_day"),
        ("action.deadline.extension_days", -1, "action.deadline.extension_days"),
        ("match.crime_category", ["nghiêm trọng lắm"], "match.crime_category[0]"),
        ("match.crime_category", [], "match.crime_category"),
        ("action.flag", "", "action.flag"),
        ("match", KeyError, "match"),
        ("name", "", "name"),
    ],
)
def test_parse_errors_name_the_index_and_key(path: str, value: Any, key: str) -> None:
    data = [good() | {"name": "first"}, good() | {"name": "second"}, with_change(path, value)]
    with pytest.raises(RuleError) as err:
        parse_rules(data)
    assert (err.value.index, err.value.key) == (2, key)
    assert str(err.value).startswith(f"rules[2].{key}: ")


def test_parse_checks_names_units_and_the_placeholder() -> None:
    with pytest.raises(RuleError) as err:
        parse_rules([good(), good()])
    assert (err.value.index, err.value.key) == (1, "name")
    placeholder = with_change("action.assign_unit", "{default_unit}")
    with pytest.raises(RuleError) as err:
        parse_rules([placeholder])
    assert err.value.key == "action.assign_unit"
    assert parse_rules([placeholder], default_unit="HS1")[0].action.assign_unit == "HS1"
    with pytest.raises(RuleError) as err:
        parse_rules([good()], units={"P1"})
    assert str(err.value) == "rules[0].action.assign_unit: no unit with code 'P2'"
    d = parse_rules([with_change("action.deadline.label", "Phê chuẩn")])[0].action.deadline
    assert d is not None and d.label == "Phê chuẩn" and not d.roll_to_working_day
    assert parse_rules([good()])[0].action.deadline == DeadlineRule(3, "days", "Điều 179", "r")


def test_load_rule_pack_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rules]\nname =", encoding="utf-8")
    with pytest.raises(RuleError, match="not valid TOML"):
        load_rule_pack(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('unit = "P2"\n', encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_rule_pack(unknown)
    assert err.value.index is None and err.value.key == "unit"


# --- the default pack ---


@pytest.fixture(scope="module")
def pack() -> list[Rule]:
    return load_rule_pack()


@pytest.mark.parametrize(
    ("summary", "doc_type", "amount", "unit", "article"),
    [
        ("V/v đề nghị phê chuẩn lệnh bắt người bị giữ trong trường hợp khẩn cấp", "Công văn", 12, "hours", "Điều 110"),
        ("Quyết định phê chuẩn lệnh bắt người bị giữ trong trường hợp khẩn cấp", "Quyết định", 12, "hours", "Điều 110"),
        ("V/V DE NGHI PHE CHUAN LENH BAT KHAN CAP DOI VOI NGUYEN VAN A", "", 12, "hours", "Điều 110"),
        ("Quyết định gia hạn tạm giữ đối với Nguyễn Văn A", "Quyết định", 12, "hours", "Điều 118"),
        ("V/v đề nghị phê chuẩn lệnh tạm giam", "Công văn", 3, "days", "Điều 119"),
        ("tạm giam bị can Nguyễn Văn A", "Lệnh", 3, "days", "Điều 119"),
        ("Quyết định khởi tố bị can Nguyễn Văn A", "Quyết định", 3, "days", "Điều 179"),
        ("Quyết định khởi tố vụ án và khởi tố bị can", "Quyết định", 3, "days", "Điều 179"),
        ("Bản kết luận điều tra vụ án hình sự đề nghị truy tố", "", 20, "days", "Điều 240"),
        ("V/v đề nghị gia hạn thời hạn tạm giam để điều tra", "Công văn", 7, "days", "Điều 173"),
        ("V/v đề nghị gia hạn thời hạn điều tra vụ án", "Công văn", 7, "days", "Điều 172"),
    ],
)
def test_default_pack_routes_investigation_documents(
    pack: list[Rule], summary: str, doc_type: str, amount: int, unit: str, article: str
) -> None:
    d = route(pack, facts(sender="pc02@congan.quangninh.gov.vn", summary=summary, doc_type=doc_type))
    assert d.assignee == "P2"
    assert not d.default_used
    assert d.deadline is not None
    assert (d.deadline.amount, d.deadline.unit) == (amount, unit)
    assert d.deadline.legal_basis.startswith(article)


def test_default_pack_details(pack: list[Rule]) -> None:
    conclusion = route(pack, facts(summary="Bản kết luận điều tra")).deadline
    assert conclusion is not None and "30 ngày" in conclusion.legal_basis
    extension = route(pack, facts(summary="Đề nghị gia hạn tạm giam")).deadline
    assert extension is not None and not extension.roll_to_working_day
    # Supervised without a limit; and anything else falls to the unit's leader.
    case = route(pack, facts(summary="Quyết định khởi tố vụ án hình sự"))
    assert case.assignee == "P2" and case.deadline is None
    other = route(pack, facts(summary="Giấy mời họp giao ban khối nội chính", doc_type="Giấy mời"))
    assert other.default_used and other.matched == () and other.deadline is None
    # The emergency-arrest request received on Saturday evening is due on Sunday morning.
    arrest = route(pack, facts(summary="V/v đề nghị phê chuẩn lệnh bắt người bị giữ trong trường hợp khẩn cấp"))
    assert arrest.deadline is not None
    at = dt.datetime(2026, 11, 14, 20, 0, tzinfo=VN)
    assert due(arrest.deadline, at, WorkCalendar(), VN).due_text == "08:00 15/11/2026"


def test_default_pack_unit_can_be_replaced() -> None:
    rules = load_rule_pack(DEFAULT_RULE_PACK, default_unit="HS1", units={"HS1"})
    assert {r.action.assign_unit for r in rules} == {"HS1"}
    with pytest.raises(RuleError):
        load_rule_pack(DEFAULT_RULE_PACK, units={"HS1"})


def test_roll_and_extension_are_read_with_their_basis() -> None:
    rolled = with_change("action.deadline.roll_to_working_day", True)
    rolled["action"]["deadline"]["roll_basis"] = "Hướng dẫn số 1"
    d = parse_rules([rolled])[0].action.deadline
    assert d is not None and d.roll_to_working_day and d.roll_basis == "Hướng dẫn số 1"
    hours = with_change("action.deadline.unit", "hours")
    hours["action"]["deadline"] |= {"roll_to_working_day": True, "roll_basis": "x"}
    with pytest.raises(RuleError) as err:
        parse_rules([hours])
    assert err.value.key == "action.deadline.roll_to_working_day"
    ext = parse_rules([with_change("action.deadline.extension_days", 10)])[0].action.deadline
    assert ext is not None and ext.extension_days == 10


def test_crime_category_is_read_from_the_summary_or_given() -> None:
    rule = with_change(
        "match", {"summary_any": ["ket luan dieu tra"], "crime_category": ["Rất nghiêm trọng", "dac biet nghiem trong"]}
    )
    rule["action"]["flag"] = "Kiểm tra loại tội phạm"
    rules = parse_rules([rule])
    assert route(rules, facts(summary="Kết luận điều tra, tội phạm rất nghiêm trọng")).matched == ("r",)
    hit = route(rules, facts(summary="Kết luận điều tra, tội phạm ĐẶC BIỆT NGHIÊM TRỌNG"))
    assert hit.matched and hit.flags == ("Kiểm tra loại tội phạm",)
    assert not route(rules, facts(summary="Kết luận điều tra, tội phạm nghiêm trọng")).matched
    assert not route(rules, facts(summary="Kết luận điều tra")).matched
    assert route(rules, facts(summary="Kết luận điều tra", crime_category="rat_nghiem_trong")).matched
    unknown = parse_rules([with_change("match", {"crime_category": [""]})])
    assert route(unknown, facts(summary="Kết luận điều tra")).matched
    assert route(unknown, facts(summary="tội rất nghiêm trọng và tội nghiêm trọng")).matched  # mixed: not clear
    assert not route(unknown, facts(summary="tội nghiêm trọng")).matched
