"""Say texts made up during a call (absence notes, names): espeak-ng + sox into a cache folder.

The adapter behind ``ivr.session_ports.SpeechPort``. Each text is synthesised once per
language into ``<host_dir>/<lang>/say-<hash>.wav`` (the same tools and sound
format as ``ivr.prompts``) and played as ``<asterisk_dir>/<lang>/say-<hash>``:
the two folders are the same place seen by the controller and by Asterisk
(which may run in a chroot). Synthesis runs in a worker thread so the event loop
never waits on a subprocess.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from ivr.prompts import _synthesise


class EspeakSpeech:
    def __init__(self, host_dir: Path, asterisk_dir: str) -> None:
        self.host_dir = host_dir
        self.asterisk_dir = asterisk_dir.rstrip("/")

    @staticmethod
    def name_of(text: str, language: str) -> str:
        return "say-" + hashlib.sha256(f"{language}\0{text}".encode()).hexdigest()[:20]

    def _make(self, text: str, language: str) -> None:
        target = self.host_dir / language / f"{self.name_of(text, language)}.wav"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            _synthesise(language, text, target)

    async def speak(self, text: str, language: str) -> str:
        await asyncio.to_thread(self._make, text, language)
        return f"{self.asterisk_dir}/{language}/{self.name_of(text, language)}"
