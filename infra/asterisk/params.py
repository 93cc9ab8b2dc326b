"""What an Asterisk instance is made of: its parameters and the template values.

:class:`InstanceParams` is a frozen value with one docstring per field;
:func:`validate` reports every bad field at once, naming it; and
:func:`template_values` turns params plus the instance's folders (as Asterisk
sees them) into the values of the ``asterisk-config`` templates. All pure: no
files, no clock, no environment.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from infra.asterisk.errors import InstanceError
from infra.asterisk.render import Value

#: Demo SIP phones: 1000 and 1001 are operators, 4711 and 4712 employees.
DEMO_PHONES = ("1000", "1001", "4711", "4712")
#: The folders of an instance, each named after the asterisk.conf directory it backs.
FOLDERS = ("etc", "run", "spool", "log", "lib", "cache", "sounds", "moh")

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_SAFE = re.compile(r"[^\s;\\]+")  # no whitespace, comment or escape in config values
_MODULE = re.compile(r"[a-z0-9_]+\.so")


@dataclass(frozen=True)
class InstanceParams:
    """Everything that differs between two Asterisk instances on one host."""

    name: str
    """Instance name: folder name and label in logs (``[a-z0-9][a-z0-9_-]*``)."""
    ami_secret: str
    """Secret of the controller's AMI user."""
    phone_secrets: tuple[tuple[str, str], ...]
    """(extension, SIP password) of each demo phone in DEMO_PHONES."""
    ami_port: int = 5038
    """AMI TCP port on 127.0.0.1."""
    sip_port: int = 5060
    """PJSIP UDP port on 127.0.0.1."""
    rtp_start: int = 10000
    """First RTP port; instances on one host need disjoint ranges."""
    rtp_end: int = 10099
    """Last RTP port."""
    fastagi_host: str = "127.0.0.1"
    """Host of the controller's FastAGI server."""
    fastagi_port: int = 4573
    """Port of the controller's FastAGI server."""
    fastagi_backup_port: int = 0
    """Port of a second controller (same host) that a call tries when the first did not
    finish its IVR (connect refused, a failure, or it died mid-call); 0: none."""
    ami_user: str = "vaxel"
    """AMI user name of the controller."""
    fallback_dial: str = "PJSIP/1000&PJSIP/1001"
    """Dial string of the operators' group that takes calls when the controller can't."""
    fallback_timeout: int = 20
    """Seconds each fallback attempt rings."""
    fallback_attempts: int = 3
    """How many times the fallback rings the group before it gives up."""
    fallback_pause: int = 5
    """Seconds of music on hold between fallback attempts."""
    test_mode: bool = False
    """Adds the harness AMI user and the sim-phones / sim-caller contexts."""
    harness_user: str = "vaxel-harness"
    """AMI user of the test harness (test_mode only)."""
    harness_secret: str = field(default="", repr=False)
    """Secret of the harness AMI user (test_mode only)."""
    extra_modules: tuple[str, ...] = ()
    """Modules required on top of the standard list (``name.so``)."""
    phone_contacts: tuple[tuple[str, str], ...] = ()
    """(extension, SIP URI) of demo phones reachable without registering (the demo's SIPp phone)."""
    system_name: str = ""
    """asterisk.conf ``systemname`` (several instances sharing one Redis): Asterisk prefixes
    every Uniqueid with it, so call ids stay unique across instances, and the dialplan's
    ``${SYSTEMNAME}`` tells the ACD which instance a queued call is on. Empty: alone."""

    def __repr__(self) -> str:
        return (
            f"<InstanceParams {self.name}: ami {self.ami_port}, sip {self.sip_port}, "
            f"rtp {self.rtp_start}-{self.rtp_end}, fastagi {self.fastagi_host}:"
            f"{self.fastagi_port}{', test mode' if self.test_mode else ''}>"
        )


def new_params(name: str, **overrides: Any) -> InstanceParams:
    """Params with fresh random secrets; ``overrides`` set any other field."""
    base = InstanceParams(
        name=name,
        ami_secret=secrets.token_urlsafe(18),
        harness_secret=secrets.token_urlsafe(18),
        phone_secrets=tuple((ext, secrets.token_urlsafe(9)) for ext in DEMO_PHONES),
    )
    return replace(base, **overrides)


def validate(params: InstanceParams) -> None:
    """Raise InstanceError naming every field that is wrong."""
    problems = [p for p in _problems(params)]
    if problems:
        raise InstanceError(f"instance {params.name!r}: " + "; ".join(problems))


def _problems(p: InstanceParams) -> list[str]:
    out: list[str] = []
    if not _NAME.fullmatch(p.name):
        out.append(f"name {p.name!r} must match {_NAME.pattern}")
    for key in ("ami_port", "sip_port", "rtp_start", "rtp_end", "fastagi_port"):
        if not 1 <= getattr(p, key) <= 65535:
            out.append(f"{key} {getattr(p, key)} is not a port number")
    if not 0 <= p.fastagi_backup_port <= 65535:
        out.append(f"fastagi_backup_port {p.fastagi_backup_port} is not a port number or 0")
    if p.rtp_start >= p.rtp_end:
        out.append(f"rtp_start {p.rtp_start} must be below rtp_end {p.rtp_end}")
    for key in ("ami_secret", "ami_user", "fallback_dial", "fastagi_host", "harness_user"):
        if not _SAFE.fullmatch(getattr(p, key)):
            out.append(f"{key} must be non-empty, without spaces, ';' or '\\'")
    if p.test_mode and not _SAFE.fullmatch(p.harness_secret):
        out.append("harness_secret must be set in test mode, without spaces, ';' or '\\'")
    if sorted(ext for ext, _ in p.phone_secrets) != sorted(DEMO_PHONES):
        out.append(f"phone_secrets must give exactly the phones {', '.join(DEMO_PHONES)}")
    out += [f"phone_secrets[{e}] is unsafe" for e, s in p.phone_secrets if not _SAFE.fullmatch(s)]
    for key in ("fallback_timeout", "fallback_attempts", "fallback_pause"):
        if getattr(p, key) < 1:
            out.append(f"{key} must be at least 1")
    out += [f"extra_modules: {m!r} is not a module file name" for m in p.extra_modules
            if not _MODULE.fullmatch(m)]
    if p.system_name and not _NAME.fullmatch(p.system_name):
        out.append(f"system_name {p.system_name!r} must match {_NAME.pattern} or be empty")
    return out


def template_values(params: InstanceParams, folders: dict[str, str]) -> dict[str, Value]:
    """The asterisk-config template values; ``folders`` maps FOLDERS to Asterisk's view."""
    values: dict[str, Value] = {
        "instance_name": params.name,
        "ami_port": params.ami_port,
        "ami_user": params.ami_user,
        "ami_secret": params.ami_secret,
        "harness_user": params.harness_user,
        "harness_secret": params.harness_secret,
        "sip_port": params.sip_port,
        "rtp_start": params.rtp_start,
        "rtp_end": params.rtp_end,
        "fastagi_host": params.fastagi_host,
        "fastagi_port": params.fastagi_port,
        "fastagi_backup": params.fastagi_backup_port > 0,
        "fastagi_backup_port": params.fastagi_backup_port,
        "fallback_dial": params.fallback_dial,
        "fallback_timeout": params.fallback_timeout,
        "fallback_attempts": params.fallback_attempts,
        "fallback_pause": params.fallback_pause,
        "test_mode": params.test_mode,
        "extra_modules": "\n".join(f"require => {m}" for m in params.extra_modules),
        "system_name_line": (f"systemname = {params.system_name}" if params.system_name
                             else "; alone: no systemname (Uniqueids need no prefix)"),
    }
    values.update({f"phone_secret_{ext}": secret for ext, secret in params.phone_secrets})
    contacts = dict(params.phone_contacts)
    values.update({f"contact_{ext}": f"contact = {contacts[ext]}" if ext in contacts
                   else "; registers to be reachable" for ext in DEMO_PHONES})
    values.update({f"{key}_dir": folders[key] for key in FOLDERS if key != "sounds"})
    return values


def params_to_json(params: InstanceParams) -> str:
    """Serialise params (secrets included: store the file with mode 0600)."""
    return json.dumps(asdict(params), indent=2, sort_keys=True) + "\n"


def params_from_json(text: str, source: str) -> InstanceParams:
    """Read params written by params_to_json; errors name the file and key."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceError(f"{source}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    known = {f.name for f in fields(InstanceParams)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InstanceError(f"{source}: unknown keys {', '.join(unknown)}")
    raw["phone_secrets"] = tuple(tuple(pair) for pair in raw.get("phone_secrets", ()))
    raw["phone_contacts"] = tuple(tuple(pair) for pair in raw.get("phone_contacts", ()))
    raw["extra_modules"] = tuple(raw.get("extra_modules", ()))
    try:
        params = InstanceParams(**raw)
    except TypeError as exc:
        raise InstanceError(f"{source}: {exc}") from exc
    validate(params)
    return params
