"""A phone photo's EXIF (GPS position, camera serial, owner name) is not kept: not in the
stored file, not in what the review group sees. Through the local Bot API server."""

from __future__ import annotations

import asyncio
import io

from PIL import Image
from telegram.ext import Application

from sandbox.server import BotApiServer
from tests.e2e.application_steps import INDIVIDUAL_ZH, fill
from tests.e2e.conftest import REVIEW_CHAT
from tests.e2e.files import EXIF_SECRETS, jpeg_with_exif
from tests.e2e.harness import ChatUser

ID_FRONT = 6  # the step of INDIVIDUAL_ZH that asks for the ID card's front


def assert_no_metadata(data: bytes) -> Image.Image:
    assert b"Exif" not in data
    assert not any(secret.encode() in data for secret in EXIF_SECRETS)
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()
    return image


async def review_files(server: BotApiServer) -> list[dict]:
    for _ in range(80):
        files = [m for m in server.messages(REVIEW_CHAT) if m.get("document")]
        if files:
            return files
        await asyncio.sleep(0.1)
    raise AssertionError("no document in the review chat")


async def test_jpeg_sent_as_file_is_stored_and_shown_without_exif_and_upright(
    server: BotApiServer, merchant: ChatUser, bot: Application
) -> None:
    photo = jpeg_with_exif(orientation=6)
    assert all(secret.encode() in photo for secret in EXIF_SECRETS)
    await fill(merchant, INDIVIDUAL_ZH[:ID_FRONT])
    await merchant.send_document(photo, "IMG_20261202_101500.jpg", "image/jpeg")
    await merchant.reply()  # the next question: the upload was accepted
    await fill(merchant, INDIVIDUAL_ZH[ID_FRONT + 1 :], start=False)
    await merchant.press("确认提交")
    await merchant.expect("申请已提交")

    documents = bot.bot_data.documents
    stored = [documents.get(sha) for sha in documents.all_hashes()]
    jpegs = [data for data in stored if data.startswith(b"\xff\xd8")]
    assert len(jpegs) == 1 and len(stored) == 3  # the licence and the ID back are PNGs
    for data in stored:
        assert not any(secret.encode() in data for secret in EXIF_SECRETS)
    image = assert_no_metadata(jpegs[0])
    assert image.size == (640, 800)  # turned upright as the phone showed it
    red, blue = image.getpixel((320, 100)), image.getpixel((320, 700))
    assert red[0] > 200 and red[2] < 50 and blue[2] > 200 and blue[0] < 50

    # The review group gets the stored copy, not Telegram's copy of the original file.
    (shown,) = await review_files(server)
    data = server.file_bytes(shown["document"]["file_id"])
    assert data == jpegs[0]
    assert_no_metadata(data)
