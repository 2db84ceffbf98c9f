"""Small talk: a message that is only a greeting or a thank-you is not a question.

Merchants open a chat with "你好" or "在吗" and close it with "谢谢"; answering those with
"I can't answer that" reads as rude. Anything with more in it than the courtesy goes on to
the FAQ as before.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

SmallTalk = Literal["greeting", "thanks", "ack"]

_GREETINGS = {
    "你好", "您好", "你们好", "hello", "hi", "hey", "哈喽", "嗨", "在吗", "在不在", "有人吗",
    "有人在吗", "早", "早上好", "上午好", "中午好", "下午好", "晚上好", "good morning",
    "good afternoon", "good evening", "hello there", "hi there", "客服", "客服在吗", "你好客服",
    "您好客服", "老师好", "请问", "打扰了", "喂", "哈罗", "nihao",
}  # fmt: skip
_THANKS = {
    "谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "非常感谢", "谢啦", "谢了", "好的谢谢",
    "ok谢谢", "明白了谢谢", "知道了谢谢", "thanks", "thank you", "thx", "ty", "thanks a lot",
    "thank you very much", "many thanks", "ok thanks", "ok thank you", "great thanks",
    "got it thanks",
}  # fmt: skip
_ACKS = {
    "好的",
    "好",
    "ok",
    "okay",
    "明白了",
    "知道了",
    "收到",
    "got it",
    "嗯",
    "嗯嗯",
    "行",
    "可以",
}


def _normalise(text: str) -> str:
    # Punctuation, emoji and trailing particles people add: "你好呀～", "谢谢啦！！", "hi :)".
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = re.sub(r"[\W_]+", " ", text).strip()
    return re.sub(r"(?<=[\u4e00-\u9fff])[呀啊哈呢吧哦喔嘛啦]+$", "", text).strip()


def small_talk(text: str) -> SmallTalk | None:
    """ "greeting", "thanks" or "ack" (ok, 好的) when that is all the message says, else None."""
    words = _normalise(text)
    if not words or len(words) > 24:
        return None
    joined = words.replace(" ", "") if re.search(r"[\u4e00-\u9fff]", words) else words
    if words in _GREETINGS or joined in _GREETINGS:
        return "greeting"
    if words in _THANKS or joined in _THANKS:
        return "thanks"
    if words in _ACKS or joined in _ACKS:
        return "ack"
    return None
