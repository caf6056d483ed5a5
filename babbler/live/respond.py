"""Answer a recorded partner with a trained agent: the live loop (front end → Agent.step → voice), offline.

`respond(model, partner.wav, out.wav)` feeds the partner's recording through the causal front end 20 ms at a time,
lets the agent decide its next frame from everything heard so far, renders it with a registered voice (20 ms at a
time where the voice streams, as `source_filter` does; else the agent's whole track after the loop), and writes a
stereo file (partner, agent) and both speakers' VA. Its decisions are exactly those a live session makes, hop by
hop, so its timing is what a live partner would get (less the audio device's latency).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import soxr
from tqdm import tqdm

from babbler.errors import InputError
from babbler.live.agent import Agent
from babbler.live.frontend import HOP, STREAM_RATE, StreamingFrontEnd
from babbler.models.baselines import MarkovModel
from babbler.models.dataset import SpeakerScale, token_values
from babbler.models.transformer import FrameTransformer
from babbler.util.fileio import atomic_path, audio_info
from babbler.va import TOKEN_RATE, VA_PER_TOKEN, frames_to_segments
from babbler.voices.registry import VOICES
from babbler.voices.spec import Tracks


@dataclass
class AgentVoice:
    """The registered voice the agent speaks with: its name, its trained model (None untrained), its settings."""

    name: str = "source_filter"
    model: object = None
    settings: dict = field(default_factory=dict)


@dataclass
class LiveSession:
    """One conversation with one agent: `hop(partner_audio)` → the agent's next 20 ms of audio and its token (silence
    where its voice renders whole tracks only: `render_track` makes them afterwards)."""

    agent: Agent
    frontend: StreamingFrontEnd
    voice: AgentVoice
    renderer: object  # the voice's streaming renderer, None for a voice that renders whole tracks
    agent_f0: float
    seed: int = 0
    level: float = 60.0  # the partner's typical speech level (dB), which the agent speaks at

    @classmethod
    def create(cls, model: FrameTransformer, seed: int = 0, temperature: float = 1.0, agent_f0: float = 120.0,
               markov: MarkovModel | None = None, markov_weight: float = 0.0, stop: str = "overlap",
               voice: AgentVoice | None = None, odds: tuple[float, float] = (1.0, 1.0),
               calibration: tuple[float, ...] | None = None) -> "LiveSession":
        """A fresh session: a silent agent on channel B (interpolated with `markov` at `markov_weight`, as
        `sample.markov_weight`; ending its runs by `stop`, as `sample.stop`; its start odds scaled by `odds`, as
        `sample.listen_overlap_odds` and `listen_gap_odds`; its odds recalibrated by `calibration`, as
        `sample.calibration`), a front end that has heard nothing, a voice at
        `agent_f0` Hz."""
        if not isinstance(model, FrameTransformer):
            raise TypeError(f"the live agent needs a trained transformer, not {type(model).__name__}")
        voice = voice or AgentVoice()
        frontend = StreamingFrontEnd()
        scale = SpeakerScale(agent_f0, frontend.p.prior_db)
        stream = VOICES[voice.name].stream
        renderer = stream(scale, STREAM_RATE, agent_f0, seed) if stream else None
        agent = Agent(model, temperature=temperature, seed=seed, stop=stop, markov=markov,
                      markov_weight=markov_weight, odds=odds, calibration=calibration)
        return cls(agent, frontend, voice, renderer, agent_f0, seed, frontend.p.prior_db)

    def hop(self, partner: np.ndarray) -> tuple[np.ndarray, int, int]:
        """The partner's last 20 ms (16 kHz) → (the agent's audio for the next 20 ms, partner token, agent token)."""
        heard = self.frontend.push(partner)
        own = self.agent.step(heard.token)
        self.level = heard.scale.db_median  # the agent speaks as loud as the partner's typical speech level
        if self.renderer is None:
            return np.zeros(HOP), heard.token, own
        self.renderer.scale = SpeakerScale(self.agent_f0, self.level)
        return self.renderer.frame(own), heard.token, own

    def render_track(self, tokens: np.ndarray) -> np.ndarray:
        """The agent's whole track of tokens (50 Hz) through its voice at 16 kHz (a voice that does not stream)."""
        va, f0, db = token_values(tokens, SpeakerScale(self.agent_f0, self.level))
        y = VOICES[self.voice.name].render([Tracks(va, f0, db, frame_rate=TOKEN_RATE)], STREAM_RATE, self.seed,
                                           self.voice.model, self.voice.settings)[0]
        return np.asarray(y, dtype=float)[: len(tokens) * HOP]


@dataclass
class Conversation:
    """What a live loop heard and said, hop by hop, aligned for writing: the agent's answer to hop t is its frame
    t + 1. The tokens take a byte a frame; the audio is kept only with `keep_audio` (a live session streams its
    recording to disk instead, babbler.live.server.Recording)."""

    keep_audio: bool = True
    partner: list[np.ndarray] = field(default_factory=list)
    agent: list[np.ndarray] = field(default_factory=lambda: [np.zeros(HOP)])  # the agent is silent in frame 0
    heard: bytearray = field(default_factory=bytearray)
    said: bytearray = field(default_factory=lambda: bytearray(1))

    def add(self, partner: np.ndarray, heard: int, agent: np.ndarray, said: int) -> None:
        """One hop: the partner's audio and token, the agent's audio and token for the next frame."""
        if self.keep_audio:
            self.partner.append(partner)
            self.agent.append(agent)
        self.heard.append(heard)
        self.said.append(said)

    def va(self) -> pd.DataFrame:
        """Both speakers' VA (A = the partner as the front end heard it, B = the agent)."""
        n = len(self.heard)
        return frames_to_segments({"A": np.repeat(np.frombuffer(self.heard, np.uint8) > 0, VA_PER_TOKEN),
                                   "B": np.repeat(np.frombuffer(self.said, np.uint8)[:n] > 0, VA_PER_TOKEN)})

    def write(self, out_path: str | Path, va_path: str | Path) -> pd.DataFrame:
        """Write the stereo 16 kHz audio (partner, agent; scaled under full scale, both channels alike) in the format
        its suffix names (WAV or FLAC) and the VA, both or neither; return the VA."""
        n = len(self.heard)
        stereo = np.stack([np.concatenate(self.partner), np.concatenate(self.agent[:n])], axis=1)
        peak = np.abs(stereo).max()
        if peak > 0.99:  # both channels alike so that their levels stay comparable
            stereo *= 0.99 / peak
        va = self.va()
        with atomic_path(out_path) as tmp_audio, atomic_path(va_path) as tmp_va:
            sf.write(str(tmp_audio), stereo, STREAM_RATE, subtype="PCM_16", format=audio_format(out_path))
            va.round(2).to_csv(tmp_va, index=False)
        return va


AUDIO_FORMATS = {".wav": "WAV", ".flac": "FLAC"}  # suffix → the soundfile format written


def audio_format(path: str | Path) -> str:
    """The format an output's suffix names; InputError for any other suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in AUDIO_FORMATS:
        raise InputError(path, f"babbler writes {' or '.join(AUDIO_FORMATS.values())} audio "
                               f"({', '.join(AUDIO_FORMATS)}), not {suffix or 'a file without a suffix'}")
    return AUDIO_FORMATS[suffix]


def check_outputs(inputs: list[str | Path], outputs: list[str | Path]) -> None:
    """Raise InputError before any work if an output is a folder, is one of the inputs (also through a link), or
    two outputs are one file: a user's recording is never overwritten, and both outputs are written or neither."""
    seen: dict[Path, Path] = {}
    for out in map(Path, outputs):
        if out.is_dir():
            raise InputError(out, "is a folder; give the name of a file to write")
        for src in map(Path, inputs):
            if out.resolve() == src.resolve() or (out.exists() and src.exists() and out.samefile(src)):
                raise InputError(out, f"is the input {src} itself: babbler never writes over what it reads; "
                                      f"name another output")
        if out.resolve() in seen:
            raise InputError(out, f"is named for two outputs ({seen[out.resolve()]} and {out})")
        seen[out.resolve()] = out


def read_partner(path: str | Path) -> np.ndarray:
    """A one-speaker recording (WAV/FLAC, any rate) as 16 kHz float samples; InputError names the file's problem."""
    info = audio_info(path)  # missing, empty, unreadable or truncated: named as the workflow's stages name them
    if info.channels != 1:
        raise InputError(path, f"expected a one-speaker (mono) recording, found {info.channels} channels; "
                               "split a stereo dialogue with the workflow's mono stage first")
    if info.frames < HOP:
        raise InputError(path, f"holds {info.frames} samples, less than one 20 ms hop")
    y, sr = sf.read(str(path), dtype="float64")
    if not np.isfinite(y).all():
        raise InputError(path, "holds NaN or infinite samples")
    return soxr.resample(y, sr, STREAM_RATE, quality="HQ") if sr != STREAM_RATE else y


def respond(model: FrameTransformer, partner_path: str | Path, out_path: str | Path, va_path: str | Path | None = None,
            seed: int = 0, temperature: float = 1.0, agent_f0: float = 120.0, progress: bool = True,
            markov: MarkovModel | None = None, markov_weight: float = 0.0, stop: str = "overlap",
            voice: AgentVoice | None = None, odds: tuple[float, float] = (1.0, 1.0),
            calibration: tuple[float, ...] | None = None) -> pd.DataFrame:
    """Write `out_path` (stereo 16 kHz: partner, agent) and `va_path` (speaker A = partner as the front end heard
    it, B = agent; default: beside the output as `.va.csv`); return that VA table. Nothing is written if an output
    is a folder, is the partner's recording, or has a suffix other than .wav or .flac."""
    out_path = Path(out_path)
    va_path = Path(va_path) if va_path else out_path.with_suffix(".va.csv")
    check_outputs([partner_path], [out_path, va_path])
    audio_format(out_path)
    partner = read_partner(partner_path)
    session = LiveSession.create(model, seed=seed, temperature=temperature, agent_f0=agent_f0, markov=markov,
                                 markov_weight=markov_weight, stop=stop, voice=voice, odds=odds,
                                 calibration=calibration)
    talk = Conversation()
    for h in tqdm(range(len(partner) // HOP), desc="respond", unit="hop", mininterval=2.0, disable=not progress):
        hop = partner[h * HOP : (h + 1) * HOP]
        audio, heard, own = session.hop(hop)
        talk.add(hop, heard, audio, own)
    if session.renderer is None:  # a voice that renders whole tracks: the agent's decisions, voiced afterwards
        said = np.frombuffer(talk.said, np.uint8).astype(np.int64)[: len(talk.heard)]
        y = session.render_track(said)
        talk.agent = [y[i * HOP : (i + 1) * HOP] for i in range(len(said))]
    return talk.write(out_path, va_path)
