"""Errors of the Asterisk part: one tree, each naming the place it happened.

``AsteriskError`` is the root so callers (the CLI, the controller's wiring) can
catch the whole part in one clause; each subclass carries what the user needs to
fix the problem (template file and line, port, module and its log lines).
"""

from __future__ import annotations

from collections.abc import Sequence


class AsteriskError(Exception):
    """Anything that went wrong provisioning, rendering or running Asterisk."""


class ProvisionError(AsteriskError):
    """The Asterisk root could not be built or no usable Asterisk was found."""


class TemplateError(AsteriskError):
    """A configuration template is malformed or its values don't match it."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class InstanceError(AsteriskError):
    """An Asterisk instance failed to start, stop or answer."""


class PortInUse(InstanceError):
    """A port the instance needs is already taken on 127.0.0.1."""

    def __init__(self, instance: str, role: str, port: int) -> None:
        self.instance, self.role, self.port = instance, role, port
        super().__init__(
            f"instance {instance}: {role} port 127.0.0.1:{port} is already in use"
        )


class StartupFailed(InstanceError):
    """Asterisk exited or never became ready; ``log_lines`` shows why."""

    def __init__(self, message: str, log_lines: Sequence[str]) -> None:
        self.log_lines = tuple(log_lines)
        shown = "\n  ".join(self.log_lines) if self.log_lines else "(no log output)"
        super().__init__(f"{message}\n  {shown}")
