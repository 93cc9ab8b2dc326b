"""The README's first command: `vaxel demo` brings the switchboard up and prints the demo call."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_demo_once_prints_a_trace_of_a_call_put_through_to_the_sip_phone(asterisk_root):
    out = subprocess.run([sys.executable, "-m", "vaxel", "demo", "--once"], capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    trace = [line for line in out.stdout.splitlines() if line.startswith("call 1 -> city-main:")]
    assert len(trace) == 1, out.stdout
    found = re.search(r"key:1 -> .* extension:4711 -> .* PJSIP/4711 answered after (\d+\.\d) s$",
                      trace[0])
    assert found, trace[0]
    # The SIP phone (SIPp, vaxel/sipp/demo_phone.xml) rings 2 s before it answers.
    assert 1.9 <= float(found.group(1)) < 10, trace[0]
