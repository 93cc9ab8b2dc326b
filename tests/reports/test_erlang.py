"""Erlang C against published figures and the agents-needed search."""

from __future__ import annotations

import math

import pytest

from reports.erlang import agents_needed, erlang_c, service_level


def test_erlang_c_against_the_direct_formula() -> None:
    def direct(n: int, a: float) -> float:
        top = a**n / math.factorial(n) * n / (n - a)
        return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)
    for n, a in ((1, 0.5), (5, 3.0), (12, 10.0), (30, 25.5)):
        assert erlang_c(n, a) == pytest.approx(direct(n, a), rel=1e-12)
    assert erlang_c(3, 3.0) == 1.0 and erlang_c(3, 0) == 0.0


def test_agents_needed_is_the_fewest_that_reach_the_target() -> None:
    """360 calls an hour of 240 s = 24 Erlangs: 29 agents reach 80 % within 20 s (84 %),
    28 do not (76 %); more agents never lower the level."""
    a = 360 * 240 / 3600
    levels = [service_level(n, a, 20, 240) for n in range(25, 34)]
    assert levels == sorted(levels)
    assert service_level(28, a, 20, 240) == pytest.approx(0.7613, abs=1e-4)
    assert service_level(29, a, 20, 240) == pytest.approx(0.8403, abs=1e-4)
    assert agents_needed(360, 240, 20, 0.8) == 29
    assert agents_needed(360, 240, 20, 0.9) == 31


def test_no_calls_need_no_agents_and_bad_input_is_named() -> None:
    assert agents_needed(0, 180, 15, 0.9) == 0
    with pytest.raises(ValueError, match="aht_s"):
        agents_needed(10, 0, 15, 0.9)
    with pytest.raises(ValueError, match="target_share"):
        agents_needed(10, 100, 15, 1.0)
