"""What the recorder writes: one video track (everyone's latest picture in a grid) and one
audio track (everyone's sound mixed), both clocked from the moment recording started.

Why a fixed layout rather than a file per participant muxed at the end: aiortc's
``MediaRecorder`` wants its tracks before it starts, and people come and go during a
recording. Two tracks made here exist from the start whoever is there, so one
``MediaRecorder`` writes one file from start to stop, its length the time recorded (before
the first picture arrives, and while nobody sends one, the grid is black and the sound
silent), and nothing is left to mux or transcode when the recording stops: an hour-long
recording is ready as soon as it is uploaded. The price is encoding while recording (one
640x360 H.264 stream at 15 frames a second, one AAC stream), which a recorder pays anyway.

Times are real: frame ``n`` is due ``n / rate`` seconds after ``origin``; a track that falls
behind (or starts late: the recorder joins a moment after the host pressed record) catches up
at once, so the file's duration follows the clock, not how many frames arrived."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import math
import time
from array import array
from typing import Any

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame
from av.audio.resampler import AudioResampler

WIDTH, HEIGHT = 640, 360
FPS = 15
SAMPLE_RATE = 48000
CHANNELS = 2
AUDIO_PTIME = 0.020
SAMPLES = int(SAMPLE_RATE * AUDIO_PTIME)
MAX_BUFFERED = SAMPLE_RATE * CHANNELS  # one second of sound per participant, at most
VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
BLACK = (16, 128, 128)  # Y, U, V


class Room:
    """The remote tracks the recorder receives, by participant: the latest picture of each
    and the sound of each not mixed yet."""

    def __init__(self) -> None:
        self.pictures: dict[int, VideoFrame] = {}
        self.sound: dict[int, array[int]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.frames = 0
        """Frames received from anyone (audio and video)."""

    def add(self, participant_id: int, track: MediaStreamTrack) -> None:
        task = asyncio.create_task(self._read(participant_id, track))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def drop(self, participant_id: int) -> None:
        self.pictures.pop(participant_id, None)
        self.sound.pop(participant_id, None)

    async def _read(self, participant_id: int, track: MediaStreamTrack) -> None:
        resampler = AudioResampler(format="s16", layout="stereo", rate=SAMPLE_RATE)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.frames += 1
            if isinstance(frame, VideoFrame):
                self.pictures[participant_id] = frame
            elif isinstance(frame, AudioFrame):
                buf = self.sound.setdefault(participant_id, array("h"))
                for out in resampler.resample(frame):
                    buf.frombytes(bytes(out.planes[0])[: out.samples * CHANNELS * 2])
                if len(buf) > MAX_BUFFERED:  # a sender running fast: keep the newest
                    del buf[: len(buf) - MAX_BUFFERED]

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class _Clocked(MediaStreamTrack):
    def __init__(self, origin: float, rate: float) -> None:
        super().__init__()
        self.origin = origin
        self.rate = rate
        self.n = 0

    async def tick(self) -> int:
        """Wait until frame ``n`` is due (at once if it is late); its number."""
        due = self.origin + self.n / self.rate
        wait = due - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        n = self.n
        self.n += 1
        return n


def _grid(count: int) -> tuple[int, int]:
    cols = max(1, math.ceil(math.sqrt(count)))
    return cols, max(1, math.ceil(count / cols))


def composite(pictures: list[VideoFrame]) -> VideoFrame:
    """The pictures side by side in a grid on a black WIDTH x HEIGHT frame (YUV 4:2:0)."""
    canvas = VideoFrame(WIDTH, HEIGHT, "yuv420p")
    planes = []
    for i, plane in enumerate(canvas.planes):
        rows = HEIGHT if i == 0 else HEIGHT // 2
        planes.append(bytearray([BLACK[i]]) * (plane.line_size * rows))
    cols, rows = _grid(len(pictures))
    tw, th = (WIDTH // cols) & ~1, (HEIGHT // rows) & ~1
    for k, picture in enumerate(pictures):
        tile = picture.reformat(width=tw, height=th, format="yuv420p")
        x0, y0 = (k % cols) * tw, (k // cols) * th
        for i, src in enumerate(tile.planes):
            shift = 0 if i == 0 else 1
            w, h = tw >> shift, th >> shift
            x, y = x0 >> shift, y0 >> shift
            dst_ls, src_ls = canvas.planes[i].line_size, src.line_size
            data = bytes(src)
            for r in range(h):
                at = (y + r) * dst_ls + x
                planes[i][at : at + w] = data[r * src_ls : r * src_ls + w]
    for plane, filled in zip(canvas.planes, planes, strict=True):
        plane.update(bytes(filled))
    return canvas


class GridTrack(_Clocked):
    """Video: everyone's latest picture, ``FPS`` times a second."""

    kind = "video"

    def __init__(self, room: Room, origin: float) -> None:
        super().__init__(origin, FPS)
        self.room = room

    async def recv(self) -> Any:
        n = await self.tick()
        pictures = [self.room.pictures[p] for p in sorted(self.room.pictures)]
        frame = await asyncio.to_thread(composite, pictures) if pictures else composite([])
        frame.pts = round(n * 90000 / FPS)
        frame.time_base = VIDEO_TIME_BASE
        return frame


def mix(buffers: list[array[int]], count: int) -> bytes:
    """``count`` samples of each buffer (taken out of it, silence where it runs short)
    added, clipped to 16 bits."""
    out = array("h", bytes(2 * count))
    for buf in buffers:
        take = buf[:count]
        del buf[:count]
        for i, v in enumerate(take):
            s = out[i] + v
            out[i] = 32767 if s > 32767 else -32768 if s < -32768 else s
    return out.tobytes()


class MixTrack(_Clocked):
    """Audio: everyone's sound added, in 20 ms frames."""

    kind = "audio"

    def __init__(self, room: Room, origin: float) -> None:
        super().__init__(origin, 1 / AUDIO_PTIME)
        self.room = room

    async def recv(self) -> Any:
        n = await self.tick()
        frame = AudioFrame(format="s16", layout="stereo", samples=SAMPLES)
        frame.planes[0].update(mix(list(self.room.sound.values()), SAMPLES * CHANNELS))
        frame.pts = n * SAMPLES
        frame.sample_rate = SAMPLE_RATE
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        return frame
