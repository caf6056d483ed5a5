"""The `samplernn` babble voice (Mehri et al. 2017): three tiers at several time scales over μ-law samples.

A top GRU steps once per `frame_top` samples, reading the previous frame of samples and the 50 Hz conditioning
(VA, voicing, log F0, intensity, the speaker vector); its output, upsampled, drives a middle GRU that steps once per
`frame_mid` samples; a sample-level MLP reads the last `frame_mid` samples' embeddings, the middle tier's output for
its position and the per-sample F0 excitation, and gives a 256-way μ-law distribution. Generation keeps each tier's
GRU state, so a sample costs one MLP plus a share of the GRU steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from babbler.va import TOKEN_RATE
from babbler.voices.features import N_GLOBAL
from babbler.voices.neural import N_SAMPLE, neural_voice, sample_conditioning
from babbler.voices.units import Units, n_local
from babbler.voices.wavenet import mu_law_decode, mu_law_encode


@dataclass(frozen=True)
class SampleRNNConfig:
    """Sizes of the SampleRNN voice (config section `voice.samplernn.model`)."""

    sample_rate: int = 8000
    frame_top: int = 16  # samples per top-tier step
    frame_mid: int = 4  # samples per middle-tier step
    hidden: int = 128  # GRU units of both tiers
    mlp: int = 128  # hidden units of the sample-level MLP
    embed: int = 32  # embedding of each μ-law class at the sample level
    cond: int = 32
    quantization: int = 256
    excitation: bool = True  # per-sample F0 and its sine into the sample-level MLP
    units: int = 0  # phone-like units learned from the training speech (0: none; babbler.voices.units)

    def __post_init__(self) -> None:
        hop = self.sample_rate // TOKEN_RATE
        if self.frame_top % self.frame_mid or hop % self.frame_top:
            raise ValueError(f"samplernn: frame_mid ({self.frame_mid}) must divide frame_top ({self.frame_top}), "
                             f"which must divide the {hop} samples of a 20 ms frame at {self.sample_rate} Hz")


def companded(classes: torch.Tensor, q: int) -> torch.Tensor:
    """μ-law classes as floats in [−1, 1] (the tiers' input)."""
    return 2.0 * classes.float() / (q - 1) - 1.0


class SampleRNN(nn.Module):
    """Top and middle GRU tiers over frames of samples and a sample-level MLP."""

    kind = "samplernn"

    def __init__(self, cfg: SampleRNNConfig = SampleRNNConfig()):
        super().__init__()
        self.cfg = cfg
        h, m, ft, fm = cfg.hidden, cfg.mlp, cfg.frame_top, cfg.frame_mid
        self.hop = cfg.sample_rate // TOKEN_RATE
        self.ratio = ft // fm
        self.units = Units(cfg.units) if cfg.units else None
        self.local = nn.Linear(n_local(cfg), cfg.cond)
        self.glob = nn.Linear(N_GLOBAL, cfg.cond)
        self.top_in = nn.Linear(ft, h)
        self.top_cond = nn.Linear(cfg.cond, h)
        self.top_rnn = nn.GRU(h, h, batch_first=True)
        self.top_up = nn.Linear(h, self.ratio * h)
        self.mid_in = nn.Linear(fm, h)
        self.mid_rnn = nn.GRU(h, h, batch_first=True)
        self.mid_up = nn.Linear(h, fm * m)
        self.embed = nn.Embedding(cfg.quantization, cfg.embed)
        self.mlp_in = nn.Linear(fm * cfg.embed, m)
        self.per_sample = nn.Linear(N_SAMPLE, m) if cfg.excitation else None
        # each tier also reads the excitation of the samples it stands for: the period it should speak at
        self.top_exc = nn.Linear(ft, h) if cfg.excitation else None
        self.mid_exc = nn.Linear(fm, h) if cfg.excitation else None
        self.mlp_hidden = nn.Linear(m, m)
        self.mlp_out = nn.Linear(m, cfg.quantization)

    def context_frames(self) -> int:
        """Frames of audio before a training crop's loss: a warm-up of the tiers' recurrent state."""
        return 2

    def frame_conditioning(self, local: torch.Tensor, glob: torch.Tensor, first: int, n_top: int) -> torch.Tensor:
        """(B, n_top, cond): the conditioning of each top-tier step whose first predicted sample is
        first + j·frame_top (the 50 Hz frame holding that sample)."""
        frames = (first + torch.arange(n_top, device=local.device) * self.cfg.frame_top) // self.hop
        frames = frames.clamp(max=local.shape[2] - 1)
        return self.local(local[:, :, frames].transpose(1, 2)) + self.glob(glob)[:, None, :]

    def sample_cond(self, f0: torch.Tensor) -> torch.Tensor | None:
        """(B, n, N_SAMPLE) per-sample excitation (the sine, log F0) from per-sample F0 (B, n), or None without."""
        if self.per_sample is None:
            return None
        return sample_conditioning(f0, self.cfg.sample_rate).transpose(1, 2)

    def forward(self, x: torch.Tensor, cond: torch.Tensor, samp: torch.Tensor | None) -> torch.Tensor:
        """Teacher-forced logits (B, q, N) of samples x[:, frame_top:] (N a multiple of frame_top) given all
        before them; `cond` (B, N / frame_top, cond) per top step, `samp` (B, N, N_SAMPLE) per sample."""
        cfg = self.cfg
        ft, fm, q = cfg.frame_top, cfg.frame_mid, cfg.quantization
        b, n = x.shape[0], x.shape[1] - ft
        xf = companded(x, q)
        top_inputs = xf[:, :n].reshape(b, n // ft, ft)
        top_x = self.top_in(top_inputs) + self.top_cond(cond)
        if samp is not None:
            top_x = top_x + self.top_exc(samp[..., 0].reshape(b, n // ft, ft))
        top, _ = self.top_rnn(top_x)
        top = self.top_up(top).reshape(b, n // fm, cfg.hidden)
        mid_inputs = xf[:, ft - fm : ft - fm + n].reshape(b, n // fm, fm)
        mid_x = self.mid_in(mid_inputs) + top
        if samp is not None:
            mid_x = mid_x + self.mid_exc(samp[..., 0].reshape(b, n // fm, fm))
        mid, _ = self.mid_rnn(mid_x)
        mid = self.mid_up(mid).reshape(b, n, cfg.mlp)
        prev = x[:, ft - fm : ft - 1 + n].unfold(1, fm, 1)  # (B, N, fm): the fm samples before each
        z = self.mlp_in(self.embed(prev).reshape(b, n, fm * cfg.embed)) + mid
        if samp is not None:
            z = z + self.per_sample(samp)
        z = F.relu(self.mlp_hidden(F.relu(z)))
        return self.mlp_out(z).transpose(1, 2)

    def loss(self, batch: dict) -> torch.Tensor:
        """Cross-entropy (nats per sample) of each crop's samples after its context (the tiers run from its start)."""
        ft = self.cfg.frame_top
        classes = mu_law_encode(batch["audio"], self.cfg.quantization)
        x = classes[:, 1:]  # samples 1…L; the first frame_top of them are history only
        n = x.shape[1] - ft
        first = 1 + ft  # the first predicted sample
        cond = self.frame_conditioning(batch["local"], batch["glob"], first, n // ft)
        logits = self(x, cond, self.sample_cond(batch["f0"][:, first:]))
        skip = max(0, batch["context"] + 1 - first)
        return F.cross_entropy(logits[:, :, skip:], x[:, ft + skip :])

    # ------------------------------------------------------------------ incremental generation

    def _mlp_tables(self) -> torch.Tensor:
        """(fm, q, mlp): the first MLP layer's contribution of each previous-sample position and class."""
        cfg = self.cfg
        w = self.mlp_in.weight.reshape(cfg.mlp, cfg.frame_mid, cfg.embed)
        return torch.einsum("qe,mpe->pqm", self.embed.weight, w).contiguous()

    def _run(self, x0: torch.Tensor, cond: torch.Tensor, samp: torch.Tensor | None, n: int,
             draw) -> torch.Tensor:
        """The incremental path over n samples: `draw(t, logits)` returns sample t's class (B,) (drawn or given);
        `x0` (B, frame_top) is the history before sample 0. Returns the classes (B, n)."""
        cfg = self.cfg
        ft, fm, q = cfg.frame_top, cfg.frame_mid, cfg.quantization
        b = x0.shape[0]
        dev = x0.device
        tables = self._mlp_tables()
        if samp is not None:  # per-sample and per-step projections of the excitation, padded to whole top steps
            n_pad = -(-n // ft) * ft
            sine = F.pad(samp[..., 0], (0, n_pad - samp.shape[1]))
            exc_top = self.top_exc(sine.reshape(b, n_pad // ft, ft))
            exc_mid = self.mid_exc(sine.reshape(b, n_pad // fm, fm))
            exc_mlp = self.per_sample(samp)
        pos = torch.arange(fm, device=dev)
        hist = torch.cat([x0, torch.zeros(b, n, dtype=torch.long, device=dev)], dim=1)  # history, then samples
        h_top = torch.zeros(1, b, cfg.hidden, device=dev)
        h_mid = torch.zeros(1, b, cfg.hidden, device=dev)
        top_up = mid_up = None
        for t in range(n):
            i = t + ft  # index of sample t in `hist`
            if t % ft == 0:
                inp = self.top_in(companded(hist[:, i - ft : i], q)) + self.top_cond(cond[:, t // ft])
                if samp is not None:
                    inp = inp + exc_top[:, t // ft]
                out, h_top = self.top_rnn(inp[:, None], h_top)
                top_up = self.top_up(out[:, 0]).reshape(b, self.ratio, cfg.hidden)
            if t % fm == 0:
                inp = self.mid_in(companded(hist[:, i - fm : i], q)) + top_up[:, (t % ft) // fm]
                if samp is not None:
                    inp = inp + exc_mid[:, t // fm]
                out, h_mid = self.mid_rnn(inp[:, None], h_mid)
                mid_up = self.mid_up(out[:, 0]).reshape(b, fm, cfg.mlp)
            z = tables[pos, hist[:, i - fm : i]].sum(dim=1) + self.mlp_in.bias + mid_up[:, t % fm]
            if samp is not None:
                z = z + exc_mlp[:, t]
            z = F.relu(F.linear(F.relu(z), self.mlp_hidden.weight, self.mlp_hidden.bias))
            hist[:, i] = draw(t, F.linear(z, self.mlp_out.weight, self.mlp_out.bias))
        return hist[:, ft:]

    @torch.inference_mode()
    def incremental_logits(self, x: torch.Tensor, cond: torch.Tensor, samp: torch.Tensor | None) -> torch.Tensor:
        """Teacher-forced logits (B, q, N) through the incremental path (equals forward; for tests)."""
        ft = self.cfg.frame_top
        logits = []

        def given(t, lg):
            logits.append(lg)
            return x[:, ft + t]

        self._run(x[:, :ft], cond, samp, x.shape[1] - ft, given)
        return torch.stack(logits, dim=2)

    @torch.inference_mode()
    def generate(self, local: torch.Tensor, glob: torch.Tensor, f0: torch.Tensor,
                 temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """Sample f0.shape[1] samples (B, n) of float audio from silence, keeping each tier's state, at one sampling
        `temperature`."""
        self.eval()
        b, n = f0.shape
        ft, q = self.cfg.frame_top, self.cfg.quantization
        n_top = -(-n // ft)
        cond = self.frame_conditioning(local, glob, 0, n_top)
        samp = self.sample_cond(f0)
        x0 = torch.full((b, ft), q // 2, dtype=torch.long, device=f0.device)  # μ-law zero before the start

        def draw(t, logits):
            return torch.multinomial(torch.softmax(logits / temperature, dim=-1), 1,
                                     generator=generator)[:, 0]

        return mu_law_decode(self._run(x0, cond, samp, n, draw), q)


VOICE = neural_voice("samplernn", SampleRNN, SampleRNNConfig,
                     "GRU tiers every 16 and 4 samples over a sample-level MLP (Mehri et al. 2017), F0 sine excitation")
