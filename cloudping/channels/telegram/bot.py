"""The Telegram channel: python-telegram-bot for the Bot API, the command service for the rest.

Updates come by long polling (``getUpdates``) or, with a webhook URL, as POSTs to a route on
the hub's listener whose secret header is checked. Each message becomes a command line
(:mod:`.reading`), a caller (:mod:`.access`) and then either a live message (:mod:`.live`) or
an answer; each button press acts on the state its key names (:mod:`.presses`). The Bot API
may be unreachable when the hub starts: the bot keeps trying in the background, and the hub
runs on.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import mimetypes
import os
import secrets
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import BotCommand, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ContextTypes, Defaults, TypeHandler

from cloudping.channels.plug import ChannelContext
from cloudping.edge import RoutePolicy

from .journal import Journal
from .live import Chats
from .outbox import Outbox
from .presses import Presses
from .reading import chat_kind, command_line
from .redact import token_hidden
from .replies import COMMANDS
from .requests import Requests
from .settings import TelegramSettings

# python-telegram-bot 22 warns on every 429 (RetryAfter reads its own deprecated int form)
# unless a process opts in to timedelta durations, which outbox.retry_after_s reads.
os.environ.setdefault("PTB_TIMEDELTA", "true")
log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name: setWebhook)
UPDATES = ["message", "callback_query"]
LONG_POLL_S = 30  # getUpdates timeout: Telegram holds the request open this long
RETRY_FIRST_S, RETRY_MOST_S = 1.0, 60.0  # reaching the Bot API at start, doubling
STOP_GRACE_S = 5.0  # at shutdown, how long live messages get to show their final state


class TelegramChannel:
    """The bot, as a channel of the hub (see :class:`cloudping.channels.plug.Channel`)."""

    def __init__(self, context: ChannelContext, settings: TelegramSettings) -> None:
        self.settings = settings
        with token_hidden(settings.token):  # python-telegram-bot logs its URLs as it starts
            self.app = _application(settings)
        self.secret = secrets.token_urlsafe(32)
        self.ready = asyncio.Event()
        chats = Chats(
            Outbox(self.app.bot),
            context.service,
            settings,
            Journal(context.data_dir / "telegram"),
            time.monotonic,
            time.time,
        )
        self.requests = Requests(chats, context, self._spawn)
        self.presses = Presses(self.requests)
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self.app.add_handler(TypeHandler(Update, self._on_update))

    def routes(self) -> Sequence[BaseRoute]:
        """The webhook route, in webhook mode."""
        path = self.settings.webhook_path
        return [] if path is None else [Route(path, self._webhook, methods=["POST"])]

    def policies(self) -> Sequence[tuple[str, RoutePolicy]]:
        """The webhook authenticates its caller by the secret header: Telegram reaches it by
        whatever name the webhook URL has, so the ``Host`` rule does not apply to it."""
        path = self.settings.webhook_path
        return [] if path is None else [(path, RoutePolicy(own_secret=True))]

    def running(self) -> AbstractAsyncContextManager[None]:
        """Reach the Bot API (in the background, retrying), serve updates, stop cleanly."""
        return self._running()

    @asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        with token_hidden(self.settings.token):
            starter = asyncio.create_task(self._start())
            try:
                yield
            finally:
                starter.cancel()
                await asyncio.gather(starter, return_exceptions=True)
                await self._stop()

    async def _start(self) -> None:
        await asyncio.to_thread(mimetypes.init)  # read at a photo's first upload otherwise
        delay = RETRY_FIRST_S
        while True:
            try:
                await self.app.initialize()  # getMe
                break
            except InvalidToken:
                log.error("the Bot API refused the bot token: the Telegram bot does not run")
                return
            except TelegramError as exc:
                log.warning("Telegram Bot API unreachable (%s); trying again in %g s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MOST_S)
        await self._serve()

    async def _serve(self) -> None:
        bot = self.app.bot
        await bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
        await self.app.start()  # handles updates from now on: the webhook may be set
        self.ready.set()
        if self.settings.webhook_url is not None:
            await bot.set_webhook(
                self.settings.webhook_url, secret_token=self.secret, allowed_updates=UPDATES
            )
        else:
            await bot.delete_webhook()
            assert self.app.updater is not None
            await self.app.updater.start_polling(
                timeout=LONG_POLL_S, allowed_updates=UPDATES, poll_interval=0.0
            )
        log.info("Telegram bot @%s is running", bot.username)
        self._spawn(self.requests.recover())

    async def _stop(self) -> None:
        """Let live messages show their final state (bounded), then stop the application."""
        await self.requests.stop_all(STOP_GRACE_S)
        self._closing = True
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=STOP_GRACE_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        try:
            await self.app.shutdown()
        except (RuntimeError, TelegramError) as exc:  # never initialized, or unreachable now
            log.debug("Telegram application shutdown: %s", exc)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        if self._closing:
            work.close()
            return
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("Telegram update handling failed", exc_info=error)

    async def _on_update(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """python-telegram-bot's handler: hand the update over, never block the updater."""
        if update.callback_query is not None:
            self._spawn(self.presses.press(update.callback_query))
        elif update.message is not None and update.message.text:
            self._spawn(self._message(update.message))

    async def _message(self, message: Message) -> None:
        user = message.from_user
        if user is None:
            return
        chat = chat_kind(message.chat.type)
        line = command_line(message.text or "", chat, self.app.bot.username, from_bot=user.is_bot)
        if line is not None:
            await self.requests.handle(line, user.id, message.chat.id, chat)

    async def _webhook(self, request: Request) -> Response:
        """A POST from the Bot API: checked by its secret header, then handled as polled."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("refused a Telegram webhook call with a wrong secret")
            return Response(status_code=403)
        if not self.ready.is_set():
            return Response(status_code=503)  # Telegram delivers it again later
        try:
            update = Update.de_json(await request.json(), self.app.bot)
        except (ValueError, KeyError, TypeError):
            return Response(status_code=400)
        await self.app.update_queue.put(update)
        return Response(status_code=200)


def _application(settings: TelegramSettings) -> Application[Any, Any, Any, Any, Any, Any]:
    defaults = Defaults(
        parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
    builder = (
        Application.builder()
        .token(settings.token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .defaults(defaults)
        .concurrent_updates(True)
        .get_updates_read_timeout(LONG_POLL_S + 10)
    )
    if settings.webhook_url is not None:
        builder = builder.updater(None)
    return builder.build()
