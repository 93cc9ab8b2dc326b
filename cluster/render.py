"""Configuration files of the cluster's processes, rendered from a :class:`ClusterPlan`.

Pure functions of the plan and folders: Kamailio (dispatcher in front of the Asterisk
instances, probing them with SIP OPTIONS every ``PROBE_INTERVAL_S``), the Redis master
and replica (AOF, ``appendfsync everysec``, a password), the Sentinels, and each
controller's TOML. Secrets never go into the controller TOML: the adapter hands them over
in the environment (``VAXEL_AMI_SECRET``, ``VAXEL_REDIS_URL``). Files with a password in
them (redis.conf, sentinel.conf) are written with mode 0600 by the adapter.
"""

from __future__ import annotations

from cluster.topology import (
    DISPATCHER_SET,
    INVITE_TIMEOUT_MS,
    MASTER_NAME,
    PROBE_INTERVAL_S,
    SENTINEL_DOWN_AFTER_MS,
    SENTINEL_QUORUM,
    ClusterPlan,
    ControllerNode,
)

#: Kamailio modules the entry proxy needs (all in Debian's `kamailio` package).
KAMAILIO_MODULES = ("kex", "corex", "tm", "tmx", "sl", "rr", "pv", "maxfwd", "textops",
                    "siputils", "xlog", "sanity", "dispatcher")

_KAMAILIO_ROUTES = """
request_route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    # In-dialog requests (ACK, BYE, re-INVITE) follow the Record-Route to the same Asterisk.
    if (has_totag()) {
        if (loose_route()) {
            t_relay();
            exit;
        }
        if (is_method("ACK")) {
            if (t_check_trans()) {
                t_relay();
            }
            exit;
        }
        sl_send_reply("404", "Not here");
        exit;
    }
    if (is_method("CANCEL")) {
        if (t_check_trans()) {
            t_relay();
        }
        exit;
    }
    if (is_method("OPTIONS") && $rU == $null) {
        sl_send_reply("200", "OK");
        exit;
    }
    t_check_trans();
    if (!is_method("INVITE")) {
        sl_send_reply("405", "Method Not Allowed");
        exit;
    }
    record_route();
    # Round robin over the Asterisk instances the OPTIONS probes find alive.
    if (!ds_select_dst("%(set)d", "4")) {
        xlog("L_WARN", "no Asterisk available for $ci\\n");
        sl_send_reply("503", "No Asterisk Available");
        exit;
    }
    t_on_failure("NEXT_ASTERISK");
    if (!t_relay()) {
        sl_reply_error();
    }
    exit;
}

# An Asterisk that does not answer an INVITE in fr_timer (or answers 5xx) is marked
# inactive until a probe finds it again, and the call goes to the next one.
failure_route[NEXT_ASTERISK] {
    if (t_is_canceled()) {
        exit;
    }
    if (t_branch_timeout() || t_check_status("5[0-9][0-9]")) {
        xlog("L_WARN", "Asterisk $du failed ($T_reply_code) for $ci; trying the next\\n");
        ds_mark_dst("ip");
        if (ds_next_dst()) {
            t_on_failure("NEXT_ASTERISK");
            t_relay();
            exit;
        }
    }
}

event_route[dispatcher:dst-down] {
    xlog("L_WARN", "dispatcher: $ru down\n");
}

event_route[dispatcher:dst-up] {
    xlog("L_WARN", "dispatcher: $ru up\n");
}
"""


def kamailio_cfg(plan: ClusterPlan, dispatcher_list: str) -> str:
    """kamailio.cfg of the SIP entry: stateless of calls, only ``tm`` transactions."""
    head = [
        "#!KAMAILIO",
        f"# Vaxel SIP entry on {plan.bind}:{plan.kamailio_port}: dispatcher over the "
        "Asterisk instances.",
        "debug=2", "log_stderror=yes", "children=2", "auto_aliases=no",
        f"listen=udp:{plan.bind}:{plan.kamailio_port}",
        f'alias="{plan.bind}:{plan.kamailio_port}"',
        *[f'loadmodule "{m}.so"' for m in KAMAILIO_MODULES],
        f'modparam("tm", "fr_timer", {INVITE_TIMEOUT_MS})',
        'modparam("tm", "fr_inv_timer", 120000)',
        f'modparam("dispatcher", "list_file", "{dispatcher_list}")',
        f'modparam("dispatcher", "ds_ping_interval", {PROBE_INTERVAL_S})',
        'modparam("dispatcher", "ds_ping_method", "OPTIONS")',
        f'modparam("dispatcher", "ds_ping_from", "sip:vaxel-entry@{plan.bind}")',
        'modparam("dispatcher", "flags", 2)',  # failover: ds_next_dst() after a failure
        'modparam("dispatcher", "ds_probing_mode", 1)',
        'modparam("dispatcher", "ds_probing_threshold", 1)',
        'modparam("dispatcher", "ds_inactive_threshold", 1)',
        'modparam("dispatcher", "ds_ping_reply_codes", "class=2")',
    ]
    return "\n".join(head) + "\n" + _KAMAILIO_ROUTES % {"set": DISPATCHER_SET}


def dispatcher_list(plan: ClusterPlan) -> str:
    """dispatcher.list: one line per Asterisk, ``setid destination flags priority attrs``."""
    lines = ["# setid destination flags priority attributes"]
    lines += [f"{DISPATCHER_SET} sip:{plan.bind}:{a.sip_port} 0 0 name={a.name}"
              for a in plan.asterisks]
    return "\n".join(lines) + "\n"


def redis_conf(plan: ClusterPlan, index: int, folder: str) -> str:
    """Redis master (index 0) or replica (1): AOF every second, password, loopback."""
    port = plan.redis_ports[index]
    lines = [
        f"bind {plan.bind}", f"port {port}", "protected-mode yes", "daemonize no",
        f"dir {folder}", f"logfile {folder}/redis.log",
        "appendonly yes", "appendfsync everysec", 'save ""',
        f"requirepass {plan.redis_password}", f"masterauth {plan.redis_password}",
    ]
    if index > 0:
        lines.append(f"replicaof {plan.bind} {plan.redis_ports[0]}")
    return "\n".join(lines) + "\n"


def sentinel_conf(plan: ClusterPlan, index: int, folder: str) -> str:
    """A Sentinel (it rewrites this file as it learns; the adapter writes it once)."""
    pw = plan.redis_password
    lines = [
        f"bind {plan.bind}", f"port {plan.sentinel_ports[index]}", "protected-mode yes",
        "daemonize no", f"dir {folder}", f"logfile {folder}/sentinel.log",
        f"requirepass {pw}", f"sentinel sentinel-pass {pw}",
        f"sentinel monitor {MASTER_NAME} {plan.bind} {plan.redis_ports[0]} {SENTINEL_QUORUM}",
        f"sentinel auth-pass {MASTER_NAME} {pw}",
        f"sentinel down-after-milliseconds {MASTER_NAME} {SENTINEL_DOWN_AFTER_MS}",
        f"sentinel failover-timeout {MASTER_NAME} 10000",
        f"sentinel parallel-syncs {MASTER_NAME} 1",
    ]
    return "\n".join(lines) + "\n"


#: The cluster's ACD queue: the city flow's contact-center choice queues the caller.
CLUSTER_QUEUE = ('group = "contact_center"', "ring_timeout_s = 10", "wrap_up_s = 3",
                 "hold_s = 20", "callback_after_s = 0")


def controller_toml(plan: ClusterPlan, node: ControllerNode, sounds_dir: str,
                    directory_url: str) -> str:
    """The controller's TOML, without secrets (they come from the environment). Its AMI
    is its own Asterisk's; the others are ``peers``, through which the ACD router (in
    whichever controller holds the lease) controls the calls queued on them."""
    asterisk = next(a for a in plan.asterisks if a.name == node.asterisk)
    peers = ", ".join(f'"{a.name}={plan.bind}:{a.ami_port}"' for a in plan.asterisks
                      if a.name != asterisk.name)
    return "\n".join([
        f"# Vaxel {node.name}: FastAGI for every Asterisk, AMI of {asterisk.name} (and of the "
        "others for the ACD).",
        "# The AMI secrets and the Redis URL (with its password) come from the environment.",
        "[fastagi]", f'host = "{plan.bind}"', f"port = {node.fastagi_port}",
        f'allow = ["{plan.bind}"]',
        "[ami]", f'host = "{plan.bind}"', f"port = {asterisk.ami_port}", 'username = "vaxel"',
        f"peers = [{peers}]",
        "[directory]", f'url = "{directory_url}"',
        "[prompts]", f'asterisk_dir = "{sounds_dir}"',
        "[groups.operators]", 'members = ["PJSIP/1000", "PJSIP/1001"]', "timeout = 20",
        "[groups.contact_center]", 'members = ["PJSIP/1000", "PJSIP/1001"]', "timeout = 20",
        "[queues.kontaktcenter]", *CLUSTER_QUEUE,
    ]) + "\n"


def console_toml(plan: ClusterPlan, controller_text: str) -> str:
    """The console's TOML: the first controller's (its Redis, AMI, queues, directory) and
    the console's own loopback port."""
    return controller_text + "\n".join([
        "[console]", f'host = "{plan.bind}"', f"port = {plan.console_port}"]) + "\n"


def controller_env(plan: ClusterPlan, node: ControllerNode) -> dict[str, str]:
    """The controller's secrets, handed over in its environment: its own Asterisk's AMI
    secret and, in the order of ``ami.peers``, the others'."""
    names = [a.name for a in plan.asterisks]
    index = names.index(node.asterisk)
    peers = [plan.ami_secrets[i] for i, name in enumerate(names) if i != index]
    return {"VAXEL_AMI_SECRET": plan.ami_secrets[index], "VAXEL_REDIS_URL": plan.redis_url(),
            "VAXEL_AMI_PEER_SECRETS": ",".join(peers)}
