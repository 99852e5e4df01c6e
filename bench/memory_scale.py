"""Peak memory of the TTS recipe's stages at 1x and Nx a corpus: does a stage's memory grow with the corpus?

Usage::

    speechkit prep mini-ljspeech --out /tmp/mini_lj            # or any corpus in the LJSpeech layout
    python bench/memory_scale.py --corpus-root /tmp/mini_lj --scales 1,20 --work /tmp/memscale

For each scale the script writes an LJSpeech-layout copy of the corpus that lists every recording SCALE times (new
ids, symlinked audio), then runs the stages that read the whole corpus: prep, align --train (one round, one epoch),
align import, prep tts-features, one epoch of FastSpeech 2 and greedy decoding of the training set (with an ASR
model trained one epoch at the first scale). It prints each stage's peak resident memory (the largest process,
workers and jobs included) and wall time, and their ratio to the first scale. Run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

RECIPE = Path(__file__).resolve().parents[1] / "egs" / "ljspeech" / "fastspeech2"
# Runs one command and prints the peak RSS (KiB) of its process tree: the largest waited-for descendant.
MEASURE = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)")  # fmt: skip


def scaled_corpus(root: Path, scale: int, dest: Path) -> Path:
    """``dest``: ``root``'s metadata.csv with every line ``scale`` times (ids suffixed) and symlinked waves."""
    (dest / "wavs").mkdir(parents=True, exist_ok=True)
    lines = []
    for line in (root / "metadata.csv").read_text(encoding="utf-8").splitlines():
        utt, rest = line.split("|", 1)
        for k in range(scale):
            new = utt if scale == 1 else f"{utt}r{k:02d}"
            link = dest / "wavs" / f"{new}.wav"
            if not link.exists():
                link.symlink_to((root / "wavs" / f"{utt}.wav").resolve())
            lines.append(f"{new}|{rest}")
    (dest / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def measure(cmd: list[str]) -> tuple[float, float]:
    """Peak RSS in MiB and wall seconds of ``speechkit CMD``; exits when the command fails."""
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", MEASURE, "speechkit", *cmd], capture_output=True, text=True,
                         check=False)  # fmt: skip
    wall = time.perf_counter() - t0
    kib, rc = res.stdout.split()[-2:]
    if rc != "0":
        sys.exit(f"speechkit {' '.join(cmd)} failed: {res.stderr.strip().splitlines()[-1:]}")
    return int(kib) / 1024, wall


def stages(w: Path, asr: Path) -> list[tuple[str, list[str]]]:
    data, exp = w / "data", w / "exp"
    tts = [f"exp_dir={exp / 'tts'}", f"data.train={data / 'train'}", f"data.valid={data / 'dev'}",
           f"data.train_feats={exp / 'feats_train'}", f"data.valid_feats={exp / 'feats_dev'}", "train.epochs=1"]  # fmt: skip
    return [
        ("prep", ["prep", "ljspeech", "--corpus-root", str(w / "corpus"), "--out", str(data)]),
        ("align --train", ["align", "--data", str(data / "train"), "--out", str(exp / "align"), "--train",
                           "train.rounds=1", "train.epochs=[1]"]),  # fmt: skip
        ("align dev", ["align", "--data", str(data / "dev"), "--out", str(exp / "align_dev"), "--model",
                       str(exp / "align" / "model")]),  # fmt: skip
        ("align import", ["align", "import", "--data", str(data / "train"), "--textgrids", str(exp / "align")]),
        ("import dev", ["align", "import", "--data", str(data / "dev"), "--textgrids", str(exp / "align_dev")]),
        ("tts-features", ["prep", "tts-features", "--data", str(data / "train"), "--out", str(exp / "feats_train"),
                          "--nj", "2"]),  # fmt: skip
        ("features dev", ["prep", "tts-features", "--data", str(data / "dev"), "--out", str(exp / "feats_dev")]),
        ("train (1 epoch)", ["train", "--recipe", str(RECIPE), *tts]),
        ("decode", ["decode", "--model", str(asr), "--data", str(data / "train"), "--out", str(exp / "decode")]),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus-root", required=True, type=Path)
    ap.add_argument("--scales", default="1,20")
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--only", default="", help="comma-separated stage names (their inputs must be there already)")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    scales = [int(s) for s in args.scales.split(",")]
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    results: dict[str, list[tuple[float, float]]] = {}
    asr = args.work / "asr"
    for scale in scales:
        w = args.work / f"x{scale}"
        scaled_corpus(args.corpus_root, scale, w / "corpus")
        for name, cmd in stages(w, asr):
            if only and name not in only:
                continue
            if name.startswith("train"):
                shutil.rmtree(w / "exp" / "tts", ignore_errors=True)  # a finished run would resume and do nothing
            results.setdefault(name, []).append(measure(cmd))
            print(f"x{scale} {name}: {results[name][-1][0]:.0f} MiB, {results[name][-1][1]:.0f} s", flush=True)
            if name == "import dev" and not asr.exists() and not only:  # the decoder's model, once, on the first scale's data
                measure(["train", "--recipe", str(RECIPE), "--config", "conf/asr.yaml", f"exp_dir={asr}",
                         f"data.train={w / 'data' / 'train'}", f"data.valid={w / 'data' / 'dev'}", "train.epochs=1"])  # fmt: skip
    head = " ".join(f"{'x' + str(s) + ' MiB':>10} {'s':>6}" for s in scales)
    print(f"\n{'stage':<16} {head}  RSS ratio")
    for name, runs in results.items():
        cells = " ".join(f"{rss:>10.0f} {wall:>6.0f}" for rss, wall in runs)
        print(f"{name:<16} {cells}  {runs[-1][0] / runs[0][0]:.2f}")


if __name__ == "__main__":
    main()
