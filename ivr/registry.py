"""The flows a controller runs: the active set per entry number, and every version still in use.

Activating a new set of flows (start-up, a deploy picked up by
``ivr.deploy.watch_deployments``) swaps the entry map, the flows by name and the
announcements in one step each; versions that calls in progress started on stay
available by their hash, so such a call finishes on the version it started with.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from ivr.announcements import Announcement, text_now
from ivr.flow import Flow, parse_flow
from ivr.flowset import FlowSet, load_set

#: The flow that takes a number no flow claims when the directory knows it (an employee's
#: extension dialled directly); it finds the number in the variable ``DIRECT_VARIABLE``.
DIRECT_FLOW = "direct"
DIRECT_VARIABLE = "dialled"
#: The flow a phone number in the city's range takes when nobody in the directory has it.
MAIN_FLOW = "city-main"


class FlowRegistry:
    def __init__(self, flows: Mapping[str, Flow],
                 announcements: Mapping[str, Announcement] | None = None) -> None:
        self._by_entry: dict[str, Flow] = {}
        self._by_version: dict[str, Flow] = {}
        self.flows: dict[str, Flow] = {}
        self.announcements: Mapping[str, Announcement] = {}
        self.deployed: str | None = None
        """The deployed version id now active (None: loaded from a folder)."""
        self.activate(flows, announcements)

    @classmethod
    def from_folder(cls, folder: Path) -> FlowRegistry:
        return cls.from_set(load_set(folder))

    @classmethod
    def from_set(cls, flow_set: FlowSet) -> FlowRegistry:
        return cls(flow_set.flows, flow_set.announcements)

    def activate(self, flows: Mapping[str, Flow],
                 announcements: Mapping[str, Announcement] | None = None,
                 deployed: str | None = None) -> None:
        """Make ``flows`` the active set (checked already: loading raises on any problem)."""
        by_entry = {number: flow for flow in flows.values() for number in flow.entry_numbers}
        for flow in flows.values():
            self._by_version[flow.version] = flow
        self._by_entry = by_entry
        self.flows = dict(flows)
        self.announcements = dict(announcements or {})
        self.deployed = deployed

    def activate_set(self, flow_set: FlowSet, deployed: str | None = None) -> None:
        self.activate(flow_set.flows, flow_set.announcements, deployed)

    def for_entry(self, number: str) -> Flow | None:
        return self._by_entry.get(number)

    def direct_flow(self) -> Flow | None:
        """The active direct-call flow (``DIRECT_FLOW``), if the dialplans have one."""
        return self.flows.get(DIRECT_FLOW)

    def main_flow(self) -> Flow | None:
        """The active city flow (``MAIN_FLOW``): where an unknown direct number goes."""
        return self.flows.get(MAIN_FLOW)

    def by_version(self, version: str) -> Flow | None:
        return self._by_version.get(version)

    def by_name(self, name: str) -> Flow | None:
        """The active flow called ``name`` (for ``goto: {flow: ...}``)."""
        return self.flows.get(name)

    def announcement(self, name: str, now: datetime, language: str) -> str | None:
        """The text of an operational message if it is on now, else None."""
        return text_now(self.announcements, name, now, language)

    def add_version(self, source_text: str, source: str) -> Flow:
        flow = parse_flow(source_text, source)
        self._by_version[flow.version] = flow
        return flow

    def __repr__(self) -> str:
        deployed = f" deployed {self.deployed[:8]}" if self.deployed else ""
        return (f"<FlowRegistry {len(self.flows)} flows, {len(self._by_entry)} entry numbers"
                f"{deployed}>")
