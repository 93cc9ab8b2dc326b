"""The controller service: wires configuration, flows, directory, Redis, FastAGI and AMI.

No decisions here. Start-up checks everything before it listens (config, every
flow file, the ring groups the flows dial, Redis reachable, the directory
opens); a problem stops start-up with an error naming the place, and nothing is
left half-started. SIGTERM and SIGINT stop the service cleanly: the FastAGI
listener closes, running sessions get a bounded time to finish.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from infra.ami import AmiClient, AmiError
from infra.config import Config, ConfigError
from infra.redis_url import redacted
from infra.tasks import cancel_bounded
from ivr.callstore import RedisCallStore
from ivr.deploy import activate_current, watch_deployments
from ivr.dial_answers import record_dial_answers
from ivr.directory_port import DirectoryLookup
from ivr.fastagi import FastAgiServer
from ivr.flow import DialGroupNode
from ivr.idle_store import IdleRecorder, IdleStore
from ivr.load_watch import LoadWatch
from ivr.lookup_memo import LookupMemo
from ivr.overload import OverloadLimits
from ivr.registry import FlowRegistry
from ivr.run import Group
from ivr.session import run_session
from ivr.session_ports import SessionDeps
from ivr.speech import EspeakSpeech
from reports.metrics import ControllerMetrics
from reports.runtime import Reporting, start_reporting
from routing.reception import queue_setups
from routing.service import RoutingService
from switchboard.context_store import CallContextStore
from switchboard.context_store import DirectoryLookup as ContextLookup
from switchboard.ivr_messages import IvrMessages
from switchboard.message_store import (
    MessageDesk,
    MessageStore,
    SmtpMailer,
    deliver_forever,
    message_spool,
)
from switchboard.recorder import ContextRecorder
from switchboard.return_agi import serve_return

log = structlog.get_logger("vaxel.service")
#: Seconds a stopping controller waits for its message delivery round to end.
DELIVERY_STOP_S = 5.0
#: Seconds a stopping controller waits for each of its other background tasks to end.
TASK_STOP_S = 5.0
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _now() -> datetime:
    return datetime.now(STOCKHOLM)


def build_groups(config: Config, registry: FlowRegistry) -> dict[str, Group]:
    """Ring groups from the config; every group a flow names must be configured (a group
    named by a variable, such as a unit's ``${unit_group}``, is looked up per call)."""
    groups = {n: Group(n, "&".join(g.members), g.timeout) for n, g in config.groups.items()}
    missing = sorted(
        f"{flow.source}: node {name!r} dials group {node.group!r}"
        for flow in registry.flows.values()
        for name, node in flow.nodes.items()
        if isinstance(node, DialGroupNode) and node.group not in groups
        and "${" not in node.group
    )
    if missing:
        raise ConfigError("groups", [f"{m}, which is not in the configuration" for m in missing])
    return groups


def _wall_clock() -> datetime:
    """Messages are stamped with the real time (the flows' clock may be pinned in tests)."""
    return datetime.now(UTC)


def build_messages(config: Config, client: Any, directory: Any,
                   contexts: CallContextStore) -> IvrMessages:
    """The message desk (Redis first, then SMTP) and what the IVR hands messages to."""
    smtp = config.smtp
    desk = MessageDesk(MessageStore(client), SmtpMailer(smtp.host, smtp.port, smtp.timeout_s),
                       smtp.sender, spool=message_spool(config))
    host = Path(config.prompts.host_dir) / "messages" if config.prompts.host_dir else Path(".")
    return IvrMessages(desk, directory, contexts, ContextLookup(directory),
                       mail_domain=smtp.mail_domain,
                       switchboard_address=smtp.switchboard_address or smtp.sender,
                       recordings_dir=host, clock=_wall_clock)


def _speech_and_messages(config: Config, registry: FlowRegistry) -> dict[str, Any]:
    """Dynamic speech and message recording need the sounds folder on both sides of a chroot.

    Asterisk's RECORD FILE does not create folders: make each one a voicemail node names."""
    prompts = config.prompts
    if not (prompts.host_dir and prompts.asterisk_dir):
        return {}
    host = Path(prompts.host_dir)
    folders = {getattr(node, "folder", None) for flow in registry.flows.values()
               for node in flow.nodes.values()} - {None}
    for folder in ("", *sorted(str(f) for f in folders)):
        (host / "messages" / folder).mkdir(parents=True, exist_ok=True)
    asterisk_dir = prompts.asterisk_dir.rstrip("/")
    return {"speech": EspeakSpeech(host / "say", f"{asterisk_dir}/say"),
            "messages_dir": f"{asterisk_dir}/messages"}


@dataclass
class Controller:
    config: Config
    deps: SessionDeps
    server: FastAgiServer
    store: RedisCallStore
    ami: AmiClient | None = None
    ami_task: asyncio.Task[None] | None = None
    peers: dict[str, AmiClient] = field(default_factory=dict)
    """The cluster's other Asterisk instances' AMI (by systemname), for the ACD router."""
    peer_tasks: list[asyncio.Task[None]] = field(default_factory=list)
    deploy_task: asyncio.Task[None] | None = None
    routing: RoutingService | None = None
    recorder_task: asyncio.Task[None] | None = None
    contexts: CallContextStore | None = None
    idle: IdleStore | None = None
    idle_task: asyncio.Task[None] | None = None
    dial_task: asyncio.Task[None] | None = None
    delivery_task: asyncio.Task[None] | None = None
    load: LoadWatch = field(default_factory=lambda: LoadWatch(OverloadLimits()))
    load_task: asyncio.Task[None] | None = None
    reporting: Reporting | None = None
    metrics: ControllerMetrics = field(default_factory=ControllerMetrics)
    closing: bool = False

    async def handle(self, channel) -> None:  # type: ignore[no-untyped-def]
        env = channel.env
        with structlog.contextvars.bound_contextvars(call_id=env.uniqueid):
            if env.network_script == "hold":
                if self.routing is not None:
                    await self.routing.hold(channel, env.uniqueid,
                                            env.args[0] if env.args else "")
                else:
                    # No queue side configured: no agent will ever take the call from the
                    # holding context, so it goes to the operators now, not after 3 stints.
                    await channel.command("SET VARIABLE", "VAXEL_HOLD", "leave")
                return
            if env.network_script == "return":
                # A call coming back to the operator: queued for the operators, or not
                # (then the dialplan rings the operator's phone).
                await serve_return(channel, env.uniqueid, env.args[0] if env.args else "",
                                   self.routing)
                return
            if env.network_script == "agent" and self.routing is not None:
                await self.routing.agent_code(channel, env.args[0] if env.args else "",
                                              env.callerid)
                return
            if env.network_script == "inbound" and not self.load.offer():
                # Overloaded (logged once by LoadWatch): no command, so IVR_DONE stays
                # unset and the dialplan rings the operators now, not after a timeout.
                return
            try:
                with self.metrics.in_ivr():
                    run = await run_session(self.metrics.timed(channel), env.network_script,
                                            tuple(env.args), env.uniqueid, self.deps,
                                            caller=env.callerid)
            finally:
                if env.network_script == "inbound":
                    self.load.ended()
            if run is not None:
                log.info("ivr.session_end", path=" -> ".join(run.state.path))

    async def close(self) -> None:
        """Stop serving and end every background task; bounded, so a stop never hangs."""
        self.closing = True
        await self.server.close()
        if self.routing is not None:
            await self.routing.close()
        # The AMI connect task first: it starts the recorders, so cancel it and let it end
        # before cancelling what it may have started.
        await cancel_bounded([self.ami_task, self.deploy_task, self.load_task, *self.peer_tasks],
                             TASK_STOP_S)
        # The delivery round gets its own wait: one cut short leaves its message pending
        # (its lock expires), never half-saved, and nothing uses Redis once it is closed.
        await cancel_bounded([self.recorder_task, self.idle_task, self.dial_task,
                              self.delivery_task], DELIVERY_STOP_S)
        if self.reporting is not None:
            await self.reporting.close()
        if self.ami is not None:
            await self.ami.close()
        for peer in self.peers.values():
            await peer.close()
        await self.store.close()

    async def connect_ami(self) -> None:
        """Connect to AMI, waiting for Asterisk if it is not up yet; FastAGI serves meanwhile."""
        if self.ami is None:
            cfg = self.config.ami
            self.ami = AmiClient(cfg.host, cfg.port, cfg.username, cfg.secret,
                                 on_reconnect=self.ami_reconnected)
        try:
            await self.ami.connect(retry=True)
        except AmiError as exc:
            log.error("ami.unavailable", error=str(exc), key="ami")
            return
        await self.rebuild_state()
        if self.closing:
            return
        if self.contexts is not None:
            # Transfers' results and returns (switchboard contexts) follow the call.
            recorder = ContextRecorder(self.ami, self.contexts, clock=lambda: datetime.now(UTC))
            self.recorder_task = asyncio.create_task(recorder.run(), name="context-recorder")
        if self.idle is not None:
            # Call ends make answering-group members idle (longest_idle strategy).
            idle = IdleRecorder(self.ami, self.idle, clock=lambda: datetime.now(UTC))
            self.idle_task = asyncio.create_task(idle.run(), name="idle-recorder")
        # Answers of direct dials: the call records' ring time (reports/records.py).
        self.dial_task = asyncio.create_task(record_dial_answers(self.ami, self.store),
                                             name="dial-answers")
        if self.routing is not None:
            # The other instances' AMI connect in the background: an Asterisk that is down
            # delays only the calls queued on it.
            self.peer_tasks = [asyncio.create_task(_connect_peer(name, peer), name=f"ami-{name}")
                               for name, peer in self.peers.items()]
            await self.routing.start()

    async def ami_reconnected(self) -> None:
        self.metrics.reconnected("ami")
        await self.rebuild_state()
        if self.routing is not None:
            await self.routing.node_back("")

    async def peer_reconnected(self, name: str) -> None:
        """Another instance's AMI is back: the router settles the calls it parked there."""
        if self.routing is not None:
            await self.routing.node_back(name)

    async def rebuild_state(self) -> None:
        """After (re)connecting: learn which channels Asterisk has, to reconcile call state."""
        assert self.ami is not None
        channels = await self.ami.core_show_channels()
        log.info("ami.state_rebuilt", channels=len(channels))


async def _peer_back(controller: Callable[[], Controller], name: str) -> None:
    await controller().peer_reconnected(name)


async def _connect_peer(name: str, peer: AmiClient) -> None:
    try:
        await peer.connect(retry=True)
    except AmiError as exc:
        log.error("ami.peer_unavailable", node=name, error=str(exc))
        return
    log.info("ami.peer_connected", node=name)


async def start_controller(config: Config, clock: Callable[[], datetime] = _now,
                           reuse_port: bool = False) -> Controller:
    """Check everything, then start listening. Raises on any problem, with nothing left running.

    ``clock`` gives the time the flows' opening hours are checked against (tests pin it);
    ``reuse_port``: one of several worker processes on the same FastAGI port.
    """
    from directory.api import Directory
    from directory.read_cache import ReadCache

    registry = FlowRegistry.from_folder(config.dialplans_dir)
    groups = build_groups(config, registry)
    # Reads are remembered, so calls are still routed while the database is away.
    directory = ReadCache(await asyncio.to_thread(Directory.open, config.directory_url))
    store = RedisCallStore.from_url(config.redis.url, config.redis.call_ttl_s,
                                    config.redis.max_connections,
                                    config.redis.pool_timeout_ms / 1000)
    try:
        await store.client.ping()
    except Exception as exc:
        await store.close()
        problem = f"cannot reach Redis at {redacted(config.redis.url)}: {exc}"
        raise ConfigError("redis.url", [problem]) from exc
    ami: AmiClient | None = None
    routing: RoutingService | None = None
    peers: dict[str, AmiClient] = {}
    if config.ami.enabled and config.ami.secret:
        cfg = config.ami
        ami = AmiClient(cfg.host, cfg.port, cfg.username, cfg.secret,
                        on_reconnect=lambda: controller.ami_reconnected())
        if config.queues:
            peers = {p.name: AmiClient(p.host, p.port, cfg.username, p.secret,
                                       on_reconnect=partial(_peer_back, lambda: controller,
                                                            p.name))
                     for p in cfg.peer_nodes()}
            routing = RoutingService(config.redis.url, queue_setups(config.queues), ami,
                                     prompts_dir=config.prompts.asterisk_dir, nodes=peers)
    contexts = CallContextStore(store.client, ContextLookup(directory))
    idle = IdleStore(store.client)
    messages = build_messages(config, store.client, directory, contexts)
    # The call path's lookups from memory, dropped when the directory changes.
    lookups = LookupMemo(DirectoryLookup(directory), directory.change_mark)
    deps = SessionDeps(registry, groups, store, lookups,
                       config.prompts.asterisk_dir, clock, routing=routing, idle=idle,
                       contexts=contexts, messages=messages,
                       **_speech_and_messages(config, registry))
    controller: Controller
    server = FastAgiServer(lambda ch: controller.handle(ch), host=config.fastagi.host,
                           port=config.fastagi.port, allow=config.fastagi.allow,
                           reuse_port=reuse_port)
    controller = Controller(config, deps, server, store, ami, routing=routing, contexts=contexts,
                            idle=idle, load=LoadWatch(OverloadLimits(
                                config.fastagi.max_calls, config.fastagi.max_lag_ms)),
                            peers=peers)
    try:
        await server.start()
    except OSError as exc:
        await store.close()
        if routing is not None:
            await routing.close()
        raise ConfigError("fastagi.port", [f"cannot listen on {config.fastagi.host}:"
                                           f"{config.fastagi.port}: {exc.strerror}"]) from exc
    # Deployed dialplans (vaxel dialplan deploy) replace the folder's flows while running.
    await activate_current(registry, store.client)
    controller.deploy_task = asyncio.create_task(watch_deployments(registry, store.client),
                                                 name="dialplan-watch")
    controller.load_task = asyncio.create_task(controller.load.run(), name="load-watch")
    # Messages whose e-mail failed are mailed again from Redis, on any controller.
    controller.delivery_task = asyncio.create_task(
        deliver_forever(messages.desk, config.smtp.deliver_every_s, _wall_clock),
        name="message-delivery")
    # Call records and their retention (reports/): any controller may run them.
    controller.reporting = await start_reporting(
        config, store.client, directory, controller.metrics,
        lambda: controller.ami is not None and controller.ami.connected)
    if config.ami.enabled and config.ami.secret:
        controller.ami_task = asyncio.create_task(controller.connect_ami(), name="ami-connect")
    log.info("controller.started", fastagi=f"{config.fastagi.host}:{server.port}",
             flows=sorted(registry.flows), groups=sorted(groups))
    return controller


async def serve(config: Config, ready: asyncio.Event | None = None,
                clock: Callable[[], datetime] = _now, reuse_port: bool = False) -> None:
    """Run until SIGTERM/SIGINT."""
    controller = await start_controller(config, clock, reuse_port)
    # What was built at start lives as long as the process: the cyclic collector need not
    # walk it again (its full collections would pause every call in the IVR).
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        log.info("controller.stopping")
        await controller.close()
        log.info("controller.stopped")
