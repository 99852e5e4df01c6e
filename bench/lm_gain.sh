#!/usr/bin/env bash
# What does KenLM shallow fusion gain over greedy CTC decoding on FSC? Trains the deliberately weak character
# model of egs/fsc/slu1/conf/asr_char.yaml (one epoch), tunes alpha/beta on valid with the recipe's LM, decodes
# test greedily and with the tuned weights, and prints both WERs and the relative reduction.
# Needs egs/fsc/slu1 stages 0-2 (data/ and data/lm/3gram.arpa). Test figures are reported, never tuned on.
# Usage: bench/lm_gain.sh [EXP_DIR (default exp/asr_char_weak)] [extra `speechkit train` overrides]
set -euo pipefail
cd "$(dirname "$0")/../egs/fsc/slu1"
exp=${1:-exp/asr_char_weak}
shift || true
lm=data/lm/3gram.arpa
[ -f $lm ] || { echo "error: $lm not found: run egs/fsc/slu1/run.sh --stop-stage 2 first" >&2; exit 1; }
speechkit train --recipe . --config conf/asr_char.yaml exp_dir=$exp "$@"
speechkit decode --model $exp --data data/valid --lm $lm --tune --nj 2 --alphas 0,0.25,0.5,1,1.5,2 --betas=-1,0,1,2,3,4
speechkit decode --model $exp --data data/test
speechkit decode --model $exp --data data/test --lm $lm --alpha-beta-from $exp/decode_valid_tune/tune.json --nj 2
for d in decode_test decode_test_lm; do
  speechkit score asr --ref data/test/text --hyp $exp/$d/text --out $exp/$d >/dev/null
done
python - $exp <<'PY'
import json, sys
from pathlib import Path
exp = Path(sys.argv[1])
tune = json.loads((exp / "decode_valid_tune" / "tune.json").read_text())
greedy, lm = (json.loads((exp / d / "scores.json").read_text())["wer"] for d in ("decode_test", "decode_test_lm"))
best = tune["best"]
print(f"valid: greedy WER {tune['greedy_wer']:.2f} -> LM {best['wer']:.2f} (alpha {best['alpha']:g}, beta {best['beta']:g})")
print(f"test:  greedy WER {greedy:.2f} -> LM {lm:.2f}: {100 * (greedy - lm) / greedy:.1f} % relative reduction")
PY
