"""The ``[reports]`` section of the configuration: service-level targets of the call records'
KPIs, retention of the records (GDPR), and the controller's metrics endpoint. Checked with
every problem named by its key; `infra.config` reads it like any other section (each key can
be overridden as ``VAXEL_REPORTS_<KEY>``; the HMAC key should come from there)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportSettings:
    switchboard_queues: tuple[str, ...] = ("operators",)
    """Queues that are the switchboard (växeln); the others are the contact center."""
    switchboard_answer_s: int = 15
    """Switchboard service-level threshold: answered within this many seconds."""
    contact_center_answer_s: int = 300
    """Contact-center service-level threshold (5 minutes)."""
    direct_answer_s: int = 20
    """Service-level threshold of direct calls (put through by the IVR): the person
    dialled answered within this many seconds of ringing (about four rings)."""
    service_level_pct: int = 90
    """The share (percent) that should be answered within the threshold."""
    max_lost_pct: int = 10
    """At most this share (percent) of calls may be lost (abandoned)."""
    short_abandon_s: int = 5
    """Calls abandoned quicker than this are misdials: left out of the KPIs but counted."""
    pseudonymise_after_days: int = 90
    """Days after which callers' numbers in call records are replaced by an HMAC."""
    delete_after_days: int = 365
    """Days after which call records are deleted."""
    hmac_key: str = ""
    """Key of the HMAC of callers' numbers; set it with VAXEL_REPORTS_HMAC_KEY, never in a
    file in the repository. Without it, numbers are deleted instead of pseudonymised."""
    recorder: bool = True
    """Run the call recorder (and the daily purge) in the controller."""
    metrics_host: str = "127.0.0.1"
    """Address of the controller's and the console's /metrics and /healthz (loopback)."""
    metrics_port: int = 0
    """Port of the controller's /metrics and /healthz; 0: no endpoint."""
    console_metrics_port: int = 0
    """Port of the console's /metrics and /healthz (``vaxel console``); 0: no endpoint."""


def check_report_settings(s: ReportSettings) -> list[str]:
    """Problems of a ``[reports]`` section, each naming its key."""
    problems = []
    for key in ("service_level_pct", "max_lost_pct"):
        value = getattr(s, key)
        if isinstance(value, int) and not 0 <= value <= 100:
            problems.append(f"reports.{key}: expected a percentage 0-100, got {value}")
    for key in ("switchboard_answer_s", "contact_center_answer_s", "direct_answer_s",
                "pseudonymise_after_days",
                "delete_after_days"):
        value = getattr(s, key)
        if isinstance(value, int) and value < 1:
            problems.append(f"reports.{key}: expected 1 or more, got {value}")
    if isinstance(s.short_abandon_s, int) and s.short_abandon_s < 0:
        problems.append(f"reports.short_abandon_s: expected 0 or more, got {s.short_abandon_s}")
    if s.delete_after_days < s.pseudonymise_after_days:
        problems.append(f"reports.delete_after_days: {s.delete_after_days} is before "
                        f"reports.pseudonymise_after_days ({s.pseudonymise_after_days})")
    if s.metrics_host not in ("127.0.0.1", "::1", "localhost"):
        problems.append(f"reports.metrics_host: expected a loopback address, got "
                        f"{s.metrics_host!r}")
    return problems
