"""End-to-end support: a deployment wired to the real mail stack, and the worker as a real process."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from tests.harness.mailstack import MailStack
from tests.support import EXAMPLES, MailboxSpec, write_config

VANTHU = Path(sys.executable).parent / "vanthu"
READY_LINE = "watching vksqn (IDLE)"
#: How long a worker may take to exit after SIGKILL (the kernel reaps it at once unless it is stuck in I/O).
KILL_WAIT = 30.0


@dataclass(frozen=True)
class Deployment:
    """A configuration whose addresses are unique to one test (the mail stack is shared)."""

    config: Path
    office: str
    people: dict[str, str]  # the example address → this test's address
    log: Path
    token: str = ""

    def addr(self, example: str) -> str:
        return self.people[example]


def deploy(
    tmp_path: Path,
    db_url: str,
    stack: MailStack,
    *,
    extra_service: str = "",
    extra: str = "",
    token: str = "",
    reports: bool = False,
    clock_start: str = "",
) -> Deployment:
    """Write a deployment whose office mailbox and people live on ``stack``, with fresh local parts.

    Its scheduled reports are off unless ``reports`` is true: a worker started by a test that is not about
    reports must not mail digests because of the hour at which the test happens to run.
    """
    token = token or uuid.uuid4().hex[:8]
    tmp_path.mkdir(parents=True, exist_ok=True)

    def fresh(address: str) -> str:
        local, domain = address.split("@", 1)
        return f"{local}.{token}@{domain}"

    people: dict[str, str] = {}
    rows = list(csv.DictReader((EXAMPLES / "people.csv").open(encoding="utf-8")))
    people_csv = tmp_path / "people-src.csv"
    with people_csv.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["email", "full_name", "unit", "roles"])
        writer.writeheader()
        for row in rows:
            people[row["email"]] = fresh(row["email"])
            writer.writerow({**row, "email": people[row["email"]]})
    office = fresh("vanthu@vksquangninh.gov.vn")
    stack.create_folder(office, "INBOX")
    config = write_config(
        tmp_path / "deploy",
        db_url,
        mailbox=MailboxSpec(kind="imap", port=stack.imap_port, user=office, address=office),
        smtp_port=stack.smtp_port,
        extra_service=extra_service,
        people_csv=people_csv,
        extra=extra if reports else f"[reports]\nenabled = false\n{extra}",
        clock_start=clock_start,
    )
    return Deployment(config=config, office=office, people=people, log=tmp_path / "worker.log", token=token)


class WorkerProcess:
    """``vanthu run`` as a child process in its own process group; always cleaned up."""

    def __init__(self, deployment: Deployment, *args: str) -> None:
        self.deployment = deployment
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, ready_timeout: float = 60.0, *, wait_ready: bool = True) -> WorkerProcess:
        """Launch the worker; unless ``wait_ready`` is false (or ``--once``), wait until it watches the inbox."""
        env = {**os.environ, "VANTHU_TEST_IMAP_PASSWORD": "secret", "PYTHONUNBUFFERED": "1"}
        log = self.deployment.log.open("ab")
        offset = self.deployment.log.stat().st_size if self.deployment.log.exists() else 0
        self.proc = subprocess.Popen(
            [str(VANTHU), "-c", str(self.deployment.config), "run", *self.args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()
        if wait_ready and "--once" not in self.args:
            self._wait_ready(offset, ready_timeout)
        return self

    def _wait_ready(self, offset: int, timeout: float) -> None:
        # Readiness probe: the worker logs this line once its IDLE watcher is connected.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early ({self.proc.returncode}):\n{self.log_text()[-3000:]}")
            with self.deployment.log.open("rb") as fh:
                fh.seek(offset)
                if READY_LINE.encode() in fh.read():
                    return
            time.sleep(0.05)
        raise TimeoutError(f"worker not ready after {timeout} s:\n{self.log_text()[-3000:]}")

    def log_text(self) -> str:
        return self.deployment.log.read_text(encoding="utf-8", errors="replace")

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, wait for the graceful exit, return the exit code (SIGKILL if it hangs)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return int(self.proc.returncode)

    def kill(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            try:
                self.proc.wait(KILL_WAIT)
            except subprocess.TimeoutExpired:
                raise TimeoutError(f"worker {self.proc.pid} still there {KILL_WAIT} s after SIGKILL") from None

    def wait(self, timeout: float) -> int:
        """Wait for the worker to exit by itself; TimeoutError with the end of its log if it does not."""
        assert self.proc is not None
        try:
            return int(self.proc.wait(timeout))
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"worker still running after {timeout} s:\n{self.log_text()[-3000:]}") from None

    def __enter__(self) -> WorkerProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:  # the test failed while the worker ran: show what the worker saw (pytest prints it)
            print(f"--- end of the worker's log ({self.deployment.log}) ---\n{self.log_text()[-4000:]}")
        if self.proc is not None and self.proc.poll() is None:
            self.kill()
