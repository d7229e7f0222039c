"""The configuration file (TOML), validated by pydantic.

One file describes a deployment: the service (time zone, data directory, database), the SMTP
server, the units and their registers, the watched mailboxes, and where the directory of people
(a CSV file) is. ``VANTHU_DATABASE_URL`` overrides the database URL. :func:`load` raises
:class:`ConfigError` listing every problem with the key that is wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vanthu.models.text import nfc

ROLES = ("officer", "clerk", "leader", "admin")


class ConfigError(Exception):
    """The configuration is invalid; ``errors`` holds one ``(key, message)`` pair per problem."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("\n".join(f"{k}: {m}" for k, m in errors))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceConfig(_Strict):
    timezone: str = "Asia/Ho_Chi_Minh"
    data_dir: str = "var"
    database_url: str = "sqlite:///var/vanthu.db"
    people_csv: str = "people.csv"
    mail_domain: str = Field(description="domain used in the Message-IDs vanthu writes")
    reply_cap_per_hour: int = Field(default=30, ge=1)
    max_attempts: int = Field(default=5, ge=1)
    retry_base_seconds: float = Field(default=30.0, gt=0)
    idle_renew_seconds: int = Field(default=25 * 60, ge=5, le=29 * 60)
    outbox_lease_seconds: float = Field(default=120.0, gt=0)
    titles_csv: str = ""  # empty: the starter catalog shipped with vanthu
    authserv_id: str = ""  # when set, directory senders must pass DKIM or SPF at this server
    # Rehearsals and tests only: the worker's clock starts at this instant (ISO 8601 with an offset, e.g.
    # "2026-12-07T08:00:00+07:00") and runs at real speed. Empty (the default): the real clock.
    clock_start: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("clock_start")
    @classmethod
    def _aware_instant(cls, v: str) -> str:
        if v:
            try:
                at = dt.datetime.fromisoformat(v)
            except ValueError as exc:
                raise ValueError(f"clock_start {v!r} is not an ISO 8601 date and time") from exc
            if at.tzinfo is None:
                raise ValueError("clock_start needs a UTC offset, e.g. 2026-12-07T08:00:00+07:00")
        return v


TlsMode = Literal["none", "starttls", "tls"]


class SmtpConfig(_Strict):
    transport: Literal["smtp", "local"] = "smtp"
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    tls: TlsMode = "none"
    user: str = ""
    password_env: str = ""
    timeout: float = Field(default=30.0, gt=0)


class UnitConfig(_Strict):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
    name: str
    symbol: str
    level: Literal["province", "department", "regional"]
    parent: str = ""


class RegisterConfig(_Strict):
    unit: str
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
    name: str
    direction: Literal["in", "out"]
    category: Literal["administrative", "procedural", "incoming"] = "administrative"
    doc_types: list[str] = Field(default_factory=lambda: ["*"])
    year_start: Annotated[str, Field(pattern=r"^\d{2}-\d{2}$")] = "01-01"
    pattern: str = "{number}/{type}-{symbol}"
    untyped_pattern: str = "{number}/{symbol}-{drafter}"
    secret: bool = False

    @field_validator("year_start")
    @classmethod
    def _month_day(cls, v: str) -> str:
        month, day = (int(x) for x in v.split("-"))
        if not (1 <= month <= 12 and 1 <= day <= 28):
            raise ValueError("year_start is MM-DD with a day from 01 to 28")
        return v

    @field_validator("pattern", "untyped_pattern")
    @classmethod
    def _placeholders(cls, v: str) -> str:
        names = set(re.findall(r"{(\w*)}", v))
        unknown = names - {"number", "type", "symbol", "drafter"}
        if unknown or "number" not in names:
            raise ValueError("pattern needs {number} and may use only {type}, {symbol}, {drafter}")
        return v

    @property
    def start_month_day(self) -> tuple[int, int]:
        month, day = (int(x) for x in self.year_start.split("-"))
        return month, day


class MailboxConfig(_Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    unit: str
    address: str
    kind: Literal["imap", "local"] = "imap"
    host: str = "127.0.0.1"
    port: int = Field(default=993, ge=1, le=65535)
    tls: TlsMode = "tls"
    user: str = ""
    password_env: str = ""
    path: str = ""  # for kind = "local": a folder under data_dir
    inbox: str = "INBOX"
    processed: str = "Processed"
    quarantine: str = "Quarantine"


IntakeAction = Literal["register", "return"]


class IntakeConfig(_Strict):
    """What happens to incoming documents whose signatures are not simply valid and trusted."""

    untrusted: IntakeAction = "register"
    unsigned: IntakeAction = "register"
    invalid: IntakeAction = "return"
    notify_sender_status: bool = True
    # Automatic senders (no-reply@, Auto-Submitted, List-Id, Precedence: list …) still have their documents
    # registered; true also sends them the receipt and status updates, which by default they do not get.
    receipts_to_machines: bool = False
    max_attachment_mb: float = Field(default=25.0, gt=0)
    max_message_mb: float = Field(default=40.0, gt=0)  # larger messages are not even downloaded
    organ_id: str = ""  # the unit's edXML agency code (QĐ 20/2020/QĐ-TTg), e.g. "000.00.00.G22"


class TrustConfig(_Strict):
    """Trust roots (government PKI and public PKI) and CRLs, as files; validation is offline."""

    roots: list[str] = []
    crls: list[str] = []
    allow_sha1: bool = False


class RoutingConfig(_Strict):
    """Routing rules and the working-day calendar."""

    rules_file: str = ""  # TOML with [[rules]]; rules from it come before the default pack
    default_pack: bool = True  # the shipped pack for documents from investigation bodies
    default_pack_unit: str = "P2"  # the unit the default pack assigns to
    extra_days_off: list[str] = []  # ISO dates, e.g. "2026-12-31"
    extra_working_days: list[str] = []  # Saturdays worked in exchange, ISO dates


_HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class ReportsConfig(_Strict):
    """When the scheduled reports go out (local times in the service's time zone)."""

    enabled: bool = True
    digest_time: Annotated[str, Field(pattern=_HHMM)] = "07:00"
    weekly_time: Annotated[str, Field(pattern=_HHMM)] = "07:30"
    work_start: Annotated[str, Field(pattern=_HHMM)] = "08:00"
    work_end: Annotated[str, Field(pattern=_HHMM)] = "17:00"
    reminder_minutes: int = Field(default=30, ge=1, le=60)
    escalation_minutes: int = Field(default=15, ge=1, le=60)
    catch_up: bool = True

    @field_validator("reminder_minutes", "escalation_minutes")
    @classmethod
    def _divides_an_hour(cls, v: int) -> int:
        if 60 % v:
            raise ValueError("must divide an hour (1, 2, 3, 5, 10, 15, 20, 30 or 60)")
        return v


class Person(_Strict):
    email: str
    full_name: str
    unit: str
    roles: tuple[str, ...]


class Config(_Strict):
    service: ServiceConfig
    smtp: SmtpConfig = SmtpConfig()
    units: list[UnitConfig]
    registers: list[RegisterConfig] = []
    mailboxes: list[MailboxConfig] = []
    intake: IntakeConfig = IntakeConfig()
    trust: TrustConfig = TrustConfig()
    routing: RoutingConfig = RoutingConfig()
    reports: ReportsConfig = ReportsConfig()

    # Filled in by load(), not read from TOML.
    base_dir: str = ""
    people: tuple[Person, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.service.timezone)

    @property
    def data_path(self) -> Path:
        return (Path(self.base_dir) / self.service.data_dir).resolve()

    def unit(self, code: str) -> UnitConfig:
        return next(u for u in self.units if u.code == code)

    def path(self, value: str) -> Path:
        """A path from the configuration, relative to the configuration file."""
        p = Path(value)
        return p if p.is_absolute() else Path(self.base_dir) / p


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _check_references(cfg: Config) -> list[tuple[str, str]]:
    """Every reference between sections that does not hold, as (location, message), in section order."""
    codes = [u.code for u in cfg.units]
    return [
        *_check_units(cfg, codes),
        *_check_registers(cfg, codes),
        *_check_mailboxes(cfg, codes),
        *_check_routing(cfg, codes),
        *_check_env("smtp.password_env", cfg.smtp.password_env),
    ]


def _check_units(cfg: Config, codes: list[str]) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    for i, u in enumerate(cfg.units):
        if codes.count(u.code) > 1:
            errors.append((f"units[{i}].code", f"unit code {u.code!r} is used more than once"))
        if u.parent and u.parent not in codes:
            errors.append((f"units[{i}].parent", f"no unit with code {u.parent!r}"))
        if u.level == "department" and not u.parent:
            errors.append((f"units[{i}].parent", "a department needs a parent unit"))
    return errors


def _check_registers(cfg: Config, codes: list[str]) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for i, r in enumerate(cfg.registers):
        if r.unit not in codes:
            errors.append((f"registers[{i}].unit", f"no unit with code {r.unit!r}"))
        if (r.unit, r.code) in seen:
            errors.append((f"registers[{i}].code", f"register {r.code!r} is defined twice for {r.unit}"))
        seen.add((r.unit, r.code))
    return errors


def _check_mailboxes(cfg: Config, codes: list[str]) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    names = [m.name for m in cfg.mailboxes]
    for i, m in enumerate(cfg.mailboxes):
        if m.unit not in codes:
            errors.append((f"mailboxes[{i}].unit", f"no unit with code {m.unit!r}"))
        if names.count(m.name) > 1:
            errors.append((f"mailboxes[{i}].name", f"mailbox name {m.name!r} is used more than once"))
        if m.kind == "imap" and not m.user:
            errors.append((f"mailboxes[{i}].user", "an IMAP mailbox needs a user"))
        if m.kind == "imap":
            errors.extend(_check_env(f"mailboxes[{i}].password_env", m.password_env))
    return errors


def _check_routing(cfg: Config, codes: list[str]) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    for key in ("extra_days_off", "extra_working_days"):
        for i, value in enumerate(getattr(cfg.routing, key)):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                errors.append((f"routing.{key}[{i}]", f"not an ISO date (YYYY-MM-DD): {value!r}"))
    if cfg.routing.default_pack and cfg.routing.default_pack_unit not in codes:
        errors.append(("routing.default_pack_unit", f"no unit with code {cfg.routing.default_pack_unit!r}"))
    return errors


def _check_env(where: str, variable: str) -> list[tuple[str, str]]:
    """A password named by environment variable ``variable`` (if any) must be set."""
    if variable and variable not in os.environ:
        return [(where, f"environment variable {variable} is not set")]
    return []


def _read_people(path: Path, unit_codes: set[str]) -> tuple[tuple[Person, ...], list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    people: list[Person] = []
    if not path.is_file():
        return (), [("service.people_csv", f"file not found: {path}")]
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = {"email", "full_name", "unit", "roles"} - set(reader.fieldnames or [])
        if missing:
            return (), [("service.people_csv", f"missing columns: {', '.join(sorted(missing))}")]
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            key = f"service.people_csv:{line}"
            email = (row["email"] or "").strip().lower()
            roles = tuple(r.strip().lower() for r in re.split(r"[;|,]", row["roles"] or "") if r.strip())
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                errors.append((key, f"invalid email {row['email']!r}"))
                continue
            if email in seen:
                errors.append((key, f"{email} is listed twice"))
                continue
            seen.add(email)
            if (row["unit"] or "").strip() not in unit_codes:
                errors.append((key, f"no unit with code {row['unit']!r}"))
                continue
            bad = [r for r in roles if r not in ROLES]
            if bad or not roles:
                errors.append((key, f"roles must be some of {', '.join(ROLES)} (got {row['roles']!r})"))
                continue
            people.append(
                Person(email=email, full_name=nfc(row["full_name"] or ""), unit=row["unit"].strip(), roles=roles)
            )
    return tuple(people), errors


def load(path: str | Path) -> Config:
    """Read, validate and complete the configuration at ``path``; raise ConfigError on any problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError([("(file)", f"not found: {path}")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([("(file)", f"not valid TOML: {exc}")]) from exc
    env_url = os.environ.get("VANTHU_DATABASE_URL")
    if env_url:
        raw.setdefault("service", {})["database_url"] = env_url
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([(_loc(e["loc"]), e["msg"]) for e in exc.errors()]) from exc
    base = path.resolve().parent
    errors = _check_references(cfg)
    for key in ("roots", "crls"):
        for i, value in enumerate(getattr(cfg.trust, key)):
            if not (Path(value) if Path(value).is_absolute() else base / value).is_file():
                errors.append((f"trust.{key}[{i}]", f"file not found: {value}"))
    if cfg.routing.rules_file and not (base / cfg.routing.rules_file).is_file():
        errors.append(("routing.rules_file", f"file not found: {cfg.routing.rules_file}"))
    people_path = Path(cfg.service.people_csv)
    if not people_path.is_absolute():
        people_path = base / people_path
    people, people_errors = _read_people(people_path, {u.code for u in cfg.units})
    errors += people_errors
    if errors:
        raise ConfigError(errors)
    url = cfg.service.database_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        # A relative SQLite path is relative to the config file, not to the current directory.
        url = "sqlite:///" + str((base / url.removeprefix("sqlite:///")).resolve())
    service = cfg.service.model_copy(update={"database_url": url})
    return cfg.model_copy(update={"base_dir": str(base), "people": people, "service": service})
