"""Search against the database: indexed SQL narrows candidates, ``ranking`` decides.

One call answers every kind of query: an extension, a phone number (reverse
lookup of a caller), a name (any order, typos, Swedish letters typed as a/o),
a unit name or topic keyword, optionally limited to a district given by id,
name, street or postcode, or named inside the query ("hemtjänst bromma").

Invariants: candidates are fetched level by level (exact, prefix, fuzzy), each
level ordered by name and limited, so a query never reads more than a few
pages of rows however common the name; the fuzzy level runs only when nothing
matched as typed (a typo is forgiven, a correct name is not padded with
look-alikes); unlisted people never reach a public
caller, and an operator sees only a protected hit without any detail. The
statements themselves, and their compilation at start-up, are ``search_sql``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal, NamedTuple

from sqlalchemy import Connection

from directory import prepared, ranking, rows, text, token_counts
from directory.entities import Employee, Unit
from directory.models import EmployeeTokenRow, UnitTokenRow
from directory.ranking import Flags, MatchRank, SearchHit
from directory.search_sql import (
    BY_DIRECT_NUMBER,
    BY_EXTENSION,
    BY_PHONE,
    DIAL_BY_NAME,
    DISTRICT_BY_ID,
    DISTRICT_BY_NAME,
    DISTRICT_NAMES,
    PREFIX_END,
    UNITS_IN_DISTRICT,
    fuzzy_statement,
    token_statement,
    vocabulary_statement,
)

Audience = Literal["public", "operator"]

#: Levels of the name search, in the order they are fetched.
_LEVELS = (MatchRank.EXACT_NAME, MatchRank.PREFIX, MatchRank.FUZZY)

#: Pages of prefix-level people fetched early for a query of several words: fewer found
#: means all of them (exact matches included); more, and the rows still serve that level.
_EARLY = 2


def search(
    s: Connection, query: str, *, audience: Audience, district_id: str | None, limit: int
) -> list[SearchHit]:
    """Every hit for ``query``, best first (see ``ranking`` for the order)."""
    parsed = ranking.parse_query(query)
    listed_only = audience == "public"
    if parsed.extension is not None:
        employees = _by_extension(s, parsed.extension, listed_only)
        hits = [SearchHit(MatchRank.EXACT_EXTENSION, employee=e) for e in employees]
    elif parsed.phone is not None:
        employees = _by_phone(s, parsed.phone, listed_only, limit)
        hits = [SearchHit(MatchRank.PHONE_NUMBER, employee=e) for e in employees]
    elif parsed.name_tokens:
        hits = _by_name(s, parsed.name_tokens, listed_only, district_id, limit)
    else:
        hits = []
    return ranking.order_hits(ranking.protect(hits), limit)


def dial_by_name(s: Connection, digits: str, limit: int) -> list[Employee]:
    """Listed employees whose family name starts with the keys ``digits``, in a stable order:
    by the keys of the whole family name, then by name (the index order, so a short key
    sequence matching thousands of people still reads only one page)."""
    if not digits.isdigit():
        return []
    params = {"keys": digits, "end": digits + PREFIX_END, "n": limit}
    ids = [i for (i,) in DIAL_BY_NAME.rows(s, params)]
    found = rows.load_employees(s, ids)
    return [found[i] for i in ids]


def district_id(s: Connection, name_or_id: str) -> str | None:
    """A district id from its id or its name typed any way ("Ostermalm", "östermalm")."""
    if DISTRICT_BY_ID.rows(s, {"key": name_or_id}):
        return name_or_id
    found = DISTRICT_BY_NAME.rows(s, {"key": " ".join(text.tokens(name_or_id))})
    return str(found[0][0]) if found else None


def _by_extension(s: Connection, extension: str, listed_only: bool) -> list[Employee]:
    ids = [i for (i,) in BY_EXTENSION[listed_only].rows(s, {"extension": extension})]
    return list(rows.load_employees(s, ids).values())


def _by_phone(s: Connection, phone: str, listed_only: bool, limit: int) -> list[Employee]:
    """The owner of the direct number first, then the owners of devices with the number."""
    direct = [i for (i,) in BY_DIRECT_NUMBER[listed_only].rows(s, {"phone": phone})]
    devices = [i for (i,) in BY_PHONE[listed_only].rows(s, {"phone": phone, "n": limit})]
    ids = list(dict.fromkeys([*direct, *devices]))[:limit]
    found = rows.load_employees(s, ids)
    return [found[i] for i in ids if i in found]


def _district_names(s: Connection) -> dict[tuple[str, ...], str]:
    return {tuple(fold.split()): did for did, fold in DISTRICT_NAMES.rows(s, {})}


def _vocabulary(s: Connection, query_tokens: Sequence[str]) -> dict[str, dict[str, Flags]]:
    """Per query token, the known tokens equal to it or (when long enough) starting with it.

    One statement for all words: a search's round trips are what PostgreSQL charges for."""
    shapes = tuple(len(q) >= ranking.MIN_PREFIX for q in query_tokens)
    params: dict[str, str] = {}
    for i, q in enumerate(query_tokens):
        params[f"q{i}"], params[f"e{i}"] = q, q + PREFIX_END
    found: dict[str, dict[str, Flags]] = {q: {} for q in query_tokens}
    for token, e, u, d in vocabulary_statement(shapes).rows(s, params):
        for q in query_tokens:
            if token == q or (len(q) >= ranking.MIN_PREFIX and token.startswith(q)):
                found[q][token] = Flags(e, u, d)
    return found


def _fuzzy(s: Connection, query_tokens: Sequence[str]) -> dict[str, dict[str, Flags]]:
    """Per query token, known tokens within its typo allowance (symmetric-delete lookup)."""
    limits = {q: text.max_edits(q) for q in query_tokens}
    variants: list[str] = sorted(
        {v for q, k in limits.items() if k for v in text.deletion_variants(q, k)}
    )
    found: dict[str, dict[str, Flags]] = {q: {} for q in query_tokens}
    if not variants:
        return found
    statement = fuzzy_statement(len(prepared.padded(variants)))
    for token, e, u, d in statement.rows(s, prepared.in_params("variants", variants)):
        for q, k in limits.items():
            if k and text.edit_distance(q, token, k) <= k:
                found[q][token] = Flags(e, u, d)
    return found


def _by_name(
    s: Connection,
    query_tokens: tuple[str, ...],
    listed_only: bool,
    district_id: str | None,
    limit: int,
) -> list[SearchHit]:
    """People and units level by level (exact, prefix, fuzzy) until ``limit`` hits are certain.

    The vocabulary says which tokens each word can match at each level; a level whose
    token sets are empty or unchanged costs no query. Each level's candidates come in
    name order, limited, so the best of every level are fetched; ranks are decided purely.
    """
    words = _vocabulary(s, query_tokens)
    unit_tokens = query_tokens
    if any(f.districts for q in query_tokens for t, f in words[q].items() if t == q):
        unit_tokens, named = ranking.split_district(query_tokens, _district_names(s))
        district_id = district_id or named
    hits: dict[tuple[str, str], SearchHit] = {}  # units
    people: dict[str, _Person] = {}
    previous: dict[str, list[set[str]]] = {"employees": [], "units": []}
    early: list[Any] | None = None  # the prefix level's people, fetched at the exact level
    # While every unit query so far was complete (fewer rows than asked for), a unit found
    # at a level ranks at that level or worse: a better rank would have found it before.
    units_complete = True
    for level in _LEVELS:
        if level is MatchRank.FUZZY:
            if hits or people:
                break  # typos are forgiven only when nothing matches as typed
            near = _fuzzy(s, query_tokens)
            words = {q: {**words[q], **near[q]} for q in query_tokens}
        n = limit + len(hits) + len(people)
        sets = ranking.level_tokens(query_tokens, words, level, "employees")
        if sets and sets != previous["employees"]:
            found = None
            if level is MatchRank.EXACT_NAME and len(query_tokens) > 1:
                # Two words or more rarely fit many people: the prefix level's first rows,
                # fetched first, hold every exact match too when they are fewer than asked
                # for (a complete superset), and the exact level costs no query of its own.
                wider = ranking.level_tokens(query_tokens, words, MatchRank.PREFIX, "employees")
                if wider != sets:
                    early = _person_rows(
                        s,
                        query_tokens,
                        wider,
                        MatchRank.PREFIX,
                        _EARLY * limit,
                        listed_only,
                    )
                    if len(early) < _EARLY * limit:
                        found, sets = early, wider
            elif level is MatchRank.PREFIX and early is not None and n <= len(early):
                found = early[:n]  # the first n of the same rows in the same order
            if found is None:
                found = _person_rows(s, query_tokens, sets, level, n, listed_only)
            for i, key, listed, names in found:
                rank = None if i in people else ranking.name_rank(query_tokens, names.split())
                if rank is not None:
                    people[i] = _Person(rank, key, listed)
        previous["employees"] = sets
        unit_sets = ranking.level_tokens(unit_tokens, words, level, "units")
        ahead = sum(1 for p in people.values() if p.listed and p.rank <= level)
        if units_complete and ahead >= limit:
            break  # units found now rank at this level or worse, after a page of people
        units, complete = _unit_level(
            s, unit_tokens, unit_sets, previous["units"], district_id, level, n, hits
        )
        units_complete = units_complete and complete
        for u in units:
            _add(hits, ("u", u.id), unit_tokens, ranking.unit_tokens(u), SearchHit(level, unit=u))
        previous["units"] = unit_sets
        if len(hits) + len(people) >= limit:
            break
    return _load_people(s, people, limit) + list(hits.values())


def _person_rows(
    s: Connection,
    query_tokens: Sequence[str],
    sets: list[set[str]],
    level: MatchRank,
    n: int,
    listed_only: bool,
) -> list[Any]:
    """The first ``n`` people having a token from every set (see ``_token_rows``); at the
    prefix level a word's set is checked as the word's prefix."""
    prefixes = [
        q if level is MatchRank.PREFIX and len(q) >= ranking.MIN_PREFIX else None
        for q in query_tokens
    ]
    return _token_rows(
        s,
        EmployeeTokenRow,
        sets,
        n,
        listed_only=listed_only,
        prefixes=prefixes,
    )


class _Person(NamedTuple):
    """A person found, ranked from the name tokens in the index row, not yet loaded."""

    rank: MatchRank
    sort_key: str
    listed: bool


def _load_people(s: Connection, people: dict[str, _Person], limit: int) -> list[SearchHit]:
    """Only the people that can be on the page: the first ``limit`` listed ones in result
    order, and the best unlisted one (``ranking.protect`` shows one protected hit at its
    rank). Loading a person costs more than finding them."""
    order = sorted((p.rank, p.sort_key, i) for i, p in people.items() if p.listed)[:limit]
    hidden = min(((p.rank, p.sort_key, i) for i, p in people.items() if not p.listed), default=None)
    wanted = order + ([hidden] if hidden is not None else [])
    found = rows.load_employees(s, [i for _, _, i in wanted])
    return [SearchHit(rank, employee=found[i]) for rank, _, i in wanted if i in found]


def _add(
    hits: dict[tuple[str, str], SearchHit],
    key: tuple[str, str],
    query_tokens: Sequence[str],
    tokens: Sequence[str],
    hit: SearchHit,
) -> None:
    rank = ranking.name_rank(query_tokens, tokens) if query_tokens else MatchRank.EXACT_NAME
    if rank is not None:
        hits[key] = replace(hit, rank=rank)


def _unit_level(
    s: Connection,
    tokens: Sequence[str],
    sets: list[set[str]],
    previous: list[set[str]],
    district_id: str | None,
    level: MatchRank,
    n: int,
    hits: dict[tuple[str, str], SearchHit],
) -> tuple[list[Unit], bool]:
    """The level's new units, and whether the query was complete (fewer rows than ``n``)."""
    if tokens and sets and sets != previous:
        ids = [row[0] for row in _token_rows(s, UnitTokenRow, sets, n, district_id=district_id)]
    elif not tokens and district_id is not None and level is MatchRank.EXACT_NAME:
        ids = [i for (i,) in UNITS_IN_DISTRICT.rows(s, {"district": district_id, "n": n})]
    else:
        return [], True
    return _load_units(s, [i for i in ids if ("u", i) not in hits]), len(ids) < n


def _token_rows(
    s: Connection,
    model: type[EmployeeTokenRow] | type[UnitTokenRow],
    sets: list[set[str]],
    n: int,
    *,
    listed_only: bool = False,
    district_id: str | None = None,
    prefixes: Sequence[str | None] | None = None,
) -> list[Any]:
    """Owners having a token from every set, the first ``n`` in sort-key order: rows of
    (unit id, sort key), or (employee id, sort key, listed, name tokens). The smallest
    set drives the index scan: for people the one with the fewest people (counts cached
    per database, see ``token_counts``), for units the one with the fewest tokens.

    ``prefixes[i]``, when set, is a word whose set ``i`` holds every person token starting
    with it (the vocabulary knows every token written): checked as one prefix pattern."""

    counts: dict[str, int] = {}
    if model is EmployeeTokenRow and len(sets) > 1:
        counts = token_counts.people_per_token(s, set().union(*sets))

    def weight(tokens: set[str]) -> tuple[int, int]:
        return sum(counts.get(t, 0) for t in tokens), len(tokens)

    words = prefixes if prefixes is not None else [None] * len(sets)
    (driving, _), *others = sorted(zip(sets, words, strict=True), key=lambda x: weight(x[0]))
    # A person's other sets are checked in the row by substring: one for a prefix
    # word, else one per token; a unit's by token. Every list is padded to a power of two
    # (``prepared.padded``), so that few statement shapes exist and all stay compiled.
    patterns = [
        sorted(tokens)
        if model is UnitTokenRow
        else [text.prefix_needle(word)]
        if word
        else [text.token_needle(t) for t in sorted(tokens)]
        for tokens, word in others
    ]
    params: dict[str, object] = {"n": n, **prepared.in_params("t0", sorted(driving))}
    if district_id is not None:
        params["district"] = district_id
    for k, found in enumerate(patterns, start=1):
        params.update(prepared.in_params(f"t{k}", found))
    statement = token_statement(
        model,
        (len(prepared.padded(sorted(driving))), *(len(prepared.padded(p)) for p in patterns)),
        listed_only,
        district_id is not None,
        len(driving) > 1,
    )
    return statement.rows(s, params)


def _load_units(s: Connection, ids: Sequence[str]) -> list[Unit]:
    return rows.load_units(s, ids) if ids else []
