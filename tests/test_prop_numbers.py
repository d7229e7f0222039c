"""Properties of document numbers and deadlines, checked over generated inputs (hypothesis).

* Every number vanthu formats parses back to the same number, suffix and symbol, written bare, after
  ``Số:``, or with spaces around the slash as people type it.
* ``due()`` is monotone in the moment of receipt: a document received later is never due earlier.
"""

from __future__ import annotations

import datetime as dt
import string

from hypothesis import given
from hypothesis import strategies as st

from tests.support import VN
from vanthu.models.calendar import WorkCalendar
from vanthu.models.deadlines import UNITS, DeadlineRule, due
from vanthu.models.doctypes import DEFAULT_TYPES
from vanthu.models.numbering import format_number, number_string, parse_number
from vanthu.models.tables import Register

CALENDAR = WorkCalendar()

numbers = st.integers(min_value=1, max_value=999_999)
suffixes = st.sampled_from(["", *string.ascii_lowercase])
type_codes = st.sampled_from(sorted({t.code for t in DEFAULT_TYPES}))  # "" is the công văn
# Unit and department symbols as configured: VKSQN, VKSKV1, VP, P2 …
symbols = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=10).filter(
    lambda s: s[0].isalpha()
)
drafters = st.one_of(st.just(""), symbols)
patterns = st.sampled_from(
    [
        ("{number}/{type}-{symbol}", "{number}/{symbol}-{drafter}"),
        ("{number}/{type}-{symbol}-{drafter}", "{number}/{symbol}-{drafter}"),
    ]
)


@given(numbers, suffixes)
def test_format_number_round_trips(number: int, suffix: str) -> None:
    text = format_number(number, suffix)
    assert len(text) >= 2 + len(suffix)  # a leading zero below 10
    parsed = parse_number(text)
    assert parsed is not None
    assert (parsed.number, parsed.suffix, parsed.symbol) == (number, suffix, "")


@given(numbers, suffixes, type_codes, symbols, drafters, patterns, st.sampled_from(["{}", "Số: {}", "số {}", " {} "]))
def test_every_formatted_number_parses_back(
    number: int,
    suffix: str,
    type_code: str,
    symbol: str,
    drafter: str,
    pattern: tuple[str, str],
    written: str,
) -> None:
    register = Register(pattern=pattern[0], untyped_pattern=pattern[1])
    full = number_string(register, number, suffix, type_code=type_code, symbol=symbol, drafter=drafter)
    assert "--" not in full and not full.endswith("-")
    head, _, tail = full.partition("/")
    assert head == format_number(number, suffix)
    if type_code:
        assert tail.startswith(f"{type_code}-{symbol}")
    else:  # a công văn: 12/VKSQN-VP
        assert tail == (f"{symbol}-{drafter}" if drafter else symbol)
    parsed = parse_number(written.format(full))
    assert parsed is not None
    assert (parsed.number, parsed.suffix, parsed.symbol) == (number, suffix, tail)
    spaced = parse_number(full.replace("/", " / ", 1))
    assert spaced is not None and (spaced.number, spaced.suffix, spaced.symbol) == (number, suffix, tail)


# --- deadlines ---

rules = st.builds(
    DeadlineRule,
    amount=st.integers(min_value=1, max_value=60),
    unit=st.sampled_from(UNITS),
    legal_basis=st.just(""),
    label=st.just("thử"),
    roll_to_working_day=st.booleans(),
    # Moving a day limit needs its legal basis written beside it (Điều 134 BLTTHS); any text will do here.
    roll_basis=st.just("Căn cứ thử nghiệm"),
)
# Receipt moments over four years of the holidays package's data, to the second, in any time zone offset.
moments = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31), timezones=st.just(dt.UTC)
).map(lambda t: t.replace(microsecond=0))


@given(rules, moments, st.integers(min_value=0, max_value=40 * 24 * 3600))
def test_due_is_monotone_in_the_moment_of_receipt(rule: DeadlineRule, start: dt.datetime, later_by: int) -> None:
    earlier = due(rule, start, CALENDAR, VN)
    later = due(rule, start + dt.timedelta(seconds=later_by), CALENDAR, VN)
    assert earlier.due_at <= later.due_at, (earlier.summary, later.summary)
    assert later.due_at > later.received_at


@given(rules, moments, st.sampled_from([VN, dt.UTC, dt.timezone(dt.timedelta(hours=-5))]))
def test_due_does_not_depend_on_the_zone_the_receipt_is_written_in(
    rule: DeadlineRule, start: dt.datetime, zone: dt.tzinfo
) -> None:
    assert due(rule, start, CALENDAR, VN).due_at == due(rule, start.astimezone(zone), CALENDAR, VN).due_at
