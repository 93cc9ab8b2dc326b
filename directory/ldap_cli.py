"""``vaxel directory sync``: sync people from LDAP / Active Directory.

The bind password is read from an environment variable whose name is given,
never from the command line (it would show in the process list and history).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from directory.ldap_map import LdapMapping
from directory.ldap_sync import LdapSettings, sync_ldap
from directory.store import Directory
from infra.errors import UserError

Command = Callable[..., argparse.ArgumentParser]


def register(sub: Any, command: Command) -> None:
    p = command(sub, "sync", "sync people from LDAP/AD / synka från LDAP", cmd_sync)
    p.add_argument("--ldap-url", required=True, help="ldap://host:port or ldaps://...")
    p.add_argument("--base-dn", required=True, help="where the people are, e.g. ou=people,dc=city")
    p.add_argument("--bind-dn", help="omit for an anonymous bind")
    p.add_argument(
        "--password-env",
        default="VAXEL_LDAP_PASSWORD",
        help="environment variable holding the bind password",
    )
    p.add_argument("--filter", default="(objectClass=inetOrgPerson)",
                   help="LDAP filter of the entries that are people")
    p.add_argument("--id-attribute", default=LdapMapping.id, help="stable id attribute")
    p.add_argument("--extension-attribute", default=LdapMapping.extension,
                   help=f"attribute with the extension (default {LdapMapping.extension})")
    p.add_argument("--unit-attribute", default=LdapMapping.unit_id,
                   help=f"attribute with the unit id (default {LdapMapping.unit_id})")
    p.add_argument("--listed-attribute", default=None, help="FALSE/nej there: unlisted")
    p.add_argument(
        "--direct-number-attribute", default=None, help="holds the direct number from outside"
    )
    p.add_argument(
        "--mail-attribute",
        default=LdapMapping.email,
        help="holds the e-mail address (default %(default)s; '' for none: the city's rule)",
    )
    p.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    p.add_argument("--actor", default="ldap-sync", help="who the history names")


def cmd_sync(args: argparse.Namespace, d: Directory) -> int:
    password = os.environ.get(args.password_env) if args.bind_dn else None
    if args.bind_dn and password is None:
        raise UserError(f"--bind-dn given but ${args.password_env} is not set")
    mapping = LdapMapping(
        id=args.id_attribute,
        extension=args.extension_attribute,
        unit_id=args.unit_attribute,
        listed=args.listed_attribute,
        direct_number=args.direct_number_attribute,
        email=args.mail_attribute or None,
    )
    settings = LdapSettings(
        url=args.ldap_url,
        base_dn=args.base_dn,
        bind_dn=args.bind_dn,
        password=password,
        search_filter=args.filter,
        mapping=mapping,
    )
    plan = sync_ldap(d, settings, dry_run=args.dry_run, actor=args.actor,
                     progress=lambda text: print(f"... {text}", file=sys.stderr, flush=True))
    for line in plan.lines():
        print(line)
    verb = "would change / skulle ändra" if args.dry_run else "synced / synkat"
    print(f"{verb}: {plan.summary()}")
    return 0
