"""How long a ticket has waited, as staff read it in their language."""

import pytest

from bot.i18n import Renderer


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [
        (3.4, "3秒钟", "3 seconds"),
        (95, "1分钟", "1 minute"),
        (5400, "1小时30分钟", "1 hour 30 minutes"),
        (7200, "2小时", "2 hours"),
        (90000, "1天1小时", "1 day 1 hour"),
        # Messages queued by the previous version carry decimal minutes as text.
        ("2.5", "2分钟", "2 minutes"),
    ],
)
def test_duration_reads_in_the_staff_language(seconds: float | str, zh: str, en: str) -> None:
    template = Renderer().env.from_string("{{ duration(s) }}")
    assert template.render(locale="zh-CN", s=seconds) == zh
    assert template.render(locale="en", s=seconds) == en
