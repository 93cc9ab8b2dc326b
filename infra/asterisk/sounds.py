"""Sounds Vaxel generates itself: the default music-on-hold tone.

The Debian root has no music-on-hold files, and an empty class makes
MusicOnHold() silent with a warning; a soft generated tone (8 kHz, 16-bit mono
WAV, Asterisk's native rate) keeps callers aware that they are still connected.
Pure: returns bytes.
"""

from __future__ import annotations

import io
import math
import struct
import wave

#: Sample rate of telephone audio and of Asterisk's wav format.
RATE = 8000


def hold_tone_wav(seconds: float = 4.0, volume: float = 0.15) -> bytes:
    """A gentle two-note chime followed by silence, as WAV bytes."""
    notes = ((523.25, 0.35), (659.25, 0.5))  # C5 then E5
    samples: list[int] = []
    for freq, length in notes:
        count = int(RATE * length)
        for i in range(count):
            fade = min(1.0, i / 400, (count - i) / 800)
            samples.append(int(32767 * volume * fade * math.sin(2 * math.pi * freq * i / RATE)))
    samples += [0] * max(0, int(RATE * seconds) - len(samples))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()
