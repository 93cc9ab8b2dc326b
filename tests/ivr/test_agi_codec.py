"""AGI codec: environment, replies, 520 blocks, HANGUP, quoting, one command in flight."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr import agi, agi_commands
from ivr.agi import (
    AgiCommand,
    AgiConnection,
    AgiProtocolError,
    AgiStateError,
    EnvironmentReceived,
    HangupReceived,
    ReplyReceived,
    State,
)

ENV = (
    b"agi_network: yes\n"
    b"agi_network_script: inbound?lang=sv\n"
    b"agi_request: agi://127.0.0.1:4573/inbound?lang=sv\n"
    b"agi_channel: PJSIP/trunk-00000001\n"
    b"agi_language: sv\n"
    b"agi_type: PJSIP\n"
    b"agi_uniqueid: 1732600000.17\n"
    b"agi_version: 22.10.1\n"
    b"agi_callerid: 0701234567\n"
    b"agi_calleridname: Anna Andersson\n"
    b"agi_dnid: 0812345\n"
    b"agi_context: inbound\n"
    b"agi_extension: 0812345\n"
    b"agi_priority: 2\n"
    b"agi_arg_1: city-main\n"
    b"agi_arg_2: \n"
    b"agi_arg_10: tenth\n"
    b"agi_arg_3: third arg\n"
    b"\n"
)

USAGE_BLOCK = (
    b"520-Invalid command syntax.  Proper usage follows:\n"
    b"Usage: GET DATA <file to be streamed> [timeout] [maxdigits]\n"
    b"Example return code: 200 result=1 (testvariable)\n"
    b"\n"
    b"520 End of proper usage.\n"
)


def feed_split(conn: AgiConnection, data: bytes, at: int) -> list[object]:
    return [*conn.feed(data[:at]), *conn.feed(data[at:])]


def connected() -> AgiConnection:
    conn = AgiConnection()
    conn.feed(ENV)
    return conn


@pytest.mark.parametrize("at", range(len(ENV) + 1))
def test_environment_split_anywhere_gives_one_event_with_fields(at: int) -> None:
    conn = AgiConnection()
    events = feed_split(conn, ENV, at)
    assert len(events) == 1
    assert isinstance(events[0], EnvironmentReceived)
    env = events[0].environment
    assert env.network_script == "inbound"
    assert env.channel == "PJSIP/trunk-00000001"
    assert env.uniqueid == "1732600000.17"
    assert (env.callerid, env.calleridname) == ("0701234567", "Anna Andersson")
    assert (env.dnid, env.extension, env.context, env.language) == (
        "0812345",
        "0812345",
        "inbound",
        "sv",
    )
    assert env.args == ("city-main", "", "third arg", "tenth")
    assert env.raw["priority"] == "2"
    assert conn.state is State.IDLE


def test_environment_byte_by_byte_then_reply_byte_by_byte() -> None:
    conn = AgiConnection()
    events = [e for b in ENV for e in conn.feed(bytes([b]))]
    assert [type(e) for e in events] == [EnvironmentReceived]
    conn.send(agi_commands.answer())
    reply_bytes = b"200 result=0\n"
    events = [e for b in reply_bytes for e in conn.feed(bytes([b]))]
    assert events == [ReplyReceived(agi.parse_reply_line("200 result=0"))]


def test_crlf_line_endings_are_tolerated() -> None:
    conn = AgiConnection()
    (event,) = conn.feed(ENV.replace(b"\n", b"\r\n"))
    assert isinstance(event, EnvironmentReceived)
    assert event.environment.channel == "PJSIP/trunk-00000001"


@pytest.mark.parametrize(
    ("line", "code", "result", "data", "timeout", "endpos"),
    [
        ("200 result=0", 200, "0", None, False, None),
        ("200 result=1 (Anna (dev) Andersson)", 200, "1", "Anna (dev) Andersson", False, None),
        ("200 result=123 (timeout)", 200, "123", "timeout", True, None),
        ("200 result= (timeout)", 200, "", "timeout", True, None),
        ("200 result=49 endpos=12000", 200, "49", None, False, 12000),
        ("200 result=0 (timeout) endpos=8000", 200, "0", "timeout", True, 8000),
        ("200 result=1 (digit) digit=5 endpos=160", 200, "1", "digit", False, 160),
        ("200 result=-1 endpos=0", 200, "-1", None, False, 0),
        ("200 result=-1 Gosub label not found", 200, "-1", None, False, None),
        ("503 result=-2 Memory allocation failure", 503, "-2", None, False, None),
        ("510 Invalid or unknown command", 510, "", None, False, None),
        (
            "511 Command Not Permitted on a dead channel or intercept routine",
            511,
            "",
            None,
            False,
            None,
        ),
        ("520 Invalid command syntax.  Proper usage not available.", 520, "", None, False, None),
    ],
)
def test_reply_lines_parse_into_their_parts(
    line: str, code: int, result: str, data: str | None, timeout: bool, endpos: int | None
) -> None:
    reply = agi.parse_reply_line(line)
    assert (reply.code, reply.result, reply.data, reply.timeout, reply.endpos) == (
        code,
        result,
        data,
        timeout,
        endpos,
    )
    assert reply.text == line[4:]


@pytest.mark.parametrize("line", ["200 nonsense", "hello", "20 result=1", "200-result=1", ""])
def test_lines_that_are_not_replies_are_rejected(line: str) -> None:
    with pytest.raises(ValueError, match="not an AGI reply"):
        agi.parse_reply_line(line)


@pytest.mark.parametrize(
    ("line", "digits", "key", "failed"),
    [
        ("200 result=4711", "4711", None, False),  # GET DATA digits; key is meaningless here
        ("200 result= (timeout)", "", None, False),
        ("200 result=-1", "", None, True),
        ("200 result=0 endpos=100", "0", None, False),
        ("200 result=35 endpos=100", "35", "#", False),
        ("200 result=49", "49", "1", False),
    ],
)
def test_reply_helpers_give_digits_key_and_failure(
    line: str, digits: str, key: str | None, failed: bool
) -> None:
    reply = agi.parse_reply_line(line)
    assert (reply.digits, reply.key, reply.failed) == (digits, key, failed)


@pytest.mark.parametrize("at", range(len(USAGE_BLOCK) + 1))
def test_usage_block_split_anywhere_is_one_reply_and_keeps_step(at: int) -> None:
    conn = connected()
    conn.send(agi_commands.get_data("x", 1, 1))
    events = feed_split(conn, USAGE_BLOCK, at)
    assert len(events) == 1
    assert isinstance(events[0], ReplyReceived)
    reply = events[0].reply
    assert reply.code == 520
    assert "200 result=1 (testvariable)" in reply.text  # a usage line, not a reply
    assert reply.text.startswith("Invalid command syntax.")
    assert conn.state is State.IDLE
    conn.send(agi_commands.get_variable("IVR_DONE"))
    assert conn.feed(b"200 result=1 (yes)\n") == [
        ReplyReceived(agi.parse_reply_line("200 result=1 (yes)"))
    ]


def test_usage_end_marker_glued_to_last_usage_line_still_ends_the_block() -> None:
    conn = connected()
    conn.send(agi_commands.get_data("x", 1, 1))
    events = conn.feed(b"520-Invalid.\nReturns the digits.520 End of proper usage.\n")
    assert len(events) == 1 and isinstance(events[0], ReplyReceived)
    assert events[0].reply.text == "Invalid.\nReturns the digits."
    assert conn.state is State.IDLE


INTERLEAVINGS = {
    "hangup before usage": (b"HANGUP\n" + USAGE_BLOCK, [HangupReceived, 520]),
    "usage then hangup": (USAGE_BLOCK + b"HANGUP\n", [520, HangupReceived]),
    "hangup then 511": (
        b"HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n",
        [HangupReceived, 511],
    ),
    "result -1 then hangup": (b"200 result=-1 endpos=1200\nHANGUP\n", [200, HangupReceived]),
}


@pytest.mark.parametrize("name", INTERLEAVINGS)
def test_hangup_interleaved_with_replies_never_counts_as_a_reply(name: str) -> None:
    data, expected = INTERLEAVINGS[name]
    for at in range(len(data) + 1):
        conn = connected()
        conn.send(agi_commands.stream_file("welcome"))
        events = feed_split(conn, data, at)
        kinds = [e.reply.code if isinstance(e, ReplyReceived) else type(e) for e in events]
        assert kinds == expected, f"split at {at}"
        assert conn.hung_up
        assert conn.state is State.IDLE


def test_after_hangup_the_next_command_gets_its_511() -> None:
    conn = connected()
    conn.send(agi_commands.answer())
    conn.feed(b"200 result=0\n")
    assert conn.feed(b"HANGUP\n") == [HangupReceived()]
    assert repr(conn) == "<AgiConnection idle, hung up>"
    conn.send(agi_commands.stream_file("menu"))
    (event,) = conn.feed(b"511 Command Not Permitted on a dead channel or intercept routine\n")
    assert isinstance(event, ReplyReceived) and event.reply.code == 511


def test_trying_line_is_provisional_and_the_final_reply_follows() -> None:
    conn = connected()
    conn.send(AgiCommand("RECORD FILE", ("msg", "wav", "#", "5000")))
    assert conn.feed(b"100 result=0 Trying...\n") == []
    assert conn.state is State.AWAITING_REPLY
    (event,) = conn.feed(b"200 result=0 (timeout) endpos=4000\n")
    assert isinstance(event, ReplyReceived) and event.reply.timeout


def test_second_command_while_one_is_in_flight_raises_naming_the_state() -> None:
    conn = connected()
    conn.send(agi_commands.stream_file("welcome", "123"))
    with pytest.raises(AgiStateError, match="awaiting-reply"):
        conn.send(agi_commands.answer())


def test_command_before_environment_raises() -> None:
    conn = AgiConnection()
    with pytest.raises(AgiStateError, match="reading-environment"):
        conn.send(agi_commands.answer())


def test_reply_without_command_is_a_protocol_error_naming_the_line() -> None:
    conn = connected()
    with pytest.raises(AgiProtocolError, match="no command is in flight") as info:
        conn.feed(b"200 result=0\n")
    assert info.value.received == b"200 result=0\n"


def test_garbage_reply_is_a_protocol_error() -> None:
    conn = connected()
    conn.send(agi_commands.answer())
    with pytest.raises(AgiProtocolError, match="expected a reply"):
        conn.feed(b"SSH-2.0-OpenSSH\n")


@pytest.mark.parametrize(
    "data",
    [b"GET / HTTP/1.1\n", b"agi_channel PJSIP/x\n", b"\n", b"channel: x\n"],
)
def test_garbage_environment_is_a_protocol_error(data: bytes) -> None:
    with pytest.raises(AgiProtocolError) as info:
        AgiConnection().feed(data)
    assert info.value.received == data


def test_endless_line_is_rejected_before_it_fills_memory() -> None:
    conn = AgiConnection(max_line_bytes=64)
    conn.feed(b"agi_channel: " + b"x" * 40)
    with pytest.raises(AgiProtocolError, match="line too long"):
        conn.feed(b"x" * 40)


def test_endless_environment_is_rejected() -> None:
    conn = AgiConnection(max_env_lines=3)
    with pytest.raises(AgiProtocolError, match="environment too long"):
        conn.feed(b"".join(b"agi_arg_%d: x\n" % n for n in range(4)))


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (agi_commands.stream_file("welcome"), b'STREAM FILE welcome ""\n'),
        (agi_commands.stream_file("vaxel/menu", "0129#"), b"STREAM FILE vaxel/menu 0129#\n"),
        (agi_commands.get_data("vaxel/ext", 5000, 4), b"GET DATA vaxel/ext 5000 4\n"),
        (agi_commands.wait_for_digit(3000), b"WAIT FOR DIGIT 3000\n"),
        (agi_commands.set_variable("IVR_DONE", "1"), b"SET VARIABLE IVR_DONE 1\n"),
        (agi_commands.get_variable("CHANNEL(language)"), b"GET VARIABLE CHANNEL(language)\n"),
        (agi_commands.exec_("Dial", "PJSIP/4711,30"), b"EXEC Dial PJSIP/4711,30\n"),
        (agi_commands.exec_("Answer"), b'EXEC Answer ""\n'),
        (agi_commands.verbose('say "hej" to C:\\x'), b'VERBOSE "say \\"hej\\" to C:\\\\x" 1\n'),
        (agi_commands.answer(), b"ANSWER\n"),
        (agi_commands.hangup(), b"HANGUP\n"),
    ],
)
def test_commands_format_with_quoting_and_required_empty_args(
    command: AgiCommand, expected: bytes
) -> None:
    assert command.encode() == expected


def test_arguments_with_line_breaks_are_refused() -> None:
    with pytest.raises(agi.AgiArgumentError, match="line break"):
        agi.format_command("VERBOSE", "a\nANSWER")


def test_arguments_utf8_cannot_encode_are_refused() -> None:
    with pytest.raises(agi.AgiArgumentError, match="UTF-8"):
        agi.format_command("VERBOSE", "\ud800")


def res_agi_parse_args(line: str) -> list[str]:
    """A port of parse_args() in Asterisk 22 res/res_agi.c, to check quoting against."""
    argv: list[str] = []
    quoted = escaped = False
    whitespace = True
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if quoted and whitespace:
                argv.append("")
                whitespace = False
        elif ch in " \t" and not quoted and not escaped:
            whitespace = True
        elif ch == "\\" and not escaped:
            escaped = True
            continue
        else:
            if whitespace:
                argv.append("")
                whitespace = False
            argv[-1] += ch
        escaped = False
    return argv


@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=("Cs",))
        ),
        max_size=5,
    )
)
def test_any_arguments_survive_asterisks_argument_parser(args: list[str]) -> None:
    line = agi.format_command("EXEC", *args).decode().rstrip("\n")
    assert res_agi_parse_args(line) == ["EXEC", *args]


def test_the_codec_imports_nothing_from_the_io_world() -> None:
    """The sans-IO rule: ivr.agi never touches sockets, the loop, the clock or files."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(agi.__file__).read_text())
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
    }
    assert imported <= {"__future__", "enum", "re", "collections", "dataclasses", "types"}
