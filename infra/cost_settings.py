"""The ``[costs]`` section of the configuration: prices in SEK as exact decimals, checked
with every problem named by its key. The cost model that uses them is `reports/costs.py`;
the settings live here, with the rest of the configuration file's schema, so that loading a
configuration needs no feature package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

#: The keys of ``[costs]`` that take one value (the environment may override them).
SCALAR_KEYS = ("agent_hour_sek", "per_call_sek", "share_unattributed", "fixed_month_sek")


@dataclass(frozen=True)
class CostSettings:
    """The ``[costs]`` section: prices in SEK as exact decimals."""

    agent_hour_sek: Decimal = Decimal(0)
    """Price of one agent hour (salary, overhead, workplace) in SEK."""
    per_call_sek: Decimal = Decimal(0)
    """Fixed switchboard fee (trunks, licences, platform) per offered call in SEK."""
    share_unattributed: bool = False
    """Split the city-wide line's cost over the districts by their share of calls."""
    baseline: Mapping[str, Decimal] = field(default_factory=dict)
    """What each district's old switchboard cost, SEK per month (``[costs.baseline]``)."""
    queue_agent_hour_sek: Mapping[str, Decimal] = field(default_factory=dict)
    """Agent-hour prices of particular queues (``[costs.queues.<q>] agent_hour_sek``)."""
    fixed_month_sek: Decimal = Decimal(0)
    """Fixed cost of the central switchboard per month (platform, base staff), shared out
    by ``fixed_share`` in the monthly statement."""
    fixed_share: Mapping[str, Decimal] = field(default_factory=dict)
    """Percent of ``fixed_month_sek`` each district carries (``[costs.fixed_share]``); the
    shares must add up to 100."""

    def agent_hour(self, queue: str) -> Decimal:
        return self.queue_agent_hour_sek.get(queue, self.agent_hour_sek)


def parse_cost_settings(data: Any, given: Mapping[str, tuple[Any, str]],
                        problems: list[str]) -> CostSettings:
    """Check the ``[costs]`` table; ``given`` holds the scalar keys' raw values, each with
    the name to use in an error (the configuration resolves environment overrides). Every
    problem is appended to ``problems`` naming its key."""
    if not isinstance(data, dict):
        problems.append("costs: expected a table")
        data = {}
    known = (*SCALAR_KEYS, "baseline", "queues", "fixed_share")
    for key in data:
        if key not in known:
            problems.append(f"costs.{key}: unknown key; known: {', '.join(known)}")
    values: dict[str, Any] = {}
    for key, (raw, where) in given.items():
        values[key] = (_flag(raw, where, problems) if key == "share_unattributed"
                       else _price(raw, where, problems))
    baseline = {name: _price(raw, f"costs.baseline.{name}", problems)
                for name, raw in _table(data.get("baseline", {}), "costs.baseline", problems)}
    queues = {}
    for name, raw in _table(data.get("queues", {}), "costs.queues", problems):
        where = f"costs.queues.{name}"
        for key in _table_keys(raw, where, problems):
            if key != "agent_hour_sek":
                problems.append(f"{where}.{key}: unknown key; known: agent_hour_sek")
        if isinstance(raw, dict) and "agent_hour_sek" in raw:
            queues[name] = _price(raw["agent_hour_sek"], f"{where}.agent_hour_sek", problems)
    shares = {name: _price(raw, f"costs.fixed_share.{name}", problems)
              for name, raw in _table(data.get("fixed_share", {}), "costs.fixed_share", problems)}
    _check_shares(values.get("fixed_month_sek"), shares, problems)
    return CostSettings(**{k: v for k, v in values.items() if v is not None},
                        fixed_share={k: v for k, v in shares.items() if v is not None},
                        baseline={k: v for k, v in baseline.items() if v is not None},
                        queue_agent_hour_sek={k: v for k, v in queues.items() if v is not None})


def _check_shares(fixed: Decimal | None, shares: Mapping[str, Decimal | None],
                  problems: list[str]) -> None:
    """A fixed cost must be shared out completely: the percentages add up to 100."""
    if any(v is None for v in shares.values()):
        return
    total = sum((v for v in shares.values() if v is not None), Decimal(0))
    if shares and total != 100:
        problems.append(f"costs.fixed_share: the shares add up to {total} %, not 100 %")
    elif fixed and not shares:
        problems.append("costs.fixed_share: costs.fixed_month_sek is set but no district "
                        "carries a share of it (add [costs.fixed_share] adding up to 100)")


def _table(data: Any, where: str, problems: list[str]) -> list[tuple[str, Any]]:
    if not isinstance(data, dict):
        problems.append(f"{where}: expected a table")
        return []
    return list(data.items())


def _table_keys(data: Any, where: str, problems: list[str]) -> list[str]:
    return [k for k, _ in _table(data, where, problems)]


def _price(raw: Any, where: str, problems: list[str]) -> Decimal | None:
    """A price in SEK: an integer or decimal number (a string from the environment), >= 0."""
    value: Decimal | None = None
    if isinstance(raw, int | float | str) and not isinstance(raw, bool):
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite():
        problems.append(f"{where}: expected a number of SEK (450 or 2.50), got {raw!r}")
        return None
    if value < 0:
        problems.append(f"{where}: expected a price of 0 SEK or more, got {raw!r}")
        return None
    return value


def _flag(raw: Any, where: str, problems: list[str]) -> bool | None:
    if isinstance(raw, str) and raw.lower() in ("1", "true", "yes", "0", "false", "no"):
        raw = raw.lower() in ("1", "true", "yes")
    if not isinstance(raw, bool):
        problems.append(f"{where}: expected true or false, got {raw!r}")
        return None
    return raw
