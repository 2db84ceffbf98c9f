"""The sandbox web chat page, its JSON control API under /sandbox/api/ and the SSE feed."""

from __future__ import annotations

import json
from functools import partial
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from sandbox.control_input import integer, json_object, optional_integer, text
from sandbox.emulator import TelegramEmulator
from sandbox.files import image_mime, image_size
from sandbox.params import ApiError

__all__ = ["DEFAULT_MERCHANT", "DEFAULT_STAFF", "add_web_routes"]

DEFAULT_MERCHANT: dict[str, Any] = {"id": 10001, "first_name": "小王", "language_code": "zh-hans"}
DEFAULT_STAFF: dict[str, Any] = {"id": 20001, "first_name": "审核员 李", "language_code": "zh-hans"}
_STATIC = Path(__file__).with_name("static")
_dumps = partial(json.dumps, ensure_ascii=False)
_KEEPALIVE_SECONDS = 15.0
_NO_DEMO = "demo data needs the bot's database: start the sandbox with `make run`"
# The page carries the secret: never cached, never framed by another site (clickjacking).
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def _page(secret: str) -> str:
    """index.html with app.css, app.js and this run's control secret inlined: one response."""
    html = (_STATIC / "index.html").read_text(encoding="utf-8")
    css = (_STATIC / "app.css").read_text(encoding="utf-8")
    js = (_STATIC / "app.js").read_text(encoding="utf-8")
    html = html.replace("__SANDBOX_SECRET__", escape(secret, quote=True))
    return html.replace("/*__APP_CSS__*/", css).replace("/*__APP_JS__*/", js)


def _fail(message: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status, dumps=_dumps)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, dumps=_dumps)


class _Routes:
    def __init__(self, telegram: TelegramEmulator) -> None:
        self.telegram = telegram
        self.state = telegram.state

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(
            text=_page(self.telegram.secret),
            content_type="text/html",
            charset="utf-8",
            headers=_PAGE_HEADERS,
        )

    def _ensure_user(self, body: dict[str, Any]) -> int:
        """Users are created on first use; known defaults get their usual names."""
        user_id = integer(body.get("user_id"), "user_id")
        defaults = {DEFAULT_MERCHANT["id"]: DEFAULT_MERCHANT, DEFAULT_STAFF["id"]: DEFAULT_STAFF}
        known = self.state.users.get(user_id) or defaults.get(user_id, {})
        language = text(
            body.get("language_code"), "language_code", known.get("language_code", "zh-hans")
        )
        first_name = (
            text(body.get("first_name"), "first_name")
            or known.get("first_name")
            or f"用户{user_id}"
        )
        if user_id not in self.state.users or language != known.get("language_code"):
            self.telegram.add_user(
                user_id,
                first_name,
                last_name=known.get("last_name"),
                username=known.get("username"),
                language_code=language,
            )
        return user_id

    @staticmethod
    def _chat_id(body: dict[str, Any]) -> int | None:
        return optional_integer(body.get("chat_id"), "chat_id")

    async def state_snapshot(self, request: web.Request) -> web.Response:
        state = self.state
        return _ok(
            {
                "bot": state.bot,
                "users": list(state.users.values()),
                "chats": list(state.chats.values()),
                "messages": {str(cid): state.messages(cid) for cid in state.chats},
                "keyboards": {str(cid): kb for cid, kb in state.reply_keyboards.items()},
                "seq": len(state.feed),
                "defaults": {"merchant": DEFAULT_MERCHANT, "staff": DEFAULT_STAFF},
                "demo_available": self.telegram.demo is not None,
            }
        )

    async def chats(self, request: web.Request) -> web.Response:
        return _ok(list(self.state.chats.values()))

    async def chat_messages(self, request: web.Request) -> web.Response:
        chat_id = integer(request.match_info["chat_id"], "chat_id")
        if chat_id not in self.state.chats:
            return _fail("chat not found", 404)
        return _ok(self.state.messages(chat_id))

    async def events(self, request: web.Request) -> web.Response:
        after = integer(request.query.get("after", "0"), "after")
        chat = optional_integer(request.query.get("chat_id"), "chat_id")
        entries = self.state.feed[max(after, 0) :]
        if chat is not None:
            entries = [e for e in entries if e["chat_id"] == chat]
        return _ok({"events": entries, "seq": len(self.state.feed)})

    async def add_user(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        return _ok(self.state.users[self._ensure_user(body)])

    async def add_group(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        chat_id = self._chat_id(body)
        if chat_id is None:
            groups = [cid for cid in self.state.chats if cid < 0]
            chat_id = min([*groups, -1001000000000]) - 1
        return _ok(self.telegram.add_group(chat_id, text(body.get("title"), "title") or "新群组"))

    async def send_text(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        user_id = self._ensure_user(body)
        reply_to = optional_integer(body.get("reply_to_message_id"), "reply_to_message_id")
        message = await self.telegram.send_text(
            user_id,
            text(body.get("text"), "text", ""),
            chat_id=self._chat_id(body),
            reply_to_message_id=reply_to or None,
        )
        return _ok(message)

    async def send_raw(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        user_id = self._ensure_user(body)
        fields = body.get("fields")
        if not isinstance(fields, dict):
            return _fail("fields must be an object")
        return _ok(await self.telegram.send_raw(user_id, fields, chat_id=self._chat_id(body)))

    async def press(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        user_id = self._ensure_user(body)
        query = await self.telegram.press_button(
            user_id,
            integer(body.get("message_id"), "message_id"),
            text(body.get("callback_data"), "callback_data", ""),
            chat_id=self._chat_id(body),
        )
        return _ok(query)

    async def upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return _fail("missing file")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        user_id = self._ensure_user(fields)
        data = upload.file.read()
        kind = fields.get("kind", "auto")
        if kind == "auto":
            is_image = upload.content_type.startswith("image/") and image_size(data) is not None
            kind = "photo" if is_image else "document"
        caption = fields.get("caption") or None
        chat_id = self._chat_id(fields)
        if kind == "photo":
            message = await self.telegram.send_photo(
                user_id, data, chat_id=chat_id, caption=caption
            )
        else:
            mime = upload.content_type or "application/octet-stream"
            message = await self.telegram.send_document(
                user_id, data, upload.filename or "file", mime, chat_id=chat_id, caption=caption
            )
        return _ok(message)

    async def demo_status(self, request: web.Request) -> web.Response:
        demo = self.telegram.demo
        if demo is None:
            return _fail(_NO_DEMO, 404)
        user_id = optional_integer(request.query.get("user_id"), "user_id")
        return _ok(await demo.status(user_id or DEFAULT_MERCHANT["id"]))

    async def demo_turn(self, request: web.Request) -> web.Response:
        demo = self.telegram.demo
        if demo is None:
            return _fail(_NO_DEMO, 404)
        body = await json_object(request)
        user_id = optional_integer(body.get("user_id"), "user_id") or DEFAULT_MERCHANT["id"]
        on = body.get("on", True)
        if not isinstance(on, bool):
            return _fail("on must be true or false")
        result = await demo.turn(user_id, on)
        # Other open pages move their switch too.
        self.state.emit("demo", user_id, "system", demo=result)
        return _ok(result)

    async def file(self, request: web.Request) -> web.Response:
        record = self.state.files.get(request.match_info["file_id"])
        if record is None:
            return _fail("file not found", 404)
        data = self.state.files.read(record)
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=3600"}
        if record.kind == "photo":
            content_type = image_mime(data)
        else:
            # Documents are always downloads: an uploaded .html must never run on this origin.
            content_type = record.mime_type or "application/octet-stream"
            name = quote(record.file_name or "file")
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
        return web.Response(body=data, content_type=content_type, headers=headers)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events: every feed entry after ``after`` / Last-Event-ID, then live."""
        raw = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
        after = max(integer(raw, "after"), 0)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        state = self.state
        try:
            await response.write(b"retry: 1000\n\n")
            while not state.closing:
                entries = state.feed[after:]
                if not entries:
                    await state.feed_pulse.wait(_KEEPALIVE_SECONDS)
                    if len(state.feed) == after and not state.closing:
                        await response.write(b": keepalive\n\n")
                    continue
                for entry in entries:
                    chunk = f"id: {entry['seq']}\nevent: feed\ndata: {_dumps(entry)}\n\n"
                    await response.write(chunk.encode("utf-8"))
                    after = entry["seq"]
        except ConnectionResetError:
            pass  # the browser went away
        return response


@web.middleware
async def _control_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn bad input on the control API into JSON 400s instead of 500 pages."""
    if not request.path.startswith("/sandbox/"):
        return await handler(request)
    try:
        return await handler(request)
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        # ControlInputError (a ValueError) names the field; the rest is a backstop.
        return _fail(str(exc))
    except ApiError as exc:
        return _fail(exc.description, exc.status)


def add_web_routes(app: web.Application, telegram: TelegramEmulator) -> None:
    """Register the page, the control API and the file route on ``app``."""
    routes = _Routes(telegram)
    app.middlewares.append(_control_errors)
    app.router.add_get("/", routes.page)
    api = "/sandbox/api"
    app.router.add_get(f"{api}/state", routes.state_snapshot)
    app.router.add_get(f"{api}/chats", routes.chats)
    app.router.add_get(f"{api}/chats/{{chat_id}}/messages", routes.chat_messages)
    app.router.add_get(f"{api}/events", routes.events)
    app.router.add_get(f"{api}/stream", routes.stream)
    app.router.add_post(f"{api}/users", routes.add_user)
    app.router.add_post(f"{api}/groups", routes.add_group)
    app.router.add_post(f"{api}/send_text", routes.send_text)
    app.router.add_post(f"{api}/send_raw", routes.send_raw)
    app.router.add_post(f"{api}/press", routes.press)
    app.router.add_post(f"{api}/upload", routes.upload)
    app.router.add_get(f"{api}/demo", routes.demo_status)
    app.router.add_post(f"{api}/demo", routes.demo_turn)
    app.router.add_get("/sandbox/files/{file_id}", routes.file)
