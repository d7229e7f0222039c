"""The audit log: append-only, hash-chained, and ``vanthu audit verify`` names the first bad entry."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.flowkit import send
from tests.support import OFFICER, prepared_app, request, write_config
from vanthu.models import audit
from vanthu.models.clock import FixedClock
from vanthu.worker.app import App

VANTHU = Path(sys.executable).parent / "vanthu"


def _activity(app: App) -> None:
    send(
        app,
        request(OFFICER, "Lấy số: Báo cáo A", "Loại: BC\n"),
        request(OFFICER, "Lấy số: Báo cáo B", "Loại: BC\n"),
        request(OFFICER, "Hủy số 02/BC-VKSQN", "Lý do: nhầm\n"),
    )


def _verify_cli(app: App) -> subprocess.CompletedProcess[str]:
    config = Path(app.config.base_dir) / "vanthu.toml"
    return subprocess.run(
        [str(VANTHU), "-c", str(config), "audit", "verify"], capture_output=True, text=True, timeout=120
    )


def _tamper(app: App, sql: str) -> None:
    """Change the table behind vanthu's back, as an administrator with database rights could."""
    with app.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        conn.execute(text(sql))
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


def test_intact_log_verifies(app: App) -> None:
    _activity(app)
    done = _verify_cli(app)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "audit log intact: 7 entries" in done.stdout


def test_a_changed_entry_is_found_and_named(app: App) -> None:
    _activity(app)
    _tamper(app, "UPDATE audit_log SET actor = 'someone.else@vksquangninh.gov.vn' WHERE seq = 4")
    done = _verify_cli(app)
    assert done.returncode == 1
    assert "BROKEN at entry 4: content does not match its hash" in done.stdout


def test_changed_details_are_found(app: App) -> None:
    _activity(app)
    with app.uow() as uow:
        original = uow.session.execute(text("SELECT details FROM audit_log WHERE seq = 2")).scalar_one()
    assert "01/BC-VKSQN" in str(original)
    _tamper(
        app,
        "UPDATE audit_log SET details = CAST(REPLACE(CAST(details AS TEXT), '01/BC', '07/BC') AS JSON) WHERE seq = 2",
    )
    with app.uow() as uow:
        _, problem = audit.verify(uow.session)
    assert problem is not None and problem.seq == 2


def test_deleted_and_reordered_entries_are_found(app: App) -> None:
    _activity(app)
    _tamper(app, "DELETE FROM audit_log WHERE seq = 3")
    with app.uow() as uow:
        _, problem = audit.verify(uow.session)
    assert problem is not None and problem.seq == 3 and "missing" in problem.reason


def test_swapped_entries_are_found(app: App) -> None:
    _activity(app)
    _tamper(
        app,
        "UPDATE audit_log SET seq = CASE seq WHEN 5 THEN 1005 WHEN 6 THEN 1006 END WHERE seq IN (5, 6)",
    )
    _tamper(app, "UPDATE audit_log SET seq = CASE seq WHEN 1005 THEN 6 WHEN 1006 THEN 5 END WHERE seq IN (1005, 1006)")
    with app.uow() as uow:
        _, problem = audit.verify(uow.session)
    assert problem is not None and problem.seq == 5


def test_a_removed_tail_is_found(app: App) -> None:
    _activity(app)
    _tamper(app, "DELETE FROM audit_log WHERE seq = 7")
    with app.uow() as uow:
        count, problem = audit.verify(uow.session)
    assert count == 6
    assert problem is not None and problem.seq == 7


@pytest.fixture
def pg_app(pg_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[App]:
    application = prepared_app(write_config(tmp_path / "pg", pg_url), clock)
    yield application
    application.close()


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"])
def test_postgresql_refuses_update_and_delete(pg_app: App, sql: str) -> None:
    app = pg_app
    _activity(app)
    with pytest.raises(DBAPIError, match="append-only"), app.engine.begin() as conn:
        conn.execute(text(sql))
    with app.uow() as uow:
        count, problem = audit.verify(uow.session)
    assert (count, problem) == (7, None)
