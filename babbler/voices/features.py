"""What every neural voice is conditioned on and trained from: 50 Hz frame features, the speaker vector, the
continuous per-sample F0 (the excitation is built from it in `voices.neural.sample_conditioning`), and aligned
random crops of speaker audio."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import soundfile as sf
from scipy.ndimage import uniform_filter1d

from babbler.models.dataset import SpeakerScale, token_rate_tracks
from babbler.va import TOKEN_RATE
from babbler.voices.spec import Tracks

N_LOCAL = 4  # va, voiced, log2(F0 / 100 Hz), (intensity − speaker median) / 10 dB
N_GLOBAL = 2  # log2(median F0 / 150 Hz), (median speech dB − 60) / 10


def local_features(tracks: Tracks, db_median: float) -> np.ndarray:
    """(N_LOCAL, frames) conditioning of one speaker from its 50 Hz tracks."""
    va, f0 = tracks.va, tracks.f0
    voiced = va & np.isfinite(f0)
    logf0 = np.where(voiced, np.log2(np.where(voiced, f0, 100.0) / 100.0), 0.0)
    rel_db = np.where(va, (np.nan_to_num(tracks.intensity, nan=db_median) - db_median) / 10.0, 0.0)
    return np.stack([va.astype(float), voiced.astype(float), logf0, rel_db]).astype(np.float32)


def global_features(scale: SpeakerScale) -> np.ndarray:
    """(N_GLOBAL,) speaker conditioning from the speaker's median F0 and speech level."""
    return np.array([np.log2(scale.f0_median / 150.0), (scale.db_median - 60.0) / 10.0], dtype=np.float32)


def tracks_scale(tracks: Tracks) -> SpeakerScale:
    """A speaker's scale from its own tracks (median voiced F0, median speech level), as a generated speaker has."""
    voiced = tracks.f0[tracks.va & np.isfinite(tracks.f0)]
    db = tracks.intensity[tracks.va & np.isfinite(tracks.intensity)]
    return SpeakerScale(float(np.median(voiced)) if len(voiced) else 150.0,
                        float(np.median(db)) if len(db) else 60.0)


def sample_f0(tracks: Tracks, sample_rate: int, n: int) -> np.ndarray:
    """Per-sample F0 (Hz, 0 where unvoiced): log F0 interpolated between the centres of the voiced frames, so a
    stepped track (bin centres) becomes a continuous contour; voicing follows the nearest frame."""
    voiced = tracks.va & np.isfinite(tracks.f0)
    if not voiced.any():
        return np.zeros(n, dtype=np.float32)
    t = (np.arange(n) + 0.5) / sample_rate
    centres = (np.arange(len(voiced)) + 0.5) / tracks.frame_rate
    logf = np.interp(t, centres[voiced], np.log(tracks.f0[voiced]))
    frame = np.minimum((np.arange(n) * tracks.frame_rate / sample_rate).astype(np.int64), len(voiced) - 1)
    return np.where(voiced[frame], np.exp(logf), 0.0).astype(np.float32)


@dataclass
class VoiceItem:
    """One speaker track for training a voice: audio at the voice's rate, its 50 Hz tracks and the speaker."""

    audio: np.ndarray  # (n,) float32 in [−1, 1]
    tracks: Tracks  # 50 Hz: VA, F0 (Hz, continuous, NaN unvoiced), intensity (dB)
    scale: SpeakerScale
    f0: np.ndarray  # (n,) per-sample F0 (`sample_f0`)
    phase: np.ndarray  # (n,) phase of the audio's fundamental, radians in [0, 2π) (`fundamental_phase`)
    local: np.ndarray = field(init=False)  # (N_LOCAL, frames) frame conditioning
    glob: np.ndarray = field(init=False)  # (N_GLOBAL,) speaker conditioning
    speech_frames: np.ndarray = field(init=False)  # indices of 50 Hz frames with VA

    def __post_init__(self) -> None:
        """The conditioning every crop slices, computed once."""
        self.local = local_features(self.tracks, self.scale.db_median)
        self.glob = global_features(self.scale)
        self.speech_frames = np.flatnonzero(self.tracks.va)


def fundamental_phase(audio: np.ndarray, f0: np.ndarray, sample_rate: int, f0_median: float) -> np.ndarray:
    """(n,) phase in [0, 2π) of the audio's fundamental on voiced samples, so an excitation sin(phase) is locked to
    the periods of the real speech, not only to their mean rate: the audio is demodulated at the track's phase
    2π∫F0, low-passed (two moving averages of two median periods each), and the angle of what is left is the
    drift of the real fundamental against the track. Unvoiced samples keep the track's phase."""
    track = 2 * np.pi * np.cumsum(f0.astype(np.float64)) / sample_rate
    width = max(1, int(round(2 * sample_rate / max(f0_median, 1.0))))
    z = audio.astype(np.float64) * np.exp(-1j * track)
    for _ in range(2):
        z = uniform_filter1d(z.real, width, mode="nearest") + 1j * uniform_filter1d(z.imag, width, mode="nearest")
    phase = track + np.where(f0 > 0, np.angle(z), 0.0)
    return np.mod(phase, 2 * np.pi).astype(np.float32)


def make_item(audio: np.ndarray, tracks: Tracks, scale: SpeakerScale, sample_rate: int) -> VoiceItem:
    """A VoiceItem with its per-sample F0 and the phase of its fundamental."""
    audio = np.asarray(audio, dtype=np.float32)
    f0 = sample_f0(tracks, sample_rate, len(audio))
    return VoiceItem(audio, tracks, scale, f0, fundamental_phase(audio, f0, sample_rate, scale.f0_median))


def prosody_tracks(prosody: pd.DataFrame) -> Tracks:
    """The 50 Hz voice-driving Tracks of a speaker's 10 ms prosody table (`token_rate_tracks`; F0 only on speech)."""
    va, f0, db = token_rate_tracks(prosody)
    return Tracks(va, np.where(va, f0, np.nan), db, frame_rate=TOKEN_RATE)


def voice_item(wav: str | Path, prosody: str | Path, scale: SpeakerScale | None, sample_rate: int,
               keep: float = 1.0, rng: np.random.Generator | None = None) -> VoiceItem:
    """A speaker's mono track resampled to the voice's rate (soxr), with the continuous F0, VA and intensity that
    Praat measured on it (its prosody parquet, at 50 Hz); `scale` None: the speaker's scale from these tracks.
    `keep` < 1: only a window of that share of the track (whole 50 Hz frames, at an offset drawn from `rng`) is read
    and held, the speaker's scale still measured on the whole track."""
    if keep < 1.0 and rng is None:
        raise ValueError("voice_item: keep < 1 reads a window at a drawn offset; give the seeded rng to draw it")
    tracks = prosody_tracks(pd.read_parquet(prosody, columns=["va", "f0", "intensity"]))
    scale = scale or tracks_scale(tracks)
    if keep >= 1.0:
        y, sr = sf.read(str(wav), dtype="float32")
    else:
        n = len(tracks.va)
        frames = max(1, int(round(keep * n)))
        first = int(rng.integers(0, n - frames + 1))
        rate = sf.info(str(wav)).samplerate
        y, sr = sf.read(str(wav), dtype="float32", start=int(round(first * rate / TOKEN_RATE)),
                        stop=int(round((first + frames) * rate / TOKEN_RATE)))
        window = slice(first, first + frames)
        tracks = Tracks(tracks.va[window], tracks.f0[window], tracks.intensity[window], frame_rate=tracks.frame_rate)
    if sr != sample_rate:
        y = librosa.resample(y, orig_sr=sr, target_sr=sample_rate, res_type="soxr_hq")
    return make_item(y, tracks, scale, sample_rate)


def kept_share(seconds: list[float], minutes: float) -> float:
    """The share of each track a voice holds in memory to learn from, so that a split's tracks come to at most
    `minutes` (config `voice.train_minutes`): 1 where they already do."""
    total = float(sum(seconds))
    return 1.0 if total <= 60.0 * minutes else 60.0 * minutes / total


@dataclass
class Crop:
    """A batch of frame-aligned crops: audio with `context` samples before the part that carries a loss."""

    audio: np.ndarray  # (B, L + 1) float32: samples 0…L of each crop
    local: np.ndarray  # (B, N_LOCAL [+ a voice's own features], frames + 1) frame conditioning from the first sample
    glob: np.ndarray  # (B, N_GLOBAL)
    f0: np.ndarray  # (B, L + 1) per-sample F0 (Hz, 0 unvoiced)
    phase: np.ndarray  # (B, L + 1) phase of the fundamental (radians)
    context: int  # samples before the loss starts (a multiple of the hop)


def crop_items(items: list[VoiceItem], hop: int, crop_frames: int, ctx_frames: int, batch_size: int,
               speech_share: float, rng: np.random.Generator) -> Crop:
    """Random crops of `ctx_frames + crop_frames` 50 Hz frames (`hop` samples each), `speech_share` of them starting
    inside speech; a crop before the start of a track is padded with silence."""
    n_frames = ctx_frames + crop_frames
    length = n_frames * hop + 1
    audio = np.zeros((batch_size, length), dtype=np.float32)
    f0 = np.zeros((batch_size, length), dtype=np.float32)
    phase = np.zeros((batch_size, length), dtype=np.float32)
    loc = np.zeros((batch_size, items[0].local.shape[0], n_frames + 1), dtype=np.float32)
    glob = np.zeros((batch_size, N_GLOBAL), dtype=np.float32)
    for b in range(batch_size):
        item = items[rng.integers(len(items))]
        local = item.local
        last = local.shape[1] - crop_frames - 1
        speech = item.speech_frames
        if rng.random() < speech_share and len(speech):
            first = int(np.clip(rng.choice(speech) - crop_frames // 2, 0, max(last, 0)))
        else:
            first = int(rng.integers(0, max(last, 1)))
        start = first - ctx_frames  # may be negative: silence before the track
        lo = max(start, 0)
        src = slice(lo * hop, (start + n_frames) * hop + 1)
        dst = (lo - start) * hop
        seg = item.audio[src]
        audio[b, dst : dst + len(seg)] = seg
        f0[b, dst : dst + len(seg)] = item.f0[src]
        phase[b, dst : dst + len(seg)] = item.phase[src]
        fl = local[:, lo : start + n_frames + 1]
        loc[b, :, lo - start : lo - start + fl.shape[1]] = fl
        glob[b] = item.glob
    return Crop(audio, loc, glob, f0, phase, ctx_frames * hop)


def render_conditioning(tracks: list[Tracks], sample_rate: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Batched conditioning of many speakers' 50 Hz tracks for generation: local (B, N_LOCAL, frames), global
    (B, N_GLOBAL), per-sample F0 (B, n) and the number of samples n of the longest track."""
    n_frames = max(len(t.va) for t in tracks)
    n = int(round(n_frames / TOKEN_RATE * sample_rate))
    local = np.zeros((len(tracks), N_LOCAL, n_frames), dtype=np.float32)
    f0 = np.zeros((len(tracks), n), dtype=np.float32)
    glob = np.zeros((len(tracks), N_GLOBAL), dtype=np.float32)
    for i, tr in enumerate(tracks):
        scale = tracks_scale(tr)
        local[i, :, : len(tr.va)] = local_features(tr, scale.db_median)
        glob[i] = global_features(scale)
        f0[i] = _padded_f0(tr, sample_rate, n)
    return local, glob, f0, n


def _padded_f0(tracks: Tracks, sample_rate: int, n: int) -> np.ndarray:
    """Per-sample F0 of a track padded with unvoiced samples to n."""
    own = int(round(len(tracks.va) / TOKEN_RATE * sample_rate))
    f0 = sample_f0(tracks, sample_rate, min(own, n))
    return np.pad(f0, (0, n - len(f0)))
