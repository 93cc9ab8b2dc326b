"""`vaxel dialplan ...`: check, simulate, draw, diff, schema, deploy, rollback, status.

Wiring only: arguments become calls to ``ivr.lint``, ``ivr.simulate``,
``ivr.draw``, ``ivr.diff``, ``ivr.schema`` and ``ivr.deploy``. User mistakes
(a missing folder, an unknown flow, a bad time) raise ``UserError`` (one line,
exit 2); ``check`` and a refused ``deploy`` print every finding and exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from infra.errors import UserError
from infra.output import add_json_option, print_json
from infra.paths import repo_root
from ivr.errors import FlowFileError
from ivr.flow import read_folder
from ivr.flowset import FlowSet, load_set, parse_set
from ivr.nodes import LANGUAGES

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _default_folder() -> Path:
    return repo_root() / "dialplans"


def _add(commands: Any, name: str, help_text: str, func: Callable[[argparse.Namespace], int],
         ) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help_text,
                                                          description=help_text)
    parser.set_defaults(func=func)
    return parser


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    commands = parser.add_subparsers(dest="dialplan_command", required=True, metavar="COMMAND")
    p = _add(commands, "check", "load and lint every flow file; exit 1 on errors", run_check)
    p.add_argument("folder", nargs="?", type=Path, help="default: dialplans/")
    p.add_argument("--recordings", type=Path, help="default: FOLDER/recordings")
    p.add_argument("--today", type=date.fromisoformat, help="first day of window checks")
    add_json_option(p)
    p = _add(commands, "simulate", "run a call through a flow without Asterisk", run_simulate)
    p.add_argument("flow", help="flow name, entry number, or a flow file's path")
    p.add_argument("--folder", type=Path, help="the dialplans folder (default: dialplans/, or "
                                               "the folder of a flow file given by path)")
    p.add_argument("--digits", default="", help="keys per prompt, comma-separated; # = none")
    p.add_argument("--at", help="local time, e.g. 2026-12-24T10:00 (default: now)")
    p.add_argument("--caller", default="", help="the caller's number")
    p.add_argument("--dialled", default="", help="the number dialled (the direct-call flow)")
    p.add_argument("--lang", choices=LANGUAGES, help="the caller's language from the start")
    p.add_argument("--dial-status", default="", help="outcomes of dials in order, e.g. NOANSWER")
    p.add_argument("--directory", help="directory URL (default: the demo directory)")
    p.add_argument("--queue-load", default="",
                   help="what queue_status nodes see, e.g. kontaktcenter:waiting=3,staffed=0 "
                        "(default: unknown, the queue is tried)")
    add_json_option(p)
    p = _add(commands, "draw", "draw a flow as SVG and PNG (Graphviz)", run_draw)
    p.add_argument("flow", help="flow name, entry number, or a flow file's path")
    p.add_argument("--folder", type=Path, help="the dialplans folder (default: dialplans/)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", type=Path,
                       help="one file; its suffix picks the format: .svg, .png or .dot")
    where.add_argument("--out", type=Path,
                       help="output folder for FLOW.svg and FLOW.png (default: docs/dialplans/)")
    p = _add(commands, "diff", "what a change does to the paths callers take", run_diff)
    p.add_argument("old", nargs="?", default="git:HEAD", help="folder or git:REV (git:HEAD)")
    p.add_argument("new", nargs="?", help="folder or git:REV (default: dialplans/)")
    add_json_option(p)
    p = _add(commands, "schema", "write the JSON Schema of flow files", run_schema)
    p.add_argument("--out", type=Path, help="default: dialplans/schema.json")
    for cmd, text, func in (("deploy", "check, then activate the folder as a new version",
                             run_deploy),
                            ("rollback", "make the previous version active again", run_rollback),
                            ("status", "show the active and previous versions", run_status)):
        p = _add(commands, cmd, text, func)
        if cmd == "deploy":
            p.add_argument("folder", nargs="?", type=Path, help="default: dialplans/")
        p.add_argument("--redis", required=True, help="redis://host:port/db")
        if cmd != "status":
            p.add_argument("--by", required=True, help="who deploys (recorded)")
        else:
            add_json_option(p)


# ---- check -----------------------------------------------------------------------------

def _recordings(folder: Path) -> frozenset[tuple[str, str]]:
    return frozenset((p.parent.name, p.stem) for p in folder.glob("*/*.wav"))


def _files(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    try:
        return read_folder(folder)
    except FlowFileError as exc:
        raise UserError(str(exc)) from exc


def run_check(args: argparse.Namespace) -> int:
    from ivr.lint import check_files, has_errors

    folder: Path = args.folder or _default_folder()
    files = _files(folder)
    recordings = _recordings(args.recordings or folder / "recordings")
    today = args.today or datetime.now(STOCKHOLM).date()
    findings = check_files(files, str(folder), today, recordings)
    errors = sum(f.severity == "error" for f in findings)
    if args.json:
        print_json({"folder": str(folder), "files": len(files), "errors": errors,
                    "warnings": len(findings) - errors,
                    "findings": [dataclasses.asdict(f) for f in findings]})
        return 1 if has_errors(findings) else 0
    for finding in findings:
        print(finding)
    print(f"dialplan check: {len(files)} file(s), {errors} error(s), "
          f"{len(findings) - errors} warning(s)")
    return 1 if has_errors(findings) else 0


# ---- simulate / draw -------------------------------------------------------------------

def _load(folder: Path | None) -> FlowSet:
    try:
        return load_set(folder or _default_folder())
    except FlowFileError as exc:
        raise UserError(f"the flows do not load; run `vaxel dialplan check`\n{exc}") from exc


def _at(text: str | None) -> datetime:
    if not text:
        return datetime.now(STOCKHOLM)
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UserError(f"--at {text!r}: expected a time like 2026-12-24T10:00") from exc
    return at if at.tzinfo else at.replace(tzinfo=STOCKHOLM)


def _directory(url: str | None) -> Any:
    from directory.api import Directory
    from ivr.directory_port import DirectoryLookup

    if url:
        return DirectoryLookup(Directory.open(url))
    from directory.demo import seed

    demo = Directory.open("sqlite://")
    demo.create_schema()
    seed(demo)
    return DirectoryLookup(demo)


def run_simulate(args: argparse.Namespace) -> int:
    from ivr.simulate import parse_queue_load, simulate

    try:
        loads = parse_queue_load(args.queue_load)
    except ValueError as exc:
        raise UserError(f"--queue-load: {exc}") from None
    flow_set, name = _load_flow(args.flow, args.folder)
    keys = [k.strip() for k in args.digits.split(",")] if args.digits else []
    statuses = [s.strip() for s in args.dial_status.split(",") if s.strip()]
    result = simulate(flow_set, name, keys, _at(args.at), caller=args.caller,
                      language=args.lang, dial_statuses=statuses,
                      directory=_directory(args.directory), dialled=args.dialled,
                      queue_load=loads)
    if args.json:
        print_json({"flow": name, "path": list(result.state.path) if result.state else [],
                    "heard": result.heard, "destination": result.destination,
                    "transcript": result.lines})
    else:
        print(result)
    return 0


def _load_flow(spec: str, folder: Path | None) -> tuple[FlowSet, str]:
    """The flow set and flow name that a name, an entry number or a file's path means."""
    from ivr.simulate import find_flow

    path = Path(spec)
    by_path = path.suffix in (".yaml", ".yml") or path.is_file()
    if by_path and not path.is_file():
        raise UserError(f"{spec}: no such flow file")
    flow_set = _load(folder or (path.resolve().parent if by_path else None))
    if by_path:
        flow = next((f for f in flow_set.flows.values()
                     if Path(f.source).resolve() == path.resolve()), None)
    else:
        flow = find_flow(flow_set, spec)
    if flow is None:
        raise UserError(f"no flow named or reached by {spec!r}; "
                        f"flows: {', '.join(sorted(flow_set.flows))}")
    return flow_set, flow.name


def run_draw(args: argparse.Namespace) -> int:
    from ivr.draw import FORMATS, DrawError, render, to_dot

    flow_set, name = _load_flow(args.flow, args.folder)
    flow = flow_set.flows[name]
    if args.output is not None:
        fmt = args.output.suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            raise UserError(f"-o {args.output}: the suffix picks the format; "
                            f"use .{', .'.join(FORMATS)}")
        base, formats = args.output, (fmt,)  # type: tuple[Path, tuple[str, ...]]
    else:
        base, formats = (args.out or repo_root() / "docs" / "dialplans") / flow.name, ("svg", "png")
    try:
        written = render(to_dot(flow), base, formats)
    except DrawError as exc:
        raise UserError(str(exc)) from exc
    for path in written:
        print(path)
    return 0


# ---- diff / schema ---------------------------------------------------------------------

def _git_files(rev: str) -> dict[str, str]:
    root = repo_root()
    try:
        names = subprocess.run(["git", "ls-tree", "--name-only", f"{rev}:dialplans"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.split()
        return {n: subprocess.run(["git", "show", f"{rev}:dialplans/{n}"], cwd=root,
                                  capture_output=True, text=True, check=True).stdout
                for n in names if n.endswith(".yaml")}
    except (OSError, subprocess.CalledProcessError) as exc:
        raise UserError(f"git:{rev}: cannot read dialplans/ at that revision") from exc


def _version(spec: str | None) -> FlowSet:
    if spec and spec.startswith("git:"):
        files, where = _git_files(spec[4:]), spec
    else:
        folder = Path(spec) if spec else _default_folder()
        files, where = _files(folder), str(folder)
    try:
        return parse_set(files, where)
    except FlowFileError as exc:
        raise UserError(f"{where} does not load; run `vaxel dialplan check`\n{exc}") from exc


def run_diff(args: argparse.Namespace) -> int:
    from ivr.diff import diff_paths

    old, new = _version(args.old), _version(args.new)
    changes = diff_paths(old.flows, new.flows)
    counts = {k: sum(c.kind == k for c in changes) for k in ("added", "removed", "changed")}
    if args.json:
        def path(p: Any) -> dict[str, Any] | None:
            return None if p is None else {"end": p.end, "heard": list(p.heard)}
        print_json({"old": old.where, "new": new.where, **counts, "changes": [
            {"kind": c.kind, "name": c.name, "before": path(c.before), "after": path(c.after)}
            for c in changes]})
        return 0
    for change in changes:
        print(change)
    print(f"dialplan diff {old.where} -> {new.where}: "
          + ", ".join(f"{v} path(s) {k}" for k, v in counts.items()))
    return 0


def run_schema(args: argparse.Namespace) -> int:
    from ivr.schema import flow_schema

    out: Path = args.out or _default_folder() / "schema.json"
    out.write_text(json.dumps(flow_schema(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(out)
    return 0


# ---- deploy / rollback / status --------------------------------------------------------

def _with_redis(url: str, work: Callable[[Any], Any]) -> Any:
    from infra.redis_url import redis_client

    async def run() -> Any:
        client = redis_client(url)
        try:
            return await work(client)
        finally:
            await client.aclose()

    return asyncio.run(run())


def run_deploy(args: argparse.Namespace) -> int:
    from ivr.deploy import DeployError, DeployRejected, deploy

    folder: Path = args.folder or _default_folder()
    files = _files(folder)
    print(f"... {folder}: checking {len(files)} files, then storing them as a new version",
          file=sys.stderr, flush=True)
    try:
        info, findings = _with_redis(args.redis, lambda c: deploy(
            c, files, str(folder), args.by, datetime.now(STOCKHOLM)))
    except DeployRejected as exc:
        for finding in exc.findings:
            print(finding)
        print(f"dialplan deploy: refused: {exc.args[0].splitlines()[0]}", file=sys.stderr)
        return 1
    except DeployError as exc:
        raise UserError(f"deploy: {exc}") from exc
    for finding in findings:
        print(finding)
    print(f"dialplan deploy: active version {info}")
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    from ivr.deploy import DeployError, rollback

    try:
        info = _with_redis(args.redis, lambda c: rollback(c, args.by, datetime.now(STOCKHOLM)))
    except DeployError as exc:
        raise UserError(f"rollback: {exc}") from exc
    print(f"dialplan rollback: active version {info}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from ivr.deploy import DeployError, status

    try:
        state = _with_redis(args.redis, status)
    except DeployError as exc:
        raise UserError(f"status: {exc}") from exc
    if args.json:
        def version(info: Any) -> dict[str, Any] | None:
            return None if info is None else {
                "id": info.id, "by": info.by, "at": info.at, "files": sorted(info.files)}
        print_json({"active": version(state["active"]), "previous": version(state["previous"]),
                    "log": state["log"]})
        return 0
    print(f"active:   {state['active'] or '(none deployed)'}")
    print(f"previous: {state['previous'] or '(none)'}")
    for entry in state["log"]:
        print(f"  {entry['at']} {entry['action']} {entry['id']} by {entry['by']}")
    return 0
