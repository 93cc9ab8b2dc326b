"""PostgreSQL for the cluster: a private database cluster on the plan's port, on loopback.

PostgreSQL refuses to run as root, so under root its programs run as the ``postgres``
user through ``runuser``, with the data in a folder that user owns. The directory
(and its demo city) is created in database ``vaxel``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cluster.processes import ProcessFailed


def bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise ProcessFailed("PostgreSQL server programs not found (Debian package postgresql)")
    return Path(initdb).parent


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def data_root(folder: Path) -> Path:
    """Where the data lives: in ``folder``, or (as root) in a temp folder postgres owns,
    since root's home is closed to other users."""
    if os.geteuid() != 0:
        return folder / "postgres"
    root = Path(tempfile.mkdtemp(prefix="vaxel-cluster-pg-"))
    shutil.chown(root, "postgres", "postgres")
    return root


def start(root: Path, host: str, port: int) -> int:
    """initdb (first time) and start; returns the postmaster's pid."""
    root.mkdir(parents=True, exist_ok=True)
    data = root / "data"
    run = _as_server_user
    if not (data / "PG_VERSION").exists():
        done = subprocess.run(run([str(bindir() / "initdb"), "-D", str(data), "-U", "vaxel",
                                   "-A", "trust", "-E", "UTF8", "--locale=C"]),
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise ProcessFailed(f"initdb failed: {done.stderr}")
    options = f"-p {port} -k {root} -c listen_addresses={host}"
    done = subprocess.run(run([str(bindir() / "pg_ctl"), "-D", str(data), "-o", options,
                               "-l", str(root / "postgres.log"), "-w", "-t", "30", "start"]),
                          capture_output=True, text=True)
    if done.returncode != 0:
        log = (root / "postgres.log").read_text(errors="replace")[-2000:]
        raise ProcessFailed(f"PostgreSQL did not start: {done.stderr}\n{log}")
    return int((data / "postmaster.pid").read_text().split()[0])


def stop(root: Path) -> None:
    subprocess.run(_as_server_user([str(bindir() / "pg_ctl"), "-D", str(root / "data"),
                                    "-m", "fast", "stop"]), capture_output=True)


def create_database(host: str, port: int, name: str) -> None:
    import psycopg

    with psycopg.connect(f"postgresql://vaxel@{host}:{port}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def remove_temp_root(root: Path) -> None:
    """Remove a data folder :func:`data_root` made in the temp folder (the demo city is
    seeded again by the next `up`); one inside the cluster folder is kept."""
    if root.name.startswith("vaxel-cluster-pg-") and root.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(root, ignore_errors=True)
