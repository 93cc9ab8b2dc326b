"""Operator actions performed over AMI: look up facts, plan (``switchboard.operator``), send.

``Operator`` is the adapter the CLI (and later the web console) uses. Each method reads
the facts its plan needs (the caller's bridged peer, the held caller of a consultation,
the target from the directory, in a thread since the directory is synchronous), asks the
pure planner for commands, and sends them in order with the guarded ``AmiClient``; the
first refusal stops the plan and raises ``ActionFailed`` naming the action and channel.
Every action is logged started/complete/failed with its timing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import structlog

from infra.ami import AmiClient, AmiError, AmiMessage
from switchboard import operator as plan
from switchboard.errors import ActionFailed, TargetNotFound
from switchboard.operator import Command, Settings, Target, TargetKind

log = structlog.get_logger(__name__)

#: Seconds to wait for the ParkedCall event that tells the parking space.
PARK_EVENT_TIMEOUT = 5.0


class DirectoryPort(Protocol):
    """What the operator needs from ``directory.api.Directory`` (blocking calls)."""

    def employee_by_extension(self, extension: str) -> Any: ...
    def unit(self, unit_id: str) -> Any: ...
    def employees_in_unit(self, unit_id: str) -> list[Any]: ...


def ami_fields(command: Command) -> dict[str, Any]:
    """The AMI action for one planned command."""
    match command:
        case plan.SetVar(channel, name, value):
            return {"Action": "Setvar", "Channel": channel, "Variable": name, "Value": value}
        case plan.Redirect(channel, context, exten, extra, extra_context, extra_exten):
            fields = {"Action": "Redirect", "Channel": channel, "Context": context,
                      "Exten": exten, "Priority": "1"}
            if extra is not None:
                fields.update(ExtraChannel=extra, ExtraContext=extra_context or context,
                              ExtraExten=extra_exten, ExtraPriority="1")
            return fields
        case plan.BridgeChannels(channel1, channel2):
            return {"Action": "Bridge", "Channel1": channel1, "Channel2": channel2,
                    "Tone": "no"}
        case plan.HangupChannel(channel):
            return {"Action": "Hangup", "Channel": channel}
        case plan.ParkChannel(channel, timeout_s, lot):
            return {"Action": "Park", "Channel": channel, "Timeout": str(timeout_s * 1000),
                    "Parkinglot": lot}
        case plan.OriginateApp():
            raise ValueError("OriginateApp is sent with AmiClient.originate")
    raise ValueError(f"unknown command {command!r}")


class Operator:
    """One operator's actions. ``device`` is the dial string of the operator's phone."""

    def __init__(self, ami: AmiClient, *, operator_id: str, device: str,
                 directory: DirectoryPort | None = None, settings: Settings | None = None
                 ) -> None:
        self.ami = ami
        self.operator_id = operator_id
        self.device = device
        self.directory = directory
        self.settings = settings or Settings()

    def __repr__(self) -> str:
        return f"<Operator {self.operator_id} at {self.device}>"

    # --- facts ---------------------------------------------------------------------

    async def resolve(self, spec: str) -> Target:
        """A target from ``4711``, ``employee:4711``, ``unit:<id>`` or ``external:<no>``."""
        kind, key = plan.parse_target(spec)
        if kind is TargetKind.EXTERNAL:
            return plan.external_target(key, self.settings)
        if self.directory is None:
            raise TargetNotFound(kind.value, key, "no directory configured")
        return await asyncio.to_thread(self._resolve_in_directory, kind, key)

    def _resolve_in_directory(self, kind: TargetKind, key: str) -> Target:
        assert self.directory is not None
        if kind is TargetKind.EMPLOYEE:
            employee = self.directory.employee_by_extension(key)
            if employee is None:
                raise TargetNotFound("employee", key, "no employee has this extension")
            return plan.employee_target(employee)
        unit = self.directory.unit(key)
        if unit is None:
            raise TargetNotFound("unit", key)
        return plan.unit_target(unit, self.directory.employees_in_unit(key))

    async def getvar(self, channel: str, name: str) -> str:
        reply = await self._send({"Action": "Getvar", "Channel": channel, "Variable": name})
        return str(reply.get("Value") or "")

    async def peer_of(self, channel: str) -> str:
        """The channel bridged with ``channel`` (BRIDGEPEER), or ActionFailed."""
        peer = await self.getvar(channel, "BRIDGEPEER")
        if not peer:
            raise ActionFailed("Getvar BRIDGEPEER", channel, "the channel is in no call")
        return peer

    # --- actions -------------------------------------------------------------------

    async def transfer(self, caller: str, spec: str, *, supervised: bool = True) -> Target:
        """Blind transfer; supervised (the default) returns an unanswered call here."""
        target = await self.resolve(spec)
        await self.perform(plan.plan_transfer(
            caller, target, self.settings, operator_id=self.operator_id,
            return_dial=self.device if supervised else None))
        return target

    async def consult(self, caller: str, spec: str) -> str:
        """Start an attended transfer; returns the operator's channel (for complete/cancel)."""
        target = await self.resolve(spec)
        operator_channel = await self.peer_of(caller)
        await self.perform(plan.plan_consult(
            caller, operator_channel, target, self.settings, operator_id=self.operator_id,
            return_dial=self.device))
        return operator_channel

    async def complete(self, operator_channel: str) -> None:
        caller = await self.getvar(operator_channel, "VAXEL_HELD")
        if not caller:
            raise ActionFailed("complete", operator_channel, "no consultation on this channel")
        target = await self.peer_of(operator_channel)
        await self.perform(plan.plan_complete(caller, operator_channel, target))

    async def cancel(self, operator_channel: str) -> None:
        if not await self.getvar(operator_channel, "VAXEL_HELD"):
            raise ActionFailed("cancel", operator_channel, "no consultation on this channel")
        await self.perform(plan.plan_cancel(operator_channel))

    async def hold(self, caller: str) -> None:
        await self.perform(plan.plan_hold(caller, self.settings, operator_id=self.operator_id,
                                          return_dial=self.device))

    async def unhold(self, caller: str) -> None:
        await self.perform(plan.plan_unhold(caller, return_dial=self.device,
                                            settings=self.settings))

    async def park(self, caller: str) -> str:
        """Park the caller; returns the parking space."""
        with self.ami.subscribe(lambda e: e.get("Event") == "ParkedCall"
                                and e.get("ParkeeChannel") == caller) as parked:
            await self.perform(plan.plan_park(caller, self.settings,
                                              operator_id=self.operator_id,
                                              return_dial=self.device))
            try:
                event = await parked.get(PARK_EVENT_TIMEOUT)
            except TimeoutError:
                raise ActionFailed("Park", caller, "no ParkedCall event") from None
        return str(event.get("ParkingSpace", ""))

    async def pickup(self, space: str) -> None:
        """Ring the operator's phone and connect it to the call parked at ``space``."""
        await self.perform(plan.plan_pickup(space, self.device, self.settings))

    async def hangup(self, channel: str) -> None:
        await self.perform(plan.plan_hangup(channel))

    # --- sending -------------------------------------------------------------------

    async def perform(self, commands: Sequence[Command]) -> None:
        for command in commands:
            if isinstance(command, plan.OriginateApp):
                await self._originate(command)
            else:
                await self._send(ami_fields(command))

    async def _originate(self, command: plan.OriginateApp) -> None:
        try:
            event = await self.ami.originate(
                command.channel, application=command.application, data=command.data,
                timeout=command.timeout_s)
        except AmiError as exc:
            raise ActionFailed("Originate", command.channel, str(exc)) from exc
        if event.get("Response") != "Success":
            raise ActionFailed("Originate", command.channel,
                               f"not answered (reason {event.get('Reason')})")

    async def _send(self, fields: Mapping[str, Any]) -> AmiMessage:
        name, channel = str(fields["Action"]), str(fields.get("Channel", ""))
        started = time.monotonic()
        log.info("operator.action.started", action=name, channel=channel,
                 operator=self.operator_id)
        try:
            reply: AmiMessage = await self.ami.action(fields)
        except AmiError as exc:
            log.warning("operator.action.failed", action=name, channel=channel, error=str(exc))
            raise ActionFailed(name, channel, str(exc)) from exc
        log.info("operator.action.complete", action=name, channel=channel,
                 ms=round((time.monotonic() - started) * 1000, 1))
        return reply
