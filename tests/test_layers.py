"""The layers hold where the import contract cannot look: who reads the real clock.

``make lint`` checks the imports (``[tool.importlinter]`` in pyproject.toml). What a contract on imports
cannot see is a call of the standard library's clock: the domain (``models``), the flows and the jobs take
the time they are given, and the worker reads the real clock only through ``models.clock``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("models", "mailflows", "cron", "templates", "worker")
DOMAIN = ("models", "mailflows", "cron", "templates")
THE_CLOCK = ROOT / "models" / "clock.py"

# (what is called on, the attribute): datetime.now(), dt.date.today(), time.time() …
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
}


def _sources(packages: tuple[str, ...]) -> list[Path]:
    files = [p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py")) if "migrations" not in p.parts]
    return [p for p in files if p != THE_CLOCK]


def _wall_clock_calls(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        target = node.func.value
        name = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
        if (name, node.func.attr) in WALL_CLOCK:
            found.append(f"{path.relative_to(root)}:{node.lineno}: {name}.{node.func.attr}()")
    return found


def test_only_models_clock_reads_the_real_clock() -> None:
    calls = [c for path in _sources(PRODUCT) for c in _wall_clock_calls(path)]
    assert calls == [], "read the time through models.clock (or take it from the caller):\n" + "\n".join(calls)


def test_the_domain_never_builds_a_real_clock() -> None:
    """models, mailflows, cron and templates get their clock (or their ``now``) from the caller."""
    users = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in _sources(DOMAIN)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Name | ast.alias)
        and (getattr(node, "id", None) or getattr(node, "name", "")) == "SystemClock"
    ]
    assert users == []


def test_the_scan_sees_a_wall_clock_call(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime as dt\nimport time\nx = dt.datetime.now(dt.UTC)\ny = time.time()\nz = ctx.now()\n"
    )
    assert _wall_clock_calls(sample, tmp_path) == ["sample.py:3: datetime.now()", "sample.py:4: time.time()"]
