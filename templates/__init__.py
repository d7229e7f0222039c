"""Jinja2 templates of every email vanthu sends, in Vietnamese, with an HTML and a plain-text part.

Each mail ``name`` has ``mail/<name>.txt.j2`` (blocks ``subject`` and ``body``) and
``mail/<name>.html.j2`` (extends ``mail/base.html.j2``). Dates are shown ``dd/mm/yyyy`` and times
in the configured zone.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


class MailTemplates:
    """Renders mail templates for one time zone."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._text = self._env(autoescape=False)
        self._html = self._env(autoescape=True)

    def _env(self, *, autoescape: bool) -> Environment:
        env = Environment(
            loader=PackageLoader("vanthu.templates", "mail"),
            autoescape=select_autoescape(enabled_extensions=("html.j2",)) if autoescape else False,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        env.filters["date"] = self.format_date
        env.filters["datetime"] = self.format_datetime
        return env

    def format_date(self, value: dt.date | dt.datetime | None) -> str:
        """``21/11/2026``; a datetime is first moved to the configured zone."""
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            value = value.astimezone(self.tz).date()
        return value.strftime("%d/%m/%Y")

    def format_datetime(self, value: dt.datetime | None) -> str:
        """``14:30 21/11/2026`` in the configured zone."""
        if value is None:
            return ""
        return value.astimezone(self.tz).strftime("%H:%M %d/%m/%Y")

    def render(self, name: str, **context: Any) -> RenderedMail:
        """Render mail ``name``; raises jinja2 errors on a missing template or variable."""
        text_tmpl = self._text.get_template(f"{name}.txt.j2")
        ctx = text_tmpl.new_context(context)
        subject = "".join(text_tmpl.blocks["subject"](ctx)).strip()
        body = "".join(text_tmpl.blocks["body"](text_tmpl.new_context(context))).strip() + "\n"
        html = self._html.get_template(f"{name}.html.j2").render(**context)
        return RenderedMail(_nfc(" ".join(subject.split())), _nfc(body), _nfc(html))
