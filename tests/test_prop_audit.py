"""A property of the audit chain: any single-field edit of any audit row makes ``audit verify`` fail, and
the problem it reports names that row.

Each edit is made inside a transaction that is rolled back after the check (on PostgreSQL with the
append-only trigger disabled inside that transaction, as an administrator could), so every generated
example starts from the same intact log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Table, select, text, update
from sqlalchemy.orm import Session

from tests.flowkit import send
from tests.support import OFFICER, request
from vanthu.models import audit
from vanthu.models.tables import AuditEntry
from vanthu.worker.app import App

TABLE = cast(Table, AuditEntry.__table__)
FIELDS = ["seq", "at_utc", "at_local", "actor", "action", "object_type", "object_id", "details", "prev_hash", "hash"]
# Text a database column can hold (no NUL, no lone surrogate), short enough for every column.
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)
json_values = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), texts)
details = st.dictionaries(texts, json_values, max_size=4)


def _activity(app: App) -> list[dict[str, Any]]:
    send(
        app,
        request(OFFICER, "Lấy số: Báo cáo A", "Loại: BC\n"),
        request(OFFICER, "Lấy số: Báo cáo B", "Loại: BC\n"),
        request(OFFICER, "Hủy số 02/BC-VKSQN", "Lý do: nhầm\n"),
    )
    with app.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(TABLE).order_by(TABLE.c.seq))]


def _other_value(draw: st.DrawFn, name: str, row: dict[str, Any], seqs: set[int]) -> object:
    old = row[name]
    if name == "seq":
        return draw(st.integers(-(10**9), 10**9).filter(lambda v: v not in seqs))
    if name == "at_utc":
        return old + dt.timedelta(seconds=draw(st.integers(-(10**8), 10**8).filter(bool)))
    if name == "details":
        return draw(details.filter(lambda d: d != old))
    return draw(texts.filter(lambda t: t != old))


def test_any_single_field_edit_of_any_audit_row_is_found_and_named(app: App) -> None:
    rows = _activity(app)
    assert len(rows) >= 5
    seqs = {r["seq"] for r in rows}
    with app.uow() as uow:
        assert audit.verify(uow.session) == (len(rows), None)

    @given(st.data())
    def edit_one_field(data: st.DataObject) -> None:
        row = data.draw(st.sampled_from(rows), label="row")
        name = data.draw(st.sampled_from(FIELDS), label="field")
        value = data.draw(st.composite(lambda draw: _other_value(draw, name, row, seqs))(), label="new value")
        with app.engine.connect() as conn:
            trans = conn.begin()
            try:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
                changed = conn.execute(update(TABLE).where(TABLE.c.seq == row["seq"]).values({name: value}))
                assert changed.rowcount == 1
                with Session(bind=conn) as session:
                    count, problem = audit.verify(session)
            finally:
                trans.rollback()
        assert problem is not None, f"editing {name} of entry {row['seq']} went unnoticed"
        # A renumbered entry leaves a gap at its old place; every other edit is found at the row itself.
        assert problem.seq == row["seq"], (name, value, problem)
        assert count == row["seq"] - 1

    edit_one_field()
    with app.uow() as uow:
        assert audit.verify(uow.session) == (len(rows), None)
