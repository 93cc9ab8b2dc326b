"""Asterisk for Vaxel: provisioning, config templates and running instances.

`provision()` finds or builds an Asterisk 22 (:mod:`.provision`); templates in
`asterisk-config/` are rendered by :mod:`.render`; :class:`AsteriskInstance`
(:mod:`.instance`) runs one Asterisk in its own folder with its own ports.
"""

from __future__ import annotations

from infra.asterisk.errors import (
    AsteriskError,
    InstanceError,
    PortInUse,
    ProvisionError,
    StartupFailed,
    TemplateError,
)
from infra.asterisk.instance import AsteriskInstance, InstanceStatus, load_instance
from infra.asterisk.params import InstanceParams, new_params
from infra.asterisk.provision import AsteriskRuntime, provision

__all__ = [
    "AsteriskError",
    "AsteriskInstance",
    "AsteriskRuntime",
    "InstanceError",
    "InstanceParams",
    "InstanceStatus",
    "PortInUse",
    "ProvisionError",
    "StartupFailed",
    "TemplateError",
    "load_instance",
    "new_params",
    "provision",
]
