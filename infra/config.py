"""The controller's configuration: a TOML file plus ``VAXEL_<SECTION>_<KEY>`` environment overrides.

Every field has a default and a docstring. ``load_config`` checks the whole file
and reports every problem at once, each naming the file and the key
(``vaxel.toml: ami.port: expected an integer 1-65535, got 'abc'``); nothing is
started with a half-valid configuration. Secrets (the AMI secret, the Redis password)
come from the environment or from a file only its owner can read (mode 0600): a file
others can read that holds one is refused, naming the key.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.ami_settings import AmiConfig, check_ami_settings
from infra.cost_settings import SCALAR_KEYS as COST_SCALAR_KEYS
from infra.cost_settings import CostSettings, parse_cost_settings
from infra.paths import cache_dir, repo_root
from infra.redis_url import RedisUrlError, parse_redis_url, redacted
from infra.report_settings import ReportSettings, check_report_settings


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists every key at fault."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


@dataclass(frozen=True)
class FastAgiConfig:
    host: str = "127.0.0.1"
    """Address the FastAGI server binds to; FastAGI has no authentication, keep it on loopback."""
    port: int = 4573
    """TCP port of the FastAGI server (Asterisk's AGI(agi://host:port/...))."""
    allow: tuple[str, ...] = ("127.0.0.1",)
    """Asterisk hosts allowed to connect; others are closed at once."""
    max_calls: int = 0
    """IVR sessions this controller runs at once; a new call beyond them goes to the
    operators (the dialplan's fallback) at once. 0: no limit."""
    max_lag_ms: int = 1000
    """Event-loop lag (milliseconds) at which the controller counts as overloaded and sends
    new calls to the operators at once, until the lag stays under half for 2 s. 0: never."""


@dataclass(frozen=True)
class RedisConfig:
    url: str = "redis://127.0.0.1:6379/0"
    """Where call state lives, so that any controller can pick up any call: one Redis
    (``redis://[:password@]host:port/db``) or the master the Sentinels name
    (``redis+sentinel://[:password@]host:port,host:port,.../<master>/<db>``). It holds a
    password: set it with VAXEL_REDIS_URL, not in a file in the repository."""
    call_ttl_s: int = 4 * 3600
    """How long a call's state is kept after its last change."""
    max_connections: int = 64
    """Connections the controller's shared Redis pool opens at most; a command that finds
    them all busy waits for one (``pool_timeout_ms``) instead of failing at once."""
    pool_timeout_ms: int = 2000
    """Milliseconds a command waits for a free pooled connection before it fails (the call then
    takes the dialplan's fallback to the operators)."""


@dataclass(frozen=True)
class DirectoryConfig:
    url: str = ""
    """SQLAlchemy URL of the directory; empty means the demo SQLite file in the cache folder."""


@dataclass(frozen=True)
class PromptsConfig:
    asterisk_dir: str = ""
    """The prompts folder as Asterisk sees it (``<dir>/<lang>/<key>`` is played)."""
    host_dir: str = ""
    """The same folder as the controller sees it (differs when Asterisk runs in a chroot).
    Spoken texts (absence notes, names) are synthesised into ``<host_dir>/say`` and
    messages recorded into ``<dir>/messages``; empty disables both."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    """SMTP relay that mails employees their messages and callback requests."""
    port: int = 25
    """SMTP port of the relay."""
    sender: str = "vaxel@localhost"
    """From address of the switchboard's e-mails."""
    mail_domain: str = "localhost"
    """Employees' mail domain, for the city's address rule when the directory holds no
    address of their own: Anna Ekström -> anna.ekstrom@<mail_domain>; a unit's mailbox is
    <unit id>@<mail_domain>."""
    switchboard_address: str = ""
    """Where a message goes whose recipient the directory no longer knows (the
    switchboard's own mailbox); empty: the sender address."""
    deliver_every_s: int = 10
    """Seconds between the controller's rounds of mailing messages that are due (retries)."""
    timeout_s: int = 10
    """Seconds an SMTP connection and each command may take."""
    spool_dir: str = ""
    """Folder for messages taken while Redis was unreachable, moved into Redis by the
    delivery rounds once it answers; empty: ``message-spool`` in the Vaxel cache folder."""


@dataclass(frozen=True)
class GroupConfig:
    members: tuple[str, ...] = ()
    """Dial strings rung together (``PJSIP/1000``, ``Local/1000@sim-phones``)."""
    timeout: int = 30
    """Seconds the group rings before the flow goes on."""


@dataclass(frozen=True)
class QueueSettings:
    """One ACD queue (``[queues.<name>]``); see routing/README.md for the rule."""

    group: str = ""
    """The flow's ring group (``contact_center``, ``operators``) this queue replaces: a
    ``dial_group`` node of that group queues the caller. Empty: the queue's own name."""
    requirements: str = ""
    """Skills a call from the group needs, ``kind=value;kind=value`` (``lang=sv``)."""
    priority: int = 0
    """Priority (0-9, 9 first) of calls handed over from the group."""
    return_priority: int = 8
    """Priority (0-9) of a call that comes back to the operators (a supervised transfer
    nobody answered, a held or parked call): the operator who handled it gets it first if
    free, else the first operator free, before calls not yet answered. Only the queue that
    replaces the ``operators`` group uses it."""
    ring_timeout_s: int = 15
    """Seconds an agent's phone rings before the offer counts as missed."""
    wrap_up_s: int = 10
    """Seconds of wrap-up after each call before the agent gets the next."""
    max_misses: int = 3
    """Missed offers in a row after which the agent is paused ("missed calls")."""
    max_wait_s: int = 1800
    """Longest wait before the caller goes to the operators' fallback; 0: no limit."""
    callback_after_s: int = 300
    """Offer a callback after this many seconds of waiting; 0: never."""
    announce_every_s: int = 60
    """Seconds between announcements of position and estimated wait."""
    hold_s: int = 20
    """Seconds of music on hold between two looks of the holding context at the controller."""
    escalation: tuple[str, ...] = ()
    """Escalation steps ``"<after_s>:<kind>[=level],..."`` (``"0:topic=3,district"``,
    ``"30:topic"``, ``"90:"`` = any agent of the queue); the first starts at 0."""
    callback_dial: str = ""
    """Dial string for callbacks, ``{number}`` replaced by the caller's number
    (``PJSIP/{number}@trunk``); empty: callbacks are not offered."""
    service_level_s: int = 60
    """Service-level target: calls answered within this many seconds count as in target
    (`vaxel stats`)."""
    service_level_pct: int = 80
    """The share (percent) of calls that should be answered within ``service_level_s``."""


@dataclass(frozen=True)
class ConsoleConfig:
    """The web console (``vaxel console``)."""

    host: str = "127.0.0.1"
    """Address the console listens on; keep loopback and put a TLS proxy in front."""
    port: int = 8080
    secure_cookies: bool = False
    """Mark the session cookie Secure: set it when people reach the console over HTTPS."""
    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies whose X-Forwarded-For/-Proto headers are trusted (the TLS proxy's address)."""
    root_path: str = ""
    """The path prefix the proxy serves the console under (e.g. ``/vaxel``); empty: none."""


@dataclass(frozen=True)
class Config:
    fastagi: FastAgiConfig = field(default_factory=FastAgiConfig)
    ami: AmiConfig = field(default_factory=AmiConfig)
    redis: RedisConfig = field(default_factory=RedisConfig)
    directory: DirectoryConfig = field(default_factory=DirectoryConfig)
    prompts: PromptsConfig = field(default_factory=PromptsConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    dialplans: str = ""
    """Folder of flow files; empty means the repository's dialplans/."""
    groups: Mapping[str, GroupConfig] = field(default_factory=dict)
    """Ring groups the flows dial (``operators``, ``contact_center``)."""
    queues: Mapping[str, QueueSettings] = field(default_factory=dict)
    """ACD queues (``[queues.kontaktcenter]``); a queue naming a ring group replaces it."""
    costs: CostSettings = field(default_factory=CostSettings)
    """Prices and the pre-merge baseline for `vaxel costs` (see reports/costs.py)."""
    reports: ReportSettings = field(default_factory=ReportSettings)  # KPIs, retention, metrics
    log_format: str = "auto"
    """``json``, ``console`` or ``auto`` (console on a terminal, JSON otherwise)."""
    event_loop: str = "auto"
    """``uvloop``, ``asyncio`` or ``auto`` (uvloop when installed): the loop `vaxel serve`
    and `vaxel report record` run on (`infra.tasks.run`)."""

    @property
    def dialplans_dir(self) -> Path:
        return Path(self.dialplans) if self.dialplans else repo_root() / "dialplans"

    @property
    def directory_url(self) -> str:
        return self.directory.url or f"sqlite:///{cache_dir() / 'demo-directory.db'}"


EVENT_LOOPS = ("auto", "uvloop", "asyncio")

_SECTIONS = {"fastagi": FastAgiConfig, "ami": AmiConfig, "redis": RedisConfig,
             "directory": DirectoryConfig, "prompts": PromptsConfig, "smtp": SmtpConfig,
             "console": ConsoleConfig, "reports": ReportSettings}
_TOP = {"dialplans": str, "log_format": str, "event_loop": str}


def _coerce(value: Any, kind: Any, key: str, problems: list[str]) -> Any:
    """Check one value against a field type; strings from the environment are converted."""
    if kind == "int" or kind is int:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{key}: expected an integer, got {value!r}")
            return None
        if key.endswith("port") and not 0 <= value <= 65535:
            problems.append(f"{key}: expected a port 0-65535, got {value}")
        return value
    if kind == "bool" or kind is bool:
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no"):
            value = value.lower() in ("1", "true", "yes")
        if not isinstance(value, bool):
            problems.append(f"{key}: expected true or false, got {value!r}")
        return value
    if kind == "tuple[str, ...]":
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{key}: expected a list of strings, got {value!r}")
            return None
        return tuple(value)
    if not isinstance(value, str):
        problems.append(f"{key}: expected a string, got {value!r}")
    return value


def _section(cls: type, data: Any, name: str, env: Mapping[str, str], problems: list[str]) -> Any:
    if not isinstance(data, dict):
        problems.append(f"{name}: expected a table")
        data = {}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key in data:
        if key not in fields:
            problems.append(f"{name}.{key}: unknown key; known: {', '.join(fields)}")
    for fname, fdef in fields.items():
        found = _lookup(data, env, name, fname)
        if found is not None:
            values[fname] = _coerce(found[0], fdef.type, found[1], problems)
    return cls(**{k: v for k, v in values.items() if v is not None})


def _lookup(data: Mapping[str, Any], env: Mapping[str, str], section: str,
            key: str) -> tuple[Any, str] | None:
    """A key's raw value, the environment's ``VAXEL_<SECTION>_<KEY>`` first, and how to name
    it in an error; None when neither gives it."""
    env_key = f"VAXEL_{section.upper()}_{key.upper()}"
    if env_key in env:
        return env[env_key], f"{section}.{key} (from {env_key})"
    if key in data:
        return data[key], f"{section}.{key}"
    return None


def _costs(data: Any, env: Mapping[str, str], problems: list[str]) -> CostSettings:
    table = data if isinstance(data, dict) else {}
    given = {key: found for key in COST_SCALAR_KEYS
             if (found := _lookup(table, env, "costs", key)) is not None}
    return parse_cost_settings(data, given, problems)


def _groups(data: Any, problems: list[str]) -> dict[str, GroupConfig]:
    if not isinstance(data, dict):
        problems.append("groups: expected a table of ring groups")
        return {}
    groups = {}
    for name, raw in data.items():
        group = _section(GroupConfig, raw, f"groups.{name}", {}, problems)
        if not group.members:
            problems.append(f"groups.{name}.members: a ring group needs at least one member")
        groups[name] = group
    return groups


#: A check of one ``[queues.<name>]`` section by the rules of the part that runs queues:
#: ``(name, settings) -> problems``, each naming its key (`routing.control` passes its own).
QueueCheck = Callable[[str, QueueSettings], list[str]]


def _queues(data: Any, problems: list[str],
            check: QueueCheck | None) -> dict[str, QueueSettings]:
    if not isinstance(data, dict):
        problems.append("queues: expected a table of queues")
        return {}
    queues = {}
    for name, raw in data.items():
        settings = _section(QueueSettings, raw, f"queues.{name}", {}, problems)
        if check is not None:
            problems.extend(check(name, settings))
        queues[name] = settings
    return queues


def parse_config(
    data: Mapping[str, Any], source: str, env: Mapping[str, str] | None = None,
    *, queue_check: QueueCheck | None = None,
) -> Config:
    """Build a checked ``Config`` from parsed TOML and the environment (``queue_check``: the
    routing rules for queue sections; `routing.control.parse_config` passes them)."""
    env = os.environ if env is None else env
    problems: list[str] = []
    known = set(_SECTIONS) | set(_TOP) | {"groups", "queues", "costs"}
    for key in data:
        if key not in known:
            problems.append(f"{key}: unknown key; known: {', '.join(sorted(known))}")
    sections = {n: _section(c, data.get(n, {}), n, env, problems) for n, c in _SECTIONS.items()}
    top = {}
    for key in _TOP:
        env_key = f"VAXEL_{key.upper()}"
        raw = env.get(env_key, data.get(key))
        if raw is not None:
            top[key] = _coerce(raw, "str", key, problems)
    smtp = sections["smtp"]
    if not re.fullmatch(r"[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?", smtp.mail_domain or ""):
        problems.append(f"smtp.mail_domain: expected a mail domain such as stad.example, "
                        f"got {smtp.mail_domain!r}")
    for key in ("sender", "switchboard_address"):
        value = getattr(smtp, key)
        if value and not re.fullmatch(r"[^@\s]+@[^@\s]+", value):
            problems.append(f"smtp.{key}: expected an e-mail address, got {value!r}")
    for key in ("deliver_every_s", "timeout_s"):
        if isinstance(getattr(smtp, key), int) and getattr(smtp, key) < 1:
            problems.append(f"smtp.{key}: expected 1 or more seconds, got {getattr(smtp, key)}")
    try:
        parse_redis_url(sections["redis"].url)
    except RedisUrlError as exc:
        problems.append(f"redis.url: {exc}")
    groups = _groups(data.get("groups", {}), problems)
    queues = _queues(data.get("queues", {}), problems, queue_check)
    costs = _costs(data.get("costs", {}), env, problems)
    problems.extend(check_report_settings(sections["reports"]))
    problems.extend(check_ami_settings(sections["ami"]))
    if top.get("log_format", "auto") not in ("auto", "json", "console"):
        problems.append(f"log_format: expected auto, json or console, got {top['log_format']!r}")
    if top.get("event_loop", "auto") not in EVENT_LOOPS:
        problems.append(f"event_loop: expected auto, uvloop or asyncio, got "
                        f"{top['event_loop']!r}")
    if problems:
        raise ConfigError(source, problems)
    return Config(**sections, **top, groups=groups, queues=queues, costs=costs)


def load_config(path: Path | None, env: Mapping[str, str] | None = None,
                *, queue_check: QueueCheck | None = None) -> Config:
    """Read ``path`` (TOML; None means defaults only) and apply the environment."""
    if path is None:
        return parse_config({}, "defaults", env, queue_check=queue_check)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read: {exc.strerror}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from exc
    problems = secrets_in_open_file(data, path.stat().st_mode)
    if problems:
        raise ConfigError(str(path), problems)
    return parse_config(data, str(path), env, queue_check=queue_check)


def secrets_in_open_file(data: Mapping[str, Any], mode: int) -> list[str]:
    """Secrets may sit in a config file only when nobody but its owner can read it (mode
    0600); otherwise they belong in the environment. One problem per secret found."""
    if not mode & 0o077:
        return []
    found = []
    ami = data.get("ami")
    found += [f"ami.{key}" for key in ("secret", "peer_secrets")
              if isinstance(ami, dict) and ami.get(key)]
    redis = data.get("redis")
    if isinstance(redis, dict) and isinstance(redis.get("url"), str) \
            and redacted(redis["url"]) != redis["url"]:
        found.append("redis.url (its password)")
    return [f"{key}: a secret in a file others can read (mode {mode & 0o777:o}); set it in "
            f"the environment (VAXEL_<SECTION>_<KEY>) or make the file mode 0600"
            for key in found]
