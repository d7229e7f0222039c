"""Throw-away PostgreSQL databases for integration tests.

The tests talk to a real PostgreSQL server through an *admin* connection (``PG_ADMIN_URL``, trust auth on the
development machines) that may create and drop databases. Each test gets a fresh database named
``vanthu_t_<random hex>`` and a SQLAlchemy URL for it; ``drop_database`` refuses to touch any other name.

Override the admin connection with the environment variable ``VANTHU_TEST_PG_ADMIN`` (a libpq URL or
``key=value`` conninfo string). On Debian the server can be started with::

    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start

``pg_available()`` tries exactly that, once per process, when the server is down and we are root.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL, make_url

__all__ = [
    "DB_PREFIX",
    "PG_ADMIN_URL",
    "admin_connect",
    "check_harness_name",
    "create_database",
    "database_exists",
    "drop_database",
    "pg_available",
    "sqlalchemy_url",
]

PG_ADMIN_URL: str = os.environ.get("VANTHU_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")

#: Every database this module creates starts with this prefix, and it drops nothing else.
DB_PREFIX = "vanthu_t_"

CONNECT_TIMEOUT = 5  # seconds, libpq's connect_timeout (integer)
#: How long pg_available() waits for a cluster it has just started to accept connections.
STARTUP_TIMEOUT = 30.0

_START_HINT = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
_tried_to_start = False


def admin_connect() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=CONNECT_TIMEOUT)


def _ping() -> str | None:
    """None if the admin connection works, else the error text."""
    try:
        with admin_connect() as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__
    return None


def _start_clusters() -> str | None:
    """Run ``pg_ctlcluster ... main start`` for each installed version; None on success, else the error."""
    conf_dir = Path("/etc/postgresql")
    versions = sorted(entry.name for entry in conf_dir.iterdir()) if conf_dir.is_dir() else []
    if not versions:
        return "no cluster configuration under /etc/postgresql"
    errors: list[str] = []
    for version in versions:
        try:
            result = subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            errors.append(f"{version}: {exc}")
            continue
        if result.returncode != 0:
            errors.append(f"{version}: {(result.stderr or result.stdout).strip()[-300:]}")
    # Several versions: success if any of them started.
    return "; ".join(errors) if len(errors) == len(versions) else None


def pg_available() -> str | None:
    """None if the admin connection works, else a message for ``pytest.skip()``.

    When the server is unreachable and we are root, runs ``pg_ctlcluster ... main start`` once per process
    and waits up to ``STARTUP_TIMEOUT`` seconds for it to accept connections.
    """
    global _tried_to_start
    error = _ping()
    if error is None:
        return None
    if os.geteuid() == 0 and not _tried_to_start:
        _tried_to_start = True
        start_error = _start_clusters()
        if start_error is None:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while (error := _ping()) is not None and time.monotonic() < deadline:
                time.sleep(0.2)  # readiness polling with a deadline
            if error is None:
                return None
        else:
            error = f"{error}; starting the cluster failed: {start_error}"
    return f"PostgreSQL not reachable at {PG_ADMIN_URL} ({error}); {_START_HINT}, or set VANTHU_TEST_PG_ADMIN"


def sqlalchemy_url(database: str) -> str:
    """A ``postgresql+psycopg://`` URL with the admin connection's user, password, host and port."""
    params = conninfo_to_dict(PG_ADMIN_URL)
    host = str(params.get("host") or "127.0.0.1")
    port = params.get("port")
    socket_dir = host.startswith("/")  # a Unix-socket directory goes into the query string
    url = URL.create(
        "postgresql+psycopg",
        username=str(params["user"]) if params.get("user") else None,
        password=str(params["password"]) if params.get("password") else None,
        host=None if socket_dir else host,
        port=int(port) if port else None,
        database=database,
        query={"host": host} if socket_dir else {},
    )
    return url.render_as_string(hide_password=False)


def check_harness_name(url: str) -> str:
    """The database name in ``url``; ValueError unless this harness made it (``vanthu_t_*``)."""
    name = make_url(url).database
    if not name or not name.startswith(DB_PREFIX):
        raise ValueError(f"refusing to touch database {name!r}: not created by the test harness ({DB_PREFIX}*)")
    return name


def create_database(name: str = "") -> str:
    """Create an empty database (``vanthu_t_<random hex>``, or ``name`` with that prefix); return its URL.

    The URL is a SQLAlchemy (psycopg 3) one. For a database already at the migrations' head use
    ``tests.harness.dbtemplate.clone_pg()``: a copy of a migrated template, much faster than migrating.
    """
    name = name or DB_PREFIX + secrets.token_hex(8)
    check_harness_name(f"postgresql://x/{name}")
    with admin_connect() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return sqlalchemy_url(name)


def database_exists(url: str) -> bool:
    """Whether the database named in ``url`` exists on the server."""
    name = make_url(url).database
    with admin_connect() as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def drop_database(url: str) -> None:
    """Drop a database made by ``create_database()``, disconnecting anyone still using it. Idempotent."""
    name = check_harness_name(url)
    with admin_connect() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        force = sql.SQL(" WITH (FORCE)") if conn.info.server_version >= 130000 else sql.SQL("")
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)) + force)
