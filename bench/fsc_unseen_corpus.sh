#!/usr/bin/env bash
# Does the FSC recipe hold up on an FSC-layout corpus it has never seen? Builds one with other voices
# (another seed), other phrasings (bench/data/fsc_unseen_phrasings.txt) and another speaker split, then runs
# the unchanged recipe on it with --corpus-root, in a scratch copy of egs/ so the recipe's own data/ and
# exp/ are left alone. Usage: bench/fsc_unseen_corpus.sh [WORK_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-/tmp/speechkit_fsc_unseen}
mkdir -p "$work"
speechkit prep mini-fsc --out "$work/corpus" --seed 123 --train-speakers 40 --valid-speakers 8 --test-speakers 8 \
  --phrasings-per-speaker 90 \
  --phrasings "$here/data/fsc_unseen_phrasings.txt"
rm -rf "$work/egs" && mkdir -p "$work/egs/fsc/slu1"
cp -r "$here/../egs/utils" "$work/egs/" && cp -r "$here/../egs/fsc/slu1/run.sh" "$here/../egs/fsc/slu1/conf" "$work/egs/fsc/slu1/"
bash "$work/egs/fsc/slu1/run.sh" --stage 1 --corpus-root "$work/corpus"
cat "$work/egs/fsc/slu1/exp/slu/decode_test/scores.json"
