"""The configuration file: the example validates, and every error names the key that is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import EXAMPLES, write_config
from vanthu.worker.config import ConfigError, load


def test_example_configuration_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("VANTHU_IMAP_PASSWORD", "VANTHU_IMAP_PASSWORD_KV1", "VANTHU_SMTP_PASSWORD"):
        monkeypatch.setenv(var, "secret")
    cfg = load(EXAMPLES / "vanthu.toml")
    assert [u.code for u in cfg.units] == ["VKSQN", "VP", "P2", "KV1"]
    assert {r.code for r in cfg.registers if r.unit == "VKSQN"} == {"DEN", "HC", "TT", "MAT"}
    procedural = next(r for r in cfg.registers if r.unit == "VKSQN" and r.code == "TT")
    assert procedural.start_month_day == (12, 1)
    assert len(cfg.people) == 10
    assert cfg.people[0].full_name == "Lương Văn Sơn"


def test_environment_overrides_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path, "sqlite:///x.db")
    monkeypatch.setenv("VANTHU_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/db")
    assert load(path).service.database_url == "postgresql+psycopg://u@127.0.0.1/db"


def test_relative_sqlite_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, "sqlite:///vanthu.db")
    assert load(path).service.database_url == f"sqlite:///{tmp_path.resolve()}/vanthu.db"


def _broken(tmp_path: Path) -> Path:
    path = write_config(tmp_path, "sqlite:///x.db")
    text = path.read_text(encoding="utf-8")
    text = text.replace('timezone = "Asia/Ho_Chi_Minh"', 'timezone = "Asia/Hanoi_Typo"')
    text = text.replace('year_start = "12-01"', 'year_start = "13-01"', 1)
    text = text.replace('parent = "VKSQN"', 'parent = "NOWHERE"', 1)
    path.write_text(text, encoding="utf-8")
    with (tmp_path / "people.csv").open("a", encoding="utf-8") as fh:
        fh.write("not-an-email,Ai Đó,VKSQN,officer\nx@vks.vn,Người Lạ,VKSQN,king\n")
    return path


def test_errors_name_the_wrong_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(_broken(tmp_path))
    keys = [k for k, _ in caught.value.errors]
    assert "service.timezone" in keys
    assert any(k.startswith("registers[") and k.endswith("].year_start") for k in keys)
    # Pydantic errors are reported first; a second pass finds reference errors once the shape is valid.
    fixed = (tmp_path / "vanthu.toml").read_text(encoding="utf-8")
    fixed = fixed.replace("Asia/Hanoi_Typo", "Asia/Ho_Chi_Minh").replace('"13-01"', '"12-01"')
    (tmp_path / "vanthu.toml").write_text(fixed, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "vanthu.toml")
    errors = dict(caught.value.errors)
    assert errors["units[1].parent"] == "no unit with code 'NOWHERE'"
    assert errors["service.people_csv:12"].startswith("invalid email")
    assert errors["service.people_csv:13"].startswith("roles must be some of")


def test_check_config_command_prints_each_error_with_its_key(tmp_path: Path) -> None:
    path = _broken(tmp_path)
    vanthu = Path(sys.executable).parent / "vanthu"
    done = subprocess.run([str(vanthu), "-c", str(path), "check-config"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "service.timezone: Value error, unknown time zone 'Asia/Hanoi_Typo'" in done.stderr
    ok = subprocess.run(
        [str(vanthu), "-c", str(write_config(tmp_path / "ok", "sqlite:///x.db")), "check-config"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: 4 units, 7 registers, 1 mailboxes, 10 people")
