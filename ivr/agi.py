"""Sans-IO AGI codec: bytes from Asterisk in, events out; commands in, bytes out.

`AgiConnection` owns the whole protocol state of one FastAGI session and does no I/O
(the h11 model): the adapter feeds it the bytes it read and writes the bytes it returns.
Invariants: the environment block comes first and exactly once; at most one command is
in flight (res_agi.c aborts a running STREAM FILE or GET DATA without a reply when a new
command arrives, so a second command would put replies out of step); every reply,
including the multi-line ``520-`` usage block, becomes exactly one `ReplyReceived`; the
bare ``HANGUP`` line may arrive between replies at any time and never counts as a reply.
Lines longer than `MAX_LINE_BYTES` or an environment longer than `MAX_ENVIRONMENT_LINES`
are protocol errors, so a peer cannot make us buffer without bound. The builders of
the commands themselves (``stream_file`` ...) are in `ivr.agi_commands`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: Longest line accepted from Asterisk, newline included. res_agi's own command buffer is
#: 2 KiB (AGI_BUF_LEN); replies carrying a variable's value can be longer, so be generous.
MAX_LINE_BYTES = 16 * 1024

#: Most ``agi_xxx:`` lines accepted in one environment block (about 20 plus the arguments).
MAX_ENVIRONMENT_LINES = 256

#: res_agi.c closes a multi-line usage reply with this line.
USAGE_END = "520 End of proper usage."

#: Result codes sent by res_agi.c (Asterisk 22).
CODE_TRYING = 100  # "100 result=0 Trying...": provisional, a final reply follows
CODE_OK = 200
CODE_INVALID_COMMAND = 510  # "510 Invalid or unknown command"
CODE_DEAD_CHANNEL = 511  # "511 Command Not Permitted on a dead channel or intercept routine"
CODE_USAGE = 520  # "520-..." usage block, or "520 ... Proper usage not available."

#: The keys a DTMF keypad can send (A-D exist on some phones).
DTMF_KEYS = "0123456789*#ABCD"

_REPLY_RE = re.compile(r"^(?P<code>\d{3}) result=(?P<result>\S*)(?P<rest>.*)$")
_DATA_RE = re.compile(r"^ \((?P<data>.*)\)(?P<tail>(?: \S+=\S*)*)$")
_DATA_LOOSE_RE = re.compile(r"^ \((?P<data>.*?)\)(?P<tail>.*)$")
_ENDPOS_RE = re.compile(r"(?:^| )endpos=(-?\d+)")
_ERROR_LINE_RE = re.compile(r"^(?P<code>[1-5]\d{2})(?P<sep>[ -])(?P<text>.*)$")


class AgiError(Exception):
    """Root of the AGI errors (codec and FastAGI adapter)."""


class AgiProtocolError(AgiError):
    """Asterisk (or whoever connected) sent something the AGI protocol does not allow."""

    def __init__(self, reason: str, received: bytes) -> None:
        super().__init__(f"AGI protocol error: {reason}; received {received[:200]!r}")
        self.reason = reason
        self.received = received


class AgiStateError(AgiError):
    """The caller of the codec broke its rules (a command while another is in flight...)."""


class AgiArgumentError(AgiError, ValueError):
    """A command argument cannot be sent (it contains a line break)."""


class State(enum.Enum):
    """Where the session is. Transitions live in `_TRANSITIONS`."""

    READING_ENVIRONMENT = "reading-environment"
    IDLE = "idle"
    AWAITING_REPLY = "awaiting-reply"
    READING_USAGE = "reading-usage"  # inside a "520-" block


class Input(enum.Enum):
    """What moved the state machine."""

    ENVIRONMENT_END = "environment-end"
    COMMAND_SENT = "command-sent"
    USAGE_STARTED = "usage-started"
    REPLY_COMPLETE = "reply-complete"


_TRANSITIONS: Mapping[tuple[State, Input], State] = {
    (State.READING_ENVIRONMENT, Input.ENVIRONMENT_END): State.IDLE,
    (State.IDLE, Input.COMMAND_SENT): State.AWAITING_REPLY,
    (State.AWAITING_REPLY, Input.USAGE_STARTED): State.READING_USAGE,
    (State.AWAITING_REPLY, Input.REPLY_COMPLETE): State.IDLE,
    (State.READING_USAGE, Input.REPLY_COMPLETE): State.IDLE,
}


@dataclass(frozen=True)
class AgiEnvironment:
    """The ``agi_xxx`` variables Asterisk sends when a session starts."""

    network_script: str
    """Path after the host in ``agi://host:port/<path>``, without any ``?query``."""
    channel: str
    uniqueid: str
    callerid: str
    calleridname: str
    dnid: str
    extension: str
    context: str
    language: str
    args: tuple[str, ...]
    """``agi_arg_1`` ... ``agi_arg_N`` in order (AGI(agi://h/script,a,b) gives a, b)."""
    raw: Mapping[str, str] = field(repr=False)
    """Every variable as received, key without the ``agi_`` prefix."""

    @classmethod
    def from_variables(cls, variables: Mapping[str, str]) -> AgiEnvironment:
        raw = MappingProxyType(dict(variables))
        script = raw.get("network_script", "").split("?", 1)[0]
        return cls(
            network_script=script,
            channel=raw.get("channel", ""),
            uniqueid=raw.get("uniqueid", ""),
            callerid=raw.get("callerid", ""),
            calleridname=raw.get("calleridname", ""),
            dnid=raw.get("dnid", ""),
            extension=raw.get("extension", ""),
            context=raw.get("context", ""),
            language=raw.get("language", ""),
            args=_numbered_args(raw),
            raw=raw,
        )


def _numbered_args(raw: Mapping[str, str]) -> tuple[str, ...]:
    numbered = {}
    for key, value in raw.items():
        suffix = key.removeprefix("arg_")
        if suffix != key and suffix.isdigit():
            numbered[int(suffix)] = value
    return tuple(numbered[n] for n in sorted(numbered))


@dataclass(frozen=True)
class AgiReply:
    """One final reply to one command."""

    code: int
    result: str
    """The text after ``result=`` ("" for error replies and for GET DATA without input)."""
    data: str | None
    """The text in parentheses after the result, if any (a variable's value, "timeout")."""
    timeout: bool
    endpos: int | None
    text: str
    """The reply as received after the code (all usage lines for a 520 block)."""

    @property
    def ok(self) -> bool:
        return self.code == CODE_OK

    @property
    def failed(self) -> bool:
        """The command failed or the channel hung up (``result=-1``; also a missing sound file)."""
        return self.result == "-1"

    @property
    def digits(self) -> str:
        """GET DATA's digits: the result string ("" when nothing was typed; -1 is failure)."""
        return "" if self.failed else self.result

    @property
    def key(self) -> str | None:
        """STREAM FILE / WAIT FOR DIGIT / GET OPTION: the key pressed (result is its ASCII code).

        `None` for 0 (no key) and for anything that is not a DTMF key.
        """
        try:
            code = int(self.result)
        except ValueError:
            return None
        key = chr(code) if 0 < code < 128 else ""
        return key if key and key in DTMF_KEYS else None


@dataclass(frozen=True)
class EnvironmentReceived:
    environment: AgiEnvironment


@dataclass(frozen=True)
class ReplyReceived:
    reply: AgiReply


@dataclass(frozen=True)
class HangupReceived:
    """The bare ``HANGUP`` line: control left this AGI (hang-up, or AMI Redirect/Bridge)."""


Event = EnvironmentReceived | ReplyReceived | HangupReceived


def parse_reply_line(line: str) -> AgiReply:
    """Parse a one-line reply (``200 result=...``, ``510 ...``); raises `ValueError`."""
    match = _REPLY_RE.match(line)
    if match is None:
        error = _ERROR_LINE_RE.match(line)
        if error is None or error["sep"] != " " or error["code"] == str(CODE_OK):
            raise ValueError(f"not an AGI reply line: {line!r}")
        return AgiReply(int(error["code"]), "", None, False, None, error["text"])
    rest = match["rest"]
    data_match = _DATA_RE.match(rest) or _DATA_LOOSE_RE.match(rest)
    data = data_match["data"] if data_match else None
    endpos = _ENDPOS_RE.search(data_match["tail"] if data_match else rest)
    return AgiReply(
        code=int(match["code"]),
        result=match["result"],
        data=data,
        timeout=data == "timeout",
        endpos=int(endpos.group(1)) if endpos else None,
        text=line[4:],
    )


@dataclass(frozen=True)
class AgiCommand:
    """One AGI command line; `encode()` gives the bytes to send."""

    name: str
    args: tuple[str, ...] = ()

    def encode(self) -> bytes:
        return format_command(self.name, *self.args)


def quote_argument(arg: str) -> str:
    """Quote for res_agi's parse_args(): quotes group words, a backslash escapes one char."""
    if "\n" in arg or "\r" in arg:
        raise AgiArgumentError(f"AGI argument contains a line break: {arg!r}")
    if arg and not any(c in arg for c in ' \t"\\'):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def format_command(name: str, *args: str) -> bytes:
    """``STREAM FILE`` + args -> ``b'STREAM FILE "welcome" ""\\n'``; empty args become ``""``."""
    if not name or "\n" in name or "\r" in name:
        raise AgiArgumentError(f"bad AGI command name: {name!r}")
    parts = [name, *(quote_argument(a) for a in args)]
    try:
        return (" ".join(parts) + "\n").encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AgiArgumentError(f"AGI command {name!r} has text UTF-8 cannot encode") from exc


class AgiConnection:
    """The protocol state of one AGI session (see the module docstring)."""

    def __init__(
        self, max_line_bytes: int = MAX_LINE_BYTES, max_env_lines: int = MAX_ENVIRONMENT_LINES
    ) -> None:
        self.state = State.READING_ENVIRONMENT
        self.hung_up = False
        self.environment: AgiEnvironment | None = None
        self._max_line = max_line_bytes
        self._max_env_lines = max_env_lines
        self._buffer = bytearray()
        self._env: dict[str, str] = {}
        self._usage: list[str] = []

    def __repr__(self) -> str:
        hung = ", hung up" if self.hung_up else ""
        return f"<AgiConnection {self.state.value}{hung}>"

    def _move(self, what: Input) -> None:
        try:
            self.state = _TRANSITIONS[(self.state, what)]
        except KeyError:
            raise AgiStateError(f"{what.value} not allowed in state {self.state.value}") from None

    def send(self, command: AgiCommand | bytes) -> bytes:
        """Mark `command` in flight and return its bytes; raises `AgiStateError` if busy."""
        data = command.encode() if isinstance(command, AgiCommand) else command
        if self.state is not State.IDLE:
            raise AgiStateError(
                f"cannot send {data!r} in state {self.state.value}: one command at a time"
            )
        self._move(Input.COMMAND_SENT)
        return data

    def feed(self, data: bytes) -> list[Event]:
        """Consume bytes received; return the complete events they finish."""
        self._buffer += data
        events: list[Event] = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > self._max_line:
                    raise AgiProtocolError("line too long", bytes(self._buffer))
                return events
            raw = bytes(self._buffer[: end + 1])
            del self._buffer[: end + 1]
            if len(raw) > self._max_line:
                raise AgiProtocolError("line too long", raw)
            event = self._line(raw)
            if event is not None:
                events.append(event)

    def _line(self, raw: bytes) -> Event | None:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if self.state is State.READING_ENVIRONMENT:
            return self._environment_line(line, raw)
        if self.state is State.READING_USAGE:
            return self._usage_line(line)
        # Between replies res_agi's run_agi() loop may write "HANGUP" once (unless the
        # channel variable AGISIGHUP=no); it is never written inside a reply.
        if line == "HANGUP":
            self.hung_up = True
            return HangupReceived()
        if self.state is State.IDLE:
            raise AgiProtocolError("data while no command is in flight", raw)
        return self._reply_line(line, raw)

    def _environment_line(self, line: str, raw: bytes) -> Event | None:
        if line == "":
            if not self._env:
                raise AgiProtocolError("empty environment", raw)
            self._move(Input.ENVIRONMENT_END)
            self.environment = AgiEnvironment.from_variables(self._env)
            return EnvironmentReceived(self.environment)
        key, sep, value = line.partition(": ")
        if not sep or not key.startswith("agi_"):
            raise AgiProtocolError("expected an 'agi_name: value' environment line", raw)
        if len(self._env) >= self._max_env_lines:
            raise AgiProtocolError("environment too long", raw)
        self._env[key.removeprefix("agi_")] = value
        return None

    def _reply_line(self, line: str, raw: bytes) -> Event | None:
        if line.startswith(f"{CODE_USAGE}-"):
            self._move(Input.USAGE_STARTED)
            self._usage = [line[4:]]
            return None
        try:
            reply = parse_reply_line(line)
        except ValueError:
            raise AgiProtocolError("expected a reply", raw) from None
        if reply.code == CODE_TRYING:
            return None
        self._move(Input.REPLY_COMPLETE)
        return ReplyReceived(reply)

    def _usage_line(self, line: str) -> Event | None:
        # Asterisk's async-AGI path has been seen to drop the newline before the end
        # marker, so accept it at the end of a usage line too.
        if not line.endswith(USAGE_END):
            self._usage.append(line)
            return None
        head = line.removesuffix(USAGE_END)
        if head:
            self._usage.append(head)
        self._move(Input.REPLY_COMPLETE)
        text = "\n".join(self._usage)
        self._usage = []
        return ReplyReceived(AgiReply(CODE_USAGE, "", None, False, None, text))
