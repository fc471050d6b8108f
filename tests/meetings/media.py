"""Synthetic media that proves what arrived is what was sent: a video track whose frames carry
their number in luma blocks, and an audio track that is a 600 Hz tone; and the checks a
receiver runs on the frames it decodes.

Video: 320x240 (yuv420p), a grid of 4 x 8 blocks of 40 x 60 pixels; the first 16 blocks are
the frame number's bits (white is 1), the next 16 their complement, so a frame that decodes
to a number also passes a check no blurred, grey or green frame passes. Blocks that large
survive VP8 at any bitrate aiortc picks. Audio: 48 kHz mono, 20 ms frames, the tone has
exactly 12 periods per frame; a received frame is the tone when its energy is mostly at
600 Hz (Goertzel) and it is not near silence. Pure Python (no numpy): a few pixels per block,
one frequency per frame."""

from __future__ import annotations

import asyncio
import fractions
import math
import time
from array import array

from aiortc.mediastreams import MediaStreamError, VideoStreamTrack
from aiortc.mediastreams import MediaStreamTrack as _Track
from av import AudioFrame, VideoFrame

WIDTH, HEIGHT = 320, 240
COLS, ROWS = 8, 4
BLOCK_W, BLOCK_H = WIDTH // COLS, HEIGHT // ROWS
BITS = 16
DARK, LIGHT = 32, 224

RATE = 48000
SAMPLES = 960  # 20 ms
TONE_HZ = 600  # 12 periods per frame: every frame is the same
AMPLITUDE = 8000


def _luma(number: int) -> bytes:
    bits = [(number >> i) & 1 for i in range(BITS)]
    bits += [1 - b for b in bits]
    rows = []
    for r in range(ROWS):
        row = b"".join(
            bytes([LIGHT if bits[r * COLS + c] else DARK]) * BLOCK_W for c in range(COLS)
        )
        rows.append(row * BLOCK_H)
    return b"".join(rows)


_CHROMA = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)


class CounterVideoTrack(VideoStreamTrack):
    """30 frames a second, frame ``n`` showing ``n`` (mod 2**16) in its luma blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=WIDTH, height=HEIGHT, format="yuv420p")
        frame.planes[0].update(_luma(self.sent % (1 << BITS)))
        frame.planes[1].update(_CHROMA)
        frame.planes[2].update(_CHROMA)
        frame.pts = pts
        frame.time_base = time_base
        self.sent += 1
        return frame


def read_counter(frame: VideoFrame) -> int | None:
    """The number a received frame shows, or None when its blocks do not check out (or it is
    not a frame of ours)."""
    if frame.format.name != "yuv420p":
        frame = frame.reformat(format="yuv420p")
    if frame.width != WIDTH or frame.height != HEIGHT:
        frame = frame.reformat(width=WIDTH, height=HEIGHT)
    plane = frame.planes[0]
    data, stride = bytes(plane), plane.line_size
    bits = []
    for r in range(ROWS):
        for c in range(COLS):
            y0, x0 = r * BLOCK_H + BLOCK_H // 4, c * BLOCK_W + BLOCK_W // 4
            total = 0
            for dy in (0, BLOCK_H // 4, BLOCK_H // 2):
                for dx in (0, BLOCK_W // 4, BLOCK_W // 2):
                    total += data[(y0 + dy) * stride + x0 + dx]
            mean = total / 9
            if abs(mean - 128) < 48:
                return None  # neither dark nor light: not ours, or smeared
            bits.append(1 if mean > 128 else 0)
    if any(bits[i] == bits[i + BITS] for i in range(BITS)):
        return None
    return sum(b << i for i, b in enumerate(bits[:BITS]))


_TONE = array(
    "h", (round(AMPLITUDE * math.sin(2 * math.pi * TONE_HZ * i / RATE)) for i in range(SAMPLES))
).tobytes()


class ToneAudioTrack(_Track):
    """A 600 Hz tone, 48 kHz mono, in 20 ms frames on the clock."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._start = 0.0
        self._timestamp = -1

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._timestamp < 0:
            self._start, self._timestamp = time.time(), 0
        else:
            self._timestamp += SAMPLES
            await asyncio.sleep(self._start + self._timestamp / RATE - time.time())
        frame = AudioFrame(format="s16", layout="mono", samples=SAMPLES)
        frame.planes[0].update(_TONE)
        frame.pts = self._timestamp
        frame.sample_rate = RATE
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


def is_tone(frame: AudioFrame, hz: float = TONE_HZ) -> bool:
    """Whether a received audio frame is mostly the tone (not silence, not noise)."""
    if frame.format.name != "s16":
        return False
    channels = len(frame.layout.channels)
    n = frame.samples
    samples = array("h", bytes(frame.planes[0])[: n * channels * 2])[::channels]
    energy = sum(s * s for s in samples)
    if n == 0 or energy / n < 300**2:  # quieter than about -30 dBFS: silence
        return False
    # Goertzel at ``hz``: the share of the frame's energy at that frequency.
    w = 2 * math.pi * hz / frame.sample_rate
    coeff, s1, s2 = 2 * math.cos(w), 0.0, 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 2 * power / (n * energy) > 0.5
