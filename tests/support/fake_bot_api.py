"""A fake Telegram Bot API server: records every call, queues updates, injects faults.

Both aiogram and python-telegram-bot talk to it as to api.telegram.org (set
`TELEGRAM_API_URL` to `server.url`). Tests queue what users do (`user_message`,
`user_press`, `user_document`) and wait for what the bot sent (`wait_for`). A delivery
benchmark can turn on Telegram's rate limits and inject 429s, blocked chats and outages.
"""

from __future__ import annotations

import asyncio
import copy
import html
import itertools
import json
import math
import random
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import ClientSession, web

Json = dict[str, Any]
Params = dict[str, Any]
# Values kept as sent: free text, and ids that must not be read as numbers.
TEXT_PARAMS = frozenset(
    {"text", "caption", "callback_query_id", "file_id", "url", "secret_token", "language_code"}
)
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "editMessageText"})  # rate-limited
METHODS = (
    "getMe", "getUpdates", "deleteWebhook", "setWebhook", "getWebhookInfo", "sendMessage",
    "editMessageText", "answerCallbackQuery", "sendDocument", "getFile", "setMyCommands",
    "deleteMyCommands", "close", "logOut", "deleteMessage",
)  # fmt: skip
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024  # Telegram's, counted on the text as read


def read_length(text: str, parse_mode: object) -> int:
    """A text's length as Telegram counts it: after parsing its markup, in UTF-16 units."""
    if str(parse_mode).upper() == "HTML":
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return len(text.encode("utf-16-le")) // 2


def _check_length(params: Params, key: str, limit: int, what: str) -> None:
    if read_length(str(params.get(key) or ""), params.get("parse_mode")) > limit:
        raise ApiError(400, f"Bad Request: {what} is too long")


class ApiError(Exception):
    """A Telegram error answer: `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def body(self) -> Json:
        body: Json = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class Call:
    """One request the bot made: the method, its decoded parameters, when, and the answer."""

    method: str
    params: Params
    at: float
    error_code: int | None = None
    result: Any = None  # what the server answered, e.g. the Message it made
    retry_after: int | None = None  # announced with a 429


@dataclass
class StoredFile:
    """A file the bot uploaded or a user sent; `file_id` is set once the server keeps it."""

    name: str
    content: bytes
    mime_type: str | None
    file_id: str = ""

    @property
    def path(self) -> str:
        return f"documents/{self.file_id}_{self.name}"


@dataclass
class RateLimits:
    """Telegram's limits on sending: about 30 messages/s overall, 1/s per chat."""

    overall_per_second: float = 30
    per_chat_per_second: float = 1


@dataclass
class Faults:
    """Injected failures of sends: a share refused with 429, blocked chats, a 5xx window; and
    chats whose menu Telegram will not set."""

    flood_fraction: float = 0.0
    flood_retry_after: int = 1
    blocked_chats: set[int] = field(default_factory=set)
    outage_until: float = 0.0  # time.monotonic() until which sends answer `outage_status`
    outage_status: int = 502
    outage_sends: int = 0  # the next sends answer `outage_status`, however long they take
    hold_downloads: bool = False  # file downloads wait for `FakeBotApi.release_downloads()`
    hang_sends: bool = False  # sends get no answer until `FakeBotApi.release_sends()`
    lose_sends: int = 0  # the next sends get no answer ever and are not delivered: time-outs
    menu_refused_chats: set[int] = field(default_factory=set)  # setMyCommands: chat not found

    def outage(self, seconds: float, status: int = 502) -> None:
        self.outage_until, self.outage_status = time.monotonic() + seconds, status


@dataclass
class _Queued:
    update: Json
    delivered: bool = False


class FakeBotApi:
    """An aiohttp app on 127.0.0.1 that answers the Bot API methods the engines use."""

    def __init__(
        self,
        token: str = "123:TEST",
        rate_limits: RateLimits | None = None,
        faults: Faults | None = None,
        seed: int = 0,
    ) -> None:
        self.token = token
        self.rate_limits, self.faults = rate_limits, faults or Faults()
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], Json] = {}  # (chat id, message id) -> message
        self.sent: dict[int, list[Json]] = defaultdict(list)  # chat id -> the bot's messages
        self.deleted: list[tuple[int, int]] = []  # (chat id, message id) the bot deleted
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[Json]] = {}  # (scope, language) -> menu
        self.webhook: Json = {"url": "", "secret_token": None}
        self.updates: dict[int, Json] = {}
        self.allowed_updates: list[str] = []  # empty: every kind
        self._queue: list[_Queued] = []
        self._ids = itertools.count(1)
        self._random = random.Random(seed)
        self._sends: deque[tuple[float, int]] = deque()  # (time, chat id), the last second
        self._last_send: dict[int, float] = {}
        self._arrived, self._recorded = asyncio.Event(), asyncio.Event()
        self.download_waiting, self._downloads_released = asyncio.Event(), asyncio.Event()
        self.hanging = 0  # sends waiting for an answer that does not come (faults.hang_sends)
        self._sends_released = asyncio.Event()
        self._stopped = asyncio.Event()  # lost sends wait for it, answering nobody
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._handlers: dict[str, Callable[[Params], Any]] = {
            name.lower(): getattr(self, f"_m_{name}") for name in METHODS
        }
        self.url = ""
        self.bot_user: Json = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Test Bot",
            "username": "test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> str:
        """Serves on a free port of 127.0.0.1; returns the base URL for TELEGRAM_API_URL."""
        app = web.Application(client_max_size=50 * 2**20)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._closing = True
        self._stopped.set()
        self._wake_pollers()  # long polls in progress return at once
        self._sends_released.set()  # and hung sends
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    # -- what users do -------------------------------------------------------------------------

    def user_message(
        self,
        user_id: int,
        text: str,
        language_code: str = "en",
        first_name: str = "",
        entities: list[Json] | None = None,
    ) -> int:
        """Queues a text message (a command when it starts with /) from a user in private;
        `entities` is its formatting (bold, links...), as Telegram describes it."""
        message = self._user_message(user_id, language_code, first_name, text=text)
        if entities:
            message["entities"] = entities
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._queue_update({"message": message})

    def group_message(
        self, chat_id: int, user_id: int, text: str, language_code: str = "en"
    ) -> int:
        """Queues a text message (a command when it starts with /) from a user in a group."""
        message = self._message(chat_id, self._user(user_id, language_code), text=text)
        message["chat"] = {"id": chat_id, "type": "supergroup", "title": f"Group{chat_id}"}
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._queue_update({"message": message})

    def user_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        mime: str = "application/octet-stream",
        language_code: str = "en",
    ) -> int:
        """Queues a document sent by a user; the bot can fetch it with getFile."""
        document = self._store_file(filename, content, mime)
        message = self._user_message(user_id, language_code, "", document=document)
        return self._queue_update({"message": message})

    def user_press(
        self, user_id: int, message_id: int, data: str, language_code: str = "en"
    ) -> int:
        """Queues a press on an inline button of message `message_id` in the user's chat."""
        message = self.messages.get((user_id, message_id)) or self._message(
            user_id, self.bot_user, text="(an old message)", message_id=message_id
        )
        query = {
            "id": f"cq{next(self._ids)}",
            "from": self._user(user_id, language_code),
            "chat_instance": f"ci{user_id}",
            "message": message,
            "data": data,
        }
        return self._queue_update({"callback_query": query})

    def redeliver(self, update_id: int) -> int:
        """Queues an update again, as Telegram does when it is not sure it was received."""
        self._enqueue(self.updates[update_id])
        return update_id

    async def push_webhook(self, url: str, update_id: int, secret_token: str | None) -> int:
        """Posts a queued update to a webhook as Telegram would; returns the HTTP status."""
        self._queue = [q for q in self._queue if q.update["update_id"] != update_id]
        headers = {SECRET_HEADER: secret_token} if secret_token is not None else {}
        update = self.updates[update_id]
        async with (
            ClientSession() as session,
            session.post(url, json=update, headers=headers) as r,
        ):
            return r.status

    # -- what the bot did ----------------------------------------------------------------------

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Params], bool] | None = None,
        count: int = 1,
        timeout: float = 30,  # noqa: ASYNC109 - a limit for a loaded machine, not a pace
    ) -> list[Call]:
        """The calls of `method` matching `predicate`, once there are `count` of them."""
        deadline = time.monotonic() + timeout
        while len(found := self.calls_of(method, predicate)) < count:
            if time.monotonic() >= deadline:
                seen = [(c.method, c.params.get("text")) for c in self.calls[-15:]]
                raise AssertionError(f"{count} × {method} expected, {len(found)} seen: {seen}")
            await _wait_until(self._recorded, deadline)
        return found

    async def wait_until(
        self,
        done: Callable[[], bool],
        timeout: float = 30,  # noqa: ASYNC109 - a limit for a loaded machine, not a pace
    ) -> None:
        """Returns once `done()` holds, re-checking after each call the bot makes."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() >= deadline:
                seen = [(c.method, c.params.get("text")) for c in self.calls[-15:]]
                raise AssertionError(f"not done in {timeout} s; last calls: {seen}")
            await _wait_until(self._recorded, min(deadline, time.monotonic() + 0.05))

    def calls_of(
        self, method: str, predicate: Callable[[Params], bool] | None = None
    ) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (predicate is None or predicate(c.params))
        ]

    def sends_inside_retry_after(self) -> list[Call]:
        """Sends that reached the server for a chat before the end of a `retry_after` it had
        announced for that chat (goal: none)."""
        until: dict[int, float] = {}
        inside = []
        for call in sorted(self.calls, key=lambda c: c.at):
            if call.method not in SEND_METHODS:
                continue
            chat = int(call.params["chat_id"])
            if call.at < until.get(chat, -1.0):
                inside.append(call)
            if call.retry_after:
                until[chat] = max(until.get(chat, -1.0), call.at + call.retry_after)
        return inside

    def texts(self, chat_id: int) -> list[str]:
        """The text (or caption) of each message the bot sent to a chat, as it reads now."""
        return [m.get("text") or m.get("caption") or "" for m in self.sent[chat_id]]

    def menu(self, chat_id: int | None = None, language_code: str = "") -> list[str] | None:
        """The command names set for a chat (or the default scope) and language, if any."""
        scope = {"type": "chat", "chat_id": chat_id} if chat_id else {"type": "default"}
        commands = self.commands.get((_scope_key(scope), language_code))
        return None if commands is None else [c["command"] for c in commands]

    # -- HTTP ----------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        call = Call(method, params, time.monotonic())
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._handlers.get(method.lower())  # Telegram ignores the case
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            if method in SEND_METHODS:
                await self._lose_if_asked(call)
                await self._hang_while_asked()
                self._admit(int(params.get("chat_id", 0)))
            call.result = copy.deepcopy(await handler(params))  # later edits don't change it
        except ApiError as error:
            call.error_code, call.retry_after = error.code, error.retry_after
            self._record(call)
            return web.json_response(error.body(), status=error.code)
        self._record(call)
        return web.json_response({"ok": True, "result": call.result})

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.path == path), None)
        if request.match_info["token"] != self.token or stored is None:
            raise web.HTTPNotFound()
        if self.faults.hold_downloads:
            self.download_waiting.set()  # the bot is inside an update's handling now
            await self._downloads_released.wait()
        return web.Response(body=stored.content, content_type="application/octet-stream")

    # -- methods -------------------------------------------------------------------------------

    async def _lose_if_asked(self, call: Call) -> None:
        """While `faults.lose_sends`, a send is recorded (error 504) and never answered: the
        bot times out, and nothing reached the chat."""
        if self.faults.lose_sends <= 0:
            return
        self.faults.lose_sends -= 1
        call.error_code = HTTPStatus.GATEWAY_TIMEOUT
        self._record(call)
        await self._stopped.wait()
        raise web.HTTPGatewayTimeout()  # to nobody: recorded above, once

    async def _hang_while_asked(self) -> None:
        """While `faults.hang_sends`, a send gets no answer; the bot's request times out."""
        if not self.faults.hang_sends:
            return
        self.hanging += 1
        await self._sends_released.wait()
        self.hanging -= 1

    def release_sends(self) -> None:
        self.faults.hang_sends = False
        self._sends_released.set()

    def release_downloads(self) -> None:
        self.faults.hold_downloads = False
        self._downloads_released.set()

    async def _m_getMe(self, _params: Params) -> Json:
        return self.bot_user

    async def _m_getUpdates(self, params: Params) -> list[Json]:
        if self.webhook["url"]:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        self._queue = [q for q in self._queue if not (q.delivered and offset > _id(q))]
        self._allow(params.get("allowed_updates"))
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while not (ready := self._queue[:limit]) and not self._closing:
            if not await _wait_until(self._arrived, deadline):
                break
        for queued in ready:
            queued.delivered = True
        return [q.update for q in ready]

    def _allow(self, allowed: list[str] | None) -> None:
        """Remembers the kinds of update the bot asked for; Telegram keeps the last list."""
        if allowed is not None:
            self.allowed_updates = list(allowed)
        self._queue = [q for q in self._queue if self._wanted(q.update)]

    def _wanted(self, update: Json) -> bool:
        kinds = set(update) - {"update_id"}
        return not self.allowed_updates or kinds <= set(self.allowed_updates)

    async def _m_deleteWebhook(self, _params: Params) -> bool:
        self.webhook = {"url": "", "secret_token": None}
        return True

    async def _m_setWebhook(self, params: Params) -> bool:
        self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token")}
        self._allow(params.get("allowed_updates"))
        return True

    async def _m_getWebhookInfo(self, _params: Params) -> Json:
        pending = {"pending_update_count": len(self._queue)}
        return {"url": self.webhook["url"], "has_custom_certificate": False, **pending}

    async def _m_sendMessage(self, params: Params) -> Json:
        _check_length(params, "text", TEXT_LIMIT, "message")
        return self._bot_message(params, text=str(params["text"]))

    async def _m_sendDocument(self, params: Params) -> Json:
        document = params["document"]
        stored = self._keep(document) if isinstance(document, StoredFile) else None
        stored = stored or self.files.get(str(document))
        if stored is None:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        _check_length(params, "caption", CAPTION_LIMIT, "message caption")
        extra = {"caption": params["caption"]} if params.get("caption") else {}
        return self._bot_message(params, document=_document(stored), **extra)

    async def _m_editMessageText(self, params: Params) -> Json:
        _check_length(params, "text", TEXT_LIMIT, "message")
        message = self.messages.get((int(params["chat_id"]), int(params["message_id"])))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        markup = params.get("reply_markup")
        if message["text"] == params["text"] and message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.update(text=params["text"], edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    async def _m_deleteMessage(self, params: Params) -> bool:
        """Deletes a message; Telegram refuses one that is gone (or older than 48 hours)."""
        key = (int(params["chat_id"]), int(params["message_id"]))
        if self.messages.pop(key, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        self.deleted.append(key)
        return True

    async def _m_answerCallbackQuery(self, _params: Params) -> bool:
        return True

    async def _m_getFile(self, params: Params) -> Json:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {**_file_ids(stored), "file_size": len(stored.content), "file_path": stored.path}

    async def _m_setMyCommands(self, params: Params) -> bool:
        chat_id = (params.get("scope") or {}).get("chat_id")
        if chat_id is not None and int(chat_id) in self.faults.menu_refused_chats:
            raise ApiError(400, "Bad Request: chat not found")
        key = (_scope_key(params.get("scope")), params.get("language_code") or "")
        self.commands[key] = list(params["commands"])
        return True

    async def _m_deleteMyCommands(self, params: Params) -> bool:
        key = (_scope_key(params.get("scope")), params.get("language_code") or "")
        self.commands.pop(key, None)
        return True

    async def _m_close(self, _params: Params) -> bool:
        return True

    async def _m_logOut(self, _params: Params) -> bool:
        return True

    # -- faults and limits ---------------------------------------------------------------------

    def _admit(self, chat_id: int) -> None:
        """Refuses a send as Telegram would under the injected faults or above the limits."""
        now, faults = time.monotonic(), self.faults
        if chat_id in faults.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if faults.outage_sends > 0:
            faults.outage_sends -= 1
            raise ApiError(faults.outage_status, HTTPStatus(faults.outage_status).phrase)
        if now < faults.outage_until:
            raise ApiError(faults.outage_status, HTTPStatus(faults.outage_status).phrase)
        if faults.flood_fraction and self._random.random() < faults.flood_fraction:
            raise _too_many(faults.flood_retry_after)
        if self.rate_limits is not None:
            self._within_limits(chat_id, now, self.rate_limits)
        self._sends.append((now, chat_id))
        self._last_send[chat_id] = now

    def _within_limits(self, chat_id: int, now: float, limits: RateLimits) -> None:
        while self._sends and self._sends[0][0] <= now - 1:
            self._sends.popleft()
        if len(self._sends) >= limits.overall_per_second:
            raise _too_many(math.ceil(self._sends[0][0] + 1 - now))
        gap = 1 / limits.per_chat_per_second - (now - self._last_send.get(chat_id, -math.inf))
        if gap > 0:
            raise _too_many(math.ceil(gap))

    # -- building Telegram objects -------------------------------------------------------------

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._recorded.set()
        self._recorded = asyncio.Event()

    def _queue_update(self, body: Json) -> int:
        update_id = next(self._ids)
        self.updates[update_id] = {"update_id": update_id, **body}
        self._enqueue(self.updates[update_id])
        return update_id

    def _enqueue(self, update: Json) -> None:
        if self._wanted(update):
            self._queue.append(_Queued(update))
            self._wake_pollers()

    def _wake_pollers(self) -> None:
        self._arrived.set()
        self._arrived = asyncio.Event()

    def _user(self, user_id: int, language_code: str, first_name: str = "") -> Json:
        name = first_name or f"User{user_id}"
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": language_code}

    def _message(
        self, chat_id: int, sender: Json, message_id: int | None = None, **body: Any
    ) -> Json:
        chat = {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
        message_id = message_id or next(self._ids)
        message = {"message_id": message_id, "date": int(time.time()), "chat": chat, **body}
        message["from"] = sender
        self.messages[(chat_id, message_id)] = message
        return message

    def _user_message(
        self, user_id: int, language_code: str, first_name: str, **body: Any
    ) -> Json:
        return self._message(user_id, self._user(user_id, language_code, first_name), **body)

    def _bot_message(self, params: Params, **body: Any) -> Json:
        chat_id = int(params["chat_id"])
        if params.get("reply_markup"):
            body["reply_markup"] = params["reply_markup"]
        if params.get("protect_content"):
            body["has_protected_content"] = True
        message = self._message(chat_id, self.bot_user, **body)
        self.sent[chat_id].append(message)
        return message

    def _store_file(self, name: str, content: bytes, mime: str | None) -> Json:
        return _document(self._keep(StoredFile(name, content, mime)))

    def _keep(self, stored: StoredFile) -> StoredFile:
        stored.file_id = f"file{next(self._ids)}"
        self.files[stored.file_id] = stored
        return stored


async def _wait_until(event: asyncio.Event, deadline: float) -> bool:
    """Waits for `event` until `deadline` (on time.monotonic()); False when time ran out."""
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    try:
        await asyncio.wait_for(event.wait(), left)
    except TimeoutError:
        return False
    return True


def _document(stored: StoredFile) -> Json:
    document = {**_file_ids(stored), "file_name": stored.name, "file_size": len(stored.content)}
    return {**document, "mime_type": stored.mime_type} if stored.mime_type else document


def _file_ids(stored: StoredFile) -> Json:
    return {"file_id": stored.file_id, "file_unique_id": f"u{stored.file_id}"}


def _id(queued: _Queued) -> int:
    return int(queued.update["update_id"])


def _too_many(retry_after: int) -> ApiError:
    retry_after = max(retry_after, 1)
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def _scope_key(scope: Json | None) -> str:
    scope = scope or {"type": "default"}
    return json.dumps(
        {k: int(v) if k == "chat_id" else v for k, v in scope.items()}, sort_keys=True
    )


async def _read_params(request: web.Request) -> Params:
    """Parameters from the query string and a JSON, form-urlencoded or multipart body.

    Uploaded files become `StoredFile`s, whether sent as the parameter itself
    (python-telegram-bot) or as a part that the parameter names with `attach://` (aiogram).
    """
    params: Params = dict(request.query)
    uploads: dict[str, StoredFile] = {}
    if request.content_type == "application/json" and request.can_read_body:
        params.update(await request.json())
    elif request.can_read_body:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                uploads[name] = StoredFile(value.filename, value.file.read(), value.content_type)
            else:
                params[name] = value
    params = {name: _decode(name, value) for name, value in params.items()}
    for name, value in params.items():
        if isinstance(value, str) and value.startswith("attach://"):
            params[name] = uploads.pop(value.removeprefix("attach://"))
    return {**params, **uploads}


def _decode(name: str, value: Any) -> Any:
    """Form fields carry JSON (numbers, booleans, objects) except for free-text parameters."""
    if not isinstance(value, str) or name in TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
