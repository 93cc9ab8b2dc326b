"""Operator actions, decided in pure code: each action becomes a list of AMI commands.

An operator's action (transfer, consult, complete, cancel, park, pick up, hold, unhold,
hang up) is planned here from facts the adapter looked up first (the caller's channel,
the operator's channel, the resolved target) and returned as ``Command`` values; the
adapter (``switchboard.ami_operator``) sends them in order and stops at the first
failure. The dialplan side lives in ``asterisk-config/extensions.conf.in``
(``[vaxel-switchboard-*]``): a transfer is the caller's channel redirected into
``[vaxel-switchboard-transfer]`` with channel variables saying whom to ring, for how
long, and where an unanswered call returns ("återkoppling"). Invariants: channel
variables are always set before the redirect that reads them; a plan never hangs up
the caller except in ``plan_hangup``; every plan that leaves the caller waiting
(supervised transfer, hold, park) names the operator's dial string to return to.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from directory.api import Employee, Unit
from infra.dialplan_safe import argument_text, check_dial
from switchboard.errors import TargetNotFound

#: Contexts and extensions of the dialplan contract (extensions.conf.in).
TRANSFER_CONTEXT = "vaxel-switchboard-transfer"
RETURN_CONTEXT = "vaxel-switchboard-return"
HOLD_CONTEXT = "vaxel-switchboard-hold"
CONSULT_CONTEXT = "vaxel-switchboard-consult"
#: The parking lot (res_parking.conf) operators park callers in.
PARKING_LOT = "default"

_EXTERNAL = re.compile(r"\+?[0-9]{3,20}")


class TargetKind(enum.Enum):
    EMPLOYEE = "employee"
    UNIT = "unit"
    EXTERNAL = "external"


@dataclass(frozen=True)
class Target:
    """Whom a transfer rings: a label for people and one Asterisk dial string."""

    kind: TargetKind
    key: str
    """The extension, unit id or external number."""
    label: str
    dial: str


@dataclass(frozen=True)
class Settings:
    """Limits of operator actions; each has a default an operator can live with."""

    ring_s: int = 20
    """Seconds a transferred or consulted target rings before the call returns."""
    return_ring_s: int = 20
    """Seconds the operator's phone rings when a call comes back to them."""
    hold_limit_s: int = 120
    """Longest a held caller hears music before the call rings the operator again."""
    park_s: int = 60
    """Seconds a parked call waits for a pick-up before it returns to the operator."""
    external_dial: str = "PJSIP/{number}@trunk"
    """Dial string of an external number (``{number}`` is replaced)."""


# --- commands (what the adapter sends) -----------------------------------------------


@dataclass(frozen=True)
class SetVar:
    channel: str
    name: str
    value: str


@dataclass(frozen=True)
class Redirect:
    channel: str
    context: str
    exten: str = "s"
    extra_channel: str | None = None
    extra_context: str | None = None
    extra_exten: str = "s"


@dataclass(frozen=True)
class BridgeChannels:
    channel1: str
    channel2: str


@dataclass(frozen=True)
class HangupChannel:
    channel: str


@dataclass(frozen=True)
class ParkChannel:
    channel: str
    timeout_s: int
    lot: str = PARKING_LOT


@dataclass(frozen=True)
class OriginateApp:
    channel: str
    application: str
    data: str
    timeout_s: int


Command = SetVar | Redirect | BridgeChannels | HangupChannel | ParkChannel | OriginateApp


# --- targets -------------------------------------------------------------------------


def employee_target(employee: Employee) -> Target:
    """Ring all of an employee's devices at once."""
    if not employee.devices:
        raise TargetNotFound("employee", employee.extension or employee.id, "has no phone")
    dial = "&".join(d.dial for d in employee.devices)
    name = f"{employee.given_name} {employee.family_name}"
    return Target(TargetKind.EMPLOYEE, employee.extension or employee.id, name, dial)


def unit_target(unit: Unit, members: Sequence[Employee]) -> Target:
    """Ring every listed member of a unit who has a phone (the unit's answering group)."""
    dials = [d.dial for e in members if e.listed for d in e.devices]
    if not dials:
        raise TargetNotFound("unit", unit.id, "nobody in the unit has a phone")
    return Target(TargetKind.UNIT, unit.id, unit.name, "&".join(dict.fromkeys(dials)))


def external_target(number: str, settings: Settings) -> Target:
    number = number.strip()
    if not _EXTERNAL.fullmatch(number):
        raise TargetNotFound("external number", number, "expected 3-20 digits, + allowed")
    return Target(TargetKind.EXTERNAL, number, number,
                  settings.external_dial.format(number=number))


def parse_target(spec: str) -> tuple[TargetKind, str]:
    """``4711`` or ``employee:4711``, ``unit:u-bygglov``, ``external:0701234567``."""
    kind, sep, key = spec.partition(":")
    if not sep:
        return TargetKind.EMPLOYEE, spec.strip()
    try:
        return TargetKind(kind.strip().lower()), key.strip()
    except ValueError:
        known = ", ".join(k.value for k in TargetKind)
        raise TargetNotFound("target", spec, f"unknown kind {kind!r}; known: {known}") from None


# --- plans ---------------------------------------------------------------------------


#: Variables holding free text (names, labels, ids typed by people): they lose the
#: characters that split or evaluate arguments. Dial strings are checked instead; channel
#: names (``Local/1000@ctx-00000001;2``) come from Asterisk and are kept as they are.
_TEXT_VARS = frozenset({"xfer_target", "xfer_label", "xfer_by", "consult_target",
                        "return_reason"})


def _vars(channel: str, **values: str | int) -> list[Command]:
    """Channel variables the dialplan uses as application arguments: no line breaks, dial
    strings plain (else ValueError naming the variable); free text loses , | ; quotes
    $ { } (a name cannot add a Dial option or forge a UserEvent header)."""
    out: list[Command] = []
    for name, value in values.items():
        var = f"VAXEL_{name.upper()}"
        text = str(value)
        if "\r" in text or "\n" in text:
            raise ValueError(f"channel variable {var}: line breaks are not allowed")
        if name.endswith(("dial", "return")) and text:
            text = check_dial(text, f"channel variable {var}")
        elif name in _TEXT_VARS:
            text = argument_text(text)
        out.append(SetVar(channel, var, text))
    return out


def plan_transfer(caller: str, target: Target, settings: Settings, *, operator_id: str,
                  return_dial: str | None) -> list[Command]:
    """Blind transfer; with ``return_dial`` it is supervised: unanswered, it rings the
    operator again (and then the operators' group)."""
    return [*_vars(caller, xfer_dial=target.dial, xfer_timeout=settings.ring_s,
                   xfer_target=target.key, xfer_label=target.label, xfer_by=operator_id,
                   xfer_return=return_dial or "", return_timeout=settings.return_ring_s,
                   return_reason="transfer"),
            Redirect(caller, TRANSFER_CONTEXT)]


def plan_consult(caller: str, operator_channel: str, target: Target, settings: Settings, *,
                 operator_id: str, return_dial: str) -> list[Command]:
    """Attended transfer, step 1: the caller hears music, the operator's channel rings
    the target; if the consultation ends without ``complete``, the operator is back with
    the caller (the consult context bridges them again)."""
    return [*_vars(caller, xfer_by=operator_id, xfer_return=return_dial,
                   return_timeout=settings.return_ring_s, return_reason="hold",
                   hold_limit=settings.hold_limit_s),
            *_vars(operator_channel, held=caller, consult_dial=target.dial,
                   consult_target=target.key, xfer_timeout=settings.ring_s, consult_done=0),
            Redirect(caller, HOLD_CONTEXT, extra_channel=operator_channel,
                     extra_context=CONSULT_CONTEXT)]


def plan_complete(caller: str, operator_channel: str, target_channel: str) -> list[Command]:
    """Attended transfer, step 2: caller and target talk; the operator's leg ends."""
    return [*_vars(operator_channel, consult_done=1), BridgeChannels(caller, target_channel)]


def plan_cancel(operator_channel: str) -> list[Command]:
    """Attended transfer abandoned: the target's leg ends, the operator is back with the
    caller (the consult context's ``back`` extension bridges them)."""
    return [Redirect(operator_channel, CONSULT_CONTEXT, exten="back")]


def plan_hold(caller: str, settings: Settings, *, operator_id: str,
              return_dial: str) -> list[Command]:
    """Music on hold; after ``hold_limit_s`` the call rings the operator again."""
    return [*_vars(caller, xfer_by=operator_id, xfer_return=return_dial,
                   return_timeout=settings.return_ring_s, return_reason="hold",
                   hold_limit=settings.hold_limit_s),
            Redirect(caller, HOLD_CONTEXT)]


def plan_unhold(caller: str, *, return_dial: str, settings: Settings) -> list[Command]:
    """Take a held call back: it rings the operator's phone."""
    return [*_vars(caller, xfer_return=return_dial, return_timeout=settings.return_ring_s,
                   return_reason="unhold"),
            Redirect(caller, RETURN_CONTEXT)]


def plan_park(caller: str, settings: Settings, *, operator_id: str,
              return_dial: str) -> list[Command]:
    """Park the caller; nobody picks up within ``park_s`` -> it rings the operator."""
    return [*_vars(caller, xfer_by=operator_id, xfer_return=return_dial,
                   return_timeout=settings.return_ring_s, return_reason="parked"),
            ParkChannel(caller, settings.park_s)]


def plan_pickup(space: str, return_dial: str, settings: Settings) -> list[Command]:
    """Ring the operator's phone; when it answers it is connected to the parked call."""
    if not space.isdigit():
        raise TargetNotFound("parking space", space, "expected digits")
    return [OriginateApp(return_dial, "ParkedCall", f"{PARKING_LOT},{space}",
                         settings.return_ring_s)]


def plan_hangup(channel: str) -> list[Command]:
    return [HangupChannel(channel)]
