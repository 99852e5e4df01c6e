#!/usr/bin/env bash
# Intent accuracy of an FSC model on the held-out voices and channels of bench/fsc_heldout.py, overall and per
# condition and voice kind. Greedy decoding, as the recipe's headline figure.
# Usage: bench/fsc_heldout.sh MODEL_DIR HELDOUT_DIR [OUT_DIR]
set -euo pipefail
model=$1 data=$2 out=${3:-$1/decode_heldout}
speechkit data validate "$data"
speechkit decode --model "$model" --data "$data" --out "$out"
speechkit score intent --ref "$data/utt2intent" --hyp "$out/utt2intent" --out "$out"
python - "$data" "$out" <<'PY'
import sys
from collections import defaultdict
from pathlib import Path

from speechkit.data.table import read_table

data, out = Path(sys.argv[1]), Path(sys.argv[2])
ref, hyp = read_table(data / "utt2intent"), read_table(out / "utt2intent")
groups = {"condition": read_table(data / "utt2condition"),
          "voice": {u: "english" if v.split("+")[0].startswith("en") else "other language"
                    for u, v in read_table(data / "utt2voice").items()}}
print(f"all: {100 * sum(hyp.get(u) == r for u, r in ref.items()) / len(ref):.2f} % of {len(ref)}")
for name, of in groups.items():
    right, total = defaultdict(int), defaultdict(int)
    for u, r in ref.items():
        total[of[u]] += 1
        right[of[u]] += hyp.get(u) == r
    print(f"by {name}: " + ", ".join(f"{k} {100 * right[k] / total[k]:.1f} % ({total[k]})" for k in sorted(total)))
PY
