"""Prepared read statements: same rows and types as SQLAlchemy's, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select

from directory import prepared
from directory.api import Directory
from directory.errors import DirectoryError
from directory.models import EmployeeRow, EmployeeTokenRow
from directory.prepared import Prepared


def test_given_values_then_padded_to_a_power_of_two_with_the_last_repeated() -> None:
    assert prepared.padded(["a"]) == ["a"]
    assert prepared.padded(["a", "b", "c"]) == ["a", "b", "c", "c"]
    assert len(prepared.padded(list(range(5)))) == 8
    assert prepared.in_params("t", ["x", "y", "z"]) == {
        "t_0": "x",
        "t_1": "y",
        "t_2": "z",
        "t_3": "z",
    }


def test_given_people_then_rows_and_named_rows_match_sqlalchemy(directory: Directory) -> None:
    directory.add_employee("E1", "Anna", "Ek", extension="4711", listed=False)
    directory.add_employee("E2", "Per", "Ekström", extension="4712")
    statement = (
        select(EmployeeRow.id, EmployeeRow.listed, EmployeeRow.extension)
        .where(EmployeeRow.id.in_([bindparam("ids_0"), bindparam("ids_1")]))
        .order_by(EmployeeRow.id)
        .limit(bindparam("n"))
    )
    with directory.reading() as conn:
        expected = [
            tuple(r) for r in conn.execute(statement, {"ids_0": "E1", "ids_1": "E2", "n": 5})
        ]
        found = Prepared(statement).rows(conn, {"ids_0": "E1", "ids_1": "E2", "n": 5})
        named = Prepared(statement).named(conn, {"ids_0": "E2", "ids_1": "E2", "n": 5})
    assert found == expected == [("E1", False, "4711"), ("E2", True, "4712")]
    assert [type(r[1]) for r in found] == [bool, bool]  # SQLite's 0/1 come back as booleans
    assert [(r.id, r.listed) for r in named] == [("E2", True)]


def test_given_statement_with_a_literal_limit_then_its_value_is_bound(directory: Directory) -> None:
    directory.add_employee("E1", "Anna", "Ek")
    directory.add_employee("E2", "Anna", "Berg")
    statement = select(EmployeeTokenRow.employee_id).where(
        EmployeeTokenRow.token == bindparam("token")
    )
    with directory.reading() as conn:
        one = Prepared(statement.order_by(EmployeeTokenRow.sort_key).limit(1))
        assert one.rows(conn, {"token": "anna"}) == [("E2",)]


def test_given_expanding_parameter_then_refused_naming_it(directory: Directory) -> None:
    statement = select(EmployeeRow.id).where(EmployeeRow.id.in_(bindparam("ids", expanding=True)))
    with directory.reading() as conn, pytest.raises(ValueError, match="ids"):
        Prepared(statement).rows(conn, {"ids": ["E1"]})


def test_given_a_failing_statement_then_a_directory_error_keeps_the_cause(
    directory: Directory,
) -> None:
    statement = select(EmployeeRow.id).where(EmployeeRow.id == bindparam("id"))
    with directory.reading() as conn:
        with pytest.raises(DirectoryError) as caught:
            Prepared(statement).rows(conn, {"id": object()})  # no driver can bind this
        assert caught.value.__cause__ is not None


def test_given_an_opened_directory_then_common_searches_compile_nothing(
    directory: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shapes most searches use are compiled at open, not on a caller's time."""
    directory.add_employee("E1", "Anna", "Ek", extension="4711")
    directory.add_employee("E2", "Anna", "Ekström", extension="4712")
    compiled: list[object] = []
    real = prepared._compile
    monkeypatch.setattr(prepared, "_compile", lambda *a: compiled.append(a) or real(*a))
    for query in ("anna ek", "ek anna", "ekstr", "4711", "anna", "ekstrom"):
        assert directory.search(query), query
    assert directory.dial_by_name("35") and compiled == []
