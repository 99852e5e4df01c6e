#!/usr/bin/env bash
# Does the aligner hold on voices and recordings it was not tuned on? Builds the mini LJSpeech sentences in other
# eSpeak voices (prep mini-ljspeech --voice), makes each one harder with bench/warp_corpus.py (varying speed with
# formants shifted, a room, noise; true times moved with the warp), and runs bench/align.sh on each:
#   dev   en-us Klatt voice 2, low and fast, warp seed 1: the only one to tune on;
#   dev2  en-us Klatt voice 4, high and slow, warp seed 2: held out until its errors were studied (weak fricatives
#         and stop closures taken for pauses), so a second dev set since;
#   rp    British RP, male, warp seed 3: another accent (CMUdict's American pronunciations differ, so phone
#         boundaries are scored only where the lexicon's sequence is the one spoken; words everywhere);
#   test  en-us Klatt voice 3, warp seed 4: the figure to report, never looked into.
# Usage: bench/align_voices.sh [WORK_DIR] [dev|dev2|rp|test ...] [-- extra `speechkit align --train` arguments]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-/tmp/speechkit_align_voices}
shift || true
sets=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do sets+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ ${#sets[@]} -gt 0 ] || sets=(dev dev2 rp test)
declare -A voice=([dev]="en-us+klatt2,pitch=35,range=30,rate=190" [dev2]="en-us+klatt4,pitch=75,range=80,rate=140"
                  [rp]="en-gb-x-rp+m1,pitch=40,range=50,rate=185" [test]="en-us+klatt3,pitch=65,range=60,rate=155")
declare -A seed=([dev]=1 [dev2]=2 [rp]=3 [test]=4)
for set in "${sets[@]}"; do
  [ -n "${voice[$set]:-}" ] || { echo "error: unknown set '$set' (dev, dev2, rp, test)" >&2; exit 2; }
  dir=$work/$set
  [ -f "$dir/clean/metadata.csv" ] || speechkit prep mini-ljspeech --out "$dir/clean" --voice "${voice[$set]}"
  [ -f "$dir/corpus/metadata.csv" ] || python "$here/warp_corpus.py" --corpus "$dir/clean" --out "$dir/corpus" \
    --seed "${seed[$set]}"
  echo "=== $set: ${voice[$set]}, warped (seed ${seed[$set]}) ==="
  bash "$here/align.sh" "$dir" "$@" > "$dir/align.log" 2>&1
  grep -A3 "== lexicon alignment" "$dir/align.log"
  grep "utterances:" "$dir/align.log" | head -1
  tail -1 "$dir/align.log"
done
