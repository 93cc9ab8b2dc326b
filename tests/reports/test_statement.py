"""The monthly statement: a month priced by hand (per call, agent minutes with wrap-up,
fixed share), the month before beside it, and `vaxel report month` on SQLite and
PostgreSQL writing HTML, CSV and JSON; bad months and districts are clear errors."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from infra.cost_settings import CostSettings
from infra.report_settings import ReportSettings
from reports.kpis import KpiRow, row_of
from reports.record_store import RecordStore
from reports.records import CallRecord
from reports.statement import (
    CITY_WIDE,
    StatementError,
    check_district,
    month_bounds,
    month_figures,
    previous_month,
)
from vaxel.cli import main
from vaxel.testing.call_records import generate, insert

COSTS = CostSettings(agent_hour_sek=Decimal(360), per_call_sek=Decimal("2.50"),
                     fixed_month_sek=Decimal(1000),
                     fixed_share={"bromma": Decimal(75), "kista": Decimal(25)})
NOV = month_bounds("2026-11")[0]


def rec(call_id: str, at: float, **kw: object) -> KpiRow:
    return row_of(CallRecord(call_id, arrived_at=at, **kw))  # type: ignore[arg-type]


def test_month_bounds_and_previous_month_in_city_time() -> None:
    since, until = month_bounds("2026-11")
    assert until - since == 30 * 86400
    assert previous_month("2026-01") == "2025-12"
    with pytest.raises(StatementError, match="month: expected YYYY-MM"):
        month_bounds("2026-13")


def test_a_month_priced_by_hand() -> None:
    """bromma: a switchboard call answered after 10 s, talked 110 s (+10 s wrap-up = 120 s =
    12.00 SEK at 10 öre/s) + fee 2.50 + 75 % of 1000 fixed; kista: one abandoned call, fee
    only + 25 %; a direct call without district on the city-wide line, fee only."""
    rows = [
        rec("a", NOV + 3600, queue="operators", district="bromma", enqueued_at=NOV + 3600,
            answered_at=NOV + 3610, ended_at=NOV + 3720, acd_end="call_ended"),
        rec("b", NOV + 7200, queue="operators", district="kista", enqueued_at=NOV + 7200,
            ended_at=NOV + 7230, acd_end="call_abandoned"),
        rec("c", NOV + 9000, ivr_path=("dial:PJSIP/1",), ivr_done=True),
    ]
    m = month_figures("2026-11", rows, COSTS, ReportSettings(), {"operators": 10})
    bromma, kista, city = m.districts["bromma"], m.districts["kista"], m.districts[CITY_WIDE]
    assert (bromma.variable_ore, bromma.fixed_ore, bromma.total_ore) == (1450, 75000, 76450)
    assert (kista.variable_ore, kista.total_ore) == (250, 25250)
    assert (city.variable_ore, city.calls) == (250, {"direkt": 1})
    assert bromma.agent_s == {"vaxel": 120.0} and bromma.talk_s == {"vaxel": 110.0}
    assert m.services["vaxel"].service_level == 0.5
    assert m.calls_per_day["2026-11-01"] == 3 and len(m.calls_per_day) == 30
    assert m.total_ore == 76450 + 25250 + 250


def test_district_names_are_checked() -> None:
    assert check_district("Bromma", {"bromma", "kista"}) == "bromma"
    with pytest.raises(StatementError, match="district 'narnia' does not exist; known: "
                                             "bromma, kista"):
        check_district("narnia", {"bromma", "kista"})


@pytest.fixture
def filled(records: RecordStore, records_url: str, tmp_path: Path) -> tuple[str, Path]:
    insert(records.engine, generate("2026-11", 600, seed=1))
    insert(records.engine, generate("2026-10", 500, seed=2))
    config = tmp_path / "vaxel.toml"
    config.write_text('[costs]\nagent_hour_sek = 450\nper_call_sek = 2.50\n'
                      'fixed_month_sek = 60000\n[costs.fixed_share]\nbromma = 60\nkista = 40\n'
                      '[queues.operators]\ngroup = "operators"\nwrap_up_s = 15\n',
                      encoding="utf-8")
    return records_url, config


def report(filled: tuple[str, Path], out: Path, *extra: str) -> int:
    url, config = filled
    return main(["report", "month", "2026-11", "--database", url, "--config", str(config),
                 "-o", str(out), *extra])


def test_report_month_json_has_both_months_and_adds_up(filled: tuple[str, Path],
                                                       tmp_path: Path) -> None:
    out = tmp_path / "nov.json"
    assert report(filled, out, "--format", "json") == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    month, before = data["month"], data["month_before"]
    assert (month["month"], month["calls"], before["month"], before["calls"]) == (
        "2026-11", 600, "2026-10", 500)
    assert sum(d["total_ore"] for d in month["districts"].values()) == month["total_ore"]
    assert month["districts"]["bromma"]["fixed_ore"] == 3_600_000
    assert sum(month["calls_per_day"].values()) == 600


def test_report_month_csv_and_html(filled: tuple[str, Path], tmp_path: Path) -> None:
    csv_out, html_out = tmp_path / "nov.csv", tmp_path / "nov.html"
    assert report(filled, csv_out, "--format", "csv", "--district", "Bromma") == 0
    lines = csv_out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("month,level,name,service,calls")
    assert {ln.split(",")[2] for ln in lines[1:] if ",district," in ln} == {"bromma", CITY_WIDE}
    assert report(filled, html_out, "--format", "html") == 0
    html = html_out.read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "@media print" in html and "2026-10" in html


def test_bad_month_district_or_empty_month_is_an_error_and_writes_nothing(
        filled: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.html"
    assert report(filled, out, "--district", "narnia") == 2
    assert "district 'narnia' does not exist" in capsys.readouterr().err
    url, config = filled
    assert main(["report", "month", "2026-02", "--database", url, "-o", str(out)]) == 2
    assert "month 2026-02: no call records (records start 2026-10)" in capsys.readouterr().err
    assert main(["report", "month", "11/2026", "--database", url, "-o", str(out)]) == 2
    assert "month: expected YYYY-MM" in capsys.readouterr().err
    assert not out.exists()


def test_a_record_written_twice_counts_once(records: RecordStore) -> None:
    r = next(generate("2026-11", 1))
    records.save([r])
    records.save([replace(r, transfers=1)])
    since, until = month_bounds("2026-11")
    assert len(list(records.rows_between(since, until, ["call_id"]))) == 1


def test_administrations_carry_the_fixed_share_by_their_calls_and_the_totals_add_up() -> None:
    """bromma (60 % of 1000 SEK) has 2 calls of social and 1 of stadsbyggnad: 400 and 200 SEK;
    kista (30 %) has 1 social call and 2 without an administration: 100.00 and 200.00 SEK
    (no remainder); spånga (10 %) had no calls: its 100 SEK go to the line '-'. The
    administrations' fixed shares add up to the districts' exactly, and so do the totals
    when the prices are whole öre per call and per agent second."""
    costs = CostSettings(agent_hour_sek=Decimal(360), per_call_sek=Decimal("2.50"),
                         fixed_month_sek=Decimal(1000),
                         fixed_share={"bromma": Decimal(60), "kista": Decimal(30),
                                      "spånga": Decimal(10)})
    answered = {"queue": "operators", "enqueued_at": NOV + 10, "answered_at": NOV + 20,
                "ended_at": NOV + 97, "acd_end": "call_ended"}
    rows = [rec("b1", NOV + 10, district="bromma", administration="social", **answered),
            rec("b2", NOV + 10, district="bromma", administration="social"),
            rec("b3", NOV + 10, district="bromma", administration="stadsbyggnad", **answered),
            rec("k1", NOV + 10, district="kista", administration="social", **answered),
            rec("k2", NOV + 10, district="kista"), rec("k3", NOV + 10, district="kista")]
    m = month_figures("2026-11", rows, costs, ReportSettings(), {"operators": 10})
    fixed = {k: v.fixed_ore for k, v in m.administrations.items()}
    assert fixed == {"social": 40_000 + 10_000, "stadsbyggnad": 20_000, "-": 20_000 + 10_000}
    assert sum(fixed.values()) == sum(d.fixed_ore for d in m.districts.values()) == 100_000
    assert sum(a.total_ore for a in m.administrations.values()) == m.total_ore

    odd = CostSettings(agent_hour_sek=Decimal(7), per_call_sek=Decimal("0.33"),
                       fixed_month_sek=Decimal("1000.01"),
                       fixed_share={"bromma": Decimal(60), "kista": Decimal(40)})
    m = month_figures("2026-11", rows, odd, ReportSettings(), {"operators": 10})
    fixed = {k: v.fixed_ore for k, v in m.administrations.items()}
    # 100 001 öre: bromma 60 001 by calls 2:1 = 40 000.67 / 20 000.33 -> 40 001 + 20 000;
    # kista 40 000 by 1:2 = 13 333.33 / 26 666.67 -> 13 333 + 26 667 (the larger remainder).
    assert fixed == {"social": 40_001 + 13_333, "stadsbyggnad": 20_000, "-": 26_667}
    assert sum(fixed.values()) == sum(d.fixed_ore for d in m.districts.values()) == 100_001
    lines = len(m.districts) + len(m.administrations)
    assert abs(sum(a.total_ore for a in m.administrations.values()) - m.total_ore) < lines
