"""Deciding what a prompt build does (pure): synthesise, convert a recording, or reuse.

`plan_build` takes the prompt texts, the digests of the recordings, the manifest
an earlier build wrote and the outputs that exist, and returns one job per
prompt and language: a recording `recorded/<lang>/<key>.wav` wins over the text,
and an output whose source fingerprint (text and voice, or the recording's
bytes, with the format) is unchanged is reused. Invariants: the same inputs give
the same plan; nothing here reads files, runs tools or reads the clock.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

#: The espeak-ng voice per language.
VOICES: Final[Mapping[str, str]] = {"sv": "sv", "en": "en", "fi": "fi"}
#: The sox output options: 8 kHz mono 16-bit signed PCM wav.
SOX_FORMAT: Final = ("-t", "wav", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer")
#: Bump when synthesis or conversion changes, so that every prompt is rebuilt once.
FORMAT_VERSION: Final = 1


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


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
