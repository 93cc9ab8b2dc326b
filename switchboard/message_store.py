"""Messages kept in Redis and mailed over SMTP; the desk that ties the two together.

Keys: ``vaxel:msg:<id>`` holds a message as JSON; the sorted set ``vaxel:msg:pending``
holds the ids not yet delivered (score: when to try next, epoch seconds) and
``vaxel:msg:sent`` the delivered ones (score: when). A message is saved *before* the
first delivery attempt and moved to sent in one transaction after the SMTP server
accepted it, so a crash or an SMTP failure leaves it pending, never lost (at worst it
is mailed twice; the Message-ID header lets mail clients fold the copy). SMTP runs
``smtplib`` in a thread; its errors become ``MailFailed``.

When Redis cannot take a new message, the desk writes it to a local spool folder
(``MessageSpool``: one JSON file per message, written atomically), still tries to mail
it, and its delivery rounds move the spooled messages into Redis once Redis answers
again: a caller's message survives a Redis outage as well as an SMTP one.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import smtplib
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from infra.config import Config
from infra.paths import cache_dir
from infra.redis_url import redis_client, storage_name
from switchboard import messages as m
from switchboard.errors import StoreUnavailable, SwitchboardError

log = structlog.get_logger(__name__)

#: Seconds an SMTP connection and each command may take.
SMTP_TIMEOUT_S = 10.0
#: Seconds one controller holds a message while it mails it (others leave it alone).
DELIVERY_LOCK_S = 60
PENDING = "vaxel:msg:pending"
SENT = "vaxel:msg:sent"


class MailFailed(SwitchboardError):
    """The SMTP server was unreachable or refused the message."""


class Mailer(Protocol):
    async def send(self, mail: EmailMessage) -> None: ...


class SmtpMailer:
    """Plain SMTP to a relay (the city's mail server; aiosmtpd in tests)."""

    def __init__(self, host: str, port: int, timeout: float = SMTP_TIMEOUT_S) -> None:
        self.host, self.port, self.timeout = host, port, timeout

    def __repr__(self) -> str:
        return f"<SmtpMailer {self.host}:{self.port}>"

    async def send(self, mail: EmailMessage) -> None:
        try:
            await asyncio.to_thread(self._send, mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailFailed(f"SMTP {self.host}:{self.port}: {exc}") from exc

    def _send(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(mail)


def _key(message_id: str) -> str:
    return f"vaxel:msg:{message_id}"


class MessageStore:
    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client

    @classmethod
    def from_url(cls, url: str) -> MessageStore:
        return cls(redis_client(url))

    async def close(self) -> None:
        await self.client.aclose()

    async def save(self, message: m.Message) -> None:
        """Write the message and file it under pending or sent, in one transaction."""
        data = json.dumps(message.to_dict(), ensure_ascii=False)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.set(_key(message.id), data)
                if message.sent_at is not None:
                    pipe.zrem(PENDING, message.id)
                    pipe.zadd(SENT, {message.id: message.sent_at.timestamp()})
                else:
                    due = message.next_try_at or message.created_at
                    pipe.zadd(PENDING, {message.id: due.timestamp()})
                await pipe.execute()
        except RedisError as exc:
            raise StoreUnavailable(f"saving message {message.id}: {exc}") from exc

    async def lock(self, message_id: str, holder: str, seconds: int = DELIVERY_LOCK_S) -> bool:
        """Take the right to mail this message now (False: another controller has it)."""
        try:
            return bool(await self.client.set(f"vaxel:msg:lock:{message_id}", holder,
                                               nx=True, ex=seconds))
        except RedisError as exc:
            raise StoreUnavailable(f"locking message {message_id}: {exc}") from exc

    async def unlock(self, message_id: str) -> None:
        try:
            await self.client.delete(f"vaxel:msg:lock:{message_id}")
        except RedisError as exc:
            raise StoreUnavailable(f"unlocking message {message_id}: {exc}") from exc

    async def get(self, message_id: str) -> m.Message | None:
        try:
            raw = await self.client.get(_key(message_id))
        except RedisError as exc:
            raise StoreUnavailable(f"loading message {message_id}: {exc}") from exc
        return m.Message.from_dict(json.loads(raw)) if raw else None

    async def pending(self, due_by: datetime | None = None) -> list[m.Message]:
        """Undelivered messages, next try first (only those due by ``due_by`` if given)."""
        top: Any = due_by.timestamp() if due_by else "+inf"
        try:
            ids = await self.client.zrangebyscore(PENDING, "-inf", top)
        except RedisError as exc:
            raise StoreUnavailable(f"listing pending messages: {exc}") from exc
        found = [await self.get(str(i)) for i in ids]
        return [msg for msg in found if msg is not None]


class MessageSpool:
    """Messages Redis could not take, one ``<id>.json`` file each, until Redis is back.

    Files are written to a temporary name and renamed, so a crash never leaves half a
    message; a file that cannot be read is renamed ``<id>.json.bad`` and logged, not
    dropped."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __repr__(self) -> str:
        return f"<MessageSpool {self.folder}>"

    def put(self, message: m.Message) -> Path:
        """Write (or rewrite) the message; raises ``StoreUnavailable`` naming the folder."""
        path = self.folder / f"{message.id}.json"
        temporary = path.with_suffix(".json.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with temporary.open("w", encoding="utf-8") as out:
                json.dump(message.to_dict(), out, ensure_ascii=False)
                out.flush()
                os.fsync(out.fileno())
            temporary.replace(path)
        except OSError as exc:
            raise StoreUnavailable(f"spooling message {message.id} in {self.folder}: "
                                   f"{exc.strerror or exc}") from exc
        return path

    def items(self) -> list[tuple[Path, m.Message]]:
        """The spooled messages, oldest file first."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime):
            try:
                message = m.Message.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.error("message.spool_unreadable", path=str(path), error=str(exc))
                path.replace(path.with_suffix(".json.bad"))
                continue
            found.append((path, message))
        return found

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)


def message_spool(config: Config) -> MessageSpool:
    """Where messages wait when Redis cannot take them (``smtp.spool_dir``), in a
    subfolder named after the Redis they are meant for (host, port, database; never
    a password), so that they are moved into that Redis and no other."""
    folder = config.smtp.spool_dir
    base = Path(folder).expanduser() if folder else cache_dir() / "message-spool"
    name = storage_name(config.redis.url)
    return MessageSpool(base / re.sub(r"[^A-Za-z0-9.-]+", "_", name))


class MessageDesk:
    """Takes messages (store first, then mail) and retries the ones that failed."""

    def __init__(self, store: MessageStore, mailer: Mailer, sender: str,
                 new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
                 spool: MessageSpool | None = None) -> None:
        self.store, self.mailer, self.sender, self.new_id = store, mailer, sender, new_id
        self.spool = spool
        self.holder = uuid.uuid4().hex[:12]

    def __repr__(self) -> str:
        return f"<MessageDesk from {self.sender} via {self.mailer!r}>"

    async def take(self, recipient: m.Recipient, kind: m.Kind, caller_number: str, text: str,
                   now: datetime, *, taken_by: str = "", call_id: str = "",
                   recording: str = "", recording_s: float = 0.0,
                   caller_names: Sequence[str] = ()) -> m.Message:
        """Record the message, then try to mail it once; it stays pending if that fails."""
        message = m.Message(self.new_id(), recipient, kind, caller_number.strip(), text.strip(),
                            now, taken_by=taken_by, call_id=call_id, recording=recording,
                            recording_s=recording_s, caller_names=tuple(caller_names))
        try:
            await self.store.save(message)
        except StoreUnavailable as exc:
            if self.spool is None:
                raise
            return await self._take_spooled(message, now, exc)
        log.info("message.taken", message_id=message.id, employee=recipient.employee_id,
                 kind=kind.value)
        return await self._deliver(message, now)

    async def _take_spooled(self, message: m.Message, now: datetime,
                            problem: StoreUnavailable) -> m.Message:
        """Redis is down: spool the message, try the mail once, spool the outcome."""
        assert self.spool is not None
        spool = self.spool
        await asyncio.to_thread(spool.put, message)
        log.warning("message.spooled", message_id=message.id, kind=message.kind.value,
                    employee=message.recipient.employee_id, error=str(problem))
        message = await self._mail(message, now)
        await asyncio.to_thread(spool.put, message)
        return message

    async def deliver_due(self, now: datetime) -> Sequence[m.Message]:
        """Move spooled messages into Redis, then try every pending message whose next
        try is due; returns those as they are now."""
        await self.unspool()
        return [await self._deliver(msg, now) for msg in await self.store.pending(due_by=now)]

    async def unspool(self) -> int:
        """Save each spooled message in Redis, then remove its file; how many moved. A
        Redis failure stops the round (``StoreUnavailable``); the rest stay spooled."""
        if self.spool is None:
            return 0
        spool = self.spool
        moved = 0
        for path, message in await asyncio.to_thread(spool.items):
            await self.store.save(message)
            await asyncio.to_thread(spool.remove, path)
            log.info("message.unspooled", message_id=message.id,
                     sent=message.sent_at is not None)
            moved += 1
        return moved

    async def _deliver(self, message: m.Message, now: datetime) -> m.Message:
        """Mail it unless another controller is mailing it right now (then it is returned
        as it is and stays pending for that one)."""
        if not await self.store.lock(message.id, self.holder):
            return message
        try:
            return await self._send(message, now)
        finally:
            await self.store.unlock(message.id)

    async def _send(self, message: m.Message, now: datetime) -> m.Message:
        message = await self._mail(message, now)
        await self.store.save(message)
        return message

    async def _mail(self, message: m.Message, now: datetime) -> m.Message:
        """One SMTP attempt; the message as it is after it (delivered, or failed once)."""
        try:
            recording = await asyncio.to_thread(_recording_bytes, message.recording)
            await self.mailer.send(m.compose(message, self.sender, recording))
        except MailFailed as exc:
            message = m.failed(message, str(exc), now)
            log.warning("message.mail_failed", message_id=message.id, error=str(exc),
                        attempts=message.attempts, next_try_at=str(message.next_try_at))
        else:
            message = m.delivered(message, now)
            log.info("message.mailed", message_id=message.id, attempts=message.attempts)
        return message


def _recording_bytes(path: str) -> bytes | None:
    """The recording to attach: None when there is none, it is gone, or it is too large
    (the e-mail then names its path)."""
    if not path:
        return None
    try:
        file = Path(path)
        if file.stat().st_size > m.MAX_ATTACHMENT_BYTES:
            return None
        return file.read_bytes()
    except OSError as exc:
        log.warning("message.recording_unreadable", path=path, error=str(exc))
        return None


async def deliver_forever(desk: MessageDesk, every_s: float,
                          clock: Callable[[], datetime]) -> None:
    """The controller's delivery loop: every ``every_s`` seconds, mail what is due. A
    store or mail failure is logged and tried again next round; cancel to stop."""
    while True:
        try:
            for message in await desk.deliver_due(clock()):
                if message.sent_at is None:
                    log.info("message.still_pending", message_id=message.id,
                             attempts=message.attempts, error=message.last_error)
        except SwitchboardError as exc:
            log.error("message.delivery_round_failed", error=str(exc))
        await asyncio.sleep(every_s)
