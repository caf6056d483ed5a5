"""The embedded `demo` corpus: seeded two-party dialogues with human-like turn-taking, rendered as babble."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from babbler.corpora.common import Corpus, write_dialogue
from babbler.synth.mixing import mix_stereo
from babbler.synth.source_filter import SpeakerVoice, synthesize
from babbler.va import VA_RATE, segments_to_frames


@dataclass(frozen=True)
class DemoParams:
    """Settings of the demo synthesizer (config section `corpus.demo`)."""

    n_dialogues: int = 16
    duration: float = 120.0
    sample_rate: int = 16000
    ipu_median: float = 1.3  # s, lognormal IPU durations
    ipu_sigma: float = 0.55
    ipus_per_turn: float = 2.2  # mean of a geometric count
    pause_median: float = 0.5  # s, within-turn pauses (lognormal, ≥ 0.25 s so they survive the 200 ms fill)
    pause_sigma: float = 0.5
    fto_mean: float = 0.07  # s, floor-transfer offsets ~ N(mean, sd), clipped
    fto_sd: float = 0.4
    backchannel_prob: float = 0.35  # per IPU of the floor holder long enough to host one
    bleed_db: tuple[float, float] = (-30.0, -20.0)  # cross-talk range, dB relative to the talker
    noise_db: tuple[float, float] = (26.0, 34.0)  # background noise range, dB re 20 µPa


@dataclass
class DemoDialogue:
    """One synthesized dialogue: stereo audio, its true VA and the draws that made it."""

    audio: np.ndarray
    sample_rate: int
    va: pd.DataFrame
    info: dict = field(default_factory=dict)


def dialogue_ids(n: int) -> list[str]:
    """Ids of the demo dialogues: d001, d002, …"""
    return [f"d{i:03d}" for i in range(1, n + 1)]


def _turn_timeline(p: DemoParams, rng: np.random.Generator) -> dict[int, list[list[float]]]:
    """Alternating turns of IPUs and pauses, with gaps and overlaps at speaker changes; no backchannels yet."""
    segs: dict[int, list[list[float]]] = {0: [], 1: []}
    t = rng.uniform(0.3, 1.5)
    spk = int(rng.integers(2))
    end_limit = p.duration - 0.5
    while t < end_limit - 0.5:
        n_ipus = int(rng.geometric(1.0 / p.ipus_per_turn))
        for i in range(n_ipus):
            dur = max(0.25, rng.lognormal(np.log(p.ipu_median), p.ipu_sigma))
            if segs[spk] and t < segs[spk][-1][1] + 0.25:
                t = segs[spk][-1][1] + 0.25  # keep one speaker's IPUs apart by more than the 200 ms fill
            segs[spk].append([t, min(t + dur, end_limit)])
            t += dur
            if i < n_ipus - 1:
                t += float(np.clip(rng.lognormal(np.log(p.pause_median), p.pause_sigma), 0.25, 3.0))
            if t >= end_limit:
                break
        last_start, last_end = segs[spk][-1]
        fto = float(np.clip(rng.normal(p.fto_mean, p.fto_sd), -1.2, 2.0))
        if abs(fto) < 0.04:
            fto = 0.04 if fto >= 0 else -0.04
        # An overlapping start lies inside the last IPU; the newcomer's IPU outlasts it (overlap_between).
        fto = max(fto, -(last_end - last_start - 0.1))
        t = last_end + fto
        spk = 1 - spk
        if fto < 0:
            dur = max(rng.lognormal(np.log(p.ipu_median), p.ipu_sigma), -fto + 0.4)
            if segs[spk] and t < segs[spk][-1][1] + 0.25:
                t = segs[spk][-1][1] + 0.25
            segs[spk].append([t, min(t + dur, end_limit)])
            t += dur
            if t < end_limit:
                t += float(np.clip(rng.lognormal(np.log(p.pause_median), p.pause_sigma), 0.25, 3.0))
    return {s: [seg for seg in v if seg[1] - seg[0] >= 0.1] for s, v in segs.items()}


def _isolated(own: list[list[float]], start: float, end: float) -> bool:
    """True if a speaker has no speech from 1 s before `start` to 2 s after `end`."""
    return all(e <= start - 1.0 or s >= end + 2.0 for s, e in own)


def _add_backchannels(segs: dict[int, list[list[float]]], p: DemoParams, rng: np.random.Generator) -> int:
    """Place short isolated listener IPUs inside the floor holder's IPUs or pauses; return how many."""
    added = 0
    for holder in (0, 1):
        listener = 1 - holder
        holder_segs = sorted(segs[holder])
        for i, (s, e) in enumerate(holder_segs):
            if rng.random() >= p.backchannel_prob:
                continue
            dur = rng.uniform(0.18, 0.6)
            if rng.random() < 0.8 and e - s > dur + 0.8:  # during the holder's speech: an overlap_within
                start = rng.uniform(s + 0.5, e - dur - 0.1)
            elif i + 1 < len(holder_segs) and holder_segs[i + 1][0] - e > dur + 0.35:  # in a pause
                start = e + rng.uniform(0.1, 0.2)
            else:
                continue
            start, end = round(start, 2), round(start + dur, 2)
            if end <= p.duration - 2.0 and start >= 1.0 and _isolated(segs[listener], start, end):
                segs[listener].append([start, end])
                added += 1
    return added


def _turn_final(own: list[list[float]], other: list[list[float]]) -> list[bool]:
    """For each of a speaker's IPUs (sorted): does the partner take the floor next (backchannels aside)?"""
    floor_taking = sorted(s for s, e in other if e - s > 1.0)
    finals = []
    own = sorted(own)
    for i, (s, _e) in enumerate(own):
        next_own = own[i + 1][0] if i + 1 < len(own) else np.inf
        next_other = next((t for t in floor_taking if t > s), np.inf)
        finals.append(bool(next_other < next_own))
    return finals


def prosody_tracks(
    segs: list[list[float]], finals: list[bool], n: int, base_f0: float, level_db: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """F0 (Hz, NaN unvoiced) and intensity (dB) frame tracks with syllables, declination and boundary tones.

    Turn-final IPUs mostly end in a fall with a drop in loudness, turn-holding ones mostly in a
    rise or level tone: the turn-yielding cues of human dialogue (Gravano & Hirschberg 2011).
    """
    f0 = np.full(n, np.nan)
    inten = np.full(n, np.nan)
    for (s, e), final in zip(segs, finals):
        a, b = int(round(s * VA_RATE)), int(round(e * VA_RATE))
        m = b - a
        if m <= 0:
            continue
        x = np.linspace(0.0, 1.0, m)
        wiggle = np.interp(np.arange(m), np.linspace(0, m, max(2, m // 25 + 2)), rng.normal(0, 1.0, max(2, m // 25 + 2)))
        st = rng.normal(1.5, 1.0) - 3.5 * x + wiggle
        tail = min(m, 25)
        tone = rng.choice([-5.0, 0.0, 4.0], p=[0.8, 0.15, 0.05] if final else [0.15, 0.35, 0.5])
        st[m - tail :] += tone * np.linspace(0, 1, tail) ** 2
        f0_seg = base_f0 * 2 ** (st / 12)
        db = level_db + rng.normal(0, 2.0) - 4.0 * x
        if final:
            db[m - tail :] -= 5.0 * np.linspace(0, 1, tail)
        # syllables: raised-cosine intensity bumps; some start with a voiceless consonant
        k = 0
        while k < m:
            syl = max(8, int(rng.gamma(8.0, 20.0 / 8.0)))
            sl = slice(k, min(m, k + syl))
            width = sl.stop - sl.start
            db[sl] -= 8.0 * (1 - np.sin(np.pi * (np.arange(width) + 0.5) / width)) ** 2
            if rng.random() < 0.4 and width >= 8:
                f0_seg[sl.start : sl.start + max(2, width // 4)] = np.nan
            k += syl
        f0[a:b] = f0_seg
        inten[a:b] = db
    return f0, inten


def turn_segments(p: DemoParams, rng: np.random.Generator) -> tuple[dict[int, list[list[float]]], int]:
    """Both speakers' IPUs of one dialogue (turns, pauses, gaps, overlaps, then backchannels), and how many
    backchannels were placed."""
    segs = _turn_timeline(p, rng)
    return segs, _add_backchannels(segs, p, rng)


def segments_table(segs: dict[int, list[list[float]]]) -> pd.DataFrame:
    """Both speakers' IPUs as the project's VA table (speaker, start, end; 10 ms resolution), in time order."""
    rows = [("AB"[s], round(a, 2), round(b, 2)) for s in (0, 1) for a, b in segs[s]]
    return pd.DataFrame(rows, columns=["speaker", "start", "end"]).sort_values(["start", "speaker"]).reset_index(drop=True)


def synthesize_dialogue(p: DemoParams, seed: np.random.SeedSequence) -> DemoDialogue:
    """Synthesize one seeded dialogue: timeline → prosody tracks → two source-filter voices → stereo mix."""
    rng = np.random.default_rng(seed)
    segs, n_bc = turn_segments(p, rng)
    total = int(round(p.duration * VA_RATE))
    va = segments_table(segs)

    voices, info = [], {"backchannels_placed": n_bc}
    for s, spk in enumerate("AB"):
        speaker = draw_speaker(rng)
        finals = _turn_final(segs[s], segs[1 - s])
        voices.append(speaker_babble(va, spk, sorted(segs[s]), finals, total, speaker, p.sample_rate, rng))
        info[f"{spk}_f0_base"] = round(speaker.base_f0, 1)
        info[f"{spk}_level_db"] = round(speaker.level_db, 1)
    bleed_db = tuple(float(x) for x in rng.uniform(*p.bleed_db, size=2))
    noise_db = tuple(float(x) for x in rng.uniform(*p.noise_db, size=2))
    audio = mix_recording(voices, p.sample_rate, rng, bleed_db, noise_db)
    info.update(bleed_db=[round(x, 1) for x in bleed_db], noise_db=[round(x, 1) for x in noise_db])
    return DemoDialogue(audio=audio, sample_rate=p.sample_rate, va=va, info=info)


@dataclass(frozen=True)
class BabbleSpeaker:
    """One babbling speaker's identity: its voice, base F0 (Hz) and speech level (dB re 20 µPa)."""

    voice: SpeakerVoice
    base_f0: float
    level_db: float


def draw_speaker(rng: np.random.Generator) -> BabbleSpeaker:
    """A random speaker, half of them female (higher F0, shorter vocal tract)."""
    female = bool(rng.random() < 0.5)
    base_f0 = rng.normal(205, 20) if female else rng.normal(110, 12)
    level = rng.uniform(66, 72)
    voice = SpeakerVoice(
        formant_scale=rng.uniform(1.12, 1.22) if female else rng.uniform(0.95, 1.05),
        syllable_rate=rng.uniform(4.0, 6.0),
    )
    return BabbleSpeaker(voice, float(base_f0), float(level))


def speaker_babble(va: pd.DataFrame, spk: str, segs: list, finals: list[bool], total: int, speaker: BabbleSpeaker,
                   sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """One speaker's source-filter babble over its VA segments (`finals` marks turn-final IPUs' tones)."""
    track_va = segments_to_frames(va, spk, total)
    f0, inten = prosody_tracks(segs, finals, total, speaker.base_f0, speaker.level_db, rng)
    intensity = np.where(track_va, inten, np.nan)
    return synthesize(track_va, f0, intensity, VA_RATE, sample_rate, speaker.voice, seed=rng.integers(2**63))


def mix_recording(voices: list[np.ndarray], sample_rate: int, rng: np.random.Generator, bleed_db: tuple[float, float],
                  noise_db: tuple[float, float]) -> np.ndarray:
    """Both voices as a close-talk stereo recording with bleed and noise, kept under full scale."""
    audio = mix_stereo(voices[0], voices[1], sample_rate, rng, bleed_db=bleed_db, noise_db=noise_db)
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > 0.99:  # keep 16-bit output unclipped; loudness is relative anyway
        audio *= 0.99 / peak
    return audio


def params_from_config(section: dict) -> DemoParams:
    """DemoParams from the `corpus.demo` config section (unknown keys were rejected by the schema)."""
    known = set(asdict(DemoParams()))
    kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in section.items() if k in known}
    return DemoParams(**kw)


def dialogue_seed(corpus_seed: int, dialogue_id: str) -> np.random.SeedSequence:
    """A seed per dialogue that depends only on the corpus seed and the dialogue's number."""
    return np.random.SeedSequence([int(corpus_seed), int(dialogue_id.lstrip("d"))])


def prepare_dialogue(section: dict, corpus_seed: int, dialogue: str, wav_out, va_out, info_out) -> dict:
    """Synthesize demo dialogue `dialogue` and write its WAV, true VA and info."""
    p = params_from_config(section)
    d = synthesize_dialogue(p, dialogue_seed(corpus_seed, dialogue))
    return write_dialogue(dialogue, d.audio, d.sample_rate, d.va, wav_out, va_out, info_out, extra=d.info)


def _settings(config: dict) -> dict:
    """A demo dialogue depends on the synthesis settings and the corpus seed."""
    return {"demo": config["corpus"]["demo"], "seed": config["corpus"]["seed"]}


def _prepare(settings: dict, dialogue: str, inputs: dict, wav_out, va_out, info_out) -> dict:
    return prepare_dialogue(settings["demo"], settings["seed"], dialogue, wav_out, va_out, info_out)


CORPUS = Corpus("demo", dialogue_ids=lambda corpus_cfg: dialogue_ids(corpus_cfg["demo"]["n_dialogues"]),
                prepare=_prepare, settings=_settings)
