"""Voice fidelity: how well a voice's sound carries the tracks that drove it (design: Metrics, voice fidelity)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from babbler.va import VA_PER_TOKEN

MCD_CEPSTRA = 24  # mel cepstra c1…c24 (c0, the level, is left out)


def f0_errors_semitones(asked: np.ndarray, f0_va_rate: np.ndarray) -> np.ndarray:
    """|12·log2(measured / asked)| on the token frames where both the asked F0 and the measured one exist."""
    got = np.asarray(f0_va_rate, dtype=float)[0::VA_PER_TOKEN][: len(asked)]  # VA frames → token frames
    asked = np.asarray(asked, dtype=float)[: len(got)]
    both = np.isfinite(asked) & np.isfinite(got)
    return np.abs(12 * np.log2(got[both] / asked[both]))


def mel_cepstra(y: np.ndarray, sample_rate: int, n_mels: int = 40) -> np.ndarray:
    """(frames, MCD_CEPSTRA) mel cepstra c1…c24, 25 ms windows every 10 ms (frame i centred at i·10 ms): the real
    cepstrum of the natural-log mel amplitudes, c_n = DCT-II(ln A)[n] / (2·n_mels), the scale of the mel-cepstral
    distances reported for speech synthesis."""
    import librosa
    from scipy.fft import dct

    hop = sample_rate // 100
    n_fft = 1 << int(np.ceil(np.log2(0.025 * sample_rate)))
    mel = librosa.feature.melspectrogram(y=np.asarray(y, dtype=np.float32), sr=sample_rate, n_fft=n_fft,
                                         hop_length=hop, win_length=int(0.025 * sample_rate), n_mels=n_mels,
                                         power=2.0)
    cep = dct(0.5 * np.log(mel + 1e-10), type=2, axis=0, norm=None) / (2 * n_mels)
    return cep[1 : MCD_CEPSTRA + 1].T


def mel_cepstral_distance(real: np.ndarray, voiced: np.ndarray, sample_rate: int, va: np.ndarray) -> np.ndarray:
    """Per-frame mel-cepstral distance (dB, (10 / ln 10)·√(2·Σ Δc²)) between a real channel and its re-voicing,
    on the 10 ms frames where the driving VA (50 Hz) is on; time-aligned, as both follow the same tracks."""
    a, b = mel_cepstra(real, sample_rate), mel_cepstra(voiced, sample_rate)
    n = min(len(a), len(b), VA_PER_TOKEN * len(va))
    on = np.repeat(np.asarray(va, dtype=bool), VA_PER_TOKEN)[:n]
    diff = a[:n][on] - b[:n][on]
    return 10 / np.log(10) * np.sqrt(2 * (diff**2).sum(axis=1))


def voice_fidelity(voice: str, accuracy: pd.DataFrame, tracks: dict[str, str | Path], prosody: dict[str, str | Path],
                   render_info: dict, audio: dict[str, str | Path] | None = None,
                   real: dict[str, str | Path] | None = None) -> dict:
    """VA precision/recall/F1 (both speakers' mean, from vad_accuracy.csv's ALL row), F0 error, mel-cepstral distance
    to the real test audio and real-time factors of a voice; `tracks` maps dialogue → generated tracks, `prosody`,
    `audio` (the voice's mono tracks) and `real` (the real ones) map `{dialogue}.{speaker}` → file."""
    import soundfile as sf

    acc = accuracy.set_index("dialogue").loc["ALL"]
    errors, parts = [], []
    for dlg, path in tracks.items():
        table = pd.read_parquet(path)
        for spk in "AB":
            key = f"{dlg}.{spk}"
            measured = pd.read_parquet(prosody[key], columns=["f0"])["f0"].to_numpy()
            shift = render_info.get("transposed_semitones", {}).get(key, 0.0)  # a voice at its seat's own pitch
            errors.append(f0_errors_semitones(table[f"f0_{spk}"].to_numpy() * 2 ** (shift / 12), measured))
            if audio and real:
                y, sr = sf.read(str(audio[key]), dtype="float32")
                sr_real = sf.info(str(real[key])).samplerate
                if sr_real != sr:
                    raise ValueError(f"{real[key]}: {sr_real} Hz, but the voice's audio is at {sr} Hz")
                # only as much real audio as the re-voicing covers, plus 100 ms so its last windows are whole
                r, _ = sf.read(str(real[key]), frames=len(y) + sr // 10, dtype="float32")
                parts.append(mel_cepstral_distance(r, y, sr, table[f"va_{spk}"].to_numpy(bool)))
    err = np.concatenate(errors) if errors else np.zeros(0)
    mcd = np.concatenate(parts) if parts else np.zeros(0)
    return {
        "voice": voice,
        "system": render_info["system"],
        **{f"va_{m}": float((acc[f"A_{m}"] + acc[f"B_{m}"]) / 2) for m in ("precision", "recall", "f1")},
        "f0_error_median_semitones": float(np.median(err)) if len(err) else float("nan"),
        "f0_gross_error_rate": float(np.mean(err > 1.0)) if len(err) else float("nan"),
        "f0_frames_compared": int(len(err)),
        "mcd_db": float(np.mean(mcd)) if len(mcd) else float("nan"),
        "mcd_frames": int(len(mcd)),
        "rtf": render_info["rtf"],
        "rtf_threads": render_info["threads"],
        "rtf_1ch": render_info.get("rtf_1ch", float("nan")),
    }
