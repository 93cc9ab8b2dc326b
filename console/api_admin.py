"""REST routes of the admin pages: dialplan versions with their check, deploy and roll
back (``ivr.deploy``, the functions ``vaxel dialplan`` uses), absence notes and directory
edits, the audit log. Every change is written to the audit log with who made it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from console.auth import Permission, Principal
from console.errors import Conflict, Invalid, NotFoundError, Unavailable
from console.web import allowed, deps_of

router = APIRouter(prefix="/api", tags=["admin"])
ADMIN = allowed(Permission.ADMIN)
ADMIN_CHANGE = allowed(Permission.ADMIN, changes=True)
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _folder(request: Request) -> Path:
    folder = deps_of(request).settings.dialplans_dir
    if folder is None or not folder.is_dir():
        raise Unavailable(f"flow folder {folder} not found ([console] / dialplans)")
    return folder


def _check(folder: Path) -> tuple[dict[str, str], list[Any]]:
    from ivr.flow import read_folder
    from ivr.lint import check_files

    files = read_folder(folder)
    recordings = frozenset((p.parent.name, p.stem)
                           for p in (folder / "recordings").glob("*/*.wav"))
    return files, check_files(files, str(folder), datetime.now(STOCKHOLM).date(), recordings)


def _finding(f: Any) -> dict[str, Any]:
    return {"file": f.file, "line": f.line, "column": f.column, "severity": f.severity,
            "code": f.code, "message": f.message, "text": str(f)}


def _version(info: Any) -> dict[str, Any] | None:
    if info is None:
        return None
    return {"id": info.id, "by": info.by, "at": info.at,
            "flows": sorted(n for n in info.files if n.endswith(".yaml"))}


@router.get("/dialplans", summary="deployed versions and the check of the flow folder")
async def dialplans(request: Request, who: Principal = Depends(ADMIN)) -> Any:
    from ivr.deploy import DeployError, status
    from ivr.errors import FlowFileError

    folder = _folder(request)
    try:
        state = await status(deps_of(request).redis)
    except DeployError as exc:
        raise Unavailable(str(exc)) from exc
    try:
        _files, findings = await asyncio.to_thread(_check, folder)
        check = {"errors": sum(f.severity == "error" for f in findings),
                 "findings": [_finding(f) for f in findings]}
    except FlowFileError as exc:
        check = {"errors": 1, "findings": [{"text": str(exc), "severity": "error"}]}
    return {"folder": str(folder), "active": _version(state["active"]),
            "previous": _version(state["previous"]), "log": state["log"], "check": check}


@router.post("/dialplans/deploy", summary="check the flow folder and make it live")
async def deploy(request: Request, who: Principal = Depends(ADMIN_CHANGE)) -> Any:
    from ivr.deploy import DeployError, DeployRejected
    from ivr.deploy import deploy as do_deploy

    folder = _folder(request)
    files, _ = await asyncio.to_thread(_check, folder)
    try:
        info, findings = await do_deploy(deps_of(request).redis, files, str(folder), who.name,
                                         datetime.now(STOCKHOLM))
    except DeployRejected as exc:
        raise Conflict("Flödena har fel; inget driftsattes (the flows have errors; nothing "
                       "was deployed)", findings=[_finding(f) for f in exc.findings]) from exc
    except DeployError as exc:
        raise Conflict(str(exc)) from exc
    await deps_of(request).users.audit(who.name, "dialplan.deploy", version=info.id)
    return {"active": _version(info), "warnings": [_finding(f) for f in findings]}


@router.post("/dialplans/rollback", summary="make the previous version live again")
async def rollback(request: Request, who: Principal = Depends(ADMIN_CHANGE)) -> Any:
    from ivr.deploy import DeployError
    from ivr.deploy import rollback as do_rollback

    try:
        info = await do_rollback(deps_of(request).redis, who.name, datetime.now(STOCKHOLM))
    except DeployError as exc:
        raise Conflict(str(exc)) from exc
    await deps_of(request).users.audit(who.name, "dialplan.rollback", version=info.id)
    return {"active": _version(info)}


class AbsenceBody(BaseModel):
    category: str = Field(..., description="meeting | lunch | out_of_office | leave")
    until: datetime | None = Field(None, description="return time (ISO 8601)")
    reason: str = Field("", description="semester | möte | utbildning | tjänstledig | "
                        "föräldraledig | ledig | lunch | tjänsteresa | ute (default: the "
                        "category's); no free text, never a health reason")


class EmployeeEdit(BaseModel):
    title: str | None = Field(None, max_length=120)
    email: str | None = Field(None, max_length=120)
    extension: str | None = Field(None, pattern=r"^[0-9]{2,8}$")


def _directory(request: Request) -> Any:
    directory = deps_of(request).directory
    if directory is None:
        raise Unavailable("Ingen katalog (no directory configured)")
    return directory


def _reason(text: str) -> Any:
    from directory.api import AbsenceReason

    if not text:
        return None
    try:
        return AbsenceReason.parse(text)
    except ValueError as exc:
        raise Invalid("reason", str(exc)) from None


@router.put("/directory/employees/{employee_id}/absence", summary="set an absence note")
async def set_absence(employee_id: str, body: AbsenceBody, request: Request,
                      who: Principal = Depends(ADMIN_CHANGE)) -> Any:
    from directory.api import AbsenceCategory, AbsenceNote, DirectoryError, NotFound

    try:
        category = AbsenceCategory(body.category)
    except ValueError:
        raise Invalid("category", f"{body.category!r} is not one of "
                      + ", ".join(c.value for c in AbsenceCategory)) from None
    now = datetime.now(UTC)
    until = body.until.replace(tzinfo=body.until.tzinfo or STOCKHOLM) if body.until else None
    if until is not None and until <= now:
        raise Invalid("until", "the return time must be in the future")
    try:
        note = AbsenceNote(category, now, until, _reason(body.reason))
        await asyncio.to_thread(_directory(request).set_absence, employee_id, note,
                                actor=f"console:{who.name}")
    except NotFound as exc:
        raise NotFoundError(str(exc), employee_id=employee_id) from exc
    except DirectoryError as exc:
        raise Invalid("absence", str(exc)) from exc
    await deps_of(request).users.audit(who.name, "absence.set", employee=employee_id,
                                       category=category.value, until=until)
    return {"employee_id": employee_id, "category": category.value,
            "until": until.isoformat() if until else None}


@router.delete("/directory/employees/{employee_id}/absence", summary="clear absence notes")
async def clear_absence(employee_id: str, request: Request,
                        who: Principal = Depends(ADMIN_CHANGE)) -> Any:
    count = await asyncio.to_thread(_directory(request).clear_absence, employee_id,
                                    datetime.now(UTC), actor=f"console:{who.name}")
    await deps_of(request).users.audit(who.name, "absence.clear", employee=employee_id)
    return {"employee_id": employee_id, "cleared": count}


@router.patch("/directory/employees/{employee_id}", summary="edit an employee's title, "
                                                           "e-mail or extension")
async def edit_employee(employee_id: str, body: EmployeeEdit, request: Request,
                        who: Principal = Depends(ADMIN_CHANGE)) -> Any:
    from directory.api import DirectoryError

    directory = _directory(request)
    employee = await asyncio.to_thread(directory.employee, employee_id)
    if employee is None:
        raise NotFoundError(f"employee {employee_id!r} not found", employee_id=employee_id)
    changes = body.model_dump(exclude_none=True)
    try:
        updated = await asyncio.to_thread(directory.update_employee,
                                          replace(employee, **changes),
                                          actor=f"console:{who.name}")
    except DirectoryError as exc:
        raise Invalid(next(iter(changes), "employee"), str(exc)) from exc
    await deps_of(request).users.audit(who.name, "directory.edit", employee=employee_id,
                                       **changes)
    return {"id": updated.id, "title": updated.title, "email": updated.email,
            "extension": updated.extension}


@router.get("/audit", summary="the latest admin and supervisor actions")
async def audit(request: Request, who: Principal = Depends(ADMIN)) -> Any:
    return {"entries": await deps_of(request).users.audit_log()}
