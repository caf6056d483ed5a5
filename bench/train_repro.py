"""Does the trained Transformer depend on the machine? Train it as the workflow does, with a chosen thread count.

Usage:  [ATEN_CPU_CAPABILITY=avx2] [DNNL_MAX_CPU_ISA=AVX2] python bench/train_repro.py RESULTS [--threads 2]
            [--steps N] [--config config.yaml] [--out MODEL.pt]
RESULTS is a finished run's `results/` folder (its `dataset/{corpus}/frames.npz` and `splits.csv`); the model and
training settings are the config's (`model.transformer`, `train`), on the CPU. It prints the last line of the loss log
and the best validation loss, to all their digits. The two environment variables make PyTorch's own kernels
(ATen) or its oneDNN kernels use AVX2 instead of the CPU's widest instruction set, as on a CPU without AVX-512.
With `--out`, the trained model is copied there: put it in place of `RESULTS/models/{corpus}/transformer.pt` and
run `snakemake --cores 2` to score it exactly as the workflow's own.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from babbler.dataset import load_dataset  # noqa: E402
from babbler.models.transformer import TransformerConfig  # noqa: E402
from babbler.train import TrainConfig, train_transformer  # noqa: E402


def main() -> None:
    """Train once and print the final loss line and the best validation loss."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", type=Path)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=0, help="0: the config's train.steps")
    ap.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = yaml.safe_load(args.config.read_text())
    corpus = cfg["corpus"]["name"]
    data_dir = args.results / "dataset" / corpus
    data = load_dataset(data_dir / "frames.npz", data_dir / "splits.csv")
    train = [data.tokens[d] for d in data.ids("train")]
    val = [data.tokens[d] for d in data.ids("val")]
    settings = {**cfg["train"], "device": "cpu", "threads": args.threads}
    if args.steps:
        settings["steps"] = args.steps
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "transformer.pt"
        summary = train_transformer(train, val, TransformerConfig(**(cfg["model"].get("transformer") or {})),
                                    TrainConfig(**settings), model, Path(tmp) / "metrics.csv", Path(tmp) / "ckpt")
        print("last log line:", (Path(tmp) / "metrics.csv").read_text().strip().splitlines()[-1])
        print(f"best validation loss {summary['best_val_loss']!r} at step {summary['selected_step']}, "
              f"{args.threads} thread(s), capability {torch.backends.cpu.get_cpu_capability()}")
        if args.out:
            shutil.copyfile(model, args.out)


if __name__ == "__main__":
    main()
