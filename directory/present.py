"""Text for operators: search hits, people, units, absence notes, history lines.

Pure functions from entities to lines, Swedish first with English after a slash.
Unlisted people appear only as "no information can be given".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from directory.entities import (
    AbsenceCategory,
    AbsenceNote,
    AnswerStrategy,
    Employee,
    ForwardKind,
    HistoryEntry,
    Unit,
)
from directory.ranking import SearchHit

LOCAL = ZoneInfo("Europe/Stockholm")

PROTECTED = "Ingen information kan lämnas / No information can be given"
#: Shown for an employee or unit without an e-mail address of its own.
BY_RULE = "- (enligt stadens regel / by the city's rule)"

CATEGORY_TEXT = {
    AbsenceCategory.MEETING: "i möte / in a meeting",
    AbsenceCategory.LUNCH: "på lunch / at lunch",
    AbsenceCategory.OUT_OF_OFFICE: "inte på kontoret / out of office",
    AbsenceCategory.LEAVE: "ledig / on leave",
}
FORWARD_TEXT = {
    ForwardKind.NONE: "",
    ForwardKind.COLLEAGUE: "kollega / colleague {target}",
    ForwardKind.UNIT: "enheten / unit {target}",
    ForwardKind.VOICEMAIL: "röstbrevlåda / voicemail",
    ForwardKind.CONTACT_CENTER: "kontaktcenter / contact center",
}


def local(moment: datetime) -> str:
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def absence_text(note: AbsenceNote) -> str:
    parts = [f"{note.message} ({CATEGORY_TEXT[note.category]})"]
    if note.ends_at is not None:
        parts.append(f"till / until {local(note.ends_at)}")
    forward = FORWARD_TEXT[note.forward_kind].format(target=note.forward_target)
    if forward:
        parts.append(f"hänvisas till / calls go to {forward}")
    return ", ".join(parts)


def hit_lines(hits: Sequence[SearchHit]) -> list[str]:
    lines = []
    for hit in hits:
        rank = hit.rank.name.lower()
        if hit.protected:
            lines.append(f"[{rank}] {PROTECTED}")
        elif hit.employee is not None:
            e = hit.employee
            lines.append(
                f"[{rank}] {e.extension or '-':>6}  {e.full_name}, {e.title} ({e.unit_id})"
            )
        elif hit.unit is not None:
            u = hit.unit
            lines.append(f"[{rank}] {'enhet':>6}  {u.name} ({u.id}) {', '.join(u.topics)}")
    return lines


def employee_lines(
    e: Employee, unit: Unit | None, notes: Sequence[AbsenceNote], now: datetime
) -> list[str]:
    if not e.listed:
        header = [f"{e.full_name} ({e.id}) — skyddad / unlisted: {PROTECTED} till allmänheten"]
    else:
        header = [f"{e.full_name} ({e.id})"]
    lines = header + [
        f"  titel / title:      {e.title}",
        f"  enhet / unit:       {unit.name if unit else '-'} ({e.unit_id or '-'})",
        f"  anknytning / ext.:  {e.extension or '-'}",
        f"  e-post / e-mail:    {e.email or BY_RULE}",
        f"  språk / languages:  {', '.join(e.languages)}",
    ]
    lines += [
        f"  telefon / device:   {d.kind} {d.dial} {d.number or ''}".rstrip() for d in e.devices
    ]
    current = [n for n in notes if n.in_force(now)]
    lines.append("  status:             " + (absence_text(current[-1]) if current else "inne / in"))
    lines += [
        f"  kommande / upcoming: {local(n.starts_at)} {absence_text(n)}"
        for n in notes
        if n.starts_at > now
    ]
    return lines


#: How a unit's answering group rings, as operators read it.
ANSWER_STRATEGIES = {
    AnswerStrategy.RING_ALL: "alla samtidigt / ring all",
    AnswerStrategy.IN_ORDER: "i tur och ordning / in order",
    AnswerStrategy.LONGEST_IDLE: "längst ledig först / longest idle",
}


def unit_lines(u: Unit, people: Sequence[Employee],
               district_names: Mapping[str, str] | None = None) -> list[str]:
    days = "mån tis ons tor fre lör sön".split()
    hours = ", ".join(
        f"{days[h.weekday]} {h.opens:%H:%M}-{h.closes:%H:%M}" for h in u.opening_hours
    )
    lines = [
        f"{u.name} ({u.id})",
        f"  ämnen / topics:     {', '.join(u.topics)}",
        "  stadsdelar / districts: "
        + (", ".join((district_names or {}).get(d, d) for d in u.district_ids) or "-"),
        f"  öppet / open:       {hours or '-'}",
        f"  telefongrupp / phone group: {u.phone_group or '-'} "
        f"({ANSWER_STRATEGIES[u.answer_strategy]})",
        f"  e-post / e-mail:    {u.email or BY_RULE}",
        f"  besöksadress / address: {u.visiting_address or '-'}",
        f"  kostnadsställe / cost centre: {u.cost_centre or '-'}",
        f"  personal / staff:   {sum(1 for p in people if p.listed)} listed",
    ]
    return lines


def history_line(entry: HistoryEntry) -> str:
    fields = ", ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in entry.changes.items())
    return (
        f"{local(entry.at)} {entry.actor} {entry.action} {entry.entity} {entry.entity_id}: {fields}"
    )
