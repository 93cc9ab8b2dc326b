"""Messages for employees: the pure core, and the desk against real Redis and a real
SMTP server (aiosmtpd) on a loopback port chosen by the OS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from switchboard import messages as m
from switchboard.errors import StoreUnavailable
from switchboard.message_store import MessageDesk, MessageSpool, MessageStore, SmtpMailer
from tests.switchboard.smtp import smtp_server
from vaxel.testing.services import RedisServer, free_port

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ANNA = m.Recipient("e4711", "Anna Ekström", "anna.ekstrom@stad.example")


def test_address_follows_the_city_pattern_in_plain_ascii():
    assert m.address_for("Anna-Karin", "Ekström Öberg", "stad.example") == \
        "anna-karin.ekstrom-oberg@stad.example"


def test_given_a_callback_without_number_then_it_is_refused_naming_the_field():
    with pytest.raises(m.MessageError, match="caller_number"):
        m.Message("x", ANNA, m.Kind.CALLBACK, " ", "", T0)


def test_given_a_bad_address_then_the_recipient_is_refused():
    with pytest.raises(m.MessageError, match="address"):
        m.Recipient("e1", "A", "not-an-address")


def test_failed_deliveries_back_off_and_keep_the_message_pending():
    msg = m.Message("x", ANNA, m.Kind.MESSAGE, "0701", "hej", T0)
    once = m.failed(msg, "refused", T0)
    twice = m.failed(once, "refused", T0)
    assert once.next_try_at == T0 + timedelta(seconds=m.RETRY_DELAYS_S[0])
    assert twice.next_try_at == T0 + timedelta(seconds=m.RETRY_DELAYS_S[1])
    assert twice.sent_at is None and twice.attempts == 2
    assert m.Message.from_dict(twice.to_dict()) == twice


def test_the_mail_names_the_caller_and_the_local_time_in_swedish_and_english():
    mail = m.compose(m.Message("x", ANNA, m.Kind.CALLBACK, "0701234567", "Om bygglovet", T0,
                               taken_by="op1000"), "vaxel@stad.example")
    body = mail.get_content()
    assert mail["Subject"] == "Ring tillbaka (callback request): 0701234567"
    assert "2026-11-24 10:00" in body and "The caller asks to be called back" in body
    assert "Om bygglovet" in body and "op1000" in body


@pytest.fixture
def smtp():
    with smtp_server() as inbox:
        yield inbox, inbox.port


@pytest.fixture
async def desk(smtp):
    with RedisServer() as server:
        store = MessageStore.from_url(server.url)
        yield MessageDesk(store, SmtpMailer("127.0.0.1", smtp[1]), "vaxel@stad.example")
        await store.close()


async def test_a_taken_message_is_mailed_through_real_smtp_and_filed_as_sent(desk, smtp):
    inbox, _ = smtp
    msg = await desk.take(ANNA, m.Kind.MESSAGE, "0701234567", "Ring om bygglovet", T0,
                          taken_by="op1000")
    assert msg.sent_at == T0
    [mail] = inbox.mails
    assert mail["To"] == "Anna Ekström <anna.ekstrom@stad.example>"
    assert "Ring om bygglovet" in mail.get_content()
    assert await desk.store.pending() == []


async def test_given_smtp_refusing_then_the_message_stays_pending_and_a_retry_delivers_it(
        desk, smtp):
    inbox, _ = smtp
    inbox.refuse = True
    msg = await desk.take(ANNA, m.Kind.CALLBACK, "0701234567", "", T0)
    assert msg.sent_at is None and "451" in msg.last_error
    assert [p.id for p in await desk.store.pending()] == [msg.id]
    assert await desk.deliver_due(T0 + timedelta(seconds=1)) == []   # not due yet
    inbox.refuse = False
    [retried] = await desk.deliver_due(T0 + timedelta(seconds=m.RETRY_DELAYS_S[0]))
    assert retried.sent_at is not None and retried.attempts == 2
    assert len(inbox.mails) == 1 and await desk.store.pending() == []


async def test_given_no_smtp_server_then_nothing_is_lost(desk):
    desk.mailer = SmtpMailer("127.0.0.1", free_port(), timeout=2)
    msg = await desk.take(ANNA, m.Kind.MESSAGE, "0701", "hej", T0)
    stored = await desk.store.get(msg.id)
    assert stored == msg and stored.sent_at is None and stored.last_error


# ---- messages the IVR takes: recipient choice, recording, reverse lookup -----------------

def _employee():
    from directory.entities import Employee
    return Employee("e4711", "Anna", "Ekström", "", "u-bygglov", "4711")


def _unit():
    from directory.entities import Unit
    return Unit("u-bygglov", "Bygglovsenheten")


def test_recipient_is_the_employee_then_the_unit_mailbox_then_the_switchboard():
    assert m.choose_recipient(_employee(), _unit(), "stad.example", "vaxel@stad.example") == \
        m.Recipient("e4711", "Anna Ekström", "anna.ekstrom@stad.example")
    assert m.choose_recipient(None, _unit(), "stad.example", "vaxel@stad.example") == \
        m.Recipient("unit:u-bygglov", "Bygglovsenheten", "u-bygglov@stad.example")
    assert m.choose_recipient(None, None, "stad.example", "vaxel@stad.example").address == \
        "vaxel@stad.example"


def test_recording_is_attached_or_named_and_the_reverse_lookup_is_in_the_mail():
    msg = m.Message("x", ANNA, m.Kind.MESSAGE, "0701", "röstmeddelande", T0,
                    recording="/var/msg/c1.wav", recording_s=4.0, caller_names=("Eva Ek",))
    attached = m.compose(msg, "vaxel@stad.example", b"RIFF....")
    [wav] = list(attached.iter_attachments())
    assert wav.get_content_type() == "audio/wav" and wav.get_content() == b"RIFF...."
    body = attached.get_body(("plain",)).get_content()
    assert "Numret tillhör (the number belongs to): Eva Ek" in body
    named = m.compose(msg, "vaxel@stad.example", None)
    assert list(named.iter_attachments()) == []
    assert "/var/msg/c1.wav" in named.get_body(("plain",)).get_content()


def test_recording_and_reverse_lookup_survive_the_round_trip_through_json():
    msg = m.Message("x", ANNA, m.Kind.MESSAGE, "0701", "", T0, recording="/m/c1.wav",
                    recording_s=2.5, caller_names=("Eva Ek",))
    assert m.Message.from_dict(msg.to_dict()) == msg


async def test_given_two_controllers_then_only_the_lock_holder_mails_a_message():
    with RedisServer() as redis_server, smtp_server() as inbox:
        store = MessageStore.from_url(redis_server.url)
        try:
            first = MessageDesk(store, SmtpMailer("127.0.0.1", inbox.port), "vaxel@stad.example")
            second = MessageDesk(store, SmtpMailer("127.0.0.1", inbox.port), "vaxel@stad.example")
            msg = m.Message("x", ANNA, m.Kind.MESSAGE, "0701", "hej", T0)
            await store.save(msg)
            assert await store.lock("x", "someone-else")
            assert await first.deliver_due(T0) == [msg]       # held elsewhere: left alone
            await store.unlock("x")
            [sent] = await second.deliver_due(T0)
            assert sent.sent_at == T0 and len(inbox.mails) == 1
        finally:
            await store.close()


# ---- Redis down: the local spool --------------------------------------------------------

@pytest.fixture
async def down_desk(smtp, tmp_path):
    """A desk whose Redis does not answer (nothing listens on its port), with a spool."""
    store = MessageStore.from_url(f"redis://127.0.0.1:{free_port()}/0")
    desk = MessageDesk(store, SmtpMailer("127.0.0.1", smtp[1], timeout=2), "vaxel@stad.example",
                       spool=MessageSpool(tmp_path / "spool"))
    yield desk
    await desk.store.close()


async def back_up(desk: MessageDesk, server: RedisServer) -> None:
    await desk.store.close()
    desk.store = MessageStore.from_url(server.url)


async def test_given_redis_down_then_the_message_is_spooled_mailed_and_moved_into_redis_later(
        down_desk, smtp, tmp_path):
    inbox, _ = smtp
    msg = await down_desk.take(ANNA, m.Kind.MESSAGE, "0701234567", "Ring om bygglovet", T0)
    assert msg.sent_at == T0 and len(inbox.mails) == 1
    [(path, spooled)] = down_desk.spool.items()
    assert path.name == f"{msg.id}.json" and spooled == msg
    with pytest.raises(StoreUnavailable):           # Redis still down: the spool stays
        await down_desk.deliver_due(T0)
    assert len(down_desk.spool.items()) == 1
    with RedisServer() as server:
        await back_up(down_desk, server)
        assert await down_desk.deliver_due(T0 + timedelta(seconds=5)) == []
        assert await down_desk.store.get(msg.id) == msg          # filed as sent
        assert await down_desk.store.pending() == []
    assert down_desk.spool.items() == [] and len(inbox.mails) == 1   # not mailed twice


async def test_given_redis_and_smtp_down_then_the_spooled_message_is_mailed_when_both_are_back(
        down_desk, smtp):
    inbox, _ = smtp
    inbox.refuse = True
    msg = await down_desk.take(ANNA, m.Kind.CALLBACK, "0701234567", "", T0)
    assert msg.sent_at is None and msg.attempts == 1
    inbox.refuse = False
    with RedisServer() as server:
        await back_up(down_desk, server)
        [mailed] = await down_desk.deliver_due(T0 + timedelta(seconds=m.RETRY_DELAYS_S[0]))
        assert mailed.id == msg.id and mailed.sent_at is not None and mailed.attempts == 2
        assert await down_desk.store.pending() == []
    assert len(inbox.mails) == 1 and down_desk.spool.items() == []


async def test_an_unreadable_spool_file_is_set_aside_and_the_others_move(smtp, tmp_path):
    spool = MessageSpool(tmp_path / "spool")
    good = m.Message("good", ANNA, m.Kind.MESSAGE, "0701", "hej", T0)
    spool.put(good)
    (tmp_path / "spool" / "broken.json").write_text("{not json", encoding="utf-8")
    with RedisServer() as server:
        store = MessageStore.from_url(server.url)
        desk = MessageDesk(store, SmtpMailer("127.0.0.1", smtp[1]), "vaxel@stad.example",
                           spool=spool)
        assert await desk.unspool() == 1
        assert await store.get("good") == good
        await store.close()
    assert sorted(p.name for p in (tmp_path / "spool").iterdir()) == ["broken.json.bad"]


async def test_given_redis_down_and_the_spool_unwritable_then_take_fails_naming_the_folder(
        smtp, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    store = MessageStore.from_url(f"redis://127.0.0.1:{free_port()}/0")
    desk = MessageDesk(store, SmtpMailer("127.0.0.1", smtp[1]), "vaxel@stad.example",
                       spool=MessageSpool(blocker / "spool"))
    with pytest.raises(StoreUnavailable, match="not-a-folder"):
        await desk.take(ANNA, m.Kind.MESSAGE, "0701", "hej", T0)
    await store.close()
    assert smtp[0].mails == []


def test_the_spool_folder_is_per_redis_and_never_names_a_password(tmp_path):
    from infra.config import parse_config
    from vaxel.service import message_spool

    config = parse_config({"redis": {"url": "redis://:s3cret@10.0.0.5:6380/2"},
                           "smtp": {"spool_dir": str(tmp_path)}}, "test", env={})
    assert message_spool(config).folder == tmp_path / "10.0.0.5-6380-2"
def test_given_directory_addresses_then_messages_go_there_instead_of_the_rule():
    from dataclasses import replace
    anna = replace(_employee(), email="anna.ekstrom2@stad.example")
    unit = replace(_unit(), email="bygglovsenheten@stad.example")
    assert m.choose_recipient(anna, unit, "stad.example", "vaxel@stad.example") == \
        m.Recipient("e4711", "Anna Ekström", "anna.ekstrom2@stad.example")
    assert m.choose_recipient(None, unit, "stad.example", "vaxel@stad.example") == \
        m.Recipient("unit:u-bygglov", "Bygglovsenheten", "bygglovsenheten@stad.example")
