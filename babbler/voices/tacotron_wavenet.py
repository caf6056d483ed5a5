"""The `tacotron_wavenet` voice: Tacotron 2's pairing (Shen et al. 2018). The `tacotron` voice decodes log-mel frames
from the tracks, and a WaveNet conditioned on those frames, instead of Griffin-Lim, turns them into samples.

The vocoder is the `wavenet` voice's network with one more kind of local conditioning: beside the tracks (VA,
voicing, log F0, intensity), the two 10 ms log-mel frames of every 20 ms frame, stacked. Like Tacotron 2's WaveNet
it is trained on the log-mel frames of real speech (the train split's speaker tracks, with the Tacotron's own
analysis: sample rate, FFT size, mel bands), and it keeps the F0 excitation of the `wavenet` voice, so the melody
stays the track's. Rendering needs both trained models: this voice's and the `tacotron` voice's.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from itertools import chain

import numpy as np
import torch
from torch import nn

from babbler.util.seeds import torch_seed
from babbler.va import TOKEN_RATE
from babbler.voices.features import N_LOCAL, VoiceItem, render_conditioning
from babbler.voices.neural import at_rate, neural_voice
from babbler.voices.tacotron import LOG_FLOOR, MEL_RATE, Tacotron, log_mel, mel_filters
from babbler.voices.tacotron import VOICE as TACOTRON
from babbler.voices.units import with_units
from babbler.voices.wavenet import WaveNet, WaveNetConfig

MELS_PER_FRAME = MEL_RATE // TOKEN_RATE  # 10 ms mel frames per 20 ms conditioning frame
MEL_OFFSET = math.log(LOG_FLOOR) / 2  # log-mel → conditioning: (x − offset) / scale, about −1…2 for speech
MEL_SCALE = 4.0


@dataclass(frozen=True)
class MelWaveNetConfig(WaveNetConfig):
    """Sizes of the mel-conditioned WaveNet and the mel analysis it was trained on (config section
    `voice.tacotron_wavenet.model`; the analysis must be the Tacotron's)."""

    sample_rate: int = 16000
    n_mels: int = 80
    n_fft: int = 1024


class MelWaveNet(WaveNet):
    """The WaveNet voice's network, its local conditioning widened by the stacked log-mel frames."""

    kind = "tacotron_wavenet"

    def __init__(self, cfg: MelWaveNetConfig = MelWaveNetConfig()):
        if cfg.sample_rate % MEL_RATE:
            raise ValueError(f"tacotron_wavenet: sample_rate {cfg.sample_rate} is not a whole number of 10 ms hops")
        super().__init__(cfg)
        self.local = nn.Conv1d(N_LOCAL + MELS_PER_FRAME * cfg.n_mels, cfg.cond, 1)
        self.register_buffer("mel_fb", mel_filters(cfg.sample_rate, cfg.n_fft, cfg.n_mels), persistent=False)
        self.register_buffer("window", torch.hann_window(cfg.n_fft), persistent=False)

    def frame_mels(self, logmel: torch.Tensor, frames: int) -> torch.Tensor:
        """(B, MELS_PER_FRAME · n_mels, frames) conditioning from log-mel frames (B, T, n_mels) (frame i centred on
        sample i · 10 ms): the mel frames of each 20 ms frame side by side, the last frame repeated past the end."""
        need = frames * MELS_PER_FRAME
        if logmel.shape[1] < need:
            logmel = torch.cat([logmel, logmel[:, -1:].expand(-1, need - logmel.shape[1], -1)], dim=1)
        x = (logmel[:, :need] - MEL_OFFSET) / MEL_SCALE
        return x.reshape(x.shape[0], frames, -1).transpose(1, 2)

    def prepare_items(self, items: list[VoiceItem]) -> list[VoiceItem]:
        """Training items whose frame conditioning also holds their audio's log-mel frames (the real frames, as
        Tacotron 2's vocoder is trained)."""
        out = []
        with torch.no_grad():
            for item in items:
                mel = log_mel(torch.as_tensor(item.audio)[None], self.mel_fb, self.window, self.cfg.sample_rate // MEL_RATE)
                new = copy.copy(item)
                frames = item.local.shape[1]
                new.local = np.concatenate([item.local, self.frame_mels(mel, frames)[0].numpy()]).astype(np.float32)
                out.append(new)
        return out


def analysis_mismatch(tacotron: Mapping, vocoder: Mapping) -> tuple[str, object, object] | None:
    """The first setting of the mel analysis (rate, bands, FFT size) on which a vocoder's model settings differ from
    the Tacotron's, with the vocoder's and the Tacotron's values; None when they share one analysis."""
    for key in ("sample_rate", "n_mels", "n_fft"):
        if vocoder[key] != tacotron[key]:
            return key, vocoder[key], tacotron[key]
    return None


@dataclass
class Vocoded:
    """What this voice renders with: the Tacotron that decodes the frames and the WaveNet that vocodes them, checked
    to share one mel analysis."""

    tacotron: Tacotron
    vocoder: MelWaveNet

    def __post_init__(self) -> None:
        """Refuse a vocoder trained on another mel analysis than the Tacotron's frames."""
        mismatch = analysis_mismatch(asdict(self.tacotron.cfg), asdict(self.vocoder.cfg))
        if mismatch:
            key, ours, theirs = mismatch
            raise ValueError(f"voice.tacotron_wavenet.model.{key} is {ours} but voice.tacotron.model.{key} is "
                             f"{theirs}: the vocoder must be trained on the Tacotron's mel analysis")

    @property
    def cfg(self) -> MelWaveNetConfig:
        """The vocoder's config (its sample rate is the voice's)."""
        return self.vocoder.cfg

    def parameters(self) -> Iterator[nn.Parameter]:
        """The parameters of both models."""
        return chain(self.tacotron.parameters(), self.vocoder.parameters())


def load(path: str, tacotron_path: str | None = None) -> MelWaveNet | Vocoded:
    """The saved vocoder; with the Tacotron's saved model too, both, checked to share one mel analysis."""
    vocoder = _NEURAL.load(path)
    if tacotron_path is None:
        return vocoder
    try:
        return Vocoded(TACOTRON.load(tacotron_path), vocoder)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def render(tracks, sample_rate: int, seed: int, model: Vocoded, settings: dict) -> list[np.ndarray]:
    """The registry's render: the Tacotron's post-net log-mel frames for all tracks as one batch, then the WaveNet
    conditioned on them and on the tracks, sample by sample."""
    taco, voc = model.tacotron, model.vocoder
    local, glob, f0, n = render_conditioning(tracks, voc.cfg.sample_rate)
    local, glob, f0 = torch.as_tensor(local), torch.as_tensor(glob), torch.as_tensor(f0)
    gen = torch.Generator().manual_seed(torch_seed(seed))
    _, post = taco.decode(with_units(taco, local, tracks, seed), glob, f0, n // taco.cfg.hop + 1, gen)
    local = torch.cat([local, voc.frame_mels(post, local.shape[2])], dim=1)
    y = voc.generate(local, glob, f0, settings.get("temperature", 1.0), gen)
    return at_rate(y.cpu().numpy().astype(np.float32), voc.cfg.sample_rate, sample_rate, tracks)


_NEURAL = neural_voice("tacotron_wavenet", MelWaveNet, MelWaveNetConfig,
                       "the Tacotron's log-mel frames vocoded by a mel-conditioned WaveNet (Tacotron 2's pairing)", render)
VOICE = replace(_NEURAL, load=load, needs=("tacotron",))
