"""The ``vaxel directory`` command group: demo, search, show, absence, import, sync.

A thin adapter: parses arguments, opens the directory, calls the API and prints
what it returns. Operators read Swedish with English; errors that are the
user's become ``UserError`` (one line, exit status 2).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from directory import demo
from directory.errors import DirectoryError
from directory.store import Directory
from vaxel.cli import UserError
from vaxel.paths import cache_dir

#: Environment variable naming the directory database URL.
URL_ENV = "VAXEL_DIRECTORY_URL"


def default_url() -> str:
    """$VAXEL_DIRECTORY_URL, else an SQLite file in the cache folder."""
    return os.environ.get(URL_ENV) or f"sqlite:///{cache_dir() / 'directory.db'}"


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)
    sub = parser.add_subparsers(dest="directory_command", metavar="COMMAND")

    p = _command(sub, "demo", "seed a demo city (small, or the 50,000-person city)", cmd_demo)
    p.add_argument("--size", choices=("small", "city"), default="small")
    p.add_argument("--seed", type=int, default=1)


def _command(sub: Any, name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    p.add_argument("--url", default=None, help=f"database URL (default: ${URL_ENV} or cache)")
    p.set_defaults(func=func)
    return p


def open_directory(args: argparse.Namespace) -> Directory:
    url = args.url or default_url()
    if url.startswith("sqlite:///"):
        os.makedirs(
            os.path.dirname(os.path.abspath(url.removeprefix("sqlite:///"))) or ".", exist_ok=True
        )
    try:
        return Directory.open(url)
    except DirectoryError as exc:
        raise UserError(f"cannot open directory {url}: {exc}") from exc


def cmd_demo(args: argparse.Namespace) -> int:
    d = open_directory(args)
    try:
        if d.active_employees() or d.units():
            raise UserError(
                f"{args.url or default_url()} already holds a directory; "
                "use an empty database / databasen är inte tom"
            )
        summary = demo.seed(d, size=args.size, seed=args.seed)
    finally:
        d.close()
    print(
        f"demo city seeded / demostad skapad: {summary.districts} districts, "
        f"{summary.units} units, {summary.employees} employees"
    )
    return 0
