"""Pure ranking: query classification, name ranks, protection of unlisted people, order."""

from __future__ import annotations

from directory.api import Employee, MatchRank, SearchHit, Unit
from directory.ranking import (
    ParsedQuery,
    name_rank,
    order_hits,
    parse_query,
    protect,
    split_district,
)


def _emp(id: str, given: str, family: str, listed: bool = True) -> Employee:
    return Employee(id, given, family, "", None, None, listed=listed)


def test_short_digit_strings_are_extensions_and_long_numbers_phone_numbers() -> None:
    assert parse_query(" 4711 ") == ParsedQuery(extension="4711")
    assert parse_query("070-123 45 67") == ParsedQuery(phone="46701234567")
    assert parse_query("Karin Ekström") == ParsedQuery(name_tokens=("karin", "ekstrom"))


def test_given_name_first_or_family_name_first_rank_the_same() -> None:
    tokens = ("karin", "ekstrom")
    assert name_rank(["karin", "ekstrom"], tokens) is MatchRank.EXACT_NAME
    assert name_rank(["ekstrom", "karin"], tokens) is MatchRank.EXACT_NAME


def test_rank_is_the_weakest_token_match() -> None:
    tokens = ("karin", "ekstrom")
    assert name_rank(["karin", "ekst"], tokens) is MatchRank.PREFIX
    assert name_rank(["kari", "ekstorm"], tokens) is MatchRank.FUZZY
    assert name_rank(["karin", "berg"], tokens) is None


def test_two_query_tokens_may_not_both_use_one_name_token() -> None:
    assert name_rank(["anna", "ann"], ("anna", "lind")) is None
    assert name_rank(["anna", "ann"], ("anna", "annsson")) is MatchRank.PREFIX


def test_short_tokens_get_no_typo_allowance() -> None:
    assert name_rank(["ek"], ("ex",)) is None
    assert name_rank(["ek"], ("ekberg",)) is MatchRank.PREFIX


def test_hits_order_by_rank_then_family_name_given_name_and_id() -> None:
    hits = [
        SearchHit(MatchRank.PREFIX, employee=_emp("3", "Anna", "Öberg")),
        SearchHit(MatchRank.FUZZY, employee=_emp("1", "Anna", "Andersson")),
        SearchHit(MatchRank.PREFIX, employee=_emp("2", "Anna", "Berg")),
        SearchHit(MatchRank.PREFIX, employee=_emp("0", "Anna", "Berg")),
        SearchHit(MatchRank.EXACT_NAME, unit=Unit("u", "Zeta")),
    ]
    assert [(h.employee or h.unit).id for h in order_hits(hits, 4)] == ["u", "0", "2", "3"]  # type: ignore[union-attr]


def test_unlisted_people_collapse_into_one_protected_hit_without_details() -> None:
    hits = protect(
        [
            SearchHit(MatchRank.PREFIX, employee=_emp("1", "Sara", "Lind", listed=False)),
            SearchHit(MatchRank.EXACT_NAME, employee=_emp("2", "Sara", "Lindqvist", listed=False)),
            SearchHit(MatchRank.PREFIX, employee=_emp("3", "Per", "Lind")),
        ]
    )
    assert len(hits) == 2
    protected = [h for h in hits if h.protected]
    assert protected == [SearchHit(MatchRank.EXACT_NAME, protected=True)]


def test_a_district_named_inside_the_query_is_split_off_longest_name_first() -> None:
    districts = {("bromma",): "bromma", ("hagersten", "alvsjo"): "h-a", ("alvsjo",): "x"}
    assert split_district(("hemtjanst", "bromma"), districts) == (("hemtjanst",), "bromma")
    assert split_district(("hagersten", "alvsjo", "bygglov"), districts) == (("bygglov",), "h-a")
    assert split_district(("bygglov",), districts) == (("bygglov",), None)
