"""How speech-like a voice's babble is, against held-out human speech of the speakers it learned from (design:
Metrics, speech likeness): the noise-floor idea of the timing evaluation applied to sound.

The babble is rendered from the held-out recordings' own tracks (VA, F0, intensity; never their audio), so babble
and speech share timing and melody and differ only in sound. Each measure is a Fréchet distance between two frame
distributions (mean and covariance), divided by the distance between the two halves of the human speech: babble
made from one half is compared with the other half's speech (both ways, averaged), so a voice whose sound cannot
be told from the person's scores 1 whatever the sample size.
- speech distance: MFCCs 1–13 with deltas and delta-deltas, 25 ms windows every 10 ms, on frames with speech;
- modulation distance: the envelope's modulation spectrum, 1–16 Hz (the syllable rhythm) in 8 bands of half an
  octave, each 2 s window's log power relative to its mean level, on windows that are at least a quarter speech."""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np
import pandas as pd
from scipy import linalg

from babbler.corpora.speakers import quiet
from babbler.evaluation.voice_fidelity import f0_errors_semitones
from babbler.signal.extract import dialogue_prosody, read_mono
from babbler.timing.vad_accuracy import frame_scores
from babbler.va import TOKEN_RATE, VA_PER_TOKEN, VA_RATE
from babbler.voices.features import prosody_tracks
from babbler.voices.spec import Tracks, Voice

N_MFCC = 13
MOD_WINDOW_S = 2.0
MOD_HOP_S = 0.25
MOD_BAND_EDGES_HZ = tuple(2 ** (k / 2) for k in range(9))  # 1, 1.41, 2, …, 16 Hz
MOD_MIN_SPEECH = 0.25


def frechet_distance(x: np.ndarray, y: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two sets of row vectors: |μx − μy|² + tr(Σx + Σy − 2(ΣxΣy)^½)."""
    x, y = np.atleast_2d(x), np.atleast_2d(y)
    if len(x) < 2 or len(y) < 2:
        return float("nan")
    mx, my = x.mean(axis=0), y.mean(axis=0)
    cx, cy = np.atleast_2d(np.cov(x, rowvar=False)), np.atleast_2d(np.cov(y, rowvar=False))
    root = linalg.sqrtm(cx @ cy)
    root = np.real(root)
    return float(max(np.sum((mx - my) ** 2) + np.trace(cx + cy - 2 * root), 0.0))


def _speech_frames(va: np.ndarray, n: int) -> np.ndarray:
    """A 10 ms VA track cut or padded (with silence) to n frames."""
    va = np.asarray(va, dtype=bool)[:n]
    return np.pad(va, (0, n - len(va)))


def mfcc_frames(y: np.ndarray, sample_rate: int, va: np.ndarray) -> np.ndarray:
    """(frames with speech, 3·N_MFCC): MFCCs 1–13, deltas and delta-deltas, 25 ms windows every 10 ms (frame i
    centred at i·10 ms); `va` is the 10 ms VA track that says where the speech is."""
    hop = sample_rate // VA_RATE
    n_fft = 1 << int(np.ceil(np.log2(0.025 * sample_rate)))
    m = librosa.feature.mfcc(y=np.asarray(y, dtype=np.float32), sr=sample_rate, n_mfcc=N_MFCC + 1, n_fft=n_fft,
                             hop_length=hop, win_length=int(0.025 * sample_rate), n_mels=40)[1:]
    feats = np.concatenate([m, librosa.feature.delta(m, order=1), librosa.feature.delta(m, order=2)]).T
    return feats[_speech_frames(va, len(feats))]


def envelope(y: np.ndarray, sample_rate: int) -> np.ndarray:
    """The amplitude envelope at 100 Hz: RMS of 10 ms frames."""
    hop = sample_rate // VA_RATE
    n = len(y) // hop
    return np.sqrt(np.mean(np.asarray(y[: n * hop], dtype=np.float64).reshape(n, hop) ** 2, axis=1))


def modulation_frames(y: np.ndarray, sample_rate: int, va: np.ndarray) -> np.ndarray:
    """(windows, 8): each 2 s window's modulation spectrum (every 0.25 s), as log10 of the envelope's power in the
    half-octave bands from 1 to 16 Hz relative to its mean level squared; windows under a quarter speech are left
    out."""
    env = envelope(y, sample_rate)
    speech = _speech_frames(va, len(env))
    width, hop = int(MOD_WINDOW_S * VA_RATE), int(MOD_HOP_S * VA_RATE)
    if len(env) < width:
        return np.zeros((0, len(MOD_BAND_EDGES_HZ) - 1))
    starts = np.arange(0, len(env) - width + 1, hop)
    windows = np.stack([env[s : s + width] for s in starts])
    keep = np.array([speech[s : s + width].mean() >= MOD_MIN_SPEECH for s in starts])
    windows = windows[keep]
    level = windows.mean(axis=1, keepdims=True) + 1e-9
    spec = np.abs(np.fft.rfft((windows - level) * np.hanning(width), axis=1)) ** 2 / level**2
    freqs = np.fft.rfftfreq(width, 1 / VA_RATE)
    edges = MOD_BAND_EDGES_HZ
    bands = [spec[:, (freqs >= lo) & (freqs < hi)].mean(axis=1) for lo, hi in zip(edges[:-1], edges[1:])]
    return np.log10(np.stack(bands, axis=1) + 1e-12)


@dataclass(frozen=True)
class Half:
    """One half of a seat's held-out speech: the human audio, the babble rendered from its tracks, its 10 ms VA."""

    human: np.ndarray
    babble: np.ndarray
    va: np.ndarray


def distance_ratio(halves: tuple[Half, Half], sample_rate: int, frames) -> dict[str, float]:
    """The babble's Fréchet distance to the human speech over the human halves' own: mean of d(babble of half 1,
    speech of half 2) and d(babble of half 2, speech of half 1), over d(speech of half 1, speech of half 2)."""
    h = [frames(x.human, sample_rate, x.va) for x in halves]
    b = [frames(x.babble, sample_rate, x.va) for x in halves]
    floor = frechet_distance(h[0], h[1])
    babble = 0.5 * (frechet_distance(b[0], h[1]) + frechet_distance(b[1], h[0]))
    return {"distance": babble, "floor": floor, "ratio": babble / floor if floor > 0 else float("nan"),
            "frames": int(sum(len(x) for x in h))}


def speech_likeness(halves: tuple[Half, Half], sample_rate: int) -> dict[str, float]:
    """Both measures of one seat: speech and modulation distance, their human floors and ratios."""
    out = {}
    for name, frames in (("speech", mfcc_frames), ("modulation", modulation_frames)):
        r = distance_ratio(halves, sample_rate, frames)
        out |= {f"{name}_distance": r["distance"], f"{name}_floor": r["floor"], f"{name}_distance_ratio": r["ratio"],
                f"{name}_frames": r["frames"]}
    return out


@dataclass(frozen=True)
class HeldOut:
    """A seat's held-out speech as measured: its mono audio, 10 ms prosody, and the clips table of its session."""

    audio: str
    prosody: str
    clips: str


def held_out_span(clips: pd.DataFrame, seconds: float, split: str = "test") -> tuple[float, float]:
    """Where the measured part of a held-out session ends (after as many whole clips as fit in `seconds`, at least
    two) and where it is cut into halves (the pause nearest the middle)."""
    clips = clips[clips["split"] == split].sort_values("start")
    if len(clips) < 2:
        raise ValueError("the held-out speech holds fewer than two recordings; it cannot be halved")
    fit = clips[clips["end"] <= clips["start"].iloc[0] + seconds]
    use = clips.iloc[: max(len(fit), 2)]
    pauses = 0.5 * (use["end"].to_numpy()[:-1] + use["start"].to_numpy()[1:])
    end = float(use["end"].iloc[-1])
    return end, float(pauses[np.argmin(np.abs(pauses - end / 2))])


def seat_tracks(prosody: pd.DataFrame, lo: int, hi: int) -> Tracks:
    """The 50 Hz voice-driving Tracks of the 10 ms frames lo…hi of a prosody table."""
    return prosody_tracks(prosody.iloc[lo:hi].reset_index(drop=True))


def babble_accuracy(babble: np.ndarray, tracks: Tracks, sample_rate: int, method: str) -> dict[str, np.ndarray]:
    """Whether the babble carries its tracks: its VA frames (10 ms, by `method`, beside a quiet partner) against the
    tracks' VA, and the F0 errors (semitones) of its voiced frames."""
    partner = quiet(len(babble), np.random.default_rng(0))
    frames, _ = dialogue_prosody({"A": babble.astype(np.float64), "B": partner.astype(np.float64)}, sample_rate,
                                 method)
    got = frames["A"]
    asked = np.repeat(tracks.va, VA_PER_TOKEN)
    n = min(len(asked), len(got))
    return {"va": got["va"].to_numpy(bool)[:n], "asked": asked[:n],
            "f0_errors": f0_errors_semitones(tracks.f0, got["f0"].to_numpy(float))}


def measure_voice(voice: Voice, model, settings: dict, seats: dict[str, HeldOut], sample_rate: int, seconds: float,
                  seed: int, method: str, split: str = "test") -> tuple[dict, dict[str, np.ndarray]]:
    """Speech likeness, VA F1, F0 error and speed of a voice on each seat's held-out speech (the first `seconds` of
    whole clips), its babble rendered from the speech's own tracks in one batch; and the babble of each seat."""
    from babbler.voices.render import voice_speed

    halves, tracks, human = {}, [], []
    for seat, held in seats.items():
        y, sr = read_mono(held.audio)
        if sr != sample_rate:
            raise ValueError(f"{held.audio}: {sr} Hz, expected {sample_rate} Hz")
        prosody = pd.read_parquet(held.prosody, columns=["va", "f0", "intensity"])
        end, cut = held_out_span(pd.read_csv(held.clips), seconds, split)
        # whole 20 ms frames, so each half's babble lines up with its speech
        bounds = [0, int(cut * TOKEN_RATE) * VA_PER_TOKEN, int(end * TOKEN_RATE) * VA_PER_TOKEN]
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            tracks.append(seat_tracks(prosody, lo, hi))
            human.append((y[lo * sample_rate // VA_RATE : hi * sample_rate // VA_RATE],
                          prosody["va"].to_numpy(bool)[lo:hi]))
        halves[seat] = (len(tracks) - 2, len(tracks) - 1)
    waves, speed = voice_speed(voice, tracks, sample_rate, seed, model, settings)
    result, babble = {"voice": voice.name, "seats": {}}, {}
    for seat, (i, j) in halves.items():
        pair = tuple(Half(human[k][0], np.asarray(waves[k][: len(human[k][0])]), human[k][1]) for k in (i, j))
        acc = [babble_accuracy(np.asarray(waves[k]), tracks[k], sample_rate, method) for k in (i, j)]
        scores = frame_scores(np.concatenate([a["va"] for a in acc]), np.concatenate([a["asked"] for a in acc]))
        errors = np.concatenate([a["f0_errors"] for a in acc])
        result["seats"][seat] = {
            **speech_likeness(pair, sample_rate),
            "va_f1": scores["f1"],
            "f0_error_median_semitones": float(np.median(errors)) if len(errors) else float("nan"),
            "seconds": sum(len(h.human) for h in pair) / sample_rate,
        }
        babble[seat] = np.concatenate([np.asarray(waves[k]) for k in (i, j)])
    per_seat = result["seats"].values()
    for key in ("speech_distance_ratio", "modulation_distance_ratio", "va_f1", "f0_error_median_semitones"):
        result[key] = float(np.mean([s[key] for s in per_seat]))
    result |= {"rtf_1ch": speed["rtf_1ch"], "rtf": speed["rtf"]}
    return result, babble
