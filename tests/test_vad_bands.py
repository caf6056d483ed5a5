"""The intensity VAD on what real speech has and babble lacks: unvoiced edges, and noise with a coloured spectrum."""

import numpy as np
import pandas as pd
import pytest
from scipy.signal import butter, sosfilt

from babbler.signal.prosody import first_pass
from babbler.signal.vad import (
    BAND_POWER_FLOOR,
    IntensityVadParams,
    band_levels,
    channel_coherence,
    common_gain_db,
    intensity_vad,
)
from babbler.timing.vad_accuracy import frame_scores
from babbler.va import ipu_track, runs, segments_to_frames
from tests.helpers import bursts

SR = 16000


def _va(ch_a: np.ndarray, ch_b: np.ndarray, bands: bool = True) -> dict[str, np.ndarray]:
    """Both channels' VA as the workflow's extraction takes it (Praat, coherence, and the bands unless told not)."""
    p = {"A": first_pass(ch_a, SR), "B": first_pass(ch_b, SR)}
    n = len(p["A"].vad_intensity)
    levels = {"A": band_levels(ch_a, SR, n), "B": band_levels(ch_b, SR, n)} if bands else None
    return intensity_vad({s: p[s].vad_intensity for s in "AB"}, {s: p[s].voiced for s in "AB"},
                         coherence=channel_coherence(ch_a, ch_b, SR, n), bands=levels)


@pytest.mark.parametrize(("sr", "n_bands"), [(16000, 6), (8000, 5), (44100, 6)])
def test_band_levels_put_a_tone_in_its_octave(sr, n_bands):
    t = np.arange(sr) / sr
    levels = band_levels(0.1 * np.sin(2 * np.pi * 900 * t), sr, 100)
    assert levels.shape == (100, n_bands)
    mid = levels[5:95]
    assert (mid.argmax(axis=1) == 2).all()  # 600–1200 Hz
    others = np.delete(mid, 2, axis=1)
    assert (mid[:, 2] - others.max(axis=1)).min() > 25  # the Hann window's leakage stays far below
    assert band_levels(np.zeros(sr), sr, 100).max() == pytest.approx(10 * np.log10(BAND_POWER_FLOOR))


def _fricative(n: int, segments: list[tuple[float, float]], rng: np.random.Generator, amp: float) -> np.ndarray:
    """Noise in the 3.5–7 kHz band (an /s/) at the given segments, of RMS `amp`."""
    sos = butter(6, [3500, 7000], btype="bandpass", fs=SR, output="sos")
    x = sosfilt(sos, rng.standard_normal(n))
    x *= amp / np.sqrt(np.mean(x**2))
    mask = np.zeros(n)
    for s, e in segments:
        mask[int(s * SR) : int(e * SR)] = 1.0
    return x * mask


# "so … yes": a vowel with an /s/ of 120 ms before it and one of 140 ms after it, per word
VOWELS_A = [(0.62, 1.0), (2.42, 2.8), (4.62, 5.1)]
SIBILANTS_A = [(0.5, 0.62), (1.0, 1.14), (2.3, 2.42), (2.8, 2.94), (4.5, 4.62), (5.1, 5.24)]
WORDS_A = [(0.5, 1.14), (2.3, 2.94), (4.5, 5.24)]
WORDS_B = [(1.5, 2.0), (3.4, 4.1), (5.8, 6.4)]


def _words_with_sibilants(vowels: list, sibilants: list, words_b: list, seed: int) -> dict[str, np.ndarray]:
    """The VA of 7 s of two close-talk channels: A's vowels with their /s/ at a quarter of the vowels' RMS, B's
    words, 5 % bleed each way and a faint noise floor."""
    rng = np.random.default_rng(seed)
    n = int(7 * SR)
    vowel = bursts(n, SR, vowels, 130.0, 0.2)
    ch_a = vowel + _fricative(n, sibilants, rng, 0.25 * np.sqrt(np.mean(vowel[vowel != 0] ** 2)))
    ch_b = bursts(n, SR, words_b, 220.0, 0.2)
    noise = 2e-4 * rng.standard_normal((2, n))
    return _va(ch_a + 0.05 * ch_b + noise[0], ch_b + 0.05 * ch_a + noise[1])


def test_unvoiced_edges_of_words_stay_in_their_ipus():
    """An /s/ at either end of a word is speech: the VA runs from its start to its end (the voicing rule reaches
    150 ms; at 50 ms it cut each word by 70 to 90 ms at either end)."""
    va = _words_with_sibilants(VOWELS_A, SIBILANTS_A, WORDS_B, seed=3)
    starts, ends = runs(va["A"])
    assert len(starts) == len(WORDS_A)
    for (s, e), a, b in zip(WORDS_A, starts, ends):
        assert abs(a / 100 - s) <= 0.03 and abs(b / 100 - e) <= 0.03, (s, e, a / 100, b / 100)
    assert not va["A"][np.r_[int(1.3 * 100) : int(2.2 * 100)]].any()  # B's words are not A's


SEG_A = [(0.5, 1.7), (2.0, 3.1), (6.0, 7.2), (8.5, 9.0)]
SEG_B = [(3.4, 5.6), (6.8, 8.0), (9.5, 10.5)]


DIP_DB = 20.0  # a syllable's level swings


def _with_hum(snr_db: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Two close-talk channels of harmonic bursts whose level swells and fades as syllables do, under 50 Hz
    mains hum (odd harmonics to 350 Hz) `snr_db` below each channel's power, and their true VA."""
    rng = np.random.default_rng(seed)
    n = int(11 * SR)
    t = np.arange(n) / SR
    syllables = 10 ** (-DIP_DB * (0.5 - 0.5 * np.cos(2 * np.pi * 3.0 * t)) / 20)  # dips three times a second
    a = bursts(n, SR, SEG_A, 150.0, 0.2) * syllables
    b = bursts(n, SR, SEG_B, 240.0, 0.2) * syllables
    hum = sum(np.sin(2 * np.pi * 50 * k * t + rng.uniform(0, 6.3)) / k for k in (1, 3, 5, 7))
    chans = []
    for own, other in ((a, b), (b, a)):
        x = own + 0.03 * other + 2e-4 * rng.standard_normal(n)
        chans.append(x + hum * np.sqrt(np.mean(x**2) / np.mean(hum**2) / 10 ** (snr_db / 10)))
    ref = pd.DataFrame([("A", s, e) for s, e in SEG_A] + [("B", s, e) for s, e in SEG_B],
                       columns=["speaker", "start", "end"])
    return chans[0], chans[1], {s: ipu_track(segments_to_frames(ref, s, 1100)) for s in "AB"}


def test_mains_hum_is_measured_in_its_own_bands():
    """Hum as loud as the speech fills the low bands only: band by band the syllables' dips stay speech (F1 ≥
    0.95 for both speakers, every word one IPU), where the broadband level loses most of them under the hum."""
    ch_a, ch_b, ref = _with_hum(0.0)
    va, broadband = _va(ch_a, ch_b), _va(ch_a, ch_b, bands=False)
    for s in "AB":
        assert frame_scores(va[s][:1100], ref[s])["f1"] >= 0.95
        assert len(runs(va[s])[0]) == len(runs(ref[s])[0])
    assert max(frame_scores(broadband[s][:1100], ref[s])["f1"] for s in "AB") < 0.6


def test_a_noise_both_microphones_hear_does_not_lengthen_an_ipu():
    """A burst of broadband noise heard alike on both channels right after a word is not the talker's unvoiced
    sound: the word's IPU ends within 80 ms of its voicing (with a 150 ms reach for any unvoiced sound, it ran
    150 ms on)."""
    rng = np.random.default_rng(5)
    n = int(7 * SR)
    ch_a = bursts(n, SR, VOWELS_A, 130.0, 0.2)
    ch_b = bursts(n, SR, WORDS_B, 220.0, 0.2)
    door = np.zeros(n)  # a door, a chair: 400 ms of noise after each word, in both microphones
    for _, e in VOWELS_A:
        door[int(e * SR) : int((e + 0.4) * SR)] = 0.25 * np.sqrt(np.mean(ch_a[ch_a != 0] ** 2))
    room = door * rng.standard_normal((2, n))
    floor = 2e-4 * rng.standard_normal((2, n))
    va = _va(ch_a + 0.05 * ch_b + room[0] + floor[0], ch_b + 0.05 * ch_a + room[1] + floor[1])
    starts, ends = runs(va["A"])
    assert len(ends) == len(VOWELS_A)
    for (_, e), end in zip(VOWELS_A, ends):
        assert end / 100 - e <= 0.08, (e, end / 100)


def test_an_sibilant_after_a_closure_stays_in_its_word():
    """ "… it's": a vowel, a 50 ms closure, then a 90 ms /s/. The /s/ is a run of its own without voicing, yet it
    belongs to its word's IPU (which ends within 30 ms of the /s/); dropped as a run of too little voicing, the IPU
    ended 140 ms early. The same run while the partner talks is not taken as this talker's."""
    vowels, sibilants = [(0.6, 1.0), (2.4, 2.8), (4.6, 5.0)], [(1.05, 1.14), (2.85, 2.94), (5.05, 5.14)]
    words_b = [(1.6, 2.1), (3.5, 4.2), (5.0, 5.6)]  # B starts as A's last vowel ends
    va = _words_with_sibilants(vowels, sibilants, words_b, seed=11)
    starts, ends = runs(va["A"])
    assert len(ends) == len(vowels)
    for (_, e), end in zip(sibilants[:2], ends[:2]):
        assert abs(end / 100 - e) <= 0.03, (e, end / 100)
    assert ends[2] / 100 <= 5.05  # under B's voicing, the /s/ is not A's


def test_mains_hum_louder_than_the_speech_is_not_taken_for_other_talkers():
    """Hum 5 dB above the speech makes both channels coherent in every frame, and a syllable's dip rises little
    over it in the broadband level. Hum is stationary: it does not lift the partner's channel over its floor, so
    the shared-source rule leaves the dips alone (F1 ≥ 0.95 for both speakers; 0.92–0.93 when it took them)."""
    ch_a, ch_b, ref = _with_hum(-5.0)
    va = _va(ch_a, ch_b)
    for s in "AB":
        assert frame_scores(va[s][:1100], ref[s])["f1"] >= 0.95
        assert len(runs(va[s])[0]) == len(runs(ref[s])[0])


def test_a_weak_stretch_under_stationary_noise_does_not_split_the_word():
    """Stationary noise 20 dB under a word's loud parts; a 300 ms stretch between them lies 2 dB above the noise
    (a frame's excess of about 4 dB, below the 5 dB the hysteresis holds on to). Averaged over 50 ms the stretch
    rises well above what the noise's own frames reach, so the word is one IPU; a real 300 ms pause under the same
    noise still divides its word."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(7)
    n = int(10 * SR)
    loud = [(1.0, 1.4), (1.7, 2.1), (4.0, 4.4), (4.7, 5.1)]
    weak = [(1.4, 1.7)]  # within the first word; the second word has a silence in its place
    word = bursts(n, SR, loud, 140.0, 0.2)
    ch_a = word + bursts(n, SR, weak, 140.0, 0.2 * 10 ** (-18 / 20))
    ch_b = bursts(n, SR, [(7.0, 8.0)], 230.0, 0.2)
    pink = lfilter([1.0], [1.0, -0.95], rng.standard_normal((2, n)), axis=1)
    pink *= np.sqrt(np.mean(word[word != 0] ** 2) / np.mean(pink**2)) * 10 ** (-20 / 20)
    va = _va(ch_a + 0.03 * ch_b + pink[0], ch_b + 0.03 * ch_a + pink[1])
    starts, ends = runs(va["A"])
    assert len(starts) == 3, list(zip(starts / 100, ends / 100))
    assert abs(starts[0] / 100 - 1.0) <= 0.03 and abs(ends[0] / 100 - 2.1) <= 0.03
    assert abs(ends[1] / 100 - 4.4) <= 0.03 and abs(starts[2] / 100 - 4.7) <= 0.03


# B holds the floor in long turns; other talkers in the room murmur throughout, and one of them says a syllable in
# each of B's pauses and in the middle of each of B's turns, 14 dB under A's and B's loudest
TURNS_A = [(0.5, 2.5), (17.0, 19.0)]
TURNS_B = [(3.0, 6.5), (6.8, 10.3), (10.6, 14.1), (14.4, 16.5)]
ROOM_IN_PAUSES = [(6.52, 6.78), (10.32, 10.58), (14.12, 14.38)]
ROOM_IN_TURNS = [(4.0, 4.25), (8.5, 8.75), (12.0, 12.25)]


def _room_and_talkers(seed: int, gain_b_db: float) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Both channels' VA and true VA of 23 s (the last 4 without A or B): A's and B's syllables (25 dB dips, 3 a second) with 3 % bleed each
    way, and other talkers in the room heard alike on both channels, `gain_b_db` louder in B's."""
    rng = np.random.default_rng(seed)
    n = 23 * SR
    t = np.arange(n) / SR
    syllables = 10 ** (-25 * (0.5 - 0.5 * np.cos(2 * np.pi * 3.0 * t)) / 20)
    a = bursts(n, SR, TURNS_A, 140.0, 0.2) * syllables
    b = bursts(n, SR, TURNS_B, 225.0, 0.2) * syllables
    room = bursts(n, SR, ROOM_IN_PAUSES + ROOM_IN_TURNS, 190.0, 0.04)
    for f0, phase in ((105.0, 0.0), (170.0, 3.0), (260.0, 6.0)):  # the murmur: three talkers, ~27 dB under A and B
        room += 0.006 * bursts(n, SR, [(0.0, 23.0)], f0, 1.0) * (0.6 + 0.4 * np.sin(2 * np.pi * 2.1 * t + phase))
    ch_a = a + 0.03 * b + room + 2e-4 * rng.standard_normal(n)
    ch_b = b + 0.03 * a + 10 ** (gain_b_db / 20) * room + 2e-4 * rng.standard_normal(n)
    ref = pd.DataFrame([("A", *x) for x in TURNS_A] + [("B", *x) for x in TURNS_B], columns=["speaker", "start", "end"])
    return _va(ch_a, ch_b), {s: ipu_track(segments_to_frames(ref, s, 2300)) for s in "AB"}


@pytest.mark.parametrize("gain_b_db", [3.0, -4.0])
def test_other_talkers_heard_alike_are_neither_turns_nor_overlaps(gain_b_db):
    """A syllable of another talker in B's pause reaches A's channel 3 dB louder (or 4 dB softer) than B's. Both
    channels' sliding floors follow their talkers, B's raised by B's long turns, so A's rise over its floor exceeded
    B's by more than 3 dB and A got an IPU in each pause: A's speech against B's must exceed the shared source's
    own level ratio, which the murmur's frames measure to a tenth of a dB. In the middle of B's turns the channels
    are no longer coherent, and the syllables passed for A's overlaps until their level gave them away: no louder
    than the shared source gets in A's channel. A's VA is its two turns alone, B's its four. (The murmur's frames
    300 ms or more from any onset measure the ratio: the last 4 s, where neither talks.)"""
    va, ref = _room_and_talkers(seed=3, gain_b_db=gain_b_db)
    starts, ends = runs(va["A"][:2300])
    assert len(starts) == 2, list(zip(starts / 100, ends / 100))
    assert frame_scores(va["A"][:2300], ref["A"])["precision"] >= 0.98
    assert len(runs(va["B"][:2300])[0]) == 4
    assert frame_scores(va["B"][:2300], ref["B"])["recall"] >= 0.95


def test_common_gain_is_the_shared_sources_level_ratio():
    """A source both channels carry alike, 4 dB louder in A's, and A's talk, whose weak frames around each onset
    reach B's channel by cross-talk 15 dB down (coherent too): the level ratio is the shared source's, from the
    coherent frames away from any onset; nothing where the channels are never coherent or always near an onset."""
    rng = np.random.default_rng(2)
    n = 6000
    level = 40 + 6 * np.sin(np.arange(n) / 30) + rng.normal(0, 2, n)
    own, partner, own_rise = level + 4.0, level.copy(), np.zeros(n)
    for start in range(0, n, 600):  # A talks 3.6 s of every 6: loud, with weak edges of 300 ms
        own_rise[start + 30 : start + 330] = 25.0
        own[start : start + 360] = 60.0
        partner[start : start + 360] = 45.0
    coherent, p = np.ones(n), IntensityVadParams()
    assert np.median(own - partner) == pytest.approx(15.0)  # most coherent frames are the cross-talk's
    assert common_gain_db(own, partner, own_rise, np.zeros(n), coherent, p) == pytest.approx(4.0)
    assert common_gain_db(own, partner, own_rise, np.zeros(n), 0.3 * coherent, p) is None
    assert common_gain_db(own, partner, np.full(n, 20.0), np.zeros(n), coherent, p) is None
