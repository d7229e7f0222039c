"""Routing of incoming documents: ordered rules that name the assignee, the copies and the legal deadline.

Rules are tried in order; every matching rule contributes to the decision:

* the **assignee** is set by the first matching rule that names one (a unit, a person, or both — then the
  person handles it for the unit); later rules cannot change it;
* **copies** accumulate in rule order, without duplicates and without the assignee itself;
* the **deadline** is the first one set, unless a later matching rule's deadline is *shorter*: when two legal
  time limits apply to one document, the shortest must be met, so the shortest wins (ties keep the earlier
  rule). With the receipt time, calendar and time zone given to :func:`route`, "shorter" means an earlier
  ``due_at``; without them the rules' nominal lengths are compared (:attr:`DeadlineRule.nominal_hours`);
* **flags** (``action.flag``: a sentence for the leader, in Vietnamese) accumulate in rule order without
  duplicates; a rule uses one when its deadline rests on an assumption the leader must check (e.g. a file
  that does not say the category of the crime gets the shorter Điều 240 limit);
* matching stops after the first matching rule whose action has ``stop = true`` (the default, so by
  default the first matching rule decides everything).

Text conditions are compared folded (lower case, without diacritics, ``Đ`` → ``d``) and by whole words:
punctuation counts as a space, so ``"lenh bat khan cap"`` is found in ``V/v phê chuẩn lệnh bắt (khẩn cấp)``
only as consecutive words, and ``bat`` is not found in ``batch``. Every condition given must hold; a rule
with an empty match matches every document.

Rules come from TOML (:func:`parse_rules`, :func:`load_rule_pack`); the default pack for documents from
investigation bodies is ``models/data/default_rules.toml`` (:data:`DEFAULT_RULE_PACK`).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from vanthu.models.calendar import WorkCalendar
from vanthu.models.deadlines import CRIME_CATEGORY_NAMES, UNITS, DeadlineRule, due
from vanthu.models.doctypes import DEFAULT_TYPES, DocTypeCatalog
from vanthu.models.text import fold

DEFAULT_RULE_PACK = Path(__file__).parent / "data" / "default_rules.toml"
DEFAULT_UNIT_PLACEHOLDER = "{default_unit}"
URGENCIES = ("Khẩn", "Thượng khẩn", "Hỏa tốc")

_NON_WORD = re.compile(r"[^a-z0-9]+")
_UNIT_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")  # as worker.config.UnitConfig.code
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


# --- the rule model ---


@dataclass(frozen=True)
class IncomingFacts:
    """What routing knows about one incoming document (empty strings for what is unknown)."""

    sender: str = ""
    sender_domain: str = ""  # derived from ``sender`` when empty
    issuer: str = ""
    doc_type: str = ""  # code or name: "QĐ", "Quyết định", "Công văn"
    summary: str = ""
    urgency: str = ""  # "" | "Khẩn" | "Thượng khẩn" | "Hỏa tốc"
    case_ref: str = ""
    # The category of the crime (Điều 9 Bộ luật Hình sự) when the particulars give it: a key of
    # deadlines.CRIME_CATEGORY_NAMES. Empty: read from the summary by crime_category_of().
    crime_category: str = ""


# Folded phrases naming a category of crime (Điều 9 BLHS 2015), most specific first. "nghiem trong" alone is
# not enough: it is part of the other three; "toi nghiem trong" and "toi pham nghiem trong" are not.
_CATEGORY_PHRASES: tuple[tuple[str, str], ...] = (
    ("dac biet nghiem trong", "dac_biet_nghiem_trong"),
    ("rat nghiem trong", "rat_nghiem_trong"),
    ("it nghiem trong", "it_nghiem_trong"),
    ("toi nghiem trong", "nghiem_trong"),
    ("toi pham nghiem trong", "nghiem_trong"),
)


def crime_category_of(text: str) -> str:
    """The category of crime ``text`` names (a key of ``CRIME_CATEGORY_NAMES``), or "" when it names none or
    more than one (a file with several crimes of different categories is for the leader to judge)."""
    words = _words(text)
    found: set[str] = set()
    rest = words
    for phrase, key in _CATEGORY_PHRASES:
        needle = _words(phrase)
        if needle in rest:
            found.add(key)
            rest = rest.replace(needle, " ")
    return found.pop() if len(found) == 1 else ""


def _category_key(value: str) -> str | None:
    """A category key from a key or a name written with or without diacritics ("" stays "": not stated)."""
    folded = _words(value).strip().replace(" ", "_")
    if not folded:
        return ""
    return folded if folded in CRIME_CATEGORY_NAMES else None


def _tuple_of_str(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class Match:
    """The conditions of a rule; all given conditions must hold.

    * ``sender``: exact address, case-insensitive;
    * ``sender_domain``: the domain or any subdomain (``congan.quangninh.gov.vn`` matches mail from
      ``pc01.congan.quangninh.gov.vn`` but not from ``xcongan.quangninh.gov.vn``);
    * ``issuer_contains``: any of these phrases occurs in the issuing body's name;
    * ``doc_types``: the document type is one of these, by code or name (a code or name that the catalog
      knows as exactly one type matches that type's code, key and name too: ``QĐ`` matches ``Quyết định``);
    * ``summary_words``: all of these phrases occur in the summary; ``summary_any``: at least one does;
      ``summary_none``: none does;
    * ``urgency``: the urgency is one of these (``""`` stands for "not urgent");
    * ``case_pattern``: a regular expression found (``re.search``) in the case reference;
    * ``crime_category``: the category of the crime is one of these (keys or Vietnamese names of
      ``CRIME_CATEGORY_NAMES``; ``""`` stands for "not stated or not clear"), as given in the facts or else
      read from the summary by :func:`crime_category_of`.

    Sequences given as lists or a single string are stored as tuples.
    """

    sender: str | None = None
    sender_domain: str | None = None
    issuer_contains: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    summary_words: tuple[str, ...] = ()
    summary_any: tuple[str, ...] = ()
    summary_none: tuple[str, ...] = ()
    urgency: tuple[str, ...] = ()
    case_pattern: str | None = None
    crime_category: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("issuer_contains", "doc_types", "summary_words", "summary_any", "summary_none", "urgency"):
            object.__setattr__(self, name, _tuple_of_str(getattr(self, name)))
        keys = []
        for value in _tuple_of_str(self.crime_category):
            key = _category_key(value)
            if key is None:
                raise ValueError(f"{value!r} is not a category of crime ({', '.join(CRIME_CATEGORY_NAMES.values())})")
            keys.append(key)
        object.__setattr__(self, "crime_category", tuple(keys))
        if self.case_pattern is not None:
            _regex(self.case_pattern)  # raises re.error now rather than while routing


@dataclass(frozen=True)
class Action:
    """What a matching rule does. ``copy_to`` holds unit codes or email addresses; ``flag`` is a sentence
    (Vietnamese) the leader deciding the document must read."""

    assign_unit: str | None = None
    assign_person: str | None = None
    copy_to: tuple[str, ...] = ()
    deadline: DeadlineRule | None = None
    flag: str | None = None
    stop: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "copy_to", _tuple_of_str(self.copy_to))


@dataclass(frozen=True)
class Rule:
    """A named routing rule; the name goes into the audit log of every decision it takes part in."""

    name: str
    match: Match
    action: Action


@dataclass(frozen=True)
class RoutingDecision:
    """The outcome of :func:`route`.

    ``matched`` names every rule that matched, in order (for the audit); ``assign_unit`` and
    ``assign_person`` come from the first matching rule naming an assignee; ``deadline_from`` names the rule
    whose deadline won; ``flags`` are the matching rules' flags, in order. ``default_used`` is True when no
    matching rule named an assignee — in particular when nothing matched: the caller then has the unit's
    leader assign the document.
    """

    matched: tuple[str, ...] = ()
    assign_unit: str | None = None
    assign_person: str | None = None
    copies: tuple[str, ...] = ()
    deadline: DeadlineRule | None = None
    deadline_from: str | None = None
    default_used: bool = True
    flags: tuple[str, ...] = ()

    @property
    def assignee(self) -> str | None:
        """The person's address when one is named, else the unit code, else None."""
        return self.assign_person or self.assign_unit


# --- matching ---


@lru_cache(maxsize=8192)
def _words(text: str) -> str:
    """Folded text as space-separated words with a space at each end, for whole-word containment."""
    inner = _NON_WORD.sub(" ", fold(text)).strip()
    return f" {inner} " if inner else ""


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_CATALOG = DocTypeCatalog(DEFAULT_TYPES)


@lru_cache(maxsize=1024)
def _doc_type_forms(entry: str) -> frozenset[str]:
    """The folded forms a rule's doc_types entry matches: itself, and the key, code and name of the one
    catalog type it names (none when it names several, like ``CT``)."""
    forms = {_words(entry)}
    found = _CATALOG.lookup(entry)
    if len(found) == 1:
        t = found[0]
        forms |= {_words(x) for x in (t.key, t.code, t.name) if x}
    forms.discard("")
    return frozenset(forms)


@dataclass(frozen=True)
class _Folded:
    sender: str
    domain: str
    issuer: str
    doc_type: str
    summary: str
    urgency: str
    case_ref: str
    category: str

    @classmethod
    def of(cls, facts: IncomingFacts) -> _Folded:
        sender = facts.sender.strip().lower()
        domain = facts.sender_domain.strip().lower().rstrip(".")
        if not domain and "@" in sender:
            domain = sender.rsplit("@", 1)[1]
        return cls(
            sender=sender,
            domain=domain,
            issuer=_words(facts.issuer),
            doc_type=_words(facts.doc_type),
            summary=_words(facts.summary),
            urgency=_words(facts.urgency),
            case_ref=facts.case_ref.strip(),
            category=_category_key(facts.crime_category) or crime_category_of(facts.summary),
        )


def _contains(haystack: str, phrase: str) -> bool:
    needle = _words(phrase)
    return bool(needle) and needle in haystack


def matches(match: Match, facts: IncomingFacts) -> bool:
    """True when every condition of ``match`` holds for ``facts`` (see :class:`Match`)."""
    return _matches(match, _Folded.of(facts))


def _matches(m: Match, f: _Folded) -> bool:
    if m.sender is not None and f.sender != m.sender.strip().lower():
        return False
    if m.sender_domain is not None:
        want = m.sender_domain.strip().lower().lstrip("@.").rstrip(".")
        if not (f.domain == want or f.domain.endswith("." + want)):
            return False
    if m.issuer_contains and not any(_contains(f.issuer, p) for p in m.issuer_contains):
        return False
    if m.doc_types and not any(f.doc_type in _doc_type_forms(t) for t in m.doc_types):
        return False
    if m.summary_words and not all(_contains(f.summary, p) for p in m.summary_words):
        return False
    if m.summary_any and not any(_contains(f.summary, p) for p in m.summary_any):
        return False
    if m.summary_none and any(_contains(f.summary, p) for p in m.summary_none):
        return False
    if m.urgency and f.urgency not in {_words(u) for u in m.urgency}:
        return False
    if m.crime_category and f.category not in m.crime_category:
        return False
    return m.case_pattern is None or _regex(m.case_pattern).search(f.case_ref) is not None


# --- routing ---


def route(
    rules: Sequence[Rule],
    facts: IncomingFacts,
    *,
    received_at: dt.datetime | None = None,
    calendar: WorkCalendar | None = None,
    tz: ZoneInfo | None = None,
) -> RoutingDecision:
    """Apply ``rules`` in order to ``facts`` (see the module's description of how rules combine).

    ``received_at``, ``calendar`` and ``tz`` are given together or not at all (ValueError otherwise); with
    them, competing deadlines are compared by their actual due time. Guarantees: ``matched`` lists exactly
    the rules that matched before the first stopping one (inclusive); the winning deadline is never longer
    than another matched rule's deadline by the comparison used; the decision does not depend on the clock.
    """
    given = [x is not None for x in (received_at, calendar, tz)]
    if any(given) and not all(given):
        raise ValueError("route needs received_at, calendar and tz together, or none of them")

    def shorter(new: DeadlineRule, old: DeadlineRule) -> bool:
        if received_at is not None and calendar is not None and tz is not None:
            return due(new, received_at, calendar, tz).due_at < due(old, received_at, calendar, tz).due_at
        return new.nominal_hours < old.nominal_hours

    folded = _Folded.of(facts)
    matched: list[str] = []
    unit: str | None = None
    person: str | None = None
    assigned = False
    copies: list[str] = []
    flags: list[str] = []
    deadline: DeadlineRule | None = None
    deadline_from: str | None = None
    for rule in rules:
        if not _matches(rule.match, folded):
            continue
        matched.append(rule.name)
        action = rule.action
        if not assigned and (action.assign_unit or action.assign_person):
            unit, person, assigned = action.assign_unit or None, action.assign_person or None, True
        for c in action.copy_to:
            if c and c.lower() not in {x.lower() for x in copies}:
                copies.append(c)
        if action.flag and action.flag not in flags:
            flags.append(action.flag)
        if action.deadline is not None and (deadline is None or shorter(action.deadline, deadline)):
            deadline, deadline_from = action.deadline, rule.name
        if action.stop:
            break
    taken = {x.lower() for x in (unit, person) if x}
    return RoutingDecision(
        matched=tuple(matched),
        assign_unit=unit,
        assign_person=person,
        copies=tuple(c for c in copies if c.lower() not in taken),
        deadline=deadline,
        deadline_from=deadline_from,
        default_used=not assigned,
        flags=tuple(flags),
    )


# --- reading rules from TOML ---


class RuleError(ValueError):
    """A rule that cannot be read: ``index`` of the rule (None for the pack itself), the ``key`` inside it
    (``action.deadline.unit``) and the ``message``. ``str()`` gives ``rules[3].action.deadline.unit: …``."""

    def __init__(self, index: int | None, key: str, message: str) -> None:
        self.index = index
        self.key = key
        self.message = message
        super().__init__(f"{self.path}: {message}" if self.path else message)

    @property
    def path(self) -> str:
        """Where the problem is: ``rules[3].action.deadline.unit``, ``rules[3]``, or a top-level key."""
        if self.index is None:
            return self.key
        return f"rules[{self.index}]" + (f".{self.key}" if self.key else "")


_MATCH_KEYS = {f.name for f in fields(Match)}
_ACTION_KEYS = {f.name for f in fields(Action)}
_DEADLINE_KEYS = {"amount", "unit", "legal_basis", "label", "roll_to_working_day", "roll_basis", "extension_days"}
_URGENCY_FORMS = {_words(u) for u in URGENCIES} | {""}


@dataclass
class _Reader:
    index: int
    default_unit: str | None
    units: Collection[str] | None

    def fail(self, key: str, message: str) -> RuleError:
        return RuleError(self.index, key, message)

    def table(self, value: object, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, "must be a table")
        for k in value:
            if k not in allowed:
                where = f"{key}.{k}" if key else str(k)
                raise self.fail(where, f"unknown key; expected one of {', '.join(sorted(allowed))}")
        return dict(value)

    def text(self, value: object, key: str, *, empty: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(key, "must be a string")
        if not empty and not value.strip():
            raise self.fail(key, "must not be empty")
        return value.strip()

    def texts(self, value: object, key: str) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.fail(key, "must be a string or a non-empty list of strings")
        out: list[str] = []
        for i, item in enumerate(items):
            out.append(self.text(item, f"{key}[{i}]"))
        return tuple(out)

    def phrases(self, value: object, key: str) -> tuple[str, ...]:
        out = self.texts(value, key)
        for i, p in enumerate(out):
            if not _words(p):
                raise self.fail(f"{key}[{i}]", f"{p!r} has no letters or digits to match")
        return out

    def unit(self, value: object, key: str) -> str:
        code = self.text(value, key)
        if code == DEFAULT_UNIT_PLACEHOLDER:
            if not self.default_unit:
                raise self.fail(key, f"{DEFAULT_UNIT_PLACEHOLDER} needs a default unit (default_unit = ...)")
            code = self.default_unit
        if not _UNIT_CODE.match(code):
            raise self.fail(key, f"{code!r} is not a unit code (letters, digits, _ . -)")
        if self.units is not None and code not in self.units:
            raise self.fail(key, f"no unit with code {code!r}")
        return code

    def email(self, value: object, key: str) -> str:
        address = self.text(value, key)
        if not _EMAIL.match(address):
            raise self.fail(key, f"{address!r} is not an email address")
        return address.lower()

    def match(self, value: object) -> Match:
        m = self.table(value, "match", _MATCH_KEYS)
        kw: dict[str, Any] = {}
        if "sender" in m:
            kw["sender"] = self.email(m["sender"], "match.sender")
        if "sender_domain" in m:
            dom = self.text(m["sender_domain"], "match.sender_domain").lower().lstrip("@.").rstrip(".")
            if not _DOMAIN.match(dom):
                raise self.fail("match.sender_domain", f"{dom!r} is not a domain name")
            kw["sender_domain"] = dom
        for key in ("issuer_contains", "doc_types", "summary_words", "summary_any", "summary_none"):
            if key in m:
                kw[key] = self.phrases(m[key], f"match.{key}")
        if "urgency" in m:
            raw = [m["urgency"]] if isinstance(m["urgency"], str) else m["urgency"]
            if not isinstance(raw, list) or not raw:
                raise self.fail("match.urgency", "must be a string or a non-empty list of strings")
            levels = tuple(self.text(v, f"match.urgency[{i}]", empty=True) for i, v in enumerate(raw))
            for i, level in enumerate(levels):
                if _words(level) not in _URGENCY_FORMS:
                    raise self.fail(f"match.urgency[{i}]", f"{level!r} is not one of {', '.join(URGENCIES)}")
            kw["urgency"] = levels
        if "case_pattern" in m:
            pattern = self.text(m["case_pattern"], "match.case_pattern")
            try:
                _regex(pattern)
            except re.error as exc:
                raise self.fail("match.case_pattern", f"invalid regular expression: {exc}") from exc
            kw["case_pattern"] = pattern
        if "crime_category" in m:
            raw = [m["crime_category"]] if isinstance(m["crime_category"], str) else m["crime_category"]
            if not isinstance(raw, list) or not raw:
                raise self.fail("match.crime_category", "must be a string or a non-empty list of strings")
            cats = tuple(self.text(v, f"match.crime_category[{i}]", empty=True) for i, v in enumerate(raw))
            for i, cat in enumerate(cats):
                if _category_key(cat) is None:
                    names = ", ".join(CRIME_CATEGORY_NAMES.values())
                    raise self.fail(f"match.crime_category[{i}]", f'{cat!r} is not one of {names} or ""')
            kw["crime_category"] = cats
        return Match(**kw)

    def deadline(self, value: object, rule_name: str) -> DeadlineRule:
        key = "action.deadline"
        d = self.table(value, key, _DEADLINE_KEYS)
        for required in ("amount", "unit", "legal_basis"):
            if required not in d:
                raise self.fail(f"{key}.{required}", "is required")
        amount = d["amount"]
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise self.fail(f"{key}.amount", "must be a whole number above zero")
        unit = d["unit"]
        if unit not in UNITS:
            raise self.fail(f"{key}.unit", f"{unit!r} is not one of {', '.join(UNITS)}")
        legal_basis = self.text(d["legal_basis"], f"{key}.legal_basis")
        label = self.text(d["label"], f"{key}.label") if "label" in d else rule_name
        roll = d.get("roll_to_working_day", False)
        if not isinstance(roll, bool):
            raise self.fail(f"{key}.roll_to_working_day", "must be true or false")
        roll_basis = self.text(d["roll_basis"], f"{key}.roll_basis") if "roll_basis" in d else ""
        if roll and unit != "days":
            raise self.fail(f"{key}.roll_to_working_day", 'applies to unit = "days" only')
        if roll and not roll_basis:
            raise self.fail(
                f"{key}.roll_basis",
                "is required with roll_to_working_day = true: moving a day limit past a day off goes beyond "
                "Điều 134 BLTTHS and needs its own legal basis",
            )
        extension = d.get("extension_days", 0)
        if isinstance(extension, bool) or not isinstance(extension, int) or extension < 0:
            raise self.fail(f"{key}.extension_days", "must be a whole number of days, zero or more")
        return DeadlineRule(
            amount=amount,
            unit=unit,
            legal_basis=legal_basis,
            label=label,
            roll_to_working_day=roll,
            roll_basis=roll_basis,
            extension_days=extension,
        )

    def action(self, value: object, rule_name: str) -> Action:
        a = self.table(value, "action", _ACTION_KEYS)
        kw: dict[str, Any] = {}
        if "assign_unit" in a:
            kw["assign_unit"] = self.unit(a["assign_unit"], "action.assign_unit")
        if "assign_person" in a:
            kw["assign_person"] = self.email(a["assign_person"], "action.assign_person")
        if "copy_to" in a:
            targets = self.texts(a["copy_to"], "action.copy_to")
            kw["copy_to"] = tuple(
                self.email(t, f"action.copy_to[{i}]") if "@" in t else self.unit(t, f"action.copy_to[{i}]")
                for i, t in enumerate(targets)
            )
        if "deadline" in a:
            kw["deadline"] = self.deadline(a["deadline"], rule_name)
        if "flag" in a:
            kw["flag"] = self.text(a["flag"], "action.flag")
        if "stop" in a:
            if not isinstance(a["stop"], bool):
                raise self.fail("action.stop", "must be true or false")
            kw["stop"] = a["stop"]
        return Action(**kw)

    def rule(self, value: object) -> Rule:
        r = self.table(value, "", {"name", "match", "action"})
        for required in ("name", "match", "action"):
            if required not in r:
                hint = " (use match = {} to match every document)" if required == "match" else ""
                raise self.fail(required, f"is required{hint}")
        name = self.text(r["name"], "name")
        return Rule(name=name, match=self.match(r["match"]), action=self.action(r["action"], name))


def parse_rules(
    data: Sequence[Mapping[str, Any]],
    *,
    default_unit: str | None = None,
    units: Collection[str] | None = None,
) -> list[Rule]:
    """Rules from plain data as TOML gives it (``[[rules]]`` tables), in the same order.

    ``{default_unit}`` in ``assign_unit`` or ``copy_to`` is replaced by ``default_unit``; when ``units``
    is given, every unit code must be one of them. Unknown keys, wrong types, empty phrases, invalid
    regular expressions, bad deadlines and duplicate rule names raise :class:`RuleError` naming the rule's
    index and the key (the first problem found).
    """
    if not isinstance(data, Sequence) or isinstance(data, str | bytes):
        raise RuleError(None, "rules", "must be a list of tables ([[rules]])")
    rules: list[Rule] = []
    names: set[str] = set()
    for i, item in enumerate(data):
        rule = _Reader(i, default_unit, units).rule(item)
        if fold(rule.name) in names:
            raise RuleError(i, "name", f"another rule is already named {rule.name!r}")
        names.add(fold(rule.name))
        rules.append(rule)
    return rules


def load_rule_pack(
    path: str | Path = DEFAULT_RULE_PACK,
    *,
    default_unit: str | None = None,
    units: Collection[str] | None = None,
) -> list[Rule]:
    """The rules of a TOML rule pack: optional top-level ``name``, ``description`` and ``default_unit``, and
    ``[[rules]]``. ``default_unit`` given here wins over the pack's own; it fills ``{default_unit}``.
    Raises :class:`RuleError` for a file that is not valid TOML or a rule that is wrong; OSError if unreadable.
    """
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(None, "", f"{path}: not valid TOML: {exc}") from exc
    for key in doc:
        if key not in {"name", "description", "default_unit", "rules"}:
            raise RuleError(None, key, "unknown key; expected name, description, default_unit, rules")
    pack_unit = doc.get("default_unit")
    if pack_unit is not None and not isinstance(pack_unit, str):
        raise RuleError(None, "default_unit", "must be a string")
    return parse_rules(doc.get("rules", []), default_unit=default_unit or pack_unit, units=units)
