"""The report's figures (matplotlib, PNG): FTO, duration ECDFs, activity timelines, a spectrogram, training curves."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import soundfile as sf  # noqa: E402

from babbler.evaluation.metrics import pooled  # noqa: E402
from babbler.util.fileio import atomic_path  # noqa: E402
from babbler.va import runs  # noqa: E402

HUMAN = "#222222"
COLORS = {
    "resynth": "#7f7f7f", "selfplay": "#d62728", "continuation": "#ff7f0e", "listen": "#9467bd",
    "independent": "#1f77b4", "markov": "#2ca02c",
}
DPI = 110


def _save(fig, dest: str | Path) -> None:
    """Write a figure as PNG atomically and close it."""
    with atomic_path(dest) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def fto_plot(real: dict[str, pd.DataFrame], systems: dict[str, dict[str, pd.DataFrame]], dest, ratios=None) -> None:
    """One panel per system: its FTO histogram (density) over the human one."""
    human = pooled(real, "fto")
    bins = np.arange(-1.5, 2.0 + 1e-9, 0.1)
    n = len(systems)
    cols = 3
    rows = max(1, int(np.ceil(n / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), sharex=True, squeeze=False)
    for ax, (system, events) in zip(axes.flat, systems.items()):
        ax.hist(np.clip(human, bins[0], bins[-1]), bins=bins, density=True, color="#cccccc", label="real")
        ax.hist(np.clip(pooled(events, "fto"), bins[0], bins[-1]), bins=bins, density=True, histtype="step",
                lw=2, color=COLORS.get(system, "C0"), label=system)
        ax.axvline(0, color=HUMAN, lw=0.5)
        title = system if not ratios or system not in ratios else f"{system}  (W1 ratio {ratios[system]:.2f})"
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, frameon=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    fig.supxlabel("floor-transfer offset (s): < 0 overlap, > 0 gap; clipped to −1.5…2", fontsize=10)
    fig.supylabel("density", fontsize=10)
    fig.suptitle("Floor-transfer offsets of each system (outline) over the human test dialogues (grey)")
    _save(fig, dest)


def durations_plot(real: dict[str, pd.DataFrame], systems: dict[str, dict[str, pd.DataFrame]], dest) -> None:
    """ECDFs of IPU, pause, gap and overlap durations: every system against the human test dialogues."""
    kinds = ("ipu", "pause", "gap", "overlap_between")
    fig, axes = plt.subplots(1, len(kinds), figsize=(4.0 * len(kinds), 3.3))
    for ax, kind in zip(axes, kinds):
        for name, events, style in [("real", real, dict(color=HUMAN, lw=3))] + [
            (s, e, dict(color=COLORS.get(s, "C0"), lw=1.3)) for s, e in systems.items()
        ]:
            d = np.sort(pooled(events, kind))
            if len(d):
                ax.step(d, np.arange(1, len(d) + 1) / len(d), where="post", label=name, **style)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_title(kind.replace("_", " "), fontsize=10)
        ax.set_xlabel("duration (s)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("cumulative share")
    axes[0].legend(fontsize=8, frameon=False, loc="lower right")
    fig.suptitle("Duration distributions (ECDF), log time axis")
    _save(fig, dest)


def timeline_plot(tracks: dict[str, dict[str, np.ndarray]], start: float, seconds: float, dest,
                  frame_rate: int = 100) -> None:
    """Two-speaker activity over one window: one row per system, A above B."""
    fig, ax = plt.subplots(figsize=(13, 0.75 * len(tracks) + 0.8))
    labels = []
    for row, (name, va) in enumerate(tracks.items()):
        y = len(tracks) - 1 - row
        for lane, spk in enumerate("AB"):
            track = va[spk][int(start * frame_rate) : int((start + seconds) * frame_rate)]
            spans = [(start + a / frame_rate, (b - a) / frame_rate) for a, b in zip(*runs(track))]
            color = HUMAN if name == "real" else COLORS.get(name, "C0")
            ax.broken_barh(spans, (y + (0.45 if lane == 0 else 0.05), 0.38), color=color, alpha=1.0 if lane == 0 else 0.55)
        labels.append(name)
    ax.set_yticks([len(tracks) - 1 - i + 0.45 for i in range(len(tracks))], labels)
    ax.set_xlim(start, start + seconds)
    ax.set_ylim(-0.1, len(tracks))
    ax.set_xlabel("time (s); upper bar speaker A, lower (lighter) bar speaker B")
    ax.set_title(f"Voice activity measured from the audio, {seconds:.0f} s of the first test dialogue")
    _save(fig, dest)


def w1_ratio_png(distances: pd.DataFrame, labels: dict[str, str]) -> bytes:
    """Grouped bars of the W1 ratio per timing type (x) and system (bars, log scale), the human floor at 1 and each
    ratio's bootstrap interval where the evaluation computed one: the report's summary figure."""
    import io

    kinds = [k for k in labels if k in set(distances["type"])]
    systems = [s for s in dict.fromkeys(distances["system"]) if s != "resynth"]
    fig, ax = plt.subplots(figsize=(10, 3.6), layout="constrained")
    width = 0.8 / max(1, len(systems))
    for j, system in enumerate(systems):
        rows = distances[distances["system"] == system].set_index("type").reindex(kinds)
        x = np.arange(len(kinds)) - 0.4 + (j + 0.5) * width
        ratio = rows["w1_ratio"].to_numpy(float)
        ax.bar(x, ratio, width, label=system, color=COLORS.get(system, "#8c564b"))
        if {"w1_ratio_lo", "w1_ratio_hi"} <= set(rows.columns):
            lo, hi = rows["w1_ratio_lo"].to_numpy(float), rows["w1_ratio_hi"].to_numpy(float)
            ok = np.isfinite(lo) & np.isfinite(hi)  # a bootstrap interval need not hold the ratio itself
            ax.vlines(x[ok], lo[ok], hi[ok], color="#333", lw=0.8)
            ax.hlines(np.concatenate([lo[ok], hi[ok]]), np.tile(x[ok] - width / 4, 2), np.tile(x[ok] + width / 4, 2),
                      color="#333", lw=0.8)
    ax.axhline(1.0, color=HUMAN, ls="--", lw=1)
    ax.text(len(kinds) - 0.45, 1.0, " human floor", va="bottom", ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(matplotlib.ticker.FixedLocator([0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32]))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks(np.arange(len(kinds)), [labels[k] for k in kinds])
    ax.set_ylabel("W1 ratio (1 = human floor)")
    ax.legend(ncols=min(len(systems), 6), fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def spectrogram_plot(clips: dict[str, tuple[np.ndarray, int]], dest) -> None:
    """Log-magnitude spectrograms of generated babble, one panel per clip (mono waveform, rate)."""
    import librosa

    fig, axes = plt.subplots(len(clips), 1, figsize=(11, 2.6 * len(clips)), squeeze=False, layout="constrained")
    for ax, (name, (y, sr)) in zip(axes[:, 0], clips.items()):
        n_fft = 512 if sr >= 16000 else 256
        spec = librosa.amplitude_to_db(np.abs(librosa.stft(y.astype(np.float32), n_fft=n_fft, hop_length=n_fft // 4)),
                                       ref=np.max, top_db=70)
        mesh = ax.imshow(spec, origin="lower", aspect="auto", cmap="magma",
                         extent=(0, spec.shape[1] * (n_fft // 4) / sr, 0, sr / 2000))
        ax.set_ylim(0, min(sr / 2, 5000) / 1000)
        ax.set_ylabel("kHz")
        ax.set_title(name, fontsize=10)
        fig.colorbar(mesh, ax=ax, label="dB", pad=0.01)
    axes[-1, 0].set_xlabel("time (s)")
    _save(fig, dest)


def training_plot(curves: dict[str, pd.DataFrame], baselines: dict[str, float], dest) -> None:
    """Training and validation loss of each trained model; the baselines' validation bits/frame as a note."""
    fig, axes = plt.subplots(1, max(1, len(curves)), figsize=(5.5 * max(1, len(curves)), 3.3), squeeze=False)
    for ax, (name, m) in zip(axes[0], curves.items()):
        ax.plot(m["step"], m["train_loss"], lw=0.8, alpha=0.6, label="train")
        val = m.dropna(subset=["val_loss"])
        ax.plot(val["step"], val["val_loss"], "o-", lw=1.5, label="validation")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("step")
        ax.set_ylabel("loss (nats per token)" if name == "transformer" else "loss (nats per sample)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
    if baselines:
        note = "baselines fitted in one pass, validation VA bits/frame: " + ", ".join(
            f"{k} {v:.3f}" for k, v in baselines.items())
        fig.text(0.01, -0.04, note, fontsize=8)
    _save(fig, dest)


def timeline_window(duration: float, prompt_seconds: float, longest: float = 60.0) -> tuple[float, float]:
    """Start and length (s) of the timeline figure: up to a minute, from 5 s before the continuation prompt ends."""
    seconds = min(longest, duration)
    return max(0.0, min(prompt_seconds - 5.0, duration - seconds)), seconds


def read_clip(path: str | Path, start: float, seconds: float) -> tuple[np.ndarray, int]:
    """`seconds` of a mono file from `start`, moved earlier where the file is too short to hold them."""
    info = sf.info(str(path))
    frames = int(min(seconds * info.samplerate, info.frames))
    first = int(min(start * info.samplerate, max(0, info.frames - seconds * info.samplerate)))
    return sf.read(str(path), frames=frames, start=first)


def split_curves(curves: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    """Training curves of the trained models (per step), and the one validation bits/frame of fitted baselines."""
    trained = {name: m for name, m in curves.items() if "step" in m}
    baselines = {name: float(m["val_bits_per_frame"].iloc[0]) for name, m in curves.items() if "step" not in m}
    return trained, baselines
