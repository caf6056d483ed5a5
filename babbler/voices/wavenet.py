"""The `wavenet` babble voice: causal dilated convolutions over μ-law audio, conditioned on 50 Hz tracks.

Local conditioning: per 20 ms frame, VA, voicing, log F0 and intensity relative to the speaker,
held for the frame's samples. Global conditioning: the speaker's median F0 and speech level,
so unseen speakers (held-out or generated dialogues) get a matching voice. Generation is
incremental (Paine et al. 2016, "Fast WaveNet"): each layer keeps a queue of its past inputs,
so a sample costs O(layers), not O(receptive field).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from babbler.va import TOKEN_RATE
from babbler.voices.features import N_GLOBAL
from babbler.voices.neural import N_SAMPLE, neural_voice, sample_conditioning
from babbler.voices.units import Units, n_local


@dataclass(frozen=True)
class WaveNetConfig:
    """Sizes of the WaveNet voice (config section `voice.wavenet.model`)."""

    sample_rate: int = 8000
    stacks: int = 2
    layers_per_stack: int = 8  # dilations 1, 2, …, 2^(layers−1) in every stack
    residual: int = 32
    skip: int = 64
    cond: int = 32
    quantization: int = 256
    excitation: bool = True  # per-sample conditioning on the continuous F0 and a sine at it (NSF style)
    harmonics: int = 40  # harmonics of the excitation (1: the sine alone; more: a band-limited sawtooth)
    phase_lock: bool = True  # train on an excitation at the phase of the real audio's fundamental
    units: int = 0  # phone-like units learned from the training speech (0: none; babbler.voices.units)

    @property
    def dilations(self) -> list[int]:
        """Dilation of every layer, stack after stack."""
        return [2**i for _ in range(self.stacks) for i in range(self.layers_per_stack)]

    @property
    def receptive_field(self) -> int:
        """Samples the output at t depends on (t and the ones before it): Σ dilations + 1."""
        return sum(self.dilations) + 1


def mu_law_encode(x: np.ndarray | torch.Tensor, q: int = 256):
    """Float audio in [−1, 1] → μ-law classes 0…q−1."""
    mu = q - 1
    if isinstance(x, torch.Tensor):
        y = torch.sign(x) * torch.log1p(mu * torch.clamp(x.abs(), max=1.0)) / np.log1p(mu)
        return ((y + 1) / 2 * mu + 0.5).long().clamp(0, mu)
    y = np.sign(x) * np.log1p(mu * np.minimum(np.abs(x), 1.0)) / np.log1p(mu)
    return np.clip(((y + 1) / 2 * mu + 0.5).astype(np.int64), 0, mu)


def mu_law_decode(c, q: int = 256):
    """μ-law classes → float audio in [−1, 1]."""
    mu = q - 1
    if isinstance(c, torch.Tensor):
        y = 2 * c.float() / mu - 1
        return torch.sign(y) * ((1 + mu) ** y.abs() - 1) / mu
    y = 2 * np.asarray(c, dtype=np.float64) / mu - 1
    return np.sign(y) * ((1 + mu) ** np.abs(y) - 1) / mu


class WaveNet(nn.Module):
    """Causal dilated-convolution network with gated units, residual and skip connections."""

    def __init__(self, cfg: WaveNetConfig = WaveNetConfig()):
        super().__init__()
        self.cfg = cfg
        r, s = cfg.residual, cfg.skip
        self.embed = nn.Embedding(cfg.quantization, r)
        self.units = Units(cfg.units) if cfg.units else None
        self.local = nn.Conv1d(n_local(cfg), cfg.cond, 1)
        self.glob = nn.Linear(N_GLOBAL, cfg.cond)
        self.per_sample = nn.Conv1d(N_SAMPLE, cfg.cond, 1) if cfg.excitation else None
        # the excitation also enters the residual stream beside the samples, so the dilated stack sees its past
        # periods (a 1×1 conditioning alone gives each layer one instantaneous value)
        self.exc_in = nn.Conv1d(N_SAMPLE, r, 1) if cfg.excitation else None
        self.dil = nn.ModuleList(nn.Conv1d(r, 2 * r, 2, dilation=d) for d in cfg.dilations)
        self.cond_proj = nn.ModuleList(nn.Conv1d(cfg.cond, 2 * r, 1) for _ in cfg.dilations)
        self.res = nn.ModuleList(nn.Conv1d(r, r, 1) for _ in cfg.dilations)
        self.skip = nn.ModuleList(nn.Conv1d(r, s, 1) for _ in cfg.dilations)
        self.out1 = nn.Conv1d(s, s, 1)
        self.out2 = nn.Conv1d(s, cfg.quantization, 1)
        self.hop = cfg.sample_rate // TOKEN_RATE

    kind = "wavenet"

    def context_frames(self) -> int:
        """Frames of audio before a training crop's loss: the receptive field."""
        return math.ceil((self.cfg.receptive_field - 1) / self.hop)

    def conditioning(self, local: torch.Tensor, glob: torch.Tensor, f0: torch.Tensor,
                     phase: torch.Tensor | None = None) -> torch.Tensor:
        """(B, cond [+ N_SAMPLE], n) for n = f0.shape[1] samples: frame features held for each frame's samples and
        the speaker vector; with `excitation`, plus the per-sample F0 and its sine, both projected into those
        channels and appended raw (the residual stream's input). `phase`: the excitation's phase per sample
        (training with `phase_lock`), else integrated from the F0."""
        n_samples = f0.shape[1]
        c = self.local(local) + self.glob(glob)[:, :, None]
        c = torch.repeat_interleave(c, self.hop, dim=2)
        if c.shape[2] < n_samples:
            c = F.pad(c, (0, n_samples - c.shape[2]), mode="replicate")
        c = c[:, :, :n_samples]
        if self.per_sample is not None:
            per_sample = sample_conditioning(f0, self.cfg.sample_rate, self.cfg.harmonics, phase)
            c = torch.cat([c + self.per_sample(per_sample), per_sample], dim=1)
        return c

    def _split(self, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The layers' conditioning and the residual stream's excitation input (None without excitation)."""
        if self.exc_in is None:
            return cond, None
        k = self.cfg.cond
        return cond[:, :k], self.exc_in(cond[:, k:])

    def loss(self, batch: dict) -> torch.Tensor:
        """Cross-entropy (nats per sample) of each crop's samples after its context."""
        classes = mu_law_encode(batch["audio"], self.cfg.quantization)
        x, target = classes[:, :-1], classes[:, 1:]
        phase = batch["phase"][:, 1:] if self.cfg.phase_lock else None
        cond = self.conditioning(batch["local"], batch["glob"], batch["f0"][:, 1:], phase)
        skip = batch["context"]
        return F.cross_entropy(self(x, cond)[:, :, skip:], target[:, skip:])

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """x (B, T) μ-law classes of samples 0…T−1, cond (B, cond, T) → logits (B, q, T) of samples 1…T."""
        cond, exc = self._split(cond)
        h = self.embed(x).transpose(1, 2)
        if exc is not None:
            h = h + exc
        skip = 0
        for dil, cp, res, sk, d in zip(self.dil, self.cond_proj, self.res, self.skip, self.cfg.dilations):
            z = dil(F.pad(h, (d, 0))) + cp(cond)
            a, b = z.chunk(2, dim=1)
            g = torch.tanh(a) * torch.sigmoid(b)
            skip = skip + sk(g)
            h = h + res(g)
        return self.out2(F.relu(self.out1(F.relu(skip))))

    def _incremental_state(self, batch: int, device) -> dict:
        """Per layer: both conv taps as one matrix, residual and skip as one, and a queue of the layer's last d
        inputs; the conditioning of the samples ahead is added chunk by chunk (`_chunk_conditioning`)."""
        r = self.cfg.residual
        return {
            "w_taps": [torch.cat([c.weight[:, :, 0], c.weight[:, :, 1]], dim=1).T.contiguous() for c in self.dil],
            "w_out": [torch.cat([rs.weight[:, :, 0], sk.weight[:, :, 0]], dim=0).T.contiguous()
                      for rs, sk in zip(self.res, self.skip)],
            "b_out": [torch.cat([rs.bias, sk.bias]) for rs, sk in zip(self.res, self.skip)],
            "queues": [[torch.zeros(batch, r, device=device)] * d for d in self.cfg.dilations],
            "w1": self.out1.weight[:, :, 0], "w2": self.out2.weight[:, :, 0],
        }

    def _chunk_conditioning(self, cond: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor | None]:
        """Per layer, (n, B, 2r) projected conditioning of a chunk of samples, time-major, conv bias folded in; and
        the residual stream's (n, B, r) excitation input (None without excitation)."""
        cond, exc = self._split(cond)
        layers = [(cp(cond) + dil.bias[None, :, None]).permute(2, 0, 1).contiguous()
                  for cp, dil in zip(self.cond_proj, self.dil)]
        return layers, (exc.permute(2, 0, 1).contiguous() if exc is not None else None)

    def _step(self, x: torch.Tensor, t: int, st: dict, cond: list[torch.Tensor],
              exc: torch.Tensor | None) -> torch.Tensor:
        """Logits (B, q) of sample t + 1 given sample t's class x (B,) and the layers' conditioning of that step;
        O(layers) work."""
        r = self.cfg.residual
        h = self.embed(x)
        if exc is not None:
            h = h + exc
        skip = None
        for i, d in enumerate(self.cfg.dilations):
            queue = st["queues"][i]
            past = queue[t % d]  # the layer's input d samples ago
            queue[t % d] = h  # replaced, not written into: `past` stays valid
            z = torch.addmm(cond[i], torch.cat([past, h], dim=1), st["w_taps"][i])
            g = torch.tanh(z[:, :r]) * torch.sigmoid(z[:, r:])
            o = torch.addmm(st["b_out"][i], g, st["w_out"][i])
            h = h + o[:, :r]
            skip = o[:, r:] if skip is None else skip + o[:, r:]
        y = F.relu(F.linear(F.relu(skip), st["w1"], self.out1.bias))
        return F.linear(y, st["w2"], self.out2.bias)

    @torch.inference_mode()
    def incremental_logits(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (B, q, T) through the incremental path (equals forward; for tests)."""
        st = self._incremental_state(x.shape[0], x.device)
        layers, exc = self._chunk_conditioning(cond)
        return torch.stack([self._step(x[:, t], t, st, [c[t] for c in layers], None if exc is None else exc[t])
                            for t in range(x.shape[1])], dim=2)

    @torch.inference_mode()
    def generate(self, local: torch.Tensor, glob: torch.Tensor, f0: torch.Tensor,
                 temperature: float = 1.0, generator: torch.Generator | None = None,
                 chunk: int = 4000) -> torch.Tensor:
        """Sample f0.shape[1] samples (B, n) of float audio, one at a time with per-layer queues of past inputs;
        the conditioning is projected `chunk` samples at a time, so memory does not grow with the length.
        `temperature`: the sampling temperature of every sample."""
        self.eval()
        batch, n_samples = f0.shape
        dev = local.device
        st = self._incremental_state(batch, dev)
        x = torch.full((batch,), self.cfg.quantization // 2, dtype=torch.long, device=dev)  # μ-law zero
        out = torch.zeros(batch, n_samples, device=dev)
        cond = self.conditioning(local, glob, f0)
        for lo in range(0, n_samples, chunk):
            layers, exc = self._chunk_conditioning(cond[:, :, lo : lo + chunk])
            for t in range(lo, min(lo + chunk, n_samples)):
                logits = self._step(x, t, st, [c[t - lo] for c in layers],
                                    None if exc is None else exc[t - lo]) / temperature
                x = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator)[:, 0]
                out[:, t] = mu_law_decode(x, self.cfg.quantization)
        return out

    @torch.no_grad()
    def generate_naive(self, local: torch.Tensor, glob: torch.Tensor, f0: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """The reference generator: recompute the whole receptive field for every sample (slow)."""
        self.eval()
        n_samples = f0.shape[1]
        cond = self.conditioning(local, glob, f0)
        rf = self.cfg.receptive_field
        # inputs: μ-law zero first (as in `generate`), then each drawn sample; times before 0 are the
        # network's own zero padding, so only the real history of at most rf inputs is fed
        hist = torch.full((cond.shape[0], 1), self.cfg.quantization // 2, dtype=torch.long)
        out = torch.zeros(cond.shape[0], n_samples)
        for t in range(n_samples):
            lo = max(0, t - rf + 1)
            logits = self(hist[:, lo : t + 1], cond[:, :, lo : t + 1])[:, :, -1]
            x = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator)[:, 0]
            hist = torch.cat([hist, x[:, None]], dim=1)
            out[:, t] = mu_law_decode(x, self.cfg.quantization)
        return out


LEGACY = {"harmonics": 1, "phase_lock": False}  # what a model saved before these settings existed was trained with

VOICE = neural_voice("wavenet", WaveNet, WaveNetConfig,
                     "causal dilated convolutions over μ-law samples (van den Oord et al. 2016), phase-locked F0 "
                     "excitation", legacy=LEGACY)
