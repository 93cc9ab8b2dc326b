"""Pure search logic: what a query asks for, how well a name matches, and result order.

The repository only narrows candidates with indexed SQL; the rank of every hit
is decided here, so SQLite and PostgreSQL return the same order. Ranks, best
first: exact extension, phone number, exact name, prefix, fuzzy. A name matches
when every query token matches a different name token, in any order (given or
family name first); the hit's rank is its weakest token match. Within a rank,
hits are ordered by family name, given name, then id, so the order is stable.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from directory import text
from directory.entities import Employee, Unit

#: Longest all-digit query taken for an extension rather than a phone number.
MAX_EXTENSION_DIGITS = 6

#: Shortest token that prefix matching applies to ("a" alone would match everyone).
MIN_PREFIX = 2


class MatchRank(enum.IntEnum):
    """How well a hit matches; lower is better."""

    EXACT_EXTENSION = 0
    PHONE_NUMBER = 1
    EXACT_NAME = 2
    PREFIX = 3
    FUZZY = 4


@dataclass(frozen=True)
class ParsedQuery:
    """What one search string asks for; at most one of the three parts is set."""

    extension: str | None = None
    phone: str | None = None
    name_tokens: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.extension is None and self.phone is None and not self.name_tokens


def parse_query(query: str) -> ParsedQuery:
    """Classify ``query``: short digit strings are extensions, longer numbers phone numbers."""
    stripped = query.strip()
    if stripped.isdigit() and len(stripped) <= MAX_EXTENSION_DIGITS:
        return ParsedQuery(extension=stripped)
    phone = text.phone_digits(stripped)
    if phone is not None:
        return ParsedQuery(phone=phone)
    return ParsedQuery(name_tokens=text.tokens(stripped))


@functools.lru_cache(maxsize=65536)
def token_rank(query_token: str, name_token: str) -> MatchRank | None:
    """How ``query_token`` matches one ``name_token`` (both folded), or None."""
    if query_token == name_token:
        return MatchRank.EXACT_NAME
    if len(query_token) >= MIN_PREFIX and name_token.startswith(query_token):
        return MatchRank.PREFIX
    limit = text.max_edits(query_token)
    if limit and text.edit_distance(query_token, name_token, limit) <= limit:
        return MatchRank.FUZZY
    return None


def name_rank(query_tokens: Sequence[str], name_tokens: Sequence[str]) -> MatchRank | None:
    """The rank of a name for the query: every query token must match a distinct name token.

    Tries the best assignment: a small exhaustive search, since names have few tokens.
    """
    if not query_tokens or len(query_tokens) > len(name_tokens):
        return None
    table = [[token_rank(q, n) for n in name_tokens] for q in query_tokens]
    return _best_assignment(table, 0, frozenset())


def _best_assignment(
    table: list[list[MatchRank | None]], row: int, used: frozenset[int]
) -> MatchRank | None:
    if row == len(table):
        return MatchRank.EXACT_NAME
    best: MatchRank | None = None
    for col, rank in enumerate(table[row]):
        if rank is None or col in used:
            continue
        rest = _best_assignment(table, row + 1, used | {col})
        if rest is not None:
            worst = max(rank, rest)
            best = worst if best is None else min(best, worst)
    return best


def employee_name_tokens(employee: Employee) -> tuple[str, ...]:
    """The tokens an employee's name is found by (given names, then family names)."""
    return text.tokens(f"{employee.given_name} {employee.family_name}")


def unit_tokens(unit: Unit) -> tuple[str, ...]:
    """The tokens a unit is found by: its name and its topic keywords."""
    return text.tokens(" ".join((unit.name, *unit.topics)))


class Flags(NamedTuple):
    """Which kinds of entity use a known token."""

    employees: bool
    units: bool
    districts: bool


def level_tokens(
    query_tokens: Sequence[str],
    known: Mapping[str, Mapping[str, Flags]],
    level: MatchRank,
    kind: Literal["employees", "units"],
) -> list[set[str]]:
    """For each query token, the known tokens of ``kind`` it matches at ``level`` or better.

    ``known[q]`` holds the vocabulary found for ``q`` (prefix range, plus fuzzy neighbours
    once fetched). Returns [] when some query token matches nothing: no query is needed.
    """
    sets = []
    for q in query_tokens:
        tokens = {
            t
            for t, flags in known[q].items()
            if getattr(flags, kind) and token_rank(q, t) is not None and token_rank(q, t) <= level  # type: ignore[operator]
        }
        if not tokens:
            return []
        sets.append(tokens)
    return sets


@dataclass(frozen=True)
class SearchHit:
    """One search result: an employee or a unit, with its rank.

    ``protected`` hits stand for an unlisted person when an operator searched:
    they carry no name, unit or number, only that no information can be given.
    """

    rank: MatchRank
    employee: Employee | None = None
    unit: Unit | None = None
    protected: bool = False

    @property
    def sort_key(self) -> tuple[int, int, str]:
        if self.employee is not None:
            return (self.rank, 0, employee_sort_key(self.employee))
        if self.unit is not None:
            return (self.rank, 1, unit_sort_key(self.unit))
        return (self.rank, 2, "")  # a protected hit: nothing to order by


#: Joins the parts of a sort key; sorts before every character a name can hold.
SORT_SEPARATOR = "\x1f"


def employee_sort_key(employee: Employee) -> str:
    """Family name, given name, id (folded): the order of people everywhere, also in SQL."""
    parts = (text.fold(employee.family_name), text.fold(employee.given_name), employee.id)
    return SORT_SEPARATOR.join(parts)


def unit_sort_key(unit: Unit) -> str:
    return SORT_SEPARATOR.join((text.fold(unit.name), unit.id))


def protect(hits: Sequence[SearchHit]) -> list[SearchHit]:
    """Replace every unlisted person by one protected hit at the best of their ranks.

    An operator learns only that no information can be given, not how many people
    or which of them matched.
    """
    shown = [h for h in hits if h.employee is None or h.employee.listed]
    hidden = [h.rank for h in hits if h.employee is not None and not h.employee.listed]
    return shown + ([SearchHit(min(hidden), protected=True)] if hidden else [])


def split_district(
    query_tokens: Sequence[str], districts: Mapping[tuple[str, ...], str]
) -> tuple[tuple[str, ...], str | None]:
    """Find a district named inside a query: ("hemtjanst", "bromma") -> (("hemtjanst",), "bromma").

    ``districts`` maps each district's name tokens to its id; the longest name found wins.
    """
    tokens = tuple(query_tokens)
    for name in sorted(districts, key=len, reverse=True):
        for start in range(len(tokens) - len(name) + 1):
            if tokens[start : start + len(name)] == name:
                return tokens[:start] + tokens[start + len(name) :], districts[name]
    return tokens, None


def order_hits(hits: Sequence[SearchHit], limit: int) -> list[SearchHit]:
    """Best rank first, then by name and id; at most ``limit`` hits."""
    return sorted(hits, key=lambda h: h.sort_key)[:limit]
