"""The Bot API calls the bot makes, with Telegram's failures turned into data.

python-telegram-bot raises for every failure; the bot must survive them all (issue 13: never
a crash, never a lost final result), so each call here returns what happened instead:
:class:`Done`, :class:`Limited` (429: wait ``retry_after`` and send the latest state then),
or :class:`Failed` (logged; ``gone`` when retrying cannot help: the chat blocked the bot, the
message was deleted). 400 "message is not modified" means the message already shows that
text: that is :class:`Done`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMediaPhoto
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from .buttons import Keyboard

log = logging.getLogger(__name__)
NOT_MODIFIED = "message is not modified"
GONE = ("message to edit not found", "chat not found", "message can't be edited")


@dataclass(frozen=True, slots=True)
class Done:
    """The call went through; ``message_id`` of the message sent or edited."""

    message_id: int


@dataclass(frozen=True, slots=True)
class Limited:
    """429: nothing more in this chat for ``retry_after_s`` seconds."""

    retry_after_s: float


@dataclass(frozen=True, slots=True)
class Failed:
    """Anything else; ``gone``: the chat or message is no longer there to write to."""

    reason: str
    gone: bool = False


Outcome = Done | Limited | Failed


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """The Bot API form of a keyboard (None: no keyboard)."""
    if keyboard is None:
        return None
    rows = [[InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in keyboard]  # fmt: skip
    return InlineKeyboardMarkup(rows)


class Outbox:
    """Sends, edits and answers through a python-telegram-bot :class:`Bot`."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, text: str, keyboard: Keyboard | None = None) -> Outcome:
        """``sendMessage`` in HTML parse mode."""
        try:
            sent = await self.bot.send_message(chat_id, text, reply_markup=markup(keyboard))
        except TelegramError as exc:
            return _failure("sendMessage", chat_id, exc)
        return Done(sent.message_id)

    async def edit(
        self, chat_id: int, message_id: int, text: str, keyboard: Keyboard | None = None
    ) -> Outcome:
        """``editMessageText``; "not modified" counts as done."""
        try:
            await self.bot.edit_message_text(
                text, chat_id, message_id, reply_markup=markup(keyboard)
            )
        except BadRequest as exc:
            if NOT_MODIFIED in exc.message:
                return Done(message_id)
            return _failure("editMessageText", chat_id, exc)
        except TelegramError as exc:
            return _failure("editMessageText", chat_id, exc)
        return Done(message_id)

    async def photo(self, chat_id: int, png: bytes, caption: str) -> Outcome:
        """``sendPhoto`` with the PNG uploaded (multipart)."""
        try:
            sent = await self.bot.send_photo(
                chat_id, InputFile(png, filename="cloudping.png"), caption=caption
            )
        except TelegramError as exc:
            return _failure("sendPhoto", chat_id, exc)
        return Done(sent.message_id)

    async def edit_photo(self, chat_id: int, message_id: int, png: bytes, caption: str) -> Outcome:
        """``editMessageMedia``: a photo message shows a new PNG (uploaded) and caption."""
        media = InputMediaPhoto(InputFile(png, filename="cloudping.png", attach=True), caption)
        try:
            await self.bot.edit_message_media(media, chat_id, message_id)
        except BadRequest as exc:
            if NOT_MODIFIED in exc.message:
                return Done(message_id)
            return _failure("editMessageMedia", chat_id, exc)
        except TelegramError as exc:
            return _failure("editMessageMedia", chat_id, exc)
        return Done(message_id)

    async def answer_press(self, query_id: str, text: str | None = None) -> None:
        """``answerCallbackQuery`` (a failure is only logged: the press is long answered)."""
        try:
            await self.bot.answer_callback_query(query_id, text)
        except TelegramError as exc:
            log.warning("answerCallbackQuery failed: %s", exc)


def _failure(method: str, chat_id: int, exc: TelegramError) -> Outcome:
    if isinstance(exc, RetryAfter):
        log.info("%s in chat %s: 429, retry after %.1f s", method, chat_id, retry_after_s(exc))
        return Limited(retry_after_s(exc))
    gone = isinstance(exc, Forbidden) or any(phrase in exc.message for phrase in GONE)
    log.warning("%s in chat %s failed: %s", method, chat_id, exc.message)
    return Failed(exc.message, gone=gone)


def retry_after_s(exc: RetryAfter) -> float:
    """The seconds a 429 says to wait (python-telegram-bot 22 gives an int or, opted in, a
    timedelta: see bot.py)."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
