"""LDAP / Active Directory sync: read person entries with ldap3, then import them fully.

The adapter reads every entry below ``base_dn`` matching ``search_filter`` (paged,
so large directories work), maps them purely (``ldap_map``) and hands them to
the shared importer with ``full=True``: people are matched by stable id,
changed people are updated, people no longer in LDAP are deactivated, and the
returned plan reports what changed. ldap3 errors become ``SyncFailed`` with
the cause kept; a bad entry stops the sync with ``ImportRejected`` naming its DN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ldap3
from ldap3.core.exceptions import LDAPException

from directory.changes import SyncPlan
from directory.errors import SyncFailed
from directory.importer import run_import
from directory.ldap_map import Entry, LdapMapping, entries_to_records
from directory.store import Directory

#: Entries per page of a paged search.
PAGE_SIZE = 500


@dataclass(frozen=True)
class LdapSettings:
    """Where and how to read people."""

    url: str
    """ldap:// or ldaps:// URL of the server."""
    base_dn: str
    bind_dn: str | None = None
    """None: anonymous bind."""
    password: str | None = field(default=None, repr=False)
    search_filter: str = "(objectClass=inetOrgPerson)"
    mapping: LdapMapping = field(default_factory=LdapMapping)
    timeout: int = 10
    """Seconds for connecting and for each operation (whole seconds: ldap3 2.9 packs the
    receive timeout as an integer and fails on a float)."""


def fetch_entries(settings: LdapSettings) -> list[Entry]:
    """Every matching entry as (DN, attributes)."""
    server = ldap3.Server(settings.url, connect_timeout=settings.timeout)
    try:
        with ldap3.Connection(
            server,
            user=settings.bind_dn,
            password=settings.password,
            auto_bind=True,
            receive_timeout=settings.timeout,
            read_only=True,
        ) as conn:
            found = conn.extend.standard.paged_search(
                settings.base_dn,
                settings.search_filter,
                attributes=settings.mapping.attributes(),
                paged_size=PAGE_SIZE,
                generator=True,
            )
            return [
                (e["dn"], _as_lists(e["attributes"]))
                for e in found
                if e.get("type") == "searchResEntry"
            ]
    except LDAPException as exc:
        raise SyncFailed(f"LDAP {settings.url} {settings.base_dn}: {exc}") from exc


def _as_lists(attributes: Mapping[str, Any]) -> dict[str, list[str]]:
    """ldap3 gives single-valued attributes as scalars and others as lists: make all lists."""
    return {
        name: [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
        for name, value in attributes.items()
        if value not in (None, [], ())
    }


def sync_ldap(
    d: Directory, settings: LdapSettings, *, dry_run: bool = False, actor: str = "ldap-sync",
    progress: Callable[[str], None] | None = None,
) -> SyncPlan:
    """Sync the directory with LDAP; returns the plan (applied unless ``dry_run``);
    ``progress`` hears each phase (fetch, check, apply)."""
    source = f"{settings.url}/{settings.base_dn}"
    if progress:
        progress(f"{source}: fetching the entries")
    batch = entries_to_records(fetch_entries(settings), settings.mapping, source)
    return run_import(d, batch, source, full=True, dry_run=dry_run, actor=actor,
                      progress=progress)
