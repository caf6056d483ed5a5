"""Every benchmark in bench/ runs on tiny inputs, against the installed package, and says what it measured: none rots
between the hand runs that docs/results.md quotes."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if p.name != "speech_voices.py")  # that one is a helper module


def bench(script: str, *args: str, cwd: Path | None = None, timeout: int = 300) -> str:
    """Run bench/`script` with `args` in a fresh interpreter (no path set up for it); return what it printed."""
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd or ROOT)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_benchmark_has_help_and_imports_the_installed_package(script):
    text = (BENCH / script).read_text()
    assert "sys.path" not in text, f"{script} edits sys.path: import the installed babbler instead"
    assert "usage:" in bench(script, "--help").lower()


def test_smoke_of_the_benchmarks_that_need_no_workflow_run(tmp_path):
    out = bench("render_memory.py", "--minutes", "0.1")
    assert "rendered in" in out and "peak" in out
    out = bench("long_recording.py", "--minutes", "0.1", "--rate", "16000")
    assert all(stage in out for stage in ("corpus", "mono", "prosody")) and "peak" in out
    out = bench("switchboard_archive.py", "--conversations", "3", "--repeats", "1")
    assert "3 conversations" in out or "conversations" in out
    out = bench("bench_vad_robustness.py", "--dialogues", "1", "--seconds", "12", "--methods", "intensity",
                "--conditions", "noise")
    assert "| noise" in out and "intensity" in out
    out = bench("standin_corpus.py", str(tmp_path / "standin"), "--size", "3", "--minutes", "2")
    assert "3 conversations of about 2 min" in out
    import pandas as pd
    import yaml

    tables = [pd.read_csv(p) for p in sorted((tmp_path / "standin" / "va").glob("*.csv"))]
    assert len(tables) == 3 and all(set(t["speaker"]) == {"A", "B"} and 80 < t["end"].max() < 160 for t in tables)
    # conversations differ as callers do: the spread of their mean segment lengths grows with --spread
    def spread_of_means(spread: str) -> float:
        folder = tmp_path / f"spread{spread}"
        bench("standin_corpus.py", str(folder), "--size", "8", "--minutes", "3", "--spread", spread)
        means = [(t["end"] - t["start"]).mean() for t in map(pd.read_csv, sorted((folder / "va").glob("*.csv")))]
        return float(np.std(means) / np.mean(means))

    alike, varied = spread_of_means("0"), spread_of_means("0.5")
    assert alike < 0.15 and varied > 2 * alike, (alike, varied)
    overlay = yaml.safe_load((tmp_path / "standin" / "config.yaml").read_text())
    assert overlay["corpus"] == {"name": "local", "local": {"path": None, "va": str(tmp_path / "standin" / "va")}}
    out = bench("dialogue_overhead.py", "--configfile", str(ROOT / "configs/maptask-timing.yaml"),
                str(tmp_path / "standin" / "config.yaml"), "--batch", "3", "--dataset")
    assert "local: 3 dialogues" in out and "prosody      1 jobs" in out and "% of the work" in out
    peak = re.search(r"peak memory (\d+\.\d\d) GiB", out)
    assert "frames.npz" in out and peak and 0.1 < float(peak.group(1)) < 8, out  # jobs import torch: tenths of a GiB
    out = bench("scale_memory.py", str(tmp_path / "standin"), "--steps", "2", "--work", str(tmp_path / "scale"))
    assert all(step in out for step in ("dataset", "markov", "transformer", "sample", "evaluate"))
    assert "3 conversations" in out and "6 systems × " in out and out.count("GiB") == 5


def test_smoke_of_the_benchmarks_on_a_workflow_run(tiny_demo_run, tmp_path):
    results = tiny_demo_run / "results"
    out = bench("bench_agent.py", "--results", str(results), "--frames", "50", "--steps", "20", "--train-steps", "2")
    assert "frames/s" in out and "Agent.step latency" in out and "transformer" in out
    out = bench("bench_prosody.py", "--results", str(results), "--n", "1")
    assert "RTF" in out or "real-time" in out
    out = bench("bench_voices.py", "--results", str(results), "--seconds", "0.05")
    assert "source_filter" in out and "wavenet" in out
    out = bench("voice_temperature.py", "--results", str(results), "--voice", "wavenet", "--seconds", "1",
                "--temperatures", "1.0", "--threads", "1")
    assert "temperature 1.00: VA F1" in out
    out = bench("bench_live.py", "--model", str(results / "models/demo/transformer.pt"), "--dialogues", "1",
                "--seconds", "12")
    assert "p99 ms" in out and "agent step" in out
    out = bench("timing_targets.py", str(results / "eval/demo/metrics.json"))
    assert "selfplay" in out
    config = tmp_path / "config.yaml"
    config.write_text((tiny_demo_run / "config.yaml").read_text())
    out = bench("plan_time.py", "--configfile", str(config), "--repeats", "1", cwd=tiny_demo_run)
    assert "jobs planned, median" in out
    out = bench("continuation_prompts.py", str(tiny_demo_run), "--configfile", str(config), "--prompts", "5", "20",
                "--seeds", "1", "2")
    assert "demo: 1 test dialogues; agent transformer" in out
    assert out.count("| 5 s | ") == 2 and "| 5 s | 2 | 1 | n/a / n/a / n/a | n/a | n/a | n/a |" in out  # r needs 3
    assert "| 20 s | 1 | 0 |" in out  # the 15 s test dialogue is no longer than a 20 s prompt
