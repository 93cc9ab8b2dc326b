"""The flows a controller runs: the active one per entry number, and every version still in use.

Activating a new set of flows (start-up, later a deploy) swaps the entry map in one
assignment; versions that calls in progress started on stay available by their
hash, so such a call finishes on the version it started with.
"""

from __future__ import annotations

from pathlib import Path

from ivr.flow import Flow, load_flows, parse_flow


class FlowRegistry:
    def __init__(self, flows: dict[str, Flow]) -> None:
        self._by_entry: dict[str, Flow] = {}
        self._by_version: dict[str, Flow] = {}
        self.activate(flows)

    @classmethod
    def from_folder(cls, folder: Path) -> FlowRegistry:
        return cls(load_flows(folder))

    def activate(self, flows: dict[str, Flow]) -> None:
        """Make ``flows`` the active set (checked already: ``load_flows`` raises on any problem)."""
        by_entry = {number: flow for flow in flows.values() for number in flow.entry_numbers}
        for flow in flows.values():
            self._by_version[flow.version] = flow
        self._by_entry = by_entry
        self.flows = dict(flows)

    def for_entry(self, number: str) -> Flow | None:
        return self._by_entry.get(number)

    def by_version(self, version: str) -> Flow | None:
        return self._by_version.get(version)

    def add_version(self, source_text: str, source: str) -> Flow:
        flow = parse_flow(source_text, source)
        self._by_version[flow.version] = flow
        return flow

    def __repr__(self) -> str:
        return f"<FlowRegistry {len(self.flows)} flows, {len(self._by_entry)} entry numbers>"
