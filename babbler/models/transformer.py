"""The neural frame model: a causal Transformer with ALiBi over both speakers' 50 Hz tokens.

One network is one agent: its input at each frame is its own token and its partner's token (and,
where configured, both speakers' clock, `models.clock`, and the channel it speaks on), its
outputs are the next frame's own token and partner token. Training sees both role assignments of
every dialogue (speaker-swap weight sharing). Attention is limited to the last `context` frames,
so training crops, full-sequence evaluation and the cached streaming step all see the same window.

A third head predicts, at the frame before the agent starts a speech run, how long that run will
last (log-spaced bins, FastSpeech-style durations). Sampling can end runs by it (`durations=True`
streams, config `sample.stop: duration`): the probability of falling silent at each frame of a
run is then that prediction's hazard at the run's length so far (`durations.RunHazard`), while the token
head still chooses when to start and the prosody of every speech frame. The model's scores
(bits per frame, shift/hold) are those of its per-frame token probabilities.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from babbler.models import joint_from_marginals
from babbler.models.clock import (
    N_FEATURES,
    SIZES,
    TEMPO,
    Clock,
    clock_features,
    knot_weights,
)
from babbler.models.dataset import VOCAB
from babbler.models.durations import DUR_BINS, RunHazard
from babbler.models.files import save_torch


@dataclass
class FrameCache:
    """What streaming keeps between frames: per-layer key/value ring buffers and the clock of every stream."""

    layers: list[dict]
    clock: Clock | None  # None for a model without the clock


class FrameLogits(NamedTuple):
    """What the frame model predicts at each frame for the next one."""

    own: torch.Tensor  # (…, VOCAB) the agent's own next token
    partner: torch.Tensor  # (…, VOCAB) the partner's next token
    duration: torch.Tensor  # (…, DUR_BINS) the length of an own speech run starting at the next frame


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes of the frame Transformer (config section `model.transformer`)."""

    d_model: int = 64
    layers: int = 2
    heads: int = 4
    ff_mult: int = 4
    dropout: float = 0.1  # on the residual branches (and the attention weights unless attention_dropout is set)
    attention_dropout: float | None = None  # on the attention weights (None: `dropout`); its mask is costly on CPU
    context: int = 512  # frames of attention window (10.24 s at 50 Hz)
    clock: bool = False  # input the run lengths and tempo of both speakers (babbler.models.clock)
    seat: bool = False  # input which channel (A or B) the agent speaks on, so roles that differ by channel are kept

    @property
    def attention_p(self) -> float:
        """The dropout on the attention weights: `attention_dropout`, or `dropout` where that is unset."""
        return self.dropout if self.attention_dropout is None else self.attention_dropout


class KnotEmbedding(nn.Module):
    """An embedding whose rows are fixed mixtures (`clock.knot_weights`) of a few learnt vectors: neighbouring run
    lengths share what is learnt about them, and lengths seldom seen are interpolated rather than left untrained."""

    def __init__(self, weights: np.ndarray, dim: int):
        super().__init__()
        self.register_buffer("mix", torch.as_tensor(weights, dtype=torch.float32), persistent=False)
        self.weight = nn.Parameter(torch.zeros(weights.shape[1], dim))

    def forward(self, index: torch.Tensor) -> torch.Tensor:
        return F.embedding(index, self.mix @ self.weight)


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
        self.attention_dropout = cfg.attention_p

    def _split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        return tuple(z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """Full sequence: x (B, T, D), bias (H, T, T) with −inf outside the causal window."""
        q, k, v = self._split(x)
        p = self.attention_dropout if self.training else 0.0
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=p)
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

    predicts_durations = True  # capability: the `duration` logits exist, so sampling may stop runs by them

    def __init__(self, cfg: TransformerConfig = TransformerConfig()):
        super().__init__()
        if cfg.d_model % cfg.heads:
            raise ValueError("d_model must be divisible by heads")
        self.cfg = cfg
        self.emb_self = nn.Embedding(VOCAB, cfg.d_model)
        self.emb_other = nn.Embedding(VOCAB, cfg.d_model)
        self.emb_clock = nn.ModuleList(KnotEmbedding(knot_weights(SIZES[k], TEMPO[k]), cfg.d_model)
                                       for k in range(N_FEATURES)) if cfg.clock else None
        self.emb_seat = nn.Embedding(2, cfg.d_model) if cfg.seat else None
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head_self = nn.Linear(cfg.d_model, VOCAB)
        self.head_other = nn.Linear(cfg.d_model, VOCAB)
        self.head_dur = nn.Linear(cfg.d_model, DUR_BINS)
        self.register_buffer("slopes", alibi_slopes(cfg.heads), persistent=False)
        if cfg.clock:  # the indices its training data covered (set_clock_range); beyond, the nearest covered
            self.register_buffer("clock_lo", torch.ones(N_FEATURES, dtype=torch.long))
            self.register_buffer("clock_hi", torch.tensor(SIZES) - 1)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, KnotEmbedding):
            nn.init.normal_(m.weight, std=0.02)
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

    def _embed(self, own: torch.Tensor, other: torch.Tensor, clock: torch.Tensor | None,
               seat: torch.Tensor | None) -> torch.Tensor:
        """Input vectors of (B, …) own and partner tokens, their (B, …, N_FEATURES) clock and (B,) seats."""
        x = self.emb_self(own) + self.emb_other(other)
        if self.emb_seat is not None:
            seat = torch.zeros(own.shape[0], dtype=torch.long, device=own.device) if seat is None else seat
            x = x + self.emb_seat(seat).view(own.shape[0], *[1] * (own.dim() - 1), -1)
        if self.emb_clock is not None:
            if clock.shape[-1] != N_FEATURES:
                raise ValueError(f"this model reads the clock: {N_FEATURES} clock columns needed, "
                                 f"got {clock.shape[-1]} (train.views(..., clock=True))")
            clock = torch.where(clock > 0, torch.minimum(torch.maximum(clock, self.clock_lo), self.clock_hi), 0)
            for k, emb in enumerate(self.emb_clock):
                x = x + emb(clock[..., k])
        return x

    def set_clock_range(self, lo_hi: np.ndarray) -> None:
        """Clamp the clock's nonzero indices to these (N_FEATURES, 2) bounds (`clock.clock_range` of the training
        data), so that runs longer or shorter than any learnt from read as the nearest that were."""
        self.clock_lo.copy_(torch.as_tensor(lo_hi[:, 0]))
        self.clock_hi.copy_(torch.as_tensor(lo_hi[:, 1]))

    def forward(self, own: torch.Tensor, other: torch.Tensor, clock: torch.Tensor | None = None,
                seat: torch.Tensor | None = None) -> FrameLogits:
        """own, other (B, T) tokens → logits (B, T, VOCAB) of own and partner token at each next frame, and
        logits (B, T, DUR_BINS) of the length of an own speech run starting at the next frame.

        `clock` (B, T, N_FEATURES) is the sequences' clock (`clock_features`, computed over what came before the
        crop where it is known); by default it is computed as if each sequence began at its first frame. `seat` (B,)
        is the channel each sequence's own speaker talks on (0 = A, 1 = B; default A)."""
        if self.emb_clock is not None and clock is None:
            rows = [clock_features(o, p) for o, p in zip(own.cpu().numpy(), other.cpu().numpy())]
            clock = torch.as_tensor(np.stack(rows), device=own.device)
        x = self._embed(own, other, clock, seat)
        bias = self._bias(own.shape[1], own.device)
        for blk in self.blocks:
            x = blk(x, bias)
        x = self.ln_f(x)
        return FrameLogits(self.head_self(x), self.head_other(x), self.head_dur(x))

    def new_cache(self, batch: int) -> FrameCache:
        """Empty per-layer ring buffers of `context` frames and a fresh clock for a batch of streams."""
        c = self.cfg
        dh = c.d_model // c.heads
        dev = self.slopes.device
        layers = [{"k": torch.zeros(batch, c.heads, c.context, dh, device=dev),
                   "v": torch.zeros(batch, c.heads, c.context, dh, device=dev),
                   "pos": torch.zeros(c.context, dtype=torch.long, device=dev),
                   "filled": torch.zeros(c.context, dtype=torch.bool, device=dev), "t": 0} for _ in self.blocks]
        return FrameCache(layers, Clock(batch) if self.emb_clock is not None else None)

    @torch.no_grad()
    def step(self, own: torch.Tensor, other: torch.Tensor, cache: FrameCache | None,
             seat: torch.Tensor | None = None) -> tuple[FrameLogits, FrameCache]:
        """Streaming forward of one frame: own, other, seat (B,) → the logits of `forward` for the next frame, and the
        updated cache."""
        if cache is None:
            cache = self.new_cache(own.shape[0])
        clock = None
        if cache.clock is not None:
            clock = torch.as_tensor(cache.clock.update(own.cpu().numpy(), other.cpu().numpy()), device=own.device)
        x = self._embed(own, other, clock, seat)[:, None, :]
        for blk, c in zip(self.blocks, cache.layers):
            slot = c["t"] % self.cfg.context
            c["pos"][slot] = c["t"]
            c["filled"][slot] = True
            x = blk.step(x, c, self.slopes)
            c["t"] += 1
        x = self.ln_f(x)[:, 0]
        return FrameLogits(self.head_self(x), self.head_other(x), self.head_dur(x)), cache

    def stream(self, batch: int, durations: bool = False, yield_in_overlap: bool = False) -> "TransformerStream":
        """A fresh stream for `batch` dialogues (both speakers played by this network); with `durations`, speech runs
        end by the duration head's hazard instead of the token head's per-frame silence probability (with
        `yield_in_overlap`, by the token head's while the partner talks)."""
        return TransformerStream(self, batch, durations, yield_in_overlap)

    def n_params(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


class TransformerStream:
    """Two agents per dialogue: view A (own = A) and view B (own = B) share the network, one batch of 2·B.

    Probabilities are untempered: sampling applies the temperature (babbler.sampling.generate.sample_token).
    """

    def __init__(self, model: FrameTransformer, batch: int, durations: bool = False, yield_in_overlap: bool = False):
        self.model = model.eval()
        self.batch = batch
        self.cache = None
        self.logits = None
        self.hazard = RunHazard(2 * batch, yield_in_overlap) if durations else None
        self.push(np.zeros((batch, 2), dtype=np.int64))  # dialogues start from a silent frame

    def push(self, tokens: np.ndarray) -> None:
        t = torch.as_tensor(np.asarray(tokens, dtype=np.int64))
        own = torch.cat([t[:, 0], t[:, 1]])
        other = torch.cat([t[:, 1], t[:, 0]])
        device = self.model.slopes.device  # a model on a GPU (checkpoint selection during training) streams there
        seat = None
        if self.model.emb_seat is not None:  # view A speaks on channel A, view B on B
            seat = torch.arange(2).repeat_interleave(len(t)).to(device)
        out, self.cache = self.model.step(own.to(device), other.to(device), self.cache, seat)
        self.logits = out.own.float().cpu()
        if self.hazard is not None:
            self.hazard.observe(own.numpy(), out.duration.float().cpu(), other.numpy())

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

        for c in self.cache.layers:
            c["k"], c["v"] = rep(c["k"]), rep(c["v"])
        self.logits = rep(self.logits)
        rows = np.arange(2 * self.batch)
        keep = np.concatenate([rows[: self.batch].repeat(k), rows[self.batch :].repeat(k)])
        if self.cache.clock is not None:
            self.cache.clock.select(keep)
        if self.hazard is not None:
            self.hazard.repeat(keep)
        self.batch *= k


def save_transformer(path, model: FrameTransformer, extra: dict | None = None) -> None:
    """Save config and weights (what sampling needs)."""
    save_torch(path, {"kind": "transformer", "config": asdict(model.cfg), "state": model.state_dict(),
                      **(extra or {})})


REMOVED_OPTIONS = ("style",)  # inputs of models saved by earlier versions that this one cannot give


def load_transformer(state: dict) -> FrameTransformer:
    """Rebuild a FrameTransformer from a saved dict (of this version or an earlier one: options it did not have take
    their defaults; a training-only head it had, such as the projection head, is dropped)."""
    saved = dict(state["config"])
    for option in REMOVED_OPTIONS:
        if saved.pop(option, False):
            raise ValueError(f"trained with model.transformer.{option}, an option this version removed; train it again")
    known = {f.name for f in fields(TransformerConfig)}
    model = FrameTransformer(TransformerConfig(**{k: v for k, v in saved.items() if k in known}))
    model.load_state_dict({k: v for k, v in state["state"].items() if not k.startswith("head_vap.")})
    return model.eval()
