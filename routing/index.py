"""Indexes that answer the `routing.matcher` questions without a linear scan.

`CallIndex` holds the waiting calls bucketed by *requirement signature* (queue plus
the sorted requirements in force). A freed agent only looks at the buckets whose
skill names are a subset of its own skills (enumerated, at most 2**`MAX_SUBSET_SKILLS`
subsets), checks levels once per bucket and compares the bucket heads: the cost
grows with the agent's skill count and the number of distinct signatures, not with
the number of waiting calls. `AgentPool` holds agents per queue and per (queue, skill)
so that a call looks only at agents having its rarest required skill.

Invariants: a call is in at most one bucket; its bucket key is its signature as of
the last `add`/`rekey` (the engine rekeys at every escalation step); heaps use lazy
deletion (an entry is live only while its token is the call's current token).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Collection, Iterable, Iterator
from functools import lru_cache

from routing.matcher import agent_rank, meets
from routing.model import Agent, Call, Requirement, requirements_at

#: Above this many relevant skills an agent's buckets are found by testing the queue's
#: bucket name sets instead of enumerating skill subsets (2**n grows too fast).
MAX_SUBSET_SKILLS = 10

BucketKey = tuple[str, tuple[Requirement, ...]]
_Entry = tuple[tuple[int, float, int], int, str]


@lru_cache(maxsize=4096)
def _subsets(names: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    return tuple(
        frozenset(combo)
        for size in range(len(names) + 1)
        for combo in itertools.combinations(names, size)
    )


class CallIndex:
    """Waiting calls by requirement signature; heads ordered by `Call.order_key`."""

    def __init__(self) -> None:
        self._heaps: dict[BucketKey, list[_Entry]] = {}
        self._live: dict[BucketKey, int] = {}
        self._by_names: dict[tuple[str, frozenset[str]], set[BucketKey]] = {}
        self._name_sets: dict[str, dict[frozenset[str], set[BucketKey]]] = {}
        self._skill_use: dict[str, int] = {}
        self._calls: dict[str, Call] = {}
        self._where: dict[str, BucketKey] = {}
        self._token: dict[str, int] = {}
        self._tokens = itertools.count()

    def __len__(self) -> int:
        return len(self._calls)

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._calls

    def calls(self) -> Iterator[Call]:
        return iter(self._calls.values())

    def buckets(self) -> int:
        return len(self._heaps)

    def add(self, call: Call, now: float) -> None:
        """Index a waiting call under its signature at `now` (replaces an older entry)."""
        if call.id in self._calls:
            self.remove(call.id)
        key = (call.queue, requirements_at(call, now))
        if key not in self._heaps:
            self._new_bucket(key)
        token = next(self._tokens)
        heapq.heappush(self._heaps[key], (call.order_key(), token, call.id))
        self._live[key] += 1
        self._calls[call.id] = call
        self._where[call.id] = key
        self._token[call.id] = token

    def remove(self, call_id: str) -> Call | None:
        call = self._calls.pop(call_id, None)
        if call is None:
            return None
        key = self._where.pop(call_id)
        del self._token[call_id]
        self._live[key] -= 1
        if self._live[key] == 0:
            self._drop_bucket(key)
        return call

    def rekey(self, call_id: str, now: float) -> None:
        """Move a call to its signature at `now` (after an escalation step)."""
        call = self._calls.get(call_id)
        if call is not None and self._where[call_id][1] != requirements_at(call, now):
            self.add(call, now)

    def best_for(self, agent: Agent) -> Call | None:
        """The waiting call `agent` should take (same answer as the linear scan)."""
        best: _Entry | None = None
        for key in self._keys_for(agent):
            if not meets(agent, key[1]):
                continue
            head = self._head(key)
            if head is not None and (best is None or head < best):
                best = head
        return None if best is None else self._calls[best[2]]

    def _keys_for(self, agent: Agent) -> Iterator[BucketKey]:
        """Buckets whose skill names are all among the agent's: by enumerating the
        agent's skill subsets or by testing the queue's name sets, whichever is fewer."""
        names = tuple(sorted(s for s in agent.skills if s in self._skill_use))
        owned = frozenset(names)
        for queue in agent.queues:
            name_sets = self._name_sets.get(queue, {})
            if len(names) > MAX_SUBSET_SKILLS or 2 ** len(names) > len(name_sets):
                for skill_names, keys in list(name_sets.items()):
                    if skill_names <= owned:
                        yield from keys
                continue
            for subset in _subsets(names):
                yield from self._by_names.get((queue, subset), ())

    def _head(self, key: BucketKey) -> _Entry | None:
        heap = self._heaps[key]
        while heap:
            entry = heap[0]
            if self._token.get(entry[2]) == entry[1]:
                return entry
            heapq.heappop(heap)
        return None

    def _new_bucket(self, key: BucketKey) -> None:
        queue, reqs = key
        self._heaps[key] = []
        self._live[key] = 0
        names = frozenset(r.skill for r in reqs)
        keys = self._by_names.setdefault((queue, names), set())
        keys.add(key)
        self._name_sets.setdefault(queue, {})[names] = keys
        for r in reqs:
            self._skill_use[r.skill] = self._skill_use.get(r.skill, 0) + 1

    def _drop_bucket(self, key: BucketKey) -> None:
        queue, reqs = key
        del self._heaps[key], self._live[key]
        names = frozenset(r.skill for r in reqs)
        self._by_names[(queue, names)].discard(key)
        if not self._by_names[(queue, names)]:
            del self._by_names[(queue, names)]
            del self._name_sets[queue][names]
        for r in reqs:
            self._skill_use[r.skill] -= 1
            if not self._skill_use[r.skill]:
                del self._skill_use[r.skill]


class AgentPool:
    """A set of agents (for example the available ones) indexed per queue and skill."""

    def __init__(self) -> None:
        self._agents: dict[str, Agent] = {}
        self._by_queue: dict[str, set[str]] = {}
        self._by_skill: dict[tuple[str, str], set[str]] = {}

    def __len__(self) -> int:
        return len(self._agents)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._agents

    def add(self, agent: Agent) -> None:
        self.discard(agent.id)
        self._agents[agent.id] = agent
        for queue in agent.queues:
            self._by_queue.setdefault(queue, set()).add(agent.id)
            for skill in agent.skills:
                self._by_skill.setdefault((queue, skill), set()).add(agent.id)

    def put(self, agent: Agent) -> None:
        """Add, or replace the stored state of an agent already in (same skills, queues)."""
        if agent.id in self._agents:
            self._agents[agent.id] = agent
        else:
            self.add(agent)

    def discard(self, agent_id: str) -> None:
        agent = self._agents.pop(agent_id, None)
        if agent is None:
            return
        for queue in agent.queues:
            self._by_queue[queue].discard(agent_id)
            for skill in agent.skills:
                self._by_skill[(queue, skill)].discard(agent_id)

    def count_in(self, queue: str) -> int:
        return len(self._by_queue.get(queue, ()))

    def candidates(self, queue: str, reqs: tuple[Requirement, ...]) -> Iterator[Agent]:
        """Agents of `queue` meeting `reqs`, found through the rarest required skill."""
        pools = [self._by_skill.get((queue, r.skill), set()) for r in reqs]
        ids = min(pools, key=len) if pools else self._by_queue.get(queue, set())
        agents = self._agents
        return (agents[i] for i in ids if meets(agents[i], reqs))

    def best_for(self, call: Call, now: float, exclude: Collection[str] = ()) -> Agent | None:
        """The agent to offer `call` to (same answer as `matcher.select_agent_for_call`)."""
        found: Iterable[Agent] = (
            a for a in self.candidates(call.queue, requirements_at(call, now))
            if a.id not in exclude
        )
        return min(found, key=lambda a: agent_rank(a, call), default=None)
