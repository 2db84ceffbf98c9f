"""Rendering every user-facing text from jinja2 templates, per locale."""

from __future__ import annotations

import html
import unicodedata
from datetime import timedelta
from functools import cache
from pathlib import Path

from babel.dates import format_timedelta, get_timezone, get_timezone_name
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from bot.settings import LOCALES, Locale

TEMPLATES_DIR = Path(__file__).parent / "templates"
Buttons = list[list[tuple[str, str]]]  # rows of (label key or label as shown, callback data)
LABELS_NAME = "labels"


def build_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    """The one jinja2 environment: HTML autoescape on, since messages go out as Telegram HTML."""
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # Templates ship with the code: no stat() of the file on every message rendered.
        auto_reload=False,
        cache_size=1000,
    )
    env.globals["term"] = term
    env.globals["duration"] = duration
    return env


def _without_icon(text: str) -> str:
    """'✅ Submit' -> 'Submit': a button named in a sentence, without its emoji."""
    head, sep, rest = text.partition(" ")
    icon = all(unicodedata.category(c)[0] in "SM" or c in "\ufe0f\u200d" for c in head)
    return rest if sep and head and icon else text


@pass_context
def term(
    ctx: Context, key: str, /, *, icon: bool = False, source: str = LABELS_NAME, **values: object
) -> Markup:
    """`{{ term("btn_fix") }}` in a template: the locale's label (labels.j2 is the one term
    list: fields, statuses, buttons, commands; support/labels.j2 holds support's own), without
    its icon unless icon=True, so a sentence names a button exactly as the button reads."""
    template = ctx.environment.get_template(f"{ctx['locale']}/{source}.j2")
    block = template.blocks.get(key)
    if block is None:
        raise KeyError(f"block {key!r} missing in {ctx['locale']}/{source}.j2")
    inner = template.new_context(dict(values, locale=ctx["locale"]))
    text = "".join(block(inner)).strip()
    return Markup(text if icon else _without_icon(text))


@pass_context
def duration(ctx: Context, seconds: float | str, /) -> str:
    """`{{ duration(5400) }}`: a wait as people say it, in the locale: 1小时30分钟, 1 hour 30
    minutes; under a minute in seconds, over a day in days and hours. A string is minutes
    (what messages queued by the version before this one carry)."""
    total = max(0, round(float(seconds) * 60 if isinstance(seconds, str) else seconds))
    if total < 60:
        parts = [(total, "second")]
    elif total < 3600:
        parts = [(total // 60, "minute")]
    elif total < 86400:
        parts = list(zip(divmod(total // 60, 60), ("hour", "minute"), strict=True))
    else:
        parts = list(zip(divmod(total // 3600, 24), ("day", "hour"), strict=True))
    locale = ctx["locale"].replace("-", "_")
    words = [
        format_timedelta(timedelta(seconds=n * _UNIT[unit]), threshold=1, locale=locale)
        for n, unit in parts
        if n or unit == "second"
    ]
    return ("" if locale.startswith("zh") else " ").join(words)


_UNIT = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class Renderer:
    """Renders message templates (`<locale>/<name>.j2`) and short labels (`labels.j2` blocks)."""

    def __init__(self, env: Environment | None = None) -> None:
        self.env = env or build_environment()
        # Blocks rendered without values (most button labels): the same text every time,
        # and a question's keyboard asks for a dozen of them.
        self._fixed: dict[tuple[Locale, str, str], str] = {}

    def render(self, locale: Locale, name: str, /, **context: object) -> str:
        """The message `name` in `locale`, HTML-escaped, surrounding whitespace stripped."""
        template = self.env.get_template(f"{locale}/{name}.j2")
        return template.render(locale=locale, **context).strip()

    def block(self, locale: Locale, name: str, key: str, /, **context: object) -> str:
        """One named block of template `name` (a file holding many short texts), rendered."""
        if not context:
            fixed = self._fixed.get((locale, name, key))
            if fixed is None:
                fixed = self._fixed[(locale, name, key)] = self._block(locale, name, key)
            return fixed
        return self._block(locale, name, key, **context)

    def _block(self, locale: Locale, name: str, key: str, /, **context: object) -> str:
        template = self.env.get_template(f"{locale}/{name}.j2")
        block = template.blocks.get(key)
        if block is None:
            raise KeyError(f"block {key!r} missing in {locale}/{name}.j2")
        ctx = template.new_context(dict(context, locale=locale))
        return "".join(block(ctx)).strip()

    def label(self, locale: Locale, key: str, /, **context: object) -> str:
        """A short text (button label, menu entry) from the locale's labels.j2."""
        return self.block(locale, LABELS_NAME, key, **context)

    def plain_label(self, locale: Locale, key: str, /, **context: object) -> str:
        """A label for a place that is not HTML (button text, command descriptions)."""
        return html.unescape(self.label(locale, key, **context))

    def view(
        self, locale: Locale, name: str, buttons: Buttons, /, **context: object
    ) -> tuple[str, Buttons]:
        """A message and its buttons in one pass: template `name` rendered with `context`, and
        `buttons` (rows of (label key in labels.j2, callback data)) with their labels as shown."""
        text = self.render(locale, name, **context)
        return text, [[(self.plain_label(locale, key), cb) for key, cb in row] for row in buttons]


@cache
def template_names(templates_dir: Path = TEMPLATES_DIR) -> dict[Locale, set[str]]:
    """Every template file per locale, relative to the locale folder (for the parity test)."""
    return {
        locale: {
            str(p.relative_to(templates_dir / locale))
            for p in (templates_dir / locale).rglob("*.j2")
        }
        for locale in LOCALES
    }


# China has one civil time, which merchants call 北京时间 whatever IANA names the zone.
_BEIJING_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"})


def zone_label(zone: str, locale: Locale) -> str:
    """A time zone as a merchant says it: "北京时间" / "Beijing time", else Babel's name."""
    if zone in _BEIJING_ZONES:
        return "北京时间" if locale == "zh-CN" else "Beijing time"
    try:
        return get_timezone_name(get_timezone(zone), locale=locale.replace("-", "_"))
    except LookupError:
        return zone
