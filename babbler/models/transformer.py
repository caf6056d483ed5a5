"""The neural frame model: a causal Transformer with ALiBi over both speakers' 50 Hz tokens.

One network is one agent: its input at each frame is its own token and its partner's token, its
outputs are the next frame's own token and partner token. Training sees both role assignments of
every dialogue (speaker-swap weight sharing). Attention is limited to the last `context` frames,
so training crops, full-sequence evaluation and the cached streaming step all see the same window.

A third head predicts, at the frame before the agent starts a speech run, how long that run will
last (log-spaced bins, FastSpeech-style durations). Sampling can end runs by it (`durations=True`
streams, config `sample.stop: duration`): the probability of falling silent at each frame of a
run is then that prediction's hazard at the run's length so far (`RunHazard`), while the token
head still chooses when to start and the prosody of every speech frame. The model's scores
(bits per frame, shift/hold) are those of its per-frame token probabilities.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from babbler.dataset import VOCAB
from babbler.fileio import atomic_path
from babbler.models import joint_from_marginals
from babbler.va import runs


# lower edges of the run-length bins, frames: one bin per frame up to 1.28 s, then 5 % wider each
DUR_EDGES = np.unique(np.concatenate([np.arange(1, 64), np.round(np.geomspace(64, 512, 44))]).astype(np.int64))
DUR_BINS = len(DUR_EDGES)
TAIL_HAZARD = 0.02  # per-frame stop probability past the last edge (10.24 s): a mean of 1 s more


def duration_bin(frames: np.ndarray) -> np.ndarray:
    """Bin index of speech-run lengths in frames (≥ 1)."""
    return np.searchsorted(DUR_EDGES, frames, side="right") - 1


def onset_durations(own: np.ndarray) -> np.ndarray:
    """Per frame t: the length of the speech run that starts at t + 1, or −1 (no onset, or the run reaches the end)."""
    out = np.full(len(own), -1, dtype=np.int64)
    starts, ends = runs(np.asarray(own) > 0)
    keep = (starts > 0) & (ends < len(own))
    out[starts[keep] - 1] = (ends - starts)[keep]
    return out


def run_hazard(p_dur: np.ndarray, run: np.ndarray) -> np.ndarray:
    """P(a speech run ends after `run` frames | it lasted that long), from (N, DUR_BINS) duration probabilities.

    Within a bin the length is uniform; past the last edge the hazard is TAIL_HAZARD.
    """
    run = np.asarray(run)
    k = duration_bin(run)
    last = k == DUR_BINS - 1
    lo = DUR_EDGES[k]
    hi = np.where(last, lo + 1, DUR_EDGES[np.minimum(k + 1, DUR_BINS - 1)])
    width = (hi - lo).astype(np.float64)
    rows = np.arange(len(run))
    above = np.cumsum(p_dur[:, ::-1], axis=1)[:, ::-1] - p_dur  # P(bin > k) for every k
    pk = p_dur[rows, k]
    p_eq = pk / width
    p_ge = above[rows, k] + pk * (hi - run) / width
    h = np.where(last, TAIL_HAZARD, p_eq / np.maximum(p_ge, 1e-300))
    return np.clip(h, 1e-6, 1 - 1e-6)


def with_hazard(probs: np.ndarray, h: np.ndarray, use: np.ndarray) -> np.ndarray:
    """(N, VOCAB) token probabilities whose silence probability is `h` where `use`, speech tokens rescaled to 1 − h."""
    speech = probs[:, 1:] / np.maximum(probs[:, 1:].sum(axis=1, keepdims=True), 1e-300)
    mixed = np.concatenate([h[:, None], (1 - h)[:, None] * speech], axis=1)
    return np.where(use[:, None], mixed, probs)


class RunHazard:
    """Per-stream state that turns the duration head's prediction at each onset into per-frame stop probabilities."""

    def __init__(self, n: int):
        self.talking = np.zeros(n, dtype=bool)
        self.run = np.zeros(n, dtype=np.int64)
        self.known = np.zeros(n, dtype=bool)  # the current run's onset was seen (its duration prediction is held)
        self.onset = np.full((n, DUR_BINS), 1.0 / DUR_BINS)
        self.pending: np.ndarray | None = None  # duration probabilities from the last frame's output

    def observe(self, own: np.ndarray, logits_dur: torch.Tensor) -> None:
        """Record the own tokens just pushed and the duration head's logits (N, DUR_BINS) at that frame."""
        p_dur = torch.softmax(logits_dur.float(), dim=-1).cpu().numpy().astype(np.float64)
        on = np.asarray(own) > 0
        start = on & ~self.talking
        if self.pending is not None:
            self.onset = np.where(start[:, None], self.pending, self.onset)
        self.known = np.where(start, self.pending is not None, self.known & on)
        self.run = np.where(on == self.talking, self.run + 1, 1)
        self.talking = on
        self.pending = p_dur

    def apply(self, probs: np.ndarray) -> np.ndarray:
        """Next-token probabilities (N, VOCAB) with the stop probability of every running speech run replaced."""
        use = self.talking & self.known
        if not use.any():
            return probs
        return with_hazard(probs, run_hazard(self.onset, np.maximum(self.run, 1)), use)

    def repeat(self, rows: np.ndarray) -> None:
        """Keep the rows `rows` (in this order): replication for rollouts."""
        self.talking, self.run, self.known = self.talking[rows], self.run[rows], self.known[rows]
        self.onset = self.onset[rows]
        if self.pending is not None:
            self.pending = self.pending[rows]


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes of the frame Transformer (config section `model.transformer`)."""

    d_model: int = 64
    layers: int = 2
    heads: int = 4
    ff_mult: int = 4
    dropout: float = 0.1
    context: int = 512  # frames of attention window (10.24 s at 50 Hz)


def alibi_slopes(heads: int) -> torch.Tensor:
    """Per-head ALiBi slopes 2^(-8i/h), i = 1…h (Press et al. 2022)."""
    return torch.tensor([2 ** (-8 * (i + 1) / heads) for i in range(heads)])


class Block(nn.Module):
    """Pre-norm Transformer block: ALiBi self-attention and a GELU feed-forward layer."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.heads = cfg.heads
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.ff = nn.Sequential(nn.Linear(cfg.d_model, cfg.ff_mult * cfg.d_model), nn.GELU(),
                                nn.Linear(cfg.ff_mult * cfg.d_model, cfg.d_model))
        self.drop = nn.Dropout(cfg.dropout)
        self.dropout = cfg.dropout

    def _split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        return tuple(z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """Full sequence: x (B, T, D), bias (H, T, T) with −inf outside the causal window."""
        q, k, v = self._split(x)
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=self.dropout if self.training else 0.0)
        x = x + self.drop(self.proj(att.transpose(1, 2).reshape(x.shape)))
        return x + self.drop(self.ff(self.ln2(x)))

    def step(self, x: torch.Tensor, cache: dict, slopes: torch.Tensor) -> torch.Tensor:
        """One frame: x (B, 1, D) attends to the ring-buffer cache of the last `context` frames (incl. itself)."""
        q, k, v = self._split(x)
        slot = cache["t"] % cache["k"].shape[2]
        cache["k"][:, :, slot] = k[:, :, 0]
        cache["v"][:, :, slot] = v[:, :, 0]
        dist = (cache["t"] - cache["pos"]).to(q.dtype)  # frames back; empty slots hold pos = −inf-like
        bias = (-slopes[:, None] * dist[None, :]).masked_fill(~cache["filled"][None, :], float("-inf"))
        # one query: scale the (B, H, 1, L) scores, not the cached keys (SDPA's CPU fallback rescales K)
        scores = torch.matmul(q, cache["k"].transpose(-1, -2)) * q.shape[-1] ** -0.5 + bias[:, None, :]
        att = torch.matmul(torch.softmax(scores, dim=-1), cache["v"])
        x = x + self.proj(att.transpose(1, 2).reshape(x.shape))
        return x + self.ff(self.ln2(x))


class FrameTransformer(nn.Module):
    """Causal Transformer: (own, partner) tokens up to frame t → logits of own and partner token at t + 1, and of
    the length of an own speech run starting at t + 1."""

    def __init__(self, cfg: TransformerConfig = TransformerConfig()):
        super().__init__()
        if cfg.d_model % cfg.heads:
            raise ValueError("d_model must be divisible by heads")
        self.cfg = cfg
        self.emb_self = nn.Embedding(VOCAB, cfg.d_model)
        self.emb_other = nn.Embedding(VOCAB, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head_self = nn.Linear(cfg.d_model, VOCAB)
        self.head_other = nn.Linear(cfg.d_model, VOCAB)
        self.head_dur = nn.Linear(cfg.d_model, DUR_BINS)
        self.register_buffer("slopes", alibi_slopes(cfg.heads), persistent=False)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def _bias(self, t: int, device) -> torch.Tensor:
        i = torch.arange(t, device=device)
        dist = (i[:, None] - i[None, :]).float()
        allowed = (dist >= 0) & (dist < self.cfg.context)
        bias = -self.slopes.to(device)[:, None, None] * dist[None]
        return bias.masked_fill(~allowed[None], float("-inf"))

    def forward(self, own: torch.Tensor, other: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """own, other (B, T) tokens → logits (B, T, VOCAB) of own and partner token at each next frame, and
        logits (B, T, DUR_BINS) of the length of an own speech run starting at the next frame."""
        x = self.emb_self(own) + self.emb_other(other)
        bias = self._bias(own.shape[1], own.device)
        for blk in self.blocks:
            x = blk(x, bias)
        x = self.ln_f(x)
        return self.head_self(x), self.head_other(x), self.head_dur(x)

    def new_cache(self, batch: int) -> list[dict]:
        """Empty per-layer ring buffers of `context` frames for a batch of streams."""
        c = self.cfg
        dh = c.d_model // c.heads
        dev = self.slopes.device
        return [{"k": torch.zeros(batch, c.heads, c.context, dh, device=dev),
                 "v": torch.zeros(batch, c.heads, c.context, dh, device=dev),
                 "pos": torch.zeros(c.context, dtype=torch.long, device=dev),
                 "filled": torch.zeros(c.context, dtype=torch.bool, device=dev), "t": 0} for _ in self.blocks]

    @torch.no_grad()
    def step(self, own: torch.Tensor, other: torch.Tensor, cache: list | None
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list]:
        """Streaming forward of one frame: own, other (B,) → logits of own token, partner token and run length
        (as `forward`), updated cache."""
        if cache is None:
            cache = self.new_cache(own.shape[0])
        x = (self.emb_self(own) + self.emb_other(other))[:, None, :]
        for blk, c in zip(self.blocks, cache):
            slot = c["t"] % self.cfg.context
            c["pos"][slot] = c["t"]
            c["filled"][slot] = True
            x = blk.step(x, c, self.slopes)
            c["t"] += 1
        x = self.ln_f(x)[:, 0]
        return self.head_self(x), self.head_other(x), self.head_dur(x), cache

    def stream(self, batch: int, durations: bool = False) -> "TransformerStream":
        """A fresh stream for `batch` dialogues (both speakers played by this network); with `durations`, speech runs
        end by the duration head's hazard instead of the token head's per-frame silence probability."""
        return TransformerStream(self, batch, durations)

    def n_params(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


class TransformerStream:
    """Two agents per dialogue: view A (own = A) and view B (own = B) share the network, one batch of 2·B.

    Probabilities are untempered: sampling applies the temperature (babbler.sampling.sample_token).
    """

    def __init__(self, model: FrameTransformer, batch: int, durations: bool = False):
        self.model = model.eval()
        self.batch = batch
        self.cache = None
        self.logits = None
        self.hazard = RunHazard(2 * batch) if durations else None
        self.push(np.zeros((batch, 2), dtype=np.int64))  # dialogues start from a silent frame

    def push(self, tokens: np.ndarray) -> None:
        t = torch.as_tensor(np.asarray(tokens, dtype=np.int64))
        own = torch.cat([t[:, 0], t[:, 1]])
        other = torch.cat([t[:, 1], t[:, 0]])
        logits_self, _, logits_dur, self.cache = self.model.step(own, other, self.cache)
        self.logits = logits_self.float()
        if self.hazard is not None:
            self.hazard.observe(own.numpy(), logits_dur)

    def next_probs(self) -> np.ndarray:
        p = torch.softmax(self.logits, dim=-1).numpy().astype(np.float64)
        if self.hazard is not None:
            p = self.hazard.apply(p)
        return np.stack([p[: self.batch], p[self.batch :]], axis=1)

    def va_joint(self) -> np.ndarray:
        p = self.next_probs()
        return joint_from_marginals(1 - p[:, :, 0])

    def repeat(self, k: int) -> None:
        """Replicate every dialogue's state k times (rows i·k … i·k + k − 1 continue dialogue i)."""
        def rep(x: torch.Tensor) -> torch.Tensor:
            a, b = x[: self.batch], x[self.batch :]
            return torch.cat([a.repeat_interleave(k, dim=0), b.repeat_interleave(k, dim=0)])

        for c in self.cache:
            c["k"], c["v"] = rep(c["k"]), rep(c["v"])
        self.logits = rep(self.logits)
        rows = np.arange(2 * self.batch)
        if self.hazard is not None:
            self.hazard.repeat(np.concatenate([rows[: self.batch].repeat(k), rows[self.batch :].repeat(k)]))
        self.batch *= k


def save_transformer(path, model: FrameTransformer, extra: dict | None = None) -> None:
    """Save config and weights (what sampling needs)."""
    with atomic_path(path) as tmp:
        torch.save({"kind": "transformer", "config": asdict(model.cfg), "state": model.state_dict(),
                    **(extra or {})}, tmp)


def load_transformer(state: dict) -> FrameTransformer:
    """Rebuild a FrameTransformer from a saved dict."""
    model = FrameTransformer(TransformerConfig(**state["config"]))
    model.load_state_dict(state["state"])
    return model.eval()
