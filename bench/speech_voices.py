"""Two-party recordings whose talk is real phonetic speech, for the VAD benchmarks.

The project's own voices babble: every speech frame is voiced, so a VAD that drops unvoiced sound (fricatives,
aspiration, plosive bursts) looks perfect on them and still cuts real IPUs short. Here every IPU of a dialogue's
VA is filled with Festival speech instead: `kal_diphone` (concatenated diphones recorded from a male talker) on
channel A and `cmu_us_slt_arctic_hts` (a female HTS voice) on channel B, saying route-giving phrases written for
this benchmark. Debian packages: festival, festvox-kallpc16k, festvox-us-slt-hts.

The reference VA is taken from the clean, isolated voices, so it holds every unvoiced edge: a 10 ms frame is speech
where the utterance placed there is within `REFERENCE_DB` of its own loudest frame (Festival's pauses and
the diphones' recording noise lie about 55 to 65 dB below it), then the design's 50/200 ms rules. The IPUs of the timing
VA give each utterance's onset; utterances are chained (40–120 ms apart, one IPU) until the IPU's length is filled, so
the reference keeps the timing's onsets and, within a phrase's length, its offsets.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

PHRASES = [
    "okay", "yes", "right", "mhm", "uh huh", "yeah", "no", "sorry", "fine", "good", "is it", "just there",
    "so you go down", "past the old mill", "have you got a stone bridge", "then turn left", "just above the forest",
    "I don't have that", "where is the lake", "go straight across until you reach the fence", "about two inches",
    "right, and then what", "is that to the east of the crashed plane", "keep going south past the fallen pillars",
    "I see", "that's fine", "slightly to the west", "underneath the white mountain", "sixty feet",
    "do you have a picture of a church", "no, I've got a farmhouse", "curve round it", "and stop", "what's next",
    "the start is at the top", "hang on", "it's just below the cliffs", "six or seven steps", "pass the bus stop",
    "how far", "face the fish shop", "then swing up towards the caves", "have you got the finish",
]
VOICES = {"A": "kal_diphone", "B": "cmu_us_slt_arctic_hts"}
PACKAGES = "festival festvox-kallpc16k festvox-us-slt-hts"
REFERENCE_DB = 45.0  # a frame within this of its utterance's loudest frame is speech in the reference VA
CACHE = Path.home() / ".cache" / "babbler-bench" / "festival"


def frame_levels(x: np.ndarray, hop: int) -> np.ndarray:
    """Level in dB of each whole `hop`-sample frame of `x`."""
    n = len(x) // hop
    return 10 * np.log10(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-20)


def synthesize(text: str, voice: str, sample_rate: int, cache: Path = CACHE) -> np.ndarray:
    """`text` said by the Festival `voice` at `sample_rate`, trimmed to its speech (cached on disk)."""
    import soundfile as sf
    import soxr

    key = hashlib.sha1(f"{voice}|{text}".encode()).hexdigest()[:16]
    wav = cache / voice / f"{key}.wav"
    if not wav.exists():
        if shutil.which("text2wave") is None:
            raise SystemExit(f"Festival is not installed: apt-get install {PACKAGES}")
        wav.parent.mkdir(parents=True, exist_ok=True)
        txt = wav.with_suffix(".txt")
        txt.write_text(text + "\n")
        tmp = wav.with_suffix(".part.wav")
        done = subprocess.run(["text2wave", str(txt), "-o", str(tmp), "-eval", f"(voice_{voice})"],
                              capture_output=True, text=True)
        if done.returncode or not tmp.exists():
            raise SystemExit(f"text2wave failed for voice {voice} (apt-get install {PACKAGES}): {done.stderr[-300:]}")
        tmp.replace(wav)
    x, sr = sf.read(wav, dtype="float64")
    if sr != sample_rate:
        x = soxr.resample(x, sr, sample_rate)
    hop = sample_rate // 100
    level = frame_levels(x, hop)
    on = np.flatnonzero(level > level.max() - REFERENCE_DB)
    x = x[on[0] * hop: (on[-1] + 1) * hop]
    return x / np.abs(x).max()


def phrase_bank(speaker: str, sample_rate: int) -> list[np.ndarray]:
    """Every phrase said by `speaker`'s voice."""
    return [synthesize(p, VOICES[speaker], sample_rate) for p in PHRASES]


def speech_voice(ipus: np.ndarray, bank: list[np.ndarray], sample_rate: int, va_rate: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One speaker's speech filling the IPUs of the frame track `ipus`, and its reference VA frames (before the
    50/200 ms rules)."""
    from babbler.va import runs

    hop = sample_rate // va_rate
    n = len(ipus)
    voice, ref = np.zeros(n * hop), np.zeros(n, dtype=bool)
    lengths = np.array([len(u) for u in bank]) / sample_rate
    starts, ends = runs(ipus)
    for i, (s, e) in enumerate(zip(starts, ends)):
        t, left = s / va_rate, (e - s) / va_rate
        stop = (starts[i + 1] / va_rate - 0.25) if i + 1 < len(starts) else n / va_rate  # never into the next IPU
        while left > 0.05 and t < stop:
            k = int(np.argmin(np.abs(lengths - left) + rng.uniform(0, 0.15, len(lengths))))
            u = bank[k] * 10 ** (rng.uniform(-3, 3) / 20)
            a = int(round(t * sample_rate))
            u = u[: max(0, int(stop * sample_rate) - a)]
            voice[a: a + len(u)] += u
            level = frame_levels(u, hop)
            loud = np.flatnonzero(level > level.max() - REFERENCE_DB) if len(level) else []
            ref[a // hop + np.asarray(loud, dtype=int)] = True
            gap = rng.uniform(0.04, 0.12)
            t, left = t + lengths[k] + gap, left - lengths[k] - gap
    return voice, ref


def speech_dialogue(va: pd.DataFrame, seconds: float, sample_rate: int, seed: np.random.SeedSequence,
                    banks: dict[str, list[np.ndarray]]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A stereo close-talk recording of `va`'s IPUs said in Festival speech (30 dB noise floor, −30 dB bleed, as
    the timing-only corpora's renders), and both speakers' reference VA after the 50/200 ms rules."""
    from babbler.corpora.demo import mix_recording
    from babbler.va import SPEAKERS, VA_RATE, ipu_track, segments_to_frames

    rng = np.random.default_rng(seed)
    n = int(round(seconds * VA_RATE))
    voices, ref = [], {}
    for s in SPEAKERS:
        v, r = speech_voice(ipu_track(segments_to_frames(va, s, n)), banks[s], sample_rate, VA_RATE, rng)
        voices.append(v)
        ref[s] = ipu_track(r)
    return mix_recording(voices, sample_rate, rng, (-30.0, -30.0), (30.0, 30.0)), ref
