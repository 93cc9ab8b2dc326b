"""Prompt sound files: texts from the flow files, synthesised or recorded, as 8 kHz wav.

`build_prompts` writes `out/<lang>/<key>.wav` (8 kHz, mono, 16-bit signed PCM:
what Asterisk's `format_wav` plays without transcoding): a recording
`recorded/<lang>/<key>.wav` wins and is converted with sox, otherwise espeak-ng
speaks the text and sox converts it. A manifest keeps a fingerprint of each
output's source (text and voice, or the recording's bytes), so an unchanged
prompt is reused and a changed one rebuilt. Every file is written to a temporary
name and renamed, so a player never sees half a file; a lock keeps two builds of
one folder apart. The texts are gathered and checked by `ivr.prompt_texts`;
deciding what to do is pure (`ivr.prompt_plan`); this module runs the tools.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ivr.prompt_plan import (
    FORMAT_VERSION,
    SOX_FORMAT,
    VOICES,
    BuildPlan,
    PromptJob,
    Source,
    Step,
    plan_build,
)
from ivr.prompt_texts import LANGUAGES, PromptError, one_line, validate_texts

#: Longest a single espeak-ng or sox run may take, in seconds.
TOOL_TIMEOUT_S: Final = 60.0
#: How many prompts are synthesised at once.
MAX_WORKERS: Final = 8
MANIFEST_NAME: Final = ".manifest.json"
LOCK_NAME: Final = ".build.lock"
_OUTPUT_NAME: Final = re.compile(rf"(?:{'|'.join(LANGUAGES)})/[a-z0-9_-]+")


class PromptBuildError(PromptError):
    """Some prompts could not be built; the others were built and stay valid."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = tuple(failures)
        super().__init__("\n".join(self.failures))


@dataclass(frozen=True)
class BuildReport:
    """What a build did, by `lang/key` name."""

    synthesised: tuple[str, ...]
    converted: tuple[str, ...]
    reused: tuple[str, ...]
    removed: tuple[str, ...]
    #: How many outputs come from a recording, built now or reused.
    recorded: int
    unused_recordings: tuple[str, ...]

    def __str__(self) -> str:
        total = len(self.synthesised) + len(self.converted) + len(self.reused)
        built = len(self.synthesised) + len(self.converted)
        return (
            f"{built} built ({len(self.synthesised)} synthesised, {len(self.converted)} "
            f"from recordings), {len(self.reused)} reused, {len(self.removed)} removed; "
            f"{self.recorded} of {total} prompts use a recording"
        )


# --- building (runs espeak-ng and sox) ------------------------------------------------


class _ToolFailed(Exception):
    pass


def build_prompts(
    texts: Mapping[str, Mapping[str, str]], out_dir: Path, recorded_dir: Path
) -> BuildReport:
    """Write `out_dir/<lang>/<key>.wav` for every text; a recording of the same name wins.

    Raises PromptTextError (nothing done) for bad keys or languages, and
    PromptBuildError after the build when some prompts failed; the others are
    built, and a failed one keeps its previous file and is retried next time.
    """
    validate_texts(texts)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir / LOCK_NAME):
        manifest = _read_manifest(out_dir / MANIFEST_NAME)
        outputs = frozenset(name for name in manifest if _output(out_dir, name).is_file())
        plan = plan_build(texts, scan_recordings(recorded_dir), manifest, outputs)
        work = [job for job in plan.jobs if job.step is not Step.REUSE]
        _check_tools(work)
        with ThreadPoolExecutor(MAX_WORKERS) as pool:
            errors = list(pool.map(lambda job: _run_job(job, out_dir, recorded_dir), work))
        for job, error in zip(work, errors, strict=True):
            if error is None:
                manifest[job.name] = job.fingerprint
            else:
                manifest.pop(job.name, None)  # retried next time
        for name in plan.stale:
            _output(out_dir, name).unlink(missing_ok=True)
            del manifest[name]
        _write_manifest(out_dir / MANIFEST_NAME, manifest)
    failures = [error for error in errors if error is not None]
    if failures:
        raise PromptBuildError(failures)
    return _report(plan)


def _report(plan: BuildPlan) -> BuildReport:
    def names(step: Step) -> tuple[str, ...]:
        return tuple(job.name for job in plan.jobs if job.step is step)

    return BuildReport(
        synthesised=names(Step.SYNTHESISE),
        converted=names(Step.CONVERT),
        reused=names(Step.REUSE),
        removed=plan.stale,
        recorded=sum(job.source is Source.RECORDING for job in plan.jobs),
        unused_recordings=plan.unused_recordings,
    )


def _run_job(job: PromptJob, out_dir: Path, recorded_dir: Path) -> str | None:
    """Build one prompt; the error message, or None when it worked."""
    target = _output(out_dir, job.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if job.step is Step.CONVERT:
            recording = _output(recorded_dir, job.name)
            try:
                _convert(recording, target)
            except _ToolFailed as exc:
                raise _ToolFailed(f"recording {recording}: {exc}") from exc
        else:
            _synthesise(job.lang, job.text, target)
    except _ToolFailed as exc:
        return f"prompt {job.name}: {exc}"
    return None


def _synthesise(lang: str, text: str, target: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="vaxel-tts-") as tmp:
        spoken = Path(tmp) / "spoken.wav"
        _run(["espeak-ng", "-v", VOICES[lang], "--stdin", "-w", str(spoken)], text)
        _convert(spoken, target)


def _convert(source: Path, target: Path) -> None:
    """sox `source` into `target` in the prompt format, through a temporary file and a rename."""
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        _run(["sox", str(source), *SOX_FORMAT, str(tmp)])
        tmp.chmod(0o644)  # Asterisk may run as another user
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _run(argv: list[str], stdin: str | None = None) -> None:
    try:
        done = subprocess.run(
            argv,
            input=None if stdin is None else stdin.encode("utf-8"),
            capture_output=True,
            timeout=TOOL_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError as exc:
        raise _ToolFailed(f"{argv[0]} is not installed (Debian package {argv[0]})") from exc
    except subprocess.TimeoutExpired as exc:
        raise _ToolFailed(f"{argv[0]} took longer than {TOOL_TIMEOUT_S:.0f} s") from exc
    if done.returncode != 0:
        detail = one_line(done.stderr.decode("utf-8", "replace")) or f"exit {done.returncode}"
        raise _ToolFailed(f"{argv[0]} failed: {detail}")


def _check_tools(work: list[PromptJob]) -> None:
    needed = {"sox"} if work else set()
    needed |= {"espeak-ng" for job in work if job.step is Step.SYNTHESISE}
    missing = sorted(tool for tool in needed if shutil.which(tool) is None)
    if missing:
        raise PromptBuildError(
            [
                f"{tool} is not installed (Debian package {tool}); nothing was built"
                for tool in missing
            ]
        )


def scan_recordings(recorded_dir: Path) -> dict[str, str]:
    """`lang/key` -> digest of the bytes, for every `recorded_dir/<lang>/<key>.wav`."""
    if not recorded_dir.is_dir():
        return {}
    return {
        f"{path.parent.name}/{path.stem}": hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(recorded_dir.glob("*/*.wav"))
        if path.is_file()
    }


def _output(base: Path, name: str) -> Path:
    return base / f"{name}.wav"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def _read_manifest(path: Path) -> dict[str, str]:
    """The fingerprints an earlier build wrote; empty when missing, unreadable or older."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        return {}
    prompts = data.get("prompts")
    if not isinstance(prompts, dict):
        return {}
    # Only well-formed names: stale outputs are deleted by name.
    return {
        name: str(value) for name, value in prompts.items() if _OUTPUT_NAME.fullmatch(str(name))
    }


def _write_manifest(path: Path, prompts: Mapping[str, str]) -> None:
    tmp = path.with_name(f"{path.name}.tmp")
    data = {"format": FORMAT_VERSION, "prompts": dict(sorted(prompts.items()))}
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
