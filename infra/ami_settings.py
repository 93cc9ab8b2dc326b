"""The ``[ami]`` section of the configuration: this controller's Asterisk, and in a cluster
the other Asterisk instances whose queued calls its ACD router controls (``peers``).

Checked with every problem named by its key; `infra.config` reads it like any other
section (``VAXEL_AMI_<KEY>`` overrides a key; the secrets should come from there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PEER = re.compile(r"([a-z0-9][a-z0-9_-]{0,39})=([A-Za-z0-9.:-]+):(\d{1,5})")


@dataclass(frozen=True)
class AmiPeer:
    """Another Asterisk instance of the cluster, as the ACD router reaches it."""

    name: str
    """Its ``systemname`` (what a queued call's ``node`` says)."""
    host: str
    port: int
    secret: str


@dataclass(frozen=True)
class AmiConfig:
    host: str = "127.0.0.1"
    """Asterisk's manager interface address."""
    port: int = 5038
    """Asterisk's manager interface port."""
    username: str = "vaxel"
    """The controller's own AMI user (least privilege, see asterisk-config/manager.conf.in),
    on this Asterisk and on every peer."""
    secret: str = ""
    """The AMI secret; set it with VAXEL_AMI_SECRET."""
    enabled: bool = True
    """Connect to AMI at all (the IVR works without it; routing needs it)."""
    peers: tuple[str, ...] = ()
    """The cluster's other Asterisk instances, ``name=host:port`` each (name: that
    instance's ``systemname``). The ACD router offers, moves and hangs up calls queued on
    them through their AMI. Empty: one Asterisk."""
    peer_secrets: tuple[str, ...] = ()
    """The AMI secret of each peer, in the order of ``peers``; set it with
    VAXEL_AMI_PEER_SECRETS (comma-separated), never in a file others can read."""

    def peer_nodes(self) -> list[AmiPeer]:
        """The peers, parsed (call `check_ami_settings` first)."""
        out = []
        for text, secret in zip(self.peers, self.peer_secrets, strict=True):
            match = _PEER.fullmatch(text)
            assert match is not None, text
            out.append(AmiPeer(match[1], match[2], int(match[3]), secret))
        return out


def check_ami_settings(ami: AmiConfig) -> list[str]:
    """Every problem of the peers, each naming its key."""
    problems = [f"ami.peers: expected name=host:port (name a systemname), got {text!r}"
                for text in ami.peers if not _PEER.fullmatch(text)]
    names = [text.split("=", 1)[0] for text in ami.peers]
    problems += [f"ami.peers: {name!r} is listed twice" for name in sorted(set(names))
                 if names.count(name) > 1]
    problems += [f"ami.peers: port {int(m[3])} of {m[1]!r} is not a port number"
                 for text in ami.peers if (m := _PEER.fullmatch(text))
                 and not 1 <= int(m[3]) <= 65535]
    if len(ami.peer_secrets) != len(ami.peers):
        problems.append(f"ami.peer_secrets: need one secret per peer ({len(ami.peers)}), got "
                        f"{len(ami.peer_secrets)} (set VAXEL_AMI_PEER_SECRETS)")
    return problems
