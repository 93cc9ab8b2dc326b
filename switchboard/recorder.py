"""Records what happened to operator-handled calls into their call context.

The dialplan reports each transfer's outcome (``UserEvent(VaxelTransferResult)``) and
each return to the operator (``UserEvent(VaxelReturn)``) on the caller's channel, whose
Uniqueid is the call id the IVR and the context use. ``attempt_from_event`` (pure)
turns such an event into an ``Attempt``; ``ContextRecorder`` is the adapter loop:
read an event from the AMI subscription, feed it, store the attempt. A store failure
is logged and the loop goes on: a lost history line must not stop call handling.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog

from infra.ami import AmiClient, AmiMessage, consume
from switchboard.context import Attempt, Outcome, outcome_of_dialstatus
from switchboard.context_store import CallContextStore
from switchboard.errors import SwitchboardError

log = structlog.get_logger(__name__)

#: UserEvents this module reads.
RECORDED_EVENTS = frozenset({"VaxelTransferResult", "VaxelReturn"})
#: Return reasons (VAXEL_RETURN_REASON) as operators read them.
RETURN_DETAILS = {
    "transfer": "ingen svarade, tillbaka till växeln (nobody answered, back to the operator)",
    "parked": "parkerat samtal hämtades inte (parked call not picked up)",
    "hold": "väntade för länge (held too long)",
    "unhold": "togs tillbaka från parkering/vänteläge (taken back from hold)",
}


def is_recorded(event: AmiMessage) -> bool:
    return event.get("Event") == "UserEvent" and event.get("UserEvent") in RECORDED_EVENTS


def attempt_from_event(event: AmiMessage, now: datetime) -> tuple[str, Attempt] | None:
    """(call id, attempt) for a transfer result or a return; None for other events."""
    if not is_recorded(event) or not event.get("Uniqueid"):
        return None
    call_id, by = str(event["Uniqueid"]), str(event.get("By", ""))
    if event["UserEvent"] == "VaxelTransferResult":
        outcome = outcome_of_dialstatus(str(event.get("Status", "")))
        return call_id, Attempt(str(event.get("Target", "")), now, outcome,
                                target_name=str(event.get("Label", "")), by=by)
    reason = str(event.get("Reason", ""))
    return call_id, Attempt(str(event.get("To", "")), now, Outcome.RETURNED,
                            detail=RETURN_DETAILS.get(reason, reason), by=by)


class ContextRecorder:
    """Consumes the AMI events above and appends attempts to the call contexts."""

    def __init__(self, ami: AmiClient, store: CallContextStore,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self.recorded = 0
        self._events = ami.subscribe(is_recorded)

    def __repr__(self) -> str:
        return f"<ContextRecorder {self.recorded} attempts recorded>"

    async def run(self) -> None:
        """Until cancelled."""
        await consume(self._events, self.feed)

    async def feed(self, event: AmiMessage) -> None:
        found = attempt_from_event(event, self.clock())
        if found is None:
            return
        call_id, attempt = found
        try:
            await self.store.record_attempt(call_id, attempt,
                                            caller_number=str(event.get("CallerIDNum", "")))
        except SwitchboardError as exc:
            log.warning("context.record_failed", call_id=call_id, error=str(exc))
            return
        self.recorded += 1
        log.info("context.attempt_recorded", call_id=call_id, target=attempt.target,
                 outcome=attempt.outcome.value)
