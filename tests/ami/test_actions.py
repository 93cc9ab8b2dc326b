"""The guarded AMI client's actions and events over a live connection (fake AMI)."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from infra.ami import AmiActionFailed, AmiClient
from tests.ami.fake import FakeAmi, eventually


async def test_originate_is_async_with_our_channel_id_and_returns_its_own_response(
    fake: FakeAmi, client: AmiClient
) -> None:
    response = await client.originate(
        "Local/100@inbound/n",
        context="caller-script",
        exten="s",
        variables={"TEST_DIGITS": "1", "CALL": "7"},
        channel_id="test-call-7",
        timeout=5,
    )
    assert response["ActionID"] != "someone-else"
    assert (response["Response"], response["Uniqueid"]) == ("Success", "test-call-7")
    (sent,) = fake.actions("Originate")
    assert (sent["Async"], sent["ChannelId"], sent["Timeout"]) == ("true", "test-call-7", "5000")
    assert sent["Variable"] == ["TEST_DIGITS=1", "CALL=7"]
    assert (sent["Context"], sent["Exten"], sent["Priority"]) == ("caller-script", "s", "1")


async def test_originate_needs_a_destination(client: AmiClient) -> None:
    with pytest.raises(ValueError, match="either context and exten, or application"):
        await client.originate("Local/1@x", context="only-context")


async def test_successfully_queued_reply_returns_and_keeps_the_connection(
    fake: FakeAmi, client: AmiClient
) -> None:
    reply = await client.action({"Action": "PlayDTMF", "Channel": "Local/1@x;1", "Digit": "1"})
    assert reply["Message"] == "DTMF successfully queued"
    assert (await client.action({"Action": "Getvar", "Variable": "X"}))["Value"] == "42"
    assert fake.connections == 1


async def test_error_reply_raises_action_failed_with_the_message(client: AmiClient) -> None:
    with capture_logs() as logs:
        with pytest.raises(AmiActionFailed) as info:
            await client.action({"Action": "Frobnicate"})
    assert info.value.action == "Frobnicate"
    assert info.value.message is not None
    assert info.value.reason == "Invalid/unknown command"
    failed = [e for e in logs if e["event"] == "ami.action.failed"]
    assert failed[0]["action"] == "Frobnicate" and isinstance(failed[0]["ms"], float)


async def test_unanswered_action_times_out(fake: FakeAmi, client: AmiClient) -> None:
    fake.silent.add("getvar")
    with pytest.raises(AmiActionFailed, match="no reply in 0.1 s"):
        await client.action({"Action": "Getvar", "Variable": "X"}, timeout=0.1)


async def test_events_reach_the_subscribers_whose_predicate_matches(
    fake: FakeAmi, client: AmiClient
) -> None:
    hangups = client.subscribe(lambda e: e.get("Event") == "Hangup")
    everything = client.subscribe()
    fake.event(Event="Newchannel", Channel="Local/1@x;1")
    fake.event(Event="Hangup", Channel="Local/1@x;1", Cause="16")
    hangup = await hangups.get(timeout=2)
    assert (hangup["Event"], hangup["cause"]) == ("Hangup", "16")
    assert [(await everything.get(timeout=2))["Event"] for _ in range(2)] == [
        "Newchannel",
        "Hangup",
    ]
    assert hangups.queue.empty()
    fake.event(Event="Hangup", Channel="Local/3@x;1")
    async for event in hangups:
        assert event["Channel"] == "Local/3@x;1"
        break
    assert (await everything.get(timeout=2))["Channel"] == "Local/3@x;1"
    hangups.close()
    fake.event(Event="Hangup", Channel="Local/2@x;1")
    assert (await everything.get(timeout=2))["Channel"] == "Local/2@x;1"
    assert hangups.queue.empty()


async def test_core_show_channels_collects_the_list(client: AmiClient) -> None:
    channels = await client.core_show_channels()
    assert [c["Uniqueid"] for c in channels] == ["1732600000.1", "1732600000.2"]


async def test_action_cancelled_as_its_reply_arrives_stays_cancelled(
    fake: FakeAmi, client: AmiClient
) -> None:
    # Python 3.11's wait_for returned the reply here and lost the cancellation, so a
    # controller stopping while it rebuilt its state ran on (and its stop hung).
    fake.silent.add("getvar")
    task = asyncio.create_task(client.action({"Action": "Getvar", "Variable": "X"}, 5))
    await eventually(lambda: fake.actions("Getvar") and client._inflight)
    (_name, future), = client._inflight.values()
    future.set_result([])
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not client._inflight
