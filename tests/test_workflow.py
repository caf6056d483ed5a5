"""The real `snakemake` command on tiny configs: demo, Map Task (local server) and local corpora."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import yaml

from babbler.sampling.systems import SYSTEMS as ALL_SYSTEMS
from tests.helpers import (
    FileServer,
    maptask_wav,
    maptask_zip,
    switchboard_release,
    tar_gz,
    textgrid,
)

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def run_snakemake(workdir: Path, config: dict, *args: str, check: bool = True,
                  env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the workflow in `workdir` with `config` written beside it (and `env` added to the environment); return
    the finished process."""
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = workdir / "config.yaml"
    cfg.write_text(yaml.safe_dump(config))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
           "--configfile", str(cfg), "--cores", "2", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


def jobs_planned(workdir: Path, config: dict) -> dict[str, int]:
    """Rule → job count of a dry run ({} when nothing is to be done); a batch's rule counts as its stage
    (`prosody__demo__1` as `prosody`)."""
    proc = run_snakemake(workdir, config, "-n", "--quiet", "rules")
    out = proc.stdout + proc.stderr
    if "Nothing to be done" in out:
        return {}
    rules = {}  # the job stats table (printed on stdout and stderr alike)
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job"):
            rules[parts[0]] = int(parts[1])
    counts = {}
    for rule, n in rules.items():
        stage = rule.split("__")[0]
        counts[stage] = counts.get(stage, 0) + n
    return counts


TINY_DEMO = {
    "corpus": {"name": "demo", "demo": {"n_dialogues": 3, "duration": 15}},
    "model": {"transformer": {"d_model": 16, "layers": 1, "heads": 2, "context": 64}, "markov": {"order": 4}},
    "train": {"steps": 20, "batch_size": 4, "crop": 64, "warmup": 5, "epoch_steps": 10},
    "frame_eval": {"max_events": 10},
    "sample": {"prompt_seconds": 5},
    "tune": {"min_dialogues": 1, "minutes": 0.1, "samples": 1,  # choose on the one validation dialogue
             "candidates": {"markov_weight": [0, 0.5], "temperature": [1.0, 1.5], "prompt_adapt": [0, 100],
                            "listen_overlap_odds": [1.0, 2.0], "listen_gap_odds": [1.0]}},
    "voices": ["source_filter", "wavenet", "samplernn", "tacotron", "tacotron_wavenet"],
    "voice": {"excerpt_seconds": 0.5,
              "wavenet": {"model": {"stacks": 1, "layers_per_stack": 4, "residual": 8, "skip": 8, "cond": 4},
                          "train": {"steps": 6, "batch_size": 2, "crop": 400, "epoch_steps": 3, "warmup": 1}},
              "samplernn": {"model": {"hidden": 16, "mlp": 16, "embed": 4, "cond": 4},
                            "train": {"steps": 6, "batch_size": 2, "crop": 400, "epoch_steps": 3, "warmup": 1}},
              "tacotron": {"model": {"cond": 8, "prenet": 8, "rnn": 8, "postnet": 8}, "griffin_lim_iterations": 4,
                           "train": {"steps": 6, "batch_size": 2, "crop": 1600, "epoch_steps": 3, "warmup": 1}},
              "tacotron_wavenet": {"model": {"stacks": 1, "layers_per_stack": 4, "residual": 8, "skip": 8, "cond": 4},
                                   "train": {"steps": 6, "batch_size": 2, "crop": 400, "epoch_steps": 3, "warmup": 1}}},
}
VOICE_CHECKS = ["resynth_wavenet", "resynth_samplernn", "resynth_tacotron", "resynth_tacotron_wavenet"]  # the configured voice uses resynth
SYSTEMS = list(ALL_SYSTEMS) + VOICE_CHECKS


def test_demo_dag_to_mono_then_nothing_to_do(tiny_demo_run):
    tmp_path = tiny_demo_run
    res = tmp_path / "results"
    manifest = pd.read_csv(res / "corpus/demo/manifest.csv")
    assert manifest["dialogue"].tolist() == ["d001", "d002", "d003"]
    assert manifest[["duration", "sample_rate"]].values.tolist() == [[15.0, 16000]] * 3
    assert sorted(manifest["split"]) == ["test", "train", "val"]
    for dlg in manifest["dialogue"]:
        for spk in "AB":
            info = sf.info(res / f"audio/demo/{dlg}.{spk}.wav")
            assert (info.channels, info.samplerate, info.frames) == (1, 16000, 15 * 16000)
        assert f"{dlg}.wav" in (res / "logs/mono/demo/batch1.log").read_text()
    stats = pd.read_csv(res / "timing/demo/stats.csv")
    assert stats["dialogue"].tolist() == ["d001", "d002", "d003"]
    for col in ["minutes", "ipu_per_min", "gap_sec_per_min", "overlap_between_mean", "backchannel_per_min",
                "fto_median", "overlap_share"]:
        assert col in stats.columns
    assert (stats["ipu_per_min"] > 10).all() and (stats["minutes"] == 0.25).all()
    assert (stats["implausible"] == 0).all() and (stats["va_mirror"] < 0.5).all()  # the guard is quiet on the demo
    events = pd.read_csv(res / "timing/demo/d001.events.csv")
    assert list(events.columns) == ["type", "speaker", "start", "end", "duration"]
    accuracy = pd.read_csv(res / "timing/demo/vad_accuracy.csv").set_index("dialogue")
    assert accuracy.loc["ALL", "A_f1"] > 0.95 and accuracy.loc["ALL", "B_f1"] > 0.95
    test_id = manifest.loc[manifest["split"] == "test", "dialogue"].item()
    for system in SYSTEMS:
        frames = 25 if system in VOICE_CHECKS else 15 * 50
        tracks = pd.read_parquet(res / f"corpus/demo.{system}/tracks/{test_id}.parquet")
        assert len(tracks) == frames and {"va_A", "f0_B", "intensity_A", "token_B"} <= set(tracks.columns)
        assert (res / f"corpus/demo.{system}/va/{test_id}.csv").exists()
        info = sf.info(res / f"corpus/demo.{system}/wav/{test_id}.wav")
        assert (info.channels, info.samplerate, info.frames) == (2, 16000, frames * 320)
        assert pd.read_csv(res / f"timing/demo.{system}/stats.csv")["dialogue"].tolist() == [test_id]
    fidelity = json.loads((res / "eval/demo/voice_source_filter.json").read_text())
    assert fidelity["va_f1"] > 0.95 and fidelity["rtf"] > 0 and fidelity["f0_error_median_semitones"] < 0.5
    assert fidelity["mcd_db"] > 0 and fidelity["rtf_1ch"] > 0
    for voice in ("wavenet", "samplernn", "tacotron", "tacotron_wavenet"):
        fidelity = json.loads((res / f"eval/demo/voice_{voice}.json").read_text())
        assert fidelity["system"] == f"resynth_{voice}" and fidelity["rtf"] > 0 and fidelity["rtf_1ch"] > 0
        assert np.isfinite(fidelity["mcd_db"]) == (fidelity["mcd_frames"] > 0) and 0 <= fidelity["va_f1"] <= 1
        assert pd.read_csv(res / f"models/demo/{voice}.metrics.csv")["step"].max() == 6
    for model in ("transformer", "markov", "independent"):
        result = json.loads((res / f"models/demo/{model}.test.json").read_text())
        assert 0 < result["test_bits_per_frame"] < (10 if model == "transformer" else 1)  # 20 steps learn little
        auc = result["shift_hold_auc"]  # defined only where the test split holds both shifts and holds
        assert 0 <= auc <= 1 if result["n_shift"] and result["n_hold"] else np.isnan(auc)
        assert 0 < result["shift_hold_threshold"] < 1 and result["shift_hold_threshold_from"] in (
            "validation", "0.5: the validation split lacks shift or hold events")
    metrics = pd.read_csv(res / "models/demo/transformer.metrics.csv")
    assert metrics["step"].max() == 20 and metrics["val_loss"].notna().sum() == 2
    metrics = json.loads((res / "eval/demo/metrics.json").read_text())
    evaluated = ["resynth", "selfplay", "continuation", "listen", "independent", "markov"]
    assert set(metrics["systems"]) == {"real", *evaluated}
    assert metrics["systems"]["real"]["ipu_per_min"] == pytest.approx(stats.set_index("dialogue").loc[test_id,
                                                                                                     "ipu_per_min"])
    for system in evaluated:
        for kind in ("ipu", "pause", "gap", "overlap_between", "fto"):
            assert f"{kind}_w1_ratio" in metrics["distance"][system]
    assert metrics["distance"]["resynth"]["ipu_w1"] < 0.05  # the voice re-measures the human tracks closely
    assert set(metrics["continuation"]["pearson"]) >= {"ipu", "pause", "fto", "avg"}
    assert set(metrics["continuation"]["prompt_pearson"]) >= {"ipu", "pause", "fto", "avg"}
    minutes = metrics["minutes"]
    assert set(minutes) == {"real", "human_floor", *evaluated} and minutes["human_floor"]["pairs"] == 20
    assert minutes["real"]["ipu"]["per_min"] == pytest.approx(stats.set_index("dialogue").loc[test_id, "ipu_per_min"])
    assert all(minutes[s]["abs_diff_sec_per_min"] >= 0 for s in evaluated)
    assert metrics["listen"]["agent"] == "B" and "fto_median_diff" in metrics["listen"]
    assert metrics["listen"]["starts_in_partner_talk_per_min_human"] >= 0  # per minute of the test dialogue
    assert set(metrics["frame_model"]) == {"transformer", "markov", "independent"}
    assert metrics["voice"]["source_filter"]["va_f1"] > 0.95 and metrics["voice"]["wavenet"]["rtf"] > 0
    assert set(metrics["voice"]) == set(TINY_DEMO["voices"])
    assert pd.read_csv(res / "eval/demo/distances.csv").shape == (len(evaluated) * 5, 12)  # with the intervals
    assert len(metrics["distance"]["selfplay"]["fto_w1_ratio_ci90"]) == 2
    # the agent's sample settings were chosen on validation: every weight × temperature uncalibrated, then the odds
    # recalibrated at the best of those weights with every temperature; the lowest mean W1 ratio kept
    tuned = metrics["sampling"]
    rows = tuned["selfplay"]
    first = min(rows[:4], key=lambda r: r["score"])
    assert len(rows) == 6 and tuned["validation_dialogues"] == 1
    assert [(r["markov_weight"], r["calibration"]) for r in rows[4:]] == [(first["markov_weight"], 1.0)] * 2
    assert list(tuned["calibration"]["odds"]) == [f"{first['markov_weight']:g}"]  # fitted where it was tried
    assert all(o > 0 for o in tuned["calibration"]["odds"][f"{first['markov_weight']:g}"])
    best = min(rows, key=lambda r: r["score"])
    assert [tuned["chosen"][k] for k in ("markov_weight", "temperature", "calibration")] == [
        best[k] for k in ("markov_weight", "temperature", "calibration")]
    assert len(tuned["continuation"]) == (2 if best["markov_weight"] > 0 else 0)
    assert [(r["listen_overlap_odds"], r["listen_gap_odds"]) for r in tuned["listen"]] == [(1.0, 1.0), (2.0, 1.0)]
    odds = tuned["chosen"]["listen_overlap_odds"]
    assert (f"scaled by {odds:g} in the partner's talk" in (res / "logs/sample/demo.listen/batch1.log").read_text()) == (
        odds != 1.0)
    log = (res / "logs/sample/demo.selfplay/batch1.log").read_text()
    assert f"temperature {tuned['chosen']['temperature']:g}" in log
    assert "temperature 1\n" in (res / "logs/sample/demo.markov/batch1.log").read_text()  # the baselines' own
    page = (res / "report/demo/report.html").read_text()
    assert "<title>babbler: dialogue timing report</title>" in page and "<h2>Summary</h2>" in page
    assert "<h3>The agent's sampling settings</h3>" in page and "selfplay on validation" in page
    summary = page[page.index("<h2>Summary</h2>"):page.index("<h2>Listen</h2>")]
    assert all(f"<td>{s}</td>" in summary for s in ["real", *evaluated])
    assert "mean |Δ| s / min" in summary and "two human sets (floor)" in summary
    assert page.count("data:image/png;base64,") == 6 and page.count("data:audio/wav;base64,") == len(evaluated) + 1 + len(TINY_DEMO["voices"])
    # Snakemake's own report collects the figures with their captions
    run_snakemake(tmp_path, TINY_DEMO, "--report", str(tmp_path / "smk_report.zip"))
    assert (tmp_path / "smk_report.zip").stat().st_size > 10_000
    assert jobs_planned(tmp_path, TINY_DEMO) == {}
    # the report title reruns only the report
    titled = {**TINY_DEMO, "report": {"title": "another title"}}
    assert jobs_planned(tmp_path, titled) == {"report": 1, "all": 1}
    # an evaluation setting reruns only evaluation, plots and report
    floor = {**TINY_DEMO, "eval": {"noise_floor_draws": 3}}
    report = {"evaluate": 1, "plots": 1, "report": 1}
    assert jobs_planned(tmp_path, floor) == {**report, "all": 1}
    n = len(SYSTEMS)  # generated sets, one test dialogue each
    measured = {"mono": n, "prosody": n, "events": n, "timing_stats": n, "vad_accuracy": n}
    one = {k: 1 for k in measured}
    # the WaveNet's temperature re-voices only what the WaveNet renders (here its resynthesis excerpt)
    hotter = {**TINY_DEMO, "voice": {**TINY_DEMO["voice"], "wavenet": {**TINY_DEMO["voice"]["wavenet"],
                                                                        "temperature": 0.9}}}
    assert jobs_planned(tmp_path, hotter) == {"render": 1, "render_summary": 1, **one, "voice_fidelity": 1, **report,
                                              "all": 1}
    # the sampling seed reruns sampling and what follows: not training, not the human data's extraction
    reseeded = {**TINY_DEMO, "sample": {"prompt_seconds": 5, "seed": 2}}
    assert jobs_planned(tmp_path, reseeded) == {"sample": n, "render": n, "render_summary": n, **measured,
                                                "voice_fidelity": len(TINY_DEMO["voices"]), **report, "all": 1}
    # the Tacotron's training reruns it and both voices that render with it: its own and its WaveNet vocoder's
    taco = TINY_DEMO["voice"]["tacotron"]
    retrained = jobs_planned(tmp_path, {**TINY_DEMO, "voice": {**TINY_DEMO["voice"], "tacotron": {
        **taco, "train": {**taco["train"], "seed": 2}}}})
    assert (retrained["train_voice"], retrained["render"], retrained["voice_fidelity"]) == (1, 2, 2)
    assert not {"train", "sample", "dataset"} & set(retrained)
    # the voice re-renders the systems it voices and what follows: no sampling, no training
    # (and source_filter, no longer the configured voice, gets its own excerpt: the one set sampled)
    revoiced = jobs_planned(tmp_path, {**TINY_DEMO, "sample": {"prompt_seconds": 5, "voice": "wavenet"}})
    assert revoiced["render"] == len(ALL_SYSTEMS) + 1 and revoiced["sample"] == 1
    assert not {"train", "train_voice", "dataset"} & set(revoiced)
    # a model's own setting reruns that model and what it drives
    # (the count model may be in the agent's mix: the choice on validation and the agent's three systems follow)
    markov = {**TINY_DEMO, "model": {**TINY_DEMO["model"], "markov": {"order": 3}}}
    agent_and_markov = {k: 4 for k in measured}
    assert jobs_planned(tmp_path, markov) == {"train": 1, "frame_eval": 1, "tune": 1, "sample": 4, "render": 4,
                                              "render_summary": 4, **agent_and_markov, **report, "all": 1}
    # interpolating the agent with the count model (adapted to the continuation's prompt) resamples the agent's three
    # systems and what follows, nothing else (the temperature, still auto, is chosen again for the fixed mix)
    mixed = {**TINY_DEMO, "sample": {"prompt_seconds": 5, "markov_weight": 0.5, "prompt_adapt": 100}}
    agent = {k: 3 for k in measured}
    assert jobs_planned(tmp_path, mixed) == {"tune": 1, "sample": 3, "render": 3, "render_summary": 3, **agent,
                                             **report, "all": 1}
    run_snakemake(tmp_path, mixed)
    for system in ("selfplay", "continuation", "listen"):
        log = (res / f"logs/sample/demo.{system}/batch1.log").read_text()
        assert "0.50 × transformer + 0.50 × markov" in log
        assert ("adapts to the prompt's 250 frames, the fitted chain a prior of 100 frames" in log) == (
            system == "continuation")
    assert "× markov" not in (res / "logs/sample/demo.markov/batch1.log").read_text()
    # the split reruns the manifest and the models, never the corpus synthesis or the human audio
    changed = jobs_planned(tmp_path, {**TINY_DEMO, "corpus": {**TINY_DEMO["corpus"], "split": {"val": 0.34,
                                                                                                "test": 0.34}}})
    assert changed["manifest"] == 1 and changed["train"] == 3 and "corpus_dialogue" not in changed
    assert changed["mono"] == n and changed["prosody"] == n  # the generated sets only
    # the mono rate reruns every mono job and what reads it, nothing upstream
    resampled = jobs_planned(tmp_path, {**TINY_DEMO, "audio": {"sample_rate": 8000}})
    assert resampled["mono"] == 1 + n and "corpus_dialogue" not in resampled and "manifest" not in resampled
    # the VAD method reruns extraction and what follows, not the human audio
    vad = jobs_planned(tmp_path, {**TINY_DEMO, "vad": {"method": "reference"}})
    assert vad["prosody"] == 1 + n and vad["mono"] == n and "corpus_dialogue" not in vad


def test_maptask_dag_downloads_resumes_and_orients_channels(tmp_path):
    files = {
        "/dialogues/q1ec1.mix.wav": maptask_wav(giver_channel=0, seed=1),
        "/dialogues/q1ec2.mix.wav": maptask_wav(giver_channel=1, seed=2),
        "/nxt.zip": maptask_zip(["q1ec1", "q1ec2"]),
    }
    with FileServer(files) as server:
        server.faults.drop_after["/dialogues/q1ec2.mix.wav"] = 50_000
        server.faults.drops_left["/dialogues/q1ec2.mix.wav"] = 1
        config = {"corpus": {"name": "maptask", "maptask": {
            "audio_url": server.url + "/dialogues/", "annotations_url": server.url + "/nxt.zip",
            "dialogues": ["q1ec1", "q1ec2"], "backoff": 0.05}}}
        run_snakemake(tmp_path, config)
        assert ("/dialogues/q1ec2.mix.wav", "bytes=50000-") in server.requests
    res = tmp_path / "results"
    for path, data in files.items():
        if path.endswith(".wav"):
            assert (res / "corpus/maptask/download" / Path(path).name).read_bytes() == data
    manifest = pd.read_csv(res / "corpus/maptask/manifest.csv")
    assert manifest.set_index("dialogue")["giver_channel"].to_dict() == {"q1ec1": 0, "q1ec2": 1}
    assert (manifest["sample_rate"] == 20000).all()
    a, sr = sf.read(res / "audio/maptask/q1ec2.A.wav")
    assert sr == 16000
    va = pd.read_csv(res / "corpus/maptask/va/q1ec2.csv")
    s, e = va[va.speaker == "A"].iloc[2][["start", "end"]]
    b, _ = sf.read(res / "audio/maptask/q1ec2.B.wav")
    seg = slice(int(s * sr), int(e * sr))
    assert (a[seg] ** 2).mean() > 100 * (b[seg] ** 2).mean()  # speaker A (giver) is loud when the giver talks
    assert "swapping" in (res / "logs/corpus/maptask/batch1.log").read_text()


def _local_folder(tmp_path: Path) -> tuple[Path, Path]:
    audio_dir, va_dir = tmp_path / "my_corpus", tmp_path / "my_va"
    audio_dir.mkdir()
    va_dir.mkdir()
    rng = np.random.default_rng(0)
    t = np.arange(44100 * 3) / 44100
    speech = 0.2 * np.sin(2 * np.pi * 200 * t) * (t > 1)
    sf.write(audio_dir / "chat1.flac", np.stack([speech, 0.01 * rng.standard_normal(len(t))], 1), 44100)
    sf.write(audio_dir / "chat2.A.wav", speech, 44100, subtype="PCM_24")  # one file per speaker
    sf.write(audio_dir / "chat2.B.wav", np.zeros(len(t)), 44100, subtype="PCM_24")
    for d in ("chat1", "chat2"):
        (va_dir / f"{d}.csv").write_text("speaker,start,end\nA,1.0,3.0\n")
    return audio_dir, va_dir


def test_local_corpus_with_va_and_silent_channel(tmp_path):
    audio_dir, va_dir = _local_folder(tmp_path)
    config = {"corpus": {"name": "local", "local": {"path": str(audio_dir), "va": str(va_dir)}}}
    run_snakemake(tmp_path / "run", config)
    res = tmp_path / "run/results"
    manifest = pd.read_csv(res / "corpus/local/manifest.csv").set_index("dialogue")
    assert manifest["silent_B"].to_dict() == {"chat1": False, "chat2": True}
    assert (manifest["duration"] == 3.0).all() and (manifest["sample_rate"] == 44100).all()
    assert sf.info(res / "corpus/local/wav/chat2.wav").subtype == "PCM_24"
    assert sf.info(res / "audio/local/chat1.A.wav").samplerate == 16000
    assert pd.read_csv(res / "corpus/local/va/chat1.csv").values.tolist() == [["A", 1.0, 3.0]]
    assert "digital silence" in (res / "logs/corpus/local/batch1.log").read_text()


def test_bad_local_file_fails_naming_it_and_leaves_no_output(tmp_path):
    audio_dir, _ = _local_folder(tmp_path)
    sf.write(audio_dir / "solo.wav", np.zeros(16000) + 0.1, 16000)
    config = {"corpus": {"name": "local", "local": {"path": str(audio_dir)}}}
    proc = run_snakemake(tmp_path / "run", config, "--keep-going", check=False)
    assert proc.returncode != 0
    log = (tmp_path / "run/results/logs/corpus/local/batch1.log").read_text()
    assert "solo.wav: expected a stereo file with one speaker per channel, found mono audio" in log
    assert "1 of the batch's 3 dialogues cannot be prepared" in log
    wav_dir = tmp_path / "run/results/corpus/local/wav"
    assert not wav_dir.exists() or not list(wav_dir.iterdir())  # the failed batch leaves none of its files
    # in batches of one, the other dialogues are made (keep going) and only the bad one is missing
    proc = run_snakemake(tmp_path / "run", {**config, "batch": {"dialogues": 1}}, "--keep-going", check=False)
    assert proc.returncode != 0
    assert sorted(p.name for p in wav_dir.iterdir()) == ["chat1.wav", "chat2.wav"]


@pytest.mark.parametrize(
    "config, message",
    [
        ({"corpus": {"name": "fisher"}}, "'fisher' is not one of"),
        ({"corpus": {"name": "switchboard"}}, "corpus.switchboard.dialogues"),
        ({"corpus": {"name": "local"}}, "corpus.local.path"),
        ({"audio": {"sample_rate": 12345}}, "config key 'audio.sample_rate': 12345 is not one of"),
        ({"corpsu": {"name": "demo"}}, "config key 'corpsu': is not a setting; did you mean 'corpus'?"),
        ({"corpus": {"nmae": "demo"}}, "config key 'corpus.nmae': is not a setting; did you mean 'name'?"),
        ({"sample": {"temperature": 0}}, "config key 'sample.temperature': 0 is less than or equal to the minimum"),
    ],
)
def test_bad_config_fails_at_parse_time_naming_the_key(tmp_path, config, message):
    """The key, the problem and what is allowed, in at most 15 lines (the schema itself is never printed)."""
    proc = run_snakemake(tmp_path, config, "-n", check=False)
    assert proc.returncode != 0
    said = proc.stdout + proc.stderr
    assert message in said and len(said.strip().splitlines()) <= 15, said
    assert not (tmp_path / "results").exists()


EXCERPT = ROOT / "tests" / "data" / "maptask-excerpt.zip"  # two real Map Task dialogues' word timings


@pytest.mark.parametrize("url", [str(EXCERPT), EXCERPT.as_uri()])
def test_maptask_timing_only_from_a_local_annotations_file(tmp_path, url):
    """No audio download: each dialogue is rendered from its real word timings and runs through the chain."""
    config = {"corpus": {"name": "maptask", "maptask": {"annotations_url": url, "audio": False,
                                                        "dialogues": ["q1ec6", "q7nc6"]}},
              "batch": {"dialogues": 1}}  # one dialogue per job: the batches' chains side by side
    planned = jobs_planned(tmp_path, config)
    assert "download" not in planned and planned["corpus_dialogue"] == 2 and planned["prosody"] == 2
    if url.startswith("file:"):
        return  # the path form runs the chain below
    run_snakemake(tmp_path, config)
    res = tmp_path / "results"
    manifest = pd.read_csv(res / "corpus/maptask/manifest.csv")
    assert manifest["dialogue"].tolist() == ["q1ec6", "q7nc6"] and manifest["rendered_from_va"].all()
    assert manifest.set_index("dialogue").loc["q1ec6", "duration"] == pytest.approx(157.33, abs=0.01)  # last word + 1 s
    va = pd.read_csv(res / "corpus/maptask/va/q1ec6.csv")
    assert set(va["speaker"]) == {"A", "B"} and len(va) > 50
    accuracy = pd.read_csv(res / "timing/maptask/vad_accuracy.csv").set_index("dialogue")
    assert accuracy.loc["ALL", "A_f1"] > 0.9 and accuracy.loc["ALL", "B_f1"] > 0.9  # the render carries its VA
    assert not (res / "corpus/maptask/download").exists()


def test_switchboard_alignments_download_resumes_and_named_conversations_are_rendered(tmp_path):
    """The ms98 archive is fetched once (resumed after a cut), and each named conversation is rendered from it."""
    archive = tar_gz(switchboard_release(["sw2001", "sw2005", "sw3102"]))
    with FileServer({"/swb.tar.gz": archive}) as server:
        server.faults.drop_after["/swb.tar.gz"] = len(archive) // 2
        server.faults.drops_left["/swb.tar.gz"] = 1
        config = {"corpus": {"name": "switchboard", "switchboard": {
            "annotations_url": server.url + "/swb.tar.gz", "dialogues": ["sw2005", "sw3102"], "backoff": 0.05}}}
        planned = jobs_planned(tmp_path, config)
        assert planned["download"] == 1 and planned["corpus_dialogue"] == 1  # both in one batch
        run_snakemake(tmp_path, config, "results/corpus/switchboard/manifest.csv")
        assert ("/swb.tar.gz", f"bytes={len(archive) // 2}-") in server.requests
    res = tmp_path / "results/corpus/switchboard"
    assert (res / "download/switchboard_word_alignments.tar.gz").read_bytes() == archive
    manifest = pd.read_csv(res / "manifest.csv").set_index("dialogue")
    assert manifest.index.tolist() == ["sw2005", "sw3102"] and manifest["rendered_from_va"].all()
    assert (manifest["duration"] == 5.0).all()
    va = pd.read_csv(res / "va/sw3102.csv")
    assert va.sort_values(["speaker", "start"]).values.tolist() == [
        ["A", 0.5, 1.1], ["A", 2.0, 2.4], ["A", 3.5, 4.0], ["B", 1.0, 1.9], ["B", 2.6, 3.2]]
    # the downloaded copy, given as the annotations, holds all three: every one is planned, nothing fetched
    local = {"corpus": {"name": "switchboard", "switchboard": {
        "annotations_url": str(res / "download/switchboard_word_alignments.tar.gz")}}}
    planned = jobs_planned(tmp_path / "again", {**local, "batch": {"dialogues": 2}})
    assert "download" not in planned and planned["corpus_dialogue"] == 2  # batches of 2 and 1


def test_local_corpus_of_va_files_without_audio(tmp_path):
    va_dir = tmp_path / "va"
    va_dir.mkdir()
    (va_dir / "x1.csv").write_text("speaker,start,end\nA,0.5,2.0\nB,2.2,3.0\nA,3.5,5.0\nB,4.8,6.5\n")
    (va_dir / "x2.TextGrid").write_text(textgrid({"giver": [(1.4, 4.0, "okay")], "follower": [(0.2, 1.0, "hi")]}))
    config = {"corpus": {"name": "local", "local": {"va": str(va_dir)}}, "vad": {"method": "reference"}}
    run_snakemake(tmp_path / "run", config)
    res = tmp_path / "run/results"
    manifest = pd.read_csv(res / "corpus/local/manifest.csv").set_index("dialogue")
    assert manifest["duration"].to_dict() == {"x1": 7.5, "x2": 5.0} and (manifest["sample_rate"] == 16000).all()
    events = pd.read_csv(res / "timing/local/x1.events.csv")
    ipus = events[events["type"] == "ipu"]
    assert ipus[["speaker", "start", "end"]].values.tolist() == [["A", 0.5, 2.0], ["B", 2.2, 3.0], ["A", 3.5, 5.0],
                                                                 ["B", 4.8, 6.5]]
    assert events.loc[events["type"] == "overlap_between", "duration"].round(3).tolist() == [0.2]
    assert pd.read_csv(res / "corpus/local/va/x2.csv").values.tolist() == [["B", 0.2, 1.0], ["A", 1.4, 4.0]]
