"""Nothing lost when the contact center is closed: the caller leaves a message or orders a
callback for the person they called, and it is e-mailed over real SMTP (aiosmtpd on loopback).

The real Asterisk 22 and Redis: a citizen dials Anna's extension (4711) at 20:00 on a
Tuesday; her phone rings unanswered; the direct flow finds the contact center closed and
offers a message (1) or a callback (2). The recording is Asterisk's own (RECORD FILE; the
simulated caller sends music, so the recording runs to the flow's ``max_seconds``, shortened
here). The message is in Redis before the e-mail is tried; with the SMTP server down it
stays pending and the controller's delivery loop mails it once the server is up. The
message goes by the city's address rule (anna.ekstrom@) unless the directory holds an
address of Anna's own (the callback test gives her one: a second Anna Ekström's).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from directory.api import Directory
from infra.config import SmtpConfig
from switchboard import messages as m
from switchboard.context import Outcome
from switchboard.message_store import MessageStore
from tests.integration.acd import wait_for
from tests.integration.controller import ControllerUnderTest
from tests.integration.test_direct_calls import seed
from tests.switchboard.smtp import smtp_server
from vaxel.testing.services import free_port

pytestmark = pytest.mark.integration
#: A Tuesday evening: the contact center is closed, direct calls still ring.
EVENING = datetime(2026, 11, 24, 20, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
#: The longest recording in the test flows (seconds), so a call takes seconds.
RECORD_S = 3
CALLER = "0701234567"
#: Anna's address in the directory in the callback test (the city has two Anna Ekström).
ANNA_OWN_ADDRESS = "anna.ekstrom2@stad.example"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
async def controller(tmp_path, fastagi_port, redis_server, asterisk, smtp_port):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    seed(url)
    c = ControllerUnderTest.on(tmp_path, fastagi_port, redis_server, asterisk, url)
    for path in (tmp_path / "dialplans").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"max_seconds: \d+", f"max_seconds: {RECORD_S}", text),
                        encoding="utf-8")
    c.config = dataclasses.replace(c.config, smtp=SmtpConfig(
        host="127.0.0.1", port=smtp_port, sender="vaxel@stad.example",
        mail_domain="stad.example", deliver_every_s=1, timeout_s=2))
    c.clock_at = EVENING
    await c.start()
    yield c
    await c.stop()


@pytest.fixture
async def messages(redis_server):
    store = MessageStore.from_url(redis_server.url)
    yield store
    await store.close()


async def call_closed_and_choose(harness, key: str):
    """Anna does not answer; the contact center is closed; the caller presses ``key``."""
    await harness.set_phone("4711", "noanswer")
    call = await harness.call("4711", caller_id=CALLER, timeout=120)
    await call.wait_listening(timeout=40)        # "lämna meddelande 1, bli uppringd 2"
    await call.send_digits(key)
    await call.wait_hangup(timeout=40)           # after "thank you ... goodbye"
    return call


async def test_given_closed_contact_center_then_recorded_message_is_mailed_with_recording(
        controller, harness, messages, smtp_port):
    with smtp_server(smtp_port) as inbox:
        call = await call_closed_and_choose(harness, "1")
        call_id = f"{call.id}-2"
        [mail] = inbox.mails
        saved = await controller.saved_call(call_id)
    assert "closed" in saved.path and "message:taken" in saved.path
    assert "offer_message -> key:1" in " -> ".join(saved.path)  # chosen, not no input
    assert mail["To"] == "Anna Ekström <anna.ekstrom@stad.example>"
    assert mail["Subject"] == f"Meddelande (message): {CALLER}"
    assert "röstmeddelande" in mail.get_body(("plain",)).get_content()
    [wav] = list(mail.iter_attachments())
    data = wav.get_content()
    # Asterisk's wav: a RIFF header, then 8 kHz 16-bit audio of about RECORD_S seconds.
    assert data[:4] == b"RIFF" and len(data) > 44 + 16000 * (RECORD_S - 1)
    assert await messages.pending() == []
    context = await controller.controller.contexts.get(call_id)
    [left] = [x for x in context.attempts if x.outcome is Outcome.MESSAGE]
    assert left.target == "e4711" and "anna.ekstrom@stad.example" in left.detail


async def test_given_smtp_down_then_callback_stays_pending_and_is_mailed_when_it_is_up(
        controller, harness, messages, smtp_port):
    directory = Directory.open(controller.config.directory_url)
    try:
        anna = directory.employee_by_extension("4711")
        directory.update_employee(dataclasses.replace(anna, email=ANNA_OWN_ADDRESS))
    finally:
        directory.close()
    call = await call_closed_and_choose(harness, "2")
    call_id = f"{call.id}-2"
    [pending] = await messages.pending()         # in Redis before the mail was tried
    assert pending.kind is m.Kind.CALLBACK and pending.call_id == call_id
    assert pending.caller_number == CALLER and pending.sent_at is None
    assert pending.recipient.address == ANNA_OWN_ADDRESS   # the directory's, not the rule's
    assert pending.attempts >= 1 and f"127.0.0.1:{smtp_port}" in pending.last_error
    with smtp_server(smtp_port) as inbox:
        # The delivery loop retries after RETRY_DELAYS_S[0] seconds.
        await wait_for(lambda: _mailed(inbox), m.RETRY_DELAYS_S[0] + 15,
                       "the delivery loop to mail the pending callback request")
        [mail] = inbox.mails
    assert mail["To"] == f"Anna Ekström <{ANNA_OWN_ADDRESS}>"
    assert mail["Subject"] == f"Ring tillbaka (callback request): {CALLER}"
    assert await messages.pending() == []
    sent = await messages.get(pending.id)
    assert sent.sent_at is not None and sent.attempts >= 2


async def _mailed(inbox) -> bool:
    return bool(inbox.mails)
