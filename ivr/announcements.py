"""Operational announcements: messages switched on and off without editing a flow (pure).

They live in ``dialplans/announcements.yaml`` beside the flows and are deployed
with them (``vaxel dialplan deploy``)::

    announcements:
      storm:
        enabled: true                 # the switch; false keeps the text for next time
        start: 2026-12-01T06:00       # optional; local time (Europe/Stockholm)
        end: 2026-12-02T18:00         # optional; the message stops by itself
        sv: På grund av stormen ...
        en: Because of the storm ...
        fi: Myrskyn takia ...         # optional: without it Finnish callers hear the Swedish

A flow's ``announcement`` node names one; the caller hears it only while it is
enabled and ``start <= now < end``. Invariant: a parsed announcement has a Swedish and
an English text (Finnish optional: urgent notices should not wait for a translator) and
``start < end`` when both are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ivr.errors import FlowFileError, FlowProblem
from ivr.nodes import FLOW_TEXT_LANGUAGES, LANGUAGES
from ivr.yamlsrc import Positions, YamlSourceError, load_with_positions

#: Naive times in the file are in this zone.
LOCAL_ZONE = ZoneInfo("Europe/Stockholm")
_KEYS = frozenset({"enabled", "start", "end", *LANGUAGES, "description"})


@dataclass(frozen=True)
class Announcement:
    """One operational message: its texts by language and when it is on."""

    name: str
    texts: Mapping[str, str]
    enabled: bool = True
    start: datetime | None = None
    end: datetime | None = None

    def is_on(self, now: datetime) -> bool:
        if not self.enabled:
            return False
        return (self.start is None or self.start <= now) and (self.end is None or now < self.end)


def text_now(announcements: Mapping[str, Announcement], name: str, now: datetime,
             language: str) -> str | None:
    """The text a caller hears now, or None when the announcement is off (or unknown)."""
    ann = announcements.get(name)
    if ann is None or not ann.is_on(now):
        return None
    return ann.texts.get(language) or ann.texts.get(LANGUAGES[0])


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return at if at.tzinfo else at.replace(tzinfo=LOCAL_ZONE)


def _one(name: str, raw: Any, source: str, pos: Positions,
         problems: list[FlowProblem]) -> Announcement | None:
    def problem(key: str | None, message: str) -> None:
        path: tuple[str | int, ...] = ("announcements", name) + ((key,) if key else ())
        mark = pos.at(path)
        where = ".".join(str(p) for p in path)
        problems.append(FlowProblem(source, mark.line if mark else None,
                                    mark.column if mark else None, f"{where}: {message}"))

    if not isinstance(raw, dict):
        problem(None, "expected a mapping with texts (sv, en), enabled, start, end")
        return None
    before = len(problems)
    for key in sorted(set(raw) - _KEYS):
        problem(key, "unknown field for an announcement")
    for lang in FLOW_TEXT_LANGUAGES:
        if not isinstance(raw.get(lang), str) or not raw[lang].strip():
            problem(None, f"missing {lang!r} text")
    for lang in set(LANGUAGES) - set(FLOW_TEXT_LANGUAGES):
        if lang in raw and (not isinstance(raw[lang], str) or not raw[lang].strip()):
            problem(lang, "expected a text")
    if not isinstance(raw.get("enabled", True), bool):
        problem("enabled", "expected true or false")
    times = {}
    for key in ("start", "end"):
        times[key] = _time(raw.get(key)) if key in raw else None
        if key in raw and times[key] is None:
            problem(key, "expected a time like 2026-12-01T06:00")
    if times["start"] and times["end"] and times["start"] >= times["end"]:
        problem("end", "must be after start")
    if len(problems) > before:
        return None
    return Announcement(name, {lang: raw[lang] for lang in LANGUAGES if lang in raw},
                        raw.get("enabled", True), times["start"], times["end"])


def parse_announcements(text: str, source: str) -> dict[str, Announcement]:
    """Check and build the announcements of ``announcements.yaml``; raise ``FlowFileError``
    listing every problem with its line."""
    try:
        data, pos = load_with_positions(text)
    except YamlSourceError as exc:
        line, col = (exc.mark.line, exc.mark.column) if exc.mark else (None, None)
        raise FlowFileError(source, [FlowProblem(source, line, col, exc.message)]) from exc
    problems: list[FlowProblem] = []
    raw = data.get("announcements") if isinstance(data, dict) else None
    if data is not None and not isinstance(raw, dict | None):
        problems.append(FlowProblem(source, 1, 1, "expected 'announcements:' with a mapping"))
    result: dict[str, Announcement] = {}
    for name, value in (raw or {}).items():
        ann = _one(name, value, source, pos, problems)
        if ann is not None:
            result[name] = ann
    if problems:
        raise FlowFileError(source, problems)
    return result
