"""Training speed of every task: utterances per second over one epoch of each recipe config, on a device.

Usage (each recipe's data stages run first, e.g. ``bash egs/fsc/slu1/run.sh --stop-stage 2``)::

    python bench/train_speed.py --device cuda [--nproc 2] [--precision bf16] [--only slu,fastspeech2]
    python bench/train_speed.py --device cpu --threads 2

For each config below whose recipe has its data, trains one epoch (a few hundred steps on the mini corpora) into a
temporary exp dir with ``speechkit train ... train.epochs=1`` and prints the loop's own figures: utterances per
second over the busy time (all processes together) and the share of it spent on data loading and features. The
S2ST direct model starts from the cascade's parts, so it is measured only when exp/asr_es, exp/mt and exp/tts exist.
This is also the device check: every task trains for an epoch on the GPU, and a task that fails is reported.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

EGS = Path(__file__).resolve().parents[1] / "egs"
# (task, recipe, config, a file the config needs): the data stages of the recipe write it
CONFIGS = [
    ("slu", "fsc/slu1", "conf/train.yaml", "data/train/wav.scp"),
    ("fastspeech2", "ljspeech/fastspeech2", "conf/train.yaml", "exp/feats/train/stats.json"),
    ("asr", "ljspeech/fastspeech2", "conf/asr.yaml", "data/judge_train/wav.scp"),
    ("vocos", "ljspeech/fastspeech2", "conf/vocos.yaml", "data/train/wav.scp"),
    ("hifigan", "ljspeech/fastspeech2", "conf/hifigan.yaml", "data/train/wav.scp"),
    ("mt", "cvss/s2st1", "conf/mt.yaml", "data/train/text.en"),
    ("s2st", "cvss/s2st1", "conf/direct.yaml", "exp/tts/model.pt"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--nproc", type=int, default=1, help="processes (speechkit train --nproc)")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads a process")
    ap.add_argument("--precision", default="auto", help="train.precision on GPU: auto, fp32, bf16 or fp16")
    ap.add_argument("--only", default="", help="comma-separated tasks (default: all)")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    print(f"{'task':<12} {'utt/s':>8} {'data share':>10} {'wall s':>8}  recipe config")
    failed = 0
    for task, recipe, config, needs in CONFIGS:
        if only and task not in only:
            continue
        where = EGS / recipe
        if not (where / needs).exists():
            print(f"{task:<12} {'-':>8} {'-':>10} {'-':>8}  {recipe} {config}: no {needs} (run the recipe's data stages)")
            continue
        with tempfile.TemporaryDirectory(prefix=f"speed_{task}_") as exp:
            cmd = ["speechkit", "train", "--recipe", str(where), "--config", config, "--device", args.device,
                   "--nproc", str(args.nproc), "--threads", str(args.threads), f"exp_dir={exp}", "train.epochs=1",
                   f"train.precision={args.precision}"]  # fmt: skip
            t0 = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - t0
        if res.returncode != 0:
            failed += 1
            last = (res.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"{task:<12} {'FAILED':>8} {'':>10} {wall:>8.0f}  {recipe} {config}: {last}")
            continue
        summary = yaml.safe_load(res.stdout[res.stdout.index("averaged_epochs") :])
        print(f"{task:<12} {summary['utts_per_s']:>8.1f} {summary['data_share']:>10.2f} {wall:>8.0f}  {recipe} {config}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
