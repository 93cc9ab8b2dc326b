"""Search through the repository: every kind of query on the small demo city."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from directory import demo
from directory.api import Device, Directory, MatchRank, NotFound, SearchHit

from .conftest import FIXED_NOW, make_url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Directory]:
    """The small demo city plus three Ekströms; shared by the module (searches only read)."""
    url = make_url(request.param, request, tmp_path_factory.mktemp("search"))
    directory = Directory.open(url, clock=lambda: FIXED_NOW)
    demo.seed(directory, size="small")
    directory.add_employee(
        "X1",
        "Eva",
        "Ekström",
        extension="3001",
        unit_id="bygglov",
        devices=(Device("mobile", "PJSIP/46701112233@trunk", "070-111 22 33"),),
    )
    directory.add_employee("X2", "Ekström", "Persson", extension="3002")
    directory.add_employee("X3", "Per", "Ekströmer", extension="3003")
    yield directory
    directory.close()


def _names(hits: list[SearchHit]) -> list[tuple[str, str]]:
    def label(h: SearchHit) -> str:
        if h.protected:
            return "(protected)"
        return h.employee.full_name if h.employee else h.unit.name  # type: ignore[union-attr]

    return [(h.rank.name, label(h)) for h in hits]


def test_given_extension_then_exact_extension_hit_only(city: Directory) -> None:
    assert _names(city.search("4711")) == [("EXACT_EXTENSION", "Anna Lindqvist")]


def test_given_caller_number_in_any_format_then_reverse_lookup_finds_owner(city: Directory) -> None:
    for number in ("+46701112233", "070-111 22 33", "0046 70 111 22 33"):
        assert _names(city.search(number)) == [("PHONE_NUMBER", "Eva Ekström")]


def test_given_name_typed_without_swedish_letters_then_exact_before_prefix(city: Directory) -> None:
    assert _names(city.search("Ekstrom")) == [
        ("EXACT_NAME", "Eva Ekström"),
        ("EXACT_NAME", "Karin Ekström"),
        ("EXACT_NAME", "Ekström Persson"),
        ("PREFIX", "Per Ekströmer"),
    ]


def test_given_family_name_first_then_same_person(city: Directory) -> None:
    assert _names(city.search("ekström karin")) == [("EXACT_NAME", "Karin Ekström")]
    assert _names(city.search("Karin Ekström")) == [("EXACT_NAME", "Karin Ekström")]


def test_given_typo_then_fuzzy_hits_after_exact_and_prefix(city: Directory) -> None:
    hits = _names(city.search("Ekstorm"))
    assert ("FUZZY", "Karin Ekström") in hits
    assert [rank for rank, _ in hits] == sorted(rank for rank, _ in hits)
    assert _names(city.search("karin eksrtöm")) == [("FUZZY", "Karin Ekström")]


def test_given_unlisted_person_then_public_search_never_shows_them(city: Directory) -> None:
    assert city.search(demo.UNLISTED_EXTENSION) == []
    assert all(h.employee is None or h.employee.listed for h in city.search("Sara Lind"))
    assert "Sara Lind" not in str(city.search("Sara Lind"))


def test_given_unlisted_person_then_operator_sees_only_a_protected_hit(city: Directory) -> None:
    hits = city.search("Sara Lind", audience="operator")
    assert ("EXACT_NAME", "(protected)") in _names(hits)
    protected = [h for h in hits if h.protected][0]
    assert protected.employee is None and protected.unit is None


def test_given_topic_and_district_in_the_query_then_that_districts_unit(city: Directory) -> None:
    assert _names(city.search("hemtjänst bromma")) == [("EXACT_NAME", "Hemtjänst Bromma")]


def test_given_topic_and_callers_street_then_the_serving_districts_unit(city: Directory) -> None:
    hits = city.search("hemtjanst", street="Karlavägen 12")
    assert _names(hits) == [("EXACT_NAME", "Hemtjänst Östermalm")]
    assert _names(city.search("förskoleplats", district="Norrmalm")) == [
        ("EXACT_NAME", "Förskoleantagning Norrmalm")
    ]


def test_given_city_wide_topic_then_unit_serving_every_district(city: Directory) -> None:
    assert _names(city.search("bygglov", district="bromma")) == [("EXACT_NAME", "Bygglovsenheten")]


def test_given_unknown_street_then_not_found_names_it(city: Directory) -> None:
    with pytest.raises(NotFound, match="Månvägen"):
        city.search("hemtjänst", street="Månvägen 1")


def test_given_unit_name_prefix_then_units_ranked_as_prefix(city: Directory) -> None:
    hits = city.search("hemtj")
    assert hits and all(h.unit is not None and h.rank is MatchRank.PREFIX for h in hits)


def test_given_limit_then_at_most_that_many_in_stable_order(city: Directory) -> None:
    first = city.search("an", limit=3)
    assert len(first) == 3 and first == city.search("an", limit=3)
    assert first == city.search("an", limit=10)[:3]


@pytest.mark.parametrize(
    "query", ["an", "ek", "so", "li", "mo", "eva ek", "ekstrom per", "hemtj", "förskola bromma"]
)
def test_given_any_limit_then_a_page_is_the_start_of_a_longer_one(
    city: Directory, query: str
) -> None:
    """However a search saves work (people fetched a level early, units not fetched behind
    a page of people), a short page is the start of the long one. (Public only: for an
    operator an unlisted person's row can take a short page's place, see the README.)"""
    everything = city.search(query, limit=200)
    assert everything, query
    for limit in range(1, 12):
        assert city.search(query, limit=limit) == everything[:limit]


def test_given_keys_then_dial_by_name_lists_listed_family_names_in_stable_order(
    city: Directory,
) -> None:
    found = city.dial_by_name("357876")
    assert [e.full_name for e in found] == ["Eva Ekström", "Karin Ekström", "Per Ekströmer"]
    assert all(e.listed for e in city.dial_by_name("5463"))  # Lind..., Sara Lind is unlisted
    assert city.dial_by_name("") == city.dial_by_name("abc") == []


def test_given_nonsense_then_no_hits(city: Directory) -> None:
    assert city.search("zzzzqqq") == [] and city.search("   ") == []


def test_given_exact_matches_then_no_look_alikes_are_added(city: Directory) -> None:
    """Fuzzy hits appear only when nothing matches as typed."""
    assert all(h.rank is not MatchRank.FUZZY for h in city.search("Lind", audience="operator"))
    assert {h.rank for h in city.search("Lindqvst")} == {MatchRank.FUZZY}


def test_given_two_words_then_second_word_must_be_a_whole_name_word_for_exact(
    city: Directory,
) -> None:
    """The other words are checked inside the token row: "ek" is not the word "ekstrom"."""
    assert _names(city.search("Eva Ekström")) == [("EXACT_NAME", "Eva Ekström")]
    assert _names(city.search("eva ek")) == [("PREFIX", "Eva Ekström")]
    assert _names(city.search("ekstrom per")) == [
        ("PREFIX", "Per Ekströmer"),
        ("PREFIX", "Ekström Persson"),
    ]


def test_given_renamed_person_then_found_by_new_name_words_only(directory: Directory) -> None:
    anna = directory.add_employee("E1", "Anna", "Ek", extension="4711")
    directory.add_employee("E2", "Anna", "Berg", extension="4712")
    directory.update_employee(replace(anna, family_name="Holm"))
    assert _names(directory.search("anna holm")) == [("EXACT_NAME", "Anna Holm")]
    assert _names(directory.search("anna ek")) == []
    assert _names(directory.search("holm anna", audience="operator")) == [
        ("EXACT_NAME", "Anna Holm")
    ]
