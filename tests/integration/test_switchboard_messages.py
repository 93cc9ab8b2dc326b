"""A message taken for an employee during a real call is recorded and e-mailed over real
SMTP (aiosmtpd on loopback); with the SMTP server down it stays pending, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra.ami import AmiClient
from switchboard import messages as m
from switchboard.ami_operator import Operator
from switchboard.message_store import MessageDesk, MessageStore, SmtpMailer
from tests.integration.controller import seed_directory
from tests.switchboard.smtp import smtp_server
from vaxel.testing.services import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def smtp():
    with smtp_server() as inbox:
        yield inbox, inbox.port


async def test_operator_takes_a_callback_request_during_a_call_and_it_is_mailed(
        harness, asterisk, redis_server, smtp, tmp_path):
    inbox, smtp_port = smtp
    directory = seed_directory(f"sqlite:///{tmp_path / 'directory.db'}")
    p = asterisk.params
    ami = AmiClient("127.0.0.1", p.ami_port, p.ami_user, p.ami_secret)
    await ami.connect()
    store = MessageStore.from_url(redis_server.url)
    try:
        await harness.set_phone("1000", "answer")
        call = await harness.call("1000", caller_id="0701234567",
                                  context="vaxel-switchboard-sim")
        await harness.wait_answered("1000")
        caller = (await call.wait_for(lambda e: e.get("Uniqueid") == f"{call.id}-2"
                                      and bool(e.get("Channel")), what="caller"))["Channel"]
        op = Operator(ami, operator_id="op1000", device="Local/1000@sim-phones")
        number = await op.getvar(caller, "CALLERID(num)")
        anna = directory.employee_by_extension("4711")
        recipient = m.Recipient(anna.id, "Anna Ekström",
                                m.address_for(anna.given_name, anna.family_name, "stad.example"))
        now = datetime.now(UTC)

        down = MessageDesk(store, SmtpMailer("127.0.0.1", free_port(), timeout=2),
                           "vaxel@stad.example")
        kept = await down.take(recipient, m.Kind.CALLBACK, number, "Om bygglovet", now,
                               taken_by="op1000", call_id=f"{call.id}-2")
        assert kept.sent_at is None
        assert [x.id for x in await store.pending()] == [kept.id]

        up = MessageDesk(store, SmtpMailer("127.0.0.1", smtp_port), "vaxel@stad.example")
        [sent] = await up.deliver_due(now + timedelta(seconds=m.RETRY_DELAYS_S[0]))
        assert sent.sent_at is not None and await store.pending() == []
        [mail] = inbox.mails
        assert mail["To"] == "Anna Ekström <anna.ekstrom@stad.example>"
        assert mail["Subject"] == "Ring tillbaka (callback request): 0701234567"
        assert "Om bygglovet" in mail.get_content()
        assert (await store.get(kept.id)).call_id == f"{call.id}-2"
    finally:
        await store.close()
        await ami.close()
