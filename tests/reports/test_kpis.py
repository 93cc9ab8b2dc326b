"""KPIs of call records (pure): the issue's example (75 %), short abandons, per service,
district and hour, FCR and callbacks, targets met or not."""

from __future__ import annotations

from datetime import datetime

import pytest

from infra.config import ConfigError, parse_config
from infra.report_settings import ReportSettings
from reports.kpis import CITY_ZONE, KpiRow, kpis, meets, period_key, row_of
from reports.records import CallRecord, apply_acd

SETTINGS = ReportSettings()
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=CITY_ZONE).timestamp()


def row(outcome: str, wait: float | None, *, queue: str = "operators", at: float = T0,
        district: str = "", talk: float | None = None, callback: bool = False,
        case: str = "") -> KpiRow:
    return KpiRow(at, queue, "", district, "", outcome, wait, talk, callback, case)


def test_three_answered_in_10_s_and_one_abandoned_after_20_s_is_75_percent() -> None:
    rows = [row("answered", 10.0, talk=60.0)] * 3 + [row("abandoned", 20.0)]
    k = kpis(rows, SETTINGS)[("all", "all")]
    assert k.target_s == 15.0
    assert (k.offered, k.answered, k.abandoned, k.service_level) == (4, 3, 1, 0.75)
    assert (k.asa_s, k.aht_s, k.lost) == (10.0, 60.0, 0.25)
    assert meets(k, SETTINGS) == {"service_level": False, "lost": False}


def test_short_abandons_are_counted_apart_and_left_out() -> None:
    rows = [row("answered", 10.0)] * 3 + [row("abandoned", 3.0)]
    k = kpis(rows, SETTINGS)[("all", "all")]
    assert (k.short_abandoned, k.abandoned, k.service_level, k.lost) == (1, 0, 1.0, 0.0)
    k = kpis(rows, ReportSettings(short_abandon_s=0))[("all", "all")]
    assert (k.short_abandoned, k.abandoned, k.service_level) == (0, 1, 0.75)


def test_contact_center_is_judged_by_five_minutes() -> None:
    rows = [row("answered", 200.0, queue="kontaktcenter"), row("answered", 20.0)]
    got = kpis(rows, SETTINGS, by="service")
    assert got[("kontaktcenter", "all")].service_level == 1.0
    assert got[("vaxel", "all")].service_level == 0.0
    assert got[("kontaktcenter", "all")].target_s == 300.0


def test_by_district_and_hour_in_city_time() -> None:
    rows = [row("answered", 5.0, district="bromma"),
            row("answered", 5.0, district="bromma", at=T0 + 3600),
            row("answered", 5.0)]
    got = kpis(rows, SETTINGS, by="district", period="hour")
    assert sorted(got) == [("-", "2026-11-02T08"), ("bromma", "2026-11-02T08"),
                           ("bromma", "2026-11-02T09")]
    assert period_key(T0, "month") == "2026-11" and period_key(T0, "day") == "2026-11-02"


def test_fcr_callbacks_fallbacks_and_direct_calls() -> None:
    rows = [row("answered", 30.0, callback=True, case="resolved"),
            row("callback", 400.0, callback=True),
            row("fallback", 1800.0, case=""),
            row("answered", 12.0, case="forwarded"),
            row("answered", None, queue=""),
            row("message", None, queue="")]
    k = kpis(rows, SETTINGS)[("all", "all")]
    assert (k.callbacks_asked, k.callbacks_made, k.fallbacks, k.messages) == (2, 1, 1, 1)
    assert (k.fcr, k.answered, k.queued) == (0.5, 3, 4)
    assert k.service_level == pytest.approx(1 / 4)


def test_rows_from_records() -> None:
    r = apply_acd(CallRecord("c", arrived_at=T0), "1-0",
                  {"kind": "call_enqueued", "at": repr(T0), "queue": "operators"})
    r = apply_acd(r, "2-0", {"kind": "call_abandoned", "at": repr(T0 + 20)})
    assert row_of(r) == row("abandoned", 20.0)


def test_report_settings_are_checked_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"reports.metrics_host: expected a loopback"):
        parse_config({"reports": {"metrics_host": "0.0.0.0"}}, "vaxel.toml", {})
    got = parse_config({"reports": {"switchboard_answer_s": 20}}, "vaxel.toml",
                       {"VAXEL_REPORTS_HMAC_KEY": "s3cret"}).reports
    assert (got.switchboard_answer_s, got.hmac_key) == (20, "s3cret")
