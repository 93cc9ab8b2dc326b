"""GDPR retention of call records: numbers pseudonymised by an HMAC after N days (the same
caller keeps one pseudonym; export still finds them), records deleted after M days, purge
idempotent, blanking without a key; `vaxel gdpr purge|export`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reports.gdpr import export, pseudonym, purge
from reports.record_store import RecordStore
from reports.records import CallRecord
from vaxel.cli import main
from vaxel.testing.services import RedisServer

DAY = 86400.0
NOW = 1_800_000_000.0
KEY = "test-key-not-a-secret"


def seed(records: RecordStore) -> None:
    records.save([CallRecord("old", arrived_at=NOW - 400 * DAY, caller="46701234567"),
                  CallRecord("mid", arrived_at=NOW - 100 * DAY, caller="46701234567"),
                  CallRecord("mid2", arrived_at=NOW - 95 * DAY, caller="46811111111"),
                  CallRecord("new", arrived_at=NOW - 1 * DAY, caller="46701234567")])


def test_pseudonym_is_keyed_and_the_same_for_every_form_of_a_number() -> None:
    assert pseudonym("070-123 45 67", KEY) == pseudonym("+46701234567", KEY)
    assert pseudonym("0701234567", KEY) != pseudonym("0701234567", "other")
    assert pseudonym("0701234567", KEY).startswith("hmac:") and "0701" not in pseudonym(
        "0701234567", KEY)


def test_purge_pseudonymises_then_deletes_once(records: RecordStore) -> None:
    seed(records)
    result = purge(records, NOW, pseudonymise_after_days=90, delete_after_days=365, key=KEY)
    assert (result.pseudonymised, result.deleted) == (2, 1)
    mid = records.get("mid")
    assert mid.caller == pseudonym("0701234567", KEY) and mid.caller_hashed
    assert records.get("new").caller == "46701234567"
    assert records.count() == 3
    again = purge(records, NOW, pseudonymise_after_days=90, delete_after_days=365, key=KEY)
    assert (again.pseudonymised, again.deleted) == (0, 0)
    assert records.get("mid").caller == mid.caller
    assert [r.call_id for r in export(records, "070-123 45 67", KEY)] == ["mid", "new"]
    assert [r.call_id for r in export(records, "070-123 45 67", "")] == ["new"]


def test_without_a_key_numbers_are_blanked(records: RecordStore) -> None:
    seed(records)
    purge(records, NOW, pseudonymise_after_days=90, delete_after_days=365, key="")
    assert records.get("mid").caller == "" and records.get("mid").caller_hashed


def test_vaxel_gdpr_export_and_purge(records: RecordStore, records_url: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    records.save([CallRecord("a", arrived_at=NOW, caller="46701234567")])
    monkeypatch.setenv("VAXEL_SMTP_SPOOL_DIR", str(tmp_path / "spool"))
    with RedisServer() as redis:
        source = ["--database", records_url, "--redis", redis.url]
        assert main(["gdpr", "export", "--number", "070-1234567", *source]) == 0
        out = json.loads(capsys.readouterr().out)
        assert [r["call_id"] for r in out["sources"]["call_records"]] == ["a"]
        assert main(["gdpr", "export", "--number", "anna", *source]) == 2
        assert "--number: not a phone number" in capsys.readouterr().err
        monkeypatch.setenv("VAXEL_REPORTS_HMAC_KEY", KEY)
        assert main(["gdpr", "purge", *source]) == 0
        out = capsys.readouterr().out
        assert "records: 0 numbers pseudonymised, 0 records deleted" in out
        assert "redis: 0 messages deleted (0 spooled)" in out
