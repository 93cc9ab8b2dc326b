"""`vaxel prompts build`: synthesise the flow files' prompt texts into sound files.

Wiring only: folders from the arguments or the defaults (`dialplans/` of the
checkout, the prompts cache folder, `dialplans/recordings/`), then
`collect_prompt_texts` and `build_prompts`. Problems in the texts or a failed
tool become a `UserError` (one message, exit 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from infra.errors import UserError
from infra.paths import prompts_dir, repo_root
from ivr.prompt_texts import PromptError, collect_prompt_texts
from ivr.prompts import build_prompts


def register(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    commands = parser.add_subparsers(dest="prompts_command", required=True, metavar="COMMAND")
    build = commands.add_parser(
        "build",
        help="synthesise prompts from the flow files; recordings with the same name win",
        description="Writes OUT/<lang>/<key>.wav (8 kHz mono) for every prompt text in "
        "DIALPLANS/*.yaml, from RECORDED/<lang>/<key>.wav when it exists, else with "
        "espeak-ng. Unchanged prompts are reused.",
    )
    build.add_argument("--dialplans", type=Path, help="flow files (default: dialplans/)")
    build.add_argument("--out", type=Path, help="where sound files go (default: the cache)")
    build.add_argument("--recorded", type=Path, help="recordings (default: dialplans/recordings/)")
    build.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    dialplans: Path = args.dialplans or repo_root() / "dialplans"
    out: Path = args.out or prompts_dir()
    recorded: Path = args.recorded or repo_root() / "dialplans" / "recordings"
    if not dialplans.is_dir():
        if args.dialplans is not None:
            raise UserError(f"--dialplans {dialplans}: no such folder")
        print(f"prompts: no flow files yet ({dialplans} does not exist); nothing to build")
        return 0
    try:
        texts = collect_prompt_texts(dialplans)
        count = sum(len(by_lang) for by_lang in texts.values())
        print(f"... prompts: {count} texts in {len(texts)} keys; building what changed",
              file=sys.stderr, flush=True)
        report = build_prompts(texts, out, recorded)
    except PromptError as exc:
        raise UserError(f"prompts:\n{exc}") from exc
    for name in report.unused_recordings:
        print(
            f"prompts: warning: recording {recorded / name}.wav has no prompt text", file=sys.stderr
        )
    print(f"prompts: {report} -> {out}")
    return 0
