"""The sandbox chat page in a real browser: what a newcomer does in the first five minutes.

Every test starts the sandbox as `make run` does and uses the page only as a person would:
typing, tapping buttons and picking files. Replies arrive over SSE, never by reloading.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from bot.demo import FIRST_NUMBER
from tests.browser.chat import ChatPane
from tests.browser.conftest import Sandbox
from tests.e2e.application_steps import INDIVIDUAL_ZH
from tests.e2e.files import PHOTO_SIZE, png

CODE = re.compile(r"ALP-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{4}")
NUMBER = re.compile(r"AP\d{8}-\d{4}")
DEMO_SHOP = f"{FIRST_NUMBER:015d}"


def still_the_same_page(page: Page) -> bool:
    """The marker set when the page opened is still there: nothing reloaded it."""
    return page.evaluate("window.__notReloaded === true")


def agree_to_notice(merchant: ChatPane, after: int) -> int:
    """Tap "I agree" on the privacy notice the bot shows before the first question."""
    merchant.reply("敏感个人信息", after=after)
    return merchant.press("✅ 我同意")


def fill_application(merchant: ChatPane) -> None:
    """/apply, the privacy notice and every answer of the individual-business form."""
    mark = agree_to_notice(merchant, merchant.send("/apply"))
    merchant.reply("商户类型", after=mark)
    for answer in INDIVIDUAL_ZH:
        if answer.how == "press":
            mark = merchant.press(str(answer.value))
        elif answer.how == "text":
            mark = merchant.send(str(answer.value))
        else:
            mark = merchant.upload("photo.png", "image/png", bytes(answer.value))  # type: ignore[arg-type]
        merchant.any_reply(after=mark)


def loaded_width(page: Page, image: Locator) -> int:
    """The image's natural width once the browser has loaded it (visible comes first: the
    element is shown while its bytes are still arriving)."""
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    return image.evaluate("(img) => img.naturalWidth")


def test_start_and_a_main_menu_button_answer_in_the_merchant_chat(
    page: Page, merchant: ChatPane
) -> None:
    mark = merchant.send("/start")
    greeting = merchant.reply("您好，小王", after=mark)
    # Telegram HTML arrives as entities and is rendered as markup, not as tags.
    expect(greeting.locator("b").first).to_be_visible()
    expect(greeting).not_to_contain_text("<b>")

    mark = agree_to_notice(merchant, merchant.press("申请POS机"))
    merchant.reply("商户类型", after=mark)
    # The user's own message is on the page as a bubble of theirs.
    mine = merchant.root.locator('[data-testid="message"][data-from="user"]')
    expect(mine.filter(has_text="/start")).to_have_count(1)
    assert still_the_same_page(page)


def test_application_takes_the_licence_photo_from_the_file_picker(
    page: Page, merchant: ChatPane
) -> None:
    mark = agree_to_notice(merchant, merchant.send("/apply"))
    merchant.reply("商户类型", after=mark)
    mark = merchant.press("个体工商户")
    merchant.reply("商户名称", after=mark)
    mark = merchant.send("杭州西湖小王便利店")
    merchant.reply("统一社会信用代码", after=mark)
    mark = merchant.send("91350100M000100Y43")
    merchant.reply("营业执照", after=mark)

    mark = merchant.upload("licence.png", "image/png", png(7))
    sent = merchant.root.locator('[data-testid="message"][data-from="user"]').last
    photo = sent.get_by_test_id("message-photo")
    expect(photo).to_be_visible()
    # The thumbnail is the uploaded image, served back by the sandbox.
    assert loaded_width(page, photo) == PHOTO_SIZE
    merchant.reply("法定代表人姓名", after=mark)
    assert still_the_same_page(page)


def test_staff_approve_from_the_review_card_and_the_merchant_gets_code_and_voucher(
    page: Page, merchant: ChatPane, staff: ChatPane
) -> None:
    fill_application(merchant)
    mark = merchant.press("确认提交")
    submitted = merchant.reply("申请已提交", after=mark)
    number = NUMBER.search(submitted.inner_text())
    assert number, submitted.inner_text()

    # The review group is beside the merchant's chat; the card arrives there by itself.
    expect(staff.root.get_by_test_id("group-select")).to_have_value("-1001000000001")
    card = staff.reply(number.group(0), after=0, timeout_ms=20_000)
    expect(card.get_by_test_id("inline-button")).to_have_text(["🙋 领取", "✅ 通过", "❌ 退回"])

    mark = merchant.newest_id()
    staff_mark = staff.newest_id()
    card.get_by_test_id("inline-button").filter(has_text="通过").click()
    # Approve asks once more; the confirmation's button approves.
    confirm = staff.reply("确认通过申请", after=staff_mark)
    confirm.get_by_test_id("inline-button").filter(has_text="确认通过").click()
    merchant.reply("已通过审核", after=mark)
    voucher = merchant.reply("申请码", after=mark, photo=True)
    assert CODE.search(voucher.inner_text()), voucher.inner_text()
    qr = voucher.get_by_test_id("message-photo")
    expect(qr).to_be_visible()
    assert loaded_width(page, qr) > 100
    assert still_the_same_page(page)


def test_messages_sent_from_elsewhere_appear_without_reload(
    page: Page, sandbox: Sandbox, merchant: ChatPane
) -> None:
    # Another device of the same merchant (here: the control API) writes in the chat; it
    # needs the run's secret, which only the served page carries.
    secret = page.locator('meta[name="sandbox-secret"]').get_attribute("content")
    assert secret
    body = json.dumps({"user_id": 10001, "text": "/help"}).encode()
    request = urllib.request.Request(
        f"{sandbox.url}sandbox/api/send_text",
        data=body,
        headers={"Content-Type": "application/json", "X-Sandbox-Secret": secret},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response)["ok"]
    mine = merchant.root.locator('[data-testid="message"][data-from="user"]')
    expect(mine.filter(has_text="/help")).to_have_count(1)
    merchant.any_reply(after=1)
    assert still_the_same_page(page)


def test_demo_switch_loads_sales_so_today_and_past_summaries_have_numbers(
    page: Page, sandbox: Sandbox, merchant: ChatPane
) -> None:
    switch = page.get_by_test_id("demo-switch")
    toggle = page.get_by_test_id("demo-toggle")
    expect(switch).to_be_visible()
    expect(toggle).not_to_be_checked()

    switch.click()
    expect(toggle).to_be_checked()
    expect(merchant.root.get_by_test_id("toast")).to_contain_text("演示数据已载入")
    with sqlite3.connect(sandbox.database) as db:
        linked = db.execute(
            "SELECT name FROM merchants WHERE merchant_no = ? AND telegram_id = 10001",
            (DEMO_SHOP,),
        ).fetchone()
        assert linked, "the sandbox merchant is linked to the first demo shop"
        zone = ZoneInfo("Asia/Shanghai")
        today = datetime.now(zone).date()
        midnight = datetime.combine(today, datetime.min.time(), zone)
        since = midnight.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
        sales_today, rows_today = db.execute(
            "SELECT COALESCE(SUM(type = 'sale'), 0), COUNT(*) FROM transactions"
            " WHERE merchant_no = ? AND occurred_at >= ?",
            (DEMO_SHOP, since),
        ).fetchone()
    shop = linked[0]

    mark = merchant.send("/today")
    summary = merchant.reply(f"{shop} 日结算单", after=mark)
    if sales_today:
        expect(summary).to_contain_text(re.compile(r"消费：[1-9]\d* 笔"))
        expect(summary).to_contain_text(re.compile(r"净结算：¥\s?[\d,]+\.\d\d"))
    elif rows_today:  # a refund or a check-out before the first sale of the day
        expect(summary).to_contain_text("消费：0 笔")
    else:  # the demo shop opens at 10:00 Shanghai time; before that its day is empty
        expect(summary).to_contain_text("这一天没有交易记录")
    yesterday = today - timedelta(days=1)
    mark = merchant.send(f"/summary {yesterday}")
    past = merchant.reply(f"{shop} 日结算单", after=mark)
    expect(past).to_contain_text(re.compile(r"消费：[1-9]\d* 笔"))
    expect(past).to_contain_text(re.compile(r"净结算：¥\s?[\d,]+\.\d\d"))

    # Off again: the shop is unlinked and the merchant has no shop to report on.
    switch.click()
    expect(toggle).not_to_be_checked()
    mark = merchant.send("/today")
    merchant.reply("需要先开通商户", after=mark)
    assert still_the_same_page(page)
