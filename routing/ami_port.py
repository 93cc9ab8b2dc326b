"""What the router needs of an Asterisk instance's AMI (``infra.ami.AmiClient``), and the
records of its offers. Several instances: one `AmiPort` each, by name (``SYSTEMNAME``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

#: The ``Reason`` of an offer the router could not even start: no AMI connection to the
#: call's Asterisk (dead, restarting, or cut off). Not the agent's fault: no miss.
UNREACHABLE = "unreachable"


class AmiPort(Protocol):
    """What the service needs of ``infra.ami.AmiClient``."""

    async def originate(self, channel: str, *, context: str | None = None,
                        exten: str | None = None, priority: int = 1,
                        application: str | None = None, data: str = "",
                        variables: Mapping[str, str] | None = None,
                        channel_id: str | None = None, caller_id: str | None = None,
                        timeout: float = 30.0) -> Mapping[str, Any]: ...
    async def action(self, fields: Mapping[str, Any], timeout: float = 5.0,
                     as_list: bool | None = False) -> Any: ...
    async def core_show_channels(self, timeout: float = 10.0) -> list[dict[str, Any]]: ...
    def subscribe(self, predicate: Callable[[Mapping[str, Any]], bool]) -> Any: ...


@dataclass(frozen=True, slots=True)
class Offer:
    """An agent's phone ringing for a call: the leg's channel id, on the call's instance."""

    agent_id: str
    channel_id: str
    node: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of an offer's Originate (``response``: its OriginateResponse)."""

    call_id: str
    channel_id: str
    response: Mapping[str, Any]
    node: str = ""
