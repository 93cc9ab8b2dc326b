"""The directory's public Python API: what the IVR and the operator console import.

Everything here is a frozen entity, an enum, an error, or the ``Directory``
repository that returns them; ORM rows never cross this line.
"""

from __future__ import annotations

from directory.changes import SyncPlan, plan_sync
from directory.entities import (
    AbsenceCategory,
    AbsenceNote,
    AbsenceReason,
    AnswerStrategy,
    Device,
    District,
    Employee,
    ForwardKind,
    HistoryEntry,
    OpeningHours,
    OrgKind,
    OrgNode,
    Unit,
)
from directory.errors import (
    Conflict,
    DirectoryError,
    ImportRejected,
    InvalidEntity,
    NotFound,
    StoreUnavailable,
    SyncFailed,
)
from directory.ports import DirectoryLookup, FakeDirectory
from directory.ranking import MatchRank, SearchHit
from directory.store import Directory

__all__ = [
    "AbsenceCategory",
    "AbsenceNote",
    "AbsenceReason",
    "AnswerStrategy",
    "Conflict",
    "Device",
    "Directory",
    "DirectoryError",
    "DirectoryLookup",
    "District",
    "Employee",
    "FakeDirectory",
    "ForwardKind",
    "HistoryEntry",
    "ImportRejected",
    "InvalidEntity",
    "MatchRank",
    "NotFound",
    "OpeningHours",
    "OrgKind",
    "OrgNode",
    "SearchHit",
    "StoreUnavailable",
    "SyncFailed",
    "SyncPlan",
    "Unit",
    "plan_sync",
]
