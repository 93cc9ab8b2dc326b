"""People per search token, cached per database until they expire."""

from __future__ import annotations

from directory import token_counts
from directory.api import Directory


def test_given_people_then_counted_per_token_and_zero_for_unknown(directory: Directory) -> None:
    directory.add_employee("E1", "Anna", "Ek")
    directory.add_employee("E2", "Anna Karin", "Berg")
    with directory.reading() as conn:
        counts = token_counts.people_per_token(conn, ["anna", "karin", "ek", "nobody"], now=0.0)
    assert counts == {"anna": 2, "karin": 1, "ek": 1, "nobody": 0}


def test_given_cached_counts_then_used_until_they_expire(directory: Directory) -> None:
    directory.add_employee("E1", "Anna", "Ek")
    with directory.reading() as conn:
        assert token_counts.people_per_token(conn, ["anna"], now=0.0) == {"anna": 1}
    directory.add_employee("E2", "Anna", "Berg")
    with directory.reading() as conn:
        still = token_counts.people_per_token(conn, ["anna"], now=token_counts.COUNT_TTL_S - 1)
        again = token_counts.people_per_token(conn, ["anna"], now=token_counts.COUNT_TTL_S)
    assert still == {"anna": 1}  # a plan from a stale count: slower perhaps, never wrong
    assert again == {"anna": 2}


def test_given_two_databases_then_each_has_its_own_counts(directory: Directory) -> None:
    other = Directory.open("sqlite://")
    try:
        directory.add_employee("E1", "Anna", "Ek")
        with directory.reading() as conn:
            assert token_counts.people_per_token(conn, ["anna"], now=0.0) == {"anna": 1}
        with other.reading() as conn:
            assert token_counts.people_per_token(conn, ["anna"], now=0.0) == {"anna": 0}
    finally:
        other.close()
