"""Building a test deployment: a configuration file, a migrated database and an App with a frozen clock."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import make_url

from tests.harness import dbtemplate
from vanthu.demo.pki import TestPki
from vanthu.models.clock import FixedClock
from vanthu.models.migrate import upgrade
from vanthu.worker.app import App, build_app
from vanthu.worker.config import Config, load
from vanthu.worker.directory_sync import sync

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: Set to an ISO instant with an offset (``2026-12-07T08:00:00+07:00``) to start the clock of every test
#: deployment that has no frozen clock of its own (worker processes included) at that moment; ``make
#: test-clock`` runs the suite so on a working-day morning and on a Sunday night.
TEST_CLOCK_ENV = "VANTHU_TEST_CLOCK"
OFFICE = "vanthu@vksquangninh.gov.vn"
OFFICER = "ksv.lan@vksquangninh.gov.vn"
OFFICER2 = "ksv.binh@vksquangninh.gov.vn"
CLERK = "vanthu.hoa@vksquangninh.gov.vn"
LEADER = "vientruong@vksquangninh.gov.vn"


def vn_time(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0
) -> dt.datetime:
    """An aware datetime in Vietnam time: ``vn_time(2026, 11, 21, 9, 0)``."""
    return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=VN)


@dataclass(frozen=True)
class MailboxSpec:
    kind: str = "local"  # local | imap
    host: str = "127.0.0.1"
    port: int = 0
    user: str = "vanthu"
    address: str = OFFICE


def write_config(
    directory: Path,
    db_url: str,
    *,
    mailbox: MailboxSpec | None = None,
    smtp_port: int = 0,
    extra_service: str = "",
    people_csv: Path | None = None,
    extra: str = "",
    clock_start: str = "",
) -> Path:
    """Write a deployment (the example units and registers) into ``directory``; return the TOML path.

    ``clock_start`` (default: ``$VANTHU_TEST_CLOCK``, else the real clock) shifts the deployment's clock.
    """
    clock_start = clock_start or os.environ.get(TEST_CLOCK_ENV, "")
    mailbox = mailbox or MailboxSpec()
    demo = (EXAMPLES / "demo.toml").read_text(encoding="utf-8")
    rest = demo.split("# --- Units", 1)[1]
    units_and_registers = rest.split("# --- Mailboxes", 1)[0]
    smtp = (
        f'[smtp]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {smtp_port}\ntls = "none"\n'
        if smtp_port
        else '[smtp]\ntransport = "local"\n'
    )
    if mailbox.kind == "imap":
        mb = (
            f'[[mailboxes]]\nname = "vksqn"\nunit = "VKSQN"\naddress = "{mailbox.address}"\nkind = "imap"\n'
            f'host = "{mailbox.host}"\nport = {mailbox.port}\ntls = "none"\nuser = "{mailbox.user}"\n'
            'password_env = "VANTHU_TEST_IMAP_PASSWORD"\n'
        )
    else:
        mb = f'[[mailboxes]]\nname = "vksqn"\nunit = "VKSQN"\naddress = "{mailbox.address}"\nkind = "local"\n'
    text = (
        "[service]\n"
        'timezone = "Asia/Ho_Chi_Minh"\n'
        'data_dir = "data"\n'
        f'database_url = "{db_url}"\n'
        'people_csv = "people.csv"\n'
        'mail_domain = "vksquangninh.gov.vn"\n'
        "reply_cap_per_hour = 1000\n"
        + (f'clock_start = "{clock_start}"\n' if clock_start else "")
        + f"{extra_service}\n"
        f"{smtp}\n# --- Units{units_and_registers}{mb}\n{extra}"
    )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "vanthu.toml"
    path.write_text(text, encoding="utf-8")
    shutil.copy(people_csv or EXAMPLES / "people.csv", directory / "people.csv")
    return path


def migrated(url: str) -> None:
    """Bring the database at ``url`` to the migrations' head, as ``vanthu db upgrade`` would, but fast.

    A SQLite file that does not exist yet becomes a copy of the migrated template; a database already at
    head is left alone; anything else is migrated for real.
    """
    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" and parsed.database != ":memory:" else None
    if file and not Path(file).exists():
        dbtemplate.clone_sqlite(Path(file))
        return
    if not dbtemplate.at_head(url):
        upgrade(url)


def prepared_app(config_path: Path, clock: FixedClock | None = None) -> App:
    """Migrate the database (see :func:`migrated`), sync the directory, and return an App (frozen clock when
    given)."""
    cfg: Config = load(config_path)
    migrated(cfg.service.database_url)
    app = build_app(cfg, clock=clock)
    with app.uow() as uow:
        sync(uow.session, cfg, now=app.clock.now())
        uow.commit()
    return app


def request(
    sender: str,
    subject: str,
    body: str = "",
    *,
    to: str = OFFICE,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """An email as an officer's mail program would send it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="test.invalid")
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body or "\n")
    return msg


def incoming(
    sender: str,
    subject: str,
    files: list[tuple[str, bytes]],
    *,
    body: str = "Kính gửi Viện kiểm sát, xin gửi văn bản đính kèm.",
    to: str = OFFICE,
    sender_name: str = "",
) -> EmailMessage:
    """An email from an outside body carrying document files (PDFs by name)."""
    msg = request(f"{sender_name} <{sender}>" if sender_name else sender, subject, body, to=to)
    for name, data in files:
        maintype, subtype = ("application", "pdf") if name.lower().endswith(".pdf") else ("application", "octet-stream")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def trust_section(root: Path, crl: Path | None = None, **intake: str) -> str:
    """TOML for ``[trust]`` (and ``[intake]`` policy keys) pointing at test PKI files."""
    text = f'[trust]\nroots = ["{root}"]\n'
    if crl is not None:
        text += f'crls = ["{crl}"]\n'
    if intake:
        text += "[intake]\n" + "".join(f'{k} = "{v}"\n' for k, v in intake.items())
    return text


def make_intake_app(db_url: str, tmp_path: Path, clock: FixedClock, pki: TestPki, **policy: str) -> App:
    """A deployment that trusts the test PKI (intake policy keys may be overridden)."""
    extra = trust_section(pki.root_pem, pki.crl_der, **policy)
    return prepared_app(write_config(tmp_path / "deploy", db_url, extra=extra), clock)
