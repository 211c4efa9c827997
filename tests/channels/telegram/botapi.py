"""A Telegram Bot API server for tests, written from the Bot API documentation
(https://core.telegram.org/bots/api), run on a real socket in a thread of the test process.

It speaks what a bot sends (``POST /bot<TOKEN>/<method>``, form or multipart fields, complex
values JSON-encoded, answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code",
"description", "parameters"}``) and checks what Telegram checks: HTML entities (the allowed
tags, balanced), 4,096 UTF-16 units after entity parsing, callback data of 1-64 bytes, 400
"message is not modified" for an edit that changes nothing, 400 "message to edit not found",
403 for a chat that blocked the bot, and 409 for ``getUpdates`` while a webhook is set.
``getUpdates`` long-polls (``offset`` confirms, ``timeout`` holds the request).

The test side drives it from its own thread: :meth:`BotApi.say` and :meth:`BotApi.press`
inject a user's message or button press (as an update, or a webhook POST when one is set),
:meth:`BotApi.fail_next` makes the next calls of a method fail (429 with ``retry_after``, 5xx),
and :meth:`BotApi.wait` waits (bounded) for a condition on what the bot did.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Json = dict[str, Any]
TOKEN = "123456:TEST-token-secret-abcdef"  # noqa: S105 (the stand-in's own)
BOT: Json = {
    "id": 123456,
    "is_bot": True,
    "first_name": "cloudping",
    "username": "cloudping_test_bot",
}
USER: Json = {"id": 1001, "is_bot": False, "first_name": "Ada", "username": "ada"}
MAX_TEXT = 4096
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
                "tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji"}  # fmt: skip
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
# Parameters whose values are JSON-serialized objects (Bot API, "Making requests").
JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "entities", "link_preview_options",
               "caption_entities", "reply_parameters", "media"}  # fmt: skip


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


@dataclass
class Call:
    """One request the bot made, what it asked, and what it got (``ok``/``error_code``)."""

    method: str
    params: Json
    at: float
    ok: bool = True
    error_code: int | None = None
    done: bool = False


@dataclass
class Sent:
    """A message the bot sent (and edited since): its HTML as sent, text, photo, buttons."""

    chat_id: int
    message_id: int
    html: str = ""
    text: str = ""
    photo: bytes | None = None
    caption: str = ""
    reply_markup: Json | None = None
    edits: int = 0
    edit_times: list[float] = field(default_factory=list)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every button, row after row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


class _Entities(HTMLParser):
    """Telegram's HTML parse mode: the text the entities leave, or the error it reports."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unexpected end tag "{tag}"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def plain_text(text: str) -> str:
    """The message text Telegram keeps from HTML (``ApiError`` when it would refuse it)."""
    parser = _Entities()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise ApiError(400, f"Bad Request: can't parse entities: Can't find end tag "
                            f'corresponding to start tag "{parser.open[-1]}"')  # fmt: skip
    plain = "".join(parser.text)
    if not plain.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(plain.encode("utf-16-le")) // 2 > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    return plain


class BotApi:
    """The server's state, and the test's handle on it (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.calls: list[Call] = []
        self.sent: dict[tuple[int, int], Sent] = {}
        self.commands: list[Json] = []
        self.webhook: Json | None = None
        self.webhook_answers: list[int] = []
        self.blocked: set[int] = set()
        self._faults: dict[str, list[ApiError]] = {}
        self._updates: list[Json] = []
        self._queries: dict[str, Json] = {}
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._arrived: asyncio.Event | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        self.url = ""

    # -- the test's side ------------------------------------------------------------------

    def start(self, sock: socket.socket | None = None) -> BotApi:
        """Serve on ``sock`` (a listening socket), or on a fresh one on 127.0.0.1."""
        if sock is None:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.listen(64)
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(
            self.app(), log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        started = threading.Event()

        def serve() -> None:
            async def main() -> None:
                self._loop, self._arrived = asyncio.get_running_loop(), asyncio.Event()
                started.set()
                assert self._server is not None
                await self._server.serve(sockets=[sock])

            asyncio.run(main())

        self._thread = threading.Thread(target=serve, name="botapi", daemon=True)
        self._thread.start()
        assert started.wait(10), "the Bot API stand-in did not start"
        return self

    def stop(self) -> None:
        """Stop serving (bounded); a long poll still held returns empty at once."""
        with self._lock:
            self._closing = True
        if self._loop is not None and self._arrived is not None:
            self._loop.call_soon_threadsafe(self._arrived.set)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)

    def say(self, text: str, *, user: Json = USER, chat: Json | None = None) -> int:
        """A user's message to the bot (a private chat with them unless ``chat``); its id."""
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message: Json = {"message_id": next(self._ids), "from": user, "chat": chat,
                         "date": int(time.time()), "text": text}  # fmt: skip
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0].encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self._deliver({"message": message})
        return int(message["message_id"])

    def press(self, sent: Sent, label: str, *, user: Json = USER, chat: Json | None = None) -> str:
        """A user's press of the button labelled ``label`` (a prefix of it) under ``sent``."""
        data = next(d for text, d in sent.buttons if label in text)
        return self.press_data(sent, data, user=user, chat=chat)

    def press_data(self, sent: Sent, data: str, *, user: Json = USER,
                   chat: Json | None = None) -> str:  # fmt: skip
        """A press with any callback data; the query's id."""
        query_id = str(next(self._ids))
        chat = chat or {"id": sent.chat_id, "type": "private", "first_name": "Ada"}
        message = {"message_id": sent.message_id, "from": BOT, "chat": chat,
                   "date": int(time.time()), "text": sent.text}  # fmt: skip
        query = {"id": query_id, "from": user, "message": message, "data": data,
                 "chat_instance": f"ci{sent.chat_id}"}  # fmt: skip
        with self._lock:
            self._queries[query_id] = {}
        self._deliver({"callback_query": query})
        return query_id

    def fail_next(self, method: str, code: int, description: str, *,
                  retry_after: int | None = None, times: int = 1) -> None:  # fmt: skip
        """The next ``times`` calls of ``method`` fail so."""
        with self._lock:
            fault = ApiError(code, description, retry_after)
            self._faults.setdefault(method.lower(), []).extend([fault] * times)

    def wait(self, check: Callable[[BotApi], Any], timeout: float = 20.0, what: str = "") -> Any:
        """Wait until ``check(self)`` is truthy (re-checked on every change); its value.

        Raises:
            AssertionError: not within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while not (value := check(self)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out waiting for {what or check}: {self.calls[-8:]}"
                    )
                self._lock.wait(left)
            return value

    async def until(self, check: Callable[[BotApi], Any], timeout: float = 20.0,
                    what: str = "") -> Any:  # fmt: skip
        """:meth:`wait` off the event loop, for tests that run a hub in their own loop."""
        return await asyncio.to_thread(self.wait, check, timeout, what)

    def messages(self, chat_id: int) -> list[Sent]:
        """The bot's messages in a chat, oldest first."""
        with self._lock:
            return [m for (chat, _), m in sorted(self.sent.items()) if chat == chat_id]

    def called(self, method: str) -> list[Call]:
        """The calls of ``method`` so far."""
        with self._lock:
            return [call for call in self.calls if call.method == method.lower()]

    # -- the server's side ----------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])]
        )

    def _deliver(self, payload: Json) -> None:
        with self._lock:
            update = {"update_id": next(self._update_ids), **payload}
            hook = self.webhook
            if hook is None:
                self._updates.append(update)
            self._lock.notify_all()
        assert self._loop is not None
        assert self._arrived is not None
        if hook is None:
            self._loop.call_soon_threadsafe(self._arrived.set)
        else:
            asyncio.run_coroutine_threadsafe(self._post(hook, update), self._loop).result(20)

    async def _post(self, hook: Json, update: Json) -> None:
        headers = {}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        async with httpx.AsyncClient(trust_env=False) as client:
            answer = await client.post(hook["url"], json=update, headers=headers, timeout=10)
        with self._lock:
            self.webhook_answers.append(answer.status_code)
            self._lock.notify_all()

    async def _endpoint(self, request: Request) -> Response:
        if request.path_params["token"] != TOKEN:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"},
                                status_code=401)  # fmt: skip
        method = request.path_params["method"].lower()
        params = await _params(request)
        call = Call(method, params, time.monotonic())
        self._record(call)  # as it arrives: a long poll is seen while it waits
        try:
            fault = self._fault(method)
            if fault is not None:
                raise fault
            result = await getattr(self, f"_{method}")(params)
        except ApiError as exc:
            self._finish(call, exc.code)
            body: Json = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            return JSONResponse(body, status_code=exc.code)
        self._finish(call, None)
        return JSONResponse({"ok": True, "result": result})

    def _fault(self, method: str) -> ApiError | None:
        with self._lock:
            waiting = self._faults.get(method)
            return waiting.pop(0) if waiting else None

    def _finish(self, call: Call, error_code: int | None) -> None:
        with self._lock:
            call.ok, call.error_code, call.done = error_code is None, error_code, True
            self._lock.notify_all()

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    async def _getme(self, _: Json) -> Json:
        return {**BOT, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}  # fmt: skip

    async def _getupdates(self, params: Json) -> list[Json]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")  # fmt: skip
        offset, timeout = int(params.get("offset", 0)), float(params.get("timeout", 0))
        deadline = time.monotonic() + timeout
        assert self._arrived is not None
        while True:
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = list(self._updates[: int(params.get("limit", 100))])
                self._arrived.clear()
            left = deadline - time.monotonic()
            if ready or left <= 0 or self._closing:
                return ready
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    async def _setmycommands(self, params: Json) -> bool:
        with self._lock:
            self.commands = list(params["commands"])
        return True

    async def _setwebhook(self, params: Json) -> bool:
        with self._lock:
            self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    async def _deletewebhook(self, _: Json) -> bool:
        with self._lock:
            self.webhook = None
        return True

    async def _sendmessage(self, params: Json) -> Json:
        chat_id = self._writable(params)
        text = plain_text(params["text"])
        markup = _markup(params)
        with self._lock:
            sent = Sent(chat_id, next(self._ids), params["text"], text, reply_markup=markup)
            self.sent[(chat_id, sent.message_id)] = sent
        return self._message(sent)

    async def _editmessagetext(self, params: Json) -> Json:
        chat_id = self._writable(params)
        text, markup = plain_text(params["text"]), _markup(params)
        with self._lock:
            sent = self.sent.get((chat_id, int(params["message_id"])))
            if sent is None or sent.photo is not None:
                raise ApiError(400, "Bad Request: message to edit not found")
            if sent.html == params["text"] and sent.reply_markup == markup:
                raise ApiError(400, NOT_MODIFIED)
            sent.html, sent.text, sent.reply_markup = params["text"], text, markup
            sent.edits += 1
            sent.edit_times.append(time.monotonic())
        return self._message(sent)

    async def _sendphoto(self, params: Json) -> Json:
        chat_id = self._writable(params)
        photo = params.get("photo")
        if not isinstance(photo, bytes):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        with self._lock:
            sent = Sent(chat_id, next(self._ids), photo=photo, caption=params.get("caption", ""),
                        reply_markup=_markup(params))  # fmt: skip
            self.sent[(chat_id, sent.message_id)] = sent
        return self._message(sent)

    async def _editmessagemedia(self, params: Json) -> Json:
        chat_id = self._writable(params)
        media = params["media"]
        where = str(media.get("media", ""))
        photo = (
            params.get(where.removeprefix("attach://")) if where.startswith("attach://") else None
        )
        if media.get("type") != "photo" or not isinstance(photo, bytes):
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        caption = str(media.get("caption", ""))
        with self._lock:
            sent = self.sent.get((chat_id, int(params["message_id"])))
            if sent is None or sent.photo is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            if sent.photo == photo and sent.caption == caption:
                raise ApiError(400, NOT_MODIFIED)
            sent.photo, sent.caption = photo, caption
            sent.edits += 1
            sent.edit_times.append(time.monotonic())
        return self._message(sent)

    async def _answercallbackquery(self, params: Json) -> bool:
        with self._lock:
            if self._queries.pop(str(params["callback_query_id"]), None) is None:
                raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                    "or query ID is invalid")  # fmt: skip
        return True

    def _writable(self, params: Json) -> int:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _message(self, sent: Sent) -> Json:
        message: Json = {"message_id": sent.message_id, "from": BOT, "date": int(time.time()),
                         "chat": {"id": sent.chat_id, "type": "private"}}  # fmt: skip
        if sent.photo is not None:
            size = {"file_id": f"p{sent.message_id}", "file_unique_id": f"u{sent.message_id}",
                    "width": 1, "height": 1, "file_size": len(sent.photo)}  # fmt: skip
            message.update(photo=[size], caption=sent.caption)
        else:
            message["text"] = sent.text
        if sent.reply_markup:
            message["reply_markup"] = sent.reply_markup
        return message


def _markup(params: Json) -> Json | None:
    markup = params.get("reply_markup")
    if markup is None:
        return None
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return dict(markup)


async def _params(request: Request) -> Json:
    """The call's parameters: query string, form or multipart fields (JSON-encoded values
    decoded), or a JSON body; uploaded files as bytes."""
    params: Json = dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/json"):
        params.update(await request.json())
        return params
    async with request.form() as form:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                params[key] = await value.read()
            else:
                params[key] = json.loads(value) if key in JSON_FIELDS else value
    return params


def escape(text: str) -> str:
    return html.escape(text, quote=False)
