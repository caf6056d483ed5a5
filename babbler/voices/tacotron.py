"""The `tacotron` babble voice (after Wang et al. 2017 and Shen et al. 2018): an autoregressive decoder of 80-band
log-mel frames from the tracks, and Griffin-Lim (librosa) as the vocoder.

The tracks are frame-synchronous with the output, so no attention is needed: a convolutional encoder reads each
10 ms frame's conditioning (VA, voicing, log F0, intensity, the speaker vector, the continuous F0 and the log-mel
of a harmonic source at it); a pre-net over the previous output frame (dropout on, as in Tacotron 2, also when
generating) and the encoder output feed a GRU, whose projection is the frame's log envelope. As in a source-filter
model, log spectra add: the decoder's frame is that envelope plus, on voiced frames, the source's log-mel
(`harmonic_logmel`), so the harmonics sit at the track's F0. A convolutional post-net refines the whole utterance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import librosa
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from babbler.util.seeds import torch_seed
from babbler.va import TOKEN_RATE
from babbler.voices.features import N_GLOBAL, render_conditioning
from babbler.voices.neural import at_rate, neural_voice
from babbler.voices.units import Units, n_local, with_units

MEL_RATE = 100  # mel frames per second (10 ms hop)
LOG_FLOOR = 1e-4  # added to mel magnitudes before the log
HARMONICS = 64  # of the source comb


def mel_filters(sample_rate: int, n_fft: int, n_mels: int) -> torch.Tensor:
    """(n_mels, n_fft // 2 + 1) mel filterbank of the voice's log-mel frames (librosa's Slaney mel, 0 Hz…Nyquist)."""
    fb = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=0.0, fmax=sample_rate / 2)
    return torch.as_tensor(fb, dtype=torch.float32)


def log_mel(audio: torch.Tensor, mel_fb: torch.Tensor, window: torch.Tensor, hop: int) -> torch.Tensor:
    """(B, T, n_mels) log-mel magnitudes of audio (B, n), frame i centred on sample i·hop: the frames the Tacotron
    predicts and its WaveNet vocoder is conditioned on."""
    spec = torch.stft(audio, len(window), hop, window=window, center=True, return_complex=True)
    return torch.log(torch.einsum("mf,bft->btm", mel_fb, spec.abs()) + LOG_FLOOR)


@dataclass(frozen=True)
class TacotronConfig:
    """Sizes of the Tacotron-style voice (config section `voice.tacotron.model`)."""

    sample_rate: int = 16000
    n_mels: int = 80
    n_fft: int = 1024
    cond: int = 128  # encoder channels
    prenet: int = 128
    rnn: int = 256
    postnet: int = 128
    prenet_dropout: float = 0.5
    excitation: bool = True  # add the harmonic source's log-mel on voiced frames
    units: int = 0  # phone-like units learned from the training speech (0: none; babbler.voices.units)

    @property
    def hop(self) -> int:
        """Samples per mel frame."""
        return self.sample_rate // MEL_RATE


class Tacotron(nn.Module):
    """Convolutional encoder over the tracks, pre-net + GRU decoder of log-mel frames, convolutional post-net."""

    kind = "tacotron"

    def __init__(self, cfg: TacotronConfig = TacotronConfig()):
        super().__init__()
        if cfg.sample_rate % MEL_RATE:
            raise ValueError(f"tacotron: sample_rate {cfg.sample_rate} is not a whole number of 10 ms hops")
        self.cfg = cfg
        self.hop = cfg.sample_rate // TOKEN_RATE  # samples per 50 Hz frame (the crops' unit)
        m = cfg.n_mels
        self.register_buffer("mel_fb", mel_filters(cfg.sample_rate, cfg.n_fft, m), persistent=False)
        self.register_buffer("window", torch.hann_window(cfg.n_fft), persistent=False)
        # the largest log-mel of each band in the training targets: generated frames never exceed it (a track far
        # outside the training speakers, e.g. a fundamental below every training voice's, cannot make a band
        # louder than speech ever made it)
        self.register_buffer("mel_max", torch.full((m,), -math.inf))  # -inf until trained: no cap
        self.units = Units(cfg.units) if cfg.units else None
        n_in = n_local(cfg) + N_GLOBAL + 1 + m
        self.encoder = nn.ModuleList([nn.Conv1d(n_in, cfg.cond, 5, padding=2),
                                      nn.Conv1d(cfg.cond, cfg.cond, 5, padding=2),
                                      nn.Conv1d(cfg.cond, cfg.cond, 5, padding=2)])
        self.pre1 = nn.Linear(m, cfg.prenet)
        self.pre2 = nn.Linear(cfg.prenet, cfg.prenet)
        self.rnn = nn.GRU(cfg.prenet + cfg.cond, cfg.rnn, batch_first=True)
        self.proj = nn.Linear(cfg.rnn + cfg.cond, m)
        self.post = nn.ModuleList([nn.Conv1d(m, cfg.postnet, 5, padding=2), nn.Conv1d(cfg.postnet, cfg.postnet, 5, padding=2),
                                   nn.Conv1d(cfg.postnet, m, 5, padding=2)])

    def context_frames(self) -> int:
        """50 Hz frames before a crop's loss: a warm-up of the decoder's state."""
        return 5

    # ------------------------------------------------------------------ features

    def log_mel(self, audio: torch.Tensor) -> torch.Tensor:
        """(B, T, n_mels) log-mel magnitudes of audio (B, n), frame i centred on sample i·hop."""
        return log_mel(audio, self.mel_fb, self.window, self.cfg.hop)

    def harmonic_logmel(self, f0: torch.Tensor) -> torch.Tensor:
        """(B, T, n_mels) log-mel of a Σ sin(kφ)/k source at each frame's F0 (B, T) in Hz, zero mean over the bands,
        and 0 on unvoiced frames: where the harmonics fall in the mel bands."""
        cfg = self.cfg
        k = torch.arange(1, HARMONICS + 1, device=f0.device, dtype=torch.float32)
        freq = f0[..., None] * k  # (B, T, K)
        ok = (freq < cfg.sample_rate / 2) & (f0[..., None] > 0)
        pos = (freq / (cfg.sample_rate / cfg.n_fft)).clamp(0, self.mel_fb.shape[1] - 1.001)
        lo = pos.floor().long()
        w = (pos - lo)[..., None]
        fbt = self.mel_fb.T  # (bins, mels)
        gains = fbt[lo] * (1 - w) + fbt[lo + 1] * w  # (B, T, K, mels)
        amp = (ok.float() / k)[..., None] * (cfg.n_fft / 4)  # a sine's peak magnitude under a Hann window
        comb = (gains * amp).sum(dim=2)
        # a floor 40 dB under the frame's strongest band bounds the source's range (bands between resolved
        # harmonics would otherwise sit at the absolute floor, ~13 nats down)
        logmel = torch.log(comb + 1e-2 * comb.amax(dim=2, keepdim=True) + LOG_FLOOR)
        voiced = (f0 > 0).float()[..., None]
        return (logmel - logmel.mean(dim=2, keepdim=True)) * voiced

    def frame_inputs(self, local: torch.Tensor, glob: torch.Tensor, f0: torch.Tensor, first: int, n: int):
        """Encoder input (B, n_in, n) and source log-mel (B, n, mels) of mel frames first…first+n−1 (frame i at
        sample i·hop of per-sample F0 (B, samples), token frame i // 2)."""
        idx = torch.arange(first, first + n, device=local.device)
        tok = (idx // (MEL_RATE // TOKEN_RATE)).clamp(max=local.shape[2] - 1)
        f = f0[:, (idx * self.cfg.hop).clamp(max=f0.shape[1] - 1)]
        source = self.harmonic_logmel(f)
        if not self.cfg.excitation:
            source = torch.zeros_like(source)
        logf0 = torch.where(f > 0, torch.log2(torch.where(f > 0, f, 100.0) / 100.0), 0.0)
        x = torch.cat([local[:, :, tok], glob[:, :, None].expand(-1, -1, n), logf0[:, None], source.transpose(1, 2)],
                      dim=1)
        return x, source

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, cond) encoder output."""
        for conv in self.encoder:
            x = F.relu(conv(x))
        return x.transpose(1, 2)

    def prenet(self, prev: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The pre-net over previous frames; dropout always on (seeded by `generator` when generating)."""
        p = self.cfg.prenet_dropout
        x = prev
        for layer in (self.pre1, self.pre2):
            x = F.relu(layer(x))
            if p > 0:
                if generator is None:
                    x = F.dropout(x, p, training=True)
                else:
                    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
                    x = x * keep / (1 - p)
        return x

    def postnet(self, mel: torch.Tensor) -> torch.Tensor:
        """Residual refinement of (B, T, mels)."""
        x = mel.transpose(1, 2)
        for i, conv in enumerate(self.post):
            x = conv(x)
            if i < len(self.post) - 1:
                x = torch.tanh(x)
        return mel + x.transpose(1, 2)

    # ------------------------------------------------------------------ training

    def forward(self, enc: torch.Tensor, source: torch.Tensor, prev: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced decoder frames and post-net frames (B, T, mels) given the previous true frames `prev`."""
        h, _ = self.rnn(torch.cat([self.prenet(prev), enc], dim=2))
        dec = self.proj(torch.cat([h, enc], dim=2)) + source
        return dec, self.postnet(dec)

    def loss(self, batch: dict) -> torch.Tensor:
        """L1 of the decoder and post-net log-mel frames against the crop's, after its context."""
        audio = batch["audio"][:, :-1]
        target = self.log_mel(audio)[:, : audio.shape[1] // self.cfg.hop]
        n = target.shape[1]
        x, source = self.frame_inputs(batch["local"], batch["glob"], batch["f0"], 0, n)
        prev = torch.cat([torch.full_like(target[:, :1], math.log(LOG_FLOOR)), target[:, :-1]], dim=1)
        dec, post = self(self.encode(x), source, prev)
        skip = batch["context"] // self.cfg.hop
        if self.training:
            with torch.no_grad():
                seen = target[:, skip:].amax(dim=(0, 1))
                self.mel_max.copy_(torch.maximum(self.mel_max, seen))
        return F.l1_loss(dec[:, skip:], target[:, skip:]) + F.l1_loss(post[:, skip:], target[:, skip:])

    # ------------------------------------------------------------------ generation

    @torch.inference_mode()
    def decode(self, local: torch.Tensor, glob: torch.Tensor, f0: torch.Tensor, n: int,
               generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Autoregressive decoder frames and post-net frames (B, n, mels), one frame at a time from silence; the
        pre-net's dropout masks come from `generator`."""
        self.eval()
        x, source = self.frame_inputs(local, glob, f0, 0, n)
        enc = self.encode(x)
        b = enc.shape[0]
        prev = torch.full((b, self.cfg.n_mels), math.log(LOG_FLOOR), device=enc.device)
        h = torch.zeros(1, b, self.cfg.rnn, device=enc.device)
        frames = []
        generator = generator if generator is not None else torch.Generator(device=enc.device).manual_seed(0)
        cap = torch.nan_to_num(self.mel_max, neginf=math.inf)
        for t in range(n):
            pre = self.prenet(prev, generator)
            out, h = self.rnn(torch.cat([pre, enc[:, t]], dim=1)[:, None], h)
            prev = torch.minimum(self.proj(torch.cat([out[:, 0], enc[:, t]], dim=1)) + source[:, t], cap)
            frames.append(prev)
        dec = torch.stack(frames, dim=1)
        return dec, torch.minimum(self.postnet(dec), cap)

    def vocode(self, logmel: np.ndarray, n: int, seed: int, iterations: int = 32) -> np.ndarray:
        """Griffin-Lim: log-mel (T, mels) → magnitude spectrogram (non-negative least squares) → n samples."""
        cfg = self.cfg
        mel = np.exp(logmel.T.astype(np.float64)) - LOG_FLOOR
        spec = librosa.feature.inverse.mel_to_stft(np.maximum(mel, 0.0), sr=cfg.sample_rate, n_fft=cfg.n_fft,
                                                   power=1.0, fmin=0.0, fmax=cfg.sample_rate / 2)
        y = librosa.griffinlim(spec, n_iter=iterations, hop_length=cfg.hop, n_fft=cfg.n_fft, length=n,
                               random_state=seed)
        return y.astype(np.float32)

    def generate(self, local: torch.Tensor, glob: torch.Tensor, f0: torch.Tensor, temperature: float = 1.0,
                 generator: torch.Generator | None = None, iterations: int = 32) -> torch.Tensor:
        """(B, n) float audio for n = f0.shape[1] samples: decoded log-mel frames, vocoded by Griffin-Lim."""
        n = f0.shape[1]
        _, post = self.decode(local, glob, f0, n // self.cfg.hop + 1, generator)
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator)) if generator is not None else 0
        waves = np.stack([self.vocode(m, n, seed + i, iterations) for i, m in enumerate(post.cpu().numpy())])
        return torch.as_tensor(waves, device=f0.device)  # Griffin-Lim runs on the CPU, whatever decoded the frames


def render(tracks, sample_rate: int, seed: int, model: Tacotron, settings: dict) -> list[np.ndarray]:
    """The registry's render: log-mel frames for all tracks as one batch, then Griffin-Lim per track."""
    local, glob, f0, n = render_conditioning(tracks, model.cfg.sample_rate)
    local = with_units(model, local, tracks, seed)
    gen = torch.Generator().manual_seed(torch_seed(seed))
    y = model.generate(torch.as_tensor(local), torch.as_tensor(glob), torch.as_tensor(f0), generator=gen,
                       iterations=settings.get("griffin_lim_iterations", 32)).numpy()
    return at_rate(y, model.cfg.sample_rate, sample_rate, tracks)


VOICE = neural_voice("tacotron", Tacotron, TacotronConfig,
                     "autoregressive log-mel decoder (Tacotron 2 style, no attention) with Griffin-Lim", render)
