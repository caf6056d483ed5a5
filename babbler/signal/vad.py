"""Voice activity of both speakers of a dialogue: intensity with a cross-talk guard, silero, or reference.

The intensity VAD asks, per 10 ms frame, how far a channel's level rises above what its own noise floor and its
partner's bleed explain. The floor is a low percentile over a sliding 4 s window (it follows automatic gain control
and a noise that changes within a recording); the bleed is the partner's level as it reaches this channel through a
delay and a reverberant room, times a coupling estimated per channel. Given both channels' octave-band levels, it
asks this in every band and pools the bands' power ratios, so that a noise with a coloured spectrum (hum, rumble) is
measured where it lies. Speech must lie near voicing (noise bursts are not speech): within 50 ms of a voiced frame,
or within 150 ms where the sound rises far more in this channel than in the partner's (the unvoiced fricatives,
aspiration and plosive bursts at an IPU's edges); an IPU (runs less than 200 ms apart) must hold some voicing, so an
/s/ after a stop's closure stays in its word. A run lasts while its excess holds above a lower threshold, or, under a
stationary noise, while its mean over 50 ms rises above what the channel's quiet frames reach: weak speech there is a
steady rise of a few dB. A source both channels carry alike (other talkers) is not speech where it rises above the
partner's floor too; a stationary one (hum) lies in the floors. `bench/bench_vad_robustness.py` measures it under
the conditions of real recordings, with real phonetic speech (`--voice festival`) as well as the project's babble.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d

from babbler.va import VA_RATE, bridge_pauses, ipu_track, runs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntensityVadParams:
    """Thresholds of the intensity VAD, in dB above what noise and partner bleed explain (frames are 10 ms)."""

    on_db: float = 10.0  # a run starts where the level exceeds the explained level by this much
    off_db: float = 5.0  # … and lasts while it exceeds it by this much (hysteresis), or while (`speech_runs`)
    off_smoothing: int = 5  # … its `edge_mean` over this many frames on either side exceeds
    off_quiet_percentile: float = 99.9  # … this percentile of that mean over the channel's quiet frames,
    off_quiet_reach: int = 30  # … those this many frames or more from any onset,
    off_quiet_margin_db: float = 0.5  # … by this margin, where that lies below off_db (under a stationary noise weak
    # speech is a steady rise of a few dB: `bench_vad_robustness.py --voice festival`)
    noise_percentile: float = 5.0  # of the level within the sliding window: the local noise floor
    floor_window: int = 400  # frames (4 s) of the sliding window the noise floor is taken over
    floor_hop: int = 50  # frames between two floor estimates (linear interpolation between them)
    max_floor_rise_db: float = 20.0  # the floor stays within this of the recording's own (a talker who fills a window)
    min_voiced_frames: int = 3  # an IPU (speech runs < 200 ms apart) must hold some voicing (drops clicks, coughs,
    # noise bursts); a run with less is kept only within such an IPU, and not where the partner is voiced
    voicing_reach: int = 5  # … and every speech frame lies within this many frames of a voiced one, or within
    unvoiced_reach: int = 15  # … this many where the channel rises this much more above its floor than its partner's
    unvoiced_dominance_db: float = 6.0  # (an IPU's fricatives, aspiration and bursts are its talker's alone; a noise
    # in the room reaches both microphones: `bench/bench_vad_robustness.py --voice festival`)
    min_dynamic_db: float = 10.0  # a channel whose level never rises this far above its floor is silent
    bleed_reach: int = 40  # frames (400 ms) the partner's level is heard for: delay and room reverberation
    bleed_decay_db: float = 1.5  # dB per frame the heard partner level decays by (RT60 of about 0.4 s)
    bleed_cluster_db: float = 20.0  # the coupling: median of own − heard partner level (of its lowest 20 dB)
    bleed_evidence_db: float = 3.0  # a loud partner frame shows bleed where own level is this far above its floor
    bleed_evidence_share: float = 0.5  # … and the coupling is estimated only if at least this share of them do
    bleed_margin_db: float = 3.0  # bleed fluctuates around its coupling: the explained level allows for it
    max_bleed_db: float = -6.0  # a close-talk channel never carries its partner within 6 dB of the partner
    common_coherence: float = 0.9  # both channels this correlated (within the lag below) carry one shared source …
    common_dominance_db: float = 3.0  # … which is this channel's speech only if it is this much louder against
    # the partner's than the shared source is (`common_gain_db`; where that cannot be measured, if it rises this much
    # more above its floor), …
    common_event_db: float = 2.0  # … where the shared source lifts the partner's channel this far above its floor
    # (other talkers, a door); a stationary one such as mains hum lies in the floors already
    common_loud_percentile: float = 99.0  # how loud the shared source gets in a channel: this percentile of its level
    # over the frames the rule above takes for it (`drop_shared_level_ipus`)
    coherence_max_lag_s: float = 0.001  # lags the shared-source correlation is searched over
    coherence_frames: int = 3  # frames (30 ms) each correlation is taken over


@dataclass
class ChannelLevels:
    """Estimates for one channel: its noise floor per frame and how much of the partner bleeds in."""

    noise_db: np.ndarray
    heard_db: np.ndarray  # the partner's level as it reaches this channel, up to the coupling (see heard_partner)
    bleed_db: float  # heard_db + bleed_db = the partner's level as heard in this channel

    @property
    def noise_median_db(self) -> float:
        """The noise floor's median over the recording (for the log)."""
        return float(np.median(self.noise_db))


def _power_sum(*levels_db: np.ndarray) -> np.ndarray:
    """Level of the sum of incoherent sources given their levels in dB."""
    return 10 * np.log10(sum(10 ** (np.asarray(x) / 10) for x in levels_db))


def sliding_floor(level: np.ndarray, p: IntensityVadParams) -> np.ndarray:
    """Noise floor per frame: a low percentile of the level within a centred window, so that it follows slow gain
    changes and a noise that changes within the recording (every `floor_hop` frames, interpolated), at most
    `max_floor_rise_db` above the same percentile of the whole recording (a window its talker fills is not noise)."""
    n = len(level)
    if n == 0:
        return level.astype(float)
    half = p.floor_window // 2
    centres = np.arange(0, n, p.floor_hop)
    values = [np.percentile(level[max(0, c - half) : c + half + 1], p.noise_percentile) for c in centres]
    cap = np.percentile(level, p.noise_percentile) + p.max_floor_rise_db
    return np.minimum(np.interp(np.arange(n), centres, values), cap)


def heard_partner(partner: np.ndarray, p: IntensityVadParams) -> np.ndarray:
    """The partner's level as it reaches this channel up to an unknown gain: the loudest of its last `bleed_reach`
    frames, each decayed by `bleed_decay_db` per frame of age (covers the path's delay and the room's reverberation)."""
    out = np.asarray(partner, dtype=float).copy()
    for k in range(1, min(p.bleed_reach, len(out) - 1) + 1):
        out[k:] = np.maximum(out[k:], partner[:-k] - p.bleed_decay_db * k)
    return out


def _iqr(x: np.ndarray) -> float:
    """Interquartile range."""
    q75, q25 = np.percentile(x, [75, 25])
    return float(q75 - q25)


def estimate_levels(own: np.ndarray, partner: np.ndarray, p: IntensityVadParams, own_floor: np.ndarray,
                    partner_floor: np.ndarray) -> ChannelLevels:
    """The heard partner and the bleed coupling: the typical own − heard partner level over the frames where the
    partner is loud and this channel rises above its floor (none when few of them rise: the bleed is under the
    noise, or the partner's level is noise that both channels share). The partner is heard in absolute levels, or
    relative to both channels' floors where that gives the tighter coupling (independent gain changes)."""
    heard = heard_partner(partner, p)
    above = partner - partner_floor
    loud = above >= np.percentile(above, 80)
    evidence = loud & (own - own_floor > p.bleed_evidence_db)
    if loud.sum() < 10 or evidence.sum() < p.bleed_evidence_share * loud.sum():
        return ChannelLevels(own_floor, heard, -120.0)
    heard_rel = own_floor + heard_partner(above, p)
    raw, rel = (own - heard)[evidence], (own - heard_rel)[evidence]
    relative = _iqr(rel) < _iqr(raw) - 2.0
    diff = rel if relative else raw
    # Bleed is the low cluster of own − partner (own speech in overlap lies above it): the median of all values
    # where that cluster (within `bleed_cluster_db` of the 5th percentile) holds most of them, else the cluster's
    # own median (this channel talks through most of its partner's speech). The cap keeps own speech from passing
    # for bleed where a recording has no bleed-only frames at all.
    cluster = diff <= np.percentile(diff, 5.0) + p.bleed_cluster_db
    coupling = np.median(diff[cluster] if cluster.mean() < 0.5 else diff)
    return ChannelLevels(own_floor, heard_rel if relative else heard, float(min(coupling, p.max_bleed_db)))


def excess_db(own: np.ndarray, partner: np.ndarray, p: IntensityVadParams, own_floor: np.ndarray | None = None,
              partner_floor: np.ndarray | None = None) -> tuple[np.ndarray, ChannelLevels]:
    """The cross-talk guard: how far a channel's level rises above what its noise floor and its partner's bleed
    explain (dB per frame), with the levels it estimated (floors computed here unless given)."""
    own_floor = sliding_floor(own, p) if own_floor is None else own_floor
    partner_floor = sliding_floor(partner, p) if partner_floor is None else partner_floor
    lv = estimate_levels(own, partner, p, own_floor, partner_floor)
    # the margin allows for the bleed's spread, never beyond the cap (which is itself the most a partner can bleed)
    bleed = min(lv.bleed_db + p.bleed_margin_db, p.max_bleed_db)
    return own - _power_sum(lv.noise_db, lv.heard_db + bleed), lv


def channel_coherence(x: np.ndarray, y: np.ndarray, sample_rate: int, n: int,
                      p: IntensityVadParams = IntensityVadParams()) -> np.ndarray:
    """How alike the two channels are per 10 ms frame: the largest normalised cross-correlation within
    ±`coherence_max_lag_s` over `coherence_frames` frames (1 for one source heard in both, 0 for two talkers)."""
    starts = np.round(np.arange(n) * sample_rate / VA_RATE).astype(int)
    total = int(round(n * sample_rate / VA_RATE))
    lag = max(1, int(round(p.coherence_max_lag_s * sample_rate)))
    x = np.pad(np.asarray(x[:total], np.float32), (0, max(0, total - len(x))))
    y = np.pad(np.asarray(y[:total], np.float32), (lag, lag + max(0, total - len(y))))
    window = np.ones(p.coherence_frames, np.float32)

    def framed(v: np.ndarray) -> np.ndarray:
        return np.convolve(np.add.reduceat(v, starts), window, "same")

    energy = framed(x * x) * framed(y[lag : lag + total] ** 2)
    best = np.zeros(n, np.float32)
    for k in range(-lag, lag + 1):
        best = np.maximum(best, np.abs(framed(x * y[lag + k : lag + k + total])))
    return best / np.sqrt(energy + 1e-20)


BAND_EDGES_HZ = (150.0, 300.0, 600.0, 1200.0, 2400.0, 4800.0, 8000.0)  # octave bands of the whitened excess
BAND_POWER_FLOOR = 1e-11  # per band and frame (about −110 dB re full scale): digital silence is not −∞
BAND_BLOCK = 8192  # frames transformed at a time (bounded memory on hour-long channels)


def band_levels(samples: np.ndarray, sample_rate: int, n: int, edges: tuple[float, ...] = BAND_EDGES_HZ) -> np.ndarray:
    """Level in dB of each 10 ms frame in the octave bands between `edges` that lie below 0.95 × Nyquist
    (n × bands): a 20 ms Hann window centred on the frame, as the frames' other measures are."""
    hop = sample_rate / VA_RATE
    win = 2 * int(round(hop))
    top = min(edges[-1], 0.95 * sample_rate / 2)  # the top band ends where the signal's band does
    edges = (*(e for e in edges if e < top), top)
    freqs = np.fft.rfftfreq(win, 1.0 / sample_rate)
    bins = [np.flatnonzero((freqs >= lo) & (freqs < hi)) for lo, hi in zip(edges[:-1], edges[1:])]
    x = np.asarray(samples, dtype=np.float64)
    out = np.full((n, len(bins)), BAND_POWER_FLOOR)
    if len(x) == 0:
        return 10 * np.log10(out)
    centres = np.round((np.arange(n) + 0.5) * hop).astype(int)
    offsets, window = np.arange(-(win // 2), win // 2), np.hanning(win)
    for a in range(0, n, BAND_BLOCK):  # samples beyond either end count as zeros (no padded copy of the channel)
        idx = centres[a : a + BAND_BLOCK, None] + offsets[None, :]
        frames = np.where((idx >= 0) & (idx < len(x)), x[np.clip(idx, 0, len(x) - 1)], 0.0) * window
        power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
        out[a : a + BAND_BLOCK] = np.stack([power[:, b].sum(axis=1) for b in bins], axis=1)
    return 10 * np.log10(np.maximum(out, BAND_POWER_FLOOR))


def whitened_excess(own: np.ndarray, partner: np.ndarray, broadband: np.ndarray, p: IntensityVadParams,
                    own_floors: np.ndarray | None = None, partner_floors: np.ndarray | None = None) -> np.ndarray:
    """The cross-talk guard in every band (`band_levels` of both channels), pooled as the mean of the bands'
    power ratios over what noise and bleed explain there, on the scale of the `broadband` excess.

    A noise with a coloured spectrum (hum, rumble, fans) is measured against its own level in each band, so speech
    shows wherever the noise leaves room for it. A band's level fluctuates more than the whole spectrum's, most of
    all under other talkers, so the pooled excess is shifted to have the broadband excess's median over the frames
    the broadband excess finds quiet (below the off threshold): the thresholds keep their meaning. The bands'
    noise floors (`band_floors`) are computed here unless given."""
    own_floors = band_floors(own, p) if own_floors is None else own_floors
    partner_floors = band_floors(partner, p) if partner_floors is None else partner_floors
    n = min(len(own), len(broadband))
    ex = [excess_db(own[:n, k], partner[:n, k], p, own_floors[:n, k], partner_floors[:n, k])[0]
          for k in range(own.shape[1])]
    pooled = _power_sum(*ex) - 10 * np.log10(len(ex))  # the mean of the bands' power ratios, in dB
    quiet = broadband[:n] < p.off_db
    if quiet.sum() >= p.floor_window // 4:  # a second of quiet frames at least; else leave the scale as it is
        pooled -= np.median(pooled[quiet]) - np.median(broadband[:n][quiet])
    return pooled


def band_floors(levels: np.ndarray, p: IntensityVadParams) -> np.ndarray:
    """The sliding noise floor of each band of `band_levels` (frames × bands)."""
    return np.stack([sliding_floor(levels[:, k], p) for k in range(levels.shape[1])], axis=1)


def near_voicing(voiced: np.ndarray, reach: int) -> np.ndarray:
    """Frames within `reach` frames of a voiced frame."""
    return maximum_filter1d(np.asarray(voiced, dtype=np.uint8), size=2 * reach + 1) > 0


def hysteresis(score: np.ndarray, on: float, off: float, extra: np.ndarray | None = None) -> np.ndarray:
    """Runs where `score` stays above `off` (or `extra` holds) and somewhere exceeds `on`."""
    candidate = score > off if extra is None else (score > off) | extra
    out = np.zeros_like(candidate)
    for s, e in zip(*runs(candidate)):
        if (score[s:e] > on).any():
            out[s:e] = True
    return out


def edge_mean(level_db: np.ndarray, w: int) -> np.ndarray:
    """The lesser of the mean power over the `w` frames ending at each frame and the `w` frames starting there (dB):
    smooths within a stretch and carries no loud stretch across its edge."""
    n = len(level_db)
    power = np.concatenate([[0.0], np.cumsum(10 ** (np.asarray(level_db, dtype=np.float64) / 10))])
    i = np.arange(n)
    before = (power[i + 1] - power[np.maximum(i + 1 - w, 0)]) / np.minimum(i + 1, w)
    after = (power[np.minimum(i + w, n)] - power[i]) / np.minimum(n - i, w)
    return 10 * np.log10(np.maximum(np.minimum(before, after), 1e-12))


def speech_runs(excess: np.ndarray, p: IntensityVadParams) -> np.ndarray:
    """Hysteresis on a channel's excess, whose runs also last where its `edge_mean` rises above what the channel's
    quiet frames reach, where that is below `off_db` (a stationary noise, whose mean excess barely moves)."""
    quiet = maximum_filter1d((excess > p.on_db).astype(np.uint8), size=2 * p.off_quiet_reach + 1) == 0
    if quiet.sum() < p.floor_window // 4:  # a second of quiet frames at least
        return hysteresis(excess, p.on_db, p.off_db)
    smooth = edge_mean(excess, p.off_smoothing)
    off = np.percentile(smooth[quiet], p.off_quiet_percentile) + p.off_quiet_margin_db
    return hysteresis(excess, p.on_db, p.off_db, smooth > off if off < p.off_db else None)


def common_gain_db(own: np.ndarray, partner: np.ndarray, own_rise: np.ndarray, partner_rise: np.ndarray,
                   coherence: np.ndarray, p: IntensityVadParams) -> float | None:
    """How much louder a source both channels carry alike is in this channel than in the partner's (dB): the median
    level difference over coherent frames `off_quiet_reach` frames or more from any onset in either channel (None
    under a second of them).

    A shared source reaches the two microphones with fixed gains, so in its frames the level difference barely
    moves, while each channel's sliding floor follows its own talker and drifts by tens of dB. Frames near an onset
    are left out: there the coherent source may be one talker's weak speech carried into the other channel by
    cross-talk, whose level ratio is the cross-talk's, not a shared source's."""
    onset = (own_rise >= p.on_db) | (partner_rise >= p.on_db)
    far = maximum_filter1d(onset.astype(np.uint8), size=2 * p.off_quiet_reach + 1) == 0
    m = (coherence > p.common_coherence) & far
    if m.sum() < p.floor_window // 4:
        return None
    return float(np.median((own - partner)[m]))


def drop_shared_level_ipus(speech: np.ndarray, own: np.ndarray, shared: np.ndarray, partner_voiced: np.ndarray,
                           p: IntensityVadParams) -> np.ndarray:
    """`speech` less its would-be IPUs (runs < 200 ms apart) that lie mostly where the partner is voiced and never
    rise `common_dominance_db` above what the shared source reaches in this channel (its `common_loud_percentile`
    over the `shared` frames; a second of them at least).

    While the partner talks, the partner's channel is the partner's and no longer coherent with this one, so other
    talkers in the room pass the shared-source rule there and become overlaps, unless their level gives them away."""
    if shared.sum() < p.floor_window // 4:
        return speech
    loud = np.percentile(own[shared], p.common_loud_percentile) + p.common_dominance_db
    out = speech.copy()
    for s, e in zip(*runs(bridge_pauses(speech))):
        if partner_voiced[s:e].mean() >= 0.5 and own[s:e].max() < loud:
            out[s:e] = False
    return out


def voiced_ipus(speech: np.ndarray, voiced: np.ndarray, partner_voiced: np.ndarray,
                p: IntensityVadParams) -> np.ndarray:
    """`speech` less its would-be IPUs (runs < 200 ms apart) with fewer than `min_voiced_frames` voiced frames, and
    less its runs of so little voicing that lie mostly where the partner is voiced (an /s/ after a closure belongs
    to its word; a noise during the partner's talk is not this talker's)."""
    out, n = speech.copy(), len(speech)
    voiced = np.pad(np.asarray(voiced[:n], dtype=bool), (0, max(0, n - len(voiced))))
    partner_voiced = np.pad(np.asarray(partner_voiced[:n], dtype=bool), (0, max(0, n - len(partner_voiced))))
    for s, e in zip(*runs(bridge_pauses(speech))):
        if (voiced[s:e] & speech[s:e]).sum() < p.min_voiced_frames:
            out[s:e] = False
    for s, e in zip(*runs(speech)):
        if voiced[s:e].sum() < p.min_voiced_frames and partner_voiced[s:e].mean() >= 0.5:
            out[s:e] = False
    return out


def intensity_vad(
    intensity: dict[str, np.ndarray], voiced: dict[str, np.ndarray], p: IntensityVadParams = IntensityVadParams(),
    name: str = "", coherence: np.ndarray | None = None, bands: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """VA of speakers A and B from both channels' intensity and voicing (partner bleed is not speech; nor is a
    source both channels carry alike, such as other talkers in the room, where `coherence` is given), the excess
    taken band by band where both channels' `band_levels` are given."""
    floors = {s: sliding_floor(intensity[s], p) for s in ("A", "B")}
    floors_by_band = {s: band_floors(bands[s], p) for s in ("A", "B")} if bands is not None else {}
    near = {s: near_voicing(voiced[s], p.voicing_reach) for s in ("A", "B")}
    excess, silent = {}, set()
    for spk, other in (("A", "B"), ("B", "A")):
        own, partner = intensity[spk], intensity[other]
        levels = [own] if bands is None else [own, *bands[spk].T]  # silent: in no band does it rise
        if all(np.percentile(x, 99) - np.percentile(x, p.noise_percentile) < p.min_dynamic_db for x in levels):
            log.warning("%s: channel %s never rises %.0f dB above its floor%s; taken as silent", name, spk,
                        p.min_dynamic_db, "" if bands is None else " in any band")
            silent.add(spk)
        excess[spk], lv = excess_db(own, partner, p, floors[spk], floors[other])
        log.info("%s: channel %s noise floor median %.1f dB (range %.1f–%.1f), partner bleed %+.1f dB", name, spk,
                 lv.noise_median_db, lv.noise_db.min(), lv.noise_db.max(), lv.bleed_db)
        if bands is not None:  # the excess band by band, where the noise leaves room for speech
            whitened = whitened_excess(bands[spk], bands[other], excess[spk], p, floors_by_band[spk],
                                       floors_by_band[other])
            excess[spk] = np.concatenate([whitened, np.full(len(own) - len(whitened), -np.inf)])
    out = {}
    for spk, other in (("A", "B"), ("B", "A")):
        own, partner = intensity[spk], intensity[other]
        if spk in silent:
            out[spk] = np.zeros(len(own), dtype=bool)
            continue
        # an unvoiced sound is this talker's where it rises far more in this channel than in the partner's, unless
        # the partner talks there (the rise in the partner's channel is then the partner's own)
        partner_noise = np.where(near[other][: len(own)], 0.0, np.maximum(excess[other][: len(own)], 0.0))
        own_sound = excess[spk] - partner_noise
        reach = near[spk] | (near_voicing(voiced[spk], p.unvoiced_reach) & (own_sound >= p.unvoiced_dominance_db))
        speech = speech_runs(excess[spk], p) & reach
        if coherence is not None:
            m = min(len(speech), len(coherence))
            own_rise, partner_rise = (own - floors[spk])[:m], (partner - floors[other])[:m]
            gain = common_gain_db(own[:m], partner[:m], own_rise, partner_rise, coherence[:m], p)
            dominance = own_rise - partner_rise if gain is None else own[:m] - partner[:m] - gain
            shared = (coherence[:m] > p.common_coherence) & (dominance < p.common_dominance_db)
            events = shared & (partner_rise >= p.common_event_db)  # an event: a stationary source is no one's
            speech[:m] &= ~events
            if gain is not None:  # while the partner talks, coherence cannot tell: the shared source's level can
                speech[:m] = drop_shared_level_ipus(speech[:m], own[:m], events, near[other][:m], p)
        out[spk] = ipu_track(voiced_ipus(speech, voiced[spk], near[other], p))
    return out


def silero_vad(
    samples: dict[str, np.ndarray], sample_rate: int, intensity: dict[str, np.ndarray], n: int,
    threshold: float = 0.5, name: str = "",
) -> dict[str, np.ndarray]:
    """VA per channel from the silero-vad model shipped in its wheel, gated by the intensity cross-talk guard."""
    import warnings

    import librosa
    import torch
    from silero_vad import load_silero_vad

    with warnings.catch_warnings():  # the package's own deprecated resource/JIT loading
        warnings.simplefilter("ignore", DeprecationWarning)
        model = load_silero_vad()
    guard_params = IntensityVadParams()
    floors = {s: sliding_floor(intensity[s], guard_params) for s in ("A", "B")}
    out = {}
    for spk, other in (("A", "B"), ("B", "A")):
        y = samples[spk].astype(np.float32)
        if sample_rate not in (8000, 16000):
            y = librosa.resample(y, orig_sr=sample_rate, target_sr=16000, res_type="soxr_hq")
        sr = sample_rate if sample_rate in (8000, 16000) else 16000
        with torch.no_grad():
            probs = model.audio_forward(torch.from_numpy(y), sr).squeeze(0).numpy()
        chunk = 512 if sr == 16000 else 256  # samples per model step (32 ms)
        centres = (np.arange(n) + 0.5) / VA_RATE
        p_frames = probs[np.clip((centres * sr / chunk).astype(int), 0, len(probs) - 1)]
        speech = hysteresis(p_frames, threshold, threshold - 0.15)
        excess = excess_db(intensity[spk], intensity[other], guard_params, floors[spk], floors[other])[0]
        speech &= excess > guard_params.off_db  # not bleed
        out[spk] = ipu_track(speech)
        log.info("%s: silero VA on channel %s: %.1f%% of frames", name, spk, 100 * speech.mean())
    return out
