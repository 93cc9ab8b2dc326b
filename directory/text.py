"""Pure text functions behind search: name folding, tokens, keypad digits, phone numbers.

Invariants: ``fold`` maps what a caller or operator may type for a name to one
form (lower case, Swedish letters typed as a/o, accents dropped), so that
"Ekstrom", "EKSTRÖM" and "Ekström" fold alike; tokens contain only ``a-z`` and
``0-9``; ``keypad_digits`` uses the ITU E.161 letter layout that Asterisk's
Directory application uses. Nothing here touches a database or the clock;
``fold`` and ``tokens`` are memoised because a city's names repeat (a search
folds every candidate it ranks).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

#: Letters that Unicode decomposition does not reduce to ASCII.
_SPECIAL_FOLDS = str.maketrans(
    {"æ": "ae", "ı": "i", "ø": "o", "ß": "ss", "đ": "d", "ł": "l", "þ": "th"}
)

_NON_TOKEN = re.compile(r"[^a-z0-9]+")

#: ITU E.161 keypad: the key each letter is on.
_KEYPAD = {
    letter: key
    for key, letters in {
        "2": "abc",
        "3": "def",
        "4": "ghi",
        "5": "jkl",
        "6": "mno",
        "7": "pqrs",
        "8": "tuv",
        "9": "wxyz",
    }.items()
    for letter in letters
}

#: Country calling code assumed for national numbers (Sweden).
COUNTRY_CODE = "46"


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ``text`` and reduce it to ASCII letters: "Åsa Öberg-Lind" -> "asa oberg-lind"."""
    if text.isascii():
        return text.lower()
    lowered = text.casefold().translate(_SPECIAL_FOLDS)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    """The search tokens of ``text`` in order, without duplicates ("Anna-Karin" -> anna, karin)."""
    seen: dict[str, None] = {}
    for token in _NON_TOKEN.split(fold(text)):
        if token:
            seen.setdefault(token, None)
    return tuple(seen)


def delimited_tokens(name_tokens: Iterable[str]) -> str:
    """Tokens joined with a space before, between and after: ("anna", "ek") -> " anna ek ".

    A row holding this string contains token ``t`` exactly when it contains ``" t "``
    (see ``token_needle``): a check of the other words of a query inside one index row.
    """
    return f" {' '.join(name_tokens)} "


def token_needle(token: str) -> str:
    """A substring of a ``delimited_tokens`` string exactly when it holds ``token`` (a-z, 0-9)."""
    return f" {token} "


def prefix_needle(token: str) -> str:
    """A substring of a ``delimited_tokens`` string exactly when a token there starts ``token``."""
    return f" {token}"


def keypad_digits(name: str) -> str:
    """The keys a caller presses to spell ``name``: "Ekström" -> "3578766"."""
    return "".join(_KEYPAD[ch] for ch in fold(name) if ch in _KEYPAD)


def phone_digits(number: str) -> str | None:
    """A phone number in international digits without "+": "08-508 000 00" -> "46850800000".

    Returns None when ``number`` is not a phone number (letters, or too short).
    """
    stripped = number.strip()
    if not stripped or re.fullmatch(r"\+?[0-9 ()\-]+", stripped) is None:
        return None
    digits = re.sub(r"[^0-9]", "", stripped)
    if stripped.startswith("+"):
        pass
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = COUNTRY_CODE + digits[1:]
    else:
        return None
    return digits if len(digits) >= 7 else None


def number_key(number: str) -> str | None:
    """A dialled or written number as the directory stores direct numbers: ``phone_digits``,
    or digits already international without "+" (``46850812345``, as a trunk may deliver
    them). None for anything shorter than a phone number (an extension) or not a number."""
    digits = phone_digits(number)
    stripped = number.strip()
    if digits is None and stripped.isdigit() and not stripped.startswith("0"):
        digits = stripped if len(stripped) >= 7 else None
    return digits


def mail_words(text: str) -> str:
    """``text`` as part of an e-mail address by the city's rule: folded, its words joined by
    "-" ("Ekström Öberg" -> "ekstrom-oberg", "Anna-Karin" -> "anna-karin")."""
    return "-".join(re.findall(r"[a-z0-9]+", fold(text)))


def rule_mail_local_part(given_name: str, family_name: str) -> str:
    """The local part the city's address rule gives a person: "Anna", "Ekström" -> anna.ekstrom."""
    return f"{mail_words(given_name)}.{mail_words(family_name)}"


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance of ``a`` and ``b``, or ``limit + 1`` above ``limit``.

    A transposition of neighbours counts as one edit ("Ekstorm" is one edit from "Ekstrom").
    Only the band of cells within ``limit`` of the diagonal is computed: this runs on every
    fuzzy candidate of a search.
    """
    if a == b:
        return 0
    n, m = len(a), len(b)
    if abs(n - m) > limit:
        return limit + 1
    big = limit + 1
    prev2: list[int] = []
    prev = [j if j <= limit else big for j in range(m + 1)]
    for i in range(1, n + 1):
        row = [big] * (m + 1)
        if i <= limit:
            row[0] = i
        low, high = max(1, i - limit), min(m, i + limit)
        best = row[0]
        ca = a[i - 1]
        for j in range(low, high + 1):
            cb = b[j - 1]
            cost = prev[j - 1] + (ca != cb)
            if prev[j] + 1 < cost:
                cost = prev[j] + 1
            if row[j - 1] + 1 < cost:
                cost = row[j - 1] + 1
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and prev2[j - 2] + 1 < cost:
                cost = prev2[j - 2] + 1
            row[j] = cost
            if cost < best:
                best = cost
        if best > limit:
            return big
        prev2, prev = prev, row
    return prev[m] if prev[m] <= limit else big


def max_edits(token: str) -> int:
    """How many typos a token of this length tolerates: none below 4 letters, 2 from 8."""
    if len(token) < 4:
        return 0
    return 1 if len(token) < 8 else 2


def deletion_variants(token: str, depth: int) -> set[str]:
    """``token`` and every string made by deleting up to ``depth`` letters (symmetric-delete index).

    Two tokens within ``depth`` edits share at least one variant, so an indexed
    variant table finds fuzzy candidates without scanning every name.
    """
    found = {token}
    frontier = {token}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w)) if len(w) > 1}
        found |= frontier
    return found


def index_variants(vocabulary: Iterable[str]) -> set[tuple[str, str]]:
    """(variant, token) pairs for the fuzzy index of ``vocabulary``, depth by token length."""
    return {(v, t) for t in vocabulary for v in deletion_variants(t, max_edits(t))}
