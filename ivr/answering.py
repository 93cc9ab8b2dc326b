"""Answering groups ("svarsgrupper"): in which order and for how long members ring (pure).

A unit's answering group rings its members by a strategy: ``ring_all`` rings every
member at once for the group's overall timeout; ``in_order`` rings one member after
another in the group's order, each for the member ring time; ``longest_idle`` does the
same with the member whose last call ended longest ago first (a member never seen
ending a call counts as idle the longest; ties keep the group's order). Invariants: a
plan never rings longer in total than the overall timeout (the last step is cut
short); every member is in it at most once; nothing here reads a clock or Redis: the
idle times are passed in (``ivr.idle_store`` keeps them from call ends).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class Strategy(enum.Enum):
    """How a group rings (values as ``directory.api.AnswerStrategy`` stores them)."""

    RING_ALL = "ring_all"
    IN_ORDER = "in_order"
    LONGEST_IDLE = "longest_idle"


#: The strategy value in a flow that means "the callee's unit's own strategy".
UNIT_STRATEGY = "unit"
#: Seconds each member rings in a sequential strategy when nobody says otherwise.
DEFAULT_MEMBER_RING_S = 15


@dataclass(frozen=True)
class RingStep:
    """One Dial(): a dial string (one member, or all with ``&``) and how long it rings."""

    dial: str
    timeout_s: int


def parse_strategy(value: str) -> Strategy:
    """A strategy from its value; ValueError naming the value and the choices otherwise."""
    try:
        return Strategy(value.strip().lower() or Strategy.RING_ALL.value)
    except ValueError:
        choices = ", ".join(s.value for s in Strategy)
        raise ValueError(f"unknown answering strategy {value!r} (one of {choices})") from None


def order_members(strategy: Strategy, members: Sequence[str],
                  idle_since: Mapping[str, float]) -> list[str]:
    """Members in the order they ring; ``idle_since`` is each member's last call end
    (epoch seconds; missing: never, so idle longest)."""
    unique = list(dict.fromkeys(members))
    if strategy is not Strategy.LONGEST_IDLE:
        return unique
    position = {m: i for i, m in enumerate(unique)}
    return sorted(unique, key=lambda m: (idle_since.get(m, 0.0), position[m]))


def plan_ring(strategy: Strategy, members: Sequence[str], member_ring_s: int, overall_s: int,
              idle_since: Mapping[str, float]) -> tuple[RingStep, ...]:
    """The Dial() steps of one round of the group, first step first."""
    ordered = order_members(strategy, members, idle_since)
    if not ordered or overall_s <= 0:
        return ()
    if strategy is Strategy.RING_ALL:
        return (RingStep("&".join(ordered), overall_s),)
    steps: list[RingStep] = []
    left = overall_s
    for member in ordered:
        if left <= 0:
            break
        ring = min(max(member_ring_s, 1), left)
        steps.append(RingStep(member, ring))
        left -= ring
    return tuple(steps)


_CHANNEL_SUFFIX = re.compile(r"-[0-9a-f]{8}(;[12])?$")


def device_of_channel(channel: str) -> str:
    """The dial string a channel was made from: ``PJSIP/4711-0000000a`` -> ``PJSIP/4711``,
    ``Local/3000@sim-phones-0000001f;1`` -> ``Local/3000@sim-phones``."""
    return _CHANNEL_SUFFIX.sub("", channel.strip())


#: AMI ``ChannelState`` of an answered channel (``AST_STATE_UP``).
STATE_UP = "6"


def ended_call_device(event: Mapping[str, str]) -> str | None:
    """The device whose answered call an AMI ``Hangup`` event ends, else None (a channel
    that only rang, or another event): only finished calls make a member idle."""
    if event.get("Event") != "Hangup" or event.get("ChannelState") != STATE_UP:
        return None
    return device_of_channel(event.get("Channel", "")) or None
