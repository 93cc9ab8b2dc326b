"""The IVR's errors: one tree, each naming the place it is about."""

from __future__ import annotations

from dataclasses import dataclass


class IvrError(Exception):
    """Base of every error the IVR raises on purpose."""


@dataclass(frozen=True)
class FlowProblem:
    """One problem in a flow file, with its place (line and column are 1-based)."""

    file: str
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class FlowFileError(IvrError):
    """A flow file (or folder of them) failed its checks; ``problems`` lists every one found."""

    def __init__(self, path: str, problems: list[FlowProblem]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s)\n{lines}")


class FlowRuntimeError(IvrError):
    """The interpreter got an event it cannot take in the state it is in (a bug, not a
    caller's mistake)."""

    def __init__(self, node: str, kind: str, event: object) -> None:
        super().__init__(f"node {node!r} ({kind}) cannot handle {event!r}")
        self.node = node
        self.event = event
