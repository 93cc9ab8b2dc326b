"""New node kinds on the real Asterisk 22: dial by name through the SQL directory, and a topic
that enqueues (until the queue side exists, Asterisk's `i` extension rings the operators)."""

from __future__ import annotations

import pytest

from tests.integration.test_ivr_calls import controller, to_main_menu  # noqa: F401

pytestmark = pytest.mark.integration


async def test_given_name_keys_of_one_person_then_that_phone_rings(controller, harness):  # noqa: F811
    call = await to_main_menu(harness)
    await call.send_digits("3")                  # find a person by name
    await call.wait_listening()
    await call.send_digits("357#")               # E K S: Ekström
    await harness.wait_answered("4711")
    saved = await controller.saved_call(f"{call.id}-2")
    assert "names:1" in saved.path and saved.path[-1] == "dial:Local/4711@sim-phones"


async def test_given_topic_then_call_leaves_ivr_for_the_queue_with_requirements(
        controller, harness):  # noqa: F811
    await harness.set_phone("1001", "noanswer")   # the fallback rings 1000 and 1001
    call = await to_main_menu(harness)
    await call.send_digits("4")                  # topics
    await call.wait_listening()
    await call.send_digits("1")                  # schools and preschool
    await harness.wait_answered("1000", timeout=30)   # no queue route yet: operators' fallback
    saved = await controller.saved_call(f"{call.id}-2")
    assert saved.done and saved.path[-1] == "queue:kontaktcenter"
    variables = {e.get("Variable"): e.get("Value") for e in call.events
                 if e.get("Event") == "VarSet" and e.get("Variable", "").startswith("VAXEL_")}
    assert variables["VAXEL_ACTION"] == "queue"
    assert variables["VAXEL_QUEUE"] == "kontaktcenter"
    assert variables["VAXEL_REQUIREMENTS"] == "topic=skola;lang=sv"
    assert variables["VAXEL_PRIORITY"] == "0"
