"""A direct call nobody answers reaches the ACD with the callee's unit as requirements.

The real Asterisk 22, Redis and the ACD router: a citizen dials Anna's extension (4711);
her phone and her unit's answering group ring unanswered; the direct flow hands the call
over to ``kontaktcenter`` with ``topic=bygglov;district=sodermalm`` and priority 5. Of two
free agents with the topic, the one who knows Södermalm answers (the first escalation step
requires topic and district), and sees who was called and why it failed (the call's context,
through the API and ``vaxel agent status``). With nobody staffed in open hours, the live
ACD's load makes the flow offer a message or callback instead of the queue.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from infra.config import GroupConfig
from routing.errors import UnknownCall
from routing.model import CallState
from switchboard.agent_call import agent_call
from switchboard.context import Outcome
from switchboard.context_store import CallContextStore
from tests.integration.acd import AcdController, acd_config_for, ivr_call_id, login
from tests.integration.test_acd_calls import store, wait_state  # noqa: F401 (fixture)
from tests.integration.test_direct_calls import UNIT_GROUP_RING_S, seed
from vaxel.cli import main

pytestmark = pytest.mark.integration

QUEUE = {"ring_timeout_s": 6, "wrap_up_s": 1, "hold_s": 2, "callback_after_s": 0,
         "escalation": ["0:topic,district", "60:topic"]}


@pytest.fixture
async def acd(tmp_path, fastagi_port, redis_server, asterisk):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    seed(url)
    config = acd_config_for(tmp_path, fastagi_port, redis_server, asterisk, url, QUEUE)
    unit_group = GroupConfig(("Local/3000@sim-phones",), UNIT_GROUP_RING_S)
    config = dataclasses.replace(config, groups={**config.groups, "grp-bygglov": unit_group})
    c = await AcdController(config).start()
    await c.wait_router()
    yield c
    await c.stop()


async def test_given_direct_call_unanswered_then_agent_knowing_the_units_district_answers(
        acd, harness, store, tmp_path):  # noqa: F811
    await harness.set_phone("4711", "noanswer")
    await harness.set_phone("3000", "noanswer")
    await login(store, "anna", "2001", {"topic:bygglov": 5, "district:norrmalm": 5})
    await login(store, "bo", "2002", {"topic:bygglov": 1, "district:sodermalm": 1})
    call = await harness.call("4711", timeout=120)
    await harness.wait_answered("2002", timeout=40)
    call_id = ivr_call_id(call)
    await wait_state(store, call_id, CallState.CONNECTED)
    queued = await store.call(call_id)
    assert queued.agent_id == "bo" and queued.priority == 5
    assert set(queued.requirements) == {"topic:bygglov", "district:sodermalm", "lang:sv"}
    saved = await acd.controller.store.load(call_id)
    assert saved.flow == "direct" and saved.callee.name == "Anna Ekström"
    assert [s for s in saved.path if s.startswith("dialstatus:")] == [
        "dialstatus:NOANSWER", "dialstatus:NOANSWER"]
    await the_agent_sees_who_was_called(store, call_id, acd.config.redis.url, tmp_path)


async def the_agent_sees_who_was_called(store, call_id, redis_url, tmp_path):  # noqa: F811
    """Through the API (``switchboard.agent_call``) and ``vaxel agent status bo``."""
    contexts = CallContextStore(store.client)
    found = await agent_call(store, contexts, "bo")
    assert found.agent.call_id == call_id and found.context is not None
    assert [(a.target, a.target_name, a.outcome, a.by) for a in found.context.attempts] == [
        ("4711", "Anna Ekström", Outcome.NO_ANSWER, "ivr"),
        ("grp-bygglov", "svarsgrupp (answering group) grp-bygglov", Outcome.NO_ANSWER, "ivr")]
    assert "extension:4711" in found.context.ivr_path
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    code, out = await asyncio.to_thread(_agent_status, redis_url, url)
    assert code == 0
    assert f"Samtal (call) {call_id}:" in out
    assert "Sökte (tried) Anna Ekström (4711)" in out and "inget svar (no answer)" in out


def _agent_status(redis_url: str, directory_url: str) -> tuple[int, str]:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["agent", "status", "bo", "--redis", redis_url,
                     "--directory-url", directory_url])
    return code, buffer.getvalue()


async def test_given_nobody_staffed_in_open_hours_then_callback_is_offered_and_mailed(
        tmp_path, fastagi_port, redis_server, asterisk, harness, store):  # noqa: F811
    """The live ACD reports its load: open hours, but no agent logged in, so the direct
    flow's ``queue_status`` node says ``nobody`` and the caller orders a callback for Anna
    instead of waiting in a queue nobody serves. Only one agent is logged in, paused."""
    from infra.config import SmtpConfig
    from switchboard.message_store import MessageStore
    from tests.switchboard.smtp import smtp_server
    from vaxel.testing.services import free_port

    url = f"sqlite:///{tmp_path / 'directory.db'}"
    seed(url)
    smtp_port = free_port()
    config = acd_config_for(tmp_path, fastagi_port, redis_server, asterisk, url, QUEUE)
    unit_group = GroupConfig(("Local/3000@sim-phones",), UNIT_GROUP_RING_S)
    config = dataclasses.replace(
        config, groups={**config.groups, "grp-bygglov": unit_group},
        smtp=SmtpConfig(host="127.0.0.1", port=smtp_port, sender="vaxel@stad.example",
                        mail_domain="stad.example", deliver_every_s=1, timeout_s=2))
    acd = await AcdController(config).start()
    messages = MessageStore.from_url(redis_server.url)
    try:
        await acd.wait_router()
        await login(store, "anna", "2001", {"topic:bygglov": 5})
        await store.pause("anna", "lunch", now=0.0)
        await harness.set_phone("4711", "noanswer")
        await harness.set_phone("3000", "noanswer")
        with smtp_server(smtp_port) as inbox:
            call = await harness.call("4711", caller_id="0701234567", timeout=120)
            await call.wait_listening(timeout=60)     # "lämna meddelande 1, bli uppringd 2"
            await call.send_digits("2")
            await call.wait_hangup(timeout=40)
            [mail] = inbox.mails
        call_id = ivr_call_id(call)
        saved = await acd.controller.store.load(call_id)
        path = " -> ".join(saved.path)
        assert "queue-status:nobody" in path and "offer_message -> key:2" in path, path
        assert "callback:taken" in saved.path
        assert mail["To"] == "Anna Ekström <anna.ekstrom@stad.example>"
        assert "0701234567" in mail["Subject"]
        assert await messages.pending() == []
        with pytest.raises(UnknownCall):            # never queued
            await store.call(call_id)
    finally:
        await messages.close()
        await acd.stop()
