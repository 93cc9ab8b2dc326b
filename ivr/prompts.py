"""Prompt sound files: texts from the flow files, synthesised or recorded, as 8 kHz wav.

Flow files (`dialplans/*.yaml`) carry a top-level `prompts:` mapping of
`key -> {sv: text, en: text}`. `collect_prompt_texts` gathers them, and rejects,
all at once and each with file and line, a key that is not `[a-z0-9_-]+`, a text
that is not a string, a missing or unknown language, or one key with different
texts in two files. `build_prompts` writes `out/<lang>/<key>.wav` (8 kHz, mono,
16-bit signed PCM: what Asterisk's `format_wav` plays without transcoding): a
recording `recorded/<lang>/<key>.wav` wins and is converted with sox, otherwise
espeak-ng speaks the text and sox converts it. A manifest keeps a fingerprint of
each output's source (text and voice, or the recording's bytes), so an unchanged
prompt is reused and a changed one rebuilt. Every file is written to a temporary
name and renamed, so a player never sees half a file; a lock keeps two builds of
one folder apart. Deciding what to do (`plan_build`) is pure; the rest runs tools.
"""

from __future__ import annotations

import enum
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

import yaml

#: Languages a prompt must have, in the order callers choose them.
LANGUAGES: Final = ("sv", "en")
#: The espeak-ng voice per language.
VOICES: Final[Mapping[str, str]] = {"sv": "sv", "en": "en"}
#: The sox output options: 8 kHz mono 16-bit signed PCM wav.
SOX_FORMAT: Final = ("-t", "wav", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer")
#: Bump when synthesis or conversion changes, so that every prompt is rebuilt once.
FORMAT_VERSION: Final = 1
#: Longest a single espeak-ng or sox run may take, in seconds.
TOOL_TIMEOUT_S: Final = 60.0
#: How many prompts are synthesised at once.
MAX_WORKERS: Final = 8
MANIFEST_NAME: Final = ".manifest.json"
LOCK_NAME: Final = ".build.lock"
KEY_PATTERN: Final = re.compile(r"[a-z0-9_-]+")
_OUTPUT_NAME: Final = re.compile(rf"(?:{'|'.join(LANGUAGES)})/[a-z0-9_-]+")


class PromptError(Exception):
    """Base of the prompt errors; the message is ready for an operator."""


@dataclass(frozen=True)
class TextProblem:
    """One thing wrong with the prompt texts, with the file and line it was found at."""

    place: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.place}: prompts.{self.key}" if self.key else self.place
        return f"{where}: {self.message}"


class PromptTextError(PromptError):
    """The prompt texts cannot be used; lists every problem found."""

    def __init__(self, problems: list[TextProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(map(str, self.problems)))


class PromptBuildError(PromptError):
    """Some prompts could not be built; the others were built and stay valid."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = tuple(failures)
        super().__init__("\n".join(self.failures))


# --- collecting texts -----------------------------------------------------------------


def collect_prompt_texts(dialplans_dir: Path) -> dict[str, dict[str, str]]:
    """All prompt texts of the flow files in `dialplans_dir`: key -> language -> text."""
    texts: dict[str, dict[str, str]] = {}
    first_seen: dict[str, str] = {}
    problems: list[TextProblem] = []
    for path in sorted(dialplans_dir.glob("*.yaml")):
        for key, place, by_lang in _file_prompts(path, problems):
            if key not in texts:
                texts[key], first_seen[key] = by_lang, place
            elif texts[key] != by_lang:
                message = f"differs from the text at {first_seen[key]}"
                problems.append(TextProblem(place, key, message))
    if problems:
        raise PromptTextError(problems)
    return texts


def _file_prompts(
    path: Path, problems: list[TextProblem]
) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(key, file:line, texts) of one flow file's well-formed prompts; the rest to `problems`."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        reason = getattr(exc, "problem", None) or _one_line(exc)
        problems.append(TextProblem(place, "", f"cannot read the file: {reason}"))
        return
    prompts = _mapping_value(root, "prompts")
    if prompts is None or prompts.tag == "tag:yaml.org,2002:null":
        return  # no prompts, or an empty `prompts:`
    if not isinstance(prompts, yaml.MappingNode):
        problems.append(
            TextProblem(_place(path, prompts), "", "prompts: expected a mapping of keys")
        )
        return
    seen: set[str] = set()
    for key_node, value_node in prompts.value:
        key, place = str(key_node.value), _place(path, key_node)
        before = len(problems)
        if not KEY_PATTERN.fullmatch(key):
            problems.append(TextProblem(place, key, "a key may hold only a-z, 0-9, _ and -"))
        if key in seen:
            problems.append(TextProblem(place, key, "given twice in this file"))
        seen.add(key)
        by_lang, messages = _texts_of(value_node)
        problems.extend(TextProblem(place, key, message) for message in messages)
        if len(problems) == before:
            yield key, place, by_lang


def _texts_of(node: yaml.Node) -> tuple[dict[str, str], list[str]]:
    """The texts by language of one prompt, and what is wrong with them."""
    if not isinstance(node, yaml.MappingNode):
        return {}, [f"expected a mapping like {{sv: ..., en: ...}}, got {_node_kind(node)}"]
    by_lang: dict[str, str] = {}
    messages: list[str] = []
    for lang_node, text_node in node.value:
        lang = str(lang_node.value)
        if lang not in LANGUAGES:
            messages.append(f"unknown language '{lang}'; expected {', '.join(LANGUAGES)}")
        elif not _is_string(text_node) or not str(text_node.value).strip():
            messages.append(
                f"{lang}: the text must be a non-empty string, got {_node_kind(text_node)}"
            )
        else:
            by_lang[lang] = str(text_node.value).strip()
    given = {str(lang_node.value) for lang_node, _ in node.value}
    messages.extend(f"no '{lang}' text" for lang in LANGUAGES if lang not in given)
    return by_lang, messages


def _mapping_value(root: yaml.Node | None, name: str) -> yaml.Node | None:
    if not isinstance(root, yaml.MappingNode):
        return None  # the flow loader reports a file that is not a mapping
    return next((value for key, value in root.value if key.value == name), None)


def _is_string(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str"


def _node_kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return repr(node.value) if node.value else "nothing"
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


def _place(path: Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


# --- deciding what to build (pure) ----------------------------------------------------


class Source(enum.Enum):
    TEXT = "text"
    RECORDING = "recording"


class Step(enum.Enum):
    SYNTHESISE = "synthesise"
    CONVERT = "convert"
    REUSE = "reuse"


@dataclass(frozen=True)
class PromptJob:
    """What to do for one prompt in one language."""

    lang: str
    key: str
    source: Source
    step: Step
    text: str
    #: Identifies the source (text and voice, or the recording's bytes) for the manifest.
    fingerprint: str

    @property
    def name(self) -> str:
        return f"{self.lang}/{self.key}"


@dataclass(frozen=True)
class BuildPlan:
    jobs: tuple[PromptJob, ...]
    #: Outputs an earlier build made whose prompt no longer exists.
    stale: tuple[str, ...]
    #: Recordings that no prompt text asks for.
    unused_recordings: tuple[str, ...]


def text_fingerprint(lang: str, text: str) -> str:
    return _digest(json.dumps([FORMAT_VERSION, "espeak-ng", VOICES[lang], SOX_FORMAT, text]))


def recording_fingerprint(recording_digest: str) -> str:
    return _digest(json.dumps([FORMAT_VERSION, "recording", SOX_FORMAT, recording_digest]))


def plan_build(
    texts: Mapping[str, Mapping[str, str]],
    recordings: Mapping[str, str],
    manifest: Mapping[str, str],
    outputs: frozenset[str],
) -> BuildPlan:
    """Which prompts to synthesise, convert from a recording or reuse.

    `recordings` maps `lang/key` to a digest of the recording's bytes, `manifest`
    maps `lang/key` to the fingerprint an earlier build recorded, and `outputs`
    holds the `lang/key` names whose output file exists.
    """
    jobs: list[PromptJob] = []
    for key, by_lang in texts.items():
        for lang, text in by_lang.items():
            name = f"{lang}/{key}"
            if name in recordings:
                source, step = Source.RECORDING, Step.CONVERT
                fingerprint = recording_fingerprint(recordings[name])
            else:
                source, step = Source.TEXT, Step.SYNTHESISE
                fingerprint = text_fingerprint(lang, text)
            if name in outputs and manifest.get(name) == fingerprint:
                step = Step.REUSE
            jobs.append(PromptJob(lang, key, source, step, text, fingerprint))
    wanted = {job.name for job in jobs}
    return BuildPlan(
        tuple(jobs),
        tuple(sorted(set(manifest) - wanted)),
        tuple(sorted(set(recordings) - wanted)),
    )


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


def _validate(texts: Mapping[str, Mapping[str, str]]) -> None:
    problems: list[TextProblem] = []
    for key, by_lang in texts.items():
        if not KEY_PATTERN.fullmatch(key):
            problems.append(TextProblem("texts", key, "a key may hold only a-z, 0-9, _ and -"))
        for lang, text in by_lang.items():
            if lang not in LANGUAGES:
                problems.append(TextProblem("texts", key, f"unknown language '{lang}'"))
            elif not isinstance(text, str) or not text.strip():
                problems.append(TextProblem("texts", key, f"{lang}: empty or not a string"))
    if problems:
        raise PromptTextError(problems)


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
    _validate(texts)
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
        detail = _one_line(done.stderr.decode("utf-8", "replace")) or f"exit {done.returncode}"
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


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _one_line(error: object) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else ""
