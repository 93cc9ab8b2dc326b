"""Answering-group strategies: ring order, per-member and overall timeouts, call ends."""

from __future__ import annotations

import pytest

from ivr.answering import (
    RingStep,
    Strategy,
    device_of_channel,
    ended_call_device,
    order_members,
    parse_strategy,
    plan_ring,
)

A, B, C = "PJSIP/4711", "PJSIP/4712", "Local/3000@sim-phones"


def test_given_ring_all_then_one_step_rings_every_member_for_the_overall_timeout() -> None:
    assert plan_ring(Strategy.RING_ALL, [A, B, C], 10, 30, {}) == (RingStep(f"{A}&{B}&{C}", 30),)


def test_given_in_order_then_members_ring_one_after_another_in_group_order() -> None:
    assert plan_ring(Strategy.IN_ORDER, [A, B, C], 10, 60, {B: 1.0}) == (
        RingStep(A, 10), RingStep(B, 10), RingStep(C, 10))


def test_given_overall_timeout_shorter_than_all_members_then_last_step_is_cut_short() -> None:
    assert plan_ring(Strategy.IN_ORDER, [A, B, C], 10, 25, {}) == (
        RingStep(A, 10), RingStep(B, 10), RingStep(C, 5))
    assert plan_ring(Strategy.IN_ORDER, [A, B, C], 10, 20, {}) == (RingStep(A, 10), RingStep(B, 10))


def test_given_longest_idle_then_member_whose_last_call_ended_first_rings_first() -> None:
    idle = {A: 300.0, B: 100.0, C: 200.0}
    assert order_members(Strategy.LONGEST_IDLE, [A, B, C], idle) == [B, C, A]


def test_given_member_never_seen_ending_a_call_then_it_counts_as_idle_longest() -> None:
    assert order_members(Strategy.LONGEST_IDLE, [A, B, C], {A: 5.0, C: 9.0}) == [B, A, C]


def test_given_equal_idle_times_then_group_order_breaks_the_tie() -> None:
    assert order_members(Strategy.LONGEST_IDLE, [C, A, B], {}) == [C, A, B]


def test_given_member_listed_twice_then_it_rings_once() -> None:
    assert plan_ring(Strategy.IN_ORDER, [A, A, B], 5, 60, {}) == (RingStep(A, 5), RingStep(B, 5))


def test_given_no_members_then_nothing_to_ring() -> None:
    assert plan_ring(Strategy.LONGEST_IDLE, [], 5, 60, {}) == ()


@pytest.mark.parametrize("value,strategy", [
    ("", Strategy.RING_ALL), ("IN_ORDER", Strategy.IN_ORDER),
    ("longest_idle", Strategy.LONGEST_IDLE)])
def test_strategy_values_parse(value: str, strategy: Strategy) -> None:
    assert parse_strategy(value) is strategy


def test_given_unknown_strategy_then_error_names_it_and_the_choices() -> None:
    with pytest.raises(ValueError, match="'random'.*ring_all, in_order, longest_idle"):
        parse_strategy("random")


@pytest.mark.parametrize("channel,device", [
    ("PJSIP/4711-0000000a", "PJSIP/4711"),
    ("Local/3000@sim-phones-0000001f;1", "Local/3000@sim-phones"),
    ("Local/3000@sim-phones-0000001f;2", "Local/3000@sim-phones"),
])
def test_channel_names_map_back_to_the_dial_string(channel: str, device: str) -> None:
    assert device_of_channel(channel) == device


def test_given_hangup_of_an_answered_channel_then_its_device_ended_a_call() -> None:
    up = {"Event": "Hangup", "Channel": "PJSIP/4711-0000000a", "ChannelState": "6"}
    assert ended_call_device(up) == "PJSIP/4711"
    assert ended_call_device({**up, "ChannelState": "5"}) is None  # only rang
    assert ended_call_device({**up, "Event": "Newstate"}) is None
