"""When the person a direct call rang answered: the one moment the IVR does not hear of.

The IVR dials a person by leaving the call to ``[vaxel-route] dial`` (``Dial()`` in the
dialplan); it hears back only when nobody answered (``resume,dial,<DIALSTATUS>``). Asterisk's
AMI ``DialEnd`` with ``DialStatus: ANSWER`` on the caller's channel in that context is the
answer; `record_dial_answers` appends it to the IVR's stream ``vaxel:calls`` as an entry with
``step: dial-answered`` (`RedisCallStore.dial_answered`), so the call recorder measures the
ring time (the ``dial:`` entry to this one, both on Redis's clock). Every controller runs
one: a second entry for the same answer is harmless (the recorder takes the first after the
dial). A Redis failure is logged and the loop goes on.
"""

from __future__ import annotations

import structlog
from redis.exceptions import RedisError

from infra.ami import AmiClient, AmiMessage, consume
from ivr.callstore import CallStoreUnavailable, RedisCallStore

log = structlog.get_logger(__name__)

#: The dialplan context and extension where the IVR's direct dial runs.
DIAL_CONTEXT, DIAL_EXTEN = "vaxel-route", "dial"


def is_direct_answer(event: AmiMessage) -> bool:
    """A ``DialEnd`` ANSWER of the IVR's direct dial (not a queue's, an operator's)."""
    return (event.get("Event") == "DialEnd" and event.get("DialStatus") == "ANSWER"
            and event.get("Context") == DIAL_CONTEXT and event.get("Exten") == DIAL_EXTEN
            and bool(event.get("Uniqueid")))


async def record_dial_answers(ami: AmiClient, store: RedisCallStore) -> None:
    """Until cancelled: each answer of a direct dial noted in the IVR's stream."""
    events = ami.subscribe(is_direct_answer)

    async def feed(event: AmiMessage) -> None:
        call_id = str(event.get("Uniqueid"))
        try:
            await store.dial_answered(call_id)
        except (CallStoreUnavailable, RedisError) as exc:
            log.warning("ivr.dial_answer_not_recorded", call_id=call_id, error=str(exc))

    await consume(events, feed)
