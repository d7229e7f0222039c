"""Unit tests of the numbering rules: register years, number format and parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support import VN
from vanthu.models.clock import local_date
from vanthu.models.numbering import format_number, number_string, parse_number, register_year
from vanthu.models.tables import Register


@pytest.mark.parametrize(
    ("day", "start", "expected"),
    [
        (dt.date(2026, 11, 30), (12, 1), 2026),
        (dt.date(2026, 12, 1), (12, 1), 2027),
        (dt.date(2027, 1, 1), (12, 1), 2027),
        (dt.date(2026, 12, 31), (1, 1), 2026),
        (dt.date(2027, 1, 1), (1, 1), 2027),
    ],
)
def test_register_year_starts_on_the_registers_own_day(day: dt.date, start: tuple[int, int], expected: int) -> None:
    assert register_year(day, *start) == expected


def test_local_date_is_vietnam_time_not_utc() -> None:
    # 17:30 UTC on 30 November is already 00:30 on 1 December in Hà Nội.
    at = dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.UTC)
    assert local_date(at, VN) == dt.date(2026, 12, 1)
    assert register_year(local_date(at, VN), 12, 1) == 2027


@pytest.mark.parametrize(("n", "suffix", "text"), [(5, "", "05"), (15, "", "15"), (15, "a", "15a"), (123, "", "123")])
def test_format_number_has_leading_zero_below_ten(n: int, suffix: str, text: str) -> None:
    assert format_number(n, suffix) == text


def _register() -> Register:
    return Register(pattern="{number}/{type}-{symbol}", untyped_pattern="{number}/{symbol}-{drafter}")


def test_number_string_for_typed_document_and_cong_van() -> None:
    reg = _register()
    assert number_string(reg, 5, "", type_code="QĐ", symbol="VKSQN", drafter="VP") == "05/QĐ-VKSQN"
    assert number_string(reg, 12, "", type_code="", symbol="VKSQN", drafter="VP") == "12/VKSQN-VP"
    # A unit without drafting departments: no dangling hyphen.
    assert number_string(reg, 12, "", type_code="", symbol="VKSKV1", drafter="") == "12/VKSKV1"
    assert number_string(reg, 15, "a", type_code="QĐ", symbol="VKSQN", drafter="") == "15a/QĐ-VKSQN"


@pytest.mark.parametrize(
    ("text", "number", "suffix", "symbol"),
    [
        ("15/QĐ-VKSQN", 15, "", "QĐ-VKSQN"),
        ("Số: 05/QĐ-VKSQN", 5, "", "QĐ-VKSQN"),
        ("15a/QĐ-VKSQN", 15, "a", "QĐ-VKSQN"),
        ("12", 12, "", ""),
        ("12 / VKSQN-VP", 12, "", "VKSQN-VP"),
    ],
)
def test_parse_number(text: str, number: int, suffix: str, symbol: str) -> None:
    parsed = parse_number(text)
    assert parsed is not None
    assert (parsed.number, parsed.suffix, parsed.symbol) == (number, suffix, symbol)


@pytest.mark.parametrize("text", ["", "abc", "QĐ-VKSQN", "sau"])
def test_parse_number_rejects_non_numbers(text: str) -> None:
    assert parse_number(text) is None
