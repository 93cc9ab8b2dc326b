"""What `vaxel directory search|show|history` print: JSON documents and tables (pure).

The documents' field names are a stable interface (docs/cli-json.md); units and
districts appear by name beside their id, so that a person reading a table never has
to look an id up. Nothing here touches the database: the caller passes the names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from directory.entities import AbsenceNote, Employee, HistoryEntry, Unit
from directory.present import absence_text, local
from directory.ranking import SearchHit
from infra.output import table

HIT_COLUMNS = (("rank", "träff / rank"), ("extension", "ankn. / ext."),
               ("name", "namn / name"), ("title", "titel / title"), ("unit", "enhet / unit"))
HISTORY_COLUMNS = (("at", "när / when"), ("actor", "vem / who"), ("action", "vad / action"),
                   ("entity", "typ / entity"), ("entity_id", "id"),
                   ("changes", "ändringar / changes"))


def hit_document(hit: SearchHit, unit_names: Mapping[str, str]) -> dict[str, Any]:
    """One search hit: rank, kind (employee, unit or protected), id, name, title, extension,
    unit_id, unit (its name), topics."""
    doc: dict[str, Any] = {"rank": hit.rank.name.lower(), "kind": "protected", "id": None,
                           "name": None, "title": None, "extension": None, "unit_id": None,
                           "unit": None, "topics": []}
    if hit.protected:
        return doc
    if hit.employee is not None:
        e = hit.employee
        doc.update(kind="employee", id=e.id, name=e.full_name, title=e.title,
                   extension=e.extension, unit_id=e.unit_id,
                   unit=unit_names.get(e.unit_id or "", e.unit_id))
    elif hit.unit is not None:
        u = hit.unit
        doc.update(kind="unit", id=u.id, name=u.name, unit_id=u.id, unit=u.name,
                   topics=list(u.topics))
    return doc


def search_document(query: str, hits: Sequence[SearchHit],
                    unit_names: Mapping[str, str]) -> dict[str, Any]:
    return {"query": query, "hits": [hit_document(h, unit_names) for h in hits]}


def search_table(document: Mapping[str, Any]) -> str:
    rows = [{**hit, "name": hit["name"] or "Ingen information kan lämnas / No information"}
            for hit in document["hits"]]
    return table(rows, HIT_COLUMNS)


def note_document(note: AbsenceNote) -> dict[str, Any]:
    return {"category": note.category.value, "starts_at": note.starts_at.isoformat(),
            "ends_at": note.ends_at.isoformat() if note.ends_at else None,
            "reason": note.message, "message": note.message,
            "forward_kind": note.forward_kind.value,
            "forward_target": note.forward_target, "text": absence_text(note)}


def employee_document(e: Employee, unit: Unit | None, notes: Sequence[AbsenceNote],
                      now: datetime) -> dict[str, Any]:
    current = [n for n in notes if n.in_force(now)]
    return {
        "kind": "employee", "id": e.id, "name": e.full_name, "title": e.title,
        "unit_id": e.unit_id, "unit": unit.name if unit else None,
        "extension": e.extension, "direct_number": e.direct_number, "email": e.email,
        "languages": list(e.languages), "listed": e.listed,
        "devices": [{"kind": d.kind, "dial": d.dial, "number": d.number} for d in e.devices],
        "absence": note_document(current[-1]) if current else None,
        "upcoming": [note_document(n) for n in notes if n.starts_at > now],
    }


def unit_document(u: Unit, people: Sequence[Employee],
                  district_names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "kind": "unit", "id": u.id, "name": u.name, "topics": list(u.topics),
        "districts": [{"id": d, "name": district_names.get(d, d)} for d in u.district_ids],
        "phone_group": u.phone_group, "answer_strategy": u.answer_strategy.value,
        "email": u.email, "number": u.number, "visiting_address": u.visiting_address,
        "cost_centre": u.cost_centre, "listed_staff": sum(1 for p in people if p.listed),
        "opening_hours": [{"weekday": h.weekday, "opens": f"{h.opens:%H:%M}",
                           "closes": f"{h.closes:%H:%M}"} for h in u.opening_hours],
    }


def history_document(entries: Sequence[HistoryEntry]) -> dict[str, Any]:
    return {"entries": [{"at": entry.at.isoformat(), "actor": entry.actor,
                         "action": entry.action, "entity": entry.entity,
                         "entity_id": entry.entity_id,
                         "changes": {k: list(v) for k, v in entry.changes.items()}}
                        for entry in entries]}


def history_table(entries: Sequence[HistoryEntry]) -> str:
    rows = [{"at": local(e.at), "actor": e.actor, "action": e.action, "entity": e.entity,
             "entity_id": e.entity_id,
             "changes": "; ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new)
                                  in e.changes.items())} for e in entries]
    return table(rows, HISTORY_COLUMNS)
