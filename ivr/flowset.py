"""A dialplans folder as one unit: its flows, announcements and known targets (pure parsing).

``parse_set`` checks every file of a set (name -> text, read from a folder or from
a deployed version in Redis) and reports the problems of all files at once; a
``FlowSet`` that exists has loaded without a problem. Deploys, the registry, the
linter and the simulator all start from one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ivr.announcements import Announcement, parse_announcements
from ivr.errors import FlowFileError, FlowProblem
from ivr.flow import ANNOUNCEMENTS_FILE, TARGETS_FILE, Flow, parse_flow_set, read_folder
from ivr.targets import Targets, parse_targets
from ivr.translations import translations


@dataclass(frozen=True)
class FlowSet:
    """Checked flows plus the side files of the same folder or version."""

    flows: Mapping[str, Flow]
    announcements: Mapping[str, Announcement] = field(default_factory=dict)
    targets: Targets | None = None
    """None when the set has no ``targets.yaml`` (then names outside the flows go unchecked)."""
    files: Mapping[str, str] = field(default_factory=dict)
    where: str = ""

    @property
    def digest(self) -> str:
        """A content hash of the whole set (file names and texts)."""
        h = hashlib.sha256()
        for name, text in sorted(self.files.items()):
            h.update(name.encode() + b"\0" + text.encode() + b"\0")
        return h.hexdigest()

    @property
    def translations(self) -> dict[str, dict[str, str]]:
        """language -> prompt key -> text of the translators' ``prompts/<lang>/`` files."""
        return translations(self.files)

    def __repr__(self) -> str:
        return (f"<FlowSet {self.where}: {len(self.flows)} flows, "
                f"{len(self.announcements)} announcements>")


def _source(where: str, name: str) -> str:
    return f"{where.rstrip('/')}/{name}" if where else name


def parse_set(files: Mapping[str, str], where: str) -> FlowSet:
    """Check all files of a set; raise one ``FlowFileError`` with every problem of every file."""
    problems: list[FlowProblem] = []
    flows: dict[str, Flow] = {}
    announcements: dict[str, Announcement] = {}
    targets: Targets | None = None
    try:
        flows = parse_flow_set(files, where)
    except FlowFileError as exc:
        problems.extend(exc.problems)
    if ANNOUNCEMENTS_FILE in files:
        try:
            announcements = parse_announcements(files[ANNOUNCEMENTS_FILE],
                                                _source(where, ANNOUNCEMENTS_FILE))
        except FlowFileError as exc:
            problems.extend(exc.problems)
    if TARGETS_FILE in files:
        try:
            targets = parse_targets(files[TARGETS_FILE], _source(where, TARGETS_FILE))
        except FlowFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise FlowFileError(where, problems)
    return FlowSet(flows, announcements, targets, dict(files), where)


def load_set(folder: Path) -> FlowSet:
    """Read and check a dialplans folder."""
    if not folder.is_dir():
        raise FlowFileError(str(folder), [FlowProblem(str(folder), None, None, "no such folder")])
    return parse_set(read_folder(folder), str(folder))
