"""LDAP sync against a real OpenLDAP slapd started for the test run."""

from __future__ import annotations

import os
from collections.abc import Iterator

import ldap3
import pytest

from directory import demo
from directory.api import Directory, ImportRejected, SyncFailed
from directory.ldap_sync import LdapSettings, sync_ldap
from vaxel.cli import main

from .services import SlapdServer, slapd_binary, slapd_server

PEOPLE = "ou=people,dc=city,dc=test"


@pytest.fixture(scope="session")
def slapd() -> Iterator[SlapdServer]:
    if slapd_binary() is None and not os.environ.get("CI"):
        pytest.skip("slapd not installed")
    with slapd_server() as server:
        yield server


@pytest.fixture
def ldap(slapd: SlapdServer) -> Iterator[ldap3.Connection]:
    """A fresh people tree with three people (removed again after the test)."""
    conn = ldap3.Connection(ldap3.Server(slapd.url), slapd.admin, slapd.password, auto_bind=True)
    conn.add(slapd.suffix, ["dcObject", "organization"], {"o": "City", "dc": "city"})
    assert conn.add(PEOPLE, ["organizationalUnit"], {"ou": "people"}), conn.result
    for uid, number, given, family, ext in [
        ("asa", "H1", "Åsa", "Öberg", "4801"),
        ("per", "H2", "Per", "Holm", "4802"),
        ("li", "H3", "Li", "Wang", "4803"),
    ]:
        _add(conn, uid, number, given, family, ext)
    yield conn
    conn.search(PEOPLE, "(objectClass=*)", search_scope=ldap3.LEVEL)
    for entry in conn.entries:
        conn.delete(entry.entry_dn)
    conn.delete(PEOPLE)
    conn.unbind()


def _add(
    conn: ldap3.Connection, uid: str, number: str, given: str, family: str, ext: str, **extra: str
) -> None:
    attrs = {
        "cn": f"{given} {family}",
        "givenName": given,
        "sn": family,
        "employeeNumber": number,
        "telephoneNumber": ext,
        "departmentNumber": "bygglov",
        "title": "Handläggare",
        **extra,
    }
    assert conn.add(f"uid={uid},{PEOPLE}", ["inetOrgPerson"], attrs), conn.result


@pytest.fixture
def city(directory: Directory) -> Directory:
    demo.seed(directory, size="small", people=False)
    return directory


@pytest.fixture
def city_url(tmp_path: object) -> str:
    """An SQLite file holding the demo city without people, for the command line."""
    url = f"sqlite:///{tmp_path}/d.db"
    d = Directory.open(url)
    demo.seed(d, size="small", people=False)
    d.close()
    return url


def _settings(slapd: SlapdServer) -> LdapSettings:
    return LdapSettings(url=slapd.url, base_dn=PEOPLE, bind_dn=slapd.admin, password=slapd.password)


def test_given_people_in_ldap_when_synced_then_they_are_added_and_searchable(
    city: Directory, slapd: SlapdServer, ldap: ldap3.Connection
) -> None:
    plan = sync_ldap(city, _settings(slapd))
    assert plan.summary() == "3 added, 0 changed, 0 deactivated, 0 unchanged"
    found = city.employee_by_extension("4801")
    assert found is not None and (found.id, found.full_name) == ("H1", "Åsa Öberg")
    assert [h.employee.id for h in city.search("oberg") if h.employee] == ["H1"]


def test_given_changed_renamed_and_removed_people_when_synced_again_then_reported_by_stable_id(
    city: Directory, slapd: SlapdServer, ldap: ldap3.Connection
) -> None:
    sync_ldap(city, _settings(slapd))
    # Åsa marries (new family name, same stable id), Per leaves, Maja joins with Per's extension.
    ldap.modify(f"uid=asa,{PEOPLE}", {"sn": [(ldap3.MODIFY_REPLACE, ["Lind"])]})
    ldap.delete(f"uid=per,{PEOPLE}")
    _add(ldap, "maja", "H4", "Maja", "Ek", "4802")
    plan = sync_ldap(city, _settings(slapd), actor="nightly")
    assert plan.summary() == "1 added, 1 changed, 1 deactivated, 1 unchanged"
    assert "~ H1 Åsa Lind: family_name: 'Öberg' -> 'Lind'" in plan.lines()
    renamed = city.employee("H1")
    assert renamed is not None and renamed.family_name == "Lind"
    assert city.employee("H2") is None
    newcomer = city.employee_by_extension("4802")
    assert newcomer is not None and newcomer.id == "H4"
    assert [e.action for e in city.history("H2")][:1] == ["deactivated"]
    assert city.history("H1")[0].actor == "nightly"


def test_given_dry_run_then_plan_reported_and_nothing_written(
    city: Directory, slapd: SlapdServer, ldap: ldap3.Connection
) -> None:
    plan = sync_ldap(city, _settings(slapd), dry_run=True)
    assert len(plan.added) == 3 and city.active_employees() == {}


def test_given_entry_with_unknown_unit_then_nothing_synced_and_entry_named(
    city: Directory, slapd: SlapdServer, ldap: ldap3.Connection
) -> None:
    _add(ldap, "bad", "H9", "Bo", "Fel", "4809", departmentNumber="nowhere")
    with pytest.raises(ImportRejected, match="nowhere"):
        sync_ldap(city, _settings(slapd))
    assert city.active_employees() == {}


def test_given_wrong_password_then_sync_failed_names_the_server(
    city: Directory, slapd: SlapdServer, ldap: ldap3.Connection
) -> None:
    settings = LdapSettings(url=slapd.url, base_dn=PEOPLE, bind_dn=slapd.admin, password="wrong")
    with pytest.raises(SyncFailed, match=slapd.url):
        sync_ldap(city, settings)


@pytest.fixture
def sync_argv(
    slapd: SlapdServer, ldap: ldap3.Connection, city_url: str, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """``vaxel directory sync`` of the test tree into ``city_url``, password in the env."""
    monkeypatch.setenv("TEST_LDAP_PW", slapd.password)
    return ["directory", "sync", "--url", city_url, "--ldap-url", slapd.url, "--base-dn", PEOPLE,
            "--bind-dn", slapd.admin, "--password-env", "TEST_LDAP_PW"]


def test_given_cli_sync_with_password_in_environment_then_changes_printed(
    sync_argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(sync_argv)
    out = capsys.readouterr().out
    assert code == 0 and "+ H1 Åsa Öberg" in out and "3 added" in out


def test_given_mail_in_ldap_when_changed_then_sync_reports_it_and_a_bad_one_stops_the_sync(
    city: Directory, slapd: SlapdServer, ldap: ldap3.Connection
) -> None:
    ldap.modify(f"uid=asa,{PEOPLE}", {"mail": [(ldap3.MODIFY_ADD, ["asa.oberg@stad.example"])]})
    sync_ldap(city, _settings(slapd))
    assert city.employee("H1").email == "asa.oberg@stad.example"  # type: ignore[union-attr]
    assert city.employee("H2").email is None  # type: ignore[union-attr]
    ldap.modify(f"uid=asa,{PEOPLE}", {"mail": [(ldap3.MODIFY_REPLACE, ["asa.lind@stad.example"])]})
    plan = sync_ldap(city, _settings(slapd))
    assert plan.lines() == [
        "~ H1 Åsa Öberg: email: 'asa.oberg@stad.example' -> 'asa.lind@stad.example'"
    ]
    ldap.modify(f"uid=per,{PEOPLE}", {"mail": [(ldap3.MODIFY_ADD, ["per.holm(at)stad.example"])]})
    ldap.modify(f"uid=li,{PEOPLE}", {"mail": [(ldap3.MODIFY_ADD, ["li.wang@stad.example"])]})
    with pytest.raises(ImportRejected, match=rf"uid=per,{PEOPLE}: employee e-mail address"):
        sync_ldap(city, _settings(slapd))
    assert city.employee("H3").email is None  # type: ignore[union-attr]


def test_given_cli_sync_with_mail_attribute_then_that_attribute_is_the_address(
    sync_argv: list[str], ldap: ldap3.Connection, city_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ldap.modify(f"uid=asa,{PEOPLE}", {"mail": [(ldap3.MODIFY_ADD, ["asa.oberg@stad.example"])]})
    ldap.modify(f"uid=asa,{PEOPLE}", {"description": [(ldap3.MODIFY_ADD, ["asa@kontakt.example"])]})
    assert main([*sync_argv, "--mail-attribute", "description"]) == 0
    d = Directory.open(city_url)
    assert d.employee("H1").email == "asa@kontakt.example"  # type: ignore[union-attr]
    d.close()
    assert main([*sync_argv, "--mail-attribute", ""]) == 0
    out = capsys.readouterr().out
    assert "~ H1 Åsa Öberg: email: 'asa@kontakt.example' -> None" in out
