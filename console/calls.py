"""Call control for the console: the switchboard's planner and performer, errors translated.

Each operator action finds the caller's channel from the routing call id (the Uniqueid of
the channel that ran the IVR) in the hub's channel map, or asks Asterisk
(CoreShowChannels) when the map has not seen it; a call Asterisk no longer has is
``CallGone`` (409, "the caller has hung up"). The action itself is
``switchboard.ami_operator.Operator``'s (plan in pure code, then AMI), so a refused step
stops the plan before anything that would strand the caller (a consult whose target is
unknown sends nothing). Errors: unknown target -> 422 naming ``target``; AMI down -> 503;
Asterisk refusing a step -> 409 with its reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from console.auth import Principal
from console.deps import ConsoleDeps
from console.errors import CallGone, Conflict, Invalid, Unavailable
from console.views import DeviceTracker
from routing.errors import IllegalTransition, RoutingError, UnknownAgent, UnknownCall
from routing.errors import StoreUnavailable as RoutingDown
from routing.model import Agent
from switchboard.ami_operator import Operator
from switchboard.errors import ActionFailed, SwitchboardError, TargetNotFound

#: Words in Asterisk's refusals that mean the channel is gone.
_GONE = ("no such channel", "not found", "does not exist", "in no call", "channel not up")


@asynccontextmanager
async def translated(call_id: str = "") -> AsyncIterator[None]:
    """Engine errors -> console errors with a sentence a person understands."""
    from infra.ami import AmiError, AmiUnavailable

    try:
        yield
    except TargetNotFound as exc:
        raise Invalid("target", str(exc)) from exc
    except ActionFailed as exc:
        if any(w in exc.reason.lower() for w in _GONE):
            raise CallGone("Samtalet finns inte längre; den som ringde har lagt på "
                           "(the call has gone: the caller hung up)", call_id=call_id,
                           channel=exc.channel) from exc
        raise Conflict(f"Asterisk vägrade (Asterisk refused): {exc}", call_id=call_id) from exc
    except AmiUnavailable as exc:
        raise Unavailable("Ingen förbindelse med telefonin (no AMI link)") from exc
    except AmiError as exc:
        raise Conflict(f"Telefonin svarade inte som väntat (AMI): {exc}") from exc
    except UnknownAgent as exc:
        raise Conflict("Logga in i kön först (log in to the queue first)") from exc
    except UnknownCall as exc:
        raise CallGone("Samtalet finns inte längre (the call has gone)", call_id=call_id) from exc
    except IllegalTransition as exc:
        raise Conflict(f"Går inte i nuvarande läge (not possible now): {exc}") from exc
    except RoutingDown as exc:
        raise Unavailable("Lägesdatabasen (Redis) svarar inte") from exc
    except (RoutingError, SwitchboardError) as exc:
        raise Conflict(str(exc)) from exc


class CallControl:
    """One console's call actions; ``devices`` is the hub's channel map (may lag)."""

    def __init__(self, deps: ConsoleDeps, devices: DeviceTracker) -> None:
        self.deps = deps
        self.devices = devices

    def __repr__(self) -> str:
        return f"<CallControl ami={'yes' if self.deps.ami else 'no'}>"

    async def _agent(self, who: Principal) -> Agent:
        async with translated():
            return await self.deps.routing.agent(who.name)

    async def operator(self, who: Principal) -> Operator:
        if self.deps.ami is None or not self.deps.ami.connected:
            raise Unavailable("Ingen förbindelse med telefonin (no AMI link)")
        device = ""
        try:
            device = (await self.deps.routing.agent(who.name)).device
        except RoutingError:
            user = await self.deps.users.user(who.name)
            device = user.device if user else ""
        return Operator(self.deps.ami, operator_id=who.name, device=device,
                        directory=self.deps.directory, settings=self.deps.operator_settings)

    async def caller_channel(self, call_id: str) -> str:
        channel = self.devices.channel_of(call_id)
        if channel:
            return channel
        if self.deps.ami is None:
            raise Unavailable("Ingen förbindelse med telefonin (no AMI link)")
        async with translated(call_id):
            for row in await self.deps.ami.core_show_channels():
                if row.get("Uniqueid") == call_id:
                    return str(row["Channel"])
        raise CallGone("Samtalet finns inte längre; den som ringde har lagt på "
                       "(the call has gone: the caller hung up)", call_id=call_id)

    async def channel_exists(self, channel: str) -> None:
        if channel in self.devices.channels.values():
            return
        async with translated():
            rows = await self.deps.ami.core_show_channels()
        if not any(r.get("Channel") == channel for r in rows):
            raise CallGone("Rådfrågningen finns inte längre (the consultation has ended)",
                           channel=channel)

    # --- actions ----------------------------------------------------------------------

    async def answer(self, who: Principal) -> dict[str, Any]:
        async with translated():
            result = await self.deps.desk.next(who.name)
        return {"state": result.agent.state.value, "done": result.done,
                "next_call": result.call.id if result.call else None}

    async def transfer(self, who: Principal, call_id: str, target: str, blind: bool
                       ) -> dict[str, str]:
        op = await self.operator(who)
        if not blind and not op.device:
            raise Invalid("device", "your phone is needed for the call to come back")
        channel = await self.caller_channel(call_id)
        async with translated(call_id):
            t = await op.transfer(channel, target, supervised=not blind)
        return {"label": t.label, "dial": t.dial, "channel": channel}

    async def consult(self, who: Principal, call_id: str, target: str) -> dict[str, str]:
        op = await self.operator(who)
        channel = await self.caller_channel(call_id)
        async with translated(call_id):
            operator_channel = await op.consult(channel, target)
        return {"operator_channel": operator_channel, "channel": channel}

    async def complete(self, who: Principal, operator_channel: str) -> None:
        op = await self.operator(who)
        await self.channel_exists(operator_channel)
        async with translated():
            await op.complete(operator_channel)

    async def cancel(self, who: Principal, operator_channel: str) -> None:
        op = await self.operator(who)
        await self.channel_exists(operator_channel)
        async with translated():
            await op.cancel(operator_channel)

    async def park(self, who: Principal, call_id: str) -> str:
        op = await self.operator(who)
        channel = await self.caller_channel(call_id)
        async with translated(call_id):
            return await op.park(channel)

    async def pickup(self, who: Principal, space: str) -> None:
        op = await self.operator(who)
        async with translated():
            await op.pickup(space)

    async def hangup(self, who: Principal, call_id: str) -> None:
        op = await self.operator(who)
        channel = await self.caller_channel(call_id)
        async with translated(call_id):
            await op.hangup(channel)

    async def message(self, who: Principal, extension: str, text: str, from_number: str,
                      callback: bool, call_id: str = "") -> dict[str, Any]:
        from switchboard import messages as m

        if self.deps.messages is None:
            raise Unavailable("Meddelanden är inte inställda (no [smtp] configured)")
        if self.deps.directory is None:
            raise Unavailable("Ingen katalog (no directory configured)")
        employee = await asyncio.to_thread(self.deps.directory.employee_by_extension, extension)
        if employee is None:
            raise Invalid("extension", f"{extension!r}: no employee has this extension")
        recipient = m.employee_recipient(employee.id, employee.given_name, employee.family_name,
                                         self.deps.mail_domain, employee.email)
        kind = m.Kind.CALLBACK if callback else m.Kind.MESSAGE
        async with translated(call_id):
            msg = await self.deps.messages.take(recipient, kind, from_number, text,
                                                datetime.now(UTC), taken_by=who.name,
                                                call_id=call_id)
        return {"id": msg.id, "to": recipient.address, "mailed": msg.sent_at is not None,
                "error": msg.last_error or ""}
