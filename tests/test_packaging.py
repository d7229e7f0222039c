"""vanthu installs as one namespace, and the demo runs from a plain (non-editable) install."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BARE_NAMES = ("worker", "mailflows", "models", "cron", "templates", "demo")

pytestmark = pytest.mark.slow


def test_pip_install_into_a_fresh_virtualenv_runs_the_demo(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # Only the vanthu namespace is installed: no top-level package can shadow or be shadowed by another.
    assert (site / "vanthu" / "worker" / "cli.py").is_file()
    assert (site / "vanthu" / "examples" / "demo.toml").is_file()
    assert (site / "vanthu" / "templates" / "mail" / "help.txt.j2").is_file()
    assert not [name for name in BARE_NAMES if (site / name).exists()]
    assert not (site / "vanthu" / "worker" / "testpki.py").exists()

    work = tmp_path / "elsewhere"  # not the checkout: nothing may be imported from the source tree
    work.mkdir()
    demo = subprocess.run(
        [str(env_dir / "bin" / "vanthu"), "demo", "--dir", str(work / "demo")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=work,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "number.given" in demo.stdout and "intake.registered" in demo.stdout
    assert "Nhật ký kiểm toán" in demo.stdout and "nguyên vẹn" in demo.stdout
    where = subprocess.run(
        [str(python), "-c", "import vanthu.worker.cli as m; print(m.__file__)"],
        capture_output=True,
        text=True,
        cwd=work,
        check=True,
    ).stdout
    assert where.startswith(str(site)), where


def test_the_checkout_imports_the_same_names_as_the_install() -> None:
    probe = subprocess.run(
        [sys.executable, "-c", "import vanthu.worker.cli, vanthu.demo.pki, vanthu.models.tables; print('ok')"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert probe.stdout.strip() == "ok", probe.stderr
