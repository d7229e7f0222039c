"""A private PostgreSQL cluster for fault-injection tests: started, stopped and restarted by the test itself.

The shared server of ``tests.harness.pg`` must never be stopped (other tests use it), so a test that takes
the database away starts its own cluster: ``initdb`` into a temporary directory, ``pg_ctl start`` on a free
loopback port with trust authentication, ``pg_ctl stop``/``start`` as often as the test likes, and
everything removed at the end. PostgreSQL refuses to run as root: when we are root the cluster's programs
run as the ``postgres`` user (Debian's packages create it), and the directory is given to that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from sqlalchemy.engine import URL

__all__ = ["PrivateCluster", "postgres_bindir"]

#: Seconds pg_ctl waits for the server to start or stop (its -t).
PG_CTL_TIMEOUT = 60
SERVICE_USER = "postgres"


def postgres_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has initdb and pg_ctl, or None."""
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return None
    versions = sorted((p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name), reverse=True)
    for version in versions:
        bindir = version / "bin"
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateCluster:
    """One throw-away PostgreSQL cluster on 127.0.0.1; a context manager that removes it on exit."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = 0
        self.root = Path()
        self._user: str | None = SERVICE_USER if os.geteuid() == 0 else None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str, timeout: float = PG_CTL_TIMEOUT + 30) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(args),
            user=self._user,
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def create(self) -> PrivateCluster:
        """initdb a new cluster (trust authentication, no fsync) and start it; return self."""
        parent = "/dev/shm" if os.path.isdir("/dev/shm") else None
        self.root = Path(tempfile.mkdtemp(prefix="vanthu-pgcluster-", dir=parent))
        os.chmod(self.root, 0o755)
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.port = _free_port()
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        self.start()
        return self

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            str(PG_CTL_TIMEOUT),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: every client is disconnected at once) and wait until it is down."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy (psycopg 3) URL to ``database`` on this cluster."""
        return URL.create(
            "postgresql+psycopg", username="postgres", host="127.0.0.1", port=self.port, database=database
        ).render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        """Create database ``name``; return its URL."""
        self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def log_tail(self, limit: int = 3000) -> str:
        try:
            return (self.root / "server.log").read_text(encoding="utf-8", errors="replace")[-limit:]
        except OSError:
            return "(no server log)"

    def destroy(self) -> None:
        """Stop the server if it runs (immediately) and remove every file. Safe to call more than once."""
        if not self.root.parts or not self.data_dir.exists():
            return
        subprocess.run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"],
            user=self._user,
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=PG_CTL_TIMEOUT + 30,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivateCluster:
        return self.create()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.destroy()
