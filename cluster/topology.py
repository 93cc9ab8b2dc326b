"""The cluster's shape as a value: which process listens where, and with which secret.

Pure: a :class:`ClusterPlan` is built from ports the caller chose (the adapter asks the
OS for free ones) and secrets the caller made; nothing here opens a socket or reads the
clock. Every control plane (AMI, FastAGI, Redis, Sentinel, PostgreSQL) listens on
``bind`` (loopback on one machine); only Kamailio's SIP port faces callers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

#: Asterisk instances and controllers in the one-machine cluster.
ASTERISKS = 2
CONTROLLERS = 2
#: Sentinels watching the Redis master (a quorum of two out of three).
SENTINELS = 3
SENTINEL_QUORUM = 2
#: Sentinel's name of the Redis master the controllers ask for.
MASTER_NAME = "vaxel"
#: RTP ports per Asterisk instance on one machine.
RTP_PORTS = 200
#: Seconds between Kamailio's OPTIONS probes of each Asterisk (dispatcher ds_ping_interval).
PROBE_INTERVAL_S = 2
#: Milliseconds Kamailio waits for a first reply to an INVITE before trying the next
#: Asterisk (tm fr_timer).
INVITE_TIMEOUT_MS = 1500
#: Milliseconds without an answer after which a Sentinel calls the master down.
SENTINEL_DOWN_AFTER_MS = 1500
#: Dispatcher set (group) of the Asterisk instances.
DISPATCHER_SET = 1


class PlanError(ValueError):
    """A plan that cannot run: names the field at fault."""


@dataclass(frozen=True)
class AsteriskNode:
    name: str
    """Instance name (folder, logs)."""
    sip_port: int
    """PJSIP UDP port: Kamailio sends calls here and probes it with OPTIONS."""
    ami_port: int
    """AMI port; its controller logs in with the instance's least-privilege user."""
    rtp_start: int
    """First of the instance's RTP ports."""
    rtp_end: int
    """Last RTP port."""
    fastagi_port: int
    """Port of the controller its calls go to first."""
    fastagi_backup_port: int
    """Port of the other controller: new calls go there when the first refuses."""


@dataclass(frozen=True)
class ControllerNode:
    name: str
    """Controller name (folder, logs)."""
    fastagi_port: int
    """Its FastAGI listener."""
    asterisk: str
    """Name of the Asterisk instance whose AMI it logs in to."""


@dataclass(frozen=True)
class ClusterPlan:
    """Every process of the cluster, its ports and the shared secrets."""

    bind: str
    """Address every process listens on (127.0.0.1 on one machine)."""
    kamailio_port: int
    """The SIP entry (UDP) callers and trunks send INVITEs to."""
    redis_ports: tuple[int, int]
    """Redis master, then its replica (the Sentinels promote the replica)."""
    sentinel_ports: tuple[int, ...]
    """The three Sentinels."""
    postgres_port: int
    """PostgreSQL: the directory and the call records."""
    asterisks: tuple[AsteriskNode, ...]
    controllers: tuple[ControllerNode, ...]
    redis_password: str = field(repr=False)
    """Password of Redis and the Sentinels (requirepass / masterauth / auth-pass)."""
    ami_secrets: tuple[str, ...] = field(repr=False)
    """The controller AMI user's secret of each Asterisk instance, in order."""
    console_port: int = 0
    """The web console (``vaxel console``, HTTP on ``bind``); 0: none."""

    def redis_url(self, db: int = 0) -> str:
        """The controllers' Redis URL: through the Sentinels, never a fixed master."""
        hosts = ",".join(f"{self.bind}:{p}" for p in self.sentinel_ports)
        return f"redis+sentinel://:{self.redis_password}@{hosts}/{MASTER_NAME}/{db}"

    def postgres_url(self, database: str = "vaxel") -> str:
        return f"postgresql://vaxel@{self.bind}:{self.postgres_port}/{database}"

    def ports(self) -> dict[str, int]:
        """Every port by the name of what listens there (for status and checks)."""
        out = {"kamailio": self.kamailio_port, "redis-master": self.redis_ports[0],
               "redis-replica": self.redis_ports[1], "postgres": self.postgres_port}
        out.update({f"sentinel-{i + 1}": p for i, p in enumerate(self.sentinel_ports)})
        for a in self.asterisks:
            out[f"{a.name}-sip"] = a.sip_port
            out[f"{a.name}-ami"] = a.ami_port
        out.update({f"{c.name}-fastagi": c.fastagi_port for c in self.controllers})
        if self.console_port:
            out["console"] = self.console_port
        return out


def plan_cluster(ports: list[int], rtp_starts: list[int], redis_password: str,
                 ami_secrets: list[str], bind: str = "127.0.0.1") -> ClusterPlan:
    """Lay the cluster out on ``ports`` (taken in order; see :func:`ports_needed`) and
    ``rtp_starts`` (one per Asterisk). Raises PlanError naming what is wrong."""
    need = ports_needed()
    if len(ports) != need:
        raise PlanError(f"ports: need {need}, got {len(ports)}")
    if len(set(ports)) != need:
        raise PlanError(f"ports: each must differ, got {sorted(ports)}")
    if len(rtp_starts) != ASTERISKS or len(ami_secrets) != ASTERISKS:
        raise PlanError(f"rtp_starts and ami_secrets: need one per Asterisk ({ASTERISKS})")
    ranges = [range(start, start + RTP_PORTS) for start in rtp_starts]
    clashes = sorted({p for p in ports for r in ranges if p in r}
                     | {r.start for i, r in enumerate(ranges) for o in ranges[i + 1:]
                        if r.start < o.stop and o.start < r.stop})
    if clashes:
        raise PlanError(f"rtp_starts: the RTP ranges overlap a port or each other at {clashes}")
    if len(redis_password) < 16:
        raise PlanError("redis_password: at least 16 characters")
    it = iter(ports)
    kamailio = next(it)
    redis = (next(it), next(it))
    sentinels = tuple(next(it) for _ in range(SENTINELS))
    postgres = next(it)
    fastagi = [next(it) for _ in range(CONTROLLERS)]
    asterisks = tuple(
        AsteriskNode(f"asterisk-{i + 1}", sip_port=next(it), ami_port=next(it),
                     rtp_start=rtp_starts[i], rtp_end=rtp_starts[i] + RTP_PORTS - 1,
                     fastagi_port=fastagi[i % CONTROLLERS],
                     fastagi_backup_port=fastagi[(i + 1) % CONTROLLERS])
        for i in range(ASTERISKS))
    controllers = tuple(ControllerNode(f"controller-{i + 1}", fastagi[i], asterisks[i].name)
                        for i in range(CONTROLLERS))
    return ClusterPlan(bind, kamailio, redis, sentinels, postgres, asterisks, controllers,
                       redis_password=redis_password, ami_secrets=tuple(ami_secrets),
                       console_port=next(it))


def ports_needed() -> int:
    """Ports :func:`plan_cluster` takes: Kamailio, 2 Redis, the Sentinels, PostgreSQL,
    a FastAGI port per controller, SIP and AMI per Asterisk, the console."""
    return 1 + 2 + SENTINELS + 1 + CONTROLLERS + 2 * ASTERISKS + 1


def plan_to_json(plan: ClusterPlan) -> str:
    """The plan with its secrets: store it with mode 0600."""
    return json.dumps(asdict(plan), indent=2, sort_keys=True) + "\n"


def plan_from_json(text: str, source: str) -> ClusterPlan:
    try:
        raw: dict[str, Any] = json.loads(text)
        raw["redis_ports"] = tuple(raw["redis_ports"])
        raw["sentinel_ports"] = tuple(raw["sentinel_ports"])
        raw["ami_secrets"] = tuple(raw["ami_secrets"])
        raw["asterisks"] = tuple(AsteriskNode(**a) for a in raw["asterisks"])
        raw["controllers"] = tuple(ControllerNode(**c) for c in raw["controllers"])
        return ClusterPlan(**raw)
    except (ValueError, KeyError, TypeError) as exc:
        raise PlanError(f"{source}: not a cluster plan: {exc}") from exc
