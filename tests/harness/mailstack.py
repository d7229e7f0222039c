"""A real mail stack on loopback for integration tests: Dovecot (IMAP + LMTP) behind an aiosmtpd SMTP server.

Layout (the choices follow measurements of Dovecot 2.3 on Debian 12: LMTP one transaction per recipient,
IDLE notifications about 0.5 s after a change, no failed-login delay)::

    test code --SMTP--> aiosmtpd (in-process thread) --LMTP, one transaction per recipient--> Dovecot
    test code / application --IMAP--> Dovecot

Everything binds to 127.0.0.1 only, on free ports picked at start-up, and every file Dovecot writes lives in
one temporary directory (on /dev/shm when present) that ``MailStack.stop()`` removes.

Users and mailboxes
-------------------
Dovecot runs with a static passdb: *any* user name logs in with the password ``secret``
(``MailStack.password``), so each test can invent fresh users without restarting anything. Users are
addressed as ``localpart@domain``, both as SMTP recipients and as IMAP login names. The mail home is
``{root}/mail/%n``, i.e. keyed by the **local part only**: ``an@vks-a.gov.vn`` and ``an@vks-b.gov.vn`` share
one mailbox. Tests must therefore use local parts that are unique across domains (and across tests, since the
stack is usually session-scoped) -- for example by appending ``uuid.uuid4().hex[:8]``.

SMTP acceptance is synchronous: the SMTP server answers ``250`` only after Dovecot has stored the message for
every recipient, so when ``MailStack.send()`` returns, the message is already visible over IMAP.
"""

from __future__ import annotations

import asyncio
import atexit
import email.policy
import errno
import grp
import os
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, suppress
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from string import Template
from types import TracebackType
from typing import Any

import imapclient
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from imapclient.exceptions import IMAPClientError

__all__ = [
    "DOVECOT_BIN",
    "DOVECOT_LMTP_BIN",
    "LmtpRelayHandler",
    "MailStack",
    "PortConflictError",
    "ensure_dovecot",
]

DOVECOT_BIN = "/usr/sbin/dovecot"
DOVECOT_LMTP_BIN = "/usr/lib/dovecot/lmtp"
DOVECOT_PACKAGES = ("dovecot-imapd", "dovecot-lmtpd")

LOOPBACK = "127.0.0.1"
PASSWORD = "secret"

#: How long start() waits for Dovecot's greetings before giving up.
STARTUP_TIMEOUT = 10.0
#: Socket timeout for every SMTP, LMTP and IMAP client connection the harness opens.
CLIENT_TIMEOUT = 30.0
#: Longest single idle_check() in wait_for_messages(); after each one the message count is re-read, so a
#: missed IDLE notification costs at most this long. Dovecot itself sends EXISTS ~0.5 s after a change.
IDLE_SLICE = 1.0
#: How many times start() picks fresh ports when one turns out to be taken.
START_ATTEMPTS = 3
#: Poll interval while waiting for a folder that does not exist yet (IDLE needs a selected folder).
FOLDER_POLL_INTERVAL = 0.1
#: Pause before reconnecting after an IMAP error in wait_for_messages().
RECONNECT_BACKOFF = 0.1

#: Errors that mean "this IMAP connection is unusable": reconnect and resync rather than fail. imapclient's
#: response lexer raises ValueError on malformed input (e.g. "unterminated line", mjs/imapclient#519).
IMAP_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (IMAPClientError, OSError, ValueError)

_PARSER: BytesParser[EmailMessage] = BytesParser(policy=email.policy.default)

# --- Installation ---


def _dovecot_installed() -> bool:
    return os.path.exists(DOVECOT_BIN) and os.path.exists(DOVECOT_LMTP_BIN)


def apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    """Run apt-get non-interactively; waits up to 5 minutes for a dpkg lock held by another apt job."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=300", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def ensure_debian_packages(packages: Sequence[str], installed: Callable[[], bool], missing: str) -> str | None:
    """Make sure ``installed()`` holds, installing Debian ``packages`` with apt-get when needed.

    Returns None when it holds (possibly after an install, which is only attempted as root, with one
    ``apt-get update`` if the first install fails), or a human-readable reason for ``pytest.skip()``
    starting with ``missing`` and ending with the command that would install the packages.
    """
    if installed():
        return None
    hint = (
        "install with: sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive "
        f"apt-get install -y --no-install-recommends {' '.join(packages)}"
    )
    if os.geteuid() != 0:
        return f"{missing}; {hint}"
    install = ("install", "-y", "--no-install-recommends", *packages)
    try:
        result = apt_get(*install)
        if result.returncode != 0:
            # Usually "Unable to locate package": the package lists have never been downloaded.
            update = apt_get("update")
            if update.returncode != 0:
                return f"apt-get update failed ({update.stderr.strip()[-500:]}); {hint}"
            result = apt_get(*install)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"could not run apt-get ({exc}); {hint}"
    if result.returncode != 0:
        return f"apt-get install failed ({result.stderr.strip()[-500:]}); {hint}"
    if not installed():
        return f"apt-get install succeeded but the check still fails: {missing}"
    return None


def ensure_dovecot() -> str | None:
    """Make sure Dovecot with IMAP and LMTP is installed (see :func:`ensure_debian_packages`)."""
    return ensure_debian_packages(
        DOVECOT_PACKAGES,
        _dovecot_installed,
        f"Dovecot is not installed ({DOVECOT_BIN} or {DOVECOT_LMTP_BIN} missing)",
    )


# --- SMTP -> LMTP relay ---


class LmtpRelayHandler:
    """aiosmtpd handler that delivers every accepted message to Dovecot over LMTP.

    Each recipient gets its own LMTP connection and transaction: ``smtplib.LMTP`` loses sync when one DATA
    goes to several recipients (LMTP answers DATA once per recipient). The SMTP client gets ``250`` only when
    every recipient was delivered, otherwise ``451``; recipients that did succeed are *not* rolled back, so a
    client that retries after a 451 may create duplicates for them.
    """

    def __init__(self, lmtp_host: str, lmtp_port: int) -> None:
        self.lmtp_host = lmtp_host
        self.lmtp_port = lmtp_port
        self._lock = threading.Lock()
        self._delivered = 0
        self._failed = 0

    @property
    def delivered(self) -> int:
        """Messages accepted with 250, i.e. delivered to all their recipients."""
        with self._lock:
            return self._delivered

    @property
    def failed(self) -> int:
        """Messages answered with 451 because at least one LMTP delivery failed."""
        with self._lock:
            return self._failed

    def carry_over(self, delivered: int, failed: int) -> None:
        """Start the counters from a previous handler's (after the SMTP server was restarted)."""
        with self._lock:
            self._delivered += delivered
            self._failed += failed

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """aiosmtpd hook: called once per message after the client's DATA."""
        errors = await asyncio.to_thread(self._deliver, envelope)
        with self._lock:
            if errors:
                self._failed += 1
            else:
                self._delivered += 1
        if errors:
            return "451 4.3.0 LMTP delivery failed: " + "; ".join(errors)
        return "250 2.0.0 OK: delivered"

    def _deliver(self, envelope: Envelope) -> list[str]:
        """Deliver to each recipient in its own LMTP transaction; returns one error string per failure."""
        content = envelope.original_content
        if content is None:
            return ["no message content"]
        mail_from = envelope.mail_from or ""
        # Forward only BODY=: Dovecot 2.3's LMTP offers 8BITMIME but not SMTPUTF8 (nor does our SMTP side).
        mail_options = [option for option in envelope.mail_options if option.upper().startswith("BODY=")]
        errors: list[str] = []
        for rcpt in envelope.rcpt_tos:
            try:
                with smtplib.LMTP(
                    self.lmtp_host, self.lmtp_port, local_hostname="localhost", timeout=CLIENT_TIMEOUT
                ) as lmtp:
                    lmtp.sendmail(mail_from, [rcpt], content, mail_options=mail_options)
            except (smtplib.SMTPException, OSError) as exc:
                errors.append(f"<{rcpt}>: {exc}")
        return errors


# --- The stack ---

_DOVECOT_CONF = Template(
    """\
# Generated by tests/harness/mailstack.py -- a throw-away standalone Dovecot for tests.
protocols = imap lmtp
listen = 127.0.0.1
base_dir = $base/run
state_dir = $base/state
log_path = $base/dovecot.log
ssl = no
default_internal_user = $internal_user
default_internal_group = $internal_group
default_login_user = $login_user
first_valid_uid = $first_valid_uid
auth_failure_delay = 0
disable_plaintext_auth = no
passdb {
  driver = static
  args = password=$password
}
userdb {
  driver = static
  args = uid=$mail_uid gid=$mail_gid home=$base/mail/%n
}
mail_location = maildir:~/Maildir
mail_fsync = never
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
$chroot}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $lmtp_port
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
$chroot}
$ipc$extra"""
)


class PortConflictError(RuntimeError):
    """A port picked by ``_free_ports()`` was taken by someone else before the server could bind it."""


def _free_ports(count: int) -> list[int]:
    """Return ``count`` distinct TCP ports that are free on 127.0.0.1 right now.

    All sockets are held open until every port has been picked, so the ports are distinct; there is still the
    usual small window in which another process could take one before the server binds it.
    """
    with ExitStack() as stack:
        ports: list[int] = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((LOOPBACK, 0))
            ports.append(sock.getsockname()[1])
        return ports


def _read_greeting(host: str, port: int, prefix: bytes, timeout: float) -> bool:
    """Connect once and report whether the server's first line starts with ``prefix``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            return sock.recv(512).startswith(prefix)
    except OSError:
        return False


class MailStack:
    """Dovecot (IMAP + LMTP) plus an aiosmtpd SMTP front end, all on 127.0.0.1; a context manager.

    ``start()`` / ``__enter__`` bring everything up; ``stop()`` / ``__exit__`` kill it and delete its files.
    See the module docstring for how users and mailboxes work (local parts must be unique across domains).
    """

    imap_host: str = LOOPBACK
    password: str = PASSWORD

    def __init__(self, *, idle_notify_interval: str = "") -> None:
        #: Dovecot's ``imap_idle_notify_interval`` ("OK Still here" keep-alives during IDLE); "" keeps
        #: Dovecot's default (2 mins), "0" switches the keep-alives off.
        self.idle_notify_interval = idle_notify_interval
        self.imap_port: int = 0
        self.smtp_port: int = 0
        self.lmtp_port: int = 0
        self.root: str = ""
        #: Wall-clock seconds from launching Dovecot until both its IMAP and LMTP greetings arrived.
        self.dovecot_startup_seconds: float = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._controller: Controller | None = None
        self._handler: LmtpRelayHandler | None = None

    # --- lifecycle ---

    def start(self) -> MailStack:
        """Create the temp dir, start Dovecot and the SMTP server; return self. Cleans up on failure.

        If another process grabs one of the picked ports before we bind it, starts over with fresh ports (up
        to ``START_ATTEMPTS`` times). Raises ``RuntimeError`` with Dovecot's log if it does not come up.
        """
        if self._proc is not None or self._controller is not None:
            raise RuntimeError("MailStack already started")
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self._start()
            except PortConflictError:
                self.stop()
                if attempt == START_ATTEMPTS:
                    raise
            except BaseException:
                self.stop()
                raise
            else:
                return self
        raise AssertionError("unreachable")

    def _start(self) -> None:
        parent = "/dev/shm" if os.path.isdir("/dev/shm") else None
        self.root = tempfile.mkdtemp(prefix="vanthu-mail-", dir=parent)
        os.chmod(self.root, 0o755)  # the mail user (not us, when root) must be able to traverse it
        base = Path(self.root)
        self.imap_port, self.lmtp_port, self.smtp_port = _free_ports(3)

        conf_path = base / "dovecot.conf"
        conf_path.write_text(self._render_config(base), encoding="utf-8")
        self._launch_dovecot()
        self._start_smtp()

    def _launch_dovecot(self) -> None:
        """Start Dovecot on the written config and wait for its greetings."""
        base = Path(self.root)
        conf_path = base / "dovecot.conf"
        console = open(base / "dovecot.console", "ab")  # noqa: SIM115 -- handed to the child, closed below
        try:
            started = time.monotonic()
            self._proc = subprocess.Popen(
                [DOVECOT_BIN, "-F", "-c", str(conf_path)],
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() kills master and children at once
            )
        finally:
            console.close()
        atexit.register(self._kill_dovecot)  # last resort if the interpreter exits without stop()
        self._wait_for_dovecot(started)

    def _start_smtp(self) -> None:
        self._handler = LmtpRelayHandler(LOOPBACK, self.lmtp_port)
        controller = Controller(
            self._handler,
            hostname=LOOPBACK,
            port=self.smtp_port,
            server_hostname="mailstack.localhost",  # avoid a possibly slow getfqdn()
            ready_timeout=STARTUP_TIMEOUT,
            # Dovecot 2.3's LMTP does not offer SMTPUTF8, so neither do we: clients that need it (non-ASCII
            # addresses) fail at once with SMTPNotSupportedError instead of getting a 451 after DATA.
            enable_SMTPUTF8=False,
        )
        try:
            controller.start()
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortConflictError(f"SMTP port {self.smtp_port} taken: {exc}") from exc
            raise
        self._controller = controller

    # --- faults, for fault-injection tests ---

    def kill_dovecot(self) -> None:
        """SIGKILL Dovecot (every connection drops at once); mail and config stay for ``start_dovecot``."""
        self._kill_dovecot()

    def start_dovecot(self) -> None:
        """Start Dovecot again after ``kill_dovecot``: same ports, same mail; returns once it greets."""
        if self._proc is not None:
            raise RuntimeError("dovecot is running")
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                self._launch_dovecot()
                return
            except PortConflictError:
                # The killed processes' sockets may take a moment to be released by the kernel.
                self._kill_dovecot()
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)  # retry with a deadline, not synchronisation

    def stop_smtp(self) -> None:
        """Stop the SMTP front end (clients get "connection refused") until ``start_smtp``."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def start_smtp(self) -> None:
        """Start the SMTP front end again on the same port."""
        if self._controller is not None:
            raise RuntimeError("the SMTP server is running")
        delivered, failed = self.delivered, self.failed
        self._start_smtp()
        assert self._handler is not None
        self._handler.carry_over(delivered, failed)

    def _render_config(self, base: Path) -> str:
        mail_dir = base / "mail"
        mail_dir.mkdir()
        if os.geteuid() == 0:
            # Dovecot drops privileges for its internal processes and for mail access (uid 0 is refused).
            internal_user, internal_group, login_user = "dovecot", "dovecot", "dovenull"
            nobody = pwd.getpwnam("nobody")
            mail_uid, mail_gid = nobody.pw_uid, nobody.pw_gid
            os.chown(mail_dir, mail_uid, mail_gid)
            first_valid_uid = 100
            chroot = ""
            ipc = ""
        else:
            # An ordinary user cannot switch users or chroot: run everything as ourselves.
            mail_uid, mail_gid = os.getuid(), os.getgid()
            internal_user = login_user = pwd.getpwuid(mail_uid).pw_name
            internal_group = grp.getgrgid(mail_gid).gr_name
            first_valid_uid = max(1, min(100, mail_uid))
            chroot = "  chroot =\n"
            ipc = "service ipc {\n  chroot =\n}\n"
        return _DOVECOT_CONF.substitute(
            base=str(base),
            internal_user=internal_user,
            internal_group=internal_group,
            login_user=login_user,
            first_valid_uid=first_valid_uid,
            password=self.password,
            mail_uid=mail_uid,
            mail_gid=mail_gid,
            imap_port=self.imap_port,
            lmtp_port=self.lmtp_port,
            chroot=chroot,
            ipc=ipc,
            extra=f"imap_idle_notify_interval = {self.idle_notify_interval}\n" if self.idle_notify_interval else "",
        )

    def _wait_for_dovecot(self, started: float) -> None:
        """Readiness probe: poll until IMAP and LMTP greet us, Dovecot exits, or STARTUP_TIMEOUT passes."""
        assert self._proc is not None
        deadline = started + STARTUP_TIMEOUT
        pending = {"IMAP": (self.imap_port, b"* OK"), "LMTP": (self.lmtp_port, b"220")}
        while pending:
            if self._proc.poll() is not None:
                logs = self._dovecot_logs()
                error = PortConflictError if "Address already in use" in logs else RuntimeError
                raise error(f"dovecot exited with status {self._proc.returncode}:\n{logs}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(
                    f"dovecot did not greet on {', '.join(pending)} within {STARTUP_TIMEOUT:.0f} s:\n"
                    + self._dovecot_logs()
                )
            for name, (port, prefix) in list(pending.items()):
                if _read_greeting(LOOPBACK, port, prefix, timeout=min(1.0, remaining)):
                    del pending[name]
            if pending:
                time.sleep(0.01)  # readiness polling with a deadline, not synchronisation
        self.dovecot_startup_seconds = time.monotonic() - started

    def _dovecot_logs(self, limit: int = 4000) -> str:
        """The tail of Dovecot's log and console output, for error messages."""
        parts: list[str] = []
        for name in ("dovecot.console", "dovecot.log"):
            path = Path(self.root, name)
            with suppress(OSError):
                text = path.read_text(encoding="utf-8", errors="replace").strip()
                if text:
                    parts.append(f"--- {name} ---\n{text[-limit:]}")
        return "\n".join(parts) or "(no output)"

    def _kill_dovecot(self) -> None:
        """SIGKILL Dovecot's whole process group (SIGTERM takes seconds) and reap the master."""
        proc, self._proc = self._proc, None
        atexit.unregister(self._kill_dovecot)
        if proc is None:
            return
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop the SMTP server, kill Dovecot, remove the temp dir. Safe to call more than once."""
        controller, self._controller = self._controller, None
        try:
            if controller is not None:
                controller.stop()
        finally:
            self._kill_dovecot()
            root, self.root = self.root, ""
            if root:
                shutil.rmtree(root, ignore_errors=True)

    def __enter__(self) -> MailStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- state ---

    @property
    def delivered(self) -> int:
        """Messages the SMTP server has delivered to all their recipients (thread-safe counter)."""
        return self._handler.delivered if self._handler is not None else 0

    @property
    def failed(self) -> int:
        """Messages the SMTP server answered with 451 because an LMTP delivery failed."""
        return self._handler.failed if self._handler is not None else 0

    @property
    def dovecot_log(self) -> str:
        """Dovecot's log so far (handy in assertion messages)."""
        return self._dovecot_logs(limit=100_000) if self.root else ""

    # --- SMTP ---

    def send(self, msg: EmailMessage, *, from_addr: str | None = None, to_addrs: Sequence[str] | None = None) -> None:
        """Send ``msg`` through the SMTP front end; returns once it is stored for every recipient.

        Envelope addresses default to the message's From/Sender and To/Cc/Bcc headers, as with
        ``smtplib.SMTP.send_message``. Raises an ``smtplib.SMTPException`` if delivery failed.
        """
        with smtplib.SMTP(LOOPBACK, self.smtp_port, local_hostname="localhost", timeout=CLIENT_TIMEOUT) as smtp:
            smtp.send_message(msg, from_addr=from_addr, to_addrs=to_addrs)

    # --- IMAP ---

    def imap(self, user: str) -> imapclient.IMAPClient:
        """A new IMAP connection logged in as ``user`` (any name works); the caller closes it (``with``)."""
        client = imapclient.IMAPClient(self.imap_host, port=self.imap_port, ssl=False, timeout=CLIENT_TIMEOUT)
        try:
            client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.login(user, self.password)
        except BaseException:
            with suppress(*IMAP_CONNECTION_ERRORS):
                client.shutdown()
            raise
        return client

    def create_folder(self, user: str, folder: str) -> None:
        """Create ``folder`` in ``user``'s mailbox if it does not exist yet (idempotent)."""
        with self.imap(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)

    def folder_uids(self, user: str, folder: str) -> list[int]:
        """The UIDs in ``folder``, ascending; [] if the folder does not exist."""
        with self.imap(user) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return sorted(int(uid) for uid in client.search("ALL"))

    def messages(self, user: str, folder: str = "INBOX") -> list[EmailMessage]:
        """Every message in ``folder``, in UID order, parsed with ``email.policy.default``.

        Uses BODY.PEEK[] so no \\Seen flags change. Returns [] if the folder does not exist.
        """
        with self.imap(user) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return _fetch_all(client)

    def wait_for_messages(
        self, user: str, count: int, folder: str = "INBOX", timeout: float = 30.0
    ) -> list[EmailMessage]:
        """Wait until ``folder`` holds at least ``count`` messages; return all of them, as ``messages()``.

        Waits with IMAP IDLE on the folder, re-reading the count after every notification and at least every
        ``IDLE_SLICE`` seconds. Dovecot sends IDLE's EXISTS about 0.5 s after a change, so expect that much
        latency. A folder that does not exist yet is polled for until it appears. Any IMAP read error
        reconnects and resyncs (imapclient's idle_check can fail spuriously, mjs/imapclient#519).

        Raises ``TimeoutError`` saying how many messages did arrive if the deadline passes first.
        """
        deadline = time.monotonic() + timeout
        seen: int | None = None  # None: the folder was never seen to exist
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            try:
                with self.imap(user) as client:
                    for seen in _watch_count(client, folder, deadline):
                        if seen >= count:
                            return _fetch_all(client)
            except IMAP_CONNECTION_ERRORS as exc:
                last_error = exc  # reconnect and resync, after a short back-off so a dead server is not hammered
                time.sleep(min(RECONNECT_BACKOFF, max(0.0, deadline - time.monotonic())))
        arrived = "the folder never appeared" if seen is None else f"only {seen} arrived"
        detail = f" (last IMAP error: {last_error!r})" if last_error is not None else ""
        raise TimeoutError(
            f"waited {timeout:.1f} s for {count} message(s) in {folder!r} of {user!r}: {arrived}{detail}"
        )

    # --- misc ---

    def __repr__(self) -> str:
        state = "running" if self._proc is not None else "stopped"
        return (
            f"<MailStack {state} imap={self.imap_port} smtp={self.smtp_port} lmtp={self.lmtp_port} root={self.root!r}>"
        )


def _watch_count(client: imapclient.IMAPClient, folder: str, deadline: float) -> Iterator[int]:
    """Yield the number of messages in ``folder`` now and after each change, until ``deadline``.

    On return (exhausted or closed by the caller) the folder is selected read-only and the connection is not
    in IDLE, so the caller can go on using ``client``.
    """
    while not client.folder_exists(folder):
        if time.monotonic() >= deadline:
            return
        time.sleep(FOLDER_POLL_INTERVAL)  # readiness polling with a deadline: IDLE needs an existing folder
    client.select_folder(folder, readonly=True)
    while True:
        client.noop()  # after IDLE, SEARCH alone may miss a message delivered a moment ago
        yield len(client.search("ALL"))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        client.idle()
        try:
            # Returns early on any untagged response (EXISTS, EXPUNGE, ...); we simply re-count afterwards.
            client.idle_check(timeout=min(IDLE_SLICE, remaining))
        finally:
            client.idle_done()


def _fetch_all(client: imapclient.IMAPClient) -> list[EmailMessage]:
    """Fetch and parse every message of the selected folder, in UID order."""
    uids = sorted(int(uid) for uid in client.search("ALL"))
    if not uids:
        return []
    response: dict[int, dict[bytes, Any]] = client.fetch(uids, ["BODY.PEEK[]"])
    return [_PARSER.parsebytes(response[uid][b"BODY[]"]) for uid in uids if uid in response]
