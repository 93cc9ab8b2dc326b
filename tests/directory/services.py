"""Real services for directory tests: a throw-away PostgreSQL cluster on a free loopback port.

The cluster lives in a temp folder, listens on 127.0.0.1 only, and is stopped
and removed at the end. PostgreSQL refuses to run as root, so under root the
server programs run as the ``postgres`` user through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL server binaries, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@dataclass(frozen=True)
class PostgresServer:
    port: int
    user: str = "vaxel"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a PostgreSQL cluster for the duration of the block."""
    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found (Debian package postgresql)")
    root = Path(tempfile.mkdtemp(prefix="vaxel-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    server = PostgresServer(port)
    run = _as_server_user
    subprocess.run(
        run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                server.user,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    started = subprocess.run(
        run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "-t",
                "30",
                "start",
            ]
        ),
        capture_output=True,
        text=True,
    )
    if started.returncode != 0:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{log}")
    try:
        yield server
    finally:
        subprocess.run(
            run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {root}/slapd.pid
database mdb
maxsize 104857600
suffix "{suffix}"
rootdn "{admin}"
rootpw {password}
directory {root}/data
"""


@dataclass(frozen=True)
class SlapdServer:
    url: str
    suffix: str = "dc=city,dc=test"
    admin: str = "cn=admin,dc=city,dc=test"
    password: str = "test-only-secret"


def slapd_binary() -> Path | None:
    for candidate in ("/usr/sbin/slapd", shutil.which("slapd")):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


@contextmanager
def slapd_server() -> Iterator[SlapdServer]:
    """Start an OpenLDAP slapd with an empty ``dc=city,dc=test`` tree on a free loopback port."""
    binary = slapd_binary()
    if binary is None:
        raise RuntimeError("slapd not found (Debian packages slapd and ldap-utils)")
    root = Path(tempfile.mkdtemp(prefix="vaxel-slapd-"))
    (root / "data").mkdir()
    server = SlapdServer(url=f"ldap://127.0.0.1:{free_port()}")
    conf = root / "slapd.conf"
    conf.write_text(
        SLAPD_CONF.format(
            root=root, suffix=server.suffix, admin=server.admin, password=server.password
        )
    )
    process = subprocess.Popen(
        [str(binary), "-d", "0", "-f", str(conf), "-h", server.url + "/"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(server.url, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for_port(url: str, process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    import time

    host, port = url.removeprefix("ldap://").split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"slapd exited with {process.returncode}: {output}")
        with socket.socket() as sock:
            if sock.connect_ex((host, int(port))) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"slapd did not listen on {url} within {timeout} s")
