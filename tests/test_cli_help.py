"""Every option and argument of every `vaxel` command says what it is for (--help)."""

from __future__ import annotations

import argparse

from vaxel.cli import build_parser


def _walk(parser: argparse.ArgumentParser, prefix: tuple[str, ...]):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, (*prefix, name))
        elif not isinstance(action, argparse._HelpAction):
            yield prefix, action


def test_every_option_and_argument_has_help_text():
    missing = [f"{' '.join(prefix)} {'/'.join(a.option_strings) or a.dest}"
               for prefix, a in _walk(build_parser(), ("vaxel",))
               if not (a.help or "").strip() or a.help == argparse.SUPPRESS]
    assert missing == []


def test_the_walk_sees_the_commands():
    seen = {" ".join(prefix) for prefix, _ in _walk(build_parser(), ("vaxel",))}
    assert {"vaxel directory import", "vaxel dialplan draw", "vaxel operator transfer"} <= seen
