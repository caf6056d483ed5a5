"""The 50 Hz token dataset: bins, tokens from prosody, frames.npz round trip."""

import numpy as np
import pandas as pd
import pytest

from babbler.models.dataset import (
    INT_BINS,
    UNVOICED,
    VOCAB,
    SpeakerScale,
    bin_centres,
    decode,
    encode,
    f0_bin,
    intensity_bin,
    speaker_tokens,
)

# ---------------------------------------------------------------- dataset tokens


def test_token_round_trip_and_bins():
    va = np.array([0, 1, 1, 1], dtype=bool)
    f0b = np.array([3, 0, UNVOICED, 15])
    ib = np.array([2, 7, 0, 4])
    tok = encode(va, f0b, ib)
    assert tok[0] == 0 and tok.max() < VOCAB
    v2, f2, i2 = decode(tok)
    assert v2.tolist() == va.tolist()
    assert f2[1:].tolist() == [0, UNVOICED, 15] and i2[1:].tolist() == [7, 0, 4] and f2[0] == -1
    assert f0_bin(np.array([200.0, 200 * 2 ** (0.5 / 12), 200 * 2 ** (-8.5 / 12), np.nan]), 200.0).tolist() == [
        8, 8, 0, UNVOICED]
    assert intensity_bin(np.array([60.0, 47.0, 65.0]), 60.0).tolist() == [6, 0, INT_BINS - 1]
    f0c, dbc = bin_centres(SpeakerScale(200.0, 60.0))
    assert f0_bin(f0c, 200.0).tolist() == list(range(16))
    assert intensity_bin(dbc, 60.0).tolist() == list(range(INT_BINS))


def test_speaker_tokens_from_10ms_prosody():
    n = 400
    va = np.zeros(n, dtype=bool)
    va[100:300] = True
    f0 = np.where(va, 150.0, np.nan)
    f0[200:220] = np.nan  # an unvoiced stretch
    prosody = pd.DataFrame({"time": np.arange(n) / 100, "f0": f0, "intensity": np.where(va, 65.0, 30.0), "va": va})
    tok, scale = speaker_tokens(prosody)
    assert len(tok) == 200 and scale.f0_median == pytest.approx(150.0) and scale.db_median == pytest.approx(65.0)
    v, fb, _ = decode(tok)
    assert v.sum() == 100 and v[50:150].all()
    assert (fb[100:110] == UNVOICED).all() and (fb[v & (np.arange(200) < 100)] == 8).all()


def test_dataset_round_trip_with_ids_that_are_savez_arguments(tmp_path):
    """Dialogue ids such as `file` or `allow_pickle` name numpy's own arguments; they must round-trip."""
    from babbler.models.dataset import FrameData, load_dataset, save_dataset

    ids = ["file", "allow_pickle", "001"]
    tokens = {d: np.full((5 + i, 2), i, dtype=np.int16) for i, d in enumerate(ids)}
    scales = {d: (SpeakerScale(100.0 + i, 60.0), SpeakerScale(200.0, 55.0)) for i, d in enumerate(ids)}
    save_dataset(FrameData(tokens, scales, dict(zip(ids, ["train", "val", "test"]))), tmp_path / "f.npz",
                 tmp_path / "s.csv")
    back = load_dataset(tmp_path / "f.npz", tmp_path / "s.csv")
    assert back.ids() == sorted(ids) and back.split["001"] == "test"
    assert all(np.array_equal(back.tokens[d], tokens[d]) for d in ids)
    assert back.scales["allow_pickle"][0].f0_median == pytest.approx(101.0)


def test_dataset_without_prosody_keeps_the_va_and_one_speech_token(tmp_path):
    """dataset.prosody: false: the same voice activity, every speech frame the middle-bin token, scales kept."""
    from babbler.models.dataset import VA_ONLY_TOKEN, build_dataset, token_values

    rng = np.random.default_rng(0)
    files = {}
    for spk in "AB":
        n = 600
        va = np.repeat(rng.random(n // 20) < 0.5, 20)
        prosody = pd.DataFrame({"time": np.arange(n) / 100, "f0": np.where(va, rng.uniform(90, 250, n), np.nan),
                                "intensity": np.where(va, rng.uniform(50, 75, n), 30.0), "va": va})
        files[spk] = tmp_path / f"d.{spk}.parquet"
        prosody.to_parquet(files[spk])
    full = build_dataset({"d": (files["A"], files["B"])}, {"d": "train"})
    timing = build_dataset({"d": (files["A"], files["B"])}, {"d": "train"}, prosody=False)
    assert np.array_equal(full.tokens["d"] > 0, timing.tokens["d"] > 0)
    assert set(np.unique(timing.tokens["d"])) == {0, VA_ONLY_TOKEN} and len(np.unique(full.tokens["d"])) > 10
    assert timing.scales == full.scales
    _, f0, db = token_values(timing.tokens["d"][:, 0], timing.scales["d"][0])  # rendered at the speaker's medians
    speech = timing.tokens["d"][:, 0] > 0
    f0c, dbc = bin_centres(timing.scales["d"][0])
    assert np.allclose(f0[speech], f0c[8]) and np.allclose(db[speech], dbc[INT_BINS // 2])
    assert f0c[8] == pytest.approx(timing.scales["d"][0].f0_median * 2 ** (0.5 / 12))  # half a bin above the median
