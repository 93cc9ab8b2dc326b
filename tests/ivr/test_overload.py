"""The overload gate: which new calls a controller takes, and when it says it is overloaded."""

from __future__ import annotations

from ivr.overload import LoadGate, OverloadEnded, OverloadLimits, OverloadStarted


def test_given_max_calls_reached_then_the_next_call_is_refused_and_overload_reported():
    gate = LoadGate(OverloadLimits(max_calls=2, max_lag_ms=0))
    assert gate.offer(0.0) == (True, None)
    taken, change = gate.offer(0.1)
    assert taken and change is None
    taken, change = gate.offer(0.2)
    assert not taken
    assert change == OverloadStarted("calls", 2, 0.0)
    assert gate.offer(0.3) == (False, None)          # reported once, not per call
    assert repr(gate) == ("<LoadGate overloaded (calls): 2 active, 2 admitted, 2 refused, "
                          "lag 0 ms>")


def test_given_a_call_ends_under_the_limit_then_overload_ends_with_the_refused_count():
    gate = LoadGate(OverloadLimits(max_calls=1, max_lag_ms=0))
    gate.offer(0.0)
    gate.offer(1.0)
    gate.offer(2.0)
    assert gate.ended(5.0) == OverloadEnded(refused=2, seconds=4.0)
    assert gate.offer(6.0) == (True, None)
    assert (gate.admitted, gate.refused, gate.active) == (2, 2, 1)


def test_given_the_loop_lags_then_new_calls_are_refused_until_it_stays_calm():
    gate = LoadGate(OverloadLimits(max_lag_ms=300, recover_s=2))
    assert gate.lag(50, 0.0) is None
    assert gate.lag(400, 1.0) == OverloadStarted("lag", 0, 400)
    assert gate.offer(1.1) == (False, None)
    assert gate.lag(200, 1.5) is None                # under the limit, not under half: lagging
    assert gate.lag(100, 2.0) is None                # calm from 2.0
    assert gate.lag(250, 3.0) is None                # above half again: calm starts over
    assert gate.lag(100, 3.5) is None
    assert gate.lag(100, 5.0) is None                # 1.5 s calm
    change = gate.lag(100, 5.6)
    assert change == OverloadEnded(refused=1, seconds=4.6)
    assert gate.offer(5.7) == (True, None)


def test_given_no_limits_then_every_call_is_taken():
    gate = LoadGate(OverloadLimits(max_calls=0, max_lag_ms=0))
    assert gate.lag(10_000, 0.0) is None
    assert all(gate.offer(float(i))[0] for i in range(1000))
