"""Pure text functions: folding, tokens, keypad digits, phone numbers, edit distance."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from directory import text


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Ekström", "ekstrom"),
        ("EKSTRÖM", "ekstrom"),
        ("Åsa Öberg-Lind", "asa oberg-lind"),
        ("Kovačević", "kovacevic"),
        ("Yılmaz", "yilmaz"),
        ("Ærø", "aero"),
    ],
)
def test_fold_maps_swedish_and_accented_letters_to_ascii(typed: str, folded: str) -> None:
    assert text.fold(typed) == folded


def test_tokens_split_hyphenated_and_double_names_and_drop_duplicates() -> None:
    assert text.tokens("Anna-Karin  Svensson Lind, anna") == ("anna", "karin", "svensson", "lind")


@pytest.mark.parametrize(
    ("name", "keys"), [("Ekström", "3578766"), ("Åberg", "22374"), ("Öhman", "64626"), ("", "")]
)
def test_keypad_digits_use_the_e161_layout_with_swedish_letters_on_their_base_key(
    name: str, keys: str
) -> None:
    assert text.keypad_digits(name) == keys


@pytest.mark.parametrize(
    ("number", "digits"),
    [
        ("08-508 000 00", "46850800000"),
        ("+46 8 508 000 00", "46850800000"),
        ("0046850800000", "46850800000"),
        ("070-123 45 67", "46701234567"),
        ("4711", None),
        ("Anna", None),
        ("12345678", None),
    ],
)
def test_phone_digits_normalise_national_and_international_forms(
    number: str, digits: str | None
) -> None:
    assert text.phone_digits(number) == digits


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("ekstrom", "ekstrom", 0),
        ("ekstrom", "ekstorm", 1),
        ("ekstrom", "ekstrm", 1),
        ("ekstrom", "eckstrom", 1),
        ("andersson", "andresson", 1),
        ("andersson", "andresen", 3),
        ("lind", "berg", 3),
    ],
)
def test_edit_distance_counts_transpositions_as_one_and_caps_at_limit(
    a: str, b: str, distance: int
) -> None:
    assert text.edit_distance(a, b, 2) == min(distance, 3)


@given(st.text("abcdefgh", min_size=4, max_size=9), st.integers(0, 8), st.sampled_from("xyz"))
def test_one_substitution_is_always_found_through_shared_deletion_variants(
    word: str, position: int, letter: str
) -> None:
    i = position % len(word)
    typo = word[:i] + letter + word[i + 1 :]
    shared = text.deletion_variants(word, 1) & text.deletion_variants(typo, 1)
    assert shared and text.edit_distance(word, typo, 1) <= 1


def _reference_osa(a: str, b: str) -> int:
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(st.text("abcde", max_size=8), st.text("abcde", max_size=8), st.integers(0, 3))
def test_banded_edit_distance_agrees_with_the_full_table_within_the_limit(
    a: str, b: str, limit: int
) -> None:
    assert text.edit_distance(a, b, limit) == min(_reference_osa(a, b), limit + 1)
