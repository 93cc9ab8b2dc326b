"""A direct call nobody answers reaches the ACD with the callee's unit as requirements.

The real Asterisk 22, Redis and the ACD router: a citizen dials Anna's extension (4711);
her phone and her unit's answering group ring unanswered; the direct flow hands the call
over to ``kontaktcenter`` with ``topic=bygglov;district=sodermalm`` and priority 5. Of two
free agents with the topic, the one who knows Södermalm answers (the first escalation step
requires topic and district).
"""

from __future__ import annotations

import dataclasses

import pytest

from routing.model import CallState
from tests.integration.acd import AcdController, acd_config_for, ivr_call_id, login
from tests.integration.test_acd_calls import store, wait_state  # noqa: F401 (fixture)
from tests.integration.test_direct_calls import UNIT_GROUP_RING_S, seed
from vaxel.config import GroupConfig

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
        acd, harness, store):  # noqa: F811
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
