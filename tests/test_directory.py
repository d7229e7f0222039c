"""models.directory: one answer to "who is this", "which unit", "who leads it", "who keeps its records".

The example directory (examples/people.csv): the province VKSQN with two leaders, its departments VP (a
leader and the clerk Hoa) and P2 (a leader and two officers), and the regional KV1 (a leader, the clerk Thu).
"""

from __future__ import annotations

import pytest

from tests.support import CLERK, LEADER
from vanthu.models.directory import (
    UnknownUnit,
    drafter_symbol,
    find_unit,
    nearest_clerks,
    nearest_leaders,
    own_leaders,
    person_by_email,
    unit_by_code,
    unit_codes,
    units_with_own_leaders,
)
from vanthu.models.tables import Person
from vanthu.worker.app import App

DEPUTY = "pvt.minh@vksquangninh.gov.vn"
P2_LEADER = "truongphong.p2@vksquangninh.gov.vn"


def _emails(people: list[Person]) -> list[str]:
    return [p.email for p in people]


def test_people_and_units(app: App) -> None:
    with app.uow() as uow:
        s = uow.session
        person = person_by_email(s, "KSV.Lan@VKSQuangNinh.gov.vn")
        assert person is not None and person.full_name == "Phạm Thị Lan"
        assert drafter_symbol(person) == "P2"
        assert person_by_email(s, "nobody@vksquangninh.gov.vn") is None
        assert find_unit(s, "NOPE") is None
        assert unit_by_code(s, "KV1").level == "regional"
        with pytest.raises(UnknownUnit, match="'NOPE'") as raised:
            unit_by_code(s, "NOPE")
        assert isinstance(raised.value, LookupError) and raised.value.code == "NOPE"
        assert unit_codes(s) == ["KV1", "P2", "VKSQN", "VP"]
        assert units_with_own_leaders(s) == ["KV1", "P2", "VKSQN", "VP"]


def test_own_leaders_stay_in_the_unit_nearest_leaders_walk_up(app: App) -> None:
    with app.uow() as uow:
        s = uow.session
        province, p2 = unit_by_code(s, "VKSQN"), unit_by_code(s, "P2")
        assert _emails(own_leaders(s, province)) == [DEPUTY, LEADER]
        assert _emails(own_leaders(s, p2)) == _emails(nearest_leaders(s, p2)) == [P2_LEADER]
        leader = person_by_email(s, P2_LEADER)
        assert leader is not None
        leader.active = False  # P2 without a leader of its own is led from the province
        s.flush()
        assert own_leaders(s, p2) == []
        assert _emails(nearest_leaders(s, p2)) == [DEPUTY, LEADER]
        assert units_with_own_leaders(s) == ["KV1", "VKSQN", "VP"]


def test_nearest_clerks(app: App) -> None:
    with app.uow() as uow:
        s = uow.session
        assert _emails(nearest_clerks(s, unit_by_code(s, "VKSQN"))) == [CLERK]  # the office's clerk keeps them
        assert _emails(nearest_clerks(s, unit_by_code(s, "P2"))) == [CLERK]  # none of its own: the province's
        assert _emails(nearest_clerks(s, unit_by_code(s, "KV1"))) == ["vanthu.kv1.thu@vksquangninh.gov.vn"]
