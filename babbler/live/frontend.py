"""The causal streaming front end: a partner's audio in 20 ms hops → the partner's token for every hop.

A streaming counterpart of the batch extraction (`babbler.signal.extract`, `babbler.signal.vad`) for the live agent. Per 10 ms
frame it measures the level of the frame just received, keeps a running noise floor (a low percentile of the last
4 s, never more than 20 dB above the lowest seen) and decides speech with the batch VAD's hysteresis (on 10 dB, off
5 dB above the floor) and its voicing rule (a speech frame lies within 50 ms of a voiced one; the batch VAD's longer
reach for a talker's own unvoiced sound, and its band-wise excess, need both channels and are not used here).
With one channel there is no partner to explain bleed by: a run may start only within 15 dB of the talker's loud
level (the 95th percentile of the last minute) and lasts only while within 25 dB of it, which a close-talk
microphone's bleed of the other talker mostly stays below (the first seconds, before a loud level is known, are
not protected). F0 comes from Parselmouth's autocorrelation pitch on the trailing 80 ms, the batch method on a short
window. Nothing looks ahead:
the VA of a frame is decided when the frame ends; the newest F0 estimate is centred 25 ms before the end of the hop
(half Praat's 3-period window at the 75 Hz pitch floor) and voicing therefore reaches a speech onset at most that
late. The batch VAD can also extend a run backwards to where it first rose above the off threshold; the stream
cannot, so its onsets come a frame or two later (measured by `bench/bench_live.py`).

Bins are relative to the partner's running median F0 and speech level (priors until there is enough speech), as the
training data's are relative to each speaker's whole-dialogue medians.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import parselmouth

from babbler.models.dataset import SpeakerScale, encode, f0_bin, intensity_bin
from babbler.signal.vad import IntensityVadParams
from babbler.synth.mixing import P_REF
from babbler.va import TOKEN_RATE, VA_PER_TOKEN, VA_RATE

STREAM_RATE = 16000  # samples per second the front end and the streaming voice work at
BATCH = IntensityVadParams()  # the batch VAD, whose thresholds the stream shares
HOP = STREAM_RATE // TOKEN_RATE  # samples per token frame (20 ms)
SUB = STREAM_RATE // VA_RATE  # samples per VA frame (10 ms)


@dataclass(frozen=True)
class FrontEndParams:
    """Settings of the streaming front end (levels in dB, frames of 10 ms)."""

    on_db: float = BATCH.on_db  # a run starts where the level exceeds the running floor by this much …
    off_db: float = BATCH.off_db  # … and lasts while it exceeds it by this much (the batch VAD's hysteresis)
    floor_frames: int = BATCH.floor_window  # the running floor is a low percentile of the last 4 s …
    noise_percentile: float = BATCH.noise_percentile
    max_floor_rise_db: float = BATCH.max_floor_rise_db  # … at most this far above the lowest level seen
    voicing_reach: int = BATCH.voicing_reach  # a speech frame lies within this many frames of a voiced one
    onset_below_peak_db: float = 15.0  # a run starts only within this of the talker's loud level (not bleed) …
    continue_below_peak_db: float = 25.0  # … and lasts only while within this of it (bleed after the talker stops)
    peak_percentile: float = 95.0  # … the level this percentile of the last `peak_frames` frames reaches
    peak_frames: int = 6000
    digital_silence_db: float = -100.0  # frames below this are digital zeros: no speech, and left out of the floor
    pitch_window_s: float = 0.08  # trailing audio Praat's pitch is measured on
    pitch_floor: float = 75.0
    pitch_ceiling: float = 600.0
    prior_f0: float = 150.0  # scale priors until the partner has spoken `scale_frames` voiced/speech frames
    prior_db: float = 60.0
    scale_frames: int = 50
    scale_memory: int = 3000  # frames (60 s at 50 Hz) the running medians are taken over


@dataclass(frozen=True)
class FrontEndFrame:
    """The front end's view of one 20 ms hop: the token and the values it encodes."""

    token: int
    va: bool
    f0: float  # Hz, NaN when unvoiced or silent
    db: float  # dB re 20 µPa of the hop
    scale: SpeakerScale


def level_db(x: np.ndarray) -> float:
    """Level of a block of samples (pascal) in dB re 20 µPa, as Praat reads them."""
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) / P_REF**2 + 1e-12))


class StreamingFrontEnd:
    """Feed `push(hop)` 20 ms of 16 kHz mono audio at a time; it returns that hop's token (no look-ahead)."""

    def __init__(self, params: FrontEndParams = FrontEndParams()):
        self.p = params
        self.reset()

    def reset(self) -> None:
        """Forget everything heard; the next hop starts a new recording."""
        p = self.p
        self.levels: deque[float] = deque(maxlen=p.floor_frames)
        self.long_levels: deque[float] = deque(maxlen=p.peak_frames)
        self.lowest = np.inf
        self.talking = False
        self.since_voiced = 10**9  # VA frames since the last voiced one
        self.audio = np.zeros(int(round(p.pitch_window_s * STREAM_RATE)))
        self.voiced_f0: deque[float] = deque(maxlen=p.scale_memory)
        self.speech_db: deque[float] = deque(maxlen=p.scale_memory)

    def floor(self) -> float:
        """The running noise floor (dB)."""
        if not self.levels:
            return np.inf
        floor = float(np.percentile(np.fromiter(self.levels, float), self.p.noise_percentile))
        return min(floor, self.lowest + self.p.max_floor_rise_db)

    def pitch(self) -> np.ndarray:
        """F0 estimates (Hz, NaN unvoiced) of the newest 20 ms of the trailing window, Praat's autocorrelation."""
        snd = parselmouth.Sound(self.audio, STREAM_RATE)
        pitch = snd.to_pitch_ac(time_step=1.0 / VA_RATE, pitch_floor=self.p.pitch_floor,
                                pitch_ceiling=self.p.pitch_ceiling)
        f0 = pitch.selected_array["frequency"][-VA_PER_TOKEN:]
        return np.where(f0 > 0, f0, np.nan)

    def scale(self) -> SpeakerScale:
        """The partner's running median F0 and speech level (the priors until enough speech was heard)."""
        f0 = float(np.median(self.voiced_f0)) if len(self.voiced_f0) >= self.p.scale_frames else self.p.prior_f0
        db = float(np.median(self.speech_db)) if len(self.speech_db) >= self.p.scale_frames else self.p.prior_db
        return SpeakerScale(f0, db)

    def push(self, hop: np.ndarray) -> FrontEndFrame:
        """The token of the 20 ms hop just received (HOP samples of 16 kHz audio, pascal scale)."""
        hop = np.asarray(hop, dtype=np.float64)
        if hop.shape != (HOP,):
            raise ValueError(f"a hop is {HOP} samples of {STREAM_RATE} Hz mono audio, got shape {hop.shape}")
        p = self.p
        self.audio = np.concatenate([self.audio[HOP:], hop])
        f0s = self.pitch()
        peak = (float(np.percentile(np.fromiter(self.long_levels, float), p.peak_percentile))
                if self.long_levels else -np.inf)
        va_frames = []
        for k in range(VA_PER_TOKEN):
            level = level_db(hop[k * SUB : (k + 1) * SUB])
            voiced_now = bool(np.isfinite(f0s[k]))
            self.since_voiced = 0 if voiced_now else self.since_voiced + 1
            if level < p.digital_silence_db:  # zeros (a device still starting): silent, and no noise floor
                self.talking = False
                va_frames.append(False)
                continue
            self.levels.append(level)
            self.long_levels.append(level)
            self.lowest = min(self.lowest, level)
            excess = level - self.floor() if len(self.levels) > 1 else 0.0
            near = self.since_voiced <= p.voicing_reach
            if self.talking:
                self.talking = excess > p.off_db and near and level > peak - p.continue_below_peak_db
            else:
                self.talking = excess > p.on_db and near and level > peak - p.onset_below_peak_db
            va_frames.append(self.talking)
        va = bool(va_frames[0])  # as the training tokens: VA sampled at the token frame's first 10 ms
        f0 = float(np.nanmean(f0s)) if va and np.isfinite(f0s).any() else float("nan")
        db = level_db(hop)
        if va:
            self.speech_db.append(db)
            if np.isfinite(f0):
                self.voiced_f0.append(f0)
        scale = self.scale()
        token = int(encode(np.array([va]), f0_bin(np.array([f0]), scale.f0_median),
                           intensity_bin(np.array([db]), scale.db_median))[0])
        return FrontEndFrame(token, va, f0, db, scale)
