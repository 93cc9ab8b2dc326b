"""Follow the event stream: agent changes made elsewhere become engine events.

People change agents through the store (the CLI, the console's Python API, feature
codes handled by any controller): `RoutingStore.login/logout/pause/unpause/
end_wrap_up`. Each writes one ``agent_state`` stream entry whose ``cause`` names the
event. `engine_event` turns such an entry into the engine event (pure); `follow`
reads the entries after a stream id, optionally blocking. Entries the engine itself
caused (offers, misses, call ends) have other causes and are skipped, so a controller
following the stream never feeds its own decisions back.

Starting: read `RoutingStore.last_event_id()`, then take the `routing.restore`
snapshot, then follow from that id. A change made between the two reads arrives
twice (in the snapshot and as an event); the engine refuses the repeat with
`IllegalTransition`, which the follower should log and skip.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from routing import messages as m
from routing.store import RoutingStore

#: Stream causes that a person (not an engine) brought about.
PERSON_CAUSES = frozenset({"AgentLoggedIn", "AgentLoggedOut", "AgentPaused", "AgentUnpaused",
                           "WrapUpEnded"})


def engine_event(fields: Mapping[str, str]) -> m.Event | None:
    """The engine event for one stream entry, or None if the engine caused it."""
    cause, agent_id = fields.get("cause"), fields.get("agent_id", "")
    if fields.get("kind") != "agent_state" or cause not in PERSON_CAUSES or not agent_id:
        return None
    if cause == "AgentLoggedIn":
        return m.AgentLoggedIn(agent_id, fields.get("employee_id", ""), fields.get("device", ""),
                               json.loads(fields.get("skills", "{}")),
                               frozenset(json.loads(fields.get("queues", "[]"))))
    if cause == "AgentPaused":
        return m.AgentPaused(agent_id, fields.get("reason", ""))
    simple: dict[str, type[m.AgentLoggedOut | m.AgentUnpaused | m.WrapUpEnded]] = {
        "AgentLoggedOut": m.AgentLoggedOut, "AgentUnpaused": m.AgentUnpaused,
        "WrapUpEnded": m.WrapUpEnded}
    return simple[cause](agent_id)


async def follow(store: RoutingStore, after: str, block_ms: int | None = None,
                 count: int = 1000) -> tuple[str, list[m.Event]]:
    """Engine events from stream entries after id `after`; returns the last id read."""
    entries = await store.events(after, count=count, block_ms=block_ms)
    last = entries[-1][0] if entries else after
    events = [e for _, fields in entries if (e := engine_event(fields)) is not None]
    return last, events
