"""Asterisk's refusals that mean the caller has gone become a 409 a person understands."""

from __future__ import annotations

import pytest

from console.calls import translated
from console.errors import CallGone, Conflict
from switchboard.errors import ActionFailed


@pytest.mark.parametrize("reason", ["No such channel", "Redirect failed, channel not up.",
                                    "channel is in no call"])
async def test_given_a_refusal_that_means_the_caller_left_then_call_gone(reason):
    with pytest.raises(CallGone, match="lagt på"):
        async with translated("c1"):
            raise ActionFailed("Redirect", "Local/4000@vaxel-inbound-1;2", reason)


async def test_given_another_refusal_then_a_conflict_naming_asterisk():
    with pytest.raises(Conflict, match="Asterisk refused"):
        async with translated("c1"):
            raise ActionFailed("Redirect", "PJSIP/1000-1", "Permission denied")
