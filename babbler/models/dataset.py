"""The 50 Hz two-speaker token dataset every frame model reads (design stage `dataset`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from babbler.util.fileio import atomic_path, read_table
from babbler.va import VA_PER_TOKEN

F0_BINS = 16  # semitone bins around the speaker's median F0
F0_ST_RANGE = (-8.0, 8.0)  # semitones covered by the F0 bins (1 st each); beyond: the edge bins
INT_BINS = 8  # intensity bins around the speaker's median speech level
INT_DB_RANGE = (-12.0, 4.0)  # dB covered by the intensity bins (2 dB each)
UNVOICED = F0_BINS  # the F0 "bin" of a speech frame without pitch
VOCAB = 1 + (F0_BINS + 1) * INT_BINS  # 0 = silent, then (f0 bin, intensity bin) pairs
TOKEN_KEY = "tokens/"  # frames.npz key prefix of a dialogue's token array


@dataclass(frozen=True)
class SpeakerScale:
    """What the bins are relative to: the speaker's median F0 (Hz) and median speech intensity (dB)."""

    f0_median: float
    db_median: float


def encode(va: np.ndarray, f0bin: np.ndarray, ibin: np.ndarray) -> np.ndarray:
    """Token per frame: 0 when silent, else 1 + f0bin·INT_BINS + ibin."""
    tok = 1 + f0bin.astype(np.int64) * INT_BINS + ibin.astype(np.int64)
    return np.where(va, tok, 0).astype(np.int16)


VA_ONLY_TOKEN = int(1 + (F0_BINS // 2) * INT_BINS + INT_BINS // 2)  # every speech frame under dataset.prosody: false


def decode(tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of encode: VA, F0 bin (UNVOICED for no pitch, -1 when silent), intensity bin (-1 when silent)."""
    tokens = np.asarray(tokens, dtype=np.int64)
    va = tokens > 0
    f0bin = np.where(va, (tokens - 1) // INT_BINS, -1)
    ibin = np.where(va, (tokens - 1) % INT_BINS, -1)
    return va, f0bin, ibin


def f0_bin(f0: np.ndarray, median: float) -> np.ndarray:
    """F0 (Hz, NaN unvoiced) → bin index 0…F0_BINS−1, or UNVOICED."""
    st = 12 * np.log2(np.where(np.isfinite(f0) & (f0 > 0), f0, median) / median)
    lo, hi = F0_ST_RANGE
    b = np.clip(np.floor((st - lo) / (hi - lo) * F0_BINS), 0, F0_BINS - 1).astype(np.int64)
    return np.where(np.isfinite(f0) & (f0 > 0), b, UNVOICED)


def intensity_bin(db: np.ndarray, median: float) -> np.ndarray:
    """Intensity (dB) → bin index 0…INT_BINS−1 relative to the speaker's median speech level."""
    lo, hi = INT_DB_RANGE
    return np.clip(np.floor((db - median - lo) / (hi - lo) * INT_BINS), 0, INT_BINS - 1).astype(np.int64)


def bin_centres(scale: SpeakerScale) -> tuple[np.ndarray, np.ndarray]:
    """F0 (Hz) and intensity (dB) at the centre of every bin, for rendering tokens back to tracks."""
    lo, hi = F0_ST_RANGE
    st = lo + (np.arange(F0_BINS) + 0.5) * (hi - lo) / F0_BINS
    dlo, dhi = INT_DB_RANGE
    db = dlo + (np.arange(INT_BINS) + 0.5) * (dhi - dlo) / INT_BINS
    return scale.f0_median * 2 ** (st / 12), scale.db_median + db


def token_values(tokens: np.ndarray, scale: SpeakerScale) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One speaker's tokens back to tracks: VA, F0 (Hz at the bin centre, NaN unvoiced or silent) and intensity
    (dB at the bin centre, NaN silent)."""
    va, f0b, ib = decode(tokens)
    f0_c, db_c = bin_centres(scale)
    f0 = np.where(va & (f0b < len(f0_c)), f0_c[np.clip(f0b, 0, len(f0_c) - 1)], np.nan)
    db = np.where(va, db_c[np.clip(ib, 0, len(db_c) - 1)], np.nan)
    return va, f0, db


def token_rate_tracks(prosody: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One speaker's 10 ms prosody table at the 50 Hz token rate: VA (sampled every 20 ms), F0 (Hz, mean of the
    voiced 10 ms frames, NaN when none) and intensity (dB, mean)."""
    k = VA_PER_TOKEN
    n = len(prosody) // k
    va = prosody["va"].to_numpy(bool)[: k * n][0::k]  # sampling (not "any") keeps run lengths unbiased
    f0 = prosody["f0"].to_numpy(float)[: k * n].reshape(n, k)
    db = prosody["intensity"].to_numpy(float)[: k * n].reshape(n, k)
    count = np.isfinite(f0).sum(axis=1)
    f0_sum = np.where(np.isfinite(f0), f0, 0.0).sum(axis=1)
    f0_50 = np.where(count > 0, f0_sum / np.maximum(count, 1), np.nan)
    return va, f0_50, db.mean(axis=1)


def speaker_tokens(prosody: pd.DataFrame) -> tuple[np.ndarray, SpeakerScale]:
    """50 Hz tokens of one speaker from their 10 ms prosody table (`token_rate_tracks`, binned)."""
    va, f0_50, db_50 = token_rate_tracks(prosody)
    voiced = np.isfinite(f0_50) & va
    f0_median = float(np.median(f0_50[voiced])) if voiced.sum() >= 10 else 150.0
    db_median = float(np.median(db_50[va])) if va.sum() >= 10 else 60.0
    tokens = encode(va, f0_bin(np.where(va, f0_50, np.nan), f0_median), intensity_bin(db_50, db_median))
    return tokens, SpeakerScale(f0_median, db_median)


@dataclass
class FrameData:
    """Token tracks of many dialogues: tokens[dlg] is (T, 2) int16 (speaker A, B); scales and split per dialogue."""

    tokens: dict[str, np.ndarray]
    scales: dict[str, tuple[SpeakerScale, SpeakerScale]]
    split: dict[str, str]

    def ids(self, split: str | None = None) -> list[str]:
        """Dialogue ids, optionally of one split."""
        return sorted(d for d in self.tokens if split is None or self.split[d] == split)


def build_dataset(prosody_files: dict[str, tuple[str | Path, str | Path]], split: dict[str, str],
                  prosody: bool = True) -> FrameData:
    """FrameData from each dialogue's (A, B) prosody parquets and the manifest split; with `prosody` False every
    speech frame gets one token (VA_ONLY_TOKEN, the middle bins), so the models see timing alone."""
    tokens, scales = {}, {}
    for dlg, (pa, pb) in sorted(prosody_files.items()):
        ta, sa = speaker_tokens(pd.read_parquet(pa))
        tb, sb = speaker_tokens(pd.read_parquet(pb))
        n = min(len(ta), len(tb))
        tokens[dlg] = np.stack([ta[:n], tb[:n]], axis=1)
        if not prosody:
            tokens[dlg] = np.where(tokens[dlg] > 0, VA_ONLY_TOKEN, 0).astype(np.int16)
        scales[dlg] = (sa, sb)
    return FrameData(tokens, scales, {d: split[d] for d in tokens})


def save_dataset(data: FrameData, npz_path: str | Path, splits_csv: str | Path) -> None:
    """Write frames.npz (one `tokens/{dlg}` array each) and splits.csv (split, length, speaker scales)."""
    with atomic_path(npz_path) as tmp:
        with open(tmp, "wb") as fh:  # prefixed keys: no dialogue id can collide with savez's own arguments
            np.savez_compressed(fh, **{TOKEN_KEY + d: t for d, t in data.tokens.items()})
    rows = [
        {"dialogue": d, "split": data.split[d], "frames": len(data.tokens[d]),
         "f0_median_A": sa.f0_median, "db_median_A": sa.db_median, "f0_median_B": sb.f0_median,
         "db_median_B": sb.db_median}
        for d, (sa, sb) in sorted(data.scales.items())
    ]
    with atomic_path(splits_csv) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.4f")


def load_dataset(npz_path: str | Path, splits_csv: str | Path) -> FrameData:
    """Read what save_dataset wrote."""
    table = read_table(splits_csv)
    with np.load(npz_path) as z:
        tokens = {d: z[TOKEN_KEY + d] for d in table["dialogue"]}
    scales = {r.dialogue: (SpeakerScale(r.f0_median_A, r.db_median_A), SpeakerScale(r.f0_median_B, r.db_median_B))
              for r in table.itertuples()}
    return FrameData(tokens, scales, dict(zip(table["dialogue"], table["split"])))
