"""The ``vaxel directory`` command group: demo, search, show, email, answering, absence,
import, sync, history.

A thin adapter: parses arguments, opens the directory, calls the API and prints
what it returns. Operators read Swedish with English; times they type without
an offset are Stockholm local time. Errors that are the user's become
``UserError`` (one line, exit status 2); nothing is half-applied.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from directory import cli_read, demo, ldap_cli, present
from directory.csv_import import import_csv
from directory.entities import (
    REASON_CATEGORY,
    AbsenceCategory,
    AbsenceNote,
    AbsenceReason,
    AnswerStrategy,
    Employee,
    ForwardKind,
)
from directory.errors import DirectoryError, ImportRejected, InvalidEntity, NotFound
from directory.store import Directory
from infra.errors import UserError
from infra.output import add_json_option, print_json
from infra.paths import cache_dir

#: Environment variable naming the directory database URL.
URL_ENV = "VAXEL_DIRECTORY_URL"
#: The help of every --actor option.
ACTOR_HELP = "who the history names (default: your user name)"
#: Time zone of times typed without an offset.
LOCAL = ZoneInfo("Europe/Stockholm")

Handler = Callable[[argparse.Namespace, Directory], int]


def default_url() -> str:
    """$VAXEL_DIRECTORY_URL, else an SQLite file in the cache folder."""
    return os.environ.get(URL_ENV) or f"sqlite:///{cache_dir() / 'directory.db'}"


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)
    sub = parser.add_subparsers(dest="directory_command", metavar="COMMAND")

    p = _command(sub, "demo", "seed a demo city (small, or the 50,000-person city)", cmd_demo)
    p.add_argument("--size", choices=("small", "city"), default="small",
                   help="small: 45 people in 30 units; city: 50,000 people")
    p.add_argument("--seed", type=int, default=1, help="random seed of the made-up people")

    p = _command(sub, "search", "search people and units / sök personer och enheter", cmd_search)
    p.add_argument("query", help="extension, phone number, name, unit or topic words")
    p.add_argument("--operator", action="store_true", help="operator view (unlisted: protected)")
    p.add_argument("--district", help="district id or name")
    p.add_argument("--street", help="caller's street (the district serving it)")
    p.add_argument("--limit", type=int, default=10, help="most hits shown (default 10)")
    add_json_option(p)

    p = _command(sub, "show", "show a person or unit / visa person eller enhet", cmd_show)
    p.add_argument("who", help="extension, employee id or unit id")
    p.add_argument("--at", help="time for the absence status (default now)")
    add_json_option(p)

    p = _command(sub, "email", "set or clear an e-mail address / e-postadress", cmd_email)
    p.add_argument("who", help="extension, employee id or unit id")
    p.add_argument("address", nargs="?", help="the new address (omit with --clear)")
    p.add_argument(
        "--clear", action="store_true", help="remove the address: the city's rule applies"
    )
    p.add_argument("--actor", default=os.environ.get("USER", "cli"), help=ACTOR_HELP)

    p = _command(sub, "answering",
                 "how a unit's answering group rings / svarsgruppens ringordning", cmd_answering)
    p.add_argument("unit", help="unit id")
    p.add_argument("strategy", choices=[s.value for s in AnswerStrategy],
                   help="ring_all: all at once; in_order: one after the other; "
                        "longest_idle: the member idle longest first")
    p.add_argument("--actor", default=os.environ.get("USER", "cli"), help=ACTOR_HELP)

    p = _command(sub, "import", "import the HR system's CSV export / importera CSV", cmd_import)
    p.add_argument("file", type=Path, help="the CSV export (columns: directory/README.md)")
    p.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    p.add_argument("--full", action="store_true", help="the file lists everyone: deactivate others")
    p.add_argument("--actor", default="csv-import", help="who the history names")

    p = _command(sub, "history", "who changed what / ändringshistorik", cmd_history)
    p.add_argument("who", nargs="?", help="employee id, extension or unit id")
    p.add_argument("--limit", type=int, default=20, help="most entries shown (default 20)")
    add_json_option(p)

    absence = sub.add_parser("absence", help="set or clear an absence note / hänvisning")
    absence_sub = absence.add_subparsers(dest="absence_command", metavar="COMMAND", required=True)
    p = _command(absence_sub, "set", "set an absence note", cmd_absence_set)
    p.add_argument("who", help="extension or employee id")
    p.add_argument("--reason", required=True, type=_reason,
                   help="why, from the fixed list (no free text, never a health reason): "
                        + ", ".join(r.value for r in AbsenceReason))
    p.add_argument("--category", choices=[c.value for c in AbsenceCategory],
                   help="what the IVR says (default: the reason's)")
    p.add_argument("--from", dest="starts", help="start (default now); ISO date or date-time")
    p.add_argument("--until", help="end; ISO date (end of that day) or date-time")
    p.add_argument(
        "--forward",
        default="none",
        help="none, voicemail, contact_center, colleague:EXT or unit:ID",
    )
    p.add_argument("--actor", default=os.environ.get("USER", "cli"), help=ACTOR_HELP)
    p = _command(
        absence_sub, "clear", "end the current note and drop upcoming ones", cmd_absence_clear
    )
    p.add_argument("who", help="extension or employee id")
    p.add_argument("--actor", default=os.environ.get("USER", "cli"), help=ACTOR_HELP)

    ldap_cli.register(sub, _command)


def _command(sub: Any, name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    p.add_argument("--url", default=None, help=f"database URL (default: ${URL_ENV} or cache)")
    p.set_defaults(func=lambda args: _run(args, handler))
    return p


def _run(args: argparse.Namespace, handler: Handler) -> int:
    with open_directory(args.url) as d:
        try:
            return handler(args, d)
        except ImportRejected as exc:
            raise UserError(_rejection(exc)) from exc
        except DirectoryError as exc:
            raise UserError(str(exc)) from exc


def _rejection(exc: ImportRejected) -> str:
    others = [f"{exc.source}:{line}: {reason}" for line, reason in exc.errors[1:]]
    return "\n".join([f"import rejected, nothing imported / importen avvisad: {exc}", *others])


@contextmanager
def open_directory(url: str | None) -> Iterator[Directory]:
    url = url or default_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        d = Directory.open(url)
    except DirectoryError as exc:
        raise UserError(f"cannot open directory {url}: {exc}") from exc
    try:
        yield d
    finally:
        d.close()


def parse_time(value: str, *, end_of_day: bool = False) -> datetime:
    """An aware datetime from ISO text; a date alone is the start (or end) of that local day."""
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).date()
            moment = datetime.combine(day, time.max if end_of_day else time.min)
            return moment.replace(tzinfo=LOCAL)
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise UserError(f"not an ISO date or date-time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL)


def find_employee(d: Directory, who: str) -> Employee:
    found = d.employee_by_extension(who) if who.isdigit() else None
    found = found or d.employee(who)
    if found is None:
        raise NotFound("employee", who)
    return found


def parse_forward(value: str) -> tuple[ForwardKind, str | None]:
    kind, _, target = value.partition(":")
    try:
        return ForwardKind(kind), target or None
    except ValueError as exc:
        choices = ", ".join(k.value for k in ForwardKind)
        raise UserError(f"--forward: unknown kind {kind!r} (one of {choices})") from exc


def cmd_demo(args: argparse.Namespace, d: Directory) -> int:
    if d.active_employees() or d.unit_ids():
        raise UserError("the database already holds a directory / databasen är inte tom")
    summary = demo.seed(d, size=args.size, seed=args.seed)
    print(
        f"demo city seeded / demostad skapad: {summary.districts} districts, "
        f"{summary.units} units, {summary.employees} employees"
    )
    return 0


def cmd_search(args: argparse.Namespace, d: Directory) -> int:
    hits = d.search(
        args.query,
        audience="operator" if args.operator else "public",
        district=args.district,
        street=args.street,
        limit=args.limit,
    )
    units = {e.unit_id for h in hits if (e := h.employee) is not None and e.unit_id}
    names = {u.id: u.name for unit_id in units if (u := d.unit(unit_id)) is not None}
    document = cli_read.search_document(args.query, hits, names)
    if args.json:
        print_json(document)
    else:
        print(cli_read.search_table(document) if hits else "no hits / inga träffar")
    return 0 if hits else 1


def cmd_show(args: argparse.Namespace, d: Directory) -> int:
    now = parse_time(args.at) if args.at else datetime.now(LOCAL)
    unit = None if args.who.isdigit() else d.unit(args.who)
    if unit is not None:
        people = d.employees_in_unit(unit.id)
        districts = {x.id: x.name for x in d.districts()}
        if args.json:
            print_json(cli_read.unit_document(unit, people, districts))
        else:
            print("\n".join(present.unit_lines(unit, people, districts)))
        return 0
    employee = find_employee(d, args.who)
    unit = d.unit(employee.unit_id) if employee.unit_id else None
    notes = [n for n in d.absences(employee.id) if n.ends_at is None or n.ends_at > now]
    if args.json:
        print_json(cli_read.employee_document(employee, unit, notes, now))
    else:
        print("\n".join(present.employee_lines(employee, unit, notes, now)))
    return 0


def cmd_answering(args: argparse.Namespace, d: Directory) -> int:
    if d.unit(args.unit) is None:
        raise UserError(f"no unit {args.unit!r} / ingen enhet {args.unit!r}")
    unit = d.set_unit_answer_strategy(args.unit, args.strategy, actor=args.actor)
    print(f"{unit.name}: svarsgrupp / answering group {unit.answer_strategy.value}")
    return 0


def cmd_email(args: argparse.Namespace, d: Directory) -> int:
    if bool(args.address) == bool(args.clear):
        raise UserError("give an address or --clear / ange en adress eller --clear")
    address = None if args.clear else args.address
    unit = None if args.who.isdigit() else d.unit(args.who)
    if unit is not None:
        unit = d.set_unit_email(unit.id, address, actor=args.actor)
        name, email = unit.name, unit.email
    else:
        employee = find_employee(d, args.who)
        employee = d.update_employee(replace(employee, email=address), actor=args.actor)
        name, email = employee.full_name, employee.email
    print(f"{name}: e-post / e-mail {email or present.BY_RULE}")
    return 0


def cmd_import(args: argparse.Namespace, d: Directory) -> int:
    plan = import_csv(d, args.file, full=args.full, dry_run=args.dry_run, actor=args.actor,
                      progress=progress_line)
    for line in plan.lines():
        print(line)
    verb = "would change / skulle ändra" if args.dry_run else "imported / importerat"
    print(f"{verb}: {plan.summary()}")
    return 0


def progress_line(text: str) -> None:
    """A phase of long work, on stderr (stdout stays the result)."""
    print(f"... {text}", file=sys.stderr, flush=True)


def cmd_history(args: argparse.Namespace, d: Directory) -> int:
    entity_id = None
    if args.who:
        entity_id = find_employee(d, args.who).id if args.who.isdigit() else args.who
    entries = d.history(entity_id, limit=args.limit)
    if args.json:
        print_json(cli_read.history_document(entries))
    elif entries:
        print(cli_read.history_table(entries))
    return 0


def _reason(text: str) -> AbsenceReason:
    try:
        return AbsenceReason.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_absence_set(args: argparse.Namespace, d: Directory) -> int:
    employee = find_employee(d, args.who)
    kind, target = parse_forward(args.forward)
    try:
        note = AbsenceNote(
            category=(AbsenceCategory(args.category) if args.category
                      else REASON_CATEGORY[args.reason]),
            reason=args.reason,
            starts_at=parse_time(args.starts) if args.starts else datetime.now(LOCAL),
            ends_at=parse_time(args.until, end_of_day=True) if args.until else None,
            forward_kind=kind,
            forward_target=target,
        )
    except InvalidEntity as exc:
        raise UserError(f"absence note: {exc}") from exc
    d.set_absence(employee.id, note, actor=args.actor)
    print(f"{employee.full_name}: {present.absence_text(note)}")
    return 0


def cmd_absence_clear(args: argparse.Namespace, d: Directory) -> int:
    employee = find_employee(d, args.who)
    count = d.clear_absence(employee.id, datetime.now(LOCAL), actor=args.actor)
    print(f"{employee.full_name}: {count} note(s) cleared / hänvisningar borttagna")
    return 0
