"""assets/urgent.wav, the wall's new-urgent-case chime: two short tones (880 Hz, then 660 Hz), 16-bit
mono at 16 kHz, 0.7 s, faded in and out so it does not click. Generated here so the file in the
repository can be checked and rebuilt: ``python -m dashboard.screen.chime assets/urgent.wav``."""

from __future__ import annotations

import io
import math
import struct
import sys
import wave
from pathlib import Path

RATE = 16_000
TONES = ((880.0, 0.3), (0.0, 0.05), (660.0, 0.35))  # (Hz, seconds); 0 Hz = a pause
VOLUME = 0.6
FADE_S = 0.02


def samples() -> list[int]:
    out: list[int] = []
    for freq, seconds in TONES:
        n = int(RATE * seconds)
        fade = int(RATE * FADE_S)
        for i in range(n):
            env = min(1.0, i / fade, (n - 1 - i) / fade) if freq else 0.0
            out.append(int(32767 * VOLUME * env * math.sin(2 * math.pi * freq * i / RATE)))
    return out


def wav_bytes() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        data = samples()
        w.writeframes(struct.pack(f"<{len(data)}h", *data))
    return buf.getvalue()


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    Path(sys.argv[1] if len(sys.argv) > 1 else "assets/urgent.wav").write_bytes(wav_bytes())
