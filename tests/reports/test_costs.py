"""The cost model: scripted stream entries priced by hand, config errors naming the key, and
`vaxel costs` against a real Redis fed through the store's own scripts."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from infra.config import ConfigError, QueueSettings, load_config, parse_config
from infra.paths import repo_root
from reports.costs import (
    CITY_WIDE,
    DEFAULT_WRAP_UP_S,
    CostSettings,
    cost_report,
    render,
    round_half_up,
    sek,
    to_csv,
)
from routing.model import Call
from routing.store import RoutingStore
from switchboard.context import CITY_ZONE
from tests.reports.test_stats import answered_by_anna, enq, ev

#: 360 SEK an hour is 10 öre a second; 2.50 SEK a call is 250 öre.
PRICES = CostSettings(agent_hour_sek=Decimal(360), per_call_sek=Decimal("2.50"))
WRAP = {"kontaktcenter": 10}


def four_calls() -> list[dict[str, str]]:
    return [
        enq("a", 0, skills=("district:bromma", "topic:bygglov")),
        ev("call_answered", "a", 5, "anna"), ev("call_ended", "a", 65),   # 60 s + 10 s wrap-up
        enq("b", 1, skills=("district:bromma",)), ev("call_abandoned", "b", 20),
        enq("c", 2), ev("call_answered", "c", 2, "bo"), ev("call_ended", "c", 32),  # 30 + 10
        enq("d", 3, skills=("district:kista",)),                          # still waiting
    ]


def test_given_calls_with_and_without_a_district_then_each_line_is_priced_by_the_definition():
    r = cost_report(four_calls(), PRICES, WRAP, days=Fraction(1))
    bromma, kista, city = r.districts["bromma"], r.districts["kista"], r.districts[CITY_WIDE]
    assert (bromma.offered, bromma.answered, bromma.open, bromma.agent_seconds) == (2, 1, 0, 70)
    assert (bromma.agent_ore, bromma.fee_ore, bromma.total_ore) == (700, 500, 1200)
    assert (kista.offered, kista.open, kista.agent_ore, kista.total_ore) == (1, 1, 0, 250)
    assert (city.offered, city.agent_seconds, city.total_ore) == (1, 40, 650)
    assert [x.name for x in r.lines] == ["bromma", "kista", CITY_WIDE]
    assert (r.total.total_ore, r.total.offered, r.total.agent_seconds) == (2100, 4, 110)


def test_given_no_calls_then_the_city_wide_line_is_still_shown_at_zero():
    r = cost_report([], PRICES, WRAP, days=Fraction(1))
    assert [(x.name, x.total_ore) for x in r.lines] == [(CITY_WIDE, 0)]
    assert "stadsgemensamt (city-wide)" in render(r)


def test_given_a_queue_price_and_wrap_up_then_they_apply_to_that_queue_only():
    settings = CostSettings(agent_hour_sek=Decimal(360),
                            queue_agent_hour_sek={"operators": Decimal(720)})
    entries = [enq("o", 0, "operators", ("district:bromma",)), ev("call_answered", "o", 0, "eva"),
               ev("call_ended", "o", 12.5),                        # 13 s (half up) + 5 s
               enq("k", 0, skills=("district:bromma",)), ev("call_answered", "k", 0, "anna"),
               ev("call_ended", "k", 12.49),                       # 12 s + 10 s
               enq("q", 0, "nyqueue", ("district:bromma",)), ev("call_answered", "q", 0, "bo"),
               ev("call_ended", "q", 1)]                           # 1 s + the default wrap-up
    r = cost_report(entries, settings, {"operators": 5, "kontaktcenter": 10}, days=Fraction(1))
    b = r.districts["bromma"]
    assert b.agent_s == {"operators": 18, "kontaktcenter": 22, "nyqueue": 1 + DEFAULT_WRAP_UP_S}
    assert b.agent_ore == 18 * 20 + 22 * 10 + 11 * 10
    assert DEFAULT_WRAP_UP_S == QueueSettings().wrap_up_s


def test_given_an_end_before_the_answer_then_handle_time_is_zero_and_wrap_up_still_counts():
    entries = [enq("a", 0), ev("call_answered", "a", 10, "anna"), ev("call_ended", "a", 9)]
    assert cost_report(entries, PRICES, WRAP, days=Fraction(1)).total.agent_seconds == 10


def test_given_an_answered_call_still_talking_then_only_its_fee_is_counted():
    entries = [enq("a", 0), ev("call_answered", "a", 10, "anna")]
    city = cost_report(entries, PRICES, WRAP, days=Fraction(1)).districts[CITY_WIDE]
    assert (city.answered, city.open, city.agent_ore, city.fee_ore) == (1, 1, 0, 250)


def test_given_fractions_of_an_ore_then_the_line_is_rounded_once_not_per_call():
    # 100 SEK an hour is 2.777... öre a second: three 1-second calls are 8.33 öre -> 8
    # (rounding each call first would give 3 x 3 = 9).
    settings = CostSettings(agent_hour_sek=Decimal(100))
    entries = []
    for n in range(3):
        entries += [enq(f"c{n}", 0), ev("call_answered", f"c{n}", 0, "a"),
                    ev("call_ended", f"c{n}", 1)]
    assert cost_report(entries, settings, {"kontaktcenter": 0},
                       days=Fraction(1)).total.agent_ore == 8
    assert (round_half_up(Fraction(5, 2)), round_half_up(Fraction(-5, 2)),
            round_half_up(Fraction(249, 100))) == (3, -3, 2)
    assert (sek(123456), sek(-150), sek(5), sek(None)) == ("1234.56", "-1.50", "0.05", "-")


def test_given_a_monthly_baseline_then_it_is_prorated_by_days_over_the_mean_month():
    # 304.375 SEK a month is 1,000 öre a day (30.4375 days a month).
    settings = CostSettings(agent_hour_sek=Decimal(360), per_call_sek=Decimal("2.50"),
                            baseline={"bromma": Decimal("304.375"),
                                      "kista": Decimal("3043.75"), "norrmalm": Decimal(100)})
    r = cost_report(four_calls(), settings, WRAP, days=Fraction(1))
    bromma, kista, norrmalm = (r.districts[n] for n in ("bromma", "kista", "norrmalm"))
    assert (bromma.baseline_ore, bromma.diff_ore, bromma.over) == (1000, 200, True)
    assert (kista.baseline_ore, kista.diff_ore, kista.over) == (10000, -9750, False)
    assert (norrmalm.offered, norrmalm.total_ore, norrmalm.baseline_ore) == (0, 0, 329)
    assert r.districts[CITY_WIDE].baseline_ore is None and not r.districts[CITY_WIDE].over
    month = cost_report([], settings, WRAP, days=Fraction(304375, 10000))
    assert month.districts["bromma"].baseline_ore == 30438              # 30,437.5 half up
    over = [line for line in render(r).splitlines() if "ÖVER (over)" in line]
    assert len(over) == 1 and over[0].startswith("bromma")


def test_given_share_unattributed_then_city_wide_cost_is_split_by_calls_to_the_ore():
    settings = CostSettings(agent_hour_sek=Decimal(360), per_call_sek=Decimal("2.50"),
                            share_unattributed=True)
    r = cost_report(four_calls(), settings, WRAP, days=Fraction(1))
    bromma, kista, city = r.districts["bromma"], r.districts["kista"], r.districts[CITY_WIDE]
    # 650 öre over 2 : 1 offered calls = 433.33 + 216.67: the larger remainder gets the öre.
    assert (bromma.share_ore, kista.share_ore, city.share_ore) == (433, 217, -650)
    assert (bromma.total_ore, kista.total_ore, city.total_ore, city.own_ore) == (
        1633, 467, 0, 650)
    assert r.total.total_ore == r.total.own_ore == 2100 and r.total.share_ore == 0


def test_given_equal_remainders_then_the_odd_ore_goes_by_district_name():
    settings = CostSettings(per_call_sek=Decimal("0.01"), share_unattributed=True)
    entries = [enq("c", 0), enq("k", 0, skills=("district:kista",)),
               enq("b", 0, skills=("district:bromma",))]
    r = cost_report(entries, settings, WRAP, days=Fraction(1))
    assert (r.districts["bromma"].share_ore, r.districts["kista"].share_ore) == (1, 0)


def test_given_only_city_wide_calls_then_sharing_has_nothing_to_split_by():
    settings = CostSettings(per_call_sek=Decimal(1), share_unattributed=True,
                            baseline={"bromma": Decimal(100)})
    r = cost_report([enq("c", 0)], settings, WRAP, days=Fraction(1))
    assert r.districts[CITY_WIDE].total_ore == 100 and r.districts["bromma"].share_ore == 0


def test_given_a_period_then_only_calls_enqueued_in_it_are_priced():
    r = cost_report(four_calls(), PRICES, WRAP, days=Fraction(1), since=1, until=3)
    assert r.total.offered == 2 and set(r.districts) == {"bromma", CITY_WIDE}


def test_csv_and_json_carry_the_same_figures_and_the_columns_add_up():
    settings = CostSettings(agent_hour_sek=Decimal(360), per_call_sek=Decimal("2.50"),
                            share_unattributed=True, baseline={"bromma": Decimal("304.375")})
    r = cost_report(four_calls(), settings, WRAP, days=Fraction(1))
    rows = list(csv.DictReader(io.StringIO(to_csv(r))))
    assert [row["district"] for row in rows] == ["bromma", "kista", CITY_WIDE, "summa"]
    assert rows[0]["total_sek"] == "16.33" and rows[0]["agent_s"] == "70"
    assert (rows[0]["baseline_sek"], rows[0]["diff_sek"], rows[0]["over"]) == (
        "10.00", "6.33", "yes")
    assert rows[1]["baseline_sek"] == "" and rows[1]["over"] == "no"
    for column in ("agent_sek", "fee_sek", "share_sek", "total_sek"):
        parts = sum(Decimal(row[column]) for row in rows[:-1])
        assert parts == Decimal(rows[-1][column]), column
    data = json.loads(json.dumps(r.as_dict()))
    assert data["districts"]["bromma"]["total_ore"] == 1633
    assert data["city_wide"]["own_ore"] == 650 and data["total"]["total_ore"] == 2100
    assert data["prices"]["per_call_sek"] == "2.50" and data["wrap_up_s"] == WRAP


def test_example_config_has_a_valid_costs_section():
    config = load_config(repo_root() / "docs" / "vaxel.example.toml", env={})
    assert config.costs.agent_hour_sek > 0 and config.costs.baseline


def test_given_prices_in_toml_and_env_then_they_are_exact_decimals_and_env_wins():
    config = parse_config({"costs": {"agent_hour_sek": 450, "per_call_sek": 0.1,
                                     "baseline": {"bromma": 12000.5},
                                     "queues": {"operators": {"agent_hour_sek": 520}}}},
                          "x.toml", env={"VAXEL_COSTS_SHARE_UNATTRIBUTED": "true"})
    c = config.costs
    assert (c.agent_hour_sek, c.per_call_sek, c.share_unattributed) == (
        Decimal(450), Decimal("0.1"), True)
    assert c.baseline == {"bromma": Decimal("12000.5")}
    assert (c.agent_hour("operators"), c.agent_hour("kc")) == (Decimal(520), Decimal(450))
    env = parse_config({"costs": {"agent_hour_sek": 450}}, "x.toml",
                       env={"VAXEL_COSTS_AGENT_HOUR_SEK": "480.25"})
    assert env.costs.agent_hour_sek == Decimal("480.25")


def test_given_bad_costs_then_every_key_at_fault_is_named_and_nothing_is_built():
    with pytest.raises(ConfigError) as info:
        parse_config({"costs": {"agent_hour_sek": "mycket", "per_call_sek": -1, "vat": 25,
                                "share_unattributed": "ja", "baseline": {"bromma": True},
                                "queues": {"kc": {"agent_hour_sek": "x", "wrap": 1},
                                           "ops": 5}}}, "vaxel.toml", env={})
    text = str(info.value)
    for expected in ("vaxel.toml: costs.agent_hour_sek: expected a number of SEK (450 or 2.50), "
                     "got 'mycket'",
                     "costs.per_call_sek: expected a price of 0 SEK or more, got -1",
                     "costs.vat: unknown key",
                     "costs.share_unattributed: expected true or false, got 'ja'",
                     "costs.baseline.bromma: expected a number of SEK (450 or 2.50), got True",
                     "costs.queues.kc.agent_hour_sek: expected a number",
                     "costs.queues.kc.wrap: unknown key; known: agent_hour_sek",
                     "costs.queues.ops: expected a table"):
        assert expected in text
    with pytest.raises(ConfigError, match=r"costs.per_call_sek \(from VAXEL_COSTS_PER_CALL_SEK\)"
                                          r": expected a number"):
        parse_config({}, "x.toml", env={"VAXEL_COSTS_PER_CALL_SEK": "NaN"})
    with pytest.raises(ConfigError, match=r"costs: expected a table"):
        parse_config({"costs": 3}, "x.toml", env={})


async def test_vaxel_costs_prices_calls_written_by_the_store_as_json_csv_and_a_table(
        store: RoutingStore, redis_url: str, prefix: str, tmp_path, capsys):
    import time

    from vaxel.cli import main

    now = time.time()
    await answered_by_anna(store, "kc", ("district:bromma",), now)
    await store.finish("c1", now + 90, "call_ended")                  # 60 s + 20 s wrap-up
    await store.enqueue(Call("c2", "kc", (), enqueued_at=now + 5))
    await store.finish("c2", now + 20, "call_abandoned")              # city-wide: fee only
    config = tmp_path / "vaxel.toml"
    config.write_text('[queues.kc]\nwrap_up_s = 20\n\n[costs]\nagent_hour_sek = 360\n'
                      'per_call_sek = 2.50\nshare_unattributed = true\n\n'
                      '[costs.baseline]\nbromma = 304.375\n')
    today = datetime.fromtimestamp(now, CITY_ZONE).date()
    args = ["costs", "--redis", redis_url, "--prefix", prefix, "--config", str(config),
            "--since", today.isoformat(), "--until", (today + timedelta(days=1)).isoformat()]
    assert await asyncio.to_thread(main, [*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    bromma = report["districts"]["bromma"]
    assert report["days"] == 1.0
    assert (bromma["agent_s"], bromma["agent_ore"], bromma["fee_ore"], bromma["share_ore"]) == (
        80, 800, 250, 250)
    assert (bromma["total_ore"], bromma["baseline_ore"], bromma["diff_ore"], bromma["over"]) == (
        1300, 1000, 300, True)
    assert report["city_wide"]["offered"] == 1 and report["city_wide"]["total_ore"] == 0
    assert await asyncio.to_thread(main, [*args, "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["district"] == "bromma" and rows[0]["total_sek"] == "13.00"
    assert await asyncio.to_thread(main, args) == 0
    text = capsys.readouterr().out
    assert "Stadsdel (district)" in text and "ÖVER (over)" in text and "13.00" in text


async def test_vaxel_costs_without_prices_or_with_a_bad_one_says_which(
        redis_url: str, prefix: str, tmp_path, capsys):
    from vaxel.cli import main

    base = ["costs", "--redis", redis_url, "--prefix", prefix]
    assert await asyncio.to_thread(main, base) == 2
    assert "--config: vaxel costs needs the prices" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('[costs]\nagent_hour_sek = "gratis"\n')
    assert await asyncio.to_thread(main, [*base, "--config", str(bad)]) == 2
    assert "costs.agent_hour_sek: expected a number of SEK" in capsys.readouterr().err
    empty = tmp_path / "empty.toml"
    empty.write_text("[costs]\n")
    assert await asyncio.to_thread(main, [*base, "--config", str(empty)]) == 2
    assert "nothing to price" in capsys.readouterr().err
    assert await asyncio.to_thread(main, [*base, "--config", str(bad), "--json", "--csv"]) == 2
    assert "choose one" in capsys.readouterr().err


def test_given_a_month_across_the_daylight_saving_change_then_it_is_whole_wall_clock_days():
    from reports.costs_cli import first_enqueued, wall_days
    from reports.stats_cli import parse_when

    today = datetime(2026, 10, 20).date()
    october = parse_when("month", "--since", today)
    november = parse_when("2026-11-01", "--until", today)
    assert october == parse_when("2026-10-01", "--since", today)
    assert october is not None and november is not None
    assert november - october == 31 * 86400 + 3600                 # the clock went back 1 h
    assert wall_days(october, november) == 31
    assert wall_days(october, october + 6 * 3600) == Fraction(1, 4)
    assert first_enqueued([ev("agent_state", "", 1), enq("a", 7.5), enq("b", 3)]) == 7.5


async def test_given_a_bad_stream_entry_then_both_reports_name_it_without_a_traceback(
        redis_url: str, prefix: str, tmp_path, capsys):
    import redis.asyncio as aioredis

    from vaxel.cli import main

    client = aioredis.from_url(redis_url, decode_responses=True)
    await client.xadd(f"{prefix}:events", {"kind": "call_enqueued", "call_id": "x", "at": "nu"})
    await client.aclose()
    config = tmp_path / "vaxel.toml"
    config.write_text("[costs]\nper_call_sek = 1\n")
    for command in ("stats", "costs"):
        args = [command, "--redis", redis_url, "--prefix", prefix, "--config", str(config),
                "--since", "all"]
        assert await asyncio.to_thread(main, args) == 2
        assert "stream entry 0 (call_enqueued x): at: not a number: 'nu'" in (
            capsys.readouterr().err)
