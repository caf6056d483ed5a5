"""The self-contained HTML report: summary table first, then audio, figures, details, config and versions."""

from __future__ import annotations

import base64
import io
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import yaml
from markupsafe import Markup

from babbler.evaluation.metrics import DISTANCE_TYPES
from babbler.sampling.modes.registry import MODES
from babbler.sampling.systems import BASELINES, SYSTEMS, agent_system, topline_system
from babbler.util.html import fmt, table

PACKAGES = ("snakemake", "torch", "librosa", "pandas", "praat-parselmouth", "matplotlib", "numpy", "scipy",
            "soundfile", "silero-vad")
TYPE_LABEL = {"ipu": "IPU", "pause": "pause", "gap": "gap", "overlap_between": "overlap (between)", "fto": "FTO"}
VAD_NOTE = {
    "intensity": "the intensity VAD with its cross-talk guard",
    "silero": "silero-vad gated by the cross-talk guard",
    "reference": "reference VA: the corpus's own for human dialogues, the VA that drove each generated set",
}
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1150px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em} th,td{border:1px solid #ddd;padding:.25em .55em;
text-align:right} th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
tr.best td{background:#eaf6ea;font-weight:600} .muted{color:#777;font-size:.9em} img{max-width:100%}
pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.85em} .lead{font-size:1.05em}
.warn{background:#fff4e5;border:1px solid #f0b060;padding:.5em 1em;margin:.8em 0}
"""


def versions() -> dict[str, str]:
    """Versions of Python, the platform and the key packages (those installed)."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def image_tag(path: str | Path, alt: str) -> Markup:
    """An <img> with the PNG embedded as a data URI."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return Markup('<img alt="{}" src="data:image/png;base64,{}">').format(alt, data)


def audio_excerpt(path: str | Path, start: float, seconds: float) -> bytes:
    """A WAV (16-bit PCM) excerpt of `seconds` from `start` (clipped to the file)."""
    info = sf.info(str(path))
    first = int(max(0.0, min(start, info.duration - seconds)) * info.samplerate)
    y, sr = sf.read(str(path), start=first, frames=int(seconds * info.samplerate), always_2d=True)
    buf = io.BytesIO()
    sf.write(buf, y, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def audio_tag(wav: bytes) -> Markup:
    """An <audio> player with the WAV embedded as a data URI."""
    data = base64.b64encode(wav).decode("ascii")
    return Markup('<audio controls preload="none" src="data:audio/wav;base64,{}"></audio>').format(data)


def is_topline(system: str) -> bool:
    """Whether a system only re-voices the human tracks (the topline, not a generated system to rank)."""
    return system == topline_system()


def mode_sections(metrics: dict, tables: dict[str, pd.DataFrame]) -> list[tuple[str, Markup]]:
    """Every mode's own report section (title, HTML), in registry order."""
    return [spec.report(metrics, tables) for m, spec in MODES.items() if spec.report and m in metrics]


def warnings_box(metrics: dict) -> Markup:
    """The evaluation's warnings (a degenerate test split, implausible extraction), shown before any number."""
    warnings = metrics.get("warnings") or []
    if not warnings:
        return Markup("")
    items = Markup("").join(Markup("<li>{}</li>").format(w) for w in warnings)
    return Markup('<div class="warn"><b>Read these numbers with care:</b><ul>{}</ul></div>').format(items)


def headline(metrics: dict) -> list[Markup]:
    """The summary in three lines: the system closest to human timing, the agent against the baselines type by type,
    and its talk per minute against the human floor."""
    ranking = [r for r in metrics["ranking"] if not is_topline(r["system"]) and r["mean_w1_ratio"] is not None]
    if not ranking:
        return [Markup("<b>No generated system could be compared with human timing</b> (see the warnings above).")]
    best, rest = ranking[0], ranking[1:]
    others = ", ".join(f"{r['system']} {fmt(r['mean_w1_ratio'], 2)}" for r in rest)
    lines = [Markup("<b>{}</b> is the generated system closest to human timing: mean W1 ratio <b>{}</b>{}.")
             .format(best["system"], fmt(best["mean_w1_ratio"], 2), f" (then {others})" if others else "")]
    agent = agent_system("selfplay")
    versus = {k: v for k, v in (metrics.get("selfplay_vs_baselines") or {}).items()
              if all(v.get(b) is not None for b in (agent, *BASELINES))}
    if versus:
        closer = [TYPE_LABEL[k] for k, v in versus.items() if v["closer"]]
        lines.append(Markup("The agent's selfplay is closer to human than both baselines on <b>{} of {}</b> timing "
                            "types{}.").format(len(closer), len(versus), f" ({', '.join(closer)})" if closer else ""))
    minutes = metrics.get("minutes") or {}
    diff = (minutes.get(agent) or {}).get("abs_diff_sec_per_min")
    floor = (minutes.get("human_floor") or {}).get("abs_diff_sec_per_min")
    if diff is not None and floor is not None:
        inside = "inside" if diff <= floor else "<b>outside</b>"
        lines.append(Markup("Per minute its talk, pauses, gaps and overlaps differ from the human test dialogues' by "
                            "<b>{} s</b> on average, {} the {} s between two human sets.")
                     .format(fmt(diff, 2), Markup(inside), fmt(floor, 2)))
    return lines


def baseline_sentences(metrics: dict) -> Markup:
    """The agent's selfplay against the baselines, type by type, with the bootstrap and the human reference."""
    parts = []
    versus = metrics.get("selfplay_vs_baselines") or {}
    reference = metrics.get("human_reference") or {}
    agent = agent_system("selfplay")
    for kind, v in versus.items():
        if any(v.get(k) is None for k in (agent, *BASELINES)):
            continue  # an undefined distance supports no claim
        base = ", ".join(f"{b} {fmt(v[b], 2)}" for b in BASELINES)
        verdict = "closer to human than both baselines" if v["closer"] else "<b>not</b> closer than both baselines"
        boot = ""
        if v.get("p_closer"):
            shares = " and ".join(f"{100 * p:.0f} % against {b}" for b, p in v["p_closer"].items())
            boot = (f" Resampling the dialogues {metrics.get('bootstrap_draws')} times, it is closer in {shares}.")
            ref = reference.get("p_closer") or {}
            if all(ref.get(b, {}).get(kind) is not None for b in v["p_closer"]):
                shares = " and ".join(f"{100 * ref[b][kind]:.0f} %" for b in v["p_closer"])
                boot += (f" {len(reference['dialogues'])} real dialogues outside the test split, scored in its place "
                         f"(W1 ratio {fmt(reference.get(f'{kind}_w1_ratio'), 2)}), are closer in {shares}.")
        parts.append(Markup("<li>On {} durations the neural agent's selfplay is {}: W1 ratio {} against {}.{}</li>")
                     .format(TYPE_LABEL[kind], Markup(verdict), fmt(v[agent], 2), base, boot))
    return Markup("<ul>{}</ul>").format(Markup("").join(parts)) if parts else Markup("")


def summary_table(metrics: dict) -> Markup:
    """Systems by mean W1 ratio, with each type's ratio and the key timing statistics."""
    systems = metrics["systems"]
    header = ["system", "what it is", *(f"{TYPE_LABEL[t]} W1 ratio" for t in DISTANCE_TYPES), "mean W1 ratio",
              "FTO median (s)", "overlap share", "IPU / min"]
    rows, classes = [], []
    real = systems["real"]
    rows.append(["real", "held-out human dialogues", *["1 (floor)"] * len(DISTANCE_TYPES), "–",
                 fmt(real.get("fto_median")), fmt(real.get("overlap_share")), fmt(real.get("ipu_per_min"), 1)])
    classes.append("")
    generated = [r for r in metrics["ranking"] if not is_topline(r["system"])]
    best = generated[0]["system"] if generated else None
    for r in metrics["ranking"]:
        s = systems.get(r["system"], {})
        note = SYSTEMS[r["system"]].note if r["system"] in SYSTEMS else ""
        rows.append([r["system"], note, *(fmt(r.get(t), 2) for t in DISTANCE_TYPES),
                     fmt(r["mean_w1_ratio"], 2), fmt(s.get("fto_median")), fmt(s.get("overlap_share")),
                     fmt(s.get("ipu_per_min"), 1)])
        classes.append("best" if r["system"] == best else "")
    return table(header, rows, classes)


def minutes_table(metrics: dict) -> Markup:
    """The published convention (dGSLM, NTPP Table 2): events and seconds per minute of IPU, pause, gap and overlap,
    and each system's mean absolute difference to the human test split beside the human floor."""
    m = metrics.get("minutes") or {}
    if not m:
        return Markup("")
    kinds = ("ipu", "pause", "gap", "overlap")
    header = ["system", *(f"{k} {u}" for k in kinds for u in ("/ min", "s / min")), "mean |Δ| s / min"]
    rows = [[name, *(fmt(m[name][k][u], 1) for k in kinds for u in ("per_min", "sec_per_min")),
             "–" if name == "real" else fmt(m[name].get("abs_diff_sec_per_min"), 2)]
            for name in m if name != "human_floor"]
    floor = m.get("human_floor", {})
    rows.append(["two human sets (floor)", *[""] * (2 * len(kinds)), fmt(floor.get("abs_diff_sec_per_min"), 2)])
    return table(header, rows)


def stats_table(metrics: dict) -> Markup:
    """Every stats.csv column (means over dialogues), one column per system."""
    systems = metrics["systems"]
    names = list(systems)
    columns = [c for c in systems["real"] if c != "minutes"]
    rows = [[c] + [fmt(systems[s].get(c)) for s in names] for c in columns]
    return table(["statistic (mean over dialogues)", *names], rows)


def distance_details(distances: pd.DataFrame) -> Markup:
    """W1 (s) and KS per system and type, with the human noise floor and the ratios."""
    ci = "w1_ratio_lo" in distances.columns
    rows = [[r.system, TYPE_LABEL[r.type], fmt(r.n_system), fmt(r.n_real), fmt(r.w1), fmt(r.w1_floor),
             fmt(r.w1_ratio, 2), *([f"{fmt(r.w1_ratio_lo, 2)} – {fmt(r.w1_ratio_hi, 2)}"] if ci else []),
             fmt(r.ks), fmt(r.ks_floor), fmt(r.ks_ratio, 2)] for r in distances.itertuples()]
    return table(["system", "distribution", "n system", "n real", "W1 (s)", "W1 floor", "W1 ratio",
                  *(["W1 ratio, 90 % bootstrap interval"] if ci else []), "KS", "KS floor", "KS ratio"], rows)


def models_section(metrics: dict, voice_audio: dict[str, str | Path] | None = None,
                   voice_seconds: float = 6.0, notes: dict[str, str] | None = None) -> Markup:
    """Frame models' test bits/frame and shift/hold accuracy; one row per voice with its fidelity, speed and the
    same excerpt of the first test dialogue re-voiced; `notes` says what each model and voice is."""
    notes = notes or {}
    fm = metrics.get("frame_model", {})
    rows = [[m, notes.get(m, ""), fmt(v.get("test_bits_per_frame"), 4), fmt(v.get("shift_hold_auc")),
             fmt(v.get("shift_hold_balanced_accuracy")), fmt(v.get("shift_hold_threshold")),
             fmt(v.get("n_shift")), fmt(v.get("n_hold"))]
            for m, v in fm.items()]
    out = table(["frame model", "what it is", "test VA bits/frame", "shift/hold AUC", "shift/hold balanced accuracy",
                 "P(shift) threshold (chosen on validation)", "shift events", "hold events"], rows)
    vo = metrics.get("voice", {})
    voice_audio = voice_audio or {}
    rows = [[v, notes.get(v, ""), d.get("system", ""), fmt(d.get("va_precision")), fmt(d.get("va_recall")), fmt(d.get("va_f1")),
             fmt(d.get("f0_error_median_semitones")), fmt(d.get("f0_gross_error_rate")), fmt(d.get("mcd_db"), 2),
             fmt(d.get("rtf_1ch")), fmt(d.get("rtf")),
             audio_tag(audio_excerpt(voice_audio[v], 0.0, voice_seconds)) if v in voice_audio else ""]
            for v, d in vo.items()]
    out += table(["voice", "what it is", "measured on", "VA precision", "VA recall", "VA F1", "median F0 error (semitones)",
                  "share off by > 1 semitone", "mel-cepstral distance to real (dB)", "RTF, 1 channel, 1 thread",
                  "RTF per channel, batched", f"first {voice_seconds:g} s of the first test dialogue"], rows)
    return out


def sampling_section(metrics: dict) -> Markup:
    """The agent's sample settings: each one's value and how it was set (chosen on validation or fixed), and every
    candidate the choice tried with its validation timing."""
    from babbler.sampling.tunables import TUNABLES

    record = metrics.get("sampling") or {}
    chosen, how = record.get("chosen", {}), record.get("how", {})
    out = table(["setting", "what it is", "value", "how it was set"],
                [[f"sample.{k}", t.note, fmt(chosen.get(k), 3), how.get(k, "")] for k, t in TUNABLES.items()])
    rows = record.get("selfplay") or []
    if rows:
        out += Markup("<p class='muted'>Selfplay on {} validation dialogues ({} draws of up to {:g} min each) per "
                      "candidate: W1 ratio per timing type against them, the lowest mean kept.</p>").format(
            record.get("validation_dialogues"), record.get("samples"), record.get("minutes", 0))
        out += table(["markov_weight", "temperature", *(TYPE_LABEL.get(k, k) for k in DISTANCE_TYPES), "mean"],
                     [[fmt(r["markov_weight"]), fmt(r["temperature"]), *(fmt(r.get(k)) for k in DISTANCE_TYPES),
                       fmt(r.get("score"), 3)] for r in rows])
    rows = record.get("continuation") or []
    if rows:
        out += Markup("<p class='muted'>Continuation of the validation dialogues' prompts per candidate: Pearson r "
                      "of the per-dialogue mean durations with the true continuation, and the mean W1 ratio; the "
                      "largest r whose W1 ratio is no worse than the first candidate's kept.</p>")
        out += table(["prompt_adapt", "Pearson r avg", "IPU r", "pause r", "FTO r", "mean W1 ratio"],
                     [[fmt(r["prompt_adapt"]), fmt(r.get("pearson_avg")), fmt(r.get("pearson_ipu")),
                       fmt(r.get("pearson_pause")), fmt(r.get("pearson_fto")), fmt(r.get("score"), 3)] for r in rows])
    rows = record.get("listen") or []
    if rows:
        out += Markup("<p class='muted'>The listener beside the validation dialogues' real partners per start-odds "
                      "candidate: its FTO median and overlap share against the human it replaces (miss: the larger "
                      "difference in units of 50 ms and 0.05), and the mean W1 ratio; the smallest miss whose W1 "
                      "ratio is no worse than odds 1's kept.</p>")
        out += table(["odds in the partner's talk", "odds after its silence", "FTO median (s)", "human's",
                      "overlap share", "human's", "miss", "mean W1 ratio"],
                     [[fmt(r["listen_overlap_odds"]), fmt(r["listen_gap_odds"]), fmt(r.get("fto_median")),
                       fmt(r.get("fto_median_human")), fmt(r.get("overlap_share"), 2),
                       fmt(r.get("overlap_share_human"), 2), fmt(r.get("miss"), 2), fmt(r.get("score"), 3)]
                      for r in rows])
    return out


def speech_section(metrics: dict, human: list[str | Path], babble: dict[str, str | Path], seconds: float = 8.0
                   ) -> Markup:
    """The voices learned from human recordings (`voice.speakers`), measured on the held-out speech: one row per
    voice with its speech and modulation distance ratios (1: as close as the person's speech is to itself), VA F1,
    F0 error and speed, and its babble made from the held-out speech's tracks; the held-out speech first."""
    vo = {v: d["human_speech"] for v, d in metrics.get("voice", {}).items() if "human_speech" in d}
    if not vo:
        return Markup("")

    def player(paths: list[str | Path]) -> Markup:
        """The first `seconds` of each file, one after the other (seat A, then B)."""
        parts = [sf.read(str(p), frames=int(seconds * sf.info(str(p)).samplerate), dtype="float32") for p in paths]
        sr = parts[0][1]
        buf = io.BytesIO()
        sf.write(buf, np.concatenate([np.pad(y, (0, sr // 2)) for y, _ in parts]), sr, format="WAV", subtype="PCM_16")
        return audio_tag(buf.getvalue())

    rows = [["held-out human speech", "1 (by definition)", "1 (by definition)", "", "", "", player(human) if human else ""]]
    rows += [[v, fmt(d.get("speech_distance_ratio"), 2), fmt(d.get("modulation_distance_ratio"), 2), fmt(d.get("va_f1")),
              fmt(d.get("f0_error_median_semitones")), fmt(d.get("rtf_1ch")),
              audio_tag(audio_excerpt(babble[v], 0.0, 2 * seconds + 0.5)) if v in babble else ""] for v, d in vo.items()]
    head = Markup("<h3>Voices on held-out human speech</h3><p class=\"muted\">Each voice renders babble from the "
                  "tracks (voice activity, F0, loudness) of recordings it never trained on; the distance ratios are "
                  "Fréchet distances to that speech (MFCCs with deltas; the envelope's 1–16 Hz modulation spectrum) "
                  "over the same distance between two halves of the speech itself.</p>")
    return head + table(["voice", "speech distance ratio", "modulation distance ratio", "VA F1",
                         "median F0 error (semitones)", "RTF, 1 channel, 1 thread",
                         f"first {seconds:g} s of seat A, then of seat B"], rows)


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title><style>{{ css }}</style></head><body>
<h1>{{ title }}</h1>
<p class="muted">corpus <b>{{ corpus }}</b>, {{ n_test }} held-out test dialogues; every system measured from its
audio through the same mono → prosody → timing stages, voice activity by <b>{{ vad_method }}</b>; generated
{{ generated_at }}.</p>
<h2>Summary</h2>
{{ warnings }}
<div class="lead">{% for line in headline %}<p>{{ line }}</p>{% endfor %}</div>
{{ summary_figure }}
<p class="muted">Each bar is a system's W1 ratio on one timing type: the Wasserstein-1 distance between its duration
distribution and the human test dialogues', divided by the same distance between two disjoint sets of
{{ floor.dialogues_per_half }} human dialogues (mean of {{ floor.draws }} random draws). The line at 1 is that human
floor: lower is closer, 1 is as close as one set of human dialogues is to another. Whiskers: 90 % bootstrap interval
over the test dialogues (where computed).</p>
{{ summary_table }}
<p class="muted">The published per-minute convention (dGSLM, Nguyen et al. 2023, and NTPP, Table 2 of each): events
and cumulated seconds per minute, overlap within and between turns together; the last column is the mean over the
four types of the absolute difference to the human test dialogues, beside the same difference between two disjoint
sets of human dialogues. On Fisher, NTPP reports 2.35 s/min, dGSLM about 3, two human sets about 0.6.</p>
{{ minutes_table }}
<h2>Listen</h2>
{{ players }}
<h2>Figures</h2>
{% for caption, image in figures %}<h3>{{ caption }}</h3>{{ image }}{% endfor %}
<h2>Details</h2>
<h3>The agent against the baselines</h3>
{{ baselines }}
<h3>Timing statistics</h3>
{{ stats_table }}
<h3>Distances to the human test dialogues</h3>
{{ distance_details }}
{% for title, section in mode_sections %}<h3>{{ title }}</h3>
{{ section }}
{% endfor %}<h3>The agent's sampling settings</h3>
{{ sampling }}
<h3>Frame models and voices</h3>
{{ models }}
{{ speech }}
<h2>Configuration</h2>
<p class="muted">The settings of this run (voices that did not run left out).</p>
<pre>{{ config }}</pre>
<h2>Versions</h2>
{{ versions }}
</body></html>
"""


def run_config(config: dict) -> dict:
    """The config as the report shows it: the `voice` sections of the voices this run used, no others."""
    used = {*(config.get("voices") or []), (config.get("sample") or {}).get("voice")}
    voice = {k: v for k, v in (config.get("voice") or {}).items() if not isinstance(v, dict) or k in used}
    return {**config, "voice": voice} if "voice" in config else config


def summary_figure(distances: pd.DataFrame) -> Markup:
    """The W1 ratio of every system on every timing type, human floor and bootstrap intervals, as an embedded PNG."""
    from babbler.evaluation.plots import w1_ratio_png

    if distances.empty:
        return Markup("")
    data = base64.b64encode(w1_ratio_png(distances, TYPE_LABEL)).decode("ascii")
    return Markup('<img alt="W1 ratio per timing type and system" src="data:image/png;base64,{}">').format(data)


def render_report(
    title: str,
    corpus: str,
    metrics: dict,
    distances: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    figures: dict[str, str | Path],
    audio: list[tuple[str, str | Path]],
    excerpt: tuple[float, float],
    config: dict,
    voice_audio: dict[str, str | Path] | None = None,
    notes: dict[str, str] | None = None,
    speech_audio: tuple[list[str | Path], dict[str, str | Path]] = ([], {}),
) -> str:
    """The whole report as one HTML document (images and audio embedded), rendered by jinja2 with autoescape: text
    is escaped, and only the Markup the helpers build (tables, players, images) goes in as HTML."""
    from jinja2 import Environment

    start, seconds = excerpt
    method = (config.get("vad") or {}).get("method", "?")
    page = Environment(autoescape=True).from_string(TEMPLATE)
    return page.render(
        title=title, css=Markup(CSS), corpus=corpus, n_test=len(metrics.get("test_dialogues", [])),
        vad_method=VAD_NOTE.get(method, method), generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        warnings=warnings_box(metrics), headline=headline(metrics), summary_figure=summary_figure(distances),
        floor=metrics["noise_floor"], summary_table=summary_table(metrics), minutes_table=minutes_table(metrics),
        players=table(["system", f"{seconds:g} s from {start:g} s of the first test dialogue (left A, right B)"],
                      [[name, audio_tag(audio_excerpt(path, start, seconds))] for name, path in audio]),
        figures=[(cap, image_tag(path, cap)) for cap, path in figures.items()], baselines=baseline_sentences(metrics),
        stats_table=stats_table(metrics), distance_details=distance_details(distances),
        mode_sections=mode_sections(metrics, tables), sampling=sampling_section(metrics),
        models=models_section(metrics, voice_audio, float((config.get("voice") or {}).get("excerpt_seconds", 6.0)),
                              notes),
        speech=speech_section(metrics, *speech_audio),
        config=yaml.safe_dump(run_config(config), sort_keys=False),
        versions=table(["package", "version"], [[k, v] for k, v in versions().items()]),
    ) + "\n"
