"""Files sent with summaries: the /week bar chart (PNG) and the day's details (CSV)."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Sequence
from datetime import date, tzinfo

from babel.dates import format_date
from babel.numbers import format_decimal

from bot.i18n import Renderer
from bot.money import babel_locale, yuan_text
from bot.settings import Locale
from storage.transactions import Transaction

_POSITIVE = "#1677ff"
_NEGATIVE = "#d9363e"
LABELS = "summary/labels"

# Excel and LibreOffice run a cell that starts with one of these as a formula (OWASP, "CSV
# injection"); the full-width forms too, which East Asian Excel builds may read as ASCII.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def csv_cell(value: str) -> str:
    """A cell Excel shows as the text it is: one that would start a formula gets a leading
    single quote. A plain number is left alone: "-20.00" is a number in Excel, not a formula,
    and an amount column must stay numeric for sums."""
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def week_chart_png(days: Sequence[tuple[date, int]], locale: Locale) -> bytes:
    """A ~800x450 PNG bar chart of net settlement per day; all words belong in the caption."""
    # matplotlib costs ~30 MB: loaded on the first chart, not at start-up. Agg renders to
    # memory without a display.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    bl = babel_locale(locale)
    # A Figure without pyplot: no global figure registry to leak in a long-running bot.
    fig = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    yuan = [net / 100 for _, net in days]
    # Only digits and Latin letters: the server may have no CJK font.
    ticks = [format_date(d, "M/d", locale=bl) for d, _ in days]
    if locale == "en":
        ticks = [
            f"{t}\n{format_date(d, 'EEE', locale=bl)}"
            for t, (d, _) in zip(ticks, days, strict=True)
        ]
    bars = ax.bar(range(len(days)), yuan, color=[_POSITIVE if v >= 0 else _NEGATIVE for v in yuan])
    ax.set_xticks(range(len(days)), ticks)
    ax.bar_label(
        bars,
        labels=[f"¥{format_decimal(round(v), '#,##0', locale=bl)}" for v in yuan],
        padding=3,
        fontsize=9,
    )
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _pos: f"¥{format_decimal(v, '#,##0', locale=bl)}")
    )
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.margins(y=0.15)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def details_csv(
    rows: Sequence[Transaction],
    locale: Locale,
    *,
    tz: tzinfo,
    renderer: Renderer | None = None,
) -> bytes:
    """The day's transactions as CSV: UTF-8 with BOM (for Excel), local times, yuan."""
    renderer = renderer or Renderer()

    def label(key: str) -> str:
        return html.unescape(renderer.block(locale, LABELS, key))

    types = {t: label(f"type_{t}") for t in {r.type for r in rows}}
    channels = {c: label(f"channel_{c}") for c in {r.channel for r in rows}}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(map(csv_cell, next(csv.reader([label("csv_header")]))))
    for r in rows:
        # Terminal serials and transaction ids come from the acquirer's systems: any text.
        cells = [
            r.occurred_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            r.terminal_sn,
            types[r.type],
            channels[r.channel],
            yuan_text(r.amount),
            yuan_text(r.fee),
            r.external_id,
        ]
        writer.writerow(map(csv_cell, cells))
    # The BOM is what makes Excel on Windows read UTF-8 instead of GBK.
    return out.getvalue().encode("utf-8-sig")
