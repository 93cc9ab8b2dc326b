"""Erlang C (pure): how many agents a queue needs for a service-level target.

A queue with Poisson arrivals, exponential handling times and ``n`` agents is the M/M/n
queue. With offered traffic ``a`` = arrivals per second x mean handling time (Erlangs),
the probability that a caller has to wait is Erlang's delay formula (Erlang C)::

    C(n, a) = (a^n / n!) * n / (n - a)  /  ( sum_{k=0}^{n-1} a^k / k!  +  (a^n / n!) * n / (n - a) )

and the share answered within ``t`` seconds (the service level) is::

    SL(n, a, t) = 1 - C(n, a) * exp(-(n - a) * t / aht)

Sources: A. K. Erlang, "Solution of some problems in the theory of probabilities of
significance in automatic telephone exchanges", Elektroteknikeren 13 (1917), where the delay
formula first appears; R. B. Cooper, *Introduction to Queueing Theory*, 2nd ed. (North
Holland, 1981), chapter 3 (the Erlang delay system M/M/s, its waiting-time distribution).
C is computed from Erlang B by the stable recursion ``B(0) = 1``,
``B(k) = a B(k-1) / (k + a B(k-1))``, then ``C = n B / (n - a (1 - B))`` (Cooper, ch. 3),
which needs no factorials and no powers that overflow.

The model assumes callers never abandon and agents are always there when logged in; a real
queue with abandons needs slightly fewer agents for the same service level, so the figures
are on the safe side.
"""

from __future__ import annotations

import math

#: No queue needs more agents than this (a guard against a nonsense target).
MAX_AGENTS = 10_000


def erlang_c(n: int, a: float) -> float:
    """Probability of waiting with ``n`` agents and ``a`` Erlangs (1.0 when n <= a)."""
    if a <= 0:
        return 0.0
    if n <= a:
        return 1.0
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return n * b / (n - a * (1 - b))


def service_level(n: int, a: float, target_s: float, aht_s: float) -> float:
    """Share of calls answered within ``target_s`` (0..1)."""
    if a <= 0:
        return 1.0
    if n <= a:
        return 0.0
    return 1.0 - erlang_c(n, a) * math.exp(-(n - a) * target_s / aht_s)


def agents_needed(calls_per_hour: float, aht_s: float, target_s: float,
                  target_share: float) -> int:
    """The fewest agents that reach ``target_share`` (0..1) within ``target_s``; 0 without
    calls. ``ValueError`` for a handling time <= 0 or a share outside (0, 1)."""
    if calls_per_hour <= 0:
        return 0
    if aht_s <= 0:
        raise ValueError(f"aht_s: expected more than 0 s, got {aht_s}")
    if not 0 < target_share < 1:
        raise ValueError(f"target_share: expected between 0 and 1, got {target_share}")
    a = calls_per_hour * aht_s / 3600
    n = max(1, math.floor(a) + 1)
    while service_level(n, a, target_s, aht_s) < target_share:
        n += 1
        if n > MAX_AGENTS:
            raise ValueError(f"more than {MAX_AGENTS} agents needed for {a:.1f} Erlangs")
    return n
